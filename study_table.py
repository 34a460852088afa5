"""A study's table: per cell, the median, 10th and 90th percentile final held-out error over its
seeds, the share of seeds that end within 10% of the noise floor, how many diverged, and the median
final training error (under the floor where the nets fit the noise); as rows
(summary.json) and as table.md. No TensorFlow, no matplotlib.
"""

from __future__ import annotations

import numpy as np

import naming
from summaries import AT_FLOOR_WORDS, NO_FLOOR_NOTE, RunSummary, StudyRow, final_error_text, share_text


def table_rows(summaries: list[RunSummary], settings: list[dict] | None = None) -> list[StudyRow]:
    """Per cell: median, 10th and 90th percentile final held-out error, share at the floor, and
    the grid's values that made it (settings, where it is a cell of a grid)."""
    rows = []
    for summary, cell_settings in zip(summaries, settings or [{}] * len(summaries)):
        errors = summary.final_held_out_errors()
        finite = errors[np.isfinite(errors)]
        training_errors = np.array([np.nan if net.loss is None else net.loss for net in summary.nets], dtype=np.float64)
        finite_training = training_errors[np.isfinite(training_errors)]
        # No finite error (every net diverged): null in summary.json, as a run's summary has it.
        low, median, high = (float(value) for value in np.percentile(finite, [10, 50, 90])) if len(finite) else (None,) * 3
        rows.append(StudyRow(
            experiment=summary.name, trained=summary.trained, settings=cell_settings, seeds=len(errors), median=median,
            p10=low, p90=high, share_at_noise_floor=summary.share_at_noise_floor,
            diverged=int(np.sum(~np.isfinite(errors))), noise_floor=summary.noise_floor,
            train_median=float(np.median(finite_training)) if len(finite_training) else None,
        ))
    return rows


def markdown_table(rows: list[StudyRow], missing: list[str] = (), failed: dict[str, str] | None = None) -> str:
    """table.md: a row per cell (with a column per grid key, if any), then the noise floor, and
    the cells not in it yet."""
    keys = list(dict.fromkeys(key for row in rows for key in row.settings))
    lines = [
        "| experiment | " + "".join(f"{key} | " for key in keys) + "seeds | median final held-out MSE | "
        f"10th percentile | 90th percentile | {AT_FLOOR_WORDS} | median final training MSE |",
        "|---|" + "---|" * len(keys) + "---|---|---|---|---|---|",
    ]
    for row in rows:
        diverged = f" ({row.diverged} diverged)" if row.diverged else ""
        values = "".join(f"{naming.value_label(key, row.settings[key]) if key in row.settings else ''} | "
                         for key in keys)
        lines.append(
            f"| {row.experiment} | {values}{row.seeds}{diverged} | {final_error_text(row.median)} | "
            f"{final_error_text(row.p10)} | {final_error_text(row.p90)} | {share_text(row.share_at_noise_floor)} | "
            f"{final_error_text(row.train_median)} |"
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
                     "left out: " + "; ".join(f"{name} ({one_line(why)})" for name, why in failed.items()))
    waiting = [name for name in missing if name not in failed]
    if waiting:
        lines.append("")
        lines.append(f"{len(waiting)} cell{'s' if len(waiting) > 1 else ''} still missing (run the same command "
                     "again to train only these): " + ", ".join(waiting))
    return lines


def one_line(why: str) -> str:
    """Why a cell failed, in one line: a TensorFlow error's message spans many (its last says what)."""
    lines = [line.strip() for line in why.splitlines() if line.strip()]
    return why if len(lines) <= 1 else lines[-1]


def floor_note(rows: list[StudyRow]) -> str:
    """What the table's noise floor is: the held-out error of the true function itself, where known."""
    floors = {row.noise_floor for row in rows}
    if floors == {None}:
        return NO_FLOOR_NOTE.capitalize() + "."
    if len(floors) == 1:
        return f"Noise floor σ² = {rows[0].noise_floor:g}: the held-out error of the true function itself."
    known = ", ".join(f"{row.experiment} {row.noise_floor:g}" for row in rows if row.noise_floor is not None)
    unknown = "; unknown for the others (points from a file)" if None in floors else ""
    return f"Noise floors σ², the held-out error of each true function itself: {known}{unknown}."
