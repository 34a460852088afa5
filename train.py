"""Train a tiny net on the noisy sine, recording its prediction as it learns, and write a run.

    python train.py --config experiments/adam_2x10.yaml [--set epochs=2000] [--output-dir DIR]

The run directory (output/<name>/ by default; see rundir.py) holds everything the pictures
need. What a run is made by is pipeline.train_and_write (training.py trains, destinations.py
commits, rendering.py draws); this file is the command: arguments, Ctrl-C, messages.
"""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path

if __name__ == "__main__":
    # A Ctrl-C while the libraries below load: nothing has been done yet.
    signal.signal(signal.SIGINT, lambda *_: (print("\ninterrupted before training began: nothing was written", file=sys.stderr),
                                             sys.exit(130)))

import config as config_module
import destinations
import naming
import outputs
import rundir
from config import ConfigError, ExperimentConfig
from drawing import video
from pipeline import Outcome, StopRequest, train_and_write  # noqa: F401  the README's and the notebook's names
from summaries import RunSummary, describe_run


def describe_summary(summary: RunSummary, run_dir: Path, list_files: bool = True) -> str:
    """The few lines printed when a run is done (the last one lists the files written)."""
    return describe_run(summary, run_dir, rundir.files_present(run_dir) if list_files else None)


def parse_arguments(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Train a tiny net on a noisy sine and record it learning.")
    parser.add_argument("--config", required=True, help="an experiment file, e.g. experiments/adam_2x10.yaml")
    parser.add_argument(
        "--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
        help="override a config value, e.g. --set epochs=2000 or --set render.fps=10 (repeatable)",
    )
    parser.add_argument("--output-dir", help="where to write the run (default: output/<name>)")
    parser.add_argument("--seeds", type=int, metavar="N",
                        help="train N copies of the net from seeds seed..seed+N-1 at once (same as --set seeds=N)")
    parser.add_argument("--reuse", action="store_true",
                        help="train only if the destination does not already hold a completed run of these settings "
                             "that records everything this version records (make compare uses it)")
    parser.add_argument("--replace", action="store_true",
                        help="replace a finished run of other settings at the destination (by default it is kept, "
                             "and nothing is trained)")
    parser.add_argument("--no-progress", action="store_true", help="do not show the progress bar")
    return parser.parse_args(argv)


def status_line(outcome: Outcome, requested_dir: Path) -> str | None:
    """The one-line warning for a run that did not complete or was not written in full, or None."""
    summary, run_dir = outcome.summary, outcome.run_dir
    if run_dir is None:
        where = f"; {requested_dir} is as it was" if requested_dir.exists() else ""
        if summary.epochs_completed == 0:
            return f"interrupted before training began: nothing was written{where}"
        return (f"interrupted at epoch {summary.epochs_completed:,}: nothing was written, since {requested_dir} and "
                f"{destinations.interrupted_destination(requested_dir)} both hold finished runs")
    if outcome.drawing_error:
        return (f"error: the run's data are complete in {run_dir}/ but its pictures could not all be drawn "
                f"({outcome.drawing_error}); please report it, and try: python animate.py {run_dir}")
    if outcome.pictures_missing:
        return (f"interrupted while drawing: the run's data are complete in {run_dir}/ but its pictures are not; "
                f"draw them with: python animate.py {run_dir}")
    if summary.status == "diverged":
        return (
            f"warning: {summary.name} diverged at epoch {summary.diverged_at_epoch} (the training loss stopped "
            f"being a finite number); the run up to there is in {run_dir}/; a smaller learning_rate usually helps"
        )
    if summary.status == "interrupted":
        beside = (f" ({requested_dir}/ holds a finished run, left as it was)" if run_dir != requested_dir else "")
        return (
            f"interrupted at epoch {summary.epochs_completed:,} of {summary.epochs_requested:,}; "
            f"the run so far is in {run_dir}/{beside}"
        )
    return None


def load_arguments_config(arguments: argparse.Namespace) -> ExperimentConfig:
    """The experiment the command line asks for: the file, its --set overrides and --seeds."""
    overrides, labels = list(arguments.overrides), {}
    if arguments.seeds is not None:
        for text in overrides:
            path, value = config_module.parse_override(text)
            if path == ["seeds"] and value != arguments.seeds:
                raise ConfigError(f"--seeds {arguments.seeds} and --set {text} disagree; give the number of seeds once")
        overrides.append(f"seeds={arguments.seeds}")
        labels[overrides[-1]] = f"--seeds {arguments.seeds}"
    config = config_module.load_config(arguments.config, overrides, labels)
    return naming.named_for_overrides(config, Path(arguments.config), overrides)


def main(argv: list[str] | None = None) -> int:
    arguments = parse_arguments(argv)
    run_dir = None
    with StopRequest(ends_the_process=True) as stop:
        try:
            config = load_arguments_config(arguments)
            video.check_available(config.render.video)  # before training, not once it is done
            run_dir = (outputs.destination_path(arguments.output_dir) if arguments.output_dir is not None
                       else Path("output") / config.name)
            if arguments.reuse and destinations.is_current(run_dir, config):
                missing = destinations.missing_pictures(run_dir)
                print(f"{run_dir}: already holds a completed run of these settings; reusing it"
                      + (f", and drawing what it lacks ({', '.join(missing)})" if missing else ""), flush=True)
                if missing:
                    import rendering

                    rendering.render_run(run_dir)
                return 0
            outcome = train_and_write(config, run_dir, progress=not arguments.no_progress, stop=stop,
                                      replace=arguments.replace)
        except ConfigError as error:
            print(f"error: {error}", file=sys.stderr)
            return 2
        except KeyboardInterrupt:
            unchanged = f"; {run_dir} is as it was" if run_dir is not None and run_dir.exists() else ""
            print(f"\nabandoned: nothing was written{unchanged}", file=sys.stderr)
            return 130
        stop.committing()  # from here on a Ctrl-C changes nothing (it is noted as late)
        if outcome.run_dir is not None:
            print(describe_summary(outcome.summary, outcome.run_dir))
        warning = status_line(outcome, run_dir)
        if warning:
            print(warning, file=sys.stderr)
        if outcome.drawing_error:
            return 1
        stopped = outcome.run_dir is None or outcome.pictures_missing or outcome.summary.status == "interrupted"
        if stop.late and not stopped:
            print("the Ctrl-C came after the run was complete: nothing was left out", file=sys.stderr)
        return 130 if stopped else 0


if __name__ == "__main__":
    signal.signal(signal.SIGINT, signal.default_int_handler)  # main() takes Ctrl-C from here on
    status = main()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # it is over, and said so: a Ctrl-C while Python exits changes nothing
    sys.exit(status)
