"""Paired comparison of two models (seglab.compare).

The interval and the test are scipy's (``scipy.stats.bootstrap(..., paired=True)`` and
``scipy.stats.wilcoxon``) on the same inputs with the same seed; the declared results
(constant differences, identical models, NaN cases) and Holm's adjustment are checked
against their definitions; hypothesis properties: swapping the models negates the
differences and the interval and keeps the p-value.
"""

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal
from scipy import stats

from seglab.compare import compare_models, holm, paired_comparison


def scipy_interval(a, b, seed, **options):
    result = stats.bootstrap((a, b), lambda x, y, axis: np.mean(x - y, axis=axis),
                             paired=True, vectorized=True, rng=np.random.default_rng(seed),
                             **options)
    return tuple(result.confidence_interval)


def scores(n=20, seed=0, shift=0.02, noise=0.03):
    rng = np.random.default_rng(seed)
    b = rng.uniform(0.5, 0.9, n)
    return b + shift + rng.normal(0, noise, n), b


@pytest.mark.parametrize("method", ["BCa", "percentile", "basic"])
@pytest.mark.parametrize("alternative", ["two-sided", "less", "greater"])
def test_interval_and_test_are_scipys(method, alternative):
    a, b = scores()
    r = paired_comparison(a, b, method=method, alternative=alternative, seed=7,
                          n_resamples=2000, confidence_level=0.9)
    expected = scipy_interval(a, b, 7, method=method, alternative=alternative,
                              n_resamples=2000, confidence_level=0.9)
    assert_allclose(r.confidence_interval, expected, rtol=1e-13)
    w = stats.wilcoxon(a - b, alternative=alternative)
    assert (r.statistic, r.pvalue) == (float(w.statistic), float(w.pvalue))
    assert_array_equal(r.differences, a - b)
    assert r.mean_difference == np.mean(a - b)
    assert (r.n, r.n_omitted, r.n_zero, r.method) == (20, 0, 0, method)


@pytest.mark.parametrize("zero_method", ["wilcox", "pratt", "zsplit"])
def test_zero_differences_follow_zero_method(zero_method):
    a = np.array([0.5, 0.6, 0.7, 0.8, 0.9, 0.4, 0.3, 0.55])
    b = np.array([0.5, 0.5, 0.6, 0.8, 0.7, 0.45, 0.1, 0.5])
    r = paired_comparison(a, b, zero_method=zero_method, n_resamples=500)
    w = stats.wilcoxon(a - b, zero_method=zero_method)
    assert r.n_zero == 2 and r.pvalue == pytest.approx(float(w.pvalue), rel=1e-12)


def test_seed_fixes_the_interval():
    a, b = scores(seed=3)
    first = paired_comparison(a, b, seed=11, n_resamples=500)
    again = paired_comparison(a, b, seed=11, n_resamples=500)
    assert again.confidence_interval == first.confidence_interval
    other = paired_comparison(a, b, seed=12, n_resamples=500)
    assert other.confidence_interval != first.confidence_interval


def test_identical_models():
    """Zero difference, a point interval at 0 and p = 1 (declared; scipy gives NaN)."""
    a, _ = scores()
    r = paired_comparison(a, a.copy(), method="BCa")
    assert r.mean_difference == 0.0 and r.confidence_interval == (0.0, 0.0)
    assert (r.statistic, r.pvalue, r.n_zero) == (0.0, 1.0, 20)


def test_constant_shift_gives_a_point_interval():
    b = np.arange(9) / 8  # dyadic: b + 0.25 - b is exactly 0.25
    r = paired_comparison(b + 0.25, b, method="BCa")
    assert r.confidence_interval == (0.25, 0.25) and r.mean_difference == 0.25
    assert r.pvalue == float(stats.wilcoxon(np.full(9, 0.25)).pvalue)


def test_nan_cases_are_left_out_of_both_models():
    a, b = scores(n=12)
    a[2], b[5] = np.nan, np.nan
    r = paired_comparison(a, b, seed=1, n_resamples=300, method="percentile")
    keep = ~(np.isnan(a) | np.isnan(b))
    assert (r.n, r.n_omitted) == (10, 2)
    assert_allclose(r.confidence_interval,
                    scipy_interval(a[keep], b[keep], 1, n_resamples=300, method="percentile"),
                    rtol=1e-13)
    with pytest.raises(ValueError, match="nan_policy='raise'"):
        paired_comparison(a, b, nan_policy="raise")


def test_huge_scores_stay_finite_and_scale():
    """Scores near 1e300 (a bad-input case): the interval is the scaled one, no overflow."""
    a, b = scores(n=15)
    r = paired_comparison(a * 1e300, b * 1e300, n_resamples=400)
    small = paired_comparison(a, b, n_resamples=400)
    assert_allclose(np.array(r.confidence_interval) / 1e300, small.confidence_interval,
                    rtol=1e-10)
    assert r.pvalue == small.pvalue


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.floats(0, 1), st.floats(0, 1)), min_size=2, max_size=15),
       st.integers(0, 2**32))
def test_swapping_models_negates(pairs, seed):
    a, b = map(np.array, zip(*pairs, strict=True))
    forward = paired_comparison(a, b, seed=seed, n_resamples=200, method="percentile")
    backward = paired_comparison(b, a, seed=seed, n_resamples=200, method="percentile")
    assert_array_equal(backward.differences, -forward.differences)
    assert backward.mean_difference == pytest.approx(-forward.mean_difference, abs=1e-15)
    low, high = forward.confidence_interval
    assert_allclose(backward.confidence_interval, (-high, -low), atol=1e-12)
    assert backward.pvalue == pytest.approx(forward.pvalue, abs=1e-12)
    assert forward.confidence_interval[0] <= forward.confidence_interval[1]


def brute_holm(p):
    m = len(p)
    order = sorted(range(m), key=lambda i: p[i])
    out = [0.0] * m
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p[i]))
        out[i] = running
    return out


@settings(max_examples=100, deadline=None)
@given(st.lists(st.floats(0, 1), max_size=12))
def test_holm_matches_its_definition(p):
    adjusted = holm(p)
    assert_allclose(adjusted, brute_holm(p), rtol=1e-15)
    assert (adjusted >= np.array(p, dtype=float)).all() and (adjusted <= 1).all()


def test_holm_controls_the_family_wise_error_by_enumeration():
    """Holm rejects H_(i) at level alpha iff p_(j) <= alpha / (m - j + 1) for all j <= i."""
    p = [0.004, 0.03, 0.012, 0.2]
    adjusted = holm(p)
    for alpha in (0.01, 0.02, 0.05, 0.1):
        order = np.argsort(p)
        rejected = set()
        for k, i in enumerate(order):
            if p[i] > alpha / (len(p) - k):
                break
            rejected.add(int(i))
        assert rejected == {i for i in range(len(p)) if adjusted[i] <= alpha}


def rows(values, metric="dice", cls="lesion", cases="abcdefghij"):
    return [{"case": c, "class": cls, "metric": metric, "value": v, "convention": "x"}
            for c, v in zip(cases, values, strict=False)]


def test_compare_models_pairs_by_case_and_adjusts():
    a, b = scores(n=10, seed=4)
    c, d = scores(n=10, seed=5, shift=0.0)
    rows_a = rows(a) + rows(c, metric="hd95")
    rows_b = list(reversed(rows(b) + rows(d, metric="hd95")))  # order does not matter
    out = compare_models(rows_a, rows_b, seed=2, n_resamples=300)
    assert [(o["class"], o["metric"]) for o in out] == [("lesion", "dice"), ("lesion", "hd95")]
    direct = [paired_comparison(a, b, seed=2, n_resamples=300),
              paired_comparison(c, d, seed=2, n_resamples=300)]
    for o, r in zip(out, direct, strict=True):
        assert o["pvalue"] == r.pvalue and (o["ci_low"], o["ci_high"]) == r.confidence_interval
        assert o["mean_difference"] == r.mean_difference
    assert_allclose([o["pvalue_holm"] for o in out], holm([r.pvalue for r in direct]))
    assert out[0]["mean_a"] == pytest.approx(a.mean()) and out[0]["mean_b"] == b.mean()
    only = compare_models(rows_a, rows_b, metrics=["hd95"], seed=2, n_resamples=300)
    assert len(only) == 1 and only[0]["pvalue_holm"] == direct[1].pvalue


def test_compare_models_accepts_a_result_object_and_none_values():
    class Result:
        def __init__(self, rows):
            self.rows = rows

    a, b = scores(n=6)
    rows_a = rows(a)
    rows_a[0]["value"] = None
    out = compare_models(Result(rows_a), Result(rows(b)), n_resamples=200)
    assert out[0]["n"] == 5 and out[0]["n_omitted"] == 1


@pytest.mark.parametrize(("rows_a", "rows_b", "error", "match"), [
    (rows([0.1, 0.2, 0.3]), rows([0.1, 0.2]), ValueError, "same cases"),
    (rows([0.1, 0.2]) * 2, rows([0.1, 0.2]) * 2, ValueError, "two rows"),
    ([{"case": "a", "value": 1.0}], rows([0.1]), ValueError, "lacks"),
    ("rows", rows([0.1]), TypeError, "rows_a"),
    ([1, 2], rows([0.1]), TypeError, "dicts"),
])
def test_compare_models_validation(rows_a, rows_b, error, match):
    with pytest.raises(error, match=match):
        compare_models(rows_a, rows_b)


def test_compare_models_metric_validation():
    with pytest.raises(ValueError, match="not in the rows"):
        compare_models(rows([0.1, 0.2]), rows([0.2, 0.3]), metrics=["iou"])
    with pytest.raises(TypeError, match="metrics"):
        compare_models(rows([0.1, 0.2]), rows([0.2, 0.3]), metrics="dice")
    with pytest.raises(ValueError, match="empty"):
        compare_models(rows([0.1, 0.2]), rows([0.2, 0.3]), metrics=[])


@pytest.mark.parametrize(("a", "b", "kwargs", "error", "match"), [
    ([0.1, 0.2], [0.1], {}, ValueError, "differ"),
    ([[0.1, 0.2]], [[0.1, 0.2]], {}, ValueError, "1-D"),
    ([0.1], [0.2], {}, ValueError, "at least two"),
    ([0.1, np.nan], [0.2, 0.3], {}, ValueError, "at least two"),
    ([0.1, np.inf], [0.2, 0.3], {}, ValueError, "infinite"),
    ([1e308, 0.0], [-1e308, 0.0], {}, ValueError, "overflow"),
    (["a", "b"], [0.1, 0.2], {}, TypeError, "real"),
    ([True, False], [0.1, 0.2], {}, TypeError, "real"),
    ([0.1, 0.2], [0.2, 0.3], {"n_resamples": 0}, ValueError, "n_resamples"),
    ([0.1, 0.2], [0.2, 0.3], {"n_resamples": 2**40}, ValueError, "n_resamples"),
    ([0.1, 0.2], [0.2, 0.3], {"confidence_level": 1.0}, ValueError, "confidence_level"),
    ([0.1, 0.2], [0.2, 0.3], {"method": "bca"}, ValueError, "method"),
    ([0.1, 0.2], [0.2, 0.3], {"seed": -1}, ValueError, "seed"),
    ([0.1, 0.2], [0.2, 0.3], {"alternative": "both"}, ValueError, "alternative"),
    ([0.1, 0.2], [0.2, 0.3], {"zero_method": "drop"}, ValueError, "zero_method"),
    ([0.1, 0.2], [0.2, 0.3], {"nan_policy": "propagate"}, ValueError, "nan_policy"),
])
def test_paired_comparison_validation(a, b, kwargs, error, match):
    with pytest.raises(error, match=match):
        paired_comparison(a, b, **kwargs)


@pytest.mark.parametrize(("p", "error", "match"), [
    ([0.1, 1.5], ValueError, r"\[0, 1\]"),
    ([[0.1]], ValueError, "1-D"),
    ([0.1, np.nan], ValueError, "NaN|nan|finite"),
    (["x"], TypeError, "pvalues"),
])
def test_holm_validation(p, error, match):
    with pytest.raises(error, match=match):
        holm(p)


def test_inputs_are_not_modified():
    a, b = scores()
    saved = a.copy(), b.copy()
    paired_comparison(a, b, n_resamples=100)
    assert_array_equal(a, saved[0])
    assert_array_equal(b, saved[1])


def test_all_pairs_of_tiny_samples_against_scipy():
    """Every sign pattern of four distinct differences: p-values equal to scipy's exact."""
    base = np.array([0.1, 0.2, 0.3, 0.4])
    for signs in itertools.product((-1, 1), repeat=4):
        d = base * np.array(signs)
        r = paired_comparison(d + 0.5, np.full(4, 0.5), n_resamples=50)
        assert r.pvalue == pytest.approx(float(stats.wilcoxon(d + 0.5 - 0.5).pvalue))
