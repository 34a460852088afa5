"""drawing/page_grid.py and study_grid.js: a grid study's report.html, opened in a real browser
(headless Chromium through Playwright) with every network request refused. Its controls choose a
cell, whose numbers are those of its summary.json and whose frames are the medians of its arrays;
the phase diagram marks the chosen cell where phase.png has it and chooses the cell clicked; a
missing cell says so; a grid too large for the page's budget embeds the medians alone and links
each cell."""

import json
import shutil

import numpy as np
import pytest

import rundir
import studies
import study_table
from conftest import synthetic_run
from drawing import page_grid, phase
from drawing.curves import error_range
from summaries import StudyRow, format_loss

CELLS = {"lr0.01_sgd": (0, 0), "lr0.01_adam": (0, 1), "lr0.1_sgd": (1, 0), "lr0.1_adam": (1, 1)}


def choose(page, values) -> None:
    """Move each grid key's slider to its value's index, as a user drags it."""
    for key, value in enumerate(values):
        page.eval_on_selector(f"#key-slider-{key}", "(slider, value) => { slider.value = value; "
                              "slider.dispatchEvent(new Event('input')); }", value)


def slide_to(page, frame: int) -> None:
    page.eval_on_selector("#frame-slider", "(slider, k) => { slider.value = k; slider.dispatchEvent("
                          "new Event('input')); }", frame)


def test_each_control_chooses_its_cell_and_shows_the_numbers_of_its_summary(finished_grid_study, offline_page):
    _, output, status = finished_grid_study
    assert status == 0
    page, problems = offline_page(output / "report.html")
    for name, values in CELLS.items():
        choose(page, values)
        summary = json.loads((output / "runs" / name / "summary.json").read_text())
        assert page.text_content("#cell-link") == name
        assert (output / page.get_attribute("#cell-link", "href")).is_file(), "the cell's own page"
        for element, value in [("#cell-median", summary["val_loss"]), ("#cell-train-median", summary["loss"])]:
            assert page.text_content(element) == format_loss(value)
            assert float(page.get_attribute(element, "data-value")) == value
        assert float(page.get_attribute("#cell-share", "data-value")) == summary["share_at_noise_floor"]
        labels = [page.text_content(f"#grid-keys label:nth-child({key + 1})") for key in range(2)]
        learning_rate, optimizer = name.split("_")
        assert labels == [f"learning_rate {learning_rate.removeprefix('lr')}", f"optimizer {optimizer}"]
    assert problems == []


def test_the_frame_slider_steps_the_chosen_cells_medians(finished_grid_study, offline_page):
    _, output, _ = finished_grid_study
    run = rundir.read_run(output / "runs" / "lr0.1_adam")
    page, problems = offline_page(output / "report.html")
    choose(page, CELLS["lr0.1_adam"])
    assert page.evaluate("errorAxes.yRange") == pytest.approx(list(error_range([run]))), "its own scales"
    for frame in (3, 7):
        slide_to(page, frame)
        epoch = int(run.frame_epochs[frame])
        assert page.text_content("#epoch") == f"{epoch:,}"
        assert page.text_content("#train-loss") == format_loss(np.median(run.frame_loss[frame]))
        assert page.text_content("#held-out-loss") == format_loss(np.median(run.val_loss[epoch - 1]))
        assert page.evaluate(f"views[0].trainShown({frame})") == float(np.median(run.frame_loss[frame]))
        # The median prediction and the band as drawn (16 bits over three times the panel's height).
        drawn = np.array(page.evaluate(f"Array.from(views[0].predictions.subarray({frame} * 50, {frame + 1} * 50))"))
        low = np.array(page.evaluate(f"Array.from(views[0].bandLow.subarray({frame} * 50, {frame + 1} * 50))"))
        span = np.subtract(*page.evaluate("views[0].run.y_limits")[::-1]) * 3
        np.testing.assert_allclose(drawn, np.median(run.predictions[frame], axis=0), atol=span / 65534)
        np.testing.assert_allclose(low, np.percentile(run.predictions[frame], 10, axis=0), atol=span / 65534)
    assert problems == []


def test_the_phase_diagram_marks_the_chosen_cell_and_a_click_on_a_cell_chooses_it(finished_grid_study, offline_page):
    _, output, _ = finished_grid_study
    page, problems = offline_page(output / "report.html", height=1400)
    boxes = page.evaluate("GRID.boxes")
    width, height = page.evaluate("[GRID.image.width, GRID.image.height]")
    image = page.eval_on_selector("#phase-image", "i => { const r = i.getBoundingClientRect(); "
                                  "return [r.left, r.top, r.width, r.height, i.naturalWidth, i.naturalHeight]; }")
    assert image[4:] == [width, height], "the boxes are in phase.png's own pixels"
    scale = image[2] / width
    for position, (name, values) in enumerate(CELLS.items()):
        left, top, right, bottom = boxes[position]
        # A click near the box's top left corner (clear of the numbers in the middle of it).
        page.mouse.click(image[0] + (left + 8) * scale, image[1] + (top + 8) * scale)
        assert page.text_content("#cell-link") == name
        assert [int(page.input_value(f"#key-slider-{key}")) for key in range(2)] == list(values)
        marker = page.eval_on_selector("#phase-marker", "m => { const r = m.getBoundingClientRect(); "
                                       "return [r.left, r.top, r.right, r.bottom]; }")
        expected = [image[0] + left * scale, image[1] + top * scale, image[0] + right * scale, image[1] + bottom * scale]
        np.testing.assert_allclose(marker, expected, atol=1.0)
    assert problems == []


def test_a_missing_cell_says_so_when_chosen(finished_grid_study, tmp_path, offline_page):
    _, output, _ = finished_grid_study
    copy = tmp_path / "out"
    shutil.copytree(output, copy)
    shutil.rmtree(copy / "runs" / "lr0.1_sgd")
    studies.redraw_study(copy)
    page, problems = offline_page(copy / "report.html")
    choose(page, CELLS["lr0.1_sgd"])
    assert page.text_content("#cell-missing") == "missing: not trained yet; run the same command again to train it"
    assert page.eval_on_selector("#fit-canvas-0", "c => getComputedStyle(c).visibility") == "hidden"
    assert page.eval_on_selector("#cell-numbers", "c => getComputedStyle(c).visibility") == "hidden"
    choose(page, CELLS["lr0.1_adam"])
    assert page.text_content("#cell-link") == "lr0.1_adam"
    assert page.eval_on_selector("#fit-canvas-0", "c => getComputedStyle(c).visibility") == "visible"
    assert problems == []


def test_the_page_reads_each_cell_on_disk_and_says_why_one_failed(finished_grid_study):
    _, output, _ = finished_grid_study
    summary = json.loads((output / "summary.json").read_text())
    rows = [StudyRow.model_validate(row) for row in summary["rows"]][1:]  # lr0.01_sgd: not in the table
    runs = {row.experiment: rundir.read_run(output / "runs" / row.experiment) for row in rows}
    cells = studies.grid_page_cells(summary["grid"], rows, runs,
                                    {"lr0.01_sgd": "Traceback (most recent call last):\n  ...\nValueError: no memory"})
    assert [cell.name for cell in cells] == list(CELLS)
    assert cells[0].run is None and cells[0].missing == "failed (ValueError: no memory), left out"
    run = rundir.read_run(output / "runs" / "lr0.1_adam")
    assert set(cells[3].run.per_frame) == {"prediction", "loss"}, "the page holds what it draws"
    np.testing.assert_array_equal(cells[3].run.predictions, run.predictions)


def test_a_grid_too_large_for_the_budget_embeds_the_medians_alone_and_links_each_cell(finished_grid_study, tmp_path,
                                                                                     offline_page):
    _, output, _ = finished_grid_study
    summary = json.loads((output / "summary.json").read_text())
    grid, rows = summary["grid"], [StudyRow.model_validate(row) for row in summary["rows"]]
    cells = studies.grid_page_cells(grid, rows, {row.experiment: rundir.read_run(output / "runs" / row.experiment)
                                                 for row in rows}, {})
    boxes = phase.draw_phase_png(rows, grid, tmp_path / "phase.png", "grid")
    path = tmp_path / "report.html"
    path.write_text(page_grid.grid_page_html("grid", "3 seeds each", grid, cells, rows, [cell.link for cell in cells],
                                             (tmp_path / "phase.png").read_bytes(), boxes, budget=40_000))
    page, problems = offline_page(path)
    assert "too many to embed each one's band" in page.text_content("#medians-alone")
    for name, values in CELLS.items():
        choose(page, values)
        link = page.get_attribute("#cell-link", "href")
        assert link == f"runs/{name}/report.html" and (output / link).is_file()
        assert "its band and every net" in page.text_content("#cell-heading")
        assert page.evaluate("views[0].bandLow") is None and page.text_content("#train-loss") != ""
    assert problems == []


def synthetic_grid_page(tmp_path, grid: dict, runs: list, budget: int = page_grid.GRID_PAGE_BYTES) -> tuple:
    """A grid's page of synthetic cells, the runs in turn, each under its own name: (its path, its data)."""
    combinations = page_grid.grid_combinations(grid)
    cell_runs = [runs[number % len(runs)] for number in range(len(combinations))]
    rows = study_table.table_rows([run.summary for run in cell_runs], combinations)
    cells = []
    for number, (settings, row, run) in enumerate(zip(combinations, rows, cell_runs)):
        row.experiment = f"cell_{number}"
        cells.append(page_grid.GridCell(settings, row.experiment, f"runs/{row.experiment}/report.html",
                                        page_grid.slim(run), row))
    boxes = phase.draw_phase_png(rows, grid, tmp_path / "phase.png", "grid")
    text = page_grid.grid_page_html("grid", "seeds", grid, cells, rows, [cell.link for cell in cells],
                                    (tmp_path / "phase.png").read_bytes(), boxes, budget=budget)
    (tmp_path / "report.html").write_text(text)
    start = text.index('id="run-data">') + len('id="run-data">')
    return tmp_path / "report.html", json.loads(text[start:text.index("</script>", start)])


def test_a_grid_of_one_net_cells_and_a_key_of_one_value(tmp_path, offline_page):
    run = synthetic_run(epochs=300, frames=20)
    path, _ = synthetic_grid_page(tmp_path, {"learning_rate": [0.01, 0.1], "optimizer": ["adam"]}, [run])
    page, problems = offline_page(path)
    assert page.text_content("#grid-keys label:nth-child(2)") == "optimizer adam", "a key of one value is stated"
    assert page.query_selector("#key-slider-1") is None
    choose(page, [1])
    slide_to(page, 5)
    assert page.text_content("#cell-link") == "cell_1"
    assert page.text_content("#train-loss") == format_loss(run.frame_loss[5, 0])
    assert page.text_content("#held-out-loss") == format_loss(run.val_loss[int(run.frame_epochs[5]) - 1, 0])
    assert problems == []


def test_the_cells_data_stays_within_the_budget_with_bands_or_medians_alone(tmp_path):
    """Six cells of 20 seeds, 200 frames and 200 grid points each: within 3 MB with their bands on
    every grid point, within 1 MB with their medians alone; the sweep's 36 cells get bands."""
    run = synthetic_run(nets=20, epochs=1000, frames=200, grid_points=200)
    grid = {"learning_rate": [0.01, 0.1, 1.0], "optimizer": ["sgd", "adam"]}
    for budget, bands in [(3_000_000, True), (1_000_000, False)]:
        _, data = synthetic_grid_page(tmp_path, grid, [run], budget)
        cells = data["runs"] + [cell["run"] for cell in data["grid"]["cells"] if cell["run"] is not None]
        assert len(cells) == 6 and data["grid"]["bands"] == bands
        assert sum(len(json.dumps(cell)) for cell in cells) <= budget
        assert all((cell["band_low"] is not None) == bands for cell in cells)
        assert cells[0]["x_grid"]["shape"] == [len(run.x_grid)], "on every grid point"
    sweep = page_grid.page_plan([200] * 36, [200] * 36)
    assert sweep.bands and sweep.grid_points >= page_grid.BAND_POINTS
    assert not page_grid.page_plan([200] * 1000, [200] * 1000).bands


def test_a_cell_that_ended_early_shows_its_own_last_frame_and_says_how_it_ended(tmp_path, offline_page):
    completed, diverged = synthetic_run(nets=3, epochs=300, frames=20), synthetic_run(nets=3, epochs=300, diverged_at=120)
    path, _ = synthetic_grid_page(tmp_path, {"learning_rate": [0.01, 1.0]}, [completed, diverged])
    page, problems = offline_page(path)
    assert page.text_content("#epoch") == "300" and page.query_selector("#cell-status") is None
    choose(page, [1])
    last = int(diverged.frame_epochs[-1])
    assert page.text_content("#epoch") == f"{last:,}", "its own last frame, not the page's epoch 300"
    assert page.text_content("#train-loss") == format_loss(np.median(diverged.frame_loss[-1]))
    assert "diverged" in page.text_content("#cell-status")
    assert problems == []


def test_the_arrow_keys_move_a_focused_grid_key_and_else_the_frame(tmp_path, offline_page):
    path, _ = synthetic_grid_page(tmp_path, {"learning_rate": [0.01, 0.1, 1.0]}, [synthetic_run(epochs=300, frames=20)])
    page, problems = offline_page(path, "#frame=5")
    page.focus("#key-slider-0")
    page.keyboard.press("ArrowRight")
    assert page.input_value("#key-slider-0") == "1" and page.text_content("#cell-link") == "cell_1"
    assert page.input_value("#frame-slider") == "5", "the frame stays"
    page.focus("#frame-slider")
    page.keyboard.press("ArrowRight")
    assert page.input_value("#frame-slider") == "6" and page.input_value("#key-slider-0") == "1"
    assert problems == []
