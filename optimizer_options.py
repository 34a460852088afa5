"""The options each Keras optimizer takes besides learning_rate, and what each must be.

Checked before TensorFlow starts, so that a wrong option is reported in a fraction of a second;
tests/test_models.py checks these names and defaults against the Keras optimizers' signatures.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class OptionRule:
    """What an optimizer option must be: a number (float, or int for a count) within a range, or
    true/false (bool)."""

    kind: type
    low: float | None = None
    high: float | None = None
    low_open: bool = False  # low itself is not allowed
    high_open: bool = False
    default: Any = None  # Keras's: giving it changes nothing (None: Keras's default is to leave it unset)

    def allows(self, value: float) -> bool:
        above = self.low is None or (value > self.low if self.low_open else value >= self.low)
        below = self.high is None or (value < self.high if self.high_open else value <= self.high)
        return above and below

    def describe(self) -> str:
        if self.kind is bool:
            return "true or false"
        what = "a whole number" if self.kind is int else "a number"
        if self.low is not None and self.high is not None:
            if self.low_open:
                upper = f"below {self.high:g}" if self.high_open else f"at most {self.high:g}"
                return f"{what} above {self.low:g} and {upper}"
            upper = f"up to but not including {self.high:g}" if self.high_open else f"to {self.high:g}"
            return f"{what} from {self.low:g} {upper}"
        if self.low is not None:
            return f"{what} {'above' if self.low_open else 'of at least'} {self.low:g}"
        return what


# The options (keyword arguments besides learning_rate) each optimizer takes, with what each must
# be. The ranges are Keras's own checks
# (momentum, ema_momentum, Lion's beta_1, gradient_accumulation_steps) and what the update rules
# need (Adam's betas below 1: its bias correction divides by 1 - beta^t); tests/test_models.py
# checks these names against the Keras optimizers' signatures.
def _fraction(default: float | None = None) -> OptionRule:
    return OptionRule(float, 0, 1, default=default)


def _beta(default: float) -> OptionRule:
    return OptionRule(float, 0, 1, high_open=True, default=default)


_POSITIVE, _NOT_NEGATIVE = OptionRule(float, 0, low_open=True), OptionRule(float, 0)
_EPSILON, _OFF = OptionRule(float, 0, default=1e-7), OptionRule(bool, default=False)
COMMON_OPTIONS = {
    "weight_decay": _NOT_NEGATIVE, "clipnorm": _POSITIVE, "clipvalue": _POSITIVE, "global_clipnorm": _POSITIVE,
    "use_ema": _OFF, "ema_momentum": _fraction(0.99), "ema_overwrite_frequency": OptionRule(int, 1),
    "loss_scale_factor": _POSITIVE, "gradient_accumulation_steps": OptionRule(int, 2),
}
_ADAM_LIKE = {"beta_1": _beta(0.9), "beta_2": _beta(0.999), "epsilon": _EPSILON}
OPTIMIZER_OPTIONS = {
    "sgd": {"momentum": _fraction(0.0), "nesterov": _OFF},
    "adam": {**_ADAM_LIKE, "amsgrad": _OFF},
    "adamw": {**_ADAM_LIKE, "amsgrad": _OFF, "weight_decay": OptionRule(float, 0, default=0.004)},
    "rmsprop": {"rho": _fraction(0.9), "momentum": _fraction(0.0), "epsilon": _EPSILON, "centered": _OFF},
    "adagrad": {"initial_accumulator_value": OptionRule(float, 0, default=0.1), "epsilon": _EPSILON},
    "adadelta": {"rho": _fraction(0.95), "epsilon": _EPSILON},
    "adamax": dict(_ADAM_LIKE),
    "nadam": dict(_ADAM_LIKE),
    "lion": {"beta_1": OptionRule(float, 0, 1, low_open=True, default=0.9), "beta_2": _fraction(0.99)},
}


# Arguments every optimizer takes that a config sets as keys of their own (weight_decay:, not
# optimizer_options.weight_decay); kept in the table above, since Keras takes them, but not offered.
TOP_LEVEL_OPTIONS = ("weight_decay",)


def option_rules(optimizer: str) -> dict[str, OptionRule]:
    """Every option an optimizer takes, with what it must be: its own, then every optimizer's."""
    return {**COMMON_OPTIONS, **OPTIMIZER_OPTIONS[optimizer]}


OPTIMIZERS = tuple(OPTIMIZER_OPTIONS)


def checked_options(optimizer: str, options: dict[str, Any]) -> dict[str, Any]:
    """An optimizer's options as Keras takes them (a whole number given for a float option, such as
    momentum: 0, becomes 0.0), or ValueError naming the option and what it must be."""
    rules = option_rules(optimizer)
    checked = {}
    for name, value in options.items():
        rule = rules.get(name)
        if rule is None:
            takers = [other for other, own in OPTIMIZER_OPTIONS.items() if name in own]
            close = difflib.get_close_matches(name, list(OPTIMIZER_OPTIONS[optimizer]), n=1)
            hint = (f" ({' and '.join(takers)} {'does' if len(takers) == 1 else 'do'})" if takers
                    else f" (did you mean {close[0]!r}?)" if close else "")
            own = [option for option in OPTIMIZER_OPTIONS[optimizer] if option not in COMMON_OPTIONS]
            common = [option for option in COMMON_OPTIONS if option not in TOP_LEVEL_OPTIONS]
            raise ValueError(f"{optimizer} takes no option {name!r}{hint}; its own are {', '.join(own)}, besides those "
                             f"every optimizer takes: {', '.join(common)}")
        is_bool = isinstance(value, bool)
        if (rule.kind is bool) != is_bool or (rule.kind is int and type(value) is float and not value.is_integer()):
            raise ValueError(f"{name} must be {rule.describe()} for {optimizer}, got {value!r}")
        if not is_bool:
            value = rule.kind(value)
            if not rule.allows(value):
                raise ValueError(f"{name} must be {rule.describe()} for {optimizer}, got {value!r}")
        checked[name] = value
    clipping = [name for name in ("clipnorm", "clipvalue", "global_clipnorm") if name in checked]
    if len(clipping) > 1:
        raise ValueError(f"{' and '.join(clipping)} are given; Keras takes one of clipnorm, clipvalue and global_clipnorm")
    return checked

