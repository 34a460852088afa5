"""Training while recording: the epoch loop that records named quantities as the nets learn.

One loop body (LoopBody) says what an epoch does and records, and what a frame records; two
loops run it inside TensorFlow, a chunk of epochs per call, so recording costs no Python round
trip: a plain tf.function for one net, and an XLA-compiled one per CPU core for a stack of nets
(models.build_stacked_mlp). Both give a Recording whose arrays always have a nets axis.

To record one more quantity, compute it in LoopBody.epoch_after_update (per epoch: one number
per net), LoopBody.frame (per frame, inside the loop: any shape per net) or, when it can be
worked out from the nets' weights, LoopBody.describe_frame (per frame, after each call of the
loop: the loop stays lean), and declare it in LoopBody.__init__; it then reaches the run
directory (rundir.py) under its name with no other change.

PredictionSnapshots, a plain Keras callback for model.fit() (the post's way), records the same
run slowly: it is the reference the loops are tested and benchmarked against.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import time
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

import rundir
from data import TRAINING_ARRAYS, Dataset
from models import StackedDense, keras, parts_of

import tensorflow as tf  # noqa: E402  (after models, which imports it quietly)

# The fixed sizes of one compiled call of the stacked loop (see _compiled_stack_loop): 128
# epochs of 50 nets take about a sixth of a second.
STACK_CHUNK_EPOCHS, STACK_CHUNK_FRAMES = 128, 16


def frame_schedule(epochs: int, frames: int) -> np.ndarray:
    """The epochs whose prediction becomes a frame: 0 (the untrained net) up to the last epoch.

    The gap between frames grows in proportion to the epoch (every epoch at first, where the
    fast early learning happens, then geometrically) up to a cap of 4 * epochs / frames, the gap
    of a quarter of the frames spread evenly, so that the long late stretch, where SGD's
    plateaus and slow escapes happen, is not passed over in a handful of frames. One growth
    rate, found by bisection, gives about `frames` frames: no near-duplicate frames, no jumps.
    """
    if frames >= epochs + 1:
        return np.arange(epochs + 1)
    largest_gap = max(4 * epochs / frames, 1.0)

    def schedule(growth: float) -> np.ndarray:
        epoch, chosen = 0.0, [0]
        while epoch < epochs:
            epoch += min(max(growth * epoch, 1.0), largest_gap)
            chosen.append(min(int(round(epoch)), epochs))
        return np.unique(chosen)

    slow, fast = 0.0, 1.0  # growth rates giving too many and too few frames
    while len(schedule(fast)) > frames and fast < 1e6:  # a few frames: [0, 1, ...] at the least
        fast *= 2
    for _ in range(50):
        middle = (slow + fast) / 2
        slow, fast = (middle, fast) if len(schedule(middle)) > frames else (slow, middle)
    return schedule(fast)


@dataclass
class Recording:
    """What training recorded. Every array has a nets axis after the first (one net: size 1).

    per_epoch: name -> (epochs, nets); "loss" is each epoch's training error as Keras reports it
    (from that epoch's forward pass, before its update), "val_loss" the held-out error after it.
    per_frame: name -> (frames, nets, ...); "prediction" on the grid and "loss", the training
    error of exactly those weights.
    """

    frame_epochs: np.ndarray
    per_frame: dict[str, np.ndarray]
    per_epoch: dict[str, np.ndarray]
    status: str = "completed"  # or "diverged", "interrupted"
    train_seconds: float = 0.0
    diverged_at_epoch: list = field(default_factory=list)  # per net: the epoch its loss stopped being finite, or None

    @property
    def epochs_completed(self) -> int:
        return int(len(self.per_epoch["loss"]))


def net_errors(prediction, target):
    """Each net's mean squared error, shape (nets,): prediction is (batch, 1) for one net or
    (nets, batch, 1) for a stack of nets."""
    return tf.reshape(tf.reduce_mean(tf.square(prediction - target), axis=[-2, -1]), [-1])


# The nets' weights at each frame, recorded inside the loop for LoopBody.describe_frames only.
WEIGHTS = "weights"
# A unit is saturated at a point where its activation's slope is below this share of the
# activation's steepest slope (measured on pre-activations in STEEPEST_SLOPE_RANGE).
SATURATED_SLOPE_SHARE = 0.05
STEEPEST_SLOPE_RANGE = (-10.0, 10.0)


def records_unit_contributions(hidden_layers: list[int], grid_points: int, frames: int) -> bool:
    """Whether a run's unit_contributions fit in rundir.UNIT_CONTRIBUTIONS_BUDGET."""
    return rundir.unit_contributions_bytes(hidden_layers, grid_points, frames) <= rundir.UNIT_CONTRIBUTIONS_BUDGET


class LoopBody:
    """One epoch's work and what it records, for one net or a stack of nets (trained on the sum
    of their losses, which leaves each net's gradients its own).

    Per epoch: "loss" (before the update), "val_loss" (after it) and "grad_norm", the norm of
    each net's own gradient over all its weights, the one its update used. Per frame, inside the
    loop: "prediction" on the grid, "loss" on the training points, and the nets' weights (WEIGHTS);
    after each call of the loop, for all its frames at once, describe() works out from those
    weights: "output_bias"; "distinct_units" (effective_rank of the last hidden layer's
    activations over the training points); "saturated_fraction" of each hidden layer
    (saturated_share); and, for the first net when record_units is true, "unit_contributions":
    each last-layer unit's activation on the grid times its outgoing weight, which sum with
    output_bias to the prediction. (Inside the loop a frame's every operation would cost every
    epoch, taken or not: TensorFlow's executor passes over the untaken branch one operation at a
    time. Worked out afterwards they cost a fifth of the training time, not four fifths.)
    """

    def __init__(self, model, optimizer, dataset: Dataset, record_units: bool = False):
        self.model, self.optimizer = model, optimizer
        self.tensors = {name: tf.constant(getattr(dataset, name)) for name in TRAINING_ARRAYS}
        self.nets = getattr(model, "members", 1)
        self.grid_points = int(dataset.x_grid.shape[0])
        self.variables = model.trainable_variables
        # The Dense (or StackedDense) layers of each stack of nets, in order; the last is the output.
        self.stacks = [self.dense_layers(stack) for stack in parts_of(model)]
        self.activation = self.stacks[0][0].activation
        self.steepest_slope = float(tf.reduce_max(tf.abs(activation_slope(
            self.activation, tf.linspace(*STEEPEST_SLOPE_RANGE, 20001)))))
        self.record_units = record_units
        # One net's kernel and bias of each layer, in order: how a row of WEIGHTS is laid out.
        self.weight_shapes = [tuple(variable.shape[1:] if isinstance(layer, StackedDense) else variable.shape)
                              for layer in self.stacks[0] for variable in (layer.kernel, layer.bias)]
        weights_per_net = sum(int(np.prod(shape)) for shape in self.weight_shapes)
        hidden_widths = [layer.units for layer in self.stacks[0][:-1]]
        # Each quantity's shape per epoch or frame, nets axis first. Per epoch always one number
        # a net (a run's per-epoch arrays are epochs x nets, and history.csv has a column for each).
        self.epoch_shapes = {"val_loss": [self.nets], "grad_norm": [self.nets]}  # after "loss", recorded first
        self.frame_shapes = {"prediction": [self.nets, self.grid_points], "loss": [self.nets],
                             WEIGHTS: [self.nets, weights_per_net]}
        self.described_shapes = {"output_bias": [self.nets], "distinct_units": [self.nets],
                                 "saturated_fraction": [self.nets, len(hidden_widths)]}
        if record_units:
            self.described_shapes["unit_contributions"] = [1, hidden_widths[-1], self.grid_points]
        self.describe = tf.function(self.describe_frames,
                                    input_signature=[tf.TensorSpec([None, self.nets, weights_per_net], tf.float32)])

    @staticmethod
    def dense_layers(model) -> list:
        """The Dense (or StackedDense) layers of a net or of a stack's first part, in order."""
        return [layer for layer in parts_of(model)[0].layers if hasattr(layer, "kernel")]

    def forward(self):
        """The epoch's forward pass: (tape, summed loss, each net's loss)."""
        with tf.GradientTape() as tape:
            net_losses = net_errors(self.model(self.tensors["x_train"], training=True), self.tensors["y_train"])
            total = tf.reduce_sum(net_losses)
        return tape, total, net_losses

    def epoch_after_update(self, tape, total) -> dict:
        """Apply the epoch's update; return what the epoch records after it (per net)."""
        gradients = tape.gradient(total, self.variables)
        self.optimizer.apply_gradients(zip(gradients, self.variables))
        return {"val_loss": net_errors(self.model(self.tensors["x_validation"]), self.tensors["y_validation"]),
                "grad_norm": self.net_gradient_norms(gradients)}

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
        return {
            "prediction": tf.reshape(self.model(self.tensors["x_grid"]), [self.nets, self.grid_points]),
            "loss": net_errors(self.model(self.tensors["x_train"]), self.tensors["y_train"]),
            WEIGHTS: self.net_weights(),
        }

    def net_weights(self):
        """Every net's weights as one row, (nets, weights): each layer's kernel, then its bias."""
        rows = []
        for layers in self.stacks:
            members = layers[0].kernel.shape[0] if isinstance(layers[0], StackedDense) else 1
            rows.append(tf.concat([tf.reshape(variable, [members, -1]) for layer in layers
                                   for variable in (layer.kernel, layer.bias)], axis=1))
        return tf.concat(rows, axis=0)

    def layer_weights(self, rows) -> list:
        """Rows of WEIGHTS, (n, weights), as each layer's (kernels (n, in, out), biases (n, out))."""
        sizes = [int(np.prod(shape)) for shape in self.weight_shapes]
        pieces = [tf.reshape(piece, [-1, *shape]) for piece, shape in zip(tf.split(rows, sizes, axis=1), self.weight_shapes)]
        return list(zip(pieces[0::2], pieces[1::2]))

    def pre_activations(self, layers: list, x) -> list:
        """Each hidden layer's pre-activations at the points x, (n, units, points), of n nets' layer weights."""
        inputs, values = x, []
        for kernel, bias in layers[:-1]:
            pattern = "pi,nio->nop" if inputs is x else "nip,nio->nop"
            values.append(tf.einsum(pattern, inputs, kernel) + bias[:, :, None])
            inputs = self.activation(values[-1])
        return values

    def describe_frames(self, weights) -> dict:
        """What the frames' WEIGHTS, (frames, nets, weights), say of the nets' units (see the class).

        One frame at a time: batched over a call's frames, the arithmetic (and so the last bits)
        would depend on how many frames a call had, which follows the machine's speed.
        """
        signature = {name: tf.TensorSpec(shape, tf.float32) for name, shape in self.described_shapes.items()}
        return tf.map_fn(self.describe_frame, weights, fn_output_signature=signature)

    def describe_frame(self, weights) -> dict:
        """describe_frames for one frame: WEIGHTS (nets, weights)."""
        layers = self.layer_weights(weights)
        pre_activations = self.pre_activations(layers, self.tensors["x_train"])
        values = {
            "output_bias": layers[-1][1][:, 0],
            "distinct_units": effective_rank(self.activation(pre_activations[-1])),
            "saturated_fraction": tf.stack([saturated_share(self.activation, layer, self.steepest_slope)
                                            for layer in pre_activations], axis=1),
        }
        if self.record_units:
            first_net = [(kernel[:1], bias[:1]) for kernel, bias in layers]
            last_hidden = self.activation(self.pre_activations(first_net, self.tensors["x_grid"])[-1])
            values["unit_contributions"] = last_hidden * first_net[-1][0][:, :, 0, None]
        return values

    def with_description(self, per_frame: dict) -> dict:
        """NumPy frames as the loop recorded them, WEIGHTS replaced by what describe_frames says of them."""
        weights = per_frame.pop(WEIGHTS, None)
        if weights is None:  # a loop body that describes nothing (a benchmark's reference)
            return per_frame
        if len(weights):
            per_frame.update(_numpy(self.describe(tf.constant(weights))))
        else:
            per_frame.update({name: np.zeros((0, *shape), np.float32) for name, shape in self.described_shapes.items()})
        return per_frame


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


# The quantities an epoch or a frame records are written packed into one flat TensorArray: each
# array a loop carries adds a handful of operations to every epoch, and the one-net loop's time is
# mostly TensorFlow's overhead per operation (six arrays instead of one: a tenth more time).
def _packed_array(shapes: dict, size: int, dynamic: bool) -> tf.TensorArray:
    width = sum(int(np.prod(shape)) for shape in shapes.values())
    return tf.TensorArray(tf.float32, size=size, dynamic_size=dynamic, element_shape=[width])


def _pack(shapes: dict, values: dict):
    return tf.concat([tf.reshape(values[name], [-1]) for name in shapes], axis=0)


def _unpack(shapes: dict, stacked: np.ndarray) -> dict:
    """The named quantities of a stacked packed array, (rows, width) -> name: (rows,) + shape."""
    sizes = [int(np.prod(shape)) for shape in shapes.values()]
    pieces = np.split(stacked, np.cumsum(sizes)[:-1], axis=1)
    return {name: piece.reshape((len(stacked),) + tuple(shape)) for (name, shape), piece in zip(shapes.items(), pieces)}


def build_in_graph_loop(model, optimizer, dataset: Dataset, record_units: bool = False):
    """(train_chunk, snapshot) for a model: one net, or a stack of nets.

    train_chunk(frame_mask) trains len(frame_mask) full-batch epochs and returns NumPy dicts
    (per_epoch, per_frame) for them, recording a frame at each epoch whose mask is true. It
    stops at the first epoch whose loss is not finite (for a stack: at which no net's loss is
    finite); per_epoch["loss"] then has one row more than the other per-epoch quantities. One
    net stops before that epoch's update: its weights are those whose loss was not finite.
    snapshot() records a frame of the current weights. record_units: see LoopBody.
    """
    body = LoopBody(model, optimizer, dataset, record_units)
    frame = tf.function(body.frame)

    def snapshot() -> dict:
        """A frame of the current weights, described."""
        described_frame = body.with_description({name: value[None] for name, value in _numpy(frame()).items()})
        return {name: value[0] for name, value in described_frame.items()}

    def described(train_chunk):
        def train_and_describe(frame_mask):
            per_epoch, per_frame = train_chunk(frame_mask)
            return per_epoch, body.with_description(per_frame)
        return train_and_describe

    if body.nets > 1:
        return described(_stack_chunk_trainer(model, optimizer, dataset)), snapshot
    optimizer.build(body.variables)

    @tf.function(input_signature=[tf.TensorSpec([None], tf.bool)])
    def train_chunk_one_net(frame_mask):
        losses = tf.TensorArray(tf.float32, size=0, dynamic_size=True, element_shape=[1])
        after = _packed_array(body.epoch_shapes, 0, dynamic=True)
        frames = _packed_array(body.frame_shapes, 0, dynamic=True)
        frame_index = 0
        for epoch in tf.range(tf.shape(frame_mask)[0]):
            tape, total, net_losses = body.forward()
            losses = losses.write(epoch, net_losses)
            if not tf.reduce_all(tf.math.is_finite(net_losses)):
                break  # before the update, which would only spoil the weights further
            after = after.write(epoch, _pack(body.epoch_shapes, body.epoch_after_update(tape, total)))
            if frame_mask[epoch]:
                frames = frames.write(frame_index, _pack(body.frame_shapes, body.frame()))
                frame_index += 1
        return losses.stack(), after.stack(), frames.stack()

    def train_chunk(frame_mask):
        losses, after, frames = train_chunk_one_net(frame_mask)
        return ({"loss": losses.numpy(), **_unpack(body.epoch_shapes, after.numpy())},
                _unpack(body.frame_shapes, frames.numpy()))

    return described(train_chunk), snapshot


def _numpy(tensors: dict) -> dict:
    return {name: tensor.numpy() for name, tensor in tensors.items()}


def _compiled_stack_loop(model, optimizer, dataset: Dataset):
    """One stack of nets' training loop for at most STACK_CHUNK_EPOCHS epochs, compiled with XLA.

    XLA fuses the many small per-net operations: more than twice the throughput of TensorFlow's
    own kernels for 100 nets. (For one net XLA was slower, so single runs do without.) XLA needs
    fixed sizes, so a call runs at most STACK_CHUNK_EPOCHS epochs (num_epochs of them) and records
    at most STACK_CHUNK_FRAMES frames, into buffers of those sizes. A net whose loss is no longer
    finite only spoils its own weights; the loop stops when every net has diverged.
    """
    body = LoopBody(model, optimizer, dataset)
    optimizer.build(body.variables)

    @tf.function(jit_compile=True)
    def train_fixed_chunk(frame_mask, num_epochs):
        losses = tf.TensorArray(tf.float32, size=STACK_CHUNK_EPOCHS, element_shape=[body.nets])
        after = _packed_array(body.epoch_shapes, STACK_CHUNK_EPOCHS, dynamic=False)
        frames = _packed_array(body.frame_shapes, STACK_CHUNK_FRAMES, dynamic=False)
        frame_index, attempted, completed = 0, 0, 0
        # The loop's bound is a constant, since XLA would compile anew for every distinct bound.
        for epoch in tf.range(STACK_CHUNK_EPOCHS):
            if epoch >= num_epochs:
                break
            tape, total, net_losses = body.forward()
            losses = losses.write(epoch, net_losses)
            attempted += 1
            if not tf.reduce_any(tf.math.is_finite(net_losses)):
                break  # before the update, as for one net: the last frame shows the weights of this loss
            after = after.write(epoch, _pack(body.epoch_shapes, body.epoch_after_update(tape, total)))
            completed += 1
            if frame_mask[epoch]:
                frames = frames.write(frame_index, _pack(body.frame_shapes, body.frame()))
                frame_index += 1
        return losses.stack(), after.stack(), frames.stack(), attempted, completed, frame_index

    def train(frame_mask: np.ndarray, num_epochs: int):
        losses, after, frames, attempted, completed, frame_count = train_fixed_chunk(frame_mask, tf.constant(num_epochs))
        attempted, completed, frame_count = int(attempted), int(completed), int(frame_count)
        per_epoch = {"loss": losses.numpy()[:attempted], **_unpack(body.epoch_shapes, after.numpy()[:completed])}
        return per_epoch, _unpack(body.frame_shapes, frames.numpy()[:frame_count])

    return train


def _stack_chunk_trainer(model, optimizer, dataset: Dataset):
    """train_chunk for a stack of nets: each of its parts (models.parts_of) on a thread of its own.

    One compiled loop keeps about one core busy whatever the size of its stack; with one part per
    core the parts train at the same time (about 1.5x the throughput on 2 cores). Each part needs
    an optimizer of its own: one shared optimizer would count every epoch once per part (and
    Adam's bias correction depends on that count). The first part takes `optimizer`, the others
    copies of it. A part whose nets have all diverged stops; its nets' later records are NaN.
    The stack stops when every part has.
    """
    parts = parts_of(model)
    optimizers = [optimizer] + [type(optimizer).from_config(optimizer.get_config()) for _ in parts[1:]]
    part_loops = [_compiled_stack_loop(part, part_optimizer, dataset) for part, part_optimizer in zip(parts, optimizers)]
    columns = np.cumsum([0] + [part.members for part in parts])
    running = list(range(len(parts)))

    def merged(pieces: dict, name: str, rows: int) -> np.ndarray:
        """One quantity of every part side by side along the nets axis, NaN past a part's end."""
        shape = next(iter(pieces.values()))[name].shape[2:]
        whole = np.full((rows, model.members) + shape, np.nan, dtype=np.float32)
        for index, piece in pieces.items():
            whole[: len(piece[name]), columns[index] : columns[index + 1]] = piece[name]
        return whole

    def train_window(executor, frame_mask: np.ndarray, num_epochs: int) -> tuple[dict, dict]:
        padded = np.zeros(STACK_CHUNK_EPOCHS, dtype=bool)
        padded[:num_epochs] = frame_mask
        results = dict(zip(running, executor.map(lambda index: part_loops[index](padded, num_epochs), running)))
        epoch_pieces = {index: result[0] for index, result in results.items()}
        frame_pieces = {index: result[1] for index, result in results.items()}
        per_epoch = {name: merged(epoch_pieces, name, max(len(piece[name]) for piece in epoch_pieces.values()))
                     for name in epoch_pieces[running[0]]}
        frame_count = max(len(next(iter(piece.values()))) for piece in frame_pieces.values())
        per_frame = {name: merged(frame_pieces, name, frame_count) for name in frame_pieces[running[0]]}
        for index, (epoch_piece, _) in results.items():
            if len(epoch_piece["val_loss"]) < len(epoch_piece["loss"]):
                running.remove(index)  # every net of this part has diverged
        return per_epoch, per_frame

    def train_chunk(frame_mask):
        # Split the chunk into windows of at most STACK_CHUNK_EPOCHS epochs and STACK_CHUNK_FRAMES frames.
        frame_mask = np.asarray(frame_mask, dtype=bool)
        windows, start = [], 0
        with concurrent.futures.ThreadPoolExecutor(max_workers=len(parts)) as executor:
            if len(frame_mask) == 0:  # no epochs: compile every part's loop, at the same time
                windows.append(train_window(executor, frame_mask, 0))
            while start < len(frame_mask) and running:
                stop = min(start + STACK_CHUNK_EPOCHS, len(frame_mask))
                frame_positions = np.flatnonzero(frame_mask[start:stop])
                if len(frame_positions) > STACK_CHUNK_FRAMES:
                    stop = start + int(frame_positions[STACK_CHUNK_FRAMES - 1]) + 1
                windows.append(train_window(executor, frame_mask[start:stop], stop - start))
                start = stop
        return tuple({name: np.concatenate([window[kind][name] for window in windows]) for name in windows[0][kind]}
                     for kind in (0, 1))

    return train_chunk


class ChunkSizer:
    """How many epochs to run in the next call of the in-graph loop.

    Each call should take about `target_seconds`: long enough that the call overhead is nothing,
    short enough that the progress bar moves and Ctrl-C is answered within a second, whatever
    the size of the net and the data. (How the epochs are split does not change the numbers.)
    """

    def __init__(self, target_seconds: float = 0.25, first: int = 200, largest: int = 20000):
        self.target_seconds, self.size, self.largest = target_seconds, first, largest

    def update(self, epochs: int, seconds: float) -> None:
        per_epoch = max(seconds, 1e-6) / max(epochs, 1)
        self.size = int(min(max(self.target_seconds / per_epoch, 1), self.largest, 4 * self.size))


class _Buffers:
    """The host-side record of a run: per-epoch arrays allocated for the whole run, frames
    appended into arrays with room for one extra frame (where an early stop leaves the nets)."""

    def __init__(self, epochs: int, frames: int, first_frame: dict, first_epoch_names: list[str]):
        nets = len(first_frame["loss"])
        self.per_epoch = {name: np.full((epochs, nets), np.nan, dtype=np.float32) for name in first_epoch_names}
        self.per_frame = {name: np.empty((frames + 1,) + value.shape, dtype=np.float32)
                          for name, value in first_frame.items()}
        self.frame_epochs: list[int] = []

    def add_frame(self, epoch: int, values: dict) -> None:
        for name, value in values.items():
            self.per_frame[name][len(self.frame_epochs)] = value
        self.frame_epochs.append(epoch)

    def add_epochs(self, start: int, values: dict) -> None:
        for name, value in values.items():
            self.per_epoch[name][start : start + len(value)] = value


def train_in_graph(
    model,
    optimizer,
    dataset: Dataset,
    epochs: int,
    frame_epochs: np.ndarray,
    on_chunk: Callable[[int, float], None] | None = None,
    chunk_epochs: int | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> Recording:
    """Train full-batch for `epochs` epochs with the in-graph loop, recording the given frames.

    Stops early, with the run so far, when the loss stops being finite (status 'diverged'; for a
    stack of nets, when it has for every net) or when should_stop() is true before a chunk
    (status 'interrupted', with no epoch at all if it is true from the start); the last state
    reached is then added as a final frame. train_seconds counts training alone, not tracing.
    on_chunk(epochs_done, last_loss) is called after each chunk (the median over nets).
    Memory stays bounded: 4 bytes an epoch, net and per-epoch quantity, plus the frames.

    Args:
        chunk_epochs: epochs per call; by default sized to take about a quarter of a second.
    """
    standardization = dataset.standardization
    if standardization is not None:  # train in standard units, report in the data's
        dataset = standardization.training_dataset(dataset)
        if on_chunk is not None:
            report_in_data_units = on_chunk

            def on_chunk(epochs_done: int, loss: float) -> None:
                report_in_data_units(epochs_done, loss * standardization.y_scale**2)
    record_units = records_unit_contributions([layer.units for layer in LoopBody.dense_layers(model)[:-1]],
                                              int(dataset.x_grid.shape[0]), len(frame_epochs))
    train_chunk, snapshot = build_in_graph_loop(model, optimizer, dataset, record_units)
    frame_epochs = np.asarray(frame_epochs, dtype=np.int64)
    is_frame = np.zeros(epochs + 1, dtype=bool)
    is_frame[frame_epochs] = True
    sizer = ChunkSizer() if chunk_epochs is None else None

    first_frame = snapshot()
    # Trace (and for a stack, compile) the loop with a call of no epochs, so that the time
    # measured is training alone. It changes no weight, and says which quantities it records.
    empty_epochs, _ = train_chunk(np.zeros(0, dtype=bool))
    buffers = _Buffers(epochs, len(frame_epochs), first_frame, list(empty_epochs))
    if is_frame[0]:
        buffers.add_frame(0, first_frame)

    started = time.perf_counter()
    status, done, attempted = "completed", 0, 0  # epochs whose update was applied / whose loss was computed
    while done < epochs:
        if should_stop is not None and should_stop():
            status = "interrupted"  # also before the first chunk: a Ctrl-C while TensorFlow started
            break
        stop = min(done + (chunk_epochs or sizer.size), epochs)
        chunk_started = time.perf_counter()
        per_epoch, per_frame = train_chunk(is_frame[done + 1 : stop + 1])
        if sizer is not None:
            sizer.update(stop - done, time.perf_counter() - chunk_started)
        buffers.add_epochs(done, per_epoch)
        chunk_frame_epochs = np.flatnonzero(is_frame[done + 1 : stop + 1]) + done + 1
        for position, epoch in enumerate(chunk_frame_epochs[: len(per_frame["loss"])]):
            buffers.add_frame(int(epoch), {name: values[position] for name, values in per_frame.items()})
        attempted = done + len(per_epoch["loss"])
        done += len(per_epoch["val_loss"])
        if on_chunk is not None:
            with np.errstate(all="ignore"):
                on_chunk(attempted, float(np.median(buffers.per_epoch["loss"][attempted - 1])))
        if attempted > done:
            status = "diverged"  # the diverging epoch's update was not applied (one net) or spoilt every net
            break

    if status != "completed" and (not buffers.frame_epochs or buffers.frame_epochs[-1] != done):
        buffers.add_frame(done, snapshot())
    count = len(buffers.frame_epochs)
    per_epoch = {name: np.ascontiguousarray(values[:attempted]) for name, values in buffers.per_epoch.items()}
    recording = Recording(
        frame_epochs=np.asarray(buffers.frame_epochs, dtype=np.int64),
        per_frame={name: np.ascontiguousarray(values[:count]) for name, values in buffers.per_frame.items()},
        per_epoch=per_epoch,
        status=status,
        train_seconds=time.perf_counter() - started,
        diverged_at_epoch=first_non_finite_epochs(per_epoch["loss"]),
    )
    return recording if standardization is None else in_data_units(recording, standardization)


# How each recorded quantity of a net trained on standardized points changes back to the data's
# units: y values are scaled and shifted, their parts only scaled, squared errors and their
# gradients (with respect to the same weights) scaled twice. The rest (distinct_units,
# saturated_fraction) do not depend on the units.
_Y_VALUES, _Y_PARTS, _SQUARED_ERRORS = {"prediction", "output_bias"}, {"unit_contributions"}, {"loss", "val_loss",
                                                                                                  "grad_norm"}


def in_data_units(recording: Recording, standardization) -> Recording:
    """A recording of nets trained on standardized points (data.Standardization), in the data's units."""
    shift, scale = standardization.y_shift, standardization.y_scale

    def converted(name: str, values: np.ndarray) -> np.ndarray:
        # Kept in float64: y around 1e9 with a spread of 1 would be rounded to steps of 64 in
        # float32, and squared errors of y around 1e20 would overflow it.
        wide = values.astype(np.float64)
        if name in _Y_VALUES:
            return wide * scale + shift
        if name in _Y_PARTS:
            return wide * scale
        if name in _SQUARED_ERRORS:
            return wide * scale**2
        return values

    return dataclasses.replace(
        recording, per_frame={name: converted(name, values) for name, values in recording.per_frame.items()},
        per_epoch={name: converted(name, values) for name, values in recording.per_epoch.items()})


def first_non_finite_epochs(loss: np.ndarray) -> list[int | None]:
    """For each net (column) of a loss history, the first epoch whose loss is not finite, or None."""
    bad = ~np.isfinite(loss)
    return [int(np.argmax(column)) + 1 if column.any() else None for column in bad.T]


class PredictionSnapshots(keras.callbacks.Callback):
    """Record the prediction on a grid at chosen epochs, and every epoch's loss, during fit().

    Usage, in any Keras training code:

        snapshots = PredictionSnapshots(x_grid, x_train, y_train, frame_epochs=[0, 1, 10, 100])
        model.fit(x_train, y_train, epochs=100, validation_data=(x_val, y_val), callbacks=[snapshots])
        recording = snapshots.recording()

    Epoch 0 is the untrained net; epoch e is the net after e epochs. With frame_epochs=None
    every epoch is recorded, as the post did it; the final weights always are.
    """

    def __init__(self, x_grid, x_train, y_train, frame_epochs=None):
        super().__init__()
        self.x_grid = np.asarray(x_grid, dtype=np.float32).reshape(-1, 1)
        self.x_train = np.asarray(x_train, dtype=np.float32).reshape(-1, 1)
        self.y_train = np.asarray(y_train, dtype=np.float32).reshape(-1, 1)
        self.frame_epochs = None if frame_epochs is None else {int(epoch) for epoch in frame_epochs}
        self.epochs, self.predictions, self.frame_loss = [], [], []
        self.loss, self.val_loss = [], []

    def _wants(self, epoch: int) -> bool:
        return self.frame_epochs is None or epoch in self.frame_epochs

    def _snapshot(self, epoch: int) -> None:
        # model.predict, as in the post: the plain, documented Keras way to get a prediction.
        # One call on the grid and the training points together gives both the frame and the
        # training loss of exactly the weights it shows.
        outputs = self.model.predict(np.concatenate([self.x_grid, self.x_train]), verbose=0)
        grid_points = len(self.x_grid)
        self.epochs.append(epoch)
        self.predictions.append(outputs[:grid_points].reshape(1, -1))
        self.frame_loss.append([np.mean((outputs[grid_points:] - self.y_train) ** 2)])

    def on_train_begin(self, logs=None):
        if self._wants(0):
            self._snapshot(0)

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        self.loss.append([logs.get("loss", np.nan)])
        self.val_loss.append([logs.get("val_loss", np.nan)])
        if self._wants(epoch + 1):
            self._snapshot(epoch + 1)

    def on_train_end(self, logs=None):
        # The last frame is always the final weights (a run's final error is read from it), even
        # when frame_epochs left them out or fit stopped early.
        if not self.epochs or self.epochs[-1] != len(self.loss):
            self._snapshot(len(self.loss))

    def recording(self) -> Recording:
        """Everything recorded so far, as train_in_graph records it (a nets axis of one)."""
        loss = np.asarray(self.loss, dtype=np.float32).reshape(-1, 1)
        return Recording(
            frame_epochs=np.asarray(self.epochs, dtype=np.int64),
            per_frame={"prediction": np.asarray(self.predictions, dtype=np.float32).reshape(len(self.epochs), 1, -1),
                       "loss": np.asarray(self.frame_loss, dtype=np.float32).reshape(-1, 1)},
            per_epoch={"loss": loss, "val_loss": np.asarray(self.val_loss, dtype=np.float32).reshape(-1, 1)},
            diverged_at_epoch=first_non_finite_epochs(loss),
        )
