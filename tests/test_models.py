"""models.py: the nets (one, or a stack of nets each as if built alone) and their optimizers."""

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
