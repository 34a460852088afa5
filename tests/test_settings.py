"""The settings of issue 22 (config_schema.py, learning_rate_schedules.py, naming.py): batch size,
learning-rate schedules, penalties and weight decay, per-layer activations, the kernel initializer
and early stopping; each refused with one plain line, said briefly, named, and written to
config.yaml so that it loads back equal. No TensorFlow here (tests/test_models.py builds them)."""

import pytest
import yaml

import config as config_module
import naming
from config import ConfigError, ExperimentConfig, validate

COSINE = {"schedule": "cosine_decay", "initial_learning_rate": 0.1, "decay_steps": 20000}


@pytest.mark.parametrize("raw, expected", [
    ({"batch_size": 0}, "my.yaml: batch_size: Input should be greater than or equal to 1, got 0"),
    ({"batch_size": 201}, "my.yaml: batch_size 201 is more than the 200 training points; give at most 200, or leave "
                          "batch_size out to train on all of them at once"),
    ({"batch_size": 2.5}, "my.yaml: batch_size: "),
    ({"learning_rate": {"schedule": "cosine"}}, "my.yaml: learning_rate: unknown schedule 'cosine' (did you mean "
                                                "'cosine_decay'?); choose one of: exponential_decay, "),
    ({"learning_rate": {"initial_learning_rate": 0.1}}, "learning_rate: a schedule needs schedule: one of "),
    ({"learning_rate": {**COSINE, "decay_step": 5}}, "learning_rate: cosine_decay takes no argument 'decay_step' "
                                                     "(did you mean 'decay_steps'?); its arguments are "),
    ({"learning_rate": {**COSINE, "name": "mine"}}, "learning_rate: cosine_decay takes no argument 'name'"),
    ({"learning_rate": {"schedule": "cosine_decay", "initial_learning_rate": 0.1}},
     "learning_rate: cosine_decay needs decay_steps, as in {schedule: cosine_decay, "),
    ({"learning_rate": {**COSINE, "decay_steps": 0}}, "cosine_decay's decay_steps must be a whole number of at least 1"),
    ({"learning_rate": {**COSINE, "alpha": 2}}, "cosine_decay's alpha must be a number from 0 to 1, got 2"),
    ({"learning_rate": {**COSINE, "initial_learning_rate": "fast"}}, "initial_learning_rate must be a number"),
    ({"learning_rate": {**COSINE, "initial_learning_rate": 0}}, "never trains"),
    ({"learning_rate": {"schedule": "piecewise_constant_decay", "boundaries": [100], "values": [0.1]}},
     "piecewise_constant_decay has 1 boundaries, so it needs 2 values"),
    ({"learning_rate": {"schedule": "piecewise_constant_decay", "boundaries": [100, 50], "values": [0.1, 0.1, 0.1]}},
     "boundaries must be a list of increasing whole step counts"),
    ({"learning_rate": "fast"}, "learning_rate: must be a number greater than 0 or a schedule such as "),
    ({"learning_rate": 0}, "learning_rate: Input should be greater than 0"),
    ({"l1": -1}, "l1: Input should be greater than or equal to 0, got -1"),
    ({"l2": -0.1}, "l2: Input should be greater than or equal to 0, got -0.1"),
    ({"weight_decay": -1e-3}, "weight_decay: Input should be greater than or equal to 0"),
    ({"optimizer_options": {"weight_decay": 0.1}}, "optimizer_options: 'weight_decay' is a top-level key: set "
                                                   "weight_decay itself, not optimizer_options.weight_decay"),
    ({"optimizer": "adamw", "optimizer_options": {"weight_decay": 0.1}}, "set weight_decay itself"),
    ({"activation": ["relu"]}, "my.yaml: activation lists 1 name but hidden_layers has 2 layers; give one name per "
                               "hidden layer, or one name for all"),
    ({"activation": ["relu", "tanh", "sin"]}, "activation lists 3 names but hidden_layers has 2 layers"),
    ({"activation": ["relu", "tanhh"]}, "activation: unknown activation 'tanhh'; choose one of: "),
    ({"activation": []}, "activation: must be an activation name or a list of them, one per hidden layer"),
    ({"kernel_initializer": "zeros"}, "kernel_initializer: unknown kernel_initializer 'zeros'; choose one of: "
                                      "glorot_uniform, "),
    ({"early_stopping": {"patience": -1}}, "early_stopping.patience: Input should be greater than or equal to 0"),
    ({"early_stopping": {"min_delta": -0.1}}, "early_stopping.min_delta: Input should be greater than or equal to 0"),
    ({"early_stopping": {"patiense": 3}}, "unknown key 'early_stopping.patiense' (did you mean "
                                          "'early_stopping.patience'?)"),
    ({"early_stopping": {"monitor": "loss"}}, "early_stopping: early stopping always monitors the held-out error "
                                              "(val_loss); remove monitor"),
    ({"record": {"curvature": "net1"}}, "my.yaml: record.curvature: Input should be 'none', 'net0' or 'all', got 'net1'"),
    ({"record": {"curvatures": "all"}}, "unknown key 'record.curvatures' (did you mean 'record.curvature'?)"),
    ({"render": {"video": ["mp4", "gif"]}}, "my.yaml: render.video: unknown video format 'gif'; choose one of: mp4, webm"),
    ({"render": {"video": [4]}}, "my.yaml: render.video: must be a list of video formats, such as [mp4] or [mp4, webm]"),
    ({"render": {"videos": ["mp4"]}}, "unknown key 'render.videos' (did you mean 'render.video'?)"),
])
def test_each_bad_setting_is_one_plain_line_naming_its_key(raw, expected):
    with pytest.raises(ConfigError) as error:
        validate(raw, source="my.yaml")
    assert expected in str(error.value) and "\n" not in str(error.value)


def test_a_batch_size_is_checked_against_a_files_points_when_they_are_counted():
    assert validate({"data_file": "points.csv", "batch_size": 10_000}).batch_size == 10_000
    config_module.check_batch_size(None, 5)
    config_module.check_batch_size(5, 5)
    with pytest.raises(ValueError, match="batch_size 6 is more than the 5 training points"):
        config_module.check_batch_size(6, 5)


def test_a_schedule_is_held_with_every_argument_and_two_spellings_of_it_are_equal():
    config = validate({"learning_rate": {**COSINE, "schedule": "Cosine_Decay", "initial_learning_rate": 1}})
    assert config.learning_rate == {"schedule": "cosine_decay", "initial_learning_rate": 1.0, "decay_steps": 20000,
                                    "alpha": 0.0, "warmup_target": None, "warmup_steps": 0}
    assert validate({"learning_rate": {**COSINE, "alpha": 0}}) == validate({"learning_rate": COSINE})
    assert config_module.initial_learning_rate(config) == 1.0
    assert config_module.initial_learning_rate(validate({})) == 0.01
    piecewise = {"schedule": "piecewise_constant_decay", "boundaries": [1000], "values": [0.1, 1]}
    assert config_module.initial_learning_rate(validate({"learning_rate": piecewise})) == 0.1


@pytest.mark.parametrize("learning_rate, text, name", [
    (0.01, "lr 0.01", "lr0.01"),
    (COSINE, "cosine 0.1→0", "cosine0.1-0-steps20000"),
    ({**COSINE, "alpha": 0.1}, "cosine 0.1→0.01", "cosine0.1-0.01-steps20000"),
    ({**COSINE, "initial_learning_rate": 0, "warmup_target": 0.1, "warmup_steps": 100}, "cosine 0→0.1→0",
     "cosine0-0.1-0-steps20000-warmup100"),
    ({"schedule": "exponential_decay", "initial_learning_rate": 0.1, "decay_steps": 1000, "decay_rate": 0.96},
     "exponential 0.1 rate 0.96/1000", "exponential0.1-rate0.96-steps1000"),
    ({"schedule": "inverse_time_decay", "initial_learning_rate": 0.1, "decay_steps": 10, "decay_rate": 0.5,
      "staircase": True}, "inverse-time 0.1 rate 0.5/10", "inverse-time0.1-rate0.5-steps10-staircase"),
    ({"schedule": "piecewise_constant_decay", "boundaries": [1000, 5000], "values": [0.1, 0.01, 0.001]},
     "piecewise 0.1→0.01→0.001", "piecewise0.1-0.01-0.001-at1000-5000"),
    ({"schedule": "polynomial_decay", "initial_learning_rate": 0.1, "decay_steps": 1000}, "polynomial 0.1→0.0001",
     "polynomial0.1-0.0001-steps1000"),
    ({"schedule": "cosine_decay_restarts", "initial_learning_rate": 0.1, "first_decay_steps": 1000, "t_mul": 1},
     "cosine-restarts 0.1→0", "cosine-restarts0.1-0-steps1000-t_mul1"),
])
def test_a_learning_rate_is_said_briefly_and_named_plainly(learning_rate, text, name):
    config = validate({"learning_rate": learning_rate})
    assert config_module.learning_rate_text(config.learning_rate) == text
    assert naming.name_part("learning_rate", config.learning_rate) == name
    assert naming.joined_name([name]) == name  # a plain folder name as it is


@pytest.mark.parametrize("values, described", [
    ({}, "2x10 sigmoid · adam lr 0.01"),
    ({"optimizer": "sgd", "activation": ["relu", "tanh"], "learning_rate": COSINE, "batch_size": 32, "l2": 1e-4},
     "2x10 relu-tanh · sgd cosine 0.1→0 · batch 32 · l2 1e-4"),
    ({"activation": ["tanh", "tanh"], "kernel_initializer": "he_normal", "weight_decay": 1e-3, "l1": 1e-5,
      "early_stopping": {"patience": 50}}, "2x10 tanh he_normal · adam lr 0.01 · l1 1e-5 · wd 1e-3 · early stop 50"),
    ({"activation": "sin", "l2": 0.5}, "2x10 sin · adam lr 0.01 · l2 0.5"),
])
def test_what_was_trained_says_the_new_settings_in_a_few_words(values, described):
    assert config_module.describe_training(validate(values)) == described


def test_one_activation_per_hidden_layer():
    assert validate({}).activations == ["sigmoid", "sigmoid"]
    listed = validate({"activation": ["ReLU", "tanh"]})
    assert listed.activation == ["relu", "tanh"] and listed.activations == ["relu", "tanh"]
    same = validate({"activation": ["tanh", "tanh"]})
    assert same.activation == ["tanh", "tanh"] and config_module.activation_text(same.activation) == "tanh"


SETTINGS = {"batch_size": 32, "learning_rate": {**COSINE, "warmup_target": 0.2, "warmup_steps": 10}, "l1": 1e-5,
            "l2": 1e-4, "weight_decay": 1e-3, "activation": ["relu", "sin"], "kernel_initializer": "he_normal",
            "early_stopping": {"patience": 50, "min_delta": 0.001, "restore_best_weights": True}}


def test_every_new_setting_round_trips_through_config_yaml():
    config = validate(SETTINGS)
    written = yaml.safe_dump(config_module.to_plain_dict(config))
    assert validate(config_module.load_yaml(written)) == config
    plain = config_module.to_plain_dict(validate({}))
    assert {key: plain[key] for key in SETTINGS} == {
        "batch_size": None, "learning_rate": 0.01, "l1": 0.0, "l2": 0.0, "weight_decay": None, "activation": "sigmoid",
        "kernel_initializer": "glorot_uniform", "early_stopping": None}


def test_an_old_runs_config_yaml_without_the_new_keys_is_the_same_settings_as_todays_defaults():
    today = config_module.to_plain_dict(validate({"hidden_layers": [60], "optimizer": "sgd"}))
    old = {key: value for key, value in today.items() if key not in SETTINGS}
    assert naming.training_settings(validate(old)) == naming.training_settings(validate(today))
    assert naming.differing_settings(validate(old), validate(today)) == {}


def test_a_key_at_its_default_never_appears_in_a_name():
    base = validate({})
    at_defaults = validate({"batch_size": None, "l1": 0, "l2": 0.0, "weight_decay": None, "early_stopping": None,
                            "kernel_initializer": "glorot_uniform", "activation": ["sigmoid", "sigmoid"],
                            "learning_rate": 0.01})
    assert naming.differing_settings(base, at_defaults) == {}
    # No decay is no decay for adam, as weight_decay 0.004 is adamw's own default...
    assert naming.differing_settings(base, validate({"weight_decay": 0})) == {}
    adamw = validate({"optimizer": "adamw"})
    assert naming.differing_settings(adamw, validate({"optimizer": "adamw", "weight_decay": 0.004})) == {}
    # ...but for adamw 0 turns its decay off.
    assert naming.differing_settings(adamw, validate({"optimizer": "adamw", "weight_decay": 0})) == {"weight_decay": 0.0}


def test_the_new_settings_name_a_folder_plainly():
    changed = naming.differing_settings(validate({}), validate({key: SETTINGS[key] for key in (
        "activation", "kernel_initializer", "weight_decay", "l2", "batch_size", "early_stopping")}))
    assert naming.folder_name("adam_2x10", changed) == (
        "adam_2x10_relu-sin_he_normal_wd0.001_l2_0.0001_batch32_early_stop50-delta0.001-restore")
    assert naming.name_part("batch_size", None) == "full_batch" and naming.value_label("batch_size", None) == "full"
    assert naming.name_part("early_stopping", {"patience": 5, "min_delta": 0.0, "restore_best_weights": False}) == \
        "early_stop5"
    assert naming.name_part("early_stopping", None) == "no_early_stopping"
    assert naming.name_part("l2", 1e-4) == "l2_0.0001" and naming.value_label("activation", ["relu", "tanh"]) == "relu-tanh"
    assert naming.value_label("learning_rate", validate({"learning_rate": COSINE}).learning_rate) == "cosine 0.1→0"


def test_a_grid_of_schedules_or_of_early_stopping_gives_each_cell_its_own_name():
    schedules = [{**COSINE, "decay_steps": steps} for steps in (1000, 20000)]
    # A cell is named from the grid's value as written (Keras's defaults left out).
    names = {naming.folder_name(None, {"learning_rate": value}) for value in schedules}
    assert names == {"cosine0.1-0-steps1000", "cosine0.1-0-steps20000"}
    assert naming.value_label("learning_rate", COSINE) == "cosine 0.1→0"
    base = validate({})
    changed = naming.differing_settings(base, validate({"early_stopping": {"patience": 50}}))
    assert changed == {"early_stopping": {"patience": 50, "min_delta": 0.0, "restore_best_weights": False}}
    assert naming.folder_name(None, changed) == "early_stop50"


def test_the_schema_still_has_every_key_a_config_may_set():
    for key in SETTINGS:
        assert key in ExperimentConfig.model_fields


def test_a_batch_of_every_point_is_full_batch_in_names_titles_and_comparisons():
    every_point, unset = validate({"batch_size": 200}), validate({})
    assert every_point.minibatch_size is None and validate({"batch_size": 32}).minibatch_size == 32
    assert naming.training_settings(every_point) == naming.training_settings(unset)
    assert naming.differing_settings(unset, every_point) == {}
    assert "batch" not in config_module.describe_training(every_point)


def test_render_video_is_a_list_of_formats_none_by_default_and_never_part_of_what_was_trained():
    from conftest import ROOT

    assert validate({}).render.video == []
    asked = validate({"render": {"video": ["WebM", "mp4", "webm"]}})
    assert asked.render.video == ["webm", "mp4"]
    assert validate({"render": {"video": "mp4"}}).render.video == ["mp4"]
    assert validate(config_module.load_yaml(yaml.safe_dump(config_module.to_plain_dict(asked)))) == asked
    assert naming.training_settings(asked) == naming.training_settings(validate({}))
    with pytest.raises(ConfigError, match="--set render.video=gif: render.video: unknown video format 'gif'"):
        config_module.load_config(ROOT / "experiments" / "adam_2x10.yaml", ["render.video=gif"])


def test_curvature_is_net0s_unless_the_net_is_large_and_never_part_of_what_was_trained():
    assert validate({}).curvature_recorded == "net0"
    large = validate({"hidden_layers": [30, 30]})  # 2*30 + 31*30 + 31 = 1,021 weights and biases
    assert large.parameters == 1021 and large.curvature_recorded == "none"
    assert validate({"hidden_layers": [30, 30], "record": {"curvature": "all"}}).curvature_recorded == "all"
    asked = validate({"record": {"curvature": "all"}})
    assert naming.training_settings(asked) == naming.training_settings(validate({}))
    assert naming.differing_settings(validate({}), asked) == {}


def test_a_studys_cells_work_out_no_curvature_unless_asked(tmp_path):
    import studies
    from conftest import ROOT

    study_file = tmp_path / "grid.yaml"
    study_file.write_text(f"base: {ROOT / 'experiments' / 'sgd_1x60.yaml'}\nseeds: 2\ngrid: {{learning_rate: [0.1, 0.3]}}\n")
    _, cells = studies.load_study(study_file)
    assert [cell.config.curvature_recorded for cell in cells] == ["none", "none"]
    _, cells = studies.load_study(study_file, ["record.curvature=net0"])
    assert [cell.config.curvature_recorded for cell in cells] == ["net0", "net0"]
    with pytest.raises(ConfigError, match="cannot be varied"):
        studies.load_study(study_file.with_name("varied.yaml") if study_file.with_name("varied.yaml").write_text(
            f"base: {ROOT / 'experiments' / 'sgd_1x60.yaml'}\ngrid: {{record.curvature: [none, all]}}\n") else None)


def test_a_study_file_sets_its_cells_curvature_and_the_command_line_wins(tmp_path):
    import studies
    from conftest import ROOT

    study_file = tmp_path / "grid.yaml"
    study_file.write_text(f"base: {ROOT / 'experiments' / 'sgd_1x60.yaml'}\nseeds: 2\nrecord: {{curvature: all}}\n"
                          "grid: {learning_rate: [0.1, 0.3]}\n")
    assert {cell.config.curvature_recorded for cell in studies.load_study(study_file)[1]} == {"all"}
    assert {cell.config.curvature_recorded for cell in studies.load_study(study_file, ["record.curvature=net0"])[1]} \
        == {"net0"}
