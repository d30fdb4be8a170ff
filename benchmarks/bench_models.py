"""Benchmark seglab.models: one training step against a bare NumPy forward pass, and
whole training runs on the 64 x 64 synthetic images of chapter 2.

1. Step ratio. For each model, one call of ``train(..., steps=1)`` on a batch of 8
   images of 64 x 64 (validation, forward, loss and its gradient, backward, Adam)
   against a bare NumPy forward pass of the same model with the same parameters
   (``np.einsum`` for the per-pixel regression; ``np.einsum`` on
   ``sliding_window_view`` patches for the convolutions), the ratio printed. The loss
   is the user's, not the model's: its time is measured alone too, and the target is
   on the rest, (step - loss) / forward <= ``MAX_STEP_RATIO`` for the convolutional
   models (backpropagation costs about two forward passes). The per-pixel regression's
   forward pass is one small matrix product (about 0.3 ms), so the fixed costs of a
   step (input check, batch copy, Adam) dominate its ratio, which is printed without
   a target. seglab's own forward pass (input check included) is timed for reference.
2. Training time. 32 images of 64 x 64 (``seglab.data.synthetic_images``), 20 epochs of
   batches of 8 (80 steps), with a cross-entropy and a soft Dice loss written in the
   loss interface (the tests' helpers; ``seglab.losses`` is not needed); the filter
   bank time is included. Target: every run within ``MAX_TRAIN_SECONDS``.

All candidates of a table run in the same process, interleaved round-robin; each time
is the median of the repeats (``time.perf_counter``). Exit status 1 if a target is
missed.

Usage: ``python benchmarks/bench_models.py [--repeats 15] [--train-repeats 3]``
"""

import argparse
import os
import platform
import sys

import numpy as np
from _timing import median_times
from numpy.lib.stride_tricks import sliding_window_view
from scipy import special

import seglab
from seglab.data import synthetic_images
from seglab.models import FilterBank, PixelLogisticRegression, TinyCNN, train

MAX_STEP_RATIO = 5.0
MAX_TRAIN_SECONDS = 10.0


def cross_entropy(scores, target, *, from_logits=True, return_grad=True):
    """Mean binary (one channel) or softmax cross-entropy and its gradient (p - y) / n."""
    if scores.shape[1] == 1:
        y = target[:, None].astype(np.float64)
        value = np.mean(np.logaddexp(0.0, scores) - y * scores)
        return value, (special.expit(scores) - y) / y.size
    one_hot = np.moveaxis(np.eye(scores.shape[1])[target], -1, 1)
    log_p = special.log_softmax(scores, axis=1)
    pixels = scores.size // scores.shape[1]
    return -np.sum(one_hot * log_p) / pixels, (np.exp(log_p) - one_hot) / pixels


def soft_dice(scores, target, *, from_logits=True, return_grad=True, smooth=1.0):
    """Binary soft Dice loss of sigmoid(scores), pooled over the batch, and its gradient."""
    p = special.expit(scores)
    y = target[:, None].astype(np.float64)
    inter, total = np.sum(p * y), np.sum(p) + np.sum(y)
    value = 1.0 - (2.0 * inter + smooth) / (total + smooth)
    grad_p = -(2.0 * y * (total + smooth) - (2.0 * inter + smooth)) / (total + smooth) ** 2
    return value, grad_p * p * (1.0 - p)


def bare_linear(params, x):
    return np.einsum("cf,nfhw->nchw", params["weight"], x) + params["bias"][:, None, None]


def bare_conv(x, weight, bias):
    """Zero-padded 'same' cross-correlation: einsum over the k x k windows of x."""
    k = weight.shape[-1]
    pad = k // 2
    padded = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    windows = sliding_window_view(padded, (k, k), axis=(2, 3))  # (N, C, H, W, k, k)
    return np.einsum("nchwij,ocij->nohw", windows, weight, optimize=True) + bias[:, None, None]


def bare_cnn(params, x):
    hidden = np.maximum(bare_conv(x, params["w1"], params["b1"]), 0.0)
    return bare_conv(hidden, params["w2"], params["b2"])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--train-repeats", type=int, default=3)
    args = parser.parse_args()
    print(f"seglab {seglab.__version__}, numpy {np.__version__}, Python "
          f"{platform.python_version()}, {os.cpu_count()} CPU(s), "
          f"OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS', 'unset')}")
    ok = True

    images, labels = synthetic_images(32, (64, 64), foreground_fraction=0.1, num_objects=3)
    features = FilterBank().fit_transform(images)
    raw = images[:, None]
    models = {
        "logistic, 19 filters": (lambda: PixelLogisticRegression(19), features, bare_linear),
        "CNN 1->8 (3x3) ->1 (3x3)": (lambda: TinyCNN(1, 1, hidden=8, out_kernel_size=3), raw,
                                     bare_cnn),
        "CNN 19->8 (3x3) ->1 (1x1)": (lambda: TinyCNN(19, 1, hidden=8), features, bare_cnn),
        "CNN 1->8 (3x3) ->3 (3x3)": (lambda: TinyCNN(1, 3, hidden=8, out_kernel_size=3), raw,
                                     bare_cnn),
    }

    print("\n1. One training step (batch of 8 images, 64 x 64) / one bare NumPy forward pass")
    print(f"{'model':26s} {'step':>7s} {'loss':>6s} {'bare fwd':>9s} {'seglab fwd':>10s} "
          f"{'step/fwd':>8s} {'(step-loss)/fwd':>15s}  target   (times in ms)")
    for name, (make, x, bare) in models.items():
        model = make()
        y = labels if model.num_classes == 1 else np.minimum(labels * 2, 2)
        batch, targets = x[:8], y[:8]
        params = model.get_params()
        scores = model(batch)
        assert np.allclose(bare(params, batch), model(batch), rtol=1e-10, atol=1e-10)
        times = median_times(
            {
                "step": lambda m=model, b=batch, t=targets: train(
                    m, b, t, loss=cross_entropy, steps=1, batch_size=8),
                "loss": lambda s=scores, t=targets: cross_entropy(s, t),
                "bare": lambda p=params, b=batch, f=bare: f(p, b),
                "seglab": lambda m=model, b=batch: m(b),
            },
            args.repeats,
        )
        ratio = times["step"] / times["bare"]
        rest = (times["step"] - times["loss"]) / times["bare"]
        has_target = isinstance(model, TinyCNN)
        passed = rest <= MAX_STEP_RATIO or not has_target
        ok &= passed
        verdict = f"<= {MAX_STEP_RATIO} {'PASS' if passed else 'FAIL'}" if has_target else "-"
        ms = {key: value * 1e3 for key, value in times.items()}
        print(f"{name:26s} {ms['step']:7.2f} {ms['loss']:6.2f} {ms['bare']:9.2f} "
              f"{ms['seglab']:10.2f} {ratio:8.2f} {rest:15.2f}  {verdict}")

    print("\n2. Training on 32 images of 64 x 64: 20 epochs of batches of 8 (80 steps), "
          "filter bank included")
    print(f"{'model':26s} {'loss':13s} {'seconds':>8s}  target")
    for name, (make, _, _) in models.items():
        if make().num_classes != 1:
            continue
        for loss_name, loss in (("cross-entropy", cross_entropy), ("soft Dice", soft_dice)):
            def run(make=make, loss=loss, name=name):
                x = FilterBank().fit_transform(images) if "19" in name else raw
                train(make(), x, labels, loss=loss, epochs=20, batch_size=8, lr=0.05)
            seconds = median_times({"run": run}, args.train_repeats)["run"]
            passed = seconds <= MAX_TRAIN_SECONDS
            ok &= passed
            print(f"{name:26s} {loss_name:13s} {seconds:8.2f}  <= {MAX_TRAIN_SECONDS} "
                  f"{'PASS' if passed else 'FAIL'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
