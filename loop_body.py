"""One epoch's work and what it records: the loop body that the engine's loops (engine.py) run, and
the computation of every recorded quantity, each declared in quantities.py.

A quantity's computation is registered under its declaration's name by when it is computed:
- @epoch_quantity: in the loop, after each epoch's update, from (body, gradients): one number a net;
- @frame_quantity: in the loop, at each frame, from (body): of the current weights;
- @described_quantity: after each call of the loop, for all its frames at once, from (body,
  frame), a frame's recorded weights (FrameWeights): the loop stays lean. (Inside the loop a
  frame's every operation would cost every epoch, taken or not: TensorFlow's executor passes
  over the untaken branch one operation at a time. Worked out afterwards, today's cost a fifth
  of the training time, not four fifths.)
LoopBody takes each quantity's shape from its declaration; both loops then record it, a
stack's parts are merged by name, and the run directory writes it, with no change elsewhere.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

import quantities
from data import TRAINING_ARRAYS, Dataset
from models import StackedDense, keras, parts_of
# Each net's loss and accuracy (after models, which imports TensorFlow quietly); net_errors is
# re-exported (engine.net_errors).
from losses import net_accuracies, net_cross_entropies, net_errors  # noqa: F401
# How each quantity's computation is registered, and what a described one is computed from.
from quantity_computations import (  # noqa: F401  (re-exported: loop_body.X in the tests)
    DESCRIBED_COMPUTATIONS, EPOCH_COMPUTATIONS, FRAME_COMPUTATIONS, Computation, FrameWeights, described_quantity,
    epoch_quantity, frame_quantity)
# How an epoch is trained; Regime, Epoch and epoch_order are re-exported (engine imports them from here).
from regime import Epoch, Regime, epoch_order  # noqa: F401
# What a net's units do; saturated_share and effective_rank are re-exported (loop_body.X in the tests).
from unit_measures import STEEPEST_SLOPE_RANGE, activation_slope, effective_rank, saturated_share  # noqa: F401

import tensorflow as tf  # noqa: E402  (after models, which imports it quietly)


# The nets' weights at each frame, and with Adam or RMSprop the optimizer's second moments laid out
# as the weights, recorded inside the loop for LoopBody.describe_frames only.
WEIGHTS, SECOND_MOMENTS = "weights", "second_moments"


# --- the loop body ------------------------------------------------------------------------------------

class LoopBody:
    """One epoch's work and what it records, for one net or a stack of nets (trained on the sum
    of their losses, which leaves each net's gradients its own).

    Per epoch: "loss" from the forward pass (before the update: the loops stop on a loss that is
    not finite), then each quantity of EPOCH_COMPUTATIONS after the update. Per frame, inside the
    loop: each quantity of FRAME_COMPUTATIONS, and the nets' weights (WEIGHTS); after each call
    of the loop, describe() works out each quantity of DESCRIBED_COMPUTATIONS from those weights
    (unit_contributions only when record_units is true: it may be large).
    """

    def __init__(self, model, optimizer, dataset: Dataset, record_units: bool = False, regime: Regime = Regime(),
                 every_net_path: bool = False):
        self.model, self.optimizer, self.regime = model, optimizer, regime
        self.tensors = {name: tf.constant(getattr(dataset, name)) for name in TRAINING_ARRAYS}
        self.nets = getattr(model, "members", 1)
        self.grid_points = int(dataset.x_grid.shape[0])
        self.training_points = int(dataset.x_train.shape[0])
        self.inputs = int(dataset.x_train.shape[1])
        # What each net minimises: its mean squared error, or a classifier's cross-entropy.
        self.net_losses = net_cross_entropies if regime.loss == "cross_entropy" else net_errors
        self.variables = model.trainable_variables
        # The Dense (or StackedDense) layers of each stack of nets, in order; the last is the output.
        self.stacks = [self.dense_layers(stack) for stack in parts_of(model)]
        self.stacked = isinstance(self.stacks[0][0], StackedDense)
        # Each hidden layer's activation, and its steepest slope (what "saturated" is measured against).
        self.activations = [layer.activation for layer in self.stacks[0][:-1]]
        self.steepest_slopes = [float(tf.reduce_max(tf.abs(activation_slope(
            activation, tf.linspace(*STEEPEST_SLOPE_RANGE, 20001))))) for activation in self.activations]
        self.record_units = record_units
        # Whether frame.weights (and frame.second_moment) are every net's, not net 0's alone
        # (record.curvature: all; quantities.as_recorded).
        self.every_net_path = every_net_path
        # Adam (and AdamW) and RMSprop scale each weight's step by a second moment that curvature.py
        # needs for their preconditioned sharpness.
        self.keeps_second_moments = isinstance(optimizer, (keras.optimizers.Adam, keras.optimizers.RMSprop))
        self.optimizers = [optimizer]  # a whole stack's body is given its parts' (engine.build_in_graph_loop)
        self.minibatches = regime.batch_size is not None and regime.batch_size < self.training_points
        self.penalized = regime.l1 > 0 or regime.l2 > 0
        self.decays_weights = bool(getattr(optimizer, "weight_decay", None))
        self.follows_schedule = isinstance(getattr(optimizer, "_learning_rate", None),
                                           keras.optimizers.schedules.LearningRateSchedule)
        self.stops_early = regime.patience is not None
        self.counts_epochs = self.minibatches or self.stops_early
        self.epochs_done = tf.Variable(0, dtype=tf.int64, trainable=False)
        if self.stops_early:
            self.add_early_stopping_state()
        # One net's kernel and bias of each layer, in order: how a row of WEIGHTS is laid out.
        self.weight_shapes = [tuple(variable.shape[1:] if isinstance(layer, StackedDense) else variable.shape)
                              for layer in self.stacks[0] for variable in (layer.kernel, layer.bias)]
        weights_per_net = sum(int(np.prod(shape)) for shape in self.weight_shapes)
        # The sizes the declarations' shapes name, for this net and data.
        self.sizes = quantities.sizes([layer.units for layer in self.stacks[0][:-1]], self.grid_points, self.inputs)
        # What this body records, by name (as a Recording has it), and each quantity's shape per epoch
        # or frame, nets axis first, as declared. Per epoch after "loss", recorded apart and first.
        self.epoch_computations, self.epoch_shapes = self.recorded(EPOCH_COMPUTATIONS)
        self.frame_computations, frame_shapes = self.recorded(FRAME_COMPUTATIONS)
        self.frame_shapes = {**frame_shapes, WEIGHTS: [self.nets, weights_per_net]}
        if self.keeps_second_moments:
            self.frame_shapes[SECOND_MOMENTS] = [self.nets, weights_per_net]
        self.described_computations, self.described_shapes = self.recorded(DESCRIBED_COMPUTATIONS)
        rows = tf.TensorSpec([None, self.nets, weights_per_net], tf.float32)
        self.describe = tf.function(self.describe_frames, autograph=False,  # no control flow on tensors
                                    input_signature=[rows, rows] if self.keeps_second_moments else [rows])

    def recorded(self, registry: dict[str, Computation]) -> tuple[dict[str, Callable], dict[str, list[int]]]:
        """(name -> compute, name -> shape) of the quantities of a registry that this body records."""
        chosen = [(quantities.as_recorded(quantities.DECLARED[key], every_net_path=self.every_net_path),
                   computation.compute) for key, computation in registry.items() if computation.records(self)]
        return ({quantity.name: compute for quantity, compute in chosen},
                {quantity.name: list(quantity.row_shape(self.nets, self.sizes)) for quantity, _ in chosen})

    @staticmethod
    def dense_layers(model) -> list:
        """The Dense (or StackedDense) layers of a net or of a stack's first part, in order."""
        return [layer for layer in parts_of(model)[0].layers if hasattr(layer, "kernel")]

    # --- an epoch: start_epoch (its training error, checked for divergence by the loop), then finish_epoch

    def forward(self, x, y):
        """A step's forward pass on the points x, y: (tape, the summed objective, each net's MSE, each
        net's penalty or None)."""
        with tf.GradientTape() as tape:
            net_losses = self.net_losses(self.model(x, training=True), y)
            penalties = self.net_penalties() if self.penalized else None
            total = tf.reduce_sum(net_losses if penalties is None else net_losses + penalties)
        return tape, total, net_losses, penalties

    def start_epoch(self):
        """(state for finish_epoch, each net's training MSE at the start of the epoch). Full batch,
        that is the epoch's forward pass (Keras's per-epoch loss); with minibatches, a pass over every
        training point of its own."""
        x, y = self.tensors["x_train"], self.tensors["y_train"]
        kernel_norms = tf.sqrt(self.net_kernel_sums(tf.square)) if self.decays_weights else None
        if self.minibatches:
            net_losses = self.net_losses(self.model(x, training=True), y)
            penalties = self.net_penalties() if self.penalized else None
            return (None, None, penalties, kernel_norms), net_losses
        tape, total, net_losses, penalties = self.forward(x, y)
        return (tape, total, penalties, kernel_norms), net_losses

    def finish_epoch(self, state) -> dict:
        """The epoch's update (its steps); what the epoch records after it (per net)."""
        tape, total, penalties, kernel_norms = state
        if self.minibatches:
            batch_loss, gradient_norms, learning_rate = self.minibatch_steps()
        else:
            gradients = tape.gradient(total, self.variables)
            learning_rate = self.learning_rate_now()
            self.apply(gradients)
            batch_loss, gradient_norms = None, self.net_gradient_norms(gradients)
        if self.counts_epochs:
            self.epochs_done.assign_add(1)
        epoch = Epoch(gradient_norms, batch_loss, penalties, kernel_norms, learning_rate)
        values = {name: compute(self, epoch) for name, compute in self.epoch_computations.items()}
        if self.stops_early:
            self.watch_held_out_error(values["val_loss"])
        return values

    def minibatch_steps(self):
        """One epoch of minibatch steps: the training points in epoch_order, in batches of
        batch_size (the last smaller when it does not divide, as Keras has it). (batch-size-weighted
        mean of the batches' MSE, gradient norms and learning rate of the last step), each (nets,)."""
        size, points = self.regime.batch_size, self.training_points
        order = epoch_order(self.regime.data_seed, self.epochs_done, points)
        x, y = tf.gather(self.tensors["x_train"], order), tf.gather(self.tensors["y_train"], order)
        full_batches, rest = divmod(points, size)
        # Batches of fixed shapes (XLA compiles nothing else): the full ones, then the rest.
        x_batches = tf.reshape(x[: full_batches * size], [full_batches, size, self.inputs])
        y_batches = tf.reshape(y[: full_batches * size], [full_batches, size, 1])
        summed, gradient_norms, learning_rate = tf.zeros([self.nets]), tf.zeros([self.nets]), tf.zeros([self.nets])
        for batch in tf.range(full_batches):
            net_losses, gradient_norms, learning_rate = self.step(x_batches[batch], y_batches[batch])
            summed += net_losses * size
        if rest:
            net_losses, gradient_norms, learning_rate = self.step(x[-rest:], y[-rest:])
            summed += net_losses * rest
        return summed / points, gradient_norms, learning_rate

    def step(self, x, y):
        """One minibatch step: (each net's MSE on the batch, gradient norm, learning rate used)."""
        tape, total, net_losses, _ = self.forward(x, y)
        gradients = tape.gradient(total, self.variables)
        learning_rate = self.learning_rate_now()
        self.apply(gradients)
        return net_losses, self.net_gradient_norms(gradients), learning_rate

    def learning_rate_now(self):
        """The rate the next update uses, for each net (the schedule's at the optimizer's step
        count), or zeros where the rate is not recorded."""
        return (tf.fill([self.nets], tf.cast(self.optimizer.learning_rate, tf.float32)) if self.follows_schedule
                else tf.zeros([self.nets]))

    def apply(self, gradients) -> None:
        """The optimizer's update; in a stack that stops early, nets that have stopped keep their weights."""
        if not (self.stops_early and self.stacked):
            self.optimizer.apply_gradients(zip(gradients, self.variables))
            return
        before = [tf.identity(variable) for variable in self.variables]
        self.optimizer.apply_gradients(zip(gradients, self.variables))
        running = tf.equal(self.stopped_at, 0)
        for variable, value in zip(self.variables, before):
            variable.assign(tf.where(self.per_net(running, variable), variable, value))

    def per_net(self, mask, variable):
        """A per-net mask, (nets,), shaped to select along a variable's nets axis (one net: none)."""
        rank = len(variable.shape)
        return tf.reshape(mask, [-1] + [1] * (rank - 1) if self.stacked else [1] * rank)

    def net_kernel_sums(self, of) -> tf.Tensor:
        """Each net's sum of of(kernel) over all its kernels, (nets,)."""
        sums = []
        for layers in self.stacks:
            if isinstance(layers[0], StackedDense):
                sums.append(tf.add_n([tf.reduce_sum(of(layer.kernel), axis=[1, 2]) for layer in layers]))
            else:
                sums.append(tf.reshape(tf.add_n([tf.reduce_sum(of(layer.kernel)) for layer in layers]), [1]))
        return tf.concat(sums, axis=0)

    def net_penalties(self) -> tf.Tensor:
        """Each net's l1 and l2 penalty on its kernels, (nets,), as keras.regularizers.L1L2 has it."""
        l1, l2 = self.regime.l1, self.regime.l2
        if l1 and l2:
            return l1 * self.net_kernel_sums(tf.abs) + l2 * self.net_kernel_sums(tf.square)
        return l1 * self.net_kernel_sums(tf.abs) if l1 else l2 * self.net_kernel_sums(tf.square)

    # --- early stopping, with the meaning of Keras's EarlyStopping on val_loss, for each net --------

    def early_stopping_start(self) -> dict:
        """Each net's early-stopping state before its first epoch (stopped_at 0: still training)."""
        zeros = tf.zeros([self.nets], tf.int64)
        return {"best": tf.fill([self.nets], tf.constant(np.inf, tf.float64)), "best_epoch": zeros, "wait": zeros,
                "stopped_at": zeros}

    def add_early_stopping_state(self) -> None:
        for name, value in self.early_stopping_start().items():
            setattr(self, name, tf.Variable(value, trainable=False))
        self.best_weights = ([tf.Variable(variable, trainable=False) for variable in self.variables]
                             if self.regime.restore_best_weights else [])

    def watch_held_out_error(self, held_out) -> None:
        """After an epoch (epochs_done counts it): Keras's EarlyStopping.on_epoch_end for each net
        still training. An improvement is a held-out error below the best by more than min_delta
        (the first epoch's always is); a net stops once `patience` epochs in a row have not
        improved, from its second epoch on."""
        epoch, running = self.epochs_done, tf.equal(self.stopped_at, 0)
        value = tf.cast(held_out, tf.float64)  # Keras compares Python floats
        improved = running & (tf.equal(epoch, 1) | (value + self.regime.min_delta < self.best))
        self.best.assign(tf.where(improved, value, self.best))
        self.best_epoch.assign(tf.where(improved, epoch, self.best_epoch))
        wait = tf.where(improved, tf.zeros_like(self.wait), tf.where(running, self.wait + 1, self.wait))
        self.wait.assign(wait)
        stop = running & ~improved & (wait >= self.regime.patience) & (epoch > 1)
        self.stopped_at.assign(tf.where(stop, epoch, self.stopped_at))
        if self.best_weights and not self.stacked:
            # One net: copy only when it improved, which late in training is seldom (a copy every
            # epoch cost a fifth more time per epoch).
            if improved[0]:
                for kept, variable in zip(self.best_weights, self.variables):
                    kept.assign(variable)
            return
        for kept, variable in zip(self.best_weights, self.variables):
            kept.assign(tf.where(self.per_net(improved, variable), variable, kept))

    def start_again(self) -> None:
        """Put this body's own state back as a new body has it, for a run that starts from the
        model's weights as they are now (a loop kept for another run: engine.LoopCache)."""
        self.epochs_done.assign(0)
        if self.stops_early:
            for name, value in self.early_stopping_start().items():
                getattr(self, name).assign(value)
            for kept, variable in zip(self.best_weights, self.variables):
                kept.assign(variable)

    def all_stopped(self):
        """Whether every net has stopped early (False when the regime does not stop early)."""
        return tf.reduce_all(self.stopped_at > 0) if self.stops_early else tf.constant(False)

    def restore_best(self) -> None:
        """Each net's weights of its best epoch, as Keras's restore_best_weights leaves them at the end."""
        if int(self.epochs_done.numpy()) > 0:
            for kept, variable in zip(self.best_weights, self.variables):
                variable.assign(kept)

    def net_gradient_norms(self, gradients) -> tf.Tensor:
        """Each net's gradient norm over all its weights, (nets,): a stack's variables have a nets axis first."""
        if self.nets == 1 and not isinstance(self.stacks[0][0], StackedDense):
            # l2_loss (half the sum of squares) is one kernel a variable: the one-net loop's time is
            # mostly the launching of its kernels.
            return tf.reshape(tf.sqrt(2.0 * tf.add_n([tf.nn.l2_loss(gradient) for gradient in gradients])), [1])
        squares = [tf.reduce_sum(tf.square(tf.reshape(gradient, [tf.shape(gradient)[0], -1])), axis=1)
                   for gradient in gradients]
        return tf.sqrt(tf.add_n(squares))

    def frame(self) -> dict:
        """What a frame records inside the loop, of the current weights (per net)."""
        recorded = {**{name: compute(self) for name, compute in self.frame_computations.items()},
                    WEIGHTS: self.net_weights()}
        if self.keeps_second_moments:
            recorded[SECOND_MOMENTS] = self.net_weights(self.second_moment_of)
        return recorded

    def net_weights(self, of: Callable = lambda variable: variable):
        """Every net's weights as one row, (nets, weights): each layer's kernel, then its bias; or
        what of(variable) keeps for each weight, laid out the same way."""
        rows = []
        for layers in self.stacks:
            members = layers[0].kernel.shape[0] if isinstance(layers[0], StackedDense) else 1
            rows.append(tf.concat([tf.reshape(of(variable), [members, -1]) for layer in layers
                                   for variable in (layer.kernel, layer.bias)], axis=1))
        return tf.concat(rows, axis=0)

    def second_moment_of(self, variable):
        """The optimizer's running mean of a variable's squared gradients (Keras's "velocity"), from
        the optimizer that trains it (a stack's parts have one each: self.optimizers)."""
        for optimizer in self.optimizers:
            if optimizer._var_key(variable) in optimizer._trainable_variables_indices:
                return optimizer._velocities[optimizer._get_variable_index(variable)]
        raise ValueError(f"no optimizer trains {variable.path}")

    def layer_weights(self, rows) -> list:
        """Rows of WEIGHTS, (n, weights), as each layer's (kernels (n, in, out), biases (n, out))."""
        sizes = [int(np.prod(shape)) for shape in self.weight_shapes]
        pieces = [tf.reshape(piece, [-1, *shape]) for piece, shape in zip(tf.split(rows, sizes, axis=1), self.weight_shapes)]
        return list(zip(pieces[0::2], pieces[1::2]))

    def pre_activations(self, layers: list, x) -> list:
        """Each hidden layer's pre-activations at the points x, (n, units, points), of n nets' layer weights."""
        inputs, values = x, []
        for (kernel, bias), activation in zip(layers[:-1], self.activations):
            pattern = "pi,nio->nop" if inputs is x else "nip,nio->nop"
            values.append(tf.einsum(pattern, inputs, kernel) + bias[:, :, None])
            inputs = activation(values[-1])
        return values

    def describe_frames(self, weights, second_moments=None) -> dict:
        """What the frames' WEIGHTS, (frames, nets, weights), and SECOND_MOMENTS (the same shape, or
        None) say of the nets (the described quantities).

        One frame at a time: batched over a call's frames, the arithmetic (and so the last bits)
        would depend on how many frames a call had, which follows the machine's speed.
        """
        signature = {name: tf.TensorSpec(shape, tf.float32) for name, shape in self.described_shapes.items()}
        if second_moments is None:
            return tf.map_fn(lambda rows: self.describe_frame(rows, None), weights, fn_output_signature=signature)
        return tf.map_fn(lambda pair: self.describe_frame(*pair), (weights, second_moments),
                         fn_output_signature=signature)

    def describe_frame(self, weights, second_moments) -> dict:
        """describe_frames for one frame: WEIGHTS (nets, weights), SECOND_MOMENTS or None."""
        layers = self.layer_weights(weights)
        frame = FrameWeights(layers, self.pre_activations(layers, self.tensors["x_train"]), weights, second_moments)
        return {name: compute(self, frame) for name, compute in self.described_computations.items()}

    def with_description(self, per_frame: dict) -> dict:
        """NumPy frames as the loop recorded them, WEIGHTS (and SECOND_MOMENTS) replaced by what
        describe_frames says of them."""
        weights, second_moments = per_frame.pop(WEIGHTS, None), per_frame.pop(SECOND_MOMENTS, None)
        if weights is None:  # a loop body that describes nothing (a benchmark's reference)
            return per_frame
        if len(weights):
            per_frame.update(as_numpy(self.describe(
                tf.constant(weights), None if second_moments is None else tf.constant(second_moments))))
        else:
            per_frame.update({name: np.zeros((0, *shape), np.float32) for name, shape in self.described_shapes.items()})
        return per_frame


def as_numpy(tensors: dict) -> dict:
    return {name: tensor.numpy() for name, tensor in tensors.items()}


# --- today's quantities (declared in quantities.py), in the order they are computed ---------------------

@epoch_quantity("epoch.val_loss")
def held_out_error(body: LoopBody, epoch: Epoch):
    return body.net_losses(body.model(body.tensors["x_validation"]), body.tensors["y_validation"])


def _left_by_the_steps(field: str) -> Callable:
    """The computation of a quantity the epoch's steps worked out themselves: a field of Epoch."""
    return lambda body, epoch: getattr(epoch, field)


epoch_quantity("epoch.grad_norm")(_left_by_the_steps("gradient_norms"))
epoch_quantity("epoch.batch_loss", records=lambda body: body.minibatches)(_left_by_the_steps("batch_loss"))
epoch_quantity("epoch.penalty", records=lambda body: body.penalized)(_left_by_the_steps("penalty"))
epoch_quantity("epoch.kernel_norm", records=lambda body: body.decays_weights)(_left_by_the_steps("kernel_norm"))
epoch_quantity("epoch.learning_rate", records=lambda body: body.follows_schedule)(_left_by_the_steps("learning_rate"))


@frame_quantity("frame.prediction")
def prediction(body: LoopBody):
    output = tf.reshape(body.model(body.tensors["x_grid"]), [body.nets, body.grid_points])
    # A cross-entropy classifier's output is a logit: what it says is the probability of class 1.
    return tf.sigmoid(output) if body.regime.loss == "cross_entropy" else output


@frame_quantity("frame.loss")
def training_error(body: LoopBody):
    return body.net_losses(body.model(body.tensors["x_train"]), body.tensors["y_train"])


@frame_quantity("frame.accuracy", records=lambda body: body.regime.classifies)
def training_accuracy(body: LoopBody):
    return net_accuracies(body.model(body.tensors["x_train"]), body.tensors["y_train"])


@frame_quantity("frame.val_accuracy", records=lambda body: body.regime.classifies)
def held_out_accuracy(body: LoopBody):
    return net_accuracies(body.model(body.tensors["x_validation"]), body.tensors["y_validation"])


@described_quantity("frame.output_bias")
def output_bias(body: LoopBody, frame: FrameWeights):
    return frame.layers[-1][1][:, 0]


@described_quantity("frame.distinct_units")
def distinct_units(body: LoopBody, frame: FrameWeights):
    """effective_rank of the last hidden layer's activations over the training points."""
    return effective_rank(body.activations[-1](frame.pre_activations[-1]))


@described_quantity("frame.saturated_fraction")
def saturated_fraction(body: LoopBody, frame: FrameWeights):
    """saturated_share of each hidden layer, (nets, hidden layers)."""
    return tf.stack([saturated_share(activation, layer, steepest) for activation, layer, steepest
                     in zip(body.activations, frame.pre_activations, body.steepest_slopes)], axis=1)


@described_quantity("frame.unit_contributions", records=lambda body: body.record_units)
def unit_contributions(body: LoopBody, frame: FrameWeights):
    """The first net's last-layer units' activations on the grid times their outgoing weights: with
    output_bias they sum to its prediction."""
    first_net = [(kernel[:1], bias[:1]) for kernel, bias in frame.layers]
    last_hidden = body.activations[-1](body.pre_activations(first_net, body.tensors["x_grid"])[-1])
    return last_hidden * first_net[-1][0][:, :, 0, None]


def _path_rows(rows, body: LoopBody):
    """Rows of the path (WEIGHTS or SECOND_MOMENTS): every net's, or net 0's (quantities.as_recorded)."""
    return rows if body.every_net_path else rows[:1]


@described_quantity("frame.weights")
def path_weights(body: LoopBody, frame: FrameWeights):
    return _path_rows(frame.rows, body)


@described_quantity("frame.second_moment", records=lambda body: body.keeps_second_moments)
def path_second_moment(body: LoopBody, frame: FrameWeights):
    return _path_rows(frame.second_moments, body)


@frame_quantity("frame.optimizer_steps", records=lambda body: body.keeps_second_moments)
def optimizer_steps(body: LoopBody):
    return tf.fill([body.nets], tf.cast(body.optimizer.iterations, tf.float32))
