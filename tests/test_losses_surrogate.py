"""seglab.losses.dinkelbach_cross_entropy: gradient (sympy, finite differences), value, checks.

The loss is cross-entropy with class weights (tau, 1 - tau), tau = alpha lam / (1 + lam (alpha +
beta - 1)), explained in book/ch4/surrogate.md. Its closed-form gradient is checked against
sympy's derivative of the formula written out on a four-pixel instance (to 1e-10) and against
Richardson-extrapolated central finite differences; its value against the formula and against
the population minimiser of the book; every invalid option raises with its message.
"""

import numpy as np
import pytest
import sympy as sp

from seglab import losses

M = 4
ALPHA_BETA = [(0.5, 0.5), (1.0, 1.0), (0.3, 0.7), (0.7, 0.3)]


def _tau(lam, alpha, beta):
    return alpha * lam / (1 + lam * (alpha + beta - 1))


def _formula(p, g, tau, reduction):
    """The loss written from its definition on lists of sympy expressions (or numbers)."""
    total = sum(-(1 - tau) * g[i] * sp.log(p[i]) - tau * (1 - g[i]) * sp.log(1 - p[i])
                for i in range(len(p)))
    if reduction == "mean":
        return total / len(p)
    if reduction == "weighted_mean":
        return total / sum((1 - tau) * g[i] + tau * (1 - g[i]) for i in range(len(p)))
    return total


@pytest.mark.parametrize("from_logits", [True, False])
@pytest.mark.parametrize("reduction", ["mean", "sum", "weighted_mean"])
@pytest.mark.parametrize(("alpha", "beta"), ALPHA_BETA)
@pytest.mark.parametrize("soft", [False, True])
def test_gradient_matches_sympy(from_logits, reduction, alpha, beta, soft):
    rng = np.random.default_rng(7)
    lam = sp.Rational(3, 10)
    tau = _tau(lam, sp.nsimplify(alpha), sp.nsimplify(beta))
    x = rng.normal(scale=1.5, size=(1, 1, M))
    if soft:
        g = rng.uniform(size=(1, 1, M))
        target = g
    else:
        target = np.array([[0, 1, 1, 0]])
        g = target[:, None].astype(float)
    if from_logits:
        syms = sp.symbols(f"x0:{M}", real=True)
        p = [1 / (1 + sp.exp(-s)) for s in syms]
        point = x[0, 0]
        scores = x
    else:
        syms = sp.symbols(f"p0:{M}", positive=True)
        p = list(syms)
        point = 1 / (1 + np.exp(-x[0, 0]))
        scores = point[None, None]
    expr = _formula(p, [sp.Float(v, 30) for v in g[0, 0]], tau, reduction)
    subs = dict(zip(syms, [sp.Float(v, 30) for v in point], strict=True))
    want_value = float(expr.subs(subs))
    want_grad = np.array([float(sp.diff(expr, s).subs(subs)) for s in syms])
    value, grad = losses.dinkelbach_cross_entropy(scores, target, metric_value=0.3, alpha=alpha,
                                                  beta=beta, from_logits=from_logits,
                                                  reduction=reduction, return_grad=True)
    np.testing.assert_allclose(value, want_value, rtol=1e-10)
    np.testing.assert_allclose(grad[0, 0], want_grad, rtol=1e-10, atol=1e-14)


def _derivative(f, h):
    """Richardson-extrapolated central difference of ``f`` at 0, error O(h^4)."""
    def central(step):
        return (f(step) - f(-step)) / (2 * step)

    return (4 * central(h / 2) - central(h)) / 3


@pytest.mark.parametrize("from_logits", [True, False])
@pytest.mark.parametrize("seed", range(5))
def test_gradient_matches_finite_differences(from_logits, seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(scale=2.0, size=(2, 1, 3, 4))
    scores = x if from_logits else 1 / (1 + np.exp(-x))
    target = rng.integers(0, 2, size=(2, 3, 4))
    lam, (alpha, beta) = rng.uniform(0.05, 1.0), ALPHA_BETA[seed % 4]

    def loss(s):
        return losses.dinkelbach_cross_entropy(s, target, metric_value=lam, alpha=alpha,
                                               beta=beta, from_logits=from_logits)

    _, grad = losses.dinkelbach_cross_entropy(scores, target, metric_value=lam, alpha=alpha,
                                              beta=beta, from_logits=from_logits,
                                              return_grad=True)
    fd = np.empty_like(scores)
    for idx in np.ndindex(scores.shape):
        direction = np.zeros_like(scores)
        direction[idx] = 1.0
        h = 1e-6 if from_logits else min(1e-6, 1e-2 * min(scores[idx], 1 - scores[idx]))
        fd[idx] = _derivative(lambda t, d=direction: loss(scores + t * d), h)
    np.testing.assert_allclose(grad, fd, rtol=1e-5, atol=1e-8)


def test_is_cross_entropy_with_the_dinkelbach_weights():
    rng = np.random.default_rng(3)
    x, target = rng.normal(size=(3, 1, 5, 5)), rng.integers(0, 2, size=(3, 5, 5))
    for lam in [0.05, 0.4, 1.0]:
        for alpha, beta in ALPHA_BETA:
            tau = _tau(lam, alpha, beta)
            got = losses.dinkelbach_cross_entropy(x, target, metric_value=lam, alpha=alpha,
                                                  beta=beta, return_grad=True)
            want = losses.cross_entropy(x, target, class_weights=[tau, 1 - tau],
                                        return_grad=True)
            assert got[0] == want[0]
            np.testing.assert_array_equal(got[1], want[1])
    # Dice: tau = lam / 2; the weights of the two classes sum to 1
    p = 1 / (1 + np.exp(-x))
    y = target[:, None]
    manual = np.mean(-(1 - 0.2) * y * np.log(p) - 0.2 * (1 - y) * np.log(1 - p))
    assert losses.dinkelbach_cross_entropy(x, target, metric_value=0.4) == pytest.approx(
        manual, rel=1e-12)


@pytest.mark.parametrize(("alpha", "beta"), ALPHA_BETA)
def test_population_minimiser_thresholds_eta_at_tau(alpha, beta):
    """With soft targets eta, the loss is minimised by q* and q* > 1/2 iff eta > tau."""
    eta = np.linspace(0.01, 0.99, 99)
    lam = 0.35
    tau = _tau(lam, alpha, beta)
    q_star = (1 - tau) * eta / ((1 - tau) * eta + tau * (1 - eta))
    logits = np.log(q_star / (1 - q_star))[None, None]
    _, grad = losses.dinkelbach_cross_entropy(logits, eta[None, None], metric_value=lam,
                                              alpha=alpha, beta=beta, return_grad=True)
    np.testing.assert_allclose(grad, 0, atol=1e-15)
    np.testing.assert_array_equal(q_star > 0.5, eta > tau)


def test_does_not_modify_inputs_and_empty_image_gradient():
    rng = np.random.default_rng(5)
    x = rng.normal(size=(1, 1, 4, 4))
    target = np.zeros((1, 4, 4), dtype=int)
    x0, t0 = x.copy(), target.copy()
    _, grad = losses.dinkelbach_cross_entropy(x, target, metric_value=0.6, reduction="sum",
                                              return_grad=True)
    np.testing.assert_array_equal(x, x0)
    np.testing.assert_array_equal(target, t0)
    np.testing.assert_allclose(grad, 0.3 / (1 + np.exp(-x)), rtol=1e-12)   # tau sigma(x) > 0


@pytest.mark.parametrize(("options", "error", "match"), [
    ({"metric_value": 0.0}, ValueError, r"metric_value must lie in \(0.0, 1.0\]"),
    ({"metric_value": 1.5}, ValueError, r"metric_value must lie in \(0.0, 1.0\]"),
    ({"metric_value": float("nan")}, ValueError, "metric_value must not be NaN"),
    ({"metric_value": "0.5"}, TypeError, "metric_value must be a real number"),
    ({"metric_value": 0.5, "alpha": 0.0}, ValueError, r"alpha must lie in \(0.0, 1.0\]"),
    ({"metric_value": 0.5, "beta": 1.2}, ValueError, r"beta must lie in \(0.0, 1.0\]"),
    ({"metric_value": 0.5, "reduction": "max"}, ValueError, "reduction must be one of"),
])
def test_validation(options, error, match):
    with pytest.raises(error, match=match):
        losses.dinkelbach_cross_entropy(np.zeros((1, 1, 2)), np.array([[0, 1]]), **options)


def test_metric_value_is_required_and_keyword_only():
    with pytest.raises(TypeError):
        losses.dinkelbach_cross_entropy(np.zeros((1, 1, 2)), np.array([[0, 1]]))
    with pytest.raises(TypeError):
        losses.dinkelbach_cross_entropy(np.zeros((1, 1, 2)), np.array([[0, 1]]), 0.5)


def test_rejects_several_channels():
    with pytest.raises(ValueError, match="binary: scores must have C = 1 channel, got C = 3"):
        losses.dinkelbach_cross_entropy(np.zeros((1, 3, 2)), np.array([[0, 2]]),
                                        metric_value=0.5)
