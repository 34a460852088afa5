"""Training while recording: the loops that run the loop body (loop_body.py) inside TensorFlow.

A chunk of epochs runs per call, so recording costs no Python round trip: a plain tf.function
for one net, and for a stack of nets (models.build_stacked_mlp) an XLA-compiled one for each of
its parts (config.stack_parts), each on a thread of its own. Both give a Recording
(recording.py) whose arrays always have a nets axis, each quantity as quantities.py declares
it. To record one more quantity, declare it and register its computation (see loop_body.py):
the loops here need no change.

The names the rest of the code and the README use are importable from here too:
engine.frame_schedule, engine.Recording, engine.PredictionSnapshots (the plain Keras callback
for model.fit(), the reference the loops are tested and benchmarked against), engine.LoopBody.
"""

from __future__ import annotations

import concurrent.futures
import time
from typing import TYPE_CHECKING, Callable, Hashable, NamedTuple

import numpy as np

import quantities
import rundir
from data import Dataset
# LoopBody is looked up here when a loop is built (a benchmark swaps it); net_errors is re-exported.
from loop_body import LoopBody, Regime, as_numpy, epoch_order, net_errors  # noqa: F401
from models import optimizer_copy, parts_of
from prediction_snapshots import PredictionSnapshots  # noqa: F401  (re-exported: engine.PredictionSnapshots)
from recording import Recording, first_non_finite_epochs, frame_schedule  # noqa: F401  (frame_schedule re-exported)

import tensorflow as tf  # noqa: E402  (after models, which imports it quietly)

if TYPE_CHECKING:
    from loop_cache import LoopCache

def records_unit_contributions(hidden_layers: list[int], grid_points: int, frames: int) -> bool:
    """Whether a run's unit_contributions fit in rundir.UNIT_CONTRIBUTIONS_BUDGET."""
    return rundir.unit_contributions_bytes(hidden_layers, grid_points, frames) <= rundir.UNIT_CONTRIBUTIONS_BUDGET


# The fixed sizes of one compiled call of the stacked loop (see _compiled_stack_loop): 128
# epochs of 50 nets take about a sixth of a second.
STACK_CHUNK_EPOCHS, STACK_CHUNK_FRAMES = 128, 16


# The quantities an epoch or a frame records are written packed into one flat TensorArray: each
# array a loop carries adds a handful of operations to every epoch, and the one-net loop's time is
# mostly TensorFlow's overhead per operation (six arrays instead of one: a tenth more time).
def _packed_array(shapes: dict, size: int, dynamic: bool) -> tf.TensorArray:
    width = sum(int(np.prod(shape)) for shape in shapes.values())
    return tf.TensorArray(tf.float32, size=size, dynamic_size=dynamic, element_shape=[width])


def _pack(shapes: dict, values: dict):
    return tf.concat([tf.reshape(values[name], [-1]) for name in shapes], axis=0)


def _as_written(body: LoopBody):
    """The loop body's functions that a loop calls, for AutoGraph to call as they are written: it
    turns a loop's own Python control flow on tensors into graph operations, and would convert (parse
    and rewrite) every function the loop calls as well, most of a first trace's time; these have no
    such control flow, and so give the same graph. (Minibatch steps loop over tensors and early
    stopping copies one net's weights only when it improved: then the epoch's update is converted.)
    Returns start_epoch, finish_epoch, frame, all_stopped and _pack."""
    plain = tf.autograph.experimental.do_not_convert
    finish_epoch = body.finish_epoch if body.minibatches or body.stops_early else plain(body.finish_epoch)
    return plain(body.start_epoch), finish_epoch, plain(body.frame), plain(body.all_stopped), plain(_pack)


def _unpack(shapes: dict, stacked: np.ndarray) -> dict:
    """The named quantities of a stacked packed array, (rows, width) -> name: (rows,) + shape."""
    sizes = [int(np.prod(shape)) for shape in shapes.values()]
    pieces = np.split(stacked, np.cumsum(sizes)[:-1], axis=1)
    return {name: piece.reshape((len(stacked),) + tuple(shape)) for (name, shape), piece in zip(shapes.items(), pieces)}


class Loop(NamedTuple):
    """A model's training loop (build_in_graph_loop): train_chunk, snapshot, the trainers (the loop
    bodies that train, one or one per part of a stack, holding the early-stopping state) and
    start_again(), which puts the loop's own state back as it was when built."""

    train_chunk: Callable
    snapshot: Callable
    trainers: list
    start_again: Callable


def build_in_graph_loop(model, optimizer, dataset: Dataset, record_units: bool = False, regime: Regime = Regime(),
                        every_net_path: bool = False) -> Loop:
    """The Loop of a model: one net, or a stack of nets.

    train_chunk(frame_mask) trains len(frame_mask) epochs (as the regime says: full batch or
    minibatches, with its penalties and early stopping) and returns NumPy dicts
    (per_epoch, per_frame) for them, recording a frame at each epoch whose mask is true. It
    stops at the first epoch whose loss is not finite (for a stack: at which no net's loss is
    finite); per_epoch["loss"] then has one row more than the other per-epoch quantities. One
    net stops before that epoch's update: its weights are those whose loss was not finite.
    One net that stops early stops after that epoch; a stack's nets that have stopped keep their
    weights while the others train, and its chunk ends once all have.
    snapshot() records a frame of the current weights. record_units, every_net_path: see LoopBody.
    trainers: the loop bodies that train (one, or one per part of a stack), which hold the
    early-stopping state.
    """
    body = LoopBody(model, optimizer, dataset, record_units, regime, every_net_path)
    frame = tf.function(body.frame, autograph=False)  # no control flow on tensors: nothing to convert

    def snapshot() -> dict:
        """A frame of the current weights, described."""
        described_frame = body.with_description({name: value[None] for name, value in as_numpy(frame()).items()})
        return {name: value[0] for name, value in described_frame.items()}

    def described(train_chunk):
        def train_and_describe(frame_mask):
            per_epoch, per_frame = train_chunk(frame_mask)
            return per_epoch, body.with_description(per_frame)
        return train_and_describe

    if body.nets > 1:
        train_chunk, trainers, start_again = _stack_chunk_trainer(model, optimizer, dataset, regime)
        body.optimizers = [trainer.optimizer for trainer in trainers]  # each part's, for its second moments
        return Loop(described(train_chunk), snapshot, trainers, start_again)
    optimizer.build(body.variables)

    start_epoch, finish_epoch, frame_in_loop, all_stopped, pack = _as_written(body)

    @tf.function(input_signature=[tf.TensorSpec([None], tf.bool)])
    def train_chunk_one_net(frame_mask):
        losses = tf.TensorArray(tf.float32, size=0, dynamic_size=True, element_shape=[1])
        after = _packed_array(body.epoch_shapes, 0, dynamic=True)
        frames = _packed_array(body.frame_shapes, 0, dynamic=True)
        frame_index = 0
        for epoch in tf.range(tf.shape(frame_mask)[0]):
            state, net_losses = start_epoch()
            losses = losses.write(epoch, net_losses)
            if not tf.reduce_all(tf.math.is_finite(net_losses)):
                break  # before the update, which would only spoil the weights further
            after = after.write(epoch, pack(body.epoch_shapes, finish_epoch(state)))
            if frame_mask[epoch]:
                frames = frames.write(frame_index, pack(body.frame_shapes, frame_in_loop()))
                frame_index += 1
            if all_stopped():
                break  # stopped early, after the epoch's records
        return losses.stack(), after.stack(), frames.stack()

    def train_chunk(frame_mask):
        losses, after, frames = train_chunk_one_net(frame_mask)
        return ({"loss": losses.numpy(), **_unpack(body.epoch_shapes, after.numpy())},
                _unpack(body.frame_shapes, frames.numpy()))

    return Loop(described(train_chunk), snapshot, [body], body.start_again)


def _compiled_stack_loop(model, optimizer, dataset: Dataset, regime: Regime):
    """One stack of nets' training loop for at most STACK_CHUNK_EPOCHS epochs, compiled with XLA.

    XLA fuses the many small per-net operations: more than twice the throughput of TensorFlow's
    own kernels for 100 nets. (Single runs do without: the README's "How it is fast" says why, and
    what that costs.) XLA needs fixed sizes, so a call runs at most STACK_CHUNK_EPOCHS epochs (num_epochs of them) and records
    at most STACK_CHUNK_FRAMES frames, into buffers of those sizes. A net whose loss is no longer
    finite only spoils its own weights; the loop stops when every net has diverged. (A net that
    stops early keeps its weights from then on, but the loop goes on: the parts stay in step.)
    Returns (train, the loop body).
    """
    body = LoopBody(model, optimizer, dataset, regime=regime)
    optimizer.build(body.variables)
    start_epoch, finish_epoch, frame, _, pack = _as_written(body)

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
            state, net_losses = start_epoch()
            losses = losses.write(epoch, net_losses)
            attempted += 1
            if not tf.reduce_any(tf.math.is_finite(net_losses)):
                break  # before the update, as for one net: the last frame shows the weights of this loss
            after = after.write(epoch, pack(body.epoch_shapes, finish_epoch(state)))
            completed += 1
            if frame_mask[epoch]:
                frames = frames.write(frame_index, pack(body.frame_shapes, frame()))
                frame_index += 1
        return losses.stack(), after.stack(), frames.stack(), attempted, completed, frame_index

    def train(frame_mask: np.ndarray, num_epochs: int):
        losses, after, frames, attempted, completed, frame_count = train_fixed_chunk(frame_mask, tf.constant(num_epochs))
        attempted, completed, frame_count = int(attempted), int(completed), int(frame_count)
        per_epoch = {"loss": losses.numpy()[:attempted], **_unpack(body.epoch_shapes, after.numpy()[:completed])}
        return per_epoch, _unpack(body.frame_shapes, frames.numpy()[:frame_count])

    return train, body


def _stack_chunk_trainer(model, optimizer, dataset: Dataset, regime: Regime):
    """train_chunk for a stack of nets: each of its parts (models.parts_of) on a thread of its own.

    One compiled loop keeps about one core busy whatever the size of its stack; the parts
    (config.stack_parts: two, whatever the machine) train at the same time, about 1.5x the
    throughput of one part on 2 cores. Each part needs an optimizer of its own: one shared
    optimizer would count every epoch once per part (and Adam's bias correction depends on that
    count). The first part takes `optimizer`, the others
    copies of it. A part whose nets have all diverged stops; its nets' later records are NaN.
    The stack stops when every part has.
    """
    parts = parts_of(model)
    optimizers = [optimizer] + [optimizer_copy(optimizer) for _ in parts[1:]]
    part_loops, bodies = zip(*[_compiled_stack_loop(part, part_optimizer, dataset, regime)
                               for part, part_optimizer in zip(parts, optimizers)])
    columns = np.cumsum([0] + [part.members for part in parts])
    running = list(range(len(parts)))

    def start_again() -> None:
        running[:] = range(len(parts))
        for body in bodies:
            body.start_again()

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
            while start < len(frame_mask) and running and not all(bool(body.all_stopped()) for body in bodies):
                stop = min(start + STACK_CHUNK_EPOCHS, len(frame_mask))
                frame_positions = np.flatnonzero(frame_mask[start:stop])
                if len(frame_positions) > STACK_CHUNK_FRAMES:
                    stop = start + int(frame_positions[STACK_CHUNK_FRAMES - 1]) + 1
                windows.append(train_window(executor, frame_mask[start:stop], stop - start))
                start = stop
        return tuple({name: np.concatenate([window[kind][name] for window in windows]) for name in windows[0][kind]}
                     for kind in (0, 1))

    return train_chunk, list(bodies), start_again


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

    def drop_last_frame(self) -> None:
        self.frame_epochs.pop()

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
    regime: Regime = Regime(),
    every_net_path: bool = False,
    loops: "LoopCache | None" = None,
    loop_key: Hashable | None = None,
) -> Recording:
    """Train for `epochs` epochs with the in-graph loop as the regime says (full batch by
    default), recording the given frames.

    Stops early, with the run so far, when the loss stops being finite (status 'diverged'; for a
    stack of nets, when it has for every net), when early stopping has stopped every net (status
    'stopped_early', at the epoch the last one stopped), or when should_stop() is true before a
    chunk (status 'interrupted', with no epoch at all if it is true from the start); the last state
    reached is then added as a final frame. With restore_best_weights, a run that was not
    interrupted ends with each net's best weights, as Keras restores them (even without a stop):
    its final frame shows them. train_seconds counts training alone, not tracing.
    on_chunk(epochs_done, last_loss) is called after each chunk (the median over nets).
    Memory stays bounded: 4 bytes an epoch, net and per-epoch quantity, plus the frames.

    Args:
        chunk_epochs: epochs per call; by default sized to take about a quarter of a second.
        every_net_path: record every net's weights at each frame, not net 0's alone (record.curvature: all).
        loops, loop_key: train with the loop kept in loops under loop_key (with the regime and what is
            recorded) if there is one, else keep the one built; loop_key names what else shapes the
            loop: the net, the optimizer and its options, the data (see LoopCache).
    """
    standardization = dataset.standardization
    if standardization is not None:  # train in standard units, report in the data's
        dataset = standardization.training_dataset(dataset)
        if on_chunk is not None:
            report_in_data_units = on_chunk

            def on_chunk(epochs_done: int, loss: float) -> None:
                loss_in_data_units = quantities.in_data_units(np.float64(loss), quantities.declared("epoch", "loss"),
                                                              standardization)
                report_in_data_units(epochs_done, float(loss_in_data_units))
        # min_delta is a difference of held-out errors in the data's units.
        regime = regime._replace(min_delta=regime.min_delta / standardization.y_scale**2)
    # A plane's units are drawn from net 0's recorded weights (a unit's map is the plane's size).
    record_units = dataset.plane is None and records_unit_contributions(
        [layer.units for layer in LoopBody.dense_layers(model)[:-1]], int(dataset.x_grid.shape[0]), len(frame_epochs))
    def build() -> Loop:
        return build_in_graph_loop(model, optimizer, dataset, record_units, regime, every_net_path)

    if loops is None or loop_key is None:
        train_chunk, snapshot, trainers, _ = build()
    else:
        key = (loop_key, regime, record_units, every_net_path)
        train_chunk, snapshot, trainers, _ = loops.loop_for(key, model, optimizer, build)
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
        stopped_at = _early_stop_epoch(trainers)
        if stopped_at is not None:  # a stack's epochs after its last net stopped changed nothing: drop them
            per_epoch = {name: values[: stopped_at - done] for name, values in per_epoch.items()}
            status = "stopped_early"
        buffers.add_epochs(done, per_epoch)
        chunk_frame_epochs = np.flatnonzero(is_frame[done + 1 : stop + 1]) + done + 1
        kept_frames = min(len(per_frame["loss"]), int(np.sum(chunk_frame_epochs <= done + len(per_epoch["val_loss"]))))
        for position, epoch in enumerate(chunk_frame_epochs[:kept_frames]):
            buffers.add_frame(int(epoch), {name: values[position] for name, values in per_frame.items()})
        attempted = done + len(per_epoch["loss"])
        done += len(per_epoch["val_loss"])
        if on_chunk is not None:
            with np.errstate(all="ignore"):
                on_chunk(attempted, float(np.median(buffers.per_epoch["loss"][attempted - 1])))
        if attempted > done:
            status = "diverged"  # the diverging epoch's update was not applied (one net) or spoilt every net
            break
        if status == "stopped_early":
            break

    restored = regime.restore_best_weights and status != "interrupted" and done > 0
    if restored:
        for trainer in trainers:
            trainer.restore_best()
        if buffers.frame_epochs and buffers.frame_epochs[-1] == done:
            buffers.drop_last_frame()  # the final frame is of the restored weights
    if (status != "completed" or restored) and (not buffers.frame_epochs or buffers.frame_epochs[-1] != done):
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
        **(_early_stopping_record(trainers, restored) if regime.patience is not None else {}),
    )
    return recording if standardization is None else recording.in_data_units(standardization)


def _early_stop_epoch(trainers: list[LoopBody]) -> int | None:
    """The epoch at which the last net stopped early, once every net has; else None."""
    if not trainers[0].stops_early or not all(bool(trainer.all_stopped()) for trainer in trainers):
        return None
    return int(max(trainer.stopped_at.numpy().max() for trainer in trainers))


def _early_stopping_record(trainers: list[LoopBody], restored: bool) -> dict:
    """What a Recording says of early stopping: for each net, the epoch it stopped at (None: it
    did not) and its best epoch, whose weights it ends with when they are restored."""
    stopped = np.concatenate([trainer.stopped_at.numpy() for trainer in trainers])
    best = np.concatenate([trainer.best_epoch.numpy() for trainer in trainers])
    return {"stopped_at_epoch": [int(epoch) if epoch else None for epoch in stopped],
            "best_epoch": [int(epoch) if epoch else None for epoch in best], "restored_best_weights": restored}
