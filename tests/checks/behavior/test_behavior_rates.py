"""Wilson and paired-t intervals against SciPy, and the verdict rule of rate checks."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from mlgate.checks.behavior.rates import (
    combine,
    judge_at_most,
    paired_t_interval,
    wilson_interval,
)
from mlgate.core.result import Interval, Status


@pytest.mark.parametrize(
    ("k", "n", "level"),
    [(0, 10, 0.95), (3, 10, 0.95), (10, 10, 0.95), (57, 1000, 0.9), (1, 2, 0.99), (500, 1000, 0.8)],
)
def test_wilson_interval_matches_scipy(k, n, level):
    ours = wilson_interval(k, n, level)
    ref = stats.binomtest(k, n).proportion_ci(confidence_level=level, method="wilson")
    assert ours.low == pytest.approx(ref.low, abs=1e-12)
    assert ours.high == pytest.approx(ref.high, abs=1e-12)
    assert ours.level == level


def test_wilson_bounds_are_exact_at_zero_and_all():
    assert wilson_interval(0, 50).low == 0.0
    assert wilson_interval(50, 50).high == 1.0
    # Zero violations in 1000 rows still leave an upper bound of about 3.84 / 1003.8.
    assert wilson_interval(0, 1000).high == pytest.approx(3.8415 / (1000 + 3.8415), rel=1e-3)


@pytest.mark.parametrize(("k", "n"), [(-1, 10), (11, 10), (0, 0)])
def test_wilson_rejects_impossible_counts(k, n):
    with pytest.raises(ValueError, match="0 <= k <= n"):
        wilson_interval(k, n)


@pytest.mark.parametrize("level", [0.9, 0.95])
def test_paired_t_interval_matches_scipy(level):
    d = np.random.default_rng(3).normal(0.1, 1.0, size=40)
    ours = paired_t_interval(d, level)
    ref = stats.ttest_1samp(d, 0.0).confidence_interval(confidence_level=level)
    assert (ours.low, ours.high) == pytest.approx((ref.low, ref.high), abs=1e-12)


def test_paired_t_interval_of_equal_differences_is_a_point():
    ci = paired_t_interval(np.full(10, 0.25))
    assert (ci.low, ci.high) == (0.25, 0.25)


@pytest.mark.parametrize(
    ("low", "high", "status"),
    [
        (0.01, 0.04, Status.PASSED),
        (0.01, 0.05, Status.PASSED),
        (0.06, 0.09, Status.FAILED),
        (0.04, 0.06, Status.INCONCLUSIVE),
        (0.05, 0.06, Status.INCONCLUSIVE),
    ],
)
def test_judge_at_most(low, high, status):
    assert judge_at_most(Interval(low, high, 0.95, "m"), 0.05) is status


def test_combine_needs_every_bound_to_pass():
    P, F, I = Status.PASSED, Status.FAILED, Status.INCONCLUSIVE  # noqa: E741
    assert combine([P, P]) is P
    assert combine([P, I]) is I
    assert combine([I, F]) is F
    assert combine([]) is I
