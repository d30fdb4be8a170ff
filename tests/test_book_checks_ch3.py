"""The check cells of chapter 3 catch broken statements.

Each result of ``book/ch3/tv.md`` and ``book/ch3/crf.md`` is followed by a code cell that checks
it with ``assert``. These tests execute a page's code cells, in a fresh namespace, up to and
including the check cell of a result (the first code cell after its ``:label:``), once as
written (it must pass) and once with the claimed constant or formula replaced by a wrong one in
the cell's text (it must raise ``AssertionError`` in that cell). Slider cells are skipped: they
only draw.
"""

import pytest
from book_checks_support import (
    BOOK,
    assert_catches_wrong_claim,
    harmless_glue,  # noqa: F401 - an autouse fixture: stubs myst_nb.glue
)

CHAPTER = BOOK / "ch3"


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
    ("crf.md", "thm-mf-coordinate", "for j in range(n_sites) if j != site)",
     "for j in range(n_sites))"),
    ("crf.md", "prop-crf-length", "dyb, dxb) / (4 * n)", "dyb, dxb) / (4.4 * n)"),
    ("crf.md", "prop-crf-length", "L1_an * v_pairs + L2_an * h_pairs",
     "L2_an * v_pairs + L1_an * h_pairs"),
]


@pytest.mark.parametrize(("page", "label", "claim", "wrong"), CASES,
                         ids=[c[1] for c in CASES])
def test_check_cell_passes_and_catches_a_wrong_claim(page, label, claim, wrong):
    assert_catches_wrong_claim(CHAPTER / page, label, claim, wrong, skip_sliders=True)
