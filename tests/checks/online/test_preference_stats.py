"""mlgate.stats.preference against independent references: SciPy's binomial test and Wilson
interval, the beta mixture integrated by quadrature, and Monte-Carlo error rates of the
always-valid test under repeated looks (with a peeked fixed test for contrast)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate, stats

from mlgate.stats.preference import (
    always_valid_p_value,
    preference,
    sign_test,
    trials_to_decide,
)
from mlgate.stats.sequential import CONCENTRATIONS, bernoulli_log_evidence, bernoulli_sequence

PAIRS = [(0, 0), (0, 1), (1, 0), (3, 7), (10, 10), (11, 10), (60, 40), (540, 460), (0, 25)]


@pytest.mark.parametrize(("wins", "losses"), PAIRS)
def test_the_sign_test_is_scipys_exact_binomial_test(wins, losses):
    n = wins + losses
    expected = 1.0 if n == 0 else stats.binomtest(wins, n, 0.5).pvalue
    assert sign_test(wins, losses) == pytest.approx(expected, rel=1e-12, abs=1e-300)


@pytest.mark.parametrize(("wins", "losses"), [p for p in PAIRS if sum(p)])
def test_the_fixed_interval_is_scipys_wilson_interval(wins, losses):
    got = preference(wins, losses, 0.9, "fixed")
    ref = stats.binomtest(wins, wins + losses).proportion_ci(0.9, method="wilson")
    assert (got.interval.low, got.interval.high) == pytest.approx((ref.low, ref.high), abs=1e-12)
    assert got.share == wins / (wins + losses) and got.interval.method == "wilson"


def _mixture_by_quadrature(k: int, n: int) -> float:
    """M_n(1/2): the mean over concentrations c of E_{q ~ Beta(c/2, c/2)}[(2q)^k (2(1-q))^(n-k)],
    integrated numerically (no beta functions)."""
    total = 0.0
    for c in CONCENTRATIONS:
        prior = stats.beta(c / 2, c / 2)
        lr = lambda q, prior=prior: math.exp(  # noqa: E731
            k * math.log(2 * q) + (n - k) * math.log(2 * (1 - q)) + prior.logpdf(q)
        )
        lo, hi = prior.ppf(1e-12), prior.isf(1e-12)
        total += integrate.quad(lr, lo, hi, limit=400, epsabs=0, points=[k / n])[0]
    return total / len(CONCENTRATIONS)


@pytest.mark.parametrize(("k", "n"), [(60, 100), (280, 500), (12, 20), (1_030, 2_000)])
def test_the_always_valid_p_value_is_one_over_the_mixture(k, n):
    expected = min(1.0, 1.0 / _mixture_by_quadrature(k, n))
    assert always_valid_p_value(k, n - k) == pytest.approx(expected, rel=1e-4)


def test_the_always_valid_p_value_agrees_with_the_sequence():
    """p ≤ α exactly when the confidence sequence leaves 1/2 out: the test and the interval
    never contradict each other."""
    for n in (20, 137, 1_000, 4_000):
        for k in range(0, n + 1, max(1, n // 97)):
            ci = bernoulli_sequence(k, n, 0.95)
            outside = not ci.low <= 0.5 <= ci.high
            assert (always_valid_p_value(k, n - k) <= 0.05) == outside, (k, n)


def test_the_always_valid_p_value_is_larger_than_the_fixed_one():
    """The price of looking as often as one likes."""
    for won, lost in [(60, 40), (540, 460), (3_000, 2_800)]:
        assert always_valid_p_value(won, lost) > sign_test(won, lost)


def _ever_rejects(streams: int, n: int, looks: np.ndarray, share: float, seed: int):
    """For seeded streams of ``n`` comparisons won with probability ``share``: whether the
    always-valid test and the fixed sign test reject no preference at any of ``looks``."""
    rng = np.random.default_rng(seed)
    k = np.cumsum(rng.random((streams, n)) < share, axis=1)[:, looks - 1]
    seq = np.zeros(streams, dtype=bool)
    fixed = np.zeros(streams, dtype=bool)
    for j, m in enumerate(looks):
        kk = k[:, j]
        seq |= bernoulli_log_evidence(0.5, kk, m) >= -math.log(0.05)
        fixed |= 2 * stats.binom.cdf(np.minimum(kk, m - kk), m, 0.5) <= 0.05
    return seq, fixed


def test_rerunning_after_every_batch_keeps_the_error_rate_at_most_alpha():
    """2 000 streams without a preference, a look after each of 50 batches of 200 decided
    impressions: the always-valid test rejects in at most α of them (0.55% measured); the fixed
    sign test looked at the same way rejects in far more (29.5% measured)."""
    seq, fixed = _ever_rejects(2_000, 10_000, np.arange(200, 10_001, 200), 0.5, seed=1)
    assert seq.mean() <= 0.05 + 3 * math.sqrt(0.05 * 0.95 / 2_000), seq.mean()
    assert fixed.mean() > 0.2, fixed.mean()


@pytest.mark.slow
def test_looking_after_every_single_impression_keeps_the_error_rate_at_most_alpha():
    """The hardest case: 2 000 streams, a look after each of 3 000 decided impressions
    (1.25% measured)."""
    seq, _ = _ever_rejects(2_000, 3_000, np.arange(1, 3_001), 0.5, seed=2)
    assert seq.mean() <= 0.05 + 3 * math.sqrt(0.05 * 0.95 / 2_000), seq.mean()


def test_a_planted_preference_is_found_with_the_stated_power():
    """A 55% preference, looked at after each batch of 200: found by 2 000 decided impressions
    in 88% of 1 000 streams (docs/checks/online.md); a 53% one in 27%."""
    looks = np.arange(200, 2_001, 200)
    strong, _ = _ever_rejects(1_000, 2_000, looks, 0.55, seed=3)
    weak, _ = _ever_rejects(1_000, 2_000, looks, 0.53, seed=3)
    assert 0.82 <= strong.mean() <= 0.92, strong.mean()
    assert 0.18 <= weak.mean() <= 0.34, weak.mean()


@pytest.mark.parametrize(("share", "n"), [(0.53, 1_000), (0.46, 300), (0.7, 10), (0.52, 9_000)])
def test_trials_to_decide_for_the_fixed_test_is_the_score_tests_sample_size(share, n):
    """Wilson's interval leaves 1/2 out exactly when the score statistic (p̂ − ½)·√m / ½
    exceeds z, i.e. from m > z²/(4(p̂ − ½)²): a closed form the search must reproduce."""
    z = stats.norm.ppf(0.975)
    closed = max(n, math.floor(z * z / (4 * (share - 0.5) ** 2)) + 1)
    assert trials_to_decide(share, 0.5, n, 0.95, "fixed") == closed


@pytest.mark.parametrize(("share", "n"), [(0.53, 1_000), (0.46, 300), (0.7, 10), (0.52, 2_000)])
def test_trials_to_decide_for_the_sequence_is_the_first_count_it_excludes_the_bound(share, n):
    m = trials_to_decide(share, 0.5, n, 0.95, "sequential")

    def excludes(count: int) -> bool:
        ci = bernoulli_sequence(share * count, count, 0.95)
        return not ci.low <= 0.5 <= ci.high

    assert m is not None and m > n and excludes(m) and not excludes(m - 1)
    # and it is where the always-valid p-value first reaches α
    assert math.exp(-bernoulli_log_evidence(0.5, share * m, m)) <= 0.05


def test_trials_to_decide_without_a_gap_is_none():
    assert trials_to_decide(0.5, 0.5, 100, 0.95, "sequential") is None
    assert trials_to_decide(0.50000001, 0.5, 100, 0.95, "fixed") is None  # beyond 10^15
    assert trials_to_decide(0.9, 0.5, 100, 0.95, "fixed") == 100  # decided already


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="non-negative counts"):
        preference(-1, 3)
    with pytest.raises(ValueError, match="'fixed' or 'sequential'"):
        preference(1, 3, method="bayes")
    with pytest.raises(ValueError, match="rate must be in"):
        bernoulli_log_evidence(1.0, 3, 4)
    assert preference(0, 0).interval is None and preference(0, 0).share is None
