"""Paired tests: McNemar (vs SciPy's binomial test, a hand-computed case, statsmodels when
installed), Tango's score test, DeLong for two correlated AUCs, the paired bootstrap."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import optimize
from scipy.stats import binomtest, chi2

from mlgate.stats.bootstrap import bootstrap_interval
from mlgate.stats.metrics import get_metric
from mlgate.stats.paired import (
    bootstrap_p_greater,
    delong_paired,
    mcnemar,
    paired_difference,
    tango_constrained_p21,
    tango_interval,
    tango_z,
)


def correctness(b: int, c: int, both: int = 5, neither: int = 3):
    """Per-row correctness of A and B with b rows only A got right and c only B."""
    a = np.r_[np.ones(b), np.zeros(c), np.ones(both), np.zeros(neither)].astype(bool)
    bb = np.r_[np.zeros(b), np.ones(c), np.ones(both), np.zeros(neither)].astype(bool)
    return a, bb


def test_mcnemar_exact_on_a_hand_computed_case():
    # 6 rows only A got right, 1 only B: P(X >= 6 | 7, 1/2) = (C(7,6) + C(7,7)) / 2^7 = 8/128.
    res = mcnemar(*correctness(6, 1))
    assert (res.b, res.c, res.method) == (6, 1, "McNemar exact binomial")
    assert res.p_greater == pytest.approx(8 / 128)
    assert res.p_two_sided == pytest.approx(16 / 128)


@pytest.mark.parametrize(("b", "c"), [(0, 3), (5, 5), (12, 4), (2, 20)])
def test_mcnemar_exact_matches_scipy_binomtest(b, c):
    res = mcnemar(*correctness(b, c))
    assert res.p_greater == pytest.approx(binomtest(b, b + c, 0.5, alternative="greater").pvalue)
    assert res.p_two_sided == pytest.approx(binomtest(b, b + c, 0.5).pvalue)


def test_mcnemar_with_many_discordant_rows_is_the_corrected_chi_square():
    res = mcnemar(*correctness(30, 15))
    assert res.method == "McNemar chi-square (corrected)"
    assert res.p_two_sided == pytest.approx(chi2.sf((15 - 1) ** 2 / 45, 1))
    assert res.p_greater == pytest.approx(0.0184, abs=1e-4)  # Φ(−14/√45)


@pytest.mark.parametrize(("b", "c"), [(6, 1), (30, 15), (0, 0)])
def test_mcnemar_matches_statsmodels(b, c):
    tables = pytest.importorskip("statsmodels.stats.contingency_tables")
    ours = mcnemar(*correctness(b, c))
    table = [[5, b], [c, 3]]
    exact = b + c < 25
    ref = tables.mcnemar(table, exact=exact, correction=True)
    assert ours.p_two_sided == pytest.approx(ref.pvalue if b + c else 1.0)


def test_no_discordant_rows_is_no_evidence():
    res = mcnemar(*correctness(0, 0))
    assert (res.p_greater, res.p_two_sided) == (1.0, 1.0)


# -- Tango ----------------------------------------------------------------------------------
@pytest.mark.parametrize(("b", "c", "n"), [(10, 4, 100), (3, 0, 30), (30, 45, 1000), (0, 5, 20)])
def test_tango_at_zero_margin_is_mcnemars_z(b, c, n):
    assert tango_z(b, c, n, 0.0) == pytest.approx((b - c) / np.sqrt(b + c))


@pytest.mark.parametrize(("b", "c", "n"), [(10, 4, 100), (0, 0, 50), (30, 45, 1000), (0, 5, 20)])
@pytest.mark.parametrize("delta0", [-0.05, -0.01, 0.02])
def test_tango_constrained_mle_maximises_the_likelihood(b, c, n, delta0):
    def neg_log_lik(q):
        p12, rest = q + delta0, 1 - 2 * q - delta0
        if q <= 0 or p12 <= 0 or rest <= 0:
            return 1e18
        return -(b * np.log(p12) + c * np.log(q) + (n - b - c) * np.log(rest))

    lo, hi = max(0.0, -delta0) + 1e-12, (1 - delta0) / 2 - 1e-12
    ref = optimize.minimize_scalar(
        neg_log_lik, bounds=(lo, hi), method="bounded", options={"xatol": 1e-12}
    )
    assert tango_constrained_p21(b, c, n, delta0) == pytest.approx(ref.x, abs=1e-6)


def test_tango_interval_contains_the_estimate_and_inverts_the_test():
    b, c, n = 18, 7, 200
    ci = tango_interval(b, c, n, 0.95)
    assert ci.low < (b - c) / n < ci.high
    assert tango_z(b, c, n, ci.low) == pytest.approx(1.959964, abs=1e-6)
    assert tango_z(b, c, n, ci.high) == pytest.approx(-1.959964, abs=1e-6)


def test_tango_interval_without_discordant_rows():
    # Tango's interval for b = c = 0 is ±z²/(n + z²).
    z2 = 1.959964**2
    ci = tango_interval(0, 0, 50)
    assert (ci.low, ci.high) == pytest.approx((-z2 / (50 + z2), z2 / (50 + z2)), abs=1e-6)


# -- DeLong for two correlated AUCs ---------------------------------------------------------
def _brute_paired(positive, a, b):
    def components(s):
        x, y = s[positive], s[~positive]
        psi = (x[:, None] > y[None, :]) + 0.5 * (x[:, None] == y[None, :])
        return psi.mean(), psi.mean(axis=1), psi.mean(axis=0)

    (ta, a10, a01), (tb, b10, b01) = components(a), components(b)
    s10 = np.cov(np.vstack([a10, b10]))
    s01 = np.cov(np.vstack([a01, b01]))
    var = (s10[0, 0] + s10[1, 1] - 2 * s10[0, 1]) / len(a10) + (
        s01[0, 0] + s01[1, 1] - 2 * s01[0, 1]
    ) / len(a01)
    return ta - tb, np.sqrt(var)


def test_paired_delong_matches_the_covariance_formula():
    rng = np.random.default_rng(0)
    positive = rng.random(200) < 0.4
    a = (positive + rng.normal(0, 1, 200)).round(1)
    b = (a + rng.normal(0, 0.7, 200)).round(1)  # correlated with a
    res = delong_paired(positive, a, b)
    diff, se = _brute_paired(positive, a, b)
    assert (res.difference, res.se) == pytest.approx((diff, se), rel=1e-10)


def test_paired_delong_agrees_with_the_paired_bootstrap():
    rng = np.random.default_rng(1)
    y = rng.integers(0, 2, 1500)
    a = y + rng.normal(0, 1.0, 1500)
    b = 0.8 * a + rng.normal(0, 0.6, 1500)
    res = delong_paired(y == 1, a, b)
    metric = get_metric("roc_auc")
    diff = paired_difference(
        metric.statistic(y, np.column_stack([1 - a, a]), 2),
        metric.statistic(y, np.column_stack([1 - b, b]), 2),
    )
    assert diff.value == pytest.approx(res.difference, abs=1e-12)
    boot = bootstrap_interval(diff, rng=np.random.default_rng(2), n_resamples=2000)
    assert boot.standard_error == pytest.approx(res.se, rel=0.1)


def test_paired_difference_uses_the_same_rows_for_both_models():
    rng = np.random.default_rng(5)
    y = rng.integers(0, 2, 40)
    pa, pb = rng.integers(0, 2, 40), rng.integers(0, 2, 40)
    metric = get_metric("accuracy")
    sa, sb = metric.statistic(y, pa, 2), metric.statistic(y, pb, 2)
    diff = paired_difference(sa, sb)
    w = rng.integers(0, 3, (4, 40)).astype(float)  # row weights
    joint = np.stack([np.bincount(diff.row_cell, r, minlength=diff.n_cells) for r in w])
    expected = [
        metric.compute(np.repeat(y, r.astype(int)), np.repeat(pa, r.astype(int)), 2)
        - metric.compute(np.repeat(y, r.astype(int)), np.repeat(pb, r.astype(int)), 2)
        for r in w
    ]
    np.testing.assert_allclose(diff.batch(joint), expected, atol=1e-12)
    loo = diff.jackknife()
    keep = np.arange(40) != 7
    assert loo[diff.row_cell[7]] == pytest.approx(
        metric.compute(y[keep], pa[keep], 2) - metric.compute(y[keep], pb[keep], 2)
    )


def test_bootstrap_p_value_is_the_share_at_or_below_the_boundary():
    values = np.array([-0.1, 0.0, 0.05, 0.2, np.nan])
    assert bootstrap_p_greater(values, 0.0) == pytest.approx((2 + 1) / (4 + 1))
    assert bootstrap_p_greater(np.array([np.nan]), 0.0) is None
