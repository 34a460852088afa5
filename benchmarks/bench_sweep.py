"""Net-epochs per second of a sweep on this machine, against the seeds benchmark's baseline (single
runs one after another), and whether training two cells at once is faster than one after another.

    python benchmarks/bench_sweep.py [--seeds 20] [--epochs 5000] [--cells 4]

A grid of --cells learning rates on the post's 2x10 sigmoid net with Adam, --seeds seeds each,
trained as `python study.py` trains it: each cell trained, written and drawn (its GIFs, PNGs and
page), its stack in models.STACK_PARTS parts. Timed four ways, in the same run:
- single runs' training alone, as bench_seeds.py's baseline (engine.train_in_graph, one net);
- single runs: one net, `python train.py` one after another (its model built and traced anew,
  written and drawn), --single-runs of them, as bench_seeds.py's baseline but with the writing and
  drawing a sweep's cells have too;
- the sweep, one cell after another (study.py --jobs 1);
- the sweep, two cells at a time (study.py --jobs 2, its default).
Prints net-epochs per second of each and the ratios. The faster of the last two is study.py's
default (see README "Sweeps").
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


def study_command(path: Path, output: Path, settings: list[str], jobs: int) -> list[str]:
    return [sys.executable, str(ROOT / "study.py"), str(path), "--output-dir", str(output), "--no-progress",
            "--jobs", str(jobs), *[item for setting in settings for item in ("--set", setting)]]


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
    # bench_seeds.py's baseline: single runs' training alone (engine.train_in_graph, one net after
    # another, model built and traced anew), in a process of its own as that benchmark runs it.
    training_only = subprocess.run(
        [sys.executable, "-c", "import sys; sys.path[:0] = [sys.argv[1], sys.argv[1] + '/benchmarks']; "
         "import bench_seeds, config; base = config.load_config(sys.argv[1] + '/experiments/adam_2x10.yaml', "
         "[f'epochs={sys.argv[2]}']); print(sum(bench_seeds.seconds_to_train(base.model_copy(update={'seed': seed, "
         "'data_seed': 0})) for seed in range(int(sys.argv[3]))))", str(ROOT), str(arguments.epochs),
         str(arguments.single_runs)], capture_output=True, text=True, check=True)
    training_rate = arguments.single_runs * arguments.epochs / float(training_only.stdout.split()[-1])

    whole = study_file(folder, "whole", rates, arguments.seeds)
    one_after_another = timed([study_command(whole, folder / "sequential", settings, jobs=1)])
    side_by_side = timed([study_command(whole, folder / "parallel", settings, jobs=2)])

    print(f"2x10 sigmoid net, Adam, {arguments.cells} cells x {arguments.seeds} seeds x {arguments.epochs:,} epochs, "
          "each cell trained, written and drawn")
    print(f"single runs, training alone (bench_seeds.py's baseline): {training_rate:9,.0f} net-epochs/s")
    print(f"single runs, one after another:  {single_rate:9,.0f} net-epochs/s ({single / arguments.single_runs:.1f} s a run, "
          "written and drawn)")
    print(f"the sweep, one cell at a time:   {net_epochs / one_after_another:9,.0f} net-epochs/s "
          f"({one_after_another:.0f} s, {one_after_another / arguments.cells:.1f} s a cell)")
    print(f"the sweep, two cells at a time:  {net_epochs / side_by_side:9,.0f} net-epochs/s ({side_by_side:.0f} s)")
    print(f"ratio: the sweep (two cells at a time) does {net_epochs / side_by_side / training_rate:.1f}x the net-epochs "
          f"per second of single runs' training alone, {net_epochs / side_by_side / single_rate:.1f}x single runs "
          f"written and drawn; two cells at a time take {side_by_side / one_after_another:.2f}x the time of one at a time")


if __name__ == "__main__":
    main()
