"""The data keys of an experiment: where its points come from, and the rules between those keys.

Points come from one source: generated along a line (GENERATED_DATA_KEYS: the post's noisy sine,
or another target in x), a CSV file (FILE_DATA_KEYS: x and y; or x1, x2 and a target, two
inputs), or a problem of two inputs (PLANE_DATA_KEYS: one of Playground's, or an expression in
x1 and x2). config_schema.py's validators call these functions. Of a file, only its first lines
are looked at here (points_file.file_start): how many columns it has, and whether its target
starts with a word (a class); reading it whole, and every mistake in it, is points_file.py's
(when data.py makes the dataset).

No TensorFlow.
"""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any

import playground
import targets

# The keys that describe generated data, and those that describe points read from a file: a
# config has one set or the other, and its resolved config.yaml only the set it uses.
GENERATED_DATA_KEYS = ("n_samples", "x_min", "x_max", "noise_std", "target")
FILE_DATA_KEYS = ("data_file", "data_columns", "validation_fraction", "standardize", "data_sha256")
# The keys of points on a plane of two inputs (playground.py), and which of the keys above a
# problem uses too. A config of one input has none of them, and its config.yaml lists none (nor
# its task, a regression): runs of one input are named, reused and compared as before these keys
# existed. A file of two inputs takes features and classification_loss, not noise.
PLANE_DATA_KEYS = ("problem", "noise", "features", "classification_loss")
PLANE_SHARED_KEYS = ("n_samples",)
# What a problem of two inputs takes where a key is not given: Playground's 500 points, half of
# them held out (n_samples training points, as many held out), its noise of 0, and a map of the
# plane 64 points a side (a file of two inputs: its map's side too).
PLANE_DEFAULTS = {"n_samples": 250, "noise": 0.0, "grid_points": 64}
MAX_PLANE_GRID = 256
TASKS = ("regression", "classification")
# The columns a file of exactly three has, when data_columns does not name them.
THREE_COLUMNS = [1, 2, 3]


def with_plane_defaults(given: Any) -> Any:
    """An experiment's keys (as given, before validation) with the defaults of points of two inputs:
    a problem's (PLANE_DEFAULTS), or a data_file's of three columns, whose data_columns are then
    set to them (so that its config.yaml says it has two inputs, file or no file)."""
    if not isinstance(given, dict):
        return given
    if given.get("problem") is not None:
        return {**{key: value for key, value in PLANE_DEFAULTS.items() if key not in given}, **given}
    data_file, columns = given.get("data_file"), given.get("data_columns")
    if not isinstance(data_file, str) or not data_file.strip():
        return given
    if columns is None:
        start = _file_start(data_file)
        columns = THREE_COLUMNS if start is not None and start.width == 3 else None
    if not isinstance(columns, list) or len(columns) != 3:
        return given
    return {"grid_points": PLANE_DEFAULTS["grid_points"], **given, "data_columns": columns}


def is_plane(problem: str | None, data_file: str | None, data_columns: list | None) -> bool:
    """Whether the points lie on a plane of two inputs: a problem, or a data_file's three columns."""
    return problem is not None or (data_file is not None and data_columns is not None and len(data_columns) == 3)


def known_problem(problem: str | None) -> str | None:
    """A built-in problem's name (in lower case), or an expression in x1 and x2 as it is given; a
    ValueError names what is wrong, a name that is neither with the closest problem's name."""
    if problem is None or problem.lower() in playground.PROBLEMS:
        return None if problem is None else problem.lower()
    try:
        targets.compile_plane_target(problem)
    except targets.TargetError:
        name = problem.strip()
        if not name.isidentifier() or name in targets.ONE_INPUT:
            raise  # its message says what is wrong in the expression
        close = difflib.get_close_matches(name.lower(), playground.PROBLEMS, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise ValueError(f"unknown problem {problem!r}{hint}; choose one of: {', '.join(playground.PROBLEMS)}, or give "
                         "an expression in x1 and x2 such as \"sin(x1) * cos(x2)\"") from None
    return problem


def resolved_task(task: str | None, settings: dict[str, Any]) -> str | None:
    """The task of an experiment's points ('regression' or 'classification'): a built-in problem's
    own (a task given must agree); as given for an expression or a file of two inputs, where
    unset a regression, but for a file whose target column starts with a word (a class). One
    input is a regression. settings: the keys validated before task; a mistake in one of them is
    reported on its own."""
    if not {"problem", "data_file", "data_columns"} <= set(settings):
        return task
    problem, data_file, columns = settings["problem"], settings["data_file"], settings["data_columns"]
    if problem in playground.PROBLEMS:
        own = playground.task_of(problem)
        if task not in (None, own):
            raise ValueError(f"problem {problem} is a {own} problem; remove task")
        return own
    if is_plane(problem, data_file, columns):
        if task is not None or problem is not None:
            return task or "regression"
        start = _file_start(data_file)
        return "classification" if start is not None and start.holds_words(columns) else "regression"
    if task == "classification":
        unread = None if data_file is None else _unread(data_file)
        if unread is not None:  # a file of three columns, perhaps: what is wrong with it comes first
            raise ValueError(f"'classification' needs the data_file's three columns, and {unread}")
        raise ValueError("'classification' needs two inputs: a problem, or a data_file of three columns (x1, x2 "
                         "and the class) or data_columns of three; a run of one input is a regression")
    return "regression"


def check_plane_or_line(config) -> None:
    """The rules between the keys of points on a plane and along a line; a ValueError names the
    first one broken."""
    given = config.model_fields_set
    if not config.is_plane:
        if config.grid_points < 20:  # worded as pydantic words a number's limits
            raise ValueError(f"grid_points: Input should be greater than or equal to 20, got {config.grid_points}")
        plane_only = [key for key in PLANE_DATA_KEYS if key in given and key != "problem"]
        if plane_only:
            raise ValueError(f"{', '.join(plane_only)} appl{'ies' if len(plane_only) == 1 else 'y'} only to a "
                             "problem of two inputs (or a data_file of three columns, x1, x2 and the target); set "
                             "problem too (circle, xor, gaussians, spiral, plane, gaussian_mix or an expression in "
                             f"x1 and x2), or remove {'it' if len(plane_only) == 1 else 'them'}")
        return
    if config.problem is not None:
        _check_problem(config, given)
        where = f"problem {targets.shortened(config.problem)}"
    else:
        if "noise" in given:
            raise ValueError("noise applies to a problem's generated points; the points of a data_file have their own "
                             "noise: remove it")
        where = Path(config.data_file).name
    if not 8 <= config.grid_points <= MAX_PLANE_GRID:
        raise ValueError(f"grid_points must be from 8 to {MAX_PLANE_GRID} for {where}: the points of each side of its "
                         f"map of the plane, got {config.grid_points}")
    if config.classification_loss != "cross_entropy" and config.task != "classification":
        raise ValueError(f"classification_loss applies to a classification, and {where} is a regression; remove it")
    if config.problem is not None and config.problem not in playground.PROBLEMS:
        # Checked where the map is drawn (the points are checked as they are drawn): log(x1) at x1 < 0.
        playground.expression_values(config.problem, playground.plane_grid(config.grid_points), config.classifies)


def _check_problem(config, given: set[str]) -> None:
    if config.data_file is not None:
        raise ValueError("problem and data_file are two sources of points; give one of them")
    line_only = [key for key in GENERATED_DATA_KEYS if key in given and key not in PLANE_SHARED_KEYS]
    if line_only:
        raise ValueError(f"{', '.join(line_only)} describe{'s' if len(line_only) == 1 else ''} data of one input, "
                         f"but problem {targets.shortened(config.problem)} has two (on [-6, 6]²"
                         f"{'; set its noise with noise' if 'noise_std' in line_only else ''}); "
                         f"remove {'it' if len(line_only) == 1 else 'them'}")
    limit = playground.MAX_NOISE[config.task]
    if config.noise > limit:
        raise ValueError(f"noise must be at most {limit:g} for problem {targets.shortened(config.problem)} "
                         + ("(Playground's noise level, 0 to 0.5)" if config.task == "classification"
                            else "(the standard deviation of the noise on its target)") + f", got {config.noise:g}")


def check_one_source(config) -> None:
    """Generated data's keys are refused beside a data_file, and a file's keys without one."""
    given = config.model_fields_set
    if config.data_file is not None:
        generated = [key for key in GENERATED_DATA_KEYS if key in given]
        if generated:
            raise ValueError(f"{', '.join(generated)} describe{'s' if len(generated) == 1 else ''} generated data, "
                             "but the points come from data_file; remove "
                             f"{'it' if len(generated) == 1 else 'them'} (or data_file)")
    else:
        file_only = [key for key in FILE_DATA_KEYS if key in given and key != "data_file"]
        if file_only:
            raise ValueError(f"{', '.join(file_only)} appl{'ies' if len(file_only) == 1 else 'y'} only to points "
                             "read from a file; set data_file too, or remove "
                             f"{'it' if len(file_only) == 1 else 'them'}")


def check_line(config) -> None:
    """Generated points along a line: x_min below x_max, and a target that is a finite number over
    the points the data and the drawing use (log(x) at x = 0 would train on -inf)."""
    if not config.x_min < config.x_max:
        raise ValueError(f"x_min ({config.x_min}) must be less than x_max ({config.x_max})")
    if config.data_file is None and config.problem is None:
        where = targets.first_unusable_x(config.target, config.x_min, config.x_max,
                                         (config.n_samples, config.grid_points))
        if where is not None:
            raise ValueError(f"target {targets.shortened(config.target)!r} is not a finite number within "
                             f"±{targets.MAX_VALUE:g} at x = {where:g}; choose x_min and x_max where it is, "
                             "or another target")


def unused_keys(config) -> set[str]:
    """The data keys a config's source of points does not use: left out of its config.yaml."""
    if config.is_plane and config.problem is not None:
        return set(FILE_DATA_KEYS) | (set(GENERATED_DATA_KEYS) - set(PLANE_SHARED_KEYS))
    if config.is_plane:
        return set(GENERATED_DATA_KEYS) | {"problem", "noise"}
    unused = set(FILE_DATA_KEYS) if config.data_file is None else set(GENERATED_DATA_KEYS)
    return unused | set(PLANE_DATA_KEYS) | {"task"}


def _file_start(data_file: str):
    """The start of a data_file (points_file.FileStart); None where it cannot be read."""
    import points_file  # here: it reports in config.py's ConfigError, and config.py imports this module

    return points_file.file_start(Path(data_file).expanduser())


def _unread(data_file: str) -> str | None:
    """Why a data_file cannot be read (points_file's message); None if it can."""
    import points_file

    try:
        points_file.file_start(Path(data_file).expanduser(), report=True)
    except points_file.ConfigError as error:
        return str(error)
    return None
