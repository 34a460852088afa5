"""Where the commands may write (outputs.py): never over anything but their own earlier output,
and a folder is put in place whole or not at all. Checked directly, with no training: runs are
written by rundir from synthetic numbers, studies and comparisons are files made by hand."""

import hashlib
import json
import os
import stat
import tempfile
from pathlib import Path

import pytest

import outputs
import rundir
from comparisons import COMPARE_OUTPUT
from conftest import ROOT, synthetic_run
from config import ConfigError
from rundir import RUN_OUTPUT
from studies import STUDY_OUTPUT
import destinations


def snapshot_tree(folder: Path) -> dict[str, str]:
    """Every entry under folder (hidden ones too) by relative path, with a hash of each file's bytes."""
    return {
        str(path.relative_to(folder)): (hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file()
                                        else "link" if path.is_symlink() else "folder")
        for path in sorted(folder.rglob("*"))
    }


def earlier_run(directory: Path, with_pictures: bool = True) -> Path:
    """A run directory as train.py leaves it: the data files and (as bytes, not drawn) its pictures."""
    rundir.write_run(directory, synthetic_run())
    if with_pictures:
        (directory / "fit.gif").write_bytes(b"GIF89a")
        (directory / "loss.png").write_bytes(b"\x89PNG")
    return directory


def refused(destination: Path, kind=RUN_OUTPUT, **options) -> str:
    """check_destination's refusal of destination, which must change nothing: its one-line message."""
    # What is around a destination in a scratch folder must stay as it was (the project's own
    # folders, /proc and / are not hashed).
    parent = destination.parent.resolve()
    # (Nor is a folder that holds the project, as /tmp does for a clone in /tmp: hashing its
    # .venv would take half a minute.)
    scratch = (parent.is_relative_to(Path(tempfile.gettempdir()).resolve()) and not parent.is_relative_to(ROOT)
               and not ROOT.is_relative_to(parent))
    before = snapshot_tree(parent) if scratch else None
    with pytest.raises(ConfigError) as error:
        outputs.check_destination(destination, kind, **options)
    message = str(error.value)
    assert "\n" not in message
    if before is not None:
        assert snapshot_tree(parent) == before
    return message


@pytest.fixture
def in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return tmp_path


# --- what may be written over --------------------------------------------------------------------

def test_a_new_folder_an_empty_one_and_an_earlier_run_may_be_replaced(tmp_path):
    earlier = earlier_run(tmp_path / "earlier")
    (earlier / ".loss.png.999.partial").write_bytes(b"left by a killed process")
    (tmp_path / "empty").mkdir()
    before = snapshot_tree(tmp_path)
    for destination in (earlier, tmp_path / "empty", tmp_path / "new", tmp_path / "new" / "deeper"):
        outputs.check_destination(destination, RUN_OUTPUT)
        destinations.check_run_destination(destination)
    assert snapshot_tree(tmp_path) == before, "checking creates and changes nothing"
    assert outputs.foreign_entry(earlier, RUN_OUTPUT) is None
    assert outputs.foreign_entry(tmp_path / "empty", RUN_OUTPUT) is None


def test_every_ending_and_a_run_of_seeds_count_as_earlier_runs(tmp_path):
    for name, options in {"diverged": {"diverged_at": 40}, "interrupted": {"status": "interrupted"},
                          "seeds": {"nets": 3}}.items():
        rundir.write_run(tmp_path / name, synthetic_run(**options))
        (tmp_path / name / rundir.picture_names(synthetic_run(**options))[0]).write_bytes(b"GIF89a")
        outputs.check_destination(tmp_path / name, RUN_OUTPUT)


def test_a_folder_with_a_user_file_is_refused_naming_it(in_tmp):
    (in_tmp / "mine").mkdir()
    (in_tmp / "mine" / "thesis.txt").write_text("three years of work")
    message = refused(Path("mine"))
    assert message.startswith("mine is not empty and is not a run (it holds thesis.txt); a run replaces its folder "
                              "as a whole: choose a new folder with --output-dir, e.g. --output-dir output/my_run")


def test_an_earlier_run_that_also_holds_a_user_file_is_refused_naming_the_file(in_tmp):
    earlier_run(in_tmp / "output" / "adam_2x10")
    (in_tmp / "output" / "adam_2x10" / "notes.md").write_text("seed 0 looks odd at epoch 40")
    message = refused(Path("output/adam_2x10"))
    assert message.startswith("output/adam_2x10 holds an earlier run and also notes.md, which is not part of it; "
                              "a run replaces its folder as a whole: move notes.md out, or choose a new folder")
    assert outputs.foreign_entry(in_tmp / "output" / "adam_2x10", RUN_OUTPUT) == "notes.md"


@pytest.mark.parametrize("summary", ['["not", "a", "run summary"]', '{"rows": []}', "{half", None])
def test_a_folder_that_only_looks_like_a_run_is_not_one(tmp_path, summary):
    """A user's own fit.gif beside no summary.json, or one that is not a run's, is not provably a run's."""
    folder = tmp_path / "pictures"
    folder.mkdir()
    (folder / "fit.gif").write_bytes(b"GIF89a my own")
    if summary is not None:
        (folder / "summary.json").write_text(summary)
    assert "holds files named like a run's but no summary.json of this project's, so it is not provably one" \
        in refused(folder)
    assert outputs.foreign_entry(folder, RUN_OUTPUT) == "fit.gif"


def test_leftovers_of_a_killed_process_are_a_runs_own_but_other_hidden_files_are_not(tmp_path):
    run_dir = earlier_run(tmp_path / "run")
    assert RUN_OUTPUT.owns(".fit.gif.12345.partial") and RUN_OUTPUT.owns("summary.json")
    assert not RUN_OUTPUT.owns(".notes.md.12345.partial") and not RUN_OUTPUT.owns(".fit.gif.partial")
    (run_dir / ".notes.md.12345.partial").write_text("a draft of mine")
    assert "also .notes.md.12345.partial" in refused(run_dir)


def test_a_sub_folder_or_a_linked_file_in_a_run_is_not_the_runs(tmp_path):
    run_dir = earlier_run(tmp_path / "run")
    (tmp_path / "elsewhere.gif").write_bytes(b"GIF89a mine")
    (run_dir / "fit.gif").unlink()
    (run_dir / "fit.gif").symlink_to(tmp_path / "elsewhere.gif")
    assert outputs.foreign_entry(run_dir, RUN_OUTPUT) == "fit.gif"
    (run_dir / "fit.gif").unlink()
    (run_dir / "fit.gif").mkdir()
    assert "also fit.gif" in refused(run_dir)


def test_a_symbolic_link_is_refused(tmp_path):
    earlier_run(tmp_path / "real")
    (tmp_path / "link").symlink_to(tmp_path / "real")
    assert refused(tmp_path / "link").startswith(f"{tmp_path / 'link'} is a symbolic link; give the folder itself")
    (tmp_path / "empty").mkdir()
    (tmp_path / "link_to_empty").symlink_to(tmp_path / "empty")
    assert "is a symbolic link" in refused(tmp_path / "link_to_empty")
    assert not outputs.remove_output(tmp_path / "link", RUN_OUTPUT) and (tmp_path / "real" / "summary.json").exists()


def test_a_file_is_refused(tmp_path):
    (tmp_path / "a_file").write_text("not a folder")
    assert refused(tmp_path / "a_file").startswith(f"{tmp_path / 'a_file'} exists and is not a folder")
    assert (tmp_path / "a_file").read_text() == "not a folder"


def test_an_unwritable_place_names_the_reason(tmp_path):
    message = refused(Path("/proc/nope"))
    assert message.startswith("cannot write to /proc: it takes no new files; choose another place with "
                              "--output-dir")
    (tmp_path / "a_file").write_text("not a folder")
    message = refused(tmp_path / "a_file" / "run")
    assert message.startswith(f"cannot write to {tmp_path / 'a_file'}: is a file, not a folder")
    (tmp_path / "dangling").symlink_to(tmp_path / "nowhere")
    assert "is a broken symbolic link" in refused(tmp_path / "dangling" / "x")
    assert sorted(path.name for path in tmp_path.iterdir()) == ["a_file", "dangling"]


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write into a read-only folder")
def test_a_read_only_folder_is_refused(tmp_path):
    (tmp_path / "locked").mkdir()
    (tmp_path / "locked").chmod(stat.S_IRUSR | stat.S_IXUSR)
    try:
        assert refused(tmp_path / "locked" / "run").startswith(f"cannot write to {tmp_path / 'locked' / 'run'}")
    finally:
        (tmp_path / "locked").chmod(stat.S_IRWXU)


def test_a_mount_point_is_refused_for_a_run(tmp_path):
    assert refused(Path("/proc")).startswith("/proc is a mount point, which cannot be replaced; give a folder "
                                             "inside it, e.g. /proc/my_run")


def test_a_name_too_long_for_the_file_system_is_refused(in_tmp):
    message = refused(Path("a" * 240))
    assert "the folder's name is too long (at most " in message and "--output-dir" in message
    assert list(in_tmp.iterdir()) == []
    outputs.check_destination(Path("a" * 200), RUN_OUTPUT)  # room left for the hidden names beside it


def test_a_path_through_a_missing_folder_and_back_is_the_folder_it_leads_to(in_tmp):
    mine = in_tmp / "mine"
    mine.mkdir()
    (mine / "compare.gif").write_bytes(b"GIF89a my own")
    (mine / "notes.txt").write_text("mine")
    destination = outputs.destination_path("mine/nothere/..")
    assert destination == mine
    assert "is not empty and is not a comparison (it holds notes.txt)" in refused(destination, COMPARE_OUTPUT)
    assert "is not empty and is not a run (it holds compare.gif)" in refused(destination)
    assert not (mine / "nothere").exists()


def test_destination_path_expands_home_and_resolves_only_paths_through_dotdot(in_tmp):
    assert outputs.destination_path("~/runs/x") == Path.home() / "runs" / "x"
    assert outputs.destination_path("output/run") == Path("output/run")  # left relative, as the user wrote it
    assert outputs.destination_path("a/b/../c") == in_tmp.resolve() / "a" / "c"


# --- the project, the current folder and the folders above them ---------------------------------

@pytest.mark.parametrize("destination, expected", [
    (".", ". is the current folder; a run needs a folder of its own"),
    ("..", ".. holds the current folder; a run needs a folder of its own"),
    ("REPO", "is the current folder"),
    ("/", "/ holds the current folder"),
    ("docs", "docs is not empty and is not a run (it holds activations_phase.png)"),
    ("tests", "tests is not empty and is not a run"),
    ("experiments", "experiments is not empty and is not a run"),
    ("experiments/adam_2x10.yaml", "experiments/adam_2x10.yaml exists and is not a folder"),
])
def test_the_project_its_folders_and_the_current_folder_are_refused(monkeypatch, destination, expected):
    monkeypatch.chdir(ROOT)
    destination = ROOT if destination == "REPO" else Path(destination)
    message = refused(destination)
    assert expected in message and "--output-dir" in message


@pytest.mark.parametrize("destination, expected", [
    ("ROOT", "is this project's folder"),
    ("ROOT_PARENT", "holds this project's folder"),
])
def test_the_project_folder_and_those_above_it_are_refused_from_anywhere(in_tmp, destination, expected):
    path = ROOT if destination == "ROOT" else ROOT.parent
    if in_tmp.resolve().is_relative_to(path):
        pytest.skip(f"this project's folder holds the scratch folder {in_tmp}")
    message = refused(path)
    assert message.startswith(f"{path} {expected}; a run needs a folder of its own")
    assert list(in_tmp.iterdir()) == []


def test_the_current_folder_is_refused_for_every_kind_and_with_the_option_named(in_tmp):
    assert refused(Path("."), STUDY_OUTPUT).startswith(". is the current folder; a study needs a folder of its own: "
                                                       "choose a new folder with --output-dir, e.g. --output-dir "
                                                       "output/my_study")
    assert ". is the current folder; a comparison needs a folder of its own" in refused(Path("."), COMPARE_OUTPUT)
    assert "choose a new folder with --out, e.g. --out output/my_run" in refused(Path("."), RUN_OUTPUT, option="--out")


# --- a run's second place: NAME.interrupted ------------------------------------------------------

def test_the_place_beside_a_run_for_an_interrupted_one_is_checked_too(tmp_path):
    (tmp_path / "run.interrupted").mkdir()
    (tmp_path / "run.interrupted" / "thesis.txt").write_text("mine")
    outputs.check_destination(tmp_path / "run", RUN_OUTPUT)
    with pytest.raises(ConfigError, match=r"run.interrupted is not empty and is not a run \(it holds thesis.txt\)"):
        destinations.check_run_destination(tmp_path / "run")
    rundir.write_run(tmp_path / "ok.interrupted", synthetic_run(status="interrupted"))
    destinations.check_run_destination(tmp_path / "ok")


# --- studies and comparisons ---------------------------------------------------------------------

def earlier_study(directory: Path) -> Path:
    earlier_run(directory / "runs" / "adam_2x10")
    (directory / "runs" / "sgd_2x10").mkdir(parents=True)  # a run folder left empty
    for name in ("table.md", "final_error.png"):
        (directory / name).write_text("x")
    (directory / "summary.json").write_text(json.dumps({"name": "study", "seeds": 3, "rows": []}))
    return directory


def test_a_study_folder_is_recognised_with_its_runs(tmp_path):
    study_dir = earlier_study(tmp_path / "study")
    outputs.check_destination(study_dir, STUDY_OUTPUT)
    assert outputs.foreign_entry(study_dir, STUDY_OUTPUT) is None
    (study_dir / "runs" / "adam_2x10" / "notes.txt").write_text("mine")
    message = refused(study_dir, STUDY_OUTPUT)
    assert message.startswith(f"{study_dir} holds an earlier study and also runs/adam_2x10/notes.txt, which is not "
                              "part of it; a study replaces its folder as a whole")
    (study_dir / "runs" / "adam_2x10" / "notes.txt").unlink()
    (study_dir / "runs" / "stray.txt").write_text("mine")
    assert outputs.foreign_entry(study_dir, STUDY_OUTPUT) == "runs/stray.txt"


def test_a_study_is_not_a_run_and_a_run_is_not_a_study(tmp_path):
    study_dir = earlier_study(tmp_path / "study")
    assert "is not empty and is not a run" in refused(study_dir, RUN_OUTPUT)
    run_dir = earlier_run(tmp_path / "run")
    assert "is not empty and is not a study (it holds config.yaml)" in refused(run_dir, STUDY_OUTPUT)


def test_a_study_folder_with_a_user_file_is_refused_naming_it(tmp_path):
    (tmp_path / "results").mkdir()
    (tmp_path / "results" / "thesis.txt").write_text("chapter 3")
    message = refused(tmp_path / "results", STUDY_OUTPUT)
    assert message.startswith(f"{tmp_path / 'results'} is not empty and is not a study (it holds thesis.txt)")


def test_a_comparison_writes_only_into_a_folder_of_its_pictures(tmp_path):
    figures = tmp_path / "figures"
    figures.mkdir()
    outputs.check_destination(figures, COMPARE_OUTPUT)
    (figures / "compare.gif").write_bytes(b"GIF89a")
    (figures / "compare.png").write_bytes(b"\x89PNG")
    # Pictures of these names alone could be anyone's: only comparison.json makes them a comparison's.
    assert refused(figures, COMPARE_OUTPUT).startswith(
        f"{figures} holds files named like a comparison's but no comparison.json of this project's")
    (figures / "comparison.json").write_text(json.dumps({"compared": []}))
    outputs.check_destination(figures, COMPARE_OUTPUT)  # an earlier comparison
    (figures / "draft.tex").write_text("\\section{}")
    assert refused(figures, COMPARE_OUTPUT).startswith(
        f"{figures} holds an earlier comparison and also draft.tex, which is not part of it")
    (figures / "comparison.json").unlink()
    message = refused(figures, COMPARE_OUTPUT)
    assert message.startswith(f"{figures} is not empty and is not a comparison (it holds draft.tex); a comparison "
                              "writes its pictures only into a folder that holds nothing else: choose a new folder "
                              "with --output-dir, e.g. --output-dir output/my_comparison")
    run_dir = earlier_run(tmp_path / "run")
    assert "is not a comparison (it holds config.yaml)" in refused(run_dir, COMPARE_OUTPUT)


# --- removing, replacing and staging folders -----------------------------------------------------

def test_remove_output_removes_only_a_provable_earlier_output(tmp_path):
    run_dir = earlier_run(tmp_path / "run")
    assert outputs.remove_output(run_dir, RUN_OUTPUT) and not run_dir.exists()

    kept = earlier_run(tmp_path / "kept")
    (kept / "notes.md").write_text("mine")
    before = snapshot_tree(kept)
    assert not outputs.remove_output(kept, RUN_OUTPUT)
    assert snapshot_tree(kept) == before

    (tmp_path / "a_file").write_text("mine")
    assert not outputs.remove_output(tmp_path / "a_file", RUN_OUTPUT) and (tmp_path / "a_file").exists()
    assert not outputs.remove_output(tmp_path / "missing", RUN_OUTPUT)
    study_dir = earlier_study(tmp_path / "study")
    assert not outputs.remove_output(study_dir, RUN_OUTPUT) and study_dir.exists()
    assert outputs.remove_output(study_dir, STUDY_OUTPUT) and not study_dir.exists()


def test_replace_directory_puts_a_new_folder_in_place_of_an_earlier_run(tmp_path):
    new = earlier_run(tmp_path / ".new", with_pictures=False)
    outputs.replace_directory(new, tmp_path / "run", RUN_OUTPUT)
    assert sorted(path.name for path in tmp_path.iterdir()) == ["run"]

    (tmp_path / "run" / "fit.gif").write_bytes(b"GIF89a the earlier run's")
    newer = tmp_path / ".newer"
    rundir.write_run(newer, synthetic_run(nets=2))
    expected = snapshot_tree(newer)
    outputs.replace_directory(newer, tmp_path / "run", RUN_OUTPUT)
    assert snapshot_tree(tmp_path / "run") == expected, "replaced as a whole: the earlier fit.gif is gone"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["run"], "nothing left beside it"


def test_a_file_that_appeared_in_the_destination_is_kept_and_the_new_folder_goes_beside_it(tmp_path):
    final = earlier_run(tmp_path / "run")
    (final / "notes.md").write_text("written while the run trained")
    before = snapshot_tree(final)
    new = earlier_run(tmp_path / ".partial", with_pictures=False)
    with pytest.raises(outputs.DestinationChanged) as error:
        outputs.replace_directory(new, final, RUN_OUTPUT)
    assert str(error.value) == (f"{final} gained notes.md while this ran, which is not part of a run, so it was left "
                                f"as it is; the new run is in {tmp_path / 'run.new'}")
    assert isinstance(error.value, ConfigError)
    assert snapshot_tree(final) == before
    assert (tmp_path / "run.new" / "summary.json").is_file() and not new.exists()

    again = earlier_run(tmp_path / ".partial", with_pictures=False)
    with pytest.raises(outputs.DestinationChanged, match="the new run is in .*run.new-2$"):
        outputs.replace_directory(again, final, RUN_OUTPUT)
    assert sorted(path.name for path in tmp_path.iterdir()) == ["run", "run.new", "run.new-2"]


def test_a_file_where_the_folder_should_go_is_kept_too(tmp_path):
    (tmp_path / "run").write_text("mine")
    new = earlier_run(tmp_path / ".partial", with_pictures=False)
    with pytest.raises(outputs.DestinationChanged, match="gained run while this ran"):
        outputs.replace_directory(new, tmp_path / "run", RUN_OUTPUT)
    assert (tmp_path / "run").read_text() == "mine" and (tmp_path / "run.new" / "summary.json").is_file()


def test_a_staged_folder_is_hidden_while_written_and_in_place_only_when_complete(tmp_path):
    final = tmp_path / "deeper" / "run"
    with outputs.staged_directory(final, RUN_OUTPUT) as partial:
        assert partial.parent == final.parent and partial.name.startswith(".run.partial-")
        assert not final.exists()
        rundir.write_run(partial, synthetic_run())
        assert stat.S_IMODE(partial.stat().st_mode) == 0o777 & ~outputs.current_umask()
    assert (final / "summary.json").is_file()
    assert sorted(path.name for path in final.parent.iterdir()) == ["run"]


def test_a_staged_folder_that_does_not_complete_leaves_the_earlier_output_as_it_was(tmp_path):
    final = earlier_run(tmp_path / "run")
    before = snapshot_tree(tmp_path)
    with pytest.raises(KeyboardInterrupt):
        with outputs.staged_directory(final, RUN_OUTPUT) as partial:
            rundir.write_run(partial, synthetic_run(nets=2))
            raise KeyboardInterrupt
    assert snapshot_tree(tmp_path) == before, "no half-written folder left behind"


def test_a_file_is_written_under_a_hidden_temporary_name_beside_it(tmp_path):
    temporary = outputs.temporary_path(tmp_path / "fit.gif")
    assert temporary == tmp_path / f".fit.gif.{os.getpid()}.partial"
    assert RUN_OUTPUT.owns(temporary.name)
    assert COMPARE_OUTPUT.owns(outputs.temporary_path(tmp_path / "compare.gif").name)


@pytest.mark.parametrize("kind", [RUN_OUTPUT, STUDY_OUTPUT, COMPARE_OUTPUT], ids=lambda kind: kind.noun)
def test_a_destination_inside_another_output_is_refused(tmp_path, kind):
    run = earlier_run(tmp_path / "run")
    study = tmp_path / "study"
    study.mkdir()
    (study / "summary.json").write_text(json.dumps({"name": "s", "rows": []}))
    comparison = tmp_path / "cmp"
    comparison.mkdir()
    (comparison / "compare.gif").write_bytes(b"GIF89a")
    (comparison / "comparison.json").write_text(json.dumps({"compared": []}))
    for outer in (run, study, comparison):
        before = snapshot_tree(outer)
        message = refused(outer / "sub" / "new", kind)
        assert f"is inside {outer.resolve()}, an output of this project" in message
        assert snapshot_tree(outer) == before


def test_signals_held_off_arrive_when_the_block_ends_even_when_another_thread_takes_them():
    """The kernel gives a process's signal to any thread that does not block it, and Python runs
    the handler in the main thread all the same: blocking the signal in the main thread alone does
    not hold it off (a study's table was cut short so). signals_held does, and delivers it at the end."""
    import signal
    import threading
    import time

    def take_it_in_another_thread():
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
        signal.pthread_kill(threading.get_ident(), signal.SIGINT)  # as the kernel may hand it to this thread

    # Python's own Ctrl-C handler, whatever this process was started with: a shell starts a command
    # it runs in the background with Ctrl-C ignored, and Python then leaves it ignored.
    started_with = signal.signal(signal.SIGINT, signal.default_int_handler)
    reached_the_end = False
    try:
        with pytest.raises(KeyboardInterrupt):
            with outputs.signals_held():
                signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})  # what used to hold it off: not enough
                try:
                    other = threading.Thread(target=take_it_in_another_thread)
                    other.start()
                    other.join()
                    for _ in range(50):  # give Python every chance to run the handler here
                        time.sleep(0.01)
                finally:
                    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
                reached_the_end = True
    finally:
        signal.signal(signal.SIGINT, started_with)
    assert reached_the_end


def test_a_folder_used_by_another_study_is_refused(tmp_path):
    from studies import STUDY_OUTPUT

    with outputs.used_alone(tmp_path, STUDY_OUTPUT):
        with pytest.raises(ConfigError, match=f"{tmp_path} is being written by another study right now"):
            with outputs.used_alone(tmp_path, STUDY_OUTPUT):
                pass
    with outputs.used_alone(tmp_path, STUDY_OUTPUT):  # free again once the first is done
        pass
