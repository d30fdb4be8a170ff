"""Tests of seglab.plotting_ch2: the slider figures of the chapter-2 experiments."""

import numpy as np
import pytest
from matplotlib.figure import Figure
from numpy.testing import assert_allclose

from seglab import data, losses, plotting_ch2, theory
from seglab.widgets import render_png, slider


def test_imbalance_rules_thresholds_and_optimality():
    for pi in (0.005, 0.05, 0.3):
        rules = plotting_ch2.imbalance_rules(pi)
        assert set(rules) == {"ce", "wce", "dice"}
        assert rules["ce"][0] == 0.5
        assert rules["wce"][0] == pytest.approx(pi)
        # the Dice-optimal rule is at least as good as the two fixed rules, and its
        # threshold is F*/2 (chapter 1)
        t_dice, f_star = rules["dice"]
        assert f_star >= max(rules["ce"][1], rules["wce"][1]) - 1e-12
        assert t_dice == pytest.approx(f_star / 2, abs=0.02)


def test_imbalance_rules_match_theory():
    pi = 0.02
    mask = data.synthetic_mask((96, 96), foreground_fraction=pi, seed=0)
    eta = data.posterior_map(mask, noise=1.0, seed=0)
    rules = plotting_ch2.imbalance_rules(pi)
    for key, (t, dice) in rules.items():
        assert dice == pytest.approx(float(theory.expected_metrics(eta, t)["dice"])), key


def test_imbalance_small_prior_hurts_the_half_rule():
    # the 1/2 rule loses more Dice to the optimum as the prior shrinks
    loss = [plotting_ch2.imbalance_rules(pi)["dice"][1] - plotting_ch2.imbalance_rules(pi)["ce"][1]
            for pi in (0.3, 0.01)]
    assert loss[1] > loss[0]


def test_imbalance_figure():
    fig = plotting_ch2.imbalance_rules_figure(0.05)
    assert isinstance(fig, Figure)
    assert fig.axes[0].get_title().startswith("π = 0.05: Dice")
    assert render_png(fig)[1:4] == b"PNG"


@pytest.mark.parametrize("pi", [0.0, 1.0, -0.1, np.nan])
def test_imbalance_validation(pi):
    with pytest.raises(ValueError, match="pi"):
        plotting_ch2.imbalance_rules_figure(pi)


def test_priors_read_only():
    with pytest.raises(ValueError):
        plotting_ch2.PRIORS[0] = 1.0


@pytest.mark.parametrize("alpha, beta", [(0.3, 0.7), (0.5, 0.5), (1.0, 1.0), (0.9, 0.1)])
def test_tversky_pair_loss_matches_seglab_losses(alpha, beta):
    rng = np.random.default_rng(0)
    p1, p2 = rng.random(50), rng.random(50)
    loss, g1, g2 = plotting_ch2.tversky_pair_loss(p1, p2, alpha=alpha, beta=beta,
                                                  return_grad=True)
    for k in range(5):
        scores = np.array([[[p1[k], p2[k]]]])
        value, grad = losses.tversky_loss(scores, np.array([[1, 0]]), from_logits=False,
                                          return_grad=True, alpha=alpha, beta=beta)
        assert loss[k] == pytest.approx(value)
        assert_allclose(grad[0, 0], [g1[k], g2[k]], rtol=1e-12)
    # closed-form derivatives of the docstring
    den = p1 + alpha * p2 + beta * (1 - p1)
    assert_allclose(g1, -(alpha * p2 + beta) / den**2, rtol=1e-10)
    assert_allclose(g2, alpha * p1 / den**2, rtol=1e-10)


def test_tversky_pair_level_sets_are_lines_through_a_point():
    alpha, beta = 0.3, 0.7
    # every line through (0, -beta/alpha) is a level set: points on it share the loss
    for slope in (1.0, 3.0, 10.0):
        p1 = np.linspace(0.05, 0.3, 5)
        p2 = -beta / alpha + slope * p1
        inside = (p2 >= 0) & (p2 <= 1)
        if inside.sum() >= 2:
            values = plotting_ch2.tversky_pair_loss(p1[inside], p2[inside], alpha=alpha,
                                                    beta=beta)
            assert np.ptp(values) < 1e-12


@pytest.mark.parametrize("alpha, beta", [(0.3, 0.7), (0.7, 0.1), (0.5, 0.9), (0.3, 1.5)])
def test_tversky_pair_level_sets_quasi_convex_not_convex(alpha, beta):
    """The docstring's geometry, on many points: the line through (0, -beta/alpha) and any
    point of the square is a level set; the loss is quasi-convex but not convex."""
    rng = np.random.default_rng(1)
    apex = np.array([0.0, -beta / alpha])
    for point in rng.random((20, 2)) * 0.9 + 0.05:
        # points of the segment from `point` away from the apex, kept inside the square
        s = np.linspace(0.0, 1.0, 50)
        line = point + s[:, None] * (point - apex) * 0.2
        line = line[np.all((line >= 0) & (line <= 1), axis=1)]
        values = plotting_ch2.tversky_pair_loss(line[:, 0], line[:, 1], alpha=alpha, beta=beta)
        assert np.ptp(values) < 1e-12
    # quasi-convex: on every segment the loss stays below its larger end value
    a, b = rng.random((200, 2)), rng.random((200, 2))
    la = plotting_ch2.tversky_pair_loss(a[:, 0], a[:, 1], alpha=alpha, beta=beta)
    lb = plotting_ch2.tversky_pair_loss(b[:, 0], b[:, 1], alpha=alpha, beta=beta)
    for t in np.linspace(0, 1, 11):
        m = (1 - t) * a + t * b
        lm = plotting_ch2.tversky_pair_loss(m[:, 0], m[:, 1], alpha=alpha, beta=beta)
        assert np.all(lm <= np.maximum(la, lb) + 1e-12)
    # not convex: strictly concave in p2 at fixed p1 > 0 (midpoint above the chord)
    l0, l1, lmid = (plotting_ch2.tversky_pair_loss(0.5, q, alpha=alpha, beta=beta)
                    for q in (0.0, 1.0, 0.5))
    assert lmid > (l0 + l1) / 2 + 1e-6


def test_tversky_pair_loss_no_mutation_and_minimum():
    p1 = np.array([0.2, 1.0])
    p2 = np.array([0.5, 0.0])
    before = (p1.copy(), p2.copy())
    loss = plotting_ch2.tversky_pair_loss(p1, p2, alpha=0.5, beta=0.5)
    assert loss[1] == 0.0 and loss[0] > 0
    assert_allclose(p1, before[0])
    assert_allclose(p2, before[1])


@pytest.mark.parametrize("kwargs, match", [
    ({"alpha": 0.0, "beta": 0.5}, "alpha"),
    ({"alpha": 0.5, "beta": -1.0}, "beta"),
])
def test_tversky_validation(kwargs, match):
    with pytest.raises(ValueError, match=match):
        plotting_ch2.tversky_pair_loss(0.5, 0.5, **kwargs)
    with pytest.raises(ValueError, match=match):
        plotting_ch2.tversky_surface_figure(**kwargs)


def test_tversky_pair_loss_probability_range():
    with pytest.raises(ValueError, match="p_bg"):
        plotting_ch2.tversky_pair_loss(0.5, 1.5, alpha=0.5, beta=0.5)


def test_tversky_surface_figure_threshold():
    fig = plotting_ch2.tversky_surface_figure(0.3, 0.7)
    assert isinstance(fig, Figure)
    assert fig.axes[1].get_title() == "α = 0.3, β = 0.7: T* = 0.806, τ = 0.242"
    # tau decreases in beta (weighting false negatives predicts more foreground)
    taus = [plotting_ch2._tversky_optimum(0.5, b)[1] for b in (0.2, 0.5, 0.8)]
    assert taus[0] > taus[1] > taus[2]


def test_sliders_build():
    s = slider(plotting_ch2.tversky_surface_figure, live=False, alpha=[0.5], beta=[0.3, 0.7])
    html = s._repr_mimebundle_()["text/html"]
    assert html.count('class="seglab-slider-frame"') == 2
