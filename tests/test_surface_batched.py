"""Label maps, stacks of images, classes and means for seglab.surface; surface_metrics;
the nearest-point search; spacings near the float64 limits."""

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from scipy import ndimage
from scipy.spatial.distance import cdist

from seglab import surface

TOL = {"tolerance": 1.5}
METRICS = [
    (surface.hausdorff, {}),
    (surface.hausdorff, {"percentile": 95}),
    (surface.hausdorff, {"percentile": 90, "combine": "pooled", "boundary": "surfels",
                         "method": "inverted_cdf"}),
    (surface.directed_hausdorff, {"percentile": 50}),
    (surface.assd, {}),
    (surface.assd, {"combine": "mean", "boundary": "surfels"}),
    (surface.average_surface_distance, {}),
    (surface.surface_dice, TOL),
    (surface.surface_dice, dict(TOL, boundary="surfels")),
    (surface.boundary_f1, TOL),
    (surface.boundary_iou, TOL),
]
IDS = [f"{f.__name__}-{i}" for i, (f, _) in enumerate(METRICS)]


def label_maps(shape, num_classes, seed):
    """A pair of smooth random label maps."""
    rng = np.random.default_rng(seed)
    sigma = (0, *(1.2,) * len(shape))
    return tuple(np.argmax(ndimage.gaussian_filter(
        rng.standard_normal((num_classes, *shape)), sigma), axis=0) for _ in range(2))


def nanmean(x, axis):
    """NumPy's nanmean without its warning on all-NaN slices."""
    defined = ~np.isnan(x)
    with np.errstate(invalid="ignore"):
        return np.where(defined, x, 0).sum(axis=axis) / defined.sum(axis=axis)


def loop(func, pred, target, num_classes, kwargs):
    """The binary call on every (image, class) cell."""
    return np.array([[func(p == k, t == k, **kwargs) for k in range(num_classes)]
                     for p, t in zip(pred, target, strict=True)])


@pytest.mark.parametrize(("func", "kwargs"), METRICS, ids=IDS)
@pytest.mark.parametrize("shape", [(4, 14, 15), (2, 7, 8, 6)], ids=["2d", "3d"])
def test_per_image_per_class_equals_loop_of_binary_calls(func, kwargs, shape):
    """average=None, per_image=True, reduction='none' is the binary call of every cell,
    the empty-mask results applied per cell (classes absent from pred, target or both)."""
    absent = [(0, 2), (1, 1)] if shape[0] > 2 else [(0, 2)]
    rng = np.random.default_rng(1)
    pred = np.stack([label_maps(shape[1:], 3, s)[0] for s in rng.integers(0, 99, shape[0])])
    target = np.stack([label_maps(shape[1:], 3, s)[1] for s in rng.integers(0, 99, shape[0])])
    for image, k in absent:
        target[image][target[image] == k] = 0
    pred[-1][pred[-1] == 2] = 1  # class 2 absent from pred in the last image
    target[-1][target[-1] == 2] = 1  # and from target: both empty
    for empty in ({}, {"both_empty": "worst", "one_empty": "worst"},
                  {"both_empty": 7.0, "one_empty": np.nan}):
        options = dict(kwargs, **empty)
        got = func(pred, target, num_classes=3, average=None, per_image=True,
                   reduction="none", **options)
        expected = loop(func, pred, target, 3, options)
        assert got.shape == (shape[0], 3)
        assert_allclose(got, expected, rtol=1e-12, atol=0)


@pytest.mark.parametrize(("func", "kwargs"), METRICS, ids=IDS)
def test_means_counts_and_binary(func, kwargs):
    """'macro' is the NaN-skipping mean over classes, reduction='mean' over images;
    return_count counts the defined per-image values; per_image=False is one image;
    average='binary' is label 1 and equals the boolean call."""
    pred = np.stack([label_maps((12, 13), 3, s)[0] for s in range(3)])
    target = np.stack([label_maps((12, 13), 3, s)[1] for s in range(3)])
    target[1][target[1] == 2] = 0
    pred[1][pred[1] == 2] = 0  # class 2 undefined (NaN) in image 1 for the scores
    cells = func(pred, target, num_classes=3, average=None, per_image=True,
                 reduction="none", **kwargs)
    macro, count = func(pred, target, num_classes=3, average="macro", per_image=True,
                        reduction="none", return_count=True, **kwargs)
    expected_macro = nanmean(cells, axis=1)
    assert_allclose(macro, expected_macro, rtol=1e-12)
    assert count == np.count_nonzero(~np.isnan(expected_macro))
    mean, counts = func(pred, target, num_classes=3, average=None, per_image=True,
                        return_count=True, **kwargs)
    defined = ~np.isnan(cells)
    assert_array_equal(counts, defined.sum(axis=0))
    assert counts.dtype == np.int64
    expected = nanmean(cells, axis=0)
    assert_allclose(mean, expected, rtol=1e-12)
    value, one = func(pred[0], target[0], num_classes=3, average="macro", return_count=True,
                      **kwargs)
    assert_allclose(value, macro[0], rtol=1e-12)
    assert one == (0 if np.isnan(value) else 1)
    binary_pred, binary_target = pred == 1, target == 1
    assert_allclose(func(binary_pred, binary_target, per_image=True, reduction="none",
                         **kwargs), cells[:, 1], rtol=1e-12)
    assert func(binary_pred[0], binary_target[0], **kwargs) == func(
        binary_pred[0].astype(np.uint8), binary_target[0].astype(np.int64), num_classes=2,
        **kwargs)


@pytest.mark.parametrize(("func", "kwargs"), METRICS, ids=IDS)
def test_ignore_index_removes_void_from_both_masks(func, kwargs):
    """Void pixels (target == ignore_index) leave both masks of every class before the
    boundaries are found: the value is the binary call on the restricted masks."""
    pred, target = label_maps((14, 15), 3, 4)
    target = target.copy()
    target[3:6, 2:9] = 255
    keep = target != 255
    got = func(pred, target, num_classes=3, average=None, ignore_index=255, **kwargs)
    expected = [func((pred == k) & keep, (target == k) & keep, **kwargs) for k in range(3)]
    assert_allclose(got, expected, rtol=1e-12)
    inferred = func(pred, target, average=None, ignore_index=255, **kwargs)
    assert_allclose(inferred, expected, rtol=1e-12)
    # A void label inside the classes: its own cell compares empty masks.
    target = np.where(target == 255, 0, target)
    got = func(pred, target, num_classes=3, average=None, ignore_index=2, **kwargs)
    keep = target != 2
    expected = [func((pred == k) & keep, (target == k) & keep, **kwargs) for k in range(3)]
    assert_allclose(got, expected, rtol=1e-12)
    target[3:6, 2:9] = 255
    binary = func(pred == 1, np.where(target == 255, 255, target == 1), ignore_index=255,
                  **kwargs)
    keep = target != 255
    assert binary == func((pred == 1) & keep, (target == 1) & keep, **kwargs)


def test_label_map_validation():
    labels = np.zeros((2, 5, 5), dtype=int)
    labels[:, 1:3, 1:3] = 1
    with pytest.raises(ValueError, match="reduction='none' needs per_image=True"):
        surface.hausdorff(labels[0], labels[0], reduction="none")
    with pytest.raises(ValueError, match="reduction must be one of"):
        surface.hausdorff(labels, labels, per_image=True, reduction="sum")
    with pytest.raises(ValueError, match="average must be one of"):
        surface.assd(labels, labels, average="micro")
    with pytest.raises(ValueError, match="average='binary' needs num_classes=2"):
        surface.hausdorff(labels, labels, num_classes=3)
    with pytest.raises(ValueError, match=r"labels in \[0, 3\) for num_classes=3.*\[0, 3\]"):
        surface.hausdorff(labels * 3, labels, num_classes=3, average=None)
    with pytest.raises(ValueError, match="target must be a binary mask"):
        surface.hausdorff(labels[0], labels[0] * 2)
    with pytest.raises(ValueError, match="per_image=True"):
        surface.hausdorff(labels[0, 0], labels[0, 0], per_image=True)
    with pytest.raises(ValueError, match="3-D or 4-D stack"):
        surface.hausdorff(labels[..., None, None], labels[..., None, None], per_image=True)
    with pytest.raises(TypeError, match="per_image must be True or False"):
        surface.hausdorff(labels, labels, per_image=1)
    with pytest.raises(TypeError, match="return_count must be True or False"):
        surface.hausdorff(labels[0], labels[0], return_count=1)
    with pytest.raises(TypeError, match="num_classes must be an int"):
        surface.hausdorff(labels[0], labels[0], num_classes=2.0)
    with pytest.raises(ValueError, match="num_classes must be an int >= 2"):
        surface.hausdorff(labels[0], labels[0], num_classes=1, average=None)
    with pytest.raises(TypeError, match="ignore_index must be an int"):
        surface.hausdorff(labels[0], labels[0], ignore_index=1.5)
    with pytest.raises(ValueError, match=r"pred is empty.*one_empty='raise'.*image 1, class 1"):
        surface.hausdorff(np.stack([labels[0], 0 * labels[0]]), labels, per_image=True,
                          one_empty="raise")


def test_binary_masks_unchanged_and_no_mutation():
    pred = np.zeros((2, 9, 9), dtype=bool)
    pred[:, 2:5, 2:5] = True
    target = np.roll(pred, 2, axis=2)
    copies = pred.copy(), target.copy()
    assert surface.hausdorff(pred[0], target[0]) == 2.0
    assert_array_equal(surface.hausdorff(pred, target, per_image=True, reduction="none"),
                       [2.0, 2.0])
    assert surface.hausdorff(pred, target) == 2.0  # 3-D mask of two slices
    assert_array_equal(pred, copies[0])
    assert_array_equal(target, copies[1])


# ---------------------------------------------------------------------------
# surface_metrics


def test_surface_metrics_equals_single_calls():
    pred, target = label_maps((16, 17), 3, 7)
    batch = {"num_classes": 3, "average": None}
    for boundary in ("pixels", "surfels"):
        out = surface.surface_metrics(
            pred, target, metrics=("hausdorff", "hausdorff95", "directed_hausdorff", "assd",
                           "average_surface_distance", "surface_dice", "boundary_f1"),
            tolerance=1.0, boundary=boundary,
            options={"hausdorff95": {"combine": "pooled"}, "assd": {"one_empty": 9.0},
                     "boundary_f1": {"tolerance": 2.0}}, **batch)
        common = {"boundary": boundary, **batch}
        expected = {
            "hausdorff": surface.hausdorff(pred, target, **common),
            "hausdorff95": surface.hausdorff(pred, target, percentile=95, combine="pooled",
                                             **common),
            "directed_hausdorff": surface.directed_hausdorff(pred, target, **common),
            "assd": surface.assd(pred, target, one_empty=9.0, **common),
            "average_surface_distance": surface.average_surface_distance(pred, target,
                                                                         **common),
            "surface_dice": surface.surface_dice(pred, target, tolerance=1.0, **common),
            "boundary_f1": surface.boundary_f1(pred, target, tolerance=2.0, **common),
        }
        assert list(out) == list(expected)
        for name, value in expected.items():
            assert_array_equal(out[name], value, err_msg=name)
    got = surface.surface_metrics(pred == 1, target == 1, metrics="assd", return_count=True)
    assert got == {"assd": (surface.assd(pred == 1, target == 1), 1)}


def test_surface_metrics_validation():
    mask = np.zeros((6, 6), dtype=bool)
    mask[1:4, 1:4] = True
    with pytest.raises(ValueError, match="metrics must be one of"):
        surface.surface_metrics(mask, mask, metrics=("hausdorff", "dice"))
    with pytest.raises(ValueError, match="each metric once"):
        surface.surface_metrics(mask, mask, metrics=("assd", "assd"))
    with pytest.raises(ValueError, match="surface_dice needs tolerance"):
        surface.surface_metrics(mask, mask, metrics=("surface_dice",))
    with pytest.raises(ValueError, match="options key must be one of"):
        surface.surface_metrics(mask, mask, metrics=("assd",), options={"hausdorff": {}})
    with pytest.raises(ValueError, match=r"options\['hausdorff95'\] key must be one of"):
        surface.surface_metrics(mask, mask, metrics=("hausdorff95",),
                                options={"hausdorff95": {"percentile": 90}})
    with pytest.raises(ValueError, match="combine must be one of"):
        surface.surface_metrics(mask, mask, metrics=("assd",),
                                options={"assd": {"combine": "max"}})


# ---------------------------------------------------------------------------
# Nearest points: the band lookup and the k-d tree give the brute-force distances


@pytest.mark.parametrize("spacing", [(1.0, 1.0), (0.3, 2.0), (5.0, 0.2), (1.0, 1e-3)])
@pytest.mark.parametrize("gap", [0, 2, 9, 30])
def test_distances_equal_brute_force_near_and_far(spacing, gap):
    """Objects overlapping, close (found by the band lookup) and far apart (found by
    the k-d tree), with isotropic and strongly anisotropic spacing."""
    rng = np.random.default_rng(gap)
    shape = (40, 80)
    a = ndimage.gaussian_filter(rng.standard_normal(shape), 2.0) > 0.1
    a[:, 40:] = False
    b = np.roll(ndimage.gaussian_filter(rng.standard_normal(shape), 2.0) > 0.1, gap, axis=1)
    b[:, :gap] = False
    d = surface.surface_distances(a, b, spacing=spacing)
    pa = np.argwhere(surface.boundary_pixels(a)) * spacing
    pb = np.argwhere(surface.boundary_pixels(b)) * spacing
    pairwise = cdist(pa, pb)
    assert_allclose(d.pred_to_target, pairwise.min(axis=1), rtol=1e-12)
    assert_allclose(d.target_to_pred, pairwise.min(axis=0), rtol=1e-12)


def test_surfel_distances_equal_brute_force_3d():
    rng = np.random.default_rng(3)
    a = ndimage.gaussian_filter(rng.standard_normal((12, 14, 10)), 1.5) > 0.1
    b = np.roll(ndimage.gaussian_filter(rng.standard_normal((12, 14, 10)), 1.5) > 0.1, 3, 0)
    spacing = (0.7, 1.3, 2.9)
    d = surface.surface_distances(a, b, spacing=spacing, boundary="surfels")
    pa = np.argwhere(surface.surface_elements(a) > 0) * spacing
    pb = np.argwhere(surface.surface_elements(b) > 0) * spacing
    pairwise = cdist(pa, pb)
    assert_allclose(d.pred_to_target, pairwise.min(axis=1), rtol=1e-12)
    assert_allclose(d.target_to_pred, pairwise.min(axis=0), rtol=1e-12)


# ---------------------------------------------------------------------------
# Spacings near the float64 limits


def _pair():
    a = np.zeros((6, 7), dtype=bool)
    a[1:4, 1:5] = True
    return a, np.roll(a, (1, 2), axis=(0, 1))


@pytest.mark.parametrize("factor", [1e300, 1e-300, 2.0**1000, 3e-310])
def test_extreme_spacing_scales_the_distances(factor):
    """Distances scale with the spacing up to the float64 limits: no overflow to inf of
    the squares at 1e300, no underflow to 0 at 1e-300 (the distances are computed in a
    power-of-two rescaled spacing and multiplied back exactly)."""
    pred, target = _pair()
    spacing = (1.5, 0.75)
    big = tuple(s * factor for s in spacing)
    for boundary in ("pixels", "surfels"):
        d_unit = surface.surface_distances(pred, target, spacing=spacing, boundary=boundary)
        d_big = surface.surface_distances(pred, target, spacing=big, boundary=boundary)
        assert_allclose(d_big.pred_to_target, d_unit.pred_to_target * factor, rtol=1e-12)
        assert_allclose(d_big.target_to_pred, d_unit.target_to_pred * factor, rtol=1e-12)
        for func in (surface.hausdorff, surface.assd, surface.average_surface_distance):
            got = func(pred, target, spacing=big, boundary=boundary)
            assert np.isfinite(got) and got > 0
            assert_allclose(got, func(pred, target, spacing=spacing, boundary=boundary)
                            * factor, rtol=1e-12)
        assert_allclose(surface.surface_dice(pred, target, tolerance=1.6 * factor, spacing=big,
                                             boundary=boundary),
                        surface.surface_dice(pred, target, tolerance=1.6, spacing=spacing,
                                             boundary=boundary), rtol=1e-12)
    worst = surface.hausdorff(pred, np.zeros_like(pred), spacing=big, one_empty="worst")
    assert_allclose(worst, np.hypot(6 * 1.5, 7 * 0.75) * factor, rtol=1e-12)
    assert surface.boundary_iou(pred, target, tolerance=1.6 * factor, spacing=big) == (
        surface.boundary_iou(pred, target, tolerance=1.6, spacing=spacing))


def test_spacing_out_of_range_and_zero_dim_spacing():
    pred, target = _pair()
    with pytest.raises(ValueError, match="spacing .* spans more than a factor 1e\\+100"):
        surface.hausdorff(pred, target, spacing=(1e-60, 1e60))
    volume = np.zeros((4, 4, 4), dtype=bool)
    volume[1:3, 1:3, 1:3] = True
    with pytest.raises(ValueError, match="spacing .*outside the float64 range"):
        surface.surface_elements(volume, spacing=1e300)
    with pytest.raises(ValueError, match="outside the float64 range"):
        surface.surface_distances(volume, volume, spacing=1e-300, boundary="surfels")
    # The metrics only use ratios of areas: they stay defined.
    assert surface.assd(volume, volume, spacing=1e300, boundary="surfels") == 0.0
    for func in (surface.hausdorff, surface.surface_distances, surface.surface_elements):
        args = (pred,) if func is surface.surface_elements else (pred, target)
        with pytest.raises(ValueError, match=r"spacing is a 0-d array .*float\(spacing\)"):
            func(*args, spacing=np.array(2.0))
