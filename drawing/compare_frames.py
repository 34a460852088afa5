"""The frames of compare.gif: one fit panel per run, in step at one epoch counter, a seeded run's as
seeds.gif draws it (blitted, as every animation: see animation.py)."""

from __future__ import annotations

from functools import cached_property

import numpy as np

from drawing.animation import HEADER_ROWS
from drawing.comparison import (compare_caption, compare_frame_epochs, compare_numbers, compare_panels,
                                ended_notes, error_words, latest_snapshot, notes_of_early_end, panel_limits,
                                panel_title)
from drawing.curves import data_range, drawable_predictions, prepare_fonts
from drawing.fit_frames import SeedsOnPanel
from drawing.fit_panel import OffChartNotes, on_top, pinned
from drawing.style import COLORS
from rundir import Run, median_over_nets
from summaries import format_loss


class RunsInStep:
    """What the animations of runs in step share (compare.gif's of runs of one input or two, and a
    comparison's units.gif): a frame per epoch of the comparison, each panel's note once the epoch is
    past its run's end, and the frame's epoch and each panel's training error stamped in. A subclass
    sets runs, epochs, figure, canvas, ended_notes, numbers, number_positions, caption_numbers and
    epoch_right."""

    @property
    def frame_count(self) -> int:
        return len(self.epochs)

    @cached_property
    def on_top(self) -> list:
        return on_top(self.figure)

    def past_their_end(self, epoch: int) -> list:
        """The notes of the panels whose run ended before `epoch`, to be drawn."""
        return [note for note, run in zip(self.ended_notes, self.runs) if epoch > run.frame_epochs[-1]]

    def stated_error(self, run: Run, snapshot: int) -> float:
        """The training error a panel states at its run's frame `snapshot`: its net's, or the median
        over a seeded run's nets whose error is finite (as seeds.gif states it)."""
        return float(median_over_nets(run.frame_loss[snapshot]))

    def stamped_pixels(self, epoch: int, shown: list[int]) -> np.ndarray:
        """The canvas's pixels with the frame's epoch and each panel's training error stamped in."""
        pixels = np.asarray(self.canvas.buffer_rgba())
        self.caption_numbers.stamp(pixels, f"{epoch:,}", self.epoch_right, HEADER_ROWS[0], "black", "right")
        for run, snapshot, (x, row) in zip(self.runs, shown, self.number_positions):
            self.numbers.stamp(pixels, format_loss(self.stated_error(run, snapshot)), x, row, COLORS["net"])
        return pixels


class CompareAnimation(RunsInStep):
    """compare.gif: one panel per run, shared axes, one epoch counter for all.

    At each frame's epoch every panel shows its run's latest snapshot at or before that epoch: one
    net's prediction, or a seeded run's nets as seeds.gif shows them (SeedsOnPanel: the median, the
    10-90% band, every net faint); its title gives the run's label, what was trained, how it ended,
    and the training error of the weights it shows (a seeded run's median, and says so).
    """

    def __init__(self, runs: list[Run], labels: list[str], note: str):
        self.runs = runs
        prepare_fonts(runs, labels)
        self.epochs = compare_frame_epochs(runs)
        every_net = [drawable_predictions(run) for run in runs]  # (frames, nets, grid) each
        self.predictions = [predictions[:, 0] for predictions in every_net]
        # One set of limits for all panels showing every run's data, unless their data lie too far apart.
        limits = panel_limits(runs)
        self.limits = [y_limits for _, y_limits in limits]
        self.numbers, self.number_width = compare_numbers()
        words = error_words(runs)
        self.figure, self.canvas, panels, subtitles = compare_panels(runs, limits, number_width=self.number_width,
                                                                     words=words)
        self.caption_numbers, self.epoch_right = compare_caption(self.figure, self.epochs, note)
        self.off_chart = [OffChartNotes(axes) for axes in panels]
        self.ended_notes = ended_notes(panels, runs)
        for notes, run, predictions, ended in zip(self.off_chart, runs, every_net,
                                                  notes_of_early_end(self.ended_notes, runs, self.epochs)):
            notes.make_room(data_range(run), predictions, bottom=ended)
        self.limits = [axes.get_ylim() for axes in panels]  # (panels sharing their scales widen together)
        # A seeded run's nets (None for one net's run), and each panel's bold line: its net's prediction,
        # or the nets' median.
        self.seeds = [SeedsOnPanel(axes, run, predictions, median_width=2) if run.nets > 1 else None
                      for axes, run, predictions in zip(panels, runs, every_net)]
        self.lines = [seeds.median_line if seeds else
                      axes.plot(run.x_grid, predictions[0], color=COLORS["net"], linewidth=2, animated=True, zorder=3)[0]
                      for axes, run, predictions, seeds in zip(panels, runs, self.predictions, self.seeds)]
        rows = max(map(len, subtitles))
        self.number_positions = [panel_title(axes, run, label, self.number_width, subtitle=subtitle, subtitle_rows=rows,
                                             word=word)
                                 for axes, run, label, subtitle, word in zip(panels, runs, labels, subtitles, words)]
        self.canvas.draw()
        self.background = self.canvas.copy_from_bbox(self.figure.bbox)

    def frame(self, index: int) -> np.ndarray:
        """Draw frame `index` and return its pixels (the canvas's own buffer, RGBA)."""
        epoch = int(self.epochs[index])
        self.canvas.restore_region(self.background)
        shown = [latest_snapshot(run, epoch) for run in self.runs]
        for predictions, line, seeds, snapshot, limits, notes in zip(self.predictions, self.lines, self.seeds, shown,
                                                                     self.limits, self.off_chart):
            if seeds:
                artists = seeds.update(snapshot, limits, notes)
            else:
                line.set_ydata(pinned(predictions[snapshot], limits))
                artists = [line] + notes.update([("prediction", predictions[snapshot])])
            for artist in artists:
                self.figure.draw_artist(artist)
        for artist in self.past_their_end(epoch) + self.on_top:
            self.figure.draw_artist(artist)
        return self.stamped_pixels(epoch, shown)
