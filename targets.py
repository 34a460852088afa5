"""The functions a net can be asked to learn: built-in targets by name, or an expression in x; or,
for a net of two inputs, an expression in x1 and x2.

    target: square                 # a built-in target (BUILT_IN)
    target: "sin(3*x) + 0.3*x"     # an expression in x
    problem: "sin(x1) * cos(x2)"   # an expression in x1 and x2 (TWO_INPUTS; playground.py draws its points)

An expression is read with Python's own `ast` and evaluated over a small whitelist that maps
names to NumPy, never with `eval`: numbers, the inputs (x; or x1 and x2), pi and e, + - * / ** and unary minus,
comparisons (for `where`), parentheses, and calls of FUNCTIONS. Anything else (an attribute, a
subscript, a lambda, a comprehension, a string, a conditional expression, a call of anything
not listed, a keyword argument) is a TargetError naming it, before anything is evaluated.
(numexpr has used `eval` and lacks some of these names; asteval has had sandbox escapes: a
whitelist this size is the right tool.)

Pure NumPy: nothing here needs TensorFlow.
"""

from __future__ import annotations

import ast
import difflib
import operator
from typing import Callable

import numpy as np

# name: (expression, why it is interesting). The expressions are written for the default x range
# [0, 2π]; each is checked by the same reader as a user's expression.
BUILT_IN = {
    "sine": ("sin(x)", "the post's target: one smooth period"),
    "square": ("where(sin(x) >= 0, 1, -1)", "two jumps: sigmoid units must grow steep to draw them"),
    "sawtooth": ("x / pi - 2 * floor(x / (2 * pi) + 0.5)", "straight ramps and a jump at the end of each"),
    "triangle": ("2 * abs(x / pi - 2 * floor(x / (2 * pi) + 0.5)) - 1", "straight lines meeting at corners"),
    "step": ("where(x < pi, 0, 1)", "one jump in the middle: the simplest thing a net cannot draw smoothly"),
    "abs": ("abs(x - pi)", "a single corner: two ReLU units draw it exactly, sigmoids only nearly"),
    "gaussian_bump": ("exp(-(x - pi) ** 2 / 0.5)", "a narrow bump on flat ground: most of the range is easy"),
    "x_sin_x": ("x * sin(x)", "a wave whose amplitude grows along x"),
    "chirp": ("sin(x ** 2 / 2)", "a frequency that rises along x: where a net's bias toward low frequencies shows most"),
}

FUNCTIONS = {
    "sin": np.sin, "cos": np.cos, "tan": np.tan, "exp": np.exp, "log": np.log, "sqrt": np.sqrt, "abs": np.abs,
    "tanh": np.tanh, "sign": np.sign, "floor": np.floor, "minimum": np.minimum, "maximum": np.maximum,
    "where": np.where,
}
CONSTANTS = {"pi": np.pi, "e": np.e}
# How many arguments each function takes.
ARITY = {name: 1 for name in FUNCTIONS} | {"minimum": 2, "maximum": 2, "where": 3}
BINARY = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
          ast.Pow: operator.pow}
COMPARISONS = {ast.Lt: operator.lt, ast.LtE: operator.le, ast.Gt: operator.gt, ast.GtE: operator.ge,
               ast.Eq: operator.eq, ast.NotEq: operator.ne}
# The largest |value| a target may take: its squared errors must stay finite in float32.
MAX_VALUE = 1e6
MAX_LENGTH = 500  # characters: an expression is a formula, not a program
# The names of the inputs an expression is written in: one input's, or two inputs' (a problem's).
ONE_INPUT = ("x",)
TWO_INPUTS = ("x1", "x2")


class TargetError(ValueError):
    """A target that cannot be used; the message names what is wrong."""


def expression_of(target: str) -> str:
    """The expression a target stands for: a built-in's by its name, else the target itself."""
    return BUILT_IN[target][0] if target in BUILT_IN else target


def shortened(text: str, limit: int = 60) -> str:
    """A long expression as messages and pictures quote it: its start, then '…'."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def compile_target(target: str) -> Callable[[np.ndarray], np.ndarray]:
    """A function of x for a built-in name or an expression; TargetError if it is not one."""
    tree = _checked_tree(expression_of(target), ONE_INPUT)

    def target_function(x: np.ndarray) -> np.ndarray:
        return _evaluated(tree, {"x": np.asarray(x, dtype=np.float64)}, np.shape(x))

    return target_function


def compile_plane_target(expression: str) -> Callable[[np.ndarray], np.ndarray]:
    """A function of positions (points, 2) on a plane of two inputs for an expression in x1 and x2:
    its values (points,); TargetError if it is not one."""
    tree = _checked_tree(expression, TWO_INPUTS)

    def target_function(positions: np.ndarray) -> np.ndarray:
        positions = np.asarray(positions, dtype=np.float64)
        return _evaluated(tree, {"x1": positions[:, 0], "x2": positions[:, 1]}, positions.shape[:1])

    return target_function


def _key(inputs: tuple[str, ...]) -> str:
    """The setting an expression in these inputs is given to, as messages name it."""
    return "a target" if inputs == ONE_INPUT else "a problem"


def _in_words(inputs: tuple[str, ...]) -> str:
    return " and ".join(inputs)


def _checked_tree(text: str, inputs: tuple[str, ...]) -> ast.Expression:
    """The expression's syntax tree, checked against the whitelist for these input names."""
    if not isinstance(text, str) or not text.strip():
        raise TargetError(f"an empty target: give {'a built-in name or ' if inputs == ONE_INPUT else ''}"
                          f"an expression in {_in_words(inputs)}")
    if len(text) > MAX_LENGTH:
        raise TargetError(f"an expression of {len(text)} characters; a target may have at most {MAX_LENGTH}")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError:
        built_in = f"; built-in targets: {', '.join(BUILT_IN)}" if inputs == ONE_INPUT else ""
        raise TargetError(f"{shortened(text)!r} is not an expression in {_in_words(inputs)} (a syntax error)"
                          f"{built_in}") from None
    check(tree.body, shortened(text), inputs)
    return tree


def _evaluated(tree: ast.Expression, inputs: dict[str, np.ndarray], shape: tuple) -> np.ndarray:
    with np.errstate(all="ignore"):  # a value that is not finite is reported by the caller
        values = evaluate(tree.body, inputs)
    return np.broadcast_to(np.asarray(values, dtype=np.float64), shape).copy()


def check(node: ast.AST, text: str, inputs: tuple[str, ...] = ONE_INPUT) -> None:
    """Refuse, naming it, anything in the expression outside the whitelist (the inputs named)."""
    if isinstance(node, ast.Constant):
        if type(node.value) not in (int, float):
            raise TargetError(f"{text!r}: {node.value!r} is not a number; only numbers, {', '.join(inputs)} and "
                              f"{', '.join(CONSTANTS)} may appear")
        if type(node.value) is int and abs(node.value) > 10**300:  # beyond a float: 1e400 is inf, 10**400 fails
            raise TargetError(f"{text!r}: a number of {len(str(node.value))} digits is too large for a target")
    elif isinstance(node, ast.Name):
        if node.id not in inputs and node.id not in CONSTANTS:
            raise TargetError(f"{text!r}: unknown name {node.id!r}{_hint(node.id, inputs)}; use "
                              f"{', '.join(inputs)}, {', '.join(CONSTANTS)} and the functions {', '.join(FUNCTIONS)}")
    elif isinstance(node, ast.BinOp) and type(node.op) in BINARY:
        check(node.left, text, inputs)
        check(node.right, text, inputs)
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        check(node.operand, text, inputs)
    elif isinstance(node, ast.Compare) and len(node.ops) == 1 and type(node.ops[0]) in COMPARISONS:
        check(node.left, text, inputs)
        check(node.comparators[0], text, inputs)
    elif isinstance(node, ast.Call):
        name = node.func.id if isinstance(node.func, ast.Name) else None
        if name not in FUNCTIONS:
            raise TargetError(f"{text!r}: {ast.unparse(node.func)!r} is not a function {_key(inputs)} may call; "
                              f"use {', '.join(FUNCTIONS)}")
        if node.keywords or len(node.args) != ARITY[name]:
            raise TargetError(f"{text!r}: {name} takes {ARITY[name]} argument"
                              f"{'s' if ARITY[name] > 1 else ''}, written in order")
        for argument in node.args:
            check(argument, text, inputs)
    elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitXor):
        raise TargetError(f"{text!r}: ^ is not a power here; write ** ({ast.unparse(node.left)} ** "
                          f"{ast.unparse(node.right)})")
    else:
        raise TargetError(f"{text!r}: {describe(node)} is not allowed in {_key(inputs)}; use numbers, {', '.join(inputs)}, "
                          f"{', '.join(CONSTANTS)}, + - * / **, comparisons and the functions {', '.join(FUNCTIONS)}")


def _hint(name: str, inputs: tuple[str, ...]) -> str:
    """What an unknown name was likely meant to be: the other number of inputs' names, or a close name."""
    if name in TWO_INPUTS and inputs == ONE_INPUT:
        return " (x1 and x2 are the two inputs of a problem: set problem: to the expression)"
    if name in ONE_INPUT and inputs == TWO_INPUTS:
        return " (x is the input of a target of one input; a problem's expression is in x1 and x2)"
    close = difflib.get_close_matches(name.lower(), [*inputs, *CONSTANTS, *FUNCTIONS,
                                                     *(BUILT_IN if inputs == ONE_INPUT else ())], n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def describe(node: ast.AST) -> str:
    """A few words for a construct that is refused."""
    words = {ast.Attribute: "an attribute", ast.Subscript: "a subscript", ast.Lambda: "a lambda",
             ast.IfExp: "a conditional expression", ast.ListComp: "a comprehension", ast.GeneratorExp: "a comprehension",
             ast.SetComp: "a comprehension", ast.DictComp: "a comprehension", ast.BoolOp: "and/or",
             ast.Compare: "a chained comparison", ast.NamedExpr: "an assignment", ast.Starred: "a starred argument"}
    return f"{words.get(type(node), type(node).__name__)} ({ast.unparse(node)!r})"


def evaluate(node: ast.AST, inputs: dict[str, np.ndarray]):
    """The value of a checked expression at the inputs given ({"x": x}, or {"x1": x1, "x2": x2})."""
    if isinstance(node, ast.Constant):
        return np.float64(node.value)  # NumPy's: 10 ** 400 is inf, not Python's OverflowError
    if isinstance(node, ast.Name):
        return inputs[node.id] if node.id in inputs else CONSTANTS[node.id]
    if isinstance(node, ast.BinOp):
        return BINARY[type(node.op)](evaluate(node.left, inputs), evaluate(node.right, inputs))
    if isinstance(node, ast.UnaryOp):
        value = evaluate(node.operand, inputs)
        return -value if isinstance(node.op, ast.USub) else value
    if isinstance(node, ast.Compare):
        return COMPARISONS[type(node.ops[0])](evaluate(node.left, inputs), evaluate(node.comparators[0], inputs))
    return FUNCTIONS[node.func.id](*(evaluate(argument, inputs) for argument in node.args))


def first_unusable_x(target: str, x_min: float, x_max: float, counts: tuple[int, ...]) -> float | None:
    """The first x, among `counts` evenly spaced points on [x_min, x_max] (the data's and the
    grid's), where the target is not a finite number within ±MAX_VALUE; None if there is none."""
    function = compile_target(target)
    for count in counts:
        x = np.linspace(x_min, x_max, count)
        bad = ~usable(function(x))
        if bad.any():
            return float(x[np.argmax(bad)])
    return None


def usable(values: np.ndarray, classifies: bool = False) -> np.ndarray:
    """Where a target's values can be trained on: finite numbers within ±MAX_VALUE; for a class
    boundary (class 1 where the value is above 0), any number but NaN."""
    with np.errstate(all="ignore"):
        return ~np.isnan(values) if classifies else np.isfinite(values) & (np.abs(values) <= MAX_VALUE)
