"""Draw a saved run (fit.gif and loss.png; seeds.gif and seeds.png for many seeds; units.gif and
residuals.png inside its first net), or compare runs.

    python animate.py output/adam_2x10 [--set render.fps=10]
    python animate.py compare output/sgd_1x60 output/adam_1x60 [--label SGD --label Adam]
    animate.show("output/adam_2x10")   # in a Jupyter notebook: the run's page, inline

This file is the command: arguments and messages. What it calls is rendering.py (a run's
pictures), comparisons.py (runs side by side) and folders.py (what a folder is, to redraw it or
show its page); none of them imports TensorFlow.
"""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path

if __name__ == "__main__":
    # A Ctrl-C while the libraries below load: nothing has been done yet.
    signal.signal(signal.SIGINT, lambda *_: (print("\ninterrupted before drawing began: nothing was written", file=sys.stderr),
                                             sys.exit(130)))

import comparisons
import folders
from comparisons import render_comparison  # noqa: F401  the README's and the notebook's names
from config import ConfigError
from folders import show  # noqa: F401
from rendering import render_run  # noqa: F401
from rundir import RunError


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
            written = comparisons.render_comparison(arguments.run_dirs, arguments.output_dir, arguments.overrides, arguments.labels,
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
            written = folders.redraw(Path(arguments.run_dir), arguments.overrides, arguments.html)
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
