"""The frames of units.gif: a net's prediction as the sum of what each unit of its last hidden
layer adds, frame by frame, beside what training did inside it over the epochs (diagnostics.py);
and the comparison of several runs' units (animate.py compare). Drawn by blitting, as every
animation (animation.py)."""

from __future__ import annotations

import numpy as np

from drawing.animation import HEADER_ROWS, MARGIN, RunAnimation, legend_above, new_canvas, place_panels
from drawing.compare_frames import CompareAnimation
from drawing.comparison import (compare_caption, compare_frame_epochs, compare_numbers, compare_panels,
                                ended_notes, label_width, latest_snapshot, notes_of_early_end,
                                panel_limits, panel_title, shared_scales)
from drawing.curves import (TRAINING_ERROR, axis_epochs, data_range, drawable_predictions, prepare_fonts,
                            run_description, shared_axis_epochs, style_loss_axes)
from drawing.diagnostic_panels import (PANEL_TITLE_STYLE, WORDS_ROW_POINTS, EpochMarks, draw_curves, frame_dots,
                                      style_small_panel, title_row, words_width)
from drawing.diagnostics import (SMALL_PANEL_COLORS, distinct_titles, distinct_units, gradient_norm, kernel_norm,
                                 layer_colors, layer_words, learning_rate, of_net_zero, saturation, training_error)
from drawing.knob_curves import draw_knob_curves
from drawing.fit_panel import fit_limits, fit_panel, pinned
from drawing.style import COLORS, DPI, RUN_COLORS, text_width
from drawing.unit_curves import (add_unit_lines, data_over_units, drawable_contributions, drawn_columns, room_for_note,
                                 unit_segments, units_limits)
from rundir import Run
from summaries import floor_words

# In a comparison, where each run has its colour, a run's hidden layers differ by line style.
LAYER_STYLES = ["-", "--", ":", "-."]
# units.gif's layout: the fit panel's share of the width the panels have, and, in pixels, the
# room of a small panel's title row and the gap below each small panel.
FIT_SHARE = 0.56
PANEL_TITLE_ROOM, PANEL_GAP = 12, 5
# Pixels more above the small panels where the training error's words take a row of their own.
WORDS_ROW_PIXELS = round(WORDS_ROW_POINTS * DPI / 72) + 1


def place_units_panels(figure, fit_axes, column: list, fit_top: int, column_top: int, bottom: int) -> None:
    """Place the fit panel between pixel rows fit_top and bottom (from the top) and the small panels
    stacked beside it between column_top and bottom, each under a title row, the fit panel taking
    FIT_SHARE of the width left once every panel's y tick labels and label are measured."""
    width, height = figure.canvas.get_width_height()
    renderer = figure.canvas.get_renderer()
    slot = (height - column_top - bottom + PANEL_GAP) / len(column)
    # Twice: which ticks a log axis labels depends on its size (see animation.place_panels).
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


class UnitsAnimation(RunAnimation):
    """units.gif: at each frame, the data and net 0's prediction as the sum of its last hidden
    layer's units (each a thin curve in its own colour, the same in every frame) and the output
    bias; beside it, over the epochs with the frame's epoch marked, the training error, the
    gradient norm, the distinct units and the saturated share of each hidden layer; where the run
    has them, its penalty and batch mean beside the training error and small panels of its
    learning rate (under the error) and kernels' norm (under the gradient). A run of several nets
    shows net 0, the others faint in the small panels."""

    shown_net = 0

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

        self._diagnostic_column()
        self._place_beside(fit_axes, fit_top=72)
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

    def _diagnostic_column(self) -> None:
        """The small panels beside the units (self.column), one per diagnostic (self.diagnostics), with
        their curves and the words their titles will carry (self.words)."""
        run, figure = self.run, self.figure
        self.diagnostics = [training_error(run), learning_rate(run), gradient_norm(run), kernel_norm(run),
                            distinct_units(run), saturation(run)]
        # The learning rate and kernels' norm only where the run changes them (a schedule, weight decay).
        self.diagnostics = [diagnostic for diagnostic in self.diagnostics
                            if diagnostic.curves is not None or diagnostic.name not in SMALL_PANEL_COLORS]
        self.column = [figure.add_subplot()]
        self.column += [figure.add_subplot(sharex=self.column[0]) for _ in self.diagnostics[1:]]
        self._draw_diagnostics()
        self.words = self._title_words()

    def _place_beside(self, units_axes, fit_top: int) -> None:
        """Place the units' panel (from fit_top pixels down) and the small panels stacked at its right."""
        figure = self.figure
        place_units_panels(figure, units_axes, self.column, fit_top=fit_top, column_top=47, bottom=44)
        # Words beside the training error's title that leave it no room (a penalty, the batch mean and the
        # floor, in a narrow column) go on a row of their own above it.
        error_axes, words = self.column[0], self.words.get("loss", [])
        shortest = text_width(figure, self.diagnostics[0].titles[-1], fontsize=PANEL_TITLE_STYLE["fontsize"])
        self.words_above = shortest + words_width(figure, words) > error_axes.get_window_extent().width
        if self.words_above:
            place_units_panels(figure, units_axes, self.column, fit_top=fit_top, column_top=47 + WORDS_ROW_PIXELS,
                               bottom=44)

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
        return f"{run_description(self.run)}{net_zero_words(self.run)} shown"

    def _draw_diagnostics(self) -> None:
        """The small panels' curves, scales and ticks; epoch labels on the bottom one only."""
        run = self.run
        error_axes = self.column[0]
        style_loss_axes(error_axes, [run], label="", knobs=True)  # its limits, noise floor and divergence
        error_axes.set_xlabel("")
        self.knob_curves = draw_knob_curves(error_axes, run, width=1.2, legend=False)
        layers = len(run.config.hidden_layers)
        for axes, diagnostic in zip(self.column, self.diagnostics):
            style_small_panel(axes, [diagnostic], axis_epochs(run))
            colors = (layer_colors(layers) if diagnostic.name == "saturated_fraction" else
                      [SMALL_PANEL_COLORS.get(diagnostic.name, COLORS["net"])])
            draw_curves(axes, diagnostic, colors, ["-"] * len(colors), width=1.2)
        for axes in self.column[:-1]:
            axes.tick_params(labelbottom=False)
        self.column[-1].set_xlabel("epoch (log scale)", fontsize=8, labelpad=1)

    def _title_words(self) -> dict[str, list[tuple[str, str]]]:
        """The (text, colour) words at the right of the small panels' titles: beside the training error its
        penalty and batch mean in their colours (short; a curve that leaves the panel says so), then the
        noise floor (none for a classifier: its error rate, not its loss, is what has a floor); beside the
        saturated share the hidden layers' colours."""
        floor = self.run.noise_floor
        short = {"batch_loss": "batch mean"}
        floor_word = [] if self.run.config.classifies else [(floor_words(floor), COLORS["note"] if floor is None
                                                             else COLORS["floor"])]
        words = {"loss": [(short.get(curve.name, curve.label) + (" (leaves the plot)" if curve.off_plot else ""),
                           curve.color) for curve in self.knob_curves] + floor_word}
        if self.diagnostics[-1].curves is not None:
            words["saturated_fraction"] = layer_words(len(self.run.config.hidden_layers))
        return words

    def _titles(self) -> None:
        """The small panels' title rows (once the panels are placed), with their words at their right, or
        the training error's above it where they crowd its title."""
        for axes, diagnostic in zip(self.column, self.diagnostics):
            title_row(axes, diagnostic.titles, self.words.get(diagnostic.name, []),
                      words_above=self.words_above and diagnostic.name == "loss")

    def frame(self, index: int) -> np.ndarray:
        """Draw frame `index` and return its pixels, (height, width, 4) RGBA (the canvas's own buffer)."""
        epoch = int(self.shown_epochs[index])  # restored best weights: at their own epoch
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


def net_zero_words(run: Run) -> str:
    """What a comparison's units panel says after a seeded run's label: ', net 0 (seed 0)'."""
    return f", net 0 (seed {int(run.seeds[0])})" if run.nets > 1 else ""


# A comparison's row of small panels below the runs' panels: its height in pixels, with the
# titles above it and the epoch axis's labels below.
COMPARE_DIAGNOSTICS_ROOM = 190


class CompareUnitsAnimation(CompareAnimation):
    """The units of 2 to 9 runs side by side, in step (as CompareAnimation): one panel per run of its
    units and prediction (of a seeded run its net 0's, as its title says: 'adam (5 seeds), net 0 (seed
    0)'), titled with its label, what was trained and that net's training error; below, the gradient
    norm, distinct units and saturated share of every run (its net 0) on shared log epoch axes, one
    colour per run (the square before its title), the frame's epoch marked."""

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
        self.numbers, self.number_width = compare_numbers()
        self.figure, self.canvas, panels, subtitles = compare_panels(runs, limits, COMPARE_DIAGNOSTICS_ROOM,
                                                                     self.number_width)
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
        rows = max(map(len, subtitles))
        self.number_positions = [panel_title(axes, run, label, self.number_width, swatch=color, subtitle=subtitle,
                                             subtitle_rows=rows, shown=net_zero_words(run))
                                 for axes, run, label, color, subtitle in zip(panels, runs, labels, self.colors, subtitles)]
        # Net 0's alone: every run's other nets, faint in its colour, would bury the runs' lines.
        self.diagnostics = [[of_net_zero(diagnostic) for diagnostic in (gradient_norm(run), distinct_units(run),
                                                                         saturation(run))] for run in runs]
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

    def stated_error(self, run: Run, snapshot: int) -> float:
        """The training error of the net a panel shows (net 0), at its run's frame `snapshot`."""
        return float(run.frame_loss[snapshot, 0])

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
