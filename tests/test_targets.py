"""targets.py: the built-in targets and expressions in x, read over a whitelist and never run as Python."""

import re

import numpy as np
import pytest

import targets
from targets import TargetError

X = np.linspace(0, 2 * np.pi, 200)


@pytest.mark.parametrize("name", sorted(targets.BUILT_IN))
def test_every_built_in_target_is_a_finite_function_of_x(name):
    values = targets.compile_target(name)(X)
    assert values.shape == X.shape and np.all(np.isfinite(values))
    assert np.ptp(values) > 0.5, "something to learn"


def test_the_built_in_shapes_are_what_their_names_say():
    np.testing.assert_array_equal(targets.compile_target("sine")(X), np.sin(X))
    np.testing.assert_array_equal(targets.compile_target("square")(X), np.where(np.sin(X) >= 0, 1.0, -1.0))
    np.testing.assert_array_equal(targets.compile_target("step")(X), (X >= np.pi).astype(float))
    sawtooth, triangle = targets.compile_target("sawtooth")(X), targets.compile_target("triangle")(X)
    assert sawtooth.min() >= -1 and sawtooth.max() <= 1 and triangle.min() >= -1 and triangle.max() <= 1
    np.testing.assert_allclose(sawtooth[X < np.pi], X[X < np.pi] / np.pi)
    np.testing.assert_allclose(targets.compile_target("chirp")(X), np.sin(X**2 / 2))


@pytest.mark.parametrize("expression, expected", [
    ("sin(3*x) + 0.3*x", lambda x: np.sin(3 * x) + 0.3 * x),
    ("where(x < pi, -1, 2 * x)", lambda x: np.where(x < np.pi, -1, 2 * x)),
    ("minimum(x, 2) - maximum(-x, -1) / e", lambda x: np.minimum(x, 2) - np.maximum(-x, -1) / np.e),
    ("-x ** 2 + +1", lambda x: -x**2 + 1),
    ("tanh(x) * sign(cos(x)) + sqrt(x) + log(x + 1) + exp(-x) + abs(tan(x / 4)) + floor(x)",
     lambda x: np.tanh(x) * np.sign(np.cos(x)) + np.sqrt(x) + np.log(x + 1) + np.exp(-x) + np.abs(np.tan(x / 4))
     + np.floor(x)),
    ("(x >= 1) * 3", lambda x: (x >= 1) * 3.0),
    ("2.5", lambda x: np.full_like(x, 2.5)),
])
def test_an_expression_is_its_numpy_formula(expression, expected):
    np.testing.assert_allclose(targets.compile_target(expression)(X), expected(X))


def test_overflow_is_infinity_for_the_caller_to_report_not_an_exception():
    assert np.all(np.isinf(targets.compile_target("10 ** 400 + x")(X)))
    assert np.isnan(targets.compile_target("log(x - 10)")(X)).all()


@pytest.mark.parametrize("expression, named", [
    ("__import__('os').system('touch {sentinel}')", "__import__('os').system\" is not a function a target may call"),
    ("__import__('os')", "'__import__' is not a function a target may call"),
    ("open('{sentinel}', 'w')", "'open' is not a function a target may call"),
    ("eval('open(\"{sentinel}\", \"w\")')", "'eval' is not a function a target may call"),
    ("exec('import os')", "'exec' is not a function a target may call"),
    ("().__class__.__bases__[0].__subclasses__()", "is not a function a target may call"),
    ("x.__class__", "an attribute ('x.__class__')"),
    ("np.sin(x)", "'np.sin' is not a function a target may call"),
    ("x[0]", "a subscript ('x[0]')"),
    ("[c for c in (1, 2)]", "a comprehension"),
    ("sum(c for c in (1, 2))", "'sum' is not a function a target may call"),
    ("(lambda: 1)()", "is not a function a target may call"),
    ("lambda: 1", "a lambda"),
    ("'abc'", "'abc' is not a number"),
    ("b'x'", "b'x' is not a number"),
    ("f'{{x}}'", "JoinedStr"),
    ("x if x > 1 else 1", "a conditional expression"),
    ("x > 1 and x < 2", "and/or"),
    ("1 < x < 2", "a chained comparison"),
    ("(y := 1)", "an assignment"),
    ("sin(x, out=x)", "sin takes 1 argument, written in order"),
    ("where(x < 1, 0)", "where takes 3 arguments, written in order"),
    ("sin(*[x])", "a starred argument ('*[x]')"),
    ("y + 1", "unknown name 'y'"),
    ("globals", "unknown name 'globals'"),
    ("True + x", "True is not a number"),
    ("None", "None is not a number"),
    ("1j * x", "1j is not a number"),
    ("x % 2", "BinOp"),
    ("x // 2", "BinOp"),
    ("~x", "UnaryOp"),
    ("not x", "UnaryOp"),
    ("x @ x", "BinOp"),
    ("x in (1, 2)", "is not allowed"),
])
def test_anything_outside_the_whitelist_is_refused_by_name_and_nothing_runs(tmp_path, expression, named):
    sentinel = tmp_path / "ran"
    with pytest.raises(TargetError) as error:
        targets.compile_target(expression.format(sentinel=sentinel))
    assert named in str(error.value) and "\n" not in str(error.value)
    assert not sentinel.exists()


@pytest.mark.parametrize("expression, message", [
    ("", "an empty target"),
    ("   ", "an empty target"),
    ("sin(x", "is not an expression in x (a syntax error); built-in targets: sine, square"),
    ("x = 1", "a syntax error"),
    ("import os", "a syntax error"),
    ("x +" + " x +" * 200 + " x", "may have at most 500"),
    ("x^2", "^ is not a power here; write ** (x ** 2)"),
    ("Square", "unknown name 'Square' (did you mean 'square'?)"),
    ("1" * 400 + " * x", "a number of 400 digits is too large for a target"),
    ("sin(x" + " + x" * 30, "'sin(x + x + x + x + x + x + x + x + x + x + x + x + x + x +…' is not an expression"),
])
def test_an_unreadable_target_is_refused_in_one_line(expression, message):
    with pytest.raises(TargetError, match=re.escape(message)):
        targets.compile_target(expression)


# --- expressions in x1 and x2 (a problem of two inputs) ----------------------------------------------

POSITIONS = np.random.default_rng(0).uniform(-6, 6, (300, 2))


@pytest.mark.parametrize("expression, expected", [
    ("sin(x1) * cos(x2)", lambda x1, x2: np.sin(x1) * np.cos(x2)),
    ("where(x1 * x2 > 0, 1, -1) + pi", lambda x1, x2: np.where(x1 * x2 > 0, 1, -1) + np.pi),
    ("x2", lambda x1, x2: x2),
    ("2", lambda x1, x2: np.full_like(x1, 2.0)),
])
def test_an_expression_in_x1_and_x2_is_its_numpy_formula_at_each_position(expression, expected):
    values = targets.compile_plane_target(expression)(POSITIONS)
    assert values.shape == (300,)
    np.testing.assert_allclose(values, expected(POSITIONS[:, 0], POSITIONS[:, 1]))


@pytest.mark.parametrize("expression, message", [
    ("sin(x) * x2", "unknown name 'x' (x is the input of a target of one input; a problem's expression is in x1 and x2)"),
    ("X1 + x2", "unknown name 'X1' (did you mean 'x1'?); use x1, x2, pi, e"),
    ("sin(x1", "'sin(x1' is not an expression in x1 and x2 (a syntax error)"),
    ("x1.real", "an attribute ('x1.real') is not allowed in a problem; use numbers, x1, x2"),
    ("", "an empty target: give an expression in x1 and x2"),
])
def test_an_expression_of_two_inputs_takes_x1_and_x2_alone(expression, message):
    with pytest.raises(TargetError) as error:
        targets.compile_plane_target(expression)
    assert message in str(error.value) and "\n" not in str(error.value)


def test_a_target_of_one_input_refuses_x1_and_says_where_it_belongs():
    with pytest.raises(TargetError, match=re.escape("unknown name 'x1' (x1 and x2 are the two inputs of a problem: "
                                                    "set problem: to the expression)")):
        targets.compile_target("x1 * x2")
