"""The sample-ratio tests against SciPy (chi-square, Dirichlet-multinomial pmf), and CUPED
against a direct least-squares regression."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from mlgate.checks.online.cuped import Moments, difference
from mlgate.stats.srm import srm_chisquare, srm_sequential


@pytest.mark.parametrize(
    ("counts", "shares"),
    [
        ([5_010, 4_990], [0.5, 0.5]),
        ([101_010, 98_990], [0.5, 0.5]),
        ([9_400, 600], [0.95, 0.05]),
        ([300, 350, 350], [0.3, 0.35, 0.35]),
        ([0, 10], [0.5, 0.5]),
    ],
)
def test_chisquare_is_scipys(counts, shares):
    ours = srm_chisquare(counts, shares)
    ref = stats.chisquare(counts, f_exp=np.sum(counts) * np.asarray(shares))
    assert ours.statistic == pytest.approx(ref.statistic, rel=1e-12)
    assert ours.p_value == pytest.approx(ref.pvalue, rel=1e-9, abs=1e-300)


def test_a_planted_mismatch_of_50_to_49_at_200k_units_is_caught():
    """The issue's case: shares 50/99 and 49/99 of 200 000 units. At the expected counts both
    tests hold the stage; over random draws of such an experiment the chi-square catches it
    about 88% of the time, the anytime-valid test about 62% (measured on 1 000 draws)."""
    expected = [98_990, 101_010]
    assert srm_chisquare(expected, [0.5, 0.5]).p_value < 1e-5
    assert srm_sequential(expected, [0.5, 0.5]).p_value < 0.001
    rng = np.random.default_rng(5)
    caught_chi = caught_seq = 0
    for _ in range(200):
        treated = rng.binomial(200_000, 50 / 99)
        counts = [200_000 - treated, treated]
        caught_chi += srm_chisquare(counts, [0.5, 0.5]).p_value < 0.001
        caught_seq += srm_sequential(counts, [0.5, 0.5]).p_value < 0.001
    assert caught_chi / 200 >= 0.8
    assert caught_seq / 200 >= 0.5


@pytest.mark.parametrize(
    ("counts", "shares"), [([530, 470], [0.5, 0.5]), ([60, 25, 15], [0.5, 0.3, 0.2])]
)
def test_sequential_bayes_factor_is_the_dirichlet_multinomial_over_the_multinomial(counts, shares):
    """BF = P(counts | Dirichlet-multinomial) / P(counts | multinomial at the design): the
    multinomial coefficients cancel, so SciPy's two pmfs give it independently."""
    a = 10_000.0 * np.asarray(shares)
    n = int(np.sum(counts))
    log_bf = stats.dirichlet_multinomial.logpmf(counts, a, n) - stats.multinomial.logpmf(
        counts, n, shares
    )
    assert srm_sequential(counts, shares).statistic == pytest.approx(log_bf, rel=1e-9)


def test_sequential_srm_false_alarms_stay_below_alpha_under_peeking():
    """300 correctly split experiments, looked at after every 500 of 50 000 units."""
    rng = np.random.default_rng(8)
    alarms = 0
    looks = np.arange(500, 50_001, 500)
    for _ in range(300):
        treated = np.cumsum(rng.random(50_000) < 0.5)[looks - 1]
        alarms += any(
            srm_sequential([n - t, t], [0.5, 0.5]).p_value < 0.01
            for n, t in zip(looks, treated, strict=True)
        )
    assert alarms / 300 <= 0.01 + 3 * math.sqrt(0.01 * 0.99 / 300)


def test_bad_counts_or_shares_are_refused():
    with pytest.raises(ValueError, match="sum to 1"):
        srm_chisquare([10, 10], [0.5, 0.6])
    with pytest.raises(ValueError, match="non-negative"):
        srm_chisquare([-1, 10], [0.5, 0.5])


# -- CUPED --------------------------------------------------------------------------------------
def _experiment(n=4_000, seed=0, effect=0.3):
    rng = np.random.default_rng(seed)
    arm = (rng.random(n) < 0.5).astype(int)
    x = rng.gamma(2.0, 1.5, n)
    y = 1.0 + effect * arm + 0.8 * x + rng.normal(size=n)
    return arm, y, x


def test_cuped_difference_is_the_arm_coefficient_of_least_squares():
    arm, y, x = _experiment()
    d = difference(Moments.of(arm, y, x), cuped=True)
    design = np.column_stack([np.ones_like(y), arm, x])
    coef = np.linalg.lstsq(design, y, rcond=None)[0]
    assert d.value == pytest.approx(coef[1], rel=1e-10)
    assert d.theta == pytest.approx(coef[2], rel=1e-10)


def test_cuped_variance_is_the_residual_variance_per_arm():
    """Computed directly: each arm's sample variance of y − θx, over its units."""
    arm, y, x = _experiment(seed=1)
    d = difference(Moments.of(arm, y, x), cuped=True)
    adj = y - d.theta * x
    direct = sum(adj[arm == a].var(ddof=1) / (arm == a).sum() for a in (0, 1))
    plain = sum(y[arm == a].var(ddof=1) / (arm == a).sum() for a in (0, 1))
    assert d.variance == pytest.approx(direct, rel=1e-10)
    assert d.variance_reduction == pytest.approx(1 - direct / plain, rel=1e-10)
    # About corr(x, y)² within arms, here ~0.8.
    rho = np.corrcoef(x[arm == 0], y[arm == 0])[0, 1]
    assert d.variance_reduction == pytest.approx(rho**2, abs=0.03)


def test_without_cuped_it_is_the_welch_difference():
    arm, y, _ = _experiment(seed=2)
    d = difference(Moments.of(arm, y))
    t, c = y[arm == 1], y[arm == 0]
    assert d.value == pytest.approx(t.mean() - c.mean(), rel=1e-12)
    assert d.variance == pytest.approx(t.var(ddof=1) / len(t) + c.var(ddof=1) / len(c), rel=1e-10)
    welch = stats.ttest_ind(t, c, equal_var=False)
    assert d.value / math.sqrt(d.variance) == pytest.approx(welch.statistic, rel=1e-10)


def test_relative_difference_uses_the_delta_method():
    arm, y, _ = _experiment(seed=3)
    d = difference(Moments.of(arm, y), relative=True)
    t, c = y[arm == 1], y[arm == 0]
    vt, vc = t.var(ddof=1) / len(t), c.var(ddof=1) / len(c)
    assert d.value == pytest.approx(t.mean() / c.mean() - 1, rel=1e-12)
    assert d.variance == pytest.approx(vt / c.mean() ** 2 + t.mean() ** 2 * vc / c.mean() ** 4)


def test_moments_merged_in_any_split_equal_the_whole():
    arm, y, x = _experiment(n=3_001, seed=4)
    whole = Moments.of(arm, y, x)
    for cuts in ([1_000, 2_000], [7], [1_500, 1_501, 2_999]):
        merged = Moments.empty()
        for part in np.split(np.arange(len(y)), cuts):
            merged = merged.merge(Moments.of(arm[part], y[part], x[part]))
        for name in ("n", "mean_y", "m2_y", "mean_x", "m2_x", "c_xy"):
            np.testing.assert_allclose(getattr(merged, name), getattr(whole, name), rtol=1e-10)
