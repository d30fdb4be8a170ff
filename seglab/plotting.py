r"""Figures of the book: pure functions of a few numbers, each returning a Figure.

Every function here is a slider callback (see :func:`seglab.widgets.slider`): it
takes scalars, returns a new :class:`matplotlib.figure.Figure` (not registered with
pyplot, so nothing leaks and nothing is shown twice), and renders in well under
100 ms: everything that does not depend on the slider value (curves over the
whole prior axis, posterior maps, threshold sweeps) is computed once and cached
by the scalars it depends on. The numbers come from :mod:`seglab.theory`,
:mod:`seglab.data` and :mod:`seglab.metrics`; nothing is recomputed here.

Colours are the Okabe–Ito palette, distinguishable under the common colour-vision
deficiencies; maps use ``cividis``.

Explained in the book, chapter 1 (``book/ch1``).
"""

import functools
import math
import numbers

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure
from matplotlib.image import BboxImage
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FixedFormatter, FixedLocator, NullLocator

from . import data, metrics, surface, theory
from ._validation import check_real
from .widgets import DPI

__all__ = ["OKABE_ITO", "imbalance_figure", "outlier_figure", "tversky_figure"]

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

_FIGSIZE = (8.0, 3.4)

# (key of theory.rates_to_metrics, legend label, colour) of the fixed-quality classifier.
_IMBALANCE_CURVES = (
    ("accuracy", "accuracy", OKABE_ITO["orange"]),
    ("balanced_accuracy", "balanced accuracy", OKABE_ITO["sky blue"]),
    ("precision", "precision", OKABE_ITO["bluish green"]),
    ("dice", "Dice", OKABE_ITO["blue"]),
    ("iou", "IoU", OKABE_ITO["vermillion"]),
    ("mcc", "MCC", OKABE_ITO["reddish purple"]),
)

# Error map categories: value in the map, legend label, colour.
_ERROR_CLASSES = (
    (0, "TN", "#EEEEEE"),
    (1, "FP", OKABE_ITO["orange"]),
    (2, "FN", OKABE_ITO["reddish purple"]),
    (3, "TP", OKABE_ITO["blue"]),
)
_ERROR_CMAP = ListedColormap([colour for _, _, colour in _ERROR_CLASSES], name="seglab_errors")

_PRIOR_TICKS = (0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5)


def _readonly(*arrays):
    for a in arrays:
        a.flags.writeable = False
    return arrays if len(arrays) > 1 else arrays[0]


# ------------------------------------------------------------ static layer + overlay
#
# Text (tick labels, axis labels, legends) is about 90 % of the cost of drawing these
# figures. What does not move with the slider is therefore drawn once, kept as an RGBA
# bitmap (cached by the scalars it depends on), and every frame is that bitmap plus
# the few artists that move, drawn on transparent axes at the same places with the
# same limits and scales.


def _layer(fig):
    """Draw ``fig`` once; return its RGBA pixels and the drawn box, limits, scales of each axes."""
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    rgba = np.array(canvas.buffer_rgba())
    boxes = tuple(
        (tuple(ax.get_position().bounds), ax.get_xlim(), ax.get_ylim(), ax.get_xscale(),
         ax.get_yscale())
        for ax in fig.axes
    )
    return _readonly(rgba), tuple(fig.get_size_inches()), boxes


def _overlay(layer):
    """A new Figure showing the cached layer, and one transparent axes over each of its axes."""
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


def _error_map(pred, target):
    """0 = TN, 1 = FP, 2 = FN, 3 = TP (a small integer map for a categorical colour map)."""
    return pred.astype(np.int8) + 2 * target.astype(np.int8)


def _error_legend(ax):
    handles = [Patch(facecolor=colour, edgecolor="0.5", label=label)
               for _, label, colour in _ERROR_CLASSES]
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.02), ncols=4,
              fontsize=8, frameon=False, handlelength=1.0, columnspacing=1.0)


# ----------------------------------------------------------------------- imbalance


def _imbalance_static(tpr, fpr, low, high, shape):
    """Curves over the prior axis, axes, labels and legends: everything but the marker."""
    grid = np.geomspace(low, high, 160)
    rates = theory.rates_to_metrics(tpr, fpr, grid)
    all_background = theory.trivial_classifier_metrics(grid, predict="background")
    all_foreground = theory.trivial_classifier_metrics(grid, predict="foreground")

    fig = Figure(figsize=_FIGSIZE, dpi=DPI)
    ax = fig.add_axes((0.075, 0.15, 0.44, 0.75))
    for key, label, colour in _IMBALANCE_CURVES:
        ax.plot(grid, rates[key], color=colour, lw=1.6, label=label)
    ax.plot(grid, all_background["accuracy"], "--", color=OKABE_ITO["orange"], lw=1.2,
            label="all-background accuracy")
    ax.plot(grid, all_foreground["dice"], "--", color=OKABE_ITO["blue"], lw=1.2,
            label="all-foreground Dice")
    ax.set_xscale("log")
    ax.set_xlim(low, high)
    ticks = [t for t in _PRIOR_TICKS if low <= t <= high]
    # Plain-text labels on 1-2-5 ticks (labelled: 1 and the largest prior).
    ax.xaxis.set_major_locator(FixedLocator(ticks))
    ax.xaxis.set_major_formatter(
        FixedFormatter([f"{t:g}" if f"{t:g}"[-1] == "1" or t == ticks[-1] else "" for t in ticks]))
    ax.xaxis.set_minor_locator(NullLocator())
    ax.set_ylim(-0.02, 1.02)
    ax.set_yticks([0.0, 0.25, 0.5, 0.75, 1.0])
    ax.set_xlabel("foreground prior π (fraction of pixels, log scale)")
    ax.set_ylabel("population score")
    ax.legend(loc="center left", bbox_to_anchor=(1.0, 0.5), fontsize=8, frameon=False,
              handlelength=1.6, title=f"recall {tpr:g}, FP rate {fpr:g}",
              title_fontproperties={"size": 8})

    ax_map = fig.add_axes((0.785, 0.17, 0.205, 0.64))
    ax_map.imshow(np.zeros(shape, dtype=np.int8), cmap=_ERROR_CMAP, vmin=-0.5, vmax=3.5)
    ax_map.set_xticks([])
    ax_map.set_yticks([])
    _error_legend(ax_map)
    return fig


def _prior_range(pi):
    """The prior axis: [0.001, 0.5], widened to a power of ten (of pi or of 1 - pi) to show pi.

    Snapped bounds keep the cached static part valid for every pi of the default range.
    """
    low = 0.001 if pi >= 0.001 else 10.0 ** math.floor(math.log10(pi))
    high = 0.5 if pi <= 0.5 else 1.0 - 10.0 ** math.floor(math.log10(1.0 - pi))
    return low, high


@functools.lru_cache(maxsize=8)
def _imbalance_layer(tpr, fpr, low, high, shape):
    return _layer(_imbalance_static(tpr, fpr, low, high, shape))


@functools.lru_cache(maxsize=64)
def _imbalance_example(pi, tpr, fpr, shape, seed):
    target = data.synthetic_mask(shape, foreground_fraction=pi, seed=seed)
    pred = data.noisy_prediction(target, tpr=tpr, fpr=fpr, seed=seed)
    scores = metrics.evaluate(pred, target, metrics=("accuracy", "dice"))
    return _readonly(_error_map(pred, target)), int(target.sum()), scores


def imbalance_figure(pi, *, tpr=0.9, fpr=0.01, shape=(96, 96), seed=0):
    r"""How the scores of a fixed-quality segmentation move with the foreground prior.

    Parameters
    ----------
    pi : float
        Foreground prior :math:`\pi` marked on the curves and used for the example
        mask, in the open interval (0, 1).
    tpr : float, optional
        True-positive rate (recall) of the segmentation, in [0, 1].
    fpr : float, optional
        False-positive rate of the segmentation, in [0, 1].
    shape : tuple of int, optional
        Shape of the example mask (2-D).
    seed : int, optional
        Seed of the example mask and prediction.

    Returns
    -------
    matplotlib.figure.Figure
        Left: population accuracy, balanced accuracy, precision, Dice, IoU and MCC
        of the segmentation against :math:`\pi` on a log axis (0.001 to 0.5, widened
        to a power of ten beyond ``pi`` if needed), from
        :func:`seglab.theory.rates_to_metrics`, with the all-background accuracy
        :math:`1 - \pi` and the all-foreground Dice :math:`2\pi/(1 + \pi)`
        (:func:`seglab.theory.trivial_classifier_metrics`) dashed, and markers at
        ``pi``. Right: a synthetic mask with foreground
        fraction ``pi`` (:func:`seglab.data.synthetic_mask`) and a prediction of
        exactly these rates (:func:`seglab.data.noisy_prediction`) as a map of
        TP/FP/FN/TN, titled with its measured Dice and accuracy
        (:func:`seglab.metrics.evaluate`).

    Raises
    ------
    ValueError
        If ``pi`` leaves (0, 1) or a rate leaves [0, 1] (or bad ``shape``/``seed``,
        as :func:`seglab.data.synthetic_mask`).

    Notes
    -----
    Built for sliders (:func:`seglab.widgets.slider`): the part that does not depend
    on ``pi`` (curves, axes, labels, legends) is drawn once per ``(tpr, fpr)`` and
    kept as a bitmap at the frames' resolution :data:`seglab.widgets.DPI`; each call
    adds only the marker, the example and their labels on transparent axes. Saved at
    another resolution the bitmap is resampled. The figure is not registered with
    pyplot.

    Explained in the book, chapter 1 (``book/ch1/index.md``).

    Examples
    --------
    >>> from seglab.plotting import imbalance_figure
    >>> fig = imbalance_figure(0.01)
    >>> fig.get_size_inches().tolist(), len(fig.axes)
    ([8.0, 3.4], 2)
    """
    pi = check_real(pi, "pi", low=0.0, high=1.0, low_open=True, high_open=True)
    tpr = check_real(tpr, "tpr", low=0.0, high=1.0)
    fpr = check_real(fpr, "fpr", low=0.0, high=1.0)
    shape = tuple(shape)
    errors, num_foreground, scores = _imbalance_example(pi, tpr, fpr, shape, seed)
    at_pi = theory.rates_to_metrics(tpr, fpr, pi)

    fig, (ax, ax_map) = _overlay(_imbalance_layer(tpr, fpr, *_prior_range(pi), shape))
    ax.axvline(pi, color="0.3", lw=0.8)
    ax.scatter([pi] * len(_IMBALANCE_CURVES), [at_pi[key] for key, _, _ in _IMBALANCE_CURVES],
               c=[colour for _, _, colour in _IMBALANCE_CURVES], s=24, zorder=3,
               edgecolors="black", linewidths=0.6)
    ax.text(pi, 1.03, f" π = {pi:.3g}", transform=ax.get_xaxis_transform(), fontsize=9,
            ha="center", va="bottom")
    ax_map.imshow(errors, cmap=_ERROR_CMAP, vmin=-0.5, vmax=3.5, interpolation="nearest",
                  aspect="auto")
    ax_map.set_title(f"example: {num_foreground} of {errors.size} px\n"
                     f"Dice {scores['dice']:.2f}, accuracy {scores['accuracy']:.3f}",
                     fontsize=9)
    return fig


# ------------------------------------------------------------------------- Tversky


@functools.lru_cache(maxsize=8)
def _posterior(shape, foreground_fraction, noise, seed):
    mask = data.synthetic_mask(shape, foreground_fraction=foreground_fraction, seed=seed)
    eta = data.posterior_map(mask, noise=noise, seed=seed)
    return _readonly(mask, eta)


_THRESHOLDS = _readonly(np.linspace(0.0, 1.0, 201))


@functools.lru_cache(maxsize=256)
def _tversky_sweep(alpha, beta, posterior_key):
    _, eta = _posterior(*posterior_key)
    curve = theory.threshold_curve(eta, _THRESHOLDS, metric="tversky_index", alpha=alpha,
                                   beta=beta)
    t_best, t_star = theory.optimal_threshold(eta, metric="tversky_index", alpha=alpha,
                                              beta=beta)
    tau = theory.tversky_threshold(t_star, alpha=alpha, beta=beta)
    return _readonly(curve), t_best, t_star, tau


def _tversky_static(posterior_key):
    """Axes, labels, legends, the Dice reference curve and the posterior map."""
    mask, eta = _posterior(*posterior_key)
    dice_curve = _tversky_sweep(0.5, 0.5, posterior_key)[0]

    fig = Figure(figsize=_FIGSIZE, dpi=DPI)
    ax = fig.add_axes((0.075, 0.15, 0.5, 0.75))
    ax.plot(_THRESHOLDS, dice_curve, "--", color="0.55", lw=1.2)
    ax.set_xlim(0.0, 1.0)
    ax.set_ylim(-0.02, 1.02)
    ax.set_xticks([0.0, 0.2, 0.4, 0.6, 0.8, 1.0])
    ax.set_yticks([0.0, 0.25, 0.5, 0.75, 1.0])
    ax.set_xlabel("threshold t on the posterior η (rule: foreground iff η > t)")
    ax.set_ylabel("population Tversky index")
    ax.legend(
        handles=[
            Line2D([], [], color=OKABE_ITO["blue"], lw=1.8, label="Tversky T(α, β)"),
            Line2D([], [], color="0.55", lw=1.2, ls="--", label="Dice (α = β = 0.5)"),
            Line2D([], [], color=OKABE_ITO["vermillion"], lw=1.2,
                   label="τ = αT*/(1 + T*(α+β−1))"),
            Line2D([], [], color=OKABE_ITO["vermillion"], marker="o", mec="black", mew=0.5,
                   ls="none", label="best rule, exact sweep"),
        ],
        loc="lower center", fontsize=8, frameon=False,
    )

    ax_map = fig.add_axes((0.62, 0.12, 0.36, 0.76))
    ax_map.imshow(eta, cmap="cividis", vmin=0.0, vmax=1.0, interpolation="nearest")
    ax_map.contour(mask, levels=[0.5], colors=[OKABE_ITO["sky blue"]], linewidths=1.2,
                   linestyles="--")
    ax_map.set_xticks([])
    ax_map.set_yticks([])
    ax_map.set_title(f"posterior η on {mask.shape[0]}×{mask.shape[1]} px (cividis, 0 → 1)",
                     fontsize=9)
    ax_map.legend(
        handles=[Line2D([], [], color=OKABE_ITO["vermillion"], lw=1.6, label="optimal η > τ"),
                 Line2D([], [], color=OKABE_ITO["sky blue"], lw=1.2, ls="--",
                        label="true mask")],
        loc="upper center", bbox_to_anchor=(0.5, -0.01), ncols=2, fontsize=8, frameon=False)
    return fig


@functools.lru_cache(maxsize=8)
def _tversky_layer(posterior_key):
    return _layer(_tversky_static(posterior_key))


def tversky_figure(alpha, beta, *, shape=(96, 96), foreground_fraction=0.1, noise=1.0, seed=0):
    r"""Population Tversky index against the threshold, its optimum, and the optimal mask.

    Parameters
    ----------
    alpha : float
        Weight of false positives, :math:`\alpha \ge 0`.
    beta : float
        Weight of false negatives, :math:`\beta \ge 0` (not both 0).
    shape : tuple of int, optional
        Shape of the synthetic image (2-D).
    foreground_fraction : float, optional
        Foreground fraction of the synthetic mask, in (0, 1).
    noise : float, optional
        Noise of the posterior map (see :func:`seglab.data.posterior_map`).
    seed : int, optional
        Seed of the mask and of the noise.

    Returns
    -------
    matplotlib.figure.Figure
        Left: the population index :math:`T_{\alpha,\beta}(t)` of the rules
        :math:`\eta > t` on a posterior map (:func:`seglab.theory.threshold_curve`),
        Dice dashed for reference, the best rule found by the exact sweep
        (:func:`seglab.theory.optimal_threshold`) and the closed-form threshold
        :math:`\tau = \alpha T^\star/(1 + T^\star(\alpha + \beta - 1))`
        (:func:`seglab.theory.tversky_threshold`), which coincide. Right: the
        posterior map (``cividis``) with the outlines of the optimal mask
        :math:`\eta > \tau` and of the true mask.

    Raises
    ------
    ValueError
        If a weight is negative, both are 0, or the data options are invalid (as
        :func:`seglab.data.synthetic_mask` and :func:`seglab.data.posterior_map`).

    Notes
    -----
    The posterior map, the threshold sweep of each :math:`(\alpha, \beta)` and the
    part of the figure that does not depend on :math:`(\alpha, \beta)` (drawn once
    as a bitmap, see :func:`imbalance_figure`) are cached.

    Explained in the book, chapter 1 (``book/ch1/decisions.md``).

    Examples
    --------
    >>> from seglab.plotting import tversky_figure
    >>> fig = tversky_figure(0.3, 0.7)
    >>> fig.axes[0].get_title()
    'T(α = 0.3, β = 0.7): best T* = 0.806 at τ = 0.242'
    """
    alpha = check_real(alpha, "alpha", low=0.0)
    beta = check_real(beta, "beta", low=0.0)
    if alpha + beta <= 0:
        raise ValueError("alpha and beta must not both be 0")
    key = (tuple(shape), check_real(foreground_fraction, "foreground_fraction"),
           check_real(noise, "noise"), seed)
    mask, eta = _posterior(*key)
    curve, t_best, t_star, tau = _tversky_sweep(alpha, beta, key)

    fig, (ax, ax_map) = _overlay(_tversky_layer(key))
    ax.plot(_THRESHOLDS, curve, color=OKABE_ITO["blue"], lw=1.8)
    ax.axvline(tau, color=OKABE_ITO["vermillion"], lw=1.2)
    ax.plot([t_best], [t_star], "o", color=OKABE_ITO["vermillion"], mec="black", mew=0.5)
    ax.set_title(f"T(α = {alpha:g}, β = {beta:g}): best T* = {t_star:.3f} at τ = {tau:.3f}",
                 fontsize=10)
    ax_map.contour(eta > tau, levels=[0.5], colors=[OKABE_ITO["vermillion"]], linewidths=1.6)
    return fig


# ------------------------------------------------------------------------- outlier

_OUTLIER_CURVES = (
    ("hd", "HD", OKABE_ITO["vermillion"]),
    ("hd95", "HD95", OKABE_ITO["blue"]),
    ("assd", "ASSD", OKABE_ITO["bluish green"]),
)


def _outlier_scene(radius, shape):
    """Target disk, its centre, and the largest outlier distance that fits in the image."""
    centre = (shape[0] // 2, shape[1] // 3)
    rows, cols = np.ogrid[: shape[0], : shape[1]]
    target = (rows - centre[0]) ** 2 + (cols - centre[1]) ** 2 <= radius**2
    return target, centre, shape[1] - 1 - centre[1] - radius


def _with_outlier(target, centre, radius, distance):
    pred = target.copy()
    pred[centre[0], centre[1] + radius + distance] = True
    return pred


@functools.lru_cache(maxsize=8)
def _outlier_curves(radius, shape):
    """Dice, HD, HD95 and ASSD of the disk plus one outlier, for every outlier distance."""
    target, centre, far = _outlier_scene(radius, shape)
    grid = np.arange(2, far + 1)
    values = {key: np.empty(grid.size) for key in ("dice", "hd", "hd95", "assd")}
    for i, distance in enumerate(grid):
        pred = _with_outlier(target, centre, radius, distance)
        values["dice"][i] = metrics.dice(pred, target)
        values["hd"][i] = surface.hausdorff(pred, target)
        values["hd95"][i] = surface.hausdorff(pred, target, percentile=95)
        values["assd"][i] = surface.assd(pred, target)
    return _readonly(grid, *values.values())


def _outlier_static(radius, shape):
    target, centre, far = _outlier_scene(radius, shape)
    grid, dice, hd, hd95, assd = _outlier_curves(radius, shape)
    curves = {"hd": hd, "hd95": hd95, "assd": assd}
    fig = Figure(figsize=(9.0, 3.2), dpi=DPI, layout="constrained")
    ax_map, ax_dist, ax_dice = fig.subplots(1, 3, gridspec_kw={"width_ratios": [1, 1.3, 1.3]})
    ax_map.imshow(_error_map(target, target), cmap=_ERROR_CMAP, vmin=-0.5, vmax=3.5,
                  interpolation="nearest")
    ax_map.set_xlabel("column (px)")
    ax_map.set_ylabel("row (px)")
    handles = [Patch(facecolor=colour, edgecolor="0.5", label=label) for colour, label in (
        (OKABE_ITO["blue"], "disk: TP"), (OKABE_ITO["orange"], "outlier: FP"))]
    ax_map.legend(handles=handles, loc="upper right", fontsize=7, frameon=False,
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


@functools.lru_cache(maxsize=8)
def _outlier_layer(radius, shape):
    return _layer(_outlier_static(radius, shape))


def outlier_figure(distance, radius, *, shape=(96, 96)):
    r"""One outlier pixel: the Hausdorff distance jumps while Dice barely moves.

    Parameters
    ----------
    distance : int
        Distance (pixels, at least 2) from the disk's rightmost pixel to a single
        extra predicted pixel on the same row.
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
    >>> from seglab.plotting import outlier_figure
    >>> fig = outlier_figure(8, 12)
    >>> len(fig.axes)
    3
    """
    for value, name, low in ((distance, "distance", 2), (radius, "radius", 1)):
        if isinstance(value, bool) or not isinstance(value, numbers.Integral):
            raise TypeError(f"{name} must be an int, got {type(value).__name__} {value!r}")
        if value < low:
            raise ValueError(f"{name} must be at least {low}, got {value}")
    distance, radius, shape = int(distance), int(radius), tuple(int(n) for n in shape)
    target, centre, far = _outlier_scene(radius, shape)
    if distance > far or 2 * radius + 1 > min(shape):
        raise ValueError(
            f"an outlier at distance {distance} from a disk of radius {radius} does not fit "
            f"in an image of shape {shape} (largest distance {far})"
        )
    grid, dice, hd, hd95, assd = _outlier_curves(radius, shape)
    i = distance - 2
    fig, (ax_map, ax_dist, ax_dice) = _overlay(_outlier_layer(radius, shape))
    ax_map.scatter([centre[1] + radius + distance], [centre[0]], marker="s", s=18,
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
