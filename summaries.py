"""How a run ends, in figures and in words: what summary.json holds, and how every command,
table and picture states a final error against the noise floor.

No TensorFlow, no matplotlib.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal, Optional

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, NonNegativeFloat, NonNegativeInt, PositiveInt, ValidationError

# A net "reaches the noise floor" when its held-out error ends within 10% of sigma squared.
AT_FLOOR_TOLERANCE = 1.10
AT_FLOOR_WORDS = "within 10% of the noise floor"
NO_FLOOR_WORDS = "noise floor unknown"
NO_FLOOR_NOTE = f"{NO_FLOOR_WORDS}: the points came from a file, whose noise is not known"
# A classifier's loss has no noise floor of its own: its error rate is set against the Bayes error
# rate where the problem defines one.
CLASSIFIER_FLOOR_NOTE = (f"{NO_FLOOR_WORDS}: a classifier's error rate is set against the Bayes error rate where the "
                         "problem defines one (bayes_error_rate)")
NOT_FINITE = "not finite"


STATUSES = ("completed", "diverged", "stopped_early", "interrupted")


class _Summary(BaseModel):
    """A summary read from JSON as train.py wrote it: keys it does not know are kept (a later
    version's), a value of the wrong kind is refused, and it is written back with the keys it was
    given (model_dump(exclude_unset=True)): null where a figure is unknown, absent where it does
    not apply."""

    model_config = ConfigDict(extra="allow", strict=True, allow_inf_nan=False)

    def to_json(self) -> dict:
        return self.model_dump(mode="json", exclude_unset=True)

    @classmethod
    def read(cls, text: str | bytes | dict, file_name: str):
        """The summary in text (JSON) or an object read from it; ValueError in one line naming the
        file and the key when it is not what train.py writes."""
        try:
            return cls.model_validate(text) if isinstance(text, dict) else cls.model_validate_json(text)
        except ValidationError as error:
            raise ValueError(f"{file_name}: {_first_problem(error)}") from None


def _first_problem(error: ValidationError) -> str:
    """A ValidationError's first problem in words: 'status must be one of completed, diverged,
    interrupted, got 'odd'', 'name is missing', 'epochs_requested: ... got 'abc''."""
    problem = error.errors()[0]
    key = ".".join(str(part) for part in problem["loc"]) or "the file"
    if problem["type"] == "missing":
        return f"{key} is missing"
    if problem["type"] == "literal_error":
        return f"{key} must be one of {', '.join(STATUSES)}, got {problem['input']!r}" if key == "status" else (
            f"{key}: {problem['msg']}, got {problem['input']!r}")
    return f"{key} is not what train.py writes ({problem['msg'].lower()}), got {problem['input']!r}"


class Standardization(_Summary):
    """How a CSV's points were standardized to train (data.Standardization; for two inputs
    data.PlaneStandardization, whose x shift and scale are one per input, x1's then x2's)."""

    x_shift: float | list[float]
    x_scale: float | list[float]
    y_shift: float
    y_scale: float


class NetSummary(_Summary):
    """One net of a run: its seed and final errors (None: not finite)."""

    seed: int
    loss: Optional[float]
    val_loss: Optional[float]
    diverged_at_epoch: Optional[PositiveInt] = None
    # With early stopping: the epoch it stopped at (None: it trained on), and its best epoch.
    stopped_at_epoch: Optional[PositiveInt] = None
    best_epoch: Optional[PositiveInt] = None
    # A classifier's: its final share of held-out points classed right.
    val_accuracy: Optional[float] = None


class RunSummary(_Summary):
    """summary.json of a run: what was trained, how it ended, and its final figures against the
    noise floor (for several nets, the medians over those whose error is finite; None if none is)."""

    format: int
    name: str
    trained: str  # '2x10 sigmoid · adam lr 0.01'
    true_function: Optional[str]
    data_file: Optional[str] = None  # a CSV run's: the file's absolute path, its hash and standardization
    data_sha256: Optional[str] = None
    standardization: Optional[Standardization] = None
    axis_names: Optional[list[str]] = Field(None, min_length=2, max_length=3)  # x, y; or x1, x2, the target
    class_names: Optional[list[str]] = Field(None, min_length=2, max_length=2)  # a CSV's labels of class 0 and 1
    status: Literal[STATUSES]
    epochs_completed: NonNegativeInt
    epochs_requested: PositiveInt
    seeds: PositiveInt
    stack_parts: Optional[PositiveInt] = None  # how a stack of nets was split (config.stack_parts)
    loss: Optional[float] = None
    val_loss: Optional[float] = None
    noise_floor: Optional[NonNegativeFloat]
    noise_floor_note: Optional[str] = None
    val_loss_over_noise_floor: Optional[float] = None
    share_at_noise_floor: Optional[float] = None
    min_loss: Optional[float] = None
    parameters: dict[str, int] = Field(default_factory=dict)
    frames: NonNegativeInt = 0
    train_seconds: NonNegativeFloat = 0.0
    diverged_at_epoch: Optional[PositiveInt] = None
    diverged_seeds: list[int] = Field(default_factory=list)
    # Early stopping's restore_best_weights: the final weights (and errors) are each net's best epoch's.
    restored_best_weights: bool = False
    nets: list[NetSummary] = Field(default_factory=list)
    quantities: Optional[list[dict]] = None  # what each recorded array is (quantities.to_json), from format 3
    # A classifier's (a problem of two inputs): what its loss is ("cross-entropy" or "MSE"), its final
    # accuracies and held-out error rate (medians over the nets), and the lowest error rate any
    # classifier can have on the problem, where that is known (two Gaussians; else None).
    error_name: str = "MSE"
    accuracy: Optional[float] = None
    val_accuracy: Optional[float] = None
    val_error_rate: Optional[float] = None
    bayes_error_rate: Optional[float] = None
    share_at_bayes: Optional[float] = None  # of the nets whose held-out error rate is at it (at_bayes_margin)
    # The lowest expected cross-entropy any classifier can have (the true probabilities'), where known.
    bayes_cross_entropy: Optional[float] = None

    def final_held_out_errors(self) -> np.ndarray:
        """Each net's final held-out error (NaN where it is not finite)."""
        return np.array([np.nan if net.val_loss is None else net.val_loss for net in self.nets], dtype=np.float64)

    @property
    def classifies(self) -> bool:
        return self.val_accuracy is not None or any(net.val_accuracy is not None for net in self.nets)

    def final_held_out_error_rates(self) -> np.ndarray:
        """A classifier's nets' final held-out error rates (NaN for a net whose error is not finite)."""
        return np.array([np.nan if net.val_accuracy is None or net.val_loss is None else 1 - net.val_accuracy
                         for net in self.nets], dtype=np.float64)


class StudyRow(_Summary):
    """A row of a study's table (summary.json's rows): a cell over its seeds."""

    experiment: str  # the cell's name, its folder under runs/
    trained: str
    settings: dict = Field(default_factory=dict)  # the grid's values that made it; empty for a listed experiment
    seeds: int
    median: Optional[float]
    p10: Optional[float]
    p90: Optional[float]
    share_at_noise_floor: Optional[float]
    diverged: int
    noise_floor: Optional[float]
    # The median final training error: under the floor where the nets fit some of the noise.
    train_median: Optional[float] = None
    # A classifier's cell: what its loss is, its held-out error rates over the seeds (median, 10th and
    # 90th percentile), the problem's Bayes error rate where known, and the share of its seeds at it.
    error_name: str = "MSE"
    rate_median: Optional[float] = None
    rate_p10: Optional[float] = None
    rate_p90: Optional[float] = None
    bayes_error_rate: Optional[float] = None
    share_at_bayes: Optional[float] = None

    @property
    def classifies(self) -> bool:
        return self.rate_median is not None or self.error_name != "MSE"


def format_loss(value: float) -> str:
    """An error as the pictures and the summaries state it: four decimals, three significant digits
    when huge or under 0.001 (data in small units: 6e-21 is not 0.0000)."""
    if not np.isfinite(value):
        return NOT_FINITE
    return f"{value:.4f}" if 0.001 <= abs(value) < 1000 or value == 0 else f"{value:.3g}"


def final_error_text(value: float | None) -> str:
    """A final error as the summaries print it: as the pictures state it, or "not finite" (null in JSON)."""
    return NOT_FINITE if value is None else format_loss(value)


def floor_words(floor: float | None, digits: str = ".3g") -> str:
    """The noise floor as a picture's legend or header names it: 'noise floor σ² = 0.04', or
    'noise floor unknown' (points from a file)."""
    return NO_FLOOR_WORDS if floor is None else f"noise floor σ² = {floor:{digits}}"


def share_text(share: float | None) -> str:
    """A share of nets at the noise floor, as tables give it: '94%', or 'noise floor unknown'."""
    return NO_FLOOR_WORDS if share is None else f"{100 * share:.0f}%"


def describe_run(summary: RunSummary, run_dir: Path, files: list[str] | None = None) -> str:
    """The few lines printed when a run is done (and, given files, one listing them)."""
    seconds, epochs, seeds, floor = summary.train_seconds, summary.epochs_completed, summary.seeds, summary.noise_floor
    if seeds == 1:
        ratio = summary.val_loss_over_noise_floor
        per_epoch_ms = 1000 * seconds / max(epochs, 1)
        lines = [
            f"{summary.name}: {epochs} epoch{'s' if epochs != 1 else ''} in {seconds:.1f} s ({per_epoch_ms:.3f} ms an epoch)",
            f"  final training MSE {final_error_text(summary.loss)}, "
            f"held-out MSE {final_error_text(summary.val_loss)}"
            + (f" = {ratio:.2f} x the noise floor {final_error_text(floor)}" if ratio is not None
               else f" ({NO_FLOOR_WORDS})" if floor is None and summary.val_accuracy is None else ""),
        ]
    else:
        diverged = summary.diverged_seeds
        lines = [
            f"{summary.name}: {seeds} seeds x {epochs} epochs in {seconds:.1f} s "
            f"({seeds * epochs / max(seconds, 1e-9):,.0f} net-epochs a second)",
            f"  median final training MSE {final_error_text(summary.loss)}, "
            f"held-out MSE {final_error_text(summary.val_loss)}"
            + ("" if summary.val_accuracy is not None else f" ({NO_FLOOR_WORDS})" if floor is None
               else f" (noise floor {final_error_text(floor)})"),
        ]
        if floor is not None or diverged:
            at_floor = (f"{share_text(summary.share_at_noise_floor)} of the seeds end {AT_FLOOR_WORDS}"
                        if floor is not None else "")
            lines.append("  " + "; ".join(part for part in (
                at_floor, f"{len(diverged)} diverged (seeds {', '.join(map(str, diverged))})" if diverged else "") if part))
    if summary.error_name != "MSE":  # the lines above name the error as today's runs have it
        lines = [line.replace("MSE", summary.error_name) for line in lines]
    if summary.val_accuracy is not None:
        lines.insert(2, "  " + classification_text(summary))
    stopping = early_stopping_text(summary)
    if stopping:
        lines.insert(1, f"  {stopping}")
    if files is not None:
        lines.append(f"  wrote {run_dir}/: {', '.join(files)}")
    return "\n".join(lines)


# A classifier "reaches the Bayes error rate" when its held-out error rate is within two standard
# errors of that rate over its held-out points (and at least one point above it): a classifier at
# exactly the Bayes rate lands there 98% of the time.
AT_BAYES_WORDS = "at the Bayes error rate"


def at_bayes_margin(bayes: float, held_out_points: int) -> float:
    """How far above the Bayes error rate a held-out error rate still counts as at it."""
    return max(2 * float(np.sqrt(bayes * (1 - bayes) / held_out_points)), 1 / held_out_points)


def percent(share: float | None) -> str:
    """A share as a percentage to a tenth: '97.6%'."""
    return NOT_FINITE if share is None else f"{100 * share:.1f}%"


def classification_text(summary: RunSummary) -> str:
    """A classifier's final accuracies, for the console: 'held-out accuracy 97.6% (error rate 2.4%;
    the Bayes error rate is 0.0%), training 98.0%'."""
    median = "median " if summary.seeds > 1 else ""
    bayes = ("" if summary.bayes_error_rate is None
             else f"; the lowest any classifier can have, the Bayes error rate, is {percent(summary.bayes_error_rate)}"
             + ("" if summary.seeds == 1 else f", and {share_text(summary.share_at_bayes)} of the seeds end at it"))
    return (f"{median}held-out accuracy {percent(summary.val_accuracy)} (error rate {percent(summary.val_error_rate)}"
            f"{bayes}), training {percent(summary.accuracy)}")


def early_stopping_text(summary: RunSummary) -> str | None:
    """What early stopping did, for the console: 'stopped early at epoch 898; the best epoch's (698)
    weights restored'; None for a run without early stopping."""
    stopped = [net.stopped_at_epoch for net in summary.nets if net.stopped_at_epoch is not None]
    best = [net.best_epoch for net in summary.nets if net.best_epoch is not None]
    if not stopped and not summary.restored_best_weights:
        return None
    if len(summary.nets) == 1:
        text = f"stopped early at epoch {stopped[0]:,}" if stopped else "did not stop early"
        restored = f"; the best epoch's ({best[0]:,}) weights restored" if summary.restored_best_weights and best else ""
        return text + restored
    text = (f"{len(stopped)} of {len(summary.nets)} nets stopped early (median epoch {int(np.median(stopped)):,})"
            if stopped else "no net stopped early")
    restored = (f"; each net's best weights restored (median epoch {int(np.median(best)):,})"
                if summary.restored_best_weights and best else "")
    return text + restored
