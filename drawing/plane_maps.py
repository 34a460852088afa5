"""What the maps of a run of two inputs show: a net's output over the grid of the plane, as an
image; for many nets their mean and where they disagree (a classifier), or their median and
spread (a regression surface); and the colours each is drawn in, with the same meaning in
every frame of a run.

Pure NumPy and matplotlib's colour maps: the frames (plane_frames.py) draw what these give, and
the tests check these against NumPy worked out on their own.
"""

from __future__ import annotations

import warnings

import matplotlib
import numpy as np
from matplotlib.colors import LinearSegmentedColormap, Normalize, to_rgba

from rundir import Run

# Playground's own colours of the two classes: orange for class 0 (its -1), blue for class 1.
CLASS_COLORS = ("#f59322", "#0877bd")
# Where a map has no number (a net whose output is not finite): a grey no colour map here uses.
NAN_COLOR = "#b4b4b4"
# Each map's colours come in steps, as many as a GIF's palette of 256 colours keeps exactly in
# every frame beside the text's (a smooth map's hundreds of shades were matched to whatever the
# palette held: yellow to the held-out curve's orange). An odd count for a classifier, whose
# middle step, white, is centred on the decision boundary.
CLASS_STEPS, VALUE_STEPS, SPREAD_STEPS = 21, 16, 12
# A classifier's map: class 0's orange through white at the decision boundary to class 1's blue.
CLASS_MAP = LinearSegmentedColormap.from_list("classes", [CLASS_COLORS[0], "#f7f7f7", CLASS_COLORS[1]],
                                              N=CLASS_STEPS).with_extremes(bad=NAN_COLOR)
# A regression surface's values (viridis), and the maps of many nets' disagreement and spread
# (white: they agree).
VALUE_MAP = matplotlib.colormaps["viridis"].resampled(VALUE_STEPS).with_extremes(bad=NAN_COLOR)
SPREAD_MAP = LinearSegmentedColormap.from_list("spread", ["#ffffff", "#b99bd6", "#54278f"],
                                               N=SPREAD_STEPS).with_extremes(bad=NAN_COLOR)
# The percentiles of the predictions a regression map's colours reach: a few wild values of an
# untrained or diverging net should not wash out the colours of every other frame.
ROBUST_PERCENTILES = (1, 99)
# The largest share of nets that can disagree with the majority: half.
MOST_DISAGREEMENT = 0.5


def grid_side(run: Run) -> int:
    """The points of each side of the map (config.grid_points)."""
    return run.config.grid_points


def as_map(values: np.ndarray, side: int) -> np.ndarray:
    """Values on the grid (side², the order of playground.plane_grid: x1 along a row, x2 from
    row to row, from the bottom) as a (side, side) image to draw with its origin at the bottom."""
    return np.asarray(values).reshape(side, side)


def plane_limits(run: Run) -> tuple[float, float]:
    """The stretch of x1 (and of x2) the map covers: from the grid's first point to its last."""
    return float(run.x_grid[:, 0].min()), float(run.x_grid[:, 0].max())


def map_extent(run: Run) -> tuple[float, float, float, float]:
    """The image's extent (left, right, bottom, top) that centres each pixel on its grid point: the
    grid's ends, each half a step further out (the axes then show plane_limits)."""
    low, high = plane_limits(run)
    half = (high - low) / (grid_side(run) - 1) / 2
    return low - half, high + half, low - half, high + half


def boundary(run: Run) -> float | None:
    """The output where a classifier's decision turns: a probability of 0.5 (cross-entropy), a tanh
    output of 0 (squared error on labels of ±1); None for a regression surface."""
    if not run.config.classifies:
        return None
    return 0.5 if run.config.classification_loss == "cross_entropy" else 0.0


def class_output_range(run: Run) -> tuple[float, float]:
    """The outputs a classifier can give: a probability, from 0 to 1, or a tanh output, from -1 to 1."""
    return (0.0, 1.0) if boundary(run) == 0.5 else (-1.0, 1.0)


def alive(run: Run, index: int) -> np.ndarray:
    """(nets,) which nets' training error is finite at frame `index`: those a map of many nets
    counts (SeedsOnPanel leaves the others out too)."""
    return np.isfinite(run.frame_loss[index])


def _no_nets(predictions: np.ndarray) -> np.ndarray | None:
    """A map of NaN where no net is counted (predictions: (nets, grid) with no nets), else None."""
    return np.full(predictions.shape[1:], np.nan) if len(predictions) == 0 else None


def mean_map(predictions: np.ndarray) -> np.ndarray:
    """(grid,) the mean output of the nets (predictions: (nets, grid)), NaN where there are none."""
    empty = _no_nets(predictions)
    return empty if empty is not None else np.mean(predictions, axis=0, dtype=np.float64)


def disagreement_map(predictions: np.ndarray, decision: float) -> np.ndarray:
    """(grid,) the share of the nets (predictions: (nets, grid)) that disagree with the majority's
    class at each point, from 0 (all agree) to 0.5 (evenly split): a net says class 1 where its
    output is above the decision boundary, as its accuracy counts it."""
    empty = _no_nets(predictions)
    if empty is not None:
        return empty
    class_one = np.count_nonzero(predictions > decision, axis=0)
    return np.minimum(class_one, len(predictions) - class_one) / len(predictions)


def median_map(predictions: np.ndarray) -> np.ndarray:
    """(grid,) the median output of the nets (predictions: (nets, grid)), NaN where there are none."""
    empty = _no_nets(predictions)
    return empty if empty is not None else np.median(predictions, axis=0)


def spread_map(predictions: np.ndarray) -> np.ndarray:
    """(grid,) how far apart the nets' outputs are: the 90th percentile less the 10th (predictions:
    (nets, grid)), NaN where there are none."""
    empty = _no_nets(predictions)
    if empty is not None:
        return empty
    low, high = np.percentile(predictions, [10, 90], axis=0)
    return high - low


def finite_values(values: np.ndarray) -> np.ndarray:
    values = np.ravel(values).astype(np.float64)
    return values[np.isfinite(values)]


def value_limits(run: Run) -> tuple[float, float]:
    """A regression map's colour limits, the same in every frame: the training targets (and the
    true surface, where known) and the robust range of the predictions (ROBUST_PERCENTILES),
    which is not let stretch the data's range more than its own width each way."""
    data = finite_values(run.y_train if run.y_grid_true is None else np.concatenate([run.y_train, run.y_grid_true]))
    low, high = float(data.min()), float(data.max())
    span = max(high - low, 1e-6 * max(1.0, abs(low)))
    predictions = finite_values(run.predictions)
    if len(predictions):
        robust_low, robust_high = np.percentile(predictions, ROBUST_PERCENTILES)
        low, high = max(min(low, robust_low), low - span), min(max(high, robust_high), high + span)
    if high - low <= 1e-9 * max(1.0, abs(low)):  # a flat target and flat predictions: still a range
        low, high = low - 0.5, high + 0.5
    return float(low), float(high)


def spread_limit(run: Run, sampled_frames: int = 10) -> float:
    """The top of the spread map's colours, the same in every frame: the largest spread (spread_map
    of the nets counted at the frame, robustly: the 99th percentile over the grid) on about
    `sampled_frames` frames of the run's second half. Untrained nets disagree everywhere, and a
    top set by them left the trained nets' map white; their frames show the top colour instead
    (the bar's arrow says their spread goes past it). At most the width of the output's colours
    (value_limits), which a few nets blowing up would otherwise stretch to their 1e17."""
    low, high = value_limits(run)
    count = len(run.frame_epochs)
    highest = 0.0
    for index in np.unique(np.linspace(count // 2, count - 1, sampled_frames).round().astype(int)):
        spread = finite_values(spread_map(run.predictions[index][alive(run, index)]))
        if len(spread):
            highest = max(highest, float(np.percentile(spread, ROBUST_PERCENTILES[1])))
    return min(highest, high - low) if highest > 0 else high - low


class MapColors:
    """How one map's numbers become colours: a colour map, its limits, what its colour bar says (the
    first of its titles that fits), the numbers it marks, and for a classifier the classes its ends
    stand for."""

    def __init__(self, colormap, low: float, high: float, titles: list[str], ticks: list[float],
                 ends: tuple[str, str] | None = None):
        self.colormap, self.norm = colormap, Normalize(low, high)
        self.titles, self.ticks, self.ends = titles, ticks, ends

    def rgba(self, values: np.ndarray) -> np.ndarray:
        """The colours (RGBA, 0-1) these values are drawn in."""
        return self.colormap(self.norm(values))


def output_colors(run: Run) -> MapColors:
    """The colours of a net's output (of many nets, the mean of a classifier's, the median of a
    regression surface's): for a classifier the diverging class map from one end of its outputs to
    the other, white at the boundary, the classes named at its ends; for a regression surface the
    value map over value_limits."""
    decision = boundary(run)
    if decision is None:
        low, high = value_limits(run)
        titles, ticks, ends = ["y: the net's output, the points' targets", "y: output, targets", "y"], [], None
        over_nets = [f"median y of the {run.nets} nets", "median y of the nets", "median y"]
    else:
        low, high = class_output_range(run)
        titles = (["probability of class 1", "P(class 1)"] if decision == 0.5 else
                  ["net's output (tanh, -1 to 1)", "output (tanh)", "output"])
        ticks, ends = [low, decision, high], ("class 0", "class 1")
        over_nets = [f"mean {titles[0]} of {run.nets} nets", f"mean {titles[0]}", f"mean {titles[1]}", "mean"]
    return MapColors(CLASS_MAP if ends else VALUE_MAP, low, high, over_nets if run.nets > 1 else titles, ticks, ends)


def point_colors(run: Run, colors: MapColors, targets: np.ndarray) -> np.ndarray:
    """(points, 4) the colours points with these targets are drawn in over a map of these colours:
    a classifier's in their class's (class 1 where the label is above the decision boundary, as
    the labels 0 and 1, or -1 and +1, are), a regression surface's in their target's colour."""
    decision = boundary(run)
    if decision is None:
        return colors.rgba(targets)
    return np.array([to_rgba(CLASS_COLORS[1] if target > decision else CLASS_COLORS[0]) for target in targets])


def disagreement_colors() -> MapColors:
    """Where many classifiers disagree: the share of them against the majority's class."""
    return MapColors(SPREAD_MAP, 0.0, MOST_DISAGREEMENT, ["share of nets against the majority's class",
                                                          "nets against the majority", "disagreement"],
                     [0, 0.25, 0.5])


def spread_colors(run: Run) -> MapColors:
    """How far apart many regression nets' outputs are: the 10-90% spread, from 0 to spread_limit."""
    return MapColors(SPREAD_MAP, 0.0, spread_limit(run), ["spread of the nets' y (10-90%)", "10-90% spread of y",
                                                          "spread"], [])


def median_accuracy(run: Run, name: str) -> np.ndarray:
    """(frames,) the accuracy (name: 'accuracy' or 'val_accuracy') of the one net, or the median of
    the nets whose training error is finite at each frame (NaN where none is)."""
    values = run.per_frame[name].astype(np.float64)
    values = np.where(np.isfinite(run.frame_loss), values, np.nan)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # every net diverged at a frame
        return np.nanmedian(values, axis=1)
