"""seglab.losses: void pixels (``ignore_index``) and independent channels (``multilabel``).

Void pixels: on an image whose last column is void, every loss (every pooling, reduction
and ``absent`` mode) has the value and the gradient of the image without that column, and
the gradient of the void pixels is exactly 0. For the distance losses the void pixels are
in neither set, so a void border gives the distances of the cropped image.

Multilabel: each channel is an independent binary problem; the loss is checked against
the ``C = 1`` loss of each channel, against the K-class loss on simplex inputs where the
two agree, against closed forms and against finite differences.
"""

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from seglab import losses

N, H, W = 2, 4, 5
VOID = 255


def _softmax(x):
    e = np.exp(x - x.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def _scores(rng, c, from_logits, multilabel=False):
    x = rng.normal(scale=1.5, size=(N, c, H, W))
    if from_logits:
        return x
    return _sigmoid(x) if c == 1 or multilabel else _softmax(x)


# (loss, options, hard target only, binary only); every pooling / reduction / absent mode
CASES = [
    ("cross_entropy", {}, False, False),
    ("cross_entropy", {"reduction": "sum"}, False, False),
    ("cross_entropy", {"reduction": "weighted_mean", "weight_map": "map"}, False, False),
    ("cross_entropy", {"reduction": "weighted_mean", "class_weights": "class"}, False, False),
    ("cross_entropy", {"weight_map": "map"}, False, False),
    ("focal_loss", {}, False, False),
    ("focal_loss", {"gamma": 0.5, "alpha": 0.3, "reduction": "sum"}, False, False),
    ("soft_dice_loss", {}, False, False),
    ("soft_dice_loss", {"squared": True, "pooling": "batch", "smooth_nr": 0.1,
                        "smooth_dr": 0.2}, False, False),
    ("soft_dice_loss", {"absent": "exclude"}, False, False),
    ("soft_dice_loss", {"absent": "zero", "pooling": "batch"}, False, False),
    ("soft_jaccard_loss", {}, False, False),
    ("soft_jaccard_loss", {"pooling": "batch", "absent": "zero", "smooth_nr": 1.0,
                           "smooth_dr": 1.0}, False, False),
    ("tversky_loss", {"alpha": 0.3, "beta": 0.7, "absent": "exclude"}, False, False),
    ("focal_tversky_loss", {}, False, False),
    ("focal_tversky_loss", {"gamma": 0.5, "pooling": "batch"}, False, False),
    ("jaccard_metric_loss", {}, False, False),
    ("jaccard_metric_loss", {"pooling": "batch", "absent": "exclude"}, False, False),
    ("log_cosh_dice_loss", {"squared": True}, False, False),
    ("generalized_dice_loss", {}, False, False),
    ("generalized_dice_loss", {"weight_type": "simple", "pooling": "batch",
                               "absent_weight": "zero", "smooth_nr": 0.1}, False, False),
    ("lovasz_softmax", {}, True, False),
    ("lovasz_softmax", {"pooling": "batch", "absent": "include"}, True, False),
    ("lovasz_hinge", {}, True, True),
    ("lovasz_hinge", {"pooling": "batch", "absent": "exclude"}, True, True),
    ("boundary_loss", {}, True, False),
    ("boundary_loss", {"include_background": True, "spacing": (1.0, 2.0)}, True, False),
    ("hausdorff_dt_loss", {}, True, False),
    ("hausdorff_dt_loss", {"alpha": 1.0, "include_background": True, "spacing": 0.5}, True,
     False),
]
PARAMS = [pytest.param(name, opts, hard, binary, id=f"{name}-{i}")
          for i, (name, opts, hard, binary) in enumerate(CASES)]
ALL = sorted({name for name, *_ in CASES})


def _options(opts, c, width, multilabel=False):
    """Concrete options: the weight map has the image width, class weights one per class."""
    out = dict(opts)
    if out.get("weight_map") == "map":
        out["weight_map"] = np.linspace(0.5, 3.0, N * H * W).reshape(N, H, W)[..., :width]
    if out.get("class_weights") == "class":
        out["class_weights"] = np.linspace(0.5, 2.0, 2 if c == 1 or multilabel else c)
    return out


def _call(name, scores, target, from_logits, opts, **extra):
    return getattr(losses, name)(scores, target, from_logits=from_logits, return_grad=True,
                                 **opts, **extra)


@pytest.mark.parametrize(("name", "opts", "hard", "binary_only"), PARAMS)
@pytest.mark.parametrize("c", [1, 3])
@pytest.mark.parametrize("from_logits", [True, False])
@pytest.mark.parametrize("seed", [0, 1])
def test_void_column_equals_cropped_image(name, opts, hard, binary_only, c, from_logits,
                                          seed):
    """Acceptance: a void last column gives the loss and gradient of the cropped image."""
    if binary_only and c != 1:
        pytest.skip("binary loss")
    rng = np.random.default_rng(seed)
    scores = _scores(rng, c, from_logits)
    target = rng.integers(0, max(c, 2), size=(N, H, W))
    target[..., -1] = VOID
    full = _call(name, scores, target, from_logits, _options(opts, c, W), ignore_index=VOID)
    crop = _call(name, scores[..., :-1], target[..., :-1], from_logits,
                 _options(opts, c, W - 1))
    assert full[0] == pytest.approx(crop[0], rel=1e-12, abs=1e-12)
    np.testing.assert_allclose(full[1][..., :-1], crop[1], rtol=1e-12, atol=1e-12)
    assert np.all(full[1][..., -1] == 0.0)


@pytest.mark.parametrize(("name", "opts", "hard", "binary_only"), PARAMS)
@pytest.mark.parametrize("from_logits", [True, False])
def test_void_column_multilabel(name, opts, hard, binary_only, from_logits):
    """The same with independent channels and void entries in the binary target."""
    rng = np.random.default_rng(5)
    c = 3
    scores = _scores(rng, c, from_logits, multilabel=True)
    target = rng.integers(0, 2, size=(N, c, H, W))
    target[..., -1] = VOID
    full = _call(name, scores, target, from_logits, _options(opts, c, W, True),
                 ignore_index=VOID, multilabel=True)
    crop = _call(name, scores[..., :-1], target[..., :-1], from_logits,
                 _options(opts, c, W - 1, True), multilabel=True)
    assert full[0] == pytest.approx(crop[0], rel=1e-12, abs=1e-12)
    np.testing.assert_allclose(full[1][..., :-1], crop[1], rtol=1e-12, atol=1e-12)
    assert np.all(full[1][..., -1] == 0.0)


@pytest.mark.parametrize("name", ALL)
@pytest.mark.parametrize("ignore_index", [VOID, -100, 0])
def test_void_scattered_pixels_have_zero_gradient(name, ignore_index):
    """Void pixels anywhere (also a label inside [0, C)) get exactly zero gradient, and
    changing their scores changes nothing."""
    rng = np.random.default_rng(2)
    c = 1 if name == "lovasz_hinge" else 3
    scores = rng.normal(size=(N, c, H, W))
    target = rng.integers(1 if ignore_index == 0 else 0, max(c, 2), size=(N, H, W))
    void = rng.uniform(size=target.shape) < 0.3
    target[void] = ignore_index
    value, grad = _call(name, scores, target, True, {}, ignore_index=ignore_index)
    assert np.all(grad.transpose(0, 2, 3, 1)[void] == 0.0)
    moved = scores + 5.0 * void[:, None]
    assert _call(name, moved, target, True, {}, ignore_index=ignore_index)[0] == (
        pytest.approx(value, rel=1e-12, abs=1e-12))


@pytest.mark.parametrize("name", ALL)
def test_all_void_is_zero(name):
    c = 1 if name == "lovasz_hinge" else 3
    scores = np.random.default_rng(3).normal(size=(N, c, H, W))
    target = np.full((N, H, W), VOID)
    value, grad = _call(name, scores, target, True, {}, ignore_index=VOID)
    assert value == 0.0 and not grad.any()


def test_void_distance_maps_exclude_void_pixels():
    """The boundary loss's map on non-void pixels: distance to the nearest non-void pixel of
    the other set. Here a void column separates two foreground blocks; the map of the image
    with it is the map with the void pixels in neither set, not background."""
    target = np.zeros((1, 3, 7), int)
    target[0, :, :3] = 1
    target[0, :, 3] = VOID
    onehot = np.zeros((1, 1, 3, 7))
    onehot[0, 0] = target[0] == 1
    x = onehot.copy()
    x[0, 0, :, 3] = 0.5
    _, grad = losses.boundary_loss(x, target, from_logits=False, return_grad=True,
                                   ignore_index=VOID)
    # column 2 is foreground, its nearest background is column 4 (two pixels away)
    expected = np.array([-4.0, -3.0, -2.0, 0.0, 2.0, 3.0, 4.0]) / 18
    np.testing.assert_allclose(grad[0, 0], np.tile(expected, (3, 1)))


# --------------------------------------------------------------------------
# Multilabel


MULTI = ["cross_entropy", "focal_loss", "soft_dice_loss", "soft_jaccard_loss", "tversky_loss",
         "focal_tversky_loss", "jaccard_metric_loss", "log_cosh_dice_loss",
         "generalized_dice_loss", "lovasz_softmax", "lovasz_hinge", "boundary_loss",
         "hausdorff_dt_loss"]
# losses whose multilabel value is the mean over channels of the C = 1 losses
PER_CHANNEL = [
    ("cross_entropy", {}), ("cross_entropy", {"pos_weight": 3.0}),
    ("cross_entropy", {"class_weights": [0.5, 2.0], "weight_map": "map"}),
    ("focal_loss", {}), ("focal_loss", {"gamma": 1.0, "alpha": 0.25}),
    ("soft_dice_loss", {}), ("soft_dice_loss", {"pooling": "batch", "squared": True}),
    ("soft_dice_loss", {"absent": "zero"}),
    ("soft_jaccard_loss", {"smooth_nr": 1.0, "smooth_dr": 1.0}),
    ("tversky_loss", {"alpha": 0.3, "beta": 0.7}),
    ("focal_tversky_loss", {"pooling": "batch"}),
    ("jaccard_metric_loss", {}),
    ("lovasz_softmax", {"absent": "include"}),
    ("lovasz_hinge", {}), ("lovasz_hinge", {"pooling": "batch"}),
    ("boundary_loss", {}), ("hausdorff_dt_loss", {}),
]


def _multilabel_inputs(seed, c=3, from_logits=True):
    rng = np.random.default_rng(seed)
    scores = _scores(rng, c, from_logits, multilabel=True)
    target = (rng.uniform(size=(N, c, H, W)) < 0.4).astype(int)
    target[:, 1] |= target[:, 0]  # overlapping regions, as BraTS's nested tumour regions
    return scores, target


@pytest.mark.parametrize(("name", "opts"), PER_CHANNEL,
                         ids=[f"{n}-{i}" for i, (n, _) in enumerate(PER_CHANNEL)])
@pytest.mark.parametrize("from_logits", [True, False])
def test_multilabel_is_mean_of_per_channel_binary_losses(name, opts, from_logits):
    scores, target = _multilabel_inputs(4, from_logits=from_logits)
    c = scores.shape[1]
    opts = _options(opts, c, W, True)
    value, grad = _call(name, scores, target, from_logits, opts, multilabel=True)
    parts = [_call(name, scores[:, [k]], target[:, k], from_logits, opts) for k in range(c)]
    assert value == pytest.approx(np.mean([v for v, _ in parts]), rel=1e-12, abs=1e-14)
    np.testing.assert_allclose(grad, np.concatenate([g for _, g in parts], axis=1) / c,
                               rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("name", ["cross_entropy", "focal_loss"])
def test_multilabel_sum_is_sum_of_per_channel_losses(name):
    scores, target = _multilabel_inputs(6)
    value = getattr(losses, name)(scores, target, multilabel=True, reduction="sum")
    parts = [getattr(losses, name)(scores[:, [k]], target[:, k], reduction="sum")
             for k in range(scores.shape[1])]
    assert value == pytest.approx(sum(parts), rel=1e-12)


@pytest.mark.parametrize("name", ["soft_dice_loss", "soft_jaccard_loss", "tversky_loss",
                                  "focal_tversky_loss", "jaccard_metric_loss",
                                  "log_cosh_dice_loss", "generalized_dice_loss",
                                  "lovasz_softmax", "boundary_loss", "hausdorff_dt_loss"])
@pytest.mark.parametrize("pooling", ["image", "batch"])
def test_multilabel_on_simplex_probabilities_equals_k_class(name, pooling):
    """On probabilities the region losses see the same units either way: a one-hot target
    and softmax probabilities give the K-class value and gradient."""
    rng = np.random.default_rng(7)
    p = _softmax(rng.normal(size=(N, 3, H, W)))
    labels = rng.integers(0, 3, size=(N, H, W))
    onehot = (labels[:, None] == np.arange(3)[:, None, None]).astype(int)
    opts = {} if name in ("boundary_loss", "hausdorff_dt_loss") else {"pooling": pooling}
    if name in ("boundary_loss", "hausdorff_dt_loss"):
        opts["include_background"] = True
    ref = _call(name, p, labels, False, opts)
    got = _call(name, p, onehot, False, opts, multilabel=True)
    assert got[0] == pytest.approx(ref[0], rel=1e-12, abs=1e-14)
    np.testing.assert_allclose(got[1], ref[1], rtol=1e-12, atol=1e-14)


def test_multilabel_cross_entropy_closed_form():
    """Per-channel binary cross-entropy: the logit gradient is (p - g) / (N C pixels)."""
    scores, target = _multilabel_inputs(8)
    value, grad = losses.cross_entropy(scores, target, multilabel=True, return_grad=True)
    p = _sigmoid(scores)
    expected = -np.mean(target * np.log(p) + (1 - target) * np.log1p(-p))
    assert value == pytest.approx(expected, rel=1e-12)
    np.testing.assert_allclose(grad, (p - target) / target.size, rtol=1e-12)


def test_multilabel_soft_dice_closed_form():
    """Soft Dice of overlapping channels: each channel's Dice on its own sigmoid."""
    scores, target = _multilabel_inputs(9)
    p = _sigmoid(scores)
    inter = (p * target).sum(axis=(2, 3))
    dice = 2 * inter / (p.sum(axis=(2, 3)) + target.sum(axis=(2, 3)))
    value = losses.soft_dice_loss(scores, target, multilabel=True)
    assert value == pytest.approx(np.mean(1 - dice), rel=1e-12)


def _derivative(f, h):
    """Richardson-extrapolated central difference of ``f`` at 0 (error O(h^4))."""
    def central(step):
        return (f(step) - f(-step)) / (2 * step)

    return (4 * central(h / 2) - central(h)) / 3


def _away_from_kinks(name, scores, target, from_logits):
    """Keep the finite differences away from ties of the Lovász sort and from p = 1/2 in the
    Hausdorff loss's predicted mask."""
    p = scores if not from_logits else _sigmoid(scores)
    if name == "lovasz_hinge":
        x = scores if from_logits else np.log(scores / (1 - scores))
        err = 1 - x * (2 * target - 1)
    elif name == "lovasz_softmax":
        err = np.abs(target - p)
    else:
        err = None
    if err is not None:
        assume(np.min(np.diff(np.sort(err.ravel()))) > 1e-4)
        assume(np.min(np.abs(err)) > 1e-4)
    if name == "hausdorff_dt_loss":
        assume(np.min(np.abs(p - 0.5)) > 1e-4)


MULTI_OPTS = [{}, {"pooling": "batch"}, {"ignore_index": VOID}]


@pytest.mark.parametrize("name", MULTI)
@pytest.mark.parametrize("from_logits", [True, False])
@pytest.mark.parametrize("opts", MULTI_OPTS, ids=["default", "batch", "void"])
@settings(max_examples=3, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(seed=st.integers(0, 2**32 - 1))
def test_multilabel_gradient_matches_finite_differences(name, from_logits, opts, seed):
    """Every entry of the closed-form gradient against finite differences (the channels are
    independent, so every probability direction is admissible)."""
    if "pooling" in opts and not name.startswith(("soft", "lovasz", "tversky", "focal_t",
                                                  "jaccard", "log", "generalized")):
        opts = {}
    scores, target = _multilabel_inputs(seed, from_logits=from_logits)
    if "ignore_index" in opts:
        target[:, :, 0, 1:3] = VOID
    _away_from_kinks(name, scores, np.where(target == VOID, 0, target), from_logits)
    f = getattr(losses, name)
    _, grad = f(scores, target, from_logits=from_logits, multilabel=True, return_grad=True,
                **opts)
    fd = np.empty_like(scores)
    for idx in np.ndindex(scores.shape):
        e = np.zeros_like(scores)
        e[idx] = 1.0
        h = 1e-6 if from_logits else min(1e-6, 1e-2 * min(scores[idx], 1 - scores[idx]))

        def moved(t, e=e):
            return f(scores + t * e, target, from_logits=from_logits, multilabel=True, **opts)

        fd[idx] = _derivative(moved, h)
    np.testing.assert_allclose(grad, fd, rtol=1e-5, atol=1e-7)


# --------------------------------------------------------------------------
# Validation


@pytest.mark.parametrize("name", ALL)
def test_ignore_index_and_multilabel_validation(name):
    f = getattr(losses, name)
    c = 1 if name == "lovasz_hinge" else 3
    x, y = np.zeros((1, c, 2, 2)), np.zeros((1, 2, 2), int)
    with pytest.raises(TypeError, match="ignore_index must be an int"):
        f(x, y, ignore_index=255.0)
    with pytest.raises(TypeError, match="ignore_index must be an int"):
        f(x, y, ignore_index=True)
    with pytest.raises(TypeError, match="multilabel must be True or False"):
        f(x, y, multilabel=1)
    with pytest.raises(ValueError, match="with multilabel=True the target is one binary"):
        f(x, y, multilabel=True)
    with pytest.raises(ValueError, match="target contains label 7, .* not ignore_index=255"):
        f(x, y + 7, ignore_index=255)
    with pytest.raises(ValueError, match=r"target must hold labels in \[0, 1\]"):
        f(x, np.full(x.shape, 2), multilabel=True, ignore_index=255)


def test_signed_distance_map_void_matches_boundary_loss():
    """Precomputed maps with ``void=`` give the boundary loss computed with ignore_index."""
    rng = np.random.default_rng(11)
    scores = rng.normal(size=(N, 3, H, W))
    target = rng.integers(0, 3, size=(N, H, W))
    target[rng.uniform(size=target.shape) < 0.25] = VOID
    phi = np.stack([np.stack([losses.signed_distance_map(target[n] == k, spacing=(1.0, 0.5),
                                                         void=target[n] == VOID)
                              for k in range(3)]) for n in range(N)])
    ref = losses.boundary_loss(scores, target, ignore_index=VOID, spacing=(1.0, 0.5),
                               return_grad=True)
    got = losses.boundary_loss(scores, target, ignore_index=VOID, distance_map=phi,
                               return_grad=True)
    assert got[0] == pytest.approx(ref[0], rel=1e-14)
    np.testing.assert_allclose(got[1], ref[1], rtol=1e-14)
    assert np.all(phi.transpose(0, 2, 3, 1)[target == VOID] == 0.0)
    with pytest.raises(ValueError, match="void shape"):
        losses.signed_distance_map(target[0] == 1, void=np.zeros(3, bool))
    with pytest.raises(ValueError, match="void must be a binary mask"):
        losses.signed_distance_map(target[0] == 1, void=np.full(target[0].shape, 2))


@pytest.mark.parametrize("ignore_index", [-100, 300, 2**40, 2**70])
@pytest.mark.parametrize("dtype", [np.uint8, np.int64, bool])
def test_ignore_index_outside_the_label_dtype(ignore_index, dtype):
    """An ignore_index that the label dtype cannot hold marks no pixel."""
    rng = np.random.default_rng(12)
    scores = rng.normal(size=(N, 2, H, W))
    target = rng.integers(0, 2, size=(N, H, W)).astype(dtype)
    for name in ALL:
        ref = getattr(losses, name)(scores[:, 1:] if name == "lovasz_hinge" else scores, target)
        got = getattr(losses, name)(scores[:, 1:] if name == "lovasz_hinge" else scores, target,
                                    ignore_index=ignore_index)
        assert got == ref


@pytest.mark.parametrize("weight_type", ["square", "simple", "uniform"])
def test_multilabel_generalized_dice_closed_form(weight_type):
    """One generalized Dice ratio per image over the channels' own sigmoid sums (the ratio
    does not split over channels, so it is checked against the per-channel sums)."""
    scores, target = _multilabel_inputs(13)
    p = _sigmoid(scores)
    inter = (p * target).sum(axis=(2, 3))
    s = p.sum(axis=(2, 3)) + target.sum(axis=(2, 3))
    w = 1.0 / target.sum(axis=(2, 3)) ** {"square": 2, "simple": 1, "uniform": 0}[weight_type]
    expected = np.mean(1 - 2 * (w * inter).sum(axis=1) / (w * s).sum(axis=1))
    value = losses.generalized_dice_loss(scores, target, multilabel=True,
                                         weight_type=weight_type)
    assert value == pytest.approx(expected, rel=1e-12)
    # log-cosh Dice is log cosh of the multilabel soft Dice loss
    dice = losses.soft_dice_loss(scores, target, multilabel=True)
    assert losses.log_cosh_dice_loss(scores, target, multilabel=True) == pytest.approx(
        np.log(np.cosh(dice)), rel=1e-14)
