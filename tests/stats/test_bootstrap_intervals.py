"""``bootstrap_interval``: percentile and BCa against scipy.stats.bootstrap, the jackknife
acceleration, undefined resamples, seeding, and draws that do not depend on chunking."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from mlgate.stats import resampling
from mlgate.stats.bootstrap import acceleration, bootstrap_interval, bootstrap_values
from mlgate.stats.cells import CellStatistic, identity_cells
from mlgate.stats.losses import mean_loss_statistic
from mlgate.stats.metrics import get_metric


@pytest.fixture(scope="module")
def skewed() -> np.ndarray:
    return np.random.default_rng(11).exponential(size=60)


# Both sides draw 20,000 resamples from different streams. The sd of a 2.5% quantile of the
# bootstrap mean (sd 1/sqrt(60) = 0.13) is sqrt(.025 * .975 / 20000) * 0.13 / phi(1.96) ≈
# 0.0024, so two independent runs differ by about 0.0034 (sd): 0.012 is 3.5 sd. On this skewed
# sample BCa moves both ends by 0.02-0.03 from the percentile interval, more than the tolerance,
# so a BCa that silently fell back to percentiles would fail.
TOL = 0.012


@pytest.mark.parametrize(("ours", "theirs"), [("percentile", "percentile"), ("bca", "BCa")])
def test_interval_of_a_mean_agrees_with_scipy(skewed, ours, theirs):
    got = bootstrap_interval(
        mean_loss_statistic("mean", skewed),
        rng=np.random.default_rng(1),
        n_resamples=20_000,
        method=ours,
    ).interval
    ref = stats.bootstrap(
        (skewed,), np.mean, method=theirs, n_resamples=20_000, rng=np.random.default_rng(2)
    ).confidence_interval
    assert (got.low, got.high) == pytest.approx((ref.low, ref.high), abs=TOL)
    assert got.method == f"bootstrap-{ours}"


def test_bca_moves_the_interval_on_skewed_data(skewed):
    stat = mean_loss_statistic("mean", skewed)
    pct, bca = (
        bootstrap_interval(stat, rng=np.random.default_rng(1), n_resamples=20_000, method=m)
        for m in ("percentile", "bca")
    )
    assert bca.interval.low - pct.interval.low > TOL
    assert bca.interval.high - pct.interval.high > TOL


def _auc_statistic(y, s, axis=-1):
    """ROC AUC along the last axis, vectorised for scipy (ties count one half)."""
    y, s = np.moveaxis(y, axis, -1), np.moveaxis(s, axis, -1)
    pos, neg = y == 1, y == 0
    diff = s[..., :, None] - s[..., None, :]
    pairs = pos[..., :, None] & neg[..., None, :]
    wins = ((diff > 0) + 0.5 * (diff == 0)) * pairs
    return wins.sum(axis=(-2, -1)) / pairs.sum(axis=(-2, -1))


def test_bca_interval_of_roc_auc_agrees_with_scipy_paired_bootstrap():
    # 15 positives, 65 negatives, AUC ≈ 0.91: a skewed bootstrap distribution, where BCa's
    # lower end sits ~0.02 below the percentile one. Runs of 20,000 resamples agree to ~0.0015
    # (no systematic difference); with 10,000 each, the lower ends of two runs differ by
    # ≈ 0.003 (sd, the low tail is long), so 0.01 is over 3 sd and still tells BCa apart.
    rng = np.random.default_rng(4)
    y = np.r_[np.ones(15, int), np.zeros(65, int)]
    s = (2.0 * y + rng.normal(0, 1, 80)).round(1)
    stat = get_metric("roc_auc").statistic(y, np.column_stack([1 - s, s]), 2)
    got, pct = (
        bootstrap_interval(
            stat, rng=np.random.default_rng(5), n_resamples=10_000, method=m, scheme="multinomial"
        ).interval
        for m in ("bca", "percentile")
    )
    ref = stats.bootstrap(
        (y, s),
        _auc_statistic,
        paired=True,
        method="BCa",
        n_resamples=10_000,
        batch=500,
        rng=np.random.default_rng(6),
    ).confidence_interval
    assert (got.low, got.high) == pytest.approx((ref.low, ref.high), abs=0.01)
    assert pct.low - got.low > 0.015  # the check can tell BCa from percentile here


def test_acceleration_is_efrons_jackknife_formula(skewed):
    n = len(skewed)
    loo = (skewed.sum() - skewed) / (n - 1)
    d = loo.mean() - loo
    expected = (d**3).sum() / (6 * ((d**2).sum()) ** 1.5)
    assert acceleration(mean_loss_statistic("mean", skewed)) == pytest.approx(expected, rel=1e-9)
    assert expected > 0.01  # right-skewed data: a clearly positive acceleration


def test_bca_is_none_with_a_reason_when_every_resample_is_above_the_estimate():
    counts, row_cell = identity_cells(30)
    # The statistic is the largest weight: 1 on the data, at least 2 on almost every resample.
    stat = CellStatistic("max", counts, row_cell, lambda w: w.max(axis=1), lambda: np.ones(30))
    out = bootstrap_interval(stat, rng=np.random.default_rng(0), n_resamples=200, method="bca")
    assert out.interval is None
    assert "one side of the estimate" in out.reason


def test_undefined_resamples_are_counted_and_left_out():
    # One positive in 60 rows: absent from a resample with probability (59/60)^60 ≈ 0.366.
    y = np.zeros(60, int)
    y[0] = 1
    scores = np.column_stack([1.0 - y * 0.8 - 0.1, y * 0.8 + 0.1])
    stat = get_metric("roc_auc").statistic(y, scores, 2)
    out = bootstrap_interval(stat, rng=np.random.default_rng(2), n_resamples=2000)
    assert 0.33 < out.undefined_fraction < 0.40
    assert (out.interval.low, out.interval.high) == (1.0, 1.0)
    assert np.isnan(out.values).sum() == out.n_undefined


def test_same_seed_same_interval_other_seed_other_interval(skewed):
    stat = mean_loss_statistic("mean", skewed)
    a, b, c = (
        bootstrap_interval(stat, rng=np.random.default_rng(s), n_resamples=500, method="bca")
        for s in (3, 3, 4)
    )
    assert a == b
    assert a.interval != c.interval


def _many_cells(n: int, seed: int = 0):
    """A ROC AUC statistic with many cells, some holding several rows (tied score and label)."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    s = rng.integers(0, n // 2, n) / n
    return get_metric("roc_auc").statistic(y, np.column_stack([1 - s, s]), 2)


@pytest.mark.parametrize("scheme", ["auto", "multinomial", "double_or_nothing"])
@pytest.mark.parametrize("cap", [1, 977, 5000])
def test_draws_do_not_depend_on_the_chunk_size(monkeypatch, scheme, cap):
    stat = _many_cells(301)
    assert (stat.counts > 1).any() and stat.n_cells > resampling.SMALL_CELLS
    whole, how = bootstrap_values(stat, rng=np.random.default_rng(9), n_resamples=50, scheme=scheme)
    monkeypatch.setattr(resampling, "MAX_CHUNK_CELLS", cap)
    chunked, _ = bootstrap_values(stat, rng=np.random.default_rng(9), n_resamples=50, scheme=scheme)
    np.testing.assert_array_equal(chunked, whole)
    assert how in ("multinomial-rows", "double-or-nothing", "multinomial-cells")


def test_packed_draws_do_not_depend_on_the_chunk_size(monkeypatch):
    rng = np.random.default_rng(1)
    y = rng.integers(0, 2, 203)
    s = rng.random(203)
    stat = get_metric("roc_auc").statistic(y, np.column_stack([1 - s, s]), 2)
    whole, how = bootstrap_values(
        stat, rng=np.random.default_rng(9), n_resamples=40, scheme="double_or_nothing"
    )
    monkeypatch.setattr(resampling, "MAX_CHUNK_CELLS", 300)
    chunked, _ = bootstrap_values(
        stat, rng=np.random.default_rng(9), n_resamples=40, scheme="double_or_nothing"
    )
    np.testing.assert_array_equal(chunked, whole)
    assert how == "double-or-nothing"


def test_double_or_nothing_and_multinomial_give_similar_intervals():
    rng = np.random.default_rng(7)
    y = rng.integers(0, 2, 3000)
    s = y + rng.normal(0, 1.5, 3000)
    stat = get_metric("roc_auc").statistic(y, np.column_stack([1 - s, s]), 2)
    a, b = (
        bootstrap_interval(stat, rng=np.random.default_rng(0), n_resamples=2000, scheme=sch)
        for sch in ("multinomial", "double_or_nothing")
    )
    assert (a.scheme, b.scheme) == ("multinomial-rows", "double-or-nothing")
    # AUC sd ≈ 0.009 here; the two schemes' 2.5% / 97.5% quantiles agree within MC error.
    assert a.standard_error == pytest.approx(b.standard_error, rel=0.1)
    assert (a.interval.low, a.interval.high) == pytest.approx(
        (b.interval.low, b.interval.high), abs=0.004
    )


@pytest.mark.parametrize("level", [0.0, 1.0, 95.0])
def test_level_outside_zero_one_is_rejected(skewed, level):
    with pytest.raises(ValueError, match=r"level must be in \(0, 1\)"):
        bootstrap_interval(
            mean_loss_statistic("m", skewed), rng=np.random.default_rng(0), level=level
        )


def test_unknown_method_is_rejected(skewed):
    with pytest.raises(ValueError, match="unknown bootstrap method 'basic'"):
        bootstrap_interval(
            mean_loss_statistic("m", skewed),
            rng=np.random.default_rng(0),
            method="basic",  # type: ignore[arg-type]
        )


@pytest.mark.parametrize(("n", "metric"), [(5, "accuracy"), (12, "recall"), (40, "accuracy")])
def test_a_degenerate_bootstrap_of_a_proportion_becomes_wilsons_interval(n, metric):
    """5 of 5 right used to report [1, 1] as a 95% interval."""
    from scipy import stats

    from mlgate.stats.evaluate import estimate
    from mlgate.stats.metrics import get_metric

    y = np.arange(n) % 2
    est = estimate(get_metric(metric), y, y.copy(), 2, rng=np.random.default_rng(0))
    trials = n if metric == "accuracy" else int((y == 1).sum())
    ref = stats.binomtest(trials, trials).proportion_ci(0.95, method="wilson")
    assert est.interval.high == 1.0
    assert est.interval.low == pytest.approx(ref.low, abs=1e-12) and est.interval.low < 1.0
    assert "wilson (the bootstrap was degenerate)" in est.scheme


def test_a_degenerate_bootstrap_of_another_metric_at_small_n_gives_no_interval():
    from mlgate.stats.evaluate import estimate
    from mlgate.stats.metrics import get_metric

    y = np.linspace(0, 1, 20)
    est = estimate(get_metric("mae"), y, y.copy(), 0, rng=np.random.default_rng(0))
    assert est.interval is None
    assert "every resample of 20 rows gave mae = 0" in est.reason
