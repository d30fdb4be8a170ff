r"""Class imbalance: how scores and decisions move as the foreground fraction shrinks.

* :func:`imbalance_figure`: the population scores of a segmentation of fixed quality
  against the foreground prior :math:`\pi`, with an example error map (chapter 1);
* :func:`imbalance_rules_figure`: where each family of losses puts the decision on a
  posterior map, and the Dice it gets, as :math:`\pi` shrinks (chapter 2);
* :func:`comparison_figure`: the test score of several methods against the foreground
  fraction, with confidence intervals (chapter 4).

The slider figures draw once, as a bitmap (:mod:`seglab.viz.layers`), what does not move
with the slider; the numbers come from :mod:`seglab.theory`, :mod:`seglab.data` and
:mod:`seglab.metrics`.

Explained in the book, chapters 1, 2 and 4 (``book/ch1/index.md``,
``book/ch2/experiments.md``, ``book/ch4/surrogate.md``).
"""

import functools
import math

import numpy as np
from matplotlib.cm import ScalarMappable
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FixedFormatter, FixedLocator, NullLocator

from .. import data, metrics, theory
from .._validation import as_float_array, check_real
from .layers import cached_layer, overlay, static_layer
from .style import DPI, ERROR_CMAP, OKABE_ITO, error_handles, error_map, frame_dpi, readonly

__all__ = ["PRIORS", "comparison_figure", "dice_threshold_figure", "imbalance_figure",
           "imbalance_rules_figure"]

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

_PRIOR_TICKS = (0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5)


# ----------------------------------------------------------------------- imbalance


def _imbalance_static(tpr, fpr, low, high, shape):
    """Curves over the prior axis, axes, labels and legends: everything but the marker."""
    grid = np.geomspace(low, high, 160)
    rates = theory.rates_to_metrics(tpr, fpr, grid)
    all_background = theory.trivial_classifier_metrics(grid, predict="background")
    all_foreground = theory.trivial_classifier_metrics(grid, predict="foreground")

    fig = Figure(figsize=_FIGSIZE, dpi=frame_dpi())
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
    ax_map.imshow(np.zeros(shape, dtype=np.int8), cmap=ERROR_CMAP, vmin=-0.5, vmax=3.5)
    ax_map.set_xticks([])
    ax_map.set_yticks([])
    ax_map.legend(handles=error_handles(), loc="upper center", bbox_to_anchor=(0.5, -0.02),
                  ncols=4, fontsize=8, frameon=False, handlelength=1.0, columnspacing=1.0)
    return fig


def _prior_range(pi):
    """The prior axis: [0.001, 0.5], widened to a power of ten (of pi or of 1 - pi) to show pi.

    Snapped bounds keep the cached static part valid for every pi of the default range.
    """
    low = 0.001 if pi >= 0.001 else 10.0 ** math.floor(math.log10(pi))
    high = 0.5 if pi <= 0.5 else 1.0 - 10.0 ** math.floor(math.log10(1.0 - pi))
    return low, high


@cached_layer(8)
def _imbalance_layer(tpr, fpr, low, high, shape):
    return static_layer(_imbalance_static(tpr, fpr, low, high, shape))


@functools.lru_cache(maxsize=64)
def _imbalance_example(pi, tpr, fpr, shape, seed):
    target = data.synthetic_mask(shape, foreground_fraction=pi, seed=seed)
    pred = data.noisy_prediction(target, tpr=tpr, fpr=fpr, seed=seed)
    scores = metrics.evaluate(pred, target, metrics=("accuracy", "dice"))
    return readonly(error_map(pred, target)), int(target.sum()), scores


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
    kept as a bitmap at the frames' resolution :data:`seglab.viz.style.DPI`; each call
    adds only the marker, the example and their labels on transparent axes. Saved at
    another resolution the bitmap is resampled. The figure is not registered with
    pyplot.

    Explained in the book, chapter 1 (``book/ch1/index.md``).

    Examples
    --------
    >>> from seglab.viz.imbalance import imbalance_figure
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

    fig, (ax, ax_map) = overlay(_imbalance_layer(tpr, fpr, *_prior_range(pi), shape))
    ax.axvline(pi, color="0.3", lw=0.8)
    ax.scatter([pi] * len(_IMBALANCE_CURVES), [at_pi[key] for key, _, _ in _IMBALANCE_CURVES],
               c=[colour for _, _, colour in _IMBALANCE_CURVES], s=24, zorder=3,
               edgecolors="black", linewidths=0.6)
    ax.text(pi, 1.03, f" π = {pi:.3g}", transform=ax.get_xaxis_transform(), fontsize=9,
            ha="center", va="bottom")
    ax_map.imshow(errors, cmap=ERROR_CMAP, vmin=-0.5, vmax=3.5, interpolation="nearest",
                  aspect="auto")
    ax_map.set_title(f"example: {num_foreground} of {errors.size} px\n"
                     f"Dice {scores['dice']:.2f}, accuracy {scores['accuracy']:.3f}",
                     fontsize=9)
    return fig


# ---------------------------------------------------------- decisions of the losses

#: Foreground fractions of the curves of :func:`imbalance_rules_figure`.
PRIORS = np.geomspace(0.002, 0.5, 11)
PRIORS.flags.writeable = False

_TRUE_MASK = OKABE_ITO["reddish purple"]
_SHAPE = (96, 96)

# (key, legend label, colour, line style) of the decision rules.
_RULES = (
    ("ce", "CE or focal: η > 1/2", OKABE_ITO["blue"], "-"),
    ("wce", "balanced weighted CE: η > π", OKABE_ITO["bluish green"], "-."),
    ("dice", "Dice-optimal: η > F*/2", OKABE_ITO["vermillion"], "--"),
)


def _posterior(pi):
    return data.posterior_case(_SHAPE, foreground_fraction=pi)


@functools.lru_cache(maxsize=64)
def _rules(pi):
    return theory.imbalance_rules(_posterior(pi)[1], pi)


def _rules_map(ax_map, pi, *, linewidth):
    """The posterior map at ``pi`` with the outline of each rule's mask and the true mask."""
    rules = _rules(pi)
    mask, eta = _posterior(pi)
    ax_map.imshow(eta, cmap="cividis", vmin=0.0, vmax=1.0, interpolation="nearest")
    for key, _, colour, style in _RULES:
        above = eta > rules[key][0]
        if above.any() and not above.all():
            ax_map.contour(above, levels=[0.5], colors=[colour], linewidths=linewidth,
                           linestyles=style)
    ax_map.contour(mask, levels=[0.5], colors=[_TRUE_MASK], linewidths=linewidth,
                   linestyles=":")


@functools.lru_cache(maxsize=1)
def _rules_curves():
    rows = [_rules(float(p)) for p in PRIORS]
    return {key: readonly(np.array([r[key][1] for r in rows])) for key, *_ in _RULES}


def _rules_static():
    curves = _rules_curves()
    fig = Figure(figsize=_FIGSIZE, dpi=frame_dpi())
    ax = fig.add_axes((0.08, 0.15, 0.5, 0.75))
    for key, label, colour, style in _RULES:
        ax.plot(PRIORS, curves[key], style, color=colour, lw=1.6, label=label)
    ax.set_xscale("log")
    ax.set_xlim(PRIORS[0], PRIORS[-1])
    ax.set_ylim(0.0, 1.0)
    ax.set_xlabel("foreground fraction π (log scale)")
    ax.set_ylabel("population Dice of the rule")
    ax.legend(loc="lower right", fontsize=8, frameon=False)
    ax_map = fig.add_axes((0.62, 0.12, 0.36, 0.76))
    ax_map.set_xticks([])
    ax_map.set_yticks([])
    ax_map.set_xlim(-0.5, _SHAPE[1] - 0.5)
    ax_map.set_ylim(_SHAPE[0] - 0.5, -0.5)
    ax_map.legend(
        handles=[Line2D([], [], color=c, ls=s, lw=1.4, label=k.upper())
                 for k, _, c, s in _RULES]
        + [Line2D([], [], color=_TRUE_MASK, ls=":", lw=1.4, label="true mask")],
        loc="upper center", bbox_to_anchor=(0.5, -0.01), ncols=4, fontsize=7,
        frameon=False)
    return fig


@cached_layer(1)
def _rules_layer():
    return static_layer(_rules_static())


def imbalance_rules_figure(pi):
    r"""Where each loss puts the decision on a posterior map, and its Dice, at prior ``pi``.

    Parameters
    ----------
    pi : float
        Foreground fraction of the synthetic mask, in (0, 1).

    Returns
    -------
    matplotlib.figure.Figure
        Left: the population Dice of the three rules of
        :func:`seglab.theory.imbalance_rules` on the posterior map of a 96 × 96
        mask with that fraction (:func:`seglab.data.posterior_case`, ``noise=1``,
        ``seed=0``), for every fraction in
        :data:`PRIORS` (log axis), with the values at ``pi`` marked. Right: the
        posterior map at ``pi`` (``cividis``, 0 → 1) with the outline of
        each rule's mask and of the true mask (dotted).

    Raises
    ------
    ValueError
        If ``pi`` leaves (0, 1).

    Notes
    -----
    The curves and the axes are drawn once and kept as a bitmap (see
    :mod:`seglab.viz.layers`); a frame draws the map, three outlines and the markers. The
    posterior map and the rules are cached by ``pi``.

    Explained in the book, chapter 2 (``book/ch2/experiments.md``).

    Examples
    --------
    >>> from seglab.viz.imbalance import imbalance_rules_figure
    >>> fig = imbalance_rules_figure(0.05)
    >>> fig.axes[0].get_title()
    'π = 0.05: Dice 0.73 (η > 1/2), 0.44 (η > π), 0.73 (best)'
    """
    pi = check_real(pi, "pi", low=0.0, high=1.0, low_open=True, high_open=True)
    rules = _rules(pi)
    fig, (ax, ax_map) = overlay(_rules_layer())
    ax.axvline(pi, color="0.4", lw=0.8)
    for key, _, colour, _ in _RULES:
        ax.plot([pi], [rules[key][1]], "o", color=colour, mec="black", mew=0.5)
    ax.set_title(f"π = {pi:g}: Dice {rules['ce'][1]:.2f} (η > 1/2), {rules['wce'][1]:.2f} "
                 f"(η > π), {rules['dice'][1]:.2f} (best)", fontsize=9)
    _rules_map(ax_map, pi, linewidth=1.4)
    return fig


@functools.lru_cache(maxsize=1)
def _threshold_curves():
    rows = [_rules(float(p)) for p in PRIORS]
    curves = {key: readonly(np.array([r[key][0] for r in rows])) for key, *_ in _RULES}
    curves["half_dice"] = readonly(np.array([r["dice"][1] / 2 for r in rows]))
    return curves


def _threshold_static():
    curves = _threshold_curves()
    fig = Figure(figsize=(9.0, 3.6), dpi=frame_dpi())
    ax = fig.add_axes((0.08, 0.17, 0.47, 0.7))
    for key, label, colour, style in _RULES:
        ax.plot(PRIORS, curves[key], style, color=colour, lw=2.0, label=label)
    ax.plot(PRIORS, curves["half_dice"], "o", color=OKABE_ITO["vermillion"], ms=5, mfc="none",
            label="F*/2 (half the best Dice)")
    ax.set_xscale("log")
    ax.set_xlim(PRIORS[0], PRIORS[-1])
    ax.set_ylim(0.0, 0.8)
    ax.set_xlabel("foreground fraction π (log scale)")
    ax.set_ylabel("threshold t on η")
    ax.legend(loc="upper left", fontsize=9, frameon=False, ncols=2)
    ax.grid(alpha=0.3)
    ax_map = fig.add_axes((0.6, 0.1, 0.3, 0.8))
    ax_map.set_xticks([])
    ax_map.set_yticks([])
    ax_map.set_xlim(-0.5, _SHAPE[1] - 0.5)
    ax_map.set_ylim(_SHAPE[0] - 0.5, -0.5)
    ax_bar = fig.add_axes((0.91, 0.1, 0.015, 0.8))
    bar = fig.colorbar(ScalarMappable(Normalize(0.0, 1.0), cmap="cividis"), cax=ax_bar)
    bar.set_label("posterior η")
    return fig


@cached_layer(2)
def _threshold_layer():
    return static_layer(_threshold_static())


def dice_threshold_figure(pi):
    r"""The Dice-optimal threshold :math:`F^\star/2` against the prior, at prior ``pi``.

    Parameters
    ----------
    pi : float
        Foreground fraction of the synthetic mask, in (0, 1).

    Returns
    -------
    matplotlib.figure.Figure
        Left: the threshold on the posterior of the three rules of
        :func:`seglab.theory.imbalance_rules` (cross-entropy :math:`1/2`, balanced
        weighted cross-entropy :math:`\pi`, Dice-optimal :math:`F^\star/2`) for every
        fraction in :data:`PRIORS` (log axis), with half the best Dice :math:`F^\star/2`
        as circles (they sit on the Dice curve) and the values at ``pi`` marked. Right:
        the posterior map at ``pi`` (``cividis`` with a colour bar) with the outline of
        each rule's mask, as in :func:`imbalance_rules_figure`.

    Raises
    ------
    ValueError
        If ``pi`` leaves (0, 1).

    Notes
    -----
    The Dice-optimal rule thresholds the posterior at half the optimal Dice, so the
    threshold falls with the prior: the rarer the foreground, the lower the best Dice
    and the lower the threshold. The curves and axes are drawn once and kept as a bitmap
    (:mod:`seglab.viz.layers`).

    Explained in the book, chapter 1 (``book/ch1/decisions.md``).

    Examples
    --------
    >>> from seglab.viz.imbalance import dice_threshold_figure
    >>> fig = dice_threshold_figure(0.05)
    >>> fig.axes[0].get_title()
    'π = 0.05: t = 1/2, π = 0.05, F*/2 = 0.36 (best Dice 0.73)'
    """
    pi = check_real(pi, "pi", low=0.0, high=1.0, low_open=True, high_open=True)
    rules = _rules(pi)
    fig, (ax, ax_map, _) = overlay(_threshold_layer())
    ax.axvline(pi, color="0.4", lw=1.0)
    for key, _, colour, _ in _RULES:
        ax.plot([pi], [rules[key][0]], "o", color=colour, mec="black", mew=0.6, ms=8)
    ax.set_title(f"π = {pi:g}: t = 1/2, π = {pi:g}, F*/2 = {rules['dice'][0]:.2f} "
                 f"(best Dice {rules['dice'][1]:.2f})", fontsize=10)
    _rules_map(ax_map, pi, linewidth=1.6)
    return fig


# ---------------------------------------------------------------- method comparison

_MARKERS = "osD^v<>"
_SERIES = ("vermillion", "blue", "sky blue", "bluish green", "orange", "reddish purple", "black")


def comparison_figure(ratios, means, halves, *, labels):
    r"""Test score of several methods against the foreground fraction, with intervals.

    Parameters
    ----------
    ratios : array_like of float, shape (R,)
        Foreground fractions in (0, 1), increasing (log axis).
    means, halves : array_like of float, shape (M, R)
        Mean score and half-width of its confidence interval, per method and fraction;
        ``halves`` nonnegative.
    labels : sequence of str, length M
        Method names, in the order of the rows (at most 7); the first is drawn boldest.

    Returns
    -------
    matplotlib.figure.Figure
        Error bars (mean ± half-width) of each method, slightly offset along the
        fraction axis so that the bars do not overlap, in Okabe–Ito colours.

    Raises
    ------
    ValueError
        If the shapes disagree, a fraction leaves (0, 1) or the fractions do not
        increase, a value is not finite, a half-width is negative, or there are more
        than 7 methods.
    TypeError
        If ``ratios``, ``means`` or ``halves`` is not a real array (complex, boolean,
        object).

    Explained in the book, chapter 4 (``book/ch4/surrogate.md``).

    Examples
    --------
    >>> from seglab.viz.imbalance import comparison_figure
    >>> fig = comparison_figure([0.01, 0.1], [[0.3, 0.8], [0.1, 0.7]], [[0.02, 0.01]] * 2,
    ...                         labels=["ours", "baseline"])
    >>> fig.axes[0].get_xlabel()
    'foreground fraction (log scale)'
    """
    ratios = as_float_array(ratios, "ratios", allow_empty=True)
    means = as_float_array(means, "means", allow_empty=True)
    halves = as_float_array(halves, "halves", allow_empty=True)
    labels = list(labels)
    shape = (len(labels), ratios.size)
    if ratios.ndim != 1 or means.shape != shape or halves.shape != shape:
        raise ValueError(
            f"ratios shape {ratios.shape}, means shape {means.shape}, halves shape "
            f"{halves.shape} and {len(labels)} labels do not fit (M, R) = "
            f"({len(labels)}, {ratios.size})"
        )
    if len(labels) > len(_SERIES):
        raise ValueError(f"at most {len(_SERIES)} methods, got {len(labels)}")
    if not (np.all(np.isfinite(ratios)) and np.all(np.isfinite(means))
            and np.all(np.isfinite(halves))):
        raise ValueError("ratios, means and halves must be finite")
    if np.any((ratios <= 0) | (ratios >= 1)) or np.any(np.diff(ratios) <= 0):
        raise ValueError("ratios must lie in (0, 1) and increase")
    if np.any(halves < 0):
        raise ValueError("halves must be nonnegative")
    fig = Figure(figsize=(6.4, 3.4), dpi=DPI)
    ax = fig.add_axes((0.1, 0.15, 0.58, 0.78))
    spread = np.linspace(-1, 1, len(labels)) * 0.06 if len(labels) > 1 else np.zeros(1)
    for k, label in enumerate(labels):
        ax.errorbar(ratios * np.exp(spread[k]), means[k], yerr=halves[k], capsize=3,
                    marker=_MARKERS[k], ms=5 if k else 7, lw=2.0 if k == 0 else 1.0,
                    color=OKABE_ITO[_SERIES[k]], label=label)
    ax.set_xscale("log")
    ax.set_xticks(ratios, [f"{r:.0%}" if r >= 0.01 else f"{r:.1%}" for r in ratios])
    ax.set_xlabel("foreground fraction (log scale)")
    ax.set_ylabel("test Dice (pooled pixels)")
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize=8, frameon=False)
    return fig
