"""The README's commands, as a new user runs them: in order, as written, in a fresh copy of the
project whose experiment files are shortened (300 epochs, 20 frames, no curvature; the study over 3
seeds).
Every result lands in a folder of its own, none replaces another, the compare example works after
the lines above it, and `make compare` never compares a run of other settings as the post's."""

import json
import re
import shlex
import shutil
import subprocess
import sys

import pytest

from conftest import ROOT

SHORTENED = {"epochs": 300, "frames": 20}


def readme_block(heading: str) -> list[str]:
    """The commands of the first code block under a README heading, one a line, comments dropped."""
    text = (ROOT / "README.md").read_text()
    section = text.split(f"\n## {heading}\n", 1)[1]
    block = section.split("```", 2)[1]
    return [line.split("  #")[0].strip() for line in block.strip().splitlines() if line.strip()]


def fresh_copy(folder):
    """The project's code, Makefile and experiment files (shortened) in a new folder, as a clone is."""
    for path in ROOT.iterdir():
        if path.suffix == ".py" or path.name in ("Makefile", "pyproject.toml"):
            shutil.copy2(path, folder / path.name)
    for name in ("drawing", "data"):
        shutil.copytree(ROOT / name, folder / name, ignore=shutil.ignore_patterns("__pycache__"))
    (folder / "experiments").mkdir()
    for path in (ROOT / "experiments").glob("*.yaml"):
        text = re.sub(r"^seeds: \d+", "seeds: 3", path.read_text(), flags=re.MULTILINE)  # the studies
        if re.search(r"^epochs: ", text, flags=re.MULTILINE):  # an experiment
            text = re.sub(r"^epochs: \d+", f"epochs: {SHORTENED['epochs']}", text, flags=re.MULTILINE)
            # Their curvature too is left out: its pictures are tested in test_curvature_pictures.py.
            text += f"frames: {SHORTENED['frames']}\nrecord: {{curvature: none}}\n"
        (folder / "experiments" / path.name).write_text(text)
    return folder


def run(command: list[str], folder) -> subprocess.CompletedProcess:
    return subprocess.run(command, cwd=folder, capture_output=True, text=True, timeout=600)


def as_run(line: str) -> list[str]:
    """A README line as this test runs it: `python` is this interpreter, `make X` runs the Makefile's
    recipe with it (the venv is this one, already installed), and progress bars are off."""
    words = shlex.split(line)
    if words[0] == "make":
        return ["make", "--no-print-directory", "-o", ".venv/.installed-base", "-o", ".venv/.installed-test",
                f"VENV_PYTHON={sys.executable}", *words[1:]]
    assert words[0] == "python", line
    return [sys.executable, *words[1:]]


def config_of(run_dir) -> dict:
    import yaml

    return yaml.safe_load((run_dir / "config.yaml").read_text())


@pytest.mark.slow
def test_the_readmes_commands_in_order_keep_every_result_and_compare_works(tmp_path):
    folder = fresh_copy(tmp_path)
    two_commands = readme_block("Two commands")
    assert two_commands == ["make demo"], "the demo, then `make test` in a block of its own"
    using_it = readme_block("Using it")
    for line in two_commands + using_it:
        result = run(as_run(line), folder)
        assert result.returncode == 0, f"{line}\n{result.stderr}"
        assert "Traceback" not in result.stderr, line

    output = folder / "output"
    # make demo's run is still the experiment as written, with the pictures the README points at.
    demo = output / "adam_2x10"
    assert config_of(demo)["epochs"] == 300 and config_of(demo)["learning_rate"] == 0.01
    assert (demo / "fit.gif").is_file() and (demo / "loss.png").is_file() and not (demo / "seeds.gif").exists()
    # Each line with overrides has a folder that says what it changes.
    assert config_of(output / "adam_2x10_lr0.05_epochs2000")["epochs"] == 2000
    assert config_of(output / "adam_2x10_seeds100")["seeds"] == 100
    assert (output / "adam_2x10_seeds100" / "seeds.gif").is_file()
    assert config_of(output / "sgd_momentum")["optimizer_options"] == {"momentum": 0.9}
    labelled = output / "compare_sgd_1x60_adam_1x60"
    assert json.loads((labelled / "comparison.json").read_text())["compared"][1]["label"] == "Adam"
    labelled_before = (labelled / "compare.png").read_bytes()
    assert "| adam_2x10 | 3 |" in (output / "study_optimizer_vs_layers" / "table.md").read_text()

    # make compare reuses the post's runs that are there (as written) and trains the one that is not.
    before = (demo / "snapshots.npz").read_bytes()
    result = run(as_run("make compare"), folder)
    assert result.returncode == 0, result.stderr
    assert "output/adam_2x10: already holds a completed run of these settings; reusing it" in result.stdout
    assert (demo / "snapshots.npz").read_bytes() == before and (output / "sgd_2x10" / "fit.gif").is_file()
    assert (output / "compare_sgd_1x60_sgd_2x10_adam_1x60_adam_2x10" / "compare.gif").is_file()
    assert (labelled / "compare.png").read_bytes() == labelled_before, "the README's own comparison is kept"

    # Once the experiment file is edited, its run there is of other settings: make compare stops,
    # says what differs, and leaves the run as it was.
    experiment = folder / "experiments" / "adam_2x10.yaml"
    experiment.write_text(experiment.read_text().replace("learning_rate: 0.01", "learning_rate: 0.02"))
    result = run(as_run("make compare"), folder)
    assert result.returncode != 0
    assert ("error: output/adam_2x10 holds a finished run of other settings (learning_rate 0.01 there, 0.02 here); "
            "keep both") in result.stderr
    assert ("make compare compares output/adam_2x10 as experiments/adam_2x10.yaml trains it; to replace what is "
            "there: python train.py --config experiments/adam_2x10.yaml --replace") in result.stdout
    assert (demo / "snapshots.npz").read_bytes() == before
