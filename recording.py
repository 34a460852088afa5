"""What training records, and when: the Recording of a run (every declared quantity, with a nets
axis), the epochs that become frames, and a recording turned back into the data's units.

Both ways of training give a Recording: engine.train_in_graph (the in-graph loops) and
prediction_snapshots.PredictionSnapshots (a Keras callback for model.fit()). Imports neither
TensorFlow nor matplotlib.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import numpy as np

import quantities


def frame_schedule(epochs: int, frames: int) -> np.ndarray:
    """The epochs whose prediction becomes a frame: 0 (the untrained net) up to the last epoch.

    The gap between frames grows in proportion to the epoch (every epoch at first, where the
    fast early learning happens, then geometrically) up to a cap of 4 * epochs / frames, the gap
    of a quarter of the frames spread evenly, so that the long late stretch, where SGD's
    plateaus and slow escapes happen, is not passed over in a handful of frames. One growth
    rate, found by bisection, gives about `frames` frames: no near-duplicate frames, no jumps.
    """
    if frames >= epochs + 1:
        return np.arange(epochs + 1)
    largest_gap = max(4 * epochs / frames, 1.0)

    def schedule(growth: float) -> np.ndarray:
        epoch, chosen = 0.0, [0]
        while epoch < epochs:
            epoch += min(max(growth * epoch, 1.0), largest_gap)
            chosen.append(min(int(round(epoch)), epochs))
        return np.unique(chosen)

    slow, fast = 0.0, 1.0  # growth rates giving too many and too few frames
    while len(schedule(fast)) > frames and fast < 1e6:  # a few frames: [0, 1, ...] at the least
        fast *= 2
    for _ in range(50):
        middle = (slow + fast) / 2
        slow, fast = (middle, fast) if len(schedule(middle)) > frames else (slow, middle)
    return schedule(fast)


@dataclass
class Recording:
    """What training recorded. Every array has a nets axis after the first (one net: size 1).

    per_epoch: name -> (epochs, nets), per_frame: name -> (frames, nets or 1, ...), each a
    quantity declared in quantities.py ("loss" per epoch is the training error as Keras reports
    it, from the epoch's forward pass, before its update; "val_loss" the held-out error after it;
    per frame "prediction" on the grid and "loss", the training error of exactly those weights).
    """

    frame_epochs: np.ndarray
    per_frame: dict[str, np.ndarray]
    per_epoch: dict[str, np.ndarray]
    status: str = "completed"  # or "diverged", "stopped_early", "interrupted"
    train_seconds: float = 0.0
    diverged_at_epoch: list = field(default_factory=list)  # per net: the epoch its loss stopped being finite, or None
    # With early stopping, per net: the epoch it stopped at (None: it did not) and its best epoch
    # (the lowest held-out error); whether the run ends with each net's best weights restored.
    stopped_at_epoch: list = field(default_factory=list)
    best_epoch: list = field(default_factory=list)
    restored_best_weights: bool = False

    @property
    def epochs_completed(self) -> int:
        return int(len(self.per_epoch["loss"]))

    def in_data_units(self, standardization) -> "Recording":
        """This recording of nets trained on standardized points (data.Standardization), in the
        data's units, each quantity as its declaration says (quantities.in_data_units)."""
        def converted(per: str, arrays: dict) -> dict:
            return {name: quantities.in_data_units(values, quantities.declared(per, name), standardization)
                    for name, values in arrays.items()}

        return dataclasses.replace(self, per_frame=converted("frame", self.per_frame),
                                   per_epoch=converted("epoch", self.per_epoch))


def first_non_finite_epochs(loss: np.ndarray) -> list[int | None]:
    """For each net (column) of a loss history, the first epoch whose loss is not finite, or None."""
    bad = ~np.isfinite(loss)
    return [int(np.argmax(column)) + 1 if column.any() else None for column in bad.T]
