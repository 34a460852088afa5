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

Imports neither TensorFlow nor matplotlib.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

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


# ---------------------------------------------------------------------------------------------
# Activations: each name's value, first and second derivative, in closed form.
# ---------------------------------------------------------------------------------------------

def _sigmoid_of(z: np.ndarray) -> np.ndarray:
    # exp of a negative number only: no overflow for large |z|.
    positive = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + positive), positive / (1.0 + positive))


def _sigmoid(z):
    s = _sigmoid_of(z)
    return s, s * (1 - s), s * (1 - s) * (1 - 2 * s)


def _tanh(z):
    t = np.tanh(z)
    return t, 1 - t * t, -2 * t * (1 - t * t)


def _piecewise_linear(z, slopes_where: list[tuple[np.ndarray, float]], value: np.ndarray):
    first = np.zeros_like(z)
    for where, slope in slopes_where:
        first = np.where(where, slope, first)
    return value, first, np.zeros_like(z)


def _relu(z):
    return _piecewise_linear(z, [(z > 0, 1.0)], np.maximum(z, 0.0))


def _relu6(z):
    return _piecewise_linear(z, [((z > 0) & (z < 6), 1.0)], np.clip(z, 0.0, 6.0))


# Keras 3's leaky_relu: keras.activations.leaky_relu(x, negative_slope=0.2).
LEAKY_RELU_SLOPE = 0.2


def _leaky_relu(z):
    return _piecewise_linear(z, [(z > 0, 1.0), (z <= 0, LEAKY_RELU_SLOPE)], np.where(z > 0, z, LEAKY_RELU_SLOPE * z))


def _hard_sigmoid(z):
    # Keras 3's: relu6(x + 3) / 6, that is x/6 + 1/2 between -3 and 3 (Keras 2's slope was 0.2).
    return _piecewise_linear(z, [((z > -3) & (z < 3), 1 / 6)], np.clip(z + 3, 0.0, 6.0) / 6)


def _linear(z):
    return z, np.ones_like(z), np.zeros_like(z)


# ELU's alpha as keras.activations.elu has it by default; SELU's constants as tf.nn.selu has them.
ELU_ALPHA = 1.0
SELU_ALPHA, SELU_SCALE = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946


def _elu_scaled(z, alpha: float, scale: float):
    exponential = np.exp(np.minimum(z, 0.0))  # only used where z <= 0
    positive = z > 0
    return (scale * np.where(positive, z, alpha * (exponential - 1)), scale * np.where(positive, 1.0, alpha * exponential),
            scale * np.where(positive, 0.0, alpha * exponential))


def _elu(z):
    return _elu_scaled(z, ELU_ALPHA, 1.0)


def _selu(z):
    return _elu_scaled(z, SELU_ALPHA, SELU_SCALE)


def _silu(z):
    s = _sigmoid_of(z)
    return z * s, s * (1 + z * (1 - s)), s * (1 - s) * (2 + z * (1 - 2 * s))


def _softplus(z):
    s = _sigmoid_of(z)
    return np.logaddexp(0.0, z), s, s * (1 - s)


def _softsign(z):
    denominator = 1 + np.abs(z)
    return z / denominator, 1 / denominator**2, -2 * np.sign(z) / denominator**3


def _mish(z):
    # mish = z tanh(softplus z); with t = tanh(softplus z), s = sigmoid z: t' = (1-t²)s.
    t, s = np.tanh(np.logaddexp(0.0, z)), _sigmoid_of(z)
    slope = (1 - t * t) * s
    return z * t, t + z * slope, slope * (2 + z * ((1 - s) - 2 * t * s))


_ERF = np.frompyfunc(math.erf, 1, 1)


def _gelu(z):
    # Keras 3's gelu is the exact one by default (approximate=False): z Φ(z). NumPy has no erf,
    # so Φ takes the C library's erf, one number at a time: about 0.15 µs a value, 0.35 s for
    # a 1x60 net's 201 frames on 200 points; only gelu nets pay it.
    normal_cdf = 0.5 * (1 + _ERF(z / math.sqrt(2)).astype(np.float64))
    normal_density = np.exp(-0.5 * z * z) / math.sqrt(2 * math.pi)
    return z * normal_cdf, normal_cdf + z * normal_density, normal_density * (2 - z * z)


def _sin(z):
    sine = np.sin(z)
    return sine, np.cos(z), -sine


ACTIVATION_DERIVATIVES = {
    "sigmoid": _sigmoid, "tanh": _tanh, "relu": _relu, "elu": _elu, "selu": _selu, "gelu": _gelu,
    "silu": _silu, "swish": _silu, "softplus": _softplus, "softsign": _softsign, "leaky_relu": _leaky_relu,
    "relu6": _relu6, "mish": _mish, "hard_sigmoid": _hard_sigmoid, "linear": _linear, "sin": _sin,
}


def activation_derivatives(name: str, z: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """An activation's value, first and second derivative at z (float64), as Keras defines it.

    At a kink (relu's 0, relu6's 0 and 6, hard_sigmoid's ±3) the second derivative is taken as 0
    and the first as that of the side Keras's gradient takes almost everywhere: the curvature
    of a kink itself is not counted.
    """
    derivatives = ACTIVATION_DERIVATIVES.get(name)
    if derivatives is None:
        raise ValueError(f"curvature is not worked out for activation {name!r}")
    return derivatives(np.asarray(z, dtype=np.float64))


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
            value = activation_derivatives(activation, pre_activations)[0]
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


def _chunks(count: int, elements_per_row: int):
    size = max(1, _ELEMENTS_AT_ONCE // max(1, elements_per_row))
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
                    products = np.matmul(inputs[k].transpose(0, 2, 1),
                                         _pairs(first[k], deltas[l]).transpose(0, 2, 1)).reshape(m, inputs_k, units_k, units_l)
                    diagonal = np.arange(units_k)
                    block[:, :, diagonal, diagonal, :] += products  # adjacent advanced indices keep their place
                    transfer = first[k][..., :, None] * weights[l][:, None, :-1, :]
                else:
                    activation_transfer = transfer * first[l - 1][..., None, :]  # ∂a_l/∂z_k without the bias's 1
                    products = np.matmul(inputs[k].transpose(0, 2, 1),
                                         (activation_transfer[..., None] * deltas[l][..., None, None, :]).reshape(m, -1, units_k * (inputs_l - 1) * units_l))
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
    per_row = len(net.x) * (net.parameters + max(net.layer_sizes) ** 2) + net.parameters**2
    for chunk in _chunks(len(rows), per_row):
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
