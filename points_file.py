"""The user's own points: a CSV file (data_file) read and checked line by line.

Two columns are x and y, the points of one input (read_points). Three are x1, x2 and a target,
the points of a plane of two inputs (read_plane_points): the target is a number, or a class
where its column holds words (exactly two labels; or, with task: classification, exactly two
numbers). Either way the first thing wrong is a ConfigError naming the file, the line and the
column. The config looks at a file's first lines (file_start) to know which it is.

Pure Python and NumPy: nothing here needs TensorFlow.
"""

from __future__ import annotations

import csv
import hashlib
import math
from pathlib import Path
from typing import Iterator, NamedTuple

import numpy as np

from config import MAX_POINTS, ConfigError

MIN_POINTS = 10
# The largest |value| a file may hold: its squared errors must stay finite however they are drawn.
MAX_VALUE = 1e20
# The separators a file may use: commas, or, as spreadsheets in many countries export, semicolons or tabs.
DELIMITERS = ",;\t"
PLANE_ROLES = ("x1", "x2", "target")


def read_points(path: Path, columns: list[str | int] | None = None) -> tuple[np.ndarray, np.ndarray, tuple | None]:
    """x and y (float64) from a file of two numeric columns separated by commas (or semicolons, or
    tabs), or of the two `columns` named (by their header, or by number from 1) among more; and
    the two columns' names, from the header (None without one).

    A first line with no number in it is a header. Blank lines and lines starting with # are
    skipped, and so is a last column that is empty in the first line (a trailing separator).
    Every other line must hold a finite number in each column used. A ConfigError names the
    file, the line and what is wrong.
    """
    header, lines, width = _table(path)
    x_column, y_column = _chosen_columns(path, header, width, columns, ("x", "y"))
    x, y = [], []
    for number, cells in _checked_lines(path, header, lines, width):
        x.append(_finite_number(path, number, cells[x_column], _column_name(header, x_column, "x")))
        y.append(_finite_number(path, number, cells[y_column], _column_name(header, y_column, "y")))
    _check_count(path, len(x))
    x, y = np.asarray(x), np.asarray(y)
    if np.ptp(x) == 0:
        raise ConfigError(f"{path}: every x is {x[0]:g}; a curve needs points at different x")
    return x, y, None if header is None else (header[x_column], header[y_column])


class PlanePoints(NamedTuple):
    """The points of a file of two inputs, in the file's order."""

    positions: np.ndarray  # (points, 2) float64: x1 and x2
    values: np.ndarray  # (points,) float64: the target's numbers, or its classes, 0 and 1
    names: tuple[str, str, str] | None  # the header's names of x1, x2 and the target (None without one)
    class_names: tuple[str, str] | None  # a class column's labels: class 0's, then class 1's


def read_plane_points(path: Path, columns: list[str | int] | None = None, task: str | None = None) -> PlanePoints:
    """x1, x2 and a target from a file of three columns, or the three `columns` named among more,
    read as read_points reads x and y. The target is a class where its column holds words (its
    first value is not a number) or where task is "classification"; else a number. A class
    column holds exactly two labels, words or numbers: class 1 is the one that sorts last (the
    larger number; the later word in Python's order of strings, "yes" after "no"), whatever the
    order of the lines."""
    header, lines, width = _table(path)
    chosen = _chosen_columns(path, header, width, columns, PLANE_ROLES)
    names = [_column_name(header, position, role) for position, role in zip(chosen, PLANE_ROLES)]
    first_line, first_cells = lines[0]
    words = not _is_number(first_cells[chosen[2]]) if len(first_cells) > chosen[2] else False
    if words and task == "regression":
        raise ConfigError(f"{path}, line {first_line}: the {names[2]} value {first_cells[chosen[2]].strip()!r} is not "
                          "a number, and task: regression needs numbers; a column of words is a class (leave task out)")
    classes = words or task == "classification"
    positions, values, labels = [], [], []
    for number, cells in _checked_lines(path, header, lines, width):
        positions.append([_finite_number(path, number, cells[column], name) for column, name in zip(chosen[:2], names[:2])])
        text = cells[chosen[2]].strip()
        if words and not text:
            raise ConfigError(f"{path}, line {number}: the {names[2]} value is missing; every point needs its class")
        value = text if words else _finite_number(path, number, text, names[2])
        if classes and value not in labels:
            if len(labels) == 2:
                raise ConfigError(f"{path}, line {number}: the {names[2]} column holds a third class, {_label(value)}, "
                                  f"beside {_label(labels[0])} and {_label(labels[1])}; a class column holds exactly two")
            labels.append(value)
        values.append(value)
    _check_count(path, len(positions))
    if classes and len(labels) < 2:
        raise ConfigError(f"{path}: the {names[2]} column holds one class only, {_label(labels[0])}; a classification "
                          "needs points of two")
    positions = np.asarray(positions)
    for column, role in enumerate(PLANE_ROLES[:2]):
        if np.ptp(positions[:, column]) == 0:
            raise ConfigError(f"{path}: every {role} is {positions[0, column]:g}; a plane needs points at different "
                              f"{role}")
    column_names = None if header is None else tuple(header[position] for position in chosen)
    if not classes:
        return PlanePoints(positions, np.asarray(values, dtype=np.float64), column_names, None)
    labels = sorted(labels)  # class 0's, then class 1's
    return PlanePoints(positions, np.asarray([labels.index(value) for value in values], dtype=np.float64),
                       column_names, tuple(label if words else f"{label:g}" for label in labels))


def _label(value: str | float) -> str:
    """A class as messages name it: a word quoted, a number as it is written shortest."""
    return repr(value) if isinstance(value, str) else f"{value:g}"


class FileStart(NamedTuple):
    """The start of a CSV file as the readers take it: its header (None without one) and the cells of
    its first line of data."""

    header: list[str] | None
    first: list[str]

    @property
    def width(self) -> int:
        return _width(self.header if self.header is not None else self.first)

    def holds_words(self, columns: list[str | int] | None) -> bool | None:
        """Whether the target column (the last of three) starts with a value that is not a number:
        a column of classes. None where the columns are not the file's (reading it says why)."""
        try:
            position = _chosen_columns(Path(), self.header, self.width, columns, PLANE_ROLES)[2]
        except ConfigError:
            return None
        return position < len(self.first) and not _is_number(self.first[position])


def file_start(path: Path, report: bool = False) -> FileStart | None:
    """The start of a CSV file (FileStart); None where it cannot be read or holds no data, unless
    report is set: then the ConfigError that says why."""
    try:
        header, lines = _split_header(_data_lines(path, limit=2))
        if not lines:
            _table(path)  # the error of a file of no data
    except ConfigError:
        if report:
            raise
        return None
    return FileStart(header, lines[0][1])


def _table(path: Path) -> tuple[list[str] | None, list[tuple[int, list[str]]], int]:
    """A file's header (None without one), its lines of data and how many columns it has."""
    header, lines = _split_header(_data_lines(path))
    if not lines:
        raise ConfigError(f"{path}: holds no data{' below its header' if header else ''}; "
                          "expected lines of x,y numbers")
    return header, lines, _width(header if header is not None else lines[0][1])


def _split_header(lines: list[tuple[int, list[str]]]) -> tuple[list[str] | None, list[tuple[int, list[str]]]]:
    """A first line with no number in it is a header ("1.5,abc" is data with a bad value)."""
    if lines and not any(_is_number(cell) for cell in lines[0][1]):
        return [cell.strip() for cell in lines[0][1]], lines[1:]
    return None, lines


def _checked_lines(path: Path, header: list[str] | None, lines, width: int) -> Iterator[tuple[int, list[str]]]:
    """(line number, cells) of each line of data, each with the columns of the first (or the header)."""
    for count, (number, cells) in enumerate(lines, start=1):
        if _width(cells) != width and len(cells) != width:
            raise ConfigError(f"{path}, line {number}: has {len(cells)} value{'s' if len(cells) != 1 else ''}, but the "
                              f"{'header' if header else 'first line'} has {width}; every line needs the same columns")
        if count > MAX_POINTS:
            raise ConfigError(f"{path}: holds more than {MAX_POINTS:,} points; full-batch training on this many "
                              "is not what this tool is for: take a sample of them")
        yield number, cells


def _check_count(path: Path, count: int) -> None:
    if count < MIN_POINTS:
        raise ConfigError(f"{path}: holds {count} point{'s' if count != 1 else ''}; at least {MIN_POINTS} are "
                          "needed, some of them held out")


def _width(cells: list[str]) -> int:
    """How many columns a line has, not counting empty ones after the last value (a trailing separator)."""
    width = len(cells)
    while width > 1 and not cells[width - 1].strip():
        width -= 1
    return width


def _data_lines(path: Path, limit: int = MAX_POINTS + 2) -> list[tuple[int, list[str]]]:
    """(line number, cells) of each line that is not blank or a comment, the first `limit` of them
    (by default enough to tell a file of too many points: a header and one point more)."""
    if not path.exists():
        where = "" if path.is_absolute() else f" (looked for in {Path.cwd()})"
        raise ConfigError(f"{path}: no such file{where}; data_file must name a CSV file of x,y points")
    if path.is_dir():
        raise ConfigError(f"{path}: is a folder; data_file must name a CSV file of x,y points")
    if not path.is_file():
        raise ConfigError(f"{path}: is not a regular file (a pipe or a device); data_file must name a CSV file")
    try:
        with path.open(newline="", encoding="utf-8-sig") as file:  # -sig: a spreadsheet's byte-order mark
            rows = []
            for number, cells in enumerate(csv.reader(file, delimiter=_delimiter(path)), start=1):
                if cells and any(cell.strip() for cell in cells) and not cells[0].lstrip().startswith("#"):
                    rows.append((number, cells))
                if len(rows) >= limit:  # stop reading a huge file early
                    break
            return rows
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: is not a UTF-8 text file; save it as CSV (comma-separated, UTF-8)") from None
    except csv.Error as error:
        raise ConfigError(f"{path}: cannot be read as CSV ({error})") from None
    except OSError as error:
        raise ConfigError(f"{path}: cannot be read ({error.strerror or error})") from None


def _delimiter(path: Path) -> str:
    """The file's separator, as Python's csv.Sniffer makes it out from its first lines that are
    not comments; a comma when it cannot tell (a file of one column, say)."""
    with path.open(newline="", encoding="utf-8-sig") as file:
        sample = "".join(line for _, line in zip(range(50), file) if not line.lstrip().startswith("#"))
    try:
        return csv.Sniffer().sniff(sample, delimiters=DELIMITERS).delimiter
    except csv.Error:
        return ","


def _chosen_columns(path: Path, header: list[str] | None, width: int, columns, roles: tuple[str, ...]) -> list[int]:
    """The positions of the columns of these roles (x, y; or x1, x2, target)."""
    if columns is None:
        if width == len(roles):
            return list(range(width))
        named = f" ({', '.join(header)})" if header else ""
        if width < len(roles):
            expected = ", ".join(roles) if len(roles) == 3 else "x,y"
            raise ConfigError(f"{path}: has {width} column{'s' if width != 1 else ''}{named}; expected {expected} "
                              "separated by commas (or semicolons, or tabs)")
        raise ConfigError(f"{path}: has {width} columns{named}; say which two to use with data_columns: [x, y], by "
                          "header name or by number from 1, or which three for two inputs: [x1, x2, target]")
    positions = []
    for column in columns:
        if isinstance(column, int):
            if not 1 <= column <= width:
                raise ConfigError(f"{path}: data_columns: there is no column {column}; the file has {width}, "
                                  "numbered from 1")
            positions.append(column - 1)
        elif header is None or column not in header:
            where = f"its header has {', '.join(header)}" if header else "it has no header line; number the columns from 1"
            raise ConfigError(f"{path}: data_columns: no column is named {column!r}; {where}")
        else:
            positions.append(header.index(column))
    return positions


def _column_name(header: list[str] | None, position: int, role: str) -> str:
    return f"{role} ({header[position]!r})" if header else role


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _finite_number(path: Path, line: int, text: str, column: str) -> float:
    if not text.strip():
        raise ConfigError(f"{path}, line {line}: the {column} value is missing; every point needs a number in each column")
    try:
        value = float(text)
    except ValueError:
        hint = "; write decimals with a point (1.5, not 1,5)" if _is_number(text.replace(",", ".", 1)) else ""
        raise ConfigError(f"{path}, line {line}: the {column} value {text.strip()!r} is not a number{hint}") from None
    if not math.isfinite(value):
        raise ConfigError(f"{path}, line {line}: the {column} value is {text.strip()}; every value must be a finite number")
    if abs(value) > MAX_VALUE:
        raise ConfigError(f"{path}, line {line}: the {column} value {text.strip()} is beyond ±{MAX_VALUE:g}; rescale "
                          "the column")
    return value


def file_digest(path: Path) -> str:
    """The SHA-256 of a file's bytes: which data a run was trained on, wherever the file is now."""
    return hashlib.sha256(path.read_bytes()).hexdigest()
