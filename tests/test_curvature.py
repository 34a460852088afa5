"""curvature.py against references: TensorFlow's float64 autodiff for the activations and the
Hessian, finite differences of the gradient, a Hessian worked out by hand, Keras's own net for the
weight layout, NumPy's SVD for the plane, and the optimizers' own updates for the thresholds."""

import numpy as np
import pytest
from conftest import synthetic_run

import config_schema
import curvature
import data
from curvature import Net


def tensorflow_and_models():
    tensorflow = pytest.importorskip("tensorflow")
    import models

    return tensorflow, models


def small_net(layer_sizes, activations, l1=0.0, l2=0.0, points=9) -> Net:
    x = np.linspace(-1.5, 1.3, points)
    return Net(list(layer_sizes), list(activations), x, np.sin(2 * x) + 0.1 * x, l1=l1, l2=l2)


def random_rows(net: Net, count: int, seed: int = 0, scale: float = 0.8) -> np.ndarray:
    return np.random.default_rng(seed).normal(scale=scale, size=(count, net.parameters))


# Away from every kink (0, ±3, 6) of relu, leaky_relu, relu6 and hard_sigmoid.
ACTIVATION_POINTS = np.array([-4.2, -2.5, -0.7, -0.1, 0.3, 1.2, 2.9, 5.5, 7.1])


def test_every_activation_a_config_may_name_has_its_derivatives():
    assert set(curvature.ACTIVATION_DERIVATIVES) == set(config_schema.ACTIVATIONS)


def test_unknown_activations_are_refused_in_words():
    with pytest.raises(ValueError, match="curvature is not worked out for activation 'gelu_fancy'"):
        curvature.activation_derivatives("gelu_fancy", np.zeros(3))


@pytest.mark.parametrize("name", config_schema.ACTIVATIONS)
def test_activation_derivatives_match_tensorflow_autodiff(name):
    tf, models = tensorflow_and_models()
    z = tf.constant(ACTIVATION_POINTS, dtype=tf.float64)
    function = models.activation_function(name)
    if name == "softsign":  # TensorFlow has no gradient of SoftsignGrad: its formula, checked against it, stands in
        np.testing.assert_allclose((z / (1 + tf.abs(z))).numpy(), function(z).numpy(), rtol=1e-15)
        function = lambda values: values / (1 + tf.abs(values))  # noqa: E731
    with tf.GradientTape() as outer:
        outer.watch(z)
        with tf.GradientTape() as inner:
            inner.watch(z)
            value = function(z)
        first = inner.gradient(value, z)
    second = outer.gradient(first, z)
    expected = [value.numpy(), first.numpy(), np.zeros(len(ACTIVATION_POINTS)) if second is None else second.numpy()]
    # TensorFlow's float64 gelu is x·erfc(-x/√2)/2 written out, yet differs from it by up to 3e-7
    # of its value on this machine (its erfc alone agrees with math.erfc to 1e-16): ours, the
    # exact x·Φ(x), is held to that.
    tolerance = 1e-6 if name == "gelu" else 1e-9
    for ours, theirs in zip(curvature.activation_derivatives(name, ACTIVATION_POINTS), expected):
        np.testing.assert_allclose(ours, theirs, rtol=tolerance, atol=1e-12)
    np.testing.assert_array_equal(curvature.activation_values(name, ACTIVATION_POINTS),
                                  curvature.activation_derivatives(name, ACTIVATION_POINTS)[0])


def tensorflow_hessian(net: Net, row: np.ndarray) -> np.ndarray:
    """The objective's Hessian at one weight row by nested tapes, float64, the net written out in TensorFlow."""
    tf, models = tensorflow_and_models()
    parameters = tf.Variable(row, dtype=tf.float64)
    x = tf.constant(net.x.reshape(-1, 1))
    y = tf.constant(net.y)

    def objective():
        values, start, kernels = x, 0, []
        shapes = list(zip(net.layer_sizes[:-1], net.layer_sizes[1:]))
        for layer, (inputs, outputs) in enumerate(shapes):
            kernel = tf.reshape(parameters[start:start + inputs * outputs], (inputs, outputs))
            bias = parameters[start + inputs * outputs:start + (inputs + 1) * outputs]
            start += (inputs + 1) * outputs
            kernels.append(kernel)
            values = values @ kernel + bias
            if layer < len(shapes) - 1:
                values = models.activation_function(net.activations[layer])(values)
        error = tf.reduce_mean((values[:, 0] - y) ** 2)
        return error + sum(net.l1 * tf.reduce_sum(tf.abs(k)) + net.l2 * tf.reduce_sum(k**2) for k in kernels)

    with tf.GradientTape() as outer:
        with tf.GradientTape() as inner:
            value = objective()
        gradient = inner.gradient(value, parameters)
    return outer.jacobian(gradient, parameters).numpy()


@pytest.mark.parametrize("layer_sizes, activations, l2", [
    ([1, 4, 1], ["sigmoid"], 0.0),
    ([1, 4, 1], ["selu"], 0.03),
    ([1, 3, 3, 1], ["tanh", "softplus"], 0.01),
    ([1, 2, 3, 2, 1], ["sin", "mish", "elu"], 0.0),
])
def test_hessian_matches_tensorflow_autodiff(layer_sizes, activations, l2):
    net = small_net(layer_sizes, activations, l2=l2)
    rows = random_rows(net, 3)
    ours = curvature.hessians(net, rows)
    expected = tensorflow_hessian(net, rows[1])  # one row of three: rows are worked out together
    np.testing.assert_allclose(ours[1], expected, rtol=1e-9, atol=1e-10 * np.abs(expected).max())
    np.testing.assert_array_equal(ours, ours.transpose(0, 2, 1))


@pytest.mark.parametrize("layer_sizes, activations", [
    ([1, 5, 1], ["gelu"]),
    ([1, 4, 3, 1], ["selu", "softsign"]),
    ([1, 3, 2, 3, 1], ["tanh", "sigmoid", "sin"]),
])
def test_hessian_matches_finite_differences_of_the_gradient(layer_sizes, activations):
    net = small_net(layer_sizes, activations, l1=0.01, l2=0.02)
    rows = random_rows(net, 2, seed=3)
    step = 1e-6
    differences = np.stack([(curvature.gradient(net, rows + step * unit) - curvature.gradient(net, rows - step * unit))
                            / (2 * step) for unit in np.eye(net.parameters)], axis=-1)
    ours = curvature.hessians(net, rows)
    np.testing.assert_allclose(ours, differences, atol=1e-6 * np.abs(ours).max())


def test_gradient_matches_finite_differences_of_the_objective():
    net = small_net([1, 3, 2, 1], ["tanh", "relu6"], l1=0.01, l2=0.02)
    rows = random_rows(net, 3, seed=5)
    step = 1e-6
    differences = np.stack([curvature.objective(net, rows + step * unit) - curvature.objective(net, rows - step * unit)
                            for unit in np.eye(net.parameters)], axis=-1) / (2 * step)
    np.testing.assert_allclose(curvature.gradient(net, rows), differences, atol=1e-7)


def test_hessian_of_a_linear_net_of_one_unit_worked_out_by_hand():
    # f = w2 (w1 x + b1) + b2, parameters [w1, b1, w2, b2]: f's first derivatives are
    # (w2 x, w2, w1 x + b1, 1), its only second ones ∂²f/∂w1∂w2 = x and ∂²f/∂b1∂w2 = 1.
    net = small_net([1, 1, 1], ["linear"], l2=0.05)
    w1, b1, w2, b2 = 0.7, -0.3, 1.4, 0.2
    x, y = net.x, net.y
    residual = w2 * (w1 * x + b1) + b2 - y
    jacobian = np.stack([w2 * x, w2 * np.ones_like(x), w1 * x + b1, np.ones_like(x)], axis=1)
    second = np.zeros((4, 4))
    second[0, 2] = second[2, 0] = np.sum(residual * x)
    second[1, 2] = second[2, 1] = np.sum(residual)
    expected = (2 / len(x)) * (jacobian.T @ jacobian + second) + np.diag([2 * 0.05, 0, 2 * 0.05, 0])
    np.testing.assert_allclose(curvature.hessians(net, np.array([[w1, b1, w2, b2]]))[0], expected, rtol=1e-12)


def test_hessian_without_hidden_layers_is_the_least_squares_one():
    net = small_net([1, 1], [])
    expected = (2 / len(net.x)) * np.array([[np.sum(net.x**2), np.sum(net.x)], [np.sum(net.x), len(net.x)]])
    np.testing.assert_allclose(curvature.hessians(net, np.array([[0.3, -1.0]]))[0], expected, rtol=1e-12)


def test_layout_and_objective_agree_with_the_projects_keras_net():
    tf, models = tensorflow_and_models()
    keras_net = models.build_mlp([5, 3], ["tanh", "sigmoid"], seed=4)
    net = small_net([1, 5, 3, 1], ["tanh", "sigmoid"], l1=0.01, l2=0.02)
    row = np.concatenate([weights.reshape(-1) for weights in keras_net.get_weights()])[None, :].astype(np.float64)
    keras_weights = keras_net.get_weights()  # kernel, bias, kernel, bias, ...
    for layer, (kernel, bias) in enumerate(curvature.unpack(net, row)):
        np.testing.assert_array_equal(kernel[0], keras_weights[2 * layer])
        np.testing.assert_array_equal(bias[0], keras_weights[2 * layer + 1])
    prediction = keras_net(net.x.reshape(-1, 1).astype(np.float32)).numpy().reshape(-1).astype(np.float64)
    kernels = [kernel.astype(np.float64) for kernel in keras_weights[::2]]
    penalties = sum(0.01 * np.abs(kernel).sum() + 0.02 * (kernel**2).sum() for kernel in kernels)
    expected = np.mean((prediction - net.y) ** 2) + penalties
    np.testing.assert_allclose(curvature.objective(net, row)[0], expected, rtol=1e-5)


def test_wrong_row_length_is_refused():
    with pytest.raises(ValueError, match="expected weight rows of 10 parameters"):
        curvature.objective(small_net([1, 3, 1], ["tanh"]), np.zeros((2, 11)))


# Stability thresholds.

def test_thresholds_follow_the_formulas():
    rates = np.array([0.1, 0.05])
    plain = curvature.stability_threshold("sgd", {}, rates, None, minibatches=False)
    np.testing.assert_allclose(plain.values, 2 / rates)
    assert (plain.rule, plain.preconditioned, plain.reference_only) == ("2/η", False, False)
    momentum = curvature.stability_threshold("sgd", {"momentum": 0.9}, rates, None, minibatches=True)
    np.testing.assert_allclose(momentum.values, 3.8 / rates)
    assert momentum.rule == "(2+2β)/η, β=0.9" and momentum.reference_only
    nesterov = curvature.stability_threshold("sgd", {"momentum": 0.9, "nesterov": True}, rates, None, False)
    np.testing.assert_allclose(nesterov.values, 3.8 / (2.8 * rates))
    decayed = curvature.stability_threshold("sgd", {}, rates, 0.5, False)
    np.testing.assert_allclose(decayed.values, 2 / rates - 0.5)
    assert decayed.rule == "2/η − wd, wd=0.5"
    adam = curvature.stability_threshold("adam", {}, rates, None, False)
    np.testing.assert_allclose(adam.values, 3.8 / (0.1 * rates))
    assert adam.preconditioned and adam.rule == "(2+2β₁)/((1-β₁)η), β₁=0.9"
    adamw = curvature.stability_threshold("adamw", {"beta_1": 0.8}, rates, None, False)  # Keras's default decay 0.004
    np.testing.assert_allclose(adamw.values, 1.8 * (2 / rates - 0.004) / 0.2)
    rmsprop = curvature.stability_threshold("rmsprop", {}, rates, None, False)
    np.testing.assert_allclose(rmsprop.values, 2 / rates)
    assert rmsprop.preconditioned
    rmsprop_momentum = curvature.stability_threshold("rmsprop", {"momentum": 0.5}, rates, None, False)
    np.testing.assert_allclose(rmsprop_momentum.values, 3 / rates)
    assert curvature.stability_threshold("adagrad", {}, rates, None, False) is None
    assert curvature.stability_threshold("rmsprop", {"centered": True}, rates, None, False) is None


@pytest.mark.parametrize("options, weight_decay", [
    ({}, 0.0), ({"momentum": 0.9}, 0.0), ({"momentum": 0.8, "nesterov": True}, 0.0),
    ({}, 0.3), ({"momentum": 0.9}, 0.3), ({"momentum": 0.7, "nesterov": True}, 0.3),
])
def test_keras_sgd_on_a_quadratic_turns_unstable_at_the_threshold(options, weight_decay):
    tf, models = tensorflow_and_models()
    rate = 0.1
    threshold = curvature.stability_threshold("sgd", options, np.array([rate]), weight_decay or None, False).values[0]

    def growth(curvature_value: float) -> float:
        optimizer = models.build_optimizer("sgd", rate, weight_decay=weight_decay or None, **options)
        variable = tf.Variable([1.0], dtype=tf.float64, name="kernel")

        @tf.function
        def steps():
            for _ in tf.range(300):
                optimizer.apply([curvature_value * variable], [variable])

        steps()
        return abs(float(variable.numpy()[0]))

    assert growth(0.97 * threshold) < 1
    assert growth(1.03 * threshold) > 1


def test_preconditioned_sharpness_against_the_eigenvalues_of_p_inverse_h():
    rng = np.random.default_rng(7)
    size, beta_1, beta_2, epsilon = 6, 0.9, 0.999, 1e-3
    factors = rng.normal(size=(3, size, size))
    matrices = factors @ factors.transpose(0, 2, 1)
    matrices[1] -= 2 * np.eye(size)  # indefinite
    second_moment = rng.uniform(0, 0.01, size=(3, size))
    second_moment[2, 0] = 0.0
    steps = np.array([1, 20, 5000])
    ours = curvature.preconditioned_sharpness(matrices, second_moment, steps, beta_1, beta_2, epsilon)
    for matrix, moment, step, value in zip(matrices, second_moment, steps, ours):
        # Keras's Adam step: η √(1-β₂ᵗ)/(1-β₁ᵗ) · m/(√v + ε).
        preconditioner = (1 - beta_1**step) * (np.sqrt(moment) + epsilon) / np.sqrt(1 - beta_2**step)
        expected = np.max(np.linalg.eigvals(matrix / preconditioner[:, None]).real)
        np.testing.assert_allclose(value, expected, rtol=1e-10)
    before_any_step = curvature.preconditioned_sharpness(matrices[:1], second_moment[:1], [0], beta_1, beta_2, epsilon)
    assert np.isnan(before_any_step[0])
    rmsprop = curvature.rmsprop_preconditioned_sharpness(matrices, second_moment, epsilon)
    for matrix, moment, value in zip(matrices, second_moment, rmsprop):
        expected = np.max(np.linalg.eigvals(matrix / np.sqrt(moment + epsilon)[:, None]).real)
        np.testing.assert_allclose(value, expected, rtol=1e-10)


# The landscape.

def path_of(net: Net, frames: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    steps = rng.normal(scale=0.05, size=(frames, net.parameters))
    return rng.normal(scale=0.5, size=net.parameters) + np.cumsum(steps, axis=0)


def test_plane_is_the_svd_of_the_offsets_from_the_final_weights():
    net = small_net([1, 4, 1], ["tanh"])
    weights = path_of(net, 12)
    result = curvature.landscape(net, weights, resolution=9)
    offsets = weights - weights[-1]
    _, singular_values, right = np.linalg.svd(offsets)
    for direction, expected in zip(result.directions, right[:2]):
        np.testing.assert_allclose(abs(direction @ expected), 1, atol=1e-10)
    np.testing.assert_allclose(result.explained_variance, singular_values[:2] ** 2 / np.sum(singular_values**2))
    np.testing.assert_allclose(result.path, offsets @ result.directions.T, atol=1e-12)
    assert (result.path[0] > 0).all()  # the initial weights on each direction's positive side
    np.testing.assert_allclose(result.directions @ result.directions.T, np.eye(2), atol=1e-12)


def test_landscape_values_at_the_final_weights_and_along_the_line():
    net = small_net([1, 4, 1], ["sigmoid"], l2=0.01)
    weights = path_of(net, 10, seed=1)
    result = curvature.landscape(net, weights, resolution=11)
    final_objective = curvature.objective(net, weights[-1:])[0]
    # Odd resolution, but the grid is not centred on the origin; evaluate the plane there directly.
    np.testing.assert_allclose(result.path_values[-1], final_objective, rtol=1e-12)
    np.testing.assert_allclose(result.frame_objective, curvature.objective(net, weights), rtol=1e-12)
    line = dict(zip(result.line_alphas, result.line_values))
    np.testing.assert_allclose([line[0.0], line[1.0]], result.frame_objective[[0, -1]], rtol=1e-12)
    assert len(result.line_alphas) == 61 and result.line_alphas[0] == -0.25 and result.line_alphas[-1] == 1.25
    assert result.values.shape == (11, 11)
    assert result.axis_a[0] < result.path[:, 0].min() and result.axis_a[-1] > result.path[:, 0].max()
    assert result.axis_b[0] < result.path[:, 1].min() and result.axis_b[-1] > result.path[:, 1].max()
    # Rows go along axis_b, columns along axis_a.
    row, column = 3, 7
    point = weights[-1] + result.axis_a[column] * result.directions[0] + result.axis_b[row] * result.directions[1]
    np.testing.assert_allclose(result.values[row, column], curvature.objective(net, point[None])[0], rtol=1e-12)


def test_a_path_in_a_plane_has_no_gap_and_one_off_it_has_one():
    net = small_net([1, 3, 1], ["tanh"])
    rng = np.random.default_rng(2)
    final, first, second = rng.normal(size=(3, net.parameters))
    times = np.linspace(0, 1, 15)[:, None]
    in_plane = final + (1 - times) * first + np.sin(3 * times) * second
    result = curvature.landscape(net, in_plane, resolution=5)
    assert result.largest_gap < 1e-10
    np.testing.assert_allclose(result.explained_variance.sum(), 1)
    off_plane = in_plane + np.sin(7 * times) * rng.normal(size=net.parameters)
    assert curvature.landscape(net, off_plane, resolution=5).largest_gap > 1e-3


def test_paths_of_fewer_than_two_directions_still_have_a_plane():
    net = small_net([1, 2, 1], ["tanh"])
    start = np.linspace(-1, 1, net.parameters)
    for weights in (np.stack([start, start + 0.1]), np.stack([start] * 3)):
        result = curvature.landscape(net, weights, resolution=5)
        np.testing.assert_allclose(result.directions @ result.directions.T, np.eye(2), atol=1e-12)
        assert np.isfinite(result.values).all()
        assert result.axis_a[0] < result.axis_a[-1] and result.axis_b[0] < result.axis_b[-1]
        assert result.largest_gap < 1e-10
    np.testing.assert_allclose(curvature.landscape(net, np.stack([start, start + 0.1]), 5).explained_variance, [1, 0])


# A run's spectrum and landscape.

def run_with_weights(frames: int = 5, **config_values):
    run = synthetic_run(epochs=40, frames=frames, **{"hidden_layers": [3], "activation": "tanh", **config_values})
    net = curvature.net_of_run(run)
    weights = path_of(net, len(run.frame_epochs), seed=4)[:, None, :].astype(np.float32)
    run.per_frame["weights"] = weights
    return run, net, weights


def test_spectrum_of_a_run_is_the_eigenvalues_of_its_frames_hessians():
    run, net, weights = run_with_weights(optimizer="sgd", learning_rate=0.05, l2=0.01)
    assert net.l2 == 0.01 and net.layer_sizes == [1, 3, 1]
    spectrum = curvature.spectrum_of_run(run)
    expected = np.linalg.eigvalsh(curvature.hessians(net, weights[:, 0].astype(np.float64)))
    np.testing.assert_allclose(spectrum.eigenvalues[:, 0], expected, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(spectrum.objective[:, 0], curvature.objective(net, weights[:, 0]))
    np.testing.assert_allclose(spectrum.threshold.values, 2 / 0.05)
    assert spectrum.preconditioned_sharpness is None and list(spectrum.nets) == [0]
    run.per_frame.pop("weights")
    assert curvature.spectrum_of_run(run) is None and curvature.landscape_of_run(run) is None


def test_spectrum_of_an_adam_run_has_its_preconditioned_sharpness():
    run, net, weights = run_with_weights()
    frames = len(run.frame_epochs)
    run.per_frame["second_moment"] = np.random.default_rng(1).uniform(0, 1e-3, size=weights.shape).astype(np.float32)
    run.per_frame["optimizer_steps"] = np.arange(frames)[:, None] * 10
    spectrum = curvature.spectrum_of_run(run)
    expected = curvature.preconditioned_sharpness(curvature.hessians(net, weights[:, 0]),
                                                  run.per_frame["second_moment"][:, 0], np.arange(frames) * 10,
                                                  0.9, 0.999, 1e-7)
    np.testing.assert_allclose(spectrum.preconditioned_sharpness[:, 0], expected, rtol=1e-10)
    assert np.isnan(spectrum.preconditioned_sharpness[0, 0])  # before the first step
    assert spectrum.threshold.preconditioned


def test_diverged_frames_have_no_eigenvalues_and_no_path_point():
    run, net, weights = run_with_weights(optimizer="sgd")
    weights[-1, 0, 2] = np.inf
    spectrum = curvature.spectrum_of_run(run)
    assert np.isnan(spectrum.eigenvalues[-1]).all() and np.isfinite(spectrum.eigenvalues[:-1]).all()
    result = curvature.landscape_of_run(run)
    assert np.isnan(result.path[-1]).all() and np.isfinite(result.path[:-1]).all()
    assert np.isfinite(result.largest_gap)


def test_learning_rates_at_frames_follow_the_recorded_schedule():
    run, _, _ = run_with_weights(frames=5, learning_rate=0.02)
    np.testing.assert_allclose(curvature.learning_rates_at_frames(run), 0.02)
    epochs = len(run.per_epoch["loss"])
    run.per_epoch["learning_rate"] = np.linspace(0.1, 0.01, epochs)[:, None]
    # The frame after epoch e steps at epoch e + 1's rate: row e; the last frame takes the last row.
    expected = np.linspace(0.1, 0.01, epochs)[np.minimum(run.frame_epochs, epochs - 1)]
    np.testing.assert_allclose(curvature.learning_rates_at_frames(run), expected)


def test_a_standardized_run_is_worked_out_in_the_units_it_trained_in():
    run, _, _ = run_with_weights()
    standardization = data.Standardization(x_shift=1.5, x_scale=2.0, y_shift=-0.5, y_scale=3.0)
    run.summary = run.summary.model_copy(update={"standardization": standardization})
    net = curvature.net_of_run(run)
    np.testing.assert_array_equal(net.x, ((run.x_train.astype(np.float64) - 1.5) / 2.0).astype(np.float32))
    np.testing.assert_array_equal(net.y, ((run.y_train.astype(np.float64) + 0.5) / 3.0).astype(np.float32))
