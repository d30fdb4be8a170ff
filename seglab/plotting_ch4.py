r"""Figures of chapter 4: the perfect-loss slider and the surrogate comparison.

Like :mod:`seglab.plotting`, the function takes scalars and returns a new
:class:`matplotlib.figure.Figure` not registered with pyplot, renders in well under
100 ms (what does not move with the noise width is drawn once per prior and cached as
a bitmap), and uses the Okabe–Ito colours. The numbers come from
:func:`seglab.theory.label_noise_risks`.

Explained in the book, chapter 4 (``book/ch4/perfect_loss.md``).
"""

import functools

import numpy as np
from matplotlib.figure import Figure

from . import data, theory
from ._validation import check_real
from .plotting import OKABE_ITO, _layer, _overlay
from .widgets import DPI

__all__ = ["ce_dice_figure", "comparison_figure", "label_noise_figure"]

_FIGSIZE = (8.0, 3.3)
_LEFT = (0.075, 0.15, 0.39, 0.74)
_RIGHT = (0.585, 0.15, 0.39, 0.74)
_WIDTH = np.linspace(0.0, 0.5, 201)
_RULES = (
    ("accuracy rule η > 1/2", OKABE_ITO["orange"]),
    ("balanced rule η > π", OKABE_ITO["blue"]),
)


@functools.lru_cache(maxsize=64)
def _curves(clean_prior):
    risks = theory.label_noise_risks(clean_prior, _WIDTH)
    for value in risks.values():
        if isinstance(value, np.ndarray):
            value.flags.writeable = False
    return risks


def _static(clean_prior):
    """Curves over the noise width, axes, labels and legends: all that the width does not move."""
    r = _curves(clean_prior)
    fig = Figure(figsize=_FIGSIZE, dpi=DPI)
    ax = fig.add_axes(_LEFT)
    ax.plot(_WIDTH, r["error_balanced_rule"] - r["error_accuracy_rule"],
            color=OKABE_ITO["blue"], lw=1.6, label="excess error of the balanced rule")
    ax.plot(_WIDTH, r["ber_accuracy_rule"] - r["ber_balanced_rule"],
            color=OKABE_ITO["orange"], lw=1.6, ls="--",
            label="excess balanced error of the accuracy rule")
    ax.plot(_WIDTH, r["conflict_mass"], color=OKABE_ITO["reddish purple"], lw=1.2, ls=":",
            label="P(π < η < 1/2), conflict mass")
    bound = float(r["margin_bound"][0])
    ax.axvline(bound, color=OKABE_ITO["bluish green"], lw=1.2,
               label=f"margin bound 2a/(1 + 2a) = {bound:.3f}")
    ax.set_xlim(0, 0.5)
    ax.set_ylim(0, 1.0)
    ax.set_xlabel("noise width w (largest flip probability)")
    ax.set_ylabel("probability / excess risk")
    ax.legend(loc="upper left", fontsize=7, frameon=False)

    ax_bar = fig.add_axes(_RIGHT)
    ax_bar.set_xlim(-0.6, 1.6)
    ax_bar.set_ylim(0, 0.5)
    ax_bar.set_xticks([0, 1], ["error rate FP + FN", "balanced error"])
    ax_bar.set_xlabel("criterion")
    ax_bar.set_ylabel("risk (probability)")
    for label, colour in _RULES:
        ax_bar.bar([0], [0], color=colour, label=label)
    ax_bar.legend(loc="upper left", fontsize=8, frameon=False)
    return fig


@functools.lru_cache(maxsize=16)
def _static_layer(clean_prior):
    return _layer(_static(clean_prior))


def label_noise_figure(clean_prior, noise_width):
    r"""Accuracy rule against balanced rule under uniform label noise, for a slider.

    Parameters
    ----------
    clean_prior : float
        Clean foreground fraction :math:`a \in (0, 1/2]`.
    noise_width : float
        Largest flip probability :math:`w \in [0, 1/2]`.

    Returns
    -------
    matplotlib.figure.Figure
        Left, against the noise width for this ``clean_prior``: the excess error rate of
        the balanced rule :math:`\mathbf 1\{\eta > \pi\}`, the excess balanced error of the
        accuracy rule :math:`\mathbf 1\{\eta > 1/2\}`, the conflict mass
        :math:`P(\pi < \eta < 1/2)` and the margin bound :math:`2a/(1 + 2a)` (vertical),
        with markers at ``noise_width``. Right: the error rate and the balanced error of
        both rules at ``(clean_prior, noise_width)``. All from
        :func:`seglab.theory.label_noise_risks`.

    Raises
    ------
    TypeError
        If an argument is not a real number.
    ValueError
        If ``clean_prior`` leaves (0, 1/2] or ``noise_width`` leaves [0, 1/2].

    Notes
    -----
    Built for :func:`seglab.widgets.slider`: the curves, axes and legends are drawn
    once per ``clean_prior`` and kept as a bitmap (see :mod:`seglab.plotting`).

    Explained in the book, chapter 4 (``book/ch4/perfect_loss.md``).

    Examples
    --------
    >>> from seglab.plotting_ch4 import label_noise_figure
    >>> fig = label_noise_figure(0.05, 0.2)
    >>> len(fig.axes), fig.axes[0].get_title()
    (2, 'a = 0.05, w = 0.2: π = 0.14, conflict mass 0.285')
    """
    clean_prior = check_real(clean_prior, "clean_prior", low=0.0, high=0.5, low_open=True)
    noise_width = check_real(noise_width, "noise_width", low=0.0, high=0.5)
    r = theory.label_noise_risks(clean_prior, noise_width)
    fig, (ax, ax_bar) = _overlay(_static_layer(clean_prior))
    excess_err = r["error_balanced_rule"] - r["error_accuracy_rule"]
    excess_ber = r["ber_accuracy_rule"] - r["ber_balanced_rule"]
    ax.plot([noise_width] * 3, [excess_err, excess_ber, r["conflict_mass"]], "o",
            color=OKABE_ITO["black"], ms=5)
    ax.axvline(noise_width, color="0.5", lw=0.8)
    ax.set_title(f"a = {clean_prior:g}, w = {noise_width:g}: π = {r['pi']:.3g}, "
                 f"conflict mass {r['conflict_mass']:.3g}", fontsize=9)
    for offset, key, (_, colour) in zip((-0.2, 0.2), ("accuracy_rule", "balanced_rule"),
                                        _RULES, strict=True):
        values = [r[f"error_{key}"], r[f"ber_{key}"]]
        ax_bar.bar(np.array([0.0, 1.0]) + offset, values, width=0.38, color=colour)
        for x, v in zip((offset, 1.0 + offset), values, strict=True):
            ax_bar.text(x, v + 0.005, f"{v:.3f}", ha="center", va="bottom", fontsize=7)
    return fig


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

    Explained in the book, chapter 4 (``book/ch4/surrogate.md``).

    Examples
    --------
    >>> from seglab.plotting_ch4 import comparison_figure
    >>> fig = comparison_figure([0.01, 0.1], [[0.3, 0.8], [0.1, 0.7]], [[0.02, 0.01]] * 2,
    ...                         labels=["ours", "baseline"])
    >>> fig.axes[0].get_xlabel()
    'foreground fraction (log scale)'
    """
    ratios = np.asarray(ratios, dtype=np.float64)
    means = np.asarray(means, dtype=np.float64)
    halves = np.asarray(halves, dtype=np.float64)
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


@functools.lru_cache(maxsize=64)
def _ce_dice_levels(prior, shape, noise, seed):
    """Posterior levels (rounded to 1e-2, inside (0, 1)) and their pixel counts."""
    mask = data.synthetic_mask(shape, foreground_fraction=prior, seed=seed)
    eta = np.clip(np.round(data.posterior_map(mask, noise=noise, seed=seed), 2), 5e-3, 1 - 5e-3)
    levels, counts = np.unique(eta, return_counts=True)
    levels.flags.writeable = counts.flags.writeable = False
    return levels, counts


def ce_dice_figure(lam, prior, *, shape=(64, 64), noise=2.0, seed=0):
    r"""Population minimiser of cross-entropy plus soft Dice, and where it thresholds.

    Parameters
    ----------
    lam : float
        Weight :math:`\lambda \in [0, 1]` of cross-entropy (soft Dice has :math:`1 - \lambda`).
    prior : float
        Foreground fraction of the synthetic mask, in (0, 1).
    shape : tuple of int, optional
        Shape of the synthetic image (2-D).
    noise : float, optional
        Noise of the posterior map (see :func:`seglab.data.posterior_map`).
    seed : int, optional
        Seed of the mask and of the noise.

    Returns
    -------
    matplotlib.figure.Figure
        The scores :math:`q^\star` of :func:`seglab.theory.ce_soft_dice_minimiser` against the
        posterior :math:`\eta` of each pixel (posteriors rounded to :math:`10^{-2}`), the
        diagonal :math:`q = \eta` (what cross-entropy alone gives), the decision level 1/2,
        and on the :math:`\eta` axis the Dice-optimal threshold :math:`F^\star/2`; the title
        gives the population Dice of :math:`q^\star > 1/2` and :math:`F^\star`.

    Raises
    ------
    ValueError
        If ``lam`` leaves [0, 1] or the data options are invalid (as
        :func:`seglab.data.synthetic_mask` and :func:`seglab.data.posterior_map`).

    Explained in the book, chapter 4 (``book/ch4/surrogate.md``).

    Examples
    --------
    >>> from seglab.plotting_ch4 import ce_dice_figure
    >>> fig = ce_dice_figure(0.5, 0.05)
    >>> fig.axes[0].get_xlabel()
    'posterior η'
    """
    lam = check_real(lam, "lam", low=0.0, high=1.0)
    prior = check_real(prior, "prior", low=0.0, high=1.0, low_open=True, high_open=True)
    levels, counts = _ce_dice_levels(prior, tuple(shape), check_real(noise, "noise"), seed)
    q = theory.ce_soft_dice_minimiser(levels, lam=lam, weights=counts)
    pi = counts @ levels
    rule = q > 0.5
    dice = 2 * counts @ (levels * rule) / (counts @ rule + pi)
    _, f_star = theory.optimal_threshold(np.repeat(levels, counts), metric="dice")
    fig = Figure(figsize=(6.4, 3.4), dpi=DPI)
    ax = fig.add_axes((0.1, 0.15, 0.58, 0.72))
    ax.plot([0, 1], [0, 1], color="0.6", linestyle=":", label="cross-entropy alone: q = η")
    ax.plot(levels, q, color=OKABE_ITO["vermillion"], lw=2.0, label="CE + soft Dice: q*")
    ax.axhline(0.5, color="0.3", lw=0.8, label="decision level 1/2")
    ax.axvline(f_star / 2, color=OKABE_ITO["blue"], linestyle="--", label="Dice-optimal F*/2")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_xlabel("posterior η")
    ax.set_ylabel("score q")
    ax.set_title(f"λ = {lam:g}, prior {prior:g}: Dice {dice:.3f}, best F* = {f_star:.3f}",
                 fontsize=9)
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize=8, frameon=False)
    return fig
