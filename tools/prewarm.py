"""Execute every page of the book on all cores into Jupyter Book's execution cache.

Jupyter Book 1.x (myst-nb, ``execute_notebooks: cache``) executes the pages one after the
other. This script adds each page of ``_toc.yml`` to the same jupyter-cache project
(``_build/.jupyter_cache``) and executes the stale ones in a process pool, one kernel per core;
the build that follows then finds every page in the cache ("Using cached notebook") and only
renders. A page that fails here is simply not cached: the build executes it again and reports
the error as usual, so this step can only save time, never hide a failure.

jupyter-cache keys a page on its own code only, so a page would keep the outputs of an older
``seglab`` or of an older ``experiments/results/summary.json``. This script therefore records a
digest of what the pages read besides their code (the sources of ``seglab`` and
``experiments``, and the committed JSON data in ``experiments/results`` and ``tests/data``) and
empties the cache when it changes: every page then runs again with the new code and data.

Usage: ``python tools/prewarm.py`` (``make book`` and ``make test`` run it).
"""

import hashlib
import logging
import sys
from pathlib import Path

import yaml
from jupyter_cache import get_cache
from jupyter_cache.executors import load_executor

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / "_build" / ".jupyter_cache"
STAMP = CACHE / "seglab-inputs.sha256"
SOURCES = ("seglab", "experiments")  # packages whose *.py the pages import
DATA = ("experiments/results", "tests/data")  # folders whose *.json the pages read


def inputs():
    """The files whose content a page's outputs depend on besides its own code, sorted."""
    files = [p for folder in SOURCES for p in (ROOT / folder).rglob("*.py")]
    files += [p for folder in DATA for p in (ROOT / folder).glob("*.json")]
    return sorted(files)


def inputs_digest():
    """SHA-256 of the paths and contents of :func:`inputs`."""
    digest = hashlib.sha256()
    for path in inputs():
        digest.update(path.relative_to(ROOT).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def drop_stale(cache):
    """Empty the cache if the inputs changed since it was filled (or are not on record).

    Returns the digest to record once the pages have run."""
    digest = inputs_digest()
    records = cache.list_cache_records()
    recorded = STAMP.read_text(encoding="utf-8").strip() if STAMP.exists() else None
    if records and recorded != digest:
        for record in records:
            cache.remove_cache(record.pk)
        print(f"prewarm: seglab, the experiments or their data changed since the cache was "
              f"filled: {len(records)} cached pages dropped, every page runs again")
    return digest


def toc_files(node):
    """Every ``file:`` entry of ``_toc.yml``, in order."""
    if isinstance(node, dict):
        if "file" in node:
            yield node["file"]
        for key in ("root", "parts", "chapters", "sections"):
            value = node.get(key)
            if isinstance(value, str):
                yield value
            elif isinstance(value, list):
                for item in value:
                    yield from toc_files(item)


def source(stem):
    for suffix in (".md", ".ipynb"):
        path = ROOT / f"{stem}{suffix}"
        if path.exists():
            return path
    raise FileNotFoundError(stem)


def is_notebook(path):
    """A MyST page is a notebook when its front matter declares a kernel (as myst-nb decides)."""
    if path.suffix == ".ipynb":
        return True
    text = path.read_text(encoding="utf-8")
    return text.startswith("---") and "kernelspec:" in text.split("---", 2)[1]


def main():
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    timeout = int(config.get("execute", {}).get("timeout", 600))
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    pages = [source(stem) for stem in dict.fromkeys(toc_files(toc))]
    pages = [p for p in pages if is_notebook(p)]
    cache = get_cache(str(CACHE))
    digest = drop_stale(cache)
    for page in pages:
        read_data = ({"name": "jupytext", "type": "plugin"} if page.suffix == ".md"
                     else {"name": "nbformat", "type": "plugin"})
        cache.add_nb_to_project(str(page), read_data=read_data)
    logger = logging.getLogger("prewarm")
    logging.basicConfig(level=logging.WARNING)
    executor = load_executor("local-parallel", cache, logger=logger)
    result = executor.run_and_cache(filter_uris=[str(p) for p in pages], timeout=timeout)
    failed = sorted(set(result.excepted) | set(result.errored))
    STAMP.write_text(digest + "\n", encoding="utf-8")
    print(f"prewarm: {len(pages)} pages, executed {len(result.succeeded) + len(failed)} "
          f"in parallel, {len(failed)} failed (the build will execute and report those)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
