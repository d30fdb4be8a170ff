"""Closed forms and properties of seglab.surface (boundary metrics)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from numpy.testing import assert_allclose, assert_array_equal
from scipy import ndimage
from scipy.spatial.distance import cdist
from skimage.measure import find_contours

from seglab import data, metrics, surface


def square(shape, rows, cols):
    mask = np.zeros(shape, dtype=bool)
    mask[rows[0]:rows[1], cols[0]:cols[1]] = True
    return mask


def ball(shape, centre, radius):
    grid = np.ogrid[tuple(slice(0, n) for n in shape)]
    return sum((g - c) ** 2 for g, c in zip(grid, centre, strict=True)) <= radius**2


def brute_distances(pred, target, spacing):
    """Pairwise distances between border-pixel centres, with no distance transform."""
    a = np.argwhere(surface.boundary_pixels(pred)) * spacing
    b = np.argwhere(surface.boundary_pixels(target)) * spacing
    d = cdist(a, b)
    return d.min(axis=1), d.min(axis=0)


# ---------------------------------------------------------------------------
# Boundaries


def test_boundary_pixels_is_mask_minus_erosion():
    """Border pixels = mask XOR binary_erosion(mask) (cross structure, border 0): the
    edges of MONAI 1.6 get_mask_edges and MedPy 0.5.2, also at the image edge."""
    rng = np.random.default_rng(0)
    for shape in ((17, 23), (9, 11, 8)):
        mask = ndimage.gaussian_filter(rng.standard_normal(shape), 1.5) > 0
        expected = mask ^ ndimage.binary_erosion(mask, border_value=0)
        assert_array_equal(surface.boundary_pixels(mask), expected)


def test_surface_elements_2d_equal_marching_squares_length():
    """The contour lengths sum to the length of skimage's marching-squares contour of
    the zero-padded mask at level 1/2 (scaled by the spacing)."""
    rng = np.random.default_rng(1)
    mask = ndimage.gaussian_filter(rng.standard_normal((30, 34)), 1.2) > 0.2
    for spacing in ((1.0, 1.0), (0.6, 1.7)):
        total = 0.0
        for contour in find_contours(np.pad(mask, 1).astype(float), 0.5):
            steps = np.diff(contour, axis=0) * spacing
            total += np.sum(np.hypot(steps[:, 0], steps[:, 1]))
        assert_allclose(surface.surface_elements(mask, spacing=spacing).sum(), total,
                        rtol=1e-12)


@pytest.mark.parametrize("radius", [10, 25])
def test_surface_elements_perimeter_and_area_of_round_objects(radius):
    """Surfels overestimate the perimeter 2 pi r of a digital disk and the area
    4 pi r^2 of a ball by 6-10 % (a polygon through edge midpoints of a staircase);
    the border pixels of a disk number about 4 sqrt(2) r, 11 % short of 2 pi r, and
    those of a ball 18-23 % fewer than 4 pi r^2 (the surface_elements docstring)."""
    disk = ball((2 * radius + 5,) * 2, (radius + 2,) * 2, radius)
    length = surface.surface_elements(disk).sum()
    assert 1.05 < length / (2 * np.pi * radius) < 1.10
    sphere = ball((2 * radius + 5,) * 3, (radius + 2,) * 3, radius)
    area = surface.surface_elements(sphere).sum()
    assert 1.05 < area / (4 * np.pi * radius**2) < 1.10
    count = surface.boundary_pixels(disk).sum()
    assert abs(count / (4 * np.sqrt(2) * radius) - 1) < 0.02
    count = surface.boundary_pixels(sphere).sum()
    assert 0.77 < count / (4 * np.pi * radius**2) < 0.82


def test_surface_elements_of_one_pixel_and_scaling():
    """One pixel: a diamond through its edge midpoints, perimeter 4 * sqrt(2)/2 = 2 sqrt(2);
    one voxel: an octahedron of 8 equilateral triangles of side sqrt(2)/2, area sqrt(3).
    Scaling the spacing by k scales lengths by k and areas by k^2."""
    pixel = np.zeros((3, 3), dtype=bool)
    pixel[1, 1] = True
    assert_allclose(surface.surface_elements(pixel).sum(), 2 * np.sqrt(2))
    voxel = np.zeros((3, 3, 3), dtype=bool)
    voxel[1, 1, 1] = True
    assert_allclose(surface.surface_elements(voxel).sum(), np.sqrt(3))
    mask = np.zeros((6, 7, 8), dtype=bool)
    mask[1:4, 2:6, 1:7] = True
    base = surface.surface_elements(mask, spacing=(0.5, 1.5, 2.0)).sum()
    scaled = surface.surface_elements(mask, spacing=(1.5, 4.5, 6.0)).sum()
    assert_allclose(scaled, 9 * base, rtol=1e-12)
    assert_allclose(surface.surface_elements(pixel, spacing=3.0).sum(), 6 * np.sqrt(2))


# ---------------------------------------------------------------------------
# Closed forms


@pytest.mark.parametrize("k", [1, 2, 5])
def test_concentric_squares(k):
    """Square S inside the square S grown by k on every side: the directed distance from
    the inner border to the outer one is k, the Hausdorff distance is the corner
    distance k sqrt(2)."""
    inner = square((40, 40), (12, 25), (10, 27))
    outer = square((40, 40), (12 - k, 25 + k), (10 - k, 27 + k))
    assert_allclose(surface.directed_hausdorff(inner, outer), k)
    assert_allclose(surface.directed_hausdorff(outer, inner), k * np.sqrt(2))
    assert_allclose(surface.hausdorff(inner, outer), k * np.sqrt(2))
    assert surface.surface_dice(inner, outer, tolerance=k * np.sqrt(2)) == 1.0


@pytest.mark.parametrize("k", [1, 3])
@pytest.mark.parametrize("axis", [0, 1])
def test_shifted_square_with_anisotropic_spacing(k, axis):
    """A 30 x 30 square shifted by k pixels along one axis, spacing (0.5, 2): every
    border pixel is within k * spacing[axis] of the other border and the
    pixels of the leading edge are exactly that far, so HD = k * spacing[axis]."""
    spacing = (0.5, 2.0)
    pred = square((60, 60), (10, 40), (10, 40))
    target = np.roll(pred, k, axis=axis)
    expected = k * spacing[axis]
    for combine in ("max", "pooled"):
        assert_allclose(surface.hausdorff(pred, target, spacing=spacing, combine=combine),
                        expected)
    assert surface.surface_dice(pred, target, tolerance=expected, spacing=spacing) == 1.0
    assert surface.surface_dice(pred, target, tolerance=0.99 * expected,
                                spacing=spacing) < 1.0


@pytest.mark.parametrize("radii", [(8, 14), (12, 13), (5, 20)])
def test_concentric_disks_and_spheres(radii):
    """Concentric digital disks and balls of radii r < R: the border-pixel centres lie
    at radii in (r - 1, r] and (R - 1, R], so HD > R - r - 1; and HD <= R - r + 1.
    Surfels lie within half a pixel of the circles: |ASSD - (R - r)| < 1/2 + 1/2."""
    r, big = radii
    for ndim in (2, 3):
        shape = (2 * big + 5,) * ndim
        centre = (big + 2,) * ndim
        inner, outer = ball(shape, centre, r), ball(shape, centre, big)
        hd = surface.hausdorff(inner, outer)
        assert big - r - 1 < hd <= big - r + 1
        value = surface.assd(inner, outer, boundary="surfels")
        assert abs(value - (big - r)) < 1.0


def test_single_outlier_forces_hausdorff_and_barely_moves_dice():
    """Target: a 10 x 10 square; pred: the same square and one pixel r + 1 pixels to the
    right of its right edge. HD = r + 1 exactly (the outlier's distance to the
    square's border), HD95 and ASSD hardly change, Dice = 200/201."""
    target = square((40, 60), (10, 20), (10, 20))
    for r in (3, 10, 30):
        pred = target.copy()
        pred[15, 19 + r + 1] = True
        assert_allclose(surface.hausdorff(pred, target), r + 1)
        assert_allclose(surface.directed_hausdorff(target, pred), 0.0)
        assert surface.hausdorff(pred, target, percentile=95) == 0.0
        dice = 2 * np.sum(pred & target) / (pred.sum() + target.sum())
        assert_allclose(dice, 200 / 201)


def test_boundary_iou_chessboard_is_cheng_erosion():
    """metric='chessboard', tolerance k: the band is mask minus its k-fold erosion by a
    3 x 3 square on the zero-padded mask (boundary-iou-api's mask_to_boundary)."""
    rng = np.random.default_rng(2)
    pred = ndimage.gaussian_filter(rng.standard_normal((40, 40)), 2) > 0
    target = ndimage.gaussian_filter(rng.standard_normal((40, 40)), 2) > 0
    for k in (1, 2, 4):
        bands = []
        for mask in (pred, target):
            eroded = ndimage.binary_erosion(np.pad(mask, 1), np.ones((3, 3)), iterations=k)
            bands.append(mask & ~eroded[1:-1, 1:-1])
        expected = np.sum(bands[0] & bands[1]) / np.sum(bands[0] | bands[1])
        got = surface.boundary_iou(pred, target, tolerance=k, metric="chessboard")
        assert_allclose(got, expected, rtol=1e-12)


def test_boundary_iou_euclidean_band():
    """Euclidean band of width t: the mask pixels within t of a background pixel
    (the image edge counting as background), here by brute force."""
    rng = np.random.default_rng(3)
    pred = ndimage.gaussian_filter(rng.standard_normal((25, 30)), 2) > -0.2
    target = ndimage.gaussian_filter(rng.standard_normal((25, 30)), 2) > -0.2
    spacing = np.array([0.8, 1.3])
    for t in (0.9, 1.5, 3.0):
        bands = []
        for mask in (pred, target):
            padded = np.pad(mask, 1)
            fg, bg = np.argwhere(padded), np.argwhere(~padded)
            depth = cdist(fg * spacing, bg * spacing).min(axis=1)
            band = np.zeros_like(padded)
            band[tuple(fg[depth <= t].T)] = True
            bands.append(band)
        expected = np.sum(bands[0] & bands[1]) / np.sum(bands[0] | bands[1])
        got = surface.boundary_iou(pred, target, tolerance=t, spacing=spacing)
        assert_allclose(got, expected, rtol=1e-12)


def test_boundary_f1_closed_form():
    """Pred is the target grown by one pixel: at tolerance 0 no border pixel matches
    (F1 = 0); at tolerance sqrt(2) all do (F1 = 1); in between precision and recall
    are counted by hand."""
    target = square((20, 20), (5, 12), (5, 12))
    pred = square((20, 20), (4, 13), (4, 13))
    assert surface.boundary_f1(pred, target, tolerance=0) == 0.0
    assert surface.boundary_f1(pred, target, tolerance=np.sqrt(2)) == 1.0
    # tolerance 1: all 24 target border pixels have a pred border pixel at 1; of the 32
    # pred border pixels the 4 corners are sqrt(2) away.
    precision, recall = 28 / 32, 1.0
    assert_allclose(surface.boundary_f1(pred, target, tolerance=1),
                    2 * precision * recall / (precision + recall))
    assert_allclose(surface.surface_dice(pred, target, tolerance=1), (28 + 24) / (32 + 24))


def test_percentile_rules_on_a_known_sample():
    """Linear interpolation vs nearest rank, pooled vs max, on two shifted squares: the
    percentiles of surface_distances computed by numpy.percentile."""
    pred = square((30, 30), (5, 15), (5, 15))
    target = square((30, 30), (7, 17), (5, 15))
    d = surface.surface_distances(pred, target)
    for q in (50, 90, 95):
        lin = max(np.percentile(d.pred_to_target, q), np.percentile(d.target_to_pred, q))
        assert_allclose(surface.hausdorff(pred, target, percentile=q), lin)
        pooled = np.concatenate([d.pred_to_target, d.target_to_pred])
        assert_allclose(surface.hausdorff(pred, target, percentile=q, combine="pooled"),
                        np.percentile(pooled, q))
        nearest = max(np.percentile(d.pred_to_target, q, method="inverted_cdf"),
                      np.percentile(d.target_to_pred, q, method="inverted_cdf"))
        assert_allclose(surface.hausdorff(pred, target, percentile=q, method="inverted_cdf"),
                        nearest)


def test_weighted_nearest_rank_equals_numpy_weighted_quantile():
    """Surfels with method='inverted_cdf' weigh each distance by its area: numpy's
    weighted inverted-CDF quantile of the same distances and areas."""
    rng = np.random.default_rng(4)
    pred = ndimage.gaussian_filter(rng.standard_normal((30, 30)), 2) > 0
    target = ndimage.gaussian_filter(rng.standard_normal((30, 30)), 2) > 0
    spacing = (0.7, 1.1)
    d = surface.surface_distances(pred, target, spacing=spacing, boundary="surfels")
    for q in (50, 80, 95):
        expected = max(
            np.quantile(d.pred_to_target, q / 100, method="inverted_cdf",
                        weights=d.pred_weights),
            np.quantile(d.target_to_pred, q / 100, method="inverted_cdf",
                        weights=d.target_weights))
        got = surface.hausdorff(pred, target, percentile=q, spacing=spacing,
                                boundary="surfels", method="inverted_cdf")
        assert_allclose(got, expected)


def test_distances_do_not_depend_on_the_image_around_the_objects():
    """Restricting the distance transform to the padded bounding box is exact: the same
    objects placed in a larger image, anywhere, give the same values."""
    rng = np.random.default_rng(5)
    pred = ndimage.gaussian_filter(rng.standard_normal((15, 18, 12)), 1.5) > 0.3
    target = ndimage.gaussian_filter(rng.standard_normal((15, 18, 12)), 1.5) > 0.3
    big_pred, big_target = np.zeros((40, 41, 42), bool), np.zeros((40, 41, 42), bool)
    big_pred[20:35, 3:21, 25:37] = pred
    big_target[20:35, 3:21, 25:37] = target
    spacing = (1.0, 0.6, 2.2)
    for boundary in ("pixels", "surfels"):
        for func in (surface.hausdorff, surface.assd):
            assert func(pred, target, spacing=spacing, boundary=boundary) == func(
                big_pred, big_target, spacing=spacing, boundary=boundary)


# ---------------------------------------------------------------------------
# Properties on random masks

masks_2d = arrays(bool, (7, 8), elements=st.booleans())
spacings = st.tuples(st.floats(0.25, 4.0), st.floats(0.25, 4.0))


@settings(max_examples=60, deadline=None)
@given(masks_2d, masks_2d, spacings)
def test_distances_equal_brute_force(pred, target, spacing):
    """surface_distances equals pairwise distances between border-pixel centres."""
    if not (pred.any() and target.any()):
        return
    d = surface.surface_distances(pred, target, spacing=spacing)
    a, b = brute_distances(pred, target, np.asarray(spacing))
    assert_allclose(d.pred_to_target, a, rtol=1e-12)
    assert_allclose(d.target_to_pred, b, rtol=1e-12)


@settings(max_examples=60, deadline=None)
@given(masks_2d, masks_2d, st.sampled_from(["pixels", "surfels"]))
def test_symmetry(pred, target, boundary):
    """Every symmetric metric takes the same value with the masks swapped."""
    opts = {"boundary": boundary}
    pairs = [
        (surface.hausdorff, opts),
        (surface.hausdorff, dict(opts, percentile=95)),
        (surface.hausdorff, dict(opts, percentile=90, combine="pooled")),
        (surface.assd, opts),
        (surface.assd, dict(opts, combine="mean")),
        (surface.surface_dice, dict(opts, tolerance=1.0)),
        (surface.boundary_f1, dict(opts, tolerance=1.0)),
        (surface.boundary_iou, {"tolerance": 1.5}),
    ]
    for func, kwargs in pairs:
        assert_allclose(func(pred, target, **kwargs), func(target, pred, **kwargs),
                        rtol=1e-12)


@settings(max_examples=60, deadline=None)
@given(masks_2d, masks_2d, st.floats(0, 100), st.sampled_from(["linear", "inverted_cdf"]))
def test_hausdorff_bounds_its_percentiles(pred, target, q, method):
    """HD >= HD_q for every q, rule and combination; and HD_q grows with q."""
    hd = surface.hausdorff(pred, target)
    for combine in ("max", "pooled"):
        hq = surface.hausdorff(pred, target, percentile=q, method=method, combine=combine)
        assert hq <= hd
        assert hq <= surface.hausdorff(pred, target, percentile=min(q + 5, 100),
                                       method=method, combine=combine)


@settings(max_examples=80, deadline=None)
@given(masks_2d, masks_2d, masks_2d, spacings)
def test_triangle_inequality(a, b, c, spacing):
    """The Hausdorff distance between nonempty boundaries is a metric."""
    if not (a.any() and b.any() and c.any()):
        return
    ab = surface.hausdorff(a, b, spacing=spacing)
    bc = surface.hausdorff(b, c, spacing=spacing)
    ac = surface.hausdorff(a, c, spacing=spacing)
    assert ac <= ab + bc + 1e-12


@settings(max_examples=60, deadline=None)
@given(masks_2d, masks_2d)
def test_zero_iff_equal_boundaries(pred, target):
    """HD = 0 exactly when the border-pixel sets coincide; then NSD = BF1 = 1 at
    tolerance 0; and HD = 0 for identical masks in either representation."""
    if not (pred.any() and target.any()):
        return
    same = np.array_equal(surface.boundary_pixels(pred), surface.boundary_pixels(target))
    assert (surface.hausdorff(pred, target) == 0) == same
    if same:
        assert surface.surface_dice(pred, target, tolerance=0) == 1.0
        assert surface.boundary_f1(pred, target, tolerance=0) == 1.0
    for boundary in ("pixels", "surfels"):
        assert surface.hausdorff(pred, pred, boundary=boundary) == 0.0


@settings(max_examples=60, deadline=None)
@given(masks_2d, masks_2d, st.floats(0, 5))
def test_scores_in_unit_interval(pred, target, tol):
    """Scores lie in [0, 1]; NSD and BF1 reach 1 once the tolerance is the HD."""
    if not (pred.any() and target.any()):
        return
    for boundary in ("pixels", "surfels"):
        for func in (surface.surface_dice, surface.boundary_f1):
            assert 0.0 <= func(pred, target, tolerance=tol, boundary=boundary) <= 1.0
        hd = surface.hausdorff(pred, target, boundary=boundary)
        assert surface.surface_dice(pred, target, tolerance=hd, boundary=boundary) == 1.0
    if tol >= 1:
        assert 0.0 <= surface.boundary_iou(pred, target, tolerance=tol) <= 1.0


def test_one_outlier_sets_the_hausdorff_distance():
    """A disk plus one isolated pixel (seglab.data.disk_with_outlier, the case of chapter 1's
    slider): HD is the outlier's distance, HD95 is 0, ASSD stays below 1 pixel, and Dice is
    2|G|/(2|G| + 1) whatever the distance."""
    for radius in (6, 12, 24):
        for distance in range(2, 96 - 1 - 32 - radius + 1):
            pred, target = data.disk_with_outlier(distance, radius)
            assert surface.hausdorff(pred, target) == distance
            assert surface.hausdorff(pred, target, percentile=95) == 0.0
            assert surface.assd(pred, target) < 1
            assert metrics.dice(pred, target) == pytest.approx(
                2 * target.sum() / (2 * target.sum() + 1), rel=1e-12)
