"""Train a tiny net on the noisy sine, recording its prediction as it learns, and write a run.

    python train.py --config experiments/adam_2x10.yaml [--set epochs=2000] [--output-dir DIR]

The run directory (output/<name>/ by default) holds everything the pictures need; animate.py
draws them from it, and this script calls it once training is done.

Two ways to record a run live here:
- train_in_graph(): the default engine. The whole epoch loop runs inside one tf.function, a
  chunk of epochs per call, so recording a prediction costs no Python round trip.
- PredictionSnapshots: a plain Keras callback for model.fit(), the way the post did it. It is
  kept as the reference the fast engine is tested against, and for use in your own Keras code.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import json
import os
import signal
import sys
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

if __name__ == "__main__":
    # A Ctrl-C while the libraries below load ends quietly: nothing has been done yet.
    signal.signal(signal.SIGINT, lambda *_: sys.exit(130))

import numpy as np
import yaml

import config as config_module
import outputs
from config import ConfigError, ExperimentConfig
from data import Dataset, dataset_for

# TensorFlow is imported only once a config has been checked (see _keras()), so that a mistake
# in a config is reported at once, without a few seconds of TensorFlow start-up first.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

RUN_FILES = ("config.yaml", "history.csv", "snapshots.npz", "summary.json", "fit.gif", "loss.png")
# A run of many seeds has pictures of all of them instead of fit.gif and loss.png.
SEEDS_RUN_FILES = RUN_FILES[:4] + ("seeds.gif", "seeds.png")
# What a run directory may hold; summary.json, with its "status", marks it as a run.
RUN_OUTPUT = outputs.OutputKind("a run", frozenset(RUN_FILES + SEEDS_RUN_FILES), "summary.json", "status")
# The fixed sizes of one compiled call of the stacked training loop (see _compiled_stack_loop):
# 128 epochs of 50 nets take about a sixth of a second.
STACK_CHUNK_EPOCHS, STACK_CHUNK_FRAMES = 128, 16
# A net "reaches the noise floor" when its held-out error ends within 10% of sigma squared.
AT_FLOOR_TOLERANCE = 1.10


def frame_schedule(epochs: int, frames: int) -> np.ndarray:
    """The epochs whose prediction becomes a frame: 0 (the untrained net) up to the last epoch.

    The gap between frames grows in proportion to the epoch (every epoch at first, where the
    fast early learning happens, then geometrically) up to a cap of 4 * epochs / frames, the gap
    of a quarter of the frames spread evenly, so that the long late stretch, where SGD's
    plateaus and slow escapes happen, is not passed over in a handful of frames. One growth
    rate, found by bisection, gives about `frames` frames: no near-duplicate frames, no jumps.
    """
    if frames >= epochs + 1:
        return np.arange(epochs + 1)
    largest_gap = max(4 * epochs / frames, 1.0)

    def schedule(growth: float) -> np.ndarray:
        epoch, chosen = 0.0, [0]
        while epoch < epochs:
            epoch += min(max(growth * epoch, 1.0), largest_gap)
            chosen.append(min(int(round(epoch)), epochs))
        return np.unique(chosen)

    slow, fast = 0.0, 1.0  # growth rates giving too many and too few frames
    while len(schedule(fast)) > frames and fast < 1e6:  # a few frames: [0, 1, ...] at the least
        fast *= 2
    for _ in range(50):
        middle = (slow + fast) / 2
        slow, fast = (middle, fast) if len(schedule(middle)) > frames else (slow, middle)
    return schedule(fast)


@dataclass
class Recording:
    """What a training run recorded: the per-epoch losses and the frames."""

    frame_epochs: np.ndarray  # (frames,) int64, epoch 0 is the untrained net
    predictions: np.ndarray  # (frames, grid_points) float32: the net's output on the grid
    frame_loss: np.ndarray  # (frames,) training MSE of exactly the weights drawn in each frame
    loss: np.ndarray  # (epochs,) float64 training MSE as Keras reports it for each epoch
    val_loss: np.ndarray  # (epochs,) float64 held-out MSE after each epoch's update
    status: str = "completed"
    train_seconds: float = 0.0
    extra: dict = field(default_factory=dict)

    @property
    def epochs_completed(self) -> int:
        return int(len(self.loss))


def _keras():
    import models

    return models.keras


def _member_errors(prediction, target):
    """Each net's mean squared error, shape (members,): prediction is (batch, 1) for one net
    (one member) or (members, batch, 1) for a stack of nets."""
    import tensorflow as tf

    return tf.reshape(tf.reduce_mean(tf.square(prediction - target), axis=[-2, -1]), [-1])


def build_in_graph_loop(model, optimizer, dataset: Dataset):
    """A function that trains for up to len(frame_mask) full-batch epochs without leaving the graph.

    It returns each epoch's training loss of every member (computed in that epoch's forward pass,
    as Keras's fit reports it) and held-out loss (after that epoch's update), and at every epoch
    where frame_mask is true each member's prediction on the grid and the training loss of those
    same weights, as NumPy arrays. A model is one net, or a stack of nets
    (models.build_stacked_mlp) trained on the sum of their losses, which leaves each net's
    gradients its own. It stops at the first epoch whose loss is not finite (for a stack: at
    which no net's loss is finite), without recording that epoch's held-out loss, so the losses
    it returns are one longer than the held-out losses exactly when the run diverged. One net
    stops before that epoch's update, so its weights stay those that gave the last finite loss.
    """
    import tensorflow as tf

    tensors = {name: tf.constant(value) for name, value in dataset._asdict().items()}
    members = getattr(model, "members", 1)
    grid_points = int(dataset.x_grid.shape[0])

    @tf.function
    def snapshot():
        prediction = tf.reshape(model(tensors["x_grid"]), [members, grid_points])
        return prediction, _member_errors(model(tensors["x_train"]), tensors["y_train"])

    if members > 1:
        return _stack_chunk_trainer(model, optimizer, tensors), snapshot

    variables = model.trainable_variables
    optimizer.build(variables)

    @tf.function(input_signature=[tf.TensorSpec([None], tf.bool)])
    def train_chunk_one_net(frame_mask):
        def array(*shape):
            return tf.TensorArray(tf.float32, size=0, dynamic_size=True, element_shape=list(shape))

        losses, validation_losses, frames, frame_losses = array(1), array(1), array(1, grid_points), array(1)
        frame_index = 0
        for epoch in tf.range(tf.shape(frame_mask)[0]):
            with tf.GradientTape() as tape:
                member_losses = _member_errors(model(tensors["x_train"], training=True), tensors["y_train"])
                loss = tf.reduce_sum(member_losses)
            losses = losses.write(epoch, member_losses)
            if not tf.reduce_all(tf.math.is_finite(member_losses)):
                break  # before the update: the weights stay those that gave the last finite loss
            gradients = tape.gradient(loss, variables)
            optimizer.apply_gradients(zip(gradients, variables))
            validation_losses = validation_losses.write(
                epoch, _member_errors(model(tensors["x_validation"]), tensors["y_validation"]))
            if frame_mask[epoch]:
                frames = frames.write(frame_index, tf.reshape(model(tensors["x_grid"]), [1, grid_points]))
                frame_losses = frame_losses.write(frame_index, _member_errors(model(tensors["x_train"]), tensors["y_train"]))
                frame_index += 1
        return losses.stack(), validation_losses.stack(), frames.stack(), frame_losses.stack()

    def train_chunk(frame_mask):
        return tuple(array.numpy() for array in train_chunk_one_net(frame_mask))

    return train_chunk, snapshot


def _compiled_stack_loop(model, optimizer, tensors: dict):
    """One stack of nets' training loop for at most STACK_CHUNK_EPOCHS epochs, compiled with XLA.

    XLA fuses the many small per-net operations: more than twice the throughput of TensorFlow's
    own kernels for 100 nets. (For one net XLA was slower, so single runs do without.) XLA needs
    fixed sizes, so a call runs at most STACK_CHUNK_EPOCHS epochs (num_epochs of them) and records
    at most STACK_CHUNK_FRAMES frames, into buffers of those sizes.
    """
    import tensorflow as tf

    members, grid_points = model.members, int(tensors["x_grid"].shape[0])
    variables = model.trainable_variables
    optimizer.build(variables)

    def step():
        with tf.GradientTape() as tape:
            member_losses = _member_errors(model(tensors["x_train"], training=True), tensors["y_train"])
            loss = tf.reduce_sum(member_losses)
        optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))
        return member_losses, _member_errors(model(tensors["x_validation"]), tensors["y_validation"])

    @tf.function(jit_compile=True)
    def train_fixed_chunk(frame_mask, num_epochs):
        losses = tf.TensorArray(tf.float32, size=STACK_CHUNK_EPOCHS, element_shape=[members])
        validation_losses = tf.TensorArray(tf.float32, size=STACK_CHUNK_EPOCHS, element_shape=[members])
        frames = tf.TensorArray(tf.float32, size=STACK_CHUNK_FRAMES, element_shape=[members, grid_points])
        frame_losses = tf.TensorArray(tf.float32, size=STACK_CHUNK_FRAMES, element_shape=[members])
        frame_index, attempted, completed = 0, 0, 0
        # The loop's bound is a constant, since XLA would compile anew for every distinct bound.
        for epoch in tf.range(STACK_CHUNK_EPOCHS):
            if epoch >= num_epochs:
                break
            member_losses, member_validation_losses = step()
            losses = losses.write(epoch, member_losses)
            attempted += 1
            # A net whose loss is no longer finite only spoils its own weights; the loop stops
            # when every net has diverged.
            if not tf.reduce_any(tf.math.is_finite(member_losses)):
                break
            validation_losses = validation_losses.write(epoch, member_validation_losses)
            completed += 1
            if frame_mask[epoch]:
                frames = frames.write(frame_index, tf.reshape(model(tensors["x_grid"]), [members, grid_points]))
                frame_losses = frame_losses.write(frame_index, _member_errors(model(tensors["x_train"]), tensors["y_train"]))
                frame_index += 1
        return (losses.stack(), validation_losses.stack(), frames.stack(), frame_losses.stack(),
                attempted, completed, frame_index)

    def train(frame_mask: np.ndarray, num_epochs: int):
        *arrays, attempted, completed, frame_count = train_fixed_chunk(frame_mask, tf.constant(num_epochs))
        attempted, completed, frame_count = int(attempted), int(completed), int(frame_count)
        return (arrays[0].numpy()[:attempted], arrays[1].numpy()[:completed],
                arrays[2].numpy()[:frame_count], arrays[3].numpy()[:frame_count])

    return train


def _stack_chunk_trainer(model, optimizer, tensors: dict):
    """train_chunk for a stack of nets: each of its parts (models.parts_of) on a thread of its own.

    One compiled loop keeps about one core busy whatever the size of its stack; with one part per
    core the parts train at the same time (about 1.5x the throughput on 2 cores). Each part needs
    an optimizer of its own: one shared optimizer would count every epoch once per part (and
    Adam's bias correction depends on that count). The first part takes `optimizer`, the others
    copies of it.
    A part whose nets have all diverged stops; its nets' later records are NaN. The stack stops
    when every part has.
    """
    import models

    parts = models.parts_of(model)
    optimizers = [optimizer] + [type(optimizer).from_config(optimizer.get_config()) for _ in parts[1:]]
    part_loops = [_compiled_stack_loop(part, part_optimizer, tensors) for part, part_optimizer in zip(parts, optimizers)]
    columns = np.cumsum([0] + [part.members for part in parts])
    running = list(range(len(parts)))
    grid_points = int(tensors["x_grid"].shape[0])

    def train_window(executor, frame_mask: np.ndarray, num_epochs: int) -> tuple[np.ndarray, ...]:
        padded = np.zeros(STACK_CHUNK_EPOCHS, dtype=bool)
        padded[:num_epochs] = frame_mask
        results = dict(zip(running, executor.map(lambda index: part_loops[index](padded, num_epochs), running)))
        epochs_attempted = max(len(result[0]) for result in results.values())
        epochs_completed = max(len(result[1]) for result in results.values())
        frame_count = max(len(result[2]) for result in results.values())
        window = (np.full((epochs_attempted, model.members), np.nan, dtype=np.float32),
                  np.full((epochs_completed, model.members), np.nan, dtype=np.float32),
                  np.full((frame_count, model.members, grid_points), np.nan, dtype=np.float32),
                  np.full((frame_count, model.members), np.nan, dtype=np.float32))
        for index, result in results.items():
            for whole, piece in zip(window, result):
                whole[: len(piece), columns[index] : columns[index + 1]] = piece
            if len(result[1]) < len(result[0]):
                running.remove(index)  # every net of this part has diverged
        return window

    def train_chunk(frame_mask):
        # Split the chunk into windows of at most STACK_CHUNK_EPOCHS epochs and STACK_CHUNK_FRAMES frames.
        frame_mask = np.asarray(frame_mask, dtype=bool)
        windows, start = [], 0
        with concurrent.futures.ThreadPoolExecutor(max_workers=len(parts)) as executor:
            if len(frame_mask) == 0:  # no epochs: compile every part's loop, at the same time
                windows.append(train_window(executor, frame_mask, 0))
            while start < len(frame_mask) and running:
                stop = min(start + STACK_CHUNK_EPOCHS, len(frame_mask))
                frame_positions = np.flatnonzero(frame_mask[start:stop])
                if len(frame_positions) > STACK_CHUNK_FRAMES:
                    stop = start + int(frame_positions[STACK_CHUNK_FRAMES - 1]) + 1
                windows.append(train_window(executor, frame_mask[start:stop], stop - start))
                start = stop
        return tuple(np.concatenate([window[part] for window in windows]) for part in range(4))

    return train_chunk


class ChunkSizer:
    """How many epochs to run in the next call of the in-graph loop.

    Each call should take about `target_seconds`: long enough that the call overhead is nothing,
    short enough that the progress bar moves and Ctrl-C is answered within a second, whatever
    the size of the net and the data. (How the epochs are split does not change the numbers.)
    """

    def __init__(self, target_seconds: float = 0.25, first: int = 200, largest: int = 20000):
        self.target_seconds, self.size, self.largest = target_seconds, first, largest

    def update(self, epochs: int, seconds: float) -> None:
        per_epoch = max(seconds, 1e-6) / max(epochs, 1)
        self.size = int(min(max(self.target_seconds / per_epoch, 1), self.largest, 4 * self.size))


def train_in_graph(
    model,
    optimizer,
    dataset: Dataset,
    epochs: int,
    frame_epochs: np.ndarray,
    on_chunk: Callable[[int, float], None] | None = None,
    chunk_epochs: int | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> Recording:
    """Train full-batch for `epochs` epochs with the in-graph loop, recording the given frames.

    Stops early, with the run so far, when the loss stops being finite (status 'diverged'; for a
    stack of nets, when it has for every net) or when should_stop() is true before a chunk
    (status 'interrupted', with no epoch at all if it is true from the start); the last state
    reached is then added as a final frame. train_seconds counts training alone, not tracing.
    on_chunk(epochs_done, last_loss) is called after each chunk (the median over nets).
    Memory stays bounded: 16 bytes an epoch and net for the two loss histories, plus the frames.
    For one net the arrays are (epochs,) and (frames, grid); for a stack of nets they have a
    member axis after the first: (epochs, members) and (frames, members, grid).

    Args:
        chunk_epochs: epochs per call; by default sized to take about a quarter of a second.
    """
    train_chunk, snapshot = build_in_graph_loop(model, optimizer, dataset)
    members = getattr(model, "members", 1)
    frame_epochs = np.asarray(frame_epochs, dtype=np.int64)
    is_frame = np.zeros(epochs + 1, dtype=bool)
    is_frame[frame_epochs] = True
    sizer = ChunkSizer() if chunk_epochs is None else None

    # One spare frame for the state where an early stop leaves the nets.
    predictions = np.empty((len(frame_epochs) + 1, members, dataset.x_grid.shape[0]), dtype=np.float32)
    frame_loss = np.empty((len(frame_epochs) + 1, members), dtype=np.float64)
    recorded_epochs = []
    loss = np.empty((epochs, members), dtype=np.float64)
    val_loss = np.empty((epochs, members), dtype=np.float64)

    def add_frame(epoch: int, prediction, train_loss) -> None:
        predictions[len(recorded_epochs)], frame_loss[len(recorded_epochs)] = prediction, train_loss
        recorded_epochs.append(epoch)

    if is_frame[0]:
        prediction, initial_loss = snapshot()
        add_frame(0, prediction.numpy(), initial_loss.numpy())

    # Trace (and for a stack, compile) the loop with a call of no epochs, so that the time
    # measured is training alone. It changes no weight.
    train_chunk(np.zeros(0, dtype=bool))
    started = time.perf_counter()
    status, done, attempted = "completed", 0, 0  # epochs whose update was applied / whose loss was computed
    while done < epochs:
        if should_stop is not None and should_stop():
            status = "interrupted"  # also before the first chunk: a Ctrl-C while TensorFlow started
            break
        size = chunk_epochs or sizer.size
        stop = min(done + size, epochs)
        chunk_started = time.perf_counter()
        chunk_losses, chunk_val_losses, chunk_frames, chunk_frame_losses = train_chunk(is_frame[done + 1 : stop + 1])
        if sizer is not None:
            sizer.update(stop - done, time.perf_counter() - chunk_started)
        loss[done : done + len(chunk_losses)] = chunk_losses
        val_loss[done : done + len(chunk_val_losses)] = chunk_val_losses
        chunk_frame_epochs = np.flatnonzero(is_frame[done + 1 : stop + 1]) + done + 1
        for epoch, prediction, train_loss in zip(chunk_frame_epochs, chunk_frames, chunk_frame_losses):
            add_frame(int(epoch), prediction, train_loss)
        attempted = done + len(chunk_losses)
        done += len(chunk_val_losses)
        if on_chunk is not None:
            with np.errstate(all="ignore"):
                on_chunk(attempted, float(np.median(loss[attempted - 1])))
        if len(chunk_losses) > len(chunk_val_losses):
            status = "diverged"
            val_loss[done] = np.nan  # the update of the diverging epoch was not applied
            break

    if status != "completed" and (not recorded_epochs or recorded_epochs[-1] != done):
        prediction, last_loss = snapshot()
        add_frame(done, prediction.numpy(), last_loss.numpy())
    count = len(recorded_epochs)
    loss, val_loss = (history[:attempted] if attempted < epochs else history for history in (loss, val_loss))
    predictions, frame_loss = predictions[:count], frame_loss[:count]
    extra = {}
    if members == 1:
        loss, val_loss, predictions, frame_loss = loss[:, 0], val_loss[:, 0], predictions[:, 0], frame_loss[:, 0]
        if status == "diverged":
            extra["diverged_at_epoch"] = attempted
    else:
        extra["diverged_at_epoch"] = first_non_finite_epochs(loss)
    return Recording(
        frame_epochs=np.asarray(recorded_epochs, dtype=np.int64),
        predictions=np.ascontiguousarray(predictions),
        frame_loss=np.ascontiguousarray(frame_loss),
        loss=np.ascontiguousarray(loss),
        val_loss=np.ascontiguousarray(val_loss),
        status=status,
        train_seconds=time.perf_counter() - started,
        extra=extra,
    )


def first_non_finite_epochs(loss: np.ndarray) -> list[int | None]:
    """For each member (column) of a loss history, the first epoch whose loss is not finite, or None."""
    bad = ~np.isfinite(loss)
    return [int(np.argmax(column)) + 1 if column.any() else None for column in bad.T]


def _prediction_snapshots_class():
    keras = _keras()

    class PredictionSnapshots(keras.callbacks.Callback):
        """Record the prediction on a grid at chosen epochs, and every epoch's loss, during fit().

        Usage, in any Keras training code:

            snapshots = PredictionSnapshots(x_grid, x_train, y_train, frame_epochs=[0, 1, 10, 100])
            model.fit(x_train, y_train, epochs=100, validation_data=(x_val, y_val), callbacks=[snapshots])
            recording = snapshots.recording()

        The recording can be written as a run directory with write_run() and drawn by animate.py.
        Epoch 0 is the untrained net; epoch e is the net after e epochs. With frame_epochs=None
        every epoch is recorded, as the post did it.
        """

        def __init__(self, x_grid, x_train, y_train, frame_epochs=None):
            super().__init__()
            self.x_grid = np.asarray(x_grid, dtype=np.float32).reshape(-1, 1)
            self.x_train = np.asarray(x_train, dtype=np.float32).reshape(-1, 1)
            self.y_train = np.asarray(y_train, dtype=np.float32).reshape(-1, 1)
            self.frame_epochs = None if frame_epochs is None else {int(epoch) for epoch in frame_epochs}
            self.epochs, self.predictions, self.frame_loss = [], [], []
            self.loss, self.val_loss = [], []

        def _wants(self, epoch: int) -> bool:
            return self.frame_epochs is None or epoch in self.frame_epochs

        def _snapshot(self, epoch: int) -> None:
            # model.predict, as in the post: the plain, documented Keras way to get a prediction.
            # One call on the grid and the training points together gives both the frame and the
            # training loss of exactly the weights it shows.
            outputs = self.model.predict(np.concatenate([self.x_grid, self.x_train]), verbose=0)
            grid_points = len(self.x_grid)
            self.epochs.append(epoch)
            self.predictions.append(outputs[:grid_points].reshape(-1))
            self.frame_loss.append(float(np.mean((outputs[grid_points:] - self.y_train) ** 2)))

        def on_train_begin(self, logs=None):
            if self._wants(0):
                self._snapshot(0)

        def on_epoch_end(self, epoch, logs=None):
            logs = logs or {}
            self.loss.append(float(logs.get("loss", np.nan)))
            self.val_loss.append(float(logs.get("val_loss", np.nan)))
            if self._wants(epoch + 1):
                self._snapshot(epoch + 1)

        def recording(self) -> Recording:
            """Everything recorded so far, in the form write_run() takes."""
            return Recording(
                frame_epochs=np.asarray(self.epochs, dtype=np.int64),
                predictions=np.asarray(self.predictions, dtype=np.float32).reshape(len(self.epochs), -1),
                frame_loss=np.asarray(self.frame_loss, dtype=np.float64),
                loss=np.asarray(self.loss, dtype=np.float64),
                val_loss=np.asarray(self.val_loss, dtype=np.float64),
            )

    return PredictionSnapshots


_LAZY_CLASSES = {}


def __getattr__(name: str):
    # `from train import PredictionSnapshots` works as usual, but Keras (and with it TensorFlow)
    # is imported only when the callback is actually asked for.
    if name == "PredictionSnapshots":
        if name not in _LAZY_CLASSES:
            _LAZY_CLASSES[name] = _prediction_snapshots_class()
        return _LAZY_CLASSES[name]
    raise AttributeError(f"module 'train' has no attribute {name!r}")


def summarize(config: ExperimentConfig, recording: Recording, parameter_counts: dict[str, int]) -> dict:
    """The figures summary.json holds: final losses against the noise floor, and what ran.

    The final `loss` and `val_loss` are the training and held-out error of the final weights,
    the ones the last frame shows (history.csv's last training loss, as Keras reports it, is
    that of the weights before the last update).
    A loss that is not a finite number (a diverged run) is null, since JSON has no NaN or infinity.
    For a run of many seeds, `loss` and `val_loss` are medians over the nets, and `members`
    lists each net's own figures.
    """
    reached = recording.epochs_completed
    noise_floor = round(config.noise_floor, 12)  # 0.04, not 0.04000000000000001
    all_losses = np.concatenate([np.ravel(recording.loss), np.ravel(recording.frame_loss[-1:])])
    finite_losses = all_losses[np.isfinite(all_losses)]
    summary = {
        "name": config.name,
        "status": recording.status,
        "epochs": reached,
        "epochs_requested": config.epochs,
        "loss": None,
        "val_loss": None,
        "noise_floor": noise_floor,
        "val_loss_over_noise_floor": None,
        "min_loss": float(finite_losses.min()) if len(finite_losses) else None,
        "parameters": parameter_counts,
        "frames": int(len(recording.frame_epochs)),
        "train_seconds": round(recording.train_seconds, 3),
    }
    if reached and recording.loss.ndim == 1:
        summary["loss"] = _finite_or_none(recording.frame_loss[-1])
        summary["val_loss"] = _finite_or_none(recording.val_loss[-1])
        summary.update(recording.extra)
    elif reached:
        final_loss, final_val_loss = recording.frame_loss[-1], recording.val_loss[-1]
        with np.errstate(all="ignore"):
            at_floor = np.isfinite(final_val_loss) & (final_val_loss <= AT_FLOOR_TOLERANCE * noise_floor)
        summary.update(
            loss=_finite_median(final_loss),
            val_loss=_finite_median(final_val_loss),
            seeds=len(config.member_seeds),
            share_at_noise_floor=round(float(np.mean(at_floor)), 4),
            members_diverged=[seed for seed, epoch in zip(config.member_seeds, recording.extra["diverged_at_epoch"])
                              if epoch is not None],
            members=[
                {"seed": seed, "loss": _finite_or_none(final_loss[member]),
                 "val_loss": _finite_or_none(final_val_loss[member]),
                 "diverged_at_epoch": recording.extra["diverged_at_epoch"][member]}
                for member, seed in enumerate(config.member_seeds)
            ],
        )
        if recording.status == "diverged":
            summary["diverged_at_epoch"] = reached
    if summary["val_loss"] is not None and noise_floor > 0:
        summary["val_loss_over_noise_floor"] = summary["val_loss"] / noise_floor
    return summary


def _finite_or_none(value) -> float | None:
    return float(value) if np.isfinite(value) else None


def _finite_median(values: np.ndarray) -> float | None:
    """The median of the finite values, or None when there are none."""
    finite = values[np.isfinite(values)]
    return float(np.median(finite)) if len(finite) else None


def _finite_or_nan(values: np.ndarray) -> np.ndarray:
    return np.where(np.isfinite(values), values, np.nan)


def write_run(run_dir: str | Path, config: ExperimentConfig, dataset: Dataset, recording: Recording, summary: dict) -> Path:
    """Write config.yaml, history.csv, snapshots.npz and summary.json into run_dir."""
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / "config.yaml").write_text(yaml.safe_dump(config_module.to_plain_dict(config), sort_keys=False))
    epochs = np.arange(1, recording.epochs_completed + 1)
    if recording.loss.ndim == 1:
        columns, header = [epochs, recording.loss, recording.val_loss], "epoch,loss,val_loss"
    else:
        # Many seeds: the median over nets, and the spread of the training loss (every net's own
        # history is in snapshots.npz).
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # epochs where every net diverged
            low, median, high = np.nanpercentile(_finite_or_nan(recording.loss), [10, 50, 90], axis=1)
            val_median = np.nanmedian(_finite_or_nan(recording.val_loss), axis=1)
        columns, header = [epochs, median, val_median, low, high], "epoch,loss,val_loss,loss_p10,loss_p90"
    np.savetxt(
        run_dir / "history.csv", np.column_stack(columns), fmt=["%d"] + ["%.9g"] * (len(columns) - 1),
        delimiter=",", header=header, comments="",
    )
    np.savez_compressed(
        run_dir / "snapshots.npz",
        epochs=recording.frame_epochs,
        x=dataset.x_grid.reshape(-1),
        predictions=recording.predictions,
        frame_loss=recording.frame_loss,
        loss=recording.loss,
        val_loss=recording.val_loss,
        x_train=dataset.x_train.reshape(-1),
        y_train=dataset.y_train.reshape(-1),
        x_validation=dataset.x_validation.reshape(-1),
        y_validation=dataset.y_validation.reshape(-1),
        noise_std=np.float64(config.noise_std),
        member_seeds=np.asarray(config.member_seeds if recording.loss.ndim == 2 else [config.seed], dtype=np.int64),
    )
    (run_dir / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    return run_dir


def interrupted_destination(run_dir: Path) -> Path:
    """Where an interrupted run goes when a finished run is at its destination: beside it."""
    return run_dir.with_name(run_dir.name + ".interrupted")


def holds_finished_run(run_dir: Path) -> bool:
    """Whether run_dir is a run that ended by itself (completed or diverged), not interrupted."""
    try:
        return json.loads((run_dir / "summary.json").read_text()).get("status") != "interrupted"
    except (OSError, ValueError, AttributeError):
        return False


def check_run_destination(run_dir: Path) -> None:
    """Refuse, before training, a destination a run may not replace (see outputs.check_destination);
    the place an interrupted run would go beside it is checked too."""
    outputs.check_destination(run_dir, RUN_OUTPUT)
    outputs.check_destination(interrupted_destination(run_dir), RUN_OUTPUT)


@dataclass
class Outcome:
    """What train_and_write did: the summary, and where the run was written (None: nowhere)."""

    summary: dict
    run_dir: Path | None
    pictures_missing: bool = False


def train_and_write(
    config: ExperimentConfig,
    run_dir: Path,
    progress: bool = True,
    render: bool = True,
    stop: "StopRequest | None" = None,
) -> Outcome:
    """Train the experiment, write its run directory at run_dir, draw it, and say what was written.

    run_dir must be new, empty or an earlier run (checked before training). The run is written
    into a hidden folder beside run_dir and moved into place only when every file is complete, so
    an older run at run_dir stays intact until then. An interrupted run never replaces a finished
    one: it goes beside it (interrupted_destination); one stopped before its first epoch is not
    written at all. A later finished run removes the interrupted one beside it.
    With a StopRequest, a Ctrl-C while drawing leaves the pictures out but writes the data.
    """
    run_dir = outputs.destination_path(run_dir)
    check_run_destination(run_dir)
    import models  # TensorFlow starts here, only once the config and the output folder are known good

    dataset = dataset_for(config)
    keras = _keras()
    keras.utils.set_random_seed(config.seed)
    try:
        model, optimizer = models.model_and_optimizer(config)
    except ValueError as error:  # for example an optimizer option the optimizer does not take
        raise ConfigError(f"{config.name}: optimizer_options: {error}") from None
    frame_epochs = frame_schedule(config.epochs, config.frames)

    with _progress_bar(config, enabled=progress) as bar:

        def show_progress(epochs_done: int, loss: float) -> None:
            bar.set_postfix(loss=f"{loss:.4f}", refresh=False)
            bar.update(epochs_done - bar.n)

        recording = train_in_graph(
            model, optimizer, dataset, config.epochs, frame_epochs, on_chunk=show_progress, should_stop=stop,
        )
    if stop is not None:
        stop.training_over()
    summary = summarize(config, recording, models.parameter_counts(model))
    if recording.epochs_completed == 0:
        return Outcome(summary, None)

    target = run_dir
    if recording.status == "interrupted" and holds_finished_run(run_dir):
        target = interrupted_destination(run_dir)
        if holds_finished_run(target):  # a finished run someone named "<name>.interrupted"
            return Outcome(summary, None)
    with outputs.staged_directory(target, RUN_OUTPUT) as partial:
        write_run(partial, config, dataset, recording, summary)
        # A Ctrl-C that came as training ended (not the one that interrupted it) is for the drawing.
        pictures_missing = render and stop is not None and stop() and recording.status != "interrupted"
        if render and not pictures_missing:
            try:
                _draw(partial, target, progress)
            except KeyboardInterrupt:
                if stop is None or stop.abandoned:
                    raise
                pictures_missing = True
        if stop is not None:
            stop.committing()
    beside = interrupted_destination(run_dir)
    if recording.status != "interrupted" and not holds_finished_run(beside):  # not a run someone named so
        outputs.remove_output(beside, RUN_OUTPUT)
    return Outcome(summary, target, pictures_missing)


def _draw(partial: Path, target: Path, progress: bool) -> None:
    import animate

    if progress:  # a transient line: drawing a long run takes a few seconds
        print(f"drawing the pictures of {target}/ (Ctrl-C leaves them out)", end="\r", file=sys.stderr, flush=True)
    try:
        animate.render_run(partial)
    finally:
        if progress:
            print("\r\033[K", end="", file=sys.stderr, flush=True)


def _progress_bar(config: ExperimentConfig, enabled: bool):
    from tqdm import tqdm

    return tqdm(
        total=config.epochs, desc=config.name, unit="epoch", unit_scale=True, disable=not enabled,
        dynamic_ncols=True, leave=False,
    )


def describe_summary(summary: dict, run_dir: Path) -> str:
    """The few lines printed when a run is done."""
    if "seeds" in summary:
        return _describe_seeds_summary(summary, run_dir)
    ratio = summary["val_loss_over_noise_floor"]
    floor_text = f" = {ratio:.2f} x the noise floor {summary['noise_floor']:.4f}" if ratio is not None else ""
    seconds = summary["train_seconds"]
    per_epoch_ms = 1000 * seconds / max(summary["epochs"], 1)
    return (
        f"{summary['name']}: {summary['epochs']} epoch{'s' if summary['epochs'] != 1 else ''} in {seconds:.1f} s "
        f"({per_epoch_ms:.3f} ms an epoch)\n"
        f"  final training MSE {_number(summary['loss'])}, held-out MSE {_number(summary['val_loss'])}{floor_text}\n"
        f"  wrote {run_dir}/: {', '.join(name for name in RUN_FILES + SEEDS_RUN_FILES[4:] if (run_dir / name).exists())}"
    )


def _describe_seeds_summary(summary: dict, run_dir: Path) -> str:
    seconds, seeds = summary["train_seconds"], summary["seeds"]
    net_epochs_per_second = seeds * summary["epochs"] / max(seconds, 1e-9)
    diverged = summary["members_diverged"]
    return (
        f"{summary['name']}: {seeds} seeds x {summary['epochs']} epochs in {seconds:.1f} s "
        f"({net_epochs_per_second:,.0f} net-epochs a second)\n"
        f"  median final training MSE {_number(summary['loss'])}, held-out MSE {_number(summary['val_loss'])} "
        f"(noise floor {summary['noise_floor']:.4f})\n"
        f"  {100 * summary['share_at_noise_floor']:.0f}% of the seeds end within 10% of the noise floor"
        + (f"; {len(diverged)} diverged (seeds {', '.join(map(str, diverged))})" if diverged else "") + "\n"
        f"  wrote {run_dir}/: {', '.join(name for name in SEEDS_RUN_FILES if (run_dir / name).exists())}"
    )


def _number(value: float | None) -> str:
    return "not finite" if value is None else f"{value:.4f}"


def parse_arguments(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Train a tiny net on a noisy sine and record it learning.")
    parser.add_argument("--config", required=True, help="an experiment file, e.g. experiments/adam_2x10.yaml")
    parser.add_argument(
        "--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
        help="override a config value, e.g. --set epochs=2000 or --set render.fps=10 (repeatable)",
    )
    parser.add_argument("--output-dir", help="where to write the run (default: output/<name>)")
    parser.add_argument("--seeds", type=int, metavar="N",
                        help="train N copies of the net from seeds seed..seed+N-1 at once (same as --set seeds=N)")
    parser.add_argument("--no-progress", action="store_true", help="do not show the progress bar")
    return parser.parse_args(argv)


class StopRequest:
    """Ctrl-C during a run, with a meaning that depends on when it comes.

    While TensorFlow starts and while training, the first press asks training to stop before its
    next chunk of epochs (the epochs trained so far are kept; none, if it came before training),
    and a second press abandons the run. Once training is over (training_over), a press stops
    at once: while the data are written it abandons the run, while the pictures are drawn it
    leaves them out. While the finished run is moved into place (committing), presses are ignored.
    """

    def __init__(self, requested: bool = False):
        self.requested = requested
        self.abandoned = False  # a second press: nothing is to be written
        self.phase = "training"

    def __call__(self) -> bool:
        return self.requested

    def training_over(self) -> None:
        self.phase = "finishing"

    def committing(self) -> None:
        self.phase = "committing"

    def __enter__(self) -> "StopRequest":
        self._previous_handlers = (signal.signal(signal.SIGINT, self._handle),
                                   signal.signal(signal.SIGTERM, self._terminate))
        return self

    def __exit__(self, *exception) -> None:
        signal.signal(signal.SIGINT, self._previous_handlers[0])
        signal.signal(signal.SIGTERM, self._previous_handlers[1])

    def _handle(self, signal_number, frame) -> None:
        if self.phase == "committing":
            return
        if self.requested:
            self.abandoned = True
            raise KeyboardInterrupt
        if self.phase != "training":
            raise KeyboardInterrupt
        self.requested = True
        print("\nstopping before the next chunk of epochs; the epochs trained so far will be written "
              "(press Ctrl-C again to abandon them)", file=sys.stderr, flush=True)

    def _terminate(self, signal_number, frame) -> None:
        # Killed (SIGTERM, a closed terminal): end at once, but through the cleanup of any
        # half-written folder, unless the finished run is being moved into place.
        if self.phase != "committing":
            self.abandoned = True
            raise SystemExit(128 + signal_number)


def status_line(outcome: Outcome, requested_dir: Path) -> str | None:
    """The one-line warning for a run that did not complete or was not written in full, or None."""
    summary, run_dir = outcome.summary, outcome.run_dir
    if run_dir is None:
        where = f"; {requested_dir} is as it was" if requested_dir.exists() else ""
        if summary["epochs"] == 0:
            return f"interrupted before training began: nothing was written{where}"
        return (f"interrupted at epoch {summary['epochs']:,}: nothing was written, since {requested_dir} and "
                f"{interrupted_destination(requested_dir)} both hold finished runs")
    if outcome.pictures_missing:
        return (f"interrupted while drawing: the run's data are complete in {run_dir}/ but its pictures are not; "
                f"draw them with: python animate.py {run_dir}")
    if summary["status"] == "diverged":
        return (
            f"warning: {summary['name']} diverged at epoch {summary['diverged_at_epoch']} (the training loss stopped "
            f"being a finite number); the run up to there is in {run_dir}/; a smaller learning_rate usually helps"
        )
    if summary["status"] == "interrupted":
        beside = (f" ({requested_dir}/ holds a finished run, left as it was)" if run_dir != requested_dir else "")
        return (
            f"interrupted at epoch {summary['epochs']:,} of {summary['epochs_requested']:,}; "
            f"the run so far is in {run_dir}/{beside}"
        )
    return None


def load_arguments_config(arguments: argparse.Namespace) -> ExperimentConfig:
    """The experiment the command line asks for: the file, its --set overrides and --seeds."""
    overrides, labels = list(arguments.overrides), {}
    if arguments.seeds is not None:
        for text in overrides:
            path, value = config_module.parse_override(text)
            if path == ["seeds"] and value != arguments.seeds:
                raise ConfigError(f"--seeds {arguments.seeds} and --set {text} disagree; give the number of seeds once")
        overrides.append(f"seeds={arguments.seeds}")
        labels[overrides[-1]] = f"--seeds {arguments.seeds}"
    return config_module.load_config(arguments.config, overrides, labels)


def main(argv: list[str] | None = None) -> int:
    arguments = parse_arguments(argv)
    run_dir = None
    try:
        config = load_arguments_config(arguments)
        run_dir = (outputs.destination_path(arguments.output_dir) if arguments.output_dir is not None
                   else Path("output") / config.name)
        with StopRequest() as stop:
            outcome = train_and_write(config, run_dir, progress=not arguments.no_progress, stop=stop)
    except ConfigError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        unchanged = f"; {run_dir} is as it was" if run_dir is not None and run_dir.exists() else ""
        print(f"\nabandoned: nothing was written{unchanged}", file=sys.stderr)
        return 130
    if outcome.run_dir is not None:
        print(describe_summary(outcome.summary, outcome.run_dir))
    warning = status_line(outcome, run_dir)
    if warning:
        print(warning, file=sys.stderr)
    stopped = outcome.run_dir is None or outcome.pictures_missing or outcome.summary["status"] == "interrupted"
    return 130 if stopped else 0


if __name__ == "__main__":
    signal.signal(signal.SIGINT, signal.default_int_handler)  # main() takes Ctrl-C from here on
    sys.exit(main())
