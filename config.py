"""Experiment configs: a YAML file read as it is read here, --set overrides applied, and the result
validated against the schema (config_schema.py), each mistake said in one plain line.

The schema's names (ExperimentConfig, RenderConfig, STACK_PARTS, ...), the optimizer options'
(optimizer_options.py) and the learning-rate schedules' (learning_rate_schedules.py) are importable
from here too: `config` is the one module to import. Everything here runs without TensorFlow.
"""

from __future__ import annotations

import difflib
import os
import re
import typing
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

import targets
from config_schema import (  # noqa: F401  (re-exported: config.X is where the rest of the code finds them)
    ACTIVATIONS, FILE_DATA_KEYS, GENERATED_DATA_KEYS, INITIALIZERS, MAX_EPOCHS, MAX_NAME_LENGTH, MAX_NET_EPOCHS,
    MAX_POINTS, MAX_SEED, MAX_SEEDS, STACK_PARTS, EarlyStopping, ExperimentConfig, PlainName, RecordConfig, RenderConfig,
    StrictModel, WholeNumber, absolute_data_file, check_batch_size, check_plain_name, initial_learning_rate,
    learning_rate_text, stack_parts, to_plain_dict,
)
from config_schema import VIDEO_FORMATS  # noqa: F401  (re-exported likewise)
from training_words import (activation_text, describe_training, layers_text, penalty_text,  # noqa: F401
                            short_number)
from learning_rate_schedules import (  # noqa: F401  (re-exported likewise)
    SCHEDULES, checked_schedule, keras_arguments, schedule_name_part,
)
from optimizer_options import (  # noqa: F401  (re-exported likewise)
    COMMON_OPTIONS, OPTIMIZER_OPTIONS, OPTIMIZERS, OptionRule, checked_options, option_rules,
)


class ConfigError(ValueError):
    """A config the user must fix; its message is meant to be printed as it is."""

    def _render_traceback_(self) -> list[str]:
        # In a notebook (IPython asks for this), the one line a command would print, not a traceback.
        return [f"error: {self}"]


# --- reading YAML --------------------------------------------------------------------------------

class _Loader(yaml.SafeLoader):
    """PyYAML's safe loader, with numbers read as YAML 1.2 reads them and duplicate keys refused.

    PyYAML follows YAML 1.1, whose floats need a dot and a signed exponent: it reads 1e-3, 5E-2
    and 1e4 as strings, which is how every ML user writes a learning rate. Booleans and
    everything else are read as before.
    """


_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$"),
    list("-+0123456789."),
)


class DuplicateKeyError(yaml.MarkedYAMLError):
    """A mapping that names the same key twice."""

    def __init__(self, key, first_line: int, second_mark):
        super().__init__(problem=f"key {key!r} is given twice", problem_mark=second_mark)
        self.key, self.first_line, self.second_line = key, first_line, second_mark.line + 1


def _construct_mapping_without_duplicates(loader: _Loader, node: yaml.MappingNode, deep: bool = False) -> dict:
    # Without this the last of two equal keys silently wins, and a typo'd copy of a line
    # quietly changes an experiment.
    seen = {}
    for key_node, _ in node.value:
        if key_node.tag == "tag:yaml.org,2002:merge":
            continue  # '<<: *defaults' may be overridden by the keys beside it, as YAML intends
        key = loader.construct_object(key_node, deep=deep)
        if isinstance(key, (str, int, float, bool)) or key is None:
            if key in seen:
                raise DuplicateKeyError(key, seen[key], key_node.start_mark)
            seen[key] = key_node.start_mark.line + 1
    loader.flatten_mapping(node)
    return loader.construct_mapping(node, deep=deep)


_Loader.add_constructor("tag:yaml.org,2002:map", _construct_mapping_without_duplicates)


def load_yaml(text: str) -> Any:
    """Read YAML text as every file and --set value here is read (YAML 1.2 numbers, no duplicate keys)."""
    try:
        return yaml.load(text, Loader=_Loader)
    except ValueError as error:  # a number of more than 4,300 digits, which Python will not read
        if isinstance(error, yaml.YAMLError):
            raise
        raise yaml.YAMLError(str(error)) from None


def _duplicate_key_message(error: DuplicateKeyError) -> str:
    return f"key {error.key!r} is given twice (lines {error.first_line} and {error.second_line}); keep one"


# --- overrides and loading -----------------------------------------------------------------------

def parse_override(text: str) -> tuple[list[str], Any]:
    """Split 'a.b=value' into (['a', 'b'], value), the value read as YAML ('2000' -> 2000)."""
    key, separator, raw_value = text.partition("=")
    if not separator or not key.strip():
        raise ConfigError(f"--set {text!r}: expected key=value, for example --set epochs=2000")
    try:
        value = load_yaml(raw_value) if raw_value.strip() else ""
    except DuplicateKeyError as error:
        raise ConfigError(f"--set {text}: key {error.key!r} is given twice; keep one") from None
    except yaml.YAMLError:
        # A value YAML cannot read (say 'a: b') is taken as the plain string it is.
        value = raw_value
    return key.strip().split("."), value


def apply_overrides(raw: dict[str, Any], overrides: list[str]) -> dict[str, Any]:
    """Return a copy of raw with each 'key=value' override set, creating nested mappings."""
    result = _deep_copy(raw)
    for text in overrides:
        path, value = parse_override(text)
        target = result
        for part in path[:-1]:
            if not isinstance(target.get(part), dict):
                target[part] = {}
            target = target[part]
        target[path[-1]] = value
    return result


def _deep_copy(mapping: dict[str, Any]) -> dict[str, Any]:
    return {k: _deep_copy(v) if isinstance(v, dict) else v for k, v in mapping.items()}


def read_yaml_mapping(path: Path) -> dict[str, Any]:
    """Read a YAML file whose top level is a mapping; anything else is a ConfigError."""
    if not path.exists():
        raise ConfigError(f"{path}: no such file; the shipped configs are in experiments/")
    if path.is_dir():
        raise ConfigError(f"{path}: is a directory; give a .yaml file such as experiments/adam_2x10.yaml")
    try:
        raw = load_yaml(path.read_text())
    except DuplicateKeyError as error:
        raise ConfigError(f"{path}: {_duplicate_key_message(error)}") from None
    except yaml.YAMLError as error:
        where = getattr(error, "problem_mark", None)
        line = f" (line {where.line + 1})" if where is not None else ""
        raise ConfigError(f"{path}: is not valid YAML{line}; check indentation and colons") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: is not a text file; give a YAML config") from None
    except OSError as error:
        raise ConfigError(f"{path}: cannot be read ({error.strerror or error})") from None
    if raw is None:
        raise ConfigError(f"{path}: is empty; set at least one key, for example 'epochs: 2000'")
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: the top level must be a mapping of keys to values, not a {type(raw).__name__}")
    return raw


def is_study(raw: dict[str, Any]) -> bool:
    """Whether a file's mapping is a study (it lists experiments, or varies a base experiment over
    a grid) rather than one experiment."""
    return "experiments" in raw or "grid" in raw or "base" in raw


def is_experiment(raw: dict[str, Any]) -> bool:
    """Whether a file's mapping is an experiment: it sets a key only an experiment has."""
    study_keys = {"name", "seeds", "experiments"}
    return not is_study(raw) and any(key in ExperimentConfig.model_fields and key not in study_keys for key in raw)


def load_config(
    path: str | Path, overrides: list[str] | None = None, override_labels: dict[str, str] | None = None,
) -> ExperimentConfig:
    """Load a YAML experiment file, apply --set overrides, validate, and fill in the name.

    A mistake in an override is reported under '--set KEY=VALUE' (or under its label in
    override_labels, for an override that came from elsewhere, such as --seeds), not the file.
    """
    path = Path(path)
    raw = read_yaml_mapping(path)
    if is_study(raw):
        raise ConfigError(f"{path}: is a study file (it lists experiments), not an experiment; "
                          f"run it with: python study.py {path}")
    overrides = list(overrides or [])
    labels = override_labels or {}
    sources = [(parse_override(text)[0], labels.get(text, f"--set {targets.shortened(text, 200)}"))
               for text in overrides]
    if isinstance(raw.get("data_file"), str) and raw["data_file"].strip():
        # A file named in a file is found beside it, as a study's experiments are; one given with
        # --set is a command-line path, relative to the current folder.
        raw = dict(raw, data_file=_beside(path, raw["data_file"]))
    config = validate(apply_overrides(raw, overrides), source=str(path), override_sources=sources)
    if config.name is None:
        try:
            name = check_plain_name(path.stem)
        except ValueError as error:
            raise ConfigError(f"{path}: the run is named after the file, and its name {error}; "
                              "set name: in the file or --set name=...") from None
        config = config.model_copy(update={"name": name})
    return config


def _beside(config_path: Path, data_file: str) -> str:
    """A data_file written in a config file, as a path from the current folder: relative paths
    are taken from the config file's folder."""
    expanded = Path(data_file).expanduser()
    return str(expanded) if expanded.is_absolute() else os.path.normpath(config_path.parent / expanded)


def validate(
    raw: dict[str, Any], source: str = "config", override_sources: list[tuple[list[str], str]] = (),
) -> ExperimentConfig:
    """Validate a mapping against the schema, turning pydantic's report into plain lines.

    override_sources: (key path, label) of each value set by an override, whose mistakes are
    reported under that label instead of `source`.
    """
    try:
        return ExperimentConfig.model_validate(raw)
    except ValidationError as error:
        raise ConfigError(error_lines(error, source, override_sources)) from None


def error_lines(
    error: ValidationError, source: str, override_sources: list[tuple[list[str], str]] = (),
    schema: type[BaseModel] = ExperimentConfig,
) -> str:
    """Pydantic's report as plain lines, one per mistake, each starting with where it was made."""
    lines = []
    for item in error.errors():
        description = _describe(item, schema)
        line = f"{_blamed(item, description, source, override_sources)}: {description}"
        if line not in lines:  # a value that fits no member of a union is reported once
            lines.append(line)
    return "\n".join(lines)


def _blamed(item: dict[str, Any], description: str, source: str, override_sources) -> str:
    """Where a mistake was made: the override that set the key, or else the file."""
    location = [str(part) for part in item["loc"]]
    if len(location) > 2 and location[0] == "optimizer_options" and location[-1] in _UNION_MEMBERS:
        location = location[:-1]  # pydantic names the member of the union the value did not fit
    if location:
        for path, label in reversed(override_sources):  # the last override of a key is the one used
            common = min(len(path), len(location))
            if path[:common] == location[:common]:
                return label
        return source
    # A rule about several keys (x_min < x_max): blame the overrides of the keys it names (the
    # last override of each key, the one that was used).
    last_override = {path[0]: label for path, label in override_sources}
    named = [label for key, label in last_override.items() if re.search(rf"\b{re.escape(key)}\b", description)]
    return " and ".join(dict.fromkeys(named)) or source


# Pydantic names the member of a union in the error location ('optimizer_options.beta.float');
# the user only needs to know which key is wrong.
_UNION_MEMBERS = {"float": "a number or true/false", "int": "a number or true/false", "bool": "a number or true/false"}


def _describe(item: dict[str, Any], schema: type[BaseModel] = ExperimentConfig) -> str:
    """One plain sentence for one pydantic error item."""
    location = [str(part) for part in item["loc"]]
    message = item["msg"].removeprefix("Value error, ")
    if len(location) > 2 and location[0] == "optimizer_options" and location[-1] in _UNION_MEMBERS:
        message = f"expected {_UNION_MEMBERS[location.pop()]}"
    key = ".".join(part if _PLAIN_KEY.fullmatch(part) else repr(part) for part in location) or "(top level)"
    if item["type"] == "extra_forbidden":
        return f"unknown key {key!r}{_suggestion(location, schema)}"
    if not location:
        return message
    value = item.get("input")
    # A text already named in the message is not repeated; a number is ('greater than 0, got 0').
    named = not isinstance(value, (int, float)) and re.search(rf"(?<![\w.]){re.escape(repr(value))}(?![\w.])", message)
    shown = "" if isinstance(value, dict) or named else f", got {_shortened_repr(value)}"
    return f"{key}: {message}{shown}"


_PLAIN_KEY = re.compile(r"[A-Za-z0-9_-]+")


def _shortened_repr(value: Any, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else f"{text[: limit - 1]}… ({len(text):,} characters)"


def _suggestion(location: list[str], schema: type[BaseModel]) -> str:
    section = schema
    for part in location[:-1]:
        field = section.model_fields.get(part)
        annotation = field.annotation if field else None
        # An optional section (early_stopping: EarlyStopping | None) is the section when given.
        annotation = next((member for member in typing.get_args(annotation) if isinstance(member, type)
                           and issubclass(member, BaseModel)), annotation)
        if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
            return ""
        section = annotation
    close = difflib.get_close_matches(location[-1], list(section.model_fields), n=1)
    prefix = ".".join(location[:-1] + [""])
    return f" (did you mean {prefix + close[0]!r}?)" if close else f"; valid keys: {', '.join(section.model_fields)}"
