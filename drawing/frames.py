"""The frames of the animations: fit.gif (one net), seeds.gif (many nets) and compare.gif, and
what units.py's animations share with them (RunAnimation's header and ending, a comparison's
panels, titles and caption).

Each animation draws everything that does not move once and keeps its pixels; a frame restores
them and draws only what moves (the prediction, the marker on the error curve) and the numbers
of its captions ("blitting"). frame(index) returns the canvas's RGBA pixels: the array is the
canvas's own buffer, valid until the next call.
"""

from __future__ import annotations

import textwrap
from functools import cached_property

import matplotlib
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties, findfont, get_font

from drawing.curves import (TRAINING_ERROR, data_range, draw_error_curves, drawable_predictions, ended_words,
                            past_end_words, prepare_fonts, run_description, status_caption, style_loss_axes,
                            truth_label)
from drawing.style import (COLORS, DPI, axis_name, fitted, format_loss, offsets_into_labels, plain_text, text_width,
                           wrapped)
from rundir import Run, median_over_nets

CAPTION_FONTSIZE = 11
CAPTION_STYLE = {"fontsize": CAPTION_FONTSIZE, "fontweight": "bold", "va": "baseline"}
HEADER_ROWS = (22, 40)  # baselines of the header's two lines, in pixels from the top
HEADER_ROW_STEP = HEADER_ROWS[1] - HEADER_ROWS[0]  # a comparison's header may take more lines
MARGIN = 12  # pixels at the figure's edges


def header_baseline(row: int) -> int:
    """The baseline of the header's line `row` (0, 1, ...), in pixels from the top."""
    return HEADER_ROWS[0] + HEADER_ROW_STEP * row


class NumberStamper:
    """Writes short numbers onto a canvas fast, from glyph images matplotlib rendered once.

    matplotlib lays out and rasterizes every glyph of a text each time it is drawn, about 1.5 ms
    for a six-digit number: more than everything else in a frame together. The numbers on a frame
    use a dozen characters, so each is rendered once, by matplotlib in the caption's font, and a
    number is then stamped glyph by glyph (alpha-blended) at the font's own advance widths.
    """

    CHARACTERS = "0123456789,.-+e notfi"  # numbers as format_loss writes them, "not finite" too

    def __init__(self, fontsize: float, fontweight: str = "bold"):
        font_properties = FontProperties(size=fontsize, weight=fontweight)
        font = get_font(findfont(font_properties))
        font.set_size(fontsize, DPI)
        # All characters on one transparent scratch canvas, each in a cell of its own.
        cell = int(fontsize * 3)
        width, height = cell * len(self.CHARACTERS), 2 * cell
        scratch = Figure(figsize=(width / DPI, height / DPI), dpi=DPI, facecolor="none")
        canvas = FigureCanvasAgg(scratch)
        pen_x, baseline_y = cell // 4, cell  # in each cell: pixels from its left, from the bottom
        for position, character in enumerate(self.CHARACTERS):
            scratch.text((position * cell + pen_x) / width, baseline_y / height, character,
                         fontproperties=font_properties, color="black", va="baseline", ha="left")
        canvas.draw()
        coverage = np.asarray(canvas.buffer_rgba())[..., 3].astype(np.float32) / 255
        self.glyphs = {}
        for position, character in enumerate(self.CHARACTERS):
            alpha = coverage[:, position * cell : (position + 1) * cell]
            rows, columns = np.nonzero(alpha)
            if len(rows) == 0:  # a space: nothing to stamp
                rows, columns = np.array([0]), np.array([0])
            top, bottom, left, right = rows.min(), rows.max() + 1, columns.min(), columns.max() + 1
            advance = font.load_char(ord(character)).linearHoriAdvance / 65536
            # The glyph image, its offset from the pen position on the baseline (rows downwards,
            # columns rightwards), and how far the pen then moves.
            self.glyphs[character] = (alpha[top:bottom, left:right, None], top - (height - baseline_y), left - pen_x, advance)

    def width(self, text: str) -> float:
        return sum(self.glyphs[character][3] for character in text)

    def stamp(self, pixels: np.ndarray, text: str, x: float, baseline_row: int, color: str, align: str = "left") -> None:
        """Blend `text` in `color` into an RGBA pixel array, its baseline on baseline_row, starting
        (or, with align='right', ending) at column x."""
        rgb = np.array(matplotlib.colors.to_rgb(color), dtype=np.float32) * 255
        pen = x - self.width(text) if align == "right" else x
        for character in text:
            alpha, row_offset, column_offset, advance = self.glyphs[character]
            row, column = baseline_row + row_offset, int(round(pen)) + column_offset
            region = pixels[row : row + alpha.shape[0], column : column + alpha.shape[1], :3]
            blend = alpha[: region.shape[0], : region.shape[1]]
            region[...] = (region * (1 - blend) + rgb * blend + 0.5).astype(np.uint8)
            pen += advance


def new_canvas(width: int, height: int):
    figure = Figure(figsize=(width / DPI, height / DPI), dpi=DPI)
    return figure, FigureCanvasAgg(figure)


def draw_epoch_caption(figure, numbers: NumberStamper, last_epoch: int) -> tuple[float, float]:
    """Write the words of "epoch N of LAST" at the top left of a frame, leaving N's place empty.

    N is stamped on each frame, right-aligned in a slot as wide as LAST, so the words after it
    stay put. Returns the right edge of that slot and of the whole caption, in pixels.
    """
    width, height = figure.canvas.get_width_height()
    renderer, baseline = figure.canvas.get_renderer(), 1 - HEADER_ROWS[0] / height
    label = figure.text(MARGIN / width, baseline, "epoch ", **CAPTION_STYLE)
    epoch_right = MARGIN + label.get_window_extent(renderer).width + numbers.width(f"{last_epoch:,}")
    total = figure.text(epoch_right / width, baseline, f" of {last_epoch:,}", **CAPTION_STYLE)
    return epoch_right, epoch_right + total.get_window_extent(renderer).width


def header_text(figure, row: int, text: str, left: float, right: float, **style):
    """A line of the header between pixel columns left and right (shortened with '…' to fit)."""
    width, height = figure.canvas.get_width_height()
    artist = figure.text(right / width if style.get("ha") == "right" else left / width,
                         1 - header_baseline(row) / height, text, va="baseline", **style)
    fitted(artist, right - left, figure.canvas.get_renderer())
    return artist


def fit_limits(runs: list[Run]) -> tuple[tuple[float, float], tuple[float, float]]:
    """The x and y limits a fit panel needs to show every run's data and true curve."""
    y_ranges = np.array([data_range(run) for run in runs])
    low, high = float(y_ranges[:, 0].min()), float(y_ranges[:, 1].max())
    x_limits = (min(float(run.x_grid[0]) for run in runs), max(float(run.x_grid[-1]) for run in runs))
    return x_limits, (low - 0.12 * (high - low), high + 0.12 * (high - low))


# With fewer training points than this, each is drawn larger, outlined, and over the prediction in
# every frame (on_top): a net that fits a single point draws its line right through it.
FEW_POINTS = 20
DATA_ON_TOP = "data on top"


def fit_panel(axes, run: Run, limits=None) -> None:
    """The fixed parts of a fit panel: the data (whole, where they lie on its edge), the true curve,
    the axes and their limits (by default the run's own: see fit_limits)."""
    data_label = "noisy data" if run.noise_floor else "data"
    few = {"s": 30, "edgecolors": COLORS["truth"], "linewidths": 0.8, "gid": DATA_ON_TOP} \
        if len(run.x_train) < FEW_POINTS else {"s": 6}
    axes.scatter(run.x_train, run.y_train, color=COLORS["data"], label=data_label, zorder=1, clip_on=False, **few)
    if run.y_grid_true is not None:
        axes.plot(run.x_grid, run.y_grid_true, color=COLORS["truth"], linestyle=":", linewidth=1.5,
                  label=truth_label(run), zorder=2)
    x_limits, y_limits = limits or fit_limits([run])
    axes.set_xlim(*x_limits)
    axes.set_ylim(*y_limits)
    axes.set_xlabel(axis_name(run.axis_names[0]))
    axes.set_ylabel(axis_name(run.axis_names[1]))
    offsets_into_labels(axes)



def on_top(figure) -> list:
    """What a frame draws over its moving artists: the data of a panel of few points (FEW_POINTS)."""
    return [artist for axes in figure.axes for artist in axes.get_children() if artist.get_gid() == DATA_ON_TOP]


def pinned(prediction: np.ndarray, limits: tuple[float, float]) -> np.ndarray:
    """A prediction as a panel with these y limits draws it: a diverging net predicts numbers
    far off the panel, and they are pinned just inside its edge, so the line stays in sight."""
    low, high = limits
    margin = 0.005 * (high - low)
    return np.clip(prediction, low + margin, high - margin)


# Notes along a panel's top or bottom edge stand this many pixels inside it.
NOTE_OFFSET = 4


def clear_of_notes(axes, data_limits: tuple[float, float], top: list = (), bottom: list = ()) -> tuple[float, float]:
    """Widen a placed panel's y limits, where needed, so that its data (their lowest and highest y)
    stay clear of the notes along its top and bottom edges; returns the limits."""
    renderer = axes.figure.canvas.get_renderer()

    def share(notes: list) -> float:  # of the panel's height, with NOTE_OFFSET either side
        return max((2 * NOTE_OFFSET + note.get_window_extent(renderer).height for note in notes), default=0.0) \
            / axes.bbox.height

    top_share, bottom_share = share(top), share(bottom)
    low, high = axes.get_ylim()
    data_low, data_high = data_limits
    for _ in range(4):  # each side's room depends on the other's: a few rounds settle it
        if top_share:
            high = max(high, low + (data_high - low) / (1 - top_share))
        if bottom_share:
            low = min(low, high - (high - data_low) / (1 - bottom_share))
    axes.set_ylim(low, high)
    return low, high


class OffChartNotes:
    """What a fit panel says, at the left of its top or bottom edge, on a frame whose curves lie
    beyond that edge, along which they are drawn (pinned): '▲ off the chart: prediction'. (The
    right of its bottom edge is a comparison's panel's note that its run has ended.)"""

    def __init__(self, axes):
        style = {"xycoords": "axes fraction", "textcoords": "offset pixels", "ha": "left", "fontsize": 8,
                 "color": COLORS["note"], "animated": True,
                 "bbox": {"facecolor": "white", "edgecolor": "none", "alpha": 0.85, "pad": 1}}
        self.axes = axes
        self.above = axes.annotate("▲ off the chart", xy=(0, 1), xytext=(NOTE_OFFSET, -NOTE_OFFSET), va="top", **style)
        self.below = axes.annotate("▼ off the chart", xy=(0, 0), xytext=(NOTE_OFFSET, NOTE_OFFSET), va="bottom",
                                   **style)

    def make_room(self, data_limits: tuple[float, float], predictions: np.ndarray,
                  bottom: list = ()) -> tuple[float, float]:
        """Widen the placed panel's y limits so that the data stay clear of the notes that some
        frame of these predictions will need, and of other notes along its bottom edge
        (clear_of_notes); returns the limits."""
        low, high = self.axes.get_ylim()
        with np.errstate(invalid="ignore"):
            above, below = (predictions > high).any(), (predictions < low).any()
        return clear_of_notes(self.axes, data_limits, [self.above] if above else [],
                              ([self.below] if below else []) + list(bottom))

    def update(self, curves: list[tuple[str, np.ndarray]]) -> list:
        """The notes for a frame whose named curves have these values (before pinning), to be drawn."""
        low, high = self.axes.get_ylim()
        notes = []
        for note, arrow, beyond in ((self.above, "▲", np.greater), (self.below, "▼", np.less)):
            with np.errstate(invalid="ignore"):
                names = [name for name, values in curves if beyond(values, high if note is self.above else low).any()]
            if names:
                note.set_text(f"{arrow} off the chart: {', '.join(names)}")
                notes.append(note)
        return notes


def place_panels(figure, panels: list, top: float, bottom: float, ratios: list[float]) -> None:
    """Place axes side by side between pixel rows top and bottom (from the top), each as wide as its
    ratio of the room left once every panel's y tick labels and label are measured."""
    width, height = figure.canvas.get_width_height()
    renderer = figure.canvas.get_renderer()
    # Twice: which ticks a log axis labels depends on its size, so the labels measured at the
    # first placing may be narrower than those drawn at the second.
    for _ in range(2):
        gutters = [axes.yaxis.get_tightbbox(renderer).width + 10 for axes in panels]
        # The right margin leaves room for half of the last epoch's tick label, centred on the edge.
        room = width - 2 * MARGIN - sum(gutters) - 8 * (len(panels) - 1)
        left = 0.0
        for axes, gutter, ratio in zip(panels, gutters, ratios):
            left += gutter
            panel_width = room * ratio / sum(ratios)
            axes.set_position([left / width, bottom / height, panel_width / width, (height - top - bottom) / height])
            left += panel_width + 8


def legend_above(axes, room: float, handles: list | None = None) -> None:
    """The panel's legend (of these handles, by default its labelled artists) above it, in one row
    in the largest font (8 to 6 points) that fits in `room` pixels from the panel's left edge, or
    else in two columns (at 7 or 6 points)."""
    renderer = axes.figure.canvas.get_renderer()
    for columns, fontsize in ((4, 8), (4, 7), (4, 6), (2, 7), (2, 6)):
        legend = axes.legend(**({"handles": handles} if handles else {}), loc="lower left", bbox_to_anchor=(0, 1),
                             fontsize=fontsize, ncol=columns, handlelength=1.5, columnspacing=1.0, frameon=False,
                             borderaxespad=0.2)
        extent = legend.get_window_extent(renderer)
        if extent.x1 <= room:
            return


def ending_text(axes, caption: str, color: str):
    """The boxed words a run's last frame ends with ('diverged after 37 epochs ...'), sized to fit its
    panel: the font shrinks to 7 points, then the words are wrapped onto more lines."""
    text = axes.text(0.5, 0.5, caption, transform=axes.transAxes, ha="center", va="center", fontsize=12,
                     fontweight="bold", color=color, animated=True,
                     bbox={"facecolor": "white", "edgecolor": COLORS["marker"], "alpha": 0.9})
    renderer = axes.figure.canvas.get_renderer()
    room = axes.get_window_extent(renderer).width - 16
    while text.get_fontsize() > 7 and text.get_window_extent(renderer).width > room:
        text.set_fontsize(text.get_fontsize() - 1)
    line_length = max(len(line) for line in caption.splitlines())
    while line_length > 8 and text.get_window_extent(renderer).width > room:
        line_length -= 4
        text.set_text("\n".join(textwrap.fill(line, line_length) for line in caption.splitlines()))
    return text


class RunAnimation:
    """What the animations of one run share (fit.gif, seeds.gif, units.gif): a frame per snapshot,
    the header with the frame's epoch and training error, and the ending of a run that did not
    complete. A subclass sets run, figure and canvas, then calls _captions and _ending."""

    loss_label = f"{TRAINING_ERROR} "

    @property
    def frame_count(self) -> int:
        return len(self.run.frame_epochs)

    @cached_property
    def on_top(self) -> list:
        return on_top(self.figure)

    def description(self) -> str:
        """What was trained, as header line 2 says it."""
        return run_description(self.run)

    def _captions(self, width: int) -> None:
        """Header line 1: 'epoch N of TOTAL   training MSE L' (the numbers stamped per frame) and the
        run's name; line 2: what was trained and the noise floor."""
        renderer = self.canvas.get_renderer()
        self.numbers = NumberStamper(CAPTION_FONTSIZE)
        self.epoch_right, caption_right = draw_epoch_caption(self.figure, self.numbers, self.run.epochs_requested)
        loss_label = header_text(self.figure, 0, self.loss_label, caption_right + 20, width, color=COLORS["net"],
                                 fontsize=CAPTION_FONTSIZE, fontweight="bold")
        self.loss_left = caption_right + 20 + loss_label.get_window_extent(renderer).width
        name_left = self.loss_left + max(self.numbers.width("0.0000"), self.numbers.width("not finite")) + 20
        name = header_text(self.figure, 0, self.run.name, name_left, width - MARGIN, ha="right", fontsize=10,
                           fontweight="bold")
        floor = self.run.noise_floor
        floor_text = f"noise floor σ² = {floor:.3g}" if floor is not None else "noise floor unknown"
        line_2 = f"{self.description()} · {floor_text}"
        if name.get_text() != self.run.name:  # no room for the whole name on line 1: it leads line 2
            name.remove()
            line_2 = f"{self.run.name} · {line_2}"
        header_text(self.figure, 1, line_2, MARGIN, width - MARGIN, fontsize=9, color=COLORS["note"])

    def _ending(self, panel) -> None:
        """The words the last frame of a run that did not complete says about how it ended, in `panel`."""
        caption = status_caption(self.run)
        self.ending = caption and ending_text(panel, caption, COLORS["marker"] if self.run.status == "diverged"
                                              else COLORS["note"])

    def frame_loss(self, index: int) -> float:
        """The training error the caption and the marker show for frame `index`."""
        return float(self.run.frame_loss[index, 0])

    def _finished_frame(self, index: int, artists: list) -> np.ndarray:
        """Draw frame `index`'s moving artists (and, on the last frame, how the run ended) over the
        restored background; return the pixels with the frame's epoch and training error stamped
        into the header's empty slots."""
        for artist in artists + self.on_top:
            self.figure.draw_artist(artist)
        if index == self.frame_count - 1 and self.ending:
            self.figure.draw_artist(self.ending)
        pixels = np.asarray(self.canvas.buffer_rgba())
        self.numbers.stamp(pixels, f"{int(self.run.frame_epochs[index]):,}", self.epoch_right, HEADER_ROWS[0],
                           "black", "right")
        self.numbers.stamp(pixels, format_loss(self.frame_loss(index)), self.loss_left, HEADER_ROWS[0], COLORS["net"])
        return pixels


class FitAnimation(RunAnimation):
    """fit.gif: the data and the net's prediction at each frame, beside its error curves with the
    frame's epoch marked. SeedsAnimation draws many nets the same way."""

    def __init__(self, run: Run, width_pixels: int = 800, height_pixels: int = 360):
        self.run = run
        prepare_fonts([run])
        self.figure, self.canvas = figure, canvas = new_canvas(width_pixels, height_pixels)
        self.predictions = drawable_predictions(run)
        fit_axes, loss_axes = figure.subplots(1, 2)
        fit_panel(fit_axes, run)
        self.prediction_limits = fit_axes.get_ylim()
        self._add_predictions(fit_axes)

        style_loss_axes(loss_axes, [run], label="MSE (log scale)")
        draw_error_curves(loss_axes, run, width=1.2)
        loss_axes.legend(loc="best", fontsize=7)  # where it hides least of the curves, found once
        (self.marker,) = loss_axes.plot([], [], "o", color=COLORS["marker"], markersize=6, animated=True, zorder=5,
                                        clip_on=False)
        self.epoch_line = loss_axes.axvline(1, color=COLORS["marker"], linewidth=0.8, alpha=0.6, animated=True)
        place_panels(figure, [fit_axes, loss_axes], top=72, bottom=44, ratios=[1.35, 1])
        self.off_chart = OffChartNotes(fit_axes)
        self.prediction_limits = self.off_chart.make_room(data_range(run), self.predictions)
        legend_above(fit_axes, room=width_pixels - MARGIN)

        self._captions(width_pixels)
        self._ending(fit_axes)
        canvas.draw()
        self.background = canvas.copy_from_bbox(figure.bbox)

    def _add_predictions(self, fit_axes) -> None:
        """The animated artists of the fit panel."""
        (self.prediction_line,) = fit_axes.plot(
            self.run.x_grid, self.predictions[0, 0], color=COLORS["net"], linewidth=2.2, label="net's prediction",
            animated=True, zorder=3,
        )

    def _visible(self, prediction: np.ndarray) -> np.ndarray:
        return pinned(prediction, self.prediction_limits)

    def _update_predictions(self, index: int) -> list:
        """Set the fit panel's animated artists to frame `index`; return them to be drawn."""
        prediction = self.predictions[index, 0]
        self.prediction_line.set_ydata(self._visible(prediction))
        return [self.prediction_line] + self.off_chart.update([("prediction", prediction)])

    def frame(self, index: int) -> np.ndarray:
        """Draw frame `index` and return its pixels, (height, width, 4) RGBA (the canvas's own buffer)."""
        epoch = int(self.run.frame_epochs[index])
        self.canvas.restore_region(self.background)
        self.marker.set_data([epoch], [self.frame_loss(index)])
        self.epoch_line.set_xdata([epoch, epoch])
        # Epoch 0, the untrained net, has no place on the log epoch axis: no marker then.
        return self._finished_frame(index, self._update_predictions(index) + ([self.epoch_line, self.marker]
                                                                             if epoch else []))


class SeedsAnimation(FitAnimation):
    """seeds.gif: many nets from different seeds learning the same data. The median prediction in
    bold, the band between the 10th and 90th percentile of the nets' predictions, and every net's
    prediction as a faint line (a net whose error is no longer finite is left out); beside it
    every net's training error, the median in bold. The caption gives the median training error."""

    loss_label = f"median {TRAINING_ERROR} "

    def _add_predictions(self, fit_axes) -> None:
        run = self.run
        x = run.x_grid
        alpha = max(0.05, min(0.25, 5 / run.nets))
        self.net_lines = LineCollection([], colors=COLORS["net"], linewidths=0.6, alpha=alpha, animated=True, zorder=3)
        fit_axes.add_collection(self.net_lines)
        self.band = fit_axes.fill_between(x, 0 * x, 0 * x, color=COLORS["net"], alpha=0.25, linewidth=0,
                                          label="10-90% of nets", animated=True, zorder=3)
        (self.median_line,) = fit_axes.plot(x, 0 * x, color=COLORS["median"], linewidth=2.2,
                                            label="median", animated=True, zorder=4)

    def _update_predictions(self, index: int) -> list:
        x = self.run.x_grid
        alive = np.isfinite(self.run.frame_loss[index])  # nets whose error has not blown up
        predictions = self.predictions[index][alive]  # (nets alive, grid)
        self.net_lines.set_segments([np.column_stack([x, self._visible(net)]) for net in predictions])
        if alive.any():
            low, median, high = np.percentile(predictions, [10, 50, 90], axis=0)
        else:
            low = median = high = np.full_like(x, np.nan)
        notes = self.off_chart.update([("median", median), ("10-90% of nets", np.concatenate([low, high]))])
        low, median, high = self._visible(low), self._visible(median), self._visible(high)
        self.band.set_verts([np.concatenate([np.column_stack([x, low]), np.column_stack([x[::-1], high[::-1]])])])
        self.median_line.set_ydata(median)
        return [self.net_lines, self.band, self.median_line] + notes

    def frame_loss(self, index: int) -> float:
        return float(median_over_nets(self.run.frame_loss[index]))


# Enough frames for any comparison to look smooth; more only make the GIF larger.
MAX_COMPARE_FRAMES = 300
# Pixels: a comparison's panel (its plot, titles above and tick labels below); the room of its titles
# and, below it, of its x tick labels and label; the gap between a panel and the next one's y labels.
PANEL_WIDTH, PANEL_HEIGHT, PANEL_TITLE, PANEL_BELOW, PANEL_GAP = 310, 250, 38, 40, 20
# A comparison's header (two lines, as an animation of one run has) and the room below its last row.
COMPARE_HEADER, COMPARE_BOTTOM = 50, 6


def compare_frame_epochs(runs: list[Run], max_frames: int = MAX_COMPARE_FRAMES) -> np.ndarray:
    """The epochs of the comparison's frames: the union of the runs' frame epochs (thinned evenly
    to at most max_frames, keeping the first and the last)."""
    epochs = np.unique(np.concatenate([run.frame_epochs for run in runs]))
    if len(epochs) > max_frames:
        epochs = epochs[np.unique(np.round(np.linspace(0, len(epochs) - 1, max_frames)).astype(int))]
    return epochs


def latest_snapshot(run: Run, epoch: int) -> int:
    """Index of the run's latest snapshot at or before `epoch` (its first one, if none is)."""
    return max(int(np.searchsorted(run.frame_epochs, epoch, side="right")) - 1, 0)


# Panels of a comparison share their scales when every run's data spans at least this share of
# all the runs' together, in x and in y: otherwise a run on x in [0, 2π] beside one on years
# 1990-2002 would be a sliver each, and each panel gets scales of its own.
SHARED_SCALE_COVER = 1 / 3


def shared_scales(runs: list[Run]) -> bool:
    """Whether a comparison's panels can share their axes (SHARED_SCALE_COVER)."""
    for ranges in ([(float(run.x_grid[0]), float(run.x_grid[-1])) for run in runs], [data_range(run) for run in runs]):
        union = max(high for _, high in ranges) - min(low for low, _ in ranges)
        if union > 0 and min(high - low for low, high in ranges) < SHARED_SCALE_COVER * union:
            return False
    return True


def panel_limits(runs: list[Run]) -> list[tuple[tuple[float, float], tuple[float, float]]]:
    """Each comparison panel's (x limits, y limits): one set for all (fit_limits of every run) when
    the scales are shared, else each run's own."""
    if shared_scales(runs):
        return [fit_limits(runs)] * len(runs)
    return [fit_limits([run]) for run in runs]


def compare_panels(runs: list[Run], limits: list, bottom_room: int = 0):
    """A comparison's figure with one fit panel per run (fit_panel, with its limits: see
    panel_limits; panels with the same limits share their axes and tick labels), in a grid of 2
    columns for 2 or 4 runs and 3 otherwise, each column right of the one before by what its
    panels' y tick labels and label take, and bottom_room pixels below the grid for whatever else
    the comparison shows. Returns (figure, canvas, the runs' panels in order)."""
    columns = {2: 2, 3: 3, 4: 2}.get(len(runs), 3)
    rows = -(-len(runs) // columns)
    figure, canvas = new_canvas(MARGIN + (PANEL_WIDTH + 60) * columns,
                                COMPARE_HEADER + PANEL_HEIGHT * rows + COMPARE_BOTTOM + bottom_room)
    shared = all(item == limits[0] for item in limits)
    grid = figure.subplots(rows, columns, sharex=shared, sharey=shared, squeeze=False)
    panels = grid.ravel()
    for axes in panels[len(runs):]:
        axes.set_visible(False)
    for axes, run, run_limits in zip(panels, runs, limits):
        fit_panel(axes, run, run_limits)
    if shared:  # one set of labels says it for all
        for axes in grid[:, 1:].ravel():
            axes.set_ylabel("")
        for axes in grid[:-1, :].ravel():
            axes.set_xlabel("")
    # Placed at their size first: which ticks an axis labels, and so how wide they are, depends on it.
    place_grid(figure, grid, [60] * columns)
    renderer = canvas.get_renderer()
    gutters = [max(label_width(axes, renderer) for axes in grid[:, column]) + PANEL_GAP for column in range(columns)]
    place_grid(figure, grid, gutters)
    return figure, canvas, list(panels[: len(runs)])


def label_width(axes, renderer) -> float:
    """How wide a panel's y tick labels and label are, in pixels (0 if it shows none)."""
    extent = axes.yaxis.get_tightbbox(renderer) if axes.get_visible() else None
    return extent.width if extent is not None else 0.0


def place_grid(figure, grid, gutters: list[float]) -> None:
    """Size a comparison's figure to its grid of panels and place them, each column `gutter` pixels
    right of the one before (room for its y tick labels and label), the last with room at the right
    for half of its last x tick label."""
    right_room = 30
    width = int(round(MARGIN + sum(gutters) + PANEL_WIDTH * len(gutters) + right_room))
    height = figure.canvas.get_width_height()[1]
    figure.set_size_inches(width / DPI, height / DPI)
    panel_height = PANEL_HEIGHT - PANEL_TITLE - PANEL_BELOW
    for row, panels in enumerate(grid):
        left = MARGIN
        for axes, gutter in zip(panels, gutters):
            left += gutter
            bottom = height - (COMPARE_HEADER + row * PANEL_HEIGHT + PANEL_TITLE + panel_height)
            axes.set_position([left / width, bottom / height, PANEL_WIDTH / width, panel_height / height])
            left += PANEL_WIDTH


def grow_at_top(figure, pixels: int) -> None:
    """Make a figure `pixels` taller at the top, its axes staying where they are from its bottom."""
    width, height = figure.canvas.get_width_height()
    positions = [(axes, axes.get_position()) for axes in figure.axes]
    figure.set_size_inches(width / DPI, (height + pixels) / DPI)
    scale = height / (height + pixels)
    for axes, box in positions:
        axes.set_position([box.x0, box.y0 * scale, box.width, box.height * scale])




def panel_title(axes, run: Run, label: str, number_width: float, swatch: str | None = None) -> tuple[float, int]:
    """A comparison panel's title: its run's label and how the run ended, then what was trained and
    "MSE " before room for the frame's number, number_width pixels at the right. A swatch colour
    leads the label with a square of it (the run's colour in other plots). Returns where the
    number goes: its left edge and baseline row, in pixels from the top left."""
    figure, renderer = axes.figure, axes.figure.canvas.get_renderer()
    width, height = figure.canvas.get_width_height()
    box = axes.get_window_extent(renderer)
    title_row, left = int(round(height - box.y1)) - 22, box.x0
    if swatch:
        square = figure.text(left / width, 1 - title_row / height, "■ ", va="baseline", fontsize=10, color=swatch)
        left += square.get_window_extent(renderer).width
    ended = "" if run.status == "completed" else f" ({ended_words(run, of_requested=False)})"
    # The label is shortened to fit, never the words that say how the run ended.
    title = figure.text(left / width, 1 - title_row / height, ended, va="baseline", fontsize=10,
                        fontweight="bold", color=COLORS["marker"] if run.status == "diverged" else "black")
    ended_width = title.get_window_extent(renderer).width if ended else 0.0
    title.set_text(plain_text(label))
    fitted(title, box.x1 - left - ended_width, renderer)
    title.set_text(title.get_text() + ended)
    # Second line: what was trained, then "MSE " and the frame's number at the right.
    mse = figure.text((box.x1 - number_width) / width, 1 - (title_row + 15) / height, "MSE ",
                      va="baseline", ha="right", fontsize=9, color=COLORS["net"])
    mse_left = box.x1 - number_width - mse.get_window_extent(renderer).width - 10
    fitted(figure.text(box.x0 / width, 1 - (title_row + 15) / height, run.trained, va="baseline",
                       fontsize=9, color=COLORS["note"]), mse_left - box.x0, renderer)
    return box.x1 - number_width, title_row + 15


def ended_notes(panels: list, runs: list[Run]) -> list:
    """Each comparison panel's note, drawn once the comparison's epoch is past its run's end
    (past_end_words), in the panel's lower right corner (see notes_of_early_end)."""
    return [axes.annotate(past_end_words(run), xy=(1, 0), xycoords="axes fraction", xytext=(-NOTE_OFFSET, NOTE_OFFSET),
                          textcoords="offset pixels", ha="right", va="bottom", fontsize=8, color=COLORS["note"],
                          animated=True, bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.85, "pad": 1})
            for axes, run in zip(panels, runs)]


def notes_of_early_end(notes: list, runs: list[Run], epochs: np.ndarray) -> list[list]:
    """Each panel's ended_notes note that some frame will draw, as a list (empty for a run that lasts
    to the comparison's last epoch): the bottom edge's notes that panel needs room for."""
    return [[note] if run.frame_epochs[-1] < epochs[-1] else [] for note, run in zip(notes, runs)]


def compare_caption(figure, epochs: np.ndarray, note: str, lines: tuple[str, ...] = ()) -> tuple[NumberStamper, float]:
    """A comparison's header: 'epoch N of LAST' with the note at its right (in red when it says the
    runs' data differ) or, where it does not fit there, on the lines below, whole; then `lines`
    (further notes). The figure grows at the top if they need more than the header's two lines:
    call it before anything but the panels is placed. Returns the stamper of N and the right edge
    of its slot."""
    width = figure.canvas.get_width_height()[0]
    style = {"fontsize": 9, "color": COLORS["marker"] if note.startswith("different") else COLORS["note"]}

    def width_of(text: str) -> float:
        return text_width(figure, text, fontsize=9)

    numbers = NumberStamper(CAPTION_FONTSIZE)
    last = f"{int(epochs[-1]):,}"  # as draw_epoch_caption writes it
    caption_right = (MARGIN + text_width(figure, "epoch ", **CAPTION_STYLE) + numbers.width(last)
                     + text_width(figure, f" of {last}", **CAPTION_STYLE))
    beside = width_of(note) <= width - MARGIN - (caption_right + 20)
    note_lines = [] if beside else wrapped(note, width - 2 * MARGIN, width_of)
    further = [line for text in lines for line in wrapped(text, width - 2 * MARGIN, width_of)]
    rows = 1 + len(note_lines) + len(further)
    if rows > len(HEADER_ROWS):
        grow_at_top(figure, HEADER_ROW_STEP * (rows - len(HEADER_ROWS)))
    epoch_right, caption_right = draw_epoch_caption(figure, numbers, int(epochs[-1]))
    if beside:
        header_text(figure, 0, note, caption_right + 20, width - MARGIN, ha="right", **style)
    for row, line in enumerate(note_lines, start=1):
        header_text(figure, row, line, MARGIN, width - MARGIN, **style)
    for row, line in enumerate(further, start=1 + len(note_lines)):
        header_text(figure, row, line, MARGIN, width - MARGIN, fontsize=9, color=COLORS["note"])
    return numbers, epoch_right


def compare_numbers() -> tuple[NumberStamper, float]:
    """The stamper of a comparison panel's training error, and the width its number may take."""
    numbers = NumberStamper(9)
    return numbers, max(numbers.width("0.0000"), numbers.width("not finite"))


class CompareAnimation:
    """compare.gif: one panel per run, shared axes, one epoch counter for all.

    At each frame's epoch every panel shows its run's latest snapshot at or before that epoch;
    its title gives the run's label, what was trained, how it ended, and the training error of
    the weights it shows.
    """

    def __init__(self, runs: list[Run], labels: list[str], note: str):
        self.runs = runs
        prepare_fonts(runs, labels)
        self.epochs = compare_frame_epochs(runs)
        self.predictions = [drawable_predictions(run)[:, 0] for run in runs]
        # One set of limits for all panels showing every run's data, unless their data lie too far apart.
        limits = panel_limits(runs)
        self.limits = [y_limits for _, y_limits in limits]
        self.figure, self.canvas, panels = compare_panels(runs, limits)
        self.caption_numbers, self.epoch_right = compare_caption(self.figure, self.epochs, note)
        self.off_chart = [OffChartNotes(axes) for axes in panels]
        self.ended_notes = ended_notes(panels, runs)
        for notes, run, predictions, ended in zip(self.off_chart, runs, self.predictions,
                                                  notes_of_early_end(self.ended_notes, runs, self.epochs)):
            notes.make_room(data_range(run), predictions, bottom=ended)
        self.limits = [axes.get_ylim() for axes in panels]  # (panels sharing their scales widen together)
        self.numbers, self.number_width = compare_numbers()
        self.lines = [axes.plot(run.x_grid, predictions[0], color=COLORS["net"], linewidth=2, animated=True,
                                zorder=3)[0] for axes, run, predictions in zip(panels, runs, self.predictions)]
        self.number_positions = [panel_title(axes, run, label, self.number_width)
                                 for axes, run, label in zip(panels, runs, labels)]
        self.canvas.draw()
        self.background = self.canvas.copy_from_bbox(self.figure.bbox)

    @property
    def frame_count(self) -> int:
        return len(self.epochs)

    @cached_property
    def on_top(self) -> list:
        return on_top(self.figure)

    def past_their_end(self, epoch: int) -> list:
        """The notes of the panels whose run ended before `epoch`, to be drawn."""
        return [note for note, run in zip(self.ended_notes, self.runs) if epoch > run.frame_epochs[-1]]

    def frame(self, index: int) -> np.ndarray:
        """Draw frame `index` and return its pixels (the canvas's own buffer, RGBA)."""
        epoch = int(self.epochs[index])
        self.canvas.restore_region(self.background)
        shown = [latest_snapshot(run, epoch) for run in self.runs]
        for predictions, line, snapshot, limits, notes in zip(self.predictions, self.lines, shown, self.limits,
                                                              self.off_chart):
            line.set_ydata(pinned(predictions[snapshot], limits))
            for artist in [line] + notes.update([("prediction", predictions[snapshot])]):
                self.figure.draw_artist(artist)
        for artist in self.past_their_end(epoch) + self.on_top:
            self.figure.draw_artist(artist)
        return self.stamped_pixels(epoch, shown)

    def stamped_pixels(self, epoch: int, shown: list[int]) -> np.ndarray:
        """The canvas's pixels with the frame's epoch and each panel's training error stamped in."""
        pixels = np.asarray(self.canvas.buffer_rgba())
        self.caption_numbers.stamp(pixels, f"{epoch:,}", self.epoch_right, HEADER_ROWS[0], "black", "right")
        for run, snapshot, (x, row) in zip(self.runs, shown, self.number_positions):
            self.numbers.stamp(pixels, format_loss(run.frame_loss[snapshot, 0]), x, row, COLORS["net"])
        return pixels

