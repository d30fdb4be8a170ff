"""Tests of the simulated tasks of seglab.data: lesions, vessels and their splits.

Tolerances are stated with their reason at each assertion.
"""

import math

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from scipy import ndimage, stats
from skimage.morphology import skeletonize

from seglab.data import Lesions, lesion_images, task_splits, vessel_images

NUM = 400  # images behind the statistical checks


@pytest.fixture(scope="module")
def lesions_10():
    return lesion_images(NUM, (64, 64), foreground_fraction=0.1, seed=2)


@pytest.mark.parametrize("fraction", [0.005, 0.02, 0.1])
def test_lesion_fraction_matches_the_target(fraction):
    sim = lesion_images(NUM, (64, 64), foreground_fraction=fraction, seed=1)
    realised = sim.masks.mean()
    # The realised share is a mean over 400 images of a share whose relative standard
    # error, measured from the per-image shares, is about 4 %; 15 % is 3.6 standard errors.
    per_image = sim.masks.mean(axis=(1, 2))
    standard_error = per_image.std(ddof=1) / math.sqrt(NUM) / fraction
    assert standard_error < 0.05
    assert abs(realised / fraction - 1) < 0.15


def test_lesion_masks_are_the_lesions(lesions_10):
    sim = lesions_10
    assert isinstance(sim, Lesions)
    assert sim.images.shape == sim.masks.shape == (NUM, 64, 64)
    assert sim.images.dtype == np.float64 and sim.masks.dtype == bool
    per_image = np.bincount(sim.image_index, weights=sim.sizes, minlength=NUM)
    assert_array_equal(per_image, sim.masks.sum(axis=(1, 2)))
    assert np.all(np.isfinite(sim.images))


def test_lesion_empty_share_is_exact():
    sim = lesion_images(40, (32, 32), foreground_fraction=0.05, empty_fraction=0.3, seed=4)
    assert int(np.sum(sim.masks.sum(axis=(1, 2)) == 0)) == 12
    assert np.setdiff1d(np.arange(40), sim.image_index).size == 12


def test_lesion_sizes_are_log_normal(lesions_10):
    # At 10 % of a 64 x 64 image a lesion has ~150 pixels, so rounding to whole pixels and
    # the cut at a quarter of the image (4.4 standard deviations up) barely matter.
    sizes = lesions_10.sizes
    budget = 0.1 * 4096 * NUM / (NUM - 80)  # 80 = round(0.2 * 400) empty images
    mu = math.log(budget / 3.0) - 0.5**2 / 2
    logs = np.log(sizes)
    # Standard errors of the mean and standard deviation of ~1000 normal logs: 0.016, 0.011.
    assert abs(logs.mean() - mu) < 0.06
    assert abs(logs.std() - 0.5) < 0.04
    assert stats.kstest(logs, "norm", args=(mu, 0.5)).pvalue > 0.01
    # A log-normal, not a normal: the sizes are right-skewed.
    assert stats.skew(sizes) > 0.5


def test_lesion_count_per_image_is_one_plus_poisson(lesions_10):
    counts = np.bincount(lesions_10.image_index, minlength=NUM)
    counts = counts[counts > 0]
    # 1 + Poisson(2): mean 3 and variance 2, over 320 images (standard error 0.08).
    assert abs(counts.mean() - 3.0) < 0.3
    assert abs(counts.var() - 2.0) < 0.6


def test_lesion_contrast_overlaps_the_background():
    sim = lesion_images(60, (64, 64), foreground_fraction=0.1, seed=3)
    inside, outside = sim.images[sim.masks], sim.images[~sim.masks]
    assert inside.mean() > outside.mean() + 0.5
    # Overlap: a third of the lesion pixels (37 % with this seed) are darker than the
    # background's 95th percentile (a single pixel does not tell lesion from background).
    assert np.mean(inside < np.percentile(outside, 95)) > 0.3


def test_lesion_without_irregularity_is_a_disc():
    sim = lesion_images(1, (32, 32), foreground_fraction=0.05, empty_fraction=0.0,
                        lesions_per_image=1.0, size_spread=0.0, irregularity=0.0, seed=0)
    mask = sim.masks[0]
    rows, cols = np.nonzero(mask)
    centre = rows.mean(), cols.mean()
    radius = np.hypot(rows - centre[0], cols - centre[1]).max()
    assert mask.sum() == round(0.05 * 1024)
    assert radius < math.sqrt(mask.sum() / math.pi) + 1.5


@pytest.fixture(scope="module")
def vessels():
    return vessel_images(100, (64, 64), seed=0)


def test_vessel_widths_between_one_and_three(vessels):
    _, masks = vessels
    widths = []
    for mask in masks:
        skeleton = skeletonize(mask)
        # Local width along the centreline: 2 d - 1 with d the distance from a skeleton pixel
        # to the background (1 on a one-pixel line, 3 on a three-pixel one).
        widths.append(2 * ndimage.distance_transform_edt(mask)[skeleton] - 1)
    widths = np.concatenate(widths)
    assert widths.min() >= 1.0
    # Junctions and crossings are wider than either branch: 5 % of the skeleton allowed.
    assert np.mean(widths <= 3.0) > 0.95
    assert np.mean(widths == 1.0) > 0.2  # thin vessels are there


def test_vessels_are_thin_and_long(vessels):
    _, masks = vessels
    labelled = [ndimage.label(m, structure=np.ones((3, 3)))[0] for m in masks]
    for mask, labels in zip(masks, labelled, strict=True):
        assert 0 < mask.mean() < 0.3
        # A curve, not a blob: few components, each much longer than wide.
        sizes = np.bincount(labels.ravel())[1:]
        assert sizes.size <= 2 * (2 + 10)
    skeleton = sum(int(skeletonize(m).sum()) for m in masks)
    assert skeleton > 0.25 * sum(int(m.sum()) for m in masks)


@pytest.mark.parametrize("make", [
    lambda seed: lesion_images(5, (32, 32), seed=seed),
    lambda seed: vessel_images(3, (32, 32), seed=seed),
    lambda seed: task_splits("vessels", sizes=(2, 1, 2), shape=(32, 32), seed=seed)["test"],
])
def test_deterministic_by_seed(make):
    a, b, c = make(7), make(7), make(8)
    for x, y in zip(a, b, strict=True):
        assert_array_equal(x, y)
    assert not np.array_equal(a[0], c[0])


def test_splits_are_fixed_and_independent():
    options = {"foreground_fraction": 0.05}
    splits = task_splits("lesions", sizes=(6, 3, 5), shape=(32, 32), options=options, seed=1)
    assert [len(s.masks) for s in splits.values()] == [6, 3, 5]
    # The test set does not depend on the size of the training set.
    again = task_splits("lesions", sizes=(2, 3, 5), shape=(32, 32), options=options, seed=1)
    assert_array_equal(splits["test"].images, again["test"].images)
    # Each set is the generator at its derived seed.
    derived = int(np.random.SeedSequence([1, 2]).generate_state(1)[0])
    direct = lesion_images(5, (32, 32), foreground_fraction=0.05, seed=derived)
    assert_array_equal(splits["test"].images, direct.images)
    # No image in two sets.
    flat = {name: s.images.reshape(len(s.images), -1) for name, s in splits.items()}
    assert not np.isclose(flat["train"][:, None], flat["test"][None]).all(axis=2).any()


@pytest.mark.parametrize("call, error, match", [
    (lambda: lesion_images(2, (8, 8, 8)), ValueError, "2-D"),
    (lambda: lesion_images(2, (3, 8)), ValueError, "at least 4"),
    (lambda: lesion_images(2**20, (64, 64)), ValueError, "at most"),
    (lambda: lesion_images(2, (16, 16), foreground_fraction=0.0), ValueError, "foreground"),
    (lambda: lesion_images(2, (16, 16), empty_fraction=1.0), ValueError, "empty_fraction"),
    (lambda: lesion_images(2, (16, 16), lesions_per_image=0.5), ValueError, "lesions_per"),
    (lambda: lesion_images(2, (16, 16), irregularity=1.0), ValueError, "irregularity"),
    (lambda: lesion_images(2, (16, 16), seed=-1), ValueError, "seed"),
    (lambda: vessel_images(2, (16, 16), num_vessels=0), ValueError, "num_vessels"),
    (lambda: vessel_images(2, (16, 16), num_vessels=2**40), ValueError, "num_vessels"),
    (lambda: vessel_images(2, (16, 16), width=(3.0, 1.0)), ValueError, "width"),
    (lambda: vessel_images(2, (16, 16), width=2.0), TypeError, "width"),
    (lambda: task_splits("cells"), ValueError, "task"),
    (lambda: task_splits("lesions", sizes=(1, 2)), TypeError, "sizes"),
    (lambda: task_splits("lesions", sizes=(1, 0, 2)), ValueError, "sizes"),
    (lambda: task_splits("lesions", options={"seed": 1}), ValueError, "seed"),
    (lambda: task_splits("lesions", options={"bogus": 1}), TypeError, "bogus"),
    (lambda: task_splits("vessels", options=[1]), TypeError, "options"),
])
def test_bad_input(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_empty_image_has_no_lesion_and_the_inputs_are_plain():
    sim = lesion_images(3, (16, 16), foreground_fraction=0.1, empty_fraction=0.5, seed=0)
    empty = sim.masks.sum(axis=(1, 2)) == 0
    assert empty.sum() == round(0.5 * 3)
    assert np.all(np.isfinite(sim.images[empty]))
    assert sim.images.flags.writeable
