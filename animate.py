"""Draw a saved run: fit.gif (the prediction as the net learns, beside its error curve) and loss.png.

    python animate.py output/adam_2x10

Reads only the run directory, and never imports TensorFlow: redrawing is quick and works on a
machine without it.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import multiprocessing
import os
import signal
import sys
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import Path

if __name__ == "__main__":
    # A Ctrl-C while the libraries below load ends quietly: nothing has been done yet.
    signal.signal(signal.SIGINT, lambda *_: sys.exit(130))

import matplotlib
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties, findfont, get_font
from matplotlib.ticker import FuncFormatter
from PIL import GifImagePlugin, Image

import config as config_module
import outputs
from config import ConfigError

matplotlib.use("Agg")

# One colour per role, the same in every picture.
COLORS = {
    "data": "#9a9a9a",
    "truth": "#222222",
    "net": "#1f6fd1",
    "validation": "#e8840c",
    "floor": "#2a9d4b",
    "marker": "#d62728",
}
DPI = 100
CAPTION_FONTSIZE = 11
CAPTION_STYLE = {"fontsize": CAPTION_FONTSIZE, "fontweight": "bold", "va": "baseline"}
CAPTION_BASELINE_ROW = 24  # pixels from the top of a frame
# Enough points to draw a loss curve faithfully at GIF or PNG width, however long the run.
MAX_CURVE_POINTS = 4000


@dataclass
class Run:
    """A run directory, read back: everything the pictures need."""

    name: str
    frame_epochs: np.ndarray
    x_grid: np.ndarray
    predictions: np.ndarray
    frame_loss: np.ndarray
    loss: np.ndarray
    val_loss: np.ndarray
    x_train: np.ndarray
    y_train: np.ndarray
    noise_std: float
    epochs_requested: int
    status: str
    render: dict
    diverged_at_epoch: int | None = None

    @property
    def noise_floor(self) -> float:
        return self.noise_std**2

    @property
    def epochs_completed(self) -> int:
        return int(len(self.loss))

    @property
    def members(self) -> int:
        """How many nets the run trained (one, unless it was a run of many seeds)."""
        return int(self.predictions.shape[1]) if self.predictions.ndim == 3 else 1

    @property
    def axis_epochs(self) -> int:
        """How far the epoch axes reach: the whole requested run, or up to a divergence."""
        return self.diverged_at_epoch if self.diverged_at_epoch is not None else self.epochs_requested

    def status_caption(self) -> str | None:
        """What to say about a run that did not complete, or None."""
        if self.status == "diverged":
            last = self.loss[-1] if len(self.loss) else float("nan")
            return f"diverged at epoch {self.diverged_at_epoch:,}:\nthe training loss became {last}"
        if self.status == "interrupted":
            return f"interrupted at epoch {self.epochs_completed:,} of {self.epochs_requested:,}"
        return None


class RunError(ValueError):
    """A run directory that cannot be drawn; the message says why."""


def load_run(run_dir: str | Path, overrides: list[str] | None = None) -> Run:
    """Read snapshots.npz, config.yaml and summary.json from a run directory.

    config.yaml is checked with the same schema as an experiment file (a ConfigError names the
    file and key); overrides ('render.fps=10') change how the run is drawn, nothing else.
    """
    run_dir = Path(run_dir)
    if not run_dir.exists():
        raise RunError(f"{run_dir}: does not exist; train a run first, e.g. python train.py --config experiments/adam_2x10.yaml")
    if not run_dir.is_dir():
        raise RunError(f"{run_dir}: is a file, not a run directory; give the folder train.py wrote, e.g. output/adam_2x10")
    missing = [name for name in ("snapshots.npz", "config.yaml", "summary.json") if not (run_dir / name).is_file()]
    if missing:
        raise RunError(f"{run_dir}: not a run directory (missing {', '.join(missing)}); train one with train.py")
    config = run_config(run_dir, overrides or [])
    try:
        return _read_run(run_dir, config)
    except (OSError, ValueError, KeyError, TypeError, AttributeError, zipfile.BadZipFile) as error:
        raise RunError(
            f"{run_dir}: a file of this run cannot be read ({type(error).__name__}: {error}); "
            "train it again with train.py"
        ) from None


def run_config(run_dir: Path, overrides: list[str]) -> config_module.ExperimentConfig:
    """A run's config.yaml, checked as an experiment file is, with render overrides applied."""
    sources = [(config_module.parse_override(text)[0], f"--set {text}") for text in overrides]
    for path, label in sources:
        if path[0] != "render":
            raise ConfigError(f"{label}: only render settings change when redrawing (render.fps, "
                              f"render.last_frame_seconds, render.width_pixels, render.height_pixels); "
                              f"{path[0]} is part of what was trained: train again with train.py {label}")
    source = run_dir / "config.yaml"
    raw = config_module.read_yaml_mapping(source)
    return config_module.validate(config_module.apply_overrides(raw, overrides), str(source), sources)


def _read_run(run_dir: Path, config: config_module.ExperimentConfig) -> Run:
    summary = json.loads((run_dir / "summary.json").read_text())
    status, diverged_at = summary.get("status", "completed"), summary.get("diverged_at_epoch")
    if status not in ("completed", "diverged", "interrupted"):
        raise ValueError(f"summary.json: status must be completed, diverged or interrupted, got {status!r}")
    if status == "diverged" and (type(diverged_at) is not int or diverged_at < 1):
        raise ValueError(f"summary.json: a diverged run needs diverged_at_epoch, an epoch, got {diverged_at!r}")
    with np.load(run_dir / "snapshots.npz") as arrays:
        return Run(
            name=config.name or run_dir.name,
            frame_epochs=arrays["epochs"],
            x_grid=arrays["x"],
            predictions=arrays["predictions"],
            frame_loss=arrays["frame_loss"],
            loss=arrays["loss"],
            val_loss=arrays["val_loss"],
            x_train=arrays["x_train"],
            y_train=arrays["y_train"],
            noise_std=float(arrays["noise_std"]),
            epochs_requested=config.epochs,
            status=status,
            diverged_at_epoch=diverged_at if status == "diverged" else None,
            render=config.render.model_dump(),
        )


def curve_points(
    values: np.ndarray, max_points: int = MAX_CURVE_POINTS, first_epoch: int = 1,
) -> tuple[np.ndarray, np.ndarray]:
    """(epochs, values) of a per-epoch curve, thinned to about max_points on a log-spaced set of epochs.

    Epoch numbers start at first_epoch. Log spacing keeps every early epoch, where the curve
    changes fast.
    """
    count = len(values)
    if count <= max_points:
        indices = np.arange(count)
    else:
        indices = np.unique(np.round(np.geomspace(1, count, max_points)).astype(np.int64) - 1)
    return indices + first_epoch, values[indices]


def training_curve(run: Run, log_x: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """(epochs, training error of the weights after that many epochs), thinned for drawing.

    The history's loss of epoch e is, as Keras reports it, computed in that epoch's forward pass:
    the error of the weights after e - 1 epochs. Drawn one epoch earlier, and ended with the
    final weights' error, the curve goes through the error each frame states. A log x axis
    starts at epoch 1.
    """
    values = run.loss
    if len(run.frame_epochs) and run.frame_epochs[-1] == len(values):
        values = np.concatenate([values, run.frame_loss[-1:]])
    epochs, values = curve_points(values, first_epoch=0)
    if log_x:
        return epochs[epochs >= 1], values[epochs >= 1]
    return epochs, values


def final_training_loss(run: Run) -> float:
    """The training error of the final weights: the one the last frame states."""
    return float(run.frame_loss[-1]) if len(run.frame_loss) else float("nan")


def format_loss(value: float) -> str:
    """A loss as the frames show it: four decimals, or three significant digits when huge."""
    return f"{value:.4f}" if not np.isfinite(value) or abs(value) < 1000 else f"{value:.3g}"


def data_range(run: Run) -> tuple[float, float]:
    """The y range the fit panel must show: the data points and the true sine over the x range
    (densely: the drawing grid may have as few as two points)."""
    values = np.concatenate([run.y_train, np.sin(np.linspace(run.x_grid[0], run.x_grid[-1], 1000))])
    return float(values.min()), float(values.max())


def _finite_range(*arrays: np.ndarray) -> tuple[float, float]:
    values = np.concatenate([np.ravel(array) for array in arrays])
    values = values[np.isfinite(values) & (values > 0)]
    if len(values) == 0:
        return 1e-3, 1.0
    return float(values.min()), float(values.max())


def plain_tick_labels(axes) -> None:
    """Errors as plain numbers ("0.1") and epochs with thousands separators ("1,000").

    Easier to read for people new to log scales than powers of ten, and they skip matplotlib's
    maths-text parser, a good part of a picture's set-up time.
    """
    axes.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}".replace("e+", "e")))
    axes.xaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:,.0f}"))


def png_axes(height_inches: float = 4.5):
    """A figure of one plot for a PNG picture: (figure, axes)."""
    figure = Figure(figsize=(8, height_inches), dpi=DPI)
    FigureCanvasAgg(figure)
    return figure, figure.subplots()


def save_png(figure, axes, path: str | Path, legend_fontsize: float = 9) -> None:
    axes.legend(loc="upper right", fontsize=legend_fontsize)
    figure.tight_layout()
    figure.savefig(path, format="png")


def median_over_nets(values: np.ndarray, axis: int | None = None):
    """The median of the finite values (NaN where there are none: every net diverged there)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN slices
        return np.nanmedian(_finite_or_nan(values), axis=axis)


def _style_loss_axes(axes, run: Run, log_x: bool) -> None:
    low, high = _finite_range(run.loss, run.val_loss, np.array([run.noise_floor]))
    axes.set_yscale("log")
    axes.set_ylim(low / 1.5, high * 1.5)
    if log_x:
        axes.set_xscale("log")
        axes.set_xlim(1, max(run.axis_epochs, 2))
        axes.set_xlabel("epoch (log scale)")
    else:
        axes.set_xlim(0, max(run.axis_epochs, 1))
        axes.set_xlabel("epoch")
    axes.set_ylabel("mean squared error (log scale)")
    plain_tick_labels(axes)
    if run.noise_floor > 0:
        axes.axhline(
            run.noise_floor, color=COLORS["floor"], linestyle="--", linewidth=1.2,
            label=f"noise floor σ² = {run.noise_floor:.3g}",
        )
    if run.diverged_at_epoch is not None:
        axes.axvline(run.diverged_at_epoch, color=COLORS["marker"], linestyle="--", linewidth=1.2,
                     label=f"diverged at epoch {run.diverged_at_epoch:,}")
    axes.grid(True, which="major", alpha=0.3)


def draw_loss_png(run: Run, path: str | Path) -> None:
    """Training and held-out error against epoch, log y axis, with the noise floor."""
    figure, axes = png_axes()
    _style_loss_axes(axes, run, log_x=False)
    epochs, loss = training_curve(run)
    axes.plot(epochs, loss, color=COLORS["net"], linewidth=1.5, label="training error")
    epochs, val_loss = curve_points(run.val_loss)
    axes.plot(epochs, val_loss, color=COLORS["validation"], linewidth=1.0, alpha=0.8, label="held-out error")
    if run.status_caption():
        title = f"{run.name}: {run.status_caption()}".replace("\n", " ")
    else:
        title = (f"{run.name}: error while training (final: training {final_training_loss(run):.4f}, "
                 f"held-out {run.val_loss[-1]:.4f})")
    axes.set_title(title, fontsize=10, color=COLORS["marker"] if run.status == "diverged" else "black")
    save_png(figure, axes, path)


def draw_seeds_png(run: Run, path: str | Path) -> None:
    """Every net's training error against epoch (log y axis), the median in bold, the noise floor."""
    figure, axes = png_axes()
    _style_loss_axes(axes, run, log_x=False)
    draw_every_net(axes, run, net_width=0.6, net_alpha=0.2, median_width=2.2,
                   labels=(f"training error of each of {run.members} nets", "median"), log_x=False)
    final_median = median_over_nets(run.val_loss[-1])
    axes.set_title(f"{run.name}: {run.members} seeds (median final held-out error {final_median:.4f})", fontsize=10)
    save_png(figure, axes, path)


def draw_every_net(axes, run: Run, net_width: float, net_alpha: float, median_width: float, labels: tuple[str, str],
                   log_x: bool) -> None:
    """Each net's training error as a faint line and their median in bold; labels: (each net, median)."""
    epochs, loss = training_curve(run, log_x)
    loss = _finite_or_nan(loss)
    axes.add_collection(LineCollection([np.column_stack([epochs, net]) for net in loss.T],
                                       colors=COLORS["net"], linewidths=net_width, alpha=net_alpha))
    axes.plot([], [], color=COLORS["net"], linewidth=net_width, alpha=min(2.5 * net_alpha, 1), label=labels[0])
    axes.plot(epochs, median_over_nets(loss, axis=1), color=COLORS["net"], linewidth=median_width, label=labels[1])


class NumberStamper:
    """Writes short numbers onto a canvas fast, from glyph images matplotlib rendered once.

    matplotlib lays out and rasterizes every glyph of a text each time it is drawn, about 1.5 ms
    for a six-digit number: more than everything else in a frame together. The numbers on a frame
    use a dozen characters, so each is rendered once, by matplotlib in the caption's font, and a
    number is then stamped glyph by glyph (alpha-blended) at the font's own advance widths.
    """

    CHARACTERS = "0123456789,.-+eainf"

    def __init__(self, fontsize: float, fontweight: str = "bold"):
        font_properties = FontProperties(size=fontsize, weight=fontweight)
        font = get_font(findfont(font_properties))
        font.set_size(fontsize, DPI)
        # All characters on one transparent scratch canvas, each in a cell of its own.
        cell = int(fontsize * 3)
        width, height = cell * len(self.CHARACTERS), 2 * cell
        scratch = Figure(figsize=(width / DPI, height / DPI), dpi=DPI, facecolor="none")
        canvas = FigureCanvasAgg(scratch)
        pen_x, baseline_y = cell // 4, cell  # in each cell: pixels from its left, from the bottom
        for position, character in enumerate(self.CHARACTERS):
            scratch.text((position * cell + pen_x) / width, baseline_y / height, character,
                         fontproperties=font_properties, color="black", va="baseline", ha="left")
        canvas.draw()
        coverage = np.asarray(canvas.buffer_rgba())[..., 3].astype(np.float32) / 255
        self.glyphs = {}
        for position, character in enumerate(self.CHARACTERS):
            alpha = coverage[:, position * cell : (position + 1) * cell]
            rows, columns = np.nonzero(alpha)
            top, bottom, left, right = rows.min(), rows.max() + 1, columns.min(), columns.max() + 1
            advance = font.load_char(ord(character)).linearHoriAdvance / 65536
            # The glyph image, its offset from the pen position on the baseline (rows downwards,
            # columns rightwards), and how far the pen then moves.
            self.glyphs[character] = (alpha[top:bottom, left:right, None], top - (height - baseline_y), left - pen_x, advance)

    def width(self, text: str) -> float:
        return sum(self.glyphs[character][3] for character in text)

    def stamp(self, pixels: np.ndarray, text: str, x: float, baseline_row: int, color: str, align: str = "left") -> None:
        """Blend `text` in `color` into an RGBA pixel array, its baseline on baseline_row, starting
        (or, with align='right', ending) at column x."""
        rgb = np.array(matplotlib.colors.to_rgb(color), dtype=np.float32) * 255
        pen = x - self.width(text) if align == "right" else x
        for character in text:
            alpha, row_offset, column_offset, advance = self.glyphs[character]
            row, column = baseline_row + row_offset, int(round(pen)) + column_offset
            region = pixels[row : row + alpha.shape[0], column : column + alpha.shape[1], :3]
            blend = alpha[: region.shape[0], : region.shape[1]]
            region[...] = (region * (1 - blend) + rgb * blend + 0.5).astype(np.uint8)
            pen += advance


def draw_epoch_caption(figure, numbers: NumberStamper, last_epoch: int) -> tuple[float, float]:
    """Write the words of "epoch N of LAST" at the top left of a frame, leaving N's place empty.

    N is stamped on each frame, right-aligned in a slot as wide as LAST, so the words after it
    stay put. Returns the right edge of that slot and of the whole caption, in pixels.
    """
    width, height = figure.canvas.get_width_height()
    renderer, baseline = figure.canvas.get_renderer(), 1 - CAPTION_BASELINE_ROW / height
    label = figure.text(8 / width, baseline, "epoch ", **CAPTION_STYLE)
    epoch_right = 8 + label.get_window_extent(renderer).width + numbers.width(f"{last_epoch:,}")
    total = figure.text(epoch_right / width, baseline, f" of {last_epoch:,}", **CAPTION_STYLE)
    return epoch_right, epoch_right + total.get_window_extent(renderer).width


class FitAnimation:
    """Draws the frames of fit.gif quickly: the unchanging parts once, then only what moves.

    Everything static (data, true sine, error curves, axes, noise floor) is drawn once and its
    pixels saved; each frame restores those pixels and draws just the prediction, the marker on
    the error curve and the numbers of the caption ("blitting").
    """

    loss_label = "training MSE "

    def __init__(self, run: Run, width_pixels: int = 800, height_pixels: int = 360):
        self.run = run
        figure = Figure(figsize=(width_pixels / DPI, height_pixels / DPI), dpi=DPI)
        self.canvas = FigureCanvasAgg(figure)
        self.figure = figure
        # Margins fixed in pixels rather than found by tight_layout, which alone would take longer
        # than drawing all the frames.
        figure.subplots_adjust(
            left=62 / width_pixels, right=1 - 12 / width_pixels, bottom=52 / height_pixels,
            top=1 - 38 / height_pixels, wspace=90 / (width_pixels / 2),
        )
        fit_axes, loss_axes = figure.subplots(1, 2, gridspec_kw={"width_ratios": [1.35, 1]})

        fit_axes.scatter(run.x_train, run.y_train, s=6, color=COLORS["data"], label="noisy data", zorder=1)
        fit_axes.plot(run.x_grid, np.sin(run.x_grid), color=COLORS["truth"], linestyle=":", linewidth=1.5,
                      label="true sine", zorder=2)
        self._add_predictions(fit_axes)
        low, high = data_range(run)
        fit_axes.set_ylim(low - 0.15 * (high - low), high + 0.3 * (high - low))
        fit_axes.set_xlim(float(run.x_grid[0]), float(run.x_grid[-1]))
        fit_axes.set_xlabel("x")
        fit_axes.set_ylabel("y")
        fit_axes.legend(loc="upper right", fontsize=8, ncol=3, handlelength=1.5, columnspacing=1.0)

        _style_loss_axes(loss_axes, run, log_x=True)
        loss_axes.set_ylabel("MSE (log scale)")  # the panel is narrow
        self._add_loss_curves(loss_axes)
        loss_axes.legend(loc="upper right", fontsize=7)
        (self.marker,) = loss_axes.plot(
            [], [], "o", color=COLORS["marker"], markersize=6, animated=True, zorder=5, clip_on=False,
        )
        self.epoch_line = loss_axes.axvline(1, color=COLORS["marker"], linewidth=0.8, alpha=0.6, animated=True)

        self._captions()
        # Said on the last frame of a run that did not complete: how it ended.
        self.ending = fit_axes.text(
            0.5, 0.5, run.status_caption() or "", transform=fit_axes.transAxes, ha="center", va="center",
            fontsize=12, fontweight="bold", color=COLORS["marker"] if run.status == "diverged" else "#444444",
            bbox={"facecolor": "white", "edgecolor": COLORS["marker"], "alpha": 0.9}, animated=True,
        )
        figure.text(1 - 12 / width_pixels, 1 - self.baseline_row / height_pixels,
                    f"{run.name} · noise floor σ² = {run.noise_floor:.3g}", fontsize=10, ha="right",
                    va="baseline", color="#444444")
        self.canvas.draw()
        self.background = self.canvas.copy_from_bbox(figure.bbox)

    def _add_predictions(self, fit_axes) -> None:
        """The animated artists of the fit panel."""
        (self.prediction_line,) = fit_axes.plot(
            self.run.x_grid, self.run.predictions[0], color=COLORS["net"], linewidth=2.2, label="net's prediction",
            animated=True, zorder=3,
        )

    def _add_loss_curves(self, loss_axes) -> None:
        """The static error curves."""
        epochs, loss = training_curve(self.run, log_x=True)
        loss_axes.plot(epochs, loss, color=COLORS["net"], linewidth=1.2, label="training error")
        epochs, val_loss = curve_points(self.run.val_loss)
        loss_axes.plot(epochs, val_loss, color=COLORS["validation"], linewidth=0.8, alpha=0.7, label="held-out error")

    def _update_predictions(self, index: int) -> list:
        """Set the fit panel's animated artists to frame `index`; return them to be drawn."""
        # A diverging net predicts numbers too large to draw; clip them far outside the axes.
        self.prediction_line.set_ydata(np.clip(self.run.predictions[index], -1e6, 1e6))
        return [self.prediction_line]

    def frame_loss(self, index: int) -> float:
        """The training error the caption and the marker show for frame `index`."""
        return float(self.run.frame_loss[index])

    def _captions(self) -> None:
        """Lay out 'epoch N of TOTAL' and 'training MSE L': the words now, the numbers per frame.

        The words are drawn once into the background. The epoch is right-aligned in a slot as
        wide as the largest epoch, so the words after it stay put.
        """
        width, height = self.canvas.get_width_height()
        self.baseline_row = CAPTION_BASELINE_ROW
        self.numbers = NumberStamper(CAPTION_FONTSIZE)
        self.epoch_right, caption_right = draw_epoch_caption(self.figure, self.numbers, self.run.epochs_requested)
        loss_label_left = caption_right + 24
        loss_label = self.figure.text(loss_label_left / width, 1 - self.baseline_row / height, self.loss_label,
                                      color=COLORS["net"], **CAPTION_STYLE)
        self.loss_left = loss_label_left + loss_label.get_window_extent(self.canvas.get_renderer()).width

    def epoch_caption(self, index: int) -> str:
        return f"{int(self.run.frame_epochs[index]):,}"

    def loss_caption(self, index: int) -> str:
        return format_loss(self.frame_loss(index))

    def frame(self, index: int) -> np.ndarray:
        """Draw frame `index` and return its pixels, (height, width, 4) RGBA.

        The array is the canvas's own buffer: copy it to keep it past the next call.
        """
        epoch = max(int(self.run.frame_epochs[index]), 1)
        self.canvas.restore_region(self.background)
        self.marker.set_data([epoch], [self.frame_loss(index)])
        self.epoch_line.set_xdata([epoch, epoch])
        for artist in self._update_predictions(index) + [self.epoch_line, self.marker]:
            self.figure.draw_artist(artist)
        if index == len(self.run.frame_epochs) - 1 and self.run.status_caption():
            self.figure.draw_artist(self.ending)
        pixels = np.asarray(self.canvas.buffer_rgba())
        self.numbers.stamp(pixels, self.epoch_caption(index), self.epoch_right, self.baseline_row, "black", "right")
        self.numbers.stamp(pixels, self.loss_caption(index), self.loss_left, self.baseline_row, COLORS["net"])
        return pixels


class SeedsAnimation(FitAnimation):
    """The frames of seeds.gif: many nets from different seeds, learning the same data.

    The median prediction in bold, the band between the 10th and 90th percentile of the nets'
    predictions, and every net's prediction as a faint line; beside it every net's training
    error, the median in bold. The caption gives the median training error.
    """

    loss_label = "median training MSE "

    def _add_predictions(self, fit_axes) -> None:
        run = self.run
        x = run.x_grid.reshape(-1)
        self.member_lines = LineCollection([], colors=COLORS["net"], linewidths=0.6, alpha=0.18, animated=True,
                                           zorder=3)
        fit_axes.add_collection(self.member_lines)
        self.band = fit_axes.fill_between(x, 0 * x, 0 * x, color=COLORS["net"], alpha=0.25, linewidth=0,
                                          label="10th-90th percentile", animated=True, zorder=3)
        (self.median_line,) = fit_axes.plot(x, 0 * x, color=COLORS["net"], linewidth=2.2,
                                            label=f"median of {run.members} nets", animated=True, zorder=4)

    def _add_loss_curves(self, loss_axes) -> None:
        draw_every_net(loss_axes, self.run, net_width=0.5, net_alpha=0.15, median_width=2.0,
                       labels=("each net", "training error, median"), log_x=True)

    def _update_predictions(self, index: int) -> list:
        x = self.run.x_grid.reshape(-1)
        predictions = np.clip(_finite_or_nan(self.run.predictions[index]), -1e6, 1e6)  # (members, grid)
        self.member_lines.set_segments([np.column_stack([x, member]) for member in predictions])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # a grid point where every net diverged
            low, median, high = np.nanpercentile(predictions, [10, 50, 90], axis=0)
        self.band.set_verts([np.concatenate([np.column_stack([x, low]), np.column_stack([x[::-1], high[::-1]])])])
        self.median_line.set_ydata(median)
        return [self.member_lines, self.band, self.median_line]

    def frame_loss(self, index: int) -> float:
        return float(median_over_nets(self.run.frame_loss[index]))


def _finite_or_nan(values: np.ndarray) -> np.ndarray:
    return np.where(np.isfinite(values), values, np.nan)


# Palette index 255 is kept free: in every frame after the first it marks "unchanged since the
# previous frame" (GIF transparency), so the encoder stores little more than what moved.
TRANSPARENT_INDEX = 255


class SharedPalette:
    """One palette for all frames, and an exact, fast mapping of pixels onto it.

    The palette is the 255 most frequent colours of a few sample frames, taken as they are, so
    the white background, the axes and the line colours stay exact; only rare anti-aliasing
    shades are rounded to their nearest palette colour. One shared palette is several times
    faster than letting the GIF encoder build one per frame, and colours do not flicker.
    (Pillow's own palette mapping is approximate: it turns pure white into a light grey.)
    """

    def __init__(self, samples: list[np.ndarray]):
        keys = np.concatenate([_color_keys(sample).ravel() for sample in samples])
        colors, counts = np.unique(keys, return_counts=True)
        chosen = colors[np.argsort(counts, kind="stable")[::-1][:TRANSPARENT_INDEX]]
        self.rgb = _keys_to_rgb(chosen)
        # Exact look-up for the palette's own colours, over all 2^24 colours ...
        self._exact = np.full(1 << 24, _NOT_IN_PALETTE, dtype=np.uint16)
        self._exact[chosen] = np.arange(len(chosen), dtype=np.uint16)
        # ... and the nearest palette colour for every other colour at 4 bits a channel, which is
        # plenty for the rare anti-aliasing shades between a line and the background.
        cells = np.arange(1 << 12, dtype=np.int32)
        centres = np.stack([(cells & 15) << 4, ((cells >> 4) & 15) << 4, (cells >> 8) << 4], axis=-1) + 8
        distances = ((centres[:, None, :] - self.rgb[None, :, :]) ** 2).sum(axis=-1)
        self._nearest = np.argmin(distances, axis=1).astype(np.uint8)

    def indices(self, frame: np.ndarray) -> np.ndarray:
        """An RGBA frame (or part of one) as palette indices, uint8."""
        keys = _color_keys(frame)
        found = self._exact[keys]
        other = found == _NOT_IN_PALETTE
        if other.any():
            rare = keys[other]
            found[other] = self._nearest[((rare >> 4) & 15) | (((rare >> 12) & 15) << 4) | (((rare >> 20) & 15) << 8)]
        return found.astype(np.uint8)

    def colors(self) -> list[int]:
        """The 256-entry GIF palette, flattened; entry 255 is the transparent one."""
        padded = np.full((256, 3), 255, dtype=np.int32)
        padded[: len(self.rgb)] = self.rgb
        return padded.ravel().tolist()


_NOT_IN_PALETTE = np.uint16(0xFFFF)


def _color_keys(rgba: np.ndarray) -> np.ndarray:
    # Reading each RGBA pixel as one little-endian 32-bit number and dropping the alpha byte
    # gives a 24-bit colour key without copying the channels apart.
    return np.ascontiguousarray(rgba).view("<u4")[..., 0] & 0xFFFFFF


def _keys_to_rgb(keys: np.ndarray) -> np.ndarray:
    return np.stack([keys & 255, (keys >> 8) & 255, (keys >> 16) & 255], axis=-1).astype(np.int32)


def frame_durations_ms(frame_count: int, fps: float, last_frame_seconds: float) -> list[int]:
    """Per-frame delays: 1/fps each, the last one held. Delays of 10 ms or less are avoided,
    since browsers slow them down to 100 ms."""
    step = max(int(round(1000 / fps)), 20)
    durations = [step] * frame_count
    durations[-1] = max(int(round(1000 * last_frame_seconds)), step)
    return durations


# Set in the parent just before worker processes are forked, so that each worker inherits the
# figure already laid out instead of building its own.
_FORKED_STATE: dict = {}

# Frames a worker draws and encodes per task: small enough to share the work out evenly, large
# enough that drawing one extra frame per task (the one before it, to compare against) is cheap.
FRAMES_PER_TASK = 24


def encode_frame(indices: np.ndarray, colors: list[int], duration_ms: int, previous: np.ndarray | None) -> bytes:
    """One GIF frame (control block, image descriptor and compressed pixels) as bytes.

    After the first frame, pixels equal to the previous frame's are made transparent and the
    frame is cropped to the box around what changed; with disposal 1 ("leave in place") the
    viewer keeps showing the previous frame there. Pillow does the compression.
    """
    left, top = 0, 0
    if previous is not None:
        indices = np.where(indices == previous, np.uint8(TRANSPARENT_INDEX), indices)
        changed = indices != TRANSPARENT_INDEX
        rows, columns = np.flatnonzero(changed.any(axis=1)), np.flatnonzero(changed.any(axis=0))
        if len(rows) == 0:  # nothing moved: one transparent pixel still holds the frame's time
            rows, columns = np.array([0]), np.array([0])
        top, left = int(rows[0]), int(columns[0])
        indices = indices[top : rows[-1] + 1, left : columns[-1] + 1]
    image = Image.fromarray(np.ascontiguousarray(indices))
    image.putpalette(colors)
    pieces = GifImagePlugin.getdata(
        image, offset=(left, top), duration=duration_ms, transparency=TRANSPARENT_INDEX, disposal=1,
    )
    return b"".join(pieces)


def _encode_frame_range(frame_range: tuple[int, int]) -> list[bytes]:
    """Draw and encode frames start..stop-1 (drawing frame start-1 too, to compare against)."""
    animation, palette, durations = (_FORKED_STATE[key] for key in ("animation", "palette", "durations"))
    colors = palette.colors()
    start, stop = frame_range
    previous = palette.indices(animation.frame(start - 1)) if start > 0 else None
    encoded = []
    for index in range(start, stop):
        current = palette.indices(animation.frame(index))
        encoded.append(encode_frame(current, colors, durations[index], previous))
        previous = current
    return encoded


def _ignore_interrupts() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})  # blocked while it was forked


@contextlib.contextmanager
def _forked_pool(workers: int):
    """A pool of forked workers that ignore Ctrl-C (the parent handles it, and ends them).

    Ctrl-C is held off while they are forked: a KeyboardInterrupt raised inside fork's own
    callbacks would be printed and lost, and the drawing would go on. It is let through once the
    pool's context is entered, which then ends the workers.
    """
    previous_mask = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        pool = multiprocessing.get_context("fork").Pool(workers, initializer=_ignore_interrupts)
    except BaseException:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous_mask)
        raise
    with pool:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous_mask)
        yield pool


def _parallel_workers(frame_count: int) -> int:
    # Forking is the only start method cheap enough to pay off for a few hundred frames. It is
    # safe here because workers only draw: they never touch TensorFlow, even when the parent
    # (train.py) has it loaded. Where fork is not the norm, frames are drawn in this process.
    if sys.platform != "linux" or frame_count < 2 * FRAMES_PER_TASK:
        return 1
    return max(1, min(len(os.sched_getaffinity(0)), 8))


def encode_frames(animation: FitAnimation, palette: SharedPalette, durations: list[int]) -> list[bytes]:
    """Every frame drawn and encoded as GIF frame bytes, in order, across the machine's cores."""
    frame_count = len(durations)
    ranges = [(start, min(start + FRAMES_PER_TASK, frame_count)) for start in range(0, frame_count, FRAMES_PER_TASK)]
    workers = _parallel_workers(frame_count)
    _FORKED_STATE.update(animation=animation, palette=palette, durations=durations)
    try:
        if workers == 1:
            chunks = [_encode_frame_range(frame_range) for frame_range in ranges]
        else:
            with _forked_pool(workers) as pool:
                chunks = pool.map(_encode_frame_range, ranges)
    finally:
        _FORKED_STATE.clear()
    return [frame for chunk in chunks for frame in chunk]


def render_settings(run: Run) -> dict:
    """The run's render settings over their defaults."""
    return {**config_module.RenderConfig().model_dump(), **run.render}


def write_animation(animation, frame_count: int, settings: dict, path: str | Path) -> int:
    """Encode the frames of an animation (anything with .frame(index) and .canvas) as a GIF."""
    palette = SharedPalette([animation.frame(index).copy() for index in sorted({0, frame_count // 2, frame_count - 1})])
    durations = frame_durations_ms(frame_count, settings["fps"], settings["last_frame_seconds"])
    frames = encode_frames(animation, palette, durations)
    write_gif(path, animation.canvas.get_width_height(), palette, frames)
    return frame_count


def render_fit_gif(run: Run, path: str | Path) -> int:
    """Write fit.gif for a run (seeds.gif for a run of many seeds); returns the number of frames."""
    settings = render_settings(run)
    animation_class = SeedsAnimation if run.members > 1 else FitAnimation
    animation = animation_class(run, int(settings["width_pixels"]), int(settings["height_pixels"]))
    return write_animation(animation, len(run.frame_epochs), settings, path)


def write_gif(path: str | Path, size: tuple[int, int], palette: SharedPalette, frames: list[bytes]) -> None:
    """Assemble a looping GIF from encoded frames: header and palette, the frames, the trailer.

    The frames are encoded in parallel with Pillow's GifImagePlugin.getdata (its documented way
    to build a GIF frame by frame), and its getheader writes the header. imageio's writer would
    hand the same frames to the same encoder one after another, after re-mapping each frame's
    palette in Python (about 50 ms a frame).
    """
    screen = Image.new("P", size, 0)
    screen.putpalette(palette.colors())
    header, _ = GifImagePlugin.getheader(screen, info={"loop": 0, "duration": 1})
    with open(path, "wb") as file:
        file.write(b"".join(header))
        for frame in frames:
            file.write(frame)
        file.write(b";")


def render_run(run_dir: str | Path, overrides: list[str] | None = None) -> list[Path]:
    """Draw fit.gif and loss.png (seeds.gif and seeds.png for many seeds) into a run directory.

    overrides: render settings for this drawing ('render.fps=10'); config.yaml is not changed.
    """
    run_dir = Path(run_dir)
    run = load_run(run_dir, overrides)
    pictures = (("seeds.gif", render_fit_gif), ("seeds.png", draw_seeds_png)) if run.members > 1 else (
        ("fit.gif", render_fit_gif), ("loss.png", draw_loss_png))
    return write_pictures(pictures, run, run_dir)


def write_pictures(pictures, subject, directory: Path) -> list[Path]:
    """Draw each (name, draw) of `pictures` as draw(subject, path) under a temporary name in
    `directory`, renaming it into place once complete; returns the final paths."""
    written = []
    for name, draw in pictures:
        final = directory / name
        temporary = outputs.temporary_path(final)
        try:
            draw(subject, temporary)
            temporary.replace(final)
        except OSError as error:
            raise RunError(f"cannot write {final} ({error.strerror or error}); "
                           "make the folder writable, or copy the run somewhere that is") from None
        finally:
            temporary.unlink(missing_ok=True)
        written.append(final)
    return written


# --- comparing runs --------------------------------------------------------------------------

# Enough frames for any comparison to look smooth; more only make the GIF larger.
MAX_COMPARE_FRAMES = 300
# Colours of the runs in compare.png, in order: tab10 without its green and red, which are the
# noise floor's and the marker's.
RUN_COLORS = ["#1f77b4", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf", "#000000"]


def compare_frame_epochs(runs: list[Run], max_frames: int = MAX_COMPARE_FRAMES) -> np.ndarray:
    """The epochs of the comparison's frames: the union of the runs' frame epochs (thinned evenly
    to at most max_frames, keeping the first and the last)."""
    epochs = np.unique(np.concatenate([run.frame_epochs for run in runs]))
    if len(epochs) > max_frames:
        epochs = epochs[np.unique(np.round(np.linspace(0, len(epochs) - 1, max_frames)).astype(int))]
    return epochs


def latest_snapshot(run: Run, epoch: int) -> int:
    """Index of the run's latest snapshot at or before `epoch` (its first one, if none is)."""
    return max(int(np.searchsorted(run.frame_epochs, epoch, side="right")) - 1, 0)


def same_data(runs: list[Run]) -> bool:
    """Whether all runs were trained on the same points (same seed, noise, range and count)."""
    first = runs[0]
    return all(
        run.x_train.shape == first.x_train.shape and np.array_equal(run.x_train, first.x_train)
        and np.array_equal(run.y_train, first.y_train) and run.noise_std == first.noise_std
        for run in runs[1:]
    )


class CompareAnimation:
    """The frames of compare.gif: one panel per run, shared axes, one epoch counter for all.

    At each frame's epoch every panel shows its run's latest snapshot at or before that epoch,
    titled with the run's name and the training error of the weights it shows.
    """

    def __init__(self, runs: list[Run]):
        self.runs = runs
        self.epochs = compare_frame_epochs(runs)
        columns = {2: 2, 3: 3, 4: 2}.get(len(runs), 3)
        rows = -(-len(runs) // columns)
        width, height = 40 + 330 * columns, 70 + 230 * rows
        figure = Figure(figsize=(width / DPI, height / DPI), dpi=DPI)
        self.figure, self.canvas = figure, FigureCanvasAgg(figure)
        figure.subplots_adjust(left=50 / width, right=1 - 10 / width, bottom=45 / height, top=1 - 62 / height,
                               wspace=0.12, hspace=50 / (230 * rows) * rows)
        grid = figure.subplots(rows, columns, sharex=True, sharey=True, squeeze=False).ravel()
        for axes in grid[len(runs):]:
            axes.set_visible(False)
        ranges = np.array([data_range(run) for run in runs])
        self.lines, self.number_positions = [], []
        renderer = self.canvas.get_renderer()
        self.numbers = NumberStamper(10)
        for axes, run in zip(grid, runs):
            axes.scatter(run.x_train, run.y_train, s=4, color=COLORS["data"], zorder=1)
            axes.plot(run.x_grid, np.sin(run.x_grid), color=COLORS["truth"], linestyle=":", linewidth=1.2, zorder=2)
            (line,) = axes.plot(run.x_grid, run.predictions[0], color=COLORS["net"], linewidth=2, animated=True, zorder=3)
            self.lines.append(line)
            ended = "" if run.status == "completed" else f" ({run.status} at {run.epochs_completed:,})"
            title = axes.text(0, 1.03, f"{run.name}{ended} · MSE ", transform=axes.transAxes, fontsize=10,
                              fontweight="bold", va="baseline")
            extent = title.get_window_extent(renderer)
            baseline = axes.transAxes.transform((0, 1.03))[1]
            self.number_positions.append((extent.x1, int(round(height - baseline))))
        low, high = ranges[:, 0].min(), ranges[:, 1].max()
        grid[0].set_ylim(low - 0.1 * (high - low), high + 0.1 * (high - low))
        grid[0].set_xlim(min(float(run.x_grid[0]) for run in runs), max(float(run.x_grid[-1]) for run in runs))
        for axes in grid[len(runs) - columns:len(runs)]:
            axes.set_xlabel("x")
        for axes in grid[::columns]:
            axes.set_ylabel("y")
        self.baseline_row = CAPTION_BASELINE_ROW
        self.caption_numbers = NumberStamper(CAPTION_FONTSIZE)
        self.epoch_right, _ = draw_epoch_caption(figure, self.caption_numbers, int(self.epochs[-1]))
        note = "" if same_data(runs) else "different data in each panel (seed, noise or range differ)  ·  "
        figure.text(1 - 10 / width, 1 - self.baseline_row / height,
                    f"{note}data · true sine (dotted) · prediction (blue)", fontsize=9, ha="right", va="baseline",
                    color=COLORS["marker"] if note else "#444444")
        self.canvas.draw()
        self.background = self.canvas.copy_from_bbox(figure.bbox)

    def frame(self, index: int) -> np.ndarray:
        """Draw frame `index` and return its pixels (the canvas's own buffer, RGBA)."""
        epoch = int(self.epochs[index])
        self.canvas.restore_region(self.background)
        shown = [latest_snapshot(run, epoch) for run in self.runs]
        for run, line, snapshot in zip(self.runs, self.lines, shown):
            line.set_ydata(np.clip(run.predictions[snapshot], -1e6, 1e6))
            self.figure.draw_artist(line)
        pixels = np.asarray(self.canvas.buffer_rgba())
        self.caption_numbers.stamp(pixels, f"{epoch:,}", self.epoch_right, self.baseline_row, "black", "right")
        for run, snapshot, (x, row) in zip(self.runs, shown, self.number_positions):
            self.numbers.stamp(pixels, format_loss(run.frame_loss[snapshot]), x, row, COLORS["net"])
        return pixels


def draw_compare_png(runs: list[Run], path: str | Path) -> None:
    """All runs' training error against epoch on one log-scale plot, with the noise floor."""
    figure, axes = png_axes()
    floors = sorted({run.noise_floor for run in runs})
    for run, color in zip(runs, RUN_COLORS):
        epochs, loss = training_curve(run)
        final = format_loss(final_training_loss(run))
        axes.plot(epochs, loss, color=color, linewidth=1.5, label=f"{run.name} (final {final})")
        if len(floors) > 1:
            axes.axhline(run.noise_floor, color=color, linestyle="--", linewidth=1)
    if len(floors) == 1:
        axes.axhline(floors[0], color=COLORS["floor"], linestyle="--", linewidth=1.2,
                     label=f"noise floor σ² = {floors[0]:.3g}")
    axes.set_yscale("log")
    plain_tick_labels(axes)
    axes.set_xlim(0, max(run.epochs_completed for run in runs))
    axes.set_xlabel("epoch")
    axes.set_ylabel("training mean squared error (log scale)")
    note = "" if same_data(runs) else " (different data: dashed lines are each run's noise floor)"
    axes.set_title(f"training error of {len(runs)} runs{note}", fontsize=10)
    axes.grid(True, alpha=0.3)
    save_png(figure, axes, path, legend_fontsize=8)


# What a comparison's folder may hold: it is replaced only when it holds nothing else.
COMPARE_OUTPUT = outputs.OutputKind("a comparison", frozenset({"compare.gif", "compare.png"}),
                                    example="output/my_comparison", replaces_folder=False)


def load_runs_to_compare(run_dirs: list[str | Path], overrides: list[str] | None = None) -> list[Run]:
    if not 2 <= len(run_dirs) <= 9:
        raise RunError(f"compare takes 2 to 9 run directories, got {len(run_dirs)}")
    runs = [load_run(run_dir, overrides) for run_dir in run_dirs]
    for run_dir, run in zip(run_dirs, runs):
        if run.members > 1:
            raise RunError(f"{run_dir}: a run of {run.members} seeds; compare takes runs of one net "
                           "(its seeds.gif already shows all of them)")
    return runs


def render_comparison(run_dirs: list[str | Path], output_dir: str | Path, overrides: list[str] | None = None) -> list[Path]:
    """Write compare.gif and compare.png for 2 to 9 run directories into output_dir.

    output_dir must be new, empty, or hold only an earlier comparison's pictures.
    overrides: render settings ('render.fps=10'); otherwise the first run's are used.
    """
    runs = load_runs_to_compare(run_dirs, overrides)
    output_dir = outputs.destination_path(output_dir)
    outputs.check_destination(output_dir, COMPARE_OUTPUT)
    output_dir.mkdir(parents=True, exist_ok=True)
    settings = render_settings(runs[0])

    def draw_gif(runs, path):
        animation = CompareAnimation(runs)
        write_animation(animation, len(animation.epochs), settings, path)

    return write_pictures((("compare.gif", draw_gif), ("compare.png", draw_compare_png)), runs, output_dir)


def _add_render_overrides(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="render.KEY=VALUE",
                        help="draw with another render setting, e.g. --set render.fps=10 (repeatable); "
                             "the run's config.yaml is not changed")


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    try:
        if argv[:1] == ["compare"]:
            parser = argparse.ArgumentParser(
                prog="animate.py compare", description="Draw several runs side by side: compare.gif and compare.png.")
            parser.add_argument("run_dirs", nargs="+", help="2 to 9 run directories, e.g. output/sgd_1x60 output/adam_1x60")
            parser.add_argument("--output-dir", default="output/compare", help="where to write (default: output/compare)")
            _add_render_overrides(parser)
            arguments = parser.parse_args(argv[1:])
            written = render_comparison(arguments.run_dirs, arguments.output_dir, arguments.overrides)
        else:
            parser = argparse.ArgumentParser(
                description="Redraw a saved run's pictures, or compare runs: animate.py compare RUN RUN ...")
            parser.add_argument("run_dir", help="a run directory written by train.py, e.g. output/adam_2x10")
            _add_render_overrides(parser)
            arguments = parser.parse_args(argv)
            written = render_run(arguments.run_dir, arguments.overrides)
    except (RunError, ConfigError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\ninterrupted: pictures finished before it are in place, no half-written one is", file=sys.stderr)
        return 130
    print("wrote " + ", ".join(str(path) for path in written))
    return 0


if __name__ == "__main__":
    signal.signal(signal.SIGINT, signal.default_int_handler)  # main() takes Ctrl-C from here on
    sys.exit(main())
