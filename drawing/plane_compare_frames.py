"""The frames of compare.gif for runs of two inputs: one map of the plane per run (its net's output,
or a seeded run's mean or median map, as fit.gif and seeds.gif draw them: plane_frames.MapPanel),
in step at one epoch counter, beside every run's error curves together (and, for classifiers,
their accuracy), each run's epoch marked on them in its colour; blitted as every animation
(animation.py)."""

from __future__ import annotations

import math
import numpy as np
from matplotlib.lines import Line2D

from drawing.animation import HEADER_ROW_STEP, HEADER_ROWS, MARGIN, new_canvas
from drawing.compare_frames import RunsInStep
from drawing.comparison import (SUBTITLE_STEP, caption_lines, compare_caption, compare_frame_epochs, compare_numbers,
                                ended_notes, label_width, latest_snapshot, panel_title,
                                shared_scales, subtitle_lines)
from drawing.curves import ended_words, error_name, prepare_fonts, style_loss_axes
from drawing.figures import compare_error_curves
from drawing.plane_frames import (ABOVE_MAP, BOTTOM, HEADER_BOTTOM, LABEL_FONT, LOSS_SHARE, MAP_GAP, SMALL_FONT,
                                  MapPanel, bar_extension, first_fitting, style_accuracy_axes)
from drawing.plane_maps import MapColors, boundary, frame_maps, median_accuracy, output_colors, plane_limits, value_limits
from drawing.style import COLORS, PLANE_RUN_COLORS, text_width, wrapped
from rundir import Run

# The maps' share of the width left beside their tick labels and the curves', by maps in a row:
# the more maps, the more of it they take (the curves need less than a map's worth more).
MAPS_SHARE = {1: 0.55, 2: 0.62, 3: 0.68, 4: 0.72}
# More runs than this: rows of MANY_COLUMNS maps, the picture as tall as they need.
ONE_ROW, MANY_COLUMNS = 4, 3
# Pixels above a map's colour bar for its title's first line (the label), and under the curves'
# header for their panel's title.
TITLE_ROOM, CURVES_TITLE = 36, 20
# The shortest words a panel's stated error goes by, where the error's name does not fit beside it.
SHORT_NAMES = {"cross-entropy": "CE"}
# The least room beside the error's words and number for what was trained to share their line.
BESIDE_NUMBER = 50


def shared_map_colors(runs: list[Run]) -> list[MapColors]:
    """Each run's map colours (output_colors): a classifier's are its outputs' (0 to 1, or -1 to 1),
    the same for any data; regressions' are one range for all (every run's value_limits together)
    where their targets and planes share their scales (comparison.shared_scales), else each its own."""
    colors = [output_colors(run) for run in runs]
    if any(run.config.classifies for run in runs) or not shared_scales(runs):
        return colors
    limits = [value_limits(run) for run in runs]
    low, high = min(low for low, _ in limits), max(high for _, high in limits)
    return [MapColors(item.colormap, low, high, item.titles, item.ticks, item.ends) for item in colors]


def stated_words(figure, run: Run, room: float) -> str:
    """What a panel's stated error is called before its number ('median cross-entropy '), in the
    first form that fits `room` pixels ('median CE ' in a narrow panel)."""
    median, name = ("median " if run.nets > 1 else ""), error_name(run)
    short = SHORT_NAMES.get(name, name)
    return first_fitting([f"{median}{name} ", f"{median}{short} ", f"{'med. ' if median else ''}{short} "], room,
                         lambda text: text_width(figure, text, fontsize=9))


def shared_parts(runs: list[Run]) -> list[str]:
    """The parts of what was trained that every run shares ('batch 10', 'on spiral'), in the first
    run's order: the header says them once."""
    parts = [run.training_description.split(" · ") for run in runs]
    return [part for part in parts[0] if all(part in others for others in parts[1:])]


def own_words(run: Run, shared: list[str]) -> str:
    """What a panel says of its run under its label: how many seeds and how it ended, then what it
    trained that not every run did ('8 seeds · diverged after 1 epoch · 3x8 relu · lr 1e+06')."""
    status = [f"{run.nets} seeds"] if run.nets > 1 else []
    if run.status != "completed":
        status.append(ended_words(run, of_requested=False))
    return " · ".join(status + [part for part in run.training_description.split(" · ") if part not in shared])


def title_lines(figure, trained: str, side: float, number_width: float, word: str) -> list[str]:
    """What a panel says of its run (own_words), in lines of the panel's width: beside the stated
    error's words and number on the last line where the room there is enough
    (comparison.subtitle_lines), else in lines of the whole width with the error on a line of its
    own, whichever takes fewer lines (the whole width where they take as many: fewer parts broken)."""
    if not trained:
        return [""]
    whole = wrapped(trained, side - 4, lambda line: text_width(figure, line, fontsize=9)) + [""]
    if side - number_width - text_width(figure, word, fontsize=9) - 10 < BESIDE_NUMBER:
        return whole
    beside = subtitle_lines(figure, trained, number_width, word, panel_width=side)
    return beside if len(beside) < len(whole) else whole


class PlaneCompareAnimation(RunsInStep):
    """compare.gif of 2 to 9 runs of two inputs: a map per run in a row (rows of three for more than
    four runs), each titled with the run's label (after a square of its colour on the curves), what
    was trained and the error of what its map shows; at the right every run's training error (a
    seeded run's median and 10-90% band) and, when every run classifies, its accuracy, the epoch
    of each run's map marked on its curve. At each frame's epoch a panel shows its run's latest
    snapshot at or before it; a seeded run's map is the mean output of its nets (a classifier's) or
    their median (a regression's), as seeds.gif's first map."""

    def __init__(self, runs: list[Run], labels: list[str], note: str, width_pixels: int = 800,
                 height_pixels: int = 360):
        self.runs = runs
        prepare_fonts(runs, labels)
        self.epochs = compare_frame_epochs(runs)
        self.colors = self.key_colors = PLANE_RUN_COLORS[: len(runs)]  # (kept exact in the GIF: rendering.write_animation)
        self.numbers, self.number_width = compare_numbers()
        self.columns = len(runs) if len(runs) <= ONE_ROW else MANY_COLUMNS
        self.rows = math.ceil(len(runs) / self.columns)
        self.figure, self.canvas = figure, canvas = new_canvas(width_pixels, height_pixels)
        self.maps = [MapPanel(figure, run, colors, boundary(run), extend=bar_extension(run, colors))
                     for run, colors in zip(runs, shared_map_colors(runs))]
        self.title_boxes = [figure.add_axes([0, 0, 1, 1], visible=False) for _ in runs]
        self.loss_axes = figure.add_axes([0, 0, 1, 1])
        classifiers = all(run.config.classifies for run in runs)
        self.accuracy_axes = figure.add_axes([0, 0, 1, 1], sharex=self.loss_axes) if classifiers else None
        self._curves(labels)
        self._share_plane_axes()
        shared = shared_parts(runs)
        every_run = (f"every run: {' · '.join(shared)}",) if shared else ()
        # The maps are placed under the header's lines, which then grow the picture back to its height.
        beside, note_lines, further = caption_lines(figure, self.epochs, note, every_run)
        header_rows = 1 + len(note_lines) + len(further)
        grown = HEADER_ROW_STEP * max(header_rows - len(HEADER_ROWS), 0)
        figure.set_size_inches(width_pixels / figure.dpi, (height_pixels - grown) / figure.dpi)
        self.words, self.subtitles = self._place(width_pixels, height_pixels - grown)
        for panel in self.maps:
            panel.label_bar()
        self._name_error_axis()
        self.caption_numbers, self.epoch_right = compare_caption(figure, self.epochs, note, every_run)
        rows = max(map(len, self.subtitles))
        self.number_positions = [panel_title(box, run, label, self.number_width, swatch=color, subtitle=subtitle,
                                             subtitle_rows=rows, word=word, status_in_title=False)
                                 for box, run, label, color, subtitle, word in zip(
                                     self.title_boxes, runs, labels, self.colors, self.subtitles, self.words)]
        self.ended_notes = ended_notes([panel.axes for panel in self.maps], runs)
        canvas.draw()
        self.background = canvas.copy_from_bbox(figure.bbox)
        for panel in self.maps:
            panel.keep_points()

    # --- set-up -----------------------------------------------------------------------------------

    def _curves(self, labels: list[str]) -> None:
        """Every run's training error on one log-log panel (compare.png's curves), in its colour; the
        Bayes cross-entropy where every run has the same; under it every run's training accuracy
        (the median of a seeded run's nets) when every run classifies; a marker per run and the
        frame's epoch line on each."""
        runs, axes = self.runs, self.loss_axes
        style_loss_axes(axes, runs, label="error")  # (named once placed: _name_error_axis; as wide, turned)
        axes.yaxis.label.set_fontsize(LABEL_FONT)
        compare_error_curves(axes, runs, labels, self.colors, width=1.2)  # (style_loss_axes drew the Bayes line)
        # The runs' own words are their panels' titles: the legend names the noise floor or the Bayes
        # cross-entropy, where one is drawn.
        drawn = [line for line in axes.get_lines() if line.get_color() == COLORS["floor"]]
        if any(line.get_linestyle() == "--" and line.get_color() in self.colors for line in axes.get_lines()):
            drawn.append(Line2D([], [], color=COLORS["note"], linestyle="--", label="a run's noise floor"))
        if drawn:
            axes.legend(handles=drawn, loc="lower left", fontsize=SMALL_FONT - 1, handlelength=1.5, framealpha=0.8)
        self.markers = [axes.plot([], [], "o", color=color, markeredgecolor="black", markeredgewidth=0.6,
                                  markersize=5, animated=True, zorder=5, clip_on=False)[0] for color in self.colors]
        self.epoch_lines = [axes.axvline(1, color=COLORS["marker"], linewidth=0.8, alpha=0.6, animated=True)]
        self.accuracies, self.accuracy_markers = [], []
        if self.accuracy_axes is None:
            return
        axes.set_xlabel("")
        axes.tick_params(labelbottom=False)
        accuracy_axes = self.accuracy_axes
        for run, color in zip(runs, self.colors):
            accuracy = median_accuracy(run, "accuracy")
            self.accuracies.append(accuracy)
            shown = run.frame_epochs >= 1  # epoch 0, the untrained net, is off the log axis
            accuracy_axes.plot(run.frame_epochs[shown], accuracy[shown], color=color, linewidth=1.2)
        style_accuracy_axes(accuracy_axes, np.concatenate(self.accuracies))
        accuracy_axes.set_ylabel("training accuracy", fontsize=LABEL_FONT)
        self.accuracy_markers = [accuracy_axes.plot([], [], "o", color=color, markeredgecolor="black",
                                                    markeredgewidth=0.6, markersize=4, animated=True, zorder=5,
                                                    clip_on=False)[0] for color in self.colors]
        self.epoch_lines.append(accuracy_axes.axvline(1, color=COLORS["marker"], linewidth=0.8, alpha=0.6,
                                                      animated=True))

    def _share_plane_axes(self) -> None:
        """Maps over the same stretch of the plane label x2 once a row, at its left, as seeds.gif's two
        maps do; maps over different stretches (points from files) keep each its own numbers."""
        if len({plane_limits(run) for run in self.runs}) > 1:
            return
        for position, panel in enumerate(self.maps):
            if position % self.columns:
                panel.axes.tick_params(labelleft=False)
                panel.axes.set_ylabel("")

    def _place(self, width: int, height: int) -> tuple[list[str], list[list[str]]]:
        """Place the maps (square, in rows, as large as the room allows: a MAPS_SHARE of the width
        beside the tick labels, and in one row no taller than the picture's height leaves them),
        their colour bars above them and their titles' boxes above those; the picture grows taller
        for rows of many runs. Then the curves' column at the right, from under the header to the
        bottom. Returns each panel's words for its stated error and its title's lines."""
        renderer, figure = self.canvas.get_renderer(), self.figure
        curves = [axes for axes in (self.loss_axes, self.accuracy_axes) if axes is not None]
        shared = shared_parts(self.runs)
        trained = [own_words(run, shared) for run in self.runs]
        for _ in range(2):  # as plane_frames: a log axis' labels depend on its size
            gutters = [max(label_width(panel.axes, renderer) for panel in self.maps[column::self.columns]) + MAP_GAP
                       for column in range(self.columns)]
            column_gutter = max(label_width(axes, renderer) for axes in curves) + 10
            room = width - 2 * MARGIN - sum(gutters) - column_gutter - MAP_GAP * self.columns
            # Each map's slot: the map, as tall as the room under its title allows, and its title, as
            # wide as the slot (a map in a slot wider than it leaves its title the room to its right).
            slot = room * MAPS_SHARE[min(self.columns, ONE_ROW)] / self.columns
            title_width = slot - MAP_GAP / 2
            words = [stated_words(figure, run, title_width - self.number_width) for run in self.runs]
            lines = [title_lines(figure, text, title_width, self.number_width, word)
                     for text, word in zip(trained, words)]
            title_room = TITLE_ROOM + SUBTITLE_STEP * (max(map(len, lines)) - 1)
            side = slot if self.rows > 1 else min(slot, height - HEADER_BOTTOM - title_room - ABOVE_MAP - BOTTOM)
            row_height = title_room + ABOVE_MAP + side + BOTTOM
            needed = HEADER_BOTTOM + self.rows * row_height
            if needed > height:
                figure.set_size_inches(width / figure.dpi, needed / figure.dpi)
                height = needed
            top = HEADER_BOTTOM + (height - needed) / 2  # the maps centred in the room under the header
            for position, (panel, box) in enumerate(zip(self.maps, self.title_boxes)):
                row, column = divmod(position, self.columns)
                left = sum(gutters[: column + 1]) + column * (slot + MAP_GAP)
                map_bottom = height - (top + row * row_height + title_room + ABOVE_MAP + side)
                panel.place(left, map_bottom, side)
                box.set_position([left / width, (map_bottom + side + ABOVE_MAP) / height, title_width / width,
                                  1 / height])
            left = sum(gutters) + self.columns * (slot + MAP_GAP) + column_gutter
            column_width = width - 2 * MARGIN - left
            column_height = height - HEADER_BOTTOM - CURVES_TITLE - BOTTOM
            if len(curves) == 1:
                spans = [(BOTTOM, column_height)]
            else:
                loss_height = (column_height - MAP_GAP) * LOSS_SHARE
                spans = [(BOTTOM + column_height - loss_height, loss_height),
                         (BOTTOM, column_height - MAP_GAP - loss_height)]
            for axes, (bottom, panel_height) in zip(curves, spans):
                axes.set_position([left / width, bottom / height, column_width / width, panel_height / height])
        return words, lines

    def _name_error_axis(self) -> None:
        """The error axis' label, as long as the panel has room for: the runs' error's name ('training
        cross-entropy (log scale)'), or 'training error' where their errors differ (each is its run's
        loss: cross-entropy for a classifier trained on it, else MSE); and the panel's title above it."""
        names = sorted({error_name(run) for run in self.runs})
        name = names[0] if len(names) == 1 else "error"
        room = self.loss_axes.get_window_extent(self.canvas.get_renderer()).height + MAP_GAP
        # Where a panel calls the cross-entropy CE, the axis says so.
        short = [f"{name}, {SHORT_NAMES[name]}" for name in names if any(f" {SHORT_NAMES.get(name)} " in f" {word}"
                                                                        for word in self.words)]
        name = ", ".join(short) if short and len(names) == 1 else name
        label = first_fitting([f"training {name} (log scale)", f"{name} (log scale)", f"{name} (log)", name], room,
                              lambda text: text_width(self.figure, text, fontsize=LABEL_FONT))
        self.loss_axes.set_ylabel(label, fontsize=LABEL_FONT)
        seeded = ", a seeded run's median (10-90% shaded)" if any(run.nets > 1 for run in self.runs) else ""
        whose = "" if len(names) == 1 else f" ({' or '.join(short or names)}: each run's own)"
        title = f"each run's training error in its colour{seeded}{whose}"
        room = self.loss_axes.get_window_extent(self.canvas.get_renderer()).width
        shorter = [title, f"each run's training error{whose}", "each run's training error"]
        self.loss_axes.set_title(first_fitting(shorter, room, lambda text: text_width(self.figure, text,
                                                                                       fontsize=SMALL_FONT)),
                                 fontsize=SMALL_FONT, loc="left", color=COLORS["note"],
                                 pad=8 if any(run.diverged_at_epoch for run in self.runs) else 3)  # over the Xs

    # --- frames -----------------------------------------------------------------------------------

    def frame(self, index: int) -> np.ndarray:
        """Draw frame `index` and return its pixels (the canvas's own buffer, RGBA)."""
        epoch = int(self.epochs[index])
        self.canvas.restore_region(self.background)
        pixels = np.asarray(self.canvas.buffer_rgba())
        shown = [latest_snapshot(run, epoch) for run in self.runs]
        for panel, run, snapshot in zip(self.maps, self.runs, shown):
            for artist in panel.update(frame_maps(run, snapshot)[0]):
                self.figure.draw_artist(artist)
            panel.draw_points(pixels)
        artists = self.past_their_end(epoch)
        if epoch:  # epoch 0, the untrained nets, has no place on the log epoch axis: no marks then
            for line in self.epoch_lines:
                line.set_xdata([epoch, epoch])
            artists += self.epoch_lines + self._marked(shown)
        for artist in artists + self.on_top:
            self.figure.draw_artist(artist)
        return self.stamped_pixels(epoch, shown)

    def _marked(self, shown: list[int]) -> list:
        """Each run's markers at the epoch and error (and accuracy) of the snapshot its map shows:
        none where that error is not finite or the snapshot is the untrained net's."""
        for position, (run, snapshot) in enumerate(zip(self.runs, shown)):
            epoch, error = int(run.frame_epochs[snapshot]), self.stated_error(run, snapshot)
            seen = epoch >= 1 and math.isfinite(error)
            self.markers[position].set_data([epoch] if seen else [], [error] if seen else [])
            if self.accuracy_markers:
                accuracy = float(self.accuracies[position][snapshot])
                self.accuracy_markers[position].set_data([epoch] if seen else [], [accuracy] if seen else [])
        return self.markers + self.accuracy_markers
