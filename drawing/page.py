"""report.html: a run as one self-contained page to explore in a browser, offline.

The page holds its script (page.js), its styles and the run's data; it makes no request of any
kind. One slider drives every panel; the numbers it shows (each frame's epoch and errors, the
errors under the pointer on the curves) are the run's own, bit for bit: arrays are embedded in
their stored precision (float32 or float64, base64). Only what is drawn and never read as a
number (the unit curves) is stored at display precision (16 bits over the panel's range).

Text from the user (a run's name, a label, a CSV's column names) is escaped wherever it appears:
HTML through html.escape, the data as JSON in a script element that cannot be closed from inside.
"""

from __future__ import annotations

import html
import json
from pathlib import Path

import numpy as np

from curvature import Views
from drawing.curves import SEEDED_ERROR_WORDS, ended_words, final_words, status_caption, truth_label
from drawing.comparison import seeds_words
from drawing.page_curvature import curvature_data, sharpness_comparison_data
from drawing.page_data import error_bands_data, one_run_data, several_runs_data, study_data, study_net_points
from drawing.style import COLORS, RUN_COLORS
from summaries import (AT_BAYES_WORDS, AT_FLOOR_WORDS, NO_FLOOR_WORDS, StudyRow, floor_words, format_loss, percent,
                       share_text)
from rundir import Run

SCRIPT = Path(__file__).with_name("page.js")

STYLE = """
body { font-family: system-ui, sans-serif; margin: 0 auto; max-width: 1200px; padding: 12px; color: #222; }
h1 { font-size: 1.3em; margin: 0.2em 0; overflow-wrap: anywhere; }
.trained { color: #444; margin-bottom: 0.6em; overflow-wrap: anywhere; }
.controls { display: flex; flex-wrap: wrap; gap: 8px 14px; align-items: center; margin: 8px 0;
            position: sticky; top: 0; background: #fff; z-index: 1; padding: 4px 0; }
.controls input[type=range] { flex: 1 1 240px; }
.numbers { font-variant-numeric: tabular-nums; }
.numbers b { color: %(net)s; }
/* The numbers beside the slider keep their width (page.js: keepWidths), the epoch right-aligned as in the GIFs. */
.numbers b.slot { display: inline-block; }
.numbers #epoch { text-align: right; }
.panels { display: grid; grid-template-columns: repeat(auto-fit, minmax(min(320px, 100%%), 1fr)); gap: 12px; }
figure { margin: 0; min-width: 0; }
/* A run's panel: its title takes what room the row leaves, so the canvases of a row line up. */
figure.run { display: flex; flex-direction: column; }
figure.run > figcaption:first-child { flex: 1; }
/* Two lines kept for a panel's numbers, so that "(its frame at epoch N)" coming and going does
   not move the panels while the slider moves. */
figure.run > figcaption.numbers { min-height: 2.6em; }
figcaption { font-size: 0.9em; color: #444; min-height: 1.3em; overflow-wrap: anywhere; white-space: pre-line; }
canvas { width: 100%%; height: 320px; display: block; }
.status { color: %(marker)s; font-weight: bold; }
.note { color: %(note)s; font-style: italic; }
.ended { color: %(note)s; font-weight: bold; }  /* stopped early, best weights restored: not a failure */
table { border-collapse: collapse; margin: 12px 0; font-variant-numeric: tabular-nums; font-size: 0.9em; }
th, td { border-bottom: 1px solid #ddd; padding: 4px 8px; text-align: left; }
td:nth-child(2) { min-width: 9em; }
.table { overflow-x: auto; }  /* a narrow window scrolls the table, never squeezes it to a letter a line */
"""


# The toggle of every net's faint line on a page with a seeded run (page.js reads "show-nets").
EVERY_NET_TOGGLE = '<label><input type="checkbox" id="show-nets" checked> every net</label>'


def slot(element_id: str) -> str:
    """A number beside the slider: page.js makes it as wide as the widest it will show, so that the
    slider keeps its length as the numbers change."""
    return f'<b id="{element_id}" class="slot"></b>'


def controls(numbers: str, toggles: str) -> str:
    """The slider and its buttons, with the frame's numbers and the page's toggles."""
    return f"""<div class="controls">
  <button id="play" type="button">▶ play</button>
  <label>speed <select id="speed"><option value="0.5">0.5×</option><option value="1" selected>1×</option>
    <option value="2">2×</option><option value="4">4×</option></select></label>
  <input type="range" id="frame-slider" min="0" value="0" aria-label="frame">
  <span class="numbers">{numbers}</span>
  {toggles}
</div>"""


def document(title: str, header: str, body: str, data: dict | None, more_script: str = "") -> str:
    """A whole page: its policy (no request of any kind), styles, the body, and the data and
    page.js (none for a page that only shows pictures and a table), then more_script (a grid
    study's page's own, run in the same script so that the page is ready once both have run)."""
    script = "" if data is None else (
        '<p class="trained">← → step a frame · space plays · click the error curves to jump there · the address '
        'keeps the frame</p>\n'
        f'<script type="application/json" id="run-data">{script_json(_nan_to_none(data))}</script>\n'
        f"<script>{SCRIPT.read_text()}\n{more_script}</script>")
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:">
<title>{html.escape(title)}</title>
<style>{STYLE % COLORS}</style>
</head>
<body{' data-ready="true"' if data is None else ""}>
{header}
{body}
{script}
</body>
</html>
"""


def floor_text(runs: list[Run]) -> str:
    floors = {run.noise_floor for run in runs}
    if floors == {None}:
        return NO_FLOOR_WORDS
    if len(floors) == 1:
        return f"{floor_words(runs[0].noise_floor, 'g')} (dashed)"
    return "each run's noise floor dashed in its colour" + (", where known" if None in floors else "")


def prediction_caption(run: Run) -> str:
    truth = f" · {html.escape(truth_label(run))} (dotted)" if run.y_grid_true is not None else ""
    prediction = ("median prediction (dark blue), 10-90% of nets (band), every net (faint); click a net to "
                  "pick it out" if run.nets > 1 else "prediction (blue)")
    return f"data (grey){truth} · {prediction}"


def run_status(run: Run) -> tuple[str | None, bool]:
    """How the run ended, in words (None for a run completed as asked), and whether it failed
    (diverged or interrupted) rather than stopped early with its best weights."""
    failed = run.status in ("diverged", "interrupted")
    return ended_words(run) if failed else status_caption(run), failed


def page_html(run: Run, with_units: bool = True, views: Views | None = None) -> str:
    """The whole page of a run: its fit, error curves, residuals, the inside of its first net, and
    its curvature and landscape (views; the words on why not where it has none)."""
    data = one_run_data(run, with_units)
    data["curvature"] = curvature_data(run, views)
    view = data["runs"][0]
    caption, failed = run_status(run)
    status = "" if caption is None else (
        f'<div class="{"status" if failed else "ended"}" id="status">{html.escape(caption.replace(chr(10), " "))}</div>')
    floor = floor_words(run.noise_floor or None, "g")
    toggles = ""
    if run.nets > 1:
        toggles += EVERY_NET_TOGGLE
    if view["units"] is not None:
        whose = "units of net 0" if run.nets > 1 else "units"
        checked = "" if run.nets > 1 else " checked"
        toggles += f'<label><input type="checkbox" id="show-units"{checked}> {whose} (activation × weight)</label>'
    seeds = f" · {run.nets} seeds" if run.nets > 1 else ""
    median = "median " if run.nets > 1 else ""
    net = "net 0" if run.nets > 1 else "the net"
    header = f"""<h1 id="title">{html.escape(run.name)}</h1>
<div class="trained" id="trained">{html.escape(run.training_description)}{seeds} · {floor}</div>
{status}"""
    numbers = (f'<span id="epoch-word">epoch </span>{slot("epoch")}<span id="epoch-of"> of {run.epochs_requested:,}</span> · '
               f'{median}training MSE '
               f'{slot("train-loss")} · {median}held-out MSE {slot("held-out-loss")}')
    body = f"""{controls(numbers, toggles)}
<div class="panels">
  <figure><canvas id="fit-canvas-0"></canvas>
    <figcaption>{prediction_caption(run)}</figcaption>
    <figcaption id="net-readout-0"></figcaption></figure>
  <figure><canvas id="error-canvas"{' style="height: 400px"' if data["learning_rate"] else ""}></canvas>
    <figcaption>training error ({"median" if run.nets > 1 else "blue"}), held-out error (orange){knob_words(data)} · {floor}</figcaption>
    <figcaption id="error-readout"></figcaption></figure>
  <figure id="residuals"><canvas id="residual-canvas"></canvas>
    <figcaption>residual of {net}: {html.escape(data["residuals"]["title"])}</figcaption></figure>
  <figure id="inside"><canvas id="inside-canvas"></canvas>
    <figcaption>inside {net}: {" · ".join(html.escape(panel["title"]) for panel in data["diagnostics"])}</figcaption></figure>
{curvature_panels(data["curvature"], run.nets)}
</div>"""
    return document(f"{run.name}: watch a tiny net learn", header, body, data)


def line_key(color: str, words: str, line: str = "━") -> str:
    """A line's colour and dash (━ solid, ╍ dashed, ┈ dotted) before what it is."""
    return f'<span style="color: {color}">{line}</span> {html.escape(words)}'


def curvature_panels(curvature: dict, nets: int) -> str:
    """Net 0's curvature panel and landscape where the run has them (see page_curvature), the note
    on why not in their place."""
    panels = []
    whose = "net 0's" if nets > 1 else "the net's"
    if curvature["note"]:
        panels.append(f'  <figure id="curvature-note"><figcaption class="note">{html.escape(curvature["note"])}'
                      "</figcaption></figure>")
    spectrum, landscape = curvature["spectrum"], curvature["landscape"]
    if spectrum is not None:
        colors, names = spectrum["colors"], spectrum["names"]
        keys = [line_key(COLORS["net"], f"{whose} {names[spectrum['compared']]}")]
        if spectrum["compared"] == "preconditioned":
            keys.append(line_key(colors["raw"], f"{names['sharpness']}, raw", "┈"))
        if spectrum["median"] is not None:
            keys.append(line_key(COLORS["median"], f"median over the {spectrum['nets']} nets"))
        if spectrum["threshold_label"] is None:
            keys.append("no stability threshold known for this optimizer")
        else:
            keys.append(line_key(colors["threshold"], spectrum["threshold_label"],
                                 "┈" if spectrum["reference_only"] else "╍"))
        keys += [line_key(colors["negative"], "smallest eigenvalue λmin, negative count"),
                 line_key(colors["near_zero"], f"near zero: {spectrum['near_zero_words']}")]
        diverged = "" if spectrum["diverged_epoch"] is None else (
            f'\n    <figcaption class="status">not finite from epoch {spectrum["diverged_epoch"]:,} on (its weights '
            "blew up): not drawn (dashed)</figcaption>")
        panels.append(f"""  <figure id="curvature"><canvas id="curvature-canvas" style="height: 480px"></canvas>
    <figcaption>{whose} curvature: {html.escape(spectrum["title"])}</figcaption>{diverged}
    <figcaption>{" · ".join(keys)}</figcaption>
    <figcaption class="numbers" id="curvature-numbers"></figcaption></figure>""")
    if landscape is not None:
        panels.append(f"""  <figure id="landscape"><canvas id="landscape-canvas"></canvas>
    <canvas id="line-canvas" style="height: 160px"></canvas>
    <figcaption>{whose} training objective over the plane of its path's two main directions, through its final
    weights (✕), from its initial weights (○), the frame's weights red; under it, on the straight line from the
    initial weights (α = 0) to the final (α = 1)</figcaption>
    <figcaption class="numbers" id="landscape-numbers"></figcaption>
    <figcaption id="landscape-words">{html.escape(chr(10).join(landscape["words"]))}</figcaption></figure>""")
    return "\n".join(panels)


def knob_words(data: dict) -> str:
    """What the error panel draws besides the errors, in the colours and lines it draws them in: the penalty,
    the batch mean (dashed), the learning rate under them; where a curve leaves the panel, from what to what."""
    words = "".join(f' · <span style="color: {curve["color"]}">{"╍" if curve["dash"] else "━"}</span> '
                    f'{html.escape(curve["label"])}' + (f' ({curve["off_plot"]})' if curve["off_plot"] else "")
                    for curve in data["knob_curves"])
    return words + (" · under them, the learning rate" if data["learning_rate"] else "")


def run_panels(runs: list[Run], labels: list[str], colors: list[str], seeds_in_labels: bool = False) -> str:
    """One fit panel per run, titled with its label (in its colour), what was trained (with how many
    seeds, unless the labels say it) and how it ended."""
    panels = []
    for index, (run, label, color) in enumerate(zip(runs, labels, colors)):
        seeds = f" · {run.nets} seeds" if run.nets > 1 and not seeds_in_labels else ""
        panels.append(f"""  <figure class="run"><figcaption><b style="color: {color}">{html.escape(label)}</b>
    {html.escape(run.training_description)}{seeds} · {html.escape(final_words(run))}</figcaption>
    <canvas id="fit-canvas-{index}"></canvas>
    <figcaption class="numbers" id="numbers-{index}"></figcaption>
    <figcaption id="net-readout-{index}"></figcaption></figure>""")
    return "\n".join(panels)


def error_legend(runs: list[Run], labels: list[str], colors: list[str]) -> str:
    return " · ".join(f'<span style="color: {color}">━</span> {html.escape(label)}'
                      for label, color in zip(labels, colors)) + f" · {floor_text(runs)}"


def compare_page_html(runs: list[Run], labels: list[str], note: str, views: list[Views | None] | None = None) -> str:
    """A comparison's page: one fit panel per run in step (a seeded run's median, 10-90% band and every
    net, as seeds.gif), every run's training error on one plot (a seeded run's median and band), and where
    runs' views (curvature.Views, one a run) hold their spectra, every run's sharpness on one plot.
    A seeded run's label is followed by how many seeds (seeds_words)."""
    colors = RUN_COLORS[:len(runs)]
    labels = [label + seeds_words(run) for run, label in zip(runs, labels)]
    # Every net of the seeded runs on the study page's budget of values (study_net_points).
    data = several_runs_data(runs, labels, colors, net_points=study_net_points(runs))
    data["error_bands"] = error_bands_data(runs)
    data["sharpness"] = None if views is None else sharpness_comparison_data(runs, labels, colors, views)
    header = f"""<h1 id="title">comparison of {len(runs)} runs</h1>
<div class="trained" id="trained">{html.escape(note)}</div>"""
    seeded = any(run.nets > 1 for run in runs)
    toggles = EVERY_NET_TOGGLE if seeded else ""
    medians = f" ({SEEDED_ERROR_WORDS})" if seeded else ""
    body = f"""{controls(f'epoch {slot("epoch")}', toggles)}
<div class="panels">
{run_panels(runs, labels, colors, seeds_in_labels=True)}
  <figure><canvas id="error-canvas"></canvas>
    <figcaption>training error{medians}: {error_legend(runs, labels, colors)}</figcaption>
    <figcaption id="error-readout"></figcaption></figure>
{sharpness_panel(data["sharpness"])}
</div>"""
    return document(f"comparison of {len(runs)} runs: watch tiny nets learn", header, body, data)


def sharpness_panel(sharpness: dict | None) -> str:
    """Every run's sharpness on one plot, each with its threshold, and the runs that have none."""
    if sharpness is None:
        return ""
    keys = []
    for curve in sharpness["curves"]:
        keys.append(line_key(curve["color"], f"{curve['label']}: {curve['name']}"))
        if curve["threshold_label"] is not None:
            keys.append(line_key(curve["color"], curve["threshold_label"], "┈" if curve["reference_only"] else "╍"))
    notes = "".join(f'\n    <figcaption class="note">{html.escape(note)}</figcaption>' for note in sharpness["notes"])
    return f"""  <figure id="sharpness"><canvas id="sharpness-canvas"></canvas>
    <figcaption>sharpness (the largest eigenvalue of the Hessian of each run's training objective) against each
    run's stability threshold: {" · ".join(keys)}</figcaption>{notes}</figure>"""


def table_row(row: StudyRow, link: str, classifiers: bool = False, bayes: bool = False) -> str:
    """A row of the study's table, as table.md has it, its experiment linked to its own page: of
    classifiers, their held-out error rates (and the share at the Bayes error rate, with bayes)."""
    def error(value: float | None) -> str:
        return format_loss(float("nan") if value is None else value)  # None: not finite

    diverged = f" ({row.diverged} diverged)" if row.diverged else ""
    cells = [f'<a href="{html.escape(link)}">{html.escape(row.experiment)}</a>', html.escape(row.trained),
             f"{row.seeds}{diverged}"]
    if classifiers:
        at_bayes = ["unknown" if row.share_at_bayes is None else share_text(row.share_at_bayes)] if bayes else []
        cells += [percent(row.rate_median), percent(row.rate_p10), percent(row.rate_p90), *at_bayes, error(row.median)]
    else:
        cells += [error(row.median), error(row.p10), error(row.p90), share_text(row.share_at_noise_floor)]
    cells.append(error(row.train_median))
    return "<tr>" + "".join(f"<td>{cell}</td>" for cell in cells) + "</tr>"


def study_table(rows: list[StudyRow], links: list[str]) -> str:
    """The study's table, as table.md has it (study_table.py: of classifiers, their error rates), each
    cell linked to its own page."""
    classifiers = bool(rows) and all(row.classifies for row in rows)
    bayes = any(row.bayes_error_rate is not None for row in rows)
    lines = "\n".join(table_row(row, link, classifiers, bayes) for row, link in zip(rows, links))
    if classifiers:
        names = {row.error_name for row in rows}
        loss = names.pop() if len(names) == 1 else "loss"
        columns = (["median held-out error rate", "10th percentile", "90th percentile"]
                   + [AT_BAYES_WORDS] * bayes + [f"median final held-out {loss}", f"median final training {loss}"])
    else:
        columns = ["median final held-out MSE", "10th percentile", "90th percentile", AT_FLOOR_WORDS,
                   "median final training MSE"]
    header = "".join(f"<th>{html.escape(column)}</th>" for column in ["experiment (its own page)", "trained", "seeds",
                                                                      *columns])
    return f"""<div class="table"><table>
<tr>{header}</tr>
{lines}
</table></div>"""


def notes_paragraphs(notes: list[str]) -> str:
    """The study's notes (the cells still missing, those that failed), a paragraph each."""
    return "".join(f"<p class=\"status\">{html.escape(note)}</p>" for note in notes if note)


def study_page_html(name: str, runs: list[Run] | None, rows: list[StudyRow], table_links: list[str], description: str,
                    notes: list[str] = ()) -> str:
    """A study's page of listed experiments (a grid's: page_grid.py): each cell's seeded run in step
    (runs; None when there are too many to step through together), their median training errors,
    the final held-out error of every seed (a dot each, as final_error.png), the table with links to
    each cell's own page, and notes (the cells still missing)."""
    header = f"""<h1 id="title">{html.escape(name)}</h1>
<div class="trained" id="trained">{html.escape(description)}{" · " + floor_text(runs) if runs else ""}</div>"""
    notes_html = notes_paragraphs(notes)
    table = study_table(rows, table_links)
    if runs is None:
        return document(f"{name}: watch tiny nets learn", header, f"{notes_html}\n{table}", None)
    labels = [row.experiment for row in rows]
    colors = (RUN_COLORS * len(runs))[:len(runs)]
    data = study_data(runs, rows, labels, colors)
    toggles = ('<label><input type="checkbox" id="show-nets" checked> every net</label>'
               if any(run.nets > 1 for run in runs) else "")
    median = "median " if any(run.nets > 1 for run in runs) else ""
    body = f"""{controls(f'epoch {slot("epoch")}', toggles)}
{notes_html}
<div class="panels">
{run_panels(runs, labels, colors)}
  <figure><canvas id="error-canvas"></canvas>
    <figcaption>{median}training error: {error_legend(runs, labels, colors)}</figcaption>
    <figcaption id="error-readout"></figcaption></figure>
  <figure><canvas id="final-canvas"></canvas>
    <figcaption id="final-key" style="min-height: 0"></figcaption>
    <figcaption>each seed's final held-out error (a dot; hover to read it, click to pick the net out), the median and the 10-90% spread (bar) · {floor_text(runs)}</figcaption>
    <figcaption id="final-readout"></figcaption></figure>
</div>
{table}"""
    return document(f"{name}: watch tiny nets learn", header, body, data)


def script_json(data: dict) -> str:
    """JSON safe inside a <script> element: nothing in it can close the element or open a comment."""
    return json.dumps(data, allow_nan=False).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _nan_to_none(data):
    if isinstance(data, float) and not np.isfinite(data):
        return None
    if isinstance(data, dict):
        return {key: _nan_to_none(value) for key, value in data.items()}
    if isinstance(data, list):
        return [_nan_to_none(value) for value in data]
    return data


def write_page(run: Run, path: str | Path, views: Views | None = None) -> None:
    """Write a run's report.html, with its curvature where views hold it (curvature.Views); a run of
    two inputs, its map's page (plane_page.py, which builds on this module's)."""
    if run.is_plane:
        from drawing.plane_page import plane_page_html

        text = plane_page_html(run)
    else:
        text = page_html(run, views=views)
    Path(path).write_text(text, encoding="utf-8")
