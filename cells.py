"""A study's cells: its listed experiments and every combination of its grid's values applied to
its base experiment, each one seeded run in its own folder under the study's runs/, named from
its settings ('1x60_sgd_lr0.003'); and which of them are already on disk.

A cell on disk is reused when everything that shapes its numbers matches (reusable): its
training settings, the data (a CSV by the hash of its contents), the run format and how its stack
was split; when only its drawing settings differ it is redrawn, not trained. No TensorFlow.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import config as config_module
import destinations
import naming
import rundir
from config import ConfigError, ExperimentConfig

# The cells' folder in a study's folder.
RUNS = "runs"
# Keys a grid may not vary: they name, seed or draw a cell rather than shape how it trains.
NOT_IN_GRID = {"name", "seeds", "render", "record"}
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


def as_study_cell(config: ExperimentConfig) -> ExperimentConfig:
    """A study's or sweep's cell works out no curvature and draws its page alone, unless its
    settings ask otherwise (record.curvature, render.pictures): many cells' spectra and GIFs would
    take longer than their training, and the study's table, phase diagram and page need neither
    (animate.py on the cell or the study draws its GIFs)."""
    record, render = config.record, config.render
    if record.curvature is None:
        record = record.model_copy(update={"curvature": "none"})
    if render.pictures is None:
        render = render.model_copy(update={"pictures": "page"})
    return config.model_copy(update={"record": record, "render": render})


def reusable(cell_dir: Path, config: ExperimentConfig) -> str | None:
    """'reuse' if cell_dir holds a finished run (completed or diverged, in this run format)
    trained with exactly these training settings and drawn with these render settings (a cell
    with more pictures than config asks is as good: its GIFs drawn later by animate.py);
    'redraw' if only the drawing differs (or a picture asked is missing); None: train it."""
    return reusable_run(cell_dir, config)[0]


def reusable_run(cell_dir: Path, config: ExperimentConfig) -> tuple[str | None, rundir.Run | None]:
    """reusable's answer, and the run it read (None unless the cell is reused or redrawn), for a
    caller that needs both to read the run once (studies.write_study)."""
    if not destinations.holds_finished_run(cell_dir):
        return None, None
    try:
        run = rundir.read_run(cell_dir)
    except (rundir.RunError, ConfigError):
        return None, None
    if not destinations.same_training(run.config, config):
        return None, None
    if run.nets > 1 and run.summary.stack_parts != config_module.stack_parts(run.nets):
        return None, None  # split otherwise (an older version split by the machine's cores): other last digits
    pictures = all((cell_dir / name).is_file() for name in rundir.picture_names(run, config.pictures_drawn))
    drawn_alike = (run.config.render.model_copy(update={"pictures": None}) == config.render.model_copy(update={"pictures": None})
                   and run.config.record == config.record)
    return ("reuse" if pictures and drawn_alike else "redraw"), run


def redraw(cell_dir: Path, config: ExperimentConfig) -> None:
    """Draw a reused cell again with the render and record settings of config (record.curvature is
    worked out from the weights it holds), and note them in its config.yaml; all its pictures where
    it holds its GIFs, whatever render.pictures asks."""
    import rendering  # matplotlib, only when a cell is to be drawn: a study's mistakes are told at once

    drawing = {"render": config.render.model_dump(mode="json"), "record": config.record.model_dump(mode="json")}
    overrides = [f"{section}.{key}={json.dumps(value)}" for section, settings in drawing.items()
                 for key, value in settings.items()]
    run = rundir.read_run(cell_dir, overrides)
    if any((cell_dir / name).is_file() for name in rundir.picture_names(run, "all") if name != rundir.PAGE_FILE):
        # GIFs drawn earlier (animate.py) are drawn again with the new settings, never left stale.
        run = rundir.read_run(cell_dir, overrides + ["render.pictures=\"all\""])
    rendering.draw_run(run, cell_dir)
    rundir.write_config(cell_dir, run.config)
