import subprocess
import sys
from pathlib import Path

import imageio.v3 as iio
import numpy as np
import pytest
from PIL import Image

import animate
import config as config_module
import data
import train

ROOT = Path(__file__).resolve().parent.parent


def synthetic_run(run_dir: Path, epochs: int = 500, frames: int = 60) -> Path:
    """A run directory with made-up but plausible numbers, written without TensorFlow."""
    config = config_module.validate({"name": "synthetic", "epochs": epochs, "frames": frames, "grid_points": 120})
    dataset = data.dataset_for(config)
    frame_epochs = train.frame_schedule(epochs, frames)
    progress = (np.log1p(frame_epochs) / np.log1p(epochs))[:, None]
    predictions = (progress * np.sin(dataset.x_grid.reshape(1, -1))).astype(np.float32)
    loss = 0.04 + 0.5 * np.exp(-np.arange(1, epochs + 1) / 80)
    recording = train.Recording(
        frame_epochs=frame_epochs, predictions=predictions,
        frame_loss=np.concatenate([[0.55], loss[frame_epochs[1:] - 1]]),
        loss=loss, val_loss=loss + 0.005,
    )
    summary = train.summarize(config, recording, {"keras": 141, "weights_only": 120})
    return train.write_run(run_dir, config, dataset, recording, summary)


@pytest.fixture
def run_dir(tmp_path):
    return synthetic_run(tmp_path / "synthetic")


def test_render_run_writes_a_gif_with_one_frame_per_snapshot_and_a_png(run_dir):
    written = animate.render_run(run_dir)
    assert [path.name for path in written] == ["fit.gif", "loss.png"]
    gif = run_dir / "fit.gif"
    frames = iio.imread(gif, index=None, mode="RGBA")
    assert np.all(frames[..., 3] == 255), "every frame, composited, is fully opaque"
    frames = frames[..., :3]
    snapshot_count = len(np.load(run_dir / "snapshots.npz")["epochs"])
    assert frames.shape[0] == snapshot_count
    assert frames.shape[1:] == (360, 800, 3)
    assert gif.stat().st_size < 3 * 1024 * 1024
    png = iio.imread(run_dir / "loss.png")
    assert png.shape[0] > 200 and png.shape[1] > 400
    assert not list(run_dir.glob(".*")), "no temporary files are left behind"


def test_gif_frames_show_what_was_drawn(run_dir):
    """Decoding the GIF (with its 'unchanged pixel' transparency) gives back every drawn frame."""
    animate.render_run(run_dir)
    run = animate.load_run(run_dir)
    animation = animate.FitAnimation(run)
    decoded = iio.imread(run_dir / "fit.gif", index=None, mode="RGB").astype(int)
    for index in (0, 1, len(decoded) // 2, len(decoded) - 1):
        drawn = animation.frame(index)[..., :3].astype(int)
        difference = np.abs(decoded[index] - drawn)
        assert difference.mean() < 2.0, index  # palette rounding only
        assert np.mean(difference.max(axis=-1) > 40) < 0.002, index


def test_gif_timing_holds_the_last_frame(run_dir):
    animate.render_run(run_dir)
    with Image.open(run_dir / "fit.gif") as gif:
        durations = []
        for index in range(gif.n_frames):
            gif.seek(index)
            durations.append(gif.info["duration"])
        assert gif.info.get("loop") == 0
    assert durations[0] == 50  # 20 frames a second by default
    assert durations[-1] == 2500


def test_every_frame_says_its_epoch_and_loss(run_dir):
    run = animate.load_run(run_dir)
    animation = animate.FitAnimation(run)
    last = len(run.frame_epochs) - 1
    assert animation.epoch_caption(last) == "500"
    assert animation.loss_caption(last) == f"{run.frame_loss[last]:.4f}"
    words = [text.get_text() for text in animation.figure.texts]
    assert "epoch " in words and " of 500" in words and "training MSE " in words
    assert any("noise floor σ² = 0.04" in word for word in words)
    fit_axes, loss_axes = animation.figure.axes
    assert fit_axes.get_xlabel() == "x" and fit_axes.get_ylabel() == "y"
    assert loss_axes.get_yscale() == "log" and "epoch" in loss_axes.get_xlabel()
    assert any(line.get_label().startswith("noise floor") for line in loss_axes.get_lines())


def test_parallel_and_serial_encoding_give_the_same_bytes(run_dir, monkeypatch):
    run = animate.load_run(run_dir)
    animation = animate.FitAnimation(run)
    count = len(run.frame_epochs)
    palette = animate.SharedPalette([animation.frame(0).copy(), animation.frame(count - 1).copy()])
    durations = animate.frame_durations_ms(count, 20, 2)
    assert animate._parallel_workers(count) > 1 or sys.platform != "linux" or len(__import__("os").sched_getaffinity(0)) == 1
    parallel = animate.encode_frames(animation, palette, durations)
    monkeypatch.setattr(animate, "_parallel_workers", lambda frame_count: 1)
    serial = animate.encode_frames(animation, palette, durations)
    assert parallel == serial and len(parallel) == count


def test_a_frame_is_cropped_to_what_changed_and_the_rest_is_transparent(tmp_path):
    palette = animate.SharedPalette([np.full((4, 6, 4), 255, np.uint8)])
    colors = palette.colors()
    first = np.zeros((30, 40), np.uint8)
    second = first.copy()
    second[10:12, 5:9] = 1
    frames = [animate.encode_frame(first, colors, 50, None), animate.encode_frame(second, colors, 70, first),
              animate.encode_frame(second, colors, 90, second)]
    animate.write_gif(tmp_path / "tiny.gif", (40, 30), palette, frames)
    with Image.open(tmp_path / "tiny.gif") as gif:
        assert gif.n_frames == 3
        gif.seek(1)
        assert gif.tile[0].extents == (5, 10, 9, 12)  # only the changed box is stored
        assert gif.info["duration"] == 70
    decoded = iio.imread(tmp_path / "tiny.gif", index=None, mode="RGB")
    assert decoded.shape == (3, 30, 40, 3)
    np.testing.assert_array_equal(decoded[2], decoded[1])


def test_curve_points_keeps_short_curves_and_thins_long_ones_from_the_start():
    epochs, values = animate.curve_points(np.arange(10.0))
    np.testing.assert_array_equal(epochs, np.arange(1, 11))
    epochs, values = animate.curve_points(np.arange(1_000_000.0), max_points=1000)
    assert len(epochs) <= 1000 and epochs[0] == 1 and epochs[-1] == 1_000_000
    assert set(range(1, 50)) <= set(epochs.tolist())
    np.testing.assert_array_equal(values, epochs - 1)


def test_redrawing_needs_no_tensorflow(run_dir):
    code = (
        "import sys, animate; status = animate.main([sys.argv[1]]); "
        "assert status == 0; assert 'tensorflow' not in sys.modules and 'keras' not in sys.modules"
    )
    result = subprocess.run([sys.executable, "-c", code, str(run_dir)], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert (run_dir / "fit.gif").is_file()


def test_a_folder_that_is_not_a_run_is_a_plain_error(tmp_path):
    result = subprocess.run(
        [sys.executable, str(ROOT / "animate.py"), str(tmp_path)], capture_output=True, text=True,
    )
    assert result.returncode == 2
    assert "not a run directory" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("name, damage, expected", [
    ("snapshots.npz", b"PK\x03\x04 truncated", "cannot be read"), ("summary.json", b"{not json", "cannot be read"),
    ("config.yaml", b"[unclosed", "config.yaml: is not valid YAML"),
])
def test_a_damaged_run_is_a_plain_error(run_dir, name, damage, expected):
    (run_dir / name).write_bytes(damage)
    result = subprocess.run([sys.executable, str(ROOT / "animate.py"), str(run_dir)], capture_output=True, text=True)
    assert result.returncode == 2
    assert expected in result.stderr and "Traceback" not in result.stderr


# --- compare ----------------------------------------------------------------------------------

def _run_with_epochs(tmp_path, name, frame_epochs, seed=0):
    run_dir = synthetic_run(tmp_path / name, epochs=int(frame_epochs[-1]), frames=10)
    with np.load(run_dir / "snapshots.npz") as snapshots:
        arrays = dict(snapshots)
    count = len(frame_epochs)
    arrays["epochs"] = np.asarray(frame_epochs)
    arrays["predictions"] = np.repeat(np.arange(count, dtype=np.float32)[:, None], arrays["x"].shape[0], axis=1)
    arrays["frame_loss"] = np.linspace(1.0, 0.1, count)
    if seed:
        arrays["y_train"] = arrays["y_train"] + 0.5
    np.savez(run_dir / "snapshots.npz", **arrays)
    return run_dir


def test_compare_frames_are_the_union_and_each_panel_shows_its_latest_snapshot(tmp_path):
    first = animate.load_run(_run_with_epochs(tmp_path, "a", [0, 1, 2, 4, 8, 100]))
    second = animate.load_run(_run_with_epochs(tmp_path, "b", [0, 3, 6, 50, 100]))
    epochs = animate.compare_frame_epochs([first, second])
    np.testing.assert_array_equal(epochs, [0, 1, 2, 3, 4, 6, 8, 50, 100])
    assert [animate.latest_snapshot(first, epoch) for epoch in epochs] == [0, 1, 2, 2, 3, 3, 4, 4, 5]
    assert [animate.latest_snapshot(second, epoch) for epoch in epochs] == [0, 0, 0, 1, 1, 2, 2, 3, 4]
    assert len(animate.compare_frame_epochs([first, second], max_frames=4)) <= 4


def test_compare_draws_the_panels_in_step(tmp_path):
    first = animate.load_run(_run_with_epochs(tmp_path, "a", [0, 1, 2, 4, 8, 100]))
    second = animate.load_run(_run_with_epochs(tmp_path, "b", [0, 3, 6, 50, 100]))
    animation = animate.CompareAnimation([first, second])
    animation.frame(5)  # epoch 6: run a shows its snapshot of epoch 4, run b that of epoch 6
    np.testing.assert_array_equal(animation.lines[0].get_ydata(), np.full(first.x_grid.shape[0], 3.0))
    np.testing.assert_array_equal(animation.lines[1].get_ydata(), np.full(second.x_grid.shape[0], 2.0))
    assert animate.same_data([first, second])
    texts = [text.get_text() for text in animation.figure.texts]
    assert not any("different data" in text for text in texts)


def test_compare_writes_gif_and_png_and_says_when_the_data_differ(tmp_path):
    run_dirs = [_run_with_epochs(tmp_path, "a", [0, 1, 2, 4, 8, 100]),
                _run_with_epochs(tmp_path, "b", [0, 3, 6, 50, 100], seed=1),
                _run_with_epochs(tmp_path, "c", [0, 10, 100])]
    result = subprocess.run([sys.executable, str(ROOT / "animate.py"), "compare", *map(str, run_dirs),
                             "--output-dir", str(tmp_path / "cmp")], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    frames = iio.imread(tmp_path / "cmp" / "compare.gif", index=None, mode="RGB")
    assert len(frames) == 10  # the union of the three runs' frame epochs: 0 1 2 3 4 6 8 10 50 100
    assert (tmp_path / "cmp" / "compare.png").read_bytes().startswith(b"\x89PNG")
    runs = [animate.load_run(run_dir) for run_dir in run_dirs]
    assert not animate.same_data(runs)
    texts = [text.get_text() for text in animate.CompareAnimation(runs).figure.texts]
    assert any("different data in each panel" in text for text in texts)


@pytest.mark.parametrize("count", [1, 10])
def test_compare_takes_2_to_9_runs(tmp_path, count):
    run_dir = synthetic_run(tmp_path / "a")
    result = subprocess.run([sys.executable, str(ROOT / "animate.py"), "compare", *[str(run_dir)] * count,
                             "--output-dir", str(tmp_path / "cmp")], capture_output=True, text=True)
    assert result.returncode == 2 and "compare takes 2 to 9 run directories" in result.stderr
    assert not (tmp_path / "cmp").exists()


# --- a run's config.yaml is checked; render settings can be changed for one drawing --------------

def redraw(*arguments, cwd=ROOT):
    return subprocess.run([sys.executable, str(ROOT / "animate.py"), *map(str, arguments)], cwd=cwd,
                          capture_output=True, text=True)


@pytest.mark.parametrize("edit, expected", [
    ("  fps: 0", "render.fps: Input should be greater than or equal to 0.1"),
    ("  fps: abc", "render.fps: Input should be a valid number"),
    ("  fps: 500", "render.fps: Input should be less than or equal to 50"),
    ("  fsp: 5", "unknown key 'render.fsp' (did you mean 'render.fps'?)"),
])
def test_an_edited_config_yaml_is_checked_like_an_experiment_file(run_dir, edit, expected):
    path = run_dir / "config.yaml"
    path.write_text(path.read_text().replace("  fps: 20.0", edit))
    result = redraw(run_dir)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.startswith(f"error: {path}: {expected}") and len(result.stderr.splitlines()) == 1
    assert not (run_dir / "fit.gif").exists()


def test_set_changes_the_render_settings_for_one_drawing_only(run_dir):
    config_before = (run_dir / "config.yaml").read_bytes()
    result = redraw(run_dir, "--set", "render.fps=1e1", "--set", "render.last_frame_seconds=1")
    assert result.returncode == 0, result.stderr
    with Image.open(run_dir / "fit.gif") as gif:
        assert gif.info["duration"] == 100
        gif.seek(gif.n_frames - 1)
        assert gif.info["duration"] == 1000
    assert (run_dir / "config.yaml").read_bytes() == config_before
    result = redraw(run_dir, "--set", "render.fps=0")
    assert result.returncode == 2 and result.stderr.startswith("error: --set render.fps=0: render.fps: ")


def test_set_cannot_change_what_was_trained(run_dir):
    result = redraw(run_dir, "--set", "epochs=5")
    assert result.returncode == 2 and "only render settings change when redrawing" in result.stderr
    assert len(result.stderr.splitlines()) == 1


def test_a_missing_run_directory_is_said_not_to_exist(tmp_path):
    result = redraw(tmp_path / "nope")
    assert result.returncode == 2 and result.stderr.startswith(f"error: {tmp_path / 'nope'}: does not exist")


def test_a_run_on_one_data_point_draws_without_warnings(tmp_path):
    import warnings

    config = config_module.validate({"name": "one_point", "epochs": 5, "frames": 6, "n_samples": 1})
    dataset = data.dataset_for(config)
    frame_epochs = np.arange(6)
    recording = train.Recording(frame_epochs=frame_epochs, predictions=np.zeros((6, 200), np.float32),
                                frame_loss=np.full(6, 0.3), loss=np.full(5, 0.3), val_loss=np.full(5, 0.3))
    run_dir = train.write_run(tmp_path / "one_point", config, dataset, recording,
                              train.summarize(config, recording, {"keras": 141, "weights_only": 120}))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        animate.render_run(run_dir)
    low, high = animate.FitAnimation(animate.load_run(run_dir)).figure.axes[0].get_ylim()
    assert low < -1 and high > 1, "the true sine stays in view"


@pytest.fixture(scope="module")
def trained_run(tmp_path_factory):
    run_dir = tmp_path_factory.mktemp("trained") / "sgd_small"
    config = config_module.load_config(ROOT / "experiments/sgd_2x10.yaml", ["epochs=300", "frames=40"])
    train.train_and_write(config, run_dir, progress=False, render=False)
    return animate.load_run(run_dir)


def test_the_training_curve_goes_through_the_error_every_frame_states(trained_run):
    """The marker of a frame sits on the curve: both are the error of the same weights."""
    run = trained_run
    epochs, values = animate.training_curve(run)
    assert epochs[0] == 0 and epochs[-1] == run.epochs_completed
    curve = dict(zip(epochs.tolist(), values.tolist()))
    for epoch, frame_loss in zip(run.frame_epochs, run.frame_loss):
        assert curve[int(epoch)] == pytest.approx(frame_loss, rel=1e-5), epoch
    log_epochs, _ = animate.training_curve(run, log_x=True)
    assert log_epochs[0] == 1
    assert animate.final_training_loss(run) == pytest.approx(run.frame_loss[-1])
