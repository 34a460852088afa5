"""The landscape around a net's path: the training objective over the plane of the path's two
principal directions through the final weights (PCA of the frames' weight vectors, as Li et al.
2018 do), the path's points on it, and the objective along the straight line from the initial to
the final weights (Goodfellow et al. 2015). For the post's 1x60 net, 41 x 41 points, in about
0.4 s.

Imports neither TensorFlow nor matplotlib.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hessians import Net, objective


@dataclass(frozen=True)
class Landscape:
    """The objective of net 0 around its path: on the plane of the path's two principal
    directions through the final weights, and along the line from the initial to the final weights."""

    directions: np.ndarray  # (2, parameters) orthonormal, the first the path's main direction
    explained_variance: np.ndarray  # (2,) each direction's share of the path's variance about the final weights
    path: np.ndarray  # (frames, 2) each frame's weights projected on the plane
    axis_a: np.ndarray  # (columns,) coordinates along the first direction
    axis_b: np.ndarray  # (rows,) along the second
    values: np.ndarray  # (rows, columns) the objective over the plane
    path_values: np.ndarray  # (frames,) the objective at the path's projected points
    frame_objective: np.ndarray  # (frames,) the objective at the frames' own weights
    line_alphas: np.ndarray  # (points,) 0 the initial weights, 1 the final
    line_values: np.ndarray  # (points,)

    @property
    def largest_gap(self) -> float:
        """The largest difference between a path point's value on the plane and its frame's objective,
        as a share of the frame's objective: how far the plane misrepresents the path.

        Relative, |path value - frame objective| / frame objective, the largest over the frames (NaN
        where no frame has a finite, positive objective): 0.5 says that somewhere along the path
        the plane's value is off by half of the true objective there."""
        with np.errstate(all="ignore"):
            gaps = np.abs(self.path_values - self.frame_objective) / self.frame_objective
        gaps = gaps[np.isfinite(gaps) & (self.frame_objective > 0)]
        return float(gaps.max()) if len(gaps) else float("nan")


# The grid reaches this share of the path's extent past it on each side.
LANDSCAPE_MARGIN = 0.2
# The straight line from the initial (0) to the final (1) weights, a quarter past each end, in
# steps of 1/40: 61 points, 0 and 1 among them exactly.
LINE_ALPHAS = np.arange(-10, 51) / 40


def _plane(offsets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The two leading right singular vectors of the offsets (frames, P) and their shares of Σs²;
    where the offsets span fewer than two directions, the missing ones are any orthonormal
    completion, holding a share of 0."""
    parameters = offsets.shape[1]
    _, singular_values, right = np.linalg.svd(offsets, full_matrices=False)
    total = float(np.sum(singular_values**2))
    tolerance = (singular_values[0] if len(singular_values) else 0.0) * max(offsets.shape) * np.finfo(float).eps
    rank = int(np.sum(singular_values > tolerance)) if total > 0 else 0
    directions = list(right[:min(rank, 2)])
    shares = [float(value**2 / total) for value in singular_values[:len(directions)]]
    for candidate in np.eye(parameters):  # complete with the first unit vectors that are independent
        if len(directions) == 2:
            break
        for direction in directions:
            candidate = candidate - (candidate @ direction) * direction
        if np.linalg.norm(candidate) > 0.5:
            directions.append(candidate / np.linalg.norm(candidate))
            shares.append(0.0)
    directions = np.array(directions[:2])
    # Signs: the initial weights on the positive side of each direction, so that pictures of
    # similar runs look alike.
    start = offsets[0] @ directions.T
    directions[start < 0] *= -1
    return directions, np.array(shares[:2])


def _axis(coordinates: np.ndarray, fallback_extent: float, resolution: int) -> np.ndarray:
    low, high = float(coordinates.min()), float(coordinates.max())
    extent = high - low
    if extent == 0:  # the path does not move along this direction: a span like the other's
        extent = fallback_extent
    return np.linspace(low - LANDSCAPE_MARGIN * extent, high + LANDSCAPE_MARGIN * extent, resolution)


def landscape(net: Net, weights: np.ndarray, resolution: int = 41) -> Landscape:
    """The objective over the plane of the path's two principal directions through the final
    weights, the path on it and the straight line from the initial to the final weights.

    weights: (frames, P), one net's weights at every frame. The directions are those of the
    frames' offsets from the final weights, uncentered (Li et al. 2018), so that the plane
    passes through the final weights; frames whose weights are not finite are left out of the
    plane (their path point and values are NaN), the final weights being the last finite frame's.
    """
    weights = np.asarray(weights, dtype=np.float64)
    finite = np.isfinite(weights).all(axis=1)
    if not finite.any():
        raise ValueError("no frame has finite weights: there is no landscape to draw")
    used = weights[finite]
    final = used[-1]
    offsets = used - final
    directions, shares = _plane(offsets)
    path = np.full((len(weights), 2), np.nan)
    path[finite] = offsets @ directions.T
    extents = np.ptp(path[finite], axis=0)
    fallback = float(extents.max()) or float(np.linalg.norm(final)) or 1.0
    axis_a = _axis(path[finite, 0], fallback, resolution)
    axis_b = _axis(path[finite, 1], fallback, resolution)
    grid_b, grid_a = np.meshgrid(axis_b, axis_a, indexing="ij")
    plane_rows = final + grid_a.reshape(-1, 1) * directions[0] + grid_b.reshape(-1, 1) * directions[1]
    values = objective(net, plane_rows).reshape(resolution, resolution)
    path_values = np.full(len(weights), np.nan)
    path_values[finite] = objective(net, final + path[finite] @ directions)
    frame_objective = np.full(len(weights), np.nan)
    frame_objective[finite] = objective(net, used)
    line_rows = (1 - LINE_ALPHAS)[:, None] * used[0] + LINE_ALPHAS[:, None] * final
    return Landscape(directions=directions, explained_variance=shares, path=path, axis_a=axis_a, axis_b=axis_b,
                     values=values, path_values=path_values, frame_objective=frame_objective,
                     line_alphas=LINE_ALPHAS.copy(), line_values=objective(net, line_rows))
