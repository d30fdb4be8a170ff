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
* :func:`write_synthetic_dataset`: folders of prediction and reference files (NIfTI, PNG,
  NPY) with empty cases and several lesions per case, the input of
  :func:`seglab.evaluation.evaluate_dataset`.

Explained in the book, chapter 1 (``book/ch1``).
"""

import functools
import math
import numbers

import numpy as np
from scipy import ndimage

from ._validation import as_label_array, check_int, check_probabilities, check_real

__all__ = [
    "disk_with_outlier",
    "edge_case",
    "horse",
    "horse_case",
    "noisy_prediction",
    "posterior_case",
    "posterior_map",
    "sample_labels",
    "step_signal",
    "synthetic_batch",
    "synthetic_images",
    "synthetic_mask",
    "write_synthetic_dataset",
]

# Logits are clipped to this magnitude so that eta = sigmoid(logit) stays strictly inside
# (0, 1) in float64 (sigmoid(37) already rounds to 1.0).
_MAX_LOGIT = 30.0
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
    return tuple(int(n) for n in entries)


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
        more objects than foreground pixels; a non-positive shape entry; negative seed.
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
        wrong length.

    Explained in the book, chapter 1 (``book/ch1``).

    Examples
    --------
    >>> from seglab.data import synthetic_batch
    >>> batch = synthetic_batch(3, (64, 64), foreground_fraction=[0.01, 0.1, 0.3])
    >>> batch.shape, batch.sum(axis=(1, 2)).tolist()
    ((3, 64, 64), [41, 410, 1229])
    """
    num_images = check_int(num_images, "num_images", low=1)
    shape = _check_shape(shape)
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

        \eta = \sigma\bigl(\mathrm{clip}(\text{gain}\,(2 (G_b * m) - 1)
        + \text{noise}\cdot z,\ -30,\ 30)\bigr),
        \qquad \sigma(u) = \frac{1}{1 + e^{-u}},

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
        As :func:`synthetic_batch`; ``num_classes < 2``; a negative or non-finite
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
    num_classes = check_int(num_classes, "num_classes", low=2)
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
        If ``distance < 2``, ``radius < 1``, or the disk or the outlier falls outside the
        image (the message names the largest distance that fits).

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
    rows, cols = (check_int(n, "shape", low=1) for n in shape)
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
        If ``n < 4``.

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
        For a too small shape, edges outside the image or negative noise.

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
    for name, edge in (("object_edge", object_edge), ("colour_edge", colour_edge)):
        if not 0 < edge < cols:
            raise ValueError(f"{name} = {edge} is not strictly inside the {cols} columns")
    noise = check_real(noise, "noise", low=0.0, high=np.inf, high_open=True)
    x = np.broadcast_to(np.arange(cols, dtype=np.float64), (rows, cols))
    target = np.array(x >= object_edge)
    image = np.where(x >= colour_edge, 200.0, 60.0)
    logit = 1.2 * np.clip((x - object_edge + 0.5) / 3.0, -1.0, 1.0)
    logit = logit + noise * np.random.default_rng(seed).standard_normal((rows, cols))
    eta = 1.0 / (1.0 + np.exp(-logit))
    for a in (target, eta, image):
        a.setflags(write=False)
    return target, eta, image


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
