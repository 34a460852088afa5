"""The training regime's knobs in the in-graph loops (engine.py, loop_body.py): minibatches in an
order drawn from the data seed, learning-rate schedules, l1/l2 penalties and weight decay, early
stopping; each against Keras's own fit, schedule, regularizer or callback, and a stack's nets
against single runs. Runs are made once per module and shared.
"""

import functools

import numpy as np
import pytest

import data
from config import ExperimentConfig
import engine
import models
import tensorflow as tf  # after engine, which imports it quietly
from test_engine import small

keras = models.keras
EPOCHS = 120
BATCH = 24  # 64 training points: two batches of 24 and one of 16


def config_for(**values):
    """The small experiment with `values` set, validated as a config file's would be."""
    return ExperimentConfig.model_validate({**small().model_dump(exclude_unset=True), "epochs": EPOCHS, "frames": 30,
                                            **values})


def optimizer_for(name="adam", learning_rate=0.01, **options):
    return models.build_optimizer(name, learning_rate, **options)


@functools.cache
def one_net(regime: engine.Regime, chunk_epochs=None, optimizer="adam", learning_rate=0.01, seed=5, epochs=EPOCHS):
    config = config_for(seed=seed, data_seed=0)
    dataset = data.dataset_for(config)
    model = models.build_mlp(config.hidden_layers, config.activation, seed=seed)
    return engine.train_in_graph(model, optimizer_for(optimizer, learning_rate), dataset, epochs,
                                 engine.frame_schedule(epochs, config.frames), chunk_epochs=chunk_epochs, regime=regime)


MINIBATCHES = engine.Regime(batch_size=BATCH, data_seed=0)


def test_an_epochs_order_is_a_permutation_drawn_from_the_data_seed_and_epoch_alone():
    order = engine.epoch_order(0, 3, 64).numpy()
    assert sorted(order) == list(range(64))
    np.testing.assert_array_equal(order, engine.epoch_order(0, 3, 64).numpy())
    assert not np.array_equal(order, engine.epoch_order(0, 4, 64).numpy())
    assert not np.array_equal(order, engine.epoch_order(1, 3, 64).numpy())
    # The stacked loop is compiled with XLA: the order must be the same there.
    compiled = tf.function(lambda epoch: engine.epoch_order(0, epoch, 64), jit_compile=True)
    np.testing.assert_array_equal(order, compiled(tf.constant(3, tf.int64)).numpy())


def test_minibatch_numbers_do_not_depend_on_the_chunk_size():
    by_time, by_7 = one_net(MINIBATCHES), one_net(MINIBATCHES, chunk_epochs=7)
    for kind in ("per_epoch", "per_frame"):
        for name, values in getattr(by_time, kind).items():
            np.testing.assert_array_equal(getattr(by_7, kind)[name], values, err_msg=name)
    assert set(by_time.per_epoch) == {"loss", "val_loss", "grad_norm", "batch_loss"}


def test_a_batch_of_all_the_points_is_full_batch_bit_for_bit():
    full, whole = one_net(engine.Regime()), one_net(engine.Regime(batch_size=64))
    for kind in ("per_epoch", "per_frame"):
        for name, values in getattr(full, kind).items():
            np.testing.assert_array_equal(getattr(whole, kind)[name], values, err_msg=name)


def test_a_minibatch_run_follows_keras_fit_on_the_same_batches_in_the_same_order():
    config = config_for(seed=5, data_seed=0)
    dataset = data.dataset_for(config)
    model = models.build_mlp(config.hidden_layers, config.activation, seed=5)
    model.compile(optimizer=optimizer_for(), loss="mse")
    x, y = dataset.x_train, dataset.y_train
    first_epoch_losses = []
    for epoch in range(EPOCHS):
        order = engine.epoch_order(0, epoch, len(x)).numpy()
        history = model.fit(x[order], y[order], batch_size=BATCH, shuffle=False, epochs=1, verbose=0)
        first_epoch_losses.append(history.history["loss"][0])
    ours = one_net(MINIBATCHES)
    # Keras's per-epoch loss is the batch-size-weighted mean of the batches' losses.
    np.testing.assert_allclose(ours.per_epoch["batch_loss"][:, 0], first_epoch_losses, rtol=1e-4)
    np.testing.assert_allclose(ours.per_frame["prediction"][-1, 0], np.asarray(model(dataset.x_grid)).ravel(),
                               atol=1e-4)
    # The recorded training error is of every point, with the weights the epoch starts from.
    full_batch_error = np.mean((np.asarray(model(x)) - y) ** 2)
    np.testing.assert_allclose(ours.per_frame["loss"][-1, 0], full_batch_error, rtol=1e-4)


def test_a_schedules_recorded_rate_is_the_keras_schedules_rate_at_each_epochs_last_step():
    schedule = keras.optimizers.schedules.CosineDecay(0.05, decay_steps=EPOCHS * 3 // 2, warmup_target=0.1,
                                                      warmup_steps=20)
    config = config_for(seed=5, data_seed=0)
    dataset = data.dataset_for(config)
    for regime, steps_per_epoch in ((engine.Regime(), 1), (MINIBATCHES, 3)):
        model = models.build_mlp(config.hidden_layers, config.activation, seed=5)
        recording = engine.train_in_graph(model, keras.optimizers.Adam(learning_rate=schedule), dataset, 40,
                                          engine.frame_schedule(40, 10), regime=regime)
        last_steps = np.arange(1, 41) * steps_per_epoch - 1
        expected = [float(schedule(step)) for step in last_steps]
        np.testing.assert_allclose(recording.per_epoch["learning_rate"][:, 0], expected, rtol=1e-6)


def test_the_penalty_is_the_keras_regularizers_value_and_is_in_the_objective():
    regime = engine.Regime(l1=1e-3, l2=1e-2)
    config = config_for(seed=5, data_seed=0)
    model = models.build_mlp(config.hidden_layers, config.activation, seed=5)
    regularizer = keras.regularizers.L1L2(l1=1e-3, l2=1e-2)
    initial = sum(float(regularizer(layer.kernel)) for layer in model.layers if hasattr(layer, "kernel"))
    penalized = one_net(regime)
    assert penalized.per_epoch["penalty"][0, 0] == pytest.approx(initial, rel=1e-5)
    plain = one_net(engine.Regime())
    # The penalty shrinks the kernels: the penalized net ends with a smaller penalty than the plain
    # net's weights would have.
    assert penalized.per_epoch["penalty"][-1, 0] < penalized.per_epoch["penalty"][0, 0]
    assert not np.allclose(penalized.per_frame["prediction"][-1], plain.per_frame["prediction"][-1])


def test_weight_decay_records_the_kernels_norm_and_leaves_biases_to_the_gradient():
    config = config_for(seed=5, data_seed=0)
    dataset = data.dataset_for(config)
    model = models.build_mlp(config.hidden_layers, config.activation, seed=5)
    optimizer = optimizer_for("sgd", 0.1, weight_decay=0.5)
    optimizer.exclude_from_weight_decay(var_names=["bias"])
    recording = engine.train_in_graph(model, optimizer, dataset, 30, engine.frame_schedule(30, 10))
    kernels = [layer.kernel for layer in model.layers if hasattr(layer, "kernel")]
    assert recording.per_epoch["kernel_norm"].shape == (30, 1)
    assert recording.per_epoch["kernel_norm"][-1, 0] < recording.per_epoch["kernel_norm"][0, 0]
    # The last recorded norm is of the weights before the last epoch's update; one more step shrinks them.
    assert float(tf.sqrt(sum(tf.reduce_sum(kernel**2) for kernel in kernels))) < recording.per_epoch["kernel_norm"][-1, 0]


EARLY = engine.Regime(batch_size=BATCH, data_seed=0, patience=4, min_delta=1e-4, restore_best_weights=True)


def keras_early_stopping(held_out: np.ndarray, patience: int, min_delta: float):
    """Keras's EarlyStopping fed the given held-out errors: (stopped epoch or None, best epoch),
    counted as epochs completed."""
    callback = keras.callbacks.EarlyStopping(monitor="val_loss", patience=patience, min_delta=min_delta,
                                             restore_best_weights=True)
    holder = models.build_mlp([2], "sigmoid", seed=0)
    holder.stop_training = False
    callback.set_model(holder)
    callback.on_train_begin()
    for epoch, value in enumerate(held_out):
        callback.on_epoch_end(epoch, {"val_loss": float(value)})
        if holder.stop_training:
            return epoch + 1, callback.best_epoch + 1
    return None, callback.best_epoch + 1


def test_early_stopping_stops_where_keras_would_on_the_same_held_out_errors():
    stopped = one_net(EARLY, epochs=2000)
    assert stopped.status == "stopped_early"
    stop, best = keras_early_stopping(stopped.per_epoch["val_loss"][:, 0], EARLY.patience, EARLY.min_delta)
    assert stopped.stopped_at_epoch == [stop] and stopped.best_epoch == [best]
    assert stopped.epochs_completed == stop and stopped.frame_epochs[-1] == stop
    # The final frame shows the restored best weights: their held-out error is the best epoch's.
    assert stopped.restored_best_weights
    np.testing.assert_allclose(stopped.per_frame["loss"][-1, 0], stopped.per_epoch["loss"][best, 0], rtol=1e-5)
    assert one_net(EARLY, chunk_epochs=5, epochs=2000).stopped_at_epoch == [stop]


def test_restored_best_weights_end_a_run_that_never_stopped_as_keras_3_has_it():
    regime = engine.Regime(patience=10_000, restore_best_weights=True)
    run = one_net(regime, epochs=60)
    assert run.status == "completed" and run.stopped_at_epoch == [None]
    best = run.best_epoch[0]
    assert best == int(np.argmin(run.per_epoch["val_loss"][:, 0])) + 1
    assert run.frame_epochs[-1] == 60 and len(run.frame_epochs) == len(set(run.frame_epochs))


@functools.cache
def knobs_stack(seeds=(5, 6, 7), parts=2):
    config = config_for(seed=seeds[0], seeds=len(seeds), data_seed=0)
    dataset = data.dataset_for(config)
    model = models.build_stacked_mlp(config.hidden_layers, config.activation, list(seeds), parts=parts)
    return engine.train_in_graph(model, optimizer_for(), dataset, 1000, engine.frame_schedule(1000, 30),
                                 regime=STACK_REGIME)


STACK_REGIME = engine.Regime(batch_size=BATCH, data_seed=0, l2=1e-4, patience=15, min_delta=1e-4, restore_best_weights=True)


def test_each_net_of_a_stack_with_every_knob_matches_a_single_run_and_stops_on_its_own():
    stacked = knobs_stack()
    singles = [one_net(STACK_REGIME, seed=seed, epochs=1000) for seed in (5, 6, 7)]
    stops = [single.stopped_at_epoch[0] for single in singles]
    assert stacked.stopped_at_epoch == stops and len(set(stops)) > 1, "the nets should stop at different epochs"
    assert stacked.best_epoch == [single.best_epoch[0] for single in singles]
    assert stacked.status == "stopped_early" and stacked.epochs_completed == max(stops)
    for net, single in enumerate(singles):
        mine = slice(0, stops[net])
        for name in ("loss", "val_loss", "batch_loss", "penalty"):
            np.testing.assert_allclose(stacked.per_epoch[name][mine, net], single.per_epoch[name][:, 0], rtol=1e-4,
                                       err_msg=name)
        # After its stop a net keeps its weights while the others train.
        later = stacked.per_epoch["val_loss"][stops[net]:, net]
        assert np.all(later == later[0]) if len(later) else True
        np.testing.assert_allclose(stacked.per_frame["prediction"][-1, net], single.per_frame["prediction"][-1, 0],
                                   atol=1e-4)


def test_a_stack_of_per_layer_activations_a_schedule_and_weight_decay_matches_single_runs():
    """The knobs a config sets beyond the regime: per-layer activations (sin among them), another
    initializer, a schedule, decoupled weight decay; built by models.model_and_optimizer."""
    import training

    settings = dict(activation=["tanh", "sin"], kernel_initializer="lecun_normal", optimizer="adam", weight_decay=0.01,
                    learning_rate={"schedule": "cosine_decay", "initial_learning_rate": 0.01, "decay_steps": 100},
                    batch_size=BATCH, data_seed=0, epochs=30, frames=10)
    stacked_config = config_for(seed=5, seeds=2, **settings)
    dataset = data.dataset_for(stacked_config)
    model, optimizer = models.model_and_optimizer(stacked_config)
    stacked = engine.train_in_graph(model, optimizer, dataset, 30, engine.frame_schedule(30, 10),
                                    regime=training.regime_of(stacked_config))
    assert {"learning_rate", "kernel_norm", "batch_loss"} <= set(stacked.per_epoch)
    for net, seed in ((1, 6),):  # the second part's net (net 0's part is checked by the other stack tests)
        config = config_for(seed=seed, **settings)
        model, optimizer = models.model_and_optimizer(config)
        single = engine.train_in_graph(model, optimizer, dataset, 30, engine.frame_schedule(30, 10),
                                       regime=training.regime_of(config))
        for name in ("loss", "val_loss", "kernel_norm", "learning_rate"):
            np.testing.assert_allclose(stacked.per_epoch[name][:, net], single.per_epoch[name][:, 0], rtol=1e-4,
                                       err_msg=name)
        np.testing.assert_allclose(stacked.per_frame["saturated_fraction"][:, net],
                                   single.per_frame["saturated_fraction"][:, 0], atol=0.02)
