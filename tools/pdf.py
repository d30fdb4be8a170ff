"""Build `make pdf`: the book as one PDF, and per chapter an exercise handout and its solutions.

Reads the pages of ``make book-offline`` (``tools/book_pages.py``: formulas typeset at build time,
theorems, equations and exercises numbered by Sphinx) and prints them with headless Chromium
(Debian's ``/usr/bin/chromium``, driven by playwright as in the browser tests; no LaTeX):

* ``_build/pdf/seglab.pdf``: every page of ``_toc.yml`` but the generated API reference, in
  reading order, each from a new sheet, after a linked table of contents; cross-references
  (theorems, equations, sections, citations) become links inside the PDF (the ids of each page
  are prefixed with the page's name, so that they stay unique); folded code cells are left out,
  their outputs kept; a static slider prints its current frame and its values in words; the
  PDF's bookmarks follow the headings.
* ``_build/pdf/<chapter>-exercises.pdf``: the chapter's exercises, numbered as in the book,
  without solutions; ``_build/pdf/<chapter>-solutions.pdf``: each exercise and its solution.

Every request of the printed pages is answered from the built site on disk; one that would leave
the machine is refused and fails the build. Run: ``python tools/pdf.py [--site DIR] [--out DIR]``.
"""

import argparse
import copy
import html
import re
import sys
from pathlib import Path
from urllib.parse import unquote, urlsplit

import yaml
from bs4 import BeautifulSoup

sys.path.insert(0, str(Path(__file__).resolve().parent))
import book_pages  # noqa: E402

OUT = book_pages.ROOT / "_build" / "pdf"
CHROMIUM = Path("/usr/bin/chromium")
#: The pages are served to Chromium under this address, from disk, by a playwright route.
HOST = "http://seglab-print.invalid/"
#: The generated API reference stays on the web site (docstrings written for help()).
NOT_PRINTED = "book/api/"

PRINT_CSS = """
@page { size: A4; margin: 16mm 15mm 18mm 15mm; }
html { font-size: 10pt; }
body { margin: 0; padding: 0; background: #fff; }
.bd-article { padding: 0 !important; max-width: none !important; }
.seglab-print-page { break-before: page; }
h1, h2, h3, h4, .admonition-title { break-after: avoid; }
div.proof, div.exercise, div.solution > .admonition-title, figure, .seglab-slider, div.math,
table, .cell_output img { break-inside: avoid; }
img { max-width: 100%; height: auto; }
div.math { overflow: visible !important; }
.seglab-slider-caption { font-size: 0.85em; color: #444; margin: 0.2em 0 1em; }
.seglab-print-title { text-align: center; margin-top: 30vh; }
.seglab-print-contents li { margin: 0.2em 0; }
a.reference { text-decoration: none; }
"""


def slug(document):
    """The id of a printed page and the prefix of its ids: ``book/ch1/overlap`` ->
    ``book-ch1-overlap``."""
    return re.sub(r"[^\w-]+", "-", document)


def _printed(table=None):
    return [d for d in book_pages.documents(table) if not d.startswith(NOT_PRINTED)]


def prepare(site, document, printed):
    """The page's article ready for print, wrapped in ``<section id="<slug>">``."""
    article = book_pages.clean(book_pages.article(site, document))
    for slider in article.select("div.seglab-slider"):
        book_pages.freeze_slider(slider)
    prefix = slug(document)
    for tag in article.find_all(id=True):
        tag["id"] = f"{prefix}--{tag['id']}"
    for link in article.find_all("a", href=True):
        target = book_pages.resolve(document, link["href"])
        if target is None:
            continue
        path, _, fragment = target.partition("#")
        other = path.removesuffix(".html")
        if other in printed:
            link["href"] = f"#{slug(other)}--{fragment}" if fragment else f"#{slug(other)}"
        else:
            link.unwrap()  # a page that is not printed (the API reference, the index)
    for img in article.find_all("img", src=True):
        target = book_pages.resolve(document, img["src"])
        if target is not None:
            img["src"] = "/" + target
    return article.wrap(BeautifulSoup("", "html.parser").new_tag(
        "section", attrs={"class": "seglab-print-page", "id": prefix}))


def _stylesheets(site, document):
    """The page's own stylesheets (theme, formulas, theorem blocks) as site-absolute links."""
    head = book_pages.page(site, document).head
    links = []
    for link in head.find_all("link", rel="stylesheet"):
        target = book_pages.resolve(document, link["href"])
        if target is not None:
            links.append(f'<link rel="stylesheet" href="/{target}">')
    return "\n".join(links)


def _html(title, stylesheets, body):
    return (f'<!DOCTYPE html>\n<html lang="en" data-theme="light"><head><meta charset="utf-8">'
            f'<title>{html.escape(title)}</title><link rel="icon" href="data:,">\n{stylesheets}'
            f"\n<style>{PRINT_CSS}</style></head><body><main>{body}</main></body></html>")


def book(site, printed, config):
    """The whole book's HTML (title, contents, every printed page)."""
    title = config.get("title", "The book")
    contents = "".join(f'<li><a class="reference" href="#{slug(d)}">'
                       f"{html.escape(book_pages.title(site, d))}</a></li>" for d in printed)
    front = (f'<div class="seglab-print-title"><h1>{html.escape(title)}</h1>'
             f'<p>{html.escape(str(config.get("author", "")))}</p></div>'
             f'<section class="seglab-print-page seglab-print-contents"><h2>Contents</h2>'
             f"<ol>{contents}</ol></section>")
    pages = [str(prepare(site, d, printed)) for d in printed]
    return _html(title, _stylesheets(site, printed[0]), front + "".join(pages))


def exercises(site, documents, *, solutions):
    """The handout of one chapter's pages (already prepared): each exercise, with its solution
    after it when ``solutions``; links to the rest of the book left as text."""
    parts = []
    for document in documents:
        article = book_pages.article(site, document)
        found = [copy.copy(e) for e in article.select("div.exercise")]
        if not found:
            continue
        answers = {}
        for solution in article.select("div.solution"):
            link = solution.select_one(".admonition-title a[href]")
            if link is not None:
                answers.setdefault(link["href"].lstrip("#"), []).append(copy.copy(solution))
        parts.append(f"<h2>{html.escape(book_pages.title(site, document))}</h2>")
        for exercise in found:
            parts.append(str(exercise))
            if solutions:
                parts.extend(str(s) for s in answers.get(exercise["id"], ()))
    body = BeautifulSoup("".join(parts), "html.parser")
    for link in body.find_all("a"):
        link.unwrap()
    return str(body)


def _route(site, pages, blocked):
    def handle(route):
        url = route.request.url
        if not url.startswith(HOST):
            blocked.append(url)
            route.abort("internetdisconnected")
            return
        path = unquote(urlsplit(url).path).lstrip("/")
        if path in pages:
            route.fulfill(body=pages[path], content_type="text/html; charset=utf-8")
        elif (site / path).is_file():
            route.fulfill(path=site / path)
        else:
            route.fulfill(status=404, body="")
    return handle


_FOOTER = ('<div style="font-size:8px;width:100%;text-align:center;color:#555;">'
           '<span class="pageNumber"></span> / <span class="totalPages"></span></div>')


def print_all(site, pages, out):
    """Print each ``{name: html}`` to ``out/<name>.pdf`` in one headless Chromium."""
    from playwright.sync_api import sync_playwright

    served = {f"{name}.html": text for name, text in pages.items()}
    blocked = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        context = browser.new_context()
        context.route("**/*", _route(site, served, blocked))
        page = context.new_page()
        page.set_default_timeout(600_000)
        for name in pages:
            page.goto(f"{HOST}{name}.html", wait_until="load", timeout=600_000)
            page.evaluate("() => document.fonts.ready.then(() => true)")
            page.pdf(path=out / f"{name}.pdf", format="A4", print_background=True,
                     display_header_footer=True, header_template="<span></span>",
                     footer_template=_FOOTER, outline=True, tagged=True,
                     margin={"top": "16mm", "bottom": "18mm", "left": "15mm", "right": "15mm"})
        browser.close()
    if blocked:
        raise SystemExit(f"the printed pages asked for outside resources: {sorted(set(blocked))}")


def build(site=book_pages.SITE, out=OUT):
    site, out = Path(site), Path(out)
    if not (site / "index.html").exists():
        raise SystemExit(f"{site}/index.html is missing: run `make book-offline` first")
    book_pages.forget()  # the pages are edited in place: parse them afresh
    config = yaml.safe_load((book_pages.ROOT / "_config.yml").read_text(encoding="utf-8"))
    printed = _printed()
    pages = {"seglab": book(site, printed, config)}
    styles = _stylesheets(site, printed[0])
    for name, documents in book_pages.chapters():
        chapter = book_pages.title(site, documents[0])
        for kind in ("exercises", "solutions"):
            body = exercises(site, documents, solutions=kind == "solutions")
            heading = f"{chapter} — {kind}"
            pages[f"{name}-{kind}"] = _html(heading, styles,
                                            f"<h1>{html.escape(heading)}</h1>{body}")
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("*.pdf"):
        old.unlink()
    print_all(site, pages, out)
    return sorted(out.glob("*.pdf"))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--site", type=Path, default=book_pages.SITE)
    parser.add_argument("--out", type=Path, default=OUT)
    arguments = parser.parse_args()
    for path in build(arguments.site, arguments.out):
        print(path)
