"""What runs, studies and a study's cells are called: names made from the settings that differ.

A run trained with overrides goes, by default, to a folder that says what differs from its
experiment file ('adam_2x10_lr0.05_epochs2000'), and a grid study's cell is named from its grid
values ('lr0.003_1x60_sgd'): the same settings always give the same name, and a run of other
settings never lands in the folder of the experiment as written. The same words label a setting
on an axis, in a table and in a name ('1x60', 'sgd-momentum0.9').

Imports neither TensorFlow nor matplotlib.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

import config as config_module
import data_settings
import playground
from config import ExperimentConfig

# Keys written shorter in a name ('lr0.003'); others are written whole ('epochs2000').
SHORT_KEYS = {"learning_rate": "lr", "noise_std": "noise", "n_samples": "n", "validation_fraction": "held_out",
              "batch_size": "batch", "weight_decay": "wd"}
# Keys whose value says enough alone: 'sgd', 'tanh', 'square' rather than 'optimizersgd'; a
# learning-rate schedule ('cosine0.1-0-steps20000') and early stopping ('early_stop50') too.
VALUE_ONLY = {"optimizer", "activation", "target", "data_file", "kernel_initializer", "early_stopping", "problem",
              "classification_loss"}
# Keys whose name ends in a digit: an underscore keeps the key apart from its value ('l2_0.0001').
SEPARATED_KEYS = {"l1", "l2"}
# Mappings that are one setting, named as a whole ('cosine0.1-0-steps20000'), not key by key as
# optimizer_options are.
WHOLE_MAPPINGS = {"learning_rate", "early_stopping"}


def number_text(value: int | float) -> str:
    """A number as short as it can be written without losing it: 2000, 0.05, 1e-05."""
    if isinstance(value, int):
        return str(value)
    short = f"{value:g}"
    return short if float(short) == value else repr(value)


def is_optimizer_choice(key: str, value: Any) -> bool:
    """Whether a grid value of `optimizer` is a mapping: an optimizer with its own options,
    {optimizer: sgd, optimizer_options: {momentum: 0.9}}."""
    return key == "optimizer" and isinstance(value, dict)


def value_label(key: str, value: Any) -> str:
    """A setting's value as an axis, a table or a name shows it: '1x60', '0.003', 'sgd',
    'sgd-momentum0.9' (an optimizer with options), 'mauna_loa_co2' (a data file)."""
    leaf = key.rsplit(".", 1)[-1]
    if is_optimizer_choice(key, value):
        options = value.get("optimizer_options") or {}
        return "-".join([str(value.get("optimizer"))] + [name_part(option, options[option]) for option in sorted(options)])
    if leaf == "hidden_layers" and isinstance(value, list) and value:
        return config_module.layers_text(value)
    if leaf == "data_file" and isinstance(value, str):
        return Path(value).stem
    if leaf == "learning_rate" and isinstance(value, dict):
        return config_module.learning_rate_text(config_module.checked_schedule(value)).removeprefix("lr ")
    if leaf == "early_stopping" and isinstance(value, dict):
        return early_stopping_label(value)
    if leaf == "activation" and isinstance(value, list) and value:
        return config_module.activation_text(value)
    if leaf == "batch_size" and value is None:
        return "full"
    if leaf == "features" and isinstance(value, list):
        return ", ".join(map(str, value))
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (int, float)):
        return number_text(value)
    if isinstance(value, list):
        return "-".join(value_label(leaf, item) for item in value)
    return str(value)


def name_part(key: str, value: Any) -> str:
    """A setting as a piece of a folder's name: 'lr0.003', 'epochs2000', 'momentum0.9', '1x60',
    'sgd', 'standardize' / 'no_standardize' for true / false."""
    leaf = key.rsplit(".", 1)[-1]
    if isinstance(value, bool):
        return leaf if value else f"no_{leaf}"
    if leaf == "batch_size" and value is None:
        return "full_batch"
    if value is None:
        return f"no_{leaf}"
    if leaf == "learning_rate" and isinstance(value, dict):
        # A grid's value as written, without the arguments left at their defaults, names its cell.
        return config_module.schedule_name_part(config_module.checked_schedule(value))
    if leaf in VALUE_ONLY or leaf == "hidden_layers" or is_optimizer_choice(key, value):
        return value_label(key, value)
    if leaf == "features" and isinstance(value, list):  # x1^2 and sin(x1) are no part of a folder's name
        return "features_" + "-".join(playground.FEATURE_NAME_PARTS.get(feature, str(feature)) for feature in value)
    separator = "_" if leaf in SEPARATED_KEYS else ""
    return f"{SHORT_KEYS.get(leaf, leaf)}{separator}{value_label(key, value)}"


def early_stopping_label(settings: dict[str, Any]) -> str:
    """Early stopping as an axis and a name say it: 'early_stop50', 'early_stop50-delta0.001-restore'."""
    label = f"early_stop{settings.get('patience', 0)}"
    if settings.get("min_delta"):
        label += f"-delta{number_text(settings['min_delta'])}"
    return label + ("-restore" if settings.get("restore_best_weights") else "")


def folder_name(prefix: str | None, settings: dict[str, Any]) -> str:
    """A plain folder name from a prefix (the experiment's name) and settings, in their order:
    'adam_2x10_lr0.05_epochs2000', 'lr0.003_1x60_sgd'. Characters a plain name may not have
    become '-'; a name too long for a folder keeps its start and ends with a digest of the
    settings, so that it is still the same for the same settings."""
    return joined_name(([prefix] if prefix else []) + [name_part(key, value) for key, value in settings.items()])


def joined_name(parts: list[str]) -> str:
    """Parts joined into a plain folder name ('_' between them, see plain_part); one too long for a
    folder keeps its start and ends with a digest of all of it, so that it is still the same for
    the same parts."""
    name = "_".join(plain_part(part) for part in parts if part).strip("-_.") or "cell"
    try:
        return config_module.check_plain_name(name)
    except ValueError:
        digest = hashlib.sha256(json.dumps(parts).encode()).hexdigest()[:10]
        return f"{name[:config_module.MAX_NAME_LENGTH - 12].rstrip('_-.')}_{digest}"


def plain_part(text: str) -> str:
    """A piece of a name with the characters a plain name may not have made '-'; where that loses
    something ('x**2' and 'x/2' both read 'x-2'), a short digest of the text tells them apart."""
    plain = re.sub(r"[^\w.+-]+", "-", text).strip("-")
    return plain if plain == text else f"{plain}-{hashlib.sha256(text.encode()).hexdigest()[:4]}"


def training_settings(config: ExperimentConfig) -> dict[str, Any]:
    """What shapes a run's numbers: its config without its name and drawing settings (a CSV's
    data by its absolute path and, where recorded, the hash of its contents), and without what
    says again what holds anyway (a data_seed equal to seed, an optimizer option at Keras's default)."""
    plain = config_module.to_plain_dict(config)
    plain.pop("name", None)
    plain.pop("render", None)
    plain.pop("record", None)  # what is recorded besides, worked out after training: the numbers are the same
    plain["batch_size"] = config.minibatch_size  # a batch of every point is full batch
    if plain.get("data_seed") == plain["seed"]:
        plain["data_seed"] = None
    # [tanh, tanh] trains as tanh does.
    plain["activation"] = config_module.activation_text(config.activation) if len(set(config.activations)) == 1 \
        else config.activations
    # A weight decay at the optimizer's own default is no setting of its own: None (unset) is 0.004
    # for adamw and no decay for the others, for which 0 is no decay too. For adamw 0 is a setting:
    # it turns adamw's decay off.
    keras_default = config_module.option_rules(config.optimizer)["weight_decay"].default
    if config.weight_decay == (keras_default if keras_default is not None else 0.0):
        plain["weight_decay"] = None
    rules = config_module.option_rules(config.optimizer)
    plain["optimizer_options"] = {name: value for name, value in plain["optimizer_options"].items()
                                  if name not in rules or value != rules[name].default}
    return plain


def flattened(settings: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested settings as dotted keys, in the schema's order ('optimizer_options.momentum'); the
    keys of a free-form mapping (optimizer_options) sorted, so that their order never matters. A
    learning-rate schedule and early stopping stay whole (WHOLE_MAPPINGS)."""
    flat = {}
    for key, value in settings.items():
        if isinstance(value, dict) and f"{prefix}{key}" not in WHOLE_MAPPINGS:
            flat.update(flattened(dict(sorted(value.items())), f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def differing_settings(base: ExperimentConfig, changed: ExperimentConfig) -> dict[str, Any]:
    """The training settings of `changed` that differ from `base`'s, as dotted keys in the
    schema's order with `changed`'s values ({'learning_rate': 0.05, 'epochs': 2000})."""
    before, after = flattened(training_settings(base)), flattened(training_settings(changed))
    # A key the base does not have (switching to a data_file brings validation_fraction) differs
    # only where it is not at its default.
    defaults = {key: field.default for key, field in ExperimentConfig.model_fields.items()}
    return {key: value for key, value in after.items()
            if (before[key] != value if key in before else defaults.get(key) != value)}


def named_for_overrides(config: ExperimentConfig, path: Path, overrides: list[str]) -> ExperimentConfig:
    """config (the experiment file at path with overrides applied) named for what the overrides
    change in it: 'adam_2x10_lr0.05_epochs2000', 'adam_2x10_seeds100'; as it is when they change
    no training setting (render.*), or when they set the name themselves."""
    paths = [config_module.parse_override(text)[0] for text in overrides]
    if not paths or ["name"] in paths:
        return config
    try:
        differing = differing_settings(config_module.load_config(path), config)
    except config_module.ConfigError:  # the file is valid only with its overrides: name them all
        given = [".".join(key) for key in paths]
        differing = {key: value for key, value in flattened(training_settings(config)).items()
                     if any(key == prefix or key.startswith(prefix + ".") for prefix in given)}
    implied = IMPLIED_KEYS + ((*data_settings.PLANE_DEFAULTS, "features") if ["problem"] in paths else ())
    for key in implied:  # worked out from another setting, which names the run already
        if [key] not in paths:
            differing.pop(key, None)
    return config.model_copy(update={"name": folder_name(config.name, differing)}) if differing else config


# Keys a config fills in from others when they are not given: a problem's task, a file's columns.
IMPLIED_KEYS = ("task", "data_columns")


def differences_text(there: ExperimentConfig, here: ExperimentConfig, limit: int = 4) -> str:
    """What differs between two configs' training settings, for a message:
    'epochs 2000 there, 20000 here; learning_rate 0.05 there, 0.01 here'."""
    before, after = flattened(training_settings(there)), flattened(training_settings(here))
    keys = list(dict.fromkeys(list(after) + list(before)))
    # A run records the hash of the file it read (a config names none): not a difference to name.
    differing = [key for key in keys if before.get(key, "unset") != after.get(key, "unset") and key != "data_sha256"]

    def shown(settings: dict, key: str) -> str:
        if key not in settings:
            return "unset"
        return str(settings[key]) if key == "data_file" else value_label(key, settings[key])  # the whole path

    text = "; ".join(f"{key} {shown(before, key)} there, {shown(after, key)} here" for key in differing[:limit])
    return text + (f"; and {len(differing) - limit} more" if len(differing) > limit else "")
