"""Per-epoch cost of the default training engine against the post's way: Keras fit + model.predict.

    python benchmarks/bench_train.py [--reference-epochs 1000] [--epochs 20000]

The 2x10 sigmoid net with Adam on the default noisy sine (200 points, full batch), recording
the training and held-out loss of every epoch and the prediction on the 200-point grid.

- reference, the post's way: model.fit(...) with a callback that calls model.predict on the
  grid once per epoch (GridPredictions), over --reference-epochs epochs after a short warm-up
  fit, so Keras's one-time set-up is not counted.
- ours, same recording: engine.build_in_graph_loop recording every epoch, over the same number of
  epochs, after its one-time trace.
- ours, as `python train.py` runs it: engine.train_in_graph over --epochs epochs with the default
  frame schedule, start-up and tracing included.

The first two record the same (LossesAndPrediction); the third records everything train.py does.
Then the cost of the look inside the net: train_in_graph as train.py runs it (grad_norm every
epoch; the weights each frame, described after each call) against the same recording only the
losses and the prediction, timed alternately, for the 2x10 and the 1x60 net.

Prints milliseconds per epoch and the ratios, measured in the same run. Targets: >= 300x (the
ratio moves with the machine's load; it has given 370x to 830x); the look inside <= 1.25x.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

import config as config_module  # noqa: E402
import data  # noqa: E402
import engine  # noqa: E402
import models  # noqa: E402


class LossesAndPrediction(engine.LoopBody):
    """The engine recording what the post's way records: each epoch's losses and the prediction."""

    def __init__(self, model, optimizer, dataset, record_units=False, regime=engine.Regime()):
        super().__init__(model, optimizer, dataset, record_units=False, regime=regime)
        self.epoch_shapes = {"val_loss": self.epoch_shapes["val_loss"]}
        self.frame_shapes = {name: self.frame_shapes[name] for name in ("prediction", "loss")}
        self.described_shapes = {}

    def finish_epoch(self, state) -> dict:
        return {"val_loss": super().finish_epoch(state)["val_loss"]}

    def frame(self) -> dict:
        return {
            "prediction": engine.tf.reshape(self.model(self.tensors["x_grid"]), [self.nets, self.grid_points]),
            "loss": engine.net_errors(self.model(self.tensors["x_train"]), self.tensors["y_train"]),
        }


def recording_only_losses_and_prediction(function, *arguments):
    """function(*arguments) with the engine recording only the losses and the prediction."""
    full_body, engine.LoopBody = engine.LoopBody, LossesAndPrediction
    try:
        return function(*arguments)
    finally:
        engine.LoopBody = full_body


def fresh(config):
    dataset = data.dataset_for(config)
    model, optimizer = models.model_and_optimizer(config)
    return dataset, model, optimizer


class GridPredictions(models.keras.callbacks.Callback):
    """The post's way of recording a run: the prediction on the grid, by model.predict, every epoch."""

    def __init__(self, x_grid):
        super().__init__()
        self.x_grid, self.predictions = x_grid, []

    def on_epoch_end(self, epoch, logs=None):
        self.predictions.append(self.model.predict(self.x_grid, verbose=0))


def time_reference(config, epochs: int) -> float:
    """Seconds per epoch of model.fit with a model.predict on the grid after every epoch."""
    dataset, model, optimizer = fresh(config)
    model.compile(optimizer=optimizer, loss="mse")
    fit_arguments = dict(
        x=dataset.x_train, y=dataset.y_train, batch_size=len(dataset.x_train), shuffle=False, verbose=0,
        validation_data=(dataset.x_validation, dataset.y_validation),
    )
    model.fit(epochs=3, callbacks=[GridPredictions(dataset.x_grid)], **fit_arguments)  # warm-up
    recorder = GridPredictions(dataset.x_grid)
    started = time.perf_counter()
    model.fit(epochs=epochs, callbacks=[recorder], **fit_arguments)
    elapsed = time.perf_counter() - started
    assert len(recorder.predictions) == epochs
    return elapsed / epochs


def time_in_graph_every_epoch(config, epochs: int) -> float:
    """Seconds per epoch of the in-graph loop recording every epoch, after its one-time trace."""
    dataset, model, optimizer = fresh(config)
    train_chunk, _, _ = engine.build_in_graph_loop(model, optimizer, dataset)
    train_chunk(np.ones(10, dtype=bool))  # trace once
    started = time.perf_counter()
    done = 0
    while done < epochs:
        count = min(1000, epochs - done)
        train_chunk(np.ones(count, dtype=bool))  # returns NumPy arrays: the work is done
        done += count
    return (time.perf_counter() - started) / epochs


def time_train_in_graph(config, epochs: int) -> float:
    """Seconds per epoch of engine.train_in_graph as train.py runs it, set-up included."""
    started = time.perf_counter()
    dataset, model, optimizer = fresh(config)
    engine.train_in_graph(model, optimizer, dataset, epochs, engine.frame_schedule(epochs, config.frames))
    return (time.perf_counter() - started) / epochs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reference-epochs", type=int, default=1000)
    parser.add_argument("--epochs", type=int, default=20000)
    arguments = parser.parse_args()
    config = config_module.load_config(ROOT / "experiments" / "adam_2x10.yaml")
    n = arguments.reference_epochs

    print(f"2x10 sigmoid net, Adam, {config.n_samples} points full batch, {config.grid_points}-point grid", flush=True)
    reference = time_reference(config, n)
    print(f"reference  the post's way, fit + model.predict every epoch, {n} epochs: {1000 * reference:9.3f} ms/epoch",
          flush=True)
    ours_every = recording_only_losses_and_prediction(time_in_graph_every_epoch, config, n)
    print(f"ours       in-graph loop, every epoch, {n} epochs:              {1000 * ours_every:9.3f} ms/epoch", flush=True)
    ours_run = time_train_in_graph(config, arguments.epochs)
    print(f"ours       train_in_graph, {config.frames} frames, {arguments.epochs} epochs, set-up included: "
          f"{1000 * ours_run:9.3f} ms/epoch", flush=True)
    print(f"ratio (same recording, every epoch): {reference / ours_every:,.0f}x faster (target >= 300x)")
    print(f"ratio (as train.py runs, set-up included): {reference / ours_run:,.0f}x faster")
    print(flush=True)
    for name in ("adam_2x10", "sgd_1x60"):
        time_look_inside(config_module.load_config(ROOT / "experiments" / f"{name}.yaml"), arguments.epochs)


def time_look_inside(config, epochs: int, repeats: int = 4) -> None:
    """Print what recording the inside of the net costs, as train.py runs: the best of `repeats`
    alternate timings with and without it (each first in turn: a process's later runs tend to be
    faster), per epoch of training (the target) and set-up included (which adds tracing the
    description of the frames once: a fixed half second or so)."""
    plain, full = [], []
    for repeat in range(repeats):
        for with_look_inside in ((False, True) if repeat % 2 == 0 else (True, False)):
            if with_look_inside:
                full.append(time_training(config, epochs))
            else:
                plain.append(recording_only_losses_and_prediction(time_training, config, epochs))
    (plain_training, plain_total), (full_training, full_total) = np.min(plain, axis=0), np.min(full, axis=0)
    print(f"{config.name:10} {epochs} epochs, training alone: losses and prediction {1000 * plain_training:.3f} "
          f"ms/epoch, with the look inside {1000 * full_training:.3f}: {full_training / plain_training:.2f}x "
          f"(target <= 1.25x); set-up included: {full_total / plain_total:.2f}x", flush=True)


def time_training(config, epochs: int) -> tuple[float, float]:
    """Seconds per epoch of engine.train_in_graph as train.py runs it: training alone, and with set-up."""
    started = time.perf_counter()
    dataset, model, optimizer = fresh(config)
    recording = engine.train_in_graph(model, optimizer, dataset, epochs, engine.frame_schedule(epochs, config.frames))
    return recording.train_seconds / epochs, (time.perf_counter() - started) / epochs


if __name__ == "__main__":
    main()
