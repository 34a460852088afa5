"""The curvature of a run's training objective and the landscape around its path, worked out after
training from the weights it recorded (frame.weights; frame.second_moment for Adam and RMSprop),
in float64 with NumPy alone: animate.py computes them for any run that holds the weights.

- Spectrum: at every frame, every eigenvalue of the exact Hessian of the full-batch training
  objective (data MSE plus the l1/l2 penalties, as the optimizer minimised it: for a CSV run, the
  standardized objective) with respect to all weights and biases; the optimizer's stability
  threshold at the frame's learning rate; for Adam and RMSprop the preconditioned sharpness.
- Landscape: the objective over the plane of the path's two principal directions about the final
  weights (PCA of the frames' weight vectors, as Li et al. 2018 do), the path's points on it, and
  the objective along the straight line from the initial to the final weights (Goodfellow et al. 2015).

Imports neither TensorFlow nor matplotlib.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# An eigenvalue whose size is at most this share of the largest eigenvalue's size counts as near
# zero (and neither negative nor positive).
NEAR_ZERO_SHARE = 1e-3
# Nets of more parameters get no curvature unless asked for (record.curvature).
LARGEST_NET_BY_DEFAULT = 1000


@dataclass(frozen=True)
class Net:
    """What the objective of one net needs: its layout and activations, the training points (as
    the net was trained on them: standardized for a CSV run), and the penalties."""

    layer_sizes: list[int]  # [1, hidden..., 1]: inputs, each hidden layer's units, the output
    activations: list[str]  # one name per hidden layer (config_schema.ACTIVATIONS)
    x: np.ndarray  # (points,) the training inputs
    y: np.ndarray  # (points,) the training targets
    l1: float = 0.0
    l2: float = 0.0

    @property
    def parameters(self) -> int:
        """How many weights and biases: a row of frame.weights."""
        return sum((inputs + 1) * outputs for inputs, outputs in zip(self.layer_sizes[:-1], self.layer_sizes[1:]))


@dataclass(frozen=True)
class Threshold:
    """The optimizer's stability threshold: the sharpness above which its update on a quadratic
    with that curvature grows instead of shrinking, at each frame's learning rate."""

    values: np.ndarray  # (frames,) float64; NaN where unknown
    rule: str  # how it is worked out, for the picture: "2/η", "(2+2β)/η, β=0.9", "(2+2β₁)/((1-β₁)η)"
    preconditioned: bool  # compared with the preconditioned sharpness (Adam, RMSprop), not the sharpness
    reference_only: bool  # minibatches: the threshold of full-batch steps, drawn as a reference


@dataclass(frozen=True)
class Spectrum:
    """The Hessian's eigenvalues at every frame, of the nets whose weights were recorded."""

    frame_epochs: np.ndarray  # (frames,)
    nets: np.ndarray  # (nets,) which nets of the run (0 alone, or every net)
    eigenvalues: np.ndarray  # (frames, nets, parameters) float64, ascending
    objective: np.ndarray  # (frames, nets) the training objective at those weights
    threshold: Threshold | None  # None: no threshold is known for the optimizer
    preconditioned_sharpness: np.ndarray | None  # (frames, nets), for Adam and RMSprop

    @property
    def sharpness(self) -> np.ndarray:
        """(frames, nets) the largest eigenvalue."""
        return self.eigenvalues[..., -1]

    @property
    def smallest(self) -> np.ndarray:
        return self.eigenvalues[..., 0]

    @property
    def near_zero_tolerance(self) -> np.ndarray:
        """(frames, nets) the size under which an eigenvalue counts as near zero."""
        return NEAR_ZERO_SHARE * np.abs(self.eigenvalues).max(axis=-1)

    @property
    def negative_count(self) -> np.ndarray:
        """(frames, nets) eigenvalues below minus the near-zero tolerance."""
        return (self.eigenvalues < -self.near_zero_tolerance[..., None]).sum(axis=-1)

    @property
    def near_zero_count(self) -> np.ndarray:
        return (np.abs(self.eigenvalues) <= self.near_zero_tolerance[..., None]).sum(axis=-1)


@dataclass(frozen=True)
class Landscape:
    """The objective of net 0 around its path: on the plane of the path's two principal
    directions through the final weights, and along the line from the initial to the final weights."""

    directions: np.ndarray  # (2, parameters) orthonormal, the first the path's main direction
    explained_variance: np.ndarray  # (2,) each direction's share of the path's variance about the final weights
    path: np.ndarray  # (frames, 2) each frame's weights projected on the plane
    axis_a: np.ndarray  # (columns,) coordinates along the first direction
    axis_b: np.ndarray  # (rows,) along the second
    values: np.ndarray  # (rows, columns) the objective over the plane
    path_values: np.ndarray  # (frames,) the objective at the path's projected points
    frame_objective: np.ndarray  # (frames,) the objective at the frames' own weights
    line_alphas: np.ndarray  # (points,) 0 the initial weights, 1 the final
    line_values: np.ndarray  # (points,)

    @property
    def largest_gap(self) -> float:
        """The largest difference between a path point's value on the plane and its frame's objective,
        as a share of the frame's objective: how far the plane misrepresents the path."""
        raise NotImplementedError


@dataclass(frozen=True)
class Views:
    """What a run's pictures show of its curvature: its spectrum and landscape where they were
    worked out, and otherwise a few words on why not ("not recorded: record.curvature is none")."""

    spectrum: Spectrum | None
    landscape: Landscape | None
    note: str = ""  # empty when both are there
