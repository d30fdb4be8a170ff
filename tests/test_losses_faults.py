"""seglab.losses on bad and extreme inputs: each test pins a fault that once gave a wrong
number, an unbounded allocation or a silent acceptance."""

import numpy as np
import pytest

from seglab import losses


@pytest.mark.parametrize("gap", [100.0, 709.0, 710.0, 750.0, 1e5])
def test_cross_entropy_large_logit_gap_label_map(gap):
    """A label map and its one-hot array give the exact log-softmax value, not inf."""
    x = np.array([[[0.0, 0.0], [gap, -gap]]])
    labels = np.array([[0, 1]])
    onehot = np.array([[[1.0, 0.0], [0.0, 1.0]]])
    expected = gap + np.log1p(np.exp(-gap))  # -log p of the true class, at both pixels
    for target in (labels, onehot):
        val, grad = losses.cross_entropy(x, target, return_grad=True)
        assert val == pytest.approx(expected, rel=1e-12)
        assert np.all(np.isfinite(grad))
    assert losses.cross_entropy(x, labels) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("name", ["focal_loss", "soft_dice_loss", "generalized_dice_loss",
                                  "lovasz_softmax"])
def test_other_losses_large_logit_gap(name):
    x = np.array([[[0.0, 800.0], [800.0, 0.0]]])
    val, grad = getattr(losses, name)(x, np.array([[0, 1]]), return_grad=True)
    assert np.isfinite(val) and np.all(np.isfinite(grad))


def test_focal_loss_large_logit_gap_value():
    # the true class has probability e^-750 / (1 + e^-750): -log p = 750 and (1 - p)^2 = 1
    x = np.array([[[0.0], [750.0]]])
    assert losses.focal_loss(x, np.array([[0]])) == pytest.approx(750.0, rel=1e-12)


@pytest.mark.parametrize("big", [1e300, 1e308, np.finfo(float).max])
def test_cross_entropy_weighted_mean_huge_weights(big):
    """'weighted_mean' is invariant to scaling the weights, up to the largest float."""
    x = np.zeros((1, 1, 2))
    y = np.array([[0, 1]])
    val, grad = losses.cross_entropy(x, y, weight_map=np.full((1, 2), big),
                                     reduction="weighted_mean", return_grad=True)
    ref, ref_grad = losses.cross_entropy(x, y, reduction="weighted_mean", return_grad=True)
    assert val == pytest.approx(np.log(2), rel=1e-14)
    np.testing.assert_allclose(grad, ref_grad, rtol=1e-14)
    x3 = np.zeros((1, 3, 2))
    y3 = np.array([[0, 2]])
    for target in (y3, (y3[:, None] == np.arange(3)[:, None]).astype(float)):
        val = losses.cross_entropy(x3, target, class_weights=[big, 1.0, big],
                                   reduction="weighted_mean")
        assert val == pytest.approx(np.log(3), rel=1e-14)


@pytest.mark.parametrize("label", [10**5, 2**40])
def test_unet_weight_map_balanced_stray_label(label):
    """'balanced' weights are bounded by the labels present, not by the largest label."""
    t = np.zeros((1, 4, 5), np.int64)
    t[0, 1:3, 1:3] = 1
    t[0, 0, 4] = label
    relabelled = np.where(t == label, 2, t)
    np.testing.assert_allclose(losses.unet_weight_map(t, class_weights="balanced"),
                               losses.unet_weight_map(relabelled, class_weights="balanced"))


@pytest.mark.parametrize("alpha", [np.inf, -np.inf])
def test_hausdorff_dt_loss_refuses_infinite_alpha(alpha):
    with pytest.raises(ValueError, match="alpha must lie in"):
        losses.hausdorff_dt_loss(np.zeros((1, 1, 3)), np.array([[0, 1, 0]]), alpha=alpha)


def test_focal_tversky_refuses_infinite_gamma():
    with pytest.raises(ValueError, match="gamma must lie in"):
        losses.focal_tversky_loss(np.zeros((1, 1, 3)), np.array([[0, 1, 0]]), gamma=np.inf)


# Keyword-only arguments without a default, given a valid value so that the flag is reached.
_REQUIRED = {"dinkelbach_cross_entropy": {"metric_value": 0.5},
             "tversky_pair_loss": {"alpha": 0.5, "beta": 0.5}}


def _bool_flags():
    import inspect

    for name in losses.__all__:
        for param in inspect.signature(getattr(losses, name)).parameters.values():
            if isinstance(param.default, bool):
                yield pytest.param(name, param.name, id=f"{name}-{param.name}")


@pytest.mark.parametrize(("name", "flag"), list(_bool_flags()))
@pytest.mark.parametrize("bad", [1, 0, "yes", "no", None, 1.0])
def test_flags_refuse_non_booleans(name, flag, bad):
    """Every True/False option of every public function refuses anything but a bool."""
    x, y = np.zeros((1, 1, 2, 2)), np.zeros((1, 2, 2), int)
    args = (y[0],) if name in ("signed_distance_map", "unet_weight_map") else (x, y)
    required = _REQUIRED.get(name, {})
    with pytest.raises(TypeError, match=f"{flag} must be True or False"):
        getattr(losses, name)(*args, **required, **{flag: bad})


@pytest.mark.parametrize("name", ["cross_entropy", "focal_loss"])
@pytest.mark.parametrize("multilabel", [False, True])
def test_mean_of_huge_terms_is_finite(name, multilabel):
    """Terms near the largest float: their sum overflows, their mean does not."""
    x = np.zeros((1, 2, 4))
    x[:, 1] = 1e308
    y = np.zeros(x.shape, int) if multilabel else np.zeros((1, 4), int)
    extra = {"multilabel": True} if multilabel else {}
    with np.errstate(over="raise"):
        val = getattr(losses, name)(x, y, **extra)
    assert val == pytest.approx(1e308 if not multilabel else 0.5e308, rel=1e-12)


@pytest.mark.parametrize("scale", [1e300, 1e-300, 3.0])
def test_distance_maps_are_scale_equivariant(scale):
    """A spacing s times another gives s times the map (exact for powers of ten within
    rounding), with no overflow at 1e300 nor underflow at 1e-300."""
    mask = np.zeros((7, 9), bool)
    mask[2:5, 3:7] = True
    base = losses.signed_distance_map(mask, spacing=(1.0, 2.0))
    scaled = losses.signed_distance_map(mask, spacing=(scale, 2.0 * scale))
    np.testing.assert_allclose(scaled, scale * base, rtol=1e-12)
    t = np.zeros((1, 12, 12), int)
    t[0, 2:5, 2:5] = t[0, 2:5, 7:10] = 1
    np.testing.assert_allclose(losses.unet_weight_map(t, sigma=scale, spacing=scale),
                               losses.unet_weight_map(t, sigma=1.0), rtol=1e-12)


def test_distance_losses_refuse_results_beyond_float64():
    g = np.zeros((1, 8, 8), int)
    g[0, 2:6, 2:6] = 1
    p = np.full((1, 1, 8, 8), 0.3)
    with pytest.raises(ValueError, match="alpha"):
        losses.hausdorff_dt_loss(p, g, from_logits=False, alpha=1e300)
    with pytest.raises(ValueError, match="spacing"):
        losses.signed_distance_map(g[0], spacing=1e308)
    value = losses.boundary_loss(p, g, from_logits=False, spacing=1e300)
    assert value == pytest.approx(1e300 * losses.boundary_loss(p, g, from_logits=False))


@pytest.mark.parametrize("x", [0.0, 0.5, -3.0, 20.0, 700.0, 1e300])
def test_log_cosh_is_stable(x):
    """The stable form equals log(cosh x) where cosh is finite, and |x| - log 2 beyond."""
    expected = np.log(np.cosh(x)) if abs(x) < 710 else abs(x) - np.log(2.0)
    assert losses._log_cosh(x) == pytest.approx(expected, rel=1e-14, abs=1e-15)
