"""Playground's problems of two inputs: their points (playground.py), their config keys, and how
nets train on them (the cross-entropy, the accuracy and the map against Keras's own)."""

from __future__ import annotations

import math

import numpy as np
import pytest

import config as config_module
import config_schema
import data
import playground
from config import ConfigError


def points(problem: str, count: int = 400, noise: float = 0.0, seed: int = 0):
    return playground.problem_points(problem, count, noise, np.random.default_rng(seed))


# --- the points ----------------------------------------------------------------------------------

@pytest.mark.parametrize("problem", playground.CLASSIFICATION)
def test_each_classification_set_has_half_its_points_in_each_class_at_noise_0(problem):
    positions, labels = points(problem, 401)
    assert positions.shape == (401, 2) and set(np.unique(labels)) == {0.0, 1.0}
    if problem == "xor":  # each point's quadrant is its own draw: half in each class on average
        assert abs(labels.sum() - 200.5) < 4 * math.sqrt(401) / 2
    else:
        assert labels.sum() == 201  # class 1 takes the odd point
    assert np.all(np.abs(positions) <= playground.EXTENT) or problem == "gaussians"


@pytest.mark.parametrize("problem", playground.PROBLEMS)
def test_a_seed_fixes_the_points_and_another_seed_moves_them(problem):
    first, again, other = (points(problem, noise=0.1, seed=seed) for seed in (3, 3, 4))
    np.testing.assert_array_equal(first[0], again[0])
    np.testing.assert_array_equal(first[1], again[1])
    assert not np.allclose(first[0], other[0])


def test_the_held_out_points_come_from_a_stream_of_their_own():
    dataset = data.make_plane_dataset("xor", 200, 0.0, seed=0, side=16)
    assert not np.allclose(dataset.plane.train, dataset.plane.validation)
    same_seed = data.make_plane_dataset("xor", 200, 0.0, seed=0, side=16)
    np.testing.assert_array_equal(dataset.plane.validation, same_seed.plane.validation)
    assert dataset.x_train.shape == (200, 2) and dataset.x_grid.shape == (256, 2) and dataset.y_train.shape == (200, 1)


def test_noise_0_labels_follow_each_rule_exactly_and_noise_mixes_the_classes():
    positions, labels = points("xor", 2000)
    np.testing.assert_array_equal(labels, positions[:, 0] * positions[:, 1] >= 0)
    assert np.all(np.abs(positions) >= 0.3)  # the gap along the axes
    positions, labels = points("circle", 2000)
    radius = np.hypot(*positions.T)
    np.testing.assert_array_equal(labels, radius < 2.5)
    assert not np.any((radius >= 2.5) & (radius < 3.5)) and radius.max() <= 5
    positions, labels = points("spiral", 400)
    np.testing.assert_allclose(np.hypot(*positions[:200].T), 5 * np.arange(200) / 200, atol=1e-12)
    for problem, rule in (("xor", lambda p: p[:, 0] * p[:, 1] >= 0), ("circle", lambda p: np.hypot(*p.T) < 2.5)):
        positions, labels = points(problem, 2000, noise=0.5)
        wrong = np.mean(labels != rule(positions))
        assert 0.05 < wrong < 0.45, (problem, wrong)


def test_the_gaussian_clouds_spread_with_the_noise_as_playground_has_it():
    for noise, variance in ((0.0, 0.5), (0.5, 4.0), (0.25, 2.25)):
        assert playground.gaussian_variance(noise) == pytest.approx(variance)
        positions, labels = points("gaussians", 40000, noise=noise)
        ones = positions[labels == 1]
        np.testing.assert_allclose(ones.mean(axis=0), [2, 2], atol=0.05)
        np.testing.assert_allclose(ones.var(axis=0), [variance, variance], rtol=0.04)


def test_the_bayes_error_and_cross_entropy_of_two_gaussians_match_a_large_sample():
    noise = 0.4
    positions, labels = points("gaussians", 200_000, noise=noise)
    variance = playground.gaussian_variance(noise)
    log_odds = 2 * (positions[:, 0] + positions[:, 1]) * 2 / variance  # the true posterior's logit
    error = np.mean((log_odds > 0) != (labels == 1))
    bayes = playground.bayes_error("gaussians", noise)
    assert bayes == pytest.approx(0.5 * math.erfc(2 / math.sqrt(variance)), rel=1e-12)
    assert abs(error - bayes) < 4 * math.sqrt(bayes * (1 - bayes) / len(labels))
    sample = np.mean(np.logaddexp(0, np.where(labels == 1, -log_odds, log_odds)))
    assert playground.bayes_cross_entropy("gaussians", noise) == pytest.approx(sample, rel=0.01)
    assert playground.bayes_error("spiral", 0.1) is None and playground.bayes_cross_entropy("xor", 0.1) is None
    # Without noise a circle's, XOR's or spiral's class is a function of where a point lies.
    assert [playground.bayes_error(problem, 0.0) for problem in ("circle", "xor", "spiral")] == [0.0, 0.0, 0.0]
    assert playground.bayes_cross_entropy("spiral", 0.0) is None  # 0: no line on a log axis


def test_a_regression_surface_has_gaussian_noise_of_the_given_spread_on_its_target():
    for problem in playground.REGRESSION:
        positions, values = points(problem, 40000, noise=0.3)
        residual = values - playground.surface(problem, positions)
        assert residual.std() == pytest.approx(0.3, rel=0.03) and abs(residual.mean()) < 0.01
        assert np.all(np.abs(positions) <= playground.EXTENT)
    dataset = data.make_plane_dataset("plane", 50, 0.3, seed=0, side=8)
    assert dataset.noise_floor == pytest.approx(0.09)
    np.testing.assert_allclose(dataset.y_grid_true, (dataset.plane.grid[:, 0] + dataset.plane.grid[:, 1]) / 10, atol=1e-6)


def test_the_features_and_the_grid_are_laid_out_as_documented():
    positions = np.array([[1.0, 2.0], [-0.5, 3.0]])
    features = playground.features_of(positions, list(playground.FEATURES))
    expected = [[1, 2, 1, 4, 2, math.sin(1), math.sin(2)], [-0.5, 3, 0.25, 9, -1.5, math.sin(-0.5), math.sin(3)]]
    np.testing.assert_allclose(features, expected, rtol=1e-6)
    grid = playground.plane_grid(5)
    values = np.linspace(-6, 6, 5)
    row, column = 3, 1
    np.testing.assert_array_equal(grid[row * 5 + column], [values[column], values[row]])


def test_signed_labels_are_playgrounds_minus_one_and_plus_one():
    dataset = data.make_plane_dataset("circle", 100, 0.0, seed=0, side=8, signed_labels=True)
    assert set(np.unique(dataset.y_train)) == {-1.0, 1.0}


# --- the config -------------------------------------------------------------------------------------

def plane_config(**settings):
    return config_module.validate({"problem": "spiral", **settings}, "test.yaml", [])


def test_a_problem_takes_playgrounds_defaults_and_its_config_yaml_lists_only_its_keys():
    config = plane_config()
    assert (config.n_samples, config.noise, config.grid_points, config.input_features) == (250, 0.0, 64, ["x1", "x2"])
    assert config.is_plane and config.classifies and config.inputs == 2 and config.curvature_recorded == "none"
    plain = config_module.to_plain_dict(config)
    assert plain["problem"] == "spiral" and not {"x_min", "x_max", "noise_std", "target", "data_file"} & set(plain)
    line = config_module.to_plain_dict(config_module.validate({}, "test.yaml", []))
    assert not set(config_schema.PLANE_DATA_KEYS) & set(line)  # runs of one input keep their config.yaml
    assert plane_config(features=["x1", "x1 * x2", "sin(x2)"]).inputs == 3
    assert plane_config(problem="gaussian_mix").task == "regression"


@pytest.mark.parametrize("settings, words", [
    ({"noise_std": 0.1}, "noise_std describes data of one input"),
    ({"target": "square"}, "target describes data of one input"),
    ({"problem": "moons"}, "unknown problem 'moons'"),
    ({"features": ["x1", "x3"]}, "unknown feature 'x3'"),
    ({"features": ["x1", "x1"]}, "names a feature twice"),
    ({"noise": 0.6}, "noise must be at most 0.5"),
    ({"grid_points": 300}, "grid_points must be from 8 to 256"),
    ({"problem": "plane", "classification_loss": "squared_error"}, "classification_loss applies to a classification"),
    ({"data_file": "points.csv"}, "problem and data_file are two sources"),
])
def test_a_mistaken_problem_setting_is_one_sentence_naming_it(settings, words):
    with pytest.raises(ConfigError, match=words):
        plane_config(**settings)


def test_the_keys_of_two_inputs_need_a_problem():
    with pytest.raises(ConfigError, match="noise, features apply only to a problem of two inputs"):
        config_module.validate({"noise": 0.1, "features": ["x1"]}, "test.yaml", [])


def test_the_spirals_held_out_points_lie_between_its_training_points_even_without_noise():
    dataset = data.make_plane_dataset("spiral", 100, 0.0, seed=0, side=8)
    radius_train, radius_held_out = np.hypot(*dataset.plane.train[:50].T), np.hypot(*dataset.plane.validation[:50].T)
    np.testing.assert_allclose(radius_held_out - radius_train, 5 * 0.5 / 50, atol=1e-5)


# --- maps over many nets -------------------------------------------------------------------------------

def test_maps_over_nets_leave_out_nets_whose_error_is_not_finite():
    import seed_maps

    predictions = np.array([[[0.9, 0.2, 0.6], [0.8, 0.4, 0.3], [0.7, 0.9, 0.1], [np.nan, np.nan, np.nan]]])
    frame_loss = np.array([[0.1, 0.2, 0.3, np.nan]])
    maps = seed_maps.maps_over_nets(predictions, frame_loss, classifies=True, boundary=0.5)
    np.testing.assert_allclose(maps["mean_prediction"][0, 0], [0.8, 0.5, 1 / 3], rtol=1e-6)
    np.testing.assert_allclose(maps["disagreement"][0, 0], [0, 1 / 3, 1 / 3], rtol=1e-6)
    values = np.arange(30, dtype=np.float32).reshape(1, 10, 3)
    maps = seed_maps.maps_over_nets(values, np.zeros((1, 10)), classifies=False)
    np.testing.assert_allclose(maps["median_prediction"][0, 0], np.median(values[0], axis=0))
    np.testing.assert_allclose(maps["low_prediction"][0, 0], np.percentile(values[0], 10, axis=0))
    assert maps["high_prediction"].shape == (1, 1, 3)
    nothing = seed_maps.maps_over_nets(predictions, np.full((1, 4), np.nan), classifies=True)
    assert np.all(np.isnan(nothing["mean_prediction"]))


# --- a study of classifiers: by their held-out error rates ----------------------------------------------

def classifier_summary(name: str, accuracies: list[float], bayes: float | None = None, share: float | None = None):
    from summaries import RunSummary

    return RunSummary.model_validate({
        "format": 3, "name": name, "trained": "1x4 tanh · sgd lr 0.03 · on gaussians", "true_function": None,
        "status": "completed", "epochs_completed": 10, "epochs_requested": 10, "seeds": len(accuracies),
        "noise_floor": None, "loss": 0.3, "val_loss": 0.3, "error_name": "cross-entropy",
        "val_accuracy": float(np.median(accuracies)), "bayes_error_rate": bayes, "share_at_bayes": share,
        "nets": [{"seed": seed, "loss": 0.3, "val_loss": 0.3, "val_accuracy": accuracy}
                 for seed, accuracy in enumerate(accuracies)]})


def test_a_study_of_classifiers_tables_and_draws_their_error_rates_against_the_bayes_rate(tmp_path):
    import study_table
    from drawing import phase

    summaries = [classifier_summary("noise0", [1.0, 0.99, 0.98], bayes=3e-5, share=2 / 3),
                 classifier_summary("noise0.5", [0.9, 0.92, 0.8], bayes=0.0786, share=1 / 3)]
    rows = study_table.table_rows(summaries, [{"noise": 0.0}, {"noise": 0.5}])
    assert rows[0].rate_median == pytest.approx(0.01) and rows[1].rate_p90 == pytest.approx(0.18)
    table = study_table.markdown_table(rows)
    assert "| median held-out error rate |" in table and "| at the Bayes error rate |" in table
    assert "| noise0 | 0 | 3 | 1.0% | 0.2% | 1.8% | 67% | 0.3000 | 0.3000 |" in table
    assert "Bayes error rate 0.0%, 7.9%" in table
    boxes = phase.draw_phase_png(rows, {"noise": [0.0, 0.5]}, tmp_path / "phase.png", "noise")
    assert (tmp_path / "phase.png").stat().st_size > 0 and len(boxes.boxes) == 2
    unknown = study_table.markdown_table(study_table.table_rows([classifier_summary("xor", [0.9, 0.95])]))
    assert "Bayes" in unknown and "at the Bayes error rate |" not in unknown  # no column of "unknown"s


# --- a problem given as an expression in x1 and x2 ----------------------------------------------------

def test_an_expression_is_a_regression_surface_known_on_the_grid_with_its_noise_floor():
    dataset = data.make_plane_dataset("sin(x1) * cos(x2)", 2000, 0.3, seed=0, side=10)
    grid, train = dataset.plane.grid.astype(np.float64), dataset.plane.train.astype(np.float64)
    np.testing.assert_allclose(dataset.y_grid_true, np.sin(grid[:, 0]) * np.cos(grid[:, 1]), atol=1e-6)
    assert np.all(np.abs(train) <= playground.EXTENT) and dataset.noise_floor == pytest.approx(0.09)
    residual = dataset.y_train[:, 0] - np.sin(train[:, 0]) * np.cos(train[:, 1])
    assert abs(residual.std() - 0.3) < 0.02 and dataset.true_function == "sin(x1) * cos(x2)"


def test_an_expressions_classes_are_where_it_is_above_0_and_noise_shifts_them_as_xor():
    exact = data.make_plane_dataset("x1 - x2", 1000, 0.0, seed=0, side=8, task="classification")
    positions = exact.plane.train.astype(np.float64)
    np.testing.assert_array_equal(exact.y_train[:, 0], positions[:, 0] - positions[:, 1] > 0)
    assert exact.y_grid_true is None and exact.noise_floor is None
    noisy = data.make_plane_dataset("x1 - x2", 1000, 0.5, seed=0, side=8, task="classification")
    positions = noisy.plane.train.astype(np.float64)
    wrong_side = noisy.y_train[:, 0] != (positions[:, 0] - positions[:, 1] > 0)
    assert 0.05 < wrong_side.mean() < 0.45
    assert np.all(np.abs(positions[:, 0] - positions[:, 1])[wrong_side] <= 2 * 5 * 0.5), "shifted up to ±5·noise"


def test_an_expression_problem_in_the_config_its_task_and_what_was_trained():
    surface = plane_config(problem="sin(x1) * cos(x2)", noise=0.2)
    assert surface.is_plane and surface.task == "regression" and surface.inputs == 2 and surface.n_samples == 250
    boundary = plane_config(problem="x1 * x2", task="classification", classification_loss="squared_error")
    assert boundary.classifies and "on x1 * x2 > 0, tanh output" in config_module.describe_training(boundary)
    assert config_module.to_plain_dict(boundary)["problem"] == "x1 * x2"
    assert plane_config(problem="Spiral").problem == "spiral" and plane_config(task="classification").classifies


@pytest.mark.parametrize("settings, words", [
    ({"problem": "spirl"}, "unknown problem 'spirl' (did you mean 'spiral'?); choose one of: circle, xor, gaussians, "
                           "spiral, plane, gaussian_mix, or give an expression in x1 and x2"),
    ({"problem": "x ** 2"}, "unknown name 'x' (x is the input of a target of one input"),
    ({"problem": "sin(x1) * cos(y)"}, "unknown name 'y'"),
    ({"problem": "log(x1)"}, "problem 'log(x1)' is not a number within ±1e+06 at (x1, x2) = (-6, -6); give one that "
                             "is over [-6, 6]², the plane"),
    ({"problem": "spiral", "task": "regression"}, "task: problem spiral is a classification problem; remove task"),
    ({"problem": "x1 * x2", "noise": 0.6, "task": "classification"}, "noise must be at most 0.5 for problem x1 * x2"),
    ({"problem": "x1 * x2", "classification_loss": "squared_error"}, "classification_loss applies to a "
                                                                     "classification, and problem x1 * x2 is a regression"),
])
def test_a_mistaken_expression_problem_is_one_sentence_naming_it(settings, words):
    with pytest.raises(ConfigError) as raised:
        plane_config(**settings)
    assert words in str(raised.value) and "\n" not in str(raised.value)


def test_an_expression_of_one_class_or_not_a_number_where_a_point_falls_is_refused_as_the_data_are_made():
    with pytest.raises(ConfigError, match=r"problem 'x1 \*\* 2 \+ 1' puts every training point in class 1"):
        data.dataset_for(plane_config(problem="x1 ** 2 + 1", task="classification"))
    with pytest.raises(ConfigError, match=r"is not a number at .*; give one that is over \[-8.5, 8.5\]², the plane and "
                                          "the noise's shift beyond it"):
        data.dataset_for(plane_config(problem="sqrt(36.01 - x1 ** 2)", task="classification", noise=0.5))


def test_held_out_points_are_drawn_on_a_plane_only():
    assert plane_config(render={"show_held_out": True}).render.show_held_out
    with pytest.raises(ConfigError, match="render.show_held_out applies to a run of two inputs"):
        config_module.validate({"render": {"show_held_out": True}}, "test.yaml", [])
