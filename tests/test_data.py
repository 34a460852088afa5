import numpy as np

import data


def test_noisy_sine_shapes_and_range():
    x, y = data.noisy_sine(200, 0.0, 2 * np.pi, 0.2, np.random.default_rng(0))
    assert x.shape == y.shape == (200, 1)
    assert x.dtype == y.dtype == np.float32
    assert x[0, 0] == 0.0 and abs(x[-1, 0] - 2 * np.pi) < 1e-6
    assert np.all(np.diff(x[:, 0]) > 0)


def test_noise_has_the_configured_spread():
    x, y = data.noisy_sine(100_000, 0.0, 2 * np.pi, 0.2, np.random.default_rng(1))
    residual = y[:, 0] - np.sin(x[:, 0])
    assert abs(residual.std() - 0.2) < 0.005
    assert abs(residual.mean()) < 0.005


def test_zero_noise_is_the_exact_sine():
    x, y = data.noisy_sine(50, -1.0, 1.0, 0.0, np.random.default_rng(0))
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
    subprocess.run([sys.executable, "-c", code], check=True, cwd=str(__import__("conftest").ROOT))
