"""From an experiment to a finished run directory: check, train, write, draw, move into place.

train_and_write is what `train.py` does and what a study's cell is; it calls training.py (where
TensorFlow starts, imported only once the config, the data and the destination are known good),
destinations.py (the checks and the interrupted-run rule) and rendering.py (the pictures, drawn
from the run read back from disk). StopRequest is what a Ctrl-C means at each step of it.
"""

from __future__ import annotations

import signal
import sys
from dataclasses import dataclass
from pathlib import Path

import destinations
import outputs
import rundir
from config import ExperimentConfig
from data import dataset_for
from summaries import RunSummary


@dataclass
class Outcome:
    """What train_and_write did: the summary, and where the run was written (None: nowhere)."""

    summary: RunSummary
    run_dir: Path | None
    pictures_missing: bool = False
    drawing_error: str | None = None  # why the pictures could not be drawn (a bug of ours, not the user's)


def train_and_write(
    config: ExperimentConfig,
    run_dir: Path,
    progress: bool = True,
    render: bool = True,
    stop: "StopRequest | None" = None,
    owner: Path | None = None,
    replace: bool = False,
    loops=None,
) -> Outcome:
    """Train the experiment, write its run directory at run_dir, draw it, and say what was written.

    run_dir must be new, empty or an earlier run (checked before training), and an earlier
    finished run there must be of the same training settings (an earlier output of the same
    experiment), unless replace. The run is committed as destinations.commit_run says (beside a
    finished run if it was interrupted; not at all if it was stopped before its first epoch).
    With a StopRequest, a Ctrl-C after training leaves the pictures out but writes the data.
    owner: the study whose cell the run is (the one output it may be written inside).
    loops: the loops a study's worker keeps for its cells (engine.LoopCache).
    """
    run_dir = outputs.destination_path(run_dir)
    destinations.check_run_destination(run_dir, owner)
    if not replace:
        destinations.check_may_replace(run_dir, config)
    dataset = dataset_for(config)  # a data_file's mistakes are reported here
    for removed in destinations.remove_abandoned(run_dir):
        print(f"removed {removed}: what a run killed before it finished had left", file=sys.stderr)
    found = destinations.folders_found(run_dir)
    import training  # TensorFlow starts here

    run = training.train_run(config, dataset, progress=progress, should_stop=stop, loops=loops)
    if stop is not None:
        stop.training_over()
    if run.epochs_completed == 0:
        return Outcome(run.summary, None)
    pictures = _Pictures(run, render, stop, progress)
    target = destinations.commit_run(run, run_dir, found, pictures.draw)
    return Outcome(run.summary, target, pictures.missing, pictures.error)


class _Pictures:
    """Drawing a run's pictures into its staged folder, as a Ctrl-C allows (see StopRequest)."""

    def __init__(self, run: rundir.Run, render: bool, stop: "StopRequest | None", progress: bool):
        self.run, self.render, self.stop, self.progress = run, render, stop, progress
        self.missing, self.error = False, None

    def draw(self, partial: Path, target: Path) -> None:
        stop, run = self.stop, self.run
        # A Ctrl-C that came as training ended (not the one that interrupted it) is for the drawing.
        self.missing = self.render and stop is not None and stop() and run.status != "interrupted"
        late = False
        if self.render and not self.missing:
            try:
                if stop is None:
                    hint = ""  # a study: a Ctrl-C abandons it
                else:
                    hint = " (Ctrl-C again abandons the run)" if stop() else " (Ctrl-C leaves them out)"
                    stop.drawing()  # raises KeyboardInterrupt for a press that came after stop() was asked
                self._draw(partial, target, hint)
            except KeyboardInterrupt:
                if stop is None or stop.abandoned:
                    raise
                # A press just as the last picture was done leaves nothing out: it came too late.
                self.missing = not all((partial / name).is_file() for name in rundir.picture_names(run))
                late = not self.missing
            except Exception as error:  # noqa: BLE001  a drawing failure must not cost the trained run
                self.missing, self.error = True, f"{type(error).__name__}: {error}"
        if stop is not None:
            stop.committing(late)

    def _draw(self, partial: Path, target: Path, hint: str) -> None:
        """Draw the run just written, read back from disk as animate.py would read it: the pictures
        show what the run directory holds, and a run that could not be read back would fail here."""
        import rendering  # matplotlib, once there is something to draw

        if self.progress:  # a transient line: drawing a long run takes a few seconds
            print(f"drawing the pictures of {target}/{hint}", end="\r", file=sys.stderr, flush=True)
        try:
            rendering.render_run(partial)
        finally:
            if self.progress:
                print("\r\033[K", end="", file=sys.stderr, flush=True)


class StopRequest:
    """Ctrl-C during a run, with a meaning that depends on when it comes.

    While TensorFlow starts and while training, the first press asks training to stop before its
    next chunk of epochs (the epochs trained so far are kept; none, if it came before training).
    Once training is over (training_over), a first press leaves the pictures out: while the data
    are written, the pictures are not started; while they are drawn, drawing stops at once. A
    second press, before the run is complete, abandons it. Once the run is complete (committing:
    its pictures drawn or left out, the run being moved into place, its summary printed), a press
    changes nothing and is noted as late.
    """

    def __init__(self, requested: bool = False, ends_the_process: bool = False):
        self.requested = requested
        # train.py's: once the run is complete the process only ends, and a Ctrl-C until then is
        # noted as late by this handler, which is kept (put back, Python's would raise KeyboardInterrupt).
        self.ends_the_process = ends_the_process
        self.abandoned = False  # a second press: nothing is to be written
        self.late = False  # a press that came once the run was complete
        self.for_the_pictures = False  # a first press while the data were written
        self.phase = "training"

    def __call__(self) -> bool:
        return self.requested

    def training_over(self) -> None:
        self.phase = "writing"

    def drawing(self) -> None:
        self.phase = "drawing"
        if self.for_the_pictures:  # a press while the data were written: no picture is to be drawn
            raise KeyboardInterrupt

    def committing(self, late: bool = False) -> None:
        """The run is complete; late: a press already came after its last picture was drawn."""
        self.phase = "committing"
        self.late = self.late or late

    def __enter__(self) -> "StopRequest":
        self._previous_handlers = (signal.signal(signal.SIGINT, self._handle),
                                   signal.signal(signal.SIGTERM, self._terminate))
        return self

    def __exit__(self, *exception) -> None:
        if self.ends_the_process and self.phase == "committing":
            return
        signal.signal(signal.SIGINT, self._previous_handlers[0])
        signal.signal(signal.SIGTERM, self._previous_handlers[1])

    def _handle(self, signal_number, frame) -> None:
        if self.phase == "committing":
            self.late = True
            return
        if self.requested:
            self.abandoned = True
            raise KeyboardInterrupt
        self.requested = True
        if self.phase == "drawing":
            raise KeyboardInterrupt
        self.for_the_pictures = self.phase == "writing"
        if self.phase == "training":
            print("\nstopping before the next chunk of epochs; the epochs trained so far, if any, will be written "
                  "(press Ctrl-C again to abandon them)", file=sys.stderr, flush=True)

    def _terminate(self, signal_number, frame) -> None:
        # Killed (SIGTERM, a closed terminal): end at once, but through the cleanup of any
        # half-written folder, unless the finished run is being moved into place.
        if self.phase != "committing":
            self.abandoned = True
            raise SystemExit(128 + signal_number)
