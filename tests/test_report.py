"""The HTML report of an evaluation (seglab.viz.report), read as text.

Checks that it is self-contained (no script, no link, no URL; every image a decodable PNG
inlined as base64), that the tables show the numbers they were given or the means of the
rows, that the worst cases are the worst by the metric's direction, that text is escaped,
and every validation path. ``test_browser_report.py`` opens it in Chromium.
"""

import base64
import io
import re
from types import SimpleNamespace

import numpy as np
import pytest
import report_support as rs
from matplotlib.image import imread

from seglab.viz.report import html_report


@pytest.fixture(scope="module")
def rows():
    return rs.rows_of("a")


@pytest.fixture(scope="module")
def page(rows):
    return html_report(rows, summary=rs.summary_of(rows), conventions=rs.CONVENTIONS,
                       comparison=rs.comparison(), overlays=rs.overlays, worst=3,
                       model_labels=("small", "large"))


def images(page):
    return re.findall(r'<img src="data:image/png;base64,([A-Za-z0-9+/=]+)"', page)


def test_self_contained(page):
    assert page.startswith("<!DOCTYPE html>")
    for forbidden in ("<script", "<link", "://", "@import", "url("):
        assert forbidden not in page
    found = images(page)
    assert len(found) == page.count("<img") == 1 + 3  # distributions + three overlays
    for data in found:
        picture = imread(io.BytesIO(base64.b64decode(data)), format="png")
        assert picture.ndim == 3 and min(picture.shape[:2]) > 50


def test_summary_conventions_and_comparison(page, rows):
    dice = np.mean([r["value"] for r in rows if r["metric"] == "dice"])
    assert f"{dice:.4g}" in page
    for key, value in rs.CONVENTIONS.items():
        assert f"<td>{key}</td><td>{value}</td>" in page
    assert "both_empty=nan;one_empty=worst" in page
    assert "Paired comparison: small − large" in page and "p (Holm)" in page
    assert "Several comparisons" in page


def test_worst_cases_follow_the_direction(rows):
    def listed(page):
        section = page.split("<h2>Worst cases")[1].split("<h2>")[0]
        return re.findall(r"<tr><td>(case&lt;\d&gt;)</td>", section)

    by_dice = sorted((r["value"], r["case"]) for r in rows if r["metric"] == "dice")
    assert listed(html_report(rows, worst=2)) == [
        c.replace("<", "&lt;").replace(">", "&gt;") for _, c in by_dice[:2]]
    by_hd = sorted((-r["value"], r["case"]) for r in rows if r["metric"] == "hd95")
    got = listed(html_report(rows, worst=2, worst_metric="hd95"))
    assert got == [c.replace("<", "&lt;").replace(">", "&gt;") for _, c in by_hd[:2]]
    # the summary's direction wins over the name
    summary = {"metrics": {"hd95": {"better": "higher"}}}
    got = listed(html_report(rows, summary=summary, worst=1, worst_metric="hd95"))
    assert got == [min((r["value"], r["case"]) for r in rows if r["metric"] == "hd95")[1]
                   .replace("<", "&lt;").replace(">", "&gt;")]


def test_text_is_escaped(rows):
    page = html_report(rows, title="<b>x</b>")
    assert "<b>x</b>" not in page and "&lt;b&gt;x&lt;/b&gt;" in page
    assert "case<0>" not in page and "case&lt;0&gt;" in page


def test_result_object_equals_plain_structures(rows):
    summary = rs.summary_of(rows)
    result = SimpleNamespace(rows=rows, summary=summary, conventions=rs.CONVENTIONS)
    assert html_report(result, worst=0) == html_report(rows, summary=summary,
                                                       conventions=rs.CONVENTIONS, worst=0)


def test_nan_values_are_left_out_and_counted(rows):
    changed = [dict(r) for r in rows]
    changed[0]["value"] = None
    changed[2]["value"] = float("nan")
    page = html_report(changed, worst=10)
    section = page.split("<h2>Worst cases")[1].split("<h2>")[0]
    assert section.count("<tr><td>case") == 2  # four cases, two dice values undefined
    summary = page.split("<h2>Summary")[1].split("<h2>")[0]
    assert re.search(r"<td>dice</td>(<td class=\"num\">[^<]*</td>){2}"
                     r"<td class=\"num\">2</td><td class=\"num\">2</td>", summary)


@pytest.mark.parametrize(("kwargs", "error", "match"), [
    ({"rows": []}, ValueError, "empty"),
    ({"rows": "x"}, TypeError, "rows"),
    ({"rows": [1]}, TypeError, "dicts"),
    ({"rows": [{"case": "a"}]}, ValueError, "lacks"),
    ({"rows": [{"case": "a", "class": "c", "metric": "m", "value": "1"}]}, TypeError, "real"),
    ({"summary": [1]}, TypeError, "summary"),
    ({"conventions": "x"}, TypeError, "conventions"),
    ({"worst": -1}, ValueError, "worst"),
    ({"worst_metric": "iou"}, ValueError, "worst_metric"),
    ({"worst_metric": 3}, TypeError, "worst_metric"),
    ({"title": None}, TypeError, "title"),
    ({"model_labels": ("a",)}, TypeError, "model_labels"),
    ({"overlays": 3}, TypeError, "overlays"),
    ({"overlays": lambda case: np.ones((4, 4))}, TypeError, "overlays"),
    ({"overlays": lambda case: (np.ones((4, 4), bool), np.ones((4, 5), bool))},
     ValueError, "one shape"),
    ({"overlays": lambda case: (np.ones((3, 3)), np.ones((4, 4), bool),
                                np.ones((4, 4), bool))}, ValueError, "image"),
    ({"comparison": "x"}, TypeError, "comparison"),
    ({"comparison": [{"class": "c"}]}, ValueError, "comparison"),
])
def test_validation(rows, kwargs, error, match):
    kwargs = {"rows": rows, **kwargs}
    with pytest.raises(error, match=match):
        html_report(kwargs.pop("rows"), **kwargs)


def test_lesion_counts_table(rows):
    from seglab.lesions import lesion_counts

    _, pred, _, target = rs.cases()["case<0>"]
    counts = lesion_counts(pred, target, size_bins=(50,)).counts
    page = html_report(rows, summary={"lesions": {"lesion": counts.to_dict()}}, worst=0)
    section = page.split("<h2>Lesion-wise counts")[1]
    for j, label in enumerate(counts.bin_labels):
        cells = "".join(f'<td class="num">{c[j]}</td>' for c in (counts.tp, counts.fp, counts.fn))
        assert f"<td>lesion</td><td>{label}</td>{cells}" in section


def test_inputs_are_not_modified(rows):
    saved = [dict(r) for r in rows]
    html_report(rows, overlays=rs.overlays, worst=1)
    assert rows == saved
