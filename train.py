"""Train a tiny net on the noisy sine, recording its prediction as it learns, and write a run.

    python train.py --config experiments/adam_2x10.yaml [--set epochs=2000] [--output-dir DIR]

The run directory (output/<name>/ by default; see rundir.py) holds everything the pictures
need; animate.py draws them from it, and this script calls it once training is done. The
training itself is engine.py's; this file is the command: arguments, Ctrl-C, messages.
"""

from __future__ import annotations

import argparse
import signal
import sys
from dataclasses import dataclass
from pathlib import Path

if __name__ == "__main__":
    # A Ctrl-C while the libraries below load: nothing has been done yet.
    signal.signal(signal.SIGINT, lambda *_: (print("\ninterrupted before training began: nothing was written", file=sys.stderr),
                                             sys.exit(130)))

import config as config_module
import naming
import outputs
import rundir
from config import ConfigError, ExperimentConfig
from data import dataset_for


@dataclass
class Outcome:
    """What train_and_write did: the summary, and where the run was written (None: nowhere)."""

    summary: dict
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
) -> Outcome:
    """Train the experiment, write its run directory at run_dir, draw it, and say what was written.

    run_dir must be new, empty or an earlier run (checked before training), and an earlier
    finished run there must be of the same training settings (an earlier output of the same
    experiment), unless replace. The run is written into a hidden folder beside run_dir and moved
    into place only when every file is complete, so an older run at run_dir stays intact until
    then; if another run was put at run_dir meanwhile, this one goes beside it ('.new'). An
    interrupted run never replaces a finished one: it goes beside it
    (rundir.interrupted_destination); one stopped before its first epoch is not written at all. A
    later finished run removes the interrupted one beside it.
    With a StopRequest, a Ctrl-C after training leaves the pictures out but writes the data.
    owner: the study whose cell the run is (the one output it may be written inside).
    """
    run_dir = outputs.destination_path(run_dir)
    rundir.check_run_destination(run_dir, owner)
    if not replace:
        differences = rundir.other_settings(run_dir, config)
        if differences is not None:
            raise ConfigError(f"{run_dir} holds a finished run of other settings ({differences}); keep both by giving "
                              f"this one a new name (--set name=... or --output-dir), or replace it with --replace")
    dataset = dataset_for(config)  # a data_file's mistakes are reported here
    for removed in outputs.remove_abandoned(run_dir.parent, rundir.RUN_OUTPUT, run_dir.name):
        print(f"removed {run_dir.parent / removed}: what a run killed before it finished had left", file=sys.stderr)
    # Which folders are at the destination now: one put there by another run meanwhile is kept.
    found = {path: outputs.folder_identity(path) for path in (run_dir, rundir.interrupted_destination(run_dir))}
    # TensorFlow starts here, only once the config, the data and the output folder are known good.
    import engine
    import models

    models.keras.utils.set_random_seed(config.seed)
    try:
        model, optimizer = models.model_and_optimizer(config)
    except ValueError as error:  # for example an optimizer option the optimizer does not take
        raise ConfigError(f"{config.name}: optimizer_options: {error}") from None

    with _progress_bar(config, enabled=progress) as bar:

        def show_progress(epochs_done: int, loss: float) -> None:
            bar.set_postfix(loss=f"{loss:.4f}", refresh=False)
            bar.update(epochs_done - bar.n)

        recording = engine.train_in_graph(
            model, optimizer, dataset, config.epochs, engine.frame_schedule(config.epochs, config.frames),
            on_chunk=show_progress, should_stop=stop,
        )
    if stop is not None:
        stop.training_over()
    run = rundir.new_run(config, dataset, recording, models.parameter_counts(model))
    if recording.epochs_completed == 0:
        return Outcome(run.summary, None)

    target = run_dir
    if recording.status == "interrupted" and rundir.holds_finished_run(run_dir):
        target = rundir.interrupted_destination(run_dir)
        if rundir.holds_finished_run(target):  # a finished run someone named "<name>.interrupted"
            return Outcome(run.summary, None)
    with outputs.staged_directory(target, rundir.RUN_OUTPUT, found[target]) as partial:
        rundir.write_run(partial, run)
        # A Ctrl-C that came as training ended (not the one that interrupted it) is for the drawing.
        pictures_missing = render and stop is not None and stop() and recording.status != "interrupted"
        drawing_error, late = None, False
        if render and not pictures_missing:
            try:
                if stop is None:
                    hint = ""  # a study: a Ctrl-C abandons it
                else:
                    hint = " (Ctrl-C again abandons the run)" if stop() else " (Ctrl-C leaves them out)"
                    stop.drawing()  # raises KeyboardInterrupt for a press that came after stop() was asked
                _draw(partial, target, progress, hint)
            except KeyboardInterrupt:
                if stop is None or stop.abandoned:
                    raise
                # A press just as the last picture was done leaves nothing out: it came too late.
                pictures_missing = not all((partial / name).is_file() for name in rundir.picture_names(run))
                late = not pictures_missing
            except Exception as error:  # noqa: BLE001  a drawing failure must not cost the trained run
                pictures_missing, drawing_error = True, f"{type(error).__name__}: {error}"
        if stop is not None:
            stop.committing(late)
    beside = rundir.interrupted_destination(run_dir)
    if recording.status != "interrupted" and not rundir.holds_finished_run(beside):  # not a run someone named so
        outputs.remove_output(beside, rundir.RUN_OUTPUT)
    return Outcome(run.summary, target, pictures_missing, drawing_error)


def _draw(partial: Path, target: Path, progress: bool, hint: str) -> None:
    """Draw the run just written, read back from disk as animate.py would read it: the pictures
    show what the run directory holds, and a run that could not be read back would fail here."""
    import animate

    if progress:  # a transient line: drawing a long run takes a few seconds
        print(f"drawing the pictures of {target}/{hint}", end="\r", file=sys.stderr, flush=True)
    try:
        animate.render_run(partial)
    finally:
        if progress:
            print("\r\033[K", end="", file=sys.stderr, flush=True)


def _progress_bar(config: ExperimentConfig, enabled: bool):
    from tqdm import tqdm

    return tqdm(
        total=config.epochs, desc=config.name, unit="epoch", unit_scale=True, disable=not enabled,
        dynamic_ncols=True, leave=False,
    )


def describe_summary(summary: dict, run_dir: Path, list_files: bool = True) -> str:
    """The few lines printed when a run is done (the last one lists the files written)."""
    seconds, epochs, seeds = summary["train_seconds"], summary["epochs_completed"], summary["seeds"]
    floor = summary["noise_floor"]
    if seeds == 1:
        ratio = summary["val_loss_over_noise_floor"]
        per_epoch_ms = 1000 * seconds / max(epochs, 1)
        lines = [
            f"{summary['name']}: {epochs} epoch{'s' if epochs != 1 else ''} in {seconds:.1f} s ({per_epoch_ms:.3f} ms an epoch)",
            f"  final training MSE {final_error_text(summary['loss'])}, "
            f"held-out MSE {final_error_text(summary['val_loss'])}"
            + (f" = {ratio:.2f} x the noise floor {final_error_text(floor)}" if ratio is not None
               else " (noise floor unknown)" if floor is None else ""),
        ]
    else:
        diverged = summary["diverged_seeds"]
        lines = [
            f"{summary['name']}: {seeds} seeds x {epochs} epochs in {seconds:.1f} s "
            f"({seeds * epochs / max(seconds, 1e-9):,.0f} net-epochs a second)",
            f"  median final training MSE {final_error_text(summary['loss'])}, "
            f"held-out MSE {final_error_text(summary['val_loss'])} "
            + ("(noise floor unknown)" if floor is None else f"(noise floor {final_error_text(floor)})"),
        ]
        if floor is not None or diverged:
            at_floor = (f"{100 * summary['share_at_noise_floor']:.0f}% of the seeds end within 10% of the noise floor"
                        if floor is not None else "")
            lines.append("  " + "; ".join(part for part in (
                at_floor, f"{len(diverged)} diverged (seeds {', '.join(map(str, diverged))})" if diverged else "") if part))
    if list_files:
        lines.append(f"  wrote {run_dir}/: {', '.join(rundir.files_present(run_dir))}")
    return "\n".join(lines)


def final_error_text(value: float | None) -> str:
    """A final error as the summaries print it: as the pictures state it (four decimals, three
    significant digits when huge or tiny), or "not finite" (null in JSON)."""
    return "not finite" if value is None else rundir.format_loss(value)


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

    def __init__(self, requested: bool = False):
        self.requested = requested
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


def status_line(outcome: Outcome, requested_dir: Path) -> str | None:
    """The one-line warning for a run that did not complete or was not written in full, or None."""
    summary, run_dir = outcome.summary, outcome.run_dir
    if run_dir is None:
        where = f"; {requested_dir} is as it was" if requested_dir.exists() else ""
        if summary["epochs_completed"] == 0:
            return f"interrupted before training began: nothing was written{where}"
        return (f"interrupted at epoch {summary['epochs_completed']:,}: nothing was written, since {requested_dir} and "
                f"{rundir.interrupted_destination(requested_dir)} both hold finished runs")
    if outcome.drawing_error:
        return (f"error: the run's data are complete in {run_dir}/ but its pictures could not all be drawn "
                f"({outcome.drawing_error}); please report it, and try: python animate.py {run_dir}")
    if outcome.pictures_missing:
        return (f"interrupted while drawing: the run's data are complete in {run_dir}/ but its pictures are not; "
                f"draw them with: python animate.py {run_dir}")
    if summary["status"] == "diverged":
        return (
            f"warning: {summary['name']} diverged at epoch {summary['diverged_at_epoch']} (the training loss stopped "
            f"being a finite number); the run up to there is in {run_dir}/; a smaller learning_rate usually helps"
        )
    if summary["status"] == "interrupted":
        beside = (f" ({requested_dir}/ holds a finished run, left as it was)" if run_dir != requested_dir else "")
        return (
            f"interrupted at epoch {summary['epochs_completed']:,} of {summary['epochs_requested']:,}; "
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
    with StopRequest() as stop:
        try:
            config = load_arguments_config(arguments)
            run_dir = (outputs.destination_path(arguments.output_dir) if arguments.output_dir is not None
                       else Path("output") / config.name)
            if arguments.reuse and rundir.is_current(run_dir, config):
                missing = rundir.missing_pictures(run_dir)
                print(f"{run_dir}: already holds a completed run of these settings; reusing it"
                      + (f", and drawing what it lacks ({', '.join(missing)})" if missing else ""), flush=True)
                if missing:
                    import animate

                    animate.render_run(run_dir)
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
        stopped = outcome.run_dir is None or outcome.pictures_missing or outcome.summary["status"] == "interrupted"
        if stop.late and not stopped:
            print("the Ctrl-C came after the run was complete: nothing was left out", file=sys.stderr)
        return 130 if stopped else 0


if __name__ == "__main__":
    signal.signal(signal.SIGINT, signal.default_int_handler)  # main() takes Ctrl-C from here on
    status = main()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # it is over, and said so: a Ctrl-C while Python exits changes nothing
    sys.exit(status)
