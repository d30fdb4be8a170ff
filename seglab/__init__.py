"""seglab: how to count errors in image segmentation.

The reference implementation behind the seglab book: overlap metrics from the
confusion matrix (:mod:`seglab.metrics`), closed forms for class imbalance and
Bayes-optimal decisions (:mod:`seglab.theory`), reproducible synthetic data
(:mod:`seglab.data`), losses with closed-form gradients
(:mod:`seglab.losses`), post-processing of probability maps with certificates
(:mod:`seglab.postprocess`, used as a submodule) and sliders that work both
live and in static HTML (:mod:`seglab.widgets`, which needs matplotlib and
ipywidgets and is not imported here).
"""

from . import data, losses, metrics, postprocess, theory
from .data import *  # noqa: F403
from .losses import *  # noqa: F403
from .metrics import *  # noqa: F403
from .theory import *  # noqa: F403

__version__ = "0.1.0"

__all__ = [
    "data", "metrics", "postprocess", "theory",
    *metrics.__all__, *theory.__all__, *data.__all__,
]
__all__ += ["losses", *losses.__all__]
