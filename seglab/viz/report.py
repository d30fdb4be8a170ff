"""A self-contained HTML report of a data-set evaluation: one file, no network.

:func:`html_report` turns the tidy per-case rows of an evaluation (``case, class, metric,
value, convention``), its summary and its conventions into one HTML page: the summary
table, the distribution of every metric over the cases, the worst cases with their
false-positive and false-negative pixels, the conventions used and, when given, a paired
comparison of two models (:func:`seglab.compare.compare_models`). Images are PNG
inlined as base64, the style sheet is inline, and the page has no script: it opens from a
mail attachment on a machine with no internet.

Explained in the book, chapter 4 (``book/ch4/evaluate.md``).
"""

import base64
import html
import math
import numbers

import numpy as np
from matplotlib.figure import Figure

from .._validation import check_binary_mask, check_int
from .style import DPI, ERROR_CMAP, OKABE_ITO, error_handles, error_map

__all__ = ["html_report"]

# Metrics for which a lower value is better, when the summary does not say.
_LOWER_IS_BETTER = ("hausdorff", "hd95", "assd", "distance", "hd")
_KEYS = ("case", "class", "metric", "value")
_CSS = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 60em; color: #222;
       padding: 0 1em; line-height: 1.45; }
h1 { font-size: 1.6em; } h2 { font-size: 1.25em; margin-top: 2em;
     border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; margin: 0.8em 0; font-size: 0.92em; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: left; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
th { background: #f3f3f3; }
img { max-width: 100%; height: auto; }
figure { margin: 1em 0; } figcaption { font-size: 0.9em; color: #555; }
.note { background: #fff8e1; border-left: 4px solid #e69f00; padding: 0.5em 0.8em; }
.cases { display: flex; flex-wrap: wrap; gap: 1em; }
"""


def _text(value):
    return html.escape(str(value))


def _number(value):
    if value is None:
        return "—"
    if isinstance(value, numbers.Integral):
        return str(int(value))
    value = float(value)
    return "NaN" if math.isnan(value) else f"{value:.4g}"


def _png(fig):
    from ..widgets import render_png

    return base64.b64encode(render_png(fig)).decode("ascii")


def _img(fig, alt):
    return f'<img src="data:image/png;base64,{_png(fig)}" alt="{_text(alt)}">'


def _table(header, body, numeric=()):
    head = "".join(f"<th>{_text(h)}</th>" for h in header)
    lines = []
    for row in body:
        cells = "".join(
            f'<td class="num">{_number(v)}</td>' if j in numeric else f"<td>{_text(v)}</td>"
            for j, v in enumerate(row))
        lines.append(f"<tr>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(lines)}</tbody></table>"


def _check_rows(rows):
    if isinstance(rows, (str, bytes, dict)) or not hasattr(rows, "__iter__"):
        raise TypeError(f"rows must be a list of row dicts or an evaluation result, got "
                        f"{type(rows).__name__}")
    rows = list(rows)
    if not rows:
        raise ValueError("rows is empty: there is nothing to report")
    for row in rows:
        if not isinstance(row, dict):
            raise TypeError(f"rows must hold dicts, got {type(row).__name__}")
        missing = [key for key in _KEYS if key not in row]
        if missing:
            raise ValueError(f"a row lacks {missing} (keys: case, class, metric, value, "
                             f"convention)")
        value = row["value"]
        if value is not None and (isinstance(value, bool)
                                  or not isinstance(value, numbers.Real)):
            raise TypeError(f"row values must be real numbers or None, got {value!r}")
    return rows


def _check_mapping(value, name):
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise TypeError(f"{name} must be a dict, got {type(value).__name__}")
    return value


def _values(rows):
    """``{(class, metric): {case: value}}`` in order of first appearance (None -> NaN)."""
    table = {}
    for row in rows:
        value = np.nan if row["value"] is None else float(row["value"])
        table.setdefault((str(row["class"]), str(row["metric"])), {})[str(row["case"])] = value
    return table


def _lower_is_better(metric, summary):
    better = summary.get("metrics", {}).get(metric, {})
    if isinstance(better, dict) and better.get("better") in ("higher", "lower"):
        return better["better"] == "lower"
    return any(key in metric.lower() for key in _LOWER_IS_BETTER)


def _summary_entry(summary, cls, metric):
    entry = summary.get("metrics", {}).get(metric, {})
    entry = entry.get("classes", {}).get(cls) if isinstance(entry, dict) else None
    return entry if isinstance(entry, dict) else {}


def _summary_section(table, summary):
    body = []
    for (cls, metric), per_case in table.items():
        values = np.array(list(per_case.values()))
        defined = values[np.isfinite(values)]
        entry = _summary_entry(summary, cls, metric)
        mean = entry.get("mean", float(defined.mean()) if defined.size else None)
        std = entry.get("std", float(defined.std(ddof=1)) if defined.size > 1 else None)
        n = entry.get("n", int(defined.size))
        excluded = entry.get("excluded", int(values.size - defined.size))
        body.append((cls, metric, mean, std, n, excluded, entry.get("pooled")))
    return ("<h2>Summary</h2><p>Mean and standard deviation over the cases with a defined "
            "value; <em>excluded</em> counts the cases the empty-case policy leaves out of "
            "the mean; <em>pooled</em> is the metric of the confusion counts summed over "
            "all cases (overlap metrics only).</p>"
            + _table(("class", "metric", "mean", "std", "n", "excluded", "pooled"), body,
                     numeric=(2, 3, 4, 5, 6)))


def _distribution_figure(table):
    metrics = list(dict.fromkeys(metric for _, metric in table))
    classes = list(dict.fromkeys(cls for cls, _ in table))
    cols = min(3, len(metrics))
    rows = math.ceil(len(metrics) / cols)
    fig = Figure(figsize=(3.2 * cols, 2.4 * rows), dpi=DPI, layout="constrained")
    colours = list(OKABE_ITO.values())
    for k, metric in enumerate(metrics):
        ax = fig.add_subplot(rows, cols, k + 1)
        for j, cls in enumerate(classes):
            values = np.array(list(table.get((cls, metric), {}).values()))
            values = values[np.isfinite(values)]
            if values.size:
                jitter = np.linspace(-0.15, 0.15, values.size) if values.size > 1 else [0.0]
                ax.plot(j + np.asarray(jitter), values, "o", ms=3, alpha=0.7,
                        color=colours[(j + 1) % len(colours)])
                ax.hlines(values.mean(), j - 0.3, j + 0.3, color="black", lw=1.5)
        ax.set_xticks(range(len(classes)), classes, fontsize=7)
        ax.set_xlim(-0.6, len(classes) - 0.4)
        ax.set_title(metric, fontsize=9)
        ax.tick_params(labelsize=7)
    return fig


def _distribution_section(table):
    fig = _distribution_figure(table)
    return ("<h2>Distributions over the cases</h2><figure>"
            + _img(fig, "per-case values of every metric, one panel per metric")
            + "<figcaption>One point per case and class (finite values only); the bar is "
              "the mean.</figcaption></figure>")


def _middle_slice(arr):
    while arr.ndim > 2:
        arr = arr[arr.shape[0] // 2]
    return arr


def _overlay_arrays(overlays, case):
    item = overlays(case) if callable(overlays) else overlays.get(case)
    if item is None:
        return None
    if not isinstance(item, (tuple, list)) or len(item) not in (2, 3):
        raise TypeError(f"overlays for case {case!r} must be (pred, target) or "
                        f"(image, pred, target), got {type(item).__name__}")
    image = np.asarray(item[0], dtype=float) if len(item) == 3 else None
    pred = check_binary_mask(item[-2], f"overlay pred of case {case!r}")
    target = check_binary_mask(item[-1], f"overlay target of case {case!r}")
    if pred.shape != target.shape or pred.ndim < 2:
        raise ValueError(f"overlay masks of case {case!r} must be 2-D or more and of one "
                         f"shape, got {pred.shape} and {target.shape}")
    if image is not None and image.shape != pred.shape:
        raise ValueError(f"overlay image of case {case!r} has shape {image.shape}, the masks "
                         f"{pred.shape}")
    return (None if image is None else _middle_slice(image)), _middle_slice(pred), \
        _middle_slice(target)


def _overlay_figure(case, image, pred, target, label):
    fig = Figure(figsize=(2.6, 2.9), dpi=DPI, layout="constrained")
    ax = fig.add_subplot()
    if image is not None:
        ax.imshow(image, cmap="gray")
    errors = error_map(pred, target)
    shown = np.ma.masked_where(errors == 0, errors)
    ax.imshow(shown, cmap=ERROR_CMAP, vmin=0, vmax=3, alpha=0.75 if image is not None else 1,
              interpolation="nearest")
    ax.set_title(f"{case}\n{label}", fontsize=8)
    ax.set_axis_off()
    ax.legend(handles=error_handles()[1:], fontsize=6, loc="lower right", framealpha=0.8)
    return fig


def _worst_section(table, summary, metric, worst, overlays):
    keys = [key for key in table if key[1] == metric]
    lower = _lower_is_better(metric, summary)
    scored = [(cls, case, value) for cls, _ in keys for case, value in table[cls, metric].items()
              if not math.isnan(value)]
    scored.sort(key=lambda item: (-item[2] if lower else item[2], item[1], item[0]))
    chosen = scored[:worst]
    order = "highest" if lower else "lowest"
    parts = [f"<h2>Worst cases by {_text(metric)}</h2><p>The {len(chosen)} case(s) with the "
             f"{order} {_text(metric)} (NaN values left out).</p>",
             _table(("case", "class", metric), [(case, cls, v) for cls, case, v in chosen],
                    numeric=(2,))]
    if overlays is not None:
        figures = []
        for cls, case, value in chosen:
            arrays = _overlay_arrays(overlays, case)
            if arrays is None:
                continue
            fig = _overlay_figure(case, *arrays, f"{cls}: {metric} = {_number(value)}")
            figures.append(_img(fig, f"false positives and false negatives of case {case}"))
        if figures:
            parts.append('<p>False positives (prediction only) and false negatives (reference '
                         'only), middle slice along the first axis of 3-D cases.</p>'
                         f'<div class="cases">{"".join(figures)}</div>')
    return "".join(parts)


def _conventions_section(conventions, rows):
    body = [(key, value) for key, value in conventions.items()]
    per_metric = {}
    for row in rows:
        if row.get("convention"):
            per_metric.setdefault(str(row["metric"]), str(row["convention"]))
    out = "<h2>Conventions</h2>"
    if body:
        out += _table(("convention", "value"), body)
    if per_metric:
        out += "<p>Per metric (as in every row of the CSV):</p>"
        out += _table(("metric", "convention"), list(per_metric.items()))
    if not (body or per_metric):
        out += "<p>No conventions were given.</p>"
    return out


def _comparison_section(comparison, labels):
    if isinstance(comparison, (str, bytes, dict)) or not hasattr(comparison, "__iter__"):
        raise TypeError(f"comparison must be the list of compare_models, got "
                        f"{type(comparison).__name__}")
    comparison = list(comparison)
    needed = ("class", "metric", "n", "mean_a", "mean_b", "mean_difference", "ci_low",
              "ci_high", "pvalue", "pvalue_holm")
    for item in comparison:
        if not isinstance(item, dict) or any(key not in item for key in needed):
            raise ValueError(f"each comparison row must be a dict with keys {list(needed)}")
    a, b = labels
    body = [(c["class"], c["metric"], c["n"], c["mean_a"], c["mean_b"], c["mean_difference"],
             c["ci_low"], c["ci_high"], c["pvalue"], c["pvalue_holm"]) for c in comparison]
    level = comparison[0].get("confidence_level", 0.95) if comparison else 0.95
    return (f"<h2>Paired comparison: {_text(a)} − {_text(b)}</h2>"
            f"<p>Per-case differences {_text(a)} − {_text(b)} on the same cases: their mean, "
            f"a paired bootstrap {_number(100 * level)} % interval over cases, and the "
            f"Wilcoxon signed-rank p-value, raw and Holm-adjusted over the "
            f"{len(comparison)} comparison(s) of this table.</p>"
            + _table(("class", "metric", "n", f"mean {a}", f"mean {b}", "mean difference",
                      "CI low", "CI high", "p", "p (Holm)"), body,
                     numeric=tuple(range(2, 10)))
            + '<p class="note">Several comparisons: with many metrics or classes, some '
              'raw p-values fall below 0.05 by chance alone. Read the Holm-adjusted '
              'column, and report every comparison made, not only the significant '
              'ones. The interval and the test assume independent cases from the '
              'population the models will meet.</p>')


def _lesion_section(lesion_summary):
    """Summed lesion counts per class and size bin (``LesionCounts.to_dict()`` layout)."""
    body = []
    for cls, entry in lesion_summary.items():
        if not isinstance(entry, dict):
            continue
        labels = entry.get("bin_labels") or ["all sizes"]
        for j, label in enumerate(labels):
            counts = [entry.get(key, [None] * len(labels)) for key in ("tp", "fp", "fn")]
            body.append((cls, label, *(c[j] if j < len(c) else None for c in counts)))
    return ("<h2>Lesion-wise counts</h2><p>Summed over the cases: matched (TP) and missed (FN) "
            "reference lesions by the size of the reference lesion, unmatched predicted lesions "
            "(FP) by their own size.</p>"
            + _table(("class", "size bin", "TP", "FP", "FN"), body, numeric=(2, 3, 4)))


def html_report(rows, *, summary=None, conventions=None, comparison=None, overlays=None,
                worst=5, worst_metric=None, title="Segmentation evaluation",
                model_labels=("A", "B")):
    """A self-contained HTML report of an evaluation (no script, no network, images inline).

    Parameters
    ----------
    rows : list of dict, or an evaluation result
        Tidy per-case rows with keys ``case``, ``class``, ``metric``, ``value`` (a real
        number or None for undefined) and ``convention``; or an object with ``rows``,
        ``summary`` and ``conventions`` attributes (``seglab.evaluate_dataset``'s
        result), whose summary and conventions are used unless given here.
    summary : dict, optional
        The evaluation's summary. Read when present: ``provenance``, and per metric
        ``better`` and ``classes[class]`` with ``mean``, ``std``, ``n``, ``excluded``,
        ``pooled`` (otherwise the mean, std and counts come from the rows).
    conventions : dict, optional
        The conventions used (empty-case policy, percentile rule, ...), listed as given.
    comparison : list of dict, optional
        :func:`seglab.compare.compare_models`'s output, shown as a paired comparison.
    overlays : callable or dict, optional
        ``overlays(case)`` (or ``overlays[case]``) returning ``(pred, target)`` or
        ``(image, pred, target)`` arrays of a case (None to skip it); the worst cases
        are drawn with their false positives and false negatives (the middle slice
        along the first axis of a 3-D case).
    worst : int, default 5
        How many worst cases to list (0 for none).
    worst_metric : str, optional
        The metric that ranks the cases; default the first metric of the rows.
        Lower is worse unless the summary says ``better: lower`` or the name is a
        distance (``hausdorff``, ``hd95``, ``assd``, ...).
    title : str, default 'Segmentation evaluation'
    model_labels : tuple of str, default ('A', 'B')
        The names of the two models of ``comparison``.

    Returns
    -------
    str
        The HTML document (UTF-8 text; write it with ``Path(p).write_text(report,
        encoding='utf-8')``).

    Raises
    ------
    TypeError
        If ``rows`` is not a list of dicts (or a result object), a value is not a real
        number or None, or an option has the wrong type.
    ValueError
        If ``rows`` is empty, a row lacks a key, ``worst`` is negative,
        ``worst_metric`` is not a metric of the rows, or an overlay's arrays do not fit.

    Examples
    --------
    >>> rows = [{"case": c, "class": "tumour", "metric": "dice", "value": v,
    ...          "convention": "both_empty=nan"} for c, v in [("a", 0.9), ("b", 0.5)]]
    >>> page = html_report(rows, conventions={"both_empty": "nan"})
    >>> page.startswith("<!DOCTYPE html>"), "<script" in page, "://" in page
    (True, False, False)
    >>> page.count("data:image/png;base64,")
    1
    """
    if hasattr(rows, "rows"):
        summary = getattr(rows, "summary", None) if summary is None else summary
        conventions = getattr(rows, "conventions", None) if conventions is None else conventions
        rows = rows.rows
    rows = _check_rows(rows)
    summary = _check_mapping(summary, "summary")
    conventions = _check_mapping(conventions, "conventions")
    worst = check_int(worst, "worst", low=0)
    for name, value, optional in (("title", title, False), ("worst_metric", worst_metric, True)):
        if not (isinstance(value, str) or (optional and value is None)):
            raise TypeError(f"{name} must be a str, got {type(value).__name__}")
    if (not isinstance(model_labels, (tuple, list)) or len(model_labels) != 2
            or not all(isinstance(label, str) for label in model_labels)):
        raise TypeError(f"model_labels must be two strings, got {model_labels!r}")
    if overlays is not None and not (callable(overlays) or isinstance(overlays, dict)):
        raise TypeError(f"overlays must be a callable or a dict, got {type(overlays).__name__}")
    table = _values(rows)
    metrics = list(dict.fromkeys(metric for _, metric in table))
    metric = metrics[0] if worst_metric is None else worst_metric
    if metric not in metrics:
        raise ValueError(f"worst_metric {worst_metric!r} is not a metric of the rows "
                         f"({metrics})")
    provenance = summary.get("provenance", {})
    cases = list(dict.fromkeys(str(row["case"]) for row in rows))
    intro = f"<p>{len(cases)} case(s), {len(metrics)} metric(s).</p>"
    if isinstance(provenance, dict) and provenance:
        intro += _table(("provenance", "value"), list(provenance.items()))
    sections = [intro, _summary_section(table, summary), _distribution_section(table)]
    if worst:
        sections.append(_worst_section(table, summary, metric, worst, overlays))
    sections.append(_conventions_section(conventions, rows))
    if isinstance(summary.get("lesions"), dict) and summary["lesions"]:
        sections.append(_lesion_section(summary["lesions"]))
    if comparison is not None:
        sections.append(_comparison_section(comparison, model_labels))
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>{_text(title)}</title><style>{_CSS}</style></head><body>"
            f"<h1>{_text(title)}</h1>" + "".join(sections) + "</body></html>\n")
