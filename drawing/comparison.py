"""What a comparison of runs shares (compare.gif, its units.gif, its page): the epochs it steps
through and each run's snapshot at them, whether its panels share their scales, the grid of fit
panels, their titles and notes, and the header with its epoch counter."""

from __future__ import annotations

import numpy as np

from drawing.animation import (CAPTION_FONTSIZE, CAPTION_STYLE, HEADER_ROW_STEP, HEADER_ROWS, MARGIN, NumberStamper,
                               draw_epoch_caption, grow_at_top, header_text, new_canvas)
from drawing.curves import data_range, ended_words, past_end_words
from drawing.fit_panel import NOTE_OFFSET, fit_limits, fit_panel
from drawing.style import COLORS, DPI, fitted, plain_text, text_width, wrapped
from rundir import Run


# Enough frames for any comparison to look smooth; more only make the GIF larger.
MAX_COMPARE_FRAMES = 300
# Pixels: a comparison's panel (its plot, titles above and tick labels below); the room of its titles
# and, below it, of its x tick labels and label; the gap between a panel and the next one's y labels.
PANEL_WIDTH, PANEL_HEIGHT, PANEL_TITLE, PANEL_BELOW, PANEL_GAP = 310, 250, 38, 40, 20
# Pixels between the lines of what a panel's run trained, where it takes more than one.
SUBTITLE_STEP = 14
# A comparison's header (two lines, as an animation of one run has) and the room below its last row.
COMPARE_HEADER, COMPARE_BOTTOM = 50, 6


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


# Panels of a comparison share their scales when every run's data spans at least this share of
# all the runs' together, in x and in y: otherwise a run on x in [0, 2π] beside one on years
# 1990-2002 would be a sliver each, and each panel gets scales of its own.
SHARED_SCALE_COVER = 1 / 3


def shared_scales(runs: list[Run]) -> bool:
    """Whether a comparison's panels can share their axes (SHARED_SCALE_COVER): of runs of one input
    their x and y; of runs of two inputs their x1 and x2 and, where every run is a regression, the
    targets (the maps' colours). A classifier's colours are its outputs', the same for any data."""
    if runs[0].is_plane:
        regressions = not any(run.config.classifies for run in runs)
        every_range = [[(float(run.x_grid[:, axis].min()), float(run.x_grid[:, axis].max())) for run in runs]
                       for axis in (0, 1)] + ([[data_range(run) for run in runs]] if regressions else [])
    else:
        every_range = [[(float(run.x_grid[0]), float(run.x_grid[-1])) for run in runs], [data_range(run) for run in runs]]
    for ranges in every_range:
        union = max(high for _, high in ranges) - min(low for low, _ in ranges)
        if union > 0 and min(high - low for low, high in ranges) < SHARED_SCALE_COVER * union:
            return False
    return True


def panel_limits(runs: list[Run]) -> list[tuple[tuple[float, float], tuple[float, float]]]:
    """Each comparison panel's (x limits, y limits): one set for all (fit_limits of every run) when
    the scales are shared, else each run's own."""
    if shared_scales(runs):
        return [fit_limits(runs)] * len(runs)
    return [fit_limits([run]) for run in runs]


def error_words(runs: list[Run], medians: bool = True) -> list[str]:
    """What each panel's title calls the training error it states: 'median MSE ' for a seeded run
    (with medians: the median over its nets, as seeds.gif states it), else 'MSE ' (one net's)."""
    return ["median MSE " if medians and run.nets > 1 else "MSE " for run in runs]


def compare_panels(runs: list[Run], limits: list, bottom_room: int = 0, number_width: float = 0.0,
                   words: list[str] | None = None):
    """A comparison's figure with one fit panel per run (fit_panel, with its limits: see
    panel_limits; panels with the same limits share their axes and tick labels), in a grid of 2
    columns for 2 or 4 runs and 3 otherwise, each column right of the one before by what its
    panels' y tick labels and label take, and bottom_room pixels below the grid for whatever else
    the comparison shows. Above each panel, room for its title and what its run trained in the lines
    it takes (subtitle_lines, beside its error's words, by default 'MSE ', and a number number_width
    pixels wide). Returns (figure, canvas, the runs' panels in order, what each run trained in lines)."""
    columns = {2: 2, 3: 3, 4: 2}.get(len(runs), 3)
    rows = -(-len(runs) // columns)
    figure, canvas = new_canvas(MARGIN + (PANEL_WIDTH + 60) * columns,
                                COMPARE_HEADER + PANEL_HEIGHT * rows + COMPARE_BOTTOM + bottom_room)
    words = words or error_words(runs, medians=False)
    subtitles = [subtitle_lines(figure, trained, number_width, word)
                 for trained, word in zip(differences_first(runs), words)]
    title_room = PANEL_TITLE + SUBTITLE_STEP * (max(map(len, subtitles)) - 1)
    figure.set_size_inches(figure.get_figwidth(), figure.get_figheight() + (title_room - PANEL_TITLE) * rows / DPI)
    shared = all(item == limits[0] for item in limits)
    grid = figure.subplots(rows, columns, sharex=shared, sharey=shared, squeeze=False)
    panels = grid.ravel()
    for axes in panels[len(runs):]:
        axes.set_visible(False)
    for axes, run, run_limits in zip(panels, runs, limits):
        fit_panel(axes, run, run_limits)
    if shared:  # one set of labels says it for all
        for axes in grid[:, 1:].ravel():
            axes.set_ylabel("")
        for axes in grid[:-1, :].ravel():
            axes.set_xlabel("")
    # Placed at their size first: which ticks an axis labels, and so how wide they are, depends on it.
    place_grid(figure, grid, [60] * columns, title_room)
    renderer = canvas.get_renderer()
    gutters = [max(label_width(axes, renderer) for axes in grid[:, column]) + PANEL_GAP for column in range(columns)]
    place_grid(figure, grid, gutters, title_room)
    return figure, canvas, list(panels[: len(runs)]), subtitles


def label_width(axes, renderer) -> float:
    """How wide a panel's y tick labels and label are, in pixels (0 if it shows none)."""
    extent = axes.yaxis.get_tightbbox(renderer) if axes.get_visible() else None
    return extent.width if extent is not None else 0.0


def place_grid(figure, grid, gutters: list[float], title_room: int = PANEL_TITLE) -> None:
    """Size a comparison's figure to its grid of panels and place them, each column `gutter` pixels
    right of the one before (room for its y tick labels and label), the last with room at the right
    for half of its last x tick label; each row title_room pixels above its panels for their titles."""
    right_room = 30
    width = int(round(MARGIN + sum(gutters) + PANEL_WIDTH * len(gutters) + right_room))
    height = figure.canvas.get_width_height()[1]
    figure.set_size_inches(width / DPI, height / DPI)
    panel_height = PANEL_HEIGHT - PANEL_TITLE - PANEL_BELOW
    row_height = panel_height + title_room + PANEL_BELOW
    for row, panels in enumerate(grid):
        left = MARGIN
        for axes, gutter in zip(panels, gutters):
            left += gutter
            bottom = height - (COMPARE_HEADER + row * row_height + title_room + panel_height)
            axes.set_position([left / width, bottom / height, PANEL_WIDTH / width, panel_height / height])
            left += PANEL_WIDTH


def differences_first(runs: list[Run]) -> list[str]:
    """What each run trained ('2x10 sigmoid · adam lr 0.01 · batch 32'), the parts that not every run
    shares first ('batch 32 · 2x10 sigmoid · adam lr 0.01'): what tells the runs apart is read first."""
    parts = [run.training_description.split(" · ") for run in runs]
    shared = set.intersection(*(set(run_parts) for run_parts in parts))
    return [" · ".join([part for part in run_parts if part not in shared] + [part for part in run_parts if part in shared])
            for run_parts in parts]


def subtitle_lines(figure, trained: str, number_width: float, word: str = "MSE ",
                   panel_width: float = PANEL_WIDTH) -> list[str]:
    """What a panel's run trained (differences_first) in the lines a panel's width (panel_width
    pixels) takes it, broken between its parts, each leaving room at the right for the error's word
    ("MSE ", error_words) and the frame's number, number_width pixels wide (which its last line holds)."""
    room = panel_width - number_width - text_width(figure, word, fontsize=9) - 10
    return wrapped(trained, room, lambda line: text_width(figure, line, fontsize=9))


def seeds_words(run: Run) -> str:
    """What a seeded run's label in a comparison is followed by: ' (50 seeds)'; nothing for one net."""
    return f" ({run.nets} seeds)" if run.nets > 1 else ""


def panel_title(axes, run: Run, label: str, number_width: float, swatch: str | None = None,
                subtitle: list[str] | None = None, subtitle_rows: int = 1, word: str = "MSE ",
                shown: str = "", status_in_title: bool = True) -> tuple[float, int]:
    """A comparison panel's title: its run's label, how many seeds (seeds_words), which net it shows
    (`shown`: ', net 0 (seed 0)') and how the run ended, then what was trained (in the lines of
    `subtitle`, by default the run's own words in one line; a row's titles leave room for the
    subtitle_rows lines of the longest) and the error's word ("MSE ", error_words) before room for the
    frame's number, number_width pixels at the right of its last line. A swatch colour leads the label
    with a square of it (the run's colour in other plots). Without status_in_title, the label alone
    (a narrow panel's subtitle says how many seeds and how the run ended). Returns where the number
    goes: its left edge and baseline row, in pixels from the top left."""
    figure, renderer = axes.figure, axes.figure.canvas.get_renderer()
    width, height = figure.canvas.get_width_height()
    box = axes.get_window_extent(renderer)
    subtitle = subtitle or [run.training_description]
    title_row, left = int(round(height - box.y1)) - 22 - SUBTITLE_STEP * (subtitle_rows - 1), box.x0
    if swatch:
        square = figure.text(left / width, 1 - title_row / height, "■ ", va="baseline", fontsize=10, color=swatch)
        left += square.get_window_extent(renderer).width
    ended = "" if run.status == "completed" else f" ({ended_words(run, of_requested=False)})"
    kept = seeds_words(run) + shown + ended if status_in_title else ""
    # The label is shortened to fit, never the words that say how many seeds, which net and how the run ended.
    title = figure.text(left / width, 1 - title_row / height, kept, va="baseline", fontsize=10,
                        fontweight="bold", color=COLORS["marker"] if run.status == "diverged" else "black")
    kept_width = title.get_window_extent(renderer).width if kept else 0.0
    title.set_text(plain_text(label))
    fitted(title, box.x1 - left - kept_width, renderer)
    title.set_text(title.get_text() + kept)
    # Below: what was trained, then the error's word and the frame's number at the right of its last line.
    rows = [title_row + 15 + SUBTITLE_STEP * line for line in range(len(subtitle))]
    mse = figure.text((box.x1 - number_width) / width, 1 - rows[-1] / height, word,
                      va="baseline", ha="right", fontsize=9, color=COLORS["net"])
    mse_left = box.x1 - number_width - mse.get_window_extent(renderer).width - 10
    for row, line in zip(rows, subtitle):  # (a part wider than the room alone is shortened)
        right = mse_left if row == rows[-1] else box.x1  # the lines above the number's have the panel's width
        fitted(figure.text(box.x0 / width, 1 - row / height, line, va="baseline", fontsize=9, color=COLORS["note"]),
               right - box.x0, renderer)
    return box.x1 - number_width, rows[-1]


def ended_notes(panels: list, runs: list[Run]) -> list:
    """Each comparison panel's note, drawn once the comparison's epoch is past its run's end
    (past_end_words), in the panel's lower right corner (see notes_of_early_end)."""
    return [axes.annotate(past_end_words(run), xy=(1, 0), xycoords="axes fraction", xytext=(-NOTE_OFFSET, NOTE_OFFSET),
                          textcoords="offset pixels", ha="right", va="bottom", fontsize=8, color=COLORS["note"],
                          animated=True, bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.85, "pad": 1})
            for axes, run in zip(panels, runs)]


def notes_of_early_end(notes: list, runs: list[Run], epochs: np.ndarray) -> list[list]:
    """Each panel's ended_notes note that some frame will draw, as a list (empty for a run that lasts
    to the comparison's last epoch): the bottom edge's notes that panel needs room for."""
    return [[note] if run.frame_epochs[-1] < epochs[-1] else [] for note, run in zip(notes, runs)]


def compare_caption(figure, epochs: np.ndarray, note: str, lines: tuple[str, ...] = ()) -> tuple[NumberStamper, float]:
    """A comparison's header: 'epoch N of LAST' with the note at its right (in red when it says the
    runs' data differ) or, where it does not fit there, on the lines below, whole; then `lines`
    (further notes). The figure grows at the top if they need more than the header's two lines:
    call it before anything but the panels is placed. Returns the stamper of N and the right edge
    of its slot."""
    width = figure.canvas.get_width_height()[0]
    style = {"fontsize": 9, "color": COLORS["marker"] if note.startswith("different") else COLORS["note"]}
    numbers = NumberStamper(CAPTION_FONTSIZE)
    beside, note_lines, further = caption_lines(figure, epochs, note, lines, numbers)
    rows = 1 + len(note_lines) + len(further)
    if rows > len(HEADER_ROWS):
        grow_at_top(figure, HEADER_ROW_STEP * (rows - len(HEADER_ROWS)))
    epoch_right, caption_right = draw_epoch_caption(figure, numbers, int(epochs[-1]))
    if beside:
        header_text(figure, 0, note, caption_right + 20, width - MARGIN, ha="right", **style)
    for row, line in enumerate(note_lines, start=1):
        header_text(figure, row, line, MARGIN, width - MARGIN, **style)
    for row, line in enumerate(further, start=1 + len(note_lines)):
        header_text(figure, row, line, MARGIN, width - MARGIN, fontsize=9, color=COLORS["note"])
    return numbers, epoch_right


def caption_lines(figure, epochs: np.ndarray, note: str, lines: tuple[str, ...] = (),
                  numbers: NumberStamper | None = None) -> tuple[bool, list[str], list[str]]:
    """How compare_caption lays out its header: whether the note fits beside 'epoch N of LAST', the
    lines it takes below where it does not, and the lines of `lines`, each wrapped to the width."""
    width = figure.canvas.get_width_height()[0]

    def width_of(text: str) -> float:
        return text_width(figure, text, fontsize=9)

    numbers = numbers or NumberStamper(CAPTION_FONTSIZE)
    last = f"{int(epochs[-1]):,}"  # as draw_epoch_caption writes it
    caption_right = (MARGIN + text_width(figure, "epoch ", **CAPTION_STYLE) + numbers.width(last)
                     + text_width(figure, f" of {last}", **CAPTION_STYLE))
    beside = width_of(note) <= width - MARGIN - (caption_right + 20)
    # (Stripped: a line that starts where the note's parts are set apart by more than a space.)
    note_lines = [] if beside else [line.strip() for line in wrapped(note, width - 2 * MARGIN, width_of)]
    return beside, note_lines, [line for text in lines for line in wrapped(text, width - 2 * MARGIN, width_of)]


def compare_numbers() -> tuple[NumberStamper, float]:
    """The stamper of a comparison panel's training error, and the width its number may take."""
    numbers = NumberStamper(9)
    return numbers, numbers.error_width()
