"""TensorFlow Playground's problems: points on a plane of two inputs, x1 and x2, each in [-6, 6].

Four classification sets, written from Playground's definitions (its dataset rules, not its
code), with its noise rule, a level from 0 to 0.5 (its slider's 0 to 50):
- circle: half the points within 2.5 of the centre (class 1), half in a ring from 3.5 to 5
  (class 0); each point labelled by where it would be after a shift of up to ±5·noise in x1
  and x2, so that noise puts some points in the other class's place.
- xor: x1 and x2 uniform on ±5, each moved 0.3 away from 0 (a gap along the axes); class 1
  where x1·x2 ≥ 0 after a shift of up to ±5·noise, as for the circle.
- gaussians: two round clouds, at (2, 2) (class 1) and (-2, -2) (class 0), each of variance v
  in each coordinate, v growing from 0.5 to 4 as the noise goes from 0 to 0.5. The best any
  classifier can do is then known exactly: the Bayes error rate Φ(-2√2/√v) (bayes_error).
- spiral: two arms of half the points each, point i of n at radius 5·i/n and angle
  1.75·2π·i/n (class 1) or that plus π (class 0), each coordinate moved by up to ±noise; the
  held-out points at i + 1/2 instead of i, between the training points.

Two regression surfaces, with Gaussian noise of standard deviation `noise` on the target, so
that the noise floor is noise² (Playground moves the inputs instead, which leaves no floor):
- plane: (x1 + x2) / 10, for x1, x2 uniform on ±6.
- gaussian_mix: six round bumps of height ±1 and width 1, at (±4, ±2.5) and (0, ±2.5), their
  signs alternating as a chequerboard's colours, for x1, x2 uniform on ±6.

Or a problem given as an expression in x1 and x2 (targets.py), for x1, x2 uniform on ±6: a
regression surface as above, with Gaussian noise σ = noise on its values; or, for a
classification, class 1 where the expression is above 0 at the point shifted by up to ±5·noise
in x1 and x2, as for the circle and XOR.

Pure NumPy: nothing here needs TensorFlow.
"""

from __future__ import annotations

import math

import numpy as np

import targets

EXTENT = 6.0  # the plane drawn and, for the regression surfaces, sampled: [-6, 6] in x1 and x2
CLASSIFICATION = ("circle", "xor", "gaussians", "spiral")
REGRESSION = ("plane", "gaussian_mix")
PROBLEMS = CLASSIFICATION + REGRESSION
MAX_NOISE = {"classification": 0.5, "regression": 10.0}

# The input features a net may be given, as Playground's toggles; x1 and x2 by default.
FEATURES = {
    "x1": lambda x1, x2: x1,
    "x2": lambda x1, x2: x2,
    "x1^2": lambda x1, x2: x1**2,
    "x2^2": lambda x1, x2: x2**2,
    "x1*x2": lambda x1, x2: x1 * x2,
    "sin(x1)": lambda x1, x2: np.sin(x1),
    "sin(x2)": lambda x1, x2: np.sin(x2),
}
DEFAULT_FEATURES = ("x1", "x2")
# Each feature as a part of a folder's name (a study's cell): no ^, * or parentheses there.
FEATURE_NAME_PARTS = {"x1": "x1", "x2": "x2", "x1^2": "x1sq", "x2^2": "x2sq", "x1*x2": "x1x2", "sin(x1)": "sinx1",
                      "sin(x2)": "sinx2"}

# The six bumps of gaussian_mix: (x1, x2, sign).
BUMPS = ((-4.0, 2.5, 1.0), (0.0, 2.5, -1.0), (4.0, 2.5, 1.0), (-4.0, -2.5, -1.0), (0.0, -2.5, 1.0), (4.0, -2.5, -1.0))


def task_of(problem: str) -> str:
    """'classification' or 'regression': a built-in problem's; an expression's unless the config
    says it is a classification (task)."""
    return "classification" if problem in CLASSIFICATION else "regression"


def problem_points(problem: str, count: int, noise: float, rng: np.random.Generator,
                   held_out: bool = False, task: str | None = None) -> tuple[np.ndarray, np.ndarray]:
    """`count` points of a problem, a built-in one or an expression in x1 and x2 of the task given
    (by default task_of's): (positions (count, 2), targets (count,)), float64; a classification
    set's targets are its classes, 0 and 1 (Playground's -1 and +1). held_out: the held-out
    points, drawn the same way (for the spiral, whose points lie at fixed steps along its arms,
    at the steps half-way between the training points': without noise they would otherwise be
    the training points themselves). A TargetError (a ValueError) says what is wrong with an
    expression: not a number where a point lies, or training points all of one class."""
    if problem == "spiral":
        return _spiral(count, noise, rng, offset=0.5 if held_out else 0.0)
    if problem in PROBLEMS:
        return _MAKERS[problem](count, noise, rng)
    if (task or task_of(problem)) == "regression":
        return _surface_maker(problem)(count, noise, rng)
    positions = rng.uniform(-EXTENT, EXTENT, (count, 2))
    shifted = positions + rng.uniform(-5, 5, (count, 2)) * noise  # as the circle's and XOR's noise moves them
    classes = (expression_values(problem, shifted, classifies=True, reach=EXTENT + 5 * noise) > 0).astype(np.float64)
    if not held_out and len(np.unique(classes)) < 2:
        raise targets.TargetError(f"problem {targets.shortened(problem)!r} puts every training point in class "
                                  f"{int(classes[0])} (class 1 is where it is above 0); a classification needs both")
    return positions, classes


def expression_values(expression: str, positions: np.ndarray, classifies: bool = False,
                      reach: float = EXTENT) -> np.ndarray:
    """An expression in x1 and x2 at positions (points, 2) within [-reach, reach]²; a TargetError
    names the first position where it cannot be trained on (targets.usable)."""
    values = targets.compile_plane_target(expression)(positions)
    bad = ~targets.usable(values, classifies)
    if bad.any():
        x1, x2 = positions[np.argmax(bad)]
        limit = "" if classifies else f" within ±{targets.MAX_VALUE:g}"
        beyond = ", the plane" if reach == EXTENT else ", the plane and the noise's shift beyond it"
        raise targets.TargetError(f"problem {targets.shortened(expression)!r} is not a number{limit} at "
                                  f"(x1, x2) = ({x1:.3g}, {x2:.3g}); give one that is over [-{reach:g}, {reach:g}]²"
                                  f"{beyond}")
    return values


def _halves(count: int) -> tuple[int, int]:
    """The points of class 1 and of class 0: half each, class 1 taking the odd one."""
    return count - count // 2, count // 2


def _circle(count: int, noise: float, rng: np.random.Generator):
    radius = 5.0
    inner, outer = _halves(count)
    distance = np.concatenate([rng.uniform(0, 0.5 * radius, inner), rng.uniform(0.7 * radius, radius, outer)])
    angle = rng.uniform(0, 2 * math.pi, count)
    positions = np.column_stack([distance * np.sin(angle), distance * np.cos(angle)])
    shifted = positions + rng.uniform(-radius, radius, (count, 2)) * noise
    return positions, (np.hypot(shifted[:, 0], shifted[:, 1]) < 0.5 * radius).astype(np.float64)


def _xor(count: int, noise: float, rng: np.random.Generator):
    positions = rng.uniform(-5, 5, (count, 2))
    positions += np.where(positions > 0, 0.3, -0.3)  # the gap along the axes
    shifted = positions + rng.uniform(-5, 5, (count, 2)) * noise
    return positions, (shifted[:, 0] * shifted[:, 1] >= 0).astype(np.float64)


def gaussian_variance(noise: float) -> float:
    """The variance of each of the two Gaussian clouds in each coordinate: 0.5 at noise 0, 4 at 0.5."""
    return 0.5 + noise * (4.0 - 0.5) / 0.5


def _gaussians(count: int, noise: float, rng: np.random.Generator):
    spread = math.sqrt(gaussian_variance(noise))
    ones, zeros = _halves(count)
    positions = np.concatenate([rng.normal(2.0, spread, (ones, 2)), rng.normal(-2.0, spread, (zeros, 2))])
    return positions, np.concatenate([np.ones(ones), np.zeros(zeros)])


def _spiral(count: int, noise: float, rng: np.random.Generator, offset: float = 0.0):
    arms = []
    for size, turn, label in zip(_halves(count), (0.0, math.pi), (1.0, 0.0)):
        step = (np.arange(size) + offset) / size
        radius, angle = 5 * step, 1.75 * step * 2 * math.pi + turn
        positions = np.column_stack([radius * np.sin(angle), radius * np.cos(angle)])
        arms.append((positions + rng.uniform(-1, 1, (size, 2)) * noise, np.full(size, label)))
    return np.concatenate([arm[0] for arm in arms]), np.concatenate([arm[1] for arm in arms])


def surface(problem: str, positions: np.ndarray) -> np.ndarray:
    """A regression surface's noise-free value at positions (points, 2): a built-in one's, or an
    expression's in x1 and x2."""
    x1, x2 = positions[:, 0], positions[:, 1]
    if problem == "plane":
        return (x1 + x2) / 10
    if problem == "gaussian_mix":
        return sum(sign * np.exp(-((x1 - c1) ** 2 + (x2 - c2) ** 2) / 2) for c1, c2, sign in BUMPS)
    if problem in CLASSIFICATION:
        raise ValueError(f"{problem!r} is not a regression surface; choose one of: {', '.join(REGRESSION)}")
    return expression_values(problem, positions)


def _surface_maker(problem: str):
    def make(count: int, noise: float, rng: np.random.Generator):
        positions = rng.uniform(-EXTENT, EXTENT, (count, 2))
        return positions, surface(problem, positions) + rng.normal(0.0, noise, count)
    return make


_MAKERS = {"circle": _circle, "xor": _xor, "gaussians": _gaussians, "spiral": _spiral,
           "plane": _surface_maker("plane"), "gaussian_mix": _surface_maker("gaussian_mix")}


def bayes_error(problem: str, noise: float) -> float | None:
    """The lowest error rate any classifier can have on the problem, where it is known exactly:
    two Gaussians (along the line through their centres each class is a normal of spread √v whose
    mean is 2√2 from the boundary half-way); 0 for the circle, XOR and the spiral without noise,
    whose class is then a fixed function of where a point lies; None elsewhere."""
    if problem in ("circle", "xor", "spiral") and noise == 0:
        return 0.0
    if problem != "gaussians":
        return None
    return 0.5 * math.erfc(2 * math.sqrt(2) / math.sqrt(gaussian_variance(noise)) / math.sqrt(2))


def bayes_cross_entropy(problem: str, noise: float) -> float | None:
    """The lowest expected binary cross-entropy (natural log) any classifier can have, where it is
    known: for two Gaussians, that of the true class probabilities, a logistic function of the
    distance along the line through the centres; worked out by quadrature. None elsewhere."""
    if problem != "gaussians":
        return None
    variance = gaussian_variance(noise)
    # Along that line each class is normal with mean ±2√2 and variance v; the true log-odds
    # there are 2·(2√2)·t / v; by symmetry the loss of class 1's points is the whole loss.
    mean, spread = 2 * math.sqrt(2), math.sqrt(variance)
    t = np.linspace(mean - 12 * spread, mean + 12 * spread, 20001)
    density = np.exp(-((t - mean) ** 2) / (2 * variance)) / (spread * math.sqrt(2 * math.pi))
    loss = np.logaddexp(0.0, -2 * mean * t / variance)  # -log(sigmoid(log-odds))
    return float(np.sum(density * loss) * (t[1] - t[0]))


def features_of(positions: np.ndarray, names: list[str] | tuple[str, ...]) -> np.ndarray:
    """The input features named (FEATURES) at positions (points, 2): (points, features) float32."""
    x1, x2 = positions[:, 0], positions[:, 1]
    return np.column_stack([FEATURES[name](x1, x2) for name in names]).astype(np.float32)


def plane_grid(side: int, x1_range: tuple[float, float] = (-EXTENT, EXTENT),
               x2_range: tuple[float, float] = (-EXTENT, EXTENT)) -> np.ndarray:
    """side x side points evenly over x1_range × x2_range ([-6, 6]² unless given), (side², 2): row
    r, column c at index r·side + c, x1 growing along a row and x2 from row to row (a map drawn
    with its origin at the bottom)."""
    x1, x2 = np.meshgrid(np.linspace(*x1_range, side), np.linspace(*x2_range, side))
    return np.column_stack([x1.ravel(), x2.ravel()])
