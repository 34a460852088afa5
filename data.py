"""The noisy target the nets learn (the post's sine unless a config names another): training
points, held-out points, a grid for drawing, and what is known of the truth behind them (the true
curve on the grid, the noise floor).

Pure NumPy: nothing here needs TensorFlow.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

import targets


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
    y_grid_true = function(x_grid.reshape(-1).astype(np.float64)).astype(np.float32)
    return Dataset(x_train, y_train, x_validation, y_validation, x_grid, y_grid_true=y_grid_true,
                   true_function=targets.expression_of(target), noise_floor=float(noise_std) ** 2)


def dataset_for(config) -> Dataset:
    """The dataset an ExperimentConfig describes."""
    return make_dataset(
        config.n_samples, config.x_min, config.x_max, config.noise_std, config.data_seed_used, config.grid_points,
        config.target,
    )


def _column(values: np.ndarray) -> np.ndarray:
    # Keras wants (samples, features); float32 is what the nets compute in.
    return np.asarray(values, dtype=np.float32).reshape(-1, 1)
