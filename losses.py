"""Each net's loss and accuracy on a batch of points, one number a net: the mean squared error, a
classifier's binary cross-entropy of its output taken as a logit, and its share of points classed
right. A prediction is (batch, 1) for one net or (nets, batch, 1) for a stack of nets.
"""

from __future__ import annotations

import tensorflow as tf


def net_errors(prediction, target):
    """Each net's mean squared error, shape (nets,): prediction is (batch, 1) for one net or
    (nets, batch, 1) for a stack of nets."""
    return tf.reshape(tf.reduce_mean(tf.square(prediction - target), axis=[-2, -1]), [-1])


def net_cross_entropies(logits, labels):
    """Each net's mean binary cross-entropy of its outputs taken as logits, on labels 0 and 1, shape
    (nets,), as keras.losses.BinaryCrossentropy(from_logits=True) computes it (logits as
    net_errors's prediction)."""
    return tf.reshape(tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(labels=tf.broadcast_to(
        labels, tf.shape(logits)), logits=logits), axis=[-2, -1]), [-1])


def net_accuracies(output, labels):
    """Each net's share of points whose class it gets right, shape (nets,): an output above 0 (a
    logit, or a tanh output) says class 1 (label 1, or +1), as labels above 0 are."""
    right = tf.cast(tf.equal(output > 0, labels > 0), tf.float32)
    return tf.reshape(tf.reduce_mean(right, axis=[-2, -1]), [-1])
