"""What the knobs of a run add beside its data error: the penalty l1 and l2 add to the objective
(in the MSE's units, on the same axes), and a minibatch run's batch mean (Keras's per-epoch loss
without penalties); the small panels of the learning rate and the kernels' norm are diagnostics
(diagnostics.py). The data error, the MSE of the whole training set, stays the curve compared
with the noise floor."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from drawing.curves import drawn_curve, per_epoch_curve
from drawing.style import COLORS, RUN_COLORS
from rundir import Run, median_over_nets

PENALTY_COLOR = RUN_COLORS[2]  # purple: none of the roles' colours
BATCH_MEAN_WORDS = "batch mean (Keras's loss)"
# The batch mean is dashed: beside many nets' faint solid lines in the same blue it must not pass for one
# of them. (matplotlib's dash pattern, in multiples of the line's width; the page draws the same in pixels.)
BATCH_MEAN_DASHES = (4, 2)


@dataclass
class KnobCurve:
    """A per-epoch curve drawn beside the training error: its legend words, colour and look, and
    (epochs, values (epochs, nets)) at the epochs of the weights each value describes."""

    name: str
    label: str
    color: str
    alpha: float
    width: float
    epochs: np.ndarray
    values: np.ndarray
    dashes: tuple[float, ...] = ()  # solid unless given
    off_plot: str | None = None  # where it leaves the axes it was drawn on (off_plot_words), once drawn

    def drawn(self) -> tuple[np.ndarray, np.ndarray]:
        """The curve as drawn (curves.drawn_curve): thinned, from epoch 1; one net's or the median."""
        epochs, values = drawn_curve(self.epochs, self.values)
        return epochs, values[:, 0] if values.shape[1] == 1 else median_over_nets(values)


def penalty_words(run: Run) -> str:
    """What the penalty is called: 'l2 penalty', 'l1 penalty' or 'l1+l2 penalty'."""
    names = [name for name, value in (("l1", run.config.l1), ("l2", run.config.l2)) if value]
    return f"{'+'.join(names) or 'l1/l2'} penalty"


def knob_curves(run: Run) -> list[KnobCurve]:
    """The curves a run's knobs add beside its training error (none for a full-batch run without a
    penalty): its batch mean, faint in the net's colour, and its penalty, in its own colour."""
    curves = []
    for name, label, color, alpha, width, dashes in (
            ("batch_loss", BATCH_MEAN_WORDS, COLORS["net"], 0.6, 0.9, BATCH_MEAN_DASHES),
            ("penalty", penalty_words(run), PENALTY_COLOR, 0.9, 1.1, ())):
        if name in run.per_epoch and len(run.per_epoch[name]):
            epochs, values = per_epoch_curve(run.per_epoch[name].astype(np.float64),
                                             run.quantity(f"epoch.{name}").weights)
            curves.append(KnobCurve(name, label, color, alpha, width, epochs, values, dashes))
    return curves


def off_plot_words(curve: KnobCurve, limits: tuple[float, float]) -> str | None:
    """Where a curve (every epoch's value: one net's, or the median of many) leaves axes of these y limits:
    'leaves the plot: from 131 to 1e-15' (its extremes out of view, in the order it reaches them), 'up to
    131', 'down to 1e-15'; None where it stays in view. (error_range lets a penalty run no further than
    PENALTY_DECADES below the errors.)"""
    values = curve.values[:, 0] if curve.values.shape[1] == 1 else median_over_nets(curve.values)
    values = values[np.isfinite(values) & (values > 0)]
    low, high = limits
    above, below = values[values > high], values[values < low]
    if len(above) == 0 and len(below) == 0:
        return None
    if len(above) and len(below):
        first_above = np.argmax(values > high) < np.argmax(values < low)
        ends = (above.max(), below.min()) if first_above else (below.min(), above.max())
        return f"leaves the plot: from {short_number(ends[0])} to {short_number(ends[1])}"
    return f"leaves the plot: {'up to ' + short_number(above.max()) if len(above) else 'down to ' + short_number(below.min())}"


def short_number(value: float) -> str:
    """A value in three figures at most: '131', '0.0021', '1.2e-15'."""
    return f"{value:.3g}".replace("e+0", "e").replace("e+", "e").replace("e-0", "e-")


def draw_knob_curves(axes, run: Run, width: float = 1.5, legend: bool = True) -> list[KnobCurve]:
    """Draw the run's knob_curves on its error axes (one net's, or the median of many), each with its
    legend entry unless not asked, which says where it leaves the axes (call once their limits are set);
    returns them."""
    curves = knob_curves(run)
    for curve in curves:
        epochs, values = curve.drawn()
        median = ", median" if run.nets > 1 else ""
        curve.off_plot = off_plot_words(curve, axes.get_ylim())
        label = f"{curve.label}{median}" + (f" ({curve.off_plot})" if curve.off_plot else "")
        dashed = {"dashes": curve.dashes} if curve.dashes else {}
        axes.plot(epochs, values, color=curve.color, alpha=curve.alpha, linewidth=curve.width * width / 1.5,
                  label=label if legend else None, zorder=1.5, **dashed)
    return curves
