"""Morphological baselines: opening, closing and removal of small components."""

import numpy as np

from .._validation import check_int
from ._common import _check_mask

# --------------------------------------------------------------------------
# Morphological baselines


def _check_radius(radius):
    return check_int(radius, "radius", low=0)


def opening(mask, *, radius):
    """Binary opening by a disk: removes foreground details thinner than the disk.

    Parameters
    ----------
    mask : array_like of bool or 0/1 int, shape (H, W)
    radius : int
        Radius of the disk footprint (pixels, >= 0; 0 returns a copy).

    Returns
    -------
    out : ndarray of bool, shape (H, W)

    Raises
    ------
    TypeError, ValueError
        For a non-binary or non-2-D mask, or a negative or non-integer radius.

    Examples
    --------
    >>> import numpy as np
    >>> from seglab.postprocess import opening
    >>> m = np.zeros((7, 7), bool); m[1:6, 1:6] = True; m[0, 3] = True
    >>> int(opening(m, radius=1).sum())  # the square loses its 4 corners
    22
    """
    from skimage.morphology import disk
    from skimage.morphology import opening as _opening

    mask, radius = _check_mask(mask), _check_radius(radius)
    return _opening(mask, disk(radius)).astype(bool) if radius else mask.copy()


def closing(mask, *, radius):
    """Binary closing by a disk: fills background gaps thinner than the disk.

    Parameters and errors as :func:`opening`.

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
    from skimage.morphology import closing as _closing
    from skimage.morphology import disk

    mask, radius = _check_mask(mask), _check_radius(radius)
    return _closing(mask, disk(radius)).astype(bool) if radius else mask.copy()


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
