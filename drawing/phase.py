"""phase.png: how a grid study's cells end, over the grid.

A heat map over the two grid keys with the most values (the first on x), one panel per value of
the others (a row of panels for a third key, a grid of them for more). Each cell is coloured by
its median final held-out error divided by the noise floor (the median error itself where the
floor is unknown), on a log scale, and annotated with that number, the share of its seeds at the
noise floor (style.AT_FLOOR_WORDS) and, where some diverged, how many (an X, and the cell
hatched). A cell not trained yet is left blank and says "missing". With one grid key it becomes
a line of the medians with the 10-90% band of the seeds.

Drawing it returns where each cell lies in the image (CellBoxes), so that the study's page can
mark the chosen cell on it and choose the cell clicked.
"""

from __future__ import annotations

import itertools
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import matplotlib
import matplotlib.patches
import matplotlib.ticker
import numpy as np
from matplotlib.colors import LogNorm, Normalize

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from drawing.style import COLORS, DPI, plain_tick_labels, png_axes, save_png, use_fonts_for
from naming import value_label  # '1x60', '0.003', 'sgd-momentum0.9': as cells and tables name them
from summaries import AT_BAYES_WORDS, AT_FLOOR_TOLERANCE, AT_FLOOR_WORDS, NO_FLOOR_WORDS, StudyRow

RATIO_COLORMAP = "viridis"
RATIO_CEILING = 30.0


def key_of(value: Any) -> str:
    return json.dumps(value, sort_keys=True)


def layout(grid: dict[str, list[Any]]) -> tuple[str, str | None, list[str]]:
    """The x key, the y key (None with one key) and the panel keys: the two keys with the most
    values on the axes (in the grid's order when tied), the others across panels."""
    by_size = sorted(grid, key=lambda key: -len(grid[key]))  # stable: ties keep the grid's order
    axes = [key for key in grid if key in by_size[:2]]
    x_key = max(axes, key=lambda key: len(grid[key]))
    y_key = next((key for key in axes if key != x_key), None)
    return x_key, y_key, [key for key in grid if key not in axes]


def relative_error(row: StudyRow, value: float | None, relative: bool) -> float | None:
    """An error divided by the cell's noise floor (relative: every cell's is known), or the error itself."""
    if value is None:
        return None
    return value / row.noise_floor if relative else value


# A study of classifiers is drawn by its held-out error rates, in percent, on a linear scale (0% is
# common, and a log scale has no place for it); `relative` is then this marker, never True.
RATES = "rates"


def cell_value(row: StudyRow, which: str, relative) -> float | None:
    """A cell's median, p10 or p90 (which) as phase.png draws it: its held-out error divided by the
    floor, or itself; or a classifier study's held-out error rate in percent (relative is RATES)."""
    if relative == RATES:
        rate = getattr(row, f"rate_{which}")
        return None if rate is None else 100 * rate
    return relative_error(row, getattr(row, which), relative)


@dataclass
class CellBoxes:
    """Where each cell of a grid lies in phase.png, in the image's pixels from its top left corner
    (y downwards, as a browser places things on it): (left, top, right, bottom), by the cell's
    values (settings_key) in the grid's order, every combination of the grid's values, a missing
    cell's too."""

    width: int
    height: int
    boxes: dict[tuple[str, ...], tuple[float, float, float, float]]


def settings_key(settings: dict[str, Any], grid: dict[str, list[Any]]) -> tuple[str, ...]:
    """A cell's values in the grid's order, each as key_of writes it: how rows and boxes find a cell."""
    return tuple(key_of(settings.get(key)) for key in grid)


def draw_phase_png(rows: list[StudyRow], grid: dict[str, list[Any]], path: str | Path, title: str) -> CellBoxes:
    """phase.png of a grid study's rows (study.table_rows, each with its grid settings); returns
    where each cell lies in it."""
    use_fonts_for([title])
    by_settings = {settings_key(row.settings, grid): row for row in rows if row.settings}
    floors = {row.noise_floor for row in rows}
    relative = None not in floors and 0 not in floors
    measure = ("median final held-out MSE ÷ noise floor σ²" if relative else "median final held-out MSE")
    if rows and all(row.classifies for row in rows):
        relative, measure = RATES, "median final held-out error rate (%)"
    if len(grid) == 1:
        return draw_line(rows, grid, by_settings, path, title, measure, relative)
    figure = phase_figure(rows, grid, by_settings, title, measure, relative)
    # Saved at the figure's own size (no bbox_inches="tight", which would crop it and shift every
    # box): the boxes are taken from the layout this drawing settled on.
    figure.savefig(path, format="png")
    return heat_map_boxes(figure, grid)


def pixel_box(figure: Figure, axes, transform, corners) -> tuple[float, float, float, float]:
    """(left, top, right, bottom) in the saved image's pixels of a rectangle given by two corners in
    the coordinates of transform, within axes (a cell at the plot's edge ends at its frame)."""
    (x0, y0), (x1, y1) = transform.transform(corners)
    frame = axes.bbox
    left, right = max(min(x0, x1), frame.x0), min(max(x0, x1), frame.x1)
    bottom, top = max(min(y0, y1), frame.y0), min(max(y0, y1), frame.y1)
    height = figure.bbox.height  # display coordinates run upwards from the bottom; the image's downwards
    return round(left, 1), round(height - top, 1), round(right, 1), round(height - bottom, 1)


def heat_map_boxes(figure: Figure, grid: dict[str, list[Any]]) -> CellBoxes:
    """Each cell's box in the heat maps of phase_figure, whose panels are the figure's first axes,
    in the order of their panel values."""
    x_key, y_key, panel_keys = layout(grid)
    boxes = {}
    panel_values = list(itertools.product(*(grid[key] for key in panel_keys)))
    for axes, fixed in zip(figure.axes, panel_values):
        for (row_index, y_value), (column_index, x_value) in itertools.product(enumerate(grid[y_key]),
                                                                               enumerate(grid[x_key])):
            settings = {**dict(zip(panel_keys, fixed)), x_key: x_value, y_key: y_value}
            corners = [(column_index - 0.5, row_index - 0.5), (column_index + 0.5, row_index + 0.5)]
            boxes[settings_key(settings, grid)] = pixel_box(figure, axes, axes.transData, corners)
    return CellBoxes(round(figure.bbox.width), round(figure.bbox.height), boxes)


def readable_ticks(low: float, high: float, log: bool, most: int = 8) -> list[float]:
    """Three to `most` round values within [low, high] to label a scale with, whatever its range.

    On a log scale, the powers of ten in the range, or where fewer than three are, 1, 2 and 5 times
    them, or every whole multiple of them (1 to 3.06: 1, 2, 3); a range too narrow for those
    (1 to 1.3), and a linear scale, get evenly spaced round values (1, 1.1, 1.2, 1.3). A value
    closer to a rounder one than a tenth of the scale is left out (0.9 beside 1), and too many
    are thinned evenly."""
    ticks: list[float] = []
    if log and low > 0:
        powers = range(math.floor(math.log10(low)), math.ceil(math.log10(high)) + 1)
        for multiples in ((1,), (1, 2, 5), tuple(range(1, 10))):
            # Roundest first: the powers of ten, then the others in order.
            candidates = [float(f"{multiple * 10.0 ** power:.12g}") for multiple in multiples for power in powers]
            ticks = spaced([tick for tick in candidates if low <= tick <= high], low, high, log)
            if len(ticks) >= 3:
                break
    if len(ticks) < 3:
        locator = matplotlib.ticker.MaxNLocator(nbins=5, steps=[1, 2, 2.5, 5, 10])
        ticks = [float(f"{tick:.12g}") for tick in locator.tick_values(low, high) if low <= tick <= high]
    return ticks[::math.ceil(len(ticks) / most)]


def spaced(ticks: list[float], low: float, high: float, log: bool) -> list[float]:
    """The ticks, roundest first, less each closer than a tenth of the scale to one kept before it; in order."""
    position = math.log10 if log else float
    room = (position(high) - position(low)) / 10
    kept: list[float] = []
    for tick in ticks:
        if all(abs(position(tick) - position(other)) >= room for other in kept):
            kept.append(tick)
    return sorted(kept)


def phase_figure(rows: list[StudyRow], grid: dict[str, list[Any]], by_settings: dict, title: str, measure: str,
                 relative: bool) -> Figure:
    """The heat maps of a grid of two or more keys: see the module's docstring."""
    x_key, y_key, panel_keys = layout(grid)
    panel_values = list(itertools.product(*(grid[key] for key in panel_keys)))
    columns = len(grid[panel_keys[-1]]) if panel_keys else 1  # the last key varies fastest, along a row
    panel_rows = math.ceil(len(panel_values) / columns)
    x_values, y_values = grid[x_key], grid[y_key]
    cell_inches = 0.95
    figure = Figure(figsize=(max(9.0, 1.6 + columns * (len(x_values) * cell_inches + 1.0)),
                             1.9 + panel_rows * (len(y_values) * 0.62 + 1.0)), dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)
    all_axes = figure.subplots(panel_rows, columns, squeeze=False).ravel()
    values = [cell_value(row, "median", relative) for row in rows]
    finite = [value for value in values if value is not None and value > 0]
    low, high = (min(finite), max(finite)) if finite else (0.5, 2.0)
    if relative == RATES:  # error rates: 0% to the highest (50%: a coin)
        norm = Normalize(vmin=0.0, vmax=max([value for value in values if value is not None] + [1.0]))
    else:
        # Up to RATIO_CEILING times the floor the colours tell cells apart; beyond (a blow-up's 10⁴)
        # every cell has the last colour, and its number says how far. The scale reaches the line of
        # the nets at the floor (AT_FLOOR_TOLERANCE) even where every cell lies below it.
        top = min(max(high, 1.1 * low, AT_FLOOR_TOLERANCE), RATIO_CEILING) if relative else max(high, 1.1 * low)
        norm = LogNorm(vmin=min(low, 0.9) if relative else low, vmax=top)
    colormap = matplotlib.colormaps[RATIO_COLORMAP].with_extremes(over="#fde725")
    image = None
    for axes, fixed in zip(all_axes, panel_values):
        fixed_keys = dict(zip(panel_keys, fixed))
        image_values = np.full((len(y_values), len(x_values)), np.nan)
        for (row_index, y_value), (column_index, x_value) in itertools.product(enumerate(y_values), enumerate(x_values)):
            settings = {**fixed_keys, x_key: x_value, y_key: y_value}
            row = by_settings.get(settings_key(settings, grid))
            if row is None:
                axes.text(column_index, row_index, "missing", ha="center", va="center", fontsize=7, color="#777")
                continue
            ratio = cell_value(row, "median", relative)
            if ratio is not None and (ratio > 0 or relative == RATES):
                image_values[row_index, column_index] = ratio
            annotate(axes, column_index, row_index, row, ratio, relative, norm, colormap)
        image = axes.imshow(np.ma.masked_invalid(image_values), cmap=colormap, norm=norm, aspect="auto",
                            origin="lower", interpolation="nearest")
        axes.set_xticks(range(len(x_values)), [value_label(x_key, value) for value in x_values], fontsize=8)
        axes.set_yticks(range(len(y_values)), [value_label(y_key, value) for value in y_values], fontsize=8)
        axes.set_xlabel(x_key, fontsize=9)
        axes.set_ylabel(y_key, fontsize=9)
        if fixed_keys:
            axes.set_title(", ".join(f"{key} {value_label(key, value)}" for key, value in fixed_keys.items()), fontsize=10)
    for axes in all_axes[len(panel_values):]:
        axes.set_visible(False)
    colorbar = figure.colorbar(image, ax=list(all_axes[:len(panel_values)]), shrink=0.9, pad=0.02,
                               extend="max" if high > norm.vmax else "neither")
    colorbar.set_label(measure, fontsize=9)
    # Labelled ticks over any range of colours (a LogNorm's own labels only powers of ten: 1 to 3.06 got one).
    colorbar.set_ticks(readable_ticks(norm.vmin, norm.vmax, log=relative != RATES))
    plain = matplotlib.ticker.FuncFormatter(lambda value, _: f"{value:g}")  # '0.5', not mathtext's 5×10⁻¹
    colorbar.ax.yaxis.set_major_formatter(plain)
    colorbar.ax.yaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
    if relative is True:
        colorbar.ax.axhline(AT_FLOOR_TOLERANCE, color=COLORS["floor"], linewidth=2)
    note = (f"in each cell: the median ÷ σ²; % of seeds {AT_FLOOR_WORDS}; N div: N seeds diverged (hatched)"
            if relative is True else rates_note(rows) if relative == RATES
            else f"in each cell: the median ({NO_FLOOR_WORDS}); N div: N seeds diverged (hatched)")
    figure.suptitle(f"{title}\n{note}", fontsize=10)
    return figure


def rates_note(rows: list[StudyRow]) -> str:
    """What a classifier study's cells say: their median error rate, and the share at the Bayes rate where known."""
    bayes = {row.bayes_error_rate for row in rows} - {None}
    at_bayes = (f"; % of seeds {AT_BAYES_WORDS} ({', '.join(f'{100 * rate:.2g}%' for rate in sorted(bayes))})"
                if bayes else " (Bayes error rate unknown)")
    return f"in each cell: the median held-out error rate{at_bayes}; N div: N seeds diverged"


def annotate(axes, column: int, row_index: int, row: dict, ratio: float | None, relative, norm, colormap) -> None:
    """A cell's numbers, in black or white as its colour needs; hatched where seeds diverged."""
    if ratio is None:
        text, dark = "all\ndiverged", False
    elif relative == RATES:
        share = row.share_at_bayes
        text = f"{ratio:.1f}%" + ("" if share is None else f"\n{100 * share:.0f}%")
        red, green, blue, _ = colormap(norm(ratio))
        dark = 0.299 * red + 0.587 * green + 0.114 * blue < 0.5
    else:
        share = row.share_at_noise_floor
        text = f"{ratio:.2f}" if relative and ratio < 100 else f"{ratio:.3g}"
        if share is not None:
            text += f"\n{100 * share:.0f}%"
        red, green, blue, _ = colormap(norm(ratio))
        dark = 0.299 * red + 0.587 * green + 0.114 * blue < 0.5
    if row.diverged:
        text += f"\n{row.diverged} div"
        axes.add_patch(matplotlib.patches.Rectangle((column - 0.5, row_index - 0.5), 1, 1, fill=False,
                                                    hatch="///", edgecolor=COLORS["marker"], linewidth=0))
    axes.text(column, row_index, text, ha="center", va="center", fontsize=8, color="white" if dark else "black",
              zorder=4)


def draw_line(rows, grid, by_settings, path, title: str, measure: str, relative: bool) -> CellBoxes:
    """One grid key: the median against its values, with the 10-90% band of the seeds; each cell's
    box is its value's column, the plot's height."""
    (key, values), = grid.items()
    figure, axes = png_axes(height_inches=4.5)
    positions, medians, lows, highs = [], [], [], []
    for position, value in enumerate(values):
        row = by_settings.get(settings_key({key: value}, grid))
        if row is None or cell_value(row, "median", relative) is None:
            if row is not None:
                axes.text(position, 0.5, f"all {row.diverged} diverged", transform=axes.get_xaxis_transform(),
                          ha="center", fontsize=8, color=COLORS["marker"])
            continue
        positions.append(position)
        medians.append(cell_value(row, "median", relative))
        lows.append(cell_value(row, "p10", relative))
        highs.append(cell_value(row, "p90", relative))
        share = row.share_at_bayes if relative == RATES else row.share_at_noise_floor
        label = f"{100 * share:.0f}%" if share is not None else ""
        if row.diverged:
            label += f" {row.diverged} div"
        axes.annotate(label, (position, medians[-1]), textcoords="offset points", xytext=(0, 8), ha="center", fontsize=8)
    axes.fill_between(positions, lows, highs, color=COLORS["net"], alpha=0.25, linewidth=0, label="10-90% of seeds")
    axes.plot(positions, medians, color=COLORS["median"], marker="o", linewidth=2, label="median")
    if relative is True:
        axes.axhline(1.0, color=COLORS["floor"], linestyle="--", linewidth=1.2, label="noise floor")
    bayes = {row.bayes_error_rate for row in rows} - {None}
    if relative == RATES:  # error rates on a linear scale from 0, the Bayes error rate where known
        for rate in bayes:
            axes.axhline(100 * rate, color=COLORS["floor"], linestyle="--", linewidth=1.2,
                         label=f"Bayes error rate {100 * rate:.2g}%")
        axes.set_ylim(bottom=0)
        labels = f"% of seeds {AT_BAYES_WORDS}; " if bayes else ""
    else:
        axes.set_yscale("log")
        plain_tick_labels(axes)
        labels = f"% of seeds {AT_FLOOR_WORDS}; "
    axes.set_xticks(range(len(values)), [value_label(key, value) for value in values])
    axes.set_xlabel(key)
    axes.set_ylabel(measure)
    axes.set_title(f"{title}\nlabels: {labels}N div: N seeds diverged", fontsize=10)
    save_png(figure, axes, path)
    # x in data, y in the plot's share of its height: a value's column from the bottom to the top.
    boxes = {settings_key({key: value}, grid): pixel_box(figure, axes, axes.get_xaxis_transform(),
                                                          [(position - 0.5, 0), (position + 0.5, 1)])
             for position, value in enumerate(values)}
    return CellBoxes(round(figure.bbox.width), round(figure.bbox.height), boxes)
