import math
from pathlib import Path

import pytest

import config as config_module
from config import ConfigError, load_config, validate

ROOT = Path(__file__).resolve().parent.parent
from conftest import shipped_files  # noqa: E402

EXPERIMENTS, STUDIES = shipped_files()


def write(tmp_path, text, name="experiment.yaml"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_defaults_are_the_posts_setting():
    config = validate({})
    assert config.n_samples == 200 and config.noise_std == 0.2
    assert config.x_min == 0.0 and math.isclose(config.x_max, 2 * math.pi)
    assert config.activation == "sigmoid" and config.learning_rate == 0.01
    assert math.isclose(config.noise_floor, 0.04)


@pytest.mark.parametrize("path", EXPERIMENTS, ids=lambda path: path.name)
def test_every_shipped_experiment_loads(path):
    config = load_config(path)
    assert config.name == path.stem


@pytest.mark.parametrize("path", STUDIES, ids=lambda path: path.name)
def test_every_shipped_study_loads_with_its_experiments(path):
    import study

    settings, experiments = study.load_study(path)
    assert settings.seeds >= 1 and experiments


def test_the_four_post_experiments_are_shipped():
    names = {path.stem for path in EXPERIMENTS}
    assert {"sgd_1x60", "sgd_2x10", "adam_1x60", "adam_2x10"} <= names
    for name in ("sgd_1x60", "sgd_2x10", "adam_1x60", "adam_2x10"):
        config = load_config(ROOT / "experiments" / f"{name}.yaml")
        assert config.epochs == 20000
        assert config.hidden_layers == ([60] if name.endswith("1x60") else [10, 10])
        assert config.optimizer == name.split("_")[0]


def test_file_sets_only_what_it_names(tmp_path):
    config = load_config(write(tmp_path, "epochs: 123\n"))
    assert config.epochs == 123
    assert config.hidden_layers == [10, 10]
    assert config.name == "experiment"


def test_overrides_apply_over_the_file_including_nested_keys(tmp_path):
    path = write(tmp_path, "epochs: 123\noptimizer: sgd\n")
    config = load_config(path, ["epochs=2000", "learning_rate=0.05", "render.fps=10", "hidden_layers=[4, 4, 4]",
                                "optimizer_options.momentum=0.9", "name=my_run"])
    assert config.epochs == 2000 and config.learning_rate == 0.05
    assert config.render.fps == 10 and config.hidden_layers == [4, 4, 4]
    assert config.optimizer_options == {"momentum": 0.9}
    assert config.name == "my_run"


def test_optimizer_and_activation_names_are_case_insensitive():
    config = validate({"optimizer": "Adam", "activation": "TANH"})
    assert config.optimizer == "adam" and config.activation == "tanh"


@pytest.mark.parametrize(
    "raw, expected",
    [
        ({"epoch": 10}, "unknown key 'epoch' (did you mean 'epochs'?)"),
        ({"render": {"fsp": 10}}, "unknown key 'render.fsp' (did you mean 'render.fps'?)"),
        ({"epochs": "many"}, "epochs: Input should be a valid integer"),
        ({"hidden_layers": "60"}, "hidden_layers: Input should be a valid list"),
        ({"hidden_layers": [1.5]}, "hidden_layers.0: Input should be a valid integer"),
        ({"hidden_layers": []}, "hidden_layers: List should have at least 1 item"),
        ({"hidden_layers": [10, 0]}, "every layer width must be a whole number greater than 0"),
        ({"epochs": 0}, "epochs: Input should be greater than 0"),
        ({"n_samples": -5}, "n_samples: Input should be greater than 0"),
        ({"learning_rate": 0}, "learning_rate: Input should be greater than 0"),
        ({"learning_rate": float("nan")}, "learning_rate: Input should be a finite number"),
        ({"noise_std": -0.1}, "noise_std: Input should be greater than or equal to 0"),
        ({"x_min": 3.0, "x_max": 1.0}, "x_min (3.0) must be less than x_max (1.0)"),
        ({"x_min": 1.0, "x_max": 1.0}, "must be less than x_max"),
        ({"optimizer": "adamm"}, "unknown optimizer 'adamm'; choose one of: sgd, adam"),
        ({"activation": "sigmoidal"}, "unknown activation 'sigmoidal'; choose one of: sigmoid"),
    ],
)
def test_mistakes_are_plain_sentences_naming_the_key(raw, expected):
    with pytest.raises(ConfigError) as error:
        validate(raw, source="my.yaml")
    message = str(error.value)
    assert expected in message
    assert message.startswith("my.yaml: ")
    assert "Traceback" not in message and "pydantic" not in message


def test_an_override_is_validated_like_the_file(tmp_path):
    with pytest.raises(ConfigError, match="epochs: Input should be a valid integer"):
        load_config(write(tmp_path, "epochs: 10\n"), ["epochs=lots"])
    with pytest.raises(ConfigError, match="unknown key 'learning_rat'"):
        load_config(write(tmp_path, "epochs: 10\n"), ["learning_rat=0.1"])
    with pytest.raises(ConfigError, match="expected key=value"):
        load_config(write(tmp_path, "epochs: 10\n"), ["epochs"])


@pytest.mark.parametrize(
    "text, expected",
    [
        ("", "is empty"),
        ("epochs: [1, 2\n", "is not valid YAML"),
        ("- 1\n- 2\n", "the top level must be a mapping"),
        ("just words\n", "the top level must be a mapping"),
    ],
)
def test_files_that_are_not_configs(tmp_path, text, expected):
    with pytest.raises(ConfigError, match=expected):
        load_config(write(tmp_path, text))


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(ConfigError, match="no such file"):
        load_config(tmp_path / "nope.yaml")
    with pytest.raises(ConfigError, match="is a directory"):
        load_config(tmp_path)


def test_resolved_config_round_trips_through_yaml():
    import yaml

    config = validate({"hidden_layers": [60], "optimizer": "sgd", "name": "x"})
    again = validate(yaml.safe_load(yaml.safe_dump(config_module.to_plain_dict(config))))
    assert again == config
