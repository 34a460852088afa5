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
import json
import os
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import yaml

import config as config_module
from config import ConfigError, ExperimentConfig
from data import Dataset, dataset_for

# TensorFlow is imported only once a config has been checked (see _keras()), so that a mistake
# in a config is reported at once, without a few seconds of TensorFlow start-up first.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

RUN_FILES = ("config.yaml", "history.csv", "snapshots.npz", "summary.json", "fit.gif", "loss.png")

# Epochs per call of the in-graph loop: a call of 1000 epochs of the 2x10 net takes about a
# tenth of a second, often enough to move the progress bar and to notice Ctrl-C promptly.
CHUNK_EPOCHS = 1000


def frame_schedule(epochs: int, frames: int) -> np.ndarray:
    """The epochs whose prediction becomes a frame: 0 (the untrained net) up to the last epoch.

    Three quarters of the frames are log-spaced, to show the fast early learning epoch by epoch;
    a quarter are evenly spaced, so the long late stretch (where SGD's plateaus and slow escapes
    happen) is not passed over in a handful of frames.
    """
    if frames >= epochs + 1:
        return np.arange(epochs + 1)
    linear_part = np.linspace(0, epochs, max(frames // 4, 2))
    for log_count in range(frames - len(linear_part), 20 * frames):
        log_part = np.geomspace(1, epochs, log_count)
        schedule = np.unique(np.round(np.concatenate([[0, epochs], linear_part, log_part])).astype(np.int64))
        if len(schedule) >= frames:
            return schedule
    return schedule


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


def _mean_squared_error(prediction, target):
    import tensorflow as tf

    return tf.reduce_mean(tf.square(prediction - target))


def build_in_graph_loop(model, optimizer, dataset: Dataset):
    """A tf.function that trains for len(frame_mask) full-batch epochs without leaving the graph.

    It returns each epoch's training loss (computed in that epoch's forward pass, as Keras's fit
    reports it) and held-out loss (after that epoch's update), and at every epoch where
    frame_mask is true the prediction on the grid and the training loss of those same weights.
    """
    import tensorflow as tf

    x_train, y_train = tf.constant(dataset.x_train), tf.constant(dataset.y_train)
    x_validation, y_validation = tf.constant(dataset.x_validation), tf.constant(dataset.y_validation)
    x_grid = tf.constant(dataset.x_grid)
    grid_points = int(dataset.x_grid.shape[0])
    variables = model.trainable_variables
    optimizer.build(variables)

    @tf.function(input_signature=[tf.TensorSpec([None], tf.bool)])
    def train_chunk(frame_mask):
        num_epochs = tf.shape(frame_mask)[0]
        num_frames = tf.reduce_sum(tf.cast(frame_mask, tf.int32))
        losses = tf.TensorArray(tf.float32, size=num_epochs)
        validation_losses = tf.TensorArray(tf.float32, size=num_epochs)
        frames = tf.TensorArray(tf.float32, size=num_frames, element_shape=[grid_points])
        frame_losses = tf.TensorArray(tf.float32, size=num_frames)
        frame_index = 0
        for epoch in tf.range(num_epochs):
            with tf.GradientTape() as tape:
                loss = _mean_squared_error(model(x_train, training=True), y_train)
            gradients = tape.gradient(loss, variables)
            optimizer.apply_gradients(zip(gradients, variables))
            losses = losses.write(epoch, loss)
            validation_losses = validation_losses.write(
                epoch, _mean_squared_error(model(x_validation), y_validation)
            )
            if frame_mask[epoch]:
                frames = frames.write(frame_index, tf.reshape(model(x_grid), [-1]))
                frame_losses = frame_losses.write(frame_index, _mean_squared_error(model(x_train), y_train))
                frame_index += 1
        return losses.stack(), validation_losses.stack(), frames.stack(), frame_losses.stack()

    @tf.function
    def snapshot():
        return tf.reshape(model(x_grid), [-1]), _mean_squared_error(model(x_train), y_train)

    return train_chunk, snapshot


def train_in_graph(
    model,
    optimizer,
    dataset: Dataset,
    epochs: int,
    frame_epochs: np.ndarray,
    on_chunk: Callable[[int, float], None] | None = None,
    chunk_epochs: int = CHUNK_EPOCHS,
) -> Recording:
    """Train full-batch for `epochs` epochs with the in-graph loop, recording the given frames.

    Memory stays bounded: 16 bytes an epoch for the two loss histories, plus the frames.
    on_chunk(epochs_done, last_loss) is called after each chunk, for a progress bar.
    """
    train_chunk, snapshot = build_in_graph_loop(model, optimizer, dataset)
    frame_epochs = np.asarray(frame_epochs, dtype=np.int64)
    is_frame = np.zeros(epochs + 1, dtype=bool)
    is_frame[frame_epochs] = True

    predictions = np.empty((len(frame_epochs), dataset.x_grid.shape[0]), dtype=np.float32)
    frame_loss = np.empty(len(frame_epochs), dtype=np.float64)
    loss = np.empty(epochs, dtype=np.float64)
    val_loss = np.empty(epochs, dtype=np.float64)
    frames_done = 0
    if is_frame[0]:
        prediction, initial_loss = snapshot()
        predictions[0], frame_loss[0] = prediction.numpy(), float(initial_loss)
        frames_done = 1

    started = time.perf_counter()
    done = 0
    while done < epochs:
        stop = min(done + chunk_epochs, epochs)
        chunk_losses, chunk_val_losses, chunk_frames, chunk_frame_losses = train_chunk(is_frame[done + 1 : stop + 1])
        loss[done:stop] = chunk_losses.numpy()
        val_loss[done:stop] = chunk_val_losses.numpy()
        count = int(chunk_frames.shape[0])
        predictions[frames_done : frames_done + count] = chunk_frames.numpy()
        frame_loss[frames_done : frames_done + count] = chunk_frame_losses.numpy()
        frames_done += count
        done = stop
        if on_chunk is not None:
            on_chunk(done, float(loss[done - 1]))
    return Recording(
        frame_epochs=frame_epochs,
        predictions=predictions,
        frame_loss=frame_loss,
        loss=loss,
        val_loss=val_loss,
        train_seconds=time.perf_counter() - started,
    )


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
    """The figures summary.json holds: final losses against the noise floor, and what ran."""
    final_loss = float(recording.loss[-1]) if recording.epochs_completed else float("nan")
    final_val_loss = float(recording.val_loss[-1]) if recording.epochs_completed else float("nan")
    noise_floor = round(config.noise_floor, 12)  # 0.04, not 0.04000000000000001
    return {
        "name": config.name,
        "status": recording.status,
        "epochs": recording.epochs_completed,
        "epochs_requested": config.epochs,
        "loss": final_loss,
        "val_loss": final_val_loss,
        "noise_floor": noise_floor,
        "val_loss_over_noise_floor": final_val_loss / noise_floor if noise_floor > 0 else None,
        "min_loss": float(np.min(recording.loss)) if recording.epochs_completed else None,
        "parameters": parameter_counts,
        "frames": int(len(recording.frame_epochs)),
        "train_seconds": round(recording.train_seconds, 3),
        **recording.extra,
    }


def write_run(run_dir: str | Path, config: ExperimentConfig, dataset: Dataset, recording: Recording, summary: dict) -> Path:
    """Write config.yaml, history.csv, snapshots.npz and summary.json into run_dir."""
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / "config.yaml").write_text(yaml.safe_dump(config_module.to_plain_dict(config), sort_keys=False))
    epochs = np.arange(1, recording.epochs_completed + 1)
    np.savetxt(
        run_dir / "history.csv",
        np.column_stack([epochs, recording.loss, recording.val_loss]),
        fmt=["%d", "%.9g", "%.9g"],
        delimiter=",",
        header="epoch,loss,val_loss",
        comments="",
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
    )
    (run_dir / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    return run_dir


def _replace_directory(new: Path, final: Path) -> None:
    """Put the finished run at `final`, replacing an older run there only now that this one is done."""
    if final.exists():
        old = final.with_name(f".{final.name}.old-{os.getpid()}")
        final.rename(old)
        new.rename(final)
        shutil.rmtree(old, ignore_errors=True)
    else:
        new.rename(final)


def check_writable(directory: Path) -> None:
    """Fail before training, not after it, when the output folder cannot be written."""
    parent = directory.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=parent):
            pass
    except OSError as error:
        raise ConfigError(
            f"cannot write to {parent} ({error.strerror}); choose another place with --output-dir"
        ) from None


def train_and_write(config: ExperimentConfig, run_dir: Path, progress: bool = True, render: bool = True) -> dict:
    """Train the experiment, write its run directory at run_dir, draw it, and return the summary."""
    import models

    check_writable(run_dir)
    dataset = dataset_for(config)
    keras = _keras()
    keras.utils.set_random_seed(config.seed)
    try:
        model, optimizer = models.model_and_optimizer(config)
    except ValueError as error:  # for example an optimizer option the optimizer does not take
        raise ConfigError(f"{config.name}: {error}") from None
    frame_epochs = frame_schedule(config.epochs, config.frames)

    with _progress_bar(config, enabled=progress) as bar:

        def show_progress(epochs_done: int, loss: float) -> None:
            bar.set_postfix(loss=f"{loss:.4f}", refresh=False)
            bar.update(epochs_done - bar.n)

        recording = train_in_graph(model, optimizer, dataset, config.epochs, frame_epochs, on_chunk=show_progress)

    summary = summarize(config, recording, models.parameter_counts(model))
    partial = Path(tempfile.mkdtemp(prefix=f".{run_dir.name}.partial-", dir=run_dir.parent))
    partial.chmod(0o777 & ~_current_umask())  # mkdtemp makes it private; a run directory is not.
    try:
        write_run(partial, config, dataset, recording, summary)
        if render:
            import animate

            animate.render_run(partial)
        _replace_directory(partial, run_dir)
    finally:
        shutil.rmtree(partial, ignore_errors=True)
    return summary


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _progress_bar(config: ExperimentConfig, enabled: bool):
    from tqdm import tqdm

    return tqdm(
        total=config.epochs, desc=config.name, unit="epoch", unit_scale=True, disable=not enabled,
        dynamic_ncols=True, leave=False,
    )


def describe_summary(summary: dict, run_dir: Path) -> str:
    """The few lines printed when a run is done."""
    ratio = summary["val_loss_over_noise_floor"]
    floor_text = f" = {ratio:.2f} x the noise floor {summary['noise_floor']:.4f}" if ratio is not None else ""
    seconds = summary["train_seconds"]
    per_epoch_ms = 1000 * seconds / max(summary["epochs"], 1)
    return (
        f"{summary['name']}: {summary['epochs']} epochs in {seconds:.1f} s ({per_epoch_ms:.3f} ms an epoch)\n"
        f"  final training MSE {summary['loss']:.4f}, held-out MSE {summary['val_loss']:.4f}{floor_text}\n"
        f"  wrote {run_dir}/: {', '.join(name for name in RUN_FILES if (run_dir / name).exists())}"
    )


def parse_arguments(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Train a tiny net on a noisy sine and record it learning.")
    parser.add_argument("--config", required=True, help="an experiment file, e.g. experiments/adam_2x10.yaml")
    parser.add_argument(
        "--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
        help="override a config value, e.g. --set epochs=2000 or --set render.fps=10 (repeatable)",
    )
    parser.add_argument("--output-dir", help="where to write the run (default: output/<name>)")
    parser.add_argument("--no-progress", action="store_true", help="do not show the progress bar")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    arguments = parse_arguments(argv)
    try:
        config = config_module.load_config(arguments.config, arguments.overrides)
        run_dir = Path(arguments.output_dir) if arguments.output_dir else Path("output") / config.name
        summary = train_and_write(config, run_dir, progress=not arguments.no_progress)
    except ConfigError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(describe_summary(summary, run_dir))
    return 0


if __name__ == "__main__":
    sys.exit(main())
