"""Each closed-form gradient of seglab.losses against sympy's derivative of the loss formula.

A small symbolic instance (one image, four pixels, C = 1 or 3 channels) is written out in
sympy from the papers' definitions — softmax/sigmoid of symbolic logits, or independent
symbolic probabilities — differentiated symbolically and evaluated at a random point; the
numpy gradient must agree to 1e-10. The Lovász losses are piecewise linear: their symbolic
form is written from the definition of the Lovász extension (sets of the k largest errors,
Jaccard loss of each set counted directly) on the region of the point's sort order; the
distance maps of the boundary and Hausdorff losses are constants of the formula.
"""

import numpy as np
import pytest
import sympy as sp

from seglab import losses

M = 4  # pixels


def _symbolic_probs(c, from_logits):
    """Symbols and the (class x pixel) matrix of probability expressions.

    For C = 1 the matrix has the foreground row only.
    """
    if from_logits:
        xs = sp.symbols(f"x0:{c * M}", real=True)
        x = [list(xs[k * M:(k + 1) * M]) for k in range(c)]
        if c == 1:
            return xs, [[1 / (1 + sp.exp(-v)) for v in x[0]]]
        return xs, [[sp.exp(x[k][i]) / sum(sp.exp(x[j][i]) for j in range(c))
                     for i in range(M)] for k in range(c)]
    ps = sp.symbols(f"p0:{c * M}", positive=True)
    return ps, [list(ps[k * M:(k + 1) * M]) for k in range(c)]


def _two_class(p, g):
    """Class rows for the pixel losses: (background, foreground) when C = 1."""
    if len(p) == 1:
        return [[1 - v for v in p[0]], p[0]], [[1 - v for v in g[0]], g[0]]
    return p, g


def _numeric_point(c, from_logits, seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(scale=1.5, size=(1, c, M))
    if from_logits:
        return x
    if c == 1:
        return 1 / (1 + np.exp(-x))
    e = np.exp(x)
    return e / e.sum(axis=1, keepdims=True)


def _target(c, seed, soft):
    rng = np.random.default_rng(seed + 100)
    if soft:
        if c == 1:
            return rng.uniform(size=(1, 1, M))
        return np.moveaxis(rng.dirichlet(np.ones(c), size=(1, M)), -1, 1)
    labels = rng.integers(0, max(c, 2), size=(1, M))
    labels[0, :max(c, 2)] = np.arange(max(c, 2))  # every class present
    return labels


def _onehot(target, c):
    if target.ndim == 3:
        return target[0].astype(float)
    if c == 1:
        return target.astype(float)
    return (target[0][None] == np.arange(c)[:, None]).astype(float)


# ---- formulas, written from the papers on lists of sympy expressions ---------------


def ce(p, g, opts):
    p, g = _two_class(p, g)
    w = opts.get("class_weights", [1] * len(p))
    return -sum(w[k] * g[k][i] * sp.log(p[k][i]) for k in range(len(p)) for i in range(M)) / M


def focal(p, g, opts):
    p, g = _two_class(p, g)
    gamma = sp.Rational(opts["gamma"])
    alpha = opts.get("alpha")
    w = [1] * len(p) if alpha is None else [1 - alpha] + [alpha] * (len(p) - 1)
    return -sum(w[k] * g[k][i] * (1 - p[k][i]) ** gamma * sp.log(p[k][i])
                for k in range(len(p)) for i in range(M)) / M


def _sums(pk, gk):
    return (sum(a * b for a, b in zip(pk, gk, strict=True)), sum(pk), sum(gk))


def dice(p, g, opts):
    out = []
    for pk, gk in zip(p, g, strict=True):
        inter = sum(a * b for a, b in zip(pk, gk, strict=True))
        k = 2 if opts.get("squared") else 1
        den = sum(a**k for a in pk) + sum(b**k for b in gk) + opts.get("smooth_dr", 0)
        out.append(1 - (2 * inter + opts.get("smooth_nr", 0)) / den)
    return sum(out) / len(out)


def jaccard(p, g, opts):
    terms = []
    for pk, gk in zip(p, g, strict=True):
        inter, s_p, s_g = _sums(pk, gk)
        terms.append(1 - inter / (s_p + s_g - inter))
    return sum(terms) / len(terms)


def tversky_index(pk, gk, a, b):
    tp = sum(x * y for x, y in zip(pk, gk, strict=True))
    fp = sum(x * (1 - y) for x, y in zip(pk, gk, strict=True))
    fn = sum((1 - x) * y for x, y in zip(pk, gk, strict=True))
    return tp / (tp + a * fp + b * fn)


def tversky(p, g, opts):
    a, b = opts["alpha"], opts["beta"]
    return sum(1 - tversky_index(pk, gk, a, b) for pk, gk in zip(p, g, strict=True)) / len(p)


def focal_tversky(p, g, opts):
    a, b, gamma = opts["alpha"], opts["beta"], sp.Rational(opts["gamma"])
    return sum((1 - tversky_index(pk, gk, a, b)) ** (1 / gamma)
               for pk, gk in zip(p, g, strict=True)) / len(p)


def gdl(p, g, opts):
    w = [1 / sum(gk) ** 2 for gk in g]  # every class present in these instances
    num = 2 * sum(wk * sum(a * b for a, b in zip(pk, gk, strict=True))
                  for wk, pk, gk in zip(w, p, g, strict=True))
    den = sum(wk * (sum(pk) + sum(gk)) for wk, pk, gk in zip(w, p, g, strict=True))
    return 1 - num / den


def jml(p, g, opts):
    terms = []
    for pk, gk in zip(p, g, strict=True):
        s = sum(pk) + sum(gk)
        d = sum(sp.Abs(a - b) for a, b in zip(pk, gk, strict=True))
        terms.append(1 - (s - d) / (s + d))
    return sum(terms) / len(terms)


def log_cosh_dice(p, g, opts):
    return sp.log(sp.cosh(dice(p, g, opts)))


def _jaccard_set_loss(mistakes, gk):
    """Delta_J(M) = |M| / |G u M| counted on sets (Berman et al., eq. 4)."""
    truth = {i for i in range(M) if gk[i] == 1}
    return sp.Rational(len(mistakes), len(truth | mistakes)) if mistakes else 0


def _lovasz_extension(errors, numeric_errors, gk):
    order = np.argsort(-np.asarray(numeric_errors), kind="stable")
    total, prev = 0, 0
    for k in range(M):
        cur = _jaccard_set_loss({int(i) for i in order[:k + 1]}, gk)
        total += errors[order[k]] * (cur - prev)
        prev = cur
    return total


def lovasz_softmax(p, g, opts, point):
    terms = []
    for k, (pk, gk) in enumerate(zip(p, g, strict=True)):
        if sum(gk) == 0:
            continue  # absent='exclude'
        errors = [sp.Abs(b - a) for a, b in zip(pk, gk, strict=True)]
        numeric = [float(e.subs(point)) for e in errors]
        terms.append(_lovasz_extension(errors, numeric, [int(v) for v in gk]))
        del k
    return sum(terms) / len(terms)


def lovasz_hinge(x, g, opts, point):
    gk = [int(v) for v in g[0]]
    errors = [1 - x[i] * (2 * gk[i] - 1) for i in range(M)]
    numeric = [float(e.subs(point)) for e in errors]
    return _lovasz_extension([sp.Max(e, 0) for e in errors], numeric, gk)


def _distance_constants(g, c, opts):
    return [losses.signed_distance_map(np.asarray(gk, dtype=int)) for gk in g]


def boundary(p, g, opts):
    sel = range(len(p)) if len(p) == 1 else range(1, len(p))
    phi = _distance_constants(g, len(p), opts)
    terms = [phi[k][i] * p[k][i] for k in sel for i in range(M)]
    return sum(terms) / len(terms)


def _field(mask):
    mask = np.asarray(mask, bool)
    if not mask.any() or mask.all():
        return np.zeros(mask.shape)
    idx = np.arange(mask.size)
    return np.array([np.abs(idx[mask != mask[i]] - i).min() for i in range(mask.size)],
                    dtype=float)


def hausdorff(p, g, opts, point):
    sel = range(len(p)) if len(p) == 1 else range(1, len(p))
    terms = []
    for k in sel:
        pred = [float(v.subs(point)) > 0.5 for v in p[k]]
        d = _field([int(v) for v in g[k]]) ** 2 + _field(pred) ** 2
        terms += [(p[k][i] - g[k][i]) ** 2 * d[i] for i in range(M)]
    return sum(terms) / len(terms)


# (name, sympy formula, seglab options, needs the numeric point, hard target only)
CASES = [
    ("cross_entropy", ce, {}, False, False),
    ("cross_entropy", ce, {"class_weights": "w"}, False, False),
    ("focal_loss", focal, {"gamma": 2}, False, False),
    ("focal_loss", focal, {"gamma": "1/2", "alpha": sp.Rational(1, 4)}, False, False),
    ("soft_dice_loss", dice, {}, False, False),
    ("soft_dice_loss", dice, {"squared": True, "smooth_nr": sp.Rational(1, 10),
                              "smooth_dr": sp.Rational(1, 5)}, False, False),
    ("soft_jaccard_loss", jaccard, {}, False, False),
    ("tversky_loss", tversky, {"alpha": sp.Rational(3, 10), "beta": sp.Rational(7, 10)},
     False, False),
    ("focal_tversky_loss", focal_tversky, {"alpha": sp.Rational(3, 10),
                                           "beta": sp.Rational(7, 10), "gamma": "4/3"},
     False, False),
    ("generalized_dice_loss", gdl, {}, False, False),
    ("jaccard_metric_loss", jml, {}, False, False),
    ("log_cosh_dice_loss", log_cosh_dice, {}, False, False),
    ("lovasz_softmax", lovasz_softmax, {}, True, True),
    ("lovasz_hinge", lovasz_hinge, {}, True, True),
    ("boundary_loss", boundary, {}, False, True),
    ("hausdorff_dt_loss", hausdorff, {}, True, True),
]


def _seglab_options(opts, c):
    out = {}
    for key, val in opts.items():
        if key == "class_weights":
            out[key] = np.linspace(0.5, 2.0, 2 if c == 1 else c)
        elif isinstance(val, str):
            out[key] = float(sp.Rational(val))
        elif isinstance(val, sp.Basic):
            out[key] = float(val)
        else:
            out[key] = val
    return out


def _sympy_options(opts, c):
    out = dict(opts)
    if "class_weights" in out:
        out["class_weights"] = [sp.nsimplify(v) for v in np.linspace(0.5, 2.0,
                                                                     2 if c == 1 else c)]
    return out


@pytest.mark.parametrize(("name", "formula", "opts", "needs_point", "hard"),
                         [pytest.param(*case, id=f"{case[0]}-{i}")
                          for i, case in enumerate(CASES)])
@pytest.mark.parametrize("c", [1, 3])
@pytest.mark.parametrize("from_logits", [True, False])
@pytest.mark.parametrize("soft", [False, True], ids=["hard", "soft"])
def test_gradient_matches_sympy(name, formula, opts, needs_point, hard, c, from_logits, soft):
    if hard and soft:
        pytest.skip("defined for hard labels only")
    if name == "lovasz_hinge" and c != 1:
        pytest.skip("binary loss")
    seed = 7 * c + from_logits
    scores = _numeric_point(c, from_logits, seed)
    target = _target(c, seed, soft)
    g = _onehot(target, c).tolist()
    g_sym = [[sp.nsimplify(v) if not soft else sp.Float(v, 30) for v in row] for row in g]
    symbols, p = _symbolic_probs(c, from_logits)
    point = dict(zip(symbols, scores.reshape(-1).tolist(), strict=True))
    if name == "lovasz_hinge":
        if from_logits:
            x = list(symbols)
        else:
            x = [sp.log(v / (1 - v)) for v in symbols]
        expr = formula(x, g_sym, opts, point)
    elif needs_point:
        expr = formula(p, g_sym, opts, point)
    else:
        expr = formula(p, g_sym, _sympy_options(opts, c))
    grad_fn = sp.lambdify(symbols, [sp.diff(expr, s) for s in symbols], modules="mpmath")
    value_fn = sp.lambdify(symbols, expr, modules="mpmath")
    args = scores.reshape(-1).tolist()
    expected = np.array([float(v) for v in grad_fn(*args)]).reshape(scores.shape)
    value, grad = getattr(losses, name)(scores, target, from_logits=from_logits,
                                        return_grad=True, **_seglab_options(opts, c))
    assert value == pytest.approx(float(value_fn(*args)), abs=1e-12)
    np.testing.assert_allclose(grad, expected, rtol=1e-10, atol=1e-12)
