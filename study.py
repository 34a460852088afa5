"""Run several experiments, or a grid of settings, over many seeds each and compare how they end.

    python study.py experiments/study_optimizer_vs_layers.yaml [--set epochs=2000] [--output-dir DIR]
    python study.py experiments/sweep_sgd_escape.yaml [--ray auto | --ray HOST:PORT] [--fresh]

A study file names experiment files, or a base experiment and a grid of values to vary (or both),
and a number of seeds. Each experiment, and each cell of the grid, is trained as one run of that
many seeds into <output>/runs/<name>/ (see sweep.py), and the study writes, from the cells on disk:
- table.md: median, 10th and 90th percentile final held-out error, the share of seeds that end
  within 10% of the noise floor and the seeds that diverged, a row per cell, and which cells are
  still missing;
- summary.json: the same figures, machine-readable;
- final_error.png: each seed's final held-out error as a dot per experiment, the median and the
  10th-90th percentile spread, and the noise floor (a list of experiments);
- phase.png: the phase diagram of a grid (drawing/phase.py);
- report.html: a page to explore in a browser.

A cell already on disk with the same training settings is reused: running the same command again
after an interruption trains only the missing cells, and --fresh starts over.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import signal
import sys
import time
from pathlib import Path
from typing import Any

if __name__ == "__main__":
    # A Ctrl-C while the libraries below load: nothing has been done yet.
    signal.signal(signal.SIGINT, lambda *_: (print("\ninterrupted before the study began: nothing was written", file=sys.stderr),
                                             sys.exit(130)))

import numpy as np
from pydantic import Field, ValidationError, model_validator

import config as config_module
import naming
import outputs
import rundir
import sweep
import train  # TensorFlow starts only when a run trains
from data import dataset_for
from config import ConfigError, PlainName, StrictModel, WholeNumber
from sweep import Cell

STUDY_FILES = ("table.md", "summary.json", "final_error.png", "phase.png", rundir.PAGE_FILE)
# What a study's folder may hold: its own files and runs/, a folder of runs.
STUDY_OUTPUT = outputs.OutputKind("a study", frozenset(STUDY_FILES), "summary.json", "rows",
                                  collections={sweep.RUNS: rundir.RUN_OUTPUT}, example="output/my_study")


class StudyConfig(StrictModel):
    """A study: experiment files (relative to the study file), or a base experiment and a grid of
    values to vary in it, or both; and how many seeds to train each with."""

    name: PlainName | None = None
    seeds: WholeNumber = Field(50, ge=1, le=config_module.MAX_SEEDS)
    experiments: list[str] = Field(default_factory=list)
    base: str | None = None
    grid: dict[str, list[Any]] | None = None

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
        cells += sweep.grid_cells(path, study.base, study.grid, [seeds] + list(overrides or []))
    names = [cell.name for cell in cells]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise ConfigError(f"{path}: the study's cells must have different names (each is a folder of runs/), "
                          f"and {', '.join(repeated[:5])} {'is' if len(repeated) == 1 else 'are'} given to more than "
                          "one: rename an experiment (name:), or make grid values differ in how they are written")
    return study.model_copy(update={"seeds": cells[0].config.seeds}), cells


def final_errors(summary: dict) -> np.ndarray:
    """Each seed's final held-out error from a seeded run's summary (NaN where it diverged)."""
    return np.array([np.nan if net["val_loss"] is None else net["val_loss"] for net in summary["nets"]])


def table_rows(summaries: list[dict], settings: list[dict] | None = None) -> list[dict]:
    """Per cell: median, 10th and 90th percentile final held-out error, share at the floor, and
    the grid's values that made it (settings, where it is a cell of a grid)."""
    rows = []
    for summary, cell_settings in zip(summaries, settings or [{}] * len(summaries)):
        errors = final_errors(summary)
        finite = errors[np.isfinite(errors)]
        # No finite error (every net diverged): null in summary.json, as a run's summary has it.
        low, median, high = (float(value) for value in np.percentile(finite, [10, 50, 90])) if len(finite) else (None,) * 3
        rows.append({
            "experiment": summary["name"], "trained": summary["trained"], "settings": cell_settings,
            "seeds": len(errors), "median": median, "p10": low, "p90": high,
            "share_at_noise_floor": summary["share_at_noise_floor"],
            "diverged": int(np.sum(~np.isfinite(errors))), "noise_floor": summary["noise_floor"],
        })
    return rows


def markdown_table(rows: list[dict], missing: list[str] = (), failed: dict[str, str] | None = None) -> str:
    """table.md: a row per cell (with a column per grid key, if any), then the noise floor, and
    the cells not in it yet."""
    keys = list(dict.fromkeys(key for row in rows for key in row["settings"]))
    lines = [
        "| experiment | " + "".join(f"{key} | " for key in keys) + "seeds | median final held-out MSE | "
        "10th percentile | 90th percentile | within 10% of the noise floor |",
        "|---|" + "---|" * len(keys) + "---|---|---|---|---|",
    ]
    for row in rows:
        diverged = f" ({row['diverged']} diverged)" if row["diverged"] else ""
        values = "".join(f"{naming.value_label(key, row['settings'][key]) if key in row['settings'] else ''} | "
                         for key in keys)
        lines.append(
            f"| {row['experiment']} | {values}{row['seeds']}{diverged} | {train.final_error_text(row['median'])} | "
            f"{train.final_error_text(row['p10'])} | {train.final_error_text(row['p90'])} | "
            f"{share_text(row['share_at_noise_floor'])} |"
        )
    lines.append("")
    lines.append(floor_note(rows) if rows else "No cell is finished yet.")
    lines += missing_lines(missing, failed or {})
    return "\n".join(lines) + "\n"



def missing_lines(missing: list[str], failed: dict[str, str]) -> list[str]:
    """What table.md and the console say of the cells not in the table."""
    lines = []
    if failed:
        lines.append("")
        lines.append(f"{len(failed)} cell{'s' if len(failed) > 1 else ''} failed and {'are' if len(failed) > 1 else 'is'} "
                     "left out: " + "; ".join(f"{name} ({why})" for name, why in failed.items()))
    waiting = [name for name in missing if name not in failed]
    if waiting:
        lines.append("")
        lines.append(f"{len(waiting)} cell{'s' if len(waiting) > 1 else ''} still missing (run the same command "
                     "again to train only these): " + ", ".join(waiting))
    return lines


def share_text(share: float | None) -> str:
    return "noise floor unknown" if share is None else f"{100 * share:.0f}%"


def floor_note(rows: list[dict]) -> str:
    """What the table's noise floor is: the held-out error of the true function itself, where known."""
    floors = {row["noise_floor"] for row in rows}
    if floors == {None}:
        return "Noise floor unknown: the points came from a file, whose noise is not known."
    if len(floors) == 1:
        return f"Noise floor σ² = {rows[0]['noise_floor']:g}: the held-out error of the true function itself."
    known = ", ".join(f"{row['experiment']} {row['noise_floor']:g}" for row in rows if row["noise_floor"] is not None)
    unknown = "; unknown for the others (points from a file)" if None in floors else ""
    return f"Noise floors σ², the held-out error of each true function itself: {known}{unknown}."


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
        sweep.import_ray()  # before anything is written: how to install it, if it is not there
    runs_dir = output_dir / sweep.RUNS
    # --fresh trains every cell again; each replaces its earlier run only once it is finished.
    found = {cell.name: None if fresh else sweep.reusable(runs_dir / cell.name, cell.config) for cell in cells}
    if not (fresh or replace):
        check_no_other_settings(output_dir, [cell for cell in cells if found[cell.name] is None])
    to_train = [cell for cell in cells if found[cell.name] is None]
    to_redraw = [cell for cell in cells if found[cell.name] == "redraw"]
    reused = len(cells) - len(to_train)
    if ray_address is not None and to_train:
        sweep.connect_ray(ray_address)  # before anything is written: a cluster that cannot be reached
    failed: dict[str, str] = {}
    ended: set[str] = set()
    interrupted = False
    output_dir.mkdir(parents=True, exist_ok=True)
    with outputs.used_alone(output_dir, STUDY_OUTPUT):
        try:
            sweep.remove_leftovers(runs_dir)
            if not (output_dir / "summary.json").is_file():  # the folder is a study's from now on
                write_file(output_dir / "summary.json", summary_text(study, [], [cell.name for cell in cells], {}))
            print(f"{study.name}: {len(cells)} cell{'s' if len(cells) > 1 else ''} of {study.seeds} "
                  f"seed{'s' if study.seeds > 1 else ''}; {reused} reused from an earlier run of this study"
                  f"{f' ({len(to_redraw)} to redraw)' if to_redraw else ''}, {len(to_train)} to train"
                  f"{' on Ray at ' + ray_address if ray_address and to_train else ''}", flush=True)
            for cell in to_redraw:
                try:
                    sweep.redraw(runs_dir / cell.name, cell.config)
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
    outcome.dropped = [cell.name for cell in to_train if cell.name not in ended]
    if interrupted:
        raise StudyInterrupted(outcome)
    return outcome


def check_no_other_settings(output_dir: Path, cells: list[Cell]) -> None:
    """Refuse to train cells whose folder holds a finished run of other training settings (the
    study file or an experiment was edited since): say which, and how to keep or replace them."""
    others = {cell.name: rundir.other_settings(output_dir / sweep.RUNS / cell.name, cell.config) for cell in cells}
    others = {name: difference for name, difference in others.items() if difference is not None}
    if others:
        listed = "; ".join(f"{name} ({difference})" for name, difference in list(others.items())[:3])
        more = f"; and {len(others) - 3} more" if len(others) > 3 else ""
        raise ConfigError(f"{output_dir} holds finished cells of other settings: {listed}{more}; keep them by writing "
                          f"this study elsewhere (--output-dir), or replace them with --replace")


def earlier_study_name(output_dir: Path) -> str | None:
    """The name of the study an output folder already holds, if any."""
    try:
        return json.loads((output_dir / "summary.json").read_text()).get("name")
    except (OSError, ValueError, AttributeError):
        return None


def train_cells(cells: list[Cell], runs_dir: Path, ray_address: str | None, progress: bool,
                failed: dict[str, str], jobs: int = sweep.CELLS_AT_ONCE, ended: set[str] | None = None) -> None:
    """Train cells, with a progress bar over them (and an estimate of the time left); a cell that
    fails is recorded in `failed` with why, and every cell that ends (trained or failed) in `ended`."""
    ended = set() if ended is None else ended
    from tqdm import tqdm

    results = (sweep.train_on_ray(cells, runs_dir, ray_address) if ray_address is not None
               else sweep.train_here(cells, runs_dir, jobs))
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
            line = train.describe_summary(result.summary, runs_dir / result.cell.name, list_files=False)
            bar.write(f"[{done}/{len(cells)}, {time.perf_counter() - started:.0f} s] {line}")
            if result.error:  # trained and written, but a picture could not be drawn
                bar.write(f"{result.cell.name}: its pictures could not be drawn ({result.error}); redraw with: "
                          f"python animate.py {runs_dir / result.cell.name}", file=sys.stderr)


class StudyOutcome:
    """What the study holds after an invocation: its rows, the cells missing, those that failed."""

    def __init__(self, rows: list[dict], missing: list[str], failed: dict[str, str], written: list[str]):
        self.rows, self.missing, self.failed, self.written = rows, missing, failed, written
        self.reused = 0
        self.dropped: list[str] = []  # cells an interruption kept from being trained (again)


def write_file(path: Path, content: str | bytes) -> None:
    """Write a study's file under a temporary name, then move it into place."""
    temporary = outputs.temporary_path(path)
    try:
        temporary.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
        temporary.replace(path)
    finally:
        temporary.unlink(missing_ok=True)


def summary_text(study: StudyConfig, rows: list[dict], missing: list[str], failed: dict[str, str],
                 grid_cells: int = 0) -> str:
    return json.dumps({"name": study.name, "seeds": study.seeds, "grid": study.grid, "grid_cells": grid_cells,
                       "rows": rows, "missing": missing, "failed": failed}, indent=2) + "\n"


def write_study(study: StudyConfig, cells: list[Cell], output_dir: Path, failed: dict[str, str]) -> StudyOutcome:
    """table.md, summary.json, the pictures and report.html, from the cells on disk that belong
    to the study as it is now (a cell trained with other settings is left out, and kept)."""
    runs_dir = output_dir / sweep.RUNS
    present = [cell for cell in cells if sweep.reusable(runs_dir / cell.name, cell.config) is not None]
    missing = [cell.name for cell in cells if cell not in present]
    summaries = [json.loads((runs_dir / cell.name / rundir.SUMMARY_FILE).read_text()) for cell in present]
    rows = table_rows(summaries, [cell.settings for cell in present])
    grid_cells = sum(1 for cell in cells if cell.settings)
    write_file(output_dir / "table.md", markdown_table(rows, missing, failed))
    write_file(output_dir / "summary.json", summary_text(study, rows, missing, failed, grid_cells))
    written = ["table.md", "summary.json"]
    if not rows:
        remove_stale(output_dir, written)
        return StudyOutcome(rows, missing, failed, written)
    from drawing import phase
    from drawing.figures import draw_final_errors  # matplotlib, only once there is something to draw
    from drawing.page import study_page_html

    epochs = f"{summaries[0]['epochs_requested']:,} epochs" if len({s["epochs_requested"] for s in summaries}) == 1 else ""
    each = ", ".join(filter(None, [f"{study.seeds} seed{'s' if study.seeds > 1 else ''} each", epochs]))
    listed = [index for index, row in enumerate(rows) if not row["settings"]]
    in_grid = [rows[index] for index, row in enumerate(rows) if row["settings"]]
    pictures = []
    if in_grid:
        pictures.append(("phase.png", lambda path: phase.draw_phase_png(
            in_grid, study.grid, path, f"{study.name}: {len(in_grid)} of {grid_cells} cells, {each}")))
    if listed:
        pictures.append(("final_error.png", lambda path: draw_final_errors(
            [rows[index] for index in listed], [final_errors(summaries[index]) for index in listed], path,
            f"{study.name}: how each net ends, over {study.seeds} seeds", f"experiment ({each})")))
    for name, draw in pictures:
        temporary = outputs.temporary_path(output_dir / name)
        try:
            draw(temporary)
            temporary.replace(output_dir / name)
        finally:
            temporary.unlink(missing_ok=True)
        written.append(name)
    links = [f"{sweep.RUNS}/{cell.name}/{rundir.PAGE_FILE}" for cell in present]
    phase_png = (output_dir / "phase.png").read_bytes() if in_grid else None
    runs = [rundir.read_run(runs_dir / cell.name) for cell in present] if len(present) <= MAX_IN_STEP else None
    write_file(output_dir / rundir.PAGE_FILE, study_page_html(study.name, runs, rows, links, each, phase_png,
                                                              missing_lines(missing, failed)))
    written.append(rundir.PAGE_FILE)
    remove_stale(output_dir, written)
    return StudyOutcome(rows, missing, failed, written)


def is_study_folder(folder: Path) -> bool:
    """Whether folder holds a study's output (its summary.json, with the rows of its table)."""
    return outputs.holds_marker(folder / "summary.json", "rows")


def redraw_study(output_dir: Path) -> StudyOutcome:
    """Write a study's table, summary, pictures and page again from its folder alone (animate.py on
    a study): the cells its summary.json names, as they are on disk now. The cells' own pictures
    are left as they are (animate.py on a cell redraws those)."""
    try:
        written = json.loads((output_dir / "summary.json").read_text())
        rows, missing, failed = written["rows"], list(written["missing"]), dict(written["failed"])
        study = StudyConfig.model_construct(name=written["name"], seeds=written["seeds"], grid=written["grid"],
                                            experiments=[], base=None)
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise ConfigError(f"{output_dir}/summary.json cannot be read as a study's ({type(error).__name__}: {error}); "
                          "run the study again to write it") from None
    runs_dir = output_dir / sweep.RUNS
    cells = []
    for row in rows:
        try:
            cells.append(Cell(row["experiment"], rundir.run_config(runs_dir / row["experiment"], []), row["settings"]))
        except (ConfigError, OSError):
            missing.append(row["experiment"])  # gone, or unreadable, since
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


# A study's page steps through its cells' fits together up to this many cells (as compare does);
# beyond, it shows its phase diagram and table, each cell linked to its own page.
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
        print((output_dir / "table.md").read_text())
        print(f"wrote {output_dir}/: {', '.join(outcome.written)}, {sweep.RUNS}/")
        if interruptions.late:
            print("the Ctrl-C came once every cell was trained: nothing was left out", file=sys.stderr)
        return 1 if outcome.failed or outcome.missing else 0  # a cell failed, or its worker died


if __name__ == "__main__":
    status = main()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # it is over, and said so: a Ctrl-C while Python exits changes nothing
    sys.exit(status)
