"""drawing/page.py and page_data.py: the report.html of a run, a seeded run, a diverged run, a
comparison and a study, opened in a real browser (headless Chromium through Playwright) with every
network request refused. The numbers the pages show are checked against the runs' own, and the
prediction against the pixels where the data put it."""

import numpy as np
import pytest

import rundir
from conftest import synthetic_run
from drawing import page as report
import comparisons
import study_table
from drawing.landscape_frames import plane_words
from drawing.page_data import study_net_points
from summaries import format_loss


@pytest.fixture(scope="module")
def one_net(tmp_path_factory):
    """A synthetic one-net run written with its page."""
    folder = tmp_path_factory.mktemp("page")
    run = synthetic_run(epochs=600, frames=30)
    rundir.write_run(folder / "run", run)
    run = rundir.read_run(folder / "run")
    report.write_page(run, folder / "run" / "report.html")
    return run, folder / "run" / "report.html"


def shown(page) -> tuple[str, str, str]:
    return tuple(page.text_content(f"#{name}") for name in ("epoch", "train-loss", "held-out-loss"))


def expected(run, frame: int) -> tuple[str, str, str]:
    epoch = int(run.frame_epochs[frame])
    held_out = format_loss(run.val_loss[epoch - 1, 0]) if epoch >= 1 else "–"
    return f"{epoch:,}", format_loss(run.frame_loss[frame, 0]), held_out


def test_the_page_opens_offline_with_no_error_and_shows_the_last_frame(one_net, offline_page):
    run, path = one_net
    page, problems = offline_page(path)
    assert problems == []
    assert shown(page) == expected(run, len(run.frame_epochs) - 1)
    assert page.text_content("#title") == run.name and run.training_description in page.text_content("#trained")


def test_moving_the_slider_to_frame_k_shows_exactly_frame_ks_epoch_and_errors(one_net, offline_page):
    run, path = one_net
    page, problems = offline_page(path)
    for frame in (0, 1, 7, 18, len(run.frame_epochs) - 1):
        page.eval_on_selector("#frame-slider", "(slider, k) => { slider.value = k; slider.dispatchEvent("
                              "new Event('input')); }", frame)
        assert shown(page) == expected(run, frame), frame
        assert page.evaluate("window.location.hash") == f"#frame={frame}"
    page.keyboard.press("ArrowLeft")
    assert shown(page) == expected(run, len(run.frame_epochs) - 2)
    assert problems == []


def test_the_fragment_restores_a_frame_and_play_advances(one_net, offline_page):
    run, path = one_net
    page, problems = offline_page(path, "#frame=5")
    assert shown(page) == expected(run, 5)
    page.click("#play")
    for _ in range(100):  # polled here: the page's policy allows no eval, which wait_for_function needs
        if int(page.eval_on_selector("#frame-slider", "slider => slider.value")) > 6:
            break
        page.wait_for_timeout(50)
    assert int(page.eval_on_selector("#frame-slider", "slider => slider.value")) > 6, "playing advances"
    page.click("#play")
    assert problems == []


def test_hovering_the_error_curves_reads_the_epoch_under_the_pointer(one_net, offline_page):
    run, path = one_net
    page, _ = offline_page(path)
    box = page.eval_on_selector("#error-canvas", "canvas => { const r = canvas.getBoundingClientRect(); "
                                "return [r.left, r.top, r.width, r.height]; }")
    left, top, width, height = box
    # The plot spans the canvas but for its margins (page.js's MARGIN): epoch 100 on a log axis from 1 to 600.
    plot_left, plot_right = left + 58, left + width - 12
    x = plot_left + np.log10(100) / np.log10(600) * (plot_right - plot_left)
    page.mouse.move(x, top + height / 2)
    readout = page.text_content("#error-readout")
    epoch = int(readout.split(" ")[1].replace(",", ""))
    assert abs(epoch - 100) <= 2, readout
    assert readout == (f"epoch {epoch:,} · training {format_loss(run.loss[epoch, 0])} · "
                       f"held-out {format_loss(run.val_loss[epoch - 1, 0])}")


@pytest.mark.parametrize("value", [0.04331, 0.0, 999.5, 0.001, 0.00043512, 6.2e-21, 12345.6, 3.4e38, 1e-5, 1000.0])
def test_the_page_formats_an_error_as_the_pictures_do(one_net, offline_page, value):
    page, _ = offline_page(one_net[1])
    assert page.evaluate("formatLoss", value) == format_loss(value)


def test_the_prediction_is_drawn_where_the_data_say(one_net, offline_page):
    """Pixels of the fit panel: the prediction's blue where the last frame's values put it, at a few x."""
    run, path = one_net
    page, _ = offline_page(path, "#frame=29")
    page.evaluate("document.getElementById('show-units') && (document.getElementById('show-units').checked = false,"
                  " show(current))")
    limits = page.evaluate("[DATA.runs[0].x_limits, DATA.runs[0].y_limits]")
    left, top, width, height = page.eval_on_selector("#fit-canvas-0", "c => { const r = c.getBoundingClientRect(); "
                                                     "return [r.left, r.top, r.width, r.height]; }")
    image = page.screenshot(clip={"x": left, "y": top, "width": width, "height": height})
    from io import BytesIO

    from PIL import Image

    pixels = np.asarray(Image.open(BytesIO(image)).convert("RGB")).astype(int)
    scale = pixels.shape[1] / width
    (x_low, x_high), (y_low, y_high) = limits
    blue = np.array([0x1F, 0x6F, 0xD1])
    for index in (5, 25, 45):
        x, y = run.x_grid[index], run.predictions[-1, 0, index]
        column = 58 + (x - x_low) / (x_high - x_low) * (width - 70)
        row = 10 + (y_high - y) / (y_high - y_low) * (height - 50)
        patch = pixels[int((row - 3) * scale): int((row + 3) * scale) + 1, int((column - 1) * scale): int((column + 1) * scale) + 1]
        distance = np.abs(patch - blue).sum(axis=2).min()
        assert distance < 60, (index, distance)


def canvas_pixels(page, selector: str):
    """A canvas's pixels as the screen shows them, (rows, columns, 3) RGB, and CSS pixels to screen pixels."""
    from io import BytesIO

    from PIL import Image

    left, top, width, height = page.eval_on_selector(selector, "c => { const r = c.getBoundingClientRect(); "
                                                     "return [r.left, r.top, r.width, r.height]; }")
    image = page.screenshot(clip={"x": left, "y": top, "width": width, "height": height})
    pixels = np.asarray(Image.open(BytesIO(image)).convert("RGB")).astype(int)
    return pixels, pixels.shape[1] / width


def test_a_single_training_point_stays_in_sight_over_a_line_through_it(tmp_path, offline_page):
    run = synthetic_run(n_samples=1, frames=10)
    run.per_frame["prediction"][:] = run.y_train[0]
    report.write_page(run, tmp_path / "report.html")
    page, problems = offline_page(tmp_path / "report.html")
    assert problems == []
    x, y = page.evaluate(f"[views[0].axes.px({run.x_train[0]}), views[0].axes.py({run.y_train[0]})]")
    pixels, scale = canvas_pixels(page, "#fit-canvas-0")
    grey = np.array([0x9A, 0x9A, 0x9A])  # COLORS["data"]
    # Either side of the panel's left edge, on which it lies, the point's grey (not the line's blue,
    # nor the white outside the panel).
    for column in (x - 2, x + 2):
        pixel = pixels[int(round(y * scale)), int(round(column * scale))]
        assert np.abs(pixel - grey).sum() < 40, (column - x, pixel)


def test_text_from_the_user_runs_nothing(tmp_path, offline_page):
    """A CSV's column named like markup: drawn as those characters, no element injected, no dialog."""
    hostile = "<img src=x onerror=alert(1)>"
    run = synthetic_run(frames=5)
    run.summary.axis_names = [hostile, "</script><script>alert(2)</script>"]
    run.summary.trained = hostile
    path = tmp_path / "report.html"
    report.write_page(run, path)
    page, problems = offline_page(path)
    assert problems == []
    assert page.query_selector("img") is None and page.query_selector_all("script").__len__() == 2
    assert hostile in page.text_content("#trained")
    assert page.evaluate("DATA.runs[0].axis_names")[1] == "</script><script>alert(2)</script>"


def test_a_page_is_small_and_quick_to_write(one_net):
    run, path = one_net
    assert path.stat().st_size < 2_000_000


# --- a seeded run's page ------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def seeded(tmp_path_factory):
    folder = tmp_path_factory.mktemp("seeded")
    run = synthetic_run(nets=6, epochs=600, frames=30)
    rundir.write_run(folder / "run", run)
    run = rundir.read_run(folder / "run")
    report.write_page(run, folder / "run" / "report.html")
    return run, folder / "run" / "report.html"


def test_a_seeded_runs_page_states_the_medians_the_pictures_state(seeded, offline_page):
    run, path = seeded
    page, problems = offline_page(path)
    for frame in (0, 4, 29):
        page.eval_on_selector("#frame-slider", "(slider, k) => { slider.value = k; slider.dispatchEvent("
                              "new Event('input')); }", frame)
        epoch = int(run.frame_epochs[frame])
        held_out = format_loss(rundir.median_over_nets(run.val_loss[epoch - 1])) if epoch else "–"
        assert shown(page) == (f"{epoch:,}", format_loss(rundir.median_over_nets(run.frame_loss[frame])), held_out)
    assert "6 seeds" in page.text_content("#trained") and problems == []


def test_clicking_a_net_picks_it_out(seeded, offline_page):
    run, path = seeded
    page, problems = offline_page(path, "#frame=29")
    net, column = 4, 25
    # Where the page draws net 4 at grid point 25, in the canvas's pixels, then on the screen.
    x, y = page.evaluate(f"[views[0].axes.px(views[0].netX[{column}]), views[0].axes.py(views[0].netCurve(29, {net})[{column}])]")
    left, top = page.eval_on_selector("#fit-canvas-0", "c => [c.getBoundingClientRect().left, c.getBoundingClientRect().top]")
    page.mouse.click(left + x, top + y)
    readout = page.text_content("#net-readout-0")
    picked = int(readout.split("net ")[1].split(" ")[0])
    # Nets this close to each other at that point may be the one picked: within a pixel of net 4's.
    distance = page.evaluate(f"Math.abs(views[0].axes.py(views[0].netCurve(29, {picked})[{column}]) - {y})")
    assert distance < 2, readout
    assert readout == (f"picked: net {picked} (seed {run.seeds[picked]}), training MSE "
                       f"{format_loss(run.frame_loss[29, picked])}")
    page.mouse.click(left + x, top + y)
    assert page.text_content("#net-readout-0") == "" and problems == []


def test_a_page_of_100_seeds_stays_under_10_mb(tmp_path):
    run = synthetic_run(nets=100, epochs=20000, frames=200, grid_points=200)
    report.write_page(run, tmp_path / "report.html")
    assert (tmp_path / "report.html").stat().st_size < 10_000_000


def test_the_inside_panels_mark_the_frames_values(one_net, offline_page):
    run, path = one_net
    page, problems = offline_page(path, "#frame=12")
    panels = page.evaluate("DATA.diagnostics.map(panel => [panel.title, panel.mark_epochs[12], panel.mark_values])")
    assert [title.split(" (")[0] for title, _, _ in panels] == ["gradient norm", "distinct units", "saturated share"]
    _, epoch, values = panels[1]
    assert epoch == run.frame_epochs[12]
    assert values[0][12] == pytest.approx(float(run.per_frame["distinct_units"][12, 0]), rel=1e-4)
    assert problems == []


def near(pixels: np.ndarray, color: str, distance: int = 60) -> int:
    """How many pixels are within `distance` (summed over R, G, B) of a colour."""
    from matplotlib.colors import to_rgb

    rgb = np.array([round(255 * channel) for channel in to_rgb(color)])
    return int((np.abs(pixels - rgb).sum(axis=-1) < distance).sum())


def test_the_saturated_share_says_which_line_is_which_layer_as_units_gif_does(one_net, offline_page):
    from drawing.diagnostics import layer_colors

    run, path = one_net
    page, problems = offline_page(path)
    saturated = page.evaluate("DATA.diagnostics[2]")
    colors = layer_colors(2)
    assert saturated["legend"] == [["layer 1", colors[0]], ["layer 2", colors[1]]]
    assert [line["color"] for line in saturated["lines"]] == colors
    top, right = page.evaluate("[insidePanels[2].box.top, insidePanels[2].box.right]")
    pixels, scale = canvas_pixels(page, "#inside-canvas")
    title_row = pixels[int((top - 14) * scale): int(top * scale), int((right - 100) * scale): int(right * scale)]
    assert near(title_row, colors[1]) > 10 and near(title_row, colors[0]) > 10, "the words in their colours"
    assert problems == []


def test_the_inside_panels_titles_stand_clear_of_the_tick_marks_of_the_panel_above(one_net, offline_page):
    _, path = one_net
    page, _ = offline_page(path)
    boxes = page.evaluate("insidePanels.map(axes => [axes.box.top, axes.box.bottom])")
    ascent = page.evaluate("(() => { const c = document.createElement('canvas').getContext('2d');"
                           " c.font = '12px sans-serif';"
                           " return Math.max(...DATA.diagnostics.map(p => c.measureText(p.title).actualBoundingBoxAscent)); })()")
    tick = 4  # the x tick marks reach this far below a panel (Axes.frame)
    for (_, bottom), (top, _) in zip(boxes, boxes[1:]):
        assert top - 2 - ascent >= bottom + tick + 2, (bottom, top, ascent)


def test_the_slider_keeps_its_length_whatever_the_numbers_beside_it(tmp_path, offline_page):
    run = synthetic_run(epochs=20000, frames=60)
    report.write_page(run, tmp_path / "report.html")
    page, problems = offline_page(tmp_path / "report.html")
    widths = []
    for frame in (0, 5, 30, 50, len(run.frame_epochs) - 1):
        page.evaluate(f"show({frame})")
        widths.append(page.eval_on_selector("#frame-slider", "slider => slider.getBoundingClientRect().width"))
    assert max(widths) - min(widths) < 0.5, widths
    assert problems == []


def test_space_toggles_a_focused_checkbox_and_plays_elsewhere(one_net, offline_page):
    page, problems = offline_page(one_net[1], "#frame=3")
    page.focus("#show-units")
    page.keyboard.press(" ")
    assert page.eval_on_selector("#show-units", "box => box.checked") is False
    assert page.text_content("#play") == "▶ play", "not playing"
    page.focus("#frame-slider")
    page.evaluate("document.activeElement.blur()")
    page.keyboard.press(" ")
    assert page.text_content("#play") == "❚❚ pause"
    page.keyboard.press(" ")
    assert page.text_content("#play") == "▶ play" and problems == []


def test_the_residual_heat_map_is_residuals_pngs_colours_a_row_per_frame(one_net, offline_page):
    from drawing.residual_analysis import RESIDUAL_COLORMAP, colormap, net_residuals, residual_limit, residual_norm

    run, path = one_net
    page, problems = offline_page(path, "#frame=10")
    item = net_residuals(run)
    norm = residual_norm(residual_limit([run], [item]), [item])
    expected = colormap(RESIDUAL_COLORMAP)(norm(item.values[10, 25]), bytes=True)[:3]
    # The page's own pixel for frame 10 at grid column 25 (before it is drawn scaled into the panel).
    shown_pixel = page.evaluate("(() => { const row = frameCount - 1 - 10; "
                                "return Array.from(residualImage.getContext('2d').getImageData(25, row, 1, 1).data)"
                                ".slice(0, 3); })()")
    assert shown_pixel == list(expected) and problems == []


# --- a diverged run's page ----------------------------------------------------------------------------

def test_a_diverged_runs_page_marks_where_its_error_stopped_being_finite(tmp_path, offline_page):
    run = synthetic_run(epochs=600, frames=30, diverged_at=200)
    rundir.write_run(tmp_path / "run", run)
    run = rundir.read_run(tmp_path / "run")
    report.write_page(run, tmp_path / "report.html")
    page, problems = offline_page(tmp_path / "report.html")
    assert problems == []
    assert page.text_content(".status") == "diverged after 199 epochs"
    # The dashed line at epoch 199 (the first weights whose error is not finite, as loss.png has it) in
    # the marker's red, high in the error panel where no curve is.
    x = page.evaluate("errorAxes.px(199)")
    top = page.evaluate("errorAxes.box.top")
    left, canvas_top = page.eval_on_selector("#error-canvas", "c => [c.getBoundingClientRect().left, "
                                             "c.getBoundingClientRect().top]")
    from io import BytesIO

    from PIL import Image

    image = page.screenshot(clip={"x": left + x - 2, "y": canvas_top + top + 20, "width": 4, "height": 60})
    pixels = np.asarray(Image.open(BytesIO(image)).convert("RGB")).astype(int).reshape(-1, 3)
    red = np.array([0xD6, 0x27, 0x28])  # COLORS["marker"]
    assert np.abs(pixels - red).sum(axis=1).min() < 60
    assert page.evaluate("DATA.runs[0].divergence_epoch") == 199


# --- a comparison's page ------------------------------------------------------------------------------

HOSTILE_LABEL = "<img src=x onerror=alert(1)>"


@pytest.fixture(scope="module")
def compared(tmp_path_factory):
    """animate.py compare of two synthetic runs with different frames, the second diverged, one
    label markup."""
    folder = tmp_path_factory.mktemp("compare")
    runs = {"calm": synthetic_run(epochs=600, frames=30), "wild": synthetic_run(epochs=600, frames=12, diverged_at=300)}
    for name, run in runs.items():
        rundir.write_run(folder / name, run)
    comparisons.render_comparison([folder / "calm", folder / "wild"], folder / "compared", labels=["calm", HOSTILE_LABEL])
    return [rundir.read_run(folder / name) for name in runs], folder / "compared" / "report.html"


def test_a_comparison_shows_each_runs_own_numbers_in_step(compared, offline_page):
    from drawing.comparison import compare_frame_epochs, latest_snapshot

    runs, path = compared
    page, problems = offline_page(path)
    epochs = compare_frame_epochs(runs)
    for frame in (0, 5, 17, len(epochs) - 1):
        page.eval_on_selector("#frame-slider", "(slider, k) => { slider.value = k; slider.dispatchEvent("
                              "new Event('input')); }", frame)
        assert page.text_content("#epoch") == f"{epochs[frame]:,}"
        for index, run in enumerate(runs):
            snapshot = latest_snapshot(run, int(epochs[frame]))
            epoch = int(run.frame_epochs[snapshot])
            held_out = format_loss(run.val_loss[epoch - 1, 0]) if epoch else "–"
            older = (f" (ended at epoch {epoch:,})" if epochs[frame] > run.frame_epochs[-1] else
                     f" (its frame at epoch {epoch:,})" if epoch != epochs[frame] else "")
            assert page.text_content(f"#numbers-{index}") == (
                f"training MSE {format_loss(run.frame_loss[snapshot, 0])} · held-out MSE {held_out}{older}")
    assert problems == []


def test_a_comparisons_hover_reads_every_runs_errors(compared, offline_page):
    runs, path = compared
    page, _ = offline_page(path)
    x = page.evaluate("errorAxes.px(100)")
    left, top = page.eval_on_selector("#error-canvas", "c => [c.getBoundingClientRect().left, "
                                      "c.getBoundingClientRect().top]")
    page.mouse.move(left + x, top + 100)
    lines = page.text_content("#error-readout").split("\n")
    epoch = int(lines[0].split(" ")[1].replace(",", ""))
    assert abs(epoch - 100) <= 2
    assert lines[1:] == [f"{label}: training {format_loss(run.loss[epoch, 0])} · held-out "
                         f"{format_loss(run.val_loss[epoch - 1, 0])}" for label, run in zip(["calm", HOSTILE_LABEL], runs)]


def test_a_label_from_the_user_runs_nothing_on_the_comparisons_page(compared, offline_page):
    _, path = compared
    page, problems = offline_page(path)
    assert problems == [], "no dialog, no error, no request"
    assert page.query_selector("img") is None and len(page.query_selector_all("script")) == 2
    assert HOSTILE_LABEL in page.text_content("figure.run:nth-of-type(2) figcaption")


def slide_to(page, frame: int) -> None:
    page.eval_on_selector("#frame-slider", "(slider, k) => { slider.value = k; slider.dispatchEvent("
                          "new Event('input')); }", frame)


def test_a_comparison_of_a_seeded_run_and_one_net_steps_the_medians_and_band_in_step(seeded_comparisons, offline_page):
    from drawing.curves import training_error_band
    from drawing.style import thinned

    runs = [seeded_comparisons.runs[name] for name in ("adam_2x10", "one_net")]
    page, problems = offline_page(seeded_comparisons.folders["mixed"] / "report.html")
    assert page.text_content("figure.run:nth-of-type(1) figcaption b") == "Adam (3 seeds)"
    assert page.query_selector("#show-nets") is not None
    seeded, single = runs
    for frame in (0, 5, 11):
        slide_to(page, frame)
        epoch = int(seeded.frame_epochs[frame])
        assert page.text_content("#epoch") == f"{epoch:,}"
        held_out = [format_loss(np.median(run.val_loss[epoch - 1])) if epoch else "–" for run in runs]
        assert page.text_content("#numbers-0") == (f"median training MSE {format_loss(np.median(seeded.frame_loss[frame]))}"
                                                   f" · median held-out MSE {held_out[0]}")
        assert page.text_content("#numbers-1") == (f"training MSE {format_loss(single.frame_loss[frame, 0])}"
                                                   f" · held-out MSE {held_out[1]}")
        grid = len(seeded.x_grid)
        median = page.evaluate(f"Array.from(views[0].predictions.subarray({frame * grid}, {(frame + 1) * grid}))")
        np.testing.assert_allclose(median, np.median(seeded.predictions[frame], axis=0), rtol=0, atol=1e-6)
    # Every net on the study page's budget of values.
    assert page.evaluate("DATA.runs[0].net_columns") == thinned(grid, study_net_points(runs)).tolist()
    # The band of the nets' predictions at frame 0 (every net's faint line hidden), 25% of the nets' blue over white.
    page.click("#show-nets")
    slide_to(page, 0)
    pixels, scale = canvas_pixels(page, "#fit-canvas-0")
    column = 12
    low, high = np.percentile(seeded.predictions[0, :, column], [10, 90])
    x, top, bottom = page.evaluate(f"[views[0].axes.px(views[0].xGrid[{column}]), views[0].axes.py({high}), "
                                   f"views[0].axes.py({low})]")
    inside = pixels[int(top * scale) + 2: int((top + bottom) / 2 * scale) - 4, int(round(x * scale))]
    assert len(inside) >= 4 and near(inside, "#c7dbf3", 12) == len(inside), inside.tolist()  # #1f6fd1 at 25%
    # The band of the nets' training errors on the error curves, 20% of the run's colour over white.
    epochs, _, median, high = training_error_band(seeded)
    at = int(np.searchsorted(epochs, 30))
    x, y = page.evaluate(f"[errorAxes.px({epochs[at]}), errorAxes.py(Math.sqrt({median[at]} * {high[at]}))]")
    pixels, scale = canvas_pixels(page, "#error-canvas")
    color = page.evaluate("views[0].run.color")
    from matplotlib.colors import to_hex, to_rgb
    assert near(pixels[int(round(y * scale)), int(round(x * scale))][None],
                to_hex([0.2 * channel + 0.8 for channel in to_rgb(color)]), 12) == 1
    assert problems == []


def test_a_comparison_of_seeded_runs_shows_each_runs_medians(seeded_comparisons, offline_page):
    runs = [seeded_comparisons.runs[name] for name in ("adam_2x10", "sgd_2x10")]
    page, problems = offline_page(seeded_comparisons.folders["seeded"] / "report.html", "#frame=4")
    epoch = int(runs[0].frame_epochs[4])
    for index, run in enumerate(runs):
        assert page.text_content(f"#numbers-{index}") == (
            f"median training MSE {format_loss(np.median(run.frame_loss[4]))} · median held-out MSE "
            f"{format_loss(np.median(run.val_loss[epoch - 1]))}")
    assert [label.text_content() for label in page.query_selector_all("figure.run figcaption b")] == [
        "adam_2x10 (3 seeds)", "sgd_2x10 (5 seeds)"]
    assert problems == []


def test_a_comparisons_page_draws_every_net_within_the_study_pages_budget():
    import json
    import re

    runs = [synthetic_run(nets=100, epochs=2000, frames=200, grid_points=200), synthetic_run(epochs=2000, frames=200)]
    text = report.compare_page_html(runs, ["many (100 seeds)", "one"], "note")
    data = json.loads(re.search(r'<script type="application/json" id="run-data">(.*?)</script>', text, re.S).group(1))
    assert study_net_points(runs) == 75 and len(data["runs"][0]["net_columns"]) == 75, "1.5 million values / 20,000"
    assert data["runs"][1].get("net_columns") is None and len(text.encode()) < 10_000_000


# --- a study's page -----------------------------------------------------------------------------------

def test_a_studys_page_shows_each_experiments_medians_and_its_table(finished_study, offline_page):
    _, output, status, _ = finished_study
    assert status == 0
    runs = [rundir.read_run(output / "runs" / name) for name in ("sgd_2x10", "adam_2x10")]
    page, problems = offline_page(output / "report.html", "#frame=3")
    for index, run in enumerate(runs):
        epoch = int(run.frame_epochs[3])
        assert page.text_content(f"#numbers-{index}") == (
            f"median training MSE {format_loss(rundir.median_over_nets(run.frame_loss[3]))} · median held-out MSE "
            f"{format_loss(rundir.median_over_nets(run.val_loss[epoch - 1]))}")
    table = (output / "table.md").read_text().splitlines()
    for line, row in zip(table[2:4], page.query_selector_all("table tr")[1:]):
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        shown_cells = [cell.text_content() for cell in row.query_selector_all("td")]
        assert [shown_cells[0]] + shown_cells[2:] == [cells[0]] + cells[1:]
    link = page.query_selector("table a").get_attribute("href")
    assert (output / link).is_file(), "each experiment links to its own page"
    assert problems == []


def test_a_studys_final_error_dots_read_and_pick_their_seed(finished_study, offline_page):
    _, output, _, _ = finished_study
    run = rundir.read_run(output / "runs" / "adam_2x10")
    page, problems = offline_page(output / "report.html")
    net = 1
    x, y = page.evaluate(f"[finalAxes.px(1 + jitter({net})), finalAxes.py(finalErrors[1][{net}])]")
    left, top = page.eval_on_selector("#final-canvas", "c => [c.getBoundingClientRect().left, "
                                      "c.getBoundingClientRect().top]")
    page.mouse.move(left + x, top + y)
    final = run.summary.nets[net].val_loss
    assert page.text_content("#final-readout") == (
        f"adam_2x10: net {net} (seed {run.seeds[net]}), final held-out MSE {format_loss(final)} · click to pick it out")
    page.mouse.click(left + x, top + y)
    assert page.text_content("#net-readout-1").startswith(f"picked: net {net} (seed {run.seeds[net]})")
    assert problems == []


def test_a_studys_final_error_dots_are_in_their_experiments_colours(finished_study, offline_page):
    _, output, _, _ = finished_study
    page, _ = offline_page(output / "report.html")
    colors = page.evaluate("views.map(view => view.run.color)")
    assert len(set(colors)) == len(colors) == 2
    pixels, scale = canvas_pixels(page, "#final-canvas")
    for position, color in enumerate(colors):
        for net in range(2):
            x, y = page.evaluate(f"[finalAxes.px({position} + jitter({net})), finalAxes.py(finalErrors[{position}][{net}])]")
            dot = pixels[int(round(y * scale)) - 1: int(round(y * scale)) + 2, int(round(x * scale)) - 1: int(round(x * scale)) + 2]
            # (drawn at 55% over white)
            from matplotlib.colors import to_hex, to_rgb

            shade = to_hex([0.55 * channel + 0.45 for channel in to_rgb(color)])
            assert near(dot, shade, 30) >= 4, (position, net, dot.tolist())


def test_a_study_page_of_the_posts_size_stays_under_10_mb(tmp_path):
    """Four experiments of 50 seeds, 20,000 epochs and 200 frames, as make study trains them."""
    runs = [synthetic_run(nets=50, epochs=20000, frames=200, grid_points=200) for _ in range(4)]
    for number, run in enumerate(runs):
        run.summary.name = f"experiment_{number}"
    rows = study_table.table_rows([run.summary for run in runs])
    assert study_net_points(runs) == 37
    text = report.study_page_html("study", runs, rows, ["runs/a/report.html"] * 4, "50 seeds each")
    assert len(text.encode()) < 10_000_000


def test_an_unreadable_fragment_is_rewritten_to_the_frame_shown(one_net, offline_page):
    run, path = one_net
    page, problems = offline_page(path, "#frame=4")
    page.evaluate("window.location.hash = '#frame=abc'")
    page.wait_for_timeout(100)
    last = len(run.frame_epochs) - 1
    assert page.evaluate("window.location.hash") == f"#frame={last}"
    assert shown(page) == expected(run, last) and problems == []


def test_a_study_page_of_a_single_finished_cell_works(tmp_path, offline_page):
    """A study interrupted after its first cell: a page of several runs, holding one so far."""
    run = synthetic_run(nets=3, epochs=200, frames=10)
    rows = study_table.table_rows([run.summary])
    path = tmp_path / "report.html"
    path.write_text(report.study_page_html("study", [run], rows, ["runs/a/report.html"], "3 seeds each"))
    page, problems = offline_page(path)
    assert problems == []
    assert page.text_content("#numbers-0").startswith("median training MSE ")


# --- a run's curvature and landscape ---------------------------------------------------------------------

def slide_to(page, frame: int) -> None:
    page.eval_on_selector("#frame-slider", "(slider, k) => { slider.value = k; slider.dispatchEvent("
                          "new Event('input')); }", frame)


@pytest.fixture(scope="module")
def curved(one_net):
    """one_net's run with a spectrum and a landscape made up on its frames (test_curvature_pictures'),
    its page written beside its own."""
    from curvature import Views
    from test_curvature_pictures import synthetic_landscape, synthetic_spectrum

    run, path = one_net
    spectrum, landscape = synthetic_spectrum(run, reference_only=True), synthetic_landscape(run)
    curved_path = path.with_name("report_curved.html")
    report.write_page(run, curved_path, Views(spectrum, landscape))
    return run, spectrum, landscape, curved_path


def test_the_curvature_panel_states_exactly_frame_ks_sharpness_threshold_and_counts(curved, offline_page):
    run, spectrum, _, path = curved
    page, problems = offline_page(path)
    for frame in (0, 7, len(run.frame_epochs) - 1):
        slide_to(page, frame)
        assert page.text_content("#epoch") == f"{int(run.frame_epochs[frame]):,}"
        assert page.text_content("#curvature-numbers").startswith(f"epoch {int(run.frame_epochs[frame]):,} · ")
        values = {"sharpness": spectrum.sharpness[frame, 0], "threshold": spectrum.threshold.values[frame],
                  "smallest": spectrum.smallest[frame, 0]}
        for name, value in values.items():
            element = page.query_selector(f"#curvature-{name}")
            assert element.text_content() == format_loss(value), (frame, name)
            assert float(element.get_attribute("data-value")) == value, (frame, name)  # bit for bit
        for name, count in {"negative": spectrum.negative_count, "near-zero": spectrum.near_zero_count}.items():
            assert page.text_content(f"#curvature-{name}") == str(count[frame, 0]), (frame, name)
    assert "stability threshold 2/η (reference only: minibatches)" in page.text_content("#curvature")
    assert problems == []


def test_the_landscapes_point_moves_with_the_slider(curved, offline_page):
    run, _, landscape, path = curved
    page, problems = offline_page(path)
    red = "#d62728"  # COLORS["marker"]
    places = {}
    for frame in (5, 20):
        slide_to(page, frame)
        x, y = landscape.path[frame]
        places[frame] = page.evaluate(f"[landscapeAxes.px({x}), landscapeAxes.py({y})]")
    # The page now shows frame 20: its point red, frame 5's place no longer.
    pixels, scale = canvas_pixels(page, "#landscape-canvas")

    def around(frame):
        x, y = places[frame]
        return pixels[int((y - 2) * scale): int((y + 2) * scale) + 1, int((x - 2) * scale): int((x + 2) * scale) + 1]

    assert near(around(20), red) >= 4 and near(around(5), red) == 0
    assert page.text_content("#landscape-numbers") == (
        f"epoch {int(run.frame_epochs[20]):,} · objective at the frame's point on the plane "
        f"{format_loss(landscape.path_values[20])} · at its own weights {format_loss(landscape.frame_objective[20])}")
    assert page.text_content("#landscape-words") == "\n".join(plane_words(landscape))
    assert problems == []


@pytest.mark.parametrize("note", [None, "curvature not recorded: record.curvature is none"])
def test_a_runs_note_stands_in_place_of_its_curvature(one_net, offline_page, tmp_path, note):
    from curvature import Views
    from drawing.page_curvature import NOT_WORKED_OUT

    run, path = one_net
    if note is not None:
        path = tmp_path / "report.html"
        report.write_page(run, path, Views(None, None, note))
    page, problems = offline_page(path)
    assert page.text_content("#curvature-note") == (note or NOT_WORKED_OUT)
    assert page.query_selector("#curvature-canvas") is None and page.query_selector("#landscape-canvas") is None
    assert problems == []


def test_a_comparison_draws_every_runs_sharpness_on_one_plot_and_says_which_have_none(compared, tmp_path, offline_page):
    from curvature import Views
    from drawing.curvature_figures import sharpness_curves
    from test_curvature_pictures import synthetic_spectrum

    runs, _ = compared
    spectrum = synthetic_spectrum(runs[0])
    note = "curvature not recorded: record.curvature is none"
    path = tmp_path / "report.html"
    path.write_text(report.compare_page_html(runs, ["calm", HOSTILE_LABEL], "", [Views(spectrum, None),
                                                                                Views(None, None, note)]))
    page, problems = offline_page(path)
    assert problems == [] and page.query_selector("img") is None
    assert f"{HOSTILE_LABEL}: {note}" in page.text_content("#sharpness")
    curves = sharpness_curves(spectrum)
    pixels, scale = canvas_pixels(page, "#sharpness-canvas")
    for index in (5, 20):
        x, y = page.evaluate(f"[sharpnessAxes.px({curves['epochs'][index]}), sharpnessAxes.py({curves['sharpness'][index, 0]})]")
        patch = pixels[int((y - 2) * scale): int((y + 2) * scale) + 1, int((x - 2) * scale): int((x + 2) * scale) + 1]
        assert near(patch, page.evaluate("DATA.runs[0].color")) >= 2, index
