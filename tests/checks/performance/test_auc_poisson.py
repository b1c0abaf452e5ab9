"""The Poisson bootstrap of a binary ROC AUC over a shared grid of score buckets
(mlgate/stats/rank_poisson.py), against scikit-learn's ``roc_auc_score`` with the
same Poisson weights, and against the per-resample accumulators it replaces."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

from mlgate.checks.performance.metric_threshold import METRIC_THRESHOLD
from mlgate.core.context import GateContext
from mlgate.core.result import Status
from mlgate.stats.poisson import PoissonBootstrap, poisson_estimate, poisson_weights
from mlgate.stats.rank_poisson import CAPACITY, AucBootstrap, auc_estimate

KEY = 20261206


def _data(n: int, seed: int = 0, *, ties: bool = False):
    rng = np.random.default_rng(seed)
    y = rng.random(n) < 0.4
    s = rng.normal(size=n) + 0.9 * y
    return y, (np.round(s, 1) if ties else s)


def _weighted_sklearn(y, s, n_resamples: int) -> np.ndarray:
    """scikit-learn's AUC of the rows, then of each resample with its Poisson weights."""
    w = poisson_weights(KEY, np.arange(len(y)), np.arange(n_resamples))
    return np.array(
        [roc_auc_score(y, s)]
        + [roc_auc_score(y, s, sample_weight=w[:, b]) for b in range(len(w.T))]
    )


def test_exact_while_the_scores_fit_the_grid_ties_included():
    y, s = _data(2000, ties=True)
    boot = AucBootstrap(60, KEY).update(np.arange(len(y)), y, s)
    auc, error = boot.compute()
    assert boot.grid.exact and not error.any()
    np.testing.assert_allclose(auc, _weighted_sklearn(y, s, 60), rtol=0, atol=1e-12)


def test_on_a_coarse_grid_each_resample_is_within_its_stated_error():
    y, s = _data(3000, seed=1)
    boot = AucBootstrap(60, KEY, capacity=64).update(np.arange(len(y)), y, s)
    auc, error = boot.compute()
    exact = _weighted_sklearn(y, s, 60)
    assert not boot.grid.exact and len(boot.grid.keys) <= 64
    assert (error > 1e-4).all()  # a bound that is not vacuous ...
    assert (np.abs(auc - exact) <= error + 1e-12).all()  # ... and holds
    assert np.abs(auc - exact).max() > 0  # the sketch did lose something


def test_the_widened_interval_contains_the_exact_poisson_interval():
    """Reference: the per-resample accumulators (exact, unbounded memory) with the same key."""
    y, s = _data(1500, seed=2)
    exact = PoissonBootstrap("roc_auc", 2, n_resamples=200, key=KEY)
    exact.update(np.arange(len(y)), y.astype(int), np.column_stack([1 - s, s]))
    want = poisson_estimate(exact, level=0.9).interval
    same, _ = auc_estimate(AucBootstrap(200, KEY).update(np.arange(len(y)), y, s), level=0.9)
    assert same.interval.low == pytest.approx(want.low, abs=1e-12)
    assert same.interval.high == pytest.approx(want.high, abs=1e-12)
    coarse_boot = AucBootstrap(200, KEY, capacity=32).update(np.arange(len(y)), y, s)
    coarse, evidence = auc_estimate(coarse_boot, level=0.9)
    assert evidence["sketch_exact"] is False and evidence["interval_widened_by"] > 0
    assert coarse.interval.low <= want.low and coarse.interval.high >= want.high
    assert abs(coarse.value - exact.value()) <= evidence["sketch_max_error"] * (1 + 1e-5)


@pytest.mark.parametrize("capacity", [CAPACITY, 48])
def test_the_same_state_however_the_rows_are_split_and_merged(capacity):
    y, s = _data(4000, seed=3)
    whole = AucBootstrap(30, KEY, capacity).update(np.arange(len(y)), y, s)
    cuts = np.sort(np.random.default_rng(4).choice(np.arange(1, len(y)), 12, replace=False))
    parts = [
        AucBootstrap(30, KEY, capacity).update(rows, y[rows], s[rows])
        for rows in np.split(np.arange(len(y)), cuts)
    ]
    folded = AucBootstrap(30, KEY, capacity)
    for part in reversed(parts):
        folded = folded.merge(part)
    tree = parts[0]
    for a, b in zip(parts[1::2], parts[2::2], strict=False):
        tree = tree.merge(a.merge(b))
    if len(parts) % 2 == 0:
        tree = tree.merge(parts[-1])
    for other in (folded, tree):
        assert other.grid == whole.grid
        assert np.array_equal(other.positive, whole.positive)
        assert np.array_equal(other.negative, whole.negative)
        assert np.array_equal(other.compute()[0], whole.compute()[0], equal_nan=True)


def test_memory_is_bounded_by_the_grid_not_the_rows():
    """The accumulators it replaces keep every distinct score per resample."""
    y, s = _data(50_000, seed=5)
    boot = AucBootstrap(20, KEY).update(np.arange(len(y)), y, s)
    assert boot.positive.shape == boot.negative.shape == (21, len(boot.grid.keys))
    assert len(boot.grid.keys) <= CAPACITY
    old = PoissonBootstrap("roc_auc", 2, n_resamples=20, key=KEY)
    old.update(np.arange(len(y)), y.astype(int), np.column_stack([1 - s, s]))
    old_bytes = sum(acc.nbytes for acc in old.resamples)
    new_bytes = boot.positive.nbytes + boot.negative.nbytes
    assert old_bytes > 10 * new_bytes  # 50,000 scores × 3 floats × 20 vs 4,096 × 2 × 21


def test_bad_input_is_refused():
    with pytest.raises(ValueError, match="finite"):
        AucBootstrap(10, KEY).update([0, 1], [True, False], [0.2, np.nan])
    with pytest.raises(ValueError, match="2 row ids, 3 labels"):
        AucBootstrap(10, KEY).update([0, 1], [True, False, True], [0.2, 0.3, 0.4])
    with pytest.raises(TypeError, match="cannot merge"):
        AucBootstrap(10, KEY).merge(AucBootstrap(10, KEY + 1))


# -- metric_threshold, interval: poisson, roc_auc -------------------------------------------
@pytest.fixture(scope="module")
def objects():
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(1200, 3)), columns=["a", "b", "c"])
    y = ((X["a"] + 0.5 * rng.normal(size=1200)) > 0).astype(int)
    model = LogisticRegression().fit(X.iloc[:600], y.iloc[:600])
    return model, X.iloc[600:].assign(y=y.iloc[600:].to_numpy()).reset_index(drop=True)


def _ctx(objects, frame=None, batch_rows=None):
    model, data = objects
    ctx = GateContext.from_objects(
        models={"candidate": model},
        datasets={"evaluation": data if frame is None else frame},
        task="binary",
        label="y",
    )
    ctx.batch_rows = batch_rows
    return ctx


def test_metric_threshold_roc_auc_poisson_uses_the_grid_and_decides_the_known_verdicts(objects):
    model, frame = objects
    want = roc_auc_score(frame["y"], model.predict_proba(frame[["a", "b", "c"]])[:, 1])
    params = {"metric": "roc_auc", "interval": "poisson", "n_resamples": 300}
    passed = METRIC_THRESHOLD(_ctx(objects), min=0.8, **params)  # AUC ≈ 0.95
    assert passed.value == pytest.approx(want, abs=1e-12)
    assert passed.status is Status.PASSED
    assert passed.interval.low < want < passed.interval.high
    assert passed.evidence["sketch_exact"] is True
    assert passed.evidence["interval_widened_by"] == 0.0
    assert METRIC_THRESHOLD(_ctx(objects), min=0.99, **params).status is Status.FAILED
    for rows in (1, 77):  # any batching: the same bytes
        again = METRIC_THRESHOLD(_ctx(objects, batch_rows=rows), min=0.8, **params)
        assert again.to_dict() == passed.to_dict()


def test_metric_threshold_roc_auc_poisson_with_one_class_is_inconclusive(objects):
    _, frame = objects
    one_class = frame[frame["y"] == 1].reset_index(drop=True)
    ctx = _ctx(objects, one_class)
    result = METRIC_THRESHOLD(ctx, metric="roc_auc", min=0.8, interval="poisson")
    assert result.status is Status.INCONCLUSIVE
    assert "roc_auc undefined" in result.message
