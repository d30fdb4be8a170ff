"""Benchmark seglab.metrics against a bare np.bincount and against scikit-learn.

Targets: on 2048 x 2048 int64 label maps with K = 21 classes, one
seglab metric call, validation included, takes at most 1.5x a bare
``np.bincount(target * K + pred, minlength=K * K)`` on the same arrays, and is at
least 20x faster than scikit-learn's ``confusion_matrix``, ``jaccard_score`` and
``f1_score``; ``evaluate`` of every metric costs about one pass over the pixels.

All calls run on the same arrays in one process, interleaved round-robin (so a
burst of load on a shared machine hits every candidate alike); each time is the
median of the repeats, measured with ``time.perf_counter``. The exit status is 1
if a target is missed.

Usage: ``python benchmarks/bench_metrics.py [--size 2048] [--classes 21]
[--repeats 15] [--sklearn-repeats 3]``
"""

import argparse
import os
import platform
import sys

import numpy as np
import sklearn
import sklearn.metrics as skm
from _timing import median_times

import seglab
from seglab import metrics

MAX_RATIO_TO_BINCOUNT = 1.5
MIN_SPEEDUP_OVER_SKLEARN = 20.0


def make_labels(size, num_classes, seed=0):
    """A ground truth and a prediction that agrees with it on about 70% of the pixels."""
    rng = np.random.default_rng(seed)
    target = rng.integers(0, num_classes, (size, size), dtype=np.int64)
    noise = rng.integers(0, num_classes, (size, size), dtype=np.int64)
    pred = np.where(rng.random((size, size)) < 0.7, target, noise)
    return pred, target


def verdict(ok):
    return "PASS" if ok else "FAIL"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=2048)
    parser.add_argument("--classes", type=int, default=21)
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--sklearn-repeats", type=int, default=3)
    args = parser.parse_args(argv)
    k = args.classes
    pred, target = make_labels(args.size, k)
    y_true, y_pred = target.ravel(), pred.ravel()
    labels = np.arange(k)

    print(f"seglab {seglab.__version__}, numpy {np.__version__}, scikit-learn "
          f"{sklearn.__version__}, Python {platform.python_version()}, "
          f"{os.cpu_count()} CPU(s)")
    print(f"label maps {pred.shape} {pred.dtype}, K = {k}; median of {args.repeats} "
          f"(scikit-learn: {args.sklearn_repeats}) interleaved repeats\n")

    def bare():
        return np.bincount((target * k + pred).ravel(), minlength=k * k)

    assert np.array_equal(bare().reshape(k, k), metrics.confusion_matrix(pred, target))

    fast = {"bare np.bincount": bare,
            "confusion_matrix": lambda: metrics.confusion_matrix(pred, target, num_classes=k)}
    for name in metrics.METRICS:
        func = getattr(metrics, name)
        for average in (None, "macro"):
            fast[f"{name}(average={average!r})"] = (
                lambda func=func, average=average: func(pred, target, num_classes=k,
                                                        average=average))
    fast["evaluate(all 9 metrics, 'macro')"] = lambda: metrics.evaluate(
        pred, target, num_classes=k, average="macro")
    fast["evaluate(all 9 metrics, None)"] = lambda: metrics.evaluate(
        pred, target, num_classes=k, average=None)
    # Informational rows (no target): inferred num_classes, an ignore_index, uint8 input.
    info = {
        "iou(macro), num_classes inferred": lambda: metrics.iou(pred, target, average="macro"),
        "iou(macro), ignore_index=255": lambda: metrics.iou(
            pred, target, num_classes=k, average="macro", ignore_index=255),
    }
    pred8, target8 = pred.astype(np.uint8), target.astype(np.uint8)
    info["iou(macro), uint8 labels"] = lambda: metrics.iou(pred8, target8, num_classes=k,
                                                           average="macro")
    times = median_times({**fast, **info}, args.repeats)

    slow = {
        "sklearn confusion_matrix": lambda: skm.confusion_matrix(y_true, y_pred, labels=labels),
        "sklearn jaccard_score(None)": lambda: skm.jaccard_score(
            y_true, y_pred, labels=labels, average=None, zero_division=0),
        "sklearn jaccard_score('macro')": lambda: skm.jaccard_score(
            y_true, y_pred, labels=labels, average="macro", zero_division=0),
        "sklearn f1_score(None)": lambda: skm.f1_score(
            y_true, y_pred, labels=labels, average=None, zero_division=0),
        "sklearn f1_score('macro')": lambda: skm.f1_score(
            y_true, y_pred, labels=labels, average="macro", zero_division=0),
    }
    slow_times = median_times(slow, args.sklearn_repeats)

    base = times["bare np.bincount"]
    ok = True
    print(f"{'call':40s} {'ms':>9s} {'/ bincount':>11s}  target <= {MAX_RATIO_TO_BINCOUNT}x")
    for name, seconds in times.items():
        ratio = seconds / base
        if name == "bare np.bincount":
            mark = ""
        elif name in info:
            mark = "(info)"
        else:
            mark = verdict(ratio <= MAX_RATIO_TO_BINCOUNT)
            ok &= ratio <= MAX_RATIO_TO_BINCOUNT
        print(f"{name:40s} {seconds * 1e3:9.2f} {ratio:10.2f}x  {mark}")

    print(f"\n{'scikit-learn call':32s} {'ms':>9s}  {'seglab equivalent':30s} {'speed-up':>9s}"
          f"  target >= {MIN_SPEEDUP_OVER_SKLEARN:g}x")
    pairs = {
        "sklearn confusion_matrix": "confusion_matrix",
        "sklearn jaccard_score(None)": "iou(average=None)",
        "sklearn jaccard_score('macro')": "iou(average='macro')",
        "sklearn f1_score(None)": "dice(average=None)",
        "sklearn f1_score('macro')": "dice(average='macro')",
    }
    for sk_name, ours in pairs.items():
        speedup = slow_times[sk_name] / times[ours]
        ok &= speedup >= MIN_SPEEDUP_OVER_SKLEARN
        print(f"{sk_name:32s} {slow_times[sk_name] * 1e3:9.1f}  {ours:30s} {speedup:8.1f}x  "
              f"{verdict(speedup >= MIN_SPEEDUP_OVER_SKLEARN)}")

    single = times["iou(average='macro')"]
    separate = sum(times[f"{name}(average='macro')"] for name in metrics.METRICS)
    together = times["evaluate(all 9 metrics, 'macro')"]
    print(f"\nevaluate(): 9 metrics from one confusion matrix {together * 1e3:.2f} ms = "
          f"{together / single:.2f}x one iou call; 9 separate calls {separate * 1e3:.2f} ms "
          f"({separate / together:.1f}x evaluate)")
    print(f"\noverall: {verdict(ok)}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
