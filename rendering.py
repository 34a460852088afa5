"""Drawing a saved run: its pictures and its page, written under temporary names and moved into
place; and a folder's page shown in a Jupyter notebook.

Reads only run directories (rundir.py), never TensorFlow: redrawing is quick and works on a
machine without it. What each picture looks like is the drawing package's; this module says
which pictures a run gets and writes them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import curvature
import outputs
import rundir
from drawing import gif, video
from drawing.curvature_figures import NoteAnimation, draw_curvature_png, draw_note_png
from drawing.figures import draw_loss_png
from drawing.fit_frames import FitAnimation, SeedsAnimation
from drawing.page import write_page
from drawing.plane_frames import PlaneAnimation
from drawing.plane_residuals import draw_plane_residuals_png
from drawing.plane_units import PlaneUnitsAnimation
from drawing.residuals import draw_residuals_png
from drawing.style import palette_colors
from drawing.landscape_frames import LandscapeAnimation
from drawing.units_frames import UnitsAnimation
from rundir import Run, RunError


def load_run(run_dir: str | Path, overrides: list[str] | None = None) -> Run:
    """A run directory, read and checked (see rundir.read_run); overrides ('render.fps=10') change
    how it is drawn."""
    return rundir.read_run(run_dir, overrides)


def write_animation(animation, run: Run, path: Path, videos: Sequence[Path] = ()) -> int:
    """Write an animation (anything with .frame(index) and .frame_count) as a GIF at path at the
    run's render settings, and as each of videos (fit.mp4, ...: rundir.video_names, where they go;
    each written under a temporary name) from the same frames, each drawn once; returns the number
    of frames. The GIF's palette keeps the colours of every role exact (style.palette_colors), and
    those the animation names as its own key_colors, if any (the runs' colours of a comparison)."""
    settings = run.config.render
    durations = gif.frame_durations_ms(animation.frame_count, settings.fps, settings.last_frame_seconds)
    key_colors = palette_colors(getattr(animation, "key_colors", ()))
    with video.videos_written(list(videos), durations) as add_to_videos:
        gif.write_gif(path, animation.frame, animation.frame_count, durations, key_colors=key_colors,
                      each_frame=add_to_videos)
    return animation.frame_count


def video_paths(run: Run, directory: Path, gif_name: str) -> list[Path]:
    """Where the videos of the GIF gif_name that the run's render.video asks for go (rundir.video_names)."""
    return [directory / name for name in rundir.video_names(run, [gif_name])]


def draw_run(run: Run, directory: Path) -> list[Path]:
    """Draw a run's pictures into directory (rundir.picture_names): its animation and error curves,
    fit.gif and loss.png for one net, seeds.gif and seeds.png for several; then units.gif and
    residuals.png, inside its first net; where it shows its curvature, curvature.npz, curvature.png
    and landscape.gif; its page; and with each GIF, the videos of it render.video asks for. Its page
    alone where render.pictures says "page"."""
    names = rundir.picture_names(run)
    videos = rundir.video_names(run, names)  # written with their GIFs
    if videos:  # before anything is drawn
        video.check_available(run.config.render.video)
    size = (run.config.render.width_pixels, run.config.render.height_pixels)
    views = curvature_views(run)  # the page shows them too

    def draw_animation(run: Run, path: Path) -> None:
        animation = (PlaneAnimation if run.is_plane else SeedsAnimation if run.nets > 1 else FitAnimation)(run, *size)
        write_animation(animation, run, path, video_paths(run, directory, names[0]))

    def draw_units(run: Run, path: Path) -> None:
        animation = (PlaneUnitsAnimation if run.is_plane else UnitsAnimation)(run, *size)
        write_animation(animation, run, path, video_paths(run, directory, rundir.INSIDE_PICTURES[0]))

    def draw_residuals(run: Run, path: Path) -> None:
        (draw_plane_residuals_png if run.is_plane else draw_residuals_png)(run, path)

    def draw_curvature(run: Run, path: Path) -> None:
        if views.spectrum is None:
            draw_note_png(run, views.note, path)
        else:
            draw_curvature_png(run, views.spectrum, path)

    def draw_landscape(run: Run, path: Path) -> None:
        animation = (NoteAnimation(run, views.note) if views.landscape is None
                     else LandscapeAnimation(run, views.landscape, *size))
        write_animation(animation, run, path, video_paths(run, directory, rundir.CURVATURE_FILES[-1]))

    drawers = {**dict(zip(rundir.ONE_NET_CURVES, (draw_animation, draw_loss_png))),
               **dict(zip(rundir.SEEDS_CURVES, (draw_animation, draw_loss_png))),
               **dict(zip(rundir.INSIDE_PICTURES, (draw_units, draw_residuals))),
               **dict(zip(rundir.CURVATURE_FILES, (lambda run, path: curvature.write_views(views, path), draw_curvature,
                                                   draw_landscape))),
               rundir.PAGE_FILE: lambda run, path: write_page(run, path, views)}
    written = write_pictures([(name, drawers[name]) for name in names if name not in videos], run, directory)
    return written + [directory / name for name in videos]


def curvature_views(run: Run) -> curvature.Views:
    """The run's spectrum and landscape (curvature.py), worked out once for its pictures, or why not."""
    if run.is_plane:
        return curvature.Views(None, None, "curvature not worked out: it is worked out for nets of one input so far")
    if run.config.curvature_recorded == "none":
        if run.config.record.curvature is None:  # unset: none for a large net
            return curvature.Views(None, None, f"curvature not worked out: the net has {run.config.parameters:,} "
                                               "weights and biases, more than 1,000 (its spectra take long; ask with "
                                               "animate.py RUN --set record.curvature=net0)")
        return curvature.Views(None, None, "curvature not worked out: record.curvature is none (set it to net0 and "
                                           "draw the run again with animate.py)")
    if "weights" not in run.per_frame:
        return curvature.Views(None, None, "curvature not recorded: this run holds no weights (trained by an "
                                           "earlier version)")
    return curvature.views_of_run(run)


def render_run(run_dir: str | Path, overrides: list[str] | None = None) -> list[Path]:
    """Redraw the pictures of a run directory; overrides: render settings for this drawing
    ('render.fps=10'), and record settings ('record.curvature=net0'), which config.yaml then keeps:
    what the folder holds (curvature.png or not) and what its page says stay in agreement."""
    run = load_run(run_dir, overrides)
    written = draw_run(run, Path(run_dir))
    if any(text.split("=", 1)[0].strip().split(".")[0] == "record" for text in overrides or []):
        kept = rundir.run_config(Path(run_dir), [])
        rundir.write_config(Path(run_dir), kept.model_copy(update={"record": run.config.record}))
    return written


def render_page(run_dir: str | Path, overrides: list[str] | None = None) -> list[Path]:
    """Write a run directory's page, report.html, alone (with render overrides, checked as for
    render_run: 'render.fps=10')."""
    run = load_run(run_dir, overrides)
    return write_pictures([(rundir.PAGE_FILE, lambda run, path: write_page(run, path, curvature_views(run)))], run,
                          Path(run_dir))


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
