"""Wide content in the built book: no formula, table or output cut off at the text column's edge.

Every page of _toc.yml is opened in headless Chromium (fixtures in ``conftest.py``) from the
offline site (``make book-offline``), whose formulas MathJax rendered when the book was built
(measured once their web fonts have loaded), at the default desktop width (1280 px viewport)
and at a phone width (400 px). The main column is the page's ``<article>``.

* Display math: each typeset formula (``mjx-container[display]``, whose ``mjx-math`` child is
  the formula itself) either fits its container (the ``mjx-container``, inside the column), or
  lies in a box that scrolls horizontally (``overflow-x`` ``auto``/``scroll``, inside the column,
  whose scroll range covers the whole formula). At 1280 px a formula must fit: long formulas are
  broken over aligned lines in the sources (``\\begin{aligned}``); scrolling at that width is
  the last resort and is allowed only for the formulas counted in ``SCROLLING_AT_DESKTOP``.
  pydata-sphinx-theme makes every display formula's container a scroller, so without that
  count a formula running off the column would pass; ``book/_static/seglab.css`` makes the
  scrollbar visible on narrow screens, where scrolling is expected.
* Tables, code, images and cell outputs: nothing reaches past the column's right edge unless a
  scrolling box inside the column holds it (``.pst-scrollable-table-container``, ``pre``, cell
  outputs).
"""

import pytest
from browser_support import ROOT, skip_or_fail, wait_for_images, wait_for_math

SITE = ROOT / "_build" / "offline" / "_build" / "html"
WIDTHS = {"desktop": 1280, "narrow": 400}

#: Display formulas accepted to scroll at the desktop width, per document (none: every formula
#: of the book fits at 1280 px). Break a long formula over lines before adding to this.
SCROLLING_AT_DESKTOP = {}

# For each element: its box, its content (for display math, the typeset formula), and the
# nearest box (itself or an ancestor inside the article) that scrolls horizontally.
_LAYOUT = """(selector) => {
  const article = document.querySelector("article");
  const column = article.getBoundingClientRect();
  const overflowX = (el) => getComputedStyle(el).overflowX;
  const name = (el) => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "")
      + Array.from(el.classList).slice(0, 2).map((c) => "." + c).join("");
  const out = [];
  for (const el of article.querySelectorAll(selector)) {
    const box = el.getBoundingClientRect();
    if (box.width === 0 && box.height === 0) continue;  // hidden (e.g. a slider's other frames)
    const math = el.matches("mjx-container") ? el.querySelector(":scope > mjx-math") : null;
    const content = (math || el).getBoundingClientRect();
    let scroller = null;
    for (let a = el; a && a !== article && !scroller; a = a.parentElement) {
      if (["auto", "scroll"].includes(overflowX(a))) scroller = a;
    }
    const s = scroller && scroller.getBoundingClientRect();
    out.push({
      element: name(el),
      text: (el.textContent || el.getAttribute("src") || "").trim().slice(0, 60),
      content: [content.left, content.right], box: [box.left, box.right],
      clientWidth: math ? el.clientWidth : null,
      scroller: scroller && {
        element: name(scroller), left: s.left, right: s.right,
        scrollWidth: scroller.scrollWidth, clientWidth: scroller.clientWidth,
        // where the content starts inside the scroller's scrolled area
        start: content.left - s.left + scroller.scrollLeft,
      },
    });
  }
  return {column: [column.left, column.right], items: out};
}"""

TOLERANCE = 1.0  # px: sub-pixel rounding of the layout


_LAYOUTS = {}  # (document, width) -> (math layout, other layout): each page is opened once


def _layouts(page, serve, document, width):
    key = (document, width)
    if key not in _LAYOUTS:
        _open(page, serve, document, width)
        _LAYOUTS[key] = (page.evaluate(_LAYOUT, 'mjx-container[display="true"]'),
                         page.evaluate(_LAYOUT, "table, pre, img, .cell_output"),
                         page.evaluate("() => document.documentElement.scrollWidth"
                                       " - window.innerWidth"))
    return _LAYOUTS[key]


def _open(page, serve, document, width):
    if not (SITE / "index.html").exists():
        skip_or_fail(f"the offline site is not built ({SITE}/index.html is missing): "
                     "run `make book-offline`")
    page.set_viewport_size({"width": width, "height": 900})
    response = page.goto(serve(SITE) + f"{document}.html", wait_until="load")
    assert response is not None and response.ok, f"{document}: HTTP {response and response.status}"
    # Every section rendered: the book lets the browser skip the layout of sections far from
    # the viewport (content-visibility: auto, book/_ext/seglab_pagespeed); the layout measured
    # here is the one a reader sees when scrolled to each part.
    page.add_style_tag(content="article section { content-visibility: visible !important; }")
    if page.locator("article .math").count():
        wait_for_math(page)
    wait_for_images(page)


def _fits(item, column):
    left, right = item["content"]
    return left >= column[0] - TOLERANCE and right <= column[1] + TOLERANCE


def _scrolls(item, column):
    """The item lies in a horizontal scroller inside the column whose range covers it all."""
    box = item["scroller"]
    if box is None:
        return False
    left, right = item["content"]
    inside = box["left"] >= column[0] - TOLERANCE and box["right"] <= column[1] + TOLERANCE
    covered = box["start"] >= -TOLERANCE and (
        box["start"] + right - left <= box["scrollWidth"] + TOLERANCE)
    return inside and covered


def _where(document, item):
    left, right = item["content"]
    where = f"{document}: {item['element']} [{left:.0f}, {right:.0f}] px"
    if item["scroller"]:
        box = item["scroller"]
        where += (f", in {box['element']} [{box['left']:.0f}, {box['right']:.0f}] "
                  f"(scrollWidth {box['scrollWidth']}, clientWidth {box['clientWidth']})")
    return f"{where}: {item['text']!r}"


@pytest.mark.parametrize("width", list(WIDTHS), ids=list(WIDTHS))
def test_display_math_is_not_clipped(offline_page, serve, document, width):
    layout, _, _ = _layouts(offline_page[0], serve, document, WIDTHS[width])
    column, formulas = layout["column"], layout["items"]
    scrolling, clipped = [], []
    for item in formulas:
        # fits: the formula within its container's visible width, the container in the column
        container = {"content": [item["box"][0], item["box"][0] + item["clientWidth"]]}
        if _fits(container, column) and _fits(item, container["content"]):
            continue
        (scrolling if _scrolls(item, column) else clipped).append(_where(document, item))
    assert clipped == [], (f"{document} at {WIDTHS[width]} px: display math cut off at the "
                           f"column's edge (column [{column[0]:.0f}, {column[1]:.0f}]): {clipped}")
    if width == "desktop":
        allowed = SCROLLING_AT_DESKTOP.get(document, 0)
        assert len(scrolling) <= allowed, (
            f"{document}: {len(scrolling)} display formula(s) wider than the text column at "
            f"1280 px (break them over lines with \\begin{{aligned}}): {scrolling}")
    print(f"{document} at {WIDTHS[width]} px: {len(formulas)} display formulas, "
          f"{len(scrolling)} scroll in their box")


@pytest.mark.parametrize("width", list(WIDTHS), ids=list(WIDTHS))
def test_wide_content_stays_in_the_column(offline_page, serve, document, width):
    _, layout, overflow = _layouts(offline_page[0], serve, document, WIDTHS[width])
    column = layout["column"]
    outside = [_where(document, item) for item in layout["items"]
               if not (_fits(item, column) or _scrolls(item, column))]
    assert outside == [], (f"{document} at {WIDTHS[width]} px: content past the column "
                           f"[{column[0]:.0f}, {column[1]:.0f}] and not in a scrolling box: "
                           f"{outside}")
    assert overflow <= 0, f"{document} at {WIDTHS[width]} px: the page scrolls sideways"
