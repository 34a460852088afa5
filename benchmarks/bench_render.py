"""Frames per second of writing fit.gif, against the plain way, measured in the same run.

    python benchmarks/bench_render.py [--run-dir output/adam_2x10] [--plain-frames 40] [--repeats 3]

Ours: drawing.fit_frames.FitAnimation (blitting, numbers stamped from glyphs rendered once) and
drawing.gif.write_gif (one shared palette, 'unchanged pixel' transparency, one Pillow save), as
animate.py writes fit.gif. The plain way: for each frame a new matplotlib figure with the same
content, savefig to PNG, read back, and imageio's GIF writer building a palette per frame. Both
draw the same run at the same size. Prints frames/s and the ratio.
Targets: >= 5x the plain way and >= 100 frames/s for the whole file, set-up included.
"""

from __future__ import annotations

import argparse
import io
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import imageio.v3 as iio  # noqa: E402
import matplotlib  # noqa: E402

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import animate  # noqa: E402
import rundir  # noqa: E402
from drawing import curves, style  # noqa: E402
import destinations  # noqa: E402
import rendering  # noqa: E402
from drawing.fit_frames import FitAnimation  # noqa: E402


def ensure_run(run_dir: Path) -> Path:
    """Use a saved run, or train the default experiment (in a child process, so that this one
    never imports TensorFlow, as `python animate.py` would not)."""
    if not destinations.is_current(run_dir):
        print(f"training {run_dir} first ...", flush=True)
        subprocess.run(
            [sys.executable, str(ROOT / "train.py"), "--config", str(ROOT / "experiments" / "adam_2x10.yaml"),
             "--output-dir", str(run_dir), "--no-progress"],
            check=True, stdout=subprocess.DEVNULL,
        )
    return run_dir


def plain_frame(run: rundir.Run, index: int, width: int, height: int) -> np.ndarray:
    """One frame the plain way: a new figure with everything on it, saved as PNG and read back."""
    figure, (fit_axes, loss_axes) = plt.subplots(
        1, 2, figsize=(width / style.DPI, height / style.DPI), dpi=style.DPI,
        gridspec_kw={"width_ratios": [1.35, 1]},
    )
    fit_axes.scatter(run.x_train, run.y_train, s=6, color=style.COLORS["data"], label="noisy data")
    fit_axes.plot(run.x_grid, run.y_grid_true, ":", color=style.COLORS["truth"], label="true sine")
    fit_axes.plot(run.x_grid, run.predictions[index, 0], color=style.COLORS["net"], linewidth=2.2,
                  label="net's prediction")
    fit_axes.set_xlabel("x")
    fit_axes.set_ylabel("y")
    fit_axes.legend(loc="upper right", fontsize=8, ncol=3)
    curves.style_loss_axes(loss_axes, [run])  # the same axes, ticks and noise floor as ours
    curves.draw_error_curves(loss_axes, run)
    epoch = max(int(run.frame_epochs[index]), 1)
    loss_axes.plot([epoch], [run.frame_loss[index, 0]], "o", color=style.COLORS["marker"])
    loss_axes.legend(loc="upper right", fontsize=7)
    figure.suptitle(f"epoch {int(run.frame_epochs[index]):,} of {run.epochs_requested:,} · "
                    f"training MSE {run.frame_loss[index, 0]:.4f}", x=0.01, ha="left", fontsize=11, fontweight="bold")
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    plt.close(figure)
    return iio.imread(buffer.getvalue())[..., :3]


def time_plain(run: rundir.Run, frame_count: int, path: Path) -> float:
    started = time.perf_counter()
    frames = [plain_frame(run, index, 800, 360) for index in range(frame_count)]
    iio.imwrite(path, frames, duration=50, loop=0)
    return frame_count / (time.perf_counter() - started)


def time_ours(run: rundir.Run, path: Path) -> float:
    started = time.perf_counter()
    frame_count = rendering.write_animation(FitAnimation(run, 800, 360), run, path)
    return frame_count / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run-dir", type=Path, default=ROOT / "output" / "adam_2x10")
    parser.add_argument("--plain-frames", type=int, default=40, help="frames drawn the plain way (it is slow)")
    parser.add_argument("--repeats", type=int, default=3)
    arguments = parser.parse_args()

    run = rendering.load_run(ensure_run(arguments.run_dir))
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        # Warm both up once (fonts, caches), then alternate so that machine noise hits both alike.
        time_plain(run, 2, folder / "plain.gif")
        time_ours(run, folder / "ours.gif")
        plain, ours = [], []
        for _ in range(arguments.repeats):
            plain.append(time_plain(run, arguments.plain_frames, folder / "plain.gif"))
            ours.append(time_ours(run, folder / "ours.gif"))
        size_kb = (folder / "ours.gif").stat().st_size / 1024

    plain_fps, ours_fps = statistics.median(plain), statistics.median(ours)
    print(f"run: {arguments.run_dir} ({len(run.frame_epochs)} frames, 800x360, one process)")
    print(f"plain way (new figure + savefig + imageio per-frame palette): {plain_fps:7.1f} frames/s")
    print(f"ours (FitAnimation + gif.write_gif, whole file, setup included): {ours_fps:7.1f} frames/s ({size_kb:.0f} KB)")
    print(f"ratio: {ours_fps / plain_fps:.1f}x the plain way (target >= 5x); "
          f"{ours_fps:.0f} frames/s (target >= 100)")


if __name__ == "__main__":
    main()
