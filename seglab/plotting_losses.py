r"""Slider figures of chapter 2 (surrogate losses): pure functions of a few numbers.

Like :mod:`seglab.plotting`, every function takes scalars and returns a new
:class:`matplotlib.figure.Figure` not registered with pyplot, renders in well under
100 ms, and uses the Okabe–Ito colours. The curves come from
:func:`seglab.theory.focal_minimiser` and from the closed form of the smoothed soft
Dice loss on an empty target.

Explained in the book, chapter 2 (``book/ch2``).
"""

import functools

import numpy as np
from matplotlib.figure import Figure

from . import theory
from ._validation import check_real
from .plotting import OKABE_ITO, _layer, _overlay
from .widgets import DPI

__all__ = ["empty_mask_figure", "empty_mask_loss", "focal_figure"]

_FIGSIZE = (8.0, 3.3)
_LEFT = (0.075, 0.15, 0.39, 0.74)
_RIGHT = (0.585, 0.15, 0.39, 0.74)
_ETA = np.linspace(0.0, 1.0, 201)
_Q = np.linspace(1e-3, 1.0, 200)
_MASS = np.geomspace(1e-2, 1e4, 200)
_EPS_REFERENCE = (0.01, 1.0, 100.0)


@functools.lru_cache(maxsize=64)
def _focal_curve(gamma, alpha):
    curve = theory.focal_minimiser(_ETA, gamma=gamma, alpha=alpha)
    curve.flags.writeable = False
    return curve


def _focal_static(alpha):
    """Axes, labels, legends, identity and cross-entropy curves: all that gamma does not move."""
    fig = Figure(figsize=_FIGSIZE, dpi=DPI)
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


@functools.lru_cache(maxsize=16)
def _focal_layer(alpha):
    return _layer(_focal_static(alpha))


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
    is drawn once per ``alpha`` and kept as a bitmap (see :mod:`seglab.plotting`).

    Explained in the book, chapter 2 (``book/ch2/proper.md``).

    Examples
    --------
    >>> from seglab.plotting_losses import focal_figure
    >>> fig = focal_figure(2.0, alpha=0.25)
    >>> len(fig.axes), fig.axes[0].get_title()
    (2, 'γ = 2, α = 0.25')
    """
    gamma = check_real(gamma, "gamma", low=0.0, high=1e3)
    alpha = check_real(alpha, "alpha", low=0.0, high=1.0, low_open=True, high_open=True)
    fig, (ax, ax_loss) = _overlay(_focal_layer(alpha))
    ax.plot(_ETA, _focal_curve(gamma, alpha), color=OKABE_ITO["vermillion"], lw=2.0)
    ax.set_title(f"γ = {gamma:g}, α = {alpha:g}", fontsize=10)
    with np.errstate(divide="ignore"):
        focal = (1.0 - _Q) ** gamma * -np.log(_Q)
    ax_loss.plot(_Q, alpha * focal, color=OKABE_ITO["vermillion"], lw=2.0)
    ax_loss.plot(_Q, (1.0 - alpha) * focal, color=OKABE_ITO["blue"], lw=1.4, ls="--")
    return fig


def empty_mask_loss(mass, eps):
    r"""Smoothed soft Dice loss on an empty target and its per-pixel gradient.

    Parameters
    ----------
    mass : float or array_like
        Predicted foreground mass :math:`m = \sum_i p_i \ge 0`.
    eps : float
        Smoothing :math:`\varepsilon \ge 0` added to the numerator and the denominator of
        the soft Dice score.

    Returns
    -------
    loss, grad : float or ndarray
        With :math:`g = 0`, the soft Dice score is :math:`\varepsilon/(m + \varepsilon)`,
        so the loss is :math:`m/(m + \varepsilon)` and its derivative with respect to
        every :math:`p_i` is :math:`\varepsilon/(m + \varepsilon)^2`. With
        :math:`\varepsilon = 0` the loss is 1 and the gradient 0 for :math:`m > 0`; at
        :math:`m = \varepsilon = 0` (0/0) both are NaN.

    Raises
    ------
    ValueError
        If ``mass`` is negative or not finite, or ``eps < 0``.

    Explained in the book, chapter 2 (``book/ch2/region.md``).

    Examples
    --------
    >>> from seglab.plotting_losses import empty_mask_loss
    >>> empty_mask_loss(1.0, 1.0)
    (0.5, 0.25)
    """
    eps = check_real(eps, "eps", low=0.0)
    m = np.asarray(mass, dtype=np.float64)
    if not np.all(np.isfinite(m)) or np.any(m < 0):
        raise ValueError("mass must be finite and nonnegative")
    den = m + eps
    with np.errstate(divide="ignore", invalid="ignore"):
        loss = np.where(den > 0, m / den, np.nan)
        grad = np.where(den > 0, eps / den**2, np.nan)
    if m.ndim == 0:
        return float(loss), float(grad)
    return loss, grad


def _empty_static():
    """Axes, labels and the grey reference curves of the empty-mask figure."""
    fig = Figure(figsize=_FIGSIZE, dpi=DPI)
    ax, ax_grad = fig.add_axes(_LEFT), fig.add_axes(_RIGHT)
    for reference in _EPS_REFERENCE:
        loss, grad = empty_mask_loss(_MASS, reference)
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


@functools.lru_cache(maxsize=1)
def _empty_layer():
    return _layer(_empty_static())


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
        :func:`empty_mask_loss`.

    Raises
    ------
    ValueError
        If ``eps`` leaves :math:`[0, 10^{12}]`.

    Explained in the book, chapter 2 (``book/ch2/region.md``).

    Examples
    --------
    >>> from seglab.plotting_losses import empty_mask_figure
    >>> fig = empty_mask_figure(1.0)
    >>> fig.axes[0].get_title()
    'ε = 1'
    """
    eps = check_real(eps, "eps", low=0.0, high=1e12)
    fig, (ax, ax_grad) = _overlay(_empty_layer())
    loss, grad = empty_mask_loss(_MASS, eps)
    ax.plot(_MASS, loss, color=OKABE_ITO["vermillion"], lw=2.0)
    ax.set_title(f"ε = {eps:g}", fontsize=10)
    if eps > 0:
        ax_grad.plot(_MASS, grad, color=OKABE_ITO["vermillion"], lw=2.0)
    else:
        ax_grad.text(0.5, 0.5, "ε = 0: gradient 0 for every m > 0", transform=ax_grad.transAxes,
                     ha="center", color=OKABE_ITO["vermillion"], fontsize=9)
    return fig
