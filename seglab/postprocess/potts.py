"""Binary Potts model: its energy, the exact minimiser by minimum cut, and ICM."""

import numpy as np
import scipy.ndimage as ndi

from .._validation import check_int, check_real
from ._common import _check_eps, _check_lam, _check_mask, _check_prob_map, _cost

__all__ = ["graph_cut", "icm", "potts_energy"]

# Default weight of diagonal pairs relative to axis pairs: Boykov and Kolmogorov's (2003)
# Cauchy-Crofton weights dphi / |e| (dphi = pi/4 for each of the 8 directions), with which
# the cut approximates Euclidean length.
_DIAGONAL = float(1 / np.sqrt(2))
_OFFSETS = {1: ((1, 0), (0, 1)), 2: ((1, 0), (0, 1), (1, 1), (1, -1))}


def _edge_weights(connectivity, diagonal_weight):
    if connectivity == 1:
        return (1.0, 1.0)
    return (1.0, 1.0, diagonal_weight, diagonal_weight)


def _check_potts(prob, lam, connectivity, diagonal_weight, eps):
    c = _cost(_check_prob_map(prob, binary_only=True), _check_eps(eps))
    lam = _check_lam(lam)
    connectivity = check_int(connectivity, "connectivity", low=1, high=2)
    diagonal_weight = check_real(diagonal_weight, "diagonal_weight", low=0.0,
                                 high=np.inf, high_open=True)
    return c, lam, connectivity, _edge_weights(connectivity, diagonal_weight)


def _pairs(x, dy, dx):
    """Views of x at each pixel and its (dy, dx) neighbour, over the pixels that have one."""
    h, w = x.shape
    ys = slice(0, h - dy)
    xa = slice(max(0, -dx), w - max(0, dx))
    xb = slice(max(0, dx), w - max(0, -dx))
    return x[ys, xa], x[dy:, xb]


def _potts_energy(mask, c, lam, connectivity, weights):
    x = mask.astype(np.float64)
    cut = sum(wt * np.sum(np.not_equal(*_pairs(mask, dy, dx)))
              for (dy, dx), wt in zip(_OFFSETS[connectivity], weights, strict=True))
    return float(np.sum(c * x) + lam * cut)


def potts_energy(mask, prob, *, lam, connectivity=1, diagonal_weight=_DIAGONAL, eps=1e-6):
    r"""Energy of a binary labelling under the Potts model.

    .. math::

        E(x) = \sum_i c_i x_i + \lambda \sum_{(i, j)} w_{ij} [x_i \ne x_j],
        \qquad c = \log(1 - p) - \log p ,

    the sum running over unordered neighbour pairs, with weight 1 for the 4
    axis neighbours and ``diagonal_weight`` for the 4 diagonal ones
    (``connectivity=2``).
    Up to an additive constant, :math:`E(x) = -\log P(x)` for the model
    :math:`P(x) \propto \prod_i p_i^{x_i}(1 - p_i)^{1 - x_i}
    e^{-\lambda \sum w_{ij}[x_i \ne x_j]}` (independent pixel posteriors times
    a boundary-length prior).

    Parameters
    ----------
    mask : array_like of bool or 0/1 int, shape (H, W)
        The labelling :math:`x`.
    prob : array_like, shape (H, W)
        Foreground probabilities.
    lam : float
        Pairwise weight :math:`\lambda \ge 0`.
    connectivity : {1, 2}, default 1
        Neighbourhood, as in scikit-image: 1 pairs each pixel with its 4 axis
        neighbours (faces), 2 also with its 4 diagonal ones (the
        8-neighbourhood).
    diagonal_weight : float, default :math:`1/\sqrt 2`
        Weight of diagonal pairs (``connectivity=2`` only).
    eps : float, default 1e-6
        Probabilities are clipped to :math:`[\varepsilon, 1-\varepsilon]`.

    Returns
    -------
    energy : float

    Raises
    ------
    TypeError, ValueError
        For a non-binary or non-2-D ``mask``, a bad ``prob``, differing
        shapes, or bad options.

    Examples
    --------
    >>> import numpy as np
    >>> from seglab.postprocess import potts_energy
    >>> p = np.array([[0.5, 0.5]])
    >>> potts_energy(np.array([[1, 0]]), p, lam=2.0)
    2.0
    """
    c, lam, connectivity, weights = _check_potts(prob, lam, connectivity, diagonal_weight,
                                                 eps)
    mask = _check_mask(mask)
    if mask.shape != c.shape:
        raise ValueError(f"mask shape {mask.shape} and prob shape {c.shape} differ")
    return _potts_energy(mask, c, lam, connectivity, weights)


def graph_cut(prob, *, lam, connectivity=1, diagonal_weight=_DIAGONAL, eps=1e-6):
    r"""Exact MAP labelling of the binary Potts model by an s-t minimum cut.

    Minimises :func:`potts_energy` over all :math:`2^{HW}` labellings with
    PyMaxflow (the Boykov-Kolmogorov max-flow algorithm).

    Parameters
    ----------
    prob : array_like, shape (H, W)
        Foreground probabilities.
    lam, connectivity, diagonal_weight, eps
        As in :func:`potts_energy`.

    Returns
    -------
    mask : ndarray of bool, shape (H, W)
        A minimiser (ties between labellings are broken by the solver).

    Raises
    ------
    TypeError, ValueError
        As :func:`potts_energy`.

    Notes
    -----
    The pairwise terms :math:`\lambda w_{ij}[x_i \ne x_j]` are submodular
    (:math:`\lambda w_{ij} \ge 0`), so the energy is graph-representable and
    a minimum cut gives a global minimiser [1]_: pixel :math:`i` joins the
    sink side (label 1) at cost :math:`\max(c_i, 0)` and the source side
    at cost :math:`\max(-c_i, 0)`, and each neighbour pair is joined both ways
    by capacity :math:`\lambda w_{ij}`. For three or more labels the Potts
    problem is NP-hard [2]_ and graph cuts give only approximations.

    References
    ----------
    .. [1] V. Kolmogorov and R. Zabih, "What energy functions can be minimized
       via graph cuts?", IEEE TPAMI 26 (2004) 147-159.
    .. [2] Y. Boykov, O. Veksler and R. Zabih, "Fast approximate energy
       minimization via graph cuts", IEEE TPAMI 23 (2001) 1222-1239.

    Examples
    --------
    >>> import numpy as np
    >>> from seglab.postprocess import graph_cut
    >>> p = np.full((3, 3), 0.4); p[1, 1] = 0.9
    >>> graph_cut(p, lam=0.0).astype(int)[1]
    array([0, 1, 0])
    >>> int(graph_cut(p, lam=1.0).sum())
    0
    """
    import maxflow

    c, lam, connectivity, weights = _check_potts(prob, lam, connectivity, diagonal_weight,
                                                 eps)
    graph = maxflow.Graph[float]()
    nodes = graph.add_grid_nodes(c.shape)
    if lam > 0 and c.size > 1:
        for (dy, dx), wt in zip(_OFFSETS[connectivity], weights, strict=True):
            if wt == 0:
                continue
            structure = np.zeros((3, 3))
            structure[1 + dy, 1 + dx] = 1.0
            graph.add_grid_edges(nodes, weights=lam * wt, structure=structure, symmetric=True)
    # Sink side = label 1 pays the source capacity; source side = label 0 pays the sink one.
    graph.add_grid_tedges(nodes, np.maximum(c, 0.0), np.maximum(-c, 0.0))
    graph.maxflow()
    return np.asarray(graph.get_grid_segments(nodes), dtype=bool)


def icm(prob, *, lam, connectivity=1, diagonal_weight=_DIAGONAL, eps=1e-6,
        max_iter=100, init=None):
    r"""Iterated conditional modes for the binary Potts model (a local baseline).

    Starting from ``init`` (default: the pixelwise decision :math:`p > 1/2`),
    sets each pixel to the label that minimises :func:`potts_energy` given its
    neighbours, updating one colour class of the grid at a time (two classes
    for ``connectivity=1``, four for 2), until no pixel changes.

    Parameters
    ----------
    prob : array_like, shape (H, W)
        Foreground probabilities.
    lam, connectivity, diagonal_weight, eps
        As in :func:`potts_energy`.
    max_iter : int, default 100
        Maximum number of sweeps.
    init : array_like of bool, shape (H, W), optional
        Starting labelling.

    Returns
    -------
    mask : ndarray of bool, shape (H, W)
        A labelling that no single-pixel change improves (if converged).
    energies : ndarray of float64
        :func:`potts_energy` of the start and after each sweep;
        non-increasing.

    Raises
    ------
    TypeError, ValueError
        As :func:`potts_energy`; also for a bad ``init`` or ``max_iter``.

    Notes
    -----
    Pixels of one colour class are not neighbours, so updating them together
    is a sequence of exact coordinate minimisations: the energy never
    increases [1]_. ICM stops at a local minimum, typically far from the
    global one that :func:`graph_cut` finds.

    References
    ----------
    .. [1] J. Besag, "On the statistical analysis of dirty pictures", J. R.
       Stat. Soc. B 48 (1986) 259-302.

    Examples
    --------
    >>> import numpy as np
    >>> from seglab.postprocess import icm
    >>> p = np.full((3, 3), 0.4); p[1, 1] = 0.9
    >>> mask, energies = icm(p, lam=1.0)
    >>> int(mask.sum()), bool(np.all(np.diff(energies) <= 0))
    (0, True)
    """
    c, lam, connectivity, weights = _check_potts(prob, lam, connectivity, diagonal_weight,
                                                 eps)
    max_iter = check_int(max_iter, "max_iter", low=1)
    if init is None:
        x = c < 0
    else:
        x = _check_mask(init, "init").copy()
        if x.shape != c.shape:
            raise ValueError(f"init shape {x.shape} and prob shape {c.shape} differ")
    kernel = np.zeros((3, 3))
    for (dy, dx), wt in zip(_OFFSETS[connectivity], weights, strict=True):
        kernel[1 + dy, 1 + dx] = kernel[1 - dy, 1 - dx] = lam * wt
    total = ndi.correlate(np.ones_like(c), kernel, mode="constant")
    yy, xx = np.indices(c.shape)
    colours = (yy + xx) % 2 if connectivity == 1 else 2 * (yy % 2) + xx % 2
    energies = [_potts_energy(x, c, lam, connectivity, weights)]
    for _ in range(max_iter):
        changed = False
        for colour in np.unique(colours):
            agree1 = ndi.correlate(x.astype(np.float64), kernel, mode="constant")
            # cost of 1: c + weight of neighbours labelled 0; cost of 0: weight labelled 1.
            delta = c + (total - agree1) - agree1
            sel = colours == colour
            new = np.where(delta < 0, True, np.where(delta > 0, False, x))
            changed |= bool(np.any(new[sel] != x[sel]))
            x = np.where(sel, new, x)
        energies.append(_potts_energy(x, c, lam, connectivity, weights))
        if not changed:
            break
    return x, np.array(energies)
