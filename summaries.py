"""How a run ends, in figures and in words: what summary.json holds, and how every command,
table and picture states a final error against the noise floor.

No TensorFlow, no matplotlib.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

# A net "reaches the noise floor" when its held-out error ends within 10% of sigma squared.
AT_FLOOR_TOLERANCE = 1.10
AT_FLOOR_WORDS = "within 10% of the noise floor"
NO_FLOOR_NOTE = "noise floor unknown: the points came from a file, whose noise is not known"
NOT_FINITE = "not finite"


def format_loss(value: float) -> str:
    """An error as the pictures and the summaries state it: four decimals, three significant digits
    when huge or under 0.001 (data in small units: 6e-21 is not 0.0000)."""
    if not np.isfinite(value):
        return NOT_FINITE
    return f"{value:.4f}" if 0.001 <= abs(value) < 1000 or value == 0 else f"{value:.3g}"


def final_error_text(value: float | None) -> str:
    """A final error as the summaries print it: as the pictures state it, or "not finite" (null in JSON)."""
    return NOT_FINITE if value is None else format_loss(value)


def share_text(share: float | None) -> str:
    """A share of nets at the noise floor, as tables give it: '94%', or 'noise floor unknown'."""
    return "noise floor unknown" if share is None else f"{100 * share:.0f}%"


def describe_run(summary: dict, run_dir: Path, files: list[str] | None = None) -> str:
    """The few lines printed when a run is done (and, given files, one listing them)."""
    seconds, epochs, seeds = summary["train_seconds"], summary["epochs_completed"], summary["seeds"]
    floor = summary["noise_floor"]
    if seeds == 1:
        ratio = summary["val_loss_over_noise_floor"]
        per_epoch_ms = 1000 * seconds / max(epochs, 1)
        lines = [
            f"{summary['name']}: {epochs} epoch{'s' if epochs != 1 else ''} in {seconds:.1f} s ({per_epoch_ms:.3f} ms an epoch)",
            f"  final training MSE {final_error_text(summary['loss'])}, "
            f"held-out MSE {final_error_text(summary['val_loss'])}"
            + (f" = {ratio:.2f} x the noise floor {final_error_text(floor)}" if ratio is not None
               else " (noise floor unknown)" if floor is None else ""),
        ]
    else:
        diverged = summary["diverged_seeds"]
        lines = [
            f"{summary['name']}: {seeds} seeds x {epochs} epochs in {seconds:.1f} s "
            f"({seeds * epochs / max(seconds, 1e-9):,.0f} net-epochs a second)",
            f"  median final training MSE {final_error_text(summary['loss'])}, "
            f"held-out MSE {final_error_text(summary['val_loss'])} "
            + ("(noise floor unknown)" if floor is None else f"(noise floor {final_error_text(floor)})"),
        ]
        if floor is not None or diverged:
            at_floor = (f"{share_text(summary['share_at_noise_floor'])} of the seeds end {AT_FLOOR_WORDS}"
                        if floor is not None else "")
            lines.append("  " + "; ".join(part for part in (
                at_floor, f"{len(diverged)} diverged (seeds {', '.join(map(str, diverged))})" if diverged else "") if part))
    if files is not None:
        lines.append(f"  wrote {run_dir}/: {', '.join(files)}")
    return "\n".join(lines)
