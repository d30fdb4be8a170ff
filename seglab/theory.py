r"""Closed forms for class imbalance, overlap scores and Bayes-optimal decisions.

Everything here is a formula of a few numbers (rates, priors, costs) or of a
posterior map :math:`\eta(x) = P(y = 1 \mid x)`, never of a trained model:

* the Dice–Jaccard link (:func:`dice_from_jaccard`, :func:`jaccard_from_dice`,
  :func:`dice_jaccard_gap`);
* population metrics of a classifier of given quality at a given foreground prior
  (:func:`rates_to_metrics`, :func:`trivial_classifier_metrics`);
* Bayes thresholds of per-pixel criteria (:func:`bayes_threshold`) and of the
  Tversky family (:func:`tversky_threshold`);
* expected confusion counts and metrics of a threshold rule on a posterior map
  (:func:`expected_confusion`, :func:`expected_metrics`, :func:`threshold_curve`)
  and the exact best threshold (:func:`optimal_threshold`);
* the confidence that minimises the focal loss at a given posterior
  (:func:`focal_minimiser`);
* the errors of the accuracy rule and of the balanced rule under a label-noise
  model (:func:`label_noise_risks`).

Conventions
-----------
A *population* (or *expected*) metric is the metric applied to expected counts:
a ratio of expectations :math:`E[\mathrm{TP}] / E[\mathrm{TP} + \mathrm{FP}]`, not
an expectation of ratios. It is the limit of the metric on one mask as the number
of pixels grows. A threshold rule predicts foreground iff :math:`\eta > t`
(strictly). Wherever a ratio is :math:`0/0` the result is ``zero_division``
(default NaN), as in :mod:`seglab.metrics`; balanced accuracy and two-class mean
IoU average only the defined class scores when ``zero_division`` is NaN; MCC is
1 when there are no expected errors at all. Scalar inputs give Python floats,
array inputs float64 arrays (NumPy broadcasting).

Explained in the book, chapter 1 (``book/ch1``).
"""

import numbers

import numpy as np

from ._validation import (
    as_float_array,
    check_choice,
    check_probabilities,
    check_real,
    check_zero_division,
)
from .metrics import METRICS, _class_counts, _rescaled, _score

__all__ = [
    "POPULATION_METRICS",
    "bayes_threshold",
    "ce_soft_dice_minimiser",
    "dice_from_jaccard",
    "dice_jaccard_gap",
    "expected_confusion",
    "expected_metrics",
    "focal_minimiser",
    "imbalance_rules",
    "jaccard_from_dice",
    "label_noise_risks",
    "optimal_threshold",
    "rates_to_metrics",
    "threshold_curve",
    "trivial_classifier_metrics",
    "tversky_threshold",
]

# Each metric name of theory -> (metric of seglab.metrics, average) applied to the 2 x 2
# matrix of (expected) counts: the names and the formulas are those of seglab.metrics,
# plus the two-class mean IoU 'miou' (the 'macro' IoU of foreground and background).
_POPULATION = {**{name: (name, "binary") for name in METRICS}, "miou": ("iou", "macro")}

#: Keys of the dictionaries returned by :func:`rates_to_metrics` and
#: :func:`expected_metrics`, in that order: the names of ``seglab.metrics.METRICS``
#: but ``'tversky_index'`` (which needs weights), then ``'miou'``.
POPULATION_METRICS = tuple(name for name in _POPULATION if name != "tversky_index")

_CURVE_METRICS = tuple(_POPULATION)


# --------------------------------------------------------------------------- helpers


def _check_interval(x, name, *, low=-np.inf, high=np.inf, low_open=False, high_open=False):
    """Return ``x`` as a finite float64 array after checking every entry lies in the interval."""
    arr = as_float_array(x, name)
    too_low = arr <= low if low_open else arr < low
    too_high = arr >= high if high_open else arr > high
    if np.any(too_low | too_high):
        left = "(" if low_open else "["
        right = ")" if high_open else "]"
        raise ValueError(
            f"{name} must lie in {left}{low}, {high}{right}, got values in "
            f"[{arr.min():.6g}, {arr.max():.6g}]"
        )
    return arr


def _broadcast(**arrays):
    """np.broadcast_arrays of the named arrays; a ValueError naming them if they do not fit."""
    try:
        return np.broadcast_arrays(*arrays.values())
    except ValueError:
        shapes = ", ".join(f"{name} shape {np.shape(x)}" for name, x in arrays.items())
        raise ValueError(f"{shapes} do not broadcast together") from None


def _check_tversky_weights(alpha, beta):
    """Validate Tversky weights: alpha, beta >= 0 and not both zero (broadcastable arrays)."""
    alpha = _check_interval(alpha, "alpha", low=0.0)
    beta = _check_interval(beta, "beta", low=0.0)
    if np.any(sum(_broadcast(alpha=alpha, beta=beta)) <= 0):
        raise ValueError("alpha and beta must not both be 0 (the Tversky index would be 1 or 0/0)")
    return alpha, beta


def _finish(x, scalar):
    """Return a Python float for scalar input, else a float64 array."""
    x = np.asarray(x, dtype=np.float64)
    return float(x) if scalar else x


def _binary_counts(tp, fp, fn, tn):
    """One-vs-rest counts of the 2 x 2 matrices [[tn, fp], [fn, tp]] (broadcast), for _score.

    Each matrix is scaled by a power of two (exact, scores unchanged) so that products
    of counts cannot overflow or underflow.
    """
    tp, fp, fn, tn = np.broadcast_arrays(*(np.asarray(x, np.float64) for x in (tp, fp, fn, tn)))
    cm = np.stack([np.stack([tn, fp], axis=-1), np.stack([fn, tp], axis=-1)], axis=-2)
    return _class_counts(_rescaled(cm))


def _metric_from_counts(name, counts, zero_division, alpha=0.5, beta=0.5):
    """One metric of :func:`_binary_counts`, by the formulas of :mod:`seglab.metrics`."""
    metric, average = _POPULATION[name]
    return _score(counts, metric, average, zero_division, alpha, beta)


def _all_metrics(tp, fp, fn, tn, zero_division, scalar):
    counts = _binary_counts(tp, fp, fn, tn)
    return {
        name: _finish(_metric_from_counts(name, counts, zero_division), scalar)
        for name in POPULATION_METRICS
    }


# ------------------------------------------------------------------ Dice and Jaccard


def dice_from_jaccard(j):
    r"""Dice score of a pair of masks from their Jaccard index (IoU).

    Parameters
    ----------
    j : float or array_like
        Jaccard index (IoU), each value in [0, 1].

    Returns
    -------
    float or ndarray
        :math:`D = 2J / (1 + J)`, a float for scalar input, else a float64 array.

    Raises
    ------
    ValueError
        If ``j`` has values outside [0, 1], NaN or infinities.
    TypeError
        If ``j`` is not real numeric.

    See Also
    --------
    jaccard_from_dice : the inverse map.
    dice_jaccard_gap : :math:`(1 - J) - (1 - D)` as a function of :math:`D`.

    Notes
    -----
    With :math:`a = \mathrm{TP}` and :math:`s = \mathrm{FP} + \mathrm{FN}`,
    :math:`J = a / (a + s)` and :math:`D = 2a / (2a + s)`; dividing by :math:`a + s`
    gives :math:`D = 2J / (2J + (1 - J)) = 2J / (1 + J)`. The map is strictly increasing
    (derivative :math:`2 / (1 + J)^2 > 0`) and concave, with fixed points 0 and 1, so
    :math:`D \ge J` and the two scores rank any two segmentations of one image the same
    way [1]_ [2]_.

    References
    ----------
    .. [1] J. Bertels et al., "Optimizing the Dice score and Jaccard index for medical
       image segmentation: theory and practice", MICCAI 2019, arXiv:1911.01685.
    .. [2] T. Eelbode et al., "Optimization for medical image segmentation: theory and
       practice when evaluating with Dice score or Jaccard index", IEEE TMI 39(11), 2020.

    Explained in the book, chapter 1 (``book/ch1/overlap.md``).

    Examples
    --------
    >>> from seglab.theory import dice_from_jaccard
    >>> dice_from_jaccard(0.5)
    0.6666666666666666
    >>> dice_from_jaccard([0.0, 1 / 3, 1.0])
    array([0. , 0.5, 1. ])
    """
    jac = check_probabilities(j, "j")
    return _finish(2.0 * jac / (1.0 + jac), jac.ndim == 0)


def jaccard_from_dice(d):
    r"""Jaccard index (IoU) of a pair of masks from their Dice score.

    Parameters
    ----------
    d : float or array_like
        Dice score, each value in [0, 1].

    Returns
    -------
    float or ndarray
        :math:`J = D / (2 - D)`, a float for scalar input, else a float64 array.

    Raises
    ------
    ValueError
        If ``d`` has values outside [0, 1], NaN or infinities.
    TypeError
        If ``d`` is not real numeric.

    See Also
    --------
    dice_from_jaccard : the inverse map.

    Notes
    -----
    Solving :math:`D = 2J / (1 + J)` for :math:`J` gives :math:`J = D / (2 - D)`
    (the denominator is at least 1 on [0, 1]). In losses,
    :math:`L_J = 1 - J = 2 L_D / (1 + L_D)` with :math:`L_D = 1 - D`, hence
    :math:`L_D \le L_J \le 2 L_D` [1]_.

    References
    ----------
    .. [1] J. Bertels et al., "Optimizing the Dice score and Jaccard index for medical
       image segmentation: theory and practice", MICCAI 2019, arXiv:1911.01685.

    Explained in the book, chapter 1 (``book/ch1/overlap.md``).

    Examples
    --------
    >>> from seglab.theory import jaccard_from_dice
    >>> jaccard_from_dice(0.8)
    0.6666666666666667
    >>> jaccard_from_dice([0.0, 0.5, 1.0])
    array([0.        , 0.33333333, 1.        ])
    """
    dice = check_probabilities(d, "d")
    return _finish(dice / (2.0 - dice), dice.ndim == 0)


def dice_jaccard_gap(d):
    r"""Gap :math:`L_J - L_D = D - J` between the Jaccard and Dice losses, given the Dice score.

    Parameters
    ----------
    d : float or array_like
        Dice score, each value in [0, 1].

    Returns
    -------
    float or ndarray
        :math:`D - J = D(1 - D) / (2 - D)`, in :math:`[0, 3 - 2\sqrt{2}]`.

    Raises
    ------
    ValueError
        If ``d`` has values outside [0, 1], NaN or infinities.
    TypeError
        If ``d`` is not real numeric.

    Notes
    -----
    With :math:`J = D / (2 - D)`,

    .. math::

        g(D) &= (1 - J) - (1 - D) = D - \frac{D}{2 - D} = \frac{D (1 - D)}{2 - D}, \\
        g'(D) &= \frac{D^2 - 4D + 2}{(2 - D)^2}.

    The only root of :math:`g'` in [0, 1] is :math:`D^\star = 2 - \sqrt{2}` (the other
    is :math:`2 + \sqrt{2}`); :math:`g' > 0` before it and :math:`< 0` after it, so the
    maximum gap is :math:`g(D^\star) = (2 - \sqrt 2)(\sqrt 2 - 1)/\sqrt 2
    = (\sqrt 2 - 1)^2 = 3 - 2\sqrt{2} \approx 0.1716`, attained at
    :math:`J^\star = \sqrt 2 - 1`. (Derived here; the loss inequalities
    :math:`L_D \le L_J \le 2 L_D` are in [1]_.)

    References
    ----------
    .. [1] J. Bertels et al., "Optimizing the Dice score and Jaccard index for medical
       image segmentation: theory and practice", MICCAI 2019, arXiv:1911.01685.

    Explained in the book, chapter 1 (``book/ch1/overlap.md``).

    Examples
    --------
    >>> import numpy as np
    >>> from seglab.theory import dice_jaccard_gap
    >>> dice_jaccard_gap(2 - np.sqrt(2))  # the maximum, 3 - 2 sqrt(2)
    0.17157287525381
    >>> dice_jaccard_gap([0.0, 0.5, 1.0])
    array([0.        , 0.16666667, 0.        ])
    """
    dice = check_probabilities(d, "d")
    return _finish(dice * (1.0 - dice) / (2.0 - dice), dice.ndim == 0)


# ------------------------------------------------------------- rates and priors


def rates_to_metrics(tpr, fpr, pi, *, zero_division=np.nan):
    r"""Population metrics of a classifier with given error rates at foreground prior ``pi``.

    Parameters
    ----------
    tpr : float or array_like
        True-positive rate (recall, sensitivity) :math:`P(\hat y = 1 \mid y = 1)`, in [0, 1].
    fpr : float or array_like
        False-positive rate :math:`P(\hat y = 1 \mid y = 0)`, in [0, 1].
    pi : float or array_like
        Foreground prior :math:`P(y = 1)`, in the open interval (0, 1).
    zero_division : {nan, 0.0, 1.0}, optional
        Value returned where a ratio is 0/0: precision and MCC when the classifier
        predicts only one class (``tpr == fpr == 0``, or ``tpr == fpr == 1`` for MCC).
        The other metrics are always defined for ``pi`` in (0, 1).

    Returns
    -------
    dict of str to float or ndarray
        Keys ``'accuracy', 'balanced_accuracy', 'precision', 'recall', 'specificity',
        'iou', 'dice', 'mcc', 'miou'`` (foreground scores; ``'miou'`` is the two-class
        mean IoU). Values broadcast over the arguments; Python floats for scalars.

    Raises
    ------
    ValueError
        If ``tpr`` or ``fpr`` leave [0, 1], ``pi`` leaves (0, 1), an argument is not
        finite, the shapes do not broadcast together, or ``zero_division`` is not 0, 1
        or NaN.
    TypeError
        If an argument is not real numeric.

    See Also
    --------
    trivial_classifier_metrics : the all-background and all-foreground classifiers.
    expected_metrics : the same metrics for a threshold rule on a posterior map.

    Notes
    -----
    Per unit of pixel mass the expected counts are

    .. math::

        \mathrm{TP} &= \pi\,\mathrm{tpr},\quad \mathrm{FN} = \pi(1 - \mathrm{tpr}), \\
        \mathrm{FP} &= (1 - \pi)\,\mathrm{fpr},\quad \mathrm{TN} = (1 - \pi)(1 - \mathrm{fpr}),

    and each metric is the same ratio of these expectations (the limit, as the number
    of pixels grows, of the metric on one large mask). With
    :math:`q = \pi\,\mathrm{tpr} + (1 - \pi)\mathrm{fpr}` the predicted-foreground rate:

    .. math::

        \mathrm{acc} &= \pi\,\mathrm{tpr} + (1 - \pi)(1 - \mathrm{fpr}), \qquad
        \mathrm{BA} = \tfrac12 (\mathrm{tpr} + 1 - \mathrm{fpr}), \\
        \mathrm{precision} &= \frac{\pi\,\mathrm{tpr}}{q}, \qquad
        \mathrm{IoU} = \frac{\pi\,\mathrm{tpr}}{\pi + (1 - \pi)\mathrm{fpr}}, \qquad
        \mathrm{Dice} = \frac{2\pi\,\mathrm{tpr}}{\pi + q}, \\
        \mathrm{MCC} &= (\mathrm{tpr} - \mathrm{fpr})
            \sqrt{\frac{\pi (1 - \pi)}{q (1 - q)}}, \\
        \mathrm{mIoU} &= \frac12\Bigl(\mathrm{IoU}
            + \frac{(1 - \pi)(1 - \mathrm{fpr})}{1 - \pi + \pi (1 - \mathrm{tpr})}\Bigr).

    For MCC, :math:`\mathrm{TP}\,\mathrm{TN} - \mathrm{FP}\,\mathrm{FN}
    = \pi(1-\pi)(\mathrm{tpr} - \mathrm{fpr})` and the four margins are
    :math:`\pi, 1 - \pi, q, 1 - q` [1]_ [2]_. Balanced accuracy does not depend on
    :math:`\pi` [3]_; precision, IoU and Dice fall to 0 as :math:`\pi \to 0` at fixed
    rates whenever ``fpr > 0`` — the imbalance effect of the chapter.

    References
    ----------
    .. [1] B. W. Matthews, "Comparison of the predicted and observed secondary structure
       of T4 phage lysozyme", Biochim. Biophys. Acta 405(2), 1975.
    .. [2] D. Chicco and G. Jurman, "The advantages of the Matthews correlation
       coefficient (MCC) over F1 score and accuracy in binary classification
       evaluation", BMC Genomics 21, 2020.
    .. [3] K. H. Brodersen, C. S. Ong, K. E. Stephan and J. M. Buhmann, "The balanced
       accuracy and its posterior distribution", ICPR 2010.

    Explained in the book, chapter 1 (``book/ch1``).

    Examples
    --------
    >>> from seglab.theory import rates_to_metrics
    >>> m = rates_to_metrics(0.9, 0.01, 0.01)
    >>> round(m["accuracy"], 4), round(m["balanced_accuracy"], 4)
    (0.9891, 0.945)
    >>> round(m["precision"], 4), round(m["dice"], 4), round(m["iou"], 4)
    (0.4762, 0.6228, 0.4523)
    >>> rates_to_metrics(0.9, 0.01, [0.5, 0.01, 0.001])["dice"]
    array([0.94240838, 0.62283737, 0.15138772])
    """
    zero_division = check_zero_division(zero_division)
    tpr = check_probabilities(tpr, "tpr")
    fpr = check_probabilities(fpr, "fpr")
    pi = _check_interval(pi, "pi", low=0.0, high=1.0, low_open=True, high_open=True)
    scalar = tpr.ndim == 0 and fpr.ndim == 0 and pi.ndim == 0
    tpr, fpr, pi = _broadcast(tpr=tpr, fpr=fpr, pi=pi)
    tp = pi * tpr
    fn = pi * (1.0 - tpr)
    fp = (1.0 - pi) * fpr
    tn = (1.0 - pi) * (1.0 - fpr)
    return _all_metrics(tp, fp, fn, tn, zero_division, scalar)


def trivial_classifier_metrics(pi, *, predict, zero_division=np.nan):
    r"""Population metrics of the constant classifiers at foreground prior ``pi``.

    Parameters
    ----------
    pi : float or array_like
        Foreground prior, in the open interval (0, 1).
    predict : {'background', 'foreground'}
        The constant prediction: every pixel background (``tpr = fpr = 0``) or every
        pixel foreground (``tpr = fpr = 1``).
    zero_division : {nan, 0.0, 1.0}, optional
        Value of the undefined ratios: precision of the all-background classifier and
        MCC of both (a constant prediction has zero variance).

    Returns
    -------
    dict of str to float or ndarray
        Same keys as :func:`rates_to_metrics`.

    Raises
    ------
    ValueError
        If ``predict`` is not one of the choices or ``pi`` leaves (0, 1).

    Notes
    -----
    All background: accuracy :math:`1 - \pi` (near 1 when the foreground is rare), yet
    foreground IoU = Dice = recall = 0, balanced accuracy :math:`1/2`, two-class mean IoU
    :math:`(1 - \pi)/2` (background IoU :math:`1 - \pi`, foreground IoU 0), specificity 1.
    All foreground: accuracy and precision :math:`\pi`, IoU :math:`\pi`,
    Dice :math:`2\pi/(1 + \pi)`, balanced accuracy :math:`1/2`, mean IoU :math:`\pi/2`.
    This is the accuracy paradox [1]_: accuracy rewards the useless all-background
    rule by :math:`1 - \pi`, balanced accuracy scores both constant rules 1/2 [2]_.

    References
    ----------
    .. [1] L. Maier-Hein et al., "Metrics reloaded: recommendations for image analysis
       validation", Nature Methods 21, 2024.
    .. [2] K. H. Brodersen, C. S. Ong, K. E. Stephan and J. M. Buhmann, "The balanced
       accuracy and its posterior distribution", ICPR 2010.

    Explained in the book, chapter 1 (``book/ch1``).

    Examples
    --------
    >>> from seglab.theory import trivial_classifier_metrics
    >>> m = trivial_classifier_metrics(0.02, predict="background")
    >>> m["accuracy"], m["balanced_accuracy"], m["dice"], m["miou"], m["precision"]
    (0.98, 0.5, 0.0, 0.49, nan)
    >>> round(trivial_classifier_metrics(0.02, predict="foreground")["dice"], 6)
    0.039216
    """
    check_choice(predict, "predict", ("background", "foreground"))
    rate = 0.0 if predict == "background" else 1.0
    return rates_to_metrics(rate, rate, pi, zero_division=zero_division)


# --------------------------------------------------------------- Bayes thresholds


def bayes_threshold(criterion, *, pi=None, cost_fp=1.0, cost_fn=1.0):
    r"""Bayes-optimal threshold on :math:`\eta(x) = P(y = 1 \mid x)` of a per-pixel criterion.

    The optimal rule predicts foreground iff :math:`\eta(x) > t`.

    Parameters
    ----------
    criterion : {'accuracy', 'cost', 'balanced'}
        ``'accuracy'``: expected 0-1 loss (number of errors); ``'cost'``: expected cost
        with ``cost_fp`` per false positive and ``cost_fn`` per false negative;
        ``'balanced'``: balanced error rate :math:`(\mathrm{FNR} + \mathrm{FPR})/2`.
    pi : float or array_like, optional
        Foreground prior in (0, 1); required for ``'balanced'``, ignored otherwise
        (but validated when given).
    cost_fp, cost_fn : float or array_like, optional
        Positive costs of a false positive and a false negative (used by ``'cost'``,
        validated always). Default 1.

    Returns
    -------
    float or ndarray
        The threshold :math:`t`: :math:`1/2`,
        :math:`c_{FP}/(c_{FP} + c_{FN})`, or :math:`\pi`.

    Raises
    ------
    ValueError
        Unknown ``criterion``; ``pi`` missing for ``'balanced'`` or outside (0, 1);
        a cost that is not positive and finite; costs whose shapes do not broadcast.

    Notes
    -----
    The risk of any rule is :math:`E_x[\text{cost of its decision at } x]`, so it is
    minimised pixel by pixel. Predicting 1 at :math:`x` costs
    :math:`c_{FP}(1 - \eta)` in expectation, predicting 0 costs :math:`c_{FN}\eta`;
    1 is strictly better iff :math:`\eta > c_{FP}/(c_{FP} + c_{FN})` [1]_. Equal costs
    give :math:`1/2`. The balanced error is
    :math:`\tfrac12 E[\mathbf{1}[\hat y = 0]\,\eta/\pi
    + \mathbf{1}[\hat y = 1](1 - \eta)/(1 - \pi)]`,
    the cost criterion with :math:`c_{FN} = 1/\pi`, :math:`c_{FP} = 1/(1 - \pi)`, whose
    threshold is :math:`\pi` [2]_. (At :math:`\eta = t` both decisions are optimal;
    the rule ``eta > t`` then picks background.)

    References
    ----------
    .. [1] C. Elkan, "The foundations of cost-sensitive learning", IJCAI 2001.
    .. [2] O. Koyejo, N. Natarajan, P. Ravikumar and I. S. Dhillon, "Consistent binary
       classification with generalized performance metrics", NeurIPS 2014.

    Explained in the book, chapter 1 (``book/ch1/decisions.md``).

    Examples
    --------
    >>> from seglab.theory import bayes_threshold
    >>> bayes_threshold("accuracy")
    0.5
    >>> bayes_threshold("cost", cost_fp=1.0, cost_fn=9.0)
    0.1
    >>> bayes_threshold("balanced", pi=0.02)
    0.02
    """
    check_choice(criterion, "criterion", ("accuracy", "cost", "balanced"))
    cost_fp = _check_interval(cost_fp, "cost_fp", low=0.0, low_open=True)
    cost_fn = _check_interval(cost_fn, "cost_fn", low=0.0, low_open=True)
    if pi is not None:
        pi = _check_interval(pi, "pi", low=0.0, high=1.0, low_open=True, high_open=True)
    if criterion == "accuracy":
        return 0.5
    if criterion == "cost":
        # Divide both costs by a power of two near the larger (exactly), so that their sum
        # cannot overflow: costs of 1e308 give 1/2, not 1e308 / inf = 0.
        fp, fn = _broadcast(cost_fp=cost_fp, cost_fn=cost_fn)
        _, exponent = np.frexp(np.maximum(fp, fn))
        fp, fn = np.ldexp(fp, -exponent), np.ldexp(fn, -exponent)
        return _finish(fp / (fp + fn), cost_fp.ndim == 0 and cost_fn.ndim == 0)
    if pi is None:
        raise ValueError("pi is required when criterion='balanced' (the threshold is pi)")
    return _finish(pi, pi.ndim == 0)


def tversky_threshold(t_star, *, alpha, beta):
    r"""Threshold on :math:`\eta` of the Tversky-optimal rule, given the optimal value.

    Parameters
    ----------
    t_star : float or array_like
        Optimal population Tversky index :math:`T^\star`, in [0, 1].
    alpha, beta : float or array_like
        Tversky weights, :math:`\alpha \ge 0` on false positives and :math:`\beta \ge 0`
        on false negatives, not both 0.

    Returns
    -------
    float or ndarray
        :math:`\tau = \alpha T^\star / (1 + T^\star(\alpha + \beta - 1))`: the rule
        :math:`\eta > \tau` maximises :math:`E[\mathrm{TP}] / E[\mathrm{TP} + \alpha\mathrm{FP}
        + \beta\mathrm{FN}]`.

    Raises
    ------
    ValueError
        If ``t_star`` leaves [0, 1], a weight is negative, or both are 0.

    Notes
    -----
    Write :math:`E = \sum_x \eta(x)` and, for a predicted set :math:`S`,
    :math:`\mathrm{TP} = \sum_S \eta`, :math:`\mathrm{FP} = \sum_S (1 - \eta)`,
    :math:`\mathrm{FN} = E - \mathrm{TP}`. By Dinkelbach's lemma [1]_, :math:`T^\star`
    is the optimal value iff :math:`\max_S\, \mathrm{TP} - T^\star(\mathrm{TP}
    + \alpha\mathrm{FP} + \beta\mathrm{FN}) = 0`, and the maximisers are the optimal sets.
    The objective is :math:`\sum_{x \in S} [\eta(1 + T^\star(\alpha + \beta - 1))
    - \alpha T^\star] - \beta T^\star E`, so a pixel belongs to an optimal set iff its
    bracket is positive (either choice when it is 0). Since
    :math:`0 \le T^\star \le 1` makes :math:`1 + T^\star(\alpha + \beta - 1)` a convex
    combination of 1 and :math:`\alpha + \beta`, hence :math:`\ge \min(1, \alpha + \beta)
    > 0`, this is :math:`\eta > \tau` [2]_. Special cases: Dice
    (:math:`\alpha = \beta = 1/2`) gives :math:`F^\star/2` [3]_, Jaccard
    (:math:`\alpha = \beta = 1`) gives :math:`J^\star/(1 + J^\star)`. Since :math:`\tau`
    decreases in :math:`\beta`, weighting false negatives more predicts more foreground.

    References
    ----------
    .. [1] W. Dinkelbach, "On nonlinear fractional programming", Management Science
       13(7), 1967.
    .. [2] O. Koyejo, N. Natarajan, P. Ravikumar and I. S. Dhillon, "Consistent binary
       classification with generalized performance metrics", NeurIPS 2014.
    .. [3] Z. C. Lipton, C. Elkan and B. Naryanaswamy, "Optimal thresholding of
       classifiers to maximize F1 measure", ECML PKDD 2014, arXiv:1402.1892.

    Explained in the book, chapter 1 (``book/ch1/decisions.md``).

    Examples
    --------
    >>> from seglab.theory import tversky_threshold
    >>> tversky_threshold(0.8, alpha=0.5, beta=0.5)  # Dice: F*/2
    0.4
    >>> round(tversky_threshold(0.5, alpha=1.0, beta=1.0), 6)  # Jaccard: J*/(1+J*)
    0.333333
    >>> round(tversky_threshold(0.6, alpha=0.3, beta=0.7), 6)
    0.18
    """
    t = check_probabilities(t_star, "t_star")
    alpha, beta = _check_tversky_weights(alpha, beta)
    scalar = t.ndim == 0 and alpha.ndim == 0 and beta.ndim == 0
    t, alpha, beta = _broadcast(t_star=t, alpha=alpha, beta=beta)
    return _finish(alpha * t / (1.0 + t * (alpha + beta - 1.0)), scalar)


# ------------------------------------------------------ threshold rules on eta


def _sorted_sums(values, positive):
    """Sorted ``values`` and the sums of ``positive`` and ``1 - positive`` around each split.

    ``positive`` is the probability that each pixel is foreground: the posterior itself
    for expected counts (``positive is values``) or 0/1 labels for empirical counts. For a
    split index ``i`` (the ``i`` smallest values are background): ``low_pos[i]`` sums
    ``positive`` over them and ``high_pos[i]`` over the rest, likewise for
    ``1 - positive``. Suffix sums are accumulated from the top so that small counts of a
    nearly empty prediction carry no cancellation error.
    """
    if positive is values:
        s = w = np.sort(values.ravel(), kind="stable")
    else:
        order = np.argsort(values.ravel(), kind="stable")
        s, w = values.ravel()[order], positive.ravel()[order]
    zero = np.zeros(1)
    low_pos = np.concatenate([zero, np.cumsum(w)])
    low_neg = np.concatenate([zero, np.cumsum(1.0 - w)])
    high_pos = np.concatenate([np.cumsum(w[::-1])[::-1], zero])
    high_neg = np.concatenate([np.cumsum((1.0 - w)[::-1])[::-1], zero])
    return s, (high_pos, high_neg, low_pos, low_neg)


def _counts_at(sums, index):
    """Binary counts (for _score) of the splits ``index`` of :func:`_sorted_sums`."""
    high_pos, high_neg, low_pos, low_neg = sums
    return _binary_counts(high_pos[index], high_neg[index], low_pos[index], low_neg[index])


def _between(lower, upper):
    """A threshold t with lower <= t < upper: their midpoint when a float lies strictly
    between them (computed without overflow), else ``lower``; an infinite end stands for
    itself (``inf``: predict nothing, ``-inf``: predict everything)."""
    if upper == np.inf or lower == -np.inf:
        return upper if upper == np.inf else lower
    with np.errstate(over="ignore"):
        mid = 0.5 * (lower + upper)
        if not np.isfinite(mid):
            mid = lower + (upper - lower) / 2.0
    return mid if lower < mid < upper else lower


def _threshold_search(values, positive, metric, zero_division, alpha, beta, *, low, high):
    """The best rule ``values > t`` over all t in [low, high], by an exact sweep.

    The one threshold search of seglab, behind :func:`optimal_threshold` (expected counts
    of a probability map, t in [0, 1]) and :func:`seglab.models.tune_threshold` (empirical
    counts of validation scores, any real t). The distinct rules predict the k largest
    distinct values; their counts are prefix sums of the sorted values. The rule predicting
    every pixel needs t < min(values), so it is a candidate only when min(values) > low.
    NaN scores never win; among equal scores the rule with the fewest foreground pixels
    does. Returns (threshold, score) as Python floats.
    """
    s, sums = _sorted_sums(values, positive)
    starts = np.flatnonzero(np.concatenate([[True], s[1:] != s[:-1]]))
    # Candidate split indices: the first index of each distinct value (predict that value
    # and all larger ones), then n (predict nothing). Split 0 predicts every pixel.
    split = np.concatenate([starts, [s.size]])
    lower = np.concatenate([[low], s[starts[1:] - 1], [s[-1]]])
    upper = np.concatenate([s[starts], [high]])
    if s[0] <= low:
        split, lower, upper = split[1:], lower[1:], upper[1:]
    scores = _metric_from_counts(metric, _counts_at(sums, split), zero_division, alpha, beta)
    ranked = np.where(np.isnan(scores), -np.inf, scores)
    best = ranked.size - 1 - int(np.argmax(ranked[::-1]))
    return float(_between(lower[best], upper[best])), float(scores[best])


def _check_metric(metric, alpha, beta):
    check_choice(metric, "metric", _CURVE_METRICS)
    if metric == "tversky_index":
        for value, name in ((alpha, "alpha"), (beta, "beta")):
            if isinstance(value, bool) or not isinstance(value, numbers.Real):
                raise TypeError(f"{name} must be a real number, got {value!r}")
        alpha, beta = _check_tversky_weights(float(alpha), float(beta))
        return float(alpha), float(beta)
    return 0.5, 0.5


def expected_confusion(prob, threshold):
    r"""Expected confusion counts of the rule :math:`\eta > t` for labels ~ Bernoulli(eta).

    Parameters
    ----------
    prob : array_like
        Posterior probability map :math:`\eta(x) = P(y = 1 \mid x)`, any shape, values
        in [0, 1].
    threshold : float or array_like
        Threshold(s) :math:`t` in [0, 1]; the rule predicts foreground iff
        :math:`\eta > t`.

    Returns
    -------
    dict of str to float or ndarray
        ``'tp', 'fp', 'fn', 'tn'``: expected counts summed over pixels, each a float for
        a scalar ``threshold``, else an array of the shape of ``threshold``.

    Raises
    ------
    ValueError
        If ``prob`` or ``threshold`` has values outside [0, 1], NaN, infinities, or
        ``prob`` is empty.

    Notes
    -----
    With independent labels :math:`y(x) \sim \mathrm{Bernoulli}(\eta(x))` and the
    deterministic prediction :math:`\hat y(x) = \mathbf{1}[\eta(x) > t]`,

    .. math::

        E[\mathrm{TP}] &= \sum_x \eta\,\mathbf{1}[\eta > t], \quad
        E[\mathrm{FP}] = \sum_x (1 - \eta)\mathbf{1}[\eta > t], \\
        E[\mathrm{FN}] &= \sum_x \eta\,\mathbf{1}[\eta \le t], \quad
        E[\mathrm{TN}] = \sum_x (1 - \eta)\mathbf{1}[\eta \le t].

    Computed from prefix sums of the sorted map in :math:`O((n + m)\log n)` for
    :math:`m` thresholds.

    Explained in the book, chapter 1 (``book/ch1/decisions.md``).

    Examples
    --------
    >>> from seglab.theory import expected_confusion
    >>> expected_confusion([0.9, 0.6, 0.2, 0.1], 0.5)
    {'tp': 1.5, 'fp': 0.5, 'fn': 0.3, 'tn': 1.7}
    """
    prob = check_probabilities(prob, "prob")
    t = check_probabilities(threshold, "threshold")
    s, (high_pos, high_neg, low_pos, low_neg) = _sorted_sums(prob, prob)
    split = np.searchsorted(s, t, side="right")
    tp, fp, fn, tn = high_pos[split], high_neg[split], low_pos[split], low_neg[split]
    scalar = t.ndim == 0
    return {
        "tp": _finish(tp, scalar),
        "fp": _finish(fp, scalar),
        "fn": _finish(fn, scalar),
        "tn": _finish(tn, scalar),
    }


def expected_metrics(prob, threshold, *, zero_division=np.nan):
    r"""Population metrics of the rule :math:`\eta > t` (ratios of expected counts).

    Parameters
    ----------
    prob : array_like
        Posterior probability map :math:`\eta`, any shape, values in [0, 1].
    threshold : float or array_like
        Threshold(s) in [0, 1].
    zero_division : {nan, 0.0, 1.0}, optional
        Value of a 0/0 ratio (e.g. precision of the empty prediction).

    Returns
    -------
    dict of str to float or ndarray
        Same keys as :func:`rates_to_metrics`, computed from
        :func:`expected_confusion`.

    Raises
    ------
    ValueError
        As :func:`expected_confusion`; bad ``zero_division``.

    Notes
    -----
    Each metric is its formula applied to the expected counts of
    :func:`expected_confusion`, e.g. :math:`\mathrm{Dice}(t) = 2E[\mathrm{TP}] /
    (2E[\mathrm{TP}] + E[\mathrm{FP}] + E[\mathrm{FN}])`. This is the population
    value of the metric pooled over a large image, not the mean of the metric.

    Explained in the book, chapter 1 (``book/ch1/decisions.md``).

    Examples
    --------
    >>> from seglab.theory import expected_metrics
    >>> m = expected_metrics([0.9, 0.6, 0.2, 0.1], 0.5)
    >>> round(m["dice"], 4), round(m["precision"], 4), round(m["recall"], 4)
    (0.7895, 0.75, 0.8333)
    """
    zero_division = check_zero_division(zero_division)
    counts = expected_confusion(prob, threshold)
    scalar = np.ndim(counts["tp"]) == 0
    return _all_metrics(
        counts["tp"], counts["fp"], counts["fn"], counts["tn"], zero_division, scalar
    )


def threshold_curve(
    prob, thresholds, *, metric="dice", alpha=0.5, beta=0.5, zero_division=np.nan
):
    r"""Population value of a metric for the rules :math:`\eta > t`, for each threshold.

    Parameters
    ----------
    prob : array_like
        Posterior probability map :math:`\eta`, any shape, values in [0, 1].
    thresholds : float or array_like
        Thresholds in [0, 1].
    metric : str, optional
        A name of ``seglab.metrics.METRICS`` (``'dice'``, the default, ``'iou'``,
        ``'tversky_index'``, ``'accuracy'``, ``'balanced_accuracy'``, ``'precision'``,
        ``'recall'``, ``'specificity'``, ``'mcc'``) or ``'miou'`` (two-class mean IoU),
        applied to the expected counts (see :func:`expected_confusion`) with the
        formulas of :mod:`seglab.metrics`.
    alpha, beta : float, optional
        Tversky weights on false positives and false negatives
        (``metric='tversky_index'`` only; validated then). Default 1/2, which is Dice.
    zero_division : {nan, 0.0, 1.0}, optional
        Value of a 0/0 ratio.

    Returns
    -------
    float or ndarray
        One value per threshold (shape of ``thresholds``; a float for a scalar).

    Raises
    ------
    ValueError
        Unknown ``metric``; values outside [0, 1]; bad Tversky weights.

    Notes
    -----
    :math:`m(t) = f(E[\mathrm{TP}](t), E[\mathrm{FP}](t), E[\mathrm{FN}](t),
    E[\mathrm{TN}](t))` where :math:`f` is the metric's formula. The curve is a step
    function of :math:`t` that changes only at values of :math:`\eta`. For Dice its
    maximum is at :math:`t = F^\star/2` [1]_.

    References
    ----------
    .. [1] Z. C. Lipton, C. Elkan and B. Naryanaswamy, "Optimal thresholding of
       classifiers to maximize F1 measure", ECML PKDD 2014, arXiv:1402.1892.

    Explained in the book, chapter 1 (``book/ch1/decisions.md``).

    Examples
    --------
    >>> from seglab.theory import threshold_curve
    >>> prob = [0.9, 0.6, 0.2, 0.1]
    >>> threshold_curve(prob, [0.0, 0.5, 0.95], metric="dice")
    array([0.62068966, 0.78947368, 0.        ])
    >>> threshold_curve(prob, 0.5, metric="precision")
    0.75
    """
    zero_division = check_zero_division(zero_division)
    alpha, beta = _check_metric(metric, alpha, beta)
    prob = check_probabilities(prob, "prob")
    t = check_probabilities(thresholds, "thresholds")
    s, sums = _sorted_sums(prob, prob)
    counts = _counts_at(sums, np.searchsorted(s, t, side="right"))
    return _finish(_metric_from_counts(metric, counts, zero_division, alpha, beta), t.ndim == 0)


def optimal_threshold(prob, *, metric="dice", alpha=0.5, beta=0.5, zero_division=np.nan):
    r"""Best rule :math:`\eta > t` for a population metric, by an exact sweep.

    Parameters
    ----------
    prob : array_like
        Posterior probability map :math:`\eta`, any shape, values in [0, 1].
    metric : str, optional
        Metric to maximise, applied to expected counts; the choices of
        :func:`threshold_curve` (default ``'dice'``).
    alpha, beta : float, optional
        Tversky weights (``metric='tversky_index'`` only).
    zero_division : {nan, 0.0, 1.0}, optional
        Value of a 0/0 ratio; NaN values never win.

    Returns
    -------
    threshold : float
        A threshold in [0, 1] realising the best rule: the midpoint between the
        largest :math:`\eta` left out and the smallest one predicted (0 and 1 stand
        in below the smallest value and above the largest). If that midpoint rounds
        onto the predicted value (adjacent doubles), the left-out value itself is
        returned, so ``prob > threshold`` is always exactly the best rule.
    value : float
        The metric of that rule, equal to ``threshold_curve(prob, threshold)``. NaN
        only if the metric is undefined for every rule.

    Raises
    ------
    ValueError
        Unknown ``metric``; ``prob`` outside [0, 1] or empty; bad Tversky weights.

    Notes
    -----
    A rule :math:`\eta > t` cannot separate pixels with equal :math:`\eta`, so the
    distinct rules are "predict the :math:`k` largest distinct values of
    :math:`\eta`", :math:`k = 0, \dots, m`. Their expected counts are prefix sums of
    the sorted map, so all :math:`m + 1` values cost :math:`O(n \log n)` (the sort).
    The rule predicting every pixel is a candidate only when :math:`\min \eta > 0`
    (no :math:`t \ge 0` predicts a pixel with :math:`\eta = 0`). Among equal values the
    rule with the fewest foreground pixels wins. The same sweep, on empirical counts of
    validation scores, is :func:`seglab.models.tune_threshold`; the scores are those of
    :mod:`seglab.metrics` applied to the expected confusion matrix.

    For Dice, IoU and Tversky the best of all :math:`2^n` predictions is a threshold
    rule: by Dinkelbach's lemma [3]_ the optimal sets are
    :math:`\{\eta > \tau\}` up to pixels with :math:`\eta = \tau`, with
    :math:`\tau = F^\star/2` for Dice [1]_ and
    :math:`\tau = \alpha T^\star/(1 + T^\star(\alpha + \beta - 1))` for Tversky [2]_
    (see :func:`tversky_threshold`); the sweep finds that rule.

    References
    ----------
    .. [1] Z. C. Lipton, C. Elkan and B. Naryanaswamy, "Optimal thresholding of
       classifiers to maximize F1 measure", ECML PKDD 2014, arXiv:1402.1892.
    .. [2] O. Koyejo, N. Natarajan, P. Ravikumar and I. S. Dhillon, "Consistent binary
       classification with generalized performance metrics", NeurIPS 2014.
    .. [3] W. Dinkelbach, "On nonlinear fractional programming", Management Science
       13(7), 1967.

    Explained in the book, chapter 1 (``book/ch1/decisions.md``).

    Examples
    --------
    >>> from seglab.theory import optimal_threshold
    >>> t, f = optimal_threshold([0.9, 0.6, 0.35, 0.2, 0.1], metric="dice")
    >>> t, round(f, 4)
    (0.475, 0.7229)
    >>> 0.35 < f / 2 < 0.6  # the same rule is eta > F*/2
    True
    """
    zero_division = check_zero_division(zero_division)
    alpha, beta = _check_metric(metric, alpha, beta)
    prob = check_probabilities(prob, "prob")
    return _threshold_search(prob, prob, metric, zero_division, alpha, beta, low=0.0, high=1.0)


# ------------------------------------------------------------------- focal loss


def _focal_logit(q, gamma):
    r"""The logit :math:`\log g(1 - q) - \log g(q)` of :math:`\psi_\gamma(q)`, in log space.

    :math:`g(x) = (1 - x)^{\gamma - 1}((1 - x)/x - \gamma\log x)` is minus the derivative
    of :math:`-(1 - x)^\gamma \log x`. The power underflows to 0 for large
    :math:`\gamma` (already :math:`0.7^{2000} < 10^{-300}`), and :math:`\psi_\gamma` then
    became 0/0 or a constant; its logarithm, :math:`(\gamma - 1)\log(1 - x)`, does not.
    """
    log_q, log_flip = np.log(q), np.log1p(-q)

    def log_g(log_x, log_y, ratio):  # log g(x) from log x, log(1 - x) and (1 - x)/x
        return (gamma - 1.0) * log_y + np.log(ratio - gamma * log_x)

    return log_g(log_flip, log_q, q / (1.0 - q)) - log_g(log_q, log_flip, (1.0 - q) / q)


def focal_minimiser(prob, *, gamma, alpha=0.5):
    r"""Confidence that minimises the expected (alpha-balanced) binary focal loss.

    Parameters
    ----------
    prob : float or array_like
        Posterior probability :math:`\eta = P(y = 1 \mid x)`, in [0, 1].
    gamma : float
        Focusing parameter :math:`\gamma \ge 0` (``gamma=0`` is cross-entropy).
    alpha : float, optional
        Weight :math:`\alpha \in (0, 1)` of the foreground term, :math:`1 - \alpha` on the
        background term, as in Lin et al. [1]_. The default 0.5 is the unbalanced loss.

    Returns
    -------
    float or ndarray
        :math:`q^\star(\eta)`, the unique minimiser over :math:`q \in [0, 1]` of
        :math:`-\alpha\eta(1 - q)^\gamma\log q - (1 - \alpha)(1 - \eta)q^\gamma\log(1 - q)`
        (0 at :math:`\eta = 0`, 1 at :math:`\eta = 1`).

    Raises
    ------
    TypeError
        If ``gamma`` or ``alpha`` is not a real number.
    ValueError
        If ``prob`` leaves [0, 1] or is not finite, ``gamma < 0`` or ``alpha`` leaves (0, 1).

    Notes
    -----
    With :math:`g(q) = (1 - q)^{\gamma - 1}((1 - q)/q - \gamma\log q)` (minus the derivative
    of :math:`-(1 - q)^\gamma \log q`, positive and strictly decreasing on (0, 1)), the
    minimiser solves :math:`\psi_\gamma(q) = \eta'` where
    :math:`\psi_\gamma(q) = g(1 - q)/(g(q) + g(1 - q))` is a strictly increasing bijection
    of (0, 1) [2]_ and :math:`\eta' = \alpha\eta/(\alpha\eta + (1 - \alpha)(1 - \eta))`.
    It is found by bisection on :math:`q`: 60 halvings shrink the bracket below
    :math:`10^{-18}`. The comparison :math:`\psi_\gamma(q) < \eta'` is made between logits,
    :math:`\log g(1 - q) - \log g(q)` against :math:`\log(\alpha\eta) -
    \log((1 - \alpha)(1 - \eta))`, with :math:`\log g` in log space, so that the factor
    :math:`(1 - q)^{\gamma - 1}` cannot underflow (for :math:`\gamma \ge 2000` it did,
    and :math:`q^\star` came out constant in :math:`\eta`) and :math:`\eta'` near 0 or 1
    keeps its precision. Against a 60-digit mpmath bisection the error is within
    :math:`2 \cdot 10^{-16}` for :math:`\gamma` from 0.5 to :math:`10^6` and
    :math:`\eta` from :math:`10^{-6}` to :math:`1 - 10^{-6}`.
    Hence :math:`q^\star > 1/2` iff :math:`\eta > 1 - \alpha`, for every :math:`\gamma`
    (:math:`\psi_\gamma(1/2) = 1/2`); for :math:`\gamma > 0`, :math:`q^\star` lies strictly
    between :math:`\eta'` and 1/2 (under-confidence, proved in the book).

    References
    ----------
    .. [1] T.-Y. Lin, P. Goyal, R. Girshick, K. He and P. Dollár, "Focal loss for dense
       object detection", ICCV 2017, arXiv:1708.02002.
    .. [2] N. Charoenphakdee, J. Vongkulbhisal, N. Chairatanakul and M. Sugiyama, "On focal
       loss for class-posterior probability estimation: a theoretical perspective",
       CVPR 2021, arXiv:2011.09172.

    Explained in the book, chapter 2 (``book/ch2/proper.md``).

    Examples
    --------
    >>> from seglab.theory import focal_minimiser
    >>> focal_minimiser(0.9, gamma=0.0)  # cross-entropy is proper
    0.9
    >>> round(focal_minimiser(0.9, gamma=2.0), 4)  # focal loss is not
    0.6942
    >>> round(focal_minimiser(0.75, gamma=2.0, alpha=0.25), 12)  # decision: eta > 1 - alpha
    0.5
    """
    eta = check_probabilities(prob, "prob")
    gamma = check_real(gamma, "gamma", low=0.0)
    if not np.isfinite(gamma):
        raise ValueError(f"gamma must be finite, got {gamma!r}")
    alpha = check_real(alpha, "alpha", low=0.0, high=1.0, low_open=True, high_open=True)
    scalar = eta.ndim == 0
    weighted = alpha * eta / (alpha * eta + (1.0 - alpha) * (1.0 - eta))
    inside = (weighted > 0.0) & (weighted < 1.0)
    if gamma == 0.0:
        return _finish(weighted, scalar)  # cross-entropy: psi is the identity
    # Bisection on psi(q) < eta', compared as logits: logit(eta') is computed from eta and
    # alpha directly, so that eta' near 0 or 1 keeps its precision.
    with np.errstate(divide="ignore"):
        target = (np.log(alpha) - np.log1p(-alpha)) + (np.log(eta) - np.log1p(-eta))
    low = np.zeros_like(weighted)
    high = np.ones_like(weighted)
    for _ in range(60):
        mid = 0.5 * (low + high)
        below = _focal_logit(np.where(inside, mid, 0.5), gamma) < target
        low = np.where(below, mid, low)
        high = np.where(below, high, mid)
    return _finish(np.where(inside, 0.5 * (low + high), weighted), scalar)


def label_noise_risks(clean_prior, noise_width):
    r"""Errors of the accuracy rule and of the balanced rule under uniform label noise.

    A pixel has a clean label :math:`Z \in \{0, 1\}` with :math:`P(Z = 1) = a` and a
    flip probability :math:`\rho = wU`, :math:`U` uniform on [0, 1] and independent
    of :math:`Z`; the observed label is :math:`Y = Z` with probability :math:`1 - \rho`
    and :math:`1 - Z` otherwise. The features reveal :math:`(Z, U)`, so the posterior
    is :math:`\eta = 1 - wU` on :math:`Z = 1` and :math:`\eta = wU` on :math:`Z = 0`.

    Parameters
    ----------
    clean_prior : float or array_like
        Clean foreground fraction :math:`a \in (0, 1/2]` (the foreground is the rare
        class).
    noise_width : float or array_like
        Largest flip probability :math:`w \in [0, 1/2]` (0: deterministic labels).

    Returns
    -------
    dict of float or ndarray
        Broadcast over the two inputs: ``'pi'``, the observed prior
        :math:`\pi = a + w(1 - 2a)/2`; ``'conflict_mass'``,
        :math:`P(\pi < \eta < 1/2)`; ``'margin_bound'``, :math:`2a/(1 + 2a)`;
        ``'error_accuracy_rule'``, ``'error_balanced_rule'``,
        ``'ber_accuracy_rule'``, ``'ber_balanced_rule'``: the error rate
        :math:`\mathrm{FP} + \mathrm{FN}` and the balanced error
        :math:`\tfrac12(\mathrm{FN}/\pi + \mathrm{FP}/(1 - \pi))` of the accuracy rule
        :math:`\mathbf 1\{\eta > 1/2\}` and of the balanced rule
        :math:`\mathbf 1\{\eta > \pi\}`.

    Raises
    ------
    ValueError
        If ``clean_prior`` leaves (0, 1/2] or ``noise_width`` leaves [0, 1/2], or
        either is not finite.

    Notes
    -----
    With :math:`d = (w - \pi)_+`, the background posteriors above :math:`\pi` fill
    :math:`(\pi, w]`, so :math:`P(\pi < \eta < 1/2) = (1 - a)\, d / w`, and the
    margin condition (no posterior mass strictly between :math:`\pi` and 1/2) holds
    iff :math:`w \le \pi`, i.e. iff :math:`w \le 2a/(1 + 2a)`. The accuracy rule has
    :math:`\mathrm{FP} = aw/2` and :math:`\mathrm{FN} = (1 - a)w/2`; the balanced rule
    adds the background pixels with :math:`\eta \in (\pi, w]`:

    .. math::

        \mathrm{FP} &= \frac{aw}{2} + (1 - a)\frac{d}{w}\Bigl(1 - \frac{w + \pi}{2}\Bigr),
        \\
        \mathrm{FN} &= \frac{(1 - a)w}{2} - (1 - a)\frac{d}{w}\,\frac{w + \pi}{2}.

    At :math:`w = 0` every quantity is its limit: no errors, no conflict.

    Explained in the book, chapter 4 (``book/ch4/perfect_loss.md``).

    Examples
    --------
    >>> from seglab.theory import label_noise_risks
    >>> r = label_noise_risks(0.05, 0.2)
    >>> round(r["pi"], 3), round(r["conflict_mass"], 4), round(r["margin_bound"], 4)
    (0.14, 0.2850, 0.0909)
    >>> r["error_accuracy_rule"] < r["error_balanced_rule"]
    True
    >>> r["ber_balanced_rule"] < r["ber_accuracy_rule"]
    True
    """
    a = _check_interval(clean_prior, "clean_prior", low=0.0, high=0.5, low_open=True)
    w = _check_interval(noise_width, "noise_width", low=0.0, high=0.5)
    a, w = _broadcast(clean_prior=a, noise_width=w)
    scalar = a.ndim == 0
    pi = a + w * (1.0 - 2.0 * a) / 2.0
    d = np.maximum(w - pi, 0.0)
    share = np.divide(d, w, out=np.zeros_like(d), where=w > 0)   # P(eta > pi | Z = 0)
    fp_acc, fn_acc = a * w / 2.0, (1.0 - a) * w / 2.0
    fp_bal = fp_acc + (1.0 - a) * share * (1.0 - (w + pi) / 2.0)
    fn_bal = fn_acc - (1.0 - a) * share * (w + pi) / 2.0
    out = {
        "pi": pi,
        "conflict_mass": (1.0 - a) * share,
        "margin_bound": 2.0 * a / (1.0 + 2.0 * a),
        "error_accuracy_rule": fp_acc + fn_acc,
        "error_balanced_rule": fp_bal + fn_bal,
        "ber_accuracy_rule": (fn_acc / pi + fp_acc / (1.0 - pi)) / 2.0,
        "ber_balanced_rule": (fn_bal / pi + fp_bal / (1.0 - pi)) / 2.0,
    }
    return {key: _finish(value, scalar) for key, value in out.items()}


# --------------------------------------------------------- decisions of the losses


def imbalance_rules(prob, pi):
    r"""Where three families of losses put the decision on a posterior map, and its Dice.

    Parameters
    ----------
    prob : array_like
        Posterior map :math:`\eta`, any shape, values in [0, 1].
    pi : float
        Foreground fraction :math:`\pi` the class weights are balanced for, in (0, 1).

    Returns
    -------
    dict
        For each rule key ``'ce'``, ``'wce'``, ``'dice'``: a pair ``(threshold, dice)``,
        the threshold :math:`t` on the posterior and the population Dice
        (:func:`expected_metrics`) of the rule :math:`\eta > t`.

    Raises
    ------
    ValueError
        If ``pi`` leaves (0, 1), or ``prob`` is not a map of probabilities (as
        :func:`optimal_threshold`).

    Notes
    -----
    Cross-entropy and the focal loss are minimised by a map whose 1/2 level set is
    :math:`\eta = 1/2` (key ``'ce'``); cross-entropy with inverse-frequency class weights
    :math:`w_1/w_0 = (1 - \pi)/\pi` by one whose 1/2 level is
    :math:`\eta = w_0/(w_0 + w_1) = \pi` (``'wce'``); the best rule for the population
    Dice is :math:`\eta > F^\star/2` (``'dice'``, :func:`optimal_threshold`).

    Explained in the book, chapter 2 (``book/ch2/experiments.md``).

    Examples
    --------
    >>> from seglab.data import posterior_map, synthetic_mask
    >>> from seglab.theory import imbalance_rules
    >>> eta = posterior_map(synthetic_mask((96, 96), foreground_fraction=0.01))
    >>> rules = imbalance_rules(eta, 0.01)
    >>> rules["wce"][0]
    0.01
    >>> rules["dice"][1] >= max(rules["ce"][1], rules["wce"][1])
    True
    """
    pi = check_real(pi, "pi", low=0.0, high=1.0, low_open=True, high_open=True)
    t_dice, _ = optimal_threshold(prob, metric="dice")
    return {key: (float(t), float(expected_metrics(prob, t)["dice"]))
            for key, t in (("ce", 0.5), ("wce", pi), ("dice", t_dice))}


def ce_soft_dice_minimiser(eta, *, lam, weights=None):
    r"""Population minimiser of cross-entropy plus soft Dice on a finite instance space.

    Parameters
    ----------
    eta : array_like
        Posteriors :math:`\eta_i` of the points (e.g. the pixels of a posterior map), any
        shape, each in the open interval (0, 1).
    lam : float
        Weight :math:`\mu \in [0, 1]` of cross-entropy; soft Dice has :math:`1 - \mu`.
    weights : array_like, optional
        Nonnegative masses :math:`p_i` of the points (shape of ``eta``, positive sum);
        uniform by default. They are normalised to sum to 1.

    Returns
    -------
    ndarray of float64
        The scores :math:`q \in (0, 1)` (shape of ``eta``; equal posteriors get equal scores)
        of the best of three conjugate-gradient runs on
        :math:`J_\mu(q) = \mu\,\mathrm{CE}(q) + (1 - \mu)(1 - \mathrm{SD}(q))`, with
        :math:`\mathrm{CE}(q) = -\sum_i p_i(\eta_i\log q_i + (1 - \eta_i)\log(1 - q_i))` and
        :math:`\mathrm{SD}(q) = 2\sum_i p_i q_i\eta_i / (\sum_i p_i q_i + \sum_i p_i\eta_i)`.
        For :math:`\mu = 1` it is :math:`\eta`; for :math:`\mu = 0` the hard mask
        :math:`\mathbf{1}\{\eta > F^\star/2\}` (the minimiser of soft Dice alone), computed by the
        exact sweep of :func:`optimal_threshold`.

    Raises
    ------
    TypeError
        If ``lam`` is not a real number.
    ValueError
        If ``eta`` is empty, not finite or leaves (0, 1), ``lam`` leaves [0, 1], or the
        weights have another shape, a negative entry or a zero sum.

    Notes
    -----
    The objective is minimised over logits; the runs start at :math:`\operatorname{logit}\eta`
    and at the constant logits :math:`\pm 3`. :math:`J_\mu` is not convex, so the result
    is the best local minimiser found, not a certified global one. At a minimiser the
    stationarity condition :math:`q_i - \eta_i = c(2\eta_i - s)q_i(1 - q_i)` holds with
    :math:`s = \mathrm{SD}(q)` and :math:`c = (1 - \mu)/(\mu(\sum_i p_i q_i + \pi))`,
    so :math:`q_i > 1/2` iff :math:`\eta_i > (2 + cs)/(2(2 + c))`.

    Explained in the book, chapter 4 (``book/ch4/surrogate.md``).

    Examples
    --------
    >>> import numpy as np
    >>> from seglab.theory import ce_soft_dice_minimiser
    >>> q = ce_soft_dice_minimiser(np.full(4, 0.1), lam=0.5)   # uninformative, prior 0.1
    >>> bool(np.all(q < 0.5)), bool(np.ptp(q) < 1e-9)
    (True, True)
    """
    from scipy.optimize import minimize
    from scipy.special import expit

    eta = as_float_array(eta, "eta")
    if not np.all(np.isfinite(eta)) or np.any((eta <= 0) | (eta >= 1)):
        raise ValueError("eta must hold finite values in (0, 1)")
    lam = check_real(lam, "lam", low=0.0, high=1.0)
    if weights is None:
        weights = np.ones(eta.shape)
    weights = as_float_array(weights, "weights")
    if weights.shape != eta.shape:
        raise ValueError(f"weights shape {weights.shape} and eta shape {eta.shape} differ")
    if np.any(weights < 0) or not np.isfinite(weights.sum()) or weights.sum() <= 0:
        raise ValueError("weights must be nonnegative with a positive finite sum")
    values, inverse = np.unique(eta.ravel(), return_inverse=True)
    p = np.bincount(inverse, weights=weights.ravel()) / weights.sum()
    if lam == 1.0:
        return eta.copy()
    if lam == 0.0:
        rules = (values[None, :] > np.concatenate([[-1.0], values])[:, None]).astype(float)
        dice = 2 * rules @ (p * values) / (rules @ p + p @ values)
        return rules[np.argmax(dice)][inverse].reshape(eta.shape)
    pi = p @ values

    def objective(z):
        q = expit(z)
        ce = p @ (values * np.logaddexp(0, -z) + (1 - values) * np.logaddexp(0, z))
        total = p @ q + pi
        sd = 2 * (p * q) @ values / total
        grad = lam * p * (q - values) - (1 - lam) * p * (2 * values - sd) * q * (1 - q) / total
        return lam * ce + (1 - lam) * (1 - sd), grad

    starts = [np.log(values / (1 - values))] + [np.full(values.size, c) for c in (-3.0, 3.0)]
    options = {"gtol": 1e-11, "maxiter": 20_000}
    runs = [minimize(objective, z0, jac=True, method="CG", options=options) for z0 in starts]
    best = min(runs, key=lambda r: r.fun)
    return expit(best.x)[inverse].reshape(eta.shape)
