"""The built offline book, page by page: what ``tools/slides.py`` and ``tools/pdf.py`` cut up.

Both read the HTML of ``make book-offline`` (``_build/offline/_build/html``), not the MyST
sources: its formulas are already typeset (book/_ext/seglab_math), its theorems, exercises and
cross-references numbered by Sphinx, its figures and static sliders (seglab.widgets)
self-contained. The order and the chapters come from ``_toc.yml``: a chapter is an entry of a
``numbered`` part with its sections.
"""

import functools
import posixpath
import re
from pathlib import Path

import yaml
from bs4 import BeautifulSoup

ROOT = Path(__file__).resolve().parents[1]
SITE = ROOT / "_build" / "offline" / "_build" / "html"

#: The stylesheets of the book that style typeset formulas and sphinx-proof/-exercise blocks.
MATH_CSS = ("seglab-math.css", "seglab-math/chtml.css")
BLOCK_CSS = ("proof.css", "exercise.css")


def _document(entry):
    return str(Path(entry["file"]).with_suffix(""))


def _walk(entries):
    for entry in entries or ():
        if "file" in entry:
            yield _document(entry)
        for key in ("chapters", "sections"):
            yield from _walk(entry.get(key))


def toc(path=ROOT / "_toc.yml"):
    return yaml.safe_load(Path(path).read_text(encoding="utf-8"))


def documents(table=None):
    """Every document of ``_toc.yml`` in reading order (root first, then each part)."""
    table = table or toc()
    return [table["root"], *_walk(table.get("parts", ()))]


def chapters(table=None):
    """``[(name, [document, ...]), ...]``: each chapter of a numbered part with its sections;
    ``name`` is the chapter's folder (``book/ch1/index`` -> ``ch1``)."""
    table = table or toc()
    found = []
    for part in table.get("parts", ()):
        if not part.get("numbered"):
            continue
        for chapter in part.get("chapters", ()):
            first = _document(chapter)
            found.append((Path(first).parent.name, list(_walk([chapter]))))
    return found


@functools.cache
def _parse(path):
    return BeautifulSoup(Path(path).read_text(encoding="utf-8"), "html.parser")


def forget():
    """Drop the parsed pages (each build edits them in place)."""
    _parse.cache_clear()


def page(site, document):
    """The parsed HTML page of ``document`` (cached: both tools read a page once)."""
    path = Path(site) / f"{document}.html"
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing: run `make book-offline` first")
    return _parse(path)


def article(site, document):
    """The page's ``<article>``; the callers edit it in place (a page is parsed once: 1-3 s)."""
    return page(site, document).select_one("article.bd-article")


def title(site, document):
    """The text of the page's first heading, without its permalink sign."""
    heading = page(site, document).select_one("article h1")
    return heading_text(heading) if heading is not None else document


def heading_text(heading):
    """A heading's text without its permalink sign, on one line."""
    return " ".join("".join(t for t in heading.find_all(string=True)
                            if "headerlink" not in (t.parent.get("class") or ())).split())


def clean(node):
    """Drop what only makes sense on the web page: permalink signs and folded code inputs."""
    for tag in node.select("a.headerlink, details.above-input, button, script:not([src])"):
        if tag.name == "script" and tag.find_parent(class_="seglab-slider"):
            continue
        tag.decompose()
    return node


def freeze_slider(slider):
    """A static slider (seglab.widgets) as printed: its current frame and its values in words."""
    frames = slider.select("img.seglab-slider-frame")
    shown = next((f for f in frames if "display:none" not in f.get("style", "").replace(
        " ", "")), frames[0])
    for frame in frames:
        if frame is not shown:
            frame.decompose()
    shown["style"] = "max-width:100%;height:auto;"
    for tag in slider.select(".seglab-slider-controls, script"):
        tag.decompose()
    caption = slider.new_tag("p", attrs={"class": "seglab-slider-caption"})
    caption.string = f"Slider shown at: {shown.get('alt', '')}"
    shown.insert_after(caption)
    return slider


def resolve(document, url):
    """A link or source of ``document``'s page as a path from the site's root (``None`` when
    it leaves the site: ``http:``, ``data:``, ``mailto:``...); the fragment is kept."""
    if not url or re.match(r"^[a-z][a-z0-9+.-]*:", url):
        return None
    if url.startswith("#"):
        return f"{document}.html{url}"
    if url.startswith("/"):
        return url.lstrip("/")
    return posixpath.normpath(posixpath.join(posixpath.dirname(document), url))
