"""The small panels of diagnostics over the epochs (diagnostics.py) beside a net's units: their
scales, ticks, curves and title rows, and the frame's epoch marked on all of them at once."""

from __future__ import annotations

import numpy as np
from matplotlib.collections import LineCollection
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter, LogLocator, MaxNLocator, NullLocator
from matplotlib.transforms import IdentityTransform

from drawing.diagnostics import Diagnostic, value_limits
from drawing.fit_panel import pinned
from drawing.style import COLORS, DPI, fitted, plain_tick_labels, text_width

PANEL_TITLE_STYLE = {"fontsize": 8, "pad": 2}
TICK_FONTSIZE = 7
# A small log panel's minor ticks are labelled with this many pixels to a power of ten (or more).
MINOR_LABEL_DECADE_PIXELS = 35


def pinned_marks(values: np.ndarray, axes) -> np.ndarray:
    """Mark values pinned inside a panel's y limits (in log space on a log axis): a diverging
    net's error or gradient leaves the panel, and its mark stays on the edge. NaN stays NaN."""
    limits = axes.get_ylim()
    if axes.get_yscale() == "log":
        with np.errstate(divide="ignore", invalid="ignore"):
            return 10 ** pinned(np.log10(values), tuple(np.log10(limits)))
    return pinned(values, limits)


def style_small_panel(axes, diagnostics: list[Diagnostic], run_epochs: int) -> None:
    """A small diagnostic panel's scales, limits and a few readable ticks (its title comes once it
    is placed: title_row), or the words that say its run did not record it."""
    axes.set_xscale("log")
    axes.set_xlim(1, max(2, run_epochs))
    # No minor epoch ticks: in panels this small they are clutter, and making them (five log axes'
    # worth) took a third of the animation's set-up time.
    axes.xaxis.set_minor_locator(NullLocator())
    # As many y ticks as the panel's height has room for ("auto"), decided when it is drawn.
    if diagnostics[0].log_scale:
        axes.set_yscale("log")
        axes.yaxis.set_major_locator(LogLocator(numticks="auto"))
    else:
        steps = [1, 5] if diagnostics[0].name == "saturated_fraction" else None
        axes.yaxis.set_major_locator(MaxNLocator("auto", integer=steps is None, steps=steps))
    if diagnostics[0].name != "loss":  # the error's limits are curves.style_loss_axes's
        axes.set_ylim(*value_limits(diagnostics))
    plain_tick_labels(axes)
    if diagnostics[0].log_scale:
        label_minor_ticks_with_room(axes.yaxis)
    axes.tick_params(which="both", labelsize=TICK_FONTSIZE, pad=2)
    axes.grid(True, which="major", alpha=0.3)
    if all(diagnostic.curves is None for diagnostic in diagnostics):
        axes.text(0.5, 0.5, f"{diagnostics[0].name} not recorded", transform=axes.transAxes, ha="center",
                  va="center", fontsize=8, color=COLORS["note"])


def label_minor_ticks_with_room(axis) -> None:
    """Label a small log panel's minor ticks at 2 and 5 times a power of ten only when they do not
    overlap, or when no power of ten is in view to give the scale: plain_tick_labels labels those
    at 2, 3 and 5 whenever a log axis spans less than a factor of 50, which in a panel 25 to 50
    pixels high piles them onto each other."""
    plain = axis.get_minor_formatter()

    def label(value: float, position) -> str:
        low, high = sorted(axis.get_view_interval())
        pixels_a_decade = axis.axes.bbox.height / max(np.log10(high / low), 1e-9)
        no_power_of_ten = np.floor(np.log10(high)) < np.log10(low)
        # 2 to 5 and 5 to 10 are 0.3 to 0.4 of a decade: room for a label 10 pixels high.
        room = pixels_a_decade >= MINOR_LABEL_DECADE_PIXELS or no_power_of_ten
        return plain(value, position) if room and f"{value:.0e}"[0] in "25" else ""

    axis.set_minor_formatter(FuncFormatter(label))


def draw_curves(axes, diagnostic: Diagnostic, colors: list[str], styles: list[str], width: float) -> None:
    """A diagnostic's lines: net 0's in full, and, for a run of several nets, the others faint
    behind it (a net's values that are not finite are left out)."""
    for (epochs, values), color, style in zip(diagnostic.curves or [], colors, styles):
        if values.shape[1] > 1:
            alpha = max(0.06, min(0.3, 6 / values.shape[1]))  # as curves.draw_error_curves
            axes.add_collection(LineCollection([np.column_stack([epochs, net]) for net in values[:, 1:].T],
                                               colors=color, linewidths=width * 0.4, alpha=alpha, zorder=1))
        marker = "o" if len(epochs) < 3 else None  # a run of an epoch or two: points, not an invisible line
        axes.plot(epochs, values[:, 0], color=color, linewidth=width, linestyle=style, marker=marker, markersize=3,
                  zorder=2)


def frame_dots(diagnostics: list[Diagnostic], index: int) -> list[tuple[int, np.ndarray, np.ndarray]]:
    """Net 0's dots at frame `index` on the panels of these diagnostics (one each, in order), as
    EpochMarks.update takes them: (panel index, epochs, values)."""
    return [(panel, np.full(diagnostic.mark_values.shape[1], diagnostic.mark_epochs[index]),
             diagnostic.mark_values[index])
            for panel, diagnostic in enumerate(diagnostics) if diagnostic.curves is not None]


class EpochMarks:
    """The frame's epoch marked on small panels that share a log epoch axis: a vertical line
    through each panel and a red dot on each curve where that frame is. Two artists in pixel
    coordinates for all the panels: eight artists of their own took a tenth of a frame's time."""

    def __init__(self, figure, panels: list):
        self.panels = panels
        self.lines = LineCollection([], colors=COLORS["marker"], linewidths=0.8, alpha=0.6,
                                    transform=IdentityTransform(), animated=True)
        self.dots = Line2D([], [], marker="o", linestyle="none", color=COLORS["marker"], markersize=4,
                           transform=IdentityTransform(), animated=True)
        figure.add_artist(self.lines)
        figure.add_artist(self.dots)

    def update(self, epoch: int, dots: list[tuple[int, np.ndarray, np.ndarray]]) -> list:
        """Mark `epoch` on every panel and put the dots, given as (panel index, epochs, values), the
        values pinned inside their panel; return the artists to draw."""
        segments = []
        for axes in self.panels:
            column = axes.transData.transform((epoch, axes.get_ylim()[1]))[0]
            segments.append([(column, axes.bbox.y0), (column, axes.bbox.y1)])
        self.lines.set_segments(segments)
        points = [self.panels[panel].transData.transform(
                      np.column_stack([epochs, pinned_marks(values, self.panels[panel])]))
                  for panel, epochs, values in dots]
        points = np.concatenate(points) if points else np.zeros((0, 2))
        self.dots.set_data(points[:, 0], points[:, 1])
        return [self.lines, self.dots]


# Points between a small panel's title row and the row of its words above it, where they need one.
WORDS_ROW_POINTS = 9


def words_width(figure, words: list[tuple[str, str]]) -> float:
    """How wide a title row's (text, colour) words are, in pixels, with their gaps (as title_row draws them)."""
    return sum(text_width(figure, text, fontsize=PANEL_TITLE_STYLE["fontsize"] - 1) + 8 for text, _ in words)


def title_row(axes, titles: tuple[str, ...], words: list[tuple[str, str]] = (), words_above: bool = False) -> None:
    """A small panel's title row: at the left the first of its titles that fits beside the (text,
    colour) words at the right (the noise floor, which line is which layer), or the last one
    shortened with '…'; with words_above, the words on a row of their own above it, at the right
    (the panel's placing left room for it). Called once the panel is placed."""
    renderer = axes.figure.canvas.get_renderer()
    taken = 0.0  # pixels from the panel's right edge
    rise = PANEL_TITLE_STYLE["pad"] + (WORDS_ROW_POINTS if words_above else 0)
    for text, color in reversed(words):  # a point smaller than the title: they are a legend
        word = axes.annotate(text, xy=(1, 1), xycoords="axes fraction", textcoords="offset points",
                             xytext=(-taken * 72 / DPI, rise), ha="right", va="baseline",
                             fontsize=PANEL_TITLE_STYLE["fontsize"] - 1, color=color)
        taken += word.get_window_extent(renderer).width + 8
    if words_above:
        taken = 0.0
    for title in titles:
        left = axes.set_title(title, loc="left", **PANEL_TITLE_STYLE)
        if left.get_window_extent(renderer).width <= axes.bbox.width - taken:
            return
    fitted(left, axes.bbox.width - taken, renderer)
