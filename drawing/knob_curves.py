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
    for name, label, color, alpha, width in (("batch_loss", BATCH_MEAN_WORDS, COLORS["net"], 0.45, 0.8),
                                             ("penalty", penalty_words(run), PENALTY_COLOR, 0.9, 1.1)):
        if name in run.per_epoch and len(run.per_epoch[name]):
            epochs, values = per_epoch_curve(run.per_epoch[name].astype(np.float64),
                                             run.quantity(f"epoch.{name}").weights)
            curves.append(KnobCurve(name, label, color, alpha, width, epochs, values))
    return curves


def draw_knob_curves(axes, run: Run, width: float = 1.5, legend: bool = True) -> list[KnobCurve]:
    """Draw the run's knob_curves on its error axes (one net's, or the median of many), each with its
    legend entry unless not asked; returns them."""
    curves = knob_curves(run)
    for curve in curves:
        epochs, values = curve.drawn()
        median = ", median" if run.nets > 1 else ""
        axes.plot(epochs, values, color=curve.color, alpha=curve.alpha, linewidth=curve.width * width / 1.5,
                  label=f"{curve.label}{median}" if legend else None, zorder=1.5)
    return curves
