"""Average precision and one-vs-rest ROC AUC / average precision (macro and weighted) from the
shared grid of score buckets (``RankFold``, mlgate/stats/rank_poisson.py), against
scikit-learn with the same Poisson weights: exact while the scores fit the grid, within the
stated error on a coarse grid (genuine ties included), the same bytes for any split."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score, roc_auc_score
from sklearn.preprocessing import label_binarize

from mlgate.checks.performance.metric_threshold import METRIC_THRESHOLD
from mlgate.core.context import GateContext
from mlgate.core.result import Status
from mlgate.stats.poisson import poisson_weights
from mlgate.stats.rank_poisson import AucBootstrap, RankBootstraps, rank_estimate

KEY = 7
B = 40


def _binary(n: int, seed: int, ties: bool = False):
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.3).astype(int)
    s = rng.normal(size=n) + 1.2 * y
    return y, (np.round(s, 1) if ties else s)


def _multiclass(n: int, seed: int, k: int = 4, ties: bool = False):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, k, n)
    logits = rng.normal(size=(n, k)) + 1.5 * np.eye(k)[y]
    p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    return y, (np.round(p, 2) if ties else p)


def _boots(y, scores, columns, capacity=4096, rows=None) -> RankBootstraps:
    rows = np.arange(len(y)) if rows is None else rows
    return RankBootstraps(
        tuple(AucBootstrap(B, KEY, capacity).update(rows, y == c, scores[:, c]) for c in columns)
    )


def _sklearn(metric: str, y, scores, k: int) -> np.ndarray:
    """scikit-learn's value of the rows, then of each resample with its Poisson weights."""
    w = poisson_weights(KEY, np.arange(len(y)), np.arange(B))
    weights = [None, *(w[:, b] for b in range(B))]
    average = "weighted" if metric.endswith("weighted") else "macro"
    if metric.startswith("roc_auc"):
        if k == 2:
            return np.array([roc_auc_score(y, scores[:, 1], sample_weight=v) for v in weights])
        # One-vs-rest by hand (what multi_class="ovr" does; it refuses rounded probabilities
        # that do not sum to 1): each class's binary AUC, averaged as ``average`` says.
        out = []
        for v in weights:
            per = [roc_auc_score(y == c, scores[:, c], sample_weight=v) for c in range(k)]
            mass = [np.sum(np.where(y == c, 1.0 if v is None else v, 0.0)) for c in range(k)]
            out.append(np.average(per, weights=mass if average == "weighted" else None))
        return np.array(out)
    if k == 2:
        return np.array(
            [average_precision_score(y, scores[:, 1], sample_weight=v) for v in weights]
        )
    onehot = label_binarize(y, classes=list(range(k)))
    return np.array(
        [average_precision_score(onehot, scores, average=average, sample_weight=v) for v in weights]
    )


CASES = [
    ("average_precision", 2),
    ("roc_auc", 4),
    ("roc_auc_weighted", 4),
    ("average_precision", 4),
    ("average_precision_weighted", 4),
]


def _data(k: int, seed: int, ties: bool = False):
    if k == 2:
        y, s = _binary(1500, seed, ties)
        return y, np.column_stack([1 - s, s]), (1,)
    y, p = _multiclass(1500, seed, k, ties)
    return y, p, tuple(range(k))


@pytest.mark.parametrize(("metric", "k"), CASES)
def test_exact_while_the_scores_fit_the_grid_ties_included(metric, k):
    y, scores, columns = _data(k, seed=1, ties=True)
    boots = _boots(y, scores, columns)
    value, error = boots.compute(metric)
    assert all(b.grid.exact for b in boots.boots) and not error.any()
    np.testing.assert_allclose(value, _sklearn(metric, y, scores, k), rtol=0, atol=1e-12)


@pytest.mark.parametrize("ties", [False, True])
@pytest.mark.parametrize(("metric", "k"), CASES)
def test_on_a_coarse_grid_each_resample_is_within_its_stated_error(metric, k, ties):
    y, scores, columns = _data(k, seed=2, ties=ties)
    boots = _boots(y, scores, columns, capacity=64)
    value, error = boots.compute(metric)
    exact = _sklearn(metric, y, scores, k)
    assert not all(b.grid.exact for b in boots.boots)
    assert (np.abs(value - exact) <= error + 1e-12).all()
    assert np.abs(value - exact).max() > 0  # the grid did lose something ...
    assert error.max() < 0.15  # ... and the bound is not vacuous


@pytest.mark.parametrize(("metric", "k"), CASES)
def test_any_split_gives_the_same_estimate(metric, k):
    y, scores, columns = _data(k, seed=3)
    whole, _ = rank_estimate(_boots(y, scores, columns, capacity=64), metric)
    cuts = [0, 100, 101, 900, len(y)]
    merged = None
    for lo, hi in itertools.pairwise(cuts):
        rows = np.arange(lo, hi)
        part = _boots(y[lo:hi], scores[lo:hi], columns, capacity=64, rows=rows)
        merged = part if merged is None else part.merge(merged)
    split, _ = rank_estimate(merged, metric)
    assert split == whole


def test_a_class_without_rows_is_undefined_and_the_check_inconclusive():
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(900, 2)), columns=["a", "b"])
    y = np.digitize(X["a"], [-0.5, 0.5])  # three classes
    model = LogisticRegression().fit(X, y)
    missing = X.assign(y=y)[y != 2].reset_index(drop=True)
    ctx = GateContext.from_objects(
        models={"candidate": model}, datasets={"evaluation": missing}, task="multiclass", label="y"
    )
    result = METRIC_THRESHOLD(ctx, metric="roc_auc", min=0.7, interval="poisson")
    assert result.status is Status.INCONCLUSIVE


@pytest.mark.parametrize("metric", ["roc_auc", "average_precision_weighted"])
def test_metric_threshold_folds_multiclass_ranking_metrics_on_the_grid(metric):
    rng = np.random.default_rng(1)
    X = pd.DataFrame(rng.normal(size=(1600, 3)), columns=["a", "b", "c"])
    y = np.digitize(X["a"] + 0.3 * rng.normal(size=1600), [-0.6, 0.0, 0.6])
    model = LogisticRegression(max_iter=1000).fit(X.iloc[:800], y[:800])
    frame = X.iloc[800:].assign(y=y[800:]).reset_index(drop=True)

    def run(bound: float, batch_rows=None):
        ctx = GateContext.from_objects(
            models={"candidate": model},
            datasets={"evaluation": frame},
            task="multiclass",
            label="y",
        )
        ctx.batch_rows = batch_rows
        return METRIC_THRESHOLD(ctx, metric=metric, min=bound, interval="poisson", n_resamples=200)

    passed = run(0.6)
    scores = model.predict_proba(frame[["a", "b", "c"]])
    want = _sklearn_point(metric, frame["y"].to_numpy(), scores)
    assert passed.value == pytest.approx(want, abs=1e-12)
    assert passed.status is Status.PASSED and passed.evidence["sketch_exact"] is True
    assert passed.interval.low < want < passed.interval.high
    assert run(0.99).status is Status.FAILED
    assert run(0.6, batch_rows=97).to_dict() == passed.to_dict()


def _sklearn_point(metric: str, y, scores) -> float:
    average = "weighted" if metric.endswith("weighted") else "macro"
    if metric.startswith("roc_auc"):
        return roc_auc_score(y, scores, multi_class="ovr", average=average)
    onehot = label_binarize(y, classes=list(range(scores.shape[1])))
    return average_precision_score(onehot, scores, average=average)
