"""Helpers of the browser tests: the book's pages from _toc.yml, Chromium's path and flags.

Imported by ``conftest.py`` (fixtures) and the browser test modules; ``conftest.py`` puts this
folder on ``sys.path`` (pytest runs with ``--import-mode=importlib``).
"""

import functools
import http.server
import os
import re
import socketserver
import threading
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
# Flags for headless Debian Chromium with no network; playwright adds --headless and a
# fresh --user-data-dir.
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync"]
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}
#: The two builds of the book: ``make book-offline`` and ``make book``.
SITES = {
    "offline": ROOT / "_build" / "offline" / "_build" / "html",
    "published": ROOT / "_build" / "html",
}


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the base class's signature
        pass


class _Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


@functools.cache
def serve_folder(directory):
    """Serve ``directory`` on 127.0.0.1 at a free port for the rest of the process; its URL."""
    handler = functools.partial(_QuietHandler, directory=str(directory))
    server = _Server(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_address[1]}/"


def is_local(url):
    """True for a URL that stays on this machine (loopback, data:, blob:, about:, file:)."""
    parts = urlsplit(url)
    return parts.scheme in {"data", "blob", "about", "file"} or parts.hostname in LOCAL_HOSTS


def required():
    """True under ``make test``: a browser test that cannot run is a failure, not a skip."""
    return os.environ.get("SEGLAB_BROWSER_TESTS") == "required"


def skip_or_fail(reason):
    if required():
        pytest.fail(f"{reason} (SEGLAB_BROWSER_TESTS=required)", pytrace=False)
    pytest.skip(reason)


def built_site(name):
    """The folder of a built site (a key of ``SITES``); skip, or fail, when it is not built."""
    site = SITES[name]
    if not (site / "index.html").exists():
        target = "make book-offline" if name == "offline" else "make book"
        skip_or_fail(f"the {name} site is not built ({site}/index.html is missing): "
                     f"run `{target}`")
    return site


def site_mtime(site):
    """When the site was last built: the newest modification time of its HTML pages.

    Not ``index.html``'s: that redirect is written once and an incremental build leaves it
    alone, so outputs printed from the site (PDFs, slide decks) compared with it would never
    be rebuilt when a page changes or is added."""
    return max(page.stat().st_mtime for page in site.rglob("*.html"))


def toc_documents(toc_path=ROOT / "_toc.yml"):
    """Every document of the table of contents, in reading order, without its suffix.

    Follows ``root``, ``parts``, ``chapters`` and ``sections`` (any nesting) of a
    ``jb-book`` or ``jb-article`` _toc.yml; ``glob`` entries are expanded; ``url`` entries are
    external links and are skipped.
    """
    toc = yaml.safe_load(toc_path.read_text(encoding="utf-8"))
    documents = [toc["root"]]

    def walk(entries):
        for entry in entries or ():
            if "file" in entry:
                documents.append(str(Path(entry["file"]).with_suffix("")))
            elif "glob" in entry:
                matches = sorted(p for p in ROOT.glob(entry["glob"])
                                 if p.suffix in {".md", ".ipynb", ".rst"})
                documents.extend(str(p.relative_to(ROOT).with_suffix("")) for p in matches)
            for key in ("parts", "chapters", "sections"):
                walk(entry.get(key))

    walk([{key: toc[key]} for key in ("parts", "chapters", "sections") if key in toc])
    seen = set()
    return [d for d in documents if not (d in seen or seen.add(d))]


def source_of(document):
    """The source file of a toc document (``.md``, ``.ipynb`` or ``.rst``)."""
    for suffix in (".md", ".ipynb", ".rst"):
        path = ROOT / f"{document}{suffix}"
        if path.exists():
            return path
    raise FileNotFoundError(f"_toc.yml lists {document!r} but no .md/.ipynb/.rst file exists")


def slug(document):
    """A file name for a document's screenshot: ``book/ch1/overlap`` -> ``book__ch1__overlap``."""
    return re.sub(r"[^\w.-]+", "__", document)


def wait_for_math(page):
    """Wait until the page's formulas are laid out in their own fonts.

    The formulas are HTML written when the book was built (book/_ext/seglab_math): no MathJax
    runs in the page. Their glyphs come from MathJax's web fonts (``_static/seglab-math/``),
    which the browser fetches once the layout asks for them; until then the formulas have the
    widths of a fallback font. ``document.fonts.ready`` settles when those loads have finished.
    """
    page.wait_for_load_state("load")
    page.evaluate("() => document.fonts.ready.then(() => true)")


def wait_for_images(page):
    """Wait until every ``<img>`` of the page is decoded (hidden slider frames included)."""
    page.wait_for_function("() => Array.from(document.images).every((img) => img.complete)",
                           timeout=20_000)
