"""The inferred rules' tolerance (:mod:`mlgate.checks.data.tolerance`) against independent
references: a direct Monte Carlo of exchangeable samples, SciPy's Beta distribution (the
large-evaluation limit) and SciPy's Fisher exact test."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import beta, binom, fisher_exact

from mlgate.checks.data import spec as S
from mlgate.checks.data.checks import check_frame
from mlgate.checks.data.tolerance import (
    limiting_mostly,
    nulls_critical,
    outside_critical,
    outside_sf,
)
from mlgate.core.result import Status


@pytest.mark.parametrize(("n", "m"), [(5, 7), (20, 50), (50, 10), (200, 3)])
def test_outside_sf_matches_a_monte_carlo_of_exchangeable_samples(n, m):
    rng = np.random.default_rng(n * 1000 + m)
    runs = 40_000
    ref, new = rng.random((runs, n)), rng.random((runs, m))
    lo, hi = ref.min(1, keepdims=True), ref.max(1, keepdims=True)
    outside = ((new < lo) | (new > hi)).sum(1)
    for k in range(1, 6):
        p = outside_sf(k, n, m)
        sd = np.sqrt(p * (1 - p) / runs)
        assert (outside >= k).mean() == pytest.approx(p, abs=4.5 * sd + 1e-9), k


def test_outside_sf_tends_to_the_beta_limit_for_large_evaluations():
    n, m = 500, 2_000_000
    for t in (0.002, 0.005, 0.01):
        k = int(t * m) + 1
        assert outside_sf(k, n, m) == pytest.approx(beta(2, n - 1).sf(t), rel=0.01)
    assert limiting_mostly(n, 0.01) == pytest.approx(1 - beta(2, n - 1).isf(0.01), rel=1e-9)


def test_outside_critical_is_the_least_count_at_level_alpha():
    for n, m, alpha in [(1000, 100_000, 0.005), (100_000, 1000, 0.005), (30, 30, 0.05)]:
        k = outside_critical(n, m, alpha)
        assert outside_sf(k, n, m) <= alpha < outside_sf(k - 1, n, m)
    assert outside_critical(1, 10, 0.05) == 11  # one reference value: no range to speak of


@pytest.mark.parametrize(
    ("n", "a", "m", "b"),
    [(1000, 50, 1000, 80), (500, 0, 20_000, 6), (200, 10, 50, 3), (100, 5, 100, 14)],
)
def test_nulls_critical_is_the_one_sided_fisher_exact_test(n, a, m, b):
    p = fisher_exact([[b, m - b], [a, n - a]], alternative="greater").pvalue
    for alpha in (0.001, 0.01, 0.05, 0.2):
        if abs(p - alpha) > 1e-9:
            assert nulls_critical(n, a, m, b, alpha) is bool(p <= alpha), (alpha, p)


def test_one_tolerant_range_is_held_at_about_its_alpha():
    """Not merely conservative: one range rule at alpha = 0.05 on healthy t3 data is held in
    about 5% of 600 pairs (a 99.9% binomial interval around 5%), where an all-rows rule is
    held in most."""
    rng = np.random.default_rng(7)
    runs, n, m = 600, 300, 3000
    held = exact_held = 0
    for _ in range(runs):
        ref, new = rng.standard_t(3, n), rng.standard_t(3, m)
        kw = dict(expect="between", column="x", min=float(ref.min()), max=float(ref.max()))
        tolerant = S.BetweenExpectation(**kw, reference_rows=n, alpha=0.05)
        frame = pd.DataFrame({"x": new})
        held += check_frame(frame, [tolerant]).status is not Status.PASSED
        exact_held += check_frame(frame, [S.BetweenExpectation(**kw)]).blocks
    lo, hi = binom.ppf(0.0005, runs, 0.05), binom.ppf(0.9995, runs, 0.05)
    assert lo <= held <= hi
    assert exact_held > 0.8 * runs


def test_a_user_set_mostly_still_widens_the_tolerance():
    frame = pd.DataFrame({"x": np.r_[np.zeros(90), np.full(10, 5.0)]})
    kw = dict(expect="between", column="x", min=0.0, max=1.0, reference_rows=10_000, alpha=0.01)
    assert check_frame(frame, [S.BetweenExpectation(**kw)]).status is Status.FAILED
    passed = check_frame(frame, [S.BetweenExpectation(**kw, mostly=0.9)])
    assert passed.status is Status.PASSED


def test_tolerance_fields_come_together():
    with pytest.raises(ValueError, match="reference_rows and alpha together"):
        S.BetweenExpectation(expect="between", column="x", min=0, max=1, reference_rows=10)
    with pytest.raises(ValueError, match="reference_nulls"):
        S.NullsExpectation(expect="nulls", column="x", reference_rows=10, alpha=0.1)
