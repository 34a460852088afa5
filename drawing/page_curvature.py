"""What a run's page (report.html) shows of its curvature (curvature.Views), as page.js draws it:
net 0's sharpness against the optimizer's stability threshold, its smallest eigenvalue and how
many of its eigenvalues are negative and near zero, over log epochs as curvature.png draws them;
the objective over the plane of its path in landscape.gif's greys, the path so far and the frame's
point; the objective on the straight line from the initial to the final weights; or the few words
on why the run has none. The numbers the page states at a frame are the spectrum's own float64,
bit for bit (page_data.encoded); what is only drawn is rounded (page_data.rounded).
"""

from __future__ import annotations

import numpy as np
from matplotlib.colors import to_hex

from curvature import Landscape, Spectrum, Views
from drawing.curvature_figures import (CURVATURE_COLORS, HESSIAN_WORDS, NEAR_ZERO_WORDS, SHARPNESS_NAMES,
                                       EigenvaluesShown, held_against_threshold, log_limits, sharpness_curves, spread,
                                       threshold_label)
from drawing.landscape_frames import OBJECTIVE_COLORS, objective_levels, percent, plane_words
from drawing.page_data import encoded, rounded
from rundir import Run

# What the page says when it was given no curvature at all (rendering a run without working it out).
NOT_WORKED_OUT = "curvature not worked out for this page"


def curvature_data(run: Run, views: Views | None) -> dict:
    """The page's curvature: its note (empty when there is nothing to say), net 0's spectrum and its
    landscape where the views have them (None where not)."""
    if views is None:
        return {"note": NOT_WORKED_OUT, "spectrum": None, "landscape": None}
    note = views.note or ("" if views.spectrum is not None or views.landscape is not None else NOT_WORKED_OUT)
    return {"note": note,
            "spectrum": None if views.spectrum is None else spectrum_data(run, views.spectrum),
            "landscape": None if views.landscape is None else landscape_data(run, views.landscape)}


def one_a_frame(run: Run, count: int, what: str) -> None:
    if count != len(run.frame_epochs):
        raise ValueError(f"the {what} has {count} frames, the run {len(run.frame_epochs)}: they must be one a frame")


def exact(values: np.ndarray, finite: np.ndarray) -> dict:
    """Net 0's values at every frame in float64 (NaN where its eigenvalues are not all finite)."""
    return encoded(np.where(finite, np.asarray(values, dtype=np.float64), np.nan))


def spectrum_data(run: Run, spectrum: Spectrum) -> dict:
    """Net 0's numbers at every frame, exact (sharpness, the one held against the threshold, the
    threshold, the smallest eigenvalue, the counts), and the curves as curvature.png draws them: over
    the epochs from 1, the nets' median sharpness where there are several, the near-zero band."""
    one_a_frame(run, len(spectrum.frame_epochs), "spectrum")
    shown = EigenvaluesShown(spectrum)
    finite = np.isfinite(spectrum.eigenvalues[:, 0]).all(axis=-1)
    compared = held_against_threshold(spectrum)
    curves = sharpness_curves(spectrum)
    parameters = int(spectrum.eigenvalues.shape[-1])
    threshold = spectrum.threshold
    data = {
        "title": f"{HESSIAN_WORDS} · {parameters} parameters (weights and biases)",
        "parameters": parameters, "nets": int(len(spectrum.nets)),
        "compared": compared, "names": SHARPNESS_NAMES,
        "sharpness": exact(spectrum.sharpness[:, 0], finite),
        "preconditioned": (None if spectrum.preconditioned_sharpness is None
                           else exact(spectrum.preconditioned_sharpness[:, 0], finite)),
        "threshold": None if threshold is None else encoded(np.asarray(threshold.values, dtype=np.float64)),
        "threshold_label": None if threshold is None else threshold_label(spectrum),
        "reference_only": threshold is not None and threshold.reference_only,
        "smallest": exact(spectrum.smallest[:, 0], finite),
        "negative": exact(spectrum.negative_count[:, 0], finite),
        "near_zero": exact(spectrum.near_zero_count[:, 0], finite),
        # Drawn: the epochs from 1, as every epoch axis of the pictures.
        "epochs": [int(epoch) for epoch in curves["epochs"]],
        "tolerance": rounded(shown.tolerance), "linear_within": shown.linear_within,
        "median": None, "diverged_epoch": shown.diverged_epoch,
        "sharpness_limits": list(log_limits(np.concatenate([np.ravel(curve) for name, curve in curves.items()
                                                            if name != "epochs"]))),
        "colors": CURVATURE_COLORS, "near_zero_words": NEAR_ZERO_WORDS,
    }
    if len(spectrum.nets) > 1:
        data["median"] = rounded(spread(curves[compared])[1])
    smallest = shown.eigenvalues[:, 0]
    reach = 3 * max(float(np.nanmax(np.abs(smallest))) if np.isfinite(smallest).any() else 1.0, shown.linear_within)
    data["smallest_limits"] = [-reach, reach]
    data["smallest_ticks"] = symmetric_ticks(shown.linear_within, reach)
    return data


def symmetric_ticks(linear_within: float, reach: float) -> list[float]:
    """0 and ± the powers of ten beyond the linear middle, every other one where they are many: the
    ticks curvature.png's symmetric log axes have (curvature_figures.symmetric_log_axis)."""
    powers = 10.0 ** np.arange(np.ceil(np.log10(linear_within * 1.5)), np.floor(np.log10(reach)) + 1)
    if len(powers) > 4:
        powers = powers[::-1][::2][::-1]
    return [float(tick) for tick in np.concatenate([-powers[::-1], [0.0], powers])]


def objective_pixels(values: np.ndarray) -> tuple[np.ndarray, list]:
    """The objective over the plane as landscape.gif's filled contours colour it: each grid point in
    the colour of its band between two log-spaced levels (matplotlib colours a band by its levels'
    midpoint), blank where not finite or not positive; (rows, columns, 4) RGBA bytes, and the bands
    for the colour bar, [low, high, colour] each."""
    levels, norm = objective_levels(values)
    middles = (levels[:-1] + levels[1:]) / 2
    colors = OBJECTIVE_COLORS(norm(middles), bytes=True)  # (bands, 4)
    usable = np.isfinite(values) & (values > 0)
    with np.errstate(invalid="ignore"):
        band = np.clip(np.searchsorted(levels, np.clip(values, levels[0], levels[-1]), side="left") - 1,
                       0, len(middles) - 1)
    pixels = np.where(usable[..., None], colors[np.where(usable, band, 0)], 0).astype(np.uint8)
    bands = [[float(low), float(high), to_hex(color / 255)] for low, high, color in zip(levels[:-1], levels[1:], colors)]
    return np.ascontiguousarray(pixels), bands


def landscape_data(run: Run, landscape: Landscape) -> dict:
    """The plane's grid as pixels (objective_pixels, row 0 the lowest along the second direction),
    its axes, the path (exact), the objective at each frame on the plane and at its weights, the
    words landscape.gif says, and the straight line from the initial to the final weights."""
    one_a_frame(run, len(landscape.path), "landscape")
    values = np.asarray(landscape.values, dtype=np.float64)
    pixels, bands = objective_pixels(values)
    line = np.asarray(landscape.line_values, dtype=np.float64)
    line = np.where(np.isfinite(line) & (line > 0), line, np.nan)
    first, second = landscape.explained_variance
    return {
        "rgba": encoded(pixels), "rows": int(values.shape[0]), "columns": int(values.shape[1]),
        "axis_a": [float(landscape.axis_a[0]), float(landscape.axis_a[-1])],
        "axis_b": [float(landscape.axis_b[0]), float(landscape.axis_b[-1])],
        "x_label": f"PC1 ({percent(float(first))} of the path's variance)", "y_label": f"PC2 ({percent(float(second))})",
        "bands": bands, "path": encoded(np.asarray(landscape.path, dtype=np.float64)),
        "path_values": encoded(np.asarray(landscape.path_values, dtype=np.float64)),
        "frame_objective": encoded(np.asarray(landscape.frame_objective, dtype=np.float64)),
        "words": plane_words(landscape),
        "line_alphas": rounded(landscape.line_alphas), "line_values": rounded(line),
        "line_limits": list(log_limits(line)),
    }


def sharpness_comparison_data(runs: list[Run], labels: list[str], colors: list[str],
                              views: list[Views | None]) -> dict | None:
    """A comparison page's sharpness of every run on one plot, as the curvature comparison draws it:
    each run's (the nets' median where several), the one held against its threshold, in its colour,
    its threshold dashed (dotted as a reference only); the notes of the runs without. None when no
    run has a spectrum."""
    curves, notes, values = [], [], []
    for run, label, color, view in zip(runs, labels, colors, views):
        spectrum = None if view is None else view.spectrum
        if spectrum is None:
            notes.append(f"{label}: {view.note if view is not None and view.note else NOT_WORKED_OUT}")
            continue
        one_a_frame(run, len(spectrum.frame_epochs), "spectrum")
        drawn = sharpness_curves(spectrum)
        compared = held_against_threshold(spectrum)
        sharpness = spread(drawn[compared])[1]
        threshold = drawn.get("threshold")
        values += [sharpness] + ([] if threshold is None else [threshold])
        curves.append({"label": label, "color": color, "epochs": [int(epoch) for epoch in drawn["epochs"]],
                       "name": SHARPNESS_NAMES[compared] + (", median over the nets" if len(spectrum.nets) > 1 else ""),
                       "sharpness": rounded(sharpness), "threshold": None if threshold is None else rounded(threshold),
                       "threshold_label": None if threshold is None else threshold_label(spectrum),
                       "reference_only": spectrum.threshold is not None and spectrum.threshold.reference_only})
    if not curves:
        return None
    return {"curves": curves, "notes": notes, "limits": list(log_limits(np.concatenate(values)))}
