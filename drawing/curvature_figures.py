"""curvature.png: the Hessian of a run's training objective over its epochs (curvature.Spectrum):
the sharpness against the optimizer's stability threshold, the smallest eigenvalue, how many
eigenvalues are negative and how many near zero, and beside them every eigenvalue of net 0 at
every frame; and the comparison of several runs' curvature and landscapes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FixedLocator, NullLocator

from curvature import NEAR_ZERO_SHARE, Landscape, Spectrum
from drawing.comparison import seeds_words
from drawing.curves import axis_epochs, prepare_fonts, run_title, shared_axis_epochs, status_caption
from drawing.figures import fitting_lines
from drawing.landscape_frames import draw_path, plane_panel, plane_words
from drawing.style import COLORS, DPI, RUN_COLORS, plain_text, plain_tick_labels
from rundir import Run

# The roles curvature adds to style.COLORS: the threshold is a limit, as the truth is a reference;
# the negative and near-zero eigenvalues have colours of their own, the same in every panel.
CURVATURE_COLORS = {"threshold": COLORS["truth"], "negative": "#9467bd", "near_zero": "#8c564b",
                    "positive": COLORS["net"], "raw": "#7fa8dc"}
# What every curvature picture says its eigenvalues are of.
HESSIAN_WORDS = "Hessian of the full-batch training objective (MSE + penalties), exact, float64"
NEAR_ZERO_WORDS = f"|λ| ≤ {NEAR_ZERO_SHARE:g}·max|λ|"
# What the curves of sharpness_curves are called, in the picture and on the page.
SHARPNESS_NAMES = {"sharpness": "sharpness λmax(H)", "preconditioned": "preconditioned sharpness λmax(P⁻¹H)"}


def draw_curvature_png(run: Run, spectrum: Spectrum, path: str | Path) -> None:
    """curvature.png: see curvature_figure."""
    figure = curvature_figure(run, spectrum)
    figure.savefig(path, format="png")


def note_figure(run: Run, note: str) -> Figure:
    """A picture in place of curvature.png or landscape.gif that says why the run has none (curvature.Views.note)."""
    prepare_fonts([run])
    figure = Figure(figsize=(8, 1.6), dpi=DPI)
    FigureCanvasAgg(figure)
    figure.text(0.5, 0.5, f"{run_title(run)}\n{note}", ha="center", va="center", fontsize=10, wrap=True)
    return figure


def draw_note_png(run: Run, note: str, path: str | Path) -> None:
    note_figure(run, note).savefig(path, format="png")


class NoteAnimation:
    """The note as an animation of one frame, for landscape.gif and its videos."""

    frame_count = 1

    def __init__(self, run: Run, note: str):
        figure = note_figure(run, note)
        figure.canvas.draw()
        self.pixels = np.asarray(figure.canvas.buffer_rgba())

    def frame(self, index: int) -> np.ndarray:
        return self.pixels


FIGURE_HEIGHT = 6.6  # inches, at DPI: 660 pixels


def curvature_figure(run: Run, spectrum: Spectrum) -> Figure:
    """At the left, over log epochs: the sharpness against the stability threshold, the smallest
    eigenvalue and the counts of negative and near-zero eigenvalues; at the right every
    eigenvalue of net 0 at every frame, on a symmetric log scale."""
    prepare_fonts([run])
    figure = Figure(figsize=(8, FIGURE_HEIGHT), dpi=DPI)
    FigureCanvasAgg(figure)
    grid = figure.add_gridspec(3, 2, height_ratios=[1.5, 1, 1], width_ratios=[1, 1.05])
    sharpness_axes = figure.add_subplot(grid[0, 0])
    smallest_axes = figure.add_subplot(grid[1, 0], sharex=sharpness_axes)
    counts_axes = figure.add_subplot(grid[2, 0], sharex=sharpness_axes)
    spectrum_axes = figure.add_subplot(grid[:, 1], sharex=sharpness_axes)
    shown = EigenvaluesShown(spectrum)
    draw_sharpness(sharpness_axes, spectrum)
    draw_smallest(smallest_axes, shown)
    draw_counts(counts_axes, shown, spectrum.eigenvalues.shape[-1])
    draw_spectrum(spectrum_axes, shown, spectrum)
    for axes in (sharpness_axes, smallest_axes, counts_axes, spectrum_axes):
        epoch_axis(axes, axis_epochs(run))
        mark_divergence(axes, shown)
        plain_tick_labels(axes)
    for axes in (sharpness_axes, smallest_axes):
        axes.tick_params(labelbottom=False)
        axes.set_xlabel("")
    title = curvature_title(figure, run, spectrum, shown)
    figure.suptitle(title, fontsize=10,
                    color=COLORS["marker"] if run.status == "diverged" or shown.diverged_epoch else "black")
    # Fixed margins, the top's room made for the title's lines: tight_layout would take a third of
    # the picture's time to find about these.
    title_inches = 0.3 + 0.17 * (title.count("\n") + 1)
    figure.subplots_adjust(left=0.09, right=0.985, top=1 - title_inches / FIGURE_HEIGHT, bottom=0.07, hspace=0.35,
                           wspace=0.22)
    return figure


def curvature_title(figure, run: Run, spectrum: Spectrum, shown: EigenvaluesShown) -> str:
    """What was trained (as loss.png says it), what the eigenvalues are of, and how the run ended."""
    parameters = spectrum.eigenvalues.shape[-1]
    if len(spectrum.nets) > 1:
        nets = f" · {len(spectrum.nets)} nets, the spectrum of net 0"
    else:
        nets = " · net 0's" if run.nets > 1 else ""
    units = " · in the standardized units it trained in" if run.summary.standardization is not None else ""
    lines = [run_title(run), f"{HESSIAN_WORDS}{units} · {parameters} parameters (weights and biases){nets}"]
    if shown.diverged_epoch is not None:
        lines.append(f"not finite from epoch {shown.diverged_epoch:,} on (its weights blew up): not drawn")
    elif status_caption(run) and run.status == "diverged":
        lines.append(status_caption(run).replace("\n", " "))
    return "\n".join(fitting_lines(figure, line, fontsize=10) for line in lines)


class EigenvaluesShown:
    """Net 0's eigenvalues at the frames a log epoch axis can show (epoch 0, the untrained net, lies
    off it, as on every epoch axis of the pictures), NaN at frames whose eigenvalues are not all
    finite (a diverged net's), and what is counted of them."""

    def __init__(self, spectrum: Spectrum):
        on_axis = spectrum.frame_epochs >= 1
        self.epochs = spectrum.frame_epochs[on_axis].astype(np.float64)
        eigenvalues = spectrum.eigenvalues[on_axis, 0].astype(np.float64)
        self.finite = np.isfinite(eigenvalues).all(axis=-1)
        self.eigenvalues = np.where(self.finite[:, None], eigenvalues, np.nan)
        with np.errstate(invalid="ignore"):
            self.tolerance = NEAR_ZERO_SHARE * np.abs(self.eigenvalues).max(axis=-1)
            negative = (self.eigenvalues < -self.tolerance[:, None]).sum(axis=-1)
            near_zero = (np.abs(self.eigenvalues) <= self.tolerance[:, None]).sum(axis=-1)
            below_zero = (self.eigenvalues < 0).sum(axis=-1)
        self.negative_count = np.where(self.finite, negative, np.nan)
        # Every negative eigenvalue, however small: a saddle's directions down may all be near zero.
        self.below_zero_count = np.where(self.finite, below_zero, np.nan)
        self.near_zero_count = np.where(self.finite, near_zero, np.nan)
        all_finite = np.isfinite(spectrum.eigenvalues[:, 0]).all(axis=-1)
        self.diverged_epoch = None if all_finite.all() else int(spectrum.frame_epochs[~all_finite][0])

    @property
    def linear_within(self) -> float:
        """Where the symmetric log value axes turn linear: the typical near-zero tolerance, so that
        what counts as near zero is the linear middle of the axis."""
        tolerances = self.tolerance[np.isfinite(self.tolerance) & (self.tolerance > 0)]
        return float(np.median(tolerances)) if len(tolerances) else NEAR_ZERO_SHARE


def epoch_axis(axes, last_epoch: int) -> None:
    """A log epoch axis from 1 to the run's last epoch, as the error curves have."""
    axes.set_xscale("log")
    axes.set_xlim(1, max(2, last_epoch))
    axes.set_xlabel("epoch (log scale)")
    axes.grid(True, which="major", alpha=0.3)


def mark_divergence(axes, shown: EigenvaluesShown) -> None:
    if shown.diverged_epoch:
        axes.axvline(shown.diverged_epoch, color=COLORS["marker"], linestyle="--", linewidth=1.2)


def sharpness_curves(spectrum: Spectrum) -> dict[str, np.ndarray]:
    """(frames,) curves of net 0, or of the median over the nets and their 10th and 90th percentile:
    the sharpness (largest eigenvalue), the preconditioned sharpness where there is one, and the
    threshold; NaN where not finite. Epochs from 1 only."""
    on_axis = spectrum.frame_epochs >= 1

    def per_net(values: np.ndarray) -> np.ndarray:
        values = values[on_axis].astype(np.float64)
        return np.where(np.isfinite(values), values, np.nan)

    curves = {"epochs": spectrum.frame_epochs[on_axis].astype(np.float64),
              "sharpness": per_net(spectrum.sharpness)}
    if spectrum.preconditioned_sharpness is not None:
        curves["preconditioned"] = per_net(spectrum.preconditioned_sharpness)
    if spectrum.threshold is not None:
        curves["threshold"] = per_net(spectrum.threshold.values[:, None])[:, 0]
    return curves


def held_against_threshold(spectrum: Spectrum) -> str:
    """Which of sharpness_curves is held against the threshold: "preconditioned" for Adam and
    RMSprop (where it was worked out), else "sharpness"."""
    threshold = spectrum.threshold
    preconditioned = threshold is not None and threshold.preconditioned
    return "preconditioned" if preconditioned and spectrum.preconditioned_sharpness is not None else "sharpness"


def spread(values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(10th percentile, median, 90th percentile) over the nets of (frames, nets) values, skipping
    NaN; NaN where every net is."""
    result = np.full((3, len(values)), np.nan)
    some = np.isfinite(values).any(axis=1)
    if some.any():
        result[:, some] = np.nanpercentile(values[some], [10, 50, 90], axis=1)
    return result[0], result[1], result[2]


def threshold_label(spectrum: Spectrum) -> str:
    threshold = spectrum.threshold
    words = f"stability threshold {threshold.rule}"
    return words + (" (reference only: minibatches)" if threshold.reference_only else "")


def draw_threshold(axes, spectrum: Spectrum, color: str, lead: str = "") -> None:
    """The stability threshold over the epochs, dashed (dotted where it is a reference only), labelled
    with its rule after `lead`."""
    curves = sharpness_curves(spectrum)
    axes.plot(curves["epochs"], curves["threshold"], color=color, linewidth=1.2,
              linestyle=(0, (1.5, 1.5)) if spectrum.threshold.reference_only else "--",
              label=lead + threshold_label(spectrum))


def draw_sharpness(axes, spectrum: Spectrum) -> None:
    """The sharpness (net 0's, or the nets' median and 10-90% band) and the threshold it is held
    against: for Adam and RMSprop the preconditioned sharpness against it, the raw one beside."""
    curves = sharpness_curves(spectrum)
    epochs, threshold = curves["epochs"], spectrum.threshold
    compared = held_against_threshold(spectrum)
    names = SHARPNESS_NAMES
    if compared == "preconditioned":
        draw_spread(axes, epochs, curves["sharpness"], CURVATURE_COLORS["raw"], f"{names['sharpness']}, raw",
                    width=1.0, style=":")
    draw_spread(axes, epochs, curves[compared], COLORS["net"], names[compared], width=1.6)
    if threshold is None:
        axes.plot([], [], linestyle="none", label="no stability threshold known for this optimizer")
    else:
        draw_threshold(axes, spectrum, CURVATURE_COLORS["threshold"])
    axes.set_yscale("log")
    values = np.concatenate([np.ravel(curve) for name, curve in curves.items() if name not in ("epochs", "threshold")])
    axes.set_ylim(*log_limits(np.concatenate([values, within_reach(curves.get("threshold"), values)])))
    plain_tick_labels(axes)
    axes.set_ylabel("eigenvalue (log scale)")
    axes.set_title("sharpness: the largest eigenvalue" + ("" if len(spectrum.nets) == 1 else ", over the nets"),
                   loc="left", fontsize=9, pad=3)
    axes.legend(loc="best", fontsize=7)


def draw_spread(axes, epochs: np.ndarray, values: np.ndarray, color: str, label: str, width: float,
                style: str = "-") -> None:
    """One net's curve; several nets': their median, and the band of their 10th to 90th percentile."""
    marker = "o" if len(epochs) < 3 else None
    if values.shape[1] == 1:
        axes.plot(epochs, values[:, 0], color=color, linewidth=width, linestyle=style, marker=marker, markersize=3,
                  label=label)
        return
    low, median, high = spread(values)
    axes.fill_between(epochs, low, high, color=color, alpha=0.2, linewidth=0, label="10-90% of nets")
    axes.plot(epochs, median, color=color, linewidth=width, linestyle=style, marker=marker, markersize=3,
              label=f"{label}, median")


# A threshold more than this many times the largest eigenvalue drawn leaves the top of the axis (a
# schedule decaying to 0 takes it to 1e8): the eigenvalues keep the room.
THRESHOLD_REACH = 30


def within_reach(threshold: np.ndarray | None, values: np.ndarray) -> np.ndarray:
    """The threshold's values that an axis of these eigenvalues stretches to show (THRESHOLD_REACH)."""
    if threshold is None:
        return np.zeros(0)
    largest = np.nanmax(np.abs(values)) if np.isfinite(values).any() else np.inf
    return threshold[np.isfinite(threshold) & (threshold <= THRESHOLD_REACH * largest)]


def log_limits(values: np.ndarray) -> tuple[float, float]:
    """Limits of a log axis showing every finite positive value, with a little room."""
    values = values[np.isfinite(values) & (values > 0)]
    if len(values) == 0:
        return 0.1, 10.0
    low, high = float(values.min()), float(values.max())
    return low / 1.6, max(high, low * 10) * 1.6


def symmetric_log_axis(axes, shown: EigenvaluesShown, reach: float, most_powers: int = 2) -> None:
    """A value axis on a symmetric log scale from -reach to reach, linear within the typical
    near-zero tolerance; ticks at 0 and at ± the powers of ten beyond it (matplotlib's own put
    ±0.01 beside 0 inside a linear part a few pixels tall), at most most_powers a side, evenly
    picked from the largest down where they are more."""
    linear = shown.linear_within
    axes.set_yscale("symlog", linthresh=linear, linscale=1.0)
    axes.set_ylim(-reach, reach)
    powers = 10.0 ** np.arange(np.ceil(np.log10(linear * 1.5)), np.floor(np.log10(reach)) + 1)
    if len(powers) > most_powers:
        step = int(np.ceil(len(powers) / most_powers))
        powers = powers[::-1][::step][::-1]
    axes.yaxis.set_major_locator(FixedLocator(np.concatenate([-powers[::-1], [0.0], powers])))
    axes.yaxis.set_minor_locator(NullLocator())
    plain_tick_labels(axes)


def draw_smallest(axes, shown: EigenvaluesShown) -> None:
    """Net 0's smallest eigenvalue, with the band of near-zero values around 0."""
    epochs = shown.epochs
    axes.fill_between(epochs, -shown.tolerance, shown.tolerance, color=CURVATURE_COLORS["near_zero"], alpha=0.2,
                      linewidth=0, label=f"near zero: {NEAR_ZERO_WORDS}")
    axes.plot(epochs, shown.eigenvalues[:, 0], color=CURVATURE_COLORS["negative"], linewidth=1.4,
              marker="o" if len(epochs) < 3 else None, markersize=3, label="smallest eigenvalue λmin")
    axes.axhline(0, color=COLORS["note"], linewidth=0.6)
    smallest = shown.eigenvalues[:, 0]
    reach = np.nanmax(np.abs(smallest)) if np.isfinite(smallest).any() else 1.0
    symmetric_log_axis(axes, shown, 3 * max(reach, shown.linear_within))
    axes.set_ylabel("λmin")
    axes.set_title(f"smallest eigenvalue (symlog, linear in ±{shown.linear_within:.2g})",
                   loc="left", fontsize=9, pad=3)
    axes.legend(loc="best", fontsize=7)


def draw_counts(axes, shown: EigenvaluesShown, parameters: int) -> None:
    """How many of net 0's eigenvalues are negative and how many near zero, at each frame."""
    marker = "o" if len(shown.epochs) < 3 else None
    axes.plot(shown.epochs, shown.near_zero_count, color=CURVATURE_COLORS["near_zero"], linewidth=1.4,
              marker=marker, markersize=3, label=f"near zero: {NEAR_ZERO_WORDS}")
    axes.plot(shown.epochs, shown.negative_count, color=CURVATURE_COLORS["negative"], linewidth=1.4,
              marker=marker, markersize=3, label="negative: λ < −tolerance")
    axes.plot(shown.epochs, shown.below_zero_count, color=CURVATURE_COLORS["negative"], linewidth=1.0,
              linestyle=":", marker=marker, markersize=3, label="negative at all: λ < 0")
    axes.set_ylim(0, parameters * 1.05)
    axes.set_ylabel(f"count (of {parameters})")
    axes.set_title("how many eigenvalues are negative, near zero", loc="left", fontsize=9, pad=3)
    plain_tick_labels(axes)
    axes.legend(loc="best", fontsize=7)


def draw_spectrum(axes, shown: EigenvaluesShown, spectrum: Spectrum) -> None:
    """Every eigenvalue of net 0 at every frame, a small point each, coloured as negative, near zero
    or positive; the threshold where the raw eigenvalues are held against it."""
    epochs = np.repeat(shown.epochs[:, None], shown.eigenvalues.shape[1], axis=1)
    tolerance = shown.tolerance[:, None]
    with np.errstate(invalid="ignore"):
        kinds = {"negative": shown.eigenvalues < -tolerance, "near_zero": np.abs(shown.eigenvalues) <= tolerance,
                 "positive": shown.eigenvalues > tolerance}
    size, alpha = (4, 0.5) if len(shown.epochs) < 60 else (2, 0.3)
    names = {"negative": "negative", "near_zero": "near zero", "positive": "positive"}
    for kind, chosen in kinds.items():
        axes.scatter(epochs[chosen], shown.eigenvalues[chosen], s=size, alpha=alpha, linewidths=0,
                     color=CURVATURE_COLORS[kind], label=f"{names[kind]} eigenvalue", rasterized=True)
    threshold = spectrum.threshold
    if threshold is not None and not threshold.preconditioned:
        draw_threshold(axes, spectrum, CURVATURE_COLORS["threshold"])
    elif threshold is not None:
        axes.plot([], [], linestyle="none", label="(the threshold is the preconditioned sharpness's)")
    values = np.abs(shown.eigenvalues[np.isfinite(shown.eigenvalues)])
    reach = max(float(values.max()) if len(values) else 1.0, shown.linear_within)
    if threshold is not None and not threshold.preconditioned:
        reach = max([reach, *within_reach(threshold.values, values)])
    symmetric_log_axis(axes, shown, 2 * reach, most_powers=4)
    axes.axhline(0, color=COLORS["note"], linewidth=0.6)
    axes.set_ylabel("eigenvalue (symmetric log scale)")
    net = "" if len(spectrum.nets) == 1 else " of net 0"
    axes.set_title(f"every eigenvalue{net} at every frame", loc="left", fontsize=9, pad=3)
    legend = axes.legend(loc="lower left", fontsize=7, markerscale=3)
    for handle in legend.legend_handles:
        handle.set_alpha(1)


# --- several runs ------------------------------------------------------------------------------------

def draw_curvature_comparison(items: list[tuple[Run, Spectrum, Landscape]], path: str | Path,
                              labels: list[str] | None = None) -> None:
    """Several runs' curvature in one PNG: each run's landscape in a panel of its own (its whole path on
    the plane of its two main directions), and under them every run's sharpness on one plot, each
    in its run's colour with its threshold dashed. labels: what to call each run (its name by default)."""
    runs = [run for run, _, _ in items]
    labels = list(labels) if labels is not None else [run.name for run in runs]
    prepare_fonts(runs, labels)
    columns = min(len(items), 3)
    rows = -(-len(items) // columns)
    figure = Figure(figsize=(max(8.0, 3.6 * columns), 3.3 * rows + 3.4), dpi=DPI)
    FigureCanvasAgg(figure)
    grid = figure.add_gridspec(rows + 1, columns, height_ratios=[3.3] * rows + [3.0])
    for index, ((run, _, landscape), label, color) in enumerate(zip(items, labels, RUN_COLORS)):
        axes = figure.add_subplot(grid[index // columns, index % columns])
        colorbar_axes = axes.inset_axes([1.03, 0, 0.04, 1])
        plane_panel(axes, colorbar_axes, landscape, fontsize=7)
        draw_path(axes, landscape, color)
        net = ", net 0" if run.nets > 1 else ""  # (a landscape is net 0's)
        axes.set_title(f"■ {plain_text(label)}{seeds_words(run)}{net}\n{run.training_description}", loc="left",
                       fontsize=8, color=color)
        axes.text(0.02, 0.02, "\n".join(plane_words(landscape)[:2]), transform=axes.transAxes, fontsize=6.5,
                  color=COLORS["note"], va="bottom", bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.8,
                                                           "pad": 1})
    sharpness_axes = figure.add_subplot(grid[rows, :])
    for (run, spectrum, _), label, color in zip(items, labels, RUN_COLORS):
        curves = sharpness_curves(spectrum)
        compared = held_against_threshold(spectrum)
        which = "preconditioned sharpness" if compared == "preconditioned" else "sharpness"
        draw_spread(sharpness_axes, curves["epochs"], curves[compared], color, f"{plain_text(label)}: {which}",
                    width=1.5)
        if spectrum.threshold is not None:
            draw_threshold(sharpness_axes, spectrum, color, f"{plain_text(label)}: ")
    values = np.concatenate([np.ravel(curve) for _, spectrum, _ in items
                             for name, curve in sharpness_curves(spectrum).items() if name != "epochs"])
    epoch_axis(sharpness_axes, shared_axis_epochs(runs))
    sharpness_axes.set_yscale("log")
    sharpness_axes.set_ylim(*log_limits(values))
    plain_tick_labels(sharpness_axes)
    sharpness_axes.set_ylabel("eigenvalue (log scale)")
    sharpness_axes.set_title("sharpness (the largest eigenvalue of the Hessian) against each run's stability "
                             "threshold (dashed)", loc="left", fontsize=9, pad=3)
    sharpness_axes.legend(loc="best", fontsize=7)
    hidden = {plane_words(landscape)[2] for _, _, landscape in items}
    figure.suptitle("\n".join([f"curvature of {len(items)} runs · {HESSIAN_WORDS}",
                               "each run's path on the plane of its two main directions, through its final weights "
                               "(×), from its initial weights (○)", *sorted(hidden)]), fontsize=9)
    figure.tight_layout()
    figure.savefig(path, format="png")
