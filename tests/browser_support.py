"""Helpers of the browser tests: the book's pages from _toc.yml, Chromium's path and flags.

Imported by ``conftest.py`` (fixtures) and the browser test modules; ``conftest.py`` puts this
folder on ``sys.path`` (pytest runs with ``--import-mode=importlib``).
"""

import os
import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
# The flags of ../shared/TOOLCHAIN.md; playwright adds --headless and a fresh --user-data-dir.
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync"]
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}


def required():
    """True under ``make test``: a browser test that cannot run is a failure, not a skip."""
    return os.environ.get("SEGLAB_BROWSER_TESTS") == "required"


def skip_or_fail(reason):
    if required():
        pytest.fail(f"{reason} (SEGLAB_BROWSER_TESTS=required)", pytrace=False)
    pytest.skip(reason)


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


def wait_for_mathjax(page):
    """Wait until MathJax (loaded by the page) has typeset it."""
    page.wait_for_function(
        "() => window.MathJax && MathJax.startup && MathJax.startup.promise", timeout=20_000)
    page.evaluate("() => MathJax.startup.promise")


def wait_for_images(page):
    """Wait until every ``<img>`` of the page is decoded (hidden slider frames included)."""
    page.wait_for_function("() => Array.from(document.images).every((img) => img.complete)",
                           timeout=20_000)
