"""What every animation shares (fit.gif, seeds.gif, units.gif and the comparisons' GIFs): its
canvas, the header (the epoch caption, numbers stamped from glyphs rendered once), the placing of
panels and legends, the boxed words a run ends with, and RunAnimation, the frames of one run.

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
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties, findfont, get_font

from matplotlib.patches import Rectangle

from drawing.curves import (TRAINING_ERROR, floor_phrase, restored_frame_label, run_description, shown_epochs,
                            status_caption)
from drawing.fit_panel import on_top
from drawing.style import COLORS, DPI, fitted, text_width, wrapped
from summaries import format_loss

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

    def error_width(self) -> float:
        """How wide an error as format_loss writes it may be: '0.0000' or 'not finite'."""
        return max(self.width(format_loss(0.0)), self.width(format_loss(float("nan"))))

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

def grow_at_top(figure, pixels: int) -> None:
    """Make a figure `pixels` taller at the top: its axes stay where they are from its bottom, and the
    header (its texts and patches placed in figure fractions) where it is from its top."""
    width, height = figure.canvas.get_width_height()
    positions = [(axes, axes.get_position()) for axes in figure.axes]
    figure.set_size_inches(width / DPI, (height + pixels) / DPI)
    scale = height / (height + pixels)
    for axes, box in positions:
        axes.set_position([box.x0, box.y0 * scale, box.width, box.height * scale])
    for text in figure.texts:
        if text.get_transform() == figure.transFigure:
            x, y = text.get_position()
            text.set_position((x, 1 - (1 - y) * scale))
    for patch in figure.artists:
        if isinstance(patch, Rectangle) and patch.get_data_transform() == figure.transFigure:
            patch.set_y(1 - (1 - patch.get_y()) * scale)
            patch.set_height(patch.get_height() * scale)


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


def ending_text(axes, caption: str, color: str, failed: bool = True):
    """The boxed words a run's last frame ends with ('diverged after 37 epochs ...'), sized to fit its
    panel: the font shrinks to 7 points, then the words are wrapped onto more lines. A run that
    failed has them in the middle of the panel in a red box; one that ended well (stopped early,
    best weights restored) smaller at its bottom, in a grey box, so its final fit stays in view."""
    edge = COLORS["marker"] if failed else COLORS["note"]
    text = axes.text(0.5, 0.5 if failed else 0.03, caption, transform=axes.transAxes, ha="center",
                     va="center" if failed else "bottom", fontsize=12 if failed else 9,
                     fontweight="bold", color=color, animated=True,
                     bbox={"facecolor": "white", "edgecolor": edge, "alpha": 0.9})
    renderer = axes.figure.canvas.get_renderer()
    room = axes.get_window_extent(renderer).width - 16
    while text.get_fontsize() > 7 and text.get_window_extent(renderer).width > room:
        text.set_fontsize(text.get_fontsize() - 1)
    line_length = max(len(line) for line in caption.splitlines())
    while line_length > 8 and text.get_window_extent(renderer).width > room:
        line_length -= 4
        # Never at a hyphen: "cross-entropy" and "held-out" stay whole.
        text.set_text("\n".join(textwrap.fill(line, line_length, break_on_hyphens=False)
                                for line in caption.splitlines()))
    return text


class RunAnimation:
    """What the animations of one run share (fit.gif, seeds.gif, units.gif): a frame per snapshot,
    the header with the frame's epoch and training error, and the ending of a run that did not
    complete. A subclass sets run, figure and canvas, then calls _captions and _ending."""

    loss_label = f"{TRAINING_ERROR} "
    # The net whose weights the header's epoch is of (units.gif's net 0); None: the run's (its one
    # net, or many nets' median).
    shown_net: int | None = None

    @property
    def frame_count(self) -> int:
        return len(self.run.frame_epochs)

    @cached_property
    def on_top(self) -> list:
        return on_top(self.figure)

    def description(self) -> str:
        """What was trained, as the header's line 2 says it."""
        return run_description(self.run)

    def _captions(self, width: int) -> None:
        """Header line 1: 'epoch N of TOTAL   training MSE L' (the numbers stamped per frame) and the
        run's name; line 2: what was trained and the noise floor."""
        renderer = self.canvas.get_renderer()
        self.numbers = NumberStamper(CAPTION_FONTSIZE)
        self.epoch_right, caption_right = draw_epoch_caption(self.figure, self.numbers, self.run.epochs_requested)
        caption_right = self._restored_caption(caption_right)
        loss_label = header_text(self.figure, 0, self.loss_label, caption_right + 20, width, color=COLORS["net"],
                                 fontsize=CAPTION_FONTSIZE, fontweight="bold")
        self.loss_left = caption_right + 20 + loss_label.get_window_extent(renderer).width
        name_left = self.loss_left + self.numbers.error_width() + 20
        name = header_text(self.figure, 0, self.run.name, name_left, width - MARGIN, ha="right", fontsize=10,
                           fontweight="bold")
        lead = ""
        if name.get_text() != self.run.name:  # no room for the whole name on line 1: it leads line 2
            name.remove()
            lead = f"{self.run.name} · "
        # What was trained is said whole, and the noise floor: where they do not fit in a line (every
        # knob turned, many seeds) they go on as many as they need, broken between their parts, and
        # the picture grows at the top.
        lines = wrapped(f"{lead}{self.description()} · {floor_phrase(self.run)}", width - 2 * MARGIN,
                        lambda line: text_width(self.figure, line, fontsize=9))
        if len(lines) > 1:
            grow_at_top(self.figure, HEADER_ROW_STEP * (len(lines) - 1))
        for row, line in enumerate(lines, start=1):
            header_text(self.figure, row, line, MARGIN, width - MARGIN, fontsize=9, color=COLORS["note"])

    def _restored_caption(self, caption_right: float) -> float:
        """For a run whose last frame shows restored best weights, that frame's caption instead of
        'epoch N of TOTAL' ('epoch 698, restored at 898'), over a white patch that hides the other;
        returns the caption's right edge, moved right if this one is wider."""
        label = restored_frame_label(self.run, self.shown_net)
        self.restored_caption = None
        if label is None:
            return caption_right
        width, height = self.canvas.get_width_height()
        text = self.figure.text(MARGIN / width, 1 - HEADER_ROWS[0] / height, label, animated=True, zorder=3,
                                **CAPTION_STYLE)
        caption_right = max(caption_right, MARGIN + text.get_window_extent(self.canvas.get_renderer()).width)
        top, bottom = 2, HEADER_ROWS[0] + 7  # pixels from the top: the header's first line
        cover = Rectangle((0, 1 - bottom / height), (caption_right + 10) / width, (bottom - top) / height,
                          transform=self.figure.transFigure, facecolor="white", edgecolor="none", animated=True)
        self.figure.add_artist(cover)
        self.restored_caption = [cover, text]
        return caption_right

    @cached_property
    def shown_epochs(self) -> np.ndarray:
        """(frames,) the epoch of the weights each frame shows of shown_net, or of the run (curves.shown_epochs):
        where its error is marked on the curves. Many nets' restored best epochs differ: their
        median error is marked at the frame's epoch."""
        if self.shown_net is None and self.run.nets > 1:
            return self.run.frame_epochs
        return shown_epochs(self.run)[:, self.shown_net or 0]

    def _ending(self, panel) -> None:
        """The words the last frame says about how the run ended (status_caption), in `panel`: red for
        a run that failed (diverged, interrupted), grey for one that stopped early or restored weights."""
        caption = status_caption(self.run)
        failed = self.run.status in ("diverged", "interrupted")
        self.ending = caption and ending_text(panel, caption, COLORS["marker"] if self.run.status == "diverged"
                                              else COLORS["note"], failed)

    def frame_loss(self, index: int) -> float:
        """The training error the caption and the marker show for frame `index`."""
        return float(self.run.frame_loss[index, 0])

    def _finished_frame(self, index: int, artists: list) -> np.ndarray:
        """Draw frame `index`'s moving artists (and, on the last frame, how the run ended) over the
        restored background; return the pixels with the frame's epoch and training error stamped
        into the header's empty slots."""
        for artist in artists + self.on_top:
            self.figure.draw_artist(artist)
        last = index == self.frame_count - 1
        if last and self.ending:
            self.figure.draw_artist(self.ending)
        for artist in self.restored_caption if last and self.restored_caption else []:
            self.figure.draw_artist(artist)
        pixels = np.asarray(self.canvas.buffer_rgba())
        if not (last and self.restored_caption):
            self.numbers.stamp(pixels, f"{int(self.run.frame_epochs[index]):,}", self.epoch_right, HEADER_ROWS[0],
                               "black", "right")
        self.numbers.stamp(pixels, format_loss(self.frame_loss(index)), self.loss_left, HEADER_ROWS[0], COLORS["net"])
        return pixels
