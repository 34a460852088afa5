"""residuals.png: where along x, and at which frequencies, a net's prediction misses the true
function, frame by frame; and the same for several runs, a row each (animate.py compare).

The heat map shows the residual, prediction minus truth, at every point of the grid (x across)
and every frame (its epoch upwards, on a symmetric-log axis: epoch 0, the untrained net, in the
linear part at the bottom, the later epochs logarithmic). The frequency panel beside it shows how
much of that residual sits at each frequency along x: nets are known to fit low frequencies
first ("spectral bias"), and the panel shows which are fitted when. Where no true function is
known, the heat map shows the residuals at the training points and there is no frequency panel.
A run of several seeds is drawn by its first net.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import LogNorm, SymLogNorm
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator, NullLocator

from drawing.comparison import shared_scales
from drawing.curves import ended_words, prepare_fonts, restored_frame_label, run_title, status_caption, truth_label
from drawing.residual_analysis import (ENERGY_SHARE, RESIDUAL_COLORMAP, SPECTRUM_COLORMAP, Residuals, calm_rows,
                                       colormap, colour_note, energy_above, frequency_cutoff, main_frequencies,
                                       net_residuals, off_scale_rows, residual_limit, residual_norm, spectrum_norm)
from drawing.style import COLORS, DPI, axis_name, plain_text, text_width, thinned, wrapped
from rundir import Run
from summaries import NO_FLOOR_WORDS

# The epoch axis is linear from 0 to 1 (the rows of the untrained net and of the first epoch) and
# logarithmic above; its linear part is as tall as half a power of ten.
EPOCH_LINEAR_SCALE = 0.5
# More cells than the picture has pixels only slow it down: a run of up to 5000 frames on a grid
# of up to 10,000 points is thinned to about these many rows and columns.
MAX_ROWS, MAX_COLUMNS = 600, 500
ROW_HEIGHT_INCHES = 2.5  # of a run's row in compare's picture


def cell_edges(centres: np.ndarray, transform=None) -> np.ndarray:
    """The edges of cells centred on `centres`, halfway between neighbours as measured after
    `transform` (an axis's scale) where given."""
    forward = transform.transform if transform else np.asarray
    backward = transform.inverted().transform if transform else np.asarray
    positions = forward(np.asarray(centres, dtype=np.float64))
    if len(positions) == 1:
        return backward(positions[0] + np.array([-0.5, 0.5]))
    middles = (positions[1:] + positions[:-1]) / 2
    return backward(np.concatenate([[2 * positions[0] - middles[0]], middles, [2 * positions[-1] - middles[-1]]]))


def style_epoch_axis(axes, epochs: np.ndarray) -> None:
    """Epochs upwards: 0 and 1 on a linear stretch, then logarithmic; each frame's row centred on its epoch."""
    axes.set_yscale("symlog", linthresh=1, linscale=EPOCH_LINEAR_SCALE)
    edges = cell_edges(epochs, axes.yaxis.get_transform())
    # The untrained net's row reaches below 0 by half its height, but never to epoch -1 (when
    # the next frame is far away), which would make the axis label a negative epoch.
    axes.set_ylim(max(edges[0], -0.5), edges[-1])
    axes.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:,.0f}"))
    axes.set_ylabel("epoch (0, then log scale)")


def draw_heat_map(axes, residuals: Residuals, norm: SymLogNorm):
    """The residual at every point and frame; returns the mesh, for the colour bar."""
    rows, columns = thinned(len(residuals.epochs), MAX_ROWS), thinned(len(residuals.x), MAX_COLUMNS)
    style_epoch_axis(axes, residuals.epochs)
    x_edges = cell_edges(residuals.x[columns])
    mesh = axes.pcolormesh(x_edges, cell_edges(residuals.epochs[rows], axes.yaxis.get_transform()),
                           np.ma.masked_invalid(residuals.values[np.ix_(rows, columns)]), norm=norm,
                           cmap=colormap(RESIDUAL_COLORMAP), shading="flat")
    axes.set_xlim(x_edges[0], x_edges[-1])
    x_name = axis_name(residuals.x_name)
    axes.set_xlabel(x_name if residuals.against_truth else f"{x_name} (at the training points)")
    axes.set_label("heat map")
    return mesh


def draw_spectrum(axes, residuals: Residuals, norm: LogNorm, cutoff: float, limit: float):
    """The residual's amplitude at each frequency up to the cut-off, in every frame; returns the mesh."""
    shown = residuals.frequencies <= cutoff + 1e-9
    rows = thinned(len(residuals.epochs), MAX_ROWS)
    # Amplitudes below the scale are drawn in its lowest colour: a zero is no amplitude, not a
    # fault. NaN (a residual not finite) stays NaN. A frame off the heat map's scale is off this
    # one's too, whole: how a blow-up's amplitudes spread over frequencies says nothing.
    amplitudes = np.maximum(residuals.amplitudes[np.ix_(rows, shown)], norm.vmin)
    amplitudes[off_scale_rows(residuals.values[rows], limit)] = 10 * norm.vmax
    style_epoch_axis(axes, residuals.epochs)
    frequency_edges = cell_edges(residuals.frequencies[shown])
    mesh = axes.pcolormesh(frequency_edges, cell_edges(residuals.epochs[rows], axes.yaxis.get_transform()),
                           np.ma.masked_invalid(amplitudes), norm=norm, cmap=colormap(SPECTRUM_COLORMAP),
                           shading="flat")
    axes.set_xlim(frequency_edges[0], frequency_edges[-1])
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_ylabel("")
    axes.set_label("spectrum")
    return mesh


def frequency_label(runs: list[Run], residuals: list[Residuals], cutoff: float, limit: float) -> str:
    """The frequency axis's label: its unit, where the true function shows in the cosine
    transform (when the runs agree on it), and what lies beyond the cut-off when it matters."""
    lines = ["frequency along x (cycles per 2π of x)"]
    truths = {(truth_label(run), tuple(round(value, 1) for value in main_frequencies(run)))
              for run in runs if run.y_grid_true is not None}
    if len(truths) == 1:
        label, frequencies = truths.pop()
        if 0 < len(frequencies) <= 3:
            listed = " and ".join(", ".join(f"{value:g}" for value in frequencies).rsplit(", ", 1))
            line = f"cosine transform: the {label} itself shows at {listed}"
            # A long function's name takes a line of its own, so the words stay under the panel.
            lines.append(line if len(line) <= 60 else line.replace(" itself shows", "\nitself shows"))
    above = max(energy_above(item.frequencies, item.amplitudes[calm_rows(item.values, limit)], cutoff)
                for item in residuals if item.amplitudes is not None)
    if above >= 1 - ENERGY_SHARE:
        lines.append(f"above {cutoff:g}, not shown: up to {above:.0%} of a frame's residual energy")
    return "\n".join(lines)


def residual_colorbar(figure, mesh, axes: list, residuals: list[Residuals], limit: float,
                      aspect: float | None = None) -> None:
    """The heat maps' colour bar: powers of ten, the noise's ±σ marked, off the scale at its ends;
    as long as a column of these axes (rows of heat maps), or, given aspect, that many times its width."""
    off_scale = any(off_scale_rows(item.values, limit).any() for item in residuals)
    bar = figure.colorbar(mesh, ax=axes, extend="both" if off_scale else "neither", pad=0.02,
                          aspect=aspect or colorbar_aspect(len(axes)))
    sigmas = sorted({item.sigma for item in residuals if item.sigma})
    ticks = colorbar_ticks(mesh.norm.linthresh, sigmas, limit)
    bar.set_ticks(sorted({0.0, *ticks, *(-value for value in ticks)}))
    bar.ax.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:.2g}"))
    bar.ax.yaxis.set_minor_locator(NullLocator())
    for sigma in sigmas:
        for value in (sigma, -sigma):
            bar.ax.axhline(value, color=COLORS["truth"], linewidth=1.5)
    against = {item.against_truth for item in residuals}
    label = "prediction − " + ("true function" if against == {True} else "training data" if against == {False}
                               else "true function (or data)")
    if sigmas:
        label += f"\nlines: ± the noise's σ ({', '.join(f'{sigma:g}' for sigma in sigmas)})"
    unknown = any(item.sigma is None for item in residuals)
    if unknown:  # no line drawn where it is not known, and it says so
        label += f"\n{NO_FLOOR_WORDS}" + (" for some runs" if sigmas else "")
    bar.set_label(label, fontsize=9)


def colorbar_aspect(rows: int) -> float:
    """A colour bar's length over its width: as long as its column of rows, and as wide whatever their number."""
    return 20 * (1 + (rows - 1) * 1.2)


def colorbar_ticks(linear_part: float, sigmas: list[float], limit: float) -> list[float]:
    """The positive values the heat maps' colour bar labels: where its linear part ends, each σ,
    and the powers of ten up to the limit that are not so near another that the labels collide."""
    ticks = [linear_part, *sigmas]
    for power in range(-6, 7):
        value = 10.0 ** power
        if linear_part <= value <= limit and all(not 1 / 2.5 < value / tick < 2.5 for tick in ticks):
            ticks.append(value)
    return ticks


def residuals_figure(runs: list[Run], labels: list[str] | None = None) -> Figure:
    """The figure of residuals.png (one run, no labels) or of compare's (a row per run, each with
    its label): the heat maps and, where the truth is known, the frequency panels, on one colour
    scale for all heat maps and one for all frequency panels; or, for runs on data in different
    units (which compare draws on scales of their own: comparison.shared_scales), each row on scales
    of its own. Axes are labelled "heat map" and "spectrum" (Artist.get_label)."""
    prepare_fonts(runs, labels or [])
    residuals = [net_residuals(run) for run in runs]
    with_spectrum = any(item.amplitudes is not None for item in residuals)
    height = 5.0 if labels is None else 1.6 + ROW_HEIGHT_INCHES * len(runs)
    figure = Figure(figsize=(11 if with_spectrum else 8, height), dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)
    grid = figure.subplots(len(runs), 2 if with_spectrum else 1, squeeze=False,
                           width_ratios=[1.5, 1] if with_spectrum else None)
    own_scales = not shared_scales(runs)
    limits = [0.0] * len(runs)
    for rows in [[row] for row in range(len(runs))] if own_scales else [list(range(len(runs)))]:
        items = [residuals[row] for row in rows]
        limit = residual_limit([runs[row] for row in rows], items)
        norm = residual_norm(limit, items)
        meshes = [draw_heat_map(grid[row, 0], residuals[row], norm) for row in rows]
        residual_colorbar(figure, meshes[0], list(grid[rows, 0]), items, limit)
        if with_spectrum:
            draw_spectra(figure, [runs[row] for row in rows], items, grid[rows, 1], limit)
        for row in rows:
            limits[row] = limit
    if labels is None:
        title_one_run(figure, grid[0, 0], runs[0], residuals[0])
    else:
        title_rows(figure, grid[:, 0], runs, residuals, labels, own_scales)
    note = colour_note(residuals, limits)
    if note:
        figure.supxlabel(note, fontsize=9, color=COLORS["note"])
    return figure


def draw_spectra(figure, runs: list[Run], residuals: list[Residuals], column, limit: float) -> None:
    """The frequency panels of a column, on one colour scale and one frequency axis (or, where no
    run's true function is known, the words that say so)."""
    known = [item for item in residuals if item.amplitudes is not None]
    for item, axes in zip(residuals, column):
        if item.amplitudes is None:
            axes.set_axis_off()
            axes.text(0.5, 0.5, "no true function known:\nno frequency panel", ha="center", va="center",
                      transform=axes.transAxes, color=COLORS["note"], fontsize=9)
    if not known:
        return
    norm = spectrum_norm(known, limit)
    cutoff = max(frequency_cutoff(item.frequencies, item.amplitudes[calm_rows(item.values, limit)]) for item in known)
    meshes = [draw_spectrum(axes, item, norm, cutoff, limit)
              for item, axes in zip(residuals, column) if item.amplitudes is not None]
    column[-1].set_xlabel(frequency_label(runs, residuals, cutoff, limit), fontsize=9)
    off_scale = any(off_scale_rows(item.values, limit).any() for item in known)
    bar = figure.colorbar(meshes[-1], ax=list(column), extend="max" if off_scale else "neither", pad=0.02,
                          aspect=colorbar_aspect(len(column)))
    bar.ax.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))  # 0.01, not maths text
    bar.ax.yaxis.set_minor_locator(NullLocator())  # a third of the drawing time, for little
    bar.set_label("amplitude of the residual (log scale)", fontsize=9)
    column[0].set_title("its amplitude at each frequency along x", fontsize=10)


def title_one_run(figure, heat_axes, run: Run, item: Residuals) -> None:
    """What was trained (net 0 of a run of several seeds) and how it ended, above both panels."""
    heat_axes.set_title(f"residual: prediction − {truth_label(run)}" if item.against_truth else
                        "residual at the training points: prediction − data (no true function known)", fontsize=10)
    title_run(figure, run, "top row")


def title_run(figure, run: Run, last_shown: str) -> None:
    """The figure's title: what was trained (net 0 of a run of several seeds) and how it ended, with,
    for restored best weights, which part of the figure (last_shown: 'top row') shows them."""
    seeds = f" · net 0, seed {run.seeds[0]}, of {run.nets}" if run.nets > 1 else ""
    lines = [textwrap.fill(plain_text(run_title(run)) + seeds, 120)]
    caption = status_caption(run)
    restored = restored_frame_label(run, 0)  # net 0's restored best weights
    if caption:
        lines.append(caption.replace("\n", " ") + (f"; {last_shown}: {restored}" if restored else ""))
    figure.suptitle("\n".join(lines), fontsize=11, color=COLORS["marker"] if run.status == "diverged" else "black")


def title_rows(figure, column, runs: list[Run], residuals: list[Residuals], labels: list[str],
               own_scales: bool) -> None:
    """Each row's label and what it trained (net 0 of several seeds), on as many lines as keep it
    over its heat map (a colour bar stands at the right), and the figure's title."""
    same_x = len({(item.x[0], item.x[-1], item.against_truth) for item in residuals}) == 1
    described = []
    for run, item, label, axes in zip(runs, residuals, labels, column):
        if same_x and axes is not column[-1]:
            axes.set_xlabel("")  # the bottom row's says it for all
        parts = [run.training_description]
        if run.nets > 1:
            parts.append(f"net 0, seed {run.seeds[0]}, of {run.nets}")
        if run.status != "completed":
            parts.append(ended_words(run))
        if not item.against_truth:
            parts.append("against the data")
        # The label on a line of its own, shortened: the colour bar stands right of the heat map.
        title = plain_text(textwrap.shorten(label, 60, placeholder="…")) + "\n" + " · ".join(parts)
        style = {"fontsize": 9, "loc": "left", "color": COLORS["marker"] if run.status == "diverged" else "black"}
        axes.set_title(title, **style)
        described.append((axes, title, style))
    scales = ("own colour scales for each run (data in different units)" if own_scales else
              "one colour scale for all heat maps, one for all frequency panels")
    figure.suptitle(f"residuals of {len(runs)} runs, prediction − truth over x and epochs: {scales}", fontsize=11)
    # Where the heat maps stand is known once the layout is worked out; a title wider than its heat
    # map then breaks its second line between parts.
    figure.draw_without_rendering()
    for axes, title, style in described:
        label_line, parts = title.split("\n", 1)
        lines = wrapped(parts, axes.get_window_extent().width, lambda text: text_width(figure, text, fontsize=9))
        axes.set_title("\n".join([label_line, *lines]), **style)


def draw_residuals_png(run: Run, path: str | Path) -> None:
    """residuals.png: one run's residuals (net 0's, for a run of several seeds)."""
    residuals_figure([run]).savefig(path, format="png")


def draw_compare_residuals_png(runs: list[Run], labels: list[str], path: str | Path) -> None:
    """compare's residuals picture: a row per run (its net 0), on shared colour scales."""
    residuals_figure(runs, labels).savefig(path, format="png")
