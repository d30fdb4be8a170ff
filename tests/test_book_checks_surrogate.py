"""The check cells of the Dinkelbach-weighted cross-entropy (book/ch4/surrogate.md) catch errors.

For each result (found through its ``:label:``) the page's code cells run in a fresh namespace up
to and including the result's check cell: once as written, where the check must pass, and once
with a claim of the check cell replaced by a wrong one, where the check cell must raise
``AssertionError``. The experiment comes after these checks and is not run here.
"""

import pytest
from book_checks_support import (
    BOOK,
    assert_catches_wrong_claim,
    harmless_glue,  # noqa: F401 - an autouse fixture: stubs myst_nb.glue
)

PAGE = BOOK / "ch4" / "surrogate.md"

# (label, claim as written in the check cell, a wrong claim)
MUTATIONS = [
    ("prop-ch4-macro",
     "np.max((phi + phi[::-1]) / 2) <= 0.5 + 1e-12",
     "np.max((phi + phi[::-1]) / 2) <= 0.4 + 1e-12"),
    ("prop-ch4-macro",
     "assert exclusive_macro.max() <= 0.5 + 1e-12",
     "assert exclusive_macro.max() <= 0.45 + 1e-12"),
    ("lem-ch4-weighted-ce",
     "bound = np.sqrt(2 * max(tau, 1 - tau) * excess)",
     "bound = np.sqrt(0.2 * max(tau, 1 - tau) * excess)"),
    ("lem-ch4-weighted-ce",
     "wrong = (f > 0.5) != (eta > tau)", "wrong = (f > 0.5) != (eta > 0.5)"),
    ("thm-ch4-dinkelbach-transfer",
     "bound = (kappa * regret + abs(t_star - lam)) / (beta * pi)",
     "bound = (kappa * regret + abs(t_star - lam)) / pi"),
    ("thm-ch4-dinkelbach-transfer",
     "assert np.all((gap > 0) == (lams < t_star - 1e-12))",
     "assert np.all((gap > 0) == (lams < 0.9 * t_star))"),
    ("thm-ch4-dinkelbach-iteration",
     "rho = beta * pi / (pi + alpha * (1 - pi))", "rho = 3 * beta * pi / (pi + alpha * (1 - pi))"),
    ("thm-ch4-dinkelbach-iteration",
     "step_bound = (1 - rho) * e_k + 2 * np.sqrt(2 * excess) / (beta * pi)",
     "step_bound = (1 - rho) * e_k + 0.02 * np.sqrt(2 * excess) / (beta * pi)"),
    ("prop-ch4-pooled-image",
     "assert R(190, 198) / 2 > R(3, 10)", "assert R(190, 198) / 2 < R(3, 10)"),
    ("prop-ch4-pooled-image",
     "np.testing.assert_allclose(grad, 0.2 * 1 / (1 + np.exp(-logits)), rtol=1e-12)",
     "np.testing.assert_allclose(grad, 0.4 * 1 / (1 + np.exp(-logits)), rtol=1e-12)"),
    ("prop-ch4-soft-weight-fails",
     "assert soft_dice_fixed_gap(R(1, 4)) > 0 > soft_dice_fixed_gap(R(13, 50))",
     "assert soft_dice_fixed_gap(R(1, 5)) > 0 > soft_dice_fixed_gap(R(1, 4))"),
    ("prop-ch4-soft-weight-fails",
     "<= best_dice(p, eta) + 1e-12", "<= 0.9 * best_dice(p, eta) + 1e-12"),
    ("prop-ch4-ce-dice",
     "t = (2 + c * s) / (2 * (2 + c))", "t = (2 + c * s) / (2 * (1 + c))"),
    ("prop-ch4-ce-dice",
     "assert np.array_equal(q > eta, eta > s / 2)", "assert np.array_equal(q > eta, eta > 0.5)"),
    ("prop-ch4-ce-dice",
     "assert np.all(q < 0.5) and np.ptp(q) < 1e-6", "assert np.all(q > 0.5) and np.ptp(q) < 1e-6"),
    ("prop-ch4-ce-dice",
     "q0 * (1 - q0) / (q0 + pi) ** 2) < 1e-7", "q0 * (1 - q0) / (q0 + pi) ** 3) < 1e-7"),
    ("thm-ch4-upper-bounds",
     "assert hard <= (1 + beta) / beta * soft + 1e-12", "assert hard <= 2 * soft + 1e-12"),
    ("thm-ch4-upper-bounds",
     "assert err <= 2**2 * focal / log2 + 1e-12", "assert err <= 2 * focal / log2 + 1e-12"),
    ("thm-ch4-upper-bounds",
     "w[1] * log2 / n)", "w[0] * log2 / n)"),
    ("thm-ch4-upper-bounds",
     "assert 1 - inter / union <= lovasz + 1e-12",
     "assert 1 - inter / union <= 0.5 * lovasz + 1e-12"),
]


@pytest.mark.parametrize("label, claim, wrong", MUTATIONS,
                         ids=[f"{m[0]}-{i}" for i, m in enumerate(MUTATIONS)])
def test_check_passes_and_catches_a_wrong_claim(label, claim, wrong):
    assert_catches_wrong_claim(PAGE, label, claim, wrong)
