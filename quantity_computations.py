"""Where each recorded quantity's computation is registered, by when it is computed (see
loop_body.py, which holds the computations and the loop body that runs them), and FrameWeights,
what a described quantity is computed from.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, NamedTuple

import quantities


# --- the registries --------------------------------------------------

def _always(body: object) -> bool:
    return True


@dataclass(frozen=True)
class Computation:
    """How a declared quantity is computed, and whether a loop body records it (records(body))."""

    compute: Callable
    records: Callable[[object], bool] = _always


# Keyed by the declaration's name ("epoch.val_loss"), in the order they are computed.
EPOCH_COMPUTATIONS: dict[str, Computation] = {}  # compute(body, epoch: Epoch) -> (nets,)
FRAME_COMPUTATIONS: dict[str, Computation] = {}  # compute(body) -> (nets, ...)
DESCRIBED_COMPUTATIONS: dict[str, Computation] = {}  # compute(body, frame: FrameWeights) -> (nets or 1, ...)


def _registrar(registry: dict, per: str, first_net_only_allowed: bool):
    def register(key: str, records: Callable[[object], bool] = _always):
        """Register the decorated function as the computation of the quantity declared as `key`."""
        quantity = quantities.DECLARED.get(key)
        if quantity is None or quantity.per != per:
            raise ValueError(f"{key} is not a declared per-{per} quantity: declare it in quantities.py")
        if quantity.first_net_only and not first_net_only_allowed:
            # A stack's parts are merged along the nets axis; net 0's alone is worked out afterwards.
            raise ValueError(f"{key}: a quantity of the first net only is a described one")

        def add(compute: Callable) -> Callable:
            registry[key] = Computation(compute, records)
            return compute
        return add
    return register


epoch_quantity = _registrar(EPOCH_COMPUTATIONS, "epoch", first_net_only_allowed=False)
frame_quantity = _registrar(FRAME_COMPUTATIONS, "frame", first_net_only_allowed=False)
described_quantity = _registrar(DESCRIBED_COMPUTATIONS, "frame", first_net_only_allowed=True)


class FrameWeights(NamedTuple):
    """What a described quantity is computed from: one frame's weights of every net."""

    layers: list  # each layer's (kernels (nets, in, out), biases (nets, out)), the output's last
    pre_activations: list  # each hidden layer's pre-activations at the training points, (nets, units, points)
    rows: object  # the weights as one row a net, (nets, weights): WEIGHTS
    second_moments: object  # the optimizer's second moments laid out as rows, or None (SECOND_MOMENTS)
