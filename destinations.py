"""Where a run goes: the checks before it trains, and committing it once it has.

A run's destination must be new, empty, or an earlier run (outputs.check_destination), and an
earlier finished run there must be of the same training settings unless the user asks to replace
it. A run is written whole into a hidden folder beside its destination and moved into place only
when complete (outputs.staged_directory). An interrupted run never replaces a finished one: it
goes beside it, as '<name>.interrupted' (interrupted_destination); a later finished run removes
that one. No TensorFlow, no matplotlib.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Callable

import config as config_module
import naming
import outputs
import rundir
from config import ConfigError, ExperimentConfig


def interrupted_destination(run_dir: Path) -> Path:
    """Where an interrupted run goes when a finished run is at its destination: beside it."""
    return run_dir.with_name(run_dir.name + ".interrupted")


def holds_finished_run(run_dir: Path) -> bool:
    """Whether run_dir is a run that ended by itself (completed or diverged), not interrupted."""
    try:
        return json.loads((run_dir / rundir.SUMMARY_FILE).read_text()).get("status") != "interrupted"
    except (OSError, ValueError, AttributeError):
        return False


def check_run_destination(run_dir: Path, owner: Path | None = None) -> None:
    """Refuse, before training, a destination a run may not replace (see outputs.check_destination;
    owner: the study it is a cell of); the place an interrupted run would go beside it is checked too."""
    outputs.check_destination(run_dir, rundir.RUN_OUTPUT, owner=owner)
    outputs.check_destination(interrupted_destination(run_dir), rundir.RUN_OUTPUT, owner=owner)


def settings_now(config: ExperimentConfig) -> dict:
    """naming.training_settings of the run config would give now: with a CSV, the hash of the
    file as it is now (a run records the hash of the contents it saw)."""
    if config.data_file is not None:
        from data import file_digest  # NumPy only: the CSV's hash

        path = Path(config_module.absolute_data_file(config))
        config = config.model_copy(update={"data_sha256": file_digest(path) if path.is_file() else None})
    return naming.training_settings(config)


def same_training(run_config: ExperimentConfig, config: ExperimentConfig) -> bool:
    """Whether a run of run_config is what config would train now (the same numbers)."""
    return naming.training_settings(run_config) == settings_now(config)


def other_settings(run_dir: Path, config: ExperimentConfig) -> str | None:
    """What differs when run_dir holds a finished run (completed or diverged) of training settings
    other than config's ('epochs 2000 there, 20000 here'); None when it holds none, or one of the
    same settings. A finished run whose config.yaml cannot be read is of other settings."""
    if not holds_finished_run(run_dir):
        return None
    try:
        there = rundir.run_config(run_dir, [])
    except (ConfigError, OSError):
        return f"its {rundir.CONFIG_FILE} cannot be read"
    if same_training(there, config):
        return None
    if config.data_file is not None and naming.training_settings(there) == naming.training_settings(
            config.model_copy(update={"data_sha256": there.data_sha256})):
        return f"the contents of {Path(config.data_file).name} have changed since"
    return naming.differences_text(there, config)


def check_may_replace(run_dir: Path, config: ExperimentConfig) -> None:
    """Refuse a destination holding a finished run of other settings (replacing it takes --replace)."""
    differences = other_settings(run_dir, config)
    if differences is not None:
        raise ConfigError(f"{run_dir} holds a finished run of other settings ({differences}); keep both by giving "
                          f"this one a new name (--set name=... or --output-dir), or replace it with --replace")


def is_current(run_dir: Path, config: ExperimentConfig | None = None) -> bool:
    """Whether run_dir holds a completed run (or one that stopped early) that this version reads and that records everything
    this version records: trained with config's training settings where config is given
    (train.py --reuse, and so make compare, uses only those, and trains the others again), or of
    one net where it is not."""
    try:
        run = rundir.read_run(run_dir)
    except (rundir.RunError, ConfigError):
        return False
    matches = run.nets == 1 if config is None else same_training(run.config, config)
    return run.status in ("completed", "stopped_early") and matches and rundir.records_everything(run)


def missing_pictures(run_dir: Path) -> list[str]:
    """The pictures of the run in run_dir that are not there (a Ctrl-C while they were drawn)."""
    return [name for name in rundir.picture_names(rundir.read_run(run_dir)) if not (run_dir / name).is_file()]


def remove_abandoned(run_dir: Path) -> list[Path]:
    """Remove what a run killed before it finished left beside run_dir; returns what was removed."""
    return [run_dir.parent / name for name in outputs.remove_abandoned(run_dir.parent, rundir.RUN_OUTPUT, run_dir.name)]


def folders_found(run_dir: Path) -> dict[Path, object]:
    """Which folders are at the destination, and beside it, now: one put there by another run
    meanwhile is kept (outputs.replace_directory)."""
    return {path: outputs.folder_identity(path) for path in (run_dir, interrupted_destination(run_dir))}


def commit_run(run: rundir.Run, run_dir: Path, found: dict[Path, object],
               complete: Callable[[Path, Path], None] | None = None) -> Path | None:
    """Write the run into a hidden folder beside its destination, let complete(partial, target)
    add to it (the pictures), and move it into place; returns where it went, or None.

    An interrupted run goes beside a finished run at run_dir (interrupted_destination), and is not
    written at all if a finished run is there too; a finished run removes an interrupted one
    beside it. found: folders_found(run_dir) before training."""
    target = run_dir
    if run.status == "interrupted" and holds_finished_run(run_dir):
        target = interrupted_destination(run_dir)
        if holds_finished_run(target):  # a finished run someone named "<name>.interrupted"
            return None
    with outputs.staged_directory(target, rundir.RUN_OUTPUT, found[target]) as partial:
        rundir.write_run(partial, run)
        if complete is not None:
            complete(partial, target)
    beside = interrupted_destination(run_dir)
    if run.status != "interrupted" and not holds_finished_run(beside):  # not a run someone named so
        outputs.remove_output(beside, rundir.RUN_OUTPUT)
    return target
