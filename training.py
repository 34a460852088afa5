"""Training an experiment into a run in memory: where TensorFlow starts.

This is the one module of the pipeline that imports TensorFlow (through engine.py and models.py);
the others import it only when a run is to be trained (pipeline.py), so that checking a config,
reading or drawing a run never waits for TensorFlow.
"""

from __future__ import annotations

import hashlib
import json
from typing import Callable

import numpy as np

import engine
import models
from loop_cache import LoopCache
import naming
import rundir
from config import ConfigError, ExperimentConfig
from data import TRAINING_ARRAYS


def train_run(config: ExperimentConfig, dataset, progress: bool = False,
              should_stop: Callable[[], bool] | None = None, loops: LoopCache | None = None) -> rundir.Run:
    """Train the experiment on its dataset (data.dataset_for) with the in-graph loop, recording its
    frames; the run in memory (not written). should_stop() is asked before each chunk of epochs:
    true ends training there, with the epochs so far (status 'interrupted'). loops: the loops
    kept by this process (a study's worker), one of which is used where it fits (loop_key)."""
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
            every_net_path=config.curvature_recorded == "all", loops=loops,
            loop_key=None if loops is None else loop_key(config, dataset, optimizer),
        )
    return rundir.new_run(config, dataset, recording, models.parameter_counts(model))


def new_loop_cache() -> LoopCache:
    """The loops one process keeps for the runs it trains (a study's worker)."""
    return LoopCache()


def loop_key(config: ExperimentConfig, dataset, optimizer) -> str:
    """What, besides the regime and what is recorded, shapes a run's traced loop: its training
    settings but those that only start it (the seed: its weights; the learning rate, a variable
    unless it follows a schedule) or drive it from outside (epochs, frames), and its data."""
    settings = naming.training_settings(config)
    for key in ("seed", "epochs", "frames"):
        settings.pop(key, None)
    settings["data_seed"] = config.data_seed_used  # the order of the minibatches, seed or not
    if isinstance(optimizer._learning_rate, models.keras.Variable):  # noqa: SLF001  Keras keeps no public name for it
        settings.pop("learning_rate", None)
    data = hashlib.sha256()
    for name in TRAINING_ARRAYS:
        data.update(np.ascontiguousarray(getattr(dataset, name)).tobytes())
    return json.dumps(settings, sort_keys=True, default=str) + data.hexdigest()


def regime_of(config: ExperimentConfig) -> engine.Regime:
    """How the loop trains an experiment, besides its net and optimizer: batches, penalties, early stopping."""
    stopping = config.early_stopping
    return engine.Regime(
        batch_size=config.batch_size, data_seed=config.data_seed_used, l1=config.l1, l2=config.l2,
        patience=None if stopping is None else stopping.patience,
        min_delta=0.0 if stopping is None else stopping.min_delta,
        restore_best_weights=stopping is not None and stopping.restore_best_weights,
        loss="cross_entropy" if config.classifies and config.classification_loss == "cross_entropy" else "squared_error",
        classifies=config.classifies,
    )


def _progress_bar(config: ExperimentConfig, enabled: bool):
    from tqdm import tqdm

    return tqdm(total=config.epochs, desc=config.name, unit="epoch", unit_scale=True, disable=not enabled,
                dynamic_ncols=True, leave=False)
