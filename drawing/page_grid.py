"""report.html of a grid study: its cells to browse by setting.

One control per grid key (a slider over its values, in the grid's order, with the key and the
value chosen) chooses a cell. The chosen cell's fit (its median prediction and the 10-90% band of
its seeds, as seeds.gif draws them) and its error curves (on its own scales, as on its own page)
step with the frame slider as a seeded run's page does: the cell is the page's one run for page.js. The phase diagram (phase.png, as
drawn) outlines the chosen cell, and a click on a cell of it chooses that cell (study_grid.js). A
cell missing from the grid (not trained yet, or failed) says so when chosen.

The page stays one offline file under 10 MB: each cell's frames are embedded as its medians and
bands, never every net, on fewer grid points where needed (GRID_PAGE_BYTES, page_plan); a grid too
large for that gets the medians alone, and says that each cell's own page (linked) has its band and
every net. A cell's errors are kept exactly at its frames' epochs and at its curves' points, which
the hover on the error curves reads.

A grid of runs of two inputs shows the chosen cell's final map (plane_page.py: net 0's output, or the
first map over its nets) beside its error curves, which step with the slider; its own page has its
map at every frame.
"""

from __future__ import annotations

import base64
import dataclasses
import html
import itertools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from drawing.comparison import compare_frame_epochs, panel_limits, shared_scales
from drawing.curves import (error_name, error_range, held_out_error_curve, shared_axis_epochs, training_error_curve,
                            truth_label)
from drawing.page import controls, document, floor_text, notes_paragraphs, run_status, slot, study_table
from drawing.page_data import (MAX_NET_POINTS, SEVERAL_RUNS_CURVE_POINTS, by_epoch, display_precision, encoded,
                                run_data, shared_data)
from drawing.phase import CellBoxes, key_of, settings_key
from drawing.plane_page import PLANE_SCRIPT, PLANE_STYLE, plane_cell_data, plane_floor_text
from drawing.style import COLORS, thinned
from naming import value_label
from rundir import Run
from summaries import AT_BAYES_WORDS, AT_FLOOR_WORDS, StudyRow, final_error_text, percent, share_text

GRID_SCRIPT = Path(__file__).with_name("study_grid.js")

# The cells' data on a grid's page, in bytes: with the phase diagram, the table and the script, the
# page stays under 10 MB.
GRID_PAGE_BYTES = 8_000_000
# What a value costs on the page (base64: 4/3 of its bytes): a median prediction, drawn and never
# read as a number, in 16 bits (page_data.display_precision), the band's two ends likewise; a point
# of a cell's error curves (its epoch and both errors, drawn and kept exactly), a frame (its epoch,
# index and errors) and the rest of a cell (its data, the truth), about.
MEDIAN_BYTES, BAND_BYTES, CURVE_POINT_BYTES, FRAME_BYTES, CELL_BYTES = 2 * 4 / 3, 2 * 2 * 4 / 3, 45, 12, 12_000
# A cell's band is drawn on no fewer grid points than every net on a seeded run's page (past that the
# page embeds the medians alone), a median alone on no fewer than MIN_MEDIAN_POINTS; a cell's error
# curves on SEVERAL_RUNS_CURVE_POINTS epochs, fewer for a grid of hundreds of cells.
BAND_POINTS, MIN_MEDIAN_POINTS, MIN_CURVE_POINTS = MAX_NET_POINTS, 20, 50

# The grid's controls on a line of their own under the frame slider; the phase diagram as large as
# drawn (at most the page's width), the chosen cell outlined over it.
GRID_STYLE = """<style>
.grid-keys { flex-basis: 100%%; display: flex; flex-wrap: wrap; gap: 4px 18px; align-items: center; }
.grid-keys label { display: flex; align-items: center; gap: 6px; }
.controls .grid-keys input[type=range] { flex: 0 1 150px; }
.grid-keys b { min-width: 4em; }
.phase-image { position: relative; display: inline-block; max-width: 100%%; }
.phase-image img { display: block; max-width: 100%%; }
#phase-marker { position: absolute; box-sizing: border-box; border: 3px solid %(marker)s;
                box-shadow: 0 0 0 1px #fff, inset 0 0 0 1px #fff; pointer-events: none; }
.missing-cell { visibility: hidden; }
.cell-heading { margin: 6px 0; min-height: 2.6em; white-space: pre-line; overflow-wrap: anywhere; }
</style>"""


@dataclass
class GridCell:
    """A combination of the grid's values as the page shows it: its values, its folder's name and its
    own page (link), and its run (slim) and table row, or why it is missing."""

    settings: dict[str, Any]
    name: str
    link: str
    run: Run | None = None
    row: StudyRow | None = None
    missing: str = ""


@dataclass(frozen=True)
class PagePlan:
    """How the cells' frames fit the page: with their bands or the medians alone, on at most how
    many grid points, their error curves on at most how many epochs."""

    bands: bool
    grid_points: int
    curve_points: int


def page_plan(frames: list[int], grid_points: list[int], budget: int = GRID_PAGE_BYTES) -> PagePlan:
    """How cells of these frames and grid points fit the budget: their medians and bands on every
    grid point, or on as many as fit down to BAND_POINTS; else their medians alone, on as many as fit
    (at least MIN_MEDIAN_POINTS)."""
    cells, most = len(frames), max(grid_points)
    curve_points = int(np.clip(budget / 10 / cells / CURVE_POINT_BYTES, MIN_CURVE_POINTS, SEVERAL_RUNS_CURVE_POINTS))
    room = budget - cells * (curve_points * CURVE_POINT_BYTES + CELL_BYTES) - sum(frames) * FRAME_BYTES
    with_bands = room / (sum(frames) * (MEDIAN_BYTES + BAND_BYTES))
    if with_bands >= min(BAND_POINTS, most):
        return PagePlan(True, int(min(with_bands, most)), curve_points)
    alone = room / (sum(frames) * MEDIAN_BYTES)
    return PagePlan(False, int(np.clip(alone, MIN_MEDIAN_POINTS, most)), curve_points)


# What a grid's page draws of a cell's frames: its predictions and errors; a run of two inputs' maps
# over its nets (seed_maps.py) too.
DRAWN_FRAMES = ("prediction", "loss", "mean_prediction", "disagreement", "median_prediction", "low_prediction",
                "high_prediction")


def slim(run: Run) -> Run:
    """A cell's run (rundir.read_run's) less what its page does not draw (its first net's units and
    weights, most of a run's size), so that a grid of many cells is held at once."""
    return dataclasses.replace(run, per_frame={name: values for name, values in run.per_frame.items()
                                               if name in DRAWN_FRAMES},
                               per_epoch={name: run.per_epoch[name] for name in ("loss", "val_loss")})


def on_points(run: Run, points: int) -> Run:
    """The run with its predictions on at most `points` of its grid points, evenly spread."""
    columns = thinned(len(run.x_grid), points)
    if len(columns) == len(run.x_grid):
        return run
    return dataclasses.replace(run, x_grid=run.x_grid[columns],
                               y_grid_true=None if run.y_grid_true is None else run.y_grid_true[columns],
                               per_frame=dict(run.per_frame, prediction=run.predictions[:, :, columns]))


def kept_at(values: np.ndarray, epochs: np.ndarray) -> dict:
    """A by-epoch array (page_data.by_epoch) kept at these epochs only, in its own precision, as
    page.js's decode expands it again (NaN at the others)."""
    epochs = epochs[epochs < len(values)]
    return dict(encoded(values[epochs]), at=[int(epoch) for epoch in epochs], length=int(len(values)))


def cell_data(run: Run, frame_epochs: np.ndarray, limits, plan: PagePlan) -> dict:
    """A present cell as page.js reads a run (page_data.run_data): its median prediction (at display
    precision, as its band), and its band by the plan; its error curves on plan.curve_points epochs,
    its errors kept exactly there and at its frames' epochs; never every net. Limits: its fit panel's.
    A run of two inputs: its final map (plane_page.plane_cell_data) instead of its fit."""
    if run.is_plane:
        data = plane_cell_data(run, frame_epochs)
    else:
        data = run_data(on_points(run, plan.grid_points), run.name, COLORS["net"], frame_epochs, limits,
                        with_units=False, net_points=1, curve_points=1)
        low, high = data["y_limits"]
        reach = high - low  # as the band's: a prediction beyond the panel is drawn at its edge
        # run_data embeds the median whole (a seeded run's page); here it is only drawn, as the band is.
        median = np.frombuffer(base64.b64decode(data["predictions"]["base64"]), data["predictions"]["dtype"])
        data["predictions"] = display_precision(median.reshape(len(run.frame_epochs), -1), low - reach, high + reach)
    curve = thinned(len(data["curve_epochs"]), plan.curve_points)
    data.update({name: [data[name][index] for index in curve] for name in ("curve_epochs", "curve_train",
                                                                             "curve_held_out")})
    epochs = np.union1d(np.asarray(data["curve_epochs"], dtype=np.int64), run.frame_epochs)
    data.update(train_after=kept_at(by_epoch(*training_error_curve(run)), epochs),
                held_out_after=kept_at(by_epoch(*held_out_error_curve(run)), epochs),
                net_predictions=None, net_columns=[], net_curve_epochs=[], net_curves=None, net_frame_loss=None)
    if not plan.bands or run.is_plane:
        data.update(band_low=None, band_high=None)
    # Its error curves on its own scales, as on its own page: one cell's blow-up (a thousand times the
    # floor) would squash every other cell's curves flat on shared ones.
    data.update(epoch_limits=[1, max(2, shared_axis_epochs([run]))], error_limits=list(error_range([run])))
    return data


def cell_numbers(row: StudyRow) -> list:
    """How the chosen cell ended, as its row of the table states it: words, and each number as
    [element id, its text, its exact value]."""
    def number(element_id: str, value: float | None) -> list:
        return [element_id, final_error_text(value), value]

    if row.classifies:  # a classifier's error rates, as the study's table gives them (study_table.classifier_table)
        def rate(element_id: str, value: float | None) -> list:
            return [element_id, percent(value), value]

        at_bayes = ([" · ", ["cell-share", share_text(row.share_at_bayes), row.share_at_bayes], f" {AT_BAYES_WORDS}"]
                    if row.bayes_error_rate is not None else [])
        parts = ["final held-out error rate: median ", rate("cell-rate", row.rate_median), " (10th-90th percentile ",
                 rate("cell-rate-p10", row.rate_p10), " to ", rate("cell-rate-p90", row.rate_p90), ")", *at_bayes,
                 f" · median final held-out {row.error_name} ", number("cell-median", row.median),
                 f" · training {row.error_name} ", number("cell-train-median", row.train_median)]
    else:
        parts = ["final held-out MSE: median ", number("cell-median", row.median), " (10th-90th percentile ",
                 number("cell-p10", row.p10), " to ", number("cell-p90", row.p90), ") · ",
                 ["cell-share", share_text(row.share_at_noise_floor), row.share_at_noise_floor],
                 f" {AT_FLOOR_WORDS}" if row.share_at_noise_floor is not None else "",
                 " · median final training MSE ", number("cell-train-median", row.train_median)]
    if row.diverged:
        parts += [" · ", ["cell-diverged", str(row.diverged), row.diverged], " diverged"]
    return parts


def grid_data(cells: list[GridCell], grid: dict[str, list[Any]], boxes: CellBoxes, plan: PagePlan) -> dict:
    """page.js's data for a grid's page: the page's frames (every epoch a cell has a frame at), the
    first present cell as the page's one run (its error axes, at first); and under "grid" the keys,
    every cell in the grid's order (the last key varying fastest; a present cell's run but the
    first's, which is the page's run already) and where each lies in phase.png."""
    present = [cell for cell in cells if cell.run is not None]
    runs = [cell.run for cell in present]
    frame_epochs = compare_frame_epochs(runs)
    data = shared_data(runs[:1], frame_epochs)
    # (A plane's cells draw their maps on the plane's own extent.)
    limits = dict(zip((cell.name for cell in present), [None] * len(runs) if runs[0].is_plane else panel_limits(runs)))
    entries = []
    for cell in cells:
        entries.append({
            "name": cell.name, "link": cell.link, "missing": cell.missing or None,
            "values": [[key_of(value) for value in grid[key]].index(key_of(cell.settings[key])) for key in grid],
            "trained": None if cell.row is None else f"{cell.row.trained} · {cell.row.seeds} seeds",
            "status": None if cell.run is None else run_status(cell.run),  # how it ended, if not as asked
            "numbers": None if cell.row is None else cell_numbers(cell.row),
            "run": None if cell.run is None else cell_data(cell.run, frame_epochs, limits[cell.name], plan),
        })
    initial = cells.index(present[0])
    data.update(runs=[entries[initial]["run"]])
    entries[initial]["run"] = None  # (once on the page)
    data["grid"] = {
        "keys": [{"key": key, "labels": [value_label(key, value) for value in values]} for key, values in grid.items()],
        "cells": entries, "initial": initial, "bands": plan.bands,
        "image": {"width": boxes.width, "height": boxes.height},
        "boxes": [list(boxes.boxes[settings_key(cell.settings, grid)]) for cell in cells],
    }
    return data


def key_controls(grid: dict[str, list[Any]]) -> str:
    """A slider per grid key over its values in the grid's order, labelled with the key and the value
    chosen (study_grid.js sets them); a key of one value is stated."""
    labels = []
    for index, (key, values) in enumerate(grid.items()):
        slider = (f'<input type="range" id="key-slider-{index}" min="0" max="{len(values) - 1}" value="0" step="1" '
                  f'aria-label="{html.escape(key)}">' if len(values) > 1 else "")
        labels.append(f'<label>{html.escape(key)} {slider}<b id="key-value-{index}"></b></label>')
    return f'<div class="grid-keys" id="grid-keys">{"".join(labels)}</div>'


def fit_caption(run: Run, bands: bool) -> str:
    """What the fit panel draws (of cells like run): the data, the truth, the median prediction and its band
    (of runs of two inputs: the final map)."""
    if run.is_plane:
        whose = "its net's output" if run.nets == 1 else "the first map over its nets, as seeds.gif's last frame"
        return (f"the cell's final map ({whose}), the training points over it; its own page steps through its maps "
                "· hover to read the map")
    truth = f" · {html.escape(truth_label(run))} (dotted)" if run.y_grid_true is not None else ""
    if run.nets == 1:
        return f"data (grey){truth} · prediction (blue)"
    band = "10-90% of nets (band)" if bands else "the band and every net on the cell's own page"
    return f"data (grey){truth} · median prediction (dark blue), {band}"


def grid_page_html(name: str, description: str, grid: dict[str, list[Any]], cells: list[GridCell],
                   rows: list[StudyRow], table_links: list[str], phase_png: bytes, boxes: CellBoxes,
                   notes: list[str] = (), budget: int = GRID_PAGE_BYTES) -> str:
    """A grid study's page (see the module's docstring): cells, every combination of the grid's
    values in its order, at least one of them present; rows and table_links, the study's table (its
    listed experiments' too); phase_png and where each cell lies in it (boxes); notes, the cells still
    missing; budget, the bytes the cells' data may take (page_plan)."""
    present = [cell for cell in cells if cell.run is not None]
    runs = [cell.run for cell in present]
    plane = runs[0].is_plane
    plan = page_plan([len(run.frame_epochs) for run in runs], [len(run.x_grid) for run in runs], budget)
    if plane:  # its cells embed their final maps, never a band: nothing to say of one
        plan = dataclasses.replace(plan, bands=True)
    data = grid_data(cells, grid, boxes, plan)
    floor = plane_floor_text(runs) if plane else floor_text(runs)
    fit_scales = ("" if plane else
                  " · the same scales for every cell" if shared_scales(runs) else " · each cell's own scales")
    header = f"""<h1 id="title">{html.escape(name)}</h1>
<div class="trained" id="trained">{html.escape(description)} · {floor}</div>"""
    medians_alone = "" if plan.bands else (
        f'<p class="note" id="medians-alone">{len(present)} cells are too many to embed each one\'s band within '
        "this page's 10 MB: it shows each cell's medians, and each cell's own page (linked above its fit) has "
        "its band and every net.</p>")
    median = "median " if present[0].run.nets > 1 else ""
    error = error_words(runs)
    data["error_name"] = error
    numbers = (f'<span id="epoch-word">epoch </span>{slot("epoch")}<span id="epoch-of"></span>'
               f'<span id="cell-numbers"> · {median}training {error} {slot("train-loss")} · {median}held-out {error} '
               f'{slot("held-out-loss")}</span>')
    points = ('<div class="map-controls"><label><input type="checkbox" id="show-train" checked> training points</label>'
              '<label><input type="checkbox" id="show-held-out"> held-out points (hollow)</label></div>\n    '
              if plane else "")
    body = f"""{GRID_STYLE % COLORS}{PLANE_STYLE if plane else ""}
{controls(numbers, key_controls(grid))}
{notes_paragraphs(notes)}
{medians_alone}
<div class="cell-heading" id="cell-heading"></div>
<div class="panels">
  <figure{' class="plane"' if plane else ""}>{points}<canvas id="fit-canvas-0" class="cell-shown"></canvas>
    <figcaption class="cell-shown">{fit_caption(present[0].run, plan.bands)}{fit_scales}</figcaption>
    {'<figcaption id="map-readout"></figcaption>' if plane else ""}
    <figcaption id="net-readout-0"></figcaption></figure>
  <figure><canvas id="error-canvas" class="cell-shown"></canvas>
    <figcaption class="cell-shown">{median}training error (dark blue), {median}held-out error (orange) · {floor} · each cell's own scales</figcaption>
    <figcaption id="error-readout"></figcaption></figure>
</div>
<figure id="phase"><div class="phase-image"><img id="phase-image" alt="the phase diagram of the grid"
  src="data:image/png;base64,{base64.b64encode(phase_png).decode()}"><div id="phase-marker"></div></div>
  <figcaption>the phase diagram: the chosen cell outlined in red; click a cell to choose it</figcaption></figure>
{study_table(rows, table_links)}"""
    scripts = (PLANE_SCRIPT.read_text() + "\n" if plane else "") + GRID_SCRIPT.read_text()
    return document(f"{name}: watch tiny nets learn", header, body, data, scripts)


def error_words(runs: list[Run]) -> str:
    """What the cells' losses are called ('MSE', 'cross-entropy'), or 'error' where they differ (a grid
    over classification_loss)."""
    names = {error_name(run) for run in runs}
    return names.pop() if len(names) == 1 else "error"


def grid_combinations(grid: dict[str, list[Any]]) -> list[dict[str, Any]]:
    """Every combination of the grid's values, in its order (the last key varying fastest)."""
    return [dict(zip(grid, values)) for values in itertools.product(*grid.values())]
