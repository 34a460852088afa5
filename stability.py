"""The stability thresholds of the optimizers: the sharpness past which a step on a quadratic of
that curvature grows instead of shrinking (2/η for gradient descent, and its forms with momentum,
Nesterov momentum and decoupled weight decay), and the preconditioned sharpness that Adam's and
RMSprop's thresholds are compared with (Cohen et al. 2021, 2022).

Imports neither TensorFlow nor matplotlib.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from optimizer_options import OPTIMIZER_OPTIONS


@dataclass(frozen=True)
class Threshold:
    """The optimizer's stability threshold: the sharpness above which its update on a quadratic
    with that curvature grows instead of shrinking, at each frame's learning rate."""

    values: np.ndarray  # (frames,) float64; NaN where unknown
    rule: str  # how it is worked out, for the picture: "2/η", "(2+2β)/η, β=0.9", "(2+2β₁)/((1-β₁)η)"
    preconditioned: bool  # compared with the preconditioned sharpness (Adam, RMSprop), not the sharpness
    reference_only: bool  # minibatches: the threshold of full-batch steps, drawn as a reference


def _option(optimizer: str, options: dict, name: str):
    """An optimizer option as the config gives it, else Keras's default (optimizer_options.py)."""
    if name in options:
        return options[name]
    return OPTIMIZER_OPTIONS[optimizer][name].default


def effective_weight_decay(optimizer: str, weight_decay: float | None) -> float:
    """The decoupled weight decay a run's optimizer applied: the config's, or the optimizer's
    default where it has one (adamw's 0.004), else none."""
    if weight_decay is not None:
        return float(weight_decay)
    default = OPTIMIZER_OPTIONS.get(optimizer, {}).get("weight_decay")
    return float(default.default) if default is not None and default.default is not None else 0.0


def stability_threshold(optimizer: str, options: dict, learning_rates: np.ndarray, weight_decay: float | None,
                        minibatches: bool) -> Threshold | None:
    """The optimizer's stability threshold at each learning rate, or None for an optimizer with
    no known rule (and for RMSprop centered, whose preconditioner is not recorded).

    On a quadratic of curvature λ a step of SGD with momentum β (Keras: m ← βm - ηg, θ ← θ + m)
    grows once λ > (2+2β)/η; with Nesterov (θ ← θ + βm - ηg) once λ > (2+2β)/((1+2β)η). Adam
    and AdamW move θ ← θ - η P⁻¹m with m ← β₁m + (1-β₁)g: heavy-ball momentum of step (1-β₁)η
    in the preconditioned coordinates, unstable once λ(P⁻¹H) > (2+2β₁)/((1-β₁)η) (Cohen et al.
    2022); RMSprop (mom ← β mom + η g/√(v+ε), θ ← θ - mom) once λ(P⁻¹H) > (2+2β)/η.

    Keras's decoupled weight decay shrinks θ by η·wd·θ before each step, the gradient being taken
    before it (BaseOptimizer._apply_weight_decay). Worked through the same recurrences, it
    multiplies θ by a = 1 - η·wd and moves every threshold from (1+β)·2/η to (1+β)(1+a)/η:
    each threshold is the weight-decay-free one with 2/η replaced by 2/η - wd, that is the issue's
    "2/η - wd" for plain GD and (1+β)·wd less for momentum (times 1/(1+2β) for Nesterov and
    1/(1-β₁) for Adam). It is exact where the decay acts on every weight; here the biases are not
    decayed, so along directions mostly of biases it is a little low.
    """
    optimizer = optimizer.lower()
    rates = np.asarray(learning_rates, dtype=np.float64)
    decay = effective_weight_decay(optimizer, weight_decay)
    base = 2 / rates - decay  # 2/η, less the decay
    base_text = "2/η" if decay == 0 else "(2/η − wd)"
    decay_text = "" if decay == 0 else f", wd={decay:g}"
    if optimizer == "sgd" or (optimizer == "rmsprop" and not _option(optimizer, options, "centered")):
        momentum = float(_option(optimizer, options, "momentum"))
        nesterov = optimizer == "sgd" and bool(_option(optimizer, options, "nesterov")) and momentum > 0
        if momentum == 0:
            values, rule = base, ("2/η" if decay == 0 else "2/η − wd")
        elif nesterov:
            values = (1 + momentum) * base / (1 + 2 * momentum)
            rule = ("(2+2β)/((1+2β)η)" if decay == 0 else "(1+β)(2/η − wd)/(1+2β)") + f", β={momentum:g}"
        else:
            values = (1 + momentum) * base
            rule = ("(2+2β)/η" if decay == 0 else "(1+β)(2/η − wd)") + f", β={momentum:g}"
        return Threshold(values, rule + decay_text, preconditioned=optimizer == "rmsprop", reference_only=minibatches)
    if optimizer in ("adam", "adamw") and not _option(optimizer, options, "amsgrad"):
        beta_1 = float(_option(optimizer, options, "beta_1"))
        values = (1 + beta_1) * base / (1 - beta_1)
        rule = ("(2+2β₁)/((1-β₁)η)" if decay == 0 else f"(1+β₁){base_text}/(1-β₁)") + f", β₁={beta_1:g}"
        return Threshold(values, rule + decay_text, preconditioned=True, reference_only=minibatches)
    return None


def preconditioned_eigenvalues(hessian_matrices: np.ndarray, preconditioner: np.ndarray) -> np.ndarray:
    """(m, P) the eigenvalues of P⁻¹H for diagonal P (m, P), ascending, worked out on the symmetric
    matrix P^-1/2 H P^-1/2 that has them; NaN where not finite."""
    scale = 1 / np.sqrt(preconditioner)
    matrices = np.asarray(hessian_matrices, dtype=np.float64) * scale[:, :, None] * scale[:, None, :]
    values = np.full(matrices.shape[:2], np.nan)
    finite = np.isfinite(matrices).all(axis=(1, 2))
    if finite.any():
        values[finite] = np.linalg.eigvalsh(matrices[finite])
    return values


def _largest_preconditioned(hessian_matrices: np.ndarray, preconditioner: np.ndarray) -> np.ndarray:
    """(m,) λmax(P^-1/2 H P^-1/2) for diagonal P (m, P)."""
    return preconditioned_eigenvalues(hessian_matrices, preconditioner)[:, -1]


def adam_preconditioner(second_moment: np.ndarray, steps: np.ndarray, beta_1: float, beta_2: float,
                        epsilon: float) -> np.ndarray:
    """(m, P) Adam's and AdamW's diagonal preconditioner after `steps` steps, NaN before the first.

    Keras's Adam steps θ ← θ - η √(1-β₂ᵗ)/(1-β₁ᵗ) · m/(√v + ε), so its preconditioner is exactly
    P = (1-β₁ᵗ) diag(√v̂ + ε/√(1-β₂ᵗ)), v̂ = v/(1-β₂ᵗ): Cohen et al.'s (1-β₁ᵗ) diag(√v̂ + ε)
    with ε as Keras places it (the two differ only where v is of the order of ε²). t is the
    step count at the frame, the step whose v was recorded.
    """
    steps = np.asarray(steps, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        bias_1, bias_2 = 1 - beta_1**steps, 1 - beta_2**steps
        corrected = np.asarray(second_moment, dtype=np.float64) / bias_2[:, None]
        preconditioner = bias_1[:, None] * (np.sqrt(corrected) + epsilon / np.sqrt(bias_2)[:, None])
    preconditioner[steps <= 0] = np.nan
    return preconditioner


def preconditioned_sharpness(hessian_matrices: np.ndarray, second_moment: np.ndarray, steps: np.ndarray,
                             beta_1: float, beta_2: float, epsilon: float) -> np.ndarray:
    """(m,) Adam's and AdamW's preconditioned sharpness λmax(P⁻¹H) (P: adam_preconditioner), NaN
    before the first step."""
    return _largest_preconditioned(hessian_matrices, adam_preconditioner(second_moment, steps, beta_1, beta_2,
                                                                         epsilon))


def rmsprop_preconditioned_sharpness(hessian_matrices: np.ndarray, second_moment: np.ndarray,
                                     epsilon: float) -> np.ndarray:
    """(m,) RMSprop's (not centered) preconditioned sharpness λmax(P⁻¹H), P = diag(√(v + ε)):
    Keras's RMSprop divides by √(v + ε), ε inside the root, and corrects no bias."""
    preconditioner = np.sqrt(np.asarray(second_moment, dtype=np.float64) + epsilon)
    return _largest_preconditioned(np.asarray(hessian_matrices, dtype=np.float64), preconditioner)
