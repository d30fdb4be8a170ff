r"""Which metric, which loss, which threshold: the book's advice as a function of the task.

:func:`recommend` takes a *task fingerprint* (the foreground fraction, the number of objects
per image, whether boundaries or detection matter, whether images without foreground occur)
and returns a :class:`Recommendation`: metrics with their conventions (per image or pooled,
the declared result of 0/0, the HD95 percentile rule and its empty-mask values, the surface
Dice tolerance), a loss, a threshold procedure, and what to avoid. Every item is an
:class:`Advice` carrying the labels of the results of the book that support it and a one-line
caveat; nothing here is advice that the book does not prove or measure.

Explained in the book, chapter 4 (``book/ch4/practice.md``).
"""

from dataclasses import dataclass, field

from ._validation import check_bool, check_real

__all__ = ["RARE_FOREGROUND", "Advice", "Recommendation", "recommend"]

#: Below this foreground fraction the foreground counts as rare. In the book's study
#: (``book/ch2/study.md``: a U-Net on simulated lesions) cross-entropy at 1/2 found no
#: foreground at 0.5 % and an unstable amount at 2 %, where a tuned threshold recovered it; at
#: 10 % the two thresholds were within 0.01 of pooled Dice.
RARE_FOREGROUND = 0.1


@dataclass(frozen=True)
class Advice:
    """One recommendation: what to use, with which conventions, why, and its limit.

    Parameters
    ----------
    role : {'metric', 'loss', 'threshold', 'avoid'}
        What the item is for.
    name : str
        The metric, loss or procedure, in words.
    settings : dict
        The conventions that make it well defined, as ``seglab`` keyword arguments or short
        phrases (for example ``{'per_image': False, 'zero_division': 'nan'}``).
    labels : tuple of str
        Labels of the results of the book that support it (``'thm-f1-threshold'``).
    caveat : str
        One line: when it can mislead.

    Examples
    --------
    >>> a = Advice("metric", "Dice", {"per_image": False}, ("prop-pooled-weighted",),
    ...            "weights images by size")
    >>> a.labels
    ('prop-pooled-weighted',)
    """

    role: str
    name: str
    settings: dict = field(default_factory=dict)
    labels: tuple = ()
    caveat: str = ""


@dataclass(frozen=True)
class Recommendation:
    """The answer of :func:`recommend`: metrics, a loss, a threshold procedure, what to avoid.

    Parameters
    ----------
    metrics : tuple of Advice
        The metrics to report, the first one the primary score.
    loss : Advice
        The training loss.
    threshold : Advice
        How to turn the trained scores into a mask.
    avoid : tuple of Advice
        Choices the book shows to fail on this task.

    Examples
    --------
    >>> r = recommend(foreground_fraction=0.01, objects_per_image=1, boundaries_matter=False,
    ...               detection_matters=False, empty_images=False)
    >>> [a.role for a in r.items()][-1]
    'avoid'
    >>> "thm-f1-threshold" in r.labels()
    True
    """

    metrics: tuple
    loss: Advice
    threshold: Advice
    avoid: tuple = ()

    def items(self):
        """Every item, in the order metrics, loss, threshold, avoid."""
        return (*self.metrics, self.loss, self.threshold, *self.avoid)

    def labels(self):
        """The sorted labels of every result cited by some item."""
        return sorted({label for item in self.items() for label in item.labels})


def _overlap(rare, many, empty_images):
    if empty_images:
        return Advice(
            "metric", "Dice pooled over the data set",
            {"per_image": False, "zero_division": "nan (per-image Dice is 0/0 on an empty "
             "image predicted empty)"},
            ("prop-pooled-weighted", "prop-tversky"),
            "pooled Dice weights images by |P| + |G|: an empty image predicted empty adds "
            "nothing and a small object little, so report the per-image scores beside it")
    if rare or many:
        return Advice(
            "metric", "Dice per image, mean over images",
            {"per_image": True, "reduction": "mean", "zero_division": "nan",
             "return_count": True},
            ("prop-pooled-weighted", "prop-fixed-quality"),
            "at a fixed error rate Dice falls with the foreground fraction, so compare "
            "methods on the same data, never across data sets")
    return Advice(
        "metric", "Dice (or IoU, the same ranking), per image and pooled",
        {"per_image": True, "reduction": "mean", "zero_division": "nan"},
        ("thm-dice-jaccard", "prop-pooled-weighted"),
        "the per-image mean weights images equally, the pooled score by object size; say "
        "which one you report")


def _empty_rate():
    return Advice(
        "metric", "false-alarm rate on the empty images (image-level specificity)",
        {"images": "those whose reference is empty", "count": "images with any predicted "
         "foreground"},
        ("prop-pooled-weighted", "prop-tversky"),
        "needs enough empty images in the test set to estimate a rate")


def _detection():
    return Advice(
        "metric", "object-level detection rate (objects hit / objects)",
        {"hit": "an object of the reference overlapped by the prediction"},
        ("prop-pooled-weighted",),
        "the book proves why pixel scores hide small objects, not how to match objects: "
        "declare the matching rule")


def _boundary(rare, empty_images):
    nsd = Advice(
        "metric", "surface Dice (NSD) at a tolerance",
        {"tolerance": "the annotation accuracy, in the units of spacing", "spacing": "the "
         "pixel size", "both_empty": "nan" if empty_images else "nan (does not occur)",
         "one_empty": 0.0},
        ("prop-ch4-boundary-sensitive", "prop-bd-nsd"),
        "NSD = 1 for every tolerance above HD, so a loose tolerance hides all errors")
    hd95 = Advice(
        "metric", "HD95 (95th percentile Hausdorff distance)",
        {"percentile": 95, "combine": "max", "method": "linear", "both_empty": 0.0,
         "one_empty": "'worst' (the image diagonal)" if empty_images else "inf (does not "
         "occur)"},
        ("prop-ch4-boundary-sensitive", "prop-ch4-hd95-outliers", "thm-bd-empty"),
        "more than about 5 % stray boundary pixels set it"
        + (", and small objects have few boundary pixels: prefer NSD" if rare else ""))
    return (nsd, hd95)


def _avoid(rare, many, boundaries_matter, empty_images):
    items = []
    if rare:
        items.append(Advice(
            "avoid", "accuracy (pixel accuracy)", {},
            ("prop-accuracy-paradox", "prop-fixed-quality"),
            "the all-background mask scores 1 - pi; use it only beside a foreground score"))
        items.append(Advice(
            "avoid", "the threshold 1/2 (argmax) for a Dice target", {},
            ("thm-f1-threshold", "thm-no-f1-consistent-loss"),
            "with rare foreground no pixel may reach 1/2 and the mask is empty"))
    if empty_images:
        items.append(Advice(
            "avoid", "soft Dice without smoothing as the loss", {},
            ("prop-empty-mask",),
            "it gives no gradient on an image without foreground"))
    if boundaries_matter:
        items.append(Advice(
            "avoid", "the plain Hausdorff distance as the only boundary score", {},
            ("prop-bd-outlier",),
            "one stray pixel sets it, whatever the rest of the mask"))
    if boundaries_matter and empty_images:
        items.append(Advice(
            "avoid", "averaging HD over images with an empty mask", {},
            ("thm-bd-empty",),
            "one infinity makes the mean infinite; declare one_empty or report those apart"))
    if rare and many:
        items.append(Advice(
            "avoid", "length-penalising post-processing (TV, Potts/CRF) without checking "
                     "small objects", {},
            ("cor-small-object", "prop-ch4-potts-line"),
            "objects below a size set by the weight are erased"))
    return tuple(items)


def recommend(*, foreground_fraction, objects_per_image, boundaries_matter, detection_matters,
              empty_images):
    r"""The book's metrics, loss and threshold procedure for a binary segmentation task.

    Parameters
    ----------
    foreground_fraction : float
        Fraction of foreground pixels over the data set, in :math:`(0, 1)`. Below
        :data:`RARE_FOREGROUND` the foreground counts as rare.
    objects_per_image : float
        Typical number of foreground objects in an image that has foreground, finite and
        at least 1 (a mean, so 1.5 is allowed). More than one counts as many objects.
    boundaries_matter : bool
        Whether the position of the boundary matters (volumes, margins, thin structures).
    detection_matters : bool
        Whether finding every object matters, not only the pixels.
    empty_images : bool
        Whether images without foreground occur in the data.

    Returns
    -------
    Recommendation
        ``metrics`` (the primary score first, each with the keyword arguments of
        :mod:`seglab.metrics` or :mod:`seglab.surface` that fix its conventions), ``loss``,
        ``threshold`` and ``avoid``; every :class:`Advice` names the labels of the results of
        the book that support it and one caveat.

    Raises
    ------
    TypeError
        If an argument has the wrong type (a bool for the fraction or the count, anything
        but True/False for the flags).
    ValueError
        If ``foreground_fraction`` is outside :math:`(0, 1)`, ``objects_per_image`` is
        below 1 or infinite, or either is NaN.

    Notes
    -----
    The rules, each grounded in the book:

    * overlap: Dice, per image when every image has foreground, pooled over the data set
      when empty images occur (per-image Dice is :math:`0/0` there, and the pooled score is
      a size-weighted mean of the per-image ones); plus the false-alarm rate on the empty
      images, which the pooled score does not see;
    * detection, or many small objects (rare foreground and more than one object per
      image): an object-level detection rate, since a missed small object moves the pooled
      score by its share of the total size only;
    * boundaries: surface Dice at a tolerance fixed by the annotation accuracy, and HD95 with
      its percentile rule and declared values for empty masks;
    * loss: cross-entropy (it estimates the posterior); threshold: the one that maximises
      the primary score on a validation split, since the Dice-optimal rule is
      :math:`\eta > F^\star/2` and cross-entropy with a validated threshold is
      Dice-consistent;
    * avoid: accuracy and the threshold :math:`1/2` when the foreground is rare, unsmoothed
      soft Dice with empty images, the plain Hausdorff distance alone, averages of HD over
      empty masks, length-penalising post-processing on many small objects.

    Explained in the book, chapter 4 (``book/ch4/practice.md``).

    Examples
    --------
    >>> r = recommend(foreground_fraction=0.01, objects_per_image=3, boundaries_matter=True,
    ...               detection_matters=True, empty_images=True)
    >>> r.metrics[0].name
    'Dice pooled over the data set'
    >>> r.loss.name, r.loss.labels
    ('cross-entropy', ('thm-ce-minimiser', 'thm-plugin-dice'))
    >>> [a.name for a in r.avoid][0]
    'accuracy (pixel accuracy)'
    """
    fraction = check_real(foreground_fraction, "foreground_fraction", low=0.0, high=1.0,
                          low_open=True, high_open=True)
    objects = check_real(objects_per_image, "objects_per_image", low=1.0, high=float("inf"),
                         high_open=True)
    boundaries_matter = check_bool(boundaries_matter, "boundaries_matter")
    detection_matters = check_bool(detection_matters, "detection_matters")
    empty_images = check_bool(empty_images, "empty_images")
    rare = fraction < RARE_FOREGROUND
    many = objects > 1

    metrics = [_overlap(rare, many, empty_images)]
    if empty_images:
        metrics.append(_empty_rate())
    if detection_matters or (rare and many):
        metrics.append(_detection())
    if boundaries_matter:
        metrics.extend(_boundary(rare, empty_images))

    loss = Advice(
        "loss", "cross-entropy", {"from_logits": True},
        ("thm-ce-minimiser", "thm-plugin-dice"),
        "its guarantee assumes independent pixels; in the book's U-Net study, cross-entropy "
        "plus soft Dice (nnU-Net's default) matched its pooled Dice and detected lesions "
        "with a higher precision at 2 % and 10 % foreground, while cross-entropy was the "
        "better calibrated")
    threshold = Advice(
        "threshold", "tune the threshold on a validation split to maximise the primary score",
        {"how": "seglab.models.tune_threshold on validation pixels", "never": "the test split"},
        ("thm-f1-threshold", "thm-plugin-dice", "prop-ch4-threshold"),
        "the sampling error grows like 1/pi^2: rare foreground needs many validation pixels"
        if rare else "at this foreground fraction 1/2 may do as well; tuning costs nothing")
    return Recommendation(tuple(metrics), loss, threshold,
                          _avoid(rare, many, boundaries_matter, empty_images))
