"""drawing/curves.py and drawing/style.py: the error curves and their ranges, the fit panel's range
and predictions, the words for how a run ended, number formats. Synthetic runs, except the test
that the training curve goes through the error every frame states, which needs a real training."""

import dataclasses

import numpy as np
import pytest
from matplotlib.collections import LineCollection

import config as config_module
import rundir
from conftest import ROOT, synthetic_run
from drawing.curves import (BLOW_UP_HEADROOM, MAX_CURVE_POINTS, curve_points, data_range, divergence_epoch,
                            draw_error_curves, drawable_predictions, error_range, held_out_curve,
                            held_out_error_curve, run_title, status_caption, style_loss_axes, training_curve,
                            training_error_curve, truth_label)
from drawing.style import COLORS, fitted, png_axes
from summaries import format_loss
from rundir import median_over_nets
import pipeline
import quantities
from quantities import epochs_of_weights


def blown_up(run, nets=None):
    """Make the given nets (by default all) of a run blow up as a real one does: a huge but finite
    error, then one that is not finite."""
    nets = slice(None) if nets is None else nets
    run.per_epoch["loss"][-3:-1, nets] = 1e30
    run.per_epoch["loss"][-1, nets] = np.inf
    return run


# --- curve_points -------------------------------------------------------------------------------

def test_curve_points_keeps_a_short_curve_whole():
    epochs, values = curve_points(np.arange(10.0))
    np.testing.assert_array_equal(epochs, np.arange(1, 11))
    np.testing.assert_array_equal(values, np.arange(10.0))
    epochs, _ = curve_points(np.arange(10.0), first_epoch=0)
    np.testing.assert_array_equal(epochs, np.arange(10))


def test_curve_points_thins_a_long_curve_keeping_every_early_epoch_and_the_last():
    epochs, values = curve_points(np.arange(1_000_000.0), max_points=1000)
    assert len(epochs) <= 1000 and epochs[0] == 1 and epochs[-1] == 1_000_000
    assert set(range(1, 50)) <= set(epochs.tolist())
    assert np.all(np.diff(epochs) > 0)
    np.testing.assert_array_equal(values, epochs - 1)


def test_curve_points_keeps_the_nets_axis():
    values = np.arange(20_000.0).reshape(10_000, 2)
    epochs, thinned = curve_points(values)
    assert thinned.shape == (len(epochs), 2) and len(epochs) <= MAX_CURVE_POINTS
    np.testing.assert_array_equal(thinned, values[epochs - 1])


# --- training_curve, held_out_curve -------------------------------------------------------------

@pytest.fixture(scope="module")
def trained_run(tmp_path_factory):
    """A real run: the 2x10 SGD net for 300 epochs, 40 frames (no pictures)."""
    run_dir = tmp_path_factory.mktemp("trained") / "sgd_small"
    config = config_module.load_config(ROOT / "experiments" / "sgd_2x10.yaml", ["epochs=300", "frames=40"])
    pipeline.train_and_write(config, run_dir, progress=False, render=False)
    return rundir.read_run(run_dir)


def test_the_training_curve_goes_through_the_error_every_frame_states(trained_run):
    """The marker of a frame sits on the curve: both are the error of the same weights."""
    run = trained_run
    epochs, values = training_curve(run)
    assert epochs[0] == 1 and epochs[-1] == run.epochs_completed == 300
    assert values.shape == (len(epochs), 1)
    curve = dict(zip(epochs.tolist(), values[:, 0].tolist()))
    checked = 0
    for epoch, frame_loss in zip(run.frame_epochs, run.frame_loss[:, 0]):
        if epoch >= 1:  # epoch 0 has no place on the log epoch axis
            assert curve[int(epoch)] == pytest.approx(float(frame_loss), rel=1e-5), epoch
            checked += 1
    assert checked == len(run.frame_epochs) - 1 >= 30


def test_a_thinned_training_curve_still_ends_at_the_final_weights_error():
    run = synthetic_run(nets=3, epochs=10_000, frames=30)
    epochs, values = training_curve(run)
    assert epochs[0] == 1 and epochs[-1] == 10_000 and len(epochs) <= MAX_CURVE_POINTS + 1
    assert values.shape == (len(epochs), 3)
    np.testing.assert_array_equal(values[-1], run.frame_loss[-1])
    np.testing.assert_array_equal(values[0], run.loss[1])  # epoch 1: the history's second loss


def test_the_held_out_curve_is_the_history_from_epoch_1():
    run = synthetic_run(nets=2, epochs=200)
    epochs, values = held_out_curve(run)
    np.testing.assert_array_equal(epochs, np.arange(1, 201))
    np.testing.assert_array_equal(values, run.val_loss)


# --- the epochs of the weights a per-epoch value describes ---------------------------------------

def test_a_value_of_the_weights_before_the_update_is_an_epoch_earlier_and_one_after_it_is_not():
    recorded = np.arange(1, 4)  # epochs as Keras counts them
    np.testing.assert_array_equal(epochs_of_weights(recorded, "before_update"), [0, 1, 2])
    np.testing.assert_array_equal(epochs_of_weights(recorded, "after_update"), [1, 2, 3])
    with pytest.raises(ValueError, match="before_update, after_update"):
        epochs_of_weights(recorded, "during_update")


def test_the_training_error_curve_holds_the_error_of_every_epochs_weights_through_the_final_ones():
    run = synthetic_run(nets=2, epochs=200)
    epochs, values = training_error_curve(run)
    np.testing.assert_array_equal(epochs, np.arange(0, 201))  # epoch 0: the untrained net
    np.testing.assert_array_equal(values[:200], run.loss)
    np.testing.assert_array_equal(values[200], run.frame_loss[-1])


def test_a_training_loss_of_the_weights_after_the_update_is_not_shifted_nor_ended_with_the_last_frames():
    """What the curve will be once a run declares its loss as of the weights after each update."""
    run = synthetic_run(epochs=200)
    after = dataclasses.replace(quantities.DECLARED["epoch.loss"], weights="after_update")
    run.summary.quantities = [quantities.to_json(after, {})]
    epochs, values = training_error_curve(run)
    np.testing.assert_array_equal(epochs, np.arange(1, 201))
    np.testing.assert_array_equal(values, run.loss)


def test_a_diverged_runs_training_error_curve_ends_at_its_last_frame_with_the_error_not_finite():
    run = synthetic_run(diverged_at=120)
    epochs, values = training_error_curve(run)
    assert epochs[-1] == divergence_epoch(run) == run.frame_epochs[-1] == 119
    assert not np.isfinite(values[-1]).any() and np.isfinite(values[:-1]).all()


def test_the_held_out_error_curve_is_of_the_weights_after_each_update():
    run = synthetic_run(epochs=200)
    epochs, values = held_out_error_curve(run)
    np.testing.assert_array_equal(epochs, np.arange(1, 201))
    np.testing.assert_array_equal(values, run.val_loss)


# --- error_range ---------------------------------------------------------------------------------

def finite_values(run) -> np.ndarray:
    values = np.concatenate([np.ravel(run.loss), np.ravel(run.val_loss), np.ravel(run.frame_loss)]).astype(float)
    return values[np.isfinite(values)]


def test_the_error_range_holds_every_error_and_the_noise_floor():
    runs = [synthetic_run(), synthetic_run(nets=3, noise_std=0.5)]
    low, high = error_range(runs)
    values = np.concatenate([finite_values(run) for run in runs] + [[run.noise_floor for run in runs]])
    assert low < values.min() and high > values.max()
    assert low > values.min() / 2 and high < values.max() * 2, "with a margin, not a wide one"


def test_one_diverged_run_among_calm_ones_does_not_squash_their_curves():
    calm = [synthetic_run(), synthetic_run(seed=4)]
    diverged = blown_up(synthetic_run(diverged_at=60))
    low, high = error_range(calm + [diverged])
    calm_high = max(finite_values(run).max() for run in calm)
    assert calm_high < high <= 1.5 * BLOW_UP_HEADROOM * calm_high
    assert BLOW_UP_HEADROOM == 10
    assert high < 1e3 < finite_values(diverged).max()


def test_nets_of_one_run_that_diverge_do_not_squash_the_others():
    run = blown_up(synthetic_run(nets=4), nets=[1, 3])
    calm_high = max(float(np.nanmax(np.where(np.isfinite(values[:, [0, 2]]), values[:, [0, 2]], np.nan)))
                    for values in (run.loss, run.val_loss, run.frame_loss))
    _, high = error_range([run])
    assert calm_high < high <= 1.5 * BLOW_UP_HEADROOM * calm_high


def test_a_run_that_only_diverged_shows_its_whole_blow_up():
    diverged = blown_up(synthetic_run(diverged_at=60))
    _, high = error_range([diverged])
    assert high >= 1e30
    _, high = error_range([blown_up(synthetic_run(diverged_at=60)), blown_up(synthetic_run(diverged_at=80))])
    assert high >= 1e30, "no calm run: nothing to clip to"


# --- style_loss_axes, draw_error_curves ----------------------------------------------------------

def test_error_axes_are_log_log_over_the_whole_requested_run_with_the_noise_floor():
    _, axes = png_axes()
    run = synthetic_run(status="interrupted", epochs=300)
    style_loss_axes(axes, [run])
    assert axes.get_xscale() == "log" and axes.get_yscale() == "log"
    assert axes.get_xlim() == (1, 600), "an interrupted run's axis reaches the epochs requested"
    assert axes.get_ylim() == pytest.approx(error_range([run]))
    floors = [line for line in axes.get_lines() if line.get_label().startswith("noise floor")]
    assert len(floors) == 1 and floors[0].get_ydata()[0] == pytest.approx(0.04)
    assert floors[0].get_color() == COLORS["floor"]
    assert axes.xaxis.get_major_formatter()(1000, 0) == "1,000"
    assert [axes.yaxis.get_major_formatter()(value, 0) for value in (0.1, 1e30, 1e-10)] == ["0.1", "1e30", "1e-10"]


def test_error_axes_of_a_diverged_run_end_at_the_divergence_and_mark_it():
    _, axes = png_axes()
    style_loss_axes(axes, [synthetic_run(diverged_at=38)])
    assert axes.get_xlim() == (1, 38)
    marks = [line for line in axes.get_lines() if line.get_label() == "diverged after 37 epochs"]
    assert len(marks) == 1 and marks[0].get_xdata()[0] == 37 and marks[0].get_color() == COLORS["marker"], \
        "at the first epoch whose weights' training error is not finite, where the training curve ends"


def test_runs_on_different_noise_share_no_noise_floor_line():
    _, axes = png_axes()
    style_loss_axes(axes, [synthetic_run(), synthetic_run(noise_std=0.5)])
    assert not [line for line in axes.get_lines() if line.get_label().startswith("noise floor")]


def test_one_nets_error_curves_are_its_training_and_held_out_error():
    _, axes = png_axes()
    run = synthetic_run(epochs=200)
    draw_error_curves(axes, run)
    training, held_out = axes.get_lines()
    assert training.get_color() == COLORS["net"] and held_out.get_color() == COLORS["validation"]
    np.testing.assert_array_equal(training.get_ydata(), training_curve(run)[1][:, 0])
    np.testing.assert_array_equal(held_out.get_ydata(), run.val_loss[:, 0])


def test_many_nets_are_drawn_faint_with_their_median_bold_in_its_own_colour():
    _, axes = png_axes()
    run = blown_up(synthetic_run(nets=5), nets=[4])
    draw_error_curves(axes, run)
    (nets,) = [collection for collection in axes.collections if isinstance(collection, LineCollection)]
    assert len(nets.get_segments()) == 5
    (median,) = [line for line in axes.get_lines() if "median" in line.get_label()]
    assert median.get_color() == COLORS["median"] != COLORS["net"]
    assert median.get_linewidth() > nets.get_linewidths()[0]
    epochs, values = training_curve(run)
    np.testing.assert_allclose(median.get_ydata(), median_over_nets(values))
    assert np.all(np.isfinite(median.get_ydata())), "a net that blew up does not spoil the median"


# --- the fit panel -------------------------------------------------------------------------------

def test_the_fit_panels_range_holds_the_data_and_the_true_curve_even_for_one_point():
    run = synthetic_run(n_samples=1)
    low, high = data_range(run)
    assert low <= -0.99 and high >= 0.99, "the true sine stays in view"
    assert low <= run.y_train.min() and run.y_train.max() <= high


def test_a_prediction_that_stops_being_finite_is_drawn_as_the_last_finite_one():
    run = synthetic_run(nets=3, frames=10)
    run.per_frame["prediction"][6:, 1] = np.nan
    run.per_frame["prediction"][8, 1] = 0.5  # finite again: shown again
    run.per_frame["prediction"][:, 2, 3] = np.inf  # never finite everywhere
    original = run.predictions.copy()
    drawn = drawable_predictions(run)
    np.testing.assert_array_equal(run.predictions, original, err_msg="the run is left as it was")
    np.testing.assert_array_equal(drawn[:, 0], original[:, 0])
    np.testing.assert_array_equal(drawn[6:8, 1], original[[5, 5], 1])
    np.testing.assert_array_equal(drawn[8, 1], original[8, 1])
    np.testing.assert_array_equal(drawn[9, 1], original[8, 1])
    assert np.isnan(drawn[:, 2]).all()


# --- words ---------------------------------------------------------------------------------------

def test_how_a_run_ended_in_words():
    assert status_caption(synthetic_run()) is None
    assert status_caption(synthetic_run(diverged_at=1234, epochs=2000)) == \
        "diverged after 1,233 epochs:\ntraining MSE not finite"
    assert status_caption(synthetic_run(nets=3, diverged_at=38)) == "every net diverged within 37 epochs"
    assert status_caption(synthetic_run(status="interrupted", epochs=1500)) == "interrupted at epoch 1,500 of 3,000"


def test_a_runs_title_says_what_was_trained():
    assert run_title(synthetic_run()) == "synthetic · 2x10 sigmoid · adam lr 0.01"
    assert run_title(synthetic_run(nets=4)) == "synthetic · 2x10 sigmoid · adam lr 0.01 · 4 seeds"
    assert truth_label(synthetic_run()) == "true sine"
    assert truth_label(synthetic_run(target="gaussian_bump")) == "true gaussian bump"
    assert truth_label(synthetic_run(target="sin(3*x)")) == "true function sin(3*x)"


@pytest.mark.parametrize("value, text", [(0.04331, "0.0433"), (0.0, "0.0000"), (999.5, "999.5000"),
                                         (0.001, "0.0010"), (0.00043512, "0.000435"), (6.2e-21, "6.2e-21"),
                                         (12345.6, "1.23e+04"), (3.4e38, "3.4e+38"), (float("inf"), "not finite"),
                                         (float("-inf"), "not finite"), (float("nan"), "not finite")])
def test_a_loss_is_stated_in_four_decimals_or_three_digits_and_never_as_inf(value, text):
    assert format_loss(value) == text
    assert format_loss(np.float32(value)) == format_loss(value)


def test_fitted_shortens_a_text_to_its_room_with_an_ellipsis():
    figure, axes = png_axes()
    renderer = figure.canvas.get_renderer()
    long_text = figure.text(0, 0.5, "a label much too long for the room it is given " * 3, fontsize=10)
    fitted(long_text, 120, renderer)
    assert long_text.get_window_extent(renderer).width <= 120
    assert long_text.get_text().endswith("…") and long_text.get_text().startswith("a label")
    short_text = figure.text(0, 0.2, "short", fontsize=10)
    fitted(short_text, 120, renderer)
    assert short_text.get_text() == "short"


def test_a_run_of_one_epoch_draws_its_errors_as_points():
    figure, axes = png_axes()
    draw_error_curves(axes, synthetic_run(epochs=1, frames=2))
    assert [line.get_marker() for line in axes.get_lines()] == ["o", "o"]
    figure, axes = png_axes()
    draw_error_curves(axes, synthetic_run())
    assert all(line.get_marker() in (None, "None", "") for line in axes.get_lines())
