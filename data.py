"""The points the nets learn: training points, held-out points, a grid for drawing, and what
is known of the truth behind them (the true curve on the grid, the noise floor).

Either generated (the post's noisy sine unless a config names another target; or a problem of two
inputs, playground.py), or read from the user's CSV file (data_file, points_file.py: x and y, or
x1, x2 and a target), of which a seeded share is held out; nothing of the truth is known then.
Nets train on a CSV's points standardized (Standardization, PlaneStandardization) and are shown
in its units.

Pure NumPy: nothing here needs TensorFlow.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np

import playground
import targets
from config import ConfigError, check_batch_size
from points_file import file_digest, read_plane_points, read_points


class Dataset(NamedTuple):
    x_train: np.ndarray  # (n_samples, 1) float32
    y_train: np.ndarray  # (n_samples, 1) float32
    x_validation: np.ndarray
    y_validation: np.ndarray
    x_grid: np.ndarray  # (grid_points, 1) float32, for drawing the prediction
    # What is known of the truth: the noise-free curve on the grid, its formula, and the noise
    # floor (the error the true curve itself makes on fresh noisy data); None where unknown.
    y_grid_true: np.ndarray | None = None
    true_function: str | None = None
    noise_floor: float | None = None
    # For a CSV's points: the shift and scale the nets train in (None: they train on the points as
    # they are), and the SHA-256 of the file's bytes, which says which data a run saw.
    standardization: "Standardization | PlaneStandardization | None" = None
    file_sha256: str | None = None
    # What x and y are, from a CSV's header; for a CSV of two inputs, what x1, x2 and the target are.
    axis_names: tuple[str, ...] | None = None
    # For points on a plane of two inputs (a problem, or a CSV of x1, x2 and a target), where they
    # lie, in the data's units: the x arrays above hold the features the net is given there.
    plane: "PlanePositions | None" = None
    # A CSV's class column: the labels of class 0 and class 1 (points_file.read_plane_points).
    class_names: tuple[str, str] | None = None


class PlanePositions(NamedTuple):
    """Where the points of a problem of two inputs lie, (points, 2) each, float32: the training and
    held-out points and the map's grid, `side` points a side (playground.plane_grid)."""

    train: np.ndarray
    validation: np.ndarray
    grid: np.ndarray
    side: int


TRAINING_ARRAYS = ("x_train", "y_train", "x_validation", "y_validation", "x_grid")


def noisy_points(
    function, n_samples: int, x_min: float, x_max: float, noise_std: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """n_samples evenly spaced x on [x_min, x_max] and y = function(x) + N(0, noise_std^2)."""
    x = np.linspace(x_min, x_max, n_samples)
    y = function(x) + rng.normal(0.0, noise_std, size=n_samples)
    return _column(x), _column(y)


def grid(x_min: float, x_max: float, num_points: int) -> np.ndarray:
    """A dense evenly spaced grid on [x_min, x_max], shaped (num_points, 1)."""
    return _column(np.linspace(x_min, x_max, num_points))


def make_dataset(
    n_samples: int, x_min: float, x_max: float, noise_std: float, seed: int, grid_points: int = 200,
    target: str = "sine",
) -> Dataset:
    """Training and held-out sets drawn the same way from two independent noise streams, around
    the target: a built-in name or an expression in x (targets.py)."""
    function = targets.compile_target(target)
    # Spawning two child streams from one seed keeps the held-out noise independent of the
    # training noise while both stay reproducible from the single seed in the config.
    train_stream, validation_stream = np.random.SeedSequence(seed).spawn(2)
    x_train, y_train = noisy_points(function, n_samples, x_min, x_max, noise_std, np.random.default_rng(train_stream))
    x_validation, y_validation = noisy_points(
        function, n_samples, x_min, x_max, noise_std, np.random.default_rng(validation_stream)
    )
    x_grid = grid(x_min, x_max, grid_points)
    # At the grid's exact x, as the points are made (not its float32 rounding, which puts the last
    # point of [0, 2π] a hair past 2π, where a square wave has already jumped).
    y_grid_true = function(np.linspace(x_min, x_max, grid_points)).astype(np.float32)
    return Dataset(x_train, y_train, x_validation, y_validation, x_grid, y_grid_true=y_grid_true,
                   true_function=targets.expression_of(target), noise_floor=float(noise_std) ** 2)


def make_plane_dataset(problem: str, n_samples: int, noise: float, seed: int, side: int,
                       features: list[str] | tuple[str, ...] = playground.DEFAULT_FEATURES,
                       signed_labels: bool = False, task: str | None = None) -> Dataset:
    """A problem of two inputs (playground.py; an expression in x1 and x2 of the task given):
    training and held-out points drawn the same way from two independent streams of one seed,
    the net's input features at each, and a map's grid of side x side points. Classes are 0 and
    1, or -1 and +1 with signed_labels (a tanh output's). What is known of the truth: a
    regression surface's noise-free values on the grid and its noise floor; a classification
    set has no squared-error floor (its Bayes error rate, where it has one, is
    playground.bayes_error's)."""
    task = task or playground.task_of(problem)
    train_stream, validation_stream = np.random.SeedSequence(seed).spawn(2)
    sets = [playground.problem_points(problem, n_samples, noise, np.random.default_rng(stream), held_out, task)
            for stream, held_out in ((train_stream, False), (validation_stream, True))]
    classifies = task == "classification"
    grid = playground.plane_grid(side)
    (train, y_train), (validation, y_validation) = sets
    positions = PlanePositions(train.astype(np.float32), validation.astype(np.float32), grid.astype(np.float32), side)
    truth = {} if classifies else {"y_grid_true": playground.surface(problem, grid).astype(np.float32),
                                   "noise_floor": float(noise) ** 2}
    if problem not in playground.PROBLEMS:  # an expression: a surface's formula, or a boundary's (class 1 above 0)
        truth["true_function"] = f"{problem} > 0" if classifies else problem
    return Dataset(playground.features_of(train, features), _labels(y_train, classifies, signed_labels),
                   playground.features_of(validation, features), _labels(y_validation, classifies, signed_labels),
                   playground.features_of(grid, features), plane=positions, **truth)


def _labels(values: np.ndarray, classifies: bool, signed: bool, dtype=np.float32) -> np.ndarray:
    """Targets as the net trains on them: classes 0 and 1 made -1 and +1 for a tanh output (signed)."""
    return _column(2 * values - 1 if classifies and signed else values, dtype)


def dataset_for(config) -> Dataset:
    """The dataset an ExperimentConfig describes; a ConfigError names what is wrong in its data_file."""
    signed_labels = config.classification_loss == "squared_error"
    if config.is_plane and config.data_file is None:
        try:
            return make_plane_dataset(config.problem, config.n_samples, config.noise, config.data_seed_used,
                                      config.grid_points, config.input_features, signed_labels, config.task)
        except targets.TargetError as error:  # an expression not a number where a point fell, or of one class
            raise ConfigError(str(error)) from None
    if config.data_file is not None:
        path = Path(config.data_file).expanduser()
        if config.is_plane:
            points = read_plane_points(path, config.data_columns, config.task)
            dataset = dataset_from_plane_points(
                points.positions, points.values, config.validation_fraction, config.data_seed_used,
                config.grid_points, config.input_features, classifies=config.classifies, signed_labels=signed_labels,
                standardize=config.standardize)
            dataset = dataset._replace(axis_names=points.names, class_names=points.class_names)
        else:
            x, y, names = read_points(path, config.data_columns)
            dataset = dataset_from_points(x, y, config.validation_fraction, config.data_seed_used, config.grid_points,
                                          config.standardize)._replace(axis_names=names)
        digest = file_digest(path)
        if config.data_sha256 is not None and digest != config.data_sha256:
            raise ConfigError(f"{path}: its contents have changed since the run was made (its SHA-256 is not the "
                              "config's data_sha256); put the original back, or remove data_sha256 to train on it "
                              "as it is now")
        try:  # only now is it known how many points there are to train on
            check_batch_size(config.batch_size, len(dataset.x_train))
        except ValueError as error:
            raise ConfigError(f"{error} (read from {path.name}, held-out share {config.validation_fraction:g})") from None
        return dataset._replace(file_sha256=digest)
    return make_dataset(
        config.n_samples, config.x_min, config.x_max, config.noise_std, config.data_seed_used, config.grid_points,
        config.target,
    )


# --- the user's own points -------------------------------------------------------------------------

def dataset_from_points(
    x: np.ndarray, y: np.ndarray, validation_fraction: float, seed: int, grid_points: int = 200,
    standardize: bool = True,
) -> Dataset:
    """Training and held-out sets from given points: a seeded `validation_fraction` of them (at
    least one) held out. The points are sorted first, so the same points in any order of rows give
    the same run. The grid spans the points' x. Nothing is known of the truth.

    Standardized, the points are kept as the file has them (float64: timestamps in seconds, 60
    apart, would merge in float32) and made float32 only once standardized (Standardization).
    """
    order = np.lexsort((y, x))
    x, y = x[order], y[order]
    is_held_out = _held_out(len(x), validation_fraction, seed)
    dtype = np.float64 if standardize else np.float32
    dataset = Dataset(_column(x[~is_held_out], dtype), _column(y[~is_held_out], dtype), _column(x[is_held_out], dtype),
                      _column(y[is_held_out], dtype), _column(np.linspace(x.min(), x.max(), grid_points), dtype))
    if not standardize:
        return dataset
    return dataset._replace(standardization=Standardization.of(x[~is_held_out], y[~is_held_out]))


def _held_out(count: int, validation_fraction: float, seed: int) -> np.ndarray:
    """Which of `count` points are held out: a share chosen by the seed, at least one."""
    is_held_out = np.zeros(count, dtype=bool)
    is_held_out[np.random.default_rng(seed).permutation(count)[:max(1, round(validation_fraction * count))]] = True
    return is_held_out


# How far a CSV's map of the plane reaches beyond its points, as a share of their range in each
# input: enough that the points at the edges are not drawn on the map's border.
PLANE_MARGIN = 0.05


def dataset_from_plane_points(
    positions: np.ndarray, values: np.ndarray, validation_fraction: float, seed: int, side: int,
    features: list[str] | tuple[str, ...] = playground.DEFAULT_FEATURES, *, classifies: bool = False,
    signed_labels: bool = False, standardize: bool = True,
) -> Dataset:
    """Training and held-out sets from points of two inputs (positions (points, 2), values
    (points,): numbers, or classes 0 and 1) as dataset_from_points makes them from points of one:
    sorted first, a seeded share held out, nothing known of the truth. The map's grid, side x
    side points laid out as playground.plane_grid's, covers the points and PLANE_MARGIN more.

    Standardized (PlaneStandardization), the nets are given the features of the positions shifted
    and scaled per input; a numeric target is kept in float64 until it is standardized, a class
    stays as it is. The positions (Dataset.plane) stay in the file's units.
    """
    order = np.lexsort((values, positions[:, 1], positions[:, 0]))
    positions, values = positions[order], values[order]
    is_held_out = _held_out(len(values), validation_fraction, seed)
    low, high = positions.min(axis=0), positions.max(axis=0)
    margin = PLANE_MARGIN * (high - low)
    grid = playground.plane_grid(side, (low[0] - margin[0], high[0] + margin[0]),
                                 (low[1] - margin[1], high[1] + margin[1]))
    sets = (positions[~is_held_out], positions[is_held_out], grid)
    standardization = PlaneStandardization.of(sets[0], values[~is_held_out], classifies) if standardize else None

    def inputs(where): return where if standardization is None else standardization.inputs(where)
    def targets_of(chosen): return _labels(values[chosen], classifies, signed_labels,
                                           np.float32 if standardization is None or classifies else np.float64)
    x_train, x_validation, x_grid = (playground.features_of(inputs(where), features) for where in sets)
    plane = PlanePositions(*(where.astype(np.float32) for where in sets), side)
    return Dataset(x_train, targets_of(~is_held_out), x_validation, targets_of(is_held_out), x_grid, plane=plane,
                   standardization=standardization)


@dataclass(frozen=True)
class Standardization:
    """The shift and scale that map a CSV's points to mean 0 and standard deviation 1 (those of
    its training points), in which its nets train; a user's x in years or y in thousands would
    otherwise leave every sigmoid saturated and the output bias a long way to travel. Everything
    recorded is mapped back (Recording.in_data_units), so the pictures and errors are in the data's
    units: a training error there is exactly y_scale² times the one the net minimised."""

    x_shift: float
    x_scale: float
    y_shift: float
    y_scale: float

    @classmethod
    def of(cls, x: np.ndarray, y: np.ndarray) -> "Standardization":
        return cls(float(np.mean(x)), _spread(x), float(np.mean(y)), _spread(y))

    def training_dataset(self, dataset: Dataset) -> Dataset:
        """The dataset in the units the nets train in (float32, worked out from the float64 points)."""
        def x_in(values): return _column((values.astype(np.float64) - self.x_shift) / self.x_scale)
        def y_in(values): return _column((values.astype(np.float64) - self.y_shift) / self.y_scale)
        return dataset._replace(x_train=x_in(dataset.x_train), y_train=y_in(dataset.y_train),
                                x_validation=x_in(dataset.x_validation), y_validation=y_in(dataset.y_validation),
                                x_grid=x_in(dataset.x_grid), standardization=None)


@dataclass(frozen=True)
class PlaneStandardization:
    """Standardization for points of two inputs: each input's shift and scale to mean 0 and spread
    1 over the training points (x1's, then x2's), applied before the features are made of them
    (inputs); and a numeric target's, as y's. A class is not standardized (shift 0, scale 1).
    A Dataset that has one holds the features the nets take already: training_dataset maps its
    targets alone. Everything recorded is mapped back as Standardization's is."""

    x_shift: list[float]  # x1's, then x2's (lists, as summary.json holds them)
    x_scale: list[float]
    y_shift: float = 0.0
    y_scale: float = 1.0

    @classmethod
    def of(cls, positions: np.ndarray, values: np.ndarray, classifies: bool) -> "PlaneStandardization":
        shifts = [float(np.mean(column)) for column in positions.T]
        scales = [_spread(column) for column in positions.T]
        return cls(shifts, scales) if classifies else cls(shifts, scales, float(np.mean(values)), _spread(values))

    def inputs(self, positions: np.ndarray) -> np.ndarray:
        """Positions (points, 2) in the units the nets are given them in (float64)."""
        return (positions.astype(np.float64) - np.asarray(self.x_shift)) / np.asarray(self.x_scale)

    def training_dataset(self, dataset: Dataset) -> Dataset:
        """The dataset with its targets in the units the nets train in (float32)."""
        def y_in(values): return _column((values.astype(np.float64) - self.y_shift) / self.y_scale)
        return dataset._replace(y_train=y_in(dataset.y_train), y_validation=y_in(dataset.y_validation),
                                standardization=None)


def _spread(values: np.ndarray) -> float:
    """The standard deviation a standardization divides by: 1 for constant values (shifted only)."""
    return float(np.std(values)) or 1.0


def _column(values: np.ndarray, dtype=np.float32) -> np.ndarray:
    # Keras wants (samples, features); float32 is what the nets compute in.
    return np.asarray(values, dtype=dtype).reshape(-1, 1)
