r"""A slider frame as a cached bitmap of what does not move plus the few artists that do.

Text (tick labels, axis labels, legends) is about 90 % of the cost of drawing the book's
figures. What does not move with a slider is therefore drawn once with
:func:`static_layer`, kept as an RGBA bitmap (the figure modules cache it by the scalars
it depends on), and every frame is :func:`overlay`: that bitmap plus transparent axes at
the same places, with the same limits and scales, for the artists that move.

Explained in the book, chapter 1 (``book/ch1/index.md``).
"""

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.image import BboxImage

from .style import DPI, readonly

__all__ = ["overlay", "static_layer"]


def static_layer(fig):
    """Draw a figure once and keep its pixels and the geometry of each of its axes.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        The static part of a figure (axes, labels, legends, curves that do not move).

    Returns
    -------
    tuple
        ``(rgba, figsize, boxes)``: the drawn pixels (read-only ``(H, W, 4)`` uint8
        array), the size in inches, and for each axes its position, limits and scales,
        as :func:`overlay` takes them. Cache it by the scalars the static part depends
        on.

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> fig = Figure(figsize=(2, 1), dpi=DPI)
    >>> ax = fig.add_axes((0.1, 0.1, 0.8, 0.8))
    >>> rgba, figsize, boxes = static_layer(fig)
    >>> rgba.shape, [float(size) for size in figsize], len(boxes)
    ((80, 160, 4), [2.0, 1.0], 1)
    """
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
        The bitmap as background, at :data:`seglab.viz.style.DPI` (saved at another
        resolution it is resampled); not registered with pyplot.
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
    fig = Figure(figsize=figsize, dpi=DPI)
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
