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
import warnings
from pathlib import Path

import matplotlib
import numpy as np

from drawing.curves import (axis_epochs, drawable_predictions, error_range, held_out_curve, training_curve,
                            truth_label)
from drawing.frames import fit_limits
from drawing.residuals import RESIDUAL_COLORMAP, colormap, net_residuals, residual_limit, residual_norm, thinned
from drawing.style import COLORS
from drawing.units import (distinct_units, drawable_contributions, gradient_norm, saturation, unit_colors, units_limits,
                           value_limits)
from rundir import Run, median_over_nets

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


def run_data(run: Run) -> dict:
    """What the page of a run shows, as JSON: one net's, or for many seeds the medians, the
    10-90% band and every net."""
    epochs_done = run.epochs_completed
    frame_loss = per_net(run.frame_loss)
    # Index e: the training error of the weights after e epochs (the history's loss of epoch e + 1,
    # then the final weights'), and the held-out error after e epochs (none before the first).
    train_after = per_net(run.loss)
    if run.frame_epochs[-1] == epochs_done:
        train_after = np.append(train_after, frame_loss[-1])
    held_out_after = np.concatenate([[np.nan], per_net(run.val_loss)])
    curve_epochs, curve_train = training_curve(run)
    held_epochs, curve_held_out = held_out_curve(run)
    x_limits, data_limits = fit_limits([run])
    contributions = drawable_contributions(run)
    y_limits = units_limits(data_limits, [contributions])
    predictions = drawable_predictions(run)
    data = {
        "name": run.name, "trained": run.trained, "status": run.status, "fps": run.config.render.fps,
        "nets": run.nets, "seeds": [int(seed) for seed in run.seeds],
        "axis_names": list(run.axis_names), "truth_label": truth_label(run) if run.y_grid_true is not None else None,
        "noise_floor": run.noise_floor, "colors": COLORS,
        "x_train": encoded(run.x_train), "y_train": encoded(run.y_train), "x_grid": encoded(run.x_grid),
        "y_grid_true": encoded(run.y_grid_true),
        "frame_epochs": [int(epoch) for epoch in run.frame_epochs],
        "frame_loss": encoded(frame_loss), "train_after": encoded(train_after), "held_out_after": encoded(held_out_after),
        # The curves as drawn: thinned to a few thousand points on log-spaced epochs.
        "curve_epochs": [int(epoch) for epoch in curve_epochs], "curve_train": rounded(per_net(curve_train)),
        "curve_held_out": rounded(np.interp(curve_epochs, held_epochs, per_net(curve_held_out))),
        "x_limits": list(x_limits), "y_limits": list(y_limits),
        "epoch_limits": [1, max(2, axis_epochs(run))], "error_limits": list(error_range([run])),
        "units": None,
    }
    data["diagnostics"] = diagnostics_data(run)
    data["residuals"] = residuals_data(run)
    if run.nets == 1:
        # As fit.gif draws it: a blown-up net's last finite prediction (the numbers shown stay the run's).
        data["predictions"] = encoded(predictions[:, 0])
    else:
        data.update(seeds_data(run, predictions, y_limits, curve_train))
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


def diagnostics_data(run: Run) -> list[dict]:
    """Net 0's gradient norm, distinct units and saturated share over the epochs, as units.gif
    draws them beside its units (those the run recorded), with each frame's mark."""
    panels = []
    for diagnostic in (gradient_norm(run), distinct_units(run), saturation(run)):
        if diagnostic.curves is None:
            continue
        panels.append({
            "title": diagnostic.titles[0], "log": diagnostic.log_scale, "limits": list(value_limits([diagnostic])),
            "lines": [{"epochs": [int(epoch) for epoch in epochs], "values": rounded(values[:, 0])}
                      for epochs, values in diagnostic.curves],
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
                      + f" (red: too high, blue: too low; ±{limit:.2g} and beyond, symmetric log)")}


def seeds_data(run: Run, predictions: np.ndarray, y_limits, curve_train: np.ndarray) -> dict:
    """A seeded run's median prediction (its own precision), and at display precision its 10-90%
    band, every net (on at most MAX_NET_POINTS grid points) and every net's training curve (as
    log10). A net whose error is no longer finite is left out of the median and band at that
    frame, as seeds.gif leaves it out."""
    alive = np.isfinite(run.frame_loss)[:, :, None]  # (frames, nets, 1)
    kept = np.where(alive, predictions, np.nan)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a frame where every net has blown up
        low, median, high = np.nanpercentile(kept, [10, 50, 90], axis=1)
    low_limit, high_limit = y_limits
    reach = high_limit - low_limit
    columns = thinned(len(run.x_grid), MAX_NET_POINTS)
    with np.errstate(all="ignore"):
        log_curves = np.log10(np.where(curve_train > 0, curve_train, np.nan))
    error_low, error_high = (np.log10(value) for value in error_range([run]))
    return {
        "predictions": encoded(median.astype(np.float32)),
        "band_low": display_precision(low, low_limit - reach, high_limit + reach),
        "band_high": display_precision(high, low_limit - reach, high_limit + reach),
        "net_columns": [int(column) for column in columns],
        "net_predictions": display_precision(kept[:, :, columns], low_limit - reach, high_limit + reach),
        "net_curves": display_precision(np.transpose(log_curves), error_low - 1, error_high + 1),
        "net_frame_loss": encoded(run.frame_loss.astype(np.float32)),
    }


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


STYLE = """
body { font-family: system-ui, sans-serif; margin: 0 auto; max-width: 1200px; padding: 12px; color: #222; }
h1 { font-size: 1.3em; margin: 0.2em 0; overflow-wrap: anywhere; }
.trained { color: #444; margin-bottom: 0.6em; overflow-wrap: anywhere; }
.controls { display: flex; flex-wrap: wrap; gap: 8px 14px; align-items: center; margin: 8px 0; }
.controls input[type=range] { flex: 1 1 240px; }
.numbers { font-variant-numeric: tabular-nums; }
.numbers b { color: %(net)s; }
.panels { display: grid; grid-template-columns: repeat(auto-fit, minmax(min(320px, 100%%), 1fr)); gap: 12px; }
figure { margin: 0; }
figcaption { font-size: 0.9em; color: #444; min-height: 1.3em; }
canvas { width: 100%%; height: 320px; display: block; }
.status { color: %(marker)s; font-weight: bold; }
"""


def page_html(run: Run) -> str:
    """The whole page of a one-net run, script and data inside."""
    data = run_data(run)
    status = "" if run.status == "completed" else (
        f'<div class="status">{html.escape(run.status)} at epoch {run.epochs_completed:,}</div>')
    floor = (f"noise floor σ² = {run.noise_floor:g}" if run.noise_floor else "noise floor unknown")
    units_toggle = ('<label><input type="checkbox" id="show-units"> units of net 0 (activation × weight)</label>'
                    if data["units"] is not None else "")
    if run.nets > 1:
        units_toggle = ('<label><input type="checkbox" id="show-nets" checked> every net</label>' + units_toggle)
    else:
        units_toggle = units_toggle.replace("units of net 0", "units").replace('id="show-units"',
                                                                                'id="show-units" checked')
    truth = f" · {html.escape(data['truth_label'])} (dotted)" if data["truth_label"] else ""
    seeds = f" · {run.nets} seeds" if run.nets > 1 else ""
    median = "median " if run.nets > 1 else ""
    prediction = ("median prediction (dark blue), 10-90% of nets (band), every net (faint); click a net to "
                  "pick it out" if run.nets > 1 else "prediction (blue)")
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'">
<title>{html.escape(run.name)}: watch a tiny net learn</title>
<style>{STYLE % COLORS}</style>
</head>
<body>
<h1 id="title">{html.escape(run.name)}</h1>
<div class="trained" id="trained">{html.escape(run.trained)}{seeds} · {floor}</div>
{status}
<div class="controls">
  <button id="play" type="button">▶ play</button>
  <label>speed <select id="speed"><option value="0.5">0.5×</option><option value="1" selected>1×</option>
    <option value="2">2×</option><option value="4">4×</option></select></label>
  <input type="range" id="frame-slider" min="0" value="0" aria-label="frame">
  <span class="numbers">epoch <b id="epoch"></b> of {run.epochs_requested:,} ·
    {median}training MSE <b id="train-loss"></b> · {median}held-out MSE <b id="held-out-loss"></b></span>
  {units_toggle}
</div>
<div class="panels">
  <figure><canvas id="fit-canvas"></canvas>
    <figcaption>data (grey){truth} · {prediction}</figcaption>
    <figcaption id="net-readout"></figcaption></figure>
  <figure><canvas id="error-canvas"></canvas>
    <figcaption id="error-readout"></figcaption></figure>
  <figure id="residuals"><canvas id="residual-canvas"></canvas>
    <figcaption>residual of {"net 0" if run.nets > 1 else "the net"}: {html.escape(data["residuals"]["title"])}</figcaption></figure>
  <figure id="inside"><canvas id="inside-canvas"></canvas>
    <figcaption>inside {"net 0" if run.nets > 1 else "the net"}: {" · ".join(html.escape(panel["title"]) for panel in data["diagnostics"])}</figcaption></figure>
</div>
<p class="trained">← → step a frame · space plays · click the error curves to jump there · the address keeps the frame</p>
<script type="application/json" id="run-data">{script_json(_nan_to_none(data))}</script>
<script>{SCRIPT.read_text()}</script>
</body>
</html>
"""


def write_page(run: Run, path: str | Path) -> None:
    """Write a run's report.html."""
    Path(path).write_text(page_html(run), encoding="utf-8")
