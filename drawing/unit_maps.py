"""What units.gif shows of a net of two inputs: each hidden unit's output over the plane, worked
out when drawn from net 0's recorded weights (frame.weights) at the map's grid, never stored; the
colours a unit's map is drawn in, the same in every frame; which units a crowded layer shows; and
how the small maps are laid out in the room they have.

Pure NumPy and matplotlib's colour maps: the animation (plane_units.py) draws what these give, and
the tests check the maps against the Keras net's own hidden layers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from matplotlib.colors import LinearSegmentedColormap, to_rgba

import data
import hessians
import playground
from drawing.plane_maps import CLASS_SCALE, NAN_COLOR
from rundir import Run

# Playground's neurons: orange below the activation's middle, white at it, blue above (in smooth
# shades: a unit's map is written into the pixels, not quantised as the classes' map is).
UNIT_COLORMAP = LinearSegmentedColormap.from_list("units", CLASS_SCALE)
# Where a unit's output is not a number (a net that blew up before any finite frame): the maps' grey.
NOT_A_NUMBER_COLOR = NAN_COLOR
# Activations whose outputs lie in a fixed range: their maps span it in every run. A tanh-like
# unit is centred on 0, a sigmoid-like one on 0.5; relu6's range is taken either side of 0.
BOUNDED_RANGES = {"tanh": (-1.0, 1.0), "softsign": (-1.0, 1.0), "sin": (-1.0, 1.0),
                  "sigmoid": (0.0, 1.0), "hard_sigmoid": (0.0, 1.0), "relu6": (-6.0, 6.0)}
# An unbounded unit's (relu's, elu's, ...) colours reach ± the largest output of a typical unit
# of its layer over the frames sampled, short of a blow-up: a frame beyond BLOW_UP times their
# median is left out. A layer's strongest unit would leave the others white; beyond, it takes
# the colours' ends, and still shows where it is active.
SAMPLED_FRAMES, BLOW_UP = 20, 10.0
# The map colours' lookup table: 256 steps, then the colour of a value that is not a number.
COLOR_STEPS = 256


def shown_layers(run: Run) -> list[int]:
    """The hidden layers drawn (0-based): the first, and the last where the net has more than one."""
    layers = len(run.config.hidden_layers)
    return [0] if layers == 1 else [0, layers - 1]


def net_at(run: Run, positions: np.ndarray) -> hessians.Net:
    """Net 0's layout with these positions (points, 2) as its points, given as the net was given
    them: in the units it trained in (a CSV's points standardized per input), as its input features
    (config.features), float32, then worked in float64."""
    config, standardization = run.config, run.summary.standardization
    positions = np.asarray(positions, dtype=np.float64)
    if standardization is not None:
        positions = data.PlaneStandardization(**standardization.model_dump()).inputs(positions)
    features = playground.features_of(positions, config.input_features).astype(np.float64)
    # No targets: only what the net gives at the points is read (hessians.hidden_activations, outputs).
    return hessians.Net([config.inputs, *config.hidden_layers, 1], config.activations, features,
                        np.zeros(len(features)))


def net_on_grid(run: Run) -> hessians.Net:
    """Net 0's layout with the map's grid as its points."""
    return net_at(run, run.x_grid)


def drawn_weights(run: Run) -> np.ndarray:
    """(frames,) which frame's recorded weights each frame's maps are drawn from: its own, or,
    where they are not all finite (the net blew up), the last ones that were, as a fit panel
    shows a diverged net's last finite prediction; -1 before any (no map: not a number)."""
    finite = np.isfinite(run.per_frame["weights"][:, 0]).all(axis=1)
    drawn, last = np.full(len(finite), -1), -1
    for index, usable in enumerate(finite):
        last = index if usable else last
        drawn[index] = last
    return drawn


def unit_outputs(run: Run, net: hessians.Net, frame: int) -> list[np.ndarray]:
    """Each hidden layer's outputs (units, grid points) at net 0's weights of `frame`, float64;
    NaN for frame -1 (see drawn_weights)."""
    if frame < 0:
        return [np.full((width, len(net.x)), np.nan) for width in run.config.hidden_layers]
    row = run.per_frame["weights"][frame, 0][None]
    return [outputs[0].T for outputs in hessians.hidden_activations(net, row)]


def outgoing_weights(net: hessians.Net, row: np.ndarray) -> np.ndarray:
    """(units,) each unit of the last hidden layer's weight to the output, at a weight row (P,)."""
    return hessians.unpack(net, np.asarray(row, dtype=np.float64)[None])[-1][0][0, :, 0]


def unit_importance(net: hessians.Net, row: np.ndarray, layer: int) -> np.ndarray:
    """(units,) how much each unit of a hidden layer passes on: the size (norm) of its outgoing
    weights, to the next layer's units or to the output (NaN read as 0)."""
    kernel = hessians.unpack(net, np.asarray(row, dtype=np.float64)[None])[layer + 1][0][0]
    return np.linalg.norm(np.nan_to_num(kernel), axis=1)


@dataclass(frozen=True)
class UnitColors:
    """How a layer's outputs become colours: its activation's middle (white) and how far either
    side the colours reach, the same in every frame."""

    middle: float
    reach: float

    @property
    def low(self) -> float:
        return self.middle - self.reach

    @property
    def high(self) -> float:
        return self.middle + self.reach

    def indices(self, values: np.ndarray) -> np.ndarray:
        """Each value's place in the colour table (colour_table): values beyond the range take its
        ends, a value that is not a number the last entry."""
        with np.errstate(invalid="ignore"):
            steps = np.floor((np.asarray(values) - self.low) / (2 * self.reach) * COLOR_STEPS)
            return np.where(np.isfinite(steps), np.clip(steps, 0, COLOR_STEPS - 1), COLOR_STEPS).astype(np.intp)


def colour_table() -> np.ndarray:
    """(COLOR_STEPS + 1, 4) uint8 RGBA: the unit colour map in steps, then the not-a-number grey."""
    steps = UNIT_COLORMAP((np.arange(COLOR_STEPS) + 0.5) / COLOR_STEPS)
    return np.round(np.concatenate([steps, [to_rgba(NOT_A_NUMBER_COLOR)]]) * 255).astype(np.uint8)


def nice_ceiling(value: float) -> float:
    """The smallest of 1, 2 or 5 times a power of ten at or above value (a colour bar's end)."""
    if not value > 0 or not math.isfinite(value):
        return 1.0
    power = 10.0 ** math.floor(math.log10(value))
    return next(step * power for step in (1, 2, 5, 10) if step * power >= value * (1 - 1e-9))


def layer_colors(run: Run, net: hessians.Net, layer: int) -> UnitColors:
    """A hidden layer's colours: a bounded activation's own range (BOUNDED_RANGES); an unbounded
    one's centred on 0, out to the largest output on the grid of its median unit (each unit's 99th
    percentile of |output|) over SAMPLED_FRAMES frames, leaving out blow-ups, rounded up (nice_ceiling)."""
    activation = run.config.activations[layer]
    if activation in BOUNDED_RANGES:
        low, high = BOUNDED_RANGES[activation]
        return UnitColors((low + high) / 2, (high - low) / 2)
    drawn = drawn_weights(run)
    frames = np.unique(drawn[np.linspace(0, len(drawn) - 1, SAMPLED_FRAMES).round().astype(int)])
    largest = []
    for frame in frames[frames >= 0]:
        values = np.abs(unit_outputs(run, net, int(frame))[layer])
        if np.isfinite(values).all():
            largest.append(float(np.median(np.percentile(values, 99, axis=1))))
    largest = np.array(largest)
    calm = largest[largest <= BLOW_UP * np.median(largest)] if len(largest) else largest
    return UnitColors(0.0, nice_ceiling(float(calm.max()) if len(calm) else 1.0))


def shown_units(importance: np.ndarray, room: int) -> np.ndarray:
    """The units a layer shows where it has room for `room` maps: all of them, or those that pass
    on the most (importance), in their own order."""
    if len(importance) <= room:
        return np.arange(len(importance))
    return np.sort(np.argsort(-importance, kind="stable")[:room])


@dataclass(frozen=True)
class MapLayout:
    """Small maps of `side` pixels in rows of `columns`, a section per layer; shown: how many maps
    each section has room for (all its units, or fewer)."""

    side: int
    columns: int
    shown: tuple[int, ...]

    def rows(self, section: int) -> int:
        return math.ceil(self.shown[section] / self.columns)


@dataclass(frozen=True)
class MapSpacing:
    """The pixels a section's heading takes, a map's label row above it, and the gap around a map."""

    heading: int = 14
    label: int = 10
    gap: int = 5


# Maps this much smaller than the largest that fit are taken where they need fewer rows: eight
# maps in a row at 49 pixels fill the room better than two rows of four at 50.
NEARLY_AS_LARGE = 0.9


def map_layout(width: float, height: float, units: list[int], smallest: int, largest: int,
               spacing: MapSpacing = MapSpacing()) -> MapLayout:
    """Maps of as many pixels a side as put every unit of each section (units: how many it has) in a
    box of width x height pixels, at most `largest`, in as few rows as maps NEARLY_AS_LARGE as the
    largest allow; where even maps of `smallest` pixels do not fit, those, each section showing as
    many rows of them as its share of the rows (at least one) allows."""
    candidates = []  # (side, rows, columns)
    for columns in range(1, max(units) + 1):
        rows = sum(math.ceil(count / columns) for count in units)
        across = (width + spacing.gap) / columns - spacing.gap
        down = (height - len(units) * spacing.heading) / rows - spacing.label - spacing.gap
        side = int(min(across, down, largest))
        if side >= smallest:
            candidates.append((side, rows, columns))
    if candidates:
        best = max(side for side, _, _ in candidates)
        side, _, columns = min(candidates, key=lambda item: (item[1], -item[0]) if item[0] >= NEARLY_AS_LARGE * best
                               else (math.inf, 0))
        return MapLayout(side, columns, tuple(units))
    columns = max(1, int((width + spacing.gap) // (smallest + spacing.gap)))
    rows = max(len(units), int((height - len(units) * spacing.heading) // (spacing.label + smallest + spacing.gap)))
    needed = [math.ceil(count / columns) for count in units]
    given = [1] * len(units)
    # The rows left go one at a time to the section that lacks the most, the last (the layer the
    # output is made of) first among equals.
    for _ in range(rows - len(units)):
        lacking = [need - got for need, got in zip(needed, given)]
        if max(lacking) <= 0:
            break
        given[len(lacking) - 1 - int(np.argmax(lacking[::-1]))] += 1
    return MapLayout(smallest, columns, tuple(min(count, rows * columns) for count, rows in zip(units, given)))
