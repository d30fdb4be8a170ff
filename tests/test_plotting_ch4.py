"""Tests of seglab.theory.label_noise_risks, seglab.models.tune_threshold and the chapter-4
figure (seglab.plotting_ch4)."""

import numpy as np
import pytest
from numpy.testing import assert_allclose

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")

from matplotlib.figure import Figure  # noqa: E402

from seglab import metrics, models, plotting_ch4, theory  # noqa: E402
from seglab.widgets import render_png  # noqa: E402


def _monte_carlo(a, w, n=400_000, seed=0):
    """Risks of both rules from a sample of the label-noise model (posterior per pixel)."""
    rng = np.random.default_rng(seed)
    z = rng.random(n) < a
    u = rng.random(n)
    eta = np.where(z, 1 - w * u, w * u)
    pi = eta.mean()
    out = {"pi": pi, "conflict_mass": np.mean((eta > pi) & (eta < 0.5))}
    for key, t in (("accuracy_rule", 0.5), ("balanced_rule", pi)):
        h = eta > t
        fp, fn = np.mean((1 - eta) * h), np.mean(eta * ~h)
        out[f"error_{key}"] = fp + fn
        out[f"ber_{key}"] = (fn / pi + fp / (1 - pi)) / 2
    return out


@pytest.mark.parametrize("a, w", [(0.01, 0.0), (0.01, 0.3), (0.05, 0.05), (0.05, 0.2),
                                  (0.2, 0.5), (0.5, 0.4), (0.3, 0.1)])
def test_label_noise_risks_match_monte_carlo(a, w):
    """Closed forms against the empirical risks of a large sample of the model."""
    r = theory.label_noise_risks(a, w)
    mc = _monte_carlo(a, w)
    for key, value in mc.items():
        assert_allclose(r[key], value, atol=3e-3, err_msg=key)


def test_label_noise_margin_bound_is_exact():
    """The conflict mass vanishes iff w <= 2a/(1 + 2a), and the rules then agree."""
    for a in (0.01, 0.1, 0.3, 0.5):
        bound = 2 * a / (1 + 2 * a)
        widths = np.linspace(0, 0.5, 501)
        r = theory.label_noise_risks(a, widths)
        assert np.all((r["conflict_mass"] > 0) == (widths > bound + 1e-12))
        ok = widths <= bound
        assert_allclose(r["error_accuracy_rule"][ok], r["error_balanced_rule"][ok], atol=1e-15)
        assert_allclose(r["ber_accuracy_rule"][ok], r["ber_balanced_rule"][ok], atol=1e-15)
        # each rule wins its own criterion, strictly beyond the bound
        bad = widths > bound + 1e-9
        assert np.all(r["error_accuracy_rule"][bad] < r["error_balanced_rule"][bad])
        assert np.all(r["ber_balanced_rule"][bad] < r["ber_accuracy_rule"][bad])


def test_label_noise_risks_broadcast_and_scalar():
    r = theory.label_noise_risks([0.1, 0.2], 0.3)
    assert r["pi"].shape == (2,)
    assert isinstance(theory.label_noise_risks(0.1, 0.0)["pi"], float)
    assert theory.label_noise_risks(0.1, 0.0)["error_balanced_rule"] == 0.0


@pytest.mark.parametrize("a, w", [(0.0, 0.1), (0.6, 0.1), (0.1, -0.1), (0.1, 0.6),
                                  (np.nan, 0.1), (0.1, np.inf)])
def test_label_noise_risks_validation(a, w):
    with pytest.raises(ValueError, match="clean_prior|noise_width"):
        theory.label_noise_risks(a, w)


def test_tune_threshold_is_the_best_of_all_thresholds():
    """Brute force over every cut, with ties in the scores."""
    rng = np.random.default_rng(0)
    for _ in range(50):
        scores = rng.integers(0, 6, size=30) / 5.0          # many ties
        target = rng.random(30) < 0.3
        t, best = models.tune_threshold(scores, target)
        grid = np.concatenate([[-np.inf], np.unique(scores)])
        brute = max(metrics.dice(scores > s, target, zero_division=1.0) for s in grid)
        assert_allclose(best, brute, atol=1e-12)
        assert_allclose(metrics.dice(scores > t, target, zero_division=1.0), best, atol=1e-12)


@pytest.mark.parametrize("scores", [
    [1.0, np.nextafter(1.0, 0.0)],          # adjacent floats: no float strictly between
    [1e16 + 2, 1e16],                       # the midpoint rounds onto the lower score
    [1.7e308, 1.6e308],                     # their sum overflows
    [1e308, -1e308],                        # their difference overflows
])
def test_tune_threshold_mask_is_the_reported_one_at_float_extremes(scores):
    """The returned threshold realises the reported best mask, even where the midpoint of the
    two scores around the cut is not representable."""
    target = np.array([1, 0])
    t, best = models.tune_threshold(scores, target)
    assert best == 1.0
    assert np.array_equal(np.asarray(scores) > t, [True, False])


def test_tune_threshold_does_not_mutate_and_validates():
    scores, target = np.array([0.3, 0.1, 0.7]), np.array([0, 1, 1])
    models.tune_threshold(scores, target)
    assert_allclose(scores, [0.3, 0.1, 0.7])
    with pytest.raises(ValueError, match="shape"):
        models.tune_threshold(scores, target[:2])
    with pytest.raises(ValueError, match="empty"):
        models.tune_threshold([], [])
    with pytest.raises(ValueError, match="finite"):
        models.tune_threshold([np.nan, 0.1, 0.2], target)
    with pytest.raises(ValueError, match="binary"):
        models.tune_threshold(scores, [0, 2, 1])


def test_label_noise_figure_is_unmanaged_and_moves():
    a = plotting_ch4.label_noise_figure(0.05, 0.1)
    b = plotting_ch4.label_noise_figure(0.05, 0.3)
    assert isinstance(a, Figure) and a.canvas.manager is None
    assert render_png(a) != render_png(b)


def test_label_noise_static_layer_is_labelled():
    fig = plotting_ch4._static(0.05)
    for ax in fig.axes:
        assert ax.get_xlabel() and ax.get_ylabel()


@pytest.mark.parametrize("call, error", [
    (lambda: plotting_ch4.label_noise_figure(0.0, 0.1), ValueError),
    (lambda: plotting_ch4.label_noise_figure(0.1, 0.7), ValueError),
    (lambda: plotting_ch4.label_noise_figure("0.1", 0.1), TypeError),
])
def test_label_noise_figure_validation(call, error):
    with pytest.raises(error):
        call()


def test_comparison_figure_draws_every_method():
    fig = plotting_ch4.comparison_figure([0.01, 0.05, 0.2], np.full((3, 3), 0.5),
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
        plotting_ch4.comparison_figure(ratios, means, halves, labels=labels)
