"""What a recorded quantity is, said once: per epoch or per frame, its shape per net, its unit, whether
it is kept for the first net only, and which weights it describes.

Every array a run records is declared here (DECLARED, keyed by its name in snapshots.npz:
"epoch.loss", "frame.prediction"). The engine takes a quantity's shape from its declaration
(loop_body.py holds the computations), the run directory stores the declarations of what a run
recorded in its summary.json ("quantities") and checks the arrays against them, and a run
trained on standardized points is turned back into the data's units by them (in_data_units).
A new quantity is a declaration here and a computation in loop_body.py; nothing else changes.

Imports neither TensorFlow nor matplotlib.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

PER = ("epoch", "frame")
# How a quantity of a net trained on standardized points (data.Standardization) changes back to
# the data's units: "y" values are scaled and shifted; "y_part" (a part of a y value, such as a
# unit's contribution) only scaled; "squared_error" scaled twice, as are the gradients of squared
# errors with respect to the same weights; "none" does not depend on the units.
UNITS = ("y", "y_part", "squared_error", "none")
# Which weights a quantity describes. "before_update": those before the epoch's update, that is
# after epoch - 1 epochs (Keras's per-epoch loss, from the epoch's forward pass); "after_update":
# those after it (for a frame: after the frame's epoch, epoch 0 being the untrained net);
# "over_epoch": the weights of the epoch's several steps (minibatches: a mean over its batches).
WHICH_WEIGHTS = ("before_update", "after_update", "over_epoch")
# How many epochs before the one a per-epoch value is recorded at the weights it describes were
# reached: the pictures put every value at the epoch of its weights, as a frame's epoch counts them
# (epoch N: the weights after N epochs), so that a frame's error and the curves agree. A value over
# an epoch's steps is put where the epoch ends, where Keras reports its per-epoch loss.
EPOCHS_BEFORE = {"before_update": 1, "after_update": 0, "over_epoch": 0}


def epochs_of_weights(epochs, weights: str):
    """The epochs of the weights (after that many epochs) that per-epoch values recorded at these
    epochs (counted as Keras counts, from 1) describe: one less for values of the weights before
    the epoch's update, the same for values after it."""
    if weights not in EPOCHS_BEFORE:
        raise ValueError(f"weights must be one of {', '.join(EPOCHS_BEFORE)}, got {weights!r}")
    return epochs - EPOCHS_BEFORE[weights]


@dataclass(frozen=True)
class Quantity:
    """One recorded quantity. Its array is (epochs or frames, nets, *shape): every net's, or with
    first_net_only net 0's alone (a nets axis of 1)."""

    name: str  # its key in a Recording's or a Run's per_epoch or per_frame: "loss"
    per: str  # "epoch" or "frame"
    shape: tuple[str, ...] = ()  # per net, in sizes' names: () one number, ("units", "grid_points")
    unit: str = "none"  # see UNITS
    first_net_only: bool = False
    weights: str = "after_update"  # see WHICH_WEIGHTS
    description: str = ""
    # A map over every net (their mean, say), worked out once the nets are trained: a nets axis of 1.
    over_nets: bool = False

    def __post_init__(self):
        for field, value, allowed in (("per", self.per, PER), ("unit", self.unit, UNITS),
                                      ("weights", self.weights, WHICH_WEIGHTS)):
            if value not in allowed:
                raise ValueError(f"{self.key}: {field} must be one of {', '.join(allowed)}, got {value!r}")
        if not isinstance(self.shape, tuple) or not all(isinstance(size, str) for size in self.shape):
            raise ValueError(f"{self.key}: shape must be a tuple of size names, got {self.shape!r}")
        if self.per == "epoch" and (self.shape or self.first_net_only):
            # history.csv has a column for each per-epoch quantity: the median over the nets.
            raise ValueError(f"{self.key}: a per-epoch quantity is one number for every net")

    @property
    def key(self) -> str:
        """Its array's name in snapshots.npz: "epoch.loss"."""
        return f"{self.per}.{self.name}"

    @property
    def first_epoch(self) -> int:
        """For a per-epoch quantity, the epoch of the weights its first value (epoch 1's) describes:
        0, the untrained net, for a value taken before the epoch's update; else 1."""
        return epochs_of_weights(1, self.weights)

    def shape_per_net(self, sizes: dict[str, int]) -> tuple[int, ...]:
        """Its shape for one net, the sizes it names taken from `sizes` (see sizes())."""
        missing = [size for size in self.shape if size not in sizes]
        if missing:
            raise ValueError(f"{self.key}: no size {', '.join(missing)} is known")
        return tuple(int(sizes[size]) for size in self.shape)

    def row_shape(self, nets: int, sizes: dict[str, int]) -> tuple[int, ...]:
        """The shape of its values at one epoch or frame of `nets` nets."""
        return (1 if self.first_net_only or self.over_nets else nets, *self.shape_per_net(sizes))

    def array_shape(self, rows: int, nets: int, sizes: dict[str, int]) -> tuple[int, ...]:
        """The shape of its array over `rows` epochs or frames of `nets` nets."""
        return (rows, *self.row_shape(nets, sizes))


DECLARED: dict[str, Quantity] = {}
# The keys of quantities recorded only where the training regime has them (a penalty, minibatches, ...).
SOMETIMES: set[str] = set()


def declare(quantity: Quantity, always: bool = True) -> Quantity:
    """Add a quantity to DECLARED (once: a name means one thing); always=False for one that only
    some runs record, so that a run without it still records everything."""
    if quantity.key in DECLARED:
        raise ValueError(f"{quantity.key} is declared already")
    DECLARED[quantity.key] = quantity
    if not always:
        SOMETIMES.add(quantity.key)
    return quantity


def declared(per: str, name: str) -> Quantity:
    """The declaration of a recorded array, or ValueError for one nobody declared."""
    quantity = DECLARED.get(f"{per}.{name}")
    if quantity is None:
        raise ValueError(f"{per}.{name} is recorded but not declared: declare it in quantities.py")
    return quantity


def sizes(hidden_layers: list[int], grid_points: int, inputs: int = 1) -> dict[str, int]:
    """The sizes a net's shapes name: how many hidden layers it has, the units of its last
    hidden layer, the points of the grid it is drawn on, and its weights and biases (these
    inputs, one output)."""
    return {"hidden_layers": len(hidden_layers), "units": int(hidden_layers[-1]), "grid_points": int(grid_points),
            "parameters": parameter_count(hidden_layers, inputs)}


def parameter_count(hidden_layers: list[int], inputs: int = 1) -> int:
    """The weights and biases of a net of these inputs and hidden layers and one output."""
    widths = [inputs, *hidden_layers, 1]
    return int(sum((inputs + 1) * outputs for inputs, outputs in zip(widths[:-1], widths[1:])))


def in_data_units(values: np.ndarray, quantity: Quantity, standardization) -> np.ndarray:
    """A quantity of nets trained on standardized points (data.Standardization), in the data's units."""
    identity = standardization.y_scale == 1 and standardization.y_shift == 0  # a classifier's classes
    if quantity.unit == "none" or identity:  # as they are: float32, not twice that in float64
        return values
    # Kept in float64: y around 1e9 with a spread of 1 would be rounded to steps of 64 in float32,
    # and squared errors of y around 1e20 would overflow it.
    wide, scale = values.astype(np.float64), standardization.y_scale
    if quantity.unit == "y":
        return wide * scale + standardization.y_shift
    if quantity.unit == "y_part":
        return wide * scale
    return wide * scale**2


def to_json(quantity: Quantity, run_sizes: dict[str, int]) -> dict:
    """A declaration as summary.json's "quantities" holds it: its array's name, its fields, and
    the run's size of each axis its shape names."""
    fields = dataclasses.asdict(quantity)
    if not quantity.over_nets:  # said only where it is so: the declarations of one input's runs stay as they were
        del fields["over_nets"]
    return {"array": quantity.key, **fields, "shape": list(quantity.shape),
            "sizes": dict(zip(quantity.shape, quantity.shape_per_net(run_sizes)))}


def from_json(item: dict) -> tuple[Quantity, dict[str, int]]:
    """(declaration, sizes) from an item of summary.json's "quantities"; ValueError or TypeError if
    it is not one."""
    if not isinstance(item, dict) or not isinstance(item.get("shape", []), list):
        raise ValueError(f"a declaration must be a mapping with a list for its shape, got {item!r}")
    fields = {key: value for key, value in item.items() if key not in ("array", "sizes")}
    quantity = Quantity(**{**fields, "shape": tuple(item.get("shape", []))})
    stored_sizes = item.get("sizes", {})
    if item.get("array") != quantity.key or not isinstance(stored_sizes, dict):
        raise ValueError(f"the declaration of {quantity.key} names its array {item.get('array')!r} or has sizes "
                         f"that are not a mapping")
    return quantity, stored_sizes


def declarations_of(per_epoch: dict, per_frame: dict, run_sizes: dict[str, int],
                    minibatches: bool = False, every_net_path: bool = False, first_net_map: bool = False) -> list[dict]:
    """summary.json's "quantities" for a run's arrays (name -> values per epoch and per frame): the
    declaration of each, in to_json's form, as as_recorded says; ValueError for an array nobody declared."""
    return [to_json(as_recorded(declared(per, name), minibatches, every_net_path, first_net_map), run_sizes)
            for per, arrays in (("epoch", per_epoch), ("frame", per_frame)) for name in arrays]


def as_recorded(quantity: Quantity, minibatches: bool = False, every_net_path: bool = False,
                first_net_map: bool = False) -> Quantity:
    """A quantity's declaration in a run: for one trained on minibatches as for_minibatches says; a
    quantity of the path (PATH) is every net's when the run records every net's path
    (record.curvature: all), net 0's otherwise; the prediction is net 0's alone where a run keeps
    only net 0's map (first_net_map: many nets on a plane, whose maps over the nets are kept
    beside it, MAPS_OVER_NETS)."""
    if minibatches:
        quantity = for_minibatches(quantity)
    if every_net_path and quantity.key in PATH:
        quantity = dataclasses.replace(quantity, first_net_only=False)
    if first_net_map and quantity.key == "frame.prediction":
        quantity = dataclasses.replace(quantity, first_net_only=True,
                                       description="the first net's prediction on the grid (the maps over every net "
                                                   "are kept beside it)")
    return quantity


def for_minibatches(quantity: Quantity) -> Quantity:
    """A quantity's declaration in a run trained on minibatches: the gradient an epoch records is
    its last step's, of one batch, taken partway through the epoch."""
    if quantity.key != "epoch.grad_norm":
        return quantity
    return dataclasses.replace(quantity, weights="over_epoch",
                               description="the norm of the net's gradient over all its weights on the epoch's last "
                                           "batch, the one its last step used")


def expected_shapes(items: list, recorded: dict[str, dict], rows: dict[str, int], nets: int,
                    run_sizes: dict[str, int]) -> dict[str, tuple[int, ...]]:
    """The shape of each recorded array, by its name in snapshots.npz, as its declaration among
    items (summary.json's "quantities") gives it. recorded: per -> name -> values; rows: per ->
    how many epochs or frames. The sizes a shape names are the run's (one this version does not
    know, the declaration's). ValueError for an array that none declares."""
    if not isinstance(items, list):
        raise ValueError(f"the run's quantities must be a list of declarations, got {type(items).__name__}")
    declarations = {quantity.key: (quantity, {**declared_sizes, **run_sizes})
                    for quantity, declared_sizes in map(from_json, items)}
    shapes = {}
    for per, arrays in recorded.items():
        for name in arrays:
            if f"{per}.{name}" not in declarations:
                raise ValueError(f"{per}.{name} is recorded but not declared among the run's quantities")
            quantity, quantity_sizes = declarations[f"{per}.{name}"]
            shapes[quantity.key] = quantity.array_shape(rows[per], nets, quantity_sizes)
    return shapes


# --- what is recorded today ---------------------------------------------------------------------------

declare(Quantity("loss", "epoch", unit="squared_error", weights="before_update",
                 description="the training MSE of the weights the epoch starts from: full batch, as Keras reports it, "
                             "from the epoch's forward pass; with minibatches, of every training point"))
declare(Quantity("val_loss", "epoch", unit="squared_error", weights="after_update",
                 description="the held-out MSE after the epoch's update"))
declare(Quantity("grad_norm", "epoch", unit="squared_error", weights="before_update",
                 description="the norm of the net's gradient over all its weights, the one the epoch's update used"))
declare(Quantity("prediction", "frame", ("grid_points",), unit="y", description="the prediction on the grid"))
declare(Quantity("loss", "frame", unit="squared_error", description="the training MSE of exactly these weights"))
declare(Quantity("output_bias", "frame", unit="y",
                 description="the output's bias: with unit_contributions it sums to the prediction"))
declare(Quantity("distinct_units", "frame",
                 description="how many really different things the last hidden layer's units do over the training "
                             "points (the effective rank of their activations)"))
declare(Quantity("saturated_fraction", "frame", ("hidden_layers",),
                 description="each hidden layer's share of (unit, training point) pairs where the activation is "
                             "nearly flat"))
declare(Quantity("unit_contributions", "frame", ("units", "grid_points"), unit="y_part", first_net_only=True,
                 description="each last-layer unit's activation on the grid times its outgoing weight"))

# Recorded where the training regime needs them (loop_body.py says when).
declare(Quantity("batch_loss", "epoch", unit="squared_error", weights="over_epoch",
                 description="with minibatches, the batch-size-weighted mean of the batches' training MSE over the "
                             "epoch's steps: Keras's per-epoch loss without penalties"), always=False)
declare(Quantity("penalty", "epoch", unit="squared_error", weights="before_update",
                 description="the l1 and l2 penalty on the kernels that the objective adds to the training MSE"),
        always=False)
declare(Quantity("kernel_norm", "epoch", weights="before_update",
                 description="the norm of all the kernels' weights, which weight decay shrinks (biases excluded)"),
        always=False)
declare(Quantity("accuracy", "frame",
                 description="a classifier's share of the training points whose class it gets right"), always=False)
declare(Quantity("val_accuracy", "frame",
                 description="a classifier's share of the held-out points whose class it gets right"), always=False)
declare(Quantity("learning_rate", "epoch", weights="after_update",
                 description="the learning rate of the epoch's last step (a schedule's, counted in optimizer steps)"),
        always=False)

# Maps of many nets on a plane, over every net whose error is still finite, worked out once they are
# trained (seed_maps.py): the grid's prediction of each net would be 328 MB for 100 nets at 64 x 64
# points and 200 frames; these, with net 0's own map, are 13 MB.
MAPS_OVER_NETS = {
    "classification": ("mean_prediction", "disagreement"),
    "regression": ("median_prediction", "low_prediction", "high_prediction"),
}
for _name, _unit, _description in (
        ("mean_prediction", "y", "the mean over the nets of their output on the grid"),
        ("disagreement", "none", "the share of the nets whose class on the grid is not the majority's (0 to 0.5)"),
        ("median_prediction", "y", "the median over the nets of their prediction on the grid"),
        ("low_prediction", "y", "the 10th percentile over the nets of their prediction on the grid"),
        ("high_prediction", "y", "the 90th percentile over the nets of their prediction on the grid")):
    declare(Quantity(_name, "frame", ("grid_points",), unit=_unit, over_nets=True, description=_description),
            always=False)

# The path through the weights, from which curvature.py works out the curvature and the landscape
# after training: net 0's always (181 numbers a frame for the post's 1x60 net), every net's with
# record.curvature: all (as_recorded).
declare(Quantity("weights", "frame", ("parameters",), first_net_only=True,
                 description="every weight and bias of the net, layer by layer, each layer's kernel (inputs x "
                             "outputs, row by row) then its bias: the net's own, in the units it was trained in"))
declare(Quantity("second_moment", "frame", ("parameters",), first_net_only=True,
                 description="Adam's or RMSprop's running mean of the squared gradients, laid out as weights: what "
                             "scales each weight's step (the preconditioner)"), always=False)
declare(Quantity("optimizer_steps", "frame",
                 description="the optimizer's steps so far (Adam's bias correction counts them)"), always=False)
PATH = ("frame.weights", "frame.second_moment")
