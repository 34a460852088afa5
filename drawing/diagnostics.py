"""What training did inside a net, over the epochs, as units.gif and the page show it beside its
units: the training error, the gradient norm, how many distinct things the last hidden layer's
units do and how saturated each hidden layer is; their ranges, and the hidden layers' colours and
the words that say which line is which layer."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from drawing.curves import (BLOW_UP_HEADROOM, drawn_curve, per_epoch_curve, restored_epochs, shown_epochs,
                            training_curve)
from drawing.style import COLORS, RUN_COLORS
from rundir import Run

# The saturation of each hidden layer: the prediction's blue for the first, then the runs' colours.
LAYER_COLORS = [COLORS["net"]] + RUN_COLORS[2:]  # (a deeper net's layers take them again, in turn)
# The learning rate and the kernels' norm: not a net's blue, since they are set, or shrunk, from outside.
SMALL_PANEL_COLORS = {"learning_rate": RUN_COLORS[3], "kernel_norm": RUN_COLORS[7]}


@dataclass
class Diagnostic:
    """A quantity shown over epochs beside the units. curves: per line (one, or one per hidden
    layer) epochs from 1 and values (points, nets); None when the run did not record it. titles:
    the panel's title, then shorter ones for narrow panels.
    mark_epochs (frames,) and mark_values (frames, lines): where net 0's mark goes at each frame.
    ceiling: the largest value the quantity can take, where there is one."""

    name: str
    titles: tuple[str, ...]
    log_scale: bool
    curves: list[tuple[np.ndarray, np.ndarray]] | None
    mark_epochs: np.ndarray | None = None
    mark_values: np.ndarray | None = None
    ceiling: float | None = None


def training_error(run: Run) -> Diagnostic:
    """The training error of the weights after each epoch (curves.training_curve); the mark is
    the error of the weights the frame shows, the number its header states. Named as the run's loss
    is: MSE, or a classifier's cross-entropy."""
    name = f"training {run.summary.error_name}"
    return Diagnostic("loss", (f"{name} (log scale)", name), True, [training_curve(run)],
                      shown_epochs(run)[:, 0], run.frame_loss[:, :1].astype(np.float64))


def per_epoch_diagnostic(run: Run, name: str, titles: tuple[str, ...]) -> Diagnostic:
    """A per-epoch quantity on a log scale, each value drawn at the epoch of the weights it describes
    (its declaration: quantities.py), as the training error is; None curves if the run did not record
    it. A frame marks the value at the weights it shows (restored best weights at their own epoch);
    where none was recorded there (the final weights' gradient), the nearest one."""
    if name not in run.per_epoch or len(run.per_epoch[name]) == 0:
        return Diagnostic(name, titles, True, None)
    epochs, values = per_epoch_curve(run.per_epoch[name].astype(np.float64), run.quantity(f"epoch.{name}").weights)
    at = np.clip(shown_epochs(run)[:, 0], epochs[0], epochs[-1])
    return Diagnostic(name, titles, True, [drawn_curve(epochs, values)], at, values[at - epochs[0], :1])


def gradient_norm(run: Run) -> Diagnostic:
    """Each epoch's gradient norm, at the weights it was taken at (those before the epoch's update)."""
    return per_epoch_diagnostic(run, "grad_norm", ("gradient norm (log scale)", "gradient norm"))


def learning_rate(run: Run) -> Diagnostic:
    """The learning rate of each epoch's last step, where a schedule changes it (None curves where the
    rate stayed as set). A rate that reached 0 has no place on a log axis: it is drawn at the smallest
    rate above 0 the run had, and the title says so."""
    titles = ("learning rate (log scale)", "learning rate")
    diagnostic = per_epoch_diagnostic(run, "learning_rate", titles)
    if diagnostic.curves is None:
        return diagnostic
    rates = run.per_epoch["learning_rate"]
    positive = rates[np.isfinite(rates) & (rates > 0)]
    if len(positive) and (rates <= 0).any():
        floor = float(positive.min())
        diagnostic.titles = tuple(f"{title[:-1]}, 0 drawn at {floor:.2g})" if title.endswith(")") else
                                  f"{title} (0 drawn at {floor:.2g})" for title in titles)
        diagnostic.curves = [(epochs, np.where(values > 0, values, floor)) for epochs, values in diagnostic.curves]
        diagnostic.mark_values = np.where(diagnostic.mark_values > 0, diagnostic.mark_values, floor)
    return diagnostic


def kernel_norm(run: Run) -> Diagnostic:
    """The norm of all kernels' weights, which weight decay shrinks (recorded by runs with weight decay)."""
    return per_epoch_diagnostic(run, "kernel_norm", ("kernels' norm (log scale)", "kernels' norm"))


def per_frame_diagnostic(run: Run, name: str, titles: tuple[str, ...], ceiling: float) -> Diagnostic:
    """A quantity recorded at each frame, as lines through the frame epochs (one per hidden layer
    for saturated_fraction)."""
    if name not in run.per_frame:
        return Diagnostic(name, titles, False, None, ceiling=ceiling)
    values = run.per_frame[name].astype(np.float64)
    values = values if values.ndim == 3 else values[:, :, None]  # (frames, nets, lines)
    trained = run.frame_epochs >= 1  # epoch 0 has no place on the log epoch axis
    if restored_epochs(run) is not None:  # restored weights: their values are marked at their epoch, off the line
        trained[-1] = False
    curves = [(run.frame_epochs[trained], values[trained, :, line]) for line in range(values.shape[2])]
    return Diagnostic(name, titles, False, curves, shown_epochs(run)[:, 0], values[:, 0, :], ceiling)


def distinct_units(run: Run) -> Diagnostic:
    """How many really different things the last hidden layer's units do (1 to its width)."""
    width = run.config.hidden_layers[-1]
    return per_frame_diagnostic(run, "distinct_units", distinct_titles(str(width)), width)


def distinct_titles(widths: str) -> tuple[str, ...]:
    return f"distinct units (effective rank, of {widths})", f"distinct units (of {widths})"


def saturation(run: Run) -> Diagnostic:
    """The share of (unit, training point) pairs where a unit's slope is nearly flat, per hidden layer."""
    titles = ("saturated share (units × points)", "saturated share")
    return per_frame_diagnostic(run, "saturated_fraction", titles, 1.0)


def of_net_zero(diagnostic: Diagnostic) -> Diagnostic:
    """The diagnostic with net 0's curves alone (its marks are net 0's already)."""
    if diagnostic.curves is None:
        return diagnostic
    return replace(diagnostic, curves=[(epochs, values[:, :1]) for epochs, values in diagnostic.curves])


def finite_values(diagnostics: list[Diagnostic]) -> tuple[np.ndarray, np.ndarray]:
    """All finite values of the diagnostics' curves, and those of nets whose curves stay finite."""
    values, calm = [np.zeros(0)], [np.zeros(0)]
    for diagnostic in diagnostics:
        for _, curve in diagnostic.curves or []:
            values.append(np.ravel(curve[np.isfinite(curve)]))
            calm.append(np.ravel(curve[:, np.isfinite(curve).all(axis=0)]))
    return np.concatenate(values), np.concatenate(calm)


def value_limits(diagnostics: list[Diagnostic]) -> tuple[float, float]:
    """The y limits of a small panel showing these diagnostics (of one kind)."""
    values, calm = finite_values(diagnostics)
    if diagnostics[0].name == "saturated_fraction":
        return -0.03, 1.03  # a share: all of it, with a line at 0 or 1 clear of the frame
    if not diagnostics[0].log_scale:
        # From 0 up to the largest possible value, or lower when the curves stay low: a stuck
        # layer's 1.1 distinct units of 60 would otherwise lie flat along the panel's bottom.
        top = max(values.max(initial=0.0) * 1.2, 2.0)
        return 0.0, min(top, max(diagnostic.ceiling for diagnostic in diagnostics))
    positive = values[values > 0]
    if len(positive) == 0:
        return 1e-3, 1.0
    low, high = float(positive.min()), float(positive.max())
    calm = calm[calm > 0]
    if len(calm) and len(calm) < len(values):  # some net blew up: keep the others readable
        high = min(high, BLOW_UP_HEADROOM * float(calm.max()))
    return low / 1.5, max(high, low) * 1.5


def layer_colors(layers: int) -> list[str]:
    return [LAYER_COLORS[layer % len(LAYER_COLORS)] for layer in range(layers)]


def layer_words(layers: int) -> list[tuple[str, str]]:
    """Which saturation line is which hidden layer, as (word, colour) pairs: 'layer 1', 'layer 2',
    or, for a deeper net, 'layer 1', '2', '3', ... (each number in its colour); none for one layer."""
    if layers < 2:
        return []
    names = [f"layer {layer + 1}" if layer == 0 or layers == 2 else str(layer + 1) for layer in range(layers)]
    return list(zip(names, layer_colors(layers)))
