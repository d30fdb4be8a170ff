"""seglab.torch: every seglab loss as a PyTorch loss, checked against independent references.

The acceptance check: for every loss, the adapter's gradient (seglab's closed form) equals
torch autograd through a pure-torch implementation of the loss written here from the
formulas of the NumPy docstrings (float64, rtol 1e-10). The references share no code with
seglab: the distance maps of the boundary and Hausdorff losses are computed here with
scipy.ndimage (constants of the loss, as in the papers), sorting for the Lovász losses is
``torch.sort``.

Also: values equal the NumPy losses; ``torch.autograd.gradcheck`` (central finite
differences); float32 in gives float32 out; validation errors reach the caller unchanged;
three Adam steps of a one-layer conv net decrease every loss. Skipped, with the reason,
only when PyTorch is not installed (``make test`` installs it; ``pip install
'seglab[torch]'``).
"""

import inspect
import pickle
import re
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as hs
from numpy.testing import assert_allclose
from scipy import ndimage

from seglab import losses

torch = pytest.importorskip(
    "torch", reason="PyTorch is not installed: pip install 'seglab[torch]' (make test does)")

import torch.nn.functional as F  # noqa: E402

from seglab import torch as st  # noqa: E402

torch.set_num_threads(1)

SHAPE = (2, 5, 4)  # N, *spatial
# The pixel-size keyword of the distance-based losses (named for scipy or for MONAI).
SPACING = ("spacing" if "spacing" in inspect.signature(losses.boundary_loss).parameters
           else "sampling")


# --------------------------------------------------------------------------
# Inputs


def make_inputs(c, from_logits, kind, seed=0, dtype=torch.float64, shape=SHAPE):
    """Scores of shape ``(N, C, *spatial)`` and a target of the given kind (numpy array).

    ``shape`` is ``(N, *spatial)``, by default (2, 5, 4).

    ``kind``: ``'labels'`` (a label map), ``'absent'`` (a label map where image 0 lacks its
    last class: all background for C = 1), ``'onehot'`` or ``'soft'`` (shape of the scores).
    """
    rng = np.random.default_rng(seed)
    n, *spatial = shape
    x = rng.normal(scale=1.5, size=(n, c, *spatial))
    if not from_logits:
        x = 1.0 / (1.0 + np.exp(-x)) if c == 1 else np.exp(x) / np.exp(x).sum(1, keepdims=True)
    top = max(c, 2)
    labels = rng.integers(0, top, shape)
    if shape == SHAPE:
        labels[:, 0, 0], labels[:, 0, 1] = 0, top - 1  # every class present in every image
    if kind == "absent":
        labels[0][labels[0] == top - 1] = 0
    if kind in ("labels", "absent"):
        target = labels
    elif kind == "onehot":
        target = np.moveaxis(np.eye(c)[labels], -1, 1) if c > 1 else labels[:, None] * 1.0
    else:
        target = rng.uniform(size=(n, c, *spatial))
        if c > 1:
            target /= target.sum(1, keepdims=True)
    return torch.tensor(x, dtype=dtype), target


def as_onehot(target, x):
    """The float64 one-hot (or soft) target of the shape of the scores ``x``, as a tensor."""
    t, c = torch.as_tensor(target), x.shape[1]
    if t.ndim == x.ndim - 1:
        t = t[:, None] if c == 1 else F.one_hot(t, c).movedim(-1, 1)
    return t.to(torch.float64)


def tensors(options):
    """Options with every array made a tensor (the adapter takes tensors, as a user would)."""
    return {k: torch.as_tensor(v) if isinstance(v, np.ndarray) else v for k, v in options.items()}


# --------------------------------------------------------------------------
# Independent references: the docstring formulas in torch, differentiated by autograd


def probs_of(x, from_logits):
    if not from_logits:
        return x
    return torch.sigmoid(x) if x.shape[1] == 1 else torch.softmax(x, 1)


def classes(x, g, from_logits):
    """(p, log p, g) over the classes; C = 1 becomes (background, foreground)."""
    if x.shape[1] == 1:
        g2 = torch.cat([1 - g, g], 1)
        if from_logits:
            return (torch.cat([torch.sigmoid(-x), torch.sigmoid(x)], 1),
                    torch.cat([F.logsigmoid(-x), F.logsigmoid(x)], 1), g2)
        p = torch.cat([1 - x, x], 1)
        return p, torch.log(p), g2
    if from_logits:
        return torch.softmax(x, 1), torch.log_softmax(x, 1), g
    return x, torch.log(x), g


def per_class(values, k, ndim):
    return torch.as_tensor(values, dtype=torch.float64).reshape((1, k) + (1,) * (ndim - 2))


def pixels(x):
    return x.shape[0] * int(np.prod(x.shape[2:]))


def ref_cross_entropy(x, g, from_logits, class_weights=None, pos_weight=1.0, weight_map=None,
                      reduction="mean"):
    p, logp, g = classes(x, g, from_logits)
    k = g.shape[1]
    w = torch.ones(k, dtype=torch.float64) if class_weights is None else torch.as_tensor(
        class_weights, dtype=torch.float64).clone()
    if x.shape[1] == 1:
        w[-1] = w[-1] * pos_weight
    m = 1.0 if weight_map is None else torch.as_tensor(weight_map)[:, None]
    wg = per_class(w, k, x.ndim) * g * m
    total = -(wg * logp).sum()
    z = {"mean": pixels(x), "sum": 1.0, "weighted_mean": wg.sum()}[reduction]
    return total / z


def ref_dinkelbach_cross_entropy(x, g, from_logits, metric_value, alpha=0.5, beta=0.5,
                                reduction="mean"):
    """Cross-entropy with class weights (tau, 1 - tau), tau = alpha lam / (1 + lam (a + b - 1))."""
    tau = alpha * metric_value / (1 + metric_value * (alpha + beta - 1))
    return ref_cross_entropy(x, g, from_logits, class_weights=[tau, 1 - tau], reduction=reduction)


def ref_focal_loss(x, g, from_logits, gamma=2.0, alpha=None, reduction="mean"):
    p, logp, g = classes(x, g, from_logits)
    k = g.shape[1]
    if alpha is None:
        a = [1.0] * k
    elif np.isscalar(alpha):
        a = [1.0 - alpha] + [alpha] * (k - 1)
    else:
        a = alpha
    total = -(per_class(a, k, x.ndim) * g * (1 - p) ** gamma * logp).sum()
    return total / (pixels(x) if reduction == "mean" else 1.0)


def units(t, pooling):
    """(units, pixels): one row per (image, class), or per class over the batch."""
    n, c = t.shape[:2]
    return t.reshape(n * c, -1) if pooling == "image" else t.transpose(0, 1).reshape(c, -1)


def unit_weights(g_units, absent, groups):
    """Weights of the units' losses in the mean: the ``absent`` rules of seglab.losses."""
    present = (g_units.sum(1) > 0).to(torch.float64)
    if absent == "include":
        return torch.full_like(present, 1.0 / present.numel())
    if absent == "zero":
        return present / present.numel()
    rows = present.reshape(groups, -1)
    filled = [r for r in range(groups) if rows[r].sum() > 0]
    weights = torch.zeros_like(rows)
    for r in filled:
        weights[r] = rows[r] / (rows[r].sum() * len(filled))
    return weights.reshape(-1)


def region(unit_loss, x, g, from_logits, pooling="image", absent="include", **options):
    p = units(probs_of(x, from_logits), pooling)
    g = units(g, pooling)
    groups = x.shape[0] if pooling == "image" else 1
    return (unit_weights(g, absent, groups) * unit_loss(p, g, **options)).sum()


def dice_unit(p, g, squared=False, smooth_nr=0.0, smooth_dr=0.0):
    k = 2 if squared else 1
    inter = (p * g).sum(1)
    return 1 - (2 * inter + smooth_nr) / ((p**k).sum(1) + (g**k).sum(1) + smooth_dr)


def jaccard_unit(p, g, smooth_nr=0.0, smooth_dr=0.0):
    inter = (p * g).sum(1)
    return 1 - (inter + smooth_nr) / (p.sum(1) + g.sum(1) - inter + smooth_dr)


def tversky_index(p, g, alpha, beta, smooth_nr, smooth_dr):
    tp, fp, fn = (p * g).sum(1), (p * (1 - g)).sum(1), ((1 - p) * g).sum(1)
    return (tp + smooth_nr) / (tp + alpha * fp + beta * fn + smooth_dr)


def tversky_unit(p, g, alpha=0.5, beta=0.5, smooth_nr=0.0, smooth_dr=0.0):
    return 1 - tversky_index(p, g, alpha, beta, smooth_nr, smooth_dr)


def focal_tversky_unit(p, g, alpha=0.3, beta=0.7, gamma=4 / 3, smooth_nr=0.0, smooth_dr=0.0):
    return (1 - tversky_index(p, g, alpha, beta, smooth_nr, smooth_dr)) ** (1 / gamma)


def jml_unit(p, g, smooth_nr=0.0, smooth_dr=0.0):
    sp, sg, diff = p.abs().sum(1), g.abs().sum(1), (p - g).abs().sum(1)
    return 1 - (sp + sg - diff + smooth_nr) / (sp + sg + diff + smooth_dr)


def ref_log_cosh_dice_loss(x, g, from_logits, **options):
    return torch.log(torch.cosh(region(dice_unit, x, g, from_logits, **options)))


def ref_generalized_dice_loss(x, g, from_logits, weight_type="square", pooling="image",
                              absent_weight="max", smooth_nr=0.0, smooth_dr=0.0):
    p = probs_of(x, from_logits)
    axes = tuple(range(2, x.ndim)) if pooling == "image" else (0, *range(2, x.ndim))
    inter, sp, sg = (p * g).sum(axes), p.sum(axes), g.sum(axes)
    inter, sp, sg = (t.reshape(-1, x.shape[1]) for t in (inter, sp, sg))  # (groups, C)
    power = {"square": 2, "simple": 1, "uniform": 0}[weight_type]
    present = sg > 0
    w = torch.where(present, 1 / torch.where(present, sg, 1.0) ** power, 0.0)
    if absent_weight == "max":
        w = torch.where(present, w, w.max(1, keepdim=True).values)
    num, den = 2 * (w * inter).sum(1) + smooth_nr, (w * (sp + sg)).sum(1) + smooth_dr
    score = torch.where(den > 0, num / torch.where(den > 0, den, 1.0), 1.0)  # 0/0: perfect
    return (1 - score).mean()


def lovasz_extension(errors, g):
    """Per row: sum_k relu(e_(k)) (Delta_J(M_k) - Delta_J(M_{k-1})), errors sorted decreasingly.

    ``Delta_J(M) = |M| / |G u M|`` with ``M_k`` the ``k`` largest errors: ``|M_k| = k`` and
    ``|G u M_k| = |G| + k - |G n M_k|``.
    """
    e_sorted, order = torch.sort(errors, dim=1, descending=True)
    g_sorted = torch.gather(g, 1, order)
    k = torch.arange(1, errors.shape[1] + 1, dtype=torch.float64)
    jaccard = k / (g.sum(1, keepdim=True) + k - torch.cumsum(g_sorted, 1))
    delta = torch.diff(jaccard, dim=1, prepend=torch.zeros_like(jaccard[:, :1]))
    return (torch.relu(e_sorted) * delta).sum(1)


def ref_lovasz_softmax(x, g, from_logits, pooling="image", absent="exclude"):
    p, gu = units(probs_of(x, from_logits), pooling), units(g, pooling)
    groups = x.shape[0] if pooling == "image" else 1
    return (unit_weights(gu, absent, groups) * lovasz_extension((gu - p).abs(), gu)).sum()


def ref_lovasz_hinge(x, g, from_logits, pooling="image", absent="include"):
    logits = x if from_logits else torch.log(x) - torch.log1p(-x)
    xu, gu = units(logits, pooling), units(g, pooling)
    groups = x.shape[0] if pooling == "image" else 1
    errors = 1 - xu * (2 * gu - 1)
    return (unit_weights(gu, absent, groups) * lovasz_extension(errors, gu)).sum()


def maps(masks, func):
    """``func`` of every (image, class) boolean mask, 0 where a mask is empty or full."""
    out = np.zeros(masks.shape)
    for idx in np.ndindex(masks.shape[:2]):
        m = masks[idx]
        if m.any() and not m.all():
            out[idx] = func(m)
    return torch.as_tensor(out)


def selected(x, include_background):
    return slice(None) if x.shape[1] == 1 or include_background else slice(1, None)


def ref_boundary_loss(x, g, from_logits, include_background=False, **spacing):
    """Kervadec et al.: mean of phi * p, phi = d(., G) outside G and -d(., not G) inside."""
    d = spacing.get(SPACING)
    phi = maps(g.numpy() > 0.5, lambda m: ndimage.distance_transform_edt(~m, sampling=d)
               - ndimage.distance_transform_edt(m, sampling=d))
    sel = selected(x, include_background)
    return (phi[:, sel] * probs_of(x, from_logits)[:, sel]).mean()


def ref_hausdorff_dt_loss(x, g, from_logits, alpha=2.0, include_background=False, **spacing):
    """Karimi & Salcudean: mean of (p - g)^2 (d_G^alpha + d_S^alpha), S = {p > 1/2}."""
    d = spacing.get(SPACING)
    sel = selected(x, include_background)
    p, g = probs_of(x, from_logits)[:, sel], g[:, sel]

    def field(m):
        return (ndimage.distance_transform_edt(m, sampling=d)
                + ndimage.distance_transform_edt(~m, sampling=d))

    weight = maps(g.numpy() > 0.5, field) ** alpha + maps(p.detach().numpy() > 0.5, field) ** alpha
    return ((p - g) ** 2 * weight).mean()


def regional(unit):
    def ref(x, g, from_logits, **options):
        return region(unit, x, g, from_logits, **options)
    return ref


REFERENCES = {
    "cross_entropy": ref_cross_entropy,
    "dinkelbach_cross_entropy": ref_dinkelbach_cross_entropy,
    "focal_loss": ref_focal_loss,
    "soft_dice_loss": regional(dice_unit),
    "soft_jaccard_loss": regional(jaccard_unit),
    "tversky_loss": regional(tversky_unit),
    "focal_tversky_loss": regional(focal_tversky_unit),
    "jaccard_metric_loss": regional(jml_unit),
    "log_cosh_dice_loss": ref_log_cosh_dice_loss,
    "generalized_dice_loss": ref_generalized_dice_loss,
    "lovasz_softmax": ref_lovasz_softmax,
    "lovasz_hinge": ref_lovasz_hinge,
    "boundary_loss": ref_boundary_loss,
    "hausdorff_dt_loss": ref_hausdorff_dt_loss,
}

_RNG = np.random.default_rng(7)
WEIGHT_MAP = _RNG.uniform(0.5, 3.0, SHAPE)

# (loss, C, from_logits, target kind, options)
CASES = [
    ("dinkelbach_cross_entropy", 1, True, "labels", {"metric_value": 0.6}),
    ("dinkelbach_cross_entropy", 1, False, "soft", {"metric_value": 0.3, "alpha": 0.3,
                                                     "beta": 0.7, "reduction": "sum"}),
    ("cross_entropy", 3, True, "labels", {}),
    ("cross_entropy", 3, True, "soft", {"class_weights": [0.2, 1.0, 3.0],
                                        "reduction": "weighted_mean"}),
    ("cross_entropy", 3, True, "labels", {"weight_map": WEIGHT_MAP, "class_weights": [1, 2, 3],
                                          "reduction": "weighted_mean"}),
    ("cross_entropy", 1, True, "labels", {"pos_weight": 2.5, "reduction": "sum"}),
    ("cross_entropy", 1, False, "soft", {"weight_map": WEIGHT_MAP}),
    ("cross_entropy", 3, False, "onehot", {"class_weights": [0.5, 1.0, 2.0]}),
    ("focal_loss", 3, True, "labels", {}),
    ("focal_loss", 1, True, "labels", {"gamma": 1.5, "alpha": 0.25}),
    ("focal_loss", 3, False, "soft", {"alpha": [0.2, 0.3, 0.5], "reduction": "sum"}),
    ("focal_loss", 1, False, "soft", {"gamma": 0.5}),
    ("soft_dice_loss", 3, True, "labels", {}),
    ("soft_dice_loss", 3, True, "absent", {"pooling": "batch", "absent": "zero"}),
    ("soft_dice_loss", 3, True, "absent", {"absent": "exclude", "squared": True}),
    ("soft_dice_loss", 1, False, "soft", {"smooth_nr": 1.0, "smooth_dr": 1.0}),
    ("soft_dice_loss", 1, True, "absent", {"pooling": "batch"}),
    ("soft_jaccard_loss", 3, True, "labels", {}),
    ("soft_jaccard_loss", 3, True, "absent", {"absent": "exclude", "pooling": "batch"}),
    ("soft_jaccard_loss", 1, False, "soft", {"smooth_nr": 0.5, "smooth_dr": 1.0}),
    ("tversky_loss", 3, True, "labels", {"alpha": 0.3, "beta": 0.7}),
    ("tversky_loss", 1, False, "soft", {"alpha": 1.0, "beta": 1.0, "absent": "zero"}),
    ("tversky_loss", 3, True, "absent", {"pooling": "batch", "absent": "exclude",
                                         "smooth_dr": 0.5}),
    ("focal_tversky_loss", 3, True, "labels", {}),
    ("focal_tversky_loss", 1, True, "soft", {"gamma": 0.75, "alpha": 0.5, "beta": 0.5}),
    ("focal_tversky_loss", 3, False, "absent", {"absent": "exclude"}),
    ("jaccard_metric_loss", 3, True, "soft", {}),
    ("jaccard_metric_loss", 1, False, "soft", {"pooling": "batch"}),
    ("jaccard_metric_loss", 3, True, "absent", {"absent": "zero", "smooth_nr": 1.0,
                                                "smooth_dr": 1.0}),
    ("log_cosh_dice_loss", 3, True, "labels", {}),
    ("log_cosh_dice_loss", 1, False, "soft", {"squared": True, "pooling": "batch"}),
    ("generalized_dice_loss", 3, True, "labels", {}),
    ("generalized_dice_loss", 3, True, "absent", {"weight_type": "simple"}),
    ("generalized_dice_loss", 3, True, "absent", {"absent_weight": "zero", "pooling": "batch",
                                                  "weight_type": "uniform"}),
    ("generalized_dice_loss", 1, False, "soft", {"smooth_nr": 1e-3, "smooth_dr": 1e-3}),
    ("lovasz_softmax", 3, True, "labels", {}),
    ("lovasz_softmax", 3, True, "absent", {"pooling": "batch", "absent": "include"}),
    ("lovasz_softmax", 1, False, "labels", {}),
    ("lovasz_softmax", 3, False, "onehot", {"absent": "zero"}),
    ("lovasz_hinge", 1, True, "labels", {}),
    ("lovasz_hinge", 1, False, "labels", {"pooling": "batch"}),
    ("lovasz_hinge", 1, True, "absent", {"absent": "exclude"}),
    ("boundary_loss", 3, True, "labels", {}),
    ("boundary_loss", 1, False, "labels", {SPACING: (1.0, 2.5)}),
    ("boundary_loss", 3, True, "absent", {"include_background": True}),
    ("hausdorff_dt_loss", 3, True, "labels", {}),
    ("hausdorff_dt_loss", 1, True, "labels", {"alpha": 1.0, SPACING: (2.0, 0.5)}),
    ("hausdorff_dt_loss", 3, False, "absent", {"include_background": True}),
]
IDS = [f"{name}-C{c}-{'logits' if lg else 'probs'}-{kind}-{'-'.join(map(str, opts)) or 'defaults'}"
       for name, c, lg, kind, opts in CASES]
# Cases whose scores may be perturbed one entry at a time (probabilities of K >= 2 classes
# would stop summing to 1): gradcheck and float32.
FREE = [case for case in CASES if case[2] or case[1] == 1]
FREE_IDS = [i for i, case in zip(IDS, CASES, strict=True) if case[2] or case[1] == 1]


# Losses of two classes only (C = 1), and the keyword options a loss requires.
BINARY = {"lovasz_hinge", "dinkelbach_cross_entropy"}
REQUIRED = {"dinkelbach_cross_entropy": {"metric_value": 0.5}}


def first_case(name):
    """The first case of a loss (K classes, logits, a label map for a loss without cases)."""
    return next((case for case in FREE if case[0] == name), (name, 3, True, "labels", {}))


# --------------------------------------------------------------------------
# The acceptance check


def test_every_loss_has_an_independent_reference():
    """A loss added to seglab.losses is adapted automatically, and must be verified here."""
    assert set(st.LOSSES) == {
        n for n in losses.__all__
        if list(inspect.signature(getattr(losses, n)).parameters)[:2] == ["scores", "target"]
        and "return_grad" in inspect.signature(getattr(losses, n)).parameters}
    with_cases = {case[0] for case in CASES}
    missing = sorted(n for n in st.LOSSES if n not in REFERENCES or n not in with_cases)
    assert not missing, f"write a pure-torch reference and cases here for {missing}"


def compare_with_reference(name, scores, target, from_logits, options):
    """Adapter and reference agree on the value and gradient; returns the gradient's scale."""
    x = scores.clone().requires_grad_()
    value = st.loss(name, x, torch.as_tensor(target), from_logits=from_logits, **tensors(options))
    value.backward()
    y = scores.clone().requires_grad_()
    expected = REFERENCES[name](y, as_onehot(target, y), from_logits, **options)
    expected.backward()
    assert_allclose(value.item(), expected.item(), rtol=1e-10, atol=1e-15)
    scale = y.grad.abs().max().item()
    assert_allclose(x.grad.numpy(), y.grad.numpy(), rtol=1e-10, atol=1e-14 * scale + 1e-300)
    return scale


@pytest.mark.parametrize(("name", "c", "from_logits", "kind", "options"), CASES, ids=IDS)
def test_gradient_equals_autograd_of_an_independent_torch_loss(name, c, from_logits, kind,
                                                                options):
    scores, target = make_inputs(c, from_logits, kind)
    assert compare_with_reference(name, scores, target, from_logits, options) > 0


@settings(max_examples=40, deadline=None)
@given(name=hs.sampled_from(st.LOSSES), n=hs.integers(1, 2), c=hs.integers(1, 4),
       spatial=hs.lists(hs.integers(1, 4), min_size=1, max_size=3),
       seed=hs.integers(0, 2**32 - 1))
def test_gradient_on_random_shapes(name, n, c, spatial, seed):
    """Batches of 1-D to 3-D images, 1 to 4 classes (absent ones included), default options."""
    c = 1 if name in BINARY else c
    scores, target = make_inputs(c, True, "labels", seed=seed, shape=(n, *spatial))
    compare_with_reference(name, scores, target, True, dict(REQUIRED.get(name, {})))


@pytest.mark.parametrize(("name", "c", "from_logits", "kind", "options"), CASES, ids=IDS)
def test_values_equal_the_numpy_losses(name, c, from_logits, kind, options):
    scores, target = make_inputs(c, from_logits, kind)
    func = getattr(losses, name)
    expected = func(scores.numpy(), target, from_logits=from_logits, **options)
    adapted = tensors(options)
    t = torch.as_tensor(target)
    for x in (scores, scores.clone().requires_grad_()):
        for out in (st.loss(name, x, t, from_logits=from_logits, **adapted),
                    getattr(st, name)(x, t, from_logits=from_logits, **adapted),
                    st.Loss(name, from_logits=from_logits, **adapted)(x, t),
                    getattr(st, st._class_name(name))(from_logits=from_logits, **adapted)(x, t)):
            assert out.dtype == torch.float64 and out.shape == ()
            assert out.requires_grad == x.requires_grad
            assert_allclose(out.item(), expected, rtol=1e-14, atol=1e-15)
    _, grad = func(scores.numpy(), target, from_logits=from_logits, return_grad=True, **options)
    x = scores.clone().requires_grad_()
    st.loss(name, x, t, from_logits=from_logits, **adapted).backward()
    assert_allclose(x.grad.numpy(), grad, rtol=1e-14, atol=1e-17)


@pytest.mark.parametrize(("name", "c", "from_logits", "kind", "options"), FREE, ids=FREE_IDS)
def test_gradcheck(name, c, from_logits, kind, options):
    """Central finite differences in float64 (torch.autograd.gradcheck)."""
    scores, target = make_inputs(c, from_logits, kind, seed=1)
    t, adapted = torch.as_tensor(target), tensors(options)

    def func(x):
        return st.loss(name, x, t, from_logits=from_logits, **adapted)

    assert torch.autograd.gradcheck(func, (scores.requires_grad_(),), eps=1e-6, atol=1e-6,
                                    rtol=1e-4)


@pytest.mark.parametrize("name", st.LOSSES)
def test_float32_in_float32_out(name):
    _, c, from_logits, kind, options = first_case(name)
    scores, target = make_inputs(c, from_logits, kind)
    t, adapted = torch.as_tensor(target), tensors(options)
    out = {}
    for dtype in (torch.float32, torch.float64):
        x = scores.to(dtype).requires_grad_()
        value = st.loss(name, x, t, from_logits=from_logits, **adapted)
        value.backward()
        assert value.dtype == dtype and x.grad.dtype == dtype
        out[dtype] = value.item(), x.grad.double().numpy()
    assert_allclose(out[torch.float32][0], out[torch.float64][0], rtol=1e-5, atol=1e-6)
    assert_allclose(out[torch.float32][1], out[torch.float64][1], rtol=1e-4, atol=1e-6)


# --------------------------------------------------------------------------
# Autograd behaviour


def test_grad_output_scales_the_gradient_and_inputs_are_not_modified():
    scores, target = make_inputs(3, True, "labels")
    before, t = scores.clone(), torch.as_tensor(target)
    x = scores.clone().requires_grad_()
    (grad,) = torch.autograd.grad(st.soft_dice_loss(x, t), x)
    factor = torch.tensor(-2.5, dtype=torch.float64)
    (scaled,) = torch.autograd.grad(st.soft_dice_loss(x, t), x, grad_outputs=factor)
    assert_allclose(scaled.numpy(), -2.5 * grad.numpy(), rtol=1e-15)
    x.grad = None
    (3 * st.soft_dice_loss(x, t) + st.cross_entropy(x, t)).backward()
    expected = 3 * grad + torch.autograd.grad(st.cross_entropy(x, t), x)[0]
    assert_allclose(x.grad.numpy(), expected.numpy(), rtol=1e-14)
    assert torch.equal(x.detach(), before) and torch.equal(t, torch.as_tensor(target))


def test_constants_get_no_gradient():
    """Targets, distance maps and weights are constants, even when they require a gradient."""
    scores, target = make_inputs(3, True, "soft")
    x = scores.clone().requires_grad_()
    g = torch.as_tensor(target).requires_grad_()
    weights = torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64, requires_grad=True)
    st.cross_entropy(x, g, class_weights=weights).backward()
    assert x.grad is not None and g.grad is None and weights.grad is None
    scores, labels = make_inputs(3, True, "labels")
    phi = torch.as_tensor(np.asarray(
        [[losses.signed_distance_map(labels[n] == k) for k in range(3)] for n in range(2)]))
    x = scores.clone().requires_grad_()
    phi.requires_grad_()
    value = st.BoundaryLoss()(x, torch.as_tensor(labels), distance_map=phi)
    value.backward()
    assert phi.grad is None
    assert_allclose(value.item(), losses.boundary_loss(scores.numpy(), labels), rtol=1e-14)


def test_no_gradient_when_scores_do_not_require_it():
    scores, target = make_inputs(3, True, "labels")
    t = torch.as_tensor(target)
    assert st.soft_dice_loss(scores, t).grad_fn is None
    x = scores.clone().requires_grad_()
    with torch.no_grad():
        value = st.soft_dice_loss(x, t)
    assert value.grad_fn is None and not value.requires_grad
    value = st.soft_dice_loss(x, t)
    assert value.requires_grad
    (grad,) = torch.autograd.grad(value, x, create_graph=True)
    assert not grad.requires_grad  # no graph through NumPy: no second-order gradient


def test_targets_as_tensors_of_any_kind_and_as_arrays():
    scores, labels = make_inputs(3, True, "labels")
    expected = losses.soft_dice_loss(scores.numpy(), labels)
    onehot = F.one_hot(torch.as_tensor(labels), 3).movedim(-1, 1)
    for target in (torch.as_tensor(labels), torch.as_tensor(labels).int(),
                   onehot.float(), onehot.double(), onehot.bool(), labels):
        assert_allclose(st.soft_dice_loss(scores, target).item(), expected, rtol=1e-14)


def test_modules_are_named_and_documented_by_their_loss():
    for name in st.LOSSES:
        cls, func = getattr(st, st._class_name(name)), getattr(st, name)
        assert issubclass(cls, st.Loss) and issubclass(cls, torch.nn.Module)
        assert f"seglab.losses.{name}" in cls.__doc__ and f"seglab.losses.{name}" in func.__doc__
        numpy_options = [p for p in inspect.signature(getattr(losses, name)).parameters
                         if p not in ("scores", "target", "return_grad")]
        assert list(inspect.signature(cls).parameters) == numpy_options
        assert list(inspect.signature(func).parameters) == ["scores", "target", *numpy_options]
    assert st.SoftDiceLoss.__name__ == "SoftDiceLoss" and st.CrossEntropyLoss
    assert repr(st.TverskyLoss(alpha=0.2)) == "TverskyLoss(alpha=0.2)"
    assert repr(st.Loss("focal_loss", gamma=1.0)) == "Loss('focal_loss', gamma=1.0)"


def test_forward_options_override_the_modules():
    scores, labels = make_inputs(3, True, "absent")
    criterion = st.SoftDiceLoss(absent="zero")
    expected = losses.soft_dice_loss(scores.numpy(), labels, absent="exclude")
    assert_allclose(criterion(scores, torch.as_tensor(labels), absent="exclude").item(),
                    expected, rtol=1e-14)
    assert criterion.options == {"absent": "zero"}


# --------------------------------------------------------------------------
# Validation


@pytest.mark.parametrize("name", st.LOSSES)
def test_numpy_validation_errors_pass_through(name):
    _, c, from_logits, kind, options = first_case(name)
    scores, target = make_inputs(c, from_logits, "labels")
    bad_labels = target.copy()
    bad_labels[0, 0, 0] = 7
    func = getattr(losses, name)
    for args, opts in [((scores, bad_labels), {}),
                       ((scores, target[:, :2]), {}),
                       ((scores[:, :, 0, 0], target), {}),
                       ((scores, target), {"from_logits": "yes"})]:
        opts = {**REQUIRED.get(name, {}), **opts}
        numpy_args = tuple(a.numpy() if isinstance(a, torch.Tensor) else a for a in args)
        with pytest.raises((TypeError, ValueError)) as numpy_error:
            func(*numpy_args, **opts)
        x, t = args[0].clone().requires_grad_(), torch.as_tensor(args[1])
        with pytest.raises(numpy_error.type, match=re.escape(str(numpy_error.value))):
            st.loss(name, x, t, **opts)
        with pytest.raises(numpy_error.type, match=re.escape(str(numpy_error.value))):
            getattr(st, st._class_name(name))(**opts)(x, t)


def test_option_errors_pass_through():
    scores, labels = make_inputs(3, True, "labels")
    t = torch.as_tensor(labels)
    with pytest.raises(ValueError, match=r"pooling must be one of \{'image', 'batch'\}"):
        st.SoftDiceLoss(pooling="pixel")(scores, t)
    with pytest.raises(ValueError, match="smooth_nr"):
        st.tversky_loss(scores, t, smooth_nr=-1.0)
    with pytest.raises(ValueError, match="class_weights must have shape"):
        st.cross_entropy(scores, t, class_weights=torch.ones(2))
    with pytest.raises(ValueError, match="lovasz_hinge needs binary scores"):
        st.lovasz_hinge(scores, t)


def test_adapter_validation():
    scores, labels = make_inputs(3, True, "labels")
    t = torch.as_tensor(labels)
    with pytest.raises(TypeError, match="soft_dice_loss: got an unexpected keyword argument "
                                        "'smooth'"):
        st.SoftDiceLoss(smooth=1.0)
    with pytest.raises(TypeError, match="unexpected keyword argument 'gamma'"):
        st.soft_dice_loss(scores, t, gamma=2.0)
    with pytest.raises(TypeError, match="return_grad is set by seglab.torch"):
        st.Loss("soft_dice_loss", return_grad=True)
    with pytest.raises(ValueError, match="name must be one of .*'soft_dice_loss'.*got 'dice'"):
        st.Loss("dice")
    with pytest.raises(ValueError, match="name must be one of"):
        st.loss("signed_distance_map", scores, t)
    with pytest.raises(TypeError, match="scores must be a torch.Tensor, got ndarray"):
        st.soft_dice_loss(scores.numpy(), t)
    with pytest.raises(TypeError, match="scores must be a floating-point tensor, got dtype "
                                        "torch.int64"):
        st.soft_dice_loss(t[:, None], t)


# --------------------------------------------------------------------------
# Training


@pytest.mark.parametrize("name", st.LOSSES)
def test_three_adam_steps_decrease_the_loss(name):
    torch.manual_seed(0)
    c = 1 if name in BINARY else 2
    image = torch.rand(2, 1, 8, 8, dtype=torch.float64)
    labels = (ndimage.uniform_filter(image.numpy()[:, 0], size=(1, 3, 3)) > 0.5).astype(np.int64)
    net = torch.nn.Conv2d(1, c, 3, padding=1).double()
    optimizer = torch.optim.Adam(net.parameters(), lr=0.05)
    criterion = getattr(st, st._class_name(name))(**REQUIRED.get(name, {}))
    history = []
    for _ in range(4):
        optimizer.zero_grad()
        value = criterion(net(image), torch.as_tensor(labels))
        history.append(value.item())
        value.backward()
        optimizer.step()
    assert history[-1] < history[0], history


def test_the_real_torch_inside_seglab_torch():
    """``seglab.torch`` imports PyTorch, not itself (absolute imports)."""
    assert st.torch is torch and torch.__name__ == "torch"
    assert "seglab" not in torch.__file__


def test_a_new_loss_and_its_keywords_are_picked_up(tmp_path):
    """A loss added to seglab.losses (here, in a fresh interpreter) gets a module and a function
    taking its keywords, with no change to seglab.torch."""
    code = """
import numpy as np
from seglab import losses

def squared_error(scores, target, *, from_logits=True, return_grad=False, scale=1.0):
    value = scale * float(np.sum((scores - target) ** 2))
    return (value, 2 * scale * (scores - target)) if return_grad else value

losses.squared_error = squared_error
losses.__all__ = [*losses.__all__, "squared_error"]
import torch
from seglab import torch as st
x = torch.ones(1, 1, 2, requires_grad=True)
st.SquaredErrorLoss(scale=3.0)(x, torch.zeros(1, 1, 2)).backward()
print("squared_error" in st.LOSSES, st.squared_error(x, torch.zeros(1, 1, 2), scale=0.5).item(),
      x.grad.tolist())
"""
    result = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True,
                            text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[0] == "True 1.0 [[[6.0, 6.0]]]"


def test_modules_pickle():
    criterion = pickle.loads(pickle.dumps(st.FocalLoss(gamma=1.0, alpha=[0.2, 0.8])))
    assert type(criterion) is st.FocalLoss and criterion.options == {"gamma": 1.0,
                                                                      "alpha": [0.2, 0.8]}
