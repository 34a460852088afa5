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

import base64
import html
import json
from pathlib import Path

import matplotlib
import numpy as np

import quantities
from drawing.curves import (curve_points, divergence_epoch, drawable_predictions, ended_words, error_range, final_words,
                            held_out_curve, past_end_words, shared_axis_epochs, training_curve, truth_label)
from drawing.frames import FEW_POINTS, compare_frame_epochs, fit_limits, latest_snapshot, panel_limits
from drawing.residuals import (RESIDUAL_COLORMAP, colormap, colour_note, net_residuals, residual_limit, residual_norm,
                                thinned)
from drawing.style import COLORS, RUN_COLORS
from drawing.units import (distinct_units, drawable_contributions, gradient_norm, layer_colors, layer_words, saturation,
                           unit_colors, units_limits, value_limits)
from rundir import Run, format_loss, median_over_nets

SCRIPT = Path(__file__).with_name("page.js")
# Curves are drawn at display precision: this many significant digits.
CURVE_DIGITS = 5


def encoded(values: np.ndarray | None, dtype: str | None = None) -> dict | None:
    """An array as the page decodes it: its bytes in base64, in their own precision."""
    if values is None:
        return None
    array = np.ascontiguousarray(values, dtype=dtype or values.dtype)
    return {"dtype": str(array.dtype), "shape": list(array.shape), "base64": base64.b64encode(array.tobytes()).decode()}


def display_precision(values: np.ndarray, low: float, high: float) -> dict:
    """Values only drawn, never read as numbers, in 16 bits over [low, high] (65535: not finite);
    a quarter of their float64 size."""
    span = high - low if high > low else 1.0
    scaled = np.round((np.clip(values, low, high) - low) / span * 65534)
    stored = np.where(np.isfinite(values), scaled, 65535).astype(np.uint16)
    return dict(encoded(stored), range=[float(low), float(high)])


def rounded(values: np.ndarray) -> list:
    """A curve's values as JSON numbers at display precision (null where not finite)."""
    return [float(f"{value:.{CURVE_DIGITS}g}") if np.isfinite(value) else None for value in np.asarray(values, float)]


# A seeded run's nets and a net's units are drawn on at most this many grid points (faint or thin
# lines), so that a page of 100 seeds stays under 10 MB and one of a 1x60 net's units under 6 MB.
MAX_NET_POINTS = 100


def per_net(values: np.ndarray) -> np.ndarray:
    """A (..., nets) history as the page states it: the net's own for one net, else the median
    over the nets whose value is finite (as seeds.gif and seeds.png state it)."""
    return values[..., 0] if values.shape[-1] == 1 else median_over_nets(values)


def run_data(run: Run, label: str, color: str, frame_epochs: np.ndarray, limits, with_units: bool = True,
             net_points: int = MAX_NET_POINTS, curve_points: int | None = None) -> dict:
    """One run as the page shows it, at the page's frames (frame_epochs: each shows the run's latest
    frame at or before it): one net's numbers, or for many seeds the medians, the 10-90% band and
    every net (on at most net_points grid points, its error curve on at most curve_points epochs,
    by default all the curve's); limits: its fit panel's (x, y) data limits."""
    epochs_done = run.epochs_completed
    frame_loss = per_net(run.frame_loss)
    # Index e: the training error of the weights after e epochs (the history's loss of epoch e + 1,
    # then the final weights'), and the held-out error after e epochs (none before the first).
    train_after = per_net(run.loss)
    if run.frame_epochs[-1] == epochs_done:
        train_after = np.append(train_after, frame_loss[-1])
    held_out = per_net(run.val_loss)
    held_out_after = np.concatenate([np.full(1, np.nan, held_out.dtype), held_out])  # in the run's own precision
    curve_epochs, curve_train = training_curve(run)
    held_epochs, curve_held_out = held_out_curve(run)
    x_limits, data_limits = limits
    contributions = drawable_contributions(run) if with_units else None
    y_limits = units_limits(data_limits, [contributions])
    predictions = drawable_predictions(run)
    data = {
        "name": run.name, "label": label, "color": color, "trained": run.trained, "status": run.status,
        # Where its error stopped being finite, as the pictures count and say it (curves.divergence_epoch).
        "divergence_epoch": divergence_epoch(run), "ended": ended_words(run), "past_end": past_end_words(run),
        "nets": run.nets, "seeds": [int(seed) for seed in run.seeds],
        "axis_names": list(run.axis_names), "truth_label": truth_label(run) if run.y_grid_true is not None else None,
        "noise_floor": run.noise_floor,
        "x_train": encoded(run.x_train), "y_train": encoded(run.y_train), "x_grid": encoded(run.x_grid),
        "few_points": len(run.x_train) < FEW_POINTS,
        "y_grid_true": encoded(run.y_grid_true),
        "frame_epochs": [int(epoch) for epoch in run.frame_epochs],
        "frame_index": [latest_snapshot(run, int(epoch)) for epoch in frame_epochs],
        "frame_loss": encoded(frame_loss), "train_after": encoded(train_after), "held_out_after": encoded(held_out_after),
        # The curves as drawn: thinned to a few thousand points on log-spaced epochs.
        "curve_epochs": [int(epoch) for epoch in curve_epochs], "curve_train": rounded(per_net(curve_train)),
        "curve_held_out": rounded(np.interp(curve_epochs, held_epochs, per_net(curve_held_out))),
        "x_limits": list(x_limits), "y_limits": list(y_limits), "units": None,
    }
    if run.nets == 1:
        # As fit.gif draws it: a blown-up net's last finite prediction (the numbers shown stay the run's).
        data["predictions"] = encoded(predictions[:, 0])
    else:
        data.update(seeds_data(run, predictions, y_limits, curve_epochs, curve_train, net_points,
                               curve_points or len(curve_epochs)))
    if contributions is not None:
        low, high = data["y_limits"]
        reach = high - low  # a unit beyond the panel is drawn at its edge, as units.gif does
        columns = thinned(len(run.x_grid), MAX_NET_POINTS)
        shifted = contributions[:, :, columns] - run.units_baseline
        data.update(units=display_precision(shifted, low - reach - run.units_baseline, high + reach - run.units_baseline),
                    unit_columns=[int(column) for column in columns], unit_count=int(contributions.shape[1]),
                    units_baseline=run.units_baseline,
                    unit_colors=[matplotlib.colors.to_hex(color) for color in unit_colors(contributions)])
    return data


def shared_data(runs: list[Run], frame_epochs: np.ndarray) -> dict:
    """What every page has: its frames, the colours, and the error panel's shared axes."""
    return {"frame_epochs": [int(epoch) for epoch in frame_epochs], "fps": runs[0].config.render.fps, "colors": COLORS,
            "epoch_limits": [1, max(2, shared_axis_epochs(runs))], "error_limits": list(error_range(runs))}


def one_run_data(run: Run, with_units: bool = True) -> dict:
    """A run's page: the run (its units too, unless told not to) and inside its first net, the
    diagnostics and residuals."""
    data = shared_data([run], run.frame_epochs)
    data.update(runs=[run_data(run, run.name, COLORS["net"], run.frame_epochs, fit_limits([run]), with_units)],
                diagnostics=diagnostics_data(run), residuals=residuals_data(run),
                epoch_quantities=epoch_quantities_data(run))
    return data


def epoch_quantities_data(run: Run, points: int = 1000) -> dict:
    """Every per-epoch quantity the run recorded, as summary.json declares it (quantities.py): the net's
    own (or the median over the nets) on about `points` log-spaced epochs, those of the weights it describes."""
    data = {}
    for quantity, _ in map(quantities.from_json, run.summary.get("quantities", [])):
        if quantity.per == "epoch" and quantity.name in run.per_epoch:
            epochs, values = curve_points(run.per_epoch[quantity.name], points, quantity.first_epoch)
            data[quantity.key] = {"description": quantity.description, "unit": quantity.unit, "epochs": epochs.tolist(),
                                  "values": rounded(per_net(values))}
    return data


def diagnostics_data(run: Run) -> list[dict]:
    """Net 0's gradient norm, distinct units and saturated share over the epochs, as units.gif
    draws them beside its units (those the run recorded), with each frame's mark, each line in its
    colour and, at the right of the title, which line is which (its hidden layers)."""
    panels = []
    layers = len(run.config.hidden_layers)
    for diagnostic in (gradient_norm(run), distinct_units(run), saturation(run)):
        if diagnostic.curves is None:
            continue
        per_layer = diagnostic.name == "saturated_fraction"
        colors = layer_colors(layers) if per_layer else [COLORS["net"]]
        panels.append({
            "title": diagnostic.titles[0], "log": diagnostic.log_scale, "limits": list(value_limits([diagnostic])),
            "legend": [list(word) for word in layer_words(layers)] if per_layer else [],
            "lines": [{"epochs": [int(epoch) for epoch in epochs], "values": rounded(values[:, 0]), "color": color}
                      for (epochs, values), color in zip(diagnostic.curves, colors)],
            "mark_epochs": [int(epoch) for epoch in diagnostic.mark_epochs],
            "mark_values": [rounded(values) for values in np.transpose(diagnostic.mark_values)],
        })
    return panels


def residuals_data(run: Run) -> dict:
    """Net 0's residual over x and frames as residuals.png colours it (its colour map and
    symmetric-log scale), as RGBA pixels: a row per frame, at most 200 columns."""
    item = net_residuals(run, 0)
    limit = residual_limit([run], [item])
    columns = thinned(len(item.x), 200)
    pixels = colormap(RESIDUAL_COLORMAP)(residual_norm(limit, [item])(item.values[:, columns]), bytes=True)
    return {"rgba": encoded(np.ascontiguousarray(pixels, dtype=np.uint8)), "columns": int(len(columns)),
            "x_range": [float(item.x[columns[0]]), float(item.x[columns[-1]])],
            "title": ("prediction − " + (truth_label(run) if item.against_truth else "data at the training points")
                      + f" (red: too high, blue: too low; ±{limit:.2g} and beyond, symmetric log"
                      + "".join(f"; {note}" for note in [colour_note([item], [limit])] if note) + ")")}


def seeds_data(run: Run, predictions: np.ndarray, y_limits, curve_epochs: np.ndarray, curve_train: np.ndarray,
               net_points: int, curve_points: int) -> dict:
    """A seeded run's median prediction (its own precision), and at display precision its 10-90%
    band, every net (on at most net_points grid points) and every net's training curve (as
    log10, on at most curve_points epochs). A net whose error is no longer finite is left out of the median and band at that
    frame, as seeds.gif leaves it out."""
    alive = np.isfinite(run.frame_loss)  # (frames, nets)
    kept = np.where(alive[:, :, None], predictions, np.nan)
    # Frame by frame over the nets alive there, as seeds.gif computes them (np.nanpercentile over
    # the whole array gives the same numbers 50 times slower).
    low, median, high = np.full((3,) + predictions[:, 0].shape, np.nan)
    for frame, nets_alive in enumerate(alive):
        if nets_alive.any():
            low[frame], median[frame], high[frame] = np.percentile(predictions[frame][nets_alive], [10, 50, 90], axis=0)
    low_limit, high_limit = y_limits
    reach = high_limit - low_limit
    columns = thinned(len(run.x_grid), net_points)
    curve_columns = thinned(len(curve_epochs), curve_points)
    with np.errstate(all="ignore"):
        log_curves = np.log10(np.where(curve_train > 0, curve_train, np.nan))
    error_low, error_high = (np.log10(value) for value in error_range([run]))
    return {
        "predictions": encoded(median.astype(np.float32)),
        "band_low": display_precision(low, low_limit - reach, high_limit + reach),
        "band_high": display_precision(high, low_limit - reach, high_limit + reach),
        "net_columns": [int(column) for column in columns],
        "net_predictions": display_precision(kept[:, :, columns], low_limit - reach, high_limit + reach),
        "net_curve_epochs": [int(epoch) for epoch in curve_epochs[curve_columns]],
        "net_curves": display_precision(np.transpose(log_curves[curve_columns]), error_low - 1, error_high + 1),
        "net_frame_loss": encoded(run.frame_loss.astype(np.float32)),
    }


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
table { border-collapse: collapse; margin: 12px 0; font-variant-numeric: tabular-nums; font-size: 0.9em; }
th, td { border-bottom: 1px solid #ddd; padding: 4px 8px; text-align: left; }
td:nth-child(2) { min-width: 9em; }
.table { overflow-x: auto; }  /* a narrow window scrolls the table, never squeezes it to a letter a line */
"""


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


def document(title: str, header: str, body: str, data: dict | None) -> str:
    """A whole page: its policy (no request of any kind), styles, the body, and the data and
    page.js (none for a page that only shows pictures and a table)."""
    script = "" if data is None else (
        '<p class="trained">← → step a frame · space plays · click the error curves to jump there · the address '
        'keeps the frame</p>\n'
        f'<script type="application/json" id="run-data">{script_json(_nan_to_none(data))}</script>\n'
        f"<script>{SCRIPT.read_text()}</script>")
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
        return "noise floor unknown"
    if len(floors) == 1:
        return f"noise floor σ² = {runs[0].noise_floor:g} (dashed)"
    return "each run's noise floor dashed in its colour" + (", where known" if None in floors else "")


def prediction_caption(run: Run) -> str:
    truth = f" · {html.escape(truth_label(run))} (dotted)" if run.y_grid_true is not None else ""
    prediction = ("median prediction (dark blue), 10-90% of nets (band), every net (faint); click a net to "
                  "pick it out" if run.nets > 1 else "prediction (blue)")
    return f"data (grey){truth} · {prediction}"


def page_html(run: Run, with_units: bool = True) -> str:
    """The whole page of a run: its fit, error curves, residuals and the inside of its first net."""
    data = one_run_data(run, with_units)
    view = data["runs"][0]
    status = "" if run.status == "completed" else (
        f'<div class="status">{html.escape(ended_words(run))}</div>')
    floor = f"noise floor σ² = {run.noise_floor:g}" if run.noise_floor else "noise floor unknown"
    toggles = ""
    if run.nets > 1:
        toggles += '<label><input type="checkbox" id="show-nets" checked> every net</label>'
    if view["units"] is not None:
        whose = "units of net 0" if run.nets > 1 else "units"
        checked = "" if run.nets > 1 else " checked"
        toggles += f'<label><input type="checkbox" id="show-units"{checked}> {whose} (activation × weight)</label>'
    seeds = f" · {run.nets} seeds" if run.nets > 1 else ""
    median = "median " if run.nets > 1 else ""
    net = "net 0" if run.nets > 1 else "the net"
    header = f"""<h1 id="title">{html.escape(run.name)}</h1>
<div class="trained" id="trained">{html.escape(run.trained)}{seeds} · {floor}</div>
{status}"""
    numbers = (f'epoch {slot("epoch")} of {run.epochs_requested:,} · {median}training MSE '
               f'{slot("train-loss")} · {median}held-out MSE {slot("held-out-loss")}')
    body = f"""{controls(numbers, toggles)}
<div class="panels">
  <figure><canvas id="fit-canvas-0"></canvas>
    <figcaption>{prediction_caption(run)}</figcaption>
    <figcaption id="net-readout-0"></figcaption></figure>
  <figure><canvas id="error-canvas"></canvas>
    <figcaption>training error ({"median" if run.nets > 1 else "blue"}), held-out error (orange) · {floor}</figcaption>
    <figcaption id="error-readout"></figcaption></figure>
  <figure id="residuals"><canvas id="residual-canvas"></canvas>
    <figcaption>residual of {net}: {html.escape(data["residuals"]["title"])}</figcaption></figure>
  <figure id="inside"><canvas id="inside-canvas"></canvas>
    <figcaption>inside {net}: {" · ".join(html.escape(panel["title"]) for panel in data["diagnostics"])}</figcaption></figure>
</div>"""
    return document(f"{run.name}: watch a tiny net learn", header, body, data)


def run_panels(runs: list[Run], labels: list[str], colors: list[str]) -> str:
    """One fit panel per run, titled with its label (in its colour), what was trained and how it ended."""
    panels = []
    for index, (run, label, color) in enumerate(zip(runs, labels, colors)):
        seeds = f" · {run.nets} seeds" if run.nets > 1 else ""
        panels.append(f"""  <figure class="run"><figcaption><b style="color: {color}">{html.escape(label)}</b>
    {html.escape(run.trained)}{seeds} · {html.escape(final_words(run))}</figcaption>
    <canvas id="fit-canvas-{index}"></canvas>
    <figcaption class="numbers" id="numbers-{index}"></figcaption>
    <figcaption id="net-readout-{index}"></figcaption></figure>""")
    return "\n".join(panels)


def error_legend(runs: list[Run], labels: list[str], colors: list[str]) -> str:
    return " · ".join(f'<span style="color: {color}">━</span> {html.escape(label)}'
                      for label, color in zip(labels, colors)) + f" · {floor_text(runs)}"


def several_runs_data(runs: list[Run], labels: list[str], colors: list[str], net_points: int = MAX_NET_POINTS) -> dict:
    """The data of a page of several runs, in step at every epoch any of them has a frame at (as
    compare.gif steps), each in its own panel with shared scales where the data allow."""
    frame_epochs = compare_frame_epochs(runs)
    data = shared_data(runs, frame_epochs)
    data["several"] = True
    # A net's error curve is drawn here only when the net is picked: on fewer epochs.
    data["runs"] = [run_data(run, label, color, frame_epochs, limits, with_units=False, net_points=net_points,
                             curve_points=SEVERAL_RUNS_CURVE_POINTS)
                    for run, label, color, limits in zip(runs, labels, colors, panel_limits(runs))]
    return data


def compare_page_html(runs: list[Run], labels: list[str], note: str) -> str:
    """A comparison's page: one fit panel per run in step, and every run's training error on one plot."""
    colors = RUN_COLORS[:len(runs)]
    data = several_runs_data(runs, labels, colors)
    header = f"""<h1 id="title">comparison of {len(runs)} runs</h1>
<div class="trained" id="trained">{html.escape(note)}</div>"""
    body = f"""{controls(f'epoch {slot("epoch")}', "")}
<div class="panels">
{run_panels(runs, labels, colors)}
  <figure><canvas id="error-canvas"></canvas>
    <figcaption>training error: {error_legend(runs, labels, colors)}</figcaption>
    <figcaption id="error-readout"></figcaption></figure>
</div>"""
    return document(f"comparison of {len(runs)} runs: watch tiny nets learn", header, body, data)


# A page of several seeded runs (a study's) draws every net of all of them on at most this many
# values in all (2 bytes each), spread over grid points: 37 points a net for the post's study of
# 4 x 50 seeds, 10 (MIN_NET_POINTS, the least) for 9 experiments of 100 seeds.
EVERY_NET_VALUES = 1_500_000
MIN_NET_POINTS = 10
SEVERAL_RUNS_CURVE_POINTS = 500


def study_net_points(runs: list[Run]) -> int:
    """How many grid points each net of a study's page is drawn on (EVERY_NET_VALUES)."""
    values_per_point = sum(len(run.frame_epochs) * run.nets for run in runs if run.nets > 1)
    return int(np.clip(EVERY_NET_VALUES // max(values_per_point, 1), MIN_NET_POINTS, MAX_NET_POINTS))


def table_row(row: dict, link: str) -> str:
    """A row of the study's table, as table.md has it, its experiment linked to its own page."""
    def error(value: float | None) -> str:
        return "not finite" if value is None else format_loss(value)

    share = row["share_at_noise_floor"]
    diverged = f" ({row['diverged']} diverged)" if row["diverged"] else ""
    cells = [f'<a href="{html.escape(link)}">{html.escape(row["experiment"])}</a>', html.escape(row["trained"]),
             f"{row['seeds']}{diverged}", error(row["median"]), error(row["p10"]), error(row["p90"]),
             "noise floor unknown" if share is None else f"{100 * share:.0f}%"]
    return "<tr>" + "".join(f"<td>{cell}</td>" for cell in cells) + "</tr>"


def study_page_html(name: str, runs: list[Run] | None, rows: list[dict], table_links: list[str], description: str,
                    phase_png: bytes | None = None, notes: list[str] = ()) -> str:
    """A study's page: each cell's seeded run in step (runs; None when there are too many to step
    through together), their median training errors, the final held-out error of every seed (a
    dot each, as final_error.png), the phase diagram of a grid (phase_png), the table with links to
    each cell's own page, and notes (the cells still missing)."""
    header = f"""<h1 id="title">{html.escape(name)}</h1>
<div class="trained" id="trained">{html.escape(description)}{" · " + floor_text(runs) if runs else ""}</div>"""
    phase = ("" if phase_png is None else
             f'<figure><img alt="the phase diagram of the grid" style="max-width: 100%" '
             f'src="data:image/png;base64,{base64.b64encode(phase_png).decode()}"></figure>')
    notes_html = "".join(f"<p class=\"status\">{html.escape(note)}</p>" for note in notes if note)
    table = "\n".join(table_row(row, link) for row, link in zip(rows, table_links))
    table = f"""<div class="table"><table>
<tr><th>experiment (its own page)</th><th>trained</th><th>seeds</th><th>median final held-out MSE</th><th>10th percentile</th><th>90th percentile</th><th>within 10% of the noise floor</th></tr>
{table}
</table></div>"""
    if runs is None:
        return document(f"{name}: watch tiny nets learn", header, f"{phase}\n{notes_html}\n{table}", None)
    labels = [row["experiment"] for row in rows]
    colors = (RUN_COLORS * len(runs))[:len(runs)]
    data = several_runs_data(runs, labels, colors, net_points=study_net_points(runs))
    finals = [np.array([np.nan if net["val_loss"] is None else net["val_loss"] for net in run.summary["nets"]])
              for run in runs]
    values = np.concatenate([final[np.isfinite(final)] for final in finals]
                            + [np.array([run.noise_floor]) for run in runs if run.noise_floor])
    low, high = (float(values.min()), float(values.max())) if len(values) else (1e-3, 1.0)
    data.update(final_errors=[encoded(final) for final in finals],
                final_limits=[low / 1.5, high * 1.5],
                final_percentiles=[[row["p10"], row["median"], row["p90"]] for row in rows])
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
    <figcaption>each seed's final held-out error (a dot; hover to read it, click to pick the net out), the median and the 10-90% spread (bar) · {floor_text(runs)}</figcaption>
    <figcaption id="final-readout"></figcaption></figure>
</div>
{phase}
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


def write_page(run: Run, path: str | Path) -> None:
    """Write a run's report.html."""
    Path(path).write_text(page_html(run), encoding="utf-8")
