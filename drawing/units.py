"""units.gif: a net's prediction as the sum of what each unit of its last hidden layer adds, frame
by frame, beside what training did to the units over the epochs (training error, gradient norm,
how many distinct things the units do, how many are saturated); and the comparison of several
runs' units for animate.py compare.

A unit's contribution is its activation on the grid times its outgoing weight; the contributions
and the output bias sum to the prediction. The engine records them for the first net of a run
only (net 0), and not for a run trained before they were recorded or too large to keep them:
then the pictures say so. Drawn by blitting, as frames.py's animations are.
"""

from __future__ import annotations

from dataclasses import dataclass

import matplotlib
import numpy as np
from matplotlib.collections import LineCollection
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter, LogLocator, MaxNLocator, NullLocator
from matplotlib.transforms import IdentityTransform

from drawing.curves import (BLOW_UP_HEADROOM, TRAINING_ERROR, axis_epochs, curve_points, data_range,
                            drawable_predictions, prepare_fonts, run_description, shared_axis_epochs, style_loss_axes,
                            training_curve)
from drawing.frames import (HEADER_ROWS, MARGIN, NOTE_OFFSET, CompareAnimation, RunAnimation, clear_of_notes,
                            compare_caption, compare_frame_epochs, compare_numbers, compare_panels, ended_notes,
                            fit_limits, fit_panel, header_text, label_width, latest_snapshot, legend_above, new_canvas,
                            notes_of_early_end, panel_limits, panel_title, pinned, place_panels, shared_scales)
from drawing.style import COLORS, DPI, RUN_COLORS, fitted, plain_tick_labels
import rundir
from rundir import Run

# The units' colours: matplotlib's plasma without its last, pale yellows (faint on white). It
# holds no pure blue, green or grey, so no unit looks like the prediction, the noise floor or
# the data.
UNIT_COLORMAP, UNIT_COLOR_SPAN = "plasma", (0.0, 0.85)
# How far beyond the data's range, as a share of it, the fit panel reaches to show the units.
# Units that cancel each other (Adam's do) can be larger than the data; a panel scaled to the
# largest would squash the data and the prediction flat. Curves beyond are pinned to its edge.
UNITS_HEADROOM = 0.5
# The saturation of each hidden layer: the prediction's blue for the first, then the runs' colours.
LAYER_COLORS = [COLORS["net"]] + RUN_COLORS[2:]  # (a deeper net's layers take them again, in turn)
# In a comparison, where each run has its colour, a run's hidden layers differ by line style.
LAYER_STYLES = ["-", "--", ":", "-."]
PANEL_TITLE_STYLE = {"fontsize": 8, "pad": 2}
TICK_FONTSIZE = 7
# units.gif's layout: the fit panel's share of the width the panels have, and, in pixels, the
# room of a small panel's title row and the gap below each small panel.
FIT_SHARE = 0.56
PANEL_TITLE_ROOM, PANEL_GAP = 12, 5
UNIT_VERTEX_PIXELS = 3
# The note of a run whose units are missing, at the top of its fit panel, is known by this id.
MISSING_UNITS = "missing units"
MINOR_LABEL_DECADE_PIXELS = 35


# --- what is drawn ------------------------------------------------------------------------------

def drawable_contributions(run: Run) -> np.ndarray | None:
    """Net 0's unit contributions (frames, units, grid) as a panel shows them, or None if the run
    has none: a frame whose contributions are not all finite (the net blew up) shows the last
    one that was, as drawable_predictions does for the prediction; before any, NaN (not drawn)."""
    if "unit_contributions" not in run.per_frame:
        return None
    # Drawn from the y the net's zero stands for: a net trained on standardized points (a CSV's)
    # adds its units to the mean of y, hundreds away from 0 in data such as CO2 in ppm.
    stored = run.per_frame["unit_contributions"][:, 0]  # float64 in a CSV run: its baseline may be 1e9
    contributions = stored + stored.dtype.type(run.units_baseline)  # a copy, filled in below
    finite = np.isfinite(contributions).all(axis=(1, 2))
    last = None
    for index in range(len(contributions)):
        if finite[index]:
            last = index
        elif last is not None:
            contributions[index] = contributions[last]
        else:
            contributions[index] = np.nan
    return contributions


def unit_colors(contributions: np.ndarray) -> np.ndarray:
    """Each unit's colour (units, 4), the same in every frame: units ordered by where their step
    (the steepest point of their contribution) sits at the last frame, so neighbouring colours
    are neighbours in x and the trained layer reads as a left-to-right sweep of the colour map.
    (By index, the colours would say nothing: a unit's index is an accident of initialisation.)"""
    last = contributions[-1]
    steepest = np.argmax(np.abs(np.diff(np.nan_to_num(last), axis=1)), axis=1)
    rank = np.empty(len(last), dtype=np.float64)
    rank[np.argsort(steepest, kind="stable")] = np.arange(len(last))
    low, high = UNIT_COLOR_SPAN
    return matplotlib.colormaps[UNIT_COLORMAP](low + (high - low) * rank / max(len(last) - 1, 1))


def units_limits(data_limits: tuple[float, float], contributions: list[np.ndarray | None]) -> tuple[float, float]:
    """The fit panel's y limits: the data's (fit_limits), widened to the finite values of the units'
    contributions, but by at most UNITS_HEADROOM of the data's span on each side. Not to the
    prediction's: a diverging net's runs off to 1e18, and is pinned to the edge as in fit.gif."""
    low, high = data_limits
    values = np.concatenate([np.zeros(0)] + [np.ravel(curve) for curve in contributions if curve is not None])
    values = values[np.isfinite(values)]
    if len(values) == 0:
        return low, high
    room = UNITS_HEADROOM * (high - low)
    pad = 0.05 * (high - low)  # a widened side keeps a little room past its extreme curve
    reach_low, reach_high = float(values.min()) - pad, float(values.max()) + pad
    return max(min(low, reach_low), low - room), min(max(high, reach_high), high + room)


@dataclass
class Diagnostic:
    """A quantity shown over epochs beside the units. curves: per line (one, or one per hidden
    layer) epochs from 1 and values (points, nets); None when the run did not record it. titles:
    the panel's title, then shorter ones for narrow panels.
    mark_epochs (frames,) and mark_values (frames, lines): where net 0's mark goes at each frame.
    ceiling: the largest value the quantity can take, where there is one."""

    name: str
    titles: tuple[str, ...]
    log_scale: bool
    curves: list[tuple[np.ndarray, np.ndarray]] | None
    mark_epochs: np.ndarray | None = None
    mark_values: np.ndarray | None = None
    ceiling: float | None = None


def training_error(run: Run) -> Diagnostic:
    """The training error of the weights after each epoch (curves.training_curve); the mark is
    the error of the weights the frame shows, the number its header states."""
    return Diagnostic("loss", ("training MSE (log scale)", "training MSE"), True, [training_curve(run)],
                      run.frame_epochs, run.frame_loss[:, :1].astype(np.float64))


def gradient_norm(run: Run) -> Diagnostic:
    """Each epoch's gradient norm, drawn at the epoch of the weights it was taken at (the update of
    epoch e starts from the weights after e - 1 epochs), as the training error is. The final
    weights have no gradient recorded: the last frame marks the last update's."""
    titles = ("gradient norm (log scale)", "gradient norm")
    if "grad_norm" not in run.per_epoch or len(run.per_epoch["grad_norm"]) == 0:
        return Diagnostic("grad_norm", titles, True, None)
    values = run.per_epoch["grad_norm"].astype(np.float64)
    epochs, thinned = curve_points(values, first_epoch=0)
    at = np.minimum(run.frame_epochs, len(values) - 1)
    return Diagnostic("grad_norm", titles, True, [(epochs[epochs >= 1], thinned[epochs >= 1])], at, values[at, :1])


def per_frame_diagnostic(run: Run, name: str, titles: tuple[str, ...], ceiling: float) -> Diagnostic:
    """A quantity recorded at each frame, as lines through the frame epochs (one per hidden layer
    for saturated_fraction)."""
    if name not in run.per_frame:
        return Diagnostic(name, titles, False, None, ceiling=ceiling)
    values = run.per_frame[name].astype(np.float64)
    values = values if values.ndim == 3 else values[:, :, None]  # (frames, nets, lines)
    trained = run.frame_epochs >= 1  # epoch 0 has no place on the log epoch axis
    curves = [(run.frame_epochs[trained], values[trained, :, line]) for line in range(values.shape[2])]
    return Diagnostic(name, titles, False, curves, run.frame_epochs, values[:, 0, :], ceiling)


def distinct_units(run: Run) -> Diagnostic:
    """How many really different things the last hidden layer's units do (1 to its width)."""
    width = run.config.hidden_layers[-1]
    return per_frame_diagnostic(run, "distinct_units", distinct_titles(str(width)), width)


def distinct_titles(widths: str) -> tuple[str, ...]:
    return f"distinct units (effective rank, of {widths})", f"distinct units (of {widths})"


def saturation(run: Run) -> Diagnostic:
    """The share of (unit, training point) pairs where a unit's slope is nearly flat, per hidden layer."""
    titles = ("saturated share (units × points)", "saturated share")
    return per_frame_diagnostic(run, "saturated_fraction", titles, 1.0)


def finite_values(diagnostics: list[Diagnostic]) -> tuple[np.ndarray, np.ndarray]:
    """All finite values of the diagnostics' curves, and those of nets whose curves stay finite."""
    values, calm = [np.zeros(0)], [np.zeros(0)]
    for diagnostic in diagnostics:
        for _, curve in diagnostic.curves or []:
            values.append(np.ravel(curve[np.isfinite(curve)]))
            calm.append(np.ravel(curve[:, np.isfinite(curve).all(axis=0)]))
    return np.concatenate(values), np.concatenate(calm)


def value_limits(diagnostics: list[Diagnostic]) -> tuple[float, float]:
    """The y limits of a small panel showing these diagnostics (of one kind)."""
    values, calm = finite_values(diagnostics)
    if diagnostics[0].name == "saturated_fraction":
        return -0.03, 1.03  # a share: all of it, with a line at 0 or 1 clear of the frame
    if not diagnostics[0].log_scale:
        # From 0 up to the largest possible value, or lower when the curves stay low: a stuck
        # layer's 1.1 distinct units of 60 would otherwise lie flat along the panel's bottom.
        top = max(values.max(initial=0.0) * 1.2, 2.0)
        return 0.0, min(top, max(diagnostic.ceiling for diagnostic in diagnostics))
    positive = values[values > 0]
    if len(positive) == 0:
        return 1e-3, 1.0
    low, high = float(positive.min()), float(positive.max())
    calm = calm[calm > 0]
    if len(calm) and len(calm) < len(values):  # some net blew up: keep the others readable
        high = min(high, BLOW_UP_HEADROOM * float(calm.max()))
    return low / 1.5, max(high, low) * 1.5


# --- drawing ------------------------------------------------------------------------------------

def missing_units_note(run: Run) -> str:
    """Why a run has no unit contributions: too large to keep, or trained before they were recorded."""
    config = run.config
    size = rundir.unit_contributions_bytes(config.hidden_layers, config.grid_points, config.frames)
    if size > rundir.UNIT_CONTRIBUTIONS_BUDGET:
        return (f"unit contributions not recorded:\n{config.hidden_layers[-1]:,} units x {config.grid_points:,} "
                f"grid points x {config.frames + 1:,} frames\nwould take {size / 2**20:,.0f} MB "
                f"(limit {rundir.UNIT_CONTRIBUTIONS_BUDGET / 2**20:.0f} MB)")
    return "unit contributions not recorded (a run trained before they were)"


def add_unit_lines(axes, run: Run, contributions: np.ndarray | None) -> LineCollection | None:
    """The animated thin curves of the units in a fit panel (colours from unit_colors), or, for a
    run without them, a note at the top of the panel that says why (room_for_note keeps the data
    below it)."""
    if contributions is None:
        axes.annotate(missing_units_note(run), xy=(0.5, 1), xycoords="axes fraction", xytext=(0, -NOTE_OFFSET),
                      textcoords="offset pixels", ha="center", va="top", fontsize=7, color=COLORS["note"],
                      gid=MISSING_UNITS)
        return None
    # Not antialiased: 60 units' blended edges cost a third of a frame's drawing, and their many
    # shades crowd the GIF's palette of 255 colours (and double the file's size).
    units = contributions.shape[1]
    label = (f"{units} unit{'s' if units != 1 else ''} ({'mean y + ' if run.units_baseline else ''}"
             "activation × weight)")
    return axes.add_collection(LineCollection([], colors=unit_colors(contributions), linewidths=0.9, animated=True,
                                              antialiased=False, label=label))


def room_for_note(axes, data_limits: tuple[float, float], bottom: list = ()) -> tuple[float, float]:
    """Widen a placed fit panel's y limits, where needed, so that its data stay below the note that
    its units are missing, and above the notes along its bottom (frames.clear_of_notes); returns them."""
    return clear_of_notes(axes, data_limits, top=[text for text in axes.texts if text.get_gid() == MISSING_UNITS],
                          bottom=bottom)


def data_over_units(axes) -> list:
    """Make a fit panel's data points and true curve animated, to be drawn in every frame over the
    units (a dense band of them would hide the data); returns them. The points become markers of
    the scatter's size and edge: Agg draws those ten times as fast (0.15 ms against 1.4)."""
    scatter = axes.collections[0]
    x, y = scatter.get_offsets().T
    (points,) = axes.plot(x, y, "o", markersize=np.sqrt(scatter.get_sizes()[0]),
                          markeredgewidth=scatter.get_linewidths()[0], color=scatter.get_facecolor()[0],
                          markeredgecolor=scatter.get_edgecolor()[0], clip_on=False, gid=scatter.get_gid(),
                          label="data", animated=True)  # not "noisy data": the legend is crowded
    scatter.remove()
    for line in axes.lines:
        line.set_animated(True)
    return [points] + [line for line in axes.lines if line is not points]


def drawn_columns(grid_points: int, axes) -> np.ndarray:
    """The grid points the units' curves are drawn through: about one every UNIT_VERTEX_PIXELS
    pixels of the panel's width (or all of them). A sigmoid unit's curve is smooth at that scale,
    and every vertex of 60 curves costs drawing time (200 of them took half of a frame's)."""
    pixels = axes.get_window_extent(axes.figure.canvas.get_renderer()).width
    count = min(grid_points, max(2, int(pixels / UNIT_VERTEX_PIXELS)))
    return np.unique(np.round(np.linspace(0, grid_points - 1, count)).astype(np.int64))


def unit_segments(x: np.ndarray, units: int) -> np.ndarray:
    """An array of the units' curves as a LineCollection takes them, (units, points, 2), its x set:
    each frame fills in the y."""
    segments = np.zeros((units, len(x), 2), np.result_type(x, np.float32))  # float64 x (a CSV's) stays exact
    segments[..., 0] = x
    return segments


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


def place_units_panels(figure, fit_axes, column: list, fit_top: int, column_top: int, bottom: int) -> None:
    """Place the fit panel between pixel rows fit_top and bottom (from the top) and the small panels
    stacked beside it between column_top and bottom, each under a title row, the fit panel taking
    FIT_SHARE of the width left once every panel's y tick labels and label are measured."""
    width, height = figure.canvas.get_width_height()
    renderer = figure.canvas.get_renderer()
    slot = (height - column_top - bottom + PANEL_GAP) / len(column)
    # Twice: which ticks a log axis labels depends on its size (see frames.place_panels).
    for _ in range(2):
        fit_gutter = label_width(fit_axes, renderer) + 10
        column_gutter = max(label_width(axes, renderer) for axes in column) + 10
        room = width - 2 * MARGIN - fit_gutter - column_gutter - 8
        fit_width, column_left = room * FIT_SHARE, fit_gutter + room * FIT_SHARE + 8 + column_gutter
        fit_axes.set_position([fit_gutter / width, bottom / height, fit_width / width,
                               (height - fit_top - bottom) / height])
        for position, axes in enumerate(column):
            top = column_top + position * slot + PANEL_TITLE_ROOM
            axes_height = slot - PANEL_TITLE_ROOM - PANEL_GAP
            axes.set_position([column_left / width, 1 - (top + axes_height) / height,
                               (width - MARGIN - column_left) / width, axes_height / height])


def layer_colors(layers: int) -> list[str]:
    return [LAYER_COLORS[layer % len(LAYER_COLORS)] for layer in range(layers)]


def layer_words(layers: int) -> list[tuple[str, str]]:
    """Which saturation line is which hidden layer, as (word, colour) pairs: 'layer 1', 'layer 2',
    or, for a deeper net, 'layer 1', '2', '3', ... (each number in its colour); none for one layer."""
    if layers < 2:
        return []
    names = [f"layer {layer + 1}" if layer == 0 or layers == 2 else str(layer + 1) for layer in range(layers)]
    return list(zip(names, layer_colors(layers)))


def title_row(axes, titles: tuple[str, ...], words: list[tuple[str, str]] = ()) -> None:
    """A small panel's title row: at the left the first of its titles that fits beside the (text,
    colour) words at the right (the noise floor, which line is which layer), or the last one
    shortened with '…'. Called once the panel is placed."""
    renderer = axes.figure.canvas.get_renderer()
    taken = 0.0  # pixels from the panel's right edge
    for text, color in reversed(words):  # a point smaller than the title: they are a legend
        word = axes.annotate(text, xy=(1, 1), xycoords="axes fraction", textcoords="offset points",
                             xytext=(-taken * 72 / DPI, PANEL_TITLE_STYLE["pad"]), ha="right", va="baseline",
                             fontsize=PANEL_TITLE_STYLE["fontsize"] - 1, color=color)
        taken += word.get_window_extent(renderer).width + 8
    for title in titles:
        left = axes.set_title(title, loc="left", **PANEL_TITLE_STYLE)
        if left.get_window_extent(renderer).width <= axes.bbox.width - taken:
            return
    fitted(left, axes.bbox.width - taken, renderer)


class UnitsAnimation(RunAnimation):
    """units.gif: at each frame, the data and net 0's prediction as the sum of its last hidden
    layer's units (each a thin curve in its own colour, the same in every frame) and the output
    bias; beside it, over the epochs with the frame's epoch marked, the training error, the
    gradient norm, the distinct units and the saturated share of each hidden layer. A run of
    several nets shows net 0, the others faint in the small panels."""

    def __init__(self, run: Run, width_pixels: int = 800, height_pixels: int = 360):
        self.run = run
        prepare_fonts([run])
        self.figure, self.canvas = figure, canvas = new_canvas(width_pixels, height_pixels)
        if run.nets > 1:
            self.loss_label = f"net 0's {TRAINING_ERROR} "
        self.predictions = drawable_predictions(run)[:, 0]
        self.contributions = drawable_contributions(run)
        x_limits, data_limits = fit_limits([run])
        self.limits = units_limits(data_limits, [self.contributions])
        fit_axes = figure.add_subplot()
        fit_panel(fit_axes, run, (x_limits, self.limits))
        self.unit_lines = add_unit_lines(fit_axes, run, self.contributions)
        self.data_artists = data_over_units(fit_axes) if self.unit_lines else []
        prediction_label = "sum + bias = prediction" if self.unit_lines else "net's prediction"
        (self.prediction_line,) = fit_axes.plot(run.x_grid, self.predictions[0], color=COLORS["net"], linewidth=2.2,
                                                label=prediction_label, animated=True)

        self.diagnostics = [training_error(run), gradient_norm(run), distinct_units(run), saturation(run)]
        self.column = [figure.add_subplot()]
        self.column += [figure.add_subplot(sharex=self.column[0]) for _ in self.diagnostics[1:]]
        self._draw_diagnostics()
        place_units_panels(figure, fit_axes, self.column, fit_top=72, column_top=47, bottom=44)
        if self.unit_lines:
            columns = drawn_columns(len(run.x_grid), fit_axes)
            self.contributions = self.contributions[:, :, columns]
            self.segments = unit_segments(run.x_grid[columns], self.contributions.shape[1])
        self._titles()
        self.marks = EpochMarks(figure, self.column)
        self._legend(fit_axes)
        self.limits = room_for_note(fit_axes, data_range(run))  # once the panel's height is final
        self._captions(width_pixels)
        self._ending(fit_axes)
        canvas.draw()
        self.background = canvas.copy_from_bbox(figure.bbox)

    def _legend(self, fit_axes) -> None:
        """The fit panel's legend above it, clear of the small panels; a legend in two rows (at a
        small width) lowers the panel's top to stay clear of the header too."""
        renderer = self.canvas.get_renderer()
        handles = self.data_artists + [self.unit_lines, self.prediction_line] if self.unit_lines else None
        legend_above(fit_axes, room=self.column[0].yaxis.get_tightbbox(renderer).x0 - 8, handles=handles)
        height = self.canvas.get_width_height()[1]
        overlap = fit_axes.get_legend().get_window_extent(renderer).y1 - (height - HEADER_ROWS[1] - 6)
        if overlap > 0:
            left, bottom, width, panel_height = fit_axes.get_position().bounds
            fit_axes.set_position([left, bottom, width, panel_height - overlap / height])

    def description(self) -> str:
        if self.run.nets == 1:
            return run_description(self.run)
        return f"{run_description(self.run)}, net 0 (seed {int(self.run.seeds[0])}) shown"

    def _draw_diagnostics(self) -> None:
        """The small panels' curves, scales and ticks; epoch labels on the bottom one only."""
        run = self.run
        error_axes = self.column[0]
        style_loss_axes(error_axes, [run], label="")  # its limits, noise floor and divergence
        error_axes.set_xlabel("")
        layers = len(run.config.hidden_layers)
        for axes, diagnostic in zip(self.column, self.diagnostics):
            style_small_panel(axes, [diagnostic], axis_epochs(run))
            colors = layer_colors(layers) if diagnostic.name == "saturated_fraction" else [COLORS["net"]]
            draw_curves(axes, diagnostic, colors, ["-"] * len(colors), width=1.2)
        for axes in self.column[:-1]:
            axes.tick_params(labelbottom=False)
        self.column[-1].set_xlabel("epoch (log scale)", fontsize=8, labelpad=1)

    def _titles(self) -> None:
        """The small panels' title rows (once the panels are placed), with the noise floor and the
        hidden layers' colours at their right."""
        floor = self.run.noise_floor
        words = {"loss": [("noise floor unknown", COLORS["note"]) if floor is None else
                          (f"noise floor σ² = {floor:.3g}", COLORS["floor"])]}
        if self.diagnostics[3].curves is not None:
            words["saturated_fraction"] = layer_words(len(self.run.config.hidden_layers))
        for axes, diagnostic in zip(self.column, self.diagnostics):
            title_row(axes, diagnostic.titles, words.get(diagnostic.name, []))

    def frame(self, index: int) -> np.ndarray:
        """Draw frame `index` and return its pixels, (height, width, 4) RGBA (the canvas's own buffer)."""
        epoch = int(self.run.frame_epochs[index])
        self.canvas.restore_region(self.background)
        artists = []
        if self.unit_lines:
            self.segments[..., 1] = pinned(self.contributions[index], self.limits)
            self.unit_lines.set_segments(self.segments)
            artists += [self.unit_lines] + self.data_artists
        self.prediction_line.set_ydata(pinned(self.predictions[index], self.limits))
        artists.append(self.prediction_line)
        if epoch:  # epoch 0, the untrained net, has no place on the log epoch axes: no marks then
            artists += self.marks.update(epoch, frame_dots(self.diagnostics, index))
        return self._finished_frame(index, artists)


# A comparison's row of small panels below the runs' panels: its height in pixels, with the
# titles above it and the epoch axis's labels below.
COMPARE_DIAGNOSTICS_ROOM = 190


class CompareUnitsAnimation(CompareAnimation):
    """The units of 2 to 9 one-net runs side by side, in step (as, and with the numbers of, CompareAnimation): one
    panel per run of its units and prediction, titled with its label, what was trained and the
    training error; below, the gradient norm, distinct units and saturated share of every run on
    shared log epoch axes, one colour per run (the square before its title), the frame's epoch marked."""

    def __init__(self, runs: list[Run], labels: list[str], note: str):
        self.runs = runs
        prepare_fonts(runs, labels)
        self.epochs = compare_frame_epochs(runs)
        self.predictions = [drawable_predictions(run)[:, 0] for run in runs]
        contributions = [drawable_contributions(run) for run in runs]
        limits = panel_limits(runs)
        if shared_scales(runs):  # widened for every run's units at once, so the panels stay alike
            limits = [(x_limits, units_limits(data_limits, contributions)) for x_limits, data_limits in limits]
        else:
            limits = [(x_limits, units_limits(data_limits, [units]))
                      for (x_limits, data_limits), units in zip(limits, contributions)]
        self.limits = [y_limits for _, y_limits in limits]
        self.figure, self.canvas, panels = compare_panels(runs, limits, COMPARE_DIAGNOSTICS_ROOM)
        figure, canvas = self.figure, self.canvas
        from_mean = " (+ mean y for data from a file)" if any(run.units_baseline for run in runs) else ""
        units_note = (f"thin lines: units (activation × weight){from_mean}, a colour each · "
                      "blue: their sum + output bias = prediction")
        self.caption_numbers, self.epoch_right = compare_caption(figure, self.epochs, note, (units_note,))
        self.colors = RUN_COLORS[: len(runs)]
        self.unit_lines = [add_unit_lines(axes, run, units) for axes, run, units in zip(panels, runs, contributions)]
        self.ended_notes = ended_notes(panels, runs)
        for axes, run, ended in zip(panels, runs, notes_of_early_end(self.ended_notes, runs, self.epochs)):
            room_for_note(axes, data_range(run), bottom=ended)
        self.limits = [axes.get_ylim() for axes in panels]  # (panels sharing their scales widen together)
        self.data_artists = [data_over_units(axes) if lines else [] for axes, lines in zip(panels, self.unit_lines)]
        self.lines = [axes.plot(run.x_grid, predictions[0], color=COLORS["net"], linewidth=2, animated=True)[0]
                      for axes, run, predictions in zip(panels, runs, self.predictions)]
        self.contributions, self.segments = [], []
        for run, axes, run_contributions in zip(runs, panels, contributions):
            columns = drawn_columns(len(run.x_grid), axes)
            self.contributions.append(None if run_contributions is None else run_contributions[:, :, columns])
            self.segments.append(None if run_contributions is None else
                                 unit_segments(run.x_grid[columns], run_contributions.shape[1]))
        self.numbers, self.number_width = compare_numbers()
        self.number_positions = [panel_title(axes, run, label, self.number_width, swatch=color)
                                 for axes, run, label, color in zip(panels, runs, labels, self.colors)]
        self.diagnostics = [[gradient_norm(run), distinct_units(run), saturation(run)] for run in runs]
        self.row = self._diagnostic_row()
        self.marks = EpochMarks(figure, self.row)
        canvas.draw()
        self.background = canvas.copy_from_bbox(figure.bbox)

    def _diagnostic_row(self) -> list:
        """The small panels below the runs', each with every run's curve of one diagnostic."""
        figure = self.figure
        row = [figure.add_subplot()]
        row += [figure.add_subplot(sharex=row[0]) for _ in self.diagnostics[0][1:]]
        last_epoch = shared_axis_epochs(self.runs)
        for kind, axes in enumerate(row):
            diagnostics = [run_diagnostics[kind] for run_diagnostics in self.diagnostics]
            style_small_panel(axes, diagnostics, last_epoch)
            for diagnostic, run, color in zip(diagnostics, self.runs, self.colors):
                layers = len(run.config.hidden_layers)
                styles = [LAYER_STYLES[layer % len(LAYER_STYLES)] for layer in range(layers)]
                draw_curves(axes, diagnostic, [color] * layers, styles, width=1.2)
            axes.set_xlabel("epoch (log scale)", fontsize=8, labelpad=1)
        height = self.canvas.get_width_height()[1]
        place_panels(figure, row, top=height - COMPARE_DIAGNOSTICS_ROOM + 26, bottom=40, ratios=[1] * len(row))
        titles = [diagnostic.titles for diagnostic in self.diagnostics[0]]
        titles[1] = distinct_titles(" or ".join(str(width) for width in
                                                sorted({run.config.hidden_layers[-1] for run in self.runs})))
        most_layers = max(len(run.config.hidden_layers) for run in self.runs)
        # Layer 1 is solid as a curve of one layer is; only the others need saying.
        styles = {2: "layer 2 dashed", 3: "layer 2 dashed, 3 dotted"}
        layer_words = [(styles.get(most_layers, "layer 2 dashed, 3 dotted, 4 dash-dot"), COLORS["note"])]
        for axes, title, words in zip(row, titles, [[], [], layer_words if most_layers > 1 else []]):
            title_row(axes, title, words)
        return row

    def frame(self, index: int) -> np.ndarray:
        """Draw frame `index` and return its pixels (the canvas's own buffer, RGBA)."""
        epoch = int(self.epochs[index])
        self.canvas.restore_region(self.background)
        shown = [latest_snapshot(run, epoch) for run in self.runs]
        artists, dots = [], []
        for snapshot, lines, segments, contributions, data, line, predictions, run_diagnostics, limits in zip(
                shown, self.unit_lines, self.segments, self.contributions, self.data_artists, self.lines,
                self.predictions, self.diagnostics, self.limits):
            if lines:
                segments[..., 1] = pinned(contributions[snapshot], limits)
                lines.set_segments(segments)
                artists += [lines] + data
            line.set_ydata(pinned(predictions[snapshot], limits))
            artists.append(line)
            dots += frame_dots(run_diagnostics, snapshot)
        if epoch:  # epoch 0, the untrained nets, has no place on the log epoch axes: no marks then
            artists += self.marks.update(epoch, dots)
        for artist in artists + self.past_their_end(epoch) + self.on_top:
            self.figure.draw_artist(artist)
        return self.stamped_pixels(epoch, shown)
