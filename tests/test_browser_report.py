"""The evaluation's HTML report in headless Chromium, with every outside request aborted.

The page (written by :func:`seglab.viz.report.html_report` from the generated evaluation of
``report_support``) must open with no JavaScript error and no request leaving the machine,
and every image must decode. Fixtures ``offline_page`` and ``serve`` are in ``conftest.py``.
"""

import report_support as rs
from browser_support import wait_for_images

from seglab.viz.report import html_report


def test_report_opens_offline(offline_page, serve, tmp_path):
    page, offline, errors = offline_page
    rows = rs.rows_of("a")
    report = html_report(rows, summary=rs.summary_of(rows), conventions=rs.CONVENTIONS,
                         comparison=rs.comparison(), overlays=rs.overlays, worst=4)
    (tmp_path / "report.html").write_text(report, encoding="utf-8")
    page.goto(serve(tmp_path) + "report.html")
    page.wait_for_load_state("load")
    wait_for_images(page)
    state = page.evaluate("""() => ({
        images: document.images.length,
        broken: Array.from(document.images).filter((i) => !(i.complete && i.naturalWidth > 0))
            .length,
        tables: document.querySelectorAll("table").length,
        headings: Array.from(document.querySelectorAll("h2")).map((h) => h.textContent),
        scripts: document.scripts.length,
        resources: performance.getEntriesByType("resource").map((r) => r.name),
    })""")
    assert errors.errors == []
    assert offline.blocked == []
    assert state["images"] == 1 + 4 and state["broken"] == 0
    # the browser asks the server for /favicon.ico by itself; the page requests nothing
    assert state["scripts"] == 0
    assert [url for url in state["resources"] if not url.endswith("/favicon.ico")] == []
    assert state["headings"][:2] == ["Summary", "Distributions over the cases"]
    assert any(h.startswith("Paired comparison") for h in state["headings"])
    assert state["tables"] >= 5
