"""data.py: the noisy sine, its held-out points and grid, and what is known of the truth behind them."""

import numpy as np
import pytest

import data
from conftest import ROOT


def test_noisy_points_shapes_and_range():
    x, y = data.noisy_points(np.sin, 200, 0.0, 2 * np.pi, 0.2, np.random.default_rng(0))
    assert x.shape == y.shape == (200, 1)
    assert x.dtype == y.dtype == np.float32
    assert x[0, 0] == 0.0 and abs(x[-1, 0] - 2 * np.pi) < 1e-6
    assert np.all(np.diff(x[:, 0]) > 0)


def test_noise_has_the_configured_spread():
    x, y = data.noisy_points(np.sin, 100_000, 0.0, 2 * np.pi, 0.2, np.random.default_rng(1))
    residual = y[:, 0] - np.sin(x[:, 0])
    assert abs(residual.std() - 0.2) < 0.005
    assert abs(residual.mean()) < 0.005


def test_zero_noise_is_the_exact_sine():
    x, y = data.noisy_points(np.sin, 50, -1.0, 1.0, 0.0, np.random.default_rng(0))
    np.testing.assert_allclose(y, np.sin(x), atol=1e-6)


def test_same_seed_same_data_and_different_seed_different_noise():
    first = data.make_dataset(200, 0.0, 6.0, 0.2, seed=3)
    again = data.make_dataset(200, 0.0, 6.0, 0.2, seed=3)
    other = data.make_dataset(200, 0.0, 6.0, 0.2, seed=4)
    for a, b in zip(first, again):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(first.y_train, other.y_train)


def test_held_out_noise_is_independent_of_training_noise():
    dataset = data.make_dataset(20_000, 0.0, 6.0, 0.2, seed=0)
    train_noise = dataset.y_train[:, 0] - np.sin(dataset.x_train[:, 0])
    held_out_noise = dataset.y_validation[:, 0] - np.sin(dataset.x_validation[:, 0])
    assert not np.allclose(train_noise, held_out_noise)
    assert abs(np.corrcoef(train_noise, held_out_noise)[0, 1]) < 0.05


def test_grid_is_dense_and_covers_the_range():
    grid = data.grid(0.0, 3.0, 301)
    assert grid.shape == (301, 1)
    assert grid[0, 0] == 0.0 and grid[-1, 0] == 3.0


def test_data_module_does_not_need_tensorflow():
    import subprocess
    import sys

    code = "import sys, data; data.make_dataset(10, 0, 1, 0.1, 0); assert 'tensorflow' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=str(ROOT))


def test_the_truth_is_known_the_sine_on_the_grid_and_the_noise_floor():
    dataset = data.make_dataset(200, -1.0, 7.0, 0.3, seed=2, grid_points=120)
    assert dataset.x_grid.shape == (120, 1)
    assert dataset.y_grid_true.shape == (120,)
    np.testing.assert_allclose(dataset.y_grid_true, np.sin(dataset.x_grid[:, 0]), atol=1e-6)
    assert dataset.true_function == "sin(x)"
    assert dataset.noise_floor == pytest.approx(0.3**2)
    # The noise floor is the error the true curve makes on noisy points: what a perfect fit scores.
    many = data.make_dataset(100_000, 0.0, 6.0, 0.2, seed=0)
    held_out_error = np.mean((many.y_validation[:, 0] - np.sin(many.x_validation[:, 0])) ** 2)
    assert held_out_error == pytest.approx(many.noise_floor, rel=0.02)


def test_noise_free_data_has_a_noise_floor_of_zero():
    assert data.make_dataset(50, 0.0, 1.0, 0.0, seed=0).noise_floor == 0.0


def test_the_training_arrays_are_float32_columns_of_the_dataset():
    dataset = data.make_dataset(30, 0.0, 1.0, 0.1, seed=0, grid_points=40)
    assert set(data.TRAINING_ARRAYS) == {"x_train", "y_train", "x_validation", "y_validation", "x_grid"}
    for name in data.TRAINING_ARRAYS:
        values = getattr(dataset, name)
        assert values.dtype == np.float32 and values.ndim == 2 and values.shape[1] == 1, name


def test_a_config_describes_its_dataset_and_data_seed_overrides_seed(small_config):
    dataset = data.dataset_for(small_config)
    assert len(dataset.x_train) == len(dataset.x_validation) == small_config.n_samples
    assert dataset.x_grid.shape == (small_config.grid_points, 1)
    assert dataset.x_grid[0, 0] == pytest.approx(small_config.x_min)
    assert dataset.x_grid[-1, 0] == pytest.approx(small_config.x_max)
    assert dataset.noise_floor == pytest.approx(small_config.noise_std**2)
    own_seed = data.dataset_for(small_config.model_copy(update={"seed": 7}))
    fixed_data = data.dataset_for(small_config.model_copy(update={"seed": 7, "data_seed": small_config.seed}))
    assert not np.array_equal(own_seed.y_train, dataset.y_train)
    np.testing.assert_array_equal(fixed_data.y_train, dataset.y_train)


@pytest.mark.parametrize("target, expected, expression", [
    ("sine", np.sin, "sin(x)"),
    ("square", lambda x: np.sign(np.sin(x)), "sign(sin(x))"),
    ("sin(3*x) + 0.3*x", lambda x: np.sin(3 * x) + 0.3 * x, "sin(3*x) + 0.3*x"),
])
def test_the_data_come_from_the_target_and_say_which(target, expected, expression):
    dataset = data.make_dataset(400, 0.0, 2 * np.pi, 0.0, seed=3, grid_points=50, target=target)
    x = np.linspace(0.0, 2 * np.pi, 400)  # the x the points were made at, before float32
    np.testing.assert_allclose(dataset.y_train.reshape(-1), expected(x), atol=1e-6)
    np.testing.assert_allclose(dataset.y_grid_true, expected(dataset.x_grid.reshape(-1).astype(np.float64)), atol=1e-6)
    assert dataset.true_function == expression and dataset.noise_floor == 0.0
