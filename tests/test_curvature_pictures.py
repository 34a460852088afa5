"""drawing/curvature_figures.py and drawing/landscape_frames.py: curvature.png, landscape.gif and the
comparison of several runs' curvature, drawn from spectra and landscapes made up to look like a
1x60 net's (181 parameters) and checked on the files written. Synthetic runs only, no training."""

from dataclasses import dataclass

import numpy as np
import pytest

import rendering
from conftest import decode_gif, png_pixels, synthetic_run
from curvature import NEAR_ZERO_SHARE, Landscape, Spectrum, Threshold
from drawing import curvature_figures
from drawing.curvature_figures import EigenvaluesShown, draw_curvature_comparison, draw_curvature_png
from drawing.landscape_frames import LandscapeAnimation, percent, plane_words

PARAMETERS = 181  # a 1x60 net's weights and biases
LEARNING_RATE = 0.01


def synthetic_spectrum(run, nets: int = 1, diverged_from: int | None = None, preconditioned: bool = False,
                       reference_only: bool = False) -> Spectrum:
    """A spectrum like a 1x60 net's under gradient descent: about 100 eigenvalues near zero, a few
    negative, the rest positive up to the sharpness, which rises toward 2/η and stays there (the edge
    of stability). diverged_from: frames from this index on are NaN, as a diverged net's."""
    epochs = run.frame_epochs.astype(np.float64)
    rng = np.random.default_rng(0)
    threshold = 2 / LEARNING_RATE
    rising = 1 - 0.97 * np.exp(-epochs / (0.15 * max(epochs[-1], 1)))  # (frames,)
    eigenvalues = np.empty((len(epochs), nets, PARAMETERS))
    for net in range(nets):
        sharpness = threshold * rising * (0.95 + 0.04 * net / max(nets - 1, 1))
        scale = sharpness[:, None]
        negative = -scale * np.geomspace(2e-3, 3e-2, 5)[None, :] * (1 - 0.8 * rising[:, None])
        near_zero = scale * NEAR_ZERO_SHARE * rng.uniform(-0.9, 0.9, (len(epochs), 100))
        positive = scale * np.geomspace(3e-3, 0.4, PARAMETERS - 106)[None, :]
        eigenvalues[:, net] = np.sort(np.concatenate([negative, near_zero, positive, scale], axis=1), axis=1)
    if diverged_from is not None:
        eigenvalues[diverged_from:] = np.nan
    objective = 0.04 + 0.5 * np.exp(-epochs / 60)[:, None] * np.ones((1, nets))
    rule = "(2+2β₁)/((1-β₁)η)" if preconditioned else "2/η"
    preconditioned_sharpness = eigenvalues[..., -1] * 3.1 if preconditioned else None
    return Spectrum(frame_epochs=run.frame_epochs, nets=np.arange(nets), eigenvalues=eigenvalues, objective=objective,
                    threshold=Threshold(values=np.full(len(epochs), threshold * (19 if preconditioned else 1)),
                                        rule=rule, preconditioned=preconditioned, reference_only=reference_only),
                    preconditioned_sharpness=preconditioned_sharpness)


@dataclass(frozen=True)
class GappedLandscape(Landscape):
    """A landscape whose largest gap is worked out here (curvature.py's is someone else's to write),
    as its docstring says: the largest difference between a path point's value on the plane and its
    frame's objective, as a share of the frame's objective."""

    @property
    def largest_gap(self) -> float:
        with np.errstate(invalid="ignore"):
            gaps = np.abs(self.path_values - self.frame_objective) / self.frame_objective
        return float(np.nanmax(gaps)) if np.isfinite(gaps).any() else float("nan")


def bowl(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """A curved valley whose bottom is the origin (the final weights)."""
    return 0.04 + 0.02 * a**2 + 0.6 * (b - 0.08 * a**2) ** 2


def synthetic_landscape(run, diverged: bool = False) -> GappedLandscape:
    """A landscape of a path that curves down a valley into its bowl at the final weights."""
    frames = len(run.frame_epochs)
    progress = 1 - np.exp(-run.frame_epochs / (0.2 * max(run.frame_epochs[-1], 1)))
    progress = progress / progress[-1]
    a = 6 * (1 - progress)
    path = np.column_stack([a, 0.08 * a**2 + 0.8 * np.sin(3 * a) * (1 - progress)])
    path[-1] = 0.0
    axis_a, axis_b = np.linspace(-2, 7, 61), np.linspace(-2.5, 4.5, 41)
    values = bowl(axis_a[None, :], axis_b[:, None])
    path_values = bowl(path[:, 0], path[:, 1])
    frame_objective = path_values * (1 + 0.12 * np.sin(np.arange(frames)))
    if diverged:
        path[-1] = np.nan
        path_values[-1] = frame_objective[-1] = np.inf
    directions, _ = np.linalg.qr(np.random.default_rng(1).normal(size=(PARAMETERS, 2)))
    alphas = np.linspace(0, 1, 41)
    return GappedLandscape(directions=directions.T, explained_variance=np.array([0.83, 0.12]), path=path,
                           axis_a=axis_a, axis_b=axis_b, values=values, path_values=path_values,
                           frame_objective=frame_objective, line_alphas=alphas,
                           line_values=bowl(6 * (1 - alphas), 0 * alphas) + 0.5 * np.sin(np.pi * alphas) ** 2)


# --- curvature.png ---------------------------------------------------------------------------------

def test_curvature_png_is_loss_pngs_width_and_says_what_was_trained(tmp_path):
    run = synthetic_run(frames=12, hidden_layers=[60], optimizer="sgd")
    figure = curvature_figures.curvature_figure(run, synthetic_spectrum(run))
    title = figure.get_suptitle()
    assert run.name in title and run.training_description in title
    assert "Hessian of the full-batch training objective (MSE + penalties), exact, float64" in title
    assert "181 parameters" in title
    draw_curvature_png(run, synthetic_spectrum(run), tmp_path / "curvature.png")
    assert png_pixels(tmp_path / "curvature.png").shape[1] == 800


def test_curvature_png_labels_the_threshold_with_its_rule_and_every_axis(tmp_path):
    run = synthetic_run(frames=12, hidden_layers=[60], optimizer="sgd")
    figure = curvature_figures.curvature_figure(run, synthetic_spectrum(run, reference_only=True))
    sharpness, smallest, counts, spectrum = figure.axes
    labels = [text.get_text() for text in sharpness.get_legend().get_texts()]
    assert "stability threshold 2/η (reference only: minibatches)" in labels
    assert sharpness.get_yscale() == "log" and sharpness.get_xscale() == "log"
    assert smallest.get_yscale() == "symlog" and spectrum.get_yscale() == "symlog"
    assert all(axes.get_ylabel() for axes in figure.axes)
    assert f"|λ| ≤ {NEAR_ZERO_SHARE:g}·max|λ|" in " ".join(text.get_text() for text in counts.get_legend().get_texts())


def test_the_spectrum_panel_draws_every_eigenvalue_of_net_0_at_every_frame_after_epoch_0():
    run = synthetic_run(nets=3, frames=12, hidden_layers=[60], optimizer="sgd")
    spectrum = synthetic_spectrum(run, nets=3)
    figure = curvature_figures.curvature_figure(run, spectrum)
    points = sum(len(collection.get_offsets()) for collection in figure.axes[3].collections)
    assert points == PARAMETERS * int((run.frame_epochs >= 1).sum())
    shown = EigenvaluesShown(spectrum)  # negative, near zero and positive: each eigenvalue once
    assert (shown.negative_count + shown.near_zero_count < PARAMETERS).all()
    np.testing.assert_array_equal(shown.negative_count, spectrum.negative_count[run.frame_epochs >= 1, 0])


def test_a_preconditioned_threshold_is_held_against_the_preconditioned_sharpness_the_raw_one_drawn_too():
    run = synthetic_run(frames=12, hidden_layers=[60])
    figure = curvature_figures.curvature_figure(run, synthetic_spectrum(run, preconditioned=True))
    labels = [text.get_text() for text in figure.axes[0].get_legend().get_texts()]
    assert any(label.startswith("preconditioned sharpness") for label in labels)
    assert any(label.startswith("sharpness λmax(H), raw") for label in labels)


def test_a_diverged_spectrum_draws_and_says_from_when_it_is_not_finite(tmp_path):
    run = synthetic_run(frames=12, hidden_layers=[60], optimizer="sgd", diverged_at=200)
    spectrum = synthetic_spectrum(run, diverged_from=len(run.frame_epochs) - 3)
    draw_curvature_png(run, spectrum, tmp_path / "curvature.png")
    assert png_pixels(tmp_path / "curvature.png").shape[1] == 800
    title = curvature_figures.curvature_figure(run, spectrum).get_suptitle()
    assert f"not finite from epoch {int(run.frame_epochs[-3]):,} on" in title


def test_a_spectrum_never_finite_still_draws(tmp_path):
    run = synthetic_run(frames=4, hidden_layers=[60], optimizer="sgd")
    draw_curvature_png(run, synthetic_spectrum(run, diverged_from=0), tmp_path / "curvature.png")
    assert png_pixels(tmp_path / "curvature.png").shape[1] == 800


# --- landscape.gif ---------------------------------------------------------------------------------

def test_landscape_gif_has_a_frame_per_recorded_frame_at_the_runs_render_size(tmp_path):
    run = synthetic_run(frames=6, hidden_layers=[60], optimizer="sgd")
    animation = LandscapeAnimation(run, synthetic_landscape(run), run.config.render.width_pixels,
                                   run.config.render.height_pixels)
    assert rendering.write_animation(animation, run, tmp_path / "landscape.gif") == len(run.frame_epochs)
    frames, durations, _, _ = decode_gif(tmp_path / "landscape.gif")
    assert frames.shape == (len(run.frame_epochs), 360, 800, 4)
    # In step with fit.gif: the same number of frames, each shown as long.
    fit_frames, fit_durations, _, _ = decode_gif_of(rendering.FitAnimation(run, 800, 360), run, tmp_path / "fit.gif")
    assert durations == fit_durations and len(fit_frames) == len(frames)


def decode_gif_of(animation, run, path):
    rendering.write_animation(animation, run, path)
    return decode_gif(path)


def test_landscape_frames_differ_as_the_point_moves_and_only_in_the_plane_and_header():
    run = synthetic_run(frames=6, hidden_layers=[60], optimizer="sgd")
    animation = LandscapeAnimation(run, synthetic_landscape(run))
    first, second = animation.frame(1).copy(), animation.frame(2).copy()
    changed = (first != second).any(axis=-1)
    assert changed.any()
    plane = animation.plane.get_window_extent()
    rows, columns = np.nonzero(changed)
    line = animation.line.get_window_extent()
    # Nothing moves on the straight line's panel (rows of the buffer count from the top).
    assert not ((columns > line.x0 + 2) & (columns < line.x1 - 2) & (rows > 360 - line.y1 + 2)
                & (rows < 360 - line.y0 - 2)).any()
    assert ((columns > plane.x0) & (columns < plane.x1)).any()


def test_landscape_words_say_what_the_plane_holds_and_hides():
    run = synthetic_run(frames=6, hidden_layers=[60], optimizer="sgd")
    landscape = synthetic_landscape(run)
    held, gap, hidden = plane_words(landscape)
    assert held == "the plane holds 95% of the path's variance"
    assert gap == f"largest gap between the plane and the path: {percent(landscape.largest_gap)}"
    assert hidden == "a plane through a 181-dimensional surface can hide what lies off it"
    animation = LandscapeAnimation(run, landscape)
    assert animation.plane.get_xlabel() == "PC1 (83% of the path's variance)"
    assert animation.plane.get_ylabel() == "PC2 (12%)"
    drawn = " ".join(text.get_text() for text in animation.words)
    assert "181-dimensional" in drawn and "95%" in drawn


@pytest.mark.parametrize("share, words", [(0.953, "95%"), (0.996, "99.6%"), (0.9996, ">99.9%"), (0.99999, ">99.9%"), (1.0, "100%"),
                                          (0.0002, "<0.1%"), (0.0, "0%"), (float("nan"), "unknown")])
def test_percentages_never_round_to_all_or_nothing(share, words):
    assert percent(share) == words


def test_a_diverged_landscape_draws_its_last_frame(tmp_path):
    run = synthetic_run(frames=6, hidden_layers=[60], optimizer="sgd", diverged_at=200)
    animation = LandscapeAnimation(run, synthetic_landscape(run, diverged=True))
    rendering.write_animation(animation, run, tmp_path / "landscape.gif")
    frames, _, _, _ = decode_gif(tmp_path / "landscape.gif")
    assert len(frames) == len(run.frame_epochs)


def test_a_landscape_of_other_frames_than_the_runs_is_refused():
    run = synthetic_run(frames=6, hidden_layers=[60], optimizer="sgd")
    other = synthetic_landscape(synthetic_run(frames=8, hidden_layers=[60], optimizer="sgd"))
    with pytest.raises(ValueError, match="one a frame"):
        LandscapeAnimation(run, other)


# --- comparison --------------------------------------------------------------------------------------

def test_the_comparison_draws_a_landscape_panel_per_run_and_every_runs_sharpness_on_one_plot(tmp_path):
    runs = [synthetic_run(frames=8, hidden_layers=[60], optimizer="sgd"), synthetic_run(frames=8, hidden_layers=[60])]
    items = [(runs[0], synthetic_spectrum(runs[0]), synthetic_landscape(runs[0])),
             (runs[1], synthetic_spectrum(runs[1], preconditioned=True), synthetic_landscape(runs[1]))]
    draw_curvature_comparison(items, tmp_path / "curvature_compare.png", labels=["SGD", "Adam"])
    pixels = png_pixels(tmp_path / "curvature_compare.png")
    assert pixels.shape[1] >= 800


def test_a_landscape_of_many_nets_says_its_error_is_net_0s_and_one_never_finite_still_draws():
    run = synthetic_run(nets=3, frames=6, hidden_layers=[60], optimizer="sgd")
    landscape = synthetic_landscape(run)
    animation = LandscapeAnimation(run, landscape)
    assert animation.loss_label.startswith("net 0's")
    blank = GappedLandscape(**{**landscape.__dict__, "values": np.full_like(landscape.values, np.nan),
                               "line_values": np.full_like(landscape.line_values, np.inf)})
    assert LandscapeAnimation(run, blank).frame(2).shape == (360, 800, 4)


def test_a_header_of_many_lines_leaves_the_words_under_the_line_panel_and_clear_of_it():
    run = synthetic_run(frames=6, hidden_layers=[60], optimizer="sgd")
    run.summary.trained = " · ".join(["1x60 sigmoid · sgd lr 0.01 · a long list of knobs turned"] * 4)
    animation = LandscapeAnimation(run, synthetic_landscape(run))
    animation.frame(0)
    renderer = animation.canvas.get_renderer()
    panel = animation.line.xaxis.get_tightbbox(renderer)  # its tick labels and x label
    assert animation.canvas.get_width_height()[1] > 360
    for text in animation.words:
        extent = text.get_window_extent(renderer)
        assert extent.y1 <= panel.y0 + 1 and extent.y0 >= 0 and extent.x1 <= 800
