"""The check cells of chapter 2 catch broken statements.

For a result of ``book/ch2/proper.md`` or ``book/ch2/region.md`` (found through its ``:label:``),
the page's code cells run in a fresh namespace up to and including the result's check cell: once as
written, where the check must pass, and once with the claim in the check cell replaced by a wrong
one (a wrong threshold, constant or formula), where the check cell must raise ``AssertionError``.
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

BOOK = Path(__file__).resolve().parents[1] / "book" / "ch2"


def cells_through_check(page, label):
    """Sources of the page's code cells up to and including the first code cell after ``label``."""
    notebook = jupytext.read(BOOK / page)
    sources, seen_label = [], False
    for cell in notebook.cells:
        if cell.cell_type == "markdown" and f":label: {label}\n" in cell.source + "\n":
            seen_label = True
        elif cell.cell_type == "code":
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


# (page, label, claim as written in the check cell, a wrong claim)
MUTATIONS = [
    ("proper.md", "prop-weighted-ce",
     "sp.simplify(threshold - w0 / (w0 + w1)) == 0",
     "sp.simplify(threshold - w1 / (w0 + w1)) == 0"),
    ("proper.md", "thm-ce-excess",
     "excess_01 <= np.sqrt(2 * excess_ce)", "excess_01 <= excess_ce"),
    ("proper.md", "thm-focal-minimiser",
     "abs(q09 - 0.694) < 5e-4", "abs(q09 - 0.9) < 5e-4"),
    ("proper.md", "thm-focal-alpha",
     "abs(lo - (1 - alpha)) < 1e-9", "abs(lo - alpha) < 1e-9"),
    ("proper.md", "prop-ce-bound",
     "np.all(ce_bits >= wrong - 1e-12)", "np.all(ce_bits >= 2 * wrong - 1e-12)"),
    ("proper.md", "thm-calibration",
     "assert np.isclose(h, h_minus)", "assert h_minus > h + 1e-4"),
    ("proper.md", "thm-ce-excess",
     "excess_01 / np.sqrt(2 * excess_ce) > 1 - eps",
     "excess_01 / np.sqrt(4 * excess_ce) > 1 - eps"),
    ("proper.md", "lem-focal-convex",
     "np.all(np.diff(f_vals, 2) > 0)", "np.all(np.diff(f_vals, 2) < 0)"),
    ("proper.md", "thm-focal-minimiser",
     "(eta_grid[low_half] < q_star[low_half])", "(eta_grid[low_half] > q_star[low_half])"),
    ("proper.md", "prop-focal-multiclass",
     "abs(q_tie[0] - q_tie[1]) < 1e-5", "abs(q_tie[0] - q_tie[2]) < 1e-5"),
    ("region.md", "prop-soft-dice-gradient",
     "2 / total * (gs[i] - sd_sym / 2)", "2 / total * (gs[i] - sd_sym)"),
    ("region.md", "prop-empty-mask",
     "eps_s / (m_s + eps_s) ** 2) == 0", "eps_s / (m_s + eps_s)) == 0"),
    ("region.md", "thm-volume-bias",
     "vol1 < exp1 and vol2 > exp2", "vol1 > exp1 or vol2 < exp2"),
    ("region.md", "prop-soft-labels",
     "np.isclose(soft_dice(np.ones(n), half), 2 / 3)",
     "np.isclose(soft_dice(np.ones(n), half), 1 / 2)"),
    ("region.md", "lem-jaccard-submodular",
     "assert gain_a >= gain_b - 1e-15", "assert gain_a <= gain_b + 1e-15"),
    ("region.md", "thm-boundary-identity",
     "np.abs(phi_g[S ^ G]).sum()", "np.abs(phi_g[S | G]).sum()"),
    ("region.md", "prop-boundary-small",
     "ratios.append(reward / (np.pi * r**3 / 3))", "ratios.append(reward / (np.pi * r**3 / 2))"),
]


@pytest.mark.parametrize("page, label, claim, wrong", MUTATIONS,
                         ids=[m[1] for m in MUTATIONS])
def test_check_passes_and_catches_a_wrong_claim(page, label, claim, wrong):
    sources = cells_through_check(page, label)
    assert claim in sources[-1], f"the claim {claim!r} is not in the check cell of {label}"
    run_cells(sources, page)
    sources[-1] = sources[-1].replace(claim, wrong)
    with pytest.raises(AssertionError) as excinfo:
        run_cells(sources, page)
    frames = [str(entry.frame.code.path) for entry in excinfo.traceback
              if "code cell" in str(entry.frame.code.path)]
    assert frames[-1].endswith(f"[code cell {len(sources) - 1}]"), frames
