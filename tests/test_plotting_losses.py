"""Tests of seglab.theory.focal_minimiser and the chapter-2 figures (seglab.plotting_losses)."""

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy.optimize import minimize_scalar

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")

from matplotlib.figure import Figure  # noqa: E402

from seglab import plotting_losses, theory  # noqa: E402
from seglab.widgets import render_png  # noqa: E402


def _focal_risk(q, eta, gamma, alpha):
    return (-alpha * eta * (1 - q) ** gamma * np.log(q)
            - (1 - alpha) * (1 - eta) * q**gamma * np.log1p(-q))


@pytest.mark.parametrize("gamma", [0.0, 0.3, 1.0, 2.0, 5.0])
@pytest.mark.parametrize("alpha", [0.25, 0.5, 0.9])
@pytest.mark.parametrize("eta", [0.01, 0.3, 0.5, 0.75, 0.99])
def test_focal_minimiser_minimises_the_risk(gamma, alpha, eta):
    """Against scipy's bounded scalar minimiser of the conditional focal risk."""
    q = theory.focal_minimiser(eta, gamma=gamma, alpha=alpha)
    ref = minimize_scalar(_focal_risk, bounds=(1e-12, 1 - 1e-12), method="bounded",
                          args=(eta, gamma, alpha), options={"xatol": 1e-12}).x
    assert_allclose(q, ref, atol=1e-6)
    assert _focal_risk(q, eta, gamma, alpha) <= _focal_risk(ref, eta, gamma, alpha) + 1e-12


def test_focal_minimiser_known_values_and_decision():
    """Charoenphakdee et al. 2021: gamma = 2 gives q*(0.9) = 0.694, q*(0.99) = 0.846."""
    assert_allclose(theory.focal_minimiser([0.9, 0.99], gamma=2.0), [0.694213, 0.846376],
                    atol=1e-6)
    eta = np.linspace(0, 1, 101)
    for gamma in (0.5, 2.0):
        for alpha in (0.25, 0.5, 0.8):
            q = theory.focal_minimiser(eta, gamma=gamma, alpha=alpha)
            assert np.all(np.diff(q) > 0)
            assert q[0] == 0.0 and q[-1] == 1.0
            assert_allclose(theory.focal_minimiser(1 - alpha, gamma=gamma, alpha=alpha), 0.5,
                            atol=1e-12)
    assert_allclose(theory.focal_minimiser(eta, gamma=0.0), eta)


def test_focal_minimiser_does_not_mutate():
    eta = np.array([0.2, 0.7])
    theory.focal_minimiser(eta, gamma=1.0)
    assert_allclose(eta, [0.2, 0.7])


@pytest.mark.parametrize("kwargs, error, match", [
    ({"prob": 1.5, "gamma": 1.0}, ValueError, "prob"),
    ({"prob": np.nan, "gamma": 1.0}, ValueError, "prob"),
    ({"prob": 0.5, "gamma": -1.0}, ValueError, "gamma"),
    ({"prob": 0.5, "gamma": np.inf}, ValueError, "gamma"),
    ({"prob": 0.5, "gamma": "2"}, TypeError, "gamma"),
    ({"prob": 0.5, "gamma": 1.0, "alpha": 0.0}, ValueError, "alpha"),
    ({"prob": 0.5, "gamma": 1.0, "alpha": 1.0}, ValueError, "alpha"),
])
def test_focal_minimiser_validation(kwargs, error, match):
    with pytest.raises(error, match=match):
        theory.focal_minimiser(**kwargs)


def test_empty_mask_loss_closed_form_and_gradient():
    """Loss m/(m + eps); its derivative in m (each p_i) checked by central differences."""
    mass = np.geomspace(1e-3, 1e3, 50)
    for eps in (0.01, 1.0, 100.0):
        loss, grad = plotting_losses.empty_mask_loss(mass, eps)
        assert_allclose(loss, mass / (mass + eps))
        h = 1e-6 * mass
        numeric = (plotting_losses.empty_mask_loss(mass + h, eps)[0]
                   - plotting_losses.empty_mask_loss(mass - h, eps)[0]) / (2 * h)
        assert_allclose(grad, numeric, rtol=1e-5)
    assert plotting_losses.empty_mask_loss(5.0, 0.0) == (1.0, 0.0)
    assert all(np.isnan(plotting_losses.empty_mask_loss(0.0, 0.0)))
    with pytest.raises(ValueError, match="mass"):
        plotting_losses.empty_mask_loss(-1.0, 1.0)
    with pytest.raises(ValueError, match="eps"):
        plotting_losses.empty_mask_loss(1.0, -1.0)


@pytest.mark.parametrize("func, kwargs", [
    (plotting_losses.focal_figure, {"gamma": 2.0}),
    (plotting_losses.focal_figure, {"gamma": 0.0, "alpha": 0.25}),
    (plotting_losses.empty_mask_figure, {"eps": 1.0}),
    (plotting_losses.empty_mask_figure, {"eps": 0.0}),
])
def test_figures_are_unmanaged_and_differ(func, kwargs):
    fig = func(**kwargs)
    assert isinstance(fig, Figure) and fig.canvas.manager is None
    assert render_png(fig) != render_png(func(**{**kwargs, next(iter(kwargs)): 5.0}))


def test_static_parts_are_labelled():
    for fig in (plotting_losses._focal_static(0.5), plotting_losses._empty_static()):
        for ax in fig.axes:
            assert ax.get_xlabel() and ax.get_ylabel()


@pytest.mark.parametrize("call, error", [
    (lambda: plotting_losses.focal_figure(-1.0), ValueError),
    (lambda: plotting_losses.focal_figure(1.0, alpha=1.5), ValueError),
    (lambda: plotting_losses.empty_mask_figure(-0.1), ValueError),
    (lambda: plotting_losses.empty_mask_figure("1"), TypeError),
])
def test_figure_validation(call, error):
    with pytest.raises(error):
        call()
