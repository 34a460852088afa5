"""models.py: the nets (one, or a stack of nets each as if built alone) and their optimizers."""

import re

import numpy as np
import pytest

import config as config_module
import models
from conftest import shipped_files


@pytest.mark.parametrize("widths, keras_count", [([60], 181), ([10, 10], 141)])
def test_parameter_counts_as_keras_and_as_the_post_count_them(widths, keras_count):
    counts = models.parameter_counts(models.build_mlp(widths, "sigmoid", seed=0))
    assert counts == {"keras": keras_count, "weights_only": 120}


def test_any_list_of_widths_builds_with_a_linear_output():
    model = models.build_mlp([3, 4, 5], "tanh", seed=0)
    assert [layer.units for layer in model.layers] == [3, 4, 5, 1]
    assert model.layers[-1].activation.__name__ == "linear"
    assert model(np.zeros((7, 1), np.float32)).shape == (7, 1)


def test_same_seed_same_weights_other_seed_other_weights():
    first = models.build_mlp([10, 10], seed=5).get_weights()
    again = models.build_mlp([10, 10], seed=5).get_weights()
    other = models.build_mlp([10, 10], seed=6).get_weights()
    for a, b in zip(first, again):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(first[0], other[0])


def test_layers_do_not_share_initial_weights():
    weights = models.build_mlp([10, 10, 10], seed=0).get_weights()
    assert not np.array_equal(weights[2], weights[4])


def test_optimizers_by_name_with_options():
    sgd = models.build_optimizer("SGD", 0.05, momentum=0.9)
    assert type(sgd).__name__ == "SGD"
    assert float(sgd.learning_rate) == pytest.approx(0.05) and sgd.momentum == 0.9
    assert type(models.build_optimizer("adam", 0.01)).__name__ == "Adam"


def test_unknown_names_list_the_valid_ones():
    with pytest.raises(ValueError, match="unknown optimizer 'adamm'; choose one of: .*adam.*sgd"):
        models.build_optimizer("adamm", 0.01)
    with pytest.raises(ValueError, match="unknown activation 'sigmoidal'; choose one of: .*sigmoid"):
        models.build_mlp([3], "sigmoidal")
    with pytest.raises(ValueError, match="does not accept options"):
        models.build_optimizer("adam", 0.01, momentum=0.9)


def test_every_name_a_config_accepts_exists_in_keras():
    assert set(config_module.OPTIMIZERS) <= set(models.optimizer_classes())
    assert set(config_module.ACTIVATIONS) <= set(models.available_activations())


@pytest.mark.parametrize("path", shipped_files()[0], ids=lambda path: path.name)
def test_every_shipped_experiment_builds(path):
    config = config_module.load_config(path)
    model, optimizer = models.model_and_optimizer(config)
    assert [layer.units for layer in model.layers[:-1]] == config.hidden_layers
    assert float(optimizer.learning_rate) == pytest.approx(config.learning_rate)


@pytest.mark.parametrize("seeds", [1, 3])
def test_a_config_with_several_seeds_builds_a_stack_split_as_the_config_says(small_config, seeds):
    model, optimizer = models.model_and_optimizer(small_config.model_copy(update={"seeds": seeds, "seed": 4}))
    assert getattr(model, "members", 1) == seeds
    assert len(models.parts_of(model)) == config_module.stack_parts(seeds)
    assert models.parameter_counts(model) == {"keras": 141, "weights_only": 120}
    x = np.linspace(-3, 3, 20, dtype=np.float32)[:, None]
    outputs = np.asarray(model(x)).reshape(seeds, len(x))
    for net in range(seeds):
        single = models.build_mlp(small_config.hidden_layers, small_config.activation, seed=4 + net)
        np.testing.assert_allclose(outputs[net], np.asarray(single(x))[:, 0], rtol=1e-5, atol=1e-6)


# --- stacks of nets ------------------------------------------------------------------------------

def test_each_net_of_a_stack_starts_from_the_weights_of_a_single_net_with_its_seed():
    stack = models.build_stacked_mlp([10, 10], "sigmoid", [3, 4, 5])
    for net, seed in enumerate([3, 4, 5]):
        single = models.build_mlp([10, 10], "sigmoid", seed=seed).get_weights()
        stacked = [weights[net] for weights in stack.get_weights()]
        for ours, theirs in zip(stacked, single):
            np.testing.assert_array_equal(ours, theirs)


def test_a_stack_is_split_into_parts_with_the_same_nets_in_order():
    whole = models.build_stacked_mlp([10, 10], "sigmoid", [3, 4, 5])
    split = models.build_stacked_mlp([10, 10], "sigmoid", [3, 4, 5], parts=2)
    assert [part.members for part in models.parts_of(split)] == [2, 1] and models.parts_of(whole) == [whole]
    assert split.members == whole.members == 3
    x = np.linspace(-3, 3, 50, dtype=np.float32)[:, None]
    np.testing.assert_allclose(split(x).numpy(), whole(x).numpy(), rtol=1e-6, atol=1e-6)
    assert models.parameter_counts(split) == models.parameter_counts(whole) == {"keras": 141, "weights_only": 120}
    with pytest.raises(ValueError, match="cannot split 3 nets into 4 parts"):
        models.build_stacked_mlp([10, 10], "sigmoid", [3, 4, 5], parts=4)
    with pytest.raises(ValueError, match="unknown activation 'sigmoidal'"):
        models.build_stacked_mlp([10, 10], "sigmoidal", [3, 4, 5])


def test_each_optimizers_options_are_its_keras_arguments_and_their_defaults_are_allowed():
    """config.OPTIMIZER_OPTIONS (checked before TensorFlow starts) names exactly the keyword
    arguments each Keras optimizer takes besides learning_rate, with Keras's defaults (an option
    given at its default changes no run's name), and each default is within range."""
    import inspect

    for name, optimizer_class in models.optimizer_classes().items():
        if name not in config_module.OPTIMIZER_OPTIONS:
            continue
        parameters = {parameter.name: parameter.default
                      for parameter in inspect.signature(optimizer_class.__init__).parameters.values()
                      if parameter.name not in ("self", "learning_rate", "name", "kwargs")}
        rules = config_module.option_rules(name)
        assert set(parameters) == set(rules), name
        assert {option: rule.default for option, rule in rules.items()} == parameters, name
        defaults = {option: value for option, value in parameters.items() if value is not None}
        assert config_module.checked_options(name, defaults).keys() == defaults.keys(), name


# --- the settings of issue 22 built in Keras -----------------------------------------------------

def test_each_schedule_names_exactly_the_keras_class_arguments_with_their_defaults():
    """config.SCHEDULES (checked before TensorFlow starts) names each Keras schedule's arguments
    but name, those without a Keras default as required, and Keras's defaults as its own."""
    import inspect

    for name, rule in config_module.SCHEDULES.items():
        keras_class = getattr(models.keras.optimizers.schedules, rule.keras_class)
        parameters = {parameter.name: parameter.default
                      for parameter in inspect.signature(keras_class.__init__).parameters.values()
                      if parameter.name not in ("self", "name")}
        assert list(parameters) == list(rule.arguments), name
        assert [argument for argument, default in parameters.items() if default is inspect.Parameter.empty] == \
            list(rule.required), name
        assert {argument: default for argument, default in parameters.items() if argument not in rule.required} == \
            {argument: option.default for argument, option in rule.arguments.items() if argument not in rule.required}, name
        assert name == "_".join(part.lower() for part in re.findall(r"[A-Z][a-z]+", rule.keras_class)), name


@pytest.mark.parametrize("learning_rate", [
    {"schedule": "cosine_decay", "initial_learning_rate": 0.1, "decay_steps": 200, "alpha": 0.1,
     "warmup_target": 0.2, "warmup_steps": 10},
    {"schedule": "exponential_decay", "initial_learning_rate": 0.1, "decay_steps": 10, "decay_rate": 0.9, "staircase": True},
    {"schedule": "piecewise_constant_decay", "boundaries": [10, 20], "values": [0.1, 0.01, 0.001]},
    {"schedule": "polynomial_decay", "initial_learning_rate": 0.1, "decay_steps": 100, "power": 2},
    {"schedule": "inverse_time_decay", "initial_learning_rate": 0.1, "decay_steps": 10, "decay_rate": 0.5},
    {"schedule": "cosine_decay_restarts", "initial_learning_rate": 0.1, "first_decay_steps": 30, "t_mul": 1.5},
])
def test_a_schedule_is_the_keras_schedule_with_those_arguments(learning_rate):
    config = config_module.validate({"learning_rate": learning_rate})
    ours = models.learning_rate_schedule(config)
    keras_class = getattr(models.keras.optimizers.schedules, config_module.SCHEDULES[learning_rate["schedule"]].keras_class)
    theirs = keras_class(**{key: value for key, value in learning_rate.items() if key != "schedule"})
    assert type(ours) is keras_class
    config_without_name = {key: value for key, value in ours.get_config().items() if key != "name"}
    assert config_without_name == {key: value for key, value in theirs.get_config().items() if key != "name"}
    for step in (0, 5, 15, 25, 150):
        assert float(ours(step)) == pytest.approx(float(theirs(step)), rel=1e-6)
    _, optimizer = models.model_and_optimizer(config)
    assert optimizer._learning_rate is ours or type(optimizer._learning_rate) is keras_class
    assert float(optimizer.learning_rate) == pytest.approx(float(theirs(0)), rel=1e-6)
    assert config_module.initial_learning_rate(config) == pytest.approx(float(theirs(0)), rel=1e-6)


def test_a_number_is_still_the_learning_rate_itself():
    config = config_module.validate({"learning_rate": 0.05})
    assert models.learning_rate_schedule(config) == 0.05


def _todays_weights(widths, seed):
    """The initial weights e70a690's build_mlp gave: GlorotUniform per layer, seeded per layer."""
    seeds = models.layer_initializer_seeds(seed, len(widths) + 1)
    weights, inputs = [], 1
    for width, layer_seed in zip(list(widths) + [1], seeds):
        kernel = models.keras.initializers.GlorotUniform(seed=layer_seed)(shape=(inputs, width))
        weights += [np.asarray(kernel), np.zeros(width, np.float32)]
        inputs = width
    return weights


def test_with_default_settings_the_initial_weights_are_todays():
    for widths, seed in (([10, 10], 0), ([60], 7), ([3, 4, 5], 123)):
        for ours, today in zip(models.build_mlp(widths, "sigmoid", seed=seed).get_weights(), _todays_weights(widths, seed)):
            np.testing.assert_array_equal(ours, today)
    config = config_module.validate({"seeds": 3, "seed": 5})
    model, _ = models.model_and_optimizer(config)
    stacked = [weights for part in models.parts_of(model) for weights in part.get_weights()]
    by_net = [[layer_weights[net] for layer_weights in stacked[:6]] for net in range(2)]  # part 1 holds nets 0 and 1
    for net, weights in enumerate(by_net):
        for ours, today in zip(weights, _todays_weights([10, 10], 5 + net)):
            np.testing.assert_array_equal(ours, today)


@pytest.mark.parametrize("name", config_module.INITIALIZERS)
def test_each_initializer_exists_in_keras_and_a_stack_starts_as_single_nets_do(name):
    stack = models.build_stacked_mlp([4, 3], "tanh", [3, 4], kernel_initializer=name)
    for net, seed in enumerate([3, 4]):
        single = models.build_mlp([4, 3], "tanh", seed=seed, kernel_initializer=name).get_weights()
        for ours, theirs in zip([weights[net] for weights in stack.get_weights()], single):
            np.testing.assert_array_equal(ours, theirs)
    again = models.build_mlp([4, 3], "tanh", seed=3, kernel_initializer=name).get_weights()
    np.testing.assert_array_equal(again[0], models.build_mlp([4, 3], "tanh", seed=3, kernel_initializer=name).get_weights()[0])
    with pytest.raises(ValueError, match="unknown kernel_initializer 'nonsense'"):
        models.build_mlp([3], seed=0, kernel_initializer="nonsense")


def test_sin_and_per_layer_activations_build_for_one_net_and_a_stack():
    x = np.linspace(-3, 3, 11, dtype=np.float32)[:, None]
    np.testing.assert_allclose(np.asarray(models.activation_function("sin")(x)), np.sin(x), rtol=1e-6, atol=1e-7)
    assert models.StackedDense(3, [0], activation="sin").activation is models.activation_function("sin")
    assert models.keras.layers.Dense(3, activation=models.activation_function("sin")).activation.__name__ == "sin"
    net = models.build_mlp([4, 3], ["relu", "sin"], seed=2)
    assert [layer.activation.__name__ for layer in net.layers] == ["relu", "sin", "linear"]
    stack = models.build_stacked_mlp([4, 3], ["relu", "sin"], [2, 3])
    assert [layer.activation.__name__ for layer in stack.layers[1:4]] == ["relu", "sin", "linear"]
    outputs = np.asarray(stack(x)).reshape(2, len(x))
    np.testing.assert_allclose(outputs[0], np.asarray(net(x))[:, 0], rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="activation lists 1 names but there are 2 hidden layers"):
        models.build_mlp([4, 3], ["relu"], seed=2)
    with pytest.raises(ValueError, match="unknown activation 'sigmoidal'"):
        models.build_stacked_mlp([4, 3], ["relu", "sigmoidal"], [2, 3])


@pytest.mark.parametrize("seeds", [1, 3])
@pytest.mark.parametrize("optimizer, weight_decay", [("sgd", 0.1), ("adam", 0.1), ("adamw", None)])
def test_weight_decay_shrinks_the_kernels_and_leaves_the_biases(seeds, optimizer, weight_decay):
    config = config_module.validate({"seeds": seeds, "optimizer": optimizer, "weight_decay": weight_decay,
                                     "learning_rate": 0.5, "activation": ["relu", "tanh"]})
    model, built = models.model_and_optimizer(config)
    assert built.weight_decay == pytest.approx(0.004 if weight_decay is None else weight_decay)
    variables = model.trainable_variables
    for variable in variables:  # biases that are not zero, so that a decay would show
        variable.assign(variable + 0.5)
    before = [models.keras.ops.convert_to_numpy(variable) for variable in variables]
    for _ in range(3):
        built.apply_gradients([(models.keras.ops.zeros_like(variable), variable) for variable in variables])
    for variable, start in zip(variables, before):
        if variable.name == "bias":
            np.testing.assert_array_equal(models.keras.ops.convert_to_numpy(variable), start)
        else:
            assert variable.name == "kernel"
            assert np.all(np.abs(models.keras.ops.convert_to_numpy(variable)) < np.abs(start))


def test_without_weight_decay_no_optimizer_but_adamw_decays():
    _, optimizer = models.model_and_optimizer(config_module.validate({"optimizer": "sgd"}))
    assert optimizer.weight_decay is None
