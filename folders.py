"""What a folder of ours is (a run, a comparison of runs, or a study) and what can be done with it
as a whole: draw it again, or show its page in a Jupyter notebook.

No TensorFlow.
"""

from __future__ import annotations

import html
import sys
from pathlib import Path

import comparisons
import rendering
import rundir
import studies
from cells import RUNS
from config import ConfigError
from rundir import RunError


def redraw(folder: Path, overrides: list[str], page_only: bool = False) -> list[Path]:
    """Redraw what a folder holds: a run's pictures, all of them whatever its render.pictures says
    (or only its page), a comparison's (from the runs its comparison.json names), or a study's table,
    pictures and page (from its cells), and its cells' GIFs and PNGs where they have their page alone."""
    if comparisons.is_comparison_folder(folder):
        return comparisons.redraw_comparison(folder, overrides)
    if studies.is_study_folder(folder):
        if overrides or page_only:
            given = "--set" if overrides else "--html"
            raise RunError(f"{folder} is a study: {given} applies to a run, and a study's table, pictures and page are "
                           f"redrawn whole; redraw a cell with python animate.py {folder / RUNS / '<cell>'} {given}")
        outcome = studies.redraw_study(folder)
        return draw_every_picture_of_cells(folder) + [folder / name for name in outcome.written]
    if page_only:
        return rendering.render_page(folder, overrides)
    return rendering.render_run(folder, overrides if _given(overrides, "render.pictures") else overrides + ["render.pictures=all"])


def _given(overrides: list[str], key: str) -> bool:
    return any(text.split("=", 1)[0].strip() == key for text in overrides)


def draw_every_picture_of_cells(folder: Path) -> list[Path]:
    """Draw the GIFs and PNGs of a study's cells that have their page alone (render.pictures: page,
    a study's default): asked for with animate.py on the study. Returns the cells' folders drawn."""
    drawn = []
    for cell_dir in sorted(path for path in (folder / RUNS).glob("*") if path.is_dir() and not path.name.startswith(".")):
        try:
            run = rundir.read_run(cell_dir, ["render.pictures=all"])
        except (RunError, ConfigError):
            continue  # not a finished cell: the study's table lists it as missing
        if all((cell_dir / name).is_file() for name in rundir.picture_names(run)):
            continue
        print(f"drawing {cell_dir}", file=sys.stderr, flush=True)
        rendering.draw_run(run, cell_dir)
        drawn.append(cell_dir)
    return drawn



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
        if not comparisons.is_comparison_folder(folder) and not studies.is_study_folder(folder):
            rendering.render_page(folder)  # a run's page; RunError saying why if folder is not a run
        if not path.is_file():
            raise RunError(f"{folder}: has no {rundir.PAGE_FILE}; draw it again with animate.py compare or study.py")
    several = comparisons.is_comparison_folder(folder) or studies.is_study_folder(folder)
    return ShownPage(path, height or (1250 if several else 900))
