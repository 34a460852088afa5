"""Maps over many nets on a plane: what a seeded run of two inputs keeps of its nets' predictions on
the grid besides net 0's own (quantities.MAPS_OVER_NETS), and what seeds.gif and the page draw.

A classifier's nets are summed up by their mean output and by how much they disagree (the share of
nets whose class at a point is not the majority's); a regression's by the median prediction and the
band from the 10th to the 90th percentile. A net whose training error is no longer finite at a
frame is left out there, as every picture of many nets leaves it out.

Pure NumPy: nothing here needs TensorFlow.
"""

from __future__ import annotations

import warnings

import numpy as np

import quantities


def class_boundary(cross_entropy: bool) -> float:
    """The output at which a classifier's class changes: probability 0.5, or a tanh output of 0."""
    return 0.5 if cross_entropy else 0.0


def mean_and_disagreement(predictions: np.ndarray, alive: np.ndarray, boundary: float) -> tuple[np.ndarray, np.ndarray]:
    """One frame's classifier maps: predictions (nets, points), alive (nets,) -> (mean output,
    share of the nets alive that disagree with the majority), each (points,); NaN if no net is alive."""
    chosen = predictions[alive]
    if not len(chosen):
        nothing = np.full(predictions.shape[1], np.nan, dtype=np.float32)
        return nothing, nothing.copy()
    saying_one = np.count_nonzero(chosen > boundary, axis=0)
    disagreeing = np.minimum(saying_one, len(chosen) - saying_one) / len(chosen)
    return chosen.mean(axis=0, dtype=np.float64).astype(np.float32), disagreeing.astype(np.float32)


def median_and_band(predictions: np.ndarray, alive: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One frame's regression maps: (median, 10th and 90th percentile) over the nets alive, each (points,)."""
    chosen = predictions[alive]
    if not len(chosen):
        return tuple(np.full(predictions.shape[1], np.nan, dtype=np.float32) for _ in range(3))
    low, median, high = np.percentile(chosen, [10, 50, 90], axis=0)
    return median.astype(np.float32), low.astype(np.float32), high.astype(np.float32)


def maps_over_nets(predictions: np.ndarray, frame_loss: np.ndarray, classifies: bool,
                   boundary: float = 0.5) -> dict[str, np.ndarray]:
    """Every frame's maps over the nets: predictions (frames, nets, points), frame_loss (frames, nets)
    -> name -> (frames, 1, points), named as quantities.MAPS_OVER_NETS declares them."""
    alive = np.isfinite(frame_loss)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a net's NaN output at a frame it is left out of
        frames = [mean_and_disagreement(prediction, living, boundary) if classifies
                  else median_and_band(prediction, living) for prediction, living in zip(predictions, alive)]
    names = quantities.MAPS_OVER_NETS["classification" if classifies else "regression"]
    return {name: np.stack([maps[index] for maps in frames])[:, None, :] for index, name in enumerate(names)}
