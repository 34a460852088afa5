"""config.py: experiment files, overrides, and the plain one-line errors for every mistake."""

import math
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import config as config_module
from config import ConfigError, ExperimentConfig, load_config, validate

ROOT = Path(__file__).resolve().parent.parent
from conftest import ROOT, shipped_files  # noqa: E402
import studies  # noqa: E402

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


@pytest.mark.parametrize("path", EXPERIMENTS, ids=lambda path: path.name)
def test_every_shipped_experiment_loads_with_its_data(path, monkeypatch):
    import data

    config = load_config(path)
    assert config.name == path.stem
    monkeypatch.chdir(ROOT)  # a data_file is read from the current folder, as the README's commands run
    assert len(data.dataset_for(config).x_train) >= 10


@pytest.mark.parametrize("path", STUDIES, ids=lambda path: path.name)
def test_every_shipped_study_loads_with_its_experiments(path):
    settings, cells = studies.load_study(path)

    experiments = [cell.config for cell in cells]
    assert settings.seeds >= 1 and experiments
    assert all(experiment.seeds == settings.seeds for experiment in experiments)


def test_the_posts_study_is_its_four_experiments_over_50_seeds():
    settings, cells = studies.load_study(ROOT / "experiments" / "study_optimizer_vs_layers.yaml")

    experiments = [cell.config for cell in cells]
    assert settings.seeds == 50
    assert [experiment.name for experiment in experiments] == ["sgd_1x60", "sgd_2x10", "adam_1x60", "adam_2x10"]
    assert all(experiment.epochs == 20000 for experiment in experiments)


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
        ({"target": "__import__('os')"}, "target: \"__import__('os')\": '__import__' is not a function a target "
                                         "may call"),
        ({"target": "sine wave"}, "target: 'sine wave' is not an expression in x (a syntax error); built-in targets"),
        ({"target": "log(x)"}, "target 'log(x)' is not a finite number within ±1e+06 at x = 0; choose x_min and "
                               "x_max where it is"),
        ({"target": "exp(10 * x)", "x_min": -1.0}, "target 'exp(10 * x)' is not a finite number within ±1e+06 at x = "),
        ({"data_file": "p.csv", "noise_std": 0.1, "x_max": 3.0},
         "x_max, noise_std describe generated data, but the points come from data_file; remove them (or data_file)"),
        ({"data_file": "p.csv", "target": "square"}, "target describes generated data, but the points come from "
                                                     "data_file; remove it"),
        ({"validation_fraction": 0.3}, "validation_fraction applies only to points read from a file; set data_file"),
        ({"data_columns": ["a", "b"], "standardize": False}, "data_columns, standardize apply only to points read "
                                                              "from a file"),
        ({"data_file": "p.csv", "data_columns": ["a"]}, "data_columns: List should have at least 2 items"),
        ({"data_file": "p.csv", "data_columns": ["a", "a"]}, "data_columns: names one column twice"),
        ({"data_file": "p.csv", "validation_fraction": 0}, "validation_fraction: Input should be greater than 0"),
        ({"data_file": "p.csv", "validation_fraction": 0.95}, "validation_fraction: Input should be less than or "
                                                              "equal to 0.9"),
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


def test_a_number_is_a_constant_target_and_an_empty_data_file_is_refused():
    assert validate({"target": 3}).target == "3" and validate({"target": 0.5}).target == "0.5"
    with pytest.raises(ConfigError, match="data_file: is empty; give the path of a CSV file"):
        validate({"data_file": ""})


def test_a_data_file_in_a_config_file_is_found_beside_it_and_one_in_set_from_the_current_folder(tmp_path,
                                                                                                  monkeypatch):
    (tmp_path / "configs").mkdir()
    experiment = write(tmp_path / "configs", "data_file: ../data/points.csv\n")
    monkeypatch.chdir(tmp_path / "configs")
    assert load_config(experiment.name).data_file == "../data/points.csv"
    monkeypatch.chdir(tmp_path)
    assert load_config(Path("configs") / experiment.name).data_file == "data/points.csv"
    assert load_config(experiment).data_file == str(tmp_path / "data" / "points.csv")
    assert load_config(experiment, ["data_file=mine.csv"]).data_file == "mine.csv", "--set: from here"
    absolute = write(tmp_path, "data_file: /srv/points.csv\n", "absolute.yaml")
    assert load_config(absolute).data_file == "/srv/points.csv"


def test_a_target_is_checked_only_over_the_range_it_is_drawn_on():
    assert validate({"target": "log(x)", "x_min": 0.5}).target == "log(x)"
    assert validate({"target": "1 / (x - pi)"}).target == "1 / (x - pi)", "200 points and the grid miss x = π"


def test_a_resolved_config_holds_only_the_data_keys_of_its_source(tmp_path, monkeypatch):
    import yaml

    generated = config_module.to_plain_dict(validate({"target": "square"}))
    assert generated["target"] == "square" and not set(config_module.FILE_DATA_KEYS) & set(generated)
    monkeypatch.chdir(tmp_path)
    from_file = validate({"data_file": "points.csv", "validation_fraction": 0.3})
    plain = config_module.to_plain_dict(from_file)
    assert not set(config_module.GENERATED_DATA_KEYS) & set(plain)
    assert plain["data_file"] == str(tmp_path.resolve() / "points.csv"), "absolute: trainable again from anywhere"
    again = validate(yaml.safe_load(yaml.safe_dump(plain)))
    assert again.validation_fraction == 0.3 and again.model_copy(update={"data_file": "points.csv"}) == from_file


# --- numbers as people write them, duplicate keys -----------------------------------------------

@pytest.mark.parametrize("written, value", [("1e-3", 0.001), ("5E-2", 0.05), ("1e4", 10000.0), (".5", 0.5),
                                            ("1.5e-3", 0.0015), ("+2e-2", 0.02), ("0.01", 0.01), ("1", 1)])
def test_numbers_are_read_as_yaml_1_2_reads_them_in_files_and_in_set(tmp_path, written, value):
    config = load_config(write(tmp_path, f"learning_rate: {written}\n"))
    assert config.learning_rate == value and isinstance(config.learning_rate, float)
    assert load_config(write(tmp_path, "epochs: 10\n"), [f"learning_rate={written}"]).learning_rate == value
    assert load_config(write(tmp_path, "optimizer: sgd\n"), [f"optimizer_options.clipvalue={written}"]
                       ).optimizer_options["clipvalue"] == value


def test_only_numbers_change_booleans_and_strings_read_as_before():
    loaded = config_module.load_yaml("a: yes\nb: off\nc: '1e-3'\nd: 1e\ne: 0x10\nf: 1_000\ng: ~\nh: e5\ni: .inf\n")
    assert loaded == {"a": True, "b": False, "c": "1e-3", "d": "1e", "e": 16, "f": 1000, "g": None, "h": "e5",
                      "i": math.inf}


def test_a_whole_number_in_scientific_notation_is_accepted_for_an_integer_key(tmp_path):
    config = load_config(write(tmp_path, "epochs: 2e4\nframes: 1.5e2\nhidden_layers: [1e1, 20]\n"),
                         ["n_samples=1e3", "render.width_pixels=1e3"])
    assert config.epochs == 20000 and isinstance(config.epochs, int)
    assert config.frames == 150 and config.hidden_layers == [10, 20] and config.n_samples == 1000
    assert config.render.width_pixels == 1000 and isinstance(config.render.width_pixels, int)
    with pytest.raises(ConfigError, match="epochs: Input should be a valid integer, got 2.5"):
        load_config(write(tmp_path, "epochs: 2.5\n"))
    with pytest.raises(ConfigError, match="epochs: Input should be a valid integer"):
        validate({"epochs": True})


def test_a_study_file_reads_numbers_as_yaml_1_2_does(tmp_path):
    (tmp_path / "one.yaml").write_text("learning_rate: 5e-3\nepochs: 1e3\n")
    study_file = write(tmp_path, "seeds: 1e1\nexperiments: [one.yaml]\n", "numbers_study.yaml")
    settings, cells = studies.load_study(study_file, ["noise_std=1e-1"])
    experiments = [cell.config for cell in cells]
    assert settings.seeds == 10 and experiments[0].learning_rate == 0.005 and experiments[0].epochs == 1000
    assert experiments[0].noise_std == 0.1


@pytest.mark.parametrize("text, key, lines", [
    ("epochs: 10\nlearning_rate: 0.1\nepochs: 20\n", "epochs", "lines 1 and 3"),
    ("render:\n  fps: 10\n  fps: 12\n", "fps", "lines 2 and 3"),
])
def test_a_key_given_twice_is_an_error_naming_it(tmp_path, text, key, lines):
    with pytest.raises(ConfigError) as error:
        load_config(write(tmp_path, text))
    assert str(error.value) == f"{tmp_path / 'experiment.yaml'}: key {key!r} is given twice ({lines}); keep one"
    with pytest.raises(ConfigError, match="--set optimizer_options=.*: key 'momentum' is given twice"):
        load_config(write(tmp_path, "optimizer: sgd\n"), ["optimizer_options={momentum: 0.9, momentum: 0.5}"])


def test_yaml_merge_keys_may_still_be_overridden_beside_them():
    assert config_module.load_yaml("base: &b {x: 1, y: 2}\nother:\n  <<: *b\n  x: 3\n")["other"] == {"x": 3, "y": 2}


# --- mistakes are blamed where they were made ----------------------------------------------------

def test_a_mistake_in_set_is_blamed_on_set_and_one_in_the_file_on_the_file(tmp_path):
    path = write(tmp_path, "epochs: 10\nactivation: sigmod\n")
    with pytest.raises(ConfigError) as error:
        load_config(path, ["epoch=10", "render.fsp=5"])
    assert sorted(str(error.value).splitlines()) == sorted([
        "--set epoch=10: unknown key 'epoch' (did you mean 'epochs'?)",
        f"{path}: activation: unknown activation 'sigmod'; choose one of: " + ", ".join(config_module.ACTIVATIONS),
        "--set render.fsp=5: unknown key 'render.fsp' (did you mean 'render.fps'?)",
    ])
    with pytest.raises(ConfigError, match=r"^--set x_min=9: x_min \(9.0\) must be less than x_max"):
        load_config(write(tmp_path, "epochs: 10\n"), ["x_min=9"])
    with pytest.raises(ConfigError) as error:  # a number Python will not read: a plain line, not a traceback
        load_config(write(tmp_path, "epochs: 10\n"), ["epochs=" + "1" * 5000])
    assert len(str(error.value)) < 400 and "epochs: Input should be a valid integer" in str(error.value)


def test_an_override_from_another_flag_is_blamed_on_that_flag(tmp_path):
    path = write(tmp_path, "optimizer_options: {clipnorm: 1.0}\n")
    with pytest.raises(ConfigError, match=r"^--seeds 4: optimizer_options clipnorm would couple the 4 seeds"):
        load_config(path, ["seeds=4"], {"seeds=4": "--seeds 4"})


def test_a_value_is_not_named_twice():
    with pytest.raises(ConfigError) as error:
        validate({"optimizer": "adma"}, source="f.yaml")
    assert str(error.value).count("adma") == 1


def test_an_optimizer_option_that_is_a_top_level_key_says_which_key_to_use(tmp_path):
    with pytest.raises(ConfigError) as error:
        load_config(write(tmp_path, "epochs: 10\n"), ["optimizer_options.learning_rate=0.5"])
    assert str(error.value).startswith("--set optimizer_options.learning_rate=0.5: ")
    assert "set learning_rate itself" in str(error.value)


def test_each_command_names_the_other_for_the_others_file(tmp_path):
    with pytest.raises(ConfigError, match="is a study file .* run it with: python study.py"):
        load_config(ROOT / "experiments" / "study_optimizer_vs_layers.yaml")
    with pytest.raises(ConfigError) as error:
        studies.load_study(ROOT / "experiments" / "adam_2x10.yaml")
    assert "is an experiment file, not a study" in str(error.value)
    assert "train it with: python train.py --config" in str(error.value)
    assert len(str(error.value).splitlines()) == 1
    with pytest.raises(ConfigError, match="unknown key 'experiment' \\(did you mean 'experiments'\\?\\)"):
        studies.load_study(write(tmp_path, "seeds: 3\nexperiment: [a.yaml]\n", "typo_study.yaml"))


def test_too_many_epochs_for_memory_are_refused_before_training():
    with pytest.raises(ConfigError, match="epochs: Input should be less than or equal to 10000000"):
        validate({"epochs": 1e30})
    with pytest.raises(ConfigError, match="epochs x seeds"):
        validate({"epochs": 10_000_000, "seeds": 100})


def test_seeds_are_validated():
    with pytest.raises(ConfigError, match="seeds: Input should be greater than or equal to 1"):
        validate({"seeds": 0})
    with pytest.raises(ConfigError, match="clipnorm would couple the 4 seeds"):
        validate({"seeds": 4, "optimizer_options": {"clipnorm": 1.0}})
    assert validate({"seeds": 1, "optimizer_options": {"clipnorm": 1.0}}).seeds == 1


@pytest.mark.parametrize("values, described", [
    ({}, "2x10 sigmoid · adam lr 0.01"),
    ({"hidden_layers": [60], "optimizer": "sgd"}, "1x60 sigmoid · sgd lr 0.01"),
    ({"hidden_layers": [20, 10], "activation": "tanh", "learning_rate": 1e-3,
      "optimizer": "sgd", "optimizer_options": {"momentum": 0.9, "nesterov": True}},
     "20-10 tanh · sgd lr 0.001, momentum 0.9, nesterov true"),
    ({"target": "square"}, "2x10 sigmoid · adam lr 0.01 · on square"),
    ({"target": "sin(3*x)"}, "2x10 sigmoid · adam lr 0.01 · on sin(3*x)"),
    ({"data_file": "data/mauna_loa_co2.csv"}, "2x10 sigmoid · adam lr 0.01 · on mauna_loa_co2.csv"),
])
def test_what_was_trained_is_said_in_a_few_words(values, described):
    assert config_module.describe_training(validate(values)) == described


# --- bad configs: never anything but a ConfigError, and it names the key ------------------------

yaml_values = st.recursive(
    st.none() | st.booleans() | st.integers(-10**6, 10**6) | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=8),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=6), children, max_size=3),
    max_leaves=6,
)
known_keys = st.sampled_from(sorted(ExperimentConfig.model_fields) + ["render.fps", "render.width_pixels"])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(known_keys | st.text(max_size=10), yaml_values, max_size=5))
def test_any_mapping_is_either_a_config_or_a_config_error(raw):
    nested = config_module.apply_overrides({}, [])
    for key, value in raw.items():
        target = nested
        *parents, last = key.split(".") if key else [""]
        for part in parents:
            target = target.setdefault(part, {}) if isinstance(target.get(part, {}), dict) else {}
        target[last] = value
    try:
        config = validate(nested, source="generated.yaml")
    except ConfigError as error:
        lines = str(error).splitlines()
        assert lines and all(line.startswith("generated.yaml: ") for line in lines)
        assert "Traceback" not in str(error)
    else:
        assert config.epochs > 0 and config.x_min < config.x_max
        assert all(math.isfinite(value) for value in (config.learning_rate, config.noise_std, config.x_min))


positive_keys = ["epochs", "n_samples", "learning_rate"]


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(positive_keys), st.one_of(st.integers(-1000, 0), st.floats(-1e6, 0.0)))
def test_zero_or_negative_counts_and_rates_are_refused(key, value):
    if key != "learning_rate":
        value = int(value)
    with pytest.raises(ConfigError, match=key):
        validate({key: value})


@pytest.mark.parametrize(
    "raw, key",
    [
        ({"learning_rate": math.nan}, "learning_rate"),
        ({"noise_std": math.inf}, "noise_std"),
        ({"x_max": -math.inf}, "x_max"),
        ({"optimizer_options": {"momentum": math.nan}}, "optimizer_options.momentum"),
        ({"render": {"fps": math.inf}}, "render.fps"),
        ({"epochs": math.inf}, "epochs"),
    ],
)
def test_nan_and_infinity_are_refused_anywhere(raw, key):
    with pytest.raises(ConfigError, match=key.replace(".", r"\.")):
        validate(raw)


@pytest.mark.parametrize(
    "raw, key",
    [
        ({"grid_points": 0}, "grid_points"), ({"grid_points": 19}, "grid_points"), ({"frames": 1}, "frames"), ({"hidden_layers": [-3]}, "hidden_layers"),
        ({"render": {"width_pixels": 0}}, "render.width_pixels"), ({"seed": -1}, "seed"),
        ({"noise_std": -0.5}, "noise_std"), ({"hidden_layers": [10, 2.5]}, "hidden_layers.1"),
        ({"hidden_layers": 60}, "hidden_layers"), ({"name": "a/b"}, "name"), ({"epochs": True}, "epochs"),
        ({"seed": 2**32}, "seed"), ({"render": {"fps": 0.001}}, "render.fps"), ({"noise_std": 1e200}, "noise_std"),
        ({"x_min": -1e308}, "x_min"),
    ],
)
def test_out_of_range_and_wrong_types_name_the_key(raw, key):
    with pytest.raises(ConfigError, match=f": {key.replace('.', '[.]')}: "):
        validate(raw)


def test_yaml_spellings_of_nan_and_infinity_are_refused(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("learning_rate: .nan\nnoise_std: .inf\n")
    with pytest.raises(ConfigError) as error:
        config_module.load_config(path)
    assert "learning_rate" in str(error.value) and "noise_std" in str(error.value)


def test_several_mistakes_are_all_reported():
    with pytest.raises(ConfigError) as error:
        validate({"epochs": 0, "optimizer": "adamm", "hidden_layer": [3]}, source="f.yaml")
    lines = str(error.value).splitlines()
    assert len(lines) == 3
    assert any("hidden_layer' (did you mean 'hidden_layers'?)" in line for line in lines)


def test_generated_points_and_a_files_points_have_one_limit():
    import points_file

    assert points_file.MAX_POINTS == config_module.MAX_POINTS == 100_000
    assert validate({"n_samples": 100_000}).n_samples == 100_000
    with pytest.raises(ConfigError, match="n_samples: Input should be less than or equal to 100000"):
        validate({"n_samples": 100_001})


def test_a_stack_is_split_by_the_number_of_its_nets_alone_never_into_more_parts_than_nets():
    """The split follows the config, not the machine: the same run gives the same numbers on a
    laptop and as a Ray task given other CPUs (stack_parts takes nothing but the number of nets)."""
    assert [config_module.stack_parts(nets) for nets in (1, 2, 3, 100)] == [
        1, min(2, config_module.STACK_PARTS), min(3, config_module.STACK_PARTS), config_module.STACK_PARTS]

