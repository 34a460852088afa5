"""The README's curvature figures, from a study whose cells recorded every net's curvature
(experiments/study_curvature.yaml):

    python docs/curvature_numbers.py output/study_curvature

For each cell, medians over its nets: the spectrum on the plateau (frames from epoch 1,000 on
where the net's training MSE is still above 0.2, the stuck level being 0.237) and at the end; the
sharpness against the stability threshold; the preconditioned sharpness for Adam; and net by net,
the landscape's share of the path's variance and its largest gap.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import curvature  # noqa: E402
import rundir  # noqa: E402
import stability  # noqa: E402

STUCK_LEVEL = 0.2  # a 1x60 net's training MSE above this has not left the plateau (it sits at 0.237)


def median(values) -> float:
    values = np.asarray(values, dtype=float)
    values = values[np.isfinite(values)]
    return float(np.median(values)) if len(values) else float("nan")


def counts(eigenvalues: np.ndarray) -> dict[str, np.ndarray]:
    """Per (frame, net): the sizes the README quotes."""
    largest = np.abs(eigenvalues).max(axis=-1, keepdims=True)
    tolerance = curvature.NEAR_ZERO_SHARE * largest
    return {
        "sharpness": eigenvalues[..., -1],
        "second": eigenvalues[..., -2],
        "third": eigenvalues[..., -3],
        "above tolerance": (eigenvalues > tolerance).sum(axis=-1),
        "near zero": (np.abs(eigenvalues) <= tolerance).sum(axis=-1),
        "negative beyond tolerance": (eigenvalues < -tolerance).sum(axis=-1),
        "negative at all": (eigenvalues < 0).sum(axis=-1),
        "below 1e-6 of the largest": (np.abs(eigenvalues) <= 1e-6 * largest).sum(axis=-1),
        "smallest": eigenvalues[..., 0],
    }


def describe(label: str, eigenvalues: np.ndarray, mask: np.ndarray) -> None:
    """Medians over nets of each net's median over the frames the mask picks (frames, nets)."""
    if not mask.any():
        print(f"  {label}: no frames")
        return
    parts = []
    for name, values in counts(eigenvalues).items():
        per_net = [median(values[mask[:, net], net]) for net in range(mask.shape[1]) if mask[:, net].any()]
        parts.append(f"{name} {median(per_net):.4g} ({min(per_net):.3g} to {max(per_net):.3g})")
    print(f"  {label} ({int(mask.any(axis=0).sum())} nets): " + "; ".join(parts))


def escape_rates(run, stuck: np.ndarray) -> str:
    """How fast a step leaves the saddle along its most negative direction, at the middle frame of
    each net's plateau: η|λmin(H)| for plain steps and, with Adam, η|λmin(P⁻¹H)| for its
    preconditioned ones (P as curvature.preconditioned_sharpness has it)."""
    net, rate = curvature.net_of_run(run), curvature.learning_rates_at_frames(run)
    plain, preconditioned = [], []
    for index in range(run.nets):
        frames = np.flatnonzero(stuck[:, index] & (run.frame_epochs >= 100))
        if not len(frames):
            continue
        frame = frames[len(frames) // 2]
        hessian = curvature.hessians(net, np.asarray(run.per_frame["weights"][frame : frame + 1, index], float))[0]
        plain.append(-rate[frame] * np.linalg.eigvalsh(hessian)[0])
        if "second_moment" in run.per_frame:
            steps = run.per_frame["optimizer_steps"][frame : frame + 1, index]
            moment = np.asarray(run.per_frame["second_moment"][frame : frame + 1, index], float)
            beta_1, beta_2, epsilon = (float(curvature._option(run.config.optimizer, run.config.optimizer_options, name))
                                       for name in ("beta_1", "beta_2", "epsilon"))
            preconditioner = stability.adam_preconditioner(moment, steps, beta_1, beta_2, epsilon)
            preconditioned.append(-rate[frame] * stability.preconditioned_eigenvalues(hessian[None], preconditioner)[0, 0])
    text = f"plain steps {median(plain):.3g}" if plain else "no plateau"
    if preconditioned:
        text += f", Adam's {median(preconditioned):.3g} ({min(preconditioned):.3g} to {max(preconditioned):.3g})"
    return text


def cell_numbers(run_dir: Path) -> None:
    run = rundir.read_run(run_dir)
    views = np.load(run_dir / "curvature.npz")
    eigenvalues, epochs = views["spectrum.eigenvalues"], views["spectrum.frame_epochs"]
    loss = np.asarray(run.frame_loss, dtype=float)
    escaped = loss[-1] < 0.1
    print(f"{run.name}: {run.training_description}; {run.nets} nets, {int(escaped.sum())} end below 0.1")
    late, stuck = epochs[:, None] >= 1000, loss > STUCK_LEVEL
    describe("plateau, epochs 100 to 999 (MSE above 0.2)", eigenvalues, (epochs[:, None] >= 100) & ~late & stuck)
    describe("plateau, from epoch 1,000 (MSE above 0.2)", eigenvalues, late & stuck)
    print(f"  leaving the saddle, η|λmin| a step at mid-plateau (medians over nets): {escape_rates(run, stuck)}")
    describe("final frame", eigenvalues, np.broadcast_to(np.arange(len(epochs))[:, None] == len(epochs) - 1, loss.shape))
    threshold = views["spectrum.threshold"] if "spectrum.threshold" in views.files else None
    if "spectrum.preconditioned_sharpness" in views.files:
        sharpness, which = views["spectrum.preconditioned_sharpness"], "preconditioned sharpness"
    else:
        sharpness, which = eigenvalues[..., -1], "sharpness"
    if threshold is not None and np.isfinite(threshold).any():
        ratio = sharpness / threshold[:, None]
        after = epochs >= 100
        print(f"  {which} / threshold ({threshold[-1]:.4g} at the end): median from epoch 100 "
              f"{median(ratio[after]):.3f}, largest {np.nanmax(ratio):.3f}, at the end {median(ratio[-1]):.3f}; "
              f"share of frames from epoch 100 within 10% of it or above: {np.mean(ratio[after] >= 0.9):.2f}")
        for stage, mask in (("stuck (from epoch 100)", (epochs[:, None] >= 100) & stuck),
                            ("below 0.1 (from epoch 100)", (epochs[:, None] >= 100) & (loss < 0.1)),
                            ("last 100 frames", np.broadcast_to(np.arange(len(epochs))[:, None] >= len(epochs) - 100,
                                                                loss.shape))):
            if mask.any():
                print(f"    {stage}: median ratio {median(ratio[mask]):.3f}")
    weights = run.per_frame["weights"]
    net = curvature.net_of_run(run)
    shares, gaps, monotone = [], [], 0
    with curvature.blas_on_one_thread():
        for index in range(weights.shape[1]):
            landscape = curvature.landscape(net, np.asarray(weights[:, index], dtype=np.float64), resolution=5)
            shares.append(landscape.explained_variance.sum())
            gaps.append(landscape.largest_gap)
            between = (landscape.line_alphas >= 0) & (landscape.line_alphas <= 1)
            monotone += bool(np.all(np.diff(landscape.line_values[between]) <= 0))
    print(f"  landscape: the plane holds {median(shares):.3f} of the path's variance ({min(shares):.3f} to "
          f"{max(shares):.3f}); largest gap {median(gaps):.2f} ({min(gaps):.2f} to {max(gaps):.2f}); the straight line "
          f"falls all the way from the initial to the final weights for {monotone} of {weights.shape[1]} nets")


def main() -> None:
    study = Path(sys.argv[1])
    for run_dir in sorted((study / "runs").iterdir()):
        if (run_dir / "curvature.npz").is_file():
            cell_numbers(run_dir)


if __name__ == "__main__":
    main()
