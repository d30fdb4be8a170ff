r"""Decision rules: the optimal threshold of the Tversky index, rules under label noise.

* :func:`tversky_figure`: the population Tversky index of the rules :math:`\eta > t`
  on a posterior map, its optimum and the closed-form threshold (chapter 1);
* :func:`label_noise_figure`: the accuracy rule :math:`\eta > 1/2` against the
  balanced rule :math:`\eta > \pi` under uniform label noise (chapter 4).

What does not move with the slider is drawn once as a bitmap
(:mod:`seglab.viz.layers`); the numbers come from :mod:`seglab.theory` and
:mod:`seglab.data`.

Explained in the book, chapters 1 and 4 (``book/ch1/decisions.md``,
``book/ch4/perfect_loss.md``).
"""

import functools

import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from .. import data, theory
from .._validation import check_real
from .layers import cached_layer, overlay, static_layer
from .style import OKABE_ITO, frame_dpi, readonly

__all__ = ["label_noise_figure", "tversky_figure"]

_FIGSIZE = (8.0, 3.4)


# ------------------------------------------------------------------------- Tversky


def _posterior(shape, foreground_fraction, noise, seed):
    return data.posterior_case(shape, foreground_fraction=foreground_fraction, noise=noise,
                               seed=seed)


_THRESHOLDS = readonly(np.linspace(0.0, 1.0, 201))


@functools.lru_cache(maxsize=256)
def _tversky_sweep(alpha, beta, posterior_key):
    _, eta = _posterior(*posterior_key)
    curve = theory.threshold_curve(eta, _THRESHOLDS, metric="tversky_index", alpha=alpha,
                                   beta=beta)
    t_best, t_star = theory.optimal_threshold(eta, metric="tversky_index", alpha=alpha,
                                              beta=beta)
    tau = theory.tversky_threshold(t_star, alpha=alpha, beta=beta)
    return readonly(curve), t_best, t_star, tau


def _tversky_static(posterior_key):
    """Axes, labels, legends, the Dice reference curve and the posterior map."""
    mask, eta = _posterior(*posterior_key)
    dice_curve = _tversky_sweep(0.5, 0.5, posterior_key)[0]

    fig = Figure(figsize=_FIGSIZE, dpi=frame_dpi())
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

    ax_map = fig.add_axes((0.6, 0.12, 0.3, 0.76))
    shown = ax_map.imshow(eta, cmap="cividis", vmin=0.0, vmax=1.0, interpolation="nearest")
    fig.colorbar(shown, cax=fig.add_axes((0.912, 0.12, 0.012, 0.76))).ax.tick_params(
        labelsize=8)
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


@cached_layer(8)
def _tversky_layer(posterior_key):
    return static_layer(_tversky_static(posterior_key))


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
    as a bitmap, see :mod:`seglab.viz.layers`) are cached.

    Explained in the book, chapter 1 (``book/ch1/decisions.md``).

    Examples
    --------
    >>> from seglab.viz.decisions import tversky_figure
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

    fig, (ax, ax_map, _) = overlay(_tversky_layer(key))
    ax.plot(_THRESHOLDS, curve, color=OKABE_ITO["blue"], lw=1.8)
    ax.axvline(tau, color=OKABE_ITO["vermillion"], lw=1.2)
    ax.plot([t_best], [t_star], "o", color=OKABE_ITO["vermillion"], mec="black", mew=0.5)
    ax.set_title(f"T(α = {alpha:g}, β = {beta:g}): best T* = {t_star:.3f} at τ = {tau:.3f}",
                 fontsize=10)
    ax_map.contour(eta > tau, levels=[0.5], colors=[OKABE_ITO["vermillion"]], linewidths=1.6)
    return fig


# --------------------------------------------------------------------- label noise

_NOISE_FIGSIZE = (8.0, 3.3)
_LEFT = (0.075, 0.15, 0.39, 0.74)
_RIGHT = (0.585, 0.15, 0.39, 0.74)
_WIDTH = np.linspace(0.0, 0.5, 201)
_NOISE_RULES = (
    ("accuracy rule η > 1/2", OKABE_ITO["orange"]),
    ("balanced rule η > π", OKABE_ITO["blue"]),
)


@functools.lru_cache(maxsize=64)
def _noise_curves(clean_prior):
    risks = theory.label_noise_risks(clean_prior, _WIDTH)
    for value in risks.values():
        if isinstance(value, np.ndarray):
            value.flags.writeable = False
    return risks


def _noise_static(clean_prior):
    """Curves over the noise width, axes, labels and legends: all that the width does not move."""
    r = _noise_curves(clean_prior)
    fig = Figure(figsize=_NOISE_FIGSIZE, dpi=frame_dpi())
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
    ax.legend(loc="upper left", fontsize=8, frameon=False)

    ax_bar = fig.add_axes(_RIGHT)
    ax_bar.set_xlim(-0.6, 1.6)
    ax_bar.set_ylim(0, 0.5)
    ax_bar.set_xticks([0, 1], ["error rate FP + FN", "balanced error"])
    ax_bar.set_xlabel("criterion")
    ax_bar.set_ylabel("risk (probability)")
    for label, colour in _NOISE_RULES:
        ax_bar.bar([0], [0], color=colour, label=label)
    ax_bar.legend(loc="upper left", fontsize=8, frameon=False)
    return fig


@cached_layer(16)
def _noise_layer(clean_prior):
    return static_layer(_noise_static(clean_prior))


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
    once per ``clean_prior`` and kept as a bitmap (see :mod:`seglab.viz.layers`).

    Explained in the book, chapter 4 (``book/ch4/perfect_loss.md``).

    Examples
    --------
    >>> from seglab.viz.decisions import label_noise_figure
    >>> fig = label_noise_figure(0.05, 0.2)
    >>> len(fig.axes), fig.axes[0].get_title()
    (2, 'a = 0.05, w = 0.2: π = 0.14, conflict mass 0.285')
    """
    clean_prior = check_real(clean_prior, "clean_prior", low=0.0, high=0.5, low_open=True)
    noise_width = check_real(noise_width, "noise_width", low=0.0, high=0.5)
    r = theory.label_noise_risks(clean_prior, noise_width)
    fig, (ax, ax_bar) = overlay(_noise_layer(clean_prior))
    excess_err = r["error_balanced_rule"] - r["error_accuracy_rule"]
    excess_ber = r["ber_accuracy_rule"] - r["ber_balanced_rule"]
    ax.plot([noise_width] * 3, [excess_err, excess_ber, r["conflict_mass"]], "o",
            color=OKABE_ITO["black"], ms=5)
    ax.axvline(noise_width, color="0.5", lw=0.8)
    ax.set_title(f"a = {clean_prior:g}, w = {noise_width:g}: π = {r['pi']:.3g}, "
                 f"conflict mass {r['conflict_mass']:.3g}", fontsize=9)
    for offset, key, (_, colour) in zip((-0.2, 0.2), ("accuracy_rule", "balanced_rule"),
                                        _NOISE_RULES, strict=True):
        values = [r[f"error_{key}"], r[f"ber_{key}"]]
        ax_bar.bar(np.array([0.0, 1.0]) + offset, values, width=0.38, color=colour)
        for x, v in zip((offset, 1.0 + offset), values, strict=True):
            ax_bar.text(x, v + 0.005, f"{v:.3f}", ha="center", va="bottom", fontsize=8)
    return fig


