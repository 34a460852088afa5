"""data.py: the noisy sine, its held-out points and grid, and what is known of the truth behind them."""

import os

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
    ("square", lambda x: np.where(np.sin(x) >= 0, 1.0, -1.0), "where(sin(x) >= 0, 1, -1)"),
    ("sin(3*x) + 0.3*x", lambda x: np.sin(3 * x) + 0.3 * x, "sin(3*x) + 0.3*x"),
])
def test_the_data_come_from_the_target_and_say_which(target, expected, expression):
    dataset = data.make_dataset(400, 0.0, 2 * np.pi, 0.0, seed=3, grid_points=50, target=target)
    x = np.linspace(0.0, 2 * np.pi, 400)  # the x the points were made at, before float32
    np.testing.assert_allclose(dataset.y_train.reshape(-1), expected(x), atol=1e-6)
    np.testing.assert_allclose(dataset.y_grid_true, expected(np.linspace(0.0, 2 * np.pi, 50)), atol=1e-6)
    assert dataset.true_function == expression and dataset.noise_floor == 0.0


def test_the_square_wave_has_no_spike_where_its_sine_crosses_zero():
    dataset = data.make_dataset(10, 0.0, 2 * np.pi, 0.0, seed=0, grid_points=200, target="square")
    assert set(np.unique(dataset.y_grid_true)) == {-1.0, 1.0}, "sign(sin(0)) would be 0, a spike at the first point"
    assert dataset.y_grid_true[0] == 1 and dataset.y_grid_true[-1] == -1, "2π in float32 is past 2π: a spike"


# --- the user's own points (data_file) -------------------------------------------------------------

def csv_file(tmp_path, text, name="points.csv"):
    path = tmp_path / name
    path.write_text(text)
    return path


def points_text(count=12, header="x,y"):
    return (header + "\n" if header else "") + "".join(f"{0.5 * k},{k * k}\n" for k in range(count))


def test_a_csv_of_two_columns_is_read_with_or_without_a_header(tmp_path):
    x, y, names = data.read_points(csv_file(tmp_path, points_text(header="time (s),height")))
    np.testing.assert_array_equal(x, 0.5 * np.arange(12))
    np.testing.assert_array_equal(y, np.arange(12) ** 2)
    assert names == ("time (s)", "height")
    x, y, names = data.read_points(csv_file(tmp_path, points_text(header=None)))
    assert len(x) == 12 and names is None


def test_comments_blank_lines_spaces_and_a_byte_order_mark_are_fine(tmp_path):
    text = "\ufeff# measured on 2026-11-27\nx, y\n\n" + "".join(f" {k} , {2 * k} \n" for k in range(10)) + "\n"
    path = tmp_path / "points.csv"
    path.write_text(text, encoding="utf-8")
    x, y, names = data.read_points(path)
    np.testing.assert_array_equal(y, 2 * x)
    assert names == ("x", "y")


@pytest.mark.parametrize("separator", [";", "\t", ", "])
def test_semicolons_tabs_and_trailing_separators_are_read_as_spreadsheets_write_them(tmp_path, separator):
    text = f"x{separator}y{separator}\r\n" + "".join(f'"{k}"{separator}{2 * k}{separator}\r\n' for k in range(10))
    x, y, names = data.read_points(csv_file(tmp_path, text))
    np.testing.assert_array_equal(y, 2 * x)
    assert names == ("x", "y") and len(x) == 10


def test_data_columns_choose_two_of_many_by_name_or_number(tmp_path):
    text = "year,month,co2,flag\n" + "".join(f"{2000 + k},{k % 12},{300 + k},1\n" for k in range(10))
    path = csv_file(tmp_path, text)
    x, y, names = data.read_points(path, ["year", "co2"])
    assert names == ("year", "co2") and y[0] == 300
    x, y, names = data.read_points(path, [3, 1])
    assert names == ("co2", "year") and x[0] == 300 and y[0] == 2000


REFUSALS = {
    "empty": ("", "holds no data; expected lines of x,y numbers"),
    "only a header": ("x,y\n", "holds no data below its header"),
    "a word": (points_text() + "6,seven\n", "line 14: the y ('y') value 'seven' is not a number"),
    "a missing value": (points_text() + "6,\n", "line 14: the y ('y') value is missing"),
    "a missing column": (points_text() + "6\n", "line 14: has 1 value, but the header has 2"),
    "nan": (points_text(header=None) + "nan,1\n", "line 13: the x value is nan; every value must be a finite number"),
    "infinity": (points_text() + "1,-inf\n", "line 14: the y ('y') value is -inf; every value must be a finite number"),
    "too few": (points_text(9), "holds 9 points; at least 10 are needed"),
    "three columns": ("a,b,c\n" + "1,2,3\n" * 10, "has 3 columns (a, b, c); say which two to use with data_columns: [x, y]"),
    "one column": ("1\n" * 10, "has 1 column; expected x,y separated by commas"),
    "too many": ("".join(f"{k},{k}\n" for k in range(100_001)), "holds more than 100,000 points"),
    "one x": ("".join(f"1,{k}\n" for k in range(10)), "every x is 1; a curve needs points at different x"),
    "a decimal comma": ("x;y\n" + "1;2\n" * 10 + "1,5;2\n", "line 12: the x ('x') value '1,5' is not a number; write "
                        "decimals with a point"),
    "too large": (points_text() + "1e21,1\n", "line 14: the x ('x') value 1e21 is beyond ±1e+20; rescale the column"),
    "an extra value": (points_text() + "1,2,3\n", "line 14: has 3 values, but the header has 2"),
}


@pytest.mark.parametrize("case", REFUSALS)
def test_a_bad_csv_is_refused_naming_the_file_the_line_and_what_is_wrong(tmp_path, case):
    text, expected = REFUSALS[case]
    path = csv_file(tmp_path, text)
    with pytest.raises(data.ConfigError) as raised:
        data.read_points(path)
    assert str(raised.value).startswith(f"{path}") and expected in str(raised.value)


def test_a_missing_file_a_folder_binary_data_and_unknown_columns_are_refused(tmp_path):
    def message(path, columns=None):
        with pytest.raises(data.ConfigError) as raised:
            data.read_points(path, columns)
        return str(raised.value)

    assert message(tmp_path / "nothere.csv") == f"{tmp_path / 'nothere.csv'}: no such file; data_file must name a CSV file of x,y points"
    assert "is a folder" in message(tmp_path)
    os.mkfifo(tmp_path / "pipe.csv")
    assert "is not a regular file (a pipe or a device)" in message(tmp_path / "pipe.csv"), "and it does not hang"
    binary = tmp_path / "points.xlsx"
    binary.write_bytes(b"PK\x03\x04\xff\xfe\x00")
    assert "is not a UTF-8 text file" in message(binary)
    path = csv_file(tmp_path, points_text())
    assert "data_columns: no column is named 'z'; its header has x, y" in message(path, ["x", "z"])
    assert "data_columns: there is no column 3; the file has 2, numbered from 1" in message(path, [1, 3])
    headless = csv_file(tmp_path, points_text(header=None), "headless.csv")
    assert "it has no header line; number the columns from 1" in message(headless, ["x", "y"])


def test_points_are_split_by_the_seed_whatever_the_order_of_rows():
    rng = np.random.default_rng(0)
    x, y = rng.uniform(-3, 3, 50), rng.normal(size=50)
    first = data.dataset_from_points(x, y, 0.2, seed=7, grid_points=30)
    assert len(first.x_train) == 40 and len(first.x_validation) == 10
    assert sorted(np.concatenate([first.x_train, first.x_validation]).ravel()) == sorted(x), "exact: float64"
    shuffled = rng.permutation(50)
    again = data.dataset_from_points(x[shuffled], y[shuffled], 0.2, seed=7, grid_points=30)
    for name in data.TRAINING_ARRAYS:
        np.testing.assert_array_equal(getattr(first, name), getattr(again, name))
    other = data.dataset_from_points(x, y, 0.2, seed=8, grid_points=30)
    assert not np.array_equal(first.x_validation, other.x_validation)
    assert first.x_grid[0, 0] == x.min() and first.x_grid[-1, 0] == x.max()
    assert first.y_grid_true is None and first.noise_floor is None and first.true_function is None
    assert len(data.dataset_from_points(x[:10], y[:10], 0.01, seed=0).x_validation) == 1, "at least one held out"


def test_standardization_maps_the_training_points_to_mean_0_and_spread_1():
    x, y = np.linspace(1958, 2001, 100), np.linspace(310, 370, 100) + np.sin(np.arange(100))
    dataset = data.dataset_from_points(x, y, 0.2, seed=0)
    scaled = dataset.standardization.training_dataset(dataset)
    assert scaled.standardization is None
    for values in (scaled.x_train, scaled.y_train):
        assert abs(values.mean()) < 1e-5 and abs(values.std() - 1) < 1e-5
    s = dataset.standardization
    np.testing.assert_allclose(scaled.x_grid * s.x_scale + s.x_shift, dataset.x_grid, rtol=1e-6)
    np.testing.assert_allclose(scaled.y_validation * s.y_scale + s.y_shift, dataset.y_validation, rtol=1e-6)
    as_they_are = data.dataset_from_points(x, y, 0.2, seed=0, standardize=False)
    assert as_they_are.standardization is None and as_they_are.x_train.dtype == np.float32, "what the nets take"
    flat = data.dataset_from_points(x, np.full(100, 5.0), 0.2, seed=0).standardization
    assert flat.y_shift == 5.0 and flat.y_scale == 1.0, "constant y: shifted only"


def test_points_far_from_zero_keep_their_precision_through_standardization():
    """Unix times 60 s apart: in float32 (steps of 128 at 1.7e9) 200 of them would merge into ~90."""
    x = 1.7e9 + 60 * np.arange(200)
    dataset = data.dataset_from_points(x, np.sin(np.arange(200) / 20), 0.2, seed=0)
    scaled = dataset.standardization.training_dataset(dataset)
    assert len(np.unique(dataset.x_train)) == len(np.unique(scaled.x_train)) == 160
    steps = np.diff(np.sort(scaled.x_train.ravel()).astype(np.float64)) * dataset.standardization.x_scale / 60
    np.testing.assert_allclose(steps, np.round(steps), atol=1e-3)  # whole minutes apart, as in the file


def test_dataset_for_reads_the_file_of_a_config_and_records_its_digest(tmp_path):
    import hashlib

    import config

    path = csv_file(tmp_path, points_text(20, header="t,h"))
    dataset = data.dataset_for(config.validate({"data_file": str(path), "validation_fraction": 0.25, "data_seed": 3}))
    assert len(dataset.x_train) == 15 and len(dataset.x_validation) == 5
    assert dataset.file_sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert dataset.axis_names == ("t", "h") and dataset.standardization is not None
