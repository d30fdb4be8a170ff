"""The check cells of the book catch broken statements.

Each theorem of ``book/ch1/decisions.md`` is followed by a code cell that checks it with
``assert``. These tests execute the page's code cells, in a fresh namespace, up to and including
the check cell of a theorem (found through the theorem's ``:label:``): once as written, where the
check must pass, and once with the statement broken, where the check must raise
``AssertionError``. The statement is broken either in the cell's text (a wrong threshold
substituted for the claimed one) or by monkeypatching the ``seglab.theory`` function the check
relies on so that it returns a wrong value.
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

from seglab import theory  # noqa: E402

PAGE = Path(__file__).resolve().parents[1] / "book" / "ch1" / "decisions.md"


def cells_through_check(label):
    """Sources of the page's code cells up to and including the check cell of ``label``.

    The check cell is the first code cell after the markdown cell holding ``:label: <label>``.
    """
    notebook = jupytext.read(PAGE)
    sources, seen_label = [], False
    for cell in notebook.cells:
        if cell.cell_type == "markdown" and f":label: {label}\n" in cell.source + "\n":
            seen_label = True
        elif cell.cell_type == "code":
            sources.append(cell.source)
            if seen_label:
                return sources
    raise LookupError(f"no check cell after the label {label!r} in {PAGE}")


def run_cells(sources):
    """Execute the cells in one fresh namespace, as a kernel would, and return it."""
    namespace = {"__name__": "__book_check__"}
    try:
        for index, source in enumerate(sources):
            exec(compile(source, f"{PAGE.name}[code cell {index}]", "exec"), namespace)
    finally:
        plt.close("all")
    return namespace


def assert_check_cell_fails(sources):
    """Running ``sources`` raises AssertionError, and it is raised by the last (check) cell."""
    with pytest.raises(AssertionError) as excinfo:
        run_cells(sources)
    cell_frames = [str(entry.frame.code.path) for entry in excinfo.traceback
                   if "code cell" in str(entry.frame.code.path)]
    assert cell_frames[-1].endswith(f"[code cell {len(sources) - 1}]"), cell_frames


@pytest.fixture(autouse=True)
def harmless_glue(monkeypatch):
    """``myst_nb.glue`` needs a kernel that records outputs; here it does nothing."""
    stub = types.ModuleType("myst_nb")
    stub.glue = lambda *args, **kwargs: None
    monkeypatch.setitem(sys.modules, "myst_nb", stub)


def test_bayes_cost_check_passes():
    run_cells(cells_through_check("thm-bayes-cost"))


def test_bayes_cost_check_fails_with_a_wrong_threshold(monkeypatch):
    """Thresholds 0.1 above 1/2, c_FP/(c_FP + c_FN) and pi must be caught."""
    true_threshold = theory.bayes_threshold
    monkeypatch.setattr(theory, "bayes_threshold",
                        lambda *args, **kwargs: true_threshold(*args, **kwargs) + 0.1)
    assert_check_cell_fails(cells_through_check("thm-bayes-cost"))


def test_f1_threshold_check_passes():
    namespace = run_cells(cells_through_check("thm-f1-threshold"))
    assert 0 < namespace["f1_threshold"] <= 0.5


def test_f1_threshold_check_fails_when_the_threshold_is_not_f_star_over_2():
    sources = cells_through_check("thm-f1-threshold")
    assert sources[-1].count("f_star / 2") >= 2           # the claim appears in the check
    sources[-1] = sources[-1].replace("f_star / 2", "(f_star / 2 + 0.05)")
    assert_check_cell_fails(sources)


def test_tversky_check_passes():
    run_cells(cells_through_check("thm-tversky-threshold"))


def test_tversky_check_fails_with_a_wrong_formula(monkeypatch):
    """alpha T / (1 + T (alpha + beta)) drops the -1 of the true denominator."""
    def wrong_threshold(t_star, *, alpha, beta):
        return alpha * t_star / (1 + t_star * (alpha + beta))

    monkeypatch.setattr(theory, "tversky_threshold", wrong_threshold)
    assert_check_cell_fails(cells_through_check("thm-tversky-threshold"))


def test_no_f1_consistent_loss_check_fails_with_a_wrong_critical_value():
    """The exact condition b < sqrt(w) / (1 + sqrt(w)) replaced by b < sqrt(w) / (1 + w)."""
    sources = cells_through_check("thm-no-f1-consistent-loss")
    run_cells(sources)
    broken = "sp.sqrt(w_s) / (1 + w_s)"
    sources[-1] = sources[-1].replace("sp.sqrt(w_s) / (1 + sp.sqrt(w_s))", broken)
    assert broken in sources[-1]
    assert_check_cell_fails(sources)
