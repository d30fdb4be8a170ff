"""seglab.metrics against scikit-learn 1.9 (the outside reference), to 1e-12.

Every test compares one seglab call with the scikit-learn call written in its
docstring, on random binary and K-class label maps in 2-D and 3-D, for every
``average`` and every ``zero_division``. Some maps leave classes out of the
prediction, the ground truth or both, so that the 0/0 conventions are exercised.
"""

import warnings

import numpy as np
import pytest
import sklearn.metrics as skm
from numpy.testing import assert_allclose, assert_array_equal

from seglab import metrics

ZERO_DIVISIONS = [0.0, 1.0, np.nan]
AVERAGES = ["micro", "macro", "weighted", None]
SHAPES = [(17, 23), (5, 9, 11)]


def _assert_close(actual, desired):
    assert_allclose(actual, desired, rtol=0, atol=1e-12, equal_nan=True)


def _multiclass_maps(shape, seed):
    """Five-class maps: class 3 is never predicted, class 4 never true, class 5 in neither.

    Returned with num_classes = 6, so per-class scores hit every 0/0 case.
    """
    rng = np.random.default_rng(seed)
    target = rng.choice([0, 1, 2, 3], size=shape, p=[0.5, 0.3, 0.15, 0.05])
    pred = np.where(rng.random(shape) < 0.6, target, rng.integers(0, 5, shape))
    pred[pred == 3] = 4
    return pred, target, 6


def _full_maps(shape, seed, num_classes=4):
    """K-class maps in which every class is present in both maps (no 0/0 anywhere)."""
    rng = np.random.default_rng(seed)
    target = rng.integers(0, num_classes, shape)
    pred = np.where(rng.random(shape) < 0.5, target, rng.integers(0, num_classes, shape))
    target.flat[:num_classes] = pred.flat[:num_classes] = np.arange(num_classes)
    return pred, target, num_classes


def _binary_maps(shape, seed, case):
    """Binary maps: random, or an empty prediction / ground truth / both."""
    rng = np.random.default_rng(seed)
    target = rng.random(shape) < 0.2
    pred = np.where(rng.random(shape) < 0.8, target, rng.random(shape) < 0.5)
    if case in ("pred_empty", "both_empty"):
        pred[...] = False
    if case in ("target_empty", "both_empty"):
        target[...] = False
    return pred, target, 2


def _cases():
    for shape in SHAPES:
        for seed in range(2):
            yield pytest.param(*_multiclass_maps(shape, seed), id=f"multi-{len(shape)}d-{seed}")
            yield pytest.param(*_full_maps(shape, seed), id=f"full-{len(shape)}d-{seed}")
            for case in ("random", "pred_empty", "target_empty", "both_empty"):
                yield pytest.param(*_binary_maps(shape, seed, case),
                                   id=f"binary-{case}-{len(shape)}d-{seed}")


CASES = list(_cases())


def _flat(pred, target):
    return np.ravel(target).astype(int), np.ravel(pred).astype(int)


def _averages(num_classes):
    return AVERAGES + (["binary"] if num_classes == 2 else [])


def _sk_average(y_true, scores, average, zero_division):
    """Combine sklearn's per-class scores with sklearn's own NaN rules (``_nanaverage``)."""
    if average is None:
        return scores
    valid = ~np.isnan(scores)
    if not valid.any():
        return np.nan
    if average == "macro":
        return scores[valid].mean()
    weights = np.bincount(y_true, minlength=scores.size)[valid]
    return np.average(scores[valid], weights=weights) if weights.sum() else zero_division


@pytest.mark.parametrize(("pred", "target", "num_classes"), CASES)
def test_confusion_matrix(pred, target, num_classes):
    """``sklearn.metrics.confusion_matrix(target.ravel(), pred.ravel(), labels=range(K))``."""
    y_true, y_pred = _flat(pred, target)
    expected = skm.confusion_matrix(y_true, y_pred, labels=np.arange(num_classes))
    assert_array_equal(metrics.confusion_matrix(pred, target, num_classes=num_classes), expected)


@pytest.mark.parametrize(("pred", "target", "num_classes"), CASES)
@pytest.mark.parametrize(
    ("name", "sk_func"),
    [("precision", skm.precision_score), ("recall", skm.recall_score), ("dice", skm.f1_score)],
)
@pytest.mark.parametrize("zero_division", ZERO_DIVISIONS)
def test_precision_recall_dice(pred, target, num_classes, name, sk_func, zero_division):
    """``sk_func(target.ravel(), pred.ravel(), labels=range(K), average=a,
    zero_division=z)`` with sk_func = precision_score, recall_score, f1_score (Dice = F1)."""
    y_true, y_pred = _flat(pred, target)
    for average in _averages(num_classes):
        expected = sk_func(y_true, y_pred, labels=np.arange(num_classes), average=average,
                           zero_division=zero_division)
        actual = getattr(metrics, name)(pred, target, num_classes=num_classes, average=average,
                                        zero_division=zero_division)
        _assert_close(actual, expected)


@pytest.mark.parametrize(("pred", "target", "num_classes"), CASES)
@pytest.mark.parametrize("zero_division", ZERO_DIVISIONS)
def test_iou(pred, target, num_classes, zero_division):
    """``jaccard_score(target.ravel(), pred.ravel(), labels=range(K), average=a,
    zero_division=z)``. jaccard_score takes only z in {0, 1}; for z = nan the per-class
    reference is ``jaccard_score(..., average=None, zero_division=0)`` with NaN where
    ``f1_score(..., average=None, zero_division=np.nan)`` is NaN (J and F1 share the 0/0
    case TP + FP + FN = 0), averaged as sklearn's ``_nanaverage`` does."""
    y_true, y_pred = _flat(pred, target)
    labels = np.arange(num_classes)
    for average in _averages(num_classes):
        if np.isnan(zero_division):
            per_class = skm.jaccard_score(y_true, y_pred, labels=labels, average=None,
                                          zero_division=0)
            undefined = np.isnan(skm.f1_score(y_true, y_pred, labels=labels, average=None,
                                              zero_division=np.nan))
            per_class = np.where(undefined, np.nan, per_class)
            if average == "binary":
                expected = per_class[1]
            elif average == "micro":
                expected = skm.jaccard_score(y_true, y_pred, labels=labels, average="micro")
            else:
                expected = _sk_average(y_true, per_class, average, zero_division)
        else:
            expected = skm.jaccard_score(y_true, y_pred, labels=labels, average=average,
                                         zero_division=zero_division)
        actual = metrics.iou(pred, target, num_classes=num_classes, average=average,
                             zero_division=zero_division)
        _assert_close(actual, expected)


@pytest.mark.parametrize(("pred", "target", "num_classes"), CASES)
@pytest.mark.parametrize("zero_division", ZERO_DIVISIONS)
def test_accuracy(pred, target, num_classes, zero_division):
    """``accuracy_score(target.ravel(), pred.ravel())`` for 'micro' and 'binary';
    ``recall_score(..., labels=range(K), average=a, zero_division=z)`` for the class
    accuracies (a in None, 'macro', 'weighted')."""
    y_true, y_pred = _flat(pred, target)
    for average in _averages(num_classes):
        if average in ("micro", "binary"):
            expected = skm.accuracy_score(y_true, y_pred)
        else:
            expected = skm.recall_score(y_true, y_pred, labels=np.arange(num_classes),
                                        average=average, zero_division=zero_division)
        actual = metrics.accuracy(pred, target, num_classes=num_classes, average=average,
                                  zero_division=zero_division)
        _assert_close(actual, expected)


@pytest.mark.parametrize(("pred", "target", "num_classes"), CASES)
def test_balanced_accuracy(pred, target, num_classes):
    """``balanced_accuracy_score(target.ravel(), pred.ravel())``, which leaves out the
    classes absent from target, as the default zero_division=nan does; with 'binary'
    on two classes too."""
    y_true, y_pred = _flat(pred, target)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "y_pred contains classes not in y_true")
        warnings.filterwarnings("ignore", "A single label was found")
        expected = skm.balanced_accuracy_score(y_true, y_pred)
    _assert_close(metrics.balanced_accuracy(pred, target, num_classes=num_classes), expected)
    if num_classes == 2 and y_true.any() and not y_true.all():
        _assert_close(metrics.balanced_accuracy(pred, target, average="binary"), expected)


@pytest.mark.parametrize(("pred", "target", "num_classes"), CASES)
@pytest.mark.parametrize("zero_division", [0.0, 1.0])
def test_balanced_accuracy_zero_division(pred, target, num_classes, zero_division):
    """``recall_score(target.ravel(), pred.ravel(), labels=range(K), average='macro',
    zero_division=z)``: with a numeric z absent classes count as z."""
    y_true, y_pred = _flat(pred, target)
    expected = skm.recall_score(y_true, y_pred, labels=np.arange(num_classes), average="macro",
                                zero_division=zero_division)
    actual = metrics.balanced_accuracy(pred, target, num_classes=num_classes,
                                       zero_division=zero_division)
    _assert_close(actual, expected)


@pytest.mark.parametrize(("pred", "target", "num_classes"), CASES)
@pytest.mark.parametrize("zero_division", ZERO_DIVISIONS)
def test_specificity(pred, target, num_classes, zero_division):
    """Specificity of class k = recall of "not k": ``recall_score(T, P, average=a,
    zero_division=z)`` on the multilabel indicators T[:, k] = target != k, P[:, k] =
    pred != k (micro pools TN and FP over classes); 'binary' is ``recall_score(target,
    pred, pos_label=0)``; 'weighted' weights by the support of class k, i.e. the
    per-class sklearn values averaged with weights ``bincount(target)``."""
    y_true, y_pred = _flat(pred, target)
    labels = np.arange(num_classes)
    neg_true = y_true[:, None] != labels
    neg_pred = y_pred[:, None] != labels
    for average in _averages(num_classes):
        if average == "binary":
            expected = skm.recall_score(y_true, y_pred, pos_label=0, labels=labels,
                                        average="binary", zero_division=zero_division)
        elif average == "weighted":
            per_class = skm.recall_score(neg_true, neg_pred, average=None,
                                         zero_division=zero_division)
            expected = _sk_average(y_true, per_class, "weighted", zero_division)
        else:
            expected = skm.recall_score(neg_true, neg_pred, average=average,
                                        zero_division=zero_division)
        actual = metrics.specificity(pred, target, num_classes=num_classes, average=average,
                                     zero_division=zero_division)
        _assert_close(actual, expected)


@pytest.mark.parametrize(("pred", "target", "num_classes"), CASES)
def test_specificity_micro_from_multilabel_confusion(pred, target, num_classes):
    """``multilabel_confusion_matrix(target.ravel(), pred.ravel(), labels=range(K))``:
    micro specificity = sum TN / (sum TN + sum FP) of the stacked one-vs-rest matrices."""
    y_true, y_pred = _flat(pred, target)
    mcm = skm.multilabel_confusion_matrix(y_true, y_pred, labels=np.arange(num_classes))
    tn, fp = mcm[:, 0, 0].sum(), mcm[:, 0, 1].sum()
    actual = metrics.specificity(pred, target, num_classes=num_classes, average="micro")
    _assert_close(actual, tn / (tn + fp))


@pytest.mark.parametrize(("pred", "target", "num_classes"), [
    case for case in CASES if case.id.startswith(("full", "binary-random"))
])
@pytest.mark.parametrize("zero_division", ZERO_DIVISIONS)
def test_mcc(pred, target, num_classes, zero_division):
    """``matthews_corrcoef(target.ravel(), pred.ravel())`` for 'micro' (Gorodkin's R_K)
    and 'binary'; ``matthews_corrcoef(target.ravel() == k, pred.ravel() == k)`` per class,
    averaged for 'macro' and (by support) 'weighted'. Only maps where no denominator
    vanishes: there the two conventions differ by design (see test_metrics.py)."""
    y_true, y_pred = _flat(pred, target)
    per_class = np.array([skm.matthews_corrcoef(y_true == k, y_pred == k)
                          for k in range(num_classes)])
    for average in _averages(num_classes):
        if average in ("micro", "binary"):
            expected = skm.matthews_corrcoef(y_true, y_pred)
        else:
            expected = _sk_average(y_true, per_class, average, zero_division)
        actual = metrics.mcc(pred, target, num_classes=num_classes, average=average,
                             zero_division=zero_division)
        _assert_close(actual, expected)


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("num_classes", [2, 3, 7])
def test_mcc_micro_many_classes(shape, num_classes):
    """``matthews_corrcoef(target.ravel(), pred.ravel())`` on maps that are mostly right."""
    pred, target, _ = _full_maps(shape, 11, num_classes)
    _assert_close(metrics.mcc(pred, target, average="micro"),
                  skm.matthews_corrcoef(target.ravel(), pred.ravel()))


@pytest.mark.parametrize("ignore_index", [0, 2, 255, -1])
def test_ignore_index_matches_sklearn_on_kept_pixels(ignore_index):
    """``f1_score(target[keep], pred[keep], labels=range(K), average=None)`` and
    ``confusion_matrix(target[keep], pred[keep], labels=range(K))`` with
    keep = target != ignore_index."""
    pred, target, num_classes = _full_maps((30, 40), 3)
    target = target.copy()
    target[::3, ::2] = ignore_index
    keep = target != ignore_index
    labels = np.arange(num_classes)
    assert_array_equal(
        metrics.confusion_matrix(pred, target, num_classes=num_classes,
                                 ignore_index=ignore_index),
        skm.confusion_matrix(target[keep], pred[keep], labels=labels),
    )
    _assert_close(
        metrics.dice(pred, target, num_classes=num_classes, ignore_index=ignore_index,
                     average=None),
        skm.f1_score(target[keep], pred[keep], labels=labels, average=None,
                     zero_division=np.nan),
    )


@pytest.mark.parametrize(("pred", "target", "num_classes"), [
    case for case in CASES if case.id.startswith(("multi", "full"))
])
def test_fcn_scores(pred, target, num_classes):
    """The four scores of Long et al. (2015) as their reference code computes them
    (``score.py`` of github.com/shelhamer/fcn.berkeleyvision.org, from the histogram
    ``hist`` with rows = ground truth): overall accuracy ``diag.sum() / hist.sum()``,
    mean accuracy ``nanmean(diag / hist.sum(1))``, mean IU ``nanmean(diag / (hist.sum(1)
    + hist.sum(0) - diag))`` and frequency weighted IU ``(freq[freq > 0] * iu[freq >
    0]).sum()`` with ``freq = hist.sum(1) / hist.sum()``."""
    hist = np.bincount(num_classes * target.ravel() + pred.ravel(),
                       minlength=num_classes**2).reshape(num_classes, num_classes)
    diag = np.diag(hist)
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        class_accuracy = np.nanmean(diag / hist.sum(1))
        iu = diag / (hist.sum(1) + hist.sum(0) - diag)
        mean_iu = np.nanmean(iu)
    freq = hist.sum(1) / hist.sum()
    options = dict(num_classes=num_classes)
    _assert_close(metrics.accuracy(pred, target, **options), diag.sum() / hist.sum())
    _assert_close(metrics.accuracy(pred, target, average="macro", **options), class_accuracy)
    _assert_close(metrics.iou(pred, target, average="macro", **options), mean_iu)
    _assert_close(metrics.iou(pred, target, average="weighted", **options),
                  (freq[freq > 0] * iu[freq > 0]).sum())
