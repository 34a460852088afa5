"""Per-epoch cost of the training engine against the post's way (Keras fit + model.predict), and what
a minibatch, a schedule, a penalty, early stopping and the look inside the net cost it.

    python benchmarks/bench_train.py [--seconds 1] [--rounds 8] [--seeds 100] [--quick]

The post's 2x10 sigmoid net with Adam at 0.01 (experiments/adam_2x10.yaml) on its noisy sine
(200 training points, 200 held-out points, a 200-point grid). Every setting is built once (its
set-up: building the net, tracing or compiling the loop, a first epoch), then timed in rounds,
each setting training about --seconds a round, the settings of a table one after another (in
reverse order every other round: a process's later runs tend to be faster). A setting's time is
the best of its rounds (the machine is shared: other work only ever adds time); "spread" is its
slowest round over its best. Ratios are of those best times, measured in the same run; targets
are checked on them. "CPU ratio" is the same ratio of the process's CPU time (best of the
rounds), which other work on the machine moves less: where the two disagree, the load did it.

Speed, against the post's way at batch 32 (target: ours >= 100x faster for one net):
- the post's way: model.fit(x, y, batch_size=32, epochs=E, shuffle=True) with a callback that
  calls model.predict on the grid after every epoch (GridPredictions); and at full batch as this
  benchmark measured it before (batch_size 200, no shuffling, with validation_data, which makes
  Keras evaluate the held-out points every epoch too).
- ours: the engine's loop as train.py runs it (engine.build_in_graph_loop, called in chunks of
  about a quarter of a second; every epoch's losses, grad_norm, a frame every 100 epochs, the look
  inside the net), at batch 32 and at full batch, for one net and for a stack of --seeds nets
  (time per net and epoch).
- ours recording what the post's way records (LossesAndPrediction, a frame every epoch), against
  the post's way at full batch, as before (target >= 300x).
Costs, one net, at full batch and at batch 32: a cosine_decay schedule, an l2 penalty, weight
decay, early stopping that never stops (with and without restore_best_weights), each against the
same run without it (target <= 1.2x for a schedule or a penalty). The look inside the net: the
2x10 and the 1x60 SGD net as train.py runs them against the same recording only the losses and
the prediction (target <= 1.25x).
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

import config as config_module  # noqa: E402
import data  # noqa: E402
import engine  # noqa: E402
import models  # noqa: E402
import training  # noqa: E402

EXPERIMENT = ROOT / "experiments" / "adam_2x10.yaml"
# Early stopping that never stops: patience beyond any number of epochs a benchmark runs.
NEVER_STOPS = 10**9


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


# --- what is timed: a trainer trains `epochs` more epochs at each call of run(epochs) ---------------

class PostsWay:
    """model.fit with GridPredictions, compiled once; each run(epochs) is one more call of fit."""

    nets = 1

    def __init__(self, config, batch_size: int | None, shuffle: bool, validation: bool):
        dataset, self.model, optimizer = fresh(config)
        self.model.compile(optimizer=optimizer, loss="mse")
        self.x_grid = dataset.x_grid
        self.fit_arguments = dict(x=dataset.x_train, y=dataset.y_train, batch_size=batch_size or len(dataset.x_train),
                                  shuffle=shuffle, verbose=0)
        if validation:
            self.fit_arguments["validation_data"] = (dataset.x_validation, dataset.y_validation)

    def run(self, epochs: int) -> None:
        recorder = GridPredictions(self.x_grid)
        self.model.fit(epochs=epochs, callbacks=[recorder], **self.fit_arguments)
        assert len(recorder.predictions) == epochs


class Ours:
    """The engine's loop for a config, as engine.train_in_graph runs it: built and traced once,
    called in chunks sized by engine.ChunkSizer, a frame every `frame_every` epochs."""

    def __init__(self, config, frame_every: int | None = None):
        dataset, model, optimizer = fresh(config)
        self.nets = config.seeds
        self.frame_every = frame_every or config.epochs // config.frames  # train.py's, by default
        frames_in_a_run = math.ceil(config.epochs / self.frame_every)
        record_units = engine.records_unit_contributions(config.hidden_layers, int(dataset.x_grid.shape[0]),
                                                         frames_in_a_run)
        self.train_chunk, _, self.trainers, _ = engine.build_in_graph_loop(
            model, optimizer, dataset, record_units, training.regime_of(config))
        self.train_chunk(np.zeros(0, dtype=bool))  # trace (a stack: compile), as train_in_graph does
        self.sizer, self.done = engine.ChunkSizer(), 0

    def run(self, epochs: int) -> None:
        stop = self.done + epochs
        while self.done < stop:
            count = min(self.sizer.size, stop - self.done)
            frame_mask = (np.arange(self.done + 1, self.done + count + 1) % self.frame_every) == 0
            started = time.perf_counter()
            per_epoch, _ = self.train_chunk(frame_mask)
            self.sizer.update(count, time.perf_counter() - started)
            if len(per_epoch["val_loss"]) != count or any(bool(trainer.all_stopped()) for trainer in self.trainers):
                raise RuntimeError(f"training stopped after {len(per_epoch['val_loss'])} of {count} epochs")
            self.done += count


# --- timing ----------------------------------------------------------------------------------------

@dataclass
class Timing:
    seconds_per_epoch: float  # the best round's, per net of a stack
    cpu_seconds_per_epoch: float  # the same of the process's CPU time (all its threads): others' load adds less to it
    spread: float  # the slowest round's time over the best's
    setup_seconds: float  # building the trainer and its first epoch


def epochs_per_round(trainer, seconds: float) -> int:
    """How many epochs take about `seconds`, timed on runs doubling in length from one epoch."""
    epochs = 1
    while True:
        started = time.perf_counter()
        trainer.run(epochs)
        elapsed = time.perf_counter() - started
        if elapsed >= min(0.25, seconds):
            return max(1, round(epochs * seconds / elapsed))
        epochs *= 2


def time_settings(settings: dict[str, Callable[[], object]], seconds: float, rounds: int) -> dict[str, Timing]:
    """Build every setting's trainer, then time them in `rounds` rounds (see the docstring above)."""
    trainers, setup = {}, {}
    for label, make in settings.items():
        started = time.perf_counter()
        trainers[label] = make()
        trainers[label].run(1)
        setup[label] = time.perf_counter() - started
    epochs = {label: epochs_per_round(trainer, seconds) for label, trainer in trainers.items()}
    wall, cpu = {label: [] for label in trainers}, {label: [] for label in trainers}
    for round_index in range(rounds):
        for label in (list(trainers) if round_index % 2 == 0 else reversed(list(trainers))):
            started, cpu_started = time.perf_counter(), time.process_time()
            trainers[label].run(epochs[label])
            net_epochs = epochs[label] * trainers[label].nets
            wall[label].append((time.perf_counter() - started) / net_epochs)
            cpu[label].append((time.process_time() - cpu_started) / net_epochs)
    return {label: Timing(min(wall[label]), min(cpu[label]), max(wall[label]) / min(wall[label]), setup[label])
            for label in trainers}


# --- the tables ------------------------------------------------------------------------------------

@dataclass
class Row:
    label: str
    reference: str | None = None  # the label of the row it is compared with
    target: float | None = None  # the ratio it must reach (faster) or stay under (costs)


def print_table(title: str, rows: list[Row], timings: dict[str, Timing], faster: bool) -> list[bool]:
    """Print setting, ms per epoch, spread, set-up, the ratio to its reference (of wall times, and
    of CPU times), the target and whether the wall-time ratio meets it; return whether each target
    was met. faster: ratio = reference's time / this one's (else the inverse)."""
    width = max(len(row.label) for row in rows)
    ratio_word = "x faster" if faster else "x the time"
    print(f"\n{title}")
    print(f"{'setting':{width}}  {'ms/epoch':>9}  {'spread':>6}  {'set-up':>6}  {'ratio':>16}  {'CPU ratio':>9}  "
          "target")
    results = []
    for row in rows:
        timing = timings[row.label]
        line = (f"{row.label:{width}}  {1000 * timing.seconds_per_epoch:9.4f}  {timing.spread:5.2f}x  "
                f"{timing.setup_seconds:5.1f}s")
        if row.reference is None:
            print(f"{line}  {'(reference)':>16}")
            continue
        reference = timings[row.reference]
        ratio = reference.seconds_per_epoch / timing.seconds_per_epoch
        cpu_ratio = reference.cpu_seconds_per_epoch / timing.cpu_seconds_per_epoch
        ratio, cpu_ratio = (ratio, cpu_ratio) if faster else (1 / ratio, 1 / cpu_ratio)
        line += f"  {ratio_text(ratio) + ratio_word:>16}  {ratio_text(cpu_ratio) + 'x':>9}"
        if row.target is not None:
            passed = ratio >= row.target if faster else ratio <= row.target
            results.append(passed)
            line += f"  {'>=' if faster else '<='} {row.target:g}x  {'pass' if passed else 'FAIL'}"
        print(line + ("" if row.reference == rows[0].label else f"  (against: {row.reference})"), flush=True)
    return results


def ratio_text(ratio: float) -> str:
    return f"{ratio:,.0f}" if ratio >= 100 else f"{ratio:.2f}"


def load(*overrides: str, experiment: Path = EXPERIMENT):
    return config_module.load_config(experiment, list(overrides))


def speed(arguments) -> list[bool]:
    one, batch, seeds = load(), "batch_size=32", f"seeds={arguments.seeds}"
    posts_32, posts_full = "post's way, batch 32, shuffled", "post's way, full batch, with validation_data"
    ours_32 = "ours, batch 32, one net"
    every_epoch = "ours, full batch, one net, the post's recording (every epoch's frame)"
    ours_others = {
        "ours, full batch, one net": lambda: Ours(one),
        f"ours, batch 32, {arguments.seeds} seeds, per net": lambda: Ours(load(batch, seeds)),
        f"ours, full batch, {arguments.seeds} seeds, per net": lambda: Ours(load(seeds)),
    }
    settings = {
        posts_32: lambda: PostsWay(one, 32, shuffle=True, validation=False),
        ours_32: lambda: Ours(load(batch)),
        **ours_others,
        posts_full: lambda: PostsWay(one, None, shuffle=False, validation=True),
        every_epoch: lambda: recording_only_losses_and_prediction(Ours, one, 1),
    }
    timings = time_settings(settings, arguments.seconds, arguments.rounds)
    rows = [Row(posts_32), Row(ours_32, posts_32, 100), *[Row(label, posts_32) for label in ours_others],
            Row(posts_full, posts_32), Row(every_epoch, posts_full, 300)]
    return print_table(f"Speed: the 2x10 sigmoid net, Adam, {one.n_samples} points, ms per epoch (per net for a stack)",
                       rows, timings, faster=True)


def costs(arguments, batch_overrides: tuple[str, ...], batch_words: str) -> list[bool]:
    schedule = "learning_rate={schedule: cosine_decay, initial_learning_rate: 0.01, decay_steps: 20000}"
    plain = f"{batch_words}, constant rate, no penalty"
    variants = {
        plain: (),
        "  cosine_decay schedule": (schedule,),
        "  l2 1e-4": ("l2=0.0001",),
        "  weight_decay 1e-4": ("weight_decay=0.0001",),
        "  early stopping, never stopping": (f"early_stopping={{patience: {NEVER_STOPS}}}",),
        "  early stopping, restore_best_weights": (
            f"early_stopping={{patience: {NEVER_STOPS}, restore_best_weights: true}}",),
    }
    settings = {label: (lambda overrides=overrides: Ours(load(*batch_overrides, *overrides)))
                for label, overrides in variants.items()}
    timings = time_settings(settings, arguments.seconds, arguments.rounds)
    rows = [Row(plain)] + [Row(label, plain, None if "early" in label else 1.2) for label in list(variants)[1:]]
    return print_table(f"Costs, one 2x10 net, Adam, {batch_words}: ms per epoch against the same run without",
                       rows, timings, faster=False)


def look_inside(arguments) -> list[bool]:
    settings, rows = {}, []
    for name in ("adam_2x10", "sgd_1x60"):
        config = load(experiment=ROOT / "experiments" / f"{name}.yaml")
        plain, full = f"{name}, losses and prediction only", f"{name}, as train.py records it"
        settings[plain] = lambda config=config: recording_only_losses_and_prediction(Ours, config)
        settings[full] = lambda config=config: Ours(config)
        rows += [Row(plain), Row(full, plain, 1.25)]
    timings = time_settings(settings, arguments.seconds, arguments.rounds)
    return print_table("The look inside the net (grad_norm every epoch, the weights each frame, described after each "
                       "call), full batch", rows, timings, faster=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=1.0, help="training time of each setting in each round")
    parser.add_argument("--rounds", type=int, default=8, help="rounds per setting; its best is kept")
    parser.add_argument("--seeds", type=int, default=100, help="nets in the stack")
    parser.add_argument("--quick", action="store_true",
                        help="a smoke run: 0.1 s, 2 rounds, 4 seeds (its ratios mean little)")
    parser.add_argument("--tables", default="speed,costs,inside", help="which tables, comma-separated")
    arguments = parser.parse_args()
    if arguments.quick:
        arguments.seconds, arguments.rounds, arguments.seeds = 0.1, 2, 4
    tables = set(arguments.tables.split(","))
    started = time.perf_counter()
    print(f"best of {arguments.rounds} rounds of about {arguments.seconds:g} s a setting; "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores", flush=True)
    results = []
    if "speed" in tables:
        results += speed(arguments)
    if "costs" in tables:
        results += costs(arguments, (), "full batch")
        results += costs(arguments, ("batch_size=32",), "batch 32")
    if "inside" in tables:
        results += look_inside(arguments)
    print(f"\n{sum(results)} of {len(results)} targets met; {time.perf_counter() - started:.0f} s, "
          f"load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
