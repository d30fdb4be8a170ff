r"""A small U-Net in PyTorch for the experiments, with a deterministic initialisation.

Optional: needs PyTorch, installed with ``pip install 'seglab[torch]'`` (which pins
``torch==2.13.0``). ``import seglab`` never imports this module or PyTorch.

* :class:`UNet`: the encoder-decoder of Ronneberger et al. with skip connections, at the
  size a two-core CPU trains in minutes (3 levels and 8 base channels: 29 641
  parameters for one input and one output channel).

Explained in the book's experiments (the study of losses under three models).
"""

from __future__ import annotations

from seglab._optional import import_torch
from seglab._validation import check_int

torch = import_torch("seglab.torch_models")

__all__ = ["UNet"]

# Channels are base * 2**level; a cap keeps a mistaken call from allocating gigabytes.
_MAX_CHANNELS = 1024
_MAX_LEVELS = 6


def _block(cin, cout):
    """Two 3x3 convolutions, each followed by instance normalisation and a leaky ReLU."""
    layers = []
    for a, b in ((cin, cout), (cout, cout)):
        layers += [torch.nn.Conv2d(a, b, 3, padding=1),
                   torch.nn.InstanceNorm2d(b, affine=True),
                   torch.nn.LeakyReLU(0.01)]
    return torch.nn.Sequential(*layers)


class UNet(torch.nn.Module):
    r"""A U-Net for 2-D images: ``levels`` resolutions, ``base_channels`` at the finest.

    Parameters
    ----------
    in_channels : int, optional
        Channels of the input image, at least 1.
    num_classes : int, optional
        Output channels: 1 for a binary problem (a foreground logit, as in
        :mod:`seglab.losses`), or :math:`K \ge 2`.
    base_channels : int, optional
        Channels at the finest level, doubled at each coarser one.
    levels : int, optional
        Number of resolutions, 1 to 6 (1: no down-sampling). The input's height and
        width must be divisible by :math:`2^{\text{levels} - 1}`.
    seed : int, optional
        Non-negative seed of the initial weights: two models built with the same seed
        have equal parameters, and building one leaves PyTorch's global random state
        as it was.

    Attributes
    ----------
    num_params : int
        Number of trainable scalars (29 641 with the defaults).

    Raises
    ------
    ValueError, TypeError
        A count out of its range or not an int; more than 1024 channels at the coarsest
        level.

    Notes
    -----
    Level :math:`\ell` (0 finest) of the encoder is a block of two 3x3 convolutions with
    :math:`8 \cdot 2^{\ell}` channels (for ``base_channels = 8``), each followed by
    instance normalisation and a leaky ReLU (slope 0.01), the choices of nnU-Net [2]_;
    a 2x2 max pooling goes down a level. The decoder goes up by a 2x2 transposed
    convolution of stride 2, concatenates the encoder's features of the same level
    (the skip connection [1]_) and applies a block; a 1x1 convolution gives the logits.
    The initial weights are PyTorch's defaults drawn from ``torch.manual_seed(seed)``
    inside :func:`torch.random.fork_rng`.

    References
    ----------
    .. [1] O. Ronneberger, P. Fischer and T. Brox, "U-Net: convolutional networks for
       biomedical image segmentation", MICCAI 2015.
    .. [2] F. Isensee, P. F. Jaeger, S. A. A. Kohl, J. Petersen and K. H. Maier-Hein,
       "nnU-Net: a self-configuring method for deep learning-based biomedical image
       segmentation", Nature Methods 18, 203-211 (2021).

    Examples
    --------
    >>> import torch
    >>> from seglab.torch_models import UNet
    >>> model = UNet(seed=0)
    >>> model.num_params
    29641
    >>> model(torch.zeros(2, 1, 64, 64)).shape
    torch.Size([2, 1, 64, 64])
    >>> all(torch.equal(a, b) for a, b in zip(model.parameters(), UNet(seed=0).parameters()))
    True
    """

    def __init__(self, in_channels=1, *, num_classes=1, base_channels=8, levels=3, seed=0):
        super().__init__()
        self.in_channels = check_int(in_channels, "in_channels", low=1, high=_MAX_CHANNELS)
        self.num_classes = check_int(num_classes, "num_classes", low=1, high=_MAX_CHANNELS)
        self.levels = check_int(levels, "levels", low=1, high=_MAX_LEVELS)
        base = check_int(base_channels, "base_channels", low=1, high=_MAX_CHANNELS)
        if base * 2 ** (self.levels - 1) > _MAX_CHANNELS:
            raise ValueError(f"base_channels * 2**(levels - 1) must be at most {_MAX_CHANNELS}, "
                             f"got {base} * 2**{self.levels - 1}")
        self.base_channels = base
        self.seed = check_int(seed, "seed", low=0)
        widths = [base * 2**level for level in range(self.levels)]
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(self.seed)
            self.down = torch.nn.ModuleList(
                _block(cin, cout) for cin, cout in zip([self.in_channels, *widths[:-1]], widths,
                                                   strict=True))
            self.up = torch.nn.ModuleList(
                torch.nn.ConvTranspose2d(widths[k + 1], widths[k], 2, stride=2)
                for k in reversed(range(self.levels - 1)))
            self.merge = torch.nn.ModuleList(
                _block(2 * widths[k], widths[k]) for k in reversed(range(self.levels - 1)))
            self.head = torch.nn.Conv2d(widths[0], self.num_classes, 1)

    @property
    def num_params(self):
        """Number of trainable scalars."""
        return sum(p.numel() for p in self.parameters() if p.requires_grad)

    def forward(self, x):
        """Logits of shape ``(N, num_classes, H, W)`` for images ``x`` of shape (N, C, H, W).

        Raises
        ------
        ValueError
            ``x`` not 4-D, with another number of channels, or a side not divisible by
            ``2**(levels - 1)``.
        TypeError
            ``x`` not a floating-point tensor.
        """
        if not isinstance(x, torch.Tensor) or not x.is_floating_point():
            raise TypeError(f"x must be a floating-point tensor, got {type(x).__name__}"
                            + (f" of dtype {x.dtype}" if isinstance(x, torch.Tensor) else ""))
        if x.ndim != 4 or x.shape[1] != self.in_channels:
            raise ValueError(f"x must have shape (N, {self.in_channels}, H, W), "
                             f"got {tuple(x.shape)}")
        factor = 2 ** (self.levels - 1)
        if x.shape[0] == 0 or x.shape[2] % factor or x.shape[3] % factor:
            raise ValueError(f"x must hold at least one image, with height and width divisible "
                             f"by {factor}, got shape {tuple(x.shape)}")
        skips = []
        for level, block in enumerate(self.down):
            if level:
                x = torch.nn.functional.max_pool2d(x, 2)
            x = block(x)
            skips.append(x)
        for up, merge, skip in zip(self.up, self.merge, reversed(skips[:-1]),
                                   strict=True):
            x = merge(torch.cat([up(x), skip], dim=1))
        return self.head(x)
