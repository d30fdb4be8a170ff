"""Checks on the BUILT HTML book: every slider of a chapter works without a kernel.

For every ``book/**/*.md`` page and ``notebooks/*.ipynb`` lab whose code cells call
``slider(``, the page built
under ``_build/html`` must hold one ``div.seglab-slider`` per call, each with its
range inputs, its frames (at least two, one per point of the parameter grid) and
its inline script, and nothing loaded from elsewhere. ``make test`` builds the
book before running pytest; without a build these tests are skipped.
"""

import math
import re
from pathlib import Path

import jupytext
import pytest
from browser_support import toc_documents
from bs4 import BeautifulSoup

ROOT = Path(__file__).resolve().parents[1]
BOOK = ROOT / "book"
HTML = ROOT / "_build" / "html"

# A call of the helper: `slider(`, `widgets.slider(`, `seglab.widgets.slider(`, not `my_slider(`.
SLIDER_CALL = re.compile(r"(?<![\w])slider\s*\(")


def slider_calls(path):
    """Number of slider( calls in the code cells of a MyST notebook (comments ignored)."""
    notebook = jupytext.read(path)
    count = 0
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        for line in cell.source.splitlines():
            code = line.split("#", 1)[0]
            if not code.lstrip().startswith("def "):
                count += len(SLIDER_CALL.findall(code))
    return count


SOURCES = sorted(BOOK.rglob("*.md")) + sorted((ROOT / "notebooks").glob("*.ipynb"))
# Pages of the book only: notebooks/dashboard.ipynb is the live-only Voila dashboard (`make demo`).
IN_BOOK = {ROOT / f"{d}{suffix}" for d in toc_documents() for suffix in (".md", ".ipynb")}
PAGES = [(path, calls) for path in SOURCES
         if "_build" not in path.parts and path in IN_BOOK and (calls := slider_calls(path))]


def page_of(source):
    return HTML / source.relative_to(ROOT).with_suffix(".html")


@pytest.fixture(scope="module")
def built():
    if not (HTML / "index.html").exists():
        pytest.skip(f"the book is not built ({HTML} has no index.html): run `make book`, "
                    "or `make test`, which builds it before pytest")


def test_some_chapter_has_a_slider():
    assert PAGES, "no page calls slider(; these checks would test nothing"
    assert any(p.suffix == ".ipynb" for p, _ in PAGES), "no lab notebook calls slider("


@pytest.mark.parametrize(("source", "calls"), PAGES,
                         ids=[str(p.relative_to(ROOT)) for p, _ in PAGES])
def test_every_slider_is_kernel_free_in_the_page(built, source, calls):
    page = page_of(source)
    assert page.exists(), f"{source.relative_to(ROOT)} has no page {page}: is it in _toc.yml?"
    soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
    remote = [tag["src"] for tag in soup.find_all("script", src=True)
              if re.search(r"require\.js|require\.min\.js|html-manager|embed-amd", tag["src"])]
    assert not remote, f"{page.name}: the static sliders do not need {remote}"
    divs = soup.find_all("div", class_="seglab-slider")
    assert len(divs) == calls, (
        f"{page.name}: {len(divs)} static slider(s) for {calls} slider( call(s) in the source")
    ids = [div["id"] for div in divs]
    assert len(set(ids)) == len(ids), f"{page.name}: slider ids collide"
    for div in divs:
        inputs = div.find_all("input", attrs={"type": "range"})
        frames = div.find_all("img", class_="seglab-slider-frame")
        assert inputs, f"{div['id']}: no range input"
        assert len(frames) >= 2, f"{div['id']}: {len(frames)} frame(s); a slider needs at least 2"
        assert len(frames) == math.prod(int(i["max"]) + 1 for i in inputs) == int(
            div["data-frames"])
        assert all(f["src"].startswith("data:image/png;base64,") for f in frames)
        scripts = div.find_all("script")
        assert len(scripts) == 1 and not scripts[0].get("src")
        assert f'getElementById("{div["id"]}")' in scripts[0].string
        for output in div.find_all("output"):  # a value label per input
            assert output.get_text(strip=True)
        assert len(div.find_all("output")) == len(inputs)
