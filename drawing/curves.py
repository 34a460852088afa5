"""What the pictures plot of a run: its error curves and their ranges, the fit panel's range,
the prediction a frame can show, and the words that say how a run ended."""

from __future__ import annotations

import warnings

import numpy as np
from matplotlib.collections import LineCollection

import targets
from quantities import epochs_of_weights
from drawing.style import COLORS, finite_or_nan, plain_tick_labels, use_fonts_for
from rundir import Run, median_over_nets
from summaries import NO_FLOOR_WORDS, floor_words, format_loss

# Enough points to draw a loss curve faithfully at GIF or PNG width, however long the run.
MAX_CURVE_POINTS = 4000
# Error curves are drawn up to this many times the largest error of an untrained net: a
# diverging run's blow-up (to 1e37) would otherwise squash every other curve flat.
BLOW_UP_HEADROOM = 10.0
# A penalty is drawn beside the errors down to this many powers of ten below the lowest error.
PENALTY_DECADES = 2


def curve_points(values: np.ndarray, max_points: int = MAX_CURVE_POINTS, first_epoch: int = 1):
    """(epochs, values) of a per-epoch curve, thinned to about max_points on a log-spaced set of
    epochs (every early epoch, where the curve changes fast, is kept). Epochs start at first_epoch."""
    count = len(values)
    if count <= max_points:
        indices = np.arange(count)
    else:
        indices = np.unique(np.round(np.geomspace(1, count, max_points)).astype(np.int64) - 1)
    return indices + first_epoch, values[indices]


def per_epoch_curve(values: np.ndarray, weights: str) -> tuple[np.ndarray, np.ndarray]:
    """(epochs, values) of a per-epoch quantity (values: epochs × nets, as recorded), each value
    at the epoch of the weights it describes (epochs_of_weights): consecutive epochs from 0 for a
    quantity of the weights before each update, from 1 for one of the weights after it."""
    return epochs_of_weights(np.arange(1, len(values) + 1), weights), values


def training_error_curve(run: Run) -> tuple[np.ndarray, np.ndarray]:
    """(epochs, errors (epochs, nets)): the training error of the weights after each epoch, the
    final weights' included. The history's loss describes the weights its declaration says; as
    Keras reports it, those before each update, so the last one is of the weights one epoch short
    of the final ones: the last frame's error, of the final weights, ends the curve."""
    epochs, values = per_epoch_curve(run.loss, run.quantity("epoch.loss").weights)
    final = int(run.frame_epochs[-1])
    # Restored best weights are not those after the last epoch: their error is on the curve at
    # their own epoch already, and the last epoch's weights were not kept.
    if final == len(run.loss) and (len(epochs) == 0 or epochs[-1] < final) and restored_epochs(run) is None:
        epochs, values = np.append(epochs, final), np.concatenate([values, run.frame_loss[-1:]])
    return epochs, values


def held_out_error_curve(run: Run) -> tuple[np.ndarray, np.ndarray]:
    """(epochs, errors (epochs, nets)): the held-out error of the weights after each epoch it was
    computed for (as the history's val_loss is declared)."""
    return per_epoch_curve(run.val_loss, run.quantity("epoch.val_loss").weights)


def drawn_curve(epochs: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A whole per-epoch curve (consecutive epochs, as per_epoch_curve gives them) as the pictures
    draw it: thinned (curve_points) and from epoch 1, as the epoch axes are logarithmic."""
    epochs, values = curve_points(values, first_epoch=int(epochs[0]) if len(epochs) else 1)
    return epochs[epochs >= 1], values[epochs >= 1]


def training_curve(run: Run) -> tuple[np.ndarray, np.ndarray]:
    """(epochs from 1, the training error of the weights after that many epochs; (points, nets)),
    as drawn: it goes through the error each frame states (training_error_curve)."""
    return drawn_curve(*training_error_curve(run))


def held_out_curve(run: Run) -> tuple[np.ndarray, np.ndarray]:
    """(epochs from 1, the held-out error after that many epochs; (points, nets)), as drawn."""
    return drawn_curve(*held_out_error_curve(run))


def error_range(runs: list[Run], knobs: bool = False) -> tuple[float, float]:
    """The y range of error curves: every finite error and the noise floor. When some nets
    diverged and others did not, no higher than BLOW_UP_HEADROOM times the highest error of
    those that did not, so that a blow-up (to 1e37) does not squash the other curves flat.
    With knobs, a minibatch run's batch mean too and its penalty, down to PENALTY_DECADES below
    the errors (a tiny penalty would otherwise squash the errors flat)."""
    values, calm, blown = [], [], False
    for run in runs:
        extra = [run.per_epoch["batch_loss"]] if knobs and "batch_loss" in run.per_epoch else []
        curves = np.concatenate([run.loss, run.val_loss, run.frame_loss, *extra]).astype(np.float64)
        values.append(np.ravel(curves))
        finite_nets = np.isfinite(curves).all(axis=0)
        calm.append(np.ravel(curves[:, finite_nets]))
        blown = blown or not finite_nets.all()
    values += [np.array([run.noise_floor]) for run in runs if run.noise_floor]
    values += [np.array([run.summary.bayes_cross_entropy]) for run in runs if run.summary.bayes_cross_entropy]
    values = np.concatenate(values)
    values = values[np.isfinite(values) & (values > 0)]
    if len(values) == 0:
        return 1e-3, 1.0
    low, high = float(values.min()), float(values.max())
    calm = np.concatenate(calm)
    if blown and len(calm):
        high = min(high, BLOW_UP_HEADROOM * float(calm.max()))
    penalties = [np.ravel(run.per_epoch["penalty"]) for run in runs if knobs and "penalty" in run.per_epoch]
    penalties = np.concatenate(penalties or [np.zeros(0)]).astype(np.float64)
    penalties = penalties[np.isfinite(penalties) & (penalties > 0)]
    if len(penalties):
        low = min(low, max(float(penalties.min()), low / 10**PENALTY_DECADES))
        high = max(high, min(float(penalties.max()), BLOW_UP_HEADROOM * high))
    return low / 1.5, max(high, low) * 1.5


def axis_epochs(run: Run) -> int:
    """How far a run's epoch axis reaches: the whole requested run, or up to a divergence."""
    return run.diverged_at_epoch or run.epochs_requested


def shared_axis_epochs(runs: list[Run]) -> int:
    """How far an epoch axis showing these runs reaches: one run's, axis_epochs; several runs', up
    to the furthest any of them got (a run interrupted at 20,000 of 200,000 requested beside runs of
    20,000 would otherwise leave a decade of the axis empty)."""
    if len(runs) == 1:
        return axis_epochs(runs[0])
    return max(run.epochs_completed for run in runs)


def final_words(run: Run) -> str:
    """How a run ended and its final training error (the median of many nets'), as compare.png's
    legend and a comparison's page say it."""
    if run.diverged_at_epoch:
        return ended_words(run)
    stopped = f"{ended_words(run, of_requested=False)}, " if run.status in ("interrupted", "stopped_early") else ""
    median = "median " if run.nets > 1 else ""
    return f"{stopped}final {median}{training_error_words(run)} {format_loss(float(median_over_nets(run.frame_loss[-1])))}"


def final_held_out_errors(run: Run) -> np.ndarray:
    """(nets,) the held-out error of each net's final weights: the restored best weights' where early
    stopping restored them (summary.json's), else the last epoch's."""
    errors = run.summary.final_held_out_errors()
    return errors if len(errors) == run.nets else run.val_loss[-1].astype(np.float64)


def past_end_words(run: Run) -> str:
    """What a comparison's panel of this run says once the comparison's epoch is past the run's end."""
    return f"ended at epoch {int(run.frame_epochs[-1]):,}"


def style_loss_axes(axes, runs: list[Run], label: str = "mean squared error (log scale)", knobs: bool = False) -> None:
    """Log-log error axes for runs: ranges, labels, the noise floor (if all share one) and
    the epochs where runs diverged; with knobs, room for a run's penalty and batch mean too."""
    low, high = error_range(runs, knobs)
    axes.set_yscale("log")
    axes.set_ylim(low, high)
    axes.set_xscale("log")
    axes.set_xlim(1, max(2, shared_axis_epochs(runs)))
    axes.set_xlabel("epoch (log scale)")
    axes.set_ylabel(label)
    plain_tick_labels(axes)
    floors = {run.noise_floor for run in runs}
    bayes = {run.summary.bayes_cross_entropy for run in runs}
    if all(run.config.classifies for run in runs):  # a classifier's loss has no noise floor
        if len(bayes) == 1 and None not in bayes:  # the least cross-entropy any classifier can have (two Gaussians)
            axes.axhline(bayes.pop(), color=COLORS["floor"], linestyle="--", linewidth=1.2,
                         label=f"Bayes cross-entropy {runs[0].summary.bayes_cross_entropy:.3g}")
    elif len(floors) == 1 and runs[0].noise_floor:
        axes.axhline(runs[0].noise_floor, color=COLORS["floor"], linestyle="--", linewidth=1.2,
                     label=floor_words(runs[0].noise_floor))
    elif floors == {None}:  # a legend entry with no line: data from a file, whose noise nobody knows
        axes.plot([], [], linestyle="none", label=NO_FLOOR_WORDS)
    if len(runs) == 1 and divergence_epoch(runs[0]):  # (epoch 0, the untrained net, is off the log axis)
        axes.axvline(divergence_epoch(runs[0]), color=COLORS["marker"], linestyle="--", linewidth=1.2,
                     label=ended_words(runs[0]))
    axes.grid(True, which="major", alpha=0.3)


def floor_phrase(run: Run) -> str:
    """What a run's header says of the least error it can reach: the noise floor ('noise floor σ² =
    0.04', 'noise floor unknown'), or a classifier's Bayes error rate ('Bayes error rate 7.9%',
    'Bayes error rate unknown')."""
    if not run.config.classifies:
        return floor_words(run.noise_floor)
    rate = run.summary.bayes_error_rate
    return "Bayes error rate unknown" if rate is None else f"Bayes error rate {100 * rate:.2g}%"


def draw_error_curves(axes, run: Run, color: str = COLORS["net"], label: str = "training error",
                      held_out: bool = True, width: float = 1.5, held_out_label: str = "held-out error") -> None:
    """One net's training error and held-out error (labelled label and held_out_label); several
    nets': each faint, the median bold."""
    epochs, loss = training_curve(run)
    marker = "o" if len(epochs) < 3 else None  # a run of an epoch or two: points, not an invisible line
    if run.nets == 1:
        axes.plot(epochs, loss[:, 0], color=color, linewidth=width, marker=marker, markersize=4, label=label)
        if held_out:
            epochs, val_loss = held_out_curve(run)
            axes.plot(epochs, val_loss[:, 0], color=COLORS["validation"], linewidth=width * 0.6, alpha=0.8,
                      marker=marker, markersize=3, label=held_out_label)
        return
    loss = finite_or_nan(loss)
    alpha = max(0.06, min(0.3, 6 / run.nets))  # a hundred faint lines should not fill the panel
    axes.add_collection(LineCollection([np.column_stack([epochs, net]) for net in loss.T],
                                       colors=color, linewidths=width * 0.4, alpha=alpha))
    axes.plot([], [], color=color, linewidth=width * 0.4, alpha=min(3 * alpha, 1), label=f"each of {run.nets} nets")
    axes.plot(epochs, median_over_nets(loss), color=COLORS["median"], linewidth=width * 1.4, marker=marker,
              label=f"{label}, median")


def training_error_band(run: Run) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(epochs, 10th percentile, median, 90th percentile) of a seeded run's training error over
    its nets, as drawn (training_curve), over the nets whose error is finite there (NaN where none is)."""
    epochs, loss = training_curve(run)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN points: every net diverged there
        low, median, high = np.nanpercentile(finite_or_nan(loss).astype(np.float64), [10, 50, 90], axis=1)
    return epochs, low, median, high


# How a comparison's error curves say what they draw of a seeded run (draw_median_and_band).
SEEDED_ERROR_WORDS = "a seeded run: the median of its nets, with the 10-90% band shaded"


def draw_median_and_band(axes, run: Run, color: str, label: str, width: float = 1.5) -> None:
    """A seeded run's median training error in its colour, the band between the 10th and 90th
    percentile of its nets' shaded in it (as compare.png draws each seeded run)."""
    epochs, low, median, high = training_error_band(run)
    axes.fill_between(epochs, low, high, color=color, alpha=0.2, linewidth=0)
    axes.plot(epochs, median, color=color, linewidth=width, marker="o" if len(epochs) < 3 else None, markersize=4,
              label=label)


def data_range(run: Run) -> tuple[float, float]:
    """The y range the fit panel must show: the data points and the true curve."""
    values = run.y_train if run.y_grid_true is None else np.concatenate([run.y_train, run.y_grid_true])
    low, high = float(values.min()), float(values.max())
    if high - low <= 1e-9 * max(1.0, abs(low)):  # constant data (a target "3", a flat column): still a range
        half = max(0.5, 0.05 * abs(low))
        return low - half, high + half
    return low, high


def drawable_predictions(run: Run) -> np.ndarray:
    """The predictions (frames, nets, grid) a fit panel shows: a net's prediction that is not
    finite everywhere (its loss blew up) is replaced by its last one that was, so a diverged
    net shows its last finite state; a net never finite is NaN (not drawn)."""
    # In the run's own precision: a CSV run's float64 keeps y around 1e9 apart by less than 64.
    predictions = np.array(run.predictions, copy=True)
    finite = np.isfinite(predictions).all(axis=2)  # (frames, nets)
    for net in np.flatnonzero(~finite.all(axis=0)):
        last = None
        for index in range(len(predictions)):
            if finite[index, net]:
                last = index
            predictions[index, net] = predictions[last, net] if last is not None else np.nan
    return predictions


def truth_label(run: Run) -> str:
    """The true function's name in a legend: 'true sine', a built-in target's ('true square'),
    or 'true function' and the expression."""
    target = run.config.target
    if target in targets.BUILT_IN and targets.expression_of(target) == run.true_function:
        return f"true {target.replace('_', ' ')}"
    return f"true function {targets.shortened(run.true_function, 40)}"


def divergence_epoch(run: Run) -> int | None:
    """The epoch of the first weights whose training error is not finite, counted as the pictures count
    (epoch N: the weights after N epochs, as a frame's epoch and the training curve's): the epoch of a
    diverged run's last frame. summary.json's diverged_at_epoch counts as Keras does, by the epoch
    whose history's loss found that error, of the weights its declaration says (see
    quantities.epochs_of_weights). None for a run that did not diverge."""
    if run.diverged_at_epoch is None:
        return None
    return int(epochs_of_weights(run.diverged_at_epoch, run.quantity("epoch.loss").weights))


def ended_words(run: Run, of_requested: bool = True) -> str | None:
    """How a run that did not complete ended, as every picture and the page say it: 'diverged after
    37 epochs' ('every net diverged within 37 epochs' for many nets), 'interrupted at epoch 300 of
    600' (without ' of 600' unless of_requested), 'stopped early at epoch 840' ('every net stopped
    early, the last at epoch 1,200'); None for a completed run."""
    if run.status == "stopped_early":
        return f"every net stopped early, the last at epoch {run.epochs_completed:,}" if run.nets > 1 else \
            f"stopped early at epoch {run.epochs_completed:,}"
    if run.status == "diverged":
        who = "every net diverged within" if run.nets > 1 else "diverged after"
        epochs = divergence_epoch(run)
        return f"{who} {epochs:,} epoch{'s' if epochs != 1 else ''}"
    if run.status == "interrupted":
        return f"interrupted at epoch {run.epochs_completed:,}" + (f" of {run.epochs_requested:,}" if of_requested else "")
    return None


# What a frame of a run of one input calls the error of the weights it shows.
TRAINING_ERROR = "training MSE"


def error_name(run: Run) -> str:
    """What the run's losses are, as its summary says: 'cross-entropy' for a classifier trained on
    binary cross-entropy, else 'MSE' (a classifier on Playground's squared error too)."""
    return run.summary.error_name


def training_error_words(run: Run) -> str:
    """What a frame calls the error of the weights it shows: 'training MSE', 'training cross-entropy'."""
    return f"training {error_name(run)}"


def status_caption(run: Run) -> str | None:
    """What to say about how a run ended, or None for a run that trained every epoch as asked: ended_words
    (with why a net diverged, or for many nets how many stopped early and when), and whether its
    best weights were restored (restored_words); a line each."""
    if run.status == "diverged" and run.nets == 1:
        return f"{ended_words(run)}:\n{training_error_words(run)} {format_loss(float('nan'))}"
    stopped = early_stop_words(run) if run.nets > 1 else None
    lines = [stopped if run.status in ("stopped_early", "completed") and stopped else ended_words(run),
             stopped if run.status in ("diverged", "interrupted") else None, restored_words(run)]
    lines = [line for line in lines if line]
    return ",\n".join(lines) if lines else None


def stopped_epochs(run: Run) -> np.ndarray:
    """The epochs the nets that stopped early stopped at (early_stopping), in the order of the nets."""
    return np.array([net.stopped_at_epoch for net in run.summary.nets if net.stopped_at_epoch], dtype=np.int64)


def early_stop_words(run: Run) -> str | None:
    """Which nets stopped early and when: 'stopped early at epoch 840'; for many nets '18 of 20 nets
    stopped early (median epoch 840)' or 'every net stopped early (median epoch 840), the last at
    epoch 1,200'; None when none did."""
    stopped = stopped_epochs(run)
    if len(stopped) == 0:
        return None
    if run.nets == 1:
        return f"stopped early at epoch {int(stopped[0]):,}"
    median = f"median epoch {int(np.median(stopped)):,}"
    if len(stopped) == run.nets:
        return f"every net stopped early ({median}), the last at epoch {int(stopped.max()):,}"
    return f"{len(stopped)} of {run.nets} nets stopped early ({median})"


def restored_epochs(run: Run) -> np.ndarray | None:
    """Each net's best epoch, whose weights the run's last frame shows when early stopping restored
    them (restore_best_weights); None when the last frame shows the last epoch's weights (nothing
    restored, or every net's best epoch was its last)."""
    best = [net.best_epoch for net in run.summary.nets]
    if not run.summary.restored_best_weights or len(best) != run.nets or None in best:
        return None
    best = np.array(best, dtype=np.int64)
    return None if np.all(best == run.frame_epochs[-1]) else best


def restored_words(run: Run) -> str | None:
    """'best weights restored (epoch 698)', for many nets '(median epoch 698)'; None if none were."""
    best = restored_epochs(run)
    if best is None:
        return None
    return f"best weights restored ({'median ' if run.nets > 1 else ''}epoch {int(np.median(best)):,})"


def shown_epochs(run: Run) -> np.ndarray:
    """(frames, nets): the epoch of the weights each frame shows of each net: the frame's epoch, but
    for the last frame of a run whose best weights were restored each net's best epoch."""
    epochs = np.repeat(run.frame_epochs[:, None], run.nets, axis=1)
    best = restored_epochs(run)
    if best is not None:
        epochs[-1] = best
    return epochs


def restored_frame_label(run: Run, net: int | None = None) -> str | None:
    """How the last frame of a run whose best weights were restored is labelled: 'epoch 698, restored
    at 898' (of one net, or of `net` of many); 'best epochs restored at 898' for many nets; None
    when nothing was restored."""
    best = restored_epochs(run)
    if best is None:
        return None
    last = f"restored at {int(run.frame_epochs[-1]):,}"
    if run.nets > 1 and net is None:
        return f"best epochs {last}"
    return f"epoch {int(best[net or 0]):,}, {last}"


def run_description(run: Run) -> str:
    """What was trained: '2x10 sigmoid · adam lr 0.01', with ' · 50 seeds' for many nets, and
    how many of them diverged if any did (their errors are then left out of every median)."""
    diverged = len(run.summary.diverged_seeds)
    seeds = f" · {run.nets} seeds" if run.nets > 1 else ""
    if run.nets > 1 and diverged:
        seeds += f" ({diverged} diverged)"
    return run.training_description + seeds


def prepare_fonts(runs: list[Run], labels: list[str] = ()) -> None:
    """Fonts for what in these runs' pictures came from their user, in any script (their names, what
    was trained, with a data file's name, its column names) and for the labels: call before drawing
    (style.use_fonts_for)."""
    use_fonts_for([text for run in runs for text in (run.name, run.training_description, *run.axis_names)] + list(labels))


def run_title(run: Run) -> str:
    """A run's name and what was trained: 'adam_2x10 · 2x10 sigmoid · adam lr 0.01'."""
    return f"{run.name} · {run_description(run)}"
