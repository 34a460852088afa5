"""The user's own points of two inputs: a CSV of x1, x2 and a target (points_file.read_plane_points),
read and refused line by line; the config it makes (a plane, its task); its dataset (held-out
share, grid, standardization per input); and a tiny run trained on string labels, read back."""

from __future__ import annotations

import numpy as np
import pytest

import config as config_module
import data
import points_file
from config import ConfigError


def csv_file(tmp_path, text, name="points.csv"):
    path = tmp_path / name
    path.write_text(text)
    return path


def labelled_text(count=12, header="a,b,label", labels=("no", "yes"), separator=","):
    """Points on a line of x1 = k, x2 = k² mod 7, their labels alternating."""
    lines = [header.replace(",", separator)] if header else []
    lines += [separator.join([str(k), str(k * k % 7), labels[k % 2]]) for k in range(count)]
    return "\n".join(lines) + "\n"


def read(path, columns=None, task=None):
    return points_file.read_plane_points(path, columns, task)


# --- reading good files ----------------------------------------------------------------------------

def test_a_file_of_word_labels_is_read_as_two_classes_the_later_word_class_1(tmp_path):
    points = read(csv_file(tmp_path, labelled_text()))
    np.testing.assert_array_equal(points.positions, [[k, k * k % 7] for k in range(12)])
    np.testing.assert_array_equal(points.values, np.arange(12) % 2)  # "yes" sorts after "no": class 1
    assert points.names == ("a", "b", "label") and points.class_names == ("no", "yes")
    swapped = read(csv_file(tmp_path, labelled_text(labels=("yes", "no")), "swapped.csv"))
    np.testing.assert_array_equal(swapped.values, 1 - np.arange(12) % 2)
    assert swapped.class_names == ("no", "yes"), "which label is class 1 does not depend on the order of the lines"


def test_without_a_header_with_semicolons_and_numbers_as_classes(tmp_path):
    points = read(csv_file(tmp_path, labelled_text(header=None, separator=";")))
    assert points.names is None and points.class_names == ("no", "yes") and len(points.values) == 12
    numbers = read(csv_file(tmp_path, labelled_text(labels=("1", "-1")), "signs.csv"), task="classification")
    np.testing.assert_array_equal(numbers.values, 1 - np.arange(12) % 2)  # the larger value is class 1
    assert numbers.class_names == ("-1", "1")
    regression = read(csv_file(tmp_path, labelled_text(labels=("0.5", "2")), "values.csv"))
    np.testing.assert_array_equal(regression.values, np.where(np.arange(12) % 2, 2.0, 0.5))
    assert regression.class_names is None


def test_three_columns_of_many_are_chosen_by_name_or_number(tmp_path):
    text = "id,b,a,label\n" + "".join(f"{k},{k % 5},{k},{'cat' if k % 3 else 'dog'}\n" for k in range(10))
    path = csv_file(tmp_path, text)
    by_name, by_number = read(path, ["a", "b", "label"]), read(path, [3, 2, 4])
    np.testing.assert_array_equal(by_name.positions, by_number.positions)
    assert by_name.positions[4].tolist() == [4, 4] and by_name.class_names == ("cat", "dog")


# --- refusing bad files, line by line -----------------------------------------------------------------

REFUSALS = {
    "a third label": (labelled_text() + "3,1,maybe\n",
                      "line 14: the target ('label') column holds a third class, 'maybe', beside 'no' and 'yes'"),
    "a missing label": (labelled_text().replace("4,2,no", "4,2,"), "line 6: the target ('label') value is missing"),
    "a missing x1": (labelled_text().replace("4,2,no", ",2,no"), "line 6: the x1 ('a') value is missing"),
    "a word as x2": (labelled_text().replace("5,4,yes", "5,four,yes"),
                     "line 7: the x2 ('b') value 'four' is not a number"),
    "one class only": (labelled_text(labels=("yes", "yes")), "the target ('label') column holds one class only, 'yes'"),
    "a ragged line": (labelled_text() + "3,1\n", "line 14: has 2 values, but the header has 3"),
    "nan": (labelled_text().replace("7,0,yes", "nan,0,yes"), "line 9: the x1 ('a') value is nan; every value"),
    "too large": (labelled_text().replace("7,0,yes", "7,1e21,yes"), "line 9: the x2 ('b') value 1e21 is beyond ±1e+20"),
    "too few": (labelled_text(9), "holds 9 points; at least 10 are needed"),
}


@pytest.mark.parametrize("case", REFUSALS)
def test_a_bad_file_is_refused_naming_the_file_the_line_and_the_column(tmp_path, case):
    text, expected = REFUSALS[case]
    path = csv_file(tmp_path, text)
    with pytest.raises(ConfigError) as raised:
        read(path)
    message = str(raised.value)
    assert message.startswith(str(path)) and expected in message and "\n" not in message


def test_numbers_as_classes_must_be_two_and_words_cannot_be_a_regression(tmp_path):
    three = csv_file(tmp_path, labelled_text(labels=("0", "1")) + "3,1,0.5\n", "three.csv")
    with pytest.raises(ConfigError, match="line 14: the target .* holds a third class, 0.5, beside"):
        read(three, task="classification")
    with pytest.raises(ConfigError, match=r"line 2: the target \('label'\) value 'no' is not a number, and task: "
                                          "regression needs numbers"):
        read(csv_file(tmp_path, labelled_text()), task="regression")
    flat = csv_file(tmp_path, "".join(f"1,{k},{k}\n" for k in range(10)), "flat.csv")
    with pytest.raises(ConfigError, match="every x1 is 1; a plane needs points at different x1"):
        read(flat)


# --- the config a file of three columns makes ------------------------------------------------------

def validate(**settings):
    return config_module.validate(settings, "test.yaml", [])


def test_a_file_of_three_columns_is_a_plane_and_its_words_a_classification(tmp_path):
    path = csv_file(tmp_path, labelled_text())
    config = validate(data_file=str(path))
    assert config.is_plane and config.inputs == 2 and config.input_features == ["x1", "x2"]
    assert config.task == "classification" and config.classifies and config.data_columns == [1, 2, 3]
    assert config.grid_points == 64 and config.curvature_recorded == "none"
    plain = config_module.to_plain_dict(config)
    assert plain["task"] == "classification" and plain["data_columns"] == [1, 2, 3] and "problem" not in plain
    path.unlink()  # a run's config.yaml says what it was, file or no file (animate.py redraws it)
    again = config_module.validate(plain, "config.yaml", [])
    assert again.is_plane and again.classifies and config_module.to_plain_dict(again) == plain


def test_a_numeric_target_is_a_regression_unless_task_says_and_features_apply(tmp_path):
    path = csv_file(tmp_path, labelled_text(labels=("0", "1")))
    assert validate(data_file=str(path)).task == "regression"
    config = validate(data_file=str(path), task="classification", features=["x1", "x2", "x1*x2"])
    assert config.classifies and config.inputs == 3
    chosen = csv_file(tmp_path, "id,b,a,label\n" + "".join(f"{k},{k % 5},{k},{k % 2}\n" for k in range(10)), "four.csv")
    assert validate(data_file=str(chosen), data_columns=["a", "b", "label"]).is_plane


def test_a_file_of_two_columns_stays_one_input_as_before(tmp_path):
    path = csv_file(tmp_path, "".join(f"{k},{k * k}\n" for k in range(12)))
    config = validate(data_file=str(path))
    assert not config.is_plane and config.task == "regression" and config.inputs == 1 and config.grid_points == 200
    plain = config_module.to_plain_dict(config)
    assert not {"task", "features", "data_columns", "problem", "noise", "classification_loss"} & set(plain)


@pytest.mark.parametrize("settings, words", [
    ({"task": "classification"}, "task: 'classification' needs two inputs: a problem, or a data_file of three"),
    ({"data_file": "two.csv", "task": "classification"}, "task: 'classification' needs two inputs"),
    ({"data_file": "nothere.csv", "task": "classification"}, "needs the data_file's three columns, and nothere.csv: "
                                                             "no such file"),
    ({"data_file": "three.csv", "noise": 0.1}, "noise applies to a problem's generated points"),
    ({"data_file": "three.csv", "problem": "xor"}, "problem and data_file are two sources of points"),
    ({"data_file": "three.csv", "data_columns": [1, 2, 1]}, "data_columns: names one column twice"),
    ({"data_file": "three.csv", "grid_points": 300}, "grid_points must be from 8 to 256 for three.csv"),
    ({"data_file": "values.csv", "classification_loss": "squared_error"}, "classification_loss applies to a "
                                                                          "classification, and values.csv is a regression"),
])
def test_a_mistaken_setting_of_a_file_of_two_inputs_is_one_sentence(tmp_path, monkeypatch, settings, words):
    monkeypatch.chdir(tmp_path)
    csv_file(tmp_path, labelled_text(), "three.csv")
    csv_file(tmp_path, labelled_text(labels=("0.5", "2")), "values.csv")
    csv_file(tmp_path, "".join(f"{k},{k * k}\n" for k in range(12)), "two.csv")
    with pytest.raises(ConfigError) as raised:
        validate(**settings)
    assert words in str(raised.value) and "\n" not in str(raised.value)


# --- the dataset ---------------------------------------------------------------------------------------

def plane_points(count=40, seed=0):
    rng = np.random.default_rng(seed)
    positions = np.column_stack([rng.uniform(1990, 2000, count), rng.uniform(-0.5, 0.5, count)])
    return positions, 1000 + 50 * positions[:, 1] + rng.normal(0, 1, count)


def test_the_held_out_share_and_the_grid_and_the_order_of_lines(tmp_path):
    positions, values = plane_points()
    dataset = data.dataset_from_plane_points(positions, values, 0.25, seed=3, side=5)
    assert dataset.x_train.shape == (30, 2) and dataset.x_validation.shape == (10, 2) and dataset.x_grid.shape == (25, 2)
    plane = dataset.plane
    assert plane.train.shape == (30, 2) and plane.grid.shape == (25, 2) and plane.side == 5
    low, high = positions.min(axis=0), positions.max(axis=0)
    margin = data.PLANE_MARGIN * (high - low)
    np.testing.assert_allclose(plane.grid[0], low - margin, rtol=1e-6)  # in the data's units, around the points
    np.testing.assert_allclose(plane.grid[-1], high + margin, rtol=1e-6)
    assert plane.grid[1, 0] > plane.grid[0, 0] and plane.grid[1, 1] == plane.grid[0, 1], "x1 along a row"
    shuffled = np.random.default_rng(1).permutation(40)
    again = data.dataset_from_plane_points(positions[shuffled], values[shuffled], 0.25, seed=3, side=5)
    for name in data.TRAINING_ARRAYS:
        np.testing.assert_array_equal(getattr(dataset, name), getattr(again, name))
    other = data.dataset_from_plane_points(positions, values, 0.25, seed=4, side=5)
    assert not np.array_equal(dataset.plane.validation, other.plane.validation)
    assert dataset.y_grid_true is None and dataset.noise_floor is None and dataset.true_function is None


def test_each_input_is_standardized_before_its_features_and_a_class_is_not():
    positions, values = plane_points()
    dataset = data.dataset_from_plane_points(positions, values, 0.25, seed=0, side=4, features=["x1", "x2", "x1*x2"])
    standardization = dataset.standardization
    assert abs(dataset.x_train[:, :2].mean(axis=0)).max() < 1e-5 and abs(dataset.x_train[:, :2].std(axis=0) - 1).max() < 1e-5
    np.testing.assert_allclose(dataset.x_train[:, 2], dataset.x_train[:, 0] * dataset.x_train[:, 1], rtol=1e-5)
    assert dataset.y_train.dtype == np.float64, "kept in full until standardized"
    trained_on = standardization.training_dataset(dataset)
    assert abs(trained_on.y_train.mean()) < 1e-5 and abs(trained_on.y_train.std() - 1) < 1e-5
    np.testing.assert_allclose(trained_on.y_validation * standardization.y_scale + standardization.y_shift,
                               dataset.y_validation, rtol=1e-6)
    classes = (values > 1000).astype(np.float64)
    labelled = data.dataset_from_plane_points(positions, classes, 0.25, seed=0, side=4, classifies=True)
    assert (labelled.standardization.y_shift, labelled.standardization.y_scale) == (0.0, 1.0)
    assert set(np.unique(labelled.y_train)) == {0.0, 1.0} and labelled.y_train.dtype == np.float32
    signed = data.dataset_from_plane_points(positions, classes, 0.25, seed=0, side=4, classifies=True,
                                            signed_labels=True)
    assert set(np.unique(signed.y_train)) == {-1.0, 1.0}
    as_they_are = data.dataset_from_plane_points(positions, values, 0.25, seed=0, side=4, standardize=False)
    assert as_they_are.standardization is None and as_they_are.x_train[:, 0].min() >= 1990


def test_dataset_for_reads_the_file_names_its_columns_and_classes(tmp_path):
    path = csv_file(tmp_path, labelled_text(20))
    dataset = data.dataset_for(validate(data_file=str(path), validation_fraction=0.25))
    assert len(dataset.x_train) == 15 and dataset.plane.train.shape == (15, 2)
    assert dataset.axis_names == ("a", "b", "label") and dataset.class_names == ("no", "yes")
    assert dataset.file_sha256 == points_file.file_digest(path) and dataset.noise_floor is None


# --- a tiny run ----------------------------------------------------------------------------------------

def test_a_run_on_string_labels_trains_and_reads_back(tmp_path):
    import rundir
    import training

    path = csv_file(tmp_path, labelled_text(30))
    config = config_module.validate({"name": "labels", "data_file": str(path), "hidden_layers": [4],
                                     "activation": "tanh", "epochs": 50, "frames": 10, "grid_points": 8}, "t", [])
    run = training.train_run(config, data.dataset_for(config))
    rundir.write_run(tmp_path / "run", run)
    back = rundir.read_run(tmp_path / "run")
    assert back.x_train.shape == (24, 2) and back.x_grid.shape == (64, 2) and back.is_plane
    assert set(np.unique(back.y_train)) == {0.0, 1.0} and back.predictions.shape == (10, 1, 64)
    assert back.config.classifies and back.summary.class_names == ["no", "yes"]
    assert back.summary.axis_names == ["a", "b", "label"] and len(back.summary.standardization.x_shift) == 2
    assert back.summary.val_accuracy is not None and "on points.csv" in back.training_description
