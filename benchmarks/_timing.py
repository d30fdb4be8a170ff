"""Timing shared by the benchmark scripts (``python benchmarks/bench_*.py`` puts this folder
on ``sys.path``, so they import it as ``_timing``).

Every candidate of a table runs once as a warm-up (imports, caches, page faults of the first
allocation), then all candidates run round-robin ``repeats`` times, so that a burst of load
on a shared machine hits them alike; each time reported is the median of the repeats.
"""

import time

import numpy as np


def median_wall_cpu(candidates, repeats):
    """Median wall and CPU times (s) of each callable in the dict ``candidates``.

    Wall time is ``time.perf_counter``; CPU time is ``time.process_time`` (all threads of the
    process), less sensitive to other processes on a shared machine. Returns two dicts keyed
    like ``candidates``.
    """
    for func in candidates.values():
        func()
    wall = {name: [] for name in candidates}
    cpu = {name: [] for name in candidates}
    for _ in range(repeats):
        for name, func in candidates.items():
            start, start_cpu = time.perf_counter(), time.process_time()
            func()
            wall[name].append(time.perf_counter() - start)
            cpu[name].append(time.process_time() - start_cpu)
    return ({name: float(np.median(v)) for name, v in wall.items()},
            {name: float(np.median(v)) for name, v in cpu.items()})


def median_times(candidates, repeats):
    """Median wall time (s) of each callable in the dict ``candidates``."""
    return median_wall_cpu(candidates, repeats)[0]
