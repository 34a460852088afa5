"""Studies: several experiments, or a grid of settings, over many seeds each, and how they end.

A study file names experiment files, or a base experiment and a grid of values to vary (or both),
and a number of seeds. Each experiment, and each cell of the grid, is trained as one run of that
many seeds into <output>/runs/<name>/ (cells.py; trained by sweep.py's workers or on Ray,
ray_cells.py), and the study writes, from the cells on disk:
- table.md and summary.json: a row per cell (study_table.py), and which cells are still missing;
- final_error.png: each seed's final held-out error as a dot per experiment, the median and the
  10th-90th percentile spread, and the noise floor (a list of experiments);
- phase.png: the phase diagram of a grid (drawing/phase.py);
- report.html: a page to explore in a browser.

A cell already on disk with the same training settings is reused: running the same command again
after an interruption trains only the missing cells, and fresh starts over. No TensorFlow here.
"""

from __future__ import annotations

import contextlib
import json
import sys
import threading
import time
from pathlib import Path
from typing import Any

from pydantic import Field, ValidationError, model_validator

import cells as cells_module
import config as config_module
import destinations
import naming
import outputs
import ray_cells
import rundir
import sweep
from cells import RUNS, Cell
from config import ConfigError, ExperimentConfig, PlainName, RecordConfig, RenderConfig, StrictModel, WholeNumber
from data import dataset_for
from study_table import markdown_table, missing_lines, one_line, table_rows
from summaries import RunSummary, StudyRow, describe_run

SUMMARY_FILE, TABLE_FILE = outputs.SUMMARY_FILE, "table.md"  # the study's own summary.json: its rows mark it

STUDY_FILES = (TABLE_FILE, SUMMARY_FILE, "final_error.png", "phase.png", rundir.PAGE_FILE)
# What a study's folder may hold: its own files and runs/, a folder of runs.
STUDY_OUTPUT = outputs.OutputKind("a study", frozenset(STUDY_FILES), SUMMARY_FILE, "rows",
                                  collections={RUNS: rundir.RUN_OUTPUT}, example="output/my_study")


class StudyConfig(StrictModel):
    """A study: experiment files (relative to the study file), or a base experiment and a grid of
    values to vary in it, or both; and how many seeds to train each with."""

    name: PlainName | None = None
    seeds: WholeNumber = Field(50, ge=1, le=config_module.MAX_SEEDS)
    experiments: list[str] = Field(default_factory=list)
    base: str | None = None
    grid: dict[str, list[Any]] | None = None
    # What the cells record besides (record.curvature for every cell; --set record.curvature=...
    # wins). Unset, a cell works out no curvature unless its experiment file asks.
    record: RecordConfig = Field(default_factory=RecordConfig)
    # How the cells are drawn (render.pictures: all draws every cell's GIFs; --set render.pictures=all
    # wins). Unset, a cell gets its page alone (cells.as_study_cell).
    render: RenderConfig = Field(default_factory=RenderConfig)

    @model_validator(mode="after")
    def _cells_given(self):
        if self.grid is not None and self.base is None:
            raise ValueError("grid: needs base: the experiment file whose settings the grid varies")
        if self.base is not None and not self.grid:
            raise ValueError("base: needs grid: the settings to vary, e.g. grid: {learning_rate: [0.01, 0.1]}")
        if self.grid is not None and any(not values for values in self.grid.values()):
            raise ValueError("grid: every key needs a list of at least one value")
        if not self.experiments and self.base is None:
            raise ValueError("experiments: list at least one experiment file, or give base: and grid:")
        return self


def load_study(path: str | Path, overrides: list[str] | None = None) -> tuple[StudyConfig, list[Cell]]:
    """The study and its cells: each listed experiment, then each cell of the grid (with the
    study's seeds and overrides)."""
    path = Path(path)
    raw = config_module.read_yaml_mapping(path)
    if config_module.is_experiment(raw) and "grid" not in raw and "base" not in raw:
        raise ConfigError(f"{path}: is an experiment file, not a study (a study lists experiments: or a grid:); "
                          f"train it with: python train.py --config {path}")
    if isinstance(raw.get("grid"), dict):  # a single value is a grid of one: [value]
        raw = dict(raw, grid={key: value if isinstance(value, list) else [value] for key, value in raw["grid"].items()})
    try:
        study = StudyConfig.model_validate(raw)
    except ValidationError as error:
        raise ConfigError(config_module.error_lines(error, str(path), schema=StudyConfig)) from None
    if study.name is None:
        try:
            study = study.model_copy(update={"name": config_module.check_plain_name(path.stem)})
        except ValueError as error:
            raise ConfigError(f"{path}: the study is named after the file, and its name {error}; "
                              "set name: in the file") from None

    def overlaps(key_path: list[str], key: str) -> bool:  # optimizer_options and optimizer_options.momentum overlap
        parts = key.split(".")
        return key_path[:len(parts)] == parts or parts[:len(key_path)] == key_path

    for text in overrides or []:
        if config_module.parse_override(text)[0] == ["name"]:
            raise ConfigError(f"--set {text}: a study names its cells itself (each experiment's name, or its grid "
                              "values); to choose the study's folder, use --output-dir (or name: in the study file)")
    varied = list(study.grid or {})
    if any(naming.is_optimizer_choice("optimizer", value) for value in (study.grid or {}).get("optimizer", [])):
        varied.append("optimizer_options")  # an optimizer given with its options sets them
    for text in overrides or []:
        key_path = config_module.parse_override(text)[0]
        for key in varied:
            if overlaps(key_path, key):
                raise ConfigError(f"--set {text}: the study's grid varies {key}; change its values in the study file")
    # The study's number of seeds comes first, so that --set seeds=N (a quick look) overrides it.
    seeds = f"seeds={study.seeds}"
    labels = {seeds: f"{path} (seeds: {study.seeds})"}
    cells = [Cell(experiment.name, experiment) for experiment in (
        config_module.load_config(path.parent / name, [seeds] + list(overrides or []), labels)
        for name in study.experiments)]
    if study.grid:
        cells += cells_module.grid_cells(path, study.base, study.grid, [seeds] + list(overrides or []))
    names = [cell.name for cell in cells]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise ConfigError(f"{path}: the study's cells must have different names (each is a folder of runs/), "
                          f"and {', '.join(repeated[:5])} {'is' if len(repeated) == 1 else 'are'} given to more than "
                          "one: rename an experiment (name:), or make grid values differ in how they are written")
    cells = [Cell(cell.name, with_study_drawing(cell.config, study, overrides or []), cell.settings) for cell in cells]
    cells = [Cell(cell.name, cells_module.as_study_cell(cell.config), cell.settings) for cell in cells]
    return study.model_copy(update={"seeds": cells[0].config.seeds}), cells


def with_study_drawing(config: ExperimentConfig, study: StudyConfig, overrides: list[str]) -> ExperimentConfig:
    """A cell's config with the render and record settings the study file gives (render.pictures,
    record.curvature, ...), each unless --set gives it too: the command line wins."""
    given = {tuple(config_module.parse_override(text)[0][:2]) for text in overrides}
    update = {}
    for section in ("render", "record"):
        chosen = getattr(study, section)
        settings = {key: getattr(chosen, key) for key in chosen.model_fields_set if (section, key) not in given}
        if settings:
            update[section] = getattr(config, section).model_copy(update=settings)
    return config.model_copy(update=update) if update else config


class StudyInterrupted(KeyboardInterrupt):
    """A Ctrl-C (or a kill) ended the study's training; its table was written from the cells
    finished by then (outcome)."""

    def __init__(self, outcome: "StudyOutcome"):
        super().__init__()
        self.outcome = outcome


def run_study(study: StudyConfig, cells: list[Cell], output_dir: Path, progress: bool = True,
              ray_address: str | None = None, fresh: bool = False, jobs: int = sweep.CELLS_AT_ONCE,
              replace: bool = False) -> "StudyOutcome":
    """Train the study's cells that are not on disk yet (here, or on the Ray cluster at
    ray_address), then write its table, summary, pictures and page from every cell on disk; an
    interruption (Ctrl-C) still writes them, from the cells finished by then, and raises
    StudyInterrupted. A finished cell of other training settings is replaced only with replace
    (or fresh, which trains every cell again); otherwise nothing is trained and ConfigError says
    which cells differ and how."""
    output_dir = outputs.destination_path(output_dir)
    outputs.check_destination(output_dir, STUDY_OUTPUT)
    earlier = earlier_study_name(output_dir)
    if earlier is not None and earlier != study.name:
        raise ConfigError(f"{output_dir} holds the study {earlier}, not {study.name}: their cells would mix; "
                          f"choose another --output-dir, e.g. --output-dir output/{study.name}")
    for cell in cells:  # a mistake in any experiment's data_file, before the first trains
        dataset_for(cell.config)
    if ray_address is not None:
        ray_cells.import_ray()  # before anything is written: how to install it, if it is not there
    runs_dir = output_dir / RUNS
    # --fresh trains every cell again; each replaces its earlier run only once it is finished.
    found = {cell.name: None if fresh else cells_module.reusable(runs_dir / cell.name, cell.config) for cell in cells}
    if not (fresh or replace):
        check_no_other_settings(output_dir, [cell for cell in cells if found[cell.name] is None])
    to_train = [cell for cell in cells if found[cell.name] is None]
    to_redraw = [cell for cell in cells if found[cell.name] == "redraw"]
    before = {cell.name: outputs.folder_identity(runs_dir / cell.name) for cell in to_train}
    reused = len(cells) - len(to_train)
    if ray_address is not None and to_train:
        ray_cells.connect_ray(ray_address)  # before anything is written: a cluster that cannot be reached
    failed: dict[str, str] = {}
    ended: set[str] = set()
    interrupted = False
    output_dir.mkdir(parents=True, exist_ok=True)
    with outputs.used_alone(output_dir, STUDY_OUTPUT):
        try:
            sweep.remove_leftovers(runs_dir)
            if not (output_dir / SUMMARY_FILE).is_file():  # the folder is a study's from now on
                outputs.write_atomically(output_dir / SUMMARY_FILE, summary_text(study, [], [cell.name for cell in cells], {}))
            print(f"{study.name}: {len(cells)} cell{'s' if len(cells) > 1 else ''} of {study.seeds} "
                  f"seed{'s' if study.seeds > 1 else ''}; {reused} reused from an earlier run of this study"
                  f"{f' ({len(to_redraw)} to redraw)' if to_redraw else ''}, {len(to_train)} to train"
                  f"{' on Ray at ' + ray_address if ray_address and to_train else ''}", flush=True)
            for cell in to_redraw:
                try:
                    cells_module.redraw(runs_dir / cell.name, cell.config)
                except Exception as error:  # noqa: BLE001  a drawing failure costs no cell, and not the study
                    print(f"{cell.name}: could not be redrawn ({type(error).__name__}: {error}); its earlier "
                          "pictures stay", file=sys.stderr)
            if to_train:
                train_cells(to_train, runs_dir, ray_address, progress, failed, jobs, ended)
        except KeyboardInterrupt:
            interrupted = True
        finally:
            # A Ctrl-C (or a kill) while the table is written would leave it half old: held off until
            # it is done, and then it ends the study as any other.
            try:
                with outputs.signals_held():
                    outcome = write_study(study, cells, output_dir, failed)
            except KeyboardInterrupt:
                interrupted = True
    outcome.reused = reused
    # A cell that landed just as the study was stopped, before its worker said so, is not dropped.
    outcome.dropped = [cell.name for cell in to_train if cell.name not in ended
                       and outputs.folder_identity(runs_dir / cell.name) == before[cell.name]]
    if interrupted:
        raise StudyInterrupted(outcome)
    return outcome


def check_no_other_settings(output_dir: Path, cells: list[Cell]) -> None:
    """Refuse to train cells whose folder holds a finished run of other training settings (the
    study file or an experiment was edited since): say which, and how to keep or replace them."""
    others = {cell.name: destinations.other_settings(output_dir / RUNS / cell.name, cell.config) for cell in cells}
    others = {name: difference for name, difference in others.items() if difference is not None}
    if others:
        listed = "; ".join(f"{name} ({difference})" for name, difference in list(others.items())[:3])
        more = f"; and {len(others) - 3} more" if len(others) > 3 else ""
        raise ConfigError(f"{output_dir} holds finished cells of other settings: {listed}{more}; keep them by writing "
                          f"this study elsewhere (--output-dir), or replace them with --replace")


def earlier_study_name(output_dir: Path) -> str | None:
    """The name of the study an output folder already holds, if any."""
    try:
        return json.loads((output_dir / SUMMARY_FILE).read_text()).get("name")
    except (OSError, ValueError, AttributeError):
        return None


def train_cells(cells: list[Cell], runs_dir: Path, ray_address: str | None, progress: bool,
                failed: dict[str, str], jobs: int = sweep.CELLS_AT_ONCE, ended: set[str] | None = None) -> None:
    """Train cells, with a progress bar over them (and an estimate of the time left); a cell that
    fails is recorded in `failed` with why, and every cell that ends (trained or failed) in `ended`."""
    ended = set() if ended is None else ended
    from tqdm import tqdm

    results = (ray_cells.train_on_ray(cells, runs_dir, ray_address) if ray_address is not None
               else sweep.train_here(cells, runs_dir, jobs))
    # What the study draws once its cells are trained is imported meanwhile (a second of matplotlib).
    threading.Thread(target=import_drawing, daemon=True, name="drawing import").start()
    started = time.perf_counter()
    # closing: however this ends, the workers are stopped now, not whenever the generator is collected.
    with contextlib.closing(results), tqdm(total=len(cells), unit="cell", disable=not progress,
                                           dynamic_ncols=True) as bar:
        for done, result in enumerate(results, start=1):
            bar.update(1)
            ended.add(result.cell.name)
            if result.summary is None:
                failed[result.cell.name] = result.error or "failed"
                twice = " twice" if ray_address is not None else ""
                bar.write(f"{result.cell.name}: failed{twice}, left out ({failed[result.cell.name]})", file=sys.stderr)
                continue
            line = describe_run(result.summary, runs_dir / result.cell.name)
            bar.write(f"[{done}/{len(cells)}, {time.perf_counter() - started:.0f} s] {line}")
            if result.error:  # trained and written, but a picture could not be drawn
                bar.write(f"{result.cell.name}: its pictures could not be drawn ({result.error}); redraw with: "
                          f"python animate.py {runs_dir / result.cell.name}", file=sys.stderr)


def import_drawing() -> None:
    from drawing import figures, page, page_grid, phase  # noqa: F401


class StudyOutcome:
    """What the study holds after an invocation: its rows, the cells missing, those that failed."""

    def __init__(self, rows: list[StudyRow], missing: list[str], failed: dict[str, str], written: list[str]):
        self.rows, self.missing, self.failed, self.written = rows, missing, failed, written
        self.reused = 0
        self.dropped: list[str] = []  # cells an interruption kept from being trained (again)


def summary_text(study: StudyConfig, rows: list[StudyRow], missing: list[str], failed: dict[str, str],
                 grid_cells: int = 0) -> str:
    return json.dumps({"name": study.name, "seeds": study.seeds, "grid": study.grid, "grid_cells": grid_cells,
                       "rows": [row.to_json() for row in rows], "missing": missing, "failed": failed}, indent=2) + "\n"


def write_study(study: StudyConfig, cells: list[Cell], output_dir: Path, failed: dict[str, str]) -> StudyOutcome:
    """table.md, summary.json, the pictures and report.html, from the cells on disk that belong
    to the study as it is now (a cell trained with other settings is left out, and kept)."""
    runs_dir = output_dir / RUNS
    runs = {}  # each cell's run, read once; a grid's less what its page does not draw (many are held at once)
    for cell in cells:
        found, run = cells_module.reusable_run(runs_dir / cell.name, cell.config)
        if found is not None and cell.settings:
            from drawing.page_grid import slim  # matplotlib, only once there is something to draw

            run = slim(run)
        if found is not None:
            runs[cell.name] = run
    present = [cell for cell in cells if cell.name in runs]
    missing = [cell.name for cell in cells if cell not in present]
    summaries = [RunSummary.model_validate_json((runs_dir / cell.name / rundir.SUMMARY_FILE).read_text()) for cell in present]
    rows = table_rows(summaries, [cell.settings for cell in present])
    grid_cells = sum(1 for cell in cells if cell.settings)
    outputs.write_atomically(output_dir / TABLE_FILE, markdown_table(rows, missing, failed))
    outputs.write_atomically(output_dir / SUMMARY_FILE, summary_text(study, rows, missing, failed, grid_cells))
    written = [TABLE_FILE, SUMMARY_FILE]
    if not rows:
        remove_stale(output_dir, written)
        return StudyOutcome(rows, missing, failed, written)
    from drawing import phase
    from drawing.figures import draw_final_errors  # matplotlib, only once there is something to draw
    from drawing.page import study_page_html
    from drawing.page_grid import grid_page_html

    epochs = (f"{summaries[0].epochs_requested:,} epochs" if len({summary.epochs_requested for summary in summaries}) == 1
              else "")
    each = ", ".join(filter(None, [f"{study.seeds} seed{'s' if study.seeds > 1 else ''} each", epochs]))
    listed = [index for index, row in enumerate(rows) if not row.settings]
    in_grid = [rows[index] for index, row in enumerate(rows) if row.settings]
    pictures = []
    if in_grid:
        pictures.append(("phase.png", lambda path: phase.draw_phase_png(
            in_grid, study.grid, path, f"{study.name}: {len(in_grid)} of {grid_cells} cells, {each}")))
    rates = all(row.classifies for row in rows)  # classifiers: by their held-out error rates
    if listed:
        pictures.append(("final_error.png", lambda path: draw_final_errors(
            [rows[index] for index in listed],
            [100 * summaries[index].final_held_out_error_rates() if rates else summaries[index].final_held_out_errors()
             for index in listed], path,
            f"{study.name}: how each net ends, over {study.seeds} seeds", f"experiment ({each})", rates=rates)))
    drawn = {}
    for name, draw in pictures:
        with outputs.written_in_place(output_dir / name) as temporary:
            drawn[name] = draw(temporary)
        written.append(name)
    links = [cell_page(cell.name) for cell in present]
    notes = missing_lines(missing, failed)
    # Runs of one input and of two are not shown on one page (a grid over the problem): the table links them.
    kinds = {cell.config.is_plane for cell in present}
    if in_grid and len(kinds) == 1:  # where each cell lies in phase.png: the page marks the chosen one on it
        page = grid_page_html(study.name, each, study.grid, grid_page_cells(study.grid, rows, runs, failed), rows,
                              links, (output_dir / "phase.png").read_bytes(), drawn["phase.png"], notes)
    else:  # (nor are listed runs of two inputs stepped through together: the table links their pages)
        in_step = [runs[cell.name] for cell in present] if len(present) <= MAX_IN_STEP and kinds == {False} else None
        page = study_page_html(study.name, in_step, rows, links, each, notes)
    outputs.write_atomically(output_dir / rundir.PAGE_FILE, page)
    written.append(rundir.PAGE_FILE)
    remove_stale(output_dir, written)
    return StudyOutcome(rows, missing, failed, written)


def cell_page(name: str) -> str:
    """A cell's own page, as the study's page links it."""
    return f"{RUNS}/{name}/{rundir.PAGE_FILE}"


def grid_page_cells(grid: dict[str, list[Any]], rows: list[StudyRow], runs: dict[str, rundir.Run],
                    failed: dict[str, str]) -> list:
    """Every combination of the grid's values as the study's page shows it (page_grid.GridCell): a
    cell in the table with its run (of runs, by name; less what the page does not draw), any other
    missing, with why."""
    from drawing.page_grid import GridCell, grid_combinations, slim
    from drawing.phase import settings_key

    by_settings = {settings_key(row.settings, grid): row for row in rows if row.settings}
    cells = []
    for settings in grid_combinations(grid):
        row = by_settings.get(settings_key(settings, grid))
        if row is not None:
            cells.append(GridCell(settings, row.experiment, cell_page(row.experiment),
                                  slim(runs[row.experiment]), row))  # slim: as the page draws it
            continue
        name = cells_module.cell_name(settings)
        why = (f"failed ({one_line(failed[name])}), left out" if name in failed
               else "not trained yet; run the same command again to train it")
        cells.append(GridCell(settings, name, cell_page(name), missing=why))
    return cells


def is_study_folder(folder: Path) -> bool:
    """Whether folder holds a study's output (its summary.json, with the rows of its table)."""
    return outputs.holds_marker(folder / SUMMARY_FILE, "rows")


def redraw_study(output_dir: Path) -> StudyOutcome:
    """Write a study's table, summary, pictures and page again from its folder alone (animate.py on
    a study): the cells its summary.json names, as they are on disk now. The cells' own pictures
    are left as they are (animate.py on a cell redraws those)."""
    try:
        written = json.loads((output_dir / SUMMARY_FILE).read_text())
        rows = [StudyRow.model_validate(row) for row in written["rows"]]
        missing, failed = list(written["missing"]), dict(written["failed"])
        study = StudyConfig.model_construct(name=written["name"], seeds=written["seeds"], grid=written["grid"],
                                            experiments=[], base=None)
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise ConfigError(f"{output_dir / SUMMARY_FILE} cannot be read as a study's ({type(error).__name__}: {error}); "
                          "run the study again to write it") from None
    runs_dir = output_dir / RUNS
    cells = []
    for row in rows:
        try:
            cells.append(Cell(row.experiment, rundir.run_config(runs_dir / row.experiment, []), row.settings))
        except (ConfigError, OSError):
            missing.append(row.experiment)  # gone, or unreadable, since
    if not cells:
        raise ConfigError(f"{output_dir}: none of the study's cells is on disk; run the study to train them")
    # A cell not trained yet has no config on disk: one that matches no folder stands in for it.
    absent = cells[0].config.model_copy(update={"epochs": cells[0].config.epochs + 1})
    grid_missing = max(0, written.get("grid_cells", 0) - sum(1 for cell in cells if cell.settings))
    for index, name in enumerate(missing):
        cells.append(Cell(name, absent.model_copy(update={"name": name}), {"missing": True} if index < grid_missing else {}))
    return write_study(study, cells, output_dir, failed)


def remove_stale(output_dir: Path, written: list[str]) -> None:
    """Remove the study's own pictures and page that this invocation did not write (a phase.png of
    cells no longer there): what is in the folder is what the table says."""
    for name in STUDY_FILES:
        if name not in written:
            (output_dir / name).unlink(missing_ok=True)


# A study's page of listed experiments steps through their fits together up to this many (as
# compare does); beyond, it shows its table, each linked to its own page. A grid's page shows the
# cell its controls choose (drawing/page_grid.py).
MAX_IN_STEP = 9


def default_folder(study_path: Path, study: StudyConfig, cells: list[Cell], overrides: list[str]) -> Path:
    """output/<name>; where --set changes a training setting, a folder that says what it changes
    (output/study_optimizer_vs_layers_seeds5_epochs2000), so that a quick look never replaces the
    study as written."""
    differing = {}
    try:
        as_written = load_study(study_path)[1] if overrides else cells
    except ConfigError:  # the file is valid only with its overrides: name them all
        as_written = None
    for index, cell in enumerate(cells):
        if as_written is not None:
            changes = naming.differing_settings(as_written[index].config, cell.config)
        else:
            given = [".".join(config_module.parse_override(text)[0]) for text in overrides]
            changes = {key: value for key, value in naming.flattened(naming.training_settings(cell.config)).items()
                       if any(key == prefix or key.startswith(prefix + ".") for prefix in given)}
        for key, value in changes.items():
            differing.setdefault(key, value)
    order = dict.fromkeys(key for cell in cells for key in naming.flattened(naming.training_settings(cell.config)))
    return Path("output") / naming.folder_name(study.name, {key: differing[key] for key in order if key in differing})
