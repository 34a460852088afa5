"""The training objective of a small MLP (one input, one linear output), its gradient and its exact
Hessian with respect to every weight and bias, for many weight vectors at once, in float64 NumPy.

The Hessian is worked out block by block for all rows at once, 2/n (JᵀJ + Σ rᵢ ∇²fᵢ), from one
forward and backward pass: for the post's 1x60 net (181 parameters, 200 training points) at 201
frames in about a quarter of a second on the 2-core machine (benchmarks/bench_curvature.py), some
200 times faster than TensorFlow's Jacobian of the gradient frame by frame. A row of weights is
laid out as frame.weights is (quantities.py): layer by layer, each kernel row by row, then its bias.

Imports neither TensorFlow nor matplotlib.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from activation_derivatives import activation_derivatives, activation_values


@dataclass(frozen=True)
class Net:
    """What the objective of one net needs: its layout and activations, the training points (as
    the net was trained on them: standardized for a CSV run), and the penalties."""

    layer_sizes: list[int]  # [inputs, hidden..., 1]: inputs, each hidden layer's units, the output
    activations: list[str]  # one name per hidden layer (config_schema.ACTIVATIONS)
    x: np.ndarray  # (points,) the training inputs, or (points, inputs) for a net of several
    y: np.ndarray  # (points,) the training targets
    l1: float = 0.0
    l2: float = 0.0

    @property
    def parameters(self) -> int:
        """How many weights and biases: a row of frame.weights."""
        return sum((inputs + 1) * outputs for inputs, outputs in zip(self.layer_sizes[:-1], self.layer_sizes[1:]))


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
    x = np.asarray(net.x, dtype=np.float64)
    x = x[:, None] if x.ndim == 1 else x  # (points, inputs)
    layer_input = _with_ones(np.broadcast_to(x[None], (len(weights[0]),) + x.shape))
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


def hidden_activations(net: Net, rows: np.ndarray) -> list[np.ndarray]:
    """Each hidden layer's outputs at every point of net.x, (m, points, units), for m weight rows
    (m, P): what each unit gives there (a plane's units.gif draws them as maps). net.y plays no part."""
    net_pass = _forward(net, np.asarray(rows, dtype=np.float64), derivatives=False)
    return [layer_input[..., :-1] for layer_input in net_pass.inputs[1:]]


def outputs(net: Net, rows: np.ndarray) -> np.ndarray:
    """(m, points) the net's linear output (before any output activation) at every point of net.x,
    for m weight rows (m, P). net.y plays no part."""
    net_pass = _forward(net, np.asarray(rows, dtype=np.float64), derivatives=False)
    return net_pass.residual + np.asarray(net.y, dtype=np.float64)


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
