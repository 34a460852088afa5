"""The curvature of a run's training objective and the landscape around its path, worked out after
training from the weights it recorded (frame.weights; frame.second_moment for Adam and RMSprop),
in float64 with NumPy alone: animate.py computes them for any run that holds the weights.

- Spectrum: at every frame, every eigenvalue of the exact Hessian of the full-batch training
  objective (data MSE plus the l1/l2 penalties, as the optimizer minimised it: for a CSV run, the
  standardized objective) with respect to all weights and biases; the optimizer's stability
  threshold at the frame's learning rate; for Adam and RMSprop the preconditioned sharpness.
- Landscape: the objective over the plane of the path's two principal directions about the final
  weights (PCA of the frames' weight vectors, as Li et al. 2018 do), the path's points on it, and
  the objective along the straight line from the initial to the final weights (Goodfellow et al. 2015).

Cost (benchmarks/bench_curvature.py, the post's 1x60 net, 181 parameters, 200 training points,
201 frames, on the 2-core machine with BLAS on one thread): the whole spectrum in about 0.5 s
(the Hessians 0.25 s, eigvalsh 0.25 s), some 200 times faster than TensorFlow's Jacobian of the
gradient frame by frame; the landscape (41 x 41 grid, path, line) in about 0.4 s. With OpenBLAS's
threads and another process busy, the same spectrum took 1.7 to 3 s: blas_on_one_thread keeps
it to one thread where threadpoolctl is installed.

Imports neither TensorFlow nor matplotlib.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
from dataclasses import dataclass

import numpy as np

import config as config_module
import data
import rundir
from optimizer_options import OPTIMIZER_OPTIONS

# An eigenvalue whose size is at most this share of the largest eigenvalue's size counts as near
# zero (and neither negative nor positive).
NEAR_ZERO_SHARE = 1e-3
# Nets of more parameters get no curvature unless asked for (record.curvature).
LARGEST_NET_BY_DEFAULT = 1000


@dataclass(frozen=True)
class Net:
    """What the objective of one net needs: its layout and activations, the training points (as
    the net was trained on them: standardized for a CSV run), and the penalties."""

    layer_sizes: list[int]  # [1, hidden..., 1]: inputs, each hidden layer's units, the output
    activations: list[str]  # one name per hidden layer (config_schema.ACTIVATIONS)
    x: np.ndarray  # (points,) the training inputs
    y: np.ndarray  # (points,) the training targets
    l1: float = 0.0
    l2: float = 0.0

    @property
    def parameters(self) -> int:
        """How many weights and biases: a row of frame.weights."""
        return sum((inputs + 1) * outputs for inputs, outputs in zip(self.layer_sizes[:-1], self.layer_sizes[1:]))


@dataclass(frozen=True)
class Threshold:
    """The optimizer's stability threshold: the sharpness above which its update on a quadratic
    with that curvature grows instead of shrinking, at each frame's learning rate."""

    values: np.ndarray  # (frames,) float64; NaN where unknown
    rule: str  # how it is worked out, for the picture: "2/η", "(2+2β)/η, β=0.9", "(2+2β₁)/((1-β₁)η)"
    preconditioned: bool  # compared with the preconditioned sharpness (Adam, RMSprop), not the sharpness
    reference_only: bool  # minibatches: the threshold of full-batch steps, drawn as a reference


@dataclass(frozen=True)
class Spectrum:
    """The Hessian's eigenvalues at every frame, of the nets whose weights were recorded."""

    frame_epochs: np.ndarray  # (frames,)
    nets: np.ndarray  # (nets,) which nets of the run (0 alone, or every net)
    eigenvalues: np.ndarray  # (frames, nets, parameters) float64, ascending
    objective: np.ndarray  # (frames, nets) the training objective at those weights
    threshold: Threshold | None  # None: no threshold is known for the optimizer
    preconditioned_sharpness: np.ndarray | None  # (frames, nets), for Adam and RMSprop

    @property
    def sharpness(self) -> np.ndarray:
        """(frames, nets) the largest eigenvalue."""
        return self.eigenvalues[..., -1]

    @property
    def smallest(self) -> np.ndarray:
        return self.eigenvalues[..., 0]

    @property
    def near_zero_tolerance(self) -> np.ndarray:
        """(frames, nets) the size under which an eigenvalue counts as near zero."""
        return NEAR_ZERO_SHARE * np.abs(self.eigenvalues).max(axis=-1)

    @property
    def negative_count(self) -> np.ndarray:
        """(frames, nets) eigenvalues below minus the near-zero tolerance."""
        return (self.eigenvalues < -self.near_zero_tolerance[..., None]).sum(axis=-1)

    @property
    def near_zero_count(self) -> np.ndarray:
        return (np.abs(self.eigenvalues) <= self.near_zero_tolerance[..., None]).sum(axis=-1)


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


@dataclass(frozen=True)
class Views:
    """What a run's pictures show of its curvature: its spectrum and landscape where they were
    worked out, and otherwise a few words on why not ("not recorded: record.curvature is none")."""

    spectrum: Spectrum | None
    landscape: Landscape | None
    note: str = ""  # empty when both are there


# ---------------------------------------------------------------------------------------------
# Activations: each name's value, first and second derivative, in closed form.
# ---------------------------------------------------------------------------------------------

def _sigmoid_of(z: np.ndarray) -> np.ndarray:
    # One tanh, no overflow for any z, and twice as fast as exp with a where.
    return 0.5 + 0.5 * np.tanh(0.5 * z)


# Each activation below gives its value at z, and with derivatives=True also its first and second
# derivative: the objective alone (the landscape's thousands of points) needs only the value.

def _sigmoid(z, derivatives):
    s = _sigmoid_of(z)
    return (s, s * (1 - s), s * (1 - s) * (1 - 2 * s)) if derivatives else s


def _tanh(z, derivatives):
    t = np.tanh(z)
    return (t, 1 - t * t, -2 * t * (1 - t * t)) if derivatives else t


def _piecewise_linear(value: np.ndarray, slopes_where: list[tuple[np.ndarray, float]], derivatives: bool):
    if not derivatives:
        return value
    first = np.zeros_like(value)
    for where, slope in slopes_where:
        first = np.where(where, slope, first)
    return value, first, np.zeros_like(value)


def _relu(z, derivatives):
    return _piecewise_linear(np.maximum(z, 0.0), [(z > 0, 1.0)], derivatives)


def _relu6(z, derivatives):
    return _piecewise_linear(np.clip(z, 0.0, 6.0), [((z > 0) & (z < 6), 1.0)], derivatives)


# Keras 3's leaky_relu: keras.activations.leaky_relu(x, negative_slope=0.2), which TensorFlow
# applies as a float32 attribute even to float64 values: 0.2 rounded to float32.
LEAKY_RELU_SLOPE = float(np.float32(0.2))


def _leaky_relu(z, derivatives):
    return _piecewise_linear(np.where(z > 0, z, LEAKY_RELU_SLOPE * z), [(z > 0, 1.0), (z <= 0, LEAKY_RELU_SLOPE)],
                             derivatives)


def _hard_sigmoid(z, derivatives):
    # Keras 3's: relu6(x + 3) / 6, that is x/6 + 1/2 between -3 and 3 (Keras 2's slope was 0.2).
    return _piecewise_linear(np.clip(z + 3, 0.0, 6.0) / 6, [((z > -3) & (z < 3), 1 / 6)], derivatives)


def _linear(z, derivatives):
    return (z, np.ones_like(z), np.zeros_like(z)) if derivatives else z


# ELU's alpha as keras.activations.elu has it by default; SELU's constants as tf.nn.selu has them.
ELU_ALPHA = 1.0
SELU_ALPHA, SELU_SCALE = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946


def _elu_scaled(z, alpha: float, scale: float, derivatives: bool):
    exponential = np.exp(np.minimum(z, 0.0))  # only used where z <= 0
    positive = z > 0
    value = scale * np.where(positive, z, alpha * (exponential - 1))
    if not derivatives:
        return value
    slope = scale * np.where(positive, 1.0, alpha * exponential)
    return value, slope, scale * np.where(positive, 0.0, alpha * exponential)


def _elu(z, derivatives):
    return _elu_scaled(z, ELU_ALPHA, 1.0, derivatives)


def _selu(z, derivatives):
    return _elu_scaled(z, SELU_ALPHA, SELU_SCALE, derivatives)


def _silu(z, derivatives):
    s = _sigmoid_of(z)
    return (z * s, s * (1 + z * (1 - s)), s * (1 - s) * (2 + z * (1 - 2 * s))) if derivatives else z * s


def _softplus(z, derivatives):
    value = np.logaddexp(0.0, z)
    if not derivatives:
        return value
    s = _sigmoid_of(z)
    return value, s, s * (1 - s)


def _softsign(z, derivatives):
    denominator = 1 + np.abs(z)
    return (z / denominator, 1 / denominator**2, -2 * np.sign(z) / denominator**3) if derivatives else z / denominator


def _mish(z, derivatives):
    # mish = z tanh(softplus z); with t = tanh(softplus z), s = sigmoid z: t' = (1-t²)s.
    t = np.tanh(np.logaddexp(0.0, z))
    if not derivatives:
        return z * t
    s = _sigmoid_of(z)
    slope = (1 - t * t) * s
    return z * t, t + z * slope, slope * (2 + z * ((1 - s) - 2 * t * s))


_ERF = np.frompyfunc(math.erf, 1, 1)


def _gelu(z, derivatives):
    # Keras 3's gelu is the exact one by default (approximate=False): z Φ(z). NumPy has no erf,
    # so Φ takes the C library's erf, one number at a time: about 0.15 µs a value, 0.35 s for
    # a 1x60 net's 201 frames on 200 points; only gelu nets pay it.
    normal_cdf = 0.5 * (1 + _ERF(z / math.sqrt(2)).astype(np.float64))
    if not derivatives:
        return z * normal_cdf
    normal_density = np.exp(-0.5 * z * z) / math.sqrt(2 * math.pi)
    return z * normal_cdf, normal_cdf + z * normal_density, normal_density * (2 - z * z)


def _sin(z, derivatives):
    sine = np.sin(z)
    return (sine, np.cos(z), -sine) if derivatives else sine


ACTIVATION_DERIVATIVES = {
    "sigmoid": _sigmoid, "tanh": _tanh, "relu": _relu, "elu": _elu, "selu": _selu, "gelu": _gelu,
    "silu": _silu, "swish": _silu, "softplus": _softplus, "softsign": _softsign, "leaky_relu": _leaky_relu,
    "relu6": _relu6, "mish": _mish, "hard_sigmoid": _hard_sigmoid, "linear": _linear, "sin": _sin,
}


def _activation(name: str):
    function = ACTIVATION_DERIVATIVES.get(name)
    if function is None:
        raise ValueError(f"curvature is not worked out for activation {name!r}")
    return function


def activation_derivatives(name: str, z: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """An activation's value, first and second derivative at z (float64), as Keras defines it.

    At a kink (relu's 0, relu6's 0 and 6, hard_sigmoid's ±3) the second derivative is taken as 0
    and the first as that of the side Keras's gradient takes almost everywhere: the curvature
    of a kink itself is not counted.
    """
    return _activation(name)(np.asarray(z, dtype=np.float64), True)


def activation_values(name: str, z: np.ndarray) -> np.ndarray:
    """An activation's value at z (float64)."""
    return _activation(name)(np.asarray(z, dtype=np.float64), False)


# ---------------------------------------------------------------------------------------------
# The objective of a net, its gradient and its exact Hessian, for many weight vectors at once.
# ---------------------------------------------------------------------------------------------

def _layer_shapes(net: Net) -> list[tuple[int, int]]:
    return list(zip(net.layer_sizes[:-1], net.layer_sizes[1:]))


def _layer_slices(net: Net) -> list[slice]:
    """Where each layer's kernel-then-bias sits in a row of frame.weights."""
    slices, start = [], 0
    for inputs, outputs in _layer_shapes(net):
        slices.append(slice(start, start + (inputs + 1) * outputs))
        start += (inputs + 1) * outputs
    return slices


def _augmented_weights(net: Net, rows: np.ndarray) -> list[np.ndarray]:
    """Each layer's kernel with its bias as one more row, (m, inputs + 1, outputs): the layout of
    frame.weights (kernel in C order, then bias) read as one matrix."""
    rows = np.asarray(rows, dtype=np.float64)
    if rows.ndim != 2 or rows.shape[1] != net.parameters:
        raise ValueError(f"expected weight rows of {net.parameters} parameters, got shape {rows.shape}")
    return [rows[:, where].reshape(len(rows), inputs + 1, outputs)
            for where, (inputs, outputs) in zip(_layer_slices(net), _layer_shapes(net))]


def unpack(net: Net, rows: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """Each layer's kernels (m, inputs, outputs) and biases (m, outputs) of m weight rows (m, P)."""
    return [(weights[:, :-1, :], weights[:, -1, :]) for weights in _augmented_weights(net, rows)]


def _kernel_mask(net: Net) -> np.ndarray:
    """(P,) True at the kernels' entries, the ones the l1 and l2 penalties weigh."""
    mask = np.zeros(net.parameters, dtype=bool)
    for where, (inputs, outputs) in zip(_layer_slices(net), _layer_shapes(net)):
        mask[where.start:where.start + inputs * outputs] = True
    return mask


def _with_ones(values: np.ndarray) -> np.ndarray:
    """(m, n, width) -> (m, n, width + 1): a layer's inputs with the constant its bias multiplies."""
    return np.concatenate([values, np.ones(values.shape[:-1] + (1,))], axis=-1)


@dataclass
class _Pass:
    """The net's forward and backward pass on every training point, for m weight rows."""

    weights: list[np.ndarray]  # each layer's (m, inputs + 1, outputs)
    inputs: list[np.ndarray]  # each layer's inputs with a 1 for the bias, (m, n, inputs + 1)
    first: list[np.ndarray]  # each hidden layer's activation derivatives at its pre-activations, (m, n, units)
    second: list[np.ndarray]
    residual: np.ndarray  # (m, n) output minus target
    output_gradients: list[np.ndarray] | None = None  # ∂output/∂(layer's pre-activations), (m, n, outputs)


def _forward(net: Net, rows: np.ndarray, derivatives: bool) -> _Pass:
    weights = _augmented_weights(net, rows)
    layer_input = _with_ones(np.broadcast_to(np.asarray(net.x, dtype=np.float64)[None, :, None],
                                             (len(weights[0]), len(net.x), 1)))
    inputs, first, second = [layer_input], [], []
    for layer, augmented in enumerate(weights[:-1]):
        pre_activations = layer_input @ augmented
        activation = net.activations[layer]
        if derivatives:
            value, slope, curvature = activation_derivatives(activation, pre_activations)
            first.append(slope)
            second.append(curvature)
        else:
            value = activation_values(activation, pre_activations)
        layer_input = _with_ones(value)
        inputs.append(layer_input)
    output = (layer_input @ weights[-1])[..., 0]
    return _Pass(weights, inputs, first, second, output - np.asarray(net.y, dtype=np.float64))


def _backward(net_pass: _Pass) -> _Pass:
    """Fills in the output's gradient with respect to each layer's pre-activations (per point)."""
    gradients = [np.ones(net_pass.residual.shape + (1,))]
    for layer in range(len(net_pass.weights) - 2, -1, -1):
        kernel_above = net_pass.weights[layer + 1][:, :-1, :]
        gradients.insert(0, (gradients[0] @ kernel_above.transpose(0, 2, 1)) * net_pass.first[layer])
    net_pass.output_gradients = gradients
    return net_pass


def _penalties(net: Net, rows: np.ndarray) -> np.ndarray:
    kernels = np.asarray(rows, dtype=np.float64)[:, _kernel_mask(net)]
    return net.l1 * np.abs(kernels).sum(axis=1) + net.l2 * (kernels**2).sum(axis=1)


# Weight rows evaluated at once: bounds the memory of the (rows, points, units) arrays to tens of MB.
_ELEMENTS_AT_ONCE = 2**21


# Hessians are worked out in fewer, larger products: 64 MB of float64 at once.
_HESSIAN_ELEMENTS_AT_ONCE = 2**23


def _chunks(count: int, elements_per_row: int, elements_at_once: int = _ELEMENTS_AT_ONCE):
    size = max(1, elements_at_once // max(1, elements_per_row))
    for start in range(0, count, size):
        yield slice(start, min(count, start + size))


def objective(net: Net, rows: np.ndarray) -> np.ndarray:
    """(m,) the training objective at each of m weight rows (m, P): the mean squared error over
    the training points plus l1 Σ|W| + l2 Σ W² over the kernels (biases are not penalised)."""
    rows = np.asarray(rows, dtype=np.float64)
    values = np.empty(len(rows))
    for chunk in _chunks(len(rows), len(net.x) * max(net.layer_sizes)):
        residual = _forward(net, rows[chunk], derivatives=False).residual
        values[chunk] = np.mean(residual**2, axis=1) + _penalties(net, rows[chunk])
    return values


def _output_jacobian(net_pass: _Pass) -> np.ndarray:
    """(m, n, P) the derivative of the net's output at each point with respect to each parameter."""
    m, n = net_pass.residual.shape
    return np.concatenate([(layer_input[..., :, None] * gradient[..., None, :]).reshape(m, n, -1)
                           for layer_input, gradient in zip(net_pass.inputs, net_pass.output_gradients)], axis=-1)


def gradient(net: Net, rows: np.ndarray) -> np.ndarray:
    """(m, P) the objective's gradient at each weight row (l1's is sign(W), 0 at 0)."""
    rows = np.asarray(rows, dtype=np.float64)
    net_pass = _backward(_forward(net, rows, derivatives=True))
    points = net_pass.residual.shape[1]
    gradients = (2 / points) * np.einsum("mn,mnp->mp", net_pass.residual, _output_jacobian(net_pass))
    mask = _kernel_mask(net)
    gradients[:, mask] += net.l1 * np.sign(rows[:, mask]) + 2 * net.l2 * rows[:, mask]
    return gradients


def _pairs(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """(m, n, a), (m, n, b) -> (m, a * b, n): every product of a left and a right column, point by point,
    laid out for a matrix product that sums over the points."""
    m, n = left.shape[:2]
    return (left[..., :, None] * right[..., None, :]).reshape(m, n, -1).transpose(0, 2, 1)


def _pre_activation_curvatures(net_pass: _Pass, deltas: list[np.ndarray]):
    """Each layer's curvature of g = Σ_i r_i f(x_i) with respect to its pre-activations z (per
    point): M_l = diag(φ') W M_{l+1} Wᵀ diag(φ') + diag(∂g/∂h ⊙ φ''), zero for the linear output.
    Returned as two lists: the diagonal (m, n, units) where M_l is diagonal (the last hidden
    layer's, the next being zero), the dense (m, n, units, units) otherwise; both None for zero."""
    layers = len(net_pass.weights)
    diagonals, denses = [None] * layers, [None] * layers
    for layer in range(layers - 2, -1, -1):
        kernel_above = net_pass.weights[layer + 1][:, :-1, :]
        diagonal = (deltas[layer + 1] @ kernel_above.transpose(0, 2, 1)) * net_pass.second[layer]
        if diagonals[layer + 1] is None and denses[layer + 1] is None:
            diagonals[layer] = diagonal
            continue
        above = denses[layer + 1]
        if above is None:
            above = diagonals[layer + 1][..., :, None] * np.eye(diagonals[layer + 1].shape[-1])
        inner = kernel_above[:, None] @ above @ kernel_above.transpose(0, 2, 1)[:, None]
        slope = net_pass.first[layer]
        dense = slope[..., :, None] * inner * slope[..., None, :]
        units = np.arange(dense.shape[-1])
        dense[..., units, units] += diagonal
        denses[layer] = dense
    return diagonals, denses


def _residual_curvature(net: Net, net_pass: _Pass) -> np.ndarray:
    """(m, P, P) Σ_i r_i ∇²f(x_i): the second-order part of the squared error's Hessian, residuals held fixed.

    With each layer's inputs a_l (a 1 appended for the bias) and weights W_l (bias as a last row),
    z_l = a_l W_l, and g = Σ_i r_i f_i, the block of layers k ≤ l is, entry [(p, q), (s, t)],
        Σ_i a_k[i,p] (∂a_l[i,s]/∂z_k[i,q] δ_l[i,t] + a_l[i,s] (M_l T_lk)[i,t,q]),
    δ_l = ∂g/∂z_l, M_l = ∂²g/∂z_l² (above), T_lk = ∂z_l/∂z_k (the identity for k = l, where the first
    term is absent). Each is a product summed over the points: one matrix product per block over
    all m rows at once. A layer's block with the next touches only its own unit q's column
    (∂a_{k+1}/∂z_k is diagonal), and the last hidden layer's M is diagonal: both are worked out
    as the smaller products they are.
    """
    weights, inputs, first = net_pass.weights, net_pass.inputs, net_pass.first
    layers, m = len(weights), len(weights[0])
    deltas = [net_pass.residual[..., None] * gradient for gradient in net_pass.output_gradients]
    diagonals, denses = _pre_activation_curvatures(net_pass, deltas)
    curvature = np.zeros((m, net.parameters, net.parameters))
    slices = _layer_slices(net)
    for k in range(layers):
        inputs_k, units_k = inputs[k].shape[-1], weights[k].shape[-1]
        transfer = None  # T_lk, (m, n, units_k, units_l); None: the identity (l = k)
        for l in range(k, layers):
            inputs_l, units_l = inputs[l].shape[-1], weights[l].shape[-1]
            block = np.zeros((m, inputs_k, units_k, inputs_l, units_l))
            if l > k:
                if transfer is None:  # the next layer: ∂a_l/∂z_k = diag(φ'_k), its inputs' q-th the units' q-th
                    products = np.matmul(inputs[k].transpose(0, 2, 1), _pairs(first[k], deltas[l]).transpose(0, 2, 1))
                    products = products.reshape(m, inputs_k, units_k, units_l)
                    diagonal = np.arange(units_k)
                    block[:, :, diagonal, diagonal, :] += products  # adjacent advanced indices keep their place
                    transfer = first[k][..., :, None] * weights[l][:, None, :-1, :]
                else:
                    activation_transfer = transfer * first[l - 1][..., None, :]  # ∂a_l/∂z_k without the bias's 1
                    point_products = activation_transfer[..., None] * deltas[l][..., None, None, :]
                    products = np.matmul(inputs[k].transpose(0, 2, 1),
                                         point_products.reshape(m, -1, units_k * (inputs_l - 1) * units_l))
                    block[:, :, :, :-1, :] += products.reshape(m, inputs_k, units_k, inputs_l - 1, units_l)
                    transfer = activation_transfer @ weights[l][:, None, :-1, :]
            if l == k and diagonals[l] is not None:
                products = np.matmul(_pairs(inputs[k], inputs[l]), diagonals[l]).reshape(m, inputs_k, inputs_l, units_l)
                diagonal = np.arange(units_l)
                block[:, :, diagonal, :, diagonal] += products.transpose(3, 0, 1, 2)  # separated ones come first
            elif diagonals[l] is not None or denses[l] is not None:
                if denses[l] is None:  # U[i,t,q] = c[i,t] T[i,q,t]
                    mixed = diagonals[l][..., :, None] * transfer.transpose(0, 1, 3, 2)
                elif transfer is None:
                    mixed = denses[l]
                else:
                    mixed = denses[l] @ transfer.transpose(0, 1, 3, 2)
                products = np.matmul(_pairs(inputs[k], inputs[l]), mixed.reshape(m, mixed.shape[1], -1))
                block += products.reshape(m, inputs_k, inputs_l, units_l, units_k).transpose(0, 1, 4, 2, 3)
            block = block.reshape(m, inputs_k * units_k, inputs_l * units_l)
            curvature[:, slices[k], slices[l]] += block
            if l > k:
                curvature[:, slices[l], slices[k]] += block.transpose(0, 2, 1)
    return curvature


def hessians(net: Net, rows: np.ndarray) -> np.ndarray:
    """(m, P, P) the exact Hessian of the objective at each weight row, symmetric, float64.

    H = (2/n) (Jᵀ J + Σ_i r_i ∇²f(x_i)) + 2 l2 on the kernels' diagonal, J the outputs' Jacobian
    and r the residuals. The l1 penalty adds nothing: |W| is linear on either side of 0 and its
    kink at 0 is left out, as are the kinks of relu-like activations.
    """
    rows = np.asarray(rows, dtype=np.float64)
    matrices = np.empty((len(rows), net.parameters, net.parameters))
    # A row's arrays: its Jacobian, its Hessian twice over, and (past one hidden layer) a units x
    # units curvature at every point.
    widest, hidden_layers = max(net.layer_sizes), len(net.layer_sizes) - 2
    per_row = len(net.x) * (net.parameters + (widest**2 if hidden_layers > 1 else 0)) + 2 * net.parameters**2
    for chunk in _chunks(len(rows), per_row, _HESSIAN_ELEMENTS_AT_ONCE):
        net_pass = _backward(_forward(net, rows[chunk], derivatives=True))
        jacobian = _output_jacobian(net_pass)
        points = jacobian.shape[1]
        matrices[chunk] = (2 / points) * (jacobian.transpose(0, 2, 1) @ jacobian + _residual_curvature(net, net_pass))
    kernels = np.flatnonzero(_kernel_mask(net))
    matrices[:, kernels, kernels] += 2 * net.l2
    # The two halves are added in different orders: make the result exactly symmetric.
    return 0.5 * (matrices + matrices.transpose(0, 2, 1))


def eigenvalues(net: Net, rows: np.ndarray) -> np.ndarray:
    """(m, P) each weight row's Hessian eigenvalues, ascending."""
    return np.linalg.eigvalsh(hessians(net, rows))


# ---------------------------------------------------------------------------------------------
# Stability thresholds: the sharpness past which an optimizer's step grows on a quadratic.
# ---------------------------------------------------------------------------------------------

def _option(optimizer: str, options: dict, name: str):
    """An optimizer option as the config gives it, else Keras's default (optimizer_options.py)."""
    if name in options:
        return options[name]
    return OPTIMIZER_OPTIONS[optimizer][name].default


def effective_weight_decay(optimizer: str, weight_decay: float | None) -> float:
    """The decoupled weight decay a run's optimizer applied: the config's, or the optimizer's
    default where it has one (adamw's 0.004), else none."""
    if weight_decay is not None:
        return float(weight_decay)
    default = OPTIMIZER_OPTIONS.get(optimizer, {}).get("weight_decay")
    return float(default.default) if default is not None and default.default is not None else 0.0


def stability_threshold(optimizer: str, options: dict, learning_rates: np.ndarray, weight_decay: float | None,
                        minibatches: bool) -> Threshold | None:
    """The optimizer's stability threshold at each learning rate, or None for an optimizer with
    no known rule (and for RMSprop centered, whose preconditioner is not recorded).

    On a quadratic of curvature λ a step of SGD with momentum β (Keras: m ← βm - ηg, θ ← θ + m)
    grows once λ > (2+2β)/η; with Nesterov (θ ← θ + βm - ηg) once λ > (2+2β)/((1+2β)η). Adam
    and AdamW move θ ← θ - η P⁻¹m with m ← β₁m + (1-β₁)g: heavy-ball momentum of step (1-β₁)η
    in the preconditioned coordinates, unstable once λ(P⁻¹H) > (2+2β₁)/((1-β₁)η) (Cohen et al.
    2022); RMSprop (mom ← β mom + η g/√(v+ε), θ ← θ - mom) once λ(P⁻¹H) > (2+2β)/η.

    Keras's decoupled weight decay shrinks θ by η·wd·θ before each step, the gradient being taken
    before it (BaseOptimizer._apply_weight_decay). Worked through the same recurrences, it
    multiplies θ by a = 1 - η·wd and moves every threshold from (1+β)·2/η to (1+β)(1+a)/η:
    each threshold is the weight-decay-free one with 2/η replaced by 2/η - wd, that is the issue's
    "2/η - wd" for plain GD and (1+β)·wd less for momentum (times 1/(1+2β) for Nesterov and
    1/(1-β₁) for Adam). It is exact where the decay acts on every weight; here the biases are not
    decayed, so along directions mostly of biases it is a little low.
    """
    optimizer = optimizer.lower()
    rates = np.asarray(learning_rates, dtype=np.float64)
    decay = effective_weight_decay(optimizer, weight_decay)
    base = 2 / rates - decay  # 2/η, less the decay
    base_text = "2/η" if decay == 0 else "(2/η − wd)"
    decay_text = "" if decay == 0 else f", wd={decay:g}"
    if optimizer == "sgd" or (optimizer == "rmsprop" and not _option(optimizer, options, "centered")):
        momentum = float(_option(optimizer, options, "momentum"))
        nesterov = optimizer == "sgd" and bool(_option(optimizer, options, "nesterov")) and momentum > 0
        if momentum == 0:
            values, rule = base, ("2/η" if decay == 0 else "2/η − wd")
        elif nesterov:
            values = (1 + momentum) * base / (1 + 2 * momentum)
            rule = ("(2+2β)/((1+2β)η)" if decay == 0 else "(1+β)(2/η − wd)/(1+2β)") + f", β={momentum:g}"
        else:
            values = (1 + momentum) * base
            rule = ("(2+2β)/η" if decay == 0 else "(1+β)(2/η − wd)") + f", β={momentum:g}"
        return Threshold(values, rule + decay_text, preconditioned=optimizer == "rmsprop", reference_only=minibatches)
    if optimizer in ("adam", "adamw") and not _option(optimizer, options, "amsgrad"):
        beta_1 = float(_option(optimizer, options, "beta_1"))
        values = (1 + beta_1) * base / (1 - beta_1)
        rule = ("(2+2β₁)/((1-β₁)η)" if decay == 0 else f"(1+β₁){base_text}/(1-β₁)") + f", β₁={beta_1:g}"
        return Threshold(values, rule + decay_text, preconditioned=True, reference_only=minibatches)
    return None


def _largest_preconditioned(hessian_matrices: np.ndarray, preconditioner: np.ndarray) -> np.ndarray:
    """(m,) λmax(P^-1/2 H P^-1/2) for diagonal P (m, P): the eigenvalues of P⁻¹H, worked out on
    the symmetric matrix that has them."""
    scale = 1 / np.sqrt(preconditioner)
    matrices = hessian_matrices * scale[:, :, None] * scale[:, None, :]
    largest = np.full(len(matrices), np.nan)
    finite = np.isfinite(matrices).all(axis=(1, 2))
    if finite.any():
        largest[finite] = np.linalg.eigvalsh(matrices[finite])[:, -1]
    return largest


def preconditioned_sharpness(hessian_matrices: np.ndarray, second_moment: np.ndarray, steps: np.ndarray,
                             beta_1: float, beta_2: float, epsilon: float) -> np.ndarray:
    """(m,) Adam's and AdamW's preconditioned sharpness λmax(P⁻¹H) after `steps` steps, NaN before the first.

    Keras's Adam steps θ ← θ - η √(1-β₂ᵗ)/(1-β₁ᵗ) · m/(√v + ε), so its preconditioner is exactly
    P = (1-β₁ᵗ) diag(√v̂ + ε/√(1-β₂ᵗ)), v̂ = v/(1-β₂ᵗ): Cohen et al.'s (1-β₁ᵗ) diag(√v̂ + ε)
    with ε as Keras places it (the two differ only where v is of the order of ε²). t is the
    step count at the frame, the step whose v was recorded.
    """
    steps = np.asarray(steps, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        bias_1, bias_2 = 1 - beta_1**steps, 1 - beta_2**steps
        corrected = np.asarray(second_moment, dtype=np.float64) / bias_2[:, None]
        preconditioner = bias_1[:, None] * (np.sqrt(corrected) + epsilon / np.sqrt(bias_2)[:, None])
    preconditioner[steps <= 0] = np.nan
    return _largest_preconditioned(np.asarray(hessian_matrices, dtype=np.float64), preconditioner)


def rmsprop_preconditioned_sharpness(hessian_matrices: np.ndarray, second_moment: np.ndarray,
                                     epsilon: float) -> np.ndarray:
    """(m,) RMSprop's (not centered) preconditioned sharpness λmax(P⁻¹H), P = diag(√(v + ε)):
    Keras's RMSprop divides by √(v + ε), ε inside the root, and corrects no bias."""
    preconditioner = np.sqrt(np.asarray(second_moment, dtype=np.float64) + epsilon)
    return _largest_preconditioned(np.asarray(hessian_matrices, dtype=np.float64), preconditioner)


# ---------------------------------------------------------------------------------------------
# A run's spectrum.
# ---------------------------------------------------------------------------------------------

@contextlib.contextmanager
def blas_on_one_thread():
    """OpenBLAS on one thread for the products and eigenvalues of many small matrices, where
    threads cost more than they give: on the 2-core machine, 201 eigvalsh of 181 x 181 take 0.25 s
    on one thread and 1 to 4 s on two while another process is busy. Needs threadpoolctl;
    without it, BLAS keeps its threads."""
    try:
        import threadpoolctl
    except ImportError:
        yield
        return
    with threadpoolctl.threadpool_limits(limits=1, user_api="blas"):
        yield


def net_of_run(run) -> Net:
    """The objective a run's nets minimised: its layers and activations, its training points in
    the units the nets trained in (a CSV run's standardized, by data.Standardization's own
    method, float32 as training had them), and its penalties."""
    config = run.config
    x, y = np.asarray(run.x_train).reshape(-1), np.asarray(run.y_train).reshape(-1)
    standardization = run.summary.standardization
    if standardization is not None:
        empty = np.zeros((0, 1), dtype=np.float32)
        # summary.json holds the shift and scale; data.Standardization applies them as training did.
        standardization = data.Standardization(standardization.x_shift, standardization.x_scale,
                                               standardization.y_shift, standardization.y_scale)
        trained_on = standardization.training_dataset(data.Dataset(x, y, empty, empty, empty))
        x, y = trained_on.x_train.reshape(-1), trained_on.y_train.reshape(-1)
    return Net([1, *config.hidden_layers, 1], list(config.activations), x.astype(np.float64), y.astype(np.float64),
               l1=float(config.l1), l2=float(config.l2))


def learning_rates_at_frames(run) -> np.ndarray:
    """(frames,) the learning rate of the step after each frame: the config's, or with a schedule
    the recorded epoch.learning_rate (that of each epoch's last step; the frame after epoch e
    steps at epoch e + 1's, row e, the last row standing in past the end)."""
    recorded = run.per_epoch.get("learning_rate")
    if recorded is None or len(recorded) == 0:
        return np.full(len(run.frame_epochs), config_module.initial_learning_rate(run.config), dtype=np.float64)
    rates = np.asarray(recorded, dtype=np.float64)[:, 0]
    return rates[np.clip(np.asarray(run.frame_epochs, dtype=np.int64), 0, len(rates) - 1)]


def _optimizer_option(run, name: str):
    return _option(run.config.optimizer, run.config.optimizer_options, name)


def _preconditioned_sharpness_of(run, matrices: np.ndarray, frames: slice, net: int) -> np.ndarray | None:
    """(frames,) the preconditioned sharpness of one net over some frames, for Adam, AdamW and RMSprop
    (not amsgrad, not centered) when the second moment and step counts were recorded."""
    optimizer = run.config.optimizer.lower()
    second_moment = run.per_frame.get("second_moment")
    if second_moment is None:
        return None
    second_moment = np.asarray(second_moment[frames, net], dtype=np.float64)
    if optimizer in ("adam", "adamw") and not _optimizer_option(run, "amsgrad"):
        steps = run.per_frame.get("optimizer_steps")
        if steps is None:
            return None
        beta_1, beta_2, epsilon = (float(_optimizer_option(run, name)) for name in ("beta_1", "beta_2", "epsilon"))
        steps = np.asarray(steps)[frames, net]
        return preconditioned_sharpness(matrices, second_moment, steps, beta_1, beta_2, epsilon)
    if optimizer == "rmsprop" and not _optimizer_option(run, "centered"):
        return rmsprop_preconditioned_sharpness(matrices, second_moment, float(_optimizer_option(run, "epsilon")))
    return None


# Frames whose Hessians are held at once: about 50 MB for the 1x60 net.
_HESSIANS_AT_ONCE = 2**23


def spectrum_of_run(run) -> Spectrum | None:
    """Every recorded net's Hessian eigenvalues at every frame, with the optimizer's threshold and
    (Adam, AdamW, RMSprop) preconditioned sharpness; None for a run that recorded no weights.
    A frame whose weights are not finite (a diverged net) has NaN eigenvalues.

    Raises ValueError for an activation whose curvature is not worked out.
    """
    weights = run.per_frame.get("weights")
    if weights is None:
        return None
    net = net_of_run(run)
    weights = np.asarray(weights, dtype=np.float64)
    frames, nets, parameters = weights.shape
    values = np.full((frames, nets, parameters), np.nan)
    objectives = np.full((frames, nets), np.nan)
    preconditioned = np.full((frames, nets), np.nan)
    has_preconditioned = False
    with blas_on_one_thread():
        for index in range(nets):
            finite = np.flatnonzero(np.isfinite(weights[:, index]).all(axis=1))
            for chunk in _chunks(len(finite), parameters**2, _HESSIANS_AT_ONCE):
                rows = finite[chunk]
                matrices = hessians(net, weights[rows, index])
                usable = np.isfinite(matrices).all(axis=(1, 2))
                values[rows[usable], index] = np.linalg.eigvalsh(matrices[usable])
                objectives[rows, index] = objective(net, weights[rows, index])
                sharpness = _preconditioned_sharpness_of(run, matrices, rows, index)
                if sharpness is not None:
                    preconditioned[rows, index], has_preconditioned = sharpness, True
    minibatches = rundir.trains_on_minibatches(run.config, len(run.x_train))
    threshold = stability_threshold(run.config.optimizer, run.config.optimizer_options, learning_rates_at_frames(run),
                                    run.config.weight_decay, minibatches)
    return Spectrum(frame_epochs=np.asarray(run.frame_epochs), nets=np.arange(nets), eigenvalues=values,
                    objective=objectives, threshold=threshold,
                    preconditioned_sharpness=preconditioned if has_preconditioned else None)


# ---------------------------------------------------------------------------------------------
# The landscape around net 0's path.
# ---------------------------------------------------------------------------------------------

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


def landscape_of_run(run) -> Landscape | None:
    """Net 0's landscape (above); None for a run that recorded no weights."""
    weights = run.per_frame.get("weights")
    if weights is None:
        return None
    with blas_on_one_thread():
        return landscape(net_of_run(run), np.asarray(weights)[:, 0])


def views_of_run(run) -> Views:
    """A run's spectrum and net 0's landscape for its pictures, or Views saying why there are none
    (an activation whose curvature is not worked out, a net that was never finite)."""
    try:
        return Views(spectrum_of_run(run), landscape_of_run(run))
    except ValueError as error:
        return Views(None, None, f"curvature not worked out: {error}")


def write_views(views: Views, path) -> None:
    """curvature.npz: the spectrum's and landscape's arrays, float64, under the names of their fields
    ("spectrum.eigenvalues" (frames, nets, parameters), "landscape.values" (rows, columns), ...)."""
    arrays = {}
    for prefix, view in (("spectrum", views.spectrum), ("landscape", views.landscape)):
        if view is None:
            continue
        for field in dataclasses.fields(view):
            value = getattr(view, field.name)
            if isinstance(value, Threshold):
                arrays["spectrum.threshold"] = value.values
            elif isinstance(value, np.ndarray):
                arrays[f"{prefix}.{field.name}"] = value
    if views.spectrum is not None:
        arrays["spectrum.negative_count"] = views.spectrum.negative_count
        arrays["spectrum.near_zero_count"] = views.spectrum.near_zero_count
    with open(path, "wb") as file:  # a file, not a name: np.savez would add .npz to a temporary name
        np.savez_compressed(file, **arrays)
