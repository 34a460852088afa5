"""Each activation's value and its first and second derivative in closed form, in float64 NumPy:
what hessians.py needs of a net's units (config_schema.ACTIVATIONS lists the names). Checked
against TensorFlow's own activations in tests/test_curvature.py.

Imports neither TensorFlow nor matplotlib.
"""

from __future__ import annotations

import math

import numpy as np


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
