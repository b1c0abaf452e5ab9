"""``percentile_bootstrap``: seeding, agreement with SciPy, undefined resamples, chunking,
and the coverage of its intervals."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

import mlgate.stats.bootstrap as bootstrap_module
from mlgate.stats.bootstrap import percentile_bootstrap
from mlgate.stats.metrics import UndefinedMetricError


@pytest.fixture(scope="module")
def normal_sample() -> np.ndarray:
    return np.random.default_rng(2024).normal(0.0, 1.0, size=400)


def mean_of(x: np.ndarray):
    return lambda idx: float(x[idx].mean())


def test_same_seed_gives_the_same_interval(normal_sample):
    runs = [
        percentile_bootstrap(
            mean_of(normal_sample),
            len(normal_sample),
            rng=np.random.default_rng(5),
            n_resamples=300,
        )
        for _ in range(2)
    ]
    assert runs[0] == runs[1]


def test_different_seed_gives_a_different_interval(normal_sample):
    a, b = (
        percentile_bootstrap(
            mean_of(normal_sample),
            len(normal_sample),
            rng=np.random.default_rng(seed),
            n_resamples=300,
        )
        for seed in (5, 6)
    )
    assert (a.interval.low, a.interval.high) != (b.interval.low, b.interval.high)


def test_interval_contains_the_point_estimate(normal_sample):
    out = percentile_bootstrap(
        mean_of(normal_sample),
        len(normal_sample),
        rng=np.random.default_rng(1),
        n_resamples=1000,
        level=0.9,
    )
    estimate = normal_sample.mean()
    assert out.interval.low < estimate < out.interval.high
    assert (out.interval.level, out.interval.method) == (0.9, "bootstrap-percentile")
    assert (out.n_resamples, out.n_undefined, out.undefined_fraction) == (1000, 0, 0.0)


def test_percentile_interval_of_the_mean_agrees_with_scipy(normal_sample):
    # Different RNG streams, so only Monte-Carlo agreement: with B resamples the 2.5% quantile
    # of the bootstrap distribution (sd s = 1/sqrt(400) = 0.05) has sd
    # sqrt(p(1-p)/B) / pdf(q) = sqrt(0.025*0.975/B) * s / phi(1.96) ≈ 0.0013 for B = 10_000;
    # the difference of two independent runs has sd ≈ 0.0019, so 0.008 is over 4 sd. That is
    # tight enough to catch a wrong level (a 90% interval is 0.016 narrower on each side).
    n_resamples = 10_000
    ours = percentile_bootstrap(
        mean_of(normal_sample),
        len(normal_sample),
        rng=np.random.default_rng(7),
        n_resamples=n_resamples,
    ).interval
    ref = stats.bootstrap(
        (normal_sample,),
        np.mean,
        method="percentile",
        n_resamples=n_resamples,
        confidence_level=0.95,
        rng=np.random.default_rng(8),
    ).confidence_interval
    assert ours.low == pytest.approx(ref.low, abs=0.008)
    assert ours.high == pytest.approx(ref.high, abs=0.008)


def test_undefined_resamples_are_counted_and_left_out():
    n, n_resamples, seed = 10, 500, 3
    x = np.arange(n, dtype=float)

    def mean_unless_row_zero(idx: np.ndarray) -> float:
        if (idx == 0).any():
            raise UndefinedMetricError("row 0 drawn")
        return float(x[idx].mean())

    out = percentile_bootstrap(
        mean_unless_row_zero, n, rng=np.random.default_rng(seed), n_resamples=n_resamples, level=0.8
    )
    # Replay the same draws: the count and the interval follow from them exactly.
    draws = np.random.default_rng(seed).integers(0, n, size=(n_resamples, n))
    undefined = (draws == 0).any(axis=1)
    kept = x[draws[~undefined]].mean(axis=1)
    assert 0 < undefined.sum() < n_resamples  # both kinds happen (P(row 0) ≈ 0.65)
    assert out.n_undefined == int(undefined.sum())
    assert out.undefined_fraction == pytest.approx(undefined.mean())
    assert (out.interval.low, out.interval.high) == tuple(np.quantile(kept, [0.1, 0.9]))


def test_all_resamples_undefined_gives_no_interval():
    def never(idx: np.ndarray) -> float:
        raise UndefinedMetricError("never defined")

    out = percentile_bootstrap(never, 20, rng=np.random.default_rng(0), n_resamples=50)
    assert (out.interval, out.n_undefined, out.undefined_fraction) == (None, 50, 1.0)


def test_other_errors_of_the_statistic_propagate():
    def broken(idx: np.ndarray) -> float:
        raise ZeroDivisionError("a bug, not an undefined metric")

    with pytest.raises(ZeroDivisionError):
        percentile_bootstrap(broken, 20, rng=np.random.default_rng(0), n_resamples=5)


@pytest.mark.parametrize(
    "max_cells",
    [1, 101, 3 * 101 + 1, 7 * 101],
    ids=["cap-below-one-row", "chunk=1", "chunk=3", "chunk=7"],
)
def test_chunked_draws_equal_one_unchunked_draw(monkeypatch, max_cells):
    # n_rows is odd so every chunk draws an odd number of 32-bit values: a generator that
    # dropped its buffered half-word between calls would diverge here.
    n_rows, n_resamples, seed = 101, 250, 12
    x = np.random.default_rng(0).normal(size=n_rows)

    def recording(seen: list):
        def stat(idx: np.ndarray) -> float:
            seen.append(idx.copy())
            return float(x[idx].mean())

        return stat

    whole: list[np.ndarray] = []
    expected = percentile_bootstrap(
        recording(whole), n_rows, rng=np.random.default_rng(seed), n_resamples=n_resamples
    )
    assert len(whole) == n_resamples  # one chunk: the default cap is far above 101 × 250

    monkeypatch.setattr(bootstrap_module, "_MAX_CHUNK_CELLS", max_cells)
    chunked: list[np.ndarray] = []
    got = percentile_bootstrap(
        recording(chunked), n_rows, rng=np.random.default_rng(seed), n_resamples=n_resamples
    )
    assert got == expected
    assert len(chunked) == n_resamples
    assert np.array_equal(np.stack(chunked), np.stack(whole))


@pytest.mark.parametrize("level", [0.0, 1.0, -0.5, 95.0])
def test_level_outside_zero_one_is_rejected(level):
    with pytest.raises(ValueError, match=r"level must be in \(0, 1\)"):
        percentile_bootstrap(lambda idx: 0.0, 10, rng=np.random.default_rng(0), level=level)


@pytest.mark.slow
def test_percentile_interval_of_an_accuracy_covers_the_true_rate():
    # 200 simulated evaluation sets of n = 300 rows, each row correct with p = 0.8. The 95%
    # percentile interval should cover p about 95% of the time; with 200 trials the binomial
    # sd of the coverage is 1.5 points, so [91%, 98%] leaves room for the percentile method's
    # known slight under-coverage at this n.
    p, n, trials = 0.8, 300, 200
    master = np.random.default_rng(20240601)
    covered = 0
    for _ in range(trials):
        correct = (master.random(n) < p).astype(float)
        ci = percentile_bootstrap(
            mean_of(correct), n, rng=np.random.default_rng(master.integers(2**32)), n_resamples=500
        ).interval
        covered += ci.low <= p <= ci.high
    assert 0.91 <= covered / trials <= 0.98, f"coverage {covered / trials:.1%}"
