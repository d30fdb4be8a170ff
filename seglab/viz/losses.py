r"""Losses: what the focal, the smoothed soft Dice and the soft Tversky losses learn.

* :func:`focal_figure`: the minimiser :math:`q^\star(\eta)` of the focal loss and its
  per-pixel loss (:func:`seglab.theory.focal_minimiser`);
* :func:`empty_mask_figure`: the smoothed soft Dice loss on an empty target and its
  gradient against the predicted mass (:func:`seglab.losses.empty_mask_loss`);
* :func:`tversky_surface_figure`: the soft Tversky loss of two pixels as a surface, its
  descent field (:func:`seglab.losses.tversky_pair_loss`), and the population-optimal
  threshold of the Tversky index (:func:`seglab.theory.tversky_threshold`).

What does not move with the slider is drawn once as a bitmap (:mod:`seglab.viz.layers`);
every frame renders in well under 100 ms (timed by ``benchmarks/bench_viz_sliders.py``).

Explained in the book, chapter 2 (``book/ch2/proper.md``, ``book/ch2/region.md``,
``book/ch2/experiments.md``).
"""

import functools

import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from .. import data, losses, theory
from .._validation import check_real
from .layers import cached_layer, overlay, static_layer
from .style import DPI, OKABE_ITO, frame_dpi, readonly

__all__ = ["ce_dice_figure", "empty_mask_figure", "focal_figure", "tversky_surface_figure"]

_FIGSIZE = (8.0, 3.3)
_LEFT = (0.075, 0.15, 0.39, 0.74)
_RIGHT = (0.585, 0.15, 0.39, 0.74)
_ETA = np.linspace(0.0, 1.0, 201)
_Q = np.linspace(1e-3, 1.0, 200)
_MASS = np.geomspace(1e-2, 1e4, 200)
_EPS_REFERENCE = (0.01, 1.0, 100.0)


@functools.lru_cache(maxsize=64)
def _focal_curve(gamma, alpha):
    return readonly(theory.focal_minimiser(_ETA, gamma=gamma, alpha=alpha))


def _focal_static(alpha):
    """Axes, labels, legends, identity and cross-entropy curves: all that gamma does not move."""
    fig = Figure(figsize=_FIGSIZE, dpi=frame_dpi())
    ax = fig.add_axes(_LEFT)
    ax.plot(_ETA, _ETA, ":", color=OKABE_ITO["black"], lw=1.0, label="identity (proper loss)")
    ax.plot(_ETA, _focal_curve(0.0, alpha), color=OKABE_ITO["sky blue"], lw=1.4,
            label="cross-entropy, same α (γ = 0)")
    ax.plot([], [], color=OKABE_ITO["vermillion"], lw=2.0, label="focal minimiser q*(η)")
    ax.axhline(0.5, color="0.6", lw=0.8, ls="--")
    ax.axvline(1.0 - alpha, color=OKABE_ITO["bluish green"], lw=1.2,
               label=f"decision η > 1 − α = {1.0 - alpha:g}")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_xlabel("posterior η = P(y = 1 | x)")
    ax.set_ylabel("minimising confidence q*(η)")
    ax.legend(loc="upper left", fontsize=8, frameon=False)

    ax_loss = fig.add_axes(_RIGHT)
    with np.errstate(divide="ignore"):
        ax_loss.plot(_Q, -np.log(_Q), color="0.5", lw=1.2, label="cross-entropy −log q")
    ax_loss.plot([], [], color=OKABE_ITO["vermillion"], lw=2.0, label="focal, y = 1 (× α)")
    ax_loss.plot([], [], color=OKABE_ITO["blue"], lw=1.4, ls="--",
                 label="focal, y = 0 (× (1 − α))")
    ax_loss.set_xlim(0, 1)
    ax_loss.set_ylim(0, 5)
    ax_loss.set_xlabel("probability of the true class q_y")
    ax_loss.set_ylabel("per-pixel loss (nats)")
    ax_loss.legend(loc="upper right", fontsize=8, frameon=False)
    return fig


@cached_layer(16)
def _focal_layer(alpha):
    return static_layer(_focal_static(alpha))


def focal_figure(gamma, *, alpha=0.5):
    r"""What the focal loss learns: the minimiser :math:`q^\star(\eta)` and the decision.

    Parameters
    ----------
    gamma : float
        Focusing parameter :math:`\gamma \ge 0` (0 is cross-entropy), at most 1000.
    alpha : float, optional
        Weight of the foreground term, in (0, 1) (0.5: unbalanced focal loss).

    Returns
    -------
    matplotlib.figure.Figure
        Left: :math:`q^\star(\eta)` from :func:`seglab.theory.focal_minimiser` for
        ``(gamma, alpha)``, for cross-entropy with the same weights (:math:`\gamma = 0`)
        and the identity (a strictly proper loss), with the decision threshold
        :math:`\eta = 1 - \alpha` where :math:`q^\star` crosses 1/2. Right: the per-pixel
        loss :math:`-\alpha_y (1 - q_y)^\gamma \log q_y` against the probability
        :math:`q_y` of the true class, for both classes, against cross-entropy.

    Raises
    ------
    TypeError
        If ``gamma`` or ``alpha`` is not a real number.
    ValueError
        If ``gamma`` leaves [0, 1000] or ``alpha`` leaves (0, 1).

    Notes
    -----
    Built for sliders (:func:`seglab.widgets.slider`): what does not depend on ``gamma``
    is drawn once per ``alpha`` and kept as a bitmap (see :mod:`seglab.viz.layers`).

    Explained in the book, chapter 2 (``book/ch2/proper.md``).

    Examples
    --------
    >>> from seglab.viz.losses import focal_figure
    >>> fig = focal_figure(2.0, alpha=0.25)
    >>> len(fig.axes), fig.axes[0].get_title()
    (2, 'γ = 2, α = 0.25')
    """
    gamma = check_real(gamma, "gamma", low=0.0, high=1e3)
    alpha = check_real(alpha, "alpha", low=0.0, high=1.0, low_open=True, high_open=True)
    fig, (ax, ax_loss) = overlay(_focal_layer(alpha))
    ax.plot(_ETA, _focal_curve(gamma, alpha), color=OKABE_ITO["vermillion"], lw=2.0)
    ax.set_title(f"γ = {gamma:g}, α = {alpha:g}", fontsize=10)
    with np.errstate(divide="ignore"):
        focal = (1.0 - _Q) ** gamma * -np.log(_Q)
    ax_loss.plot(_Q, alpha * focal, color=OKABE_ITO["vermillion"], lw=2.0)
    ax_loss.plot(_Q, (1.0 - alpha) * focal, color=OKABE_ITO["blue"], lw=1.4, ls="--")
    return fig


def _empty_static():
    """Axes, labels and the grey reference curves of the empty-mask figure."""
    fig = Figure(figsize=_FIGSIZE, dpi=frame_dpi())
    ax, ax_grad = fig.add_axes(_LEFT), fig.add_axes(_RIGHT)
    for reference in _EPS_REFERENCE:
        loss, grad = losses.empty_mask_loss(_MASS, reference)
        ax.plot(_MASS, loss, color="0.75", lw=1.0)
        ax_grad.plot(_MASS, grad, color="0.75", lw=1.0)
        ax_grad.text(_MASS[0], grad[0], f" ε = {reference:g}", fontsize=7, color="0.45",
                     va="bottom")
    ax.set_xscale("log")
    ax.set_xlim(_MASS[0], _MASS[-1])
    ax.set_ylim(-0.02, 1.05)
    ax.set_xlabel("predicted foreground mass m = Σ p_i (pixels)")
    ax.set_ylabel("soft Dice loss, empty target")
    ax_grad.set_xscale("log")
    ax_grad.set_yscale("log")
    ax_grad.set_xlim(_MASS[0], _MASS[-1])
    ax_grad.set_ylim(1e-10, 1e3)
    ax_grad.set_xlabel("predicted foreground mass m (pixels)")
    ax_grad.set_ylabel("gradient ∂L/∂p_i per pixel")
    return fig


@cached_layer(1)
def _empty_layer():
    return static_layer(_empty_static())


def empty_mask_figure(eps):
    r"""Smoothed soft Dice on an empty target: loss and gradient against predicted mass.

    Parameters
    ----------
    eps : float
        Smoothing :math:`\varepsilon \ge 0` (numerator and denominator), at most
        :math:`10^{12}`.

    Returns
    -------
    matplotlib.figure.Figure
        Left: the loss :math:`m/(m + \varepsilon)` against the predicted mass
        :math:`m = \sum_i p_i` (log axis), for ``eps`` (coloured) and for the reference
        values 0.01, 1 and 100 (grey). Right: the gradient
        :math:`\varepsilon/(m + \varepsilon)^2` that each pixel receives (log–log), from
        :func:`seglab.losses.empty_mask_loss`.

    Raises
    ------
    ValueError
        If ``eps`` leaves :math:`[0, 10^{12}]`.

    Explained in the book, chapter 2 (``book/ch2/region.md``).

    Examples
    --------
    >>> from seglab.viz.losses import empty_mask_figure
    >>> fig = empty_mask_figure(1.0)
    >>> fig.axes[0].get_title()
    'ε = 1'
    """
    eps = check_real(eps, "eps", low=0.0, high=1e12)
    fig, (ax, ax_grad) = overlay(_empty_layer())
    loss, grad = losses.empty_mask_loss(_MASS, eps)
    ax.plot(_MASS, loss, color=OKABE_ITO["vermillion"], lw=2.0)
    ax.set_title(f"ε = {eps:g}", fontsize=10)
    if eps > 0:
        ax_grad.plot(_MASS, grad, color=OKABE_ITO["vermillion"], lw=2.0)
    else:
        ax_grad.text(0.5, 0.5, "ε = 0: gradient 0 for every m > 0", transform=ax_grad.transAxes,
                     ha="center", color=OKABE_ITO["vermillion"], fontsize=9)
    return fig


# ------------------------------------------------------------------ Tversky surface

_SURFACE_FIGSIZE = (8.0, 3.4)
_SHAPE = (96, 96)
_P = np.linspace(0.0, 1.0, 81)
_P_ARROWS = np.linspace(0.05, 0.95, 10)
_BETAS = np.linspace(0.02, 0.98, 25)
_TVERSKY_POSTERIOR = 0.1


def _tversky_eta():
    return data.posterior_case(_SHAPE, foreground_fraction=_TVERSKY_POSTERIOR)[1]


@functools.lru_cache(maxsize=256)
def _tversky_optimum(alpha, beta):
    _, t_star = theory.optimal_threshold(_tversky_eta(), metric="tversky_index", alpha=alpha,
                                         beta=beta)
    return float(t_star), float(theory.tversky_threshold(t_star, alpha=alpha, beta=beta))


@functools.lru_cache(maxsize=32)
def _tau_curve(alpha):
    return readonly(np.array([_tversky_optimum(alpha, float(b))[1] for b in _BETAS]))


@functools.lru_cache(maxsize=32)
def _tversky_surface(alpha, beta):
    p1, p2 = np.meshgrid(_P, _P, indexing="xy")
    loss = losses.tversky_pair_loss(p1, p2, alpha=alpha, beta=beta)
    a1, a2 = np.meshgrid(_P_ARROWS, _P_ARROWS, indexing="xy")
    _, g1, g2 = losses.tversky_pair_loss(a1, a2, alpha=alpha, beta=beta, return_grad=True)
    norm = np.hypot(g1, g2)
    norm[norm == 0] = 1.0
    return readonly(loss), readonly(-g1 / norm), readonly(-g2 / norm)


def _tversky_static():
    fig = Figure(figsize=_SURFACE_FIGSIZE, dpi=frame_dpi())
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


@cached_layer(1)
def _tversky_layer():
    return static_layer(_tversky_static())


def tversky_surface_figure(alpha, beta):
    r"""Two-pixel soft Tversky loss surface and the population-optimal threshold.

    Parameters
    ----------
    alpha : float
        Weight of false positives, :math:`> 0`, finite.
    beta : float
        Weight of false negatives, :math:`> 0`, finite.

    Returns
    -------
    matplotlib.figure.Figure
        Left: :func:`seglab.losses.tversky_pair_loss` over the unit square (``viridis`` filled
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
        If a weight is not positive or not finite.

    Notes
    -----
    The surface, the arrows and the curve are cached by ``(alpha, beta)`` and
    ``alpha``; the axes and labels are drawn once and kept as a bitmap.

    Explained in the book, chapter 2 (``book/ch2/experiments.md``).

    Examples
    --------
    >>> from seglab.viz.losses import tversky_surface_figure
    >>> fig = tversky_surface_figure(0.3, 0.7)
    >>> fig.axes[1].get_title()
    'α = 0.3, β = 0.7: T* = 0.806, τ = 0.242'
    """
    alpha = check_real(alpha, "alpha", low=0.0, low_open=True, high=np.inf, high_open=True)
    beta = check_real(beta, "beta", low=0.0, low_open=True, high=np.inf, high_open=True)
    loss, d1, d2 = _tversky_surface(alpha, beta)
    t_star, tau = _tversky_optimum(alpha, beta)
    fig, (ax, ax_tau, _) = overlay(_tversky_layer())
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
        Weight :math:`\mu \in [0, 1]` of cross-entropy (soft Dice has :math:`1 - \mu`).
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
    >>> from seglab.viz.losses import ce_dice_figure
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
    ax.set_title(f"μ = {lam:g}, prior {prior:g}: Dice {dice:.3f}, best F* = {f_star:.3f}",
                 fontsize=9)
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize=8, frameon=False)
    return fig
