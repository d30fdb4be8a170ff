"""The printed book of `make pdf` (tools/pdf.py): the whole book, the handouts, their solutions.

The PDFs are read back with pypdf (bookmarks, named destinations, link annotations, fonts, and
the text of selected pages: extracting all of the book's text takes half a minute) and must show:
a bookmark for every page of the table of contents but the API reference; in every chapter its
first theorem-like statement, numbered, on the page its link leads to, with its formulas set in
MathJax's fonts and no TeX left in the text; internal links (cross-references, citations,
contents), each to a destination of the document; the figures and a frame of each static
slider; per chapter, a handout with every exercise of the chapter's sources, numbered as in the
book, and not one solution, and a solutions PDF with each of them.

The PDFs are printed here once per session (``make pdf`` does the same) when they are missing
or older than the offline site.
"""

import re
import subprocess
import sys
import unicodedata

import pypdf
import pytest
from browser_support import CHROMIUM, ROOT, built_site, site_mtime, skip_or_fail, source_of
from bs4 import BeautifulSoup

sys.path.insert(0, str(ROOT / "tools"))

import book_pages  # noqa: E402
import pdf  # noqa: E402

# Printing the book drives Chromium and takes a minute or two on two cores.
pytestmark = [pytest.mark.slow, pytest.mark.browser]

CHAPTERS = dict(book_pages.chapters())
RAW_TEX = re.compile(r"\$\$|\\\(|\\\)|\\\[|\\\]|\\begin\{|\\(frac|mathrm|sum|le|ge|in)\b")
EXERCISE = re.compile(r"^\s*(`{3,}|:{3,})\{exercise\}", re.MULTILINE)
SOLUTION = re.compile(r"^\s*(`{3,}|:{3,})\{solution(-start)?\}", re.MULTILINE)


@pytest.fixture(scope="session")
def pdfs():
    """The folder of the printed PDFs (printed here from the offline site when missing/stale)."""
    site = built_site("offline")
    names = ["seglab", *(f"{c}-{k}" for c in CHAPTERS for k in ("exercises", "solutions"))]
    built = site_mtime(site)
    if not CHROMIUM.exists():
        skip_or_fail(f"{CHROMIUM} is missing: `make chromium` installs it")
    if not all((pdf.OUT / f"{n}.pdf").exists() and (pdf.OUT / f"{n}.pdf").stat().st_mtime > built
               for n in names):
        # In a process of its own: playwright's sync API refuses to run inside the asyncio
        # loop that an earlier test of the session (a kernel, a browser) may have left behind.
        subprocess.run([sys.executable, str(ROOT / "tools" / "pdf.py"), "--site", str(site),
                        "--out", str(pdf.OUT)], check=True, cwd=ROOT)
    return pdf.OUT


def _text(page):
    """A page's text on one line, ligatures (fi, fl) as letters."""
    return " ".join(unicodedata.normalize("NFKC", page.extract_text() or "").split())


def _count(pattern, documents):
    return sum(len(pattern.findall(source_of(d).read_text(encoding="utf-8"))) for d in documents)


def _outline(entries):
    for entry in entries:
        if isinstance(entry, list):
            yield from _outline(entry)
        else:
            yield entry.title


def _fonts(page):
    names = set()
    for font in (page.get("/Resources", {}).get("/Font") or {}).values():
        font = font.get_object()
        descriptor = font.get("/FontDescriptor")
        names.add(str(descriptor.get_object().get("/FontName") if descriptor
                      else font.get("/BaseFont")))
    return names


def _first_statement(site, documents):
    """``(document, id, caption)`` of the first numbered theorem-like block of a chapter."""
    for document in documents:
        page = BeautifulSoup((site / f"{document}.html").read_text(encoding="utf-8"),
                             "html.parser")
        for block in page.select("article div.proof[id]"):
            number = block.select_one(".caption-number")
            if number is not None:
                return document, block["id"], " ".join(number.get_text().split())
    raise AssertionError(f"no numbered statement in {documents}")


def test_the_book(pdfs):
    site = built_site("offline")
    reader = pypdf.PdfReader(pdfs / "seglab.pdf")
    printed = pdf._printed()
    assert all(not d.startswith(pdf.NOT_PRINTED) for d in printed)
    assert len(reader.pages) > 2 * len(printed)
    # A bookmark per printed page, chapters included (titles compared without spaces: a
    # bookmark keeps the line breaks of its heading as nothing).
    bookmarks = {re.sub(r"\s+", "", t) for t in _outline(reader.outline)}
    for document in printed:
        title = book_pages.title(site, document)
        assert re.sub(r"\s+", "", title) in bookmarks, f"{document}: no bookmark {title!r}"
    destinations = reader.named_destinations
    for document in printed:
        assert f"/{pdf.slug(document)}" in destinations, document
    # Each chapter's first statement: numbered, where its destination is, formulas typeset.
    for name, documents in CHAPTERS.items():
        document, label, caption = _first_statement(site, documents)
        number = reader.get_destination_page_number(
            destinations[f"/{pdf.slug(document)}--{label}"])
        page = reader.pages[number]
        text = _text(page) + " " + _text(reader.pages[number + 1])
        assert re.match(r"(Theorem|Proposition|Lemma|Corollary|Definition) \d+\.\d+", caption)
        assert caption in text, f"{name}: {caption} is not on page {number + 1}"
        assert any("MathJax" in font for font in _fonts(page)), (name, _fonts(page))
        raw = RAW_TEX.findall(text)
        assert raw == [], f"{name}: raw TeX on page {number + 1}: {raw[:5]}"
    # Cross-references: internal links, each to a destination of the PDF.
    internal = images = 0
    for page in reader.pages:
        for annotation in page.get("/Annots") or ():
            annotation = annotation.get_object()
            action = annotation.get("/A") or {}
            target = annotation.get("/Dest", action.get("/D") if action.get("/S") == "/GoTo"
                                    else None)
            if annotation.get("/Subtype") == "/Link" and target is not None:
                internal += 1
                if isinstance(target, str):
                    assert target in destinations, f"a link to a missing {target!r}"
        xobjects = page.get("/Resources", {}).get("/XObject") or {}
        images += sum(x.get_object().get("/Subtype") == "/Image" for x in xobjects.values())
    assert internal > 100, f"only {internal} internal links"
    # Figures and the frames of static sliders are images; a slider prints its values.
    assert images >= 10, images
    print(f"seglab.pdf: {len(reader.pages)} pages, {len(destinations)} destinations, "
          f"{internal} internal links, {images} images")


@pytest.mark.parametrize("chapter", list(CHAPTERS))
def test_handouts(pdfs, chapter):
    documents = CHAPTERS[chapter]
    handout = " ".join(_text(p) for p in pypdf.PdfReader(pdfs / f"{chapter}-exercises.pdf").pages)
    solutions = " ".join(_text(p) for p in
                         pypdf.PdfReader(pdfs / f"{chapter}-solutions.pdf").pages)
    number = list(CHAPTERS).index(chapter) + 1
    numbered = sorted(set(re.findall(rf"Exercise {number}\.\d+", handout)))
    assert len(numbered) == _count(EXERCISE, documents) > 0, numbered
    assert "Solution" not in handout
    assert solutions.count("Solution to") == _count(SOLUTION, documents) > 0
    assert sorted(set(re.findall(rf"Exercise {number}\.\d+", solutions))) == numbered
    assert RAW_TEX.findall(handout + solutions) == []
