"""Draw a saved run (fit.gif and loss.png; seeds.gif and seeds.png for many seeds; units.gif and
residuals.png inside its first net), or compare runs.

    python animate.py output/adam_2x10 [--set render.fps=10]
    python animate.py compare output/sgd_1x60 output/adam_1x60 [--label SGD --label Adam]
    animate.show("output/adam_2x10")   # in a Jupyter notebook: the run's page, inline

Reads only run directories (rundir.py), and never imports TensorFlow: redrawing is quick and
works on a machine without it. The drawing itself is the drawing package's; this file is the
command: arguments, where the pictures go, messages.
"""

from __future__ import annotations

import argparse
import html
import json
import signal
import sys
from pathlib import Path

if __name__ == "__main__":
    # A Ctrl-C while the libraries below load: nothing has been done yet.
    signal.signal(signal.SIGINT, lambda *_: (print("\ninterrupted before drawing began: nothing was written", file=sys.stderr),
                                             sys.exit(130)))

import naming
import outputs
import rundir
from config import ConfigError
from drawing import gif
from drawing.figures import data_differences, draw_compare_png, draw_loss_png
from drawing.curves import truth_label
from drawing.frames import CompareAnimation, FitAnimation, SeedsAnimation, shared_scales
from drawing.residuals import draw_compare_residuals_png, draw_residuals_png
from drawing.page import compare_page_html, write_page
from drawing.units import CompareUnitsAnimation, UnitsAnimation
from drawing.style import palette_colors
from rundir import Run, RunError

# What a comparison's folder may hold: its pictures, and comparison.json, which says what was
# compared and marks the folder as a comparison (pictures of these generic names alone could be
# anyone's). Its files are replaced only when it holds nothing else.
COMPARE_FILES = ("compare.gif", "compare.png") + rundir.INSIDE_PICTURES + (rundir.PAGE_FILE,)
COMPARE_MARKER = "comparison.json"
COMPARE_OUTPUT = outputs.OutputKind("a comparison", frozenset(COMPARE_FILES + (COMPARE_MARKER,)), COMPARE_MARKER,
                                    "compared", example="output/my_comparison", replaces_folder=False)
MAX_COMPARED = 9


def load_run(run_dir: str | Path, overrides: list[str] | None = None) -> Run:
    """A run directory, read and checked (see rundir.read_run); overrides ('render.fps=10') change
    how it is drawn."""
    return rundir.read_run(run_dir, overrides)


def write_animation(animation, run: Run, path: Path) -> int:
    """Write an animation (anything with .frame(index), .frame_count and .canvas) as a GIF at the
    run's render settings; returns the number of frames."""
    settings = run.config.render
    durations = gif.frame_durations_ms(animation.frame_count, settings.fps, settings.last_frame_seconds)
    gif.write_gif(path, animation.frame, animation.frame_count, durations, key_colors=palette_colors())
    return animation.frame_count


def draw_run(run: Run, directory: Path) -> list[Path]:
    """Draw a run's pictures into directory (rundir.picture_names): its animation and error curves,
    fit.gif and loss.png for one net, seeds.gif and seeds.png for several; then units.gif and
    residuals.png, inside its first net."""
    size = (run.config.render.width_pixels, run.config.render.height_pixels)

    def draw_animation(run: Run, path: Path) -> None:
        write_animation((SeedsAnimation if run.nets > 1 else FitAnimation)(run, *size), run, path)

    def draw_units(run: Run, path: Path) -> None:
        write_animation(UnitsAnimation(run, *size), run, path)

    drawers = (draw_animation, draw_loss_png, draw_units, draw_residuals_png, write_page)
    return write_pictures(zip(rundir.picture_names(run), drawers), run, directory)


def render_run(run_dir: str | Path, overrides: list[str] | None = None) -> list[Path]:
    """Redraw the pictures of a run directory; overrides: render settings for this drawing
    ('render.fps=10'); config.yaml is not changed."""
    return draw_run(load_run(run_dir, overrides), Path(run_dir))


def render_page(run_dir: str | Path) -> list[Path]:
    """Write a run directory's page, report.html, alone."""
    return write_pictures([(rundir.PAGE_FILE, write_page)], load_run(run_dir), Path(run_dir))


class ShownPage:
    """A folder's report.html as a notebook displays it: inline, in a frame of its own (Jupyter
    calls _repr_html_), so that its script and styles touch nothing of the notebook's."""

    def __init__(self, path: Path, height: int):
        self.path, self.height = path, height

    def _repr_html_(self) -> str:
        # The page's links (a study's to its experiments' pages) lead from its own folder, in a new
        # window: inside the frame, the address would be the notebook's.
        base = f'<base href="{html.escape(self.path.parent.resolve().as_uri())}/" target="_blank">'
        document = self.path.read_text(encoding="utf-8").replace("<head>", "<head>\n" + base, 1)
        # A sandbox that lets the page's own script run and its links open, and nothing else (no
        # forms, no reach into the notebook).
        return (f'<iframe srcdoc="{html.escape(document, quote=True)}" sandbox="allow-scripts allow-popups '
                f'allow-popups-to-escape-sandbox" title="{html.escape(str(self.path))}" '
                f'style="width: 100%; height: {self.height}px; border: 1px solid #ddd"></iframe>')

    def __repr__(self) -> str:
        return f"{self.path} (open it in a browser, or show it in a notebook)"


def show(folder: str | Path, height: int | None = None) -> ShownPage:
    """The page of a run, a comparison or a study, to display inline in a Jupyter notebook:

        animate.show("output/adam_2x10")

    A run folder without report.html (drawn before pages existed) gets it written first. height:
    the frame's height in pixels (by default enough for a run's panels; a comparison's or a
    study's page scrolls inside it)."""
    folder = Path(folder)
    path = folder / rundir.PAGE_FILE
    if not path.is_file():
        if not (folder / COMPARE_MARKER).is_file() and not (folder / "runs").is_dir():
            render_page(folder)  # a run's page; RunError saying why if folder is not a run
        if not path.is_file():
            raise RunError(f"{folder}: has no {rundir.PAGE_FILE}; draw it again with animate.py compare or study.py")
    several = (folder / COMPARE_MARKER).is_file() or (folder / "runs").is_dir()
    return ShownPage(path, height or (1250 if several else 900))


def write_pictures(pictures, subject, directory: Path) -> list[Path]:
    """Draw each (name, draw) of `pictures` as draw(subject, path) under a temporary name in
    `directory`, renaming it into place once complete; returns the final paths."""
    written = []
    for name, draw in pictures:
        final = directory / name
        temporary = outputs.temporary_path(final)
        try:
            draw(subject, temporary)
            temporary.replace(final)
        except OSError as error:
            raise RunError(f"cannot write {final} ({error.strerror or error}); "
                           "make the folder writable, or copy the run somewhere that is") from None
        finally:
            temporary.unlink(missing_ok=True)
        written.append(final)
    return written


def load_runs_to_compare(run_dirs: list[str | Path], overrides: list[str] | None = None) -> list[Run]:
    if not 2 <= len(run_dirs) <= MAX_COMPARED:
        raise RunError(f"compare takes 2 to {MAX_COMPARED} run directories, got {len(run_dirs)}")
    runs = [load_run(run_dir, overrides) for run_dir in run_dirs]
    for run_dir, run in zip(run_dirs, runs):
        if run.nets > 1:
            raise RunError(f"{run_dir}: a run of {run.nets} seeds; compare takes runs of one net "
                           "(its seeds.gif already shows all of them)")
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


def default_compare_folder(run_dirs: list[str | Path]) -> Path:
    """output/compare_<the runs' folders>: a comparison of other runs never lands on this one."""
    return Path("output") / naming.joined_name(["compare"] + [Path(run_dir).resolve().name for run_dir in run_dirs])


def render_comparison(run_dirs: list[str | Path], output_dir: str | Path | None = None,
                      overrides: list[str] | None = None, labels: list[str] | None = None,
                      replace: bool = False) -> list[Path]:
    """Write compare.gif, compare.png, units.gif, residuals.png and report.html for 2 to 9 run
    directories into output_dir (by default default_compare_folder).

    output_dir must be new, empty, or hold only an earlier comparison's pictures, of the same runs
    in any order (of others only with replace).
    overrides: render settings ('render.fps=10'); otherwise the first run's are used.
    labels: one per run, for the titles and legend; by default the runs' names.
    """
    runs = load_runs_to_compare(run_dirs, overrides)
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
    differences = data_differences(runs)
    plural = len(differences) > 1 or differences == ["the points"]
    verb = "" if differences == ["file vs generated"] else " differ" if plural else " differs"
    different = f"different data in each panel ({', '.join(differences)}{verb})  ·  " if differences else ""
    own_scales = "" if shared_scales(runs) else "own scales  ·  "
    truths = {truth_label(run) for run in runs if run.y_grid_true is not None}
    truth = f" · {truths.pop() if len(truths) == 1 else 'true functions'} (dotted)" if truths else ""
    note = f"{different}{own_scales}data{truth} · prediction (blue)"

    def draw_gif(runs: list[Run], path: Path) -> None:
        write_animation(CompareAnimation(runs, labels, note), runs[0], path)

    def draw_png(runs: list[Run], path: Path) -> None:
        draw_compare_png(runs, labels, path)

    def draw_units(runs: list[Run], path: Path) -> None:
        write_animation(CompareUnitsAnimation(runs, labels, note), runs[0], path)

    def draw_residuals(runs: list[Run], path: Path) -> None:
        draw_compare_residuals_png(runs, labels, path)

    def draw_page(runs: list[Run], path: Path) -> None:
        path.write_text(compare_page_html(runs, labels, note), encoding="utf-8")

    drawers = (draw_gif, draw_png, draw_units, draw_residuals, draw_page)
    return write_pictures(zip(COMPARE_FILES, drawers), runs, output_dir)


def compared_runs(folder: Path) -> list[str]:
    """The runs (resolved folders) an earlier comparison in folder compared; [] where there is none."""
    if not outputs.holds_marker(folder / COMPARE_MARKER, "compared"):
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
    temporary = outputs.temporary_path(path)
    try:
        temporary.write_text(json.dumps(marker, indent=2) + "\n")
        temporary.replace(path)
    except OSError as error:
        raise RunError(f"cannot write {path} ({error.strerror or error}); choose another --output-dir") from None
    finally:
        temporary.unlink(missing_ok=True)


def redraw(folder: Path, overrides: list[str], page_only: bool = False) -> list[Path]:
    """Redraw what a folder holds: a run's pictures (or only its page), a comparison's (from the
    runs its comparison.json names), or a study's table, pictures and page (from its cells)."""
    if outputs.holds_marker(folder / COMPARE_MARKER, "compared"):
        return redraw_comparison(folder, overrides)
    import study  # the study's own files are written as study.py writes them (no TensorFlow)

    if study.is_study_folder(folder):
        if overrides or page_only:
            given = "--set" if overrides else "--html"
            raise RunError(f"{folder} is a study: {given} applies to a run, and a study's table, pictures and page are "
                           f"redrawn whole; redraw a cell with python animate.py {folder / 'runs' / '<cell>'} {given}")
        outcome = study.redraw_study(folder)
        return [folder / name for name in outcome.written]
    return render_page(folder) if page_only else render_run(folder, overrides)


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


def _add_render_overrides(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="render.KEY=VALUE",
                        help="draw with another render setting, e.g. --set render.fps=10 (repeatable); "
                             "the run's config.yaml is not changed")


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    try:
        if argv[:1] == ["compare"]:
            parser = argparse.ArgumentParser(
                prog="animate.py compare",
                description="Draw several runs side by side: compare.gif, compare.png, units.gif, residuals.png "
                            "and report.html.")
            parser.add_argument("run_dirs", nargs="+", help="2 to 9 run directories, e.g. output/sgd_1x60 output/adam_1x60")
            parser.add_argument("--output-dir", help="where to write (default: output/compare_<the runs' folders>)")
            parser.add_argument("--label", dest="labels", action="append", default=[],
                                help="a run's label in the pictures, once per run in order (default: its name)")
            parser.add_argument("--replace", action="store_true",
                                help="replace a comparison of other runs in the folder (by default it is kept)")
            _add_render_overrides(parser)
            arguments = parser.parse_args(argv[1:])
            written = render_comparison(arguments.run_dirs, arguments.output_dir, arguments.overrides, arguments.labels,
                                        arguments.replace)
        else:
            parser = argparse.ArgumentParser(
                description="Redraw a saved run's pictures (or a comparison's, or a study's), or compare runs: "
                            "animate.py compare RUN RUN ...")
            parser.add_argument("run_dir", help="a run directory written by train.py, e.g. output/adam_2x10, or the "
                                                "folder of a comparison or a study")
            parser.add_argument("--html", action="store_true",
                                help="write only the run's page, report.html (a second, not the GIFs' seconds)")
            _add_render_overrides(parser)
            arguments = parser.parse_args(argv)
            written = redraw(Path(arguments.run_dir), arguments.overrides, arguments.html)
    except (RunError, ConfigError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\ninterrupted: pictures finished before it are in place, no half-written one is", file=sys.stderr)
        return 130
    print("wrote " + ", ".join(str(path) for path in written))
    return 0


if __name__ == "__main__":
    signal.signal(signal.SIGINT, signal.default_int_handler)  # main() takes Ctrl-C from here on
    status = main()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # it is over, and said so: a Ctrl-C while Python exits changes nothing
    sys.exit(status)
