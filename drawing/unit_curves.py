"""A net's units as a fit panel draws them: each unit's contribution (its activation on the grid
times its outgoing weight; with the output bias they sum to the prediction), its colour, the
panel's range for them, and their lines under the data, or the note that says why a run has none.

The engine records them for the first net of a run only (net 0), and not for a run trained before
they were recorded or too large to keep them: then the pictures say so."""

from __future__ import annotations

import matplotlib
import numpy as np
from matplotlib.collections import LineCollection

import rundir
from drawing.fit_panel import NOTE_OFFSET, clear_of_notes
from drawing.style import COLORS
from rundir import Run

# The units' colours: matplotlib's plasma without its last, pale yellows (faint on white). It
# holds no pure blue, green or grey, so no unit looks like the prediction, the noise floor or
# the data.
UNIT_COLORMAP, UNIT_COLOR_SPAN = "plasma", (0.0, 0.85)
# How far beyond the data's range, as a share of it, the fit panel reaches to show the units.
# Units that cancel each other (Adam's do) can be larger than the data; a panel scaled to the
# largest would squash the data and the prediction flat. Curves beyond are pinned to its edge.
UNITS_HEADROOM = 0.5
UNIT_VERTEX_PIXELS = 3
# The note of a run whose units are missing, at the top of its fit panel, is known by this id.
MISSING_UNITS = "missing units"


def drawable_contributions(run: Run) -> np.ndarray | None:
    """Net 0's unit contributions (frames, units, grid) as a panel shows them, or None if the run
    has none: a frame whose contributions are not all finite (the net blew up) shows the last
    one that was, as drawable_predictions does for the prediction; before any, NaN (not drawn)."""
    if "unit_contributions" not in run.per_frame:
        return None
    # Drawn from the y the net's zero stands for: a net trained on standardized points (a CSV's)
    # adds its units to the mean of y, hundreds away from 0 in data such as CO2 in ppm.
    stored = run.per_frame["unit_contributions"][:, 0]  # float64 in a CSV run: its baseline may be 1e9
    contributions = stored + stored.dtype.type(run.units_baseline)  # a copy, filled in below
    finite = np.isfinite(contributions).all(axis=(1, 2))
    last = None
    for index in range(len(contributions)):
        if finite[index]:
            last = index
        elif last is not None:
            contributions[index] = contributions[last]
        else:
            contributions[index] = np.nan
    return contributions


def unit_colors(contributions: np.ndarray) -> np.ndarray:
    """Each unit's colour (units, 4), the same in every frame: units ordered by where their step
    (the steepest point of their contribution) sits at the last frame, so neighbouring colours
    are neighbours in x and the trained layer reads as a left-to-right sweep of the colour map.
    (By index, the colours would say nothing: a unit's index is an accident of initialisation.)"""
    last = contributions[-1]
    steepest = np.argmax(np.abs(np.diff(np.nan_to_num(last), axis=1)), axis=1)
    rank = np.empty(len(last), dtype=np.float64)
    rank[np.argsort(steepest, kind="stable")] = np.arange(len(last))
    low, high = UNIT_COLOR_SPAN
    return matplotlib.colormaps[UNIT_COLORMAP](low + (high - low) * rank / max(len(last) - 1, 1))


def units_limits(data_limits: tuple[float, float], contributions: list[np.ndarray | None]) -> tuple[float, float]:
    """The fit panel's y limits: the data's (fit_limits), widened to the finite values of the units'
    contributions, but by at most UNITS_HEADROOM of the data's span on each side. Not to the
    prediction's: a diverging net's runs off to 1e18, and is pinned to the edge as in fit.gif."""
    low, high = data_limits
    values = np.concatenate([np.zeros(0)] + [np.ravel(curve) for curve in contributions if curve is not None])
    values = values[np.isfinite(values)]
    if len(values) == 0:
        return low, high
    room = UNITS_HEADROOM * (high - low)
    pad = 0.05 * (high - low)  # a widened side keeps a little room past its extreme curve
    reach_low, reach_high = float(values.min()) - pad, float(values.max()) + pad
    return max(min(low, reach_low), low - room), min(max(high, reach_high), high + room)


def missing_units_note(run: Run) -> str:
    """Why a run has no unit contributions: too large to keep, or trained before they were recorded."""
    config = run.config
    size = rundir.unit_contributions_bytes(config.hidden_layers, config.grid_points, config.frames)
    if size > rundir.UNIT_CONTRIBUTIONS_BUDGET:
        return (f"unit contributions not recorded:\n{config.hidden_layers[-1]:,} units x {config.grid_points:,} "
                f"grid points x {config.frames + 1:,} frames\nwould take {size / 2**20:,.0f} MB "
                f"(limit {rundir.UNIT_CONTRIBUTIONS_BUDGET / 2**20:.0f} MB)")
    return "unit contributions not recorded (a run trained before they were)"


def add_unit_lines(axes, run: Run, contributions: np.ndarray | None) -> LineCollection | None:
    """The animated thin curves of the units in a fit panel (colours from unit_colors), or, for a
    run without them, a note at the top of the panel that says why (room_for_note keeps the data
    below it)."""
    if contributions is None:
        axes.annotate(missing_units_note(run), xy=(0.5, 1), xycoords="axes fraction", xytext=(0, -NOTE_OFFSET),
                      textcoords="offset pixels", ha="center", va="top", fontsize=7, color=COLORS["note"],
                      gid=MISSING_UNITS)
        return None
    # Not antialiased: 60 units' blended edges cost a third of a frame's drawing, and their many
    # shades crowd the GIF's palette of 255 colours (and double the file's size).
    units = contributions.shape[1]
    label = (f"{units} unit{'s' if units != 1 else ''} ({'mean y + ' if run.units_baseline else ''}"
             "activation × weight)")
    return axes.add_collection(LineCollection([], colors=unit_colors(contributions), linewidths=0.9, animated=True,
                                              antialiased=False, label=label))


def room_for_note(axes, data_limits: tuple[float, float], bottom: list = ()) -> tuple[float, float]:
    """Widen a placed fit panel's y limits, where needed, so that its data stay below the note that
    its units are missing, and above the notes along its bottom (fit_panel.clear_of_notes); returns them."""
    return clear_of_notes(axes, data_limits, top=[text for text in axes.texts if text.get_gid() == MISSING_UNITS],
                          bottom=bottom)


def data_over_units(axes) -> list:
    """Make a fit panel's data points and true curve animated, to be drawn in every frame over the
    units (a dense band of them would hide the data); returns them. The points become markers of
    the scatter's size and edge: Agg draws those ten times as fast (0.15 ms against 1.4)."""
    scatter = axes.collections[0]
    x, y = scatter.get_offsets().T
    (points,) = axes.plot(x, y, "o", markersize=np.sqrt(scatter.get_sizes()[0]),
                          markeredgewidth=scatter.get_linewidths()[0], color=scatter.get_facecolor()[0],
                          markeredgecolor=scatter.get_edgecolor()[0], clip_on=False, gid=scatter.get_gid(),
                          label="data", animated=True)  # not "noisy data": the legend is crowded
    scatter.remove()
    for line in axes.lines:
        line.set_animated(True)
    return [points] + [line for line in axes.lines if line is not points]


def drawn_columns(grid_points: int, axes) -> np.ndarray:
    """The grid points the units' curves are drawn through: about one every UNIT_VERTEX_PIXELS
    pixels of the panel's width (or all of them). A sigmoid unit's curve is smooth at that scale,
    and every vertex of 60 curves costs drawing time (200 of them took half of a frame's)."""
    pixels = axes.get_window_extent(axes.figure.canvas.get_renderer()).width
    count = min(grid_points, max(2, int(pixels / UNIT_VERTEX_PIXELS)))
    return np.unique(np.round(np.linspace(0, grid_points - 1, count)).astype(np.int64))


def unit_segments(x: np.ndarray, units: int) -> np.ndarray:
    """An array of the units' curves as a LineCollection takes them, (units, points, 2), its x set:
    each frame fills in the y."""
    segments = np.zeros((units, len(x), 2), np.result_type(x, np.float32))  # float64 x (a CSV's) stays exact
    segments[..., 0] = x
    return segments
