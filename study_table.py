"""A study's table: per cell, the median, 10th and 90th percentile final held-out error over its
seeds, the share of seeds that end within 10% of the noise floor, how many diverged, and the median
final training error (under the floor where the nets fit the noise); as rows
(summary.json) and as table.md. No TensorFlow, no matplotlib.
"""

from __future__ import annotations

import numpy as np

import naming
from summaries import (AT_BAYES_WORDS, AT_FLOOR_WORDS, NO_FLOOR_NOTE, RunSummary, StudyRow, final_error_text, percent,
                       share_text)


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
            **(classifier_columns(summary) if summary.classifies else {}),
        ))
    return rows


def classifier_columns(summary: RunSummary) -> dict:
    """A classifier cell's figures: its loss's name, its held-out error rates over the seeds, the
    Bayes error rate and the share of seeds at it."""
    rates = summary.final_held_out_error_rates()
    finite = rates[np.isfinite(rates)]
    low, median, high = (float(value) for value in np.percentile(finite, [10, 50, 90])) if len(finite) else (None,) * 3
    return {"error_name": summary.error_name, "rate_median": median, "rate_p10": low, "rate_p90": high,
            "bayes_error_rate": summary.bayes_error_rate, "share_at_bayes": summary.share_at_bayes}


def markdown_table(rows: list[StudyRow], missing: list[str] = (), failed: dict[str, str] | None = None) -> str:
    """table.md: a row per cell (with a column per grid key, if any), then the noise floor, and
    the cells not in it yet. A study of classifiers: their held-out error rates instead."""
    if rows and all(row.classifies for row in rows):
        return classifier_table(rows, missing, failed)
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



def classifier_table(rows: list[StudyRow], missing: list[str] = (), failed: dict[str, str] | None = None) -> str:
    """table.md of classifiers: per cell the median, 10th and 90th percentile held-out error rate
    over its seeds, the share of seeds at the Bayes error rate (where the problem has one), and the
    median final held-out and training loss; then what the Bayes error rate is."""
    keys = list(dict.fromkeys(key for row in rows for key in row.settings))
    names = sorted({row.error_name for row in rows})
    loss = names[0] if len(names) == 1 else "loss"
    known = any(row.bayes_error_rate is not None for row in rows)  # else no column of "unknown"s
    lines = [
        "| experiment | " + "".join(f"{key} | " for key in keys) + "seeds | median held-out error rate | "
        f"10th percentile | 90th percentile | {f'{AT_BAYES_WORDS} | ' if known else ''}median final held-out {loss} | "
        f"median final training {loss} |",
        "|---|" + "---|" * len(keys) + "---|---|---|---|---|" + ("---|" if known else "") + "---|",
    ]
    for row in rows:
        diverged = f" ({row.diverged} diverged)" if row.diverged else ""
        values = "".join(f"{naming.value_label(key, row.settings[key]) if key in row.settings else ''} | "
                         for key in keys)
        at_bayes = ("unknown | " if row.share_at_bayes is None else f"{share_text(row.share_at_bayes)} | ") if known else ""
        lines.append(f"| {row.experiment} | {values}{row.seeds}{diverged} | {percent(row.rate_median)} | "
                     f"{percent(row.rate_p10)} | {percent(row.rate_p90)} | {at_bayes}{final_error_text(row.median)} | "
                     f"{final_error_text(row.train_median)} |")
    lines.append("")
    lines.append(bayes_note(rows))
    lines += missing_lines(missing, failed or {})
    return "\n".join(lines) + "\n"


def bayes_note(rows: list[StudyRow]) -> str:
    """What the classifier table's Bayes error rate is, where the problems define one."""
    rates = {row.bayes_error_rate for row in rows}
    if rates == {None}:
        return ("The Bayes error rate (the lowest any classifier can have) is not known exactly for these problems; "
                "the error rates are on held-out points drawn as the training points are.")
    known = ", ".join(sorted({percent(rate) for rate in rates if rate is not None}))
    return (f"Bayes error rate {known}: the lowest any classifier can have on the problem; a seed is {AT_BAYES_WORDS} "
            "when its held-out error rate is at most two standard errors (or one held-out point, if more) above it"
            + ("; unknown for the others." if None in rates else "."))


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
