"""The train command: what it writes, what it says, and what it does when things go wrong
(bad input, divergence, Ctrl-C, files of the user's).

Where the behaviour is the process's own (exit status, messages on the terminal, signals,
TensorFlow's start-up), train.py runs in a process of its own: those the selected tests read are
started together by the `background` fixture when the first of those tests comes (the bad input's,
which come first), and the tests that read the others come last. The rest calls train_and_write and
main in this process, meanwhile."""

import contextlib
import hashlib
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
import yaml

import config as config_module
import outputs
import rundir
import train
import training
from config import ConfigError
from conftest import ROOT, synthetic_run
import animate
import pipeline
import rendering

PYTHON = sys.executable
EXPERIMENT = str(ROOT / "experiments" / "adam_2x10.yaml")

# What train.py writes: the data, the pictures, and net 0's curvature (record.curvature's default).
ONE_NET_FILES = rundir.DATA_FILES + rundir.ONE_NET_PICTURES + rundir.CURVATURE_FILES
SEEDS_FILES = rundir.DATA_FILES + rundir.SEEDS_PICTURES + rundir.CURVATURE_FILES


def snapshot_tree(folder: Path) -> dict[str, str]:
    """Every entry under folder (hidden ones too) by relative path, with a hash of each file's bytes."""
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "folder"
        for path in sorted(folder.rglob("*"))
    }


def wait_for(process: subprocess.Popen, text: str, timeout: float = 600) -> str:
    """Read the process's stderr until `text` appears."""
    seen, deadline = "", time.monotonic() + timeout
    while text not in seen and time.monotonic() < deadline:
        character = process.stderr.read(1)
        if not character:
            break
        seen += character
    assert text in seen, seen
    return seen


def earlier_run(directory: Path, **options) -> Path:
    """A finished run as train.py leaves it (synthetic numbers; its pictures as bytes, not drawn)."""
    run = synthetic_run(**options)
    rundir.write_run(directory, run)
    for name in rundir.picture_names(run):
        (directory / name).write_bytes(b"GIF89a earlier" if name.endswith(".gif") else b"\x89PNG earlier")
    return directory


def summary_of(run_dir: Path) -> dict:
    return json.loads((run_dir / "summary.json").read_text())


class StopAfterChunks(pipeline.StopRequest):
    """A Ctrl-C pressed after `chunks` chunks of epochs have been trained (0: before training)."""

    def __init__(self, chunks: int):
        super().__init__()
        self.chunks_left = chunks

    def __call__(self) -> bool:
        self.chunks_left -= 1
        self.requested = self.requested or self.chunks_left < 0
        return self.requested


class NoteSavedWhileTraining(pipeline.StopRequest):
    """Saves a user's file into the run's folder while the run trains."""

    def __init__(self, note: Path):
        super().__init__()
        self.note = note

    def __call__(self) -> bool:
        if not self.note.exists():
            self.note.write_text("written while the run trained")
        return False


# --- commands run in processes of their own, in the background ------------------------------------

def reads(*names):
    """Marks a test as reading what these commands (COMMANDS) did."""
    def mark(test):
        test.commands_read = names
        return test
    return mark


class Background:
    """Commands each run in a process of its own and driven by a thread of this one (which presses
    Ctrl-C at the moment its test needs, and collects the output), while the tests that need no
    process of their own go on here. Each process spends about 5 s starting TensorFlow; side by
    side on 2 cores, that costs the suite little of its time."""

    def __init__(self, tmp_path_factory):
        self.tmp_path_factory = tmp_path_factory
        self.processes, self.threads, self.outcomes = [], {}, {}

    def begin(self, names) -> None:
        """Start these commands (those not started yet), each in a folder of its own."""
        for name in names:
            if name not in self.threads:
                command = COMMANDS[name]
                self.run(name, command(self, self.tmp_path_factory.mktemp(command.__name__)))

    def start(self, *arguments, cwd=ROOT) -> subprocess.Popen:
        """train.py with these arguments."""
        return self.start_process([PYTHON, str(ROOT / "train.py"), *arguments], cwd=cwd)

    def start_process(self, command: list[str], cwd, env=None) -> subprocess.Popen:
        process = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                   text=True)
        self.processes.append(process)
        return process

    def run(self, name: str, work) -> None:
        """Call work() on a thread of its own; result(name) gives what it returned (or raises what it raised)."""

        def target():
            try:
                self.outcomes[name] = (True, work())
            except BaseException as error:  # an assertion, a timeout: raised again in the test
                self.outcomes[name] = (False, error)

        self.threads[name] = threading.Thread(target=target, name=name, daemon=True)
        self.threads[name].start()

    def result(self, name: str):
        """What the command did (started now if no test was marked as reading it)."""
        self.begin([name])
        self.threads[name].join(timeout=900)
        assert not self.threads[name].is_alive(), f"{name}: still running"
        finished, value = self.outcomes[name]
        if not finished:
            raise value
        return value

    def end(self) -> None:
        """Kill what is still running (a test failed, or did not read it), by the ids of the processes
        started here; their threads then see them end."""
        for process in self.processes:
            if process.poll() is None:
                process.kill()
        for thread in self.threads.values():
            thread.join(timeout=60)


@pytest.fixture(scope="module")
def background(request, tmp_path_factory):
    """The commands that this module's selected tests read (`reads`), started together when the first
    of those tests comes, and ended after the module's last test."""
    commands = Background(tmp_path_factory)
    commands.begin(dict.fromkeys(name for item in request.session.items if item.module is request.module
                                 for name in getattr(getattr(item, "function", None), "commands_read", ())))
    yield commands
    commands.end()


def finish(process: subprocess.Popen, seen: str = "") -> subprocess.CompletedProcess:
    """Wait for the process; its stdout, and its stderr (with what was already read of it: seen)."""
    stdout, stderr = process.communicate(timeout=600)
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, seen + stderr)


def tensorflow_is_loading(pid: int) -> bool:
    with contextlib.suppress(OSError), open(f"/proc/{pid}/maps") as maps:
        return "tensorflow" in maps.read()
    return False


# 60 points of a falling body in metres, its rows in no order, with a header and a comment.
POINTS_CSV = "# a falling body\ntime_s,height_m\n" + "".join(
    f"{t / 20:.3f},{100 - 4.9 * (t / 20) ** 2 + 0.3 * np.sin(7 * t):.4f}\n" for t in np.random.default_rng(0).permutation(60))
CSV_SETTINGS = ("--set", "epochs=300", "--set", "frames=30", "--set", "validation_fraction=0.25")
CLI_ARGUMENTS = ("--config", "experiments/adam_2x10.yaml", "--set", "epochs=400", "--set", "frames=60", "--no-progress")
CLI_NAME = "adam_2x10_epochs400_frames60"  # named for what its overrides change
SEEDS_ARGUMENTS = ("--config", EXPERIMENT, "--seeds", "3", "--set", "seed=5", "--set", "data_seed=0", "--set",
                   "epochs=300", "--set", "frames=20", "--set", "n_samples=64", "--set", "grid_points=50",
                   "--no-progress")
SEEDS_NAME = "adam_2x10_seed5_seeds3_data_seed0_n64_epochs300_frames20_grid_points50"


# Each command: started in an empty folder of its own, it returns the work its thread does.

def ctrl_c_while_tensorflow_starts(commands: Background, folder: Path):
    """Ctrl-C while TensorFlow starts, with a finished run at the destination."""
    earlier_run(folder / "output" / "adam_2x10")
    before = snapshot_tree(folder)
    process = commands.start("--config", EXPERIMENT, "--no-progress", "--replace", cwd=folder)

    def press():
        deadline = time.monotonic() + 300
        while not tensorflow_is_loading(process.pid) and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        process.send_signal(signal.SIGINT)
        return finish(process), before, snapshot_tree(folder)

    return press


def ctrl_c_while_drawing(commands: Background, folder: Path):
    """Ctrl-C while the pictures are drawn: 1,001 frames, which take seconds."""
    process = commands.start("--config", EXPERIMENT, "--set", "epochs=1000", "--set", "frames=1000", "--output-dir",
                             str(folder / "run"), cwd=folder)

    def press():
        seen = wait_for(process, "drawing the pictures")
        process.send_signal(signal.SIGINT)
        return folder, finish(process, seen)

    return press


def ctrl_c_while_training(commands: Background, folder: Path):
    """Ctrl-C during a long training, once the progress bar shows trained epochs."""
    process = commands.start("--config", "experiments/sgd_1x60.yaml", "--set", "epochs=5000000", "--output-dir",
                             str(folder / "long"))

    def press():
        seen = wait_for(process, "loss=")
        process.send_signal(signal.SIGINT)
        return folder / "long", finish(process, seen)

    return press


def kill_9_while_drawing(commands: Background, folder: Path):
    """kill -9 while the pictures are drawn: what it was writing stays behind, named for its writer."""
    process = commands.start("--config", EXPERIMENT, "--set", "epochs=100", "--set", "frames=100", "--output-dir",
                             str(folder / "run"), cwd=folder)

    def kill():
        wait_for(process, "drawing the pictures")
        process.kill()
        process.communicate(timeout=60)
        return folder, process.pid

    return kill


def ctrl_c_once_written(commands: Background, folder: Path):
    """Ctrl-Cs from the moment the run says it is written until the process has ended."""
    process = commands.start(*CLI_ARGUMENTS, "--output-dir", str(folder / "run"))

    def press():
        written = ""
        while "wrote " not in written:
            line = process.stdout.readline()
            assert line, "ended before saying what it wrote"
            written += line
        while process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(signal.SIGINT)
            time.sleep(0.05)
        stdout, stderr = process.communicate(timeout=60)
        return folder, subprocess.CompletedProcess(process.args, process.returncode, written + stdout, stderr)

    return press


def two_runs_at_once(commands: Background, folder: Path):
    """Two runs into one folder at once; the one that lands first is also the finished run of
    CLI_ARGUMENTS that the tests of the run directory read (cli_run)."""
    pair = [commands.start(*CLI_ARGUMENTS, "--output-dir", str(folder / "run")) for _ in range(2)]
    return lambda: (folder, [finish(process) for process in pair])


def runs_to_the_end(*arguments):
    """A run that ends by itself, of these arguments."""
    def ending_run(commands: Background, folder: Path):
        process = commands.start(*arguments, "--output-dir", str(folder / "run"))
        return lambda: (folder / "run", finish(process))
    return ending_run


def csv_run(commands: Background, folder: Path):
    """A run on the user's own points, in a folder of its own (data_file is read from the current folder)."""
    (folder / "points.csv").write_text(POINTS_CSV)
    process = commands.start("--config", EXPERIMENT, "--set", "data_file=points.csv", *CSV_SETTINGS, "--no-progress",
                             "--output-dir", str(folder / "run"), cwd=folder)
    return lambda: (folder, finish(process))


def bad_input(commands: Background, folder: Path):
    """Every case of BAD_INPUT, each in a folder of its own; no TensorFlow, so all run by one interpreter."""
    cases, before = {}, {}
    for index, (name, (files, arguments, _, _)) in enumerate(BAD_INPUT.items()):
        case = folder / str(index)
        case.mkdir()
        for path, text in files.items():
            (case / path).parent.mkdir(parents=True, exist_ok=True)
            (case / path).write_text(text)
        if "output/adam_2x10/notes.md" in files:
            earlier_run(case / "output" / "adam_2x10")
        cases[name] = (str(case), arguments)
        before[name] = snapshot_tree(case)
    process = commands.start_process([PYTHON, "-c", BATCH, json.dumps(cases)], cwd=ROOT,
                                     env={**os.environ, "PYTHONPATH": str(ROOT)})

    def give():
        result = finish(process)
        assert result.returncode == 0, result.stderr
        results = json.loads(result.stdout)
        for name, (case, _) in cases.items():
            results[name]["unchanged"] = snapshot_tree(Path(case)) == before[name]
        return results

    return give


COMMANDS = {
    "ctrl-c at start": ctrl_c_while_tensorflow_starts,
    "ctrl-c drawing": ctrl_c_while_drawing,
    "ctrl-c training": ctrl_c_while_training,
    "kill -9": kill_9_while_drawing,
    "late ctrl-c": ctrl_c_once_written,
    "two at once": two_runs_at_once,
    "diverging example": runs_to_the_end("--config", "experiments/sgd_2x10_diverging.yaml", "--no-progress"),
    "seeds": runs_to_the_end(*SEEDS_ARGUMENTS),
    "csv run": csv_run,
    "bad input": bad_input,
}


# --- bad input (first: the first test that reads a command starts the others, which then run -----
# while the tests in this process do)

# name: (files to make in an empty folder, arguments, what stderr starts with or holds)
BAD_INPUT = {
    "empty file": ({"empty.yaml": ""}, ["--config", "empty.yaml"], "error: empty.yaml: ", "is empty"),
    "not YAML": ({"broken.yaml": "epochs: [1, 2\n"}, ["--config", "broken.yaml"], "error: broken.yaml: ",
                 "is not valid YAML"),
    "a list": ({"list.yaml": "- epochs\n"}, ["--config", "list.yaml"], "error: list.yaml: ",
               "the top level must be a mapping"),
    "a typo": ({"typo.yaml": "epoch: 10\n"}, ["--config", "typo.yaml"], "error: typo.yaml: ",
               "unknown key 'epoch' (did you mean 'epochs'?)"),
    "a wrong type": ({"type.yaml": "epochs: many\n"}, ["--config", "type.yaml"], "error: type.yaml: ",
                     "epochs: Input should be a valid integer"),
    "layers as text": ({"layers.yaml": 'hidden_layers: "60"\n'}, ["--config", "layers.yaml"], "error: layers.yaml: ",
                       "hidden_layers: Input should be a valid list"),
    "an empty range": ({"range.yaml": "x_min: 5\nx_max: 1\n"}, ["--config", "range.yaml"], "error: range.yaml: ",
                       "x_min (5.0) must be less than x_max (1.0)"),
    "an unknown optimizer": ({"optimizer.yaml": "optimizer: adamw2\n"}, ["--config", "optimizer.yaml"],
                             "error: optimizer.yaml: ", "unknown optimizer 'adamw2'"),
    "an unknown activation": ({"activation.yaml": "activation: sigmod\n"}, ["--config", "activation.yaml"],
                              "error: activation.yaml: ", "unknown activation 'sigmod'"),
    "a missing file": ({}, ["--config", "missing.yaml"], "error: missing.yaml: no such file", ""),
    "a folder as the config": ({}, ["--config", "."], "error: .: is a directory", ""),
    "a typo in --set": ({}, ["--config", EXPERIMENT, "--set", "epoch=10", "--output-dir", "run"],
                        "error: --set epoch=10: unknown key 'epoch' (did you mean 'epochs'?)", ""),
    "a negative count": ({}, ["--config", EXPERIMENT, "--set", "epochs=-5"], "error: --set epochs=-5: ",
                         "epochs: Input should be greater than 0"),
    "a typo in a render key": ({}, ["--config", EXPERIMENT, "--set", "render.fsp=5"], "error: --set render.fsp=5: ",
                               "unknown key 'render.fsp' (did you mean 'render.fps'?)"),
    "--set without a value": ({}, ["--config", EXPERIMENT, "--set", "learning_rate"], "error: ", "expected key=value"),
    "a fraction of a unit": ({}, ["--config", EXPERIMENT, "--set", "hidden_layers=[10, 1.5]"], "error: ",
                             "hidden_layers.1"),
    "--seeds and --set seeds disagree": ({}, ["--config", EXPERIMENT, "--seeds", "2", "--set", "seeds=5"],
                                         "error: --seeds 2 and --set seeds=5 disagree", ""),
    "no seeds": ({}, ["--config", EXPERIMENT, "--seeds", "0"], "error: --seeds 0: seeds: ", ""),
    "a top-level key as an optimizer option": (
        {}, ["--config", EXPERIMENT, "--set", "optimizer_options.learning_rate=0.1"], "error: ",
        "'learning_rate' is a top-level key: set learning_rate itself"),
    "a file whose name is not a plain name": ({"my run.yaml": "epochs: 10\n"}, ["--config", "my run.yaml"],
                                              "error: my run.yaml: the run is named after the file", "set name:"),
    # Where the run would go, refused before training (outputs.py's rules, tested in full in test_outputs.py).
    "a file's folder as the output": ({"a_file": "not a folder"},
                                      ["--config", EXPERIMENT, "--output-dir", "a_file/run"],
                                      "error: cannot write to a_file: is a file, not a folder", "--output-dir"),
    "a file as the output": ({"a_file": "not a folder"}, ["--config", EXPERIMENT, "--output-dir", "a_file"],
                             "error: a_file exists and is not a folder", ""),
    "an unwritable place": ({}, ["--config", EXPERIMENT, "--output-dir", "/proc/nope"],
                            "error: cannot write to /proc: it takes no new files", ""),
    "the current folder": ({"keep.txt": "mine"}, ["--config", EXPERIMENT, "--output-dir", "."],
                           "error: . is the current folder; a run needs a folder of its own", ""),
    "a folder of the user's": ({"mine/thesis.txt": "three years of work"},
                               ["--config", EXPERIMENT, "--output-dir", "mine"],
                               "error: mine is not empty and is not a run (it holds thesis.txt)", "--output-dir"),
    "an earlier run with a note in it": (
        {"output/adam_2x10/notes.md": "seed 0 looks odd"}, ["--config", EXPERIMENT],
        "error: output/adam_2x10 holds an earlier run and also notes.md", "move notes.md out"),
    # The user's own points: the file's mistakes, named by file and line, before TensorFlow starts.
    "a word in the data": ({"p.csv": "x,y\n" + "1,2\n" * 10 + "3,three\n"}, ["--config", EXPERIMENT, "--set",
                           "data_file=p.csv"], "error: p.csv, line 12: the y ('y') value 'three' is not a number", ""),
    "a data file that is not there": ({}, ["--config", EXPERIMENT, "--set", "data_file=data/nothere.csv"],
                                      "error: data/nothere.csv: no such file", ""),
    "too few points": ({"p.csv": "1,2\n" * 9}, ["--config", EXPERIMENT, "--set", "data_file=p.csv"],
                       "error: p.csv: holds 9 points; at least 10 are needed", ""),
    "noise beside a data file": ({"csv.yaml": "data_file: p.csv\nnoise_std: 0.1\n"}, ["--config", "csv.yaml"],
                                 "error: csv.yaml: noise_std describes generated data, but the points come from "
                                 "data_file", ""),
    # Arguments argparse refuses.
    "no --config": ({}, [], "usage: ", "the following arguments are required: --config"),
    "--seeds not a number": ({}, ["--config", EXPERIMENT, "--seeds", "many"], "usage: ", "invalid int value: 'many'"),
}
PLAIN_NAMES = [".", "..", ".hidden", "a/b", "../escape", "-flag", "with space", "x" * 101, "trailing."]
for _name in PLAIN_NAMES:
    BAD_INPUT[f"name {_name[:12]}"] = ({}, ["--config", EXPERIMENT, "--set", f"name={_name}"],
                                       f"error: --set name={_name}: name: must be a plain folder name", "")

BATCH = r"""
import contextlib, io, json, os, sys
import train
results = {}
for name, (folder, arguments) in json.loads(sys.argv[1]).items():
    os.chdir(folder)
    stderr = io.StringIO()
    with contextlib.redirect_stderr(stderr):
        try:
            status = train.main(arguments)
        except SystemExit as exit:  # argparse
            status = exit.code
    results[name] = {"status": status, "stderr": stderr.getvalue(), "tensorflow": "tensorflow" in sys.modules}
print(json.dumps(results))
"""


@pytest.fixture(scope="module")
def bad_input_results(background):
    return background.result("bad input")


@pytest.mark.parametrize("name", sorted(BAD_INPUT))
@reads("bad input")
def test_bad_input_is_exit_2_a_plain_line_no_tensorflow_and_nothing_written(bad_input_results, name):
    _, arguments, start, holds = BAD_INPUT[name]
    result = bad_input_results[name]
    assert result["status"] == 2, result["stderr"]
    stderr = result["stderr"]
    assert stderr.startswith(start) and holds in stderr, stderr
    assert "Traceback" not in stderr
    if start != "usage: ":
        assert len(stderr.strip().splitlines()) == 1, stderr
    assert not result["tensorflow"], "TensorFlow did not start"
    assert result["unchanged"], "nothing new, nothing changed"


# --- what the command says -----------------------------------------------------------------------

def test_what_describe_summary_says_it_wrote_is_what_is_there(tmp_path):
    run_dir = tmp_path / "run"
    run = synthetic_run()
    rundir.write_run(run_dir, run)
    wrote = train.describe_summary(run.summary, run_dir).splitlines()[-1]
    assert wrote == f"  wrote {run_dir}/: config.yaml, history.csv, snapshots.npz, summary.json"
    (run_dir / "loss.png").write_bytes(b"\x89PNG")
    (run_dir / "notes.md").write_text("not the run's")
    wrote = train.describe_summary(run.summary, run_dir).splitlines()[-1]
    assert wrote == f"  wrote {run_dir}/: config.yaml, history.csv, snapshots.npz, summary.json, loss.png"
    assert wrote == f"  wrote {run_dir}/: " + ", ".join(rundir.files_present(run_dir))


def test_describe_summary_of_one_net_and_of_many_seeds(tmp_path):
    lines = train.describe_summary(synthetic_run().summary, tmp_path).splitlines()
    assert lines[:2] == ["synthetic: 300 epochs in 1.5 s (5.000 ms an epoch)",
                         "  final training MSE 0.0433, held-out MSE 0.0456 = 1.14 x the noise floor 0.0400"]
    summary = synthetic_run(nets=3, diverged_at=120).summary
    lines = train.describe_summary(summary, tmp_path).splitlines()
    assert lines[:3] == ["synthetic: 3 seeds x 120 epochs in 1.5 s (240 net-epochs a second)",
                         f"  median final training MSE {summary.loss:.4f}, held-out MSE not finite "
                         "(noise floor 0.0400)",
                         "  0% of the seeds end within 10% of the noise floor; 3 diverged (seeds 0, 1, 2)"]
    lines = train.describe_summary(synthetic_run(diverged_at=40).summary, tmp_path).splitlines()
    assert lines[1].startswith("  final training MSE ") and ", held-out MSE not finite" in lines[1]


# --- training in this process: a plain error from Keras, reruns, the seeds flag ------------------

@pytest.mark.parametrize("override, expected", [
    ("optimizer_options.momentum=0.9", "optimizer_options: adam takes no option 'momentum' (sgd and rmsprop do); "
                                       "its own are beta_1, beta_2, epsilon, amsgrad, besides"),
    ("optimizer_options.beta_1=1", "optimizer_options: beta_1 must be a number from 0 up to but not including 1 "
                                   "for adam, got 1.0"),
])
def test_an_optimizer_option_the_optimizer_does_not_take_is_a_plain_error(tmp_path, capsys, override, expected):
    """Checked before TensorFlow starts (in this process, train.py never imported it)."""
    status = train.main(["--config", EXPERIMENT, "--set", override, "--output-dir", str(tmp_path / "run"),
                         "--no-progress"])
    assert status == 2
    stderr = capsys.readouterr().err
    assert stderr.startswith(f"error: --set {override}: {expected}")
    assert "Traceback" not in stderr and len(stderr.strip().splitlines()) == 1
    assert list(tmp_path.iterdir()) == []


def test_sgd_momentum_is_checked_before_tensorflow_and_whole_numbers_are_taken():
    """momentum 1.5 names the value and its range, in a fresh process that never imports
    TensorFlow; momentum 0 and 1, written as whole numbers, are what Keras takes as 0.0 and 1.0."""
    check = ("import sys, train; status = train.main(['--config', 'experiments/sgd_1x60.yaml', '--set', "
             "'optimizer_options.momentum=1.5']); assert 'tensorflow' not in sys.modules; sys.exit(status)")
    result = subprocess.run([sys.executable, "-c", check], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2, result.stderr
    assert result.stderr == ("error: --set optimizer_options.momentum=1.5: optimizer_options: momentum must be a number "
                             "from 0 to 1 for sgd, got 1.5\n")
    import models

    for whole in (0, 1):
        config = config_module.load_config(ROOT / "experiments" / "sgd_1x60.yaml", [f"optimizer_options.momentum={whole}"])
        assert config.optimizer_options == {"momentum": float(whole)}
        models.build_optimizer(config.optimizer, config.learning_rate, **config.optimizer_options)  # Keras takes it


def test_a_rerun_replaces_the_old_run_as_a_whole(small_config, tmp_path):
    run_dir = earlier_run(tmp_path / "run")
    (run_dir / ".fit.gif.12345.partial").write_bytes(b"GIF89a, left by a killed process")
    outcome = pipeline.train_and_write(small_config.model_copy(update={"epochs": 20}), run_dir, progress=False,
                                    render=False, replace=True)
    assert outcome.run_dir == run_dir and not outcome.pictures_missing
    assert sorted(path.name for path in run_dir.iterdir()) == sorted(rundir.DATA_FILES)
    assert summary_of(run_dir)["epochs_completed"] == 20 and summary_of(run_dir)["name"] == "adam_2x10"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["run"]


def test_the_final_training_error_is_that_of_the_final_weights(small_config, tmp_path):
    """With one epoch, Keras's loss of epoch 1 is the untrained net's; the final figure is not."""
    outcome = pipeline.train_and_write(small_config.model_copy(update={"epochs": 1}), tmp_path / "run", progress=False,
                                    render=False)
    run = rundir.read_run(tmp_path / "run")
    untrained, final = run.frame_loss[0, 0], run.frame_loss[-1, 0]
    assert run.loss[0, 0] == pytest.approx(untrained, rel=1e-6)
    assert outcome.summary.loss == pytest.approx(final, rel=1e-6) and final != untrained
    assert f"final training MSE {final:.4f}" in train.describe_summary(outcome.summary, outcome.run_dir)


def test_the_seeds_flag_is_the_seeds_key(tmp_path, monkeypatch):
    captured = {}

    def fake_train_and_write(config, run_dir, **options):
        captured["config"], captured["run_dir"] = config, run_dir
        return pipeline.Outcome({"status": "completed"}, None)

    monkeypatch.setattr(train, "train_and_write", fake_train_and_write)
    monkeypatch.setattr(train, "status_line", lambda outcome, run_dir: None)
    train.main(["--config", EXPERIMENT, "--seeds", "7", "--output-dir", str(tmp_path / "run")])
    assert captured["config"].seeds == 7 and captured["config"].member_seeds == list(range(7))
    assert captured["config"] == config_module.load_config(EXPERIMENT, ["seeds=7", "name=adam_2x10_seeds7"])
    assert captured["run_dir"] == tmp_path / "run"
    train.main(["--config", EXPERIMENT, "--seeds", "4", "--set", "seeds=4"])  # the same number twice is fine
    assert captured["config"].seeds == 4 and captured["run_dir"] == Path("output/adam_2x10_seeds4")


@pytest.mark.parametrize("arguments, name", [
    (["--set", "epochs=2000", "--set", "learning_rate=0.05"], "adam_2x10_lr0.05_epochs2000"),
    (["--set", "learning_rate=5e-2", "--set", "epochs=2e3"], "adam_2x10_lr0.05_epochs2000"),  # any order, any spelling
    (["--seeds", "100"], "adam_2x10_seeds100"),
    (["--set", "render.fps=10", "--set", "epochs=20000"], "adam_2x10"),  # drawing, and the file's own value
    (["--set", "optimizer=sgd", "--set", "optimizer_options.momentum=0.9"], "adam_2x10_sgd_momentum0.9"),
    (["--set", "hidden_layers=[60]", "--set", "activation=tanh", "--set", "data_seed=3"],
     "adam_2x10_data_seed3_1x60_tanh"),
    (["--set", "epochs=2000", "--set", "name=mine"], "mine"),
    # What says again what holds anyway: the data seed the seed gives, an option at Keras's default.
    (["--set", "data_seed=0", "--set", "optimizer_options.amsgrad=false"], "adam_2x10"),
    (["--set", "target=x/2"], "adam_2x10_x-2-8efd"),  # a folder cannot hold '/': a digest keeps it apart
    (["--set", "target=x**2"], "adam_2x10_x-2-7e2e"),  # from x**2
])
def test_a_run_with_overrides_is_named_for_what_they_change(arguments, name):
    config = train.load_arguments_config(train.parse_arguments(["--config", EXPERIMENT, *arguments]))
    assert config.name == name


def test_a_name_too_long_ends_with_a_digest_of_the_settings():
    def name_of(*overrides):
        arguments = [word for text in overrides for word in ("--set", text)]
        return train.load_arguments_config(train.parse_arguments(["--config", EXPERIMENT, *arguments])).name

    long_target = "sin(x) + " * 12 + "x"
    name = name_of(f"target={long_target}", "epochs=10")
    assert len(name) <= config_module.MAX_NAME_LENGTH and name.startswith("adam_2x10_")
    assert name == name_of("epochs=10", f"target={long_target}"), "the same settings, the same folder"
    assert name != name_of(f"target={long_target}", "epochs=11")


def test_a_finished_run_of_other_settings_is_kept_unless_replace(small_config, tmp_path):
    """Refused before training, saying what differs; --replace replaces it; a run of the same
    settings replaces it without asking (it is a rerun)."""
    run_dir = tmp_path / "run"
    loops = training.new_loop_cache()  # one trace for the four runs below, as a study's worker keeps it
    pipeline.train_and_write(small_config, run_dir, progress=False, render=False, loops=loops)
    before = snapshot_tree(tmp_path)
    other = small_config.model_copy(update={"learning_rate": 0.02, "epochs": 30})
    with pytest.raises(ConfigError) as error:
        pipeline.train_and_write(other, run_dir, progress=False, render=False, loops=loops)
    assert str(error.value) == (f"{run_dir} holds a finished run of other settings (learning_rate 0.01 there, 0.02 here; "
                                "epochs 300 there, 30 here); keep both by giving this one a new name (--set name=... or "
                                "--output-dir), or replace it with --replace")
    assert snapshot_tree(tmp_path) == before
    pipeline.train_and_write(other, run_dir, progress=False, render=False, replace=True, loops=loops)
    assert summary_of(run_dir)["epochs_completed"] == 30
    again = pipeline.train_and_write(other.model_copy(update={"render": other.render.model_copy(update={"fps": 5.0})}),
                                  run_dir, progress=False, render=False, loops=loops)
    assert again.run_dir == run_dir and config_module.load_config(run_dir / "config.yaml").render.fps == 5.0


@pytest.mark.slow
def test_reuse_trains_only_what_is_not_there_as_the_file_says(tmp_path, capsys):
    """train.py --reuse (make compare): a completed run of these settings is used as it is; one of
    other settings is refused as without --reuse."""
    arguments = ["--config", EXPERIMENT, "--set", "epochs=40", "--set", "frames=5", "--set", "n_samples=40",
                 "--set", "record.curvature=none", "--output-dir", str(tmp_path / "run"), "--no-progress"]
    assert train.main(arguments + ["--reuse"]) == 0
    trained = snapshot_tree(tmp_path)
    capsys.readouterr()
    assert train.main(arguments + ["--reuse"]) == 0
    assert capsys.readouterr().out == f"{tmp_path / 'run'}: already holds a completed run of these settings; reusing it\n"
    assert snapshot_tree(tmp_path) == trained
    assert train.main(arguments + ["--reuse", "--set", "epochs=41"]) == 2
    assert "holds a finished run of other settings (epochs 40 there, 41 here)" in capsys.readouterr().err
    assert snapshot_tree(tmp_path) == trained
    # A run whose pictures a Ctrl-C left out gets them drawn; a run of several seeds is reused too.
    (tmp_path / "run" / "units.gif").unlink()
    assert train.main(arguments + ["--reuse"]) == 0
    assert "reusing it, and drawing what it lacks (units.gif)" in capsys.readouterr().out
    assert (tmp_path / "run" / "units.gif").is_file()
    seeded = ["--config", EXPERIMENT, "--seeds", "2", "--set", "epochs=40", "--set", "frames=5", "--set",
              "n_samples=40", "--set", "record.curvature=none", "--output-dir", str(tmp_path / "seeded"), "--no-progress",
              "--reuse"]
    assert train.main(seeded) == 0
    capsys.readouterr()
    assert train.main(seeded) == 0 and "reusing it" in capsys.readouterr().out


def test_a_ctrl_c_once_the_run_is_complete_changes_nothing(small_config, tmp_path, monkeypatch, capsys):
    """A Ctrl-C just after the last picture is drawn, or as the run is moved into place: the run
    is whole, the summary printed, exit 0, and a line says the Ctrl-C came too late to matter."""
    arguments = ["--config", EXPERIMENT, "--set", "epochs=40", "--set", "frames=5", "--set", "n_samples=40",
                 "--no-progress"]
    real_render, real_replace = rendering.render_run, outputs.replace_directory

    def render_then_press(*given, **options):
        written = real_render(*given, **options)
        signal.raise_signal(signal.SIGINT)
        return written

    def replace_then_press(*given, **options):
        real_replace(*given, **options)
        signal.raise_signal(signal.SIGINT)

    for name, target, pressing in (("drawn", rendering, ("render_run", render_then_press)),
                                   ("moved", outputs, ("replace_directory", replace_then_press))):
        with monkeypatch.context() as patch:
            patch.setattr(target, *pressing)
            status = train.main(arguments + ["--output-dir", str(tmp_path / name)])
        captured = capsys.readouterr()
        assert status == 0, captured.err
        assert captured.err.strip() == "the Ctrl-C came after the run was complete: nothing was left out"
        assert f"wrote {tmp_path / name}/" in captured.out
        assert sorted(path.name for path in (tmp_path / name).iterdir()) == sorted(
            ONE_NET_FILES)


def test_the_readme_example_of_prediction_snapshots_runs(tmp_path, monkeypatch):
    readme = (ROOT / "README.md").read_text()
    example = re.search(r"## PredictionSnapshots in your own Keras code.*?```python\n(.*?)```", readme, re.S).group(1)
    # As written, but 10 epochs instead of 100: model.fit spends about 0.1 s an epoch outside the step.
    assert example.count("100") == 3, "the example's three mentions of its 100 epochs"
    example = example.replace("100", "10")
    monkeypatch.chdir(tmp_path)
    exec(compile(example, "README.md", "exec"), {})
    run_dir = tmp_path / "output" / "my_run"
    run = rundir.read_run(run_dir)
    assert run.summary.epochs_completed == 10 and run.status == "completed" and run.name == "my_run"
    np.testing.assert_array_equal(run.frame_epochs, np.arange(11))
    assert run.predictions.shape == (11, 1, 200) and run.loss.shape == run.val_loss.shape == (10, 1)
    assert np.all(np.isfinite(run.loss)) and run.frame_loss[-1, 0] < run.frame_loss[0, 0]
    rendering.render_run(run_dir)
    assert (run_dir / "fit.gif").is_file() and (run_dir / "loss.png").is_file()


# --- Ctrl-C and files that appear, in this process ----------------------------------------------

def test_the_first_ctrl_c_asks_to_stop_and_the_second_abandons(capsys):
    handlers = signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)
    with pipeline.StopRequest() as stop:
        assert not stop()
        signal.raise_signal(signal.SIGINT)
        assert stop() and not stop.abandoned
        assert "stopping before the next chunk of epochs" in capsys.readouterr().err
        with pytest.raises(KeyboardInterrupt):
            signal.raise_signal(signal.SIGINT)
        assert stop.abandoned
    assert (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)) == handlers, "the handlers are put back"


def test_ctrl_c_after_training_leaves_the_pictures_out_and_is_only_noted_once_the_run_is_complete():
    with pipeline.StopRequest() as stop:
        stop.training_over()
        signal.raise_signal(signal.SIGINT)  # while the data are written: they are, and no picture is drawn
        assert stop() and not stop.abandoned
        with pytest.raises(KeyboardInterrupt):
            stop.drawing()
    with pipeline.StopRequest() as stop:
        stop.training_over()
        stop.drawing()
        with pytest.raises(KeyboardInterrupt):  # while drawing: stop drawing at once
            signal.raise_signal(signal.SIGINT)
        assert not stop.abandoned and not stop.late
        stop.committing()
        signal.raise_signal(signal.SIGINT)  # the run is complete: noted, nothing else
        assert not stop.abandoned and stop.late
    with pipeline.StopRequest() as stop:
        with pytest.raises(SystemExit) as exit:
            signal.raise_signal(signal.SIGTERM)
        assert exit.value.code == 143 and stop.abandoned


def test_a_stop_request_ends_training_with_the_run_so_far(small_config, tmp_path):
    config = small_config.model_copy(update={"epochs": 100_000})
    outcome = pipeline.train_and_write(config, tmp_path / "run", progress=False, render=False, stop=StopAfterChunks(1))
    summary = outcome.summary
    assert outcome.run_dir == tmp_path / "run"
    assert summary.status == "interrupted" and 0 < summary.epochs_completed < 100_000
    assert summary.epochs_requested == 100_000
    run = rundir.read_run(tmp_path / "run")
    assert run.frame_epochs[-1] == summary.epochs_completed == run.epochs_completed
    assert train.status_line(outcome, tmp_path / "run") == (
        f"interrupted at epoch {summary.epochs_completed:,} of 100,000; the run so far is in {tmp_path / 'run'}/")


def test_an_interrupted_run_goes_beside_a_finished_one_until_a_finished_run_replaces_both(small_config, tmp_path):
    run_dir = earlier_run(tmp_path / "run")
    finished = snapshot_tree(run_dir)
    long_config = small_config.model_copy(update={"epochs": 100_000})

    outcome = pipeline.train_and_write(long_config, run_dir, progress=False, render=False, stop=StopAfterChunks(1),
                                    replace=True)
    beside = tmp_path / "run.interrupted"
    assert outcome.run_dir == beside and outcome.summary.status == "interrupted"
    assert snapshot_tree(run_dir) == finished
    assert summary_of(beside)["status"] == "interrupted"
    assert train.status_line(outcome, run_dir) == (
        f"interrupted at epoch {outcome.summary.epochs_completed:,} of 100,000; the run so far is in {beside}/ "
        f"({run_dir}/ holds a finished run, left as it was)")

    # A second interruption replaces the first one beside it, never the finished run.
    second = pipeline.train_and_write(long_config, run_dir, progress=False, render=False, stop=StopAfterChunks(2),
                                   replace=True)
    assert second.run_dir == beside and summary_of(beside)["epochs_completed"] == second.summary.epochs_completed
    assert second.summary.epochs_completed > outcome.summary.epochs_completed
    assert snapshot_tree(run_dir) == finished
    assert sorted(path.name for path in tmp_path.iterdir()) == ["run", "run.interrupted"]

    # A finished run of that name replaces the finished one and removes the interrupted one.
    outcome = pipeline.train_and_write(small_config.model_copy(update={"epochs": 20}), run_dir, progress=False,
                                    render=False, replace=True)
    assert outcome.run_dir == run_dir and summary_of(run_dir)["epochs_completed"] == 20
    assert sorted(path.name for path in tmp_path.iterdir()) == ["run"]


def test_an_interrupted_run_replaces_only_an_interrupted_one(small_config, tmp_path):
    run_dir = earlier_run(tmp_path / "run", status="interrupted")
    long_config = small_config.model_copy(update={"epochs": 100_000})
    outcome = pipeline.train_and_write(long_config, run_dir, progress=False, render=False, stop=StopAfterChunks(1))
    assert outcome.run_dir == run_dir  # nothing finished was there: the run goes where it was asked to
    assert summary_of(run_dir)["epochs_requested"] == 100_000
    assert sorted(path.name for path in run_dir.iterdir()) == sorted(rundir.DATA_FILES)
    assert sorted(path.name for path in tmp_path.iterdir()) == ["run"]


def test_a_stop_before_the_first_epoch_writes_nothing(small_config, tmp_path):
    run_dir = earlier_run(tmp_path / "run")
    before = snapshot_tree(tmp_path)
    outcome = pipeline.train_and_write(small_config, run_dir, progress=False, stop=StopAfterChunks(0), replace=True)
    assert outcome.run_dir is None and outcome.summary.epochs_completed == 0
    assert snapshot_tree(tmp_path) == before
    assert train.status_line(outcome, run_dir) == (
        f"interrupted before training began: nothing was written; {run_dir} is as it was")
    outcome = pipeline.train_and_write(small_config, tmp_path / "new", progress=False, stop=StopAfterChunks(0))
    assert outcome.run_dir is None and not (tmp_path / "new").exists()
    assert train.status_line(outcome, tmp_path / "new") == "interrupted before training began: nothing was written"


def test_a_finished_run_named_like_an_interrupted_one_is_not_removed(small_config, tmp_path):
    named = earlier_run(tmp_path / "zed.interrupted")
    before = snapshot_tree(named)
    pipeline.train_and_write(small_config.model_copy(update={"name": "zed", "epochs": 20}), tmp_path / "zed",
                          progress=False, render=False)
    assert snapshot_tree(named) == before
    # And an interrupted run with nowhere to go (both names hold finished runs) writes nothing.
    earlier_run(tmp_path / "zed")
    before = snapshot_tree(tmp_path)
    outcome = pipeline.train_and_write(small_config.model_copy(update={"name": "zed", "epochs": 100_000}),
                                    tmp_path / "zed", progress=False, render=False, stop=StopAfterChunks(1),
                                    replace=True)
    assert outcome.run_dir is None and snapshot_tree(tmp_path) == before
    assert train.status_line(outcome, tmp_path / "zed").endswith(
        f"nothing was written, since {tmp_path / 'zed'} and {tmp_path / 'zed.interrupted'} both hold finished runs")


def test_a_file_saved_into_the_destination_during_training_is_kept(small_config, tmp_path):
    run_dir = earlier_run(tmp_path / "run")
    note = run_dir / "notes.md"
    changed = r"gained notes.md while this ran.*the new run is in .*run.new$"
    with pytest.raises(outputs.DestinationChanged, match=changed):
        pipeline.train_and_write(small_config.model_copy(update={"epochs": 50}), run_dir, progress=False, render=False,
                              stop=NoteSavedWhileTraining(note), replace=True)
    assert note.read_text() == "written while the run trained"
    assert summary_of(run_dir)["epochs_completed"] == 300  # the earlier run, as it was
    assert summary_of(tmp_path / "run.new")["epochs_completed"] == 50
    assert sorted(path.name for path in tmp_path.iterdir()) == ["run", "run.new"]


def test_an_interruption_while_writing_leaves_the_old_run_intact(small_config, tmp_path, monkeypatch):
    run_dir = earlier_run(tmp_path / "run")
    before = snapshot_tree(tmp_path)

    def interrupted(*arguments, **options):
        raise KeyboardInterrupt

    monkeypatch.setattr(rendering, "draw_run", interrupted)
    with pytest.raises(KeyboardInterrupt):
        pipeline.train_and_write(small_config.model_copy(update={"epochs": 50}), run_dir, progress=False, replace=True)
    assert snapshot_tree(tmp_path) == before, "the old run as it was, no partial folders left behind"
    monkeypatch.setattr(rundir, "write_run", interrupted)
    with pytest.raises(KeyboardInterrupt):
        pipeline.train_and_write(small_config.model_copy(update={"epochs": 50}), run_dir, progress=False, replace=True)
    assert snapshot_tree(tmp_path) == before


def test_a_second_ctrl_c_abandons_even_while_drawing(small_config, tmp_path, monkeypatch):
    monkeypatch.setattr(rendering, "draw_run", lambda *arguments: signal.raise_signal(signal.SIGINT))
    with StopAfterChunks(1) as stop:  # the first press stops training; the second comes while drawing
        with pytest.raises(KeyboardInterrupt):
            pipeline.train_and_write(small_config.model_copy(update={"epochs": 100_000}), tmp_path / "run",
                                  progress=False, stop=stop)
    assert stop.abandoned and list(tmp_path.iterdir()) == []

    # A single press while drawing (after a training that finished) only leaves the pictures out.
    with pipeline.StopRequest() as stop:
        outcome = pipeline.train_and_write(small_config, tmp_path / "run", progress=False, stop=stop)
    assert outcome.pictures_missing and not stop.abandoned
    assert sorted(path.name for path in (tmp_path / "run").iterdir()) == sorted(rundir.DATA_FILES)
    assert train.status_line(outcome, tmp_path / "run") == (
        f"interrupted while drawing: the run's data are complete in {tmp_path / 'run'}/ but its pictures are not; "
        f"draw them with: python animate.py {tmp_path / 'run'}")


def test_a_picture_that_fails_to_draw_costs_the_run_nothing(tmp_path, monkeypatch, capsys):
    """A bug in the drawing code: the run's data land all the same, with the pictures drawn before
    it, and the error says so (exit status 1: ours, not the user's mistake)."""
    def broken(run, path):
        raise ValueError("a drawing bug")

    monkeypatch.setattr(rendering, "draw_residuals_png", broken)
    run_dir = tmp_path / "run"
    status = train.main(["--config", EXPERIMENT, "--set", "epochs=50", "--set", "frames=10", "--set", "n_samples=64",
                         "--no-progress", "--output-dir", str(run_dir)])
    assert status == 1
    assert sorted(path.name for path in run_dir.iterdir()) == sorted(
        rundir.DATA_FILES + ("fit.gif", "loss.png", "units.gif"))
    assert rundir.read_run(run_dir).epochs_completed == 50
    assert capsys.readouterr().err.strip() == (
        f"error: the run's data are complete in {run_dir}/ but its pictures could not all be drawn "
        f"(ValueError: a drawing bug); please report it, and try: python animate.py {run_dir}")


def test_every_picture_is_written_under_a_temporary_name_first(synthetic_run_dir, monkeypatch):
    run_dir = synthetic_run_dir(draw=True, frames=10)
    good = {name: (run_dir / name).read_bytes() for name in rundir.ONE_NET_PICTURES}
    seen = []

    def broken_png(run, path):
        seen.append(Path(path).name)
        Path(path).write_bytes(b"half a picture")
        raise KeyboardInterrupt

    monkeypatch.setattr(rendering, "draw_loss_png", broken_png)
    with pytest.raises(KeyboardInterrupt):
        rendering.render_run(run_dir)
    assert seen and seen[0].startswith(".loss.png.") and seen[0].endswith(".partial")
    assert not any(path.name.startswith(".") for path in run_dir.iterdir()), "no half-written file is left"
    assert (run_dir / "loss.png").read_bytes() == good["loss.png"], "the earlier picture, whole"
    assert (run_dir / "fit.gif").read_bytes()[:6] == b"GIF89a"


# --- the command and the run directory it writes (last, so that the commands have had time to run) --

@pytest.fixture
def cli_run(background):
    """train.py with CLI_ARGUMENTS: the first of the two runs into one folder at once, which knew
    nothing of the other (its folder was empty when it landed)."""
    folder, results = background.result("two at once")
    finished = [result for result in results if result.returncode == 0]
    assert finished, [result.stderr for result in results]
    return folder / "run", finished[0]


@reads("two at once")
def test_run_directory_holds_every_file(cli_run):
    run_dir, result = cli_run
    assert result.returncode == 0, result.stderr
    assert sorted(path.name for path in run_dir.iterdir()) == sorted(ONE_NET_FILES)
    assert not list(run_dir.parent.glob(".*")), "no temporary files are left behind"
    assert (run_dir / "fit.gif").read_bytes()[:6] == b"GIF89a"
    assert (run_dir / "loss.png").read_bytes()[:4] == b"\x89PNG"
    assert (run_dir / "units.gif").read_bytes()[:6] == b"GIF89a"
    assert (run_dir / "residuals.png").read_bytes()[:4] == b"\x89PNG"
    lines = result.stdout.splitlines()
    assert lines[0].startswith(f"{CLI_NAME}: 400 epochs in ") and " ms an epoch)" in lines[0]
    assert re.fullmatch(r"  final training MSE \d\.\d{4}, held-out MSE \d\.\d{4} = \d+\.\d\d x the noise floor 0\.0400",
                        lines[1]), lines[1]
    assert lines[2] == (f"  wrote {run_dir}/: config.yaml, history.csv, snapshots.npz, summary.json, fit.gif, loss.png, "
                        "units.gif, residuals.png, curvature.npz, curvature.png, landscape.gif, report.html")
    assert len(lines) == 3


@reads("two at once", "seeds")
def test_tensorflow_start_up_lines_do_not_reach_the_terminal(cli_run, background):
    _, result = cli_run
    assert "cuda" not in result.stderr.lower()
    assert "absl" not in result.stderr and "oneDNN" not in result.stderr
    assert result.stderr == ""
    _, result = background.result("seeds")  # nor XLA's, when a stack of nets is compiled
    assert result.stderr == ""


@reads("two at once")
def test_history_and_summary(cli_run):
    run_dir, _ = cli_run
    history = np.genfromtxt(run_dir / "history.csv", delimiter=",", names=True)
    assert history.dtype.names == ("epoch", "loss", "val_loss", "grad_norm")
    assert len(history) == 400 and history["epoch"][0] == 1 and history["epoch"][-1] == 400
    summary = summary_of(run_dir)
    assert summary["format"] == rundir.FORMAT and summary["name"] == CLI_NAME
    assert summary["status"] == "completed" and summary["epochs_completed"] == summary["epochs_requested"] == 400
    assert summary["seeds"] == 1 and summary["trained"] == "2x10 sigmoid · adam lr 0.01"
    assert summary["true_function"] == "sin(x)"
    with np.load(run_dir / "snapshots.npz") as snapshots:
        # The final figures are those of the final weights, which the last frame shows; the
        # history's last training loss (Keras's convention) is that of the weights before.
        assert snapshots["frame_epochs"][-1] == 400
        assert summary["loss"] == pytest.approx(float(snapshots["frame.loss"][-1, 0]), rel=1e-6)
        assert summary["loss"] < history["loss"][-1]
        assert summary["min_loss"] == pytest.approx(float(min(snapshots["epoch.loss"].min(),
                                                              snapshots["frame.loss"][-1, 0])), rel=1e-6)
    assert summary["val_loss"] == pytest.approx(history["val_loss"][-1], rel=1e-6)
    assert summary["noise_floor"] == 0.04
    assert summary["val_loss_over_noise_floor"] == pytest.approx(summary["val_loss"] / 0.04)
    assert summary["share_at_noise_floor"] == (1.0 if summary["val_loss"] <= 1.1 * 0.04 else 0.0)
    assert summary["parameters"] == {"keras": 141, "weights_only": 120}
    assert summary["frames"] == 60
    assert summary["train_seconds"] > 0
    assert summary["diverged_seeds"] == [] and "diverged_at_epoch" not in summary
    assert summary["nets"] == [{"seed": 0, "loss": summary["loss"], "val_loss": summary["val_loss"],
                                "diverged_at_epoch": None}]


@reads("two at once")
def test_snapshots_and_resolved_config(cli_run):
    run_dir, _ = cli_run
    with np.load(run_dir / "snapshots.npz") as snapshots:
        frames = len(snapshots["frame_epochs"])
        assert snapshots["frame_epochs"][0] == 0 and snapshots["frame_epochs"][-1] == 400 and frames == 60
        assert snapshots["frame.prediction"].shape == (frames, 1, 200) == (frames, 1, len(snapshots["x_grid"]))
        assert snapshots["frame.loss"].shape == (frames, 1)
        assert snapshots["epoch.loss"].shape == snapshots["epoch.val_loss"].shape == (400, 1)
        assert snapshots["x_train"].shape == snapshots["y_train"].shape == (200,)
        np.testing.assert_allclose(snapshots["y_grid_true"], np.sin(snapshots["x_grid"]), atol=1e-6)
        np.testing.assert_array_equal(snapshots["seeds"], [0])
    resolved = yaml.safe_load((run_dir / "config.yaml").read_text())
    assert resolved["epochs"] == 400 and resolved["frames"] == 60 and resolved["name"] == CLI_NAME
    assert resolved["hidden_layers"] == [10, 10] and resolved["render"]["fps"] == 20.0 and resolved["seeds"] == 1
    config_module.validate(resolved)  # what was written is itself a valid config
    run = rundir.read_run(run_dir)
    assert run.config == config_module.load_config(EXPERIMENT, ["epochs=400", "frames=60", f"name={CLI_NAME}"])


@reads("two at once")
def test_two_processes_with_the_same_config_and_seed_write_bit_identical_arrays(cli_run, tmp_path):
    """train.py's process and this one, which has trained other nets before: the same bits."""
    first, _ = cli_run
    config = config_module.load_config(EXPERIMENT, ["epochs=400", "frames=60"])
    second = pipeline.train_and_write(config, tmp_path / "again", progress=False, render=False).run_dir
    with np.load(first / "snapshots.npz") as one, np.load(second / "snapshots.npz") as other:
        assert sorted(one.files) == sorted(other.files)
        for key in one.files:
            assert one[key].dtype == other[key].dtype, key
            np.testing.assert_array_equal(one[key], other[key], err_msg=key)
    assert (first / "history.csv").read_bytes() == (second / "history.csv").read_bytes()


@reads("seeds")
def test_a_seeded_run_directory(background):
    run_dir, result = background.result("seeds")
    assert result.returncode == 0, result.stderr
    assert sorted(path.name for path in run_dir.iterdir()) == sorted(SEEDS_FILES)
    summary = summary_of(run_dir)
    assert summary["seeds"] == 3 and [net["seed"] for net in summary["nets"]] == [5, 6, 7]
    at_floor = [net["val_loss"] <= 1.1 * summary["noise_floor"] for net in summary["nets"]]
    assert summary["share_at_noise_floor"] == round(sum(at_floor) / 3, 4)
    assert summary["parameters"] == {"keras": 141, "weights_only": 120} and summary["diverged_seeds"] == []
    run = rundir.read_run(run_dir)
    overrides = [argument for argument in SEEDS_ARGUMENTS if "=" in argument] + ["seeds=3", f"name={SEEDS_NAME}"]
    assert run.config == config_module.load_config(EXPERIMENT, overrides)
    assert run.predictions.shape == (len(run.frame_epochs), 3, 50)
    assert run.loss.shape == run.val_loss.shape == (300, 3)
    np.testing.assert_array_equal(run.seeds, [5, 6, 7])
    assert summary["loss"] == pytest.approx(float(np.median(run.frame_loss[-1])), rel=1e-6)
    assert [net["val_loss"] for net in summary["nets"]] == pytest.approx(run.val_loss[-1].tolist(), rel=1e-6)
    assert (run_dir / "history.csv").read_text().splitlines()[0] == "epoch,loss,val_loss,grad_norm"
    from PIL import Image

    with Image.open(run_dir / "seeds.gif") as gif:
        assert gif.n_frames == len(run.frame_epochs)
    lines = result.stdout.splitlines()
    assert lines[0].startswith(f"{SEEDS_NAME}: 3 seeds x 300 epochs in ") and lines[0].endswith(" net-epochs a second)")
    assert lines[1].startswith("  median final training MSE ") and lines[1].endswith(" (noise floor 0.0400)")
    assert lines[2] == f"  {100 * summary['share_at_noise_floor']:.0f}% of the seeds end within 10% of the noise floor"
    assert lines[3] == (f"  wrote {run_dir}/: config.yaml, history.csv, snapshots.npz, summary.json, seeds.gif, "
                        "seeds.png, units.gif, residuals.png, curvature.npz, curvature.png, landscape.gif, report.html")


# --- divergence -----------------------------------------------------------------------------------

@pytest.fixture
def diverged_run(background):
    return background.result("diverging example")


@reads("diverging example")
def test_the_diverging_example_exits_0_with_a_one_line_warning(diverged_run):
    run_dir, result = diverged_run
    assert result.returncode == 0, result.stderr
    warnings = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(warnings) == 1, result.stderr
    diverged = summary_of(run_dir)["diverged_at_epoch"]
    assert warnings[0] == (f"warning: sgd_2x10_diverging diverged at epoch {diverged} (the training loss stopped being "
                           f"a finite number); the run up to there is in {run_dir}/; a smaller learning_rate usually "
                           "helps")
    assert "held-out MSE not finite" in result.stdout or "final training MSE not finite" in result.stdout


@reads("diverging example")
def test_a_diverged_run_is_written_up_to_the_blow_up(diverged_run):
    run_dir, _ = diverged_run
    config = config_module.load_config(ROOT / "experiments" / "sgd_2x10_diverging.yaml")
    written = json.loads((run_dir / "summary.json").read_text(),
                         parse_constant=lambda name: pytest.fail(f"summary.json holds {name}"))
    diverged = written["diverged_at_epoch"]
    assert written["status"] == "diverged" and 1 < diverged < config.epochs
    assert written["epochs_completed"] == diverged and written["loss"] is None
    assert written["diverged_seeds"] == [0] and written["nets"][0]["diverged_at_epoch"] == diverged
    run = rundir.read_run(run_dir)
    assert run.diverged_at_epoch == diverged
    loss = run.loss[:, 0]
    assert len(loss) == diverged and not np.isfinite(loss[-1]) and np.all(np.isfinite(loss[:-1]))
    assert run.frame_epochs[-1] == diverged - 1  # the last frame: the weights that blew up
    history = (run_dir / "history.csv").read_text().splitlines()
    assert len(history) == diverged + 1 and history[-1].startswith(f"{diverged},")
    assert sorted(path.name for path in run_dir.iterdir()) == sorted(ONE_NET_FILES)


# --- Ctrl-C to the command ------------------------------------------------------------------------

@reads("ctrl-c training")
@pytest.mark.slow
def test_ctrl_c_stops_writes_the_run_so_far_and_exits_130(background):
    run_dir, result = background.result("ctrl-c training")
    assert result.returncode == 130, result.stderr
    assert "stopping before the next chunk of epochs" in result.stderr and "Traceback" not in result.stderr
    summary = summary_of(run_dir)
    assert summary["status"] == "interrupted" and 0 < summary["epochs_completed"] < 5_000_000
    assert (f"interrupted at epoch {summary['epochs_completed']:,} of 5,000,000; the run so far is in {run_dir}/"
            in result.stderr)
    run = rundir.read_run(run_dir)
    assert run.epochs_completed == summary["epochs_completed"]
    assert run.frame_epochs[-1] == summary["epochs_completed"]  # the last frame is where it stopped
    assert sorted(path.name for path in run_dir.iterdir()) == sorted(ONE_NET_FILES)
    assert result.stdout.splitlines()[-1] == f"  wrote {run_dir}/: " + ", ".join(rundir.files_present(run_dir))


@reads("ctrl-c at start")
def test_ctrl_c_while_tensorflow_starts_stops_before_training_and_keeps_the_finished_run(background):
    result, before, after = background.result("ctrl-c at start")
    assert result.returncode == 130, result.stderr
    assert "interrupted before training began: nothing was written; output/adam_2x10 is as it was" in result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""
    assert after == before


@reads("ctrl-c drawing")
def test_ctrl_c_while_drawing_writes_the_data_and_says_how_to_draw(background):
    folder, result = background.result("ctrl-c drawing")
    run_dir = folder / "run"
    assert result.returncode == 130, result.stderr
    assert (f"interrupted while drawing: the run's data are complete in {run_dir}/ but its pictures are not; "
            f"draw them with: python animate.py {run_dir}") in result.stderr
    assert "Traceback" not in result.stderr
    summary = summary_of(run_dir)
    assert summary["status"] == "completed" and summary["epochs_completed"] == 1000
    assert rundir.read_run(run_dir).epochs_completed == 1000, "the data are complete and readable"
    assert not (run_dir / "fit.gif").exists()
    assert not [path for path in folder.rglob(".*")], "no temporary files are left behind"
    assert result.stdout.splitlines()[-1] == f"  wrote {run_dir}/: " + ", ".join(rundir.files_present(run_dir))


# --- a run on the user's own points -------------------------------------------------------------

@reads("csv run")
def test_a_run_on_a_csv_says_its_noise_floor_is_unknown_and_can_be_redrawn_and_trained_again(background, tmp_path):
    folder, result = background.result("csv run")
    run_dir = folder / "run"
    assert result.returncode == 0, result.stderr
    assert "held-out MSE" in result.stdout and "(noise floor unknown)" in result.stdout
    summary = summary_of(run_dir)
    assert summary["noise_floor"] is None and summary["noise_floor_note"].startswith("noise floor unknown")
    assert summary["true_function"] is None and summary["val_loss_over_noise_floor"] is None
    assert summary["trained"] == "2x10 sigmoid · adam lr 0.01 · on points.csv"
    assert summary["data_file"] == str((folder / "points.csv").resolve()) and summary["axis_names"] == ["time_s", "height_m"]
    assert summary["data_sha256"] == hashlib.sha256((folder / "points.csv").read_bytes()).hexdigest()
    assert summary["standardization"]["y_shift"] > 50, "the heights, in metres, were standardized for training"
    with np.load(run_dir / "snapshots.npz") as snapshots:
        assert "y_grid_true" not in snapshots.files
        assert len(snapshots["x_train"]) == 45, "60 points, a quarter held out"
        assert snapshots["x_grid"][0] == 0 and snapshots["x_grid"][-1] == 2.95, "the points as the file has them"
        # The prediction is in metres: the data's level, not the standardized 0.
        assert abs(np.median(snapshots["frame.prediction"][-1]) - np.median(snapshots["y_train"])) < 30
    resolved = yaml.safe_load((run_dir / "config.yaml").read_text())
    assert not set(config_module.GENERATED_DATA_KEYS) & set(resolved)
    assert resolved["data_file"] == summary["data_file"] and resolved["validation_fraction"] == 0.25
    assert sorted(path.name for path in run_dir.iterdir()) == sorted(ONE_NET_FILES)
    # Redrawn from the run alone, and trained again from its config.yaml in another folder: the same bits.
    assert animate.main([str(run_dir)]) == 0
    config = config_module.load_config(run_dir / "config.yaml")
    again = pipeline.train_and_write(config, tmp_path / "again", progress=False, render=False).run_dir
    with np.load(run_dir / "snapshots.npz") as one, np.load(again / "snapshots.npz") as other:
        for key in one.files:
            np.testing.assert_array_equal(one[key], other[key], err_msg=key)
    assert resolved["data_sha256"] == summary["data_sha256"]
    # The file changed since: training the run again is refused, not quietly made on other points.
    (folder / "points.csv").write_text(POINTS_CSV + "3.1,50\n")
    with pytest.raises(config_module.ConfigError, match="its contents have changed since the run was made"):
        pipeline.train_and_write(config, tmp_path / "changed", progress=False, render=False)
    assert not (tmp_path / "changed").exists()


@reads("kill -9")
def test_what_a_killed_run_left_is_removed_by_the_next_run_into_its_folder(background, small_config, capsys):
    """kill -9 while drawing leaves '.run.partial-HOST-PID-…' beside the destination; the next run
    there removes it and says so, and leaves alone one whose writer is alive, or on another host."""
    folder, pid = background.result("kill -9")
    left = [entry for entry in folder.iterdir() if entry.name.startswith(".run.partial-")]
    assert len(left) == 1 and f"-{pid}-" in left[0].name and not (folder / "run").exists()
    host = left[0].name.split("-")[1]
    alive = folder / f".run.partial-{host}-{os.getpid()}-alive123"
    elsewhere = folder / f".run.partial-0000beef-{pid}-other123"
    for kept in (alive, elsewhere):
        kept.mkdir()
        (kept / "config.yaml").write_text("epochs: 3\n")
    capsys.readouterr()
    pipeline.train_and_write(small_config, folder / "run", progress=False, render=False)
    assert capsys.readouterr().err == (f"removed {folder / left[0].name} (process {pid}): what a run killed before it "
                                       "finished had left\n")
    assert sorted(entry.name for entry in folder.iterdir()) == sorted([alive.name, elsewhere.name, "run"])


@reads("two at once")
def test_of_two_runs_into_one_folder_at_once_the_second_goes_beside_the_first(background):
    folder, results = background.result("two at once")
    assert sorted(result.returncode for result in results) == [0, 2], [result.stderr for result in results]
    second = next(result for result in results if result.returncode == 2)
    assert second.stderr.strip() == (f"error: {folder / 'run'} was written by another run while this one ran, so it "
                                     f"was left as it is; this run is in {folder / 'run.new'}")
    assert sorted(entry.name for entry in folder.iterdir()) == ["run", "run.new"]
    for run_dir in (folder / "run", folder / "run.new"):
        assert rundir.read_run(run_dir).status == "completed"


@reads("late ctrl-c")
def test_ctrl_c_once_the_run_is_written_changes_nothing_however_many(background):
    """Ctrl-C every 50 ms from the line saying what was written until the process ends (Python's
    shutdown takes most of a second): exit 0, no traceback, the run whole."""
    folder, result = background.result("late ctrl-c")
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr and "KeyboardInterrupt" not in result.stderr
    assert rundir.read_run(folder / "run").status == "completed"
    assert sorted(path.name for path in (folder / "run").iterdir()) == sorted(ONE_NET_FILES)
