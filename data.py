"""The points the nets learn: training points, held-out points, a grid for drawing, and what
is known of the truth behind them (the true curve on the grid, the noise floor).

Either generated (the post's noisy sine unless a config names another target), or read from the
user's CSV file (data_file), of which a seeded share is held out; nothing of the truth is known
then. Nets train on a CSV's points standardized (Standardization) and are shown in its units.

Pure NumPy: nothing here needs TensorFlow.
"""

from __future__ import annotations

import csv
import hashlib
import math
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np

import playground
import targets
from config import MAX_POINTS, ConfigError, check_batch_size


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
    standardization: "Standardization | None" = None
    file_sha256: str | None = None
    axis_names: tuple[str, str] | None = None  # what x and y are, from a CSV's header
    # For points on a plane of two inputs (a problem), where they lie: the x arrays above hold the
    # features the net is given at these positions.
    plane: "PlanePositions | None" = None


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
                       signed_labels: bool = False) -> Dataset:
    """A problem of two inputs (playground.py): training and held-out points drawn the same way from
    two independent streams of one seed, the net's input features at each, and a map's grid of
    side x side points. Classes are 0 and 1, or -1 and +1 with signed_labels (a tanh output's).
    What is known of the truth: a regression surface's noise-free values on the grid and its
    noise floor; a classification set has no squared-error floor (its Bayes error rate, where it
    has one, is playground.bayes_error's)."""
    train_stream, validation_stream = np.random.SeedSequence(seed).spawn(2)
    sets = [playground.problem_points(problem, n_samples, noise, np.random.default_rng(stream), held_out=held_out)
            for stream, held_out in ((train_stream, False), (validation_stream, True))]
    classifies = playground.task_of(problem) == "classification"

    def targets_of(values):
        return _column(2 * values - 1 if classifies and signed_labels else values)

    grid = playground.plane_grid(side)
    (train, y_train), (validation, y_validation) = sets
    positions = PlanePositions(train.astype(np.float32), validation.astype(np.float32), grid.astype(np.float32), side)
    truth = {} if classifies else {"y_grid_true": playground.surface(problem, grid).astype(np.float32),
                                   "noise_floor": float(noise) ** 2}
    return Dataset(playground.features_of(train, features), targets_of(y_train),
                   playground.features_of(validation, features), targets_of(y_validation),
                   playground.features_of(grid, features), plane=positions, **truth)


def dataset_for(config) -> Dataset:
    """The dataset an ExperimentConfig describes; a ConfigError names what is wrong in its data_file."""
    if config.is_plane:
        return make_plane_dataset(config.problem, config.n_samples, config.noise, config.data_seed_used,
                                  config.grid_points, config.input_features,
                                  signed_labels=config.classification_loss == "squared_error")
    if config.data_file is not None:
        path = Path(config.data_file).expanduser()
        x, y, names = read_points(path, config.data_columns)
        dataset = dataset_from_points(x, y, config.validation_fraction, config.data_seed_used, config.grid_points,
                                      config.standardize)
        digest = file_digest(path)
        if config.data_sha256 is not None and digest != config.data_sha256:
            raise ConfigError(f"{path}: its contents have changed since the run was made (its SHA-256 is not the "
                              "config's data_sha256); put the original back, or remove data_sha256 to train on it "
                              "as it is now")
        try:  # only now is it known how many points there are to train on
            check_batch_size(config.batch_size, len(dataset.x_train))
        except ValueError as error:
            raise ConfigError(f"{error} (read from {path.name}, held-out share {config.validation_fraction:g})") from None
        return dataset._replace(file_sha256=digest, axis_names=names)
    return make_dataset(
        config.n_samples, config.x_min, config.x_max, config.noise_std, config.data_seed_used, config.grid_points,
        config.target,
    )


# --- the user's own points -------------------------------------------------------------------------

MIN_POINTS = 10
# The largest |value| a file may hold: its squared errors must stay finite however they are drawn.
MAX_VALUE = 1e20
# The separators a file may use: commas, or, as spreadsheets in many countries export, semicolons or tabs.
DELIMITERS = ",;\t"


def read_points(path: Path, columns: list[str | int] | None = None) -> tuple[np.ndarray, np.ndarray, tuple | None]:
    """x and y (float64) from a file of two numeric columns separated by commas (or semicolons, or
    tabs), or of the two `columns` named (by their header, or by number from 1) among more; and
    the two columns' names, from the header (None without one).

    A first line with no number in it is a header. Blank lines and lines starting with # are
    skipped, and so is a last column that is empty in the first line (a trailing separator).
    Every other line must hold a finite number in each column used. A ConfigError names the
    file, the line and what is wrong.
    """
    lines = _data_lines(path)
    header = None
    if lines and not any(_is_number(cell) for cell in lines[0][1]):  # "1.5,abc" is data with a bad value
        header = [cell.strip() for cell in lines[0][1]]
        lines = lines[1:]
    if not lines:
        raise ConfigError(f"{path}: holds no data{' below its header' if header else ''}; "
                          "expected lines of x,y numbers")
    width = _width(header if header is not None else lines[0][1])
    x_column, y_column = _chosen_columns(path, header, width, columns)
    x, y = [], []
    for number, cells in lines:
        if _width(cells) != width and len(cells) != width:
            raise ConfigError(f"{path}, line {number}: has {len(cells)} value{'s' if len(cells) != 1 else ''}, but the "
                              f"{'header' if header else 'first line'} has {width}; every line needs the same columns")
        x.append(_finite_number(path, number, cells[x_column], _column_name(header, x_column, "x")))
        y.append(_finite_number(path, number, cells[y_column], _column_name(header, y_column, "y")))
        if len(x) > MAX_POINTS:
            raise ConfigError(f"{path}: holds more than {MAX_POINTS:,} points; full-batch training on this many "
                              "is not what this tool is for: take a sample of them")
    if len(x) < MIN_POINTS:
        raise ConfigError(f"{path}: holds {len(x)} point{'s' if len(x) != 1 else ''}; at least {MIN_POINTS} are "
                          "needed, some of them held out")
    x, y = np.asarray(x), np.asarray(y)
    if np.ptp(x) == 0:
        raise ConfigError(f"{path}: every x is {x[0]:g}; a curve needs points at different x")
    return x, y, None if header is None else (header[x_column], header[y_column])


def _width(cells: list[str]) -> int:
    """How many columns a line has, not counting empty ones after the last value (a trailing separator)."""
    width = len(cells)
    while width > 1 and not cells[width - 1].strip():
        width -= 1
    return width


def _data_lines(path: Path) -> list[tuple[int, list[str]]]:
    """(line number, cells) of each line that is not blank or a comment."""
    if not path.exists():
        where = "" if path.is_absolute() else f" (looked for in {Path.cwd()})"
        raise ConfigError(f"{path}: no such file{where}; data_file must name a CSV file of x,y points")
    if path.is_dir():
        raise ConfigError(f"{path}: is a folder; data_file must name a CSV file of x,y points")
    if not path.is_file():
        raise ConfigError(f"{path}: is not a regular file (a pipe or a device); data_file must name a CSV file")
    try:
        with path.open(newline="", encoding="utf-8-sig") as file:  # -sig: a spreadsheet's byte-order mark
            rows = []
            for number, cells in enumerate(csv.reader(file, delimiter=_delimiter(path)), start=1):
                if cells and any(cell.strip() for cell in cells) and not cells[0].lstrip().startswith("#"):
                    rows.append((number, cells))
                if len(rows) > MAX_POINTS + 1:  # stop reading a huge file early (+1: a header)
                    break
            return rows
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: is not a UTF-8 text file; save it as CSV (comma-separated, UTF-8)") from None
    except csv.Error as error:
        raise ConfigError(f"{path}: cannot be read as CSV ({error})") from None
    except OSError as error:
        raise ConfigError(f"{path}: cannot be read ({error.strerror or error})") from None


def _delimiter(path: Path) -> str:
    """The file's separator, as Python's csv.Sniffer makes it out from its first lines that are
    not comments; a comma when it cannot tell (a file of one column, say)."""
    with path.open(newline="", encoding="utf-8-sig") as file:
        sample = "".join(line for _, line in zip(range(50), file) if not line.lstrip().startswith("#"))
    try:
        return csv.Sniffer().sniff(sample, delimiters=DELIMITERS).delimiter
    except csv.Error:
        return ","


def _chosen_columns(path: Path, header: list[str] | None, width: int, columns) -> tuple[int, int]:
    """The positions of the x and y columns."""
    if columns is None:
        if width == 2:
            return 0, 1
        named = f" ({', '.join(header)})" if header else ""
        raise ConfigError(f"{path}: has {width} column{'s' if width != 1 else ''}{named}; "
                          + ("expected x,y separated by commas (or semicolons, or tabs)" if width < 2 else
                             "say which two to use with data_columns: [x, y], by header name or by number from 1"))
    positions = []
    for column in columns:
        if isinstance(column, int):
            if not 1 <= column <= width:
                raise ConfigError(f"{path}: data_columns: there is no column {column}; the file has {width}, "
                                  "numbered from 1")
            positions.append(column - 1)
        elif header is None or column not in header:
            where = f"its header has {', '.join(header)}" if header else "it has no header line; number the columns from 1"
            raise ConfigError(f"{path}: data_columns: no column is named {column!r}; {where}")
        else:
            positions.append(header.index(column))
    return positions[0], positions[1]


def _column_name(header: list[str] | None, position: int, role: str) -> str:
    return f"{role} ({header[position]!r})" if header else role


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _finite_number(path: Path, line: int, text: str, column: str) -> float:
    if not text.strip():
        raise ConfigError(f"{path}, line {line}: the {column} value is missing; every point needs a number in each column")
    try:
        value = float(text)
    except ValueError:
        hint = "; write decimals with a point (1.5, not 1,5)" if _is_number(text.replace(",", ".", 1)) else ""
        raise ConfigError(f"{path}, line {line}: the {column} value {text.strip()!r} is not a number{hint}") from None
    if not math.isfinite(value):
        raise ConfigError(f"{path}, line {line}: the {column} value is {text.strip()}; every value must be a finite number")
    if abs(value) > MAX_VALUE:
        raise ConfigError(f"{path}, line {line}: the {column} value {text.strip()} is beyond ±{MAX_VALUE:g}; rescale "
                          "the column")
    return value


def file_digest(path: Path) -> str:
    """The SHA-256 of a file's bytes: which data a run was trained on, wherever the file is now."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


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
    held_out = max(1, round(validation_fraction * len(x)))
    is_held_out = np.zeros(len(x), dtype=bool)
    is_held_out[np.random.default_rng(seed).permutation(len(x))[:held_out]] = True
    dtype = np.float64 if standardize else np.float32
    dataset = Dataset(_column(x[~is_held_out], dtype), _column(y[~is_held_out], dtype), _column(x[is_held_out], dtype),
                      _column(y[is_held_out], dtype), _column(np.linspace(x.min(), x.max(), grid_points), dtype))
    if not standardize:
        return dataset
    return dataset._replace(standardization=Standardization.of(x[~is_held_out], y[~is_held_out]))


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
        def scale(values): return float(np.std(values)) or 1.0  # constant values: shifted only
        return cls(float(np.mean(x)), scale(x), float(np.mean(y)), scale(y))

    def training_dataset(self, dataset: Dataset) -> Dataset:
        """The dataset in the units the nets train in (float32, worked out from the float64 points)."""
        def x_in(values): return _column((values.astype(np.float64) - self.x_shift) / self.x_scale)
        def y_in(values): return _column((values.astype(np.float64) - self.y_shift) / self.y_scale)
        return dataset._replace(x_train=x_in(dataset.x_train), y_train=y_in(dataset.y_train),
                                x_validation=x_in(dataset.x_validation), y_validation=y_in(dataset.y_validation),
                                x_grid=x_in(dataset.x_grid), standardization=None)


def _column(values: np.ndarray, dtype=np.float32) -> np.ndarray:
    # Keras wants (samples, features); float32 is what the nets compute in.
    return np.asarray(values, dtype=dtype).reshape(-1, 1)
