"""drawing/plane_frames.py and plane_maps.py: fit.gif and seeds.gif of a run of two inputs, on tiny
real runs (training.train_run): each frame's map is the run's prediction at that frame, a map of
many nets is their mean, disagreement, median or spread as NumPy works it out, a diverged run
draws, and the error is named as the run's loss is."""

import warnings

import numpy as np
import pytest
from matplotlib.colors import to_rgb

import config as config_module
import data
import training
from drawing.curves import error_name, status_caption
from drawing.plane_frames import PlaneAnimation, boundary_lines, inner_ticks
import seed_maps
from drawing.plane_maps import CLASS_COLORS, NAN_COLOR, median_accuracy, spread, value_limits
from conftest import assert_texts_apart_and_inside, synthetic_run

DEFAULT = (800, 360)
SMALLEST = (480, 270)
SIDE = 16  # the grid's points a side


def tiny_run(**settings):
    """A run of two inputs trained for real in about a second: 40 points, a net of 4 tanh units,
    100 epochs, 10 frames, a map 16 points a side."""
    values = {"name": "tiny", "hidden_layers": [4], "activation": "tanh", "optimizer": "adam", "learning_rate": 0.03,
              "batch_size": 10, "epochs": 100, "frames": 10, "n_samples": 40, "grid_points": SIDE, **settings}
    config = config_module.validate(values, "test", [])
    return training.train_run(config, data.dataset_for(config))


@pytest.fixture(scope="module")
def classifier():
    return tiny_run(problem="xor")


@pytest.fixture(scope="module")
def seeded_classifier():
    """Two Gaussian clouds that overlap, whose least cross-entropy is known."""
    return tiny_run(problem="gaussians", noise=0.3, seeds=3)


@pytest.fixture(scope="module")
def seeded_surface():
    return tiny_run(problem="gaussian_mix", noise=0.1, seeds=3)


@pytest.fixture(scope="module")
def from_a_file(tmp_path_factory):
    """A classifier of a CSV's points: x1 a temperature from -5 to 35, x2 a humidity from 20 to 100,
    labelled rain or sun."""
    rng = np.random.default_rng(3)
    temperature, humidity = rng.uniform(-5, 35, 40), rng.uniform(20, 100, 40)
    lines = ["temperature,humidity,weather"] + [f"{t:.1f},{h:.1f},{'rain' if h + t > 80 else 'sun'}"
                                                for t, h in zip(temperature, humidity)]
    path = tmp_path_factory.mktemp("weather") / "weather.csv"
    path.write_text("\n".join(lines) + "\n")
    values = {"name": "weather", "data_file": str(path), "hidden_layers": [4], "activation": "tanh",
              "optimizer": "adam", "learning_rate": 0.03, "epochs": 50, "frames": 5, "grid_points": SIDE}
    config = config_module.validate(values, "test", [])
    return training.train_run(config, data.dataset_for(config))


@pytest.fixture(scope="module")
def diverged():
    """Runs that diverged: a cross-entropy classifier blown up by a learning rate of a million (its
    logits infinite, its probabilities 0 and 1) and a regression surface blown up to NaN predictions
    by plain SGD at 20."""
    return {"classifier": tiny_run(problem="spiral", activation="relu", optimizer="sgd", learning_rate=1e6),
            "surface": tiny_run(problem="gaussian_mix", optimizer="sgd", learning_rate=20)}


def shown(image) -> np.ndarray:
    """The numbers an image artist holds (a masked array's data, NaN where masked)."""
    return np.ma.filled(np.ma.asarray(image.get_array()).astype(np.float64), np.nan)


def test_fit_gif_has_a_frame_per_snapshot_each_showing_the_prediction_of_its_frame(classifier):
    run = classifier
    animation = PlaneAnimation(run, *DEFAULT)
    assert animation.frame_count == len(run.frame_epochs) == 10
    (panel,) = animation.maps
    for index in (0, 4, animation.frame_count - 1):
        pixels = animation.frame(index)
        assert pixels.shape == (DEFAULT[1], DEFAULT[0], 4)
        np.testing.assert_array_equal(shown(panel.image), run.predictions[index, 0].reshape(SIDE, SIDE))
    # Row r, column c of the image is grid point r·side + c: x1 along a row, x2 up from the bottom.
    assert panel.image.origin == "lower"
    np.testing.assert_allclose(run.x_grid[SIDE - 1], [6, -6])  # row 0's last point: the bottom right
    assert panel.axes.get_xlim() == (-6, 6) and panel.axes.get_ylim() == (-6, 6)
    assert (panel.axes.get_xlabel(), panel.axes.get_ylabel()) == ("x1", "x2")


def test_a_corner_of_the_map_has_the_colour_of_the_prediction_there_and_the_points_lie_over_it(classifier):
    run = classifier
    animation = PlaneAnimation(run, *DEFAULT)
    last = animation.frame_count - 1
    pixels = animation.frame(last)
    box = animation.maps[0].axes.bbox
    # Three pixels inside the bottom right corner (the spine and the ticks lie on the edge).
    row, column = int(pixels.shape[0] - box.y0) - 3, int(box.x1) - 3
    prediction = float(run.predictions[last, 0, SIDE - 1])  # grid point (x1, x2) = (6, -6)
    expected = np.array(animation.maps[0].colors.rgba(prediction)[:3]) * 255
    np.testing.assert_allclose(pixels[row, column, :3], expected, atol=2)
    # And against the class colours by hand: a probability below one half is class 0's side, orange.
    orange, blue = (np.array(to_rgb(color)) * 255 for color in CLASS_COLORS)
    nearer = orange if prediction < 0.5 else blue
    farther = blue if prediction < 0.5 else orange
    assert np.linalg.norm(pixels[row, column, :3] - nearer) < np.linalg.norm(pixels[row, column, :3] - farther)
    # The training points lie over the map in every frame, each in its class's colour (a point far
    # from the others, where the map is the other class's colour: the point is what is seen there).
    checked = 0
    for index in (0, last):
        pixels = animation.frame(index)
        image = run.predictions[index, 0]
        for position, label in zip(run.x_train, run.y_train):
            others = np.linalg.norm(run.x_train - position, axis=1)
            nearest_grid = np.argmin(np.linalg.norm(run.x_grid - position, axis=1))
            if np.sort(others)[1] < 1.0 or (image[nearest_grid] > 0.5) == (label > 0.5):
                continue
            column, row = animation.maps[0].axes.transData.transform(position)
            centre = pixels[int(pixels.shape[0] - row), int(column), :3].astype(float)
            own, other = (blue, orange) if label > 0.5 else (orange, blue)
            assert np.linalg.norm(centre - own) < 60 and np.linalg.norm(centre - own) < np.linalg.norm(centre - other)
            checked += 1
    assert checked >= 3


def test_a_classifiers_map_has_its_boundary_and_its_accuracy_marked(classifier):
    run = classifier
    animation = PlaneAnimation(run, *DEFAULT)
    last = animation.frame_count - 1
    animation.frame(last)
    image = run.predictions[last, 0].reshape(SIDE, SIDE)
    segments = animation.maps[0].boundary.get_segments()
    assert (image > 0.5).any() and (image < 0.5).any() and segments, "a trained xor net has a boundary on the map"
    coordinates = np.linspace(-6, 6, SIDE)
    for line in segments:  # each point of the line lies where the map, bilinearly, is 0.5
        column, row = (np.interp(line[:, index], coordinates, np.arange(SIDE)) for index in (0, 1))
        left, bottom = np.minimum(column.astype(int), SIDE - 2), np.minimum(row.astype(int), SIDE - 2)
        u, v = column - left, row - bottom
        value = ((1 - u) * (1 - v) * image[bottom, left] + u * (1 - v) * image[bottom, left + 1]
                 + (1 - u) * v * image[bottom + 1, left] + u * v * image[bottom + 1, left + 1])
        np.testing.assert_allclose(value, 0.5, atol=1e-6)
    marker_x, marker_y = animation.accuracy_marker.get_data()
    assert marker_x[0] == run.frame_epochs[last] and marker_y[0] == pytest.approx(run.per_frame["accuracy"][last, 0])
    assert animation.accuracy_axes.get_ylabel() == "accuracy"


def test_the_error_is_named_cross_entropy_for_a_cross_entropy_classifier(classifier):
    animation = PlaneAnimation(classifier, *DEFAULT)
    assert error_name(classifier) == "cross-entropy"
    assert animation.loss_label == "training cross-entropy "
    assert animation.loss_axes.get_ylabel().startswith("cross-entropy")
    legend = [text.get_text() for text in animation.loss_axes.get_legend().get_texts()]
    assert "training cross-entropy" in legend and "held-out cross-entropy" in legend
    assert not [word for word in legend + [animation.loss_axes.get_ylabel()] if "MSE" in word]


def test_the_error_is_named_mse_for_a_regression_surface_and_a_run_of_one_input(seeded_surface, diverged):
    for run, label in ((seeded_surface, "median training MSE "), (diverged["surface"], "training MSE ")):
        animation = PlaneAnimation(run, *DEFAULT)
        assert error_name(run) == "MSE" and animation.loss_label == label
        assert animation.loss_axes.get_ylabel().startswith("MSE") and animation.accuracy_axes is None
    one_input = synthetic_run(diverged_at=38)
    assert error_name(one_input) == "MSE" and status_caption(one_input).endswith("training MSE not finite")


def test_the_bayes_cross_entropy_is_drawn_where_the_problem_has_one(seeded_classifier, classifier):
    bayes = seeded_classifier.summary.bayes_cross_entropy
    assert bayes is not None and classifier.summary.bayes_cross_entropy is None
    axes = PlaneAnimation(seeded_classifier, *DEFAULT).loss_axes
    (line,) = [line for line in axes.get_lines() if line.get_label().startswith("Bayes")]
    assert line.get_label() == f"Bayes cross-entropy {bayes:.3g}" and line.get_ydata()[0] == bayes
    low, high = axes.get_ylim()
    assert low < bayes < high
    assert not [line for line in PlaneAnimation(classifier, *DEFAULT).loss_axes.get_lines()
                if line.get_label().startswith("Bayes")]


def test_a_small_header_shortens_the_errors_name_rather_than_run_past_the_edge(seeded_classifier):
    animation = PlaneAnimation(seeded_classifier, *SMALLEST)
    assert "cross-entropy" in animation.loss_label and animation.loss_label.startswith("median")
    right = animation.loss_left + animation.numbers.error_width()
    assert right <= SMALLEST[0] - 12


@pytest.mark.parametrize("size", [SMALLEST, DEFAULT], ids=["smallest", "default"])
def test_the_texts_stay_apart_and_inside_the_picture(seeded_classifier, size):
    animation = PlaneAnimation(seeded_classifier, *size)
    animation.frame(animation.frame_count - 1)
    assert_texts_apart_and_inside(animation.figure)
    renderer, height = animation.canvas.get_renderer(), animation.figure.bbox.height
    legend = animation.loss_axes.get_legend().get_window_extent(renderer)
    header_bottom = min(text.get_window_extent(renderer).y0 for text in animation.figure.texts if text.get_text())
    assert legend.y1 <= header_bottom and legend.x1 <= size[0], "the legend between the header and its panel"
    for panel in animation.maps:  # each bar's words over its own map, clear of the other's
        words = [panel.title] + panel.end_words
        for word in words:
            box = word.get_window_extent(renderer)
            assert panel.axes.bbox.x0 - 1 <= box.x0 and box.x1 <= panel.axes.bbox.x1 + 1, word.get_text()
            assert box.y1 <= height


def test_the_maps_of_many_nets_are_what_numpy_works_out():
    """seed_maps.py works them out as the nets train; here by hand, for the maps seeds.gif draws."""
    rng = np.random.default_rng(7)
    nets, points = 11, 50  # with 11 nets the 10th and 90th percentiles are the 2nd and the 10th values
    predictions = rng.uniform(0, 1, (nets, points))
    alive = np.ones(nets, bool)
    ordered = np.sort(predictions, axis=0)
    mean, disagreement = seed_maps.mean_and_disagreement(predictions, alive, 0.5)
    np.testing.assert_allclose(mean, predictions.sum(axis=0) / nets, rtol=1e-6)
    for point in range(points):
        class_one = sum(1 for net in range(nets) if predictions[net, point] > 0.5)
        assert disagreement[point] == pytest.approx(min(class_one, nets - class_one) / nets)
    median, low, high = seed_maps.median_and_band(predictions, alive)
    np.testing.assert_allclose(median, ordered[5], rtol=1e-6)
    np.testing.assert_allclose(high - low, ordered[9] - ordered[1], rtol=1e-5)
    _, split = seed_maps.mean_and_disagreement(np.array([[0.9], [0.8], [0.1], [0.2]]), np.ones(4, bool), 0.5)
    assert split == [0.5]  # evenly split: the most the nets can disagree
    _, tanh = seed_maps.mean_and_disagreement(np.array([[0.5], [-0.2], [0.3]]), np.ones(3, bool), 0.0)
    assert tanh == [pytest.approx(1 / 3)]


def test_seeds_gif_shows_the_mean_and_disagreement_of_the_nets(seeded_classifier):
    run = seeded_classifier
    animation = PlaneAnimation(run, *DEFAULT)
    assert [panel.colors.titles[0] for panel in animation.maps] == [
        "mean probability of class 1 of 3 nets", "share of nets against the majority's class"]
    for index in (0, animation.frame_count - 1):
        animation.frame(index)
        mean, disagreement = (shown(panel.image).ravel() for panel in animation.maps)
        np.testing.assert_array_equal(mean, run.per_frame["mean_prediction"][index, 0])
        np.testing.assert_array_equal(disagreement, run.per_frame["disagreement"][index, 0])
        assert set(np.round(disagreement * 3, 6)) <= {0, 1}, "of 3 nets, none or one against the other two"
    # The accuracy marked is the median of the nets whose error is finite at the frame.
    last = animation.frame_count - 1
    saved = run.per_frame["loss"][last, 1]
    run.per_frame["loss"][last, 1] = np.nan
    try:
        np.testing.assert_allclose(median_accuracy(run, "accuracy")[last],
                                   np.median(run.per_frame["accuracy"][last, [0, 2]]))
    finally:
        run.per_frame["loss"][last, 1] = saved
    np.testing.assert_allclose(median_accuracy(run, "accuracy"), np.median(run.per_frame["accuracy"], axis=1))


def test_seeds_gif_of_a_surface_shows_the_median_and_spread_in_fixed_colours(seeded_surface):
    run = seeded_surface
    animation = PlaneAnimation(run, *DEFAULT)
    first_norm = [(panel.colors.norm.vmin, panel.colors.norm.vmax) for panel in animation.maps]
    for index in (1, animation.frame_count - 1):
        animation.frame(index)
        median, band = (shown(panel.image).ravel() for panel in animation.maps)
        np.testing.assert_array_equal(median, run.per_frame["median_prediction"][index, 0])
        np.testing.assert_allclose(band, run.per_frame["high_prediction"][index, 0].astype(np.float64)
                                   - run.per_frame["low_prediction"][index, 0], rtol=1e-6)
        assert (band >= 0).all() and band.max() > 0
        assert [(panel.colors.norm.vmin, panel.colors.norm.vmax) for panel in animation.maps] == first_norm
    assert spread(run).shape == (animation.frame_count, SIDE * SIDE)
    low, high = value_limits(run)
    assert low <= run.y_train.min() and run.y_train.max() <= high, "the colours reach every training target"


def test_a_map_of_a_files_points_is_named_as_its_columns_and_classes(from_a_file):
    run = from_a_file
    animation = PlaneAnimation(run, *DEFAULT)
    animation.frame(animation.frame_count - 1)
    (panel,) = animation.maps
    assert (panel.axes.get_xlabel(), panel.axes.get_ylabel()) == ("temperature", "humidity")
    assert [word.get_text() for word in panel.end_words] == ["rain", "sun"]
    assert panel.title.get_text() == "probability of sun"
    # Each axis spans its own input's points (and a margin), the map square on the page all the same.
    (x_low, x_high), (y_low, y_high) = panel.axes.get_xlim(), panel.axes.get_ylim()
    assert x_low < run.x_train[:, 0].min() < run.x_train[:, 0].max() < x_high < 40
    assert 15 < y_low < run.x_train[:, 1].min() < run.x_train[:, 1].max() < y_high
    assert panel.axes.bbox.width == pytest.approx(panel.axes.bbox.height, abs=1)


@pytest.mark.parametrize("kind, error", [("classifier", "cross-entropy"), ("surface", "MSE")])
def test_a_diverged_run_draws_without_warnings_what_is_lost_in_grey(diverged, kind, error):
    run = diverged[kind]
    assert run.status == "diverged"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        animation = PlaneAnimation(run, *SMALLEST)
        for index in range(animation.frame_count):
            pixels = animation.frame(index)
    assert " ".join(animation.ending.get_text().split()).endswith(f"training {error} not finite")
    if np.isnan(run.predictions[-1]).all():  # a corner of the map: no number there, grey
        box = animation.maps[0].axes.bbox
        corner = pixels[int(pixels.shape[0] - box.y0) - 3, int(box.x0) + 3, :3]
        np.testing.assert_allclose(corner, np.array(to_rgb(NAN_COLOR)) * 255, atol=2)
    else:
        assert kind == "classifier", "the surface's SGD at 20 blows its predictions up to NaN"


def test_the_boundary_runs_where_the_map_crosses_it_and_a_map_of_no_numbers_has_none():
    coordinates = (np.linspace(-6, 6, SIDE), np.linspace(-6, 6, SIDE))
    assert boundary_lines(np.full((SIDE, SIDE), np.nan), coordinates, 0.5) == []
    half = np.where(np.arange(SIDE)[None, :] < SIDE // 2, 0.0, 1.0) * np.ones((SIDE, 1))  # class 1 on the right
    (line,) = boundary_lines(half, coordinates, 0.5)
    np.testing.assert_allclose(line[:, 0], (coordinates[0][SIDE // 2 - 1] + coordinates[0][SIDE // 2]) / 2)


def test_held_out_points_are_drawn_hollow_only_on_request(classifier):
    assert config_module.RenderConfig().show_held_out is False
    plain = PlaneAnimation(classifier, *DEFAULT)
    assert [points.get_label() for points in plain.maps[0].labelled_points] == ["training points"]
    asked = classifier.config.model_copy(update={"render": classifier.config.render.model_copy(
        update={"show_held_out": True})})
    original, classifier.config = classifier.config, asked
    try:
        animation = PlaneAnimation(classifier, *DEFAULT)
    finally:
        classifier.config = original
    held_out = animation.maps[0].labelled_points[-1]
    assert held_out.get_label() == "held-out points (hollow)"
    np.testing.assert_array_equal(held_out.get_offsets(), classifier.x_validation)
    assert len(held_out.get_facecolors()) == 0, "hollow"
    assert "held-out points (hollow)" in [text.get_text() for text in animation.loss_axes.get_legend().get_texts()]


def test_a_maps_ticks_stay_off_its_edges():
    np.testing.assert_allclose(inner_ticks(-6, 6, 6), [-4, -2, 0, 2, 4])
    assert set(inner_ticks(-6, 6, 3)) <= {-5, 0, 5} and 0 in inner_ticks(-6, 6, 3)
