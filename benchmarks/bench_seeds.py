"""Net-epochs per second of one run of 100 seeds against 100 single runs one after another.

    python benchmarks/bench_seeds.py [--seeds 100] [--epochs 20000] [--single-runs 3]

The post's 2x10 sigmoid net with Adam, full batch, the same data for every net, each run
recording what train.py records (every epoch's training and held-out loss, 200 frames).

- single runs: engine.train_in_graph for one net, model built and loop traced anew for each run
  as `python train.py` would, --single-runs of them timed back to back. 100 single runs take
  100 times as long as one, so the rate of a few is the rate of 100.
- seeds: one engine.train_in_graph of the stacked model of --seeds nets as train.py builds it
  (models.model_and_optimizer: one part per CPU core), its build and XLA compilation included.

Prints net-epochs per second of each and the ratio, measured in the same run. Target: >= 10x.
Then what the look inside the nets costs the seeds' run: the same run recording only the losses
and the prediction (bench_train.LossesAndPrediction). Target: <= 1.25x.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import config as config_module  # noqa: E402
import data  # noqa: E402
import models  # noqa: E402
import engine  # noqa: E402
from bench_train import recording_only_losses_and_prediction  # noqa: E402  (benchmarks/ is the script's folder)


def seconds_to_train(config) -> float:
    started = time.perf_counter()
    dataset = data.dataset_for(config)
    model, optimizer = models.model_and_optimizer(config)
    recording = engine.train_in_graph(model, optimizer, dataset, config.epochs, engine.frame_schedule(config.epochs, config.frames))
    assert recording.status == "completed"
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=100)
    parser.add_argument("--epochs", type=int, default=20000)
    parser.add_argument("--single-runs", type=int, default=3)
    arguments = parser.parse_args()
    base = config_module.load_config(ROOT / "experiments" / "adam_2x10.yaml", [f"epochs={arguments.epochs}"])

    print(f"2x10 sigmoid net, Adam, {base.n_samples} points, {arguments.epochs} epochs per net", flush=True)
    single_seconds = [seconds_to_train(base.model_copy(update={"seed": seed, "data_seed": 0}))
                      for seed in range(arguments.single_runs)]
    single_rate = arguments.single_runs * arguments.epochs / sum(single_seconds)
    print(f"single runs, one after another: {single_rate:10,.0f} net-epochs/s "
          f"({sum(single_seconds) / arguments.single_runs:.1f} s a run, {arguments.seeds} runs would take "
          f"{arguments.seeds * sum(single_seconds) / arguments.single_runs:.0f} s)", flush=True)
    seeded = base.model_copy(update={"seeds": arguments.seeds, "data_seed": 0})
    seeds_seconds = seconds_to_train(seeded)
    seeds_rate = arguments.seeds * arguments.epochs / seeds_seconds
    print(f"{arguments.seeds} seeds in one run:            {seeds_rate:10,.0f} net-epochs/s ({seeds_seconds:.1f} s)")
    print(f"ratio: {seeds_rate / single_rate:.1f}x the net-epochs per second (target >= 10x)", flush=True)
    plain_seconds = recording_only_losses_and_prediction(seconds_to_train, seeded)
    print(f"the same {arguments.seeds} seeds recording only the losses and the prediction: {plain_seconds:.1f} s; "
          f"the look inside costs {seeds_seconds / plain_seconds:.2f}x (target <= 1.25x)")


if __name__ == "__main__":
    main()
