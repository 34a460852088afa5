"""engine.py: the frame schedule, the in-graph loops against plain Keras fit, what a Recording
holds, stacks of nets (each net as if trained alone, nets independent), divergence, stop
requests, bounded memory, and recording one more quantity as a local change.

Training is what costs here (TensorFlow traces each loop anew, and a stack's loop is compiled
with XLA), so every trained run is made once per module (the cached helpers below) and shared
by the tests that read it.
"""

import functools
import resource
import tracemalloc

import numpy as np
import pytest

import config as config_module
import data
import engine
import loop_body
import loop_cache
import models
import quantities
import rundir
import tensorflow as tf  # after engine, which imports it quietly
from conftest import ROOT, assert_close_in_float32

EPOCHS = 300


def small(**values):
    """The shipped 2x10 Adam experiment shrunk to train in about a second (conftest's small_config),
    with `values` changed."""
    config = config_module.load_config(ROOT / "experiments" / "adam_2x10.yaml",
                                       [f"epochs={EPOCHS}", "frames=40", "n_samples=64", "grid_points=50"])
    return config.model_copy(update=values)


def schedule(config):
    return engine.frame_schedule(config.epochs, config.frames)


def fresh(config):
    dataset = data.dataset_for(config)
    model, optimizer = models.model_and_optimizer(config)
    return dataset, model, optimizer


def mean_squared_error(model, x, y):
    """Each net's error of the model's current weights, computed outside the engine: (nets,)."""
    prediction = np.asarray(model(x)).reshape(-1, len(x))
    return np.mean((prediction - y.reshape(1, -1)) ** 2, axis=1)


# --- the frame schedule ------------------------------------------------------------------------

@pytest.mark.parametrize("epochs, frames", [(20000, 200), (1000, 150), (300, 40), (1_000_000, 250), (7, 2)])
def test_frame_schedule_is_sorted_unique_and_spans_the_run(epochs, frames):
    frame_epochs = engine.frame_schedule(epochs, frames)
    assert frame_epochs[0] == 0 and frame_epochs[-1] == epochs
    assert np.all(np.diff(frame_epochs) > 0)
    assert frames <= len(frame_epochs) <= frames + 2 or len(frame_epochs) == epochs + 1


def test_frame_schedule_shows_early_epochs_one_by_one_and_still_covers_the_late_run():
    frame_epochs = engine.frame_schedule(20000, 200)
    assert set(range(0, 11)) <= set(frame_epochs.tolist())
    assert np.sum(frame_epochs > 10000) >= 20  # the slow late learning is not skipped over
    assert np.max(np.diff(frame_epochs)) <= 20000 / 40


@pytest.mark.parametrize("epochs, frames", [(20000, 200), (1000, 150), (1_000_000, 250), (5000, 2000)])
def test_frame_gaps_grow_smoothly_with_no_near_duplicates_or_jumps(epochs, frames):
    gaps = np.diff(engine.frame_schedule(epochs, frames))
    assert np.all(np.diff(gaps[:-1]) >= -1), "a gap never shrinks (but for rounding, and the last one)"
    assert gaps.max() <= 4 * epochs / frames + 1


def test_frame_schedule_takes_every_epoch_when_there_are_few():
    np.testing.assert_array_equal(engine.frame_schedule(10, 50), np.arange(11))


# --- small helpers -------------------------------------------------------------------------------

def test_first_non_finite_epochs_counts_from_one_per_net():
    loss = np.array([[1.0, 1.0, 1.0], [np.inf, 1.0, 1.0], [np.nan, np.nan, 1.0]], dtype=np.float32)
    assert engine.first_non_finite_epochs(loss) == [2, 3, None]
    assert engine.first_non_finite_epochs(np.zeros((0, 2), np.float32)) == [None, None]


def test_chunk_sizer_aims_at_its_target_time_growing_at_most_fourfold_and_up_to_its_cap():
    sizer = engine.ChunkSizer(target_seconds=0.25, first=200, largest=20000)
    assert sizer.size == 200
    sizer.update(200, 0.001)  # very fast epochs: would want 50,000, may grow 4x
    assert sizer.size == 800
    sizer.update(800, 0.002)
    assert sizer.size == 3200
    sizer.update(3200, 0.0001)
    assert sizer.size == 12800
    sizer.update(12800, 0.0001)
    assert sizer.size == 20000  # the cap
    sizer.update(20000, 50.0)  # slow epochs (2.5 ms): a quarter of a second is 100 of them
    assert sizer.size == 100
    sizer.update(100, 1000.0)
    assert sizer.size == 1  # never less than one epoch


# --- one net: the in-graph loop and plain Keras fit agree ------------------------------------

@pytest.mark.parametrize("optimizer", ["adam", "sgd"])
def test_in_graph_engine_matches_plain_keras_fit(optimizer):
    config = small(optimizer=optimizer, learning_rate=0.05)
    epochs, frame_epochs = 6, [0, 1, 3, 6]  # Keras's fit takes a tenth of a second an epoch here

    dataset, model, opt = fresh(config)
    fast = engine.train_in_graph(model, opt, dataset, epochs, np.array(frame_epochs))

    dataset, reference_model, reference_optimizer = fresh(config)
    reference_model.compile(optimizer=reference_optimizer, loss="mse", jit_compile=False)  # no XLA, as the one-net loop
    snapshots = engine.PredictionSnapshots(dataset.x_grid, dataset.x_train, dataset.y_train, frame_epochs=frame_epochs)
    reference_model.fit(
        dataset.x_train, dataset.y_train, batch_size=len(dataset.x_train), epochs=epochs, shuffle=False,
        validation_data=(dataset.x_validation, dataset.y_validation), callbacks=[snapshots], verbose=0,
    )
    reference = snapshots.recording()

    assert fast.per_frame["prediction"].shape == reference.per_frame["prediction"].shape == (4, 1, config.grid_points)
    np.testing.assert_array_equal(fast.frame_epochs, reference.frame_epochs)
    np.testing.assert_allclose(fast.per_frame["prediction"][0], reference.per_frame["prediction"][0], atol=1e-6)
    np.testing.assert_allclose(fast.per_frame["prediction"][-1], reference.per_frame["prediction"][-1], atol=1e-5)
    for name in ("loss", "val_loss"):
        assert fast.per_epoch[name].shape == reference.per_epoch[name].shape == (epochs, 1)
        np.testing.assert_allclose(fast.per_epoch[name], reference.per_epoch[name], rtol=1e-4, err_msg=name)
    np.testing.assert_allclose(fast.per_frame["loss"], reference.per_frame["loss"], rtol=1e-4)
    assert fast.status == reference.status == "completed"
    assert fast.diverged_at_epoch == reference.diverged_at_epoch == [None]
    predictions = fast.per_frame["prediction"]
    assert predictions[-1].std() > 0  # it did learn something to compare
    assert not np.allclose(predictions[0], predictions[-1], atol=1e-3)


# --- one net: what a Recording holds --------------------------------------------------------

def one_net_run(chunk_epochs=None, attempt=0):
    """small()'s net trained with chunk_epochs per call (None: sized by time), and the calls of
    on_chunk; `attempt` only makes a second, separate run. Made once per module."""
    return _one_net_run(chunk_epochs, attempt)


@functools.cache
def _one_net_run(chunk_epochs, attempt):
    config = small()
    dataset, model, optimizer = fresh(config)
    calls = []
    recording = engine.train_in_graph(model, optimizer, dataset, config.epochs, schedule(config),
                                      on_chunk=lambda done, loss: calls.append((done, loss)), chunk_epochs=chunk_epochs)
    return model, recording, calls


def test_recording_holds_every_epoch_and_the_requested_frames():
    config = small()
    _, recording, calls = one_net_run(chunk_epochs=128)
    assert [done for done, _ in calls] == [128, 256, 300]
    # on_chunk's loss is the last epoch's of the chunk (for one net, the median over nets is that net's).
    assert [loss for _, loss in calls] == [float(recording.per_epoch["loss"][done - 1, 0]) for done, _ in calls]
    assert recording.status == "completed" and recording.epochs_completed == 300
    assert recording.diverged_at_epoch == [None] and recording.train_seconds > 0
    assert set(recording.per_epoch) == {"loss", "val_loss", "grad_norm"}
    # Adam's path: the weights, second moments and steps curvature.py works from.
    assert set(recording.per_frame) == {"prediction", "loss", "output_bias", "distinct_units", "saturated_fraction",
                                        "unit_contributions", "weights", "second_moment", "optimizer_steps"}
    for values in recording.per_epoch.values():
        assert values.shape == (300, 1) and values.dtype == np.float32 and np.all(np.isfinite(values))
    np.testing.assert_array_equal(recording.frame_epochs, schedule(config))
    frames = len(recording.frame_epochs)
    assert recording.per_frame["prediction"].shape == (frames, 1, config.grid_points)
    assert recording.per_frame["loss"].shape == (frames, 1)
    assert np.all(np.isfinite(recording.per_frame["prediction"]))
    assert recording.per_epoch["loss"][-1, 0] < recording.per_epoch["loss"][0, 0]


def test_chunking_does_not_change_the_numbers():
    _, by_time, _ = one_net_run()
    for chunk_epochs in (37, 128):  # the default starts with 200, then sizes chunks by their time
        _, other, _ = one_net_run(chunk_epochs=chunk_epochs)
        np.testing.assert_array_equal(other.frame_epochs, by_time.frame_epochs)
        for kind in ("per_epoch", "per_frame"):
            for name, values in getattr(by_time, kind).items():
                np.testing.assert_array_equal(getattr(other, kind)[name], values, err_msg=f"{chunk_epochs}: {name}")


def test_same_config_and_seed_give_identical_numbers():
    _, first, _ = one_net_run()
    _, second, _ = one_net_run(attempt=1)
    np.testing.assert_array_equal(first.frame_epochs, second.frame_epochs)
    for kind in ("per_epoch", "per_frame"):
        for name, values in getattr(first, kind).items():
            np.testing.assert_array_equal(getattr(second, kind)[name], values, err_msg=name)


def test_the_final_training_error_is_that_of_the_final_weights():
    """The last frame is the final weights, and its loss their training error; per epoch, the
    loss is Keras's (that epoch's forward pass, before its update), so the frame of epoch e and
    the loss of epoch e + 1 are the error of the same weights; val_loss is after the update."""
    model, recording, _ = one_net_run()
    dataset = data.dataset_for(small())
    assert recording.frame_epochs[-1] == EPOCHS
    final = mean_squared_error(model, dataset.x_train, dataset.y_train)
    np.testing.assert_allclose(recording.per_frame["loss"][-1], final, rtol=1e-5)
    np.testing.assert_allclose(recording.per_epoch["val_loss"][-1],
                               mean_squared_error(model, dataset.x_validation, dataset.y_validation), rtol=1e-5)
    # Epoch 1's loss is the untrained net's, not the final figure.
    inner = recording.frame_epochs < EPOCHS
    np.testing.assert_allclose(recording.per_frame["loss"][inner],
                               recording.per_epoch["loss"][recording.frame_epochs[inner]], rtol=1e-5)
    assert recording.per_frame["loss"][-1, 0] < recording.per_epoch["loss"][-1, 0] < recording.per_frame["loss"][0, 0]


# --- one net: divergence and stop requests ----------------------------------------------------

def test_a_diverging_run_stops_at_the_first_non_finite_loss():
    config = config_module.load_config(ROOT / "experiments" / "sgd_2x10_diverging.yaml")
    dataset, model, optimizer = fresh(config)
    calls = []
    recording = engine.train_in_graph(model, optimizer, dataset, config.epochs, schedule(config),
                                      on_chunk=lambda done, loss: calls.append(done))
    assert recording.status == "diverged"
    [diverged] = recording.diverged_at_epoch
    assert 1 < diverged < config.epochs
    assert recording.epochs_completed == diverged and calls[-1] == diverged
    loss, val_loss = recording.per_epoch["loss"][:, 0], recording.per_epoch["val_loss"][:, 0]
    assert len(loss) == len(val_loss) == diverged
    assert not np.isfinite(loss[-1]) and np.all(np.isfinite(loss[:-1]))
    assert np.isnan(val_loss[-1]) and np.all(np.isfinite(val_loss[:-2]))  # the last epoch had no update
    # The frames are the schedule's up to the weights that blew up, which end it: their loss is the
    # diverging epoch's.
    frame_epochs = recording.frame_epochs
    assert frame_epochs[-1] == diverged - 1
    np.testing.assert_array_equal(frame_epochs[:-1], [epoch for epoch in schedule(config) if epoch < diverged - 1])
    assert len(recording.per_frame["prediction"]) == len(recording.per_frame["loss"]) == len(frame_epochs)
    assert not np.isfinite(recording.per_frame["loss"][-1, 0])
    assert np.all(np.isfinite(recording.per_frame["loss"][:-1]))


def test_a_stop_request_ends_training_with_the_run_so_far():
    config = small(epochs=100_000)
    dataset, model, optimizer = fresh(config)
    answers = iter([False, True])  # asked before each chunk: stop before the second
    recording = engine.train_in_graph(model, optimizer, dataset, config.epochs, schedule(config), chunk_epochs=64,
                                      should_stop=lambda: next(answers))
    assert recording.status == "interrupted" and recording.epochs_completed == 64
    assert recording.diverged_at_epoch == [None]
    assert recording.per_epoch["loss"].shape == recording.per_epoch["val_loss"].shape == (64, 1)
    frame_epochs = recording.frame_epochs
    # The last frame is where it stopped: the current weights.
    assert frame_epochs[-1] == 64 and np.all(np.diff(frame_epochs) > 0)
    np.testing.assert_array_equal(frame_epochs[:-1], [epoch for epoch in schedule(config) if epoch < 64])
    assert len(recording.per_frame["prediction"]) == len(recording.per_frame["loss"]) == len(frame_epochs)
    np.testing.assert_allclose(recording.per_frame["prediction"][-1, 0], np.asarray(model(dataset.x_grid))[:, 0],
                               atol=1e-6)
    np.testing.assert_allclose(recording.per_frame["loss"][-1], mean_squared_error(model, dataset.x_train,
                                                                                   dataset.y_train), rtol=1e-5)


def test_a_stop_request_before_the_first_epoch_records_only_the_untrained_net():
    config = small()
    dataset, model, optimizer = fresh(config)
    untrained = np.asarray(model(dataset.x_grid))[:, 0]
    recording = engine.train_in_graph(model, optimizer, dataset, config.epochs, schedule(config),
                                      should_stop=lambda: True)
    assert recording.status == "interrupted" and recording.epochs_completed == 0
    assert recording.per_epoch["loss"].shape == recording.per_epoch["val_loss"].shape == (0, 1)
    assert recording.frame_epochs.tolist() == [0] and recording.diverged_at_epoch == [None]
    # Eager model(x) and the compiled loop are different code paths: TensorFlow may pick other
    # kernels for each (oneDNN's or not, by CPU), so they agree within float32 rounding, not bit for bit.
    assert_close_in_float32(recording.per_frame["prediction"][:, 0], [untrained])


# --- stacks of nets ----------------------------------------------------------------------------

def stack_config(optimizer="adam", seeds=3):
    return small(optimizer=optimizer, seeds=seeds, seed=5, data_seed=0)


def poison(model, nets):
    """Set the first-layer weights of the given nets of a stack to NaN."""
    for net in nets:
        net_parts = models.parts_of(model)
        while net >= net_parts[0].members:
            net -= net_parts.pop(0).members
        kernel = net_parts[0].get_layer("hidden_1").kernel
        poisoned = kernel.numpy()
        poisoned[net] = np.nan
        kernel.assign(poisoned)


def stack_run(optimizer="adam", seeds=3, parts=2, poisoned=(), chunk_epochs=None):
    """A stack of `seeds` nets (seeds 5, 6, ...) split into `parts`, the given nets poisoned.
    Made once per module."""
    return _stack_run(optimizer, seeds, parts, tuple(poisoned), chunk_epochs)


@functools.cache
def _stack_run(optimizer, seeds, parts, poisoned, chunk_epochs):
    config = stack_config(optimizer, seeds)
    dataset = data.dataset_for(config)
    model = models.build_stacked_mlp(config.hidden_layers, config.activation, config.member_seeds, parts=parts)
    optimizer = models.build_optimizer(config.optimizer, config.learning_rate)
    poison(model, poisoned)
    return engine.train_in_graph(model, optimizer, dataset, config.epochs, schedule(config), chunk_epochs=chunk_epochs)


@functools.cache
def single_run(optimizer, seed):
    """The net of that seed trained alone, on the stacks' data."""
    config = stack_config(optimizer).model_copy(update={"seeds": 1, "seed": seed})
    dataset, model, opt = fresh(config)
    return engine.train_in_graph(model, opt, dataset, config.epochs, schedule(config))


# Adam with parts=2 also shows that each part has an optimizer of its own: a shared one would
# count every epoch twice, and Adam's bias correction would be wrong.
@pytest.mark.parametrize("optimizer, seeds, parts", [("adam", 3, 2), ("sgd", 2, 1)])
def test_net_k_of_a_stack_matches_a_separate_single_run_with_seed_k(optimizer, seeds, parts):
    config = stack_config(optimizer, seeds)
    stacked = stack_run(optimizer, seeds, parts)
    assert stacked.status == "completed" and stacked.diverged_at_epoch == [None] * seeds
    assert stacked.per_epoch["loss"].shape == stacked.per_epoch["val_loss"].shape == (EPOCHS, seeds)
    assert stacked.per_frame["prediction"].shape == (len(stacked.frame_epochs), seeds, config.grid_points)
    assert stacked.per_frame["loss"].shape == (len(stacked.frame_epochs), seeds)
    for net, seed in enumerate(config.member_seeds):
        single = single_run(optimizer, seed)
        np.testing.assert_array_equal(stacked.frame_epochs, single.frame_epochs)
        np.testing.assert_allclose(stacked.per_frame["prediction"][:, net], single.per_frame["prediction"][:, 0],
                                   atol=1e-4)
        np.testing.assert_allclose(stacked.per_frame["loss"][:, net], single.per_frame["loss"][:, 0], rtol=1e-4)
        for name in ("loss", "val_loss"):
            np.testing.assert_allclose(stacked.per_epoch[name][:, net], single.per_epoch[name][:, 0], rtol=1e-4,
                                       err_msg=name)
        # What a net's units do is its own too (the compiled loop's arithmetic differs in the last
        # bits, and a near-converged gradient or near-identical units magnify that a little).
        np.testing.assert_allclose(stacked.per_epoch["grad_norm"][:, net], single.per_epoch["grad_norm"][:, 0],
                                   rtol=1e-3, atol=1e-6)
        np.testing.assert_allclose(stacked.per_frame["output_bias"][:, net], single.per_frame["output_bias"][:, 0],
                                   atol=1e-4)
        np.testing.assert_allclose(stacked.per_frame["distinct_units"][:, net],
                                   single.per_frame["distinct_units"][:, 0], rtol=1e-2)
        np.testing.assert_allclose(stacked.per_frame["saturated_fraction"][:, net],
                                   single.per_frame["saturated_fraction"][:, 0], atol=0.02)
        if net == 0:
            np.testing.assert_allclose(stacked.per_frame["unit_contributions"], single.per_frame["unit_contributions"],
                                       atol=1e-4)
    last = stacked.per_frame["prediction"][-1]
    assert not np.allclose(last[0], last[1], atol=1e-3)


def test_chunking_does_not_change_a_stacks_numbers():
    """Also across the compiled loop's windows of STACK_CHUNK_EPOCHS epochs and STACK_CHUNK_FRAMES frames."""
    by_time, by_37 = stack_run("sgd", 2, 1), stack_run("sgd", 2, 1, chunk_epochs=37)
    assert len(by_time.frame_epochs) > engine.STACK_CHUNK_FRAMES and EPOCHS > engine.STACK_CHUNK_EPOCHS
    np.testing.assert_array_equal(by_37.frame_epochs, by_time.frame_epochs)
    for kind in ("per_epoch", "per_frame"):
        for name, values in getattr(by_time, kind).items():
            np.testing.assert_array_equal(getattr(by_37, kind)[name], values, err_msg=name)


def test_a_net_going_nan_does_not_touch_the_others_and_is_reported():
    """Nets 1 and 2 start with NaN weights; the stack's parts are nets [0, 1] and [2]."""
    clean, recording = stack_run(), stack_run(poisoned=(1, 2))
    assert recording.status == "completed" and recording.epochs_completed == EPOCHS
    assert recording.diverged_at_epoch == [None, 1, 1]
    assert np.isnan(recording.per_epoch["loss"][:, 1]).all()
    for kind in ("per_epoch", "per_frame"):
        for name, values in getattr(clean, kind).items():
            np.testing.assert_array_equal(getattr(recording, kind)[name][:, 0], values[:, 0], err_msg=name)
    np.testing.assert_array_equal(recording.frame_epochs, clean.frame_epochs)

    config = stack_config()
    summary = rundir.new_run(config, data.dataset_for(config), recording, {"keras": 141, "weights_only": 120}).summary
    assert summary.status == "completed" and summary.diverged_seeds == [6, 7]
    assert [net.diverged_at_epoch for net in summary.nets] == [None, 1, 1]
    assert summary.nets[1].loss is None and summary.loss == pytest.approx(float(clean.per_frame["loss"][-1, 0]))


def test_a_part_whose_nets_all_diverge_stops_while_the_others_train_on():
    """Net 2 is the second part's only net: that part stops, and its records are NaN."""
    recording = stack_run(poisoned=(1, 2))
    for name in ("loss", "val_loss"):
        assert np.isnan(recording.per_epoch[name][:, 2]).all(), name
    assert np.isnan(recording.per_frame["prediction"][1:, 2]).all()
    assert np.isnan(recording.per_frame["loss"][1:, 2]).all()
    # The first part trains on to the end.
    assert np.all(np.isfinite(recording.per_frame["prediction"][:, 0]))
    assert np.all(np.isfinite(recording.per_epoch["val_loss"][:, 0]))


def test_a_stack_stops_when_every_net_has_diverged():
    """Each of its two parts stops at its first epoch; so does the stack."""
    recording = stack_run(poisoned=(0, 1, 2))
    assert recording.status == "diverged" and recording.diverged_at_epoch == [1, 1, 1]
    assert recording.epochs_completed == 1
    assert recording.per_epoch["loss"].shape == recording.per_epoch["val_loss"].shape == (1, 3)
    assert np.isnan(recording.per_epoch["val_loss"]).all()
    assert recording.frame_epochs.tolist() == [0]
    assert recording.per_frame["prediction"].shape == (1, 3, stack_config().grid_points)


# --- inside the net: what its units do ---------------------------------------------------------

def sigmoid(values):
    return 1 / (1 + np.exp(-values))


def numpy_forward(model, x):
    """One net's hidden activations (units, points) per layer and its output weights, from its
    weights alone, in float64 NumPy: an account of the net independent of the engine's."""
    layers = [layer for layer in model.layers if hasattr(layer, "kernel")]
    inputs, hidden = np.asarray(x, np.float64).reshape(-1, 1), []
    for layer in layers[:-1]:
        pre_activation = inputs @ layer.kernel.numpy() + layer.bias.numpy()
        hidden.append(pre_activation.T)
        inputs = sigmoid(pre_activation)
    return hidden, layers[-1].kernel.numpy()[:, 0], float(layers[-1].bias.numpy()[0])


def numpy_effective_rank(activations):
    """Roy and Vetterli's effective rank from NumPy's own singular values (the engine uses eigenvalues)."""
    singular_values = np.linalg.svd(activations - activations.mean(axis=1, keepdims=True), compute_uv=False)
    shares = singular_values / singular_values.sum()
    shares = shares[shares > 0]
    return float(np.exp(-np.sum(shares * np.log(shares))))


@pytest.mark.parametrize("nets", [1, 3])
def test_unit_contributions_sum_with_the_output_bias_to_the_prediction_on_every_frame(nets):
    recording = stack_run("adam", 3, 2) if nets > 1 else one_net_run()[1]
    contributions = recording.per_frame["unit_contributions"]  # the first net's only
    frames, grid_points = len(recording.frame_epochs), small().grid_points
    assert contributions.shape == (frames, 1, small().hidden_layers[-1], grid_points)
    assert recording.per_frame["output_bias"].shape == (frames, nets)
    total = contributions[:, 0].astype(np.float64).sum(axis=1) + recording.per_frame["output_bias"][:, :1]
    prediction = recording.per_frame["prediction"][:, 0]
    # Float precision: a few units in the last place of the terms summed (the model sums them in its own order).
    tolerance = 8 * np.finfo(np.float32).eps * (np.abs(contributions[:, 0]).sum(axis=1) + 1)
    assert np.all(np.abs(total - prediction) <= tolerance)
    assert np.ptp(contributions[-1, 0], axis=1).max() > 0.01  # the units do something: a real test


def test_the_recorded_diagnostics_match_an_independent_account_of_the_final_weights():
    model, recording, _ = one_net_run()
    dataset = data.dataset_for(small())
    hidden, output_kernel, output_bias = numpy_forward(model, dataset.x_train)
    assert recording.per_frame["distinct_units"][-1, 0] == pytest.approx(numpy_effective_rank(sigmoid(hidden[-1])),
                                                                         rel=1e-4)
    slopes = [sigmoid(values) * (1 - sigmoid(values)) for values in hidden]
    saturated = [np.mean(slope < 0.05 * 0.25) for slope in slopes]  # sigmoid's steepest slope is 1/4, at 0
    # Within one (unit, point) of the layer: a slope within float32 rounding of the threshold may
    # fall on either side in float64 NumPy and in TensorFlow's float32 kernels.
    one_slope = 1 / slopes[0].size
    np.testing.assert_allclose(recording.per_frame["saturated_fraction"][-1, 0], saturated, atol=one_slope + 1e-6)
    assert recording.per_frame["output_bias"][-1, 0] == pytest.approx(output_bias)
    grid_hidden, _, _ = numpy_forward(model, dataset.x_grid)
    np.testing.assert_allclose(recording.per_frame["unit_contributions"][-1, 0],
                               sigmoid(grid_hidden[-1]) * output_kernel[:, None], atol=1e-5)


def test_effective_rank_counts_how_many_different_things_the_units_do():
    points = np.linspace(0, 2 * np.pi, 400, endpoint=False)
    rank = lambda activations: float(loop_body.effective_rank(tf.constant(np.asarray(activations, np.float32)[None]))[0])
    wave = np.sin(points)
    assert rank(np.tile(wave, (60, 1))) == pytest.approx(1.0, abs=1e-5)  # 60 identical units
    # The same thing at other scales and offsets is still one thing.
    assert rank(np.array([wave, 3 * wave + 2, -0.5 * wave - 1])) == pytest.approx(1.0, abs=1e-5)
    # Orthogonal, equally strong units: as many things as units.
    orthogonal = np.array([np.cos(k * points) for k in range(1, 9)] + [np.sin(k * points) for k in range(1, 9)])
    assert rank(orthogonal) == pytest.approx(16.0, rel=1e-5)
    # Singular values 3 and 1: shares 3/4 and 1/4, exp of their entropy.
    expected = np.exp(-(0.75 * np.log(0.75) + 0.25 * np.log(0.25)))
    assert rank(np.array([3 * np.cos(points), np.sin(points)])) == pytest.approx(expected, rel=1e-5)
    assert rank(np.full((5, 100), 0.7)) == 0.0  # no unit varies: nothing is done
    # Saturated units whose activations differ by float32 rounding alone do nothing either.
    saturated = np.float32(1.0) - np.random.default_rng(1).integers(0, 3, size=(10, 200)) * np.finfo(np.float32).epsneg
    assert rank(saturated) == 0.0
    # More units than points: the smaller Gram matrix gives the same answer.
    wide = np.random.default_rng(0).normal(size=(50, 20))
    assert rank(wide) == pytest.approx(numpy_effective_rank(wide), rel=1e-5)


@pytest.mark.parametrize("activation, pre_activations, expected", [
    ("sigmoid", [0.0, 1.0, -2.0, 6.0, -8.0, 30.0], 3 / 6),  # |z| > 4.3 puts sigmoid's slope under 5% of 1/4
    ("tanh", [0.0, 0.5, 2.0, -3.0], 1 / 4),  # tanh's slope 1 - tanh^2 is under 0.05 past |z| = 2.2
    ("relu", [-3.0, -0.1, 0.5, 2.0], 2 / 4),  # the inactive side
    ("linear", [-100.0, 0.0, 100.0, 5.0], 0.0),  # a linear unit never saturates
])
def test_saturated_share_is_the_share_of_flat_slopes(activation, pre_activations, expected):
    function = models.keras.activations.get(activation)
    steepest = 0.25 if activation == "sigmoid" else 1.0  # at 0 for sigmoid and tanh, anywhere for the others
    values = tf.constant(np.array(pre_activations, np.float32).reshape(1, 1, -1))
    assert float(loop_body.saturated_share(function, values, steepest)[0]) == pytest.approx(expected)
    assert engine.LoopBody(models.build_mlp([3], activation, seed=0), None,
                           data.dataset_for(small())).steepest_slopes == [pytest.approx(steepest, rel=1e-3)]


@pytest.mark.parametrize("nets", [1, 2])
def test_grad_norm_is_each_nets_gradient_norm_for_its_update(nets):
    """Against tf.GradientTape on the same weights: the first epoch's, from the initial weights."""
    config = stack_config("sgd", nets) if nets > 1 else small(optimizer="sgd")
    dataset = data.dataset_for(config)
    recording = stack_run("sgd", nets, 1) if nets > 1 else one_net_run_sgd()
    for net, seed in enumerate(config.member_seeds):
        model = models.build_mlp(config.hidden_layers, config.activation, seed=seed)
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.square(model(dataset.x_train) - dataset.y_train))
        expected = float(tf.linalg.global_norm(tape.gradient(loss, model.trainable_variables)))
        assert recording.per_epoch["grad_norm"][0, net] == pytest.approx(expected, rel=1e-5)
    assert recording.per_epoch["grad_norm"].shape == (EPOCHS, nets)
    assert np.all(np.isfinite(recording.per_epoch["grad_norm"])) and np.all(recording.per_epoch["grad_norm"] > 0)


@functools.cache
def one_net_run_sgd():
    config = small(optimizer="sgd")
    dataset, model, optimizer = fresh(config)
    return engine.train_in_graph(model, optimizer, dataset, config.epochs, schedule(config))


def test_a_diverged_nets_grad_norm_is_not_a_number_after_it_diverged():
    """Net 1 diverges beside net 0, which trains on in the same part."""
    recording = stack_run(poisoned=(1, 2))
    grad_norm = recording.per_epoch["grad_norm"]
    assert np.all(np.isnan(grad_norm[:, 1:]))
    assert np.all(np.isfinite(grad_norm[:, 0]))


def test_when_the_first_part_has_diverged_the_first_nets_quantities_are_not_a_number():
    """Nets 0 and 1, the first part, start with NaN weights; net 2, the second part, trains on."""
    recording = stack_run(poisoned=(0, 1))
    assert recording.status == "completed" and recording.diverged_at_epoch == [1, 1, None]
    frames = len(recording.frame_epochs)
    assert recording.per_frame["unit_contributions"].shape == (frames, 1, 10, small().grid_points)
    assert np.isnan(recording.per_frame["unit_contributions"]).all()
    assert np.isnan(recording.per_frame["distinct_units"][:, :2]).all()
    # The poisoned nets' output biases are a real zero at the start, and unknown once their part stopped.
    np.testing.assert_array_equal(recording.per_frame["output_bias"][0, :2], [0, 0])
    assert np.isnan(recording.per_frame["output_bias"][1:, :2]).all()
    for name in ("distinct_units", "output_bias"):
        assert np.isfinite(recording.per_frame[name][:, 2]).all(), name
    assert np.isnan(recording.per_frame["saturated_fraction"][:, :2]).all()
    assert np.isfinite(recording.per_frame["saturated_fraction"][:, 2]).all()


def test_unit_contributions_over_the_memory_budget_are_not_recorded():
    assert engine.records_unit_contributions([60], 200, 200)  # the post's 1x60 net: 9.6 MB
    assert not engine.records_unit_contributions([10, 1000], 10_000, 200)
    config = small(grid_points=2000, frames=40, epochs=20)
    dataset, model, optimizer = fresh(config)
    budget = rundir.UNIT_CONTRIBUTIONS_BUDGET
    try:
        rundir.UNIT_CONTRIBUTIONS_BUDGET = 4 * 10 * 2000 * 10  # room for 9 frames, not 21
        recording = engine.train_in_graph(model, optimizer, dataset, config.epochs, schedule(config))
    finally:
        rundir.UNIT_CONTRIBUTIONS_BUDGET = budget
    assert "unit_contributions" not in recording.per_frame
    assert {"distinct_units", "saturated_fraction", "output_bias"} <= set(recording.per_frame)


# --- recording one more quantity: its declaration and its computation ---------------------------

def output_bias(body, gradients=None):
    """Each net's output bias, of the current weights (LoopBody itself describes it per frame, as
    "output_bias", from the recorded weights)."""
    biases = [tf.reshape(part.get_layer("output").bias, [-1]) for part in models.parts_of(body.model)]
    return tf.concat(biases, axis=0)


def record_bias(monkeypatch):
    """Declare "bias" per epoch (after the update) and per frame, and register its computations, for
    this test only."""
    for per, registry, compute in (("epoch", loop_body.EPOCH_COMPUTATIONS, output_bias),
                                   ("frame", loop_body.FRAME_COMPUTATIONS, lambda body: output_bias(body))):
        quantity = quantities.Quantity("bias", per, unit="y", description="the output's bias")
        monkeypatch.setitem(quantities.DECLARED, quantity.key, quantity)
        monkeypatch.setitem(registry, quantity.key, loop_body.Computation(compute))


def output_biases(model):
    return np.concatenate([np.ravel(part.get_layer("output").bias.numpy()) for part in models.parts_of(model)])


@pytest.mark.parametrize("nets", [1, 2])
def test_a_declared_quantity_with_a_computation_reaches_the_recording(monkeypatch, tmp_path, nets):
    plain = stack_run("sgd", 2, 1) if nets > 1 else one_net_run()[1]  # the same nets, recorded without it
    record_bias(monkeypatch)
    config = stack_config("sgd", seeds=2) if nets > 1 else small()
    dataset = data.dataset_for(config)
    if nets > 1:
        model = models.build_stacked_mlp(config.hidden_layers, config.activation, config.member_seeds, parts=1)
        optimizer = models.build_optimizer(config.optimizer, config.learning_rate)
    else:
        model, optimizer = models.model_and_optimizer(config)
    recording = engine.train_in_graph(model, optimizer, dataset, config.epochs, schedule(config))

    frames = len(recording.frame_epochs)
    per_frame, per_epoch = recording.per_frame["bias"], recording.per_epoch["bias"]
    assert per_frame.shape == (frames, nets) and per_epoch.shape == (EPOCHS, nets)
    np.testing.assert_array_equal(per_frame[0], np.zeros(nets))  # biases start at zero
    np.testing.assert_array_equal(per_frame[-1], output_biases(model))  # and end where training left them
    # A frame at epoch e > 0 shows the weights after epoch e's update, which that epoch recorded.
    np.testing.assert_array_equal(per_frame[1:], per_epoch[recording.frame_epochs[1:] - 1])
    assert np.all(np.diff(per_epoch, axis=0) != 0)  # it changes every epoch: a real record
    # The other quantities are untouched, to the bit: recording one more quantity only reads the
    # weights, and must leave every run's numbers as they were (as a refactoring must).
    for kind in ("per_epoch", "per_frame"):
        for name, values in getattr(plain, kind).items():
            np.testing.assert_array_equal(getattr(recording, kind)[name], values, err_msg=name)

    # And the run directory writes and reads it with no change there.
    rundir.write_run(tmp_path / "run", rundir.new_run(config, dataset, recording, models.parameter_counts(model)))
    run = rundir.read_run(tmp_path / "run")
    np.testing.assert_array_equal(run.per_frame["bias"], per_frame)
    np.testing.assert_array_equal(run.per_epoch["bias"], per_epoch)
    assert (tmp_path / "run" / rundir.HISTORY_FILE).read_text().splitlines()[0] == "epoch,loss,val_loss,grad_norm,bias"


# --- long runs ---------------------------------------------------------------------------------

def resident_bytes():
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * resource.getpagesize()


@pytest.mark.slow
def test_long_runs_keep_memory_bounded():
    """From the first quarter of a run on, memory grows by what is recorded (4 bytes an epoch,
    net and per-epoch quantity, and the later frames) at most, and the frames stay as many as
    asked for, however long the run.

    Two measures over the last three quarters of 6,000 epochs: the host's Python and NumPy
    allocations (tracemalloc, exact: a Python float kept each epoch would show), and the resident
    size, which also sees TensorFlow's own memory: on a 1000-point grid a prediction kept each
    epoch would add 18 MB, and a loop traced anew for each chunk about a megabyte a chunk."""
    epochs, chunk_epochs = 6_000, 150
    config = small(epochs=epochs, frames=40, grid_points=1000)
    dataset, model, optimizer = fresh(config)
    samples = []

    def measure(done, loss):
        if not tracemalloc.is_tracing():
            tracemalloc.start()  # once the loop is traced: tracing is not what is measured
        samples.append((done, tracemalloc.get_traced_memory()[0], resident_bytes()))

    try:
        recording = engine.train_in_graph(model, optimizer, dataset, epochs, schedule(config), on_chunk=measure,
                                          chunk_epochs=chunk_epochs)
    finally:
        tracemalloc.stop()
    assert recording.status == "completed" and recording.epochs_completed == epochs
    assert len(samples) == epochs // chunk_epochs and len(recording.frame_epochs) <= config.frames + 2
    start_epoch, start_traced, start_resident = next(sample for sample in samples if sample[0] >= epochs // 4)
    _, end_traced, end_resident = samples[-1]
    later_frames = int(np.sum(recording.frame_epochs > start_epoch))
    frame_bytes = sum(values[0].nbytes for values in recording.per_frame.values())
    recorded = 4 * (epochs - start_epoch) * len(recording.per_epoch) + later_frames * frame_bytes
    assert end_traced - start_traced < recorded + 2**14, f"host allocations grew by {end_traced - start_traced} bytes"
    assert end_resident - start_resident < recorded + 4 * 2**20, \
        f"resident memory grew by {(end_resident - start_resident) / 2**20:.1f} MiB"


# --- points trained standardized --------------------------------------------------------------------

def test_a_net_trained_on_standardized_points_is_recorded_in_the_datas_units():
    """A CSV's points in years and ppm: the same net trained on them (standardized inside the
    engine) and on their standardized copy records the same run, mapped to the data's units."""
    config = small()
    x = np.linspace(1990, 2002, 80)
    dataset = data.dataset_from_points(x, 360 + 3 * np.sin(2 * np.pi * x) + 0.8 * (x - 1990), 0.2, seed=0,
                                       grid_points=50)
    scale = dataset.standardization
    runs = []
    for given in (dataset, scale.training_dataset(dataset)):
        model, optimizer = models.model_and_optimizer(config)
        progress = []
        recording = engine.train_in_graph(model, optimizer, given, config.epochs, schedule(config), chunk_epochs=100,
                                          on_chunk=lambda done, loss: progress.append(loss))
        runs.append((recording, progress, model))
    (in_data_units, progress, model), (in_standard_units, standard_progress, _) = runs

    def expect(name, values, standard, factor, shift=0.0):
        np.testing.assert_allclose(values[name], standard[name].astype(np.float64) * factor + shift, rtol=2e-6,
                                   atol=1e-6 * abs(shift), err_msg=name)

    for name in ("loss", "val_loss", "grad_norm"):
        expect(name, in_data_units.per_epoch, in_standard_units.per_epoch, scale.y_scale**2)
    expect("loss", in_data_units.per_frame, in_standard_units.per_frame, scale.y_scale**2)
    for name in ("prediction", "output_bias"):
        expect(name, in_data_units.per_frame, in_standard_units.per_frame, scale.y_scale, scale.y_shift)
    expect("unit_contributions", in_data_units.per_frame, in_standard_units.per_frame, scale.y_scale)
    for name in ("distinct_units", "saturated_fraction"):
        np.testing.assert_array_equal(in_data_units.per_frame[name], in_standard_units.per_frame[name])
    np.testing.assert_allclose(progress, np.array(standard_progress) * scale.y_scale**2, rtol=1e-6)
    # The final frame's error, worked out here from the final weights, in ppm².
    x_in = (dataset.x_train.astype(np.float64) - scale.x_shift) / scale.x_scale
    prediction = np.asarray(model(x_in.astype(np.float32)), dtype=np.float64) * scale.y_scale + scale.y_shift
    error = np.mean((prediction - dataset.y_train) ** 2)
    assert in_data_units.per_frame["loss"][-1, 0] == pytest.approx(error, rel=1e-5)
    assert error > 0.5, "a few hundred epochs do not fit the seasons: the check is not of a zero"


# --- a loop kept for the next run (a study's worker: loop_cache.LoopCache) --------------------------------

@pytest.mark.parametrize("values", [
    # One net: Adam's slots and step count, minibatches, early stopping with the best weights kept.
    {"seeds": 1, "batch_size": 16, "early_stopping": {"patience": 20, "restore_best_weights": True}},
    # A stack of two parts (XLA), each with its own optimizer, and early stopping.
    {"seeds": 3, "early_stopping": {"patience": 30}},
])
def test_a_kept_loop_trains_the_next_run_bit_for_bit_as_a_loop_built_for_it(values):
    import training

    first = config_module.validate({**config_module.to_plain_dict(small()), **values, "learning_rate": 0.01, "seed": 1})
    second = first.model_copy(update={"learning_rate": 0.03, "seed": 5, "data_seed": 1})
    dataset = data.dataset_for(first)
    loops = loop_cache.LoopCache()
    training.train_run(first, dataset, loops=loops)
    kept = list(loops.loops.values())
    from_kept = training.train_run(second, dataset, loops=loops)
    assert list(loops.loops.values()) == kept  # the second run was trained by the first one's loop
    built_for_it = training.train_run(second, dataset)
    assert from_kept.status == built_for_it.status
    assert [net.stopped_at_epoch for net in from_kept.summary.nets] == [net.stopped_at_epoch for net in built_for_it.summary.nets]
    for kind in ("per_epoch", "per_frame"):
        ours, reference = getattr(from_kept, kind), getattr(built_for_it, kind)
        assert set(ours) == set(reference)
        for name in reference:
            np.testing.assert_array_equal(ours[name], reference[name], err_msg=f"{kind} {name}")
