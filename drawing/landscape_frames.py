"""The frames of landscape.gif, in step with fit.gif's: net 0's training objective over the plane of
its path's two main directions through its final weights (curvature.Landscape), the path so far
and the frame's point on it; beside it the objective along the straight line from the initial to
the final weights. Drawn by blitting, as every animation (animation.py): the contours once, the
path and the point per frame."""

from __future__ import annotations

import numpy as np
from matplotlib.colors import LogNorm, ListedColormap
from matplotlib import colormaps
from matplotlib.ticker import FixedLocator, FuncFormatter

from curvature import Landscape
from drawing.animation import MARGIN, RunAnimation, new_canvas
from drawing.curves import TRAINING_ERROR, prepare_fonts
from drawing.style import COLORS, plain_tick_labels, text_width, wrapped
from rundir import Run

# The objective's colours: greys, the lowest darkest (the bottom of the bowl), none so dark that
# the net's blue path and the red point are hard to see on it.
OBJECTIVE_COLORS = ListedColormap(colormaps["Greys_r"](np.linspace(0.3, 0.97, 256)))
CONTOUR_LEVELS = 14
# How the path's ends are marked, on the plane and on the straight line alike.
INITIAL_MARK = {"marker": "o", "markersize": 6, "markerfacecolor": "white", "markeredgecolor": COLORS["truth"],
                "markeredgewidth": 1.2, "linestyle": "none"}
FINAL_MARK = {"marker": "X", "markersize": 8, "markerfacecolor": COLORS["truth"], "markeredgecolor": "white",
              "markeredgewidth": 0.8, "linestyle": "none"}
# Pixels: the gap between the plane and its colour bar, the colour bar's width, the rows of the
# words under the straight line's panel.
COLORBAR_GAP, COLORBAR_WIDTH, WORDS_STEP = 6, 10, 12
# Pixels from the bottom to the baseline of the last line of those words: the plane's x label's row.
WORDS_BOTTOM = 14


def percent(share: float) -> str:
    """A share as a whole percentage, with a decimal where rounding would say 0% or 100% of what is
    neither; 'unknown' when not finite."""
    if not np.isfinite(share):
        return "unknown"
    whole = f"{100 * share:.0f}%"
    if (whole == "100%" and share < 1) or (whole == "0%" and share > 0):
        return f"{100 * share:.1f}%" if 0.001 < share < 0.999 else ("<0.1%" if share < 0.5 else ">99.9%")
    return whole


def plane_words(landscape: Landscape) -> list[str]:
    """What the landscape picture says of its plane: how much of the path it holds, how far it
    misses the path, and that it is a plane through a surface of many more dimensions."""
    held = float(np.sum(landscape.explained_variance))
    parameters = landscape.directions.shape[1]
    return [f"the plane holds {percent(held)} of the path's variance",
            f"largest gap between the plane and the path: {percent(float(landscape.largest_gap))}",
            f"a plane through a {parameters}-dimensional surface can hide what lies off it"]


def objective_levels(values: np.ndarray) -> tuple[np.ndarray, LogNorm]:
    """Log-spaced contour levels over the finite positive values, and their colour scale."""
    finite = values[np.isfinite(values) & (values > 0)]
    low, high = (float(finite.min()), float(finite.max())) if len(finite) else (1e-3, 1.0)
    high = max(high, low * 1.01)
    levels = np.geomspace(low, high * 1.0001, CONTOUR_LEVELS)
    return levels, LogNorm(low, high)


def round_log_ticks(low: float, high: float) -> list[float]:
    """Round numbers to label a log colour bar from low to high with: the powers of ten, or 1, 2 and
    5 times them, or every digit times them, the first that gives three or more (a plateau's
    objective may span less than a factor of five)."""
    powers = 10.0 ** np.arange(np.floor(np.log10(low)), np.ceil(np.log10(high)) + 1)
    for digits in ((1,), (1, 2, 5), range(1, 10)):
        ticks = [float(f"{digit * power:.6g}") for power in powers for digit in digits if low <= digit * power <= high]
        if len(ticks) >= 3:
            return ticks
    return ticks


def plane_panel(axes, colorbar_axes, landscape: Landscape, fontsize: float = 8, standardized: bool = False) -> None:
    """The still parts of the plane: the objective as filled log-scale contours with its colour bar,
    the axes (each direction's share of the path's variance) and the final weights at the origin."""
    values = np.asarray(landscape.values, dtype=np.float64)
    levels, norm = objective_levels(values)
    # Not finite (a diverged net's weights far along a direction) or not positive: left blank.
    shown = np.ma.masked_where(~np.isfinite(values) | (values <= 0), np.clip(values, levels[0], levels[-1]))
    filled = axes.contourf(landscape.axis_a, landscape.axis_b, shown, levels=levels, norm=norm, cmap=OBJECTIVE_COLORS)
    colorbar = axes.figure.colorbar(filled, cax=colorbar_axes)
    colorbar.set_label("training objective" + (" (standardized units)" if standardized else ""), fontsize=fontsize)
    colorbar.ax.yaxis.set_major_locator(FixedLocator(round_log_ticks(levels[0], levels[-1])))
    colorbar.ax.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
    colorbar.ax.yaxis.set_minor_formatter(FuncFormatter(lambda value, _: ""))
    colorbar.ax.tick_params(labelsize=fontsize - 1)
    axes.plot([0], [0], **FINAL_MARK, zorder=4, label="final weights")
    first, second = landscape.explained_variance
    axes.set_xlabel(f"PC1 ({percent(float(first))} of the path's variance)", fontsize=fontsize)
    axes.set_ylabel(f"PC2 ({percent(float(second))})", fontsize=fontsize)
    axes.tick_params(labelsize=fontsize - 1)
    axes.set_xlim(landscape.axis_a[0], landscape.axis_a[-1])
    axes.set_ylim(landscape.axis_b[0], landscape.axis_b[-1])


def draw_path(axes, landscape: Landscape, color: str = COLORS["net"]) -> None:
    """The whole path, still (a comparison's panel), from the initial weights marked."""
    path = landscape.path
    axes.plot(path[:, 0], path[:, 1], color=color, linewidth=1.4, zorder=3)
    axes.plot(path[:1, 0], path[:1, 1], **INITIAL_MARK, zorder=4)


def line_panel(axes, landscape: Landscape, fontsize: float = 8) -> None:
    """The objective along the straight line from the initial (α = 0) to the final weights (α = 1),
    on a log scale, its two ends marked as on the plane (Goodfellow et al. 2015)."""
    alphas, values = landscape.line_alphas, np.asarray(landscape.line_values, dtype=np.float64)
    values = np.where(np.isfinite(values) & (values > 0), values, np.nan)
    axes.plot(alphas, values, color=COLORS["net"], linewidth=1.5)
    for alpha, mark, label in ((0.0, INITIAL_MARK, "initial weights"), (1.0, FINAL_MARK, "final weights")):
        axes.plot([alpha], [np.interp(alpha, alphas, values)], **mark, zorder=4, label=label, clip_on=False)
    axes.set_yscale("log")
    plain_tick_labels(axes)
    axes.set_xlabel("α: 0 the initial weights, 1 the final", fontsize=fontsize)
    axes.set_ylabel("training objective (log)", fontsize=fontsize)
    axes.tick_params(which="both", labelsize=fontsize - 1)
    axes.grid(True, which="major", alpha=0.3)
    axes.legend(loc="best", fontsize=fontsize - 1)


class LandscapeAnimation(RunAnimation):
    """landscape.gif: at each of the run's frames, net 0's path so far over the objective on the plane
    of its path's two main directions, the frame's weights a red point, the final weights a cross;
    beside it the straight line from the initial to the final weights, and what the plane holds and
    hides. The header is fit.gif's: the frame's epoch and net 0's training error."""

    shown_net = 0

    def __init__(self, run: Run, landscape: Landscape, width_pixels: int = 800, height_pixels: int = 360):
        if len(landscape.path) != len(run.frame_epochs):
            raise ValueError(f"the landscape has {len(landscape.path)} path points, the run {len(run.frame_epochs)} "
                             "frames: they must be one a frame")
        self.run, self.landscape = run, landscape
        prepare_fonts([run])
        if run.nets > 1:
            self.loss_label = f"net 0's {TRAINING_ERROR} "
        self.figure, self.canvas = figure, canvas = new_canvas(width_pixels, height_pixels)
        self.plane, self.colorbar_axes, self.line = figure.add_axes([0, 0, 1, 1]), figure.add_axes([0, 0, 1, 1]), \
            figure.add_axes([0, 0, 1, 1])
        plane_panel(self.plane, self.colorbar_axes, landscape, standardized=run.summary.standardization is not None)
        path = landscape.path
        self.plane.plot(path[:, 0], path[:, 1], color=COLORS["net"], linewidth=0.8, alpha=0.25, zorder=2)
        self.plane.plot(path[:1, 0], path[:1, 1], **INITIAL_MARK, zorder=4, label="initial weights")
        (self.path_line,) = self.plane.plot([], [], color=COLORS["net"], linewidth=1.6, animated=True, zorder=3)
        (self.point,) = self.plane.plot([], [], "o", color=COLORS["marker"], markersize=6, markeredgecolor="white",
                                        markeredgewidth=0.8, animated=True, zorder=5)
        line_panel(self.line, landscape)
        self.plane.set_title("training objective over the plane, through the final weights", loc="left", fontsize=8,
                             pad=3)
        self.line.set_title("on the straight line from the initial to the final weights", loc="left", fontsize=7.5, pad=3)
        self.words = self._place(width_pixels, height_pixels)
        self._captions(width_pixels)
        self._ending(self.plane)
        canvas.draw()
        self.background = canvas.copy_from_bbox(figure.bbox)

    def _place(self, width: int, height: int, top: int = 72, bottom: int = 44) -> list:
        """Place the plane, its colour bar and the straight line's panel side by side between pixel
        rows top and bottom (from the top), the plane's words (plane_words) under the line's panel;
        twice, as the tick labels measured depend on the panels' sizes (animation.place_panels)."""
        renderer = self.canvas.get_renderer()
        words = []
        for _ in range(2):
            plane_gutter = self.plane.yaxis.get_tightbbox(renderer).width + 10
            colorbar_room = COLORBAR_GAP + COLORBAR_WIDTH + self.colorbar_axes.yaxis.get_tightbbox(renderer).width + 28
            line_gutter = self.line.yaxis.get_tightbbox(renderer).width + 10
            room = width - 2 * MARGIN - plane_gutter - colorbar_room - line_gutter
            plane_width = room * 0.55
            panel_height = height - top - bottom
            left = MARGIN + plane_gutter
            self.plane.set_position([left / width, bottom / height, plane_width / width, panel_height / height])
            left += plane_width + COLORBAR_GAP
            self.colorbar_axes.set_position([left / width, bottom / height, COLORBAR_WIDTH / width,
                                             panel_height / height])
            line_left = MARGIN + plane_gutter + plane_width + colorbar_room + line_gutter
            lines = [line for sentence in plane_words(self.landscape)
                     for line in wrapped(sentence, width - MARGIN - (line_left - line_gutter),
                                         lambda text: text_width(self.figure, text, fontsize=8), breaks=((" ", ""),))]
            # The words from the plane's x label's row up, the line panel's x label above them.
            words_room = WORDS_STEP * len(lines) + 36 - (bottom - WORDS_BOTTOM)
            self.line.set_position([line_left / width, (bottom + words_room) / height,
                                    (width - MARGIN - line_left) / width, (panel_height - words_room) / height])
        # Placed from the line panel's corner, not the figure's: a header that takes more lines makes
        # the figure grow at the top (animation.grow_at_top), the panels staying where they are.
        for row, line in enumerate(lines):
            baseline = WORDS_BOTTOM + WORDS_STEP * (len(lines) - 1 - row) - (bottom + words_room)
            words.append(self.line.annotate(line, xy=(0, 0), xycoords="axes fraction", xytext=(-line_gutter, baseline),
                                            textcoords="offset pixels", fontsize=8, va="baseline",
                                            color=COLORS["note"]))
        return words

    def frame(self, index: int) -> np.ndarray:
        """Draw frame `index` and return its pixels, (height, width, 4) RGBA (the canvas's own buffer)."""
        self.canvas.restore_region(self.background)
        path = self.landscape.path
        self.path_line.set_data(path[: index + 1, 0], path[: index + 1, 1])
        self.point.set_data(path[index : index + 1, 0], path[index : index + 1, 1])
        return self._finished_frame(index, [self.path_line, self.point])
