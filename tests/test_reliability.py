"""Bad input, divergence, interruption and reruns: each ends in a clear message and loses nothing."""

import json
import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import config as config_module
import train
from config import ConfigError, ExperimentConfig, validate

ROOT = Path(__file__).resolve().parent.parent


def run_train(*arguments, cwd=ROOT, **options):
    return subprocess.run(
        [sys.executable, str(ROOT / "train.py"), *arguments], cwd=cwd, capture_output=True, text=True,
        timeout=600, **options,
    )


# --- bad configs: never anything but a ConfigError, and it names the key ------------------------

yaml_values = st.recursive(
    st.none() | st.booleans() | st.integers(-10**6, 10**6) | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=8),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=6), children, max_size=3),
    max_leaves=6,
)
known_keys = st.sampled_from(sorted(ExperimentConfig.model_fields) + ["render.fps", "render.width_pixels"])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(known_keys | st.text(max_size=10), yaml_values, max_size=5))
def test_any_mapping_is_either_a_config_or_a_config_error(raw):
    nested = config_module.apply_overrides({}, [])
    for key, value in raw.items():
        target = nested
        *parents, last = key.split(".") if key else [""]
        for part in parents:
            target = target.setdefault(part, {}) if isinstance(target.get(part, {}), dict) else {}
        target[last] = value
    try:
        config = validate(nested, source="generated.yaml")
    except ConfigError as error:
        lines = str(error).splitlines()
        assert lines and all(line.startswith("generated.yaml: ") for line in lines)
        assert "Traceback" not in str(error)
    else:
        assert config.epochs > 0 and config.x_min < config.x_max
        assert all(math.isfinite(value) for value in (config.learning_rate, config.noise_std, config.x_min))


positive_keys = ["epochs", "n_samples", "learning_rate"]


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(positive_keys), st.one_of(st.integers(-1000, 0), st.floats(-1e6, 0.0)))
def test_zero_or_negative_counts_and_rates_are_refused(key, value):
    if key != "learning_rate":
        value = int(value)
    with pytest.raises(ConfigError, match=key):
        validate({key: value})


@pytest.mark.parametrize(
    "raw, key",
    [
        ({"learning_rate": math.nan}, "learning_rate"),
        ({"noise_std": math.inf}, "noise_std"),
        ({"x_max": -math.inf}, "x_max"),
        ({"optimizer_options": {"momentum": math.nan}}, "optimizer_options.momentum"),
        ({"render": {"fps": math.inf}}, "render.fps"),
        ({"epochs": math.inf}, "epochs"),
    ],
)
def test_nan_and_infinity_are_refused_anywhere(raw, key):
    with pytest.raises(ConfigError, match=key.replace(".", r"\.")):
        validate(raw)


@pytest.mark.parametrize(
    "raw, key",
    [
        ({"grid_points": 0}, "grid_points"), ({"frames": 1}, "frames"), ({"hidden_layers": [-3]}, "hidden_layers"),
        ({"render": {"width_pixels": 0}}, "render.width_pixels"), ({"seed": -1}, "seed"),
        ({"noise_std": -0.5}, "noise_std"), ({"hidden_layers": [10, 2.5]}, "hidden_layers.1"),
        ({"hidden_layers": 60}, "hidden_layers"), ({"name": "a/b"}, "name"), ({"epochs": True}, "epochs"),
        ({"seed": 2**32}, "seed"), ({"render": {"fps": 0.001}}, "render.fps"), ({"noise_std": 1e200}, "noise_std"),
        ({"x_min": -1e308}, "x_min"),
    ],
)
def test_out_of_range_and_wrong_types_name_the_key(raw, key):
    with pytest.raises(ConfigError, match=f": {key.replace('.', '[.]')}: "):
        validate(raw)


def test_yaml_spellings_of_nan_and_infinity_are_refused(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("learning_rate: .nan\nnoise_std: .inf\n")
    with pytest.raises(ConfigError) as error:
        config_module.load_config(path)
    assert "learning_rate" in str(error.value) and "noise_std" in str(error.value)


def test_several_mistakes_are_all_reported():
    with pytest.raises(ConfigError) as error:
        validate({"epochs": 0, "optimizer": "adamm", "hidden_layer": [3]}, source="f.yaml")
    lines = str(error.value).splitlines()
    assert len(lines) == 3
    assert any("hidden_layer' (did you mean 'hidden_layers'?)" in line for line in lines)


# --- bad input at the command line: exit 2, one plain line, before TensorFlow, nothing written ---

BAD_FILES = {
    "empty.yaml": ("", "is empty"),
    "broken.yaml": ("epochs: [1, 2\n", "is not valid YAML"),
    "list.yaml": ("- epochs\n", "the top level must be a mapping"),
    "typo.yaml": ("epoch: 10\n", "unknown key 'epoch' (did you mean 'epochs'?)"),
    "type.yaml": ("epochs: many\n", "epochs: Input should be a valid integer"),
    "layers.yaml": ('hidden_layers: "60"\n', "hidden_layers: Input should be a valid list"),
    "range.yaml": ("x_min: 5\nx_max: 1\n", "x_min (5.0) must be less than x_max (1.0)"),
    "optimizer.yaml": ("optimizer: adamw2\n", "unknown optimizer 'adamw2'"),
    "activation.yaml": ("activation: sigmod\n", "unknown activation 'sigmod'"),
}


def _main_in_fresh_interpreter(arguments, cwd):
    """Run train.main in a new interpreter; report its status, stderr and whether TF was imported."""
    code = (
        "import sys, json, train\n"
        "status = train.main(json.loads(sys.argv[1]))\n"
        "print('TF_IMPORTED' if 'tensorflow' in sys.modules else 'TF_NOT_IMPORTED')\n"
        "sys.exit(status)\n"
    )
    return subprocess.run(
        [sys.executable, "-c", code, json.dumps(arguments)], cwd=cwd, capture_output=True, text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=120,
    )


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_a_bad_file_is_exit_2_a_plain_line_no_tensorflow_and_no_output(tmp_path, name):
    text, expected = BAD_FILES[name]
    (tmp_path / name).write_text(text)
    result = _main_in_fresh_interpreter(["--config", name], cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith(f"error: {name}: ") and expected in result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.splitlines()) <= 3
    assert "TF_NOT_IMPORTED" in result.stdout
    assert sorted(path.name for path in tmp_path.iterdir()) == [name], "nothing new, no output/"


@pytest.mark.parametrize(
    "arguments, expected",
    [
        (["--config", "missing.yaml"], "missing.yaml: no such file"),
        (["--config", "."], ".: is a directory"),
        (["--config", str(ROOT / "experiments/adam_2x10.yaml"), "--set", "epochs=-5"], "epochs: Input should be greater than 0"),
        (["--config", str(ROOT / "experiments/adam_2x10.yaml"), "--set", "render.fsp=5"], "unknown key 'render.fsp' (did you mean 'render.fps'?)"),
        (["--config", str(ROOT / "experiments/adam_2x10.yaml"), "--set", "learning_rate"], "expected key=value"),
        (["--config", str(ROOT / "experiments/adam_2x10.yaml"), "--set", "hidden_layers=[10, 1.5]"], "hidden_layers.1"),
        (["--config", str(ROOT / "experiments/adam_2x10.yaml"), "--seeds", "2", "--set", "seeds=5"],
         "--seeds 2 and --set seeds=5 disagree"),
        (["--config", str(ROOT / "experiments/adam_2x10.yaml"), "--seeds", "0"], "--seeds 0: seeds: "),
    ],
)
def test_bad_arguments_are_exit_2_and_write_nothing(tmp_path, arguments, expected):
    result = _main_in_fresh_interpreter(arguments, cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert expected in result.stderr and "Traceback" not in result.stderr
    assert "TF_NOT_IMPORTED" in result.stdout
    assert list(tmp_path.iterdir()) == []


def test_an_unwritable_output_folder_is_reported_before_training(tmp_path):
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    arguments = ["--config", str(ROOT / "experiments/adam_2x10.yaml")]
    result = _main_in_fresh_interpreter(arguments + ["--output-dir", str(blocker / "run")], cwd=tmp_path)
    assert result.returncode == 2 and "cannot write to" in result.stderr and "--output-dir" in result.stderr
    assert "TF_NOT_IMPORTED" in result.stdout
    result = _main_in_fresh_interpreter(arguments + ["--output-dir", str(blocker)], cwd=tmp_path)
    assert result.returncode == 2 and "exists and is not a folder" in result.stderr
    assert blocker.read_text() == "not a folder"


def test_an_optimizer_option_the_optimizer_does_not_take_is_a_plain_error(tmp_path):
    result = run_train("--config", "experiments/adam_2x10.yaml", "--set", "optimizer_options.momentum=0.9",
                       "--output-dir", str(tmp_path / "run"))
    assert result.returncode == 2
    assert "does not accept options" in result.stderr and "Traceback" not in result.stderr
    assert list(tmp_path.iterdir()) == []


# --- divergence ------------------------------------------------------------------------------

def test_a_diverging_run_stops_at_the_first_non_finite_loss_and_is_written(tmp_path):
    config = config_module.load_config(ROOT / "experiments" / "sgd_2x10_diverging.yaml")
    run_dir = tmp_path / "diverging"
    summary = train.train_and_write(config, run_dir, progress=False).summary
    assert summary["status"] == "diverged" and summary["loss"] is None
    diverged = summary["diverged_at_epoch"]
    assert 1 < diverged < config.epochs and summary["epochs"] == diverged
    with np.load(run_dir / "snapshots.npz") as snapshots:
        loss = snapshots["loss"]
        assert len(loss) == diverged and not np.isfinite(loss[-1]) and np.all(np.isfinite(loss[:-1]))
        assert snapshots["epochs"][-1] == diverged - 1  # the last frame: the weights that blew up
    written = json.loads((run_dir / "summary.json").read_text())  # strict JSON: no NaN or Infinity
    assert written["status"] == "diverged" and written["diverged_at_epoch"] == diverged
    history = (run_dir / "history.csv").read_text().splitlines()
    assert len(history) == diverged + 1 and history[-1].startswith(f"{diverged},")
    for name in train.RUN_FILES:
        assert (run_dir / name).is_file()

    import animate

    run = animate.load_run(run_dir)
    assert run.status_caption().startswith(f"diverged at epoch {diverged}")
    animation = animate.FitAnimation(run)
    last = len(run.frame_epochs) - 1
    before = animation.frame(last - 1)[..., :3].copy()
    ending = animation.frame(last)[..., :3]
    assert animation.ending.get_text() == run.status_caption()
    assert np.sum(np.all(ending == [214, 39, 40], axis=-1)) > np.sum(np.all(before == [214, 39, 40], axis=-1)) + 200
    labels = [line.get_label() for line in animation.figure.axes[1].get_lines()]
    assert f"diverged at epoch {diverged}" in labels


def test_the_diverging_example_exits_0_with_a_one_line_warning(tmp_path):
    result = run_train("--config", "experiments/sgd_2x10_diverging.yaml", "--output-dir", str(tmp_path / "run"),
                       "--no-progress")
    assert result.returncode == 0
    warnings = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(warnings) == 1 and warnings[0].startswith("warning: sgd_2x10_diverging diverged at epoch")


# --- interruption ----------------------------------------------------------------------------

def test_ctrl_c_stops_writes_the_run_so_far_and_exits_130(tmp_path):
    run_dir = tmp_path / "long"
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "train.py"), "--config", "experiments/sgd_1x60.yaml", "--set", "epochs=5000000",
         "--output-dir", str(run_dir)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    # Wait for the progress bar to show trained epochs, then press Ctrl-C.
    seen = ""
    deadline = time.monotonic() + 120
    while "loss=" not in seen and time.monotonic() < deadline:
        seen += process.stderr.read(1)
    assert "loss=" in seen, seen
    pressed = time.monotonic()
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=120)
    assert process.returncode == 130, stderr
    assert "interrupted at epoch" in stderr and "Traceback" not in stderr
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["status"] == "interrupted" and 0 < summary["epochs"] < 5_000_000
    with np.load(run_dir / "snapshots.npz") as snapshots:
        assert len(snapshots["loss"]) == summary["epochs"]
        assert snapshots["epochs"][-1] == summary["epochs"]  # the last frame is where it stopped
    for name in train.RUN_FILES:
        assert (run_dir / name).is_file()
    assert time.monotonic() - pressed < 60  # stopping itself takes well under a second; the rest is writing


def test_the_first_ctrl_c_asks_to_stop_and_the_second_abandons():
    stop = train.StopRequest()
    assert not stop()
    stop._handle(signal.SIGINT, None)
    assert stop()
    with pytest.raises(KeyboardInterrupt):
        stop._handle(signal.SIGINT, None)


def test_a_stop_request_ends_training_with_the_run_so_far(small_config, tmp_path):
    from test_safety import StopAfterChunks

    config = small_config.model_copy(update={"epochs": 100_000})
    outcome = train.train_and_write(config, tmp_path / "run", progress=False, render=False, stop=StopAfterChunks(1))
    summary = outcome.summary
    assert outcome.run_dir == tmp_path / "run"
    assert summary["status"] == "interrupted" and 0 < summary["epochs"] < 100_000
    with np.load(tmp_path / "run" / "snapshots.npz") as snapshots:
        assert snapshots["epochs"][-1] == summary["epochs"]


def test_an_interruption_while_writing_leaves_the_old_run_intact(small_config, tmp_path, monkeypatch):
    import animate

    run_dir = tmp_path / "run"
    train.train_and_write(small_config, run_dir, progress=False)
    before = {path.name: path.read_bytes() for path in run_dir.iterdir()}

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(animate, "render_run", interrupted)
    with pytest.raises(KeyboardInterrupt):
        train.train_and_write(small_config.model_copy(update={"epochs": 50}), run_dir, progress=False)
    assert {path.name: path.read_bytes() for path in run_dir.iterdir()} == before
    assert sorted(path.name for path in tmp_path.iterdir()) == ["run"], "no partial folders left behind"


def test_every_picture_is_written_under_a_temporary_name_first(tmp_path, monkeypatch):
    from test_animate import synthetic_run

    import animate

    run_dir = synthetic_run(tmp_path / "run")
    animate.render_run(run_dir)
    good = (run_dir / "fit.gif").read_bytes()

    def broken_png(run, path):
        Path(path).write_bytes(b"half a pic")
        raise KeyboardInterrupt

    monkeypatch.setattr(animate, "draw_loss_png", broken_png)
    with pytest.raises(KeyboardInterrupt):
        animate.render_run(run_dir)
    assert not any(path.name.startswith(".") for path in run_dir.iterdir())
    assert (run_dir / "loss.png").read_bytes().startswith(b"\x89PNG")
    assert (run_dir / "fit.gif").read_bytes() != b"" and good[:6] == b"GIF89a"


# --- reproducibility and long runs -----------------------------------------------------------

def test_two_processes_with_the_same_config_and_seed_write_bit_identical_arrays(tmp_path):
    arrays = []
    for attempt in range(2):
        run_dir = tmp_path / f"run{attempt}"
        result = run_train("--config", "experiments/sgd_2x10.yaml", "--set", "epochs=1500", "--set", "frames=50",
                           "--output-dir", str(run_dir), "--no-progress")
        assert result.returncode == 0, result.stderr
        with np.load(run_dir / "snapshots.npz") as snapshots:
            arrays.append({key: snapshots[key] for key in snapshots.files})
    for key in arrays[0]:
        np.testing.assert_array_equal(arrays[0][key], arrays[1][key], err_msg=key)


@pytest.mark.slow
def test_long_runs_keep_memory_bounded(tmp_path):
    """400,000 epochs of the 1x60 net: from 100,000 epochs on, memory grows by the loss history
    (16 bytes an epoch) and nothing else; the frames stay about 200 however long the run."""
    code = r"""
import resource, sys, numpy as np
sys.path.insert(0, sys.argv[1])
import config, data, models, train

def resident_bytes():
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * resource.getpagesize()

cfg = config.load_config(sys.argv[1] + "/experiments/sgd_1x60.yaml", ["epochs=400000"])
dataset = data.dataset_for(cfg)
model, optimizer = models.model_and_optimizer(cfg)
samples = []
recording = train.train_in_graph(model, optimizer, dataset, cfg.epochs, train.frame_schedule(cfg.epochs, cfg.frames),
                                 on_chunk=lambda done, loss: samples.append((done, resident_bytes())))
assert recording.status == "completed" and len(recording.loss) == 400000
early = next(rss for done, rss in samples if done >= 100000)
print(samples[-1][1] - early, len(recording.frame_epochs))
"""
    result = subprocess.run([sys.executable, "-c", code, str(ROOT)], capture_output=True, text=True, timeout=1800)
    assert result.returncode == 0, result.stderr
    growth, frames = (int(value) for value in result.stdout.split())
    history_bytes = 2 * 8 * 300_000  # loss and val_loss, float64, of the last 300,000 epochs
    # Anything more kept per epoch would show: a prediction on the 200-point grid (800 bytes) would
    # add 230 MiB. (Measured: 4.8 to 6.8 MB, the history and a little allocator noise.)
    assert growth < history_bytes + 16 * 2**20, f"resident memory grew by {growth / 2**20:.1f} MiB"
    assert frames <= 260
