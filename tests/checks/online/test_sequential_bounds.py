"""The always-valid confidence sequences of mlgate.stats.sequential, checked against independent
references: the mixture integral computed by quadrature, Monte-Carlo crossing rates under
continuous peeking, and (for contrast) a fixed-horizon interval peeked at the same way."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate, stats
from scipy.special import ndtri

from mlgate.stats.intervals import wilson_interval
from mlgate.stats.sequential import (
    CONCENTRATIONS,
    bernoulli_sequence,
    half_width,
    mixture_rho2,
    quantile_sequence,
    units_to_decide,
)


def _mixture_by_quadrature(s: float, t: float, rho2: float) -> float:
    """Robbins' normal mixture ∫ exp(λS − λ²t/2) dN(0, ρ²)(λ) of a unit-variance random walk
    with sum S at time t, integrated numerically (no closed form used)."""
    sd = math.sqrt(rho2)
    f = lambda lam: math.exp(lam * s - lam * lam * t / 2) * stats.norm.pdf(lam, scale=sd)  # noqa: E731
    return integrate.quad(f, -40 * sd, 40 * sd, points=[s / t], limit=200)[0]


@pytest.mark.parametrize("t", [50, 1_000, 10_000, 250_000])
@pytest.mark.parametrize("level", [0.9, 0.95, 0.99])
def test_the_boundary_is_where_the_mixture_martingale_reaches_one_over_alpha(t, level):
    """At the sequence's edge the mixture likelihood ratio equals 1/α exactly: the closed form
    is the level set that Ville's inequality controls."""
    rho2 = mixture_rho2(level, 10_000)
    s = t * half_width(1.0 / t, t, level, 10_000)  # the edge, on the scale of the sum
    assert _mixture_by_quadrature(s, t, rho2) == pytest.approx(1 / (1 - level), rel=1e-6)


def test_the_sequence_is_tightest_at_its_horizon():
    """Waudby-Smith et al.'s ρ: the width at n* is within 0.5% of the best over all ρ."""
    n = 5_000
    widths = {h: half_width(1.0 / n, n, 0.95, h) for h in np.geomspace(100, 250_000, 400)}
    assert half_width(1.0 / n, n, 0.95, n) <= min(widths.values()) * 1.005


def test_the_sequence_is_wider_than_a_fixed_interval_and_shrinks():
    n = np.array([100, 1_000, 10_000, 100_000])
    h = half_width(1.0 / n, n, 0.95, 10_000)
    fixed = 1.959964 / np.sqrt(n)
    assert (h > fixed).all() and (np.diff(h) < 0).all()
    assert h[2] / fixed[2] == pytest.approx(1.549, abs=0.01)  # the price of peeking at n*


def test_units_to_decide_is_the_first_count_whose_width_is_below_the_gap():
    m = units_to_decide(0.02, 1.0, 100, 0.95, 10_000)
    assert half_width(1.0 / m, m, 0.95, 10_000) < 0.02 <= half_width(1 / (m - 1), m - 1, 0.95, 1e4)
    assert units_to_decide(0.0, 1.0, 100, 0.95, 10_000) is None
    assert units_to_decide(5.0, 1.0, 100, 0.95, 10_000) == 100  # decided already
    assert units_to_decide(1e-9, 1.0, 100, 0.95, 10_000) is None  # beyond 10^15 units


def _gaussian_crossings(streams: int, steps: int, level: float, seed: int) -> float:
    """Share of standard Gaussian random walks whose running mean ever leaves the sequence,
    looked at after every single step."""
    rng = np.random.default_rng(seed)
    t = np.arange(1, steps + 1)
    h = half_width(1.0 / t, t, level, 1_000)
    crossed = 0
    for _ in range(streams // 100):
        means = np.cumsum(rng.standard_normal((100, steps)), axis=1) / t
        crossed += int((np.abs(means) > h).any(axis=1).sum())
    return crossed / streams


def test_anytime_coverage_holds_when_peeking_after_every_unit():
    """300 seeded streams, a look after each of 3 000 units: the sequence misses at most α of
    them (binomial slack: 3 sd)."""
    miss = _gaussian_crossings(300, 3_000, 0.95, seed=11)
    assert miss <= 0.05 + 3 * math.sqrt(0.05 * 0.95 / 300), miss


def test_monte_carlo_crossing_rate_is_just_under_alpha():
    """An independent reference for the boundary: for a continuous martingale Ville's bound is
    attained, so over a long horizon with a look at every unit the crossing rate must come
    close to α from below (a too-wide boundary would give far less, a too-narrow one more)."""
    miss = _gaussian_crossings(4_000, 20_000, 0.95, seed=12)  # 0.047 measured
    assert 0.035 < miss <= 0.05 + 3 * math.sqrt(0.05 * 0.95 / 4_000), miss


def test_a_fixed_horizon_interval_peeked_at_fails_far_more_often():
    rng = np.random.default_rng(13)
    t = np.arange(1, 3_001)
    looks = np.linspace(60, 3_000, 50).astype(int) - 1
    means = np.cumsum(rng.standard_normal((300, 3_000)), axis=1) / t
    fixed = (np.abs(means[:, looks]) > ndtri(0.975) / np.sqrt(t[looks])).any(axis=1).mean()
    seq = (np.abs(means[:, looks]) > half_width(1 / t[looks], t[looks], 0.95, 1_000)).any(axis=1)
    assert fixed > 0.2 and seq.mean() <= 0.05


# -- proportions and quantiles (beta-binomial mixtures) ----------------------------------------
def _mixture_ratio_by_quadrature(p: float, k: int, n: int) -> float:
    """M_n(p) = mean over concentrations of E_{q ~ Beta(cp, c(1-p))}[(q/p)^k ((1-q)/(1-p))^(n-k)],
    integrated numerically."""
    total = 0.0
    for c in CONCENTRATIONS:
        prior = stats.beta(c * p, c * (1 - p))
        lr = lambda q, prior=prior: math.exp(  # noqa: E731
            k * math.log(q / p) + (n - k) * math.log((1 - q) / (1 - p)) + prior.logpdf(q)
        )
        lo, hi = prior.ppf(1e-12), prior.isf(1e-12)  # where the prior has its mass
        total += integrate.quad(lr, lo, hi, limit=400, epsabs=0)[0]
    return total / len(CONCENTRATIONS)


@pytest.mark.parametrize(("k", "n"), [(37, 400), (950, 1_000), (5, 60)])
def test_the_rate_sequence_ends_where_the_mixture_reaches_one_over_alpha(k, n):
    ci = bernoulli_sequence(k, n, 0.95)
    for end in (ci.low, ci.high):
        assert _mixture_ratio_by_quadrature(end, k, n) == pytest.approx(20.0, rel=1e-3)
    wilson = wilson_interval(k, n, 0.95)
    assert ci.low < wilson.low and wilson.high < ci.high  # the price of peeking


def test_the_rate_sequence_at_the_edges():
    all_agree = bernoulli_sequence(100, 100, 0.95)
    assert all_agree.high == 1.0 and 0.94 < all_agree.low < 0.96
    assert bernoulli_sequence(0, 200, 0.95).low == 0.0
    assert bernoulli_sequence(0, 0, 0.95) is None
    with pytest.raises(ValueError, match="successes <= trials"):
        bernoulli_sequence(5, 4)


def test_rate_coverage_under_continuous_peeking():
    """200 seeded Bernoulli(0.9) streams, 12 looks from 10 to 3 000 trials."""
    rng = np.random.default_rng(21)
    looks = np.array([10, 20, 50, 100, 200, 400, 700, 1_000, 1_500, 2_000, 2_500, 3_000])
    missed = 0
    for _ in range(200):
        k = np.cumsum(rng.random(3_000) < 0.9)[looks - 1]
        for kk, n in zip(k, looks, strict=True):
            ci = bernoulli_sequence(int(kk), int(n))
            if not ci.low <= 0.9 <= ci.high:
                missed += 1
                break
    assert missed / 200 <= 0.05 + 3 * math.sqrt(0.05 * 0.95 / 200)


def test_quantile_sequence_coverage_under_peeking():
    """The p95 of an exponential(1) (−log 0.05) stays inside at every look of 200 streams."""
    truth = -math.log(0.05)
    rng = np.random.default_rng(22)
    missed = 0
    for _ in range(200):
        x = rng.exponential(size=4_000)
        for n in range(200, 4_001, 200):
            ci = quantile_sequence(np.sort(x[:n]), 0.95)
            if not ci.low <= truth <= ci.high:
                missed += 1
                break
    assert missed / 200 <= 0.05 + 3 * math.sqrt(0.05 * 0.95 / 200)


def test_quantile_sequence_brackets_the_sample_quantile():
    x = np.sort(np.random.default_rng(3).exponential(size=5_000))
    ci = quantile_sequence(x, 0.95)
    assert ci.low < np.quantile(x, 0.95) < ci.high
    few = quantile_sequence(x[:20], 0.95)
    assert few.high == math.inf  # 20 values cannot bound a p95 from above
