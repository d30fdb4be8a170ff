r"""Paired comparison of two models on the same cases: differences, bootstrap, Wilcoxon, Holm.

Two segmentation models scored on the same cases give paired per-case values
:math:`(a_i, b_i)`. Their differences :math:`d_i = a_i - b_i` carry the comparison:
the case-to-case variation that both models share (a hard case is hard for both) cancels
in :math:`d_i`, so a paired analysis is sharper than comparing the two means as if they
came from different cases (the book, chapter 4, proves :math:`\operatorname{Var}(A - B)
= \operatorname{Var} A + \operatorname{Var} B - 2 \operatorname{Cov}(A, B)`).

:func:`paired_comparison` returns the mean difference with a bootstrap confidence
interval over cases (:func:`scipy.stats.bootstrap` with ``paired=True``: each resample
draws cases with replacement and keeps each case's two values together) and the
Wilcoxon signed-rank test of the differences (:func:`scipy.stats.wilcoxon`).
:func:`compare_models` runs it for every (class, metric) of two evaluations' tidy rows
and adds Holm-adjusted p-values (:func:`holm`).

Both the interval and the test treat the cases as an independent sample from the
population of cases the models will meet; they say nothing about other populations
(another scanner, another hospital).
"""

import dataclasses
import math

import numpy as np
from scipy import stats

from ._validation import as_float_array, check_choice, check_int, check_real

__all__ = ["PairedComparison", "compare_models", "holm", "paired_comparison"]

_METHODS = ("BCa", "percentile", "basic")
_ZERO_METHODS = ("wilcox", "pratt", "zsplit")
_ALTERNATIVES = ("two-sided", "less", "greater")
_NAN_POLICIES = ("omit", "raise")
MAX_RESAMPLES = 10**6
_BATCH_ENTRIES = 2**22  # resampled values held at once by the bootstrap


@dataclasses.dataclass(frozen=True)
class PairedComparison:
    """The result of :func:`paired_comparison`.

    Attributes
    ----------
    differences : ndarray of float64
        ``a - b`` of every case kept (in input order).
    mean_difference : float
        The mean of ``differences``.
    confidence_interval : tuple of float
        ``(low, high)``: the bootstrap interval of the mean difference.
    confidence_level : float
    method : str
        The bootstrap interval method.
    n_resamples : int
    statistic : float
        The Wilcoxon signed-rank statistic (scipy's: the smaller rank sum for a
        two-sided test, the sum of the positive ranks otherwise).
    pvalue : float
        The Wilcoxon p-value.
    n : int
        Cases kept.
    n_omitted : int
        Cases left out because a value was NaN.
    n_zero : int
        Cases with a zero difference (dropped by ``zero_method='wilcox'``).

    Examples
    --------
    >>> r = paired_comparison([0.8, 0.7, 0.9, 0.6], [0.7, 0.7, 0.8, 0.5], n_resamples=999)
    >>> r.n, r.n_zero, round(r.mean_difference, 3)
    (4, 1, 0.075)
    """

    differences: np.ndarray
    mean_difference: float
    confidence_interval: tuple
    confidence_level: float
    method: str
    n_resamples: int
    statistic: float
    pvalue: float
    n: int
    n_omitted: int
    n_zero: int


def _mean(x, y, axis=-1):
    return np.mean(x - y, axis=axis)


def _interval(a, b, d, *, n_resamples, confidence_level, method, seed, alternative):
    """The bootstrap interval of the mean of ``d = a - b`` (a point when d is constant)."""
    if np.all(d == d[0]):
        # Every resample has the same mean: the bootstrap distribution is a point mass.
        return float(d[0]), float(d[0])
    # Scaling by a power of two is exact and keeps the jackknife's cubes finite.
    scale = 2.0 ** math.ceil(math.log2(float(np.max(np.abs(d)))))
    result = stats.bootstrap((a / scale, b / scale), _mean, paired=True, vectorized=True,
                             n_resamples=n_resamples, confidence_level=confidence_level,
                             method=method, alternative=alternative,
                             batch=max(1, _BATCH_ENTRIES // d.size),
                             rng=np.random.default_rng(seed))
    low, high = result.confidence_interval
    return float(low * scale), float(high * scale)


def _paired_values(a, b, nan_policy):
    a = _scores(a, "a")
    b = _scores(b, "b")
    if a.shape != b.shape:
        raise ValueError(f"a shape {a.shape} and b shape {b.shape} differ (one value per case)")
    missing = np.isnan(a) | np.isnan(b)
    if missing.any() and nan_policy == "raise":
        raise ValueError(f"{int(missing.sum())} case(s) have a NaN score and "
                         f"nan_policy='raise'")
    return a[~missing], b[~missing], int(missing.sum())


def _scores(x, name):
    arr = np.asarray(x)
    if arr.dtype == bool or not (np.issubdtype(arr.dtype, np.floating)
                                 or np.issubdtype(arr.dtype, np.integer)):
        raise TypeError(f"{name} must be a real numeric array, got shape {arr.shape} and "
                        f"dtype {arr.dtype}")
    if arr.ndim != 1:
        raise ValueError(f"{name} must be 1-D (one score per case), got shape {arr.shape}")
    arr = arr.astype(np.float64)
    if np.isinf(arr).any():
        raise ValueError(f"{name} has an infinite score; declare a finite value for the "
                         f"empty cases (e.g. one_empty='worst') before comparing")
    return arr


def paired_comparison(a, b, *, n_resamples=9999, confidence_level=0.95, method="percentile",
                      seed=0, alternative="two-sided", zero_method="wilcox", nan_policy="omit"):
    r"""Compare two models' per-case scores: mean difference, bootstrap interval, Wilcoxon.

    Parameters
    ----------
    a, b : array_like of float, shape (n_cases,)
        The two models' values of one metric on the same cases, in the same order.
    n_resamples : int in [1, 1e6], default 9999
        Bootstrap resamples (as :func:`scipy.stats.bootstrap`).
    confidence_level : float in (0, 1), default 0.95
    method : {'percentile', 'BCa', 'basic'}, default 'percentile'
        The bootstrap interval (as :func:`scipy.stats.bootstrap`): percentile,
        bias-corrected and accelerated, or basic (reverse percentile). The default
        differs from scipy's ('BCa'): see the notes.
    seed : int, default 0
        Seed of :func:`numpy.random.default_rng` for the resamples: equal seeds give
        equal intervals.
    alternative : {'two-sided', 'less', 'greater'}, default 'two-sided'
        Of both the interval (one-sided intervals are half-infinite) and the test.
    zero_method : {'wilcox', 'pratt', 'zsplit'}, default 'wilcox'
        Zero differences in the Wilcoxon test (as :func:`scipy.stats.wilcoxon`):
        dropped, ranked then dropped, or split between the signs.
    nan_policy : {'omit', 'raise'}, default 'omit'
        A case whose value is NaN in either model (a metric left undefined by an
        empty-case policy) is left out of both (the pairs stay paired), and counted in
        ``n_omitted``; or a ``ValueError``.

    Returns
    -------
    PairedComparison

    Raises
    ------
    TypeError
        If the scores are not real numbers, or an option has the wrong type.
    ValueError
        If ``a`` and ``b`` are not 1-D of one length, hold an infinite value or a NaN
        with ``nan_policy='raise'``, or fewer than two cases remain; their differences
        overflow; or an option is outside its range or choices.

    Notes
    -----
    The interval is that of :func:`scipy.stats.bootstrap` over the pairs: with the
    same seed, ``scipy.stats.bootstrap((a, b), lambda x, y, axis: np.mean(x - y,
    axis=axis), paired=True, vectorized=True, method=method,
    rng=np.random.default_rng(seed))`` gives it (the scores are scaled by a power of
    two inside, which changes no digit, so that 1e300 meets no overflow). It estimates
    how the mean difference would vary over data sets of the same size drawn from the
    same population of cases, assuming the cases are independent and identically
    distributed [1]_.

    Declared results where the tools have none: when every difference is equal, the
    interval is that value at both ends (the bootstrap distribution is a point
    mass; scipy returns NaN with a warning); when every difference is zero, the
    Wilcoxon statistic is 0 and the p-value 1 (no evidence of a difference; scipy
    returns NaN).

    Why the percentile interval by default: BCa's bias correction counts the resample
    means below the observed mean, and with few cases many resamples (those that
    redraw the same cases in another order) tie with it, so the count, and an end of
    the interval, jumps with rounding noise: for eight cases, float32 and float64
    copies of the same scores moved BCa's upper end by 0.0014. The percentile
    interval moves by the rounding only.

    Ties among the differences get mid-ranks; with ties or zeros scipy's
    ``method='auto'`` uses exhaustive permutations up to 13 cases and the normal
    approximation beyond [2]_.

    **Several comparisons.** A p-value below 0.05 for one metric out of ten is
    expected by chance alone: testing many metrics, classes or model pairs inflates the
    chance of at least one false discovery. Correct the family of p-values, e.g. with
    :func:`holm` (which :func:`compare_models` applies), and report every comparison
    made, not only the significant ones.

    References
    ----------
    .. [1] B. Efron and R. J. Tibshirani, *An Introduction to the Bootstrap*, Chapman &
       Hall, 1993.
    .. [2] F. Wilcoxon, "Individual comparisons by ranking methods", Biometrics
       Bulletin 1(6):80-83, 1945.

    Explained in the book, chapter 4 (``book/ch4/evaluate.md``).

    Examples
    --------
    >>> import numpy as np
    >>> a = np.array([0.81, 0.74, 0.92, 0.66, 0.88, 0.79])
    >>> b = np.array([0.78, 0.70, 0.90, 0.67, 0.83, 0.75])
    >>> r = paired_comparison(a, b, method="percentile")
    >>> round(r.mean_difference, 4), r.n, r.n_zero
    (0.0283, 6, 0)
    >>> low, high = r.confidence_interval
    >>> bool(low < r.mean_difference < high)
    True
    >>> r.statistic, round(r.pvalue, 4)
    (1.0, 0.0625)
    """
    n_resamples = check_int(n_resamples, "n_resamples", low=1, high=MAX_RESAMPLES)
    confidence_level = check_real(confidence_level, "confidence_level", low=0.0, high=1.0,
                                  low_open=True, high_open=True)
    check_choice(method, "method", _METHODS)
    seed = check_int(seed, "seed", low=0)
    check_choice(alternative, "alternative", _ALTERNATIVES)
    check_choice(zero_method, "zero_method", _ZERO_METHODS)
    check_choice(nan_policy, "nan_policy", _NAN_POLICIES)
    a, b, n_omitted = _paired_values(a, b, nan_policy)
    if a.size < 2:
        raise ValueError(f"a paired comparison needs at least two cases with a value in both "
                         f"models, got {a.size} ({n_omitted} omitted for NaN)")
    with np.errstate(over="ignore"):
        d = a - b
    if not np.isfinite(d).all():
        raise ValueError("the differences a - b overflow the float64 range")
    low, high = _interval(a, b, d, n_resamples=n_resamples, confidence_level=confidence_level,
                          method=method, seed=seed, alternative=alternative)
    n_zero = int(np.count_nonzero(d == 0))
    if n_zero == d.size:
        statistic, pvalue = 0.0, 1.0
    else:
        test = stats.wilcoxon(d, zero_method=zero_method, alternative=alternative)
        statistic, pvalue = float(test.statistic), float(test.pvalue)
    return PairedComparison(differences=d, mean_difference=float(np.mean(d)),
                            confidence_interval=(low, high), confidence_level=confidence_level,
                            method=method, n_resamples=n_resamples, statistic=statistic,
                            pvalue=pvalue, n=int(d.size), n_omitted=n_omitted, n_zero=n_zero)


def holm(pvalues):
    r"""Holm's step-down adjusted p-values of a family of tests.

    Parameters
    ----------
    pvalues : array_like of float in [0, 1], 1-D
        The p-values of the family (NaN is not allowed).

    Returns
    -------
    ndarray of float64
        Adjusted p-values, in the input order: rejecting those at most
        :math:`\alpha` controls the family-wise error rate at :math:`\alpha` under any
        dependence between the tests.

    Raises
    ------
    TypeError
        If ``pvalues`` is not numeric.
    ValueError
        If it is not 1-D or holds a value outside [0, 1] or NaN.

    Notes
    -----
    With the p-values sorted, :math:`p_{(1)} \le \dots \le p_{(m)}`, the adjusted
    values are :math:`\tilde p_{(i)} = \max_{j \le i} \min\bigl(1, (m - j + 1)
    p_{(j)}\bigr)` [1]_. Holm's rule rejects everything Bonferroni's does, and more.

    References
    ----------
    .. [1] S. Holm, "A simple sequentially rejective multiple test procedure",
       Scandinavian Journal of Statistics 6(2):65-70, 1979.

    Examples
    --------
    >>> holm([0.01, 0.04, 0.03]).tolist()
    [0.03, 0.06, 0.06]
    >>> holm([]).tolist()
    []
    """
    p = as_float_array(pvalues, "pvalues", allow_empty=True)
    if p.ndim != 1:
        raise ValueError(f"pvalues must be 1-D, got shape {p.shape}")
    if ((p < 0) | (p > 1)).any():
        raise ValueError(f"pvalues must lie in [0, 1], got values in [{p.min()}, {p.max()}]")
    m = p.size
    order = np.argsort(p, kind="stable")
    steps = np.minimum(1.0, (m - np.arange(m)) * p[order])
    out = np.empty(m)
    out[order] = np.maximum.accumulate(steps)
    return out


def _table(rows, name):
    rows = getattr(rows, "rows", rows)
    if isinstance(rows, (str, bytes, dict)) or not hasattr(rows, "__iter__"):
        raise TypeError(f"{name} must be a list of row dicts or an evaluation result with "
                        f".rows, got {type(rows).__name__}")
    table = {}
    for row in rows:
        if not isinstance(row, dict):
            raise TypeError(f"{name} must hold dicts, got {type(row).__name__}")
        missing = {"case", "class", "metric", "value"} - set(row)
        if missing:
            raise ValueError(f"a row of {name} lacks {sorted(missing)}")
        key = (str(row["class"]), str(row["metric"]), str(row["case"]))
        if key in table:
            raise ValueError(f"{name} has two rows for class {key[0]!r}, metric {key[1]!r}, "
                             f"case {key[2]!r}")
        table[key] = row["value"]
    return table


def compare_models(rows_a, rows_b, *, metrics=None, **options):
    r"""Paired comparison of two evaluations, per class and metric, with Holm's correction.

    Parameters
    ----------
    rows_a, rows_b : list of dict, or an object with a ``rows`` attribute
        Tidy per-case rows with keys ``case``, ``class``, ``metric`` and ``value`` (as
        ``seglab.evaluate_dataset(...).rows``), of two models on the same cases. A
        value of None (JSON's null) is read as NaN.
    metrics : sequence of str, optional
        The metrics to compare; default every metric of the rows.
    **options
        Passed to :func:`paired_comparison` (``n_resamples``, ``confidence_level``,
        ``method``, ``seed``, ``alternative``, ``zero_method``, ``nan_policy``).

    Returns
    -------
    list of dict
        One per (class, metric), in order of first appearance in ``rows_a``, with keys
        ``class``, ``metric``, ``n``, ``n_omitted``, ``n_zero``, ``mean_a``, ``mean_b``
        (over the paired cases kept), ``mean_difference`` (``a - b``), ``ci_low``,
        ``ci_high``, ``confidence_level``, ``method``, ``statistic``, ``pvalue`` and
        ``pvalue_holm`` (Holm-adjusted over every comparison returned: the family).

    Raises
    ------
    TypeError
        If the rows are not dicts, or as :func:`paired_comparison`.
    ValueError
        If a row lacks a key, a (case, class, metric) appears twice, the two sets of
        (case, class, metric) differ, a requested metric is absent, or as
        :func:`paired_comparison`.

    Notes
    -----
    Differences are ``a - b`` whatever the metric: for a distance (lower is better) a
    negative difference favours model A. The Holm adjustment treats every returned
    comparison as one family; compare fewer metrics to keep more power.

    Explained in the book, chapter 4 (``book/ch4/evaluate.md``).

    Examples
    --------
    >>> rows_a = [{"case": c, "class": "lesion", "metric": "dice", "value": v}
    ...           for c, v in zip("pqrs", [0.8, 0.7, 0.9, 0.6])]
    >>> rows_b = [{"case": c, "class": "lesion", "metric": "dice", "value": v}
    ...           for c, v in zip("pqrs", [0.7, 0.6, 0.85, 0.62])]
    >>> [out] = compare_models(rows_a, rows_b, n_resamples=999)
    >>> out["metric"], out["n"], round(out["mean_difference"], 4)
    ('dice', 4, 0.0575)
    >>> out["pvalue"], out["pvalue_holm"]  # one comparison: nothing to adjust
    (0.25, 0.25)
    """
    table_a, table_b = _table(rows_a, "rows_a"), _table(rows_b, "rows_b")
    if table_a.keys() != table_b.keys():
        only = sorted(table_a.keys() ^ table_b.keys())[:3]
        raise ValueError(f"rows_a and rows_b cover different (class, metric, case) triples, "
                         f"e.g. {only}: compare the two models on the same cases")
    groups = {}
    for cls, metric, case in table_a:
        groups.setdefault((cls, metric), []).append(case)
    if metrics is not None:
        try:
            wanted = None if isinstance(metrics, (str, bytes)) else list(metrics)
        except TypeError:
            wanted = None
        if wanted is None:
            raise TypeError(f"metrics must be a sequence of metric names, got {metrics!r}")
        absent = set(wanted) - {metric for _, metric in groups}
        if absent or not wanted:
            raise ValueError(f"metrics {sorted(map(str, absent))} are not in the rows"
                             if absent else "metrics is empty")
        groups = {key: cases for key, cases in groups.items() if key[1] in wanted}
    out = []
    for (cls, metric), cases in groups.items():
        a = np.array([table_a[cls, metric, c] for c in cases], dtype=float)
        b = np.array([table_b[cls, metric, c] for c in cases], dtype=float)
        r = paired_comparison(a, b, **options)
        kept = ~(np.isnan(a) | np.isnan(b))
        out.append({"class": cls, "metric": metric, "n": r.n, "n_omitted": r.n_omitted,
                    "n_zero": r.n_zero, "mean_a": float(np.mean(a[kept])),
                    "mean_b": float(np.mean(b[kept])), "mean_difference": r.mean_difference,
                    "ci_low": r.confidence_interval[0], "ci_high": r.confidence_interval[1],
                    "confidence_level": r.confidence_level, "method": r.method,
                    "statistic": r.statistic, "pvalue": r.pvalue})
    for row, adjusted in zip(out, holm([row["pvalue"] for row in out]), strict=True):
        row["pvalue_holm"] = float(adjusted)
    return out
