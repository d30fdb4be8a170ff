"""Tests of seglab.data.synthetic_images, the training and test images of chapter 2."""

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from scipy import ndimage

from seglab.data import synthetic_batch, synthetic_images


def test_labels_are_the_blobs_of_synthetic_batch():
    images, labels = synthetic_images(5, (32, 40), foreground_fraction=[0.05, 0.1, 0.2, 0.3,
                                                                        0.1], num_objects=2,
                                      seed=7)
    masks = synthetic_batch(5, (32, 40), foreground_fraction=[0.05, 0.1, 0.2, 0.3, 0.1],
                            num_objects=2, seed=7)
    assert images.shape == labels.shape == (5, 32, 40)
    assert images.dtype == np.float64 and labels.dtype == np.int64
    assert_array_equal(labels, masks.astype(np.int64))


def test_noise_free_image_is_the_scaled_label_map():
    """With blur = noise = texture = 0: I = contrast * y / (K - 1), exactly."""
    images, labels = synthetic_images(3, (24, 24), num_objects=5, num_classes=4, contrast=3.0,
                                      blur=0.0, noise=0.0, texture=0.0, seed=2)
    assert_allclose(images, 3.0 * labels / 3.0, rtol=0, atol=1e-15)


def test_classes_cycle_over_connected_components():
    _, labels = synthetic_images(4, (64, 64), foreground_fraction=0.1, num_objects=4,
                                 num_classes=3, seed=3)
    for image_labels in labels:
        components, count = ndimage.label(image_labels > 0)
        for j in range(1, count + 1):
            assert set(np.unique(image_labels[components == j])) == {1 + (j - 1) % 2}


def test_noise_and_texture_have_the_stated_spread():
    images, labels = synthetic_images(8, (64, 64), contrast=0.0, noise=0.0, texture=0.4,
                                      seed=4)
    assert_allclose(images.mean(axis=(1, 2)), 0.0, atol=1e-12)
    assert_allclose(images.std(axis=(1, 2)), 0.4, rtol=1e-12)
    noisy, _ = synthetic_images(8, (64, 64), contrast=0.0, noise=0.5, texture=0.0, seed=4)
    assert abs(noisy.std() - 0.5) < 0.01  # 32768 samples: standard error about 0.002


def test_deterministic_and_seed_dependent():
    a = synthetic_images(2, (16, 16), seed=5)
    b = synthetic_images(2, (16, 16), seed=5)
    c = synthetic_images(2, (16, 16), seed=6)
    assert_array_equal(a[0], b[0])
    assert_array_equal(a[1], b[1])
    assert not np.array_equal(a[0], c[0])


def test_validation():
    with pytest.raises(ValueError, match="num_classes must be an int >= 2"):
        synthetic_images(1, (8, 8), num_classes=1)
    with pytest.raises(ValueError, match="noise must lie in"):
        synthetic_images(1, (8, 8), noise=-0.1)
    with pytest.raises(ValueError, match="texture_scale must lie in"):
        synthetic_images(1, (8, 8), texture_scale=0.0)
    with pytest.raises(ValueError, match="contrast must not be NaN"):
        synthetic_images(1, (8, 8), contrast=float("nan"))
    with pytest.raises(ValueError, match="foreground_fraction must lie in"):
        synthetic_images(1, (8, 8), foreground_fraction=1.0)
    with pytest.raises(ValueError, match="num_images must be an int >= 1"):
        synthetic_images(0, (8, 8))
    with pytest.raises(TypeError, match="seed must be an int"):
        synthetic_images(1, (8, 8), seed=1.5)
