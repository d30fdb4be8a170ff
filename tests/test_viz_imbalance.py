"""Tests of seglab.viz.imbalance: the imbalance figures of chapters 2 and 4 (the chapter-1
figure, imbalance_figure, is tested with the sliders in tests/test_widgets.py)."""

import numpy as np
import pytest
from matplotlib.figure import Figure

from seglab import data, theory
from seglab.viz import imbalance
from seglab.widgets import render_png


def test_imbalance_rules_figure():
    fig = imbalance.imbalance_rules_figure(0.05)
    assert isinstance(fig, Figure)
    assert fig.axes[0].get_title().startswith("π = 0.05: Dice")
    assert render_png(fig)[1:4] == b"PNG"


@pytest.mark.parametrize("pi", [0.0, 1.0, -0.1, np.nan])
def test_imbalance_rules_figure_validation(pi):
    with pytest.raises(ValueError, match="pi"):
        imbalance.imbalance_rules_figure(pi)


def test_priors_read_only():
    with pytest.raises(ValueError):
        imbalance.PRIORS[0] = 1.0


def test_imbalance_rules_figure_draws_the_core_rules():
    """The markers are theory.imbalance_rules on the posterior map of the docstring."""
    mask = data.synthetic_mask((96, 96), foreground_fraction=0.05, seed=0)
    rules = theory.imbalance_rules(data.posterior_map(mask, noise=1.0, seed=0), 0.05)
    markers = [line.get_ydata()[0] for line in imbalance.imbalance_rules_figure(0.05)
               .axes[0].get_lines()[1:]]
    np.testing.assert_allclose(markers, [rules[key][1] for key in ("ce", "wce", "dice")])


def test_comparison_figure_draws_every_method():
    fig = imbalance.comparison_figure([0.01, 0.05, 0.2], np.full((3, 3), 0.5),
                                         np.full((3, 3), 0.1), labels=["a", "b", "c"])
    ax = fig.axes[0]
    assert ax.get_xlabel() and ax.get_ylabel()
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["a", "b", "c"]
    assert fig.canvas.manager is None


@pytest.mark.parametrize("ratios, means, halves, labels", [
    ([0.1, 0.2], np.zeros((2, 2)), np.zeros((2, 3)), ["a", "b"]),        # shape
    ([0.1, 0.2], np.zeros((2, 2)), np.zeros((2, 2)), ["a"]),             # labels
    ([0.2, 0.1], np.zeros((1, 2)), np.zeros((1, 2)), ["a"]),             # not increasing
    ([0.0, 0.1], np.zeros((1, 2)), np.zeros((1, 2)), ["a"]),             # outside (0, 1)
    ([0.1, 0.2], np.full((1, 2), np.nan), np.zeros((1, 2)), ["a"]),      # NaN
    ([0.1, 0.2], np.zeros((1, 2)), -np.ones((1, 2)), ["a"]),             # negative
    ([0.1], np.zeros((8, 1)), np.zeros((8, 1)), list("abcdefgh")),       # too many
])
def test_comparison_figure_validation(ratios, means, halves, labels):
    with pytest.raises(ValueError):
        imbalance.comparison_figure(ratios, means, halves, labels=labels)


def test_dice_threshold_figure_marks_half_the_best_dice():
    """The markers are the thresholds of theory.imbalance_rules (1/2, π, F*/2), and the Dice
    rule's threshold is half its Dice: the circles lie on the dashed curve."""
    pi = 0.02
    mask, eta = data.posterior_case((96, 96), foreground_fraction=pi)
    rules = theory.imbalance_rules(eta, pi)
    fig = imbalance.dice_threshold_figure(pi)
    markers = [line.get_ydata()[0] for line in fig.axes[0].get_lines()[1:]]
    np.testing.assert_allclose(markers, [0.5, pi, rules["dice"][0]])
    assert rules["dice"][0] == pytest.approx(rules["dice"][1] / 2, abs=2e-3)
    curves = imbalance._threshold_curves()
    np.testing.assert_allclose(curves["dice"], curves["half_dice"], atol=2e-3)
    assert np.all(np.diff(curves["dice"]) > 0)  # the threshold rises with the prior
    assert fig.axes[0].get_title().startswith(f"π = {pi:g}: t = 1/2")
    assert render_png(fig)[1:4] == b"PNG"


@pytest.mark.parametrize("pi", [0.0, 1.0, -0.1, np.nan])
def test_dice_threshold_figure_validation(pi):
    with pytest.raises(ValueError, match="pi"):
        imbalance.dice_threshold_figure(pi)
