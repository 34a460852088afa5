"""drawing/figures.py: loss.png, seeds.png, compare.png and a study's final_error.png, checked on the
figure each draws (captured as png_axes hands it out) and on the PNG written. Synthetic runs only."""

import re

import numpy as np
import pytest
from matplotlib.collections import PathCollection

from conftest import count_color, png_pixels, synthetic_run
from drawing import figures
from drawing.curves import BLOW_UP_HEADROOM
from drawing.style import COLORS, RUN_COLORS
from summaries import StudyRow


@pytest.fixture
def drawn(monkeypatch):
    """The (figure, axes) of every picture drawn during the test, in order."""
    made = []
    png_axes = figures.png_axes

    def recording(*arguments, **options):
        made.append(png_axes(*arguments, **options))
        return made[-1]

    monkeypatch.setattr(figures, "png_axes", recording)
    return made


def words(figure) -> list[str]:
    return [artist.get_text() for artist in figure.findobj(lambda artist: hasattr(artist, "get_text"))]


def blown_up(run):
    """A diverged run's history as a real one ends: a huge finite error, then one that is not finite."""
    run.per_epoch["loss"][-3:-1] = 1e30
    return run


def finite_max(run) -> float:
    values = np.concatenate([np.ravel(run.loss), np.ravel(run.val_loss), np.ravel(run.frame_loss)]).astype(float)
    return float(values[np.isfinite(values)].max())


# --- loss.png and seeds.png ----------------------------------------------------------------------

def test_loss_png_shows_both_errors_on_log_axes_and_states_the_final_ones(tmp_path, drawn):
    run = synthetic_run()
    figures.draw_loss_png(run, tmp_path / "loss.png")
    assert png_pixels(tmp_path / "loss.png").shape == (450, 800, 3)
    (figure, axes), = drawn
    assert axes.get_xscale() == "log" and axes.get_yscale() == "log"
    labels = [text.get_text() for text in axes.get_legend().get_texts()]
    assert labels == ["noise floor σ² = 0.04", "training error", "held-out error"]
    assert axes.get_title() == (f"synthetic · 2x10 sigmoid · adam lr 0.01\nfinal training error "
                                f"{run.frame_loss[-1, 0]:.4f}, held-out {run.val_loss[-1, 0]:.4f}")


def test_seeds_png_has_a_log_epoch_axis_and_a_median_in_its_own_colour(tmp_path, drawn):
    run = synthetic_run(nets=6)
    figures.draw_loss_png(run, tmp_path / "seeds.png")
    (figure, axes), = drawn
    assert axes.get_xscale() == "log" and axes.get_yscale() == "log"
    medians = [line for line in axes.get_lines() if "median" in line.get_label()]
    assert [line.get_color() for line in medians] == [COLORS["median"]]
    assert COLORS["median"] != COLORS["net"]
    pixels = png_pixels(tmp_path / "seeds.png")
    assert count_color(pixels, COLORS["median"]) > 100, "the median is drawn in its colour, not the nets'"
    assert "median final held-out error" in axes.get_title() and "6 seeds" in axes.get_title()


def test_a_diverged_seeded_run_says_so_in_words_and_never_prints_an_array(tmp_path, drawn):
    run = blown_up(synthetic_run(nets=4, diverged_at=38))
    run.per_frame["loss"][-1] = np.inf
    figures.draw_loss_png(run, tmp_path / "seeds.png")
    (figure, axes), = drawn
    assert axes.get_title().endswith("\nevery net diverged within 37 epochs")
    assert axes.title.get_color() == COLORS["marker"]
    assert axes.get_xlim() == (1, 38)
    assert not [word for word in words(figure) if re.search(r"\binf\b|\bnan\b|\[", word, re.IGNORECASE)]


def test_a_diverged_single_net_says_when_on_one_line(tmp_path, drawn):
    figures.draw_loss_png(synthetic_run(diverged_at=38), tmp_path / "loss.png")
    (figure, axes), = drawn
    assert axes.get_title().endswith("\ndiverged after 37 epochs: training MSE not finite")
    assert "diverged after 37 epochs" in [text.get_text() for text in axes.get_legend().get_texts()]


# --- compare.png ---------------------------------------------------------------------------------

def test_compare_png_has_a_log_epoch_axis_and_one_curve_per_run(tmp_path, drawn):
    runs = [synthetic_run(), synthetic_run(epochs=600, seed=2)]
    figures.draw_compare_png(runs, ["first", "second"], tmp_path / "compare.png")
    (figure, axes), = drawn
    assert axes.get_xscale() == "log" and axes.get_yscale() == "log"
    assert axes.get_xlim() == (1, 600)
    curves = [line for line in axes.get_lines() if line.get_label().startswith(("first", "second"))]
    assert [line.get_color() for line in curves] == RUN_COLORS[:2]
    assert curves[0].get_label() == (f"first: 2x10 sigmoid · adam lr 0.01 (final training MSE "
                                     f"{runs[0].frame_loss[-1, 0]:.4f})")
    pixels = png_pixels(tmp_path / "compare.png")
    assert count_color(pixels, RUN_COLORS[0]) > 20 and count_color(pixels, RUN_COLORS[1]) > 20


def test_compare_png_draws_a_seeded_runs_median_in_its_colour_over_its_nets_10_90_band(tmp_path, drawn):
    from matplotlib.collections import PolyCollection
    from matplotlib.colors import to_rgb

    from drawing.curves import training_curve

    seeded, single = synthetic_run(nets=4, epochs=200), synthetic_run(epochs=200, learning_rate=0.05)
    figures.draw_compare_png([seeded, single], ["seeded", "one"], tmp_path / "compare.png")
    (figure, axes), = drawn
    epochs, loss = training_curve(seeded)
    median, = [line for line in axes.get_lines() if line.get_label().startswith("seeded (4 seeds): ")]
    assert median.get_color() == RUN_COLORS[0] and "final median training MSE" in median.get_label()
    np.testing.assert_allclose(median.get_ydata(), np.median(loss.astype(np.float64), axis=1), rtol=1e-12)
    band, = [artist for artist in axes.collections if isinstance(artist, PolyCollection)]
    low, high = np.percentile(loss.astype(np.float64), [10, 90], axis=1)
    edge = band.get_paths()[0].vertices[:, 1]
    assert np.isclose(edge.min(), low.min()) and np.isclose(edge.max(), high.max())
    assert "a seeded run: the median of its nets, with the 10-90% band shaded" in axes.get_title()
    # In the picture: at epoch 30, the median's pixel in the run's colour, the band's between it and the 90th percentile.
    pixels, at = png_pixels(tmp_path / "compare.png"), int(np.searchsorted(epochs, 30))  # (off the grid lines)
    (x, median_y), (_, high_y) = axes.transData.transform([(epochs[at], median.get_ydata()[at]), (epochs[at], high[at])])
    column, median_row, middle_row = (int(round(value)) for value in
                                      (x, pixels.shape[0] - median_y, pixels.shape[0] - (median_y + high_y) / 2))
    color = 255 * np.array(to_rgb(RUN_COLORS[0]))
    shade = 255 * (0.2 * np.array(to_rgb(RUN_COLORS[0])) + 0.8)  # 20% over white
    assert np.abs(pixels[median_row - 1: median_row + 2, column] - color).max(axis=1).min() <= 30
    assert np.abs(pixels[middle_row, column] - shade).max() <= 6, pixels[middle_row, column]


def test_compare_pngs_epoch_axis_ends_where_the_furthest_run_got_not_where_an_interrupted_one_aimed(tmp_path, drawn):
    runs = [synthetic_run(epochs=1000), synthetic_run(status="interrupted", epochs=2000)]
    assert runs[1].epochs_requested == 4000
    figures.draw_compare_png(runs, ["done", "stopped"], tmp_path / "compare.png")
    (figure, axes), = drawn
    assert axes.get_xlim() == (1, 2000)


def test_compare_png_clips_one_diverged_runs_blow_up_to_the_calm_runs_range(tmp_path, drawn):
    calm = [synthetic_run(), synthetic_run(seed=2)]
    diverged = blown_up(synthetic_run(diverged_at=60))
    figures.draw_compare_png(calm + [diverged], ["a", "b", "c"], tmp_path / "compare.png")
    (figure, axes), = drawn
    calm_high = max(finite_max(run) for run in calm)
    low, high = axes.get_ylim()
    assert calm_high < high <= 1.5 * BLOW_UP_HEADROOM * calm_high
    assert low < min(run.noise_floor for run in calm)
    (blown_label,) = [line.get_label() for line in axes.get_lines() if line.get_label().startswith("c: ")]
    assert blown_label.endswith("(diverged after 59 epochs)")
    marks = [line for line in axes.get_lines() if line.get_marker() == "X"]
    assert len(marks) == 1 and marks[0].get_xdata()[0] == 59 and marks[0].get_ydata()[0] == pytest.approx(high), "at the top edge"
    assert "X: a run's error left the plot (it diverged)" in axes.get_title()


def test_compare_png_of_diverged_runs_alone_clips_nothing(tmp_path, drawn):
    runs = [blown_up(synthetic_run(diverged_at=60)), blown_up(synthetic_run(diverged_at=80, seed=2))]
    figures.draw_compare_png(runs, ["a", "b"], tmp_path / "compare.png")
    (figure, axes), = drawn
    assert axes.get_ylim()[1] >= 1e30


def test_compare_png_says_when_the_data_differ_and_draws_each_runs_noise_floor(tmp_path, drawn):
    runs = [synthetic_run(), synthetic_run(noise_std=0.5)]
    figures.draw_compare_png(runs, ["a", "b"], tmp_path / "compare.png")
    (figure, axes), = drawn
    assert "different data: dashed lines are each run's noise floor" in axes.get_title()
    floors = sorted(round(line.get_ydata()[0], 6) for line in axes.get_lines() if line.get_linestyle() == "--")
    assert floors == [0.04, 0.25]


def test_same_data_means_the_same_points():
    assert figures.same_data([synthetic_run(), synthetic_run(epochs=600), synthetic_run(learning_rate=0.1)])
    assert not figures.same_data([synthetic_run(), synthetic_run(seed=1)])
    assert not figures.same_data([synthetic_run(), synthetic_run(n_samples=65)])
    assert not figures.same_data([synthetic_run(), synthetic_run(noise_std=0.3)])


def test_what_differs_between_the_runs_data_is_named():
    assert figures.data_differences([synthetic_run(), synthetic_run(learning_rate=0.1)]) == []
    assert figures.data_differences([synthetic_run(), synthetic_run(seed=1)]) == ["data seed"]
    assert figures.data_differences([synthetic_run(), synthetic_run(target="square"),
                                     synthetic_run(noise_std=0.3)]) == ["target", "noise"]
    assert figures.data_differences([synthetic_run(), synthetic_run(x_max=3.0, n_samples=65)]) == ["x range", "number of points"]


# --- a study's final_error.png -------------------------------------------------------------------

def test_final_errors_show_each_seed_above_its_spread_with_a_legend_drawn_as_the_figure_is(tmp_path, drawn):
    rows = [StudyRow(experiment=name, trained=f"2x10 sigmoid · {name} lr 0.01", noise_floor=0.04, seeds=20, median=None,
                     p10=None, p90=None, share_at_noise_floor=None, diverged=0) for name in ("sgd", "adam", "blown")]
    rng = np.random.default_rng(1)
    errors = [0.2 + 0.05 * rng.random(20), np.append(0.04 + 0.005 * rng.random(19), np.nan), np.full(5, np.nan)]
    figures.draw_final_errors(rows, errors, tmp_path / "final_error.png", "a study", "experiment (20 seeds each)")
    assert png_pixels(tmp_path / "final_error.png").shape[1] == 800
    (figure, axes), = drawn
    assert axes.get_yscale() == "log"
    assert [label.get_text() for label in axes.get_xticklabels()] == [
        f"{name}\n2x10 sigmoid\n{name} lr 0.01" for name in ("sgd", "adam", "blown")], "each says what was trained"
    dots = [collection for collection in axes.collections if isinstance(collection, PathCollection)]
    assert [len(collection.get_offsets()) for collection in dots] == [20, 19, 0], "a diverged seed has no dot"
    bars = [line for line in axes.get_lines() if line.get_color() == COLORS["truth"]]
    assert len(bars) == 4, "a spread and a median for each experiment with a finite error"
    assert min(collection.get_zorder() for collection in dots) > max(line.get_zorder() for line in bars)
    spread = [line for line in bars if line.get_xdata()[0] == line.get_xdata()[1]]
    assert len(spread) == 2 and spread[1].get_ydata() == pytest.approx(np.percentile(errors[1][:19], [10, 90]))
    handles = {handle.get_label(): handle for handle in axes.get_legend().legend_handles}
    percentile = [handle for label, handle in handles.items() if "percentile" in label or "%" in label]
    assert len(percentile) == 1
    assert percentile[0].get_marker() == "|" and percentile[0].get_linestyle() == "None", "a vertical marker"
    assert handles["median"].get_marker() == "_"
    assert "noise floor σ² = 0.04" in handles


# --- a grid study's phase.png --------------------------------------------------------------------

def grid_rows(grid: dict, medians) -> list[StudyRow]:
    """A grid study's table rows (as study_table.table_rows makes them) with these median final errors, in
    the grid's order (the last key varying fastest), over a noise floor of 0.04."""
    import itertools

    cells = [dict(zip(grid, values)) for values in itertools.product(*grid.values())]
    return [StudyRow(settings=settings, noise_floor=0.04, median=median, p10=0.9 * median, p90=1.1 * median,
                     share_at_noise_floor=0.5, diverged=0, experiment="cell", trained="2x10 sigmoid", seeds=3)
            for settings, median in zip(cells, medians)]


@pytest.mark.parametrize("low, high", [(1.0, 3.06), (1.0, 1.3), (0.95, 30.0)])
def test_the_phase_diagrams_colour_bar_labels_three_or_more_ticks_apart_over_any_range(tmp_path, monkeypatch,
                                                                                      low, high):
    from drawing import phase

    made, real = [], phase.phase_figure
    monkeypatch.setattr(phase, "phase_figure", lambda *arguments: made.append(real(*arguments)) or made[-1])
    grid = {"learning_rate": [0.01, 0.1, 1.0], "hidden_layers": [[60], [10, 10]]}
    phase.draw_phase_png(grid_rows(grid, 0.04 * np.geomspace(low, high, 6)), grid, tmp_path / "phase.png", "sweep")
    (figure,) = made
    renderer = figure.canvas.get_renderer()
    (bar,) = [axes for axes in figure.axes if axes.get_label() == "<colorbar>"]
    bottom, top = bar.get_ylim()
    labels = [label for value, label in zip(bar.get_yticks(), bar.get_yticklabels())
              if bottom <= value <= top and label.get_text()]
    assert len(labels) >= 3, [label.get_text() for label in labels]
    boxes = [label.get_window_extent(renderer) for label in labels]
    assert all(a.y1 < b.y0 or b.y1 < a.y0 for index, a in enumerate(boxes) for b in boxes[index + 1:]), "apart"
    assert [float(label.get_text()) for label in labels] == sorted(float(label.get_text()) for label in labels)


def test_the_phase_diagram_says_where_it_draws_each_cell(tmp_path):
    """The boxes draw_phase_png returns (for the study's page to mark a cell on it) are where phase.png
    has each cell: its own flat colour at the four corners inside, another just outside each edge."""
    from drawing import phase

    grid = {"learning_rate": [0.01, 0.1, 1.0], "hidden_layers": [[60], [10, 10]], "optimizer": ["sgd", "adam"]}
    rows = grid_rows(grid, 0.04 * np.geomspace(1, 20, 12))
    boxes = phase.draw_phase_png(rows[:-1], grid, tmp_path / "phase.png", "sweep")  # the last cell missing
    pixels = png_pixels(tmp_path / "phase.png")
    assert (boxes.width, boxes.height) == (pixels.shape[1], pixels.shape[0]) and len(boxes.boxes) == 12
    for row in rows:
        left, top, right, bottom = (round(side) for side in boxes.boxes[phase.settings_key(row.settings, grid)])
        corners = pixels[[top + 3, top + 3, bottom - 4, bottom - 4], [left + 3, right - 4, left + 3, right - 4]]
        assert (corners == corners[0]).all(), (row.settings, corners.tolist())
        if row is rows[-1]:
            assert corners[0].tolist() == [255, 255, 255], "a missing cell is left blank"
            continue
        middle_x, middle_y = (left + right) // 2, (top + bottom) // 2
        for outside in (pixels[top - 3, middle_x], pixels[bottom + 2, middle_x], pixels[middle_y, left - 3],
                        pixels[middle_y, right + 2]):
            assert (outside != corners[0]).any(), (row.settings, outside.tolist())
    line = phase.draw_phase_png(grid_rows({"learning_rate": [0.01, 0.1, 1.0]}, [0.05, 0.1, 0.2]),
                                {"learning_rate": [0.01, 0.1, 1.0]}, tmp_path / "line.png", "sweep")
    columns = list(line.boxes.values())
    assert [box[2] for box in columns[:-1]] == [box[0] for box in columns[1:]], "a value's column each, side by side"
    assert len({(box[1], box[3]) for box in columns}) == 1 and (line.width, line.height) == png_pixels(
        tmp_path / "line.png").shape[1::-1]
