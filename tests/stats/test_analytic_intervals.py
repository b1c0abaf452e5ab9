"""Wilson and DeLong intervals: against SciPy, a hand-computed case and the bootstrap."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import binomtest
from sklearn.metrics import roc_auc_score

from mlgate.stats.bootstrap import bootstrap_interval
from mlgate.stats.intervals import delong_interval, placements, wilson_interval, z_value
from mlgate.stats.metrics import get_metric


@pytest.mark.parametrize(("k", "n"), [(0, 10), (3, 10), (10, 10), (37, 50), (912, 1000), (1, 2)])
@pytest.mark.parametrize("level", [0.9, 0.95, 0.99])
def test_wilson_interval_matches_scipy(k, n, level):
    ours = wilson_interval(k, n, level)
    ref = binomtest(k, n).proportion_ci(confidence_level=level, method="wilson")
    assert (ours.low, ours.high) == pytest.approx((ref.low, ref.high), abs=1e-12)
    assert (ours.level, ours.method) == (level, "wilson")


def test_wilson_without_trials_is_none():
    assert wilson_interval(0, 0) is None


def test_delong_on_a_hand_computed_case():
    # Positives 0.9, 0.8, 0.4; negatives 0.7, 0.4, 0.2 (one tie at 0.4).
    # V10 (share of negatives below each positive) = 1, 1, 1/2       -> AUC = 5/6
    # V01 (share of positives above each negative) = 2/3, 5/6, 1     -> mean 5/6
    # S10 = var(V10) = 1/12, S01 = var(V01) = 1/36 (ddof 1)
    # Var(AUC) = S10/3 + S01/3 = 1/36 + 1/108 = 1/27
    positive = np.array([1, 1, 1, 0, 0, 0], bool)
    scores = np.array([0.9, 0.8, 0.4, 0.7, 0.4, 0.2])
    res = delong_interval(positive, scores, level=0.95)
    assert res.auc == pytest.approx(5 / 6)
    assert res.se == pytest.approx(np.sqrt(1 / 27))
    z = z_value(0.95)
    assert res.interval.low == pytest.approx(5 / 6 - z * np.sqrt(1 / 27))
    assert res.interval.high == 1.0  # 5/6 + 0.38 clipped to [0, 1]
    assert res.interval.method == "delong"
    p = placements(positive, scores)
    np.testing.assert_allclose(p.value, [1, 1, 0.5, 2 / 3, 5 / 6, 1])


def _brute_delong(positive, scores):
    x, y = scores[positive], scores[~positive]
    psi = (x[:, None] > y[None, :]) + 0.5 * (x[:, None] == y[None, :])
    v10, v01 = psi.mean(axis=1), psi.mean(axis=0)
    return psi.mean(), np.sqrt(v10.var(ddof=1) / len(x) + v01.var(ddof=1) / len(y))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_delong_matches_the_quadratic_definition_with_ties(seed):
    rng = np.random.default_rng(seed)
    positive = rng.random(300) < 0.3
    scores = (positive + rng.normal(0, 1, 300)).round(1)
    res = delong_interval(positive, scores)
    auc, se = _brute_delong(positive, scores)
    assert res.auc == pytest.approx(roc_auc_score(positive, scores), abs=1e-12)
    assert (res.auc, res.se) == pytest.approx((auc, se), rel=1e-10)


def test_delong_standard_error_agrees_with_the_bootstrap():
    rng = np.random.default_rng(3)
    y = rng.integers(0, 2, 2000)
    s = y + rng.normal(0, 1.3, 2000)
    res = delong_interval(y == 1, s)
    boot = bootstrap_interval(
        get_metric("roc_auc").statistic(y, np.column_stack([1 - s, s]), 2),
        rng=np.random.default_rng(4),
        n_resamples=2000,
    )
    # The sd of a bootstrap sd from 2,000 resamples is ~1.6%: 8% is five of them.
    assert boot.standard_error == pytest.approx(res.se, rel=0.08)
    assert (boot.interval.low, boot.interval.high) == pytest.approx(
        (res.interval.low, res.interval.high), abs=0.004
    )


@pytest.mark.parametrize("n_pos", [0, 1])
def test_delong_with_fewer_than_two_rows_of_a_class_has_no_interval(n_pos):
    positive = np.r_[np.ones(n_pos, bool), np.zeros(10, bool)]
    res = delong_interval(positive, np.linspace(0, 1, len(positive)))
    assert (res.se, res.interval) == (None, None)
