r"""Figures of chapter 3 (post-processing): pure functions of a few numbers, each a Figure.

Every public function here is a slider callback (see :func:`seglab.widgets.slider`):
it takes scalars and returns a new :class:`matplotlib.figure.Figure` (not registered
with pyplot). The test case they draw on, a down-sampled horse silhouette with a
noisy posterior from :func:`seglab.data.posterior_map`, is built once and cached by
the scalars it depends on; the post-processing itself comes from
:mod:`seglab.postprocess` and nothing is recomputed here.

Colours are the Okabe–Ito palette (:data:`seglab.plotting.OKABE_ITO`); error maps
use the chapter-1 categories TN / FP / FN / TP.

Explained in the book, chapter 3 (``book/ch3``).
"""

import functools

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from . import data, metrics, postprocess
from ._validation import check_real
from .plotting import _ERROR_CLASSES, _ERROR_CMAP, OKABE_ITO, _error_map, _readonly
from .widgets import DPI

__all__ = ["horse_case", "step_signal", "step_profile_figure", "tv_figure", "crf_figure",
           "edge_case", "bilateral_figure"]


@functools.lru_cache(maxsize=8)
def horse_case(shape=(30, 36), *, gain=2.0, noise=1.2, seed=3):
    r"""A small segmentation test case: horse target, noisy posterior and a grey image.

    Parameters
    ----------
    shape : tuple of two int, optional
        Size (rows, columns) the horse of :func:`seglab.data.horse` is resampled to
        (nearest neighbour), at least (8, 8).
    gain, noise : float, optional
        Passed to :func:`seglab.data.posterior_map` (with ``blur=1``).
    seed : int, optional
        Seed of the posterior noise and of the image noise.

    Returns
    -------
    target : ndarray of bool, shape ``shape``
        The resampled horse (read-only).
    eta : ndarray of float64, shape ``shape``
        The posterior :math:`\eta \in (0, 1)` (read-only).
    image : ndarray of float64, shape ``shape``
        A grey image in [0, 255]: 150 on the horse, 100 elsewhere, plus Gaussian noise
        of standard deviation 10 (read-only); its edges are the object's edges.

    Raises
    ------
    ValueError
        If ``shape`` is smaller than (8, 8) or the options are out of range.

    Examples
    --------
    >>> from seglab.plotting_postprocess import horse_case
    >>> target, eta, image = horse_case()
    >>> target.shape, eta.shape, image.shape
    ((30, 36), (30, 36), (30, 36))
    >>> bool(0 < eta.min() and eta.max() < 1)
    True
    """
    from skimage.transform import resize

    rows, cols = (int(s) for s in shape)
    if rows < 8 or cols < 8:
        raise ValueError(f"shape {shape} is smaller than (8, 8)")
    horse = data.horse().astype(np.float64)
    target = resize(horse, (rows, cols), order=0, anti_aliasing=False) > 0.5
    eta = data.posterior_map(target, blur=1.0, gain=gain, noise=noise, seed=seed)
    rng = np.random.default_rng(seed)
    image = np.clip(np.where(target, 150.0, 100.0) + 10.0 * rng.standard_normal(target.shape),
                    0.0, 255.0)
    return _readonly(target, eta, image)


def _iou(pred, target):
    return float(metrics.iou(pred.astype(np.int64), target.astype(np.int64)))


def _error_legend(fig):
    """One legend of the error categories, centred under all axes."""
    handles = [Patch(facecolor=colour, edgecolor="0.5", label=label)
               for _, label, colour in _ERROR_CLASSES]
    fig.legend(handles=handles, loc="lower center", ncols=4, fontsize=8, frameon=False,
               handlelength=1.0, columnspacing=1.0)


def _error_panel(ax, pred, target, title):
    ax.imshow(_error_map(pred, target), cmap=_ERROR_CMAP, vmin=-0.5, vmax=3.5,
              interpolation="nearest")
    ax.set_title(title, fontsize=9)
    ax.set_xlabel("column (pixel)", fontsize=8)
    ax.tick_params(labelsize=7)


@functools.lru_cache(maxsize=4)
def step_signal(n=128, seed=0):
    r"""The noisy step of :func:`step_profile_figure`.

    Parameters
    ----------
    n : int, optional
        Number of samples (at least 4); the step is at ``n // 2``.
    seed : int, optional
        Seed of the Gaussian noise (standard deviation 0.12).

    Returns
    -------
    x, clean, noisy : ndarray of float64, shape (n,)
        Pixel index, the step from 0.1 to 0.9, and the noisy step clipped to [0, 1]
        (all read-only).

    Raises
    ------
    ValueError
        If ``n < 4``.

    Examples
    --------
    >>> from seglab.plotting_postprocess import step_signal
    >>> x, clean, noisy = step_signal()
    >>> x.shape, float(clean[0]), float(clean[-1])
    ((128,), 0.1, 0.9)
    """
    if int(n) != n or n < 4:
        raise ValueError(f"n must be an integer >= 4, got {n!r}")
    n = int(n)
    rng = np.random.default_rng(seed)
    x = np.arange(n, dtype=np.float64)
    clean = (x >= n // 2).astype(np.float64) * 0.8 + 0.1
    noisy = np.clip(clean + 0.12 * rng.standard_normal(n), 0.0, 1.0)
    return _readonly(x, clean, noisy)


def step_profile_figure(lam):
    r"""A noisy step smoothed by H¹ (Sobolev) and by TV (ROF) regularisation.

    Parameters
    ----------
    lam : float
        The weight :math:`\lambda > 0`, used for both models:
        :func:`seglab.postprocess.sobolev_smooth` (squared pixels) and
        :func:`seglab.postprocess.tv_smooth` (pixels).

    Returns
    -------
    matplotlib.figure.Figure
        The clean step, the noisy signal (128 samples in [0, 1]) and both solutions,
        against the pixel index.

    Raises
    ------
    ValueError
        If ``lam`` is not a positive finite number.

    Examples
    --------
    >>> from seglab.plotting_postprocess import step_profile_figure
    >>> fig = step_profile_figure(4.0)
    >>> [ax.get_xlabel() for ax in fig.axes]
    ['pixel']
    """
    lam = check_real(lam, "lam", low=0.0, high=np.inf, low_open=True, high_open=True)
    x, clean, noisy = step_signal()
    h1 = postprocess.sobolev_smooth(noisy[None, :], lam=lam)[0]
    # scikit-image's relative-change rule stops early on long flat runs: ask for 1e-10
    tv = postprocess.tv_smooth(noisy[None, :], lam=lam, eps=1e-10, max_iter=20000,
                               certify=False).u[0]
    fig = Figure(figsize=(7.0, 2.8), dpi=DPI)
    ax = fig.add_subplot()
    ax.plot(x, noisy, ".", ms=3, color="0.6", label="noisy $f$")
    ax.plot(x, clean, "-", lw=1, color=OKABE_ITO["black"], label="clean step")
    ax.plot(x, h1, "-", lw=2, color=OKABE_ITO["orange"], label=r"$H^1$ (Sobolev)")
    ax.plot(x, tv, "-", lw=2, color=OKABE_ITO["blue"], label="TV (ROF)")
    ax.set_xlabel("pixel")
    ax.set_ylabel("value")
    ax.set_ylim(-0.05, 1.05)
    ax.set_title(f"λ = {lam:g}", fontsize=10)
    ax.legend(loc="upper left", fontsize=8, frameon=False)
    fig.subplots_adjust(left=0.09, right=0.98, bottom=0.17, top=0.9)
    return fig


@functools.lru_cache(maxsize=64)
def _tv_results(lam, shape):
    target, eta, _ = horse_case(shape)
    rof = postprocess.tv_smooth(eta, lam=lam, certify=False, eps=1e-10, max_iter=20000).u
    relax = postprocess.convex_relaxation(eta, lam=lam, tol=1e-4, max_iter=3000)
    return _readonly(rof, relax.u, relax.mask)


def tv_figure(lam, *, shape=(30, 36)):
    r"""TV post-processing of a noisy horse posterior at weight ``lam``.

    Four panels: the posterior :math:`\eta`; its ROF smoothing
    (:func:`seglab.postprocess.tv_smooth`); the errors of :math:`\eta > 1/2`; the
    errors of the thresholded convex relaxation
    (:func:`seglab.postprocess.convex_relaxation`), each titled with its IoU.

    Parameters
    ----------
    lam : float
        TV weight :math:`\lambda \ge 0` (pixels), the same for both models.
    shape : tuple of two int, optional
        Size of the test case (:func:`horse_case`).

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ValueError
        If ``lam`` is negative or not finite.

    Examples
    --------
    >>> from seglab.plotting_postprocess import tv_figure
    >>> fig = tv_figure(1.0)
    >>> len(fig.axes)
    4
    """
    lam = check_real(lam, "lam", low=0.0, high=np.inf, high_open=True)
    target, eta, _ = horse_case(shape)
    rof, _, mask = _tv_results(lam, tuple(shape))
    fig = Figure(figsize=(9.0, 2.9), dpi=DPI)
    axes = fig.subplots(1, 4, sharey=True)
    for ax, field, title in ((axes[0], eta, "posterior η"),
                             (axes[1], rof, f"ROF u, λ = {lam:g}")):
        ax.imshow(field, cmap="viridis", vmin=0.0, vmax=1.0, interpolation="nearest")
        ax.set_title(title, fontsize=9)
        ax.set_xlabel("column (pixel)", fontsize=8)
        ax.tick_params(labelsize=7)
    axes[0].set_ylabel("row (pixel)", fontsize=8)
    _error_panel(axes[2], eta > 0.5, target, f"η > 1/2: IoU {_iou(eta > 0.5, target):.2f}")
    _error_panel(axes[3], mask, target, f"relaxation: IoU {_iou(mask, target):.2f}")
    fig.subplots_adjust(left=0.06, right=0.98, bottom=0.27, top=0.9, wspace=0.25)
    _error_legend(fig)
    return fig


@functools.lru_cache(maxsize=128)
def _crf_result(spatial_sigma, spatial_weight, max_iter, bilateral_weight, shape):
    target, eta, image = horse_case(shape)
    res = postprocess.dense_crf(
        eta, image, spatial_sigma=spatial_sigma, spatial_weight=spatial_weight,
        bilateral_sigma_xy=8.0, bilateral_sigma_rgb=20.0, bilateral_weight=bilateral_weight,
        max_iter=max_iter, method="exact", track_energy=True,
    )
    return res.labels.astype(bool), res.free_energy


def crf_figure(spatial_sigma, spatial_weight, max_iter, *, bilateral_weight=0.0,
               shape=(24, 29)):
    r"""Dense-CRF mean field on a noisy horse posterior.

    Three panels: the errors of :math:`\eta > 1/2`, the errors of the CRF labels
    after ``max_iter`` parallel mean-field iterations
    (:func:`seglab.postprocess.dense_crf`, exact kernels), and the free energy per
    iteration.

    Parameters
    ----------
    spatial_sigma : float
        :math:`\theta_\gamma > 0`, width of the Gaussian kernel (pixels).
    spatial_weight : float
        :math:`w^{(2)} \ge 0`, its weight.
    max_iter : int
        Number of mean-field iterations, at least 1.
    bilateral_weight : float, optional
        :math:`w^{(1)} \ge 0` of the bilateral kernel
        (:math:`\theta_\alpha = 8` pixels, :math:`\theta_\beta = 20` grey levels).
    shape : tuple of two int, optional
        Size of the test case (:func:`horse_case`); exact kernels are
        :math:`O(N^2)`, keep it small.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ValueError
        For a non-positive sigma, a negative weight or ``max_iter < 1``.

    Examples
    --------
    >>> from seglab.plotting_postprocess import crf_figure
    >>> fig = crf_figure(2.0, 3.0, 2)
    >>> fig.axes[2].get_xlabel()
    'iteration'
    """
    spatial_sigma = check_real(spatial_sigma, "spatial_sigma", low=0.0, high=np.inf,
                               low_open=True, high_open=True)
    spatial_weight = check_real(spatial_weight, "spatial_weight", low=0.0, high=np.inf,
                                high_open=True)
    bilateral_weight = check_real(bilateral_weight, "bilateral_weight", low=0.0,
                                  high=np.inf, high_open=True)
    if int(max_iter) != max_iter or max_iter < 1:
        raise ValueError(f"max_iter must be an integer >= 1, got {max_iter!r}")
    target, eta, _ = horse_case(shape)
    labels, energy = _crf_result(spatial_sigma, spatial_weight, int(max_iter),
                                 bilateral_weight, tuple(shape))
    fig = Figure(figsize=(9.0, 2.9), dpi=DPI)
    axes = fig.subplots(1, 3, width_ratios=[1, 1, 1.3])
    _error_panel(axes[0], eta > 0.5, target, f"η > 1/2: IoU {_iou(eta > 0.5, target):.2f}")
    axes[0].set_ylabel("row (pixel)", fontsize=8)
    _error_panel(axes[1], labels, target, f"CRF: IoU {_iou(labels, target):.2f}")
    fig.subplots_adjust(left=0.06, right=0.98, bottom=0.27, top=0.9, wspace=0.35)
    _error_legend(fig)
    axes[2].plot(np.arange(energy.size), energy, "o-", color=OKABE_ITO["blue"], ms=4)
    axes[2].set_xlabel("iteration")
    axes[2].set_ylabel("free energy F(Q)")
    axes[2].set_xlim(-0.3, max(energy.size - 1, 1) + 0.3)
    axes[2].grid(alpha=0.3)
    return fig


@functools.lru_cache(maxsize=4)
def edge_case(shape=(20, 40), *, object_edge=16, colour_edge=22, noise=0.8, seed=0):
    r"""A test case whose object edge is not its colour edge.

    Parameters
    ----------
    shape : tuple of two int, optional
        (rows, columns), at least (4, 8).
    object_edge, colour_edge : int, optional
        The object is the columns ``>= object_edge``; the image is 60 left of
        ``colour_edge`` and 200 from it on (grey levels). Both strictly inside the image.
    noise : float, optional
        Standard deviation of the white noise added to the logit (:math:`\ge 0`).
    seed : int, optional
        Seed of that noise.

    Returns
    -------
    target : ndarray of bool
        The object (read-only).
    eta : ndarray of float64
        Posterior :math:`\sigma(1.2\,\mathrm{clip}((x - e + 1/2)/3, -1, 1) + \text{noise})`,
        blurred around the object edge :math:`e` (read-only).
    image : ndarray of float64
        The two-level grey image (read-only).

    Raises
    ------
    ValueError
        For a too small shape, edges outside the image or negative noise.

    Examples
    --------
    >>> from seglab.plotting_postprocess import edge_case
    >>> target, eta, image = edge_case()
    >>> int(target[0].argmax()), int((image[0] > 100).argmax())
    (16, 22)
    """
    rows, cols = (int(v) for v in shape)
    if rows < 4 or cols < 8:
        raise ValueError(f"shape {shape} is smaller than (4, 8)")
    for name, edge in (("object_edge", object_edge), ("colour_edge", colour_edge)):
        if not 0 < edge < cols:
            raise ValueError(f"{name} = {edge} is not strictly inside the {cols} columns")
    noise = check_real(noise, "noise", low=0.0, high=np.inf, high_open=True)
    x = np.broadcast_to(np.arange(cols, dtype=np.float64), (rows, cols))
    target = x >= object_edge
    image = np.where(x >= colour_edge, 200.0, 60.0)
    logit = 1.2 * np.clip((x - object_edge + 0.5) / 3.0, -1.0, 1.0)
    logit = logit + noise * np.random.default_rng(seed).standard_normal((rows, cols))
    eta = 1.0 / (1.0 + np.exp(-logit))
    return _readonly(np.array(target), eta, image)


def bilateral_figure(bilateral_weight, bilateral_sigma_rgb):
    r"""Where the dense CRF puts a boundary when the colour edge is not the object edge.

    Runs :func:`seglab.postprocess.dense_crf` (spatial :math:`\theta_\gamma = 2`,
    :math:`w^{(2)} = 3`; bilateral :math:`\theta_\alpha = 10`; 10 parallel iterations,
    exact kernels) on :func:`edge_case` and shows the error map of its labels and the
    fraction of foreground per column, with the object edge and the colour edge marked.

    Parameters
    ----------
    bilateral_weight : float
        :math:`w^{(1)} \ge 0` of the bilateral kernel (0: spatial kernel only).
    bilateral_sigma_rgb : float
        :math:`\theta_\beta > 0`, its colour width (grey levels; the edge has contrast 140).

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ValueError
        For a negative weight or a non-positive colour width.

    Examples
    --------
    >>> from seglab.plotting_postprocess import bilateral_figure
    >>> fig = bilateral_figure(10.0, 13.0)
    >>> fig.axes[1].get_xlabel()
    'column (pixel)'
    """
    bilateral_weight = check_real(bilateral_weight, "bilateral_weight", low=0.0, high=np.inf,
                                  high_open=True)
    bilateral_sigma_rgb = check_real(bilateral_sigma_rgb, "bilateral_sigma_rgb", low=0.0,
                                     high=np.inf, low_open=True, high_open=True)
    target, eta, image = edge_case()
    labels = postprocess.dense_crf(
        eta, image, spatial_sigma=2.0, spatial_weight=3.0, bilateral_sigma_xy=10.0,
        bilateral_sigma_rgb=bilateral_sigma_rgb, bilateral_weight=bilateral_weight, max_iter=10,
        method="exact", track_energy=False,
    ).labels.astype(bool)
    fig = Figure(figsize=(9.0, 2.9), dpi=DPI)
    axes = fig.subplots(1, 2, width_ratios=[1.2, 1])
    fig.subplots_adjust(left=0.07, right=0.98, bottom=0.27, top=0.9, wspace=0.25)
    _error_panel(axes[0], labels, target, f"CRF labels: IoU {_iou(labels, target):.2f}")
    axes[0].set_ylabel("row (pixel)", fontsize=8)
    _error_legend(fig)
    cols = np.arange(target.shape[1])
    axes[1].step(cols, (eta > 0.5).mean(axis=0), where="mid", color="0.5", label="η > 1/2")
    axes[1].step(cols, labels.mean(axis=0), where="mid", color=OKABE_ITO["blue"], lw=2,
                 label="CRF")
    axes[1].axvline(int(target[0].argmax()) - 0.5, color=OKABE_ITO["bluish green"], ls="--",
                    label="object edge")
    axes[1].axvline(int((image[0] > 100).argmax()) - 0.5, color=OKABE_ITO["vermillion"],
                    ls=":", label="colour edge")
    axes[1].set_xlabel("column (pixel)")
    axes[1].set_ylabel("foreground fraction")
    axes[1].set_ylim(-0.05, 1.05)
    axes[1].legend(fontsize=7, frameon=False, loc="upper left")
    return fig
