"""report.html of a comparison of runs of two inputs, for now a page of pictures: the table of each
run's final figures, then compare.gif and compare.png as they were drawn into the comparison's
folder (embedded: the page makes no request), and links to units.gif and residuals.png beside it.

It has no slider of its own, no maps drawn in the browser and no reading of a map under the pointer:
each run's own report.html has those.
"""

from __future__ import annotations

import base64
import html

import numpy as np

from drawing.comparison import seeds_words
from drawing.curves import ended_words, error_name, final_held_out_errors
from drawing.page import document
from drawing.plane_maps import median_accuracy
from drawing.style import PLANE_RUN_COLORS
from rundir import Run, median_over_nets
from summaries import floor_words, format_loss, percent

# A picture larger than this is linked to beside the page rather than embedded (the page stays small).
EMBEDDED_BYTES = 8_000_000
# What the page says it lacks, so that nobody looks for it.
LACKS = ("This page shows the comparison's pictures as they were drawn; it has no slider, no maps drawn in the "
         "browser and no reading of a map under the pointer. Each run's own report.html has them.")


def final_figures(run: Run) -> list[str]:
    """A run's row of final figures (a seeded run's medians over its nets): how it ended, its training
    and held-out error, a classifier's training and held-out accuracy, and the floor it is measured
    against (the Bayes error rate of a classifier where the problem defines it, else the noise floor)."""
    median = "median " if run.nets > 1 else ""
    training = format_loss(float(median_over_nets(run.frame_loss[-1])))
    held_out = format_loss(float(median_over_nets(final_held_out_errors(run))))
    cells = [ended_words(run, of_requested=False) or "completed", f"{median}{error_name(run)} {training}",
             f"{median}{error_name(run)} {held_out}"]
    if run.config.classifies:
        accuracies = [float(median_accuracy(run, name)[-1]) for name in ("accuracy", "val_accuracy")]
        cells += [percent(value) if np.isfinite(value) else percent(None) for value in accuracies]
        bayes = run.summary.bayes_error_rate
        cells.append("Bayes error rate unknown" if bayes is None else f"Bayes error rate {percent(bayes)}")
    else:
        cells += ["", "", floor_words(run.noise_floor)]
    return cells


def figures_table(runs: list[Run], labels: list[str]) -> str:
    """The table of the runs' final figures, a row each, its label in its colour."""
    head = ["run", "trained", "how it ended", "final training error", "final held-out error",
            "training accuracy", "held-out accuracy", "floor"]
    rows = []
    for run, label, color in zip(runs, labels, PLANE_RUN_COLORS):
        name = f'<b style="color: {color}">■ {html.escape(label)}{html.escape(seeds_words(run))}</b>'
        cells = [name, html.escape(run.training_description)] + [html.escape(cell) for cell in final_figures(run)]
        rows.append("<tr>" + "".join(f"<td>{cell}</td>" for cell in cells) + "</tr>")
    header = "".join(f"<th>{html.escape(cell)}</th>" for cell in head)
    return f'<div class="table"><table>\n<tr>{header}</tr>\n' + "\n".join(rows) + "\n</table></div>"


def picture(name: str, data: bytes | None) -> str:
    """A picture of the folder (a GIF or a PNG) embedded in the page, or where it is too large (or
    missing), a link to it."""
    if data is None or len(data) > EMBEDDED_BYTES:
        why = "not drawn" if data is None else f"{len(data) / 1e6:.0f} MB, beside this page"
        return f'<p><a href="{html.escape(name)}">{html.escape(name)}</a> ({why})</p>'
    kind = name.rsplit(".", 1)[-1].lower()
    return (f'<figure><img alt="{html.escape(name)}" style="max-width: 100%" '
            f'src="data:image/{kind};base64,{base64.b64encode(data).decode()}"><figcaption>{html.escape(name)}'
            "</figcaption></figure>")


def plane_compare_page_html(runs: list[Run], labels: list[str], note: str, pictures: dict[str, bytes | None],
                            beside: tuple[str, ...]) -> str:
    """A comparison's page of runs of two inputs: its note, the table of final figures, its pictures
    (their bytes by name, compare.gif's and compare.png's; None where not drawn) and links to the
    pictures `beside` it in its folder (of the nets' insides)."""
    header = f"""<h1 id="title">comparison of {len(runs)} runs of two inputs</h1>
<div class="trained" id="trained">{html.escape(note)}</div>"""
    links = " · ".join(f'<a href="{html.escape(name)}">{html.escape(name)}</a>' for name in beside)
    shown = "\n".join(picture(name, data) for name, data in pictures.items())
    body = f"""<p class="note">{html.escape(LACKS)}</p>
{figures_table(runs, labels)}
{shown}
<p>Inside each run's net 0, beside this page: {links}</p>"""
    return document(f"comparison of {len(runs)} runs: watch tiny nets learn", header, body, None)
