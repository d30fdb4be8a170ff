"""Properties of seglab.postprocess: Sobolev, TV/ROF, convex relaxation, graph cut, ICM,
morphology. The dense CRF and its filters are tested in test_postprocess_crf.py, bad input in
test_postprocess_validation.py."""

import itertools

import numpy as np
import pytest
import scipy.ndimage as ndi
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal

from seglab import postprocess as pp
from seglab.postprocess._common import _cost, _grad, _grad_adjoint, _tv
from seglab.postprocess.tv import _rof_dual, _rof_dual_energy


def _noisy_posterior(shape, seed, *, noise=1.5):
    """A smooth log-odds field plus noise, through the logistic function."""
    rng = np.random.default_rng(seed)
    yy, xx = np.indices(shape)
    logit = 1.5 * np.sin(xx / 6.0) * np.cos(yy / 7.0) + rng.normal(0.0, noise, shape)
    return 1.0 / (1.0 + np.exp(-logit))


def _disk(n, radius):
    yy, xx = np.indices((n, n)) - (n - 1) / 2
    r = np.hypot(yy, xx)
    return (r <= radius).astype(np.float64), r


# --------------------------------------------------------------------------
# Discrete operators


def test_gradient_adjoint_and_norm():
    """<grad u, p> = <u, grad^T p>, and ||grad||^2 <= 8 (power iteration)."""
    rng = np.random.default_rng(0)
    u = rng.normal(size=(7, 9))
    p = rng.normal(size=(2, 7, 9))
    assert_allclose(np.sum(_grad(u) * p), np.sum(u * _grad_adjoint(p)), rtol=1e-12)
    v = rng.normal(size=(32, 32))
    for _ in range(300):
        v = _grad_adjoint(_grad(v))
        norm = np.linalg.norm(v)
        v /= norm
    assert 7.9 < norm <= 8.0


# --------------------------------------------------------------------------
# Sobolev


@pytest.mark.parametrize("lam", [0.0, 0.3, 5.0])
@pytest.mark.parametrize("shape", [(1, 5), (6, 9), (3, 6, 9)])
def test_sobolev_euler_lagrange(lam, shape):
    """u - f + lam grad^T grad u = 0, the Euler-Lagrange equation of the H^1 energy."""
    rng = np.random.default_rng(1)
    f = rng.random(shape)
    if len(shape) == 3:
        f /= f.sum(axis=0)
    u = pp.sobolev_smooth(f, lam=lam)
    assert_allclose(u - f + lam * _grad_adjoint(_grad(u)), 0.0, atol=1e-12)
    assert u.min() >= -1e-12 and u.max() <= 1 + 1e-12
    if len(shape) == 3:
        assert_allclose(u.sum(axis=0), 1.0, atol=1e-12)


def test_sobolev_fourier_multiplier_on_a_cosine():
    """A DCT-II basis vector is an eigenvector: it is scaled by 1 / (1 + lam |w|^2)."""
    n, k, lam = 16, 3, 2.0
    f = 0.5 + 0.25 * np.cos(np.pi * k * (np.arange(n) + 0.5) / n)[None, :]
    u = pp.sobolev_smooth(f, lam=lam)
    factor = 1.0 / (1.0 + lam * 4.0 * np.sin(np.pi * k / (2 * n)) ** 2)
    assert_allclose(u - 0.5, factor * (f - 0.5), atol=1e-12)


def test_sobolev_blurs_a_jump():
    """For every lam > 0 the jump's largest step is strictly below 1."""
    f = np.zeros((1, 40))
    f[0, 20:] = 1.0
    steps = [np.max(np.diff(pp.sobolev_smooth(f, lam=lam))) for lam in (0.5, 2.0, 8.0)]
    assert all(s < 1.0 for s in steps) and steps[0] > steps[1] > steps[2]


# --------------------------------------------------------------------------
# TV / ROF


def test_tv_weight_is_lambda_certified():
    """skimage's weight is the lam of 1/2||u-f||^2 + lam TV(u): the gap computed by an
    independent dual solve of *that* energy is tiny, so u is within sqrt(2 gap) of its minimiser.
    With weight = 1/lam (skimage's docstring lambda) the certificate would fail."""
    f = _noisy_posterior((24, 24), 0)
    lam = 0.3
    res = pp.tv_smooth(f, lam=lam, eps=1e-10, max_iter=3000, certify_tol=1e-10,
                       certify_max_iter=20000)
    assert res.gap < 1e-4 * res.energy
    p = _rof_dual(f, lam, tol=1e-12, max_iter=20000)
    u_star = f - _grad_adjoint(p)
    assert np.linalg.norm(res.u - u_star) <= np.sqrt(2 * res.gap) + 1e-6
    wrong = pp.tv_smooth(f, lam=1 / lam, eps=1e-10, max_iter=3000, certify=False).u
    assert 0.5 * np.sum((wrong - f) ** 2) + lam * _tv(wrong) > res.energy + 1.0


def test_tv_gap_is_an_upper_bound_and_decreases():
    """Fewer iterations: higher energy, larger certified gap; gap >= 0 always."""
    f = _noisy_posterior((20, 20), 1)
    results = [pp.tv_smooth(f, lam=0.5, eps=1e-12, max_iter=k) for k in (2, 20, 2000)]
    energies = [r.energy for r in results]
    gaps = [r.gap for r in results]
    assert energies[0] > energies[1] > energies[2]
    assert gaps[0] > gaps[1] > gaps[2] >= 0.0


def test_rof_disk_plateaus():
    """f = 1 of a disk of radius R in a square Omega, Neumann boundary. The minimiser is
    constant on the disk, with value 1 - 2 lam / R (the whole-plane value (1 - 2 lam/R)_+), and
    constant outside, with value 2 pi R lam / (|Omega| - pi R^2) (bounded domain; mean kept).

    Discretisation: R = 20 pixels, the staircase boundary and the isotropic forward-difference TV
    bias the plateaus by about 0.01 (measured: disk 0.588 for 0.6, background 0.186 for 0.177);
    stated tolerance 0.02 on every pixel at least 3 pixels from the circle."""
    n, radius, lam = 64, 20.0, 4.0
    f, r = _disk(n, radius)
    res = pp.tv_smooth(f, lam=lam, eps=1e-12, max_iter=3000, certify=False)
    inside = 1 - 2 * lam / radius
    outside = 2 * np.pi * radius * lam / (n * n - np.pi * radius**2)
    assert_allclose(res.u[r < radius - 3], inside, atol=0.02)
    assert_allclose(res.u[r > radius + 3], outside, atol=0.02)
    assert_allclose(res.u.mean(), f.mean(), rtol=1e-10)


def test_rof_disk_erased_above_critical_lambda():
    """Past the lam where the two plateaus meet (about 6.9 here) the solution is the constant
    mean of f: the disk is erased (the whole-plane formula's (.)_+ at lam = R/2). Certified: the
    constant's energy equals the dual value of a feasible p; scikit-image's output is close."""
    n, radius, lam = 64, 20.0, 12.0
    f, _ = _disk(n, radius)
    constant_energy = 0.5 * np.sum((f - f.mean()) ** 2)
    dual = _rof_dual_energy(f, _rof_dual(f, lam, tol=1e-10, max_iter=20000))
    assert constant_energy - dual <= 1e-6 * constant_energy
    res = pp.tv_smooth(f, lam=lam, eps=1e-12, max_iter=3000, certify=False)
    assert np.ptp(res.u) < 0.02
    assert_allclose(res.u.mean(), f.mean(), rtol=1e-10)


def test_tv_multiclass_channels_independent():
    rng = np.random.default_rng(2)
    f = rng.random((3, 10, 12))
    f /= f.sum(axis=0)
    res = pp.tv_smooth(f, lam=0.2, certify=False)
    for k in range(3):
        assert_allclose(res.u[k], pp.tv_smooth(f[k], lam=0.2, certify=False).u)
    assert np.isnan(res.gap)
    assert_array_equal(pp.tv_smooth(f, lam=0.0).u, f)


# --------------------------------------------------------------------------
# Binary Potts: graph cut versus brute force, ICM


def _brute_force(prob, lam, connectivity):
    h, w = prob.shape
    return min(
        pp.potts_energy(np.array(bits).reshape(h, w), prob, lam=lam, connectivity=connectivity)
        for bits in itertools.product((0, 1), repeat=h * w)
    )


@pytest.mark.parametrize("shape", [(3, 3), (3, 4)])
@pytest.mark.parametrize("connectivity", [1, 2])
@pytest.mark.parametrize("seed", range(4))
def test_graph_cut_equals_brute_force(shape, connectivity, seed):
    """min-cut energy == minimum over all 2^(HW) labellings (2^12 = 4096 for 3 x 4)."""
    rng = np.random.default_rng(seed)
    prob = rng.random(shape)
    lam = float(rng.uniform(0.1, 1.5))
    mask = pp.graph_cut(prob, lam=lam, connectivity=connectivity)
    energy = pp.potts_energy(mask, prob, lam=lam, connectivity=connectivity)
    assert_allclose(energy, _brute_force(prob, lam, connectivity), rtol=1e-12, atol=1e-12)


def test_potts_energy_by_hand():
    p = np.array([[0.8, 0.2], [0.5, 0.5]])
    c = np.log(0.2 / 0.8)
    mask = np.array([[1, 0], [0, 0]])
    # one foreground pixel (cost c), two 4-neighbour cuts, one diagonal cut with connectivity=2
    assert_allclose(pp.potts_energy(mask, p, lam=0.5), c + 0.5 * 2)
    assert_allclose(pp.potts_energy(mask, p, lam=0.5, connectivity=2, diagonal_weight=0.25),
                    c + 0.5 * (2 + 0.25))


@pytest.mark.parametrize("connectivity", [1, 2])
def test_icm_monotone_and_no_better_than_graph_cut(connectivity):
    prob = _noisy_posterior((30, 30), 3)
    for lam in (0.3, 1.0, 2.0):
        mask, energies = pp.icm(prob, lam=lam, connectivity=connectivity)
        assert np.all(np.diff(energies) <= 1e-12)
        assert_allclose(energies[-1], pp.potts_energy(mask, prob, lam=lam,
                                                      connectivity=connectivity))
        best = pp.potts_energy(pp.graph_cut(prob, lam=lam, connectivity=connectivity), prob,
                               lam=lam, connectivity=connectivity)
        assert energies[-1] >= best - 1e-9
    # at convergence no single flip improves
    flips = []
    for i, j in itertools.product(range(30), range(30)):
        other = mask.copy()
        other[i, j] = ~other[i, j]
        flips.append(pp.potts_energy(other, prob, lam=lam, connectivity=connectivity))
    assert min(flips) >= energies[-1] - 1e-12


def test_graph_cut_lam_zero_is_pixelwise():
    prob = _noisy_posterior((9, 11), 4)
    assert_array_equal(pp.graph_cut(prob, lam=0.0), prob > 0.5)


# --------------------------------------------------------------------------
# Convex relaxation (Chan, Esedoglu and Nikolova)


def _level_energies(u, prob, lam, levels):
    return np.array([pp.potts_energy(u > t, prob, lam=lam) for t in levels])


@pytest.mark.parametrize("lam", [0.5, 1.0, 2.0])
def test_relaxation_levels_have_the_minimum_energy(lam):
    """CEN with the anisotropic TV: every level set {u > t}, 0 < t < 1, of the relaxed solution
    has the minimum binary energy, i.e. the 4-connected Potts minimum found by graph cut."""
    prob = _noisy_posterior((40, 40), 5)
    res = pp.convex_relaxation(prob, lam=lam, tv="anisotropic", tol=1e-10, max_iter=100000)
    assert res.converged
    best = pp.potts_energy(pp.graph_cut(prob, lam=lam), prob, lam=lam)
    levels = np.linspace(0.01, 0.99, 99)
    assert_allclose(_level_energies(res.u, prob, lam, levels), best, rtol=1e-9, atol=1e-9)
    assert_allclose(res.energy[-1], best, rtol=1e-8)


@given(st.integers(0, 2**32 - 1), st.floats(0.0, 3.0))
@settings(max_examples=30, deadline=None)
def test_discrete_coarea_formula(seed, lam):
    """For the anisotropic TV and any u in [0, 1]^N,
    P(u) = lam TV_1(u) + <c, u> = integral over t in (0, 1) of E(1_{u > t}); the integrand is
    piecewise constant between the sorted values of u, so the integral is a finite sum."""
    rng = np.random.default_rng(seed)
    prob = rng.uniform(0.05, 0.95, (5, 6))
    u = rng.random((5, 6))
    c = _cost(prob, 1e-6)
    relaxed = lam * _tv(u, "anisotropic") + np.sum(c * u)
    breaks = np.concatenate([[0.0], np.sort(u.ravel()), [1.0]])
    mids = (breaks[:-1] + breaks[1:]) / 2
    integral = np.sum(np.diff(breaks) * _level_energies(u, prob, lam, mids))
    assert_allclose(relaxed, integral, rtol=1e-10, atol=1e-10)


def test_relaxation_gap_trace():
    """Primal >= dual at every checked iteration; the relative gap reaches tol."""
    prob = _noisy_posterior((48, 48), 6, noise=2.5)
    res = pp.convex_relaxation(prob, lam=1.0, tol=1e-6, check_every=5)
    assert res.converged
    assert np.all(res.gap >= -1e-9)
    assert res.gap[-1] <= 1e-6 * abs(res.energy[-1])
    assert_array_equal(res.mask, res.u > 0.5)
    assert res.u.min() >= 0.0 and res.u.max() <= 1.0


def test_relaxation_isotropic_levels_nearly_optimal():
    """With the isotropic TV the coarea formula fails on the grid; the relaxed minimum is a lower
    bound and the thresholded mask's energy (isotropic TV of the mask) is within a few per cent
    (measured 2.4 % here)."""
    prob = _noisy_posterior((40, 40), 7)
    lam = 1.0
    res = pp.convex_relaxation(prob, lam=lam, tol=1e-6, max_iter=100000)
    assert res.converged
    c = _cost(prob, 1e-6)
    mask = res.mask.astype(float)
    binary = lam * _tv(mask) + np.sum(c * mask)
    assert res.dual[-1] <= binary
    assert binary - res.energy[-1] <= 0.05 * abs(res.energy[-1])


def test_relaxation_lam_zero_and_logodds():
    prob = _noisy_posterior((12, 10), 8)
    res = pp.convex_relaxation(prob, lam=0.0)
    assert_array_equal(res.mask, prob > 0.5)
    logit = np.log(prob) - np.log1p(-prob)
    res_p = pp.convex_relaxation(prob, lam=0.7, tol=1e-8)
    res_l = pp.convex_relaxation(logit, lam=0.7, from_logits=True, tol=1e-8)
    assert_allclose(res_l.u, res_p.u, atol=1e-6)


def test_small_object_erasure():
    """A disk of radius r with constant cost -g inside beats the empty set iff
    -g pi r^2 + lam Per < 0: r > 2 lam / g for the Euclidean perimeter, r > 8 lam / (pi g) for
    the anisotropic one (Per = 8 r) used here. lam = 0.35 g r keeps it, 0.65 g r erases it."""
    n, radius = 48, 8.0
    f, _ = _disk(n, radius)
    g = 1.0
    logit = np.where(f > 0, g, -10.0)
    for lam, kept in ((0.35 * g * radius, True), (0.65 * g * radius, False)):
        res = pp.convex_relaxation(logit, lam=lam, from_logits=True, tv="anisotropic",
                                   tol=1e-9, max_iter=100000)
        assert bool(res.mask.any()) is kept


# --------------------------------------------------------------------------
# Morphology


def test_morphology():
    mask = np.zeros((20, 20), dtype=bool)
    mask[2:12, 2:12] = True
    mask[15, 15] = True
    mask[5, 6] = False
    opened = pp.opening(mask, radius=1)
    assert not opened[15, 15] and opened[8, 8]
    assert pp.closing(mask, radius=1)[5, 6]
    cleaned = pp.remove_small_components(mask, min_size=2)
    assert not cleaned[15, 15] and cleaned.sum() == mask.sum() - 1
    assert_array_equal(pp.opening(mask, radius=0), mask)
    diag = np.eye(3, dtype=bool)
    assert pp.remove_small_components(diag, min_size=3, connectivity=2).sum() == 3
    assert pp.remove_small_components(diag, min_size=3, connectivity=1).sum() == 0


@pytest.mark.parametrize("radius", [20, 48, 50, 100, 200])
def test_morphology_radius_beyond_the_image(radius):
    """A 3 x 3 square in a 12 x 12 image, reflected about the edges: a disk wider than the
    image dilates it to everything, and erodes it to nothing (scikit-image 0.26 returned an
    empty closing and a full opening from radius ~4x the side on)."""
    mask = np.zeros((12, 12), dtype=bool)
    mask[4:7, 4:7] = True
    assert pp.closing(mask, radius=radius).all()
    assert not pp.opening(mask, radius=radius).any()
    assert pp.opening(np.ones((12, 12), bool), radius=radius).all()
    assert not pp.closing(np.zeros((12, 12), bool), radius=radius).any()


@pytest.mark.parametrize("shape", [(3, 20), (1, 9), (6, 6)])
def test_morphology_matches_reflected_reference_for_every_radius(shape):
    """Against erosion/dilation by the disk footprint on the mask reflected 2r pixels out
    (scipy.ndimage's binary operators), for every radius up to past the image's diagonal;
    closing(m) = ~opening(~m)."""
    from skimage.morphology import disk
    rng = np.random.default_rng(3)
    for radius in range(1, int(np.hypot(*shape)) + 3):
        mask = rng.random(shape) < 0.5
        pad = 2 * radius
        ext = np.pad(mask, pad, mode="symmetric")
        fp = disk(radius).astype(bool)
        crop = (slice(pad, -pad), slice(pad, -pad))
        opened = ndi.binary_dilation(ndi.binary_erosion(ext, fp, border_value=1), fp)[crop]
        closed = ndi.binary_erosion(ndi.binary_dilation(ext, fp), fp, border_value=1)[crop]
        assert_array_equal(pp.opening(mask, radius=radius), opened)
        assert_array_equal(pp.closing(mask, radius=radius), closed)
        assert_array_equal(pp.closing(mask, radius=radius), ~pp.opening(~mask, radius=radius))


def test_convex_relaxation_unrepresentable_energy_is_an_error():
    """Log-odds of +-1e308 make the energy ~ -1e309, beyond float64: a ValueError that says
    so (the energies used to come out -inf). Log-odds of 1e300 still work, exactly."""
    logit = np.full((6, 6), 1e308)
    logit[:, :3] = -1e308
    with pytest.raises(ValueError, match="beyond the range of float64"):
        pp.convex_relaxation(logit, lam=1.0, from_logits=True)
    with pytest.raises(ValueError, match="beyond the range of float64"):
        pp.convex_relaxation(np.full((6, 6), 0.3), lam=1e307)
    res = pp.convex_relaxation(logit * 1e-8, lam=1.0, from_logits=True)
    assert np.all(np.isfinite(res.energy)) and np.all(np.isfinite(res.dual))
    assert_array_equal(res.mask, logit > 0)
    assert_allclose(res.energy[-1], -18e300, rtol=1e-12)
