"""Benchmark seglab.losses (value and gradient) against bare numpy baselines.

Targets: on one 512 x 512 image with K = 21 classes (float64 logits),

* ``lovasz_softmax(..., return_grad=True)`` takes at most 3x one ``np.argsort`` of the
  same number of errors (K x 512 x 512): the loss is one sort per class plus linear work;
* ``soft_dice_loss`` and ``cross_entropy`` with ``return_grad=True``, validation included,
  take at most 2x a bare numpy expression of the same formula and gradient (softmax,
  one-hot, sums, chain rule; no validation).

The bare expressions are checked to give the same numbers as seglab first. All calls run
on the same arrays in one process, interleaved round-robin; each time is the median of the
repeats (``time.perf_counter``). The exit status is 1 if a target is missed.

Usage: ``python benchmarks/bench_losses.py [--size 512] [--classes 21] [--repeats 7]``
"""

import argparse
import os
import platform
import sys

import numpy as np
from _timing import median_times

import seglab
from seglab import losses

MAX_RATIO_LOVASZ = 3.0
MAX_RATIO_BARE = 2.0


def make_inputs(size, k, seed=0):
    """Logits that favour the true class (so the errors are spread, not uniform)."""
    rng = np.random.default_rng(seed)
    target = rng.integers(0, k, (1, size, size))
    x = rng.normal(size=(1, k, size, size))
    np.put_along_axis(x, target[:, None], 2.0 + np.take_along_axis(x, target[:, None], 1), 1)
    return x, target


def bare_softmax(x):
    e = np.exp(x - x.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def bare_onehot(y, k):
    return (y[:, None] == np.arange(k)[None, :, None, None]).astype(np.float64)


def bare_dice(x, y):
    """Mean over classes of 1 - 2 I / (Sp + Sg) and its logit gradient, in plain numpy."""
    p = bare_softmax(x)
    g = bare_onehot(y, x.shape[1])
    inter = (p * g).sum(axis=(2, 3))
    den = p.sum(axis=(2, 3)) + g.sum(axis=(2, 3))
    s = 2 * inter / den
    grad_p = (s[..., None, None] - 2 * g) / (den[..., None, None] * s.size)
    return float((1 - s).mean()), p * (grad_p - (grad_p * p).sum(axis=1, keepdims=True))


def bare_cross_entropy(x, y):
    """Mean of -log p_y and its logit gradient (p - onehot)/n, in plain numpy."""
    z = x - x.max(axis=1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    n = y.size
    value = -float(np.take_along_axis(logp, y[:, None], 1).sum()) / n
    grad = np.exp(logp)
    np.put_along_axis(grad, y[:, None], np.take_along_axis(grad, y[:, None], 1) - 1.0, 1)
    return value, grad / n


def check_same(a, b, name):
    assert abs(a[0] - b[0]) < 1e-10, name
    np.testing.assert_allclose(a[1], b[1], atol=1e-12, err_msg=name)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--classes", type=int, default=21)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args(argv)
    k = args.classes
    x, y = make_inputs(args.size, k)
    print(f"seglab {seglab.__version__}, numpy {np.__version__}, Python "
          f"{platform.python_version()}, {os.cpu_count()} CPU(s)")
    print(f"logits {x.shape} float64, K = {k}; median of {args.repeats} interleaved repeats\n")

    check_same(losses.soft_dice_loss(x, y, return_grad=True), bare_dice(x, y), "dice")
    check_same(losses.cross_entropy(x, y, return_grad=True), bare_cross_entropy(x, y), "ce")
    errors = np.random.default_rng(1).uniform(size=x.size)

    times = median_times({
        "lovasz_softmax": lambda: losses.lovasz_softmax(x, y, return_grad=True),
        "argsort": lambda: np.argsort(errors),
        "soft_dice_loss": lambda: losses.soft_dice_loss(x, y, return_grad=True),
        "bare dice": lambda: bare_dice(x, y),
        "cross_entropy": lambda: losses.cross_entropy(x, y, return_grad=True),
        "bare cross-entropy": lambda: bare_cross_entropy(x, y),
    }, args.repeats)
    for name, t in times.items():
        print(f"{name:>20}: {1e3 * t:8.1f} ms")
    rows = [
        ("lovasz_softmax / one argsort", times["lovasz_softmax"] / times["argsort"],
         MAX_RATIO_LOVASZ),
        ("soft_dice_loss / bare numpy", times["soft_dice_loss"] / times["bare dice"],
         MAX_RATIO_BARE),
        ("cross_entropy / bare numpy", times["cross_entropy"] / times["bare cross-entropy"],
         MAX_RATIO_BARE),
    ]
    print()
    ok = True
    for label, ratio, target in rows:
        passed = ratio <= target
        ok &= passed
        print(f"{label:>30}: {ratio:5.2f}x (target <= {target:g}x) "
              f"{'PASS' if passed else 'FAIL'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
