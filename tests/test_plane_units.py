"""units.gif and residuals.png of a net of two inputs (drawing/plane_units.py, unit_maps.py,
plane_residuals.py): each unit's map against the Keras net's own hidden layer on the grid, the
residuals against the prediction and the truth, a diverged run, and the layout of crowded layers.
Tiny real runs: a few seconds of training in all, shared by the tests."""

from __future__ import annotations

import dataclasses
import warnings

import numpy as np
import pytest

import config as config_module
import data
import rendering
import rundir
import training
from conftest import decode_gif
from drawing.plane_residuals import PlaneResidualPicture, point_outputs, residuals_plane_figure
from drawing.plane_units import PlaneUnitsAnimation, compact_number
from drawing.unit_maps import MapSpacing, colour_table, map_layout, shown_units
from models import keras
from test_playground_training import keras_net_at

SMALL = (480, 270)
TINY = {"n_samples": 60, "batch_size": 20, "epochs": 60, "frames": 8, "grid_points": 16, "optimizer": "adam",
        "learning_rate": 0.03}


def trained(**settings):
    config = config_module.validate({"name": "plane", **TINY, **settings}, "test.yaml", [])
    dataset = data.dataset_for(config)
    return training.train_run(config, dataset), dataset


@pytest.fixture(scope="module")
def classifier():
    """A circle classifier of two hidden layers of different kinds, on the x1·x2 feature too, and
    its units.gif at the smallest size."""
    run, dataset = trained(problem="circle", hidden_layers=[5, 3], activation=["tanh", "relu"],
                           features=["x1", "x2", "x1*x2"])
    return run, dataset, PlaneUnitsAnimation(run, *SMALL)


@pytest.fixture(scope="module")
def surface():
    run, dataset = trained(problem="gaussian_mix", noise=0.1, hidden_layers=[6], activation="sigmoid")
    return run, dataset, PlaneUnitsAnimation(run, *SMALL)


def hidden_output(net, layer: int, inputs: np.ndarray) -> np.ndarray:
    """The Keras net's own output of hidden layer `layer` (0-based) at the inputs, (points, units)."""
    probe = keras.Model(inputs=net.inputs[0], outputs=net.get_layer(f"hidden_{layer + 1}").output)
    return np.asarray(probe(inputs))


@pytest.mark.parametrize("fixture", ["classifier", "surface"])
def test_each_units_map_is_the_keras_nets_own_hidden_output_on_the_grid(fixture, request):
    run, dataset, animation = request.getfixturevalue(fixture)
    assert [section.layer for section in animation.sections] == list(dict.fromkeys([0, len(run.config.hidden_layers) - 1]))
    side = run.config.grid_points
    for frame in (0, animation.frame_count - 1):
        net = keras_net_at(run, run.config, frame)
        for section, maps in zip(animation.sections, animation.maps(frame)):
            expected = hidden_output(net, section.layer, dataset.x_grid)[:, section.units].T.reshape(-1, side, side)
            np.testing.assert_allclose(maps, expected, atol=2e-5)
            assert np.ptp(maps) > 0.01  # the units differ over the plane: the test can tell a wrong map


def test_a_frames_pixels_are_its_maps_in_their_colours(classifier):
    """Each map's pixel at the middle of its top left quarter shows the grid point there, in its layer's
    colours; x2 grows upwards (the grid's last row is the map's top)."""
    run, _, animation = classifier
    index, table, grid = animation.frame_count - 1, colour_table(), run.config.grid_points
    pixels = np.array(animation.frame(index))
    for section, maps in zip(animation.sections, animation.maps(index)):
        for (top, left), values in zip(section.origins, maps):
            row, column = animation.side // 4, animation.side // 4
            grid_row, grid_column = animation.pixel_rows[row], animation.pixel_columns[column]
            assert grid_row >= grid * 3 // 4 - 1 and grid_column <= grid // 4
            expected = table[section.colors.indices(values[grid_row, grid_column])]
            np.testing.assert_array_equal(pixels[top + row, left + column], expected)


def test_units_gif_has_a_frame_per_snapshot(classifier, tmp_path):
    run, _, animation = classifier
    path = tmp_path / "units.gif"
    assert rendering.write_animation(animation, run, path) == len(run.frame_epochs) == 8
    frames, _, _, _ = decode_gif(path)
    # As tall as the header needs: what was trained may take two lines at this width.
    assert frames.shape == (8, animation.canvas.get_width_height()[1], SMALL[0], 4)
    assert animation.loss_label == "training cross-entropy "
    assert animation.diagnostics[0].titles[-1] == "training cross-entropy"
    tanh, relu = (section.colors for section in animation.sections)
    assert (tanh.low, tanh.high) == (-1, 1) and relu.middle == 0 and f"{relu.reach:.0e}"[0] in "125"


def test_the_residual_map_is_the_prediction_less_the_true_surface(surface):
    run, _, _ = surface
    picture = PlaneResidualPicture(run)
    frames = np.append(picture.strip, picture.final)
    assert picture.on_grid and picture.final == len(run.frame_epochs) - 1 and picture.strip[0] == 0
    np.testing.assert_allclose(picture.values, run.predictions[frames, 0] - run.y_grid_true[None], atol=1e-6)
    figure = residuals_plane_figure(run)
    side = run.config.grid_points
    final = np.asarray(figure.axes[0].images[0].get_array())
    np.testing.assert_allclose(final, (run.predictions[-1, 0] - run.y_grid_true).reshape(side, side), atol=1e-6)
    title = " ".join(figure.axes[0].get_title().split())
    assert "the noise's σ 0.1 · noise floor σ² = 0.01" in title


def test_a_classifiers_residuals_are_its_labels_less_its_keras_output_at_the_training_points(classifier):
    """label − P(class 1), P the sigmoid of the Keras net's logit; the points beyond ±0.5 are the ones
    the recorded accuracy counts wrong."""
    run, dataset, _ = classifier
    picture = PlaneResidualPicture(run)
    index = int(picture.final)
    probability = keras.ops.sigmoid(keras_net_at(run, run.config, index)(dataset.x_train))
    np.testing.assert_allclose(picture.final_values, run.y_train - np.ravel(probability), atol=1e-5)
    wrong = np.mean(np.abs(picture.final_values) > 0.5)
    assert wrong == pytest.approx(1 - run.per_frame["accuracy"][index, 0], abs=1.5 / len(run.y_train))


def test_playgrounds_tanh_output_is_read_against_labels_of_plus_and_minus_one():
    run, dataset = trained(problem="xor", hidden_layers=[3], activation="tanh", classification_loss="squared_error",
                           epochs=20, frames=3)
    assert set(np.unique(run.y_train)) == {-1.0, 1.0}
    outputs = point_outputs(run, np.array([2]))[0]
    np.testing.assert_allclose(outputs, np.ravel(keras_net_at(run, run.config, 2)(dataset.x_train)), atol=1e-5)


def test_a_csv_runs_units_and_outputs_are_worked_out_in_the_units_it_trained_in(tmp_path):
    """A CSV's points are standardized per input and its target standardized to train: the maps take
    the net's own (standardized) inputs, and its outputs come back in the data's units, as recorded."""
    rng = np.random.default_rng(1)
    positions = np.column_stack([rng.uniform(1990, 2010, 40), rng.uniform(-3, 3, 40)])
    values = 300 + 20 * np.sin((positions[:, 0] - 2000) / 3) + 10 * positions[:, 1]
    path = tmp_path / "points.csv"
    path.write_text("year,shift,level\n" + "".join(f"{a},{b},{c}\n" for (a, b), c in zip(positions, values)))
    config = config_module.validate({"name": "csv", "data_file": str(path), "hidden_layers": [4], "activation": "tanh",
                                     "epochs": 30, "frames": 4, "grid_points": 8}, "test.yaml", [])
    dataset = data.dataset_for(config)
    run = training.train_run(config, dataset)
    animation = PlaneUnitsAnimation(run, *SMALL)
    expected = hidden_output(keras_net_at(run, config, 3), 0, dataset.x_grid).T.reshape(-1, 8, 8)
    np.testing.assert_allclose(animation.maps(3)[0], expected, atol=2e-5)
    on_grid = dataclasses.replace(run, x_train=run.x_grid)  # the outputs where the map was recorded
    np.testing.assert_allclose(point_outputs(on_grid, np.array([3]))[0], run.predictions[3, 0], rtol=1e-5, atol=1e-3)


def test_a_diverged_run_draws_its_units_and_residuals_without_warnings(tmp_path):
    run, _ = trained(problem="gaussian_mix", noise=0.1, hidden_layers=[4], activation="relu", optimizer="sgd",
                     learning_rate=50, epochs=20)
    assert run.status == "diverged" and not np.isfinite(run.predictions[-1]).all()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        animation = PlaneUnitsAnimation(run, *SMALL)
        last = np.array(animation.frame(animation.frame_count - 1))
        residuals_plane_figure(run).savefig(tmp_path / "residuals.png")
    # The last frame's maps are the last finite weights' (as a fit panel shows a diverged net's last finite state).
    np.testing.assert_array_equal(animation.maps(animation.frame_count - 1)[0],
                                  animation.maps(int(animation.weight_frames[-1]))[0])
    assert (tmp_path / "residuals.png").stat().st_size > 0 and last.shape[1:] == (SMALL[0], 4)


def test_a_plane_run_lists_units_and_residuals_after_its_curves_and_its_page_last(classifier):
    run, _, _ = classifier
    assert rundir.picture_names(run) == ("fit.gif", "loss.png", "units.gif", "residuals.png", "report.html")
    assert rundir.picture_names(run, "page") == ("report.html",)


# --- the layout and the numbers -------------------------------------------------------------------

def test_maps_fill_their_room_in_as_few_rows_as_nearly_as_large_maps_allow():
    spacing = MapSpacing()
    layout = map_layout(430, 290, [8, 8], smallest=30, largest=150, spacing=spacing)
    assert layout.shown == (8, 8) and layout.columns == 8 and 45 <= layout.side <= 50
    two = map_layout(430, 290, [2], smallest=30, largest=150, spacing=spacing)
    assert two.side == 150 and two.columns >= 2


def test_a_crowded_layer_shows_what_fits_and_the_last_layer_gets_rows_first():
    layout = map_layout(225, 190, [60], smallest=33, largest=150)
    assert layout.side == 33 and layout.shown[0] == layout.columns * 3 < 60
    both = map_layout(225, 190, [8, 8], smallest=35, largest=150)
    assert both.shown[1] == 8 and both.shown[0] < 8
    assert list(shown_units(np.array([0.1, 3.0, 0.2, 2.0]), 2)) == [1, 3]


def test_weights_are_written_in_a_few_characters():
    assert [compact_number(value) for value in (0.531, -0.004, 1.23, -12.4, 3.1e5, -2e30)] == \
        ["+0.53", "-0.00", "+1.2", "-12", "+3e5", "-2e30"]
