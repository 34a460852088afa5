"""What report.html's script draws, as the page embeds it: a run's numbers at the page's frames
(bit for bit, in their stored precision, base64), its curves and what is only drawn (at display
precision), the inside of its first net, and the data of a page of several runs or of a study."""

from __future__ import annotations

import base64

import matplotlib
import numpy as np

from drawing.comparison import compare_frame_epochs, latest_snapshot, panel_limits
from drawing.curves import (curve_points, divergence_epoch, drawable_predictions, ended_words, error_range,
                            final_held_out_errors, held_out_curve, held_out_error_curve, past_end_words, per_epoch_curve,
                            restored_epochs, restored_frame_label, shared_axis_epochs, training_curve,
                            training_error_band, training_error_curve, truth_label)
from drawing.diagnostics import (SMALL_PANEL_COLORS, distinct_units, gradient_norm, kernel_norm, layer_colors,
                                 layer_words, learning_rate, saturation, value_limits)
from drawing.knob_curves import knob_curves, off_plot_words
from drawing.fit_panel import FEW_POINTS, fit_limits
from drawing.residual_analysis import (RESIDUAL_COLORMAP, colormap, colour_note, net_residuals, residual_limit,
                                       residual_norm)
from drawing.style import COLORS, thinned
from drawing.unit_curves import drawable_contributions, unit_colors, units_limits
from summaries import StudyRow
from rundir import Run, median_over_nets

# Curves are drawn at display precision: this many significant digits.
CURVE_DIGITS = 5


def encoded(values: np.ndarray | None, dtype: str | None = None) -> dict | None:
    """An array as the page decodes it: its bytes in base64, in their own precision."""
    if values is None:
        return None
    array = np.ascontiguousarray(values, dtype=dtype or values.dtype)
    return {"dtype": str(array.dtype), "shape": list(array.shape), "base64": base64.b64encode(array.tobytes()).decode()}


def display_precision(values: np.ndarray, low: float, high: float) -> dict:
    """Values only drawn, never read as numbers, in 16 bits over [low, high] (65535: not finite);
    a quarter of their float64 size."""
    span = high - low if high > low else 1.0
    scaled = np.round((np.clip(values, low, high) - low) / span * 65534)
    stored = np.where(np.isfinite(values), scaled, 65535).astype(np.uint16)
    return dict(encoded(stored), range=[float(low), float(high)])


def rounded(values: np.ndarray) -> list:
    """A curve's values as JSON numbers at display precision (null where not finite)."""
    return [float(f"{value:.{CURVE_DIGITS}g}") if np.isfinite(value) else None for value in np.asarray(values, float)]


# A seeded run's nets and a net's units are drawn on at most this many grid points (faint or thin
# lines), so that a page of 100 seeds stays under 10 MB and one of a 1x60 net's units under 6 MB.
MAX_NET_POINTS = 100


def per_net(values: np.ndarray) -> np.ndarray:
    """A (..., nets) history as the page states it: the net's own for one net, else the median
    over the nets whose value is finite (as seeds.gif and seeds.png state it)."""
    return values[..., 0] if values.shape[-1] == 1 else median_over_nets(values)


def by_epoch(epochs: np.ndarray, values: np.ndarray) -> np.ndarray:
    """A per-epoch curve (curves.per_epoch_curve) as the page indexes it: at index e, the value of
    the weights after e epochs, as one net states it (per_net), NaN where there is none (the
    held-out error of the untrained net); in the run's own precision."""
    values = per_net(values)
    indexed = np.full(int(epochs[-1]) + 1 if len(epochs) else 1, np.nan, values.dtype)
    indexed[epochs] = values
    return indexed


def curves_data(run: Run, label: str, color: str, frame_epochs: np.ndarray) -> dict:
    """What the page states and draws of a run's errors, whatever it fits, at the page's frames
    (frame_epochs: each shows the run's latest frame at or before it): one net's numbers or the
    medians over many, its errors by epoch (exact) and its error curves (as drawn), and how it ended."""
    # Index e: the training error and the held-out error of the weights after e epochs.
    train_after = by_epoch(*training_error_curve(run))
    held_out_after = by_epoch(*held_out_error_curve(run))
    curve_epochs, curve_train = training_curve(run)
    held_epochs, curve_held_out = held_out_curve(run)
    return {
        "name": run.name, "label": label, "color": color, "trained": run.training_description, "status": run.status,
        # Where its error stopped being finite, as the pictures count and say it (curves.divergence_epoch).
        "divergence_epoch": divergence_epoch(run), "ended": ended_words(run), "past_end": past_end_words(run),
        "nets": run.nets, "seeds": [int(seed) for seed in run.seeds], "noise_floor": run.noise_floor,
        "frame_epochs": [int(epoch) for epoch in run.frame_epochs],
        "frame_index": [latest_snapshot(run, int(epoch)) for epoch in frame_epochs],
        "frame_loss": encoded(per_net(run.frame_loss)), "train_after": encoded(train_after),
        "held_out_after": encoded(held_out_after),
        # The curves as drawn: thinned to a few thousand points on log-spaced epochs.
        "curve_epochs": [int(epoch) for epoch in curve_epochs], "curve_train": rounded(per_net(curve_train)),
        "curve_held_out": rounded(np.interp(curve_epochs, held_epochs, per_net(curve_held_out))),
        "epochs_requested": run.epochs_requested, "restored": restored_data(run),
    }


def run_data(run: Run, label: str, color: str, frame_epochs: np.ndarray, limits, with_units: bool = True,
             net_points: int = MAX_NET_POINTS, curve_points: int | None = None) -> dict:
    """One run as the page shows it, at the page's frames (frame_epochs: each shows the run's latest
    frame at or before it): one net's numbers, or for many seeds the medians, the 10-90% band and
    every net (on at most net_points grid points, its error curve on at most curve_points epochs,
    by default all the curve's); limits: its fit panel's (x, y) data limits."""
    curve_epochs, curve_train = training_curve(run)
    x_limits, data_limits = limits
    contributions = drawable_contributions(run) if with_units else None
    y_limits = units_limits(data_limits, [contributions])
    predictions = drawable_predictions(run)
    data = curves_data(run, label, color, frame_epochs)
    data.update({
        "axis_names": list(run.axis_names), "truth_label": truth_label(run) if run.y_grid_true is not None else None,
        "x_train": encoded(run.x_train), "y_train": encoded(run.y_train), "x_grid": encoded(run.x_grid),
        "few_points": len(run.x_train) < FEW_POINTS,
        "y_grid_true": encoded(run.y_grid_true),
        "x_limits": list(x_limits), "y_limits": list(y_limits), "units": None,
    })
    if run.nets == 1:
        # As fit.gif draws it: a blown-up net's last finite prediction (the numbers shown stay the run's).
        data["predictions"] = encoded(predictions[:, 0])
    else:
        data.update(seeds_data(run, predictions, y_limits, curve_epochs, curve_train, net_points,
                               curve_points or len(curve_epochs)))
    if contributions is not None:
        low, high = data["y_limits"]
        reach = high - low  # a unit beyond the panel is drawn at its edge, as units.gif does
        columns = thinned(len(run.x_grid), MAX_NET_POINTS)
        shifted = contributions[:, :, columns] - run.units_baseline
        data.update(units=display_precision(shifted, low - reach - run.units_baseline, high + reach - run.units_baseline),
                    unit_columns=[int(column) for column in columns], unit_count=int(contributions.shape[1]),
                    units_baseline=run.units_baseline,
                    unit_colors=[matplotlib.colors.to_hex(color) for color in unit_colors(contributions)])
    return data


def restored_data(run: Run) -> dict | None:
    """How the page states a last frame of restored best weights: its label (curves.restored_frame_label),
    the epoch whose weights it shows (one net's; many nets' differ: null) and its (median) held-out
    error, summary.json's; None when nothing was restored."""
    best = restored_epochs(run)
    if best is None:
        return None
    return {"label": restored_frame_label(run), "epoch": int(best[0]) if run.nets == 1 else None,
            "held_out": float(per_net(final_held_out_errors(run)))}


def shared_data(runs: list[Run], frame_epochs: np.ndarray, knobs: bool = False) -> dict:
    """What every page has: its frames, the colours, and the error panel's shared axes (with room
    for a run's penalty and batch mean, with knobs)."""
    return {"frame_epochs": [int(epoch) for epoch in frame_epochs], "fps": runs[0].config.render.fps, "colors": COLORS,
            "epoch_limits": [1, max(2, shared_axis_epochs(runs))], "error_limits": list(error_range(runs, knobs))}


def one_run_data(run: Run, with_units: bool = True) -> dict:
    """A run's page: the run (its units too, unless told not to), the curves its knobs add beside
    its error (penalty, batch mean, learning rate) and inside its first net, the diagnostics and
    residuals."""
    data = shared_data([run], run.frame_epochs, knobs=True)
    data.update(runs=[run_data(run, run.name, COLORS["net"], run.frame_epochs, fit_limits([run]), with_units)],
                diagnostics=diagnostics_data(run), residuals=residuals_data(run),
                epoch_quantities=epoch_quantities_data(run), knob_curves=knob_curves_data(run),
                learning_rate=learning_rate_data(run))
    return data


def knob_curves_data(run: Run) -> list[dict]:
    """The curves beside the training error (knob_curves.knob_curves: the penalty, the batch mean) as
    drawn, where they leave the error panel (off_plot: words or None), and by epoch (by_epoch, in their own
    precision) for the hover to read."""
    curves, limits = [], error_range([run], knobs=True)  # the error panel's, as shared_data gives them
    for curve in knob_curves(run):
        epochs, values = curve.drawn()
        curves.append({"name": curve.name, "label": curve.label, "off_plot": off_plot_words(curve, limits),
                       "color": curve.color, "alpha": curve.alpha, "width": curve.width,
                       "dash": [2 * length for length in curve.dashes],  # in pixels, as the page draws it
                       "epochs": [int(epoch) for epoch in epochs], "values": rounded(values),
                       "after": encoded(by_epoch(curve.epochs, curve.values))})
    return curves


def learning_rate_data(run: Run) -> dict | None:
    """The learning rate's small panel under the error curves, as units.gif draws it (diagnostics.learning_rate,
    a rate of 0 drawn at the smallest above it), and its values by epoch for the hover; None where the
    rate did not change."""
    diagnostic = learning_rate(run)
    if diagnostic.curves is None:
        return None
    (epochs, values), = diagnostic.curves
    rates = run.per_epoch["learning_rate"]
    return {"title": diagnostic.titles[0], "limits": list(value_limits([diagnostic])),
            "color": SMALL_PANEL_COLORS["learning_rate"], "epochs": [int(epoch) for epoch in epochs],
            "values": rounded(per_net(values)),
            "after": encoded(by_epoch(*per_epoch_curve(rates, run.quantity("epoch.learning_rate").weights)))}


def epoch_quantities_data(run: Run, points: int = 1000) -> dict:
    """Every per-epoch quantity the run recorded, as its summary.json declares it (quantities.py):
    the net's own (or the median over the nets) on about `points` log-spaced epochs, at the epochs
    of the weights each describes."""
    data = {}
    for name, values in run.per_epoch.items():
        quantity = run.quantity(f"epoch.{name}")
        epochs, thinned_values = curve_points(values, points, quantity.first_epoch)
        data[quantity.key] = {"description": quantity.description, "unit": quantity.unit, "epochs": epochs.tolist(),
                              "values": rounded(per_net(thinned_values))}
    return data


def diagnostics_data(run: Run) -> list[dict]:
    """Net 0's gradient norm, distinct units and saturated share over the epochs, as units.gif
    draws them beside its units (those the run recorded), with each frame's mark, each line in its
    colour and, at the right of the title, which line is which (its hidden layers)."""
    panels = []
    layers = len(run.config.hidden_layers)
    for diagnostic in (gradient_norm(run), kernel_norm(run), distinct_units(run), saturation(run)):
        if diagnostic.curves is None:
            continue
        per_layer = diagnostic.name == "saturated_fraction"
        colors = layer_colors(layers) if per_layer else [SMALL_PANEL_COLORS.get(diagnostic.name, COLORS["net"])]
        panels.append({
            "title": diagnostic.titles[0], "log": diagnostic.log_scale, "limits": list(value_limits([diagnostic])),
            "legend": [list(word) for word in layer_words(layers)] if per_layer else [],
            "lines": [{"epochs": [int(epoch) for epoch in epochs], "values": rounded(values[:, 0]), "color": color}
                      for (epochs, values), color in zip(diagnostic.curves, colors)],
            "mark_epochs": [int(epoch) for epoch in diagnostic.mark_epochs],
            "mark_values": [rounded(values) for values in np.transpose(diagnostic.mark_values)],
        })
    return panels


def residuals_data(run: Run) -> dict:
    """Net 0's residual over x and frames as residuals.png colours it (its colour map and
    symmetric-log scale), as RGBA pixels: a row per frame, at most 200 columns."""
    item = net_residuals(run, 0)
    limit = residual_limit([run], [item])
    columns = thinned(len(item.x), 200)
    pixels = colormap(RESIDUAL_COLORMAP)(residual_norm(limit, [item])(item.values[:, columns]), bytes=True)
    return {"rgba": encoded(np.ascontiguousarray(pixels, dtype=np.uint8)), "columns": int(len(columns)),
            "x_range": [float(item.x[columns[0]]), float(item.x[columns[-1]])],
            "title": ("prediction − " + (truth_label(run) if item.against_truth else "data at the training points")
                      + f" (red: too high, blue: too low; ±{limit:.2g} and beyond, symmetric log"
                      + "".join(f"; {note}" for note in [colour_note([item], [limit])] if note) + ")")}


def seeds_data(run: Run, predictions: np.ndarray, y_limits, curve_epochs: np.ndarray, curve_train: np.ndarray,
               net_points: int, curve_points: int) -> dict:
    """A seeded run's median prediction (its own precision), and at display precision its 10-90%
    band, every net (on at most net_points grid points) and every net's training curve (as
    log10, on at most curve_points epochs). A net whose error is no longer finite is left out of the median and band at that
    frame, as seeds.gif leaves it out."""
    alive = np.isfinite(run.frame_loss)  # (frames, nets)
    kept = np.where(alive[:, :, None], predictions, np.nan)
    # Frame by frame over the nets alive there, as seeds.gif computes them (np.nanpercentile over
    # the whole array gives the same numbers 50 times slower).
    low, median, high = np.full((3,) + predictions[:, 0].shape, np.nan)
    for frame, nets_alive in enumerate(alive):
        if nets_alive.any():
            low[frame], median[frame], high[frame] = np.percentile(predictions[frame][nets_alive], [10, 50, 90], axis=0)
    low_limit, high_limit = y_limits
    reach = high_limit - low_limit
    columns = thinned(len(run.x_grid), net_points)
    return {
        "predictions": encoded(median.astype(np.float32)),
        "band_low": display_precision(low, low_limit - reach, high_limit + reach),
        "band_high": display_precision(high, low_limit - reach, high_limit + reach),
        "net_columns": [int(column) for column in columns],
        "net_predictions": display_precision(kept[:, :, columns], low_limit - reach, high_limit + reach),
        **net_curves_data(run, curve_epochs, curve_train, curve_points),
    }


def log_display_precision(curves: np.ndarray, limits) -> dict:
    """Error curves (points, nets) as each net's row of their log10, at display precision over a
    decade past the error panel's limits each way."""
    with np.errstate(all="ignore"):
        logs = np.log10(np.where(curves > 0, curves, np.nan))
    low, high = (np.log10(value) for value in limits)
    return display_precision(np.transpose(logs), low - 1, high + 1)


def net_curves_data(run: Run, curve_epochs: np.ndarray, curve_train: np.ndarray, curve_points: int) -> dict:
    """Every net's training error curve (as log10, on at most curve_points of the curve's epochs, at
    display precision) and its training error at each of its frames (exact), for the page to draw
    faint and to pick a net out."""
    curve_columns = thinned(len(curve_epochs), curve_points)
    return {"net_curve_epochs": [int(epoch) for epoch in curve_epochs[curve_columns]],
            "net_curves": log_display_precision(curve_train[curve_columns], error_range([run])),
            "net_frame_loss": encoded(run.frame_loss.astype(np.float32))}

def several_runs_data(runs: list[Run], labels: list[str], colors: list[str], net_points: int = MAX_NET_POINTS) -> dict:
    """The data of a page of several runs, in step at every epoch any of them has a frame at (as
    compare.gif steps), each in its own panel with shared scales where the data allow."""
    frame_epochs = compare_frame_epochs(runs)
    data = shared_data(runs, frame_epochs)
    data["several"] = True
    # A net's error curve is drawn here only when the net is picked: on fewer epochs.
    data["runs"] = [run_data(run, label, color, frame_epochs, limits, with_units=False, net_points=net_points,
                             curve_points=SEVERAL_RUNS_CURVE_POINTS)
                    for run, label, color, limits in zip(runs, labels, colors, panel_limits(runs))]
    return data


# A page of several seeded runs (a study's) draws every net of all of them on at most this many
# values in all (2 bytes each), spread over grid points: 37 points a net for the post's study of
# 4 x 50 seeds, 10 (MIN_NET_POINTS, the least) for 9 experiments of 100 seeds.
EVERY_NET_VALUES = 1_500_000
MIN_NET_POINTS = 10
SEVERAL_RUNS_CURVE_POINTS = 500


def study_net_points(runs: list[Run]) -> int:
    """How many grid points each net of a study's page is drawn on (EVERY_NET_VALUES)."""
    values_per_point = sum(len(run.frame_epochs) * run.nets for run in runs if run.nets > 1)
    return int(np.clip(EVERY_NET_VALUES // max(values_per_point, 1), MIN_NET_POINTS, MAX_NET_POINTS))


def error_bands_data(runs: list[Run]) -> list[dict | None]:
    """Each seeded run's band of training error between its nets' 10th and 90th percentile, at its
    curve's epochs (run_data's curve_epochs), as compare.png shades it; None for a run of one net."""
    bands = []
    for run in runs:
        if run.nets == 1:
            bands.append(None)
            continue
        _, low, _, high = training_error_band(run)
        bands.append({"low": rounded(low), "high": rounded(high)})
    return bands


def study_data(runs: list[Run], rows: list[StudyRow], labels: list[str], colors: list[str]) -> dict:
    """The data of a study's page: each cell's seeded run in step (several_runs_data), and each
    seed's final held-out error with the cells' percentiles (rows: the study's table rows)."""
    data = several_runs_data(runs, labels, colors, net_points=study_net_points(runs))
    finals = [run.summary.final_held_out_errors()
              for run in runs]
    values = np.concatenate([final[np.isfinite(final)] for final in finals]
                            + [np.array([run.noise_floor]) for run in runs if run.noise_floor])
    low, high = (float(values.min()), float(values.max())) if len(values) else (1e-3, 1.0)
    data.update(final_errors=[encoded(final) for final in finals],
                final_limits=[low / 1.5, high * 1.5],
                final_percentiles=[[row.p10, row.median, row.p90] for row in rows])
    return data
