r"""Boundary metrics: one outlier pixel sets the Hausdorff distance while Dice barely moves.

* :func:`outlier_figure`: a disk and one extra pixel (:func:`seglab.data.disk_with_outlier`),
  with HD, HD95, ASSD (:mod:`seglab.surface`) and Dice (:mod:`seglab.metrics`) against the
  outlier's distance.

The curves, axes and labels are drawn once per disk and kept as a bitmap
(:mod:`seglab.viz.layers`).

Explained in the book, chapter 1 (``book/ch1/boundary.md``).
"""

import functools

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from .. import data, metrics, surface
from .layers import cached_layer, overlay, static_layer
from .style import ERROR_CMAP, OKABE_ITO, error_map, frame_dpi, readonly

__all__ = ["outlier_figure"]

_OUTLIER_CURVES = (
    ("hd", "HD", OKABE_ITO["vermillion"]),
    ("hd95", "HD95", OKABE_ITO["blue"]),
    ("assd", "ASSD", OKABE_ITO["bluish green"]),
)


def _disk(radius, shape):
    """The target disk and the largest outlier distance that fits in the image."""
    _, target = data.disk_with_outlier(2, radius, shape=shape)
    return target, shape[1] - 1 - int(np.nonzero(target)[1].max())


@functools.lru_cache(maxsize=8)
def _outlier_curves(radius, shape):
    """Dice, HD, HD95 and ASSD of the disk plus one outlier, for every outlier distance."""
    _, far = _disk(radius, shape)
    grid = np.arange(2, far + 1)
    values = {key: np.empty(grid.size) for key in ("dice", "hd", "hd95", "assd")}
    for i, distance in enumerate(grid):
        pred, target = data.disk_with_outlier(int(distance), radius, shape=shape)
        values["dice"][i] = metrics.dice(pred, target)
        values["hd"][i] = surface.hausdorff(pred, target)
        values["hd95"][i] = surface.hausdorff(pred, target, percentile=95)
        values["assd"][i] = surface.assd(pred, target)
    return readonly(grid, *values.values())


def _outlier_static(radius, shape):
    target, far = _disk(radius, shape)
    grid, dice, hd, hd95, assd = _outlier_curves(radius, shape)
    curves = {"hd": hd, "hd95": hd95, "assd": assd}
    fig = Figure(figsize=(9.0, 3.2), dpi=frame_dpi(), layout="constrained")
    ax_map, ax_dist, ax_dice = fig.subplots(1, 3, gridspec_kw={"width_ratios": [1, 1.3, 1.3]})
    ax_map.imshow(error_map(target, target), cmap=ERROR_CMAP, vmin=-0.5, vmax=3.5,
                  interpolation="nearest")
    ax_map.set_xlabel("column (px)")
    ax_map.set_ylabel("row (px)")
    handles = [Patch(facecolor=colour, edgecolor="0.5", label=label) for colour, label in (
        (OKABE_ITO["blue"], "disk: TP"), (OKABE_ITO["orange"], "outlier: FP"))]
    ax_map.legend(handles=handles, loc="upper right", fontsize=8, frameon=False,
                  handlelength=1.0)
    for key, label, colour in _OUTLIER_CURVES:
        ax_dist.plot(grid, curves[key], color=colour, label=label, lw=1.6)
    ax_dist.set_xlim(0, far + 1)
    ax_dist.set_ylim(-1, far + 2)
    ax_dist.set_xlabel("outlier distance (px)")
    ax_dist.set_ylabel("boundary distance (px)")
    ax_dist.legend(loc="upper left", fontsize=8, frameon=False)
    ax_dist.grid(alpha=0.3)
    ax_dice.plot(grid, dice, color=OKABE_ITO["orange"], lw=1.6, label="Dice")
    ax_dice.set_xlim(0, far + 1)
    ax_dice.set_ylim(0, 1.05)
    ax_dice.set_xlabel("outlier distance (px)")
    ax_dice.set_ylabel("Dice")
    ax_dice.grid(alpha=0.3)
    ax_dice.legend(loc="lower right", fontsize=8, frameon=False)
    return fig


@cached_layer(8)
def _outlier_layer(radius, shape):
    return static_layer(_outlier_static(radius, shape))


def outlier_figure(distance, radius, *, shape=(96, 96)):
    r"""One outlier pixel: the Hausdorff distance jumps while Dice barely moves.

    Parameters
    ----------
    distance : int
        Distance (pixels, at least 2) from the disk's rightmost pixel to a single
        extra predicted pixel on the same row (:func:`seglab.data.disk_with_outlier`).
    radius : int
        Radius (pixels, at least 1) of the target disk
        :math:`\{(i - c_0)^2 + (j - c_1)^2 \le r^2\}`, centred at
        ``(shape[0] // 2, shape[1] // 3)``.
    shape : tuple of int, optional
        Image shape (2-D); the outlier must fit in it.

    Returns
    -------
    matplotlib.figure.Figure
        Left: the target disk and the prediction (the disk plus the outlier) as a
        TP/FP/FN/TN map. Middle: HD, HD95 and ASSD
        (:func:`seglab.surface.hausdorff`, :func:`seglab.surface.assd`, default
        conventions) against the outlier distance. Right: Dice
        (:func:`seglab.metrics.dice`) against the outlier distance. Markers at
        ``distance``.

    Raises
    ------
    TypeError
        If ``distance`` or ``radius`` is not an integer.
    ValueError
        If ``distance < 2``, ``radius < 1``, or the outlier falls outside the image.

    Notes
    -----
    The outlier is isolated (its four neighbours lie outside the prediction), so it
    is a border pixel of the prediction and the Hausdorff distance equals
    ``distance`` exactly, while Dice is :math:`2|G|/(2|G| + 1)` whatever the
    distance. The curves, axes and labels are drawn once per ``(radius, shape)``
    and cached as a bitmap; a frame adds only the outlier and the markers.

    Explained in the book, chapter 1 (``book/ch1/boundary.md``).

    Examples
    --------
    >>> from seglab.viz.boundary import outlier_figure
    >>> fig = outlier_figure(8, 12)
    >>> len(fig.axes)
    3
    """
    pred, target = data.disk_with_outlier(distance, radius, shape=shape)
    distance, radius, shape = int(distance), int(radius), pred.shape
    (row,), (col,) = np.nonzero(pred & ~target)
    grid, dice, hd, hd95, assd = _outlier_curves(radius, shape)
    i = distance - 2
    fig, (ax_map, ax_dist, ax_dice) = overlay(_outlier_layer(radius, shape))
    ax_map.scatter([col], [row], marker="s", s=18,
                   c=OKABE_ITO["orange"], edgecolors="black", linewidths=0.6, zorder=3)
    ax_map.set_title(f"r = {radius} px, outlier at {distance} px", fontsize=9)
    values = {"hd": hd[i], "hd95": hd95[i], "assd": assd[i]}
    for key, _, colour in _OUTLIER_CURVES:
        ax_dist.scatter([distance], [values[key]], c=colour, s=28, zorder=3,
                        edgecolors="black", linewidths=0.6)
    ax_dist.set_title(f"HD {hd[i]:.1f}, HD95 {hd95[i]:.1f}, ASSD {assd[i]:.2f} px",
                      fontsize=9)
    ax_dice.scatter([distance], [dice[i]], c=OKABE_ITO["orange"], s=28, zorder=3,
                    edgecolors="black", linewidths=0.6)
    ax_dice.set_title(f"Dice {dice[i]:.4f}", fontsize=9)
    return fig
