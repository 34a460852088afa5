"""The run directory: what a run is on disk, written, read and checked in this one place.

    output/adam_2x10/
        config.yaml     the resolved experiment (checked with config.py's schema when read)
        summary.json    the run format version, what was trained, how it ended, the final figures
        snapshots.npz   every recorded array (below)
        history.csv     per epoch, each per-epoch quantity (the median over nets), for people
        fit.gif, loss.png      the pictures of one net, or
        seeds.gif, seeds.png   of a run of several seeds
        units.gif, residuals.png   inside the (first) net: what its units do, what is left to learn

snapshots.npz holds `frame_epochs` (frames,), the data (`x_train`, `y_train`, `x_grid` and, where
the true function is known, `y_grid_true`), `seeds` (nets,), and every recorded quantity under
its name: `epoch.<name>` (epochs, nets) and `frame.<name>` (frames, nets, ...). A run always has a
nets axis: one net is a stack of one; a large quantity kept for the first net only
(FIRST_NET_ONLY: `frame.unit_contributions`, (frames, 1, units, grid_points)) has a nets axis
of 1. A reader needs nothing but the directory; a quantity the engine starts recording is
written and read with no change here.

Imports neither TensorFlow nor matplotlib.
"""

from __future__ import annotations

import json
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import yaml

import config as config_module
import outputs
import quantities
import seed_maps
from config import ConfigError, ExperimentConfig
import run_figures
from run_figures import keeps_first_net_map, trains_on_minibatches  # noqa: F401  (curvature.py's rundir.X)
from summaries import RunSummary

FORMAT = 3
READABLE_FORMATS = (2, FORMAT)  # format 2 has no "quantities" in summary.json: it is read with today's
CONFIG_FILE, ARRAYS_FILE, HISTORY_FILE = "config.yaml", "snapshots.npz", "history.csv"
SUMMARY_FILE = outputs.SUMMARY_FILE  # its status marks the folder as a run
DATA_FILES = (CONFIG_FILE, HISTORY_FILE, ARRAYS_FILE, SUMMARY_FILE)
# Every run's pictures: its animation and error curves, then a look inside its (first) net.
INSIDE_PICTURES = ("units.gif", "residuals.png")
ONE_NET_CURVES, SEEDS_CURVES = ("fit.gif", "loss.png"), ("seeds.gif", "seeds.png")
# The page to explore a run in a browser (drawing/page.py).
PAGE_FILE = "report.html"
ONE_NET_PICTURES = ONE_NET_CURVES + INSIDE_PICTURES + (PAGE_FILE,)
SEEDS_PICTURES = SEEDS_CURVES + INSIDE_PICTURES + (PAGE_FILE,)
# What a run shows of its curvature (curvature.py), where it works it out (shows_curvature): the
# spectra and landscape as numbers, and their pictures.
CURVATURE_FILES = ("curvature.npz", "curvature.png", "landscape.gif")


def videos_of(gif_names, formats=config_module.VIDEO_FORMATS) -> tuple[str, ...]:
    """The names of the videos of the GIFs among gif_names, in these formats (fit.mp4 of fit.gif):
    render.video asks for them, to be written with their GIFs."""
    return tuple(f"{name.removesuffix('.gif')}.{video_format}" for name in gif_names if name.endswith(".gif")
                 for video_format in formats)


# What a run directory may hold; summary.json, with its "status", marks it as a run.
RUN_OUTPUT = outputs.OutputKind("a run", frozenset(DATA_FILES + ONE_NET_PICTURES + SEEDS_PICTURES + CURVATURE_FILES
                                                   + videos_of(ONE_NET_PICTURES + SEEDS_PICTURES + CURVATURE_FILES)),
                                SUMMARY_FILE, "status")
# Per-frame quantities kept for the first net only, being large: a nets axis of 1.
FIRST_NET_ONLY = tuple(quantity.name for quantity in quantities.DECLARED.values() if quantity.first_net_only)
# unit_contributions (units x grid points a frame) is not recorded at all past this many bytes: a
# 1x60 net on the default grid and frames takes 9.6 MB, on a grid of 2,000 points 96 MB.
UNIT_CONTRIBUTIONS_BUDGET = 64 * 2**20
# What a run of this version records (quantities.py; unit_contributions aside, left out past its
# budget): a run that lacks some (of format 2, say) is read and drawn, saying what it lacks, but
# make compare trains it anew.
CURRENT_QUANTITIES = {quantity.name for key, quantity in quantities.DECLARED.items()
                      if not quantity.first_net_only and key not in quantities.SOMETIMES}


class RunError(ValueError):
    """A run directory that cannot be read; the message says why and what to do."""

    _render_traceback_ = ConfigError._render_traceback_  # one line in a notebook, as a command prints it


@dataclass
class Run:
    """A run: what was trained (config, summary), the data, and everything recorded."""

    config: ExperimentConfig
    summary: RunSummary
    frame_epochs: np.ndarray  # (frames,) int64; epoch 0 is the untrained net
    per_frame: dict  # name -> (frames, nets, ...): "prediction" on the grid, "loss" of those weights
    per_epoch: dict  # name -> (epochs, nets): "loss" (as Keras reports it), "val_loss"
    x_train: np.ndarray  # (points,)
    y_train: np.ndarray
    x_grid: np.ndarray  # (grid_points,)
    y_grid_true: np.ndarray | None  # the true function on the grid, where it is known
    seeds: np.ndarray  # (nets,) each net's weight seed
    # A problem of two inputs (config.is_plane): x_train and x_grid are positions (points, 2), and
    # the held-out points are kept too, to be drawn on request.
    x_validation: np.ndarray | None = None
    y_validation: np.ndarray | None = None

    @property
    def name(self) -> str:
        return self.summary.name

    @property
    def status(self) -> str:
        return self.summary.status

    @property
    def nets(self) -> int:
        return len(self.seeds)

    @property
    def is_plane(self) -> bool:
        return self.config.is_plane

    @property
    def sizes(self) -> dict[str, int]:
        """The sizes its quantities' shapes name (quantities.sizes)."""
        return quantities.sizes(self.config.hidden_layers, len(self.x_grid), self.config.inputs)

    @property
    def predictions(self) -> np.ndarray:
        return self.per_frame["prediction"]

    @property
    def frame_loss(self) -> np.ndarray:
        return self.per_frame["loss"]

    @property
    def loss(self) -> np.ndarray:
        return self.per_epoch["loss"]

    @property
    def val_loss(self) -> np.ndarray:
        return self.per_epoch["val_loss"]

    def quantity(self, key: str) -> quantities.Quantity:
        """The declaration of one of its arrays ("epoch.loss") as its summary.json stores it (this
        version's, for a run written before declarations were stored)."""
        for item in self.summary.quantities or []:
            if item.get("array") == key:
                return quantities.from_json(item)[0]
        return quantities.DECLARED[key]

    @property
    def epochs_completed(self) -> int:
        return int(len(self.loss))

    @property
    def epochs_requested(self) -> int:
        return self.summary.epochs_requested

    @property
    def diverged_at_epoch(self) -> int | None:
        """The epoch the run stopped at because its loss (every net's) stopped being finite."""
        return self.summary.diverged_at_epoch if self.status == "diverged" else None

    @property
    def noise_floor(self) -> float | None:
        return self.summary.noise_floor

    @property
    def training_description(self) -> str:
        """What was trained, in a few words: '2x10 sigmoid · adam lr 0.01'."""
        return self.summary.trained

    @property
    def true_function(self) -> str | None:
        return self.summary.true_function

    @property
    def axis_names(self) -> tuple[str, str]:
        """What x and y are: a CSV's column names, else "x" and "y"."""
        names = self.summary.axis_names or ("x", "y")
        return names[0], names[1]

    @property
    def units_baseline(self) -> float:
        """The y its net's zero stands for: the mean of the training y for a net trained on
        standardized points (data.Standardization), else 0."""
        standardization = self.summary.standardization
        return 0.0 if standardization is None else standardization.y_shift


def new_run(config: ExperimentConfig, dataset, recording, parameters: dict[str, int]) -> Run:
    """The run a training produced: a Recording (engine.py) of the dataset (data.py) the config describes."""
    if dataset.file_sha256 is not None:  # its config.yaml says which contents the run saw
        config = config.model_copy(update={"data_sha256": dataset.file_sha256})
    plane = dataset.plane
    where = ({"x_train": dataset.x_train.reshape(-1), "x_grid": dataset.x_grid.reshape(-1)} if plane is None else
             {"x_train": plane.train, "x_grid": plane.grid, "x_validation": plane.validation,
              "y_validation": dataset.y_validation.reshape(-1)})
    per_frame = dict(recording.per_frame)
    if keeps_first_net_map(config):  # every net's map of the plane would be hundreds of MB
        boundary = seed_maps.class_boundary(config.classification_loss == "cross_entropy")
        per_frame.update(seed_maps.maps_over_nets(per_frame["prediction"], per_frame["loss"], config.classifies,
                                                  boundary))
        per_frame["prediction"] = per_frame["prediction"][:, :1]
    run = Run(
        config=config, summary=None, frame_epochs=recording.frame_epochs, per_frame=per_frame,
        per_epoch=dict(recording.per_epoch), y_train=dataset.y_train.reshape(-1), y_grid_true=dataset.y_grid_true,
        seeds=np.asarray(config.member_seeds, dtype=np.int64), **where,
    )
    run.summary = run_figures.summarize(run, recording, dataset, parameters, FORMAT)
    return run


def median_over_nets(values: np.ndarray, axis: int = -1) -> np.ndarray:
    """The median of the finite values along the nets axis (NaN where there are none)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN slices: every net diverged there
        return np.nanmedian(np.where(np.isfinite(values), values, np.nan), axis=axis)


def unit_contributions_bytes(hidden_layers: list[int], grid_points: int, frames: int) -> int:
    """The size of a run's unit_contributions (frames + 1: an early stop adds a frame)."""
    return 4 * hidden_layers[-1] * grid_points * (frames + 1)


def picture_names(run: Run, pictures: str | None = None) -> tuple[str, ...]:
    """The run's animation, error curves and INSIDE_PICTURES: fit.gif and loss.png for one net,
    seeds.gif and seeds.png for several, then units.gif and residuals.png; its CURVATURE_FILES where
    it shows its curvature; its page, report.html; and last, the videos render.video asks for of its
    GIFs (video_names), which are written with them. Its page alone where pictures (by default its
    render.pictures) is "page". A run of two inputs has the same (its GIFs are maps of the plane), but
    never its curvature (config.curvature_recorded)."""
    if (pictures or run.config.pictures_drawn) == "page":
        return (PAGE_FILE,)
    pictures = SEEDS_PICTURES if run.nets > 1 else ONE_NET_PICTURES
    names = pictures[:-1] + (CURVATURE_FILES if shows_curvature(run) else ()) + (PAGE_FILE,)
    return names + video_names(run, names)


def video_names(run: Run, gif_names) -> tuple[str, ...]:
    """The videos render.video asks for of the GIFs among gif_names (fit.mp4 and fit.webm of fit.gif, ...)."""
    return videos_of(gif_names, run.config.render.video)


def shows_curvature(run: Run) -> bool:
    """Whether the run's curvature is worked out and drawn: record.curvature asks for it (curvature_recorded)
    and the run holds the weights it is worked out from."""
    return run.config.curvature_recorded != "none" and "weights" in run.per_frame


def files_present(run_dir: Path) -> list[str]:
    """The run's files that are in run_dir, in the order they are listed to the user."""
    names = DATA_FILES + ONE_NET_CURVES + SEEDS_CURVES + INSIDE_PICTURES + CURVATURE_FILES + (PAGE_FILE,)
    return [name for name in names + videos_of(names) if (run_dir / name).exists()]


def write_run(directory: str | Path, run: Run) -> None:
    """Write config.yaml, summary.json, snapshots.npz and history.csv into directory (train.py
    stages it: see outputs.staged_directory)."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    (directory / CONFIG_FILE).write_text(config_text(run.config))
    arrays = {"frame_epochs": run.frame_epochs, "x_train": run.x_train, "y_train": run.y_train,
              "x_grid": run.x_grid, "seeds": run.seeds}
    for name in ("y_grid_true", "x_validation", "y_validation"):
        if getattr(run, name) is not None:
            arrays[name] = getattr(run, name)
    arrays.update({f"epoch.{name}": values for name, values in run.per_epoch.items()})
    arrays.update({f"frame.{name}": values for name, values in run.per_frame.items()})
    # Not compressed: deflate shrank the recorded floats by a tenth to a fifth (the shipped sweep's
    # cells: 377 MB, now 482 MB), and took 0.5 s of a small cell's 0.85 s of writing, and reading
    # them back (the page, a study's table) as long again.
    np.savez(directory / ARRAYS_FILE, **arrays)
    names = list(run.per_epoch)
    columns = [np.arange(1, run.epochs_completed + 1)] + [median_over_nets(run.per_epoch[name]) for name in names]
    np.savetxt(directory / HISTORY_FILE, np.column_stack(columns), fmt=["%d"] + ["%.9g"] * len(names),
               delimiter=",", header=",".join(["epoch"] + names), comments="")
    write_summary(directory, run.summary)


def write_summary(directory: Path, summary: RunSummary) -> None:
    (directory / SUMMARY_FILE).write_text(json.dumps(summary.to_json(), indent=2) + "\n")


def config_text(config: ExperimentConfig) -> str:
    return yaml.safe_dump(config_module.to_plain_dict(config), sort_keys=False)


def write_config(directory: Path, config: ExperimentConfig) -> None:
    """Replace a run's config.yaml (a study's cell redrawn with new render settings), under a
    temporary name first."""
    outputs.write_atomically(directory / CONFIG_FILE, config_text(config))


def read_run(run_dir: str | Path, render_overrides: list[str] | None = None) -> Run:
    """Read and check a run directory; RunError (or ConfigError, for config.yaml) says what is wrong.

    render_overrides ('render.fps=10') change how the run is drawn, nothing else.
    """
    run_dir = Path(run_dir)
    if not run_dir.exists():
        experiment = experiment_file_for(run_dir)
        hint = (f"train it first: python train.py --config {experiment}" if experiment is not None
                else "train a run first, e.g. python train.py --config experiments/adam_2x10.yaml")
        raise RunError(f"{run_dir}: does not exist; {hint}")
    if not run_dir.is_dir():
        raise RunError(f"{run_dir}: is a file, not a run directory; give the folder train.py wrote, e.g. output/adam_2x10")
    missing = [name for name in (SUMMARY_FILE, CONFIG_FILE, ARRAYS_FILE) if not (run_dir / name).is_file()]
    if missing:
        raise RunError(f"{run_dir}: not a run directory (missing {', '.join(missing)}); train one with train.py")
    retrain = f"train it again: python train.py --config {run_dir / CONFIG_FILE} --output-dir {run_dir}"
    try:
        summary = json.loads((run_dir / SUMMARY_FILE).read_text())
        version = summary.get("format", 1)
    except (OSError, ValueError, AttributeError) as error:
        # Without a readable summary.json the folder is no longer provably a run, so train.py
        # would not replace it: the run is trained again beside it.
        raise RunError(f"{run_dir}: {SUMMARY_FILE} cannot be read ({error}); train it again into a new folder: "
                       f"python train.py --config {run_dir / CONFIG_FILE} --output-dir {run_dir}.retrained") from None
    if version not in READABLE_FORMATS:
        readable = " and ".join(map(str, READABLE_FORMATS))
        raise RunError(f"{run_dir}: written in run format {version!r}, and this version reads formats {readable}; {retrain}")
    config = run_config(run_dir, render_overrides or [])
    try:
        summary = RunSummary.read(summary, SUMMARY_FILE)
        if summary.status == "diverged" and summary.diverged_at_epoch is None:
            raise ValueError(f"{SUMMARY_FILE}: a diverged run needs diverged_at_epoch, the epoch it stopped at")
        with np.load(run_dir / ARRAYS_FILE) as arrays:
            run = Run(
                config=config, summary=summary, frame_epochs=arrays["frame_epochs"],
                per_frame={key.removeprefix("frame."): arrays[key] for key in arrays.files if key.startswith("frame.")},
                per_epoch={key.removeprefix("epoch."): arrays[key] for key in arrays.files if key.startswith("epoch.")},
                x_train=arrays["x_train"], y_train=arrays["y_train"], x_grid=arrays["x_grid"],
                seeds=arrays["seeds"], **{name: arrays[name] if name in arrays.files else None
                                          for name in ("y_grid_true", "x_validation", "y_validation")},
            )
        if version < FORMAT:  # its arrays, declared as they are today
            summary.quantities = quantities.declarations_of(run.per_epoch, run.per_frame, run.sizes)
        check_run(run)
    except (OSError, ValueError, KeyError, TypeError, zipfile.BadZipFile) as error:
        raise RunError(f"{run_dir}: a file of this run cannot be read ({type(error).__name__}: {error}); {retrain}") from None
    return run


def run_config(run_dir: Path, overrides: list[str]) -> ExperimentConfig:
    """A run's config.yaml, checked as an experiment file is, with render and record overrides applied."""
    sources = [(config_module.parse_override(text)[0], f"--set {text}") for text in overrides]
    for path, label in sources:
        if path[0] not in ("render", "record"):
            raise ConfigError(f"{label}: only render and record settings change when redrawing (render.fps, "
                              f"render.last_frame_seconds, render.width_pixels, render.height_pixels, "
                              f"render.pictures, render.video, render.show_held_out, record.curvature); {path[0]} is "
                              f"part of what was trained: train again with train.py {label}")
    source = run_dir / CONFIG_FILE
    raw = config_module.read_yaml_mapping(source)
    return config_module.validate(config_module.apply_overrides(raw, overrides), str(source), sources)


def check_run(run: Run) -> None:
    """Raise ValueError unless the run's parts fit together (a run read from disk may not)."""
    summary, frames, nets = run.summary, len(run.frame_epochs), run.nets
    if not {"prediction", "loss"} <= set(run.per_frame) or not {"loss", "val_loss"} <= set(run.per_epoch):
        raise ValueError(f"{ARRAYS_FILE}: the frames' prediction and loss and the epochs' loss and val_loss are needed")
    if frames == 0 or run.frame_epochs.ndim != 1 or run.frame_epochs[0] < 0 or np.any(np.diff(run.frame_epochs) <= 0):
        raise ValueError(f"{ARRAYS_FILE}: frame_epochs must be one or more increasing epochs from 0")
    for name, values in [("frame_epochs", run.frame_epochs), ("seeds", run.seeds)]:
        if not np.issubdtype(values.dtype, np.integer) or values.ndim != 1:
            raise ValueError(f"{ARRAYS_FILE}: {name} must be a list of whole numbers, got {values.dtype} {values.shape}")
    arrays = {"x_train": run.x_train, "y_train": run.y_train, "x_grid": run.x_grid, "y_grid_true": run.y_grid_true,
              "x_validation": run.x_validation, "y_validation": run.y_validation,
              **{f"frame.{name}": values for name, values in run.per_frame.items()},
              **{f"epoch.{name}": values for name, values in run.per_epoch.items()}}
    for name, values in arrays.items():
        if values is not None and not np.issubdtype(values.dtype, np.floating):
            raise ValueError(f"{ARRAYS_FILE}: {name} must hold numbers, got {values.dtype}")
    position = (2,) if run.is_plane else ()  # a point of a plane is two numbers
    expected = {"x_grid": (len(run.x_grid), *position), "x_train": (len(run.x_train), *position),
                "y_train": (len(run.x_train),)}
    if run.is_plane:
        side = run.config.grid_points
        if run.x_validation is None or run.y_validation is None:
            raise ValueError(f"{ARRAYS_FILE}: a run of two inputs needs x_validation and y_validation")
        expected.update({"x_grid": (side * side, 2), "x_validation": (len(run.x_validation), 2),
                         "y_validation": (len(run.x_validation),)})
    if run.y_grid_true is not None:
        expected["y_grid_true"] = (len(run.x_grid),)
    expected.update(quantities.expected_shapes(summary.quantities, {"epoch": run.per_epoch, "frame": run.per_frame},
                                               {"epoch": run.epochs_completed, "frame": frames}, nets, run.sizes))
    shapes = {name: arrays[name].shape for name in expected}
    for name, shape in expected.items():
        if shapes[name] != shape:
            raise ValueError(f"{ARRAYS_FILE}: {name} has shape {shapes[name]}, expected {shape}")
    completed, requested = run.epochs_completed, run.epochs_requested
    if completed != summary.epochs_completed or run.frame_epochs[-1] > completed or completed > requested:
        raise ValueError(f"{ARRAYS_FILE} and {SUMMARY_FILE} disagree on how many epochs were trained")
    if summary.status == "completed" and (completed != requested or run.frame_epochs[-1] != completed):
        raise ValueError(f"{SUMMARY_FILE}: a completed run has trained every epoch requested, and its last frame "
                         "is the last epoch")
    if summary.status == "stopped_early" and run.frame_epochs[-1] != completed:
        raise ValueError(f"{SUMMARY_FILE}: a run that stopped early has its last frame at the epoch it stopped")
    if summary.status == "diverged" and summary.diverged_at_epoch != completed:
        raise ValueError(f"{SUMMARY_FILE}: diverged_at_epoch must be the last epoch trained, {completed}")


def experiment_file_for(run_dir: Path) -> str | None:
    """The experiment file a run folder is named after (experiments/<name>.yaml, here or in this
    project), if there is one."""
    for folder in (Path("experiments"), outputs.PROJECT_ROOT / "experiments"):
        if (folder / f"{run_dir.name}.yaml").is_file():
            return str(folder / f"{run_dir.name}.yaml")
    return None


def records_everything(run: Run) -> bool:
    """Whether the run records every quantity this version records (an earlier run may lack some:
    it is read and drawn, saying what it lacks, but make compare trains it anew)."""
    return CURRENT_QUANTITIES <= set(run.per_frame) | set(run.per_epoch)
