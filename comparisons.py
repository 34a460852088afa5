"""Runs side by side: compare.gif, compare.png, units.gif, residuals.png and report.html for 2 to 9
runs, of one net or seeded (a seeded run shown by its median and the 10-90% band of its nets, inside
by its net 0), in a folder of their own that comparison.json marks as a comparison.

No TensorFlow.
"""

from __future__ import annotations

import json
from pathlib import Path

import naming
import outputs
import rundir
from drawing import video
from drawing.curves import truth_label
from drawing.figures import data_differences, draw_compare_png
from drawing.compare_frames import CompareAnimation
from drawing.plane_compare import draw_plane_compare_png
from drawing.plane_compare_frames import PlaneCompareAnimation
from drawing.plane_compare_inside import StackedUnitsAnimation, draw_stacked_residuals_png
from drawing.plane_compare_page import plane_compare_page_html
from drawing.comparison import shared_scales
from drawing.page import compare_page_html
from drawing.residuals import draw_compare_residuals_png
from drawing.units_frames import CompareUnitsAnimation
from drawing.curvature_figures import draw_curvature_comparison
from rendering import curvature_views, load_run, video_paths, write_animation, write_pictures
from rundir import Run, RunError

# What a comparison's folder may hold: its pictures, and comparison.json, which says what was
# compared and marks the folder as a comparison (pictures of these generic names alone could be
# anyone's). Its files are replaced only when it holds nothing else.
COMPARE_FILES = ("compare.gif", "compare.png") + rundir.INSIDE_PICTURES + (rundir.PAGE_FILE,)
# Where every run compared shows its curvature: each one's landscape and their sharpness side by side.
CURVATURE_PICTURE = "curvature.png"
COMPARE_MARKER = outputs.COMPARISON_FILE
COMPARE_OUTPUT = outputs.OutputKind("a comparison", frozenset(COMPARE_FILES + rundir.videos_of(COMPARE_FILES)
                                                               + (CURVATURE_PICTURE, COMPARE_MARKER)),
                                    COMPARE_MARKER,
                                    "compared", example="output/my_comparison", replaces_folder=False)
MAX_COMPARED = 9


def load_runs_to_compare(run_dirs: list[str | Path], overrides: list[str] | None = None) -> list[Run]:
    """The 2 to 9 runs to compare, read and checked (rendering.load_run), of one net or seeded."""
    if not 2 <= len(run_dirs) <= MAX_COMPARED:
        raise RunError(f"compare takes 2 to {MAX_COMPARED} run directories, got {len(run_dirs)}")
    runs = [load_run(run_dir, overrides) for run_dir in run_dirs]
    kinds = {run.is_plane for run in runs}
    if len(kinds) > 1:  # a curve beside a map: no panel could show both
        plane = next(run_dir for run_dir, run in zip(run_dirs, runs) if run.is_plane)
        line = next(run_dir for run_dir, run in zip(run_dirs, runs) if not run.is_plane)
        raise RunError(f"{plane} is a run of two inputs and {line} of one; compare runs of two inputs with each other, "
                       "and runs of one input with each other")
    return runs


def compare_labels(runs: list[Run], run_dirs: list[str | Path], labels: list[str]) -> list[str]:
    """Each run's label: the --label given for it, else its name, or its folder when names repeat."""
    if labels and len(labels) != len(runs):
        given = "once" if len(labels) == 1 else f"{len(labels)} times"
        raise RunError(f"--label given {given} for {len(runs)} runs; give one label per run, in order")
    if any(not label.strip() for label in labels):
        raise RunError("--label: a label must have some text; give one label per run, in order")
    names = [run.name for run in runs]
    return labels or (names if len(set(names)) == len(names) else [str(run_dir) for run_dir in run_dirs])


def compare_note(runs: list[Run], prediction: str) -> str:
    """A comparison's header note: what differs between the runs' data, whether the panels have scales
    of their own, and what the panels draw (the data, the true function, and `prediction`)."""
    differences = data_differences(runs)
    plural = len(differences) > 1 or differences == ["the points"]
    verb = "" if differences == ["file vs generated"] else " differ" if plural else " differs"
    different = f"different data in each panel ({', '.join(differences)}{verb})  ·  " if differences else ""
    own_scales = "" if shared_scales(runs) else "own scales  ·  "
    if runs[0].is_plane:  # maps: no true curve to draw
        return f"{different}{own_scales}{prediction}"
    truths = {truth_label(run) for run in runs if run.y_grid_true is not None}
    truth = f" · {truths.pop() if len(truths) == 1 else 'true functions'} (dotted)" if truths else ""
    return f"{different}{own_scales}data{truth} · {prediction}"


def prediction_words(runs: list[Run]) -> str:
    """What compare.gif's panels draw of the runs' nets, as its note says it."""
    if runs[0].is_plane:
        return plane_prediction_words(runs)
    one, seeded = "prediction (blue)", "median prediction (dark blue), 10-90% of nets (band), each net (faint)"
    if all(run.nets > 1 for run in runs):
        return seeded
    return f"{one}; seeded runs: {seeded}" if any(run.nets > 1 for run in runs) else one


def plane_prediction_words(runs: list[Run]) -> str:
    """What the maps of runs of two inputs show, as compare.gif's note says it."""
    words = ["map: the net's output", "dots: training points"]
    if any(run.config.classifies for run in runs):
        words.insert(1, "line: decision boundary")
    seeded = {"mean" if run.config.classifies else "median" for run in runs if run.nets > 1}
    if seeded:
        words[0] += f" (a seeded run: the {' or '.join(sorted(seeded))} over its nets)"
    return " · ".join(words)


# What the units.gif of a comparison of runs of two inputs shows, as its note says it.
UNITS_OF_PLANES = "below: each run's own units.gif (its net 0), at its latest frame at the comparison's epoch"


def drawn_pictures(folder: Path, names: tuple[str, ...]) -> dict[str, bytes | None]:
    """The bytes of these pictures of a folder (drawn before its page), None for one that is not there."""
    pictures = {}
    for name in names:
        try:
            pictures[name] = (folder / name).read_bytes()
        except OSError:
            pictures[name] = None
    return pictures


def default_compare_folder(run_dirs: list[str | Path]) -> Path:
    """output/compare_<the runs' folders>: a comparison of other runs never lands on this one."""
    return Path("output") / naming.joined_name(["compare"] + [Path(run_dir).resolve().name for run_dir in run_dirs])


def render_comparison(run_dirs: list[str | Path], output_dir: str | Path | None = None,
                      overrides: list[str] | None = None, labels: list[str] | None = None,
                      replace: bool = False) -> list[Path]:
    """Write compare.gif, compare.png, units.gif, residuals.png and report.html for 2 to 9 run
    directories into output_dir (by default default_compare_folder), and curvature.png where
    every run shows its curvature (rundir.shows_curvature).

    output_dir must be new, empty, or hold only an earlier comparison's pictures, of the same runs
    in any order (of others only with replace).
    overrides: render settings ('render.fps=10'); otherwise the first run's are used.
    labels: one per run, for the titles and legend; by default the runs' names (the pictures and the page
    follow a seeded run's with how many seeds: drawing.comparison.seeds_words).
    """
    runs = load_runs_to_compare(run_dirs, overrides)
    video.check_available(runs[0].config.render.video)
    labels_given = bool(labels)
    labels = compare_labels(runs, run_dirs, labels or [])
    output_dir = outputs.destination_path(output_dir if output_dir is not None else default_compare_folder(run_dirs))
    outputs.check_destination(output_dir, COMPARE_OUTPUT)
    earlier = compared_runs(output_dir)
    if earlier and sorted(earlier) != sorted(str(Path(run_dir).resolve()) for run_dir in run_dirs) and not replace:
        raise RunError(f"{output_dir} holds a comparison of other runs ({', '.join(earlier)}); keep it by writing this "
                       f"one elsewhere (--output-dir), or replace it with --replace")
    output_dir.mkdir(parents=True, exist_ok=True)
    # The marker first: a comparison interrupted before its pictures are all drawn is still
    # recognised as one, and the next compare into the folder replaces it.
    write_marker(output_dir / COMPARE_MARKER, run_dirs, runs, labels if labels_given else None)
    note = compare_note(runs, prediction_words(runs))
    plane = runs[0].is_plane  # (all are, or none: load_runs_to_compare)
    units_note = compare_note(runs, UNITS_OF_PLANES if plane else "prediction (blue)")  # (net 0's of a seeded run)
    size = (runs[0].config.render.width_pixels, runs[0].config.render.height_pixels)

    def draw_gif(runs: list[Run], path: Path) -> None:
        animation = PlaneCompareAnimation(runs, labels, note, *size) if plane else CompareAnimation(runs, labels, note)
        write_animation(animation, runs[0], path, video_paths(runs[0], output_dir, COMPARE_FILES[0]))

    def draw_png(runs: list[Run], path: Path) -> None:
        (draw_plane_compare_png if plane else draw_compare_png)(runs, labels, path)

    def draw_units(runs: list[Run], path: Path) -> None:
        animation = (StackedUnitsAnimation(runs, labels, units_note, *size) if plane else
                     CompareUnitsAnimation(runs, labels, units_note))
        write_animation(animation, runs[0], path, video_paths(runs[0], output_dir, rundir.INSIDE_PICTURES[0]))

    def draw_residuals(runs: list[Run], path: Path) -> None:
        (draw_stacked_residuals_png if plane else draw_compare_residuals_png)(runs, labels, path)

    views = [curvature_views(run) for run in runs]

    def draw_page(runs: list[Run], path: Path) -> None:
        page = (plane_compare_page_html(runs, labels, note, drawn_pictures(output_dir, COMPARE_FILES[:2]),
                                        rundir.INSIDE_PICTURES) if plane
                else compare_page_html(runs, labels, note, views))
        path.write_text(page, encoding="utf-8")

    def draw_curvature(runs: list[Run], path: Path) -> None:
        draw_curvature_comparison([(run, view.spectrum, view.landscape) for run, view in zip(runs, views)], path,
                                  labels)

    pictures = list(zip(COMPARE_FILES, (draw_gif, draw_png, draw_units, draw_residuals, draw_page)))
    if all(view.spectrum is not None and view.landscape is not None for view in views):
        pictures.insert(-1, (CURVATURE_PICTURE, draw_curvature))
    written = write_pictures(pictures, runs, output_dir)
    return written + [output_dir / name for name in rundir.video_names(runs[0], COMPARE_FILES)]


def is_comparison_folder(folder: Path) -> bool:
    """Whether folder holds a comparison (its comparison.json, naming the runs compared)."""
    return outputs.holds_marker(folder / COMPARE_MARKER, "compared")


def compared_runs(folder: Path) -> list[str]:
    """The runs (resolved folders) an earlier comparison in folder compared; [] where there is none."""
    if not is_comparison_folder(folder):
        return []
    try:
        return [entry["path"] for entry in json.loads((folder / COMPARE_MARKER).read_text())["compared"]]
    except (OSError, ValueError, KeyError, TypeError):
        return []


def write_marker(path: Path, run_dirs: list[str | Path], runs: list[Run], labels: list[str] | None) -> None:
    """comparison.json: the runs compared (their folders as given, and resolved; the training
    settings each had, so that a redraw can tell a run replaced since) and their labels where they
    were given (a redraw names the others afresh)."""
    marker = {"compared": [{"run": str(run_dir), "path": str(Path(run_dir).resolve()),
                            "settings": naming.training_settings(run.config),
                            **({} if labels is None else {"label": labels[index]})}
                           for index, (run_dir, run) in enumerate(zip(run_dirs, runs))]}
    try:
        outputs.write_atomically(path, json.dumps(marker, indent=2) + "\n")
    except OSError as error:
        raise RunError(f"cannot write {path} ({error.strerror or error}); choose another --output-dir") from None


def redraw_comparison(folder: Path, overrides: list[str]) -> list[Path]:
    """Draw a comparison again from the runs its comparison.json names, refusing one that has been
    replaced since by a run of other settings (it would be drawn under the first one's label)."""
    try:
        compared = json.loads((folder / COMPARE_MARKER).read_text())["compared"]
        paths = [entry["path"] for entry in compared]
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise RunError(f"{folder}/{COMPARE_MARKER} cannot be read ({type(error).__name__}: {error}); compare the runs "
                       "again with animate.py compare") from None
    for entry, run in zip(compared, load_runs_to_compare(paths, overrides)):
        if "settings" in entry and naming.training_settings(run.config) != entry["settings"]:
            raise RunError(f"{entry['run']} is no longer the run that was compared (it was trained again with other "
                           f"settings); compare again: python animate.py compare ... --output-dir {folder} --replace")
    labels = [entry["label"] for entry in compared] if all("label" in entry for entry in compared) else None
    return render_comparison(paths, folder, overrides, labels)
