"""A small generated evaluation for the report tests: rows, summary, conventions, overlays.

Three 2-D cases and one 3-D case, with an empty prediction among them, scored by direct
calls of :func:`seglab.metrics.dice` and :func:`seglab.surface.hausdorff` (HD95), for two
models (the second predicts each lesion one pixel larger), and their paired comparison.
"""

import numpy as np

from seglab import compare, metrics, surface

CONVENTIONS = {"both_empty": "nan", "one_empty": "worst", "percentile": 95.0}


def _disk(shape, centre, radius):
    grid = np.ogrid[tuple(slice(0, n) for n in shape)]
    return sum((g - c) ** 2 for g, c in zip(grid, centre, strict=True)) <= radius**2


def cases():
    """``{case: (image, pred_a, pred_b, target)}``."""
    rng = np.random.default_rng(0)
    out = {}
    for k, shape in enumerate([(32, 32), (32, 32), (32, 32), (8, 24, 24)]):
        centre = [n // 2 for n in shape]
        target = _disk(shape, centre, 6 if len(shape) == 2 else 3)
        pred_a = _disk(shape, [c + k % 2 for c in centre], 5 if len(shape) == 2 else 3)
        if k == 2:
            pred_a = np.zeros(shape, bool)  # a missed case
        pred_b = _disk(shape, centre, 7 if len(shape) == 2 else 4)
        image = target + rng.normal(0, 0.3, shape)
        out[f"case<{k}>"] = (image, pred_a, pred_b, target)
    return out


def rows_of(model):
    rows = []
    for case, (_, pred_a, pred_b, target) in cases().items():
        pred = pred_a if model == "a" else pred_b
        spacing = (1.0,) * target.ndim
        worst = float(np.linalg.norm(np.array(target.shape) * spacing))
        values = {"dice": float(metrics.dice(pred, target)),
                  "hd95": float(surface.hausdorff(pred, target, percentile=95,
                                                  one_empty=worst))}
        for metric, value in values.items():
            rows.append({"case": case, "class": "lesion", "metric": metric, "value": value,
                         "convention": "both_empty=nan;one_empty=worst"})
    return rows


def summary_of(rows):
    out = {"provenance": {"num_cases": len(cases()), "prediction": "model A"}, "metrics": {}}
    for metric in ("dice", "hd95"):
        values = np.array([r["value"] for r in rows if r["metric"] == metric])
        out["metrics"][metric] = {
            "better": "higher" if metric == "dice" else "lower",
            "classes": {"lesion": {"mean": float(values.mean()),
                                   "std": float(values.std(ddof=1)), "n": int(values.size),
                                   "excluded": 0, "pooled": None}}}
    return out


def overlays(case):
    image, pred_a, _, target = cases()[case]
    return image, pred_a, target


def comparison():
    return compare.compare_models(rows_of("a"), rows_of("b"), n_resamples=500)
