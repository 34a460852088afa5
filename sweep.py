"""The cells of a study, and training them: here, or as tasks on a Ray cluster.

A study's cells are its listed experiments and every combination of its grid's values applied to
its base experiment; each cell is one seeded run in its own folder under the study's runs/, named
from its settings ('1x60_sgd_lr0.003'). A cell already on disk is reused when everything that
shapes its numbers matches (reusable): its training settings, the data (a CSV by the hash of its
contents) and the run format; when only its drawing settings differ it is redrawn, not trained.

Training here runs train.train_and_write for two cells at a time, each in a worker process of its
own (one cell's drawing overlaps the other's training). On Ray, each cell is a task: it carries its config and its data (a CSV's
contents, not its path: the workers share no disk), trains on a worker, and returns its run's
files to this process, which writes them; a task that fails is retried once.
"""

from __future__ import annotations

import concurrent.futures
import concurrent.futures.process
import contextlib
import hashlib
import itertools
import json
import multiprocessing
import os
import re
import signal
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

import config as config_module
import outputs
import rundir
from config import ConfigError, ExperimentConfig

# The cells' folder in a study's folder.
RUNS = "runs"
# Grid keys written shorter in a cell's name ('lr0.003'); others are written whole.
SHORT_KEYS = {"learning_rate": "lr", "noise_std": "noise", "n_samples": "n", "validation_fraction": "held_out"}
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


def value_text(key: str, value: Any) -> str:
    """A grid value as it reads in a cell's name: '1x60' or '10-5' for layers, 'sgd' for a
    string, 'lr0.003' for a number, 'standardize'/'no_standardize' for true/false."""
    if key == "hidden_layers" and isinstance(value, list) and value:
        return f"{len(value)}x{value[0]}" if len(set(value)) == 1 else "-".join(map(str, value))
    if isinstance(value, bool):
        return key if value else f"no_{key}"
    if isinstance(value, (int, float)):
        return f"{SHORT_KEYS.get(key, key)}{value:g}"
    return str(value)


def cell_name(settings: dict[str, Any]) -> str:
    """A cell's folder name from its grid values, in the grid's order: '1x60_sgd_lr0.003'.
    Characters a plain name may not have become '-'."""
    text = "_".join(value_text(key, value) for key, value in settings.items())
    return re.sub(r"[^\w.+-]+", "-", text).strip("-_") or "cell"


def grid_overrides(settings: dict[str, Any]) -> list[str]:
    """The grid's values of a cell as --set overrides ('learning_rate=0.003'), read back as YAML."""
    return [f"{key}={json.dumps(value)}" for key, value in settings.items()]


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
        labels = {text: f"{study_path} grid: {text}" for text in grid_overrides(given)}
        config = config_module.load_config(study_path.parent / base, grid_overrides(given) + overrides, labels)
        name = cell_name(settings)
        try:
            name = config_module.check_plain_name(name)
        except ValueError:  # too long to be a folder's: its start and a digest of its settings
            digest = hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()[:10]
            name = f"{name[:config_module.MAX_NAME_LENGTH - 12].rstrip('_-.')}_{digest}"
        cells.append(Cell(name, config.model_copy(update={"name": name}), settings))
    return cells


# --- which cells are on disk -------------------------------------------------------------------

def training_settings(config: ExperimentConfig) -> dict[str, Any]:
    """What shapes a run's numbers: its config without its name and drawing settings (a CSV's
    data by its absolute path and the hash of its contents)."""
    plain = config_module.to_plain_dict(config)
    plain.pop("name", None)
    plain.pop("render", None)
    return plain


def expected_settings(config: ExperimentConfig) -> dict[str, Any]:
    """training_settings of the run a cell's config would give now: with a CSV, the hash of the
    file as it is now (a run records the hash of the contents it saw)."""
    if config.data_file is not None:
        from data import file_digest

        path = Path(config_module.absolute_data_file(config))
        config = config.model_copy(update={"data_sha256": file_digest(path) if path.is_file() else None})
    return training_settings(config)


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
    if training_settings(run.config) != expected_settings(config):
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


_interrupted = False  # in a worker: a Ctrl-C came; no further cell is started


def _on_interrupt(signum, frame) -> None:
    """A worker's Ctrl-C: the first stops the cell it trains (its staged folder is removed); a
    second (the terminal's and this process's parent's both arrive) changes nothing."""
    global _interrupted
    if not _interrupted:
        _interrupted = True
        raise KeyboardInterrupt


def _worker_started() -> None:
    signal.signal(signal.SIGINT, _on_interrupt)


def train_cell_here(config: ExperimentConfig, runs_dir: Path) -> tuple[dict, str | None]:
    """Train one cell into runs_dir (in a worker process); its summary and any drawing error."""
    import train

    if _interrupted:  # a cell queued before the Ctrl-C: not started
        raise KeyboardInterrupt

    outcome = train.train_and_write(config, runs_dir / config.name, progress=False, owner=runs_dir.parent)
    return outcome.summary, outcome.drawing_error


def train_here(cells: list[Cell], runs_dir: Path, at_once: int = CELLS_AT_ONCE) -> Iterator[CellResult]:
    """Train cells on this machine, at_once at a time, each written into runs_dir as it ends;
    yields them as they end. A Ctrl-C reaches the workers too: each drops the cell it was
    training (nothing half-written is left) and the finished cells stay."""
    if len(cells) == 1 or at_once == 1:
        for cell in cells:
            summary, drawing_error = train_cell_here(cell.config, runs_dir)
            yield CellResult(cell, summary, drawing_error)
        return
    context = multiprocessing.get_context("spawn")  # TensorFlow does not survive a fork
    pool = concurrent.futures.ProcessPoolExecutor(max_workers=min(at_once, len(cells)), mp_context=context,
                                                  initializer=_worker_started)
    try:
        futures = {pool.submit(train_cell_here, cell.config, runs_dir): cell for cell in cells}
        for future in concurrent.futures.as_completed(futures):
            try:
                summary, drawing_error = future.result()
            except concurrent.futures.process.BrokenProcessPool:
                # A worker was killed (out of memory, kill -9): the cells not finished are missing,
                # not failed; the same command again trains them.
                print("a worker process died; the cells it had not finished are listed as missing: run the same "
                      "command again to train them", file=sys.stderr)
                break
            except (ConfigError, KeyboardInterrupt):
                raise
            except Exception as error:  # noqa: BLE001  one cell's failure is reported, the others go on
                yield CellResult(futures[future], error=f"{type(error).__name__}: {error}")
                continue
            yield CellResult(futures[future], summary, drawing_error)
    except BaseException:
        # Ctrl-C (or a mistake): a terminal sends it to the workers too, a `kill -INT` of this
        # process does not; either way each worker is told, and drops its cell cleanly.
        for child in multiprocessing.active_children():
            with contextlib.suppress(OSError):
                os.kill(child.pid, signal.SIGINT)
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown(wait=True)


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

