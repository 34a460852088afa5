"""Seconds to work out the curvature and the landscape of the post's 1x60 net over 201 frames,
against the plain way, measured in the same run.

    python benchmarks/bench_curvature.py [--frames 201] [--plain-frames 10] [--repeats 3]
    python benchmarks/bench_curvature.py --train [--rounds 3]

With --train: the wall time of `python train.py` for the post's 1x60 runs (sgd and adam) with
record.curvature net0 (the default: curvature.npz, curvature.png, landscape.gif and the page's
panels) over the same command with record.curvature none, rounds alternating, the best of each
kept. Target: at most 1.5x.

Ours: curvature.eigenvalues (every Hessian in batched NumPy products, then np.linalg.eigvalsh on
all of them at once) and curvature.landscape (41 x 41 grid, the path, the straight line). The
plain way: for each frame, TensorFlow's float64 Jacobian of the gradient by nested tapes, then
np.linalg.eigvalsh; timed on --plain-frames frames and scaled to all of them. The weights are
made up but plausible: a random walk from a Glorot start, on the training points of
experiments/sgd_1x60.yaml. Prints seconds and the ratio.
Target: the spectrum well under 2 s on the 2-core machine.
"""

from __future__ import annotations

import argparse
import importlib.util
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

import config as config_module  # noqa: E402
import curvature  # noqa: E402
import data  # noqa: E402


def post_net() -> curvature.Net:
    config = config_module.load_config(ROOT / "experiments" / "sgd_1x60.yaml")
    dataset = data.dataset_for(config)
    return curvature.Net([1, *config.hidden_layers, 1], list(config.activations),
                         dataset.x_train.reshape(-1).astype(np.float64), dataset.y_train.reshape(-1).astype(np.float64))


def random_walk(net: curvature.Net, frames: int, seed: int = 0) -> np.ndarray:
    """(frames, P) weights: Glorot-uniform kernels and zero biases, then small steps."""
    rng = np.random.default_rng(seed)
    start = []
    for inputs, outputs in zip(net.layer_sizes[:-1], net.layer_sizes[1:]):
        limit = np.sqrt(6 / (inputs + outputs))
        start += [rng.uniform(-limit, limit, inputs * outputs), np.zeros(outputs)]
    steps = rng.normal(scale=0.02, size=(frames, net.parameters))
    steps[0] = 0
    return np.concatenate(start) + np.cumsum(steps, axis=0)


def plain_hessians(net: curvature.Net, rows: np.ndarray) -> np.ndarray:
    import tensorflow as tf

    import models

    x, y = tf.constant(net.x.reshape(-1, 1)), tf.constant(net.y)
    activation = models.activation_function(net.activations[0])
    hidden = net.layer_sizes[1]
    matrices = []
    for row in rows:
        parameters = tf.Variable(row)
        with tf.GradientTape() as outer:
            with tf.GradientTape() as inner:
                kernel, bias = tf.reshape(parameters[:hidden], (1, hidden)), parameters[hidden:2 * hidden]
                output_kernel, output_bias = tf.reshape(parameters[2 * hidden:3 * hidden], (hidden, 1)), parameters[-1]
                prediction = activation(x @ kernel + bias) @ output_kernel + output_bias
                loss = tf.reduce_mean((prediction[:, 0] - y) ** 2)
            gradient = inner.gradient(loss, parameters)
        matrices.append(outer.jacobian(gradient, parameters).numpy())
    return np.array(matrices)


def best_of(repeats: int, function) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times)


def train_seconds(experiment: str, curvature_setting: str) -> float:
    """Wall time of train.py on a shipped experiment, into a folder of its own."""
    with tempfile.TemporaryDirectory() as folder:
        command = [sys.executable, str(ROOT / "train.py"), "--config", str(ROOT / "experiments" / f"{experiment}.yaml"),
                   "--output-dir", folder, "--no-progress", "--set", f"record.curvature={curvature_setting}"]
        start = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True)
        return time.perf_counter() - start


def compare_train_times(rounds: int) -> None:
    for experiment in ("sgd_1x60", "adam_1x60"):
        times = {"none": [], "net0": []}
        for _ in range(rounds):
            for setting in times:
                times[setting].append(train_seconds(experiment, setting))
        without, with_curvature = min(times["none"]), min(times["net0"])
        print(f"{experiment}: train.py {without:.1f} s without curvature, {with_curvature:.1f} s with net 0's: "
              f"{with_curvature / without:.2f}x (best of {rounds} each)", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=201)
    parser.add_argument("--plain-frames", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--train", action="store_true", help="time train.py with and without curvature")
    parser.add_argument("--rounds", type=int, default=3)
    arguments = parser.parse_args()
    if arguments.train:
        compare_train_times(arguments.rounds)
        return
    net = post_net()
    weights = random_walk(net, arguments.frames)
    with curvature.blas_on_one_thread():  # as spectrum_of_run and landscape_of_run work
        hessian_seconds = best_of(arguments.repeats, lambda: curvature.hessians(net, weights))
        matrices = curvature.hessians(net, weights)
        eigen_seconds = best_of(arguments.repeats, lambda: np.linalg.eigvalsh(matrices))
        landscape_seconds = best_of(arguments.repeats, lambda: curvature.landscape(net, weights))
    plain_hessians(net, weights[:1])  # TensorFlow's start-up and first trace are not the way's own cost
    plain = best_of(1, lambda: np.linalg.eigvalsh(plain_hessians(net, weights[:arguments.plain_frames])))
    plain_seconds = plain * arguments.frames / arguments.plain_frames
    check = np.abs(plain_hessians(net, weights[:1])[0] - matrices[0]).max() / np.abs(matrices[0]).max()
    ours = hessian_seconds + eigen_seconds
    print(f"1x60 net, {net.parameters} parameters, {len(net.x)} training points, {arguments.frames} frames; "
          f"BLAS on one thread: {'yes' if importlib.util.find_spec('threadpoolctl') else 'no (no threadpoolctl)'}")
    print(f"spectrum:  {ours:.2f} s (Hessians {hessian_seconds:.2f} s, eigvalsh {eigen_seconds:.2f} s)")
    print(f"plain way: {plain_seconds:.1f} s (TensorFlow per frame, from {arguments.plain_frames} frames); "
          f"ours is {plain_seconds / ours:.0f}x faster; largest relative difference {check:.1e}")
    print(f"landscape: {landscape_seconds:.2f} s (41 x 41 grid, path, line); best of {arguments.repeats} each")


if __name__ == "__main__":
    main()
