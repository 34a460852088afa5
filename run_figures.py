"""The figures summary.json holds, worked out from a run once it is trained: what was trained,
how it ended, its final errors against the noise floor, a classifier's accuracies and error rates
against the Bayes error rate, and what each recorded array is (rundir.new_run writes them).

Imports neither TensorFlow nor matplotlib.
"""

from __future__ import annotations

import dataclasses

import numpy as np

import config as config_module
import playground
import quantities
from config import ExperimentConfig
from summaries import AT_FLOOR_TOLERANCE, CLASSIFIER_FLOOR_NOTE, NO_FLOOR_NOTE, RunSummary, at_bayes_margin


def summarize(run, recording, dataset, parameters: dict[str, int], run_format: int) -> RunSummary:
    """The figures summary.json holds: what was trained, how it ended, final errors against the floor.

    The final `loss` and `val_loss` are the training and held-out error of the final weights,
    the ones the last frame shows (history.csv's last training loss, as Keras reports it, is
    that of the weights before the last update); for several nets, the medians over them, with
    each net's own figures under `nets`. A loss that is not a finite number (a diverged net) is
    null, since JSON has no NaN or infinity.
    """
    config, reached = run.config, recording.epochs_completed
    noise_floor = None if dataset.noise_floor is None else round(dataset.noise_floor, 12)  # 0.04, not 0.04000000000000001
    final_loss = run.frame_loss[-1] if reached else np.full(run.nets, np.nan)
    final_val_loss = run.val_loss[-1] if reached else np.full(run.nets, np.nan)
    if recording.restored_best_weights:  # each net ends with its best epoch's weights
        final_val_loss = np.array([run.val_loss[best - 1, net] for net, best in enumerate(recording.best_epoch)])
    all_losses = np.concatenate([np.ravel(run.loss), np.ravel(final_loss)]).astype(np.float64)
    finite_losses = all_losses[np.isfinite(all_losses)]
    summary = {
        "format": run_format,
        "name": config.name,
        "trained": config_module.describe_training(config),
        "true_function": dataset.true_function,
        **({} if config.data_file is None else {"data_file": config_module.absolute_data_file(config),
                                                "data_sha256": dataset.file_sha256}),
        **({} if dataset.standardization is None else {"standardization": dataclasses.asdict(dataset.standardization)}),
        **({} if dataset.axis_names is None else {"axis_names": list(dataset.axis_names)}),
        **({} if dataset.class_names is None else {"class_names": list(dataset.class_names)}),
        "status": recording.status,
        "epochs_completed": reached,
        "epochs_requested": config.epochs,
        "seeds": run.nets,
        # How the stack of nets was split (a part's size moves its nets' last digits): a study
        # reuses a cell only if it was split as it would be now.
        **({} if run.nets == 1 else {"stack_parts": config_module.stack_parts(run.nets)}),
        "loss": _finite_median(final_loss),
        "val_loss": _finite_median(final_val_loss),
        "noise_floor": noise_floor,
        # Said in words too, for a reader who would take null for zero.
        **({"noise_floor_note": CLASSIFIER_FLOOR_NOTE if config.classifies else NO_FLOOR_NOTE}
           if noise_floor is None else {}),
        "val_loss_over_noise_floor": None,
        "share_at_noise_floor": None,
        "min_loss": float(finite_losses.min()) if len(finite_losses) else None,
        "parameters": parameters,
        "frames": int(len(run.frame_epochs)),
        "train_seconds": round(recording.train_seconds, 3),
    }
    if recording.status == "diverged":
        summary["diverged_at_epoch"] = reached
    if noise_floor is not None:
        with np.errstate(all="ignore"):
            at_floor = np.isfinite(final_val_loss) & (final_val_loss <= AT_FLOOR_TOLERANCE * noise_floor)
        summary["share_at_noise_floor"] = round(float(np.mean(at_floor)), 4)
        if summary["val_loss"] is not None and noise_floor > 0:
            summary["val_loss_over_noise_floor"] = summary["val_loss"] / noise_floor
    if config.classifies:
        summary.update(classifier_figures(run, recording))
    summary["diverged_seeds"] = [int(seed) for seed, epoch in zip(run.seeds, recording.diverged_at_epoch)
                                 if epoch is not None]
    summary["nets"] = [
        {"seed": int(seed), "loss": _finite_or_none(final_loss[net]), "val_loss": _finite_or_none(final_val_loss[net]),
         "diverged_at_epoch": recording.diverged_at_epoch[net],
         **({"stopped_at_epoch": recording.stopped_at_epoch[net], "best_epoch": recording.best_epoch[net]}
            if recording.stopped_at_epoch else {}),
         **({"val_accuracy": _finite_or_none(run.per_frame["val_accuracy"][-1, net])}
            if config.classifies and reached else {})}
        for net, seed in enumerate(run.seeds)
    ]
    if recording.restored_best_weights:
        summary["restored_best_weights"] = True
    # What each recorded array is (quantities.py), with this run's sizes: a reader needs nothing else.
    summary["quantities"] = quantities.declarations_of(run.per_epoch, run.per_frame, run.sizes,
                                                       minibatches=trains_on_minibatches(config, len(run.x_train)),
                                                       every_net_path=config.curvature_recorded == "all",
                                                       first_net_map=keeps_first_net_map(config))
    return RunSummary(**summary)


def keeps_first_net_map(config: ExperimentConfig) -> bool:
    """Whether a run keeps net 0's prediction on the grid alone, with maps over its nets beside it
    (seed_maps.py): a run of many nets on a plane."""
    return config.is_plane and config.seeds > 1


def classifier_figures(run, recording) -> dict:
    """A classifier's figures for summary.json: what its loss is, its final accuracies (medians over
    the nets, of the last frame's weights) and error rate, and the problem's Bayes error rate."""
    config, reached = run.config, recording.epochs_completed
    accuracy = _finite_median(run.per_frame["accuracy"][-1]) if reached else None
    val_accuracy = _finite_median(run.per_frame["val_accuracy"][-1]) if reached else None
    bayes = playground.bayes_error(config.problem, config.noise)
    figures = {"error_name": "cross-entropy" if config.classification_loss == "cross_entropy" else "MSE",
               "accuracy": accuracy, "val_accuracy": val_accuracy,
               "val_error_rate": None if val_accuracy is None else round(1 - val_accuracy, 6),
               "bayes_error_rate": None if bayes is None else round(bayes, 6)}
    entropy = playground.bayes_cross_entropy(config.problem, config.noise)
    if entropy is not None and config.classification_loss == "cross_entropy":  # the loss panel draws it
        figures["bayes_cross_entropy"] = round(entropy, 6)
    if bayes is not None and reached:
        rates = 1 - run.per_frame["val_accuracy"][-1].astype(np.float64)
        alive = np.isfinite(run.frame_loss[-1])
        at_bayes = alive & (rates <= bayes + at_bayes_margin(bayes, len(run.x_validation)))
        figures["share_at_bayes"] = round(float(np.mean(at_bayes)), 4)
    return figures


def trains_on_minibatches(config: ExperimentConfig, training_points: int) -> bool:
    """Whether an epoch of the config is several steps (a batch_size below the training points)."""
    return config.batch_size is not None and config.batch_size < training_points


def _finite_or_none(value) -> float | None:
    return float(value) if np.isfinite(value) else None


def _finite_median(values: np.ndarray) -> float | None:
    """The median of the finite values (float64, as summary.json has always given it), or None."""
    values = np.asarray(values, dtype=np.float64)
    finite = values[np.isfinite(values)]
    return float(np.median(finite)) if len(finite) else None
