"""Bad input and no-mutation for seglab.postprocess: every validation path names its argument."""

import numpy as np
import pytest
from numpy.testing import assert_array_equal

from seglab import postprocess as pp

RNG = np.random.default_rng(0)
PROB = RNG.random((6, 7))
MULTI = RNG.dirichlet(np.ones(3), size=(6, 7)).transpose(2, 0, 1)
IMAGE = RNG.random((6, 7, 3)) * 255
MASK = PROB > 0.5

# (function, fixed keyword arguments) taking a probability map first
PROB_FUNCS = [
    (pp.sobolev_smooth, {"lam": 1.0}),
    (pp.tv_smooth, {"lam": 1.0, "certify": False}),
    (pp.convex_relaxation, {"lam": 1.0}),
    (pp.graph_cut, {"lam": 1.0}),
    (pp.icm, {"lam": 1.0}),
]
BINARY_ONLY = [pp.convex_relaxation, pp.graph_cut, pp.icm]


def _call(func, prob, **kw):
    if func is pp.dense_crf:
        return func(prob, IMAGE, **kw)
    return func(prob, **kw)


ALL_PROB = [*PROB_FUNCS, (pp.dense_crf, {})]


@pytest.mark.parametrize(("func", "kw"), ALL_PROB)
@pytest.mark.parametrize(("bad", "exc", "match"), [
    (np.full((6, 7), np.nan), ValueError, "prob contains 42 NaN"),
    (np.full((6, 7), 1.5), ValueError, r"prob must hold probabilities in \[0, 1\]"),
    (np.full((6, 7), -0.1), ValueError, r"prob must hold probabilities"),
    (np.zeros((0, 7)), ValueError, "prob is empty"),
    (np.full((6, 7), "a"), TypeError, "prob must be a real numeric array"),
    (np.zeros((6, 7), dtype=bool), TypeError, "prob must be a real numeric array"),
    (np.zeros(5), ValueError, r"shape \(5,\)"),
])
def test_bad_prob(func, kw, bad, exc, match):
    with pytest.raises(exc, match=match):
        _call(func, bad, **kw)


@pytest.mark.parametrize("func", [pp.sobolev_smooth, pp.tv_smooth, pp.dense_crf])
def test_bad_multiclass(func):
    kw = {} if func is pp.dense_crf else {"lam": 1.0}
    with pytest.raises(ValueError, match="must sum to 1"):
        _call(func, MULTI * 0.9, **kw)
    with pytest.raises(ValueError, match="K >= 2"):
        _call(func, MULTI[:1] * 0 + 1.0, **kw)
    with pytest.raises(ValueError, match=r"shape \(1, 3, 6, 7\)"):
        _call(func, MULTI[None], **kw)


@pytest.mark.parametrize("func", BINARY_ONLY)
def test_binary_only(func):
    with pytest.raises(ValueError, match=r"binary probability map of shape \(H, W\)"):
        func(MULTI, lam=1.0)


@pytest.mark.parametrize(("func", "kw"), PROB_FUNCS)
@pytest.mark.parametrize(("lam", "exc", "match"), [
    (-1.0, ValueError, r"lam must lie in \[0.0, inf\)"),
    (np.inf, ValueError, "lam must lie in"),
    (np.nan, ValueError, "lam must not be NaN"),
    ("1", TypeError, "lam must be a real number"),
    (True, TypeError, "lam must be a real number"),
])
def test_bad_lam(func, kw, lam, exc, match):
    with pytest.raises(exc, match=match):
        func(PROB, **{**kw, "lam": lam})


@pytest.mark.parametrize(("func", "kw", "exc", "match"), [
    (pp.tv_smooth, {"eps": 0.0}, ValueError, "eps must lie in"),
    (pp.tv_smooth, {"max_iter": 0}, ValueError, "max_iter must be an int >= 1"),
    (pp.tv_smooth, {"max_iter": 2.0}, TypeError, "max_iter must be an int"),
    (pp.tv_smooth, {"certify_tol": -1.0}, ValueError, "certify_tol must lie in"),
    (pp.tv_smooth, {"certify_max_iter": 0}, ValueError, "certify_max_iter must be an int"),
    (pp.convex_relaxation, {"tv": "l1"}, ValueError, "tv must be one of"),
    (pp.convex_relaxation, {"threshold": 1.0}, ValueError, r"threshold must lie in \(0.0, 1.0\)"),
    (pp.convex_relaxation, {"threshold": 0.0}, ValueError, "threshold must lie in"),
    (pp.convex_relaxation, {"tol": 0.0}, ValueError, "tol must lie in"),
    (pp.convex_relaxation, {"max_iter": 0}, ValueError, "max_iter must be an int >= 1"),
    (pp.convex_relaxation, {"check_every": 0}, ValueError, "check_every must be an int >= 1"),
    (pp.convex_relaxation, {"eps": 0.5}, ValueError, r"eps must lie in \(0.0, 0.5\)"),
    (pp.graph_cut, {"connectivity": 4}, ValueError, "connectivity must be an int <= 2, got 4"),
    (pp.graph_cut, {"diagonal_weight": -1.0}, ValueError, "diagonal_weight must lie in"),
    (pp.graph_cut, {"eps": 0.0}, ValueError, "eps must lie in"),
    (pp.icm, {"max_iter": 0}, ValueError, "max_iter must be an int >= 1"),
    (pp.icm, {"init": np.zeros((3, 3), bool)}, ValueError, "init shape"),
    (pp.icm, {"init": np.full((6, 7), 0.5)}, TypeError, "init must be an integer or boolean"),
    (pp.icm, {"init": np.full((6, 7), 2)}, ValueError,
     r"init must be a binary mask \(values 0 and 1\)"),
])
def test_bad_options(func, kw, exc, match):
    with pytest.raises(exc, match=match):
        func(PROB, lam=1.0, **kw)


def test_bad_logodds():
    with pytest.raises(ValueError, match=r"prob must have shape \(H, W\)"):
        pp.convex_relaxation(np.zeros((2, 3, 3)), lam=1.0, from_logits=True)
    with pytest.raises(ValueError, match="prob contains 1 NaN"):
        pp.convex_relaxation(np.array([[np.nan, 0.0]]), lam=1.0, from_logits=True)



@pytest.mark.parametrize(("call", "match"), [
    (lambda: pp.convex_relaxation(PROB, lam=1.0, from_logits="no"), "from_logits must be True"),
    (lambda: pp.convex_relaxation(PROB, lam=1.0, from_logits=0), "from_logits must be True"),
    (lambda: pp.tv_smooth(PROB, lam=1.0, certify="no"), "certify must be True or False"),
    (lambda: pp.tv_smooth(PROB, lam=1.0, certify=None), "certify must be True or False"),
    (lambda: pp.remove_small_components(MASK, min_size=2, connectivity=True),
     "connectivity must be an int"),
    (lambda: pp.graph_cut(PROB, lam=1.0, connectivity=True), "connectivity must be an int"),
    (lambda: pp.icm(PROB, lam=1.0, connectivity=1.0), "connectivity must be an int"),
    (lambda: pp.potts_energy(MASK, PROB, lam=1.0, connectivity=np.True_),
     "connectivity must be an int"),
])
def test_flags_and_counts_are_typed(call, match):
    """A string, None or number is not a flag, and True is not a connectivity: each is a
    TypeError, never read by its truth value ('no' as True) or as 1."""
    with pytest.raises(TypeError, match=match):
        call()


def test_bad_potts_energy():
    with pytest.raises(ValueError, match=r"mask shape \(2, 2\) and prob shape \(6, 7\) differ"):
        pp.potts_energy(np.zeros((2, 2), bool), PROB, lam=1.0)
    with pytest.raises(ValueError, match=r"mask must be a 2-D mask, got shape \(42,\)"):
        pp.potts_energy(np.zeros(42, bool), PROB, lam=1.0)


@pytest.mark.parametrize(("kw", "exc", "match"), [
    ({"spatial_sigma": 0.0}, ValueError, "spatial_sigma must lie in"),
    ({"bilateral_sigma_xy": -1.0}, ValueError, "bilateral_sigma_xy must lie in"),
    ({"bilateral_sigma_rgb": np.inf}, ValueError, "bilateral_sigma_rgb must lie in"),
    ({"spatial_weight": -1.0}, ValueError, "spatial_weight must lie in"),
    ({"bilateral_weight": "x"}, TypeError, "bilateral_weight must be a real number"),
    ({"compat": np.ones((3, 3))}, ValueError, r"compat must have shape \(2, 2\)"),
    ({"compat": np.array([[0.0, 1.0], [2.0, 0.0]])}, ValueError, "compat must be symmetric"),
    ({"compat": np.array([[0.0, np.nan], [np.nan, 0.0]])}, ValueError, "compat contains"),
    ({"max_iter": -1}, ValueError, "max_iter must be an int >= 0"),
    ({"update": "random"}, ValueError, "update must be one of"),
    ({"method": "lattice"}, ValueError, "method must be one of"),
    ({"normalize": "row"}, ValueError, "normalize must be one of"),
    ({"eps": 0.0}, ValueError, "eps must lie in"),
    ({"update": "sequential", "method": "fast"}, ValueError, "needs method='exact'"),
    ({"track_energy": 1}, TypeError, "track_energy must be True or False"),
])
def test_bad_crf_options(kw, exc, match):
    with pytest.raises(exc, match=match):
        pp.dense_crf(PROB, IMAGE, **kw)


def test_bad_crf_image_and_size():
    with pytest.raises(ValueError, match=r"image must have shape \(6, 7\) or \(6, 7, C\)"):
        pp.dense_crf(PROB, IMAGE[:5])
    with pytest.raises(ValueError, match="image contains"):
        pp.dense_crf(PROB, np.full((6, 7), np.inf))
    big = np.full((65, 64), 0.5)
    with pytest.raises(ValueError, match="exceeds MAX_EXACT_PIXELS"):
        pp.dense_crf(big, np.zeros((65, 64)), method="exact")


def test_bad_filter_input():
    feats = np.zeros((4, 2))
    with pytest.raises(ValueError, match=r"features must have shape \(N, d\)"):
        pp.gaussian_kernel_filter(np.ones(4), np.zeros(4))
    with pytest.raises(ValueError, match=r"values must have shape \(N,\) or \(N, C\) with N = 4"):
        pp.gaussian_kernel_filter(np.ones(3), feats)
    with pytest.raises(ValueError, match="method must be one of"):
        pp.gaussian_kernel_filter(np.ones(4), feats, method="grid")
    with pytest.raises(ValueError, match="exceeds MAX_EXACT_PIXELS"):
        pp.gaussian_kernel_filter(np.ones(5000), np.zeros((5000, 1)))


@pytest.mark.parametrize("func", [pp.opening, pp.closing])
def test_bad_morphology(func):
    with pytest.raises(ValueError, match="radius must be an int >= 0"):
        func(MASK, radius=-1)
    with pytest.raises(TypeError, match="radius must be an int"):
        func(MASK, radius=1.5)
    with pytest.raises(TypeError, match="mask must be an integer or boolean"):
        func(PROB, radius=1)
    with pytest.raises(ValueError, match=r"mask must be a 2-D mask, got shape \(1, 6, 7\)"):
        func(MASK[None], radius=1)
    with pytest.raises(ValueError, match="mask is empty"):
        func(np.zeros((0, 3), bool), radius=1)


def test_bad_remove_small_components():
    with pytest.raises(ValueError, match="min_size must be an int >= 0"):
        pp.remove_small_components(MASK, min_size=-2)
    with pytest.raises(ValueError, match="connectivity must be an int <= 2, got 3"):
        pp.remove_small_components(MASK, min_size=2, connectivity=3)


def _no_mutation_calls():
    return [
        lambda a: pp.sobolev_smooth(a["prob"], lam=1.0),
        lambda a: pp.sobolev_smooth(a["multi"], lam=1.0),
        lambda a: pp.tv_smooth(a["prob"], lam=0.5),
        lambda a: pp.convex_relaxation(a["prob"], lam=0.5),
        lambda a: pp.graph_cut(a["prob"], lam=0.5, connectivity=2),
        lambda a: pp.icm(a["prob"], lam=0.5, init=a["mask"]),
        lambda a: pp.potts_energy(a["mask"], a["prob"], lam=0.5),
        lambda a: pp.dense_crf(a["multi"], a["image"], compat=a["compat"]),
        lambda a: pp.dense_crf(a["prob"], a["image"], update="sequential"),
        lambda a: pp.dense_crf(a["prob"], a["image"], method="fast"),
        lambda a: pp.gaussian_kernel_filter(a["values"], a["features"], method="permutohedral"),
        lambda a: pp.opening(a["mask"], radius=1),
        lambda a: pp.closing(a["mask"], radius=0),
        lambda a: pp.remove_small_components(a["mask"], min_size=3),
    ]


@pytest.mark.parametrize("call", _no_mutation_calls())
def test_no_mutation(call):
    arrays = {"prob": PROB.copy(), "multi": MULTI.copy(), "image": IMAGE.copy(),
              "mask": MASK.copy(), "compat": 1.0 - np.eye(3),
              "values": RNG.random((20, 2)), "features": RNG.random((20, 3))}
    before = {k: v.copy() for k, v in arrays.items()}
    call(arrays)
    for key, value in arrays.items():
        assert_array_equal(value, before[key])


def test_float32_and_int_inputs_are_float64():
    assert pp.sobolev_smooth(PROB.astype(np.float32), lam=1.0).dtype == np.float64
    assert pp.tv_smooth(PROB.astype(np.float32), lam=1.0, certify=False).u.dtype == np.float64
    assert pp.convex_relaxation(np.ones((3, 3), dtype=int), lam=1.0).u.dtype == np.float64
