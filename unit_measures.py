"""What a net's units do, measured from their activations: how flat each activation is where the
units sit (saturated_share) and how many really different things a layer does (effective_rank).
Part of the TensorFlow layer: loop_body.py's described quantities use them.
"""

from __future__ import annotations

import numpy as np

import models  # noqa: F401  (imports TensorFlow quietly, first)

import tensorflow as tf  # noqa: E402

# A unit is saturated at a point where its activation's slope is below this share of the
# activation's steepest slope (measured on pre-activations in STEEPEST_SLOPE_RANGE).
SATURATED_SLOPE_SHARE = 0.05
STEEPEST_SLOPE_RANGE = (-10.0, 10.0)


def activation_slope(activation, pre_activation):
    """The activation's derivative at each pre-activation (activations act element by element)."""
    with tf.GradientTape() as tape:
        tape.watch(pre_activation)
        outputs = activation(pre_activation)
    return tape.gradient(outputs, pre_activation)


def saturated_share(activation, pre_activations, steepest_slope: float):
    """Each net's share of (unit, point) pairs whose activation slope is below SATURATED_SLOPE_SHARE
    of the activation's steepest: pre_activations (nets, units, points) -> (nets,); NaN for a net
    whose pre-activations are not finite."""
    slope = tf.abs(activation_slope(activation, pre_activations))
    saturated = tf.cast(slope < SATURATED_SLOPE_SHARE * steepest_slope, tf.float32)
    finite = tf.reduce_all(tf.math.is_finite(pre_activations), axis=[1, 2])
    return tf.where(finite, tf.reduce_mean(saturated, axis=[1, 2]), np.nan)


def effective_rank(activations):
    """How many really different things a layer's units do: (nets, units, points) -> (nets,).

    The effective rank of Roy and Vetterli (2007) of the activations centred over the points: the
    exponential of the entropy of the singular values normalised to sum to 1. 1 when every unit
    does the same thing (up to scale and offset), the number of units when all are independent
    and equally strong, 0 when no unit varies at all, NaN for a net whose activations are not
    finite. Computed in float64 from the eigenvalues of the smaller Gram matrix: in float32 the
    rounding of the many near-zero singular values alone would add tenths.
    """
    values = tf.cast(activations, tf.float64)
    finite = tf.reduce_all(tf.math.is_finite(values), axis=[1, 2])
    values = tf.where(finite[:, None, None], values, 0.0)  # the eigensolver fails on NaN
    # Variation below the float32 rounding of the activations (up to eps times the largest, at
    # each point) is not something a unit does: a saturated layer's would look like distinct units.
    units, points = activations.shape[1], activations.shape[2]
    rounding = np.finfo(np.float32).eps * np.sqrt(points) * tf.reduce_max(tf.abs(values), axis=[1, 2])
    values -= tf.reduce_mean(values, axis=2, keepdims=True)
    gram = tf.matmul(values, values, transpose_b=True) if units <= points else tf.matmul(values, values, transpose_a=True)
    # One net at a time: a batched eigensolver iterates until every matrix of the batch has
    # converged, which would make a net's number depend on the other nets beside it.
    singular_values = tf.sqrt(tf.maximum(tf.map_fn(tf.linalg.eigvalsh, gram), 0.0))
    singular_values = tf.where(singular_values > rounding[:, None], singular_values, 0.0)
    total = tf.reduce_sum(singular_values, axis=1, keepdims=True)
    shares = singular_values / tf.where(total > 0, total, 1.0)
    entropy = -tf.reduce_sum(shares * tf.math.log(tf.where(shares > 0, shares, 1.0)), axis=1)
    rank = tf.where(total[:, 0] > 0, tf.exp(entropy), 0.0)
    return tf.cast(tf.where(finite, rank, np.nan), tf.float32)
