"""Size and writing time of report.html, the page of a run, a 100-seed run, a comparison and a
study, against the time to draw the same run's loss.png, measured in the same run.

    python benchmarks/bench_page.py [--run-dir output/adam_2x10] [--study-dir output/study_optimizer_vs_layers]

The run is output/adam_2x10 (trained first if missing, in a child process); the 100-seed run is
made up (conftest.synthetic_run: 20,000 epochs, 200 frames, 200 grid points), as the size test
makes it; the comparison is of the run with itself under four labels, and the study's page is
written only if a study folder is there (make study). The page of a grid of the shipped sweep's size
(experiments/sweep_sgd_escape.yaml: 36 cells of 20 seeds, 20,000 epochs, 200 frames and 200 grid
points) is made up likewise, every cell the same synthetic run. Prints each page's size and time,
and the run page's time as a ratio to loss.png's (a matplotlib savefig of the same run).
Targets: a run's page under 2 MB without its unit curves and under 6 MB with them, written in
under a second; a 100-seed run's page and the sweep's page under 10 MB.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "benchmarks"))

import rundir  # noqa: E402
from bench_render import ensure_run  # noqa: E402
from drawing import page  # noqa: E402
from drawing.figures import draw_loss_png  # noqa: E402


def timed(write, path: Path, repeats: int) -> tuple[float, int]:
    """The median seconds of write(path) over repeats, and the file's size."""
    seconds = []
    for _ in range(repeats):
        started = time.perf_counter()
        write(path)
        seconds.append(time.perf_counter() - started)
    return statistics.median(seconds), path.stat().st_size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run-dir", type=Path, default=ROOT / "output" / "adam_2x10")
    parser.add_argument("--study-dir", type=Path, default=ROOT / "output" / "study_optimizer_vs_layers")
    parser.add_argument("--repeats", type=int, default=3)
    arguments = parser.parse_args()
    run = rundir.read_run(ensure_run(arguments.run_dir))
    folder = Path(tempfile.mkdtemp(prefix="bench_page."))
    repeats = arguments.repeats

    def megabytes(size: int) -> str:
        return f"{size / 1e6:.2f} MB"

    loss_seconds, _ = timed(lambda path: draw_loss_png(run, path), folder / "loss.png", repeats)
    run_seconds, run_size = timed(lambda path: page.write_page(run, path), folder / "run.html", repeats)
    print(f"run: {arguments.run_dir} ({len(run.frame_epochs)} frames)")
    print(f"loss.png (reference):              {loss_seconds:.3f} s")
    print(f"report.html of the run:            {run_seconds:.3f} s, {megabytes(run_size)} "
          f"({run_seconds / loss_seconds:.2f}x loss.png; targets < 1 s, < 6 MB with units)")
    seconds, size = timed(lambda path: path.write_text(page.page_html(run, with_units=False)), folder / "bare.html",
                          repeats)
    print(f"  the same without its unit curves: {seconds:.3f} s, {megabytes(size)} (target < 2 MB)")

    from conftest import synthetic_run

    seeded = synthetic_run(nets=100, epochs=20000, frames=200, grid_points=200)
    seconds, size = timed(lambda path: page.write_page(seeded, path), folder / "seeds.html", 1)
    print(f"report.html of 100 seeds:          {seconds:.3f} s, {megabytes(size)} (target < 10 MB)")

    labels = [f"copy {number}" for number in range(1, 5)]
    seconds, size = timed(lambda path: path.write_text(page.compare_page_html([run] * 4, labels, "")), folder / "c.html",
                          repeats)
    print(f"report.html comparing 4 runs:      {seconds:.3f} s, {megabytes(size)}")

    seconds, size, plan = grid_page_of_the_sweeps_size(folder)
    print(f"report.html of a 36-cell sweep:    {seconds:.3f} s, {megabytes(size)} (target < 10 MB; "
          f"{'medians and bands' if plan.bands else 'medians alone'} on {plan.grid_points} grid points)")

    summary_path = arguments.study_dir / "summary.json"
    if summary_path.is_file():
        rows = json.loads(summary_path.read_text())["rows"]
        runs = [rundir.read_run(arguments.study_dir / "runs" / row["experiment"]) for row in rows]
        links = [f"runs/{row['experiment']}/report.html" for row in rows]
        seconds, size = timed(lambda path: path.write_text(page.study_page_html("study", runs, rows, links, "")),
                              folder / "s.html", repeats)
        print(f"report.html of the study:          {seconds:.3f} s, {megabytes(size)} "
              f"({len(runs)} experiments x {runs[0].nets} seeds)")
    else:
        print(f"no study at {arguments.study_dir} (make study writes one): its page is not measured")


def grid_page_of_the_sweeps_size(folder: Path):
    """(seconds, bytes, page_grid.PagePlan) of the page of a grid of the shipped sweep's size, its
    phase diagram drawn, every cell the same synthetic run under its own name."""
    import study_table
    import yaml
    from conftest import synthetic_run
    from drawing import page_grid, phase

    grid = yaml.safe_load((ROOT / "experiments" / "sweep_sgd_escape.yaml").read_text())["grid"]
    run = page_grid.slim(synthetic_run(nets=20, epochs=20000, frames=200, grid_points=200))
    combinations = page_grid.grid_combinations(grid)
    rows = study_table.table_rows([run.summary] * len(combinations), combinations)
    cells = []
    for number, (settings, row) in enumerate(zip(combinations, rows)):
        row.experiment = f"cell_{number}"
        cells.append(page_grid.GridCell(settings, row.experiment, f"runs/{row.experiment}/report.html", run, row))
    boxes = phase.draw_phase_png(rows, grid, folder / "phase.png", "sweep")
    plan = page_grid.page_plan([len(run.frame_epochs)] * len(cells), [len(run.x_grid)] * len(cells))
    seconds, size = timed(lambda path: path.write_text(page_grid.grid_page_html(
        "sweep", "20 seeds each", grid, cells, rows, [cell.link for cell in cells], (folder / "phase.png").read_bytes(),
        boxes)), folder / "grid.html", 1)
    return seconds, size, plan


if __name__ == "__main__":
    main()
