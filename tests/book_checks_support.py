"""Helpers of the book-check tests: run a page's code cells up to a result's check cell.

A result of a book page (found through its ``:label:``) is followed by a code cell that checks it
with ``assert``. ``cells_through_check`` extracts the page's code cells up to and including that
check cell, ``run_cells`` executes them in one fresh namespace as a kernel would, and
``assert_check_cell_fails`` asserts that they raise ``AssertionError`` in the check cell itself.
``assert_catches_wrong_claim`` runs a check as written (it must pass), then with a claim in its
text replaced by a wrong one (it must fail).

Imported by the ``test_book_checks*.py`` modules; ``conftest.py`` puts this folder on
``sys.path`` (pytest runs with ``--import-mode=importlib``). A module that imports it is skipped
when jupytext, matplotlib or sympy is missing. The autouse fixture ``harmless_glue`` applies to
a module that imports it.
"""

import sys
import types
from pathlib import Path

import pytest

jupytext = pytest.importorskip("jupytext")
matplotlib = pytest.importorskip("matplotlib")
pytest.importorskip("sympy")
matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402

BOOK = Path(__file__).resolve().parents[1] / "book"


def cells_through_check(page, label, *, skip_sliders=False):
    """Sources of the code cells of ``page`` up to and including the check cell of ``label``.

    The check cell is the first code cell after the markdown cell holding ``:label: <label>``.
    With ``skip_sliders``, the code cells that call ``widgets.slider(`` are left out (they only
    draw).
    """
    notebook = jupytext.read(page)
    sources, seen_label = [], False
    for cell in notebook.cells:
        if cell.cell_type == "markdown" and f":label: {label}\n" in cell.source + "\n":
            seen_label = True
        elif cell.cell_type == "code":
            if skip_sliders and "widgets.slider(" in cell.source:
                continue
            sources.append(cell.source)
            if seen_label:
                return sources
    raise LookupError(f"no check cell after the label {label!r} in {page}")


def run_cells(sources, page):
    """Execute the cells in one fresh namespace, as a kernel would, and return it.

    Cell ``i`` runs under the file name ``<page name>[code cell i]``, so a traceback names it.
    """
    namespace = {"__name__": "__book_check__"}
    try:
        for index, source in enumerate(sources):
            exec(compile(source, f"{Path(page).name}[code cell {index}]", "exec"), namespace)
    finally:
        plt.close("all")
    return namespace


def assert_check_cell_fails(sources, page):
    """Running ``sources`` raises AssertionError, and it is raised by the last (check) cell."""
    with pytest.raises(AssertionError) as excinfo:
        run_cells(sources, page)
    cell_frames = [str(entry.frame.code.path) for entry in excinfo.traceback
                   if "code cell" in str(entry.frame.code.path)]
    assert cell_frames[-1].endswith(f"[code cell {len(sources) - 1}]"), cell_frames


def assert_catches_wrong_claim(page, label, claim, wrong, *, skip_sliders=False):
    """The check cell of ``label`` passes as written and fails with ``claim`` made ``wrong``.

    ``claim`` must appear in the text of the check cell; every occurrence is replaced.
    """
    sources = cells_through_check(page, label, skip_sliders=skip_sliders)
    assert claim in sources[-1], f"the claim {claim!r} is not in the check cell of {label}"
    run_cells(sources, page)
    sources[-1] = sources[-1].replace(claim, wrong)
    assert_check_cell_fails(sources, page)


@pytest.fixture(autouse=True)
def harmless_glue(monkeypatch):
    """``myst_nb.glue`` needs a kernel that records outputs; here it does nothing."""
    stub = types.ModuleType("myst_nb")
    stub.glue = lambda *args, **kwargs: None
    monkeypatch.setitem(sys.modules, "myst_nb", stub)
