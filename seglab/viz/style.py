r"""The look shared by every figure and slider frame: resolution, colours, error maps.

Colours are the Okabe–Ito palette, distinguishable under the common colour-vision
deficiencies; continuous maps use ``cividis`` or ``viridis``. An error map shows each
pixel of a prediction against its target as one of four categories, TN / FP / FN / TP,
in fixed colours. :mod:`seglab.widgets` takes its resolution ``DPI`` from here;
:func:`resolution` raises it for a block of code (the classroom dashboard draws its frames
at :data:`PRESENTER_DPI`).

Explained in the book, chapter 1 (``book/ch1/index.md``).
"""

import contextlib
import contextvars

import numpy as np
from matplotlib.colors import ListedColormap
from matplotlib.patches import Patch

__all__ = ["DPI", "ERROR_CLASSES", "ERROR_CMAP", "OKABE_ITO", "PRESENTER_DPI", "error_handles",
           "error_map", "frame_dpi", "readonly", "resolution"]

#: Resolution (dots per inch) of every figure and slider frame: small PNGs, fast to render.
DPI = 80

#: Resolution of the classroom dashboard's frames (``make demo``). Shown at their natural
#: size (one image pixel per CSS pixel), a figure's text of ``s`` points measures
#: ``s * PRESENTER_DPI / 96`` CSS points on the screen: 8 pt in a figure is 14.7 pt on a
#: 1920 × 1080 projector.
PRESENTER_DPI = 176

_FRAME_DPI = contextvars.ContextVar("seglab_frame_dpi", default=DPI)


def frame_dpi():
    """The resolution at which figures are being drawn: :data:`DPI` unless :func:`resolution`
    set another one.

    Returns
    -------
    float

    Examples
    --------
    >>> frame_dpi() == DPI
    True
    """
    return _FRAME_DPI.get()


def resolution(dpi):
    """Context manager: draw the cached static layers of figures at ``dpi`` in its block.

    The figures of :mod:`seglab.viz` draw what does not move with a slider once, as a bitmap
    (:mod:`seglab.viz.layers`), at :func:`frame_dpi`; inside this block that is ``dpi``, so
    a frame saved at ``dpi`` is sharp (not a resampled :data:`DPI` bitmap). Layers are
    cached per resolution. :class:`seglab.widgets.Slider` draws its frames in such a block.

    Parameters
    ----------
    dpi : float
        Dots per inch, in [10, 600].

    Returns
    -------
    contextlib.AbstractContextManager
        Sets :func:`frame_dpi` on entry and restores it on exit (per thread and task:
        a ``contextvars.ContextVar``).

    Raises
    ------
    TypeError
        If ``dpi`` is not a real number.
    ValueError
        If ``dpi`` leaves [10, 600].

    Examples
    --------
    >>> with resolution(PRESENTER_DPI):
    ...     frame_dpi()
    176.0
    >>> frame_dpi() == DPI
    True
    """
    from .._validation import check_real

    dpi = check_real(dpi, "dpi", low=10.0, high=600.0)

    @contextlib.contextmanager
    def block():
        token = _FRAME_DPI.set(dpi)
        try:
            yield dpi
        finally:
            _FRAME_DPI.reset(token)

    return block()


#: The Okabe–Ito colour-blind-safe palette.
OKABE_ITO = {
    "orange": "#E69F00",
    "sky blue": "#56B4E9",
    "bluish green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish purple": "#CC79A7",
    "black": "#000000",
}

#: Error-map categories: (value in :func:`error_map`, legend label, colour).
ERROR_CLASSES = (
    (0, "TN", "#EEEEEE"),
    (1, "FP", OKABE_ITO["orange"]),
    (2, "FN", OKABE_ITO["reddish purple"]),
    (3, "TP", OKABE_ITO["blue"]),
)

#: Categorical colour map of :func:`error_map` (use with ``vmin=-0.5, vmax=3.5``).
ERROR_CMAP = ListedColormap([colour for _, _, colour in ERROR_CLASSES], name="seglab_errors")


def readonly(*arrays):
    """Mark arrays read-only (in place) and return them, so that a cache can share them.

    Parameters
    ----------
    *arrays : ndarray
        Arrays owned by the caller (typically fresh results about to be cached).

    Returns
    -------
    ndarray or tuple of ndarray
        The same arrays, no longer writeable: the array itself for one argument, a tuple
        for several.

    Examples
    --------
    >>> import numpy as np
    >>> a = readonly(np.zeros(3))
    >>> a.flags.writeable
    False
    >>> len(readonly(np.zeros(2), np.ones(2)))
    2
    """
    for a in arrays:
        a.flags.writeable = False
    return arrays if len(arrays) > 1 else arrays[0]


def error_map(pred, target):
    """Categories of a binary prediction against its target: 0 TN, 1 FP, 2 FN, 3 TP.

    Parameters
    ----------
    pred, target : array_like of bool or {0, 1}
        Binary masks of the same shape.

    Returns
    -------
    ndarray of int8
        ``pred + 2 * target``, for :data:`ERROR_CMAP` (labels in :data:`ERROR_CLASSES`).

    Raises
    ------
    TypeError
        If a mask is not a boolean or integer array.
    ValueError
        If a mask holds values other than 0 and 1, is empty, or the shapes differ.

    Examples
    --------
    >>> import numpy as np
    >>> error_map(np.array([0, 1, 0, 1], bool), np.array([0, 0, 1, 1], bool)).tolist()
    [0, 1, 2, 3]
    """
    from .._validation import check_binary_mask, check_same_shape

    pred = check_binary_mask(pred, "pred")
    target = check_binary_mask(target, "target")
    check_same_shape(pred, target, "pred", "target")
    return pred.astype(np.int8) + 2 * target.astype(np.int8)


def error_handles():
    """Legend handles of the four error categories, in the order TN, FP, FN, TP.

    Returns
    -------
    list of matplotlib.patches.Patch
        One patch per category of :data:`ERROR_CLASSES`, for ``legend(handles=...)``.

    Examples
    --------
    >>> [patch.get_label() for patch in error_handles()]
    ['TN', 'FP', 'FN', 'TP']
    """
    return [Patch(facecolor=colour, edgecolor="0.5", label=label)
            for _, label, colour in ERROR_CLASSES]
