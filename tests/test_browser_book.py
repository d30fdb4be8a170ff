"""The built book in a real browser: every page of _toc.yml, as a reader with no internet sees it.

Headless Debian Chromium (fixtures in ``conftest.py``) opens each page of the table of contents
from a local web server, with every request to another machine aborted, in two builds:

* ``offline`` (``make book-offline``, ``_build/offline/_build/html``): every script a page
  loads is served from the site itself, so *everything* must work: no
  JavaScript error, no request leaves the machine, every formula rendered (no TeX error, no raw
  ``$$``/``\\(`` left in the text), every sphinx-proof theorem and proof rendered,
  every image decoded, every static slider answering each step with the right frame. A
  full-page screenshot of each page goes to ``_build/screenshots/``.
* ``published`` (``make book``, ``_build/html``, what GitHub Pages serves): the same checks (the
  first slider of each page only: the slider HTML is the same in both builds). Console errors
  caused by aborted CDN requests are expected; every other error fails, e.g. sphinx-thebe's
  ``Identifier 'THEBE_JS_URL' has already been declared`` (fixed by ``book/_ext/seglab_assets``).

In both builds MathJax rendered the formulas when the book was built (``book/_ext/seglab_math``):
they are HTML in the page, and no MathJax runs to read it (``test_browser_math.py`` checks that,
their MathML for screen readers, their fonts, copying and the live-code path).

Long pages lay out only the sections near the viewport (``book/_ext/seglab_pagespeed``): each
page is checked to have replaced pydata-sphinx-theme's whole-page pass over code blocks and
outputs by its own, and every scrollable block to be a keyboard stop, as the theme's rule asks.

``make test`` builds both sites before pytest runs; elsewhere these tests skip without a build.
"""

import re
import time

import jupytext
import pytest
from browser_support import (
    ROOT,
    SITES,
    built_site,
    required,
    slug,
    source_of,
    toc_documents,
    wait_for_images,
    wait_for_math,
)
from bs4 import BeautifulSoup

SCREENSHOTS = ROOT / "_build" / "screenshots"

# Opening fence of a sphinx-proof directive: ```{prf:theorem} or :::{prf:proof} (not the role).
PRF_DIRECTIVE = re.compile(r"^\s*(`{3,}|:{3,})\{prf:(\w+)\}", re.MULTILINE)
# TeX left as text: display/inline delimiters, environments, or $...\command...$.
RAW_TEX = re.compile(r"\$\$|\\\(|\\\)|\\\[|\\\]|\\begin\{|\$[^$\n]*\\[A-Za-z]+[^$\n]*\$")

# Text of the article with code, scripts and rendered math removed (raw TeX must not remain).
_ARTICLE_TEXT = """() => {
  const article = document.querySelector("article") || document.body;
  const copy = article.cloneNode(true);
  copy.querySelectorAll("pre, code, script, style, mjx-container, .highlight, textarea")
      .forEach((node) => node.remove());
  return copy.textContent;
}"""

_MATH_STATE = """() => {
  const math = Array.from(document.querySelectorAll("article .math"));
  return {
    math: math.length,
    untypeset: math.filter((m) => !m.querySelector("mjx-container"))
        .map((m) => m.textContent.slice(0, 80)),
    containers: document.querySelectorAll("article mjx-container").length,
    errors: Array.from(document.querySelectorAll("mjx-merror, [data-mjx-error]"))
        .map((e) => e.getAttribute("data-mjx-error") || e.textContent.slice(0, 80)),
  };
}"""

_BROKEN_IMAGES = """() => Array.from(document.images)
  .filter((img) => !(img.complete && img.naturalWidth > 0))
  .map((img) => (img.getAttribute("src") || "").slice(0, 100))"""

# The keyboard rule of pydata-sphinx-theme for code blocks and outputs, applied by
# book/_ext/seglab_pagespeed/static/seglab-pagespeed.js: a scrollable block is a keyboard stop;
# a block near the viewport that does not scroll is not. Read once the observer has reported.
_TAB_STOPS = """(where) => {
  const selector = ["pre", ".nboutput > .output_area", ".cell_output > .output",
                    ".jp-RenderedHTMLCommon", ".pst-scrollable-table-container"].join(", ");
  // Shown: not in a closed <details> (Chromium hides its content with content-visibility:
  // hidden, which still gives it a box), nor in a closed dropdown (visibility: hidden), nor
  // under display: none.
  const shown = Array.from(document.querySelectorAll(selector))
    .filter((el) => el.checkVisibility({visibilityProperty: true}));
  if (where === "end" && shown.length) shown[shown.length - 1].scrollIntoView();
  if (where === "top") window.scrollTo(0, 0);
  const scrolls = (el) => el.scrollWidth > el.clientWidth || el.scrollHeight > el.clientHeight;
  const near = (el) => {
    const box = el.getBoundingClientRect();
    return box.bottom > 0 && box.top < window.innerHeight;
  };
  const text = (el) => el.textContent.trim().slice(0, 60);
  return {
    speed: window.seglabPageSpeed || null,
    blocks: shown.length,
    unreachable: shown.filter((el) => scrolls(el) && el.tabIndex !== 0).map(text),
    extra: shown.filter((el) => near(el) && !scrolls(el) && el.tabIndex !== -1).map(text),
  };
}"""


def _tab_stops(page, where, *, timeout=5.0):
    """The keyboard-stop state once the page's observer has caught up (polled: the observer
    reports on a later frame, and sections coming into view change the page's height)."""
    deadline = time.monotonic() + timeout
    while True:
        stops = page.evaluate(_TAB_STOPS, where)
        if (not stops["unreachable"] and not stops["extra"]) or time.monotonic() > deadline:
            return stops
        page.wait_for_timeout(100)


_SLIDER_STATE = """([root, input]) => {
  const div = document.querySelectorAll("div.seglab-slider")[root];
  const inputs = Array.from(div.querySelectorAll("input.seglab-slider-input"));
  const shown = Array.from(div.querySelectorAll("img.seglab-slider-frame"))
      .filter((img) => getComputedStyle(img).display !== "none");
  let expected = 0;
  for (const i of inputs) { expected = expected * (Number(i.max) + 1) + Number(i.value); }
  const el = inputs[input];
  return {
    value: Number(el.value), max: Number(el.max), expected: expected,
    shown: shown.map((img) => Number(img.dataset.index)),
    src: shown.length ? shown[0].src.slice(-64) + shown[0].src.length : "",
    decoded: shown.length ? shown[0].naturalWidth > 0 : false,
    output: div.querySelector("output[for='" + el.id + "']").textContent,
    label: JSON.parse(el.dataset.labels)[Number(el.value)],
  };
}"""


def _expected_proofs(source):
    if source.suffix == ".ipynb":
        notebook = jupytext.read(source)
        text = "\n".join(c.source for c in notebook.cells if c.cell_type == "markdown")
    else:
        text = source.read_text(encoding="utf-8")
    return len(PRF_DIRECTIVE.findall(text))


def _move_every_slider(page, document, *, limit=None):
    """Step every range input of every static slider (of the first ``limit`` sliders, if given);
    check that each step shows exactly the right frame."""
    count = page.locator("div.seglab-slider").count()
    if limit is not None:
        count = min(count, limit)
    moves = 0
    for root in range(count):
        inputs = page.locator("div.seglab-slider").nth(root).locator("input.seglab-slider-input")
        sources = set()
        for j in range(inputs.count()):
            control = inputs.nth(j)
            control.scroll_into_view_if_needed()
            state = page.evaluate(_SLIDER_STATE, [root, j])
            assert state["shown"] == [state["expected"]], (document, root, j, state)
            sources.add(state["src"])
            # Right to the end, then Home: every step must show exactly the expected frame.
            for key in ["ArrowRight"] * state["max"] + ["Home"]:
                before = state
                control.press(key)
                state = page.evaluate(_SLIDER_STATE, [root, j])
                where = f"{document}: slider {root}, input {j}, {key} -> value {state['value']}"
                assert state["value"] != before["value"], f"{where}: the input did not move"
                assert state["shown"] == [state["expected"]], (
                    f"{where}: showing frame(s) {state['shown']}, expected {state['expected']}")
                assert state["shown"] != before["shown"], f"{where}: the frame did not change"
                assert state["decoded"], f"{where}: the frame shown is not a decoded image"
                assert state["output"] == state["label"], f"{where}: label {state['output']!r}"
                sources.add(state["src"])
                moves += 1
        assert len(sources) > 1, f"{document}: slider {root} shows the same picture everywhere"
    return count, moves


@pytest.mark.parametrize("site_name", ["offline", "published"])
def test_page_in_browser(offline_page, serve, document, site_name):
    site = built_site(site_name)
    page, offline, errors = offline_page
    html = site / f"{document}.html"
    assert html.exists(), f"{document} is in _toc.yml but {html} was not built"
    source = source_of(document)
    response = page.goto(serve(site) + f"{document}.html", wait_until="load")
    assert response is not None and response.ok, f"{document}: HTTP {response and response.status}"

    # Math: rendered by MathJax when the book was built, in both sites.
    math = page.evaluate(_MATH_STATE)
    if math["math"]:
        wait_for_math(page)
        math = page.evaluate(_MATH_STATE)
        assert math["untypeset"] == [], f"{document}: math left untypeset: {math['untypeset'][:5]}"
        assert math["containers"] >= math["math"]
        assert math["errors"] == [], f"{document}: MathJax TeX errors: {math['errors'][:5]}"
        raw = RAW_TEX.findall(page.evaluate(_ARTICLE_TEXT))
        assert raw == [], f"{document}: raw TeX in the text: {raw[:5]}"

    # Theorems and proofs: one rendered block, with its title, per sphinx-proof directive.
    expected = _expected_proofs(source)
    proofs = page.evaluate("""() => Array.from(document.querySelectorAll("article div.proof"))
        .map((d) => ({
          kind: Array.from(d.classList).filter((c) => !["proof", "admonition"].includes(c))
              .join(" ") || "proof",
          title: (d.querySelector(".admonition-title") || {textContent: ""}).textContent.trim(),
          text: d.textContent.trim().length,
        }))""")
    assert len(proofs) == expected, (
        f"{document}: {len(proofs)} sphinx-proof block(s) rendered, {expected} in the source")
    untitled = [p for p in proofs if p["kind"] != "proof" and not p["title"]]
    assert untitled == [], f"{document}: theorem-like blocks without a title: {untitled}"
    assert all(p["text"] > 0 for p in proofs), f"{document}: an empty theorem or proof block"

    # Images: every <img> decoded (slider frames included, hidden or not).
    wait_for_images(page)
    broken = page.evaluate(_BROKEN_IMAGES)
    assert broken == [], f"{document}: images that did not load: {broken[:5]}"

    # Both builds carry the same slider HTML (same executed outputs): the offline pass moves
    # every slider through every value, the published pass the first slider of each page.
    sliders, moves = _move_every_slider(page, document,
                                        limit=None if site_name == "offline" else 1)
    if site_name == "offline":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.evaluate("() => window.scrollTo(0, 0)")
        page.screenshot(path=SCREENSHOTS / f"{slug(document)}.png", full_page=True)

    # Code blocks and outputs: the theme's whole-page pass replaced (seglab_pagespeed), its rule
    # kept for every block, at the top of the page and after scrolling to the end.
    for where in ("top", "end"):
        stops = _tab_stops(page, where)
        assert stops["speed"] is not None and stops["speed"]["replaced"] == 1, (
            f"{document}: pydata-sphinx-theme's load pass was not replaced: {stops['speed']}")
        assert stops["unreachable"] == [], (
            f"{document}: scrollable blocks that are not keyboard stops: {stops['unreachable']}")
        assert stops["extra"] == [], (
            f"{document} ({where}): blocks in view that do not scroll but are keyboard stops: "
            f"{stops['extra']}")

    # The Thebe launch button ("Live Code") is wired: its configuration script ran.
    if page.locator(".btn-launch-thebe").count():
        assert page.evaluate(
            "() => typeof THEBE_JS_URL === 'string' && typeof initThebe === 'function'"), (
            f"{document}: the Thebe button is there but sphinx-thebe is not configured")

    # JavaScript errors (after the sliders moved). On the published site CDN requests are
    # aborted here; only the resulting "Failed to load resource" lines are expected.
    found = errors.errors
    if site_name == "published":
        found = [e for e in found
                 if not (e.startswith("console: Failed to load resource")
                         and any(url in e for url in offline.blocked))]
    assert found == [], f"{document} ({site_name}): JavaScript errors: {found}"
    if site_name == "offline":
        assert offline.blocked == [], f"{document}: the offline site fetched {offline.blocked}"
    print(f"{site_name} {document}: {math['math']} formulas, {len(proofs)} proof blocks, "
          f"{sliders} sliders ({moves} moves), {len(offline.blocked)} outside requests aborted")


def _config():
    import yaml

    return yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))


def _is_notebook(source):
    if source.suffix == ".ipynb":
        return True
    head = source.read_text(encoding="utf-8")[:2000]
    return head.startswith("---") and "kernelspec" in head


def test_launch_buttons_point_at_the_repository(document):
    """Binder and Thebe on every executable page, Colab on every .ipynb, all at our repository."""
    site = built_site("published")
    source = source_of(document)
    if not _is_notebook(source):
        pytest.skip(f"{document} has no code to launch")
    config = _config()
    repo = config["repository"]["url"].removeprefix("https://github.com/").strip("/")
    branch = config["repository"].get("branch", "main")
    path = source.relative_to(ROOT).as_posix()
    soup = BeautifulSoup((site / f"{document}.html").read_text(encoding="utf-8"), "html.parser")
    links = [a.get("href", "") for a in soup.find_all("a")]
    binder = [h for h in links if h.startswith(config["launch_buttons"]["binderhub_url"])]
    assert binder, f"{document}: no Binder launch button"
    for href in binder:
        assert f"/v2/gh/{repo}/{branch}" in href, href
        # A MyST chapter is opened as a notebook in Binder by jupytext (installed there).
        assert path in href.replace("%2F", "/"), f"{document}: Binder opens {href}, not {path}"
    thebe = soup.select(".btn-launch-thebe")
    assert thebe, f"{document}: no Thebe (live code) button"
    config_script = soup.find("script", type="text/x-thebe-config")
    assert config_script is not None and f'repo: "{repo}"' in config_script.string
    if source.suffix == ".ipynb":
        colab = [h for h in links if h.startswith(config["launch_buttons"]["colab_url"])]
        assert colab == [f"{config['launch_buttons']['colab_url']}/github/{repo}/blob/{branch}/"
                         f"{path}"], f"{document}: Colab buttons {colab}"


def test_every_toc_page_is_tested():
    """The parametrisation comes from _toc.yml; it must see every page that was built."""
    documents = toc_documents()
    assert documents[0] == "book/intro" and "book/ch1/overlap" in documents
    for document in documents:
        source_of(document)  # raises if a toc entry has no source
    if required():
        for site in SITES.values():
            built = {p.relative_to(site).with_suffix("").as_posix()
                     for p in site.rglob("*.html")
                     if p.parent.name not in {"_static", "_sources", "vendor"}}
            assert set(documents) <= built

