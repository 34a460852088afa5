"""drawing/residual_analysis.py and residuals.py: the residual spectrum on known signals, and
residuals.png and compare's residuals picture checked on the figure drawn and on the PNG written.
Synthetic runs only."""

import dataclasses
import warnings

import numpy as np
import pytest

from conftest import beside_the_sine, count_color, png_pixels, synthetic_run
from drawing import residual_analysis, residuals
from drawing.style import plain_text


def panels(figure, label: str) -> list:
    return [axes for axes in figure.axes if axes.get_label() == label]


def mesh_values(axes) -> np.ma.MaskedArray:
    (mesh,) = axes.collections
    return mesh.get_array()


def without_truth(run):
    """The run as one trained on data of unknown origin: no true function, no noise floor."""
    run = dataclasses.replace(run, y_grid_true=None, summary=run.summary.model_copy(update={"noise_floor": None}))
    return run


# --- the spectrum ---------------------------------------------------------------------------------

GRID = np.linspace(0, 2 * np.pi, 200)  # as data.py makes the prediction grid


def cosine_sums(values: np.ndarray, x: np.ndarray) -> np.ndarray:
    """The DCT-II amplitudes written out as sums, slowly: the reference for the FFT-based one."""
    count = len(x)
    positions = np.arange(count) + 0.5
    sums = np.array([np.sum(values * np.cos(np.pi * bin * positions / count)) for bin in range(count)])
    return np.abs(sums) * np.where(np.arange(count) == 0, 1, 2) / count


def test_the_spectrum_matches_the_cosine_sums_it_stands_for():
    rng = np.random.default_rng(0)
    values = rng.normal(size=len(GRID))
    frequencies, amplitudes = residual_analysis.residual_spectrum(values, GRID)
    assert np.max(np.abs(amplitudes - cosine_sums(values, GRID))) < 1e-12
    assert frequencies[2] == pytest.approx(1.0, rel=0.01), "bins are half a cycle per 2π apart"


def test_a_cosine_puts_its_amplitude_at_its_frequency_and_nowhere_else():
    x = (np.arange(200) + 0.5) * 2 * np.pi / 200  # bins fall exactly on half cycles
    frequencies, amplitudes = residual_analysis.residual_spectrum(0.7 * np.cos(3 * x), x)
    at = int(np.argmin(np.abs(frequencies - 3)))
    assert frequencies[at] == pytest.approx(3)
    assert amplitudes[at] == pytest.approx(0.7)
    assert np.max(np.delete(amplitudes, at)) < 1e-12


def test_a_constant_goes_to_frequency_zero_as_its_size():
    frequencies, amplitudes = residual_analysis.residual_spectrum(np.full(len(GRID), -0.4), GRID)
    assert frequencies[0] == 0 and amplitudes[0] == pytest.approx(0.4)
    assert np.max(amplitudes[1:]) < 1e-12


def test_a_trend_stays_at_low_frequencies_where_an_fft_smears_it_over_all():
    trend = GRID / (2 * np.pi)  # rises by 1 across the interval
    frequencies, amplitudes = residual_analysis.residual_spectrum(trend, GRID)
    fft_amplitudes = np.abs(np.fft.rfft(trend)) * 2 / len(GRID)
    fft_frequencies = np.arange(len(fft_amplitudes)) * 2 * np.pi / (len(GRID) * (GRID[1] - GRID[0]))
    assert np.max(fft_amplitudes[fft_frequencies > 5]) > 0.04, "the reference: an FFT sees the seam's jump"
    assert np.max(amplitudes[frequencies > 5]) < 0.005
    assert amplitudes[1] > 0.4, "the trend itself is at the lowest frequency"


def test_the_spectrum_works_frame_by_frame_and_refuses_decreasing_x():
    stacked = np.stack([np.cos(GRID), np.ones(len(GRID))])
    frequencies, amplitudes = residual_analysis.residual_spectrum(stacked, GRID)
    assert amplitudes.shape == (2, len(GRID))
    assert amplitudes[1, 0] == pytest.approx(1)
    with pytest.raises(ValueError, match="increasing x"):
        residual_analysis.residual_spectrum(np.ones(4), np.array([4.0, 3.0, 2.0, 1.0]))


def test_a_grid_far_from_zero_is_drawn(tmp_path):
    """Stored as float32, the steps of a grid near x = 1000 differ by rounding: it is still the
    evenly spaced grid it was made as."""
    run = synthetic_run(x_min=1000.0, x_max=1000.0 + 2 * np.pi, grid_points=200)
    assert not np.allclose(np.diff(run.x_grid), np.diff(run.x_grid).mean(), rtol=1e-4, atol=0)
    residuals.draw_residuals_png(run, tmp_path / "residuals.png")
    assert png_pixels(tmp_path / "residuals.png").shape[2] == 3


def test_the_cutoff_covers_the_energy_within_its_bounds():
    frequencies = np.arange(200) * 0.5
    low, high = np.zeros(200), np.zeros(200)
    low[1], high[12] = 1.0, 1.0  # at 0.5 and at 6 cycles
    assert residual_analysis.frequency_cutoff(frequencies, np.stack([low])) == residual_analysis.MIN_CUTOFF
    assert residual_analysis.frequency_cutoff(frequencies, np.stack([low, high])) == 6
    far = np.zeros(200)
    far[[1, 60]] = 1.0  # half of the energy at 30 cycles
    assert residual_analysis.frequency_cutoff(frequencies, np.stack([far])) == residual_analysis.MAX_CUTOFF
    above = residual_analysis.energy_above(frequencies, np.stack([far]), residual_analysis.MAX_CUTOFF)
    assert above == pytest.approx(0.5)


# --- residuals.png ----------------------------------------------------------------------------------

def test_residuals_png_shows_the_heat_map_and_the_spectrum_on_one_epoch_axis(tmp_path):
    run = synthetic_run()
    residuals.draw_residuals_png(run, tmp_path / "residuals.png")
    assert png_pixels(tmp_path / "residuals.png").shape == (500, 1100, 3)
    figure = residuals.residuals_figure([run])
    (heat,), (spectrum,) = panels(figure, "heat map"), panels(figure, "spectrum")
    assert heat.get_yscale() == spectrum.get_yscale() == "symlog"
    assert heat.get_ylim() == spectrum.get_ylim()
    low, high = heat.get_ylim()
    assert low < 0 < run.frame_epochs[1] and high > run.frame_epochs[-1], "every frame has its row, epoch 0 too"
    expected = run.predictions[:, 0] - run.y_grid_true
    assert np.allclose(mesh_values(heat), expected)
    assert heat.get_title() == "residual: prediction − true sine"
    assert figure.get_suptitle() == "synthetic · 2x10 sigmoid · adam lr 0.01"
    assert "cycles per 2π of x" in spectrum.get_xlabel()
    assert "the true sine itself shows at 0.5 and 1.5" in spectrum.get_xlabel()
    assert residual_analysis.MIN_CUTOFF <= spectrum.get_xlim()[1] <= residual_analysis.MAX_CUTOFF + 0.5


def test_the_heat_maps_colour_scale_is_centred_on_zero_and_marks_the_noise(tmp_path):
    figure = residuals.residuals_figure([synthetic_run()])
    (heat,) = panels(figure, "heat map")
    norm = heat.collections[0].norm
    assert norm.vmin == -norm.vmax and norm(0.0) == pytest.approx(0.5)
    assert norm.linthresh == pytest.approx(0.02), "linear within a tenth of σ = 0.2 of zero"
    (bar,) = [axes for axes in figure.axes if axes.get_label() == "<colorbar>" and "σ" in axes.get_ylabel()]
    marked = sorted(line.get_ydata()[0] for line in bar.get_lines())
    assert marked == pytest.approx([-0.2, 0.2])


def test_a_seeded_run_draws_net_0_and_says_so(tmp_path):
    run = synthetic_run(nets=5, seed=3)
    figure = residuals.residuals_figure([run])
    (heat,) = panels(figure, "heat map")
    assert np.allclose(mesh_values(heat), run.predictions[:, 0] - run.y_grid_true)
    assert not np.allclose(mesh_values(heat), run.predictions[:, 1] - run.y_grid_true), "the nets differ"
    assert figure.get_suptitle().endswith(f" · 5 seeds · net 0, seed {run.seeds[0]}, of 5")


def test_without_a_true_function_the_residuals_are_at_the_training_points_and_there_is_no_spectrum(tmp_path):
    run = without_truth(synthetic_run())
    residuals.draw_residuals_png(run, tmp_path / "residuals.png")
    assert png_pixels(tmp_path / "residuals.png").shape == (500, 800, 3)
    figure = residuals.residuals_figure([run])
    assert panels(figure, "spectrum") == []
    (heat,) = panels(figure, "heat map")
    order = np.argsort(run.x_train)
    at_points = np.interp(run.x_train[order], run.x_grid, run.predictions[-1, 0])
    assert np.allclose(mesh_values(heat)[-1], at_points - run.y_train[order])
    assert "no true function known" in heat.get_title() and "data" in heat.get_title()
    bar_labels = [axes.get_ylabel() for axes in figure.axes if axes.get_label() == "<colorbar>"]
    assert bar_labels == ["prediction − training data\nnoise floor unknown"], "no σ to mark, and it says why"


def test_a_blown_up_run_draws_without_a_warning_and_keeps_its_scale(tmp_path):
    run = synthetic_run(diverged_at=120)
    run.per_frame["prediction"][-4] = 1e30
    run.per_frame["prediction"][-3, :, ::2] = -1e30
    run.per_frame["prediction"][-2, :, 5] = np.inf
    run.per_frame["prediction"][-1] = np.nan
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        residuals.draw_residuals_png(run, tmp_path / "residuals.png")
        figure = residuals.residuals_figure([run])
    (heat,), (spectrum,) = panels(figure, "heat map"), panels(figure, "spectrum")
    assert heat.collections[0].norm.vmax < 5, "the scale is the calm frames', not the blow-up's"
    values = mesh_values(heat)
    assert values.mask[-1].all() and values.mask[-2, 5] and not values.mask[-3].any()
    assert mesh_values(spectrum).mask[-2:].all(), "no spectrum of a frame not finite"
    note = figure.get_supxlabel()
    assert "magenta: off the colour scale" in note and "black: not a finite number" in note
    assert "diverged after 119 epochs: training MSE not finite" in figure.get_suptitle()
    pixels = png_pixels(tmp_path / "residuals.png")
    assert count_color(pixels, residual_analysis.OFF_SCALE_COLOR) > 100


def test_an_interrupted_run_ends_at_its_last_frame(tmp_path):
    run = synthetic_run(status="interrupted")
    figure = residuals.residuals_figure([run])
    (heat,) = panels(figure, "heat map")
    assert run.frame_epochs[-1] < heat.get_ylim()[1] < run.epochs_requested
    assert "interrupted at epoch 300 of 600" in figure.get_suptitle()


# --- compare ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("count", [2, 4])
def test_compare_draws_a_row_per_run_on_shared_colour_scales(tmp_path, count):
    runs = [synthetic_run(learning_rate=0.01 * (index + 1)) for index in range(count)]
    for index, run in enumerate(runs):  # each run's residual smaller than the one before
        run.per_frame["prediction"] = run.y_grid_true + (run.predictions - run.y_grid_true) / (index + 1)
    labels = [f"run {index}" for index in range(count)]
    figure = residuals.residuals_figure(runs, labels)
    heat, spectrum = panels(figure, "heat map"), panels(figure, "spectrum")
    assert len(heat) == len(spectrum) == count
    assert len({(axes.collections[0].norm.vmin, axes.collections[0].norm.vmax) for axes in heat}) == 1
    assert len({(axes.collections[0].norm.vmin, axes.collections[0].norm.vmax) for axes in spectrum}) == 1
    assert heat[-1].collections[0].norm.vmax == pytest.approx(np.abs(mesh_values(heat[0])).max()), "the largest fits"
    assert [axes.get_title(loc="left") for axes in heat] == [
        f"run {index}\n2x10 sigmoid · adam lr {0.01 * (index + 1):g}" for index in range(count)]


def test_compare_shows_a_label_as_written_and_a_row_without_truth(tmp_path):
    label = "cost $5 <b>bold</b>"
    runs = [synthetic_run(), without_truth(synthetic_run())]
    figure = residuals.residuals_figure(runs, [label, "own data"])
    heat = panels(figure, "heat map")
    assert heat[0].get_title(loc="left").startswith(plain_text(label) + "\n")
    assert plain_text(label) == r"cost \$5 <b>bold</b>", "a dollar sign, not maths; tags are not markup"
    assert heat[1].get_title(loc="left").endswith("against the data")
    assert len(panels(figure, "spectrum")) == 1


def test_compare_of_two_runs_is_written_and_of_nine_draws(tmp_path):
    runs = [synthetic_run(), synthetic_run(learning_rate=0.1)]
    residuals.draw_compare_residuals_png(runs, ["a", "b"], tmp_path / "residuals.png")
    assert png_pixels(tmp_path / "residuals.png").shape[:2] == (int(100 * (1.6 + 2.5 * 2)), 1100)
    runs = [synthetic_run(frames=20) for _ in range(9)]
    residuals.draw_compare_residuals_png(runs, [str(index) for index in range(9)], tmp_path / "residuals.png")
    assert png_pixels(tmp_path / "residuals.png").shape[:2] == (int(100 * (1.6 + 2.5 * 9)), 1100)


def test_runs_on_data_in_other_units_get_colour_scales_of_their_own_and_titles_clear_of_them(tmp_path):
    """As compare gives each its own y scale (frames.shared_scales): a sine's residuals beside those
    of data around 360 would otherwise all be white on the other's scale."""
    runs = beside_the_sine(3)
    figure = residuals.residuals_figure(runs, [f"run {index}" for index in range(3)])
    figure.canvas.draw()
    heat, spectrum = panels(figure, "heat map"), panels(figure, "spectrum")
    own = [residual_analysis.residual_limit([run], [residual_analysis.net_residuals(run)]) for run in runs]
    assert [axes.collections[0].norm.vmax for axes in heat] == pytest.approx(own)
    assert own[0] < own[1] / 10, "the sine's own scale is far narrower"
    assert len({axes.collections[0].norm.vmax for axes in spectrum}) == 3
    bars = [axes for axes in figure.axes if axes.get_label() == "<colorbar>"]
    assert len(bars) == len(heat) + len(spectrum)
    renderer = figure.canvas.get_renderer()
    for axes in heat + spectrum:
        title = axes.title if axes in spectrum else axes._left_title
        for bar in bars:
            extent, bar_extent = title.get_window_extent(renderer), bar.get_tightbbox(renderer)
            assert extent.x1 <= bar_extent.x0 or extent.y1 <= bar_extent.y0 or bar_extent.y1 <= extent.y0, \
                f"{title.get_text()!r} runs into a colour bar"
    assert "own colour scales" in figure.get_suptitle()
    residuals.draw_compare_residuals_png(runs, ["a", "b", "c"], tmp_path / "residuals.png")
