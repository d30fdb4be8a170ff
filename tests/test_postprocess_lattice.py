"""Internals of the permutohedral filter behind dense_crf(method='fast').

The public behaviour (accuracy against the exact Gaussian sums, agreement with exact inference)
is tested in test_postprocess_crf.py; these tests pin the building blocks that make it fast:
the sort-based unique with first-occurrence numbering, the lattice's barycentric weights, the
fused multi-lattice filter with its per-point factors and diagonal, and the shift-choosing
softmax.
"""

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal
from scipy.special import softmax

from seglab import postprocess as pp
from seglab.postprocess import _lattice
from seglab.postprocess._lattice import _LatticeFilter, _Permutohedral, _unique_inverse
from seglab.postprocess.crf import _softmax


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(-(2**62), 2**62 - 1), min_size=1, max_size=60),
       st.sampled_from([1, 2, 3]), st.booleans())
def test_unique_inverse_matches_np_unique(values, width, narrow):
    """Both paths (packed sort for a narrow range, np.unique otherwise): the distinct values in
    increasing order, every entry mapped to its value, numbers in order of first occurrence."""
    codes = np.array(values, dtype=np.int64)
    if narrow:
        codes = codes % 1000 - 500
    codes = np.resize(codes, (codes.size, width))
    uniq, ids, inverse = _unique_inverse(codes)
    assert_array_equal(uniq, np.unique(codes))
    assert inverse.shape == codes.shape
    by_id = np.empty_like(uniq)
    by_id[ids] = uniq
    assert_array_equal(by_id[inverse], codes)
    # Number i first appears before number i + 1.
    flat = inverse.ravel()
    first = np.array([np.flatnonzero(flat == i)[0] for i in range(uniq.size)])
    assert np.all(np.diff(first) > 0)


@pytest.mark.parametrize("codes", [np.array([[5, 3], [3, 9], [9, 5]]),
                                   np.array([[2**62 - 1, -(2**62)], [7, 2**62 - 1]])])
def test_unique_inverse_both_paths(codes):
    """A narrow range (packed sort) and a 63-bit range (np.unique fallback)."""
    uniq, ids, inverse = _unique_inverse(codes)
    assert_array_equal(uniq, np.unique(codes))
    by_id = np.empty_like(uniq)
    by_id[ids] = uniq
    assert_array_equal(by_id[inverse], codes)
    assert_array_equal(inverse.ravel()[[0, 1]], [0, 1])


@pytest.mark.parametrize("d", [1, 2, 3, 5])
def test_lattice_weights_are_barycentric(d):
    """Each point's weights are the barycentric coordinates of its simplex: in [0, 1], summing
    to 1, on d + 1 distinct vertices; the neighbour tables point at vertices or the sentinel."""
    rng = np.random.default_rng(d)
    lattice = _Permutohedral(rng.normal(0.0, 3.0, (500, d)))
    w = lattice.weights
    assert w.shape == (500, d + 1)
    assert np.all(w >= -1e-12) and np.all(w <= 1 + 1e-12)
    assert_allclose(w.sum(axis=1), 1.0, rtol=0, atol=1e-12)
    v = np.sort(lattice.vertices, axis=1)
    assert np.all(np.diff(v, axis=1) > 0)
    assert v.min() >= 0 and v.max() < lattice.num_vertices
    assert len(lattice.neighbours) == d + 1
    for pair in lattice.neighbours:
        for nb in pair:
            assert nb.shape == (lattice.num_vertices,)
            assert nb.min() >= 0 and nb.max() <= lattice.num_vertices


def _two_lattices_and_factors(rng, n, d):
    """Lattices of n random points in 2 and d dimensions, with random factors before and
    after each and a random diagonal."""
    lattices = [_Permutohedral(rng.normal(0.0, 2.0, (n, 2))),
                _Permutohedral(rng.normal(0.0, 1.0, (n, d)))]
    before = [rng.uniform(0.5, 2.0, n) for _ in lattices]
    after = [rng.uniform(0.5, 2.0, n) for _ in lattices]
    return lattices, before, after, rng.normal(size=n)


def test_fused_filter_equals_sum_of_single_lattice_filters():
    """sum_t a_t * L_t(b_t * v) + c * v computed by one stacked filter equals the lattices
    filtered one at a time (the same sums up to their order)."""
    rng = np.random.default_rng(0)
    n = 400
    lattices, before, after, diagonal = _two_lattices_and_factors(rng, n, 5)
    values = rng.normal(size=(n, 3))
    expected = diagonal[:, None] * values
    for lattice, b, a in zip(lattices, before, after, strict=True):
        expected += a[:, None] * lattice.apply(b[:, None] * values)
    fused = _LatticeFilter(lattices)
    each = fused.apply_each(np.ones(n))
    for t, lattice in enumerate(lattices):
        assert_allclose(each[:, t], lattice.apply(np.ones((n, 1)))[:, 0], rtol=1e-13)
    fused.rescale(before, after, diagonal=diagonal)
    assert_allclose(fused.apply(values), expected, rtol=1e-12, atol=1e-12)
    # Values handed over in the filter's own buffer give the same result.
    buffer = fused.values_buffer(3)
    buffer[...] = values
    assert_allclose(fused.apply(buffer), expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("scale,offset", [(5.0, 0.0), (5.0, 2000.0), (5.0, -2000.0),
                                          (400.0, 0.0)])
def test_softmax_every_shift_branch(scale, offset):
    """No shift (values in [-600, 600]), the global maximum (span <= 600, large magnitude) and
    the row maxima (span > 600) all give scipy's softmax to 1e-13 relative, rows summing to 1."""
    rng = np.random.default_rng(1)
    logits = rng.normal(0.0, scale, (200, 7)) + offset
    expected = softmax(logits, axis=1)
    out = _softmax(logits.copy())
    assert np.all(np.isfinite(out))
    assert_allclose(out.sum(axis=1), 1.0, rtol=0, atol=1e-14)
    big = expected > 1e-300
    assert_allclose(out[big], expected[big], rtol=1e-13)


def test_lattice_far_from_origin():
    """The Gaussian kernel depends only on feature differences: identical features at 1e17
    (where float64 cannot resolve a lattice cell) filter as identical features at 0 (the
    lattice once crashed with an IndexError there); features spanning ~1e17 cells are a
    clear ValueError, raised before any integer cast."""
    values = np.arange(1.0, 6.0)
    far = pp.gaussian_kernel_filter(values, np.full((5, 2), 1e17), method="permutohedral")
    near = pp.gaussian_kernel_filter(values, np.zeros((5, 2)), method="permutohedral")
    assert_array_equal(far, near)
    assert np.all(np.isfinite(far))
    for spread in (1e17, 1e308):
        with pytest.raises(ValueError, match="features span about .* lattice cells"):
            pp.gaussian_kernel_filter(np.ones(2), np.array([[-spread], [spread]]),
                                      method="permutohedral")


@pytest.mark.parametrize("d", [11, 12, 16])
def test_lattice_any_dimension(d):
    """d >= 11 (the mixed-radix vertex code no longer fits an int64) works: identical
    features give one value for all points, and on dense random points the filter is as
    accurate as at d = 10 (relative l2 error against the exact sum: 0.165 at d = 10, 0.176
    at 11, 0.181 at 12 for these points)."""
    rng = np.random.default_rng(d)
    same = pp.gaussian_kernel_filter(np.ones(7), np.zeros((7, d)), method="permutohedral")
    assert np.all(np.isfinite(same))
    assert_allclose(same, same[0], rtol=1e-12)
    feats = rng.normal(0.0, 0.3, (300, d))
    values = rng.random(300)
    exact = pp.gaussian_kernel_filter(values, feats)
    approx = pp.gaussian_kernel_filter(values, feats, method="permutohedral")
    assert np.linalg.norm(approx - exact) < 0.25 * np.linalg.norm(exact)


@pytest.mark.parametrize("d", [1, 3, 5])
def test_lattice_row_codes_equal_packed_codes(d, monkeypatch):
    """The vertex tables built from coordinate rows (used when the int64 code does not fit)
    are those built from the packed codes: same numbering, weights and neighbours."""
    feats = np.random.default_rng(d).normal(0.0, 3.0, (400, d))
    packed = _Permutohedral(feats)
    monkeypatch.setattr(_lattice, "_PACKED_BITS", 0)
    rows = _Permutohedral(feats)
    assert packed._packed and not rows._packed
    assert_array_equal(rows.vertices, packed.vertices)
    assert_array_equal(rows.weights, packed.weights)
    for a, b in zip(rows.neighbours, packed.neighbours, strict=True):
        assert_array_equal(a[0], b[0])
        assert_array_equal(a[1], b[1])


def test_exact_filter_never_nan():
    """Distances that overflow float64 give kernel value 0, not NaN (inf - inf); features far
    from the origin keep their small differences (no cancellation in |f|^2 - 2 f.g + |g|^2)."""
    out = pp.gaussian_kernel_filter(np.ones(3), np.array([[0.0], [1e200], [-1e200]]))
    assert_array_equal(out, [1.0, 1.0, 1.0])
    out = pp.gaussian_kernel_filter(np.ones(3), np.array([[1e17], [1e17], [-1e17]]))
    assert_array_equal(out, [2.0, 2.0, 1.0])
    out = pp.gaussian_kernel_filter(np.ones(2), np.array([[1e8], [1e8 + 1.0]]))
    assert_allclose(out, 1.0 + np.exp(-0.5), rtol=1e-12)


@pytest.mark.parametrize("fmt", ["csr", "csc"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_product_into_equals_matmul(fmt, dtype, monkeypatch):
    """_product_into writes matrix @ values into the buffer it is given (scipy's compiled
    kernel adds into it, so a stale buffer must be zeroed first), equal to @ to rounding;
    the fallback (values of another dtype or layout, or no private kernel module) too."""
    rng = np.random.default_rng(3)
    matrix = sp.random(40, 30, density=0.2, format=fmt, dtype=dtype, random_state=rng)
    values = rng.normal(size=(30, 4)).astype(dtype)
    expected = matrix @ values
    out = np.full((40, 4), 7.0, dtype=dtype)  # stale contents
    assert _lattice._product_into(matrix, values, out) is out
    assert_allclose(out, expected, rtol=1e-6, atol=1e-6)
    strided = np.asfortranarray(values)
    assert_allclose(_lattice._product_into(matrix, strided, out), expected, rtol=1e-6,
                    atol=1e-6)
    monkeypatch.setattr(_lattice, "_sparsetools", None)
    out[...] = 7.0
    assert_allclose(_lattice._product_into(matrix, values, out), expected, rtol=1e-6,
                    atol=1e-6)


def test_filter_reuses_its_buffers():
    """Repeated filtering into one output buffer (as the CRF's iterations do) gives the
    result of a fresh filter each time; values passed in another dtype are cast; a final
    rescale frees the float64 weights, after which apply_each and rescale refuse; an output
    in the filter's own values buffer is refused."""
    rng = np.random.default_rng(4)
    n = 300
    lattices, before, after, diagonal = _two_lattices_and_factors(rng, n, 3)
    reference = _LatticeFilter(lattices)
    reference.rescale(before, after, diagonal=diagonal)
    fused = _LatticeFilter(lattices, dtype=np.float32)
    fused.rescale(before, after, diagonal=diagonal, final=True)
    out = np.empty((n, 3), dtype=np.float32)
    for seed in range(3):
        values = np.random.default_rng(seed).normal(size=(n, 3))
        expected = reference.apply(values)
        buffer = fused.values_buffer(3)
        buffer[...] = values
        assert fused.apply(buffer, out=out) is out
        assert_allclose(out, expected, rtol=1e-5, atol=1e-5)
        assert_allclose(fused.apply(values), expected, rtol=1e-5, atol=1e-5)
    with pytest.raises(ValueError, match="share memory"):
        fused.apply(buffer, out=buffer)
    with pytest.raises(RuntimeError, match="final=True"):
        fused.apply_each(np.ones(n))
    with pytest.raises(RuntimeError, match="final=True"):
        fused.rescale(before, after)
