"""The experiment schema: every key of an experiment file, its default (and why), its limits,
and the rules between keys; with what a config says in a few words and as config.yaml.

Everything here runs without TensorFlow, so a mistake in a config is reported in a fraction of a
second, before any training starts. Loading a file and reporting its mistakes is config.py's.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator, BeforeValidator, Field, ValidationInfo, field_validator, model_validator,
)

import data_settings
import playground
import quantities
import targets
from data_settings import (  # noqa: F401  (re-exported: the data keys are named here too)
    FILE_DATA_KEYS, GENERATED_DATA_KEYS, MAX_PLANE_GRID, PLANE_DATA_KEYS, PLANE_DEFAULTS, PLANE_SHARED_KEYS, TASKS,
)
from learning_rate_schedules import EXAMPLE as SCHEDULE_EXAMPLE
from learning_rate_schedules import checked_schedule, initial_rate, learning_rate_text  # noqa: F401  (re-exported)
from optimizer_options import OPTIMIZERS, checked_options
# The building blocks and the sections that are not training settings (re-exported: config.X).
from config_sections import (  # noqa: F401
    VIDEO_FORMATS, EarlyStopping, RecordConfig, RenderConfig, StrictModel, WholeNumber, _known_name, _whole_number)

# The Keras activations and optimizers a config may name. They are listed here, not asked of
# Keras, so that a config can be checked without importing TensorFlow;
# tests/test_models.py checks that Keras really has each of them.
ACTIVATIONS = (
    "sigmoid", "tanh", "relu", "elu", "selu", "gelu", "silu", "swish", "softplus",
    "softsign", "leaky_relu", "relu6", "mish", "hard_sigmoid", "linear",
    # Not Keras's: models.py adds it (Playground's and SIREN's periodic units).
    "sin",
)

# The Keras kernel initializers a config may name: the random ones that take a seed, so that a
# net's start is fixed by its seed as with the default (tests/test_models.py checks Keras has them).
INITIALIZERS = (
    "glorot_uniform", "glorot_normal", "he_uniform", "he_normal", "lecun_uniform", "lecun_normal",
    "random_normal", "random_uniform", "truncated_normal", "orthogonal", "variance_scaling",
)


def _number_as_expression(value: Any) -> Any:
    # target: 3 is read by YAML as a number; as a target it is the expression "3", a constant.
    if type(value) in (int, float):
        return repr(value)
    return value


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


# A stack of nets is trained in this many parts (each its own compiled loop on a thread of its
# own), whatever the machine: how XLA vectorizes a part moves the last digits of its nets' numbers
# with the part's size, so a split that followed the cores would give a run other numbers on
# another machine, or as a Ray task given other CPUs. Two keeps both cores of a laptop busy; a
# bigger machine trains several cells at once (study.py --ray asks Ray for STACK_PARTS CPUs a cell).
STACK_PARTS = 2


def stack_parts(nets: int) -> int:
    """Into how many parts a stack of `nets` nets is trained (and summary.json says so: a study
    reuses a cell only if it was split as it would be now): STACK_PARTS, or one a net if fewer."""
    return max(1, min(nets, STACK_PARTS))


MAX_SEEDS = 10_000
MAX_SEED = 2**32 - 1
MAX_EPOCHS = 10_000_000
# Epochs times seeds: 8 bytes each for the two float32 loss histories, 1.6 GB at this limit.
MAX_NET_EPOCHS = 200_000_000
# Training points, generated or read from a file: full-batch training on more is not what this
# tool is for, and a file's residuals.png interpolates every frame at every point.
MAX_POINTS = 100_000


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
    # A file of three columns is x1, x2 and a target: points of two inputs (points_file.py).
    data_file: str | None = None
    # The columns to use when the file has more: two (x, y), or three (x1, x2, the target) for two
    # inputs; header names, or numbers counted from 1. A file of exactly three gets [1, 2, 3].
    data_columns: list[str | WholeNumber] | None = Field(None, min_length=2, max_length=3)
    # The share of the file's points held out to measure the error on, chosen by the data seed.
    validation_fraction: float = Field(0.2, gt=0, le=0.9)
    # Train on the points shifted and scaled to mean 0 and spread 1, shown in the file's units:
    # sigmoid units see x of order 1 whatever the file's units are (data.Standardization).
    standardize: bool = True
    # The SHA-256 of the file's contents, which a run's config.yaml records: training it again on
    # a file that has changed since is refused, rather than silently giving other numbers.
    data_sha256: str | None = Field(None, pattern=r"^[0-9a-f]{64}$")

    # Or one of TensorFlow Playground's problems of two inputs, x1 and x2 (playground.py): circle,
    # xor, gaussians, spiral (classification) or plane, gaussian_mix (regression); or an expression
    # in x1 and x2 such as "sin(x1) * cos(x2)", on [-6, 6]² (a regression unless task says). Its noise is
    # Playground's level from 0 to 0.5 for a classification set, the σ of the target's noise for
    # a regression surface; n_samples training points and as many held out, from streams of their own.
    problem: str | None = None
    noise: float | None = Field(None, ge=0)
    # The inputs the net is given, as Playground's toggles: x1, x2, x1^2, x2^2, x1*x2, sin(x1), sin(x2).
    features: list[str] | None = None
    # How a classification net is trained: cross_entropy, a sigmoid output and binary cross-entropy
    # on labels 0 and 1 (Keras's way); or squared_error, Playground's own: a tanh output and
    # squared error on labels -1 and +1.
    classification_loss: Literal["cross_entropy", "squared_error"] = "cross_entropy"
    # What the net learns: a number (regression) or one of two classes (classification). Unset, it
    # is a built-in problem's own, a class for a file's target column of words, else a regression;
    # set, classification makes an expression's class 1 where it is above 0, and a file's numeric
    # target column of two values a class (the larger class 1). Always a regression for one input.
    task: Literal[TASKS] | None = Field(None, validate_default=True)

    # The net: hidden layer widths, then a linear output. Sigmoid units are what make a 1x60 net
    # with SGD get stuck as in the post; with tanh it escapes (see the measurements note).
    hidden_layers: list[WholeNumber] = Field(default_factory=lambda: [10, 10], min_length=1)
    # One name for every hidden layer, or a list of one per hidden layer ([relu, tanh]).
    activation: str | list[str] = "sigmoid"
    # Keras's default for Dense, seeded per layer from `seed`: the post's nets started so.
    kernel_initializer: str = "glorot_uniform"

    # The optimizer, by its Keras name, and any further keyword arguments it takes
    # (for example optimizer_options.momentum=0.9 for SGD).
    optimizer: str = "adam"
    # A number, or a Keras schedule by its class name in snake case with Keras's own argument
    # names, counted in optimizer steps: {schedule: cosine_decay, initial_learning_rate: 0.1,
    # decay_steps: 20000} (learning_rate_schedules.py).
    learning_rate: float | dict[str, Any] = 0.01
    optimizer_options: dict[str, float | int | bool] = Field(default_factory=dict)
    # Keras's decoupled weight decay, on the kernels only (models.build_optimizer excludes the
    # biases). None is the optimizer's own default: none, except adamw's 0.004.
    weight_decay: float | None = Field(None, ge=0)
    # Penalties added to the training objective, as keras.regularizers.L1L2 computes them on every
    # kernel (not the biases): l1 * sum |W| + l2 * sum W^2. The data error (MSE) is still what is
    # compared with the noise floor.
    l1: float = Field(0.0, ge=0)
    l2: float = Field(0.0, ge=0)

    # Training points per optimizer step; None: all of them, full batch, the post's setting.
    batch_size: WholeNumber | None = Field(None, ge=1)

    # Epochs: passes over the training points (at full batch, one optimizer step on all of them).
    # Every epoch's two losses are kept, 8 bytes an epoch and net, hence the limits (80 MB for one net).
    epochs: WholeNumber = Field(20000, gt=0, le=MAX_EPOCHS)
    # Stop each net when its held-out error stops improving; None: train every epoch.
    early_stopping: EarlyStopping | None = None

    # About this many prediction snapshots become frames of the GIF: enough to look smooth,
    # few enough to keep the GIF small and fast to write.
    frames: WholeNumber = Field(200, ge=2, le=5000)
    # Points of the dense x grid the prediction and the true curve are drawn on: at least 20,
    # so that a curve on it still looks like one. For a problem of two inputs, the points of each
    # side of the map of the plane (64 unless given; at most MAX_PLANE_GRID).
    grid_points: WholeNumber = Field(200, ge=8, le=10_000)

    render: RenderConfig = Field(default_factory=RenderConfig)
    record: RecordConfig = Field(default_factory=RecordConfig)

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

    @field_validator("activation", mode="plain")
    @classmethod
    def _known_activation(cls, given: Any) -> str | list[str]:
        if isinstance(given, str):
            return _known_name(given, ACTIVATIONS, "activation")
        if isinstance(given, list) and given and all(isinstance(name, str) for name in given):
            return [_known_name(name, ACTIVATIONS, "activation") for name in given]
        raise ValueError("must be an activation name or a list of them, one per hidden layer")

    @field_validator("kernel_initializer")
    @classmethod
    def _known_initializer(cls, name: str) -> str:
        return _known_name(name, INITIALIZERS, "kernel_initializer")

    @field_validator("learning_rate", mode="plain")
    @classmethod
    def _rate_or_schedule(cls, given: Any) -> float | dict[str, Any]:
        if isinstance(given, dict):
            return checked_schedule(given)
        if not isinstance(given, (int, float)) or isinstance(given, bool):
            raise ValueError(f"must be a number greater than 0 or a schedule such as {SCHEDULE_EXAMPLE}")
        # Worded as pydantic words a number's limits, as for every other number.
        if not math.isfinite(given):
            raise ValueError("Input should be a finite number")
        if given <= 0:
            raise ValueError("Input should be greater than 0")
        return float(given)

    @model_validator(mode="before")
    @classmethod
    def _plane_defaults(cls, given: Any) -> Any:
        return data_settings.with_plane_defaults(given)

    @field_validator("problem")
    @classmethod
    def _known_problem(cls, problem: str | None) -> str | None:
        return data_settings.known_problem(problem)

    @field_validator("task")
    @classmethod
    def _task_of_the_points(cls, task: str | None, info: ValidationInfo) -> str | None:
        return data_settings.resolved_task(task, info.data)

    @field_validator("features", mode="plain")
    @classmethod
    def _known_features(cls, given: Any) -> list[str] | None:
        if given is None:
            return None
        names = [given] if isinstance(given, str) else given
        if isinstance(names, list) and not names:
            raise ValueError("names no feature; give at least one, such as [x1, x2]")
        if not isinstance(names, list) or not all(isinstance(name, str) for name in names):
            raise ValueError("must be a list of input features, such as [x1, x2, x1^2]")
        chosen = [_known_name(name.replace(" ", ""), tuple(playground.FEATURES), "feature") for name in names]
        if len(set(chosen)) != len(chosen):
            raise ValueError(f"names a feature twice ({', '.join(chosen)}); give each once")
        return chosen

    @model_validator(mode="after")
    def _plane_or_line(self) -> "ExperimentConfig":
        data_settings.check_plane_or_line(self)
        if self.render.show_held_out and not self.is_plane:  # a line's pictures draw no held-out points
            raise ValueError("render.show_held_out applies to a run of two inputs (a problem, or a CSV of x1, x2 and "
                             "a target); remove it")
        return self

    @model_validator(mode="after")
    def _one_activation_per_layer(self) -> "ExperimentConfig":
        if isinstance(self.activation, list) and len(self.activation) != len(self.hidden_layers):
            names, layers = len(self.activation), len(self.hidden_layers)
            raise ValueError(f"activation lists {names} name{'s' if names != 1 else ''} but hidden_layers has {layers} "
                             f"layer{'s' if layers != 1 else ''}; give one name per hidden layer, or one name for all")
        return self

    @model_validator(mode="after")
    def _batch_within_the_points(self) -> "ExperimentConfig":
        # A file's points are counted when it is read (data.py calls check_batch_size then).
        if self.batch_size is not None and self.data_file is None:
            check_batch_size(self.batch_size, self.n_samples)
        return self

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
    def _different_columns(cls, columns: list | None) -> list | None:
        if columns is not None and len(set(columns)) != len(columns):
            raise ValueError("names one column twice; give the x column, then a different y column (or x1, x2 and "
                             "the target, three different columns)")
        return columns

    @model_validator(mode="after")
    def _data_from_one_source(self) -> "ExperimentConfig":
        data_settings.check_one_source(self)
        return self

    @model_validator(mode="after")
    def _x_range_and_target_of_a_line(self) -> "ExperimentConfig":
        data_settings.check_line(self)
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
    def minibatch_size(self) -> int | None:
        """batch_size where it makes minibatches; None for full batch, also where batch_size is all
        the generated points (the same training: its runs are named and titled as full batch)."""
        if self.batch_size is not None and self.data_file is None and self.batch_size >= self.n_samples:
            return None
        return self.batch_size

    @property
    def parameters(self) -> int:
        """The net's weights and biases (its inputs, one output)."""
        return quantities.parameter_count(self.hidden_layers, self.inputs)

    @property
    def is_plane(self) -> bool:
        """Whether the points lie on a plane of two inputs (a problem, or a file's three columns),
        not along a line."""
        return data_settings.is_plane(self.problem, self.data_file, self.data_columns)

    @property
    def input_features(self) -> list[str]:
        """The features a net of two inputs is given (x1, x2 unless chosen); ["x"] for one input."""
        if not self.is_plane:
            return ["x"]
        return list(self.features) if self.features is not None else list(playground.DEFAULT_FEATURES)

    @property
    def inputs(self) -> int:
        return len(self.input_features)

    @property
    def classifies(self) -> bool:
        return self.task == "classification"

    @property
    def curvature_recorded(self) -> str:
        """record.curvature, or where it is unset, what it means: net0 for nets of at most
        1,000 weights and biases, else none."""
        if self.is_plane:  # the Hessians (hessians.py) are worked out for one input and squared error
            return "none"
        if self.record.curvature is not None:
            return self.record.curvature
        return "net0" if self.parameters <= 1000 else "none"

    @property
    def pictures_drawn(self) -> str:
        """render.pictures, or where it is unset, all."""
        return self.render.pictures or "all"

    @property
    def member_seeds(self) -> list[int]:
        """The weight seed of each net trained: seed, seed+1, ..., one per member."""
        return [self.seed + member for member in range(self.seeds)]

    @property
    def data_seed_used(self) -> int:
        return self.seed if self.data_seed is None else self.data_seed

    @property
    def activations(self) -> list[str]:
        """The activation of each hidden layer, in order."""
        if isinstance(self.activation, list):
            return list(self.activation)
        return [self.activation] * len(self.hidden_layers)


def check_batch_size(batch_size: int | None, training_points: int) -> None:
    """ValueError if batch_size asks for more points than there are to train on."""
    if batch_size is not None and batch_size > training_points:
        raise ValueError(f"batch_size {batch_size} is more than the {training_points} training points; give at most "
                         f"{training_points}, or leave batch_size out to train on all of them at once")


def initial_learning_rate(config: ExperimentConfig) -> float:
    """The learning rate of the first step: the number, or the schedule's initial rate."""
    return initial_rate(config.learning_rate)


def absolute_data_file(config: ExperimentConfig) -> str:
    """A config's data_file as an absolute path: where the run's points came from, from anywhere."""
    return str(Path(config.data_file).expanduser().resolve())


def to_plain_dict(config: ExperimentConfig) -> dict[str, Any]:
    """The resolved config as plain YAML-ready data, written to each run's config.yaml: only the
    data keys of its source of points (a data_file made absolute, so the run can be trained
    again from anywhere)."""
    plain = config.model_dump(mode="json", exclude=data_settings.unused_keys(config))
    if config.is_plane:
        plain["features"] = config.input_features
    if config.data_file is not None:
        plain["data_file"] = absolute_data_file(config)
        for key in ("data_columns", "data_sha256"):
            if plain[key] is None:
                del plain[key]
    return plain
