"""seglab.losses: gradients against central finite differences, closed forms, validation.

Every loss is checked, with logits and with probabilities, binary (C = 1) and with K = 3
classes, hard and (where defined) soft targets: its closed-form gradient equals central
finite differences of its value on random inputs drawn by hypothesis. Probabilities of
K classes must sum to 1, so there the check is along the directions e_c - e_c' of one
pixel, which keep the sum; the sympy tests (test_losses_sympy.py) check the full partial
derivatives.
"""

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st
from scipy import ndimage

import seglab
from seglab import losses

SHAPE = (2, 3, 4)  # (N, *spatial)


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def _softmax(x):
    e = np.exp(x - x.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _weights(c):
    return np.linspace(0.5, 2.0, 2 if c == 1 else c)


# (loss, options as a function of C, needs hard target, binary only)
CASES = [
    ("cross_entropy", lambda c: {}, False, False),
    ("cross_entropy", lambda c: {"class_weights": _weights(c),
                                 "weight_map": np.linspace(0.5, 3.0, 24).reshape(SHAPE),
                                 "reduction": "weighted_mean"}, False, False),
    ("cross_entropy", lambda c: {"pos_weight": 3.0} if c == 1 else {"reduction": "sum"},
     False, False),
    ("focal_loss", lambda c: {}, False, False),
    ("focal_loss", lambda c: {"gamma": 0.5, "alpha": 0.3}, False, False),
    ("focal_loss", lambda c: {"gamma": 3.0, "alpha": _weights(c)}, False, False),
    ("soft_dice_loss", lambda c: {}, False, False),
    ("soft_dice_loss", lambda c: {"squared": True, "pooling": "batch", "smooth_nr": 0.1,
                                  "smooth_dr": 0.2}, False, False),
    ("soft_dice_loss", lambda c: {"absent": "exclude"}, False, False),
    ("soft_jaccard_loss", lambda c: {}, False, False),
    ("soft_jaccard_loss", lambda c: {"pooling": "batch", "absent": "zero", "smooth_nr": 1.0,
                                     "smooth_dr": 1.0}, False, False),
    ("tversky_loss", lambda c: {"alpha": 0.3, "beta": 0.7}, False, False),
    ("tversky_loss", lambda c: {"alpha": 1.5, "beta": 0.2, "pooling": "batch"}, False, False),
    ("focal_tversky_loss", lambda c: {}, False, False),
    ("focal_tversky_loss", lambda c: {"gamma": 0.5, "pooling": "batch"}, False, False),
    ("generalized_dice_loss", lambda c: {}, False, False),
    ("generalized_dice_loss", lambda c: {"weight_type": "simple", "pooling": "batch",
                                         "absent_weight": "zero", "smooth_nr": 0.1}, False, False),
    ("jaccard_metric_loss", lambda c: {}, False, False),
    ("jaccard_metric_loss", lambda c: {"pooling": "batch", "smooth_nr": 0.5, "smooth_dr": 0.5},
     False, False),
    ("log_cosh_dice_loss", lambda c: {"squared": True}, False, False),
    ("lovasz_softmax", lambda c: {}, True, False),
    ("lovasz_softmax", lambda c: {"pooling": "batch", "absent": "include"}, True, False),
    ("lovasz_hinge", lambda c: {}, True, True),
    ("lovasz_hinge", lambda c: {"pooling": "batch"}, True, True),
    ("boundary_loss", lambda c: {}, True, False),
    ("boundary_loss", lambda c: {"include_background": True, "spacing": (1.0, 2.0)}, True,
     False),
    ("hausdorff_dt_loss", lambda c: {}, True, False),
    ("hausdorff_dt_loss", lambda c: {"alpha": 1.0, "include_background": True}, True, False),
]
PARAMS = [pytest.param(name, opts, hard, binary, id=f"{name}-{i}")
          for i, (name, opts, hard, binary) in enumerate(CASES)]
CLASSES = [1, 3]


def make_inputs(seed, c, from_logits, soft):
    """Random scores and targets: logits N(0, 1.5^2), labels uniform, soft labels Dirichlet."""
    rng = np.random.default_rng(seed)
    x = rng.normal(scale=1.5, size=(SHAPE[0], c, *SHAPE[1:]))
    if from_logits:
        scores = x
    else:
        scores = _sigmoid(x) if c == 1 else _softmax(x)
    if soft:
        if c == 1:
            target = rng.uniform(size=(SHAPE[0], 1, *SHAPE[1:]))
        else:
            target = np.moveaxis(rng.dirichlet(np.ones(c), size=SHAPE), -1, 1)
    else:
        target = rng.integers(0, max(c, 2), size=SHAPE)
    return scores, target


def value(name, scores, target, from_logits, opts):
    return getattr(losses, name)(scores, target, from_logits=from_logits, **opts)


def _probs(name, scores, c, from_logits):
    if not from_logits:
        return scores
    return _sigmoid(scores) if c == 1 else _softmax(scores)


def _away_from_kinks(name, scores, target, c, from_logits, opts):
    """Keep FD steps away from the loss's non-differentiable points."""
    if name.startswith("lovasz"):
        # ties in the sorted errors: compare every pair of errors within a unit
        p = _probs(name, scores, c, from_logits)
        if name == "lovasz_hinge":
            x = scores if from_logits else np.log(scores / (1 - scores))
            err = 1 - x * (2 * target[:, None] - 1)
        else:
            g = target if target.ndim == p.ndim else (
                target[:, None] == np.arange(max(c, 2))[:c, None, None]).astype(float)
            err = np.abs(g - p)
        flat = np.sort(err.reshape(-1))
        assume(np.min(np.diff(flat)) > 1e-4)
        assume(np.min(np.abs(err)) > 1e-4)
    if name == "hausdorff_dt_loss":
        assume(np.min(np.abs(_probs(name, scores, c, from_logits) - 0.5)) > 1e-4)


def _derivative(f, h):
    """Richardson-extrapolated central difference of ``f`` at 0, error O(h^4).

    ``(4 D(h/2) - D(h)) / 3`` with ``D(h) = (f(h) - f(-h)) / (2h)`` cancels the h^2 term of the
    central difference, so the reference stays accurate where the loss has large higher
    derivatives (log p near p = 0).
    """
    def central(step):
        return (f(step) - f(-step)) / (2 * step)

    return (4 * central(h / 2) - central(h)) / 3


def _step(touched):
    """A finite-difference step that stays small relative to the probabilities it moves."""
    return min(1e-6, 1e-2 * float(np.min(np.minimum(touched, 1 - touched))))


def _fd_check(name, scores, target, from_logits, opts, c, rng):
    val, grad = getattr(losses, name)(scores, target, from_logits=from_logits,
                                      return_grad=True, **opts)
    assert grad.shape == scores.shape and grad.dtype == np.float64
    assert val == pytest.approx(value(name, scores, target, from_logits, opts), abs=0)

    def moved(direction, t):
        return value(name, scores + t * direction, target, from_logits, opts)

    if from_logits or c == 1:
        fd = np.empty_like(scores)
        for idx in np.ndindex(scores.shape):
            direction = np.zeros_like(scores)
            direction[idx] = 1.0
            h = 1e-6 if from_logits else _step(scores[idx])
            fd[idx] = _derivative(lambda t, d=direction: moved(d, t), h)
        np.testing.assert_allclose(grad, fd, rtol=1e-5, atol=1e-7)
        return
    # K-class probabilities: directions e_a - e_b at a few pixels keep the sum at 1
    for _ in range(8):
        n, i, j = (rng.integers(s) for s in SHAPE)
        a, b = rng.choice(c, size=2, replace=False)
        direction = np.zeros_like(scores)
        direction[n, a, i, j] = 1.0
        direction[n, b, i, j] = -1.0
        h = _step(scores[n, [a, b], i, j])
        fd = _derivative(lambda t, d=direction: moved(d, t), h)
        np.testing.assert_allclose(grad[n, a, i, j] - grad[n, b, i, j], fd, rtol=1e-5,
                                   atol=1e-7)


@pytest.mark.parametrize(("name", "make_opts", "hard", "binary_only"), PARAMS)
@pytest.mark.parametrize("c", CLASSES)
@pytest.mark.parametrize("from_logits", [True, False])
@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(seed=st.integers(0, 2**32 - 1), soft=st.booleans())
# CI failure of 2026-11-27: a probability of 2e-4 made the plain central difference (h = 1e-6)
# of the focal loss 1.1e-5 off in relative terms; the reference is now Richardson-extrapolated
# with a step relative to the probabilities it moves.
@example(seed=8770, soft=True)
def test_gradient_matches_finite_differences(name, make_opts, hard, binary_only, c, from_logits,
                                              seed, soft):
    if binary_only and c != 1:
        pytest.skip("binary loss")
    soft = soft and not hard
    scores, target = make_inputs(seed, c, from_logits, soft)
    if name == "lovasz_hinge" and not from_logits:
        assume(np.all((scores > 1e-3) & (scores < 1 - 1e-3)))
    _away_from_kinks(name, scores, target, c, from_logits, make_opts(c))
    _fd_check(name, scores, target, from_logits, make_opts(c), c, np.random.default_rng(seed))


@pytest.mark.parametrize(("name", "make_opts", "hard", "binary_only"), PARAMS)
@pytest.mark.parametrize("c", CLASSES)
def test_no_input_mutation(name, make_opts, hard, binary_only, c):
    if binary_only and c != 1:
        pytest.skip("binary loss")
    for from_logits in (True, False):
        scores, target = make_inputs(0, c, from_logits, soft=False)
        opts = make_opts(c)
        arrays = [scores, target] + [v for v in opts.values() if isinstance(v, np.ndarray)]
        copies = [a.copy() for a in arrays]
        for a in arrays:
            a.flags.writeable = False
        value(name, scores, target, from_logits, dict(opts, return_grad=True))
        for a, copy in zip(arrays, copies, strict=True):
            np.testing.assert_array_equal(a, copy)


@pytest.mark.parametrize(("name", "make_opts", "hard", "binary_only"), PARAMS)
def test_label_map_equals_one_hot(name, make_opts, hard, binary_only):
    """An integer label map and its one-hot array give the same value and gradient."""
    c = 1 if binary_only else 3
    scores, labels = make_inputs(1, c, True, soft=False)
    onehot = (labels[:, None] == np.arange(c)[:, None, None]) if c > 1 else labels[:, None]
    f = getattr(losses, name)
    v1, g1 = f(scores, labels, return_grad=True, **make_opts(c))
    v2, g2 = f(scores, onehot.astype(float), return_grad=True, **make_opts(c))
    assert v1 == pytest.approx(v2, rel=1e-13, abs=1e-15)
    np.testing.assert_allclose(g1, g2, rtol=1e-13, atol=1e-15)


# --------------------------------------------------------------------------
# Closed forms


@given(seed=st.integers(0, 2**32 - 1))
@settings(max_examples=25, deadline=None)
def test_soft_dice_on_binary_prediction_is_dice(seed):
    rng = np.random.default_rng(seed)
    pred = rng.integers(0, 2, size=(1, 5, 6))
    target = rng.integers(0, 2, size=(1, 5, 6))
    assume(pred.any() or target.any())
    loss = losses.soft_dice_loss(pred[:, None].astype(float), target, from_logits=False)
    assert loss == pytest.approx(1 - seglab.dice(pred, target), abs=1e-12)
    for f in (losses.soft_jaccard_loss, losses.jaccard_metric_loss, losses.lovasz_softmax):
        loss = f(pred[:, None].astype(float), target, from_logits=False)
        assert loss == pytest.approx(1 - seglab.iou(pred, target), abs=1e-12)


@given(seed=st.integers(0, 2**32 - 1), c=st.sampled_from([1, 3]))
@settings(max_examples=25, deadline=None)
def test_special_cases_of_the_family(seed, c):
    scores, target = make_inputs(seed, c, True, soft=False)
    ce = losses.cross_entropy(scores, target, return_grad=True)
    focal0 = losses.focal_loss(scores, target, gamma=0.0, return_grad=True)
    dice = losses.soft_dice_loss(scores, target, return_grad=True)
    tv = losses.tversky_loss(scores, target, alpha=0.5, beta=0.5, return_grad=True)
    ftv = losses.focal_tversky_loss(scores, target, alpha=0.5, beta=0.5, gamma=1.0,
                                    return_grad=True)
    jac = losses.soft_jaccard_loss(scores, target, return_grad=True)
    tv11 = losses.tversky_loss(scores, target, alpha=1.0, beta=1.0, return_grad=True)
    for a, b in ((ce, focal0), (dice, tv), (dice, ftv), (jac, tv11)):
        assert a[0] == pytest.approx(b[0], abs=1e-12)
        np.testing.assert_allclose(a[1], b[1], atol=1e-12)
    # generalized Dice with uniform weights on one class is soft Dice of that class, on
    # images with foreground (without, every weight is 0: a declared loss of 0)
    if c == 1 and all(target[n].any() for n in range(len(target))):
        gdl = losses.generalized_dice_loss(scores, target, weight_type="uniform",
                                           return_grad=True)
        np.testing.assert_allclose(gdl[1], dice[1], atol=1e-12)
        assert gdl[0] == pytest.approx(dice[0], abs=1e-12)


def test_cross_entropy_closed_forms():
    # binary, logit 0: log 2 per pixel; pos_weight w: (w + 1)/2 log 2 with balanced labels
    x = np.zeros((1, 1, 4))
    y = np.array([[0, 1, 0, 1]])
    assert losses.cross_entropy(x, y) == pytest.approx(np.log(2))
    assert losses.cross_entropy(x, y, pos_weight=3.0) == pytest.approx(2 * np.log(2))
    assert losses.cross_entropy(x, y, class_weights=[1.0, 3.0], reduction="weighted_mean") == (
        pytest.approx(np.log(2)))
    # softmax on uniform logits: log K
    assert losses.cross_entropy(np.zeros((2, 5, 3)), np.zeros((2, 3), int)) == pytest.approx(
        np.log(5))
    # a zero probability on the true class is an infinite loss, with no warning
    p = np.array([[[0.0, 1.0]]])
    assert losses.cross_entropy(p, np.array([[1, 1]]), from_logits=False) == np.inf


def test_focal_loss_closed_forms():
    # gamma = 2, logit 0: (1/2)^2 log 2; alpha on the positive class
    x = np.zeros((1, 1, 2))
    y = np.array([[1, 1]])
    assert losses.focal_loss(x, y) == pytest.approx(0.25 * np.log(2))
    assert losses.focal_loss(x, y, alpha=0.25) == pytest.approx(0.0625 * np.log(2))
    # a confident correct pixel costs far less than under CE: (1-p)^gamma factor
    x = np.array([[[4.0]]])
    p = _sigmoid(4.0)
    assert losses.focal_loss(x, np.array([[1]])) == pytest.approx(-(1 - p) ** 2 * np.log(p))


def test_soft_dice_gradient_formula_and_empty_mask():
    """dSD/dp_i = (2/S)(g_i - SD/2); an empty target gives loss 1, zero gradient (no smoothing)
    and eps/(sum p + eps) with smoothing eps."""
    p = np.array([[[0.2, 0.7, 0.9, 0.4]]])
    g = np.array([[0, 1, 1, 0]])
    s = p.sum() + g.sum()
    sd = 2 * (p[0, 0] * g[0]).sum() / s
    _, grad = losses.soft_dice_loss(p, g, from_logits=False, return_grad=True)
    np.testing.assert_allclose(-grad[0, 0], 2 / s * (g[0] - sd / 2))
    empty = np.zeros((1, 4), int)
    val, grad = losses.soft_dice_loss(p, empty, from_logits=False, return_grad=True)
    assert val == 1.0 and not grad.any()
    eps = 0.5
    val = losses.soft_dice_loss(p, empty, from_logits=False, smooth_nr=eps, smooth_dr=eps)
    assert val == pytest.approx(1 - eps / (p.sum() + eps))


def test_absent_conventions():
    """A class absent from an image: kept (formula), zeroed (smp) or excluded from the mean."""
    p = np.array([[[0.2, 0.7]], [[0.6, 0.1]]])
    g = np.array([[0, 1], [0, 0]])  # image 1 has no foreground
    first = 1 - 2 * 0.7 / (0.9 + 1)
    assert losses.soft_dice_loss(p, g, from_logits=False) == pytest.approx((first + 1) / 2)
    assert losses.soft_dice_loss(p, g, from_logits=False, absent="zero") == pytest.approx(
        first / 2)
    assert losses.soft_dice_loss(p, g, from_logits=False, absent="exclude") == pytest.approx(
        first)
    # nothing present anywhere: the mean over no unit is 0
    assert losses.soft_dice_loss(p, 0 * g, from_logits=False, absent="exclude") == 0.0
    # prediction and target both empty, no smoothing: a perfect score
    val, grad = losses.soft_dice_loss(np.zeros((1, 1, 3)), np.zeros((1, 3), int),
                                      from_logits=False, return_grad=True)
    assert val == 0.0 and not grad.any()


def test_generalized_dice_absent_class_weight():
    p = np.array([[[0.7, 0.6], [0.2, 0.3], [0.1, 0.1]]])  # class 2 absent from target
    g = np.array([[0, 1]])
    gz = losses.generalized_dice_loss(p, g, from_logits=False, absent_weight="zero")
    gm = losses.generalized_dice_loss(p, g, from_logits=False, absent_weight="max")
    # zero: classes 0 and 1 only, weights 1
    num, den = 2 * (0.7 + 0.3), (1.3 + 1) + (0.5 + 1)
    assert gz == pytest.approx(1 - num / den)
    assert gm == pytest.approx(1 - num / (den + 0.2))  # class 2 weighted 1: its FP count


def test_generalized_dice_image_without_foreground():
    p = np.array([[[0.3, 0.6]]])
    empty = np.zeros((1, 2), int)
    val, grad = losses.generalized_dice_loss(p, empty, from_logits=False, return_grad=True)
    assert val == 0.0 and not grad.any()
    smoothed = losses.generalized_dice_loss(p, empty, from_logits=False, smooth_nr=1e-5,
                                            smooth_dr=2e-5)
    assert smoothed == pytest.approx(0.5)


def test_lovasz_equals_jaccard_on_hard_masks_and_is_convex_closure():
    """On {0,1} the Lovász extension equals the Jaccard loss; on [0,1]^p it lies below the
    piecewise-linear interpolation through the vertices of any chain (convexity)."""
    rng = np.random.default_rng(3)
    g = rng.integers(0, 2, size=(1, 12))
    for _ in range(20):
        m = rng.integers(0, 2, size=(1, 12))
        pred = np.where(m == 1, g, 1 - g)  # m selects correct pixels
        assert losses.lovasz_softmax(pred[:, None].astype(float), g, from_logits=False) == (
            pytest.approx(1 - seglab.iou(pred, g)))
    a, b = rng.uniform(size=(2, 1, 1, 12))
    f = [losses.lovasz_softmax(t * a + (1 - t) * b, g, from_logits=False)
         for t in (0.0, 0.3, 1.0)]
    assert f[1] <= 0.3 * f[2] + 0.7 * f[0] + 1e-12


def test_soft_labels_overlap_minimisers():
    """With target 1/2 everywhere, soft Dice and soft Jaccard decrease all the way to p = 1,
    while the Jaccard metric loss is 0 exactly at p = 1/2."""
    g = np.full((1, 1, 6), 0.5)
    grid = np.linspace(0.05, 1.0, 20)
    for f in (losses.soft_dice_loss, losses.soft_jaccard_loss):
        vals = [f(np.full_like(g, q), g, from_logits=False) for q in grid]
        assert np.all(np.diff(vals) < 0)
    vals = [losses.jaccard_metric_loss(np.full_like(g, q), g, from_logits=False) for q in grid]
    assert np.argmin(vals) == np.argmin(np.abs(grid - 0.5))
    assert losses.jaccard_metric_loss(g, g, from_logits=False) == 0.0


def test_lovasz_hinge_zero_beyond_margin():
    g = np.array([[1, 0, 1, 0]])
    x = np.array([[[1.5, -2.0, 3.0, -1.0]]])
    val, grad = losses.lovasz_hinge(x, g, return_grad=True)
    assert val == 0.0 and not grad.any()


def test_boundary_loss_identity():
    """L(S) - L(G) = mean over S xor G of |phi| for a hard prediction S."""
    g = np.zeros((1, 12, 12), int)
    g[0, 3:8, 4:10] = 1
    s = g.copy()
    s[0, 2:5, 2:6] = 1
    s[0, 7, 8] = 0
    phi = losses.signed_distance_map(g[0])
    diff = losses.boundary_loss(s[:, None].astype(float), g, from_logits=False) - (
        losses.boundary_loss(g[:, None].astype(float), g, from_logits=False))
    assert diff == pytest.approx(np.abs(phi)[s[0] != g[0]].sum() / g.size)


def test_signed_distance_map_against_brute_force():
    rng = np.random.default_rng(1)
    mask = rng.uniform(size=(7, 9)) < 0.3
    phi = losses.signed_distance_map(mask, spacing=(1.0, 2.0))
    pts = np.argwhere(np.ones_like(mask)) * np.array([1.0, 2.0])
    inside, outside = pts[mask.ravel()], pts[~mask.ravel()]
    for k, (pt, m) in enumerate(zip(pts, mask.ravel(), strict=True)):
        other = outside if m else inside
        d = np.sqrt(((other - pt) ** 2).sum(axis=1)).min()
        assert phi.ravel()[k] == pytest.approx(-d if m else d)
    assert not losses.signed_distance_map(np.zeros((3, 3), bool), fill=0.0).any()
    np.testing.assert_array_equal(losses.signed_distance_map(np.ones(4, int), fill=-1.0),
                                  -np.ones(4))


def test_hausdorff_dt_loss_zero_at_target_and_weights():
    g = np.zeros((1, 6, 6), int)
    g[0, 2:4, 1:5] = 1
    assert losses.hausdorff_dt_loss(g[:, None].astype(float), g, from_logits=False) == 0.0
    # one false positive far from the object costs more than one next to it
    near, far = g[:, None].astype(float), g[:, None].astype(float)
    near[0, 0, 1, 2] = 0.4
    far[0, 0, 5, 5] = 0.4
    assert losses.hausdorff_dt_loss(far, g, from_logits=False) > losses.hausdorff_dt_loss(
        near, g, from_logits=False)


def test_unet_weight_map_brute_force():
    t = np.zeros((1, 10, 12), int)
    t[0, 1:4, 1:4] = 1
    t[0, 1:4, 6:9] = 2
    t[0, 7:9, 2:10] = 1
    w = losses.unet_weight_map(t, w0=10, sigma=2, class_weights="balanced")
    comps, count = ndimage.label(t[0] > 0)
    assert count == 3
    pts = np.argwhere(np.ones((10, 12)))
    dists = np.stack([np.sqrt(((pts[:, None] - np.argwhere(comps == k)[None]) ** 2).sum(-1))
                      .min(axis=1) for k in range(1, 4)], axis=1)
    dists.sort(axis=1)
    border = 10 * np.exp(-(dists[:, 0] + dists[:, 1]) ** 2 / 8).reshape(10, 12)
    counts = np.bincount(t.ravel())
    wc = (t.size / (3 * counts))[t[0]]
    np.testing.assert_allclose(w[0], wc + border)
    # one object: no border term
    assert np.allclose(losses.unet_weight_map((t > 0) * (t == 2), w0=10), 1.0)


# --------------------------------------------------------------------------
# Validation


ALL = sorted({name for name, *_ in CASES})
GOOD_X = np.zeros((1, 3, 2, 2))
GOOD_Y = np.zeros((1, 2, 2), int)


@pytest.mark.parametrize("name", ALL)
def test_validation(name):
    f = getattr(losses, name)
    if name == "lovasz_hinge":
        x, y = np.zeros((1, 1, 2, 2)), GOOD_Y
    else:
        x, y = GOOD_X, GOOD_Y
    with pytest.raises(ValueError, match="target shape .* matches neither"):
        f(x, np.zeros((1, 3, 2), int))
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        f(np.zeros(3), np.zeros(3, int))
    with pytest.raises(ValueError, match="scores is empty"):
        f(np.zeros((0, 3, 2)), np.zeros((0, 2), int))
    bad = x.copy()
    bad[0, 0, 0, 0] = np.nan
    with pytest.raises(ValueError, match="scores contains 1 NaN"):
        f(bad, y)
    with pytest.raises(TypeError, match="scores must be a real numeric array"):
        f(x.astype(str), y)
    with pytest.raises(TypeError, match="target must be an integer or boolean label array"):
        f(x, y.astype(float))
    with pytest.raises(ValueError, match="target contains label"):
        f(x, y + x.shape[1] + (x.shape[1] == 1))
    with pytest.raises(ValueError, match="target contains label -1"):
        f(x, y - 1)
    with pytest.raises(ValueError, match="probabilities in"):
        f(x + 2.0, y, from_logits=False)
    if x.shape[1] > 1:
        with pytest.raises(ValueError, match="summing to 1 over axis 1"):
            f(x + 0.2, y, from_logits=False)
        with pytest.raises(ValueError, match="target must hold labels summing to 1"):
            f(x, np.ones(x.shape))
    with pytest.raises(ValueError, match=r"target must hold labels in \[0, 1\]"):
        f(x, np.full(x.shape, 1.5))
    with pytest.raises(TypeError, match="from_logits must be True or False"):
        f(x, y, from_logits=1)
    with pytest.raises(TypeError, match="return_grad must be True or False"):
        f(x, y, return_grad="yes")


@pytest.mark.parametrize("name", ["lovasz_softmax", "lovasz_hinge", "boundary_loss",
                                  "hausdorff_dt_loss"])
def test_hard_losses_reject_soft_targets(name):
    x = np.zeros((1, 1, 2, 2))
    with pytest.raises(ValueError, match="hard labels"):
        getattr(losses, name)(x, np.full(x.shape, 0.5))


@pytest.mark.parametrize(("name", "opts", "error", "message"), [
    ("cross_entropy", {"reduction": "avg"}, ValueError, "reduction must be one of"),
    ("cross_entropy", {"class_weights": [1.0, 2.0]}, ValueError, r"shape \(3,\)"),
    ("cross_entropy", {"class_weights": [1.0, -2.0, 1.0]}, ValueError, "non-negative"),
    ("cross_entropy", {"pos_weight": 2.0}, ValueError, "pos_weight applies to binary"),
    ("cross_entropy", {"weight_map": np.ones((2, 2))}, ValueError, "weight_map shape"),
    ("cross_entropy", {"weight_map": -np.ones((1, 2, 2))}, ValueError, "non-negative"),
    ("focal_loss", {"gamma": -1.0}, ValueError, "gamma must lie in"),
    ("focal_loss", {"alpha": 1.5}, ValueError, "alpha must lie in"),
    ("focal_loss", {"alpha": "0.2"}, TypeError, "alpha must be a real"),
    ("soft_dice_loss", {"pooling": "pixel"}, ValueError, "pooling must be one of"),
    ("soft_dice_loss", {"absent": "nan"}, ValueError, "absent must be one of"),
    ("soft_dice_loss", {"smooth_nr": -1.0}, ValueError, "smooth_nr must lie in"),
    ("soft_dice_loss", {"squared": 1}, TypeError, "squared must be True or False"),
    ("tversky_loss", {"alpha": np.nan}, ValueError, "alpha must not be NaN"),
    ("focal_tversky_loss", {"gamma": 0.0}, ValueError, "gamma must lie in"),
    ("generalized_dice_loss", {"weight_type": "cube"}, ValueError, "weight_type must be one"),
    ("generalized_dice_loss", {"absent_weight": "include"}, ValueError,
     "absent_weight must be one of"),
    ("lovasz_softmax", {"pooling": None}, ValueError, "pooling must be one of"),
    ("boundary_loss", {"distance_map": np.ones((1, 3, 2))}, ValueError, "distance_map shape"),
    ("boundary_loss", {"spacing": (1.0, 0.0)}, ValueError, "spacing must be positive"),
    ("boundary_loss", {"spacing": (1.0,)}, ValueError, "spacing must have one entry per axis"),
    ("hausdorff_dt_loss", {"alpha": 0.0}, ValueError, "alpha must lie in"),
    ("hausdorff_dt_loss", {"include_background": "no"}, TypeError, "include_background"),
])
def test_option_validation(name, opts, error, message):
    with pytest.raises(error, match=message):
        getattr(losses, name)(GOOD_X, GOOD_Y, **opts)


@pytest.mark.parametrize("name", ["boundary_loss", "hausdorff_dt_loss"])
def test_distance_losses_need_a_spatial_axis(name):
    with pytest.raises(ValueError, match="at least one spatial axis"):
        getattr(losses, name)(np.zeros((2, 1)), np.array([0, 1]))


def test_lovasz_hinge_specific_validation():
    with pytest.raises(ValueError, match="lovasz_hinge needs binary scores"):
        losses.lovasz_hinge(GOOD_X, GOOD_Y)
    with pytest.raises(ValueError, match="open interval"):
        losses.lovasz_hinge(np.zeros((1, 1, 2, 2)), GOOD_Y, from_logits=False)


def test_distance_helpers_validation():
    with pytest.raises(ValueError, match="mask must be a binary mask"):
        losses.signed_distance_map(np.array([0, 2]))
    with pytest.raises(TypeError, match="mask must be an integer or boolean"):
        losses.signed_distance_map(np.array([0.0, 1.0]))
    with pytest.raises(ValueError, match="mask is empty"):
        losses.signed_distance_map(np.zeros((0, 3), bool))
    with pytest.raises(ValueError, match="at least 2 dimension"):
        losses.unet_weight_map(np.array([0, 1]))
    with pytest.raises(ValueError, match="non-negative labels"):
        losses.unet_weight_map(np.array([[0, -1]]))
    with pytest.raises(ValueError, match="sigma must lie in"):
        losses.unet_weight_map(np.array([[0, 1]]), sigma=0.0)
    with pytest.raises(ValueError, match="connectivity must be an int"):
        losses.unet_weight_map(np.array([[0, 1]]), connectivity=2)
    with pytest.raises(ValueError, match="class_weights must have one weight per label"):
        losses.unet_weight_map(np.array([[0, 2]]), class_weights=[1.0, 1.0])
    with pytest.raises(ValueError, match="class_weights must be one of"):
        losses.unet_weight_map(np.array([[0, 1]]), class_weights="inverse")


def test_public_names_and_docstrings():
    """Every public loss is exported from seglab and documented in full (numpydoc sections),
    and the docstrings of the losses with peers name the peer call they reproduce."""
    assert set(losses.__all__) <= set(seglab.__all__)
    for name in losses.__all__:
        func = getattr(seglab, name)
        # (not an identity check: pytest's doctest run may import the module a second time)
        assert func.__qualname__ == name and func.__module__ == "seglab.losses"
        for section in ("Parameters", "Returns", "Raises", "Notes", "References", "Examples"):
            assert f"\n    {section}\n    ---" in func.__doc__, (name, section)
    peers = {"soft_dice_loss": ["MONAI 1.6", "segmentation_models_pytorch 0.6"],
             "soft_jaccard_loss": ["segmentation_models_pytorch 0.6"],
             "tversky_loss": ["MONAI 1.6", "segmentation_models_pytorch 0.6"],
             "focal_tversky_loss": ["segmentation_models_pytorch 0.6"],
             "generalized_dice_loss": ["MONAI 1.6"],
             "focal_loss": ["MONAI 1.6", "segmentation_models_pytorch 0.6"],
             "lovasz_softmax": ["segmentation_models_pytorch 0.6"],
             "lovasz_hinge": ["segmentation_models_pytorch 0.6"],
             "hausdorff_dt_loss": ["MONAI 1.6"],
             "cross_entropy": ["torch.nn.functional.cross_entropy"]}
    for name, names in peers.items():
        for peer in names:
            assert peer in " ".join(getattr(losses, name).__doc__.split()), (name, peer)


# --------------------------------------------------- closed forms on tiny inputs


def test_empty_mask_loss_closed_form_and_gradient():
    """Loss m/(m + eps); its derivative in m (each p_i) checked by central differences."""
    mass = np.geomspace(1e-3, 1e3, 50)
    for eps in (0.01, 1.0, 100.0):
        loss, grad = losses.empty_mask_loss(mass, eps)
        np.testing.assert_allclose(loss, mass / (mass + eps))
        h = 1e-6 * mass
        numeric = (losses.empty_mask_loss(mass + h, eps)[0]
                   - losses.empty_mask_loss(mass - h, eps)[0]) / (2 * h)
        np.testing.assert_allclose(grad, numeric, rtol=1e-5)
    assert losses.empty_mask_loss(5.0, 0.0) == (1.0, 0.0)
    assert all(np.isnan(losses.empty_mask_loss(0.0, 0.0)))
    with pytest.raises(ValueError, match="mass"):
        losses.empty_mask_loss(-1.0, 1.0)
    with pytest.raises(ValueError, match="eps"):
        losses.empty_mask_loss(1.0, -1.0)


@pytest.mark.parametrize("eps", [0.01, 1.0, 100.0])
def test_empty_mask_loss_is_soft_dice_on_an_empty_target(eps):
    """The closed form against soft_dice_loss (smooth_nr = smooth_dr = eps) on one image."""
    rng = np.random.default_rng(0)
    p = rng.random((1, 1, 6, 7)) * 0.3
    target = np.zeros((1, 6, 7), dtype=int)
    value, grad = losses.soft_dice_loss(p, target, from_logits=False, return_grad=True,
                                        smooth_nr=eps, smooth_dr=eps)
    loss, per_pixel = losses.empty_mask_loss(p.sum(), eps)
    assert value == pytest.approx(loss, rel=1e-12)
    np.testing.assert_allclose(grad, per_pixel, rtol=1e-12)


@pytest.mark.parametrize("alpha, beta", [(0.3, 0.7), (0.5, 0.5), (1.0, 1.0), (0.9, 0.1)])
def test_tversky_pair_loss_matches_seglab_losses(alpha, beta):
    rng = np.random.default_rng(0)
    p1, p2 = rng.random(50), rng.random(50)
    loss, g1, g2 = losses.tversky_pair_loss(p1, p2, alpha=alpha, beta=beta,
                                                  return_grad=True)
    for k in range(5):
        scores = np.array([[[p1[k], p2[k]]]])
        value, grad = losses.tversky_loss(scores, np.array([[1, 0]]), from_logits=False,
                                          return_grad=True, alpha=alpha, beta=beta)
        assert loss[k] == pytest.approx(value)
        np.testing.assert_allclose(grad[0, 0], [g1[k], g2[k]], rtol=1e-12)
    # closed-form derivatives of the docstring
    den = p1 + alpha * p2 + beta * (1 - p1)
    np.testing.assert_allclose(g1, -(alpha * p2 + beta) / den**2, rtol=1e-10)
    np.testing.assert_allclose(g2, alpha * p1 / den**2, rtol=1e-10)


def test_tversky_pair_level_sets_are_lines_through_a_point():
    alpha, beta = 0.3, 0.7
    # every line through (0, -beta/alpha) is a level set: points on it share the loss
    for slope in (1.0, 3.0, 10.0):
        p1 = np.linspace(0.05, 0.3, 5)
        p2 = -beta / alpha + slope * p1
        inside = (p2 >= 0) & (p2 <= 1)
        if inside.sum() >= 2:
            values = losses.tversky_pair_loss(p1[inside], p2[inside], alpha=alpha,
                                                    beta=beta)
            assert np.ptp(values) < 1e-12


@pytest.mark.parametrize("alpha, beta", [(0.3, 0.7), (0.7, 0.1), (0.5, 0.9), (0.3, 1.5)])
def test_tversky_pair_level_sets_quasi_convex_not_convex(alpha, beta):
    """The docstring's geometry, on many points: the line through (0, -beta/alpha) and any
    point of the square is a level set; the loss is quasi-convex but not convex."""
    rng = np.random.default_rng(1)
    apex = np.array([0.0, -beta / alpha])
    for point in rng.random((20, 2)) * 0.9 + 0.05:
        # points of the segment from `point` away from the apex, kept inside the square
        s = np.linspace(0.0, 1.0, 50)
        line = point + s[:, None] * (point - apex) * 0.2
        line = line[np.all((line >= 0) & (line <= 1), axis=1)]
        values = losses.tversky_pair_loss(line[:, 0], line[:, 1], alpha=alpha, beta=beta)
        assert np.ptp(values) < 1e-12
    # quasi-convex: on every segment the loss stays below its larger end value
    a, b = rng.random((200, 2)), rng.random((200, 2))
    la = losses.tversky_pair_loss(a[:, 0], a[:, 1], alpha=alpha, beta=beta)
    lb = losses.tversky_pair_loss(b[:, 0], b[:, 1], alpha=alpha, beta=beta)
    for t in np.linspace(0, 1, 11):
        m = (1 - t) * a + t * b
        lm = losses.tversky_pair_loss(m[:, 0], m[:, 1], alpha=alpha, beta=beta)
        assert np.all(lm <= np.maximum(la, lb) + 1e-12)
    # not convex: strictly concave in p2 at fixed p1 > 0 (midpoint above the chord)
    l0, l1, lmid = (losses.tversky_pair_loss(0.5, q, alpha=alpha, beta=beta)
                    for q in (0.0, 1.0, 0.5))
    assert lmid > (l0 + l1) / 2 + 1e-6


def test_tversky_pair_loss_no_mutation_and_minimum():
    p1 = np.array([0.2, 1.0])
    p2 = np.array([0.5, 0.0])
    before = (p1.copy(), p2.copy())
    loss = losses.tversky_pair_loss(p1, p2, alpha=0.5, beta=0.5)
    assert loss[1] == 0.0 and loss[0] > 0
    np.testing.assert_allclose(p1, before[0])
    np.testing.assert_allclose(p2, before[1])


@pytest.mark.parametrize("kwargs, match", [
    ({"alpha": 0.0, "beta": 0.5}, "alpha"),
    ({"alpha": 0.5, "beta": -1.0}, "beta"),
])
def test_tversky_pair_loss_validation(kwargs, match):
    with pytest.raises(ValueError, match=match):
        losses.tversky_pair_loss(0.5, 0.5, **kwargs)


def test_tversky_pair_loss_probability_range():
    with pytest.raises(ValueError, match="p_bg"):
        losses.tversky_pair_loss(0.5, 1.5, alpha=0.5, beta=0.5)
