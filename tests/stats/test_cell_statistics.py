"""Cell statistics (what the bootstrap resamples): for every metric, the value on the data, a
batch of integer weights, and the exact jackknife agree with recomputing the metric on the
repeated / remaining rows; the packed double-or-nothing ROC AUC kernel equals the general one."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from mlgate.core.task import Task
from mlgate.stats import resampling
from mlgate.stats.accumulators import UndefinedMetricError
from mlgate.stats.metrics import METRICS, get_metric

ALL = [*METRICS, "pinball_loss_0.2"]


def data_for(name: str, k: int, n: int = 24, seed: int = 0):
    """Small data with tied scores and every class present."""
    rng = np.random.default_rng(seed)
    metric = get_metric(name)
    if Task.REGRESSION in metric.tasks:
        y = rng.integers(-3, 4, n).astype(float)
        return y, y + rng.integers(-2, 3, n) / 2.0, 0
    y = np.r_[np.arange(k), rng.integers(0, k, n - k)]
    if metric.needs == "labels":
        return y, np.where(rng.random(n) < 0.6, y, rng.integers(0, k, n)), k
    w = rng.integers(1, 4, (n, k)).astype(float)
    w[np.arange(n), y] += rng.integers(0, 3, n)
    return y, w / w.sum(axis=1, keepdims=True), k


def recompute(metric, y, out, k) -> float:
    try:
        return metric.compute(y, out, k)
    except UndefinedMetricError:
        return float("nan")


def cases():
    for name in ALL:
        tasks = get_metric(name).tasks
        ks = [0] if Task.REGRESSION in tasks else [2, 3]
        for k in ks:
            yield pytest.param(name, k, id=f"{name}-k{k}")


@pytest.mark.parametrize(("name", "k"), list(cases()))
def test_value_weights_and_jackknife_equal_recomputing_on_rows(name, k):
    metric = get_metric(name)
    y, out, k = data_for(name, k)
    stat = metric.statistic(y, out, k)
    assert stat.value == pytest.approx(metric.compute(y, out, k), rel=1e-12, abs=1e-12)

    rng = np.random.default_rng(1)
    rows = rng.integers(0, 3, (5, len(y)))  # integer row weights, some rows dropped
    cell_w = np.stack([np.bincount(stat.row_cell, w, minlength=stat.n_cells) for w in rows])
    got = stat.batch(cell_w.astype(float))
    want = [recompute(metric, np.repeat(y, w), np.repeat(out, w, axis=0), k) for w in rows]
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12)

    loo = stat.jackknife()
    for r in range(len(y)):
        keep = np.arange(len(y)) != r
        expected = recompute(metric, y[keep], out[keep], k)
        assert loo[stat.row_cell[r]] == pytest.approx(expected, rel=1e-9, abs=1e-12, nan_ok=True)


def test_label_metrics_have_at_most_k_plus_one_squared_cells_whatever_n():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, 100_000)
    stat = get_metric("balanced_accuracy").statistic(y, rng.integers(0, 3, 100_000), 3)
    assert stat.n_cells == 9
    assert resampling.choose("auto", stat.n_rows, stat.n_cells) == "multinomial-cells"


def tied_binary(n: int, seed: int = 0):
    """Scores where many (negative, positive) pairs tie but no (score, label) repeats."""
    rng = np.random.default_rng(seed)
    s = rng.permutation(n) // 2 / n
    y = np.zeros(n, int)
    for value in np.unique(s):
        rows = np.flatnonzero(s == value)
        y[rows] = rng.permutation([0, 1])[: len(rows)] if len(rows) == 2 else rng.integers(0, 2)
    return y, np.column_stack([1 - s, s])


@pytest.mark.parametrize("n", [9, 64, 1001])
def test_packed_kernel_equals_the_general_kernel_and_sklearn(n):
    y, scores = tied_binary(n)
    stat = get_metric("roc_auc").statistic(y, scores, 2)
    assert stat.batch_bits is not None  # one row per cell
    bits = resampling.random_bits(np.random.default_rng(3), stat.n_cells, 40)
    weights = resampling.double_or_nothing(np.random.default_rng(0), stat.counts, bits)
    fast, general = stat.batch_bits(bits), stat.batch(weights)
    np.testing.assert_array_equal(fast, general)
    kept_cells = np.flatnonzero(weights[0])
    rows = np.isin(stat.row_cell, kept_cells)
    assert fast[0] == pytest.approx(roc_auc_score(y[rows], scores[rows, 1]), abs=1e-12)


def test_packed_kernel_is_nan_without_both_classes():
    y, scores = tied_binary(16)
    stat = get_metric("roc_auc").statistic(y, scores, 2)
    none = np.zeros((1, 2), np.uint8)
    assert np.isnan(stat.batch_bits(none)[0])


def test_repeated_score_label_pairs_have_no_packed_kernel():
    y = np.array([0, 0, 1, 1])
    scores = np.column_stack([np.full(4, 0.5), np.full(4, 0.5)])
    stat = get_metric("roc_auc").statistic(y, scores, 2)
    assert stat.n_cells == 2 and stat.batch_bits is None


def test_double_or_nothing_weights_have_bootstrap_moments():
    counts = np.r_[np.ones(2000), np.full(10, 5.0)]
    bits = resampling.random_bits(np.random.default_rng(0), len(counts), 200)
    w = resampling.double_or_nothing(np.random.default_rng(1), counts, bits)
    assert set(np.unique(w[:, :2000])) == {0.0, 2.0}
    per_row = w[:, :2000]
    assert per_row.mean() == pytest.approx(1.0, abs=0.01)
    assert per_row.var() == pytest.approx(1.0, abs=0.01)
    multi = w[:, 2000:] / 5.0  # 2·Binomial(5, 1/2) / 5: mean 1, variance 1/5
    assert multi.mean() == pytest.approx(1.0, abs=0.05)
    assert multi.var() == pytest.approx(0.2, abs=0.04)


@pytest.mark.parametrize(
    ("scheme", "n_rows", "n_cells", "expected"),
    [
        ("auto", 1_000_000, 9, "multinomial-cells"),
        ("auto", 1_000, 500, "multinomial-rows"),
        ("auto", 100_000, 10_000, "multinomial-cells"),
        ("auto", 1_000_000, 900_000, "double-or-nothing"),
        ("multinomial", 1_000_000, 900_000, "multinomial-rows"),
        ("double_or_nothing", 100, 4, "double-or-nothing"),
    ],
)
def test_scheme_choice(scheme, n_rows, n_cells, expected):
    assert resampling.choose(scheme, n_rows, n_cells) == expected


def test_unknown_scheme_is_rejected():
    with pytest.raises(ValueError, match="unknown resampling scheme 'poisson'"):
        resampling.choose("poisson", 10, 10)  # type: ignore[arg-type]
