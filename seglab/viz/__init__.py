"""Figures of the book, one module per topic: the only part of seglab (with
:mod:`seglab.widgets`) that imports matplotlib.

Every figure function is a slider callback (see :func:`seglab.widgets.slider`): a pure
function of a few scalars that returns a new :class:`matplotlib.figure.Figure`, not
registered with pyplot. The numbers a figure shows come from the numerical core
(:mod:`seglab.theory`, :mod:`seglab.data`, :mod:`seglab.metrics`, :mod:`seglab.surface`,
:mod:`seglab.losses`, :mod:`seglab.postprocess`); nothing that a check, a test or an
experiment relies on is computed here.

* :mod:`seglab.viz.style`: resolution (:func:`~seglab.viz.style.resolution`), Okabe–Ito
  colours, the error-map categories;
* :mod:`seglab.viz.layers`: the cached static layer under each slider frame;
* :mod:`seglab.viz.imbalance`: scores and decisions as the foreground fraction shrinks;
* :mod:`seglab.viz.decisions`: optimal thresholds (Tversky) and rules under label noise;
* :mod:`seglab.viz.boundary`: one outlier pixel against the Hausdorff distance and Dice;
* :mod:`seglab.viz.losses`: what the focal, soft Dice and soft Tversky losses learn;
* :mod:`seglab.viz.postprocess`: total variation and the dense CRF on a noisy posterior;
* :mod:`seglab.viz.classroom`: the panels of the classroom dashboard (``make demo``).
* :mod:`seglab.viz.report`: a self-contained HTML report of a data-set evaluation;
* :mod:`seglab.viz.evidence`: the experiments' paired differences (forest plot) and
  reliability diagrams, from their summary.

Import the topic module you need (``from seglab.viz import imbalance``); this package
imports none of them, so that :mod:`seglab.widgets` can take its style from
:mod:`seglab.viz.style` without loading the figures.
"""

__all__: list[str] = []
