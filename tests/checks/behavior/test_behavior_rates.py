"""The intervals and verdict rule of behavioral checks: rates get the kernel's Wilson interval
and are judged by ``Threshold.judge``; a metric drop gets a paired t interval (against SciPy);
several bounds combine with ``Status.worst``."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from mlgate.checks.behavior import perturbation_check
from mlgate.checks.behavior.rates import pair_rate, paired_t_interval
from mlgate.core.result import Interval, Status, Threshold
from mlgate.stats.intervals import wilson_interval


def test_a_rate_interval_is_the_kernels_wilson_interval():
    """The family's own Wilson interval is gone: the flip rate's interval is the kernel's,
    method "wilson" (it was "Wilson score interval"; its ends may differ from the old copy's
    in the last bit, e.g. 2 flips of 3000 rows). With ``flip: any_variant`` (the default
    before issue 15) it is the Wilson interval over the changed rows."""
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"z": rng.normal(size=600)})
    result = perturbation_check(
        lambda X: (X["z"] > 0).astype(int).to_numpy(), X, task="binary", max_flip_rate=0.05,
        shrink=0, flip="any_variant",
    )  # fmt: skip
    k = round(result.value * result.sample_size)
    assert result.interval == wilson_interval(k, result.sample_size, 0.95)
    assert result.interval.method == "wilson"


def test_a_per_variant_rate_is_the_kernels_wilson_at_the_effective_sample_size():
    """The default (``flip: per_variant``) counts pairs; its interval is the kernel's Wilson
    interval at n_eff = pairs / design effect, wider than the naive one over all pairs."""
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"z": rng.normal(size=600)})
    result = perturbation_check(
        lambda X: (X["z"] > 0).astype(int).to_numpy(), X, task="binary", max_flip_rate=0.05,
        shrink=0,
    )  # fmt: skip
    ev = result.evidence["flip_rate"]
    assert ev["counted"] == "per_variant" and result.sample_size == ev["pairs_changed"] == 6000
    k = ev["pairs_violated"]
    assert result.value == k / 6000
    n_eff = 6000 / ev["design_effect"]
    ref = wilson_interval(k / 6000 * n_eff, n_eff, 0.95)
    assert (result.interval.low, result.interval.high) == pytest.approx(
        (ref.low, ref.high), rel=1e-5
    )
    naive = wilson_interval(k, 6000, 0.95)
    assert ev["design_effect"] > 1 and result.interval.high > naive.high
    assert result.interval.method.startswith("wilson, effective n")


def _design_effect_by_hand(hits, pairs):
    """The textbook ratio-estimator variance with clusters (Cochran 1977, 6.13), written out
    with a loop, over the binomial variance."""
    rows = [(h, m) for h, m in zip(hits, pairs, strict=True) if m > 0]
    total = sum(m for _, m in rows)
    p = sum(h for h, _ in rows) / total
    r = len(rows)
    mean_m = total / r
    s2 = sum((h - p * m) ** 2 for h, m in rows) / (r - 1)
    var = s2 / (r * mean_m**2)
    return max(1.0, var / (p * (1 - p) / total))


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_pair_rate_design_effect_agrees_with_the_ratio_estimator_by_hand(seed):
    rng = np.random.default_rng(seed)
    pairs = rng.integers(0, 11, size=200)
    hits = rng.binomial(pairs, rng.beta(0.5, 5, size=200))  # clustered: each row its own rate
    r = pair_rate(hits, pairs, 0.95)
    assert r.pairs == pairs.sum() and r.hits == hits.sum() and r.rows == (pairs > 0).sum()
    assert r.design_effect == pytest.approx(_design_effect_by_hand(hits, pairs), rel=1e-12)
    assert r.effective_n == pytest.approx(pairs.sum() / r.design_effect)


def test_pair_rate_without_spread_counts_each_row_once():
    """No hit at all: the design effect cannot be estimated, so the interval is the
    conservative one over rows (all of a row's pairs agreeing)."""
    r = pair_rate(np.zeros(100), np.full(100, 10), 0.95)
    assert r.rate == 0.0 and r.effective_n == pytest.approx(100)
    assert r.interval.high == pytest.approx(wilson_interval(0, 100, 0.95).high)
    assert pair_rate(np.zeros(3), np.zeros(3), 0.95).interval is None


@pytest.mark.slow
def test_pair_rate_interval_covers_at_its_level_with_clustered_flips():
    """Over 400 seeded samples of 300 rows × 10 variants whose flips cluster by row (row rates
    ~ Beta(0.3, 7), true pair rate 0.041), the 95% interval covers the true rate in at least
    92% (the naive Wilson interval over pairs covers far less)."""
    true, runs, covered, naive = 0.3 / 7.3, 400, 0, 0
    for seed in range(runs):
        rng = np.random.default_rng(seed)
        hits = rng.binomial(10, rng.beta(0.3, 7.0, size=300))
        r = pair_rate(hits, np.full(300, 10), 0.95)
        covered += r.interval.low <= true <= r.interval.high
        w = wilson_interval(hits.sum(), 3000, 0.95)
        naive += w.low <= true <= w.high
    assert covered / runs >= 0.92, covered / runs
    assert naive / runs < 0.85, naive / runs


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
def test_a_rate_at_most_a_bound_is_judged_on_the_whole_interval(low, high, status):
    """The rule the family had (an upper end at the bound passes, a lower end at it does not
    fail) is the kernel's ``Threshold("<=", bound).judge``."""
    assert Threshold("<=", 0.05).judge(Interval(low, high, 0.95, "m")) is status


def test_every_bound_must_pass():
    P, F, I = Status.PASSED, Status.FAILED, Status.INCONCLUSIVE  # noqa: E741
    assert Status.worst([P, P]) is P
    assert Status.worst([P, I]) is I
    assert Status.worst([I, F]) is F
    assert Status.worst([]) is I
