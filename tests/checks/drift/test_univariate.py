"""The per-column statistics against SciPy (to 1e-9) and hand-computed cases; merged state
equals one pass."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from scipy.spatial.distance import jensenshannon
from scipy.stats.contingency import association

from mlgate.checks.drift.effect import cramers_v, flagged, jensen_shannon, psi
from mlgate.checks.drift.univariate import (
    CategoryCounts,
    SortedSample,
    chi2_two_sample,
    compare_categorical,
    compare_numeric,
    ks_from_sorted,
    quantile_edges,
)


@pytest.mark.parametrize(
    ("n1", "n2", "shift", "decimals"),
    [
        (5, 7, 0.0, None),
        (60, 45, 0.3, None),
        (500, 800, 0.1, 1),  # many ties
        (3000, 3000, 0.0, 2),
        (12000, 15000, 0.05, None),  # asymptotic branch
        (20000, 11000, 0.0, 3),
    ],
)
def test_ks_and_wasserstein_agree_with_scipy(n1, n2, shift, decimals):
    rng = np.random.default_rng(n1 + n2)
    a, b = rng.normal(size=n1), rng.normal(shift, 1.3, size=n2)
    if decimals is not None:
        a, b = a.round(decimals), b.round(decimals)
    d, p, w = ks_from_sorted(np.sort(a), np.sort(b))
    ref = stats.ks_2samp(a, b)
    assert d == pytest.approx(ref.statistic, abs=1e-12)
    assert p == pytest.approx(ref.pvalue, rel=1e-9, abs=1e-12)
    assert w == pytest.approx(stats.wasserstein_distance(a, b), rel=1e-9, abs=1e-12)


def test_ks_of_identical_samples_is_zero_with_p_one():
    x = np.sort(np.random.default_rng(0).normal(size=200))
    d, p, w = ks_from_sorted(x, x)
    assert (d, w) == (0.0, 0.0) and p == pytest.approx(1.0)


def test_ks_needs_values():
    with pytest.raises(ValueError, match="at least one"):
        ks_from_sorted(np.empty(0), np.ones(3))


@pytest.mark.parametrize(
    ("ref", "cur"),
    [
        ([10, 20, 30], [15, 15, 40]),
        ([120, 80], [100, 100]),  # 2 x 2: Yates' correction, as SciPy
        ([5, 0, 7, 1], [3, 4, 0, 9]),
        ([1000, 2000, 3000, 4000, 5000], [1010, 1990, 3050, 3900, 5100]),
    ],
)
def test_chi2_agrees_with_scipy_contingency(ref, cur):
    stat, p, dof = chi2_two_sample(np.array(ref), np.array(cur))
    r = stats.chi2_contingency(np.vstack([ref, cur]))
    assert stat == pytest.approx(r.statistic, rel=1e-9)
    assert p == pytest.approx(r.pvalue, rel=1e-9, abs=1e-15)
    assert dof == r.dof


def test_one_category_is_no_evidence():
    assert chi2_two_sample(np.array([5]), np.array([9])) == (0.0, 1.0, 0)


def test_jensen_shannon_and_cramers_v_agree_with_scipy():
    r, c = np.array([10, 20, 30, 0]), np.array([15, 15, 40, 5])
    assert jensen_shannon(r, c) == pytest.approx(jensenshannon(r, c, base=2), rel=1e-9)
    table = np.vstack([r, c])[:, (r + c) > 0]
    chi2 = stats.chi2_contingency(table, correction=False).statistic
    assert cramers_v(chi2, r, c) == pytest.approx(association(table, method="cramer"), rel=1e-9)


def test_psi_by_hand():
    r, c = np.array([50, 50]), np.array([60, 40])
    expected = (0.6 - 0.5) * np.log(0.6 / 0.5) + (0.4 - 0.5) * np.log(0.4 / 0.5)
    assert psi(r, c) == pytest.approx(expected, rel=1e-12)
    assert psi(r, r) == 0.0
    # an empty bin is clipped, not infinite
    assert np.isfinite(psi(np.array([100, 0]), np.array([50, 50])))


def test_numeric_comparison_bins_and_effects():
    rng = np.random.default_rng(1)
    a = rng.normal(size=4000)
    b = a + 0.5  # a pure shift of 0.5 SD (of the sample)
    res = compare_numeric(SortedSample.of(a), SortedSample.of(b))
    assert res.distances["wasserstein"] == pytest.approx(0.5, rel=1e-9)
    assert res.distances["wasserstein_sd"] == pytest.approx(0.5 / np.std(a, ddof=1), rel=1e-9)
    edges = quantile_edges(np.sort(a), 10)
    np.testing.assert_allclose(edges, np.quantile(a, np.linspace(0, 1, 11)[1:-1]), rtol=1e-12)
    # reference deciles: 10% of the reference per bin
    assert res.details["bins"] == 10
    same = compare_numeric(SortedSample.of(a), SortedSample.of(a.copy()))
    assert same.distances["psi"] == 0.0 and same.distances["jensen_shannon"] == 0.0


def test_missing_values_are_counted_not_compared():
    a = np.array([1.0, 2.0, np.nan, np.inf, 3.0])
    s = SortedSample.of(a)
    assert len(s) == 3 and s.n_missing == 2
    nullable = SortedSample.of(pd.Series([1, pd.NA, 3], dtype="Int64"))
    assert nullable.values.tolist() == [1.0, 3.0] and nullable.n_missing == 1
    counts = CategoryCounts.of(np.array(["a", None, "b", "a", np.nan], dtype=object))
    assert counts.counts == {"a": 2, "b": 1, None: 2}
    strings = CategoryCounts.of(pd.Series(["a", pd.NA, "a"], dtype="string"))
    assert strings.counts == {"a": 2, None: 1}


def test_merged_state_equals_one_pass():
    rng = np.random.default_rng(2)
    x = rng.normal(size=1000).round(1)
    parts = [SortedSample.of(x[i : i + 137]) for i in range(0, 1000, 137)]
    total = parts[0]
    for p in parts[:0:-1]:  # any order
        total = total.merge(p)
    np.testing.assert_array_equal(total.values, np.sort(x))
    cats = rng.choice(list("abcde"), size=500)
    merged = CategoryCounts.of(cats[:123]).merge(CategoryCounts.of(cats[123:]))
    assert merged.counts == CategoryCounts.of(cats).counts


def test_categorical_comparison_with_unseen_category():
    ref = CategoryCounts.of(["a"] * 50 + ["b"] * 50)
    cur = CategoryCounts.of(["a"] * 40 + ["b"] * 40 + ["c"] * 20)
    res = compare_categorical(ref, cur)
    r = stats.chi2_contingency(np.array([[50, 50, 0], [40, 40, 20]]))
    assert res.statistic == pytest.approx(r.statistic, rel=1e-9)
    assert res.p_value == pytest.approx(r.pvalue, rel=1e-9)
    assert res.details["categories"] == ["a", "b", "c"]


@pytest.mark.parametrize(
    ("rule", "p", "effect", "expected"),
    [
        ("both", 0.01, 0.2, True),
        ("both", 0.01, 0.05, False),
        ("both", 0.2, 0.2, False),
        ("significance", 0.01, 0.0, True),
        ("effect", 0.9, 0.2, True),
    ],
)
def test_flag_rule(rule, p, effect, expected):
    assert flagged(p, effect, alpha=0.05, min_effect=0.1, rule=rule) is expected
