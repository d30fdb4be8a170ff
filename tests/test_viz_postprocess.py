"""Figures of chapter 3 (seglab.viz.postprocess): pure, validated, labelled, and built from
seglab.postprocess on the test cases of seglab.data."""

import numpy as np
import pytest
from matplotlib.figure import Figure

from seglab import data, postprocess
from seglab.viz import postprocess as viz_postprocess


@pytest.mark.parametrize("func, args", [
    (viz_postprocess.step_profile_figure, (2.0,)),
    (viz_postprocess.tv_figure, (0.5,)),
    (viz_postprocess.crf_figure, (2.0, 3.0, 2)),
    (viz_postprocess.bilateral_figure, (10.0, 13.0)),
])
def test_figures_are_new_labelled_figures(func, args):
    fig = func(*args)
    assert isinstance(fig, Figure)
    assert func(*args) is not fig  # a new figure every call
    labelled = [ax for ax in fig.axes if ax.get_xlabel()]
    assert labelled, "every figure labels its axes"


def test_tv_figure_shows_the_relaxation_mask():
    """The IoU in the last panel's title is the IoU of convex_relaxation's mask."""
    target, eta, _ = data.horse_case()
    mask = postprocess.convex_relaxation(eta, lam=1.0, tol=1e-4, max_iter=3000).mask
    iou = (mask & target).sum() / (mask | target).sum()
    assert f"IoU {iou:.2f}" in viz_postprocess.tv_figure(1.0).axes[3].get_title()


def test_crf_figure_energy_trace_matches_dense_crf():
    target, eta, image = data.horse_case((24, 29))
    res = postprocess.dense_crf(eta, image, spatial_sigma=2.0, spatial_weight=3.0,
                                bilateral_sigma_xy=8.0, bilateral_sigma_rgb=20.0,
                                bilateral_weight=0.0, max_iter=3, method="exact")
    line = viz_postprocess.crf_figure(2.0, 3.0, 3).axes[2].get_lines()[0]
    np.testing.assert_allclose(line.get_ydata(), res.free_energy)


@pytest.mark.parametrize("func, args, match", [
    (viz_postprocess.step_profile_figure, (0.0,), "lam"),
    (viz_postprocess.tv_figure, (-1.0,), "lam"),
    (viz_postprocess.crf_figure, (0.0, 3.0, 2), "spatial_sigma"),
    (viz_postprocess.crf_figure, (2.0, -1.0, 2), "spatial_weight"),
    (viz_postprocess.crf_figure, (2.0, 3.0, 0), "max_iter"),
    (viz_postprocess.crf_figure, (2.0, 3.0, 1.5), "max_iter"),
    (viz_postprocess.bilateral_figure, (-1.0, 13.0), "bilateral_weight"),
    (viz_postprocess.bilateral_figure, (1.0, 0.0), "bilateral_sigma_rgb"),
])
def test_figures_validate_their_parameters(func, args, match):
    with pytest.raises(ValueError, match=match):
        func(*args)


def test_bilateral_figure_shows_the_snap():
    """With a strong bilateral kernel the CRF boundary moves to the colour edge (column 22)."""
    fig = viz_postprocess.bilateral_figure(10.0, 13.0)
    crf_line = fig.axes[1].get_lines()[1]
    fraction = np.asarray(crf_line.get_ydata())
    assert fraction[:22].max() < 0.1 and fraction[22:].min() > 0.9


def test_tv_and_crf_figures_on_the_coins_photograph():
    """case='coins': the photograph's test case at its default size, the ROF panel with a
    colour bar over [0, 1], the CRF energy trace of dense_crf(method='fast')."""
    target, eta, image = data.coins_case()
    fig = viz_postprocess.tv_figure(0.5, case="coins")
    assert fig.axes[0].get_images()[0].get_array().shape == target.shape
    assert fig.axes[-1].get_ylabel() == "η and u" and fig.axes[-1].get_ylim() == (0.0, 1.0)
    res = postprocess.dense_crf(eta, image, spatial_sigma=3.0, spatial_weight=3.0,
                                bilateral_sigma_xy=8.0, bilateral_sigma_rgb=20.0,
                                bilateral_weight=0.0, max_iter=2, method="fast")
    crf = viz_postprocess.crf_figure(3.0, 3.0, 2, case="coins")
    np.testing.assert_allclose(crf.axes[2].get_lines()[0].get_ydata(), res.free_energy)
    labels = res.labels.astype(bool)
    iou = (labels & target).sum() / (labels | target).sum()
    assert f"IoU {iou:.2f}" in crf.axes[1].get_title()
    with pytest.raises(ValueError, match="case"):
        viz_postprocess.tv_figure(0.5, case="zebra")
