"""Inside the nets of runs of two inputs compared: units.gif, each run's own units.gif (its net 0:
plane_units.py) one under another, in step at the comparison's epoch; residuals.png, each run's
own residuals picture (plane_residuals.py) one under another. Each run under a line with its label,
in its colour on compare.png's curves."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from drawing.animation import HEADER_ROWS, MARGIN, new_canvas
from drawing.comparison import compare_caption, compare_frame_epochs, latest_snapshot, seeds_words
from drawing.curves import past_end_words, prepare_fonts
from drawing.plane_residuals import draw_plane_residuals
from drawing.plane_units import PlaneUnitsAnimation
from drawing.style import COLORS, DPI, PLANE_RUN_COLORS, fitted, plain_text
from drawing.units_frames import net_zero_words
from rundir import Run

LABEL_ROW = 24  # pixels: the line over each run's frames that says whose they are
# Inches: a run's residuals picture in a comparison's residuals.png, and the figure's title over them.
RESIDUALS_SIZE, RESIDUALS_TITLE = (11, 5.6), 0.5


def whose_words(run: Run, label: str) -> str:
    """Whose frames or picture a comparison shows of a run: its label, how many seeds, and which net
    ('adam (8 seeds), net 0 (seed 0)')."""
    return f"{plain_text(label)}{seeds_words(run)}{net_zero_words(run)}"


class StackedUnitsAnimation:
    """units.gif of 2 to 9 runs of two inputs: under a header with the comparison's epoch and note,
    each run's own units.gif (PlaneUnitsAnimation, of its net 0) under a line with its label in its
    colour, at its latest snapshot at or before the comparison's epoch; a run that ended before it
    stays at its last frame, and its line says where it ended."""

    def __init__(self, runs: list[Run], labels: list[str], note: str, width_pixels: int = 800,
                 height_pixels: int = 360):
        self.runs = runs
        self.key_colors = PLANE_RUN_COLORS[: len(runs)]  # the squares' colours, kept exact in the GIF
        prepare_fonts(runs, labels)
        self.epochs = compare_frame_epochs(runs)
        self.animations = [PlaneUnitsAnimation(run, width_pixels, height_pixels) for run in runs]
        figure, canvas = new_canvas(width_pixels, HEADER_ROWS[1] + 8)
        self.numbers, self.epoch_right = compare_caption(figure, self.epochs, note)
        canvas.draw()
        self.header = header = np.array(canvas.buffer_rgba())
        self.labels = [self._label_rows(width_pixels, run, label, color, ended=False)
                       for run, label, color in zip(runs, labels, PLANE_RUN_COLORS)]
        self.ended = [self._label_rows(width_pixels, run, label, color, ended=True)
                      for run, label, color in zip(runs, labels, PLANE_RUN_COLORS)]
        heights = [animation.canvas.get_width_height()[1] for animation in self.animations]
        self.pixels = np.full((len(header) + sum(heights) + LABEL_ROW * len(runs), width_pixels, 4), 255, np.uint8)
        self.pixels[: len(header)] = header
        self.header_rows = len(header)
        self.tops, top = [], len(header)
        for height in heights:  # where each run's label line starts; its frames are under it
            self.tops.append(top)
            top += LABEL_ROW + height

    @staticmethod
    def _label_rows(width: int, run: Run, label: str, color: str, ended: bool) -> np.ndarray:
        """The pixels of the line over a run's frames: a square of its colour, whose frames they are
        (whose_words), and, once the comparison is past its end, where it ended."""
        figure, canvas = new_canvas(width, LABEL_ROW)
        figure.add_artist(Line2D([0, 1], [0.98, 0.98], transform=figure.transFigure, color="#c8c8c8", linewidth=1))
        baseline = 1 - 17 / LABEL_ROW
        square = figure.text(MARGIN / width, baseline, "■ ", color=color, fontsize=11, va="baseline")
        renderer = canvas.get_renderer()
        left = MARGIN + square.get_window_extent(renderer).width
        words = whose_words(run, label) + (f"  ·  {past_end_words(run)}" if ended else "")
        text = figure.text(left / width, baseline, words, fontsize=10, fontweight="bold", va="baseline",
                           color=COLORS["marker"] if run.status == "diverged" else "black")
        fitted(text, width - MARGIN - left, renderer)
        canvas.draw()
        return np.array(canvas.buffer_rgba())

    @property
    def frame_count(self) -> int:
        return len(self.epochs)

    def frame(self, index: int) -> np.ndarray:
        """The comparison's frame `index`: its header with the epoch, and each run's units.gif frame."""
        epoch = int(self.epochs[index])
        self.pixels[: self.header_rows] = self.header
        for run, animation, top, label, ended in zip(self.runs, self.animations, self.tops, self.labels, self.ended):
            self.pixels[top: top + LABEL_ROW] = ended if epoch > run.frame_epochs[-1] else label
            frame = animation.frame(latest_snapshot(run, epoch))
            self.pixels[top + LABEL_ROW: top + LABEL_ROW + len(frame)] = frame
        self.numbers.stamp(self.pixels, f"{epoch:,}", self.epoch_right, HEADER_ROWS[0], "black", "right")
        return self.pixels


def stacked_residuals_figure(runs: list[Run], labels: list[str]) -> Figure:
    """residuals.png of 2 to 9 runs of two inputs: each run's own residuals picture (of its net 0:
    plane_residuals.draw_plane_residuals), one under another, each titled with its label first, on
    colour scales of its own."""
    prepare_fonts(runs, labels)
    width, height = RESIDUALS_SIZE
    figure = Figure(figsize=(width, height * len(runs) + RESIDUALS_TITLE), dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)
    for part, run, label, color in zip(figure.subfigures(len(runs), 1), runs, labels, PLANE_RUN_COLORS):
        draw_plane_residuals(part, run)
        part.suptitle(f"{plain_text(label)}\n{part.get_suptitle()}", fontsize=11,  # (which net: the line under it)
                      color=COLORS["marker"] if run.status == "diverged" else "black")
        part.set_edgecolor(color)  # framed in its run's colour on compare.png's curves
        part.set_linewidth(2)
    figure.suptitle(f"residuals of {len(runs)} runs (each its net 0's, as its own residuals.png; framed in its colour "
                    "on compare.png's curves)", fontsize=12)
    return figure


def draw_stacked_residuals_png(runs: list[Run], labels: list[str], path: str | Path) -> None:
    """residuals.png of a comparison of runs of two inputs (stacked_residuals_figure)."""
    stacked_residuals_figure(runs, labels).savefig(path, format="png")
