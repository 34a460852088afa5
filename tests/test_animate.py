"""animate.py, the command: redrawing a saved run (fit.gif and loss.png, or seeds.gif and seeds.png)
and comparing runs (compare.gif and compare.png), its options and its refusals. Runs are synthetic
(written without TensorFlow); GIFs are decoded with Pillow and checked against what was drawn."""

import hashlib
import json
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import animate
import rundir
from conftest import ROOT, decode_gif, synthetic_run
from drawing import figures
import comparisons
import rendering
from drawing.compare_frames import CompareAnimation
from drawing.fit_frames import FitAnimation
from drawing.residuals import residuals_figure
from drawing.style import COLORS
from summaries import format_loss




def snapshot_tree(folder) -> dict:
    """Every file under folder (hidden ones too) with a hash of its bytes."""
    return {str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "dir"
            for path in sorted(folder.rglob("*"))}


def write(directory, run):
    rundir.write_run(directory, run)
    return directory


def refused(capsys, status: int, *expected: str) -> str:
    """Assert a command ended with exit status 2 and one line 'error: ...' holding `expected`."""
    captured = capsys.readouterr()
    assert status == 2, captured.err
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "Traceback" not in captured.err, captured.err
    for text in expected:
        assert text in lines[0], lines[0]
    return lines[0]


# --- redrawing a run ------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def drawn_run(tmp_path_factory):
    """A synthetic one-net run of 40 snapshots, drawn by `python animate.py RUN_DIR` (in process)."""
    run_dir = write(tmp_path_factory.mktemp("drawn") / "synthetic", synthetic_run(epochs=300, frames=40))
    assert animate.main([str(run_dir)]) == 0
    return run_dir


def test_html_takes_render_overrides_and_refuses_a_bad_one(tmp_path, capsys):
    run_dir = write(tmp_path / "run", synthetic_run(epochs=60, frames=8))
    assert animate.main([str(run_dir), "--html", "--set", "render.fps=0"]) == 2
    assert "render.fps" in capsys.readouterr().err and not (run_dir / rundir.PAGE_FILE).exists()
    assert animate.main([str(run_dir), "--html", "--set", "render.fps=5"]) == 0
    assert '"fps": 5.0' in (run_dir / rundir.PAGE_FILE).read_text()


def test_render_run_writes_a_gif_with_one_frame_per_snapshot_and_a_png(drawn_run):
    frames, _, _, _ = decode_gif(drawn_run / "fit.gif")
    assert np.all(frames[..., 3] == 255), "every frame, as shown, is fully opaque"
    with np.load(drawn_run / "snapshots.npz") as arrays:
        assert len(frames) == len(arrays["frame_epochs"]) == 40
    assert frames.shape[1:3] == (360, 800)
    assert (drawn_run / "fit.gif").stat().st_size < 3 * 1024 * 1024
    with Image.open(drawn_run / "loss.png") as png:
        assert png.format == "PNG" and png.size[0] > 400 and png.size[1] > 200
    assert sorted(path.name for path in drawn_run.iterdir()) == sorted(rundir.DATA_FILES + rundir.ONE_NET_PICTURES)


def test_the_gifs_frames_show_what_was_drawn(drawn_run):
    """Each pixel shows the palette colour nearest to the one drawn: exactly the drawn colour for
    the common ones (white, text, lines), the nearest of 255 for rare anti-aliasing shades."""
    frames, _, _, palette = decode_gif(drawn_run / "fit.gif")
    animation = FitAnimation(rendering.load_run(drawn_run))
    exact_share = []
    for index in (0, 1, len(frames) // 2, len(frames) - 1):
        drawn, shown = animation.frame(index)[..., :3].astype(int), frames[index, ..., :3].astype(int)
        to_shown = ((drawn - shown) ** 2).sum(axis=-1)
        keys, inverse = np.unique(drawn.reshape(-1, 3) @ [65536, 256, 1], return_inverse=True)
        colors = np.stack([keys >> 16, (keys >> 8) & 255, keys & 255], axis=-1)
        nearest = ((colors[:, None, :] - palette[None, :, :]) ** 2).sum(axis=-1).min(axis=1)
        np.testing.assert_array_equal(to_shown, nearest[inverse.reshape(-1)].reshape(to_shown.shape),
                                      err_msg=f"frame {index}")
        exact_share.append(np.mean(to_shown == 0))
    # About 1% of a frame's pixels are anti-aliasing shades too rare for the palette.
    assert min(exact_share) > 0.97, exact_share


def test_the_gif_holds_its_last_frame_and_loops(drawn_run):
    _, durations, loop, _ = decode_gif(drawn_run / "fit.gif")
    assert loop == 0
    assert durations[:-1] == [50] * 39, "20 frames a second by default"
    assert durations[-1] == 2500


def test_a_seeded_run_is_drawn_as_seeds_gif_and_seeds_png(synthetic_run_dir):
    run_dir = synthetic_run_dir(nets=3, frames=8)
    written = rendering.render_run(run_dir)
    assert [path.name for path in written] == list(rundir.SEEDS_PICTURES)
    frames, _, _, _ = decode_gif(run_dir / "seeds.gif")
    assert len(frames) == len(rendering.load_run(run_dir).frame_epochs)
    assert not (run_dir / "fit.gif").exists() and not list(run_dir.glob(".*")), "no temporary files are left"


def test_redrawing_needs_no_tensorflow(synthetic_run_dir):
    run_dir = synthetic_run_dir(frames=6)
    code = ("import sys, animate; status = animate.main([sys.argv[1]]); assert status == 0, status; "
            "assert 'tensorflow' not in sys.modules and 'keras' not in sys.modules, 'TensorFlow was imported'")
    result = subprocess.run([sys.executable, "-c", code, str(run_dir)], cwd=ROOT, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    assert (run_dir / "fit.gif").is_file() and (run_dir / "loss.png").is_file()


def test_set_changes_the_render_settings_for_one_drawing_only(synthetic_run_dir, capsys):
    run_dir = synthetic_run_dir(frames=6)
    config_before = (run_dir / "config.yaml").read_bytes()
    status = animate.main([str(run_dir), "--set", "render.fps=1e1", "--set", "render.last_frame_seconds=1",
                           "--set", "render.width_pixels=600"])
    assert status == 0, capsys.readouterr().err
    frames, durations, _, _ = decode_gif(run_dir / "fit.gif")
    assert durations == [100] * (len(frames) - 1) + [1000] and frames.shape[2] == 600
    assert (run_dir / "config.yaml").read_bytes() == config_before
    assert rendering.load_run(run_dir).config.render.fps == 20, "the next drawing is at the run's own settings"
    before = snapshot_tree(run_dir)
    refused(capsys, animate.main([str(run_dir), "--set", "render.fps=0"]), "--set render.fps=0: render.fps: ")
    refused(capsys, animate.main([str(run_dir), "--set", "epochs=5"]), "only render and record settings change when redrawing")
    assert snapshot_tree(run_dir) == before


def test_a_run_on_one_data_point_draws_without_warnings(synthetic_run_dir):
    run_dir = synthetic_run_dir(n_samples=1, frames=6)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        rendering.render_run(run_dir)
    low, high = FitAnimation(rendering.load_run(run_dir)).figure.axes[0].get_ylim()
    assert low < -1 and high > 1, "the true sine stays in view"


DAMAGES = {  # case: (file, what is done to its text, what the error says)
    "snapshots truncated": ("snapshots.npz", lambda text: "PK\x03\x04 truncated", "a file of this run cannot be read"),
    "summary not json": ("summary.json", lambda text: "{not json", "summary.json cannot be read"),
    "config not yaml": ("config.yaml", lambda text: "[unclosed", "config.yaml: is not valid YAML"),
    "fps 0": ("config.yaml", lambda text: text.replace("fps: 20.0", "fps: 0"),
              "config.yaml: render.fps: Input should be greater than or equal to 0.1"),
    "fps abc": ("config.yaml", lambda text: text.replace("fps: 20.0", "fps: abc"),
                "render.fps: Input should be a valid number"),
    "fps 500": ("config.yaml", lambda text: text.replace("fps: 20.0", "fps: 500"),
                "render.fps: Input should be less than or equal to 50"),
    "fsp typo": ("config.yaml", lambda text: text.replace("fps: 20.0", "fsp: 5"),
                 "unknown key 'render.fsp' (did you mean 'render.fps'?)"),
}


@pytest.mark.parametrize("damage", ["missing", "empty", *DAMAGES])
def test_a_run_that_cannot_be_drawn_is_a_one_line_error(synthetic_run_dir, tmp_path, capsys, damage):
    if damage == "missing":
        run_dir, expected = tmp_path / "nope", "does not exist"
    elif damage == "empty":
        run_dir, expected = tmp_path / "empty", "not a run directory (missing summary.json, config.yaml, snapshots.npz)"
        run_dir.mkdir()
    else:
        run_dir = synthetic_run_dir(frames=4)
        name, change, expected = DAMAGES[damage]
        path = run_dir / name
        path.write_text(change(path.read_text() if name == "config.yaml" else ""))
    refused(capsys, animate.main([str(run_dir)]), str(run_dir), expected)
    assert not (run_dir / "fit.gif").exists()


# --- compare --------------------------------------------------------------------------------------

def with_frames(run, frame_epochs):
    """The run with frames at frame_epochs (its history unchanged): frame k predicts 0.1 k."""
    count = len(frame_epochs)
    run.frame_epochs = np.asarray(frame_epochs, dtype=np.int64)
    run.per_frame["prediction"] = np.repeat(0.1 * np.arange(count, dtype=np.float32)[:, None, None],
                                            len(run.x_grid), axis=2)
    run.per_frame["loss"] = np.linspace(0.5, 0.05, count, dtype=np.float32)[:, None]
    # The other per-frame quantities, the run's first frames': frame k's units are frame k's of the run.
    for name in set(run.per_frame) - {"prediction", "loss"}:
        run.per_frame[name] = np.resize(run.per_frame[name], (count,) + run.per_frame[name].shape[1:])
    run.summary.frames = count
    return run


@pytest.fixture
def recorded(monkeypatch):
    """What the comparison draws: each CompareAnimation made and each picture's (figure, axes)."""
    made = {"animations": [], "figures": []}

    def animation(*arguments, **options):
        made["animations"].append(CompareAnimation(*arguments, **options))
        return made["animations"][-1]

    png_axes = figures.png_axes

    def axes(*arguments, **options):
        made["figures"].append(png_axes(*arguments, **options))
        return made["figures"][-1]

    monkeypatch.setattr(comparisons, "CompareAnimation", animation)
    monkeypatch.setattr(figures, "png_axes", axes)
    return made


def test_compare_writes_gif_and_png_in_step_and_says_when_the_data_differ(tmp_path, capsys, recorded):
    run_dirs = [write(tmp_path / "a", with_frames(synthetic_run(epochs=100, name="a"), [0, 1, 2, 4, 8, 100])),
                write(tmp_path / "b", with_frames(synthetic_run(epochs=100, seed=1, name="b"), [0, 3, 6, 50, 100])),
                write(tmp_path / "c", with_frames(synthetic_run(epochs=100, name="c"), [0, 10, 100]))]
    status = animate.main(["compare", *map(str, run_dirs), "--output-dir", str(tmp_path / "cmp")])
    assert status == 0, capsys.readouterr().err
    assert sorted(path.name for path in (tmp_path / "cmp").iterdir()) == sorted(comparisons.COMPARE_FILES + ("comparison.json",))
    frames, durations, loop, _ = decode_gif(tmp_path / "cmp" / "compare.gif")
    assert len(frames) == 10, "the union of the three runs' frame epochs: 0 1 2 3 4 6 8 10 50 100"
    assert loop == 0 and durations[-1] == 2500
    with Image.open(tmp_path / "cmp" / "compare.png") as png:
        assert png.format == "PNG"
    (animation,) = recorded["animations"]
    texts = [text.get_text() for text in animation.figure.texts]
    assert any(text.startswith("different data in each panel (data seed differs)") for text in texts)
    assert [text for text in texts if text in ("a", "b", "c")] == ["a", "b", "c"], "titled by the runs' names"
    (_, axes), = recorded["figures"]
    assert "different data" in axes.get_title()


def test_compare_of_runs_on_the_same_data_says_nothing_about_data(tmp_path, capsys, recorded):
    run_dirs = [write(tmp_path / name, synthetic_run(frames=5, learning_rate=rate))
                for name, rate in (("slow", 0.01), ("fast", 0.1))]
    assert animate.main(["compare", *map(str, run_dirs), "--output-dir", str(tmp_path / "cmp")]) == 0
    (animation,) = recorded["animations"]
    assert not any("different data" in text.get_text() for text in animation.figure.texts)
    (_, axes), = recorded["figures"]
    assert "different data" not in axes.get_title()


def test_labels_name_the_runs_in_both_pictures(tmp_path, capsys, recorded):
    run_dirs = [write(tmp_path / name, synthetic_run(frames=5)) for name in ("one", "two")]
    status = animate.main(["compare", *map(str, run_dirs), "--label", "SGD", "--label", "Adam, the fast one",
                           "--output-dir", str(tmp_path / "cmp")])
    assert status == 0, capsys.readouterr().err
    (animation,) = recorded["animations"]
    texts = [text.get_text() for text in animation.figure.texts]
    assert "SGD" in texts and "Adam, the fast one" in texts
    (_, axes), = recorded["figures"]
    legend = [text.get_text() for text in axes.get_legend().get_texts()]
    assert any(text.startswith("SGD: ") for text in legend) and any(text.startswith("Adam, the fast one: ")
                                                                    for text in legend)
    status = animate.main(["compare", *map(str, run_dirs), "--label", "only one", "--output-dir", str(tmp_path / "x")])
    refused(capsys, status, "--label given once for 2 runs")
    assert not (tmp_path / "x").exists()


def test_runs_are_labelled_by_name_or_by_folder_when_names_repeat():
    runs = [synthetic_run(), synthetic_run()]
    assert comparisons.compare_labels(runs, ["out/a", "out/b"], []) == ["out/a", "out/b"]
    runs[1].summary.name = "other"
    assert comparisons.compare_labels(runs, ["out/a", "out/b"], []) == ["synthetic", "other"]
    assert comparisons.compare_labels(runs, ["out/a", "out/b"], ["x", "y"]) == ["x", "y"]


@pytest.mark.parametrize("count", [1, 10])
def test_compare_takes_2_to_9_runs(synthetic_run_dir, tmp_path, capsys, count):
    run_dir = synthetic_run_dir(frames=4)
    status = animate.main(["compare", *[str(run_dir)] * count, "--output-dir", str(tmp_path / "cmp")])
    refused(capsys, status, f"compare takes 2 to 9 run directories, got {count}")
    assert not (tmp_path / "cmp").exists()


def test_a_compare_of_seeded_runs_is_refused_for_what_any_compare_is(synthetic_run_dir, tmp_path, capsys):
    one, many = synthetic_run_dir("one", frames=4), synthetic_run_dir("many", nets=3, frames=4)
    status = animate.main(["compare", str(one), str(many), "--label", "only one",
                           "--output-dir", str(tmp_path / "cmp")])
    refused(capsys, status, "--label given once for 2 runs; give one label per run, in order")
    status = animate.main(["compare", *[str(many)] * 10, "--output-dir", str(tmp_path / "cmp")])
    refused(capsys, status, "compare takes 2 to 9 run directories, got 10")
    assert not (tmp_path / "cmp").exists()


# --- compare of seeded runs (conftest.seeded_comparisons: 3 and 5 seeds, or 3 seeds beside one net) ------

@pytest.mark.parametrize("pair", ["seeded", "mixed"])
def test_a_compare_of_seeded_runs_writes_every_file_a_frame_per_frame_of_the_runs(seeded_comparisons, pair):
    folder = seeded_comparisons.folders[pair]
    assert sorted(path.name for path in folder.iterdir()) == sorted(comparisons.COMPARE_FILES + ("comparison.json",))
    frame_epochs = seeded_comparisons.runs["adam_2x10"].frame_epochs
    assert all(np.array_equal(run.frame_epochs, frame_epochs) for run in seeded_comparisons.runs.values())
    for name in ("compare.gif", "units.gif"):
        frames, _, _, _ = decode_gif(folder / name)
        assert len(frames) == len(frame_epochs) == 12, name
    for name in ("compare.png", "residuals.png"):
        with Image.open(folder / name) as png:
            assert png.format == "PNG", name


def band_rows(frame: np.ndarray, axes, x: float, low: float, high: float) -> tuple[np.ndarray, np.ndarray]:
    """The pixels of a GIF frame's column at x, (rows strictly inside the band from low to high, rows
    of the same height just above it), in a panel drawn on these axes (of the figure the frame shows)."""
    height = frame.shape[0]
    column = int(round(axes.transData.transform((x, 0))[0]))
    top, bottom = (int(round(height - axes.transData.transform((x, y))[1])) for y in (high, low))
    inside = frame[top + 2: bottom - 1, column, :3].astype(int)
    return inside, frame[top - 4 - len(inside): top - 4, column, :3].astype(int)


def test_compare_gif_shades_each_seeded_runs_band_between_its_nets_10th_and_90th_percentile(seeded_comparisons):
    from matplotlib.colors import to_rgb

    frames, _, _, _ = decode_gif(seeded_comparisons.folders["seeded"] / "compare.gif")
    animation = seeded_comparisons.animations["seeded"][0]
    assert frames.shape[1:3] == animation.canvas.get_width_height()[::-1]
    band = np.array([255 * (0.25 * channel + 0.75) for channel in to_rgb(COLORS["net"])])  # 25% over white
    for index, name in enumerate(["adam_2x10", "sgd_2x10"]):
        run, axes = seeded_comparisons.runs[name], animation.figure.axes[index]
        for column in (12, 37):  # (x about 1.5 and 4.7, where the data and the true sine are far from the band)
            low, median, high = np.percentile(run.predictions[0, :, column], [10, 50, 90])
            inside, above = band_rows(frames[0], axes, float(run.x_grid[column]), low, high)
            median_row = len(inside) // 2  # the median line (and a net's) crosses the band's middle
            shaded = np.abs(np.delete(inside, range(median_row - 3, median_row + 4), axis=0) - band).max(axis=1) <= 12
            assert len(shaded) >= 6 and shaded.mean() > 0.6, (name, column, inside.tolist())
            assert (above == 255).all(), "no band beyond the 90th percentile"


def test_compare_gif_states_a_seeded_runs_median_error_and_says_so(seeded_comparisons, monkeypatch):
    from test_frames import record_stamps

    runs = seeded_comparisons.runs
    animation = seeded_comparisons.animations["mixed"][0]
    texts = [text.get_text() for text in animation.figure.texts]
    assert texts.count("median MSE ") == 1 and texts.count("MSE ") == 1, "the seeded run's panel and the other's"
    assert "Adam (3 seeds)" in texts and "one net" in texts
    stamped = record_stamps(monkeypatch, animation.numbers)
    for frame in (0, 5, 11):
        del stamped[:]
        animation.frame(frame)
        assert [text for text, *_ in stamped] == [format_loss(np.median(runs["adam_2x10"].frame_loss[frame])),
                                                 format_loss(runs["one_net"].frame_loss[frame, 0])]
    marker = json.loads((seeded_comparisons.folders["mixed"] / "comparison.json").read_text())
    assert [entry["label"] for entry in marker["compared"]] == ["Adam", "one net"], "as given: a redraw adds the seeds"


def test_compare_units_and_residuals_show_net_0_of_a_seeded_run_and_say_so(seeded_comparisons, monkeypatch):
    from matplotlib.collections import LineCollection
    from test_frames import record_stamps

    runs = seeded_comparisons.runs
    units = seeded_comparisons.animations["mixed"][1]
    texts = [text.get_text() for text in units.figure.texts]
    assert "Adam (3 seeds), net 0 (seed 0)" in texts and "one net" in texts and "median MSE " not in texts
    stamped = record_stamps(monkeypatch, units.numbers)
    units.frame(5)
    assert [text for text, *_ in stamped] == [format_loss(run.frame_loss[5, 0])
                                             for run in (runs["adam_2x10"], runs["one_net"])]
    assert not [artist for axes in units.row for artist in axes.collections if isinstance(artist, LineCollection)], \
        "the small panels draw net 0 alone, not the others faint"
    figure = residuals_figure([runs["adam_2x10"], runs["one_net"]], ["Adam", "one net"])
    titles = [axes.get_title(loc="left") for axes in figure.axes]
    assert any(title.startswith("Adam\n") and "net 0, seed 0, of 3" in title for title in titles), titles


def test_compare_refuses_a_folder_with_a_user_file(synthetic_run_dir, tmp_path, capsys, monkeypatch):
    synthetic_run_dir("a", frames=4)
    synthetic_run_dir("b", frames=4)
    (tmp_path / "figures").mkdir()
    (tmp_path / "figures" / "compare.gif").write_bytes(b"GIF89a a user's own compare.gif")
    (tmp_path / "figures" / "draft.tex").write_text("\\section{}")
    monkeypatch.chdir(tmp_path)
    before = snapshot_tree(tmp_path)
    status = animate.main(["compare", "a", "b", "--output-dir", "figures"])
    refused(capsys, status, "figures is not empty and is not a comparison (it holds draft.tex)")
    refused(capsys, animate.main(["compare", "a", "b", "--output-dir", "."]), ". is the current folder")
    (tmp_path / "figures" / "draft.tex").unlink()
    before = snapshot_tree(tmp_path)
    status = animate.main(["compare", "a", "b", "--output-dir", "figures"])
    refused(capsys, status, "figures holds files named like a comparison's but no comparison.json")
    assert snapshot_tree(tmp_path) == before, "a compare.gif alone may be the user's own"


def test_a_comparison_is_marked_and_replaced_by_the_next(synthetic_run_dir, tmp_path, capsys, monkeypatch):
    synthetic_run_dir("a", frames=4)
    synthetic_run_dir("b", frames=4)
    monkeypatch.chdir(tmp_path)
    assert animate.main(["compare", "a", "b", "--output-dir", "cmp", "--label", "A", "--label", "B"]) == 0
    marker = json.loads((tmp_path / "cmp" / "comparison.json").read_text())
    assert [(entry["run"], entry["label"]) for entry in marker["compared"]] == [("a", "A"), ("b", "B")]
    assert marker["compared"][0]["path"] == str(tmp_path.resolve() / "a")
    for name in comparisons.COMPARE_FILES:
        (tmp_path / "cmp" / name).write_bytes(b"old")
    assert animate.main(["compare", "b", "a", "--output-dir", "cmp"]) == 0, capsys.readouterr().err
    assert all((tmp_path / "cmp" / name).read_bytes() != b"old" for name in comparisons.COMPARE_FILES)
    assert sorted(path.name for path in (tmp_path / "cmp").iterdir()) == sorted(comparisons.COMPARE_FILES + ("comparison.json",))


def test_a_label_is_shown_as_written_dollar_signs_included_and_may_not_be_empty(tmp_path, capsys, recorded):
    run_dirs = [write(tmp_path / name, synthetic_run(frames=5, grid_points=20 + 10 * index))
                for index, name in enumerate(("one", "two"))]  # different grids draw side by side too
    status = animate.main(["compare", *map(str, run_dirs), "--label", r"costs $5 and $\undefined$", "--label", "b",
                           "--output-dir", str(tmp_path / "cmp")])
    assert status == 0, capsys.readouterr().err
    (animation,) = recorded["animations"]
    animation.canvas.draw()  # mathematics would fail to parse here, or lose its dollar signs
    assert r"costs \$5 and \$\undefined\$" in [text.get_text() for text in animation.figure.texts]
    status = animate.main(["compare", *map(str, run_dirs), "--label", " ", "--label", "b",
                           "--output-dir", str(tmp_path / "x")])
    refused(capsys, status, "--label: a label must have some text")
    assert not (tmp_path / "x").exists()


def test_animate_on_a_comparison_redraws_it_from_the_runs_it_names(synthetic_run_dir, tmp_path, capsys, monkeypatch):
    synthetic_run_dir("a", frames=4)
    synthetic_run_dir("b", frames=4)
    monkeypatch.chdir(tmp_path)
    assert animate.main(["compare", "a", "b", "--output-dir", "cmp", "--label", "A", "--label", "B"]) == 0
    drawn = (tmp_path / "cmp" / "compare.png").read_bytes()
    for name in comparisons.COMPARE_FILES:
        (tmp_path / "cmp" / name).unlink()
    capsys.readouterr()
    assert animate.main(["cmp"]) == 0, capsys.readouterr().err
    assert sorted(path.name for path in (tmp_path / "cmp").iterdir()) == sorted(comparisons.COMPARE_FILES + ("comparison.json",))
    assert (tmp_path / "cmp" / "compare.png").read_bytes() == drawn, "the same runs, labels and settings"
    marker = json.loads((tmp_path / "cmp" / "comparison.json").read_text())
    assert [entry["label"] for entry in marker["compared"]] == ["A", "B"]


def test_animate_on_a_study_redraws_its_table_pictures_and_page(finished_study, tmp_path, capsys):
    import shutil

    _, output, _, _ = finished_study
    copy = tmp_path / "study"
    shutil.copytree(output, copy)
    for name in ("table.md", "final_error.png", "report.html"):
        (copy / name).unlink()
    assert animate.main([str(copy)]) == 0, capsys.readouterr().err
    assert (copy / "table.md").read_text() == (output / "table.md").read_text()
    assert json.loads((copy / "summary.json").read_text())["rows"] == json.loads((output / "summary.json").read_text())["rows"]
    assert (copy / "final_error.png").is_file() and (copy / "report.html").is_file()
    # A cell gone since: out of the table, and listed as missing.
    shutil.rmtree(copy / "runs" / "sgd_2x10")
    assert animate.main([str(copy)]) == 0
    table = (copy / "table.md").read_text()
    assert "| sgd_2x10 |" not in table and "| adam_2x10 |" in table and "still missing" in table and "sgd_2x10" in table
    capsys.readouterr()
    assert animate.main([str(copy), "--set", "render.fps=5"]) == 2
    assert capsys.readouterr().err.startswith(f"error: {copy} is a study: --set applies to a run")
    assert animate.main([str(copy), "--html"]) == 2
    assert capsys.readouterr().err.startswith(f"error: {copy} is a study: --html applies to a run")


# --- text in any script -------------------------------------------------------------------------------

# A character no font has (Supplementary Private Use Area-A): the pictures cannot show it anywhere.
NO_FONT_HAS = "\U000F0000"


def test_a_label_no_font_can_show_gets_one_plain_warning_line_for_all_its_pictures(synthetic_run_dir, tmp_path,
                                                                                   capfd, recwarn):
    first = synthetic_run_dir("first", frames=6)
    second = synthetic_run_dir("second", frames=6)
    assert animate.main(["compare", str(first), str(second), "--output-dir", str(tmp_path / "compared"),
                         "--label", f"label {NO_FONT_HAS}", "--label", "plain"]) == 0
    errors = capfd.readouterr().err.splitlines()
    assert len(errors) == 1, errors
    assert errors[0].startswith("warning: ") and "U+F0000" in errors[0] and ".py" not in errors[0], errors[0]
    assert not [warning for warning in recwarn if "Glyph" in str(warning.message)]


def distinct_glyphs(text: str) -> int:
    """How many different images matplotlib draws for the characters of a text (a font lacking them
    draws each as the same empty box)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    images = set()
    for character in text:
        figure = Figure(figsize=(0.4, 0.4), dpi=100)
        FigureCanvasAgg(figure).draw()
        figure.text(0.5, 0.5, character, fontsize=20, ha="center", va="center")
        figure.canvas.draw()
        images.add(np.asarray(figure.canvas.buffer_rgba()).tobytes())
    return len(images)


def test_a_name_and_a_label_in_japanese_draw_in_a_font_that_has_them_without_a_warning(
        cjk_font, synthetic_run_dir, tmp_path, capfd, recwarn, caplog):
    first, second = tmp_path / "first", synthetic_run_dir("second", frames=6)
    rundir.write_run(first, synthetic_run(frames=6, name="名前"))
    rendering.render_run(first)
    assert animate.main(["compare", str(first), str(second), "--output-dir", str(tmp_path / "compared"),
                         "--label", "学習率", "--label", "plain"]) == 0
    assert capfd.readouterr().err == ""
    # Beside a character no font has, they are still found, and only that one is said to be missing.
    assert animate.main(["compare", str(first), str(second), "--output-dir", str(tmp_path / "compared"),
                         "--label", "学習率", "--label", "plain \U000F0001"]) == 0
    (line,) = capfd.readouterr().err.splitlines()
    assert "U+F0001" in line and "U+" not in line.replace("U+F0001", "")
    assert not [warning for warning in recwarn if "Glyph" in str(warning.message)]
    assert not [record.getMessage() for record in caplog.records if record.levelname == "WARNING"], \
        "nor matplotlib's log (that a font has no bold face: its regular one is used)"
    assert distinct_glyphs("名前学習率") == 5, "each character its own glyph, not an empty box"


def test_a_comparison_goes_to_a_folder_named_for_its_runs_and_keeps_one_of_other_runs(synthetic_run_dir, tmp_path,
                                                                                      capsys, monkeypatch):
    for name in ("a", "b", "c"):
        synthetic_run_dir(name, frames=4)
    monkeypatch.chdir(tmp_path)
    assert animate.main(["compare", "a", "b"]) == 0
    assert (tmp_path / "output" / "compare_a_b" / "compare.gif").is_file()
    assert animate.main(["compare", "a", "b", "--output-dir", "cmp"]) == 0
    before = snapshot_tree(tmp_path / "cmp")
    capsys.readouterr()
    assert animate.main(["compare", "a", "c", "--output-dir", "cmp"]) == 2
    assert capsys.readouterr().err.startswith(f"error: {Path('cmp')} holds a comparison of other runs (")
    assert snapshot_tree(tmp_path / "cmp") == before
    assert animate.main(["compare", "a", "c", "--output-dir", "cmp", "--replace"]) == 0
    assert [entry["run"] for entry in json.loads((tmp_path / "cmp" / "comparison.json").read_text())["compared"]] == [
        "a", "c"]


def test_a_comparison_is_not_redrawn_over_a_run_trained_again_with_other_settings(synthetic_run_dir, tmp_path,
                                                                                   capsys, monkeypatch):
    synthetic_run_dir("a", frames=4)
    synthetic_run_dir("b", frames=4)
    monkeypatch.chdir(tmp_path)
    assert animate.main(["compare", "a", "b", "--output-dir", "cmp"]) == 0
    shutil.rmtree(tmp_path / "b")
    synthetic_run_dir("b", frames=4, learning_rate=0.5)
    before = snapshot_tree(tmp_path / "cmp")
    capsys.readouterr()
    assert animate.main(["cmp"]) == 2
    assert capsys.readouterr().err.startswith("error: b is no longer the run that was compared")
    assert snapshot_tree(tmp_path / "cmp") == before
