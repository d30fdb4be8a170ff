"""Accessibility of the offline book: axe-core on every page, in the light and the dark theme.

Each page of _toc.yml is opened once in headless Chromium (fixtures in ``conftest.py``, every
request off this machine aborted) from the offline build (``make book-offline``). axe-core,
pinned below and packed once from the npm registry into ``.cache/npm/`` like the offline site's
own JavaScript (``book/_ext/seglab_npm.py``), is injected from that local file and run:

* in the light theme with all its rules (WCAG 2.x A and AA, best practices): no *serious* or
  *critical* violation is allowed (moderate and minor ones, such as landmark advice, are not
  asserted);
* then in the dark theme (pydata-sphinx-theme switches on ``<html data-theme="dark">``) with
  the colour rules only: text contrast of at least 4.5:1 (3:1 for large text) in both themes.

Every ``<img>`` must also carry alternative text that describes it: not empty, and not a file
name (myst-nb's default ``alt`` for a cell's figure is the path of its PNG): figures of cells
take theirs from the cell's ``mystnb: image: alt:`` metadata, the frames of static sliders from
``seglab.widgets.Slider.alt`` (parameters, then the figure's titles and axis labels).

The theme's own faults that axe found (unnamed toggles, names that hide the visible text,
low-contrast links on tinted boxes) are fixed in ``book/_ext/seglab_a11y.py`` and
``book/_static/seglab.css``.
"""

import shutil
import sys
import tarfile

import pytest
from browser_support import ROOT, built_site, skip_or_fail, wait_for_math

sys.path.insert(0, str(ROOT / "book" / "_ext"))

from seglab_a11y import fix_page  # noqa: E402
from seglab_npm import CACHE, tarball  # noqa: E402

#: axe-core from the npm registry (exact pin), packed once into .cache/npm/.
AXE_CORE = ("axe-core", "4.14.1")
#: Impacts that fail the test.
FAILING = ("serious", "critical")
#: The rules that depend on the colours, run again in the dark theme.
COLOUR_RULES = ["color-contrast", "link-in-text-block"]

_RUN_AXE = """async ([theme, rules]) => {
  document.documentElement.dataset.theme = theme;
  document.documentElement.dataset.mode = theme;
  const options = {resultTypes: ["violations"]};
  if (rules) { options.runOnly = {type: "rule", values: rules}; }
  const results = await axe.run(document, options);
  return results.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map((n) => ({target: n.target.join(" "), html: n.html.slice(0, 160),
                                summary: n.failureSummary.slice(0, 300)})),
  }));
}"""

_BAD_ALT = r"""() => Array.from(document.images)
  .map((img) => [(img.getAttribute("src") || "").slice(0, 80), img.getAttribute("alt")])
  .filter(([src, alt]) => alt === null || !alt.trim() || /\.(png|jpe?g|gif|svg)$/i.test(alt.trim())
                          || alt.trim() === src.trim())"""


def axe_script():
    """Path of axe.min.js, unpacked from the pinned tarball into .cache/ (once)."""
    name, version = AXE_CORE
    path = CACHE / f"{name}-{version}" / "axe.min.js"
    if not path.exists():
        try:
            source = tarball(name, version)
        except (RuntimeError, OSError) as error:
            skip_or_fail(f"axe-core {version} is not cached and cannot be packed: {error}")
        path.parent.mkdir(parents=True, exist_ok=True)
        with tarfile.open(source) as tar, tar.extractfile("package/axe.min.js") as member:
            with open(path.with_suffix(".part"), "wb") as out:
                shutil.copyfileobj(member, out)
        path.with_suffix(".part").replace(path)
    return path


def _serious(violations):
    return [v for v in violations if v["impact"] in FAILING]


def _report(theme, violations):
    lines = []
    for v in violations:
        lines.append(f"[{theme}] {v['id']} ({v['impact']}, {len(v['nodes'])} nodes): {v['help']}")
        for node in v["nodes"][:3]:
            lines.append(f"    {node['target']}: {node['html']}\n      {node['summary']}")
    return "\n".join(lines)


@pytest.mark.book
@pytest.mark.slow
def test_page_is_accessible(offline_page, serve, document):
    site = built_site("offline")
    script = axe_script()
    page, offline, _ = offline_page
    response = page.goto(serve(site) + f"{document}.html", wait_until="load")
    assert response is not None and response.ok, document
    wait_for_math(page)

    bad_alt = page.evaluate(_BAD_ALT)
    assert not bad_alt, f"{document}: images without a describing alt text: {bad_alt[:5]}"

    # Sections far from the viewport are not rendered until the reader scrolls to them
    # (content-visibility: auto, book/_ext/seglab_pagespeed): render them all, so that axe
    # measures the colours of every section as a reader who scrolls there sees them.
    page.add_style_tag(content="article section { content-visibility: visible !important; }")
    page.add_script_tag(path=str(script))
    light = _serious(page.evaluate(_RUN_AXE, ["light", None]))
    dark = _serious(page.evaluate(_RUN_AXE, ["dark", COLOUR_RULES]))
    assert not (light or dark), (
        f"{document}: serious or critical accessibility violations\n"
        + _report("light", light) + "\n" + _report("dark", dark))
    assert not offline.blocked, offline.blocked


# The theme's markup (pydata-sphinx-theme 0.17.1, sphinx-book-theme 1.3.0, myst-nb 1.4.0,
# docutils), as written into every page, and what book/_ext/seglab_a11y makes of it.
_THEME_HTML = """<li class="toctree-l1 has-children"><a class="reference internal" href="ch1/index.html">1. Step 1 &amp; <em>errors</em></a><details><summary><span class="toctree-toggle" role="presentation"><i class="fa-solid fa-chevron-down"></i></span></summary><ul>
<li class="toctree-l2"><a class="reference internal" href="ch1/overlap.html">1.8. Overlap</a></li></ul></details></li>
<details class="hide above-input">
<summary aria-label="Toggle hidden content">
<p class="collapsed admonition-title">Checked in code: the bound</p>
<p class="expanded admonition-title">Hide the check</p>
</summary></details>
<details><summary aria-label="Toggle hidden content"> <span></span> </summary></details>
<button class="btn search-button-field search-button__button pst-js-only" title="Search" aria-label="Search" data-bs-placement="bottom">
 <span class="search-button__default-text">Search</span></button>
<button class="btn btn-sm pst-navbar-icon search-button search-button__button pst-js-only" title="Search" aria-label="Search"><i class="fa-solid fa-magnifying-glass fa-lg"></i></button>
<button class="theme-switch-button" aria-label="Color mode"><i class="theme-switch fa-solid fa-sun fa-lg" data-mode="light" title="Light"></i></button>
<div role="list" class="citation-list">
<div class="citation" id="id60" role="doc-biblioentry"><p>Bach 2013.</p></div></div>"""  # noqa: E501


def test_fix_page_names_the_theme_controls():
    fixed = fix_page(_THEME_HTML)
    assert '<summary aria-label="Sections of 1. Step 1 &amp; errors">' in fixed
    # the fold with visible text is named by that text; the one without keeps its label
    assert "<summary>\n<p class=\"collapsed admonition-title\">Checked in code" in fixed
    assert fixed.count('aria-label="Toggle hidden content"') == 1
    assert fixed.count('aria-label="Search"') == 1  # only the icon-only button keeps it
    assert 'search-button-field search-button__button pst-js-only" title="Search" data' in fixed
    assert ('<i aria-hidden="true" class="theme-switch fa-solid fa-sun fa-lg" data-mode="light">'
            in fixed)
    assert 'role="doc-biblioentry"' not in fixed and 'role="listitem"' in fixed
    assert fix_page(fixed) == fixed  # idempotent: pages not rewritten stay correct
    assert fix_page("<p>no theme markup</p>") == "<p>no theme markup</p>"


# A signature over python_maximum_signature_line_length as Sphinx 7.4.7 writes it (abridged),
# with a definition list in a docstring after it that must stay one.
_SIGNATURE_HTML = """<dl class="py function">
<dt class="sig sig-object py" id="seglab.metrics.evaluate">
<span class="sig-prename descclassname"><span class="pre">seglab.metrics.</span></span><span class="sig-name descname"><span class="pre">evaluate</span></span><span class="sig-paren">(</span>

<dl>
<dd><em class="sig-param"><span class="n"><span class="pre">pred</span></span></em>,</dd>
<dd><em class="sig-param"><span class="n"><span class="pre">beta</span></span><span class="o"><span class="pre">=</span></span><span class="default_value"><span class="pre">0.5</span></span></em>,</dd>
</dl>

<span class="sig-paren">)</span><a class="headerlink" href="#seglab.metrics.evaluate" title="Link to this definition">#</a></dt>
<dd><dl class="field-list simple"><dt class="field-odd">Parameters<span class="colon">:</span></dt>
<dd class="field-odd"><dl class="simple"><dt><strong>pred</strong></dt><dd><p>Labels.</p></dd></dl></dd></dl></dd></dl>"""  # noqa: E501


def test_fix_page_lists_long_signatures_without_a_definition_list():
    fixed = fix_page(_SIGNATURE_HTML)
    signature, docstring = fixed.split("<dt", 1)[1].split("</dt>", 1)
    assert "<dl" not in signature and "<dd" not in signature
    assert signature.count('<div class="sig-param-line">') == 2
    assert '<div class="sig-param-list">\n<div class="sig-param-line"><em class="sig-param">' in (
        signature)
    assert signature.count("<div") == signature.count("</div>") == 3
    assert docstring == _SIGNATURE_HTML.split("</dt>", 1)[1]  # the docstring's lists unchanged
    assert fix_page(fixed) == fixed
