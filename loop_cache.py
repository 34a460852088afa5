"""The loops a process has built, kept for its next runs of the same shape (a study's worker), and
how a kept loop is started from a new run's model and optimizer.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Callable, Hashable

from engine import Loop
from models import optimizer_copy, parts_of


class LoopCache:
    """The loops a process has built, kept for its next runs of the same shape: a study's worker
    traces (and for a stack, compiles with XLA) each shape of cell once, not once a cell, which
    took longer than training a small cell (2.8 s against 1.4 s for 10 seeds of the 1x60 net).

    A loop is the same program for every run whose key is the same: the key must name everything
    the trace bakes in (the net's shape, the optimizer and its options, the data, the regime, what
    is recorded). What differs from run to run lives in variables: the weights, the optimizer's
    state and its learning rate (a Keras variable, unless it follows a schedule), which start_run
    copies from the run's own freshly built model and optimizer: the run's numbers are those of a
    loop built for it (tests/test_sweep.py checks them bit for bit).
    """

    def __init__(self, size: int = 6):
        self.size = size
        self.loops: OrderedDict[Hashable, Loop] = OrderedDict()

    def loop_for(self, key: Hashable, model, optimizer, build: Callable[[], Loop]) -> Loop:
        """The loop kept under key, started from model and optimizer (new, of the run to train);
        or, if none is kept, build() (a loop of model and optimizer), kept from now on."""
        loop = self.loops.get(key)
        if loop is None:
            loop = self.loops[key] = build()
            while len(self.loops) > self.size:
                self.loops.popitem(last=False)
            return loop
        self.loops.move_to_end(key)
        start_run(loop, model, optimizer)
        return loop


def start_run(loop: Loop, model, optimizer) -> None:
    """Put a kept loop in the state a loop built of model and optimizer (new, unbuilt) starts in:
    each part's weights, and its optimizer's variables (step count, slots, learning rate) as
    build_in_graph_loop would have built them; the loop's own state as new."""
    parts = parts_of(model)
    optimizers = [optimizer] + [optimizer_copy(optimizer) for _ in parts[1:]]
    for trainer, part, part_optimizer in zip(loop.trainers, parts, optimizers, strict=True):
        part_optimizer.build(part.trainable_variables)
        for pairs in ((trainer.model.variables, part.variables), (trainer.optimizer.variables, part_optimizer.variables)):
            for kept, fresh in zip(*pairs, strict=True):
                kept.assign(fresh)
    loop.start_again()
