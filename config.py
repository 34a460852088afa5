"""Experiment configs: the defaults, the schema, and loading a YAML file with --set overrides.

Everything here runs without TensorFlow, so a mistake in a config is reported in a
fraction of a second, before any training starts.
"""

from __future__ import annotations

import difflib
import math
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import (
    AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, ValidationInfo, field_validator,
    model_validator,
)

import targets

# The Keras activations and optimizers a config may name. They are listed here, not asked of
# Keras, so that a config can be checked without importing TensorFlow;
# tests/test_models.py checks that Keras really has each of them.
ACTIVATIONS = (
    "sigmoid", "tanh", "relu", "elu", "selu", "gelu", "silu", "swish", "softplus",
    "softsign", "leaky_relu", "relu6", "mish", "hard_sigmoid", "linear",
)


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
# be, so that a wrong one is reported before TensorFlow starts. The ranges are Keras's own checks
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
            raise ValueError(f"{optimizer} takes no option {name!r}{hint}; its own are {', '.join(own)}, besides those "
                             f"every optimizer takes: {', '.join(COMMON_OPTIONS)}")
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


class ConfigError(ValueError):
    """A config the user must fix; its message is meant to be printed as it is."""

    def _render_traceback_(self) -> list[str]:
        # In a notebook (IPython asks for this), the one line a command would print, not a traceback.
        return [f"error: {self}"]


# --- reading YAML --------------------------------------------------------------------------------

class _Loader(yaml.SafeLoader):
    """PyYAML's safe loader, with numbers read as YAML 1.2 reads them and duplicate keys refused.

    PyYAML follows YAML 1.1, whose floats need a dot and a signed exponent: it reads 1e-3, 5E-2
    and 1e4 as strings, which is how every ML user writes a learning rate. Booleans and
    everything else are read as before.
    """


_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$"),
    list("-+0123456789."),
)


class DuplicateKeyError(yaml.MarkedYAMLError):
    """A mapping that names the same key twice."""

    def __init__(self, key, first_line: int, second_mark):
        super().__init__(problem=f"key {key!r} is given twice", problem_mark=second_mark)
        self.key, self.first_line, self.second_line = key, first_line, second_mark.line + 1


def _construct_mapping_without_duplicates(loader: _Loader, node: yaml.MappingNode, deep: bool = False) -> dict:
    # Without this the last of two equal keys silently wins, and a typo'd copy of a line
    # quietly changes an experiment.
    seen = {}
    for key_node, _ in node.value:
        if key_node.tag == "tag:yaml.org,2002:merge":
            continue  # '<<: *defaults' may be overridden by the keys beside it, as YAML intends
        key = loader.construct_object(key_node, deep=deep)
        if isinstance(key, (str, int, float, bool)) or key is None:
            if key in seen:
                raise DuplicateKeyError(key, seen[key], key_node.start_mark)
            seen[key] = key_node.start_mark.line + 1
    loader.flatten_mapping(node)
    return loader.construct_mapping(node, deep=deep)


_Loader.add_constructor("tag:yaml.org,2002:map", _construct_mapping_without_duplicates)


def load_yaml(text: str) -> Any:
    """Read YAML text as every file and --set value here is read (YAML 1.2 numbers, no duplicate keys)."""
    try:
        return yaml.load(text, Loader=_Loader)
    except ValueError as error:  # a number of more than 4,300 digits, which Python will not read
        if isinstance(error, yaml.YAMLError):
            raise
        raise yaml.YAMLError(str(error)) from None


def _duplicate_key_message(error: DuplicateKeyError) -> str:
    return f"key {error.key!r} is given twice (lines {error.first_line} and {error.second_line}); keep one"


# --- the schema ----------------------------------------------------------------------------------

def _whole_number(value: Any) -> Any:
    # YAML reads 2e4 as a float; for a key that counts something, a whole number is what was meant.
    # 2.5 stays a float, and is refused as a count.
    if type(value) is float and value.is_integer():
        return int(value)
    return value


def _number_as_expression(value: Any) -> Any:
    # target: 3 is read by YAML as a number; as a target it is the expression "3", a constant.
    if type(value) in (int, float):
        return repr(value)
    return value


# An integer key also takes a whole number written as a float: epochs: 2e4 is 20000.
WholeNumber = Annotated[int, BeforeValidator(_whole_number)]

# Characters safe in a folder name on every system and in every shell.
_PLAIN_NAME = re.compile(r"\w[\w.+-]*")
MAX_NAME_LENGTH = 100


def check_plain_name(name: str) -> str:
    """A run's or study's name: it becomes a folder's name, so no path, no hidden or odd names."""
    if not _PLAIN_NAME.fullmatch(name) or name.endswith(".") or len(name) > MAX_NAME_LENGTH:
        raise ValueError(
            f"must be a plain folder name of at most {MAX_NAME_LENGTH} letters, digits and _ . + - "
            f"(not starting with . or -, not ending with .), got {name!r}"
        )
    return name


PlainName = Annotated[str, AfterValidator(check_plain_name)]


class StrictModel(BaseModel):
    # strict: a value must already have the right type (no "60" for 60); extra keys are
    # errors (a typo must not silently fall back to a default); NaN and infinity are refused.
    model_config = ConfigDict(strict=True, extra="forbid", allow_inf_nan=False, frozen=True)


# A stack of nets is trained in this many parts (each its own compiled loop on a thread of its
# own), whatever the machine: how XLA vectorizes a part moves the last digits of its nets' numbers
# with the part's size, so a split that followed the cores would give a run other numbers on
# another machine, or as a Ray task given other CPUs. Two keeps both cores of a laptop busy; a
# bigger machine trains several cells at once (study.py --ray asks Ray for STACK_PARTS CPUs a cell).
STACK_PARTS = 2


def stack_parts(nets: int) -> int:
    """Into how many parts a stack of `nets` nets is split: STACK_PARTS, or one a net if fewer."""
    return max(1, min(nets, STACK_PARTS))
MAX_SEEDS = 10_000
MAX_SEED = 2**32 - 1
MAX_EPOCHS = 10_000_000
# Epochs times seeds: 8 bytes each for the two float32 loss histories, 1.6 GB at this limit.
MAX_NET_EPOCHS = 200_000_000
# Training points, generated or read from a file: full-batch training on more is not what this
# tool is for, and a file's residuals.png interpolates every frame at every point.
MAX_POINTS = 100_000


# The keys that describe generated data, and those that describe points read from a file: a
# config has one set or the other, and its resolved config.yaml only the set it uses.
GENERATED_DATA_KEYS = ("n_samples", "x_min", "x_max", "noise_std", "target")
FILE_DATA_KEYS = ("data_file", "data_columns", "validation_fraction", "standardize", "data_sha256")


class RenderConfig(StrictModel):
    """How fit.gif and loss.png are drawn."""

    # 20 frames a second plays ~200 frames in 10 s: long enough to follow, short enough to
    # rewatch. Browsers clamp frame delays of 10 ms or less to 100 ms, hence the upper limit.
    fps: float = Field(20.0, ge=0.1, le=50)
    # Hold the final fit on screen so the eye can take it in before the loop restarts.
    last_frame_seconds: float = Field(2.5, ge=0, le=60)
    # 800x360 pixels keeps the 200-frame GIF well under 3 MB with readable text. Below 480x270
    # the two panels, their tick labels and the header's lines no longer fit side by side.
    width_pixels: WholeNumber = Field(800, ge=480, le=2000)
    height_pixels: WholeNumber = Field(360, ge=270, le=1200)


class ExperimentConfig(StrictModel):
    """One experiment. A YAML file sets only what differs from these defaults."""

    # The run directory is output/<name>; by default the config file's name without .yaml.
    name: PlainName | None = None
    # Seeds the data noise, the held-out noise and the initial weights (Keras takes seeds below 2**32).
    seed: WholeNumber = Field(0, ge=0, le=MAX_SEED)
    # Train this many copies of the net at once, from seeds seed, seed+1, ..., on the same data:
    # one net's fate depends on its random start, so a conclusion needs many.
    seeds: WholeNumber = Field(1, ge=1, le=MAX_SEEDS)
    # Seeds the data alone, when set; by default the data comes from `seed`. Set it to give
    # single runs with different weight seeds the same data (as the members of a seeded run have).
    data_seed: WholeNumber | None = Field(None, ge=0)

    # The data: the post's noisy sine. 200 points on one full period with sigma 0.2 gives a
    # noise floor of 0.04 that is clearly below the 0.2 where SGD gets stuck.
    n_samples: WholeNumber = Field(200, gt=0, le=MAX_POINTS)
    # Bounded so that every number drawn and every error squared stays a finite float.
    x_min: float = Field(0.0, ge=-1e6, le=1e6)
    x_max: float = Field(2 * math.pi, ge=-1e6, le=1e6)
    noise_std: float = Field(0.2, ge=0, le=1e3)
    # The function the noisy points come from: a built-in target by name (targets.BUILT_IN: sine,
    # square, sawtooth, ...) or an expression in x such as "sin(3*x) + 0.3*x" (targets.py).
    target: Annotated[str, BeforeValidator(_number_as_expression)] = "sine"

    # Or the user's own points: a CSV file of x,y (a header line allowed), read relative to the
    # config file's folder (given with --set, to the current folder); its resolved config.yaml
    # holds the absolute path. None of the keys above
    # but seeds applies to it (GENERATED_DATA_KEYS); the x range and grid come from the points.
    data_file: str | None = None
    # The two columns to use when the file has more: header names, or numbers counted from 1.
    data_columns: list[str | WholeNumber] | None = Field(None, min_length=2, max_length=2)
    # The share of the file's points held out to measure the error on, chosen by the data seed.
    validation_fraction: float = Field(0.2, gt=0, le=0.9)
    # Train on the points shifted and scaled to mean 0 and spread 1, shown in the file's units:
    # sigmoid units see x of order 1 whatever the file's units are (data.Standardization).
    standardize: bool = True
    # The SHA-256 of the file's contents, which a run's config.yaml records: training it again on
    # a file that has changed since is refused, rather than silently giving other numbers.
    data_sha256: str | None = Field(None, pattern=r"^[0-9a-f]{64}$")

    # The net: hidden layer widths, then a linear output. Sigmoid units are what make a 1x60 net
    # with SGD get stuck as in the post; with tanh it escapes (see the measurements note).
    hidden_layers: list[WholeNumber] = Field(default_factory=lambda: [10, 10], min_length=1)
    activation: str = "sigmoid"

    # The optimizer, by its Keras name, and any further keyword arguments it takes
    # (for example optimizer_options.momentum=0.9 for SGD).
    optimizer: str = "adam"
    learning_rate: float = Field(0.01, gt=0)
    optimizer_options: dict[str, float | int | bool] = Field(default_factory=dict)

    # Full-batch epochs: one epoch is one optimizer step on all n_samples points. Every epoch's two
    # losses are kept, 8 bytes an epoch and net, hence the limits (80 MB for one net).
    epochs: WholeNumber = Field(20000, gt=0, le=MAX_EPOCHS)

    # About this many prediction snapshots become frames of the GIF: enough to look smooth,
    # few enough to keep the GIF small and fast to write.
    frames: WholeNumber = Field(200, ge=2, le=5000)
    # Points of the dense x grid the prediction and the true curve are drawn on: at least 20,
    # so that a curve on it still looks like one.
    grid_points: WholeNumber = Field(200, ge=20, le=10_000)

    render: RenderConfig = Field(default_factory=RenderConfig)

    @field_validator("hidden_layers")
    @classmethod
    def _positive_widths(cls, widths: list[int]) -> list[int]:
        if any(width <= 0 for width in widths):
            raise ValueError("every layer width must be a whole number greater than 0")
        return widths

    @field_validator("target")
    @classmethod
    def _readable_target(cls, target: str) -> str:
        targets.compile_target(target)  # a TargetError (a ValueError) names what is wrong
        return target

    @field_validator("activation")
    @classmethod
    def _known_activation(cls, name: str) -> str:
        return _known_name(name, ACTIVATIONS, "activation")

    @field_validator("optimizer")
    @classmethod
    def _known_optimizer(cls, name: str) -> str:
        return _known_name(name, OPTIMIZERS, "optimizer")

    @field_validator("data_file")
    @classmethod
    def _a_path(cls, data_file: str | None) -> str | None:
        if data_file is not None and not data_file.strip():
            raise ValueError("is empty; give the path of a CSV file of x,y points")
        return data_file

    @field_validator("data_columns")
    @classmethod
    def _two_different_columns(cls, columns: list | None) -> list | None:
        if columns is not None and columns[0] == columns[1]:
            raise ValueError("names one column twice; give the x column, then a different y column")
        return columns

    @model_validator(mode="after")
    def _data_from_one_source(self) -> "ExperimentConfig":
        given = self.model_fields_set
        if self.data_file is not None:
            generated = [key for key in GENERATED_DATA_KEYS if key in given]
            if generated:
                raise ValueError(f"{', '.join(generated)} describe{'s' if len(generated) == 1 else ''} generated data, "
                                 "but the points come from data_file; remove "
                                 f"{'it' if len(generated) == 1 else 'them'} (or data_file)")
        else:
            file_only = [key for key in FILE_DATA_KEYS if key in given and key != "data_file"]
            if file_only:
                raise ValueError(f"{', '.join(file_only)} appl{'ies' if len(file_only) == 1 else 'y'} only to points "
                                 "read from a file; set data_file too, or remove "
                                 f"{'it' if len(file_only) == 1 else 'them'}")
        return self

    @model_validator(mode="after")
    def _x_range_not_empty(self) -> "ExperimentConfig":
        if not self.x_min < self.x_max:
            raise ValueError(f"x_min ({self.x_min}) must be less than x_max ({self.x_max})")
        return self

    @model_validator(mode="after")
    def _target_finite_over_the_range(self) -> "ExperimentConfig":
        # Checked at the points the data and the drawing use: log(x) at x = 0 would train on -inf.
        if self.data_file is None and self.x_min < self.x_max:
            where = targets.first_unusable_x(self.target, self.x_min, self.x_max, (self.n_samples, self.grid_points))
            if where is not None:
                raise ValueError(f"target {targets.shortened(self.target)!r} is not a finite number within "
                                 f"±{targets.MAX_VALUE:g} at x = {where:g}; choose x_min and x_max where it is, "
                                 "or another target")
        return self

    @field_validator("optimizer_options")
    @classmethod
    def _options_the_optimizer_takes(cls, options: dict, info: ValidationInfo) -> dict:
        # learning_rate (and any other top-level key) has one place to be set, so that a run's
        # config.yaml says unambiguously what was used.
        for key in options:
            if key in cls.model_fields:
                raise ValueError(f"{key!r} is a top-level key: set {key} itself, not optimizer_options.{key}")
        if "optimizer" not in info.data:  # an unknown optimizer, reported on its own
            return options
        return checked_options(info.data["optimizer"], options)

    @model_validator(mode="after")
    def _member_seeds_in_range(self) -> "ExperimentConfig":
        if self.seed + self.seeds - 1 > MAX_SEED:
            raise ValueError(f"seed + seeds - 1 (the last net's seed) must be at most {MAX_SEED}")
        return self

    @model_validator(mode="after")
    def _histories_fit_in_memory(self) -> "ExperimentConfig":
        if self.epochs * self.seeds > MAX_NET_EPOCHS:
            raise ValueError(
                f"epochs x seeds ({self.epochs:,} x {self.seeds:,}) must be at most {MAX_NET_EPOCHS:,}: "
                "every net's every epoch is kept in memory"
            )
        return self

    @model_validator(mode="after")
    def _members_stay_independent(self) -> "ExperimentConfig":
        # Clipping by a norm would take the norm over all members' stacked weights at once,
        # so one member's gradients would change another's steps.
        coupling = sorted({"clipnorm", "global_clipnorm"} & set(self.optimizer_options))
        if self.seeds > 1 and coupling:
            raise ValueError(f"optimizer_options {', '.join(coupling)} would couple the {self.seeds} seeds; "
                             "use clipvalue, or seeds: 1")
        return self

    @property
    def member_seeds(self) -> list[int]:
        """The weight seed of each net trained: seed, seed+1, ..., one per member."""
        return [self.seed + member for member in range(self.seeds)]

    @property
    def data_seed_used(self) -> int:
        return self.seed if self.data_seed is None else self.data_seed


def _known_name(name: str, valid: tuple[str, ...], what: str) -> str:
    if name.lower() in valid:
        return name.lower()
    raise ValueError(f"unknown {what} {name!r}; choose one of: {', '.join(valid)}")


def parse_override(text: str) -> tuple[list[str], Any]:
    """Split 'a.b=value' into (['a', 'b'], value), the value read as YAML ('2000' -> 2000)."""
    key, separator, raw_value = text.partition("=")
    if not separator or not key.strip():
        raise ConfigError(f"--set {text!r}: expected key=value, for example --set epochs=2000")
    try:
        value = load_yaml(raw_value) if raw_value.strip() else ""
    except DuplicateKeyError as error:
        raise ConfigError(f"--set {text}: key {error.key!r} is given twice; keep one") from None
    except yaml.YAMLError:
        # A value YAML cannot read (say 'a: b') is taken as the plain string it is.
        value = raw_value
    return key.strip().split("."), value


def apply_overrides(raw: dict[str, Any], overrides: list[str]) -> dict[str, Any]:
    """Return a copy of raw with each 'key=value' override set, creating nested mappings."""
    result = _deep_copy(raw)
    for text in overrides:
        path, value = parse_override(text)
        target = result
        for part in path[:-1]:
            if not isinstance(target.get(part), dict):
                target[part] = {}
            target = target[part]
        target[path[-1]] = value
    return result


def _deep_copy(mapping: dict[str, Any]) -> dict[str, Any]:
    return {k: _deep_copy(v) if isinstance(v, dict) else v for k, v in mapping.items()}


def read_yaml_mapping(path: Path) -> dict[str, Any]:
    """Read a YAML file whose top level is a mapping; anything else is a ConfigError."""
    if not path.exists():
        raise ConfigError(f"{path}: no such file; the shipped configs are in experiments/")
    if path.is_dir():
        raise ConfigError(f"{path}: is a directory; give a .yaml file such as experiments/adam_2x10.yaml")
    try:
        raw = load_yaml(path.read_text())
    except DuplicateKeyError as error:
        raise ConfigError(f"{path}: {_duplicate_key_message(error)}") from None
    except yaml.YAMLError as error:
        where = getattr(error, "problem_mark", None)
        line = f" (line {where.line + 1})" if where is not None else ""
        raise ConfigError(f"{path}: is not valid YAML{line}; check indentation and colons") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: is not a text file; give a YAML config") from None
    except OSError as error:
        raise ConfigError(f"{path}: cannot be read ({error.strerror or error})") from None
    if raw is None:
        raise ConfigError(f"{path}: is empty; set at least one key, for example 'epochs: 2000'")
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: the top level must be a mapping of keys to values, not a {type(raw).__name__}")
    return raw


def is_study(raw: dict[str, Any]) -> bool:
    """Whether a file's mapping is a study (it lists experiments, or varies a base experiment over
    a grid) rather than one experiment."""
    return "experiments" in raw or "grid" in raw or "base" in raw


def is_experiment(raw: dict[str, Any]) -> bool:
    """Whether a file's mapping is an experiment: it sets a key only an experiment has."""
    study_keys = {"name", "seeds", "experiments"}
    return not is_study(raw) and any(key in ExperimentConfig.model_fields and key not in study_keys for key in raw)


def load_config(
    path: str | Path, overrides: list[str] | None = None, override_labels: dict[str, str] | None = None,
) -> ExperimentConfig:
    """Load a YAML experiment file, apply --set overrides, validate, and fill in the name.

    A mistake in an override is reported under '--set KEY=VALUE' (or under its label in
    override_labels, for an override that came from elsewhere, such as --seeds), not the file.
    """
    path = Path(path)
    raw = read_yaml_mapping(path)
    if is_study(raw):
        raise ConfigError(f"{path}: is a study file (it lists experiments), not an experiment; "
                          f"run it with: python study.py {path}")
    overrides = list(overrides or [])
    labels = override_labels or {}
    sources = [(parse_override(text)[0], labels.get(text, f"--set {targets.shortened(text, 200)}"))
               for text in overrides]
    if isinstance(raw.get("data_file"), str) and raw["data_file"].strip():
        # A file named in a file is found beside it, as a study's experiments are; one given with
        # --set is a command-line path, relative to the current folder.
        raw = dict(raw, data_file=_beside(path, raw["data_file"]))
    config = validate(apply_overrides(raw, overrides), source=str(path), override_sources=sources)
    if config.name is None:
        try:
            name = check_plain_name(path.stem)
        except ValueError as error:
            raise ConfigError(f"{path}: the run is named after the file, and its name {error}; "
                              "set name: in the file or --set name=...") from None
        config = config.model_copy(update={"name": name})
    return config


def _beside(config_path: Path, data_file: str) -> str:
    """A data_file written in a config file, as a path from the current folder: relative paths
    are taken from the config file's folder."""
    expanded = Path(data_file).expanduser()
    return str(expanded) if expanded.is_absolute() else os.path.normpath(config_path.parent / expanded)


def validate(
    raw: dict[str, Any], source: str = "config", override_sources: list[tuple[list[str], str]] = (),
) -> ExperimentConfig:
    """Validate a mapping against the schema, turning pydantic's report into plain lines.

    override_sources: (key path, label) of each value set by an override, whose mistakes are
    reported under that label instead of `source`.
    """
    try:
        return ExperimentConfig.model_validate(raw)
    except ValidationError as error:
        raise ConfigError(error_lines(error, source, override_sources)) from None


def error_lines(
    error: ValidationError, source: str, override_sources: list[tuple[list[str], str]] = (),
    schema: type[BaseModel] = ExperimentConfig,
) -> str:
    """Pydantic's report as plain lines, one per mistake, each starting with where it was made."""
    lines = []
    for item in error.errors():
        description = _describe(item, schema)
        line = f"{_blamed(item, description, source, override_sources)}: {description}"
        if line not in lines:  # a value that fits no member of a union is reported once
            lines.append(line)
    return "\n".join(lines)


def _blamed(item: dict[str, Any], description: str, source: str, override_sources) -> str:
    """Where a mistake was made: the override that set the key, or else the file."""
    location = [str(part) for part in item["loc"]]
    if len(location) > 2 and location[0] == "optimizer_options" and location[-1] in _UNION_MEMBERS:
        location = location[:-1]  # pydantic names the member of the union the value did not fit
    if location:
        for path, label in reversed(override_sources):  # the last override of a key is the one used
            common = min(len(path), len(location))
            if path[:common] == location[:common]:
                return label
        return source
    # A rule about several keys (x_min < x_max): blame the overrides of the keys it names (the
    # last override of each key, the one that was used).
    last_override = {path[0]: label for path, label in override_sources}
    named = [label for key, label in last_override.items() if re.search(rf"\b{re.escape(key)}\b", description)]
    return " and ".join(dict.fromkeys(named)) or source


# Pydantic names the member of a union in the error location ('optimizer_options.beta.float');
# the user only needs to know which key is wrong.
_UNION_MEMBERS = {"float": "a number or true/false", "int": "a number or true/false", "bool": "a number or true/false"}


def _describe(item: dict[str, Any], schema: type[BaseModel] = ExperimentConfig) -> str:
    """One plain sentence for one pydantic error item."""
    location = [str(part) for part in item["loc"]]
    message = item["msg"].removeprefix("Value error, ")
    if len(location) > 2 and location[0] == "optimizer_options" and location[-1] in _UNION_MEMBERS:
        message = f"expected {_UNION_MEMBERS[location.pop()]}"
    key = ".".join(part if _PLAIN_KEY.fullmatch(part) else repr(part) for part in location) or "(top level)"
    if item["type"] == "extra_forbidden":
        return f"unknown key {key!r}{_suggestion(location, schema)}"
    if not location:
        return message
    value = item.get("input")
    # A text already named in the message is not repeated; a number is ('greater than 0, got 0').
    named = not isinstance(value, (int, float)) and re.search(rf"(?<![\w.]){re.escape(repr(value))}(?![\w.])", message)
    shown = "" if isinstance(value, dict) or named else f", got {_shortened_repr(value)}"
    return f"{key}: {message}{shown}"


_PLAIN_KEY = re.compile(r"[A-Za-z0-9_-]+")


def _shortened_repr(value: Any, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else f"{text[: limit - 1]}… ({len(text):,} characters)"


def _suggestion(location: list[str], schema: type[BaseModel]) -> str:
    section = schema
    for part in location[:-1]:
        field = section.model_fields.get(part)
        annotation = field.annotation if field else None
        if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
            return ""
        section = annotation
    close = difflib.get_close_matches(location[-1], list(section.model_fields), n=1)
    prefix = ".".join(location[:-1] + [""])
    return f" (did you mean {prefix + close[0]!r}?)" if close else f"; valid keys: {', '.join(section.model_fields)}"


def describe_training(config: ExperimentConfig) -> str:
    """What was trained, in the few words every picture carries: '2x10 sigmoid · adam lr 0.01'."""
    widths = config.hidden_layers
    layers = f"{len(widths)}x{widths[0]}" if len(set(widths)) == 1 else "-".join(map(str, widths))
    options = "".join(f", {key} {value:g}" if not isinstance(value, bool) else f", {key} {str(value).lower()}"
                      for key, value in config.optimizer_options.items())
    if config.data_file is not None:
        on = f" · on {Path(config.data_file).name}"
    else:
        on = "" if config.target == "sine" else f" · on {targets.shortened(config.target, 40)}"
    return f"{layers} {config.activation} · {config.optimizer} lr {config.learning_rate:g}{options}{on}"


def absolute_data_file(config: ExperimentConfig) -> str:
    """A config's data_file as an absolute path: where the run's points came from, from anywhere."""
    return str(Path(config.data_file).expanduser().resolve())


def to_plain_dict(config: ExperimentConfig) -> dict[str, Any]:
    """The resolved config as plain YAML-ready data, written to each run's config.yaml: only the
    data keys of its source of points (a data_file made absolute, so the run can be trained
    again from anywhere)."""
    if config.data_file is None:
        return config.model_dump(mode="json", exclude=set(FILE_DATA_KEYS))
    plain = config.model_dump(mode="json", exclude=set(GENERATED_DATA_KEYS))
    plain["data_file"] = absolute_data_file(config)
    for key in ("data_columns", "data_sha256"):
        if plain[key] is None:
            del plain[key]
    return plain
