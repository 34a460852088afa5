"""The path a run records for curvature.py: net 0's weights and biases at every frame (every net's
with record.curvature: all), and Adam's or RMSprop's second moments and step count."""

import numpy as np

import config as config_module
import curvature
import data
import engine
import models
import training
from test_knobs import BATCH, config_for


def flat(values: list[np.ndarray]) -> np.ndarray:
    """Keras's weights in frame.weights's layout: each layer's kernel row by row, then its bias."""
    return np.concatenate([np.ravel(value) for value in values])


def trained(config, every_net_path=False):
    dataset = data.dataset_for(config)
    model, optimizer = models.model_and_optimizer(config)
    initial = model.get_weights()
    recording = engine.train_in_graph(model, optimizer, dataset, config.epochs,
                                      engine.frame_schedule(config.epochs, config.frames),
                                      regime=training.regime_of(config), every_net_path=every_net_path)
    return recording, model, optimizer, initial


def test_one_nets_path_is_its_weights_and_adams_second_moments_at_each_frame():
    recording, model, optimizer, initial = trained(config_for(seed=5, epochs=40, frames=10, batch_size=BATCH))
    weights, moments = recording.per_frame["weights"], recording.per_frame["second_moment"]
    assert weights.shape == moments.shape == (len(recording.frame_epochs), 1, 2 * 10 + 11 * 10 + 11)
    np.testing.assert_array_equal(weights[0, 0], flat(initial))
    np.testing.assert_array_equal(weights[-1, 0], flat(model.get_weights()))
    velocities = [optimizer._velocities[optimizer._get_variable_index(variable)].numpy()
                  for variable in model.trainable_variables]
    np.testing.assert_array_equal(moments[-1, 0], flat(velocities))
    assert np.all(moments[0] == 0) and np.all(moments[1:] > 0)
    # Three steps an epoch: 64 points in batches of 24, 24 and 16.
    np.testing.assert_array_equal(recording.per_frame["optimizer_steps"][:, 0], 3 * recording.frame_epochs)


def test_plain_sgd_records_the_weights_alone():
    recording, *_ = trained(config_for(seed=5, epochs=10, frames=5, optimizer="sgd"))
    assert "weights" in recording.per_frame
    assert "second_moment" not in recording.per_frame and "optimizer_steps" not in recording.per_frame


def test_a_stacks_every_net_path_matches_single_runs_in_each_part():
    settings = dict(epochs=30, frames=8, optimizer="rmsprop", learning_rate=0.003, data_seed=0)
    stacked, *_ = trained(config_for(seed=5, seeds=3, **settings), every_net_path=True)
    assert stacked.per_frame["weights"].shape[1] == stacked.per_frame["second_moment"].shape[1] == 3
    config = config_for(seed=5, **settings)
    dataset = data.dataset_for(config)
    objective = curvature.Net([1, *config.hidden_layers, 1], config.activations, dataset.x_train.reshape(-1).astype(float),
                              dataset.y_train.reshape(-1).astype(float))
    for net, seed in ((0, 5), (2, 7)):  # a net of each part (models.parts_of: 2 parts)
        single, *_ = trained(config_for(seed=seed, **settings))
        for name in ("weights", "second_moment"):
            np.testing.assert_allclose(stacked.per_frame[name][:, net], single.per_frame[name][:, 0], rtol=1e-3,
                                       atol=1e-6, err_msg=name)
        # The member's spectrum is the single run's, to 1e-3 of the largest eigenvalue.
        member, alone = (curvature.eigenvalues(objective, np.asarray(rows, float))
                         for rows in (stacked.per_frame["weights"][:, net], single.per_frame["weights"][:, 0]))
        largest = np.abs(alone).max(axis=1, keepdims=True)
        assert np.all(np.abs(member - alone) <= 1e-3 * largest)


def test_the_curvature_is_of_the_objective_the_nets_minimised_generated_or_standardized(tmp_path):
    """A frame's objective at its recorded weights is its recorded training error: in the data's
    units for generated points, in the standardized ones (the error over y_scale²) for a CSV."""
    import curvature
    import rundir

    points = tmp_path / "points.csv"
    points.write_text("x,y\n" + "".join(f"{1990 + 0.5 * index},{300 + 40 * np.sin(index / 5)}\n" for index in range(60)))
    for config in (config_for(seed=5, epochs=30, frames=6, l2=1e-3),
                   config_module.validate({"name": "csv", "data_file": str(points), "seed": 5, "epochs": 30, "frames": 6,
                                           "grid_points": 50}, "test")):
        dataset = data.dataset_for(config)
        recording, *_ = trained(config)
        run = rundir.new_run(config, dataset, recording, {"keras": 0, "weights_only": 0})
        spectrum = curvature.spectrum_of_run(run)
        scale = 1.0 if dataset.standardization is None else dataset.standardization.y_scale**2
        penalty = 1e-3 * np.array([sum(np.sum(kernel[0] ** 2) for kernel, _ in curvature.unpack(
            curvature.net_of_run(run), run.per_frame["weights"][frame].astype(float))) for frame in range(6)])
        penalty = penalty if config.l2 else 0.0
        np.testing.assert_allclose(spectrum.objective[:, 0], run.frame_loss[:, 0] / scale + penalty, rtol=2e-5)
        assert spectrum.eigenvalues.shape == (6, 1, run.per_frame["weights"].shape[-1])


def test_animate_works_out_the_curvature_of_a_run_trained_without_and_keeps_the_setting(tmp_path):
    import rendering
    import rundir

    config = config_for(seed=5, epochs=20, frames=5, record={"curvature": "none"})
    recording, *_ = trained(config)
    run = rundir.new_run(config, data.dataset_for(config), recording, {"keras": 0, "weights_only": 0})
    rundir.write_run(tmp_path, run)
    rendering.render_run(tmp_path)
    assert not any((tmp_path / name).exists() for name in rundir.CURVATURE_FILES)
    assert "record.curvature is none" in (tmp_path / "report.html").read_text()
    rendering.render_run(tmp_path, ["record.curvature=net0"])
    assert rundir.read_run(tmp_path).config.record.curvature == "net0"  # config.yaml keeps it
    rendering.render_run(tmp_path)  # drawn again as it now is: its page agrees with its files
    assert all((tmp_path / name).is_file() for name in rundir.CURVATURE_FILES)
    assert "not worked out" not in (tmp_path / "report.html").read_text()
    with np.load(tmp_path / "curvature.npz") as arrays:
        assert arrays["spectrum.eigenvalues"].shape == (5, 1, 141)
