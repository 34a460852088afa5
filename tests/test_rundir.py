"""The run directory (rundir.py): written and read back unchanged, checked when read, refused in
one plain line when it cannot be read, and readable with neither TensorFlow nor matplotlib."""

import dataclasses
import io
import json
import subprocess
import sys
from contextlib import redirect_stderr
from pathlib import Path

import numpy as np
import pytest

import config as config_module
import rundir
from conftest import ROOT, synthetic_run
from config import ConfigError
from rundir import RunError
import destinations


def written(tmp_path: Path, run: rundir.Run, name: str = "run") -> Path:
    directory = tmp_path / name
    rundir.write_run(directory, run)
    return directory


def assert_same_run(read: rundir.Run, original: rundir.Run) -> None:
    """Every field of the Run dataclass, compared exactly (arrays with their dtype; NaN equals NaN)."""
    names = [field.name for field in dataclasses.fields(rundir.Run)]
    assert names == ["config", "summary", "frame_epochs", "per_frame", "per_epoch", "x_train", "y_train", "x_grid",
                     "y_grid_true", "seeds", "x_validation", "y_validation"], "a new field of Run: compare it below too"
    assert read.config == original.config
    assert read.summary == original.summary
    for name in ("per_frame", "per_epoch"):
        ours, theirs = getattr(read, name), getattr(original, name)
        assert sorted(ours) == sorted(theirs), name
        for key in theirs:
            assert ours[key].dtype == theirs[key].dtype, (name, key)
            np.testing.assert_array_equal(ours[key], theirs[key], err_msg=f"{name}[{key}]")
    for name in ("frame_epochs", "x_train", "y_train", "x_grid", "y_grid_true", "seeds", "x_validation", "y_validation"):
        ours, theirs = getattr(read, name), getattr(original, name)
        if theirs is None:
            assert ours is None, name
            continue
        assert ours.dtype == theirs.dtype and ours.shape == theirs.shape, name
        np.testing.assert_array_equal(ours, theirs, err_msg=name)


# --- writing and reading back --------------------------------------------------------------------

@pytest.mark.parametrize("options", [
    {},
    {"nets": 3},
    {"diverged_at": 120},
    {"nets": 3, "diverged_at": 120},
    {"status": "interrupted"},
    {"nets": 2, "status": "interrupted"},
], ids=["one net", "stack", "diverged", "diverged stack", "interrupted", "interrupted stack"])
def test_a_run_reads_back_exactly_as_it_was_written(tmp_path, options):
    original = synthetic_run(**options)
    read = rundir.read_run(written(tmp_path, original))
    assert_same_run(read, original)
    assert read.nets == original.nets == options.get("nets", 1)
    assert read.status == original.status and read.epochs_completed == original.epochs_completed
    assert read.predictions.shape == (len(read.frame_epochs), read.nets, len(read.x_grid))
    assert read.loss.shape == read.val_loss.shape == (read.epochs_completed, read.nets)


def test_the_summary_of_each_ending(tmp_path):
    completed = rundir.read_run(written(tmp_path, synthetic_run(), "completed"))
    assert completed.summary.format == rundir.FORMAT
    assert completed.status == "completed" and completed.diverged_at_epoch is None
    assert completed.epochs_completed == completed.epochs_requested == completed.summary.epochs_completed == 300
    assert completed.summary.loss == pytest.approx(float(completed.frame_loss[-1, 0]))
    assert completed.summary.val_loss == pytest.approx(float(completed.val_loss[-1, 0]))
    assert completed.noise_floor == 0.04 and completed.true_function == "sin(x)"
    assert completed.training_description == "2x10 sigmoid · adam lr 0.01" and completed.name == "synthetic"
    assert [net.to_json() for net in completed.summary.nets] == [{"seed": 0, "loss": completed.summary.loss,
                                                                 "val_loss": completed.summary.val_loss,
                                                                 "diverged_at_epoch": None}]

    diverged = rundir.read_run(written(tmp_path, synthetic_run(nets=3, diverged_at=120), "diverged"))
    assert diverged.status == "diverged" and diverged.diverged_at_epoch == 120 == diverged.epochs_completed
    assert diverged.epochs_requested == 300 and diverged.frame_epochs[-1] == 119
    assert diverged.summary.val_loss is None and diverged.summary.diverged_seeds == [0, 1, 2]
    assert [net.diverged_at_epoch for net in diverged.summary.nets] == [120, 120, 120]

    interrupted = rundir.read_run(written(tmp_path, synthetic_run(status="interrupted"), "interrupted"))
    assert interrupted.status == "interrupted" and interrupted.diverged_at_epoch is None
    assert interrupted.epochs_completed == 300 and interrupted.epochs_requested == 600


def test_summary_json_is_strict_json_even_for_a_diverged_run(tmp_path):
    text = (written(tmp_path, synthetic_run(nets=2, diverged_at=50)) / "summary.json").read_text()
    assert "NaN" not in text and "Infinity" not in text
    json.loads(text, parse_constant=lambda name: pytest.fail(f"summary.json holds {name}"))


def test_history_csv_holds_every_epoch_with_the_median_over_nets(tmp_path):
    run = synthetic_run(nets=3)
    run.per_epoch["loss"][150:, 1] = np.nan  # one net's loss stops being a number: the median of the others
    run_dir = written(tmp_path, run)
    lines = (run_dir / "history.csv").read_text().splitlines()
    assert lines[0] == "epoch,loss,val_loss,grad_norm"
    history = np.genfromtxt(run_dir / "history.csv", delimiter=",", names=True)
    assert len(history) == 300
    np.testing.assert_array_equal(history["epoch"], np.arange(1, 301))
    loss, val_loss = run.per_epoch["loss"].astype(np.float64), run.per_epoch["val_loss"].astype(np.float64)
    np.testing.assert_allclose(history["loss"][:150], np.median(loss[:150], axis=1), rtol=1e-7)
    np.testing.assert_allclose(history["loss"][150:], np.median(loss[150:, [0, 2]], axis=1), rtol=1e-7)
    np.testing.assert_allclose(history["val_loss"], np.median(val_loss, axis=1), rtol=1e-7)
    np.testing.assert_allclose(history["grad_norm"], np.median(run.per_epoch["grad_norm"], axis=1), rtol=1e-6)


def test_history_csv_of_a_diverged_run_ends_with_the_non_finite_epoch(tmp_path):
    run_dir = written(tmp_path, synthetic_run(diverged_at=40))
    lines = (run_dir / "history.csv").read_text().splitlines()
    assert len(lines) == 41 and lines[-1] == "40,nan,nan,nan"
    assert all(np.isfinite(float(value)) for line in lines[1:-1] for value in line.split(","))


def test_picture_names_and_files_present(tmp_path):
    one, stack = synthetic_run(), synthetic_run(nets=3)
    assert rundir.picture_names(one) == ("fit.gif", "loss.png", "units.gif", "residuals.png", "report.html")
    assert rundir.picture_names(stack) == ("seeds.gif", "seeds.png", "units.gif", "residuals.png", "report.html")
    run_dir = written(tmp_path, one)
    assert rundir.files_present(run_dir) == ["config.yaml", "history.csv", "snapshots.npz", "summary.json"]
    (run_dir / "loss.png").write_bytes(b"\x89PNG")
    (run_dir / "notes.md").write_text("not the run's")
    (run_dir / "fit.gif").write_bytes(b"GIF89a")
    assert rundir.files_present(run_dir) == ["config.yaml", "history.csv", "snapshots.npz", "summary.json",
                                             "fit.gif", "loss.png"]
    (run_dir / "history.csv").unlink()
    assert rundir.files_present(run_dir) == ["config.yaml", "snapshots.npz", "summary.json", "fit.gif", "loss.png"]
    assert rundir.files_present(tmp_path / "nothing") == []


def test_which_runs_are_finished_and_current(tmp_path):
    completed = written(tmp_path, synthetic_run(), "completed")
    diverged = written(tmp_path, synthetic_run(diverged_at=40), "diverged")
    interrupted = written(tmp_path, synthetic_run(status="interrupted"), "interrupted")
    (tmp_path / "not_json").mkdir()
    (tmp_path / "not_json" / "summary.json").write_text("{half")
    assert destinations.holds_finished_run(completed) and destinations.holds_finished_run(diverged)
    assert not destinations.holds_finished_run(interrupted)
    assert not destinations.holds_finished_run(tmp_path / "not_json") and not destinations.holds_finished_run(tmp_path / "none")
    assert destinations.is_current(completed)
    assert not destinations.is_current(diverged) and not destinations.is_current(interrupted)
    assert not destinations.is_current(tmp_path / "not_json") and not destinations.is_current(tmp_path / "none")
    assert destinations.interrupted_destination(completed) == tmp_path / "completed.interrupted"
    # A run trained before the look inside the net is read, but not current: make compare trains it anew.
    earlier = synthetic_run()
    for name in ("output_bias", "distinct_units", "saturated_fraction", "unit_contributions"):
        del earlier.per_frame[name]
    del earlier.per_epoch["grad_norm"]
    earlier_dir = written(tmp_path, earlier, "earlier")
    assert rundir.read_run(earlier_dir).nets == 1 and not destinations.is_current(earlier_dir)


# --- runs of the old format ----------------------------------------------------------------------

def old_format_run(tmp_path: Path) -> Path:
    """A run as the version before run format 2 wrote it: summary.json without "format", the old
    snapshots.npz keys ("epochs", "predictions", "frame_loss", ...), one net without a nets axis."""
    run = synthetic_run()
    run_dir = written(tmp_path, run, "old")
    summary = {key: run.summary.to_json()[key] for key in ("name", "status", "epochs_requested", "loss", "val_loss",
                                                 "noise_floor", "val_loss_over_noise_floor", "min_loss",
                                                 "parameters", "frames", "train_seconds")}
    summary["epochs"] = run.epochs_completed
    (run_dir / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    np.savez_compressed(
        run_dir / "snapshots.npz", epochs=run.frame_epochs, x=run.x_grid, predictions=run.predictions[:, 0],
        frame_loss=run.frame_loss[:, 0], loss=run.loss[:, 0], val_loss=run.val_loss[:, 0], x_train=run.x_train,
        y_train=run.y_train, x_validation=run.x_train, y_validation=run.y_train, noise_std=np.float64(0.2),
        member_seeds=np.array([0]),
    )
    return run_dir


def test_a_run_of_the_old_format_is_refused_in_one_line_saying_to_train_again(tmp_path):
    run_dir = old_format_run(tmp_path)
    with pytest.raises(RunError) as error:
        rundir.read_run(run_dir)
    message = str(error.value)
    assert "\n" not in message
    assert message.startswith(f"{run_dir}: written in run format 1, and this version reads formats 2 and 3")
    assert f"train it again: python train.py --config {run_dir / 'config.yaml'} --output-dir {run_dir}" in message
    assert not destinations.is_current(run_dir)


def test_a_run_of_a_newer_format_is_refused_too(tmp_path):
    run_dir = written(tmp_path, synthetic_run())
    summary = json.loads((run_dir / "summary.json").read_text())
    (run_dir / "summary.json").write_text(json.dumps({**summary, "format": rundir.FORMAT + 1}))
    with pytest.raises(RunError, match=f"written in run format {rundir.FORMAT + 1}, and this version reads formats "
                                       "2 and 3; train it again"):
        rundir.read_run(run_dir)


def test_a_run_of_format_2_is_read_with_todays_declarations_and_its_numbers_are_current(tmp_path):
    """Format 2 wrote the same arrays without their declarations (summary.json's quantities)."""
    original = synthetic_run(nets=3)
    run_dir = written(tmp_path, original)
    summary = json.loads((run_dir / "summary.json").read_text())
    del summary["quantities"]
    (run_dir / "summary.json").write_text(json.dumps({**summary, "format": 2}))
    read = rundir.read_run(run_dir)
    assert read.summary.format == 2 and read.summary.quantities == original.summary.quantities
    assert_same_run(read, dataclasses.replace(original, summary=read.summary))
    assert destinations.is_current(run_dir, original.config)
    rewrite_arrays(run_dir, lambda arrays: arrays.update(
        {"frame.unit_contributions": arrays["frame.unit_contributions"][..., :-1]}))
    with pytest.raises(RunError, match=r"frame.unit_contributions has shape \(40, 1, 10, 49\), expected \(40, 1, 10, 50\)"):
        rundir.read_run(run_dir)


# --- what is not a run, and damaged runs ---------------------------------------------------------

def test_a_folder_that_is_not_a_run(tmp_path):
    with pytest.raises(RunError) as error:
        rundir.read_run(tmp_path)
    assert str(error.value) == (f"{tmp_path}: not a run directory (missing summary.json, config.yaml, snapshots.npz); "
                                "train one with train.py")
    run_dir = written(tmp_path, synthetic_run())
    (run_dir / "snapshots.npz").unlink()
    with pytest.raises(RunError, match=r"not a run directory \(missing snapshots.npz\)"):
        rundir.read_run(run_dir)


def test_a_missing_folder_is_said_not_to_exist(tmp_path):
    with pytest.raises(RunError) as error:
        rundir.read_run(tmp_path / "nope")
    assert str(error.value).startswith(f"{tmp_path / 'nope'}: does not exist; train a run first")


def test_a_file_instead_of_a_folder(tmp_path):
    (tmp_path / "fit.gif").write_bytes(b"GIF89a")
    with pytest.raises(RunError, match="is a file, not a run directory"):
        rundir.read_run(tmp_path / "fit.gif")


def rewrite_arrays(run_dir: Path, change) -> None:
    with np.load(run_dir / "snapshots.npz") as snapshots:
        arrays = {key: snapshots[key] for key in snapshots.files}
    change(arrays)
    np.savez(run_dir / "snapshots.npz", **arrays)


def truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def edit_summary(**changes):
    def edit(run_dir: Path) -> None:
        summary = json.loads((run_dir / "summary.json").read_text())
        summary.update(changes)
        (run_dir / "summary.json").write_text(json.dumps(summary))
    return edit


def replace_summary(text: str):
    return lambda run_dir: (run_dir / "summary.json").write_text(text)


DAMAGE = {
    "truncated npz": (lambda run_dir: truncate(run_dir / "snapshots.npz"), "a file of this run cannot be read"),
    "npz not a zip": (lambda run_dir: (run_dir / "snapshots.npz").write_bytes(b"PK\x03\x04 truncated"),
                      "a file of this run cannot be read"),
    "missing x_grid": (lambda run_dir: rewrite_arrays(run_dir, lambda arrays: arrays.pop("x_grid")), "x_grid"),
    "missing frame.loss": (lambda run_dir: rewrite_arrays(run_dir, lambda arrays: arrays.pop("frame.loss")),
                           "the frames' prediction and loss and the epochs' loss and val_loss are needed"),
    "missing epoch.val_loss": (lambda run_dir: rewrite_arrays(run_dir, lambda arrays: arrays.pop("epoch.val_loss")),
                               "the frames' prediction and loss and the epochs' loss and val_loss are needed"),
    "prediction of the wrong shape": (
        lambda run_dir: rewrite_arrays(run_dir, lambda arrays: arrays.update(
            {"frame.prediction": arrays["frame.prediction"][:, :, :-1]})),
        "frame.prediction has shape (40, 1, 49), expected (40, 1, 50)"),
    "losses of fewer epochs": (
        lambda run_dir: rewrite_arrays(run_dir, lambda arrays: arrays.update(
            {"epoch.loss": arrays["epoch.loss"][:-1]})),
        "epoch.val_loss has shape (300, 1), expected (299, 1)"),
    "unit contributions on another grid": (
        lambda run_dir: rewrite_arrays(run_dir, lambda arrays: arrays.update(
            {"frame.unit_contributions": arrays["frame.unit_contributions"][..., :-1]})),
        "frame.unit_contributions has shape (40, 1, 10, 49), expected (40, 1, 10, 50)"),
    "an array nobody declared": (
        lambda run_dir: rewrite_arrays(run_dir, lambda arrays: arrays.update(
            {"frame.mystery": np.zeros((40, 1), np.float32)})),
        "frame.mystery is recorded but not declared among the run's quantities"),
    "no declarations": (lambda run_dir: replace_summary(json.dumps(
        {key: value for key, value in json.loads((run_dir / "summary.json").read_text()).items() if key != "quantities"}
    ))(run_dir), "the run's quantities must be a list of declarations, got NoneType"),
    "y_train of the wrong length": (
        lambda run_dir: rewrite_arrays(run_dir, lambda arrays: arrays.update({"y_train": arrays["y_train"][:-1]})),
        "y_train has shape (63,), expected (64,)"),
    "frame epochs out of order": (
        lambda run_dir: rewrite_arrays(run_dir, lambda arrays: arrays.update(
            {"frame_epochs": arrays["frame_epochs"][::-1].copy()})),
        "frame_epochs must be one or more increasing epochs"),
    "a frame after the last epoch": (
        lambda run_dir: rewrite_arrays(run_dir, lambda arrays: arrays["frame_epochs"].__setitem__(-1, 301)),
        "disagree on how many epochs were trained"),
    "summary not json": (replace_summary("{not json"), "summary.json cannot be read"),
    "summary a list": (replace_summary('["not", "a", "summary"]'), "summary.json cannot be read"),
    "summary null": (replace_summary("null"), "summary.json cannot be read"),
    "bad status": (edit_summary(status="odd"), "status must be one of completed, diverged, stopped_early, interrupted, got 'odd'"),
    "no status": (replace_summary('{"format": 2}'), "summary.json: name is missing"),
    "diverged without an epoch": (edit_summary(status="diverged"), "a diverged run needs diverged_at_epoch"),
    "diverged at a word": (edit_summary(status="diverged", diverged_at_epoch="abc"),
                           "diverged_at_epoch is not what train.py writes (input should be a valid integer), got 'abc'"),
    "diverged at true": (edit_summary(status="diverged", diverged_at_epoch=True), "diverged_at_epoch"),
    "diverged at epoch 0": (edit_summary(status="diverged", diverged_at_epoch=0), "diverged_at_epoch"),
    "name missing": (lambda run_dir: replace_summary(json.dumps(
        {key: value for key, value in json.loads((run_dir / "summary.json").read_text()).items() if key != "name"}
    ))(run_dir), "summary.json: name is missing"),
    "epochs edited": (edit_summary(epochs_completed=250), "disagree on how many epochs were trained"),
    # Values the pictures use, edited into something else: refused when read, not a traceback when drawn.
    "noise floor a word": (edit_summary(noise_floor="x"), "noise_floor"),
    "epochs requested a word": (edit_summary(epochs_requested="abc"), "epochs_requested"),
    "trained null": (edit_summary(trained=None), "trained"),
}


@pytest.mark.parametrize("damage", sorted(DAMAGE))
def test_a_damaged_run_is_a_run_error_with_a_plain_message(tmp_path, damage):
    run_dir = written(tmp_path, synthetic_run())
    spoil, expected = DAMAGE[damage]
    spoil(run_dir)
    with pytest.raises(RunError) as error:
        rundir.read_run(run_dir)
    message = str(error.value)
    assert message.startswith(f"{run_dir}: ") and "\n" not in message
    assert expected in message
    assert not destinations.is_current(run_dir)


def test_only_the_first_nets_quantities_may_have_a_nets_axis_of_one(tmp_path):
    run = synthetic_run(nets=3)
    assert run.per_frame["unit_contributions"].shape[1] == 1
    run_dir = written(tmp_path, run)
    rundir.read_run(run_dir)  # unit_contributions: net 0's alone, as the engine keeps it
    rewrite_arrays(run_dir, lambda arrays: arrays.update(
        {"frame.distinct_units": arrays["frame.distinct_units"][:, :1]}))
    with pytest.raises(RunError, match=r"frame.distinct_units has shape \(40, 1\), expected \(40, 3\)"):
        rundir.read_run(run_dir)


@pytest.mark.parametrize("damage", ["truncated npz", "bad status", "noise floor a word", "summary a list"])
def test_redrawing_a_damaged_run_is_one_line_and_exit_2(tmp_path, damage):
    import animate

    run_dir = written(tmp_path, synthetic_run())
    DAMAGE[damage][0](run_dir)
    stderr = io.StringIO()
    with redirect_stderr(stderr):
        status = animate.main([str(run_dir)])
    assert status == 2
    lines = stderr.getvalue().strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {run_dir}: ") and "Traceback" not in lines[0]
    assert not (run_dir / "fit.gif").exists()


# --- config.yaml and render overrides ------------------------------------------------------------

@pytest.mark.parametrize("edit, expected", [
    ("  fps: 0", "render.fps: Input should be greater than or equal to 0.1"),
    ("  fps: abc", "render.fps: Input should be a valid number"),
    ("  fps: 500", "render.fps: Input should be less than or equal to 50"),
    ("  fsp: 5", "unknown key 'render.fsp' (did you mean 'render.fps'?)"),
])
def test_an_edited_config_yaml_is_checked_like_an_experiment_file(tmp_path, edit, expected):
    run_dir = written(tmp_path, synthetic_run())
    path = run_dir / "config.yaml"
    path.write_text(path.read_text().replace("  fps: 20.0", edit))
    with pytest.raises(ConfigError) as error:
        rundir.read_run(run_dir)
    assert str(error.value).startswith(f"{path}: {expected}") and "\n" not in str(error.value)


def test_a_config_yaml_that_is_not_yaml_is_a_plain_error(tmp_path):
    run_dir = written(tmp_path, synthetic_run())
    (run_dir / "config.yaml").write_text("[unclosed")
    with pytest.raises(ConfigError, match="config.yaml: is not valid YAML"):
        rundir.read_run(run_dir)


def test_render_overrides_change_how_a_run_is_drawn_and_not_its_files(tmp_path):
    run_dir = written(tmp_path, synthetic_run())
    before = {path.name: path.read_bytes() for path in run_dir.iterdir()}
    run = rundir.read_run(run_dir, ["render.fps=1e1", "render.last_frame_seconds=1", "render.width_pixels=640"])
    assert run.config.render.fps == 10 and run.config.render.last_frame_seconds == 1
    assert run.config.render.width_pixels == 640 and run.config.render.height_pixels == 360
    assert run.config.epochs == 300
    assert {path.name: path.read_bytes() for path in run_dir.iterdir()} == before
    assert rundir.read_run(run_dir).config.render.fps == 20
    with pytest.raises(ConfigError) as error:
        rundir.read_run(run_dir, ["render.fps=0"])
    assert str(error.value).startswith("--set render.fps=0: render.fps: ")


@pytest.mark.parametrize("override", ["epochs=5", "learning_rate=0.1", "seeds=3", "name=other"])
def test_overrides_cannot_change_what_was_trained(tmp_path, override):
    run_dir = written(tmp_path, synthetic_run())
    with pytest.raises(ConfigError) as error:
        rundir.read_run(run_dir, [override])
    message = str(error.value)
    assert message.startswith(f"--set {override}: only render and record settings change when redrawing")
    assert f"train again with train.py --set {override}" in message and "\n" not in message


# --- the command line, and what rundir imports ----------------------------------------------------

def test_a_current_run_of_other_settings_is_not_current_for_them(tmp_path):
    """train.py --reuse (make compare) reuses a run only when it is what the experiment file would
    train: the same training settings; drawing settings do not count."""
    run = synthetic_run()
    run_dir = written(tmp_path, run, "completed")
    assert destinations.is_current(run_dir, run.config)
    assert destinations.is_current(run_dir, run.config.model_copy(update={"name": "other", "render": run.config.render.model_copy(update={"fps": 5.0})}))
    assert not destinations.is_current(run_dir, run.config.model_copy(update={"learning_rate": 0.05}))
    assert destinations.other_settings(run_dir, run.config) is None
    assert destinations.other_settings(run_dir, run.config.model_copy(update={"learning_rate": 0.05, "epochs": 7})) == (
        "learning_rate 0.01 there, 0.05 here; epochs 300 there, 7 here")


def test_rundir_imports_neither_tensorflow_nor_matplotlib(tmp_path):
    run_dir = written(tmp_path, synthetic_run(nets=2))
    code = ("import sys, rundir; run = rundir.read_run(sys.argv[1]); assert run.nets == 2; "
            "print(sorted({name.split('.')[0] for name in sys.modules} & {'tensorflow', 'keras', 'matplotlib'}))")
    result = subprocess.run([sys.executable, "-c", code, str(run_dir)], cwd=ROOT, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_a_written_config_is_itself_a_valid_config(tmp_path):
    run = synthetic_run(nets=3, learning_rate=0.05, hidden_layers=[60])
    run_dir = written(tmp_path, run)
    reloaded = config_module.load_config(run_dir / "config.yaml")
    assert reloaded == run.config and reloaded.hidden_layers == [60] and reloaded.seeds == 3


def test_a_missing_run_is_told_how_to_train_it_from_its_own_experiment_file(tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)
    with pytest.raises(RunError, match=r": does not exist; train it first: python train.py --config "
                                       r"experiments/adam_1x60.yaml$"):
        rundir.read_run(tmp_path / "output" / "adam_1x60")
    monkeypatch.chdir(tmp_path)  # elsewhere: the project's own experiment file
    with pytest.raises(RunError, match=f"train it first: python train.py --config {ROOT}/experiments/sgd_1x60.yaml$"):
        rundir.read_run(tmp_path / "sgd_1x60")
    with pytest.raises(RunError, match="does not exist; train a run first, e.g. python train.py --config experiments/"):
        rundir.read_run(tmp_path / "my_run")
