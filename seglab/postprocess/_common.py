"""Input checks and grid operators shared by the post-processing modules."""

import numpy as np

from .._validation import check_binary_mask, check_probabilities, check_real

# --------------------------------------------------------------------------
# Validation


def _check_lam(lam):
    return check_real(lam, "lam", low=0.0, high=np.inf, high_open=True)


def _check_eps(eps):
    return check_real(eps, "eps", low=0.0, high=0.5, low_open=True, high_open=True)


def _check_prob_map(prob, name="prob", *, binary_only=False):
    """Return a float64 copy-free view of a binary (H, W) or K-class (K, H, W) map."""
    arr = check_probabilities(prob, name)
    if binary_only and arr.ndim != 2:
        raise ValueError(
            f"{name} must be a binary probability map of shape (H, W), got shape {arr.shape}"
        )
    if arr.ndim not in (2, 3):
        raise ValueError(
            f"{name} must have shape (H, W) (binary) or (K, H, W) (K classes), "
            f"got shape {arr.shape}"
        )
    if arr.ndim == 3:
        if arr.shape[0] < 2:
            raise ValueError(f"{name} of shape {arr.shape} must have K >= 2 channels")
        sums = arr.sum(axis=0)
        if not np.allclose(sums, 1.0, rtol=0.0, atol=1e-6):
            worst = float(np.max(np.abs(sums - 1.0)))
            raise ValueError(
                f"the {arr.shape[0]} channels of {name} (shape {arr.shape}) must sum to 1 "
                f"at every pixel; the largest deviation is {worst:.3g}"
            )
    return arr


def _cost(prob, eps):
    """Minus the log-odds of the clipped foreground probability."""
    p = np.clip(prob, eps, 1.0 - eps)
    return np.log1p(-p) - np.log(p)


def _check_mask(mask, name="mask"):
    """A binary (H, W) mask as bool (no copy for a bool input)."""
    return check_binary_mask(mask, name, ndims=(2,))


# --------------------------------------------------------------------------
# Discrete gradient, divergence, total variation


def _grad(u):
    """Forward differences of (..., H, W) along the last two axes, zero at the far edge."""
    g = np.zeros((2, *u.shape))
    g[0, ..., :-1, :] = np.diff(u, axis=-2)
    g[1, ..., :, :-1] = np.diff(u, axis=-1)
    return g


def _grad_adjoint(p):
    r"""The adjoint :math:`\nabla^\top p = -\operatorname{div} p` of :func:`_grad`."""
    out = np.zeros(p.shape[1:])
    out[..., :-1, :] -= p[0, ..., :-1, :]
    out[..., 1:, :] += p[0, ..., :-1, :]
    out[..., :, :-1] -= p[1, ..., :, :-1]
    out[..., :, 1:] += p[1, ..., :, :-1]
    return out


def _tv(u, tv="isotropic"):
    g = _grad(u)
    if tv == "isotropic":
        return float(np.sqrt(g[0] ** 2 + g[1] ** 2).sum())
    return float(np.abs(g).sum())


def _project_ball(p, lam, tv):
    """Project the dual field onto {|p_ij| <= lam} (Euclidean or max norm)."""
    if tv == "anisotropic":
        return np.clip(p, -lam, lam)
    norm = np.sqrt(p[0] ** 2 + p[1] ** 2)
    return p / np.maximum(1.0, norm / lam) if lam > 0 else np.zeros_like(p)
