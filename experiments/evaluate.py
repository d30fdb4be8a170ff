"""Evaluation of a run on the test split: NumPy and seglab only (no PyTorch).

Everything stored is per test image, so that :mod:`experiments.aggregate` can resample
images (bootstrap) and recompute any pooled figure:

* at each threshold (``'half'``: 1/2; ``'tuned'``: the threshold of largest pooled Dice on
  the validation split, :func:`seglab.models.tune_threshold`): the confusion counts
  ``tp``, ``fp``, ``fn``, ``tn``, the predicted and true areas, and the figures of
  :data:`PER_IMAGE`;
* threshold-free: the reliability bins of the probabilities (:data:`CALIBRATION_BINS`
  equal-width bins on [0, 1]; count, sum of probabilities, sum of labels per image).

Conventions (declared; every empty case counted):

* per-image Dice and IoU of an image where prediction and truth are both empty: 1;
* HD95 (95th percentile of the pooled surface distances, :func:`seglab.surface.hausdorff`):
  0 when both are empty, the image diagonal when one is;
* surface Dice at a tolerance of :data:`SURFACE_TOLERANCE` pixel: 1 when both are empty,
  0 when one is;
* lesion-wise detection (:func:`seglab.lesions.lesion_counts`, connected components of
  8-connected pixels, one-to-one matches of IoU above 1/2): per image and lesion-size bin
  (:data:`LESION_SIZE_BINS`) the matched reference lesions ``lesion_tp``, the missed ones
  ``lesion_fn`` and the unmatched predicted ones ``lesion_fp`` (binned by their own size),
  and the sum of the matched IoUs ``lesion_iou_sum``. These counts add over images, so
  :mod:`experiments.aggregate` pools them like the pixel counts (detection F1, panoptic
  quality, recall by size). Lesions of the generator that touch merge into one component.
"""

import math

import numpy as np

from seglab import metrics, surface
from seglab.lesions import lesion_counts
from seglab.models import tune_threshold

#: Tolerance (pixels) of the surface Dice.
SURFACE_TOLERANCE = 1.0
#: Equal-width probability bins of the reliability diagram and the ECE.
CALIBRATION_BINS = 15
#: Inner edges (pixels) of the lesion-size bins: [0, 10), [10, 20), [20, 40), [40, 100),
#: [100, 300), [300, inf). Chosen from the generator's sizes on the 64 x 64 test split
#: (connected components of the truth; quartiles 5-10 px at a foreground fraction of 0.5 %,
#: 21-42 px at 2 %, 104-247 px at 10 %): each fraction's bulk spans two or three bins and
#: the bins are shared by the three fractions.
LESION_SIZE_BINS = (10, 20, 40, 100, 300)


def _hd95(pred, target):
    diagonal = math.hypot(*target.shape[1:])
    return surface.hausdorff(pred, target, percentile=95, per_image=True, both_empty=0.0,
                             one_empty=diagonal, reduction="none")


def _surface_dice(pred, target):
    return surface.surface_dice(pred, target, tolerance=SURFACE_TOLERANCE, per_image=True,
                                both_empty=1.0, one_empty=0.0, reduction="none")


def _overlap(pred, target):
    return {name: getattr(metrics, name)(pred, target, per_image=True, zero_division=1.0,
                                         reduction="none")
            for name in ("dice", "iou")}


def _lesions(pred, target):
    """Per image: lesion counts per size bin (shape (N, bins)) and the matched IoU sum."""
    counts = [lesion_counts(p, t, size_bins=LESION_SIZE_BINS, distances=False).counts
              for p, t in zip(pred, target, strict=True)]
    out = {f"lesion_{key}": np.array([getattr(c, key) for c in counts], dtype=np.int64)
           .reshape(len(counts), len(LESION_SIZE_BINS) + 1) for key in ("tp", "fp", "fn")}
    out["lesion_iou_sum"] = np.array([float(c.iou_sum) for c in counts], dtype=np.float64)
    return out


#: Per-image figures of a thresholded prediction: each entry maps ``(pred, target)``, bool
#: arrays of shape (N, H, W), to ``{name: array of shape (N,) or (N, bins)}``.
PER_IMAGE = {
    "overlap": _overlap,
    "hd95": lambda pred, target: {"hd95": _hd95(pred, target)},
    "surface_dice": lambda pred, target: {"surface_dice": _surface_dice(pred, target)},
    "lesions": _lesions,
}


def counts(pred, target):
    """Per-image confusion counts and areas of bool arrays of shape (N, H, W)."""
    axes = tuple(range(1, pred.ndim))
    tp = np.sum(pred & target, axis=axes)
    fp = np.sum(pred & ~target, axis=axes)
    fn = np.sum(~pred & target, axis=axes)
    tn = np.sum(~pred & ~target, axis=axes)
    return {"tp": tp, "fp": fp, "fn": fn, "tn": tn, "pred_area": tp + fp,
            "true_area": tp + fn}


def calibration_bins(probs, target, bins=CALIBRATION_BINS):
    """Per image and bin: the pixel count, the sum of the probabilities and of the labels."""
    n = probs.shape[0]
    index = np.minimum((probs.reshape(n, -1) * bins).astype(np.int64), bins - 1)
    flat = index + bins * np.arange(n)[:, None]
    size = n * bins
    count = np.bincount(flat.ravel(), minlength=size).reshape(n, bins)
    conf = np.bincount(flat.ravel(), weights=probs.reshape(n, -1).ravel(),
                       minlength=size).reshape(n, bins)
    acc = np.bincount(flat.ravel(), weights=target.reshape(n, -1).ravel().astype(np.float64),
                      minlength=size).reshape(n, bins)
    return {"count": count, "confidence": conf, "positives": acc}


def evaluate(test_probs, test_masks, val_probs, val_masks):
    """Everything the study stores about a trained model, per test image.

    Parameters
    ----------
    test_probs, val_probs : ndarray of float, shape (N, H, W)
        Foreground probabilities on the test and validation images.
    test_masks, val_masks : ndarray of bool, shape (N, H, W)

    Returns
    -------
    dict
        ``{'thresholds': {'half': 0.5, 'tuned': t}, 'per_image': {threshold name:
        {figure: list}}, 'calibration': {'count' | 'confidence' | 'positives': nested
        lists (N, bins)}, 'lesion_size_bins': list}``, JSON-ready (an infinite tuned
        threshold is stored as a string, ``'inf'`` or ``'-inf'``).
    """
    tuned, _ = tune_threshold(val_probs, val_masks)
    thresholds = {"half": 0.5, "tuned": float(tuned)}
    per_image = {}
    for name, t in thresholds.items():
        pred = test_probs > t
        figures = counts(pred, test_masks)
        for entry in PER_IMAGE.values():
            figures.update(entry(pred, test_masks))
        per_image[name] = {key: np.asarray(value).tolist() for key, value in figures.items()}
    bins = calibration_bins(test_probs, test_masks)
    return {
        "thresholds": {k: (v if math.isfinite(v) else str(v)) for k, v in thresholds.items()},
        "per_image": per_image,
        "calibration": {key: value.tolist() for key, value in bins.items()},
        "lesion_size_bins": list(LESION_SIZE_BINS),
    }
