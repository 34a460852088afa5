"""The cells of a study, and training them: here, or as tasks on a Ray cluster.

A study's cells are its listed experiments and every combination of its grid's values applied to
its base experiment; each cell is one seeded run in its own folder under the study's runs/, named
from its settings ('1x60_sgd_lr0.003'). A cell already on disk is reused when everything that
shapes its numbers matches (reusable): its training settings, the data (a CSV by the hash of its
contents) and the run format; when only its drawing settings differ it is redrawn, not trained.

Training here runs train.train_and_write for two cells at a time, each in a worker process of its
own (one cell's drawing overlaps the other's training); the workers never outlive the study, however
it ends (CellWorker, stop_workers). On Ray, each cell is a task: it carries its config and its data
(a CSV's contents, not its path: the workers share no disk), trains on a worker, and returns its
run's files to this process, which writes them; a task that fails is retried once.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import multiprocessing
import multiprocessing.connection
import os
import signal
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

import config as config_module
import naming
import outputs
import rundir
from config import ConfigError, ExperimentConfig

# The cells' folder in a study's folder.
RUNS = "runs"
# Keys a grid may not vary: they name, seed or draw a cell rather than shape how it trains.
NOT_IN_GRID = {"name", "seeds", "render"}
MAX_CELLS = 1000


@dataclass(frozen=True)
class Cell:
    """One seeded run of a study: its folder's name, its config, and the grid's values it has
    (empty for a listed experiment)."""

    name: str
    config: ExperimentConfig
    settings: dict[str, Any] = field(default_factory=dict)


def cell_name(settings: dict[str, Any]) -> str:
    """A cell's folder name from its grid values, in the grid's order: '1x60_sgd_lr0.003'
    (naming.folder_name)."""
    return naming.folder_name(None, settings)


def grid_overrides(settings: dict[str, Any]) -> list[str]:
    """The grid's values of a cell as --set overrides ('learning_rate=0.003'), read back as YAML.
    An optimizer given with its options ({optimizer: sgd, optimizer_options: {momentum: 0.9}})
    sets both, its options replacing the base experiment's."""
    overrides = []
    for key, value in settings.items():
        if naming.is_optimizer_choice(key, value):
            overrides += [f"optimizer={json.dumps(value.get('optimizer'))}",
                          f"optimizer_options={json.dumps(value.get('optimizer_options') or {})}"]
        else:
            overrides.append(f"{key}={json.dumps(value)}")
    return overrides


def check_optimizer_choices(study_path: Path, grid: dict[str, list[Any]]) -> None:
    """A grid value of optimizer that is a mapping names an optimizer and, optionally, its options."""
    choices = [value for value in grid.get("optimizer", []) if isinstance(value, dict)]
    for value in choices:
        unknown = sorted(set(value) - {"optimizer", "optimizer_options"})
        if unknown or not isinstance(value.get("optimizer"), str) or not isinstance(value.get("optimizer_options", {}), dict):
            raise ConfigError(f"{study_path}: grid: optimizer: {json.dumps(value)} is not an optimizer with its options; "
                              "write {optimizer: sgd, optimizer_options: {momentum: 0.9}}")
    if choices and any(key.split(".")[0] == "optimizer_options" for key in grid):
        raise ConfigError(f"{study_path}: grid: optimizer gives optimizers with their own options, and the grid varies "
                          "optimizer_options too; give the options in one place")


def grid_cells(study_path: Path, base: str, grid: dict[str, list[Any]], overrides: list[str]) -> list[Cell]:
    """Every combination of the grid's values applied to the base experiment (beside the study
    file), in the grid's order, the last key varying fastest; overrides (the study's seeds, then
    --set) come last and win."""
    for key, values in grid.items():
        if key.split(".")[0] in NOT_IN_GRID:
            raise ConfigError(f"{study_path}: grid: {key!r} cannot be varied (a study names, seeds and draws "
                              "its cells itself); vary a training setting such as learning_rate")
        if len({json.dumps(value, sort_keys=True) for value in values}) != len(values):
            raise ConfigError(f"{study_path}: grid: {key} lists a value twice; give each value once")
    check_optimizer_choices(study_path, grid)
    count = 1
    for values in grid.values():
        count *= len(values)
    if count > MAX_CELLS:
        raise ConfigError(f"{study_path}: grid: {count:,} cells; a study holds at most {MAX_CELLS:,}")
    cells = []
    for combination in itertools.product(*grid.values()):
        settings = dict(zip(grid, combination))
        # A data_file in the grid is found beside the study file, as one in an experiment file is.
        given = {key: config_module._beside(study_path, value) if key == "data_file" and isinstance(value, str) else value
                 for key, value in settings.items()}
        # A mistake is blamed on the grid's value as written (an optimizer's mapping, not the overrides it makes).
        labels = {text: f"{study_path}: grid: {key}={json.dumps(value)}"
                  for key, value in given.items() for text in grid_overrides({key: value})}
        config = config_module.load_config(study_path.parent / base, grid_overrides(given) + overrides, labels)
        name = cell_name(settings)
        cells.append(Cell(name, config.model_copy(update={"name": name}), settings))
    return cells


# --- which cells are on disk -------------------------------------------------------------------

def reusable(cell_dir: Path, config: ExperimentConfig) -> str | None:
    """'reuse' if cell_dir holds a finished run (completed or diverged, in this run format)
    trained with exactly these training settings and drawn with these render settings;
    'redraw' if only the drawing differs (or a picture is missing); None: train it."""
    if not rundir.holds_finished_run(cell_dir):
        return None
    try:
        run = rundir.read_run(cell_dir)
    except (rundir.RunError, ConfigError):
        return None
    if not rundir.same_training(run.config, config):
        return None
    if run.nets > 1 and run.summary.get("stack_parts") != min(run.nets, config_module.STACK_PARTS):
        return None  # split otherwise (an older version split by the machine's cores): other last digits
    pictures = all((cell_dir / name).is_file() for name in rundir.picture_names(run))
    return "reuse" if pictures and run.config.render == config.render else "redraw"


def redraw(cell_dir: Path, config: ExperimentConfig) -> None:
    """Draw a reused cell again with the render settings of config, and record them in its config.yaml."""
    import animate

    render = config.render.model_dump(mode="json")
    run = rundir.read_run(cell_dir, [f"render.{key}={json.dumps(value)}" for key, value in render.items()])
    animate.draw_run(run, cell_dir)
    rundir.write_config(cell_dir, run.config)


# --- training the others -----------------------------------------------------------------------

@dataclass
class CellResult:
    """How a cell's training ended: its summary once written, or why it failed."""

    cell: Cell
    summary: dict | None = None
    error: str | None = None


# Cells trained at once on this machine, each in a process of its own: one cell's drawing (one
# core) and start-up then overlap another's training (both cores), 0.65-0.86x the time of one
# cell after another (benchmarks/bench_sweep.py); study.py --jobs N changes it.
CELLS_AT_ONCE = 2
# How long a worker told to stop may take before it is killed. It drops its cell at the end of the
# current chunk of epochs (a quarter of a second), or once TensorFlow returns from compiling.
STOP_SECONDS = 5.0


def train_cell_here(config: ExperimentConfig, runs_dir: Path) -> tuple[dict, str | None]:
    """Train one cell into runs_dir; its summary and any drawing error. The study has checked that
    a cell of other settings may be replaced (study.py --replace)."""
    import train

    outcome = train.train_and_write(config, runs_dir / config.name, progress=False, owner=runs_dir.parent,
                                    replace=True)
    return outcome.summary, outcome.drawing_error


def train_here(cells: list[Cell], runs_dir: Path, at_once: int = CELLS_AT_ONCE) -> Iterator[CellResult]:
    """Train cells on this machine, at_once at a time, each written into runs_dir as it ends;
    yields them as they end.

    With more than one at a time, each trains in a worker process of its own (CellWorker).
    However this ends (every cell done, Ctrl-C, a kill, a mistake in a cell), every worker is
    stopped before it returns: a worker in the middle of a cell drops it (nothing half-written is
    left), one that does not stop within STOP_SECONDS is killed and what it was writing removed.
    """
    if len(cells) == 1 or at_once == 1:
        for cell in cells:
            summary, drawing_error = train_cell_here(cell.config, runs_dir)
            yield CellResult(cell, summary, drawing_error)
        return
    workers = [CellWorker(runs_dir) for _ in range(min(at_once, len(cells)))]
    try:
        for worker in workers:
            worker.start()
        yield from _share_out(cells, workers)
    finally:
        stop_workers(workers)
        remove_leftovers(runs_dir)  # of a worker that had to be killed


def _share_out(cells: list[Cell], workers: list["CellWorker"]) -> Iterator[CellResult]:
    """Give each worker a cell, and the next whenever it finishes one, until none is left. A worker
    that dies (out of memory, kill -9) loses only its cell, listed as missing; the others go on."""
    waiting = list(cells)
    busy = []
    for worker in workers:
        worker.give(waiting.pop(0))
        busy.append(worker)
    while busy:
        ready = multiprocessing.connection.wait([worker.connection for worker in busy]
                                                + [worker.process.sentinel for worker in busy])
        for worker in [worker for worker in busy if worker.connection in ready or worker.process.sentinel in ready]:
            try:
                kind, payload = worker.connection.recv()
            except (EOFError, OSError):
                print(f"a worker process died while it trained {worker.cell.name}; that cell is listed as missing "
                      "(run the same command again to train it), and the other workers go on", file=sys.stderr)
                busy.remove(worker)
                continue
            cell, worker.cell = worker.cell, None
            if kind == "config error":  # the study's mistake, not the cell's: it ends the study
                raise ConfigError(payload)
            yield CellResult(cell, *payload) if kind == "done" else CellResult(cell, error=payload)
            if waiting:
                worker.give(waiting.pop(0))
            else:
                busy.remove(worker)


class CellWorker:
    """A process of its own that trains the cells it is given one after another (TensorFlow is
    imported once). It ignores Ctrl-C, which a terminal sends to every process of the study: the
    study decides, and tells it to stop with SIGTERM. It stops by itself when the study's process
    is gone, even killed with SIGKILL."""

    def __init__(self, runs_dir: Path):
        context = multiprocessing.get_context("spawn")  # TensorFlow does not survive a fork
        self.connection, self._child_end = context.Pipe()
        # daemon: were this process to end without stop_workers, multiprocessing would still end it.
        self.process = context.Process(target=_work, args=(self._child_end, runs_dir, os.getpid()), daemon=True,
                                       name="cell worker")
        self.cell: Cell | None = None

    def start(self) -> None:
        with _signals_blocked_in_new_processes():
            self.process.start()
        self._child_end.close()

    def give(self, cell: Cell) -> None:
        self.cell = cell
        self.connection.send(cell.config)


@contextlib.contextmanager
def _signals_blocked_in_new_processes():
    """Processes started in this block begin with Ctrl-C and SIGTERM blocked (a process inherits its
    parent's signal mask), so that one arriving while a worker starts up cannot end it with a
    traceback; the worker unblocks them once it handles them (as multiprocessing starts its own
    resource tracker, bpo-33613). Here they are blocked in this thread only for that moment: Python
    still runs their handlers, for another thread takes them meanwhile."""
    from multiprocessing import resource_tracker

    resource_tracker.ensure_running()  # it unblocks both signals as it starts: let it start first
    held = signal.pthread_sigmask(signal.SIG_BLOCK, outputs.HELD_SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, held)


def stop_workers(workers: list[CellWorker]) -> None:
    """Stop every worker, and wait for it: an idle one ends when its connection closes, a busy one
    drops its cell on SIGTERM; one still running after STOP_SECONDS is killed. Ctrl-C and SIGTERM
    are held off meanwhile, so that they cannot leave a worker behind."""
    with outputs.signals_held():
        for worker in workers:
            worker.connection.close()
            if worker.process.is_alive():
                with contextlib.suppress(OSError):
                    os.kill(worker.process.pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_SECONDS
        for worker in workers:
            if worker.process.pid is not None:  # started
                worker.process.join(max(0.0, deadline - time.monotonic()))
        for worker in workers:
            if worker.process.is_alive():
                worker.process.kill()
                worker.process.join()


class _CellDropped(BaseException):
    """Raised in a worker told to stop in the middle of a cell: unwinds it, cleaning up as it goes."""


class _WorkerStop:
    """A worker's SIGTERM: in the middle of a cell it drops the cell (once: the clean-up is not
    interrupted again); between cells it ends the worker."""

    def __init__(self):
        self.requested = False
        self.in_cell = False

    def handle(self, signal_number, frame) -> None:
        first = not self.requested
        self.requested = True
        if first and self.in_cell:
            raise _CellDropped

    @contextlib.contextmanager
    def cell(self):
        if self.requested:
            raise _CellDropped
        self.in_cell = True
        try:
            yield
        finally:
            self.in_cell = False


def _work(connection, runs_dir: Path, study_pid: int) -> None:
    """A worker's life: cells from the study, one at a time, until the study closes the
    connection, tells it to stop (SIGTERM), or is gone. Nothing escapes as a traceback."""
    stop = _WorkerStop()
    signal.signal(signal.SIGTERM, stop.handle)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # The study held these signals back while it started this process, and a process may begin
    # with its parent's mask: let them through now that they are handled.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT, signal.SIGTERM})
    threading.Thread(target=_watch_study, args=(study_pid,), daemon=True, name="study watch").start()
    # tqdm's lock would otherwise be a multiprocessing semaphore, which a worker killed mid-cell
    # leaves for multiprocessing to warn about; a worker draws no progress bars anyway.
    from tqdm import tqdm

    tqdm.set_lock(threading.RLock())
    while not stop.requested:
        try:
            config = connection.recv()
        except (EOFError, OSError):
            return
        try:
            with stop.cell():
                reply = ("done", train_cell_here(config, runs_dir))
        except _CellDropped:
            return
        except ConfigError as error:
            reply = ("config error", str(error))
        except Exception as error:  # noqa: BLE001  one cell's failure is reported, the others go on
            reply = ("failed", f"{type(error).__name__}: {error}")
        try:
            connection.send(reply)
        except OSError:  # the study closed the connection: it is stopping
            return


def _watch_study(study_pid: int) -> None:
    """In a worker: when the study's process is gone (its parent changes: it was killed), stop
    as if told to, and end for good if that does not take."""
    while os.getppid() == study_pid:
        time.sleep(0.25)
    os.kill(os.getpid(), signal.SIGTERM)
    time.sleep(STOP_SECONDS)
    os._exit(1)


# --- on a Ray cluster --------------------------------------------------------------------------

RAY_MISSING = ("--ray needs Ray, an optional extra: pip install -e '.[ray]' (in this project's folder), "
               "on this machine and on every node of the cluster")
# What a task sends with itself: this project's code, without what the workers do not need.
RAY_EXCLUDES = [".git", ".venv", "output", "docs", "data", "tests", "notebooks", "*.egg-info", "__pycache__"]


def import_ray():
    """Ray, imported only for --ray; ConfigError saying how to install it when it is not there."""
    try:
        import ray
    except ImportError:
        raise ConfigError(RAY_MISSING) from None
    return ray


def cell_payload(cell: Cell) -> dict:
    """What a task carries: the cell's config as plain data, and a CSV's contents (not its path)."""
    plain = config_module.to_plain_dict(cell.config)
    payload = {"config": plain, "data_name": None, "data": None}
    if cell.config.data_file is not None:
        path = Path(config_module.absolute_data_file(cell.config))
        payload.update(data_name=path.name, data=path.read_bytes())
    return payload


def train_payload(payload: dict) -> dict[str, bytes]:
    """On a worker: train the cell a payload describes into a folder of its own and return the
    run's files by name. A CSV is written beside it under its own name, so that the run sees the
    same points (and the same hash) it would see on the driver."""
    import train

    with tempfile.TemporaryDirectory(prefix="cell.") as scratch:
        plain = dict(payload["config"])
        if payload["data"] is not None:
            data_path = Path(scratch) / payload["data_name"]
            data_path.write_bytes(payload["data"])
            plain["data_file"] = str(data_path)
        config = config_module.validate(plain, source=f"the cell {plain['name']}")
        run_dir = Path(scratch) / "run"
        train.train_and_write(config, run_dir, progress=False)
        return {entry.name: entry.read_bytes() for entry in run_dir.iterdir() if entry.is_file()}


def write_returned_run(files: dict[str, bytes], cell: Cell, runs_dir: Path) -> dict:
    """Write a run a task returned into runs_dir/<cell> (under a hidden name, then moved into
    place), with config.yaml naming the data file where this machine has it; returns its summary."""
    with outputs.staged_directory(runs_dir / cell.name, rundir.RUN_OUTPUT) as partial:
        for name, content in files.items():
            (partial / name).write_bytes(content)
        summary = json.loads(files[rundir.SUMMARY_FILE])
        if cell.config.data_file is not None:  # where this machine has the file, not the worker's copy
            run = rundir.read_run(partial)
            rundir.write_config(partial, run.config.model_copy(update={"data_file": cell.config.data_file}))
            summary["data_file"] = config_module.absolute_data_file(cell.config)
            (partial / rundir.SUMMARY_FILE).write_text(json.dumps(summary, indent=2) + "\n")
    return summary


def connect_ray(address: str):
    """Connect this process to the Ray cluster at address ('auto': RAY_ADDRESS or the one `ray
    start` began here), sending this project's code with the tasks; ConfigError if there is none."""
    ray = import_ray()
    if ray.is_initialized():
        return ray
    project = Path(__file__).resolve().parent
    try:
        ray.init(address=address, runtime_env={"working_dir": str(project), "excludes": RAY_EXCLUDES},
                 log_to_driver=False, logging_level="ERROR")
    except (ConnectionError, RuntimeError, ValueError) as error:
        raise ConfigError(f"--ray {address}: cannot reach a Ray cluster there ({error}); start one with "
                          "`ray start --head`, or give its address host:port") from None
    return ray


def train_on_ray(cells: list[Cell], runs_dir: Path, address: str) -> Iterator[CellResult]:
    """Train cells as Ray tasks on the cluster at address (see connect_ray), each given
    models.STACK_PARTS CPUs and retried once if it fails; results are yielded (and written) as
    they come back."""
    ray = connect_ray(address)
    import models

    try:
        # A task whose worker dies, or that fails, is tried once more; a mistake in its config is not.
        task = ray.remote(num_cpus=models.STACK_PARTS, max_retries=1, retry_exceptions=[RuntimeError, OSError,
                                                                                           MemoryError])(train_payload)
        pending = {task.remote(cell_payload(cell)): cell for cell in cells}
        while pending:
            done, _ = ray.wait(list(pending), num_returns=1)
            cell = pending.pop(done[0])
            try:
                files = ray.get(done[0])
            except Exception as error:  # noqa: BLE001  a task that failed twice: reported, not fatal
                yield CellResult(cell, error=f"{type(error).__name__}: {str(error).strip().splitlines()[-1]}")
                continue
            yield CellResult(cell, write_returned_run(files, cell, runs_dir))
    finally:
        ray.shutdown()


def remove_leftovers(runs_dir: Path) -> None:
    """Remove what a killed worker left of a cell it was writing: a hidden staged folder holding
    only a run's files (outputs.staged_directory), never a finished cell."""
    if runs_dir.is_dir():
        for entry in runs_dir.iterdir():
            if outputs.is_staged_leftover(entry):
                outputs.remove_output(entry, rundir.RUN_OUTPUT, unmarked=True)


def remove_leftovers(runs_dir: Path) -> None:
    """Remove what workers killed before they finished left of the cells they were writing (a
    hidden staged folder; outputs.remove_abandoned), saying so; never a finished cell."""
    for removed in outputs.remove_abandoned(runs_dir, rundir.RUN_OUTPUT):
        print(f"removed {runs_dir / removed}: what a worker killed before it finished had left of a cell",
              file=sys.stderr)
