"""Tests of seglab.viz.losses: the focal, empty-mask and Tversky-surface figures of chapter 2
(the closed forms they draw are tested in tests/test_theory.py and tests/test_losses.py)."""

import numpy as np
import pytest
from matplotlib.figure import Figure

from seglab.viz import losses
from seglab.widgets import render_png, slider


@pytest.mark.parametrize("func, kwargs", [
    (losses.focal_figure, {"gamma": 2.0}),
    (losses.focal_figure, {"gamma": 0.0, "alpha": 0.25}),
    (losses.empty_mask_figure, {"eps": 1.0}),
    (losses.empty_mask_figure, {"eps": 0.0}),
])
def test_figures_are_unmanaged_and_differ(func, kwargs):
    fig = func(**kwargs)
    assert isinstance(fig, Figure) and fig.canvas.manager is None
    assert render_png(fig) != render_png(func(**{**kwargs, next(iter(kwargs)): 5.0}))


def test_static_parts_are_labelled():
    for fig in (losses._focal_static(0.5), losses._empty_static()):
        for ax in fig.axes:
            assert ax.get_xlabel() and ax.get_ylabel()


@pytest.mark.parametrize("call, error", [
    (lambda: losses.focal_figure(-1.0), ValueError),
    (lambda: losses.focal_figure(1.0, alpha=1.5), ValueError),
    (lambda: losses.empty_mask_figure(-0.1), ValueError),
    (lambda: losses.empty_mask_figure("1"), TypeError),
])
def test_figure_validation(call, error):
    with pytest.raises(error):
        call()


@pytest.mark.parametrize("kwargs, match", [
    ({"alpha": 0.0, "beta": 0.5}, "alpha"),
    ({"alpha": 0.5, "beta": -1.0}, "beta"),
])
def test_tversky_surface_figure_validation(kwargs, match):
    with pytest.raises(ValueError, match=match):
        losses.tversky_surface_figure(**kwargs)


def test_tversky_surface_figure_threshold():
    fig = losses.tversky_surface_figure(0.3, 0.7)
    assert isinstance(fig, Figure)
    assert fig.axes[1].get_title() == "α = 0.3, β = 0.7: T* = 0.806, τ = 0.242"
    # the curve on the right is the optimal threshold at each beta; it decreases in beta
    # (the same statement on the core: tests/test_theory.py)
    tau_curve = fig.axes[1].get_lines()[0].get_ydata()
    assert np.all(np.diff(tau_curve) < 0)


def test_sliders_build():
    s = slider(losses.tversky_surface_figure, live=False, alpha=[0.5], beta=[0.3, 0.7])
    html = s._repr_mimebundle_()["text/html"]
    assert html.count('class="seglab-slider-frame"') == 2
