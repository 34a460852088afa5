"""Net-epochs per second of a sweep on this machine, against the seeds benchmark's baseline (single
runs one after another), and whether training two cells at once is faster than one after another.

    python benchmarks/bench_sweep.py [--seeds 20] [--epochs 5000] [--cells 4]

A grid of --cells learning rates on the post's 2x10 sigmoid net with Adam, --seeds seeds each,
trained as `python study.py` trains it: each cell trained, written and drawn (its GIFs, PNGs and
page), its stack in models.STACK_PARTS parts. Timed three ways, in the same run:
- single runs: one net, `python train.py` one after another (its model built and traced anew,
  written and drawn), --single-runs of them, as bench_seeds.py's baseline but with the writing and
  drawing a sweep's cells have too;
- the sweep, one cell after another (study.py);
- the sweep in two halves at once (two study.py processes side by side).
Prints net-epochs per second of each and the ratios. The faster of the last two is what study.py
does (one cell after another: see README "Sweeps").
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def study_file(folder: Path, name: str, learning_rates: list[float], seeds: int) -> Path:
    path = folder / f"{name}.yaml"
    path.write_text(f"base: {ROOT / 'experiments' / 'adam_2x10.yaml'}\nseeds: {seeds}\n"
                    f"grid:\n  learning_rate: {learning_rates}\n")
    return path


def study_command(path: Path, output: Path, settings: list[str]) -> list[str]:
    return [sys.executable, str(ROOT / "study.py"), str(path), "--output-dir", str(output), "--no-progress",
            *[item for setting in settings for item in ("--set", setting)]]


def timed(commands: list[list[str]]) -> float:
    """Seconds to run the commands side by side (each in its own process) until all have ended."""
    started = time.perf_counter()
    processes = [subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE) for command in commands]
    for process in processes:
        _, error = process.communicate()
        if process.returncode != 0:
            raise SystemExit(f"failed: {error.decode()[-2000:]}")
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--epochs", type=int, default=5000)
    parser.add_argument("--cells", type=int, default=4)
    parser.add_argument("--single-runs", type=int, default=2)
    arguments = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench_sweep."))
    settings = [f"epochs={arguments.epochs}", "frames=100"]
    rates = [round(0.005 * 2 ** index, 6) for index in range(arguments.cells)]
    net_epochs = arguments.cells * arguments.seeds * arguments.epochs

    single = sum(timed([[sys.executable, str(ROOT / "train.py"), "--config", str(ROOT / "experiments" / "adam_2x10.yaml"),
                         "--output-dir", str(folder / f"single{run}"), "--no-progress",
                         *[item for setting in settings + [f"learning_rate={rates[run % len(rates)]}"]
                           for item in ("--set", setting)]]])
                 for run in range(arguments.single_runs))
    single_rate = arguments.single_runs * arguments.epochs / single

    whole = study_file(folder, "whole", rates, arguments.seeds)
    one_after_another = timed([study_command(whole, folder / "sequential", settings)])
    halves = [study_file(folder, f"half{half}", rates[half::2], arguments.seeds) for half in range(2)]
    side_by_side = timed([study_command(path, folder / f"parallel{half}", settings) for half, path in enumerate(halves)])

    print(f"2x10 sigmoid net, Adam, {arguments.cells} cells x {arguments.seeds} seeds x {arguments.epochs:,} epochs, "
          "each cell trained, written and drawn")
    print(f"single runs, one after another:  {single_rate:9,.0f} net-epochs/s ({single / arguments.single_runs:.1f} s a run)")
    print(f"the sweep, one cell at a time:   {net_epochs / one_after_another:9,.0f} net-epochs/s "
          f"({one_after_another:.0f} s, {one_after_another / arguments.cells:.1f} s a cell)")
    print(f"the sweep, two cells at a time:  {net_epochs / side_by_side:9,.0f} net-epochs/s ({side_by_side:.0f} s)")
    print(f"ratio: {net_epochs / one_after_another / single_rate:.1f}x the single runs' net-epochs per second; "
          f"two cells at a time take {side_by_side / one_after_another:.2f}x the time of one at a time")


if __name__ == "__main__":
    main()
