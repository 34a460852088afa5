"""Run several experiments over many seeds each and compare how they end.

    python study.py experiments/study_optimizer_vs_layers.yaml [--set epochs=2000] [--output-dir DIR]

A study file names experiment files and a number of seeds. Each experiment is trained as one
run of that many seeds (see train.py) into <output>/runs/<experiment>/, and the study writes:
- final_error.png: each seed's final held-out error as a dot per experiment, the median and the
  10th-90th percentile spread, and the noise floor;
- table.md: median, 10th and 90th percentile final held-out error and the share of seeds that
  end within 10% of the noise floor, per experiment;
- summary.json: the same figures, machine-readable;
- report.html: a page to explore in a browser: every experiment's nets in step, their errors, each
  seed's final error, the table.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import signal
import sys
from pathlib import Path

if __name__ == "__main__":
    # A Ctrl-C while the libraries below load ends quietly: nothing has been done yet.
    signal.signal(signal.SIGINT, lambda *_: sys.exit(130))

import numpy as np
from pydantic import Field, ValidationError

import config as config_module
import outputs
import rundir
import train  # TensorFlow starts only when a run trains
from data import dataset_for
from config import ConfigError, PlainName, StrictModel, WholeNumber

STUDY_FILES = ("table.md", "summary.json", "final_error.png", rundir.PAGE_FILE)
# What a study's folder may hold: its own files and runs/, a folder of runs.
STUDY_OUTPUT = outputs.OutputKind("a study", frozenset(STUDY_FILES), "summary.json", "rows",
                                  collections={"runs": rundir.RUN_OUTPUT}, example="output/my_study")


class StudyConfig(StrictModel):
    """A study: experiment files (relative to the study file) and how many seeds to train each with."""

    name: PlainName | None = None
    seeds: WholeNumber = Field(50, ge=1, le=config_module.MAX_SEEDS)
    experiments: list[str] = Field(min_length=1)


def load_study(path: str | Path, overrides: list[str] | None = None) -> tuple[StudyConfig, list]:
    """The study and the ExperimentConfig of each of its experiments (with the study's seeds and overrides)."""
    path = Path(path)
    raw = config_module.read_yaml_mapping(path)
    if config_module.is_experiment(raw):
        raise ConfigError(f"{path}: is an experiment file, not a study (a study lists experiments:); "
                          f"train it with: python train.py --config {path}")
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
    # The study's number of seeds comes first, so that --set seeds=N (a quick look) overrides it.
    seeds = f"seeds={study.seeds}"
    experiments = [
        config_module.load_config(path.parent / name, [seeds] + list(overrides or []),
                                  {seeds: f"{path} (seeds: {study.seeds})"})
        for name in study.experiments
    ]
    names = [experiment.name for experiment in experiments]
    if len(set(names)) != len(names):
        renamed = [text for text in overrides or [] if config_module.parse_override(text)[0] == ["name"]]
        where = f"--set {renamed[-1]}" if renamed else str(path)
        raise ConfigError(f"{where}: the study's experiments must have different names (each is a folder "
                          f"of runs/), got {names}")
    return study.model_copy(update={"seeds": experiments[0].seeds}), experiments


def final_errors(summary: dict) -> np.ndarray:
    """Each seed's final held-out error from a seeded run's summary (NaN where it diverged)."""
    return np.array([np.nan if net["val_loss"] is None else net["val_loss"] for net in summary["nets"]])


def table_rows(summaries: list[dict]) -> list[dict]:
    """Per experiment: median, 10th and 90th percentile final held-out error, share at the floor."""
    rows = []
    for summary in summaries:
        errors = final_errors(summary)
        finite = errors[np.isfinite(errors)]
        # No finite error (every net diverged): null in summary.json, as a run's summary has it.
        low, median, high = (float(value) for value in np.percentile(finite, [10, 50, 90])) if len(finite) else (None,) * 3
        rows.append({
            "experiment": summary["name"], "trained": summary["trained"], "seeds": len(errors), "median": median,
            "p10": low, "p90": high, "share_at_noise_floor": summary["share_at_noise_floor"],
            "diverged": int(np.sum(~np.isfinite(errors))), "noise_floor": summary["noise_floor"],
        })
    return rows


def markdown_table(rows: list[dict]) -> str:
    lines = [
        "| experiment | seeds | median final held-out MSE | 10th percentile | 90th percentile | within 10% of the noise floor |",
        "|---|---|---|---|---|---|",
    ]
    for row in rows:
        diverged = f" ({row['diverged']} diverged)" if row["diverged"] else ""
        lines.append(
            f"| {row['experiment']} | {row['seeds']}{diverged} | {train.final_error_text(row['median'])} | {train.final_error_text(row['p10'])} | "
            f"{train.final_error_text(row['p90'])} | {share_text(row['share_at_noise_floor'])} |"
        )
    lines.append("")
    lines.append(floor_note(rows))
    return "\n".join(lines) + "\n"


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


def run_study(study: StudyConfig, experiments: list, output_dir: Path, progress: bool = True) -> list[dict]:
    """Train every experiment of the study over its seeds and write the study's pictures and table."""
    output_dir = outputs.destination_path(output_dir)
    outputs.check_destination(output_dir, STUDY_OUTPUT)
    for experiment in experiments:  # a mistake in any experiment's data_file, before the first trains
        dataset_for(experiment)
    summaries = []
    with outputs.staged_directory(output_dir, STUDY_OUTPUT) as partial:
        for experiment in experiments:
            outcome = train.train_and_write(experiment, partial / "runs" / experiment.name, progress=progress)
            summaries.append(outcome.summary)
            # Not the list of files: the study is not in place yet.
            print(train.describe_summary(summaries[-1], output_dir / "runs" / experiment.name, list_files=False),
                  flush=True)
            if outcome.drawing_error:
                landed = dataclasses.replace(outcome, run_dir=output_dir / "runs" / experiment.name)
                print(train.status_line(landed, landed.run_dir), file=sys.stderr, flush=True)
        rows = table_rows(summaries)
        (partial / "table.md").write_text(markdown_table(rows))
        (partial / "summary.json").write_text(json.dumps({"name": study.name, "seeds": study.seeds, "rows": rows},
                                                         indent=2) + "\n")
        from drawing.figures import draw_final_errors  # matplotlib, only once there is something to draw
        from drawing.page import study_page_html

        each = f"{study.seeds} seed{'s' if study.seeds > 1 else ''} each, {summaries[0]['epochs_requested']:,} epochs"
        draw_final_errors(rows, [final_errors(summary) for summary in summaries], partial / "final_error.png",
                          f"{study.name}: how each net ends, over {study.seeds} seeds", f"experiment ({each})")
        runs = [rundir.read_run(partial / "runs" / experiment.name) for experiment in experiments]
        links = [f"runs/{experiment.name}/{rundir.PAGE_FILE}" for experiment in experiments]
        (partial / rundir.PAGE_FILE).write_text(study_page_html(study.name, runs, rows, links, each), encoding="utf-8")
    return summaries


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run several experiments over many seeds and compare them.")
    parser.add_argument("study", help="a study file, e.g. experiments/study_optimizer_vs_layers.yaml")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                        help="override a value in every experiment, e.g. --set epochs=2000 (repeatable)")
    parser.add_argument("--output-dir", help="where to write the study (default: output/<name>)")
    parser.add_argument("--no-progress", action="store_true", help="do not show progress bars")
    arguments = parser.parse_args(argv)
    try:
        study, experiments = load_study(arguments.study, arguments.overrides)
        output_dir = (outputs.destination_path(arguments.output_dir) if arguments.output_dir is not None
                      else Path("output") / study.name)
        run_study(study, experiments, output_dir, progress=not arguments.no_progress)
    except ConfigError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\nabandoned: the study was not written", file=sys.stderr)
        return 130
    print((output_dir / "table.md").read_text())
    print(f"wrote {output_dir}/: table.md, final_error.png, report.html, summary.json, runs/")
    return 0


if __name__ == "__main__":
    signal.signal(signal.SIGINT, signal.default_int_handler)  # main() takes Ctrl-C from here on
    sys.exit(main())
