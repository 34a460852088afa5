"""The frames of fit.gif (one net) and seeds.gif (many nets): the data and the prediction beside the
error curves, the frame's epoch marked (blitted, as every animation: see animation.py)."""

from __future__ import annotations

import numpy as np
from matplotlib.collections import LineCollection

from drawing.animation import MARGIN, RunAnimation, legend_above, new_canvas, place_panels
from drawing.curves import (TRAINING_ERROR, data_range, draw_error_curves, drawable_predictions, prepare_fonts,
                            style_loss_axes)
from drawing.fit_panel import OffChartNotes, fit_panel, pinned
from drawing.style import COLORS
from rundir import Run, median_over_nets


class FitAnimation(RunAnimation):
    """fit.gif: the data and the net's prediction at each frame, beside its error curves with the
    frame's epoch marked. SeedsAnimation draws many nets the same way."""

    def __init__(self, run: Run, width_pixels: int = 800, height_pixels: int = 360):
        self.run = run
        prepare_fonts([run])
        self.figure, self.canvas = figure, canvas = new_canvas(width_pixels, height_pixels)
        self.predictions = drawable_predictions(run)
        fit_axes, loss_axes = figure.subplots(1, 2)
        fit_panel(fit_axes, run)
        self.prediction_limits = fit_axes.get_ylim()
        self._add_predictions(fit_axes)

        style_loss_axes(loss_axes, [run], label="MSE (log scale)")
        draw_error_curves(loss_axes, run, width=1.2)
        loss_axes.legend(loc="best", fontsize=7)  # where it hides least of the curves, found once
        (self.marker,) = loss_axes.plot([], [], "o", color=COLORS["marker"], markersize=6, animated=True, zorder=5,
                                        clip_on=False)
        self.epoch_line = loss_axes.axvline(1, color=COLORS["marker"], linewidth=0.8, alpha=0.6, animated=True)
        place_panels(figure, [fit_axes, loss_axes], top=72, bottom=44, ratios=[1.35, 1])
        self.off_chart = OffChartNotes(fit_axes)
        self.prediction_limits = self.off_chart.make_room(data_range(run), self.predictions)
        legend_above(fit_axes, room=width_pixels - MARGIN)

        self._captions(width_pixels)
        self._ending(fit_axes)
        canvas.draw()
        self.background = canvas.copy_from_bbox(figure.bbox)

    def _add_predictions(self, fit_axes) -> None:
        """The animated artists of the fit panel."""
        (self.prediction_line,) = fit_axes.plot(
            self.run.x_grid, self.predictions[0, 0], color=COLORS["net"], linewidth=2.2, label="net's prediction",
            animated=True, zorder=3,
        )

    def _visible(self, prediction: np.ndarray) -> np.ndarray:
        return pinned(prediction, self.prediction_limits)

    def _update_predictions(self, index: int) -> list:
        """Set the fit panel's animated artists to frame `index`; return them to be drawn."""
        prediction = self.predictions[index, 0]
        self.prediction_line.set_ydata(self._visible(prediction))
        return [self.prediction_line] + self.off_chart.update([("prediction", prediction)])

    def frame(self, index: int) -> np.ndarray:
        """Draw frame `index` and return its pixels, (height, width, 4) RGBA (the canvas's own buffer)."""
        epoch = int(self.shown_epochs[index])  # restored best weights: at their own epoch
        self.canvas.restore_region(self.background)
        self.marker.set_data([epoch], [self.frame_loss(index)])
        self.epoch_line.set_xdata([epoch, epoch])
        # Epoch 0, the untrained net, has no place on the log epoch axis: no marker then.
        return self._finished_frame(index, self._update_predictions(index) + ([self.epoch_line, self.marker]
                                                                             if epoch else []))


class SeedsOnPanel:
    """Many nets' predictions on a fit panel, as seeds.gif draws them: every net's a faint line, the
    band between the 10th and 90th percentile of the nets' predictions and the median in bold, a
    net whose error is no longer finite left out (compare.gif draws a seeded run's panel with it)."""

    def __init__(self, axes, run: Run, predictions: np.ndarray, median_width: float = 2.2):
        self.run, self.predictions = run, predictions  # (frames, nets, grid): drawable_predictions
        x = run.x_grid
        alpha = max(0.05, min(0.25, 5 / run.nets))
        self.net_lines = LineCollection([], colors=COLORS["net"], linewidths=0.6, alpha=alpha, animated=True, zorder=3)
        axes.add_collection(self.net_lines)
        self.band = axes.fill_between(x, 0 * x, 0 * x, color=COLORS["net"], alpha=0.25, linewidth=0,
                                      label="10-90% of nets", animated=True, zorder=3)
        (self.median_line,) = axes.plot(x, 0 * x, color=COLORS["median"], linewidth=median_width,
                                        label="median", animated=True, zorder=4)

    def update(self, index: int, limits: tuple[float, float], off_chart: OffChartNotes) -> list:
        """Set the artists to the run's frame `index` in a panel of these y limits; return them, and
        the off-chart notes they need, to be drawn."""
        x = self.run.x_grid
        alive = np.isfinite(self.run.frame_loss[index])  # nets whose error has not blown up
        predictions = self.predictions[index][alive]  # (nets alive, grid)
        self.net_lines.set_segments([np.column_stack([x, pinned(net, limits)]) for net in predictions])
        if alive.any():
            low, median, high = np.percentile(predictions, [10, 50, 90], axis=0)
        else:
            low = median = high = np.full_like(x, np.nan)
        notes = off_chart.update([("median", median), ("10-90% of nets", np.concatenate([low, high]))])
        low, median, high = (pinned(values, limits) for values in (low, median, high))
        self.band.set_verts([np.concatenate([np.column_stack([x, low]), np.column_stack([x[::-1], high[::-1]])])])
        self.median_line.set_ydata(median)
        return [self.net_lines, self.band, self.median_line] + notes


class SeedsAnimation(FitAnimation):
    """seeds.gif: many nets from different seeds learning the same data. The median prediction in
    bold, the band between the 10th and 90th percentile of the nets' predictions, and every net's
    prediction as a faint line (SeedsOnPanel); beside it every net's training error, the median in
    bold. The caption gives the median training error."""

    loss_label = f"median {TRAINING_ERROR} "

    def _add_predictions(self, fit_axes) -> None:
        self.seeds = SeedsOnPanel(fit_axes, self.run, self.predictions)
        self.median_line = self.seeds.median_line

    def _update_predictions(self, index: int) -> list:
        return self.seeds.update(index, self.prediction_limits, self.off_chart)

    def frame_loss(self, index: int) -> float:
        return float(median_over_nets(self.run.frame_loss[index]))
