"""residuals.png for a net of two inputs: what is left for it to learn over the plane, at the end
(a large map) and over the epochs (a strip of small maps, from the untrained net to the end).

A regression surface whose truth is known: the prediction minus the true surface at every point of
the grid, on the colour scale of residuals.png of one input (white: nothing left to learn; lines at
± the noise's σ on the colour bar). A classifier (whose truth on the grid is not known): each
training point's label minus the net's output there (the probability of class 1, or Playground's
tanh output against labels of ±1), over the net's output and its decision boundary. Where no truth
is known for a regression (points from a file), each training point's prediction minus its target.
A run of several seeds is drawn by its first net, as units.gif is.
"""

from __future__ import annotations

import math
import textwrap
from pathlib import Path

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

import hessians
from drawing.curves import prepare_fonts
from drawing.residual_analysis import (NOT_FINITE_COLOR, RESIDUAL_COLORMAP, Residuals, colormap, residual_limit,
                                       residual_norm)
from drawing.residuals import residual_colorbar, title_run
from drawing.style import COLORS, DPI
from drawing.unit_maps import UNIT_COLORMAP, net_at
from rundir import Run
from summaries import NOT_FINITE, floor_words, percent

STRIP_FRAMES = 6  # the small maps over the epochs, from the untrained net's to the last
# A classifier's output shades its maps faintly: the points, coloured by their residual, stand on it.
SHADE_ALPHA = 0.3
POINT_SIZE = {"final": 22, "strip": 6}  # points² of a training point's marker
COLORBAR_ASPECT = 25  # the colour bar's length over its width


def strip_frames(run: Run, count: int = STRIP_FRAMES) -> np.ndarray:
    """The frames of the strip: `count` (or every frame, if fewer) evenly over the frames, from the
    first (epoch 0) to the last; the frames are denser early, where a net changes most."""
    return np.unique(np.linspace(0, len(run.frame_epochs) - 1, count).round().astype(int))


def grid_residuals(run: Run) -> np.ndarray:
    """(frames, grid points) net 0's prediction minus the true surface, float64."""
    return run.predictions[:, 0].astype(np.float64) - run.y_grid_true.astype(np.float64)


def point_outputs(run: Run, frames: np.ndarray) -> np.ndarray:
    """(frames, training points) net 0's output at each training point at these frames, from its
    recorded weights: a classifier's probability of class 1 (the sigmoid of its logit), Playground's
    tanh output, or a regression's value (in the data's units, for a net trained on standardized y)."""
    rows = run.per_frame["weights"][frames, 0].astype(np.float64)
    with np.errstate(all="ignore"):  # a net that blew up: its outputs are not finite, and stay so
        linear = hessians.outputs(net_at(run, run.x_train), rows)
        if not run.config.classifies:
            standardization = run.summary.standardization
            return linear if standardization is None else linear * standardization.y_scale + standardization.y_shift
        return np.tanh(linear) if run.config.classification_loss == "squared_error" else 0.5 + 0.5 * np.tanh(linear / 2)


def point_residuals(run: Run, frames: np.ndarray) -> np.ndarray:
    """(frames, training points) each training point's residual: a classifier's label minus its
    output (positive for class 1's points, negative for class 0's; beyond half the labels' gap the
    point is on the wrong side of the boundary); a regression's prediction minus its target."""
    outputs = point_outputs(run, frames)
    labels = run.y_train.astype(np.float64)
    return labels - outputs if run.config.classifies else outputs - labels


def decision_level(run: Run) -> float:
    """The output at a classifier's decision boundary: a probability of 0.5, a tanh output of 0."""
    return 0.0 if run.config.classification_loss == "squared_error" else 0.5


def residual_reach(run: Run) -> float:
    """How far a classifier's residual can go either side of 0: 1 (probabilities), 2 (tanh on ±1)."""
    return 2.0 if run.config.classification_loss == "squared_error" else 1.0


def last_finite(values: np.ndarray) -> int:
    """The last row of values that is all finite (the last if none is)."""
    finite = np.flatnonzero(np.isfinite(values).all(axis=1))
    return int(finite[-1]) if len(finite) else len(values) - 1


def grid_lines(run: Run) -> tuple[np.ndarray, np.ndarray]:
    """The grid's x1 along a row and x2 from row to row (playground.plane_grid's order)."""
    side = run.config.grid_points
    return run.x_grid[:side, 0].astype(np.float64), run.x_grid[::side, 1].astype(np.float64)


def map_extent(run: Run) -> tuple[float, float, float, float]:
    """The grid's image extent, each cell centred on its point (the plane's extent is the grid's)."""
    x1, x2 = grid_lines(run)
    half1, half2 = (x1[-1] - x1[0]) / max(len(x1) - 1, 1) / 2, (x2[-1] - x2[0]) / max(len(x2) - 1, 1) / 2
    return x1[0] - half1, x1[-1] + half1, x2[0] - half2, x2[-1] + half2


def as_image(values: np.ndarray, run: Run) -> np.ndarray:
    """Grid values as a (side, side) image to draw with its origin at the bottom (x2 row to row)."""
    side = run.config.grid_points
    return np.ma.masked_invalid(np.asarray(values).reshape(side, side))


def error_rates(run: Run, index: int) -> tuple[str, str]:
    """Net 0's training and held-out error rates at frame `index` (1 - its accuracies), as percentages."""
    rates = [1 - float(run.per_frame[name][index, 0]) for name in ("accuracy", "val_accuracy")]
    return tuple(percent(rate if math.isfinite(rate) else None) for rate in rates)


def style_map_axes(axes, run: Run, labels: bool) -> None:
    """A map's limits (the grid's), its square box (a CSV's inputs span ranges of their own, in units
    of their own), and on the large map the inputs' names."""
    axes.set_xlim(*map_extent(run)[:2])
    axes.set_ylim(*map_extent(run)[2:])
    axes.set_box_aspect(1)
    for axis in (axes.xaxis, axes.yaxis):
        axis.set_major_locator(MaxNLocator(5))
    axes.tick_params(labelsize=7 if not labels else 8)
    if labels:
        names = run.summary.axis_names or ("x1", "x2")
        axes.set_xlabel(names[0])
        axes.set_ylabel(names[1])


def draw_grid_map(axes, run: Run, values: np.ndarray, norm):
    """A residual over the grid (NaN black, beyond the scale magenta)."""
    return axes.imshow(as_image(values, run), origin="lower", extent=map_extent(run), norm=norm,
                       cmap=colormap(RESIDUAL_COLORMAP), interpolation="nearest", aspect="auto")


def draw_point_map(axes, run: Run, index: int, residuals: np.ndarray, norm, size: float):
    """A classifier's output at frame `index` faintly, its decision boundary, and the training points
    coloured by their residual (not finite: black); returns the points, for the colour bar."""
    output = run.predictions[index, 0].astype(np.float64)
    if run.config.classifies:
        level, reach = decision_level(run), residual_reach(run) / 2
        axes.imshow(as_image(output, run), origin="lower", extent=map_extent(run), cmap=UNIT_COLORMAP,
                    norm=Normalize(level - reach, level + reach), alpha=SHADE_ALPHA, interpolation="nearest", aspect="auto")
        image = as_image(output, run)
        if np.isfinite(output).all() and image.min() < level < image.max():  # a boundary to draw
            axes.contour(*grid_lines(run), image, levels=[level], colors=COLORS["truth"], linewidths=1.2)
    finite = np.isfinite(residuals)
    colormap_points = UNIT_COLORMAP if run.config.classifies else colormap(RESIDUAL_COLORMAP)
    # A misclassified point (its residual beyond half the labels' gap) is outlined in black.
    wrong = np.abs(residuals[finite]) > residual_reach(run) / 2 if run.config.classifies else np.zeros(finite.sum(), bool)
    edges = np.where(wrong, COLORS["truth"], "#8a8a8a")
    points = axes.scatter(run.x_train[finite, 0], run.x_train[finite, 1], c=residuals[finite], cmap=colormap_points,
                          norm=norm, s=size, edgecolors=edges, linewidths=np.where(wrong, 0.9, 0.4), zorder=3)
    if not finite.all():
        axes.scatter(run.x_train[~finite, 0], run.x_train[~finite, 1], color=NOT_FINITE_COLOR, s=size, zorder=3)
    return points


class PlaneResidualPicture:
    """What residuals.png of a plane shows of net 0: the strip's frames and the final one (the last
    whose output on the grid is finite), and the residuals at them, on the grid or at the points."""

    def __init__(self, run: Run):
        self.run = run
        self.strip = strip_frames(run)
        self.on_grid = run.y_grid_true is not None and not run.config.classifies
        self.final = last_finite(run.predictions[:, 0])
        frames = np.append(self.strip, self.final)
        self.values = grid_residuals(run)[frames] if self.on_grid else point_residuals(run, frames)

    @property
    def final_values(self) -> np.ndarray:
        return self.values[-1]

    @property
    def strip_values(self) -> np.ndarray:
        return self.values[:-1]


def regression_scale(run: Run, picture: PlaneResidualPicture):
    """A regression's residuals' colour scale, against the true surface (every frame's) or the data
    at the points (the frames drawn), and its reach: as residuals.png of one input has it
    (residual_analysis: symmetric-log, blow-ups off the scale)."""
    sigma = float(np.sqrt(run.noise_floor)) if run.noise_floor else None
    values = grid_residuals(run) if picture.on_grid else picture.values
    item = Residuals(run.x_grid, run.frame_epochs, values, picture.on_grid, sigma, None, None)
    limit = residual_limit([run], [item])
    return item, limit, residual_norm(limit, [item])


def residuals_plane_figure(run: Run) -> Figure:
    """The figure of residuals.png for a run of two inputs: the final residual map large at the left,
    the strip of STRIP_FRAMES small maps over the epochs at the right, one colour scale for all."""
    prepare_fonts([run])
    figure = Figure(figsize=(11, 5.6), dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)
    draw_plane_residuals(figure, run)
    return figure


def draw_plane_residuals(figure, run: Run) -> None:
    """What residuals_plane_figure draws, into a figure or a part of one (a comparison's subfigure)."""
    picture = PlaneResidualPicture(run)
    columns = math.ceil(len(picture.strip) / 2)
    mosaic = [["final", "final"] + [f"s{row * columns + column}" for column in range(columns)] for row in range(2)]
    panels = figure.subplot_mosaic(mosaic, empty_sentinel=None)
    strip_axes = [panels[f"s{position}"] for position in range(len(picture.strip))]
    for position in range(len(picture.strip), 2 * columns):
        panels[f"s{position}"].set_axis_off()
    final_axes = panels["final"]
    if run.config.classifies:
        norm = Normalize(-residual_reach(run), residual_reach(run))
    else:
        item, limit, norm = regression_scale(run, picture)
    def draw(axes, index: int, values: np.ndarray, size: float):
        return (draw_grid_map(axes, run, values, norm) if picture.on_grid else
                draw_point_map(axes, run, index, values, norm, size))

    mappable = draw(final_axes, picture.final, picture.final_values, POINT_SIZE["final"])
    for axes, index, values in zip(strip_axes, picture.strip, picture.strip_values):
        draw(axes, int(index), values, POINT_SIZE["strip"])
    if run.config.classifies:
        bar = figure.colorbar(mappable, ax=[final_axes, *strip_axes], pad=0.02, aspect=COLORBAR_ASPECT)
        class_colorbar(bar, run)
        final_axes.set_title(wrapped_title(points_title(run, picture)), fontsize=10)
        notes = points_note(run, picture)
    else:
        residual_colorbar(figure, mappable, [final_axes, *strip_axes], [item], limit, aspect=COLORBAR_ASPECT)
        title = regression_title(run, picture) if picture.on_grid else points_title(run, picture)
        final_axes.set_title(wrapped_title(title), fontsize=10)
        notes = off_scale_note(picture.values, limit)
    style_map_axes(final_axes, run, labels=True)
    for axes, index, values in zip(strip_axes, picture.strip, picture.strip_values):
        style_map_axes(axes, run, labels=False)
        axes.set_title(strip_title(run, int(index), values, picture.on_grid), fontsize=8)
    title_run(figure, run, "the large map")
    if notes:
        figure.supxlabel("\n".join(textwrap.fill(note, 170) for note in notes), fontsize=8.5, color=COLORS["note"])


def wrapped_title(title: str, width: int = 52) -> str:
    """A title's lines, each broken to at most `width` characters (a map is no wider)."""
    return "\n".join(textwrap.fill(line, width) for line in title.splitlines())


def rms(values: np.ndarray) -> float:
    with np.errstate(all="ignore"):
        return float(np.sqrt(np.mean(np.square(values))))


def regression_title(run: Run, picture: PlaneResidualPicture) -> str:
    """The final map's title: its epoch, its root mean square over the plane, and the noise's σ."""
    epoch = int(run.frame_epochs[picture.final])
    which = (f"epoch {epoch:,}" if picture.final == len(run.frame_epochs) - 1 else
             f"epoch {epoch:,}, the last whose prediction is finite")
    sigma = f"the noise's σ {math.sqrt(run.noise_floor):.3g} · " if run.noise_floor else ""
    return (f"prediction − true surface, {which}\nRMS {rms(picture.final_values):.3g} over the plane\n"
            f"{sigma}{floor_words(run.noise_floor)}")


def points_title(run: Run, picture: PlaneResidualPicture) -> str:
    """The final map's title: what a point's colour is, at which epoch; a classifier's error rates
    (and the lowest any classifier can have, where the problem defines it)."""
    epoch = int(run.frame_epochs[picture.final])
    last = picture.final == len(run.frame_epochs) - 1
    which = f"epoch {epoch:,}" if last else f"epoch {epoch:,}, the last whose output is finite"
    if not run.config.classifies:
        return f"at the training points: prediction − data, {which}\n(no true surface known)"
    output = "P(class 1)" if run.config.classification_loss == "cross_entropy" else "tanh output (labels ±1)"
    training, held_out = error_rates(run, picture.final)
    bayes = run.summary.bayes_error_rate
    lowest = f" (the lowest possible, Bayes: {percent(bayes)})" if bayes is not None else ""
    return (f"label − {output} at the training points, {which}\nheld-out error rate {held_out}{lowest}\n"
            f"training error rate {training}")


def strip_title(run: Run, index: int, values: np.ndarray, on_grid: bool) -> str:
    """A small map's title: its epoch, and its RMS residual or its training error rate."""
    epoch = f"epoch {int(run.frame_epochs[index]):,}"
    if on_grid:
        return f"{epoch}\nRMS {rms(values):.2g}" if np.isfinite(values).all() else f"{epoch}\n{NOT_FINITE}"
    if run.config.classifies:
        return f"{epoch}\ntraining error {error_rates(run, index)[0]}"
    return epoch


def class_colorbar(bar, run: Run) -> None:
    """A classifier's colour bar: what a point's residual is, and beyond which it is misclassified."""
    reach = residual_reach(run)
    wrong = reach / 2
    bar.set_ticks([-reach, -wrong, 0, wrong, reach])
    for value in (-wrong, wrong):
        bar.ax.axhline(value, color=COLORS["truth"], linewidth=1.2)
    output = "P(class 1)" if run.config.classification_loss == "cross_entropy" else "tanh output"
    names = run.summary.class_names  # a CSV's own labels
    zero, one = (f"“{names[0]}”", f"“{names[1]}” (class 1)") if names else ("class " + ("0" if wrong == 0.5 else "−1"),
                                                                         "class 1")
    bar.set_label(f"label − {output}: {one}'s points above 0, {zero}'s below\n"
                  f"beyond ±{wrong:g} (lines): misclassified, outlined black", fontsize=9)


def points_note(run: Run, picture: PlaneResidualPicture) -> list[str]:
    """What a classifier's picture shows, in words; and what its black points are, if any."""
    notes = []
    if run.config.classifies:
        notes.append("Each training point is coloured by its label minus the net's output there (worked out from "
                     "net 0's recorded weights): pale where the net is right and sure, deeper the more it is wrong. "
                     "Shading: the net's output over the plane; line: its decision boundary.")
    if not np.isfinite(picture.values).all():
        notes.append("black points: the net's output there is not a finite number")
    return notes


def off_scale_note(values: np.ndarray, limit: float) -> list[str]:
    """What the colours beyond the scale mean, where some map has them."""
    notes = []
    with np.errstate(invalid="ignore"):
        if (np.isfinite(values) & (np.abs(values) > limit)).any():
            notes.append(f"magenta: off the colour scale (a residual beyond ±{limit:.2g})")
    if not np.isfinite(values).all():
        notes.append("black: not a finite number")
    return ["; ".join(notes)] if notes else []


def draw_plane_residuals_png(run: Run, path: str | Path) -> None:
    """residuals.png of a run of two inputs (net 0's, for a run of several seeds)."""
    residuals_plane_figure(run).savefig(path, format="png")
