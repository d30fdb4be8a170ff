"""Command line: ``python -m experiments {run,aggregate,time}``.

* ``run --grid {full,smoke} [--jobs J] [--results DIR]``: every configuration of the grid
  not yet cached (resumable: rerun after an interruption);
* ``aggregate [--results DIR]``: write ``summary.json`` from the cached runs;
* ``time [--steps S]``: seconds per training step of each model and loss (a few steps);
* ``estimate [--grid G] [--jobs J]``: the grid's runs and its estimated wall time;
* ``reference``: re-run :data:`~experiments.config.REFERENCE` and write it to
  ``experiments/results/reference.json`` (the committed result of the reproduction test;
  run from a clean checkout so that its provenance names the commit).
"""

import argparse
import sys
import time

from .config import BUDGET, GRIDS, LOSSES, MODELS, REFERENCE, estimate_seconds, make_config
from .runner import RESULTS, _train_numpy, _train_unet, load_data, run, run_grid, write


def _time(steps, models):
    for model in models:
        for loss in LOSSES:
            config = make_config(task="lesions", fraction=0.02, model=model, loss=loss, seed=0,
                                 **{**BUDGET[model], "steps": steps})
            data = load_data(config)
            train = _train_unet if model == "unet" else _train_numpy
            start = time.perf_counter()
            _, times, _, num_params = train(config, data)
            print(f"{model:9s} {loss:14s} {num_params:6d} params: median "
                  f"{sorted(times)[len(times) // 2]:.3f} s/step, "
                  f"{time.perf_counter() - start:.1f} s for {steps} steps", flush=True)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m experiments")
    sub = parser.add_subparsers(dest="command", required=True)
    go = sub.add_parser("run")
    go.add_argument("--grid", choices=sorted(GRIDS), default="smoke")
    go.add_argument("--jobs", type=int, default=1)
    go.add_argument("--results", default=str(RESULTS))
    agg = sub.add_parser("aggregate")
    agg.add_argument("--results", default=str(RESULTS))
    clock = sub.add_parser("time")
    clock.add_argument("--steps", type=int, default=10)
    clock.add_argument("--models", nargs="+", choices=MODELS, default=list(MODELS))
    guess = sub.add_parser("estimate")
    guess.add_argument("--grid", choices=sorted(GRIDS), default="full")
    guess.add_argument("--jobs", type=int, default=2)
    guess.add_argument("--unet-step", type=float, default=None,
                       help="seconds per U-Net step (default: config.STEP_SECONDS)")
    sub.add_parser("reference")
    args = parser.parse_args(argv)
    if args.command == "run":
        run_grid(GRIDS[args.grid](), args.results, jobs=args.jobs,
                 log=lambda line: print(line, flush=True))
    elif args.command == "aggregate":
        from .aggregate import write_summary

        print(write_summary(args.results))
    elif args.command == "estimate":
        configs = GRIDS[args.grid]()
        counts = {}
        for c in configs:
            counts[c["model"]] = counts.get(c["model"], 0) + 1
        step = None if args.unet_step is None else {"unet": args.unet_step}
        hours = estimate_seconds(configs, jobs=args.jobs, step_seconds=step) / 3600
        print(f"{len(configs)} runs {counts}: about {hours:.2f} h in {args.jobs} process(es)")
    elif args.command == "reference":
        path = RESULTS / "reference.json"
        write(run(REFERENCE), path)
        print(path)
    else:
        _time(args.steps, args.models)
    return 0


if __name__ == "__main__":
    sys.exit(main())
