"""Nothing the user made is ever deleted or overwritten, and an interrupted run never replaces a
finished one. Each case runs against scratch copies of real folders and checks every byte."""

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import outputs
import train
from config import ConfigError

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable


def snapshot_tree(folder: Path) -> dict[str, str]:
    """Every file under folder (hidden ones too) by relative path, with a hash of its bytes."""
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "folder"
        for path in sorted(folder.rglob("*"))
    }


def command(script: str, *arguments, cwd: Path, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run([PYTHON, str(ROOT / script), *arguments], cwd=cwd, capture_output=True, text=True,
                          timeout=timeout)


@pytest.fixture(scope="module")
def finished_run_files(tmp_path_factory) -> Path:
    """A real, small, completed run directory to copy into scratch folders."""
    run_dir = tmp_path_factory.mktemp("finished") / "adam_small"
    result = command("train.py", "--config", str(ROOT / "experiments/adam_2x10.yaml"), "--set", "epochs=300",
                     "--set", "frames=30", "--output-dir", str(run_dir), "--no-progress", cwd=run_dir.parent)
    assert result.returncode == 0, result.stderr
    return run_dir


def tracked_copy(destination: Path) -> Path:
    """The repository's tracked files (as a fresh clone has them), copied to destination."""
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    for name in filter(None, listed.decode().split("\0")):
        target = destination / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, target)
    return destination


# --- destinations that are refused before anything starts ---------------------------------------

def refused(result: subprocess.CompletedProcess, *expected: str) -> None:
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert "Traceback" not in result.stderr
    for text in expected:
        assert text in lines[0], lines[0]


@pytest.fixture(scope="module")
def repository_copy(tmp_path_factory) -> Path:
    return tracked_copy(tmp_path_factory.mktemp("clone") / "repo")


@pytest.mark.parametrize("output_dir, expected", [
    (".", "is the current folder"),
    ("..", "holds the current folder"),
    ("REPO", "is the current folder"),
    ("docs", "is not empty and is not a run (it holds adam_2x10.gif)"),
    ("tests", "is not empty and is not a run"),
    ("experiments/adam_2x10.yaml", "exists and is not a folder"),
])
def test_train_refuses_the_project_its_folders_and_parents_and_touches_nothing(repository_copy, output_dir, expected):
    before = snapshot_tree(repository_copy.parent)
    output_dir = str(repository_copy) if output_dir == "REPO" else output_dir
    result = command("train.py", "--config", "experiments/adam_2x10.yaml", "--set", "epochs=10",
                     "--output-dir", output_dir, cwd=repository_copy)
    refused(result, expected, "--output-dir")
    assert snapshot_tree(repository_copy.parent) == before


def test_the_project_folder_is_refused_from_anywhere(tmp_path):
    result = command("train.py", "--config", str(ROOT / "experiments/adam_2x10.yaml"), "--output-dir", str(ROOT),
                     cwd=tmp_path)
    refused(result, "is this project's folder")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("name", [".", "..", ".hidden", "a/b", "../escape", "-flag", "with space", "x" * 101, "trailing."])
def test_a_name_that_is_not_a_plain_folder_name_is_refused(repository_copy, name):
    before = snapshot_tree(repository_copy.parent)
    result = command("train.py", "--config", "experiments/adam_2x10.yaml", "--set", f"name={name}",
                     cwd=repository_copy)
    refused(result, f"--set name={name}: name: must be a plain folder name")
    assert snapshot_tree(repository_copy.parent) == before


def test_a_file_whose_name_is_not_plain_names_no_run(tmp_path):
    (tmp_path / "my run.yaml").write_text("epochs: 10\n")
    result = command("train.py", "--config", "my run.yaml", cwd=tmp_path)
    refused(result, "my run.yaml: the run is named after the file", "set name:")
    assert sorted(path.name for path in tmp_path.iterdir()) == ["my run.yaml"]


def test_a_folder_with_a_user_file_is_refused_naming_it(tmp_path):
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "thesis.txt").write_text("three years of work")
    before = snapshot_tree(tmp_path)
    result = command("train.py", "--config", str(ROOT / "experiments/adam_2x10.yaml"), "--output-dir", "mine",
                     cwd=tmp_path)
    refused(result, "mine is not empty and is not a run (it holds thesis.txt)")
    assert snapshot_tree(tmp_path) == before


def test_a_run_with_a_user_file_in_it_is_refused_naming_the_file(tmp_path, finished_run_files):
    run_dir = tmp_path / "output" / "adam_2x10"
    shutil.copytree(finished_run_files, run_dir)
    (run_dir / "notes.md").write_text("seed 0 looks odd at epoch 40")
    before = snapshot_tree(tmp_path)
    result = command("train.py", "--config", str(ROOT / "experiments/adam_2x10.yaml"), "--set", "epochs=10",
                     cwd=tmp_path)
    refused(result, "output/adam_2x10 holds an earlier run and also notes.md", "move notes.md out")
    assert snapshot_tree(tmp_path) == before


def test_a_folder_that_only_looks_like_a_run_is_not_one(tmp_path):
    """A user's own fit.gif, with no summary.json beside it, is not provably a run's."""
    folder = tmp_path / "pictures"
    folder.mkdir()
    (folder / "fit.gif").write_bytes(b"GIF89a my own")
    (folder / "summary.json").write_text('["not", "a", "run summary"]')
    with pytest.raises(ConfigError, match="is not empty and is not a run"):
        train.check_run_destination(folder)


def test_an_earlier_run_and_an_empty_folder_may_be_replaced(tmp_path, finished_run_files):
    shutil.copytree(finished_run_files, tmp_path / "earlier")
    (tmp_path / "earlier" / ".loss.png.999.partial").write_bytes(b"left by a killed process")
    (tmp_path / "empty").mkdir()
    train.check_run_destination(tmp_path / "earlier")
    train.check_run_destination(tmp_path / "empty")
    train.check_run_destination(tmp_path / "new" / "deeper")
    assert not (tmp_path / "new").exists(), "checking creates nothing"


def test_a_symbolic_link_is_refused(tmp_path, finished_run_files):
    shutil.copytree(finished_run_files, tmp_path / "real")
    (tmp_path / "link").symlink_to(tmp_path / "real")
    with pytest.raises(ConfigError, match="is a symbolic link"):
        train.check_run_destination(tmp_path / "link")


def test_study_refuses_a_folder_with_a_user_file(tmp_path):
    folder = tmp_path / "results"
    folder.mkdir()
    (folder / "thesis.txt").write_text("chapter 3")
    before = snapshot_tree(tmp_path)
    result = command("study.py", str(ROOT / "experiments/study_optimizer_vs_layers.yaml"), "--set", "epochs=10",
                     "--output-dir", "results", cwd=tmp_path)
    refused(result, "results is not empty and is not a study (it holds thesis.txt)")
    assert snapshot_tree(tmp_path) == before


def test_a_study_folder_is_recognised_with_its_runs(tmp_path, finished_run_files):
    study_dir = tmp_path / "study"
    shutil.copytree(finished_run_files, study_dir / "runs" / "adam_2x10")
    for name in ("table.md", "final_error.png"):
        (study_dir / name).write_text("x")
    (study_dir / "summary.json").write_text(json.dumps({"name": "study", "seeds": 3, "rows": []}))
    import study

    outputs.check_destination(study_dir, study.STUDY_OUTPUT)
    (study_dir / "runs" / "adam_2x10" / "notes.txt").write_text("mine")
    with pytest.raises(ConfigError, match="runs/adam_2x10/notes.txt"):
        outputs.check_destination(study_dir, study.STUDY_OUTPUT)


def test_compare_refuses_a_folder_with_a_user_file(tmp_path, finished_run_files):
    shutil.copytree(finished_run_files, tmp_path / "a")
    shutil.copytree(finished_run_files, tmp_path / "b")
    (tmp_path / "figures").mkdir()
    (tmp_path / "figures" / "compare.gif").write_bytes(b"GIF89a a user's own compare.gif")
    (tmp_path / "figures" / "draft.tex").write_text("\\section{}")
    before = snapshot_tree(tmp_path)
    result = command("animate.py", "compare", "a", "b", "--output-dir", "figures", cwd=tmp_path)
    refused(result, "figures is not empty and is not a comparison (it holds draft.tex)")
    assert snapshot_tree(tmp_path) == before
    result = command("animate.py", "compare", "a", "b", "--output-dir", ".", cwd=tmp_path)
    refused(result, ". is the current folder")
    assert snapshot_tree(tmp_path) == before


def test_an_unwritable_place_names_the_real_reason(tmp_path):
    result = command("train.py", "--config", str(ROOT / "experiments/adam_2x10.yaml"), "--output-dir", "/proc/nope",
                     cwd=tmp_path)
    refused(result, "cannot write to /proc", "takes no new files")


# --- interruptions --------------------------------------------------------------------------------

class StopAfterChunks(train.StopRequest):
    """A Ctrl-C pressed after `chunks` chunks of epochs have been trained (0: before training)."""

    def __init__(self, chunks: int):
        super().__init__()
        self.chunks_left = chunks

    def __call__(self) -> bool:
        self.chunks_left -= 1
        self.requested = self.requested or self.chunks_left < 0
        return self.requested


def test_an_interrupted_run_goes_beside_a_finished_one_until_a_finished_run_replaces_both(small_config, tmp_path):
    run_dir = tmp_path / "run"
    train.train_and_write(small_config, run_dir, progress=False, render=False)
    finished = snapshot_tree(run_dir)
    long_config = small_config.model_copy(update={"epochs": 100_000})

    outcome = train.train_and_write(long_config, run_dir, progress=False, render=False, stop=StopAfterChunks(1))
    beside = tmp_path / "run.interrupted"
    assert outcome.run_dir == beside and outcome.summary["status"] == "interrupted"
    assert snapshot_tree(run_dir) == finished
    assert json.loads((beside / "summary.json").read_text())["status"] == "interrupted"
    message = train.status_line(outcome, run_dir)
    assert "run.interrupted/" in message and "holds a finished run, left as it was" in message

    # A second interruption replaces the first one beside it, never the finished run.
    train.train_and_write(long_config, run_dir, progress=False, render=False, stop=StopAfterChunks(2))
    assert snapshot_tree(run_dir) == finished
    assert sorted(path.name for path in tmp_path.iterdir()) == ["run", "run.interrupted"]

    # A finished run of that name replaces the finished one and removes the interrupted one.
    outcome = train.train_and_write(small_config.model_copy(update={"epochs": 20}), run_dir, progress=False,
                                    render=False)
    assert outcome.run_dir == run_dir and json.loads((run_dir / "summary.json").read_text())["epochs"] == 20
    assert sorted(path.name for path in tmp_path.iterdir()) == ["run"]


def test_an_interrupted_run_replaces_only_an_interrupted_one(small_config, tmp_path):
    run_dir = tmp_path / "run"
    long_config = small_config.model_copy(update={"epochs": 100_000})
    first = train.train_and_write(long_config, run_dir, progress=False, render=False, stop=StopAfterChunks(1))
    assert first.run_dir == run_dir  # nothing finished was there: the run goes where it was asked to
    second = train.train_and_write(long_config, run_dir, progress=False, render=False, stop=StopAfterChunks(3))
    assert second.run_dir == run_dir and second.summary["epochs"] > first.summary["epochs"]
    assert sorted(path.name for path in tmp_path.iterdir()) == ["run"]


def test_a_stop_before_the_first_epoch_writes_nothing(small_config, tmp_path):
    run_dir = tmp_path / "run"
    train.train_and_write(small_config, run_dir, progress=False, render=False)
    before = snapshot_tree(tmp_path)
    outcome = train.train_and_write(small_config, run_dir, progress=False, stop=StopAfterChunks(0))
    assert outcome.run_dir is None and outcome.summary["epochs"] == 0
    assert snapshot_tree(tmp_path) == before
    assert train.status_line(outcome, run_dir).startswith("interrupted before training began: nothing was written")


def wait_for(process: subprocess.Popen, text: str, timeout: float = 180) -> str:
    """Read the process's stderr until `text` appears."""
    seen, deadline = "", time.monotonic() + timeout
    while text not in seen and time.monotonic() < deadline:
        character = process.stderr.read(1)
        if not character:
            break
        seen += character
    assert text in seen, seen
    return seen


def tensorflow_is_loading(pid: int) -> bool:
    with open(f"/proc/{pid}/maps") as maps:
        return "tensorflow" in maps.read()


def test_ctrl_c_while_tensorflow_starts_stops_before_training_and_keeps_the_finished_run(tmp_path, finished_run_files):
    run_dir = tmp_path / "output" / "adam_2x10"
    shutil.copytree(finished_run_files, run_dir)
    before = snapshot_tree(tmp_path)
    process = subprocess.Popen(
        [PYTHON, str(ROOT / "train.py"), "--config", str(ROOT / "experiments/adam_2x10.yaml"), "--no-progress"],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    deadline = time.monotonic() + 60
    while not tensorflow_is_loading(process.pid) and time.monotonic() < deadline:
        time.sleep(0.02)
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=120)
    assert process.returncode == 130, stderr
    assert "interrupted before training began: nothing was written" in stderr and "Traceback" not in stderr
    assert snapshot_tree(tmp_path) == before


def test_ctrl_c_while_drawing_writes_the_data_and_says_how_to_draw(tmp_path):
    run_dir = tmp_path / "run"
    process = subprocess.Popen(
        [PYTHON, str(ROOT / "train.py"), "--config", str(ROOT / "experiments/adam_2x10.yaml"), "--set", "epochs=3000",
         "--set", "frames=3000", "--output-dir", str(run_dir)],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    wait_for(process, "drawing the pictures")
    time.sleep(0.5)
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=120)
    assert process.returncode == 130, stderr
    assert "interrupted while drawing" in stderr and f"python animate.py {run_dir}" in stderr
    assert "Traceback" not in stderr
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["status"] == "completed" and summary["epochs"] == 3000
    with np.load(run_dir / "snapshots.npz") as snapshots:
        assert len(snapshots["loss"]) == 3000
    assert not (run_dir / "fit.gif").exists()
    assert not [path for path in tmp_path.rglob(".*")], "no temporary files are left behind"
    result = command("animate.py", str(run_dir), "--set", "render.width_pixels=320", cwd=tmp_path)
    assert result.returncode == 0 and (run_dir / "fit.gif").is_file()


# --- what a first review found: files that appear meanwhile, odd paths, a second Ctrl-C ----------

class NoteSavedWhileTraining(train.StopRequest):
    """Saves a user's file into the run's folder while the first chunk of epochs trains."""

    def __init__(self, note: Path):
        super().__init__()
        self.note = note

    def __call__(self) -> bool:
        if not self.note.exists():
            self.note.write_text("written while the run trained")
        return False


def test_a_file_saved_into_the_destination_during_training_is_kept(small_config, tmp_path):
    run_dir = tmp_path / "run"
    train.train_and_write(small_config, run_dir, progress=False, render=False)
    note = run_dir / "notes.md"
    with pytest.raises(outputs.DestinationChanged, match=r"gained notes.md while this ran.*the new run is in .*run.new"):
        train.train_and_write(small_config.model_copy(update={"epochs": 50}), run_dir, progress=False, render=False,
                              stop=NoteSavedWhileTraining(note))
    assert note.read_text() == "written while the run trained"
    assert json.loads((run_dir / "summary.json").read_text())["epochs"] == small_config.epochs
    assert json.loads((tmp_path / "run.new" / "summary.json").read_text())["epochs"] == 50
    assert sorted(path.name for path in tmp_path.iterdir()) == ["run", "run.new"]


def test_a_finished_run_named_like_an_interrupted_one_is_not_removed(small_config, tmp_path):
    train.train_and_write(small_config.model_copy(update={"name": "zed.interrupted"}), tmp_path / "zed.interrupted",
                          progress=False, render=False)
    before = snapshot_tree(tmp_path / "zed.interrupted")
    train.train_and_write(small_config.model_copy(update={"name": "zed"}), tmp_path / "zed", progress=False,
                          render=False)
    assert snapshot_tree(tmp_path / "zed.interrupted") == before


def test_a_second_ctrl_c_abandons_even_while_drawing(small_config, tmp_path, monkeypatch):
    import animate

    stop = train.StopRequest()
    stop._handle(signal.SIGINT, None)  # the first press: stop training before its next chunk
    assert stop() and not stop.abandoned
    stop.training_over()
    with pytest.raises(KeyboardInterrupt):
        stop._handle(signal.SIGINT, None)  # the second press
    assert stop.abandoned

    stop = StopAfterChunks(1)
    monkeypatch.setattr(animate, "render_run", lambda *arguments: stop._handle(signal.SIGINT, None))
    with pytest.raises(KeyboardInterrupt):
        train.train_and_write(small_config.model_copy(update={"epochs": 100_000}), tmp_path / "run", progress=False,
                              stop=stop)
    assert stop.abandoned and list(tmp_path.iterdir()) == []
    # A single press while drawing (after a training that finished) only leaves the pictures out.
    stop = train.StopRequest()
    monkeypatch.setattr(animate, "render_run", lambda *arguments: stop._handle(signal.SIGINT, None))
    outcome = train.train_and_write(small_config, tmp_path / "run", progress=False, stop=stop)
    assert outcome.pictures_missing and (tmp_path / "run" / "snapshots.npz").is_file()


def test_a_path_through_a_missing_folder_and_back_is_the_folder_it_leads_to(tmp_path, finished_run_files):
    shutil.copytree(finished_run_files, tmp_path / "a")
    shutil.copytree(finished_run_files, tmp_path / "b")
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "compare.gif").write_bytes(b"GIF89a my own")
    (mine / "notes.txt").write_text("mine")
    before = snapshot_tree(tmp_path)
    result = command("animate.py", "compare", "a", "b", "--output-dir", "mine/nothere/..", cwd=tmp_path)
    refused(result, "is not empty and is not a comparison (it holds notes.txt)")
    result = command("train.py", "--config", str(ROOT / "experiments/adam_2x10.yaml"), "--output-dir",
                     "mine/nothere/..", cwd=tmp_path)
    refused(result, "is not empty and is not a run")
    assert snapshot_tree(tmp_path) == before


def test_a_name_too_long_for_the_file_system_is_refused_before_training(tmp_path):
    result = command("train.py", "--config", str(ROOT / "experiments/adam_2x10.yaml"), "--output-dir", "a" * 240,
                     cwd=tmp_path)
    refused(result, "the folder's name is too long")
    (tmp_path / "dangling").symlink_to(tmp_path / "nowhere")
    result = command("train.py", "--config", str(ROOT / "experiments/adam_2x10.yaml"), "--output-dir", "dangling/x",
                     cwd=tmp_path)
    refused(result, "is a broken symbolic link")
    assert sorted(path.name for path in tmp_path.iterdir()) == ["dangling"]


def test_a_hand_edited_summary_is_a_plain_error(tmp_path, finished_run_files):
    run_dir = tmp_path / "run"
    shutil.copytree(finished_run_files, run_dir)
    for edited in ('{"status": "diverged"}', '{"status": "diverged", "diverged_at_epoch": "abc"}', '{"status": "odd"}'):
        (run_dir / "summary.json").write_text(edited)
        result = command("animate.py", str(run_dir), cwd=tmp_path)
        refused(result, "summary.json")
