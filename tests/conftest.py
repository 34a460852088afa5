"""Shared test helpers: the repo root on sys.path, small configs that train in seconds, and
synthetic runs (made without TensorFlow) for the run format and the drawing code."""

import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import config as config_module  # noqa: E402
import data  # noqa: E402
import rundir  # noqa: E402
import rendering  # noqa: E402


@pytest.fixture
def small_config():
    """The shipped 2x10 Adam experiment, shrunk to train in well under a second, without the
    curvature pictures (tested where they are the subject: test_path.py, test_curvature_pictures.py)."""
    return config_module.load_config(
        ROOT / "experiments" / "adam_2x10.yaml",
        ["epochs=300", "frames=40", "n_samples=64", "grid_points=50", "record.curvature=none"],
    )


def shipped_files():
    """experiments/*.yaml split into experiment configs and study files (which list experiments or
    vary a grid)."""
    paths = sorted((ROOT / "experiments").glob("*.yaml"))
    studies = [path for path in paths if config_module.is_study(config_module.load_yaml(path.read_text()) or {})]
    return [path for path in paths if path not in studies], studies


def synthetic_run(nets: int = 1, epochs: int = 300, frames: int = 40, status: str = "completed",
                  diverged_at: int | None = None, **config_values) -> rundir.Run:
    """A run as train.py would make it, with made-up numbers and no TensorFlow: each net's
    prediction approaches the true sine and its error falls toward the noise floor.

    status="interrupted" stops it at `epochs`, short of twice as many requested; diverged_at
    makes every net's loss blow up to infinity at that epoch (status "diverged").
    """
    requested = 2 * epochs if status == "interrupted" else epochs
    config = config_module.validate({"name": "synthetic", "epochs": requested, "frames": frames, "grid_points": 50,
                                     "n_samples": 64, "seeds": nets, **config_values})
    dataset = data.dataset_for(config)
    reached = diverged_at if diverged_at is not None else epochs
    frame_epochs = np.unique(np.linspace(0, reached if diverged_at is None else reached - 1, frames).astype(np.int64))
    offsets = np.linspace(-0.2, 0.2, nets)[None, :, None]
    progress = 1 - np.exp(-frame_epochs / 50.0)[:, None, None]
    predictions = (progress * np.sin(dataset.x_grid.reshape(1, 1, -1)) + offsets * (1 - progress)).astype(np.float32)
    noise_floor = dataset.noise_floor
    epoch_loss = noise_floor + 0.5 * np.exp(-np.arange(reached) / 60.0)[:, None] * np.linspace(1, 2, nets)[None, :]
    frame_loss = noise_floor + 0.5 * np.exp(-(frame_epochs + 1) / 60.0)[:, None] * np.linspace(1, 2, nets)[None, :]
    val_loss = epoch_loss * 1.05
    grad_norm = 0.3 * np.exp(-np.arange(reached) / 80.0)[:, None] * np.linspace(1, 2, nets)[None, :]
    if diverged_at is not None:
        status = "diverged"
        epoch_loss[-1] = np.inf
        val_loss[-1] = grad_norm[-1] = np.nan
    recording = SimpleNamespace(
        frame_epochs=frame_epochs, status=status, train_seconds=1.5, epochs_completed=reached,
        per_frame={"prediction": predictions, "loss": frame_loss.astype(np.float32),
                   **_synthetic_units(config, dataset, predictions, progress)},
        per_epoch={"loss": epoch_loss.astype(np.float32), "val_loss": val_loss.astype(np.float32),
                   "grad_norm": grad_norm.astype(np.float32)},
        diverged_at_epoch=[diverged_at] * nets, stopped_at_epoch=[], best_epoch=[], restored_best_weights=False,
    )
    return rundir.new_run(config, dataset, recording, {"keras": 141, "weights_only": 120})


def _synthetic_units(config, dataset, predictions: np.ndarray, progress: np.ndarray) -> dict:
    """The unit quantities the engine records, made up to fit the predictions: the first net's
    units are sigmoid steps spreading apart as training goes on, and with output_bias they sum
    exactly to its prediction (up to float32 rounding)."""
    frames, nets = predictions.shape[:2]
    units, layers = config.hidden_layers[-1], len(config.hidden_layers)
    x = dataset.x_grid.reshape(1, 1, -1)
    centres = np.linspace(0.0, 2 * np.pi, units).reshape(1, -1, 1) * progress[:, :, :1]
    steps = 0.3 / (1 + np.exp(-3 * (x - centres))) * np.where(np.arange(units) % 2, 1, -1).reshape(1, -1, 1)
    output_bias = np.full((frames, nets), 0.1)
    remainder = predictions[:, :1] - output_bias[:, :1, None] - steps.sum(axis=1, keepdims=True)
    contributions = steps + remainder / units
    share = progress[:, :, 0]  # (frames, 1): 0 untrained, toward 1 trained
    return {
        "unit_contributions": contributions.reshape(frames, 1, units, -1).astype(np.float32),
        "output_bias": output_bias.astype(np.float32),
        "distinct_units": np.broadcast_to(1 + share * (units * 0.4 - 1), (frames, nets)).astype(np.float32),
        "saturated_fraction": np.broadcast_to((0.1 + 0.5 * share)[:, :, None], (frames, nets, layers)).astype(np.float32),
    }


def assert_close_in_float32(actual, expected, ulps: int = 8) -> None:
    """Two float32 results of different code paths (eager against in-graph, a hand computation
    against TensorFlow) agree within a few float32 roundings of the largest value: CPUs with and
    without oneDNN's kernels (TF_ENABLE_ONEDNN_OPTS) round differently, so bit-for-bit holds only
    for the same computation."""
    expected = np.asarray(expected, dtype=np.float64)
    tolerance = ulps * np.finfo(np.float32).eps * max(float(np.max(np.abs(expected))), np.finfo(np.float32).tiny)
    np.testing.assert_allclose(np.asarray(actual, dtype=np.float64), expected, rtol=0, atol=tolerance)


def png_pixels(path) -> np.ndarray:
    """A PNG's pixels, (height, width, 3) RGB."""
    from PIL import Image

    assert path.read_bytes().startswith(b"\x89PNG")
    with Image.open(path) as image:
        return np.asarray(image.convert("RGB"))


def count_color(pixels: np.ndarray, color: str) -> int:
    """How many pixels are exactly a matplotlib colour."""
    from matplotlib.colors import to_rgb

    return int((pixels == tuple(int(round(255 * channel)) for channel in to_rgb(color))).all(axis=-1).sum())


def decode_gif(path):
    """(frames (n, H, W, 4) RGBA as a viewer shows them, durations in ms, loop, the palette's
    colours (n, 3) less the entry that marks a transparent ("unchanged") pixel)."""
    from PIL import Image

    with Image.open(path) as image:
        palette = np.array(image.getpalette()[: 3 * 256]).reshape(-1, 3)
        if "transparency" in image.info:
            palette = np.delete(palette, image.info["transparency"], axis=0)
        loop = image.info.get("loop")
        frames, durations = [], []
        for index in range(image.n_frames):
            image.seek(index)
            frames.append(np.asarray(image.convert("RGBA")).copy())
            durations.append(image.info["duration"])
    return np.stack(frames), durations, loop, palette


@pytest.fixture
def synthetic_run_dir(tmp_path):
    """A function writing a synthetic_run(...) as a run directory under tmp_path, with its pictures
    when draw=True; returns the directory."""

    def make(name: str = "run", draw: bool = False, **options) -> Path:
        run = synthetic_run(**options)
        directory = tmp_path / name
        rundir.write_run(directory, run)
        if draw:
            rendering.draw_run(run, directory)
        return directory

    return make


@pytest.fixture(scope="session")
def finished_study(tmp_path_factory):
    """`python study.py mini_study.yaml --set seeds=2 ...` (in process): two shipped experiments, shrunk,
    over 2 seeds although the file says 3. Returns (study file, output folder, exit status, stdout)."""
    import contextlib
    import io

    import study

    folder = tmp_path_factory.mktemp("study")
    study_file = folder / "mini_study.yaml"
    study_file.write_text(f"seeds: 3\nexperiments:\n  - {ROOT / 'experiments/sgd_2x10.yaml'}\n"
                          f"  - {ROOT / 'experiments/adam_2x10.yaml'}\n")
    output = folder / "out"
    stdout = io.StringIO()
    with contextlib.redirect_stdout(stdout):
        # One cell at a time, here: TensorFlow is started once (the workers are tested in test_study.py).
        status = study.main([str(study_file), "--set", "epochs=120", "--set", "frames=8", "--set", "n_samples=50",
                             "--set", "seeds=2", "--output-dir", str(output), "--no-progress", "--jobs", "1"])
    return study_file, output, status, stdout.getvalue()


@pytest.fixture(scope="session")
def finished_grid_study(tmp_path_factory):
    """`python study.py grid.yaml` (in process): the shipped 2x10 experiment over a grid of 2 x 2 cells
    (learning rate 0.01 and 0.1, sgd and adam) of 3 seeds, shrunk to 100 epochs and 10 frames. Returns
    (study file, output folder, exit status). Read it; to change it, copy it."""
    import contextlib
    import io

    import study

    folder = tmp_path_factory.mktemp("grid_study")
    study_file = folder / "grid.yaml"
    study_file.write_text(f"base: {ROOT / 'experiments' / 'adam_2x10.yaml'}\nseeds: 3\n"
                          "grid:\n  learning_rate: [0.01, 0.1]\n  optimizer: [sgd, adam]\n")
    output = folder / "out"
    # One worker: it starts TensorFlow once and traces each shape once (17 s here, against 30 s for two).
    with contextlib.redirect_stdout(io.StringIO()):
        status = study.main([str(study_file), "--set", "epochs=100", "--set", "frames=10", "--set", "n_samples=50",
                             "--set", "grid_points=50", "--output-dir", str(output), "--no-progress", "--jobs", "1"])
    return study_file, output, status


@pytest.fixture(scope="session")
def seeded_comparisons(tmp_path_factory):
    """`animate.py compare` (in process) of two seeded synthetic runs ("adam_2x10", 3 seeds, and
    "sgd_2x10", 5 seeds), and of the first beside a one-net run, labelled "Adam" and "one net"; all
    of 200 epochs and 12 frames at the same epochs. Returns a namespace: runs (name: the run as read
    back), folders ("seeded", "mixed": the comparisons' folders), and for each comparison the
    animations it drew (compare.gif's, then units.gif's)."""
    import comparisons
    from drawing.compare_frames import CompareAnimation
    from drawing.units_frames import CompareUnitsAnimation

    folder = tmp_path_factory.mktemp("seeded_comparisons")
    made = {"adam_2x10": synthetic_run(nets=3, epochs=200, frames=12, name="adam_2x10"),
            "sgd_2x10": synthetic_run(nets=5, epochs=200, frames=12, name="sgd_2x10", learning_rate=0.1),
            "one_net": synthetic_run(epochs=200, frames=12, name="one_net", learning_rate=0.05)}
    for name, run in made.items():
        rundir.write_run(folder / name, run)
    drawn = {}

    def recorder(kind):
        def record(*arguments, **options):
            drawn.setdefault(current, []).append(kind(*arguments, **options))
            return drawn[current][-1]
        return record

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(comparisons, "CompareAnimation", recorder(CompareAnimation))
        patch.setattr(comparisons, "CompareUnitsAnimation", recorder(CompareUnitsAnimation))
        for current, names, labels in (("seeded", ["adam_2x10", "sgd_2x10"], None),
                                       ("mixed", ["adam_2x10", "one_net"], ["Adam", "one net"])):
            comparisons.render_comparison([folder / name for name in names], folder / current, labels=labels)
    return SimpleNamespace(runs={name: rundir.read_run(folder / name) for name in made},
                           folders={name: folder / name for name in ("seeded", "mixed")}, animations=drawn)


# --- layout ------------------------------------------------------------------------------------------

# The note animate.py compare writes for a sine run beside one on data of its own (the CO2 record).
OWN_SCALES_NOTE = ("different data in each panel (file vs generated)  ·  own scales  ·  data · true sine (dotted) · "
                   "prediction (blue)")


def beside_the_sine(count: int = 2) -> list:
    """A sine run and, beside it, runs on data in other units: years on x, hundreds on y, their
    predictions approaching their truth with residuals 20 times the sine run's."""
    far = [synthetic_run(x_min=1990.0, x_max=2002.0, target=f"360 + {index + 5} * sin(x)", seed=index)
           for index in range(count - 1)]
    for run in far:
        residual = run.predictions - np.sin(run.x_grid).astype(np.float32)
        run.per_frame["prediction"] = (run.y_grid_true + 20 * residual).astype(np.float32)
    return [synthetic_run()] + far


def assert_texts_apart_and_inside(figure) -> None:
    """Every text of the figure (its own, the panels' labels and tick labels) inside it, none over
    another or over another panel."""
    def overlaps(a, b, touching: float = 0.5) -> bool:  # (texts set side by side touch, give or take rounding)
        return a.x0 < b.x1 - touching and b.x0 < a.x1 - touching and a.y0 < b.y1 - touching and b.y0 < a.y1 - touching

    renderer = figure.canvas.get_renderer()
    panels = [axes for axes in figure.axes if axes.get_visible()]
    boxes = [(text.get_text(), text.get_window_extent(renderer)) for text in figure.texts if text.get_text().strip()]
    for axes in panels:
        shown = [label for axis, coordinate in ((axes.xaxis, 0), (axes.yaxis, 1)) for label in axis.get_ticklabels()
                 if min(axis.get_view_interval()) <= label.get_position()[coordinate] <= max(axis.get_view_interval())]
        for label in [axes.xaxis.label, axes.yaxis.label] + shown:
            if label.get_visible() and label.get_text():
                boxes.append((label.get_text(), label.get_window_extent(renderer), axes))
    for index, (text, box, *owner) in enumerate(boxes):
        inside = figure.bbox
        assert inside.x0 <= box.x0 and box.x1 <= inside.x1 and inside.y0 <= box.y0 and box.y1 <= inside.y1, \
            f"{text!r} leaves the picture"
        for other, other_box, *_ in boxes[index + 1:]:
            assert not overlaps(box, other_box), f"{text!r} overlaps {other!r}"
        for axes in panels:
            if owner and axes is not owner[0]:
                assert not overlaps(box, axes.get_window_extent(renderer)), f"{text!r} lies over another panel"


# --- a real browser ---------------------------------------------------------------------------------

def pytest_collection_modifyitems(items):
    """A test that opens a browser is marked `browser`, so that a quick loop can leave it out
    (pytest -m "not browser and not notebook"). The `slow` tests, and so their files, come first:
    `make test` shares the files out between a process per core (pytest-xdist), and the longest
    started last would finish alone."""
    for item in items:
        if "browser" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.browser)
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)  # stable: the rest keep their order

@pytest.fixture(scope="session")
def browser():
    """Headless Chromium through Playwright: the one machine.py finds (`make test` gets one first,
    where it can). Without one the page tests fail, saying how to get one."""
    from machine import BrowserMissing, find_browser

    try:
        from playwright.sync_api import sync_playwright

        executable = find_browser()
    except ImportError:
        pytest.fail("Playwright is not installed: pip install -e '.[test]'")
    except BrowserMissing as error:
        pytest.fail(str(error))
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, headless=True)
        yield launched
        launched.close()


@pytest.fixture
def offline_page(browser):
    """A function opening a local file in a new browser page that may request nothing but files:
    returns (page, problems), where problems lists console errors, page errors, dialogs and
    every request to anything but a file."""
    contexts = []

    def open_page(path: Path, fragment: str = "", width: int = 1200, height: int = 800):
        context = browser.new_context(viewport={"width": width, "height": height})
        contexts.append(context)
        problems = []
        context.route("**/*", lambda route: route.continue_() if route.request.url.startswith("file:")
                      else (problems.append(f"request {route.request.url}"), route.abort()))
        page = context.new_page()
        page.on("console", lambda message: problems.append(f"console {message.text}") if message.type == "error"
                else None)
        page.on("pageerror", lambda error: problems.append(f"page error {error}"))
        page.on("dialog", lambda dialog: (problems.append(f"dialog {dialog.message}"), dialog.dismiss()))
        page.goto(path.resolve().as_uri() + fragment)
        page.wait_for_selector("body[data-ready=true]", timeout=15000)
        return page, problems

    yield open_page
    for context in contexts:
        context.close()


# --- a font for text in any script ------------------------------------------------------------------

@pytest.fixture(scope="session")
def cjk_font() -> str:
    """A font file of this machine with Japanese and Chinese characters (`make test` installs one
    first, as root on Debian). Without one the tests that need it fail, saying how to get one."""
    from machine import CJK_SAMPLE, HOW_TO_GET_A_FONT, fonts_with

    found = fonts_with(CJK_SAMPLE)
    if not found:
        pytest.fail(f"no font with Japanese and Chinese characters here: {HOW_TO_GET_A_FONT}")
    return found[0]
