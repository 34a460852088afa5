"""What the maps of a run of two inputs show: a net's output over the grid of the plane, as an
image; for many nets the maps a seeded run keeps over them (seed_maps.py: a classifier's mean
output and where its nets disagree, a regression's median and its 10-90% spread); what the axes,
classes and target are called; and the colours each map is drawn in, with the same meaning in
every frame of a run.

Pure NumPy and matplotlib's colour maps: the frames (plane_frames.py) draw what these give.
"""

from __future__ import annotations

import warnings

import matplotlib
import numpy as np
from matplotlib.colors import LinearSegmentedColormap, Normalize, to_hex, to_rgba

import seed_maps
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
# Playground's scale: class 0's orange through white to class 1's blue (its neurons are drawn in it too).
CLASS_SCALE = [CLASS_COLORS[0], "#f7f7f7", CLASS_COLORS[1]]
# A classifier's map: that scale, white at the decision boundary.
CLASS_MAP = LinearSegmentedColormap.from_list("classes", CLASS_SCALE, N=CLASS_STEPS).with_extremes(bad=NAN_COLOR)
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


def plane_limits(run: Run) -> tuple[tuple[float, float], tuple[float, float]]:
    """The stretches of x1 and of x2 the map covers: from the grid's first point to its last
    ([-6, 6] each for a built-in problem; a CSV's points and a margin)."""
    return tuple((float(run.x_grid[:, axis].min()), float(run.x_grid[:, axis].max())) for axis in (0, 1))


def axis_coordinates(run: Run) -> tuple[np.ndarray, np.ndarray]:
    """The grid's x1 along a row and its x2 from row to row."""
    return tuple(np.linspace(*limits, grid_side(run)) for limits in plane_limits(run))


def map_extent(run: Run) -> tuple[float, float, float, float]:
    """The image's extent (left, right, bottom, top) that centres each pixel on its grid point: the
    grid's ends, each half a step further out (the axes then show plane_limits)."""
    (left, right), (bottom, top) = plane_limits(run)
    half_x1, half_x2 = (right - left) / (grid_side(run) - 1) / 2, (top - bottom) / (grid_side(run) - 1) / 2
    return left - half_x1, right + half_x1, bottom - half_x2, top + half_x2


def names(run: Run) -> tuple[str, str, str]:
    """What the two inputs and the target are called: a CSV's column names, else x1, x2 and y."""
    given = run.summary.axis_names
    return tuple(given) if given is not None and len(given) == 3 else ("x1", "x2", "y")


def class_names(run: Run) -> tuple[str, str]:
    """What classes 0 and 1 are called: a CSV's labels, else 'class 0' and 'class 1'."""
    given = run.summary.class_names
    return tuple(given) if given is not None else ("class 0", "class 1")


def boundary(run: Run) -> float | None:
    """The output where a classifier's decision turns: a probability of 0.5 (cross-entropy), a tanh
    output of 0 (squared error on labels of ±1); None for a regression."""
    if not run.config.classifies:
        return None
    return seed_maps.class_boundary(run.config.classification_loss == "cross_entropy")


def class_output_range(run: Run) -> tuple[float, float]:
    """The outputs a classifier can give: a probability, from 0 to 1, or a tanh output, from -1 to 1."""
    return (0.0, 1.0) if boundary(run) == 0.5 else (-1.0, 1.0)


def spread(run: Run) -> np.ndarray:
    """(frames, grid) how far apart a seeded regression's nets are: their 90th percentile less their 10th."""
    return (run.per_frame["high_prediction"][:, 0].astype(np.float64)
            - run.per_frame["low_prediction"][:, 0].astype(np.float64))


def frame_maps(run: Run, index: int) -> list[np.ndarray]:
    """What the maps show at frame `index`, each (grid,): the one net's output; of many nets the
    maps the run keeps over those whose error is finite there (seed_maps.py), a classifier's mean
    output and disagreement, a regression's median and spread."""
    if run.nets == 1:
        return [run.predictions[index, 0]]
    maps = run.per_frame
    if run.config.classifies:
        return [maps["mean_prediction"][index, 0], maps["disagreement"][index, 0]]
    return [maps["median_prediction"][index, 0], spread(run)[index]]


def output_values(run: Run) -> np.ndarray:
    """Every output a regression's first map may show: the one net's predictions, or a seeded
    run's median and the ends of its 10-90% band."""
    if run.nets == 1:
        return run.predictions
    return np.concatenate([run.per_frame[name] for name in ("median_prediction", "low_prediction", "high_prediction")])


def finite_values(values: np.ndarray) -> np.ndarray:
    values = np.ravel(values).astype(np.float64)
    return values[np.isfinite(values)]


def value_limits(run: Run) -> tuple[float, float]:
    """A regression map's colour limits, the same in every frame: the training targets (and the
    true surface, where known) and the robust range of the outputs (ROBUST_PERCENTILES), which is
    not let stretch the data's range more than its own width each way."""
    data = finite_values(run.y_train if run.y_grid_true is None else np.concatenate([run.y_train, run.y_grid_true]))
    low, high = float(data.min()), float(data.max())
    span = max(high - low, 1e-6 * max(1.0, abs(low)))
    outputs = finite_values(output_values(run))
    if len(outputs):
        robust_low, robust_high = np.percentile(outputs, ROBUST_PERCENTILES)
        low, high = max(min(low, robust_low), low - span), min(max(high, robust_high), high + span)
    if high - low <= 1e-9 * max(1.0, abs(low)):  # a flat target and flat predictions: still a range
        low, high = low - 0.5, high + 0.5
    return float(low), float(high)


def spread_limit(run: Run) -> float:
    """The top of the spread map's colours, the same in every frame: the largest spread (robustly:
    the 99th percentile over the grid) on any frame of the run's second half. Untrained nets
    disagree everywhere, and a top set by them left the trained nets' map white; their frames show
    the top colour instead (the bar's arrow says their spread goes past it). At most the width of
    the output's colours (value_limits), which a few nets blowing up would otherwise stretch to
    their 1e17."""
    low, high = value_limits(run)
    later = spread(run)[len(run.frame_epochs) // 2:]
    highest = max((float(np.percentile(values, ROBUST_PERCENTILES[1]))
                   for values in map(finite_values, later) if len(values)), default=0.0)
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

    def to_json(self) -> dict:
        """The colours as the page draws them (drawing/plane_page.js): the colour map's steps (its
        lookup table, '#rrggbb' as matplotlib turns them into bytes) spread evenly from low to high, a
        value below low in the first and above high in the last (the map's own ends, as matplotlib
        draws them), a missing value in `bad`; the colour bar's titles (the first that fits), the
        numbers it marks and, for a classifier, the classes at its ends."""
        steps = self.colormap(np.arange(self.colormap.N), bytes=True)
        bad = self.colormap(np.nan, bytes=True)
        return {"steps": [to_hex(step[:3] / 255) for step in steps], "bad": to_hex(np.asarray(bad[:3]) / 255),
                "low": float(self.norm.vmin), "high": float(self.norm.vmax), "titles": list(self.titles),
                "ticks": [float(tick) for tick in self.ticks], "ends": None if self.ends is None else list(self.ends)}


def output_colors(run: Run) -> MapColors:
    """The colours of a net's output (of many nets, the mean of a classifier's, the median of a
    regression's): for a classifier the diverging class map from one end of its outputs to the
    other, white at the boundary, the classes named at its ends; for a regression the value map
    over value_limits."""
    decision, target = boundary(run), names(run)[2]
    if decision is None:
        low, high = value_limits(run)
        titles, ticks, ends = [f"{target}: the net's output, the points' targets", f"{target}: output, targets",
                               target], [], None
        over_nets = [f"median {target} of the {run.nets} nets", f"median {target} of the nets", f"median {target}"]
    else:
        low, high = class_output_range(run)
        ends = class_names(run)
        titles = ([f"probability of {ends[1]}", f"P({ends[1]})"] if decision == 0.5 else
                  ["net's output (tanh, -1 to 1)", "output (tanh)", "output"])
        ticks = [low, decision, high]
        over_nets = [f"mean {titles[0]} of {run.nets} nets", f"mean {titles[0]}", f"mean {titles[1]}", "mean"]
    return MapColors(CLASS_MAP if ends else VALUE_MAP, low, high, over_nets if run.nets > 1 else titles, ticks, ends)


def point_colors(run: Run, colors: MapColors, targets: np.ndarray) -> np.ndarray:
    """(points, 4) the colours points with these targets are drawn in over a map of these colours:
    a classifier's in their class's (class 1 where the label is above the decision boundary, as
    the labels 0 and 1, or -1 and +1, are), a regression's in their target's colour."""
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
    target = names(run)[2]
    return MapColors(SPREAD_MAP, 0.0, spread_limit(run), [f"spread of the nets' {target} (10-90%)",
                                                          f"10-90% spread of {target}", "spread"], [])


def median_accuracy(run: Run, name: str) -> np.ndarray:
    """(frames,) the accuracy (name: 'accuracy' or 'val_accuracy') of the one net, or the median of
    the nets whose training error is finite at each frame (NaN where none is)."""
    values = run.per_frame[name].astype(np.float64)
    values = np.where(np.isfinite(run.frame_loss), values, np.nan)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # every net diverged at a frame
        return np.nanmedian(values, axis=1)


def accuracy_limits(values: np.ndarray) -> tuple[float, float]:
    """An accuracy panel's range: from 0.4 (or lower, to the tenth below the lowest of these
    accuracies) to just over 1."""
    values = finite_values(values)
    return (min(0.4, float(np.floor(10 * values.min()) / 10)) if len(values) else 0.4), 1.03
