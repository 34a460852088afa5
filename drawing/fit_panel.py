"""The fit panel of every animation: the data and the true curve, its limits, a prediction pinned
inside them, and the notes along its edges (of curves beyond them, of a run that has ended)."""

from __future__ import annotations

import numpy as np

from drawing.curves import data_range, truth_label
from drawing.style import COLORS, axis_name, offsets_into_labels
from rundir import Run


def fit_limits(runs: list[Run]) -> tuple[tuple[float, float], tuple[float, float]]:
    """The x and y limits a fit panel needs to show every run's data and true curve."""
    y_ranges = np.array([data_range(run) for run in runs])
    low, high = float(y_ranges[:, 0].min()), float(y_ranges[:, 1].max())
    x_limits = (min(float(run.x_grid[0]) for run in runs), max(float(run.x_grid[-1]) for run in runs))
    return x_limits, (low - 0.12 * (high - low), high + 0.12 * (high - low))


# With fewer training points than this, each is drawn larger, outlined, and over the prediction in
# every frame (on_top): a net that fits a single point draws its line right through it.
FEW_POINTS = 20
DATA_ON_TOP = "data on top"


def fit_panel(axes, run: Run, limits=None) -> None:
    """The fixed parts of a fit panel: the data (whole, where they lie on its edge), the true curve,
    the axes and their limits (by default the run's own: see fit_limits)."""
    data_label = "noisy data" if run.noise_floor else "data"
    few = {"s": 30, "edgecolors": COLORS["truth"], "linewidths": 0.8, "gid": DATA_ON_TOP} \
        if len(run.x_train) < FEW_POINTS else {"s": 6}
    axes.scatter(run.x_train, run.y_train, color=COLORS["data"], label=data_label, zorder=1, clip_on=False, **few)
    if run.y_grid_true is not None:
        axes.plot(run.x_grid, run.y_grid_true, color=COLORS["truth"], linestyle=":", linewidth=1.5,
                  label=truth_label(run), zorder=2)
    x_limits, y_limits = limits or fit_limits([run])
    axes.set_xlim(*x_limits)
    axes.set_ylim(*y_limits)
    axes.set_xlabel(axis_name(run.axis_names[0]))
    axes.set_ylabel(axis_name(run.axis_names[1]))
    offsets_into_labels(axes)


def on_top(figure) -> list:
    """What a frame draws over its moving artists: the data of a panel of few points (FEW_POINTS)."""
    return [artist for axes in figure.axes for artist in axes.get_children() if artist.get_gid() == DATA_ON_TOP]


def pinned(prediction: np.ndarray, limits: tuple[float, float]) -> np.ndarray:
    """A prediction as a panel with these y limits draws it: a diverging net predicts numbers
    far off the panel, and they are pinned just inside its edge, so the line stays in sight."""
    low, high = limits
    margin = 0.005 * (high - low)
    return np.clip(prediction, low + margin, high - margin)


# Notes along a panel's top or bottom edge stand this many pixels inside it.
NOTE_OFFSET = 4


def clear_of_notes(axes, data_limits: tuple[float, float], top: list = (), bottom: list = ()) -> tuple[float, float]:
    """Widen a placed panel's y limits, where needed, so that its data (their lowest and highest y)
    stay clear of the notes along its top and bottom edges; returns the limits."""
    renderer = axes.figure.canvas.get_renderer()

    def share(notes: list) -> float:  # of the panel's height, with NOTE_OFFSET either side
        return max((2 * NOTE_OFFSET + note.get_window_extent(renderer).height for note in notes), default=0.0) \
            / axes.bbox.height

    top_share, bottom_share = share(top), share(bottom)
    low, high = axes.get_ylim()
    data_low, data_high = data_limits
    for _ in range(4):  # each side's room depends on the other's: a few rounds settle it
        if top_share:
            high = max(high, low + (data_high - low) / (1 - top_share))
        if bottom_share:
            low = min(low, high - (high - data_low) / (1 - bottom_share))
    axes.set_ylim(low, high)
    return low, high


class OffChartNotes:
    """What a fit panel says, at the left of its top or bottom edge, on a frame whose curves lie
    beyond that edge, along which they are drawn (pinned): '▲ off the chart: prediction'. (The
    right of its bottom edge is a comparison's panel's note that its run has ended.)"""

    def __init__(self, axes):
        style = {"xycoords": "axes fraction", "textcoords": "offset pixels", "ha": "left", "fontsize": 8,
                 "color": COLORS["note"], "animated": True,
                 "bbox": {"facecolor": "white", "edgecolor": "none", "alpha": 0.85, "pad": 1}}
        self.axes = axes
        self.above = axes.annotate("▲ off the chart", xy=(0, 1), xytext=(NOTE_OFFSET, -NOTE_OFFSET), va="top", **style)
        self.below = axes.annotate("▼ off the chart", xy=(0, 0), xytext=(NOTE_OFFSET, NOTE_OFFSET), va="bottom",
                                   **style)

    def make_room(self, data_limits: tuple[float, float], predictions: np.ndarray,
                  bottom: list = ()) -> tuple[float, float]:
        """Widen the placed panel's y limits so that the data stay clear of the notes that some
        frame of these predictions will need, and of other notes along its bottom edge
        (clear_of_notes); returns the limits."""
        low, high = self.axes.get_ylim()
        with np.errstate(invalid="ignore"):
            above, below = (predictions > high).any(), (predictions < low).any()
        return clear_of_notes(self.axes, data_limits, [self.above] if above else [],
                              ([self.below] if below else []) + list(bottom))

    def update(self, curves: list[tuple[str, np.ndarray]]) -> list:
        """The notes for a frame whose named curves have these values (before pinning), to be drawn."""
        low, high = self.axes.get_ylim()
        notes = []
        for note, arrow, beyond in ((self.above, "▲", np.greater), (self.below, "▼", np.less)):
            with np.errstate(invalid="ignore"):
                names = [name for name, values in curves if beyond(values, high if note is self.above else low).any()]
            if names:
                note.set_text(f"{arrow} off the chart: {', '.join(names)}")
                notes.append(note)
        return notes
