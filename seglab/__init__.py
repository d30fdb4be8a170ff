"""seglab: how to count errors in image segmentation.

The reference implementation behind the seglab book: overlap metrics from the
confusion matrix (:mod:`seglab.metrics`), boundary metrics
(:mod:`seglab.surface`), closed forms for class imbalance and
Bayes-optimal decisions (:mod:`seglab.theory`), reproducible synthetic data
(:mod:`seglab.data`) and sliders that work both live and in static HTML
(:mod:`seglab.widgets`, which needs matplotlib and ipywidgets and is not
imported here).
"""

from . import data, metrics, surface, theory
from .data import *  # noqa: F403
from .metrics import *  # noqa: F403
from .surface import *  # noqa: F403
from .theory import *  # noqa: F403

__version__ = "0.1.0"

__all__ = [
    "data", "metrics", "surface", "theory",
    *metrics.__all__, *surface.__all__, *theory.__all__, *data.__all__,
]
