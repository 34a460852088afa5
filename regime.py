"""How the loop trains an epoch, besides the model and its optimizer: the Regime (minibatches,
penalties, early stopping), what an epoch's steps leave for the per-epoch records (Epoch), and the
order a minibatch epoch visits the training points in (epoch_order).
"""

from __future__ import annotations

from typing import NamedTuple

import tensorflow as tf


class Regime(NamedTuple):
    """How the loop trains, besides the model, its optimizer (with its learning rate or schedule
    and weight decay) and the data: the config's batch_size, penalties and early stopping."""

    batch_size: int | None = None  # None, or all the training points: full batch
    data_seed: int = 0  # orders each epoch's minibatches (epoch_order)
    l1: float = 0.0  # penalties on the kernels, as keras.regularizers.L1L2 computes them
    l2: float = 0.0
    patience: int | None = None  # early stopping on the held-out error (None: none), as Keras's EarlyStopping
    min_delta: float = 0.0  # in the units the nets are trained in
    restore_best_weights: bool = False
    # What each net minimises: "squared_error" (its mean squared error), or "cross_entropy", the
    # binary cross-entropy of its output taken as a logit, on labels 0 and 1.
    loss: str = "squared_error"
    # Whether the targets are two classes (0 and 1, or -1 and +1): the loop records the accuracy.
    classifies: bool = False


class Epoch(NamedTuple):
    """What an epoch's steps leave for the per-epoch computations (None where the regime has none)."""

    gradient_norms: object  # each net's gradient norm of the epoch's last step, (nets,)
    batch_loss: object = None  # with minibatches, the batch-size-weighted mean of the batches' MSE, (nets,)
    penalty: object = None  # each net's penalty at the start of the epoch, (nets,)
    kernel_norm: object = None  # each net's kernels' norm at the start of the epoch, (nets,)
    learning_rate: object = None  # the rate of the epoch's last step, (nets,)


def epoch_order(data_seed, epoch, points: int):
    """The order the training points are visited in during an epoch (counted from 0) of minibatch
    training: drawn from the data seed and the epoch alone, so that every net of a stack, a single
    run with the same data seed, and any split of the training into chunks see the same order.
    Philox named explicitly: left to choose, TensorFlow may pick another generator under XLA."""
    seed = tf.stack([tf.cast(data_seed, tf.int64), tf.cast(epoch, tf.int64)])
    keys = tf.random.stateless_uniform([points], seed, minval=None, maxval=None, dtype=tf.int64, alg="philox")
    return tf.argsort(keys, stable=True)
