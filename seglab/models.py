r"""Tiny trainable segmentation models in NumPy, with hand-written backpropagation.

Chapter 2 trains the same small models with every loss of :mod:`seglab.losses` and
compares what they learn. The models are small enough to train in seconds on a laptop
CPU, and every gradient is written out (and checked against finite differences in the
tests), so that nothing between a loss and its effect on a model is hidden.

* :class:`FilterBank`: a fixed bank of Gaussian derivative filters (orders 0 to 2, a
  few scales) plus the raw intensity, standardised with statistics of the training
  images;
* :class:`PixelLogisticRegression`: per-pixel logistic (one output, sigmoid) or
  softmax (:math:`K` outputs) regression on input channels such as the filter bank;
* :class:`TinyCNN`: a two-layer convolutional network, convolution, ReLU, convolution;
* :class:`Adam`: the Adam optimiser of Kingma and Ba;
* :func:`train`: mini-batch training of a model with any loss that returns its value
  and its gradient with respect to the logits.

Shapes follow the losses: model inputs are ``(N, C_in, *spatial)`` and logits are
``(N, C, *spatial)``, with ``C = 1`` for a binary problem (sigmoid) and ``C = K`` for
:math:`K` classes (softmax). Parameters are float64 arrays in a dictionary; training
updates a model in place and never modifies the arrays it is given.

Explained in the book, chapter 2 (``book/ch2``).
"""

import itertools

import numpy as np
from scipy import ndimage, special

from ._validation import as_float_array, check_int, check_real, check_same_shape
from .theory import _threshold_search

__all__ = ["Adam", "FilterBank", "PixelLogisticRegression", "TinyCNN", "train", "tune_threshold"]

# Largest in_channels, num_classes and hidden of a model (the torch models' bound): the
# parameter arrays stay small instead of a count of 2**40 being attempted.
_MAX_CHANNELS = 1024
# Largest number of steps of train: its history is an array of that many float64.
_MAX_STEPS = 10**7
# Largest magnitude of an input entry of train: beyond it the squared gradients of Adam
# overflow float64 (inputs are standardised features, of order 1).
_MAX_INPUT = 1e100


# --------------------------------------------------------------------------- helpers


def _check_sigmas(sigmas):
    try:
        values = tuple(sigmas)
    except TypeError:
        raise TypeError(f"sigmas must be a sequence of positive reals, got {sigmas!r}") from None
    if not values:
        raise ValueError("sigmas must hold at least one scale, got an empty sequence")
    return tuple(
        check_real(s, "sigmas entry", low=0.0, high=np.inf, low_open=True, high_open=True)
        for s in values
    )


# ----------------------------------------------------------------------- filter bank


class FilterBank:
    r"""Gaussian derivatives of orders 0 to ``max_order`` at several scales, plus intensity.

    Parameters
    ----------
    sigmas : sequence of float, optional
        Standard deviations (pixels) of the Gaussian kernels, each positive.
    max_order : {0, 1, 2}, optional
        Highest total order of the derivatives.

    Attributes
    ----------
    num_features : int
        Number of feature channels: :math:`1 + S \binom{d + m}{m}` for :math:`S` scales,
        :math:`d` spatial dimensions and ``max_order`` :math:`m` (19 for three scales in
        2-D with :math:`m = 2`).
    mean_, std_ : ndarray of float64, shape (num_features,)
        Per-feature mean and standard deviation over the pixels of the images passed to
        :meth:`fit`; ``None`` before.

    Notes
    -----
    For an image :math:`I` and a multi-index :math:`\alpha` with
    :math:`|\alpha| \le m`, the feature at scale :math:`\sigma` is the scale-normalised
    Gaussian derivative [1]_

    .. math::

        L_\alpha(x; \sigma) = \sigma^{|\alpha|}\,
        \bigl(\partial^\alpha G_\sigma * I\bigr)(x),

    computed by :func:`scipy.ndimage.gaussian_filter` (``order=alpha``, reflecting
    borders) on the spatial axes only. In 2-D these are the smoothed image, its
    gradient and its Hessian: the local intensity, edges, ridges and blobs at each
    scale. :meth:`transform` standardises each feature,
    :math:`z_f = (L_f - \mu_f) / s_f`, with the mean :math:`\mu_f` and standard
    deviation :math:`s_f` of the images given to :meth:`fit` (a constant feature,
    :math:`s_f = 0`, is divided by 1), so the models see inputs of unit scale whatever
    the order or the scale.

    References
    ----------
    .. [1] T. Lindeberg, "Feature detection with automatic scale selection",
       International Journal of Computer Vision 30(2), 79-116, 1998.
       doi:10.1023/A:1008045108935

    Examples
    --------
    >>> import numpy as np
    >>> from seglab.models import FilterBank
    >>> images = np.random.default_rng(0).normal(size=(4, 32, 32))
    >>> bank = FilterBank(sigmas=(1.0, 2.0, 4.0)).fit(images)
    >>> features = bank.transform(images)
    >>> bank.num_features, features.shape
    (19, (4, 19, 32, 32))
    >>> np.allclose(features.mean(axis=(0, 2, 3)), 0), np.allclose(features.std(axis=(0, 2, 3)), 1)
    (True, True)
    """

    def __init__(self, sigmas=(1.0, 2.0, 4.0), *, max_order=2):
        self.sigmas = _check_sigmas(sigmas)
        self.max_order = check_int(max_order, "max_order", low=0)
        if self.max_order > 2:
            raise ValueError(f"max_order must be 0, 1 or 2, got {max_order}")
        self.mean_ = None
        self.std_ = None
        self._ndim = None

    def _orders(self, ndim):
        return [
            alpha
            for alpha in itertools.product(range(self.max_order + 1), repeat=ndim)
            if sum(alpha) <= self.max_order
        ]

    @property
    def num_features(self):
        """Number of feature channels for 2-D images, or for the dimension seen by fit."""
        ndim = 2 if self._ndim is None else self._ndim
        return 1 + len(self.sigmas) * len(self._orders(ndim))

    def _check_images(self, images):
        images = as_float_array(images, "images")
        if images.ndim < 2:
            raise ValueError(
                f"images must have shape (N, *spatial) with at least one spatial axis, "
                f"got shape {images.shape}"
            )
        return images

    def features(self, images):
        """Raw (unstandardised) features, shape ``(N, num_features, *spatial)``.

        Parameters
        ----------
        images : array_like, shape (N, ...)
            Single-channel images, finite reals.

        Returns
        -------
        ndarray of float64
            Intensity first, then for each scale the derivatives in the order of
            :func:`itertools.product` of the per-axis orders.
        """
        images = self._check_images(images)
        spatial = tuple(range(1, images.ndim))
        channels = [images]
        for sigma in self.sigmas:
            for alpha in self._orders(images.ndim - 1):
                smoothed = ndimage.gaussian_filter(
                    images, sigma, order=alpha, mode="reflect", axes=spatial
                )
                channels.append(sigma ** sum(alpha) * smoothed)
        return np.stack(channels, axis=1)

    def fit(self, images):
        """Store the per-feature mean and standard deviation over ``images``.

        Parameters
        ----------
        images : array_like, shape (N, ...)
            Training images, finite reals.

        Returns
        -------
        FilterBank
            ``self``, with ``mean_`` and ``std_`` set.
        """
        feats = self.features(images)
        axes = (0, *range(2, feats.ndim))
        self._ndim = feats.ndim - 2
        # scale-free: each feature divided by a power of two near its largest magnitude
        # (exact), so that the squares of std do not overflow on entries of 1e300
        _, exponent = np.frexp(np.max(np.abs(feats), axis=axes))
        shape = (1, -1) + (1,) * self._ndim
        unit = np.ldexp(feats, -exponent.reshape(shape))
        self.mean_ = np.ldexp(unit.mean(axis=axes), exponent)
        std = np.ldexp(unit.std(axis=axes), exponent)
        self.std_ = np.where(std > 0, std, 1.0)
        return self

    def transform(self, images):
        """Standardised features, with the statistics of :meth:`fit`.

        Parameters
        ----------
        images : array_like, shape (N, ...)
            Images with as many spatial dimensions as at :meth:`fit`, finite reals.

        Returns
        -------
        ndarray of float64, shape (N, num_features, ...)
            :math:`(L_f - \\mu_f) / s_f` for each feature :math:`f` (see Notes of the
            class); the input of :class:`PixelLogisticRegression` or :class:`TinyCNN`.

        Raises
        ------
        RuntimeError
            If :meth:`fit` has not been called.
        ValueError
            If the images have another number of spatial dimensions than at fit.
        """
        if self.mean_ is None:
            raise RuntimeError("FilterBank.transform needs the statistics of fit(images) first")
        images = self._check_images(images)
        if images.ndim - 1 != self._ndim:
            raise ValueError(
                f"images have {images.ndim - 1} spatial dimension(s), the bank was fitted on "
                f"{self._ndim}: got shape {images.shape}"
            )
        feats = self.features(images)
        shape = (1, -1) + (1,) * self._ndim
        return (feats - self.mean_.reshape(shape)) / self.std_.reshape(shape)

    def fit_transform(self, images):
        """:meth:`fit` then :meth:`transform` on the same images."""
        return self.fit(images).transform(images)


# --------------------------------------------------------------------------- models


class _Model:
    """Shared machinery: parameters, input checks, probabilities and labels."""

    min_spatial_dims = 1
    max_spatial_dims = None

    def __init__(self, in_channels, num_classes):
        self.in_channels = check_int(in_channels, "in_channels", low=1, high=_MAX_CHANNELS)
        self.num_classes = check_int(num_classes, "num_classes", low=1, high=_MAX_CHANNELS)
        if self.num_classes == 2:
            raise ValueError(
                "num_classes must be 1 (binary, one sigmoid output) or K >= 3 (softmax); "
                "got 2: use num_classes=1 for a binary problem"
            )
        self.params = {}

    @property
    def num_params(self):
        """Total number of scalar parameters."""
        return sum(p.size for p in self.params.values())

    def get_params(self):
        """A dictionary of copies of the parameter arrays."""
        return {name: value.copy() for name, value in self.params.items()}

    def set_params(self, params):
        """Replace the parameters by float64 copies of ``params`` (a dict with every name).

        Raises
        ------
        ValueError
            A missing or unknown name, a shape that differs, or a non-finite entry.
        """
        if not isinstance(params, dict):
            raise TypeError(f"params must be a dict, got {type(params).__name__}")
        if set(params) != set(self.params):
            raise ValueError(
                f"params must have the names {sorted(self.params)}, got {sorted(params)}"
            )
        new = {}
        for name, value in params.items():
            arr = as_float_array(value, f"params[{name!r}]").copy()
            if arr.shape != self.params[name].shape:
                raise ValueError(
                    f"params[{name!r}] must have shape {self.params[name].shape}, "
                    f"got {arr.shape}"
                )
            new[name] = arr
        self.params = new
        return self

    def _check_inputs(self, x):
        x = as_float_array(x, "x")
        spatial = x.ndim - 2
        too_many = self.max_spatial_dims is not None and spatial > self.max_spatial_dims
        if spatial < self.min_spatial_dims or too_many:
            wanted = "(N, C_in, H, W)" if self.max_spatial_dims == 2 else "(N, C_in, *spatial)"
            raise ValueError(f"x must have shape {wanted}, got shape {x.shape}")
        if x.shape[1] != self.in_channels:
            raise ValueError(
                f"x must have in_channels={self.in_channels} channels on axis 1, "
                f"got shape {x.shape}"
            )
        return x

    def forward(self, x):
        """Logits and a backward function.

        Parameters
        ----------
        x : array_like, shape (N, in_channels, ...)
            Inputs, finite reals (2-D images for :class:`TinyCNN`).

        Returns
        -------
        logits : ndarray of float64, shape (N, num_classes, ...)
        backward : callable
            ``backward(grad_logits)`` takes :math:`\\partial L / \\partial s` (the shape
            of ``logits``) and returns a dict of :math:`\\partial L / \\partial \\theta`
            with the names and shapes of :attr:`params` (new arrays).

        Raises
        ------
        ValueError, TypeError
            ``x`` of the wrong shape, number of channels or dtype, empty or not finite;
            ``grad_logits`` (in ``backward``) of another shape than the logits or not
            finite.
        """
        logits, backward = self._forward(self._check_inputs(x))

        def checked_backward(grad_logits):
            return backward(_check_grad(grad_logits, logits.shape))

        return logits, checked_backward

    def __call__(self, x):
        """Logits of shape ``(N, num_classes, *spatial)``; same as ``forward(x)[0]``."""
        return self._forward(self._check_inputs(x))[0]

    def predict_proba(self, x):
        """Probabilities: sigmoid of the logit (one channel) or softmax over the K channels.

        Returns
        -------
        ndarray of float64, shape (N, num_classes, ...)
            With one output, the probability of the foreground; with :math:`K` outputs,
            the probability of each class (summing to 1 over axis 1).
        """
        logits = self(x)
        if self.num_classes == 1:
            return special.expit(logits)
        return special.softmax(logits, axis=1)

    def predict(self, x, *, threshold=0.5):
        """Label map of shape ``(N, *spatial)``, int64.

        With one output, label 1 where the foreground probability exceeds ``threshold``
        (in (0, 1)); with :math:`K` outputs, the class of largest logit (ties to the
        smaller index, as :func:`numpy.argmax`), and ``threshold`` is not used.
        """
        threshold = check_real(threshold, "threshold", low=0.0, high=1.0, low_open=True,
                               high_open=True)
        logits = self(x)
        if self.num_classes == 1:
            cut = np.log(threshold) - np.log1p(-threshold)  # the logit of the threshold
            return (logits[:, 0] > cut).astype(np.int64)
        return np.argmax(logits, axis=1).astype(np.int64)


class PixelLogisticRegression(_Model):
    r"""Per-pixel logistic (binary) or softmax (K-class) regression: a 1×1 convolution.

    Parameters
    ----------
    in_channels : int
        Number of input channels :math:`F` (e.g. :attr:`FilterBank.num_features`),
        1 to 1024.
    num_classes : int, optional
        1 for a binary problem (one logit, sigmoid), or :math:`K \ge 3` (softmax), at
        most 1024. 2 is refused: a two-class problem is ``num_classes=1``.
    seed : int, optional
        Seed of the initial weights.
    init_scale : float, optional
        Standard deviation of the initial weights, :math:`\ge 0` (0: all zeros, the
        usual start of a convex problem). Biases start at 0.

    Raises
    ------
    ValueError
        ``in_channels`` or ``num_classes`` outside [1, 1024], ``num_classes=2``, a
        negative ``seed`` or ``init_scale``.
    TypeError
        A count or ``seed`` that is not an int.

    Attributes
    ----------
    params : dict of ndarray
        ``weight`` of shape ``(num_classes, in_channels)`` and ``bias`` of shape
        ``(num_classes,)``, float64.

    Notes
    -----
    The logit of class :math:`c` at pixel :math:`x` of image :math:`n` is

    .. math::

        s_{n c x} = \sum_f W_{c f}\, z_{n f x} + b_c,

    so each pixel is classified from its own feature vector only. Given the gradient
    :math:`g = \partial L / \partial s` of a loss, ``forward``'s backward function
    returns

    .. math::

        \frac{\partial L}{\partial W_{c f}} = \sum_{n, x} g_{n c x}\, z_{n f x}, \qquad
        \frac{\partial L}{\partial b_c} = \sum_{n, x} g_{n c x}.

    With cross-entropy the loss is convex in :math:`(W, b)`; with a region loss it
    generally is not. Works for any number of spatial dimensions.

    Examples
    --------
    >>> import numpy as np
    >>> from seglab.models import PixelLogisticRegression
    >>> model = PixelLogisticRegression(3, num_classes=1)
    >>> x = np.ones((2, 3, 8, 8))
    >>> model(x).shape, model.num_params
    ((2, 1, 8, 8), 4)
    >>> float(model.predict_proba(x).max())  # zero weights: probability 1/2 everywhere
    0.5
    """

    def __init__(self, in_channels, num_classes=1, *, seed=0, init_scale=0.0):
        super().__init__(in_channels, num_classes)
        seed = check_int(seed, "seed", low=0)
        init_scale = check_real(init_scale, "init_scale", low=0.0, high=np.inf,
                                high_open=True)
        rng = np.random.default_rng(seed)
        self.params = {
            "weight": init_scale * rng.standard_normal((self.num_classes, self.in_channels)),
            "bias": np.zeros(self.num_classes),
        }

    def _forward(self, x):
        n, spatial = x.shape[0], x.shape[2:]
        flat = x.reshape(n, self.in_channels, -1)
        weight, bias = self.params["weight"], self.params["bias"]
        logits = (np.matmul(weight, flat) + bias[:, None]).reshape(n, self.num_classes, *spatial)

        def backward(grad_logits):
            g = grad_logits.reshape(n, self.num_classes, -1)
            grad_weight = np.matmul(g, flat.transpose(0, 2, 1)).sum(axis=0)
            return {"weight": grad_weight, "bias": g.sum(axis=(0, 2))}

        return logits, backward


def _check_grad(grad, shape):
    grad = as_float_array(grad, "grad_logits")
    if grad.shape != shape:
        raise ValueError(f"grad_logits must have the logits' shape {shape}, got {grad.shape}")
    return grad


def _matmul(a, b):
    """``np.matmul(a, b)`` for a matrix ``a`` and a stack ``b``; an inner dimension of 1 (one
    input channel, or one output channel in the adjoint) is an outer product, which
    broadcasting computes about 8x faster than NumPy 2.4's matmul loop."""
    if a.shape[-1] == 1:
        return a * b
    return np.matmul(a, b)


def _pad_flat(x, pad):
    """Zero-pad the two spatial axes of (N, C, H, W) by ``pad``; flatten them: (N, C, P)."""
    n, c, h, w = x.shape
    if pad == 0:
        return x.reshape(n, c, h * w)
    padded = np.zeros((n, c, h + 2 * pad, w + 2 * pad))
    padded[:, :, pad : pad + h, pad : pad + w] = x
    return padded.reshape(n, c, -1)


def _conv_geometry(h, w, k):
    """Padding, padded row length and number of flat output positions of a 'same' conv."""
    pad = k // 2
    row = w + 2 * pad
    return pad, row, (h - 1) * row + w


def _conv_forward(x, weight):
    """'Same' cross-correlation with zero padding of x (N, C, H, W) by weight (O, C, k, k).

    Output pixel (y, x) sits at flat position ``y * row + x`` of the padded grid, and its
    input at offset (i, j) at that position plus ``i * row + j``: each kernel offset is
    then one batched matrix product on a contiguous slice (no im2col copy). Returns the
    output and the padded flat input, which the backward pass needs.
    """
    n, _, h, w = x.shape
    out_channels, _, k, _ = weight.shape
    pad, row, length = _conv_geometry(h, w, k)
    flat = _pad_flat(x, pad)
    out = np.zeros((n, out_channels, h * row))
    for i in range(k):
        for j in range(k):
            start = i * row + j
            out[:, :, :length] += _matmul(weight[:, :, i, j], flat[:, :, start : start + length])
    return out.reshape(n, out_channels, h, row)[..., :w], flat


def _conv_backward(grad, flat, weight, *, need_input_grad):
    """Gradients of :func:`_conv_forward` with respect to the weight and (optionally) x."""
    n, out_channels, h, w = grad.shape
    in_channels, k = weight.shape[1], weight.shape[-1]
    pad, row, length = _conv_geometry(h, w, k)
    # The gradient on the padded grid: zero at the positions that are not output pixels.
    spread = np.zeros((n, out_channels, h, row))
    spread[..., :w] = grad
    spread = spread.reshape(n, out_channels, -1)[:, :, :length]
    grad_weight = np.empty_like(weight)
    grad_flat = np.zeros_like(flat) if need_input_grad else None
    for i in range(k):
        for j in range(k):
            start = i * row + j
            window = flat[:, :, start : start + length]
            grad_weight[:, :, i, j] = np.matmul(spread, window.transpose(0, 2, 1)).sum(axis=0)
            if need_input_grad:
                grad_flat[:, :, start : start + length] += _matmul(weight[:, :, i, j].T, spread)
    if not need_input_grad:
        return grad_weight, None
    grid = grad_flat.reshape(n, in_channels, h + 2 * pad, row)
    return grad_weight, grid[:, :, pad : pad + h, pad : pad + w]


class TinyCNN(_Model):
    r"""Two-layer convolutional network: convolution, ReLU, convolution, for 2-D images.

    Parameters
    ----------
    in_channels : int
        Input channels (1 for a grey image, or the channels of a :class:`FilterBank`),
        1 to 1024.
    num_classes : int, optional
        1 (binary, sigmoid) or :math:`K \ge 3` (softmax), at most 1024; 2 is refused.
    hidden : int, optional
        Channels of the hidden layer, 1 to 1024.
    kernel_size : int, optional
        Odd side of the first convolution's square kernel.
    out_kernel_size : int, optional
        Odd side of the second convolution's kernel (1: a per-pixel read-out).
    seed : int, optional
        Seed of the initial weights.

    Raises
    ------
    ValueError
        ``in_channels``, ``num_classes`` or ``hidden`` outside [1, 1024],
        ``num_classes=2``, an even or non-positive kernel size, a negative ``seed``.
    TypeError
        A count, size or ``seed`` that is not an int.

    Attributes
    ----------
    params : dict of ndarray
        ``w1`` (hidden, in_channels, k, k), ``b1`` (hidden,), ``w2`` (num_classes,
        hidden, k2, k2), ``b2`` (num_classes,), float64. Kernels are applied as
        cross-correlations, like ``torch.nn.Conv2d``.

    Notes
    -----
    With zero "same" padding, so that every layer keeps the image size,

    .. math::

        a_{n h x} &= \sum_{c, \delta} W^{(1)}_{h c \delta}\, u_{n c, x + \delta}
        + b^{(1)}_h, \qquad r = \max(a, 0), \\
        s_{n k x} &= \sum_{h, \delta} W^{(2)}_{k h \delta}\, r_{n h, x + \delta}
        + b^{(2)}_k,

    with :math:`\delta` over the kernel offsets. Backpropagation [1]_ of
    :math:`g = \partial L / \partial s`:

    .. math::

        \frac{\partial L}{\partial W^{(2)}_{k h \delta}}
        &= \sum_{n, x} g_{n k x}\, r_{n h, x + \delta}, \\
        \frac{\partial L}{\partial r_{n h y}}
        &= \sum_{k, \delta} W^{(2)}_{k h \delta}\, g_{n k, y - \delta}, \quad
        \frac{\partial L}{\partial a} = \frac{\partial L}{\partial r}\,
        \mathbb 1[a > 0],

    and the same two formulas one layer down give the gradients of :math:`W^{(1)}` and
    :math:`b^{(1)}` (biases: the sums of the gradients over :math:`n, x`), with
    :math:`u` and :math:`r` taken as 0 outside the image. Each convolution is a sum of
    :math:`k^2` matrix products, one per kernel offset, on shifted contiguous slices of
    the zero-padded, flattened input (no patch matrix is built), and its adjoint adds
    the products back onto the same slices. The ReLU is not
    differentiable at 0; as usual its derivative there is taken to be 0. The weights
    start from He et al.'s normal initialisation [2]_, variance
    :math:`2 / (C_\text{in} k^2)` (first layer) and :math:`1 / (\text{hidden}\,k_2^2)`
    (second layer), and the biases at 0. The receptive field is
    :math:`k + k_2 - 1` pixels wide.

    References
    ----------
    .. [1] D. E. Rumelhart, G. E. Hinton and R. J. Williams, "Learning representations
       by back-propagating errors", Nature 323, 533-536, 1986.
       doi:10.1038/323533a0
    .. [2] K. He, X. Zhang, S. Ren and J. Sun, "Delving deep into rectifiers: surpassing
       human-level performance on ImageNet classification", ICCV 2015, 1026-1034.
       doi:10.1109/ICCV.2015.123

    Examples
    --------
    >>> import numpy as np
    >>> from seglab.models import TinyCNN
    >>> model = TinyCNN(1, num_classes=3, hidden=4, kernel_size=3, out_kernel_size=3)
    >>> x = np.random.default_rng(0).normal(size=(2, 1, 16, 16))
    >>> logits, backward = model.forward(x)
    >>> logits.shape, model.num_params  # 4*9 + 4 + 3*4*9 + 3
    ((2, 3, 16, 16), 151)
    >>> grads = backward(np.ones_like(logits))
    >>> {name: g.shape for name, g in grads.items()} == {
    ...     name: p.shape for name, p in model.params.items()}
    True
    """

    min_spatial_dims = 2
    max_spatial_dims = 2

    def __init__(self, in_channels, num_classes=1, *, hidden=8, kernel_size=3,
                 out_kernel_size=1, seed=0):
        super().__init__(in_channels, num_classes)
        self.hidden = check_int(hidden, "hidden", low=1, high=_MAX_CHANNELS)
        self.kernel_size = _check_odd(kernel_size, "kernel_size")
        self.out_kernel_size = _check_odd(out_kernel_size, "out_kernel_size")
        rng = np.random.default_rng(check_int(seed, "seed", low=0))
        k1, k2 = self.kernel_size, self.out_kernel_size
        fan1, fan2 = self.in_channels * k1 * k1, self.hidden * k2 * k2
        self.params = {
            "w1": rng.normal(0.0, np.sqrt(2.0 / fan1), (self.hidden, self.in_channels, k1, k1)),
            "b1": np.zeros(self.hidden),
            "w2": rng.normal(0.0, np.sqrt(1.0 / fan2), (self.num_classes, self.hidden, k2, k2)),
            "b2": np.zeros(self.num_classes),
        }

    def _forward(self, x):
        p = self.params
        pre, flat1 = _conv_forward(x, p["w1"])
        pre += p["b1"][:, None, None]
        active = pre > 0
        hidden = np.where(active, pre, 0.0)
        out, flat2 = _conv_forward(hidden, p["w2"])
        logits = out + p["b2"][:, None, None]
        # The gradient is taken at the weights of this forward pass, even if an optimiser
        # updates the parameter arrays in place before backward is called.
        w1, w2 = p["w1"].copy(), p["w2"].copy()

        def backward(grad_logits):
            g = grad_logits
            grad_w2, grad_hidden = _conv_backward(g, flat2, w2, need_input_grad=True)
            grad_pre = np.where(active, grad_hidden, 0.0)
            grad_w1, _ = _conv_backward(grad_pre, flat1, w1, need_input_grad=False)
            return {
                "w1": grad_w1,
                "b1": grad_pre.sum(axis=(0, 2, 3)),
                "w2": grad_w2,
                "b2": g.sum(axis=(0, 2, 3)),
            }

        return logits, backward


def _check_odd(value, name):
    value = check_int(value, name, low=1)
    if value % 2 == 0:
        raise ValueError(f"{name} must be odd (a 'same' convolution), got {value}")
    return value


# ------------------------------------------------------------------------ optimiser


def _check_gradient(name, theta, grad):
    """``grad`` as an array after the checks of :meth:`Adam.step` on it and its parameter."""
    if not (isinstance(theta, np.ndarray) and theta.dtype.kind == "f"):
        kind = theta.dtype if isinstance(theta, np.ndarray) else type(theta).__name__
        raise TypeError(f"params[{name!r}] must be a floating-point numpy array (it is updated "
                        f"in place), got {kind}")
    if not theta.flags.writeable:
        raise ValueError(f"params[{name!r}] is read-only; Adam.step updates it in place")
    g = as_float_array(grad, f"grads[{name!r}]", allow_empty=True)
    check_same_shape(g, theta, f"grads[{name!r}]", f"params[{name!r}]")
    if g.size:
        top = float(np.max(np.abs(g)))
        limit = float(np.sqrt(np.finfo(theta.dtype).max)) / 2
        if top > limit:
            raise ValueError(f"grads[{name!r}] has entries up to {top:.3g}; Adam squares the "
                             f"gradient, so they must not exceed {limit:.3g} in "
                             f"{theta.dtype} (rescale the loss)")
    return g


class Adam:
    r"""The Adam optimiser: steps scaled by running moments of the gradient.

    Parameters
    ----------
    lr : float, optional
        Step size :math:`\alpha > 0`.
    betas : tuple of float, optional
        Decay rates :math:`(\beta_1, \beta_2)` of the first and second moment
        estimates, each in [0, 1).
    eps : float, optional
        :math:`\epsilon > 0` added to the denominator.

    Notes
    -----
    At step :math:`t = 1, 2, \dots`, for every parameter array :math:`\theta` with
    gradient :math:`g_t` (Algorithm 1 of [1]_):

    .. math::

        m_t &= \beta_1 m_{t-1} + (1 - \beta_1) g_t, \quad
        v_t = \beta_2 v_{t-1} + (1 - \beta_2) g_t^2, \\
        \theta_t &= \theta_{t-1} - \alpha\,
        \frac{m_t / (1 - \beta_1^t)}{\sqrt{v_t / (1 - \beta_2^t)} + \epsilon},

    elementwise, from :math:`m_0 = v_0 = 0`. The step is invariant to a rescaling of
    the loss (up to :math:`\epsilon`) and the first step is
    :math:`-\alpha\, g_1 / (|g_1| + \epsilon)`: about :math:`\alpha` per coordinate
    whatever the size of the gradient — which is why losses of very different scales
    (cross-entropy, soft Dice) can be trained with the same ``lr``.

    References
    ----------
    .. [1] D. P. Kingma and J. Ba, "Adam: a method for stochastic optimization",
       ICLR 2015. arXiv:1412.6980

    Examples
    --------
    >>> import numpy as np
    >>> from seglab.models import Adam
    >>> params = {"w": np.array([1.0, -2.0])}
    >>> Adam(lr=0.1).step(params, {"w": np.array([3.0, -0.5])})
    >>> params["w"].round(6)  # each coordinate moved by about lr against its gradient
    array([ 0.9, -1.9])
    """

    def __init__(self, lr=1e-2, *, betas=(0.9, 0.999), eps=1e-8):
        self.lr = check_real(lr, "lr", low=0.0, high=np.inf, low_open=True, high_open=True)
        try:
            beta1, beta2 = betas
        except (TypeError, ValueError):
            raise ValueError(f"betas must be a pair of reals in [0, 1), got {betas!r}") from None
        self.beta1 = check_real(beta1, "betas[0]", low=0.0, high=1.0, high_open=True)
        self.beta2 = check_real(beta2, "betas[1]", low=0.0, high=1.0, high_open=True)
        self.eps = check_real(eps, "eps", low=0.0, high=np.inf, low_open=True, high_open=True)
        self.t = 0
        self._m = {}
        self._v = {}

    def step(self, params, grads):
        r"""Update every array of the dict ``params`` in place from the dict ``grads``.

        Parameters
        ----------
        params : dict of str to numpy.ndarray
            Writeable floating-point arrays, updated in place.
        grads : dict of str to array_like
            The gradient of the loss with respect to each array of ``params``, with the
            same names and shapes; finite, and small enough that its square is finite
            in the dtype of the parameter (:math:`|g| \le \sqrt{\max}/2`, about
            :math:`6.7 \times 10^{153}` in float64 and :math:`9.2 \times 10^{18}` in
            float32).

        Raises
        ------
        TypeError
            If ``params`` or ``grads`` is not a dict, or a parameter is not a writeable
            floating-point numpy array, or a gradient is not a real numeric array.
        ValueError
            If the names or shapes differ, or a gradient is not finite or too large.
            Nothing is updated then (the arguments are checked before the first update).
        """
        for arg, value in (("params", params), ("grads", grads)):
            if not isinstance(value, dict):
                raise TypeError(f"{arg} must be a dict of arrays by name, got "
                                f"{type(value).__name__}")
        if set(grads) != set(params):
            raise ValueError(
                f"grads must have the names of params {sorted(params)}, got {sorted(grads)}"
            )
        checked = {name: _check_gradient(name, theta, grads[name])
                   for name, theta in params.items()}
        self.t += 1
        c1 = 1.0 - self.beta1**self.t
        c2 = 1.0 - self.beta2**self.t
        for name, theta in params.items():
            g = checked[name]
            if name not in self._m:
                self._m[name] = np.zeros_like(theta)
                self._v[name] = np.zeros_like(theta)
            m, v = self._m[name], self._v[name]
            m *= self.beta1
            m += (1.0 - self.beta1) * g
            v *= self.beta2
            v += (1.0 - self.beta2) * g * g
            theta -= self.lr * (m / c1) / (np.sqrt(v / c2) + self.eps)


# ------------------------------------------------------------------------- training


def _check_targets(targets, inputs):
    arr = np.asarray(targets)
    n, spatial = inputs.shape[0], inputs.shape[2:]
    labels = arr.shape == (n, *spatial)
    one_hot = arr.ndim == inputs.ndim and arr.shape[0] == n and arr.shape[2:] == spatial
    if not (labels or one_hot):
        raise ValueError(
            f"targets must have shape (N, *spatial) = {(n, *spatial)} (labels) or "
            f"(N, C, *spatial) (one-hot or soft) for inputs of shape {inputs.shape}, "
            f"got shape {arr.shape}"
        )
    return arr


def _call_loss(loss, logits, target, options, step):
    result = loss(logits, target, from_logits=True, return_grad=True, **options)
    if not (isinstance(result, tuple) and len(result) == 2):
        raise TypeError(
            f"loss must return a pair (value, grad) when return_grad=True, got "
            f"{type(result).__name__}"
        )
    value, grad = result
    if np.ndim(value) != 0:
        raise TypeError(f"loss must return a scalar value, got shape {np.shape(value)}")
    value = float(value)
    grad = np.asarray(grad, dtype=np.float64)
    if grad.shape != logits.shape:
        raise ValueError(
            f"loss returned a gradient of shape {grad.shape} for logits of shape {logits.shape}"
        )
    if not (np.isfinite(value) and np.all(np.isfinite(grad))):
        raise ValueError(f"loss returned a non-finite value or gradient at step {step}")
    return value, grad


def train(model, inputs, targets, *, loss, steps=None, epochs=None, lr=1e-2, batch_size=8,
          seed=0, loss_options=None, optimizer=None):
    r"""Train ``model`` in place by mini-batch Adam on a loss of its logits; return the losses.

    Parameters
    ----------
    model : PixelLogisticRegression or TinyCNN
        The model, updated in place.
    inputs : array_like, shape (N, C_in, ...)
        Training inputs (e.g. :meth:`FilterBank.transform` of the images).
    targets : array_like, shape (N, ...) or (N, C, ...)
        Integer labels or one-hot / soft targets, passed to ``loss`` batch by batch
        unchanged.
    loss : callable
        ``loss(scores, target, *, from_logits=True, return_grad=True, **loss_options)``
        returning ``(value, grad)`` with ``grad`` of the shape of ``scores``, the
        interface of :mod:`seglab.losses`.
    steps, epochs : int, optional
        Number of optimisation steps, or of passes over the data; exactly one must be
        given.
    lr : float, optional
        Adam step size (ignored when ``optimizer`` is given).
    batch_size : int, optional
        Images per step, at least 1; a value above N means the whole set.
    seed : int, optional
        Seed of the order of the images.
    loss_options : dict, optional
        Keyword options for ``loss`` (e.g. ``{"smooth": 1.0}``).
    optimizer : Adam, optional
        An optimiser to continue with (its moment estimates carry over); a fresh
        ``Adam(lr)`` by default.

    Returns
    -------
    ndarray of float64, shape (steps,)
        The loss of each mini-batch, at the parameters before that step's update.

    Raises
    ------
    ValueError
        Both or neither of ``steps`` and ``epochs``; a non-positive count, ``lr`` or
        ``batch_size``; more than ``10**7`` steps (the history holds one float per step);
        an input entry beyond ``±1e100`` (the squares of the gradients would overflow);
        inputs that do not fit the model; targets whose shape does not
        match the inputs; a loss that returns a gradient of the wrong shape or a
        non-finite value.
    TypeError
        ``model`` not a seglab model; ``loss`` not callable or not returning a pair;
        options of the wrong type.

    Notes
    -----
    Each epoch visits the images in a fresh random order (a permutation drawn from
    ``numpy.random.default_rng(seed)``) in consecutive batches of ``batch_size`` (the
    last one may be smaller); with ``steps``, epochs follow one another until the
    count is reached. At each step the model computes the logits of the batch, the loss
    its value and gradient :math:`g = \partial L / \partial s`, the model's backward
    function the parameter gradients, and :class:`Adam` the update. Given the model's
    initial parameters, ``seed`` and the data, the history and the final parameters
    are reproducible.

    Explained in the book, chapter 2 (``book/ch2``).

    Examples
    --------
    A squared error on the logits (any function with the loss interface will do):

    >>> import numpy as np
    >>> from seglab.models import PixelLogisticRegression, train
    >>> def squared_error(scores, target, *, from_logits=True, return_grad=True):
    ...     diff = scores - target[:, None]
    ...     return float(np.mean(diff**2)), 2 * diff / diff.size
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=(8, 2, 4, 4))
    >>> y = 3 * x[:, 0] - x[:, 1] + 0.5
    >>> model = PixelLogisticRegression(2)
    >>> history = train(model, x, y, loss=squared_error, steps=500, lr=0.05, batch_size=4)
    >>> history.shape, bool(history[-1] < 1e-3 * history[0])
    ((500,), True)
    >>> model.params["weight"].round(2), model.params["bias"].round(2)
    (array([[ 3., -1.]]), array([0.5]))
    """
    if not callable(loss):
        raise TypeError(f"loss must be callable, got {type(loss).__name__}")
    if (steps is None) == (epochs is None):
        raise ValueError("give exactly one of steps and epochs")
    if not isinstance(model, _Model):
        raise TypeError(
            f"model must be a seglab.models model (PixelLogisticRegression, TinyCNN), got "
            f"{type(model).__name__}"
        )
    inputs = model._check_inputs(inputs)
    if inputs.size and np.max(np.abs(inputs)) > _MAX_INPUT:
        raise ValueError(f"inputs must lie in [-{_MAX_INPUT:g}, {_MAX_INPUT:g}] (standardised "
                         f"features; beyond, the squared gradients overflow), got an entry of "
                         f"{np.max(np.abs(inputs)):g}")
    targets = _check_targets(targets, inputs)
    batch_size = min(check_int(batch_size, "batch_size", low=1), inputs.shape[0])
    rng = np.random.default_rng(check_int(seed, "seed", low=0))
    if loss_options is None:
        loss_options = {}
    elif not isinstance(loss_options, dict):
        raise TypeError(f"loss_options must be a dict, got {type(loss_options).__name__}")
    if optimizer is None:
        optimizer = Adam(lr)
    elif not isinstance(optimizer, Adam):
        raise TypeError(f"optimizer must be an Adam instance, got {type(optimizer).__name__}")
    n = inputs.shape[0]
    per_epoch = -(-n // batch_size)
    if steps is not None:
        total = check_int(steps, "steps", low=1, high=_MAX_STEPS)
    else:
        total = check_int(epochs, "epochs", low=1) * per_epoch
        if total > _MAX_STEPS:
            raise ValueError(f"epochs={epochs} makes {total} steps, more than {_MAX_STEPS}")
    history = np.empty(total)
    step = 0
    while step < total:
        order = rng.permutation(n)
        for start in range(0, n, batch_size):
            if step == total:
                break
            batch = order[start : start + batch_size]
            logits, backward = model._forward(inputs[batch])  # inputs checked above
            history[step], grad = _call_loss(loss, logits, targets[batch], loss_options, step)
            optimizer.step(model.params, backward(grad))
            step += 1
    return history


def tune_threshold(scores, target):
    r"""Threshold on ``scores`` that maximises the empirical Dice of ``scores > t`` on ``target``.

    Parameters
    ----------
    scores : array_like of float
        Scores of the validation pixels (probabilities or logits), any shape, finite,
        at least one pixel.
    target : array_like of bool or {0, 1}
        Binary labels of the same shape.

    Returns
    -------
    threshold : float
        A threshold :math:`\hat t` such that the mask ``scores > t_hat`` has the largest
        Dice :math:`2\,\mathrm{TP}/(2\,\mathrm{TP} + \mathrm{FP} + \mathrm{FN})` over all
        real thresholds: the midpoint between two consecutive distinct scores (the
        lower of the two when no float lies strictly between them, or when their
        difference overflows), ``inf`` (predict nothing) or ``-inf`` (predict
        everything). Among equally good masks the smallest one is chosen.
    dice : float
        Its Dice on ``target``; 1.0 when ``target`` is empty and the empty mask is chosen
        (the convention ``zero_division=1`` of :func:`seglab.metrics.dice`).

    Raises
    ------
    ValueError
        If the shapes differ, ``scores`` is empty or not finite, or ``target`` is not
        binary.

    Notes
    -----
    As :math:`t` decreases, the mask ``scores > t`` gains the pixels in decreasing
    order of score, and it changes only where :math:`t` crosses a score. Sorting once
    and cumulating the labels gives :math:`\mathrm{TP}` of every distinct mask, and with
    :math:`k` predicted pixels and :math:`P` positives the Dice is
    :math:`2\,\mathrm{TP}/(k + P)`: the search over all thresholds costs one sort. It is
    the exact search of :func:`seglab.theory.optimal_threshold`, run on empirical counts
    (0/1 labels in place of the posterior) over every real threshold. This is the
    validation step of the plug-in classifier of [1]_, [2]_.

    References
    ----------
    .. [1] O. Koyejo, N. Natarajan, P. Ravikumar and I. S. Dhillon, "Consistent binary
       classification with generalized performance metrics", NeurIPS 2014.
    .. [2] H. Narasimhan, R. Vaish and S. Agarwal, "On the statistical consistency of
       plug-in classifiers for non-decomposable performance measures", NeurIPS 2014.

    Explained in the book, chapter 4 (``book/ch4/surrogate.md``).

    Examples
    --------
    >>> from seglab.models import tune_threshold
    >>> tune_threshold([0.9, 0.8, 0.3, 0.1], [1, 1, 0, 0])
    (0.55, 1.0)
    >>> tune_threshold([0.9, 0.8, 0.3, 0.1], [1, 0, 1, 0])  # all but the last: 4/5
    (0.2, 0.8)
    >>> tune_threshold([0.2, 0.4], [0, 0])
    (inf, 1.0)
    """
    s = as_float_array(scores, "scores")
    g = np.asarray(target)
    if g.shape != s.shape:
        raise ValueError(f"scores shape {s.shape} and target shape {g.shape} differ")
    if s.size == 0:
        raise ValueError("scores is empty: tuning a threshold needs at least one pixel")
    if not np.all(np.isfinite(s)):
        raise ValueError("scores must be finite (no NaN or inf)")
    if g.dtype != bool and not np.all((g == 0) | (g == 1)):
        raise ValueError("target must be binary (bool or 0/1)")
    return _threshold_search(s, g.astype(np.float64), "dice", 1.0, 0.5, 0.5,
                             low=-np.inf, high=np.inf)
