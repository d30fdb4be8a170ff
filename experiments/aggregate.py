"""Aggregate the cached runs: estimates with 95 % bootstrap intervals, paired differences.

NumPy and SciPy (no PyTorch). A *group* is a task, foreground fraction, model and loss (and
the training budget), over its seeds. For a figure :math:`m` (a function of the per-image
arrays of a run, restricted to a set of test images):

* the estimate is the mean over the seeds of :math:`m` on all the test images;
* its interval is the 2.5 and 97.5 percentiles of the same mean over bootstrap resamples
  that draw the test images with replacement (the same draw for every seed: the seeds
  share the test split) and the seeds with replacement;
* the paired difference with the baseline (:data:`~experiments.config.BASELINE`) is
  :math:`m(\\text{loss}) - m(\\text{baseline})` on the same seeds and images, and its
  interval resamples images and seeds jointly for both (a paired bootstrap).

Figures (:data:`FIGURES`): pooled Dice and IoU (from the summed counts), mean per-image
Dice, IoU, HD95 and surface Dice, the mean HD95 over the images whose truth is not empty
(``hd95_mean_nonempty``: the images of empty truth, at 0 when the prediction is empty too
and at the image diagonal when it is not, are left out), relative volume error of the
pooled areas, mean absolute per-image area error (pixels), the ECE of the reliability bins
(threshold-free), and lesion-wise detection pooled over the drawn images
(:data:`LESION_FIGURES`: precision, recall, F1 and panoptic quality of the summed lesion
counts, and recall per lesion-size bin, ``NaN`` where the drawn images hold no reference
lesion of that size).

:func:`architecture` compares the models on the losses they share (the architecture
study): the ranking of the losses under each model, Kendall's tau between the rankings
with a bootstrap interval, and a two-way decomposition of the per-run pooled Dice into
model, loss, interaction and seed noise (:func:`variance_shares`).

``summary.json`` (:func:`write_summary`) holds

* ``rows``: one per group, threshold (``'half'``, ``'tuned'``) and figure: the group's
  configuration without the seed, ``seeds``, ``threshold``, ``figure``, ``estimate``,
  ``low``, ``high``;
* ``paired``: the same for the differences with the baseline, plus ``baseline``;
* ``contrasts``: paired differences between named (loss, threshold) pairs
  (:data:`CONTRASTS`, :func:`contrasts`) on the same task, fraction, model and budget: the
  configuration without the seed, ``loss`` and ``threshold`` (the first side), ``other``
  and ``other_threshold`` (the second), ``seeds`` (those the two share), ``figure``,
  ``estimate``, ``low``, ``high`` of :math:`m(\\text{loss}) - m(\\text{other})`;
* ``reliability``: per group, ``count``, ``confidence``, ``frequency`` of each
  probability bin (NaN in an empty bin);
* ``architecture``: the result of :func:`architecture` (lesions at 2 %), or null;
* ``lesion_size_bins``: ``edges`` (pixels), ``labels`` and ``figures`` (the names of the
  recall-by-size figures), or null;
* ``bootstrap`` (``resamples``, ``seed``, ``level``), ``harness_version``, ``num_runs``.
"""

import itertools
import json
import warnings
from pathlib import Path

import numpy as np
from scipy import stats

from .config import BASELINE, HARNESS_VERSION, MODELS

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
    "hd95_mean_nonempty": lambda s, n: _ratio_nan(s["hd95_nonempty"], s["nonempty"]),
}


def _ratio_nan(num, den):
    """num / den, and NaN where den is 0 (nothing to measure)."""
    return np.divide(num, den, out=np.full(np.shape(num), np.nan), where=den > 0)


#: Lesion-wise figures (:func:`lesion_figures`).
LESION_FIGURES = ("lesion_precision_pooled", "lesion_recall_pooled", "lesion_f1_pooled",
                  "lesion_pq_pooled")


def lesion_figures(s):
    """Detection precision, recall, F1 and panoptic quality of the lesion counts summed over
    the drawn images (``s``: sums of ``lesion_tp``, ``lesion_fp``, ``lesion_fn``, shape
    (..., bins), and ``lesion_iou_sum``), as :func:`seglab.lesions.detection_scores` of the
    summed counts: 1 where the drawn images hold no lesion in truth or prediction (its
    ``both_empty``), NaN for a precision with no predicted lesion or a recall with no
    reference lesion otherwise (its ``zero_division``)."""
    tp, fp, fn = (s[f"lesion_{key}"].sum(-1) for key in ("tp", "fp", "fn"))
    total = tp + fp + fn

    def score(num, den):
        return np.where(total == 0, 1.0, _ratio_nan(num, den))

    return dict(zip(LESION_FIGURES, (score(tp, tp + fp), score(tp, tp + fn),
                                     score(2 * tp, 2 * tp + fp + fn),
                                     score(2 * s["lesion_iou_sum"], 2 * tp + fp + fn)),
                    strict=True))


def size_bin_figures(edges):
    """The names of the recall-by-size figures of the inner bin edges ``edges`` (pixels):
    ``lesion_recall_<low>_<high>``, e.g. ``lesion_recall_10_20``, ``lesion_recall_300_inf``."""
    bounds = (0, *edges, np.inf)
    return [f"lesion_recall_{lo:g}_{hi:g}" for lo, hi in zip(bounds[:-1], bounds[1:], strict=True)]


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
    """Every cached run under ``<results>/runs`` of the current
    :data:`~experiments.config.HARNESS_VERSION` (older results are left out), with its
    arrays as NumPy arrays."""
    runs = []
    for path in sorted(Path(results, "runs").glob("*.json")):
        run = json.loads(path.read_text())
        if run["config"].get("version") != HARNESS_VERSION:
            continue
        runs.append(as_arrays(run))
    return runs


def as_arrays(run):
    """A run's result (JSON) with its per-image and calibration lists as float arrays."""
    run = dict(run)
    run["per_image"] = {threshold: {k: np.asarray(v, dtype=np.float64)
                                    for k, v in run["per_image"][threshold].items()}
                        for threshold in THRESHOLDS}
    run["calibration"] = {k: np.asarray(v, dtype=np.float64)
                          for k, v in run["calibration"].items()}
    return run


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
    per_image["nonempty"] = (per_image["true_area"] > 0).astype(np.float64)
    per_image["hd95_nonempty"] = per_image["hd95"] * per_image["nonempty"]
    sums = {key: value[images].sum(axis=1) for key, value in per_image.items()}
    n = images.shape[1]
    out = {name: figure(sums, n) for name, figure in FIGURES.items()}
    if "lesion_tp" in sums:
        out.update(lesion_figures(sums))
        edges = run.get("lesion_size_bins", ())
        names = size_bin_figures(edges)
        if len(names) != sums["lesion_tp"].shape[-1]:
            raise ValueError(f"lesion counts have {sums['lesion_tp'].shape[-1]} size bins, "
                             f"lesion_size_bins {list(edges)} gives {len(names)}")
        recall = _ratio_nan(sums["lesion_tp"], sums["lesion_tp"] + sums["lesion_fn"])
        out.update({name: recall[..., k] for k, name in enumerate(names)})
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
    """The first value and the 2.5 and 97.5 percentiles of the others (resamples where the
    figure is undefined, NaN, left out; all NaN gives NaN)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # an all-NaN figure: NaN, declared
        low, high = np.nanpercentile(values[1:], [2.5, 97.5])
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
            "contrasts": contrasts(runs, resamples=resamples, seed=seed),
            "bootstrap": {"resamples": resamples, "seed": seed, "level": 0.95},
            "harness_version": HARNESS_VERSION, "num_runs": len(runs),
            "lesion_size_bins": _size_bins(runs)}


#: The contrasts of :func:`contrasts`: ``(loss, threshold, other, other_threshold)``. Those of
#: chapter 4's surrogate: the Dinkelbach-weighted cross-entropy at 1/2 (how it is used: no
#: validation split) against the plug-in baseline (cross-entropy with a tuned threshold), the
#: same losses at 1/2, the compound baseline at both thresholds, soft Dice, the Lovász hinge
#: and the focal loss at 1/2; and the Dinkelbach loss with a tuned threshold against the
#: plug-in baseline.
CONTRASTS = (
    ("dinkelbach", "half", "ce", "tuned"),
    ("dinkelbach", "half", "ce", "half"),
    ("dinkelbach", "half", "ce_dice", "half"),
    ("dinkelbach", "half", "ce_dice", "tuned"),
    ("dinkelbach", "half", "dice", "half"),
    ("dinkelbach", "half", "lovasz", "half"),
    ("dinkelbach", "half", "focal", "half"),
    ("dinkelbach", "tuned", "ce", "tuned"),
)


def contrasts(runs, *, pairs=CONTRASTS, resamples=RESAMPLES, seed=BOOTSTRAP_SEED):
    """Paired differences between named (loss, threshold) pairs of the same setting.

    A setting is a task, foreground fraction, model and training budget. For each setting
    and each ``(loss, threshold, other, other_threshold)`` of ``pairs`` whose two losses
    were run there on common seeds, every figure's difference
    :math:`m(\\text{loss at threshold}) - m(\\text{other at other\\_threshold})`, with the
    paired bootstrap of :func:`aggregate`: the same draws of test images and seeds for both
    sides (and for every contrast of the setting on the same seeds, so that the contrasts
    of a setting add up resample by resample). Its estimate is the difference of the two
    rows' estimates when both losses have the same seeds; a contrast of a pair with itself
    is 0 in every resample.

    Returns the rows (settings in sorted order, then the order of ``pairs``, then the
    figures), each the setting's configuration without the seed, ``loss``, ``threshold``,
    ``other``, ``other_threshold``, ``seeds``, ``figure``, ``estimate``, ``low``, ``high``.
    """
    settings = {}
    for run in runs:
        config = run["config"]
        by_seed = settings.setdefault(group_key(config, ""), {}).setdefault(config["loss"], {})
        by_seed[config["seed"]] = run
    out = []
    for k, (_, losses) in enumerate(sorted(settings.items())):
        draws, values = {}, {}  # by common seeds; by (loss, threshold, common seeds)
        for loss, threshold, other, other_threshold in pairs:
            if loss not in losses or other not in losses:
                continue
            common = tuple(sorted(set(losses[loss]) & set(losses[other])))
            if not common:
                continue
            if common not in draws:
                rng = np.random.default_rng([seed, 2, k, *common])
                num_images = len(losses[loss][common[0]]["per_image"]["half"]["tp"])
                draws[common] = _draws(num_images, len(common), resamples, rng)
            for key in ((loss, threshold), (other, other_threshold)):
                if (*key, common) not in values:
                    values[(*key, common)] = _values([losses[key[0]][s] for s in common],
                                                   key[1], *draws[common])
            a, b = values[loss, threshold, common], values[other, other_threshold, common]
            config = {key: v for key, v in losses[loss][common[0]]["config"].items()
                      if key not in ("seed", "hash")}
            for name in a:
                out.append({**config, "threshold": threshold, "other": other,
                            "other_threshold": other_threshold, "seeds": list(common),
                            "figure": name, **_interval(a[name] - b[name])})
    return out


def _size_bins(runs):
    """The lesion-size bins of the runs (inner edges, labels, figure names), or None."""
    edges = {tuple(run["lesion_size_bins"]) for run in runs if "lesion_size_bins" in run}
    if not edges:
        return None
    if len(edges) > 1:
        raise ValueError(f"runs with different lesion_size_bins: {sorted(edges)}")
    (edges,) = edges
    bounds = (0, *edges, np.inf)
    return {"edges": list(edges), "labels": [f"[{lo:g}, {hi:g})" for lo, hi in
                                             zip(bounds[:-1], bounds[1:], strict=True)],
            "figures": size_bin_figures(edges)}


# ------------------------------------------------------------------ architecture vs loss


def variance_shares(scores):
    r"""Two-way decomposition of per-run scores of a balanced design (models x losses x seeds).

    With :math:`y_{mls}` the score of model :math:`m`, loss :math:`l` and seed :math:`s`
    (:math:`M, L, S` levels) and bars for means over the dotted indices, the total sum of
    squares :math:`\sum (y_{mls} - \bar y)^2` splits exactly into

    * model: :math:`LS \sum_m (\bar y_{m\cdot\cdot} - \bar y)^2`,
    * loss: :math:`MS \sum_l (\bar y_{\cdot l\cdot} - \bar y)^2`,
    * interaction: :math:`S \sum_{ml} (\bar y_{ml\cdot} - \bar y_{m\cdot\cdot}
      - \bar y_{\cdot l\cdot} + \bar y)^2`,
    * seed noise: :math:`\sum_{mls} (y_{mls} - \bar y_{ml\cdot})^2` (0 with one seed);

    the shares are these over the total (NaN when every score is equal).

    Parameters
    ----------
    scores : array_like of float, shape (M, L, S)

    Returns
    -------
    dict
        ``{'ss': {...}, 'df': {...}, 'shares': {...}}``, each keyed by ``model``,
        ``loss``, ``interaction``, ``seed_noise`` (and ``total`` for ``ss`` and ``df``).
    """
    y = np.asarray(scores, dtype=np.float64)
    if y.ndim != 3 or 0 in y.shape or not np.all(np.isfinite(y)):
        raise ValueError(f"scores must be a finite array of shape (M, L, S), got {y.shape}")
    m, n, s = y.shape  # models, losses, seeds
    grand = y.mean()
    cell = y.mean(axis=2)
    by_model, by_loss = cell.mean(axis=1), cell.mean(axis=0)
    ss = {"model": n * s * float(np.sum((by_model - grand) ** 2)),
          "loss": m * s * float(np.sum((by_loss - grand) ** 2)),
          "interaction": s * float(np.sum((cell - by_model[:, None] - by_loss[None] + grand)
                                          ** 2)),
          "seed_noise": float(np.sum((y - cell[..., None]) ** 2))}
    total = float(np.sum((y - grand) ** 2))
    df = {"model": m - 1, "loss": n - 1, "interaction": (m - 1) * (n - 1),
          "seed_noise": m * n * (s - 1), "total": m * n * s - 1}
    shares = {k: (v / total if total > 0 else float("nan")) for k, v in ss.items()}
    return {"ss": {**ss, "total": total}, "df": df, "shares": shares}


def _pooled_dice(run, threshold, images):
    d = run["per_image"][threshold]
    tp, fp, fn = (d[k][images].sum(axis=-1) for k in ("tp", "fp", "fn"))
    return _ratio(2 * tp, 2 * tp + fp + fn)


def _kendall(a, b):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # constant scores: tau is NaN
        return float(stats.kendalltau(a, b).statistic)


def architecture(runs, *, task="lesions", fraction=0.02, resamples=RESAMPLES,
                 seed=BOOTSTRAP_SEED):
    """The architecture study: the losses under each model, compared by pooled Dice.

    Uses the runs of ``task`` at ``fraction`` whose loss is run under every model present
    (at least two models and two losses), on the seeds they all share. At each threshold:

    * ``scores``: per model and loss, the mean over the seeds of the pooled Dice on the
      test split; ``ranking``: per model, the losses by decreasing score;
    * ``kendall_tau``: per pair of models, Kendall's tau-b
      (:func:`scipy.stats.kendalltau`) between their scores over the losses, with a 95 %
      bootstrap interval (images and seeds drawn with replacement, the same draw for
      every model and loss, as in :func:`aggregate`); ``kendall_tau_mean``: its mean
      over the pairs, with its interval;
    * ``variance``: :func:`variance_shares` of the per-run pooled Dice (model x loss x
      seed).

    Returns None when the runs hold no such design.
    """
    cells = {}
    for run in runs:
        c = run["config"]
        if c["task"] != task or c["fraction"] != fraction:
            continue
        by_seed = cells.setdefault((c["model"], c["loss"]), {})
        if c["seed"] in by_seed:
            raise ValueError(f"two runs of {task} {fraction} {c['model']} {c['loss']} seed "
                             f"{c['seed']}")
        by_seed[c["seed"]] = run
    models = [m for m in MODELS if any(key[0] == m for key in cells)]
    if len(models) < 2:
        return None
    losses = sorted(set.intersection(*({loss for model, loss in cells if model == m}
                                       for m in models)))
    if len(losses) < 2:
        return None
    seeds = sorted(set.intersection(*(set(cells[m, loss]) for m in models for loss in losses)))
    if not seeds:
        return None
    grid = [[[cells[m, loss][s] for s in seeds] for loss in losses] for m in models]
    num_images = {len(run["per_image"]["half"]["tp"]) for row in grid for cell in row
                  for run in cell}
    if len(num_images) != 1:
        raise ValueError(f"the runs of the architecture study have test splits of sizes "
                         f"{sorted(num_images)}")
    rng = np.random.default_rng([seed, 1])
    images, draws = _draws(num_images.pop(), len(seeds), resamples, rng)
    pairs = list(itertools.combinations(range(len(models)), 2))
    out = {"task": task, "fraction": fraction, "models": models, "losses": losses,
           "seeds": seeds, "figure": "dice_pooled"}
    for threshold in THRESHOLDS:
        # per[m, l, s, r]: pooled Dice of a run on the r-th draw of images (r = 0: all).
        per = np.array([[[_pooled_dice(run, threshold, images) for run in cell] for cell in row]
                        for row in grid])
        means = np.take_along_axis(per, draws.T[None, None], axis=2).mean(axis=2)
        taus = np.array([[_kendall(means[a, :, r], means[b, :, r])
                          for r in range(means.shape[-1])] for a, b in pairs])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # every pair NaN in a resample
            tau_mean = np.nanmean(taus, axis=0)
        out[threshold] = {
            "scores": {m: dict(zip(losses, means[i, :, 0].tolist(), strict=True))
                       for i, m in enumerate(models)},
            "ranking": {m: [losses[k] for k in np.lexsort((np.arange(len(losses)),
                                                           -means[i, :, 0]))]
                        for i, m in enumerate(models)},
            "kendall_tau": [{"models": [models[a], models[b]], **_interval(taus[k])}
                            for k, (a, b) in enumerate(pairs)],
            "kendall_tau_mean": _interval(tau_mean),
            "variance": variance_shares(per[..., 0]),
        }
    return out


def write_summary(results, *, resamples=RESAMPLES):
    """Aggregate the runs under ``results`` into ``<results>/summary.json``; return its path."""
    runs = load_runs(results)
    summary = aggregate(runs, resamples=resamples)
    summary["architecture"] = architecture(runs, resamples=resamples)
    path = Path(results) / "summary.json"
    path.write_text(json.dumps(summary, indent=1, sort_keys=True) + "\n")
    return path
