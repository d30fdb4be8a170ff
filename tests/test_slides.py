"""The slide decks of `make slides` (tools/slides.py) in headless Chromium, with no internet.

Every chapter's deck is opened from a local web server, every request to another machine
aborted, and must: start reveal.js with no JavaScript error and no outside request; show every
theorem-like statement of the chapter's sources on a slide of its own, without proofs and
without solutions; have its formulas typeset (no raw TeX, no TeX error) in the fonts it ships;
decode every image; and have every static slider answer the arrow keys on its own slide (the
right frame shown, the deck not moving).

The decks are built here once per session (``make slides`` does the same) when they are missing
or older than the offline site.
"""

import re
import sys

import pytest
from browser_support import ROOT, built_site, site_mtime, source_of, wait_for_images, wait_for_math

sys.path.insert(0, str(ROOT / "tools"))

import book_pages  # noqa: E402
import slides  # noqa: E402

CHAPTERS = dict(book_pages.chapters())
# Opening fence of a sphinx-proof directive other than a proof: ```{prf:theorem}, :::{prf:lemma}.
STATEMENT = re.compile(r"^\s*(`{3,}|:{3,})\{prf:(?!proof\})(\w+)\}", re.MULTILINE)
RAW_TEX = re.compile(r"\$\$|\\\(|\\\)|\\\[|\\\]|\\begin\{")

_DECK = """() => {
  const slides = Array.from(document.querySelectorAll(".reveal .slides section[data-kind]"));
  const copy = document.querySelector(".reveal .slides").cloneNode(true);
  copy.querySelectorAll("mjx-container, script, style, pre, code").forEach((n) => n.remove());
  return {
    ready: Reveal.isReady(),
    total: Reveal.getTotalSlides(),
    kinds: slides.map((s) => s.dataset.kind),
    theorems: slides.filter((s) => s.dataset.kind === "theorem").map((s) =>
        s.querySelector(".admonition-title").textContent.trim()),
    proofs: Array.from(document.querySelectorAll("div.proof")).filter((d) =>
        Array.from(d.classList).every((c) => c === "proof" || c === "admonition")).length,
    solutions: document.querySelectorAll(".solution").length,
    math: document.querySelectorAll(".math").length,
    bare: Array.from(document.querySelectorAll(".math"))
        .filter((m) => !m.querySelector("mjx-container")).length,
    errors: document.querySelectorAll("mjx-merror, [data-mjx-error]").length,
    text: copy.textContent,
    sliders: document.querySelectorAll(".reveal div.seglab-slider").length,
  };
}"""

_SLIDER = """(root) => {
  const div = document.querySelectorAll(".reveal div.seglab-slider")[root];
  const inputs = Array.from(div.querySelectorAll("input.seglab-slider-input"));
  let expected = 0;
  for (const i of inputs) { expected = expected * (Number(i.max) + 1) + Number(i.value); }
  const shown = Array.from(div.querySelectorAll("img.seglab-slider-frame"))
      .filter((img) => getComputedStyle(img).display !== "none");
  return {
    values: inputs.map((i) => Number(i.value)), maxima: inputs.map((i) => Number(i.max)),
    expected: expected, shown: shown.map((img) => Number(img.dataset.index)),
    decoded: shown.length === 1 && shown[0].naturalWidth > 0,
    visible: shown.length === 1 && shown[0].getBoundingClientRect().width > 0,
    indices: Reveal.getIndices(),
  };
}"""


@pytest.fixture(scope="session")
def decks():
    """The folder of the built decks (built here from the offline site when missing/stale)."""
    site = built_site("offline")
    index = slides.OUT / "index.html"
    if not index.exists() or index.stat().st_mtime < site_mtime(site):
        slides.build(site, slides.OUT)
    return slides.OUT


def test_index_lists_every_deck(decks):
    index = (decks / "index.html").read_text(encoding="utf-8")
    for name in CHAPTERS:
        assert f'href="{name}.html"' in index, name
        assert (decks / f"{name}.html").exists(), name


def _statements(documents):
    return sum(len(STATEMENT.findall(source_of(d).read_text(encoding="utf-8")))
               for d in documents)


@pytest.mark.parametrize("chapter", list(CHAPTERS))
def test_deck_in_browser(offline_page, serve, decks, chapter):
    page, offline, errors = offline_page
    response = page.goto(serve(decks) + f"{chapter}.html", wait_until="load")
    assert response is not None and response.ok
    page.wait_for_function("() => window.Reveal && Reveal.isReady()", timeout=20_000)
    wait_for_math(page)
    deck = page.evaluate(_DECK)
    documents = CHAPTERS[chapter]
    assert deck["total"] == len(deck["kinds"]) > len(documents)
    assert deck["kinds"].count("title") == len(documents), "one title slide per page"
    # Every statement of the chapter's sources on a slide, numbered; no proof, no solution.
    assert len(deck["theorems"]) == _statements(documents) > 0, deck["theorems"]
    assert all(re.match(r"\w+ \d+\.\d+", t) for t in deck["theorems"]), deck["theorems"]
    assert deck["proofs"] == 0 and deck["solutions"] == 0
    # Formulas: typeset when the book was built, in MathJax's fonts shipped with the deck.
    assert deck["math"] > 0 and deck["bare"] == 0 and deck["errors"] == 0
    assert RAW_TEX.findall(deck["text"]) == []
    # Its fonts are fetched when a slide with a formula is shown (reveal.js hides the others).
    page.evaluate("""() => {
      const first = document.querySelector(".reveal section[data-kind] mjx-container");
      const at = Reveal.getIndices(first.closest("section[data-kind]"));
      Reveal.slide(at.h, at.v);
    }""")
    wait_for_math(page)
    fonts = page.evaluate("""() => Array.from(document.fonts)
        .filter((f) => f.status === "loaded").map((f) => f.family)""")
    assert any(family.startswith("MJXTEX") for family in fonts), fonts
    # Every image decoded (figures copied next to the deck, slider frames inline).
    wait_for_images(page)
    assert page.evaluate("() => Array.from(document.images).every((i) => i.naturalWidth > 0)")
    moves = 0
    for root in range(deck["sliders"]):
        moves += _drive_slider(page, chapter, root)
    assert errors.errors == [], f"{chapter}: JavaScript errors: {errors.errors}"
    assert offline.blocked == [], f"{chapter}: the deck fetched {offline.blocked}"
    print(f"deck {chapter}: {deck['total']} slides, {len(deck['theorems'])} statements, "
          f"{deck['math']} formulas, {deck['sliders']} sliders ({moves} moves)")


def _drive_slider(page, chapter, root):
    """Go to the slider's slide; every input steps through its values, each step showing the
    right frame, while the deck stays on that slide."""
    page.evaluate("""(root) => {
      const div = document.querySelectorAll(".reveal div.seglab-slider")[root];
      const at = Reveal.getIndices(div.closest("section[data-kind]"));
      Reveal.slide(at.h, at.v);
    }""", root)
    inputs = page.locator(".reveal div.seglab-slider").nth(root).locator(
        "input.seglab-slider-input")
    state = page.evaluate(_SLIDER, root)
    where = f"{chapter}: slider {root}"
    assert state["shown"] == [state["expected"]] and state["visible"], (where, state)
    moves = 0
    for j in range(inputs.count()):
        inputs.nth(j).focus()
        for key in ["ArrowRight"] * state["maxima"][j] + ["Home"]:
            before = state
            inputs.nth(j).press(key)
            state = page.evaluate(_SLIDER, root)
            assert state["values"] != before["values"], f"{where}, input {j}: did not move"
            assert state["shown"] == [state["expected"]] != before["shown"], (where, j, state)
            assert state["decoded"] and state["visible"], (where, j, state)
            assert state["indices"] == before["indices"], f"{where}: the deck moved"
            moves += 1
    return moves
