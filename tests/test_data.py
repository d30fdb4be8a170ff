"""Tests of seglab.data: exact counts, compact blobs, determinism, validation."""

import math

import numpy as np
import pytest
import skimage.data
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal
from scipy import ndimage

from seglab import data
from seglab.data import (
    horse,
    noisy_prediction,
    posterior_map,
    sample_labels,
    synthetic_batch,
    synthetic_mask,
)

FRACTIONS = [0.5, 0.3, 0.1, 0.05, 0.02, 0.01, 0.005, 0.002, 0.001]


def _expected_count(fraction, size):
    return max(1, round(fraction * size))


# ------------------------------------------------------------------ synthetic_mask


@pytest.mark.parametrize("fraction", FRACTIONS)
@pytest.mark.parametrize("shape", [(256, 256), (40, 48, 36)])
@pytest.mark.parametrize("num_objects", [1, 4])
def test_synthetic_mask_exact_count(fraction, shape, num_objects):
    mask = synthetic_mask(shape, foreground_fraction=fraction, num_objects=num_objects, seed=5)
    assert mask.dtype == bool
    assert mask.shape == shape
    assert int(mask.sum()) == _expected_count(fraction, math.prod(shape))


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.integers(1, 24), min_size=1, max_size=3),
    st.floats(1e-4, 0.999, allow_nan=False),
    st.integers(1, 5),
    st.integers(0, 2**32),
)
def test_synthetic_mask_exact_count_any_shape(shape, fraction, num_objects, seed):
    size = math.prod(shape)
    count = _expected_count(fraction, size)
    if num_objects > count:
        with pytest.raises(ValueError, match="num_objects"):
            synthetic_mask(tuple(shape), foreground_fraction=fraction, num_objects=num_objects)
        return
    mask = synthetic_mask(tuple(shape), foreground_fraction=fraction, num_objects=num_objects,
                          seed=seed)
    assert int(mask.sum()) == count


@pytest.mark.parametrize(
    ("shape", "fraction", "num_objects"),
    [((256, 256), 0.1, 1), ((256, 256), 0.05, 4), ((256, 256), 0.001, 3), ((48, 48, 48), 0.02, 3)],
)
def test_synthetic_mask_compact_equal_blobs(shape, fraction, num_objects):
    """Separate blobs of equal size (+-1 pixel), each inside the ball of its volume."""
    mask = synthetic_mask(shape, foreground_fraction=fraction, num_objects=num_objects, seed=0)
    labels, found = ndimage.label(mask)
    assert found == num_objects
    sizes = np.bincount(labels.ravel())[1:]
    assert sizes.max() - sizes.min() <= 1
    ndim = len(shape)
    unit_ball = math.pi ** (ndim / 2) / math.gamma(ndim / 2 + 1)
    for k, size in enumerate(sizes, start=1):
        coords = np.argwhere(labels == k)
        radius = (size / unit_ball) ** (1 / ndim)
        spread = np.linalg.norm(coords - coords.mean(axis=0), axis=1).max()
        assert spread <= radius + 1.5


def test_synthetic_mask_determinism_and_seeds():
    a = synthetic_mask((64, 64), foreground_fraction=0.05, num_objects=3, seed=11)
    b = synthetic_mask((64, 64), foreground_fraction=0.05, num_objects=3, seed=11)
    c = synthetic_mask((64, 64), foreground_fraction=0.05, num_objects=3, seed=12)
    assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    assert a.sum() == c.sum()


def test_synthetic_mask_defaults_small_and_1d():
    mask = synthetic_mask()
    assert mask.shape == (128, 128) and mask.sum() == round(0.1 * 128 * 128)
    assert synthetic_mask((10, 10), foreground_fraction=1e-4).sum() == 1  # at least one pixel
    line = synthetic_mask(100, foreground_fraction=0.2, num_objects=2)
    assert line.shape == (100,) and line.sum() == 20
    assert ndimage.label(line)[1] == 2
    single = synthetic_mask((1,), foreground_fraction=0.5)
    assert single.tolist() == [True]


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"foreground_fraction": 0.0}, ValueError, r"foreground_fraction must lie in \(0.0"),
        ({"foreground_fraction": 1.0}, ValueError, "foreground_fraction must lie"),
        ({"foreground_fraction": -0.2}, ValueError, "foreground_fraction must lie"),
        ({"foreground_fraction": np.nan}, ValueError, "foreground_fraction must not be NaN"),
        ({"foreground_fraction": np.inf}, ValueError, "foreground_fraction must lie"),
        ({"foreground_fraction": "0.1"}, TypeError, "foreground_fraction must be a real"),
        ({"num_objects": 0}, ValueError, "num_objects must be an int >= 1"),
        ({"num_objects": -2}, ValueError, "num_objects must be an int >= 1"),
        ({"num_objects": 2.0}, TypeError, "num_objects must be an int"),
        ({"num_objects": True}, TypeError, "num_objects must be an int"),
        ({"num_objects": 20, "shape": (10, 10)}, ValueError, "num_objects=20 exceeds"),
        ({"shape": (0, 5)}, ValueError, "shape entries must be positive"),
        ({"shape": (-3,)}, ValueError, "shape entries must be positive"),
        ({"shape": ()}, ValueError, "shape must have at least one dimension"),
        ({"shape": (2.5, 3)}, TypeError, "shape must be a tuple of positive integers"),
        ({"shape": None}, TypeError, "shape must be a tuple of positive integers"),
        ({"seed": -1}, ValueError, "seed must be an int >= 0"),
        ({"seed": 1.5}, TypeError, "seed must be an int"),
        ({"seed": None}, TypeError, "seed must be an int"),
    ],
)
def test_synthetic_mask_validation(kwargs, error, match):
    with pytest.raises(error, match=match):
        synthetic_mask(**kwargs)


def test_synthetic_mask_accepts_numpy_integers():
    mask = synthetic_mask((np.int64(20), np.int32(30)), num_objects=np.int64(2),
                          seed=np.uint8(3))
    assert mask.shape == (20, 30) and mask.sum() == 60


# ----------------------------------------------------------------- synthetic_batch


def test_synthetic_batch_counts_and_determinism():
    batch = synthetic_batch(4, (64, 64), foreground_fraction=0.02, num_objects=2, seed=3)
    assert batch.shape == (4, 64, 64) and batch.dtype == bool
    assert_array_equal(batch.sum(axis=(1, 2)), [82] * 4)
    assert_array_equal(
        batch, synthetic_batch(4, (64, 64), foreground_fraction=0.02, num_objects=2, seed=3)
    )
    assert len({image.tobytes() for image in batch}) == 4  # the images differ
    other = synthetic_batch(4, (64, 64), foreground_fraction=0.02, num_objects=2, seed=4)
    assert not np.array_equal(batch, other)


def test_synthetic_batch_per_image_fractions_3d():
    fractions = np.array([0.001, 0.01, 0.1, 0.5])
    batch = synthetic_batch(4, (20, 20, 20), foreground_fraction=fractions)
    assert batch.shape == (4, 20, 20, 20)
    assert_array_equal(batch.sum(axis=(1, 2, 3)), [8, 80, 800, 4000])


@pytest.mark.parametrize(
    ("args", "kwargs", "error", "match"),
    [
        ((0, (8, 8)), {"foreground_fraction": 0.1}, ValueError, "num_images must be an int >= 1"),
        ((2.0, (8, 8)), {"foreground_fraction": 0.1}, TypeError, "num_images must be an int"),
        ((3, (8, 8)), {"foreground_fraction": [0.1, 0.2]}, ValueError, "has 2 entries"),
        ((2, (8, 8)), {"foreground_fraction": [0.1, 1.2]}, ValueError, "foreground_fraction"),
        ((2, (8, 0)), {"foreground_fraction": 0.1}, ValueError, "shape entries"),
        ((2, (8, 8)), {"foreground_fraction": 0.1, "num_objects": 0}, ValueError, "num_objects"),
        ((2, (8, 8)), {"foreground_fraction": 0.1, "seed": -5}, ValueError, "seed"),
    ],
)
def test_synthetic_batch_validation(args, kwargs, error, match):
    with pytest.raises(error, match=match):
        synthetic_batch(*args, **kwargs)


def test_synthetic_batch_requires_fraction():
    with pytest.raises(TypeError):
        synthetic_batch(2, (8, 8))


# -------------------------------------------------------------------------- horse


def test_horse_is_the_minority_foreground():
    mask = horse()
    assert mask.dtype == bool and mask.shape == (328, 400)
    assert int(mask.sum()) == 43412
    assert mask.mean() == pytest.approx(43412 / 131200) and mask.mean() < 0.5
    # the image border is background; the silhouette is the False part of skimage's image
    assert not mask[0].any() and not mask[:, 0].any()
    assert_array_equal(mask, ~skimage.data.horse())
    assert ndimage.label(mask)[1] == 1  # one connected horse


def test_horse_returns_a_fresh_array():
    first = horse()
    first[:] = True
    assert horse().sum() == 43412


# ------------------------------------------------------------------ posterior_map


def test_posterior_map_range_dtype_and_noise_free_values():
    mask = synthetic_mask((64, 64), foreground_fraction=0.2)
    before = mask.copy()
    eta = posterior_map(mask, noise=0.0)
    assert eta.dtype == np.float64 and eta.shape == mask.shape
    assert 0.0 < eta.min() and eta.max() < 1.0
    assert_array_equal(mask, before)
    # without blur and noise, eta is sigmoid(+-gain) exactly
    sharp = posterior_map(mask, blur=0.0, gain=3.0, noise=0.0)
    assert_allclose(sharp[mask], 1 / (1 + np.exp(-3.0)), rtol=1e-15)
    assert_allclose(sharp[~mask], 1 / (1 + np.exp(3.0)), rtol=1e-15)
    # eta > 1/2 recovers the mask when the blur is mild
    assert_array_equal(posterior_map(mask, blur=0.5, noise=0.0) > 0.5, mask)


def test_posterior_map_strictly_inside_unit_interval_for_huge_gain():
    mask = synthetic_mask((32, 32), foreground_fraction=0.3)
    eta = posterior_map(mask, gain=1e6, noise=50.0)
    assert eta.min() > 0.0 and eta.max() < 1.0
    assert eta.min() == pytest.approx(1 / (1 + np.exp(30.0)))


def test_posterior_map_determinism_and_noise():
    mask = synthetic_mask((64, 64), foreground_fraction=0.1, num_objects=2)
    clean = posterior_map(mask, noise=0.0, seed=1)
    assert_array_equal(clean, posterior_map(mask, noise=0.0, seed=2))  # seed unused
    noisy = posterior_map(mask, seed=1)
    assert_array_equal(noisy, posterior_map(mask, seed=1))
    assert not np.array_equal(noisy, posterior_map(mask, seed=2))
    # the added logit noise has exactly mean 0 and standard deviation `noise`
    logit = np.log(noisy / (1 - noisy)) - np.log(clean / (1 - clean))
    assert logit.mean() == pytest.approx(0.0, abs=1e-9)
    assert logit.std() == pytest.approx(1.0, rel=1e-9)
    logit2 = posterior_map(mask, noise=2.5, seed=1)
    logit2 = np.log(logit2 / (1 - logit2)) - np.log(clean / (1 - clean))
    assert_allclose(logit2, 2.5 * logit, rtol=1e-9, atol=1e-9)
    # the noise is smooth: neighbouring pixels are strongly correlated at blur = 2
    corr = np.corrcoef(logit[:, :-1].ravel(), logit[:, 1:].ravel())[0, 1]
    assert corr > 0.8


def test_posterior_map_symmetry_and_gain_zero():
    mask = synthetic_mask((48, 48), foreground_fraction=0.25)
    eta = posterior_map(mask, noise=0.0)
    assert_allclose(posterior_map(~mask, noise=0.0), 1 - eta, atol=1e-12)
    assert_allclose(posterior_map(mask, gain=0.0, noise=0.0), 0.5)


@pytest.mark.parametrize("mask_dtype", [bool, np.uint8, np.int64])
def test_posterior_map_dtypes_and_3d(mask_dtype):
    mask = synthetic_mask((16, 20, 24), foreground_fraction=0.1).astype(mask_dtype)
    eta = posterior_map(mask, blur=1.0)
    assert eta.shape == (16, 20, 24)
    assert eta[mask.astype(bool)].mean() > 0.8 > 0.2 > eta[~mask.astype(bool)].mean()


@pytest.mark.parametrize(
    ("mask", "kwargs", "error", "match"),
    [
        (np.array([0, 1, 2]), {}, ValueError, "mask must be binary"),
        (np.array([0, -1]), {}, ValueError, "mask must be binary"),
        (np.array([0.0, 1.0]), {}, TypeError, "mask must be an integer or boolean"),
        (np.zeros((0, 3), bool), {}, ValueError, "mask is empty"),
        (np.zeros(4, bool), {"blur": -1.0}, ValueError, "blur must lie"),
        (np.zeros(4, bool), {"gain": -1.0}, ValueError, "gain must lie"),
        (np.zeros(4, bool), {"noise": -0.5}, ValueError, "noise must lie"),
        (np.zeros(4, bool), {"noise": np.nan}, ValueError, "noise must not be NaN"),
        (np.zeros(4, bool), {"gain": np.inf}, ValueError, "gain must lie"),
        (np.zeros(4, bool), {"seed": -1}, ValueError, "seed must be an int >= 0"),
    ],
)
def test_posterior_map_validation(mask, kwargs, error, match):
    with pytest.raises(error, match=match):
        posterior_map(mask, **kwargs)


# ------------------------------------------------------------------ sample_labels


def test_sample_labels_frequencies_and_determinism():
    eta = np.tile([0.0, 0.1, 0.5, 0.9, 1.0], (40_000, 1))
    before = eta.copy()
    labels = sample_labels(eta, seed=4)
    assert labels.dtype == bool and labels.shape == eta.shape
    assert not labels[:, 0].any() and labels[:, 4].all()
    freq = labels.mean(axis=0)
    # binomial standard error <= 0.0025 with 40 000 draws; allow 5 of them
    assert_allclose(freq, [0.0, 0.1, 0.5, 0.9, 1.0], atol=0.0125)
    assert_array_equal(labels, sample_labels(eta, seed=4))
    assert not np.array_equal(labels, sample_labels(eta, seed=5))
    assert_array_equal(eta, before)


@pytest.mark.parametrize(
    ("eta", "kwargs", "error", "match"),
    [
        ([0.2, 1.2], {}, ValueError, "prob must hold probabilities"),
        ([0.2, np.nan], {}, ValueError, "prob contains"),
        ([], {}, ValueError, "prob is empty"),
        ([0.2], {"seed": 0.5}, TypeError, "seed must be an int"),
    ],
)
def test_sample_labels_validation(eta, kwargs, error, match):
    with pytest.raises(error, match=match):
        sample_labels(eta, **kwargs)


# --------------------------------------------------------------- noisy_prediction


@pytest.mark.parametrize("tpr", [0.0, 0.37, 0.9, 1.0])
@pytest.mark.parametrize("fpr", [0.0, 0.001, 0.05, 1.0])
@pytest.mark.parametrize("shape", [(128, 128), (24, 24, 24)])
def test_noisy_prediction_exact_counts(tpr, fpr, shape):
    target = synthetic_mask(shape, foreground_fraction=0.03)
    before = target.copy()
    pred = noisy_prediction(target, tpr=tpr, fpr=fpr, seed=2)
    n_fg = int(target.sum())
    n_bg = target.size - n_fg
    assert pred.dtype == bool and pred.shape == shape
    assert int((pred & target).sum()) == round(tpr * n_fg)
    assert int((pred & ~target).sum()) == round(fpr * n_bg)
    assert_array_equal(target, before)


def test_noisy_prediction_determinism_and_edge_cases():
    target = synthetic_mask((64, 64), foreground_fraction=0.1).astype(np.int64)
    a = noisy_prediction(target, tpr=0.5, fpr=0.1, seed=9)
    assert_array_equal(a, noisy_prediction(target, tpr=0.5, fpr=0.1, seed=9))
    assert not np.array_equal(a, noisy_prediction(target, tpr=0.5, fpr=0.1, seed=10))
    assert_array_equal(noisy_prediction(target, tpr=1.0, fpr=0.0), target.astype(bool))
    empty = np.zeros((8, 8), dtype=bool)
    assert noisy_prediction(empty, tpr=0.9, fpr=0.25).sum() == 16
    full = np.ones((8, 8), dtype=np.uint8)
    assert noisy_prediction(full, tpr=0.5, fpr=0.9).sum() == 32


@pytest.mark.parametrize(
    ("target", "kwargs", "error", "match"),
    [
        (np.array([0, 1, 3]), {}, ValueError, "target must be binary"),
        (np.array([0.0, 1.0]), {}, TypeError, "target must be an integer or boolean"),
        (np.array([0, 1]), {"tpr": 1.5}, ValueError, "tpr must lie"),
        (np.array([0, 1]), {"fpr": -0.1}, ValueError, "fpr must lie"),
        (np.array([0, 1]), {"fpr": np.nan}, ValueError, "fpr must not be NaN"),
        (np.array([0, 1]), {"tpr": "high"}, TypeError, "tpr must be a real"),
        (np.array([0, 1]), {"seed": -3}, ValueError, "seed must be an int >= 0"),
    ],
)
def test_noisy_prediction_validation(target, kwargs, error, match):
    args = {"tpr": 0.5, "fpr": 0.1, **kwargs}
    with pytest.raises(error, match=match):
        noisy_prediction(target, **args)


def test_public_api():
    assert set(data.__all__) == {
        "coins_case", "disk_with_outlier", "edge_case", "horse", "horse_case", "noisy_prediction",
        "posterior_case", "posterior_map", "sample_labels", "step_signal", "synthetic_batch",
        "synthetic_images", "synthetic_mask",
        "Lesions", "lesion_images", "task_splits", "vessel_images", "write_synthetic_dataset",
    }
    for name in data.__all__:
        doc = getattr(data, name).__doc__
        assert "Examples" in doc and "book/ch" in doc, name


# ------------------------------------------------------------- the book's test cases


def test_horse_case_is_cached_read_only_and_consistent():
    target, eta, image = data.horse_case()
    assert target.dtype == bool and eta.dtype == np.float64
    assert not (target.flags.writeable or eta.flags.writeable or image.flags.writeable)
    assert data.horse_case()[0] is target
    # the posterior is informative: the pixelwise decision beats chance on the horse
    assert ((eta > 0.5) == target).mean() > 0.8
    assert 0.0 <= image.min() and image.max() <= 255.0


def test_coins_case_is_the_bundled_photograph_and_its_otsu_mask():
    from skimage.data import coins
    from skimage.filters import threshold_otsu

    target, eta, image = data.coins_case((303, 384))  # the photograph's own size
    np.testing.assert_allclose(image, coins())
    np.testing.assert_array_equal(target, coins() > threshold_otsu(coins().astype(float)))
    assert data.coins_case((303, 384))[1] is eta
    assert not (target.flags.writeable or eta.flags.writeable or image.flags.writeable)
    small = data.coins_case()
    assert ((small[1] > 0.5) == small[0]).mean() > 0.8
    with pytest.raises(ValueError, match="smaller than"):
        data.coins_case((4, 40))


def test_horse_case_rejects_tiny_shapes():
    with pytest.raises(ValueError, match="smaller than"):
        data.horse_case((4, 40))


def test_edge_case_edges_and_validation():
    target, eta, image = data.edge_case()
    assert target[:, 16:].all() and not target[:, :16].any()
    assert (image[:, 22:] == 200).all() and (image[:, :22] == 60).all()
    with pytest.raises(ValueError, match="colour_edge"):
        data.edge_case(colour_edge=40)
    with pytest.raises(ValueError, match="smaller than"):
        data.edge_case((2, 40))


def test_step_signal_is_a_clipped_noisy_step():
    x, clean, noisy = data.step_signal(64, seed=1)
    assert x.shape == clean.shape == noisy.shape == (64,)
    assert set(np.unique(clean)) == {0.1, 0.9} and clean[32] == 0.9 and clean[31] == 0.1
    assert 0.0 <= noisy.min() and noisy.max() <= 1.0
    with pytest.raises(ValueError, match="n must be"):
        data.step_signal(2)


def test_posterior_case_is_the_cached_mask_and_posterior():
    mask, eta = data.posterior_case((40, 50), foreground_fraction=0.2, noise=0.5, seed=3)
    assert_array_equal(mask, data.synthetic_mask((40, 50), foreground_fraction=0.2, seed=3))
    assert_array_equal(eta, data.posterior_map(mask, noise=0.5, seed=3))
    assert not (mask.flags.writeable or eta.flags.writeable)
    assert data.posterior_case((40, 50), foreground_fraction=0.2, noise=0.5, seed=3)[1] is eta
    with pytest.raises(ValueError, match="foreground_fraction"):
        data.posterior_case(foreground_fraction=1.5)


def test_edge_case_validation():
    with pytest.raises(ValueError, match="object_edge"):
        data.edge_case(object_edge=0)
    with pytest.raises(ValueError, match="noise"):
        data.edge_case(noise=-1.0)


@pytest.mark.parametrize("radius", [1, 6, 12, 24])
def test_disk_with_outlier_geometry(radius):
    """The target is the disk of chapter 1 (centre (48, 32) in 96 x 96); the prediction adds
    exactly one pixel, on the centre row, `distance` pixels right of the disk."""
    rows, cols = np.ogrid[:96, :96]
    disk = (rows - 48) ** 2 + (cols - 32) ** 2 <= radius**2
    for distance in (2, 5, 96 - 1 - 32 - radius):
        pred, target = data.disk_with_outlier(distance, radius)
        assert_array_equal(target, disk)
        assert_array_equal(np.argwhere(pred & ~target), [[48, 32 + radius + distance]])
        assert not (target & ~pred).any()


@pytest.mark.parametrize(("args", "kwargs", "error", "match"), [
    ((2.5, 6), {}, TypeError, "distance must be an int"),
    ((2, True), {}, TypeError, "radius must be an int"),
    ((1, 6), {}, ValueError, "distance must be an int >= 2"),
    ((4, 0), {}, ValueError, "radius must be an int >= 1"),
    ((60, 24), {}, ValueError, r"does not fit .* \(largest distance 39\)"),
    ((2, 30), {"shape": (40, 200)}, ValueError, "does not fit"),
])
def test_disk_with_outlier_validation(args, kwargs, error, match):
    with pytest.raises(error, match=match):
        data.disk_with_outlier(*args, **kwargs)


def test_sizes_beyond_the_pixel_bound_are_refused():
    """More than 2**26 pixels in one image or a batch is refused before any allocation."""
    for call in (lambda: data.synthetic_mask((2**13, 2**13 + 1)),
                 lambda: data.synthetic_batch(2**40, (8, 8), foreground_fraction=0.1),
                 lambda: data.synthetic_images(2, (2**13, 2**13)),
                 lambda: data.step_signal(2**40),
                 lambda: data.edge_case((2**20, 2**20)),
                 lambda: data.disk_with_outlier(3, 4, shape=(2**20, 2**20))):
        with pytest.raises(ValueError, match="at most|<= "):
            call()
    with pytest.raises(ValueError, match="num_classes"):
        data.synthetic_images(1, (8, 8), num_classes=2**40)
    with pytest.raises(ValueError, match="pair"):
        data.disk_with_outlier(3, 4, shape=())
