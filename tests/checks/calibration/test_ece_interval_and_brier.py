"""The ECE bootstrap statistic (value, jackknife, coverage of a known case) and the Brier
decomposition against scikit-learn's brier_score_loss and a hand-computed case."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import softmax
from sklearn.metrics import brier_score_loss

from mlgate.checks.calibration.bins import calibration_summary, equal_width_edges
from mlgate.checks.calibration.brier import brier_decomposition
from mlgate.checks.calibration.intervals import ece_interval, ece_statistic


@pytest.mark.parametrize("kind", ["top_label", "classwise"])
def test_statistic_value_and_jackknife_match_direct_computation(rng, kind):
    scores = softmax(rng.normal(0, 1.5, (60, 3)), axis=1)
    y = rng.integers(0, 3, 60)
    edges = equal_width_edges(6)
    stat = ece_statistic(y, scores, edges, kind)
    assert stat.value == pytest.approx(calibration_summary(y, scores, n_bins=6, kind=kind).ece)
    loo = stat.jackknife()
    for i in (0, 17, 59):
        keep = np.arange(60) != i
        direct = calibration_summary(y[keep], scores[keep], edges=edges, kind=kind).ece
        assert loo[i] == pytest.approx(direct, abs=1e-12)


def test_interval_is_seeded_and_brackets_the_estimate(rng):
    p = rng.random(800)
    y = (rng.random(800) < p**2).astype(int)
    scores = np.column_stack([1 - p, p])
    edges = equal_width_edges(10)
    a = ece_interval(y, scores, edges, "positive", rng=np.random.default_rng(1), n_resamples=300)
    b = ece_interval(y, scores, edges, "positive", rng=np.random.default_rng(1), n_resamples=300)
    assert a.interval == b.interval
    value = calibration_summary(y, scores, n_bins=10, kind="positive").ece
    assert a.interval.low < value < a.interval.high
    bca = ece_interval(
        y, scores, edges, "positive", rng=np.random.default_rng(1), n_resamples=300, method="bca"
    )
    assert bca.interval is not None and bca.interval.method == "bootstrap-bca"


@pytest.mark.slow
def test_interval_covers_the_population_ece_of_a_miscalibrated_model():
    # Forecast 0.7 for every row, truth 0.5: the population ECE is 0.2 exactly.
    covered = 0
    runs = 100
    for seed in range(runs):
        r = np.random.default_rng(seed)
        y = (r.random(400) < 0.5).astype(int)
        scores = np.tile([0.3, 0.7], (400, 1))
        out = ece_interval(y, scores, equal_width_edges(10), "positive", rng=r, n_resamples=200)
        covered += out.interval.low <= 0.2 <= out.interval.high
    assert covered / runs >= 0.88


@pytest.mark.parametrize("k", [2, 4])
def test_brier_agrees_with_sklearn(rng, k):
    scores = softmax(rng.normal(0, 1, (500, k)), axis=1)
    y = rng.integers(0, k, 500)
    d = brier_decomposition(y, scores)
    if k == 2:
        expected = brier_score_loss(y, scores[:, 1])
    else:
        expected = brier_score_loss(y, scores, labels=list(range(k)), scale_by_half=False)
    assert d.brier == pytest.approx(expected, abs=1e-12)
    assert d.reliability - d.resolution + d.uncertainty + d.within == pytest.approx(d.brier)


def test_decomposition_is_exact_when_each_bin_holds_one_forecast():
    # Forecasts 0.25 (4 rows, 1 positive) and 0.75 (4 rows, 2 positive).
    p = np.array([0.25] * 4 + [0.75] * 4)
    y = np.array([1, 0, 0, 0, 1, 1, 0, 0])
    d = brier_decomposition(y, np.column_stack([1 - p, p]))
    # reliability = ½(0.25 − 0.25)² + ½(0.75 − 0.5)²; base rate 3/8
    assert d.reliability == pytest.approx(0.5 * 0.0625)
    assert d.resolution == pytest.approx(0.5 * (0.25 - 0.375) ** 2 + 0.5 * (0.5 - 0.375) ** 2)
    assert d.uncertainty == pytest.approx(0.375 * 0.625)
    assert d.within == pytest.approx(0.0, abs=1e-15)
    assert d.brier == pytest.approx(brier_score_loss(y, p))
