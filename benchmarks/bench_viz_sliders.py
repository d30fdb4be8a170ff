"""Benchmark chapter 2's slider frames (seglab.viz) against chapter 1's tversky_figure.

A slider frame is one call of the figure function plus :func:`seglab.widgets.render_png`
(what the live slider does on each move, and what the static slider stores). Target: a
warm frame (its cached curves computed once, as after the first move) renders in under
100 ms. The baseline is :func:`seglab.viz.decisions.tversky_figure`, timed in the same run,
and the ratio is printed. Each time is the median of the repeats
(``time.perf_counter``), frames interleaved round-robin. Exit status 1 if the target is
missed.

Usage: ``python benchmarks/bench_viz_sliders.py [--repeats 7]``
"""

import argparse
import os
import platform
import sys
import time

import numpy as np

from seglab.viz import decisions, imbalance, losses
from seglab.widgets import render_png

TARGET_SECONDS = 0.1

FRAMES = {
    "imbalance.imbalance_rules_figure(pi=0.01)":
        lambda: imbalance.imbalance_rules_figure(0.01),
    "losses.tversky_surface_figure(0.3, 0.7)":
        lambda: losses.tversky_surface_figure(0.3, 0.7),
    "baseline decisions.tversky_figure(0.3, 0.7)":
        lambda: decisions.tversky_figure(0.3, 0.7),
}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    print(f"python {platform.python_version()}, {os.cpu_count()} cpu(s), "
          f"load average {os.getloadavg()[0]:.2f}")
    for make in FRAMES.values():  # warm the caches, as after the first slider move
        render_png(make())
    times = {name: [] for name in FRAMES}
    for _ in range(args.repeats):
        for name, make in FRAMES.items():
            start = time.perf_counter()
            render_png(make())
            times[name].append(time.perf_counter() - start)
    baseline = np.median(times["baseline decisions.tversky_figure(0.3, 0.7)"])
    failed = False
    for name, values in times.items():
        median = float(np.median(values))
        ok = median < TARGET_SECONDS
        failed |= not ok and not name.startswith("baseline")
        print(f"{name:50s} {1e3 * median:7.1f} ms  ratio to baseline {median / baseline:5.2f}"
              f"  {'ok' if ok else 'SLOW'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
