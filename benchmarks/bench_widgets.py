"""Latency of a live slider update, and size of the static sliders of the book.

A live update is what the kernel does when a slider moves to a value it has not shown
yet: call the figure function and render the figure to PNG (``seglab.widgets``
then only base64-encodes it). Budget: 100 ms on the 2-core reference machine, judged
on the median wall-clock time. Each round uses values never seen before (moved by a
relative 1e-9 per round), so the per-value caches are cold as on a first visit, while
the static part of the figure, drawn once when the slider is first displayed, is
cached as it is in a live session. The baseline is rendering an empty figure of the
same size at the same resolution: ``ratio`` is how many empty renders one update costs.

The second table builds the static (kernel-free) HTML of the book's two sliders and
reports the build time and the payload shipped in the page.

Run: ``.venv/bin/python benchmarks/bench_widgets.py`` (or ``make bench``). Exits with
status 1 if an update misses the budget.
"""

import os
import statistics
import sys
import time

from matplotlib.figure import Figure

from seglab.viz import decisions, imbalance
from seglab.viz.style import DPI
from seglab.widgets import render_png, slider

BUDGET_MS = 100.0
ROUNDS = 3
PRIORS = [0.5, 0.2, 0.1, 0.05, 0.02, 0.01, 0.005, 0.002, 0.001]
WEIGHTS = [0.1, 0.3, 0.5, 0.7, 1.0]

CASES = [
    ("imbalance_figure", imbalance.imbalance_figure, {"pi": PRIORS}),
    ("tversky_figure", decisions.tversky_figure, {"alpha": WEIGHTS, "beta": WEIGHTS}),
]


def grid(params, shift=0.0):
    """Every combination of the values, each moved by ``shift`` of its distance to 0.15.

    Moving inwards keeps every value inside the range of the book's sliders (so the
    cached static part of a figure stays valid) while making it new to per-value caches.
    """
    combos = [{}]
    for name, values in params.items():
        combos = [{**c, name: v + shift * (0.15 - v)} for c in combos for v in values]
    return combos


def update(func, kwargs):
    """Wall and CPU seconds of one live update: func(**kwargs) rendered to PNG."""
    wall, cpu = time.perf_counter(), time.process_time()
    render_png(func(**kwargs))
    return time.perf_counter() - wall, time.process_time() - cpu


def empty_render(figsize, repeats=15):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        render_png(Figure(figsize=figsize, dpi=DPI))
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main():
    print(f"bench_widgets: {os.cpu_count()} CPU(s), load average "
          f"{', '.join(f'{x:.2f}' for x in os.getloadavg())}; budget {BUDGET_MS:.0f} ms "
          f"per live update (median wall clock); frames at {DPI} dpi")
    empty_render((8.0, 3.4), repeats=3)  # load fonts and the Agg backend once

    failed = False
    header = (f"{'figure':<18}{'first':>8}{'median':>9}{'p90':>8}{'max':>8}{'cpu med':>9}"
              f"{'empty':>8}{'ratio':>7}  verdict")
    print("\nlive update = callback + render to PNG (ms; 'first' builds the cached static part)")
    print(header)
    for name, func, params in CASES:
        combos = grid(params)
        first = update(func, combos[0])[0]
        walls, cpus = [], []
        for r in range(1, ROUNDS + 1):
            for kwargs in grid(params, shift=r * 1e-9):
                wall, cpu = update(func, kwargs)
                walls.append(wall)
                cpus.append(cpu)
        figsize = tuple(func(**combos[0]).get_size_inches())
        baseline = empty_render(figsize)
        median = statistics.median(walls)
        p90 = statistics.quantiles(walls, n=10)[-1]
        ok = median * 1e3 <= BUDGET_MS
        failed |= not ok
        print(f"{name:<18}{first * 1e3:8.1f}{median * 1e3:9.1f}{p90 * 1e3:8.1f}"
              f"{max(walls) * 1e3:8.1f}{statistics.median(cpus) * 1e3:9.1f}"
              f"{baseline * 1e3:8.1f}{median / baseline:7.1f}  "
              f"{'PASS' if ok else 'FAIL'} ({len(walls)} updates)")

    print("\nstatic slider of the book (text/html payload, palette PNG frames, base64)")
    print(f"{'figure':<18}{'frames':>7}{'build s':>9}{'total kB':>10}{'kB/frame':>10}")
    for name, func, params in CASES:
        start = time.perf_counter()
        html = slider(func, live=False, **params).to_html()
        build = time.perf_counter() - start
        frames = html.count('class="seglab-slider-frame"')
        print(f"{name:<18}{frames:7d}{build:9.2f}{len(html) / 1e3:10.1f}"
              f"{len(html) / 1e3 / frames:10.1f}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
