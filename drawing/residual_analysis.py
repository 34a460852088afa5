"""What is left for a net to learn: its residuals over x and frames (against the true function, or
the data where that is not known), their spectrum along x and how much of it a panel shows, and
the colour scales and colours they are shown in (residuals.png, the page)."""

from __future__ import annotations

from dataclasses import dataclass

import matplotlib
import numpy as np
from matplotlib.colors import LogNorm, SymLogNorm

from drawing.curves import BLOW_UP_HEADROOM, data_range
from rundir import Run

# Zero residual is white in the heat map, and no amplitude near-white in the frequency panel:
# white is "nothing left to learn" in both.
RESIDUAL_COLORMAP = "RdBu_r"
SPECTRUM_COLORMAP = "YlOrBr"
# Colours neither colour map holds.
OFF_SCALE_COLOR = "#e000e0"
NOT_FINITE_COLOR = "black"
# The frequency panel reaches the frequency below which this share of the residual's energy lies
# in every frame: the eye finds nothing in the last percent. At least MIN_CUTOFF cycles, so that
# the sine's own frequencies always show, and at most MAX_CUTOFF: beyond, a net's residual is
# the sharp steps with which it fits the noise, spread thinly over tens of frequencies, each too
# faint to see; the share of the energy left out is then written under the panel.
ENERGY_SHARE = 0.99
MIN_CUTOFF, MAX_CUTOFF = 3.0, 10.0
# Amplitudes are shown over this many powers of ten below the largest: from the untrained net's
# residual (about 1) down to a thousandth of it, well below the noise's σ (0.2 by default).
SPECTRUM_DECADES = 3


@dataclass
class Residuals:
    """What the pictures show of one net: its residuals, and their spectrum where the truth is known."""

    x: np.ndarray  # (points,) the grid, or the training points sorted by x
    epochs: np.ndarray  # (frames,)
    values: np.ndarray  # (frames, points) float64, not finite where the prediction was not
    against_truth: bool  # prediction minus the true function, or minus the training data
    sigma: float | None  # the noise's standard deviation, where known
    frequencies: np.ndarray | None  # (bins,) cycles per 2π of x; None without a true function
    amplitudes: np.ndarray | None  # (frames, bins), NaN in a frame whose residual is not finite
    x_name: str = "x"  # what x is (a CSV's column name)


def residual_spectrum(residuals: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(frequencies in cycles per 2π of x, amplitudes (..., bins)) of residuals sampled at evenly
    spaced x, by a cosine transform (DCT-II): a residual a·cos(f·(x - x[0] + step/2)) has
    amplitude a at frequency f, a constant c has |c| at frequency 0.

    Why a cosine transform and not a plain FFT: an FFT takes the interval for one period of a
    periodic signal, so a residual that ends higher than it starts (a trend, the commonest shape
    of an unfinished fit) jumps at the seam, and a jump spreads over every frequency (amplitudes
    falling only as 1/f). The cosine transform is the FFT of the residual followed by its mirror
    image, which has no jump at either end: a trend stays at the lowest frequencies (falling as
    1/f²). The price: its bins are half a cycle of the interval apart, and a sine that runs a
    whole number of periods over the interval shows half a bin either side of its frequency
    (sin(x) on 0 to 2π at 0.5 and 1.5).
    """
    residuals = np.asarray(residuals, dtype=np.float64)
    x = np.asarray(x, dtype=np.float64)
    count = len(x)
    if count < 2 or residuals.shape[-1] != count:
        raise ValueError(f"residual_spectrum needs residuals at two or more x, one per x; "
                         f"got {residuals.shape} at {x.shape}")
    # x is the evenly spaced drawing grid (data.grid), stored as float32: far from zero its steps
    # differ by rounding, so they are not checked one by one.
    step = (x[-1] - x[0]) / (count - 1)
    if step <= 0:
        raise ValueError("residual_spectrum needs increasing x (the prediction grid)")
    mirrored = np.concatenate([residuals, residuals[..., ::-1]], axis=-1)
    bins = np.arange(count)
    # With the mirror image the FFT's bin k is 2·exp(iπk/2N)·Σ r_n cos(πk(n + ½)/N): undoing the
    # phase leaves the cosine sums, scaled here to read as amplitudes.
    sums = np.real(np.fft.rfft(mirrored, axis=-1)[..., :count] * np.exp(-1j * np.pi * bins / (2 * count))) / 2
    amplitudes = np.abs(sums) * 2 / count
    amplitudes[..., 0] /= 2
    # Bin k is k half-cycles over count steps of x: π·k / (count·step) cycles per 2π of x.
    return np.pi * bins / (count * step), amplitudes


def bin_energy(amplitudes: np.ndarray) -> np.ndarray:
    """Each bin's share of the residual's mean square, up to a common factor: bin 0 counts twice,
    as a constant c carries c² and a cosine of amplitude a carries a²/2."""
    return amplitudes ** 2 * np.where(np.arange(amplitudes.shape[-1]) == 0, 2.0, 1.0)


def frequency_cutoff(frequencies: np.ndarray, amplitudes: np.ndarray) -> float:
    """The highest frequency the panel shows: see ENERGY_SHARE. Frames not finite are left aside."""
    energy = bin_energy(amplitudes)
    energy = energy[np.isfinite(energy).all(axis=1) & (energy.sum(axis=1) > 0)]
    if len(energy) == 0:
        return min(MIN_CUTOFF, float(frequencies[-1]))
    held = np.cumsum(energy, axis=1) / energy.sum(axis=1, keepdims=True)
    needed = float(frequencies[min(int((held < ENERGY_SHARE).sum(axis=1).max()), len(frequencies) - 1)])
    return min(max(needed, MIN_CUTOFF), MAX_CUTOFF, float(frequencies[-1]))


def energy_above(frequencies: np.ndarray, amplitudes: np.ndarray, cutoff: float) -> float:
    """The largest share of a frame's residual energy above the cut-off (0 if none is)."""
    energy = bin_energy(amplitudes)
    energy = energy[np.isfinite(energy).all(axis=1) & (energy.sum(axis=1) > 0)]
    if len(energy) == 0:
        return 0.0
    return float((energy[:, frequencies > cutoff + 1e-9].sum(axis=1) / energy.sum(axis=1)).max())


def net_residuals(run: Run, net: int = 0) -> Residuals:
    """A net's residuals: against the true function on the grid, or, where it is not known, at
    the training points (the prediction interpolated there) against the data."""
    predictions = run.predictions[:, net].astype(np.float64)
    finite = np.isfinite(predictions).all(axis=1)
    sigma = float(np.sqrt(run.noise_floor)) if run.noise_floor else None
    if run.y_grid_true is None:
        order = np.argsort(run.x_train, kind="stable")
        x, y = run.x_train[order].astype(np.float64), run.y_train[order].astype(np.float64)
        # np.interp would mix a row's values that are not finite into their neighbours'.
        at_points = np.stack([np.interp(x, run.x_grid, prediction) if usable else np.full(len(x), np.nan)
                              for prediction, usable in zip(predictions, finite)])
        return Residuals(x, run.frame_epochs, at_points - y, False, sigma, None, None, run.axis_names[0])
    values = predictions - run.y_grid_true
    frequencies, amplitudes = residual_spectrum(np.where(finite[:, None], values, 0.0), run.x_grid)
    amplitudes[~finite] = np.nan
    return Residuals(run.x_grid.astype(np.float64), run.frame_epochs, values, True, sigma, frequencies, amplitudes,
                     run.axis_names[0])


def residual_limit(runs: list[Run], residuals: list[Residuals]) -> float:
    """How far the heat maps' colour scale reaches either side of zero: the largest residual
    short of a blow-up, one beyond BLOW_UP_HEADROOM times the span of the data and the truth. A
    blow-up is off the scale: a diverging net's 1e30 would otherwise leave every other residual
    white. (An untrained or very wide net's residual a little beyond the data's span is not one.)"""
    span = max(high - low for low, high in map(data_range, runs))
    largest = max(float(np.max(np.abs(item.values), initial=0.0,
                               where=np.isfinite(item.values) & (np.abs(item.values) <= BLOW_UP_HEADROOM * span)))
                  for item in residuals)
    return max(largest, 1e-6)


def calm_rows(values: np.ndarray, limit: float) -> np.ndarray:
    """The frames whose residuals are all finite and on the colour scale."""
    with np.errstate(invalid="ignore"):
        return (np.abs(values) <= limit).all(axis=1)


def off_scale_rows(values: np.ndarray, limit: float) -> np.ndarray:
    """The frames whose residuals are finite but some beyond the colour scale."""
    return np.isfinite(values).all(axis=1) & ~calm_rows(values, limit)


def residual_norm(limit: float, residuals: list[Residuals]) -> SymLogNorm:
    """A symmetric-log colour scale: logarithmic out to ±limit, so that the untrained net's
    residual (about 1) and a trained one's (hundredths) both show, and linear near zero, where
    a residual is too small to matter next to the noise: within a tenth of the noise's σ of the
    truth, within σ of the data (a residual against the data holds the noise itself); where σ is
    not known, a hundredth of the limit against the truth, a tenth against the data."""
    linear_parts = [(item.sigma if item.sigma else limit / 10) if not item.against_truth else
                    (item.sigma / 10 if item.sigma else limit / 100) for item in residuals]
    # One significant digit, for a colour bar tick at 0.02 rather than 0.0217.
    linear_part = float(f"{min(min(linear_parts), limit / 2):.1g}")
    return SymLogNorm(linear_part, linscale=0.5, vmin=-limit, vmax=limit, base=10)


def spectrum_norm(residuals: list[Residuals], limit: float) -> LogNorm:
    """A log colour scale of amplitudes: the largest in a frame on the heat maps' scale, down
    SPECTRUM_DECADES powers of ten."""
    largest = max(float(np.max(item.amplitudes[calm_rows(item.values, limit)], initial=0.0)) for item in residuals)
    largest = largest if largest > 0 else 1.0
    return LogNorm(largest / 10 ** SPECTRUM_DECADES, largest)


def colormap(name: str):
    return matplotlib.colormaps[name].with_extremes(over=OFF_SCALE_COLOR, under=OFF_SCALE_COLOR, bad=NOT_FINITE_COLOR)


def main_frequencies(run: Run) -> list[float]:
    """The fewest frequencies holding 90% of the true function's variation about its mean, in order."""
    frequencies, amplitudes = residual_spectrum(run.y_grid_true, run.x_grid)
    order = np.argsort(amplitudes[1:])[::-1] + 1
    energy = amplitudes[order] ** 2
    if energy.sum() == 0:
        return []
    count = int(np.searchsorted(np.cumsum(energy) / energy.sum(), 0.9)) + 1
    return sorted(float(frequency) for frequency in frequencies[order[:count]])


def colour_note(residuals: list[Residuals], limits: list[float]) -> str:
    """What the colours beyond the scales mean, when some residual is drawn in them (limits: each
    residual's colour scale's)."""
    notes = []
    off_scale = [limit for item, limit in zip(residuals, limits) if off_scale_rows(item.values, limit).any()]
    if off_scale:
        beyond = f"±{off_scale[0]:.2g}" if len(set(limits)) == 1 else "its row's scale"
        notes.append(f"magenta: off the colour scale (a residual beyond {beyond}, and every frequency of its frame)")
    if any(not np.isfinite(item.values).all() for item in residuals):
        notes.append("black: not a finite number")
    return "; ".join(notes)
