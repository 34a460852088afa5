"""A study's cells trained as tasks on a Ray cluster (study.py --ray).

Each cell is a task: it carries its config and its data (a CSV's contents, not its path: the
workers share no disk), trains on a worker, and returns its run's files to this process, which
writes them; a task that fails is retried once. Ray is an optional extra, imported only here.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Iterator

import config as config_module
import cpu_kernels
import outputs
import rundir
from cells import Cell
from config import ConfigError
from summaries import RunSummary
from sweep import CellResult

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
    import pipeline

    with tempfile.TemporaryDirectory(prefix="cell.") as scratch:
        plain = dict(payload["config"])
        if payload["data"] is not None:
            data_path = Path(scratch) / payload["data_name"]
            data_path.write_bytes(payload["data"])
            plain["data_file"] = str(data_path)
        config = config_module.validate(plain, source=f"the cell {plain['name']}")
        run_dir = Path(scratch) / "run"
        pipeline.train_and_write(config, run_dir, progress=False)
        return {entry.name: entry.read_bytes() for entry in run_dir.iterdir() if entry.is_file()}


def write_returned_run(files: dict[str, bytes], cell: Cell, runs_dir: Path) -> RunSummary:
    """Write a run a task returned into runs_dir/<cell> (under a hidden name, then moved into
    place), with config.yaml naming the data file where this machine has it; returns its summary."""
    with outputs.staged_directory(runs_dir / cell.name, rundir.RUN_OUTPUT) as partial:
        for name, content in files.items():
            (partial / name).write_bytes(content)
        summary = RunSummary.model_validate_json(files[rundir.SUMMARY_FILE])
        if cell.config.data_file is not None:  # where this machine has the file, not the worker's copy
            run = rundir.read_run(partial)
            rundir.write_config(partial, run.config.model_copy(update={"data_file": cell.config.data_file}))
            summary = summary.model_copy(update={"data_file": config_module.absolute_data_file(cell.config)})
            rundir.write_summary(partial, summary)
    return summary


def connect_ray(address: str):
    """Connect this process to the Ray cluster at address ('auto': RAY_ADDRESS or the one `ray
    start` began here), sending this project's code with the tasks; ConfigError if there is none."""
    ray = import_ray()
    if ray.is_initialized():
        return ray
    project = Path(__file__).resolve().parent
    try:
        # The driver's oneDNN setting goes with the code: a cell is bit-identical to the same cell
        # trained here only under the same setting (and CPU family).
        runtime_env = {"working_dir": str(project), "excludes": RAY_EXCLUDES,
                       "env_vars": {cpu_kernels.VARIABLE: cpu_kernels.onednn_setting()}}
        ray.init(address=address, runtime_env=runtime_env,
                 log_to_driver=False, logging_level="ERROR")
    except (ConnectionError, RuntimeError, ValueError) as error:
        raise ConfigError(f"--ray {address}: cannot reach a Ray cluster there ({error}); start one with "
                          "`ray start --head`, or give its address host:port") from None
    return ray


def train_on_ray(cells: list[Cell], runs_dir: Path, address: str) -> Iterator[CellResult]:
    """Train cells as Ray tasks on the cluster at address (see connect_ray), each given
    config.STACK_PARTS CPUs and retried once if it fails; results are yielded (and written) as
    they come back."""
    ray = connect_ray(address)
    try:
        # A task whose worker dies, or that fails, is tried once more; a mistake in its config is not.
        task = ray.remote(num_cpus=config_module.STACK_PARTS, max_retries=1, retry_exceptions=[RuntimeError, OSError,
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
