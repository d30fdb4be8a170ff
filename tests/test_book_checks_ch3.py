"""The check cells of chapter 3 catch broken statements.

Each result of ``book/ch3/tv.md`` and ``book/ch3/crf.md`` is followed by a code cell that checks
it with ``assert``. These tests execute a page's code cells, in a fresh namespace, up to and
including the check cell of a result (the first code cell after its ``:label:``), once as
written (it must pass) and once with the claimed constant or formula replaced by a wrong one in
the cell's text (it must raise ``AssertionError`` in that cell). Slider cells are skipped: they
only draw.
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

BOOK = Path(__file__).resolve().parents[1] / "book" / "ch3"


def cells_through_check(page, label):
    notebook = jupytext.read(BOOK / page)
    sources, seen_label = [], False
    for cell in notebook.cells:
        if cell.cell_type == "markdown" and f":label: {label}\n" in cell.source + "\n":
            seen_label = True
        elif cell.cell_type == "code":
            if "widgets.slider(" in cell.source:
                continue
            sources.append(cell.source)
            if seen_label:
                return sources
    raise LookupError(f"no check cell after the label {label!r} in {page}")


def run_cells(sources, page):
    namespace = {"__name__": "__book_check__"}
    try:
        for index, source in enumerate(sources):
            exec(compile(source, f"{page}[code cell {index}]", "exec"), namespace)
    finally:
        plt.close("all")
    return namespace


@pytest.fixture(autouse=True)
def harmless_glue(monkeypatch):
    """``myst_nb.glue`` needs a kernel that records outputs; here it does nothing."""
    stub = types.ModuleType("myst_nb")
    stub.glue = lambda *args, **kwargs: None
    monkeypatch.setitem(sys.modules, "myst_nb", stub)


# (page, label, claimed text in the check cell, wrong replacement)
CASES = [
    ("tv.md", "prop-h1-multiplier", "1 + lam * omega2", "1 + 2 * lam * omega2"),
    ("tv.md", "prop-h1-no-jump", "1 / (2 * np.sqrt(lam))", "1 / (3 * np.sqrt(lam))"),
    ("tv.md", "thm-tv-perimeter", "4 * a * scipy.special.ellipe(1 - (b / a) ** 2)",
     "2 * np.pi * np.sqrt((a * a + b * b) / 2)"),
    ("tv.md", "lem-discrete-coarea", "tv_iso(u) < coarea_iso - 1e-6", "tv_iso(u) > coarea_iso"),
    ("tv.md", "prop-aniso-disk", "8 * r + 4", "8 * r + 2"),
    ("tv.md", "thm-rof-disk", "(1 - 2 * lam / 16)", "(1 - lam / 16)"),
    ("tv.md", "thm-rof-disk", "(-1 / R_, -R_, -2 / R_)", "(-1 / R_, -R_**2, -2 / R_)"),
    ("tv.md", "thm-grad-norm", "exact < 8", "exact < 7.9"),
    ("tv.md", "cor-small-object", "r > 2 * lam / g", "r > lam / g"),
    ("tv.md", "cor-small-object", "[2 * lam_ / g_]", "[lam_ / g_]"),
    ("crf.md", "thm-mf-coordinate", "np.diff(seq.free_energy)", "np.diff(seq.free_energy[::-1])"),
    ("crf.md", "prop-mf-parallel", "a[1::2] > 0.99", "a[1::2] > 0.9999999"),
    ("crf.md", "thm-graph-cut-binary", "d_unary[j] += t[1, 1] - t[1, 0]",
     "d_unary[j] += t[1, 1] - t[0, 1]"),
    ("crf.md", "thm-potts-np-hard", "assert energy.min() == c_star",
     "assert energy.min() == c_star + 1"),
    ("crf.md", "thm-potts-np-hard", "psi[node] = big_m", "psi[node] = 0"),
    ("crf.md", "prop-crf-length", "4 * n_sq * L - corner_term", "4 * n_sq * L"),
    ("crf.md", "prop-bilateral-edge", "colour_factor * raw_cut(k_alpha, at_colour_edge)",
     "1.1 * colour_factor * raw_cut(k_alpha, at_colour_edge)"),
]


@pytest.mark.parametrize(("page", "label", "claim", "wrong"), CASES,
                         ids=[c[1] for c in CASES])
def test_check_cell_passes_and_catches_a_wrong_claim(page, label, claim, wrong):
    sources = cells_through_check(page, label)
    assert claim in sources[-1], f"{claim!r} is not in the check cell of {label}"
    run_cells(sources, page)
    sources[-1] = sources[-1].replace(claim, wrong)
    with pytest.raises(AssertionError) as excinfo:
        run_cells(sources, page)
    frames = [str(entry.frame.code.path) for entry in excinfo.traceback
              if "code cell" in str(entry.frame.code.path)]
    assert frames[-1].endswith(f"[code cell {len(sources) - 1}]"), frames
