"""Morphological baselines: opening, closing and removal of small components."""

import numpy as np
import scipy.ndimage as ndi

from .._validation import check_int
from ._common import _check_mask

__all__ = ["closing", "opening", "remove_small_components"]

# --------------------------------------------------------------------------
# Morphological baselines


def _check_radius(radius):
    return check_int(radius, "radius", low=0)


def _dilate(mask, radius):
    """Dilation by the disk {dy^2 + dx^2 <= radius^2}: the pixels within Euclidean distance
    radius of the mask (scipy's distance transform is exact), in time linear in the size."""
    if not mask.any():
        return np.zeros_like(mask)
    return ndi.distance_transform_edt(~mask) <= radius


def _open_close(mask, radius, *, close):
    """Opening (erosion, then dilation) or closing (the reverse) by a disk, the image
    extended by reflection about its edges as scikit-image's mode='reflect' does."""
    h, w = mask.shape
    if radius == 0:
        return mask.copy()
    if radius**2 >= h**2 + w**2:
        # Every disk centred in the image covers a 2H x 2W box, a whole period of the
        # reflected image: erosion is all(mask) everywhere and dilation any(mask).
        return np.full(mask.shape, mask.any() if close else mask.all())
    # The second operation reads the first within radius of the image, which reads the
    # extension within 2 radius; np.pad reflects as often as that needs.
    pad = 2 * radius
    ext = np.pad(mask, pad, mode="symmetric")
    if close:
        out = ~_dilate(~_dilate(ext, radius), radius)
    else:
        out = _dilate(~_dilate(~ext, radius), radius)
    return out[pad:-pad, pad:-pad]


def opening(mask, *, radius):
    r"""Binary opening by a disk: removes foreground details thinner than the disk.

    Parameters
    ----------
    mask : array_like of bool or 0/1 int, shape (H, W)
    radius : int
        Radius of the disk footprint :math:`\{(d_y, d_x) : d_y^2 + d_x^2 \le r^2\}`
        (pixels, >= 0; 0 returns a copy). Any radius is allowed (see Notes).

    Returns
    -------
    out : ndarray of bool, shape (H, W)

    Raises
    ------
    TypeError, ValueError
        For a non-binary or non-2-D mask, or a negative or non-integer radius.

    Notes
    -----
    The mask is extended beyond its edges by reflection, as
    :func:`skimage.morphology.opening` does with its default ``mode='reflect'``,
    whose result this is for radii up to a few times the image's side (beyond
    that scikit-image 0.26's results are wrong). Erosion and dilation are
    computed exactly from Euclidean distance transforms of the mask reflected
    :math:`2r` pixels out (linear time in that padded size, whatever the
    disk's area). When :math:`r^2 \ge H^2 + W^2`, every
    disk centred in the image covers a whole period :math:`2H \times 2W` of the
    reflected mask, so the opening is all True if the mask is, and all False
    otherwise; the closing is all True if any pixel is set, and all False
    otherwise.

    Examples
    --------
    >>> import numpy as np
    >>> from seglab.postprocess import opening
    >>> m = np.zeros((7, 7), bool); m[1:6, 1:6] = True; m[0, 3] = True
    >>> int(opening(m, radius=1).sum())  # the square loses its 4 corners
    22
    """
    return _open_close(_check_mask(mask), _check_radius(radius), close=False)


def closing(mask, *, radius):
    """Binary closing by a disk: fills background gaps thinner than the disk.

    Parameters, errors and boundary treatment as :func:`opening`; by the
    symmetry of the disk, ``closing(m) == ~opening(~m)``.

    Parameters
    ----------
    mask : array_like of bool or 0/1 int, shape (H, W)
    radius : int

    Returns
    -------
    out : ndarray of bool, shape (H, W)

    Examples
    --------
    >>> import numpy as np
    >>> from seglab.postprocess import closing
    >>> m = np.zeros((5, 7), bool); m[1:4, 1:3] = True; m[1:4, 4:6] = True
    >>> bool(closing(m, radius=1)[2, 3])
    True
    """
    return _open_close(_check_mask(mask), _check_radius(radius), close=True)


def remove_small_components(mask, *, min_size, connectivity=1):
    """Remove foreground connected components with fewer than ``min_size`` pixels.

    Parameters
    ----------
    mask : array_like of bool or 0/1 int, shape (H, W)
    min_size : int
        Smallest component kept (pixels, >= 0).
    connectivity : {1, 2}, default 1
        As in :func:`skimage.measure.label`: 1 joins pixels that share a side
        (4-neighbourhood), 2 also those that share a corner (8-neighbourhood).

    Returns
    -------
    out : ndarray of bool, shape (H, W)

    Raises
    ------
    TypeError, ValueError
        For a bad mask, a negative or non-integer ``min_size``, or a bad
        ``connectivity``.

    Examples
    --------
    >>> import numpy as np
    >>> from seglab.postprocess import remove_small_components
    >>> m = np.zeros((4, 6), bool); m[0, 0] = True; m[1:4, 2:5] = True
    >>> int(remove_small_components(m, min_size=2).sum())
    9
    """
    from skimage.measure import label

    mask = _check_mask(mask)
    min_size = check_int(min_size, "min_size", low=0)
    connectivity = check_int(connectivity, "connectivity", low=1, high=2)
    labels = label(mask, connectivity=connectivity)
    sizes = np.bincount(labels.ravel())
    keep = sizes >= min_size
    keep[0] = False
    return keep[labels]
