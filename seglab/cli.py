"""The console script ``seglab``: ``seglab evaluate PRED GT`` scores a folder of predictions.

Run ``seglab evaluate --help`` (or ``python -m seglab evaluate --help``) for the options;
every option is a keyword of :func:`seglab.evaluation.evaluate_dataset` or a field of its
:class:`~seglab.evaluation.Conventions`. The summary table goes to standard output, the
per-case CSV and the summary JSON to the files named by ``--csv`` and ``--json``. With
``--recommend``, the metric recommendation of :func:`seglab.recommend.recommend` for the
fingerprint of the references (foreground fraction, objects per image, empty references)
is printed first.
"""

import argparse
import sys

from .evaluation import (
    OVERLAP_METRICS,
    SURFACE_METRICS,
    Conventions,
    dataset_fingerprint,
    evaluate_dataset,
)

__all__ = ["main"]


def _spacing(text):
    try:
        values = [float(v) for v in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"spacing must read '1.0' or '0.8,0.8,3', got "
                                         f"{text!r}") from None
    return values[0] if len(values) == 1 else tuple(values)


def _parser():
    parser = argparse.ArgumentParser(
        prog="seglab", description="Segmentation metrics with declared conventions.")
    commands = parser.add_subparsers(dest="command", required=True)
    ev = commands.add_parser(
        "evaluate", help="score a folder of predictions against a folder of references",
        description="Pair PRED and GT files by name and score every class with the overlap "
                    "and boundary metrics; conventions are recorded in every output.")
    ev.add_argument("pred", metavar="PRED", help="folder of predicted label maps")
    ev.add_argument("gt", metavar="GT", help="folder of reference label maps")
    ev.add_argument("--labels", help="label table: '1:liver,2:tumour' or a .json file "
                                     "(default 1:foreground)")
    ev.add_argument("--metrics", help="comma-separated metric names (default all): "
                                      + ", ".join(OVERLAP_METRICS + SURFACE_METRICS))
    ev.add_argument("--spacing", type=_spacing,
                    help="voxel size for PNG/TIFF/NPY inputs, '1.0' or '0.8,0.8,3' "
                         "(NIfTI: from the header)")
    defaults = Conventions()
    ev.add_argument("--both-empty", choices=("nan", "best"), default=defaults.both_empty,
                    help="cells with both masks empty: left out (nan) or best value")
    ev.add_argument("--one-empty", choices=("worst", "nan"), default=defaults.one_empty,
                    help="cells with one mask empty: worst value or left out (nan)")
    ev.add_argument("--percentile", type=float, default=defaults.percentile,
                    help="percentile of the robust Hausdorff distance (default 95)")
    ev.add_argument("--method", choices=("linear", "inverted_cdf"), default=defaults.method,
                    help="percentile rule")
    ev.add_argument("--combine", choices=("max", "pooled"), default=defaults.combine,
                    help="how the two directed percentiles make one")
    ev.add_argument("--tolerance", type=float, default=defaults.tolerance,
                    help="surface Dice / boundary F1 tolerance, spacing units (default 1)")
    ev.add_argument("--boundary", choices=("pixels", "surfels"), default=defaults.boundary)
    ev.add_argument("--scheduler", help="Dask scheduler: threads, processes, synchronous "
                                        "or a dask.distributed address (default: serial)")
    ev.add_argument("--progress", action="store_true", help="show a progress bar (Dask)")
    ev.add_argument("--lesions", action="store_true",
                    help="also count matched lesions (seglab.lesions)")
    ev.add_argument("--csv", help="write the per-case rows to this .csv file")
    ev.add_argument("--json", help="write the summary to this .json file")
    ev.add_argument("--recommend", action="store_true",
                    help="print the metric recommendation for the references' fingerprint")
    ev.add_argument("--boundaries-matter", action="store_true",
                    help="with --recommend: the boundary position matters")
    ev.add_argument("--detection-matters", action="store_true",
                    help="with --recommend: finding every object matters")
    return parser


def _fmt(value):
    return "-" if value is None else f"{value:.4g}"


def _print_summary(result, out):
    summary = result.summary
    print(f"{summary['provenance']['num_cases']} cases; conventions: "
          + ", ".join(f"{k}={v}" for k, v in summary["conventions"].items()
                      if k not in ("classes", "mean", "std", "pooled")), file=out)
    print(f"{'metric':26} {'class':14} {'mean':>10} {'std':>10} {'n':>5} {'excluded':>8} "
          f"{'pooled':>10}", file=out)
    for metric, entry in summary["metrics"].items():
        for cls, s in entry["classes"].items():
            print(f"{metric:26} {cls:14} {_fmt(s['mean']):>10} {_fmt(s['std']):>10} "
                  f"{s['n']:>5} {s['excluded']:>8} {_fmt(s['pooled']):>10}", file=out)


def _print_recommendation(args, out):
    from .recommend import recommend

    fp = dataset_fingerprint(args.gt, labels=args.labels)
    fraction = fp["foreground_fraction"]
    print(f"fingerprint: foreground fraction {fraction:.4g}, objects per image "
          f"{fp['objects_per_image']:.3g}, empty references {fp['empty_share']:.1%} of "
          f"{fp['num_cases']}", file=out)
    if not 0.0 < fraction < 1.0:
        print("no recommendation: the references hold no foreground (or only foreground)",
              file=out)
        return
    rec = recommend(foreground_fraction=fraction, objects_per_image=fp["objects_per_image"],
                    boundaries_matter=args.boundaries_matter,
                    detection_matters=args.detection_matters,
                    empty_images=fp["empty_images"])
    for item in rec.items():
        settings = ", ".join(f"{k}={v}" for k, v in item.settings.items())
        print(f"  {item.role:9} {item.name}" + (f" ({settings})" if settings else "")
              + (f" -- {item.caveat}" if item.caveat else "")
              + (f" [{', '.join(item.labels)}]" if item.labels else ""), file=out)


def main(argv=None):
    """Run the console script; return its exit status (0, or 2 on a usage or input error).

    Parameters
    ----------
    argv : list of str, optional
        The arguments (default ``sys.argv[1:]``).

    Returns
    -------
    int
        0 on success; 2 when the arguments or the inputs are refused (the message, which
        names the argument or the file, goes to standard error); 0 after ``--help``.

    Raises
    ------
    TypeError
        If ``argv`` is neither None nor a list or tuple of str.

    Examples
    --------
    >>> import tempfile
    >>> from seglab.data import write_synthetic_dataset
    >>> pred, ref = write_synthetic_dataset(tempfile.mkdtemp(), num_cases=2, shape=(16, 16),
    ...                                     format="npy", empty_fraction=0.0)
    >>> main(["evaluate", pred, ref, "--metrics", "dice"])  # doctest: +ELLIPSIS
    2 cases; conventions: ...
    metric ... pooled
    dice   ...
    0
    """
    if argv is not None and (not isinstance(argv, (list, tuple))
                             or not all(isinstance(a, str) for a in argv)):
        raise TypeError(f"argv must be a list of str or None, got {argv!r}")
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse has printed the usage or the help
        return 0 if exc.code in (0, None) else 2
    out = sys.stdout
    try:
        if args.recommend:
            _print_recommendation(args, out)
        conventions = Conventions(both_empty=args.both_empty, one_empty=args.one_empty,
                                  percentile=args.percentile, method=args.method,
                                  combine=args.combine, tolerance=args.tolerance,
                                  boundary=args.boundary)
        result = evaluate_dataset(args.pred, args.gt, labels=args.labels,
                                  metrics=args.metrics, spacing=args.spacing,
                                  conventions=conventions, scheduler=args.scheduler,
                                  progress=args.progress, lesions=args.lesions)
        if args.csv:
            result.to_csv(args.csv)
        if args.json:
            result.to_json(args.json)
    except (ValueError, TypeError, ModuleNotFoundError) as exc:
        print(f"seglab evaluate: error: {exc}", file=sys.stderr)
        return 2
    _print_summary(result, out)
    return 0
