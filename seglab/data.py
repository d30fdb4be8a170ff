r"""Reproducible data for the book: synthetic masks, posterior maps, noisy predictions.

Every generator is deterministic for a given ``seed`` (a non-negative integer fed to
:func:`numpy.random.default_rng`), hits its advertised pixel counts exactly rather
than in expectation, and works for images of any number of dimensions.

* :func:`synthetic_mask`, :func:`synthetic_batch`: compact blobs with an exact
  foreground fraction (the class prior :math:`\pi` of the chapter);
* :func:`posterior_map`: a smooth map :math:`\eta(x) \in (0, 1)` that plays the role of
  :math:`P(y = 1 \mid x)`;
* :func:`sample_labels`: labels drawn from a posterior map;
* :func:`noisy_prediction`: a prediction with exact true- and false-positive counts;
* :func:`horse`: the scikit-image horse silhouette as a real-shaped mask;
* :func:`synthetic_images`: noisy, textured grey images of blobs with their label maps,
  the training and test sets of chapter 2's models;
* :func:`lesion_images`, :func:`vessel_images`, :func:`task_splits`: the experiments'
  simulated tasks with known truth (lesions of log-normal size; thin branching vessels)
  and their fixed train, validation and test sets.
* :func:`write_synthetic_dataset`: folders of prediction and reference files (NIfTI, PNG,
  NPY) with empty cases and several lesions per case, the input of
  :func:`seglab.evaluation.evaluate_dataset`.

Explained in the book, chapter 1 (``book/ch1``).
"""

import functools
import math
import numbers
from typing import NamedTuple

import numpy as np
from scipy import ndimage, spatial

from ._validation import as_label_array, check_int, check_probabilities, check_real

__all__ = [
    "coins_case",
    "disk_with_outlier",
    "edge_case",
    "horse",
    "horse_case",
    "Lesions",
    "lesion_images",
    "noisy_prediction",
    "posterior_case",
    "posterior_map",
    "sample_labels",
    "step_signal",
    "synthetic_batch",
    "synthetic_images",
    "synthetic_mask",
    "task_splits",
    "vessel_images",
    "write_synthetic_dataset",
]

# Logits are clipped to this magnitude so that eta = sigmoid(logit) stays strictly inside
# (0, 1) in float64 (sigmoid(37) already rounds to 1.0).
_MAX_LOGIT = 30.0
# Largest number of pixels of one synthetic image, and of a whole synthetic batch: 2**26
# float64 values are 512 MiB; beyond that a call is refused instead of attempted.
_MAX_PIXELS = 2**26
# Largest number of classes of synthetic_images (labels of 16 bits).
_MAX_CLASSES = 2**16
# Candidate centres drawn per blob by the best-candidate rule that spreads blobs apart.
_CENTRE_CANDIDATES = 32


# --------------------------------------------------------------------------- helpers


def _rng(seed):
    return np.random.default_rng(check_int(seed, "seed", low=0))


def _check_shape(shape):
    if isinstance(shape, numbers.Integral) and not isinstance(shape, bool):
        shape = (shape,)
    try:
        entries = tuple(shape)
    except TypeError:
        raise TypeError(f"shape must be a tuple of positive integers, got {shape!r}") from None
    if not entries:
        raise ValueError("shape must have at least one dimension, got ()")
    for n in entries:
        if isinstance(n, bool) or not isinstance(n, numbers.Integral):
            raise TypeError(f"shape must be a tuple of positive integers, got {shape!r}")
        if n < 1:
            raise ValueError(f"shape entries must be positive, got {shape!r}")
    entries = tuple(int(n) for n in entries)
    _check_pixels(*entries)
    return entries


def _check_pixels(*shape):
    """Refuse a (checked) shape of more than ``_MAX_PIXELS`` pixels."""
    if math.prod(shape) > _MAX_PIXELS:
        raise ValueError(f"shape must have at most {_MAX_PIXELS} pixels, got {shape!r}")


def _check_fraction(value, name="foreground_fraction"):
    return check_real(value, name, low=0.0, high=1.0, low_open=True, high_open=True)


def _check_binary(mask, name):
    """Return a binary label map (bool, int 0/1) as a bool array; no copy of a bool input."""
    arr = as_label_array(mask, name)
    if arr.min() < 0 or arr.max() > 1:
        raise ValueError(
            f"{name} must be binary (values 0 and 1), got values in [{arr.min()}, {arr.max()}]"
        )
    return arr.astype(bool)


def _ball_radius(volume, ndim):
    """Radius of the ndim-dimensional Euclidean ball of the given volume."""
    unit = math.pi ** (ndim / 2) / math.gamma(ndim / 2 + 1)
    return (volume / unit) ** (1.0 / ndim)


def _spread_centres(shape, num_objects, radius, rng):
    """Blob centres inside the image, kept ``radius`` from the border when the image allows
    it, and spread apart by Mitchell's best-candidate rule (each new centre is the candidate
    farthest from the centres already placed)."""
    extent = np.asarray(shape, dtype=np.float64) - 1.0
    low = np.minimum(radius, extent / 2.0)
    high = extent - low
    centres = low + (high - low) * rng.random((1, len(shape)))
    for _ in range(1, num_objects):
        candidates = low + (high - low) * rng.random((_CENTRE_CANDIDATES, len(shape)))
        gaps = np.linalg.norm(candidates[:, None, :] - centres[None, :, :], axis=-1).min(axis=1)
        centres = np.vstack([centres, candidates[np.argmax(gaps)]])
    return centres


def _blob_mask(shape, fraction, num_objects, rng):
    size = math.prod(shape)
    count = max(1, round(fraction * size))
    if num_objects > count:
        raise ValueError(
            f"num_objects={num_objects} exceeds the {count} foreground pixel(s) of "
            f"foreground_fraction={fraction!r} on shape {shape}"
        )
    sizes = np.full(num_objects, count // num_objects)
    sizes[: count % num_objects] += 1
    centres = _spread_centres(shape, num_objects, _ball_radius(sizes[0], len(shape)), rng)
    grid = np.ogrid[tuple(slice(0, n) for n in shape)]
    claimed = np.zeros(size, dtype=bool)
    for centre, blob_size in zip(centres, sizes, strict=True):
        dist2 = sum((axis - c) ** 2 for axis, c in zip(grid, centre, strict=True))
        dist2 = np.broadcast_to(dist2, shape).astype(np.float64).ravel()
        dist2[claimed] = np.inf
        # The blob_size unclaimed pixels nearest to the centre; ties in distance go to the
        # smaller flat index (stable sort), so the result is deterministic.
        cutoff = np.partition(dist2, blob_size - 1)[blob_size - 1]
        near = np.flatnonzero(dist2 <= cutoff)
        chosen = near[np.argsort(dist2[near], kind="stable")[:blob_size]]
        claimed[chosen] = True
    return claimed.reshape(shape)


# ------------------------------------------------------------------------ masks


def synthetic_mask(shape=(128, 128), *, foreground_fraction=0.1, num_objects=1, seed=0):
    r"""Binary mask of compact blobs with an exact number of foreground pixels.

    Parameters
    ----------
    shape : tuple of int, optional
        Image shape, any number of dimensions (an int gives a 1-D image).
    foreground_fraction : float, optional
        Target fraction :math:`\pi` of foreground pixels, in the open interval (0, 1).
    num_objects : int, optional
        Number of blobs, at least 1 and at most the number of foreground pixels.
    seed : int, optional
        Non-negative seed of the random blob positions.

    Returns
    -------
    ndarray of bool
        Mask of the given shape with exactly
        ``max(1, round(foreground_fraction * size))`` True pixels.

    Raises
    ------
    ValueError
        ``foreground_fraction`` outside (0, 1) or not finite; ``num_objects < 1`` or
        more objects than foreground pixels; a non-positive shape entry or a shape of
        more than 2**26 pixels; negative seed.
    TypeError
        ``num_objects``, ``seed`` or a shape entry that is not an integer.

    Notes
    -----
    The :math:`k` foreground pixels are split into ``num_objects`` blobs whose sizes
    differ by at most one. Centres are drawn with a seeded generator inside the image,
    one ball radius from the border when it fits, and spread apart (each new centre is
    the best of several random candidates: the farthest from the centres already
    placed). Each blob in turn takes exactly its number of not yet taken pixels nearest
    to its centre, ties broken by a stable sort on the flat index — a digital ball when
    it fits, and the exact count in every case. Blobs usually do not touch, but nothing
    forbids it when the foreground fraction is large.

    Explained in the book, chapter 1 (``book/ch1``).

    Examples
    --------
    >>> from seglab.data import synthetic_mask
    >>> mask = synthetic_mask((256, 256), foreground_fraction=0.001, num_objects=2)
    >>> mask.dtype, mask.shape, int(mask.sum())  # round(0.001 * 65536) = 66
    (dtype('bool'), (256, 256), 66)
    >>> int(synthetic_mask((32, 32, 32), foreground_fraction=0.05).sum())
    1638
    """
    shape = _check_shape(shape)
    fraction = _check_fraction(foreground_fraction)
    num_objects = check_int(num_objects, "num_objects", low=1)
    return _blob_mask(shape, fraction, num_objects, _rng(seed))


def synthetic_batch(num_images, shape, *, foreground_fraction, num_objects=1, seed=0):
    r"""Stack of independent :func:`synthetic_mask` images, shape ``(num_images, *shape)``.

    Parameters
    ----------
    num_images : int
        Number of images, at least 1.
    shape : tuple of int
        Shape of each image.
    foreground_fraction : float or sequence of float
        Foreground fraction in (0, 1), one for all images or one per image (a
        sequence of length ``num_images``), e.g. to mix small and large objects.
    num_objects : int, optional
        Blobs per image.
    seed : int, optional
        Non-negative seed; image ``i`` uses the ``i``-th child of
        ``numpy.random.SeedSequence(seed)``, so images are independent and the batch is
        reproducible.

    Returns
    -------
    ndarray of bool
        Array of shape ``(num_images, *shape)``; image ``i`` has exactly
        ``max(1, round(foreground_fraction[i] * prod(shape)))`` foreground pixels.

    Raises
    ------
    ValueError, TypeError
        As :func:`synthetic_mask`; ``num_images < 1``; a fraction sequence of the
        wrong length; ``num_images * prod(shape)`` above 2**26 pixels.

    Explained in the book, chapter 1 (``book/ch1``).

    Examples
    --------
    >>> from seglab.data import synthetic_batch
    >>> batch = synthetic_batch(3, (64, 64), foreground_fraction=[0.01, 0.1, 0.3])
    >>> batch.shape, batch.sum(axis=(1, 2)).tolist()
    ((3, 64, 64), [41, 410, 1229])
    """
    shape = _check_shape(shape)
    num_images = check_int(num_images, "num_images", low=1,
                           high=_MAX_PIXELS // math.prod(shape))
    num_objects = check_int(num_objects, "num_objects", low=1)
    if np.ndim(foreground_fraction) == 0:
        fractions = [_check_fraction(foreground_fraction)] * num_images
    else:
        fractions = [_check_fraction(f) for f in foreground_fraction]
        if len(fractions) != num_images:
            raise ValueError(
                f"foreground_fraction has {len(fractions)} entries for "
                f"num_images={num_images}"
            )
    children = np.random.SeedSequence(check_int(seed, "seed", low=0)).spawn(num_images)
    return np.stack(
        [
            _blob_mask(shape, fraction, num_objects, np.random.default_rng(child))
            for fraction, child in zip(fractions, children, strict=True)
        ]
    )


def horse():
    r"""The scikit-image horse silhouette as a boolean mask, horse = True.

    Returns
    -------
    ndarray of bool
        A fresh array of shape (328, 400) with 43 412 foreground (horse) pixels out of
        131 200: foreground fraction :math:`43412/131200 \approx 0.3309`.

    Notes
    -----
    :func:`skimage.data.horse` stores the silhouette as False (black) on a True
    (white) background; this function returns its complement, so the horse — the
    minority class — is the foreground.

    Explained in the book, chapter 1 (``book/ch1``).

    Examples
    --------
    >>> from seglab.data import horse
    >>> mask = horse()
    >>> mask.shape, int(mask.sum()), round(float(mask.mean()), 4)
    ((328, 400), 43412, 0.3309)
    >>> bool(mask[0, 0])  # the corner is background
    False
    """
    from skimage.data import horse as _skimage_horse

    return ~_skimage_horse().astype(bool)


# -------------------------------------------------------------- posteriors, labels


def posterior_map(mask, *, blur=2.0, gain=4.0, noise=1.0, seed=0):
    r"""Smooth posterior map :math:`\eta(x) \in (0, 1)` around a binary mask.

    Parameters
    ----------
    mask : array_like of bool or int
        Binary mask (0/1), any shape.
    blur : float, optional
        Standard deviation (pixels) of the Gaussian blur of the mask and of the noise
        field, :math:`\ge 0` (0: no blur, white noise).
    gain : float, optional
        Logit scale, :math:`\ge 0`: deep inside the mask (far outside)
        :math:`\eta \approx \sigma(\pm\text{gain})` without noise.
    noise : float, optional
        Standard deviation of the smooth Gaussian noise added to the logit,
        :math:`\ge 0`. With ``noise=0`` the map is deterministic (``seed`` unused).
    seed : int, optional
        Non-negative seed of the noise.

    Returns
    -------
    ndarray of float64
        :math:`\eta`, same shape as ``mask``, every value strictly inside (0, 1).

    Raises
    ------
    ValueError
        Non-binary or empty ``mask``; negative or non-finite ``blur``, ``gain``,
        ``noise``; negative seed.
    TypeError
        ``mask`` not an integer or boolean array; non-real options.

    Notes
    -----

    .. math::

        \eta &= \sigma\bigl(\mathrm{clip}(\text{gain}\,(2 (G_b * m) - 1)
        + \text{noise}\cdot z,\ -30,\ 30)\bigr), \\
        \sigma(u) &= \frac{1}{1 + e^{-u}},

    where :math:`G_b * m` is the mask blurred by :func:`scipy.ndimage.gaussian_filter`
    (``sigma=blur``, reflecting borders), so :math:`2(G_b*m) - 1 \in [-1, 1]` is a
    signed mask that crosses 0 at the object boundary (:math:`\eta \approx 1/2` there),
    and :math:`z` is white Gaussian noise blurred the same way and then standardised
    to mean 0 and standard deviation 1 over the image. The clip keeps
    :math:`\eta \in [\sigma(-30), \sigma(30)] \subset (0, 1)` in floating point.

    Explained in the book, chapter 1 (``book/ch1/decisions.md``).

    Examples
    --------
    >>> from seglab.data import posterior_map, synthetic_mask
    >>> mask = synthetic_mask((64, 64), foreground_fraction=0.2)
    >>> eta = posterior_map(mask, noise=0.0)
    >>> eta.dtype, bool(0 < eta.min()), bool(eta.max() < 1)
    (dtype('float64'), True, True)
    >>> round(float(eta.max()), 4)  # sigmoid(4) deep inside the blob
    0.982
    """
    m = _check_binary(mask, "mask")
    blur = check_real(blur, "blur", low=0.0, high=np.inf, high_open=True)
    gain = check_real(gain, "gain", low=0.0, high=np.inf, high_open=True)
    noise = check_real(noise, "noise", low=0.0, high=np.inf, high_open=True)
    rng = _rng(seed)
    signed = 2.0 * ndimage.gaussian_filter(m.astype(np.float64), sigma=blur) - 1.0
    logit = gain * signed
    if noise > 0:
        z = ndimage.gaussian_filter(rng.standard_normal(m.shape), sigma=blur)
        z -= z.mean()
        spread = z.std()
        if spread > 0:
            logit = logit + noise * (z / spread)
    return 1.0 / (1.0 + np.exp(-np.clip(logit, -_MAX_LOGIT, _MAX_LOGIT)))


def sample_labels(prob, *, seed=0):
    r"""Draw labels :math:`y(x) \sim \mathrm{Bernoulli}(\eta(x))`, independently per pixel.

    Parameters
    ----------
    prob : array_like
        Probabilities :math:`\eta(x)` in [0, 1], any shape.
    seed : int, optional
        Non-negative seed.

    Returns
    -------
    ndarray of bool
        Labels of the shape of ``prob``: ``u < prob`` for ``u`` uniform on [0, 1), so
        :math:`P(y = 1) = \eta` exactly, and pixels with :math:`\eta = 0` (1) are
        always 0 (1).

    Raises
    ------
    ValueError
        ``prob`` outside [0, 1], not finite, or empty; negative seed.

    Explained in the book, chapter 1 (``book/ch1/decisions.md``).

    Examples
    --------
    >>> from seglab.data import sample_labels
    >>> sample_labels([0.0, 1.0, 0.0, 1.0]).tolist()
    [False, True, False, True]
    >>> round(float(sample_labels([0.3] * 100_000, seed=1).mean()), 2)
    0.3
    """
    prob = check_probabilities(prob, "prob")
    return _rng(seed).random(prob.shape) < prob


def noisy_prediction(target, *, tpr, fpr, seed=0):
    r"""Prediction with exactly ``round(tpr * #fg)`` true and ``round(fpr * #bg)`` false positives.

    Parameters
    ----------
    target : array_like of bool or int
        Binary ground-truth mask (0/1), any shape.
    tpr : float
        True-positive rate in [0, 1]: the fraction of foreground pixels predicted
        foreground.
    fpr : float
        False-positive rate in [0, 1]: the fraction of background pixels predicted
        foreground.
    seed : int, optional
        Non-negative seed choosing which pixels.

    Returns
    -------
    ndarray of bool
        Prediction of the shape of ``target``. The pixels are drawn uniformly without
        replacement within each class, so the empirical rates equal ``tpr`` and ``fpr``
        up to the rounding of the counts (Python's ``round``, halves to even).

    Raises
    ------
    ValueError
        Non-binary or empty ``target``; ``tpr`` or ``fpr`` outside [0, 1]; negative
        seed.
    TypeError
        ``target`` not an integer or boolean array; non-real rates.

    Notes
    -----
    A classifier of fixed quality: on a target with foreground fraction :math:`\pi`,
    its metrics are those of :func:`seglab.theory.rates_to_metrics` ``(tpr, fpr, pi)``,
    exactly when ``tpr * #fg`` and ``fpr * #bg`` are whole numbers.

    Explained in the book, chapter 1 (``book/ch1``).

    Examples
    --------
    >>> import numpy as np
    >>> from seglab.data import noisy_prediction
    >>> target = np.zeros((100, 100), dtype=bool)
    >>> target[:10] = True  # 1000 foreground pixels, 9000 background
    >>> pred = noisy_prediction(target, tpr=0.9, fpr=0.01)
    >>> int((pred & target).sum()), int((pred & ~target).sum())
    (900, 90)
    """
    t = _check_binary(target, "target")
    tpr = check_real(tpr, "tpr", low=0.0, high=1.0)
    fpr = check_real(fpr, "fpr", low=0.0, high=1.0)
    rng = _rng(seed)
    flat = t.ravel()
    foreground = np.flatnonzero(flat)
    background = np.flatnonzero(~flat)
    pred = np.zeros(flat.size, dtype=bool)
    pred[rng.choice(foreground, round(tpr * foreground.size), replace=False)] = True
    pred[rng.choice(background, round(fpr * background.size), replace=False)] = True
    return pred.reshape(t.shape)


# ---------------------------------------------------------------- images to segment


def synthetic_images(
    num_images,
    shape,
    *,
    foreground_fraction=0.1,
    num_objects=3,
    num_classes=2,
    contrast=1.0,
    blur=1.0,
    noise=0.7,
    texture=0.3,
    texture_scale=8.0,
    seed=0,
):
    r"""Grey images of blobs in noise and texture, with their label maps.

    Parameters
    ----------
    num_images : int
        Number of images, at least 1.
    shape : tuple of int
        Shape of each image (any number of dimensions; chapter 2 uses 64 x 64).
    foreground_fraction : float or sequence of float, optional
        Fraction of object pixels in (0, 1), one for all images or one per image; with
        ``num_objects`` it sets the size of each object,
        ``foreground_fraction * prod(shape) / num_objects`` pixels.
    num_objects : int, optional
        Blobs per image, at least 1.
    num_classes : int, optional
        :math:`K \ge 2`: background 0 and object classes :math:`1, \dots, K - 1`.
    contrast : float, optional
        Intensity step between the background and class :math:`K - 1`, :math:`\ge 0`.
    blur : float, optional
        Standard deviation (pixels) of the Gaussian blur of the object edges,
        :math:`\ge 0`.
    noise : float, optional
        Standard deviation of the white Gaussian noise, :math:`\ge 0`.
    texture : float, optional
        Standard deviation of a smooth random background field (clutter, uneven
        illumination), :math:`\ge 0`.
    texture_scale : float, optional
        Correlation length (pixels) of that field, :math:`> 0`.
    seed : int, optional
        Non-negative seed.

    Returns
    -------
    images : ndarray of float64, shape (num_images, ...)
    labels : ndarray of int64, shape (num_images, ...)
        Label maps in :math:`\{0, \dots, K - 1\}`; image ``i`` has exactly the object
        pixels of ``synthetic_batch(num_images, shape, foreground_fraction=...,
        num_objects=..., seed=seed)[i]``.

    Raises
    ------
    ValueError, TypeError
        As :func:`synthetic_batch`; ``num_classes`` outside [2, 2**16]; a negative or non-finite
        ``contrast``, ``blur``, ``noise`` or ``texture``; a non-positive
        ``texture_scale``.

    Notes
    -----
    The objects are the blobs of :func:`synthetic_batch`. With :math:`K > 2` classes,
    the connected components of an image (numbered by :func:`scipy.ndimage.label`,
    in raster order) take the classes :math:`1, 2, \dots, K - 1, 1, \dots` in turn.
    With :math:`y` the label map, :math:`G_b` the Gaussian blur of standard deviation
    ``blur``, :math:`t` a white Gaussian field blurred with standard deviation
    ``texture_scale`` and standardised to mean 0 and standard deviation 1 over the
    image, and :math:`z` white standard Gaussian noise, the image is

    .. math::

        I = \text{contrast}\cdot G_b * \frac{y}{K - 1}
        + \text{texture}\cdot t + \text{noise}\cdot z .

    A single pixel's intensity is then ambiguous when ``noise`` or ``texture`` is
    comparable to the contrast, while the neighbourhood (a blurred image, its
    derivatives) separates the classes: the task a filter bank or a convolution
    learns. The masks use the stream of ``seed`` that :func:`synthetic_batch` uses;
    the texture and noise use an independent one (``default_rng([seed, 1])``).

    Explained in the book, chapter 2 (``book/ch2``).

    Examples
    --------
    >>> from seglab.data import synthetic_images
    >>> images, labels = synthetic_images(4, (64, 64), foreground_fraction=0.1, seed=1)
    >>> images.shape, images.dtype, labels.dtype
    ((4, 64, 64), dtype('float64'), dtype('int64'))
    >>> labels.sum(axis=(1, 2)).tolist()  # round(0.1 * 4096) object pixels each
    [410, 410, 410, 410]
    >>> _, labels = synthetic_images(1, (64, 64), num_objects=4, num_classes=3)
    >>> sorted(set(labels.ravel().tolist()))
    [0, 1, 2]
    """
    num_images = check_int(num_images, "num_images", low=1)
    num_classes = check_int(num_classes, "num_classes", low=2, high=_MAX_CLASSES)
    contrast = check_real(contrast, "contrast", low=0.0, high=np.inf, high_open=True)
    blur = check_real(blur, "blur", low=0.0, high=np.inf, high_open=True)
    noise = check_real(noise, "noise", low=0.0, high=np.inf, high_open=True)
    texture = check_real(texture, "texture", low=0.0, high=np.inf, high_open=True)
    texture_scale = check_real(
        texture_scale, "texture_scale", low=0.0, high=np.inf, low_open=True, high_open=True
    )
    seed = check_int(seed, "seed", low=0)
    masks = synthetic_batch(
        num_images, shape, foreground_fraction=foreground_fraction,
        num_objects=num_objects, seed=seed,
    )
    spatial = tuple(range(1, masks.ndim))
    if num_classes == 2:
        labels = masks.astype(np.int64)
    else:
        labels = np.zeros(masks.shape, dtype=np.int64)
        for i, mask in enumerate(masks):
            components, _ = ndimage.label(mask)
            labels[i][mask] = 1 + (components[mask] - 1) % (num_classes - 1)
    rng = np.random.default_rng([seed, 1])
    mean = ndimage.gaussian_filter(labels / (num_classes - 1.0), blur, axes=spatial)
    field = ndimage.gaussian_filter(rng.standard_normal(masks.shape), texture_scale,
                                    axes=spatial)
    field -= field.mean(axis=spatial, keepdims=True)
    spread = field.std(axis=spatial, keepdims=True)
    field = np.divide(field, spread, out=np.zeros_like(field), where=spread > 0)
    images = contrast * mean + texture * field + noise * rng.standard_normal(masks.shape)
    return images, labels


# ------------------------------------------------------------------ the book's test cases
#
# Small fixed cases that a chapter's checks, its figures and the tests share. Cached ones
# return read-only arrays, so that no caller can change what the next one receives.


def disk_with_outlier(distance, radius, *, shape=(96, 96)):
    r"""A disk and the same disk plus one isolated pixel on its middle row.

    Parameters
    ----------
    distance : int
        Distance (pixels, at least 2) from the disk's rightmost pixel to the extra pixel,
        along the row of the centre.
    radius : int
        Radius (pixels, at least 1) of the disk
        :math:`\{(i - c_0)^2 + (j - c_1)^2 \le r^2\}`, centred at
        ``(shape[0] // 2, shape[1] // 3)``.
    shape : tuple of two int, optional
        Image shape; the disk and the extra pixel must fit in it.

    Returns
    -------
    pred : ndarray of bool
        The disk plus the pixel at ``(c_0, c_1 + radius + distance)``.
    target : ndarray of bool
        The disk.

    Raises
    ------
    TypeError
        If ``distance`` or ``radius`` is not an integer.
    ValueError
        If ``distance < 2``, ``radius < 1``, the disk or the outlier falls outside the
        image (the message names the largest distance that fits), or ``shape`` has more
        than 2**26 pixels.

    Notes
    -----
    The extra pixel is isolated (its four neighbours lie outside the prediction), so it is
    a border pixel of ``pred``: the Hausdorff distance of the pair is ``distance`` and
    Dice is :math:`2|G|/(2|G| + 1)` whatever the distance.

    Explained in the book, chapter 1 (``book/ch1/boundary.md``).

    Examples
    --------
    >>> from seglab.data import disk_with_outlier
    >>> pred, target = disk_with_outlier(8, 12)
    >>> int(target.sum()), int((pred & ~target).sum()), [int(i) for i in
    ...                                                  (pred & ~target).nonzero()[1]]
    (441, 1, [52])
    """
    distance = check_int(distance, "distance", low=2)
    radius = check_int(radius, "radius", low=1)
    if np.ndim(shape) != 1 or len(shape) != 2:
        raise ValueError(f"shape must be a pair (rows, columns), got {shape!r}")
    rows, cols = (check_int(n, "shape", low=1) for n in shape)
    _check_pixels(rows, cols)
    centre = (rows // 2, cols // 3)
    far = cols - 1 - centre[1] - radius
    if distance > far or 2 * radius + 1 > min(rows, cols):
        raise ValueError(
            f"an outlier at distance {distance} from a disk of radius {radius} does not fit "
            f"in an image of shape {(rows, cols)} (largest distance {far})"
        )
    i, j = np.ogrid[:rows, :cols]
    target = (i - centre[0]) ** 2 + (j - centre[1]) ** 2 <= radius**2
    pred = target.copy()
    pred[centre[0], centre[1] + radius + distance] = True
    return pred, target


@functools.lru_cache(maxsize=64)
def posterior_case(shape=(96, 96), *, foreground_fraction=0.1, noise=1.0, seed=0):
    r"""A synthetic mask and its posterior map: the test case of the threshold sliders.

    Parameters
    ----------
    shape : tuple of int, optional
        Image shape, as :func:`synthetic_mask`.
    foreground_fraction : float, optional
        Exact foreground fraction of the mask, in (0, 1).
    noise : float, optional
        Noise of the posterior map (:func:`posterior_map`, other options at their
        defaults).
    seed : int, optional
        Seed of the mask and of the noise.

    Returns
    -------
    mask : ndarray of bool
        :func:`synthetic_mask` with these options (read-only).
    eta : ndarray of float64
        :func:`posterior_map` of ``mask`` (read-only).

    Raises
    ------
    TypeError
        If ``shape`` is not a tuple of integers (it must be hashable).
    ValueError
        As :func:`synthetic_mask` and :func:`posterior_map`.

    Notes
    -----
    Cached by its arguments: repeated calls return the same read-only arrays.

    Explained in the book, chapter 1 (``book/ch1/decisions.md``).

    Examples
    --------
    >>> from seglab.data import posterior_case
    >>> mask, eta = posterior_case(foreground_fraction=0.05)
    >>> mask.shape, int(mask.sum()), eta.flags.writeable
    ((96, 96), 461, False)
    """
    mask = synthetic_mask(shape, foreground_fraction=foreground_fraction, seed=seed)
    eta = posterior_map(mask, noise=noise, seed=seed)
    for a in (mask, eta):
        a.setflags(write=False)
    return mask, eta


@functools.lru_cache(maxsize=8)
def horse_case(shape=(30, 36), *, gain=2.0, noise=1.2, seed=3):
    r"""A small segmentation test case: horse target, noisy posterior and a grey image.

    Parameters
    ----------
    shape : tuple of two int, optional
        Size (rows, columns) the horse of :func:`horse` is resampled to (nearest
        neighbour), at least (8, 8).
    gain, noise : float, optional
        Passed to :func:`posterior_map` (with ``blur=1``).
    seed : int, optional
        Seed of the posterior noise and of the image noise.

    Returns
    -------
    target : ndarray of bool, shape ``shape``
        The resampled horse (read-only).
    eta : ndarray of float64, shape ``shape``
        The posterior :math:`\eta \in (0, 1)` (read-only).
    image : ndarray of float64, shape ``shape``
        A grey image in [0, 255]: 150 on the horse, 100 elsewhere, plus Gaussian noise
        of standard deviation 10 (read-only); its edges are the object's edges.

    Raises
    ------
    ValueError
        If ``shape`` is smaller than (8, 8) or the options are out of range.

    Notes
    -----
    Cached by its arguments: repeated calls return the same read-only arrays.

    Explained in the book, chapter 3 (``book/ch3/crf.md``).

    Examples
    --------
    >>> from seglab.data import horse_case
    >>> target, eta, image = horse_case()
    >>> target.shape, eta.shape, image.shape
    ((30, 36), (30, 36), (30, 36))
    >>> bool(0 < eta.min() and eta.max() < 1)
    True
    """
    from skimage.transform import resize

    rows, cols = (int(s) for s in shape)
    if rows < 8 or cols < 8:
        raise ValueError(f"shape {shape} is smaller than (8, 8)")
    target = resize(horse().astype(np.float64), (rows, cols), order=0,
                    anti_aliasing=False) > 0.5
    eta = posterior_map(target, blur=1.0, gain=gain, noise=noise, seed=seed)
    rng = np.random.default_rng(seed)
    image = np.clip(np.where(target, 150.0, 100.0) + 10.0 * rng.standard_normal(target.shape),
                    0.0, 255.0)
    for a in (target, eta, image):
        a.setflags(write=False)
    return target, eta, image


@functools.lru_cache(maxsize=8)
def coins_case(shape=(120, 152), *, gain=2.0, noise=1.2, seed=3):
    r"""A real photograph as a segmentation test case: coins, their mask and a noisy posterior.

    The image is scikit-image's bundled ``coins`` photograph (303 × 384, greyscale; shipped
    with the package, nothing is downloaded), resized; the target is its Otsu threshold
    (coins brighter than the background) and the posterior a noisy, blurred version of
    the target, as in :func:`horse_case`.

    Parameters
    ----------
    shape : tuple of two int, optional
        Size (rows, columns) the photograph is resized to (anti-aliased), at least (8, 8).
    gain, noise : float, optional
        Passed to :func:`posterior_map` (with ``blur=1``).
    seed : int, optional
        Seed of the posterior noise.

    Returns
    -------
    target : ndarray of bool, shape ``shape``
        :math:`\{x : I(x) > t_{\mathrm{Otsu}}\}` of the resized photograph :math:`I`
        (read-only).
    eta : ndarray of float64, shape ``shape``
        The posterior :math:`\eta \in (0, 1)` (read-only).
    image : ndarray of float64, shape ``shape``
        The resized photograph in [0, 255] (read-only); its edges are the coins' edges
        and the shading of the coins' faces.

    Raises
    ------
    ValueError
        If ``shape`` is smaller than (8, 8) or the options are out of range.

    Notes
    -----
    Cached by its arguments: repeated calls return the same read-only arrays. At the
    default size the exact dense-CRF kernels (:math:`O(N^2)`) are slow; use
    ``method='fast'``.

    Explained in the book, chapter 3 (``book/ch3/crf.md``), and used by the classroom
    dashboard (``notebooks/dashboard.ipynb``).

    Examples
    --------
    >>> from seglab.data import coins_case
    >>> target, eta, image = coins_case()
    >>> target.shape, eta.shape, image.shape
    ((120, 152), (120, 152), (120, 152))
    >>> bool(0.2 < target.mean() < 0.6 and 0 < eta.min() and eta.max() < 1)
    True
    """
    from skimage.data import coins
    from skimage.filters import threshold_otsu
    from skimage.transform import resize

    rows, cols = (int(s) for s in shape)
    if rows < 8 or cols < 8:
        raise ValueError(f"shape {shape} is smaller than (8, 8)")
    image = resize(coins().astype(np.float64), (rows, cols), anti_aliasing=True,
                   preserve_range=True)
    image = np.clip(image, 0.0, 255.0)
    target = image > threshold_otsu(image)
    eta = posterior_map(target, blur=1.0, gain=gain, noise=noise, seed=seed)
    for a in (target, eta, image):
        a.setflags(write=False)
    return target, eta, image


@functools.lru_cache(maxsize=4)
def step_signal(n=128, *, seed=0):
    r"""A noisy step: the 1-D signal on which chapter 3 compares smoothing models.

    Parameters
    ----------
    n : int, optional
        Number of samples (at least 4); the step is at ``n // 2``.
    seed : int, optional
        Seed of the Gaussian noise (standard deviation 0.12).

    Returns
    -------
    x, clean, noisy : ndarray of float64, shape (n,)
        Pixel index, the step from 0.1 to 0.9, and the noisy step clipped to [0, 1]
        (all read-only).

    Raises
    ------
    ValueError
        If ``n < 4`` or ``n > 2**26``.

    Notes
    -----
    Cached by its arguments: repeated calls return the same read-only arrays.

    Explained in the book, chapter 3 (``book/ch3/tv.md``).

    Examples
    --------
    >>> from seglab.data import step_signal
    >>> x, clean, noisy = step_signal()
    >>> x.shape, float(clean[0]), float(clean[-1])
    ((128,), 0.1, 0.9)
    """
    if int(n) != n or n < 4:
        raise ValueError(f"n must be an integer >= 4, got {n!r}")
    n = int(n)
    if n > _MAX_PIXELS:
        raise ValueError(f"n must be at most {_MAX_PIXELS}, got {n}")
    rng = np.random.default_rng(seed)
    x = np.arange(n, dtype=np.float64)
    clean = (x >= n // 2).astype(np.float64) * 0.8 + 0.1
    noisy = np.clip(clean + 0.12 * rng.standard_normal(n), 0.0, 1.0)
    for a in (x, clean, noisy):
        a.setflags(write=False)
    return x, clean, noisy


@functools.lru_cache(maxsize=4)
def edge_case(shape=(20, 40), *, object_edge=16, colour_edge=22, noise=0.8, seed=0):
    r"""A test case whose object edge is not its colour edge.

    Parameters
    ----------
    shape : tuple of two int, optional
        (rows, columns), at least (4, 8).
    object_edge, colour_edge : int, optional
        The object is the columns ``>= object_edge``; the image is 60 left of
        ``colour_edge`` and 200 from it on (grey levels). Both strictly inside the image.
    noise : float, optional
        Standard deviation of the white noise added to the logit (:math:`\ge 0`).
    seed : int, optional
        Seed of that noise.

    Returns
    -------
    target : ndarray of bool
        The object (read-only).
    eta : ndarray of float64
        Posterior :math:`\sigma(1.2\,\mathrm{clip}((x - e + 1/2)/3, -1, 1) + \text{noise})`,
        blurred around the object edge :math:`e` (read-only).
    image : ndarray of float64
        The two-level grey image (read-only).

    Raises
    ------
    ValueError
        For a too small shape or one of more than 2**26 pixels, edges outside the image
        or a negative or infinite noise.

    Notes
    -----
    Cached by its arguments: repeated calls return the same read-only arrays.

    Explained in the book, chapter 3 (``book/ch3/crf.md``).

    Examples
    --------
    >>> from seglab.data import edge_case
    >>> target, eta, image = edge_case()
    >>> int(target[0].argmax()), int((image[0] > 100).argmax())
    (16, 22)
    """
    rows, cols = (int(v) for v in shape)
    if rows < 4 or cols < 8:
        raise ValueError(f"shape {shape} is smaller than (4, 8)")
    _check_pixels(rows, cols)
    for name, edge in (("object_edge", object_edge), ("colour_edge", colour_edge)):
        if not 0 < edge < cols:
            raise ValueError(f"{name} = {edge} is not strictly inside the {cols} columns")
    noise = check_real(noise, "noise", low=0.0, high=np.inf, high_open=True)
    x = np.broadcast_to(np.arange(cols, dtype=np.float64), (rows, cols))
    target = np.array(x >= object_edge)
    image = np.where(x >= colour_edge, 200.0, 60.0)
    logit = 1.2 * np.clip((x - object_edge + 0.5) / 3.0, -1.0, 1.0)
    logit = logit + noise * np.random.default_rng(seed).standard_normal((rows, cols))
    with np.errstate(over="ignore"):  # exp(-logit) = inf gives eta = 0, its limit
        eta = 1.0 / (1.0 + np.exp(-logit))
    for a in (target, eta, image):
        a.setflags(write=False)
    return target, eta, image


# ------------------------------------------------------- simulated tasks with known truth
#
# The experiments' two tasks. Both share one image model: a textured background under a
# smooth multiplicative bias field, the object's contrast blurred by the partial-volume
# effect, and white noise.

# Largest number of pixels (over all images) a simulated task allocates: 2**26 float64
# values are 512 MiB; beyond that the call is refused instead of attempted.
_MAX_TASK_PIXELS = 2**26
# Background: a texture of standard deviation _TEXTURE and correlation length
# _TEXTURE_SCALE pixels under a bias field exp(_BIAS * b) with b of correlation length
# a quarter of the image side; the object's contrast is blurred by _PARTIAL_VOLUME pixels.
_TEXTURE, _TEXTURE_SCALE, _BIAS, _PARTIAL_VOLUME = 0.5, 1.5, 0.3, 0.7
# Relative spread (log-normal) of a lesion's contrast around ``contrast``.
_CONTRAST_SPREAD = 0.3
# No lesion takes more than this share of its image (the log-normal tail is cut there).
_MAX_LESION_SHARE = 0.25
_MAX_VESSELS = 64


class Lesions(NamedTuple):
    """Images and masks of the lesion task, with the size of every lesion drawn.

    Attributes
    ----------
    images : ndarray of float64, shape (N, H, W)
    masks : ndarray of bool, shape (N, H, W)
    sizes : ndarray of int64, shape (L,)
        Pixel count of each lesion, in the order drawn (image by image).
    image_index : ndarray of int64, shape (L,)
        The image of each lesion.

    Used by the book's experiments (``experiments/``), reported with chapter 2 (``book/ch2``).

    See Also
    --------
    lesion_images : returns it.

    Examples
    --------
    >>> from seglab.data import lesion_images
    >>> sim = lesion_images(3, (16, 16), foreground_fraction=0.1, empty_fraction=0.0)
    >>> images, masks, sizes, image_index = sim
    >>> sim.masks is masks, int(sizes.sum()) == int(masks.sum())
    (True, True)
    """

    images: np.ndarray
    masks: np.ndarray
    sizes: np.ndarray
    image_index: np.ndarray


def _check_task_shape(num_images, shape):
    num_images = check_int(num_images, "num_images", low=1)
    shape = _check_shape(shape)
    if len(shape) != 2:
        raise ValueError(f"shape must be 2-D (height, width), got {shape!r}")
    if min(shape) < 4:
        raise ValueError(f"shape entries must be at least 4, got {shape!r}")
    if num_images * math.prod(shape) > _MAX_TASK_PIXELS:
        raise ValueError(f"num_images * prod(shape) must be at most {_MAX_TASK_PIXELS} pixels, "
                         f"got {num_images} images of shape {shape}")
    return num_images, shape


def _standard_field(rng, shape, scale):
    """White Gaussian noise blurred at ``scale`` pixels, standardised to mean 0, std 1."""
    field = ndimage.gaussian_filter(rng.standard_normal(shape), scale, mode="wrap")
    field -= field.mean()
    spread = field.std()
    return field / spread if spread > 0 else field


def _render(contrast_map, rng, noise):
    r"""The image model :math:`I = e^{\beta b}\,(\tau t + G * C) + \sigma z` of one image."""
    shape = contrast_map.shape
    bias = _standard_field(rng, shape, max(shape) / 4.0)
    texture = _standard_field(rng, shape, _TEXTURE_SCALE)
    signal = ndimage.gaussian_filter(contrast_map, _PARTIAL_VOLUME)
    return (np.exp(_BIAS * bias) * (_TEXTURE * texture + signal)
            + noise * rng.standard_normal(shape))


def _lesion_pixels(shape, free, area, rng, irregularity):
    """Flat indices of the ``area`` free pixels of smallest star-shaped radius."""
    rows, cols = np.indices(shape, dtype=np.float64)
    centre = np.unravel_index(rng.choice(np.flatnonzero(free)), shape)
    dy, dx = rows - centre[0], cols - centre[1]
    theta = np.arctan2(dy, dx)
    harmonics = np.arange(2, 5)
    amplitude = irregularity * rng.dirichlet(np.ones(3)) * rng.random()
    phase = rng.uniform(0.0, 2 * np.pi, 3)
    radius = 1.0 + np.tensordot(amplitude, np.cos(harmonics[:, None, None] * theta
                                                   + phase[:, None, None]), axes=1)
    level = (np.hypot(dy, dx) / radius).ravel()
    level[~free] = np.inf
    return np.argsort(level, kind="stable")[:area]


def lesion_images(num_images, shape, *, foreground_fraction=0.02, empty_fraction=0.2,
                  lesions_per_image=3.0, size_spread=0.5, irregularity=0.6, contrast=1.5,
                  noise=0.3, seed=0):
    r"""Simulated lesions: irregular blobs of log-normal size in a textured, biased background.

    Parameters
    ----------
    num_images : int
        Number of images, at least 1.
    shape : tuple of int
        ``(height, width)``, each at least 4 (the study uses 64 x 64).
    foreground_fraction : float, optional
        Target share :math:`\pi \in (0, 1)` of lesion pixels over all the images (the
        study uses 0.005, 0.02 and 0.1), reached in expectation.
    empty_fraction : float, optional
        Share :math:`e \in [0, 1)` of images with no lesion: exactly
        ``round(e * num_images)`` of them, at random positions.
    lesions_per_image : float, optional
        Mean number :math:`\lambda \ge 1` of lesions in an image that has some.
    size_spread : float, optional
        Standard deviation :math:`s \ge 0` of the logarithm of a lesion's size.
    irregularity : float, optional
        Largest relative amplitude :math:`a \in [0, 1)` of a lesion's radial harmonics
        (0: a digital disc).
    contrast : float, optional
        Mean intensity step :math:`\mu_c \ge 0` of a lesion over the background.
    noise : float, optional
        Standard deviation :math:`\sigma \ge 0` of the white noise.
    seed : int, optional
        Non-negative seed.

    Returns
    -------
    Lesions
        ``(images, masks, sizes, image_index)``: images float64 and masks bool of shape
        ``(num_images, *shape)``, the pixel count of each lesion and its image.

    Raises
    ------
    ValueError, TypeError
        A count, fraction or amplitude out of its range or of the wrong type; a shape
        that is not 2-D, has a side below 4, or asks for more than
        :math:`2^{26}` pixels over all the images.

    Notes
    -----
    The generative model, image by image (:math:`H \times W = n` pixels):

    1. Exactly :math:`\operatorname{round}(eN)` of the :math:`N` images are empty. A
       non-empty image has :math:`K = 1 + \operatorname{Poisson}(\lambda - 1)` lesions.
    2. Sizes are log-normal, :math:`A_k = \exp(\mu + s Z_k)`, :math:`Z_k \sim N(0, 1)`,
       with :math:`\mu = \log(b / \lambda) - s^2 / 2` so that a non-empty image holds
       :math:`\mathbb{E}[\sum_k A_k] = b = \pi n N / (N - \operatorname{round}(eN))`
       pixels on average and the whole set a share :math:`\pi` of lesion pixels. A lesion
       has :math:`\min(\max(\operatorname{round} A_k, 1), \lfloor n / 4 \rfloor)` pixels,
       fewer only if the image has no room left (returned in ``sizes``).
    3. Shape: a centre :math:`c` drawn among the free pixels and a radial function
       :math:`r(\theta) = 1 + \sum_{j=2}^{4} a_j \cos(j\theta + \varphi_j)` with
       :math:`\sum_j a_j \le a`; the lesion is the :math:`A_k` free pixels of smallest
       :math:`|x - c| / r(\theta_x)` (a star-shaped, lobulated blob, cut by the border
       and by earlier lesions, which it may touch).
    4. Intensity: each lesion has contrast
       :math:`c_k = \mu_c \exp(0.3 Z'_k - 0.045)` (mean :math:`\mu_c`); with :math:`C`
       the map of the contrasts, :math:`G` a Gaussian of 0.7 px (partial volume),
       :math:`t` a texture (white noise blurred at 1.5 px) and :math:`b` a bias field
       (blurred at a quarter of the image side), both standardised, and :math:`z` white
       noise,

       .. math::

           I = e^{0.3\, b}\,\bigl(0.5\, t + G * C\bigr) + \sigma z .

       The background alone has a standard deviation of about
       :math:`\sqrt{0.25 + \sigma^2} \approx 0.58` and the bias field scales it by up to
       about :math:`e^{\pm 0.6}`, so with the default :math:`\mu_c = 1.5` (and the
       lesions' own spread of contrast) single pixels overlap, small lesions more (blur
       lowers their peak), as in lesion segmentation [1]_.

    Deterministic for a given ``seed`` (one :func:`numpy.random.default_rng` stream for
    the whole set, so image ``i`` depends on the images before it).

    Used by the book's experiments (``experiments/``), reported with chapter 2 (``book/ch2``).

    References
    ----------
    .. [1] L. Maier-Hein et al., "Metrics reloaded: recommendations for image analysis
       validation", Nature Methods 21, 195-212 (2024).

    Examples
    --------
    >>> from seglab.data import lesion_images
    >>> sim = lesion_images(8, (32, 32), foreground_fraction=0.05, empty_fraction=0.25)
    >>> sim.images.shape, sim.masks.dtype
    ((8, 32, 32), dtype('bool'))
    >>> int((sim.masks.sum(axis=(1, 2)) == 0).sum())  # round(0.25 * 8) empty images
    2
    >>> bool(sim.masks.sum() == sim.sizes.sum())      # the lesions are the mask
    True
    """
    num_images, shape = _check_task_shape(num_images, shape)
    fraction = _check_fraction(foreground_fraction)
    empty = check_real(empty_fraction, "empty_fraction", low=0.0, high=1.0, high_open=True)
    mean_count = check_real(lesions_per_image, "lesions_per_image", low=1.0, high=64.0)
    spread = check_real(size_spread, "size_spread", low=0.0, high=3.0)
    irregularity = check_real(irregularity, "irregularity", low=0.0, high=1.0, high_open=True)
    contrast = check_real(contrast, "contrast", low=0.0, high=1e6)
    noise = check_real(noise, "noise", low=0.0, high=1e6)
    rng = _rng(seed)
    n = math.prod(shape)
    num_empty = min(round(empty * num_images), num_images - 1)
    is_empty = np.zeros(num_images, dtype=bool)
    is_empty[rng.permutation(num_images)[:num_empty]] = True
    budget = fraction * n * num_images / (num_images - num_empty)
    mu = math.log(budget / mean_count) - spread**2 / 2
    cap = max(1, int(_MAX_LESION_SHARE * n))
    images = np.empty((num_images, *shape))
    masks = np.zeros((num_images, *shape), dtype=bool)
    sizes, owners = [], []
    for i in range(num_images):
        count = 0 if is_empty[i] else 1 + rng.poisson(mean_count - 1.0)
        areas = np.clip(np.rint(np.exp(mu + spread * rng.standard_normal(count))), 1, cap)
        gains = contrast * np.exp(_CONTRAST_SPREAD * rng.standard_normal(count)
                                  - _CONTRAST_SPREAD**2 / 2)
        free = np.ones(n, dtype=bool)
        contrast_map = np.zeros(n)
        for area, gain in zip(areas.astype(np.int64), gains, strict=True):
            if not free.any():
                break
            pixels = _lesion_pixels(shape, free, min(int(area), int(free.sum())), rng,
                                    irregularity)
            free[pixels] = False
            contrast_map[pixels] = gain
            sizes.append(pixels.size)
            owners.append(i)
        masks[i] = ~free.reshape(shape)
        images[i] = _render(contrast_map.reshape(shape), rng, noise)
    return Lesions(images, masks, np.asarray(sizes, dtype=np.int64),
                   np.asarray(owners, dtype=np.int64))


def _curve(start, heading, length, rng, step=0.5):
    """Points of a smooth random curve: the heading turns by a curvature that drifts."""
    count = max(2, int(length / step))
    curvature = np.cumsum(rng.normal(0.0, 0.01, count))
    curvature = np.clip(curvature, -0.15, 0.15)
    angles = heading + np.cumsum(curvature * step)
    steps = step * np.stack([np.sin(angles), np.cos(angles)], axis=1)
    return start + np.cumsum(steps, axis=0)


def vessel_images(num_images, shape, *, num_vessels=2, branches=1.5,
                  width=(1.0, 3.0), contrast=1.0, noise=0.3, seed=0):
    r"""Simulated vessels: thin branching curves 1 to 3 pixels wide in a textured background.

    Parameters
    ----------
    num_images : int
        Number of images, at least 1.
    shape : tuple of int
        ``(height, width)``, each at least 4 (the study uses 64 x 64).
    num_vessels : int, optional
        Trunks per image, from 1 to 64.
    branches : float, optional
        Mean number :math:`\beta \ge 0` of branches per trunk (Poisson).
    width : tuple of float, optional
        ``(low, high)`` with :math:`0.5 \le w_{lo} \le w_{hi} \le 8`: the trunks' widths
        are uniform on it, a branch is 0.5 to 0.9 times its trunk (at least
        :math:`w_{lo}`).
    contrast : float, optional
        Intensity step :math:`\mu_c \ge 0` of a vessel over the background.
    noise : float, optional
        Standard deviation :math:`\sigma \ge 0` of the white noise.
    seed : int, optional
        Non-negative seed.

    Returns
    -------
    images : ndarray of float64, shape ``(num_images, *shape)``
    masks : ndarray of bool, shape ``(num_images, *shape)``

    Raises
    ------
    ValueError, TypeError
        As :func:`lesion_images`; a count or width out of its range.

    Notes
    -----
    A trunk starts at a uniform point of the image border, heading at a uniform angle
    within 60° of the direction to the centre, and grows in steps of 0.5 px for up to
    three image sides, or until it leaves the image; its heading turns by a curvature
    :math:`\kappa` that performs a random walk,
    :math:`\kappa_{t+1} = \operatorname{clip}(\kappa_t + N(0, 0.01^2), \pm 0.15)`, so
    the centreline is smooth (radius of curvature at least about 7 px). Each trunk has
    :math:`\operatorname{Poisson}(\beta)` branches that leave it at a uniform point, at
    :math:`\pm` 30° to 70°, for 0.3 to 0.8 image sides. A curve of width :math:`w` is
    the set of pixel centres within :math:`w / 2` of its centreline, so a width-1 curve
    is one pixel wide and 8-connected. The image is that of :func:`lesion_images`,
    :math:`I = e^{0.3\, b}(0.5\, t + G * \mu_c \mathbf{1}_V) + \sigma z`: the thinnest
    vessels lose most of their contrast to the partial-volume blur, and their topology
    (gaps, false bridges) and boundary carry the errors that matter [1]_.

    Used by the book's experiments (``experiments/``), reported with chapter 2 (``book/ch2``).

    References
    ----------
    .. [1] S. Shit et al., "clDice - a novel topology-preserving loss function for
       tubular structure segmentation", CVPR 2021.

    Examples
    --------
    >>> from seglab.data import vessel_images
    >>> images, masks = vessel_images(2, (48, 48), seed=3)
    >>> images.shape, masks.dtype
    ((2, 48, 48), dtype('bool'))
    >>> bool(0.0 < masks.mean() < 0.3)
    True
    """
    num_images, shape = _check_task_shape(num_images, shape)
    num_vessels = check_int(num_vessels, "num_vessels", low=1, high=_MAX_VESSELS)
    branches = check_real(branches, "branches", low=0.0, high=16.0)
    if not isinstance(width, tuple | list) or len(width) != 2:
        raise TypeError(f"width must be a pair (low, high), got {width!r}")
    low = check_real(width[0], "width[0]", low=0.5, high=8.0)
    high = check_real(width[1], "width[1]", low=low, high=8.0)
    contrast = check_real(contrast, "contrast", low=0.0, high=1e6)
    noise = check_real(noise, "noise", low=0.0, high=1e6)
    rng = _rng(seed)
    extent = np.asarray(shape, dtype=np.float64) - 1.0
    side = float(max(shape))
    centres = np.indices(shape, dtype=np.float64).reshape(2, -1).T
    images = np.empty((num_images, *shape))
    masks = np.zeros((num_images, *shape), dtype=bool)
    for i in range(num_images):
        flat = np.zeros(centres.shape[0], dtype=bool)
        curves = []
        for _ in range(num_vessels):
            edge = rng.integers(4)
            u = rng.random()
            start = np.array([[0.0, u * extent[1]], [extent[0], u * extent[1]],
                              [u * extent[0], 0.0], [u * extent[0], extent[1]]][edge])
            to_centre = extent / 2 - start
            heading = math.atan2(to_centre[1], to_centre[0]) + rng.uniform(-1.0, 1.0) * math.pi / 3
            trunk_width = rng.uniform(low, high)
            trunk = _curve(start, heading, 3 * side, rng)
            inside = np.all((trunk >= -0.5) & (trunk <= extent + 0.5), axis=1)
            stop = np.argmin(inside) if not inside.all() else len(trunk)
            trunk = trunk[: max(stop, 2)]
            curves.append((trunk, trunk_width))
            for _ in range(rng.poisson(branches)):
                at = rng.integers(len(trunk) - 1)
                d = trunk[at + 1] - trunk[at]
                turn = rng.choice([-1.0, 1.0]) * rng.uniform(math.pi / 6, 7 * math.pi / 18)
                branch = _curve(trunk[at], math.atan2(d[1], d[0]) + turn,
                                rng.uniform(0.3, 0.8) * side, rng)
                curves.append((branch, max(low, trunk_width * rng.uniform(0.5, 0.9))))
        for points, w in curves:
            near = spatial.cKDTree(points).query(centres, distance_upper_bound=w / 2 + 1e-9)[0]
            flat |= near <= w / 2
        masks[i] = flat.reshape(shape)
        images[i] = _render(contrast * masks[i], rng, noise)
    return images, masks


_TASKS = {"lesions": lesion_images, "vessels": vessel_images}
_SPLITS = ("train", "validation", "test")


def task_splits(task, *, sizes=(64, 32, 64), shape=(64, 64), options=None, seed=0):
    r"""Fixed train, validation and test sets of a simulated task, by seed.

    Parameters
    ----------
    task : {'lesions', 'vessels'}
        :func:`lesion_images` or :func:`vessel_images`.
    sizes : tuple of int, optional
        Images in the train, validation and test sets, each at least 1.
    shape : tuple of int, optional
        Shape of each image.
    options : dict, optional
        Keyword options of the generator (e.g. ``{"foreground_fraction": 0.005}``),
        other than ``seed``.
    seed : int, optional
        Non-negative seed of the three sets.

    Returns
    -------
    dict
        ``{'train': ..., 'validation': ..., 'test': ...}``, each what the generator
        returns (:class:`Lesions`, or ``(images, masks)`` for vessels).

    Raises
    ------
    ValueError, TypeError
        An unknown task, sizes that are not three positive ints, an option the generator
        does not take (``TypeError``), ``seed`` among the options; as the generator.

    Notes
    -----
    Set :math:`k` (0, 1, 2 for train, validation, test) is the generator called with the
    seed ``int(numpy.random.SeedSequence([seed, k]).generate_state(1)[0])``: three
    independent streams, so the test set does not change when the training set is
    resized, and no image is in two sets.

    Used by the book's experiments (``experiments/``), reported with chapter 2 (``book/ch2``).

    Examples
    --------
    >>> from seglab.data import task_splits
    >>> splits = task_splits("lesions", sizes=(4, 2, 3), shape=(32, 32),
    ...                      options={"foreground_fraction": 0.05})
    >>> {name: split.masks.shape[0] for name, split in splits.items()}
    {'train': 4, 'validation': 2, 'test': 3}
    """
    if not isinstance(task, str) or task not in _TASKS:
        raise ValueError(f"task must be one of {sorted(_TASKS)}, got {task!r}")
    if not isinstance(sizes, tuple | list) or len(sizes) != 3:
        raise TypeError(f"sizes must be three ints (train, validation, test), got {sizes!r}")
    counts = [check_int(n, f"sizes[{k}]", low=1) for k, n in enumerate(sizes)]
    if options is None:
        options = {}
    elif not isinstance(options, dict):
        raise TypeError(f"options must be a dict, got {type(options).__name__}")
    if "seed" in options:
        raise ValueError("options must not hold 'seed': pass seed to task_splits")
    seed = check_int(seed, "seed", low=0)
    generator = _TASKS[task]
    return {name: generator(count, shape, **options,
                            seed=int(np.random.SeedSequence([seed, k]).generate_state(1)[0]))
            for k, (name, count) in enumerate(zip(_SPLITS, counts, strict=True))}
# ---------------------------------------------------------------- data sets on disk

_FORMATS = {"nifti": ".nii.gz", "png": ".png", "npy": ".npy"}
_MAX_DATASET_VOXELS = 1 << 26  # voxels of one case (64 Mi: 400^3)
_MAX_CASES = 10_000


def _synthetic_case(shape, *, num_classes, num_lesions, fraction, empty, seed):
    """(prediction, reference) label maps of one case (uint8)."""
    rng = np.random.default_rng(seed)
    ndim = len(shape)
    size = math.prod(shape)
    small = max(1.0 / size, fraction / (4 * num_lesions))
    small = min(small, 0.5)
    ref = np.zeros(shape, dtype=np.uint8)
    pred = np.zeros(shape, dtype=np.uint8)
    if not empty:
        blobs, count = ndimage.label(_blob_mask(shape, fraction, num_lesions, rng))
        ref[blobs > 0] = 1 + (blobs[blobs > 0] - 1) % (num_classes - 1)
        pred = ref.copy()
        if count > 1 and rng.random() < 0.5:  # a missed lesion
            pred[blobs == rng.integers(1, count + 1)] = 0
        pred = np.roll(pred, int(rng.integers(-1, 2)), axis=int(rng.integers(ndim)))
        if rng.random() < 0.5:
            pred = ndimage.grey_dilation(pred, size=(3,) * ndim)
    if not empty or rng.random() < 0.5:  # a false-positive blob
        false = _blob_mask(shape, small, 1, rng) & (ref == 0)
        pred[false] = 1
    return pred, ref


def write_synthetic_dataset(folder, *, num_cases=8, shape=(64, 64), spacing=None,
                            format="nifti", num_classes=2, num_lesions=3,
                            foreground_fraction=0.05, empty_fraction=0.25, seed=0):
    r"""Write a generated evaluation data set: prediction and reference files, paired by name.

    The input of ``benchmarks/bench_evaluate.py`` and of the command-line tests; the
    book's section on evaluating a data set (``book/ch4/evaluate.md``) shows the same
    workflow on cases it writes itself.

    Parameters
    ----------
    folder : str or os.PathLike
        An existing folder; the files go to its sub-folders ``prediction`` and
        ``reference`` (created when missing; files of the same names are overwritten).
    num_cases : int, default 8
        Number of cases, in [1, 10000]; the files are ``case_000`` and on.
    shape : tuple of int, default (64, 64)
        Shape of every case (at most :math:`2^{26}` voxels); 2-D for PNG.
    spacing : float or sequence of float, optional
        Voxel size along each axis, written to the NIfTI header (default 1); PNG and NPY
        files carry no spacing, and passing one with them is an error.
    format : {'nifti', 'png', 'npy'}, default 'nifti'
        File format: ``.nii.gz`` (nibabel, needs ``seglab[evaluate]``), 8-bit ``.png``
        or ``.npy``.
    num_classes : int, default 2
        Number of labels including the background, in [2, 256]; the lesions of a case
        take the labels 1, 2, ... in turn.
    num_lesions : int, default 3
        Number of lesions (blobs, :func:`synthetic_mask`) of each non-empty reference.
    foreground_fraction : float, default 0.05
        Foreground fraction of each non-empty reference, in (0, 1).
    empty_fraction : float, default 0.25
        Share of cases whose reference is empty, in [0, 1) (rounded to a whole number of
        cases); half of their predictions hold a false-positive blob.
    seed : int, default 0
        Non-negative seed; case ``i`` uses the seed sequence ``(seed, i)``.

    Returns
    -------
    prediction, reference : str
        The two folders.

    Raises
    ------
    TypeError
        If ``folder`` is not a path or a number has the wrong type.
    ValueError
        If ``folder`` does not exist, a number or the shape is out of range, ``format``
        is unknown, PNG meets a shape that is not 2-D or a spacing, or NPY meets a
        spacing.

    Notes
    -----
    A non-empty case has ``num_lesions`` blobs of exactly ``foreground_fraction`` of the
    voxels in all (:func:`synthetic_mask`); its prediction is the reference with, each
    at random, one lesion missed (probability 1/2), a shift of one voxel along one axis
    (or none), a dilation by one voxel (probability 1/2), and a small false-positive
    blob. The cases with an empty reference are drawn without replacement. Everything
    is deterministic for a given ``seed``.

    Examples
    --------
    >>> import os, tempfile
    >>> from seglab.data import write_synthetic_dataset
    >>> pred, ref = write_synthetic_dataset(tempfile.mkdtemp(), num_cases=3,
    ...                                     shape=(16, 16), format="npy")
    >>> sorted(os.listdir(ref))
    ['case_000.npy', 'case_001.npy', 'case_002.npy']
    """
    import os

    if not isinstance(folder, (str, os.PathLike)):
        raise TypeError(f"folder must be the path of a folder, got {folder!r}")
    folder = os.fspath(folder)
    if not folder or not os.path.isdir(folder):
        raise ValueError(f"folder must be an existing folder, got {folder!r}")
    num_cases = check_int(num_cases, "num_cases", low=1, high=_MAX_CASES)
    shape = _check_shape(shape)
    if math.prod(shape) > _MAX_DATASET_VOXELS:
        raise ValueError(f"shape {shape} has more than {_MAX_DATASET_VOXELS} voxels")
    if not isinstance(format, str) or format not in _FORMATS:
        raise ValueError(f"format must be one of {sorted(_FORMATS)}, got {format!r}")
    num_classes = check_int(num_classes, "num_classes", low=2, high=256)
    num_lesions = check_int(num_lesions, "num_lesions", low=1)
    fraction = _check_fraction(foreground_fraction)
    if max(1, round(fraction * math.prod(shape))) < num_lesions:
        raise ValueError(f"num_lesions={num_lesions} exceeds the foreground voxels of a case")
    empty_fraction = check_real(empty_fraction, "empty_fraction", low=0.0, high=1.0,
                                high_open=True)
    seed = check_int(seed, "seed", low=0)
    if format == "png" and len(shape) != 2:
        raise ValueError(f"format='png' needs a 2-D shape, got {shape}")
    if spacing is not None and format != "nifti":
        raise ValueError(f"format={format!r} files carry no spacing; pass spacing to the "
                         f"evaluation instead")
    from ._validation import check_spacing

    spacing = check_spacing(spacing, len(shape))
    if format == "nifti":
        try:
            import nibabel
        except ModuleNotFoundError:
            raise ModuleNotFoundError("format='nifti' needs nibabel: pip install "
                                      "'seglab[evaluate]'", name="nibabel") from None
    order = np.random.default_rng(seed).permutation(num_cases)
    empty = set(order[: round(empty_fraction * num_cases)].tolist())
    out = [os.path.join(folder, "prediction"), os.path.join(folder, "reference")]
    for path in out:
        os.makedirs(path, exist_ok=True)
    for i in range(num_cases):
        pair = _synthetic_case(shape, num_classes=num_classes, num_lesions=num_lesions,
                               fraction=fraction, empty=i in empty, seed=(seed, i))
        for path, labels in zip(out, pair, strict=True):
            name = os.path.join(path, f"case_{i:03d}{_FORMATS[format]}")
            if format == "npy":
                np.save(name, labels)
            elif format == "png":
                import imageio.v3 as iio

                iio.imwrite(name, labels)
            else:
                affine = np.eye(4)
                for axis, step in enumerate(spacing[:3]):
                    affine[axis, axis] = step
                image = nibabel.Nifti1Image(labels, affine)
                image.header.set_zooms(spacing)
                nibabel.save(image, name)
    return out[0], out[1]
