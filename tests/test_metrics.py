"""seglab.metrics: closed-form cases, conventions, properties and the counting pass.

Conformance with scikit-learn is in test_metrics_conformance.py and the input
checks in test_metrics_validation.py.
"""

import warnings

import numpy as np
import pytest
import sklearn.metrics as skm
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from numpy.testing import assert_allclose, assert_array_equal

from seglab import metrics
from seglab.metrics import (
    accuracy,
    balanced_accuracy,
    confusion_matrix,
    dice,
    evaluate,
    from_confusion,
    iou,
    mcc,
    precision,
    recall,
    specificity,
    tversky_index,
)

NAMES = metrics.METRICS
RATIO_NAMES = tuple(name for name in NAMES if name != "mcc")
AVERAGES = ("micro", "macro", "weighted", None)
PROPERTY = settings(deadline=None, max_examples=40)


def _close(actual, desired, atol=1e-12):
    assert_allclose(actual, desired, rtol=0, atol=atol, equal_nan=True)


def _call(name, pred, target, **options):
    return getattr(metrics, name)(pred, target, **options)


# --------------------------------------------------------------------------
# Closed-form cases

# The docstring example: TP = 2, FP = 1, FN = 1, TN = 2.
TARGET = np.array([[0, 1, 1], [0, 1, 0]])
PRED = np.array([[0, 1, 0], [1, 1, 0]])


@pytest.mark.parametrize(("func", "expected"), [
    (accuracy, 4 / 6),
    (balanced_accuracy, 2 / 3),
    (precision, 2 / 3),
    (recall, 2 / 3),
    (specificity, 2 / 3),
    (iou, 1 / 2),
    (dice, 2 / 3),
    (tversky_index, 2 / 3),
    (mcc, (2 * 2 - 1 * 1) / 9),
])
def test_binary_closed_form(func, expected):
    assert_array_equal(confusion_matrix(PRED, TARGET), [[2, 1], [1, 2]])
    score = func(PRED, TARGET)
    assert isinstance(score, float)
    assert score == pytest.approx(expected, abs=1e-15)


@pytest.mark.parametrize(("alpha", "beta", "expected"), [
    (0.5, 0.5, 2 / 3), (1.0, 1.0, 1 / 2), (1.0, 0.0, 2 / 3), (0.0, 1.0, 2 / 3),
    (0.3, 0.7, 2 / 3), (2.0, 0.0, 1 / 2), (0.0, 0.0, 1.0), (3.0, 1.0, 2 / 6),
])
def test_tversky_closed_form(alpha, beta, expected):
    # T = TP / (TP + alpha FP + beta FN) with TP = 2, FP = FN = 1
    assert tversky_index(PRED, TARGET, alpha=alpha, beta=beta) == pytest.approx(expected)


# Three classes: target [0 0 0 1 1 2], pred [0 0 1 1 2 2];
# TP = (2, 1, 1), FP = (0, 1, 1), FN = (1, 1, 0), TN = (3, 3, 4), support (3, 2, 1).
MC_TARGET = np.array([0, 0, 0, 1, 1, 2])
MC_PRED = np.array([0, 0, 1, 1, 2, 2])
MC_EXPECTED = {
    "precision": ([1, 1 / 2, 1 / 2], 2 / 3, 2 / 3, (3 + 1 + 1 / 2) / 6),
    "recall": ([2 / 3, 1 / 2, 1], 2 / 3, 13 / 18, 2 / 3),
    "accuracy": ([2 / 3, 1 / 2, 1], 2 / 3, 13 / 18, 2 / 3),
    "balanced_accuracy": ([2 / 3, 1 / 2, 1], 2 / 3, 13 / 18, 2 / 3),
    "specificity": ([1, 3 / 4, 4 / 5], 10 / 12, (1 + 3 / 4 + 4 / 5) / 3,
                    (3 + 2 * 3 / 4 + 4 / 5) / 6),
    "iou": ([2 / 3, 1 / 3, 1 / 2], 4 / 8, 1 / 2, 19 / 36),
    "dice": ([4 / 5, 1 / 2, 2 / 3], 2 / 3, 59 / 90, (12 / 5 + 1 + 2 / 3) / 6),
    "tversky_index": ([4 / 5, 1 / 2, 2 / 3], 2 / 3, 59 / 90, (12 / 5 + 1 + 2 / 3) / 6),
    "mcc": ([1 / np.sqrt(2), 1 / 4, 2 / np.sqrt(10)], 12 / np.sqrt(24 * 22),
            (1 / np.sqrt(2) + 1 / 4 + 2 / np.sqrt(10)) / 3,
            (3 / np.sqrt(2) + 2 / 4 + 2 / np.sqrt(10)) / 6),
}


@pytest.mark.parametrize("name", NAMES)
def test_multiclass_closed_form(name):
    per_class, micro, macro, weighted = MC_EXPECTED[name]
    for average, expected in [(None, per_class), ("micro", micro), ("macro", macro),
                              ("weighted", weighted)]:
        _close(_call(name, MC_PRED, MC_TARGET, average=average), expected, atol=1e-15)


@pytest.mark.parametrize(("zero_division", "expected"), [
    (np.nan, 1 / 2), (0.0, (2 / 3 + 1 / 3 + 1 / 2) / 4), (1.0, (2 / 3 + 1 / 3 + 1 / 2 + 1) / 4),
])
def test_absent_class_and_zero_division(zero_division, expected):
    # Class 3 is absent from both maps: its IoU is 0/0 = zero_division.
    per_class = iou(MC_PRED, MC_TARGET, num_classes=4, average=None, zero_division=zero_division)
    _close(per_class, [2 / 3, 1 / 3, 1 / 2, zero_division])
    score = iou(MC_PRED, MC_TARGET, num_classes=4, average="macro", zero_division=zero_division)
    assert score == pytest.approx(expected)


@pytest.mark.parametrize("size", [10, 100, 1000])
def test_accuracy_paradox(size):
    """All-background prediction at foreground prior pi."""
    target = np.zeros(size, dtype=bool)
    target[: size // 10] = True
    pi = 0.1
    background = np.zeros_like(target)
    assert accuracy(background, target) == pytest.approx(1 - pi)
    assert balanced_accuracy(background, target) == pytest.approx(0.5)
    assert iou(background, target) == 0.0
    assert dice(background, target) == 0.0
    assert recall(background, target) == 0.0
    assert specificity(background, target) == 1.0
    assert np.isnan(precision(background, target))
    assert precision(background, target, zero_division=0.0) == 0.0
    assert iou(background, target, average="macro") == pytest.approx((1 - pi) / 2)
    assert dice(np.ones_like(target), target) == pytest.approx(2 * pi / (1 + pi))
    # MCC: TP + FP = 0, a vanishing denominator on maps that differ
    assert np.isnan(mcc(background, target))
    assert mcc(background, target, zero_division=0.0) == skm.matthews_corrcoef(target,
                                                                               background)


def test_complement_prediction():
    target = np.array([[1, 1, 0, 0, 0]])
    pred = 1 - target
    assert iou(pred, target) == 0.0
    assert accuracy(pred, target) == 0.0
    assert mcc(pred, target) == -1.0
    assert mcc(pred, target, average="micro") == -1.0


def test_identical_maps():
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 4, (8, 9))
    for name in NAMES:
        _close(_call(name, labels, labels, average=None), np.ones(4))
        for average in ("micro", "macro", "weighted"):
            assert _call(name, labels, labels, average=average) == 1.0


def test_mcc_identical_all_background_is_one():
    """Declared convention: identical maps give MCC = 1 even with a zero denominator;
    scikit-learn's ``matthews_corrcoef`` gives 0.0 for the same input."""
    empty = np.zeros((4, 4), dtype=bool)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "A single label was found")
        assert skm.matthews_corrcoef(empty.ravel(), empty.ravel()) == 0.0
    for average in ("binary", "micro", "macro", "weighted", None):
        _close(mcc(empty, empty, average=average, zero_division=0.0),
               np.ones(2) if average is None else 1.0)
    full = np.ones((4, 4), dtype=bool)
    assert mcc(full, full) == 1.0
    # A class absent from both maps is a perfect one-vs-rest prediction: 1.0.
    _close(mcc(MC_PRED, MC_TARGET, num_classes=4, average=None)[3], 1.0)


@pytest.mark.parametrize("zero_division", [0.0, 1.0, np.nan])
def test_mcc_vanishing_denominator_gives_zero_division(zero_division):
    target = np.array([0, 1, 1, 0])
    constant = np.zeros(4, dtype=int)
    _close(mcc(constant, target, zero_division=zero_division), zero_division)
    _close(mcc(constant, target, average="micro", zero_division=zero_division), zero_division)
    _close(mcc(target, constant, zero_division=zero_division), zero_division)


def test_all_pixels_ignored():
    target = np.full((3, 3), 255)
    pred = np.zeros((3, 3), dtype=int)
    assert_array_equal(confusion_matrix(pred, target, num_classes=2, ignore_index=255),
                       np.zeros((2, 2)))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for name in NAMES:
            for average in ("micro", "macro", "weighted"):
                assert np.isnan(_call(name, pred, target, num_classes=2, ignore_index=255,
                                      average=average))
        for zero_division in (0.0, 1.0):
            # A weighted mean with zero total weight is 0/0 too.
            assert iou(pred, target, num_classes=2, ignore_index=255, average="weighted",
                       zero_division=zero_division) == zero_division


def test_mean_over_nothing_is_nan_without_warning():
    empty = np.zeros((3, 4, 4), dtype=bool)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert np.isnan(iou(empty, empty))
        assert np.isnan(iou(empty, empty, per_image=True))
        assert np.isnan(dice(empty, empty, average="macro", num_classes=3, ignore_index=0))
        _close(iou(empty, empty, per_image=True, average=None), [1.0, np.nan])


def test_per_image_differs_from_pooled():
    """A missed 20-pixel object and a perfect 2000-pixel one."""
    target = np.zeros((2, 50, 50), dtype=bool)
    target[0, :4, :5] = True            # 20 pixels, missed
    target[1, :40, :50] = True          # 2000 pixels, found
    pred = target.copy()
    pred[0] = False
    assert dice(pred, target, per_image=True) == pytest.approx(0.5)
    assert dice(pred, target) == pytest.approx(4000 / 4020)
    assert_array_equal(confusion_matrix(pred, target, per_image=True).sum(axis=0),
                       confusion_matrix(pred, target))
    # An image with empty ground truth and empty prediction: Dice 0/0.
    both_empty = np.concatenate([pred, np.zeros((1, 50, 50), bool)])
    truth = np.concatenate([target, np.zeros((1, 50, 50), bool)])
    assert dice(both_empty, truth, per_image=True) == pytest.approx(0.5)
    assert dice(both_empty, truth, per_image=True, zero_division=1.0) == pytest.approx(2 / 3)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("average", [*AVERAGES, "binary"])
def test_per_image_is_mean_over_images(name, average):
    rng = np.random.default_rng(1)
    num_classes = 2 if average == "binary" else 4
    target = rng.integers(0, num_classes, (5, 7, 6))
    noise = rng.integers(0, num_classes, target.shape)
    pred = np.where(rng.random(target.shape) < 0.6, target, noise)
    target[1] = 0   # some per-image scores are 0/0
    scores = np.array([_call(name, pred[i], target[i], num_classes=num_classes,
                             average=average) for i in range(5)])
    valid = ~np.isnan(scores)
    expected = np.where(valid, scores, 0).sum(axis=0) / valid.sum(axis=0)
    _close(_call(name, pred, target, num_classes=num_classes, average=average, per_image=True),
           expected)


# --------------------------------------------------------------------------
# ignore_index, dtypes, layouts, large inputs (the block-wise counting pass)

def _reference_cm(pred, target, num_classes, ignore_index=None):
    keep = np.ones(target.shape, bool) if ignore_index is None else target != ignore_index
    index = target[keep].astype(np.int64) * num_classes + pred[keep]
    return np.bincount(index, minlength=num_classes**2).reshape(num_classes, num_classes)


@pytest.mark.parametrize("ignore_index", [0, 2, 3, 7, 255, 2000, -1, -300, 2**40])
def test_ignore_index(ignore_index):
    rng = np.random.default_rng(2)
    target = rng.integers(0, 3, (40, 30))
    pred = rng.integers(0, 3, (40, 30))
    target[rng.random(target.shape) < 0.3] = ignore_index
    keep = target != ignore_index
    expected = _reference_cm(pred, target, 3, ignore_index)
    assert_array_equal(confusion_matrix(pred, target, num_classes=3, ignore_index=ignore_index),
                       expected)
    assert_array_equal(confusion_matrix(pred[keep], target[keep], num_classes=3), expected)
    _close(iou(pred, target, num_classes=3, average=None, ignore_index=ignore_index),
           iou(pred[keep], target[keep], num_classes=3, average=None))
    per_image = confusion_matrix(pred, target, num_classes=3, ignore_index=ignore_index,
                                 per_image=True)
    assert_array_equal(per_image.sum(axis=0), expected)


def test_ignore_index_excluded_from_inferred_num_classes():
    target = np.array([0, 1, 255, 1])
    pred = np.array([0, 1, 1, 0])
    assert confusion_matrix(pred, target, ignore_index=255).shape == (2, 2)
    assert iou(pred, target, ignore_index=255) == pytest.approx(1 / 2)
    assert confusion_matrix(pred, np.array([0, 1, -1, 1]), ignore_index=-1).shape == (2, 2)


DTYPES = [bool, np.int8, np.uint8, np.int16, np.uint16, np.int32, np.uint32, np.int64,
          np.uint64, np.dtype(">i4"), np.dtype(">u2")]


@pytest.mark.parametrize("dtype", DTYPES)
def test_dtypes(dtype):
    rng = np.random.default_rng(3)
    num_classes = 2 if dtype is bool else 5
    target = rng.integers(0, num_classes, (13, 11))
    pred = rng.integers(0, num_classes, (13, 11))
    expected = _reference_cm(pred, target, num_classes)
    cm = confusion_matrix(pred.astype(dtype), target.astype(dtype))
    assert cm.dtype == np.int64
    assert_array_equal(cm, expected)
    # Mixed dtypes: uint8 prediction against the given dtype.
    assert_array_equal(confusion_matrix(pred.astype(np.uint8), target.astype(dtype),
                                        num_classes=num_classes), expected)


def test_uint8_does_not_overflow():
    # target * K + pred exceeds 255 for uint8 labels: it must be computed in intp.
    target = np.array([20, 20, 3], dtype=np.uint8)
    pred = np.array([20, 1, 3], dtype=np.uint8)
    cm = confusion_matrix(pred, target, num_classes=21)
    assert cm[20, 20] == 1 and cm[20, 1] == 1 and cm[3, 3] == 1 and cm.sum() == 3


def test_layouts_non_contiguous_fortran_and_lists():
    rng = np.random.default_rng(4)
    target = rng.integers(0, 4, (20, 30))
    pred = rng.integers(0, 4, (20, 30))
    expected = confusion_matrix(pred, target)
    assert_array_equal(confusion_matrix(np.asfortranarray(pred), np.asfortranarray(target)),
                       expected)
    assert_array_equal(confusion_matrix(pred.T, target.T), expected)
    assert_array_equal(confusion_matrix(pred[::2, ::3], target[::2, ::3]),
                       _reference_cm(pred[::2, ::3], target[::2, ::3], 4))
    assert_array_equal(confusion_matrix(pred.tolist(), target.tolist()), expected)
    assert iou([0, 1, 1], (0, 1, 0)) == 0.5


@pytest.mark.parametrize("per_image", [False, True])
@pytest.mark.parametrize("ignore_index", [None, 2, 255])
@pytest.mark.parametrize("shape", [(1, 9, 11, 7), (3, 9, 11, 7), (9, 11, 7)])
def test_fortran_order_pixels_still_pair_up(shape, ignore_index, per_image):
    """Fortran-ordered volumes (as NIfTI files load) are counted through transposed views:
    every mix of layouts, one image or several, gives the counts of the C-ordered arrays."""
    if per_image and len(shape) == 3:
        shape = (1, *shape)
    rng = np.random.default_rng(5)
    target = rng.integers(0, 4, shape).astype(np.uint8)
    pred = rng.integers(0, 4, shape).astype(np.uint8)
    if ignore_index == 255:
        target[rng.random(shape) < 0.2] = 255
    options = {"num_classes": 4, "ignore_index": ignore_index, "per_image": per_image}
    expected = confusion_matrix(pred, target, **options)
    if not per_image:
        assert_array_equal(expected, _reference_cm(pred, target, 4, ignore_index))
    fortran = np.asfortranarray
    for p, t in ((fortran(pred), fortran(target)), (fortran(pred), target),
                 (pred, fortran(target)), (fortran(pred)[..., ::-1], fortran(target)[..., ::-1])):
        assert_array_equal(confusion_matrix(p, t, **options), expected)
    assert_array_equal(confusion_matrix(fortran(pred).copy(order="F"), pred, num_classes=4,
                                        per_image=per_image).trace(axis1=-2, axis2=-1),
                       np.full(expected.shape[:-2], pred[0].size if per_image else pred.size))


@pytest.mark.parametrize(("shape", "num_classes", "per_image"), [
    ((300, 300), 5, False),        # several blocks
    ((2, 300, 301), 5, True),      # images larger than a block
    ((3000, 4, 5), 3, True),       # many small images per block
    ((40, 50), 300, False),        # more bins than a block
    ((7, 40, 50), 300, True),
])
def test_large_inputs_match_reference(shape, num_classes, per_image):
    rng = np.random.default_rng(5)
    target = rng.integers(0, num_classes, shape)
    pred = rng.integers(0, num_classes, shape)
    target[..., 0] = 255
    cm = confusion_matrix(pred, target, num_classes=num_classes, ignore_index=255,
                          per_image=per_image)
    if per_image:
        expected = np.stack([_reference_cm(p, t, num_classes, 255)
                             for p, t in zip(pred, target, strict=True)])
    else:
        expected = _reference_cm(pred, target, num_classes, 255)
    assert_array_equal(cm, expected)


def test_huge_labels_do_not_wrap_around():
    # 2**62 * 4 wraps to 0 in int64: a naive combined index would count it as class 0.
    target = np.array([0, 1, 2**62], dtype=np.int64)
    with pytest.raises(ValueError, match="target contains label 4611686018427387904"):
        confusion_matrix(np.array([0, 1, 2]), target, num_classes=4)
    with pytest.raises(ValueError, match="pred contains label 18446744073709551615"):
        confusion_matrix(np.array([0, 1, 2**64 - 1], dtype=np.uint64), [0, 1, 2], num_classes=4)


@pytest.mark.parametrize("name", NAMES)
def test_inputs_not_mutated_and_read_only_inputs_work(name):
    rng = np.random.default_rng(6)
    target = rng.integers(0, 3, (4, 5, 6)).astype(np.uint8)
    pred = rng.integers(0, 3, (4, 5, 6)).astype(np.uint8)
    target[0, 0] = 255
    copies = pred.copy(), target.copy()
    for array in (pred, target):
        array.flags.writeable = False
    for average in AVERAGES:
        for per_image in (False, True):
            _call(name, pred, target, num_classes=3, average=average, per_image=per_image,
                  ignore_index=255)
    evaluate(pred, target, num_classes=3, average="macro", ignore_index=255)
    confusion_matrix(pred, target, num_classes=3, ignore_index=255, per_image=True)
    assert_array_equal(pred, copies[0])
    assert_array_equal(target, copies[1])
    boolean = np.zeros((3, 3), bool)
    boolean.flags.writeable = False
    assert _call(name, boolean, boolean, zero_division=1.0) == 1.0
    cm = confusion_matrix(pred, target, num_classes=3, ignore_index=255)
    cm_copy = cm.copy()
    cm.flags.writeable = False
    from_confusion(cm, name, average="macro")
    assert_array_equal(cm, cm_copy)


def test_return_types():
    assert isinstance(iou(PRED, TARGET), float)
    per_class = iou(PRED, TARGET, average=None)
    assert per_class.dtype == np.float64 and per_class.shape == (2,)
    cm = confusion_matrix(PRED[None], TARGET[None], per_image=True)
    assert cm.dtype == np.int64 and cm.shape == (1, 2, 2)
    assert isinstance(from_confusion(cm, "dice"), float)
    assert isinstance(evaluate(PRED, TARGET)["mcc"], float)


# --------------------------------------------------------------------------
# from_confusion and evaluate

@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("per_image", [False, True])
def test_from_confusion_and_evaluate_agree_with_functions(name, per_image):
    rng = np.random.default_rng(7)
    target = rng.integers(0, 4, (3, 10, 12))
    pred = rng.integers(0, 4, (3, 10, 12))
    target[0] = 1
    cm = confusion_matrix(pred, target, per_image=per_image)
    for average in AVERAGES:
        for zero_division in (0.0, 1.0, np.nan):
            options = dict(average=average, zero_division=zero_division)
            expected = _call(name, pred, target, per_image=per_image, **options)
            _close(from_confusion(cm, name, **options), expected)
            _close(evaluate(pred, target, metrics=[name], per_image=per_image,
                            **options)[name], expected)


def test_evaluate_defaults_and_order():
    scores = evaluate(PRED, TARGET)
    assert list(scores) == list(NAMES)
    for name, value in scores.items():
        assert value == pytest.approx(_call(name, PRED, TARGET))
    scores = evaluate(PRED, TARGET, metrics="tversky_index", alpha=1.0, beta=1.0)
    assert scores == {"tversky_index": pytest.approx(0.5)}
    scores = evaluate(MC_PRED, MC_TARGET, metrics=("iou", "accuracy"), average=None)
    _close(scores["iou"], MC_EXPECTED["iou"][0])
    _close(scores["accuracy"], MC_EXPECTED["accuracy"][0])


def test_from_confusion_soft_counts_and_default_average():
    cm = np.array([[50.5, 2.25], [1.0, 6.25]])
    tp, fp, fn = 6.25, 2.25, 1.0
    assert from_confusion(cm, "iou") == pytest.approx(tp / (tp + fp + fn))
    assert from_confusion(cm, "accuracy") == pytest.approx(56.75 / 60)
    assert from_confusion(cm, "balanced_accuracy") == pytest.approx(
        (50.5 / 52.75 + 6.25 / 7.25) / 2)
    assert from_confusion(cm, "tversky_index", alpha=0.2, beta=0.8) == pytest.approx(
        tp / (tp + 0.2 * fp + 0.8 * fn))


# --------------------------------------------------------------------------
# Properties (hypothesis)

@st.composite
def label_pairs(draw, min_classes=2, max_classes=5):
    num_classes = draw(st.integers(min_classes, max_classes))
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=6))
    labels = hnp.arrays(np.int64, shape, elements=st.integers(0, num_classes - 1))
    return draw(labels), draw(labels), num_classes


@PROPERTY
@given(label_pairs(), st.floats(0, 3), st.floats(0, 3))
def test_bounds(pair, alpha, beta):
    pred, target, num_classes = pair
    for name in NAMES:
        for average in AVERAGES:
            score = np.asarray(_call(name, pred, target, num_classes=num_classes,
                                     average=average))
            low = -1.0 if name == "mcc" else 0.0
            assert np.all(np.isnan(score) | ((score >= low - 1e-12) & (score <= 1 + 1e-12)))
    score = tversky_index(pred, target, num_classes=num_classes, alpha=alpha, beta=beta,
                          average=None)
    assert np.all(np.isnan(score) | ((score >= 0) & (score <= 1)))


@PROPERTY
@given(label_pairs())
def test_symmetry(pair):
    pred, target, num_classes = pair
    for name in ("iou", "dice", "mcc", "accuracy"):
        for average in ("micro", "macro", None):
            if name == "accuracy" and average != "micro":
                continue
            _close(_call(name, pred, target, num_classes=num_classes, average=average),
                   _call(name, target, pred, num_classes=num_classes, average=average))
    # precision and recall trade places
    _close(precision(pred, target, num_classes=num_classes, average=None),
           recall(target, pred, num_classes=num_classes, average=None))


@PROPERTY
@given(label_pairs())
def test_dice_is_increasing_function_of_iou(pair):
    pred, target, num_classes = pair
    j = iou(pred, target, num_classes=num_classes, average=None)
    _close(dice(pred, target, num_classes=num_classes, average=None), 2 * j / (1 + j))


@PROPERTY
@given(label_pairs(), st.data())
def test_relabelling_invariance(pair, data):
    pred, target, num_classes = pair
    perm = np.array(data.draw(st.permutations(range(num_classes))))
    for name in NAMES:
        per_class = _call(name, pred, target, num_classes=num_classes, average=None)
        permuted = _call(name, perm[pred], perm[target], num_classes=num_classes, average=None)
        _close(permuted[perm], per_class)
        for average in ("micro", "macro", "weighted"):
            _close(_call(name, perm[pred], perm[target], num_classes=num_classes,
                         average=average),
                   _call(name, pred, target, num_classes=num_classes, average=average))


@PROPERTY
@given(label_pairs(), st.floats(0, 2), st.floats(0, 2), st.floats(0.01, 2))
def test_tversky_special_cases_and_monotonicity(pair, alpha, beta, step):
    pred, target, num_classes = pair
    options = dict(num_classes=num_classes, average=None)
    _close(tversky_index(pred, target, alpha=0.5, beta=0.5, **options),
           dice(pred, target, **options))
    _close(tversky_index(pred, target, alpha=1.0, beta=1.0, **options),
           iou(pred, target, **options))
    cm = confusion_matrix(pred, target, num_classes=num_classes)
    tp = np.diag(cm)
    fp, fn = cm.sum(axis=0) - tp, cm.sum(axis=1) - tp
    base = tversky_index(pred, target, alpha=alpha, beta=beta, **options)
    more_alpha = tversky_index(pred, target, alpha=alpha + step, beta=beta, **options)
    more_beta = tversky_index(pred, target, alpha=alpha, beta=beta + step, **options)
    assert np.all(more_alpha[(fp > 0) & (tp > 0)] < base[(fp > 0) & (tp > 0)])
    assert np.all(more_beta[(fn > 0) & (tp > 0)] < base[(fn > 0) & (tp > 0)])
    defined = ~np.isnan(base)
    assert np.all(more_alpha[defined] <= base[defined])


@PROPERTY
@given(label_pairs())
def test_confusion_matrix_margins_and_identities(pair):
    pred, target, num_classes = pair
    cm = confusion_matrix(pred, target, num_classes=num_classes)
    assert cm.sum() == pred.size
    assert_array_equal(cm.sum(axis=1), np.bincount(target.ravel(), minlength=num_classes))
    assert_array_equal(cm.sum(axis=0), np.bincount(pred.ravel(), minlength=num_classes))
    options = dict(num_classes=num_classes)
    _close(accuracy(pred, target, average="macro", **options),
           balanced_accuracy(pred, target, **options))
    _close(accuracy(pred, target, average="weighted", **options), accuracy(pred, target))
    _close(recall(pred, target, average="micro", **options), accuracy(pred, target))
    _close(accuracy(pred, target, average=None, **options),
           recall(pred, target, average=None, **options))
    if num_classes == 2:
        _close(mcc(pred, target, average="micro"), mcc(pred, target))
    if pred.ndim >= 2:
        _close(iou(pred[None], target[None], per_image=True, average=None, **options),
               iou(pred, target, average=None, **options))
        assert_array_equal(confusion_matrix(pred, target, per_image=True, **options).sum(0), cm)
