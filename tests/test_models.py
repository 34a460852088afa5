from pathlib import Path

import numpy as np
import pytest

import config as config_module
import models
from conftest import shipped_files

ROOT = Path(__file__).resolve().parent.parent


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
