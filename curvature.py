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

The computations are modules of their own: hessians.py (the objective and its exact Hessian),
activation_derivatives.py, stability.py (the optimizers' thresholds, the preconditioned
sharpness) and landscape.py; this module applies them to a run. The whole spectrum of the post's
1x60 run (201 frames) takes about half a second, its landscape 0.4 s (benchmarks/bench_curvature.py),
with BLAS kept to one thread (blas_on_one_thread): with OpenBLAS's threads and another process
busy, the same spectrum took 1.7 to 3 s.

Imports neither TensorFlow nor matplotlib.
"""

from __future__ import annotations

import contextlib
import dataclasses
from dataclasses import dataclass

import numpy as np

import config as config_module
import data
import rundir
# The computations, by module; their names are importable from here too (curvature.hessians, ...).
from activation_derivatives import ACTIVATION_DERIVATIVES, activation_derivatives, activation_values  # noqa: F401
from hessians import Net, _chunks, eigenvalues, gradient, hessians, objective, unpack  # noqa: F401
from landscape import LINE_ALPHAS, Landscape, landscape  # noqa: F401
from stability import (Threshold, _option, effective_weight_decay, preconditioned_sharpness,  # noqa: F401
                       rmsprop_preconditioned_sharpness, stability_threshold)

# An eigenvalue whose size is at most this share of the largest eigenvalue's size counts as near
# zero (and neither negative nor positive).
NEAR_ZERO_SHARE = 1e-3


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
    def below_zero_count(self) -> np.ndarray:
        """(frames, nets) every negative eigenvalue, however small (a saddle's way down may be near zero)."""
        return (self.eigenvalues < 0).sum(axis=-1)

    @property
    def near_zero_count(self) -> np.ndarray:
        return (np.abs(self.eigenvalues) <= self.near_zero_tolerance[..., None]).sum(axis=-1)


@dataclass(frozen=True)
class Views:
    """What a run's pictures show of its curvature: its spectrum and landscape where they were
    worked out, and otherwise a few words on why not ("not recorded: record.curvature is none")."""

    spectrum: Spectrum | None
    landscape: Landscape | None
    note: str = ""  # empty when both are there


@contextlib.contextmanager
def blas_on_one_thread():
    """OpenBLAS on one thread for the products and eigenvalues of many small matrices, where
    threads cost more than they give: on the 2-core machine, 201 eigvalsh of 181 x 181 take 0.25 s
    on one thread and 1 to 4 s on two while another process is busy. Needs threadpoolctl;
    without it, BLAS keeps its threads."""
    try:
        import threadpoolctl
    except ImportError:
        yield
        return
    with threadpoolctl.threadpool_limits(limits=1, user_api="blas"):
        yield


def net_of_run(run) -> Net:
    """The objective a run's nets minimised: its layers and activations, its training points in
    the units the nets trained in (a CSV run's standardized, by data.Standardization's own
    method, float32 as training had them), and its penalties."""
    config = run.config
    x, y = np.asarray(run.x_train).reshape(-1), np.asarray(run.y_train).reshape(-1)
    standardization = run.summary.standardization
    if standardization is not None:
        empty = np.zeros((0, 1), dtype=np.float32)
        # summary.json holds the shift and scale; data.Standardization applies them as training did.
        standardization = data.Standardization(standardization.x_shift, standardization.x_scale,
                                               standardization.y_shift, standardization.y_scale)
        trained_on = standardization.training_dataset(data.Dataset(x, y, empty, empty, empty))
        x, y = trained_on.x_train.reshape(-1), trained_on.y_train.reshape(-1)
    return Net([1, *config.hidden_layers, 1], list(config.activations), x.astype(np.float64), y.astype(np.float64),
               l1=float(config.l1), l2=float(config.l2))


def learning_rates_at_frames(run) -> np.ndarray:
    """(frames,) the learning rate of the step after each frame: the config's, or with a schedule
    the recorded epoch.learning_rate (that of each epoch's last step; the frame after epoch e
    steps at epoch e + 1's, row e, the last row standing in past the end)."""
    recorded = run.per_epoch.get("learning_rate")
    if recorded is None or len(recorded) == 0:
        return np.full(len(run.frame_epochs), config_module.initial_learning_rate(run.config), dtype=np.float64)
    rates = np.asarray(recorded, dtype=np.float64)[:, 0]
    return rates[np.clip(np.asarray(run.frame_epochs, dtype=np.int64), 0, len(rates) - 1)]


def _optimizer_option(run, name: str):
    return _option(run.config.optimizer, run.config.optimizer_options, name)


def _preconditioned_sharpness_of(run, matrices: np.ndarray, frames: slice, net: int) -> np.ndarray | None:
    """(frames,) the preconditioned sharpness of one net over some frames, for Adam, AdamW and RMSprop
    (not amsgrad, not centered) when the second moment and step counts were recorded."""
    optimizer = run.config.optimizer.lower()
    second_moment = run.per_frame.get("second_moment")
    if second_moment is None:
        return None
    second_moment = np.asarray(second_moment[frames, net], dtype=np.float64)
    if optimizer in ("adam", "adamw") and not _optimizer_option(run, "amsgrad"):
        steps = run.per_frame.get("optimizer_steps")
        if steps is None:
            return None
        beta_1, beta_2, epsilon = (float(_optimizer_option(run, name)) for name in ("beta_1", "beta_2", "epsilon"))
        steps = np.asarray(steps)[frames, net]
        return preconditioned_sharpness(matrices, second_moment, steps, beta_1, beta_2, epsilon)
    if optimizer == "rmsprop" and not _optimizer_option(run, "centered"):
        return rmsprop_preconditioned_sharpness(matrices, second_moment, float(_optimizer_option(run, "epsilon")))
    return None


# Frames whose Hessians are held at once: about 50 MB for the 1x60 net.
_HESSIANS_AT_ONCE = 2**23


def spectrum_of_run(run) -> Spectrum | None:
    """Every recorded net's Hessian eigenvalues at every frame, with the optimizer's threshold and
    (Adam, AdamW, RMSprop) preconditioned sharpness; None for a run that recorded no weights.
    A frame whose weights are not finite (a diverged net) has NaN eigenvalues.

    Raises ValueError for an activation whose curvature is not worked out.
    """
    weights = run.per_frame.get("weights")
    if weights is None:
        return None
    net = net_of_run(run)
    weights = np.asarray(weights, dtype=np.float64)
    frames, nets, parameters = weights.shape
    values = np.full((frames, nets, parameters), np.nan)
    objectives = np.full((frames, nets), np.nan)
    preconditioned = np.full((frames, nets), np.nan)
    has_preconditioned = False
    with blas_on_one_thread():
        for index in range(nets):
            finite = np.flatnonzero(np.isfinite(weights[:, index]).all(axis=1))
            for chunk in _chunks(len(finite), parameters**2, _HESSIANS_AT_ONCE):
                rows = finite[chunk]
                matrices = hessians(net, weights[rows, index])
                usable = np.isfinite(matrices).all(axis=(1, 2))
                values[rows[usable], index] = np.linalg.eigvalsh(matrices[usable])
                objectives[rows, index] = objective(net, weights[rows, index])
                sharpness = _preconditioned_sharpness_of(run, matrices, rows, index)
                if sharpness is not None:
                    preconditioned[rows, index], has_preconditioned = sharpness, True
    minibatches = rundir.trains_on_minibatches(run.config, len(run.x_train))
    threshold = stability_threshold(run.config.optimizer, run.config.optimizer_options, learning_rates_at_frames(run),
                                    run.config.weight_decay, minibatches)
    return Spectrum(frame_epochs=np.asarray(run.frame_epochs), nets=np.arange(nets), eigenvalues=values,
                    objective=objectives, threshold=threshold,
                    preconditioned_sharpness=preconditioned if has_preconditioned else None)


BLOW_UP = 1000


def landscape_of_run(run) -> Landscape | None:
    """Net 0's landscape (above); None for a run that recorded no weights."""
    weights = run.per_frame.get("weights")
    if weights is None:
        return None
    weights = np.asarray(weights[:, 0], dtype=np.float64)
    # A diverging net's last weights are numbers of 1e18, whose error overflows: a plane through
    # them shows the blow-up and nothing of the path before it. The plane is of the path up to the
    # blow-up (an error over BLOW_UP times the untrained net's; the later points are NaN, not drawn).
    loss = np.asarray(run.frame_loss[:, 0], dtype=np.float64)
    with np.errstate(invalid="ignore"):
        weights[~(np.isfinite(loss) & (loss <= BLOW_UP * loss[0]))] = np.nan
    with blas_on_one_thread():
        return landscape(net_of_run(run), weights)


def views_of_run(run) -> Views:
    """A run's spectrum and net 0's landscape for its pictures, or Views saying why there are none
    (an activation whose curvature is not worked out, a net that was never finite)."""
    try:
        return Views(spectrum_of_run(run), landscape_of_run(run))
    except ValueError as error:
        return Views(None, None, f"curvature not worked out: {error}")


def write_views(views: Views, path) -> None:
    """curvature.npz: the spectrum's and landscape's arrays, float64, under the names of their fields
    ("spectrum.eigenvalues" (frames, nets, parameters), "landscape.values" (rows, columns), ...)."""
    arrays = {}
    for prefix, view in (("spectrum", views.spectrum), ("landscape", views.landscape)):
        if view is None:
            continue
        for field in dataclasses.fields(view):
            value = getattr(view, field.name)
            if isinstance(value, Threshold):
                arrays["spectrum.threshold"] = value.values
            elif isinstance(value, np.ndarray):
                arrays[f"{prefix}.{field.name}"] = value
    if views.spectrum is not None:
        arrays["spectrum.negative_count"] = views.spectrum.negative_count
        arrays["spectrum.near_zero_count"] = views.spectrum.near_zero_count
        arrays["spectrum.below_zero_count"] = views.spectrum.below_zero_count
    with open(path, "wb") as file:  # a file, not a name: np.savez would add .npz to a temporary name
        np.savez_compressed(file, **arrays)
