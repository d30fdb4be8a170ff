"""Tests of seglab.models: gradients against finite differences, convolution against
scipy.ndimage.correlate, Adam's closed forms, determinism, learning, validation."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal
from scipy import ndimage, special

from seglab.data import synthetic_images
from seglab.metrics import dice
from seglab.models import Adam, FilterBank, PixelLogisticRegression, TinyCNN, train, tune_threshold

# ------------------------------------------------------------------ private losses


def _cross_entropy(scores, target, *, from_logits=True, return_grad=True):
    """Mean cross-entropy over pixels with the seglab.losses interface (test helper).

    One channel: binary cross-entropy of sigmoid(scores) against 0/1 labels; K channels:
    softmax cross-entropy against integer labels. The gradient is the closed form
    (p - y) / #pixels.
    """
    assert from_logits and return_grad
    num_classes = scores.shape[1]
    if num_classes == 1:
        y = target[:, None].astype(np.float64)
        value = np.mean(np.logaddexp(0.0, scores) - y * scores)
        return value, (special.expit(scores) - y) / y.size
    one_hot = np.moveaxis(np.eye(num_classes)[target], -1, 1)
    log_p = special.log_softmax(scores, axis=1)
    pixels = scores.size // num_classes
    return -np.sum(one_hot * log_p) / pixels, (np.exp(log_p) - one_hot) / pixels


def _soft_dice(scores, target, *, from_logits=True, return_grad=True, smooth=1.0):
    """Binary soft Dice loss 1 - (2 sum p y + s) / (sum p + sum y + s) of sigmoid(scores)
    pooled over the batch (test helper), with its gradient through the sigmoid."""
    p = special.expit(scores)
    y = target[:, None].astype(np.float64)
    inter, total = np.sum(p * y), np.sum(p) + np.sum(y)
    value = 1.0 - (2.0 * inter + smooth) / (total + smooth)
    grad_p = -(2.0 * y * (total + smooth) - (2.0 * inter + smooth)) / (total + smooth) ** 2
    return value, grad_p * p * (1.0 - p)


def _random_params(model, rng, scale=0.5):
    return {name: scale * rng.standard_normal(p.shape) for name, p in model.params.items()}


MODELS = {
    "logistic-binary": lambda: PixelLogisticRegression(3, 1),
    "softmax-3": lambda: PixelLogisticRegression(3, 3),
    "cnn-binary-k1": lambda: TinyCNN(2, 1, hidden=3, kernel_size=3, out_kernel_size=1),
    "cnn-3-k3": lambda: TinyCNN(2, 3, hidden=3, kernel_size=3, out_kernel_size=3),
    "cnn-binary-k5-k3": lambda: TinyCNN(1, 1, hidden=2, kernel_size=5, out_kernel_size=3),
}


def _fd_gradient(model, func, eps=1e-6):
    """Central finite differences of func() with respect to every parameter entry."""
    grads = {}
    for name, theta in model.params.items():
        grad = np.empty_like(theta)
        for index in np.ndindex(theta.shape):
            old = theta[index]
            theta[index] = old + eps
            plus = func()
            theta[index] = old - eps
            minus = func()
            theta[index] = old
            grad[index] = (plus - minus) / (2 * eps)
        grads[name] = grad
    return grads


# ---------------------------------------------------------------------- gradients


@pytest.mark.parametrize("name", sorted(MODELS))
def test_backward_matches_finite_differences_of_a_linear_functional(name):
    """backward(g) is the gradient of <g, logits(theta)>, entry by entry, every parameter."""
    model = MODELS[name]()
    rng = np.random.default_rng(1)
    model.set_params(_random_params(model, rng))
    x = rng.standard_normal((2, model.in_channels, 5, 6))
    logits, backward = model.forward(x)
    g = rng.standard_normal(logits.shape)
    analytic = backward(g)
    numeric = _fd_gradient(model, lambda: float(np.sum(g * model(x))))
    for key in model.params:
        assert_allclose(analytic[key], numeric[key], rtol=1e-6, atol=1e-7, err_msg=key)


@pytest.mark.parametrize("name", sorted(MODELS))
def test_training_gradient_matches_finite_differences_of_the_loss(name):
    """The chain loss -> logits -> parameters, as train uses it, against FD of the loss."""
    model = MODELS[name]()
    rng = np.random.default_rng(2)
    model.set_params(_random_params(model, rng))
    x = rng.standard_normal((3, model.in_channels, 4, 5))
    k = max(model.num_classes, 2)
    y = rng.integers(0, k, (3, 4, 5))
    logits, backward = model.forward(x)
    analytic = backward(_cross_entropy(logits, y)[1])
    numeric = _fd_gradient(model, lambda: float(_cross_entropy(model(x), y)[0]))
    for key in model.params:
        assert_allclose(analytic[key], numeric[key], rtol=1e-5, atol=1e-8, err_msg=key)


@settings(max_examples=25, deadline=None)
@given(
    h=st.integers(1, 6),
    w=st.integers(1, 6),
    k1=st.sampled_from([1, 3, 5]),
    k2=st.sampled_from([1, 3, 5]),
    classes=st.sampled_from([1, 3]),
    seed=st.integers(0, 2**16),
)
def test_cnn_gradient_for_any_image_and_kernel_size(h, w, k1, k2, classes, seed):
    """FD check on random geometries, including kernels larger than the image."""
    model = TinyCNN(2, classes, hidden=2, kernel_size=k1, out_kernel_size=k2, seed=seed)
    rng = np.random.default_rng(seed)
    model.set_params(_random_params(model, rng))
    x = rng.standard_normal((2, 2, h, w))
    logits, backward = model.forward(x)
    g = rng.standard_normal(logits.shape)
    analytic = backward(g)
    numeric = _fd_gradient(model, lambda: float(np.sum(g * model(x))))
    for key in model.params:
        assert_allclose(analytic[key], numeric[key], rtol=1e-6, atol=1e-7, err_msg=key)


def test_logistic_regression_works_in_3d():
    model = PixelLogisticRegression(2, 3)
    rng = np.random.default_rng(3)
    model.set_params(_random_params(model, rng))
    x = rng.standard_normal((2, 2, 3, 4, 5))
    logits, backward = model.forward(x)
    g = rng.standard_normal(logits.shape)
    numeric = _fd_gradient(model, lambda: float(np.sum(g * model(x))))
    for key, value in backward(g).items():
        assert_allclose(value, numeric[key], rtol=1e-6, atol=1e-7)


# -------------------------------------------------------------- forward: closed forms


def test_cnn_forward_equals_scipy_correlate():
    """Peer: scipy.ndimage.correlate (mode='constant', cval=0) — TinyCNN is conv, ReLU, conv
    with zero 'same' padding, as torch.nn.Conv2d(padding=k // 2)."""
    model = TinyCNN(2, 3, hidden=4, kernel_size=3, out_kernel_size=5)
    rng = np.random.default_rng(4)
    model.set_params(_random_params(model, rng))
    x = rng.standard_normal((2, 2, 7, 9))
    p = model.params

    def conv(u, weight, bias):
        out = np.empty((u.shape[0], weight.shape[0], *u.shape[2:]))
        for o in range(weight.shape[0]):
            out[:, o] = bias[o] + sum(
                ndimage.correlate(u[:, c], weight[o, c][None], mode="constant")
                for c in range(weight.shape[1])
            )
        return out

    expected = conv(np.maximum(conv(x, p["w1"], p["b1"]), 0.0), p["w2"], p["b2"])
    assert_allclose(model(x), expected, rtol=1e-12, atol=1e-12)


def test_logistic_regression_forward_is_a_per_pixel_affine_map():
    model = PixelLogisticRegression(3, 3)
    rng = np.random.default_rng(5)
    model.set_params(_random_params(model, rng))
    x = rng.standard_normal((2, 3, 4, 4))
    expected = np.einsum("cf,nfhw->nchw", model.params["weight"], x)
    expected += model.params["bias"][None, :, None, None]
    assert_allclose(model(x), expected, rtol=1e-12, atol=1e-12)


def test_predict_proba_and_predict():
    rng = np.random.default_rng(6)
    binary = PixelLogisticRegression(2, 1)
    binary.set_params(_random_params(binary, rng))
    x = rng.standard_normal((2, 2, 5, 5))
    proba = binary.predict_proba(x)
    assert_allclose(proba, 1 / (1 + np.exp(-binary(x))))
    assert_array_equal(binary.predict(x), (proba[:, 0] > 0.5).astype(np.int64))
    assert_array_equal(binary.predict(x, threshold=0.8), (proba[:, 0] > 0.8).astype(np.int64))
    multi = TinyCNN(2, 4, hidden=3)
    proba = multi.predict_proba(x)
    assert proba.shape == (2, 4, 5, 5)
    assert_allclose(proba.sum(axis=1), 1.0)
    assert_array_equal(multi.predict(x), np.argmax(multi(x), axis=1))
    assert multi.predict(x).dtype == np.int64


# ----------------------------------------------------------------------- Adam


def test_adam_first_step_is_lr_times_the_sign():
    """Kingma & Ba 2015, section 2.1: the first step is -lr * g / (|g| + eps)."""
    g = np.array([3.0, -1e-3, 0.0, 250.0])
    params = {"w": np.zeros(4)}
    Adam(lr=0.1, eps=1e-8).step(params, {"w": g})
    assert_allclose(params["w"], -0.1 * g / (np.abs(g) + 1e-8), rtol=1e-12)


def test_adam_matches_algorithm_1_over_several_steps():
    """Kingma & Ba 2015, Algorithm 1, written out with the bias corrections."""
    rng = np.random.default_rng(7)
    grads = rng.standard_normal((5, 3))
    lr, b1, b2, eps = 0.05, 0.8, 0.99, 1e-6
    theta, m, v = np.ones(3), np.zeros(3), np.zeros(3)
    for t, g in enumerate(grads, start=1):
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g**2
        theta = theta - lr * (m / (1 - b1**t)) / (np.sqrt(v / (1 - b2**t)) + eps)
    params = {"w": np.ones(3)}
    adam = Adam(lr, betas=(b1, b2), eps=eps)
    for g in grads:
        adam.step(params, {"w": g})
    assert_allclose(params["w"], theta, rtol=1e-13)
    assert adam.t == 5


def test_adam_is_invariant_to_the_scale_of_the_loss():
    rng = np.random.default_rng(8)
    grads = rng.standard_normal((10, 4))
    a, b = {"w": np.zeros(4)}, {"w": np.zeros(4)}
    adam_a, adam_b = Adam(0.01, eps=1e-300), Adam(0.01, eps=1e-300)
    for g in grads:
        adam_a.step(a, {"w": g})
        adam_b.step(b, {"w": 1e4 * g})
    assert_allclose(a["w"], b["w"], rtol=1e-12)


# ------------------------------------------------------------------- filter bank


def test_filter_bank_closed_forms():
    """A constant image has zero derivatives; a ramp a*x has first derivative a (times
    sigma, the scale normalisation) and zero second derivatives away from the border.
    The sampled derivative kernels of scipy.ndimage.gaussian_filter (truncated at 4 sigma)
    have moments off by relative errors of 7e-5 (sigma = 1) to 3.5e-4 (sigma = 2), hence
    tolerances of 1e-3 relative to the ramp."""
    ramp = np.tile(np.arange(40.0), (40, 1))[None] * 0.5  # intensity 0.5 * column
    bank = FilterBank(sigmas=(1.0, 2.0))
    feats = bank.features(ramp)
    orders = bank._orders(2)
    assert feats.shape == (1, 1 + 2 * len(orders), 40, 40)
    assert orders == [(0, 0), (0, 1), (0, 2), (1, 0), (1, 1), (2, 0)]
    inner = (0, slice(10, 30), slice(10, 30))
    for s, sigma in enumerate(bank.sigmas):
        base = 1 + s * len(orders)
        assert_allclose(feats[inner[0], base][inner[1:]], ramp[inner], atol=1e-12)
        assert_allclose(feats[inner[0], base + 1][inner[1:]], 0.5 * sigma, rtol=1e-3)
        for offset in (2, 3, 4, 5):
            assert np.abs(feats[inner[0], base + offset][inner[1:]]).max() < 1e-3 * ramp.max()
    flat = FilterBank().features(np.full((2, 8, 8), 3.0))
    smoothed = [0, 1, 7, 13]  # intensity, then order (0, 0) at sigma = 1, 2, 4
    assert_allclose(flat[:, smoothed], 3.0, rtol=1e-12)
    assert np.abs(np.delete(flat, smoothed, axis=1)).max() < 1e-3 * 3.0


def test_filter_bank_standardises_and_handles_constant_features():
    images = np.random.default_rng(9).normal(size=(3, 16, 16))
    bank = FilterBank((1.5,), max_order=1)
    z = bank.fit_transform(images)
    assert bank.num_features == z.shape[1] == 4
    assert_allclose(z.mean(axis=(0, 2, 3)), 0.0, atol=1e-12)
    assert_allclose(z.std(axis=(0, 2, 3)), 1.0)
    constant = FilterBank((1.0,)).fit(np.zeros((2, 8, 8)))
    assert_array_equal(constant.std_, 1.0)
    assert_allclose(constant.transform(np.ones((1, 8, 8)))[:, :2], 1.0)
    volume = FilterBank((1.0, 2.0)).fit(np.zeros((1, 6, 6, 6)))
    assert volume.num_features == 1 + 2 * 10


# ------------------------------------------------------- training: determinism, learning


def test_train_is_deterministic_under_a_seed():
    images, labels = synthetic_images(6, (16, 16), num_objects=1, seed=3)
    x = images[:, None]
    runs = []
    for seed in (0, 0, 1):
        model = TinyCNN(1, 1, hidden=3, seed=5)
        history = train(model, x, labels, loss=_cross_entropy, steps=7, batch_size=4, seed=seed)
        runs.append((history, model.get_params()))
    assert_array_equal(runs[0][0], runs[1][0])
    for key in runs[0][1]:
        assert_array_equal(runs[0][1][key], runs[1][1][key])
    assert not np.array_equal(runs[0][0], runs[2][0])
    assert_array_equal(TinyCNN(1, 1, seed=5).params["w1"], TinyCNN(1, 1, seed=5).params["w1"])


def test_train_counts_steps_and_epochs_and_continues_an_optimizer():
    rng = np.random.default_rng(10)
    x, y = rng.standard_normal((5, 2, 3, 3)), rng.integers(0, 2, (5, 3, 3))
    model = PixelLogisticRegression(2)
    assert train(model, x, y, loss=_cross_entropy, epochs=3, batch_size=2).shape == (9,)
    assert train(model, x, y, loss=_cross_entropy, steps=4, batch_size=99).shape == (4,)
    adam = Adam(0.01)
    train(model, x, y, loss=_cross_entropy, steps=3, optimizer=adam)
    train(model, x, y, loss=_cross_entropy, steps=2, optimizer=adam)
    assert adam.t == 5


def test_train_first_loss_is_the_loss_at_the_initial_parameters():
    rng = np.random.default_rng(11)
    x, y = rng.standard_normal((4, 2, 3, 3)), rng.integers(0, 3, (4, 3, 3))
    model = PixelLogisticRegression(2, 3)  # zero weights: uniform softmax
    history = train(model, x, y, loss=_cross_entropy, steps=1, batch_size=4)
    assert_allclose(history[0], np.log(3.0), rtol=1e-12)


@pytest.fixture(scope="module")
def easy_problem():
    """48 synthetic 64 x 64 images with the default noise and texture: 32 train, 16 test."""
    images, labels = synthetic_images(48, (64, 64), foreground_fraction=0.1, num_objects=3,
                                      seed=0)
    bank = FilterBank().fit(images[:32])
    return bank.transform(images), images[:, None], labels


@pytest.mark.parametrize(
    ("name", "loss", "min_dice"),
    [("logistic", _cross_entropy, 0.78), ("logistic", _soft_dice, 0.78),
     ("cnn", _cross_entropy, 0.78)],
)
def test_training_reduces_the_loss_and_segments_held_out_images(easy_problem, name, loss,
                                                                min_dice):
    """Stated performance: held-out Dice >= 0.78 after 20 epochs (80 steps) on the default
    synthetic images (per-pixel Dice of a 0.5 threshold; measured 0.80-0.82)."""
    features, images, labels = easy_problem
    if name == "logistic":
        model, x = PixelLogisticRegression(features.shape[1]), features
    else:
        model, x = TinyCNN(features.shape[1], 1, hidden=8), features
    history = train(model, x[:32], labels[:32], loss=loss, epochs=20, lr=0.05, seed=0)
    assert history.shape == (80,)
    assert history[-10:].mean() < 0.7 * history[:10].mean()
    score = dice(model.predict(x[32:]), labels[32:], average="binary")
    assert score >= min_dice


def test_softmax_regression_learns_three_classes():
    """Stated performance, K = 3 (intensity levels 0, 1, 2 under noise 0.35): macro Dice
    >= 0.8 on held-out images after 100 epochs (measured 0.84)."""
    images, labels = synthetic_images(48, (64, 64), num_objects=4, num_classes=3,
                                      contrast=2.0, noise=0.35, seed=1)
    bank = FilterBank().fit(images[:32])
    x = bank.transform(images)
    model = PixelLogisticRegression(x.shape[1], 3)
    history = train(model, x[:32], labels[:32], loss=_cross_entropy, epochs=100, lr=0.2)
    assert history[-10:].mean() < 0.1 * history[0]
    assert dice(model.predict(x[32:]), labels[32:], average="macro") >= 0.8


# -------------------------------------------------------------------- no mutation


def test_nothing_mutates_its_inputs():
    rng = np.random.default_rng(12)
    x = rng.standard_normal((4, 1, 6, 6))
    y = rng.integers(0, 2, (4, 6, 6))
    x0, y0 = x.copy(), y.copy()
    params = _random_params(TinyCNN(1, 1), rng)
    params0 = {k: v.copy() for k, v in params.items()}
    model = TinyCNN(1, 1).set_params(params)
    logits, backward = model.forward(x)
    g = rng.standard_normal(logits.shape)
    g0 = g.copy()
    backward(g)
    train(model, x, y, loss=_cross_entropy, steps=3)
    model.predict(x)
    images = x[:, 0].copy()
    FilterBank().fit(images).transform(images)
    assert_array_equal(x, x0)
    assert_array_equal(y, y0)
    assert_array_equal(g, g0)
    assert_array_equal(images, x0[:, 0])
    for key in params:  # set_params copied: training moved the model, not the caller's dict
        assert_array_equal(params[key], params0[key])
    snapshot = model.get_params()
    snapshot["w1"][:] = 0
    assert not np.all(model.params["w1"] == 0)


# --------------------------------------------------------------------- validation


def test_model_validation():
    with pytest.raises(ValueError, match="num_classes must be 1 .* got 2"):
        PixelLogisticRegression(3, 2)
    with pytest.raises(ValueError, match="in_channels must be an int >= 1"):
        TinyCNN(0)
    with pytest.raises(TypeError, match="hidden must be an int"):
        TinyCNN(1, hidden=2.0)
    with pytest.raises(ValueError, match="kernel_size must be odd"):
        TinyCNN(1, kernel_size=2)
    with pytest.raises(ValueError, match="out_kernel_size must be an int >= 1"):
        TinyCNN(1, out_kernel_size=0)
    with pytest.raises(ValueError, match="init_scale must lie in"):
        PixelLogisticRegression(1, init_scale=-1.0)
    with pytest.raises(ValueError, match="seed must be an int >= 0"):
        TinyCNN(1, seed=-1)
    model = TinyCNN(2)
    with pytest.raises(ValueError, match=r"in_channels=2 .* shape \(1, 3, 4, 4\)"):
        model(np.zeros((1, 3, 4, 4)))
    with pytest.raises(ValueError, match=r"x must have shape \(N, C_in, H, W\)"):
        model(np.zeros((1, 2, 4, 4, 4)))
    with pytest.raises(ValueError, match=r"x must have shape \(N, C_in, \*spatial\)"):
        PixelLogisticRegression(2)(np.zeros((1, 2)))
    with pytest.raises(ValueError, match="x contains 1 NaN"):
        model(np.pad(np.array([[[[np.nan]]]]), ((0, 0), (0, 1), (0, 3), (0, 3))))
    with pytest.raises(TypeError, match="x must be a real numeric array"):
        model(np.zeros((1, 2, 4, 4), dtype=bool))
    with pytest.raises(ValueError, match="x is empty"):
        model(np.zeros((0, 2, 4, 4)))
    logits, backward = model.forward(np.zeros((1, 2, 4, 4)))
    with pytest.raises(ValueError, match=r"grad_logits must have the logits' shape"):
        backward(np.zeros((1, 2, 4, 4)))
    with pytest.raises(ValueError, match="threshold must lie in"):
        model.predict(np.zeros((1, 2, 4, 4)), threshold=1.0)


def test_set_params_validation():
    model = PixelLogisticRegression(2)
    with pytest.raises(ValueError, match=r"params must have the names \['bias', 'weight'\]"):
        model.set_params({"weight": np.zeros((1, 2))})
    with pytest.raises(ValueError, match=r"params\['weight'\] must have shape \(1, 2\)"):
        model.set_params({"weight": np.zeros((2, 1)), "bias": np.zeros(1)})
    with pytest.raises(ValueError, match=r"params\['bias'\] contains 1 NaN"):
        model.set_params({"weight": np.zeros((1, 2)), "bias": np.array([np.nan])})
    with pytest.raises(TypeError, match="params must be a dict"):
        model.set_params([np.zeros((1, 2)), np.zeros(1)])


def test_filter_bank_validation():
    with pytest.raises(ValueError, match="sigmas must hold at least one scale"):
        FilterBank(())
    with pytest.raises(ValueError, match="sigmas entry must lie in"):
        FilterBank((1.0, 0.0))
    with pytest.raises(TypeError, match="sigmas must be a sequence"):
        FilterBank(2.0)
    with pytest.raises(ValueError, match="max_order must be 0, 1 or 2"):
        FilterBank(max_order=3)
    with pytest.raises(RuntimeError, match="fit"):
        FilterBank().transform(np.zeros((1, 4, 4)))
    with pytest.raises(ValueError, match="images must have shape"):
        FilterBank().fit(np.zeros(4))
    with pytest.raises(ValueError, match="images contains"):
        FilterBank().fit(np.full((1, 4, 4), np.inf))
    bank = FilterBank().fit(np.zeros((1, 4, 4)))
    with pytest.raises(ValueError, match="fitted on 2"):
        bank.transform(np.zeros((1, 4, 4, 4)))


def test_adam_validation():
    with pytest.raises(ValueError, match="lr must lie in"):
        Adam(0.0)
    with pytest.raises(ValueError, match=r"betas\[1\] must lie in"):
        Adam(betas=(0.9, 1.0))
    with pytest.raises(ValueError, match="betas must be a pair"):
        Adam(betas=0.9)
    with pytest.raises(ValueError, match="eps must lie in"):
        Adam(eps=0.0)
    with pytest.raises(ValueError, match="grads must have the names"):
        Adam().step({"w": np.zeros(2)}, {"v": np.zeros(2)})


@pytest.mark.parametrize(("params", "grads", "error", "message"), [
    (None, {}, TypeError, "params must be a dict"),
    ({"w": np.ones(2)}, [1.0, 2.0], TypeError, "grads must be a dict"),
    ({"w": [1.0, 2.0]}, {"w": [1.0, 2.0]}, TypeError, r"params\['w'\] must be a floating"),
    ({"w": np.ones(2, int)}, {"w": np.ones(2)}, TypeError, r"params\['w'\] .* got int64"),
    ({"w": np.ones(2)}, {"w": np.array(["a", "b"])}, TypeError, r"grads\['w'\] must be a real"),
    ({"w": np.ones(2)}, {"w": np.ones(3)}, ValueError, r"shape \(3,\) and params\['w'\] shape"),
    ({"w": np.ones(2)}, {"w": 1.0}, ValueError, r"grads\['w'\] shape \(\)"),
    ({"w": np.ones(2)}, {"w": [np.nan, 0.0]}, ValueError, r"grads\['w'\] contains 1 NaN"),
    ({"w": np.ones(2)}, {"w": [-np.inf, 0.0]}, ValueError, r"grads\['w'\] contains 1 NaN"),
    ({"w": np.ones(2)}, {"w": [1e200, 0.0]}, ValueError, "must not exceed 6.7e"),
    ({"w": np.ones(2, np.float32)}, {"w": [1e20, 0.0]}, ValueError, "9.22e.* float32"),
])
def test_adam_step_checks_before_it_updates(params, grads, error, message):
    """Every bad argument is named, and nothing moves: not the parameters, not the step."""
    before = {k: np.copy(v) for k, v in params.items()} if isinstance(params, dict) else None
    other = {"a": np.zeros(3)}
    adam = Adam(0.1)
    if isinstance(params, dict) and isinstance(grads, dict):
        params, grads = {"a": other["a"], **params}, {"a": np.ones(3), **grads}
    with pytest.raises(error, match=message):
        adam.step(params, grads)
    assert adam.t == 0 and not adam._m
    assert_array_equal(other["a"], 0.0)  # checked before the first update, in any order
    if before is not None:
        for k, v in before.items():
            assert_array_equal(params[k], v)


def test_adam_step_read_only_parameter_and_largest_gradient():
    frozen = np.ones(2)
    frozen.flags.writeable = False
    with pytest.raises(ValueError, match=r"params\['w'\] is read-only"):
        Adam().step({"w": frozen}, {"w": np.ones(2)})
    for dtype in (np.float64, np.float32):  # the limit itself is accepted and stays finite
        theta = np.ones(3, dtype)
        limit = float(np.sqrt(np.finfo(dtype).max)) / 2
        adam = Adam(0.1)
        for _ in range(3):
            adam.step({"w": theta}, {"w": np.array([limit, -limit, 0.0])})
        assert np.all(np.isfinite(theta)) and np.all(np.isfinite(adam._v["w"]))
        assert_allclose(theta, np.array([0.7, 1.3, 1.0], dtype), rtol=1e-5)


def test_train_validation():
    rng = np.random.default_rng(13)
    x, y = rng.standard_normal((4, 2, 3, 3)), rng.integers(0, 2, (4, 3, 3))
    model = PixelLogisticRegression(2)
    ce = _cross_entropy
    with pytest.raises(TypeError, match="loss must be callable"):
        train(model, x, y, loss="dice", steps=1)
    with pytest.raises(ValueError, match="exactly one of steps and epochs"):
        train(model, x, y, loss=ce)
    with pytest.raises(ValueError, match="exactly one of steps and epochs"):
        train(model, x, y, loss=ce, steps=1, epochs=1)
    with pytest.raises(ValueError, match="steps must be an int >= 1"):
        train(model, x, y, loss=ce, steps=0)
    with pytest.raises(ValueError, match="batch_size must be an int >= 1"):
        train(model, x, y, loss=ce, steps=1, batch_size=0)
    with pytest.raises(ValueError, match="lr must lie in"):
        train(model, x, y, loss=ce, steps=1, lr=-1.0)
    with pytest.raises(ValueError, match=r"targets must have shape \(N, \*spatial\)"):
        train(model, x, y[:3], loss=ce, steps=1)
    with pytest.raises(ValueError, match=r"targets must have shape"):
        train(model, x, y[:, :2], loss=ce, steps=1)
    with pytest.raises(ValueError, match="in_channels=2"):
        train(model, x[:, :1], y, loss=ce, steps=1)
    with pytest.raises(TypeError, match="loss_options must be a dict"):
        train(model, x, y, loss=ce, steps=1, loss_options=[1])
    with pytest.raises(TypeError, match="optimizer must be an Adam"):
        train(model, x, y, loss=ce, steps=1, optimizer="sgd")
    with pytest.raises(TypeError, match=r"loss must return a pair \(value, grad\)"):
        train(model, x, y, loss=lambda s, t, **kw: 1.0, steps=1)
    with pytest.raises(TypeError, match=r"loss must return a scalar value, got shape \(2,\)"):
        train(model, x, y, loss=lambda s, t, **kw: (np.ones(2), s), steps=1)
    with pytest.raises(ValueError, match="gradient of shape"):
        train(model, x, y, loss=lambda s, t, **kw: (1.0, s[:, 0]), steps=1)
    with pytest.raises(ValueError, match="non-finite value or gradient at step 0"):
        train(model, x, y, loss=lambda s, t, **kw: (np.nan, s), steps=1)
    with pytest.raises(TypeError, match="unexpected keyword"):
        train(model, x, y, loss=ce, steps=1, loss_options={"smooth": 1.0})


def test_train_passes_loss_options_and_one_hot_targets():
    seen = []

    def recording_loss(scores, target, *, from_logits=True, return_grad=True, **options):
        seen.append((target.shape, options, from_logits, return_grad))
        return 0.0, np.zeros_like(scores)

    x = np.zeros((3, 1, 2, 2))
    one_hot = np.zeros((3, 1, 2, 2))
    train(PixelLogisticRegression(1), x, one_hot, loss=recording_loss, steps=2, batch_size=2,
          loss_options={"smooth": 0.5})
    assert seen == [((2, 1, 2, 2), {"smooth": 0.5}, True, True),
                    ((1, 1, 2, 2), {"smooth": 0.5}, True, True)]


def test_backward_uses_the_weights_of_its_forward_pass():
    """Adam updates parameter arrays in place; a backward function computed before an
    update must still return the gradient at the forward pass's weights."""
    rng = np.random.default_rng(14)
    model = TinyCNN(1, 1, hidden=3, out_kernel_size=3)
    x = rng.standard_normal((2, 1, 5, 5))
    g = rng.standard_normal((2, 1, 5, 5))
    _, backward = model.forward(x)
    expected = backward(g)
    _, backward = model.forward(x)
    for value in model.params.values():
        value += 1.0
    for key, value in backward(g).items():
        assert_array_equal(value, expected[key])


def test_models_is_a_submodule_of_seglab():
    import seglab

    assert "models" in seglab.__all__
    assert seglab.models.train is train
    assert set(seglab.models.__all__) == {
        "Adam", "FilterBank", "PixelLogisticRegression", "TinyCNN", "train", "tune_threshold"}
    for name in seglab.models.__all__:
        doc = getattr(seglab.models, name).__doc__
        assert "Examples" in doc, name


# ------------------------------------------------------------------ tune_threshold


def test_tune_threshold_is_the_best_of_all_thresholds():
    """Brute force over every cut, with ties in the scores."""
    rng = np.random.default_rng(0)
    for _ in range(50):
        scores = rng.integers(0, 6, size=30) / 5.0          # many ties
        target = rng.random(30) < 0.3
        t, best = tune_threshold(scores, target)
        grid = np.concatenate([[-np.inf], np.unique(scores)])
        brute = max(dice(scores > s, target, zero_division=1.0) for s in grid)
        assert_allclose(best, brute, atol=1e-12)
        assert_allclose(dice(scores > t, target, zero_division=1.0), best, atol=1e-12)


@pytest.mark.parametrize("scores", [
    [1.0, np.nextafter(1.0, 0.0)],          # adjacent floats: no float strictly between
    [1e16 + 2, 1e16],                       # the midpoint rounds onto the lower score
    [1.7e308, 1.6e308],                     # their sum overflows
    [1e308, -1e308],                        # their difference overflows
])
def test_tune_threshold_mask_is_the_reported_one_at_float_extremes(scores):
    """The returned threshold realises the reported best mask, even where the midpoint of the
    two scores around the cut is not representable."""
    target = np.array([1, 0])
    t, best = tune_threshold(scores, target)
    assert best == 1.0
    assert np.array_equal(np.asarray(scores) > t, [True, False])


def test_tune_threshold_does_not_mutate_and_validates():
    scores, target = np.array([0.3, 0.1, 0.7]), np.array([0, 1, 1])
    tune_threshold(scores, target)
    assert_allclose(scores, [0.3, 0.1, 0.7])
    with pytest.raises(ValueError, match="shape"):
        tune_threshold(scores, target[:2])
    with pytest.raises(ValueError, match="empty"):
        tune_threshold([], [])
    with pytest.raises(ValueError, match="finite"):
        tune_threshold([np.nan, 0.1, 0.2], target)
    with pytest.raises(ValueError, match="binary"):
        tune_threshold(scores, [0, 2, 1])


@pytest.mark.parametrize("scale", [2.0**-900, 1e300])
def test_filter_bank_fit_is_scale_equivariant(scale):
    """The statistics scale with the images (no overflow of the squares at 1e300), so the
    standardised features do not change."""
    images = np.random.default_rng(1).normal(size=(2, 12, 12))
    bank, scaled = FilterBank((1.0,), max_order=1), FilterBank((1.0,), max_order=1)
    bank.fit(images)
    scaled.fit(images * scale)
    assert_allclose(scaled.mean_, bank.mean_ * scale, rtol=1e-12)
    assert_allclose(scaled.std_, bank.std_ * scale, rtol=1e-12)
    assert_allclose(scaled.transform(images * scale), bank.transform(images), atol=1e-12)


def test_model_and_train_bounds():
    with pytest.raises(ValueError, match="in_channels"):
        PixelLogisticRegression(2**40)
    with pytest.raises(ValueError, match="hidden"):
        TinyCNN(1, hidden=1025)
    x = np.zeros((2, 1, 4, 4))
    y = np.zeros((2, 4, 4), int)

    def loss(s, t, *, from_logits=True, return_grad=True):
        return float(np.mean(s**2)), 2 * s / s.size

    with pytest.raises(ValueError, match="steps"):
        train(PixelLogisticRegression(1), x, y, loss=loss, steps=2**40)
    x[0, 0, 0, 0] = 1e300
    with pytest.raises(ValueError, match="inputs"):
        train(PixelLogisticRegression(1), x, y, loss=loss, steps=1)
