"""drawing/units_frames.py (with unit_curves.py, diagnostics.py, diagnostic_panels.py): what each
frame of units.gif and of its comparison shows, checked on the figure's artists (what is drawn
where) and on the frame's pixels. Synthetic runs only."""

import re

import numpy as np
import pytest
from matplotlib.colors import to_rgb
from matplotlib.text import Text
from matplotlib.transforms import Bbox

import rundir
from conftest import OWN_SCALES_NOTE, assert_texts_apart_and_inside, beside_the_sine, decode_gif, synthetic_run
import rendering
from drawing.comparison import compare_frame_epochs, latest_snapshot
from drawing.curves import status_caption
from drawing.style import COLORS
from summaries import format_loss
from drawing.unit_curves import UNITS_HEADROOM, drawable_contributions, unit_colors, units_limits
from drawing.units_frames import CompareUnitsAnimation, UnitsAnimation

SMALL = (480, 270)  # the smallest render size the config allows
DEFAULT = (800, 360)


def rgb(color) -> tuple:
    return tuple(int(round(255 * channel)) for channel in to_rgb(color))


def inside(pixels: np.ndarray, box) -> np.ndarray:
    """The pixels within a display box (matplotlib's: origin at the bottom left)."""
    height = pixels.shape[0]
    return pixels[int(np.floor(height - box.y1)) : int(np.ceil(height - box.y0)), int(np.floor(box.x0)) : int(np.ceil(box.x1))]


def count_color(pixels: np.ndarray, color) -> int:
    return int((pixels[..., :3] == rgb(color)).all(axis=-1).sum())


def count_near(pixels: np.ndarray, color, distance: float = 60) -> int:
    return int((np.linalg.norm(pixels[..., :3].astype(float) - rgb(color), axis=-1) < distance).sum())


def placed_texts(figure) -> list:
    """The figure's non-empty visible texts, tick labels only of ticks within their axis's view
    (an axis also keeps labels of ticks outside it, which are not drawn)."""
    ticks, drawn = set(), set()
    for axes in figure.axes:
        for axis in (axes.xaxis, axes.yaxis):
            ticks.update(id(tick_label) for tick in axis.get_major_ticks() + axis.get_minor_ticks()
                         for tick_label in (tick.label1, tick.label2))
            low, high = sorted(axis.get_view_interval())
            for locations, ticks_of in ((axis.get_majorticklocs(), axis.get_major_ticks),
                                        (axis.get_minorticklocs(), axis.get_minor_ticks)):
                for location, tick in zip(locations, ticks_of(len(locations))):
                    if low - 1e-9 * abs(low) <= location <= high + 1e-9 * abs(high):
                        drawn.update({id(tick.label1), id(tick.label2)})
    texts = {id(text): text for text in figure.findobj(Text)}
    return [text for text in texts.values()
            if text.get_text().strip() and text.get_visible() and (id(text) not in ticks or id(text) in drawn)]


def all_words(figure) -> list[str]:
    """Every text in a figure (its own, titles, labels, tick labels, legends), each on one line."""
    return [" ".join(artist.get_text().split()) for artist in figure.findobj(lambda artist: hasattr(artist, "get_text"))]


def overlaps(a, b) -> bool:
    return a.x0 < b.x1 and b.x0 < a.x1 and a.y0 < b.y1 and b.y0 < a.y1


def record_stamps(monkeypatch, stamper) -> list:
    """Make a NumberStamper remember, for this test, the texts it stamps."""
    stamped, stamp = [], stamper.stamp

    def recording(pixels, text, *arguments, **options):
        stamped.append(text)
        return stamp(pixels, text, *arguments, **options)

    monkeypatch.setattr(stamper, "stamp", recording)
    return stamped


def blown_up(run):
    """The last frame as a real diverging run leaves it: a prediction of 1e30 (its output bias), an
    error and a gradient that are not finite, and a finite blow-up before them."""
    run.per_frame["prediction"][-1] = 1e30
    run.per_frame["output_bias"][-1] = 1e30
    run.per_frame["loss"][-1] = np.inf
    run.per_epoch["loss"][-2] = 1e30
    run.per_epoch["grad_norm"][-2] = 1e18
    return run


@pytest.fixture(scope="module")
def animation():
    """units.gif of a completed 2x10 run, 12 frames, at the smallest size."""
    return UnitsAnimation(synthetic_run(frames=12), *SMALL)


# --- units.gif ----------------------------------------------------------------------------------

def test_units_gif_has_a_frame_per_snapshot_and_decodes(tmp_path):
    run = synthetic_run(frames=12)
    path = tmp_path / "units.gif"
    assert rendering.write_animation(UnitsAnimation(run, *SMALL), run, path) == len(run.frame_epochs)
    frames, durations, loop, _ = decode_gif(path)
    assert frames.shape == (len(run.frame_epochs), SMALL[1], SMALL[0], 4)
    assert loop == 0 and len(durations) == len(frames)


def test_every_frame_stamps_its_epoch_and_the_training_error_of_the_weights_it_shows(animation, monkeypatch):
    run = animation.run
    stamped = record_stamps(monkeypatch, animation.numbers)
    for index in range(animation.frame_count):
        del stamped[:]
        animation.frame(index)
        assert stamped == [f"{int(run.frame_epochs[index]):,}", format_loss(run.frame_loss[index, 0])]
    words = all_words(animation.figure)
    assert "training MSE" in words and "noise floor σ² = 0.04" in words
    assert any(word.startswith("2x10 sigmoid · adam lr 0.01") for word in words)


def test_each_frame_draws_that_frames_prediction_and_units(animation):
    """The prediction drawn is the recorded one (test_engine checks that the units and the output
    bias sum to it), and each unit's curve is its recorded contribution."""
    run = animation.run
    for index in (0, 5, animation.frame_count - 1):
        animation.frame(index)
        contributions = run.per_frame["unit_contributions"][index, 0]
        np.testing.assert_array_equal(animation.prediction_line.get_ydata(), run.predictions[index, 0])
        drawn = np.array(animation.unit_lines.get_segments())  # (units, points, x and y)
        assert len(drawn) == run.config.hidden_layers[-1]
        columns = np.searchsorted(run.x_grid, drawn[0, :, 0])
        np.testing.assert_allclose(drawn[..., 1], contributions[:, columns], atol=1e-6)


def test_each_unit_keeps_its_colour_in_every_frame():
    """Units as flat lines far apart, climbing from frame to frame: the row of each unit holds
    its own colour (units are drawn without antialiasing, so exactly) in the first and last frame."""
    run = synthetic_run(frames=6, hidden_layers=[4])
    frames = len(run.frame_epochs)
    heights = np.array([-1.2, -0.4, 0.4, 1.2])[None, :, None] + np.linspace(0, 0.2, frames)[:, None, None]
    run.per_frame["unit_contributions"] = np.broadcast_to(heights, (frames, 4, len(run.x_grid)))[:, None].astype(np.float32)
    animation = UnitsAnimation(run, *DEFAULT)
    colors = animation.unit_lines.get_colors()
    assert len({tuple(color) for color in colors}) == 4
    fit_axes = animation.figure.axes[0]
    for index in (0, frames - 1):
        pixels = animation.frame(index)
        for unit in range(4):
            column, row = fit_axes.transData.transform((run.x_grid[len(run.x_grid) // 2], heights[index, unit, 0]))
            band = pixels[int(round(DEFAULT[1] - row)) - 1 : int(round(DEFAULT[1] - row)) + 2]
            assert count_color(band, colors[unit][:3]) > 100, (index, unit)


def test_units_are_coloured_by_where_their_step_sits():
    x = np.linspace(0, 6, 100)
    steps = np.array([3.0, 1.0, 5.0, 2.0])  # unit 1 steps first, then units 3, 0 and 2
    contributions = (1 / (1 + np.exp(-10 * (x[None, :] - steps[:, None]))))[None]
    colors = unit_colors(contributions)
    ordered = unit_colors(contributions[:, np.argsort(steps)])
    np.testing.assert_array_equal(colors[[1, 3, 0, 2]], ordered)
    assert len({tuple(color) for color in colors}) == 4


def test_sixty_units_each_drawn_in_a_colour_of_their_own(tmp_path):
    run = synthetic_run(frames=8, hidden_layers=[60])
    animation = UnitsAnimation(run, *DEFAULT)
    pixels = animation.frame(animation.frame_count - 1)
    assert len(animation.unit_lines.get_segments()) == 60
    assert len({tuple(color) for color in animation.unit_lines.get_colors()}) == 60
    assert "60 units (activation × weight)" in all_words(animation.figure)
    assert count_color(inside(pixels, animation.figure.axes[0].bbox), COLORS["net"]) > 100
    path = tmp_path / "units.gif"
    rendering.write_animation(animation, run, path)
    assert len(decode_gif(path)[0]) == animation.frame_count


def test_the_fit_panel_widens_for_large_units_but_not_beyond_its_headroom():
    data = (-1.0, 1.0)
    assert units_limits(data, [np.array([0.5, -0.5])]) == data
    low, high = units_limits(data, [np.array([-0.5, 1.5])])
    assert low == -1.0 and 1.5 < high < 1.0 + 2 * UNITS_HEADROOM
    assert units_limits(data, [np.array([-1e30, 1e30, np.nan])]) == (-1.0 - 2 * UNITS_HEADROOM, 1.0 + 2 * UNITS_HEADROOM)
    assert units_limits(data, [None]) == data


def test_a_run_without_the_unit_quantities_draws_the_prediction_and_says_what_is_missing(monkeypatch):
    run = synthetic_run(frames=8)
    for name in ("unit_contributions", "output_bias", "distinct_units", "saturated_fraction"):
        del run.per_frame[name]
    del run.per_epoch["grad_norm"]
    assert drawable_contributions(run) is None
    animation = UnitsAnimation(run, *SMALL)
    stamped = record_stamps(monkeypatch, animation.numbers)
    pixels = animation.frame(animation.frame_count - 1)
    words = all_words(animation.figure)
    for missing in ("unit contributions not recorded (a run trained before they were)", "grad_norm not recorded",
                    "distinct_units not recorded", "saturated_fraction not recorded"):
        assert missing in words
    assert animation.unit_lines is None
    np.testing.assert_array_equal(animation.prediction_line.get_ydata(), run.predictions[-1, 0])
    assert count_color(inside(pixels, animation.figure.axes[0].bbox), COLORS["net"]) > 50
    assert stamped[-1] == format_loss(run.frame_loss[-1, 0])


@pytest.mark.parametrize("status", ["diverged", "interrupted"])
def test_the_last_frame_of_a_run_that_did_not_complete_says_how_it_ended(status):
    run = synthetic_run(frames=10, status=status, diverged_at=38 if status == "diverged" else None)
    if status == "diverged":
        blown_up(run)
    animation = UnitsAnimation(run, *SMALL)
    assert " ".join(animation.ending.get_text().split()) == " ".join(status_caption(run).split())
    before = animation.frame(animation.frame_count - 2).copy()
    last = animation.frame(animation.frame_count - 1)
    panel = inside(last, animation.figure.axes[0].bbox)
    assert count_color(panel, COLORS["net"]) > 50, "the prediction stays in sight, pinned to the panel's edge"
    low, high = animation.figure.axes[0].get_ylim()
    assert np.all((low < animation.prediction_line.get_ydata()) & (animation.prediction_line.get_ydata() < high))
    ending_box = animation.ending.get_bbox_patch().get_window_extent(animation.canvas.get_renderer())
    words = COLORS["marker"] if status == "diverged" else COLORS["note"]
    assert count_near(inside(last, ending_box), words) > 50 + count_near(inside(before, ending_box), words)


def test_a_diverged_runs_marks_stay_inside_their_panels():
    run = blown_up(synthetic_run(frames=10, diverged_at=38))
    animation = UnitsAnimation(run, *SMALL)
    animation.frame(animation.frame_count - 1)
    x, y = animation.marks.dots.get_data()
    finite = np.isfinite(y)
    assert finite.sum() >= 3  # the error (not finite: at the top edge), distinct units, saturation
    boxes = [axes.bbox for axes in animation.column]
    for column, row in zip(np.asarray(x)[finite], np.asarray(y)[finite]):
        assert any(box.x0 <= column <= box.x1 + 1 and box.y0 - 1 <= row <= box.y1 + 1 for box in boxes)


def test_epoch_0_marks_nothing_on_the_log_epoch_axes_and_later_frames_do(animation):
    assert animation.run.frame_epochs[0] == 0
    column = animation.column
    top, bottom = column[0].bbox, column[-1].bbox
    region = Bbox.from_extents(bottom.x0, bottom.y0, top.x1, top.y1)
    assert count_color(inside(animation.frame(0), region), COLORS["marker"]) == 0
    assert count_color(inside(animation.frame(1), region), COLORS["marker"]) > 10


def test_a_seeded_run_draws_net_0_and_says_so(monkeypatch):
    run = synthetic_run(nets=5, frames=8, seed=7)
    animation = UnitsAnimation(run, *DEFAULT)
    stamped = record_stamps(monkeypatch, animation.numbers)
    animation.frame(animation.frame_count - 1)
    assert stamped[-1] == format_loss(run.frame_loss[-1, 0])
    words = all_words(animation.figure)
    assert "net 0's training MSE" in words
    assert any("5 seeds, net 0 (seed 7) shown" in word for word in words)
    np.testing.assert_array_equal(animation.prediction_line.get_ydata(), run.predictions[-1, 0])
    # The other four nets, faint, behind net 0 in each small panel.
    assert all(len(axes.collections) >= 1 for axes in animation.column)


@pytest.mark.parametrize("size, options", [(SMALL, {}), (DEFAULT, {}), (SMALL, {"nets": 20, "hidden_layers": [5] * 5})],
                         ids=["small", "default", "small-deep-seeded"])
def test_texts_stay_in_the_picture_and_apart(size, options):
    """Tick labels included: a small panel 25 pixels high has room for few (a deep net's gradient
    spans less than a power of ten, so 0.2 and 0.5 label it)."""
    run = synthetic_run(frames=6, name="a_long_experiment_name_" * 4, **options)
    animation = UnitsAnimation(run, *size)
    animation.frame(animation.frame_count - 1)
    renderer = animation.canvas.get_renderer()
    boxes = [(text.get_text(), text.get_window_extent(renderer)) for text in placed_texts(animation.figure)
             if text is not animation.ending]
    picture = animation.figure.bbox
    for index, (text, box) in enumerate(boxes):
        assert picture.x0 - 1 <= box.x0 and box.x1 <= picture.x1 + 1, f"{text!r} leaves the picture"
        for other, other_box in boxes[index + 1 :]:
            assert not overlaps(box, other_box), f"{text!r} overlaps {other!r}"


# --- the comparison ------------------------------------------------------------------------------

@pytest.mark.parametrize("count", [2, 4])
def test_compare_draws_each_runs_latest_snapshot_in_step(count, monkeypatch):
    runs = [synthetic_run(epochs=100 * (index + 1), frames=6 + index, hidden_layers=[10] * (1 + index % 2))
            for index in range(count)]
    animation = CompareUnitsAnimation(runs, [f"run {index}" for index in range(count)], "note")
    epochs = compare_frame_epochs(runs)
    assert animation.frame_count == len(epochs)
    stamped = record_stamps(monkeypatch, animation.numbers)
    index = len(epochs) // 2
    animation.frame(index)
    shown = [latest_snapshot(run, int(epochs[index])) for run in runs]
    assert stamped == [format_loss(run.frame_loss[snapshot, 0]) for run, snapshot in zip(runs, shown)]
    for run, snapshot, lines, prediction in zip(runs, shown, animation.unit_lines, animation.lines):
        drawn = np.array(lines.get_segments())
        columns = np.searchsorted(run.x_grid, drawn[0, :, 0])
        np.testing.assert_allclose(drawn[..., 1], run.per_frame["unit_contributions"][snapshot, 0][:, columns],
                                   atol=1e-6)
        np.testing.assert_allclose(prediction.get_ydata(), run.predictions[snapshot, 0], atol=1e-6)
    words = all_words(animation.figure)
    assert all(f"run {index}" in words for index in range(count))
    assert "layer 2 dashed" in words


def test_compare_of_nine_runs_with_endings_and_missing_units_draws(tmp_path):
    runs = [synthetic_run(frames=5) for _ in range(7)]
    runs.append(blown_up(synthetic_run(frames=5, diverged_at=38)))
    runs.append(synthetic_run(frames=5, status="interrupted"))
    del runs[0].per_frame["unit_contributions"]
    animation = CompareUnitsAnimation(runs, [f"run {index}" for index in range(9)], "note")
    path = tmp_path / "compare_units.gif"
    rendering.write_animation(animation, runs[0], path)
    assert len(decode_gif(path)[0]) == animation.frame_count
    words = all_words(animation.figure)
    assert "unit contributions not recorded (a run trained before they were)" in words
    assert any(re.search(r"\(diverged after 37 epochs\)", word) for word in words)


def test_a_net_too_large_for_its_unit_contributions_says_why():
    run = synthetic_run(frames=8, hidden_layers=[60], grid_points=2000)
    del run.per_frame["unit_contributions"]  # as the engine leaves them out: 60 x 2000 x 9 frames is 4 MB
    budget = rundir.UNIT_CONTRIBUTIONS_BUDGET
    try:
        rundir.UNIT_CONTRIBUTIONS_BUDGET = 2**20
        words = all_words(UnitsAnimation(run, *SMALL).figure)
    finally:
        rundir.UNIT_CONTRIBUTIONS_BUDGET = budget
    assert "unit contributions not recorded: 60 units x 2,000 grid points x 9 frames would take 4 MB (limit 1 MB)" in words


@pytest.mark.parametrize("count", [2, 4])
def test_a_comparison_on_data_in_other_units_keeps_its_labels_off_each_other_and_its_notes_whole(count):
    animation = CompareUnitsAnimation(beside_the_sine(count), [f"run {index}" for index in range(count)],
                                      OWN_SCALES_NOTE)
    animation.frame(animation.frame_count - 1)
    assert_texts_apart_and_inside(animation.figure)
    header = [text.get_text() for text in animation.figure.texts if "·" in text.get_text()]
    assert " · ".join(line for line in header if line in OWN_SCALES_NOTE) == OWN_SCALES_NOTE
    assert any(line.startswith("thin lines: units") and line.endswith("= prediction") for line in header)


def data_under(text, axes) -> list:
    """The data points and true curve's points of a fit panel that lie under a text of it."""
    renderer = axes.figure.canvas.get_renderer()
    box = text.get_window_extent(renderer).padded(3)  # a point's marker reaches about 3 pixels out
    points = [np.asarray(collection.get_offsets()) for collection in axes.collections if hasattr(collection, "get_offsets")]
    points += [line.get_xydata() for line in axes.get_lines() if line.get_linestyle() == ":" or line.get_marker() == "o"]
    pixels = axes.transData.transform(np.concatenate([item for item in points if len(item)]))
    return [pixel for pixel in pixels if box.x0 <= pixel[0] <= box.x1 and box.y0 <= pixel[1] <= box.y1]


def too_large_for_units(**options):
    """A run whose unit contributions the engine left out, being past its budget (a 1000x1000 net's)."""
    run = synthetic_run(frames=30, hidden_layers=[1000, 1000], **options)
    del run.per_frame["unit_contributions"]
    assert rundir.unit_contributions_bytes([1000, 1000], 50, 30) > rundir.UNIT_CONTRIBUTIONS_BUDGET
    return run


@pytest.mark.parametrize("size", [SMALL, DEFAULT], ids=["small", "default"])
def test_the_note_that_units_are_not_recorded_lies_clear_of_the_data(size, monkeypatch):
    monkeypatch.setattr(rundir, "UNIT_CONTRIBUTIONS_BUDGET", 2**20)  # 1000 units x 50 points x 31 frames: 6 MB
    animation = UnitsAnimation(too_large_for_units(), *size)
    animation.frame(animation.frame_count - 1)
    fit_axes = animation.figure.axes[0]
    (note,) = [text for text in fit_axes.texts if text.get_text().startswith("unit contributions not recorded")]
    extent = note.get_window_extent(animation.canvas.get_renderer())
    assert fit_axes.bbox.x0 <= extent.x0 and extent.x1 <= fit_axes.bbox.x1 and extent.y1 <= fit_axes.bbox.y1
    assert data_under(note, fit_axes) == []
    comparison = CompareUnitsAnimation([synthetic_run(), too_large_for_units(seed=1)], ["a", "b"], "note")
    panel = [axes for axes in comparison.figure.axes if axes.get_visible()][1]
    (note,) = [text for text in panel.texts if text.get_text().startswith("unit contributions not recorded")]
    assert data_under(note, panel) == []


def test_a_single_training_point_stays_in_sight_over_the_prediction_through_it():
    run = synthetic_run(n_samples=1)
    run.per_frame["prediction"][:] = run.y_train[0]
    animation = UnitsAnimation(run, *DEFAULT)
    pixels = animation.frame(animation.frame_count - 1)
    column, row = animation.figure.axes[0].transData.transform((run.x_train[0], run.y_train[0]))
    row = pixels.shape[0] - row
    around = pixels[int(row) - 5: int(row) + 6, max(int(column) - 5, 0): int(column) + 6]
    assert count_near(around, COLORS["data"], distance=30) >= 12
