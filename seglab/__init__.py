"""seglab: how to count errors in image segmentation.

The reference implementation behind the seglab book: overlap metrics from the
confusion matrix (:mod:`seglab.metrics`), boundary metrics
(:mod:`seglab.surface`), closed forms for class imbalance and
Bayes-optimal decisions (:mod:`seglab.theory`), reproducible synthetic data
(:mod:`seglab.data`), losses with closed-form gradients (:mod:`seglab.losses`),
tiny trainable models in NumPy (:mod:`seglab.models`), post-processing of
probability maps (:mod:`seglab.postprocess`), the book's advice on which metric, loss
and threshold to use for a task (:mod:`seglab.recommend`), lesion-wise detection scores
(:mod:`seglab.lesions`) and paired comparisons of two models (:mod:`seglab.compare`);
at the edge, the book's figures, one module per topic (:mod:`seglab.viz`), and sliders
that work both live and in static HTML (:mod:`seglab.widgets`), which need matplotlib
and ipywidgets and are not imported here. :mod:`seglab.torch` makes every loss a
PyTorch module; it needs the optional extra ``seglab[torch]`` and is not imported here
either.

The functions of ``metrics``, ``surface``, ``theory``, ``data``, ``losses``, ``lesions`` and
``compare`` are also available at the top level; ``models``, ``postprocess`` and
``recommend`` are reached as submodules. :mod:`seglab.evaluation` scores a folder of
predictions against a folder of references (:func:`evaluate_dataset`, the console script
``seglab evaluate``); Dask and NIfTI need the optional extra ``seglab[evaluate]``.
"""

from . import (
    compare,
    data,
    evaluation,
    lesions,
    losses,
    metrics,
    models,
    postprocess,
    recommend,
    surface,
    theory,
)
from .compare import *  # noqa: F403
from .data import *  # noqa: F403
from .evaluation import Conventions, EvaluationResult, dataset_fingerprint, evaluate_dataset
from .lesions import *  # noqa: F403
from .losses import *  # noqa: F403
from .metrics import *  # noqa: F403
from .surface import *  # noqa: F403
from .theory import *  # noqa: F403

__version__ = "0.2.0"

__all__ = [
    "data", "losses", "metrics", "models", "postprocess", "recommend", "surface", "theory",
]
__all__ += metrics.__all__
__all__ += surface.__all__
__all__ += theory.__all__
__all__ += data.__all__
__all__ += losses.__all__
__all__ += ["lesions"]
__all__ += lesions.__all__
__all__ += ["compare"]
__all__ += compare.__all__
# Data-set evaluation (seglab/evaluation.py; NIfTI and Dask need the extra seglab[evaluate]).
__all__ += ["evaluation", "Conventions", "EvaluationResult", "dataset_fingerprint",
            "evaluate_dataset"]
