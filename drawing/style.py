"""What every picture shares: colours, fonts, number formats, PNG figures, fitted text."""

from __future__ import annotations

import functools
import logging
import shutil
import subprocess
import sys
import warnings
from collections.abc import Iterable, Sequence
from pathlib import Path

import matplotlib
import numpy as np
from matplotlib import font_manager
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, Locator, LogLocator, MaxNLocator

import targets

matplotlib.use("Agg")

# One colour per role, the same in every picture.
COLORS = {
    "data": "#9a9a9a",
    "truth": "#222222",
    "net": "#1f6fd1",
    "median": "#0b3b7a",  # the median of many nets: the nets' blue, darker
    "validation": "#e8840c",
    "floor": "#2a9d4b",
    "marker": "#d62728",
    "note": "#444444",
}
# Colours of the runs in compare.png, in order: tab10 without its green and red, which are the
# noise floor's and the marker's.
RUN_COLORS = ["#1f77b4", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf", "#000000"]
# Runs of two inputs side by side: none of the classes' orange and blue, which their maps are drawn in.
PLANE_RUN_COLORS = ["#6a3d9a", "#33a02c", "#e7298a", "#8c564b", "#000000", "#b15928", "#7f7f7f", "#17becf", "#bcbd22"]
DPI = 100


def palette_colors(extra: Sequence[str] = ()) -> list[tuple[int, int, int]]:
    """The colours (RGB, 0-255) a GIF's palette must hold exactly: every role's, black and white, and
    these extra colours (the runs' of a comparison)."""
    colors = list(COLORS.values()) + ["black", "white"] + list(extra)
    return [tuple(int(round(255 * channel)) for channel in matplotlib.colors.to_rgb(color)) for color in colors]


def plain_tick_labels(axes) -> None:
    """Errors as plain numbers ("0.1") and epochs with thousands separators ("1,000"), on major
    ticks and, where a log axis spans less than a factor of 50, on the minor ticks at
    2, 3 and 5 times a power of ten too.

    Easier to read for people new to log scales than powers of ten, and they skip matplotlib's
    maths-text parser, a good part of a picture's set-up time.
    """
    def plain(value: float, epochs: bool) -> str:
        return f"{value:,.0f}" if epochs and value >= 1 else f"{value:g}".replace("e+", "e")

    def major(value: float, _, axis, epochs: bool) -> str:
        # Powers of ten closer than their labels are wide (an epoch axis to 200,000 in a small panel
        # put '10,000' against '100,000'): every other one is labelled.
        if epochs and crowded_powers(axis) and value > 0 and round(np.log10(value)) % 2:
            return ""
        return plain(value, epochs)

    for axis, epochs in ((axes.xaxis, True), (axes.yaxis, False)):
        axis.set_major_formatter(FuncFormatter(lambda value, position, axis=axis, epochs=epochs:
                                               major(value, position, axis, epochs)))
        if not epochs and axis.get_scale() == "log":
            axis.set_major_locator(NarrowLogLocator())

        def minor(value: float, _, axis=axis, epochs=epochs) -> str:
            low, high = sorted(axis.get_view_interval())
            narrow = low > 0 and high / low < 50
            if narrow and high / low < NarrowLogLocator.FACTOR:
                return ""  # the major ticks are evenly spaced numbers then, each labelled
            return plain(value, epochs) if narrow and f"{value:.0e}"[0] in "235" else ""

        axis.set_minor_formatter(FuncFormatter(minor))


class NarrowLogLocator(Locator):
    """Ticks of a log axis of errors: powers of ten, as usual; but evenly spaced round numbers where
    the axis spans less than a factor of FACTOR, which may hold no power of ten nor 2, 3 or 5 times
    one (final errors from 0.0405 to 0.0417 had no number on their axis at all)."""

    FACTOR = 3

    def __init__(self):
        self.powers, self.even = LogLocator(), MaxNLocator(nbins=5, steps=[1, 2, 2.5, 5, 10])

    def chosen(self, low: float, high: float) -> Locator:
        locator = self.even if 0 < low < high < low * self.FACTOR else self.powers
        locator.set_axis(self.axis)
        return locator

    def __call__(self):
        low, high = sorted(self.axis.get_view_interval())
        return self.chosen(low, high).tick_values(low, high)

    def tick_values(self, vmin, vmax):
        low, high = sorted((vmin, vmax))
        return self.chosen(low, high).tick_values(low, high)


def crowded_powers(axis) -> bool:
    """Whether a horizontal log axis's powers of ten lie closer together than the widest of their
    labels ('100,000') is wide, with a little room between."""
    low, high = sorted(axis.get_view_interval())
    if axis.get_scale() != "log" or low <= 0 or high <= low:
        return False
    pixels_a_power = axis.axes.bbox.width / max(np.log10(high / low), 1e-9)
    widest = f"{10 ** np.floor(np.log10(high)):,.0f}"
    character = 0.62 * axis.majorTicks[0].label1.get_fontsize() * DPI / 72  # a digit's width, about
    return pixels_a_power < character * len(widest) + 8


def png_axes(height_inches: float = 4.5, rows: tuple[int, int] | None = None):
    """A figure of one plot for a PNG picture: (figure, axes). rows=(2, columns): the plot on the
    top row of a grid, over a row of `columns` small panels (added by the caller on its gridspec)."""
    figure = Figure(figsize=(8, height_inches), dpi=DPI)
    FigureCanvasAgg(figure)
    if rows is None:
        return figure, figure.subplots()
    grid = figure.add_gridspec(*rows, height_ratios=[3.4, 1])
    return figure, figure.add_subplot(grid[0, :])


def save_png(figure, axes, path: str | Path, legend_fontsize: float = 9) -> None:
    axes.legend(loc="best", fontsize=legend_fontsize)
    figure.tight_layout()
    figure.savefig(path, format="png")


# --- text in any script ---------------------------------------------------------------------------
# Text from the user (a run's name, a label, a CSV's column names) may be in any script, and
# matplotlib's own font, DejaVu Sans, has Latin, Greek and Cyrillic letters only. For characters it
# lacks, a font of this machine that has them is put behind it: matplotlib (3.6 and later) takes
# each glyph from the first family of rcParams["font.family"] that has it. Where no font has them,
# one plain line says so, instead of matplotlib's warning per glyph and picture.

# Characters already said to be missing: each is said once a process.
_missing_told: set[str] = set()
# The families put behind matplotlib's own font.
_fallback_families: set[str] = set()


def _not_about_fallback_weights(record: logging.LogRecord) -> bool:
    """Leave out matplotlib's word that a family put behind its font has no bold face: a font for
    other scripts often has one weight, and matplotlib then draws its characters in the regular one."""
    message = record.getMessage()
    return not (message.startswith("findfont: Failed to find font weight")
                and any(f" for {family}," in message for family in _fallback_families))


logging.getLogger("matplotlib.font_manager").addFilter(_not_about_fallback_weights)


def use_fonts_for(texts: Iterable[str]) -> None:
    """Make the pictures able to draw these texts (call before drawing them): add a font that has
    their characters where the fonts in use lack them, or else say once, in one line on stderr,
    which cannot be shown."""
    missing, unknown = characters_missing(texts), ""
    while missing:
        family = family_having(missing[0], missing)
        if family is None:  # no font has this one; look for the others
            unknown, missing = unknown + missing[0], missing[1:]
            continue
        _fallback_families.add(family)
        matplotlib.rcParams["font.family"] = [*matplotlib.rcParams["font.family"], family]
        missing = characters_missing(missing)
    missing = unknown
    if not missing:
        return
    # matplotlib would warn of each glyph again in every picture, naming its own files.
    warnings.filterwarnings("ignore", message=r"Glyph \d+ .* missing from font", category=UserWarning)
    untold = sorted(set(missing) - _missing_told)
    if untold:
        _missing_told.update(untold)
        listed = ", ".join(f"{character} (U+{ord(character):04X})" for character in untold)
        print(f"warning: no font on this machine has {listed}, in a name or label: the pictures show an empty box "
              "instead; install a font that has it (for Chinese, Japanese or Korean on Debian or Ubuntu: "
              "sudo apt-get install fonts-noto-cjk)", file=sys.stderr)


def characters_missing(texts: Iterable[str]) -> str:
    """The characters of these texts that no font in rcParams["font.family"] has, each once."""
    wanted = {character for text in texts for character in text if not character.isspace() and ord(character) > 127}
    if not wanted:
        return ""
    have: set[int] = set()
    for family in matplotlib.rcParams["font.family"]:
        try:
            path = font_manager.findfont(font_manager.FontProperties(family=[family]), fallback_to_default=False)
        except ValueError:  # a family of the list no longer here
            continue
        have |= font_characters(path)
    return "".join(sorted(character for character in wanted if ord(character) not in have))


@functools.lru_cache(maxsize=None)
def font_characters(path: str) -> frozenset[int]:
    """The characters a font file has glyphs for."""
    return frozenset(font_manager.get_font(path).get_charmap())


def family_having(character: str, others: str = "") -> str | None:
    """The family of a font of this machine that has the character (of those, the one that has most
    of the others), made known to matplotlib (whose list of fonts is made once and misses those
    installed since), or None."""
    having = [path for path in candidate_fonts(character) if ord(character) in font_characters(path)]
    if not having:
        return None
    path = max(having, key=lambda path: len(set(map(ord, others)) & font_characters(path)))
    if path not in {entry.fname for entry in font_manager.fontManager.ttflist}:
        font_manager.fontManager.addfont(path)
    return font_manager.FontProperties(fname=path).get_name()


def candidate_fonts(character: str) -> list[str]:
    """Font files that may have the character: those fontconfig lists as having it, or, on a
    machine without fontconfig, every font matplotlib knows."""
    if shutil.which("fc-list") is None:
        return sorted({entry.fname for entry in font_manager.fontManager.ttflist})
    try:
        listed = subprocess.run(["fc-list", f":charset={ord(character):x}", "file"], capture_output=True, text=True,
                                timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return []
    return sorted(line.split(":")[0] for line in listed.stdout.splitlines() if line.strip())


def plain_text(text: str) -> str:
    """Text from the user (a label, a name) as matplotlib should show it: '$' as a dollar sign,
    not the start of mathematics."""
    return text.replace("$", r"\$")


def fitted(text_artist, max_pixels: float, renderer) -> None:
    """Shorten a text artist's text with '…' until it is at most max_pixels wide."""
    text = text_artist.get_text()
    while len(text) > 1 and text_artist.get_window_extent(renderer).width > max_pixels:
        text = text[:-2].rstrip() + "…"
        text_artist.set_text(text)


def text_width(figure, text: str, **style) -> float:
    """How wide a text in this style would be in the figure, in pixels."""
    probe = figure.text(0, 0, text, **style)
    width = probe.get_window_extent(figure.canvas.get_renderer()).width
    probe.remove()
    return width


# Where a line of parts may break, coarsest first: between the parts joined by ' · ' (the separator
# dropped at the break), then after a colon or a comma (kept at the end of the line), then between words.
BREAKS = ((" · ", ""), (": ", ":"), (", ", ","), (" ", ""))


def wrapped(text: str, max_pixels: float, width_of, breaks: tuple = BREAKS) -> list[str]:
    """A text of parts joined by ' · ' in as few lines as fit max_pixels (width_of measures a line),
    broken between parts; a part wider than that alone is broken at its colons or commas, and only
    then between words (never inside a word, nor at a hyphen: 'held-out' stays whole)."""
    (separator, kept), finer = breaks[0], breaks[1:]
    pieces = text.split(separator)
    pieces = [piece + kept for piece in pieces[:-1]] + pieces[-1:]
    lines: list[str] = []
    for piece in pieces:
        joined = f"{lines[-1]}{separator[len(kept):]}{piece}" if lines else piece
        if lines and width_of(joined) <= max_pixels:
            lines[-1] = joined
        elif finer and width_of(piece) > max_pixels:
            lines += wrapped(piece, max_pixels, width_of, finer)
        else:
            lines.append(piece)
    return lines


def finite_or_nan(values: np.ndarray) -> np.ndarray:
    return np.where(np.isfinite(values), values, np.nan)


def thinned(count: int, limit: int) -> np.ndarray:
    """At most `limit` indices of `count`, evenly spread, first and last kept."""
    return np.arange(count) if count <= limit else np.unique(np.linspace(0, count - 1, limit).round().astype(np.int64))


# A CSV's column name labels an axis; past this many characters it is cut short.
MAX_AXIS_NAME = 30


def axis_name(name: str) -> str:
    """A column's name as an axis label: shown as written ($ and all), and not too long."""
    return plain_text(targets.shortened(name, MAX_AXIS_NAME))


def offsets_into_labels(axes) -> None:
    """Where matplotlib would write an axis's offset ('+1e9' for y around a billion) in a corner,
    where a legend may lie over it, put it in the axis label instead: 'value (ticks +1e9)'."""
    for axis in (axes.xaxis, axes.yaxis):
        formatter = axis.get_major_formatter()
        if not hasattr(formatter, "get_offset"):
            continue
        formatter.set_locs(axis.get_majorticklocs())
        offset = formatter.get_offset()
        if offset:
            axis.get_offset_text().set_visible(False)
            axis.set_label_text(f"{axis.get_label_text()} (ticks {offset})")
