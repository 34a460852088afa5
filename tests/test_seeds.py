"""Many seeds in one run: each net as if trained alone, nets independent, and the study outputs."""

import json
import os
from pathlib import Path

import numpy as np
import pytest

import config as config_module
import data
import models
import study
import train
from config import ConfigError

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def seeds_config(small_config):
    return small_config.model_copy(update={"seeds": 3, "seed": 5, "data_seed": 0, "epochs": 300})


def _train(config, parts=None, poisoned_members=()):
    """Train config's net(s); a stack split into `parts` (by default one per core), with the
    first-layer weights of `poisoned_members` set to NaN."""
    dataset = data.dataset_for(config)
    model, optimizer = models.model_and_optimizer(config)
    if parts is not None:
        model = models.build_stacked_mlp(config.hidden_layers, config.activation, config.member_seeds, parts=parts)
    for member in poisoned_members:
        member_parts = models.parts_of(model)
        while member >= member_parts[0].members:
            member -= member_parts.pop(0).members
        kernel = member_parts[0].get_layer("hidden_1").kernel
        poisoned = kernel.numpy()
        poisoned[member] = np.nan
        kernel.assign(poisoned)
    frame_epochs = train.frame_schedule(config.epochs, config.frames)
    return model, train.train_in_graph(model, optimizer, dataset, config.epochs, frame_epochs)


def test_each_member_starts_from_the_weights_of_a_single_net_with_its_seed():
    stack = models.build_stacked_mlp([10, 10], "sigmoid", [3, 4, 5])
    for member, seed in enumerate([3, 4, 5]):
        single = models.build_mlp([10, 10], "sigmoid", seed=seed).get_weights()
        stacked = [weights[member] for weights in stack.get_weights()]
        for ours, theirs in zip(stacked, single):
            np.testing.assert_array_equal(ours, theirs)


def test_a_stack_is_split_into_parts_with_the_same_nets_in_order():
    whole = models.build_stacked_mlp([10, 10], "sigmoid", [3, 4, 5])
    split = models.build_stacked_mlp([10, 10], "sigmoid", [3, 4, 5], parts=2)
    assert [part.members for part in models.parts_of(split)] == [2, 1] and models.parts_of(whole) == [whole]
    assert split.members == whole.members == 3
    x = np.linspace(-3, 3, 50, dtype=np.float32)[:, None]
    np.testing.assert_allclose(split(x).numpy(), whole(x).numpy(), rtol=1e-6, atol=1e-6)
    assert models.parameter_counts(split) == models.parameter_counts(whole) == {"keras": 141, "weights_only": 120}
    with pytest.raises(ValueError, match="cannot split 3 nets into 4 parts"):
        models.build_stacked_mlp([10, 10], "sigmoid", [3, 4, 5], parts=4)
    # One part per CPU core this process may use, and never more parts than nets.
    assert models.stack_parts(100) == min(100, len(os.sched_getaffinity(0))) and models.stack_parts(1) == 1


# Adam with parts=2 also shows that each part has an optimizer of its own: a shared one would
# count every epoch twice, and Adam's bias correction would be wrong.
@pytest.mark.parametrize("optimizer,parts", [("adam", 1), ("adam", 2), ("sgd", 3)])
def test_member_k_matches_a_separate_single_run_with_seed_k(seeds_config, optimizer, parts):
    config = seeds_config.model_copy(update={"optimizer": optimizer})  # the post's learning rate, 0.01
    _, stacked = _train(config, parts=parts)
    assert stacked.loss.shape == (300, 3) and stacked.predictions.shape[1:] == (3, config.grid_points)
    for member, seed in enumerate(config.member_seeds):
        _, single = _train(config.model_copy(update={"seeds": 1, "seed": seed}))
        np.testing.assert_allclose(stacked.predictions[-1, member], single.predictions[-1], atol=1e-4)
        np.testing.assert_allclose(stacked.loss[:, member], single.loss, rtol=1e-4)
        np.testing.assert_allclose(stacked.val_loss[:, member], single.val_loss, rtol=1e-4)
    assert not np.allclose(stacked.predictions[-1, 0], stacked.predictions[-1, 1], atol=1e-3)


def test_a_member_going_nan_does_not_touch_the_others_and_is_reported(seeds_config):
    _, clean = _train(seeds_config, parts=2)
    model, recording = _train(seeds_config, parts=2, poisoned_members=[1])
    assert recording.status == "completed" and recording.epochs_completed == seeds_config.epochs
    assert recording.extra["diverged_at_epoch"] == [None, 1, None]
    for member in (0, 2):
        np.testing.assert_array_equal(recording.loss[:, member], clean.loss[:, member])
        np.testing.assert_array_equal(recording.predictions[:, member], clean.predictions[:, member])
    summary = train.summarize(seeds_config, recording, models.parameter_counts(model))
    assert summary["members_diverged"] == [6]
    assert [member["diverged_at_epoch"] for member in summary["members"]] == [None, 1, None]
    assert summary["members"][1]["loss"] is None and summary["loss"] is not None


def test_a_part_whose_nets_all_diverge_stops_while_the_others_train_on(seeds_config):
    _, clean = _train(seeds_config, parts=2)
    _, recording = _train(seeds_config, parts=2, poisoned_members=[2])  # the second part's only net
    assert recording.status == "completed" and recording.extra["diverged_at_epoch"] == [None, None, 1]
    assert np.isnan(recording.loss[:, 2]).all() and np.isnan(recording.val_loss[:, 2]).all()
    assert np.isnan(recording.predictions[1:, 2]).all()
    np.testing.assert_array_equal(recording.loss[:, :2], clean.loss[:, :2])
    np.testing.assert_array_equal(recording.predictions[:, :2], clean.predictions[:, :2])


@pytest.mark.parametrize("parts", [1, 2])
def test_a_stack_stops_when_every_net_has_diverged(seeds_config, parts):
    _, recording = _train(seeds_config, parts=parts, poisoned_members=[0, 1, 2])
    assert recording.status == "diverged" and recording.extra["diverged_at_epoch"] == [1, 1, 1]
    assert recording.loss.shape == recording.val_loss.shape == (1, 3)
    assert np.isnan(recording.val_loss).all() and list(recording.frame_epochs) == [0]


def test_a_seeded_run_directory(seeds_config, tmp_path):
    run_dir = tmp_path / "seeds"
    summary = train.train_and_write(seeds_config, run_dir, progress=False).summary
    for name in train.SEEDS_RUN_FILES:
        assert (run_dir / name).is_file(), name
    assert not (run_dir / "fit.gif").exists()
    assert summary["seeds"] == 3 and [member["seed"] for member in summary["members"]] == [5, 6, 7]
    assert 0 <= summary["share_at_noise_floor"] <= 1
    assert summary["parameters"] == {"keras": 141, "weights_only": 120}
    written = json.loads((run_dir / "summary.json").read_text())
    assert written["members"][0]["val_loss"] == pytest.approx(summary["members"][0]["val_loss"])
    with np.load(run_dir / "snapshots.npz") as snapshots:
        assert snapshots["predictions"].shape == (len(snapshots["epochs"]), 3, seeds_config.grid_points)
        assert snapshots["loss"].shape == snapshots["val_loss"].shape == (300, 3)
        np.testing.assert_array_equal(snapshots["member_seeds"], [5, 6, 7])
    header = (run_dir / "history.csv").read_text().splitlines()[0]
    assert header == "epoch,loss,val_loss,loss_p10,loss_p90"

    import animate
    import imageio.v3 as iio

    frames = iio.imread(run_dir / "seeds.gif", index=None, mode="RGB")
    run = animate.load_run(run_dir)
    assert run.members == 3 and len(frames) == len(run.frame_epochs)
    animation = animate.SeedsAnimation(run)
    assert animation.loss_label == "median training MSE "
    assert animation.frame_loss(len(run.frame_epochs) - 1) == pytest.approx(np.median(run.frame_loss[-1]))


def test_seeds_are_validated():
    with pytest.raises(ConfigError, match="seeds: Input should be greater than or equal to 1"):
        config_module.validate({"seeds": 0})
    with pytest.raises(ConfigError, match="clipnorm would couple the 4 seeds"):
        config_module.validate({"seeds": 4, "optimizer_options": {"clipnorm": 1.0}})
    assert config_module.validate({"seeds": 1, "optimizer_options": {"clipnorm": 1.0}}).seeds == 1


def test_the_seeds_flag_is_the_seeds_key(tmp_path, monkeypatch):
    captured = {}
    def fake_train_and_write(config, run_dir, **options):
        captured["c"] = config
        return train.Outcome({"status": "completed"}, run_dir)

    monkeypatch.setattr(train, "train_and_write", fake_train_and_write)
    monkeypatch.setattr(train, "describe_summary", lambda summary, run_dir: "")
    train.main(["--config", str(ROOT / "experiments/adam_2x10.yaml"), "--seeds", "7", "--output-dir", str(tmp_path)])
    assert captured["c"].seeds == 7 and captured["c"].member_seeds == list(range(7))


def test_a_study_on_a_shrunk_config_writes_its_figure_and_table(tmp_path):
    study_file = tmp_path / "mini_study.yaml"
    study_file.write_text(
        f"seeds: 3\nexperiments:\n  - {ROOT / 'experiments/sgd_2x10.yaml'}\n  - {ROOT / 'experiments/adam_2x10.yaml'}\n"
    )
    settings, experiments = study.load_study(study_file, ["epochs=150", "frames=20", "n_samples=50"])
    assert settings.name == "mini_study" and [e.seeds for e in experiments] == [3, 3]
    output = tmp_path / "out"
    summaries = study.run_study(settings, experiments, output, progress=False)
    assert [summary["name"] for summary in summaries] == ["sgd_2x10", "adam_2x10"]
    table = (output / "table.md").read_text().splitlines()
    assert table[0].startswith("| experiment | seeds | median final held-out MSE")
    assert table[2].startswith("| sgd_2x10 | 3 |") and table[3].startswith("| adam_2x10 | 3 |")
    rows = json.loads((output / "summary.json").read_text())["rows"]
    errors = study.final_errors(summaries[1])
    assert rows[1]["median"] == pytest.approx(float(np.median(errors)))
    assert rows[1]["p10"] <= rows[1]["median"] <= rows[1]["p90"]
    assert (output / "final_error.png").read_bytes().startswith(b"\x89PNG")
    for name in ("sgd_2x10", "adam_2x10"):
        assert (output / "runs" / name / "seeds.gif").is_file()
    assert sorted(path.name for path in tmp_path.iterdir()) == ["mini_study.yaml", "out"]


def test_set_seeds_overrides_the_study_files_number(tmp_path):
    (tmp_path / "one.yaml").write_text("epochs: 10\n")
    (tmp_path / "two.yaml").write_text("epochs: 10\nname: other\n")
    study_file = tmp_path / "quick.yaml"
    study_file.write_text("seeds: 50\nexperiments: [one.yaml, two.yaml]\n")
    settings, experiments = study.load_study(study_file, ["seeds=2"])
    assert settings.seeds == 2 and [experiment.seeds for experiment in experiments] == [2, 2]
    with pytest.raises(ConfigError, match=r"^--set name=x: the study's experiments must have different names"):
        study.load_study(study_file, ["name=x"])


def test_a_bad_study_file_is_a_plain_error(tmp_path):
    study_file = tmp_path / "bad.yaml"
    study_file.write_text("seeds: 3\nexperiment: [a.yaml]\n")
    with pytest.raises(ConfigError, match="unknown key 'experiment'"):
        study.load_study(study_file)
    study_file.write_text("seeds: 3\nexperiments: [missing.yaml]\n")
    with pytest.raises(ConfigError, match="missing.yaml: no such file"):
        study.load_study(study_file)

