"""The static pictures: a run's error curves (loss.png, seeds.png), several runs' (compare.png),
and a study's final errors (final_error.png)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np
from matplotlib.lines import Line2D

from drawing.curves import (SEEDED_ERROR_WORDS, axis_epochs, divergence_epoch, draw_error_curves,
                            draw_median_and_band, error_name, error_range, final_held_out_errors, final_words, prepare_fonts,
                            restored_epochs, run_title, status_caption, style_loss_axes)
from drawing.comparison import seeds_words
from drawing.diagnostic_panels import draw_curves, style_small_panel
from drawing.diagnostics import SMALL_PANEL_COLORS, kernel_norm, learning_rate
from drawing.knob_curves import draw_knob_curves
from summaries import NO_FLOOR_WORDS, StudyRow, floor_words, format_loss, percent
from drawing.style import (COLORS, RUN_COLORS, plain_text, plain_tick_labels, png_axes, save_png, text_width,
                           use_fonts_for, wrapped)
from rundir import Run, median_over_nets


def draw_loss_png(run: Run, path: str | Path) -> None:
    """loss.png (one net) or seeds.png (several): see loss_figure."""
    save_png(*loss_figure(run), path)


def loss_figure(run: Run):
    """(figure, error axes) of loss.png or seeds.png: training and held-out error against epoch, on
    log axes, with the noise floor; where the run has them, its penalty and batch mean beside the
    training error, and under it small panels of its learning rate and kernels' norm."""
    prepare_fonts([run])
    small = [diagnostic for diagnostic in (learning_rate(run), kernel_norm(run)) if diagnostic.curves is not None]
    figure, axes = png_axes(height_inches=5.4, rows=(2, len(small))) if small else png_axes()
    # A classifier's losses are cross-entropies (or Playground's squared error, an MSE).
    named = {"label": "binary cross-entropy (log scale)"} if error_name(run) == "cross-entropy" else {}
    style_loss_axes(axes, [run], knobs=True, **named)
    draw_knob_curves(axes, run)
    draw_error_curves(axes, run)
    best = restored_epochs(run)
    if run.nets == 1 and best is not None:
        axes.axvline(best[0], color=COLORS["note"], linestyle=":", linewidth=1.2,
                     label=f"best epoch ({int(best[0]):,}): its weights restored")
    if small:
        small_panels_under(figure, axes, run, small)
    caption = status_caption(run)
    final = final_held_out_errors(run)
    if run.nets == 1:
        ending = f"final training error {format_loss(run.frame_loss[-1, 0])}, held-out {format_loss(final[0])}"
    else:
        ending = f"median final held-out error {format_loss(float(median_over_nets(final)))}"
    if run.summary.val_error_rate is not None:  # a classifier's
        ending += f"; {'median ' if run.nets > 1 else ''}held-out error rate {percent(run.summary.val_error_rate)}"
    if caption:  # how it ended, and its final errors unless it failed
        ending = caption.replace("\n", " ") + ("" if run.status in ("diverged", "interrupted") else f": {ending}")
    # A long name (up to 100 characters), or all the knobs a run turned, wraps rather than running off the picture.
    axes.set_title("\n".join(fitting_lines(figure, line, fontsize=10) for line in (run_title(run), ending)), fontsize=10,
                   color=COLORS["marker"] if run.status == "diverged" else "black")
    return figure, axes


def fitting_lines(figure, text: str, fontsize: float, margin: float = 90) -> str:
    """A title's line wrapped into lines that each fit the figure's width less `margin` pixels: between
    its ' · ' parts, else at its colons and commas (style.wrapped), never inside a word."""
    room = figure.get_figwidth() * figure.dpi - margin
    return "\n".join(wrapped(text, room, lambda line: text_width(figure, line, fontsize=fontsize)))


def small_panels_under(figure, axes, run: Run, diagnostics: list) -> None:
    """Small panels side by side under the error axes, on its epoch axis: a diagnostic each (the
    learning rate, the kernels' norm), titled; the epoch axis is labelled under them."""
    for column, diagnostic in enumerate(diagnostics):
        panel = figure.add_subplot(axes.get_gridspec()[1, column], sharex=axes)
        style_small_panel(panel, [diagnostic], axis_epochs(run))
        draw_curves(panel, diagnostic, [SMALL_PANEL_COLORS[diagnostic.name]], ["-"], width=1.2)
        panel.set_title(diagnostic.titles[0], loc="left", fontsize=9, pad=3)
        panel.set_xlabel("epoch (log scale)", fontsize=8, labelpad=1)
    axes.tick_params(labelbottom=True)
    axes.set_xlabel("")


def draw_compare_png(runs: list[Run], labels: list[str], path: str | Path) -> None:
    """All runs' training error against epoch on one log-log plot, with the noise floor: a seeded
    run's median with the band of its 10th to 90th percentile shaded; a run that diverged is marked
    where its curve leaves the plot."""
    prepare_fonts(runs, labels)
    figure, axes = png_axes(height_inches=5)
    style_loss_axes(axes, runs, label="training mean squared error (log scale)")
    note = compare_error_curves(axes, runs, labels, RUN_COLORS)
    axes.set_title(f"training error of {len(runs)} runs{note}", fontsize=10, pad=12)  # room for the Xs
    save_png(figure, axes, path, legend_fontsize=8)


def compare_error_curves(axes, runs: list[Run], labels: list[str], colors: list[str], width: float = 1.5) -> str:
    """Every run's training error on styled error axes (style_loss_axes), each in its colour: a
    seeded run's median with the band of its 10th to 90th percentile shaded; a run that diverged
    marked with an X where its curve leaves the plot; each run's noise floor where they differ.
    Labelled for a legend with the run's label, what it trained and how it ended. Returns what the
    title says of them after 'training error of N runs': whether their data differ, and the
    seeded runs' and the Xs' meaning, on lines of their own."""
    top = error_range(runs)[1]
    for run, label, color in zip(runs, labels, colors):
        # The legend stays inside the plot; a seeded run's says how many seeds.
        short = textwrap.shorten(plain_text(label), 60, placeholder="…") + seeds_words(run)
        legend = f"{short}: {run.training_description} ({final_words(run)})"
        if run.nets > 1:
            draw_median_and_band(axes, run, color, legend, width=width)
        else:
            draw_error_curves(axes, run, color=color, label=legend, held_out=False, width=width)
        if run.diverged_at_epoch:
            axes.plot([max(divergence_epoch(run), 1)], [top], marker="X", markersize=9, color=color, clip_on=False, zorder=5)
        if len({other.noise_floor for other in runs}) > 1 and run.noise_floor:
            axes.axhline(run.noise_floor, color=color, linestyle="--", linewidth=1)
    floors = {run.noise_floor for run in runs}
    if same_data(runs):
        note = ""
    elif len(floors) > 1 and floors - {None}:  # the dashed lines above were drawn
        note = f" (different data: dashed lines are each run's noise floor{', where known' if None in floors else ''})"
    else:
        note = " (different data)"
    blown = "\nX: a run's error left the plot (it diverged)" if any(run.diverged_at_epoch for run in runs) else ""
    seeded = f"\n{SEEDED_ERROR_WORDS}" if any(run.nets > 1 for run in runs) else ""
    return f"{note}{seeded}{blown}"


def data_differences(runs: list[Run]) -> list[str]:
    """What differs between the data the runs were trained on ('target', 'data file', 'noise', ...,
    or 'file vs generated'): nothing for runs on the same points."""
    if same_data(runs):
        return []

    def settings(run: Run) -> dict:
        config = run.config
        if config.data_file is not None:
            return {"data file": run.summary.data_sha256, "data seed": config.data_seed_used,
                    "held-out share": config.validation_fraction}
        if config.is_plane:  # a problem of two inputs (its name, or an expression in x1 and x2)
            return {"problem": config.problem, "task": config.task, "noise": config.noise,
                    "number of points": config.n_samples, "data seed": config.data_seed_used}
        return {"target": config.target, "noise": config.noise_std, "x range": (config.x_min, config.x_max),
                "number of points": config.n_samples, "data seed": config.data_seed_used}

    described = [settings(run) for run in runs]
    if len({tuple(sorted(item)) for item in described}) > 1:
        return ["file vs generated"]
    differing = [key for key in described[0] if len({repr(item[key]) for item in described}) > 1]
    return differing or ["the points"]


def same_data(runs: list[Run]) -> bool:
    """Whether all runs were trained on the same points (same seed, noise, range and count)."""
    first = runs[0]
    return all(
        run.x_train.shape == first.x_train.shape and np.array_equal(run.x_train, first.x_train)
        and np.array_equal(run.y_train, first.y_train) and run.noise_floor == first.noise_floor
        for run in runs[1:]
    )


def draw_final_errors(rows: list[StudyRow], errors: list[np.ndarray], path: str | Path, title: str, xlabel: str,
                      rates: bool = False) -> None:
    """A study's final_error.png: each seed's final held-out error as a dot per experiment, with
    the median and the 10th-90th percentile spread drawn beside the dots, and the noise floor; with
    rates, a study of classifiers: each seed's held-out error rate (errors in percent), on a linear
    scale from 0, and the Bayes error rate where it is known."""
    use_fonts_for([title, xlabel] + [text for row in rows for text in (row.experiment, row.trained)])
    figure, axes = png_axes(height_inches=4.8)
    rng = np.random.default_rng(0)  # the horizontal jitter of the dots only
    for position, finite in enumerate(errors):
        finite = finite[np.isfinite(finite)]
        axes.scatter(position - 0.08 + rng.uniform(-0.14, 0.14, len(finite)), finite, s=14, color=COLORS["net"],
                     alpha=0.55, linewidths=0, zorder=3)
        if len(finite):
            low, median, high = np.percentile(finite, [10, 50, 90])
            axes.plot([position + 0.2] * 2, [low, high], color=COLORS["truth"], linewidth=2, zorder=2)
            axes.plot([position + 0.12, position + 0.28], [median] * 2, color=COLORS["truth"], linewidth=3, zorder=2)
    floors = {100 * row.bayes_error_rate if row.bayes_error_rate is not None else None for row in rows} if rates else {
        row.noise_floor for row in rows}
    shared_floor = next(iter(floors)) if len(floors) == 1 else None
    if shared_floor:
        axes.axhline(shared_floor, color=COLORS["floor"], linestyle="--", linewidth=1.2, zorder=1)
    elif len(floors) > 1:  # experiments on different data: each its own floor, where it is known
        for position, row in enumerate(rows):
            floor = (None if row.bayes_error_rate is None else 100 * row.bayes_error_rate) if rates else row.noise_floor
            if floor:
                axes.plot([position - 0.4, position + 0.4], [floor] * 2, color=COLORS["floor"],
                          linestyle="--", linewidth=1.2, zorder=1)
    if rates:
        axes.set_ylim(bottom=0)
    else:
        axes.set_yscale("log")
        plain_tick_labels(axes)
    # Each experiment's name, then what it trained, a part a line ('1x60 sigmoid', 'sgd lr 0.01').
    axes.set_xticks(range(len(rows)), ["\n".join([row.experiment] + row.trained.split(" · ")) for row in rows],
                    fontsize=9)
    axes.set_xlim(-0.6, len(rows) - 0.4)
    axes.set_ylabel("final held-out error rate (%)" if rates else "final held-out mean squared error (log scale)")
    axes.set_xlabel(xlabel)
    axes.set_title(title, fontsize=10)
    axes.grid(True, axis="y", alpha=0.3)
    # Legend entries drawn as the figure draws them: the spread is a vertical bar.
    handles = [
        Line2D([], [], marker="o", linestyle="none", color=COLORS["net"], alpha=0.55, markersize=5, label="one seed"),
        Line2D([], [], marker="|", linestyle="none", color=COLORS["truth"], markersize=14, markeredgewidth=2,
               label="10th-90th percentile"),
        Line2D([], [], marker="_", linestyle="none", color=COLORS["truth"], markersize=12, markeredgewidth=3,
               label="median"),
    ]
    floor_name = "Bayes error rate" if rates else "noise floor"
    if shared_floor:
        label = f"Bayes error rate {shared_floor:.2g}%" if rates else floor_words(shared_floor, "g")
        handles.append(Line2D([], [], color=COLORS["floor"], linestyle="--", label=label))
    elif floors - {None}:
        known = f"each experiment's {floor_name}" + (", where known" if None in floors else "")
        handles.append(Line2D([], [], color=COLORS["floor"], linestyle="--", label=known))
    else:
        handles.append(Line2D([], [], linestyle="none", label="Bayes error rate unknown" if rates else NO_FLOOR_WORDS))
    axes.legend(handles=handles, loc="best", fontsize=8)
    figure.tight_layout()
    figure.savefig(path, format="png")
