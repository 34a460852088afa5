"""Drawing a saved run: its pictures and its page, written under temporary names and moved into
place; and a folder's page shown in a Jupyter notebook.

Reads only run directories (rundir.py), never TensorFlow: redrawing is quick and works on a
machine without it. What each picture looks like is the drawing package's; this module says
which pictures a run gets and writes them.
"""

from __future__ import annotations

from pathlib import Path

import outputs
import rundir
from drawing import gif
from drawing.figures import draw_loss_png
from drawing.fit_frames import FitAnimation, SeedsAnimation
from drawing.page import write_page
from drawing.residuals import draw_residuals_png
from drawing.style import palette_colors
from drawing.units_frames import UnitsAnimation
from rundir import Run, RunError


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


def write_pictures(pictures, subject, directory: Path) -> list[Path]:
    """Draw each (name, draw) of `pictures` as draw(subject, path) under a temporary name in
    `directory`, renaming it into place once complete; returns the final paths."""
    written = []
    for name, draw in pictures:
        final = directory / name
        try:
            with outputs.written_in_place(final) as temporary:
                draw(subject, temporary)
        except OSError as error:
            raise RunError(f"cannot write {final} ({error.strerror or error}); "
                           "make the folder writable, or copy the run somewhere that is") from None
        written.append(final)
    return written
