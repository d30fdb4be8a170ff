r"""Confusion-matrix metrics for label maps.

Every score here is a function of the confusion matrix :math:`C` of a pair of
label maps, with rows indexed by the ground truth and columns by the
prediction (``C[i, j]`` counts the pixels of class ``i`` predicted as ``j``, as
in scikit-learn). For class :math:`k`, one-vs-rest,

.. math::

    \mathrm{TP}_k &= C_{kk}, \quad
    \mathrm{FP}_k = \sum_{i \ne k} C_{ik}, \quad
    \mathrm{FN}_k = \sum_{j \ne k} C_{kj}, \\
    \mathrm{TN}_k &= N - \mathrm{TP}_k - \mathrm{FP}_k - \mathrm{FN}_k .

The matrix takes one :func:`numpy.bincount` pass over the pixels, done block by
block so that the combined index and the label checks stay in cache; every
metric and every ``average`` is then arithmetic on :math:`K \times K` numbers,
and :func:`evaluate` computes many metrics from one matrix.

Conventions shared by all metrics:

* ``average`` follows scikit-learn: ``'binary'`` (label 1 of a two-class
  problem), ``'micro'`` (the one-vs-rest counts pooled over classes),
  ``'macro'`` (unweighted mean over classes), ``'weighted'`` (mean weighted by
  the class support), ``None`` (per class). What ``'micro'`` amounts to is
  stated for each metric.
* A ratio whose denominator is zero takes the declared value
  ``zero_division`` (NaN by default, or 0.0 or 1.0). NaN scores are left out
  of the macro, weighted and per-image means, as scikit-learn's
  ``zero_division=np.nan``; a mean over no defined score is NaN.
* ``per_image=True`` scores each image (first axis) on its own;
  ``reduction='none'`` keeps the per-image scores, ``return_count=True``
  also returns how many of them are defined. ``multilabel=True`` scores
  binary masks channel by channel (overlapping regions).
* Work and memory are bounded by the pixels and the classes: a count table
  of :math:`K^2` cells is built only when it is small, and a stray label
  that would need more than :math:`2^{24}` per-class entries is a
  ``ValueError``.
* Inputs are never modified; scores are float64.

Explained in the book, chapter 1 (book/ch1).
"""

import numpy as np

from ._reduction import nanmean
from ._validation import (
    as_float_array,
    check_binary_mask,
    check_bool,
    check_choice,
    check_int,
    check_label_pair,
    check_real,
    check_same_shape,
    check_zero_division,
    fill_doc,
)

__all__ = [
    "accuracy",
    "balanced_accuracy",
    "confusion_matrix",
    "dice",
    "evaluate",
    "from_confusion",
    "iou",
    "mcc",
    "precision",
    "recall",
    "specificity",
    "tversky_index",
]

METRICS = (
    "accuracy",
    "balanced_accuracy",
    "precision",
    "recall",
    "specificity",
    "iou",
    "dice",
    "tversky_index",
    "mcc",
)
_DEFAULT_AVERAGE = {"accuracy": "micro", "balanced_accuracy": "macro"}
_AVERAGES = ("binary", "micro", "macro", "weighted", None)
_REDUCTIONS = ("mean", "none")
# Pixels per block of the counting pass: the int64 combined index of a block
# (512 KiB) stays in cache between its computation and its bincount.
_BLOCK = 1 << 16
# An ignore_index at most this far above the classes gets its own rows in the
# count table (no per-pixel masking); farther or negative ones are masked.
_MAX_EXTRA_ROWS = 1024
# Largest (n_images, K, K) count table the blocked pass fills (32 MiB of int64); beyond it
# the per-class counts are tallied directly, in O(pixels + n_images * K) memory.
_MAX_TABLE = 1 << 22
# Largest number of per-class entries (n_images * K) a metric allocates, and of cells of
# a returned confusion matrix (1 GiB of int64): a stray label such as 2**40, or
# num_classes=10**9, fails with a ValueError that says so instead of asking for far more.
_MAX_ENTRIES = 1 << 24
_MAX_CELLS = 1 << 27


# --------------------------------------------------------------------------
# Shared docstring blocks (filled in with %-substitution, as scipy.ndimage).

_DOCS = {
    "label_maps": """\
pred, target : array_like of int or bool
    Predicted and ground-truth label maps of the same shape, with any number
    of dimensions; each entry is a class index in ``[0, num_classes)``
    (booleans count as 0 and 1). With ``per_image=True`` the first axis
    indexes images. With ``multilabel=True``, binary masks instead (see
    ``multilabel``).""",
    "num_classes": """\
num_classes : int, optional
    Number of classes :math:`K \\ge 2`. Default: one more than the largest
    label in ``pred`` and in the non-ignored ``target``, and at least 2. Pass
    it when a class may be absent from both maps (and to skip one pass).""",
    "average": """\
average : {{'binary', 'micro', 'macro', 'weighted'}} or None, default {default!r}
    How the one-vs-rest scores of the classes are combined: ``'binary'``
    gives the score of label 1 and needs ``num_classes == 2``; ``'micro'``
    scores the counts pooled over classes (see Notes); ``'macro'`` is the
    unweighted mean over classes; ``'weighted'`` weights each class by its
    support (its number of ``target`` pixels); ``None`` returns the score of
    every class. NaN scores are left out of the means.""",
    "per_image": """\
per_image : bool, default False
    If True, score each image (index of the first axis) on its own and
    return the mean over images, NaN scores left out. If False, all pixels
    are pooled into one confusion matrix.""",
    "reduction": """\
reduction : {'mean', 'none'}, default 'mean'
    With ``per_image=True``: ``'mean'`` returns the mean over images (NaN
    scores left out), ``'none'`` the score of every image, shape
    ``(n_images,)`` (``(n_images, K)`` with ``average=None``), exactly the
    scores of the images scored one by one. ``'none'`` needs
    ``per_image=True``.""",
    "return_count": """\
return_count : bool, default False
    If True, return ``(score, count)``, where ``count`` is the number of
    defined (non-NaN) per-image scores that entered the mean over images --
    an int, or an int64 array ``(K,)`` per class with ``average=None`` -- so
    that a report can say "Dice over 47 of 50 images". With
    ``per_image=False`` it is 1 or 0 (the pooled score is defined or not);
    with ``reduction='none'`` it is the number of defined entries.""",
    "multilabel": """\
multilabel : bool, default False
    If True, ``pred`` and ``target`` are binary masks (bool or 0/1) whose
    channel axis -- axis 1 with ``per_image=True`` (shape
    ``(n_images, C, *spatial)``), axis 0 otherwise (shape ``(C, *spatial)``)
    -- holds ``C`` independent binary problems that may overlap (the tumour
    regions of BraTS). Each channel gets the binary score of that channel;
    ``average`` combines channels: ``'macro'`` (unweighted mean), ``None``
    (one score per channel), ``'micro'`` (the binary score of the counts
    pooled over channels), ``'weighted'`` (weighted by each channel's
    number of ``target`` pixels); ``'binary'`` needs ``C == 1``.
    ``num_classes`` and ``ignore_index`` do not apply. To pool a batch
    ``(n_images, C, *spatial)`` over images, pass
    ``numpy.moveaxis(x, 1, 0)``.""",
    "ignore_index": """\
ignore_index : int, optional
    Pixels whose ``target`` equals this value are left out (e.g. 255, the
    "void" label of PASCAL VOC); it may lie outside ``[0, num_classes)``.
    ``pred`` must hold valid labels everywhere.""",
    "zero_division": """\
zero_division : {nan, 0.0, 1.0}, default nan
    The declared value of a ratio whose denominator is zero, such as the IoU
    of a class absent from both maps. NaN scores are excluded from the
    macro, weighted and per-image means (as scikit-learn's
    ``zero_division=np.nan``); a mean over no defined score is NaN.""",
    "returns": """\
score : float or ndarray of float64
    The averaged score (a Python float), or the score of each class (or
    channel) when ``average=None``, shape ``(K,)``; with
    ``reduction='none'``, one row per image, shape ``(n_images,)`` or
    ``(n_images, K)``.
count : int or ndarray of int64
    Only with ``return_count=True``: the number of defined scores behind
    ``score`` (see ``return_count``).""",
    "raises": """\
TypeError
    If ``pred`` or ``target`` is not an integer or boolean array (a float
    array raises even when it holds NaN), or ``num_classes``,
    ``ignore_index`` or a flag (``per_image``, ``return_count``,
    ``multilabel``) has the wrong type.
ValueError
    If the shapes differ, an array is empty, a label lies outside
    ``[0, num_classes)`` (apart from ``target == ignore_index``),
    ``per_image=True`` meets a 1-D array, ``num_classes < 2``, an option is
    not one of its choices, ``average='binary'`` meets more than two
    classes (or channels), ``reduction='none'`` comes without
    ``per_image=True``, a ``multilabel`` mask is not binary or lacks its
    channel axis, or the per-class results would exceed 2**24 entries (a
    stray label such as ``10**9``, or a huge ``num_classes``).""",
}


def _fill_doc(func):
    """Fill the shared blocks into ``func.__doc__``, ``average`` with the function's default."""
    default = func.__kwdefaults__.get("average") if func.__kwdefaults__ else None
    return fill_doc(dict(_DOCS, average=_DOCS["average"].format(default=default)))(func)


# --------------------------------------------------------------------------
# Validation of options


def _check_average(average, *, allow_default=False):
    choices = ("default", *_AVERAGES) if allow_default else _AVERAGES
    if isinstance(average, str) or average is None:
        return check_choice(average, "average", choices)
    listed = ", ".join(repr(c) for c in choices)
    raise ValueError(f"average must be one of {{{listed}}}, got {average!r}")


def _check_weights(alpha, beta):
    return tuple(
        check_real(value, name, low=0.0, high=np.inf, high_open=True)
        for value, name in ((alpha, "alpha"), (beta, "beta"))
    )


def _resolve_averages(metrics, average):
    return {m: _DEFAULT_AVERAGE.get(m, "binary") if average == "default" else average
            for m in metrics}


def _check_metrics(metrics, name="metrics"):
    if isinstance(metrics, str):
        names = (metrics,)
    else:
        try:
            names = tuple(metrics)
        except TypeError:
            raise TypeError(
                f"{name} must be a metric name or a sequence of metric names, got {metrics!r}"
            ) from None
    if not names:
        raise ValueError("metrics must name at least one metric")
    for name in names:
        check_choice(name, "metric", METRICS)
    return names


def _check_binary(averages, num_classes, inferred):
    if num_classes != 2 and "binary" in averages.values():
        how = " (inferred from the labels)" if inferred else ""
        raise ValueError(
            f"average='binary' scores label 1 of a two-class problem, but "
            f"num_classes={num_classes}{how}; use average='micro', 'macro', "
            f"'weighted' or None"
        )


# --------------------------------------------------------------------------
# Counting


def _unsigned(arr):
    """View an integer array as unsigned of the same width: negatives become huge."""
    return arr.view(arr.dtype.str.replace("i", "u"))


def _label_error(arr, name, num_classes, ignore_index=None):
    """The ValueError for labels outside [0, num_classes); a slow path, run only on failure."""
    flat = arr.ravel()
    if ignore_index is not None:
        flat = flat[flat != ignore_index]
    bad = flat < 0 if num_classes is None else (flat < 0) | (flat >= num_classes)
    values = flat[bad]
    value = values.max() if values.max() >= 0 else values.min()
    skipped = "" if ignore_index is None else f"; target == {ignore_index} (ignore_index) skipped"
    if num_classes is None:
        return ValueError(
            f"{name} contains negative label {value} ({values.size} pixel(s)); labels are "
            f"class indices >= 0{skipped}"
        )
    return ValueError(
        f"{name} contains label {value} ({values.size} pixel(s)), outside [0, {num_classes}) "
        f"for num_classes={num_classes}{skipped}"
    )


def _largest_label(arr, name, ignore_index):
    """Largest label of ``arr`` other than ``ignore_index``; ValueError on negatives."""
    if ignore_index is None:
        top = int(_unsigned(arr).max())
        if arr.dtype.kind == "i" and top > np.iinfo(arr.dtype).max:
            raise _label_error(arr, name, None)
        return top
    keep = arr != ignore_index
    if int(np.min(arr, where=keep, initial=0)) < 0:
        raise _label_error(arr, name, None, ignore_index)
    return int(np.max(arr, where=keep, initial=0))


def _count(pred, target, num_classes, ignore_index, per_image):
    """Confusion matrices (n_images, K, K) of label arrays, in one pass over the pixels.

    The pixels go through in blocks of about _BLOCK (whole images when they are
    small, so an image offset in the combined index gives per-image counts from one
    bincount). Each block is range-checked while it is in cache: the maximum of its
    unsigned view catches negative labels (they become huge) and too-large ones,
    including labels whose combined index would wrap around in int64.

    Row r of a block's count table holds the pixels with target value r. An
    ignore_index in [0, K) is a row zeroed at the end; one in [K, K + _MAX_EXTRA_ROWS)
    gets its own row, and the rows between must stay empty (a count there is an
    out-of-range target); any other ignore_index is masked into an extra row K.
    """
    k = num_classes
    n_images = pred.shape[0] if per_image else 1
    if n_images == 1 and pred.ndim > 1 and pred.flags.f_contiguous and target.flags.f_contiguous:
        # Fortran order (NIfTI): the same transpose of both keeps pixel n of pred paired
        # with pixel n of target, and the C-contiguous views reshape without a copy.
        pred, target = pred.T, target.T
    pred = pred.reshape(n_images, -1)
    target = target.reshape(n_images, -1)
    masked = ignore_index is not None and not 0 <= ignore_index < k + _MAX_EXTRA_ROWS
    if masked:
        rows, top = k + 1, k - 1
    elif ignore_index is not None and ignore_index >= k:
        rows, top = ignore_index + 1, ignore_index
    else:
        rows, top = k, k - 1
    bins = rows * k
    size = pred.shape[1]
    block = max(_BLOCK, bins)
    width = min(size, block)
    step = max(1, block // max(size, bins)) if width == size else 1
    offsets = (np.arange(step, dtype=np.intp) * bins)[:, None]
    buffer = np.empty(step * width, dtype=np.intp)
    counts = np.zeros((n_images, k, k), dtype=np.int64)
    pred_u, target_u = _unsigned(pred), _unsigned(target)
    for i in range(0, n_images, step):
        m = min(step, n_images - i)
        for j in range(0, size, width):
            cols = slice(j, j + width)
            p, t = pred[i:i + m, cols], target[i:i + m, cols]
            if pred_u[i:i + m, cols].max() > k - 1:
                raise _label_error(pred, "pred", k)
            if masked:
                ignored = t == ignore_index
                t = np.where(ignored, 0, t)
                t_max = _unsigned(t).max()
            else:
                t_max = target_u[i:i + m, cols].max()
            if t_max > top:
                raise _label_error(target, "target", k, ignore_index)
            idx = buffer[:p.size].reshape(p.shape)
            np.multiply(t, k, out=idx, dtype=np.intp)
            np.add(idx, p, out=idx, dtype=np.intp)
            if masked:
                np.copyto(idx, k * k, where=ignored)
            if m > 1:
                idx += offsets[:m]
            block_counts = np.bincount(idx.ravel(), minlength=m * bins).reshape(m, rows, k)
            if block_counts[:, k:rows - 1].any():  # rows between K and ignore_index
                raise _label_error(target, "target", k, ignore_index)
            counts[i:i + m] += block_counts[:, :k]
    if ignore_index is not None and 0 <= ignore_index < k:
        counts[:, ignore_index] = 0
    return counts if per_image else counts[0]


def _prepare(pred, target, num_classes, ignore_index, per_image):
    """Validate a label pair and its options; return pred, target, K, ignore_index, inferred."""
    per_image = check_bool(per_image, "per_image")
    if num_classes is not None:
        num_classes = check_int(num_classes, "num_classes", low=2)
    if ignore_index is not None:
        ignore_index = check_int(ignore_index, "ignore_index")
    pred, target = check_label_pair(pred, target)
    if per_image and pred.ndim < 2:
        raise ValueError(
            f"per_image=True needs a leading batch axis: pred and target must have at least "
            f"2 dimensions, got shape {pred.shape}"
        )
    inferred = num_classes is None
    if inferred:
        num_classes = 1 + max(
            1,
            _largest_label(pred, "pred", None),
            _largest_label(target, "target", ignore_index),
        )
    return pred, target, num_classes, ignore_index, inferred


def _check_entries(entries, k, inferred, what, limit=_MAX_ENTRIES):
    """ValueError, before any allocation, when a result would hold more than ``limit``."""
    if entries > limit:
        how = f" (inferred from the largest label, {k - 1})" if inferred else ""
        raise ValueError(
            f"num_classes={k}{how} would need {entries} {what}, more than the limit of "
            f"{limit}; pass a num_classes that covers the labels actually used, or "
            f"map stray labels to ignore_index first"
        )


def _tally(pred, target, k, ignore_index, per_image, inferred):
    """One-vs-rest counts (tp, fp, fn, tn, support) of label arrays, float64 (n_images, K).

    Small count tables come from the blocked confusion matrix; large ones (many
    classes or many images) from three bincounts of length n_images * K, so that the
    work is bounded by the pixels and the classes, never by K squared.
    """
    n_images = pred.shape[0] if per_image else 1
    if n_images * k * k <= _MAX_TABLE:
        cm = _count(pred, target, k, ignore_index, per_image)
        return _class_counts(cm if per_image else cm[None])
    _check_entries(n_images * k, k, inferred, "per-class entries")
    pred = pred.reshape(n_images, -1)
    target = target.reshape(n_images, -1)
    if _unsigned(pred).max() > k - 1:
        raise _label_error(pred, "pred", k)
    valid = None if ignore_index is None else target != ignore_index
    checked = target if valid is None else np.where(valid, target, 0)
    if _unsigned(checked).max() > k - 1:
        raise _label_error(target, "target", k, ignore_index)
    offsets = (np.arange(n_images, dtype=np.intp) * k)[:, None]

    def per_class(labels, keep):
        idx = labels.astype(np.intp) + offsets
        idx = idx.ravel() if keep is None else idx[keep]
        return np.bincount(idx, minlength=n_images * k).reshape(n_images, k).astype(np.float64)

    hit = pred == target if valid is None else (pred == target) & valid
    tp = per_class(target, hit)
    predicted = per_class(pred, valid)
    support = per_class(target, valid)
    total = pred.shape[1] if valid is None else valid.sum(axis=1, keepdims=True)
    fp = predicted - tp
    return tp, fp, support - tp, total - support - fp, support


def _multilabel_counts(pred, target, num_classes, ignore_index, per_image):
    """Binary confusion matrices (n_images, C, 2, 2) of multilabel masks, channel by channel."""
    per_image = check_bool(per_image, "per_image")
    for value, name in ((num_classes, "num_classes"), (ignore_index, "ignore_index")):
        if value is not None:
            raise ValueError(
                f"{name} does not apply with multilabel=True (each channel is a binary "
                f"problem); got {name}={value!r}"
            )
    pred = check_binary_mask(pred, "pred")
    target = check_binary_mask(target, "target")
    check_same_shape(pred, target, "pred", "target")
    layout = "(n_images, C, *spatial) with per_image=True" if per_image else "(C, *spatial)"
    if pred.ndim < (3 if per_image else 2):
        raise ValueError(
            f"multilabel=True needs pred and target of shape {layout}, got shape {pred.shape}"
        )
    if not per_image:
        pred, target = pred[None], target[None]
    n_images, channels = pred.shape[:2]
    pred = pred.reshape(n_images, channels, -1)
    target = target.reshape(n_images, channels, -1)
    tp = np.count_nonzero(pred & target, axis=-1)
    fp = np.count_nonzero(pred, axis=-1) - tp
    fn = np.count_nonzero(target, axis=-1) - tp
    tn = pred.shape[-1] - tp - fp - fn
    return np.stack([np.stack([tn, fp], axis=-1), np.stack([fn, tp], axis=-1)], axis=-2)


# --------------------------------------------------------------------------
# Scores from counts


def _divide(num, den, zero_division):
    """num / den elementwise, ``zero_division`` where den == 0 (no warning)."""
    num, den = np.broadcast_arrays(np.asarray(num, np.float64), np.asarray(den, np.float64))
    out = np.full(num.shape, zero_division, dtype=np.float64)
    return np.divide(num, den, out=out, where=den != 0)


def _rescaled(cm):
    """cm (..., K, K) times a power of two per matrix that brings its largest entry into [1/2, 1).

    Every metric is homogeneous of degree 0 in the counts, and scaling by a power of
    two is exact, so the scores are unchanged -- but products such as MCC's
    denominator neither overflow (counts near 1e300) nor underflow (near 1e-80).
    """
    cm = np.asarray(cm, dtype=np.float64)
    _, exponent = np.frexp(cm.max(axis=(-2, -1), keepdims=True))
    return np.ldexp(cm, -exponent)


def _class_counts(cm):
    """One-vs-rest TP, FP, FN, TN and support (float64, shape (..., K)) of cm (..., K, K).

    With two classes every count is an entry of the matrix, taken as it is: derived by
    subtraction, a small real count beside a large one (expected counts) would lose
    its digits.
    """
    cm = np.asarray(cm, dtype=np.float64)
    if cm.shape[-1] == 2:
        c00, c01, c10, c11 = cm[..., 0, 0], cm[..., 0, 1], cm[..., 1, 0], cm[..., 1, 1]
        pairs = ((c00, c11), (c10, c01), (c01, c10), (c11, c00), (c00 + c01, c10 + c11))
        return tuple(np.stack(pair, axis=-1) for pair in pairs)
    tp = np.diagonal(cm, axis1=-2, axis2=-1)
    support = cm.sum(axis=-1)
    fp = cm.sum(axis=-2) - tp
    fn = support - tp
    tn = support.sum(axis=-1, keepdims=True) - support - fp
    return tp, fp, fn, tn, support


def _fraction(metric, tp, fp, fn, tn, alpha, beta):
    """Numerator and denominator of a ratio metric (accuracy of a class = its recall).

    With _matthews and _gorodkin, the one table of formulas of seglab: the metric
    functions, :func:`from_confusion` and the population metrics of
    :mod:`seglab.theory` all score through :func:`_score`.
    """
    if metric == "precision":
        return tp, tp + fp
    if metric == "specificity":
        return tn, tn + fp
    if metric == "iou":
        return tp, tp + fp + fn
    if metric == "dice":
        return 2 * tp, 2 * tp + fp + fn
    if metric == "tversky_index":
        return tp, tp + alpha * fp + beta * fn
    return tp, tp + fn


def _matthews(tp, fp, fn, tn, zero_division):
    """One-vs-rest MCC; 1.0 where FP = FN = 0 on at least one pixel."""
    num = tp * tn - fp * fn
    den = np.sqrt((tp + fp) * (tp + fn) * (tn + fp) * (tn + fn))
    perfect = (fp == 0) & (fn == 0) & (tp + tn > 0)
    return np.where(perfect, 1.0, _divide(num, den, zero_division))


def _gorodkin(tp, fp, support, zero_division):
    """Gorodkin's R_K from one-vs-rest counts; 1.0 when off-diagonal counts are all zero."""
    predicted = tp + fp
    n = support.sum(axis=-1)
    num = tp.sum(axis=-1) * n - (support * predicted).sum(axis=-1)
    den = np.sqrt((n**2 - (predicted**2).sum(axis=-1)) * (n**2 - (support**2).sum(axis=-1)))
    perfect = (fp.sum(axis=-1) == 0) & (n > 0)
    return np.where(perfect, 1.0, _divide(num, den, zero_division))


def _combine(scores, average, support, zero_division, binary=1):
    """Combine per-class scores (..., K): None, 'binary' (class ``binary``), macro, weighted."""
    if average is None:
        return scores
    if average == "binary":
        return scores[..., binary]
    if average == "macro":
        return nanmean(scores, axis=-1)
    valid = ~np.isnan(scores)
    weights = np.where(valid, support, 0.0)
    return _divide((weights * np.where(valid, scores, 0.0)).sum(axis=-1), weights.sum(axis=-1),
                   zero_division)


def _score(counts, metric, average, zero_division, alpha, beta):
    """Scores from one-vs-rest counts (tp, fp, fn, tn, support), each (..., K).

    Shape (...), or (..., K) when average is None.
    """
    if average == "binary" and metric in _DEFAULT_AVERAGE:
        # Binary accuracy is the pixel accuracy ('micro'); binary balanced accuracy is
        # (TPR + TNR) / 2 ('macro'): both are the metric's default average.
        average = _DEFAULT_AVERAGE[metric]
    tp, fp, fn, tn, support = counts
    if average == "micro":
        if metric == "mcc":
            return _gorodkin(tp, fp, support, zero_division)
        pooled = (x.sum(axis=-1) for x in (tp, fp, fn, tn))
        return _divide(*_fraction(metric, *pooled, alpha, beta), zero_division)
    if metric == "mcc":
        scores = _matthews(tp, fp, fn, tn, zero_division)
    else:
        scores = _divide(*_fraction(metric, tp, fp, fn, tn, alpha, beta), zero_division)
    return _combine(scores, average, support, zero_division)


def _score_channels(cm, metric, average, zero_division, alpha, beta):
    """Multilabel scores from binary matrices cm (..., C, 2, 2): each channel's binary score."""
    if average == "micro":
        return _score(_class_counts(cm.sum(axis=-3)), metric, "binary", zero_division, alpha,
                      beta)
    scores = _score(_class_counts(cm), metric, "binary", zero_division, alpha, beta)
    return _combine(scores, average, cm[..., 1, :].sum(axis=-1), zero_division, binary=0)


def _finish(scores, per_image, reduction, return_count):
    """Reduce over images (axis 0 when per_image); Python scalars; the count if asked."""
    defined = ~np.isnan(scores)
    if per_image:
        count = defined.sum(axis=0)
        if reduction == "mean":
            scores = nanmean(scores, axis=0)
    else:
        scores, count = scores[0], defined[0].astype(np.int64)
    score = float(scores) if np.ndim(scores) == 0 else scores
    if not return_count:
        return score
    return score, (int(count) if np.ndim(count) == 0 else count.astype(np.int64))


def _check_options(per_image, reduction, return_count, multilabel):
    per_image = check_bool(per_image, "per_image")
    reduction = check_choice(reduction, "reduction", _REDUCTIONS)
    return_count = check_bool(return_count, "return_count")
    multilabel = check_bool(multilabel, "multilabel")
    if reduction == "none" and not per_image:
        raise ValueError(
            "reduction='none' returns one score per image and needs per_image=True, got "
            "per_image=False"
        )
    return per_image, reduction, return_count, multilabel


def _evaluate(pred, target, metrics, *, num_classes, average, per_image, ignore_index,
              zero_division, alpha, beta, allow_default, reduction, return_count, multilabel):
    """Validate everything, count once, score every metric."""
    metrics = _check_metrics(metrics)
    averages = _resolve_averages(metrics, _check_average(average, allow_default=allow_default))
    zero_division = check_zero_division(zero_division)
    alpha, beta = _check_weights(alpha, beta)
    per_image, reduction, return_count, multilabel = _check_options(
        per_image, reduction, return_count, multilabel)
    if multilabel:
        cm = _multilabel_counts(pred, target, num_classes, ignore_index, per_image)
        channels = cm.shape[1]
        if channels != 1 and "binary" in averages.values():
            raise ValueError(
                f"average='binary' with multilabel=True needs a single channel, got {channels} "
                f"channels; use average='micro', 'macro', 'weighted' or None"
            )
        scores = {m: _score_channels(cm, m, averages[m], zero_division, alpha, beta)
                  for m in metrics}
    else:
        pred, target, k, ignore_index, inferred = _prepare(pred, target, num_classes,
                                                           ignore_index, per_image)
        _check_binary(averages, k, inferred)
        counts = _tally(pred, target, k, ignore_index, per_image, inferred)
        scores = {m: _score(counts, m, averages[m], zero_division, alpha, beta)
                  for m in metrics}
    return {m: _finish(s, per_image, reduction, return_count) for m, s in scores.items()}


def _metric(metric, pred, target, *, average, alpha=0.5, beta=0.5, **options):
    return _evaluate(pred, target, metric, average=average, alpha=alpha, beta=beta,
                     allow_default=False, **options)[metric]


# --------------------------------------------------------------------------
# Public API


@_fill_doc
def confusion_matrix(pred, target, *, num_classes=None, ignore_index=None, per_image=False):
    r"""Confusion matrix of two label maps: rows are ``target``, columns ``pred``.

    ``C[i, j]`` is the number of pixels of true class ``i`` predicted as class
    ``j``, the layout of :func:`sklearn.metrics.confusion_matrix`. Every metric
    of this module is a function of ``C``. Explained in the book, chapter 1
    (book/ch1).

    Parameters
    ----------
    %(label_maps)s
    %(num_classes)s
    %(ignore_index)s
    %(per_image)s

    Returns
    -------
    cm : ndarray of int64, shape (num_classes, num_classes)
        The confusion matrix; with ``per_image=True`` one per image, shape
        ``(n_images, num_classes, num_classes)``.

    Raises
    ------
    %(raises)s

    Notes
    -----
    With :math:`t_n` and :math:`p_n` the labels of pixel :math:`n`,

    .. math::

        C_{ij} = \#\{n : t_n = i,\ p_n = j\},
        \qquad \sum_{i,j} C_{ij} = N .

    All :math:`K^2` counts come from one :func:`numpy.bincount` of the
    combined index :math:`K t_n + p_n` (computed in ``intp``, so ``uint8``
    labels do not overflow). The pass runs block by block, and the range
    checks of the labels ride along on data already in cache, so validation
    costs little: an ``ignore_index`` just above the classes (such as 255)
    gets its own rows in the count table, and a ``target`` label between
    ``num_classes`` and ``ignore_index`` shows up as a count in a row that
    must stay empty.

    References
    ----------
    .. [1] F. Pedregosa et al., "Scikit-learn: Machine learning in Python",
           Journal of Machine Learning Research 12 (2011) 2825--2830;
           ``sklearn.metrics.confusion_matrix``.

    Examples
    --------
    >>> import numpy as np
    >>> from seglab.metrics import confusion_matrix
    >>> target = np.array([[0, 1, 1], [0, 1, 0]])
    >>> pred = np.array([[0, 1, 0], [1, 1, 0]])
    >>> confusion_matrix(pred, target)
    array([[2, 1],
           [1, 2]])

    Pixels labelled 255 in ``target`` are left out with ``ignore_index``:

    >>> confusion_matrix([0, 2, 1, 1], [0, 2, 255, 1], num_classes=3, ignore_index=255)
    array([[1, 0, 0],
           [0, 1, 0],
           [0, 0, 1]])
    """
    pred, target, k, ignore_index, inferred = _prepare(pred, target, num_classes, ignore_index,
                                                       per_image)
    n_images = pred.shape[0] if per_image else 1
    _check_entries(n_images * k * k, k, inferred, "cells of the confusion matrix", _MAX_CELLS)
    return _count(pred, target, k, ignore_index, per_image)


@_fill_doc
def accuracy(pred, target, *, num_classes=None, average="micro", per_image=False,
             reduction="mean", return_count=False, multilabel=False,
             ignore_index=None, zero_division=np.nan):
    r"""Pixel accuracy; per class, the class accuracy (recall) of Long et al.

    The default is the fraction of correctly labelled pixels. Per class
    (``average=None``) it is the "class accuracy" of FCN and mmsegmentation,
    the fraction of the pixels of class :math:`k` labelled :math:`k` -- that is,
    the recall of the class -- and their ``'macro'`` mean is the mean class
    accuracy, which equals :func:`balanced_accuracy`. Explained in the book,
    chapter 1 (book/ch1).

    Parameters
    ----------
    %(label_maps)s
    %(num_classes)s
    %(average)s
    %(per_image)s
    %(reduction)s
    %(return_count)s
    %(multilabel)s
    %(ignore_index)s
    %(zero_division)s

    Returns
    -------
    %(returns)s

    Raises
    ------
    %(raises)s

    Notes
    -----
    .. math::

        \mathrm{Acc} = \frac{1}{N} \sum_k C_{kk}, \qquad
        \mathrm{Acc}_k = \frac{C_{kk}}{\sum_j C_{kj}}
                       = \frac{\mathrm{TP}_k}{\mathrm{TP}_k + \mathrm{FN}_k}.

    ``'micro'`` (pooling the one-vs-rest counts of the class accuracies) is
    :math:`\mathrm{Acc}`, the overall pixel accuracy (not the mean of the
    one-vs-rest binary accuracies); ``'weighted'`` (support-weighted mean of
    :math:`\mathrm{Acc}_k`) is :math:`\mathrm{Acc}` too; ``'macro'`` is the
    mean class accuracy :math:`\frac{1}{K}\sum_k \mathrm{Acc}_k`;
    ``'binary'`` is :math:`(\mathrm{TP}+\mathrm{TN})/N` of a two-class
    problem. Under class imbalance the pixel accuracy of the all-background
    prediction is :math:`1 - \pi` for a foreground fraction :math:`\pi`.

    References
    ----------
    .. [1] J. Long, E. Shelhamer, T. Darrell, "Fully convolutional networks for
           semantic segmentation", CVPR 2015, pp. 3431--3440 (pixel accuracy,
           mean accuracy).
    .. [2] F. Pedregosa et al., "Scikit-learn: Machine learning in Python",
           JMLR 12 (2011) 2825--2830; ``sklearn.metrics.accuracy_score``.

    Examples
    --------
    >>> import numpy as np
    >>> from seglab.metrics import accuracy
    >>> target = np.array([[0, 1, 1], [0, 1, 0]])
    >>> pred = np.array([[0, 1, 0], [1, 1, 0]])
    >>> accuracy(pred, target)
    0.6666666666666666
    >>> accuracy(np.zeros((2, 3), int), target)   # predict background everywhere
    0.5
    >>> accuracy(np.zeros((2, 3), int), target, average=None)
    array([1., 0.])
    """
    return _metric("accuracy", pred, target, num_classes=num_classes, average=average,
                   per_image=per_image, reduction=reduction, return_count=return_count,
                   multilabel=multilabel, ignore_index=ignore_index, zero_division=zero_division)


@_fill_doc
def balanced_accuracy(pred, target, *, num_classes=None, average="macro", per_image=False,
                      reduction="mean", return_count=False, multilabel=False,
                      ignore_index=None, zero_division=np.nan):
    r"""Balanced accuracy: the mean over classes of the recall of each class.

    Every class counts the same whatever its size, so the all-background
    prediction scores :math:`1/K` (when every class occurs in ``target``)
    however rare the foreground is. Explained in
    the book, chapter 1 (book/ch1).

    Parameters
    ----------
    %(label_maps)s
    %(num_classes)s
    %(average)s
    %(per_image)s
    %(reduction)s
    %(return_count)s
    %(multilabel)s
    %(ignore_index)s
    %(zero_division)s

    Returns
    -------
    %(returns)s

    Raises
    ------
    %(raises)s

    Notes
    -----
    .. math::

        \mathrm{BA} = \frac{1}{K} \sum_k
        \frac{\mathrm{TP}_k}{\mathrm{TP}_k + \mathrm{FN}_k},
        \qquad K = 2:\ \mathrm{BA} = \tfrac12(\mathrm{TPR} + \mathrm{TNR}).

    This equals ``sklearn.metrics.balanced_accuracy_score``, which leaves out
    classes absent from ``target`` (the default ``zero_division=nan`` does the
    same). The per-class terms (``average=None``) are the recalls;
    ``'binary'`` is :math:`\tfrac12(\mathrm{TPR}+\mathrm{TNR})` of a
    two-class problem (the ``'macro'`` value, not the recall of label 1).
    ``'micro'`` and ``'weighted'`` average the recalls by pixel and so give
    back the pixel accuracy :math:`\frac1N\sum_k C_{kk}`, undoing the
    balancing; they exist for a uniform interface.

    References
    ----------
    .. [1] K. H. Brodersen, C. S. Ong, K. E. Stephan, J. M. Buhmann, "The
           balanced accuracy and its posterior distribution", ICPR 2010,
           pp. 3121--3124.
    .. [2] F. Pedregosa et al., "Scikit-learn: Machine learning in Python",
           JMLR 12 (2011) 2825--2830;
           ``sklearn.metrics.balanced_accuracy_score``.

    Examples
    --------
    >>> import numpy as np
    >>> from seglab.metrics import balanced_accuracy
    >>> target = np.array([[0, 1, 1], [0, 1, 0]])
    >>> balanced_accuracy(np.zeros((2, 3), int), target)
    0.5
    >>> balanced_accuracy(target, target)
    1.0
    """
    return _metric("balanced_accuracy", pred, target, num_classes=num_classes, average=average,
                   per_image=per_image, reduction=reduction, return_count=return_count,
                   multilabel=multilabel, ignore_index=ignore_index, zero_division=zero_division)


@_fill_doc
def precision(pred, target, *, num_classes=None, average="binary", per_image=False,
              reduction="mean", return_count=False, multilabel=False,
              ignore_index=None, zero_division=np.nan):
    r"""Precision (positive predictive value): the fraction of predicted pixels that are right.

    Explained in the book, chapter 1 (book/ch1).

    Parameters
    ----------
    %(label_maps)s
    %(num_classes)s
    %(average)s
    %(per_image)s
    %(reduction)s
    %(return_count)s
    %(multilabel)s
    %(ignore_index)s
    %(zero_division)s

    Returns
    -------
    %(returns)s

    Raises
    ------
    %(raises)s

    Notes
    -----
    .. math::

        P_k = \frac{\mathrm{TP}_k}{\mathrm{TP}_k + \mathrm{FP}_k},
        \qquad
        P_{\text{micro}} = \frac{\sum_k \mathrm{TP}_k}
                                {\sum_k (\mathrm{TP}_k + \mathrm{FP}_k)}
                         = \frac{1}{N}\sum_k C_{kk}.

    :math:`P_k` is 0/0 when class :math:`k` is never predicted. With one
    label per pixel every error is a false positive of one class, so
    ``'micro'`` precision is the pixel accuracy, as in scikit-learn.

    References
    ----------
    .. [1] C. J. van Rijsbergen, *Information Retrieval*, 2nd ed.,
           Butterworths, 1979.
    .. [2] F. Pedregosa et al., "Scikit-learn: Machine learning in Python",
           JMLR 12 (2011) 2825--2830; ``sklearn.metrics.precision_score``.

    Examples
    --------
    >>> import numpy as np
    >>> from seglab.metrics import precision
    >>> target = np.array([[0, 1, 1], [0, 1, 0]])
    >>> pred = np.array([[0, 1, 0], [1, 1, 0]])
    >>> precision(pred, target)
    0.6666666666666666
    >>> precision(np.zeros((2, 3), int), target)   # nothing predicted: 0/0
    nan
    >>> precision(np.zeros((2, 3), int), target, zero_division=0.0)
    0.0
    """
    return _metric("precision", pred, target, num_classes=num_classes, average=average,
                   per_image=per_image, reduction=reduction, return_count=return_count,
                   multilabel=multilabel, ignore_index=ignore_index, zero_division=zero_division)


@_fill_doc
def recall(pred, target, *, num_classes=None, average="binary", per_image=False,
           reduction="mean", return_count=False, multilabel=False,
           ignore_index=None, zero_division=np.nan):
    r"""Recall (sensitivity, true-positive rate): the fraction of true pixels that are found.

    Explained in the book, chapter 1 (book/ch1).

    Parameters
    ----------
    %(label_maps)s
    %(num_classes)s
    %(average)s
    %(per_image)s
    %(reduction)s
    %(return_count)s
    %(multilabel)s
    %(ignore_index)s
    %(zero_division)s

    Returns
    -------
    %(returns)s

    Raises
    ------
    %(raises)s

    Notes
    -----
    .. math::

        R_k = \frac{\mathrm{TP}_k}{\mathrm{TP}_k + \mathrm{FN}_k},
        \qquad
        R_{\text{micro}} = \frac{\sum_k \mathrm{TP}_k}
                                {\sum_k (\mathrm{TP}_k + \mathrm{FN}_k)}
                         = \frac{1}{N}\sum_k C_{kk}.

    :math:`R_k` is 0/0 when class :math:`k` is absent from ``target``.
    ``'micro'`` recall is the pixel accuracy; ``'weighted'`` recall is the
    pixel accuracy too; ``'macro'`` recall is the balanced accuracy.

    References
    ----------
    .. [1] C. J. van Rijsbergen, *Information Retrieval*, 2nd ed.,
           Butterworths, 1979.
    .. [2] F. Pedregosa et al., "Scikit-learn: Machine learning in Python",
           JMLR 12 (2011) 2825--2830; ``sklearn.metrics.recall_score``.

    Examples
    --------
    >>> import numpy as np
    >>> from seglab.metrics import recall
    >>> target = np.array([[0, 1, 1], [0, 1, 0]])
    >>> pred = np.array([[0, 1, 0], [1, 1, 0]])
    >>> recall(pred, target)
    0.6666666666666666
    >>> recall(pred, target, average=None)
    array([0.66666667, 0.66666667])
    """
    return _metric("recall", pred, target, num_classes=num_classes, average=average,
                   per_image=per_image, reduction=reduction, return_count=return_count,
                   multilabel=multilabel, ignore_index=ignore_index, zero_division=zero_division)


@_fill_doc
def specificity(pred, target, *, num_classes=None, average="binary", per_image=False,
                reduction="mean", return_count=False, multilabel=False,
                ignore_index=None, zero_division=np.nan):
    r"""Specificity (true-negative rate): the fraction of other-class pixels left out.

    The specificity of class :math:`k` is the recall of "not :math:`k`" in the
    one-vs-rest problem of class :math:`k`. Explained in the book, chapter 1
    (book/ch1).

    Parameters
    ----------
    %(label_maps)s
    %(num_classes)s
    %(average)s
    %(per_image)s
    %(reduction)s
    %(return_count)s
    %(multilabel)s
    %(ignore_index)s
    %(zero_division)s

    Returns
    -------
    %(returns)s

    Raises
    ------
    %(raises)s

    Notes
    -----
    .. math::

        S_k &= \frac{\mathrm{TN}_k}{\mathrm{TN}_k + \mathrm{FP}_k}, \\
        S_{\text{micro}} &= \frac{\sum_k \mathrm{TN}_k}
                                 {\sum_k (\mathrm{TN}_k + \mathrm{FP}_k)}
                          = \frac{(K-2)N + \sum_k C_{kk}}{(K-1)N}.

    ``'micro'`` pools the one-vs-rest TN and FP, as
    ``sklearn.metrics.multilabel_confusion_matrix`` would; for :math:`K = 2`
    it is the pixel accuracy. In binary segmentation the background is
    usually huge, so specificity is close to 1 for almost any prediction.

    References
    ----------
    .. [1] F. Pedregosa et al., "Scikit-learn: Machine learning in Python",
           JMLR 12 (2011) 2825--2830; ``sklearn.metrics.recall_score`` with
           ``pos_label=0`` and ``sklearn.metrics.multilabel_confusion_matrix``.
    .. [2] L. Maier-Hein et al., "Metrics reloaded: recommendations for image
           analysis validation", Nature Methods 21 (2024) 195--212.

    Examples
    --------
    >>> import numpy as np
    >>> from seglab.metrics import specificity
    >>> target = np.array([[0, 1, 1], [0, 1, 0]])
    >>> pred = np.array([[0, 1, 0], [1, 1, 0]])
    >>> specificity(pred, target)
    0.6666666666666666
    >>> specificity(np.zeros((2, 3), int), target)
    1.0
    """
    return _metric("specificity", pred, target, num_classes=num_classes, average=average,
                   per_image=per_image, reduction=reduction, return_count=return_count,
                   multilabel=multilabel, ignore_index=ignore_index, zero_division=zero_division)


@_fill_doc
def iou(pred, target, *, num_classes=None, average="binary", per_image=False,
        reduction="mean", return_count=False, multilabel=False,
        ignore_index=None, zero_division=np.nan):
    r"""Intersection over union (Jaccard index) of the predicted and true regions.

    ``average='macro'`` gives the mean IoU (mIoU) of semantic segmentation
    benchmarks. Explained in the book, chapter 1 (book/ch1).

    Parameters
    ----------
    %(label_maps)s
    %(num_classes)s
    %(average)s
    %(per_image)s
    %(reduction)s
    %(return_count)s
    %(multilabel)s
    %(ignore_index)s
    %(zero_division)s

    Returns
    -------
    %(returns)s

    Raises
    ------
    %(raises)s

    Notes
    -----
    With :math:`P_k` and :math:`T_k` the sets of pixels predicted and labelled
    :math:`k`,

    .. math::

        J_k &= \frac{|P_k \cap T_k|}{|P_k \cup T_k|}
             = \frac{\mathrm{TP}_k}{\mathrm{TP}_k + \mathrm{FP}_k + \mathrm{FN}_k}, \\
        J_{\text{micro}} &= \frac{\sum_k \mathrm{TP}_k}
                       {\sum_k (\mathrm{TP}_k + \mathrm{FP}_k + \mathrm{FN}_k)}.

    :math:`J_k` is 0/0 when class :math:`k` is absent from both maps (set
    ``zero_division=1.0`` to count that as a perfect score). ``'micro'`` pools
    the one-vs-rest counts as ``sklearn.metrics.jaccard_score`` does; with
    one label per pixel it equals :math:`A/(2 - A)` for the pixel accuracy
    :math:`A`. ``'macro'`` is the mean IU and ``'weighted'`` the frequency
    weighted IU of Long et al. (a class with support has a defined IoU, so
    nothing is left out of the weighted mean). IoU and Dice are linked class
    by class: :math:`D = 2J/(1+J)`.

    References
    ----------
    .. [1] P. Jaccard, "The distribution of the flora in the alpine zone",
           New Phytologist 11 (1912) 37--50.
    .. [2] M. Everingham, L. Van Gool, C. K. I. Williams, J. Winn,
           A. Zisserman, "The Pascal Visual Object Classes (VOC) challenge",
           IJCV 88 (2010) 303--338.
    .. [3] J. Long, E. Shelhamer, T. Darrell, "Fully convolutional networks for
           semantic segmentation", CVPR 2015, pp. 3431--3440.
    .. [4] F. Pedregosa et al., "Scikit-learn: Machine learning in Python",
           JMLR 12 (2011) 2825--2830; ``sklearn.metrics.jaccard_score``.

    Examples
    --------
    >>> import numpy as np
    >>> from seglab.metrics import iou
    >>> target = np.array([[0, 1, 1], [0, 1, 0]])
    >>> pred = np.array([[0, 1, 0], [1, 1, 0]])
    >>> iou(pred, target)
    0.5
    >>> iou(pred, target, average=None)
    array([0.5, 0.5])

    Mean IoU over three classes, one of them absent from both maps:

    >>> iou([0, 0, 1, 1], [0, 1, 1, 1], num_classes=3, average=None)
    array([0.5       , 0.66666667,        nan])
    >>> iou([0, 0, 1, 1], [0, 1, 1, 1], num_classes=3, average="macro")
    0.5833333333333333
    """
    return _metric("iou", pred, target, num_classes=num_classes, average=average,
                   per_image=per_image, reduction=reduction, return_count=return_count,
                   multilabel=multilabel, ignore_index=ignore_index, zero_division=zero_division)


@_fill_doc
def dice(pred, target, *, num_classes=None, average="binary", per_image=False,
         reduction="mean", return_count=False, multilabel=False,
         ignore_index=None, zero_division=np.nan):
    r"""Dice similarity coefficient (F1 score) of the predicted and true regions.

    Explained in the book, chapter 1 (book/ch1).

    Parameters
    ----------
    %(label_maps)s
    %(num_classes)s
    %(average)s
    %(per_image)s
    %(reduction)s
    %(return_count)s
    %(multilabel)s
    %(ignore_index)s
    %(zero_division)s

    Returns
    -------
    %(returns)s

    Raises
    ------
    %(raises)s

    Notes
    -----
    .. math::

        D_k = \frac{2 |P_k \cap T_k|}{|P_k| + |T_k|}
            = \frac{2\mathrm{TP}_k}{2\mathrm{TP}_k + \mathrm{FP}_k + \mathrm{FN}_k}
            = \frac{2 J_k}{1 + J_k},

    the harmonic mean of precision and recall (the F1 score), 0/0 when class
    :math:`k` is absent from both maps. ``'micro'`` pools the one-vs-rest
    counts, as ``sklearn.metrics.f1_score``; with one label per pixel it is
    the pixel accuracy. Because :math:`D = 2J/(1+J)` is increasing, Dice and
    IoU rank the results of one class identically, but their ``'macro'``
    means need not.

    References
    ----------
    .. [1] L. R. Dice, "Measures of the amount of ecologic association between
           species", Ecology 26 (1945) 297--302.
    .. [2] C. J. van Rijsbergen, *Information Retrieval*, 2nd ed.,
           Butterworths, 1979.
    .. [3] F. Pedregosa et al., "Scikit-learn: Machine learning in Python",
           JMLR 12 (2011) 2825--2830; ``sklearn.metrics.f1_score``.

    Examples
    --------
    >>> import numpy as np
    >>> from seglab.metrics import dice, iou
    >>> target = np.array([[0, 1, 1], [0, 1, 0]])
    >>> pred = np.array([[0, 1, 0], [1, 1, 0]])
    >>> dice(pred, target)
    0.6666666666666666
    >>> j = iou(pred, target)
    >>> 2 * j / (1 + j)
    0.6666666666666666

    Per image, with the number of images whose score is defined (image 0 is
    empty in both maps, so its Dice is 0/0):

    >>> masks = np.zeros((3, 2, 3), dtype=int)
    >>> masks[1:, 0, 0] = 1
    >>> dice(masks, masks, per_image=True, return_count=True)
    (1.0, 2)
    >>> dice(masks, masks, per_image=True, reduction="none")
    array([nan,  1.,  1.])

    Overlapping regions, one binary channel each (``multilabel``):

    >>> regions_true = np.array([[[1, 1, 0]], [[0, 1, 0]]])   # (C, 1, 3)
    >>> regions_pred = np.array([[[1, 1, 1]], [[0, 1, 0]]])
    >>> dice(regions_pred, regions_true, multilabel=True, average=None)
    array([0.8, 1. ])
    """
    return _metric("dice", pred, target, num_classes=num_classes, average=average,
                   per_image=per_image, reduction=reduction, return_count=return_count,
                   multilabel=multilabel, ignore_index=ignore_index, zero_division=zero_division)


@_fill_doc
def tversky_index(pred, target, *, num_classes=None, alpha=0.5, beta=0.5, average="binary",
                  per_image=False, reduction="mean", return_count=False, multilabel=False,
                  ignore_index=None, zero_division=np.nan):
    r"""Tversky index: an overlap score with separate weights on false positives and negatives.

    ``alpha`` weights the false positives and ``beta`` the false negatives;
    ``alpha = beta = 1/2`` is :func:`dice` and ``alpha = beta = 1`` is
    :func:`iou`. Raising ``beta`` penalises missed pixels more, favouring
    recall. Explained in the book, chapter 1 (book/ch1).

    Parameters
    ----------
    %(label_maps)s
    %(num_classes)s
    alpha, beta : float, default 0.5
        Finite, non-negative weights of the false positives and of the false
        negatives.
    %(average)s
    %(per_image)s
    %(reduction)s
    %(return_count)s
    %(multilabel)s
    %(ignore_index)s
    %(zero_division)s

    Returns
    -------
    %(returns)s

    Raises
    ------
    %(raises)s
        Also if ``alpha`` or ``beta`` is negative, NaN or infinite (a
        TypeError if it is not a real number).

    Notes
    -----
    .. math::

        T_k &= \frac{\mathrm{TP}_k}
                    {\mathrm{TP}_k + \alpha\,\mathrm{FP}_k + \beta\,\mathrm{FN}_k}, \\
        T_{\text{micro}} &= \frac{\sum_k \mathrm{TP}_k}
            {\sum_k (\mathrm{TP}_k + \alpha\,\mathrm{FP}_k + \beta\,\mathrm{FN}_k)}.

    :math:`T_k` is 0/0 when its denominator vanishes. It decreases strictly in
    :math:`\alpha` when :math:`\mathrm{FP}_k > 0` and :math:`\mathrm{TP}_k > 0`
    (likewise in :math:`\beta` with :math:`\mathrm{FN}_k`). The parameter
    names follow Salehi et al. (:math:`\alpha` on FP, :math:`\beta` on FN):
    this is Tversky's ratio model
    :math:`|A \cap B| / (|A \cap B| + \alpha |A \setminus B| + \beta |B \setminus A|)`
    with :math:`A = P_k` the predicted and :math:`B = T_k` the true pixels of
    class :math:`k`.

    References
    ----------
    .. [1] A. Tversky, "Features of similarity", Psychological Review 84
           (1977) 327--352.
    .. [2] S. S. M. Salehi, D. Erdogmus, A. Gholipour, "Tversky loss function
           for image segmentation using 3D fully convolutional deep networks",
           MLMI 2017, LNCS 10541, pp. 379--387, arXiv:1706.05721.

    Examples
    --------
    >>> import numpy as np
    >>> from seglab.metrics import tversky_index
    >>> target = np.array([[0, 1, 1], [0, 1, 0]])
    >>> pred = np.array([[0, 1, 0], [1, 1, 0]])
    >>> tversky_index(pred, target, alpha=1.0, beta=1.0)   # = IoU
    0.5
    >>> tversky_index(pred, target, alpha=0.3, beta=0.7)
    0.6666666666666666
    """
    return _metric("tversky_index", pred, target, num_classes=num_classes, average=average,
                   alpha=alpha, beta=beta, per_image=per_image, reduction=reduction,
                   return_count=return_count, multilabel=multilabel, ignore_index=ignore_index,
                   zero_division=zero_division)


@_fill_doc
def mcc(pred, target, *, num_classes=None, average="binary", per_image=False,
        reduction="mean", return_count=False, multilabel=False,
        ignore_index=None, zero_division=np.nan):
    r"""Matthews correlation coefficient: the correlation of prediction and ground truth.

    It lies in :math:`[-1, 1]` (1 for perfect agreement, 0 for a prediction
    independent of the truth) and, unlike IoU and Dice, uses all four counts;
    a constant prediction gets no credit (its MCC is 0/0, reported as
    ``zero_division``). Explained in the book, chapter 1 (book/ch1).

    Parameters
    ----------
    %(label_maps)s
    %(num_classes)s
    %(average)s
    %(per_image)s
    %(reduction)s
    %(return_count)s
    %(multilabel)s
    %(ignore_index)s
    %(zero_division)s

    Returns
    -------
    %(returns)s

    Raises
    ------
    %(raises)s

    Notes
    -----
    Per class (one-vs-rest), Matthews' coefficient

    .. math::

        \mathrm{MCC}_k = \frac{\mathrm{TP}_k\mathrm{TN}_k - \mathrm{FP}_k\mathrm{FN}_k}
        {\sqrt{(\mathrm{TP}_k+\mathrm{FP}_k)(\mathrm{TP}_k+\mathrm{FN}_k)
               (\mathrm{TN}_k+\mathrm{FP}_k)(\mathrm{TN}_k+\mathrm{FN}_k)}} .

    ``'micro'`` is not a pooling of these counts but Gorodkin's multiclass
    :math:`R_K`, with :math:`c = \sum_k C_{kk}`, :math:`t_k = \sum_j C_{kj}`
    and :math:`p_k = \sum_i C_{ik}`,

    .. math::

        R_K = \frac{c N - \sum_k p_k t_k}
                   {\sqrt{\left(N^2 - \sum_k p_k^2\right)
                          \left(N^2 - \sum_k t_k^2\right)}},

    which is ``sklearn.metrics.matthews_corrcoef`` on multiclass labels and
    equals the binary coefficient when :math:`K = 2`.

    Declared convention for vanishing denominators: when prediction and
    ground truth agree exactly (:math:`\mathrm{FP}_k = \mathrm{FN}_k = 0`
    per class; no off-diagonal count for :math:`R_K`) on at least one pixel,
    the score is 1.0 even if a factor of the denominator is zero, e.g. two
    identical all-background masks. Any other zero denominator (say, an
    all-background prediction of a mask with foreground) gives
    ``zero_division``. scikit-learn's ``matthews_corrcoef`` instead returns
    0.0 whenever the denominator vanishes, including for two identical
    all-background masks.

    References
    ----------
    .. [1] B. W. Matthews, "Comparison of the predicted and observed secondary
           structure of T4 phage lysozyme", Biochimica et Biophysica Acta 405
           (1975) 442--451.
    .. [2] J. Gorodkin, "Comparing two K-category assignments by a K-category
           correlation coefficient", Computational Biology and Chemistry 28
           (2004) 367--374.
    .. [3] D. Chicco, G. Jurman, "The advantages of the Matthews correlation
           coefficient (MCC) over F1 score and accuracy in binary
           classification evaluation", BMC Genomics 21 (2020) 6.

    Examples
    --------
    >>> import numpy as np
    >>> from seglab.metrics import mcc
    >>> target = np.array([[0, 1, 1], [0, 1, 0]])
    >>> pred = np.array([[0, 1, 0], [1, 1, 0]])
    >>> mcc(pred, target)
    0.3333333333333333
    >>> empty = np.zeros((2, 3), int)
    >>> mcc(empty, empty)   # identical maps (scikit-learn gives 0.0)
    1.0
    >>> mcc(empty, target)  # zero denominator, maps differ
    nan
    """
    return _metric("mcc", pred, target, num_classes=num_classes, average=average,
                   per_image=per_image, reduction=reduction, return_count=return_count,
                   multilabel=multilabel, ignore_index=ignore_index, zero_division=zero_division)


def from_confusion(cm, metric, *, average="default", zero_division=np.nan, alpha=0.5, beta=0.5,
                   reduction="mean", return_count=False):
    r"""A metric of this module computed from a confusion matrix, with no pass over pixels.

    Use it to score matrices accumulated over a data set (sum the outputs of
    :func:`confusion_matrix`), per-image matrices, or expected ("soft")
    matrices with real entries. Explained in the book, chapter 1 (book/ch1).

    Parameters
    ----------
    cm : array_like of int or float, shape (K, K) or (n_images, K, K)
        Confusion matrix with rows the true class and columns the predicted
        class (the layout of :func:`confusion_matrix`); entries finite and
        non-negative, :math:`K \ge 2`. A 3-D array is a stack of per-image
        matrices: each image is scored and the mean over images (NaN left
        out) is returned, as ``per_image=True`` of the metric functions.
    metric : str
        Name of the metric function to apply: one of ``'accuracy'``,
        ``'balanced_accuracy'``, ``'precision'``, ``'recall'``, ``'specificity'``,
        ``'iou'``, ``'dice'``, ``'tversky_index'``, ``'mcc'``.
    average : {'default', 'binary', 'micro', 'macro', 'weighted'} or None, default 'default'
        As for the metric functions; ``'default'`` uses the metric's own
        default (``'micro'`` for accuracy, ``'macro'`` for balanced accuracy,
        ``'binary'`` for the others).
    zero_division : {nan, 0.0, 1.0}, default nan
        The declared value of 0/0; NaN scores are left out of means.
    alpha, beta : float, default 0.5
        Weights of false positives and false negatives, used by
        ``'tversky_index'`` only.
    reduction : {'mean', 'none'}, default 'mean'
        For a stack of matrices: ``'none'`` returns the score of each,
        shape ``(n_images,)`` or ``(n_images, K)``; needs a 3-D ``cm``.
    return_count : bool, default False
        If True, return ``(score, count)`` with the number of defined
        (non-NaN) scores behind ``score``, as the metric functions.

    Returns
    -------
    score : float or ndarray of float64, shape (K,)
        The score, or the score of each class when ``average=None``.
    count : int or ndarray of int64
        Only with ``return_count=True``.

    Raises
    ------
    TypeError
        If ``cm`` is not a real numeric array, or ``metric`` is not a str.
    ValueError
        If ``cm`` is not (n, K, K) or (K, K) with :math:`K \ge 2`, holds
        negative or non-finite entries, an option is not one of its choices,
        ``average='binary'`` meets :math:`K > 2`, or ``reduction='none'``
        meets a 2-D ``cm``.

    Notes
    -----
    Every metric is a ratio of sums of :math:`\mathrm{TP}_k`,
    :math:`\mathrm{FP}_k`, :math:`\mathrm{FN}_k`, :math:`\mathrm{TN}_k` (see
    the metric functions for the formulas), so scoring a matrix costs
    :math:`O(K^2)` whatever the number of pixels. Every score is unchanged
    when the whole matrix is multiplied by a positive number, and so is its
    computation: each matrix is first scaled by a power of two (exactly) to
    largest entry in :math:`[1/2, 1)`, so that counts near :math:`10^{300}`
    or :math:`10^{-80}` (expected or weighted counts) give the same MCC as
    the counts themselves instead of an overflow or a NaN. Summing matrices and then
    scoring is pooling; scoring each matrix and then averaging is the
    per-image mean -- the two differ, see the book.

    References
    ----------
    .. [1] F. Pedregosa et al., "Scikit-learn: Machine learning in Python",
           JMLR 12 (2011) 2825--2830; ``sklearn.metrics.multilabel_confusion_matrix``.

    Examples
    --------
    >>> import numpy as np
    >>> from seglab.metrics import from_confusion
    >>> cm = np.array([[2, 1],
    ...                [1, 2]])
    >>> from_confusion(cm, "iou")
    0.5
    >>> from_confusion(cm, "dice", average=None)
    array([0.66666667, 0.66666667])
    >>> from_confusion(np.stack([cm, 2 * cm]), "accuracy")   # mean over two images
    0.6666666666666666
    """
    if not isinstance(metric, str):
        raise TypeError(f"metric must be a metric name (a str), got {metric!r}")
    metric = _check_metrics(metric)[0]
    average = _check_average(average, allow_default=True)
    zero_division = check_zero_division(zero_division)
    alpha, beta = _check_weights(alpha, beta)
    cm = as_float_array(cm, "cm")
    if cm.ndim not in (2, 3) or cm.shape[-1] != cm.shape[-2] or cm.shape[-1] < 2:
        raise ValueError(
            f"cm must have shape (K, K) or (n_images, K, K) with K >= 2, got shape {cm.shape}"
        )
    if cm.min() < 0:
        raise ValueError(f"cm must hold non-negative counts, got minimum {cm.min()!r}")
    stacked = cm.ndim == 3
    if reduction == "none" and not stacked:
        raise ValueError(
            f"reduction='none' returns one score per matrix and needs a stack of matrices, "
            f"cm of shape (n_images, K, K); got shape {cm.shape}"
        )
    _, reduction, return_count, _ = _check_options(stacked, reduction, return_count, False)
    averages = _resolve_averages((metric,), average)
    _check_binary(averages, cm.shape[-1], False)
    cm = _rescaled(cm if stacked else cm[None])
    scores = _score(_class_counts(cm), metric, averages[metric], zero_division, alpha, beta)
    return _finish(scores, stacked, reduction, return_count)


def evaluate(pred, target, *, metrics=METRICS, num_classes=None, average="default",
             per_image=False, reduction="mean", return_count=False, multilabel=False,
             ignore_index=None, zero_division=np.nan, alpha=0.5, beta=0.5):
    r"""Several metrics of a label-map pair from one confusion matrix.

    Validates once and counts the pixels once, so ten metrics cost about
    as much as one. Explained in the book, chapter 1 (book/ch1).

    Parameters
    ----------
    pred, target : array_like of int or bool
        Predicted and ground-truth label maps of the same shape (see
        :func:`confusion_matrix`).
    metrics : str or sequence of str, default all
        Names among ``'accuracy'``, ``'balanced_accuracy'``, ``'precision'``,
        ``'recall'``, ``'specificity'``, ``'iou'``, ``'dice'``,
        ``'tversky_index'``, ``'mcc'``.
    num_classes : int, optional
        Number of classes (default: inferred from the labels, at least 2).
    average : {'default', 'binary', 'micro', 'macro', 'weighted'} or None, default 'default'
        Applied to every metric; ``'default'`` gives each metric its own
        default (``'micro'`` for accuracy, ``'macro'`` for balanced accuracy,
        ``'binary'`` for the others -- so pass ``'macro'`` or ``None`` when
        there are more than two classes).
    per_image : bool, default False
        Score each image (first axis) and average over images.
    reduction : {'mean', 'none'}, default 'mean'
        ``'none'`` keeps one score per image (needs ``per_image=True``); see
        :func:`iou`.
    return_count : bool, default False
        If True, each value is a pair ``(score, count)`` with the number of
        defined scores behind it; see :func:`iou`.
    multilabel : bool, default False
        Score binary masks channel by channel; see :func:`iou`.
    ignore_index : int, optional
        ``target`` value of pixels to leave out.
    zero_division : {nan, 0.0, 1.0}, default nan
        The declared value of 0/0; NaN scores are left out of means.
    alpha, beta : float, default 0.5
        Weights of the Tversky index.

    Returns
    -------
    scores : dict
        Metric name -> float, or -> ndarray of shape (num_classes,) when
        ``average=None`` (with ``reduction='none'`` one row per image; with
        ``return_count=True`` a pair ``(score, count)``); in the order of
        ``metrics``.

    Raises
    ------
    TypeError, ValueError
        As the metric functions (see :func:`iou`); ValueError for an unknown
        metric name or an empty ``metrics``, TypeError for a ``metrics`` that
        is neither a name nor a sequence of names (such as None).

    Notes
    -----
    ``evaluate(pred, target, metrics=[m], average=a)[m]`` equals
    ``from_confusion(confusion_matrix(pred, target), m, average=a)`` and the
    metric function ``m(pred, target, average=a)``.

    References
    ----------
    .. [1] L. Maier-Hein et al., "Metrics reloaded: recommendations for image
           analysis validation", Nature Methods 21 (2024) 195--212.

    Examples
    --------
    >>> import numpy as np
    >>> from seglab.metrics import evaluate
    >>> target = np.array([[0, 1, 1], [0, 1, 0]])
    >>> pred = np.array([[0, 1, 0], [1, 1, 0]])
    >>> scores = evaluate(pred, target, metrics=("accuracy", "iou", "dice", "mcc"))
    >>> {name: round(value, 4) for name, value in scores.items()}
    {'accuracy': 0.6667, 'iou': 0.5, 'dice': 0.6667, 'mcc': 0.3333}
    """
    return _evaluate(pred, target, metrics, num_classes=num_classes, average=average,
                     per_image=per_image, reduction=reduction, return_count=return_count,
                     multilabel=multilabel, ignore_index=ignore_index,
                     zero_division=zero_division, alpha=alpha, beta=beta, allow_default=True)
