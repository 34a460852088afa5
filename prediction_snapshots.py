"""PredictionSnapshots: a plain Keras callback that records a run during model.fit(), the post's way.

It records the prediction on a grid and the losses, slowly (a model.predict a frame): it is the
reference the engine's loops (engine.py) are tested and benchmarked against, and the way to
record a run from any Keras training code.
"""

from __future__ import annotations

import numpy as np

from models import keras
from recording import Recording, first_non_finite_epochs


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
