"""study.py, the command: a study file read and checked, its experiments trained over many seeds,
and its figure, table and summary written; never into a folder of the user's."""

import hashlib
import json

import numpy as np
import pytest
from PIL import Image

import study
from config import ConfigError
from conftest import ROOT


def snapshot_tree(folder) -> dict:
    return {str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "dir"
            for path in sorted(folder.rglob("*"))}


def test_a_study_writes_its_figure_table_summary_and_runs(finished_study):
    study_file, output, status, stdout = finished_study
    assert status == 0
    assert sorted(path.name for path in output.iterdir()) == ["final_error.png", "report.html", "runs", "summary.json",
                                                             "table.md"]
    table = (output / "table.md").read_text().splitlines()
    assert table[0].startswith("| experiment | seeds | median final held-out MSE")
    assert table[2].startswith("| sgd_2x10 | 2 |") and table[3].startswith("| adam_2x10 | 2 |")
    assert "Noise floor σ² = 0.04" in table[-1]
    with Image.open(output / "final_error.png") as png:
        assert png.format == "PNG"
    for name in ("sgd_2x10", "adam_2x10"):
        assert (output / "runs" / name / "seeds.gif").is_file() and (output / "runs" / name / "seeds.png").is_file()
    assert sorted(path.name for path in study_file.parent.iterdir()) == ["mini_study.yaml", "out"], \
        "nothing is left beside the study"
    assert "| sgd_2x10 | 2 |" in stdout and f"wrote {output}/" in stdout


def test_the_studys_summary_holds_each_experiments_figures_over_its_seeds(finished_study):
    _, output, _, _ = finished_study
    written = json.loads((output / "summary.json").read_text())
    assert written["name"] == "mini_study" and written["seeds"] == 2
    rows = written["rows"]
    assert [row["experiment"] for row in rows] == ["sgd_2x10", "adam_2x10"]
    for row in rows:
        run_summary = json.loads((output / "runs" / row["experiment"] / "summary.json").read_text())
        assert run_summary["seeds"] == 2 and run_summary["epochs_completed"] == 120
        errors = study.final_errors(run_summary)
        assert row["seeds"] == 2 and row["median"] == pytest.approx(float(np.median(errors)))
        assert row["p10"] <= row["median"] <= row["p90"]
        assert row["noise_floor"] == pytest.approx(0.04) and row["diverged"] == 0


def test_set_seeds_overrides_the_study_files_number(tmp_path):
    (tmp_path / "one.yaml").write_text("epochs: 10\n")
    (tmp_path / "two.yaml").write_text("epochs: 10\nname: other\n")
    study_file = tmp_path / "quick.yaml"
    study_file.write_text("seeds: 50\nexperiments: [one.yaml, two.yaml]\n")
    settings, cells = study.load_study(study_file)
    experiments = [cell.config for cell in cells]
    assert settings.seeds == 50 and [experiment.seeds for experiment in experiments] == [50, 50]
    settings, cells = study.load_study(study_file, ["seeds=2"])
    experiments = [cell.config for cell in cells]
    assert settings.seeds == 2 and [experiment.seeds for experiment in experiments] == [2, 2]
    assert settings.name == "quick" and [experiment.name for experiment in experiments] == ["one", "other"]
    with pytest.raises(ConfigError, match=r"^--set name=x: the study's cells must have different names .* x is given to more than one"):
        study.load_study(study_file, ["name=x"])


@pytest.mark.parametrize("text, expected", [
    ("seeds: 3\nexperiment: [a.yaml]\n", "unknown key 'experiment'"),
    ("seeds: 3\nexperiments: [missing.yaml]\n", "missing.yaml: no such file"),
    ("seeds: 0\nexperiments: [a.yaml]\n", "seeds: Input should be greater than or equal to 1"),
])
def test_a_bad_study_file_is_a_plain_error(tmp_path, capsys, text, expected):
    study_file = tmp_path / "bad.yaml"
    study_file.write_text(text)
    with pytest.raises(ConfigError, match=expected):
        study.load_study(study_file)
    assert study.main([str(study_file), "--output-dir", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and expected in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()


def test_study_refuses_a_folder_with_a_user_file(tmp_path, capsys, monkeypatch):
    folder = tmp_path / "results"
    folder.mkdir()
    (folder / "thesis.txt").write_text("chapter 3")
    monkeypatch.chdir(tmp_path)
    before = snapshot_tree(tmp_path)
    status = study.main([str(ROOT / "experiments/study_optimizer_vs_layers.yaml"), "--set", "epochs=10",
                         "--output-dir", "results", "--no-progress"])
    assert status == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: results is not empty and is not a study (it holds thesis.txt)")
    assert snapshot_tree(tmp_path) == before


def test_the_table_counts_diverged_seeds_and_leaves_them_out_of_the_figures():
    summaries = [
        {"name": "calm", "trained": "1x60 sigmoid · sgd lr 0.01", "noise_floor": 0.04, "share_at_noise_floor": 0.5,
         "nets": [{"val_loss": value} for value in (0.04, 0.05, 0.06, 0.1)]},
        {"name": "wild", "trained": "1x60 sigmoid · sgd lr 3", "noise_floor": 0.04, "share_at_noise_floor": 0.0,
         "nets": [{"val_loss": 0.2}, {"val_loss": None}, {"val_loss": 0.4}]},
    ]
    errors = study.final_errors(summaries[1])
    assert errors[0] == 0.2 and np.isnan(errors[1]) and errors[2] == 0.4
    calm, wild = study.table_rows(summaries)
    assert calm["median"] == pytest.approx(0.055) and calm["diverged"] == 0 and calm["seeds"] == 4
    assert wild["median"] == pytest.approx(0.3) and wild["diverged"] == 1 and wild["seeds"] == 3
    assert calm["p10"] == pytest.approx(np.percentile([0.04, 0.05, 0.06, 0.1], 10))
    table = study.markdown_table([calm, wild]).splitlines()
    assert table[2] == "| calm | 4 | 0.0550 | 0.0430 | 0.0880 | 50% |"
    assert table[3].startswith("| wild | 3 (1 diverged) | 0.3000 |")
    assert table[-1] == "Noise floor σ² = 0.04: the held-out error of the true function itself."


def test_the_table_says_where_the_noise_floor_is_unknown(tmp_path):
    def summary(name, floor):
        return {"name": name, "trained": "2x10 sigmoid · adam lr 0.01", "noise_floor": floor,
                "share_at_noise_floor": None if floor is None else 1.0, "nets": [{"val_loss": 0.05}]}

    rows = study.table_rows([summary("co2", None), summary("sine", 0.04), summary("quiet", 0.01)])
    table = study.markdown_table(rows).splitlines()
    assert table[2] == "| co2 | 1 | 0.0500 | 0.0500 | 0.0500 | noise floor unknown |"
    assert table[-1] == ("Noise floors σ², the held-out error of each true function itself: sine 0.04, quiet 0.01; "
                         "unknown for the others (points from a file).")
    only_files = study.table_rows([summary("co2", None), summary("co2_again", None)])
    assert study.markdown_table(only_files).splitlines()[-1].startswith("Noise floor unknown: the points came from a file")
    from drawing.figures import draw_final_errors

    for chosen in (rows, only_files):  # each experiment's own floor, or none: drawn without a failure
        draw_final_errors(chosen, [np.array([0.05])] * len(chosen), tmp_path / "final_error.png", "t", "x")
        assert (tmp_path / "final_error.png").read_bytes()[:4] == b"\x89PNG"
