"""compare.png for runs of two inputs: each run's final map of the plane side by side (its net's
output, or a seeded run's mean or median map, in the colours compare.gif draws it in), over every
run's error curves together and, for classifiers, their accuracy."""

from __future__ import annotations

import math
import textwrap
from pathlib import Path

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from drawing.curves import error_name, prepare_fonts, style_loss_axes
from drawing.figures import compare_error_curves
from drawing.plane_compare_frames import own_words, shared_map_colors, shared_parts
from drawing.plane_frames import BOUNDARY_STYLE, style_accuracy_axes
from drawing.plane_maps import (MapColors, as_map, axis_coordinates, boundary, frame_maps, grid_side, map_extent,
                                median_accuracy, names, point_colors)
from drawing.style import COLORS, DPI, PLANE_RUN_COLORS, axis_name, plain_text
from rundir import Run, median_over_nets
from summaries import format_loss, percent

# Inches: a map's column and row in the picture, and the height of the curves' row under them.
MAP_INCHES, CURVES_INCHES = 3.1, 3.6
# Characters of a map's title line (at 9 points, a map's width), and of a legend entry that leaves
# room for another beside it in the picture's width (at 8 points).
TITLE_CHARACTERS, LEGEND_CHARACTERS = 36, 70


def final_map_frame(run: Run) -> int:
    """The frame whose map compare.png shows: the run's last, or for a run whose map at the end is not
    finite (it diverged) its last one that is."""
    finite = [index for index in range(len(run.frame_epochs)) if np.isfinite(frame_maps(run, index)[0]).all()]
    return finite[-1] if finite else len(run.frame_epochs) - 1


def map_title(run: Run, label: str, shared: list[str], index: int) -> str:
    """A final map's title: the run's label, what it trained that not every run did, the error and
    (of a classifier) the training and held-out accuracy of what the map shows, at which epoch."""
    median = "median " if run.nets > 1 else ""
    loss = float(median_over_nets(run.frame_loss[index]))
    epoch = int(run.frame_epochs[index])
    last = index == len(run.frame_epochs) - 1
    lines = [textwrap.shorten(plain_text(label), TITLE_CHARACTERS, placeholder="…")]
    lines += textwrap.wrap(own_words(run, shared), TITLE_CHARACTERS, break_on_hyphens=False)
    lines.append(f"epoch {epoch:,}{'' if last else ' (its last finite map)'}")
    lines.append(f"{median}{error_name(run)} {format_loss(loss)}")
    if run.config.classifies:
        rates = [median_accuracy(run, name)[index] for name in ("accuracy", "val_accuracy")]
        lines.append(f"{median}accuracy {percent(rates[0])} (held-out {percent(rates[1])})")
    return "\n".join(lines)


def draw_final_map(axes, run: Run, colors: MapColors, index: int) -> None:
    """A run's map at frame `index` (its net's output, or its nets' mean or median), a classifier's
    decision boundary over it, and its training points, as compare.gif's panels draw them."""
    image = as_map(frame_maps(run, index)[0], grid_side(run))
    mappable = axes.imshow(image, cmap=colors.colormap, norm=colors.norm, origin="lower", extent=map_extent(run),
                           interpolation="nearest", aspect="auto")
    level = boundary(run)
    if level is not None and np.isfinite(image).all() and image.min() < level < image.max():
        axes.contour(*axis_coordinates(run), image, levels=[level], **BOUNDARY_STYLE)
    edge = "white" if level is not None else "#1a1a1a"
    axes.scatter(*run.x_train.T, c=point_colors(run, colors, run.y_train), s=9, edgecolors=edge, linewidths=0.4)
    axes.set_box_aspect(1)
    across, up, _ = names(run)
    axes.set_xlabel(axis_name(across), labelpad=1)
    axes.set_ylabel(axis_name(up), labelpad=1)
    axes.tick_params(labelsize=8)
    bar = axes.figure.colorbar(mappable, ax=axes, orientation="horizontal", location="bottom", fraction=0.05,
                              pad=0.03)
    bar.set_label(colors.titles[-2] if len(colors.titles) > 1 else colors.titles[0], fontsize=8)
    if colors.ends:  # a classifier's: the classes at the ends
        bar.set_ticks(colors.ticks, labels=[colors.ends[0], f"{colors.ticks[1]:g}", colors.ends[1]])
    bar.ax.tick_params(labelsize=7)


def accuracy_curves(axes, runs: list[Run], colors: list[str]) -> None:
    """Every run's training accuracy (solid) and held-out accuracy (dashed) at its frames, in its
    colour: of a seeded run, the median of its nets'."""
    values = []
    for run, color in zip(runs, colors):
        shown = run.frame_epochs >= 1  # epoch 0, the untrained net, is off the log axis
        for name, style in (("accuracy", "-"), ("val_accuracy", "--")):
            accuracy = median_accuracy(run, name)
            values.append(accuracy)
            axes.plot(run.frame_epochs[shown], accuracy[shown], color=color, linestyle=style, linewidth=1.3)
    axes.set_xscale("log")  # (before its tick labels are made plain: a new scale makes its own)
    style_accuracy_axes(axes, np.concatenate(values))
    axes.set_ylabel("accuracy")  # (as large as the error's, beside it)
    handles = [Line2D([], [], color=COLORS["note"], linestyle=style, label=words)
               for style, words in (("-", "training"), ("--", "held-out"))]
    axes.legend(handles=handles, loc="lower right", fontsize=8)
    bayes = {run.summary.bayes_error_rate for run in runs}
    if len(bayes) == 1 and None not in bayes:  # the best accuracy any classifier can have here
        best = 1 - bayes.pop()
        axes.axhline(best, color=COLORS["floor"], linestyle="--", linewidth=1.2)
        axes.text(1.02, best, f"Bayes\n{percent(1 - best)} error", transform=axes.get_yaxis_transform(), fontsize=7,
                  va="center", color=COLORS["floor"])
    axes.set_title("accuracy" + (" (a seeded run: the median of its nets)" if any(run.nets > 1 for run in runs)
                                 else ""), fontsize=10)


def plane_compare_figure(runs: list[Run], labels: list[str]) -> Figure:
    """compare.png's figure: the final maps in rows (up to four a row), under them the error curves
    (with a legend of the runs) and, when every run classifies, the accuracy beside them."""
    prepare_fonts(runs, labels)
    columns = len(runs) if len(runs) <= 4 else math.ceil(len(runs) / 2)
    rows = math.ceil(len(runs) / columns)
    figure = Figure(figsize=(max(10.0, MAP_INCHES * columns), MAP_INCHES * 1.5 * rows + CURVES_INCHES), dpi=DPI,
                    layout="constrained")
    FigureCanvasAgg(figure)
    maps_figure, curves_figure = figure.subfigures(2, 1, height_ratios=[MAP_INCHES * 1.5 * rows, CURVES_INCHES])
    grid = maps_figure.subplots(rows, columns, squeeze=False)
    shared = shared_parts(runs)
    for axes, run, label, colors, color in zip(grid.ravel(), runs, labels, shared_map_colors(runs), PLANE_RUN_COLORS):
        index = final_map_frame(run)
        draw_final_map(axes, run, colors, index)
        axes.set_title(map_title(run, label, shared, index), fontsize=9, loc="left",
                       color=COLORS["marker"] if run.status == "diverged" else "black")
        for spine in axes.spines.values():  # framed in the run's colour on the curves
            spine.set_edgecolor(color)
            spine.set_linewidth(2.5)
    for axes in grid.ravel()[len(runs):]:
        axes.set_visible(False)
    every_run = f"every run: {' · '.join(shared)}  ·  " if shared else ""
    figure.suptitle(f"the final maps of {len(runs)} runs  ·  {every_run}each map framed in its run's colour on the curves",
                         fontsize=10)
    classifiers = all(run.config.classifies for run in runs)
    panels = curves_figure.subplots(1, 2 if classifiers else 1, squeeze=False, sharex=True)[0]
    error_axes = panels[0]
    error_names = sorted({error_name(run) for run in runs})
    style_loss_axes(error_axes, runs, label=f"training {' or '.join(error_names)} (log scale)")
    note = compare_error_curves(error_axes, runs, labels, PLANE_RUN_COLORS)  # (style_loss_axes drew the Bayes line)
    error_axes.set_title(f"training error of {len(runs)} runs{note}", fontsize=10)
    # The runs' words under both panels, whole: in a panel they would hide its curves.
    handles = [handle for handle in error_axes.get_legend_handles_labels()[0]
               if handle.get_linestyle() not in ("None", "none") or not classifiers]
    longest = max(len(handle.get_label()) for handle in handles)
    curves_figure.legend(handles=handles, loc="outside lower center", fontsize=8, frameon=False,
                         ncols=2 if longest <= LEGEND_CHARACTERS and len(handles) > 1 else 1)
    if classifiers:
        accuracy_curves(panels[1], runs, PLANE_RUN_COLORS)
    return figure


def draw_plane_compare_png(runs: list[Run], labels: list[str], path: str | Path) -> None:
    """compare.png of runs of two inputs (plane_compare_figure)."""
    plane_compare_figure(runs, labels).savefig(path, format="png")
