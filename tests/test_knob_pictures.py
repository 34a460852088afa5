"""The pictures and the page show the knobs a run turned (issue 22): how early stopping ended it,
the restored best weights' last frame, the learning rate, the penalty and the batch mean. Synthetic
runs (conftest.synthetic_run), with the records and summary those knobs add."""

import numpy as np
import pytest
from conftest import synthetic_run

from drawing.curves import ended_words, restored_frame_label, status_caption, training_error_curve
from drawing.diagnostics import learning_rate
from drawing.figures import loss_figure
from drawing.fit_frames import FitAnimation
from drawing.page import write_page
from drawing.page_data import one_run_data
from drawing.units_frames import UnitsAnimation

EPOCHS, BEST = 300, 200


def knob_run(nets: int = 1, stopped: list | None = None, restored: bool = True, rate_to_zero: bool = False):
    """A synthetic run of `nets` nets trained with a cosine schedule, an l2 penalty, minibatches and early
    stopping: net k stopped at stopped[k] (None: it trained on; default: every net at the last epoch),
    its best epoch BEST, restored unless not asked."""
    run = synthetic_run(nets=nets, epochs=EPOCHS, frames=40, l2=1e-4, batch_size=16)
    epochs = np.arange(1, EPOCHS + 1, dtype=np.float64)[:, None]
    rates = 0.1 * 0.5 * (1 + np.cos(np.pi * np.minimum(epochs / (EPOCHS / 2 if rate_to_zero else 2 * EPOCHS), 1)))
    run.per_epoch.update(learning_rate=np.repeat(rates, nets, axis=1).astype(np.float32),
                         penalty=(0.002 + 0 * run.loss).astype(np.float32), batch_loss=(1.2 * run.loss).astype(np.float32))
    stopped = [EPOCHS] * nets if stopped is None else stopped
    status = "stopped_early" if all(stopped) else "completed"
    net_summaries = [net.model_copy(update={"stopped_at_epoch": stop, "best_epoch": BEST})
                     for net, stop in zip(run.summary.nets, stopped)]
    run.summary = run.summary.model_copy(update={"status": status, "restored_best_weights": restored,
                                                 "nets": net_summaries})
    return run


def test_early_stopping_is_said_with_its_epochs_and_not_as_a_failure():
    run = knob_run()
    assert ended_words(run) == "stopped early at epoch 300"
    assert status_caption(run) == "stopped early at epoch 300,\nbest weights restored (epoch 200)"
    assert status_caption(knob_run(restored=False)) == "stopped early at epoch 300"
    assert ended_words(knob_run(nets=3)) == "every net stopped early, the last at epoch 300"
    some = knob_run(nets=3, stopped=[100, None, 250], restored=False)
    assert ended_words(some) is None and status_caption(some) == "2 of 3 nets stopped early (median epoch 175)"
    animation = FitAnimation(run)
    assert animation.ending.get_color() != "#d62728" and animation.ending.get_bbox_patch().get_edgecolor()[0] < 0.5


def test_the_restored_last_frame_is_labelled_and_marked_at_the_best_epoch():
    run = knob_run()
    assert restored_frame_label(run) == "epoch 200, restored at 300"
    assert restored_frame_label(knob_run(nets=3)) == "best epochs restored at 300"
    # Its error is on the curve at its own epoch; no value is put at the last epoch.
    epochs, _ = training_error_curve(run)
    assert epochs[-1] == EPOCHS - 1
    animation = FitAnimation(run)
    last = animation.frame_count - 1
    animation.frame(last)
    assert animation.restored_caption[1].get_text() == "epoch 200, restored at 300"
    assert list(animation.marker.get_xdata()) == [BEST]
    animation.frame(last - 1)  # every other frame as before: at its own epoch
    assert list(animation.marker.get_xdata()) == [int(run.frame_epochs[last - 1])]
    units = UnitsAnimation(knob_run(nets=2))
    assert units.restored_caption[1].get_text() == "epoch 200, restored at 300"  # net 0's, as units.gif shows it


def test_loss_png_draws_the_penalty_batch_mean_and_learning_rate():
    figure, axes = loss_figure(knob_run())
    labels = axes.get_legend_handles_labels()[1]
    assert "l2 penalty" in labels and "batch mean (Keras's loss)" in labels
    titles = [other.get_title(loc="left") for other in figure.axes if other is not axes]
    assert titles == ["learning rate (log scale)"]
    assert "stopped early at epoch 300, best weights restored (epoch 200)" in axes.get_title().replace("\n", " ")
    plain = synthetic_run()
    figure, axes = loss_figure(plain)
    assert len(figure.axes) == 1 and "penalty" not in " ".join(axes.get_legend_handles_labels()[1])


def test_a_rate_that_decays_to_zero_stays_on_its_log_axis_and_says_so():
    diagnostic = learning_rate(knob_run(rate_to_zero=True))
    assert "0 drawn at" in diagnostic.titles[0]
    (_, values), = diagnostic.curves
    assert (values > 0).all() and (diagnostic.mark_values > 0).all()


def test_the_page_data_hold_the_knobs_curves_and_the_restored_frame():
    data = one_run_data(knob_run(), with_units=False)
    assert [curve["label"] for curve in data["knob_curves"]] == ["batch mean (Keras's loss)", "l2 penalty"]
    assert data["learning_rate"]["title"] == "learning rate (log scale)"
    assert data["runs"][0]["restored"]["label"] == "epoch 200, restored at 300"
    assert data["runs"][0]["restored"]["epoch"] == BEST


@pytest.mark.browser
def test_the_page_says_a_run_stopped_early_and_reads_its_learning_rate(tmp_path, offline_page):
    run = knob_run()
    write_page(run, tmp_path / "report.html")
    page, problems = offline_page(tmp_path / "report.html")
    assert page.text_content("#status") == "stopped early at epoch 300, best weights restored (epoch 200)"
    assert page.inner_text(".controls .numbers").startswith("epoch 200, restored at 300 · training MSE")
    box = page.query_selector("#error-canvas").bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + 60)
    readout = page.text_content("#error-readout")
    assert "l2 penalty 0.0020" in readout and "learning rate 0.0" in readout and "batch mean" in readout
    assert problems == []
