"""The statistics of the serving family, with injected timings (no wall clock): the
order-statistic interval of a percentile against an independent computation with
scipy.stats.binom, its coverage on simulated latencies with a known distribution, the
percentile against NumPy, the timing loop with a fake clock, and the units of budgets."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from mlgate.checks.serving.timing import (
    binomial_cdf,
    measure,
    min_samples,
    order_statistic_ranks,
    percentile_key,
    percentile_level,
    quantile_interval,
)
from mlgate.checks.serving.units import format_duration, parse_duration, parse_size


def reference_ranks(n: int, q: float, level: float):
    """The ranks by their definition, with scipy.stats.binom, one rank at a time: the
    largest l with P(Bin(n, q) <= l - 1) <= alpha/2, the smallest u with
    P(Bin(n, q) <= u - 1) >= 1 - alpha/2."""
    alpha = 1 - level
    binom = stats.binom(n, q)
    lows = [r for r in range(1, n + 1) if binom.cdf(r - 1) <= alpha / 2]
    highs = [r for r in range(1, n + 1) if binom.cdf(r - 1) >= 1 - alpha / 2]
    low = max(lows) if lows else None
    high = min(highs) if highs else None
    coverage = (binom.cdf(high - 1) if high else 1.0) - (binom.cdf(low - 1) if low else 0.0)
    return low, high, coverage


@pytest.mark.parametrize("n", [1, 5, 20, 100, 367, 368, 1000])
@pytest.mark.parametrize("q", [0.5, 0.9, 0.95, 0.99])
@pytest.mark.parametrize("level", [0.9, 0.95, 0.99])
def test_ranks_match_scipy_binom(n, q, level):
    low, high, coverage = order_statistic_ranks(n, q, level)
    ref_low, ref_high, ref_coverage = reference_ranks(n, q, level)
    assert (low, high) == (ref_low, ref_high)
    assert coverage == pytest.approx(ref_coverage, abs=1e-9)
    if low is not None and high is not None:
        assert coverage >= level - 1e-12  # the guarantee of the construction


def test_binomial_cdf_is_scipys():
    for n, q in [(1, 0.5), (50, 0.99), (1000, 0.95), (4000, 0.5)]:
        np.testing.assert_allclose(
            binomial_cdf(n, q), stats.binom.cdf(np.arange(n + 1), n, q), rtol=1e-9, atol=1e-12
        )


@pytest.mark.parametrize(("q", "level", "expected"), [(0.99, 0.95, 368), (0.5, 0.95, 6)])
def test_min_samples_is_the_first_n_with_an_upper_rank(q, level, expected):
    assert min_samples(q, level) == expected
    assert order_statistic_ranks(expected, q, level)[1] is not None
    assert order_statistic_ranks(expected - 1, q, level)[1] is None


@pytest.mark.parametrize("n", [1, 2, 10, 99, 100, 101, 1000])
@pytest.mark.parametrize("q", [0.01, 0.5, 0.9, 0.95, 0.99])
def test_the_estimate_is_numpys_inverted_cdf_percentile(n, q):
    x = np.random.default_rng(n).lognormal(size=n)
    qi = quantile_interval(x, q)
    assert qi.estimate == np.quantile(x, q, method="inverted_cdf")
    assert qi.low <= qi.estimate <= qi.high


def test_too_few_draws_give_open_ends_never_a_bound():
    qi = quantile_interval(np.arange(1.0, 51.0), 0.99, 0.95, floor=0.0)
    assert qi.high == math.inf and qi.high_rank is None  # 50 draws cannot bound a p99
    qi = quantile_interval(np.arange(1.0, 4.0), 0.5, 0.95, floor=0.0)
    assert (qi.low, qi.high) == (0.0, math.inf)
    assert quantile_interval(np.array([]), 0.5) is None


@pytest.mark.parametrize(("q", "n"), [(0.5, 60), (0.95, 200), (0.99, 400)])
def test_coverage_on_simulated_latencies_with_a_known_distribution(q, n):
    """Lognormal latencies (median 2 ms, heavy right tail): the interval holds the true
    quantile in at least its nominal share of 4000 simulated runs (within 3 standard
    errors of the simulation)."""
    level, trials = 0.95, 4000
    mu, sigma = math.log(2e-3), 0.6
    truth = math.exp(mu + sigma * stats.norm.ppf(q))
    rng = np.random.default_rng(20240521)
    hits = 0
    for _ in range(trials):
        qi = quantile_interval(rng.lognormal(mu, sigma, size=n), q, level, floor=0.0)
        hits += qi.low <= truth <= qi.high
    exact = order_statistic_ranks(n, q, level)[2]
    se = math.sqrt(exact * (1 - exact) / trials)
    assert exact >= level
    assert hits / trials >= exact - 3 * se
    assert hits / trials <= exact + 3 * se  # not vacuously wide either


class FakeTime:
    """A clock that only moves when the fake model works."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_measure_times_each_call_after_the_warmup_and_syncs_around_it():
    clock, events = FakeTime(), []
    durations = [0.5, 0.25, 0.125, 1.0, 2.0]

    def call(i):
        events.append(f"call{i}")
        clock.now += durations[i]

    t = measure(
        call, repeats=3, warmup=2, clock=clock, sync=lambda: events.append("sync"), deadline=None
    )
    np.testing.assert_allclose(t.seconds, [0.5, 0.25, 0.125])  # the warm-up calls are untimed
    assert t.warmup == 2 and t.n == 3 and not t.stopped_early
    assert t.elapsed == pytest.approx(0.5 + 0.25 + 0.5 + 0.25 + 0.125)
    # warm-up: call, sync; timed: sync, call, sync (the clock is read between syncs)
    assert events[:4] == ["call0", "sync", "call1", "sync"]
    assert events[4:7] == ["sync", "call0", "sync"]


def test_measure_stops_at_the_deadline_and_never_makes_fewer_than_one_call():
    clock = FakeTime()

    def call(i):
        clock.now += 1.0

    t = measure(call, repeats=100, warmup=0, clock=clock, deadline=clock.now + 4.5)
    assert t.n == 5 and t.stopped_early and t.requested == 100
    t = measure(call, repeats=100, warmup=10, clock=clock, deadline=clock.now - 1)
    assert t.n == 1 and t.warmup == 1 and t.stopped_early


@pytest.mark.parametrize(
    ("key", "q"), [("p50", 0.5), ("p99", 0.99), ("p99.9", 0.999), ("p1", 0.01)]
)
def test_percentile_keys(key, q):
    assert percentile_level(key) == pytest.approx(q)
    assert percentile_key(percentile_level(key)) == key


@pytest.mark.parametrize("key", ["p0", "p100", "99", "P99", "p99x", "median"])
def test_bad_percentile_keys_say_what_to_write(key):
    with pytest.raises(ValueError, match=r"write p50, p95, p99 or p99\.9"):
        percentile_level(key)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("20 ms", 0.02), ("20ms", 0.02), ("0.02 s", 0.02), ("500 us", 5e-4), ("1e-9 s", 1e-9)],
)
def test_durations_with_units(text, seconds):
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize(
    ("value", "match"),
    [
        (20, "needs its unit"),
        (0.02, "needs its unit"),
        ("20", "not a duration"),
        ("20 MB", "not a duration"),
        ("0 ms", "must be above 0"),
        ("-5 ms", "not a duration"),
    ],
)
def test_durations_without_a_time_unit_are_refused(value, match):
    with pytest.raises(ValueError, match=match):
        parse_duration(value)


def test_sizes_with_units():
    assert parse_size("5 MB") == 5_000_000
    assert parse_size("512 KiB") == 512 * 1024
    assert parse_size("1.5GB") == 1_500_000_000
    with pytest.raises(ValueError, match="needs its unit"):
        parse_size(1000)
    with pytest.raises(ValueError, match="not a size"):
        parse_size("5 ms")
    assert format_duration(0.0123) == "12.3 ms"
