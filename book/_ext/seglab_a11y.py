"""Accessible names and roles the theme's HTML lacks, fixed in every page once the book is built.

axe-core (``tests/test_browser_a11y.py``) found these serious or critical faults on every page
of the book, all in markup written by sphinx-book-theme / pydata-sphinx-theme 0.17, myst-nb or
docutils rather than by the book's sources:

* the sidebar's section toggles (``<details><summary>`` holding only an icon) had no accessible
  name (axe ``summary-name``): each gets ``aria-label="Sections of <the section's title>"``;
* the folds of hidden code cells (``<summary aria-label="Toggle hidden content">`` around the
  visible text "Checked in code: ...") were announced as "Toggle hidden content", a name that
  does not contain their visible text (``label-content-name-mismatch``, which also breaks voice
  control: "click Checked in code" finds nothing): the ``aria-label`` is dropped where the
  summary has text of its own, so its name is that text;
* the search field's button, labelled "Search" but showing "Search Ctrl+K": the label is
  dropped (its name is then its text); the colour-mode button's icons lose their ``title``
  ("Light", "Dark", "System Settings", which Font Awesome turns into ``<svg><title>`` that
  axe counts as the button's visible text) and are hidden from assistive technology; the
  button keeps its name "Color mode";
* docutils' citation lists (``<div role="list">``) hold entries with the deprecated DPUB role
  ``doc-biblioentry``, which axe 4.14 no longer counts as list items
  (``aria-required-children``): the entries get ``role="listitem"``;
* a display formula wider than its column scrolls (``seglab.css``) but could not be reached
  from the keyboard (``scrollable-region-focusable``): ``seglab_pagespeed``'s script, which
  gives the theme's scrolling boxes (code, outputs, tables) their tab stops as they come near
  the viewport, treats display formulas the same way;
* a signature of the API reference longer than ``python_maximum_signature_line_length``
  (``_config.yml``) lists its parameters one per line, which Sphinx 7.4 writes as the ``<dd>``
  items of a ``<dl>`` with no ``<dt>`` (axe ``definition-list``): they become ``<div>``
  elements (classes ``sig-param-list`` and ``sig-param-line``, laid out in ``seglab.css``),
  read as the one-line signature is.

The colours (links on tinted admonition backgrounds below 4.5:1 in the light theme) are fixed
in ``book/_static/seglab.css``. Every rewrite below is idempotent, so pages that an incremental
build did not write again are left as they are.
"""

import html
import re
from pathlib import Path

# A sidebar entry with children: its link, then the <details> whose <summary> is an icon only.
_NAV_TOGGLE = re.compile(
    r'(<a class="reference internal" href="[^"]*">(?P<title>(?:(?!</?a\b).)*?)</a>'
    r'\s*<details(?: open(?:="open")?)?>\s*)'
    r'<summary>(?=\s*<span class="toctree-toggle")', re.S)
_ANY_NAV_TOGGLE = re.compile(r'<summary>(?=\s*<span class="toctree-toggle")')
_FOLD = re.compile(r'<summary aria-label="Toggle hidden content">(?P<body>.*?)</summary>', re.S)
_SEARCH_FIELD = re.compile(
    r'(<button class="btn search-button-field search-button__button[^"]*"[^>]*?)'
    r' aria-label="Search"')
_THEME_ICON = re.compile(r'<i (?:aria-hidden="true" )?class="theme-switch [^>]*>')
_TITLE = re.compile(r'\s+title="[^"]*"')
_BIBLIOENTRY = 'role="doc-biblioentry"'
_TAGS = re.compile(r"<[^>]+>")
# A Python object's signature (its <dt>: no other <dt> inside) and the parameter list in it.
_SIGNATURE = re.compile(r'(<dt class="sig sig-object py"[^>]*>)(.*?)(</dt>)', re.S)
_PARAMETER_TAGS = {"<dl>": '<div class="sig-param-list">', "</dl>": "</div>",
                   "<dd>": '<div class="sig-param-line">', "</dd>": "</div>"}
_PARAMETER_TAG = re.compile("|".join(map(re.escape, _PARAMETER_TAGS)))

def _text(fragment):
    return " ".join(html.unescape(_TAGS.sub(" ", fragment)).split())


def _name_toggle(match):
    title = _text(match.group("title"))
    label = html.escape(f"Sections of {title}" if title else "Sections", quote=True)
    return f'{match.group(1)}<summary aria-label="{label}">'


def _name_fold(match):
    body = match.group("body")
    if not _text(body):
        return match.group(0)
    return f"<summary>{body}</summary>"


def _hide_icon(match):
    tag = _TITLE.sub("", match.group(0))
    return tag if tag.startswith("<i aria-hidden") else '<i aria-hidden="true"' + tag[2:]


def _list_parameters(match):
    body = _PARAMETER_TAG.sub(lambda tag: _PARAMETER_TAGS[tag.group(0)], match.group(2))
    return match.group(1) + body + match.group(3)


def fix_page(text):
    """The page's HTML with the names and roles above fixed (unchanged if already fixed)."""
    text = _NAV_TOGGLE.sub(_name_toggle, text)
    text = _ANY_NAV_TOGGLE.sub('<summary aria-label="Sections">', text)
    text = _FOLD.sub(_name_fold, text)
    text = _SEARCH_FIELD.sub(r"\1", text)
    text = _THEME_ICON.sub(_hide_icon, text)
    text = _SIGNATURE.sub(_list_parameters, text)
    return text.replace(_BIBLIOENTRY, 'role="listitem"')


def fix_site(outdir):
    """Apply :func:`fix_page` to every ``.html`` file under ``outdir``; the number changed."""
    changed = 0
    for path in Path(outdir).rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        fixed = fix_page(text)
        if fixed != text:
            path.write_text(fixed, encoding="utf-8")
            changed += 1
    return changed


def _build_finished(app, exception):
    if exception is None and app.builder.format == "html":
        fix_site(app.outdir)


def setup(app):
    app.connect("build-finished", _build_finished)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
