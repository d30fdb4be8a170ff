r"""Slider figures of the chapter-2 experiments: imbalance and the Tversky weights.

Like :mod:`seglab.plotting`, every function takes scalars and returns a new
:class:`matplotlib.figure.Figure` (not registered with pyplot), is pure, and
renders in under 100 ms once its cached curves exist (timed by
``benchmarks/bench_plotting_ch2.py``); colours are Okabe–Ito, maps ``cividis`` or
``viridis``. The numbers come from :mod:`seglab.theory`,
:mod:`seglab.data` and :mod:`seglab.losses`.

* :func:`imbalance_rules_figure`: which decision each loss's minimiser makes on a
  posterior map, and the Dice it gets, as the foreground fraction :math:`\pi` shrinks;
* :func:`tversky_surface_figure`: the soft Tversky loss of two pixels as a surface,
  its descent field, and the population-optimal threshold of the Tversky index.

Explained in the book, chapter 2 (``book/ch2/experiments.md``).
"""

import functools

import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from . import data, losses, theory
from ._validation import check_real
from .plotting import OKABE_ITO, _layer, _overlay
from .widgets import DPI

__all__ = ["PRIORS", "imbalance_rules", "imbalance_rules_figure", "tversky_pair_loss",
           "tversky_surface_figure"]

#: Foreground fractions of the curves of :func:`imbalance_rules_figure`.
PRIORS = np.geomspace(0.002, 0.5, 11)
PRIORS.flags.writeable = False

_FIGSIZE = (8.0, 3.4)
_TRUE_MASK = OKABE_ITO["reddish purple"]
_SHAPE = (96, 96)

# (key, legend label, colour, line style) of the decision rules.
_RULES = (
    ("ce", "CE or focal: η > 1/2", OKABE_ITO["blue"], "-"),
    ("wce", "balanced weighted CE: η > π", OKABE_ITO["bluish green"], "-."),
    ("dice", "Dice-optimal: η > F*/2", OKABE_ITO["vermillion"], "--"),
)


def _readonly(a):
    a.flags.writeable = False
    return a


@functools.lru_cache(maxsize=64)
def _posterior(pi):
    mask = data.synthetic_mask(_SHAPE, foreground_fraction=pi, seed=0)
    eta = data.posterior_map(mask, noise=1.0, seed=0)
    return _readonly(mask), _readonly(eta)


@functools.lru_cache(maxsize=64)
def imbalance_rules(pi):
    r"""Thresholds on :math:`\eta` of three decision rules and their population Dice.

    Parameters
    ----------
    pi : float
        Foreground fraction of the synthetic mask, in (0, 1).

    Returns
    -------
    dict
        For each rule key ``'ce'``, ``'wce'``, ``'dice'``: a pair ``(threshold, dice)``,
        the threshold :math:`t` on the posterior and the population Dice
        (:func:`seglab.theory.expected_metrics`) of the rule :math:`\eta > t`.

    Raises
    ------
    ValueError
        If ``pi`` leaves (0, 1) or the mask would have no pixel (as
        :func:`seglab.data.synthetic_mask`).

    Notes
    -----
    The posterior :math:`\eta` is :func:`seglab.data.posterior_map` (``noise=1``,
    ``seed=0``) of the 96 × 96 :func:`seglab.data.synthetic_mask` with fraction
    :math:`\pi`. Cross-entropy and the focal loss are minimised by a map whose 1/2
    level set is :math:`\eta = 1/2`; cross-entropy with inverse-frequency class weights
    :math:`w_1/w_0 = (1 - \pi)/\pi` by one whose 1/2 level is
    :math:`\eta = w_0/(w_0 + w_1) = \pi`; the best rule for the population Dice is
    :math:`\eta > F^\star/2` (:func:`seglab.theory.optimal_threshold`). Results are
    cached by ``pi``.

    Explained in the book, chapter 2 (``book/ch2/experiments.md``).

    Examples
    --------
    >>> from seglab.plotting_ch2 import imbalance_rules
    >>> rules = imbalance_rules(0.01)
    >>> rules["wce"][0]
    0.01
    >>> rules["dice"][1] >= max(rules["ce"][1], rules["wce"][1])
    True
    """
    pi = check_real(pi, "pi", low=0.0, high=1.0, low_open=True, high_open=True)
    _, eta = _posterior(pi)
    t_dice, _ = theory.optimal_threshold(eta, metric="dice")
    out = {}
    for key, t in (("ce", 0.5), ("wce", pi), ("dice", t_dice)):
        out[key] = (float(t), float(theory.expected_metrics(eta, t)["dice"]))
    return out


@functools.lru_cache(maxsize=1)
def _imbalance_curves():
    rows = [imbalance_rules(float(p)) for p in PRIORS]
    return {key: _readonly(np.array([r[key][1] for r in rows])) for key, *_ in _RULES}


def _imbalance_static():
    curves = _imbalance_curves()
    fig = Figure(figsize=_FIGSIZE, dpi=DPI)
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


@functools.lru_cache(maxsize=1)
def _imbalance_layer():
    return _layer(_imbalance_static())


def imbalance_rules_figure(pi):
    r"""Where each loss puts the decision on a posterior map, and its Dice, at prior ``pi``.

    Parameters
    ----------
    pi : float
        Foreground fraction of the synthetic mask, in (0, 1).

    Returns
    -------
    matplotlib.figure.Figure
        Left: the population Dice of the three rules of :func:`imbalance_rules` for
        every fraction in :data:`PRIORS` (log axis), with the values at ``pi`` marked.
        Right: the posterior map at ``pi`` (``cividis``, 0 → 1) with the outline of
        each rule's mask and of the true mask (dotted).

    Raises
    ------
    ValueError
        If ``pi`` leaves (0, 1).

    Notes
    -----
    The curves and the axes are drawn once and kept as a bitmap (see
    :mod:`seglab.plotting`); a frame draws the map, three outlines and the markers.

    Explained in the book, chapter 2 (``book/ch2/experiments.md``).

    Examples
    --------
    >>> from seglab.plotting_ch2 import imbalance_rules_figure
    >>> fig = imbalance_rules_figure(0.05)
    >>> fig.axes[0].get_title()
    'π = 0.05: Dice 0.73 (η > 1/2), 0.44 (η > π), 0.73 (best)'
    """
    pi = check_real(pi, "pi", low=0.0, high=1.0, low_open=True, high_open=True)
    rules = imbalance_rules(pi)
    mask, eta = _posterior(pi)
    fig, (ax, ax_map) = _overlay(_imbalance_layer())
    ax.axvline(pi, color="0.4", lw=0.8)
    for key, _, colour, _ in _RULES:
        ax.plot([pi], [rules[key][1]], "o", color=colour, mec="black", mew=0.5)
    ax.set_title(f"π = {pi:g}: Dice {rules['ce'][1]:.2f} (η > 1/2), {rules['wce'][1]:.2f} "
                 f"(η > π), {rules['dice'][1]:.2f} (best)", fontsize=9)
    ax_map.imshow(eta, cmap="cividis", vmin=0.0, vmax=1.0, interpolation="nearest")
    for key, _, colour, style in _RULES:
        above = eta > rules[key][0]
        if above.any() and not above.all():
            ax_map.contour(above, levels=[0.5], colors=[colour], linewidths=1.4,
                           linestyles=style)
    ax_map.contour(mask, levels=[0.5], colors=[_TRUE_MASK], linewidths=1.4, linestyles=":")
    return fig


# ------------------------------------------------------------------------- Tversky

_P = np.linspace(0.0, 1.0, 81)
_P_ARROWS = np.linspace(0.05, 0.95, 10)
_BETAS = np.linspace(0.02, 0.98, 25)
_TVERSKY_POSTERIOR = 0.1


def tversky_pair_loss(p_fg, p_bg, *, alpha, beta, return_grad=False):
    r"""Soft Tversky loss of two pixels, one of each class, on a grid of probabilities.

    Parameters
    ----------
    p_fg, p_bg : array_like of float
        Predicted foreground probabilities of the foreground pixel and of the
        background pixel, in [0, 1], broadcast together.
    alpha, beta : float
        Tversky weights of false positives and false negatives, both :math:`> 0`.
    return_grad : bool, optional
        If True, also return the two partial derivatives.

    Returns
    -------
    loss : ndarray of float64
        :math:`1 - p_1 / (p_1 + \alpha p_2 + \beta (1 - p_1))`, the value of
        :func:`seglab.losses.tversky_loss` on the two-pixel image.
    grad_fg, grad_bg : ndarray of float64
        Only with ``return_grad``: the derivatives with respect to :math:`p_1` and
        :math:`p_2`, computed by :func:`seglab.losses.tversky_loss` (one image per
        grid point).

    Raises
    ------
    ValueError
        If a probability leaves [0, 1] or a weight is not positive.

    Notes
    -----
    With :math:`D = p_1 + \alpha p_2 + \beta(1 - p_1) > 0`,
    :math:`\partial L/\partial p_1 = -(\alpha p_2 + \beta)/D^2` and
    :math:`\partial L/\partial p_2 = \alpha p_1/D^2`. Each level set
    :math:`\{L = 1 - c\}` is the line :math:`p_1 = c D`, and all of them pass through
    :math:`(p_1, p_2) = (0, -\beta/\alpha)`: the loss is quasi-convex (its sublevel sets
    are half-planes cut by the square) but not convex.

    Explained in the book, chapter 2 (``book/ch2/experiments.md``).

    Examples
    --------
    >>> from seglab.plotting_ch2 import tversky_pair_loss
    >>> float(tversky_pair_loss(0.5, 0.5, alpha=0.3, beta=0.7))  # 1 - 0.5 / 1.0
    0.5
    >>> loss, g1, g2 = tversky_pair_loss(0.5, 0.5, alpha=0.3, beta=0.7, return_grad=True)
    >>> round(float(g1), 6), round(float(g2), 6)                 # -(0.15 + 0.7), 0.15
    (-0.85, 0.15)
    """
    alpha = check_real(alpha, "alpha", low=0.0, low_open=True)
    beta = check_real(beta, "beta", low=0.0, low_open=True)
    p1, p2 = np.broadcast_arrays(np.asarray(p_fg, dtype=np.float64),
                                 np.asarray(p_bg, dtype=np.float64))
    for arr, name in ((p1, "p_fg"), (p2, "p_bg")):
        if not np.all((arr >= 0.0) & (arr <= 1.0)):
            raise ValueError(f"{name} must lie in [0, 1]")
    den = p1 + alpha * p2 + beta * (1.0 - p1)
    loss = 1.0 - p1 / den
    if not return_grad:
        return loss
    scores = np.stack([p1.ravel(), p2.ravel()], axis=-1)[:, None, :]
    target = np.broadcast_to(np.array([1, 0]), (scores.shape[0], 2))
    _, grad = losses.tversky_loss(scores, target, from_logits=False, return_grad=True,
                                  alpha=alpha, beta=beta)
    grad = grad[:, 0, :] * scores.shape[0]  # the loss is the mean over the images
    return loss, grad[:, 0].reshape(p1.shape), grad[:, 1].reshape(p1.shape)


@functools.lru_cache(maxsize=1)
def _tversky_eta():
    mask = data.synthetic_mask(_SHAPE, foreground_fraction=_TVERSKY_POSTERIOR, seed=0)
    return _readonly(data.posterior_map(mask, noise=1.0, seed=0))


@functools.lru_cache(maxsize=256)
def _tversky_optimum(alpha, beta):
    _, t_star = theory.optimal_threshold(_tversky_eta(), metric="tversky_index", alpha=alpha,
                                         beta=beta)
    return float(t_star), float(theory.tversky_threshold(t_star, alpha=alpha, beta=beta))


@functools.lru_cache(maxsize=32)
def _tau_curve(alpha):
    return _readonly(np.array([_tversky_optimum(alpha, float(b))[1] for b in _BETAS]))


@functools.lru_cache(maxsize=32)
def _tversky_surface(alpha, beta):
    p1, p2 = np.meshgrid(_P, _P, indexing="xy")
    loss = tversky_pair_loss(p1, p2, alpha=alpha, beta=beta)
    a1, a2 = np.meshgrid(_P_ARROWS, _P_ARROWS, indexing="xy")
    _, g1, g2 = tversky_pair_loss(a1, a2, alpha=alpha, beta=beta, return_grad=True)
    norm = np.hypot(g1, g2)
    norm[norm == 0] = 1.0
    return _readonly(loss), _readonly(-g1 / norm), _readonly(-g2 / norm)


def _tversky_static():
    fig = Figure(figsize=_FIGSIZE, dpi=DPI)
    ax = fig.add_axes((0.07, 0.15, 0.36, 0.75))
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_aspect("equal")
    ax.set_xlabel("p₁: probability on the foreground pixel")
    ax.set_ylabel("p₂: probability on the background pixel")
    ax_tau = fig.add_axes((0.6, 0.15, 0.38, 0.75))
    ax_tau.set_xlim(0, 1)
    ax_tau.set_ylim(0, 1)
    ax_tau.set_xlabel("β (weight of false negatives)")
    ax_tau.set_ylabel("optimal threshold τ on η")
    ax_tau.axhline(_tversky_optimum(0.5, 0.5)[1], ls=":", color="0.5", lw=1.0)
    ax_tau.legend(
        handles=[Line2D([], [], color=OKABE_ITO["blue"], lw=1.8, label="τ(α, β), α fixed"),
                 Line2D([], [], color="0.5", ls=":", lw=1.0, label="Dice: τ = F*/2"),
                 Line2D([], [], color=OKABE_ITO["vermillion"], marker="o", ls="none",
                        mec="black", mew=0.5, label="current (α, β)")],
        loc="upper right", fontsize=8, frameon=False)
    # A colour bar of the ten filled levels, drawn by hand (the layer mirrors plain axes).
    ax_bar = fig.add_axes((0.43, 0.15, 0.015, 0.75))
    ax_bar.imshow((np.arange(10)[:, None] + 0.5) / 10, cmap="viridis", vmin=0.0, vmax=1.0,
                  origin="lower", extent=(0, 1, 0, 1), aspect="auto")
    ax_bar.set_xticks([])
    ax_bar.yaxis.tick_right()
    ax_bar.yaxis.set_label_position("right")
    ax_bar.set_ylabel("two-pixel Tversky loss", fontsize=8)
    return fig


@functools.lru_cache(maxsize=1)
def _tversky_layer():
    return _layer(_tversky_static())


def tversky_surface_figure(alpha, beta):
    r"""Two-pixel soft Tversky loss surface and the population-optimal threshold.

    Parameters
    ----------
    alpha : float
        Weight of false positives, :math:`> 0`.
    beta : float
        Weight of false negatives, :math:`> 0`.

    Returns
    -------
    matplotlib.figure.Figure
        Left: :func:`tversky_pair_loss` over the unit square (``viridis`` filled
        contours, levels every 0.1) with its normalised descent directions (arrows) and
        the minimum at :math:`(1, 0)`. Right: the threshold
        :math:`\tau = \alpha T^\star/(1 + T^\star(\alpha + \beta - 1))`
        (:func:`seglab.theory.tversky_threshold`) of the Tversky-optimal rule on a
        posterior map (:func:`seglab.data.posterior_map` of a 96 × 96 mask with 10 %
        foreground) as a function of :math:`\beta` for the given :math:`\alpha`, the
        current :math:`(\alpha, \beta)` marked and the Dice threshold dotted.

    Raises
    ------
    ValueError
        If a weight is not positive.

    Notes
    -----
    The surface, the arrows and the curve are cached by ``(alpha, beta)`` and
    ``alpha``; the axes and labels are drawn once and kept as a bitmap.

    Explained in the book, chapter 2 (``book/ch2/experiments.md``).

    Examples
    --------
    >>> from seglab.plotting_ch2 import tversky_surface_figure
    >>> fig = tversky_surface_figure(0.3, 0.7)
    >>> fig.axes[1].get_title()
    'α = 0.3, β = 0.7: T* = 0.806, τ = 0.242'
    """
    alpha = check_real(alpha, "alpha", low=0.0, low_open=True)
    beta = check_real(beta, "beta", low=0.0, low_open=True)
    loss, d1, d2 = _tversky_surface(alpha, beta)
    t_star, tau = _tversky_optimum(alpha, beta)
    fig, (ax, ax_tau, _) = _overlay(_tversky_layer())
    ax.contourf(_P, _P, loss, levels=np.linspace(0.0, 1.0, 11), cmap="viridis")
    ax.quiver(_P_ARROWS, _P_ARROWS, d1, d2, color="white", scale=16, width=0.006)
    ax.plot([1.0], [0.0], "*", color=OKABE_ITO["orange"], ms=12, mec="black", mew=0.5,
            clip_on=False)
    ax.set_title(f"1 − p₁/(p₁ + {alpha:g}·p₂ + {beta:g}·(1 − p₁))", fontsize=9)
    ax_tau.plot(_BETAS, _tau_curve(alpha), color=OKABE_ITO["blue"], lw=1.8)
    ax_tau.plot([beta], [tau], "o", color=OKABE_ITO["vermillion"], mec="black", mew=0.5)
    ax_tau.set_title(f"α = {alpha:g}, β = {beta:g}: T* = {t_star:.3f}, τ = {tau:.3f}",
                     fontsize=9)
    return fig
