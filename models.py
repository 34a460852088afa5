"""The tiny nets and their optimizers, built with Keras."""

from __future__ import annotations

import os

import numpy as np

from config import STACK_PARTS, keras_arguments, stack_parts  # noqa: F401  (models.STACK_PARTS: the README names it)

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
        import tensorflow
        import keras

        # Its Python-side warnings too (for example about retracing, which is expected when a
        # study trains one model after another in one process).
        tensorflow.get_logger().setLevel("ERROR")
    finally:
        os.dup2(saved_stderr, 2)
        os.close(saved_stderr)
        os.close(devnull)
    return keras


keras = _import_keras_quietly()


@keras.saving.register_keras_serializable(package="tiny_nets", name="sin")
def sin(x):
    """The sine as an activation: periodic units (TF Playground's sin, SIREN's), not in Keras."""
    return keras.ops.sin(x)


# Activations a config may name that Keras does not have (config.ACTIVATIONS lists them with Keras's).
OWN_ACTIVATIONS = {"sin": sin}


def activation_function(name: str):
    """The element-wise function an activation name (config.ACTIVATIONS) stands for."""
    if name in OWN_ACTIVATIONS:
        return OWN_ACTIVATIONS[name]
    try:
        return keras.activations.get(name)
    except (ValueError, TypeError):
        valid = ", ".join(sorted(available_activations()))
        raise ValueError(f"unknown activation {name!r}; choose one of: {valid}") from None


def layer_activations(activation: str | list[str], hidden_layers: list[int]) -> list[str]:
    """One activation name per hidden layer, from one name for all or a list of one per layer."""
    if isinstance(activation, str):
        return [activation] * len(hidden_layers)
    if len(activation) != len(hidden_layers):
        raise ValueError(f"activation lists {len(activation)} names but there are {len(hidden_layers)} hidden layers")
    return list(activation)


def seeded_initializer(name: str, seed: int | None):
    """A Keras initializer by name (config.INITIALIZERS), seeded."""
    try:
        initializer_class = type(keras.initializers.get(name))
    except (ValueError, TypeError):
        raise ValueError(f"unknown kernel_initializer {name!r}") from None
    return initializer_class(seed=seed)


def build_mlp(hidden_layers: list[int], activation: str | list[str] = "sigmoid", seed: int | None = None,
              kernel_initializer: str = "glorot_uniform", inputs: int = 1, output_activation: str | None = None
              ) -> keras.Model:
    """A fully connected net: `inputs` inputs, the hidden widths in order, then one output, linear
    unless output_activation names another (Playground's classifiers: tanh).

    Args:
        hidden_layers: widths of the hidden layers, for example [60] or [10, 10].
        activation: an activation name for every hidden layer, or a list of one per hidden layer.
        seed: seeds the initial weights; the same seed always gives the same weights.
        kernel_initializer: how every layer's kernel starts (the biases start at zero).
    """
    functions = [activation_function(name) for name in layer_activations(activation, hidden_layers)]
    # Each layer gets its own integer seed drawn from the config's seed, so the whole net is fixed
    # by one number while its layers do not start from identical weights.
    layer_seeds = layer_initializer_seeds(seed, len(hidden_layers) + 1)
    layers = [keras.Input(shape=(inputs,))]
    for index, width in enumerate(hidden_layers):
        layers.append(
            keras.layers.Dense(
                width,
                activation=functions[index],
                kernel_initializer=seeded_initializer(kernel_initializer, layer_seeds[index]),
                name=f"hidden_{index + 1}",
            )
        )
    layers.append(
        keras.layers.Dense(1, activation=output_activation,
                           kernel_initializer=seeded_initializer(kernel_initializer, layer_seeds[-1]), name="output")
    )
    name = "mlp_" + "x".join(str(width) for width in hidden_layers)
    return keras.Sequential(layers, name=name)


def layer_initializer_seeds(seed: int | None, num_layers: int) -> list[int | None]:
    """One initializer seed per Dense layer, all derived from one seed (None: unseeded)."""
    if seed is None:
        return [None] * num_layers
    return [int(value) for value in np.random.default_rng(seed).integers(0, 2**31 - 1, size=num_layers)]


def available_activations() -> list[str]:
    """Names of the element-wise activations Keras provides, and ours (OWN_ACTIVATIONS)."""
    names = list(OWN_ACTIVATIONS)
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


def learning_rate_schedule(config):
    """The learning rate an ExperimentConfig gives the optimizer: its number, or the Keras
    schedule object its mapping names ({schedule: cosine_decay, ...} -> CosineDecay(...))."""
    if not isinstance(config.learning_rate, dict):
        return config.learning_rate
    class_name, arguments = keras_arguments(config.learning_rate)
    return getattr(keras.optimizers.schedules, class_name)(**arguments)


def build_optimizer(
    name: str, learning_rate, weight_decay: float | None = None, **options,
) -> keras.optimizers.Optimizer:
    """A Keras optimizer by name ('sgd', 'Adam', ...) with its learning rate (a number or a Keras
    schedule), its weight decay (None: the optimizer's default) and other arguments."""
    classes = optimizer_classes()
    optimizer_class = classes.get(name.lower())
    if optimizer_class is None:
        raise ValueError(f"unknown optimizer {name!r}; choose one of: {', '.join(sorted(classes))}")
    if weight_decay is not None:
        options = {**options, "weight_decay": weight_decay}
    try:
        optimizer = optimizer_class(learning_rate=learning_rate, **options)
    except (TypeError, ValueError) as error:
        raise ValueError(f"optimizer {name!r} does not accept options {options}: {error}") from None
    return biases_not_decayed(optimizer)


def biases_not_decayed(optimizer: keras.optimizers.Optimizer) -> keras.optimizers.Optimizer:
    """The optimizer, its weight decay (if any) kept off the biases.

    Decay shrinks the kernels only, never the biases: whenever decay applies, which is also when
    it was not asked for (adamw decays by 0.004 by default). Keras matches the pattern against
    each variable's own name: "bias" in a Dense layer and in StackedDense alike. The exclusion is
    not part of an optimizer's config: a copy made from its config needs it again.
    """
    if optimizer.weight_decay is not None:
        optimizer.exclude_from_weight_decay(var_names=["bias"])
    return optimizer


def optimizer_copy(optimizer: keras.optimizers.Optimizer) -> keras.optimizers.Optimizer:
    """A fresh optimizer of the same settings (its own step count and state), biases undecayed."""
    return biases_not_decayed(type(optimizer).from_config(optimizer.get_config()))


def parameter_counts(model: keras.Model) -> dict[str, int]:
    """Parameters as Keras counts them (weights and biases) and as the post counts them (weights only).

    The post calls both the 1x60 and the 2x10 net "120 parameters": 60 + 60 and 10 + 100 + 10
    connection weights. Keras adds one bias per unit: 181 and 141.
    """
    # For a stack of nets, the counts are of one member.
    members = getattr(model, "members", 1)
    kernels = [layer.kernel for part in parts_of(model) for layer in part.layers if hasattr(layer, "kernel")]
    weights_only = sum(int(np.prod(kernel.shape)) for kernel in kernels) // members
    return {"keras": int(model.count_params()) // members, "weights_only": weights_only}


class StackedDense(keras.layers.Layer):
    """`members` independent Dense layers computed as one: kernel (members, in, out).

    Member m's kernel starts exactly as a Dense layer's would with the initializer named
    kernel_initializer and seed kernel_seeds[m] (the fans are those of one (in, out) kernel,
    not of the rank-3 stack), and its bias at zero.
    Nothing mixes members: each output row depends only on that member's weights.

    It takes the shared (batch, in) data or a (members, in, batch) stack of activations, and
    returns (members, out, batch). Keeping the batch axis last makes each net's product a small
    (out, in) x (in, batch) matrix product along the long, contiguous axis: under XLA a step
    takes a fifth less time than with (batch, in) x (in, out).
    """

    def __init__(self, units: int, kernel_seeds: list[int], activation=None,
                 kernel_initializer: str = "glorot_uniform", **kwargs):
        super().__init__(**kwargs)
        self.units, self.kernel_seeds = units, list(kernel_seeds)
        self.kernel_initializer = kernel_initializer
        self.activation = keras.activations.get(None) if activation is None else (
            activation_function(activation) if isinstance(activation, str) else activation)

    def build(self, input_shape):
        inputs = int(input_shape[-1] if len(input_shape) == 2 else input_shape[1])
        members = len(self.kernel_seeds)
        initial = np.stack([
            keras.ops.convert_to_numpy(seeded_initializer(self.kernel_initializer, seed)(shape=(inputs, self.units)))
            for seed in self.kernel_seeds
        ])
        self.kernel = self.add_weight(
            name="kernel", shape=(members, inputs, self.units), initializer=keras.initializers.Constant(initial),
        )
        self.bias = self.add_weight(name="bias", shape=(members, self.units), initializer="zeros")

    def call(self, inputs):
        pattern = "bi,mio->mob" if len(inputs.shape) == 2 else "mib,mio->mob"
        return self.activation(keras.ops.einsum(pattern, inputs, self.kernel) + self.bias[:, :, None])


def build_stacked_mlp(hidden_layers: list[int], activation: str | list[str], member_seeds: list[int], parts: int = 1,
                      kernel_initializer: str = "glorot_uniform", inputs: int = 1,
                      output_activation: str | None = None) -> keras.Model:
    """len(member_seeds) copies of build_mlp(hidden_layers, activation, seed, kernel_initializer)
    trained as one model.

    Input (batch, inputs), output (members, batch, 1). Member m starts from exactly the weights
    build_mlp(..., seed=member_seeds[m]) would have.

    With parts > 1 the nets are split, in order, into that many stacks with weights of their own
    (`parts_of(model)`; the model's output joins theirs), so that the engine can train the parts
    at the same time, each on a thread of its own (config.stack_parts says how many).
    """
    for name in layer_activations(activation, hidden_layers):
        activation_function(name)  # the same error as build_mlp for an unknown name
    if not 1 <= parts <= len(member_seeds):
        raise ValueError(f"cannot split {len(member_seeds)} nets into {parts} parts")
    name = f"{len(member_seeds)}_seeds_of_mlp_" + "x".join(map(str, hidden_layers))
    if parts == 1:
        model = _stack_of_nets(hidden_layers, activation, member_seeds, name, kernel_initializer, inputs,
                               output_activation)
    else:
        model_parts = [
            _stack_of_nets(hidden_layers, activation, [int(seed) for seed in seeds], f"part_{index + 1}_of_{parts}",
                           kernel_initializer, inputs, output_activation)
            for index, seeds in enumerate(np.array_split(np.asarray(member_seeds), parts))
        ]
        given = keras.Input(shape=(inputs,))
        model = keras.Model(given, keras.ops.concatenate([part(given) for part in model_parts], axis=0), name=name)
        model.members = len(member_seeds)
    return model


def _stack_of_nets(hidden_layers: list[int], activation: str | list[str], member_seeds: list[int], name: str,
                   kernel_initializer: str = "glorot_uniform", inputs: int = 1,
                   output_activation: str | None = None) -> keras.Model:
    layer_seeds = [layer_initializer_seeds(seed, len(hidden_layers) + 1) for seed in member_seeds]
    activations = layer_activations(activation, hidden_layers)
    given = keras.Input(shape=(inputs,))
    outputs = given
    for index, width in enumerate(list(hidden_layers) + [1]):
        outputs = StackedDense(
            width, [seeds[index] for seeds in layer_seeds],
            activation=activations[index] if index < len(hidden_layers) else output_activation,
            kernel_initializer=kernel_initializer,
            name=f"hidden_{index + 1}" if index < len(hidden_layers) else "output",
        )(outputs)
    # (members, 1, batch) -> (members, batch, 1): each net's output as a Dense net's, stacked.
    model = keras.Model(given, keras.ops.transpose(outputs, [0, 2, 1]), name=name)
    model.members = len(member_seeds)
    return model


def output_activation(config) -> str | None:
    """The output layer's activation: tanh for Playground's classifier (squared error on ±1), else none."""
    return "tanh" if config.classifies and config.classification_loss == "squared_error" else None


def parts_of(model: keras.Model) -> list[keras.Model]:
    """The stacks of nets a model is trained as: its parts (see build_stacked_mlp), or [model]."""
    return [layer for layer in model.layers if isinstance(layer, keras.Model)] or [model]


def model_and_optimizer(config) -> tuple[keras.Model, keras.optimizers.Optimizer]:
    """The net (or stack of nets, with seeds > 1) and optimizer an ExperimentConfig describes: its
    activations, initializer, learning rate or schedule, and weight decay (on the kernels only).
    The l1 and l2 penalties are the training loop's to add to the loss."""
    # A classifier's output is its logit (cross_entropy: the loss and the map apply the sigmoid,
    # as Keras's from_logits does), or Playground's tanh.
    shape = {"kernel_initializer": config.kernel_initializer, "inputs": config.inputs,
             "output_activation": output_activation(config)}
    if config.seeds > 1:
        model = build_stacked_mlp(config.hidden_layers, config.activations, config.member_seeds,
                                  parts=stack_parts(config.seeds), **shape)
    else:
        model = build_mlp(config.hidden_layers, config.activations, seed=config.seed, **shape)
    optimizer = build_optimizer(config.optimizer, learning_rate_schedule(config), weight_decay=config.weight_decay,
                                **config.optimizer_options)
    return model, optimizer
