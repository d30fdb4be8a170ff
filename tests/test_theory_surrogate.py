"""seglab.theory.ce_soft_dice_minimiser and seglab.viz.losses.ce_dice_figure.

The minimiser of cross-entropy plus soft Dice (book/ch4/surrogate.md, prop-ch4-ce-dice): its
two limits (lambda = 1 gives eta, lambda = 0 the Dice-optimal hard mask), the stationarity
condition and the threshold it implies at the point found, the uninformative case, equal
posteriors getting equal scores, and validation; the slider's figure.
"""

import numpy as np
import pytest
from matplotlib.figure import Figure

from seglab import theory
from seglab.viz import losses as viz_losses


def _dice(rule, eta, w):
    return 2 * w @ (eta * rule) / (w @ rule + w @ eta)


def test_limits():
    rng = np.random.default_rng(0)
    eta, w = rng.uniform(0.02, 0.98, 30), rng.uniform(0.1, 1, 30)
    np.testing.assert_array_equal(theory.ce_soft_dice_minimiser(eta, lam=1.0, weights=w), eta)
    hard = theory.ce_soft_dice_minimiser(eta, lam=0.0, weights=w)
    rules = (eta[None] > np.concatenate([[-1.0], eta])[:, None]).astype(float)
    f_star = max(_dice(r, eta, w) for r in rules)
    np.testing.assert_array_equal(hard, (eta > f_star / 2).astype(float))


@pytest.mark.parametrize("lam", [0.2, 0.5, 0.8])
def test_stationarity_and_threshold(lam):
    rng = np.random.default_rng(1)
    eta, w = rng.uniform(0.05, 0.95, 12), rng.uniform(0.5, 1.5, 12)
    q = theory.ce_soft_dice_minimiser(eta, lam=lam, weights=w)
    p = w / w.sum()
    total = p @ q + p @ eta
    s, c = 2 * (p * q) @ eta / total, (1 - lam) / (lam * total)
    np.testing.assert_allclose(q - eta, c * (2 * eta - s) * q * (1 - q), atol=1e-6)
    t = (2 + c * s) / (2 * (2 + c))
    np.testing.assert_array_equal(q > 0.5, eta > t)
    np.testing.assert_array_equal(q > eta, eta > s / 2)


def test_uninformative_predicts_nothing_and_equal_scores():
    q = theory.ce_soft_dice_minimiser(np.full((3, 4), 0.1), lam=0.5)
    assert q.shape == (3, 4) and np.all(q < 0.5) and np.ptp(q) < 1e-9


@pytest.mark.parametrize(("args", "error", "match"), [
    ((np.array([0.0, 0.5]),), ValueError, r"eta must hold finite values in \(0, 1\)"),
    ((np.array([]),), ValueError, "eta is empty"),
    ((np.array([0.2, 1.0]),), ValueError, r"in \(0, 1\)"),
])
def test_eta_validation(args, error, match):
    with pytest.raises(error, match=match):
        theory.ce_soft_dice_minimiser(*args, lam=0.5)


def test_option_validation():
    eta = np.array([0.2, 0.6])
    with pytest.raises(ValueError, match=r"lam must lie in \[0.0, 1.0\]"):
        theory.ce_soft_dice_minimiser(eta, lam=1.5)
    with pytest.raises(TypeError, match="lam must be a real number"):
        theory.ce_soft_dice_minimiser(eta, lam="0.5")
    with pytest.raises(ValueError, match=r"weights shape \(3,\) and eta shape \(2,\) differ"):
        theory.ce_soft_dice_minimiser(eta, lam=0.5, weights=np.ones(3))
    with pytest.raises(ValueError, match="weights must be nonnegative with a positive finite sum"):
        theory.ce_soft_dice_minimiser(eta, lam=0.5, weights=np.array([1.0, -1.0]))
    with pytest.raises(ValueError, match="weights must be nonnegative with a positive finite sum"):
        theory.ce_soft_dice_minimiser(eta, lam=0.5, weights=np.zeros(2))


def test_figure():
    fig = viz_losses.ce_dice_figure(0.0, 0.05)
    assert isinstance(fig, Figure)
    title = fig.axes[0].get_title()
    dice, f_star = (float(x) for x in (title.split("Dice ")[1].split(",")[0],
                                       title.split("F* = ")[1]))
    assert dice == pytest.approx(f_star, abs=1e-3)   # soft Dice alone is Dice-optimal
    with pytest.raises(ValueError, match=r"lam must lie in \[0.0, 1.0\]"):
        viz_losses.ce_dice_figure(1.5, 0.05)
    with pytest.raises(ValueError, match=r"prior must lie in \(0.0, 1.0\)"):
        viz_losses.ce_dice_figure(0.5, 0.0)
