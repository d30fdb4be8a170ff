"""Aggregate the cached runs: estimates with 95 % bootstrap intervals, paired differences.

NumPy only. A *group* is a task, foreground fraction, model and loss (and the training
budget), over its seeds. For a figure :math:`m` (a function of the per-image arrays of a
run, restricted to a set of test images):

* the estimate is the mean over the seeds of :math:`m` on all the test images;
* its interval is the 2.5 and 97.5 percentiles of the same mean over bootstrap resamples
  that draw the test images with replacement (the same draw for every seed: the seeds
  share the test split) and the seeds with replacement;
* the paired difference with the baseline (:data:`~experiments.config.BASELINE`) is
  :math:`m(\\text{loss}) - m(\\text{baseline})` on the same seeds and images, and its
  interval resamples images and seeds jointly for both (a paired bootstrap).

Figures (:data:`FIGURES`): pooled Dice and IoU (from the summed counts), mean per-image
Dice, IoU, HD95 and surface Dice, relative volume error of the pooled areas, mean
absolute per-image area error (pixels), and the ECE of the reliability bins
(threshold-free).
"""

import json
from pathlib import Path

import numpy as np

from .config import BASELINE

THRESHOLDS = ("half", "tuned")
#: Bootstrap resamples and the seed of their generator.
RESAMPLES = 2000
BOOTSTRAP_SEED = 0


def _ratio(num, den):
    """num / den, and 1 where den is 0 (both prediction and truth empty: perfect)."""
    return np.divide(num, den, out=np.ones_like(num, dtype=np.float64), where=den > 0)


#: Each figure as a function of the sums over the drawn images (``s``: one array of
#: resamples per key, keys of the per-image arrays, plus ``abs_area_error``) and the count of
#: drawn images ``n``.
FIGURES = {
    "dice_pooled": lambda s, n: _ratio(2 * s["tp"], 2 * s["tp"] + s["fp"] + s["fn"]),
    "iou_pooled": lambda s, n: _ratio(s["tp"], s["tp"] + s["fp"] + s["fn"]),
    "dice_mean": lambda s, n: s["dice"] / n,
    "iou_mean": lambda s, n: s["iou"] / n,
    "hd95_mean": lambda s, n: s["hd95"] / n,
    "surface_dice_mean": lambda s, n: s["surface_dice"] / n,
    "volume_error_pooled": lambda s, n: (s["pred_area"] - s["true_area"])
    / np.maximum(s["true_area"], 1),
    "abs_area_error_mean": lambda s, n: s["abs_area_error"] / n,
}


def ece(count, confidence, positives):
    """Expected calibration error from reliability bins (summed over images; last axis bins):
    :math:`\\sum_b |\\sum p - \\sum y| / \\sum_b n_b`."""
    return np.sum(np.abs(confidence - positives), axis=-1) / np.maximum(count.sum(-1), 1)


def reliability(bins):
    """The reliability diagram of a run: per bin, count, mean probability, frequency."""
    count = bins["count"].sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return {"count": count.tolist(),
                "confidence": np.where(count > 0, bins["confidence"].sum(0) / count,
                                       np.nan).tolist(),
                "frequency": np.where(count > 0, bins["positives"].sum(0) / count,
                                      np.nan).tolist()}


def load_runs(results):
    """Every cached run under ``<results>/runs``, with its arrays as NumPy arrays."""
    runs = []
    for path in sorted(Path(results, "runs").glob("*.json")):
        run = json.loads(path.read_text())
        for threshold in THRESHOLDS:
            run["per_image"][threshold] = {k: np.asarray(v, dtype=np.float64)
                                           for k, v in run["per_image"][threshold].items()}
        run["calibration"] = {k: np.asarray(v, dtype=np.float64)
                              for k, v in run["calibration"].items()}
        runs.append(run)
    return runs


def group_key(config, loss=None):
    """The group of a configuration: everything but the seed (and the loss, if given)."""
    key = {k: v for k, v in config.items() if k not in ("seed", "hash")}
    if loss is not None:
        key["loss"] = loss
    return json.dumps(key, sort_keys=True)


def _figures(run, threshold, images):
    """Every figure of one run on each row of drawn images (shape (resamples, n))."""
    per_image = dict(run["per_image"][threshold])
    per_image["abs_area_error"] = np.abs(per_image["pred_area"] - per_image["true_area"])
    sums = {key: value[images].sum(axis=1) for key, value in per_image.items()}
    n = images.shape[1]
    out = {name: figure(sums, n) for name, figure in FIGURES.items()}
    bins = {key: value[images].sum(axis=1) for key, value in run["calibration"].items()}
    out["ece"] = ece(bins["count"], bins["confidence"], bins["positives"])
    return out


def _values(runs, threshold, images, seeds):
    """Each figure for each resample: mean over the drawn seeds of the figure on the drawn
    images; shape (resamples,) per figure (the first resample is the identity)."""
    per_run = [_figures(run, threshold, images) for run in runs]
    return {name: np.take_along_axis(np.stack([f[name] for f in per_run], axis=1), seeds,
                                     axis=1).mean(axis=1)
            for name in per_run[0]}


def _draws(num_images, num_seeds, resamples, rng):
    """Rows of image and seed indices: the identity, then ``resamples`` draws with
    replacement."""
    images = np.vstack([np.arange(num_images),
                        rng.integers(0, num_images, (resamples, num_images))])
    seeds = np.vstack([np.arange(num_seeds), rng.integers(0, num_seeds, (resamples, num_seeds))])
    return images, seeds


def _interval(values):
    low, high = np.percentile(values[1:], [2.5, 97.5])
    return {"estimate": float(values[0]), "low": float(low), "high": float(high)}


def aggregate(runs, *, resamples=RESAMPLES, seed=BOOTSTRAP_SEED, baseline=BASELINE):
    """Rows of estimates with intervals, and of paired differences with the baseline."""
    groups = {}
    for run in runs:
        groups.setdefault(group_key(run["config"]), []).append(run)
    rows, paired = [], []
    for _, members in sorted(groups.items()):
        members.sort(key=lambda run: run["config"]["seed"])
        config = {k: v for k, v in members[0]["config"].items() if k != "seed"}
        seeds = [run["config"]["seed"] for run in members]
        num_images = len(members[0]["per_image"]["half"]["tp"])
        base = groups.get(group_key(members[0]["config"], baseline))
        base_by_seed = {run["config"]["seed"]: run for run in base or ()}
        common = [s for s in seeds if s in base_by_seed]
        for threshold in THRESHOLDS:
            rng = np.random.default_rng([seed, len(rows)])
            images, draws = _draws(num_images, len(members), resamples, rng)
            values = _values(members, threshold, images, draws)
            for name, v in values.items():
                rows.append({**config, "seeds": seeds, "threshold": threshold, "figure": name,
                             **_interval(v)})
            if config["loss"] == baseline or not common:
                continue
            ours = [run for run in members if run["config"]["seed"] in common]
            theirs = [base_by_seed[s] for s in common]
            images, draws = _draws(num_images, len(common), resamples, rng)
            a = _values(ours, threshold, images, draws)
            b = _values(theirs, threshold, images, draws)
            for name in a:
                paired.append({**config, "seeds": common, "threshold": threshold,
                               "figure": name, "baseline": baseline,
                               **_interval(a[name] - b[name])})
    return {"rows": rows, "paired": paired,
            "reliability": [
                {**{k: v for k, v in members[0]["config"].items() if k != "seed"},
                 **reliability({k: np.concatenate([r["calibration"][k] for r in members])
                                for k in members[0]["calibration"]})}
                for _, members in sorted(groups.items())],
            "bootstrap": {"resamples": resamples, "seed": seed, "level": 0.95}}


def write_summary(results, *, resamples=RESAMPLES):
    """Aggregate the runs under ``results`` into ``<results>/summary.json``; return its path."""
    summary = aggregate(load_runs(results), resamples=resamples)
    path = Path(results) / "summary.json"
    path.write_text(json.dumps(summary, indent=1, sort_keys=True) + "\n")
    return path
