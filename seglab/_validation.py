"""Input checks shared by every seglab module.

Every public function validates its inputs here, first, so that bad input meets a
``TypeError`` or ``ValueError`` that names the argument and its shape instead of a
wrong number or a crash deep inside NumPy. Nothing here modifies its input.
"""

import numbers
import textwrap

import numpy as np

__all__ = [
    "as_float_array",
    "as_label_array",
    "check_binary_mask",
    "check_bool",
    "check_choice",
    "check_int",
    "check_label_pair",
    "check_probabilities",
    "check_real",
    "check_same_shape",
    "check_spacing",
    "check_zero_division",
    "fill_doc",
]


def _describe(x):
    return f"shape {x.shape} and dtype {x.dtype}"


def as_label_array(x, name, *, min_ndim=1):
    """Return ``x`` as a non-empty integer array (booleans become 0/1) without copying it.

    Raises ``TypeError`` for floating, complex, object or string arrays (a label map
    holds class indices, and silently truncating 0.7 to 0 would be a wrong number),
    and ``ValueError`` for empty arrays or too few dimensions.
    """
    arr = np.asarray(x)
    if arr.dtype == bool:
        arr = arr.view(np.uint8)
    elif not np.issubdtype(arr.dtype, np.integer):
        raise TypeError(
            f"{name} must be an integer or boolean label array, got {_describe(arr)}"
        )
    if arr.ndim < min_ndim:
        raise ValueError(
            f"{name} must have at least {min_ndim} dimension(s), got {_describe(arr)}"
        )
    if arr.size == 0:
        raise ValueError(f"{name} is empty ({_describe(arr)}); at least one pixel is needed")
    return arr


def check_same_shape(a, b, name_a, name_b):
    """Raise ``ValueError`` unless ``a`` and ``b`` have the same shape."""
    if a.shape != b.shape:
        raise ValueError(f"{name_a} shape {a.shape} and {name_b} shape {b.shape} differ")


def check_label_pair(pred, target, *, min_ndim=1):
    """Validate a prediction/ground-truth pair of label maps; return them as integer arrays."""
    pred = as_label_array(pred, "pred", min_ndim=min_ndim)
    target = as_label_array(target, "target", min_ndim=min_ndim)
    check_same_shape(pred, target, "pred", "target")
    return pred, target


def as_float_array(x, name, *, allow_empty=False):
    """Return ``x`` as a finite float64 array (a copy only when the dtype differs)."""
    arr = np.asarray(x)
    if arr.dtype == bool or not (
        np.issubdtype(arr.dtype, np.floating) or np.issubdtype(arr.dtype, np.integer)
    ):
        raise TypeError(f"{name} must be a real numeric array, got {_describe(arr)}")
    arr = arr.astype(np.float64, copy=False)
    if arr.size == 0 and not allow_empty:
        raise ValueError(f"{name} is empty ({_describe(arr)})")
    if not np.all(np.isfinite(arr)):
        bad = int(np.count_nonzero(~np.isfinite(arr)))
        raise ValueError(f"{name} contains {bad} NaN or infinite value(s) ({_describe(arr)})")
    return arr


def check_probabilities(x, name, *, allow_empty=False):
    """Return ``x`` as a float64 array after checking that every entry lies in [0, 1]."""
    arr = as_float_array(x, name, allow_empty=allow_empty)
    if arr.size and (arr.min() < 0.0 or arr.max() > 1.0):
        raise ValueError(
            f"{name} must hold probabilities in [0, 1], got values in "
            f"[{arr.min():.6g}, {arr.max():.6g}] ({_describe(arr)})"
        )
    return arr


def check_real(x, name, *, low=-np.inf, high=np.inf, low_open=False, high_open=False):
    """Return ``x`` as a Python float after checking that it is a finite real in the interval.

    ``low_open``/``high_open`` make the corresponding end of the interval open.
    """
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(x).__name__} {x!r}")
    value = float(x)
    if np.isnan(value):
        raise ValueError(f"{name} must not be NaN")
    too_low = value <= low if low_open else value < low
    too_high = value >= high if high_open else value > high
    if too_low or too_high:
        left = "(" if low_open else "["
        right = ")" if high_open else "]"
        raise ValueError(f"{name} must lie in {left}{low}, {high}{right}, got {value!r}")
    return value


def check_choice(value, name, choices):
    """Raise ``ValueError`` unless ``value`` is one of ``choices``."""
    if value not in choices:
        listed = ", ".join(repr(c) for c in choices)
        raise ValueError(f"{name} must be one of {{{listed}}}, got {value!r}")
    return value


def check_zero_division(value):
    """Validate a ``zero_division`` option: 0.0, 1.0 or NaN (the declared result of 0/0)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"zero_division must be 0.0, 1.0 or nan, got {value!r}")
    value = float(value)
    if not (np.isnan(value) or value in (0.0, 1.0)):
        raise ValueError(f"zero_division must be 0.0, 1.0 or nan, got {value!r}")
    return value


def check_bool(value, name):
    """Return ``value`` as a Python bool; ``TypeError`` for anything but True/False.

    Strings, integers and None are refused: ``from_logits='no'`` must not read as True.
    """
    if not isinstance(value, bool | np.bool_):
        raise TypeError(f"{name} must be True or False, got {value!r}")
    return bool(value)


def check_int(value, name, *, low=None, high=None):
    """Return ``value`` as a Python int after checking that it is an integer in [low, high].

    Booleans are refused (``True`` is not a count).
    """
    if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int, got {type(value).__name__} {value!r}")
    value = int(value)
    if low is not None and value < low:
        raise ValueError(f"{name} must be an int >= {low}, got {value}")
    if high is not None and value > high:
        raise ValueError(f"{name} must be an int <= {high}, got {value}")
    return value


def check_binary_mask(x, name, *, ndims=None):
    """Return ``x`` as a boolean array after checking that it holds only 0 and 1.

    ``x`` may be boolean or integer (0/1); float arrays raise ``TypeError``. ``ndims``,
    when given, is the tuple of accepted numbers of dimensions. A boolean input is
    returned without a copy.
    """
    is_bool = np.asarray(x).dtype == bool
    arr = as_label_array(x, name)
    if ndims is not None and arr.ndim not in ndims:
        allowed = " or ".join(f"{d}-D" for d in ndims)
        raise ValueError(f"{name} must be a {allowed} mask, got shape {arr.shape}")
    if is_bool:
        return arr.view(bool)
    low, high = arr.min(), arr.max()
    if low < 0 or high > 1:
        raise ValueError(
            f"{name} must be a binary mask (values 0 and 1), got values in [{low}, {high}] "
            f"({_describe(arr)})"
        )
    return arr.astype(bool)


def check_spacing(spacing, ndim, *, name="spacing"):
    """Return the pixel spacing as a tuple of ``ndim`` positive finite floats.

    ``None`` means unit spacing; a single number applies to every axis; a sequence
    gives one entry per axis, in array-axis order (what :mod:`scipy.ndimage` calls
    ``sampling``).
    """
    if spacing is None:
        return (1.0,) * ndim
    if isinstance(spacing, numbers.Real) and not isinstance(spacing, bool):
        value = check_real(spacing, name, low=0.0, high=np.inf, low_open=True, high_open=True)
        return (value,) * ndim
    arr = np.asarray(spacing)
    if arr.dtype == bool or not (
        np.issubdtype(arr.dtype, np.integer) or np.issubdtype(arr.dtype, np.floating)
    ):
        raise TypeError(f"{name} must be a positive number or a sequence of them, got {spacing!r}")
    if arr.ndim == 0:
        raise ValueError(
            f"{name} is a 0-d array ({arr!r}); pass a number ({name}=float({name})) for the "
            f"same spacing on every axis, or one entry per axis of the {ndim}-D arrays"
        )
    if arr.shape != (ndim,):
        raise ValueError(
            f"{name} must have one entry per axis of the {ndim}-D arrays, got shape {arr.shape}"
        )
    arr = arr.astype(np.float64)
    if not np.all(np.isfinite(arr) & (arr > 0)):
        raise ValueError(f"{name} must be positive and finite, got {arr.tolist()}")
    return tuple(arr.tolist())


def fill_doc(blocks):
    """A decorator that fills ``%(key)s`` fields of a docstring from ``blocks``.

    Each block is indented to the docstring's four-space body (as ``scipy.ndimage``'s
    ``docfiller``); ``blocks`` maps field names to unindented text.
    """
    indented = {key: textwrap.indent(text, "    ").lstrip() for key, text in blocks.items()}

    def decorate(func):
        func.__doc__ = func.__doc__ % indented
        return func

    return decorate
