"""The frames of fit.gif and seeds.gif for a run of two inputs (run.is_plane): the net's output
over the plane as a map, the training points over it, and beside it the error curves and, for a
classifier, the accuracy, the frame's epoch marked; blitted as every animation (animation.py).

One net: its output, a classifier's decision boundary drawn as a line. Many nets (seeds.gif): a
classifier's mean output beside where the nets disagree, a regression surface's median output
beside the spread of the nets. What each map holds and its colours are plane_maps.py's.
"""

from __future__ import annotations

import contourpy
import numpy as np
from matplotlib.cm import ScalarMappable
from matplotlib.collections import LineCollection
from matplotlib.ticker import FixedLocator, FuncFormatter, MaxNLocator

from drawing.animation import CAPTION_STYLE, HEADER_ROWS, MARGIN, RunAnimation, legend_above, new_canvas
from drawing.comparison import label_width
from drawing.curves import draw_error_curves, error_name, prepare_fonts, style_loss_axes, training_error_words
from drawing.plane_maps import (CLASS_COLORS, accuracy_limits, MapColors, as_map, axis_coordinates, boundary, disagreement_colors,
                                frame_maps, grid_side, map_extent, median_accuracy, names, output_colors, output_values,
                                plane_limits, point_colors, spread_colors)
from drawing.style import COLORS, axis_name, plain_tick_labels, text_width
from rundir import Run, median_over_nets
from summaries import format_loss

# Pixels above a map: its colour bar, the bar's numbers and its title row, and the gaps between.
BAR_GAP, BAR_HEIGHT, BAR_TICKS, BAR_TITLE = 4, 7, 11, 13
ABOVE_MAP = BAR_GAP + BAR_HEIGHT + BAR_TICKS + BAR_TITLE
HEADER_BOTTOM = HEADER_ROWS[1] + 10  # pixels from the top: the header's second line and a gap under it
BOTTOM = 44  # pixels below the panels: their tick labels and the x axis' label
MAP_GAP = 10  # pixels between two maps, and between the maps and the curves' tick labels
# The share of the room beside the maps' tick labels the maps may take (the curves have the rest),
# for one map and for two; a map is never taller than the room between header and bottom.
MAP_SHARE = {1: 0.55, 2: 0.62}
# The error panel's share of the curves' column's height, over a classifier's accuracy panel.
LOSS_SHARE = 0.56
SMALL_MAP = 160  # pixels: a map narrower than this marks fewer numbers along its axes
LABEL_FONT = 8  # points: the curves' axis labels, which share the column's height
SMALL_FONT = 7  # points: the colour bars' words and numbers, the accuracy panel's legend
POINT_STYLE = {"animated": True, "zorder": 3}  # drawn over the map in every frame
# A classifier's decision boundary, drawn over its map.
BOUNDARY_STYLE = {"colors": "#1a1a1a", "linewidths": 1.3}


def boundary_lines(values: np.ndarray, coordinates: tuple[np.ndarray, np.ndarray], level: float) -> list[np.ndarray]:
    """The lines (each (points, 2), in x1, x2) where a map (side, side; NaN where unknown) crosses
    `level`: its contour, worked out by contourpy (as matplotlib's contour does) without making
    a new artist each frame. coordinates: the grid's x1 along a row and x2 from row to row."""
    finite = np.isfinite(values)
    if finite.sum() < 4:
        return []
    masked = np.ma.masked_array(values, ~finite)
    generator = contourpy.contour_generator(*coordinates, masked, line_type=contourpy.LineType.Separate)
    return [line for line in generator.lines(level) if len(line) > 1]


def inner_ticks(low: float, high: float, bins: int) -> np.ndarray:
    """Round numbers strictly between low and high, bins - 1 or fewer, for a map's axes."""
    ticks = MaxNLocator(bins, steps=[1, 2, 2.5, 5, 10]).tick_values(low, high)
    margin = 1e-9 * (high - low)
    return ticks[(ticks > low + margin) & (ticks < high - margin)]


def first_fitting(texts: list[str], room: float, width_of) -> str:
    """The first of these texts no wider than `room` pixels (width_of measures one), else the last."""
    return next((text for text in texts if width_of(text) <= room), texts[-1])


def bar_extension(run: Run, colors: MapColors) -> str:
    """Which ends of a regression map's colour bar get an arrow: those some prediction lies past."""
    if boundary(run) is not None:
        return "neither"
    values = output_values(run)
    values = values[np.isfinite(values)]
    below = len(values) and values.min() < colors.norm.vmin
    above = len(values) and values.max() > colors.norm.vmax
    return {(True, True): "both", (True, False): "min", (False, True): "max"}.get((bool(below), bool(above)), "neither")


def style_accuracy_axes(axes, values: np.ndarray) -> None:
    """An accuracy panel's axes: from 0.4 (or lower, where these accuracies go lower) to just over 1,
    labelled, over log epochs."""
    axes.set_ylim(*accuracy_limits(values))
    axes.yaxis.set_major_locator(MaxNLocator(3, steps=[1, 2, 2.5, 5, 10]))
    axes.set_ylabel("accuracy", fontsize=LABEL_FONT)
    axes.set_xlabel("epoch (log scale)")
    plain_tick_labels(axes)
    axes.grid(True, which="major", alpha=0.3)


class MapPanel:
    """One map of the plane: the image of its values (set each frame), a classifier's decision
    boundary over it, the training points (and, on request, the held-out points) over that, its
    colour bar above it, and the x1 and x2 axes."""

    def __init__(self, figure, run: Run, colors: MapColors, level: float | None = None, points: bool = True,
                 extend: str = "neither"):
        self.run, self.colors, self.level = run, colors, level
        self.side = grid_side(run)
        self.coordinates = axis_coordinates(run)
        self.axes = axes = figure.add_axes([0, 0, 1, 1])
        self.image = axes.imshow(np.full((self.side, self.side), np.nan), cmap=colors.colormap, norm=colors.norm,
                                 origin="lower", extent=map_extent(run), interpolation="nearest", animated=True,
                                 zorder=1)
        axes.set_aspect("auto")  # a square panel, whatever the units of x1 and x2 (a CSV's may differ)
        axes.set_xlim(*plane_limits(run)[0])
        axes.set_ylim(*plane_limits(run)[1])
        axes.set_xlabel(axis_name(names(run)[0]), labelpad=1)
        axes.set_ylabel(axis_name(names(run)[1]), labelpad=1)
        axes.tick_params(labelsize=8)
        self.boundary = None
        if level is not None:
            self.boundary = LineCollection([], animated=True, zorder=2, **BOUNDARY_STYLE)
            axes.add_collection(self.boundary)
        self.points = self._points() if points else []
        self.bar = figure.add_axes([0, 0, 1, 1])
        self.colorbar = colorbar = figure.colorbar(ScalarMappable(colors.norm, colors.colormap), cax=self.bar,
                                                   orientation="horizontal", extend=extend, extendfrac=0.04)
        colorbar.set_ticks(FixedLocator(colors.ticks) if colors.ticks else MaxNLocator(4))
        # Plain numbers, never an offset or a factor written apart ('1e9' over the bar's title); the
        # numbers at the ends of fixed ticks are label_bar's, set inward.
        ends = (colors.norm.vmin, colors.norm.vmax) if colors.ticks else ()
        colorbar.formatter = FuncFormatter(lambda value, position: "" if value in ends else f"{value:g}")
        colorbar.update_ticks()
        self.bar.xaxis.set_ticks_position("top")
        self.bar.tick_params(labelsize=SMALL_FONT, length=2, pad=1)
        self.end_words = []

    def _points(self) -> list:
        """The training points (and the held-out points, hollow, where render.show_held_out asks),
        drawn over the map each frame: a classifier's in the colours of their classes, a regression
        surface's in the colours of their targets, each with an edge that shows on any colour (a
        hollow point's ring laid over a wider one in the edge's colour)."""
        run, drawn = self.run, []
        # A dark edge: a point in its class's colour on a map of that colour is still a filled dot,
        # never mistaken for a held-out point's ring (a white one, under a classifier's).
        ring = "white" if boundary(run) is not None else "#1a1a1a"
        drawn.append(self.axes.scatter(*run.x_train.T, c=point_colors(run, self.colors, run.y_train), s=12,
                                       edgecolors="#1a1a1a", linewidths=0.4, label="training points", **POINT_STYLE))
        if run.config.render.show_held_out and run.x_validation is not None:
            for width, colors, label in ((2.4, ring, None), (1.0, point_colors(run, self.colors, run.y_validation),
                                                             "held-out points (hollow)")):
                drawn.append(self.axes.scatter(*run.x_validation.T, facecolors="none", edgecolors=colors, s=16,
                                               linewidths=width, label=label or "_under", **POINT_STYLE))
        return drawn

    @property
    def labelled_points(self) -> list:
        """The points' artists a legend names."""
        return [points for points in self.points if not points.get_label().startswith("_")]

    def place(self, left: float, bottom: float, side: float) -> None:
        """Put the map's square (pixels from the figure's bottom left) and its colour bar above it."""
        width, height = self.axes.figure.canvas.get_width_height()
        self.axes.set_position([left / width, bottom / height, side / width, side / height])
        # None at the edges, where two maps' labels would meet; fewer on a small map.
        for axis, limits in zip((self.axes.xaxis, self.axes.yaxis), plane_limits(self.run)):
            axis.set_major_locator(FixedLocator(inner_ticks(*limits, 6 if side >= SMALL_MAP else 3)))
        self.bar.set_position([left / width, (bottom + side + BAR_GAP) / height, side / width, BAR_HEIGHT / height])

    def label_bar(self) -> None:
        """The colour bar's title (the first of its titles that fits over it) and the numbers or
        words at its ends, set inward, clear of a bar beside it: for a classifier the classes, in
        their colours; called once the map is placed."""
        figure, renderer = self.axes.figure, self.axes.figure.canvas.get_renderer()
        room = self.bar.get_window_extent(renderer).width
        low, high = self.colors.norm.vmin, self.colors.norm.vmax
        ends = self.colors.ends or [f"{value:g}" if value in self.colors.ticks else "" for value in (low, high)]
        for text, x, align, color in zip(ends, (0, 1), ("left", "right"), CLASS_COLORS):
            style = {"color": color, "fontweight": "bold"} if self.colors.ends else {}
            self.end_words.append(self.bar.annotate(text, xy=(x, 1), xycoords="axes fraction", xytext=(0, 1),
                                                    textcoords="offset points", ha=align, va="bottom",
                                                    fontsize=SMALL_FONT, **style))
        inner = [label.get_text() for label in self.bar.get_xticklabels() if label.get_text()]
        taken = sum(word.get_window_extent(renderer).width for word in self.end_words) + 8 * (len(inner) + 1)
        if inner and taken + sum(text_width(figure, text, fontsize=SMALL_FONT) for text in inner) > room:
            # A small bar: the classes at its ends keep their room, the number between them goes.
            self.colorbar.formatter = FuncFormatter(lambda value, position: "")
            self.colorbar.update_ticks()
        title = first_fitting(self.colors.titles, room, lambda text: text_width(figure, text, fontsize=SMALL_FONT + 1))
        # Over the row of the numbers and words, which lies 1 point over the bar and is as tall as its font.
        self.title = self.bar.annotate(title, xy=(0.5, 1), xycoords="axes fraction", xytext=(0, 3 + 1.2 * SMALL_FONT),
                                       textcoords="offset points", ha="center", va="bottom", fontsize=SMALL_FONT + 1)

    def keep_points(self) -> None:
        """Render the points once, as a layer to lay over the map each frame (draw_points): drawn by
        matplotlib on black and on white, which give each pixel's opacity and its colour times it
        (Agg lays a colour c of opacity a over d as a·c + (1 - a)·d). Redrawing 250 points with
        their edges took a third of a frame's time. Call once the background is kept."""
        canvas = self.axes.figure.canvas
        pixels = np.asarray(canvas.buffer_rgba())
        box = self.axes.bbox  # the points are clipped to the map
        self.rows = slice(max(int(pixels.shape[0] - box.y1), 0), int(np.ceil(pixels.shape[0] - box.y0)))
        self.columns = slice(max(int(box.x0), 0), int(np.ceil(box.x1)))
        over = []
        for shade in (0, 255):
            pixels[self.rows, self.columns, :3] = shade
            for points in self.points:
                self.axes.figure.draw_artist(points)
            over.append(pixels[self.rows, self.columns, :3].astype(np.float32))
        self.points_color, self.points_clear = over[0], (over[1] - over[0]) / 255  # a·c, and 1 - a

    def draw_points(self, pixels: np.ndarray) -> None:
        """Lay the points (keep_points) over the map drawn in the canvas's pixels."""
        if self.points:
            region = pixels[self.rows, self.columns, :3]
            region[...] = (region * self.points_clear + self.points_color + 0.5).astype(np.uint8)

    def update(self, values: np.ndarray) -> list:
        """Show these values (grid,) on the map; return the artists to draw (the points are
        draw_points')."""
        image = as_map(values, self.side)
        self.image.set_data(image)
        drawn = [self.image]
        if self.boundary is not None:
            self.boundary.set_segments(boundary_lines(image, self.coordinates, self.level))
            drawn.append(self.boundary)
        return drawn


class PlaneAnimation(RunAnimation):
    """fit.gif (one net) or seeds.gif (many nets) of a run of two inputs: the map(s) of the plane,
    beside the error curves, over a classifier's accuracy (the frame's epoch marked on both)."""

    def __init__(self, run: Run, width_pixels: int = 800, height_pixels: int = 360):
        self.run = run
        prepare_fonts([run])
        self.figure, self.canvas = figure, canvas = new_canvas(width_pixels, height_pixels)
        self.loss_label = self._loss_label(width_pixels)
        self.maps = self._map_panels()
        self.loss_axes = figure.add_axes([0, 0, 1, 1])
        self.accuracy_axes = figure.add_axes([0, 0, 1, 1], sharex=self.loss_axes) if run.config.classifies else None
        self._error_panel()
        if self.accuracy_axes is not None:
            self._accuracy_panel()
        self._place(HEADER_BOTTOM + ABOVE_MAP, BOTTOM)
        for panel in self.maps:
            panel.label_bar()
        self._name_error_axis()
        self._legend(width_pixels - 4)  # (the legend may reach nearer the edge than the panels)
        self._captions(width_pixels)
        self._ending(self.maps[0].axes)
        canvas.draw()
        self.background = canvas.copy_from_bbox(figure.bbox)
        for panel in self.maps:
            panel.keep_points()

    # --- set-up -----------------------------------------------------------------------------------

    def _loss_label(self, width: int) -> str:
        """What the header calls the error it states ('median training cross-entropy '), shorter
        where the first line has no room for it beside the epoch and the number."""
        run, name = self.run, error_name(self.run)
        median = "median " if run.nets > 1 else ""
        epoch = text_width(self.figure, f"epoch {run.epochs_requested:,} of {run.epochs_requested:,}", **CAPTION_STYLE)
        number = text_width(self.figure, format_loss(float("nan")), **CAPTION_STYLE)
        room = width - 2 * MARGIN - epoch - 20 - number
        return first_fitting([f"{median}{training_error_words(run)} ", f"{median}train {name} ", f"{median}{name} "],
                             room, lambda text: text_width(self.figure, text, **CAPTION_STYLE))

    def _map_panels(self) -> list[MapPanel]:
        """One map of the net's output; for many nets their mean (a classifier) or median (a
        regression surface) beside where they disagree or how far apart they are."""
        run, decision = self.run, boundary(self.run)
        colors = output_colors(run)
        first = MapPanel(self.figure, run, colors, decision, extend=bar_extension(run, colors))
        if run.nets == 1:
            return [first]
        if decision is not None:
            second = MapPanel(self.figure, run, disagreement_colors(), points=False)
        else:  # a spread past the top of its colours (spread_limit is robust): the bar says so
            second = MapPanel(self.figure, run, spread_colors(run), points=False, extend="max")
        second.axes.sharey(first.axes)
        second.axes.tick_params(labelleft=False)
        second.axes.set_ylabel("")
        return [first, second]

    def _error_panel(self) -> None:
        """The error curves (as fit.gif's), named as the run's loss is, with the Bayes cross-entropy
        where the problem has one, and the frame's marker."""
        run, axes, name = self.run, self.loss_axes, error_name(self.run)
        style_loss_axes(axes, [run], label=f"{name} (log scale)")  # with the Bayes cross-entropy, where known
        draw_error_curves(axes, run, width=1.2, label=f"training {name}", held_out_label=f"held-out {name}")
        (self.marker,) = axes.plot([], [], "o", color=COLORS["marker"], markersize=5, animated=True, zorder=5,
                                   clip_on=False)
        self.epoch_line = axes.axvline(1, color=COLORS["marker"], linewidth=0.8, alpha=0.6, animated=True)
        if self.accuracy_axes is not None:  # the epochs are the accuracy panel's, below
            axes.set_xlabel("")
            axes.tick_params(labelbottom=False)

    def _accuracy_panel(self) -> None:
        """A classifier's training and held-out accuracy at each frame (the median of many nets'),
        the frame's marker on the training accuracy."""
        run, axes = self.run, self.accuracy_axes
        epochs = run.frame_epochs
        shown = epochs >= 1  # epoch 0, the untrained net, is off the log axis
        self.accuracy = median_accuracy(run, "accuracy")
        held_out = median_accuracy(run, "val_accuracy")
        median = "median " if run.nets > 1 else ""
        axes.plot(epochs[shown], self.accuracy[shown], color=COLORS["median" if run.nets > 1 else "net"],
                  linewidth=1.2, label=f"{median}training")
        axes.plot(epochs[shown], held_out[shown], color=COLORS["validation"], linewidth=0.9, alpha=0.9,
                  label=f"{median}held-out")
        style_accuracy_axes(axes, np.concatenate([self.accuracy, held_out]))
        axes.legend(loc="best", fontsize=SMALL_FONT - 1, handlelength=1.2, borderaxespad=0.3, framealpha=0.8)
        (self.accuracy_marker,) = axes.plot([], [], "o", color=COLORS["marker"], markersize=4, animated=True,
                                            zorder=5, clip_on=False)
        self.accuracy_line = axes.axvline(1, color=COLORS["marker"], linewidth=0.8, alpha=0.6, animated=True)

    def _place(self, top: int, bottom: int) -> None:
        """Place the maps (square, side by side, as tall as the room between top and bottom
        allows, a share of its width: MAP_SHARE) and beside them the curves' column, from top to
        bottom: the error panel over the accuracy panel."""
        width, height = self.canvas.get_width_height()
        renderer = self.canvas.get_renderer()
        column = [axes for axes in (self.loss_axes, self.accuracy_axes) if axes is not None]
        count = len(self.maps)
        for _ in range(2):  # as animation.place_panels: a log axis' labels depend on its size
            map_gutter = label_width(self.maps[0].axes, renderer) + 10
            column_gutter = max(label_width(axes, renderer) for axes in column) + 10
            # As place_panels: the right margin leaves room for half of the last epoch's tick label.
            room = width - 2 * MARGIN - map_gutter - column_gutter - MAP_GAP * count
            side = min(height - top - bottom, room * MAP_SHARE[count] / count)
            map_bottom = bottom + (height - top - bottom - side) / 2
            left = map_gutter
            for panel in self.maps:
                panel.place(left, map_bottom, side)
                left += side + MAP_GAP
            left += column_gutter
            column_width = width - 2 * MARGIN - left
            # The column as tall as the room, whatever the maps' width leaves of their height: a small
            # picture's two panels need it for their axis labels.
            column_height = height - top - bottom
            if len(column) == 1:
                spans = [(bottom, column_height)]
            else:
                loss_height = (column_height - MAP_GAP) * LOSS_SHARE
                spans = [(height - top - loss_height, loss_height), (bottom, column_height - MAP_GAP - loss_height)]
            for axes, (panel_bottom, panel_height) in zip(column, spans):
                axes.set_position([left / width, panel_bottom / height, column_width / width, panel_height / height])

    def _name_error_axis(self) -> None:
        """The error axis' label, as long as the panel's height has room for ('cross-entropy (log
        scale)', or shorter in a small panel)."""
        name = error_name(self.run)
        room = self.loss_axes.get_window_extent(self.canvas.get_renderer()).height + MAP_GAP
        label = first_fitting([f"{name} (log scale)", f"{name} (log)", name], room,
                              lambda text: text_width(self.figure, text, fontsize=LABEL_FONT))
        self.loss_axes.set_ylabel(label, fontsize=LABEL_FONT)

    def _legend(self, room: float) -> None:
        """The error panel's legend (and the points' where held-out points are shown as well) above
        the panel, between it and the header: in a row or two (legend_above), then with the error's
        name left out of its entries (the axis says it), then in one column; else inside the panel."""
        handles = self.loss_axes.get_legend_handles_labels()[0]
        if len(self.maps[0].labelled_points) > 1:
            handles = handles + self.maps[0].labelled_points
        renderer = self.canvas.get_renderer()
        top = self.canvas.get_width_height()[1] - HEADER_ROWS[1] - 4  # the header's descenders, from the bottom

        def fits() -> bool:
            extent = self.loss_axes.get_legend().get_window_extent(renderer)
            return extent.x1 <= room and extent.y1 <= top

        legend_above(self.loss_axes, room, handles)
        if fits():
            return
        name = f" {error_name(self.run)}"
        for handle in handles:  # (the Bayes cross-entropy keeps its name: the axis' is not it)
            if handle.get_label().startswith(("training", "held-out")):
                handle.set_label(handle.get_label().replace(name, ""))
        legend_above(self.loss_axes, room, handles)
        if fits():
            return
        self.loss_axes.legend(handles=handles, loc="lower left", bbox_to_anchor=(0, 1), fontsize=SMALL_FONT - 1,
                              handlelength=1.5, frameon=False, borderaxespad=0.2, labelspacing=0.2)
        if not fits():
            self.loss_axes.legend(handles=handles, loc="best", fontsize=SMALL_FONT - 1, handlelength=1.5,
                                  labelspacing=0.2, framealpha=0.8)

    # --- frames -----------------------------------------------------------------------------------

    def frame_loss(self, index: int) -> float:
        return float(median_over_nets(self.run.frame_loss[index])) if self.run.nets > 1 else \
            super().frame_loss(index)

    def frame(self, index: int) -> np.ndarray:
        """Draw frame `index` and return its pixels, (height, width, 4) RGBA (the canvas's own buffer)."""
        epoch = int(self.shown_epochs[index])  # restored best weights: at their own epoch
        self.canvas.restore_region(self.background)
        pixels = np.asarray(self.canvas.buffer_rgba())
        for panel, values in zip(self.maps, frame_maps(self.run, index)):
            for artist in panel.update(values):
                self.figure.draw_artist(artist)
            panel.draw_points(pixels)
        artists = []
        if epoch:  # epoch 0, the untrained net, has no place on the log epoch axis: no marker then
            self.marker.set_data([epoch], [self.frame_loss(index)])
            self.epoch_line.set_xdata([epoch, epoch])
            artists += [self.epoch_line, self.marker]
            if self.accuracy_axes is not None:
                self.accuracy_marker.set_data([epoch], [self.accuracy[index]])
                self.accuracy_line.set_xdata([epoch, epoch])
                artists += [self.accuracy_line, self.accuracy_marker]
        return self._finished_frame(index, artists)
