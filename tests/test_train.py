import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import config as config_module
import data
import models
import train

ROOT = Path(__file__).resolve().parent.parent


# --- the frame schedule ------------------------------------------------------------------------

@pytest.mark.parametrize("epochs, frames", [(20000, 200), (1000, 150), (300, 40), (1_000_000, 250), (7, 2)])
def test_frame_schedule_is_sorted_unique_and_spans_the_run(epochs, frames):
    schedule = train.frame_schedule(epochs, frames)
    assert schedule[0] == 0 and schedule[-1] == epochs
    assert np.all(np.diff(schedule) > 0)
    assert frames <= len(schedule) <= frames + 2 or len(schedule) == epochs + 1


def test_frame_schedule_shows_early_epochs_one_by_one_and_still_covers_the_late_run():
    schedule = train.frame_schedule(20000, 200)
    assert set(range(0, 11)) <= set(schedule.tolist())
    assert np.sum(schedule > 10000) >= 20  # the slow late learning is not skipped over
    assert np.max(np.diff(schedule)) <= 20000 / 40


@pytest.mark.parametrize("epochs, frames", [(20000, 200), (1000, 150), (1_000_000, 250), (5000, 2000)])
def test_frame_gaps_grow_smoothly_with_no_near_duplicates_or_jumps(epochs, frames):
    gaps = np.diff(train.frame_schedule(epochs, frames))
    assert np.all(np.diff(gaps[:-1]) >= -1), "a gap never shrinks (but for rounding, and the last one)"
    assert gaps.max() <= 4 * epochs / frames + 1


def test_frame_schedule_takes_every_epoch_when_there_are_few():
    np.testing.assert_array_equal(train.frame_schedule(10, 50), np.arange(11))


# --- the two training paths agree --------------------------------------------------------------

def _fresh(config):
    dataset = data.dataset_for(config)
    model, optimizer = models.model_and_optimizer(config)
    return dataset, model, optimizer


@pytest.mark.parametrize("optimizer", ["adam", "sgd"])
def test_in_graph_engine_matches_plain_keras_fit(small_config, optimizer):
    config = small_config.model_copy(update={"optimizer": optimizer, "learning_rate": 0.05})
    epochs, frame_epochs = 50, [0, 1, 10, 50]

    dataset, model, opt = _fresh(config)
    fast = train.train_in_graph(model, opt, dataset, epochs, np.array(frame_epochs))

    dataset, reference_model, reference_optimizer = _fresh(config)
    reference_model.compile(optimizer=reference_optimizer, loss="mse")
    snapshots = train.PredictionSnapshots(dataset.x_grid, dataset.x_train, dataset.y_train, frame_epochs=frame_epochs)
    reference_model.fit(
        dataset.x_train, dataset.y_train, batch_size=len(dataset.x_train), epochs=epochs, shuffle=False,
        validation_data=(dataset.x_validation, dataset.y_validation), callbacks=[snapshots], verbose=0,
    )
    reference = snapshots.recording()

    np.testing.assert_array_equal(fast.frame_epochs, reference.frame_epochs)
    np.testing.assert_allclose(fast.predictions[0], reference.predictions[0], atol=1e-6)  # same start
    np.testing.assert_allclose(fast.predictions[-1], reference.predictions[-1], atol=1e-4)  # epoch 50
    np.testing.assert_allclose(fast.loss, reference.loss, rtol=1e-4)
    np.testing.assert_allclose(fast.val_loss, reference.val_loss, rtol=1e-4)
    np.testing.assert_allclose(fast.frame_loss, reference.frame_loss, rtol=1e-4)
    assert fast.predictions[-1].std() > 0  # it did learn something to compare
    assert not np.allclose(fast.predictions[0], fast.predictions[-1], atol=1e-3)


def test_recording_holds_every_epoch_and_the_requested_frames(small_config):
    dataset, model, optimizer = _fresh(small_config)
    frame_epochs = train.frame_schedule(small_config.epochs, small_config.frames)
    calls = []
    recording = train.train_in_graph(
        model, optimizer, dataset, small_config.epochs, frame_epochs,
        on_chunk=lambda done, loss: calls.append(done), chunk_epochs=128,
    )
    assert calls == [128, 256, 300]
    assert recording.loss.shape == recording.val_loss.shape == (300,)
    assert recording.loss.dtype == np.float64
    assert recording.predictions.shape == (len(frame_epochs), small_config.grid_points)
    assert np.all(np.isfinite(recording.predictions))
    assert recording.loss[-1] < recording.loss[0]
    # The frame at the last epoch shows the weights after the last update, so its training error
    # is what the next epoch would have reported: a little below the last epoch's loss.
    assert recording.frame_loss[-1] <= recording.loss[-1] + 1e-6


def test_chunking_does_not_change_the_numbers(small_config):
    frame_epochs = train.frame_schedule(small_config.epochs, small_config.frames)
    runs = []
    for chunk_epochs in (1000, 37):
        dataset, model, optimizer = _fresh(small_config)
        runs.append(train.train_in_graph(model, optimizer, dataset, small_config.epochs, frame_epochs,
                                         chunk_epochs=chunk_epochs))
    np.testing.assert_array_equal(runs[0].loss, runs[1].loss)
    np.testing.assert_array_equal(runs[0].predictions, runs[1].predictions)


# --- the command and the run directory ---------------------------------------------------------

def run_command(*arguments, cwd=ROOT):
    return subprocess.run(
        [sys.executable, str(ROOT / "train.py"), *arguments], cwd=cwd, capture_output=True, text=True, timeout=600,
    )


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory):
    run_dir = tmp_path_factory.mktemp("runs") / "adam_small"
    result = run_command(
        "--config", "experiments/adam_2x10.yaml", "--set", "epochs=400", "--set", "frames=60",
        "--output-dir", str(run_dir), "--no-progress",
    )
    assert result.returncode == 0, result.stderr
    return run_dir, result


def test_run_directory_holds_every_file(finished_run):
    run_dir, result = finished_run
    for name in train.RUN_FILES:
        assert (run_dir / name).is_file(), name
    assert not list(run_dir.parent.glob(".*")), "no temporary files are left behind"
    assert "final training MSE" in result.stdout and "noise floor" in result.stdout
    assert str(run_dir) in result.stdout


def test_tensorflow_start_up_lines_do_not_reach_the_terminal(finished_run):
    _, result = finished_run
    assert "cuda" not in result.stderr.lower()
    assert "absl" not in result.stderr and "oneDNN" not in result.stderr
    assert result.stderr.strip() == ""


def test_history_and_summary(finished_run):
    run_dir, _ = finished_run
    history = np.genfromtxt(run_dir / "history.csv", delimiter=",", names=True)
    assert history.dtype.names == ("epoch", "loss", "val_loss")
    assert len(history) == 400 and history["epoch"][0] == 1 and history["epoch"][-1] == 400
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["status"] == "completed" and summary["epochs"] == 400
    with np.load(run_dir / "snapshots.npz") as snapshots:
        # The final figures are those of the final weights, which the last frame shows; the
        # history's last training loss (Keras's convention) is that of the weights before.
        assert snapshots["epochs"][-1] == 400
        assert summary["loss"] == pytest.approx(snapshots["frame_loss"][-1], rel=1e-6)
        assert summary["loss"] < history["loss"][-1]
    assert summary["val_loss"] == pytest.approx(history["val_loss"][-1], rel=1e-6)
    assert summary["noise_floor"] == pytest.approx(0.04)
    assert summary["val_loss_over_noise_floor"] == pytest.approx(summary["val_loss"] / 0.04)
    assert summary["parameters"] == {"keras": 141, "weights_only": 120}
    assert summary["train_seconds"] > 0


def test_snapshots_and_resolved_config(finished_run):
    import yaml

    run_dir, _ = finished_run
    with np.load(run_dir / "snapshots.npz") as snapshots:
        assert snapshots["epochs"][0] == 0 and snapshots["epochs"][-1] == 400
        assert snapshots["predictions"].shape == (len(snapshots["epochs"]), len(snapshots["x"]))
        assert snapshots["loss"].shape == snapshots["val_loss"].shape == (400,)
        assert snapshots["x_train"].shape == snapshots["y_train"].shape == (200,)
        assert float(snapshots["noise_std"]) == 0.2
    resolved = yaml.safe_load((run_dir / "config.yaml").read_text())
    assert resolved["epochs"] == 400 and resolved["frames"] == 60 and resolved["name"] == "adam_2x10"
    assert resolved["hidden_layers"] == [10, 10] and resolved["render"]["fps"] == 20.0
    config_module.validate(resolved)  # what was written is itself a valid config


def test_same_config_and_seed_give_identical_numbers(small_config, tmp_path):
    arrays = []
    for attempt in range(2):
        run_dir = tmp_path / f"run{attempt}"
        train.train_and_write(small_config, run_dir, progress=False, render=False)
        with np.load(run_dir / "snapshots.npz") as snapshots:
            arrays.append({key: snapshots[key] for key in snapshots.files})
    for key in arrays[0]:
        np.testing.assert_array_equal(arrays[0][key], arrays[1][key], err_msg=key)


def test_a_rerun_replaces_the_old_run_as_a_whole(small_config, tmp_path):
    run_dir = tmp_path / "run"
    train.train_and_write(small_config, run_dir, progress=False)
    (run_dir / ".fit.gif.12345.partial").write_bytes(b"GIF89a, left by a killed process")
    train.train_and_write(small_config.model_copy(update={"epochs": 20}), run_dir, progress=False, render=False)
    assert sorted(path.name for path in run_dir.iterdir()) == sorted(train.RUN_FILES[:4])
    assert json.loads((run_dir / "summary.json").read_text())["epochs"] == 20
    assert sorted(path.name for path in tmp_path.iterdir()) == ["run"]


def test_a_bad_config_is_one_plain_line_exit_2_and_writes_nothing(tmp_path):
    result = run_command(
        "--config", "experiments/adam_2x10.yaml", "--set", "epoch=10", "--output-dir", str(tmp_path / "run"),
    )
    assert result.returncode == 2
    assert result.stderr.strip() == "error: --set epoch=10: unknown key 'epoch' (did you mean 'epochs'?)"
    assert "Traceback" not in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_the_readme_example_of_prediction_snapshots_runs(tmp_path, monkeypatch):
    import re

    readme = (ROOT / "README.md").read_text()
    example = re.search(r"## PredictionSnapshots in your own Keras code.*?```python\n(.*?)```", readme, re.S).group(1)
    monkeypatch.chdir(tmp_path)
    exec(compile(example, "README.md", "exec"), {})
    run_dir = tmp_path / "output" / "my_run"
    assert json.loads((run_dir / "summary.json").read_text())["epochs"] == 100
    import animate

    animate.render_run(run_dir)
    assert (run_dir / "fit.gif").is_file()


def test_the_final_training_error_is_that_of_the_final_weights(small_config, tmp_path):
    """With one epoch, Keras's loss of epoch 1 is the untrained net's; the final figure is not."""
    outcome = train.train_and_write(small_config.model_copy(update={"epochs": 1}), tmp_path / "run", progress=False,
                                    render=False)
    with np.load(tmp_path / "run" / "snapshots.npz") as snapshots:
        untrained, final = snapshots["frame_loss"][0], snapshots["frame_loss"][-1]
        assert snapshots["loss"][0] == pytest.approx(untrained, rel=1e-6)
    assert outcome.summary["loss"] == pytest.approx(final, rel=1e-6) and final != untrained
    assert "final training MSE " + f"{final:.4f}" in train.describe_summary(outcome.summary, outcome.run_dir)
