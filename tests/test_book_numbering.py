"""Results, exercises and equations carry chapter-prefixed numbers in the BUILT HTML book.

Every theorem-like block of a chapter page ("Theorem 3.2", "Exercise 1.4"), every numbered
equation ("(4.1)") and every cross-reference to a result shows the number of the chapter it
belongs to, so that a reader can find "Theorem 1.6" from chapter 4. ``make test`` builds the
book before pytest; without a build these tests are skipped (``make test`` fails them).
"""

import re
from pathlib import Path

import pytest
from browser_support import skip_or_fail, toc_documents
from bs4 import BeautifulSoup

ROOT = Path(__file__).resolve().parents[1]
HTML = ROOT / "_build" / "html"
CHAPTER = re.compile(r"^book/ch(\d+)/")
CHAPTER_PAGES = [d for d in toc_documents() if CHAPTER.match(d)]
# sphinx-proof and sphinx-exercise titles: "<Kind> <number>" in span.caption-number.
KINDS = ("Theorem", "Lemma", "Proposition", "Corollary", "Definition", "Example", "Remark",
         "Exercise", "Conjecture", "Algorithm", "Assumption", "Axiom", "Criterion", "Property",
         "Observation")
NUMBER = re.compile(rf"^({'|'.join(KINDS)}) (\d+)\.(\d+)$")


def _soup(document):
    path = HTML / f"{document}.html"
    if not path.exists():
        skip_or_fail(f"the book is not built ({path} is missing): run `make book`")
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


@pytest.mark.parametrize("page", CHAPTER_PAGES)
def test_results_are_numbered_by_chapter(page):
    chapter = CHAPTER.match(page).group(1)
    soup = _soup(page)
    titles = [s.get_text(strip=True) for s in soup.select("span.caption-number")]
    titles = [t for t in titles if t.split(" ", 1)[0] in KINDS]
    for title in titles:
        match = NUMBER.match(title)
        assert match, f"{page}: {title!r} has no chapter-prefixed number"
        assert match.group(2) == chapter, f"{page}: {title!r} is not in chapter {chapter}"
    for eqno in soup.select("span.eqno"):
        text = eqno.get_text(strip=True).rstrip("¶#").strip()  # without the permalink
        assert re.fullmatch(rf"\({chapter}\.\d+\)", text), f"{page}: equation {text!r}"


def test_cross_references_to_results_carry_the_chapter():
    seen = 0
    for document in CHAPTER_PAGES:
        for link in _soup(document).select("a.reference.internal"):
            text = link.get_text(" ", strip=True)
            head = text.split(" ", 1)[0]
            if head in KINDS and re.match(rf"^{head} \d", text):
                seen += 1
                assert NUMBER.match(text.split(" (", 1)[0]) or re.match(
                    rf"^{head} \d+\.\d+\b", text), f"{document}: reference {text!r}"
    assert seen > 50, f"only {seen} references to numbered results were found"
