"""report.html of a run of two inputs (run.is_plane): the map of the plane on a canvas, stepping
with the page's frame slider, beside the error curves and a classifier's accuracy.

The map shows net 0's output at each frame and, for many seeds, the maps the run keeps over its
nets (seed_maps.py: a classifier's mean output and where its nets disagree; a regression's median,
10th and 90th percentile and their spread); a regression surface's true surface too. A control
chooses which; the training points lie over it (the held-out points on a toggle), a classifier's
decision boundary is drawn on its outputs, and hovering reads the map at the nearest grid point.
Each map is drawn in fit.gif's and seeds.gif's colours (plane_maps.py's lookup tables).

The maps are only drawn and read to a few digits: each is stored in 8 bits over its colours'
fixed range (quantised), in as many levels as are a whole number of the colour map's steps, so
that every value is drawn in exactly the colour the GIFs give it; the hover reads a level's middle,
within half a level of the run's number. Everything else (the errors at each frame, the curves) is
page.js's, as on a run of one input: exact where it is read as a number.
"""

from __future__ import annotations

import html
import math
from pathlib import Path

import numpy as np

from drawing.curves import error_name, floor_phrase, held_out_error_curve, restored_epochs, training_curve
from drawing.page import EVERY_NET_TOGGLE, controls, document, floor_text, knob_words, run_status, slot
from drawing.page_data import (curves_data, diagnostics_data, encoded, knob_curves_data, log_display_precision,
                               net_curves_data, shared_data)
from drawing.plane_maps import (CLASS_COLORS, MapColors, accuracy_limits, axis_coordinates, boundary, class_names,
                                disagreement_colors, grid_side, median_accuracy, names, output_colors, plane_limits,
                                point_colors, spread, spread_colors)
from drawing.style import COLORS
from rundir import Run
from summaries import classification_text, floor_words, percent

PLANE_SCRIPT = Path(__file__).with_name("plane_page.js")

# A stored map's byte that is not a level: a value below the colours' range, above it, not finite.
BELOW, ABOVE, NOT_FINITE = 253, 254, 255
# Bytes the maps may take on the page (4/3 of it once in base64), so that a run of 100 seeds at
# 64 x 64 points and 200 frames (a regression's five maps: 4.1 MB) stays under 10 MB with its
# curves; a larger grid or more frames is drawn on fewer grid points (map_columns).
MAP_BYTES = 5_000_000

# Two columns on a wide screen (the map beside the curves), one on a narrow one.
PLANE_STYLE = """<style>
.panels { grid-template-columns: repeat(auto-fit, minmax(min(440px, 100%), 1fr)); }
figure.plane { grid-row: span 2; }  /* the curves and the inside of the net beside it, one over the other */
figure.plane canvas#fit-canvas-0 { height: auto; aspect-ratio: 1 / 1.06; max-height: 620px; }
.map-controls { display: flex; flex-wrap: wrap; gap: 4px 14px; align-items: center; font-size: 0.9em; margin-bottom: 4px; }
.map-controls select { max-width: 100%; }
#map-readout { min-height: 2.6em; font-variant-numeric: tabular-nums; }
#map-note:empty, #net-readout-0:empty { min-height: 0; }
.numbers b.accuracy { display: inline-block; min-width: 3.3em; }
</style>"""


def levels(colors: MapColors) -> int:
    """How many levels a map of these colours is stored in: the most within 253 that are a whole
    number of its colour map's steps, so that each level lies within one step (one colour)."""
    steps = colors.colormap.N
    return (BELOW // steps) * steps


def quantised(values: np.ndarray, low: float, high: float, count: int) -> np.ndarray:
    """Values as bytes: level k (0 to count - 1) holds [low + k·w, low + (k+1)·w), w = (high - low) / count,
    high itself in the last (as a colour map takes it); BELOW, ABOVE and NOT_FINITE the others."""
    values = np.asarray(values, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        position = np.floor((values - low) / (high - low) * count)
        codes = np.clip(np.nan_to_num(position), 0, count - 1).astype(np.uint8)
        codes[values < low] = BELOW
        codes[values > high] = ABOVE
    codes[~np.isfinite(values)] = NOT_FINITE
    return codes


def dequantised(codes: np.ndarray, low: float, high: float, count: int) -> np.ndarray:
    """The middle of each code's level (NaN for BELOW, ABOVE and NOT_FINITE), as the page reads it."""
    codes = np.asarray(codes)
    values = low + (codes.astype(np.float64) + 0.5) / count * (high - low)
    return np.where(codes < count, values, np.nan)


def map_columns(side: int, frames: int, budget: int = MAP_BYTES) -> np.ndarray:
    """The grid points (along each axis) the maps are stored on: all of them, or as many evenly
    spread ones as keep `frames` frames of maps (summed over the maps) within budget bytes."""
    kept = min(side, max(2, math.isqrt(budget // max(frames, 1))))
    return np.unique(np.round(np.linspace(0, side - 1, kept)).astype(np.int64))


def output_name(run: Run) -> str:
    """What a net's output is called in the map's menu: 'probability of sun', 'output (tanh)', or
    'output (y)' (y: the target's name)."""
    decision = boundary(run)
    if decision is None:
        return f"output ({names(run)[2]})"
    return f"probability of {class_names(run)[1]}" if decision == 0.5 else "output (tanh)"


def same_colors(colors: MapColors, titles: list[str]) -> MapColors:
    """A map in these colours, under other titles."""
    return MapColors(colors.colormap, colors.norm.vmin, colors.norm.vmax, titles, colors.ticks, colors.ends)


def map_choices(run: Run) -> list[tuple[str, str, MapColors, np.ndarray, bool]]:
    """The maps the page offers, each (key, what the menu calls it, its colours, its values (frames,
    grid), whether it is a net's output (a classifier's boundary and class read on it)): net 0's
    output; for many nets the maps the run keeps over them (in the colours and under the titles of
    seeds.gif's); a regression surface's true surface. One net's map has fit.gif's titles."""
    output, target = output_name(run), names(run)[2]
    colors = output_colors(run)  # of many nets, the titles of their mean's or median's map
    if run.nets == 1:
        return [("prediction", f"the net's {output}", colors, run.predictions[:, 0], True)] + truth_choice(run, colors)
    choices = [("prediction", f"net 0's {output}", same_colors(colors, [f"net 0's {output}", "net 0"]),
                run.predictions[:, 0], True)]
    maps = run.per_frame
    if run.config.classifies:
        choices += [("mean_prediction", f"mean {output} of the {run.nets} nets", colors, maps["mean_prediction"][:, 0],
                     True),
                    ("disagreement", "share of the nets against the majority's class", disagreement_colors(),
                     maps["disagreement"][:, 0], False)]
    else:
        def percentile(which: str) -> MapColors:
            return same_colors(colors, [f"{which} percentile of the nets' {target}", f"{which} percentile"])

        choices += [("median_prediction", f"median {target} of the {run.nets} nets", colors,
                     maps["median_prediction"][:, 0], True),
                    ("low_prediction", f"10th percentile of the nets' {target}", percentile("10th"),
                     maps["low_prediction"][:, 0], True),
                    ("high_prediction", f"90th percentile of the nets' {target}", percentile("90th"),
                     maps["high_prediction"][:, 0], True),
                    ("spread", f"10-90% spread of the nets' {target}", spread_colors(run), spread(run), False)]
    return choices + truth_choice(run, colors)


def truth_choice(run: Run, colors: MapColors) -> list:
    """A regression surface's true surface (no noise), in its outputs' colours; none for other runs."""
    if run.y_grid_true is None:
        return []
    truth = f"true {names(run)[2]} (no noise)"
    return [("truth", truth, same_colors(colors, [truth, f"true {names(run)[2]}"]), run.y_grid_true[None, :], True)]


def maps_data(run: Run, choices: list) -> dict:
    """The maps (map_choices) as the page draws them: on which grid points (along each axis; all, or
    fewer past MAP_BYTES) and each map's bytes (frames, rows from the bottom, points along x1), its
    colours and levels."""
    side = grid_side(run)
    columns = map_columns(side, sum(len(values) for _, _, _, values, _ in choices))
    grid = np.ix_(columns, columns)
    maps = []
    for key, menu, colors, values, is_output in choices:
        count = levels(colors)
        on_grid = np.asarray(values).reshape(len(values), side, side)[(slice(None),) + grid]
        codes = quantised(on_grid, colors.norm.vmin, colors.norm.vmax, count)
        maps.append({"key": key, "menu": menu, "colors": colors.to_json(), "levels": count, "frames": len(values),
                     "output": is_output, "codes": encoded(codes),
                     # Whether some value lies past an end of the colours: its bar has an arrow there, as the GIFs'.
                     "extend": [bool(np.any(codes == BELOW)), bool(np.any(codes == ABOVE))]})
    coordinates = axis_coordinates(run)
    return {"side": int(len(columns)), "grid_side": side,
            "coordinates": [[float(value) for value in axis[columns]] for axis in coordinates], "maps": maps}


def points_data(run: Run) -> dict:
    """The training and held-out points, in the colours the GIFs draw them in over the output's
    map, their edge, and whether the held-out ones show at first (render.show_held_out)."""
    colors = output_colors(run)

    def hexes(targets: np.ndarray) -> list[str]:
        return ["#%02x%02x%02x" % tuple(int(round(255 * channel)) for channel in color[:3])
                for color in point_colors(run, colors, targets)]

    held_out = run.x_validation is not None and len(run.x_validation) > 0
    return {"train": encoded(run.x_train.astype(np.float32)), "train_colors": hexes(run.y_train),
            "held_out": encoded(run.x_validation.astype(np.float32)) if held_out else None,
            "held_out_colors": hexes(run.y_validation) if held_out else [],
            "edge": "#ffffff" if boundary(run) is not None else "#1a1a1a",
            "show_held_out": bool(run.config.render.show_held_out)}


def accuracy_data(run: Run) -> dict | None:
    """A classifier's training and held-out accuracy at each frame (the median over the nets whose
    error is finite), every net's (exact, float32) for a net picked out, and the best accuracy any
    classifier can have where the problem defines it (1 - the Bayes error rate); None for a regression."""
    if not run.config.classifies:
        return None
    train, held_out = median_accuracy(run, "accuracy"), median_accuracy(run, "val_accuracy")
    bayes = run.summary.bayes_error_rate
    return {"train": encoded(train), "held_out": encoded(held_out),
            "limits": list(accuracy_limits(np.concatenate([train, held_out]))),
            "net_train": encoded(run.per_frame["accuracy"].astype(np.float32)) if run.nets > 1 else None,
            "net_held_out": encoded(run.per_frame["val_accuracy"].astype(np.float32)) if run.nets > 1 else None,
            "best": None if bayes is None else 1 - bayes}


def net_held_out_data(run: Run, curve_epochs: list[int]) -> dict:
    """Every net's held-out error, as a curve at display precision on the epochs of its training
    curve (net_curves_data's) and exactly at each of its frames (NaN where there is none: the
    untrained net; at a last frame of restored best weights, summary.json's)."""
    epochs, values = held_out_error_curve(run)
    curves = np.stack([np.interp(curve_epochs, epochs, values[:, net]) for net in range(run.nets)], axis=1)
    at_frames = np.full(run.frame_loss.shape, np.nan, dtype=np.float32)
    position = {int(epoch): index for index, epoch in enumerate(epochs)}
    for frame, epoch in enumerate(run.frame_epochs):
        if int(epoch) in position:
            at_frames[frame] = values[position[int(epoch)]]
    if restored_epochs(run) is not None:
        at_frames[-1] = run.summary.final_held_out_errors()
    limits = shared_data([run], run.frame_epochs)["error_limits"]
    return {"net_held_out_curves": log_display_precision(curves, limits), "net_frame_held_out": encoded(at_frames)}


def floor_line(run: Run) -> float | None:
    """The dashed line on the error panel: a regression's noise floor σ², a classifier's Bayes
    cross-entropy where the problem has one (the least a classifier's cross-entropy can be)."""
    return run.summary.bayes_cross_entropy if run.config.classifies else run.noise_floor


def plane_view_data(run: Run, choices: list, accuracy: dict | None) -> dict:
    """What plane_page.js's PlaneMap draws of a run: these maps (map_choices), the points, the
    plane's extent and names, a classifier's classes and boundary, and its accuracy (or None)."""
    decision = boundary(run)
    return {**maps_data(run, choices), "points": points_data(run), "accuracy": accuracy,
            "limits": [list(limits) for limits in plane_limits(run)], "names": list(names(run)),
            "classes": list(class_names(run)) if decision is not None else None, "class_colors": list(CLASS_COLORS),
            "boundary": decision}


def plane_cell_data(run: Run, frame_epochs: np.ndarray) -> dict:
    """A grid study's cell of two inputs as its page draws it (page_grid.cell_data): its errors, at
    the page's frames, and its final map: net 0's output for one net, else the first map over its
    nets (a classifier's mean output, a regression's median), as seeds.gif's last frame."""
    key, menu, colors, values, is_output = map_choices(run)[1 if run.nets > 1 else 0]
    data = curves_data(run, run.name, COLORS["net"], frame_epochs)
    data.update(plane=True, axis_names=list(names(run)[:2]), noise_floor=floor_line(run),
                map=plane_view_data(run, [(key, f"final {menu}", colors, values[-1:], is_output)], None))
    return data


def plane_page_data(run: Run) -> dict:
    """page.js's data for a run of two inputs: a run's (its errors and curves, every net's, the
    inside of net 0), with under runs[0].plane its maps, points and accuracy."""
    data = shared_data([run], run.frame_epochs, knobs=True)  # (the error panel reaches the dashed line: error_range)
    view = curves_data(run, run.name, COLORS["net"], run.frame_epochs)
    view.update(noise_floor=floor_line(run), plane=True, axis_names=list(names(run)[:2]), predictions=None, units=None,
                net_predictions=None, net_columns=[], band_low=None, band_high=None)
    if run.nets > 1:
        curve_epochs, curve_train = training_curve(run)
        view.update(net_curves_data(run, curve_epochs, curve_train, len(curve_epochs)))
        view.update(net_held_out_data(run, view["net_curve_epochs"]))
    view["map"] = plane_view_data(run, map_choices(run), accuracy_data(run))
    data.update(runs=[view], error_name=error_name(run), diagnostics=diagnostics_data(run),
                knob_curves=knob_curves_data(run), learning_rate=None)
    return data


def plane_floor_text(runs: list[Run]) -> str:
    """What a page of several runs of two inputs says of their floor: of classifiers, the Bayes error
    rate where their problem defines one (curves.floor_phrase); of regressions, their noise floor
    (page.floor_text)."""
    if not runs[0].config.classifies:
        return floor_text(runs)
    phrases = {floor_phrase(run) for run in runs}
    return phrases.pop() if len(phrases) == 1 else "each cell's Bayes error rate on its own page"


def ending_words(run: Run) -> str:
    """How the run ended, for its header: a classifier's held-out error rate and accuracy, and the
    Bayes error rate where the problem defines it (else that it is unknown); a regression's noise floor."""
    if not run.config.classifies:
        return floor_words(run.noise_floor, "g")
    unknown = "" if run.summary.bayes_error_rate is not None else f"; {floor_phrase(run)}"
    return classification_text(run.summary) + unknown


def map_figure(run: Run, data: dict) -> str:
    """The map's figure: which map it shows, the points' toggles, the canvas, what it draws, and the
    readout under the pointer."""
    plane = data["runs"][0]["map"]
    # A seeded run's page opens on the first map over its nets, as seeds.gif shows it.
    first = 1 if run.nets > 1 else 0
    options = "".join(f'<option value="{index}"{" selected" if index == first else ""}>{html.escape(item["menu"])}</option>'
                      for index, item in enumerate(plane["maps"]))
    held_out = " checked" if plane["points"]["show_held_out"] else ""
    decision = plane["boundary"]
    line = "" if decision is None else f" · the decision boundary ({decision:g}) a black line on the outputs"
    thinned = "" if plane["side"] == plane["grid_side"] else (
        f" · drawn on {plane['side']} of the run's {plane['grid_side']} grid points a side, to keep the page under "
        "10 MB")
    note = ("" if run.nets == 1 else
            f" · a seeded run keeps net 0's map and the maps over its {run.nets} nets: a net picked out shows its "
            "curves, not its map")
    points = "in their class's colours" if decision is not None else "in their target's colours"
    caption = (f"the map at the frame's epoch; the points {points}{line}{thinned}{note} · hover to read the map at "
               "the nearest grid point (stored in 8 bits: to within the ± shown)")
    return f"""  <figure class="plane"><div class="map-controls">
    <label>map <select id="map-choice">{options}</select></label>
    <label><input type="checkbox" id="show-train" checked> training points</label>
    <label><input type="checkbox" id="show-held-out"{held_out}> held-out points (hollow)</label></div>
    <canvas id="fit-canvas-0"></canvas>
    <figcaption>{caption}</figcaption>
    <figcaption id="map-note" class="note"></figcaption>
    <figcaption id="map-readout"></figcaption>
    <figcaption id="net-readout-0"></figcaption></figure>"""


def plane_page_html(run: Run) -> str:
    """The whole page of a run of two inputs: its map, error curves (and a classifier's accuracy) and
    the inside of net 0, one slider stepping them all."""
    data = plane_page_data(run)
    name, median = error_name(run), "median " if run.nets > 1 else ""
    caption, failed = run_status(run)
    status = "" if caption is None else (
        f'<div class="{"status" if failed else "ended"}" id="status">{html.escape(caption.replace(chr(10), " "))}</div>')
    seeds = f" · {run.nets} seeds" if run.nets > 1 else ""
    header = f"""<h1 id="title">{html.escape(run.name)}</h1>
<div class="trained" id="trained">{html.escape(run.training_description)}{seeds} · {html.escape(ending_words(run))}</div>
{status}"""
    numbers = (f'<span id="epoch-word">epoch </span>{slot("epoch")}<span id="epoch-of"> of {run.epochs_requested:,}</span>'
               f' · {median}training {name} {slot("train-loss")} · {median}held-out {name} {slot("held-out-loss")}')
    if run.config.classifies:
        numbers += (f' · {median}accuracy <b id="train-accuracy" class="accuracy"></b> training, '
                    '<b id="held-out-accuracy" class="accuracy"></b> held-out')
    toggles = ""
    if run.nets > 1:
        options = "".join(f'<option value="{net}">net {net} (seed {seed})</option>' for net, seed in enumerate(run.seeds))
        toggles = EVERY_NET_TOGGLE + f'<label>pick <select id="net-pick"><option value="">no net</option>{options}</select></label>'
    floor = floor_line(run)
    floor_key = "" if not floor else (f" · Bayes cross-entropy {floor:.3g} (dashed)" if run.config.classifies
                                          else f" · {floor_words(floor, 'g')} (dashed)")
    picked = " · a net picked out in pink (its held-out dashed)" if run.nets > 1 else ""
    accuracy = ""
    if run.config.classifies:
        best = data["runs"][0]["map"]["accuracy"]["best"]
        best_key = "" if best is None else f" · the best any classifier can do, 1 - the Bayes error rate: {percent(best)} (dashed)"
        accuracy = f"""
    <canvas id="accuracy-canvas" style="height: 200px"></canvas>
    <figcaption>{median}accuracy at each frame: training ({"dark blue" if run.nets > 1 else "blue"}), held-out (orange){best_key}{picked}</figcaption>"""
    body = f"""{PLANE_STYLE}
{controls(numbers, toggles)}
<div class="panels">
{map_figure(run, data)}
  <figure><canvas id="error-canvas"></canvas>
    <figcaption>{median}training {name} ({"dark blue" if run.nets > 1 else "blue"}), {median}held-out {name} (orange){knob_words(data)}{floor_key}{picked}</figcaption>
    <figcaption id="error-readout"></figcaption>{accuracy}</figure>
  <figure id="inside"><canvas id="inside-canvas"></canvas>
    <figcaption>inside {"net 0" if run.nets > 1 else "the net"}: {" · ".join(html.escape(panel["title"]) for panel in data["diagnostics"])}</figcaption></figure>
</div>"""
    return document(f"{run.name}: watch a tiny net learn", header, body, data, PLANE_SCRIPT.read_text())
