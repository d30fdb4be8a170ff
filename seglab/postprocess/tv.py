"""Smoothing of probability maps: Sobolev, total variation (ROF) and the convex relaxation
of binary Potts."""

from dataclasses import dataclass

import numpy as np
import scipy.fft

from .._validation import as_float_array, check_bool, check_choice, check_int, check_real
from ._common import (
    _check_eps,
    _check_lam,
    _check_prob_map,
    _cost,
    _grad,
    _grad_adjoint,
    _project_ball,
    _tv,
)

__all__ = ["RelaxationResult", "TVResult", "convex_relaxation", "sobolev_smooth", "tv_smooth"]

# --------------------------------------------------------------------------
# Sobolev (H^1) smoothing


def sobolev_smooth(prob, *, lam):
    r"""Quadratic (Sobolev :math:`H^1`) smoothing, solved exactly by a cosine transform.

    Returns the minimiser of

    .. math::

        \tfrac12 \|u - f\|^2 + \tfrac{\lambda}{2} \|\nabla u\|^2

    with the forward-difference gradient and Neumann boundary of this module,
    channel by channel for a K-class map.

    Parameters
    ----------
    prob : array_like, shape (H, W) or (K, H, W)
        Binary foreground probabilities, or K-class probabilities summing to
        one over the first axis.
    lam : float
        Regularisation weight :math:`\lambda \ge 0`, in squared pixels.

    Returns
    -------
    u : ndarray of float64, same shape as ``prob``
        The smoothed map. It stays in :math:`[0, 1]`, and the channels of a
        K-class map still sum to one (see Notes).

    Raises
    ------
    TypeError
        If ``prob`` is not a real array or ``lam`` is not a real number.
    ValueError
        If ``prob`` is empty, not finite, outside :math:`[0, 1]`, of the wrong
        number of dimensions, or its channels do not sum to one; or
        ``lam < 0``.

    Notes
    -----
    The Euler-Lagrange equation :math:`u - f + \lambda \nabla^\top \nabla u = 0`
    is linear. :math:`\nabla^\top\nabla` is the Neumann Laplacian (the
    boundary condition is a zero normal difference, i.e. the image is
    reflected about its edges), diagonalised by the orthonormal type-II
    discrete cosine transform with eigenvalues
    :math:`\sum_a 4 \sin^2(\pi k_a / 2 n_a)`, the grid's :math:`|\omega|^2`.
    Hence :math:`\hat u = \hat f / (1 + \lambda |\omega|^2)`, a low-pass
    multiplier: a jump has slowly decaying coefficients, all damped, so it is
    blurred for every :math:`\lambda > 0`. The operator
    :math:`(I + \lambda \nabla^\top \nabla)^{-1}` is an inverse M-matrix with
    unit row sums, so it maps :math:`[0, 1]` and the simplex into themselves.

    References
    ----------
    .. [1] G. Peyré, "Denoising by Sobolev and total variation regularization",
       Numerical Tours of Signal Processing.

    Examples
    --------
    >>> import numpy as np
    >>> from seglab.postprocess import sobolev_smooth
    >>> f = np.zeros((1, 4)); f[0, 2:] = 1.0
    >>> np.round(sobolev_smooth(f, lam=1.0), 3)
    array([[0.143, 0.286, 0.714, 0.857]])
    """
    f = _check_prob_map(prob)
    lam = _check_lam(lam)
    h, w = f.shape[-2:]
    wy = 4.0 * np.sin(np.pi * np.arange(h) / (2 * h)) ** 2
    wx = 4.0 * np.sin(np.pi * np.arange(w) / (2 * w)) ** 2
    multiplier = 1.0 / (1.0 + lam * (wy[:, None] + wx[None, :]))
    axes = (-2, -1)
    coef = scipy.fft.dctn(f, type=2, norm="ortho", axes=axes)
    return scipy.fft.idctn(coef * multiplier, type=2, norm="ortho", axes=axes)


# --------------------------------------------------------------------------
# TV / ROF


@dataclass(frozen=True)
class TVResult:
    """Result of :func:`tv_smooth`.

    Attributes
    ----------
    u : ndarray
        The smoothed map, the shape of the input.
    energy : float
        ROF energy :math:`\\tfrac12\\|u-f\\|^2 + \\lambda \\mathrm{TV}(u)` of
        ``u`` (summed over channels).
    gap : float
        A certified upper bound of ``energy`` minus the minimum energy (a
        primal-dual gap); by 1-strong convexity
        :math:`\\|u - u^\\star\\|^2 \\le 2\\,\\mathrm{gap}`. NaN when not
        computed (``certify=False``).

    Examples
    --------
    >>> import numpy as np
    >>> from seglab.postprocess import tv_smooth
    >>> res = tv_smooth(np.eye(4), lam=0.1)
    >>> type(res).__name__, res.u.shape, bool(res.gap >= 0)
    ('TVResult', (4, 4), True)
    """

    u: np.ndarray
    energy: float
    gap: float


def _rof_dual_energy(f, p):
    r"""ROF dual :math:`\tfrac12\|f\|^2 - \tfrac12\|f - \nabla^\top p\|^2` (feasible p)."""
    return float(0.5 * np.sum(f * f) - 0.5 * np.sum((f - _grad_adjoint(p)) ** 2))


def _rof_dual(f, lam, *, tol, max_iter):
    r"""FISTA on the ROF dual :math:`\min_{|p| \le \lambda} \tfrac12\|f - \nabla^\top p\|^2`.

    The objective's gradient :math:`\nabla(\nabla^\top p - f)` is 8-Lipschitz, so the
    step is 1/8; stops when the gap between :math:`u = f - \nabla^\top p` and
    :math:`D(p)` is at most ``tol`` times :math:`|E(u)|`. Returns ``p``.
    """
    p = np.zeros((2, *f.shape))
    z, t = p, 1.0
    for it in range(1, max_iter + 1):
        step = _project_ball(z - _grad(_grad_adjoint(z) - f) / 8.0, lam, "isotropic")
        t_next = (1.0 + np.sqrt(1.0 + 4.0 * t * t)) / 2.0
        z = step + (t - 1.0) / t_next * (step - p)
        p, t = step, t_next
        if it % 20 == 0:
            u = f - _grad_adjoint(p)
            primal = 0.5 * np.sum((u - f) ** 2) + lam * _tv(u)
            if primal - _rof_dual_energy(f, p) <= tol * max(abs(primal), 1e-300):
                break
    return p


def tv_smooth(prob, *, lam, eps=2e-4, max_iter=200, certify=True, certify_tol=1e-6,
              certify_max_iter=2000):
    r"""Total variation (ROF) smoothing of a probability map with scikit-image.

    Computes, channel by channel, an approximate minimiser of the
    Rudin-Osher-Fatemi energy

    .. math::

        E(u) = \tfrac12 \|u - f\|^2 + \lambda\, \mathrm{TV}(u)

    with :func:`skimage.restoration.denoise_tv_chambolle` ``(f,
    weight=lam)``, and reports the energy of its output and a certified gap.

    Parameters
    ----------
    prob : array_like, shape (H, W) or (K, H, W)
        Binary or K-class probability map.
    lam : float
        TV weight :math:`\lambda \ge 0` (pixels).
    eps : float, default 2e-4
        Stopping rule passed to scikit-image: it stops when the change of its
        cost between two iterations is below ``eps`` times the initial cost.
    max_iter : int, default 200
        Cap on scikit-image's iterations (its ``max_num_iter``); it stops
        earlier when the ``eps`` rule is met.
    certify : bool, default True
        Compute the gap (costs a second, primal-dual solve).
    certify_tol, certify_max_iter : float, int
        Relative gap and iteration cap of that dual solve (a looser dual
        only makes ``gap`` a looser, still valid, bound).

    Returns
    -------
    result : TVResult
        ``u`` (float64, shape of ``prob``), ``energy`` and ``gap``.

    Raises
    ------
    TypeError, ValueError
        As :func:`sobolev_smooth`; also for ``eps <= 0`` or a non-positive
        iteration count.

    Notes
    -----
    **The weight is** :math:`\lambda`. scikit-image documents the energy
    :math:`\sum_i |\nabla u_i| + \frac{\mu}{2}(f_i - u_i)^2` with
    ``weight`` :math:`= 1/\mu`; multiplying by ``weight`` gives
    :math:`E` above with :math:`\lambda =` ``weight``. The code (0.26)
    implements Chambolle's dual projection iteration [1]_ for exactly this
    :math:`E`: isotropic TV with forward differences, zero across the last row
    and column, no normalisation by the number of pixels (its stopping rule
    divides by it, the model does not), step :math:`\tau = 1/4` (Chambolle
    proves convergence for :math:`\tau \le 1/8`; 1/4 is used in practice).

    **The gap.** The ROF dual is :math:`D(p) = \tfrac12\|f\|^2 -
    \tfrac12\|f - \nabla^\top p\|^2` over :math:`|p_{ij}| \le \lambda`, and
    :math:`D(p) \le \min E \le E(u)` for every feasible :math:`p`. The
    feasible :math:`p` is computed independently, by FISTA [2]_ on the dual
    (step 1/8, as :math:`\|\nabla\|^2 \le 8`), so ``gap``
    :math:`= E(u) - D(p)` bounds :math:`E(u) - \min E` without trusting
    scikit-image's stopping rule, which can stop far from the minimum on
    large flat regions (raise ``max_iter`` and lower ``eps`` then).

    For K classes the channels are smoothed independently; they stay in
    :math:`[0, 1]` (clipping :math:`u` to :math:`[\min f, \max f]` lowers
    both terms of :math:`E`, so the minimiser lies there) but need not sum to
    one; take the argmax for a decision.

    References
    ----------
    .. [1] A. Chambolle, "An algorithm for total variation minimization and
       applications", J. Math. Imaging Vision 20 (2004) 89-97.
    .. [2] A. Beck and M. Teboulle, "Fast gradient-based algorithms for
       constrained total variation image denoising and deblurring problems",
       IEEE Trans. Image Process. 18 (2009) 2419-2434.

    Examples
    --------
    >>> import numpy as np
    >>> from seglab.postprocess import tv_smooth
    >>> f = np.zeros((8, 8)); f[2:6, 2:6] = 1.0
    >>> res = tv_smooth(f, lam=0.5, eps=1e-8, max_iter=5000)
    >>> bool(res.gap < 1e-4), round(float(res.u[3, 3]), 2)
    (True, 0.53)
    """
    from skimage.restoration import denoise_tv_chambolle

    f = _check_prob_map(prob)
    lam = _check_lam(lam)
    eps = check_real(eps, "eps", low=0.0, low_open=True)
    max_iter = check_int(max_iter, "max_iter", low=1)
    certify_tol = check_real(certify_tol, "certify_tol", low=0.0, low_open=True)
    certify = check_bool(certify, "certify")
    certify_max_iter = check_int(certify_max_iter, "certify_max_iter", low=1)
    channels = f if f.ndim == 3 else f[None]
    u = np.stack([
        denoise_tv_chambolle(ch, weight=lam, eps=eps, max_num_iter=max_iter)
        if lam > 0 else ch.copy()
        for ch in channels
    ])
    energy = float(0.5 * np.sum((u - channels) ** 2) + lam * _tv(u))
    gap = np.nan
    if certify:
        p = _rof_dual(channels, lam, tol=certify_tol, max_iter=certify_max_iter)
        gap = max(energy - _rof_dual_energy(channels, p), 0.0)
    return TVResult(u=u if f.ndim == 3 else u[0], energy=energy, gap=float(gap))


# --------------------------------------------------------------------------
# Convex relaxation of binary Potts


@dataclass(frozen=True)
class RelaxationResult:
    """Result of :func:`convex_relaxation`.

    Attributes
    ----------
    u : ndarray of float64, shape (H, W)
        The relaxed solution, in :math:`[0, 1]`.
    mask : ndarray of bool, shape (H, W)
        ``u > threshold``.
    energy : ndarray of float64
        Primal energy :math:`P(u^k)` at each checked iteration.
    dual : ndarray of float64
        Dual energy :math:`D(p^k)` at the same iterations (``energy - dual``
        is the primal-dual gap, an upper bound on the suboptimality).
    iterations : ndarray of int
        The iteration numbers at which ``energy`` and ``dual`` were taken.
    converged : bool
        Whether the relative gap reached ``tol``.

    Examples
    --------
    >>> import numpy as np
    >>> from seglab.postprocess import convex_relaxation
    >>> res = convex_relaxation(np.full((4, 4), 0.8), lam=0.1)
    >>> type(res).__name__, bool(res.mask.all()), bool(np.all(res.energy >= res.dual - 1e-9))
    ('RelaxationResult', True, True)
    """

    u: np.ndarray
    mask: np.ndarray
    energy: np.ndarray
    dual: np.ndarray
    iterations: np.ndarray
    converged: bool

    @property
    def gap(self):
        """The primal-dual gap at each checked iteration."""
        return self.energy - self.dual


def convex_relaxation(prob, *, lam, from_logits=False, tv="isotropic", threshold=0.5,
                      tol=1e-4, max_iter=10000, check_every=10, eps=1e-6):
    r"""Convex relaxation of the binary Potts model, solved by Chambolle-Pock.

    Solves

    .. math::

        \min_{0 \le u \le 1}\; P(u) = \lambda\, \mathrm{TV}(u) + \sum_{i} c_i u_i,
        \qquad c = \log(1 - p) - \log p ,

    (``c`` is minus the log-odds of the foreground) and thresholds the
    solution. On a binary :math:`u = \mathbf 1_S`, :math:`P` is the Potts
    energy :math:`\sum_{i \in S} c_i + \lambda\,\mathrm{Per}(S)` up to the
    constant :math:`\sum_i -\log(1-p_i)`.

    Parameters
    ----------
    prob : array_like, shape (H, W)
        Foreground probabilities; or the log-odds (logits)
        :math:`\log(p/(1-p))` when ``from_logits=True``.
    lam : float
        Weight :math:`\lambda \ge 0` of the total variation (pixels).
    from_logits : bool, default False
        Read ``prob`` as log-odds, a binary network's logits (any finite
        reals).
    tv : {'isotropic', 'anisotropic'}, default 'isotropic'
        The discrete TV. The anisotropic one counts cut 4-neighbour edges and
        satisfies the discrete coarea formula, so exact thresholding holds on
        the grid (see Notes).
    threshold : float in (0, 1), default 0.5
        Level :math:`t` of the returned mask :math:`\{u > t\}`.
    tol : float, default 1e-4
        Stop when the relative gap :math:`(P - D) / \max(|P|, |D|)` is at
        most ``tol`` (with 0/0 read as 0).
    max_iter, check_every : int
        Iteration cap, and how often the energies are evaluated and stored.
    eps : float, default 1e-6
        Probabilities are clipped to :math:`[\varepsilon, 1 - \varepsilon]`
        (ignored with ``from_logits``).

    Returns
    -------
    result : RelaxationResult
        ``u``, ``mask``, ``energy``, ``dual``, ``iterations``, ``converged``.

    Raises
    ------
    TypeError, ValueError
        For a bad ``prob`` (shape other than (H, W), NaN, outside [0, 1]
        unless log-odds), ``lam < 0``, a threshold outside (0, 1), a
        non-positive tolerance or iteration count, an unknown ``tv``, or a
        non-bool ``from_logits``. ``ValueError`` also when the energies
        cannot be represented: every energy is at most
        :math:`\sum_i |c_i| + 4\lambda HW` in magnitude, which must stay
        below a quarter of the largest float64 (log-odds of order 1e308).
        Dividing :math:`c` and :math:`\lambda` by a common factor leaves the
        minimiser unchanged.

    Notes
    -----
    Chambolle-Pock [2]_ on the saddle problem :math:`\min_u \max_{|p| \le
    \lambda} \langle \nabla u, p\rangle + \langle c, u\rangle +
    \iota_{[0,1]}(u)`: :math:`p \leftarrow \Pi(p + \sigma\nabla\bar u)`,
    :math:`u' \leftarrow \mathrm{clip}(u - \tau(\nabla^\top p + c), 0, 1)`,
    :math:`\bar u = 2u' - u`, with :math:`\sigma = \tau = 0.99/\sqrt 8`, so
    that :math:`\sigma\tau\|\nabla\|^2 < 1`. The dual is
    :math:`D(p) = \sum_i \min(0, c_i + (\nabla^\top p)_i)`, and
    :math:`D(p) \le \min P \le P(u)`.

    Chan, Esedoglu and Nikolova [1]_: if :math:`u^\star` minimises the relaxed
    problem then :math:`\{u^\star > t\}` minimises the binary one for almost
    every :math:`t \in (0, 1)`. The proof is the coarea formula
    :math:`\mathrm{TV}(u) = \int_0^1 \mathrm{TV}(\mathbf 1_{u > t})\,dt`,
    which holds on the grid for the anisotropic TV (each
    :math:`|u_a - u_b|` is the measure of the levels separating :math:`a`
    and :math:`b`) but not exactly for the isotropic one, whose thresholded
    solutions are only nearly optimal. With the anisotropic TV the binary
    problem is 4-neighbour Potts (``connectivity=1``), solved exactly by
    :func:`graph_cut`.

    References
    ----------
    .. [1] T. F. Chan, S. Esedoglu and M. Nikolova, "Algorithms for finding
       global minimizers of image segmentation and denoising models", SIAM J.
       Appl. Math. 66 (2006) 1632-1648.
    .. [2] A. Chambolle and T. Pock, "A first-order primal-dual algorithm for
       convex problems with applications to imaging", J. Math. Imaging Vision
       40 (2011) 120-145.

    Examples
    --------
    >>> import numpy as np
    >>> from seglab.postprocess import convex_relaxation
    >>> p = np.full((6, 6), 0.3); p[1:5, 1:5] = 0.8
    >>> res = convex_relaxation(p, lam=0.2, tol=1e-8)
    >>> res.converged, int(res.mask.sum())
    (True, 16)
    """
    if check_bool(from_logits, "from_logits"):
        logodds = as_float_array(prob, "prob")
        if logodds.ndim != 2:
            raise ValueError(f"prob must have shape (H, W), got shape {logodds.shape}")
        c = -logodds
    else:
        c = _cost(_check_prob_map(prob, binary_only=True), _check_eps(eps))
    lam = _check_lam(lam)
    check_choice(tv, "tv", ("isotropic", "anisotropic"))
    threshold = check_real(threshold, "threshold", low=0.0, high=1.0, low_open=True,
                           high_open=True)
    tol = check_real(tol, "tol", low=0.0, low_open=True)
    max_iter = check_int(max_iter, "max_iter", low=1)
    check_every = check_int(check_every, "check_every", low=1)
    # |P(u)|, |D(p)| and every intermediate sum are at most sum |c| + 4 lam HW.
    with np.errstate(over="ignore"):
        bound = float(np.sum(np.abs(c))) + 4.0 * lam * c.size
    if not bound <= np.finfo(np.float64).max / 4:
        raise ValueError(
            f"the energies reach sum|c| + 4 lam H W = {bound:.3g}, beyond the range of float64; "
            "divide the log-odds (or lam) by a common factor: the minimiser does not change")

    tau = sigma = 0.99 / np.sqrt(8.0)
    u = (c < 0).astype(np.float64)
    u_bar = u.copy()
    p = np.zeros((2, *c.shape))
    energies, duals, iters = [], [], []
    converged = False
    for it in range(1, max_iter + 1):
        p = _project_ball(p + sigma * _grad(u_bar), lam, tv)
        u_new = np.clip(u - tau * (_grad_adjoint(p) + c), 0.0, 1.0)
        u_bar = 2.0 * u_new - u
        u = u_new
        if it % check_every == 0 or it == max_iter:
            primal = lam * _tv(u, tv) + float(np.sum(c * u))
            dual = float(np.sum(np.minimum(0.0, c + _grad_adjoint(p))))
            energies.append(primal)
            duals.append(dual)
            iters.append(it)
            scale = max(abs(primal), abs(dual))
            if primal - dual <= tol * scale:
                converged = True
                break
    return RelaxationResult(u=u, mask=u > threshold, energy=np.array(energies),
                            dual=np.array(duals), iterations=np.array(iters),
                            converged=converged)
