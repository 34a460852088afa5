"""Learning-rate schedules a config may give instead of a number: Keras's own, by its class name in
snake case and with its own argument names, and what each is called in a title and a folder name.

    learning_rate: {schedule: cosine_decay, initial_learning_rate: 0.1, decay_steps: 20000}

Checked before TensorFlow starts, as optimizer options are (optimizer_options.py);
tests/test_models.py checks these names and defaults against the Keras classes' signatures.
Steps are optimizer steps, as Keras counts them: one an epoch at full batch.
"""

from __future__ import annotations

import difflib
import math
from dataclasses import dataclass, field
from typing import Any

from optimizer_options import OptionRule


@dataclass(frozen=True)
class ScheduleRule:
    """One Keras schedule: its class, its arguments (those without a default are required), and
    the word a title calls it by."""

    keras_class: str
    word: str
    arguments: dict[str, OptionRule]
    required: tuple[str, ...]
    # Arguments not said by the brief text 'cosine 0.1→0' that a folder name must still tell apart.
    named: dict[str, str] = field(default_factory=dict)


# A whole-numbered step count, as Keras requires (decay_steps <= 0 is refused by Keras too).
_STEPS = OptionRule(int, 1)
_RATE = OptionRule(float, 0, low_open=True)
_STAIRCASE = OptionRule(bool, default=False)
_ALPHA = OptionRule(float, 0, 1, default=0.0)  # the final rate as a share of the initial one
# A list argument (piecewise_constant_decay's boundaries and values) is checked by _check_lists.
_LIST = OptionRule(list)

SCHEDULES = {
    "exponential_decay": ScheduleRule(
        "ExponentialDecay", "exponential",
        {"initial_learning_rate": _RATE, "decay_steps": _STEPS, "decay_rate": _RATE, "staircase": _STAIRCASE},
        ("initial_learning_rate", "decay_steps", "decay_rate"), {"staircase": "staircase"}),
    "piecewise_constant_decay": ScheduleRule(
        "PiecewiseConstantDecay", "piecewise", {"boundaries": _LIST, "values": _LIST}, ("boundaries", "values"),
        {"boundaries": "at"}),
    "polynomial_decay": ScheduleRule(
        "PolynomialDecay", "polynomial",
        {"initial_learning_rate": _RATE, "decay_steps": _STEPS,
         "end_learning_rate": OptionRule(float, 0, default=0.0001),
         "power": OptionRule(float, 0, low_open=True, default=1.0), "cycle": OptionRule(bool, default=False)},
        ("initial_learning_rate", "decay_steps"), {"decay_steps": "steps", "power": "power", "cycle": "cycle"}),
    "inverse_time_decay": ScheduleRule(
        "InverseTimeDecay", "inverse-time",
        {"initial_learning_rate": _RATE, "decay_steps": _STEPS, "decay_rate": _RATE, "staircase": _STAIRCASE},
        ("initial_learning_rate", "decay_steps", "decay_rate"), {"staircase": "staircase"}),
    # With a warm-up the rate rises from initial_learning_rate (which may then be 0) to
    # warmup_target over warmup_steps, and decays from there.
    "cosine_decay": ScheduleRule(
        "CosineDecay", "cosine",
        {"initial_learning_rate": OptionRule(float, 0), "decay_steps": _STEPS, "alpha": _ALPHA,
         "warmup_target": OptionRule(float, 0, low_open=True, default=None),
         "warmup_steps": OptionRule(int, 0, default=0)},
        ("initial_learning_rate", "decay_steps"), {"decay_steps": "steps", "warmup_steps": "warmup"}),
    "cosine_decay_restarts": ScheduleRule(
        "CosineDecayRestarts", "cosine-restarts",
        {"initial_learning_rate": _RATE, "first_decay_steps": _STEPS,
         "t_mul": OptionRule(float, 0, low_open=True, default=2.0),
         "m_mul": OptionRule(float, 0, low_open=True, default=1.0), "alpha": _ALPHA},
        ("initial_learning_rate", "first_decay_steps"),
        {"first_decay_steps": "steps", "t_mul": "t_mul", "m_mul": "m_mul"}),
}

EXAMPLE = "{schedule: cosine_decay, initial_learning_rate: 0.1, decay_steps: 20000}"


def checked_schedule(given: dict[str, Any]) -> dict[str, Any]:
    """A schedule mapping as a config holds it: 'schedule' first, then every argument of the Keras
    class in its order, defaults filled in (so that two spellings of one schedule are equal) and
    whole numbers given for rates made floats; or ValueError saying what is wrong."""
    if "schedule" not in given:
        raise ValueError(f"a schedule needs schedule: one of {', '.join(SCHEDULES)}, as in {EXAMPLE}")
    name = given["schedule"]
    if not isinstance(name, str) or name.lower() not in SCHEDULES:
        close = difflib.get_close_matches(str(name).lower(), list(SCHEDULES), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise ValueError(f"unknown schedule {name!r}{hint}; choose one of: {', '.join(SCHEDULES)}")
    name = name.lower()
    rule = SCHEDULES[name]
    for argument in given:
        if argument != "schedule" and argument not in rule.arguments:
            close = difflib.get_close_matches(argument, list(rule.arguments), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise ValueError(f"{name} takes no argument {argument!r}{hint}; "
                             f"its arguments are {', '.join(rule.arguments)}")
    missing = [argument for argument in rule.required if argument not in given]
    if missing:
        raise ValueError(f"{name} needs {', '.join(missing)}, as in {EXAMPLE}" if name == "cosine_decay"
                         else f"{name} needs {', '.join(missing)}; its arguments are {', '.join(rule.arguments)}")
    checked: dict[str, Any] = {"schedule": name}
    for argument, option in rule.arguments.items():
        value = given.get(argument, option.default)
        checked[argument] = value if option.kind is list else _checked_value(name, argument, option, value)
    if name == "piecewise_constant_decay":
        _check_lists(checked)
    if name == "cosine_decay" and checked["initial_learning_rate"] == 0 and checked["warmup_target"] is None:
        raise ValueError("cosine_decay with initial_learning_rate 0 never trains; give a rate above 0, or a "
                         "warmup_target to rise to")
    return checked


def _checked_value(schedule: str, argument: str, rule: OptionRule, value: Any) -> Any:
    if value is None and rule.default is None and argument not in SCHEDULES[schedule].required:
        return None  # an argument Keras leaves unset by default (warmup_target)
    is_bool = isinstance(value, bool)
    wrong_type = (rule.kind is bool) != is_bool or not (is_bool or isinstance(value, (int, float)))
    if wrong_type or (rule.kind is int and type(value) is float and not value.is_integer()):
        raise ValueError(f"{schedule}'s {argument} must be {rule.describe()}, got {value!r}")
    if is_bool:
        return value
    if not math.isfinite(value) or not rule.allows(value):
        raise ValueError(f"{schedule}'s {argument} must be {rule.describe()}, got {value!r}")
    return rule.kind(value)


def _check_lists(checked: dict[str, Any]) -> None:
    boundaries, values = checked["boundaries"], checked["values"]
    if (not isinstance(boundaries, list) or not boundaries
            or any(isinstance(step, bool) or not isinstance(step, (int, float)) or step != int(step) or step < 1
                   for step in boundaries)
            or any(later <= earlier for earlier, later in zip(boundaries, boundaries[1:]))):
        raise ValueError(f"piecewise_constant_decay's boundaries must be a list of increasing whole step counts "
                         f"of at least 1, got {boundaries!r}")
    if (not isinstance(values, list)
            or any(isinstance(rate, bool) or not isinstance(rate, (int, float)) or not math.isfinite(rate) or rate <= 0
                   for rate in values)):
        raise ValueError(f"piecewise_constant_decay's values must be a list of learning rates above 0, got {values!r}")
    if len(values) != len(boundaries) + 1:
        raise ValueError(f"piecewise_constant_decay has {len(boundaries)} boundaries, so it needs "
                         f"{len(boundaries) + 1} values (one before each boundary and one after), got {len(values)}")
    checked["boundaries"] = [int(step) for step in boundaries]
    checked["values"] = [float(rate) for rate in values]


def keras_arguments(schedule: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The Keras class name of a checked schedule and the keyword arguments to build it with."""
    arguments = {key: value for key, value in schedule.items() if key != "schedule"}
    return SCHEDULES[schedule["schedule"]].keras_class, arguments


def initial_rate(learning_rate: float | dict[str, Any]) -> float:
    """The learning rate of the first step (a schedule with a warm-up starts at its initial rate)."""
    if not isinstance(learning_rate, dict):
        return float(learning_rate)
    if learning_rate["schedule"] == "piecewise_constant_decay":
        return learning_rate["values"][0]
    return learning_rate["initial_learning_rate"]


def _path(schedule: dict[str, Any]) -> list[float]:
    """The rates a brief text names, in order: initial, (warm-up peak,) final."""
    name = schedule["schedule"]
    if name == "piecewise_constant_decay":
        return schedule["values"]
    if name == "polynomial_decay":
        return [schedule["initial_learning_rate"], schedule["end_learning_rate"]]
    if name == "cosine_decay":
        peak = schedule["warmup_target"]
        if peak is None:
            return [schedule["initial_learning_rate"], schedule["alpha"] * schedule["initial_learning_rate"]]
        return [schedule["initial_learning_rate"], peak, schedule["alpha"] * peak]
    if name == "cosine_decay_restarts":
        return [schedule["initial_learning_rate"], schedule["alpha"] * schedule["initial_learning_rate"]]
    return [schedule["initial_learning_rate"]]  # exponential and inverse time never reach a final rate


def learning_rate_text(learning_rate: float | dict[str, Any]) -> str:
    """A learning rate as titles say it: 'lr 0.01', 'cosine 0.1→0', 'cosine 0→0.1→0' (a warm-up),
    'exponential 0.1 rate 0.96/1000' (the rate multiplied by 0.96 every 1000 steps)."""
    if not isinstance(learning_rate, dict):
        return f"lr {learning_rate:g}"
    word = SCHEDULES[learning_rate["schedule"]].word
    rates = "→".join(f"{rate:g}" for rate in _path(learning_rate))
    if learning_rate["schedule"] in ("exponential_decay", "inverse_time_decay"):
        return f"{word} {rates} rate {learning_rate['decay_rate']:g}/{learning_rate['decay_steps']}"
    return f"{word} {rates}"


def schedule_name_part(schedule: dict[str, Any]) -> str:
    """A schedule as a piece of a folder's name: 'cosine0.1-0-steps20000'. It names every argument
    that tells two schedules apart (a grid of schedules must give each cell its own folder), the
    brief text's rates first; an argument at its default is left out."""
    rule = SCHEDULES[schedule["schedule"]]
    pieces = [rule.word + "-".join(f"{rate:g}" for rate in _path(schedule))]
    if schedule["schedule"] in ("exponential_decay", "inverse_time_decay"):
        pieces.append(f"rate{schedule['decay_rate']:g}")
        pieces.append(f"steps{schedule['decay_steps']}")
    for argument, short in rule.named.items():
        value = schedule[argument]
        if value == rule.arguments[argument].default:
            continue
        if isinstance(value, bool):
            pieces.append(short)
        elif isinstance(value, list):
            pieces.append(short + "-".join(map(str, value)))
        else:
            pieces.append(f"{short}{value:g}")
    return "-".join(pieces)
