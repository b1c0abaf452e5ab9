"""Exact sums, exact moments and the bit-pattern value sketch: exact against fractions and
NumPy, the same state however the values are split, and two-sample statistics within their
stated bounds of SciPy's."""

from __future__ import annotations

import math
import pickle
from fractions import Fraction

import numpy as np
import pytest
from scipy import stats

from mlgate.checks.drift.univariate import binned_counts, ks_from_sorted, quantile_edges
from mlgate.stats.sketch_two_sample import align, binned_counts_of, ks_bounds, quantile_edges_of
from mlgate.stats.sketches import ExactMoments, ExactSum, ValueSketch, sortable_keys


def _split_fold(make, x, cuts):
    """``make(part)`` of each part of ``x`` cut at ``cuts``, merged left to right."""
    parts = [make(p) for p in np.split(x, cuts)]
    state = parts[0]
    for p in parts[1:]:
        state = state.merge(p)
    return state


def test_exact_sum_is_the_exact_sum_rounded_once():
    rng = np.random.default_rng(1)
    x = rng.normal(size=5000) * 10.0 ** rng.integers(-30, 30, size=5000)
    s = ExactSum().update(x)
    assert s.exact() == sum(Fraction(v) for v in x.tolist())
    assert s.value() == math.fsum(x.tolist())  # fsum is correctly rounded too
    assert ExactSum().update([1e16, 1.0, -1e16]).value() == 1.0  # float sums give 0.0


def test_exact_sum_and_moments_do_not_depend_on_the_split():
    rng = np.random.default_rng(2)
    x = rng.lognormal(size=3001)
    one = ExactMoments().update(x)
    for cuts in ([1000], [7, 500, 2999], list(range(100, 3000, 100))):
        split = _split_fold(lambda p: ExactMoments().update(p), x, cuts)
        assert split == one
        assert split.mean() == one.mean() and split.std(1) == one.std(1)
    values = [Fraction(v) for v in x.tolist()]
    mean = sum(values) / len(values)
    exact_var = float(sum((v - mean) ** 2 for v in values) / (len(values) - 1))
    assert one.variance(ddof=1) == exact_var
    assert one.std(1) == pytest.approx(np.std(x, ddof=1), rel=1e-14)


def test_moments_of_huge_values_say_the_variance_is_infinite_instead_of_failing():
    m = ExactMoments().update(np.array([1e200, -1e200, 3.0]))
    assert m.mean() == 1.0 and m.variance(ddof=1) == float("inf")
    assert ValueSketch.of(np.array([1e300, 2.0, -5e307])).moments.overflowed


def test_sortable_keys_follow_the_values():
    x = np.array([-np.inf, -1e300, -2.5, -1e-310, -0.0, 0.0, 1e-310, 1.0, 3.0, 1e308, np.inf])
    keys = sortable_keys(x)
    assert (np.diff(keys.astype(object)) >= 0).all()
    assert keys[4] == keys[5]  # -0.0 is 0.0


def test_an_exact_sketch_is_the_data():
    rng = np.random.default_rng(3)
    x = np.concatenate([rng.integers(0, 50, 800).astype(float), [np.nan, np.inf]])
    s = ValueSketch.of(x)
    assert s.exact and s.n == 800 and s.n_missing == 2
    np.testing.assert_array_equal(s.sorted_values(), np.sort(x[:800]))


@pytest.mark.parametrize("capacity", [2**16, 256, 16])
def test_a_sketch_is_the_same_however_the_values_are_split(capacity):
    rng = np.random.default_rng(4)
    x = rng.standard_t(3, size=20_000)
    one = ValueSketch.of(x, capacity)
    for cuts in ([10_000], [1, 2, 3, 19_999], list(range(997, 20_000, 997))):
        assert _split_fold(lambda p, c=capacity: ValueSketch.of(p, c), x, cuts) == one
    # merge order does not matter either
    a, b, c = (ValueSketch.of(p, capacity) for p in np.split(x, [5000, 12_000]))
    assert a.merge(b).merge(c) == c.merge(a.merge(b)) == one
    assert pickle.loads(pickle.dumps(one)) == one
    assert len(one.keys) <= capacity and one.n == len(x)
    assert one.exact == (capacity == 2**16)


def test_exact_sketches_give_scipy_s_statistics_bit_for_bit():
    rng = np.random.default_rng(5)
    a, b = np.round(rng.normal(size=3000), 3), np.round(rng.normal(0.2, size=4000), 3)
    s = align(ValueSketch.of(a), ValueSketch.of(b))
    ks = ks_bounds(s)
    d, _, w = ks_from_sorted(np.sort(a), np.sort(b))
    assert ks.d_low == ks.d_high == d  # mlgate's in-memory KS, bit for bit
    assert d == pytest.approx(stats.ks_2samp(a, b).statistic, rel=1e-12)
    assert ks.wasserstein == w and ks.wasserstein_error == 0.0
    assert w == pytest.approx(stats.wasserstein_distance(a, b), rel=1e-12)
    edges, moved = quantile_edges_of(s, 10)
    np.testing.assert_array_equal(edges, quantile_edges(np.sort(a), 10))
    assert moved == 0
    rc, cc = binned_counts_of(s, edges)
    np.testing.assert_array_equal(rc, binned_counts(np.sort(a), edges))
    np.testing.assert_array_equal(cc, binned_counts(np.sort(b), edges))


@pytest.mark.parametrize("capacity", [4096, 256, 32])
@pytest.mark.parametrize("shift", [0.0, 0.05, 0.5])
def test_sketched_ks_and_wasserstein_bound_scipy_s(capacity, shift):
    rng = np.random.default_rng(6)
    a, b = rng.normal(size=20_000), rng.normal(shift, 1.0, size=15_000)
    s = align(ValueSketch.of(a, capacity), ValueSketch.of(b, capacity))
    ks = ks_bounds(s)
    d = stats.ks_2samp(a, b).statistic
    assert ks.d_low <= d + 1e-15 and d <= ks.d_high + 1e-15
    w = stats.wasserstein_distance(a, b)
    assert abs(ks.wasserstein - w) <= ks.wasserstein_error + 1e-12
    edges, _ = quantile_edges_of(s, 10)
    rc, cc = binned_counts_of(s, edges)
    # the counts are exact for the edges used
    np.testing.assert_array_equal(rc, binned_counts(np.sort(a), edges))
    np.testing.assert_array_equal(cc, binned_counts(np.sort(b), edges))
