"""reduction=, return_count= and multilabel= of every overlap metric."""

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from seglab import metrics
from seglab.metrics import confusion_matrix, evaluate, from_confusion

NAMES = metrics.METRICS
FUNCS = [pytest.param(getattr(metrics, name), id=name) for name in NAMES]


def _labels(seed=0, shape=(6, 5, 4), num_classes=3):
    """Random label maps with some images that miss classes (empty cells of the table)."""
    rng = np.random.default_rng(seed)
    target = rng.integers(0, num_classes, shape)
    pred = rng.integers(0, num_classes, shape)
    target[0] = 0                  # image 0: only class 0 in target
    pred[0] = 0                    # ... and in pred: classes 1, 2 are 0/0 there
    target[1] = 2
    pred[1] = 1
    return pred, target


@pytest.mark.parametrize("func", FUNCS)
@pytest.mark.parametrize("zero_division", [np.nan, 0.0, 1.0])
def test_reduction_none_equals_a_loop_over_images(func, zero_division):
    pred, target = _labels()
    got, count = func(pred, target, num_classes=3, average=None, per_image=True,
                      reduction="none", return_count=True, zero_division=zero_division)
    expected = np.stack([func(p, t, num_classes=3, average=None, zero_division=zero_division)
                         for p, t in zip(pred, target, strict=True)])
    assert got.shape == (pred.shape[0], 3)
    assert_allclose(got, expected, rtol=1e-12, atol=1e-12, equal_nan=True)
    assert_array_equal(count, (~np.isnan(expected)).sum(axis=0))
    assert count.dtype == np.int64


@pytest.mark.parametrize("func", FUNCS)
@pytest.mark.parametrize("average", ["micro", "macro", "weighted"])
def test_reduction_none_averaged(func, average):
    pred, target = _labels(1)
    got = func(pred, target, num_classes=3, average=average, per_image=True, reduction="none")
    expected = [func(p, t, num_classes=3, average=average) for p, t in zip(pred, target,
                                                                            strict=True)]
    assert got.shape == (pred.shape[0],)
    assert_allclose(got, expected, rtol=1e-12, atol=1e-12, equal_nan=True)
    mean, count = func(pred, target, num_classes=3, average=average, per_image=True,
                       return_count=True)
    assert mean == pytest.approx(np.nanmean(expected), rel=1e-12, nan_ok=True)
    assert isinstance(count, int) and count == int(np.count_nonzero(~np.isnan(expected)))


def test_count_over_images_reports_undefined_images():
    """Dice over 3 of 4 images: an image with an empty target and prediction is 0/0."""
    target = np.zeros((4, 3, 3), dtype=int)
    target[1:, 1, 1] = 1
    pred = target.copy()
    score, count = metrics.dice(pred, target, per_image=True, return_count=True)
    assert (score, count) == (1.0, 3)
    score, count = metrics.dice(pred, target, per_image=True, return_count=True,
                                zero_division=0.0)
    assert (score, count) == (0.75, 4)


@pytest.mark.parametrize("func", FUNCS)
def test_count_without_per_image(func):
    pred, target = _labels(2)
    score, count = func(pred, target, num_classes=3, average="macro", return_count=True)
    assert score == func(pred, target, num_classes=3, average="macro") and count == 1
    empty = np.zeros((2, 2), dtype=int)
    per_class, counts = func(empty, empty, num_classes=3, average=None, return_count=True)
    assert_array_equal(counts, (~np.isnan(per_class)).astype(int))


def test_reduction_validation():
    pred, target = _labels()
    with pytest.raises(ValueError, match="reduction='none'.*per_image=True"):
        metrics.iou(pred, target, average="macro", reduction="none")
    with pytest.raises(ValueError, match="reduction must be one of"):
        metrics.iou(pred, target, average="macro", per_image=True, reduction="sum")
    with pytest.raises(TypeError, match="return_count must be True or False"):
        metrics.iou(pred, target, average="macro", return_count=1)
    with pytest.raises(TypeError, match="multilabel must be True or False"):
        metrics.iou(pred, target, average="macro", multilabel="yes")
    with pytest.raises(ValueError, match="reduction='none'.*stack of matrices"):
        from_confusion(np.eye(2), "iou", reduction="none")


def test_evaluate_and_from_confusion_reduction():
    pred, target = _labels(3)
    got = evaluate(pred, target, metrics=("iou", "mcc"), average=None, per_image=True,
                   reduction="none", return_count=True)
    cm = confusion_matrix(pred, target, per_image=True)
    for name in ("iou", "mcc"):
        scores, count = got[name]
        expected = from_confusion(cm, name, average=None, reduction="none")
        assert_allclose(scores, expected, equal_nan=True)
        assert_array_equal(count, from_confusion(cm, name, average=None, return_count=True)[1])


def _multilabel(seed=0, shape=(5, 3, 6, 7)):
    rng = np.random.default_rng(seed)
    pred = rng.random(shape) < 0.3
    target = rng.random(shape) < 0.3
    target[0, 1] = False           # an empty channel in one image
    pred[0, 1] = False
    return pred, target


@pytest.mark.parametrize("func", FUNCS)
@pytest.mark.parametrize("average", [None, "macro", "weighted", "micro"])
def test_multilabel_equals_per_channel_binary_calls(func, average):
    pred, target = _multilabel()
    channels = pred.shape[1]
    per_channel = np.stack([
        [func(pred[i, c], target[i, c], num_classes=2, average="binary")
         for c in range(channels)] for i in range(pred.shape[0])
    ])
    got = func(pred, target, multilabel=True, per_image=True, reduction="none", average=average)
    if average is None:
        expected = per_channel
    elif average == "macro":
        expected = np.nanmean(per_channel, axis=1)
    elif average == "weighted":
        support = target.reshape(*target.shape[:2], -1).sum(axis=-1)
        w = np.where(np.isnan(per_channel), 0, support)
        with np.errstate(invalid="ignore"):
            expected = np.nansum(per_channel * w, axis=1) / w.sum(axis=1)
    else:  # micro: pool the binary counts of the channels
        expected = [func(np.moveaxis(p, 0, -1).ravel(), np.moveaxis(t, 0, -1).ravel(),
                         num_classes=2, average="binary") for p, t in zip(pred, target,
                                                                          strict=True)]
    assert_allclose(got, expected, rtol=1e-12, equal_nan=True)
    pooled = func(np.moveaxis(pred, 1, 0), np.moveaxis(target, 1, 0), multilabel=True,
                  average=average)
    channel_major = np.moveaxis(pred, 1, 0).reshape(channels, -1)
    truth = np.moveaxis(target, 1, 0).reshape(channels, -1)
    if average is None:
        assert_allclose(pooled, [func(channel_major[c], truth[c], num_classes=2)
                                 for c in range(channels)], rtol=1e-12)


def test_multilabel_binary_and_validation():
    pred, target = _multilabel()
    single = metrics.dice(pred[:, :1], target[:, :1], multilabel=True, per_image=True,
                          average="binary", reduction="none")
    assert_allclose(single, [metrics.dice(p[0], t[0]) for p, t in zip(pred, target,
                                                                      strict=True)])
    with pytest.raises(ValueError, match="average='binary' with multilabel=True"):
        metrics.dice(pred, target, multilabel=True, per_image=True)
    with pytest.raises(ValueError, match="pred must be a binary mask"):
        metrics.dice(pred * 2, target, multilabel=True, average="macro")
    with pytest.raises(ValueError, match=r"multilabel=True needs .*\(n_images, C, \*spatial\)"):
        metrics.dice(pred[0, 0], target[0, 0], multilabel=True, per_image=True, average="macro")
    with pytest.raises(ValueError, match="num_classes does not apply"):
        metrics.dice(pred, target, multilabel=True, num_classes=2, average="macro")
    with pytest.raises(ValueError, match="ignore_index does not apply"):
        evaluate(pred, target, multilabel=True, ignore_index=255, average="macro")
