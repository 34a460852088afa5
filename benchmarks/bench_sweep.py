"""The share of a sweep's wall time spent training: the sum over its cells of each cell's training
time when trained alone by train.py (its summary's train_seconds), over the sweep's wall time, both
measured in this run.

    python benchmarks/bench_sweep.py             # the small sweep (about 2 minutes here)
    python benchmarks/bench_sweep.py --shipped   # experiments/sweep_sgd_escape.yaml (about 25 minutes)

The small sweep: the post's 1x60 sigmoid net (experiments/sgd_1x60.yaml) at learning rates 0.01,
0.03 and 0.1 with SGD and Adam, 10 seeds, 4,000 epochs: 6 cells of about 1.4 s of training each.
It is trained as `python study.py` trains it, two cells at a time (its default), and one at a time
(--jobs 1), to show what the second worker buys; then each cell alone, `python train.py` with the
cell's own config.yaml (its page alone: train_seconds counts training, not drawing).
What is left of a sweep's time is TensorFlow's start in each worker, the tracing and compiling of
each shape of cell once per worker (loop_cache.LoopCache), writing each cell's arrays and page, and
the study's table, phase diagram and page.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SMALL_STUDY = f"""base: {ROOT / 'experiments' / 'sgd_1x60.yaml'}
seeds: 10
grid:
  learning_rate: [0.01, 0.03, 0.1]
  optimizer: [sgd, adam]
"""
SMALL_SETTINGS = ["epochs=4000"]


def timed(command: list[str]) -> float:
    """Seconds the command takes; it must succeed."""
    started = time.perf_counter()
    finished = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if finished.returncode != 0:
        raise SystemExit(f"failed: {' '.join(command)}\n{finished.stderr[-2000:]}")
    return time.perf_counter() - started


def sweep_seconds(study_file: Path, output: Path, settings: list[str], jobs: int) -> float:
    return timed([sys.executable, str(ROOT / "study.py"), str(study_file), "--output-dir", str(output), "--no-progress",
                  "--jobs", str(jobs), *[item for setting in settings for item in ("--set", setting)]])


def training_alone(runs: Path, folder: Path) -> dict[str, float]:
    """Each cell of a trained sweep trained again alone by train.py from its config.yaml: its train_seconds."""
    seconds = {}
    for cell in sorted(path for path in runs.iterdir() if path.is_dir()):
        output = folder / cell.name
        timed([sys.executable, str(ROOT / "train.py"), "--config", str(cell / "config.yaml"), "--output-dir", str(output),
               "--no-progress"])
        seconds[cell.name] = json.loads((output / "summary.json").read_text())["train_seconds"]
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shipped", action="store_true", help="measure experiments/sweep_sgd_escape.yaml instead")
    arguments = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench_sweep."))
    if arguments.shipped:
        study_file, settings, name = ROOT / "experiments" / "sweep_sgd_escape.yaml", [], "the shipped sweep"
    else:
        study_file, settings, name = folder / "small.yaml", SMALL_SETTINGS, "the small sweep"
        study_file.write_text(SMALL_STUDY)
    wall = sweep_seconds(study_file, folder / "sweep", settings, jobs=2)
    one_at_a_time = None if arguments.shipped else sweep_seconds(study_file, folder / "sweep_jobs1", settings, jobs=1)
    alone = training_alone(folder / "sweep" / "runs", folder / "alone")
    training = sum(alone.values())
    print(f"{name}: {len(alone)} cells ({study_file.name}{' ' + ' '.join(settings) if settings else ''})")
    print(f"  training alone (train.py, each cell's train_seconds), summed: {training:7.1f} s "
          f"(from {min(alone.values()):.1f} to {max(alone.values()):.1f} s a cell)")
    print(f"  the sweep (study.py, two cells at a time):             {wall:7.1f} s ({wall / 60:.1f} minutes)")
    if one_at_a_time is not None:
        print(f"  the sweep, one cell at a time (--jobs 1):              {one_at_a_time:7.1f} s")
    print(f"share of the sweep's wall time spent training: {training / wall:.2f}")


if __name__ == "__main__":
    main()
