"""The pictures and the page show the knobs a run turned (issue 22): how early stopping ended it,
the restored best weights' last frame, the learning rate, the penalty and the batch mean. Synthetic
runs (conftest.synthetic_run), with the records and summary those knobs add."""

import numpy as np
import pytest
from conftest import synthetic_run

from drawing.compare_frames import CompareAnimation
from drawing.curves import ended_words, restored_frame_label, run_title, status_caption, training_error_curve
from drawing.diagnostics import learning_rate
from drawing.figures import loss_figure
from drawing.fit_frames import FitAnimation
from drawing.knob_curves import BATCH_MEAN_WORDS
from drawing.page import write_page
from drawing.page_data import one_run_data
from drawing.units_frames import CompareUnitsAnimation, UnitsAnimation
from summaries import floor_words

# Every knob turned at once: the longest description a run has ('... · early stop 100 · 10 seeds').
EVERY_KNOB = {"l1": 1e-5, "activation": ["relu", "tanh"], "optimizer": "sgd",
              "learning_rate": {"schedule": "cosine_decay", "initial_learning_rate": 0.1, "decay_steps": 20000},
              "early_stopping": {"patience": 100, "restore_best_weights": True}}

EPOCHS, BEST = 300, 200


def knob_run(nets: int = 1, stopped: list | None = None, restored: bool = True, rate_to_zero: bool = False,
             **config):
    """A synthetic run of `nets` nets trained with a cosine schedule, an l2 penalty, minibatches and early
    stopping: net k stopped at stopped[k] (None: it trained on; default: every net at the last epoch),
    its best epoch BEST, restored unless not asked; config: further settings (said in its description)."""
    run = synthetic_run(nets=nets, epochs=EPOCHS, frames=40, **{"l2": 1e-4, "batch_size": 16, **config})
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


def test_loss_png_titles_break_between_their_parts_never_inside_one():
    run = knob_run(nets=10, name="a_study_cell_with_a_long_name", **EVERY_KNOB)
    figure, axes = loss_figure(run)
    lines = axes.get_title().split("\n")
    parts = run_title(run).split(" · ")
    assert "early stop 100" in parts and len(lines) > 2
    for part in parts:  # each part whole on one line ('early stop' / '100' was broken)
        assert any(part in line for line in lines), part
    assert not any(line.endswith("-") for line in lines)  # nor a word at its hyphen ('held-' / 'out')


def test_the_batch_mean_is_dashed_apart_from_many_nets_faint_lines():
    figure, axes = loss_figure(knob_run(nets=5))
    handles, labels = axes.get_legend_handles_labels()
    batch_mean = handles[labels.index(f"{BATCH_MEAN_WORDS}, median")]
    each_net = handles[labels.index("each of 5 nets")]
    assert batch_mean.get_linestyle() == "--" and each_net.get_linestyle() == "-"


def test_a_penalty_that_leaves_the_plot_says_where_it_goes():
    run = knob_run()
    run.per_epoch["penalty"] = np.geomspace(131, 1e-15, EPOCHS).astype(np.float32)[:, None]
    figure, axes = loss_figure(run)
    low, high = axes.get_ylim()
    assert high < 131 and low > 1e-15
    assert "l2 penalty (leaves the plot: from 131 to 1e-15)" in axes.get_legend_handles_labels()[1]
    units = UnitsAnimation(run)
    assert "l2 penalty (leaves the plot)" in [text.get_text() for text in units.column[0].texts]
    penalty, = [curve for curve in one_run_data(run, with_units=False)["knob_curves"] if curve["name"] == "penalty"]
    assert penalty["off_plot"] == "leaves the plot: from 131 to 1e-15"  # (the page's caption says it)
    figure, axes = loss_figure(knob_run())  # a penalty in view says nothing more
    assert "l2 penalty" in axes.get_legend_handles_labels()[1]


def test_a_units_gif_header_says_every_knob_and_seed_count_whole_on_more_lines():
    run = knob_run(nets=10, **EVERY_KNOB)
    animation = UnitsAnimation(run)
    frame = animation.frame(animation.frame_count - 1)
    header = [text.get_text() for text in animation.figure.texts if text.get_text().strip()]
    said = " · ".join(header)
    assert f"{run.training_description} · 10 seeds, net 0 (seed 0) shown" in " ".join(said.split())
    assert floor_words(run.noise_floor) in said and not any(text.endswith("…") for text in header)
    assert frame.shape[0] > 360 and frame.shape[1] == 800  # grown at the top for the lines it needs
    renderer = animation.canvas.get_renderer()
    lowest_header = min(text.get_window_extent(renderer).y0 for text in animation.figure.texts if text.get_text())
    assert all(axes.get_tightbbox(renderer).y1 <= lowest_header for axes in animation.figure.axes)


def test_the_training_errors_words_take_a_row_above_its_title_where_they_crowd_it():
    animation = UnitsAnimation(knob_run(**EVERY_KNOB))
    error_axes = animation.column[0]
    renderer = animation.canvas.get_renderer()
    title = error_axes.title if error_axes.title.get_text() else error_axes._left_title
    assert animation.words_above and not title.get_text().endswith("…")
    words = [text for text in error_axes.texts if text.get_text() in ("batch mean", "l1+l2 penalty")]
    assert len(words) == 2
    assert all(word.get_window_extent(renderer).y0 >= title.get_window_extent(renderer).y1 - 1 for word in words)
    assert not UnitsAnimation(synthetic_run()).words_above  # the floor alone fits beside it


def test_a_comparisons_panels_say_what_tells_their_runs_apart_first_and_all_of_it():
    pair = [synthetic_run(batch_size=32, name="batch"), synthetic_run(name="full")]
    texts = [text.get_text() for text in CompareAnimation(pair, ["batch", "full"], "note").figure.texts]
    assert any(text.startswith("batch 32 · 2x10 sigmoid") for text in texts), texts
    runs = pair + [knob_run(**EVERY_KNOB)]
    for animation in (CompareAnimation(runs, ["batch", "full", "knobs"], "note"),
                      CompareUnitsAnimation(runs, ["batch", "full", "knobs"], "note")):
        texts = [text.get_text() for text in animation.figure.texts]
        assert not any(text.endswith("…") for text in texts), texts
        # Every knob's run says all it trained, over the lines it takes.
        said = " · ".join(texts)
        assert all(part in said for part in runs[2].training_description.split(" · ")), texts


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


@pytest.mark.browser
def test_a_studys_dot_plot_names_its_columns_legibly_or_numbers_them_and_lists_the_names(finished_study,
                                                                                          offline_page):
    _, output, _, _ = finished_study
    page, problems = offline_page(output / "report.html")
    assert page.inner_text("#final-key") == ""  # its cells' names fit under their columns
    labels = page.evaluate("""(() => { const c = finalAxes.canvas.getContext('2d'); c.font = '11px sans-serif';
      return [['batch8', 'batch32'], ['batch8_lr0.01', 'batch32_lr0.1'], ['batch8_exponential0.1-rate0.5-steps1000', 'b']]
        .map((names) => { const lines = columnLabels(c, names, 60); return [lines, lines.numbered]; }); })()""")
    assert labels == [[[["batch8"], ["batch32"]], False],
                      [[["batch8_", "lr0.01"], ["batch32_", "lr0.1"]], False],  # broken after '_' onto two lines
                      [[["1"], ["2"]], True]]  # too long for two: numbered, never squeezed
    page.evaluate("finalKey(true)")
    assert page.inner_text("#final-key").split("\n") == ["1 sgd_2x10", "2 adam_2x10"]
    assert problems == []
