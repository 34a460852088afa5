"""animate.py compare of runs of two inputs (comparisons.py, drawing/plane_compare*.py), on tiny real
runs (training.train_run): every file of a comparison is written; each map of compare.gif's frames
is its run's prediction at the comparison's epoch (a seeded run's mean over its nets); the header
says when the runs' problems differ; a run of one input beside one of two is refused in one line."""

import json

import numpy as np
import pytest
from PIL import Image

import animate
import comparisons
import rundir
from conftest import decode_gif, synthetic_run
from drawing.comparison import latest_snapshot
from drawing.plane_compare_frames import PlaneCompareAnimation, shared_map_colors
from test_animate import refused
from test_plane_frames import SIDE, shown, tiny_run


@pytest.fixture(scope="module")
def run_dirs(tmp_path_factory):
    """Three runs of two inputs, written: XOR by 2 units (60 epochs, 8 frames), XOR by 4 units over 2
    seeds (40 epochs, 5 frames: other frame epochs, and it ends first) and a regression surface."""
    folder = tmp_path_factory.mktemp("planes")
    runs = {"xor2": tiny_run(name="xor2", problem="xor", hidden_layers=[2], epochs=60, frames=8),
            "xor4": tiny_run(name="xor4", problem="xor", seeds=2, epochs=40, frames=5),
            "surface": tiny_run(name="surface", problem="gaussian_mix", noise=0.1, epochs=60, frames=8)}
    for name, run in runs.items():
        rundir.write_run(folder / name, run)
    return {name: folder / name for name in runs}


def test_a_comparison_of_two_plane_runs_writes_every_file(run_dirs, tmp_path, capsys):
    folder = tmp_path / "compared"
    status = animate.main(["compare", str(run_dirs["xor2"]), str(run_dirs["xor4"]), "--output-dir", str(folder)])
    assert status == 0, capsys.readouterr().err
    assert sorted(path.name for path in folder.iterdir()) == sorted(comparisons.COMPARE_FILES + ("comparison.json",))
    epochs = np.union1d(*(rundir.read_run(run_dirs[name]).frame_epochs for name in ("xor2", "xor4")))
    for name in ("compare.gif", "units.gif"):
        frames, _, _, _ = decode_gif(folder / name)
        assert len(frames) == len(epochs), f"{name}: a frame per epoch of either run's frames"
    for name in ("compare.png", "residuals.png"):
        with Image.open(folder / name) as picture:
            assert picture.format == "PNG"
    page = (folder / "report.html").read_text()
    assert "data:image/gif;base64," in page and "data:image/png;base64," in page, "the pictures are in the page"
    assert page.count("<tr>") == 3 and "xor4 (2 seeds)" in page, "a row of final figures per run"
    marker = json.loads((folder / "comparison.json").read_text())
    assert [entry["run"] for entry in marker["compared"]] == [str(run_dirs["xor2"]), str(run_dirs["xor4"])]


def test_each_map_of_compare_gif_is_its_runs_prediction_at_the_common_epoch(run_dirs):
    runs = [rundir.read_run(run_dirs[name]) for name in ("xor2", "xor4")]
    animation = PlaneCompareAnimation(runs, ["two units", "four units"], "note")
    assert list(animation.epochs) == list(np.union1d(runs[0].frame_epochs, runs[1].frame_epochs))
    for index, epoch in enumerate(animation.epochs):
        animation.frame(index)
        one, seeded = (latest_snapshot(run, epoch) for run in runs)
        assert runs[0].frame_epochs[one] <= epoch and runs[1].frame_epochs[seeded] <= epoch
        np.testing.assert_array_equal(shown(animation.maps[0].image),
                                      runs[0].predictions[one, 0].reshape(SIDE, SIDE))
        # The seeded run's map: the mean of its nets' probabilities, as seeds.gif's first map.
        np.testing.assert_array_equal(shown(animation.maps[1].image),
                                      runs[1].per_frame["mean_prediction"][seeded, 0].reshape(SIDE, SIDE))
    later = animation.epochs > runs[1].frame_epochs[-1]
    assert later.any(), "the seeded run ends first: its panel stays at its last frame and says so"
    assert animation.ended_notes[1].get_text() == f"ended at epoch {int(runs[1].frame_epochs[-1]):,}"
    texts = [text.get_text() for text in animation.figure.texts]
    assert "two units" in texts and "four units" in texts, "each panel titled with its label"
    assert any(text.startswith("every run: ") and "on xor" in text for text in texts), "what every run trained"


def test_the_header_says_when_the_problems_differ_and_each_task_keeps_its_colours(run_dirs):
    runs = [rundir.read_run(run_dirs[name]) for name in ("xor2", "surface")]
    note = comparisons.compare_note(runs, comparisons.prediction_words(runs))
    assert note.startswith("different data in each panel (problem, task, noise differ)"), note
    classes, values = shared_map_colors(runs)
    assert (classes.norm.vmin, classes.norm.vmax) == (0.0, 1.0), "a probability, whatever the other run is"
    assert classes.ends is not None and values.ends is None


def test_a_run_of_one_input_beside_one_of_two_is_refused_in_one_line(run_dirs, tmp_path, capsys):
    line = tmp_path / "line"
    rundir.write_run(line, synthetic_run(frames=4))
    status = animate.main(["compare", str(run_dirs["xor2"]), str(line), "--output-dir", str(tmp_path / "compared")])
    refused(capsys, status, f"{run_dirs['xor2']} is a run of two inputs and {line} of one")
    assert not (tmp_path / "compared").exists()
