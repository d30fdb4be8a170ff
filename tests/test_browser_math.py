"""The formulas of the built book in a real browser: rendered when the book was built.

``book/_ext/seglab_math`` hands every formula to MathJax (in node) while the book is built and
writes the result, CommonHTML with its MathML, into the page. Every page of _toc.yml is opened
in headless Chromium (fixtures in ``conftest.py``) from both sites, ``offline`` (``make
book-offline``) and ``published`` (``make book``), with every request to another machine
aborted, and must show:

* no MathJax in the browser: no ``window.MathJax``, no MathJax script requested or in the page;
* no raw TeX (``\\(``, ``\\[``, ``$$``) anywhere in the text of the page (navigation and "on this
  page" included; code excepted), and no TeX error (``mjx-merror``, ``data-mjx-error``, the red
  text of an undefined macro);
* every ``.math`` wrapper holding its formula; every formula with its MathML for screen readers
  (``mjx-assistive-mml > math``, the visual part ``aria-hidden``), its TeX for copying
  (``data-tex``), the colour of the text around it, and its MathJax web fonts loaded (from the
  site itself).

And, on one page each: dark mode (formulas follow the text colour); copying a selection gives
the TeX of its formulas; starting a live kernel (Thebe, simulated: its scripts come from a CDN)
loads MathJax, from the site, and typesets the TeX of live outputs with the book's macros.
"""

import re
import sys

import pytest
from browser_support import ROOT, built_site, toc_documents, wait_for_math
from bs4 import BeautifulSoup

sys.path.insert(0, str(ROOT / "book" / "_ext"))

from seglab_npm import MATHJAX  # noqa: E402

_STATE = r"""() => {
  const skip = new Set(["SCRIPT", "STYLE", "PRE", "CODE", "TEXTAREA", "NOSCRIPT", "TEMPLATE"]);
  const raw = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    let skipped = false;
    for (let el = node.parentElement; el && !skipped; el = el.parentElement) {
      skipped = skip.has(el.tagName);
    }
    if (!skipped && /\\\(|\\\[|\$\$/.test(node.data)) raw.push(node.data.trim().slice(0, 80));
  }
  const mathjaxScript = /mathjax|tex-(mml-)?(chtml|svg)/i;
  const containers = Array.from(document.querySelectorAll("mjx-container"));
  const label = (c) => (c.getAttribute("data-tex") || c.textContent).slice(0, 60);
  return {
    mathjax: typeof window.MathJax !== "undefined",
    scripts: Array.from(document.scripts).map((s) => s.src).filter((s) => mathjaxScript.test(s)),
    requested: performance.getEntriesByType("resource")
        .filter((r) => r.initiatorType === "script" && mathjaxScript.test(r.name))
        .map((r) => r.name),
    raw: raw,
    wrappers: document.querySelectorAll(".math").length,
    bare: Array.from(document.querySelectorAll(".math"))
        .filter((m) => !m.querySelector(":scope > mjx-container"))
        .map((m) => m.textContent.slice(0, 60)),
    containers: containers.length,
    noMathml: containers.filter((c) => {
      const math = c.querySelector(":scope > mjx-assistive-mml > math");
      return !math || !math.textContent.trim();
    }).map(label),
    notHidden: containers
        .filter((c) => c.querySelector(":scope > mjx-math").getAttribute("aria-hidden") !== "true")
        .map(label),
    noTex: containers.filter((c) => !c.getAttribute("data-tex")).map(label),
    errors: Array.from(document.querySelectorAll(
        "mjx-merror, [data-mjx-error], mjx-mtext[style*='color: red']"))
        .map((e) => e.getAttribute("data-mjx-error") || e.textContent.slice(0, 60)),
    colour: containers
        .filter((c) => getComputedStyle(c).color !== getComputedStyle(c.parentElement).color)
        .map(label),
    fonts: Array.from(document.fonts).filter((f) => f.family.startsWith("MJX"))
        .map((f) => [f.family, f.status]),
  };
}"""


def _open(offline_page, serve, site_name, document):
    site = built_site(site_name)
    page = offline_page[0]
    response = page.goto(serve(site) + f"{document}.html", wait_until="load")
    assert response is not None and response.ok, f"{document}: HTTP {response and response.status}"
    # Every section rendered: sections far from the viewport are skipped by the browser
    # (content-visibility: auto, book/_ext/seglab_pagespeed), and a font is fetched only when
    # a formula that uses it is rendered; a reader scrolling there gets the same fonts.
    page.add_style_tag(content="article section { content-visibility: visible !important; }")
    wait_for_math(page)
    return page


@pytest.mark.parametrize("site_name", ["offline", "published"])
def test_formulas_rendered_at_build_time(offline_page, serve, document, site_name):
    page = _open(offline_page, serve, site_name, document)
    state = page.evaluate(_STATE)
    where = f"{document} ({site_name})"
    assert not state["mathjax"], f"{where}: window.MathJax is defined"
    assert state["scripts"] == [] and state["requested"] == [], (
        f"{where}: MathJax scripts in the page {state['scripts']}, requested {state['requested']}")
    assert state["raw"] == [], f"{where}: raw TeX in the text: {state['raw'][:5]}"
    assert state["bare"] == [], f"{where}: .math without a rendered formula: {state['bare'][:5]}"
    assert state["containers"] >= state["wrappers"]
    assert state["errors"] == [], f"{where}: TeX errors: {state['errors'][:5]}"
    assert state["noMathml"] == [], f"{where}: formulas without MathML: {state['noMathml'][:5]}"
    assert state["notHidden"] == [], (
        f"{where}: formulas whose visual part a screen reader would read too: "
        f"{state['notHidden'][:5]}")
    assert state["noTex"] == [], f"{where}: formulas without their TeX: {state['noTex'][:5]}"
    assert state["colour"] == [], (
        f"{where}: formulas not in the colour of their text: {state['colour'][:5]}")
    failed = [family for family, status in state["fonts"] if status == "error"]
    assert failed == [], f"{where}: MathJax fonts that did not load: {failed}"
    if state["containers"]:
        assert any(status == "loaded" for _, status in state["fonts"]), (
            f"{where}: no MathJax font loaded: {state['fonts']}")
    if site_name == "offline":
        assert offline_page[1].blocked == [], f"{where}: fetched {offline_page[1].blocked}"
    print(f"{where}: {state['containers']} formulas, "
          f"{sum(s == 'loaded' for _, s in state['fonts'])} fonts")


def _first_page_with(selector):
    """The first page of the book (offline site) whose HTML matches a CSS selector."""
    site = built_site("offline")
    for document in toc_documents():
        soup = BeautifulSoup((site / f"{document}.html").read_text(encoding="utf-8"),
                             "html.parser")
        if soup.select_one(selector) is not None:
            return document
    pytest.fail(f"no page of the book has {selector}")


_COLOURS = """(mode) => {
  document.documentElement.dataset.theme = mode;
  const container = document.querySelector("article p mjx-container");
  return {formula: getComputedStyle(container).color,
          text: getComputedStyle(container.closest("p")).color};
}"""


def test_formulas_follow_dark_mode(offline_page, serve):
    document = _first_page_with("article p span.math")
    page = _open(offline_page, serve, "offline", document)
    light = page.evaluate(_COLOURS, "light")
    dark = page.evaluate(_COLOURS, "dark")
    assert light["formula"] == light["text"] and dark["formula"] == dark["text"], (light, dark)
    assert light["formula"] != dark["formula"], (light, dark)


_COPY = """(whole) => {
  const paragraph = Array.from(document.querySelectorAll("article p"))
      .find((p) => p.querySelector("span.math > mjx-container") && p.textContent.trim());
  const formula = paragraph.querySelector("span.math > mjx-container");
  const range = document.createRange();
  if (whole) {
    range.selectNodeContents(paragraph);
  } else {  // a part of one formula only
    range.selectNodeContents(formula.querySelector("mjx-math"));
  }
  const selection = document.getSelection();
  selection.removeAllRanges();
  selection.addRange(range);
  const data = new DataTransfer();
  const event = new ClipboardEvent("copy", {clipboardData: data, bubbles: true, cancelable: true});
  paragraph.dispatchEvent(event);
  return {
    text: data.getData("text/plain"),
    prevented: event.defaultPrevented,
    tex: Array.from(paragraph.querySelectorAll("span.math > mjx-container"))
        .map((c) => c.getAttribute("data-tex")),
  };
}"""


def test_copying_gives_the_tex_of_formulas(offline_page, serve):
    document = _first_page_with("article p span.math")
    page = _open(offline_page, serve, "offline", document)
    whole = page.evaluate(_COPY, True)
    assert whole["prevented"], "the copy handler of seglab-math.js did not run"
    for tex in whole["tex"]:
        assert f"${tex}$" in whole["text"], (tex, whole["text"])
    # the words around the formulas are copied too
    words = re.sub(r"\s+", " ", whole["text"]).strip()
    assert len(words) > sum(len(tex) + 2 for tex in whole["tex"]), whole["text"]
    part = page.evaluate(_COPY, False)
    assert part["text"] == f"${part['tex'][0]}$", part


# A stand-in for Thebe's bundle (which sphinx-thebe fetches from a CDN): once "bootstrapped"
# it shows a LaTeX output and a Markdown output, the way Thebe's output area shows them (raw
# TeX for MathJax to typeset), using the book's macros.
_FAKE_THEBE = r"""() => {
  window.thebelab = {
    on() {},
    bootstrap() {
      const host = document.querySelector("[data-output]") || document.querySelector(".cell");
      host.insertAdjacentHTML("beforeend",
        '<div class="jp-OutputArea"><div id="live-latex" class="jp-OutputArea-output"' +
        ' data-mime-type="text/latex"></div><div id="live-markdown"' +
        ' class="jp-OutputArea-output"><p></p></div></div>');
      document.getElementById("live-latex").textContent =
        "$$\\Dice(A, B) = \\frac{2\\TP}{2\\TP + \\FP + \\FN}$$";
      document.querySelector("#live-markdown p").textContent =
        "so $\\Jac \\le \\Dice$ for every pair.";
    },
  };
}"""

_LIVE = r"""() => {
  const outputs = ["live-latex", "live-markdown"].map((id) => document.getElementById(id));
  const text = (el) => {
    const copy = el.cloneNode(true);
    copy.querySelectorAll("mjx-container").forEach((c) => c.remove());
    return copy.textContent;
  };
  return {
    typeset: outputs.map((el) => el.querySelectorAll("mjx-container").length),
    raw: outputs.map(text).filter((t) => /\$|\\\(|\\\[/.test(t)),
    errors: document.querySelectorAll("mjx-merror, [data-mjx-error]").length,
    mathml: outputs.map((el) => el.querySelector("mjx-assistive-mml math").outerHTML),
    scripts: performance.getEntriesByType("resource")
        .filter((r) => r.initiatorType === "script").map((r) => r.name)
        .filter((name) => /tex-mml-chtml/.test(name)),
  };
}"""


def _start_live_code(offline_page, serve, site_name):
    """Open a page with a live-code button, stand in for Thebe and press the button."""
    document = _first_page_with(".btn-launch-thebe")
    page = _open(offline_page, serve, site_name, document)
    assert page.evaluate("() => typeof window.MathJax") == "undefined"
    page.evaluate(_FAKE_THEBE)
    page.evaluate("() => document.querySelector('.btn-launch-thebe').click()")
    return document


def test_live_outputs_are_typeset_when_thebe_starts(offline_page, serve):
    document = _start_live_code(offline_page, serve, "offline")
    page, offline, errors = offline_page
    page.wait_for_function(
        "() => window.MathJax && MathJax.startup && MathJax.startup.promise", timeout=60_000)
    page.evaluate("() => MathJax.startup.promise")
    page.wait_for_function(
        "() => ['live-latex', 'live-markdown'].every((id) =>"
        " document.querySelector('#' + id + ' mjx-container'))", timeout=60_000)
    state = page.evaluate(_LIVE)
    assert state["typeset"] == [1, 1], state  # one formula each, typeset once
    assert state["raw"] == [] and state["errors"] == 0, state
    # the book's macros: \Dice is an upright D, \Jac an upright J
    assert '<mi mathvariant="normal">D</mi>' in state["mathml"][0], state["mathml"][0]
    assert '<mi mathvariant="normal">J</mi>' in state["mathml"][1], state["mathml"][1]
    # MathJax came from the offline site itself
    assert state["scripts"] and all("/vendor/mathjax/" in s for s in state["scripts"]), state
    assert offline.blocked == [], f"{document}: fetched {offline.blocked}"
    assert errors.errors == [], errors.errors


def test_live_mathjax_is_the_pinned_version_on_the_publishedbuilt_site(offline_page, serve):
    """The published site loads it from the CDN, pinned to the version that rendered the book."""
    _start_live_code(offline_page, serve, "published")
    page, offline, _ = offline_page
    url = f"https://cdn.jsdelivr.net/npm/mathjax@{MATHJAX[1]}/es5/tex-mml-chtml.js"
    for _ in range(100):
        if url in offline.blocked:
            break
        page.wait_for_timeout(100)
    assert url in offline.blocked, offline.blocked


def test_search_finds_pages_and_shows_no_raw_tex(offline_page, serve):
    """Search still works: its index comes from the sources (TeX included), its summaries from
    the pages' text, where formulas are now rendered (their MathML text, not their TeX)."""
    site = built_site("offline")
    page, offline, errors = offline_page
    page.goto(serve(site) + "search.html?q=Dice", wait_until="load")
    page.wait_for_function(
        "() => document.querySelectorAll('#search-results li p.context').length > 0",
        timeout=30_000)
    results = page.evaluate("""() => Array.from(document.querySelectorAll('#search-results li'))
        .map((li) => li.textContent)""")
    assert len(results) >= 3, results
    raw = [r[:120] for r in results if re.search(r"\\\(|\\\[|\$\$", r)]
    assert raw == [], raw
    assert offline.blocked == [] and errors.errors == [], (offline.blocked, errors.errors)
