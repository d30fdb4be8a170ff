r"""Evaluate a data set: folders of predictions and references, every metric, declared conventions.

:func:`evaluate_dataset` pairs the files of a prediction folder and a reference folder by
file name, reads each pair (NIfTI with its spacing from the header, PNG/TIFF, NPY/NPZ),
and scores every class of a label table with the overlap metrics of :mod:`seglab.metrics`
and the boundary metrics of :mod:`seglab.surface`. The conventions that make the numbers
well defined -- what a case with an empty mask scores, the percentile rule of HD95, the
surface-Dice tolerance, how values are averaged, where the spacing comes from -- are
declared once in a :class:`Conventions` and recorded in every output. The result, an
:class:`EvaluationResult`, holds tidy per-case rows (``case, class, metric, value,
convention``) and a summary (mean, standard deviation, number of cases behind the mean,
number left out, pooled value), and writes them as CSV and JSON.

Two reductions, and why one of them is exact at any scale. For a class, let case
:math:`i` have the one-vs-rest counts :math:`(\mathrm{TP}_i, \mathrm{FP}_i, \mathrm{FN}_i,
\mathrm{TN}_i)` and score :math:`s_i = f(\mathrm{TP}_i, \dots)`. The *per-case mean* is
:math:`\bar s = \frac{1}{|D|} \sum_{i \in D} s_i` over the set :math:`D` of cases whose
score is defined; the *pooled* (micro) score is the metric of the summed counts,

.. math::

    s_{\mathrm{pool}} = f\Big(\sum_i \mathrm{TP}_i, \sum_i \mathrm{FP}_i,
    \sum_i \mathrm{FN}_i, \sum_i \mathrm{TN}_i\Big).

The counts are integers and their sums are exact and associative, so the pooled score
of a data set split into shards is the metric of the sum of the shards' counts, whatever
the split and the order: the summary records the summed counts for that purpose. The
per-case mean is exact too, but its shards must carry their sums and counts of defined
values, not their means.

The work is one call per case, each reading its own pair from disk: serial by default,
or on Dask (``scheduler='threads'``, ``'processes'``, ``'synchronous'``, the address of a
``dask.distributed`` scheduler, or a ``distributed.Client``), with results identical to
the serial run because every case runs the same code on the same pair and the driver
reduces the per-case results in case order. On Dask a task scores a batch of cases,
the largest files first and the batches shrinking to single cases at the end (so that
no worker waits long for the last one), the k-d tree queries of :mod:`seglab.surface`
run on one thread (the workers already fill the cores), and, under a ``distributed``
nanny's ``MALLOC_TRIM_THRESHOLD_``, the tasks of a run keep their heap instead of
mapping and zeroing every array anew. Dask and NIfTI need the optional extra
``seglab[evaluate]`` (``dask``, ``distributed``, ``nibabel``).

The console script ``seglab evaluate PRED GT`` (:mod:`seglab.cli`) runs the same.
"""

import contextlib
import csv
import ctypes
import datetime
import functools
import json
import math
import numbers
import os
import threading
from dataclasses import asdict, dataclass, field

import numpy as np

from . import metrics as _metrics
from . import surface as _surface
from ._reduction import nanmean
from ._validation import check_bool, check_choice, check_real, check_spacing

__all__ = ["Conventions", "EvaluationResult", "dataset_fingerprint", "evaluate_dataset"]

#: Overlap metrics scored by default: every metric of :mod:`seglab.metrics`.
OVERLAP_METRICS = tuple(_metrics.METRICS)
#: Boundary metrics scored by default: every metric of :func:`seglab.surface.surface_metrics`.
SURFACE_METRICS = ("hausdorff", "hausdorff95", "directed_hausdorff", "assd",
                   "average_surface_distance", "surface_dice", "boundary_f1")
_SCORES = {"surface_dice", "boundary_f1"}  # surface metrics for which higher is better
#: Lesion-wise scores added by ``lesions=True``: name -> key of
#: ``seglab.lesions.detection_scores``.
LESION_METRICS = {"lesion_precision": "precision", "lesion_recall": "recall",
                  "lesion_f1": "f1", "lesion_sq": "sq", "lesion_rq": "rq",
                  "panoptic_quality": "pq"}
SCHEMA = "seglab.evaluation/1"
_SUFFIXES = (".nii.gz", ".nii", ".png", ".tif", ".tiff", ".npy", ".npz")
_MAX_LABEL = 1 << 16


# --------------------------------------------------------------------------
# Conventions


@dataclass(frozen=True)
class Conventions:
    r"""The conventions of an evaluation, declared once and recorded in every output.

    Parameters
    ----------
    both_empty : {'nan', 'best'}, default 'nan'
        A (case, class) cell in which prediction and reference are both empty:
        ``'nan'`` leaves it out of every metric's mean (the value is NaN, counted in
        ``excluded``); ``'best'`` gives every metric its best value (1 for scores, 0
        for distances) -- ``zero_division=1.0`` of :mod:`seglab.metrics`,
        ``both_empty=0.0`` (distances) or ``1.0`` (surface Dice, boundary F1) of
        :mod:`seglab.surface`.
    one_empty : {'worst', 'nan'}, default 'worst'
        A cell in which exactly one of them is empty (a missed structure or a false
        alarm): ``'worst'`` gives a ratio whose denominator is zero the value 0
        (``zero_division=0.0``) and every distance the image diagonal
        (``one_empty='worst'`` of :mod:`seglab.surface`), other values as computed;
        ``'nan'`` leaves the cell out of every metric's mean.
    percentile : float in (0, 100], default 95
        The percentile of the robust Hausdorff distance (metric ``'hausdorff95'``, or
        ``'hausdorff<p>'`` for another percentile).
    method : {'linear', 'inverted_cdf'}, default 'linear'
        The percentile rule (see :func:`seglab.surface.hausdorff`).
    combine : {'max', 'pooled'}, default 'max'
        The larger of the two directed percentiles, or one percentile of both
        directions pooled (see :func:`seglab.surface.hausdorff`).
    tolerance : float >= 0, default 1.0
        Tolerance of the surface Dice (NSD) and the boundary F1, in the units of the
        spacing (millimetres for NIfTI); finite, so that the JSON summary can hold it.
    boundary : {'pixels', 'surfels'}, default 'pixels'
        What a boundary is (see :func:`seglab.surface.surface_distances`).

    Notes
    -----
    Fixed, and stated in :meth:`to_dict`: every class is scored one-vs-rest as a binary
    problem (the masks ``label == k``); the mean over cases leaves NaN out and reports
    how many values it rests on (``n``) and how many it left out (``excluded``); the
    standard deviation is the sample one (``ddof=1``), undefined below two values; the
    pooled value is the metric of the confusion counts summed over cases, defined for
    the overlap metrics only. A ratio whose denominator is zero in a cell where neither
    mask is empty (the specificity of a class that fills the image) is NaN.

    References
    ----------
    .. [1] L. Maier-Hein et al., "Metrics reloaded: recommendations for image analysis
           validation", Nature Methods 21 (2024) 195--212.

    Examples
    --------
    >>> from seglab.evaluation import Conventions
    >>> c = Conventions(one_empty="nan", tolerance=2.0)
    >>> c.to_dict()["one_empty"], c.to_dict()["tolerance"]
    ('nan', 2.0)
    """

    both_empty: str = "nan"
    one_empty: str = "worst"
    percentile: float = 95.0
    method: str = "linear"
    combine: str = "max"
    tolerance: float = 1.0
    boundary: str = "pixels"

    def __post_init__(self):
        for name, choices in (("both_empty", ("nan", "best")), ("one_empty", ("worst", "nan")),
                              ("method", ("linear", "inverted_cdf")),
                              ("combine", ("max", "pooled")),
                              ("boundary", ("pixels", "surfels"))):
            value = getattr(self, name)
            if not isinstance(value, str):
                raise TypeError(f"{name} must be a str, got {value!r}")
            check_choice(value, name, choices)
        object.__setattr__(self, "percentile", check_real(
            self.percentile, "percentile", low=0.0, high=100.0, low_open=True))
        object.__setattr__(self, "tolerance", check_real(
            self.tolerance, "tolerance", low=0.0, high=np.inf, high_open=True))

    @property
    def hausdorff_name(self):
        """Name of the robust Hausdorff metric: ``'hausdorff95'`` at the 95th percentile."""
        return f"hausdorff{self.percentile:g}".replace(".", "_")

    def to_dict(self):
        """The settings and the fixed rules, as a JSON-ready dict.

        Returns
        -------
        dict
            The fields, plus ``'classes'``, ``'mean'``, ``'std'`` and ``'pooled'``
            stating the fixed rules in words.
        """
        out = asdict(self)
        out.update(
            classes="one-vs-rest: each class k is scored on the binary masks label == k",
            mean="mean over cases of the defined (non-NaN) values; n of them, excluded left "
                 "out",
            std="sample standard deviation (ddof=1) of the defined values; null below two",
            pooled="metric of the confusion counts summed over cases (overlap metrics only)",
        )
        return out


def _check_conventions(conventions):
    if conventions is None:
        return Conventions()
    if isinstance(conventions, Conventions):
        return conventions
    if isinstance(conventions, dict):
        unknown = set(conventions) - set(Conventions.__dataclass_fields__)
        if unknown:
            raise ValueError(f"conventions has unknown keys {sorted(map(str, unknown))}; "
                             f"known: {sorted(Conventions.__dataclass_fields__)}")
        return Conventions(**conventions)
    raise TypeError(f"conventions must be a Conventions, a dict or None, got {conventions!r}")


# --------------------------------------------------------------------------
# Options: labels, metrics, spacing


def _check_labels(labels):
    """The label table as a tuple of (value, name) pairs, sorted by value."""
    if labels is None:
        return ((1, "foreground"),)
    if isinstance(labels, str):
        if labels.endswith(".json"):
            if not os.path.isfile(labels):
                raise ValueError(f"labels names a JSON file that does not exist: {labels!r}")
            with open(labels, encoding="utf-8") as f:
                try:
                    labels = json.load(f)
                except json.JSONDecodeError as exc:
                    raise ValueError(f"labels file {labels!r} is not valid JSON: {exc}") from None
            if not isinstance(labels, dict):
                raise ValueError("labels file must hold an object {\"1\": \"name\", ...}")
        else:
            table = {}
            for item in labels.split(","):
                value, sep, name = item.partition(":")
                if not sep:
                    raise ValueError(f"labels must read 'value:name,value:name' (such as "
                                     f"'1:liver,2:tumour') or name a .json file, got {labels!r}")
                table[value.strip()] = name.strip()
            labels = table
    if not isinstance(labels, dict):
        raise TypeError(f"labels must be a dict {{value: name}}, a str '1:liver,2:tumour', the "
                        f"path of a JSON file, or None; got {labels!r}")
    if not labels:
        raise ValueError("labels must name at least one class")
    pairs = []
    for value, name in labels.items():
        if isinstance(value, str):
            try:
                value = int(value.strip())
            except ValueError:
                raise ValueError(f"labels keys must be integer label values, got {value!r}") \
                    from None
        if isinstance(value, bool) or not isinstance(value, numbers.Integral):
            raise TypeError(f"labels keys must be integer label values, got {value!r}")
        if not 1 <= value < _MAX_LABEL:
            raise ValueError(f"labels keys must lie in [1, {_MAX_LABEL}) (0 is the "
                             f"background), got {value}")
        if not isinstance(name, str) or not name.strip() or "," in name:
            raise ValueError(f"labels names must be non-empty strings without commas, got "
                             f"{name!r} for label {value}")
        pairs.append((int(value), name.strip()))
    names = [name for _, name in pairs]
    if len(set(names)) != len(names) or len({v for v, _ in pairs}) != len(pairs):
        raise ValueError(f"labels must give distinct values distinct names, got {labels!r}")
    return tuple(sorted(pairs))


def _check_metric_names(metrics, conventions):
    """(overlap names, surface names) of ``metrics``; None means every metric."""
    robust = conventions.hausdorff_name
    surface_names = tuple(robust if m == "hausdorff95" else m for m in SURFACE_METRICS)
    if metrics is None:
        return OVERLAP_METRICS, surface_names
    if isinstance(metrics, str):
        metrics = [m.strip() for m in metrics.split(",")]
    if not isinstance(metrics, (list, tuple)) or not all(isinstance(m, str) for m in metrics):
        raise TypeError(f"metrics must be a sequence of metric names, a comma-separated str or "
                        f"None, got {metrics!r}")
    if not metrics or len(set(metrics)) != len(metrics):
        raise ValueError(f"metrics must name each metric once, and at least one: {metrics!r}")
    known = OVERLAP_METRICS + surface_names
    for m in metrics:
        check_choice(m, "metrics", known)
    return (tuple(m for m in OVERLAP_METRICS if m in metrics),
            tuple(m for m in surface_names if m in metrics))


# --------------------------------------------------------------------------
# Files


def _case_name(filename):
    lower = filename.lower()
    for suffix in _SUFFIXES:
        if lower.endswith(suffix):
            return filename[: -len(suffix)]
    return None


def _list_folder(folder, name):
    if not isinstance(folder, (str, os.PathLike)):
        raise TypeError(f"{name} must be the path of a folder (str or os.PathLike), "
                        f"got {folder!r}")
    folder = os.fspath(folder)
    if not folder or not os.path.isdir(folder):
        raise ValueError(f"{name} must be an existing folder, got {folder!r}")
    files = sorted(f for f in os.listdir(folder)
                   if not f.startswith(".") and _case_name(f) is not None
                   and os.path.isfile(os.path.join(folder, f)))
    if not files:
        raise ValueError(f"{name} folder {folder!r} holds no image file (one of "
                         f"{', '.join(_SUFFIXES)})")
    return folder, files


def _pairs(prediction, reference):
    """[(case, prediction path, reference path)] matched by file name, in sorted order."""
    pred_dir, pred_files = _list_folder(prediction, "prediction")
    ref_dir, ref_files = _list_folder(reference, "reference")
    only_pred = sorted(set(pred_files) - set(ref_files))
    only_ref = sorted(set(ref_files) - set(pred_files))
    if only_pred or only_ref:
        def listed(names):
            shown = ", ".join(names[:10])
            return shown + (f" and {len(names) - 10} more" if len(names) > 10 else "")
        parts = []
        if only_pred:
            parts.append(f"{len(only_pred)} prediction file(s) with no reference: "
                         f"{listed(only_pred)}")
        if only_ref:
            parts.append(f"{len(only_ref)} reference file(s) with no prediction: "
                         f"{listed(only_ref)}")
        raise ValueError("files are matched by name, and some are unmatched: "
                         + "; ".join(parts))
    cases = [_case_name(f) for f in ref_files]
    if len(set(cases)) != len(cases):
        raise ValueError("two reference files have the same case name (the file name "
                         "without its extension), such as case.png and case.npy")
    return [(c, os.path.join(pred_dir, f), os.path.join(ref_dir, f))
            for c, f in zip(cases, ref_files, strict=True)]


def _nibabel():
    try:
        import nibabel
    except ModuleNotFoundError:
        raise ModuleNotFoundError(
            "reading NIfTI files needs nibabel: pip install 'seglab[evaluate]'",
            name="nibabel") from None
    return nibabel


def _as_labels(arr, path):
    """An integer label array from what a file holds; an error naming the file otherwise."""
    arr = np.asarray(arr)
    if arr.dtype == bool:
        return arr.astype(np.uint8)
    if np.issubdtype(arr.dtype, np.integer):
        return arr
    if np.issubdtype(arr.dtype, np.floating):
        if not np.all(np.isfinite(arr)) or not np.array_equal(arr, np.round(arr)):
            raise ValueError(f"{path}: a label map must hold whole numbers, got non-integral "
                             f"values of dtype {arr.dtype}")
        if arr.size and (arr.min() < 0 or arr.max() >= _MAX_LABEL):
            raise ValueError(f"{path}: labels must lie in [0, {_MAX_LABEL}), got values in "
                             f"[{arr.min()}, {arr.max()}]")
        return arr.astype(np.int32)
    raise ValueError(f"{path}: a label map must hold integers, got dtype {arr.dtype}")


def _load(path):
    """(raw array, header) of one file; header is (affine, zooms) for NIfTI, else None."""
    lower = path.lower()
    if lower.endswith((".nii", ".nii.gz")):
        nib = _nibabel()
        image = nib.load(path)
        data = np.asanyarray(image.dataobj)
        zooms = tuple(float(z) for z in image.header.get_zooms()[: data.ndim])
        return data, (np.asarray(image.affine, dtype=np.float64), zooms)
    if lower.endswith(".npy"):
        return np.load(path, allow_pickle=False), None
    if lower.endswith(".npz"):
        with np.load(path, allow_pickle=False) as archive:
            keys = list(archive.keys())
            if len(keys) != 1:
                return keys, None
            return archive[keys[0]], None
    import imageio.v3 as iio

    return iio.imread(path), None


def _read(path):
    """(labels, header) of one file; header is (affine, zooms) for NIfTI, else None."""
    try:
        data, header = _load(path)
    except (OSError, EOFError, ValueError) as exc:
        raise ValueError(f"{path}: cannot be read ({type(exc).__name__}: {exc})") from None
    if isinstance(data, list):
        raise ValueError(f"{path}: an .npz file must hold exactly one array, holds "
                         f"{len(data)} ({', '.join(data[:5])})")
    if data.ndim == 3 and data.shape[-1] in (3, 4) and path.lower().endswith(".png"):
        raise ValueError(f"{path}: a label map must be a single-channel image, got shape "
                         f"{data.shape} (RGB or RGBA)")
    return _as_labels(data, path), header


def _read_pair(case, pred_path, ref_path, spacing):
    """Read one pair; check shapes and headers; return (pred, ref, spacing, source)."""
    pred, pred_header = _read(pred_path)
    ref, ref_header = _read(ref_path)
    if pred.shape != ref.shape:
        raise ValueError(f"case {case!r}: prediction {pred_path} has shape {pred.shape} and "
                         f"reference {ref_path} shape {ref.shape}")
    if pred.size == 0:
        raise ValueError(f"case {case!r}: {ref_path} holds an empty array")
    if (pred_header is None) != (ref_header is None):
        raise ValueError(f"case {case!r}: one of {pred_path} and {ref_path} is NIfTI and the "
                         f"other is not")
    if ref_header is None:
        source = "unit" if spacing is None else "option"
        return pred, ref, check_spacing(spacing, ref.ndim), source
    if spacing is not None:
        raise ValueError("spacing applies to PNG, TIFF and NPY/NPZ inputs; NIfTI files carry "
                         f"their spacing in the header (case {case!r}, {ref_path})")
    (pred_affine, pred_zooms), (ref_affine, ref_zooms) = pred_header, ref_header
    if not np.allclose(pred_affine, ref_affine, rtol=0.0, atol=1e-4) or pred_zooms != ref_zooms:
        raise ValueError(
            f"case {case!r}: the headers of {pred_path} and {ref_path} differ (orientation, "
            f"origin or spacing): affine {pred_affine.round(4).tolist()} vs "
            f"{ref_affine.round(4).tolist()}, zooms {pred_zooms} vs {ref_zooms}")
    return pred, ref, check_spacing(ref_zooms, ref.ndim), "header"


# --------------------------------------------------------------------------
# One case


@dataclass(frozen=True)
class _Plan:
    """Everything a task needs besides its pair (small and picklable)."""

    labels: tuple
    overlap: tuple
    surface: tuple
    conventions: Conventions
    spacing: object
    lesions: bool = False


def _binary_counts(cm, values):
    """One-vs-rest 2x2 matrices [[TN, FP], [FN, TP]] of the classes ``values``, (n, 2, 2)."""
    n = cm.sum()
    out = np.empty((len(values), 2, 2), dtype=np.int64)
    for row, k in enumerate(values):
        tp = cm[k, k]
        fp = cm[:, k].sum() - tp
        fn = cm[k, :].sum() - tp
        out[row] = ((n - tp - fp - fn, fp), (fn, tp))
    return out


def _states(counts):
    """Empty state of each cell: 'both', 'one' or 'none' (from its 2x2 matrix)."""
    pred_any = counts[:, :, 1].sum(axis=1) > 0
    ref_any = counts[:, 1, :].sum(axis=1) > 0
    return np.where(~pred_any & ~ref_any, "both", np.where(pred_any & ref_any, "none", "one"))


def _zero_division(state, conventions):
    """The zero_division an overlap metric gets in a cell of this state (NaN: left out)."""
    if state == "both" and conventions.both_empty == "best":
        return 1.0
    if state == "one" and conventions.one_empty == "worst":
        return 0.0
    return np.nan


def _excluded(state, conventions):
    """Whether the policy leaves every metric of a cell in this state out (NaN)."""
    return ((state == "both" and conventions.both_empty == "nan")
            or (state == "one" and conventions.one_empty == "nan"))


def _overlap_values(counts, names, conventions):
    """{metric: (n_classes,)} from the per-class 2x2 matrices, by the declared policy."""
    states = _states(counts)
    zd = np.array([_zero_division(s, conventions) for s in states])
    out = {}
    for name in names:
        values = np.full(len(states), np.nan)
        for z in np.unique(zd):  # NaN appears at most once (np.unique merges NaNs in numpy 2)
            rows = np.isnan(zd) if np.isnan(z) else zd == z
            values[rows] = _metrics.from_confusion(counts[rows], name, average="binary",
                                                   zero_division=float(z), reduction="none")
        values[[_excluded(s, conventions) for s in states]] = np.nan
        out[name] = values
    return out


def _surface_options(names, conventions):
    """Options of :func:`seglab.surface.surface_metrics`: the empty policy of every metric."""
    options = {}
    for name in names:
        score = name in _SCORES
        best = 1.0 if score else 0.0
        opts = {"both_empty": best if conventions.both_empty == "best" else np.nan,
                "one_empty": "worst" if conventions.one_empty == "worst" else np.nan}
        if name.startswith("hausdorff") and name != "hausdorff":
            opts.update(method=conventions.method, combine=conventions.combine)
        options[name] = opts
    return options


def _surface_call(names, conventions):
    """[(metric names for surface_metrics, options, output names)] to compute ``names``."""
    robust = conventions.hausdorff_name
    options = _surface_options(names, conventions)
    calls = []
    direct = [n for n in names if n != robust or robust == "hausdorff95"]
    if direct:
        calls.append((tuple(direct), {n: options[n] for n in direct}, tuple(direct)))
    if robust in names and robust != "hausdorff95":
        opts = dict(options[robust], percentile=conventions.percentile)
        calls.append((("hausdorff",), {"hausdorff": opts}, (robust,)))
    return calls


def _surface_values(pred, ref, values, names, spacing, conventions, where):
    """{metric: (n_classes,)} of the boundary metrics, one call per class."""
    if not names:
        return {}
    if pred.ndim not in (2, 3):
        raise ValueError(f"{where}: surface metrics need 2-D or 3-D images, got shape "
                         f"{pred.shape}; leave them out of metrics for other dimensions")
    out = {name: np.empty(len(values)) for name in names}
    for column, k in enumerate(values):
        pk, rk = pred == k, ref == k
        for call, options, outputs in _surface_call(names, conventions):
            result = _surface.surface_metrics(pk, rk, metrics=call, spacing=spacing,
                                              tolerance=conventions.tolerance,
                                              boundary=conventions.boundary, options=options)
            for name, output in zip(call, outputs, strict=True):
                out[output][column] = result[name]
    return out


def _evaluate_case(case, pred_path, ref_path, plan):
    """Score one pair: its per-class 2x2 counts and every metric value (a Dask task)."""
    pred, ref, spacing, source = _read_pair(case, pred_path, ref_path, plan.spacing)
    values = tuple(v for v, _ in plan.labels)
    k = max(values) + 1
    top = int(max(pred.max(), ref.max()))
    if pred.min() < 0 or ref.min() < 0 or top >= k:
        bad = top if top >= k else int(min(pred.min(), ref.min()))
        raise ValueError(f"case {case!r}: label {bad} is not in the label table "
                         f"{dict(plan.labels)} (pass labels=, --labels 1:name,2:name)")
    cm = _metrics.confusion_matrix(pred, ref, num_classes=k)
    stray = [v for v in range(1, k) if v not in values and (cm[v].any() or cm[:, v].any())]
    if stray:
        raise ValueError(f"case {case!r}: label {stray[0]} is not in the label table "
                         f"{dict(plan.labels)}")
    counts = _binary_counts(cm, values)
    scores = _overlap_values(counts, plan.overlap, plan.conventions)
    scores.update(_surface_values(pred, ref, values, plan.surface, spacing, plan.conventions,
                                  f"case {case!r}"))
    out = {"case": case, "counts": counts, "values": scores, "spacing": spacing,
           "spacing_source": source, "shape": pred.shape}
    if plan.lesions:
        out["lesion_counts"], out["lesion_rows"] = _lesions(case, pred, ref, plan, spacing)
        scores.update(_lesion_values(out["lesion_counts"], _states(counts), plan.conventions))
    return out


def _lesions(case, pred, ref, plan, spacing):
    """Per class: the additive LesionCounts, and the per-lesion rows with case and class."""
    from . import lesions

    counts, rows = [], []
    for k, name in plan.labels:
        result = lesions.lesion_counts(pred == k, ref == k, spacing=spacing)
        counts.append(result.counts)
        rows += [{"case": case, "class": name, **row} for row in result.rows]
    return counts, rows


def _lesion_values(lesion_counts, states, conventions):
    """{metric: (n_classes,)} lesion-wise scores of ``seglab.lesions.detection_scores``.

    The empty-case policy is that of every metric: a class with no lesion in either mask
    gets ``both_empty`` (NaN or 1), a 0/0 where one mask is empty gets 0 (``'worst'``),
    and a cell the policy leaves out is NaN for every score.
    """
    from . import lesions

    out = {name: np.empty(len(states)) for name in LESION_METRICS}
    for j, (counts, state) in enumerate(zip(lesion_counts, states, strict=True)):
        zd = _zero_division(state, conventions)
        scores = lesions.detection_scores(
            counts, zero_division=0.0 if zd == 0.0 else np.nan,
            both_empty=1.0 if conventions.both_empty == "best" else np.nan)
        for name, key in LESION_METRICS.items():
            out[name][j] = np.nan if _excluded(state, conventions) else scores[key]
    return out


# --------------------------------------------------------------------------
# Running the tasks

_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # mallopt parameters of glibc's malloc.h
_TASK_HEAP = 1 << 27  # bytes a task keeps in its heap instead of mapping each array anew
_HEAP_RELEASE = 1.0  # seconds after the last task before the heap is given back
_BATCHES_PER_WORKER = 2  # a round of Dask tasks takes 1/2 of the cases left (_schedule)
_heap_lock = threading.Lock()
_heap_users = 0
_heap_timer = None  # the pending release of the heap, a threading.Timer


@functools.lru_cache(maxsize=1)
def _mallopt():
    """The C library if it has glibc's ``mallopt`` and ``malloc_trim``, else None."""
    try:
        libc = ctypes.CDLL(None)
        libc.mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
        libc.malloc_trim.argtypes = (ctypes.c_size_t,)
        return libc
    except (OSError, AttributeError, TypeError):  # not glibc; Windows has no CDLL(None)
        return None


@functools.lru_cache(maxsize=1)
def _start_environ():
    """The ``MALLOC_*`` variables of the environment this process started with.

    glibc reads them when the process starts, so they, not ``os.environ``, say how its
    heap behaves: starting a ``LocalCluster`` puts ``MALLOC_TRIM_THRESHOLD_`` into the
    driver's ``os.environ`` for the workers it spawns, yet the driver's heap is as it
    was. Read from ``/proc/self/environ`` where there is one, else from ``os.environ``.
    """
    try:
        with open("/proc/self/environ", "rb") as f:
            items = f.read().split(b"\0")
    except OSError:
        return {k: v for k, v in os.environ.items() if k.startswith("MALLOC_")}
    pairs = (item.decode("utf-8", "replace").partition("=") for item in items)
    return {k: v for k, _, v in pairs if k.startswith("MALLOC_")}


def _release_heap(libc, trim):
    """Set the thresholds of the environment back and trim the heap (the pending timer's
    work), unless a task started since the timer did."""
    global _heap_timer
    with _heap_lock:
        if _heap_users or _heap_timer is not threading.current_thread():
            return
        _heap_timer = None
        mmap = _start_environ().get("MALLOC_MMAP_THRESHOLD_", str(128 * 1024))
        for option, value in ((_M_TRIM_THRESHOLD, trim), (_M_MMAP_THRESHOLD, mmap)):
            with contextlib.suppress(ValueError):
                libc.mallopt(option, int(value))
        libc.malloc_trim(0)


@contextlib.contextmanager
def _task_heap():
    """Let the arrays of a task reuse the heap when the process trims it eagerly.

    A ``distributed`` nanny starts its workers with ``MALLOC_TRIM_THRESHOLD_=65536``
    (``distributed.nanny.pre-spawn-environ``), which also switches off glibc's adaptive
    mmap threshold: every array above 128 KiB is then mapped anew and zeroed page by
    page, which made a case cost about 1.6 times its CPU time in a serial run. Within
    the block both thresholds are raised to ``_TASK_HEAP``. ``_HEAP_RELEASE`` seconds
    after the last block of a run of tasks ends they are set back to the values of the
    environment and the heap is trimmed, so the worker keeps the memory it held before;
    the next task of the same computation finds the heap in place (giving it back after
    every task cost about 1,100 page faults, some 6 ms, per task). Nothing changes in a
    process without that variable.
    """
    global _heap_users, _heap_timer
    trim = _start_environ().get("MALLOC_TRIM_THRESHOLD_")
    libc = _mallopt() if trim is not None else None
    if libc is None:
        yield
        return
    with _heap_lock:
        _heap_users += 1
        if _heap_timer is not None:
            _heap_timer.cancel()
            _heap_timer = None
        elif _heap_users == 1:
            libc.mallopt(_M_MMAP_THRESHOLD, _TASK_HEAP)
            libc.mallopt(_M_TRIM_THRESHOLD, _TASK_HEAP)
    try:
        yield
    finally:
        with _heap_lock:
            _heap_users -= 1
            if _heap_users == 0:
                _heap_timer = threading.Timer(_HEAP_RELEASE, _release_heap, (libc, trim))
                _heap_timer.daemon = True
                _heap_timer.start()


def _evaluate_cases(tasks):
    """Results of ``_evaluate_case`` for a batch of tasks, in order (one Dask task).

    The k-d tree queries of :mod:`seglab.surface` run on one thread here: the other
    cores are busy with the other tasks.
    """
    token = _surface._KDTREE_WORKERS.set(1)
    try:
        with _task_heap():
            return [_evaluate_case(*task) for task in tasks]
    finally:
        _surface._KDTREE_WORKERS.reset(token)


class _Batch:
    """The cases that one Dask task scores, opaque to Dask.

    Dask walks the lists, tuples and dataclasses among the arguments of a task to find
    other tasks in them, and hashes them for the key of a pure task; an object of a plain
    class is passed as it is. For 20 cases that walk cost the driver's main thread about
    6 ms before the first task could start, on the two cores the workers need.
    """

    __slots__ = ("tasks",)

    def __init__(self, tasks):
        self.tasks = tasks

    def __iter__(self):
        return iter(self.tasks)

    def __len__(self):
        return len(self.tasks)


def _batches(tasks, count):
    """``tasks`` cut into ``min(count, len(tasks))`` runs of consecutive tasks whose
    lengths differ by at most one (the longer first)."""
    count = max(1, min(count, len(tasks)))
    size, extra = divmod(len(tasks), count)
    bounds = np.cumsum([0] + [size + (i < extra) for i in range(count)])
    return [tasks[a:b] for a, b in zip(bounds[:-1], bounds[1:], strict=True)]


def _schedule(tasks, workers):
    """The batches of the Dask tasks, each an opaque :class:`_Batch`, in the order to run.

    The pairs with the most bytes on disk come first (the larger images, a guess at the
    longer cases). Each round cuts ``1 / _BATCHES_PER_WORKER`` of the cases left, and
    at least one per worker thread, into one batch per thread, so the batches shrink to
    single cases at the end, where a worker that finishes early would otherwise wait
    for a long batch; ``workers`` 0 (no worker yet) gives one case per batch. Returns
    the batches and the positions in ``tasks`` of their cases, in the same order.
    """
    order = sorted(range(len(tasks)), key=lambda i: -sum(map(_file_size, tasks[i][1:3])))
    left, batches = [tasks[i] for i in order], []
    while left:
        take = len(left) if workers <= 0 else max(
            workers, -(-len(left) // _BATCHES_PER_WORKER))
        batches += _batches(left[:take], take if workers <= 0 else workers)
        left = left[take:]
    return [_Batch(batch) for batch in batches], order


def _file_size(path):
    try:
        return os.path.getsize(path)
    except OSError:  # reading it reports the error
        return 0


def _in_case_order(batches, order):
    """The results of the batches, put back in the order of the cases."""
    out = [None] * len(order)
    for i, result in zip(order, (r for batch in batches for r in batch), strict=True):
        out[i] = result
    return out


def _on_client(client, tasks, progress):
    """Results of ``_evaluate_case`` for each task, in order, on a ``distributed`` client.

    One ``client.map`` call submits every batch (one message to the scheduler), with
    priorities in case order, the order in which the scheduler hands the batches out.
    """
    batches, order = _schedule(tasks, sum(client.nthreads().values()))
    futures = client.map(_evaluate_cases, batches, pure=False)
    if progress:
        from distributed import progress as show

        show(futures)
    return _in_case_order(client.gather(futures), order)


def _run(tasks, scheduler, progress):
    """Results of ``_evaluate_case`` for each task, in order: serial or on Dask."""
    if scheduler is None:
        return [_evaluate_case(*task) for task in tasks]
    try:
        import dask
    except ModuleNotFoundError:
        raise ModuleNotFoundError(
            "scheduler= needs dask: pip install 'seglab[evaluate]'", name="dask") from None
    client, own = None, False
    if isinstance(scheduler, str) and scheduler not in ("threads", "processes", "synchronous"):
        if "://" not in scheduler and ":" not in scheduler:
            raise ValueError(f"scheduler must be None, 'threads', 'processes', 'synchronous', a "
                             f"dask.distributed address ('tcp://host:8786') or a Client; got "
                             f"{scheduler!r}")
        from distributed import Client

        client, own = Client(scheduler), True
    elif not isinstance(scheduler, str):
        if type(scheduler).__name__ != "Client" or not hasattr(scheduler, "compute"):
            raise TypeError(f"scheduler must be None, a str or a distributed.Client, got "
                            f"{scheduler!r}")
        client = scheduler
    if client is not None:
        try:
            return _on_client(client, tasks, progress)
        finally:
            if own:
                client.close()
    workers = 1 if scheduler == "synchronous" else os.cpu_count() or 1
    batches, order = _schedule(tasks, workers)
    delayed = [dask.delayed(_evaluate_cases, pure=False)(batch) for batch in batches]
    with contextlib.ExitStack() as stack:
        if progress:
            from dask.diagnostics import ProgressBar

            stack.enter_context(ProgressBar())
        return _in_case_order(dask.compute(*delayed, scheduler=scheduler), order)


# --------------------------------------------------------------------------
# Reduction and outputs


def _finite(x):
    x = float(x)
    return None if math.isnan(x) or math.isinf(x) else x


def _convention_text(name, conventions, source):
    c = conventions
    parts = [f"both_empty={c.both_empty}", f"one_empty={c.one_empty}"]
    if name in OVERLAP_METRICS:
        parts.append("one-vs-rest")
    elif name in LESION_METRICS:
        parts += ["match=iou", "min_iou=0.5", "connectivity=full",
                  "size_bins=10,100,1000", f"spacing={source}"]
    else:
        parts += [f"boundary={c.boundary}", f"spacing={source}"]
        if name.startswith("hausdorff") and name != "hausdorff":
            parts += [f"percentile={c.percentile:g}", f"method={c.method}",
                      f"combine={c.combine}"]
        if name in _SCORES:
            parts.append(f"tolerance={c.tolerance:g}")
    return ";".join(parts)


@dataclass
class EvaluationResult:
    r"""Per-case rows and summary of :func:`evaluate_dataset`, with their conventions.

    Parameters
    ----------
    rows : list of dict
        One row per (case, class, metric): ``{'case', 'class', 'metric', 'value',
        'convention'}`` with ``value`` a float (NaN when the declared policy leaves the
        cell out) and ``convention`` the conventions of that metric as
        ``key=value;...`` text. Case order, then class order, then metric order.
    summary : dict
        The summary, the content of :meth:`to_json` (schema below).
    conventions : dict
        The conventions (``Conventions.to_dict()`` plus ``'spacing_source'``), also in
        ``summary['conventions']``.
    counts : ndarray of int64, shape (n_cases, n_classes, 2, 2)
        The one-vs-rest confusion matrix ``[[TN, FP], [FN, TP]]`` of every case and
        class, the additive part of the evaluation.
    lesion_rows : list of dict
        With ``lesions=True``: one row per lesion (the rows of
        :func:`seglab.lesions.lesion_counts`: ids, sizes, volumes, size bin, IoU, Dice,
        HD95, ASSD) with its ``case`` and ``class``; empty otherwise.

    Notes
    -----
    The summary JSON (``summary['schema'] == 'seglab.evaluation/1'``)::

        {
          "schema": "seglab.evaluation/1",
          "provenance": {"seglab_version": str, "date": str (ISO 8601, UTC),
                         "num_cases": int, "prediction": str, "reference": str},
          "conventions": {"both_empty": "nan"|"best", "one_empty": "worst"|"nan",
                          "percentile": float, "method": str, "combine": str,
                          "tolerance": float, "boundary": str,
                          "spacing_source": "header"|"option"|"unit",
                          "classes": str, "mean": str, "std": str, "pooled": str},
          "labels": {"<value>": "<class name>", ...},
          "cases": ["<case>", ...],
          "metrics": {
            "<metric>": {
              "kind": "overlap"|"surface",
              "better": "higher"|"lower",
              "convention": str (as the CSV column),
              "classes": {
                "<class name>": {"mean": float|null, "std": float|null, "n": int,
                                 "excluded": int, "pooled": float|null}}}},
          "counts": {"<class name>": {"tp": int, "fp": int, "fn": int, "tn": int}},
          "lesions": {                                  (only with lesions=True)
            "<class name>": {"size_bins": [float], "bin_labels": [str],
                             "tp": [int], "fp": [int], "fn": [int] (per size bin),
                             "iou_sum": float, "iou_sum_exact": "num/den",
                             "recall_by_size": {"<bin label>": float|null}}}
        }

    ``kind`` is ``'lesion'`` for the lesion-wise scores of ``lesions=True``
    (``lesion_precision``, ``lesion_recall``, ``lesion_f1``, ``lesion_sq``,
    ``lesion_rq``, ``panoptic_quality``), whose ``pooled`` value is the score of the
    lesion counts summed over cases.

    ``n + excluded`` is the number of cases; ``null`` stands for an undefined value
    (no defined case, fewer than two for ``std``, no pooled form for a surface metric).
    ``counts`` are the confusion counts summed over cases: adding the ``counts`` of two
    summaries of disjoint shards and scoring them with
    :func:`seglab.metrics.from_confusion` gives the pooled value of the union exactly.

    Examples
    --------
    >>> import numpy as np
    >>> r = EvaluationResult(rows=[], summary={"schema": SCHEMA}, conventions={},
    ...                      counts=np.zeros((0, 1, 2, 2), dtype=np.int64))
    >>> r.summary["schema"]
    'seglab.evaluation/1'
    """

    rows: list
    summary: dict
    conventions: dict
    counts: np.ndarray = field(repr=False, default=None)
    lesion_rows: list = field(repr=False, default_factory=list)

    def to_csv(self, path):
        """Write the per-case rows as CSV (columns case, class, metric, value, convention).

        Parameters
        ----------
        path : str or os.PathLike
            A file name ending in ``.csv`` in an existing folder. Values are written
            with ``repr`` (they read back exactly); NaN as ``nan``.

        Returns
        -------
        str
            The path written.
        """
        path = _check_output(path, ".csv")
        with open(path, "w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f, lineterminator="\n")
            writer.writerow(("case", "class", "metric", "value", "convention"))
            for row in self.rows:
                writer.writerow((row["case"], row["class"], row["metric"],
                                 repr(float(row["value"])), row["convention"]))
        return path

    def to_json(self, path):
        """Write the summary as JSON (schema in the class docstring).

        Parameters
        ----------
        path : str or os.PathLike
            A file name ending in ``.json`` in an existing folder.

        Returns
        -------
        str
            The path written.
        """
        path = _check_output(path, ".json")
        with open(path, "w", encoding="utf-8") as f:
            json.dump(self.summary, f, indent=2, allow_nan=False)
            f.write("\n")
        return path


def _check_output(path, suffix):
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a file name (str or os.PathLike), got {path!r}")
    path = os.fspath(path)
    if not path.endswith(suffix):
        raise ValueError(f"path must end in {suffix!r}, got {path!r}")
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise ValueError(f"path must be in an existing folder, got {path!r}")
    return path


def _statistics(values):
    """Mean, sample std, n and excluded of one column (NaN left out).

    The defined values are scaled by a power of two (exactly) to largest magnitude in
    [1/2, 1) first, so that distances near 1e300 (a huge spacing) neither overflow in the
    sum nor in the squares.
    """
    defined = values[~np.isnan(values)]
    n = int(defined.size)
    out = {"mean": None, "std": None, "n": n, "excluded": int(values.size - n)}
    if n:
        top = np.abs(defined).max()
        exponent = int(np.frexp(top)[1]) if np.isfinite(top) and top > 0 else 0
        scaled = np.ldexp(defined, -exponent)
        out["mean"] = _finite(np.ldexp(nanmean(scaled, axis=0), exponent))
        if n > 1:
            out["std"] = _finite(np.ldexp(np.std(scaled, ddof=1), exponent))
    return out


def _reduce(results, plan, sources, prediction, reference):
    from . import __version__

    conventions = plan.conventions
    source = sources.pop() if len(sources) == 1 else "mixed"
    conv = dict(conventions.to_dict(), spacing_source=source)
    classes = [name for _, name in plan.labels]
    names = plan.overlap + plan.surface + (tuple(LESION_METRICS) if plan.lesions else ())
    counts = np.stack([r["counts"] for r in results]) if results else np.zeros(
        (0, len(classes), 2, 2), dtype=np.int64)
    texts = {m: _convention_text(m, conventions, source) for m in names}
    rows = [{"case": r["case"], "class": cls, "metric": m, "value": float(r["values"][m][j]),
             "convention": texts[m]}
            for r in results for j, cls in enumerate(classes) for m in names]
    total = counts.sum(axis=0)
    pooled = _overlap_values(total, plan.overlap, conventions)  # the summed counts' metrics
    if plan.lesions:
        lesion_totals = [sum(r["lesion_counts"][j] for r in results)
                         for j in range(len(classes))]
        pooled.update(_lesion_values(lesion_totals, _states(total), conventions))
    metrics_out = {}
    for m in names:
        table = np.array([r["values"][m] for r in results]).reshape(len(results), len(classes))
        per_class = {}
        for j, cls in enumerate(classes):
            entry = _statistics(table[:, j])
            entry["pooled"] = _finite(pooled[m][j]) if m in pooled else None
            per_class[cls] = entry
        kind = ("overlap" if m in OVERLAP_METRICS else
                "lesion" if m in LESION_METRICS else "surface")
        better = "higher" if kind != "surface" or m in _SCORES else "lower"
        metrics_out[m] = {"kind": kind, "better": better, "convention": texts[m],
                          "classes": per_class}
    summary = {
        "schema": SCHEMA,
        "provenance": {
            "seglab_version": __version__,
            "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
            "num_cases": len(results), "prediction": prediction, "reference": reference},
        "conventions": conv,
        "labels": {str(v): name for v, name in plan.labels},
        "cases": [r["case"] for r in results],
        "metrics": metrics_out,
        "counts": {cls: {"tp": int(total[j, 1, 1]), "fp": int(total[j, 0, 1]),
                         "fn": int(total[j, 1, 0]), "tn": int(total[j, 0, 0])}
                   for j, cls in enumerate(classes)},
    }
    lesion_rows = []
    if plan.lesions:
        from .lesions import detection_scores

        summary["lesions"] = {
            cls: {**lesion_totals[j].to_dict(),
                  "recall_by_size": {key: _finite(v) for key, v in detection_scores(
                      lesion_totals[j])["recall_by_size"].items()}}
            for j, cls in enumerate(classes)}
        lesion_rows = [row for r in results for row in r["lesion_rows"]]
    return EvaluationResult(rows=rows, summary=summary, conventions=conv, counts=counts,
                            lesion_rows=lesion_rows)


def evaluate_dataset(prediction, reference, *, labels=None, metrics=None, spacing=None,
                     conventions=None, scheduler=None, progress=False, lesions=False):
    r"""Score every case of a data set: overlap and boundary metrics, per case and pooled.

    Parameters
    ----------
    prediction, reference : str or os.PathLike
        Folders of predicted and reference label maps, paired by file name (both must
        hold the same names). Files: NIfTI (``.nii``, ``.nii.gz``; spacing from the
        header zooms, and the affine and shape of a pair must agree), PNG or TIFF
        (single channel), NPY or NPZ (one array). Any number of dimensions for the
        overlap metrics; 2-D or 3-D for the boundary metrics. A float NIfTI holding
        whole numbers is read as labels.
    labels : dict, str or None, optional
        The label table ``{value: name}`` of the classes to score (0 is the
        background), a str ``'1:liver,2:tumour'``, or the path of a JSON file holding
        ``{"1": "liver", "2": "tumour"}``. Default ``{1: 'foreground'}`` (binary
        masks). A label value in an image that the table does not name is an error.
    metrics : sequence of str or None, optional
        Metric names (default every one): the overlap metrics of
        ``seglab.metrics.METRICS`` and the boundary metrics
        ``'hausdorff'``, ``'hausdorff95'``, ``'directed_hausdorff'``, ``'assd'``,
        ``'average_surface_distance'``, ``'surface_dice'``, ``'boundary_f1'``.
    spacing : float or sequence of float, optional
        Pixel size along each array axis of PNG, TIFF and NPY/NPZ images (default 1);
        an error with NIfTI, whose header gives it.
    conventions : Conventions or dict, optional
        The conventions (default ``Conventions()``); a dict gives some of its fields.
    scheduler : None, {'threads', 'processes', 'synchronous'}, str or distributed.Client
        None (default) runs the cases one after the other in this process; a name runs
        them on that local Dask scheduler; a str address (``'tcp://host:8786'``) or a
        ``distributed.Client`` runs them on that cluster. The results do not depend on
        it.
    progress : bool, default False
        Show a progress bar (Dask's ``dask.diagnostics.ProgressBar``, or
        ``distributed.progress`` on a cluster); needs a Dask ``scheduler``.
    lesions : bool, default False
        Also match the lesions (connected components, full connectivity) of each class
        one to one by IoU above 1/2 with :func:`seglab.lesions.lesion_counts` (at the
        case's spacing, size bins 10, 100, 1000 in physical volume): per-case rows of
        the lesion-wise scores of :func:`seglab.lesions.detection_scores`
        (``lesion_precision``, ``lesion_recall``, ``lesion_f1``, ``lesion_sq``,
        ``lesion_rq``, ``panoptic_quality``) under the same empty-case policy, their
        pooled values from the summed counts, the summed counts in
        ``summary['lesions']`` and one row per lesion in ``lesion_rows``.

    Returns
    -------
    EvaluationResult
        ``rows`` (one per case, class and metric), ``summary`` (the JSON schema is in
        the docstring of :class:`EvaluationResult`), ``conventions``, ``counts``.

    Raises
    ------
    TypeError
        If a path is not a str or path, or an option has the wrong type.
    ValueError
        If a folder does not exist or holds no image, some files are unmatched (the
        message lists them), a pair's shapes or NIfTI headers differ (the message
        names the files), a file holds a label outside the table, non-integral values
        or several arrays (``.npz``), an option is not one of its choices, or surface
        metrics meet images that are neither 2-D nor 3-D.
    ModuleNotFoundError
        If a NIfTI file is read without nibabel, or a Dask scheduler is asked for
        without dask (``pip install 'seglab[evaluate]'``).

    Notes
    -----
    Each class :math:`k` is scored one-vs-rest on the masks ``label == k`` of each case
    :math:`i`: the overlap metrics from the case's counts :math:`(\mathrm{TP}_{ik},
    \mathrm{FP}_{ik}, \mathrm{FN}_{ik}, \mathrm{TN}_{ik})` with
    :func:`seglab.metrics.from_confusion`, the boundary metrics with
    :func:`seglab.surface.surface_metrics` on the case's spacing. The summary gives,
    per metric and class, the mean over the cases with a defined value,
    :math:`\bar s_k = \frac{1}{|D_k|}\sum_{i \in D_k} s_{ik}`, with
    :math:`n = |D_k|` and the number of cases left out; and for the overlap metrics
    the pooled value :math:`f(\sum_i \mathrm{TP}_{ik}, \sum_i \mathrm{FP}_{ik},
    \sum_i \mathrm{FN}_{ik}, \sum_i \mathrm{TN}_{ik})`, the metric of all the cases'
    voxels taken together. The sums are of integers, hence exact: the pooled value
    does not depend on how the cases are split among workers, and the per-case
    values are those of the serial run, so every scheduler gives the same result.

    The empty-case policy of :class:`Conventions` is one rule for every metric: the
    state of a cell (both masks empty, one empty, neither) fixes ``zero_division`` of
    the overlap metrics and ``both_empty``/``one_empty`` of the boundary metrics, so a
    missed structure is not silently dropped from HD95 while kept in the Dice (the
    inconsistency of libraries whose distance metrics return NaN there).

    Each case is read from disk by the task that scores it, one case after the other
    (on Dask, batches of at most ``n / (2 * threads)`` cases, the pairs with the most
    bytes first), so memory holds a few cases at a time whatever the size of the data
    set; the driver holds the per-case values only.

    References
    ----------
    .. [1] L. Maier-Hein et al., "Metrics reloaded: recommendations for image analysis
           validation", Nature Methods 21 (2024) 195--212.
    .. [2] A. Reinke et al., "Understanding metric-related pitfalls in image analysis
           validation", Nature Methods 21 (2024) 182--194.
    .. [3] M. Rocklin, "Dask: parallel computation with blocked algorithms and task
           scheduling", Proceedings of the 14th Python in Science Conference (2015).

    Examples
    --------
    >>> import tempfile
    >>> from seglab.data import write_synthetic_dataset
    >>> from seglab.evaluation import evaluate_dataset
    >>> folder = tempfile.mkdtemp()
    >>> pred, ref = write_synthetic_dataset(folder, num_cases=4, shape=(32, 32),
    ...                                     format="npy", seed=0)
    >>> result = evaluate_dataset(pred, ref, metrics=["dice", "hausdorff95"])
    >>> dice = result.summary["metrics"]["dice"]["classes"]["foreground"]
    >>> dice["n"] + dice["excluded"]
    4
    >>> sorted(result.rows[0])
    ['case', 'class', 'convention', 'metric', 'value']
    """
    plan_conventions = _check_conventions(conventions)
    table = _check_labels(labels)
    overlap, surface = _check_metric_names(metrics, plan_conventions)
    if spacing is not None:
        check_spacing(spacing, 1 if np.ndim(spacing) == 0 else len(spacing))
    progress = check_bool(progress, "progress")
    lesions = check_bool(lesions, "lesions")
    if progress and scheduler is None:
        raise ValueError("progress=True shows Dask's progress bar and needs a scheduler "
                         "(such as scheduler='threads')")
    if isinstance(scheduler, str) and not scheduler:
        raise ValueError("scheduler must not be an empty str")
    pairs = _pairs(prediction, reference)
    plan = _Plan(table, overlap, surface, plan_conventions, spacing, lesions)
    results = _run([(case, p, r, plan) for case, p, r in pairs], scheduler, progress)
    sources = {r["spacing_source"] for r in results}
    return _reduce(results, plan, sources, os.fspath(prediction), os.fspath(reference))


# --------------------------------------------------------------------------
# Fingerprint for the metric recommendation


def dataset_fingerprint(reference, *, labels=None):
    r"""The task fingerprint of a folder of references: the input of the metric recommendation.

    Parameters
    ----------
    reference : str or os.PathLike
        Folder of reference label maps (the formats of :func:`evaluate_dataset`).
    labels : dict, str or None, optional
        The label table (as :func:`evaluate_dataset`); every named class counts as
        foreground.

    Returns
    -------
    dict
        ``foreground_fraction`` (foreground voxels over all voxels of the data set),
        ``objects_per_image`` (mean number of connected components of the foreground,
        face connectivity, over the references that have foreground; 1.0 when none
        has), ``empty_share`` (the share of references without foreground),
        ``empty_images`` (whether any is empty) and ``num_cases``.

    Raises
    ------
    TypeError, ValueError
        As :func:`evaluate_dataset` for the folder and the table, and if a label
        outside the table occurs.

    Examples
    --------
    >>> import tempfile
    >>> from seglab.data import write_synthetic_dataset
    >>> _, ref = write_synthetic_dataset(tempfile.mkdtemp(), num_cases=4, shape=(32, 32),
    ...                                  format="png", seed=0)
    >>> fp = dataset_fingerprint(ref)
    >>> fp["num_cases"], fp["empty_images"]
    (4, True)
    """
    from scipy import ndimage

    table = _check_labels(labels)
    folder, files = _list_folder(reference, "reference")
    allowed = np.array([0] + [v for v, _ in table])
    foreground = total = 0
    objects, empty = [], 0
    for f in files:
        path = os.path.join(folder, f)
        ref, _ = _read(path)
        if not np.isin(ref, allowed).all():
            bad = np.setdiff1d(np.unique(ref), allowed)[0]
            raise ValueError(f"{path}: label {bad} is not in the label table {dict(table)}")
        mask = ref != 0
        count = int(np.count_nonzero(mask))
        foreground, total = foreground + count, total + mask.size
        if count:
            objects.append(ndimage.label(mask)[1])
        else:
            empty += 1
    return {"foreground_fraction": foreground / total,
            "objects_per_image": float(np.mean(objects)) if objects else 1.0,
            "empty_share": empty / len(files), "empty_images": empty > 0,
            "num_cases": len(files)}
