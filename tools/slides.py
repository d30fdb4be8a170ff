"""Build `make slides`: one reveal.js deck per chapter, cut from the built offline book.

Reads the pages of ``make book-offline`` (``tools/book_pages.py``: formulas typeset at build time,
theorems and exercises numbered, static sliders self-contained) and writes

* ``_build/slides/<chapter>.html``: per page of the chapter a column of slides: the page's title
  and first paragraph, then in reading order one slide per section (its heading and first
  paragraph; a summary whole), per theorem-like block (the statement: sphinx-proof keeps proofs
  in blocks of their own, which are left out), per figure, per static slider (still a working
  slider) and per exercise (its statement, no solution);
* ``_build/slides/index.html``: the list of decks;
* ``_build/slides/assets/``: reveal.js (pinned below, packed once from the npm registry into
  ``.cache/npm/`` by ``book/_ext/seglab_npm``), the book's stylesheets for formulas and
  theorem blocks with MathJax's fonts, the figures, and ``tools/slides_assets/``.

Nothing is fetched when a deck is shown: it works from the folder, offline.
Run: ``python tools/slides.py [--site DIR] [--out DIR]`` (prints the index page's path).
"""

import argparse
import copy
import html
import shutil
import sys
from pathlib import Path

from bs4 import BeautifulSoup

sys.path.insert(0, str(Path(__file__).resolve().parent))
import book_pages  # noqa: E402

sys.path.insert(0, str(book_pages.ROOT / "book" / "_ext"))
from seglab_npm import unpack  # noqa: E402

#: reveal.js from the npm registry: exact version, and the files of its dist/ folder the decks load
#: (the white theme carries its fonts inline).
REVEAL = ("reveal.js", "6.0.2")
REVEAL_FILES = {"reveal.js", "reveal.css", "reset.css", "theme/white.css"}
OWN_ASSETS = Path(__file__).resolve().parent / "slides_assets"
OUT = book_pages.ROOT / "_build" / "slides"

_THEOREM_KINDS = {"theorem", "proposition", "lemma", "corollary", "definition", "conjecture",
                  "remark", "example", "assumption", "criterion", "property", "observation",
                  "notation", "axiom"}


def _kind(tag):
    """What a tag of an article becomes on a slide (``None``: nothing of its own)."""
    classes = set(tag.get("class") or ())
    if tag.name == "section" and tag.find(["h2", "h3"], recursive=False):
        return "section"
    if tag.name == "div" and "proof" in classes and classes & _THEOREM_KINDS:
        return "theorem"
    if tag.name == "div" and "seglab-slider" in classes:
        return "slider"
    if tag.name == "div" and "exercise" in classes:
        return "exercise"
    if tag.name == "figure" or (tag.name == "img" and tag.find_parent(class_="cell_output")):
        return "figure"
    return None


def _left_out(tag):
    """Inside a proof, a solution, a slider or a figure: not a slide of its own."""
    for parent in tag.parents:
        classes = set(parent.get("class") or ())
        if parent.name == "figure" or classes & {"solution", "seglab-slider"}:
            return True
        if "proof" in classes and not classes & _THEOREM_KINDS:
            return True
    return False


def _context(item):
    """The paragraph just before the code cell that drew a figure or slider without a caption."""
    cell = item.find_parent("div", class_="cell")
    before = cell.find_previous_sibling() if cell else None
    return before if before is not None and before.name == "p" else None


def _heading(section):
    return section.find(["h1", "h2", "h3"], recursive=False)


def _section_slide(section):
    heading = _heading(section)
    parts = [heading]
    body = [c for c in section.find_all(recursive=False) if c is not heading and c.name]
    text = heading.get_text(" ", strip=True).lower()
    if section.get("id") == "summary" or text.endswith("summary"):
        parts += [c for c in body if c.name in {"p", "ul", "ol", "dl"}]
    elif body and body[0].name == "p":  # the paragraph that opens the section, if any
        parts.append(body[0])
    return parts


def _slides_of_page(article):
    """``[(kind, kicker, [tags])]`` of one page, in reading order."""
    top = article.find("section")
    first = [c for c in top.find_all(recursive=False) if c.name == "p"][:1]
    slides = [("title", None, [_heading(top), *first])]
    kicker = None
    for tag in article.find_all(_kind):
        kind = _kind(tag)
        if tag is top or _left_out(tag):
            continue
        if kind == "section":
            kicker = book_pages.heading_text(_heading(tag))
            slides.append((kind, None, _section_slide(tag)))
            continue
        parts = [tag]
        if kind in {"slider", "figure"} and not tag.find("figcaption"):
            parts = [p for p in (_context(tag),) if p is not None] + parts
        slides.append((kind, kicker, parts))
    return slides


def _localise(node, document, site, out):
    """Links to other pages become plain text; figures are copied into ``assets/images/``."""
    for link in node.find_all("a", href=True):
        if book_pages.resolve(document, link["href"]) is not None:
            link.unwrap()
        else:
            link["target"] = "_blank"
    for img in node.find_all("img"):
        path = book_pages.resolve(document, img.get("src"))
        if path is None:
            continue
        source = site / path.split("?")[0]
        target = out / "assets" / "images" / source.name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
        img["src"] = f"assets/images/{source.name}"


def _slide_html(kind, kicker, parts, document, site, out):
    fragment = BeautifulSoup("", "html.parser")
    fit = fragment.new_tag("div", attrs={"class": "seglab-fit"})
    if kicker:
        small = fragment.new_tag("p", attrs={"class": "seglab-kicker"})
        small.string = kicker
        fit.append(small)
    for part in parts:
        fit.append(copy.copy(part))
    book_pages.clean(fit)
    _localise(fit, document, site, out)
    for section in fit.find_all("section"):  # reveal.js takes every <section> for a slide
        section.name = "div"
    return f'<section data-kind="{kind}">{fit}</section>'


def deck(site, name, documents, out):
    """Write ``out/<name>.html``; return the chapter's title and the number of slides per kind."""
    chapter_title = book_pages.title(site, documents[0])
    outline = "".join(f"<li>{html.escape(book_pages.title(site, d))}</li>" for d in documents)
    columns, counts = [], {}
    for i, document in enumerate(documents):
        slides = []
        if i == 0:
            slides.append(f'<section data-kind="deck"><div class="seglab-fit"><h1>'
                          f'{html.escape(chapter_title)}</h1><p class="seglab-kicker">Slides '
                          f'cut from the book</p><ul>{outline}</ul></div></section>')
        for kind, kicker, parts in _slides_of_page(book_pages.article(site, document)):
            counts[kind] = counts.get(kind, 0) + 1
            slides.append(_slide_html(kind, kicker, parts, document, site, out))
        columns.append(f'<section data-document="{document}">{"".join(slides)}</section>')
    page = _TEMPLATE.format(title=html.escape(chapter_title), slides="\n".join(columns))
    (out / f"{name}.html").write_text(page, encoding="utf-8")
    return chapter_title, counts


def vendor(site, out):
    """reveal.js from its pinned npm tarball, the book's formula and block styles, our own."""
    unpack(*REVEAL, "package/dist/", out / "assets" / "reveal", lambda rest: rest in REVEAL_FILES)
    unpack(*REVEAL, "package/LICENSE", out / "assets" / "reveal" / "LICENSE")
    book = out / "assets" / "book"
    for name in (*book_pages.MATH_CSS, *book_pages.BLOCK_CSS):
        target = book / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(Path(site) / "_static" / name, target)
    shutil.copytree(Path(site) / "_static" / "seglab-math" / "woff-v2",
                    book / "seglab-math" / "woff-v2", dirs_exist_ok=True)
    shutil.copytree(OWN_ASSETS, out / "assets", dirs_exist_ok=True)


def build(site=book_pages.SITE, out=OUT):
    site, out = Path(site), Path(out)
    if not (site / "index.html").exists():
        raise SystemExit(f"{site}/index.html is missing: run `make book-offline` first")
    book_pages.forget()  # the pages are edited in place: parse them afresh
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    vendor(site, out)
    rows = []
    for name, documents in book_pages.chapters():
        chapter_title, counts = deck(site, name, documents, out)
        summary = ", ".join(f"{n} {kind}" for kind, n in sorted(counts.items()))
        rows.append(f'<li><a href="{name}.html">{html.escape(chapter_title)}</a> '
                    f'<small>({summary})</small></li>')
    (out / "index.html").write_text(_INDEX.format(rows="\n".join(rows)), encoding="utf-8")
    return out / "index.html"


_HEAD = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>{title}</title>
"""

_TEMPLATE = _HEAD + """<link rel="stylesheet" href="assets/reveal/reset.css">
<link rel="stylesheet" href="assets/reveal/reveal.css">
<link rel="stylesheet" href="assets/reveal/theme/white.css">
<link rel="stylesheet" href="assets/book/seglab-math/chtml.css">
<link rel="stylesheet" href="assets/book/seglab-math.css">
<link rel="stylesheet" href="assets/book/proof.css">
<link rel="stylesheet" href="assets/book/exercise.css">
<link rel="stylesheet" href="assets/seglab-slides.css">
</head><body>
<div class="reveal"><div class="slides">
{slides}
</div></div>
<script src="assets/reveal/reveal.js"></script>
<script src="assets/seglab-slides.js"></script>
</body></html>
"""

_INDEX = _HEAD.replace("{title}", "seglab — slide decks") + """<style>
body {{ font-family: system-ui, sans-serif; max-width: 48em; margin: 3em auto; line-height: 1.5; }}
</style></head><body>
<h1>seglab — slide decks</h1>
<p>One deck per chapter, cut from the book (<code>make slides</code>). Arrow keys move between
slides (down: the next slide of a page, right: the next page); Esc shows the overview; a focused
slider takes the arrow keys.</p>
<ul>
{rows}
</ul>
</body></html>
"""


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--site", type=Path, default=book_pages.SITE)
    parser.add_argument("--out", type=Path, default=OUT)
    arguments = parser.parse_args()
    print(build(arguments.site, arguments.out))
