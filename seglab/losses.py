r"""Segmentation losses with closed-form gradients.

Every loss here is a function

``name(scores, target, *, from_logits=True, return_grad=False, **options)``

that returns the loss value (a Python float) or, with ``return_grad=True``,
the pair ``(value, grad)`` where ``grad`` has the shape of ``scores`` and is
written out in closed form (no automatic differentiation).

Conventions shared by all losses:

* ``scores`` has shape ``(N, C, *spatial)``. ``C = 1`` is a binary problem:
  the channel holds the foreground logit and the probability is the sigmoid
  :math:`p = \sigma(x)`. ``C = K \ge 2`` is a ``K``-class problem with the
  softmax over the channel axis. With ``from_logits=False`` the scores are
  already probabilities (checked to lie in [0, 1] and, for ``C \ge 2``, to sum
  to 1 over the channels) and ``grad`` holds the partial derivatives with
  respect to each probability, taken as independent variables.
* ``target`` is either a label map of shape ``(N, *spatial)`` (integers in
  ``[0, K)``, or 0/1 when ``C = 1``) or one-hot / soft labels of the shape of
  ``scores`` (entries in [0, 1], summing to 1 over the channels when
  ``C \ge 2``).
* Region losses (Dice, Jaccard, Tversky, ...) are ratios of sums over a
  *pooling unit*: one (image, class) pair with ``pooling='image'``, or one
  class over the whole batch with ``pooling='batch'``; the loss is the mean
  over units. For ``C = 1`` only the foreground channel forms units, as in
  MONAI and segmentation_models_pytorch with a sigmoid.
* ``ignore_index`` (every loss) names the void label of a label-map target
  (e.g. 255, possibly outside ``[0, K)``). Void pixels contribute neither to
  the value nor to the gradient (their gradient is exactly 0), for every
  pooling, reduction and ``absent`` mode: the loss is that of the image
  without them, means count the non-void pixels only, and a mean over no
  pixel is 0. The distance-based losses put void pixels in neither the
  foreground nor the background when they measure distances.
* ``multilabel=True`` (every loss) makes the ``C`` channels independent
  binary problems, as overlapping regions (BraTS) or MONAI's
  ``sigmoid=True``: one sigmoid per channel, a target of the shape of
  ``scores`` (0/1, or soft where the loss allows it; with ``ignore_index``
  its void entries are those equal to it), and each channel treated as the
  ``C = 1`` problem of that channel.
* A class is *absent* from a unit when its target sums to zero there. What
  happens then is declared by ``absent``: ``'include'`` keeps the formula's
  value, ``'zero'`` sets the unit's loss to 0 but keeps it in the mean (as
  segmentation_models_pytorch), ``'exclude'`` leaves the unit out of the mean
  (with ``pooling='image'``: each image averages its present classes, then the
  images with a present class are averaged; a mean over no unit is 0). A
  ratio whose numerator and denominator are both zero (prediction and target
  both empty, no smoothing) is a perfect score: its loss is 0 with zero
  gradient.
* Inputs are never modified; computations are in float64 and vectorised.

Explained in the book, chapter 2 (book/ch2).
"""

import math
import numbers

import numpy as np
from scipy import ndimage, special

from ._validation import (
    as_float_array,
    as_label_array,
    check_binary_mask,
    check_bool,
    check_choice,
    check_int,
    check_probabilities,
    check_real,
    check_spacing,
    fill_doc,
)

__all__ = [
    "boundary_loss",
    "cross_entropy",
    "dinkelbach_cross_entropy",
    "empty_mask_loss",
    "focal_loss",
    "focal_tversky_loss",
    "generalized_dice_loss",
    "hausdorff_dt_loss",
    "jaccard_metric_loss",
    "log_cosh_dice_loss",
    "lovasz_hinge",
    "lovasz_softmax",
    "signed_distance_map",
    "soft_dice_loss",
    "soft_jaccard_loss",
    "tversky_loss",
    "tversky_pair_loss",
    "unet_weight_map",
]

# Tolerance on the sum over channels of softmax probabilities and soft labels.
_SUM_TOL = 1e-6
# exp(-_EXP_CUT**2 / 2) is 0 in float64: a larger argument changes nothing
_EXP_CUT = 64.0

_DOCS = {
    "scores": """\
scores : array_like of float, shape (N, C, ...)
    Logits (``from_logits=True``) or probabilities. ``C = 1``: binary,
    sigmoid of the foreground logit; ``C >= 2``: softmax over axis 1.""",
    "target": """\
target : array_like
    Integer labels of shape ``(N, *spatial)`` (0/1 when ``C = 1``), or
    one-hot / soft labels of the shape of ``scores`` in [0, 1] (summing to 1
    over axis 1 when ``C >= 2``).""",
    "hard_target": """\
target : array_like
    Integer labels of shape ``(N, *spatial)`` (0/1 when ``C = 1``), or a
    one-hot array of the shape of ``scores`` holding only 0 and 1 (this loss
    is defined for hard labels only).""",
    "from_logits": """\
from_logits : bool, default True
    If False, ``scores`` are probabilities and ``grad`` is the derivative
    with respect to them.
return_grad : bool, default False
    If True, return ``(value, grad)``.""",
    "pooling": """\
pooling : {'image', 'batch'}, default 'image'
    Unit of the sums in the ratio: each (image, class) pair, or each class
    over the whole batch. The loss is the mean over units.""",
    "absent": """\
absent : {'include', 'zero', 'exclude'}
    Declared treatment of a unit whose target is empty: keep the formula's
    value, set the unit's loss to 0 (kept in the mean), or leave the unit
    out of the mean (a mean over no unit is 0).""",
    "ignore_index": """\
ignore_index : int, optional
    Label of the void pixels of a label-map ``target`` (with ``multilabel``:
    the value of the void entries of an integer ``target``), e.g. 255 or
    -100; it may lie outside ``[0, C)``. Void pixels contribute neither to
    the value nor to the gradient (their gradient is exactly 0) in every
    mode: the loss is the one of the image without them, and a mean counts
    only the non-void pixels (a mean over none is 0). One-hot and soft
    targets have no void pixels. Default: none.""",
    "void_distance": """\
Void pixels are neither foreground nor background: each non-void
pixel's distance is the Euclidean distance between pixel centres to
the nearest non-void pixel of the other set, the void pixels' own
terms are dropped and :math:`Z` counts the non-void entries. A void
border (rows or columns at an edge of the image) therefore gives
exactly the loss of the image cropped to the rest; void pixels inside
the image are holes, not cuts (distances are measured across them).""",
    "multilabel": """\
multilabel : bool, default False
    If True the ``C`` channels are independent binary problems (regions
    that may overlap, as BraTS's tumour regions or MONAI's
    ``sigmoid=True``): the probability of each channel is the sigmoid of
    its logit, probabilities need not sum to 1, and ``target`` is a binary
    (or, where allowed, soft) array of the shape of ``scores``. Each
    channel is then treated as the ``C = 1`` problem of that channel.""",
    "smooth": """\
smooth_nr, smooth_dr : float, default 0.0
    Non-negative constants added to the numerator and the denominator of the
    ratio (MONAI's ``smooth_nr``/``smooth_dr``; smp's ``smooth`` is both).""",
    "returns": """\
value : float
    The loss.
grad : ndarray of float64, shape of ``scores``
    Only with ``return_grad=True``: the gradient of ``value`` with respect
    to ``scores`` (logits or probabilities, following ``from_logits``).""",
    "raises": """\
TypeError
    If an array has a non-numeric dtype, a label map is not integer, or an
    option has the wrong type.
ValueError
    If ``scores`` has fewer than 2 dimensions or is empty, holds NaN or
    infinity, probabilities lie outside [0, 1] or do not sum to 1, the
    shape of ``target`` matches neither ``(N, *spatial)`` nor
    ``scores.shape``, a label lies outside the classes, soft labels are
    outside [0, 1] (or not 0/1, for a loss defined on hard labels), or an
    option is out of its range.""",
}


# --------------------------------------------------------------------------
# Validation


def _check_scores(scores, from_logits, multilabel):
    arr = as_float_array(scores, "scores")
    if arr.ndim < 2:
        raise ValueError(
            f"scores must have shape (N, C, *spatial) with at least 2 dimensions, "
            f"got shape {arr.shape}"
        )
    if not from_logits:
        if arr.min() < 0.0 or arr.max() > 1.0:
            raise ValueError(
                f"scores must hold probabilities in [0, 1] when from_logits=False, got "
                f"values in [{arr.min():.6g}, {arr.max():.6g}] (shape {arr.shape})"
            )
        if arr.shape[1] > 1 and not multilabel:
            _check_sums_to_one(arr, "scores", "probabilities")
    return arr


def _check_sums_to_one(arr, name, what):
    err = np.abs(arr.sum(axis=1) - 1.0).max()
    if err > _SUM_TOL:
        raise ValueError(
            f"{name} must hold {what} summing to 1 over axis 1 (the {arr.shape[1]} classes), "
            f"but a sum is off by {err:.3g} (shape {arr.shape})"
        )


def _check_ignore_index(ignore_index):
    return None if ignore_index is None else check_int(ignore_index, "ignore_index")


def _void(t, ignore_index):
    """Boolean mask of the entries equal to ``ignore_index`` (None when there are none)."""
    if ignore_index is None or not np.issubdtype(t.dtype, np.integer):
        return None
    void = t == ignore_index
    return void if void.any() else None


def _check_target(target, shape, *, hard=False, ignore_index=None, multilabel=False):
    """Validate the target; return ``(labels, g, valid)``.

    ``labels`` is a label map (void pixels set to 0) or None, ``g`` float labels of
    ``shape`` (void entries set to 0) or None, and ``valid`` None (no void entry) or a
    boolean array broadcastable to ``shape``, False at the void entries.
    """
    t = np.asarray(target)
    n, c = shape[:2]
    label_shape = (n, *shape[2:])
    if t.dtype == bool:
        t = t.view(np.uint8)
    if t.shape == label_shape and t.ndim == len(shape) - 1 and not multilabel:
        labels = as_label_array(t, "target")
        void = _void(labels, ignore_index)
        if void is not None:
            labels = np.where(void, 0, labels)
        top = max(c, 2)
        lo, hi = int(labels.min()), int(labels.max())
        if lo < 0 or hi >= top:
            bad = lo if lo < 0 else hi
            raise ValueError(
                f"target contains label {bad}, outside [0, {top}) for scores with "
                f"C={c} channel(s) (target shape {t.shape})"
                + ("" if ignore_index is None else f" and not ignore_index={ignore_index}")
            )
        return labels, None, None if void is None else ~void[:, None]
    if t.shape == tuple(shape):
        void = _void(t, ignore_index) if multilabel else None
        if void is not None:
            t = np.where(void, 0, t)
        g = as_float_array(t, "target")
        if g.min() < 0.0 or g.max() > 1.0:
            raise ValueError(
                f"target must hold labels in [0, 1], got values in "
                f"[{g.min():.6g}, {g.max():.6g}] (shape {g.shape})"
            )
        if hard and not np.all((g == 0.0) | (g == 1.0)):
            raise ValueError(
                f"target must hold hard labels (only 0 and 1) for this loss (shape {g.shape})"
            )
        if c > 1 and not multilabel:
            _check_sums_to_one(g, "target", "labels")
        return None, g, None if void is None else ~void
    if multilabel:
        raise ValueError(
            f"target shape {t.shape} differs from the scores shape {tuple(shape)}; with "
            f"multilabel=True the target is one binary mask per channel"
        )
    raise ValueError(
        f"target shape {t.shape} matches neither the label-map shape {label_shape} nor the "
        f"scores shape {tuple(shape)}"
    )


def _check_nonneg(value, name):
    return check_real(value, name, low=0.0, high=np.inf, high_open=True)


def _check_positive(value, name):
    return check_real(value, name, low=0.0, low_open=True, high=np.inf, high_open=True)


def _check_class_weights(weights, num, name):
    """Return per-class weights as a float64 array of length ``num`` (None gives ones)."""
    if weights is None:
        return np.ones(num)
    w = as_float_array(weights, name)
    if w.shape != (num,):
        raise ValueError(f"{name} must have shape ({num},), got shape {w.shape}")
    if w.min() < 0:
        raise ValueError(f"{name} must be non-negative, got minimum {w.min():.6g}")
    return w


# --------------------------------------------------------------------------
# Probabilities and the chain rule


class _Batch:
    """Validated scores and target with the probabilities and the chain rule back to scores.

    ``binary`` means one sigmoid per channel: ``C = 1``, or any ``C`` with
    ``multilabel=True``. ``valid`` is None or a boolean array broadcastable to the
    scores, False at the void entries (``ignore_index``).
    """

    def __init__(self, scores, target, from_logits, return_grad, *, hard=False,
                 ignore_index=None, multilabel=False):
        self.from_logits = check_bool(from_logits, "from_logits")
        self.return_grad = check_bool(return_grad, "return_grad")
        self.multilabel = check_bool(multilabel, "multilabel")
        ignore_index = _check_ignore_index(ignore_index)
        self.scores = _check_scores(scores, self.from_logits, self.multilabel)
        self.shape = self.scores.shape
        self.binary = self.shape[1] == 1 or self.multilabel
        self.labels, self._target, self.valid = _check_target(
            target, self.shape, hard=hard, ignore_index=ignore_index,
            multilabel=self.multilabel)
        self._probs = self._logp = None

    @property
    def target(self):
        """One-hot or soft labels, float64, of the shape of the scores (0 at void pixels)."""
        if self._target is None:
            labels, c = self.labels, self.shape[1]
            if c == 1:
                onehot = labels[:, None]
            else:
                onehot = labels[:, None] == np.arange(c).reshape((1, c) + (1,) * (labels.ndim - 1))
            if self.valid is not None:
                onehot = onehot * self.valid
            self._target = onehot.astype(np.float64)
        return self._target

    @property
    def probs(self):
        if self._probs is None:
            if not self.from_logits:
                self._probs = self.scores
            elif self.binary:
                self._probs = _sigmoid(self.scores)
            else:
                z = self.scores - self.scores.max(axis=1, keepdims=True)
                e = np.exp(z)
                total = e.sum(axis=1, keepdims=True)
                e /= total
                self._probs = e
                z -= np.log(total)
                self._logp = z
        return self._probs

    def masked_probs(self):
        """The probabilities with the void entries set to 0 (they enter no sum)."""
        return self.probs if self.valid is None else self.probs * self.valid

    def mask(self, grad):
        """``grad`` with the void entries set to exactly 0."""
        return grad if self.valid is None else np.where(self.valid, grad, 0.0)

    def log_probs(self):
        """Log-probabilities of the K >= 2 classes (-inf for a zero probability).

        From logits this is the log-softmax :math:`z - \\log\\sum e^z` (finite for any
        finite logits), never the log of the stored softmax, which underflows to 0.
        """
        p = self.probs
        if self._logp is None:
            with np.errstate(divide="ignore"):
                self._logp = np.log(p)
        return self._logp

    @property
    def count(self):
        """Number of non-void terms of a pixel loss: pixels, or (pixel, channel) entries
        when ``multilabel``."""
        if self.valid is not None:
            return int(np.count_nonzero(np.broadcast_to(self.valid, self._layout())))
        return int(np.prod(self._layout(), dtype=np.int64))

    def _layout(self):
        n, c = self.shape[:2]
        return (n, c if self.multilabel else 1, *self.shape[2:])

    def backward(self, grad_p):
        """Chain ``dL/dp`` back to the scores (no-op for probabilities)."""
        if not self.from_logits:
            return grad_p
        p = self.probs
        if self.binary:
            return grad_p * p * _sigmoid(-self.scores)
        return p * (grad_p - np.sum(grad_p * p, axis=1, keepdims=True))

    def two_class(self):
        """Probabilities, complements, log-probabilities and targets of the classes.

        The class axis is 1. For sigmoid channels (``binary``) each channel is the
        two-class problem of the softmax of the logits ``(0, x)``, stacked on a new
        axis 1: index 0 is the background, 1 the foreground, and the channels move to
        axis 2. Void entries have a zero target in both classes.
        """
        p, g = self.probs, self.target
        if not self.binary:
            return p, 1.0 - p, self.log_probs(), g
        background = 1.0 - g if self.valid is None else np.where(self.valid, 1.0 - g, 0.0)
        g = np.stack([background, g], axis=1)
        if self.from_logits:
            x = self.scores
            p = np.stack([_sigmoid(-x), p], axis=1)
            logp = np.stack([-np.logaddexp(0.0, x), -np.logaddexp(0.0, -x)], axis=1)
            return p, p[:, ::-1], logp, g
        p = np.stack([1.0 - p, p], axis=1)
        with np.errstate(divide="ignore"):
            logp = np.log(p)
        return p, 1.0 - p, logp, g

    def pixel_weights(self, m):
        """A per-pixel weight map ``(N, *spatial)`` in the layout of :meth:`two_class`."""
        return m[:, None, None] if self.binary else m[:, None]

    def result(self, value, grad_p=None, *, grad=None):
        if not self.return_grad:
            return float(value)
        if grad is None:
            grad = self.backward(grad_p)
        return float(value), np.asarray(grad, dtype=np.float64)


def _sigmoid(x):
    # scipy's expit is exact to rounding for every float and ~5x faster than
    # exp(-logaddexp(0, -x)); training loops call it twice per step.
    return special.expit(x)


# --------------------------------------------------------------------------
# Pixel losses: cross-entropy and focal


def _reduce(weights, batch, reduction):
    """The weights and the factor of a summed loss: 1, 1/count or 1/sum(weights).

    ``weights`` None means unit weights. For ``'weighted_mean'`` the weights are first
    divided by their largest entry: the ratio is unchanged and its sums stay finite for
    weights up to the largest float. A mean over no term (every pixel void, or every
    weight 0) is 0.
    """
    if reduction == "sum":
        return weights, 1.0
    if reduction == "mean" or weights is None:
        count = batch.count
        return weights, 1.0 / count if count else 0.0
    top = float(np.max(weights))
    if not top > 0:
        return weights, 0.0
    weights = weights / top
    return weights, 1.0 / float(np.sum(weights))


def _scaled_sum(terms, scale):
    """``scale * sum(terms)``; if the plain sum overflows, the sum of the scaled terms (a
    mean of finite terms is finite even when their sum is not)."""
    with np.errstate(over="ignore"):
        total = float(np.sum(terms))
    if np.isfinite(total):
        return scale * total
    return float(np.sum(terms * scale))


@fill_doc(_DOCS)
def cross_entropy(scores, target, *, from_logits=True, return_grad=False, class_weights=None,
                  pos_weight=1.0, weight_map=None, reduction="mean", ignore_index=None,
                  multilabel=False):
    r"""Cross-entropy (log loss), binary or softmax, with class and pixel weights.

    Parameters
    ----------
    %(scores)s
    %(target)s
    %(from_logits)s
    class_weights : array_like of float, shape (K,) or (2,) when C = 1, optional
        Non-negative weight :math:`w_c` of each class (background first when
        ``C = 1``). Default: all ones.
    pos_weight : float, default 1.0
        Extra factor on the foreground term when ``C = 1``, as PyTorch's
        ``BCEWithLogitsLoss(pos_weight=...)``; must be 1 when ``C >= 2``.
    weight_map : array_like of float, shape (N, ...), optional
        Non-negative per-pixel weight :math:`m_i`, e.g. from
        :func:`unet_weight_map`. Default: all ones.
    reduction : {'mean', 'sum', 'weighted_mean'}, default 'mean'
        ``'mean'`` divides the weighted sum by the number of non-void pixels;
        ``'weighted_mean'`` divides it by :math:`\sum_i m_i \sum_c w_c g_{ic}`
        (PyTorch's ``CrossEntropyLoss(weight=w)``; the loss is 0 when that sum
        is 0), computed with the weights divided by their largest value so
        that weights up to the largest float do not overflow; ``'sum'`` does
        not divide.
    %(ignore_index)s
    %(multilabel)s Here each channel's binary cross-entropy (with
        ``class_weights`` of shape (2,) and ``pos_weight`` as for ``C = 1``)
        is summed over channels and ``'mean'`` divides by the number of
        (pixel, channel) entries: the mean over channels of the ``C = 1``
        losses (PyTorch's ``BCEWithLogitsLoss``).

    Returns
    -------
    %(returns)s

    Raises
    ------
    %(raises)s

    Notes
    -----
    With :math:`g_{ic}` the (one-hot or soft) target and :math:`p_{ic}` the
    probabilities (for ``C = 1`` the two classes are background
    :math:`1 - \sigma(x)` and foreground :math:`\sigma(x)`, with
    :math:`w_1` multiplied by ``pos_weight``),

    .. math::

        L &= \frac{1}{Z} \sum_i m_i \sum_c -w_c\, g_{ic} \log p_{ic}, \\
        \frac{\partial L}{\partial x_{ic}} &= \frac{m_i}{Z}
        \Big(p_{ic} \sum_j w_j g_{ij} - w_c g_{ic}\Big),

    and :math:`\partial L / \partial p_{ic} = -m_i w_c g_{ic} / (Z p_{ic})`
    for probabilities (:math:`0 \log 0 = 0`; a zero probability of a class with
    target mass gives an infinite loss). For ``C = 1`` the logit gradient is
    :math:`(m_i/Z)\,(p (w_0 (1-g) + w_1 g) - w_1 g)`.

    Reproduces ``torch.nn.functional.cross_entropy(x, y, weight=w,
    reduction='mean')`` with ``reduction='weighted_mean'``, and
    ``binary_cross_entropy_with_logits(x, y, pos_weight=...)`` with
    ``reduction='mean'``. seglab's default ``'mean'`` divides by the number of
    pixels so that the weights change the trade-off between classes, not the
    scale of the loss per pixel.

    References
    ----------
    .. [1] Ronneberger, O., Fischer, P. and Brox, T. (2015). U-Net:
           Convolutional networks for biomedical image segmentation. MICCAI.

    Examples
    --------
    >>> import numpy as np
    >>> from seglab.losses import cross_entropy
    >>> round(cross_entropy(np.zeros((1, 1, 2)), np.array([[0, 1]])), 6)  # log 2
    0.693147
    >>> value, grad = cross_entropy(np.zeros((1, 2, 2)), np.array([[0, 1]]), return_grad=True)
    >>> grad[0]
    array([[-0.25,  0.25],
           [ 0.25, -0.25]])

    A void pixel (``ignore_index``) is as if it were not there:

    >>> y = np.array([[0, 1, 255]])
    >>> cross_entropy(np.zeros((1, 2, 3)), y, ignore_index=255) == cross_entropy(
    ...     np.zeros((1, 2, 2)), y[:, :2])
    True
    """
    batch = _Batch(scores, target, from_logits, return_grad, ignore_index=ignore_index,
                   multilabel=multilabel)
    check_choice(reduction, "reduction", ("mean", "sum", "weighted_mean"))
    num = 2 if batch.binary else batch.shape[1]
    w = _check_class_weights(class_weights, num, "class_weights")
    pos_weight = _check_nonneg(pos_weight, "pos_weight")
    if not batch.binary and pos_weight != 1.0:
        raise ValueError(f"pos_weight applies to binary scores (C = 1), got C = {num}")
    w = w.copy()
    w[-1] *= pos_weight if batch.binary else 1.0
    m = _check_weight_map(weight_map, batch.shape)
    if batch.labels is not None and not batch.binary:
        return _cross_entropy_labels(batch, w, m, reduction)
    p, _, logp, g = batch.two_class()
    cw = w.reshape((1, -1) + (1,) * (p.ndim - 2))
    wg = cw * g if m is None else cw * g * batch.pixel_weights(m)
    wg, scale = _reduce(wg, batch, reduction)
    with np.errstate(invalid="ignore"):
        terms = np.where(wg > 0, wg * logp, 0.0)
    value = -_scaled_sum(terms, scale)
    if not batch.return_grad:
        return value
    if batch.from_logits:
        full = scale * (p * np.sum(wg, axis=1, keepdims=True) - wg)
        grad = full[:, 1] if batch.binary else full
    else:
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            a = np.where(wg > 0, -scale * wg / p, 0.0)
        grad = a[:, 1] - a[:, 0] if batch.binary else a
    return batch.result(value, grad=grad)


def _cross_entropy_labels(batch, w, m, reduction):
    """Softmax cross-entropy of a label map: gathers at the labels, no one-hot array."""
    y = batch.labels[:, None]
    uniform = m is None and np.all(w == 1.0) and batch.valid is None
    wy = None if uniform else (w[batch.labels] if m is None else w[batch.labels] * m)[:, None]
    if batch.valid is not None:
        wy = wy * batch.valid
    wy, scale = _reduce(wy, batch, reduction)
    logp_y = np.take_along_axis(batch.log_probs(), y, axis=1)
    if wy is None:
        value = -_scaled_sum(logp_y, scale)
    else:
        with np.errstate(invalid="ignore"):
            value = -_scaled_sum(np.where(wy > 0, wy * logp_y, 0.0), scale)
    if not batch.return_grad:
        return value
    sw = scale if wy is None else scale * wy
    if batch.from_logits:
        grad = batch.probs * sw
        np.put_along_axis(grad, y, np.take_along_axis(grad, y, axis=1) - sw, axis=1)
    else:
        grad = np.zeros(batch.shape)
        p_y = np.take_along_axis(batch.probs, y, axis=1)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            np.put_along_axis(grad, y, np.where(sw > 0, -sw / p_y, 0.0), axis=1)
    return batch.result(value, grad=grad)


def _check_weight_map(weight_map, shape):
    if weight_map is None:
        return None
    m = as_float_array(weight_map, "weight_map")
    expected = (shape[0], *shape[2:])
    if m.shape != expected:
        raise ValueError(f"weight_map shape {m.shape} differs from the pixel shape {expected}")
    if m.min() < 0:
        raise ValueError(f"weight_map must be non-negative, got minimum {m.min():.6g}")
    return m


def _check_alpha(alpha, num):
    """Per-class focal weights: None gives ones, a float 1 - alpha on class 0, alpha elsewhere."""
    if alpha is None:
        return np.ones(num)
    if isinstance(alpha, numbers.Real) and not isinstance(alpha, bool):
        a = check_real(alpha, "alpha", low=0.0, high=1.0)
        return np.r_[1.0 - a, np.full(num - 1, a)]
    return _check_class_weights(alpha, num, "alpha")


@fill_doc(_DOCS)
def focal_loss(scores, target, *, from_logits=True, return_grad=False, gamma=2.0, alpha=None,
               reduction="mean", ignore_index=None, multilabel=False):
    r"""Focal loss of Lin et al. (2017), binary (sigmoid) or softmax.

    Parameters
    ----------
    %(scores)s
    %(target)s
    %(from_logits)s
    gamma : float, default 2.0
        Focusing parameter :math:`\gamma \ge 0`; 0 gives the cross-entropy.
    alpha : float or array_like of float, optional
        Class balance. A float :math:`\alpha \in [0, 1]` weighs the
        foreground (every class but 0 when ``C >= 2``) by :math:`\alpha` and
        the background by :math:`1 - \alpha`; an array gives one weight per
        class (two when ``C = 1``, background first). Default: no weighting.
    reduction : {'mean', 'sum'}, default 'mean'
        Mean over the non-void pixels (channels are summed, not averaged) or
        sum.
    %(ignore_index)s
    %(multilabel)s As in :func:`cross_entropy`, ``'mean'`` divides by the
        number of (pixel, channel) entries; ``alpha`` is as for ``C = 1``.

    Returns
    -------
    %(returns)s

    Raises
    ------
    %(raises)s

    Notes
    -----
    With :math:`u_{ic} = 1 - p_{ic}` and :math:`r = \log p / u`
    (:math:`r \to -1` as :math:`u \to 0`),

    .. math::

        L = \frac{1}{Z}\sum_i \sum_c -\alpha_c g_{ic} u_{ic}^{\gamma} \log p_{ic},
        \qquad
        \frac{\partial L}{\partial p_{ic}} =
        \frac{\alpha_c g_{ic}}{Z} u_{ic}^{\gamma}\Big(\gamma r_{ic} - \frac{1}{p_{ic}}\Big),

    and the logit gradient is :math:`b - p \sum_c b_c` with
    :math:`b_{ic} = p_{ic}\,\partial L/\partial p_{ic}`. For ``C = 1`` the two
    classes are :math:`(1 - \sigma(x), \sigma(x))`, the softmax of
    :math:`(0, x)`. A soft target weighs the focal terms of both classes,
    i.e. the expected focal loss under the label distribution.

    With hard targets, ``C = 1`` reproduces MONAI 1.6
    ``FocalLoss(gamma=..., alpha=..., reduction='mean')`` (sigmoid) and
    segmentation_models_pytorch 0.6 ``FocalLoss('binary', alpha=..., gamma=...)``;
    ``C >= 2`` reproduces MONAI's ``FocalLoss(use_softmax=True)`` times ``K``:
    MONAI's ``reduction='mean'`` also averages over the channel axis, which
    divides the per-pixel loss by the number of classes. smp's
    ``FocalLoss('multiclass')`` is a different loss, the sum over channels of
    the binary sigmoid focal loss of each channel against its one-vs-rest
    mask: call this function on ``scores[:, [c]]`` and ``target == c`` and average
    over ``c``.
    For soft targets MONAI and smp raise :math:`(1 - e^{-\mathrm{BCE}})` or
    :math:`\sigma(-x(2g-1))` to :math:`\gamma`, which is not an expectation over
    labels; seglab keeps the expectation.

    References
    ----------
    .. [1] Lin, T.-Y., Goyal, P., Girshick, R., He, K. and Dollár, P. (2017).
           Focal loss for dense object detection. ICCV.

    Examples
    --------
    >>> import numpy as np
    >>> from seglab.losses import cross_entropy, focal_loss
    >>> x, y = np.array([[[0.3, -1.2, 2.0]]]), np.array([[1, 0, 1]])
    >>> bool(np.isclose(focal_loss(x, y, gamma=0.0), cross_entropy(x, y)))
    True
    >>> round(focal_loss(np.zeros((1, 1, 1)), np.array([[1]]), gamma=2.0), 6)  # 0.25 log 2
    0.173287
    """
    batch = _Batch(scores, target, from_logits, return_grad, ignore_index=ignore_index,
                   multilabel=multilabel)
    gamma = _check_nonneg(gamma, "gamma")
    check_choice(reduction, "reduction", ("mean", "sum"))
    num = 2 if batch.binary else batch.shape[1]
    alpha = _check_alpha(alpha, num)
    p, u, logp, g = batch.two_class()
    aw = alpha.reshape((1, num) + (1,) * (p.ndim - 2))
    if batch.from_logits and not batch.binary:
        u = -np.expm1(logp)
    wg = aw * g
    ug = u**gamma
    _, scale = _reduce(None, batch, reduction)
    live = wg > 0
    with np.errstate(invalid="ignore"):
        terms = np.where(live, wg * ug * logp, 0.0)
    value = -_scaled_sum(terms, scale)
    if not batch.return_grad:
        return value
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        r = np.where(u > 0, logp / u, -1.0)
        if batch.from_logits:
            b = np.where(live, (scale * wg) * ug * (gamma * p * r - 1.0), 0.0)
            full = b - p * np.sum(b, axis=1, keepdims=True)
            grad = full[:, 1] if batch.binary else full
        else:
            a = np.where(live, (scale * wg) * ug * (gamma * r - 1.0 / p), 0.0)
            grad = a[:, 1] - a[:, 0] if batch.binary else a
    return batch.result(value, grad=grad)


# --------------------------------------------------------------------------
# Region losses


def _units(a, pooling):
    """View (N, C, *spatial) as (units, pixels): one row per (image, class) or per class."""
    n, c = a.shape[:2]
    if pooling == "image":
        return a.reshape(n * c, -1)
    return np.moveaxis(a, 1, 0).reshape(c, -1)


def _from_units(u, shape, pooling):
    if pooling == "image":
        return u.reshape(shape)
    return np.moveaxis(u.reshape((shape[1], shape[0]) + tuple(shape[2:])), 0, 1)


def _unit_weights(present, absent, groups):
    """Weight of each unit's loss in the mean, following the ``absent`` convention.

    Units come image-major (``groups`` images of equally many classes); with
    ``'exclude'`` each image averages over its present classes and the images
    with a present class are then averaged, as Berman et al.'s
    ``classes='present'`` (which differs only on images with no class present).
    """
    if absent == "include":
        return np.full(present.shape, 1.0 / present.size)
    mask = present.astype(np.float64)
    if absent == "zero":
        return mask / present.size
    mask = mask.reshape(groups, -1)
    count = mask.sum(axis=1, keepdims=True)
    filled = max(int(np.count_nonzero(count)), 1)
    weights = np.divide(mask, count * filled, out=np.zeros_like(mask), where=count > 0)
    return weights.ravel()


def _ratio(num, den):
    """``num / den`` and ``1 / den`` per unit, with ``den == 0`` a perfect score (1, 0)."""
    ok = den > 0
    s = np.divide(num, den, out=np.ones_like(num), where=ok)
    inv = np.divide(1.0, den, out=np.zeros_like(den), where=ok)
    return s, inv


def _check_region_options(pooling, absent, smooth_nr, smooth_dr):
    check_choice(pooling, "pooling", ("image", "batch"))
    check_choice(absent, "absent", ("include", "zero", "exclude"))
    return _check_nonneg(smooth_nr, "smooth_nr"), _check_nonneg(smooth_dr, "smooth_dr")


def _region(batch, pooling, absent, unit_loss, *, squared=False):
    """Mean over units of ``unit_loss`` and the gradient with respect to the probabilities.

    ``unit_loss(I, Sp, Sg, D)`` gets per-unit sums (intersection, prediction and
    target sizes, L1 distance) and returns the unit losses and their partial
    derivatives with respect to I, Sp and D.
    """
    p = _units(batch.masked_probs(), pooling)
    g = _units(batch.target, pooling)
    inter = np.einsum("um,um->u", p, g)
    if squared:
        sp, sg = np.einsum("um,um->u", p, p), np.einsum("um,um->u", g, g)
    else:
        sp, sg = p.sum(axis=1), g.sum(axis=1)
    diff = np.abs(p - g).sum(axis=1) if unit_loss.needs_l1 else None
    loss, c_i, c_p, c_d = unit_loss(inter, sp, sg, diff)
    groups = batch.shape[0] if pooling == "image" else 1
    weights = _unit_weights(g.sum(axis=1) > 0, absent, groups)
    value = float(np.dot(weights, loss))
    if not batch.return_grad:
        return value, None
    dsp = 2.0 * p if squared else 1.0
    grad = (weights * c_i)[:, None] * g + (weights * c_p)[:, None] * dsp
    if c_d is not None:
        grad += (weights * c_d)[:, None] * np.sign(p - g)
    return value, batch.mask(_from_units(grad, batch.shape, pooling))


def _unit(needs_l1=False):
    def wrap(func):
        func.needs_l1 = needs_l1
        return func
    return wrap


def _dice_unit(smooth_nr, smooth_dr):
    @_unit()
    def unit(inter, sp, sg, _):
        s, inv = _ratio(2.0 * inter + smooth_nr, sp + sg + smooth_dr)
        return 1.0 - s, -2.0 * inv, s * inv, None
    return unit


def _jaccard_unit(smooth_nr, smooth_dr):
    @_unit()
    def unit(inter, sp, sg, _):
        s, inv = _ratio(inter + smooth_nr, sp + sg - inter + smooth_dr)
        return 1.0 - s, -(1.0 + s) * inv, s * inv, None
    return unit


def _tversky_unit(alpha, beta, smooth_nr, smooth_dr, gamma=1.0):
    @_unit()
    def unit(inter, sp, sg, _):
        # TP + alpha FP + beta FN with FP = Sp - I and FN = Sg - I.
        den = (1.0 - alpha - beta) * inter + alpha * sp + beta * sg + smooth_dr
        s, inv = _ratio(inter + smooth_nr, den)
        c_i = -(1.0 - s * (1.0 - alpha - beta)) * inv
        c_p = s * alpha * inv
        if gamma == 1.0:
            return 1.0 - s, c_i, c_p, None
        e = 1.0 / gamma
        gap = np.maximum(1.0 - s, 0.0)
        # d/dT (1 - T)^e; at T = 1 the one-sided derivative is 0 (e > 1) or infinite
        # (e < 1): declared 0.
        with np.errstate(divide="ignore"):
            factor = np.where(gap > 0, e * gap ** (e - 1.0), 0.0)
        return gap**e, factor * c_i, factor * c_p, None
    return unit


def _jml_unit(smooth_nr, smooth_dr):
    @_unit(needs_l1=True)
    def unit(inter, sp, sg, diff):
        s, inv = _ratio(sp + sg - diff + smooth_nr, sp + sg + diff + smooth_dr)
        return 1.0 - s, np.zeros_like(s), -(1.0 - s) * inv, (1.0 + s) * inv
    return unit


def _overlap_loss(unit, scores, target, from_logits, return_grad, pooling, absent, *,
                  squared=False, ignore_index=None, multilabel=False):
    batch = _Batch(scores, target, from_logits, return_grad, ignore_index=ignore_index,
                   multilabel=multilabel)
    value, grad_p = _region(batch, pooling, absent, unit, squared=squared)
    return batch.result(value, grad_p)


@fill_doc(_DOCS)
def soft_dice_loss(scores, target, *, from_logits=True, return_grad=False, squared=False,
                   pooling="image", absent="include", smooth_nr=0.0, smooth_dr=0.0,
        ignore_index=None, multilabel=False):
    r"""Soft Dice loss: one minus the soft Dice coefficient, averaged over units.

    Parameters
    ----------
    %(scores)s
    %(target)s
    %(from_logits)s
    squared : bool, default False
        Square the terms of the denominator, as Milletari et al. (2016).
    %(pooling)s
    %(absent)s Default ``'include'``.
    %(smooth)s
    %(ignore_index)s
    %(multilabel)s Every channel forms units (no background channel).

    Returns
    -------
    %(returns)s

    Raises
    ------
    %(raises)s

    Notes
    -----
    Per unit, with :math:`I = \sum_i p_i g_i` and :math:`S_p = \sum_i p_i^k`,
    :math:`S_g = \sum_i g_i^k` (:math:`k = 2` if ``squared`` else 1),

    .. math::

        \ell = 1 - \frac{2I + s_n}{S_p + S_g + s_d}, \qquad
        \frac{\partial \ell}{\partial p_i} = \frac{-2 g_i + (1 - \ell)\, k p_i^{k-1}}
        {S_p + S_g + s_d},

    the per-pixel gradient :math:`(2/S)(\mathrm{SD}/2 - g_i)` of the book's
    chapter 2 (:math:`k = 1`). On binary :math:`p` (unsmoothed) it is one minus
    the Dice coefficient.

    Peers: MONAI 1.6 ``DiceLoss(squared_pred=..., batch=pooling == 'batch',
    smooth_nr=..., smooth_dr=...)`` on probabilities equals this loss with
    ``absent='include'``; MONAI's default smoothing is 1e-5, seglab's 0 (the
    value is then the Dice formula exactly, and an absent class is declared
    by ``absent``). segmentation_models_pytorch 0.6
    ``DiceLoss('multiclass' or 'binary', smooth=s)`` pools over the batch and
    zeroes the loss of a class absent from the batch: ``pooling='batch'``,
    ``absent='zero'``, ``smooth_nr=smooth_dr=s``. seglab does not zero by
    default because a zero loss for a class with false positives hides them.

    References
    ----------
    .. [1] Milletari, F., Navab, N. and Ahmadi, S.-A. (2016). V-Net: Fully
           convolutional neural networks for volumetric medical image
           segmentation. 3DV.

    Examples
    --------
    >>> import numpy as np
    >>> from seglab.losses import soft_dice_loss
    >>> p = np.array([[[1.0, 1.0, 0.0, 0.0]]])          # binary prediction, C = 1
    >>> g = np.array([[1, 0, 1, 1]])
    >>> soft_dice_loss(p, g, from_logits=False)          # 1 - 2*1/(2+3)
    0.6

    Two overlapping regions, one sigmoid per channel (Dice 2/3.5 and 1/2.5):

    >>> g = np.array([[[1, 1, 0], [0, 1, 0]]])
    >>> round(soft_dice_loss(np.zeros((1, 2, 3)), g, multilabel=True), 6)
    0.514286
    """
    squared = check_bool(squared, "squared")
    nr, dr = _check_region_options(pooling, absent, smooth_nr, smooth_dr)
    return _overlap_loss(_dice_unit(nr, dr), scores, target, from_logits, return_grad,
                         pooling, absent, squared=squared, ignore_index=ignore_index,
                         multilabel=multilabel)


@fill_doc(_DOCS)
def soft_jaccard_loss(scores, target, *, from_logits=True, return_grad=False, pooling="image",
                      absent="include", smooth_nr=0.0, smooth_dr=0.0,
        ignore_index=None, multilabel=False):
    r"""Soft Jaccard (IoU) loss: one minus :math:`I / (S_p + S_g - I)`, averaged over units.

    Parameters
    ----------
    %(scores)s
    %(target)s
    %(from_logits)s
    %(pooling)s
    %(absent)s Default ``'include'``.
    %(smooth)s
    %(ignore_index)s
    %(multilabel)s Every channel forms units (no background channel).

    Returns
    -------
    %(returns)s

    Raises
    ------
    %(raises)s

    Notes
    -----
    Per unit, with :math:`J = (I + s_n)/(S_p + S_g - I + s_d)` and
    :math:`D = S_p + S_g - I + s_d`,

    .. math::

        \ell = 1 - J, \qquad
        \frac{\partial \ell}{\partial p_i} = \frac{J - (1 + J) g_i}{D}.

    With soft labels the minimiser is not :math:`p = g` (a target of 0.5 is
    best matched by :math:`p = 1`); :func:`jaccard_metric_loss` fixes this.

    Peers: segmentation_models_pytorch 0.6 ``JaccardLoss(mode, smooth=s)`` with
    hard labels equals ``pooling='batch'``, ``absent='zero'``,
    ``smooth_nr=smooth_dr=s`` (smp 0.6 computes the intersection as
    :math:`(S_p + S_g - \|p - g\|_1)/2`, which is :func:`jaccard_metric_loss`
    on soft labels and this loss on hard ones). seglab's defaults (per-image
    units, absent classes kept) differ for the reasons given in
    :func:`soft_dice_loss`.

    References
    ----------
    .. [1] Rahman, M. A. and Wang, Y. (2016). Optimizing intersection-over-union
           in deep neural networks for image segmentation. ISVC.

    Examples
    --------
    >>> import numpy as np
    >>> from seglab.losses import soft_jaccard_loss
    >>> p = np.array([[[1.0, 1.0, 0.0, 0.0]]])
    >>> soft_jaccard_loss(p, np.array([[1, 0, 1, 1]]), from_logits=False)  # 1 - 1/4
    0.75
    """
    nr, dr = _check_region_options(pooling, absent, smooth_nr, smooth_dr)
    return _overlap_loss(_jaccard_unit(nr, dr), scores, target, from_logits, return_grad,
                         pooling, absent, ignore_index=ignore_index, multilabel=multilabel)


def _check_tversky(alpha, beta):
    return _check_nonneg(alpha, "alpha"), _check_nonneg(beta, "beta")


@fill_doc(_DOCS)
def tversky_loss(scores, target, *, from_logits=True, return_grad=False, alpha=0.5, beta=0.5,
                 pooling="image", absent="include", smooth_nr=0.0, smooth_dr=0.0,
        ignore_index=None, multilabel=False):
    r"""Tversky loss: one minus the soft Tversky index, averaged over units.

    Parameters
    ----------
    %(scores)s
    %(target)s
    %(from_logits)s
    alpha, beta : float, default 0.5
        Non-negative weights of the soft false positives and false negatives
        (Salehi et al. 2017; :math:`\alpha = \beta = 1/2` is soft Dice,
        :math:`\alpha = \beta = 1` soft Jaccard).
    %(pooling)s
    %(absent)s Default ``'include'``.
    %(smooth)s
    %(ignore_index)s
    %(multilabel)s Every channel forms units (no background channel).

    Returns
    -------
    %(returns)s

    Raises
    ------
    %(raises)s

    Notes
    -----
    Per unit, :math:`\mathrm{TP} = I`, :math:`\mathrm{FP} = \sum_i p_i(1 - g_i) = S_p - I`,
    :math:`\mathrm{FN} = \sum_i (1 - p_i) g_i = S_g - I`; with
    :math:`D = (1 - \alpha - \beta) I + \alpha S_p + \beta S_g + s_d` and
    :math:`T = (I + s_n)/D`,

    .. math::

        \ell = 1 - T, \qquad
        \frac{\partial \ell}{\partial p_i} =
        \frac{\alpha T - (1 - (1 - \alpha - \beta) T)\, g_i}{D}.

    Peers: MONAI 1.6 ``TverskyLoss(alpha=..., beta=..., batch=...)`` equals
    ``absent='include'`` (MONAI's smoothing defaults to 1e-5);
    segmentation_models_pytorch 0.6 ``TverskyLoss(mode, alpha=..., beta=...,
    gamma=1.0)`` equals ``pooling='batch'``, ``absent='zero'``. Both name the
    false-positive weight ``alpha`` and the false-negative weight ``beta``.
    seglab's defaults (no smoothing, per-image units, absent classes kept)
    differ for the reasons given in :func:`soft_dice_loss`.

    References
    ----------
    .. [1] Salehi, S. S. M., Erdogmus, D. and Gholipour, A. (2017). Tversky loss
           function for image segmentation using 3D fully convolutional deep
           networks. MLMI.

    Examples
    --------
    >>> import numpy as np
    >>> from seglab.losses import soft_dice_loss, tversky_loss
    >>> x, y = np.array([[[0.5, -2.0, 1.0]]]), np.array([[1, 0, 1]])
    >>> bool(np.isclose(tversky_loss(x, y), soft_dice_loss(x, y)))
    True
    """
    alpha, beta = _check_tversky(alpha, beta)
    nr, dr = _check_region_options(pooling, absent, smooth_nr, smooth_dr)
    return _overlap_loss(_tversky_unit(alpha, beta, nr, dr), scores, target, from_logits,
                         return_grad, pooling, absent, ignore_index=ignore_index,
                         multilabel=multilabel)


@fill_doc(_DOCS)
def focal_tversky_loss(scores, target, *, from_logits=True, return_grad=False, alpha=0.3,
                       beta=0.7, gamma=4.0 / 3.0, pooling="image", absent="include",
                       smooth_nr=0.0, smooth_dr=0.0,
        ignore_index=None, multilabel=False):
    r"""Focal Tversky loss of Abraham & Khan (2019): :math:`(1 - T)^{1/\gamma}` per class.

    Parameters
    ----------
    %(scores)s
    %(target)s
    %(from_logits)s
    alpha, beta : float, default 0.3, 0.7
        Weights of the false positives and false negatives (Abraham & Khan's
        :math:`\alpha = 0.7` weighs false negatives; here it is ``beta``).
    gamma : float, default 4/3
        The paper's :math:`\gamma > 0`; each unit's Tversky loss is raised to
        :math:`1/\gamma` *before* the mean over units.
    %(pooling)s
    %(absent)s Default ``'include'``.
    %(smooth)s
    %(ignore_index)s
    %(multilabel)s Every channel forms units (no background channel).

    Returns
    -------
    %(returns)s

    Raises
    ------
    %(raises)s

    Notes
    -----
    Per unit, with :math:`T` and :math:`\partial(1 - T)/\partial p_i` as in
    :func:`tversky_loss` and :math:`e = 1/\gamma`,

    .. math::

        \ell = (1 - T)^{e}, \qquad
        \frac{\partial \ell}{\partial p_i} = e (1 - T)^{e - 1}
        \frac{\partial (1 - T)}{\partial p_i};

    at :math:`T = 1` the factor :math:`e(1 - T)^{e-1}` is declared 0 (its
    one-sided limit is infinite for :math:`\gamma > 1`).

    segmentation_models_pytorch 0.6 ``TverskyLoss(gamma=g)`` raises the *mean*
    over classes to the power ``g``, which is not the paper's per-class focal
    term; with one unit (binary, ``pooling='batch'``) the two agree for
    ``g = 1/gamma``.

    References
    ----------
    .. [1] Abraham, N. and Khan, N. M. (2019). A novel focal Tversky loss function
           with improved attention U-Net for lesion segmentation. ISBI.

    Examples
    --------
    >>> import numpy as np
    >>> from seglab.losses import focal_tversky_loss, tversky_loss
    >>> x, y = np.array([[[0.5, -2.0, 1.0]]]), np.array([[1, 0, 1]])
    >>> t = tversky_loss(x, y, alpha=0.3, beta=0.7)
    >>> bool(np.isclose(focal_tversky_loss(x, y, gamma=2.0), t ** 0.5))
    True
    """
    alpha, beta = _check_tversky(alpha, beta)
    gamma = _check_positive(gamma, "gamma")
    nr, dr = _check_region_options(pooling, absent, smooth_nr, smooth_dr)
    return _overlap_loss(_tversky_unit(alpha, beta, nr, dr, gamma), scores, target,
                         from_logits, return_grad, pooling, absent, ignore_index=ignore_index,
                         multilabel=multilabel)


@fill_doc(_DOCS)
def jaccard_metric_loss(scores, target, *, from_logits=True, return_grad=False,
                        pooling="image", absent="include", smooth_nr=0.0, smooth_dr=0.0,
        ignore_index=None, multilabel=False):
    r"""Jaccard metric loss of Wang, Ning & Blaschko (2023), exact for soft labels.

    Parameters
    ----------
    %(scores)s
    %(target)s
    %(from_logits)s
    %(pooling)s
    %(absent)s Default ``'include'``.
    %(smooth)s
    %(ignore_index)s
    %(multilabel)s Every channel forms units (no background channel).

    Returns
    -------
    %(returns)s

    Raises
    ------
    %(raises)s

    Notes
    -----
    Per unit, with L1 norms :math:`S_p = \|p\|_1`, :math:`S_g = \|g\|_1`,
    :math:`\Delta = \|p - g\|_1`,

    .. math::

        \ell &= 1 - \frac{S_p + S_g - \Delta + s_n}{S_p + S_g + \Delta + s_d},
        \\
        \frac{\partial \ell}{\partial p_i} &=
        \frac{-(1 - \ell') + (1 + \ell')\operatorname{sign}(p_i - g_i)}
        {S_p + S_g + \Delta + s_d},

    where :math:`\ell' = 1 - \ell` is the score and :math:`\operatorname{sign}(0) = 0`
    (a subgradient at :math:`p_i = g_i`). On hard labels it equals
    :func:`soft_jaccard_loss`; on soft labels it is zero exactly when
    :math:`p = g`, unlike soft Jaccard.

    References
    ----------
    .. [1] Wang, Z., Ning, X. and Blaschko, M. B. (2023). Jaccard metric losses:
           Optimizing the Jaccard index with soft labels. NeurIPS.

    Examples
    --------
    >>> import numpy as np
    >>> from seglab.losses import jaccard_metric_loss
    >>> g = np.full((1, 1, 4), 0.5)
    >>> jaccard_metric_loss(g, g, from_logits=False)
    0.0
    """
    nr, dr = _check_region_options(pooling, absent, smooth_nr, smooth_dr)
    return _overlap_loss(_jml_unit(nr, dr), scores, target, from_logits, return_grad,
                         pooling, absent, ignore_index=ignore_index, multilabel=multilabel)


@fill_doc(_DOCS)
def log_cosh_dice_loss(scores, target, *, from_logits=True, return_grad=False, squared=False,
                       pooling="image", absent="include", smooth_nr=0.0, smooth_dr=0.0,
        ignore_index=None, multilabel=False):
    r"""Log-cosh Dice loss of Jadon (2020): :math:`\log\cosh` of :func:`soft_dice_loss`.

    Parameters
    ----------
    %(scores)s
    %(target)s
    %(from_logits)s
    squared : bool, default False
        As in :func:`soft_dice_loss`.
    %(pooling)s
    %(absent)s Default ``'include'``.
    %(smooth)s
    %(ignore_index)s
    %(multilabel)s Every channel forms units (no background channel).

    Returns
    -------
    %(returns)s

    Raises
    ------
    %(raises)s

    Notes
    -----
    With :math:`L_D` the soft Dice loss (same options),
    :math:`L = \log\cosh L_D` and :math:`\nabla L = \tanh(L_D)\, \nabla L_D`.
    As in Jadon's reference code the log-cosh is applied to the averaged Dice
    loss.

    References
    ----------
    .. [1] Jadon, S. (2020). A survey of loss functions for semantic segmentation.
           CIBCB.

    Examples
    --------
    >>> import numpy as np
    >>> from seglab.losses import log_cosh_dice_loss
    >>> p = np.array([[[1.0, 1.0, 0.0, 0.0]]])
    >>> g = np.array([[1, 0, 1, 1]])
    >>> round(log_cosh_dice_loss(p, g, from_logits=False), 6)  # log cosh 0.6
    0.170135
    """
    out = soft_dice_loss(scores, target, from_logits=from_logits, return_grad=return_grad,
                         squared=squared, pooling=pooling, absent=absent, smooth_nr=smooth_nr,
                         smooth_dr=smooth_dr, ignore_index=ignore_index, multilabel=multilabel)
    if not return_grad:
        return _log_cosh(out)
    value, grad = out
    return _log_cosh(value), np.tanh(value) * grad


def _log_cosh(x):
    r""":math:`\log\cosh x = |x| + \log(1 + e^{-2|x|}) - \log 2`, which does not overflow
    where :math:`\cosh x` does (:math:`|x| > 710`)."""
    a = abs(float(x))
    return a + math.log1p(math.exp(-2.0 * a)) - math.log(2.0)


_GDL_WEIGHTS = ("square", "simple", "uniform")


@fill_doc(_DOCS)
def generalized_dice_loss(scores, target, *, from_logits=True, return_grad=False,
                          weight_type="square", pooling="image", absent_weight="max",
                          smooth_nr=0.0, smooth_dr=0.0, ignore_index=None, multilabel=False):
    r"""Generalized Dice loss of Sudre et al. (2017), class weights :math:`1/|G_c|^2`.

    Parameters
    ----------
    %(scores)s
    %(target)s
    %(from_logits)s
    weight_type : {'square', 'simple', 'uniform'}, default 'square'
        Class weight :math:`w_c = 1/S_{g,c}^2`, :math:`1/S_{g,c}` or 1.
    pooling : {'image', 'batch'}, default 'image'
        One generalized Dice ratio per image (the loss is their mean), or one
        for the whole batch.
    absent_weight : {'max', 'zero'}, default 'max'
        Weight of a class absent from the image (or batch), whose weight
        :math:`1/0` is undefined: the largest weight of the present classes
        (MONAI's choice: false positives on an absent class still count), or
        0 (the class is left out). With no class present (possible for
        ``C = 1``: an image without foreground) every weight is 0, and the
        image's loss is :math:`1 - s_n/s_d`, or 0 without smoothing (the
        0/0 convention of the module).
    %(smooth)s
    %(ignore_index)s
    %(multilabel)s Every channel forms units (no background channel).

    Returns
    -------
    %(returns)s

    Raises
    ------
    %(raises)s

    Notes
    -----
    Per image (or batch), with :math:`I_c`, :math:`S_{p,c}`, :math:`S_{g,c}`
    the sums of class :math:`c`, :math:`N = 2\sum_c w_c I_c + s_n` and
    :math:`D = \sum_c w_c (S_{p,c} + S_{g,c}) + s_d`,

    .. math::

        \ell = 1 - \frac{N}{D}, \qquad
        \frac{\partial \ell}{\partial p_{ci}} = \frac{w_c\,(N/D - 2 g_{ci})}{D}.

    The weights depend on the target only and are constants for the gradient.
    For ``C = 1`` the only class is the foreground channel.

    Reproduces MONAI 1.6 ``GeneralizedDiceLoss(w_type=weight_type,
    batch=pooling == 'batch', smooth_nr=..., smooth_dr=...)`` with
    ``absent_weight='max'``; MONAI's default smoothing is 1e-5, seglab's 0.

    References
    ----------
    .. [1] Sudre, C. H., Li, W., Vercauteren, T., Ourselin, S. and Cardoso, M. J.
           (2017). Generalised Dice overlap as a deep learning loss function for
           highly unbalanced segmentations. DLMIA.

    Examples
    --------
    >>> import numpy as np
    >>> from seglab.losses import generalized_dice_loss
    >>> p = np.array([[[0.9, 0.2, 0.1], [0.1, 0.8, 0.9]]])
    >>> g = np.array([[0, 1, 1]])
    >>> round(generalized_dice_loss(p, g, from_logits=False), 6)  # 1 - 2.65/3.15
    0.15873
    """
    batch = _Batch(scores, target, from_logits, return_grad, ignore_index=ignore_index,
                   multilabel=multilabel)
    check_choice(weight_type, "weight_type", _GDL_WEIGHTS)
    check_choice(pooling, "pooling", ("image", "batch"))
    check_choice(absent_weight, "absent_weight", ("max", "zero"))
    nr, dr = _check_nonneg(smooth_nr, "smooth_nr"), _check_nonneg(smooth_dr, "smooth_dr")
    groups = batch.shape[0] if pooling == "image" else 1
    p = _units(batch.masked_probs(), pooling)
    g = _units(batch.target, pooling)
    inter = np.einsum("um,um->u", p, g).reshape(groups, -1)
    sp, sg = p.sum(axis=1).reshape(groups, -1), g.sum(axis=1).reshape(groups, -1)
    present = sg > 0
    power = {"square": 2.0, "simple": 1.0, "uniform": 0.0}[weight_type]
    w = np.divide(1.0, sg**power, out=np.zeros_like(sg), where=present)
    if absent_weight == "max":
        w = np.where(present, w, w.max(axis=1, keepdims=True))
    score, inv = _ratio(2.0 * np.sum(w * inter, axis=1) + nr, np.sum(w * (sp + sg), axis=1) + dr)
    value = float(np.mean(1.0 - score))
    if not batch.return_grad:
        return value
    coef = (w * inv[:, None] / groups).reshape(-1, 1)
    grad = coef * (score.repeat(w.shape[1])[:, None] - 2.0 * g)
    return batch.result(value, batch.mask(_from_units(grad, batch.shape, pooling)))


# --------------------------------------------------------------------------
# Lovász extensions


def _lovasz(errors, g):
    """Lovász extension of the Jaccard loss per row, and its gradient in the errors.

    Sorting the errors decreasingly, the extension is :math:`\\sum_k e_{(k)} \\delta_k`
    with :math:`\\delta_k = \\Delta(\\{1..k\\}) - \\Delta(\\{1..k-1\\})` (Berman et al.,
    Algorithm 1). Returns the per-row values of ``sum relu(e) delta`` and the gradient
    of each row with respect to its unsorted errors (``delta`` scattered back).
    """
    order = np.argsort(-errors, axis=1)
    g_sorted = np.take_along_axis(g, order, axis=1)
    e_sorted = np.take_along_axis(errors, order, axis=1)
    total = g_sorted.sum(axis=1, keepdims=True)
    hits = np.cumsum(g_sorted, axis=1)
    # the union is >= 1 for every prefix: either total >= 1 or every prefix pixel is a miss
    union = total + np.arange(1, g.shape[1] + 1) - hits
    jaccard = 1.0 - (total - hits) / union
    delta = np.diff(jaccard, axis=1, prepend=0.0)
    values = np.einsum("um,um->u", np.maximum(e_sorted, 0.0), delta)
    grad = np.empty_like(delta)
    np.put_along_axis(grad, order, delta, axis=1)
    return values, grad


def _check_lovasz_options(pooling, absent):
    check_choice(pooling, "pooling", ("image", "batch"))
    check_choice(absent, "absent", ("include", "zero", "exclude"))


def _void_errors(batch, pooling, errors, low):
    """Errors in the unit layout with the void entries set to ``low`` (below every error)."""
    if batch.valid is None:
        return errors
    valid = _units(np.broadcast_to(batch.valid, batch.shape), pooling)
    return np.where(valid, errors, low)


@fill_doc(_DOCS)
def lovasz_softmax(scores, target, *, from_logits=True, return_grad=False, pooling="image",
                   absent="exclude", ignore_index=None, multilabel=False):
    r"""Lovász-softmax loss of Berman et al. (2018): the Lovász extension of the Jaccard loss.

    Parameters
    ----------
    %(scores)s
    %(hard_target)s
    %(from_logits)s
    %(pooling)s
    %(absent)s Default ``'exclude'`` (Berman et al.'s ``classes='present'``).
    %(ignore_index)s
    %(multilabel)s Each channel is a unit of errors :math:`|g - \sigma(x)|`
        (Berman's sigmoid case).

    Returns
    -------
    %(returns)s

    Raises
    ------
    %(raises)s

    Notes
    -----
    Per unit (class :math:`c`), the errors are :math:`e_i = |g_i - p_i|` and,
    sorting them so that :math:`e_{\pi(1)} \ge \dots \ge e_{\pi(m)}`,

    .. math::

        \ell &= \sum_{k=1}^{m} e_{\pi(k)}\,\delta_k, \\
        \delta_k &= \Delta_J(\{\pi(1), \dots, \pi(k)\}) - \Delta_J(\{\pi(1), \dots, \pi(k-1)\}),

    where :math:`\Delta_J(M) = |M| / |G \cup M|` (for a set :math:`M` of
    mispredicted pixels) is the Jaccard loss. :math:`\ell` is piecewise linear, so
    :math:`\partial \ell / \partial e_{\pi(k)} = \delta_k` away from ties, and
    :math:`\partial e_i / \partial p_i = 1 - 2 g_i`. One sort per unit:
    :math:`O(m \log m)`. At ties the value is unique and the gradient is the one
    of the order returned by :func:`numpy.argsort` (a subgradient).

    Reproduces segmentation_models_pytorch 0.6
    ``LovaszLoss('multiclass', per_image=pooling == 'image')`` (and Berman et
    al.'s ``lovasz_softmax(..., classes='present')``) with
    ``absent='exclude'``. For ``C = 1`` the unit is the foreground
    probability :math:`\sigma(x)` alone (Berman's sigmoid case). smp's and
    Berman's ``lovasz_softmax`` default to one unit per class over the whole
    batch; seglab defaults to per-image units, the surrogate of the mean
    per-image IoU, the usual evaluation of a segmentation data set (Berman et
    al. compare both).

    References
    ----------
    .. [1] Berman, M., Rannen Triki, A. and Blaschko, M. B. (2018). The
           Lovász-Softmax loss: A tractable surrogate for the optimization of
           the intersection-over-union measure in neural networks. CVPR.

    Examples
    --------
    >>> import numpy as np
    >>> from seglab.losses import lovasz_softmax
    >>> p = np.array([[[1.0, 1.0, 0.0, 0.0]]])          # on hard masks: the Jaccard loss
    >>> lovasz_softmax(p, np.array([[1, 0, 1, 1]]), from_logits=False)
    0.75
    """
    batch = _Batch(scores, target, from_logits, return_grad, hard=True,
                   ignore_index=ignore_index, multilabel=multilabel)
    _check_lovasz_options(pooling, absent)
    p = _units(batch.probs, pooling)
    g = _units(batch.target, pooling)
    # void errors are -1: below every error in [0, 1], they sort last and add nothing
    errors = _void_errors(batch, pooling, np.abs(g - p), -1.0)
    losses, grad_e = _lovasz(errors, g)
    groups = batch.shape[0] if pooling == "image" else 1
    weights = _unit_weights(g.sum(axis=1) > 0, absent, groups)
    value = float(np.dot(weights, losses))
    if not batch.return_grad:
        return value
    grad_p = weights[:, None] * grad_e * (1.0 - 2.0 * g)
    return batch.result(value, batch.mask(_from_units(grad_p, batch.shape, pooling)))


@fill_doc(_DOCS)
def lovasz_hinge(scores, target, *, from_logits=True, return_grad=False, pooling="image",
                 absent="include", ignore_index=None, multilabel=False):
    r"""Binary Lovász hinge loss of Berman et al. (2018) on the foreground logit.

    Parameters
    ----------
    scores : array_like of float, shape (N, 1, ...)
        Foreground logits, or probabilities in the open interval (0, 1) with
        ``from_logits=False`` (they are mapped to logits
        :math:`\log(p/(1-p))`).
    %(hard_target)s
    %(from_logits)s
    %(pooling)s
    %(absent)s Default ``'include'`` (Berman et al.: an image without
        foreground still penalises positive margins).
    %(ignore_index)s
    %(multilabel)s Each channel is a binary hinge problem, ``C >= 1``.

    Returns
    -------
    %(returns)s

    Raises
    ------
    %(raises)s
        Also if ``C != 1`` without ``multilabel``, or a probability is 0 or 1.

    Notes
    -----
    With signs :math:`s_i = 2 g_i - 1` and hinge errors
    :math:`e_i = 1 - s_i x_i`, the loss is the Lovász extension of the
    Jaccard loss (see :func:`lovasz_softmax`) at :math:`\max(e, 0)`:

    .. math::

        \ell = \sum_k \max(e_{\pi(k)}, 0)\,\delta_k, \qquad
        \frac{\partial \ell}{\partial x_i} = -s_i\,[e_i > 0]\,\delta_{\pi^{-1}(i)} .

    Reproduces segmentation_models_pytorch 0.6
    ``LovaszLoss('binary', per_image=pooling == 'image')`` and Berman et al.'s
    ``lovasz_hinge`` with ``absent='include'``.

    References
    ----------
    .. [1] Berman, M., Rannen Triki, A. and Blaschko, M. B. (2018). The
           Lovász-Softmax loss: A tractable surrogate for the optimization of
           the intersection-over-union measure in neural networks. CVPR.

    Examples
    --------
    >>> import numpy as np
    >>> from seglab.losses import lovasz_hinge
    >>> x = np.array([[[3.0, 2.0, -1.5, -4.0]]])        # margins >= 1: no loss
    >>> lovasz_hinge(x, np.array([[1, 1, 0, 0]]))
    0.0
    """
    batch = _Batch(scores, target, from_logits, return_grad, hard=True,
                   ignore_index=ignore_index, multilabel=multilabel)
    _check_lovasz_options(pooling, absent)
    if not batch.binary:
        raise ValueError(f"lovasz_hinge needs binary scores of shape (N, 1, *spatial) (or "
                         f"multilabel=True), got shape {batch.shape}; use lovasz_softmax for "
                         f"K classes")
    if batch.from_logits:
        x = batch.scores
    else:
        p = batch.scores
        if p.min() <= 0.0 or p.max() >= 1.0:
            raise ValueError("scores must lie in the open interval (0, 1) for lovasz_hinge "
                             "with from_logits=False (logits would be infinite)")
        x = np.log(p) - np.log1p(-p)
    g = _units(batch.target, pooling)
    signs = 2.0 * g - 1.0
    errors = _void_errors(batch, pooling, 1.0 - _units(x, pooling) * signs, -np.inf)
    losses, grad_e = _lovasz(errors, g)
    groups = batch.shape[0] if pooling == "image" else 1
    weights = _unit_weights(g.sum(axis=1) > 0, absent, groups)
    value = float(np.dot(weights, losses))
    if not batch.return_grad:
        return value
    grad_x = batch.mask(_from_units(-weights[:, None] * signs * (errors > 0) * grad_e,
                                    batch.shape, pooling))
    if not batch.from_logits:
        grad_x = grad_x / (batch.scores * (1.0 - batch.scores))
    return batch.result(value, grad=grad_x)


# --------------------------------------------------------------------------
# Distance-based losses


def _edt(mask, spacing):
    """:func:`scipy.ndimage.distance_transform_edt` computed scale-free: with the spacing
    divided by its largest entry, then multiplied back, so that a spacing of 1e300 or
    1e-300 neither overflows nor underflows when squared. A ValueError naming ``spacing``
    when the distances themselves exceed the float64 range."""
    scale = max(spacing)
    if scale == 1.0:
        return ndimage.distance_transform_edt(mask, sampling=spacing)
    unit = ndimage.distance_transform_edt(mask, sampling=tuple(s / scale for s in spacing))
    with np.errstate(over="ignore"):
        d = unit * scale
    if not np.all(np.isfinite(d)):
        raise ValueError(f"spacing {spacing} makes the distances exceed the float64 range")
    return d


def _signed_distance(inside, outside, spacing, fill=0.0):
    r""":math:`-d(x, \mathrm{outside})` on ``inside``, :math:`d(x, \mathrm{inside})` on
    ``outside``, 0 on the pixels of neither set; ``fill`` everywhere if a set is empty."""
    if not inside.any() or not outside.any():
        return np.full(inside.shape, fill)
    to_outside = _edt(~outside, spacing)
    to_inside = _edt(~inside, spacing)
    return np.where(inside, -to_outside, np.where(outside, to_inside, 0.0))


def _distance_field(inside, outside, spacing):
    r"""Distance of each pixel of one set to the nearest pixel of the other (0 on the pixels
    of neither set, and everywhere if a set is empty): :math:`|\phi|`."""
    return np.abs(_signed_distance(inside, outside, spacing))


def signed_distance_map(mask, *, spacing=None, fill=0.0, void=None):
    r"""Signed Euclidean distance to the boundary of a mask: negative inside, positive outside.

    Parameters
    ----------
    mask : array_like of bool or int, any number of dimensions
        Binary mask (0/1); every axis is spatial.
    spacing : float or sequence of float, optional
        Pixel size along each axis, in array-axis order (what
        :func:`scipy.ndimage.distance_transform_edt` calls ``sampling``). Default: 1.
    fill : float, default 0.0
        Declared value of the whole map when the mask is empty or full (there
        is no boundary to measure from).
    void : array_like of bool or int, shape of ``mask``, optional
        Binary mask of void pixels (a label map's ``ignore_index``), in
        neither :math:`G` nor its complement: distances are measured to the
        nearest non-void pixel of the other set, and the map is 0 on the void
        pixels (the map :func:`boundary_loss` computes with ``ignore_index``).
        Default: no void pixel.

    Returns
    -------
    phi : ndarray of float64, shape of ``mask``
        :math:`\phi(x) = d(x, G)` outside :math:`G` and :math:`-d(x, \Omega \setminus G)`
        inside, where :math:`d` is the Euclidean distance to the nearest pixel
        of the set (the void pixels removed from both sets).

    Raises
    ------
    TypeError
        If ``mask`` is not an integer or boolean array.
    ValueError
        If ``mask`` is empty or not binary, ``void`` is not binary or has
        another shape, or ``spacing`` has the wrong length or a non-positive
        entry, or makes the distances exceed the float64 range (about
        ``1.8e308``; the distances are computed scale-free, so a spacing of
        ``1e300`` or ``1e-300`` is fine).

    Notes
    -----
    Computed with two calls to :func:`scipy.ndimage.distance_transform_edt`.
    Pixels next to the boundary get :math:`\pm 1` (one spacing). Kervadec et
    al.'s reference code subtracts one inside so that the inner boundary is 0;
    both maps are negative on :math:`G` and positive off it, which is all the
    boundary-loss identity :math:`\int_S \phi - \int_G \phi = \int_{S \triangle G} |\phi|`
    uses.

    References
    ----------
    .. [1] Kervadec, H., Bouchtiba, J., Desrosiers, C., Granger, E., Dolz, J. and
           Ben Ayed, I. (2019). Boundary loss for highly unbalanced segmentation.
           MIDL.

    Examples
    --------
    >>> import numpy as np
    >>> from seglab.losses import signed_distance_map
    >>> signed_distance_map(np.array([0, 0, 1, 1, 1, 0]))
    array([ 2.,  1., -1., -2., -1.,  1.])
    """
    m = check_binary_mask(mask, "mask")
    spacing = check_spacing(spacing, m.ndim)
    fill = check_real(fill, "fill")
    if void is None:
        return _signed_distance(m, ~m, spacing, fill)
    v = check_binary_mask(void, "void")
    if v.shape != m.shape:
        raise ValueError(f"void shape {v.shape} and mask shape {m.shape} differ")
    return np.where(v, 0.0, _signed_distance(m & ~v, ~m & ~v, spacing, fill))


def _selected_channels(batch, include_background):
    """Channels of a distance-based loss; also checks that there is a spatial axis."""
    if batch.scores.ndim < 3:
        raise ValueError(f"scores must have at least one spatial axis, shape (N, C, *spatial), "
                         f"for a distance-based loss, got shape {batch.shape}")
    include_background = check_bool(include_background, "include_background")
    if batch.binary or include_background:
        return slice(None)
    return slice(1, None)


def _valid_entries(batch):
    """Boolean array of the shape of the scores, False at the void entries."""
    if batch.valid is None:
        return np.ones(batch.shape, bool)
    return np.broadcast_to(batch.valid, batch.shape)


def _per_mask_maps(mask, valid, func):
    """``func(inside, outside)`` for every (image, channel) of a boolean mask, the void
    pixels (``valid`` False) in neither set."""
    out = np.empty(mask.shape)
    for n in range(mask.shape[0]):
        for c in range(mask.shape[1]):
            m, v = mask[n, c], valid[n, c]
            out[n, c] = func(m & v, ~m & v)
    return out


@fill_doc(_DOCS)
def boundary_loss(scores, target, *, from_logits=True, return_grad=False, distance_map=None,
                  spacing=None, include_background=False, ignore_index=None, multilabel=False):
    r"""Boundary loss of Kervadec et al. (2019): the mean of :math:`\phi_G \cdot p`.

    Parameters
    ----------
    %(scores)s
    %(hard_target)s
    %(from_logits)s
    distance_map : array_like of float, shape of ``scores``, optional
        Precomputed :func:`signed_distance_map` of each (image, class) mask
        (compute it once per data set). Default: computed here.
    spacing : float or sequence of float, optional
        Pixel size per spatial axis, in array-axis order, for the distance
        maps (unused with ``distance_map``). Default: 1.
    include_background : bool, default False
        With ``C >= 2``, also sum over class 0 (Kervadec et al. use the
        foreground classes only). Ignored for ``C = 1`` and with
        ``multilabel`` (every channel is a foreground).
    %(ignore_index)s
        The distance maps with void pixels are defined in the Notes; a
        given ``distance_map`` is used as it is, its void terms dropped
        (:func:`signed_distance_map` with ``void=`` computes the same maps).
    %(multilabel)s

    Returns
    -------
    %(returns)s

    Raises
    ------
    %(raises)s
    ValueError
        Also if ``spacing`` makes the distances exceed the float64 range (about
        ``1.8e308``); a spacing of ``1e300`` or ``1e-300`` is computed exactly.

    Notes
    -----
    With :math:`\phi_{c}` the signed distance map of class :math:`c`
    (empty or full masks give 0, as in the reference code) and :math:`Z` the
    number of (image, selected class, pixel) entries,

    .. math::

        L = \frac{1}{Z}\sum_{n,c,i} \phi_{nci}\, p_{nci}, \qquad
        \frac{\partial L}{\partial p_{nci}} = \frac{\phi_{nci}}{Z}.

    Linear in the probabilities; :math:`L - L(g) = \frac{1}{Z}\int_{S \triangle G}|\phi|`
    on hard predictions.

    %(void_distance)s

    References
    ----------
    .. [1] Kervadec, H., Bouchtiba, J., Desrosiers, C., Granger, E., Dolz, J. and
           Ben Ayed, I. (2019). Boundary loss for highly unbalanced segmentation.
           MIDL.

    Examples
    --------
    >>> import numpy as np
    >>> from seglab.losses import boundary_loss
    >>> g = np.array([[0, 1, 1, 0]])
    >>> boundary_loss(g[:, None].astype(float), g, from_logits=False)  # (-1 - 1) / 4
    -0.5
    """
    batch = _Batch(scores, target, from_logits, return_grad, hard=True,
                   ignore_index=ignore_index, multilabel=multilabel)
    sel = _selected_channels(batch, include_background)
    spacing = check_spacing(spacing, batch.scores.ndim - 2)
    valid = _valid_entries(batch)
    if distance_map is None:
        phi = _per_mask_maps(batch.target > 0.5, valid,
                             lambda inside, outside: _signed_distance(inside, outside, spacing))
    else:
        phi = as_float_array(distance_map, "distance_map")
        if phi.shape != batch.shape:
            raise ValueError(f"distance_map shape {phi.shape} and scores shape {batch.shape} "
                             "differ")
    phi_sel = np.where(valid, phi, 0.0)[:, sel]
    count = int(np.count_nonzero(valid[:, sel]))
    scale = 1.0 / count if count else 0.0
    value = scale * float(np.sum(phi_sel * batch.probs[:, sel]))
    if not batch.return_grad:
        return value
    grad_p = np.zeros(batch.shape)
    grad_p[:, sel] = scale * phi_sel
    return batch.result(value, grad_p)


@fill_doc(_DOCS)
def hausdorff_dt_loss(scores, target, *, from_logits=True, return_grad=False, alpha=2.0,
                      spacing=None, include_background=False, ignore_index=None,
                      multilabel=False):
    r"""Distance-transform Hausdorff loss of Karimi & Salcudean (2019).

    Parameters
    ----------
    %(scores)s
    %(hard_target)s
    %(from_logits)s
    alpha : float, default 2.0
        Exponent :math:`\alpha > 0` of the distances.
    spacing : float or sequence of float, optional
        Pixel size per spatial axis, in array-axis order. Default: 1.
    include_background : bool, default False
        With ``C >= 2``, also include class 0. Ignored for ``C = 1`` and with
        ``multilabel``.
    %(ignore_index)s
        The distance fields with void pixels are defined in the Notes.
    %(multilabel)s

    Returns
    -------
    %(returns)s

    Raises
    ------
    %(raises)s
    ValueError
        Also if the loss, its distances to the power ``alpha`` or its gradient exceed
        the float64 range (about ``1.8e308``), e.g. ``alpha=1e300`` with a distance
        above 1, or ``spacing=1e300`` with ``alpha=2``.

    Notes
    -----
    With :math:`d_G` and :math:`d_S` the distance of each pixel to the other
    side of the target mask and of the predicted mask :math:`S = \{p > 1/2\}`
    (0 when the mask is empty or full), and :math:`Z` the number of entries,

    .. math::

        L = \frac{1}{Z}\sum (p - g)^2 \big(d_G^{\alpha} + d_S^{\alpha}\big), \qquad
        \frac{\partial L}{\partial p} = \frac{2 (p - g)(d_G^{\alpha} + d_S^{\alpha})}{Z},

    the second formula holding wherever no probability equals 1/2: :math:`d_S`
    is piecewise constant in :math:`p` (a constant weight for the gradient, as
    in the paper).

    Reproduces MONAI 1.6 ``HausdorffDTLoss(alpha=..., include_background=...)``
    (with ``sigmoid=True``, or ``softmax=True, to_onehot_y=True``), whose distance
    field this is.

    %(void_distance)s The predicted mask
    :math:`S` is cut in the same way: a void pixel is in neither :math:`S` nor
    its complement.

    What the loss bounds (on hard masks, :math:`nL \ge \mathrm{HD}^\alpha + s^\alpha`)
    is explained in the book, chapter 2 (``book/ch2/region.md``).

    References
    ----------
    .. [1] Karimi, D. and Salcudean, S. E. (2020). Reducing the Hausdorff distance
           in medical image segmentation with convolutional neural networks.
           IEEE TMI 39(2). arXiv:1904.10030 (2019).

    Examples
    --------
    >>> import numpy as np
    >>> from seglab.losses import hausdorff_dt_loss
    >>> g = np.array([[0, 1, 1, 0]])
    >>> hausdorff_dt_loss(g[:, None].astype(float), g, from_logits=False)
    0.0
    """
    batch = _Batch(scores, target, from_logits, return_grad, hard=True,
                   ignore_index=ignore_index, multilabel=multilabel)
    alpha = _check_positive(alpha, "alpha")
    sel = _selected_channels(batch, include_background)
    spacing = check_spacing(spacing, batch.scores.ndim - 2)
    p, g = batch.probs[:, sel], batch.target[:, sel]
    valid = _valid_entries(batch)[:, sel]

    def field(inside, outside):
        return _distance_field(inside, outside, spacing)

    with np.errstate(over="ignore"):
        weight = (_per_mask_maps(g > 0.5, valid, field)**alpha
                  + _per_mask_maps(p > 0.5, valid, field)**alpha)
        count = int(np.count_nonzero(valid))
        scale = 1.0 / count if count else 0.0
        diff = np.where(valid, p - g, 0.0)
        value = scale * float(np.sum(diff**2 * weight))
        grad_sel = 2.0 * scale * diff * weight if batch.return_grad else 0.0
    if not (np.all(np.isfinite(weight)) and np.isfinite(value)
            and np.all(np.isfinite(grad_sel))):
        raise ValueError(f"the distances to the power alpha={alpha} (spacing {spacing}) exceed "
                         "the float64 range")
    if not batch.return_grad:
        return value
    grad_p = np.zeros(batch.shape)
    grad_p[:, sel] = grad_sel
    return batch.result(value, grad_p)


def unet_weight_map(target, *, w0=10.0, sigma=5.0, class_weights=None, spacing=None,
                    connectivity=1):
    r"""Border weight map of the U-Net (Ronneberger et al. 2015) for :func:`cross_entropy`.

    Parameters
    ----------
    target : array_like of int or bool, shape (N, ...)
        Label maps; the objects are the connected components of the non-zero
        labels of each image.
    w0 : float, default 10.0
        Border weight :math:`w_0 \ge 0`.
    sigma : float, default 5.0
        Border width :math:`\sigma > 0`, in the units of ``spacing`` (pixels).
    class_weights : None, 'balanced' or array_like of float, optional
        :math:`w_c`: None gives 1; ``'balanced'`` gives
        :math:`n / (k\, n_c)` over the batch (``n`` pixels, ``k`` classes
        present, :math:`n_c` pixels of class :math:`c`, as scikit-learn's
        ``compute_class_weight``); an array gives the weight of each label.
    spacing : float or sequence of float, optional
        Pixel size per spatial axis, in array-axis order. Default: 1.
    connectivity : int, default 1
        Neighbourhood of the components, as
        :func:`scipy.ndimage.generate_binary_structure`.

    Returns
    -------
    weights : ndarray of float64, shape (N, ...)
        :math:`w(x) = w_c(x) + w_0 \exp\big(-(d_1(x) + d_2(x))^2 / (2\sigma^2)\big)`.

    Raises
    ------
    TypeError
        If ``target`` is not an integer or boolean array.
    ValueError
        If ``target`` has fewer than 2 dimensions or is empty, holds negative
        labels or labels beyond ``class_weights``, an option is out of range, or
        ``spacing`` makes the distances exceed the float64 range (about
        ``1.8e308``). The border term is computed scale-free, as
        :math:`\exp(-((d_1 + d_2)/\sigma)^2/2)`, so any finite ``sigma > 0`` is
        accepted.

    Notes
    -----
    :math:`d_1` and :math:`d_2` are the distances to the nearest and the
    second-nearest object (:func:`scipy.ndimage.label` components), each from
    one :func:`scipy.ndimage.distance_transform_edt`. As in the paper's
    formula the border term is evaluated at every pixel (inside an object
    :math:`d_1 = 0`); with fewer than two objects in an image the border term
    is 0 there (:math:`d_2 = \infty`).

    References
    ----------
    .. [1] Ronneberger, O., Fischer, P. and Brox, T. (2015). U-Net:
           Convolutional networks for biomedical image segmentation. MICCAI.

    Examples
    --------
    >>> import numpy as np
    >>> from seglab.losses import unet_weight_map
    >>> t = np.array([[1, 1, 0, 1, 1]])                 # two objects, one pixel apart
    >>> np.round(unet_weight_map(t, w0=10, sigma=1), 3)
    array([[1.111, 2.353, 2.353, 2.353, 1.111]])
    """
    t = as_label_array(target, "target", min_ndim=2)
    if t.min() < 0:
        raise ValueError(f"target must hold non-negative labels, got {t.min()}")
    w0 = _check_nonneg(w0, "w0")
    sigma = check_real(sigma, "sigma", low=0.0, low_open=True, high=np.inf, high_open=True)
    spacing = check_spacing(spacing, t.ndim - 1)
    connectivity = check_int(connectivity, "connectivity", low=1, high=t.ndim - 1)
    if class_weights is None:
        wc = np.ones(t.shape)
    elif isinstance(class_weights, str):
        check_choice(class_weights, "class_weights", ("balanced",))
        # over the labels present, not np.bincount: a stray label 2**40 must not allocate
        _, index, counts = np.unique(t, return_inverse=True, return_counts=True)
        wc = (t.size / (counts.size * counts))[index.reshape(t.shape)]
    else:
        per_class = as_float_array(class_weights, "class_weights")
        if per_class.ndim != 1 or t.max() >= per_class.size:
            raise ValueError(f"class_weights must have one weight per label (at least "
                             f"{t.max() + 1}), got shape {per_class.shape}")
        if per_class.min() < 0:
            raise ValueError("class_weights must be non-negative")
        wc = per_class[t]
    structure = ndimage.generate_binary_structure(t.ndim - 1, connectivity)
    border = np.zeros(t.shape)
    for n in range(t.shape[0]):
        components, count = ndimage.label(t[n] > 0, structure=structure)
        d1 = np.full(components.shape, np.inf)
        d2 = np.full(components.shape, np.inf)
        for k in range(1, count + 1):
            d = _edt(components != k, spacing)
            d2 = np.minimum(d2, np.maximum(d1, d))
            d1 = np.minimum(d1, d)
        # scale-free: ((d1 + d2) / sigma)**2 / 2, clipped where exp gives 0 anyway, so that
        # neither sigma=1e300 nor sigma=1e-300 overflows (d2 = inf gives 0, as it should)
        with np.errstate(over="ignore"):
            ratio = np.minimum((d1 + d2) / sigma, _EXP_CUT)
        border[n] = w0 * np.exp(-0.5 * ratio**2)
    return wc + border



# --------------------------------------------------------------------------
# Closed forms of two losses on tiny inputs, drawn by the book's figures and
# relied on by its checks (chapter 2).


def empty_mask_loss(mass, eps):
    r"""Smoothed soft Dice loss on an empty target and its per-pixel gradient.

    Parameters
    ----------
    mass : float or array_like
        Predicted foreground mass :math:`m = \sum_i p_i \ge 0`.
    eps : float
        Smoothing :math:`\varepsilon \ge 0` added to the numerator and the denominator of
        the soft Dice score.

    Returns
    -------
    loss, grad : float or ndarray
        With :math:`g = 0`, the soft Dice score is :math:`\varepsilon/(m + \varepsilon)`,
        so the loss is :math:`m/(m + \varepsilon)` and its derivative with respect to
        every :math:`p_i` is :math:`\varepsilon/(m + \varepsilon)^2`. With
        :math:`\varepsilon = 0` the loss is 1 and the gradient 0 for :math:`m > 0`; at
        :math:`m = \varepsilon = 0` (0/0) both are NaN.

    Raises
    ------
    ValueError
        If ``mass`` is negative or not finite, or ``eps`` is negative or not finite.
    TypeError
        If ``mass`` is not a real number or array (complex, boolean, object).

    Notes
    -----
    The value and gradient of :func:`soft_dice_loss` with
    ``smooth_nr = smooth_dr = eps`` on one image whose target is empty, as functions of
    the predicted mass alone: the smoothing decides whether an empty target pushes the
    prediction towards empty (:math:`\varepsilon > 0`) or not at all
    (:math:`\varepsilon = 0`).

    Explained in the book, chapter 2 (``book/ch2/region.md``).

    References
    ----------
    .. [1] Milletari, F., Navab, N. and Ahmadi, S.-A. (2016). V-Net: Fully
           convolutional neural networks for volumetric medical image
           segmentation. 3DV.

    Examples
    --------
    >>> from seglab.losses import empty_mask_loss
    >>> empty_mask_loss(1.0, 1.0)
    (0.5, 0.25)
    """
    eps = check_real(eps, "eps", low=0.0, high=np.inf, high_open=True)
    m = as_float_array(mass, "mass", allow_empty=True)
    if np.any(m < 0):
        raise ValueError("mass must be finite and nonnegative")
    den = m + eps
    with np.errstate(divide="ignore", invalid="ignore"):
        loss = np.where(den > 0, m / den, np.nan)
        grad = np.where(den > 0, eps / den / den, np.nan)
    if m.ndim == 0:
        return float(loss), float(grad)
    return loss, grad


def tversky_pair_loss(p_fg, p_bg, *, alpha, beta, return_grad=False):
    r"""Soft Tversky loss of two pixels, one of each class, on a grid of probabilities.

    Parameters
    ----------
    p_fg, p_bg : array_like of float
        Predicted foreground probabilities of the foreground pixel and of the
        background pixel, in [0, 1], broadcast together.
    alpha, beta : float
        Tversky weights of false positives and false negatives, both :math:`> 0`.
    return_grad : bool, optional
        If True, also return the two partial derivatives.

    Returns
    -------
    loss : ndarray of float64
        :math:`1 - p_1 / (p_1 + \alpha p_2 + \beta (1 - p_1))`, the value of
        :func:`tversky_loss` on the two-pixel image.
    grad_fg, grad_bg : ndarray of float64
        Only with ``return_grad``: the derivatives with respect to :math:`p_1` and
        :math:`p_2`, computed by :func:`tversky_loss` (one image per grid point).

    Raises
    ------
    ValueError
        If a probability leaves [0, 1] or a weight is not positive.

    Notes
    -----
    With :math:`D = p_1 + \alpha p_2 + \beta(1 - p_1) > 0`,
    :math:`\partial L/\partial p_1 = -(\alpha p_2 + \beta)/D^2` and
    :math:`\partial L/\partial p_2 = \alpha p_1/D^2`. Each level set
    :math:`\{L = 1 - c\}` is the line :math:`p_1 = c D`, and all of them pass through
    :math:`(p_1, p_2) = (0, -\beta/\alpha)`: the loss is quasi-convex (its sublevel sets
    are half-planes cut by the square) but not convex.

    Explained in the book, chapter 2 (``book/ch2/experiments.md``).

    References
    ----------
    .. [1] Salehi, S. S. M., Erdogmus, D. and Gholipour, A. (2017). Tversky loss
           function for image segmentation using 3D fully convolutional deep
           networks. MLMI.

    Examples
    --------
    >>> from seglab.losses import tversky_pair_loss
    >>> float(tversky_pair_loss(0.5, 0.5, alpha=0.3, beta=0.7))  # 1 - 0.5 / 1.0
    0.5
    >>> loss, g1, g2 = tversky_pair_loss(0.5, 0.5, alpha=0.3, beta=0.7, return_grad=True)
    >>> round(float(g1), 6), round(float(g2), 6)                 # -(0.15 + 0.7), 0.15
    (-0.85, 0.15)
    """
    alpha = check_real(alpha, "alpha", low=0.0, low_open=True)
    beta = check_real(beta, "beta", low=0.0, low_open=True)
    return_grad = check_bool(return_grad, "return_grad")
    p1, p2 = np.broadcast_arrays(check_probabilities(p_fg, "p_fg", allow_empty=True),
                                 check_probabilities(p_bg, "p_bg", allow_empty=True))
    den = p1 + alpha * p2 + beta * (1.0 - p1)
    loss = 1.0 - p1 / den
    if not return_grad:
        return loss
    scores = np.stack([p1.ravel(), p2.ravel()], axis=-1)[:, None, :]
    target = np.broadcast_to(np.array([1, 0]), (scores.shape[0], 2))
    _, grad = tversky_loss(scores, target, from_logits=False, return_grad=True,
                           alpha=alpha, beta=beta)
    grad = grad[:, 0, :] * scores.shape[0]  # the loss is the mean over the images
    return loss, grad[:, 0].reshape(p1.shape), grad[:, 1].reshape(p1.shape)

# --------------------------------------------------------------------------
# Dinkelbach-weighted cross-entropy: a self-tuned cost for Dice and Tversky


@fill_doc(_DOCS)
def dinkelbach_cross_entropy(scores, target, *, metric_value, alpha=0.5, beta=0.5,
                             from_logits=True, return_grad=False, reduction="mean",
                             ignore_index=None):
    r"""Cross-entropy weighted by the current Dice (or Tversky index): Dice-consistent, no tuning.

    Parameters
    ----------
    %(scores)s
        Binary only: ``C`` must be 1.
    %(target)s
    metric_value : float
        The current Tversky index :math:`\lambda \in (0, 1]` (Dice when
        ``alpha = beta = 0.5``) of the hard prediction ``scores > 0`` (logits) or
        ``scores > 0.5`` (probabilities), from confusion counts pooled over the
        training pixels (for instance a running sum over recent batches). It is a
        constant of the loss: no gradient flows through it. Keep it above a small
        floor, e.g. the index of the all-foreground prediction.
    alpha, beta : float, default 0.5
        Weights of the false positives and false negatives in the target index
        :math:`\mathrm{TP}/(\mathrm{TP} + \alpha\,\mathrm{FP} + \beta\,\mathrm{FN})`,
        each in (0, 1]; 0.5 and 0.5 is Dice, 1 and 1 is IoU.
    %(from_logits)s
    reduction : {'mean', 'sum', 'weighted_mean'}, default 'mean'
        As in :func:`cross_entropy`.
    %(ignore_index)s

    Returns
    -------
    %(returns)s

    Raises
    ------
    %(raises)s

    Notes
    -----
    With :math:`\kappa = 1 + \lambda(\alpha + \beta - 1)` and the cost
    :math:`\tau = \alpha\lambda/\kappa` (:math:`\tau = \lambda/2` for Dice), this is
    :func:`cross_entropy` with class weights :math:`(w_0, w_1) = (\tau, 1 - \tau)`:

    .. math::

        L &= \frac{1}{Z} \sum_i -(1 - \tau)\, g_i \log p_i - \tau (1 - g_i) \log(1 - p_i),
        \\
        \frac{\partial L}{\partial x_i} &= \frac{1}{Z}
        \big(p_i\,(\tau (1 - g_i) + (1 - \tau) g_i) - (1 - \tau) g_i\big),

    with :math:`Z` the number of pixels for ``'mean'``. Its population minimiser
    is :math:`q^\star = (1 - \tau)\eta / ((1 - \tau)\eta + \tau(1 - \eta))`, and
    :math:`q^\star > 1/2` iff :math:`\eta > \tau`. When :math:`\lambda` is the
    optimal index :math:`T^\star`, :math:`\tau` is the Bayes threshold of the
    index, so the minimiser thresholded at 1/2 is Dice- (Tversky-) optimal; and
    setting :math:`\lambda` to the index of the current prediction is
    Dinkelbach's iteration [1]_, which converges to :math:`T^\star` at a linear
    rate. The reduction of F-measure maximisation to cost-sensitive
    classification is that of [2]_.

    Explained in the book, chapter 4 (``book/ch4/surrogate.md``).

    References
    ----------
    .. [1] Dinkelbach, W. (1967). On nonlinear fractional programming.
           Management Science 13(7), 492-498.
    .. [2] Parambath, S. P., Usunier, N. and Grandvalet, Y. (2014). Optimizing
           F-measures by cost-sensitive classification. NeurIPS 27.

    Examples
    --------
    >>> import numpy as np
    >>> from seglab.losses import dinkelbach_cross_entropy
    >>> logits, target = np.zeros((1, 1, 2)), np.array([[0, 1]])
    >>> round(dinkelbach_cross_entropy(logits, target, metric_value=0.5), 6)  # (log 2) / 2
    0.346574
    >>> value, grad = dinkelbach_cross_entropy(logits, target, metric_value=0.5, return_grad=True)
    >>> grad  # tau = 0.25: background pixel tau p / 2, foreground (1 - tau)(p - 1) / 2
    array([[[ 0.0625, -0.1875]]])
    """
    lam = check_real(metric_value, "metric_value", low=0.0, high=1.0, low_open=True)
    alpha = check_real(alpha, "alpha", low=0.0, high=1.0, low_open=True)
    beta = check_real(beta, "beta", low=0.0, high=1.0, low_open=True)
    shape = np.shape(scores)
    if len(shape) >= 2 and shape[1] != 1:
        raise ValueError(f"dinkelbach_cross_entropy is binary: scores must have C = 1 channel, "
                         f"got C = {shape[1]}")
    tau = alpha * lam / (1.0 + lam * (alpha + beta - 1.0))
    return cross_entropy(scores, target, from_logits=from_logits, return_grad=return_grad,
                         class_weights=[tau, 1.0 - tau], reduction=reduction,
                         ignore_index=ignore_index)
