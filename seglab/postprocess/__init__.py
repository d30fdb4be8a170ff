r"""Post-processing of probability maps with guarantees.

Every function here takes a probability map, either binary (an ``(H, W)``
array holding the foreground probability) or K-class (a ``(K, H, W)`` array
whose channels sum to one), and returns a smoother map or a mask together
with the quantities that certify what was computed: an energy, a
primal-dual gap, a free energy per iteration.

Grid conventions, shared by all functions:

* The discrete gradient is the forward difference with Neumann boundary,
  :math:`(\nabla u)_{i,j} = (u_{i+1,j} - u_{i,j},\; u_{i,j+1} - u_{i,j})`,
  with a zero difference across the last row and column (as in
  :func:`skimage.restoration.denoise_tv_chambolle`); its operator norm
  satisfies :math:`\|\nabla\|^2 \le 8`.
* Isotropic total variation :math:`\mathrm{TV}(u) = \sum_{i,j}
  |(\nabla u)_{i,j}|_2`; anisotropic :math:`\mathrm{TV}_1(u) = \sum_{i,j}
  |(\nabla u)_{i,j}|_1`. The grid spacing is one pixel, so :math:`\lambda`
  is measured in pixels.
* Binary decisions use the cost :math:`c = \log(1 - p) - \log p`, minus the
  log-odds of the foreground: a pixel with :math:`c < 0` prefers the
  foreground. Probabilities are clipped to :math:`[\varepsilon,
  1 - \varepsilon]` first (``eps``), the declared treatment of 0 and 1.

Contents: the linear baseline :func:`sobolev_smooth`; ROF
denoising :func:`tv_smooth`; the convex relaxation of the binary Potts
model :func:`convex_relaxation` (Chan, Esedoglu and Nikolova); the exact
binary Potts minimiser by minimum cut :func:`graph_cut` and the local baseline
:func:`icm` with their common energy :func:`potts_energy`; the fully
connected CRF :func:`dense_crf` (Krähenbühl and Koltun) with its Gaussian
filter :func:`gaussian_kernel_filter` (exact, or by the permutohedral
lattice); morphological baselines :func:`opening`, :func:`closing` and
:func:`remove_small_components`.

Explained in the book, chapter 3 (book/ch3).
"""

from .crf import MAX_EXACT_PIXELS as MAX_EXACT_PIXELS
from .crf import CRFResult, dense_crf, gaussian_kernel_filter
from .morphology import closing, opening, remove_small_components
from .potts import graph_cut, icm, potts_energy
from .tv import RelaxationResult, TVResult, convex_relaxation, sobolev_smooth, tv_smooth

__all__ = [
    "CRFResult",
    "RelaxationResult",
    "TVResult",
    "closing",
    "convex_relaxation",
    "dense_crf",
    "gaussian_kernel_filter",
    "graph_cut",
    "icm",
    "opening",
    "potts_energy",
    "remove_small_components",
    "sobolev_smooth",
    "tv_smooth",
]
