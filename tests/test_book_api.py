"""The API reference of the BUILT book lists every public name of every public module.

``book/api/*.md`` generate one page per public module from the docstrings (autodoc with
numpydoc). A name in a module's ``__all__`` that the reference does not show, or a public
module without a reference page, fails here. ``make test`` builds the book before pytest;
without a build these tests are skipped (``make test`` fails them).
"""

import importlib
import importlib.util
import pkgutil
from pathlib import Path

import pytest
from browser_support import skip_or_fail
from bs4 import BeautifulSoup

import seglab

ROOT = Path(__file__).resolve().parents[1]
API = ROOT / "_build" / "html" / "book" / "api"
OPTIONAL = {"seglab.torch": "torch", "seglab.torch_models": "torch"}
MODULES = sorted(
    info.name for info in pkgutil.walk_packages(seglab.__path__, prefix="seglab.")
    if not any(part.startswith("_") for part in info.name.split("."))
    and info.name.count(".") == 1 or info.name.startswith("seglab.viz.")
)
# Submodules of a package are documented through the package's page (its __all__).
PACKAGED = {"seglab.postprocess"}
MODULES = [m for m in MODULES if not any(m.startswith(p + ".") for p in PACKAGED)]


def _page(module):
    """The reference page of a module: book/api/<name>.html, viz modules on viz.html."""
    parts = module.split(".")
    return API / f"{parts[1]}.html"


def _documented_ids(page):
    if not page.exists():
        skip_or_fail(f"the book is not built ({page} is missing): run `make book`")
    soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
    return {dt.get("id") for dt in soup.select("dt[id]")}


@pytest.mark.parametrize("module", MODULES)
def test_every_public_name_is_in_the_reference(module):
    if module in OPTIONAL and importlib.util.find_spec(OPTIONAL[module]) is None:
        pytest.skip(f"{module} needs {OPTIONAL[module]} (`make test` installs it)")
    names = importlib.import_module(module).__all__
    ids = _documented_ids(_page(module))
    missing = [name for name in names if f"{module}.{name}" not in ids]
    assert not missing, f"{module}: not in the API reference: {missing}"


def test_every_public_module_has_a_page():
    pages = {path.stem for path in (ROOT / "book" / "api").glob("*.md")}
    for module in MODULES:
        assert module.split(".")[1] in pages, f"{module} has no page in book/api"


def _api_links():
    import importlib.util as util

    spec = util.spec_from_file_location("api_links", ROOT / "tools" / "api_links.py")
    module = util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_chapter_pages_link_the_api_they_use():
    """Each chapter page's summary links every public seglab name its code uses, and no other
    (``python tools/api_links.py --write`` rewrites the paragraphs)."""
    api_links = _api_links()
    stale = [str(path.relative_to(ROOT)) for path in api_links.chapter_pages()
             if api_links.expected_text(path) != path.read_text(encoding="utf-8")]
    assert not stale, f"run `python tools/api_links.py --write`: stale API links on {stale}"
    linked = sum(len(api_links.used_names(path)) for path in api_links.chapter_pages())
    assert linked > 100, f"only {linked} API links on the chapter pages"
