"""quantities.py: what a recorded quantity is, said once. A new quantity is its declaration and its
computation: one per epoch and one per frame, added here, reach the recording (in the data's units
for a CSV run), the run directory (snapshots.npz, summary.json's quantities, history.csv), the
reader and the page's data, with no other change."""

import contextlib
import json
from types import SimpleNamespace

import numpy as np
import pytest

import config as config_module
import data
import engine
import loop_body
import models
import quantities
import rundir
import tensorflow as tf  # after engine, which imports it quietly
from conftest import synthetic_run
from drawing import page
from quantities import Quantity
from recording import Recording

STANDARDIZATION = data.Standardization(x_shift=1996.0, x_scale=3.5, y_shift=365.0, y_scale=4.0)


# --- the declarations ------------------------------------------------------------------------------

@pytest.mark.parametrize("unit, expected", [
    ("y", [365.0 - 4.0, 365.0, 365.0 + 2.0]),  # scaled and shifted
    ("y_part", [-4.0, 0.0, 2.0]),  # scaled only
    ("squared_error", [-16.0, 0.0, 8.0]),  # scaled twice
    ("none", [-1.0, 0.0, 0.5]),  # unchanged
])
def test_each_unit_kind_changes_back_to_the_datas_units_as_its_declaration_says(unit, expected):
    values = np.array([-1.0, 0.0, 0.5], np.float32)
    converted = quantities.in_data_units(values, Quantity("some", "frame", unit=unit), STANDARDIZATION)
    np.testing.assert_array_equal(converted, expected)
    assert converted.dtype == (np.float32 if unit == "none" else np.float64)  # float64: y of 1e9 keeps its digits


def test_an_undeclared_quantity_is_an_error_not_passed_through_unconverted():
    recording = Recording(frame_epochs=np.array([0]), per_frame={"mystery": np.zeros((1, 1), np.float32)},
                          per_epoch={"loss": np.zeros((0, 1), np.float32)})
    with pytest.raises(ValueError, match="frame.mystery is recorded but not declared"):
        recording.in_data_units(STANDARDIZATION)
    with pytest.raises(ValueError, match="frame.mystery is recorded but not declared"):
        quantities.declarations_of({}, recording.per_frame, quantities.sizes([10], 50))


def test_every_declaration_goes_to_json_and_back_with_the_runs_sizes():
    sizes = quantities.sizes([10, 7], 50)
    assert sizes == {"hidden_layers": 2, "units": 7, "grid_points": 50, "parameters": 2 * 10 + 11 * 7 + 8 * 1}
    for key, quantity in quantities.DECLARED.items():
        item = json.loads(json.dumps(quantities.to_json(quantity, sizes)))
        assert item["array"] == key == quantity.key
        assert quantities.from_json(item) == (quantity, {size: sizes[size] for size in quantity.shape})
    contributions = quantities.DECLARED["frame.unit_contributions"]
    assert contributions.array_shape(40, 3, sizes) == (40, 1, 7, 50)  # net 0's alone
    assert quantities.DECLARED["frame.saturated_fraction"].array_shape(40, 3, sizes) == (40, 3, 2)


@pytest.mark.parametrize("fields, message", [
    ({"name": "odd", "per": "epoch", "shape": ("units",)}, "a per-epoch quantity is one number for every net"),
    ({"name": "odd", "per": "frame", "unit": "metres"}, "unit must be one of y, y_part, squared_error, none"),
    ({"name": "odd", "per": "step"}, "per must be one of epoch, frame"),
    ({"name": "odd", "per": "frame", "weights": "later"}, "weights must be one of before_update"),
])
def test_a_declaration_that_says_something_impossible_is_refused(fields, message):
    with pytest.raises(ValueError, match=message):
        Quantity(**fields)


def test_a_computation_needs_a_declaration_of_its_kind():
    with pytest.raises(ValueError, match="epoch.nowhere is not a declared per-epoch quantity"):
        loop_body.epoch_quantity("epoch.nowhere")
    with pytest.raises(ValueError, match="frame.loss is not a declared per-epoch quantity"):
        loop_body.epoch_quantity("frame.loss")
    with pytest.raises(ValueError, match="is declared already"):
        quantities.declare(quantities.DECLARED["epoch.loss"])


# --- one quantity of each kind, end to end -------------------------------------------------------------

@contextlib.contextmanager
def restored_registries():
    """The declarations and the computations as they are, restored afterwards (whatever was added)."""
    kept = [(registry, dict(registry)) for registry in (quantities.DECLARED, loop_body.EPOCH_COMPUTATIONS,
                                                         loop_body.FRAME_COMPUTATIONS, loop_body.DESCRIBED_COMPUTATIONS)]
    try:
        yield
    finally:
        for registry, contents in kept:
            registry.clear()
            registry.update(contents)


@pytest.fixture
def registries():
    with restored_registries():
        yield


def add_two_quantities():
    """A y value per epoch, after the update, and a part of y per frame, described from its weights:
    each a declaration and a computation, as a later issue adds one."""
    quantities.declare(Quantity("output_bias", "epoch", unit="y", weights="after_update",
                                description="the output's bias after the epoch's update"))
    quantities.declare(Quantity("output_weights", "frame", ("units",), unit="y_part",
                                description="each last-layer unit's outgoing weight"))

    @loop_body.epoch_quantity("epoch.output_bias")
    def output_bias(body, epoch):
        return tf.concat([tf.reshape(part.get_layer("output").bias, [-1]) for part in models.parts_of(body.model)], 0)

    @loop_body.described_quantity("frame.output_weights")
    def output_weights(body, frame):
        return frame.layers[-1][0][:, :, 0]


def csv_run(tmp_path):
    """A CSV of years and ppm (trained standardized, recorded in the file's units), trained briefly."""
    x = np.linspace(1990, 2002, 80)
    path = tmp_path / "points.csv"
    np.savetxt(path, np.column_stack([x, 360 + 3 * np.sin(2 * np.pi * x) + 0.8 * (x - 1990)]), delimiter=",",
               header="year,ppm", comments="")
    config = config_module.validate({"name": "csv_run", "data_file": str(path), "epochs": 150, "frames": 15,
                                     "grid_points": 40, "hidden_layers": [6]})
    dataset = data.dataset_for(config)
    model, optimizer = models.model_and_optimizer(config)
    recording = engine.train_in_graph(model, optimizer, dataset, config.epochs,
                                      engine.frame_schedule(config.epochs, config.frames))
    return config, dataset, model, recording


def test_a_new_quantity_of_each_kind_reaches_the_run_directory_the_reader_and_the_page(tmp_path, registries):
    add_two_quantities()
    config, dataset, model, recording = csv_run(tmp_path)
    scale = dataset.standardization
    frames = len(recording.frame_epochs)

    # In the recording, in the data's units: worked out here from the final (standardized) weights.
    bias = recording.per_epoch["output_bias"]
    weights = recording.per_frame["output_weights"]
    assert bias.shape == (150, 1) and weights.shape == (frames, 1, 6)
    final_kernel, final_bias = (variable.numpy().astype(np.float64) for variable in model.get_layer("output").weights)
    assert bias[-1, 0] == pytest.approx(final_bias[0] * scale.y_scale + scale.y_shift, rel=1e-12)
    np.testing.assert_allclose(weights[-1, 0], final_kernel[:, 0] * scale.y_scale, rtol=1e-12)
    assert abs(bias[-1, 0] - scale.y_shift) < 10 < scale.y_shift, "a bias in ppm, around the data's mean"
    # The output bias after the frame's epoch is what LoopBody describes at that frame.
    np.testing.assert_array_equal(bias[recording.frame_epochs[1:] - 1], recording.per_frame["output_bias"][1:])

    # In the run directory: snapshots.npz, summary.json's declarations, and history.csv.
    run_dir = tmp_path / "run"
    rundir.write_run(run_dir, rundir.new_run(config, dataset, recording, models.parameter_counts(model)))
    with np.load(run_dir / rundir.ARRAYS_FILE) as arrays:
        np.testing.assert_array_equal(arrays["epoch.output_bias"], bias)
        np.testing.assert_array_equal(arrays["frame.output_weights"], weights)
    summary = json.loads((run_dir / rundir.SUMMARY_FILE).read_text())
    assert summary["format"] == rundir.FORMAT == 3
    stored = {item["array"]: item for item in summary["quantities"]}
    assert set(stored) == {f"epoch.{name}" for name in recording.per_epoch} | {f"frame.{name}" for name in
                                                                               recording.per_frame}
    assert stored["epoch.output_bias"] == {
        "array": "epoch.output_bias", "name": "output_bias", "per": "epoch", "shape": [], "unit": "y",
        "first_net_only": False, "weights": "after_update", "description": "the output's bias after the epoch's update",
        "sizes": {}}
    assert stored["frame.output_weights"]["shape"] == ["units"] and stored["frame.output_weights"]["sizes"] == {"units": 6}
    assert stored["frame.unit_contributions"]["sizes"] == {"units": 6, "grid_points": 40}
    history = np.genfromtxt(run_dir / rundir.HISTORY_FILE, delimiter=",", names=True)
    assert history.dtype.names == ("epoch", "loss", "val_loss", "grad_norm", "output_bias")
    np.testing.assert_allclose(history["output_bias"], bias[:, 0], rtol=1e-8)

    # The reader reads them back, checked against their declarations.
    run = rundir.read_run(run_dir)
    np.testing.assert_array_equal(run.per_epoch["output_bias"], bias)
    np.testing.assert_array_equal(run.per_frame["output_weights"], weights)
    spoilt = json.loads((run_dir / rundir.SUMMARY_FILE).read_text())
    next(item for item in spoilt["quantities"] if item["array"] == "frame.output_weights")["shape"] = []
    (run_dir / rundir.SUMMARY_FILE).write_text(json.dumps(spoilt))
    with pytest.raises(rundir.RunError, match=r"frame.output_weights has shape \(\d+, 1, 6\), expected \(\d+, 1\)"):
        rundir.read_run(run_dir)

    # The page's data has every per-epoch quantity, at the epochs of the weights it describes.
    on_page = page.one_run_data(run, with_units=False)["epoch_quantities"]
    assert set(on_page) == {"epoch.loss", "epoch.val_loss", "epoch.grad_norm", "epoch.output_bias"}
    added = on_page["epoch.output_bias"]
    assert added["unit"] == "y" and added["epochs"][:3] == [1, 2, 3]  # after epoch e's update: the weights after e
    np.testing.assert_allclose(added["values"], bias[np.array(added["epochs"]) - 1, 0], rtol=1e-4)
    assert on_page["epoch.loss"]["epochs"][:3] == [0, 1, 2]  # before the update: the weights after e - 1


def test_what_a_test_adds_is_gone_after_it():
    with restored_registries():
        add_two_quantities()
        assert "epoch.output_bias" in quantities.DECLARED and "frame.output_weights" in loop_body.DESCRIBED_COMPUTATIONS
    assert "epoch.output_bias" not in quantities.DECLARED and "epoch.output_bias" not in loop_body.EPOCH_COMPUTATIONS
    assert "frame.output_weights" not in quantities.DECLARED
    assert "frame.output_weights" not in loop_body.DESCRIBED_COMPUTATIONS


def test_a_run_of_a_quantity_nobody_declared_is_not_written():
    recording = SimpleNamespace(frame_epochs=np.array([0]), status="completed", train_seconds=0.0,
                                epochs_completed=0, diverged_at_epoch=[None], stopped_at_epoch=[], best_epoch=[],
                                restored_best_weights=False,
                                per_frame={"prediction": np.zeros((1, 1, 50), np.float32),
                                           "loss": np.zeros((1, 1), np.float32),
                                           "mystery": np.zeros((1, 1), np.float32)},
                                per_epoch={"loss": np.zeros((0, 1), np.float32),
                                           "val_loss": np.zeros((0, 1), np.float32)})
    config = config_module.validate({"name": "mystery", "grid_points": 50, "n_samples": 20})
    with pytest.raises(ValueError, match="frame.mystery is recorded but not declared"):
        rundir.new_run(config, data.dataset_for(config), recording, {"keras": 141, "weights_only": 120})


def test_a_run_is_read_by_the_declarations_it_stores_even_of_quantities_this_version_lacks(tmp_path):
    """A later version's quantity (declared there, not here) is read and checked by its stored declaration."""
    run = synthetic_run(nets=2)
    with restored_registries():
        quantities.declare(Quantity("output_weights", "frame", ("units",), unit="y_part", first_net_only=True))
        run.per_frame["output_weights"] = np.ones((len(run.frame_epochs), 1, 10), np.float32)
        run.summary.quantities = quantities.declarations_of(run.per_epoch, run.per_frame,
                                                               quantities.sizes(run.config.hidden_layers, 50))
        rundir.write_run(tmp_path / "run", run)
    assert "frame.output_weights" not in quantities.DECLARED
    np.testing.assert_array_equal(rundir.read_run(tmp_path / "run").per_frame["output_weights"],
                                  run.per_frame["output_weights"])
    with np.load(tmp_path / "run" / rundir.ARRAYS_FILE) as stored:
        arrays = {name: stored[name] for name in stored.files}
    arrays["frame.output_weights"] = np.ones((len(run.frame_epochs), 2, 10), np.float32)  # every net's
    np.savez(tmp_path / "run" / rundir.ARRAYS_FILE, **arrays)
    with pytest.raises(rundir.RunError, match=r"frame.output_weights has shape \(40, 2, 10\), expected \(40, 1, 10\)"):
        rundir.read_run(tmp_path / "run")
