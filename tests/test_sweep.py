"""sweep.py and study.py over a grid: cells from a base experiment and a grid, named from their
settings; trained locally, reused when nothing that shapes their numbers changed, redrawn when only
the drawing did; an interrupted study resumed; --ray without Ray installed."""

import json
import os
import shutil
import signal
import subprocess
import sys
import time

import pytest
from PIL import Image

import animate
import study
import sweep
from config import ConfigError
from conftest import ROOT
import cells as cells_module
import ray_cells
import rundir
import studies
import study_table
from summaries import StudyRow

QUICK = ["epochs=40", "frames=4", "n_samples=40", "grid_points=30"]


def grid_study(folder, grid: str, seeds: int = 1):
    path = folder / "grid.yaml"
    path.write_text(f"base: {ROOT / 'experiments' / 'adam_2x10.yaml'}\nseeds: {seeds}\ngrid:\n{grid}")
    return path


def test_a_grid_is_every_combination_named_from_its_settings(tmp_path):
    path = grid_study(tmp_path, "  learning_rate: [0.003, 0.1]\n  hidden_layers: [[60], [10, 10], [4, 2]]\n"
                                "  optimizer: [sgd, adam]\n", seeds=5)
    settings, cells = studies.load_study(path)
    assert settings.seeds == 5 and len(cells) == 12
    assert [cell.name for cell in cells[:4]] == ["lr0.003_1x60_sgd", "lr0.003_1x60_adam", "lr0.003_2x10_sgd",
                                                 "lr0.003_2x10_adam"]
    assert cells[5].name == "lr0.003_4-2_adam" and cells[5].config.hidden_layers == [4, 2]
    last = cells[-1]
    assert last.settings == {"learning_rate": 0.1, "hidden_layers": [4, 2], "optimizer": "adam"}
    assert (last.config.learning_rate, last.config.optimizer, last.config.seeds, last.config.name) == (
        0.1, "adam", 5, "lr0.1_4-2_adam")


def test_a_study_may_list_experiments_and_vary_a_grid(tmp_path):
    path = tmp_path / "both.yaml"
    path.write_text(f"seeds: 2\nexperiments: [{ROOT / 'experiments' / 'sgd_1x60.yaml'}]\n"
                    f"base: {ROOT / 'experiments' / 'adam_2x10.yaml'}\ngrid:\n  learning_rate: 0.05\n")
    _, cells = studies.load_study(path)
    assert [cell.name for cell in cells] == ["sgd_1x60", "lr0.05"] and cells[1].config.learning_rate == 0.05


@pytest.mark.parametrize("text, expected", [
    ("seeds: 2\ngrid:\n  learning_rate: [0.1]\n", "grid: needs base:"),
    (f"seeds: 2\nbase: {ROOT / 'experiments' / 'adam_2x10.yaml'}\n", "base: needs grid:"),
    (f"base: {ROOT / 'experiments' / 'adam_2x10.yaml'}\ngrid:\n  seeds: [1, 2]\n", "grid: 'seeds' cannot be varied"),
    (f"base: {ROOT / 'experiments' / 'adam_2x10.yaml'}\ngrid:\n  render.fps: [1, 2]\n", "grid: 'render.fps' cannot be varied"),
    (f"base: {ROOT / 'experiments' / 'adam_2x10.yaml'}\ngrid:\n  learning_rate: [0.1, 0.1]\n", "lists a value twice"),
    (f"base: {ROOT / 'experiments' / 'adam_2x10.yaml'}\ngrid:\n  learning_rate: []\n", "at least one value"),
    (f"base: {ROOT / 'experiments' / 'adam_2x10.yaml'}\ngrid:\n  learning_rate: [0.1, -1]\n",
     "grid: learning_rate=-1"),
    (f"base: {ROOT / 'experiments' / 'adam_2x10.yaml'}\ngrid:\n  n_samples: {list(range(10, 1100))}\n",
     "1,090 cells; a study holds at most 1,000"),
])
def test_a_bad_grid_is_a_plain_error(tmp_path, text, expected):
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as error:
        studies.load_study(path)
    assert expected in str(error.value) and len(str(error.value).splitlines()) == 1


def run_study_command(arguments: list[str], capsys) -> tuple[int, str, str]:
    status = study.main(arguments + ["--no-progress"])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


@pytest.fixture(scope="module")
def trained_once(tmp_path_factory):
    """A grid of 2 x 2 cells of 1 seed, trained here, quickly (test_ray.py trains cells of 2 seeds),
    once for the module: (study file, output folder, exit status). Read it; to change it, take `swept`."""
    folder = tmp_path_factory.mktemp("sweep")
    path = grid_study(folder, "  learning_rate: [0.01, 0.1]\n  optimizer: [sgd, adam]\n")
    status = study.main([str(path), "--output-dir", str(folder / "out"), "--no-progress", "--jobs", "1"] +
                        [item for setting in QUICK for item in ("--set", setting)])
    return path, folder / "out", status


@pytest.fixture
def swept(trained_once, tmp_path):
    """That study as it was trained, a copy of its file and its output for this test alone."""
    path, output, status = trained_once
    (tmp_path / "study").mkdir()
    shutil.copy2(path, tmp_path / "study" / path.name)
    shutil.copytree(output, tmp_path / "study" / output.name)
    return tmp_path / "study" / path.name, tmp_path / "study" / output.name, status


def quick_arguments(path, output) -> list[str]:
    return [str(path), "--output-dir", str(output)] + [item for setting in QUICK for item in ("--set", setting)]


def test_a_grid_study_writes_a_row_per_cell_and_its_phase_diagram(trained_once):
    _, output, status = trained_once
    assert status == 0
    assert sorted(path.name for path in output.iterdir()) == ["phase.png", "report.html", "runs", "summary.json", "table.md"]
    summary = json.loads((output / "summary.json").read_text())
    assert [row["experiment"] for row in summary["rows"]] == ["lr0.01_sgd", "lr0.01_adam", "lr0.1_sgd", "lr0.1_adam"]
    assert summary["rows"][3]["settings"] == {"learning_rate": 0.1, "optimizer": "adam"} and summary["missing"] == []
    table = (output / "table.md").read_text().splitlines()
    assert table[0].startswith("| experiment | learning_rate | optimizer | seeds |")
    assert table[2].startswith("| lr0.01_sgd | 0.01 | sgd | 1 |")
    for row in summary["rows"]:
        run = json.loads((output / "runs" / row["experiment"] / "summary.json").read_text())
        assert run["seeds"] == 1 and run["epochs_completed"] == 40


def test_running_it_again_reuses_every_cell_and_gives_the_same_table(swept, capsys):
    path, output, _ = swept
    before = (output / "table.md").read_text()
    stamps = {cell.name: cell.stat().st_mtime_ns for cell in (output / "runs").iterdir()}
    status, out, _ = run_study_command(quick_arguments(path, output), capsys)
    assert status == 0 and "4 reused from an earlier run of this study, 0 to train" in out
    assert (output / "table.md").read_text() == before
    assert {cell.name: cell.stat().st_mtime_ns for cell in (output / "runs").iterdir()} == stamps


def test_a_new_drawing_setting_redraws_and_a_new_grid_value_trains_only_its_cells(swept, capsys):
    path, output, _ = swept
    before = json.loads((output / "summary.json").read_text())["rows"]
    status, out, _ = run_study_command(quick_arguments(path, output) + ["--set", "render.fps=5"], capsys)
    assert status == 0 and "4 reused from an earlier run of this study (4 to redraw), 0 to train" in out
    assert "fps: 5" in (output / "runs" / "lr0.01_sgd" / "config.yaml").read_text()
    assert json.loads((output / "summary.json").read_text())["rows"] == before
    path.write_text(path.read_text().replace("[0.01, 0.1]", "[0.01, 0.1, 0.03]"))
    status, out, _ = run_study_command(quick_arguments(path, output) + ["--set", "render.fps=5"], capsys)
    assert status == 0 and "6 cells of 1 seed; 4 reused from an earlier run of this study, 2 to train" in out
    rows = json.loads((output / "summary.json").read_text())["rows"]
    assert [row["experiment"] for row in rows][4:] == ["lr0.03_sgd", "lr0.03_adam"] and rows[:4] == before


def test_animate_on_a_study_draws_its_cells_gifs_and_the_study_then_reuses_them(swept, capsys):
    path, output, _ = swept
    cell = output / "runs" / "lr0.1_adam"
    assert not (cell / "fit.gif").exists() and (cell / "report.html").is_file()
    assert animate.main([str(output)]) == 0
    for name in ("lr0.01_sgd", "lr0.01_adam", "lr0.1_sgd", "lr0.1_adam"):
        assert {"fit.gif", "loss.png", "units.gif", "residuals.png", "report.html"} <= {
            child.name for child in (output / "runs" / name).iterdir()}
    stamps = {child.name: child.stat().st_mtime_ns for child in cell.iterdir()}
    status, out, _ = run_study_command(quick_arguments(path, output), capsys)
    assert status == 0 and "4 reused from an earlier run of this study, 0 to train" in out  # nothing to redraw
    assert {child.name: child.stat().st_mtime_ns for child in cell.iterdir()} == stamps
    # A new drawing setting redraws the GIFs it holds too: none is left drawn with the old one.
    status, out, _ = run_study_command(quick_arguments(path, output) + ["--set", "render.fps=5"], capsys)
    assert status == 0 and "(4 to redraw)" in out
    with Image.open(cell / "fit.gif") as gif:
        assert gif.info["duration"] == 200


def test_a_study_files_render_settings_reach_its_cells_unless_the_command_line_gives_them(tmp_path):
    path = grid_study(tmp_path, "  learning_rate: [0.01, 0.1]\n")
    path.write_text(path.read_text() + "render:\n  pictures: all\n  fps: 10\n")
    _, cells = studies.load_study(path)
    assert {(cell.config.render.pictures, cell.config.render.fps) for cell in cells} == {("all", 10)}
    _, cells = studies.load_study(path, ["render.pictures=page"])
    assert {(cell.config.render.pictures, cell.config.render.fps) for cell in cells} == {("page", 10)}
    path.write_text(path.read_text().replace("  pictures: all\n", ""))
    assert {cell.config.render.pictures for cell in studies.load_study(path)[1]} == {"page"}  # a cell's default


def test_a_cell_is_reused_only_if_what_shapes_its_numbers_matches(swept):
    path, output, _ = swept
    _, cells = studies.load_study(path, QUICK)
    cell = cells[0]
    assert cells_module.reusable(output / "runs" / cell.name, cell.config) in ("reuse", "redraw")
    for change in ({"noise_std": 0.3}, {"epochs": 41}, {"seed": 1}, {"learning_rate": 0.02}):
        assert cells_module.reusable(output / "runs" / cell.name, cell.config.model_copy(update=change)) is None, change
    summary = output / "runs" / cell.name / "summary.json"
    summary.write_text(summary.read_text().replace(f'"format": {rundir.FORMAT}', '"format": 1'))
    assert cells_module.reusable(output / "runs" / cell.name, cell.config) is None, "another run format"


@pytest.mark.slow
def test_an_interrupted_study_keeps_its_cells_and_the_rerun_ends_as_an_uninterrupted_one(tmp_path, trained_once):
    """python study.py, Ctrl-C once the first cell is on disk: exit 130, the finished cells kept
    and in the table, the others listed as missing; the same command again trains only those and
    ends with the table of the study that was not interrupted."""
    path, uninterrupted, _ = trained_once
    output = tmp_path / "out"
    command = [sys.executable, str(ROOT / "study.py"), *quick_arguments(path, output), "--no-progress"]
    process = subprocess.Popen(command, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 300
    while not (output / "runs" / "lr0.01_sgd" / "summary.json").exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=300)
    assert process.returncode == 130, err
    assert "every finished cell is kept" in err
    summary = json.loads((output / "summary.json").read_text())
    finished = [row["experiment"] for row in summary["rows"]]
    assert "lr0.01_sgd" in finished and summary["missing"] and len(finished) + len(summary["missing"]) == 4
    assert "still missing (run the same command again to train only these)" in (output / "table.md").read_text()
    assert not [entry for entry in (output / "runs").iterdir() if entry.name.startswith(".")], "no half-written cell"
    rerun = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert rerun.returncode == 0, rerun.stderr
    assert f"{len(finished)} reused from an earlier run of this study, {4 - len(finished)} to train" in rerun.stdout
    expected = json.loads((uninterrupted / "summary.json").read_text())["rows"]
    assert json.loads((output / "summary.json").read_text())["rows"] == expected


def test_ray_without_ray_installed_says_how_to_install_it(tmp_path):
    """In a Python where `import ray` fails: one line, exit 2, nothing written."""
    path = grid_study(tmp_path, "  learning_rate: [0.01]\n")
    blocked = ("import sys; sys.modules['ray'] = None; sys.argv[0] = 'study.py'; import study; "
               f"sys.exit(study.main({[str(path), '--ray', 'auto', '--output-dir', str(tmp_path / 'out')]!r}))")
    result = subprocess.run([sys.executable, "-c", blocked], cwd=ROOT, capture_output=True, text=True, timeout=120,
                            env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert result.returncode == 2
    assert result.stderr.strip() == f"error: {ray_cells.RAY_MISSING}"
    assert not (tmp_path / "out").exists()


def test_fresh_deletes_nothing_before_its_cells_are_trained_again(swept, monkeypatch, capsys):
    """--fresh interrupted before any cell is trained again: every earlier cell is still there,
    and so is the table."""
    path, output, _ = swept
    rows = json.loads((output / "summary.json").read_text())["rows"]

    def interrupted(cells, runs_dir, at_once=sweep.CELLS_AT_ONCE):
        raise KeyboardInterrupt
        yield

    monkeypatch.setattr(sweep, "train_here", interrupted)
    status, _, err = run_study_command(quick_arguments(path, output) + ["--set", "render.fps=5", "--fresh"], capsys)
    assert status == 130 and "every finished cell is kept" in err
    assert json.loads((output / "summary.json").read_text())["rows"] == rows


def test_what_a_killed_worker_left_of_a_cell_does_not_block_the_study_and_is_removed(tmp_path):
    """A staged cell whose writer (on this machine) is gone is removed; one whose writer still runs,
    one from another machine and a folder of the user's stay."""
    import outputs
    import rundir

    study_dir = tmp_path / "study"
    runs = study_dir / "runs"
    host = outputs._host_digest()
    finished = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    gone = int(finished.stdout)
    left = {name: runs / name for name in (f".lr0.01.partial-{host}-{gone}-abc123", f".lr0.1.partial-{host}-{os.getpid()}-x1",
                                           f".lr0.3.partial-0000beef-{gone}-x2")}
    for folder in left.values():
        folder.mkdir(parents=True)
        (folder / "config.yaml").write_text("epochs: 3\n")
    (study_dir / "summary.json").write_text('{"rows": []}')
    outputs.check_destination(study_dir, studies.STUDY_OUTPUT)
    assert outputs.remove_abandoned(runs, rundir.RUN_OUTPUT) == [f".lr0.01.partial-{host}-{gone}-abc123 (process {gone})"]
    assert sorted(entry.name for entry in runs.iterdir()) == sorted(list(left)[1:])
    mine = runs / f".notes.partial-{host}-{gone}-xyz"
    mine.mkdir()
    (mine / "notes.txt").write_text("mine")
    assert outputs.remove_abandoned(runs, rundir.RUN_OUTPUT) == [] and mine.is_dir()
    with pytest.raises(ConfigError):
        outputs.check_destination(study_dir, studies.STUDY_OUTPUT)


def test_an_optimizer_with_options_of_its_own_is_a_grid_value(tmp_path):
    """Adam beside SGD with momentum (an option Adam does not take) in one grid: each cell gets its
    optimizer's options alone, named sgd-momentum0.9 in its folder and the table."""
    path = grid_study(tmp_path, "  optimizer: [adam, {optimizer: sgd, optimizer_options: {momentum: 0.9}}]\n"
                                "  learning_rate: [0.01]\n")
    _, cells = studies.load_study(path)
    assert [cell.name for cell in cells] == ["adam_lr0.01", "sgd-momentum0.9_lr0.01"]
    assert (cells[0].config.optimizer, cells[0].config.optimizer_options) == ("adam", {})
    assert (cells[1].config.optimizer, cells[1].config.optimizer_options) == ("sgd", {"momentum": 0.9})
    rows = [StudyRow(experiment=cell.name, trained="", settings=cell.settings, seeds=1, median=0.1, p10=0.1, p90=0.1,
                     share_at_noise_floor=0.0, diverged=0, noise_floor=0.04) for cell in cells]
    assert "| sgd-momentum0.9_lr0.01 | sgd-momentum0.9 | 0.01 | 1 |" in study_table.markdown_table(rows)
    from drawing import phase

    assert phase.value_label("optimizer", cells[1].settings["optimizer"]) == "sgd-momentum0.9"
    with pytest.raises(ConfigError, match="the study's grid varies optimizer_options"):
        studies.load_study(path, ["optimizer_options.momentum=0.5"])
    bad = grid_study(tmp_path, "  optimizer: [adam, {optimizer: sgd, momentum: 0.9}]\n")
    with pytest.raises(ConfigError, match="is not an optimizer with its options; write {optimizer: sgd"):
        studies.load_study(bad)


def test_a_grid_key_set_on_the_command_line_and_names_given_twice_are_refused(tmp_path):
    path = grid_study(tmp_path, "  learning_rate: [0.01, 0.1]\n")
    with pytest.raises(ConfigError, match=r"--set learning_rate=0.5: the study's grid varies learning_rate"):
        studies.load_study(path, ["learning_rate=0.5"])
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    path = grid_study(tmp_path, "  data_file: [a/points.csv, b/points.csv]\n")
    with pytest.raises(ConfigError, match="points is given to more than one"):
        studies.load_study(path)
    # Expressions whose characters a folder name cannot have stay apart.
    path = grid_study(tmp_path, "  target: ['x*2', 'x/2']\n")
    assert len({cell.name for cell in studies.load_study(path)[1]}) == 2
    # Numbers are named in full: two learning rates close together are two cells.
    path = grid_study(tmp_path, "  learning_rate: [0.01, 0.0100000001]\n")
    assert [cell.name for cell in studies.load_study(path)[1]] == ["lr0.01", "lr0.0100000001"]


def test_a_nested_key_set_over_a_grid_of_it_and_another_studys_folder_are_refused(tmp_path, swept):
    path = tmp_path / "momentum.yaml"
    path.write_text(f"base: {ROOT / 'experiments' / 'sgd_1x60.yaml'}\ngrid:\n  optimizer_options.momentum: [0.0, 0.9]\n")
    with pytest.raises(ConfigError, match="the study's grid varies optimizer_options.momentum"):
        studies.load_study(path, ["optimizer_options.momentum=0.5"])
    with pytest.raises(ConfigError, match="the study's grid varies optimizer_options.momentum"):
        studies.load_study(path, ["optimizer_options={}"])
    _, output, _ = swept
    settings, cells = studies.load_study(path, QUICK)
    with pytest.raises(ConfigError, match="holds the study grid, not momentum"):
        studies.run_study(settings, cells, output)
