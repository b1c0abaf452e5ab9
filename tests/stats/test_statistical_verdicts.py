"""Known-verdict simulations (seeded, slow-marked, a few seconds each).

* Coverage: 95% intervals cover the true value 93–97% of the time — accuracy (Wilson, and the
  percentile bootstrap) and ROC AUC (DeLong). With 1,000–5,000 simulations the sd of a
  coverage estimate is 0.3–0.7 points, so the window is ±3 sd or more around 95%.
* Equal models: the one-sided superiority tests (McNemar, paired DeLong, paired bootstrap) at
  α = 0.025 reject no more often than α allows (+3 sd of the simulation noise).
* A truly better candidate is found superior (and non-inferior) nearly always.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import ndtr

from mlgate.stats.bootstrap import bootstrap_interval
from mlgate.stats.evaluate import compare
from mlgate.stats.intervals import delong_interval, wilson_interval
from mlgate.stats.metrics import get_metric

pytestmark = pytest.mark.slow
ALPHA = 0.025  # one-sided level of a two-sided 95% interval


def coverage_window(covered: np.ndarray) -> float:
    rate = float(np.mean(covered))
    assert 0.93 <= rate <= 0.97, f"coverage {rate:.1%} outside 93-97%"
    return rate


def test_wilson_interval_of_accuracy_covers_the_true_rate():
    # Wilson's exact coverage at p = 0.8, n = 300 is 94.9% (it oscillates with p and n).
    p, n, sims = 0.8, 300, 5000
    hits = np.random.default_rng(101).binomial(n, p, size=sims)
    cis = [wilson_interval(k, n) for k in hits]
    coverage_window(np.array([ci.low <= p <= ci.high for ci in cis]))


def test_bootstrap_interval_of_accuracy_covers_the_true_rate():
    p, n, sims = 0.8, 300, 1000
    metric = get_metric("accuracy")
    master = np.random.default_rng(102)
    covered = []
    for _ in range(sims):
        y = master.integers(0, 2, n)
        pred = np.where(master.random(n) < p, y, 1 - y)
        ci = bootstrap_interval(
            metric.statistic(y, pred, 2),
            rng=np.random.default_rng(master.integers(2**63)),
            n_resamples=1000,
        ).interval
        covered.append(ci.low <= p <= ci.high)
    coverage_window(np.array(covered))


def test_delong_interval_of_roc_auc_covers_the_true_auc():
    # Binormal scores: positives N(1, 1), negatives N(0, 1): AUC = Φ(1/√2) ≈ 0.760.
    true_auc = float(ndtr(1 / np.sqrt(2)))
    sims, n_pos, n_neg = 2000, 100, 100
    rng = np.random.default_rng(103)
    positive = np.r_[np.ones(n_pos, bool), np.zeros(n_neg, bool)]
    covered = []
    for _ in range(sims):
        scores = rng.normal(size=n_pos + n_neg) + positive
        ci = delong_interval(positive, scores).interval
        covered.append(ci.low <= true_auc <= ci.high)
    coverage_window(np.array(covered))


def false_positive_bound(sims: int) -> float:
    return ALPHA + 3 * np.sqrt(ALPHA * (1 - ALPHA) / sims)


def test_equal_accuracy_is_not_declared_better_by_mcnemar():
    sims, n = 1000, 300
    rng = np.random.default_rng(104)
    metric = get_metric("accuracy")
    rejected = 0
    for _ in range(sims):
        y = rng.integers(0, 2, n)
        a = np.where(rng.random(n) < 0.8, y, 1 - y)  # independent errors, same accuracy
        b = np.where(rng.random(n) < 0.8, y, 1 - y)
        c = compare(metric, y, a, b, 2, boundary=0.0, test="mcnemar")
        rejected += c.p_value <= ALPHA
    assert rejected / sims <= false_positive_bound(sims), rejected


def test_equal_auc_is_not_declared_better_by_paired_delong():
    sims, n = 1000, 300
    rng = np.random.default_rng(105)
    metric = get_metric("roc_auc")
    rejected = 0
    for _ in range(sims):
        y = rng.integers(0, 2, n)
        shared = rng.normal(0, 0.7, n)  # correlated models, identically distributed
        a = y + shared + rng.normal(0, 0.7, n)
        b = y + shared + rng.normal(0, 0.7, n)
        c = compare(metric, y, _two(a), _two(b), 2, boundary=0.0, test="delong")
        rejected += c.p_value <= ALPHA
    assert rejected / sims <= false_positive_bound(sims), rejected


def test_equal_log_loss_is_not_declared_better_by_the_paired_bootstrap():
    sims, n = 300, 300
    rng = np.random.default_rng(106)
    metric = get_metric("log_loss")
    rejected = 0
    for _ in range(sims):
        y = rng.integers(0, 2, n)
        a = 1 / (1 + np.exp(-(2 * y - 1 + rng.normal(0, 1.2, n))))
        b = 1 / (1 + np.exp(-(2 * y - 1 + rng.normal(0, 1.2, n))))
        c = compare(
            metric, y, _two(a), _two(b), 2,
            boundary=0.0, test="bootstrap", rng=np.random.default_rng(rng.integers(2**63)),
            n_resamples=500,
        )  # fmt: skip
        rejected += c.p_value <= ALPHA
    assert rejected / sims <= false_positive_bound(sims), rejected


def test_a_truly_better_candidate_is_found_superior_and_non_inferior():
    sims, n = 200, 2000
    rng = np.random.default_rng(107)
    metric = get_metric("accuracy")
    superior = non_inferior = 0
    for _ in range(sims):
        y = rng.integers(0, 2, n)
        cand = np.where(rng.random(n) < 0.86, y, 1 - y)
        champ = np.where(rng.random(n) < 0.80, y, 1 - y)
        superior += compare(metric, y, cand, champ, 2, boundary=0.0).p_value <= ALPHA
        non_inferior += compare(metric, y, cand, champ, 2, boundary=-0.01).p_value <= ALPHA
    # Independent errors: per-row variance of the difference = .172 + .112 − .06² = .280, so
    # se = 0.0118 at n = 2000 and a 6-point gain is 5 se away: power ≈ Φ(5.07 − 1.96) ≈ 0.999.
    assert superior / sims >= 0.97 and non_inferior / sims >= 0.97, (superior, non_inferior)


def _two(p: np.ndarray) -> np.ndarray:
    return np.column_stack([1 - p, p])
