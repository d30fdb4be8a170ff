r"""A slider frame as a cached bitmap of what does not move plus the few artists that do.

Text (tick labels, axis labels, legends) is about 90 % of the cost of drawing the book's
figures. What does not move with a slider is therefore drawn once with
:func:`static_layer`, kept as an RGBA bitmap (the figure modules cache it by the scalars
it depends on), and every frame is :func:`overlay`: that bitmap plus transparent axes at
the same places, with the same limits and scales, for the artists that move.
Layers are drawn at the current resolution (:func:`seglab.viz.style.frame_dpi`) and
:func:`cached_layer` caches them per resolution.

Explained in the book, chapter 1 (``book/ch1/index.md``).
"""

import functools

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.image import BboxImage

from .style import DPI, frame_dpi, readonly, resolution  # noqa: F401 - DPI: the doctests

__all__ = ["cached_layer", "overlay", "static_layer"]


def static_layer(fig):
    """Draw a figure once and keep its pixels and the geometry of each of its axes.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        The static part of a figure (axes, labels, legends, curves that do not move),
        drawn at its own ``dpi`` (build it with ``dpi=frame_dpi()``).

    Returns
    -------
    tuple
        ``(rgba, figsize, boxes)``: the drawn pixels (read-only ``(H, W, 4)`` uint8
        array), the size in inches, and for each axes its position, limits and scales,
        as :func:`overlay` takes them. Cache it by the scalars the static part depends
        on.

    Raises
    ------
    TypeError
        If ``fig`` is not a :class:`~matplotlib.figure.Figure`.

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> fig = Figure(figsize=(2, 1), dpi=DPI)
    >>> ax = fig.add_axes((0.1, 0.1, 0.8, 0.8))
    >>> rgba, figsize, boxes = static_layer(fig)
    >>> rgba.shape, [float(size) for size in figsize], len(boxes)
    ((80, 160, 4), [2.0, 1.0], 1)
    """
    if not isinstance(fig, Figure):
        raise TypeError(f"fig must be a matplotlib Figure, got {type(fig).__name__} {fig!r:.80}")
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    rgba = np.array(canvas.buffer_rgba())
    boxes = tuple(
        (tuple(ax.get_position().bounds), ax.get_xlim(), ax.get_ylim(), ax.get_xscale(),
         ax.get_yscale())
        for ax in fig.axes
    )
    return readonly(rgba), tuple(fig.get_size_inches()), boxes


def overlay(layer):
    """A new figure showing a cached layer, with one transparent axes over each of its axes.

    Parameters
    ----------
    layer : tuple
        A result of :func:`static_layer`.

    Returns
    -------
    fig : matplotlib.figure.Figure
        The bitmap as background, at the resolution it was drawn at (its width in pixels
        over its width in inches; saved at another resolution it is resampled); not
        registered with pyplot.
    axes : list of matplotlib.axes.Axes
        Axes at the positions, limits and scales of the layer's axes, without ticks,
        spines or patch (the layer has them): draw what moves on these.

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> fig = Figure(figsize=(2, 1), dpi=DPI)
    >>> ax = fig.add_axes((0.1, 0.1, 0.8, 0.8))
    >>> limits = ax.set_xlim(0, 5)
    >>> frame, (over,) = overlay(static_layer(fig))
    >>> [float(x) for x in over.get_xlim()], over.axison
    ([0.0, 5.0], False)
    """
    rgba, figsize, boxes = layer
    fig = Figure(figsize=figsize, dpi=rgba.shape[1] / figsize[0])
    background = BboxImage(fig.bbox, interpolation="nearest", origin="upper")
    background.set_data(rgba)
    fig.add_artist(background)
    axes = []
    for bounds, xlim, ylim, xscale, yscale in boxes:
        ax = fig.add_axes(bounds)
        ax.set_xscale(xscale)
        ax.set_yscale(yscale)
        ax.set_xlim(xlim)
        ax.set_ylim(ylim)
        ax.set_axis_off()  # no ticks, spines or patch: the layer has them
        axes.append(ax)
    return fig, axes


def cached_layer(maxsize):
    """Decorator: cache a layer builder by its arguments and the current resolution.

    The builder (a function of hashable scalars returning :func:`static_layer` of a figure
    made with ``dpi=frame_dpi()``) runs once per arguments and per
    :func:`seglab.viz.style.frame_dpi`; like :func:`functools.lru_cache` otherwise
    (``cache_clear`` included).

    Parameters
    ----------
    maxsize : int
        Number of layers kept (over all resolutions).

    Returns
    -------
    callable
        The decorator.

    Raises
    ------
    TypeError
        If ``maxsize`` is not an integer.
    ValueError
        If ``maxsize < 1``.

    Examples
    --------
    >>> @cached_layer(4)
    ... def square():
    ...     return static_layer(Figure(figsize=(1, 1), dpi=frame_dpi()))
    >>> square()[0].shape
    (80, 80, 4)
    >>> with resolution(160):
    ...     square()[0].shape
    (160, 160, 4)
    >>> square() is square()
    True
    """
    from .._validation import check_int

    maxsize = check_int(maxsize, "maxsize", low=1)

    def decorate(build):
        @functools.lru_cache(maxsize=maxsize)
        def cached(dpi, *args):
            with resolution(dpi):
                return build(*args)

        @functools.wraps(build)
        def layer(*args):
            return cached(frame_dpi(), *args)

        layer.cache_clear = cached.cache_clear
        return layer

    return decorate
