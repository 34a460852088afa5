"""Run several experiments, or a grid of settings, over many seeds each and compare how they end.

    python study.py experiments/study_optimizer_vs_layers.yaml [--set epochs=2000] [--output-dir DIR]
    python study.py experiments/sweep_sgd_escape.yaml [--ray auto | --ray HOST:PORT] [--fresh]

What a study is and writes: studies.py. This file is the command: arguments, Ctrl-C, messages.
"""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path

if __name__ == "__main__":
    # A Ctrl-C while the libraries below load: nothing has been done yet.
    signal.signal(signal.SIGINT, lambda *_: (print("\ninterrupted before the study began: nothing was written", file=sys.stderr),
                                             sys.exit(130)))

import outputs
import studies
import sweep
from cells import RUNS
from config import ConfigError
from drawing import video
from studies import StudyInterrupted, default_folder, load_study, run_study  # noqa: F401  names tests and users call


class Interruptions:
    """Ctrl-C and SIGTERM during a study. The first ends it: its workers stop, every finished cell
    is kept and its table is written from them. Any more change nothing, so that this ending is
    never cut short (it takes a few seconds at most); once the study is complete, a press is only
    noted (late)."""

    def __init__(self):
        self.first: int | None = None  # the signal that ended the study
        self.late = False
        self.complete = False

    def __enter__(self) -> "Interruptions":
        self._previous = {number: signal.signal(number, self._handle) for number in (signal.SIGINT, signal.SIGTERM)}
        return self

    def __exit__(self, *exception) -> None:
        for number, handler in self._previous.items():
            signal.signal(number, handler)

    def _handle(self, signal_number, frame) -> None:
        if self.complete:
            self.late = True
        elif self.first is None:
            self.first = signal_number
            raise KeyboardInterrupt

    @property
    def exit_status(self) -> int:
        return 128 + (self.first or signal.SIGINT)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run several experiments, or a grid of settings, over many seeds "
                                                 "and compare them.")
    parser.add_argument("study", help="a study file, e.g. experiments/study_optimizer_vs_layers.yaml")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                        help="override a value in every experiment, e.g. --set epochs=2000 (repeatable)")
    parser.add_argument("--output-dir", help="where to write the study (default: output/<name>, and with --set of a "
                        "training setting a name that says what it changes)")
    parser.add_argument("--ray", metavar="ADDRESS", help="train the cells as tasks on a Ray cluster: 'auto' (RAY_ADDRESS, "
                        "or the cluster `ray start` began here) or HOST:PORT; needs pip install -e '.[ray]'")
    parser.add_argument("--fresh", action="store_true", help="train every cell again (by default a cell already "
                        "trained with the same settings is reused)")
    parser.add_argument("--replace", action="store_true", help="train again, and replace, the cells that hold a "
                        "finished run of other settings (by default the study stops, keeping them)")
    parser.add_argument("--jobs", type=int, default=sweep.CELLS_AT_ONCE, metavar="N",
                        help=f"cells trained at once on this machine, each in a process of its own (default "
                             f"{sweep.CELLS_AT_ONCE}: on 2 cores a sweep takes 0.65-0.86x the time of one at a time)")
    parser.add_argument("--no-progress", action="store_true", help="do not show progress bars")
    arguments = parser.parse_args(argv)
    if arguments.jobs < 1:
        print("error: --jobs: give a whole number of cells to train at once, 1 or more", file=sys.stderr)
        return 2
    outcome = None
    with Interruptions() as interruptions:
        try:
            study, cells = load_study(arguments.study, arguments.overrides)
            video.check_available(list(dict.fromkeys(name for cell in cells if cell.config.pictures_drawn == "all"
                                                      for name in cell.config.render.video)))
            output_dir = (outputs.destination_path(arguments.output_dir) if arguments.output_dir is not None
                          else default_folder(Path(arguments.study), study, cells, arguments.overrides))
            outcome = run_study(study, cells, output_dir, progress=not arguments.no_progress,
                                ray_address=arguments.ray, fresh=arguments.fresh, jobs=arguments.jobs,
                                replace=arguments.replace)
        except ConfigError as error:
            print(f"error: {error}", file=sys.stderr)
            return 2
        except StudyInterrupted as interrupted:
            dropped = len(interrupted.outcome.dropped)
            if not dropped:  # it came once every cell was trained: the study is complete
                outcome, interruptions.late = interrupted.outcome, True
            else:
                print(f"\ninterrupted: every finished cell is kept, and the study's table and pictures are written "
                      f"from them in {output_dir}/; {dropped} cell{'s were' if dropped != 1 else ' was'} not trained: "
                      f"run the same command again to train {'them' if dropped != 1 else 'it'}", file=sys.stderr)
                return interruptions.exit_status
        except KeyboardInterrupt:
            if outcome is None:
                print("\ninterrupted before training began: nothing was written", file=sys.stderr)
                return interruptions.exit_status
            interruptions.late = True  # it came as the finished study returned
        interruptions.complete = True
        print((output_dir / studies.TABLE_FILE).read_text())
        print(f"wrote {output_dir}/: {', '.join(outcome.written)}, {RUNS}/")
        if interruptions.late:
            print("the Ctrl-C came once every cell was trained: nothing was left out", file=sys.stderr)
        return 1 if outcome.failed or outcome.missing else 0  # a cell failed, or its worker died


if __name__ == "__main__":
    status = main()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # it is over, and said so: a Ctrl-C while Python exits changes nothing
    sys.exit(status)
