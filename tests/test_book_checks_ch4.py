"""The check cells of chapter 4 (perfect loss, surrogate, metrics table) catch broken statements.

For a result of ``book/ch4/perfect_loss.md``, ``book/ch4/surrogate.md``,
``book/ch4/metrics_table.md``, ``book/ch4/claims.md`` or ``book/ch4/evaluate.md`` (found
through its ``:label:``), the page's code cells run in a fresh namespace up to and including
the result's check cell: once as written, where the check must pass, and once with the claim in
the check cell replaced by a wrong one, where the check cell must raise ``AssertionError``. The
experiment of ``surrogate.md`` is not re-run here (the book build runs it).
"""

import pytest
from book_checks_support import (
    BOOK,
    assert_catches_wrong_claim,
    harmless_glue,  # noqa: F401 - an autouse fixture: stubs myst_nb.glue
)

CHAPTER = BOOK / "ch4"


# (page, label, claim as written in the check cell, a wrong claim)
MUTATIONS = [
    ("perfect_loss.md", "lem-never-flips",
     "np.array_equal(lam > 1, eta > pi)", "np.array_equal(lam > 1, eta > 0.5)"),
    ("perfect_loss.md", "thm-perfect-loss",
     "assert exists == margin", "assert exists == (not margin)"),
    ("perfect_loss.md", "thm-price-of-conflict",
     "p @ ((1 - 2 * eta) * C))", "p @ ((1 - eta) * C))"),
    ("perfect_loss.md", "thm-price-of-conflict",
     "t_lam = (1 + lam * kappa * pi) / (2 + lam * kappa)",
     "t_lam = (1 + lam * kappa) / (2 + lam * kappa)"),
    ("perfect_loss.md", "prop-price-multiclass",
     "assert both.any() == bool(np.all((A & B).any(axis=1)))",
     "assert both.any() == bool(np.all((A | B).any(axis=1)))"),
    ("perfect_loss.md", "prop-label-noise-margin",
     "widths > 2 * a / (1 + 2 * a) + 1e-12", "widths > a + 1e-12"),
    ("perfect_loss.md", "lem-plugin-excess",
     "risk[k] - risk.min() <= c * p @ np.abs(f - eta) + 1e-12",
     "risk[k] - risk.min() <= 0.1 * c * p @ np.abs(f - eta) + 1e-12"),
    ("surrogate.md", "thm-plugin-dice",
     "gap <= 2 / pi * p @ np.abs(f - eta) + 1e-12",
     "gap <= 0.02 / pi * p @ np.abs(f - eta) + 1e-12"),
    ("surrogate.md", "thm-plugin-dice",
     "promised = 1 - 4 * np.exp(-2 * n_val * eps**2)",
     "promised = 1 - 4 * np.exp(-8 * n_val * eps**2)"),
    ("surrogate.md", "thm-plugin-dice",
     "delta = 4 * eps / (pi - 2 * eps)", "delta = 0.2 * eps / (pi - 2 * eps)"),
    ("perfect_loss.md", "thm-price-of-conflict",
     "assert not np.any(no_worse & better)", "assert np.any(no_worse & better)"),
    ("metrics_table.md", "prop-ch4-decomposable",
     "assert np.allclose(gains[\"iou\"], (1 / 4, 1 / 64))",
     "assert np.allclose(gains[\"iou\"], (1 / 4, 1 / 16))"),
    ("metrics_table.md", "prop-ch4-chance",
     "np.isclose(m[\"dice\"], 2 * pi * q / (pi + q))",
     "np.isclose(m[\"dice\"], pi * q / (pi + q))"),
    ("metrics_table.md", "prop-ch4-threshold",
     "assert np.isclose(s[is_top_k].max(), s.max()), name",
     "assert np.isclose(s[~is_top_k].max(), s.max()), name"),
    ("metrics_table.md", "prop-ch4-axioms",
     "assert np.isclose(d_mcc([3], [2]), 4 / 3)", "assert np.isclose(d_mcc([3], [2]), 1)"),
    ("metrics_table.md", "prop-ch4-boundary-sensitive",
     "surface.surface_dice(near, G, tolerance=3.0), 77 / 80)",
     "surface.surface_dice(near, G, tolerance=3.0), 72 / 80)"),
    ("claims.md", "prop-ch4-potts-line",
     "c_ok = np.full((3, 5), 1.2)", "c_ok = np.full((3, 5), 0.3)"),
    ("claims.md", "prop-ch4-hd95-outliers",
     "if m >= 0.05 * (n_border + m) + 1)", "if m >= 0.05 * (n_border + m) + 0)"),
    ("perfect_loss.md", "thm-price-of-conflict",
     "off_tie_agrees = (H[:, ~tie] == (eta[~tie] > e)).all(axis=1)",
     "off_tie_agrees = (H == (eta > e)).all(axis=1)"),
    ("evaluate.md", "thm-ch4-additive-counts",
     "assert sum(lesion_cases) == lesion_whole", "assert sum(lesion_cases[:-1]) == lesion_whole"),
    ("evaluate.md", "thm-ch4-additive-counts",
     "for p in parts[::-1])", "for p in parts[1:])"),
    ("evaluate.md", "prop-ch4-shard-means",
     "assert np.isclose(metrics.dice(pred2, target2), 4 / 13)",
     "assert np.isclose(metrics.dice(pred2, target2), 13 / 22)"),
    ("evaluate.md", "prop-ch4-unique-match", "eligible = iou > 0.5", "eligible = iou > 0.3"),
    ("evaluate.md", "prop-ch4-bootstrap-moments",
     "np.isclose(means.var(), sigma2 / 5)", "np.isclose(means.var(), sigma2 / 4)"),
    ("evaluate.md", "prop-ch4-paired",
     "((sa**2 + sb**2 - 2 * c_ab) / m)", "((sa**2 + sb**2 - c_ab) / m)"),
]


@pytest.mark.parametrize("page, label, claim, wrong", MUTATIONS,
                         ids=[f"{m[1]}-{i}" for i, m in enumerate(MUTATIONS)])
def test_check_passes_and_catches_a_wrong_claim(page, label, claim, wrong):
    assert_catches_wrong_claim(CHAPTER / page, label, claim, wrong)
