"""The frames of units.gif for a net of two inputs: each unit of its first hidden layer (and of its
last, where it has more than one) as a small map of its output over the plane, the way TensorFlow
Playground draws its neurons, frame by frame; beside them, as units.gif of one input has them, the
small panels of what training did inside the net over the epochs (diagnostics.py).

The maps are worked out when drawn, from net 0's recorded weights (unit_maps.py), and written
straight into the frame's pixels: three dozen images drawn by matplotlib took four times as long.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from matplotlib.patches import Rectangle
from matplotlib.transforms import IdentityTransform

from drawing.animation import CAPTION_STYLE, HEADER_ROWS, MARGIN, NumberStamper, new_canvas
from drawing.curves import prepare_fonts
from drawing.diagnostic_panels import EpochMarks, frame_dots
from drawing.style import COLORS, fitted, text_width
from drawing.unit_maps import (UNIT_COLORMAP, MapLayout, MapSpacing, UnitColors, colour_table, drawn_weights,
                               layer_colors, map_layout, net_on_grid, outgoing_weights, shown_layers, shown_units,
                               unit_importance, unit_outputs)
from drawing.units_frames import UnitsAnimation
from rundir import Run

# A map's label row: the unit's number at its left and, for the last hidden layer, its weight to
# the output at its right, in the colour of the weight's sign (the maps' blue or orange).
LABEL_FONTSIZE, HEADING_FONTSIZE = 6, 7
WEIGHT_COLORS = {"positive": "#0877bd", "negative": "#c4660a"}
SMALLEST_MAP, LARGEST_MAP = 18, 150  # pixels a side
MAP_BORDER = "#c8c8c8"
NOTE_ROW = 13  # pixels at the bottom of the maps' room, for the note that says what a map's axes are
KEY_WIDTH = 46  # pixels of a section's colour key


@dataclass
class Section:
    """The maps of one hidden layer: its index, the units shown, their colours, and where each map's
    top left corner lies (pixels from the canvas's top left)."""

    layer: int
    units: np.ndarray
    colors: UnitColors
    origins: list[tuple[int, int]]
    weights: bool  # whether its labels carry the units' weights to the output


def compact_number(value: float) -> str:
    """A weight in at most five characters or so, with its sign: '+0.53', '-1.2', '+12', '+3e5'."""
    size = abs(value)
    if size < 1:
        return f"{value:+.2f}"
    if size < 10:
        return f"{value:+.1f}"
    if size < 100:
        return f"{value:+.0f}"
    return f"{value:+.0e}".replace("e+0", "e").replace("e+", "e")


def first_that_fits(text, candidates: list[str], max_pixels: float) -> None:
    """Give a text artist the first of the candidate texts (longest first) that is at most max_pixels
    wide, or the last shortened with '…'."""
    renderer = text.figure.canvas.get_renderer()
    for candidate in candidates:
        text.set_text(candidate)
        if text.get_window_extent(renderer).width <= max_pixels:
            return
    fitted(text, max_pixels, renderer)


class PlaneUnitsAnimation(UnitsAnimation):
    """units.gif of a net of two inputs: at each frame, each unit's output over the plane as a small
    map (x1 across, x2 up), its number above it and, in the last hidden layer, its weight to the
    output; the colours fixed per layer (its activation's range); beside them the diagnostics of
    UnitsAnimation. A layer with more units than there is room for shows those that pass the most
    on, and says so. A run of several nets shows net 0."""

    def __init__(self, run: Run, width_pixels: int = 800, height_pixels: int = 360):
        self.run = run
        prepare_fonts([run])
        self.figure, self.canvas = figure, canvas = new_canvas(width_pixels, height_pixels)
        self.loss_label = self._loss_label(width_pixels)
        self.net = net_on_grid(run)
        self.weight_frames = drawn_weights(run)
        self.maps_axes = figure.add_subplot()
        self.maps_axes.set_axis_off()
        self._diagnostic_column()
        self._place_beside(self.maps_axes, fit_top=72)  # the maps' room is settled once the header is
        self._titles()
        self.marks = EpochMarks(figure, self.column)
        grown = figure.canvas.get_width_height()[1]
        self._captions(width_pixels)
        grown = figure.canvas.get_width_height()[1] - grown  # header lines added at the top
        self.weight_numbers = NumberStamper(LABEL_FONTSIZE, fontweight="normal")
        self._lay_out_maps(top=HEADER_ROWS[1] + 10 + grown)
        self._ending(self.maps_axes)
        canvas.draw()
        self.background = canvas.copy_from_bbox(figure.bbox)

    def _loss_label(self, width: int) -> str:
        """What the header calls the training error: 'training cross-entropy ', of 'net 0's' for several
        nets, without 'training' where the header's first line has no room for it."""
        run = self.run
        whose = "net 0's " if run.nets > 1 else ""
        labels = [f"{whose}training {run.summary.error_name} ", f"{whose}{run.summary.error_name} "]
        epochs = text_width(self.figure, f"epoch {run.epochs_requested:,} of {run.epochs_requested:,}",
                            **CAPTION_STYLE)
        number = text_width(self.figure, "0.00000", **CAPTION_STYLE)
        return next((label for label in labels[:-1] if MARGIN + epochs + 20 + number + text_width(
            self.figure, label, **CAPTION_STYLE) <= width - MARGIN), labels[-1])

    def _lay_out_maps(self, top: int) -> None:
        """Place the sections of small maps between the header (top, pixels from the canvas's top) and
        the bottom, left of the small panels' tick labels; draw what does not move: each section's
        heading and colour key, each map's border and number, and the note on the maps' axes."""
        figure, run = self.figure, self.run
        width, height = self.canvas.get_width_height()
        renderer = self.canvas.get_renderer()
        right = min(axes.yaxis.get_tightbbox(renderer).x0 for axes in self.column) - 14
        bottom = height - MARGIN // 2 - NOTE_ROW
        self.maps_axes.set_position([MARGIN / width, (height - bottom) / height, (right - MARGIN) / width,
                                     (bottom - top) / height])
        layers = shown_layers(run)
        label = text_width(figure, "00  -0.00", fontsize=LABEL_FONTSIZE)
        spacing = MapSpacing()
        layout = map_layout(right - MARGIN, bottom - top, [run.config.hidden_layers[layer] for layer in layers],
                            max(SMALLEST_MAP, int(label) + 2), LARGEST_MAP, spacing)
        last_row = self.weight_frames[-1]
        used = sum(spacing.heading + layout.rows(section) * (spacing.label + layout.side + spacing.gap)
                   for section in range(len(layers)))
        self.sections, y = [], top + max(0, (bottom - top - used) // 2)  # the sections centred in their room
        for section, layer in enumerate(layers):
            weights = layer == len(run.config.hidden_layers) - 1
            units = shown_units(unit_importance(self.net, run.per_frame["weights"][max(last_row, 0), 0], layer),
                                layout.shown[section])
            colors = layer_colors(run, self.net, layer)
            self._heading(layer, len(units), colors, y + spacing.heading - 4, right)
            columns = -(-len(units) // layout.rows(section))  # rows as full as each other
            origins = [(y + spacing.heading + (position // columns) * (spacing.label + layout.side + spacing.gap)
                        + spacing.label, MARGIN + (position % columns) * (layout.side + spacing.gap))
                       for position in range(len(units))]
            self.sections.append(Section(layer, units, colors, origins, weights))
            for (map_top, map_left), unit in zip(origins, units):
                self._map_frame(map_top, map_left, layout.side, str(unit + 1))
            y += spacing.heading + layout.rows(section) * (spacing.label + layout.side + spacing.gap)
        self.side = layout.side
        self._resampling(layout)
        (low1, low2), (high1, high2) = run.x_grid.min(axis=0), run.x_grid.max(axis=0)
        spans = (f"{low1:g} to {high1:g}" if (low1, high1) == (low2, high2) else
                 f"{low1:g} to {high1:g} and {low2:g} to {high2:g}")  # a CSV's points have ranges of their own
        note = figure.text(MARGIN / width, MARGIN / 2 / height + 2 / height, "", fontsize=HEADING_FONTSIZE,
                           color=COLORS["note"], va="bottom")
        across, up = (run.summary.axis_names or ("x1", "x2"))[:2]  # a CSV's column names
        first_that_fits(note, [f"each map: the unit's output over {across} (across) and {up} (up), {spans}",
                               f"each map: {across} across, {up} up, {spans}"], right - MARGIN)

    def _resampling(self, layout: MapLayout) -> None:
        """Which grid row and column each pixel row and column of a map shows: x2 grows upwards, so
        the top pixel row is the grid's last row (playground.plane_grid's order)."""
        side, grid = layout.side, self.run.config.grid_points
        steps = np.minimum(((np.arange(side) + 0.5) * grid / side).astype(np.intp), grid - 1)
        self.pixel_rows, self.pixel_columns = grid - 1 - steps, steps
        self.table = colour_table()

    def _heading(self, layer: int, shown: int, colors: UnitColors, baseline: int, right: float) -> None:
        """A section's heading (its baseline `baseline` pixels from the top): which layer, how many of
        its units, their activation, and what the numbers above its maps are; at its right, the
        colour key of its maps, from the lowest output to the highest."""
        run, figure = self.run, self.figure
        width, height = self.canvas.get_width_height()
        layers, units, activation = len(run.config.hidden_layers), run.config.hidden_layers[layer], run.config.activations[layer]
        place = "" if layers == 1 else " (first)" if layer == 0 else " (last)"
        count = f"{units} {activation} units" if shown == units else f"{shown} of {units} {activation} units"
        chosen = "" if shown == units else " (the largest weights out)"
        numbers = " · above each: unit, weight out" if layer == layers - 1 else ""
        low, high = f"{colors.low:g}", f"{colors.high:g}"
        key_right = right - text_width(figure, high, fontsize=LABEL_FONTSIZE) - 3
        key_left = key_right - KEY_WIDTH
        low_left = key_left - 3 - text_width(figure, low, fontsize=LABEL_FONTSIZE)
        for x, label in ((low_left, low), (key_right + 3, high)):
            figure.text(x, height - baseline, label, transform=IdentityTransform(), fontsize=LABEL_FONTSIZE,
                        color=COLORS["note"], va="baseline")
        key = figure.add_axes([key_left / width, (height - baseline) / height, KEY_WIDTH / width, 6 / height])
        key.imshow(np.linspace(0, 1, 64)[None], cmap=UNIT_COLORMAP, aspect="auto", extent=(0, 1, 0, 1))
        key.set_axis_off()
        text = figure.text(MARGIN, height - baseline, "", transform=IdentityTransform(), fontsize=HEADING_FONTSIZE,
                           fontweight="bold", va="baseline")
        name = f"layer {layer + 1}{place}"
        first_that_fits(text, [f"{name}: {count}{chosen}{numbers}", f"{name}: {count}{chosen}", f"{name}: {count}",
                               f"{name}: {shown} of {units}" if shown < units else name], low_left - MARGIN - 8)

    def _map_frame(self, top: int, left: int, side: int, number: str) -> None:
        """A map's grey border and its unit's number above its left corner (pixels from the top left)."""
        height = self.canvas.get_width_height()[1]
        self.figure.add_artist(Rectangle((left - 1, height - top - side - 1), side + 2, side + 2,
                                         transform=IdentityTransform(), facecolor="none", edgecolor=MAP_BORDER,
                                         linewidth=1))
        self.figure.text(left, height - top + 2, number, transform=IdentityTransform(), fontsize=LABEL_FONTSIZE,
                         color=COLORS["note"], va="baseline")

    def maps(self, index: int) -> list[np.ndarray]:
        """Each section's maps at frame `index`, (units shown, grid side, grid side) with x2 growing
        from row to row: net 0's units' outputs at the weights the frame draws (drawn_weights)."""
        outputs = unit_outputs(self.run, self.net, int(self.weight_frames[index]))
        grid = self.run.config.grid_points
        return [outputs[section.layer][section.units].reshape(-1, grid, grid) for section in self.sections]

    def _draw_maps(self, pixels: np.ndarray, index: int) -> None:
        """Write frame `index`'s maps into the pixels, and the last layer's weights above them."""
        side = self.side
        row = self.weight_frames[index]
        for section, values in zip(self.sections, self.maps(index)):
            colours = self.table[section.colors.indices(values[:, self.pixel_rows][:, :, self.pixel_columns])]
            for (top, left), image in zip(section.origins, colours):
                pixels[top:top + side, left:left + side] = image
            if section.weights and row >= 0:
                weights = outgoing_weights(self.net, self.run.per_frame["weights"][row, 0])[section.units]
                for (top, left), weight in zip(section.origins, weights):
                    color = WEIGHT_COLORS["positive" if weight >= 0 else "negative"]
                    self.weight_numbers.stamp(pixels, compact_number(weight), left + side, top - 2, color, "right")

    def frame(self, index: int) -> np.ndarray:
        """Draw frame `index` and return its pixels, (height, width, 4) RGBA (the canvas's own buffer)."""
        epoch = int(self.shown_epochs[index])  # restored best weights: at their own epoch
        self.canvas.restore_region(self.background)
        self._draw_maps(np.asarray(self.canvas.buffer_rgba()), index)
        artists = []
        if epoch:  # epoch 0, the untrained net, has no place on the log epoch axes: no marks then
            artists += self.marks.update(epoch, frame_dots(self.diagnostics, index))
        return self._finished_frame(index, artists)
