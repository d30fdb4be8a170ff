"""The check cells of chapter 2 catch broken statements.

For a result of ``book/ch2/proper.md`` or ``book/ch2/region.md`` (found through its ``:label:``),
the page's code cells run in a fresh namespace up to and including the result's check cell: once as
written, where the check must pass, and once with the claim in the check cell replaced by a wrong
one (a wrong threshold, constant or formula), where the check cell must raise ``AssertionError``.
"""

import pytest
from book_checks_support import (
    BOOK,
    assert_catches_wrong_claim,
    harmless_glue,  # noqa: F401 - an autouse fixture: stubs myst_nb.glue
)

CHAPTER = BOOK / "ch2"


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
    ("proper.md", "thm-calibration",
     "criterion = abs(right - left) < 1e-4 and right < -1e-4", "criterion = right < -1e-4"),
    ("region.md", "prop-batch-gradient",
     "-2 / (len(images) * S_j)", "-2 / S_j"),
    ("region.md", "prop-multiclass-dice",
     "return w_k * s / np.sum(w_k * s)", "return w_k / np.sum(w_k)"),
    ("region.md", "prop-multiclass-dice",
     "np.isclose(loss_gd, weights_at_g @ loss_k, rtol=1e-2)",
     "np.isclose(loss_gd, (sizes_k / n_pix) @ loss_k, rtol=1e-2)"),
]


@pytest.mark.parametrize("page, label, claim, wrong", MUTATIONS,
                         ids=[m[1] for m in MUTATIONS])
def test_check_passes_and_catches_a_wrong_claim(page, label, claim, wrong):
    assert_catches_wrong_claim(CHAPTER / page, label, claim, wrong)
