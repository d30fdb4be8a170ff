"""The check cells of the book catch broken statements.

Each theorem of ``book/ch1/decisions.md`` is followed by a code cell that checks it with
``assert``. These tests execute the page's code cells, in a fresh namespace, up to and including
the check cell of a theorem (found through the theorem's ``:label:``): once as written, where the
check must pass, and once with the statement broken, where the check must raise
``AssertionError``. The statement is broken either in the cell's text (a wrong threshold
substituted for the claimed one) or by monkeypatching the ``seglab.theory`` function the check
relies on so that it returns a wrong value.
"""

from book_checks_support import (
    BOOK,
    assert_check_cell_fails,
    cells_through_check,
    harmless_glue,  # noqa: F401 - an autouse fixture: stubs myst_nb.glue
    run_cells,
)

from seglab import theory

PAGE = BOOK / "ch1" / "decisions.md"


def test_bayes_cost_check_passes():
    run_cells(cells_through_check(PAGE, "thm-bayes-cost"), PAGE)


def test_bayes_cost_check_fails_with_a_wrong_threshold(monkeypatch):
    """Thresholds 0.1 above 1/2, c_FP/(c_FP + c_FN) and pi must be caught."""
    true_threshold = theory.bayes_threshold
    monkeypatch.setattr(theory, "bayes_threshold",
                        lambda *args, **kwargs: true_threshold(*args, **kwargs) + 0.1)
    assert_check_cell_fails(cells_through_check(PAGE, "thm-bayes-cost"), PAGE)


def test_f1_threshold_check_passes():
    namespace = run_cells(cells_through_check(PAGE, "thm-f1-threshold"), PAGE)
    assert 0 < namespace["f1_threshold"] <= 0.5


def test_f1_threshold_check_fails_when_the_threshold_is_not_f_star_over_2():
    sources = cells_through_check(PAGE, "thm-f1-threshold")
    assert sources[-1].count("f_star / 2") >= 2           # the claim appears in the check
    sources[-1] = sources[-1].replace("f_star / 2", "(f_star / 2 + 0.05)")
    assert_check_cell_fails(sources, PAGE)


def test_tversky_check_passes():
    run_cells(cells_through_check(PAGE, "thm-tversky-threshold"), PAGE)


def test_tversky_check_fails_with_a_wrong_formula(monkeypatch):
    """alpha T / (1 + T (alpha + beta)) drops the -1 of the true denominator."""
    def wrong_threshold(t_star, *, alpha, beta):
        return alpha * t_star / (1 + t_star * (alpha + beta))

    monkeypatch.setattr(theory, "tversky_threshold", wrong_threshold)
    assert_check_cell_fails(cells_through_check(PAGE, "thm-tversky-threshold"), PAGE)


def test_no_f1_consistent_loss_check_fails_with_a_wrong_critical_value():
    """The exact condition b < sqrt(w) / (1 + sqrt(w)) replaced by b < sqrt(w) / (1 + w)."""
    sources = cells_through_check(PAGE, "thm-no-f1-consistent-loss")
    run_cells(sources, PAGE)
    broken = "sp.sqrt(w_s) / (1 + w_s)"
    sources[-1] = sources[-1].replace("sp.sqrt(w_s) / (1 + sp.sqrt(w_s))", broken)
    assert broken in sources[-1]
    assert_check_cell_fails(sources, PAGE)
