"""What two inputs cost: a run of Playground's spiral against a run of one input with the same net,
optimizer, batch size, points, epochs and frames (only the inputs and the grid differ), each trained
and drawn by train.py as a user runs it, measured in the same run.

    python benchmarks/bench_plane.py [--repeats 3] [--epochs 1000]

Both are a 3x8 tanh net, SGD at learning rate 0.03 on batches of 10, 250 training points, 200
frames, record.curvature none (a plane's curvature is not worked out, so the line's is not drawn
either). The plane's map has 64 x 64 points, the line's grid 200. Each command runs in a process of
its own, alternating, and the best of the repeats is kept; train.py's own train_seconds and the
seconds of its drawing (wall time less TensorFlow's start and the training) are printed beside.
Target: the plane within 2x the line's wall time.
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
SHARED = ["hidden_layers=[8, 8, 8]", "activation=tanh", "optimizer=sgd", "learning_rate=0.03", "batch_size=10",
          "n_samples=250", "frames=200", "record.curvature=none"]
TARGET = 2.0


def one_run(config: str, settings: list[str], folder: Path) -> tuple[float, float, list[str]]:
    """(wall seconds, train seconds, files written) of one train.py command in a new process."""
    command = [sys.executable, str(ROOT / "train.py"), "--config", str(ROOT / "experiments" / config),
               "--output-dir", str(folder), "--no-progress", "--replace"]
    for setting in settings:
        command += ["--set", setting]
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT)
    wall = time.perf_counter() - start
    summary = json.loads((folder / "summary.json").read_text())
    return wall, summary["train_seconds"], sorted(path.name for path in folder.iterdir())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=1000)
    arguments = parser.parse_args()
    settings = SHARED + [f"epochs={arguments.epochs}"]
    cases = {"one input (sine, grid of 200)": ("adam_2x10.yaml", settings),
             "two inputs (spiral, map of 64 x 64)": ("playground_spiral.yaml", settings)}
    best: dict[str, tuple[float, float, list[str]]] = {}
    with tempfile.TemporaryDirectory() as scratch:
        for repeat in range(arguments.repeats):
            for name, (config, case_settings) in cases.items():
                result = one_run(config, case_settings, Path(scratch) / f"run{len(best)}_{repeat}")
                if name not in best or result[0] < best[name][0]:
                    best[name] = result
    print(f"{'case':40} {'wall s':>7} {'train s':>8}  files")
    for name, (wall, train, files) in best.items():
        print(f"{name:40} {wall:7.1f} {train:8.1f}  {', '.join(files)}")
    line, plane = (best[name][0] for name in cases)
    ratio = plane / line
    print(f"two inputs take {ratio:.2f}x the time of one (target <= {TARGET:g}x: {'pass' if ratio <= TARGET else 'FAIL'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
