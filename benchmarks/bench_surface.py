"""Benchmark seglab.surface against MedPy 0.5.2's ``hd``, ``hd95`` and ``assd`` on 3-D masks.

Target (issue 3): on a sphere against a perturbed sphere in volumes of 128^3 and
256^3 voxels, each of seglab's ``hausdorff``, ``hausdorff(percentile=95,
combine='pooled')`` and ``assd`` is at least 3x faster than the MedPy function
computing the same number, and returns the same value (to 1e-9 relative).

seglab runs its distance transforms on the bounding box of the two masks padded
by one voxel; MedPy erodes and transforms the whole volume, twice per call. Both
run in one process on the same arrays, interleaved round-robin; each time is the
median of the repeats (``time.perf_counter``). Peak memory is the peak of
``tracemalloc`` (which sees NumPy's and SciPy's array allocations) during one
call, measured in a separate pass so that tracing does not slow the timings.
The exit status is 1 if a target is missed or a value differs.

Needs ``pip install -r benchmarks/requirements.txt`` (MedPy, a benchmark-only
dependency). Usage: ``python benchmarks/bench_surface.py [--sizes 128 256]
[--repeats 5]``
"""

import argparse
import platform
import sys
import tracemalloc

import numpy as np
from _timing import median_times
from medpy.metric import binary as medpy_binary
from scipy import ndimage

from seglab import surface

MIN_SPEEDUP = 3.0
RTOL = 1e-9


def spheres(size, seed=0):
    """A ball of radius 0.3 * size and a ball whose radius varies smoothly by about 5 %
    (a Gaussian-filtered random field), shifted by one voxel."""
    grid = np.ogrid[(slice(0, size),) * 3]
    centre = (size - 1) / 2
    radius = 0.3 * size
    dist = np.sqrt(sum((g - centre) ** 2 for g in grid))
    target = dist <= radius
    rng = np.random.default_rng(seed)
    field = ndimage.gaussian_filter(rng.standard_normal((size,) * 3), size / 16)
    field *= 0.05 * radius / np.abs(field).max()
    shifted = np.sqrt(sum((g - centre - (i == 0)) ** 2 for i, g in enumerate(grid)))
    pred = shifted <= radius + field
    return pred, target


def pairs(pred, target):
    """(name, seglab call, MedPy call) computing the same number."""
    return [
        ("hd", lambda: surface.hausdorff(pred, target),
         lambda: medpy_binary.hd(pred, target)),
        ("hd95", lambda: surface.hausdorff(pred, target, percentile=95, combine="pooled"),
         lambda: medpy_binary.hd95(pred, target)),
        ("assd", lambda: surface.assd(pred, target),
         lambda: medpy_binary.assd(pred, target)),
    ]


def peak_mib(func):
    tracemalloc.start()
    try:
        func()
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[128, 256])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    import medpy
    print(f"Python {platform.python_version()}, NumPy {np.__version__}, "
          f"MedPy {getattr(medpy, '__version__', '0.5.2')}, {platform.machine()}")
    ok = True
    for size in args.sizes:
        pred, target = spheres(size)
        box = ndimage.find_objects((pred | target).astype(np.uint8))[0]
        extent = "x".join(str(s.stop - s.start) for s in box)
        print(f"\n{size}^3 voxels: sphere ({target.sum()} voxels) vs perturbed sphere "
              f"({pred.sum()} voxels), bounding box {extent}")
        print(f"{'metric':6} {'seglab':>12} {'MedPy':>12} {'seglab s':>9} {'MedPy s':>9} "
              f"{'speedup':>8} {'seglab MiB':>11} {'MedPy MiB':>10}")
        for name, ours, theirs in pairs(pred, target):
            v_ours, v_theirs = ours(), theirs()
            same = abs(v_ours - v_theirs) <= RTOL * abs(v_theirs)
            times = median_times({"seglab": ours, "medpy": theirs}, args.repeats)
            speedup = times["medpy"] / times["seglab"]
            mem_ours, mem_theirs = peak_mib(ours), peak_mib(theirs)
            good = same and speedup >= MIN_SPEEDUP
            ok &= good
            print(f"{name:6} {v_ours:12.6f} {v_theirs:12.6f} {times['seglab']:9.3f} "
                  f"{times['medpy']:9.3f} {speedup:7.1f}x {mem_ours:11.1f} {mem_theirs:10.1f}"
                  f"  {'PASS' if good else 'FAIL'}{'' if same else ' (values differ)'}")
    print(f"\ntarget: >= {MIN_SPEEDUP:.0f}x faster than MedPy at equal values: "
          f"{'PASS' if ok else 'FAIL'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
