"""Shared fixtures of the browser tests: the book's pages, a local web server, headless Chromium.

The browser tests read the book as a reader does: Debian's ``chromium`` (``/usr/bin/chromium``,
installed by ``make test`` when missing) driven by the ``playwright`` package, which is told to
use that executable (no browser download). Every request that does not go to this machine is
aborted and recorded, so the tests also prove that a page needs no network.

Outside ``make test`` the browser tests skip when Chromium or a built site is missing; ``make
test`` sets ``SEGLAB_BROWSER_TESTS=required``, which turns those skips into failures.
"""

import os
import sys
from pathlib import Path

import pytest
from hypothesis import settings

sys.path.insert(0, str(Path(__file__).resolve().parent))

from browser_support import (  # noqa: E402
    CHROMIUM,
    CHROMIUM_FLAGS,
    is_local,
    serve_folder,
    skip_or_fail,
    toc_documents,
)

# Property tests explore fresh random examples on every developer run; `make test` (and so CI)
# sets HYPOTHESIS_PROFILE=ci, which fixes the examples so that a run is reproducible and a clean
# clone gets the same verdict every time. A failure found by a developer run is fixed in the
# code or in the test's reference, then kept as an explicit regression case.
settings.register_profile("ci", derandomize=True, print_blob=True)
settings.register_profile("dev", print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))


# Markers, so that the unit suite can run on its own (`make unit`, a few minutes) while `make
# test` runs everything. A test that drives Chromium is `browser` (found through its fixtures);
# the files below read or execute the book (`book`) or build a fresh environment (`binder`).
# Every marker is registered in pyproject.toml (pytest runs with --strict-markers).
_BROWSER_FIXTURES = {"browser", "offline_page"}
_MARKED_FILES = {
    "test_binder.py": "binder",
    "test_book_checks.py": "book",
    "test_book_checks_ch2.py": "book",
    "test_book_checks_ch3.py": "book",
    "test_book_checks_ch4.py": "book",
    "test_book_api.py": "book",
    "test_book_html.py": "book",
    "test_book_numbering.py": "book",
    "test_book_shape.py": "book",
    "test_book_teaching.py": "book",
    "test_browser_book.py": "book",
    "test_browser_layout.py": "book",
    "test_notebooks.py": "book",
    "test_slides.py": "book",
    "test_pdf.py": "book",
}


# The longest test files, longest first (seconds on 2 cores: a fresh environment 260, printing
# the PDFs about 100, the browser suites 130-230 each, the Voila dashboard 40, the book's
# checks 90-110), collected before the others: `make test` hands whole files to its workers
# in collection order (pytest-xdist's --dist loadfile --no-loadscope-reorder), and the fresh
# environment starting last kept one worker busy for minutes after the other had finished.
_LONG_FILES = ("test_binder.py", "test_pdf.py", "test_browser_a11y.py", "test_browser_book.py",
               "test_browser_layout.py", "test_browser_math.py", "test_dashboard.py",
               "test_book_checks_surrogate.py", "test_book_checks_ch3.py", "test_bad_input.py")


def _collection_rank(item):
    name = item.path.name
    return _LONG_FILES.index(name) if name in _LONG_FILES else len(_LONG_FILES)


def pytest_collection_modifyitems(config, items):
    items.sort(key=_collection_rank)  # stable: the order within a file and among the rest kept
    for item in items:
        if _BROWSER_FIXTURES.intersection(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.browser)
        marker = _MARKED_FILES.get(item.path.name)
        if marker is not None:
            item.add_marker(getattr(pytest.mark, marker))


def pytest_generate_tests(metafunc):
    # One test per page of the book, derived from _toc.yml when the tests are collected, so
    # that chapters added to the table of contents are tested without editing the tests.
    if "document" in metafunc.fixturenames:
        documents = toc_documents()
        metafunc.parametrize("document", documents, ids=documents)


@pytest.fixture(scope="session")
def serve():
    """``serve(directory)`` returns the base URL of a local web server for that folder."""
    return serve_folder


@pytest.fixture(scope="session")
def browser():
    """Headless Debian Chromium, driven by playwright (one per test session)."""
    if not CHROMIUM.exists():
        skip_or_fail(f"{CHROMIUM} is missing: `make test` installs it (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        skip_or_fail("playwright is not installed (it is pinned in requirements.txt)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                              args=CHROMIUM_FLAGS)
        yield chromium
        chromium.close()


class Offline:
    """What a page tried to fetch from outside this machine (every such request is aborted)."""

    def __init__(self):
        self.blocked = []

    def route(self, route):
        url = route.request.url
        if is_local(url):
            route.continue_()
        else:
            self.blocked.append(url)
            route.abort("internetdisconnected")


class JsErrors:
    """Uncaught exceptions and console errors of a page."""

    def __init__(self):
        self.errors = []

    def on_console(self, message):
        if message.type == "error":
            self.errors.append(f"console: {message.text} ({message.location.get('url', '')})")

    def on_page_error(self, error):
        self.errors.append(f"page error: {error}")


@pytest.fixture
def offline_page(browser):
    """A fresh browser page (own context) with every non-local request aborted.

    Yields ``(page, offline, errors)``: ``offline.blocked`` lists the aborted URLs,
    ``errors.errors`` the JavaScript errors.
    """
    context = browser.new_context(viewport={"width": 1280, "height": 900},
                                  service_workers="block")
    offline, errors = Offline(), JsErrors()
    context.route("**/*", offline.route)
    page = context.new_page()
    page.on("console", errors.on_console)
    page.on("pageerror", errors.on_page_error)
    yield page, offline, errors
    context.close()
