"""The frames of compare.gif: one fit panel per run, in step at one epoch counter (blitted, as every
animation: see animation.py)."""

from __future__ import annotations

from functools import cached_property

import numpy as np

from drawing.animation import HEADER_ROWS
from drawing.comparison import (compare_caption, compare_frame_epochs, compare_numbers, compare_panels,
                                ended_notes, latest_snapshot, notes_of_early_end, panel_limits,
                                panel_title)
from drawing.curves import data_range, drawable_predictions, prepare_fonts
from drawing.fit_panel import OffChartNotes, on_top, pinned
from drawing.style import COLORS
from rundir import Run
from summaries import format_loss


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
        self.numbers, self.number_width = compare_numbers()
        self.figure, self.canvas, panels, subtitles = compare_panels(runs, limits, number_width=self.number_width)
        self.caption_numbers, self.epoch_right = compare_caption(self.figure, self.epochs, note)
        self.off_chart = [OffChartNotes(axes) for axes in panels]
        self.ended_notes = ended_notes(panels, runs)
        for notes, run, predictions, ended in zip(self.off_chart, runs, self.predictions,
                                                  notes_of_early_end(self.ended_notes, runs, self.epochs)):
            notes.make_room(data_range(run), predictions, bottom=ended)
        self.limits = [axes.get_ylim() for axes in panels]  # (panels sharing their scales widen together)
        self.lines = [axes.plot(run.x_grid, predictions[0], color=COLORS["net"], linewidth=2, animated=True,
                                zorder=3)[0] for axes, run, predictions in zip(panels, runs, self.predictions)]
        rows = max(map(len, subtitles))
        self.number_positions = [panel_title(axes, run, label, self.number_width, subtitle=subtitle, subtitle_rows=rows)
                                 for axes, run, label, subtitle in zip(panels, runs, labels, subtitles)]
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
