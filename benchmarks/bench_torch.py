"""Benchmark the cost of seglab.torch in a training step against a pure-torch loss.

Target: one training step (forward and backward of a small conv net, float32, then soft Dice)
with ``seglab.torch.SoftDiceLoss()`` takes at most 1.3x the same step with soft Dice written
in torch (softmax, one-hot, sums; autograd). The adapter computes the loss in float64 NumPy
and its closed-form gradient; the pure-torch loss is autograd in float32 on the same logits.

Both losses are checked to give the same value and gradient first. The steps run in one
process on the same inputs, the two steps interleaved round-robin (benchmarks/_timing.py), then
the two losses alone (forward and backward on fixed logits); each time is the median of the
repeats. PyTorch and NumPy's BLAS run on one thread, so the target is judged on
CPU time (the work done, which other processes on a shared machine disturb less than the wall
time; both are printed). The exit status is 1 if the target is missed.

Usage: ``python benchmarks/bench_torch.py [--batch 8] [--size 64] [--classes 4] [--repeats 21]``
"""

import os

# NumPy's BLAS on one thread, as torch below: a single-threaded comparison on a shared machine.
os.environ["OPENBLAS_NUM_THREADS"] = os.environ.get("OPENBLAS_NUM_THREADS", "1")

import argparse
import platform
import sys

import numpy as np
import torch
import torch.nn.functional as F
from _timing import median_wall_cpu

import seglab
from seglab import torch as seglab_torch

MAX_RATIO = 1.3


def torch_soft_dice(logits, target):
    """seglab's default soft Dice (per image and class, no smoothing), in torch."""
    p = torch.softmax(logits, 1)
    g = F.one_hot(target, logits.shape[1]).movedim(-1, 1).to(p.dtype)
    axes = tuple(range(2, logits.ndim))
    inter = (p * g).sum(axes)
    return (1 - 2 * inter / (p.sum(axes) + g.sum(axes))).mean()


def make_net(classes):
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Conv2d(3, 16, 3, padding=1), torch.nn.ReLU(),
                               torch.nn.Conv2d(16, 16, 3, padding=1), torch.nn.ReLU(),
                               torch.nn.Conv2d(16, classes, 1))


def step(net, images, target, criterion):
    """Forward and backward of one training step; returns the loss."""
    net.zero_grad(set_to_none=True)
    value = criterion(net(images), target)
    value.backward()
    return value.item()


def check_agreement(net, images, target):
    """The adapter and the pure-torch loss agree on the value and the parameters' gradients."""
    values, grads = [], []
    for criterion in (seglab_torch.SoftDiceLoss(), torch_soft_dice):
        values.append(step(net, images, target, criterion))
        grads.append([p.grad.clone() for p in net.parameters()])
    np.testing.assert_allclose(values[0], values[1], rtol=1e-5)
    for a, b in zip(*grads, strict=True):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-3, atol=1e-6)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--classes", type=int, default=4)
    parser.add_argument("--repeats", type=int, default=21)
    args = parser.parse_args()
    torch.set_num_threads(1)
    rng = np.random.default_rng(0)
    images = torch.as_tensor(rng.normal(size=(args.batch, 3, args.size, args.size)),
                             dtype=torch.float32)
    target = torch.as_tensor(rng.integers(0, args.classes, (args.batch, args.size, args.size)))
    net = make_net(args.classes)
    check_agreement(net, images, target)

    with torch.no_grad():
        logits = net(images)
    adapter, pure = seglab_torch.SoftDiceLoss(), torch_soft_dice

    def loss_only(criterion):
        x = logits.clone().requires_grad_()
        criterion(x, target).backward()

    # Two tables, each interleaved on its own: the judged pair of steps, then the losses alone.
    steps = {
        "step, seglab.torch soft Dice": lambda: step(net, images, target, adapter),
        "step, pure-torch soft Dice": lambda: step(net, images, target, pure),
    }
    alone = {
        "loss only, seglab.torch": lambda: loss_only(adapter),
        "loss only, pure torch": lambda: loss_only(pure),
    }
    wall, cpu = median_wall_cpu(steps, args.repeats)
    wall_alone, cpu_alone = median_wall_cpu(alone, args.repeats)

    print(f"seglab {seglab.__version__}, torch {torch.__version__} (1 thread), "
          f"numpy {np.__version__}, Python {platform.python_version()}, "
          f"load {os.getloadavg()[0]:.2f}")
    print(f"conv net 3-16-16-{args.classes}, batch {args.batch} x {args.size} x {args.size}, "
          f"float32; median of {args.repeats}\n")
    print(f"{'':32s} {'wall ms':>9s} {'CPU ms':>9s}")
    for name in steps:
        print(f"{name:32s} {1e3 * wall[name]:9.2f} {1e3 * cpu[name]:9.2f}")
    for name in alone:
        print(f"{name:32s} {1e3 * wall_alone[name]:9.2f} {1e3 * cpu_alone[name]:9.2f}")
    ratio = wall["step, seglab.torch soft Dice"] / wall["step, pure-torch soft Dice"]
    ratio_cpu = cpu["step, seglab.torch soft Dice"] / cpu["step, pure-torch soft Dice"]
    ok = ratio_cpu <= MAX_RATIO
    print(f"\ntraining step, adapter / pure torch: {ratio_cpu:.3f}x CPU (target <= "
          f"{MAX_RATIO}x: {'ok' if ok else 'MISSED'}), {ratio:.3f}x wall")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
