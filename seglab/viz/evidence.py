r"""The study's evidence: paired differences in a forest plot, and reliability diagrams.

The figures draw from the summary that ``python -m experiments aggregate`` writes
(``experiments/results/summary.json``, read with ``json.load``): a mapping with

* ``'paired'``: rows of paired differences against the baseline loss, each with the
  run's ``task``, ``fraction``, ``model``, ``loss``, ``threshold``, ``figure`` (the
  metric), ``baseline``, and the difference's ``estimate``, ``low`` and ``high`` (the
  95 % paired bootstrap interval over test images and seeds);
* ``'reliability'``: per group (task, fraction, model, loss), the pixel ``count``, mean
  predicted probability ``confidence`` and observed foreground ``frequency`` of each
  equal-width probability bin (NaN in an empty bin);
* ``'rows'``: estimates with intervals, among them the ``'ece'`` of each group;
* ``'contrasts'``: rows of paired differences of a ``loss`` at a ``threshold`` with an
  ``other`` loss at an ``other_threshold`` (same keys as ``'paired'`` otherwise).

* :func:`forest_figure`: the difference of each loss with the baseline, one panel per
  task and foreground fraction;
* :func:`contrast_figure`: the same for the ``'contrasts'`` rows (one loss at one
  threshold against named losses at named thresholds: the loss, ``threshold``,
  ``other``, ``other_threshold``);
* :func:`reliability_figure`: observed frequency against predicted probability, one
  curve per loss, with the pixel count of each bin below.

Nothing is computed here but the layout: the numbers are the summary's.

Explained in the book, in the results of the experiments (``experiments/``) and in the
experiment of chapter 4's surrogate loss.
"""

import math
from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from .._validation import check_choice
from .style import DPI, OKABE_ITO

__all__ = ["contrast_figure", "forest_figure", "reliability_figure"]

_THRESHOLDS = ("half", "tuned")
_BETTER = ("higher", "lower")
#: Metric names (prefixes) where a lower value is better: distances and calibration error.
_LOWER_IS_BETTER = ("hd", "assd", "ece")
_SERIES = ("blue", "vermillion", "bluish green", "orange", "reddish purple", "sky blue",
           "yellow", "black")


def _rows(summary, key):
    if not isinstance(summary, Mapping):
        raise TypeError(f"summary must be a mapping (the loaded summary.json), got "
                        f"{type(summary).__name__}")
    rows = summary.get(key)
    if not isinstance(rows, list) or not all(isinstance(row, Mapping) for row in rows):
        raise ValueError(f"summary[{key!r}] must be a list of rows (dicts), got "
                         f"{type(rows).__name__}")
    return rows


def _check_str(value, name):
    if not isinstance(value, str) or not value:
        raise TypeError(f"{name} must be a non-empty str, got {value!r}")
    return value


def _panel_title(task, fraction):
    if fraction is None:
        return str(task)
    return f"{task}, {fraction:.1%}" if fraction < 0.01 else f"{task}, {fraction:.0%}"


def _panel_order(key):
    task, fraction = key
    return (str(task), -1.0 if fraction is None else float(fraction))


def forest_figure(summary, *, metric="dice_pooled", threshold="tuned", model="unet",
                  better=None):
    r"""Paired differences with the baseline loss, with their 95 % intervals (forest plot).

    Parameters
    ----------
    summary : mapping
        The study's summary (module notes); its ``'paired'`` rows are drawn.
    metric : str, default 'dice_pooled'
        The figure compared (the rows' ``figure``), e.g. ``'dice_pooled'``,
        ``'lesion_f1_pooled'``, ``'hd95_mean_nonempty'``.
    threshold : {'tuned', 'half'}, default 'tuned'
        The threshold of the predictions: tuned on the validation split, or 1/2.
    model : str, default 'unet'
        The model whose losses are compared.
    better : {'higher', 'lower'}, optional
        Which side of 0 is an improvement over the baseline. Default: ``'lower'`` for a
        metric whose name starts with ``'hd'``, ``'assd'`` or ``'ece'`` (distances and
        calibration error), ``'higher'`` otherwise.

    Returns
    -------
    matplotlib.figure.Figure
        One panel per task and foreground fraction (lesions by increasing fraction, then
        the other tasks), one line per loss in the order of the rows: the estimate
        :math:`m(\text{loss}) - m(\text{baseline})` as a dot and its interval as a
        segment, blue when the whole interval lies on the better side of 0 (see
        ``better``), vermillion when on the worse side, grey when it contains 0; a dashed
        line at 0. An undefined (NaN) difference draws nothing.

    Raises
    ------
    TypeError
        If ``summary`` is not a mapping or an option is not a string.
    ValueError
        If ``summary`` has no list of ``'paired'`` rows, ``threshold`` or ``better`` is
        not one of its choices, or no row has this metric, threshold and model.

    Examples
    --------
    >>> from seglab.viz.evidence import forest_figure
    >>> row = {"task": "lesions", "fraction": 0.02, "model": "unet", "threshold": "tuned",
    ...        "figure": "dice_pooled", "baseline": "ce_dice"}
    >>> summary = {"paired": [{**row, "loss": "ce", "estimate": -0.05, "low": -0.08,
    ...                        "high": -0.02},
    ...                       {**row, "loss": "dice", "estimate": 0.01, "low": -0.02,
    ...                        "high": 0.03}]}
    >>> fig = forest_figure(summary)
    >>> [t.get_text() for t in fig.axes[0].get_yticklabels()]
    ['ce', 'dice']
    >>> fig.axes[0].get_title()
    'lesions, 2%'
    """
    rows = _rows(summary, "paired")
    _check_str(metric, "metric")
    check_choice(threshold, "threshold", _THRESHOLDS)
    _check_str(model, "model")
    better = _better(better, metric)
    chosen = [row for row in rows if row.get("figure") == metric
              and row.get("threshold") == threshold and row.get("model") == model]
    if not chosen:
        metrics = sorted({str(row.get("figure")) for row in rows})
        raise ValueError(f"no paired row of metric {metric!r} at threshold {threshold!r} "
                         f"for model {model!r}; the metrics are {metrics}")
    panels, losses = {}, []
    for row in chosen:
        panels.setdefault((row.get("task"), row.get("fraction")), {})[row["loss"]] = row
        if row["loss"] not in losses:
            losses.append(row["loss"])
    baseline = chosen[0].get("baseline", "baseline")
    return _forest(panels, losses, better=better, xlabel=f"{metric} − {baseline}",
                   title=f"{model}, threshold {threshold}: paired difference with {baseline} "
                         f"(95 % interval)")


def _better(better, metric):
    """``better`` checked, or inferred from the metric's name when None."""
    if better is None:
        return "lower" if metric.startswith(_LOWER_IS_BETTER) else "higher"
    return check_choice(better, "better", _BETTER)


def _forest(panels, labels, *, better, xlabel, title):
    """One panel per (task, fraction) of ``panels`` (a dict of label -> row), one line per
    label: the row's estimate as a dot, its interval as a segment coloured by its side of 0:
    blue on the ``better`` side, vermillion on the other, grey across 0."""
    sign = 1.0 if better == "higher" else -1.0
    keys = sorted(panels, key=_panel_order)
    fig = Figure(figsize=(2.6 * len(keys) + 1.2, 0.32 * len(labels) + 1.3), dpi=DPI)
    axes = fig.subplots(1, len(keys), sharey=True, squeeze=False)[0]
    positions = np.arange(len(labels))[::-1]
    for ax, key in zip(axes, keys, strict=True):
        for y, label in zip(positions, labels, strict=True):
            row = panels[key].get(label)
            if row is None:
                continue
            estimate, low, high = (float(row[k]) for k in ("estimate", "low", "high"))
            if not all(math.isfinite(v) for v in (estimate, low, high)):
                continue
            lo, hi = sorted((sign * low, sign * high))
            colour = (OKABE_ITO["blue"] if lo > 0 else OKABE_ITO["vermillion"] if hi < 0
                      else "0.45")
            ax.hlines(y, low, high, color=colour, lw=2.0)
            ax.plot([estimate], [y], "o", color=colour, ms=5)
        ax.axvline(0.0, color="0.3", lw=0.8, ls="--")
        ax.set_title(_panel_title(*key), fontsize=9)
        ax.set_xlabel(xlabel, fontsize=8)
        ax.tick_params(labelsize=8)
        ax.xaxis.set_major_locator(MaxNLocator(4))
    axes[0].set_yticks(positions, labels)
    axes[0].set_ylim(-0.7, len(labels) - 0.3)
    fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    return fig


def contrast_figure(summary, *, loss="dinkelbach", threshold="half", metric="dice_pooled",
                    model="unet", better=None):
    r"""Paired differences of one loss with the others it is contrasted with (forest plot).

    Parameters
    ----------
    summary : mapping
        The study's summary (module notes); its ``'contrasts'`` rows are drawn.
    loss : str, default 'dinkelbach'
        The first side of the contrasts (the rows' ``loss``).
    threshold : {'half', 'tuned'}, default 'half'
        The threshold of its predictions (the rows' ``threshold``).
    metric : str, default 'dice_pooled'
        The figure compared (the rows' ``figure``).
    model : str, default 'unet'
        The model of the runs.
    better : {'higher', 'lower'}, optional
        Which side of 0 is an improvement of ``loss`` over the other; default as in
        :func:`forest_figure`.

    Returns
    -------
    matplotlib.figure.Figure
        One panel per task and foreground fraction (as :func:`forest_figure`), one line
        per other side ``other (threshold)`` in the order of the rows: the estimate
        :math:`m(\text{loss}) - m(\text{other})` as a dot and its 95 % paired interval
        as a segment, blue when it lies on the better side of 0 (see ``better``: above 0
        for Dice), vermillion when on the worse side, grey when it contains 0; a dashed
        line at 0. An undefined (NaN) difference draws nothing.

    Raises
    ------
    TypeError
        If ``summary`` is not a mapping or an option is not a string.
    ValueError
        If ``summary`` has no list of ``'contrasts'`` rows, ``threshold`` or ``better``
        is not one of its choices, or no row has this loss, threshold, metric and model.

    Examples
    --------
    >>> from seglab.viz.evidence import contrast_figure
    >>> row = {"task": "vessels", "fraction": None, "model": "unet", "loss": "dinkelbach",
    ...        "threshold": "half", "figure": "dice_pooled"}
    >>> summary = {"contrasts": [{**row, "other": "ce", "other_threshold": "tuned",
    ...                           "estimate": -0.02, "low": -0.03, "high": -0.01}]}
    >>> fig = contrast_figure(summary)
    >>> [t.get_text() for t in fig.axes[0].get_yticklabels()]
    ['ce (tuned)']
    """
    rows = _rows(summary, "contrasts")
    _check_str(loss, "loss")
    check_choice(threshold, "threshold", _THRESHOLDS)
    _check_str(metric, "metric")
    _check_str(model, "model")
    better = _better(better, metric)
    chosen = [row for row in rows if row.get("loss") == loss and row.get("figure") == metric
              and row.get("threshold") == threshold and row.get("model") == model]
    if not chosen:
        raise ValueError(f"no contrast of loss {loss!r} at threshold {threshold!r}, metric "
                         f"{metric!r}, model {model!r}")
    panels, labels = {}, []
    for row in chosen:
        label = f"{row['other']} ({row['other_threshold']})"
        panels.setdefault((row.get("task"), row.get("fraction")), {})[label] = row
        if label not in labels:
            labels.append(label)
    return _forest(panels, labels, better=better, xlabel=f"{metric}: {loss} − other",
                   title=f"{model}, {loss} at threshold {threshold} minus each other loss "
                         f"(95 % paired interval)")

def reliability_figure(summary, *, task="lesions", fraction=0.02, model="unet", losses=None):
    r"""Reliability diagram: observed foreground frequency against predicted probability.

    Parameters
    ----------
    summary : mapping
        The study's summary (module notes); its ``'reliability'`` entries are drawn, and
        the ``'ece'`` rows (threshold ``'half'``) label the curves when present.
    task : str, default 'lesions'
    fraction : float or None, default 0.02
        The foreground fraction of the lesion task (None for the vessels).
    model : str, default 'unet'
    losses : sequence of str, optional
        The losses drawn, in this order (at most 8); default: every loss of the group, in
        the order of the summary.

    Returns
    -------
    matplotlib.figure.Figure
        Top: for each loss, the mean predicted probability :math:`\bar p_b` and the
        observed frequency :math:`\bar y_b` of each non-empty bin :math:`b`, joined by a
        line, with the diagonal of perfect calibration; the expected calibration error
        :math:`\sum_b n_b |\bar p_b - \bar y_b| / \sum_b n_b` in the legend when the
        summary has it. Bottom: the pixel count of each bin (log scale), at its mean
        probability.

    Raises
    ------
    TypeError
        If ``summary`` is not a mapping, or ``task``, ``model`` or an entry of
        ``losses`` is not a string.
    ValueError
        If ``summary`` has no list of ``'reliability'`` entries, no entry matches the
        task, fraction and model, a requested loss has none, or more than 8 losses are
        drawn.

    Examples
    --------
    >>> from seglab.viz.evidence import reliability_figure
    >>> entry = {"task": "lesions", "fraction": 0.02, "model": "unet", "loss": "ce",
    ...          "count": [90, 0, 10], "confidence": [0.1, float("nan"), 0.8],
    ...          "frequency": [0.05, float("nan"), 0.9]}
    >>> fig = reliability_figure({"reliability": [entry]})
    >>> fig.axes[0].lines[1].get_xydata().tolist()
    [[0.1, 0.05], [0.8, 0.9]]
    """
    entries = _rows(summary, "reliability")
    _check_str(task, "task")
    _check_str(model, "model")
    if fraction is not None and (isinstance(fraction, bool)
                                 or not isinstance(fraction, (int, float))):
        raise TypeError(f"fraction must be a float or None, got {fraction!r}")
    if losses is not None:
        if isinstance(losses, str) or not isinstance(losses, Sequence):
            raise TypeError(f"losses must be a sequence of str, got {losses!r}")
        for loss in losses:
            _check_str(loss, "losses entry")
    group = {}
    for entry in entries:
        if (entry.get("task") == task and entry.get("fraction") == fraction
                and entry.get("model") == model):
            group.setdefault(entry.get("loss"), entry)
    if not group:
        raise ValueError(f"no reliability entry for task {task!r}, fraction {fraction!r}, "
                         f"model {model!r}")
    names = list(group) if losses is None else list(losses)
    missing = [name for name in names if name not in group]
    if missing or not names:
        raise ValueError(f"losses {missing or names} have no reliability entry; the losses are "
                         f"{sorted(map(str, group))}")
    if len(names) > len(_SERIES):
        raise ValueError(f"at most {len(_SERIES)} losses, got {len(names)}")
    ece = {row.get("loss"): row.get("estimate")
           for row in (summary.get("rows") or ()) if isinstance(row, Mapping)
           and row.get("figure") == "ece" and row.get("threshold") == "half"
           and row.get("task") == task and row.get("fraction") == fraction
           and row.get("model") == model}
    fig = Figure(figsize=(4.6, 5.0), dpi=DPI)
    top, bottom = fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": (3, 1)})
    top.plot([0, 1], [0, 1], color="0.5", lw=0.8, ls="--", label="calibrated")
    for k, name in enumerate(names):
        entry = group[name]
        count = np.asarray(entry["count"], dtype=np.float64)
        conf = np.asarray(entry["confidence"], dtype=np.float64)
        freq = np.asarray(entry["frequency"], dtype=np.float64)
        if not count.shape == conf.shape == freq.shape or count.ndim != 1:
            raise ValueError(f"the reliability entry of {name!r} has count, confidence and "
                             f"frequency of shapes {count.shape}, {conf.shape}, {freq.shape}")
        keep = (count > 0) & np.isfinite(conf) & np.isfinite(freq)
        label = name
        if isinstance(ece.get(name), (int, float)) and math.isfinite(ece[name]):
            label = f"{name} (ECE {ece[name]:.3f})"
        colour = OKABE_ITO[_SERIES[k]]
        top.plot(conf[keep], freq[keep], "o-", color=colour, ms=3.5, lw=1.2, label=label)
        bottom.plot(conf[keep], count[keep], "o", color=colour, ms=3)
    top.set_xlim(0, 1)
    top.set_ylim(0, 1)
    top.set_ylabel("observed foreground frequency")
    top.legend(fontsize=7, frameon=False, loc="upper left")
    top.set_title(f"{_panel_title(task, fraction)}, {model}", fontsize=9)
    bottom.set_yscale("log")
    bottom.set_xlabel("mean predicted probability in the bin")
    bottom.set_ylabel("pixels")
    fig.tight_layout()
    return fig
