r"""Post-processing: total variation and the dense CRF on a noisy posterior.

Every public function here is a slider callback (see :func:`seglab.widgets.slider`): it
takes scalars and returns a new :class:`matplotlib.figure.Figure` (not registered with
pyplot). The test cases they draw on (:func:`seglab.data.step_signal`,
:func:`seglab.data.horse_case`, :func:`seglab.data.edge_case`) come from
:mod:`seglab.data`, the post-processing from :mod:`seglab.postprocess`; error maps use
the categories TN / FP / FN / TP of :mod:`seglab.viz.style`.

Explained in the book, chapter 3 (``book/ch3/tv.md``, ``book/ch3/crf.md``).
"""

import functools

import numpy as np
from matplotlib.figure import Figure

from .. import data, metrics, postprocess
from .._validation import check_choice, check_real
from .style import DPI, ERROR_CMAP, OKABE_ITO, error_handles, error_map, readonly

__all__ = ["bilateral_figure", "crf_figure", "step_profile_figure", "tv_figure"]


def _iou(pred, target):
    return float(metrics.iou(pred.astype(np.int64), target.astype(np.int64)))


def _error_legend(fig):
    """One legend of the error categories, centred under all axes."""
    fig.legend(handles=error_handles(), loc="lower center", ncols=4, fontsize=9,
               frameon=False, handlelength=1.0, columnspacing=1.0)


def _error_panel(ax, pred, target, title):
    ax.imshow(error_map(pred, target), cmap=ERROR_CMAP, vmin=-0.5, vmax=3.5,
              interpolation="nearest")
    ax.set_title(title, fontsize=9)
    ax.set_xlabel("column (pixel)", fontsize=8)
    ax.tick_params(labelsize=8)


# The test cases of the TV and CRF figures: (maker, default shape of tv_figure, of crf_figure,
# dense-CRF method). The photograph is too large for the exact O(N^2) kernels.
_CASES = {
    "horse": (data.horse_case, (30, 36), (24, 29), "exact"),
    "coins": (data.coins_case, (120, 152), (120, 152), "fast"),
}


def _case(case, shape, which):
    check_choice(case, "case", tuple(_CASES))
    maker, *shapes, _ = _CASES[case]
    return maker(tuple(shapes[which] if shape is None else shape))


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
    >>> from seglab.viz.postprocess import step_profile_figure
    >>> fig = step_profile_figure(4.0)
    >>> [ax.get_xlabel() for ax in fig.axes]
    ['pixel']
    """
    lam = check_real(lam, "lam", low=0.0, high=np.inf, low_open=True, high_open=True)
    x, clean, noisy = data.step_signal()
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
def _tv_results(lam, shape, case):
    target, eta, _ = _case(case, shape, 0)
    rof = postprocess.tv_smooth(eta, lam=lam, certify=False, eps=1e-10, max_iter=20000).u
    relax = postprocess.convex_relaxation(eta, lam=lam, tol=1e-4, max_iter=3000)
    return readonly(rof, relax.u, relax.mask)


def tv_figure(lam, *, shape=None, case="horse"):
    r"""TV post-processing of a noisy posterior at weight ``lam``.

    Four panels: the posterior :math:`\eta`; its ROF smoothing
    (:func:`seglab.postprocess.tv_smooth`), with a colour bar of the common scale
    [0, 1]; the errors of :math:`\eta > 1/2`; the errors of the thresholded convex
    relaxation (:func:`seglab.postprocess.convex_relaxation`), each titled with its IoU.

    Parameters
    ----------
    lam : float
        TV weight :math:`\lambda \ge 0` (pixels), the same for both models.
    shape : tuple of two int, optional
        Size of the test case; default (30, 36) for the horse, (120, 152) for the coins.
    case : {'horse', 'coins'}, optional
        The test case: the horse silhouette (:func:`seglab.data.horse_case`) or the
        coins photograph (:func:`seglab.data.coins_case`).

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ValueError
        If ``lam`` is negative or not finite, or ``case`` is not a known case.

    Examples
    --------
    >>> from seglab.viz.postprocess import tv_figure
    >>> fig = tv_figure(1.0)
    >>> len(fig.axes), fig.axes[-1].get_ylabel()
    (5, 'η and u')
    """
    lam = check_real(lam, "lam", low=0.0, high=np.inf, high_open=True)
    target, eta, _ = _case(case, shape, 0)
    rof, _, mask = _tv_results(lam, target.shape, case)
    fig = Figure(figsize=(9.0, 2.9), dpi=DPI)
    axes = fig.subplots(1, 4, sharey=True)
    for ax, field, title in ((axes[0], eta, "posterior η"),
                             (axes[1], rof, f"ROF u, λ = {lam:g}")):
        shown = ax.imshow(field, cmap="viridis", vmin=0.0, vmax=1.0, interpolation="nearest")
        ax.set_title(title, fontsize=9)
        ax.set_xlabel("column (pixel)", fontsize=8)
        ax.tick_params(labelsize=8)
    axes[0].set_ylabel("row (pixel)", fontsize=8)
    _error_panel(axes[2], eta > 0.5, target, f"η > 1/2: IoU {_iou(eta > 0.5, target):.2f}")
    _error_panel(axes[3], mask, target, f"relaxation: IoU {_iou(mask, target):.2f}")
    fig.subplots_adjust(left=0.06, right=0.9, bottom=0.27, top=0.9, wspace=0.25)
    bar = fig.colorbar(shown, cax=fig.add_axes((0.915, 0.3, 0.012, 0.57)))
    bar.set_label("η and u", fontsize=8)
    bar.ax.tick_params(labelsize=8)
    _error_legend(fig)
    return fig


@functools.lru_cache(maxsize=128)
def _crf_result(spatial_sigma, spatial_weight, max_iter, bilateral_weight, shape, case):
    target, eta, image = _case(case, shape, 1)
    res = postprocess.dense_crf(
        eta, image, spatial_sigma=spatial_sigma, spatial_weight=spatial_weight,
        bilateral_sigma_xy=8.0, bilateral_sigma_rgb=20.0, bilateral_weight=bilateral_weight,
        max_iter=max_iter, method=_CASES[case][3], track_energy=True,
    )
    return res.labels.astype(bool), res.free_energy


def crf_figure(spatial_sigma, spatial_weight, max_iter, *, bilateral_weight=0.0,
               shape=None, case="horse"):
    r"""Dense-CRF mean field on a noisy posterior.

    Three panels: the errors of :math:`\eta > 1/2`, the errors of the CRF labels
    after ``max_iter`` parallel mean-field iterations
    (:func:`seglab.postprocess.dense_crf`; exact kernels on the horse, ``method='fast'``
    on the photograph), and the free energy per iteration.

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
        Size of the test case; default (24, 29) for the horse (exact kernels are
        :math:`O(N^2)`, keep it small), (120, 152) for the coins.
    case : {'horse', 'coins'}, optional
        The test case, as in :func:`tv_figure`.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ValueError
        For a non-positive sigma, a negative weight, ``max_iter < 1`` or an unknown
        ``case``.

    Examples
    --------
    >>> from seglab.viz.postprocess import crf_figure
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
    target, eta, _ = _case(case, shape, 1)
    labels, energy = _crf_result(spatial_sigma, spatial_weight, int(max_iter),
                                 bilateral_weight, target.shape, case)
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


def bilateral_figure(bilateral_weight, bilateral_sigma_rgb):
    r"""Where the dense CRF puts a boundary when the colour edge is not the object edge.

    Runs :func:`seglab.postprocess.dense_crf` (spatial :math:`\theta_\gamma = 2`,
    :math:`w^{(2)} = 3`; bilateral :math:`\theta_\alpha = 10`; 10 parallel iterations,
    exact kernels) on :func:`seglab.data.edge_case` and shows the error map of its labels and the
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
    >>> from seglab.viz.postprocess import bilateral_figure
    >>> fig = bilateral_figure(10.0, 13.0)
    >>> fig.axes[1].get_xlabel()
    'column (pixel)'
    """
    bilateral_weight = check_real(bilateral_weight, "bilateral_weight", low=0.0, high=np.inf,
                                  high_open=True)
    bilateral_sigma_rgb = check_real(bilateral_sigma_rgb, "bilateral_sigma_rgb", low=0.0,
                                     high=np.inf, low_open=True, high_open=True)
    target, eta, image = data.edge_case()
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
    axes[1].legend(fontsize=8, frameon=False, loc="upper left")
    return fig
