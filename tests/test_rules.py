"""The shape of the code: each rule said in one module, the commands over a library, TensorFlow
behind one boundary, no module too long to read. These read the source, not its behaviour."""

import ast
import re
import pytest

from conftest import ROOT

COMMANDS = {"train.py", "animate.py", "study.py"}
MAX_LINES = 500


def package_modules() -> dict[str, str]:
    """Every module of the project but its tests and benchmarks: name (drawing/x.py) -> source."""
    paths = sorted(ROOT.glob("*.py")) + sorted((ROOT / "drawing").glob("*.py"))
    return {str(path.relative_to(ROOT)): path.read_text(encoding="utf-8") for path in paths}


MODULES = package_modules()


def strings(source: str) -> list[str]:
    """The string constants of a module (f-strings' literal parts too), docstrings left out."""
    tree = ast.parse(source)
    docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                  if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
                  and node.body and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)}
    return [node.value for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings]


def code_lines(source: str) -> str:
    """The source without its comments (a rule may be named in a comment anywhere)."""
    return "\n".join(line.split("#", 1)[0] if not line.lstrip().startswith(("'", '"')) else line
                     for line in source.splitlines())


# Each rule: what finds it in a module (a test on its string constants, or a pattern in its code)
# and the one module that may hold it.
STRING_RULES = {
    "the at-floor words ('within 10% of the noise floor')": (lambda text: "within 10%" in text, "summaries.py"),
    "an unknown noise floor in words": (lambda text: "noise floor unknown" in text, "summaries.py"),
    "the noise floor in words ('noise floor σ² = 0.04')": (lambda text: "noise floor σ² =" in text, "summaries.py"),
    "a final error that is not finite in words": (lambda text: text.strip() == "not finite", "summaries.py"),
    "the files that mark a folder as ours": (lambda text: text in ("summary.json", "comparison.json"), "outputs.py"),
    "a run's own files": (lambda text: text in ("config.yaml", "snapshots.npz", "history.csv", "report.html", "fit.gif",
                                               "loss.png", "seeds.gif", "seeds.png", "units.gif", "residuals.png"),
                          "rundir.py"),
    "a study's own files": (lambda text: text in ("table.md", "final_error.png", "phase.png"), "studies.py"),
    "a comparison's own files": (lambda text: text in ("compare.gif", "compare.png"), "comparisons.py"),
    "a study's folder of runs": (lambda text: text in ("runs", "runs/"), "cells.py"),
    "the short names of settings in folder names ('lr0.01')": (lambda text: text == "lr", "naming.py"),
    "how to install the video extra": (lambda text: ".[video]" in text, "drawing/video.py"),
}
CODE_RULES = {
    "writing a file under a temporary name": (r"\btemporary_path\(", "outputs.py"),
    "the stack's split (min(nets, STACK_PARTS))": (r"min\([^)]*STACK_PARTS", "config_schema.py"),
    "the layer label ('1x60', '10-5')": (r"\}x\{", "training_words.py"),
    "the at-floor tolerance (1.1 x the noise floor)": (r"AT_FLOOR_TOLERANCE\s*=", "summaries.py"),
    "the run format's version": (r"^FORMAT\s*=", "rundir.py"),
}
# Strings that only look like a rule: the page's data has a key "runs" (a list of runs, not a folder).
NOT_A_RULE = {("drawing/page.py", "runs"), ("drawing/page_data.py", "runs"), ("drawing/plane_page.py", "runs")}


@pytest.mark.parametrize("rule", sorted(STRING_RULES))
def test_each_wording_and_file_name_is_said_in_its_one_module(rule):
    found, owner = STRING_RULES[rule]
    holders = sorted({name for name, source in MODULES.items()
                      for text in strings(source) if found(text) and (name, text) not in NOT_A_RULE})
    assert holders == [owner], f"{rule}: said in {holders}, its home is {owner}"


@pytest.mark.parametrize("rule", sorted(CODE_RULES))
def test_each_rule_of_the_code_is_spelled_out_in_its_one_module(rule):
    pattern, owner = CODE_RULES[rule]
    holders = sorted(name for name, source in MODULES.items()
                     if re.search(pattern, code_lines(source), re.MULTILINE))
    assert holders == [owner], f"{rule}: spelled out in {holders}, its home is {owner}"


def imported_modules(source: str) -> set[str]:
    """The top-level names a module imports, anywhere in it (a deferred import too)."""
    names = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_no_library_module_imports_a_command():
    commands = {name.removesuffix(".py") for name in COMMANDS}
    importers = {name: sorted(imported_modules(source) & commands) for name, source in MODULES.items()
                 if name not in COMMANDS}
    assert {name: found for name, found in importers.items() if found} == {}


# The modules that hold TensorFlow: the nets, the loops and what they record, the fit callback.
TENSORFLOW_LAYER = {"engine", "loop_cache", "models", "loop_body", "losses", "regime", "unit_measures", "recording",
                    "prediction_snapshots"}


def test_tensorflow_starts_behind_one_boundary():
    """Keras and TensorFlow are imported by the TensorFlow layer only, and that layer by
    training.py alone: reading, drawing and checking never start TensorFlow."""
    tensorflow_users = {name.removesuffix(".py") for name, source in MODULES.items()
                        if imported_modules(source) & {"tensorflow", "keras"}}
    assert tensorflow_users <= TENSORFLOW_LAYER
    layer_users = sorted(name for name, source in MODULES.items()
                         if imported_modules(source) & TENSORFLOW_LAYER and name.removesuffix(".py") not in TENSORFLOW_LAYER)
    assert layer_users == ["training.py"]


def test_the_commands_parse_arguments_and_report_only():
    """A command defines no more than its arguments, its Ctrl-C, its messages and main."""
    for name in COMMANDS:
        tree = ast.parse(MODULES[name])
        defined = [node.name for node in tree.body if isinstance(node, (ast.FunctionDef, ast.ClassDef))]
        assert len(MODULES[name].splitlines()) < 200 and len(defined) <= 8, (name, defined)


@pytest.mark.parametrize("name", sorted(MODULES))
def test_no_module_is_over_500_lines(name):
    assert len(MODULES[name].splitlines()) <= MAX_LINES
