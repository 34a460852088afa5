"""drawing/fit_frames.py and compare_frames.py (with animation.py, fit_panel.py, comparison.py):
what each frame of fit.gif, seeds.gif and compare.gif shows, checked on the figure's artists (where
text lies) and on the frame's pixels (what was drawn). Synthetic runs only."""

import re

import numpy as np
import pytest
from matplotlib.colors import to_rgb

import config as config_module
from conftest import OWN_SCALES_NOTE, assert_texts_apart_and_inside, beside_the_sine, synthetic_run
from drawing.animation import CAPTION_STYLE, NumberStamper, new_canvas
from drawing.compare_frames import CompareAnimation
from drawing.comparison import compare_frame_epochs, latest_snapshot, shared_scales
from drawing.fit_frames import FitAnimation, SeedsAnimation
from drawing.style import COLORS
from summaries import format_loss


def render_limit(name: str, bound: str) -> int:
    """A render setting's smallest (bound='ge') or largest ('le') allowed value, from the config schema."""
    field = config_module.RenderConfig.model_fields[name]
    return next(getattr(item, bound) for item in field.metadata if hasattr(item, bound))


SMALLEST = (render_limit("width_pixels", "ge"), render_limit("height_pixels", "ge"))
DEFAULT = (config_module.RenderConfig().width_pixels, config_module.RenderConfig().height_pixels)
LONG_NAME = "a_long_experiment_name_" * 4  # 92 characters; names may have 100


def rgb(color: str) -> tuple:
    return tuple(int(round(255 * channel)) for channel in to_rgb(color))


def inside(pixels: np.ndarray, box, grow: int = 0) -> np.ndarray:
    """The pixels within a display box (matplotlib's: origin at the bottom left), grown by `grow` pixels."""
    height = pixels.shape[0]
    top, bottom = max(int(np.floor(height - box.y1)) - grow, 0), int(np.ceil(height - box.y0)) + grow
    left, right = max(int(np.floor(box.x0)) - grow, 0), int(np.ceil(box.x1)) + grow
    return pixels[top:bottom, left:right]


def count_color(pixels: np.ndarray, color: str) -> int:
    return int((pixels[..., :3] == rgb(color)).all(axis=-1).sum())


def count_near(pixels: np.ndarray, color: str, distance: float = 60) -> int:
    return int((np.linalg.norm(pixels[..., :3].astype(float) - rgb(color), axis=-1) < distance).sum())


def overlaps(a, b) -> bool:
    return a.x0 < b.x1 and b.x0 < a.x1 and a.y0 < b.y1 and b.y0 < a.y1


def within(inner, outer) -> bool:
    return outer.x0 <= inner.x0 and inner.x1 <= outer.x1 and outer.y0 <= inner.y0 and inner.y1 <= outer.y1


def text_boxes(figure) -> list:
    """(text, window extent) of every non-empty text the figure itself holds."""
    renderer = figure.canvas.get_renderer()
    return [(text.get_text(), text.get_window_extent(renderer)) for text in figure.texts if text.get_text().strip()]


def all_words(figure) -> list[str]:
    """Every text anywhere in a figure: its own, the axes' titles, labels, tick labels and legends."""
    return [" ".join(artist.get_text().split())  # a caption wrapped to fit reads as one line
            for artist in figure.findobj(lambda artist: hasattr(artist, "get_text"))]


def record_stamps(monkeypatch, stamper: NumberStamper) -> list:
    """Make a NumberStamper remember, for this test, what it stamps: (text, x, baseline row, align)."""
    stamped, stamp = [], stamper.stamp

    def recording(pixels, text, x, baseline_row, color, align="left"):
        stamped.append((text, x, baseline_row, align))
        return stamp(pixels, text, x, baseline_row, color, align)

    monkeypatch.setattr(stamper, "stamp", recording)
    return stamped


def notes_drawn(monkeypatch, animation):
    """A function that draws frame k of an animation and returns the texts drawn over its background
    in that frame (its notes), in order."""
    drawn = []
    draw_artist = animation.figure.draw_artist
    monkeypatch.setattr(animation.figure, "draw_artist", lambda artist: drawn.append(artist) or draw_artist(artist))

    def notes(index: int) -> list:
        del drawn[:]
        animation.frame(index)
        return [artist for artist in drawn if hasattr(artist, "get_text")]

    return notes


def diverged_for_real(run, prediction: str = "huge"):
    """The last frame as a real diverging run leaves it (sgd_2x10_diverging.yaml does): predictions
    blown up (huge, or not finite at all), a training error that is not finite, and a finite
    blow-up before the history's infinite last epoch."""
    if prediction == "huge":
        run.per_frame["prediction"][-1] = 1e30 * np.sign(np.sin(3 * run.x_grid))[None, :]
    else:
        run.per_frame["prediction"][-1] = np.nan
    run.per_frame["loss"][-1] = np.inf
    run.per_epoch["loss"][-2] = 1e30
    return run


# --- NumberStamper ------------------------------------------------------------------------------

def test_a_stamped_character_is_pixel_for_pixel_what_matplotlib_draws():
    stamper = NumberStamper(11)
    for character in NumberStamper.CHARACTERS:
        figure, canvas = new_canvas(60, 60)
        figure.text(20 / 60, 1 - 40 / 60, character, color="black", **CAPTION_STYLE)
        canvas.draw()
        expected = np.asarray(canvas.buffer_rgba())[..., :3]
        blank = np.full((60, 60, 4), 255, np.uint8)
        stamper.stamp(blank, character, 20, 40, "black")
        np.testing.assert_array_equal(blank[..., :3], expected, err_msg=repr(character))


@pytest.mark.parametrize("align", ["left", "right"])
def test_a_stamped_number_lies_within_its_width_on_its_baseline(align):
    stamper = NumberStamper(11)
    pixels = np.full((40, 300, 4), 255, np.uint8)
    text, x = "12,345 not finite", 150
    stamper.stamp(pixels, text, x, 30, "black", align)
    rows, columns = np.nonzero(pixels[..., :3].min(axis=-1) < 200)
    left = x - stamper.width(text) if align == "right" else x
    assert left - 1 <= columns.min() and columns.max() <= left + stamper.width(text) + 1
    assert columns.max() - columns.min() > 0.9 * stamper.width(text)
    assert 30 - 2 * 11 <= rows.min() and rows.max() <= 30 + 4, "on the baseline (the comma a little below)"
    assert np.mean(rows <= 30) > 0.95


# --- fit.gif ------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def fit_animation():
    """fit.gif's frames of a completed 300-epoch run at the default size (frame() redraws all it changes)."""
    return FitAnimation(synthetic_run(epochs=300, frames=40), *DEFAULT)


@pytest.fixture(scope="module")
def ended():
    """The animation of a run that did not complete, with a long name, made once per (nets, status, size)."""
    made = {}

    def make(nets: int, status: str, size: tuple):
        if (nets, status, size) not in made:
            run = synthetic_run(nets=nets, status=status, diverged_at=38 if status == "diverged" else None,
                                name=LONG_NAME)
            if status == "diverged":
                diverged_for_real(run)
            made[nets, status, size] = (SeedsAnimation if nets > 1 else FitAnimation)(run, *size)
        return made[nets, status, size]

    return make


def test_every_frame_says_its_epoch_and_the_training_error_of_the_weights_it_shows(fit_animation, monkeypatch):
    animation, run = fit_animation, fit_animation.run
    stamped = record_stamps(monkeypatch, animation.numbers)
    assert animation.frame_count == len(run.frame_epochs)
    for index in range(animation.frame_count):
        del stamped[:]
        animation.frame(index)
        assert [text for text, *_ in stamped] == [f"{int(run.frame_epochs[index]):,}",
                                                 format_loss(run.frame_loss[index, 0])], index
    words = [text for text, _ in text_boxes(animation.figure)]
    assert words[:3] == ["epoch ", " of 300", "training MSE "]
    assert any("noise floor σ² = 0.04" in word for word in words)
    fit_axes, loss_axes = animation.figure.axes
    assert fit_axes.get_xlabel() == "x" and fit_axes.get_ylabel() == "y"
    assert loss_axes.get_yscale() == "log" and loss_axes.get_xscale() == "log" and "epoch" in loss_axes.get_xlabel()
    assert any(line.get_label().startswith("noise floor") for line in loss_axes.get_lines())


def test_the_stamped_numbers_change_the_pixels_of_the_header(fit_animation):
    animation = fit_animation
    first = animation.frame(1)[:50].copy()
    last = animation.frame(animation.frame_count - 1)[:50].copy()
    changed_columns = np.flatnonzero((first != last).any(axis=(0, 2)))
    assert len(changed_columns) > 20
    assert changed_columns.min() < animation.epoch_right <= changed_columns.max()


def test_a_frame_is_the_canvas_size_and_shows_the_prediction_of_its_snapshot(fit_animation):
    animation, run = fit_animation, fit_animation.run
    fit_axes = animation.figure.axes[0]
    for index in (0, animation.frame_count - 1):
        pixels = animation.frame(index)
        assert pixels.shape == (DEFAULT[1], DEFAULT[0], 4)
        np.testing.assert_array_equal(animation.prediction_line.get_ydata(), run.predictions[index, 0])
        assert count_color(inside(pixels, fit_axes.bbox), COLORS["net"]) > 100


def test_an_epoch_0_frame_draws_no_marker_on_the_log_epoch_axis(fit_animation):
    animation, run = fit_animation, fit_animation.run
    assert run.frame_epochs[0] == 0 and run.frame_epochs[1] > 0
    loss_axes = animation.figure.axes[1]
    animation.canvas.restore_region(animation.background)
    static = inside(np.asarray(animation.canvas.buffer_rgba()), loss_axes.bbox, grow=6).copy()
    at_epoch_0 = inside(animation.frame(0), loss_axes.bbox, grow=6).copy()
    np.testing.assert_array_equal(at_epoch_0, static)
    at_epoch_1 = inside(animation.frame(1), loss_axes.bbox, grow=6)
    assert count_color(at_epoch_1, COLORS["marker"]) > 5, "later frames do mark their epoch"


@pytest.mark.parametrize("size", [SMALLEST, DEFAULT], ids=["smallest", "default"])
def test_the_loss_panels_y_label_clears_its_tick_labels_however_wide(size):
    """Errors from 1e30 down to 1e-10 give tick labels like 1e-10 and 1e30."""
    run = synthetic_run()
    span = np.geomspace(1e30, 1e-10, len(run.loss))[:, None].astype(np.float32)
    run.per_epoch["loss"], run.per_epoch["val_loss"] = span, span.copy()
    run.per_frame["loss"] = span[np.minimum(run.frame_epochs, len(span) - 1)]
    animation = FitAnimation(run, *size)
    animation.frame(animation.frame_count - 1)
    renderer = animation.canvas.get_renderer()
    fit_axes, loss_axes = animation.figure.axes
    low, high = loss_axes.get_ylim()
    labels = [label for value, label in zip(loss_axes.get_yticks(), loss_axes.get_yticklabels())
              if low <= value <= high and label.get_text()]
    texts = [label.get_text() for label in labels]
    assert any(re.fullmatch(r"1e-\d+", text) for text in texts) and any(re.fullmatch(r"1e\d+", text) for text in texts)
    y_label = loss_axes.yaxis.label.get_window_extent(renderer)
    for label in labels:
        assert not overlaps(y_label, label.get_window_extent(renderer)), label.get_text()
    assert y_label.x0 >= fit_axes.bbox.x1, "the y label runs into the fit panel"


@pytest.mark.parametrize("size", [SMALLEST, DEFAULT], ids=["smallest", "default"])
def test_the_loss_panels_epoch_labels_stay_apart_over_six_powers_of_ten(size):
    """An interrupted run's axis reaches the 200,000 epochs requested: '10,000' and '100,000' side by side."""
    animation = FitAnimation(synthetic_run(status="interrupted", epochs=100_000, frames=20), *size)
    animation.frame(animation.frame_count - 1)
    loss_axes, renderer = animation.figure.axes[1], animation.canvas.get_renderer()
    low, high = loss_axes.get_xlim()
    labels = [label for value, label in zip(loss_axes.get_xticks(), loss_axes.get_xticklabels())
              if low <= value <= high and label.get_text()]
    assert len(labels) >= 3
    boxes = [label.get_window_extent(renderer) for label in labels]
    assert all(not overlaps(a, b) for index, a in enumerate(boxes) for b in boxes[index + 1:]), \
        [label.get_text() for label in labels]


ENDINGS = [(1, "interrupted", SMALLEST), (1, "diverged", SMALLEST), (5, "interrupted", SMALLEST),
           (5, "diverged", SMALLEST), (1, "interrupted", DEFAULT), (5, "diverged", DEFAULT)]
ENDING_IDS = [f"{nets}-{status}-{'smallest' if size == SMALLEST else 'default'}" for nets, status, size in ENDINGS]


@pytest.mark.parametrize("nets, status, size", ENDINGS, ids=ENDING_IDS)
def test_the_ending_caption_box_fits_inside_its_panel_on_the_last_frame_only(ended, nets, status, size):
    animation = ended(nets, status, size)
    last = animation.frame(animation.frame_count - 1).copy()
    renderer = animation.canvas.get_renderer()
    panel = animation.figure.axes[0].get_window_extent(renderer)
    box = animation.ending.get_bbox_patch().get_window_extent(renderer)
    assert within(box, panel), (box, panel)
    # Its frame is red (a little faded), drawn on the last frame only.
    assert count_near(inside(last, box), COLORS["marker"]) > box.width + box.height
    before = animation.frame(animation.frame_count - 2)
    assert count_near(inside(before, box), COLORS["marker"]) == 0


@pytest.mark.parametrize("nets, status, size", ENDINGS + [(1, "completed", SMALLEST)],
                         ids=ENDING_IDS + ["1-completed-smallest"])
def test_the_header_texts_and_numbers_do_not_overlap_and_stay_in_the_picture(ended, monkeypatch, nets, status, size):
    animation = ended(nets, status, size) if status != "completed" else \
        FitAnimation(synthetic_run(name=LONG_NAME), *size)
    stamped = record_stamps(monkeypatch, animation.numbers)
    animation.frame(animation.frame_count - 1)
    boxes = text_boxes(animation.figure)
    first_row = boxes[0][1]  # "epoch ": the stamped numbers share its line
    for text, x, _, align in stamped:
        width = animation.numbers.width(text)
        left = x - width if align == "right" else x
        boxes.append((f"stamped {text}", type(first_row).from_extents(left, first_row.y0, left + width, first_row.y1)))
    for index, (text, box) in enumerate(boxes):
        assert within(box, animation.figure.bbox), f"{text!r} leaves the picture ({box})"
        for other, other_box in boxes[index + 1 :]:
            assert not overlaps(box, other_box), f"{text!r} overlaps {other!r}"


def test_the_ending_caption_says_how_the_run_ended(ended):
    # (At the smallest size the words may be wrapped onto more lines to fit the panel.)
    def words(animation) -> str:
        return " ".join(animation.ending.get_text().split())

    assert words(ended(1, "diverged", SMALLEST)) == "diverged after 37 epochs: training MSE not finite"
    assert words(ended(1, "interrupted", SMALLEST)) == "interrupted at epoch 300 of 600"
    assert words(ended(5, "diverged", SMALLEST)) == "every net diverged within 37 epochs"


@pytest.mark.parametrize("nets", [1, 5])
def test_a_diverged_runs_last_frame_names_one_epoch_the_one_whose_weights_it_shows(ended, monkeypatch, nets):
    """The last frame shows the weights after 37 epochs, whose training error is not finite (the
    history's loss of epoch 38 is theirs: rundir.py); its header and its ending name that one epoch,
    in the header's words."""
    animation = ended(nets, "diverged", DEFAULT)
    stamped = record_stamps(monkeypatch, animation.numbers)
    animation.frame(animation.frame_count - 1)
    assert [text for text, *_ in stamped] == ["37", "not finite"] and animation.run.frame_epochs[-1] == 37
    ending = " ".join(animation.ending.get_text().split())
    assert re.findall(r"\d[\d,]*", ending) == ["37"], ending
    assert "training MSE not finite" in ending or nets > 1 and "every net" in ending, ending


def test_a_completed_run_has_no_ending_caption(fit_animation):
    assert fit_animation.ending is None


def test_a_diverged_net_shows_its_prediction_pinned_to_the_panel_edge(ended):
    animation = ended(1, "diverged", SMALLEST)
    assert np.abs(animation.run.predictions[-1]).max() > 1e29
    pixels = animation.frame(animation.frame_count - 1)
    fit_axes = animation.figure.axes[0]
    low, high = fit_axes.get_ylim()
    shown = animation.prediction_line.get_ydata()
    assert np.all((low < shown) & (shown < high))
    assert count_color(inside(pixels, fit_axes.bbox), COLORS["net"]) > 100


def test_a_net_whose_prediction_stopped_being_finite_shows_its_last_finite_one():
    run = diverged_for_real(synthetic_run(diverged_at=38), prediction="not finite")
    animation = FitAnimation(run, *SMALLEST)
    pixels = animation.frame(animation.frame_count - 1)
    np.testing.assert_array_equal(animation.prediction_line.get_ydata(), run.predictions[-2, 0])
    assert count_color(inside(pixels, animation.figure.axes[0].bbox), COLORS["net"]) > 50


def test_a_diverged_seeded_run_says_not_finite_and_never_prints_an_array(ended, monkeypatch):
    animation = ended(5, "diverged", SMALLEST)
    stamped = record_stamps(monkeypatch, animation.numbers)
    animation.frame(animation.frame_count - 1)
    assert [text for text, *_ in stamped] == [f"{int(animation.run.frame_epochs[-1]):,}", "not finite"]
    words = all_words(animation.figure) + [text for text, *_ in stamped]
    assert "every net diverged within 37 epochs" in words
    assert not [word for word in words if re.search(r"\binf\b|\bnan\b|\[", word, re.IGNORECASE)]


def blown_beyond_the_chart(run, scale: float = 15.0):
    """The run as SGD at learning rate 1.0 leaves it: from the middle frame on, every net's
    prediction huge but finite, the median above the panel and the 10-90% band past both edges."""
    middle = len(run.frame_epochs) // 2
    offsets = np.linspace(-1.0, 2.0, run.nets)[None, :, None] if run.nets > 1 else np.ones((1, 1, 1))
    run.per_frame["prediction"][middle:] = (scale * offsets * np.ones_like(run.predictions[middle:])).astype(np.float32)
    run.per_frame["loss"][middle:] = 200.0
    return run, middle


@pytest.mark.parametrize("nets", [1, 5])
def test_a_prediction_off_the_chart_is_said_to_be_on_the_frames_where_it_is_clear_of_the_data(nets, monkeypatch):
    run, middle = blown_beyond_the_chart(synthetic_run(nets=nets))
    animation = (SeedsAnimation if nets > 1 else FitAnimation)(run, *DEFAULT)
    fit_axes = animation.figure.axes[0]
    notes = notes_drawn(monkeypatch, animation)

    def said(index: int) -> list[str]:
        return [note.get_text() for note in notes(index)]

    assert said(middle - 1) == []
    words = said(middle)
    if nets == 1:
        assert words == ["▲ off the chart: prediction"]
    else:
        assert words == ["▲ off the chart: median, 10-90% of nets", "▼ off the chart: 10-90% of nets"]
    renderer = animation.canvas.get_renderer()
    points = fit_axes.transData.transform(np.column_stack([run.x_train, run.y_train]))
    for note in notes(middle):
        assert within(note.get_window_extent(renderer), fit_axes.bbox)
        box = note.get_window_extent(renderer).padded(3)  # a data point's marker reaches 3 pixels out
        assert not [point for point in points if box.x0 <= point[0] <= box.x1 and box.y0 <= point[1] <= box.y1]


def one_point_under_the_line():
    """A run on one training point (at the edge of the x range), whose net predicts exactly its y."""
    run = synthetic_run(n_samples=1)
    run.per_frame["prediction"][:] = run.y_train[0]
    return run


def data_pixels_at(pixels: np.ndarray, axes, x: float, y: float) -> int:
    """How many pixels within 5 of a data point's place are the data's grey."""
    column, row = axes.transData.transform((x, y))
    row = pixels.shape[0] - row
    around = pixels[max(int(row) - 5, 0): int(row) + 6, max(int(column) - 5, 0): int(column) + 6]
    return count_near(around, COLORS["data"], distance=30)


@pytest.mark.parametrize("drawing", ["fit", "compare"])
def test_a_single_training_point_stays_in_sight_over_a_line_through_it(drawing):
    run = one_point_under_the_line()
    animation = FitAnimation(run, *DEFAULT) if drawing == "fit" else \
        CompareAnimation([run, synthetic_run()], ["one point", "many"], "note")
    pixels = animation.frame(animation.frame_count - 1)
    axes = animation.figure.axes[0]
    assert data_pixels_at(pixels, axes, run.x_train[0], run.y_train[0]) >= 12, "a point larger than the line is wide"


def test_a_seeded_frame_shows_the_median_in_its_own_colour_and_states_the_median_error():
    run = synthetic_run(nets=5)
    animation = SeedsAnimation(run, *SMALLEST)
    assert animation.loss_label == "median training MSE "
    last = animation.frame_count - 1
    pixels = animation.frame(last)
    assert animation.frame_loss(last) == pytest.approx(float(np.median(run.frame_loss[last])))
    np.testing.assert_allclose(animation.median_line.get_ydata(), np.median(run.predictions[last], axis=0), atol=1e-6)
    assert animation.median_line.get_color() == COLORS["median"]
    assert count_color(inside(pixels, animation.figure.axes[0].bbox), COLORS["median"]) > 100


# --- compare.gif ---------------------------------------------------------------------------------

def with_frames(run, frame_epochs):
    """The run with frames at frame_epochs; frame k predicts the constant 0.1 k with error 1 / (k + 1)."""
    count = len(frame_epochs)
    run.frame_epochs = np.asarray(frame_epochs, dtype=np.int64)
    run.per_frame["prediction"] = np.repeat(0.1 * np.arange(count, dtype=np.float32)[:, None, None],
                                            len(run.x_grid), axis=2)
    run.per_frame["loss"] = (1 / np.arange(1, count + 1, dtype=np.float32))[:, None]
    return run


def test_compare_frames_are_the_union_of_the_runs_frames_and_each_panel_shows_its_latest_snapshot():
    first = with_frames(synthetic_run(epochs=100), [0, 1, 2, 4, 8, 100])
    second = with_frames(synthetic_run(epochs=100), [0, 3, 6, 50, 100])
    epochs = compare_frame_epochs([first, second])
    np.testing.assert_array_equal(epochs, [0, 1, 2, 3, 4, 6, 8, 50, 100])
    assert [latest_snapshot(first, epoch) for epoch in epochs] == [0, 1, 2, 2, 3, 3, 4, 4, 5]
    assert [latest_snapshot(second, epoch) for epoch in epochs] == [0, 0, 0, 1, 1, 2, 2, 3, 4]
    thinned = compare_frame_epochs([first, second], max_frames=4)
    assert len(thinned) <= 4 and thinned[0] == 0 and thinned[-1] == 100


def test_compare_draws_the_panels_in_step(monkeypatch):
    first = with_frames(synthetic_run(epochs=100), [0, 1, 2, 4, 8, 100])
    second = with_frames(synthetic_run(epochs=100), [0, 3, 6, 50, 100])
    animation = CompareAnimation([first, second], ["a", "b"], "same data")
    assert animation.frame_count == 9
    numbers = record_stamps(monkeypatch, animation.numbers)
    animation.frame(5)  # epoch 6: run a shows its snapshot of epoch 4 (its 4th), run b that of epoch 6 (its 3rd)
    np.testing.assert_allclose(animation.lines[0].get_ydata(), np.full(len(first.x_grid), 0.3))
    np.testing.assert_allclose(animation.lines[1].get_ydata(), np.full(len(second.x_grid), 0.2))
    assert [text for text, *_ in numbers] == [format_loss(1 / 4), format_loss(1 / 3)]
    words = [text for text, _ in text_boxes(animation.figure)]
    assert "a" in words and "b" in words and not any("different data" in word for word in words)


def test_runs_on_data_far_apart_get_panels_of_their_own_scales():
    sine, wide = synthetic_run(), synthetic_run(x_min=1990.0, x_max=2002.0, target="x_sin_x")
    assert shared_scales([sine, synthetic_run(noise_std=0.3), synthetic_run(x_max=5.0)])
    assert not shared_scales([sine, wide]), "years beside [0, 2π]"
    assert not shared_scales([sine, synthetic_run(target="50 * sin(x)")]), "y a fifty times wider"
    animation = CompareAnimation([with_frames(sine, [0, 100, 300]), with_frames(wide, [0, 100, 300])], ["a", "b"],
                                 "own scales")
    panels = [axes for axes in animation.figure.axes if axes.get_visible()]
    assert panels[0].get_xlim() == pytest.approx((0, 2 * np.pi)) and panels[1].get_xlim() == pytest.approx((1990, 2002))
    assert panels[1].get_ylim()[1] > 100 * panels[0].get_ylim()[1] / 2, "each panel's y reaches its own data"
    assert all(axes.get_ylabel() == "y" and axes.get_xlabel() == "x" for axes in panels), "each labelled"
    animation.frame(animation.frame_count - 1)


def test_a_compare_panel_past_its_runs_end_says_where_it_ended(monkeypatch):
    runs = [synthetic_run(epochs=300), synthetic_run(epochs=100, frames=20), synthetic_run(diverged_at=38)]
    animation = CompareAnimation(runs, ["long", "short", "blown"], "same data")
    notes = notes_drawn(monkeypatch, animation)

    def said(index: int) -> list[str]:
        return [note.get_text() for note in notes(index)]

    epochs = list(animation.epochs)
    assert said(epochs.index(37)) == []
    assert said(epochs.index(100)) == ["ended at epoch 37"]
    assert said(len(epochs) - 1) == ["ended at epoch 100", "ended at epoch 37"]
    # Inside its own panel, clear of the others and of its data.
    panels = [axes for axes in animation.figure.axes if axes.get_visible()]
    renderer = animation.canvas.get_renderer()
    for note, axes, run in list(zip(animation.ended_notes, panels, runs))[1:]:  # (the first run ends last)
        box = note.get_window_extent(renderer)
        assert within(box, axes.get_window_extent(renderer))
        points = axes.transData.transform(np.column_stack([run.x_train, run.y_train]))
        box = box.padded(3)  # a data point's marker reaches 3 pixels out
        assert not [point for point in points if box.x0 <= point[0] <= box.x1 and box.y0 <= point[1] <= box.y1]


@pytest.mark.parametrize("count", [2, 4])
def test_panels_of_their_own_scales_keep_their_labels_off_each_other_and_the_note_whole(count):
    animation = CompareAnimation(beside_the_sine(count), [f"run {index}" for index in range(count)], OWN_SCALES_NOTE)
    animation.frame(animation.frame_count - 1)
    assert_texts_apart_and_inside(animation.figure)
    note_lines = [text for text, _ in text_boxes(animation.figure) if "·" in text and text in OWN_SCALES_NOTE]
    assert " · ".join(note_lines) == OWN_SCALES_NOTE, "the note whole, on one line or more"


@pytest.fixture(scope="module")
def long_labels_compare():
    """Five runs in two rows, with 80-character labels: a calm one, one diverged to huge predictions,
    an interrupted one, one diverged to predictions that are not finite, and one on other data."""
    runs = [synthetic_run(), diverged_for_real(synthetic_run(diverged_at=38), "huge"), synthetic_run(status="interrupted"),
            diverged_for_real(synthetic_run(diverged_at=60), "not finite"), synthetic_run(seed=3)]
    labels = [(f"run {index}: " + "a long label for this run, to see that it fits " * 2)[:80] for index in range(5)]
    assert {len(label) for label in labels} == {80}
    animation = CompareAnimation(runs, labels, "different data in each panel (seed, noise or range differ)  ·  data")
    return animation, runs


def test_compare_with_long_labels_keeps_every_text_in_the_picture_and_apart(long_labels_compare):
    animation, runs = long_labels_compare
    animation.frame(animation.frame_count - 1)
    boxes = text_boxes(animation.figure)
    for index, (text, box) in enumerate(boxes):
        assert within(box, animation.figure.bbox), f"{text!r} leaves the picture"
        for other, other_box in boxes[index + 1 :]:
            assert not overlaps(box, other_box), f"{text!r} overlaps {other!r}"
    renderer = animation.canvas.get_renderer()
    panels = [axes for axes in animation.figure.axes if axes.get_visible()]
    assert len(panels) == len(runs)
    for (x, _), axes in zip(animation.number_positions, panels):
        extent = axes.get_window_extent(renderer)
        assert extent.x0 < x and x + animation.number_width <= extent.x1 + 1, "the MSE number stays above its panel"


@pytest.mark.parametrize("panel", [1, 3], ids=["huge", "not finite"])
def test_a_diverged_runs_panel_shows_a_prediction_in_its_last_frame(long_labels_compare, panel):
    animation, runs = long_labels_compare
    assert runs[panel].status == "diverged"
    pixels = animation.frame(animation.frame_count - 1)
    axes = [axes for axes in animation.figure.axes if axes.get_visible()][panel]
    assert count_color(inside(pixels, axes.get_window_extent(animation.canvas.get_renderer())), COLORS["net"]) > 100


def test_a_compare_panel_says_when_its_prediction_is_off_the_chart_and_when_its_run_ended(monkeypatch):
    blown, middle = blown_beyond_the_chart(synthetic_run(epochs=100), scale=-15.0)
    animation = CompareAnimation([synthetic_run(), blown], ["calm", "blown"], "same data")
    notes = notes_drawn(monkeypatch, animation)(animation.frame_count - 1)
    assert [note.get_text() for note in notes] == ["▼ off the chart: prediction", "ended at epoch 100"]
    panel = [axes for axes in animation.figure.axes if axes.get_visible()][1]
    assert notes[0].axes is panel and notes[1].axes is panel
    renderer = animation.canvas.get_renderer()
    assert not overlaps(notes[0].get_window_extent(renderer), notes[1].get_window_extent(renderer))


def test_compare_titles_say_how_a_run_ended_even_with_long_labels(long_labels_compare):
    """README: a run that diverged or was interrupted says so in its title (shortening the label, not that)."""
    animation, runs = long_labels_compare
    titles = [text for text, _ in text_boxes(animation.figure) if text.startswith("run ")]
    assert len(titles) == len(runs)
    for title, run in zip(titles, runs):
        if run.status != "completed":
            assert f"({run.status} {'after' if run.status == 'diverged' else 'at epoch'} " in title, title


def test_a_seeded_runs_title_says_how_many_seeds_however_long_its_label():
    runs = [synthetic_run(nets=3, frames=4), synthetic_run(frames=4)]
    animation = CompareAnimation(runs, ["a label far too long for its panel, of many words " * 2, "one"], "note")
    words = [text for text, _ in text_boxes(animation.figure)]
    assert any(word.endswith("… (3 seeds)") for word in words) and "one" in words, words
    assert words.count("median MSE ") == 1 and words.count("MSE ") == 1


def test_compare_titles_with_short_labels_say_how_a_run_ended():
    runs = [synthetic_run(), synthetic_run(diverged_at=38), synthetic_run(status="interrupted")]
    words = [text for text, _ in text_boxes(CompareAnimation(runs, ["calm", "blown", "stopped"], "note").figure)]
    assert "calm" in words and "blown (diverged after 37 epochs)" in words
    assert "stopped (interrupted at epoch 300)" in words


def test_a_name_with_no_room_on_the_first_header_line_leads_the_second(monkeypatch):
    run = synthetic_run(name="a_name_that_needs_room", epochs=2000, frames=20)
    small = FitAnimation(run, *SMALLEST)
    words = all_words(small.figure)
    assert run.name not in words and any(word.startswith(f"{run.name} · 2x10 sigmoid") for word in words)
    large = FitAnimation(run, 800, 360)
    assert run.name in all_words(large.figure)


def test_a_seeded_run_whose_nets_partly_diverged_says_so_in_its_header():
    run = synthetic_run(nets=4)
    run.summary.diverged_seeds = [1, 3]
    assert any("4 seeds (2 diverged)" in word for word in all_words(SeedsAnimation(run, 800, 360).figure))
