"""Benchmark seglab.surface against MONAI 1.6 (CPU), MedPy 0.5.2 and surface-distance 0.1.

Targets: on a sphere against a perturbed sphere in volumes of 128^3 and 256^3
voxels,

* each of seglab's Hausdorff distance, HD95, ASSD and surface Dice is at least
  2x faster than MONAI's CPU call computing the same number, and returns the
  same value (1e-6 relative; MONAI's HD95 is ranked by ``torch.quantile`` in
  float32, so it is checked to 2e-5, as in ``tests/test_surface_conformance.py``);
* :func:`seglab.surface.surface_metrics` computing the four together is at
  least 5x faster than MONAI's four calls.

MedPy (``hd``, ``hd95``, ``assd``) and surface-distance (surfels, area-weighted
nearest rank) are timed against the seglab settings that reproduce them, and
their values compared; they are reported, not targets.

All calls run in one process on the same arrays (MONAI's tensors are made
before the clock starts), interleaved round-robin so that load on a shared
machine hits every candidate alike (``_timing.median_times``); each time is the
median of the repeats. Peak memory is the largest resident set above the
baseline of a fresh child process that holds the masks and runs one call
(Linux's ``VmHWM``, reset before the call; glibc's mmap threshold fixed at 128
KiB so that large arrays cannot reuse freed heap), which sees PyTorch's
allocations as well as NumPy's. The load average is printed with the results. The exit status
is 1 if a target is missed or a value differs.

PyTorch runs with ``--torch-threads`` threads (default 1: on a shared machine
MONAI is faster with one thread than with one per core; the number is printed).

Needs ``pip install -r benchmarks/requirements.txt`` (MONAI, PyTorch CPU, MedPy,
surface-distance: benchmark-only dependencies). Usage:
``python benchmarks/bench_surface.py [--sizes 128 256] [--repeats 5] [--torch-threads 1]``
"""

import argparse
import multiprocessing
import os
import platform
import sys
import warnings

import numpy as np
from _timing import median_times
from scipy import ndimage

from seglab import surface

MIN_SPEEDUP = 2.0
MIN_SPEEDUP_ALL = 5.0
RTOL = 1e-6
RTOL_FLOAT32_QUANTILE = 2e-5
TOLERANCE = 1.0


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


def monai_calls(pred, target):
    """MONAI 1.6's four CPU calls on (1, 1, D, H, W) tensors, as in its documentation."""
    import torch
    from monai.metrics import (
        compute_average_surface_distance,
        compute_hausdorff_distance,
        compute_surface_dice,
    )

    y_pred = torch.as_tensor(pred[None, None].astype(np.float32))
    y = torch.as_tensor(target[None, None].astype(np.float32))

    def one(tensor):
        return float(tensor[0, 0])

    return {
        "hd": lambda: one(compute_hausdorff_distance(y_pred, y, include_background=True)),
        "hd95": lambda: one(compute_hausdorff_distance(y_pred, y, include_background=True,
                                                       percentile=95)),
        "assd": lambda: one(compute_average_surface_distance(y_pred, y, include_background=True,
                                                             symmetric=True)),
        "nsd": lambda: one(compute_surface_dice(y_pred, y, [TOLERANCE],
                                                include_background=True)),
    }


def medpy_calls(pred, target):
    from medpy.metric import binary

    return {"hd": lambda: binary.hd(pred, target), "hd95": lambda: binary.hd95(pred, target),
            "assd": lambda: binary.assd(pred, target)}


def surface_distance_calls(pred, target):
    """DeepMind's surface-distance 0.1: distances once (ground truth first), then metrics."""
    import surface_distance as sd

    np.Inf = np.inf  # noqa: NPY201 -- the alias surface-distance 0.1 needs; gone in NumPy 2

    def distances():
        return sd.compute_surface_distances(target, pred, (1.0, 1.0, 1.0))

    return {
        "hd": lambda: float(sd.compute_robust_hausdorff(distances(), 100)),
        "hd95": lambda: float(sd.compute_robust_hausdorff(distances(), 95)),
        "assd": lambda: float(np.mean(sd.compute_average_surface_distance(distances()))),
        "nsd": lambda: float(sd.compute_surface_dice_at_tolerance(distances(), TOLERANCE)),
    }


def seglab_calls(pred, target):
    """seglab's call reproducing each peer's value: {peer: {metric: call}}."""
    four = ("hausdorff", "hausdorff95", "assd", "surface_dice")
    surfels = {"boundary": "surfels"}
    rank = {"method": "inverted_cdf", **surfels}
    return {
        "monai": {
            "hd": lambda: surface.hausdorff(pred, target),
            "hd95": lambda: surface.hausdorff(pred, target, percentile=95),
            "assd": lambda: surface.assd(pred, target),
            "nsd": lambda: surface.surface_dice(pred, target, tolerance=TOLERANCE),
            "all": lambda: surface.surface_metrics(pred, target, metrics=four,
                                                     tolerance=TOLERANCE),
        },
        "medpy": {
            "hd": lambda: surface.hausdorff(pred, target, combine="pooled"),
            "hd95": lambda: surface.hausdorff(pred, target, percentile=95, combine="pooled"),
            "assd": lambda: surface.assd(pred, target),
        },
        "surface-distance": {
            "hd": lambda: surface.hausdorff(pred, target, percentile=100, **rank),
            "hd95": lambda: surface.hausdorff(pred, target, percentile=95, **rank),
            "assd": lambda: surface.assd(pred, target, combine="mean", **surfels),
            "nsd": lambda: surface.surface_dice(pred, target, tolerance=TOLERANCE, **surfels),
        },
    }


def _status_mib(field):
    """A memory field of /proc/self/status (VmRSS, VmHWM) in MiB."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    raise KeyError(field)


def _calls(size, who):
    """{metric: call} of ``who`` ('seglab/<peer>' or a peer) on the masks of ``size``."""
    pred, target = spheres(size)
    if who.startswith("seglab/"):
        return seglab_calls(pred, target)[who.removeprefix("seglab/")]
    return {"monai": monai_calls, "medpy": medpy_calls,
            "surface-distance": surface_distance_calls}[who](pred, target)


def _child(size, who, metric, queue):
    call = _calls(size, who)[metric]
    with open("/proc/self/clear_refs", "w") as f:  # reset the peak (VmHWM) to the current RSS
        f.write("5")
    base = _status_mib("VmRSS")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        call()
    queue.put(_status_mib("VmHWM") - base)


def peak_mib(size, who, metric):
    """Peak resident memory (MiB) of one call above the baseline of a fresh child process
    holding the masks and the imports (spawned: PyTorch's threads do not survive a fork)."""
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    process = context.Process(target=_child, args=(size, who, metric, queue))
    # A fixed mmap threshold: every large array is mapped and unmapped, never served from
    # heap memory freed while the masks were made (which would hide it from the RSS).
    os.environ["MALLOC_MMAP_THRESHOLD_"] = "131072"
    process.start()
    value = queue.get()
    process.join()
    return value


def same(ours, theirs, rtol):
    return abs(ours - theirs) <= rtol * abs(theirs)


def run_size(size, repeats):
    pred, target = spheres(size)
    box = ndimage.find_objects((pred | target).astype(np.uint8))[0]
    extent = "x".join(str(s.stop - s.start) for s in box)
    print(f"\n{size}^3 voxels: sphere ({target.sum()} voxels) vs perturbed sphere "
          f"({pred.sum()} voxels), bounding box {extent}; load average "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    ours = seglab_calls(pred, target)
    peers = {"monai": monai_calls(pred, target), "medpy": medpy_calls(pred, target),
             "surface-distance": surface_distance_calls(pred, target)}
    candidates = {}
    for peer, calls in peers.items():
        for metric, call in calls.items():
            candidates[(peer, metric)] = call
            candidates[("seglab/" + peer, metric)] = ours[peer][metric]
    candidates[("seglab/monai", "all")] = ours["monai"]["all"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        times = median_times(candidates, repeats)
    ok = True
    print(f"{'peer':17} {'metric':6} {'seglab':>10} {'peer':>10} {'seglab s':>9} {'peer s':>8} "
          f"{'speedup':>8} {'seglab MiB':>10} {'peer MiB':>9}")
    for peer, calls in peers.items():
        for metric, call in calls.items():
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                v_ours, v_theirs = ours[peer][metric](), call()
            rtol = RTOL_FLOAT32_QUANTILE if (peer, metric) == ("monai", "hd95") else RTOL
            equal = same(v_ours, v_theirs, rtol)
            speedup = times[(peer, metric)] / times[("seglab/" + peer, metric)]
            mem_ours = peak_mib(size, 'seglab/' + peer, metric)
            mem_theirs = peak_mib(size, peer, metric)
            target_met = equal and (peer != "monai" or speedup >= MIN_SPEEDUP)
            ok &= target_met
            status = ("PASS" if target_met else "FAIL") if peer == "monai" else (
                "same" if equal else "DIFFERS")
            print(f"{peer:17} {metric:6} {v_ours:10.6f} {v_theirs:10.6f} "
                  f"{times[('seglab/' + peer, metric)]:9.4f} {times[(peer, metric)]:8.4f} "
                  f"{speedup:7.1f}x {mem_ours:10.1f} {mem_theirs:9.1f}  {status}")
    all_values = ours["monai"]["all"]()
    names = dict(zip(("hd", "hd95", "assd", "nsd"), all_values, strict=True))
    equal = all(all_values[name] == ours["monai"][metric]() for metric, name in names.items())
    monai_four = sum(times[("monai", metric)] for metric in names)
    speedup = monai_four / times[("seglab/monai", "all")]
    good = equal and speedup >= MIN_SPEEDUP_ALL
    ok &= good
    print(f"{'monai (4 calls)':17} {'all':6} {'':10} {'':10} "
          f"{times[('seglab/monai', 'all')]:9.4f} {monai_four:8.4f} {speedup:7.1f}x "
          f"{peak_mib(size, 'seglab/monai', 'all'):10.1f} {'':9}  {'PASS' if good else 'FAIL'}"
          f"{'' if equal else ' (surface_metrics differs from the single calls)'}")
    return ok


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[128, 256])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--torch-threads", type=int, default=1)
    args = parser.parse_args(argv)
    import medpy
    import monai
    import torch

    torch.set_num_threads(args.torch_threads)

    print(f"Python {platform.python_version()}, NumPy {np.__version__}, MONAI {monai.__version__}"
          f" (torch {torch.__version__}, {torch.get_num_threads()} threads), MedPy "
          f"{getattr(medpy, '__version__', '0.5.2')}, surface-distance 0.1, "
          f"{platform.machine()}, {os.cpu_count()} CPUs")
    ok = True
    for size in args.sizes:
        ok &= run_size(size, args.repeats)
    print(f"\ntargets: each metric >= {MIN_SPEEDUP:.0f}x and the four together >= "
          f"{MIN_SPEEDUP_ALL:.0f}x faster than MONAI at equal values: "
          f"{'PASS' if ok else 'FAIL'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
