"""Tests of seglab.theory: closed forms against brute force, sympy and scikit-learn."""

import itertools

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal
from scipy.optimize import minimize_scalar

from seglab import data, metrics, theory
from seglab.theory import (
    POPULATION_METRICS,
    bayes_threshold,
    dice_from_jaccard,
    dice_jaccard_gap,
    expected_confusion,
    expected_metrics,
    jaccard_from_dice,
    optimal_threshold,
    rates_to_metrics,
    threshold_curve,
    trivial_classifier_metrics,
    tversky_threshold,
)

CURVE_METRICS = (*POPULATION_METRICS, "tversky_index")
unit = st.floats(0.0, 1.0, allow_nan=False)
open_unit = st.floats(1e-6, 1.0 - 1e-6, allow_nan=False)


# ----------------------------------------------------------------- brute force


def _counts_brute(eta, t):
    """Expected counts of the rule eta > t by direct masked sums (no sorting)."""
    eta = np.asarray(eta, dtype=np.float64).ravel()
    pos = eta > t
    return (eta[pos].sum(), (1 - eta[pos]).sum(), eta[~pos].sum(), (1 - eta[~pos]).sum())


def _metric_brute(name, tp, fp, fn, tn, alpha=0.5, beta=0.5):
    """Textbook formulas in plain Python; None stands for 0/0."""

    def div(a, b):
        return a / b if b > 0 else None

    if name == "accuracy":
        return (tp + tn) / (tp + fp + fn + tn)
    if name == "balanced_accuracy":
        parts = [r for r in (div(tp, tp + fn), div(tn, tn + fp)) if r is not None]
        return sum(parts) / len(parts)
    if name == "precision":
        return div(tp, tp + fp)
    if name == "recall":
        return div(tp, tp + fn)
    if name == "specificity":
        return div(tn, tn + fp)
    if name == "iou":
        return div(tp, tp + fp + fn)
    if name == "dice":
        return div(2 * tp, 2 * tp + fp + fn)
    if name == "tversky_index":
        return div(tp, tp + alpha * fp + beta * fn)
    if name == "mcc":
        if fp == 0 and fn == 0:
            return 1.0
        return div(tp * tn - fp * fn, np.sqrt((tp + fp) * (tp + fn) * (tn + fp) * (tn + fn)))
    parts = [r for r in (div(tp, tp + fp + fn), div(tn, tn + fp + fn)) if r is not None]
    return sum(parts) / len(parts)


def _value_or_nan(v):
    return np.nan if v is None else v


def _best_threshold_rule_brute(eta, name, alpha=0.5, beta=0.5):
    """Best value over every rule eta > t, t in [0, 1], by trying each distinct rule."""
    eta = np.asarray(eta, dtype=np.float64).ravel()
    candidates = np.concatenate([np.unique(eta), [1.0]])
    if eta.min() > 0:
        candidates = np.concatenate([[0.0], candidates])
    values = [_metric_brute(name, *_counts_brute(eta, t), alpha, beta) for t in candidates]
    return max(v for v in values if v is not None)


def _all_subsets(n):
    """Boolean (2**n, n) matrix of every subset of n pixels."""
    return ((np.arange(2**n)[:, None] >> np.arange(n)) & 1).astype(bool)


# ------------------------------------------------------------ Dice and Jaccard


@pytest.mark.parametrize(
    ("j", "d"), [(0.0, 0.0), (1.0, 1.0), (0.5, 2 / 3), (1 / 3, 0.5), (0.6, 0.75)]
)
def test_dice_jaccard_closed_form_pairs(j, d):
    assert dice_from_jaccard(j) == pytest.approx(d, rel=1e-15)
    assert jaccard_from_dice(d) == pytest.approx(j, rel=1e-15)


def test_dice_jaccard_inverse_identity_sympy():
    j, d = sp.symbols("j d", nonnegative=True)
    dice_of = 2 * j / (1 + j)
    jac_of = d / (2 - d)
    assert sp.simplify(dice_of.subs(j, jac_of) - d) == 0
    assert sp.simplify(jac_of.subs(d, dice_of) - j) == 0
    # strictly increasing: derivative 2 / (1 + j)^2 > 0
    assert sp.simplify(sp.diff(dice_of, j) - 2 / (1 + j) ** 2) == 0


def test_dice_jaccard_against_counts_of_random_masks():
    rng = np.random.default_rng(0)
    pred = rng.random((50, 64, 64)) < 0.3
    target = rng.random((50, 64, 64)) < 0.2
    tp = (pred & target).sum(axis=(1, 2))
    fp = (pred & ~target).sum(axis=(1, 2))
    fn = (~pred & target).sum(axis=(1, 2))
    dice = 2 * tp / (2 * tp + fp + fn)
    jac = tp / (tp + fp + fn)
    assert_allclose(dice_from_jaccard(jac), dice, rtol=1e-14)
    assert_allclose(jaccard_from_dice(dice), jac, rtol=1e-14)


@settings(max_examples=200, deadline=None)
@given(unit)
def test_dice_jaccard_inverse_and_loss_bounds(j):
    d = dice_from_jaccard(j)
    assert jaccard_from_dice(d) == pytest.approx(j, abs=1e-15)
    assert j - 1e-15 <= d <= 1.0
    loss_d, loss_j = 1 - d, 1 - j
    assert loss_d - 1e-15 <= loss_j <= 2 * loss_d + 1e-15
    assert 0.0 <= dice_jaccard_gap(d) <= 3 - 2 * np.sqrt(2) + 1e-15
    assert dice_jaccard_gap(d) == pytest.approx(loss_j - loss_d, abs=1e-15)


@settings(max_examples=100, deadline=None)
@given(unit, unit)
def test_dice_from_jaccard_strictly_increasing(a, b):
    if a < b:
        assert dice_from_jaccard(a) < dice_from_jaccard(b)


def test_dice_jaccard_gap_maximum_sympy_and_grid():
    """Maximal gap L_J - L_D = 3 - 2 sqrt(2) at D = 2 - sqrt(2) (derived; checked two ways)."""
    d = sp.symbols("d", real=True)
    gap = d - d / (2 - d)
    roots = sp.solve(sp.diff(gap, d), d)
    inside = [r for r in roots if 0 <= r <= 1]
    assert inside == [2 - sp.sqrt(2)]
    assert sp.simplify(gap.subs(d, inside[0]) - (3 - 2 * sp.sqrt(2))) == 0
    assert sp.simplify(sp.diff(gap, d, 2).subs(d, inside[0])) < 0
    grid = np.linspace(0, 1, 200_001)
    values = dice_jaccard_gap(grid)
    assert values.max() <= 3 - 2 * np.sqrt(2) + 1e-15
    assert values.max() == pytest.approx(3 - 2 * np.sqrt(2), abs=1e-10)
    assert grid[np.argmax(values)] == pytest.approx(2 - np.sqrt(2), abs=1e-5)
    assert dice_jaccard_gap(2 - np.sqrt(2)) == pytest.approx(3 - 2 * np.sqrt(2), rel=1e-14)


def test_dice_jaccard_types_and_no_mutation():
    arr = np.array([[0.1, 0.5], [0.9, 1.0]], dtype=np.float32)
    before = arr.copy()
    for func in (dice_from_jaccard, jaccard_from_dice, dice_jaccard_gap):
        out = func(arr)
        assert isinstance(out, np.ndarray)
        assert out.dtype == np.float64
        assert out.shape == (2, 2)
        assert isinstance(func(0.5), float)
        assert isinstance(func(np.float32(0.5)), float)
        assert isinstance(func(1), float)
    assert_array_equal(arr, before)


@pytest.mark.parametrize("func", [dice_from_jaccard, jaccard_from_dice, dice_jaccard_gap])
@pytest.mark.parametrize(
    ("bad", "error", "match"),
    [
        (1.5, ValueError, "probabilities in"),
        (-0.1, ValueError, "probabilities in"),
        (np.nan, ValueError, "NaN or infinite"),
        ([0.5, np.inf], ValueError, "NaN or infinite"),
        ("0.5", TypeError, "real numeric"),
        ([], ValueError, "empty"),
    ],
)
def test_dice_jaccard_validation(func, bad, error, match):
    name = "j" if func is dice_from_jaccard else "d"
    with pytest.raises(error, match=f"^{name} .*{match}"):
        func(bad)


# ------------------------------------------------------------ rates_to_metrics


def _closed_forms(tpr, fpr, pi):
    """The closed forms of the docstring, written out independently."""
    q = pi * tpr + (1 - pi) * fpr
    iou_bg = (1 - pi) * (1 - fpr) / ((1 - pi) + pi * (1 - tpr))
    iou = pi * tpr / (pi + (1 - pi) * fpr)
    return {
        "accuracy": pi * tpr + (1 - pi) * (1 - fpr),
        "balanced_accuracy": (tpr + 1 - fpr) / 2,
        "precision": pi * tpr / (pi * tpr + (1 - pi) * fpr),
        "recall": tpr,
        "specificity": 1 - fpr,
        "iou": iou,
        "dice": 2 * pi * tpr / (pi + pi * tpr + (1 - pi) * fpr),
        "mcc": (tpr - fpr) * np.sqrt(pi * (1 - pi) / (q * (1 - q))),
        "miou": (iou + iou_bg) / 2,
    }


def test_rates_to_metrics_closed_forms_on_grid():
    tpr = np.linspace(0.05, 0.95, 7)[:, None, None]
    fpr = np.linspace(0.01, 0.9, 6)[None, :, None]
    pi = np.array([0.001, 0.01, 0.1, 0.5, 0.9])[None, None, :]
    got = rates_to_metrics(tpr, fpr, pi)
    want = _closed_forms(tpr, fpr, pi)
    assert list(got) == list(POPULATION_METRICS)
    for name in POPULATION_METRICS:
        assert got[name].shape == (7, 6, 5), name
        assert_allclose(got[name], np.broadcast_to(want[name], (7, 6, 5)), rtol=1e-12,
                        err_msg=name)


def test_rates_to_metrics_sympy():
    """The count formulas reduce to the closed forms symbolically (MCC included)."""
    pi, tpr, fpr = sp.symbols("pi tpr fpr", positive=True)
    tp, fn = pi * tpr, pi * (1 - tpr)
    fp, tn = (1 - pi) * fpr, (1 - pi) * (1 - fpr)
    q = pi * tpr + (1 - pi) * fpr
    assert sp.factor(tp * tn - fp * fn - pi * (1 - pi) * (tpr - fpr)) == 0
    mcc_counts = (tp * tn - fp * fn) / sp.sqrt((tp + fp) * (tp + fn) * (tn + fp) * (tn + fn))
    mcc_closed = (tpr - fpr) * sp.sqrt(pi * (1 - pi) / (q * (1 - q)))
    assert sp.simplify(mcc_counts**2 - mcc_closed**2) == 0
    assert sp.simplify(2 * tp / (2 * tp + fp + fn) - 2 * pi * tpr / (pi + q)) == 0
    assert sp.simplify(tp / (tp + fp + fn) - pi * tpr / (pi + (1 - pi) * fpr)) == 0
    # numeric spot check of sign and value
    point = {pi: sp.Rational(1, 10), tpr: sp.Rational(9, 10), fpr: sp.Rational(1, 100)}
    got = rates_to_metrics(0.9, 0.01, 0.1)["mcc"]
    assert got == pytest.approx(float(mcc_closed.subs(point)), rel=1e-14)


@pytest.mark.parametrize(("tpr", "fpr", "pi"), [(0.9, 0.01, 0.1), (0.5, 0.2, 0.05),
                                                (0.75, 0.5, 0.25), (1.0, 0.0, 0.02)])
def test_rates_to_metrics_match_scikit_learn_on_exact_mask(tpr, fpr, pi):
    """Outside reference: scikit-learn 1.9.1 (Pedregosa et al. 2011) on a 100 000-pixel mask.

    The mask has exactly pi * n foreground pixels and noisy_prediction hits tpr * #fg and
    fpr * #bg exactly (all whole numbers here), so the empirical metrics equal the
    population values up to floating-point rounding.
    """
    metrics = pytest.importorskip("sklearn.metrics")
    n = 100_000
    target = np.zeros(n, dtype=bool)
    target[: round(pi * n)] = True
    pred = data.noisy_prediction(target, tpr=tpr, fpr=fpr, seed=3)
    n_fg = round(pi * n)
    assert tpr * n_fg == pytest.approx(round(tpr * n_fg), abs=1e-9)  # whole numbers
    assert fpr * (n - n_fg) == pytest.approx(round(fpr * (n - n_fg)), abs=1e-9)
    assert (pred & target).sum() == round(tpr * n_fg)
    assert (pred & ~target).sum() == round(fpr * (n - n_fg))
    want = {
        "accuracy": metrics.accuracy_score(target, pred),
        "balanced_accuracy": metrics.balanced_accuracy_score(target, pred),
        "precision": metrics.precision_score(target, pred),
        "recall": metrics.recall_score(target, pred),
        "specificity": metrics.recall_score(target, pred, pos_label=0),
        "iou": metrics.jaccard_score(target, pred),
        "dice": metrics.f1_score(target, pred),
        "mcc": metrics.matthews_corrcoef(target, pred),
        "miou": metrics.jaccard_score(target, pred, average="macro"),
    }
    got = rates_to_metrics(tpr, fpr, pi)
    for name in POPULATION_METRICS:
        assert got[name] == pytest.approx(want[name], rel=1e-12, abs=1e-15), name


def test_rates_to_metrics_match_seglab_metrics_on_exact_mask():
    tpr, fpr, pi = 0.8, 0.02, 0.05
    target = data.synthetic_mask((200, 500), foreground_fraction=pi, num_objects=3)
    assert target.sum() == pi * target.size
    pred = data.noisy_prediction(target, tpr=tpr, fpr=fpr, seed=1)
    got = rates_to_metrics(tpr, fpr, pi)
    binary = {"average": "binary"}
    assert got["accuracy"] == pytest.approx(metrics.accuracy(pred, target), rel=1e-12)
    assert got["balanced_accuracy"] == pytest.approx(metrics.balanced_accuracy(pred, target),
                                                     rel=1e-12)
    for name in ("precision", "recall", "iou", "dice", "mcc"):
        value = getattr(metrics, name)(pred, target, **binary)
        assert got[name] == pytest.approx(value, rel=1e-12), name
    assert got["specificity"] == pytest.approx(metrics.specificity(pred, target, **binary),
                                               rel=1e-12)
    assert got["miou"] == pytest.approx(metrics.iou(pred, target, average="macro"), rel=1e-12)


@pytest.mark.parametrize("zero_division", [np.nan, 0.0, 1.0])
def test_rates_to_metrics_zero_division(zero_division):
    none = rates_to_metrics(0.0, 0.0, 0.3, zero_division=zero_division)
    every = rates_to_metrics(1.0, 1.0, 0.3, zero_division=zero_division)
    for value in (none["precision"], none["mcc"], every["mcc"]):
        assert_array_equal(value, zero_division)
    assert every["precision"] == pytest.approx(0.3)
    for result in (none, every):
        for name in ("accuracy", "balanced_accuracy", "recall", "specificity", "iou", "dice",
                     "miou"):
            assert np.isfinite(result[name]), name


def test_rates_to_metrics_perfect_classifier():
    m = rates_to_metrics(1.0, 0.0, [0.001, 0.5])
    for name in POPULATION_METRICS:
        assert_allclose(m[name], 1.0, rtol=1e-15, err_msg=name)


@settings(max_examples=150, deadline=None)
@given(unit, unit, open_unit, open_unit)
def test_rates_to_metrics_properties(tpr, fpr, pi, other_pi):
    m = rates_to_metrics(tpr, fpr, pi)
    for name in POPULATION_METRICS:
        if not np.isnan(m[name]):
            low = -1.0 if name == "mcc" else 0.0
            assert low - 1e-12 <= m[name] <= 1.0 + 1e-12, name
    # balanced accuracy, recall and specificity do not depend on the prior
    other = rates_to_metrics(tpr, fpr, other_pi)
    for name in ("balanced_accuracy", "recall", "specificity"):
        assert m[name] == pytest.approx(other[name], abs=1e-15)
    assert m["dice"] == pytest.approx(dice_from_jaccard(m["iou"]), abs=1e-12)
    # swapping the roles of the classes maps (tpr, fpr, pi) to (1 - fpr, 1 - tpr, 1 - pi)
    swapped = rates_to_metrics(1 - fpr, 1 - tpr, 1 - pi)
    assert swapped["miou"] == pytest.approx(m["miou"], abs=1e-12)
    assert swapped["accuracy"] == pytest.approx(m["accuracy"], abs=1e-12)
    if not (np.isnan(m["mcc"]) or np.isnan(swapped["mcc"])):  # 1 - tiny rounds to 1
        assert swapped["mcc"] == pytest.approx(m["mcc"], abs=1e-9)


def test_rates_to_metrics_returns_floats_for_scalars():
    m = rates_to_metrics(0.9, 0.1, 0.2)
    assert all(type(v) is float for v in m.values())
    m = rates_to_metrics(np.array([0.9]), 0.1, 0.2)
    assert all(isinstance(v, np.ndarray) and v.shape == (1,) for v in m.values())


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"pi": 0.0}, ValueError, r"pi must lie in \(0.0, 1.0\)"),
        ({"pi": 1.0}, ValueError, r"pi must lie in \(0.0, 1.0\)"),
        ({"pi": [0.2, 1.2]}, ValueError, r"pi must lie"),
        ({"pi": np.nan}, ValueError, "pi contains"),
        ({"tpr": 1.1}, ValueError, "tpr must hold probabilities"),
        ({"fpr": -0.1}, ValueError, "fpr must hold probabilities"),
        ({"tpr": np.inf}, ValueError, "tpr contains"),
        ({"fpr": "x"}, TypeError, "fpr must be a real numeric array"),
        ({"zero_division": 0.5}, ValueError, "zero_division"),
        ({"zero_division": "warn"}, TypeError, "zero_division"),
    ],
)
def test_rates_to_metrics_validation(kwargs, error, match):
    args = {"tpr": 0.9, "fpr": 0.1, "pi": 0.2, **kwargs}
    zero_division = args.pop("zero_division", np.nan)
    with pytest.raises(error, match=match):
        rates_to_metrics(args["tpr"], args["fpr"], args["pi"], zero_division=zero_division)


def test_rates_to_metrics_bad_broadcast():
    with pytest.raises(ValueError):
        rates_to_metrics([0.1, 0.2], [0.1, 0.2, 0.3], 0.5)


# --------------------------------------------------------- trivial classifiers


@pytest.mark.parametrize("pi", [0.001, 0.02, 0.3, 0.5, 0.9])
def test_trivial_classifiers(pi):
    bg = trivial_classifier_metrics(pi, predict="background")
    assert bg["accuracy"] == pytest.approx(1 - pi, rel=1e-15)
    assert bg["balanced_accuracy"] == 0.5
    assert bg["iou"] == bg["dice"] == bg["recall"] == 0.0
    assert bg["specificity"] == 1.0
    assert bg["miou"] == pytest.approx((1 - pi) / 2, rel=1e-15)
    assert np.isnan(bg["precision"]) and np.isnan(bg["mcc"])
    fg = trivial_classifier_metrics(pi, predict="foreground")
    assert fg["accuracy"] == pytest.approx(pi, rel=1e-15)
    assert fg["balanced_accuracy"] == 0.5
    assert fg["dice"] == pytest.approx(2 * pi / (1 + pi), rel=1e-15)
    assert fg["iou"] == pytest.approx(pi, rel=1e-15)
    assert fg["precision"] == pytest.approx(pi, rel=1e-15)
    assert fg["miou"] == pytest.approx(pi / 2, rel=1e-15)
    assert fg["specificity"] == 0.0 and fg["recall"] == 1.0
    assert np.isnan(fg["mcc"])


def test_trivial_classifier_zero_division_and_vectorised():
    m = trivial_classifier_metrics([0.1, 0.2], predict="background", zero_division=0.0)
    assert_array_equal(m["precision"], [0.0, 0.0])
    assert_array_equal(m["mcc"], [0.0, 0.0])
    assert_allclose(m["accuracy"], [0.9, 0.8])


def test_trivial_classifier_validation():
    with pytest.raises(ValueError, match="predict must be one of"):
        trivial_classifier_metrics(0.1, predict="everything")
    with pytest.raises(TypeError):
        trivial_classifier_metrics(0.1)  # predict is required
    with pytest.raises(ValueError, match="pi must lie"):
        trivial_classifier_metrics(0.0, predict="background")


# -------------------------------------------------------------- Bayes thresholds


def test_bayes_threshold_values():
    assert bayes_threshold("accuracy") == 0.5
    assert bayes_threshold("cost") == 0.5
    assert bayes_threshold("cost", cost_fp=1.0, cost_fn=9.0) == pytest.approx(0.1)
    assert bayes_threshold("cost", cost_fp=3.0, cost_fn=1.0) == pytest.approx(0.75)
    assert bayes_threshold("balanced", pi=0.02) == 0.02
    assert_allclose(bayes_threshold("balanced", pi=[0.1, 0.3]), [0.1, 0.3])
    assert_allclose(bayes_threshold("cost", cost_fp=[1, 2], cost_fn=[3, 2]), [0.25, 0.5])
    assert type(bayes_threshold("cost", cost_fp=2, cost_fn=6)) is float


def test_bayes_thresholds_against_all_subsets():
    """Each Bayes rule eta > t minimises its risk over all 2**n predictions of n pixels."""
    rng = np.random.default_rng(7)
    subsets = _all_subsets(12)
    for _ in range(5):
        eta = rng.random(12)
        pi = eta.mean()  # the population prior of this posterior map
        fn_mass = np.where(~subsets, eta, 0).sum(axis=1)  # expected FN
        fp_mass = np.where(subsets, 1 - eta, 0).sum(axis=1)  # expected FP
        risks = {
            "accuracy": (fn_mass + fp_mass, {}),
            "cost": (2.0 * fp_mass + 5.0 * fn_mass, {"cost_fp": 2.0, "cost_fn": 5.0}),
            "balanced": (fn_mass / eta.sum() + fp_mass / (1 - eta).sum(), {"pi": pi}),
        }
        for criterion, (risk, kwargs) in risks.items():
            best = subsets[np.argmin(risk)]
            rule = eta > bayes_threshold(criterion, **kwargs)
            assert_array_equal(best, rule, err_msg=criterion)


@pytest.mark.parametrize(
    ("args", "kwargs", "error", "match"),
    [
        (("f1",), {}, ValueError, "criterion must be one of"),
        (("balanced",), {}, ValueError, "pi is required"),
        (("balanced",), {"pi": 1.0}, ValueError, "pi must lie"),
        (("accuracy",), {"pi": -0.5}, ValueError, "pi must lie"),
        (("cost",), {"cost_fp": 0.0}, ValueError, "cost_fp must lie"),
        (("cost",), {"cost_fn": -1.0}, ValueError, "cost_fn must lie"),
        (("cost",), {"cost_fn": np.inf}, ValueError, "cost_fn contains"),
        (("cost",), {"cost_fp": "1"}, TypeError, "cost_fp must be a real"),
    ],
)
def test_bayes_threshold_validation(args, kwargs, error, match):
    with pytest.raises(error, match=match):
        bayes_threshold(*args, **kwargs)


def test_tversky_threshold_special_cases():
    t = np.linspace(0, 1, 11)
    assert_allclose(tversky_threshold(t, alpha=0.5, beta=0.5), t / 2, rtol=1e-15)
    assert_allclose(tversky_threshold(t, alpha=1.0, beta=1.0), t / (1 + t), rtol=1e-15)
    assert tversky_threshold(0.7, alpha=0.0, beta=1.0) == 0.0
    # raising beta (weight of false negatives) lowers the threshold
    values = tversky_threshold(0.6, alpha=0.5, beta=np.linspace(0.1, 2, 20))
    assert np.all(np.diff(values) < 0)
    assert type(tversky_threshold(0.5, alpha=0.3, beta=0.7)) is float


def test_tversky_threshold_sympy():
    t, a, b, eta = sp.symbols("t a b eta", positive=True)
    bracket = eta - t * ((1 - b) * eta + a * (1 - eta))  # Dinkelbach: per-pixel gain
    (root,) = sp.solve(sp.Eq(bracket, 0), eta)
    assert sp.simplify(root - a * t / (1 + t * (a + b - 1))) == 0
    assert float(root.subs({t: 0.6, a: 0.3, b: 0.7})) == pytest.approx(
        tversky_threshold(0.6, alpha=0.3, beta=0.7), rel=1e-14
    )


@pytest.mark.parametrize(
    ("t_star", "alpha", "beta", "error", "match"),
    [
        (1.2, 0.5, 0.5, ValueError, "t_star must hold probabilities"),
        (0.5, -0.1, 0.5, ValueError, "alpha must lie"),
        (0.5, 0.5, -1.0, ValueError, "beta must lie"),
        (0.5, 0.0, 0.0, ValueError, "not both be 0"),
        (0.5, [0.0, 1.0], 0.0, ValueError, "not both be 0"),
        (0.5, "a", 0.5, TypeError, "alpha must be a real"),
    ],
)
def test_tversky_threshold_validation(t_star, alpha, beta, error, match):
    with pytest.raises(error, match=match):
        tversky_threshold(t_star, alpha=alpha, beta=beta)


# ---------------------------------------------------------- expected confusion


def test_expected_confusion_against_masked_sums():
    rng = np.random.default_rng(1)
    eta = np.round(rng.random((40, 50)), 2)  # many ties
    before = eta.copy()
    thresholds = np.array([0.0, 0.05, 0.31, 0.5, 0.5000001, 0.99, 1.0])
    got = expected_confusion(eta, thresholds)
    for i, t in enumerate(thresholds):
        for key, want in zip(("tp", "fp", "fn", "tn"), _counts_brute(eta, t), strict=True):
            assert got[key][i] == pytest.approx(want, rel=1e-12, abs=1e-12), (key, t)
    total = got["tp"] + got["fp"] + got["fn"] + got["tn"]
    assert_allclose(total, eta.size, rtol=1e-12)
    assert_allclose(got["tp"] + got["fn"], eta.sum(), rtol=1e-12)
    assert_array_equal(eta, before)


def test_expected_confusion_ties_go_to_background_and_scalar_output():
    got = expected_confusion([0.5, 0.5, 0.8], 0.5)
    assert got == pytest.approx({"tp": 0.8, "fp": 0.2, "fn": 1.0, "tn": 1.0})
    assert all(type(v) is float for v in got.values())
    got = expected_confusion([0.5, 0.5, 0.8], [[0.4, 0.5]])
    assert got["tp"].shape == (1, 2)
    assert_allclose(got["tp"], [[1.8, 0.8]])


def test_expected_confusion_is_the_mean_of_sampled_counts():
    eta = data.posterior_map(data.synthetic_mask((32, 32), foreground_fraction=0.2), seed=2)
    expected = expected_confusion(eta, 0.4)
    pred = eta > 0.4
    draws = np.stack([data.sample_labels(eta, seed=s) for s in range(400)])
    tp = (draws & pred).sum(axis=(1, 2))
    fn = (draws & ~pred).sum(axis=(1, 2))
    # 400 draws: the standard error of the mean count is below 1 pixel
    assert tp.mean() == pytest.approx(expected["tp"], abs=4 * tp.std() / 20 + 1e-9)
    assert fn.mean() == pytest.approx(expected["fn"], abs=4 * fn.std() / 20 + 1e-9)


@pytest.mark.parametrize(
    ("eta", "threshold", "error", "match"),
    [
        ([0.2, 1.5], 0.5, ValueError, "prob must hold probabilities"),
        ([0.2, -0.5], 0.5, ValueError, "prob must hold probabilities"),
        ([0.2, np.nan], 0.5, ValueError, "prob contains"),
        ([], 0.5, ValueError, "prob is empty"),
        ([0.2, 0.4], 1.5, ValueError, "threshold must hold probabilities"),
        ([0.2, 0.4], -0.1, ValueError, "threshold must hold probabilities"),
        ([0.2, 0.4], np.nan, ValueError, "threshold contains"),
        (["a"], 0.5, TypeError, "prob must be a real numeric"),
    ],
)
def test_expected_confusion_validation(eta, threshold, error, match):
    with pytest.raises(error, match=match):
        expected_confusion(eta, threshold)


def test_expected_metrics_match_scikit_learn_with_sample_weights():
    """Outside reference: scikit-learn 1.9.1 (Pedregosa et al. 2011) with sample weights.

    Each pixel enters twice, with label 1 and weight eta and with label 0 and weight
    1 - eta, and the prediction eta > t both times; the weighted confusion matrix is then
    the expected confusion matrix, so scikit-learn's weighted scores are the population
    metrics.
    """
    metrics = pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng(4)
    eta = rng.beta(0.5, 2.0, size=4000)
    threshold = 0.3
    pred = np.concatenate([eta > threshold] * 2)
    labels = np.concatenate([np.ones(eta.size, bool), np.zeros(eta.size, bool)])
    weight = np.concatenate([eta, 1 - eta])
    kw = {"sample_weight": weight}
    want = {
        "accuracy": metrics.accuracy_score(labels, pred, **kw),
        "balanced_accuracy": metrics.balanced_accuracy_score(labels, pred, **kw),
        "precision": metrics.precision_score(labels, pred, **kw),
        "recall": metrics.recall_score(labels, pred, **kw),
        "specificity": metrics.recall_score(labels, pred, pos_label=0, **kw),
        "iou": metrics.jaccard_score(labels, pred, **kw),
        "dice": metrics.f1_score(labels, pred, **kw),
        "mcc": metrics.matthews_corrcoef(labels, pred, **kw),
        "miou": metrics.jaccard_score(labels, pred, average="macro", **kw),
    }
    got = expected_metrics(eta, threshold)
    for name in POPULATION_METRICS:
        assert got[name] == pytest.approx(want[name], rel=1e-10), name


def test_expected_metrics_equal_formulas_of_brute_counts():
    rng = np.random.default_rng(5)
    eta = rng.beta(0.3, 2.0, size=3000)
    thresholds = [0.0, 0.1, 0.25, 0.5, 0.9, 1.0]
    got = expected_metrics(eta, thresholds)
    assert list(got) == list(POPULATION_METRICS)
    for i, t in enumerate(thresholds):
        counts = _counts_brute(eta, t)
        for name in POPULATION_METRICS:
            want = _value_or_nan(_metric_brute(name, *counts))
            assert_allclose(got[name][i], want, rtol=1e-10, err_msg=f"{name} at {t}")


# ------------------------------------------------------------- threshold curve


@pytest.mark.parametrize("metric", CURVE_METRICS)
def test_threshold_curve_against_brute_force(metric):
    rng = np.random.default_rng(6)
    eta = np.round(rng.beta(0.5, 3.0, size=(30, 30)), 3)
    thresholds = np.linspace(0, 1, 41)
    alpha, beta = (0.3, 0.8) if metric == "tversky_index" else (0.5, 0.5)
    curve = threshold_curve(eta, thresholds, metric=metric, alpha=alpha, beta=beta)
    assert curve.shape == thresholds.shape
    want = [_value_or_nan(_metric_brute(metric, *_counts_brute(eta, t), alpha, beta))
            for t in thresholds]
    assert_allclose(curve, want, rtol=1e-10, atol=1e-14)


def test_threshold_curve_tversky_special_cases():
    eta = np.random.default_rng(8).random(500)
    t = np.linspace(0, 1, 21)
    dice = threshold_curve(eta, t, metric="dice")
    iou = threshold_curve(eta, t, metric="iou")
    assert_allclose(threshold_curve(eta, t, metric="tversky_index"), dice, rtol=1e-13)
    assert_allclose(threshold_curve(eta, t, metric="tversky_index", alpha=1.0, beta=1.0), iou,
                    rtol=1e-13)
    assert_allclose(dice, dice_from_jaccard(iou), rtol=1e-12)


def test_threshold_curve_zero_division_and_scalar():
    eta = np.array([0.2, 0.7])
    assert np.isnan(threshold_curve(eta, 0.9, metric="precision"))
    assert threshold_curve(eta, 0.9, metric="precision", zero_division=1.0) == 1.0
    assert type(threshold_curve(eta, 0.5)) is float
    zeros = np.zeros(5)
    assert np.isnan(threshold_curve(zeros, 0.5, metric="dice"))
    assert threshold_curve(zeros, 0.5, metric="dice", zero_division=0.0) == 0.0
    # no foreground mass at all: balanced accuracy averages the defined recall only
    assert threshold_curve(zeros, 0.5, metric="balanced_accuracy") == 1.0
    assert threshold_curve(zeros, 0.5, metric="balanced_accuracy", zero_division=0.0) == 0.5
    assert threshold_curve(zeros, 0.5, metric="mcc") == 1.0  # no expected errors


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"metric": "f1"}, ValueError, "metric must be one of"),
        ({"metric": "tversky_index", "alpha": -1.0}, ValueError, "alpha must lie"),
        ({"metric": "tversky_index", "alpha": 0.0, "beta": 0.0}, ValueError, "not both be 0"),
        ({"metric": "tversky_index", "beta": [0.5]}, TypeError, "beta must be a real number"),
        ({"metric": "tversky_index", "beta": np.nan}, ValueError, "beta contains"),
        ({"zero_division": 2.0}, ValueError, "zero_division"),
    ],
)
def test_threshold_curve_and_optimal_threshold_validation(kwargs, error, match):
    with pytest.raises(error, match=match):
        threshold_curve([0.2, 0.6], [0.5], **kwargs)
    with pytest.raises(error, match=match):
        optimal_threshold([0.2, 0.6], **kwargs)
    with pytest.raises(ValueError, match="thresholds must hold probabilities"):
        threshold_curve([0.2, 0.6], [0.5, 2.0])
    with pytest.raises(ValueError, match="prob must hold probabilities"):
        optimal_threshold([0.2, 1.6])


# ----------------------------------------------------------- optimal threshold


@pytest.mark.parametrize("seed", range(5))
def test_optimal_dice_rule_is_eta_above_half_f_star(seed):
    """Lipton et al. (2014): the F1-optimal rule thresholds eta at F*/2."""
    rng = np.random.default_rng(seed)
    eta = rng.beta(0.4, 3.0, size=4000)
    t, f_star = optimal_threshold(eta, metric="dice")
    assert np.min(np.abs(eta - f_star / 2)) > 1e-12  # continuous eta: no pixel on the boundary
    assert_array_equal(eta > t, eta > f_star / 2)
    assert f_star == pytest.approx(_best_threshold_rule_brute(eta, "dice"), rel=1e-12)
    t_iou, j_star = optimal_threshold(eta, metric="iou")
    assert_array_equal(eta > t_iou, eta > j_star / (1 + j_star))
    assert f_star == pytest.approx(dice_from_jaccard(j_star), rel=1e-12)


@pytest.mark.parametrize(("alpha", "beta"), [(0.5, 0.5), (1.0, 1.0), (0.3, 0.7), (0.7, 0.3),
                                             (0.1, 2.0), (2.0, 0.2), (0.0, 1.0)])
def test_optimal_tversky_rule(alpha, beta):
    """Koyejo et al. (2014): the Tversky-optimal rule thresholds eta at aT*/(1+T*(a+b-1))."""
    rng = np.random.default_rng(11)
    eta = rng.beta(0.5, 2.0, size=3000)
    t, t_star = optimal_threshold(eta, metric="tversky_index", alpha=alpha, beta=beta)
    tau = tversky_threshold(t_star, alpha=alpha, beta=beta)
    if alpha > 0:
        assert np.min(np.abs(eta - tau)) > 1e-12
    assert_array_equal(eta > t, eta > tau)
    assert t_star == pytest.approx(
        _best_threshold_rule_brute(eta, "tversky_index", alpha, beta), rel=1e-12
    )


@pytest.mark.parametrize(("metric", "alpha", "beta"),
                         [("dice", 0.5, 0.5), ("iou", 1.0, 1.0), ("tversky_index", 0.2, 0.9),
                          ("tversky_index", 1.5, 0.4)])
def test_threshold_rule_is_optimal_over_all_subsets(metric, alpha, beta):
    """Dinkelbach: the best of all 2**n predictions is a threshold rule, found by the sweep."""
    rng = np.random.default_rng(12)
    subsets = _all_subsets(12)
    for _ in range(4):
        eta = rng.random(12)
        tp = np.where(subsets, eta, 0).sum(axis=1)
        fp = np.where(subsets, 1 - eta, 0).sum(axis=1)
        fn = eta.sum() - tp
        values = tp / (tp + alpha * fp + beta * fn)
        t, best = optimal_threshold(eta, metric=metric, alpha=alpha, beta=beta)
        assert best == pytest.approx(values.max(), rel=1e-12)
        assert_array_equal(subsets[np.argmax(values)], eta > t)


@pytest.mark.parametrize("metric", CURVE_METRICS)
def test_optimal_threshold_against_brute_sweep_with_ties(metric):
    rng = np.random.default_rng(13)
    eta = np.round(rng.beta(0.6, 2.5, size=(25, 40)), 2)  # heavy ties, zeros included
    assert np.count_nonzero(eta == 0) > 0
    before = eta.copy()
    kwargs = {"alpha": 0.4, "beta": 0.9} if metric == "tversky_index" else {}
    t, value = optimal_threshold(eta, metric=metric, **kwargs)
    brute = _best_threshold_rule_brute(eta, metric, **kwargs)
    assert value == pytest.approx(brute, rel=1e-12, abs=1e-15)
    assert value == threshold_curve(eta, t, metric=metric, **kwargs)
    assert 0.0 <= t <= 1.0
    assert_array_equal(eta, before)
    # the threshold sits strictly between two consecutive distinct values (or at the top)
    values = np.unique(eta)
    above = values[values > t]
    below = values[values <= t]
    if above.size and below.size:
        assert below[-1] < t < above[0]
        assert t == pytest.approx((below[-1] + above[0]) / 2, abs=1e-15)


def test_optimal_accuracy_and_balanced_rules_are_bayes_rules():
    rng = np.random.default_rng(14)
    eta = rng.beta(0.5, 4.0, size=5000)
    t, _ = optimal_threshold(eta, metric="accuracy")
    assert_array_equal(eta > t, eta > 0.5)
    t, _ = optimal_threshold(eta, metric="balanced_accuracy")
    assert_array_equal(eta > t, eta > eta.mean())


def test_optimal_threshold_edge_cases():
    # uninformative map: predicting everything wins (Lipton et al. 2014)
    t, value = optimal_threshold(np.full(10, 0.2))
    assert t == pytest.approx(0.1) and value == pytest.approx(2 * 0.2 / 1.2)
    # with a zero in the map, no rule eta > t (t >= 0) predicts that pixel
    t, value = optimal_threshold([0.0, 0.0, 0.9])
    assert 0.0 <= t < 0.9 and value == pytest.approx(2 * 0.9 / (1 + 0.9))
    # adjacent doubles: the midpoint would round onto the upper value
    a = 0.3
    b = np.nextafter(a, 1.0)
    t, value = optimal_threshold([a, b], metric="precision")
    assert_array_equal(np.array([a, b]) > t, [False, True])
    assert value == threshold_curve([a, b], t, metric="precision")
    # a map of ones: predict all
    t, value = optimal_threshold(np.ones(4))
    assert t == 0.5 and value == 1.0
    # metric undefined for every rule
    t, value = optimal_threshold(np.zeros(4))
    assert np.isnan(value) and t == 0.5
    t, value = optimal_threshold(np.zeros(4), zero_division=0.0)
    assert value == 0.0
    # scalar and multi-dimensional input
    assert optimal_threshold(0.7) == (0.35, pytest.approx(1.4 / 1.7))
    assert optimal_threshold(np.full((2, 3, 4), 0.6))[1] == pytest.approx(1.2 / 1.6)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.sampled_from([0.0, 0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 0.9, 1.0]) | unit,
             min_size=1, max_size=30),
    st.sampled_from(CURVE_METRICS),
    st.lists(unit, min_size=1, max_size=10),
)
def test_optimal_threshold_dominates_every_threshold(eta, metric, probes):
    t, value = optimal_threshold(eta, metric=metric)
    curve = threshold_curve(eta, np.array(probes), metric=metric)
    defined = curve[~np.isnan(curve)]
    if defined.size:
        assert value >= defined.max() - 1e-12
    if not np.isnan(value):
        assert value == threshold_curve(eta, t, metric=metric)


def test_optimal_threshold_scales():
    eta = data.posterior_map(data.synthetic_mask((512, 512), foreground_fraction=0.01))
    t, value = optimal_threshold(eta, metric="dice")
    assert_array_equal(eta > t, eta > value / 2)
    assert 0.0 < t < 0.5


def test_public_api():
    assert set(theory.__all__) == {
        "POPULATION_METRICS", "bayes_threshold", "ce_soft_dice_minimiser", "dice_from_jaccard",
        "dice_jaccard_gap", "expected_confusion", "expected_metrics", "focal_minimiser",
        "imbalance_rules", "jaccard_from_dice",
        "label_noise_risks", "optimal_threshold",
        "rates_to_metrics", "threshold_curve", "trivial_classifier_metrics",
        "tversky_threshold",
    }
    for name in theory.__all__:
        obj = getattr(theory, name)
        if callable(obj):
            assert "Examples" in obj.__doc__, name
            assert any(f"book/ch{k}" in obj.__doc__ for k in (1, 2, 4)), name


def test_all_combinations_of_zero_division_never_warn():
    """RuntimeWarning is an error in this suite: no 0/0 is ever evaluated."""
    for zd, (tpr, fpr) in itertools.product([np.nan, 0.0, 1.0],
                                            [(0, 0), (1, 1), (0, 1), (1, 0)]):
        rates_to_metrics(tpr, fpr, 0.5, zero_division=zd)
        for eta in (np.zeros(3), np.ones(3), np.array([0.0, 1.0])):
            expected_metrics(eta, [0.0, 0.5, 1.0], zero_division=zd)
            for metric in CURVE_METRICS:
                optimal_threshold(eta, metric=metric, zero_division=zd)


# ------------------------------------------------ extreme inputs (regression tests)


def _focal_minimiser_mpmath(eta, gamma, alpha=0.5, digits=60):
    """Reference minimiser: 200 bisection steps on psi_gamma(q) = eta' in mpmath.

    psi_gamma(q) = g(1 - q) / (g(q) + g(1 - q)), g(x) = (1 - x)^(gamma - 1)((1 - x)/x
    - gamma log x), the first-order condition of the expected focal loss (Charoenphakdee
    et al., CVPR 2021), evaluated with 60 significant digits.
    """
    import mpmath as mp

    with mp.workdps(digits):
        eta, gamma, alpha = mp.mpf(eta), mp.mpf(gamma), mp.mpf(alpha)
        weighted = alpha * eta / (alpha * eta + (1 - alpha) * (1 - eta))

        def g(x):
            return (1 - x) ** (gamma - 1) * ((1 - x) / x - gamma * mp.log(x))

        low, high = mp.mpf(0), mp.mpf(1)
        for _ in range(200):
            mid = (low + high) / 2
            if g(1 - mid) / (g(mid) + g(1 - mid)) < weighted:
                low = mid
            else:
                high = mid
        return float((low + high) / 2)


@pytest.mark.parametrize("gamma", [2000.0, 5000.0, 1e6])
def test_focal_minimiser_large_gamma_matches_mpmath(gamma):
    """For gamma >= 2000 (1 - q)^(gamma - 1) underflows; the minimiser must still move
    with eta (it was constant) and match a 60-digit reference."""
    etas = np.array([1e-6, 0.1, 0.3, 0.7, 0.9, 1 - 1e-6])
    got = theory.focal_minimiser(etas, gamma=gamma)
    expected = [_focal_minimiser_mpmath(eta, gamma) for eta in etas]
    assert_allclose(got, expected, rtol=0, atol=1e-15)
    assert np.all(np.diff(got) > 0)
    got_a = theory.focal_minimiser(0.3, gamma=gamma, alpha=0.25)
    assert got_a == pytest.approx(_focal_minimiser_mpmath(0.3, gamma, 0.25), abs=1e-15)


def test_focal_minimiser_near_one_matches_mpmath():
    for gamma, eta in ((10.0, 1 - 1e-6), (2.0, 1 - 1e-4), (0.5, 1e-6)):
        got = theory.focal_minimiser(eta, gamma=gamma)
        assert got == pytest.approx(_focal_minimiser_mpmath(eta, gamma), abs=1e-15)


@pytest.mark.parametrize(("cost_fp", "cost_fn", "expected"), [
    (1e308, 1e308, 0.5),
    (1.7e308, 1.7e308, 0.5),
    (1.5e308, 0.5e308, 0.75),
    (1e-320, 1e-320, 0.5),
    (1e308, 1e-308, 1.0),
])
def test_bayes_threshold_cost_does_not_overflow(cost_fp, cost_fn, expected):
    assert bayes_threshold("cost", cost_fp=cost_fp, cost_fn=cost_fn) == pytest.approx(
        expected, rel=1e-15)


@pytest.mark.parametrize(("func", "args", "kwargs", "match"), [
    (rates_to_metrics, ([0.9, 0.8], [0.1, 0.2, 0.3], 0.1), {},
     r"tpr shape \(2,\), fpr shape \(3,\), pi shape \(\) do not broadcast"),
    (bayes_threshold, ("cost",), {"cost_fp": [1.0, 2.0], "cost_fn": [1.0, 2.0, 3.0]},
     r"cost_fp shape \(2,\), cost_fn shape \(3,\) do not broadcast"),
    (tversky_threshold, ([0.5, 0.6],), {"alpha": [0.1, 0.2, 0.3], "beta": 0.5},
     r"alpha shape \(3,\), beta shape \(\) do not broadcast|t_star shape \(2,\)"),
    (theory.label_noise_risks, ([0.1, 0.2], [0.1, 0.2, 0.3]), {},
     r"clean_prior shape \(2,\), noise_width shape \(3,\) do not broadcast"),
])
def test_mismatched_shapes_name_the_arguments(func, args, kwargs, match):
    with pytest.raises(ValueError, match=match):
        func(*args, **kwargs)


def test_population_metrics_use_the_metric_names_of_seglab_metrics():
    from seglab import metrics

    assert set(POPULATION_METRICS) - {"miou"} <= set(metrics.METRICS)
    with pytest.raises(ValueError, match="metric must be one of"):
        threshold_curve([0.2, 0.7], 0.5, metric="tversky")
    cm = np.array([[3.5, 0.25], [0.75, 1.5]])     # rows: truth, columns: prediction
    counts = {"tp": 1.5, "fp": 0.25, "fn": 0.75, "tn": 3.5}
    rates = rates_to_metrics(counts["tp"] / 2.25, counts["fp"] / 3.75, 2.25 / 6)
    for name in POPULATION_METRICS:
        if name == "miou":
            expected = metrics.from_confusion(cm, "iou", average="macro")
        else:
            expected = metrics.from_confusion(cm, name)
        assert rates[name] == pytest.approx(expected, rel=1e-12), name


# ------------------------------------------------------------------------ focal loss
# (the minimiser drawn by seglab.viz.losses.focal_figure)


def _focal_risk(q, eta, gamma, alpha):
    return (-alpha * eta * (1 - q) ** gamma * np.log(q)
            - (1 - alpha) * (1 - eta) * q**gamma * np.log1p(-q))


@pytest.mark.parametrize("gamma", [0.0, 0.3, 1.0, 2.0, 5.0])
@pytest.mark.parametrize("alpha", [0.25, 0.5, 0.9])
@pytest.mark.parametrize("eta", [0.01, 0.3, 0.5, 0.75, 0.99])
def test_focal_minimiser_minimises_the_risk(gamma, alpha, eta):
    """Against scipy's bounded scalar minimiser of the conditional focal risk."""
    q = theory.focal_minimiser(eta, gamma=gamma, alpha=alpha)
    ref = minimize_scalar(_focal_risk, bounds=(1e-12, 1 - 1e-12), method="bounded",
                          args=(eta, gamma, alpha), options={"xatol": 1e-12}).x
    assert_allclose(q, ref, atol=1e-6)
    assert _focal_risk(q, eta, gamma, alpha) <= _focal_risk(ref, eta, gamma, alpha) + 1e-12


def test_focal_minimiser_known_values_and_decision():
    """Charoenphakdee et al. 2021: gamma = 2 gives q*(0.9) = 0.694, q*(0.99) = 0.846."""
    assert_allclose(theory.focal_minimiser([0.9, 0.99], gamma=2.0), [0.694213, 0.846376],
                    atol=1e-6)
    eta = np.linspace(0, 1, 101)
    for gamma in (0.5, 2.0):
        for alpha in (0.25, 0.5, 0.8):
            q = theory.focal_minimiser(eta, gamma=gamma, alpha=alpha)
            assert np.all(np.diff(q) > 0)
            assert q[0] == 0.0 and q[-1] == 1.0
            assert_allclose(theory.focal_minimiser(1 - alpha, gamma=gamma, alpha=alpha), 0.5,
                            atol=1e-12)
    assert_allclose(theory.focal_minimiser(eta, gamma=0.0), eta)


def test_focal_minimiser_does_not_mutate():
    eta = np.array([0.2, 0.7])
    theory.focal_minimiser(eta, gamma=1.0)
    assert_allclose(eta, [0.2, 0.7])


@pytest.mark.parametrize("kwargs, error, match", [
    ({"prob": 1.5, "gamma": 1.0}, ValueError, "prob"),
    ({"prob": np.nan, "gamma": 1.0}, ValueError, "prob"),
    ({"prob": 0.5, "gamma": -1.0}, ValueError, "gamma"),
    ({"prob": 0.5, "gamma": np.inf}, ValueError, "gamma"),
    ({"prob": 0.5, "gamma": "2"}, TypeError, "gamma"),
    ({"prob": 0.5, "gamma": 1.0, "alpha": 0.0}, ValueError, "alpha"),
    ({"prob": 0.5, "gamma": 1.0, "alpha": 1.0}, ValueError, "alpha"),
])
def test_focal_minimiser_validation(kwargs, error, match):
    with pytest.raises(error, match=match):
        theory.focal_minimiser(**kwargs)


# ----------------------------------------------------------------------- label noise
# (the risks drawn by seglab.viz.decisions.label_noise_figure)


def _monte_carlo(a, w, n=400_000, seed=0):
    """Risks of both rules from a sample of the label-noise model (posterior per pixel)."""
    rng = np.random.default_rng(seed)
    z = rng.random(n) < a
    u = rng.random(n)
    eta = np.where(z, 1 - w * u, w * u)
    pi = eta.mean()
    out = {"pi": pi, "conflict_mass": np.mean((eta > pi) & (eta < 0.5))}
    for key, t in (("accuracy_rule", 0.5), ("balanced_rule", pi)):
        h = eta > t
        fp, fn = np.mean((1 - eta) * h), np.mean(eta * ~h)
        out[f"error_{key}"] = fp + fn
        out[f"ber_{key}"] = (fn / pi + fp / (1 - pi)) / 2
    return out


@pytest.mark.parametrize("a, w", [(0.01, 0.0), (0.01, 0.3), (0.05, 0.05), (0.05, 0.2),
                                  (0.2, 0.5), (0.5, 0.4), (0.3, 0.1)])
def test_label_noise_risks_match_monte_carlo(a, w):
    """Closed forms against the empirical risks of a large sample of the model."""
    r = theory.label_noise_risks(a, w)
    mc = _monte_carlo(a, w)
    for key, value in mc.items():
        assert_allclose(r[key], value, atol=3e-3, err_msg=key)


def test_label_noise_margin_bound_is_exact():
    """The conflict mass vanishes iff w <= 2a/(1 + 2a), and the rules then agree."""
    for a in (0.01, 0.1, 0.3, 0.5):
        bound = 2 * a / (1 + 2 * a)
        widths = np.linspace(0, 0.5, 501)
        r = theory.label_noise_risks(a, widths)
        assert np.all((r["conflict_mass"] > 0) == (widths > bound + 1e-12))
        ok = widths <= bound
        assert_allclose(r["error_accuracy_rule"][ok], r["error_balanced_rule"][ok], atol=1e-15)
        assert_allclose(r["ber_accuracy_rule"][ok], r["ber_balanced_rule"][ok], atol=1e-15)
        # each rule wins its own criterion, strictly beyond the bound
        bad = widths > bound + 1e-9
        assert np.all(r["error_accuracy_rule"][bad] < r["error_balanced_rule"][bad])
        assert np.all(r["ber_balanced_rule"][bad] < r["ber_accuracy_rule"][bad])


def test_label_noise_risks_broadcast_and_scalar():
    r = theory.label_noise_risks([0.1, 0.2], 0.3)
    assert r["pi"].shape == (2,)
    assert isinstance(theory.label_noise_risks(0.1, 0.0)["pi"], float)
    assert theory.label_noise_risks(0.1, 0.0)["error_balanced_rule"] == 0.0


@pytest.mark.parametrize("a, w", [(0.0, 0.1), (0.6, 0.1), (0.1, -0.1), (0.1, 0.6),
                                  (np.nan, 0.1), (0.1, np.inf)])
def test_label_noise_risks_validation(a, w):
    with pytest.raises(ValueError, match="clean_prior|noise_width"):
        theory.label_noise_risks(a, w)


# ------------------------------------------------------------ decisions of the losses


def _posterior(pi, shape=(96, 96)):
    """The posterior map of chapter 2's slider: noise 1, seed 0."""
    mask = data.synthetic_mask(shape, foreground_fraction=pi, seed=0)
    return data.posterior_map(mask, noise=1.0, seed=0)


def test_imbalance_rules_thresholds_and_optimality():
    for pi in (0.005, 0.05, 0.3):
        rules = theory.imbalance_rules(_posterior(pi), pi)
        assert set(rules) == {"ce", "wce", "dice"}
        assert rules["ce"][0] == 0.5
        assert rules["wce"][0] == pytest.approx(pi)
        # the Dice-optimal rule is at least as good as the two fixed rules, and its
        # threshold is F*/2 (chapter 1)
        t_dice, f_star = rules["dice"]
        assert f_star >= max(rules["ce"][1], rules["wce"][1]) - 1e-12
        assert t_dice == pytest.approx(f_star / 2, abs=0.02)


def test_imbalance_rules_match_theory():
    pi = 0.02
    eta = _posterior(pi)
    rules = theory.imbalance_rules(eta, pi)
    for key, (t, dice) in rules.items():
        assert dice == pytest.approx(float(expected_metrics(eta, t)["dice"])), key


def test_imbalance_small_prior_hurts_the_half_rule():
    # the 1/2 rule loses more Dice to the optimum as the prior shrinks
    loss = []
    for pi in (0.3, 0.01):
        rules = theory.imbalance_rules(_posterior(pi), pi)
        loss.append(rules["dice"][1] - rules["ce"][1])
    assert loss[1] > loss[0]


@pytest.mark.parametrize("pi", [0.0, 1.0, -0.1, np.nan])
def test_imbalance_rules_validation(pi):
    with pytest.raises(ValueError, match="pi"):
        theory.imbalance_rules(_posterior(0.1), pi)


def test_imbalance_rules_does_not_mutate():
    eta = _posterior(0.1)
    before = eta.copy()
    theory.imbalance_rules(eta, 0.1)
    assert_array_equal(eta, before)


def test_tversky_threshold_decreases_in_beta():
    """The threshold tau of the Tversky-optimal rule on chapter 2's posterior map (10 %
    foreground) falls as beta grows: weighting false negatives predicts more foreground."""
    eta = _posterior(0.1)
    taus = []
    for beta in (0.2, 0.5, 0.8):
        _, t_star = optimal_threshold(eta, metric="tversky_index", alpha=0.5, beta=beta)
        taus.append(tversky_threshold(t_star, alpha=0.5, beta=beta))
    assert taus[0] > taus[1] > taus[2]
