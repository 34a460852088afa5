"""Frames per second of writing fit.gif, against the plain way, measured in the same run; the same
for fit.gif of a run of two inputs (the spiral, a 3x8 net, 200 frames: its map of the plane); and
the sizes and encoding seconds of its MP4 and WebM (render.video), where the video extra is installed.

    python benchmarks/bench_render.py [--run-dir output/adam_2x10] [--plane-run-dir output/bench_spiral_3x8]
                                      [--plain-frames 40] [--repeats 3]

Ours: drawing.fit_frames.FitAnimation (blitting, numbers stamped from glyphs rendered once) and
drawing.gif.write_gif (one shared palette, 'unchanged pixel' transparency, one Pillow save), as
animate.py writes fit.gif. The plain way: for each frame a new matplotlib figure with the same
content, savefig to PNG, read back, and imageio's GIF writer building a palette per frame. Both
draw the same run at the same size. Prints frames/s and the ratio.
Targets: >= 5x the plain way and >= 100 frames/s for the whole file, set-up included; the MP4 at
most a third of the GIF's size, the WebM within twice the MP4's, encoded in under 5 s. The map's
frames (drawing.plane_frames.PlaneAnimation): >= 50 frames/s, drawn alone and for the whole file.
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
from config import VIDEO_FORMATS, ConfigError  # noqa: E402
from drawing import gif, video  # noqa: E402
import rundir  # noqa: E402
from drawing import curves, style  # noqa: E402
import destinations  # noqa: E402
import rendering  # noqa: E402
from drawing.fit_frames import FitAnimation  # noqa: E402
from drawing.plane_frames import PlaneAnimation  # noqa: E402

# The run of two inputs measured: the spiral with a 3x8 tanh net, 200 frames (the case).
PLANE_SETTINGS = ["problem=spiral", "hidden_layers=[8,8,8]", "activation=tanh", "epochs=2000", "frames=200"]


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


def ensure_plane_run(run_dir: Path) -> Path:
    """Use a saved spiral run, or train one (PLANE_SETTINGS over adam_2x10.yaml) in a child process.
    Only its arrays are needed: train.py's pictures of two inputs are not all drawn yet, so its exit
    status is not looked at, but the run must be complete."""
    if not destinations.is_current(run_dir):
        print(f"training {run_dir} first ...", flush=True)
        subprocess.run([sys.executable, str(ROOT / "train.py"), "--config", str(ROOT / "experiments" / "adam_2x10.yaml"),
                        *[argument for setting in PLANE_SETTINGS for argument in ("--set", setting)],
                        "--output-dir", str(run_dir), "--no-progress"], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
        if not destinations.is_current(run_dir):
            sys.exit(f"could not train {run_dir}")
    return run_dir


def time_plane(run: rundir.Run, path: Path, repeats: int) -> None:
    """Frames per second of the map's frames of a run of two inputs: drawn alone (set-up apart), and
    the whole fit.gif, set-up included; the median of `repeats`."""
    drawn, whole = [], []
    for _ in range(repeats):
        animation = PlaneAnimation(run, 800, 360)
        started = time.perf_counter()
        for index in range(animation.frame_count):
            animation.frame(index)
        drawn.append(animation.frame_count / (time.perf_counter() - started))
        started = time.perf_counter()
        frame_count = rendering.write_animation(PlaneAnimation(run, 800, 360), run, path)
        whole.append(frame_count / (time.perf_counter() - started))
    print(f"two inputs (spiral, 3x8, {len(run.frame_epochs)} frames, a {run.config.grid_points}x"
          f"{run.config.grid_points} map, 800x360): frames drawn {statistics.median(drawn):7.1f} frames/s; "
          f"the whole fit.gif, set-up included {statistics.median(whole):7.1f} frames/s "
          f"({path.stat().st_size / 1024:.0f} KB; target >= 50)")


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


def time_videos(run: rundir.Run, folder: Path, gif_path: Path) -> None:
    """Encode fit.gif's frames (drawn beforehand) as each video format and print its size against
    the GIF's and the seconds it takes; then what writing the GIF with both videos takes."""
    try:
        video.check_available(list(VIDEO_FORMATS))
    except ConfigError as error:
        print(f"videos: not measured ({error})")
        return
    animation = FitAnimation(run, 800, 360)
    frames = [animation.frame(index).copy() for index in range(animation.frame_count)]
    settings = run.config.render
    durations = gif.frame_durations_ms(len(frames), settings.fps, settings.last_frame_seconds)
    gif_bytes, sizes, seconds = gif_path.stat().st_size, {}, {}
    for video_format in VIDEO_FORMATS:
        path = folder / f"fit.{video_format}"
        started = time.perf_counter()
        with video.videos_written([path], durations) as add_frame:
            for frame in frames:
                add_frame(frame)
        seconds[video_format], sizes[video_format] = time.perf_counter() - started, path.stat().st_size
    print(f"fit.mp4: {sizes['mp4'] / 1024:.0f} KB, {sizes['mp4'] / gif_bytes:.2f} of fit.gif's {gif_bytes / 1024:.0f} KB "
          f"(target <= 0.33), encoded in {seconds['mp4']:.2f} s")
    print(f"fit.webm: {sizes['webm'] / 1024:.0f} KB, {sizes['webm'] / sizes['mp4']:.2f} times the MP4's size "
          f"(target <= 2), encoded in {seconds['webm']:.2f} s (target < 5 s)")
    timings = {}
    for videos in ([], [folder / f"fit.{video_format}" for video_format in VIDEO_FORMATS]):
        started = time.perf_counter()
        rendering.write_animation(FitAnimation(run, 800, 360), run, folder / "fit.gif", videos)
        timings[bool(videos)] = time.perf_counter() - started
    print(f"writing fit.gif alone: {timings[False]:.2f} s; with fit.mp4 and fit.webm: {timings[True]:.2f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run-dir", type=Path, default=ROOT / "output" / "adam_2x10")
    parser.add_argument("--plane-run-dir", type=Path, default=ROOT / "output" / "bench_spiral_3x8")
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
        print(f"ours (FitAnimation + gif.write_gif, whole file, setup included): {ours_fps:7.1f} frames/s "
              f"({size_kb:.0f} KB)")
        print(f"ratio: {ours_fps / plain_fps:.1f}x the plain way (target >= 5x); "
              f"{ours_fps:.0f} frames/s (target >= 100)")
        time_plane(rendering.load_run(ensure_plane_run(arguments.plane_run_dir)), folder / "plane.gif",
                   arguments.repeats)
        time_videos(run, folder, folder / "ours.gif")

if __name__ == "__main__":
    main()
