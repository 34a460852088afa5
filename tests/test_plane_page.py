"""report.html of a run of two inputs (drawing/plane_page.py, plane_page.js): the maps the page
embeds read back as the run's own within half a level and in exactly the GIFs' colours, a page of
100 seeds at 64 x 64 points and 200 frames within 10 MB, and in a real browser (headless Chromium)
the map stepping with the slider in the colours of the run's numbers, the hover reading them, a
net picked out, and a grid study's page showing each cell's final map; a study of plane cells links
their pages. Tiny real runs: about a second of training each."""

from __future__ import annotations

import base64
import dataclasses
import json
import re
from io import BytesIO
from pathlib import Path

import numpy as np
import pytest
from matplotlib.colors import to_rgb

import playground
import rundir
from drawing import page as report
from drawing.plane_maps import output_colors, spread
from drawing.plane_page import BELOW, MAP_BYTES, NOT_FINITE, dequantised, map_choices, plane_page_html, quantised
from summaries import format_loss
from test_page_grid import synthetic_grid_page
# Tiny real runs of two inputs (an XOR classifier, two Gaussians' and a regression surface's 3 seeds), as fit.gif's tests train them.
from test_plane_frames import classifier, seeded_classifier, seeded_surface  # noqa: F401 (fixtures)
from test_plane_units import TINY

def page_data(text: str) -> dict:
    """The data a page embeds for its script."""
    return json.loads(re.search(r'<script type="application/json" id="run-data">(.*?)</script>', text, re.S).group(1))


def stored_codes(item: dict) -> np.ndarray:
    return np.frombuffer(base64.b64decode(item["codes"]["base64"]), np.uint8)


# --- the maps, as the page embeds them ----------------------------------------------------------------

@pytest.mark.parametrize("fixture", ["classifier", "seeded_classifier", "seeded_surface"])
def test_every_map_reads_back_as_the_runs_own_within_half_a_level(fixture, request):
    run = request.getfixturevalue(fixture)
    maps = page_data(plane_page_html(run))["runs"][0]["map"]["maps"]
    expected = {"prediction": run.predictions[:, 0]}
    expected.update({name: run.per_frame[name][:, 0] for name in ("mean_prediction", "disagreement", "median_prediction",
                                                                  "low_prediction", "high_prediction") if name in run.per_frame})
    if "low_prediction" in run.per_frame:
        expected.update(spread=spread(run), truth=run.y_grid_true[None, :])
    assert [item["key"] for item in maps] == [key for key, *_ in map_choices(run)]
    assert {item["key"] for item in maps} == set(expected)
    for item in maps:
        low, high, levels = item["colors"]["low"], item["colors"]["high"], item["levels"]
        values = np.asarray(expected[item["key"]], dtype=np.float64).ravel()
        codes = stored_codes(item)
        assert codes.shape == values.shape, item["key"]
        inside = np.isfinite(values) & (values >= low) & (values <= high)
        assert inside.mean() > 0.5, item["key"]  # the map's colours' range holds most of its values
        read = dequantised(codes[inside], low, high, levels)
        assert np.abs(read - values[inside]).max() <= (high - low) / levels / 2 * (1 + 1e-9), item["key"]
        assert np.all(codes[~inside & np.isfinite(values)] > BELOW - 1) and np.all(codes[~np.isfinite(values)] == NOT_FINITE)


def test_each_stored_level_is_drawn_in_the_colour_the_gifs_give_its_values(seeded_surface):
    """The page colours a byte with the step of its level (plane_page.js's palette): for every value of
    the colours' range that is the step matplotlib draws the value itself in, in fit.gif."""
    colors = output_colors(seeded_surface)
    json_colors, levels = colors.to_json(), 240  # 16 steps of viridis
    low, high = json_colors["low"], json_colors["high"]
    values = np.concatenate([np.linspace(low, high, 100_001), seeded_surface.per_frame["median_prediction"].ravel()])
    values = values[(values >= low) & (values <= high)]
    codes = quantised(values, low, high, levels)
    steps = len(json_colors["steps"])
    page_colors = np.array([to_rgb(json_colors["steps"][code * steps // levels]) for code in range(levels)])[codes]
    assert np.abs(page_colors - colors.rgba(values)[:, :3]).max() < 1 / 255


def sized(run: rundir.Run, nets: int, frames: int, side: int, epochs: int) -> rundir.Run:
    """A seeded run of two inputs of this many nets, frames, grid points a side and epochs, its arrays
    the real run's repeated to those shapes (a page's size is set by its arrays' shapes)."""
    def reshaped(values: np.ndarray, length: int) -> np.ndarray:
        shape = [length, *values.shape[1:]]
        if values.ndim > 1 and values.shape[1] == run.nets:
            shape[1] = nets
        if values.shape[-1] == len(run.x_grid):
            shape[-1] = side * side
        return np.resize(values, shape)

    config = run.config.model_copy(update={"grid_points": side, "seeds": nets, "frames": frames, "epochs": epochs})
    summary = run.summary.model_copy(update={"nets": [run.summary.nets[net % run.nets] for net in range(nets)]})
    return dataclasses.replace(
        run, config=config, summary=summary, seeds=np.arange(nets),
        frame_epochs=np.concatenate([[0], np.round(np.linspace(1, epochs, frames - 1))]).astype(np.int64),
        per_frame={name: reshaped(values, frames) for name, values in run.per_frame.items()},
        per_epoch={name: reshaped(values, epochs) for name, values in run.per_epoch.items()},
        x_grid=playground.plane_grid(side), y_grid_true=np.resize(run.y_grid_true, side * side))


@pytest.mark.parametrize("fixture", ["seeded_classifier", "seeded_surface"])
def test_a_page_of_100_seeds_at_64_points_a_side_and_200_frames_stays_under_10_mb(fixture, request, tmp_path):
    run = sized(request.getfixturevalue(fixture), nets=100, frames=200, side=64, epochs=1000)
    report.write_page(run, tmp_path / "report.html")
    plane = page_data((tmp_path / "report.html").read_text())["runs"][0]["map"]
    assert plane["side"] == 64  # every grid point
    assert (tmp_path / "report.html").stat().st_size < 10_000_000


def test_a_larger_grid_is_drawn_on_fewer_points_within_the_budget_and_says_so(seeded_surface, tmp_path):
    run = sized(seeded_surface, nets=10, frames=200, side=96, epochs=1000)
    text = plane_page_html(run)
    plane = page_data(text)["runs"][0]["map"]
    stored = sum(len(stored_codes(item)) for item in plane["maps"])
    assert plane["side"] < 96 and stored <= MAP_BYTES and len(text.encode()) < 10_000_000
    assert plane["coordinates"][0][0] == -6 and plane["coordinates"][0][-1] == 6  # still the whole plane
    assert f"drawn on {plane['side']} of the run's 96 grid points a side" in text


# --- in a real browser ----------------------------------------------------------------------------------

def write(run: rundir.Run, folder: Path) -> Path:
    path = folder / "report.html"
    report.write_page(run, path)
    return path


def slide_to(page, frame: int) -> None:
    page.eval_on_selector("#frame-slider", "(slider, k) => { slider.value = k; slider.dispatchEvent("
                          "new Event('input')); }", frame)


def screen_pixels(page) -> np.ndarray:
    """The map canvas as the screen shows it, (rows, columns, 3) RGB in CSS pixels."""
    from PIL import Image

    width, height = page.eval_on_selector("#fit-canvas-0", "c => [c.clientWidth, c.clientHeight]")
    image = page.locator("#fit-canvas-0").screenshot()
    return np.asarray(Image.open(BytesIO(image)).convert("RGB").resize((round(width), round(height)))).astype(int)


def inside(side: int) -> np.ndarray:
    """(side²,) whether each grid point lies inside the map, off its edges (where the frame is drawn)."""
    rows, columns = np.divmod(np.arange(side * side), side)
    return (rows > 0) & (rows < side - 1) & (columns > 0) & (columns < side - 1)


def middle_one(chosen: np.ndarray) -> int:
    """The middle one of the grid points chosen."""
    points = np.flatnonzero(chosen)
    assert len(points), "no grid point to look at"
    return int(points[len(points) // 2])


def grid_point_pixel(box: dict, row: int, column: int, side: int) -> tuple[float, float]:
    """Where a grid point lies on the map's canvas: the map's box spans the grid from its first point to its last."""
    return (box["left"] + column / (side - 1) * (box["right"] - box["left"]),
            box["bottom"] - row / (side - 1) * (box["bottom"] - box["top"]))


def test_the_map_steps_with_the_slider_in_the_colours_of_the_runs_output_and_the_hover_reads_it(classifier, tmp_path,
                                                                                                offline_page):
    run = classifier
    page, problems = offline_page(write(run, tmp_path))
    page.uncheck("#show-train")
    side, last = run.config.grid_points, len(run.frame_epochs) - 1
    colors = output_colors(run)
    # A grid point away from the decision boundary at both frames: no boundary line drawn over it.
    far = (np.abs(run.predictions[0, 0] - 0.5) > 0.15) & (np.abs(run.predictions[last, 0] - 0.5) > 0.15)
    far &= np.abs(run.predictions[last, 0] - run.predictions[0, 0]) > 0.1  # and its colour changes
    point = middle_one(far & inside(side))
    row, column = divmod(point, side)
    box = page.evaluate("views[0].plane.axes.box")
    x, y = grid_point_pixel(box, row, column, side)
    shown = []
    for frame in (0, last):
        slide_to(page, frame)
        pixels = screen_pixels(page)
        shown.append(pixels)
        expected = np.round(255 * np.asarray(colors.rgba(run.predictions[frame, 0, point]))[:3])
        assert np.abs(pixels[int(y), int(x)] - expected).max() <= 3, (frame, pixels[int(y), int(x)], expected)
    assert np.abs(shown[0] - shown[1]).sum(axis=2).astype(bool).mean() > 0.05  # the map changed
    left, top = page.eval_on_selector("#fit-canvas-0", "c => [c.getBoundingClientRect().left, c.getBoundingClientRect().top]")
    page.mouse.move(left + x, top + y)
    readout = page.text_content("#map-readout")
    x1, x2 = run.x_grid[point]
    assert readout.startswith(f"x1 {float(f'{x1:.3g}'):g}, x2 {float(f'{x2:.3g}'):g} (nearest grid point)"), readout
    value, half = re.search(r"probability of class 1: ([0-9.]+) \(±([0-9.e-]+)\)", readout).groups()
    assert abs(float(value) - run.predictions[last, 0, point]) <= float(half) * 1.01 + 0.005, readout
    assert readout.endswith(f"→ class {int(run.predictions[last, 0, point] > 0.5)}")
    assert problems == []


def test_picking_a_net_shows_its_numbers_while_the_map_stays_net_0s(seeded_classifier, tmp_path, offline_page):
    run = seeded_classifier
    page, problems = offline_page(write(run, tmp_path), "#frame=5")
    assert page.eval_on_selector("#map-choice", "s => s.options[s.selectedIndex].text") == "mean probability of class 1 of the 3 nets"
    page.select_option("#map-choice", "0")
    page.select_option("#net-pick", "2")
    readout = page.text_content("#net-readout-0")
    assert readout.startswith(f"picked: net 2 (seed {run.seeds[2]}), training cross-entropy "
                              f"{format_loss(run.frame_loss[5, 2])} · held-out cross-entropy "), readout
    accuracy = 100 * run.per_frame["accuracy"][5, 2]
    assert f"accuracy {accuracy:.1f}% training" in readout
    assert page.text_content("#map-note") == "the map is net 0's: the run keeps no map of net 2"
    page.select_option("#map-choice", "2")  # the nets' disagreement: not net 0's
    assert page.text_content("#map-note") == "" and problems == []


def test_a_grid_studys_page_shows_the_chosen_cells_final_map_and_its_error_rates(seeded_classifier, classifier,
                                                                                  tmp_path, offline_page):
    import study_table

    grid = {"learning_rate": [0.01, 0.1]}
    path, _ = synthetic_grid_page(tmp_path, grid, [seeded_classifier, classifier])
    rows = study_table.table_rows([run.summary for run in (seeded_classifier, classifier)], [{}, {}])
    page, problems = offline_page(path)
    assert "median held-out error rate" in page.text_content("table")
    page.uncheck("#show-train")
    side = classifier.config.grid_points
    for position, (run, final) in enumerate([(seeded_classifier, seeded_classifier.per_frame["mean_prediction"][-1, 0]),
                                             (classifier, classifier.predictions[-1, 0])]):
        page.eval_on_selector("#key-slider-0", "(slider, k) => { slider.value = k; slider.dispatchEvent("
                              "new Event('input')); }", position)
        assert page.text_content("#cell-rate") == f"{100 * rows[position].rate_median:.1f}%"
        point = middle_one((np.abs(final - 0.5) > 0.2) & inside(side))
        row, column = divmod(point, side)
        box = page.evaluate("views[0].plane.axes.box")
        x, y = grid_point_pixel(box, row, column, side)
        expected = np.round(255 * np.asarray(output_colors(run).rgba(final[point]))[:3])
        assert np.abs(screen_pixels(page)[int(y), int(x)] - expected).max() <= 3, position
    assert problems == []


def test_a_study_of_runs_of_two_inputs_links_each_cells_own_page(tmp_path):
    """study.py over a grid of two plane cells: each cell writes its page, and the study's page is a
    grid's page of their final maps, linked to them."""
    import contextlib
    import io

    import study

    (tmp_path / "xor.yaml").write_text("problem: xor\nhidden_layers: [3]\nactivation: tanh\n")
    study_file = tmp_path / "grid.yaml"
    study_file.write_text("base: xor.yaml\nseeds: 2\ngrid:\n  learning_rate: [0.01, 0.1]\n")
    settings = [f"{key}={value}" for key, value in TINY.items() if key not in ("hidden_layers", "activation", "learning_rate")]
    with contextlib.redirect_stdout(io.StringIO()):
        status = study.main([str(study_file), *(part for setting in settings for part in ("--set", setting)),
                             "--output-dir", str(tmp_path / "out"), "--no-progress", "--jobs", "1"])
    assert status == 0
    text = (tmp_path / "out" / "report.html").read_text()
    cells = page_data(text)["grid"]["cells"]
    assert len(cells) == 2
    for cell in cells:
        assert cell["link"] == f"runs/{cell['name']}/report.html" and (tmp_path / "out" / cell["link"]).is_file()
        assert f'href="{cell["link"]}"' in text  # the table links it too
    assert page_data(text)["runs"][0]["map"]["maps"][0]["key"] == "mean_prediction"
