"""Figures of chapter 3: pure, validated, labelled, and built from seglab.postprocess."""

import numpy as np
import pytest

pytest.importorskip("matplotlib")

from matplotlib.figure import Figure  # noqa: E402

from seglab import plotting_postprocess as pp  # noqa: E402
from seglab import postprocess  # noqa: E402


def test_horse_case_is_cached_read_only_and_consistent():
    target, eta, image = pp.horse_case()
    assert target.dtype == bool and eta.dtype == np.float64
    assert not (target.flags.writeable or eta.flags.writeable or image.flags.writeable)
    assert pp.horse_case()[0] is target
    # the posterior is informative: the pixelwise decision beats chance on the horse
    assert ((eta > 0.5) == target).mean() > 0.8
    assert 0.0 <= image.min() and image.max() <= 255.0


def test_horse_case_rejects_tiny_shapes():
    with pytest.raises(ValueError, match="smaller than"):
        pp.horse_case((4, 40))


@pytest.mark.parametrize("func, args", [
    (pp.step_profile_figure, (2.0,)),
    (pp.tv_figure, (0.5,)),
    (pp.crf_figure, (2.0, 3.0, 2)),
    (pp.bilateral_figure, (10.0, 13.0)),
])
def test_figures_are_new_labelled_figures(func, args):
    fig = func(*args)
    assert isinstance(fig, Figure)
    assert func(*args) is not fig  # a new figure every call
    labelled = [ax for ax in fig.axes if ax.get_xlabel()]
    assert labelled, "every figure labels its axes"


def test_tv_figure_shows_the_relaxation_mask():
    """The IoU in the last panel's title is the IoU of convex_relaxation's mask."""
    target, eta, _ = pp.horse_case()
    mask = postprocess.convex_relaxation(eta, lam=1.0, tol=1e-4, max_iter=3000).mask
    iou = (mask & target).sum() / (mask | target).sum()
    assert f"IoU {iou:.2f}" in pp.tv_figure(1.0).axes[3].get_title()


def test_crf_figure_energy_trace_matches_dense_crf():
    target, eta, image = pp.horse_case((24, 29))
    res = postprocess.dense_crf(eta, image, spatial_sigma=2.0, spatial_weight=3.0,
                                bilateral_sigma_xy=8.0, bilateral_sigma_rgb=20.0,
                                bilateral_weight=0.0, max_iter=3, method="exact")
    line = pp.crf_figure(2.0, 3.0, 3).axes[2].get_lines()[0]
    np.testing.assert_allclose(line.get_ydata(), res.free_energy)


@pytest.mark.parametrize("func, args, match", [
    (pp.step_profile_figure, (0.0,), "lam"),
    (pp.tv_figure, (-1.0,), "lam"),
    (pp.crf_figure, (0.0, 3.0, 2), "spatial_sigma"),
    (pp.crf_figure, (2.0, -1.0, 2), "spatial_weight"),
    (pp.crf_figure, (2.0, 3.0, 0), "max_iter"),
    (pp.crf_figure, (2.0, 3.0, 1.5), "max_iter"),
    (pp.bilateral_figure, (-1.0, 13.0), "bilateral_weight"),
    (pp.bilateral_figure, (1.0, 0.0), "bilateral_sigma_rgb"),
])
def test_figures_validate_their_parameters(func, args, match):
    with pytest.raises(ValueError, match=match):
        func(*args)


def test_edge_case_edges_and_validation():
    target, eta, image = pp.edge_case()
    assert target[:, 16:].all() and not target[:, :16].any()
    assert (image[:, 22:] == 200).all() and (image[:, :22] == 60).all()
    with pytest.raises(ValueError, match="colour_edge"):
        pp.edge_case(colour_edge=40)
    with pytest.raises(ValueError, match="smaller than"):
        pp.edge_case((2, 40))


def test_bilateral_figure_shows_the_snap():
    """With a strong bilateral kernel the CRF boundary moves to the colour edge (column 22)."""
    fig = pp.bilateral_figure(10.0, 13.0)
    crf_line = fig.axes[1].get_lines()[1]
    fraction = np.asarray(crf_line.get_ydata())
    assert fraction[:22].max() < 0.1 and fraction[22:].min() > 0.9


def test_step_signal_is_a_clipped_noisy_step():
    x, clean, noisy = pp.step_signal(64, seed=1)
    assert x.shape == clean.shape == noisy.shape == (64,)
    assert set(np.unique(clean)) == {0.1, 0.9} and clean[32] == 0.9 and clean[31] == 0.1
    assert 0.0 <= noisy.min() and noisy.max() <= 1.0
    with pytest.raises(ValueError, match="n must be"):
        pp.step_signal(2)
