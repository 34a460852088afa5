"""Nets trained on Playground's problems: the loss, the accuracy and the map the loop records,
against Keras's own losses, metrics and predictions; a stack of nets against single runs."""

from __future__ import annotations

import numpy as np
import pytest

import config as config_module
import data
import models
import training
from models import keras

SETTINGS = {"problem": "circle", "hidden_layers": [5, 3], "activation": "tanh", "optimizer": "adam",
            "learning_rate": 0.03, "n_samples": 60, "batch_size": 20, "epochs": 40, "frames": 5, "grid_points": 12}


def plane_config(**settings):
    return config_module.validate({"name": "plane", **SETTINGS, **settings}, "test.yaml", [])


def trained(config):
    dataset = data.dataset_for(config)
    return training.train_run(config, dataset), dataset


def keras_net_at(run, config, frame: int) -> keras.Model:
    """A Keras net of the config's shape holding net 0's weights recorded at a frame (frame.weights:
    each layer's kernel, row by row, then its bias)."""
    net = models.build_mlp(config.hidden_layers, config.activations, inputs=config.inputs,
                           output_activation=models.output_activation(config))
    row, weights = run.per_frame["weights"][frame, 0], []
    for variable in net.weights:
        size = int(np.prod(variable.shape))
        weights.append(row[:size].reshape(variable.shape))
        row = row[size:]
    assert row.size == 0
    net.set_weights(weights)
    return net


@pytest.mark.parametrize("loss", ["cross_entropy", "squared_error"])
def test_the_recorded_loss_accuracy_and_map_are_keras_own_at_every_frame(loss):
    config = plane_config(classification_loss=loss, features=["x1", "x2", "x1*x2"])
    run, dataset = trained(config)
    assert run.x_train.shape == (60, 2) and run.predictions.shape == (5, 1, 144)
    keras_loss = (keras.losses.BinaryCrossentropy(from_logits=True) if loss == "cross_entropy"
                  else keras.losses.MeanSquaredError())
    for frame in (0, 2, 4):
        net = keras_net_at(run, config, frame)
        output = net(dataset.x_train)
        np.testing.assert_allclose(run.frame_loss[frame, 0], float(keras_loss(dataset.y_train, output)), rtol=1e-5)
        if loss == "cross_entropy":
            accuracy = keras.metrics.BinaryAccuracy(threshold=0.5)
            accuracy.update_state(dataset.y_train, keras.ops.sigmoid(output))
            shown = keras.ops.sigmoid(net(dataset.x_grid))
        else:  # labels -1 and +1: class +1 where the tanh output is above 0
            accuracy = keras.metrics.BinaryAccuracy(threshold=0.0)
            accuracy.update_state((dataset.y_train + 1) / 2, output)
            shown = net(dataset.x_grid)
        assert run.per_frame["accuracy"][frame, 0] == pytest.approx(float(accuracy.result()), abs=1e-6)
        np.testing.assert_allclose(run.predictions[frame, 0], np.ravel(shown), atol=1e-5)
    assert run.summary.error_name == ("cross-entropy" if loss == "cross_entropy" else "MSE")
    assert run.summary.val_accuracy == pytest.approx(float(run.per_frame["val_accuracy"][-1, 0]))
    assert run.per_frame["accuracy"][-1, 0] > 0.6  # it learned something: the test can tell a broken loss


def test_a_regression_surface_trains_on_squared_error_and_records_no_accuracy():
    config = plane_config(problem="gaussian_mix", noise=0.1)
    run, dataset = trained(config)
    assert "accuracy" not in run.per_frame and run.noise_floor == pytest.approx(0.01)
    net = keras_net_at(run, config, 4)
    expected = float(keras.losses.MeanSquaredError()(dataset.y_train, net(dataset.x_train)))
    np.testing.assert_allclose(run.frame_loss[-1, 0], expected, rtol=1e-5)


def test_each_net_of_a_stack_on_a_problem_matches_a_single_run_and_its_maps_over_nets_are_theirs():
    stacked, _ = trained(plane_config(seed=4, seeds=2, data_seed=4))
    singles = [trained(plane_config(seed=seed, data_seed=4))[0] for seed in (4, 5)]
    for net, single in enumerate(singles):
        for name in ("loss", "val_loss"):
            np.testing.assert_allclose(stacked.per_epoch[name][:, net], single.per_epoch[name][:, 0], rtol=1e-4)
        np.testing.assert_allclose(stacked.per_frame["val_accuracy"][:, net], single.per_frame["val_accuracy"][:, 0],
                                   atol=1 / 60 + 1e-6)  # a point at the boundary may tip
    # Net 0's map is kept, and the maps over the nets beside it (seed_maps.py).
    assert stacked.predictions.shape == (5, 1, 144) and stacked.per_frame["mean_prediction"].shape == (5, 1, 144)
    np.testing.assert_allclose(stacked.predictions[:, 0], singles[0].predictions[:, 0], atol=1e-4)
    maps = np.stack([single.predictions[:, 0] for single in singles], axis=1)  # (frames, nets, points)
    np.testing.assert_allclose(stacked.per_frame["mean_prediction"][:, 0], maps.mean(axis=1), atol=1e-4)
    classes = maps > 0.5
    split = classes[:, 0] != classes[:, 1]
    far_from_the_boundary = np.all(np.abs(maps - 0.5) > 1e-3, axis=1)
    np.testing.assert_array_equal(stacked.per_frame["disagreement"][:, 0][far_from_the_boundary],
                                  np.where(split, 0.5, 0.0)[far_from_the_boundary])
    assert np.any(split)  # the two nets disagree somewhere: the test can tell


def test_a_gaussians_run_sets_its_error_rate_against_the_bayes_error_rate():
    import playground

    run, _ = trained(plane_config(problem="gaussians", noise=0.3))
    summary = run.summary
    assert summary.bayes_error_rate == pytest.approx(playground.bayes_error("gaussians", 0.3), abs=1e-6)
    assert summary.bayes_cross_entropy == pytest.approx(playground.bayes_cross_entropy("gaussians", 0.3), abs=1e-6)
    rates = 1 - run.per_frame["val_accuracy"][-1]
    margin = max(2 * np.sqrt(summary.bayes_error_rate * (1 - summary.bayes_error_rate) / 60), 1 / 60)
    assert summary.share_at_bayes == pytest.approx(np.mean(rates <= summary.bayes_error_rate + margin), abs=1e-4)
    assert summary.val_error_rate == pytest.approx(1 - np.median(run.per_frame["val_accuracy"][-1]), abs=1e-6)
