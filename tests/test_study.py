"""study.py, the command: a study file read and checked, its experiments trained over many seeds,
and its figure, table and summary written; never into a folder of the user's."""

import contextlib
import hashlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import study
from config import ConfigError
from conftest import ROOT
import rundir
import studies
import summaries
import study_table


def snapshot_tree(folder) -> dict:
    return {str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "dir"
            for path in sorted(folder.rglob("*"))}


def test_a_study_writes_its_figure_table_summary_and_runs(finished_study):
    study_file, output, status, stdout = finished_study
    assert status == 0
    assert sorted(path.name for path in output.iterdir()) == ["final_error.png", "report.html", "runs", "summary.json",
                                                             "table.md"]
    table = (output / "table.md").read_text().splitlines()
    assert table[0].startswith("| experiment | seeds | median final held-out MSE")
    assert table[2].startswith("| sgd_2x10 | 2 |") and table[3].startswith("| adam_2x10 | 2 |")
    assert "Noise floor σ² = 0.04" in table[-1]
    with Image.open(output / "final_error.png") as png:
        assert png.format == "PNG"
    for name in ("sgd_2x10", "adam_2x10"):  # a cell's page alone: its GIFs on request (test_sweep.py)
        assert sorted(path.name for path in (output / "runs" / name).iterdir()) == [
            "config.yaml", "history.csv", "report.html", "snapshots.npz", "summary.json"]
    assert sorted(path.name for path in study_file.parent.iterdir()) == ["mini_study.yaml", "out"], \
        "nothing is left beside the study"
    assert "| sgd_2x10 | 2 |" in stdout and f"wrote {output}/" in stdout


def test_the_studys_summary_holds_each_experiments_figures_over_its_seeds(finished_study):
    _, output, _, _ = finished_study
    written = json.loads((output / "summary.json").read_text())
    assert written["name"] == "mini_study" and written["seeds"] == 2
    rows = written["rows"]
    assert [row["experiment"] for row in rows] == ["sgd_2x10", "adam_2x10"]
    for row in rows:
        run_summary = json.loads((output / "runs" / row["experiment"] / "summary.json").read_text())
        assert run_summary["seeds"] == 2 and run_summary["epochs_completed"] == 120
        errors = summaries.RunSummary.model_validate(run_summary).final_held_out_errors()
        assert row["seeds"] == 2 and row["median"] == pytest.approx(float(np.median(errors)))
        assert row["p10"] <= row["median"] <= row["p90"]
        assert row["noise_floor"] == pytest.approx(0.04) and row["diverged"] == 0


def test_set_seeds_overrides_the_study_files_number(tmp_path):
    (tmp_path / "one.yaml").write_text("epochs: 10\n")
    (tmp_path / "two.yaml").write_text("epochs: 10\nname: other\n")
    study_file = tmp_path / "quick.yaml"
    study_file.write_text("seeds: 50\nexperiments: [one.yaml, two.yaml]\n")
    settings, cells = studies.load_study(study_file)
    experiments = [cell.config for cell in cells]
    assert settings.seeds == 50 and [experiment.seeds for experiment in experiments] == [50, 50]
    settings, cells = studies.load_study(study_file, ["seeds=2"])
    experiments = [cell.config for cell in cells]
    assert settings.seeds == 2 and [experiment.seeds for experiment in experiments] == [2, 2]
    assert settings.name == "quick" and [experiment.name for experiment in experiments] == ["one", "other"]
    with pytest.raises(ConfigError, match=r"^--set name=x: a study names its cells itself"):
        studies.load_study(study_file, ["name=x"])


@pytest.mark.parametrize("text, expected", [
    ("seeds: 3\nexperiment: [a.yaml]\n", "unknown key 'experiment'"),
    ("seeds: 3\nexperiments: [missing.yaml]\n", "missing.yaml: no such file"),
    ("seeds: 0\nexperiments: [a.yaml]\n", "seeds: Input should be greater than or equal to 1"),
])
def test_a_bad_study_file_is_a_plain_error(tmp_path, capsys, text, expected):
    study_file = tmp_path / "bad.yaml"
    study_file.write_text(text)
    with pytest.raises(ConfigError, match=expected):
        studies.load_study(study_file)
    assert study.main([str(study_file), "--output-dir", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and expected in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()


def test_study_refuses_a_folder_with_a_user_file(tmp_path, capsys, monkeypatch):
    folder = tmp_path / "results"
    folder.mkdir()
    (folder / "thesis.txt").write_text("chapter 3")
    monkeypatch.chdir(tmp_path)
    before = snapshot_tree(tmp_path)
    status = study.main([str(ROOT / "experiments/study_optimizer_vs_layers.yaml"), "--set", "epochs=10",
                         "--output-dir", "results", "--no-progress"])
    assert status == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: results is not empty and is not a study (it holds thesis.txt)")
    assert snapshot_tree(tmp_path) == before


@pytest.mark.parametrize("overrides, folder", [
    ([], "study_optimizer_vs_layers"),
    (["epochs=2000", "seeds=5"], "study_optimizer_vs_layers_seeds5_epochs2000"),
    (["seeds=5", "epochs=2e3", "render.fps=5"], "study_optimizer_vs_layers_seeds5_epochs2000"),
    (["seeds=50", "epochs=20000"], "study_optimizer_vs_layers"),  # what the files say already
    (["activation=tanh"], "study_optimizer_vs_layers_tanh"),
])
def test_a_study_with_overrides_goes_to_a_folder_named_for_them(overrides, folder):
    path = ROOT / "experiments" / "study_optimizer_vs_layers.yaml"
    settings, cells = studies.load_study(path, overrides)
    assert studies.default_folder(path, settings, cells, overrides) == Path("output") / folder


def test_a_study_does_not_replace_cells_of_other_settings_unless_told(finished_study, tmp_path, capsys):
    """The study file edited since (here: another number of epochs): stopped before training, the
    cells named with what differs; --replace trains them again into the same folder."""
    import shutil

    study_file, output, _, _ = finished_study
    copy = tmp_path / "out"
    shutil.copytree(output, copy)
    before = snapshot_tree(copy)
    arguments = [str(study_file), "--set", "epochs=130", "--set", "frames=8", "--set", "n_samples=50", "--set",
                 "seeds=2", "--output-dir", str(copy), "--no-progress", "--jobs", "1"]
    capsys.readouterr()
    assert study.main(arguments) == 2
    assert capsys.readouterr().err.strip() == (
        f"error: {copy} holds finished cells of other settings: sgd_2x10 (epochs 120 there, 130 here); adam_2x10 "
        "(epochs 120 there, 130 here); keep them by writing this study elsewhere (--output-dir), or replace them "
        "with --replace")
    assert snapshot_tree(copy) == before
    assert study.main(arguments + ["--replace"]) == 0
    assert json.loads((copy / "runs" / "adam_2x10" / "summary.json").read_text())["epochs_completed"] == 130


def test_a_ctrl_c_while_the_table_is_written_waits_for_it(finished_study, tmp_path, capsys, monkeypatch):
    """Every cell reused, a Ctrl-C while the table, pictures and page are written (taken by another
    thread, as the kernel may hand it): all of them are written by this invocation, and the study
    ends as a complete one, saying the Ctrl-C came too late to matter."""
    import shutil

    study_file, output, _, _ = finished_study
    copy = tmp_path / "out"
    shutil.copytree(output, copy)
    for name in ("table.md", "final_error.png", "report.html"):
        (copy / name).write_text("from before")
    real_write_study = studies.write_study

    def pressed_meanwhile(*arguments, **options):
        threading.Thread(target=lambda: signal.pthread_kill(threading.get_ident(), signal.SIGINT)).start()
        time.sleep(0.2)
        return real_write_study(*arguments, **options)

    monkeypatch.setattr(studies, "write_study", pressed_meanwhile)
    capsys.readouterr()
    status = study.main([str(study_file), "--set", "epochs=120", "--set", "frames=8", "--set", "n_samples=50",
                         "--set", "seeds=2", "--output-dir", str(copy), "--no-progress"])
    assert status == 0
    assert capsys.readouterr().err.strip() == "the Ctrl-C came once every cell was trained: nothing was left out"
    for name in ("table.md", "final_error.png", "report.html"):
        assert (copy / name).read_bytes() == (output / name).read_bytes() or name == "report.html"
        assert (copy / name).read_text(errors="replace") != "from before"


def test_set_name_is_refused_by_a_study(tmp_path):
    with pytest.raises(ConfigError, match=r"^--set name=x: a study names its cells itself"):
        studies.load_study(ROOT / "experiments" / "study_optimizer_vs_layers.yaml", ["name=x"])


def seeded_summary(name: str, trained: str, floor: float | None, share: float | None,
                   final_errors: list[float | None]) -> summaries.RunSummary:
    """A seeded run's summary with these final held-out errors (None: diverged), as a table reads it."""
    return summaries.RunSummary(format=rundir.FORMAT, name=name, trained=trained, true_function=None, status="completed",
                                epochs_completed=10, epochs_requested=10, seeds=len(final_errors), noise_floor=floor,
                                share_at_noise_floor=share,
                                nets=[summaries.NetSummary(seed=seed, loss=None if value is None else value * 0.9,
                                                           val_loss=value)
                                      for seed, value in enumerate(final_errors)])


def test_the_table_counts_diverged_seeds_and_leaves_them_out_of_the_figures():
    calm_run = seeded_summary("calm", "1x60 sigmoid · sgd lr 0.01", 0.04, 0.5, [0.04, 0.05, 0.06, 0.1])
    wild_run = seeded_summary("wild", "1x60 sigmoid · sgd lr 3", 0.04, 0.0, [0.2, None, 0.4])
    errors = wild_run.final_held_out_errors()
    assert errors[0] == 0.2 and np.isnan(errors[1]) and errors[2] == 0.4
    calm, wild = study_table.table_rows([calm_run, wild_run])
    assert calm.median == pytest.approx(0.055) and calm.diverged == 0 and calm.seeds == 4
    assert wild.median == pytest.approx(0.3) and wild.diverged == 1 and wild.seeds == 3
    assert calm.p10 == pytest.approx(np.percentile([0.04, 0.05, 0.06, 0.1], 10))
    table = study_table.markdown_table([calm, wild]).splitlines()
    assert table[2] == "| calm | 4 | 0.0550 | 0.0430 | 0.0880 | 50% | 0.0495 |"  # the training errors' median last
    assert table[3].startswith("| wild | 3 (1 diverged) | 0.3000 |")
    assert table[-1] == "Noise floor σ² = 0.04: the held-out error of the true function itself."


def test_the_table_says_where_the_noise_floor_is_unknown(tmp_path):
    def summary(name, floor):
        return seeded_summary(name, "2x10 sigmoid · adam lr 0.01", floor, None if floor is None else 1.0, [0.05])

    rows = study_table.table_rows([summary("co2", None), summary("sine", 0.04), summary("quiet", 0.01)])
    table = study_table.markdown_table(rows).splitlines()
    assert table[2] == "| co2 | 1 | 0.0500 | 0.0500 | 0.0500 | noise floor unknown | 0.0450 |"
    assert table[-1] == ("Noise floors σ², the held-out error of each true function itself: sine 0.04, quiet 0.01; "
                         "unknown for the others (points from a file).")
    only_files = study_table.table_rows([summary("co2", None), summary("co2_again", None)])
    assert study_table.markdown_table(only_files).splitlines()[-1].startswith("Noise floor unknown: the points came from a file")
    from drawing.figures import draw_final_errors

    for chosen in (rows, only_files):  # each experiment's own floor, or none: drawn without a failure
        draw_final_errors(chosen, [np.array([0.05])] * len(chosen), tmp_path / "final_error.png", "t", "x")
        assert (tmp_path / "final_error.png").read_bytes()[:4] == b"\x89PNG"


# --- Ctrl-C, kill and kill -9 at any moment of a study -----------------------------------------------

class WatchedStudy:
    """`python study.py` on a two-cell grid (epochs: [60, N]), in a session of its own as a terminal
    would run it, with a thread collecting its output and one collecting the id (and start time) of
    every process it starts, so that the test can tell afterwards whether any is still running."""

    def __init__(self, folder, long_epochs: int, cells: str | None = None):
        self.output = folder / "out"
        study_file = folder / "storm.yaml"
        study_file.write_text(f"base: {ROOT / 'experiments' / 'adam_2x10.yaml'}\nseeds: 1\n"
                              f"grid:\n  epochs: {cells or f'[60, {long_epochs}]'}\n")
        command = [sys.executable, str(ROOT / "study.py"), str(study_file), "--output-dir", str(self.output),
                   "--no-progress", "--set", "frames=8", "--set", "n_samples=40", "--set", "grid_points=30"]
        self.process = subprocess.Popen(command, cwd=folder, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                        start_new_session=True)
        self.stdout, self.stderr, self.seen = [], [], {}
        self.threads = [threading.Thread(target=self._read, args=(self.process.stdout, self.stdout), daemon=True),
                        threading.Thread(target=self._read, args=(self.process.stderr, self.stderr), daemon=True),
                        threading.Thread(target=self._watch_processes, daemon=True)]
        for thread in self.threads:
            thread.start()

    @staticmethod
    def _read(stream, lines):
        for line in stream:
            lines.append(line)

    def _watch_processes(self):
        while self.process.poll() is None:
            for pid in descendants(self.process.pid):
                self.seen.setdefault(pid, start_time(pid))
            time.sleep(0.02)

    def wait_for(self, condition, timeout: float = 180) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            assert self.process.poll() is None, f"the study ended first: {''.join(self.stderr)}"
            assert time.monotonic() < deadline, "the moment never came"
            time.sleep(0.01)

    def signal(self, *signals, gap: float = 0.3) -> None:
        """Send signals to the study's process group, as a terminal does with Ctrl-C."""
        for number in signals:
            os.killpg(self.process.pid, number)
            time.sleep(gap)

    def finish(self, seconds: float = 30) -> tuple[int, str]:
        """The exit status and stderr, once it has ended (within `seconds` of now)."""
        self.process.wait(timeout=seconds)
        for thread in self.threads:
            thread.join(timeout=10)
        return self.process.returncode, "".join(self.stderr)

    def survivors(self, seconds: float = 10) -> list[int]:
        """Processes it started that are still running after `seconds` (a zombie is not running)."""
        deadline = time.monotonic() + seconds
        while True:
            alive = [pid for pid, started in self.seen.items() if started is not None and start_time(pid) == started]
            if not alive or time.monotonic() > deadline:
                return alive
            time.sleep(0.1)

    def staged(self) -> list[str]:
        runs = self.output / "runs"
        return [entry.name for entry in runs.iterdir() if entry.name.startswith(".")] if runs.is_dir() else []

    def finished_cells(self) -> list[str]:
        runs = self.output / "runs"
        return sorted(entry.name for entry in runs.iterdir()
                      if not entry.name.startswith(".") and (entry / "summary.json").is_file()) if runs.is_dir() else []


def descendants(pid: int) -> list[int]:
    found, waiting = [], [pid]
    while waiting:
        parent = waiting.pop()
        with contextlib.suppress(OSError):
            for task in os.listdir(f"/proc/{parent}/task"):
                with open(f"/proc/{parent}/task/{task}/children") as children:
                    for child in map(int, children.read().split()):
                        found.append(child)
                        waiting.append(child)
    return found


def start_time(pid: int) -> str | None:
    """A running process's start time (None: not running, or a zombie), to tell it from a later one with its id."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return None if fields[0] in ("Z", "X") else fields[19]


def assert_cells_whole(watched: WatchedStudy, cells: int = 2) -> list[str]:
    """No half-written cell, every cell in runs/ readable with all its pictures, and the table and
    summary written from them; returns the finished cells."""
    import rundir

    assert watched.staged() == [], "no half-written cell is left"
    finished = watched.finished_cells()
    for name in finished:
        run = rundir.read_run(watched.output / "runs" / name)
        assert all((watched.output / "runs" / name / picture).is_file() for picture in rundir.picture_names(run))
    summary = json.loads((watched.output / "summary.json").read_text())
    assert sorted(row["experiment"] for row in summary["rows"]) == finished
    assert len(finished) + len(summary["missing"]) == cells
    return finished


def assert_ended_once(status: int, stderr: str, expected_status: int, watched: WatchedStudy) -> None:
    assert status == expected_status, stderr
    assert "Traceback" not in stderr and "Exception ignored" not in stderr and "Warning" not in stderr, stderr
    assert watched.survivors() == [], "no process it started is left"


@pytest.mark.slow
@pytest.mark.parametrize("moment, signals, expected_status", [
    ("workers starting", [signal.SIGINT], 130),
    ("training", [signal.SIGINT, signal.SIGINT], 130),
    ("writing a cell", [signal.SIGTERM, signal.SIGINT, signal.SIGINT], 143),
])
def test_a_study_ends_within_seconds_whatever_signals_come_and_whenever(tmp_path, moment, signals, expected_status):
    """One Ctrl-C, two, or a kill and two Ctrl-Cs, while its workers start (importing TensorFlow),
    while one trains, and while one writes and draws its cell: the study ends within seconds, says
    `interrupted:` once, leaves no process behind and no half-written cell, and its table is
    written from the cells that finished."""
    watched = WatchedStudy(tmp_path, long_epochs=200_000)
    if moment == "workers starting":
        watched.wait_for(lambda: watched.stdout and len(descendants(watched.process.pid)) >= 2)
        time.sleep(0.5)
    elif moment == "training":
        watched.wait_for(lambda: "epochs60" in watched.finished_cells())
    else:
        watched.wait_for(lambda: watched.staged())
    watched.signal(*signals)
    status, stderr = watched.finish()
    assert_ended_once(status, stderr, expected_status, watched)
    assert stderr.count("interrupted:") == 1 and "not trained: run the same command again to train" in stderr
    finished = assert_cells_whole(watched)
    assert "epochs200000" not in finished


@pytest.mark.slow
def test_a_ctrl_c_once_every_cell_is_trained_leaves_the_study_complete(tmp_path):
    """Two Ctrl-Cs as the last cell lands (the study writing its table): nothing is left out, so
    the study ends as a complete one (exit 0) and says the Ctrl-C came too late to matter."""
    watched = WatchedStudy(tmp_path, long_epochs=80)
    watched.wait_for(lambda: len(watched.finished_cells()) == 2)
    watched.signal(signal.SIGINT, signal.SIGINT, gap=0.1)
    status, stderr = watched.finish()
    assert_ended_once(status, stderr, 0, watched)
    assert "the Ctrl-C came once every cell was trained: nothing was left out" in stderr
    assert assert_cells_whole(watched) == ["epochs60", "epochs80"]
    assert "| epochs60 |" in "".join(watched.stdout)


@pytest.mark.slow
def test_workers_stop_by_themselves_when_the_study_is_killed(tmp_path):
    """kill -9 of the study while a worker trains: its workers notice and stop within seconds,
    dropping the cell they were training."""
    watched = WatchedStudy(tmp_path, long_epochs=200_000)
    watched.wait_for(lambda: "epochs60" in watched.finished_cells())
    os.kill(watched.process.pid, signal.SIGKILL)
    watched.process.wait(timeout=10)
    assert watched.survivors(seconds=15) == [], "no worker outlives the study"
    assert watched.staged() == [] and watched.finished_cells() == ["epochs60"]


@pytest.mark.slow
def test_a_worker_killed_loses_only_its_cell(tmp_path):
    """kill -9 of one worker while both train: its cell is listed as missing, the other worker
    trains the rest, what the dead one was writing is removed, and the study says so (exit 1)."""
    import sweep  # noqa: F401  (the study's workers)

    watched = WatchedStudy(tmp_path, long_epochs=3000, cells="[3000, 3001, 60]")
    def workers():
        return [pid for pid in descendants(watched.process.pid) if "spawn_main" in command_line(pid)]
    watched.wait_for(lambda: len(workers()) == 2 and all(tensorflow_loaded(pid) for pid in workers()))
    os.kill(workers()[0], signal.SIGKILL)
    status, stderr = watched.finish(seconds=180)
    assert status == 1, stderr
    assert "a worker process died while it trained epochs3000; that cell is listed as missing" in stderr or \
           "a worker process died while it trained epochs3001; that cell is listed as missing" in stderr
    assert "Traceback" not in stderr and watched.survivors() == []
    finished = assert_cells_whole(watched, cells=3)
    assert len(finished) == 2 and "epochs60" in finished


def command_line(pid: int) -> str:
    with contextlib.suppress(OSError), open(f"/proc/{pid}/cmdline") as cmdline:
        return cmdline.read().replace("\0", " ")
    return ""


def tensorflow_loaded(pid: int) -> bool:
    with contextlib.suppress(OSError), open(f"/proc/{pid}/maps") as maps:
        return "tensorflow" in maps.read()
    return False
