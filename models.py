"""The tiny nets and their optimizers, built with Keras."""

from __future__ import annotations

import os

import numpy as np

# Keep TensorFlow's start-up chatter (CPU feature notices, oneDNN banners) off the terminal.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")


def _import_keras_quietly():
    """Import Keras and TensorFlow with their C++ start-up lines kept off the terminal.

    A few of those lines ("Could not find cuda drivers ...") are printed before TensorFlow's
    logging is set up, so TF_CPP_MIN_LOG_LEVEL cannot hide them; pointing file descriptor 2 at
    /dev/null while the libraries load does. Python errors still surface: they are raised after
    stderr is restored.
    """
    saved_stderr = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        import tensorflow  # noqa: F401
        import keras
    finally:
        os.dup2(saved_stderr, 2)
        os.close(saved_stderr)
        os.close(devnull)
    return keras


keras = _import_keras_quietly()


def build_mlp(hidden_layers: list[int], activation: str = "sigmoid", seed: int | None = None) -> keras.Model:
    """A fully connected net on one input: the hidden widths in order, then one linear output.

    Args:
        hidden_layers: widths of the hidden layers, for example [60] or [10, 10].
        activation: a Keras activation name for every hidden layer.
        seed: seeds the initial weights; the same seed always gives the same weights.
    """
    activation_function = _activation(activation)
    # Each layer gets its own integer seed drawn from the config's seed, so the whole net is fixed
    # by one number while its layers do not start from identical weights.
    layer_seeds = layer_initializer_seeds(seed, len(hidden_layers) + 1)
    layers = [keras.Input(shape=(1,))]
    for index, width in enumerate(hidden_layers):
        layers.append(
            keras.layers.Dense(
                width,
                activation=activation_function,
                kernel_initializer=keras.initializers.GlorotUniform(seed=layer_seeds[index]),
                name=f"hidden_{index + 1}",
            )
        )
    layers.append(
        keras.layers.Dense(1, kernel_initializer=keras.initializers.GlorotUniform(seed=layer_seeds[-1]), name="output")
    )
    name = "mlp_" + "x".join(str(width) for width in hidden_layers)
    return keras.Sequential(layers, name=name)


def layer_initializer_seeds(seed: int | None, num_layers: int) -> list[int | None]:
    """One initializer seed per Dense layer, all derived from one seed (None: unseeded)."""
    if seed is None:
        return [None] * num_layers
    return [int(value) for value in np.random.default_rng(seed).integers(0, 2**31 - 1, size=num_layers)]


def _activation(name: str):
    try:
        return keras.activations.get(name)
    except (ValueError, TypeError):
        valid = ", ".join(sorted(available_activations()))
        raise ValueError(f"unknown activation {name!r}; choose one of: {valid}") from None


def available_activations() -> list[str]:
    """Names of the element-wise activations Keras provides."""
    names = []
    for name in dir(keras.activations):
        if name.startswith("_") or name in ("get", "serialize", "deserialize", "softmax", "log_softmax"):
            continue
        if callable(getattr(keras.activations, name)):
            names.append(name)
    return names


def optimizer_classes() -> dict[str, type]:
    """Every Keras optimizer class, keyed by its lower-case name ('sgd', 'adam', ...)."""
    classes = {}
    for value in vars(keras.optimizers).values():
        if isinstance(value, type) and issubclass(value, keras.optimizers.Optimizer):
            if value is not keras.optimizers.Optimizer and not value.__name__.startswith("Loss"):
                classes[value.__name__.lower()] = value
    return classes


def build_optimizer(name: str, learning_rate: float, **options) -> keras.optimizers.Optimizer:
    """A Keras optimizer by name ('sgd', 'Adam', ...) with its learning rate and other arguments."""
    classes = optimizer_classes()
    optimizer_class = classes.get(name.lower())
    if optimizer_class is None:
        raise ValueError(f"unknown optimizer {name!r}; choose one of: {', '.join(sorted(classes))}")
    try:
        return optimizer_class(learning_rate=learning_rate, **options)
    except (TypeError, ValueError) as error:
        raise ValueError(f"optimizer {name!r} does not accept options {options}: {error}") from None


def parameter_counts(model: keras.Model) -> dict[str, int]:
    """Parameters as Keras counts them (weights and biases) and as the post counts them (weights only).

    The post calls both the 1x60 and the 2x10 net "120 parameters": 60 + 60 and 10 + 100 + 10
    connection weights. Keras adds one bias per unit: 181 and 141.
    """
    weights_only = sum(int(layer.kernel.shape[0]) * int(layer.kernel.shape[1]) for layer in model.layers)
    return {"keras": int(model.count_params()), "weights_only": weights_only}


def model_and_optimizer(config) -> tuple[keras.Model, keras.optimizers.Optimizer]:
    """The net and optimizer an ExperimentConfig describes, with weights fixed by its seed."""
    model = build_mlp(config.hidden_layers, config.activation, seed=config.seed)
    optimizer = build_optimizer(config.optimizer, config.learning_rate, **config.optimizer_options)
    return model, optimizer
