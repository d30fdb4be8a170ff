"""Time for each page of the built book to be fully rendered in headless Chromium.

For every page of ``_toc.yml``, a fresh browser context (empty cache, every request to another
machine aborted, as in the browser tests) opens the page from a local web server and the clock
runs from navigation start (``performance.timeOrigin``) until the page is *fully rendered*:
the ``load`` event has fired and no raw TeX delimiter (``\\(``, ``\\[``, ``$$``) is left in the
text of the page (code, scripts and styles excepted). With client-side MathJax this is when
MathJax has typeset the last formula; with the formulas rendered at build time
(``book/_ext/seglab_math``) it is the ``load`` event. ``DOMContentLoaded`` and ``load`` are
reported too. Each time is the median of ``--runs`` loads, the pages taken round-robin so that
a burst of load on a shared machine hits them alike.

Budgets (the acceptance criteria of the build-time math): the heaviest page fully rendered in
1.5 s at most, and no page more than 1 s slower than ``book/intro`` was with client-side
MathJax (0.85 s on the 2-core reference machine): 1.85 s.

Run: ``.venv/bin/python benchmarks/bench_pages.py [--site PATH] [--before PATH] [--runs N]``
(default: the offline build, ``_build/offline/_build/html``; ``make book-offline`` first).
``--before`` names another build (a copy of the site made before a change), loaded alternately
with ``--site`` so that both see the same load. Exits with status 1 if ``--site`` misses a
budget.
"""

import argparse
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from browser_support import (  # noqa: E402
    CHROMIUM,
    CHROMIUM_FLAGS,
    is_local,
    serve_folder,
    toc_documents,
)

SITE = ROOT / "_build" / "offline" / "_build" / "html"
HEAVIEST_BUDGET = 1.5  # s, the slowest page
INTRO_BEFORE = 0.85  # s, book/intro with client-side MathJax (reference machine)
PAGE_BUDGET = INTRO_BEFORE + 1.0  # s, every page

# Resolves to performance.now() once the load event has fired and no text node outside code,
# scripts and styles holds a TeX delimiter; false until then (polled on every frame).
_RENDERED = r"""() => {
  if (document.readyState !== "complete") return false;
  const skip = new Set(["SCRIPT", "STYLE", "PRE", "CODE", "TEXTAREA", "NOSCRIPT", "TEMPLATE"]);
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT, {
    acceptNode(node) {
      for (let el = node.parentElement; el; el = el.parentElement) {
        if (skip.has(el.tagName)) return NodeFilter.FILTER_REJECT;
      }
      return /\\\(|\\\[|\$\$/.test(node.data) ? NodeFilter.FILTER_ACCEPT : NodeFilter.FILTER_SKIP;
    },
  });
  return walker.nextNode() ? false : performance.now();
}"""

_TIMING = """() => {
  const nav = performance.getEntriesByType("navigation")[0];
  return {dcl: nav.domContentLoadedEventEnd, load: nav.loadEventEnd,
          mathjax: !!window.MathJax, bytes: nav.decodedBodySize};
}"""


def _route(route):
    if is_local(route.request.url):
        route.continue_()
    else:
        route.abort("internetdisconnected")


def measure(browser, url):
    """Seconds from navigation start to fully rendered, DOMContentLoaded and load; one load."""
    context = browser.new_context(viewport={"width": 1280, "height": 900},
                                  service_workers="block")
    try:
        context.route("**/*", _route)
        page = context.new_page()
        page.goto(url, wait_until="commit")
        rendered = page.wait_for_function(_RENDERED, polling="raf", timeout=60_000).json_value()
        timing = page.evaluate(_TIMING)
        return {"rendered": rendered / 1000, "dcl": timing["dcl"] / 1000,
                "load": timing["load"] / 1000, "mathjax": timing["mathjax"],
                "bytes": timing["bytes"]}
    finally:
        context.close()


def _table(site, runs, count):
    """Print the medians of one site; return its fully-rendered times by page."""
    print(f"site: {site} ({count} loads per page, medians)")
    print(f"{'page':32} {'KiB':>6} {'DOMContentLoaded':>17} {'load':>7} {'rendered':>9}  MathJax")
    rendered = {}
    for document, loads in runs.items():
        med = {key: statistics.median(load[key] for load in loads)
               for key in ("rendered", "dcl", "load", "bytes")}
        rendered[document] = med["rendered"]
        mathjax = "client" if any(load["mathjax"] for load in loads) else "none"
        print(f"{document:32} {med['bytes'] / 1024:6.0f} {med['dcl']:16.2f}s {med['load']:6.2f}s "
              f"{med['rendered']:8.2f}s  {mathjax}")
    return rendered


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--site", type=Path, default=SITE, help="built HTML folder")
    parser.add_argument("--before", type=Path, action="append", default=[],
                        help="another build of the book (e.g. a copy made before a change), "
                             "loaded alternately with --site for comparison; no budget")
    parser.add_argument("--runs", type=int, default=3, help="loads per page (median)")
    args = parser.parse_args()
    sites = [args.site, *args.before]
    for site in sites:
        if not (site / "index.html").exists():
            sys.exit(f"{site} has no index.html: run `make book-offline` first")
    from playwright.sync_api import sync_playwright

    bases = {site: serve_folder(site.resolve()) for site in sites}
    documents = toc_documents()
    runs = {site: {document: [] for document in documents} for site in sites}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                             args=CHROMIUM_FLAGS)
        for base in bases.values():  # warm-up: server, disk cache, JIT
            measure(browser, base + f"{documents[0]}.html")
        for _ in range(args.runs):
            for document in documents:
                for site, base in bases.items():  # alternately: the same load on each site
                    runs[site][document].append(measure(browser, base + f"{document}.html"))
        browser.close()

    for site in args.before:
        _table(site, runs[site], args.runs)
        print()
    rendered = _table(args.site, runs[args.site], args.runs)
    heaviest = max(rendered, key=rendered.get)
    print(f"heaviest: {heaviest} {rendered[heaviest]:.2f} s (budget {HEAVIEST_BUDGET} s); "
          f"every page within {PAGE_BUDGET:.2f} s (book/intro before + 1 s)")
    missed = [d for d, t in rendered.items() if t > PAGE_BUDGET]
    if rendered[heaviest] > HEAVIEST_BUDGET or missed:
        print(f"OVER BUDGET: {missed}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
