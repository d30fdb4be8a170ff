"""Empty masks, bad input and no mutation for seglab.surface."""

import numpy as np
import pytest

from seglab import surface

DISTANCES = [surface.hausdorff, surface.directed_hausdorff, surface.assd,
             surface.average_surface_distance]
SCORES = [surface.surface_dice, surface.boundary_f1, surface.boundary_iou]
ALL = DISTANCES + SCORES


def call(func, pred, target, **kwargs):
    if func in SCORES:
        kwargs.setdefault("tolerance", 1.0)
    return func(pred, target, **kwargs)


def conventions(func):
    """Every convention a metric has (each must honour the declared empty results)."""
    if func is surface.boundary_iou:
        return [{}, {"metric": "chessboard"}]
    out = [{"boundary": b} for b in ("pixels", "surfels")]
    if func is surface.hausdorff:
        out += [{"combine": "pooled", "percentile": 95},
                {"percentile": 95, "method": "inverted_cdf", "boundary": "surfels"}]
    if func is surface.directed_hausdorff:
        out += [{"percentile": 50, "method": "inverted_cdf"}]
    if func is surface.assd:
        out += [{"combine": "mean"}]
    return out


def blob(ndim):
    mask = np.zeros((6,) * ndim, dtype=bool)
    mask[(slice(1, 4),) * ndim] = True
    return mask


EMPTY_CASES = ["both", "pred", "target"]


def empty_pair(which, ndim):
    full, none = blob(ndim), np.zeros((6,) * ndim, dtype=bool)
    return {"both": (none, none), "pred": (none, full), "target": (full, none)}[which]


@pytest.mark.parametrize("ndim", [2, 3])
@pytest.mark.parametrize("which", EMPTY_CASES)
@pytest.mark.parametrize("func", ALL, ids=lambda f: f.__name__)
def test_empty_defaults(func, which, ndim):
    """Defaults: distances 0 (both empty) and inf (one empty); scores nan (both empty,
    0/0) and 0 (one empty)."""
    pred, target = empty_pair(which, ndim)
    for kwargs in conventions(func):
        got = call(func, pred, target, **kwargs)
        if func in DISTANCES:
            assert got == (0.0 if which == "both" else np.inf)
        elif which == "both":
            assert np.isnan(got)
        else:
            assert got == 0.0


@pytest.mark.parametrize("value", [0.0, 1.0, 7.5, np.inf, np.nan])
@pytest.mark.parametrize("which", EMPTY_CASES)
@pytest.mark.parametrize("func", ALL, ids=lambda f: f.__name__)
def test_empty_declared_values(func, which, value):
    """A float option is returned as is, for every convention."""
    pred, target = empty_pair(which, 2)
    option = "both_empty" if which == "both" else "one_empty"
    for kwargs in conventions(func):
        got = call(func, pred, target, **{option: value}, **kwargs)
        assert got == value or (np.isnan(value) and np.isnan(got))


@pytest.mark.parametrize("which", EMPTY_CASES)
@pytest.mark.parametrize("func", ALL, ids=lambda f: f.__name__)
def test_empty_worst_and_raise(func, which):
    """'worst' is the image diagonal for distances and 0 for scores; 'raise' raises
    ValueError naming the empty mask and the option."""
    pred, target = empty_pair(which, 2)
    option = "both_empty" if which == "both" else "one_empty"
    spacing = (0.5, 2.0)
    for kwargs in conventions(func):
        if kwargs.get("metric") == "chessboard":
            spacing_kw = {}
            diagonal = np.hypot(6, 6)
        else:
            spacing_kw = {"spacing": spacing}
            diagonal = np.hypot(6 * 0.5, 6 * 2.0)
        got = call(func, pred, target, **{option: "worst"}, **spacing_kw, **kwargs)
        assert got == pytest.approx(diagonal if func in DISTANCES else 0.0)
        name = {"both": "pred and target are", "pred": "pred is", "target": "target is"}[which]
        with pytest.raises(ValueError, match=f"{name} empty.*{option}='raise'"):
            call(func, pred, target, **{option: "raise"}, **kwargs)


def test_nonempty_masks_ignore_empty_options():
    pred, target = blob(2), np.roll(blob(2), 1, axis=0)
    for func in ALL:
        base = call(func, pred, target)
        assert call(func, pred, target, both_empty="raise", one_empty="raise") == base


def test_surface_distances_of_empty_masks():
    none, full = np.zeros((6, 6), dtype=bool), blob(2)
    d = surface.surface_distances(none, none)
    assert all(x.size == 0 for x in d)
    d = surface.surface_distances(none, full)
    assert d.pred_to_target.size == 0 and np.all(np.isinf(d.target_to_pred))
    assert surface.boundary_pixels(none).sum() == 0
    assert surface.surface_elements(none).sum() == 0


# ---------------------------------------------------------------------------
# Bad input

GOOD = blob(2)


@pytest.mark.parametrize("func", ALL, ids=lambda f: f.__name__)
def test_bad_masks(func):
    with pytest.raises(ValueError, match=r"pred shape \(6, 6\) and target shape \(6, 7\)"):
        call(func, GOOD, np.zeros((6, 7), dtype=bool))
    with pytest.raises(ValueError, match="target must be a binary mask.*values in \\[0, 2\\]"):
        call(func, GOOD, GOOD.astype(int) * 2)
    with pytest.raises(ValueError, match="pred must be a binary mask.*-1"):
        call(func, -GOOD.astype(int), GOOD)
    with pytest.raises(TypeError, match="pred must be an integer or boolean"):
        call(func, GOOD.astype(float), GOOD)
    nan = GOOD.astype(float)
    nan[0, 0] = np.nan
    with pytest.raises(TypeError, match="target must be an integer or boolean"):
        call(func, GOOD, nan)
    with pytest.raises(ValueError, match="pred must be a 2-D or 3-D mask"):
        call(func, np.ones(5, dtype=bool), np.ones(5, dtype=bool))
    with pytest.raises(ValueError, match="must be a 2-D or 3-D mask"):
        call(func, np.ones((2, 2, 2, 2), dtype=bool), np.ones((2, 2, 2, 2), dtype=bool))
    with pytest.raises(ValueError, match="pred is empty"):
        call(func, np.zeros((0, 4), dtype=bool), np.zeros((0, 4), dtype=bool))
    with pytest.raises(TypeError, match="pred must be an integer or boolean"):
        call(func, np.array([["a", "b"]]), np.array([["a", "b"]]))


@pytest.mark.parametrize("func", [*ALL, surface.surface_distances, surface.surface_elements])
def test_bad_spacing(func):
    def run(spacing):
        if func is surface.surface_elements:
            return func(GOOD, spacing=spacing)
        return call(func, GOOD, GOOD, spacing=spacing)

    with pytest.raises(ValueError, match=r"one entry per axis of the 2-D arrays, got shape \(3,"):
        run((1.0, 1.0, 1.0))
    with pytest.raises(ValueError, match=r"one entry per axis.*shape \(1,\)"):
        run([1.0])
    with pytest.raises(ValueError, match="positive and finite"):
        run((1.0, 0.0))
    with pytest.raises(ValueError, match="positive and finite"):
        run((-1.0, 1.0))
    with pytest.raises(ValueError, match="positive and finite"):
        run((np.nan, 1.0))
    with pytest.raises(ValueError, match="positive and finite"):
        run((np.inf, 1.0))
    with pytest.raises(ValueError, match="spacing must lie in"):
        run(0.0)
    with pytest.raises(ValueError, match="spacing must not be NaN"):
        run(float("nan"))
    with pytest.raises(TypeError, match="spacing must be a positive number"):
        run("1")
    with pytest.raises(TypeError, match="spacing must be a positive number"):
        run((True, True))


def test_bad_options():
    with pytest.raises(ValueError, match="boundary must be one of"):
        surface.hausdorff(GOOD, GOOD, boundary="edges")
    with pytest.raises(ValueError, match="combine must be one of"):
        surface.hausdorff(GOOD, GOOD, combine="mean")
    with pytest.raises(ValueError, match="combine must be one of"):
        surface.assd(GOOD, GOOD, combine="max")
    with pytest.raises(ValueError, match="method must be one of"):
        surface.hausdorff(GOOD, GOOD, percentile=95, method="nearest")
    with pytest.raises(ValueError, match="percentile must lie in"):
        surface.hausdorff(GOOD, GOOD, percentile=101)
    with pytest.raises(ValueError, match="percentile must lie in"):
        surface.directed_hausdorff(GOOD, GOOD, percentile=-1)
    with pytest.raises(TypeError, match="percentile must be a real number"):
        surface.hausdorff(GOOD, GOOD, percentile="95")
    with pytest.raises(ValueError, match="weighted=True needs method='inverted_cdf'"):
        surface.hausdorff(GOOD, GOOD, percentile=95, weighted=True)
    with pytest.raises(TypeError, match="weighted must be True or False"):
        surface.hausdorff(GOOD, GOOD, percentile=95, weighted="yes")
    with pytest.raises(ValueError, match="both_empty must be one of"):
        surface.hausdorff(GOOD, GOOD, both_empty="zero")
    with pytest.raises(TypeError, match="one_empty must be a float"):
        surface.assd(GOOD, GOOD, one_empty=True)
    with pytest.raises(TypeError, match="one_empty must be a float"):
        surface.surface_dice(GOOD, GOOD, tolerance=1, one_empty=None)
    for func in SCORES:
        with pytest.raises(ValueError, match="tolerance must lie in"):
            func(GOOD, GOOD, tolerance=-0.5)
        with pytest.raises(ValueError, match="tolerance must"):
            func(GOOD, GOOD, tolerance=np.inf)
        with pytest.raises(ValueError, match="tolerance must not be NaN"):
            func(GOOD, GOOD, tolerance=np.nan)
        with pytest.raises(TypeError, match="missing 1 required keyword-only argument"):
            func(GOOD, GOOD)
    with pytest.raises(ValueError, match="metric must be one of"):
        surface.boundary_iou(GOOD, GOOD, tolerance=1, metric="cityblock")
    with pytest.raises(ValueError, match="needs unit spacing"):
        surface.boundary_iou(GOOD, GOOD, tolerance=1, metric="chessboard", spacing=(1, 2))
    with pytest.raises(ValueError, match="smaller than the smallest pixel spacing 0.5"):
        surface.boundary_iou(GOOD, GOOD, tolerance=0.4, spacing=(0.5, 2))
    with pytest.raises(TypeError, match="positional"):
        surface.hausdorff(GOOD, GOOD, 95)


def test_weighted_false_with_surfels_is_unweighted_nearest_rank():
    pred, target = blob(2), np.roll(blob(2), 1, axis=1)
    d = surface.surface_distances(pred, target, boundary="surfels")
    got = surface.hausdorff(pred, target, percentile=60, boundary="surfels",
                            method="inverted_cdf", weighted=False)
    expected = max(np.percentile(d.pred_to_target, 60, method="inverted_cdf"),
                   np.percentile(d.target_to_pred, 60, method="inverted_cdf"))
    assert got == expected


# ---------------------------------------------------------------------------
# No mutation, dtypes


@pytest.mark.parametrize("dtype", [bool, np.uint8, np.int32, np.int64])
def test_no_mutation_and_dtypes(dtype):
    """Inputs are left unchanged (values and writeability) and every integer dtype
    gives the value of the boolean masks."""
    pred = np.zeros((8, 9), dtype=dtype)
    pred[2:6, 1:5] = 1
    target = np.roll(pred, 2, axis=1)
    pred_copy, target_copy = pred.copy(), target.copy()
    pred.flags.writeable = False
    for func in ALL:
        for kwargs in conventions(func):
            value = call(func, pred, target, spacing=(1.0, 1.0), **kwargs)
            assert value == call(func, pred.astype(bool), target.astype(bool), **kwargs)
    surface.surface_distances(pred, target)
    surface.boundary_pixels(pred)
    surface.surface_elements(target, spacing=(2.0, 1.0))
    np.testing.assert_array_equal(pred, pred_copy)
    np.testing.assert_array_equal(target, target_copy)
    assert pred.dtype == dtype and target.dtype == dtype


def test_lists_accepted_and_results_are_floats():
    pred = [[0, 1, 1], [0, 1, 1], [0, 0, 0]]
    target = [[1, 1, 0], [1, 1, 0], [0, 0, 0]]
    for func in ALL:
        value = call(func, pred, target)
        assert type(value) is float
