"""A study's cells trained on this machine: two at a time, each in a worker process of its own
(one cell's drawing overlaps the other's training; TensorFlow is imported once a worker), which
never outlives the study, however it ends (CellWorker, stop_workers).

Each cell is pipeline.train_and_write into the study's runs/. On a Ray cluster instead: ray_cells.py.
"""

from __future__ import annotations

import contextlib
import json
import multiprocessing
import multiprocessing.connection
import os
import signal
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import naming
import outputs
import rundir
from cells import Cell
from config import ConfigError, ExperimentConfig
from summaries import RunSummary


@dataclass
class CellResult:
    """How a cell's training ended: its summary once written, or why it failed."""

    cell: Cell
    summary: RunSummary | None = None
    error: str | None = None


# Cells trained at once on this machine, each in a process of its own: one cell's drawing (one
# core) and start-up then overlap another's training (both cores), 0.65-0.86x the time of one
# cell after another (benchmarks/bench_sweep.py); study.py --jobs N changes it.
CELLS_AT_ONCE = 2
# How long a worker told to stop may take before it is killed. It drops its cell at the end of the
# current chunk of epochs (a quarter of a second), or once TensorFlow returns from compiling.
STOP_SECONDS = 5.0


def train_cell_here(config: ExperimentConfig, runs_dir: Path, loops=None) -> tuple[RunSummary, str | None]:
    """Train one cell into runs_dir; its summary and any drawing error. The study has checked that
    a cell of other settings may be replaced (study.py --replace). loops: the loop_cache.LoopCache of
    this process, whose loops fit cells of the same shape (traced once, not once a cell)."""
    import pipeline  # TensorFlow starts with the first cell trained

    outcome = pipeline.train_and_write(config, runs_dir / config.name, progress=False, owner=runs_dir.parent,
                                    replace=True, loops=loops)
    return outcome.summary, outcome.drawing_error


def new_loop_cache():
    """The loops one process keeps for the cells it trains (loop_cache.LoopCache): TensorFlow starts here."""
    import training

    return training.new_loop_cache()


def shape_of(cell: Cell) -> str:
    """What cells of the same traced loop share, roughly: their training settings but the seed and
    learning rate (loop_cache.LoopCache says exactly). A worker is given cells of the shape it last
    trained first, so that it traces each shape once."""
    settings = naming.training_settings(cell.config)
    for key in ("seed", "learning_rate", "epochs", "frames"):
        settings.pop(key, None)
    return json.dumps(settings, sort_keys=True, default=str)


def next_cell(waiting: list[Cell], shape: str | None = None, others: set[str] = frozenset()) -> Cell:
    """The first waiting cell of the given shape, else of a shape no other worker is on (others),
    else the first waiting: taken off the list."""
    for wanted in (lambda cell: shape_of(cell) == shape, lambda cell: shape_of(cell) not in others):
        index = next((index for index, cell in enumerate(waiting) if wanted(cell)), None)
        if index is not None:
            return waiting.pop(index)
    return waiting.pop(0)


def train_here(cells: list[Cell], runs_dir: Path, at_once: int = CELLS_AT_ONCE) -> Iterator[CellResult]:
    """Train cells on this machine, at_once at a time, each written into runs_dir as it ends;
    yields them as they end.

    With more than one at a time, each trains in a worker process of its own (CellWorker).
    However this ends (every cell done, Ctrl-C, a kill, a mistake in a cell), every worker is
    stopped before it returns: a worker in the middle of a cell drops it (nothing half-written is
    left), one that does not stop within STOP_SECONDS is killed and what it was writing removed.
    """
    if len(cells) == 1 or at_once == 1:
        loops = new_loop_cache()
        waiting, shape = list(cells), None
        while waiting:
            cell = next_cell(waiting, shape)
            shape = shape_of(cell)
            summary, drawing_error = train_cell_here(cell.config, runs_dir, loops)
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
    for worker in workers:  # each a cell of another shape, where the study has several
        worker.give(next_cell(waiting, others={shape_of(other.cell) for other in busy}))
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
                worker.give(next_cell(waiting, shape_of(cell), {shape_of(other.cell) for other in busy if other.cell}))
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
    """A worker's life (_cells), then its end at once: everything it wrote is in place, and
    Python's usual exit, tearing TensorFlow down, took about a second that the study waited for."""
    _cells(connection, runs_dir, study_pid)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


def _cells(connection, runs_dir: Path, study_pid: int) -> None:
    """Cells from the study, one at a time, until the study closes the connection, tells it to
    stop (SIGTERM), or is gone. Nothing escapes as a traceback."""
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
    loops = new_loop_cache()  # TensorFlow, imported while the study gives out its first cells
    while not stop.requested:
        try:
            config = connection.recv()
        except (EOFError, OSError):
            return
        try:
            with stop.cell():
                reply = ("done", train_cell_here(config, runs_dir, loops))
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


def remove_leftovers(runs_dir: Path) -> None:
    """Remove what workers killed before they finished left of the cells they were writing (a
    hidden staged folder; outputs.remove_abandoned), saying so; never a finished cell."""
    for removed in outputs.remove_abandoned(runs_dir, rundir.RUN_OUTPUT):
        print(f"removed {runs_dir / removed}: what a worker killed before it finished had left of a cell",
              file=sys.stderr)
