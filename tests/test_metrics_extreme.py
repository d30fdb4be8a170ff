"""Bad and extreme inputs to seglab.metrics: stray labels, huge class counts, scaled counts.

Each test here failed on the code before its fix (a gigantic allocation, a wrong or NaN
score, or an internal error that did not name the argument).
"""

import tracemalloc

import numpy as np
import pytest
from numpy.testing import assert_allclose

from seglab import metrics
from seglab.metrics import confusion_matrix, evaluate, from_confusion

# Far below what a table of K x K counts for the labels below would take (tens of GiB).
PEAK_LIMIT = 64 * 2**20


def _peak(func, *args, **kwargs):
    """Result of func and the peak of the memory NumPy allocated meanwhile (bytes)."""
    tracemalloc.start()
    try:
        try:
            result = func(*args, **kwargs)
        except ValueError as error:
            result = error
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("stray", [10**5, 2**40])
@pytest.mark.parametrize("where", ["pred", "target"])
def test_stray_large_label_bounded_memory(stray, where):
    """One stray label far above the others: a bounded result or a clear ValueError."""
    rng = np.random.default_rng(0)
    target = rng.integers(0, 3, (4, 16, 16))
    pred = rng.integers(0, 3, (4, 16, 16))
    (pred if where == "pred" else target)[1, 2, 3] = stray
    for per_image in (False, True):
        result, peak = _peak(metrics.iou, pred, target, average="macro", per_image=per_image)
        assert peak < PEAK_LIMIT
        if isinstance(result, ValueError):
            assert "num_classes" in str(result) and str(stray) in str(result)
        else:
            assert np.isfinite(result)


def test_stray_label_1e5_scores_like_an_explicit_num_classes():
    """A stray label 10**5 (inferred K = 100001) gives the scores of num_classes=100001."""
    target = np.zeros((8, 8), dtype=np.int64)
    target[:4] = 1
    pred = target.copy()
    pred[0, 0] = 10**5
    result, peak = _peak(metrics.iou, pred, target, average="macro")
    assert peak < PEAK_LIMIT
    # Classes 0 and 1 have IoU 1 and 31/32; class 10**5 has IoU 0; the others are 0/0.
    assert result == pytest.approx((1.0 + 31 / 32 + 0.0) / 3)
    per_class = metrics.iou(pred, target, average=None)
    assert per_class.shape == (10**5 + 1,)
    assert np.count_nonzero(~np.isnan(per_class)) == 3


@pytest.mark.parametrize("func", [metrics.dice, metrics.mcc, evaluate, confusion_matrix])
def test_huge_num_classes_fails_early(func):
    """num_classes=10**9 on tiny maps must not ask for 10**18 cells."""
    pred = np.array([[0, 1], [1, 0]])
    options = {} if func is confusion_matrix else {"average": "macro"}
    result, peak = _peak(func, pred, pred, num_classes=10**9, **options)
    assert peak < PEAK_LIMIT
    assert isinstance(result, ValueError)
    assert "num_classes=1000000000" in str(result)


@pytest.mark.parametrize("scale", [1e80, 1e-80, 1e300, 1e-300, 2.0**-1060])
@pytest.mark.parametrize("average", ["binary", "micro", "macro", None])
def test_from_confusion_mcc_is_scale_free(scale, average):
    """MCC (and Gorodkin's R_K) of cm * s equals that of cm for any positive scale s."""
    cm = np.array([[50.0, 7.0], [3.0, 40.0]])
    expected = from_confusion(cm, "mcc", average=average)
    assert_allclose(from_confusion(cm * scale, "mcc", average=average), expected, rtol=1e-12)
    cm3 = np.array([[50.0, 7.0, 1.0], [3.0, 40.0, 2.0], [0.0, 4.0, 30.0]])
    if average != "binary":
        expected = from_confusion(cm3, "mcc", average=average)
        assert_allclose(from_confusion(cm3 * scale, "mcc", average=average), expected,
                        rtol=1e-12)


@pytest.mark.parametrize("name", metrics.METRICS)
def test_from_confusion_every_metric_is_scale_free(name):
    cm = np.array([[50.0, 7.0, 1.0], [3.0, 40.0, 2.0], [0.0, 4.0, 30.0]])
    expected = from_confusion(cm, name, average=None)
    for scale in (1e300, 1e-300):
        assert_allclose(from_confusion(cm * scale, name, average=None), expected, rtol=1e-12)


def test_evaluate_metrics_none_names_the_argument():
    pred = np.array([[0, 1], [1, 0]])
    with pytest.raises(TypeError, match="metrics must be a metric name or a sequence"):
        evaluate(pred, pred, metrics=None)
    with pytest.raises(TypeError, match="metrics must be a metric name or a sequence"):
        evaluate(pred, pred, metrics=3)


def test_from_confusion_metric_none_names_the_argument():
    with pytest.raises(TypeError, match="metric must be a metric name"):
        from_confusion(np.eye(2), None)
    with pytest.raises(TypeError, match="metric must be a metric name"):
        from_confusion(np.eye(2), ["iou"])


def test_per_image_confusion_matrices_of_many_images_and_classes():
    """A table of 1000 images x 150 classes (22.5M cells, 180 MB) is still returned; the
    metrics of such a stack take the per-class path without building it."""
    rng = np.random.default_rng(0)
    target = rng.integers(0, 150, (1000, 4, 4))
    pred = np.where(rng.random(target.shape) < 0.5, target, rng.integers(0, 150, target.shape))
    scores = metrics.iou(pred, target, num_classes=150, average=None, per_image=True,
                         reduction="none")
    cm = confusion_matrix(pred[:50], target[:50], num_classes=150, per_image=True)
    assert_allclose(scores[:50], from_confusion(cm, "iou", average=None, reduction="none"),
                    equal_nan=True)


@pytest.mark.parametrize("ignore_index", [None, 1, 3, 255, -1, 2**40])
@pytest.mark.parametrize("per_image", [False, True])
def test_per_class_path_equals_the_confusion_matrix_path(monkeypatch, ignore_index, per_image):
    """The direct per-class tally (used for many classes) gives the scores of the table."""
    rng = np.random.default_rng(7)
    target = rng.integers(0, 4, (5, 6, 7))
    pred = rng.integers(0, 4, (5, 6, 7))
    if ignore_index is not None:
        target[rng.random(target.shape) < 0.2] = ignore_index
    options = {"num_classes": 4, "average": None, "per_image": per_image,
               "ignore_index": ignore_index}
    expected = evaluate(pred, target, **options)
    monkeypatch.setattr(metrics, "_MAX_TABLE", 0)
    got = evaluate(pred, target, **options)
    for name in metrics.METRICS:
        assert_allclose(got[name], expected[name], rtol=1e-12, equal_nan=True, err_msg=name)
    with pytest.raises(ValueError, match=r"pred contains label 9"):
        metrics.iou(np.where(pred == 0, 9, pred), target, **options)
    if ignore_index != 3:
        with pytest.raises(ValueError, match=r"target contains label 7"):
            metrics.iou(pred, np.where(target == 3, 7, target), **options)
