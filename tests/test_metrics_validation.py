"""Every bad input to seglab.metrics meets a TypeError or ValueError that says what is wrong."""

import numpy as np
import pytest

from seglab import metrics
from seglab.metrics import confusion_matrix, evaluate, from_confusion, tversky_index

GOOD = np.array([[0, 1, 1], [0, 1, 0]])

# Every function that takes a label pair, with the options it needs.
LABEL_FUNCS = [
    pytest.param(getattr(metrics, name), id=name) for name in metrics.METRICS
] + [
    pytest.param(confusion_matrix, id="confusion_matrix"),
    pytest.param(evaluate, id="evaluate"),
]


@pytest.mark.parametrize("func", LABEL_FUNCS)
def test_shape_mismatch(func):
    with pytest.raises(ValueError, match=r"pred shape \(2, 3\) and target shape \(3, 2\) differ"):
        func(GOOD, GOOD.T)


@pytest.mark.parametrize("func", LABEL_FUNCS)
@pytest.mark.parametrize("bad", [
    GOOD.astype(float),
    np.array([[0.0, np.nan, 1.0], [0.0, 1.0, 0.0]]),
    GOOD.astype(complex),
    GOOD.astype(object),
    GOOD.astype(str),
], ids=["float", "float-nan", "complex", "object", "str"])
def test_non_integer_dtypes(func, bad):
    with pytest.raises(TypeError, match="pred must be an integer or boolean label array"):
        func(bad, GOOD)
    with pytest.raises(TypeError, match="target must be an integer or boolean label array"):
        func(GOOD, bad)


@pytest.mark.parametrize("func", LABEL_FUNCS)
@pytest.mark.parametrize("shape", [(0,), (3, 0), (0, 4, 4)])
def test_empty(func, shape):
    empty = np.zeros(shape, dtype=int)
    with pytest.raises(ValueError, match="pred is empty"):
        func(empty, empty)


@pytest.mark.parametrize("func", LABEL_FUNCS)
def test_scalar_input(func):
    with pytest.raises(ValueError, match="at least 1 dimension"):
        func(np.int64(1), np.int64(1))


@pytest.mark.parametrize("func", LABEL_FUNCS)
@pytest.mark.parametrize(("pred", "target", "message"), [
    ([0, 1, 5], [0, 1, 1], r"pred contains label 5 \(1 pixel\(s\)\), outside \[0, 3\) for "
                           r"num_classes=3"),
    ([0, 1, 1], [0, 3, 4], r"target contains label 4 \(2 pixel\(s\)\), outside \[0, 3\)"),
    ([0, -1, 1], [0, 1, 1], r"pred contains label -1 .*num_classes=3"),
    ([0, 1, 1], [-7, 1, 1], r"target contains label -7 .*num_classes=3"),
])
def test_labels_out_of_range(func, pred, target, message):
    options = {} if func is confusion_matrix else {"average": "macro"}
    with pytest.raises(ValueError, match=message):
        func(np.array(pred), np.array(target), num_classes=3, **options)


@pytest.mark.parametrize("func", LABEL_FUNCS)
@pytest.mark.parametrize(("pred", "target", "name"), [
    ([0, -2, 1], [0, 1, 1], "pred"),
    ([0, 1, 1], [0, 1, -3], "target"),
])
def test_negative_labels_when_num_classes_is_inferred(func, pred, target, name):
    with pytest.raises(ValueError, match=f"{name} contains negative label -[23]"):
        func(np.array(pred, dtype=np.int8), np.array(target, dtype=np.int8))


@pytest.mark.parametrize("ignore_index", [255, 4, 2000, -1])
def test_labels_out_of_range_with_ignore_index(ignore_index):
    # 3 lies between num_classes and an ignore_index of 4 or 255 (its own row of counts),
    # or is simply out of range for a masked ignore_index (2000, -1).
    target = np.array([0, 1, ignore_index, 3, 1])
    pred = np.array([0, 1, 1, 0, 1])
    with pytest.raises(ValueError, match=rf"target contains label 3 .*num_classes=3; "
                                         rf"target == {ignore_index} \(ignore_index\) skipped"):
        confusion_matrix(pred, target, num_classes=3, ignore_index=ignore_index)
    target[3] = -5
    with pytest.raises(ValueError, match="target contains label -5"):
        confusion_matrix(pred, target, num_classes=3, ignore_index=ignore_index)
    target[3] = 300
    with pytest.raises(ValueError, match="target contains label 300"):
        confusion_matrix(pred, target, num_classes=3, ignore_index=ignore_index)


def test_ignore_index_does_not_excuse_pred():
    with pytest.raises(ValueError, match="pred contains label 255"):
        confusion_matrix([0, 1, 255], [0, 1, 255], num_classes=2, ignore_index=255)


@pytest.mark.parametrize("func", LABEL_FUNCS)
def test_per_image_needs_a_batch_axis(func):
    with pytest.raises(ValueError, match=r"per_image=True needs a leading batch axis.*\(3,\)"):
        func(GOOD[0], GOOD[0], per_image=True)


@pytest.mark.parametrize("func", LABEL_FUNCS)
@pytest.mark.parametrize("per_image", [1, "yes", None])
def test_per_image_must_be_bool(func, per_image):
    with pytest.raises(TypeError, match="per_image must be True or False"):
        func(GOOD, GOOD, per_image=per_image)


@pytest.mark.parametrize("func", LABEL_FUNCS)
@pytest.mark.parametrize(("num_classes", "error", "message"), [
    (1, ValueError, "num_classes must be an int >= 2, got 1"),
    (0, ValueError, "num_classes must be an int >= 2, got 0"),
    (-3, ValueError, "num_classes must be an int >= 2"),
    (2.0, TypeError, "num_classes must be an int, got float"),
    (True, TypeError, "num_classes must be an int, got bool"),
    ("2", TypeError, "num_classes must be an int, got str"),
])
def test_bad_num_classes(func, num_classes, error, message):
    with pytest.raises(error, match=message):
        func(GOOD, GOOD, num_classes=num_classes)


@pytest.mark.parametrize("func", LABEL_FUNCS)
@pytest.mark.parametrize("ignore_index", [255.0, "255", True, [255]])
def test_bad_ignore_index(func, ignore_index):
    with pytest.raises(TypeError, match="ignore_index must be an int"):
        func(GOOD, GOOD, ignore_index=ignore_index)


def test_numpy_integers_are_accepted_as_options():
    assert confusion_matrix(GOOD, GOOD, num_classes=np.int32(3),
                            ignore_index=np.uint8(255)).shape == (3, 3)


@pytest.mark.parametrize("name", metrics.METRICS)
@pytest.mark.parametrize("average", ["mean", "Macro", "", 1, ["macro"]])
def test_bad_average(name, average):
    with pytest.raises(ValueError, match="average must be one of"):
        getattr(metrics, name)(GOOD, GOOD, average=average)


@pytest.mark.parametrize("name", metrics.METRICS)
def test_default_average_only_for_evaluate_and_from_confusion(name):
    with pytest.raises(ValueError, match="average must be one of"):
        getattr(metrics, name)(GOOD, GOOD, average="default")


@pytest.mark.parametrize("name", metrics.METRICS)
def test_binary_average_needs_two_classes(name):
    three = np.array([0, 1, 2])
    with pytest.raises(ValueError, match=r"average='binary' .* num_classes=3 \(inferred"):
        getattr(metrics, name)(three, three, average="binary")
    with pytest.raises(ValueError, match=r"average='binary' .* num_classes=4; use"):
        getattr(metrics, name)(GOOD, GOOD, num_classes=4, average="binary")
    with pytest.raises(ValueError, match="average='binary'"):
        from_confusion(np.eye(3), name, average="binary")


@pytest.mark.parametrize("func", [getattr(metrics, name) for name in metrics.METRICS])
@pytest.mark.parametrize(("zero_division", "error"), [
    (0.5, ValueError), (-1.0, ValueError), (np.inf, ValueError), ("warn", TypeError),
    (None, TypeError), (True, TypeError),
])
def test_bad_zero_division(func, zero_division, error):
    with pytest.raises(error, match="zero_division must be 0.0, 1.0 or nan"):
        func(GOOD, GOOD, zero_division=zero_division)


@pytest.mark.parametrize("param", ["alpha", "beta"])
@pytest.mark.parametrize(("value", "error", "message"), [
    (-0.1, ValueError, r"must lie in \[0.0, inf\), got -0.1"),
    (np.inf, ValueError, r"must lie in \[0.0, inf\), got inf"),
    (np.nan, ValueError, "must not be NaN"),
    ("1", TypeError, "must be a real number"),
    (None, TypeError, "must be a real number"),
])
def test_bad_tversky_weights(param, value, error, message):
    for call in (
        lambda: tversky_index(GOOD, GOOD, **{param: value}),
        lambda: evaluate(GOOD, GOOD, **{param: value}),
        lambda: from_confusion(np.eye(2), "iou", **{param: value}),
    ):
        with pytest.raises(error, match=f"{param} {message}"):
            call()


@pytest.mark.parametrize(("metrics_arg", "message"), [
    (("iou", "jaccard"), "metric must be one of .* got 'jaccard'"),
    ((), "metrics must name at least one metric"),
    ("f1", "metric must be one of"),
])
def test_evaluate_bad_metrics(metrics_arg, message):
    with pytest.raises(ValueError, match=message):
        evaluate(GOOD, GOOD, metrics=metrics_arg)


@pytest.mark.parametrize(("cm", "error", "message"), [
    (np.eye(2, dtype=bool), TypeError, "cm must be a real numeric array"),
    (np.array([["a", "b"], ["c", "d"]]), TypeError, "cm must be a real numeric array"),
    (np.ones(4), ValueError, r"cm must have shape \(K, K\) or \(n_images, K, K\)"),
    (np.ones((2, 3)), ValueError, r"got shape \(2, 3\)"),
    (np.ones((1, 1)), ValueError, "K >= 2"),
    (np.ones((2, 2, 2, 2)), ValueError, r"got shape \(2, 2, 2, 2\)"),
    (np.array([[1, -1], [0, 1]]), ValueError, "cm must hold non-negative counts"),
    (np.array([[1, np.nan], [0, 1]]), ValueError, "cm contains 1 NaN or infinite"),
    (np.array([[1, np.inf], [0, 1]]), ValueError, "cm contains 1 NaN or infinite"),
    (np.zeros((0, 2, 2)), ValueError, "cm is empty"),
])
def test_from_confusion_bad_matrix(cm, error, message):
    with pytest.raises(error, match=message):
        from_confusion(cm, "iou")


def test_from_confusion_bad_options():
    with pytest.raises(ValueError, match="metric must be one of"):
        from_confusion(np.eye(2), "f1")
    with pytest.raises(ValueError, match="average must be one of"):
        from_confusion(np.eye(2), "iou", average="samples")
    with pytest.raises(ValueError, match="zero_division must be"):
        from_confusion(np.eye(2), "iou", zero_division=2.0)
