"""Training an experiment into a run in memory: where TensorFlow starts.

This is the one module of the pipeline that imports TensorFlow (through engine.py and models.py);
the others import it only when a run is to be trained (pipeline.py), so that checking a config,
reading or drawing a run never waits for TensorFlow.
"""

from __future__ import annotations

from typing import Callable

import engine
import models
import rundir
from config import ConfigError, ExperimentConfig


def train_run(config: ExperimentConfig, dataset, progress: bool = False,
              should_stop: Callable[[], bool] | None = None) -> rundir.Run:
    """Train the experiment on its dataset (data.dataset_for) with the in-graph loop, recording its
    frames; the run in memory (not written). should_stop() is asked before each chunk of epochs:
    true ends training there, with the epochs so far (status 'interrupted')."""
    models.keras.utils.set_random_seed(config.seed)
    try:
        model, optimizer = models.model_and_optimizer(config)
    except ValueError as error:  # for example an optimizer option the optimizer does not take
        raise ConfigError(f"{config.name}: optimizer_options: {error}") from None
    with _progress_bar(config, enabled=progress) as bar:

        def show_progress(epochs_done: int, loss: float) -> None:
            bar.set_postfix(loss=f"{loss:.4f}", refresh=False)
            bar.update(epochs_done - bar.n)

        recording = engine.train_in_graph(
            model, optimizer, dataset, config.epochs, engine.frame_schedule(config.epochs, config.frames),
            on_chunk=show_progress, should_stop=should_stop, regime=regime_of(config),
            every_net_path=config.curvature_recorded == "all",
        )
    return rundir.new_run(config, dataset, recording, models.parameter_counts(model))


def regime_of(config: ExperimentConfig) -> engine.Regime:
    """How the loop trains an experiment, besides its net and optimizer: batches, penalties, early stopping."""
    stopping = config.early_stopping
    return engine.Regime(
        batch_size=config.batch_size, data_seed=config.data_seed_used, l1=config.l1, l2=config.l2,
        patience=None if stopping is None else stopping.patience,
        min_delta=0.0 if stopping is None else stopping.min_delta,
        restore_best_weights=stopping is not None and stopping.restore_best_weights,
    )


def _progress_bar(config: ExperimentConfig, enabled: bool):
    from tqdm import tqdm

    return tqdm(total=config.epochs, desc=config.name, unit="epoch", unit_scale=True, disable=not enabled,
                dynamic_ncols=True, leave=False)
