"""What was trained, in the few words every picture, table and name carries: '1x60', 'relu-tanh',
'1e-4', '2x10 relu-tanh · sgd cosine 0.1→0 · batch 32 · l2 1e-4 · early stop 50'. config.py
re-exports them.
"""

from __future__ import annotations

from pathlib import Path

import playground
import targets
from config_schema import ExperimentConfig
from learning_rate_schedules import learning_rate_text


def layers_text(widths: list[int]) -> str:
    """Hidden layers as every picture, table and name says them: '1x60', '2x10', '10-5'."""
    return f"{len(widths)}x{widths[0]}" if len(set(widths)) == 1 else "-".join(map(str, widths))


def activation_text(activation: str | list[str]) -> str:
    """Hidden layers' activations as titles and names say them: 'tanh', 'relu-tanh' (a list whose
    names are all the same is said as one)."""
    if isinstance(activation, str):
        return activation
    return activation[0] if len(set(activation)) == 1 else "-".join(activation)


def short_number(value: float) -> str:
    """A number in as few characters as it can be read: 1e-4, 0.01, 0.5."""
    plain = f"{value:g}"
    mantissa, exponent = f"{value:e}".split("e")
    scientific = f"{mantissa.rstrip('0').rstrip('.')}e{int(exponent)}"
    return scientific if len(scientific) < len(plain) else plain


def penalty_text(config: ExperimentConfig) -> str:
    """The penalties and decay as titles say them: 'l2 1e-4 · wd 1e-3'; '' for none."""
    pieces = [f"{key} {short_number(value)}" for key, value in (("l1", config.l1), ("l2", config.l2)) if value]
    if config.weight_decay is not None:
        pieces.append(f"wd {short_number(config.weight_decay)}")
    return " · ".join(pieces)


def plane_text(config: ExperimentConfig) -> str:
    """Points of two inputs in a few words: 'on spiral', 'on xor noise 0.2 from x1, x2, x1*x2', 'on
    x1 * x2 > 0' (an expression's classes: class 1 where it is above 0), 'on points.csv', with
    ', tanh output' for Playground's classifier (squared error on ±1)."""
    if config.problem is None:
        text = f"on {Path(config.data_file).name}"
    else:
        boundary = " > 0" if config.classifies and config.problem not in playground.PROBLEMS else ""
        text = f"on {targets.shortened(config.problem, 40)}{boundary}" + (f" noise {config.noise:g}" if config.noise else "")
    if config.input_features != ["x1", "x2"]:
        text += f" from {', '.join(config.input_features)}"
    if config.classifies and config.classification_loss == "squared_error":
        text += ", tanh output"
    return text


def describe_training(config: ExperimentConfig) -> str:
    """What was trained, in the few words every picture carries: '2x10 sigmoid · adam lr 0.01',
    '2x10 relu-tanh he_normal · sgd cosine 0.1→0 · batch 32 · l2 1e-4 · early stop 50'."""
    layers = layers_text(config.hidden_layers)
    initializer = "" if config.kernel_initializer == "glorot_uniform" else f" {config.kernel_initializer}"
    options = "".join(f", {key} {value:g}" if not isinstance(value, bool) else f", {key} {str(value).lower()}"
                      for key, value in config.optimizer_options.items())
    extras = [f"batch {config.minibatch_size}"] if config.minibatch_size is not None else []
    extras += [penalty_text(config)] if penalty_text(config) else []
    if config.early_stopping is not None:
        delta = config.early_stopping.min_delta
        extras.append(f"early stop {config.early_stopping.patience}" + (f" Δ{delta:g}" if delta else ""))
    if config.is_plane:
        extras.append(plane_text(config))
    elif config.data_file is not None:
        extras.append(f"on {Path(config.data_file).name}")
    elif config.target != "sine":
        extras.append(f"on {targets.shortened(config.target, 40)}")
    return (f"{layers} {activation_text(config.activation)}{initializer} · {config.optimizer} "
            f"{learning_rate_text(config.learning_rate)}{options}" + "".join(f" · {extra}" for extra in extras))
