"""Experiment configs: the defaults, the schema, and loading a YAML file with --set overrides.

Everything here runs without TensorFlow, so a mistake in a config is reported in a
fraction of a second, before any training starts.
"""

from __future__ import annotations

import difflib
import math
import re
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

# The Keras activations and optimizers a config may name. They are listed here, not asked of
# Keras, so that a config can be checked without importing TensorFlow;
# tests/test_models.py checks that Keras really has each of them.
ACTIVATIONS = (
    "sigmoid", "tanh", "relu", "elu", "selu", "gelu", "silu", "swish", "softplus",
    "softsign", "leaky_relu", "relu6", "mish", "hard_sigmoid", "linear",
)
OPTIMIZERS = ("sgd", "adam", "adamw", "rmsprop", "adagrad", "adadelta", "adamax", "nadam", "lion")


class ConfigError(ValueError):
    """A config the user must fix; its message is meant to be printed as it is."""


class StrictModel(BaseModel):
    # strict: a value must already have the right type (no "60" for 60); extra keys are
    # errors (a typo must not silently fall back to a default); NaN and infinity are refused.
    model_config = ConfigDict(strict=True, extra="forbid", allow_inf_nan=False, frozen=True)


class RenderConfig(StrictModel):
    """How fit.gif and loss.png are drawn."""

    # 20 frames a second plays ~200 frames in 10 s: long enough to follow, short enough to
    # rewatch. Browsers clamp frame delays of 10 ms or less to 100 ms, hence the upper limit.
    fps: float = Field(20.0, gt=0, le=50)
    # Hold the final fit on screen so the eye can take it in before the loop restarts.
    last_frame_seconds: float = Field(2.5, ge=0, le=60)
    # 800x360 pixels keeps the 200-frame GIF well under 3 MB with readable text.
    width_pixels: int = Field(800, ge=320, le=2000)
    height_pixels: int = Field(360, ge=200, le=1200)


class ExperimentConfig(StrictModel):
    """One experiment. A YAML file sets only what differs from these defaults."""

    # The run directory is output/<name>; by default the config file's name without .yaml.
    name: str | None = Field(None, min_length=1, pattern=r"^[A-Za-z0-9_.-]+$")
    # Seeds the data noise, the held-out noise and the initial weights.
    seed: int = Field(0, ge=0)
    # Train this many copies of the net at once, from seeds seed, seed+1, ..., on the same data:
    # one net's fate depends on its random start, so a conclusion needs many.
    seeds: int = Field(1, ge=1, le=10_000)
    # Seeds the data alone, when set; by default the data comes from `seed`. Set it to give
    # single runs with different weight seeds the same data (as the members of a seeded run have).
    data_seed: int | None = Field(None, ge=0)

    # The data: the post's noisy sine. 200 points on one full period with sigma 0.2 gives a
    # noise floor of 0.04 that is clearly below the 0.2 where SGD gets stuck.
    n_samples: int = Field(200, gt=0, le=1_000_000)
    x_min: float = 0.0
    x_max: float = 2 * math.pi
    noise_std: float = Field(0.2, ge=0)

    # The net: hidden layer widths, then a linear output. Sigmoid units are what make a 1x60 net
    # with SGD get stuck as in the post; with tanh it escapes (see the measurements note).
    hidden_layers: list[int] = Field(default_factory=lambda: [10, 10], min_length=1)
    activation: str = "sigmoid"

    # The optimizer, by its Keras name, and any further keyword arguments it takes
    # (for example optimizer_options.momentum=0.9 for SGD).
    optimizer: str = "adam"
    learning_rate: float = Field(0.01, gt=0)
    optimizer_options: dict[str, float | int | bool] = Field(default_factory=dict)

    # Full-batch epochs: one epoch is one optimizer step on all n_samples points.
    epochs: int = Field(20000, gt=0)

    # About this many prediction snapshots become frames of the GIF: enough to look smooth,
    # few enough to keep the GIF small and fast to write.
    frames: int = Field(200, ge=2, le=5000)
    # Points of the dense x grid the prediction is drawn on.
    grid_points: int = Field(200, ge=2, le=10_000)

    render: RenderConfig = Field(default_factory=RenderConfig)

    @field_validator("hidden_layers")
    @classmethod
    def _positive_widths(cls, widths: list[int]) -> list[int]:
        if any(width <= 0 for width in widths):
            raise ValueError("every layer width must be a whole number greater than 0")
        return widths

    @field_validator("activation")
    @classmethod
    def _known_activation(cls, name: str) -> str:
        return _known_name(name, ACTIVATIONS, "activation")

    @field_validator("optimizer")
    @classmethod
    def _known_optimizer(cls, name: str) -> str:
        return _known_name(name, OPTIMIZERS, "optimizer")

    @model_validator(mode="after")
    def _x_range_not_empty(self) -> "ExperimentConfig":
        if not self.x_min < self.x_max:
            raise ValueError(f"x_min ({self.x_min}) must be less than x_max ({self.x_max})")
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

    @property
    def noise_floor(self) -> float:
        """The mean squared error of the true sine on fresh noisy data: sigma squared."""
        return self.noise_std**2


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
        value = yaml.safe_load(raw_value) if raw_value.strip() else ""
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
        raw = yaml.safe_load(path.read_text())
    except yaml.YAMLError as error:
        where = getattr(error, "problem_mark", None)
        line = f" (line {where.line + 1})" if where is not None else ""
        raise ConfigError(f"{path}: is not valid YAML{line}; check indentation and colons") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: is not a text file; give a YAML config") from None
    if raw is None:
        raise ConfigError(f"{path}: is empty; set at least one key, for example 'epochs: 2000'")
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: the top level must be a mapping of keys to values, not a {type(raw).__name__}")
    return raw


def load_config(path: str | Path, overrides: list[str] | None = None) -> ExperimentConfig:
    """Load a YAML experiment file, apply --set overrides, validate, and fill in the name."""
    path = Path(path)
    raw = apply_overrides(read_yaml_mapping(path), overrides or [])
    config = validate(raw, source=str(path))
    if config.name is None:
        config = config.model_copy(update={"name": path.stem})
    return config


def validate(raw: dict[str, Any], source: str = "config") -> ExperimentConfig:
    """Validate a mapping against the schema, turning pydantic's report into plain lines."""
    try:
        return ExperimentConfig.model_validate(raw)
    except ValidationError as error:
        raise ConfigError(error_lines(error, source)) from None


def error_lines(error: ValidationError, source: str) -> str:
    """Pydantic's report as plain lines, one per mistake, each starting with the file's name."""
    lines = []
    for item in error.errors():
        line = f"{source}: {_describe(item)}"
        if line not in lines:  # a value that fits no member of a union is reported once
            lines.append(line)
    return "\n".join(lines)


# Pydantic names the member of a union in the error location ('optimizer_options.beta.float');
# the user only needs to know which key is wrong.
_UNION_MEMBERS = {"float": "a number or true/false", "int": "a number or true/false", "bool": "a number or true/false"}


def _describe(item: dict[str, Any]) -> str:
    """One plain sentence for one pydantic error item."""
    location = [str(part) for part in item["loc"]]
    message = item["msg"].removeprefix("Value error, ")
    if len(location) > 2 and location[0] == "optimizer_options" and location[-1] in _UNION_MEMBERS:
        message = f"expected {_UNION_MEMBERS[location.pop()]}"
    key = ".".join(part if _PLAIN_KEY.fullmatch(part) else repr(part) for part in location) or "(top level)"
    if item["type"] == "extra_forbidden":
        return f"unknown key {key!r}{_suggestion(location)}"
    value = item.get("input")
    shown = "" if isinstance(value, dict) else f", got {value!r}"
    return f"{key}: {message}{shown}"


_PLAIN_KEY = re.compile(r"[A-Za-z0-9_-]+")


def _suggestion(location: list[str]) -> str:
    section: type[BaseModel] = ExperimentConfig
    for part in location[:-1]:
        field = section.model_fields.get(part)
        annotation = field.annotation if field else None
        if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
            return ""
        section = annotation
    close = difflib.get_close_matches(location[-1], list(section.model_fields), n=1)
    prefix = ".".join(location[:-1] + [""])
    return f" (did you mean {prefix + close[0]!r}?)" if close else f"; valid keys: {', '.join(section.model_fields)}"


def to_plain_dict(config: ExperimentConfig) -> dict[str, Any]:
    """The resolved config as plain YAML-ready data, written to each run's config.yaml."""
    return config.model_dump(mode="json")
