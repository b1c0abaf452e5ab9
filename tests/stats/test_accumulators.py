"""Accumulators: any split of the data, updated chunk by chunk and merged in any order, gives
the same metric as one pass over the whole (Hypothesis), for every metric."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mlgate.core.task import Task
from mlgate.stats.accumulators import UndefinedMetricError
from mlgate.stats.metrics import METRICS, get_metric
from mlgate.stats.ranking import ScoreAccumulator

ALL = [*METRICS, "pinball_loss_0.9"]
SETTINGS = settings(max_examples=25, deadline=None)


@st.composite
def rows_for(draw, name: str):
    """(y, output, k) for metric ``name``: small samples with ties, any class may be absent."""
    metric = get_metric(name)
    n = draw(st.integers(1, 30))
    if Task.REGRESSION in metric.tasks:
        ints = st.integers(-3, 3)  # small integers: ties and zeros (MAPE's eps branch)
        y = np.asarray(draw(st.lists(ints, min_size=n, max_size=n)), float)
        v = np.asarray(draw(st.lists(ints, min_size=n, max_size=n)), float) / 2
        return y, v, 0
    k = draw(st.sampled_from([2, 3, 4]))
    y = np.asarray(draw(st.lists(st.integers(0, k - 1), min_size=n, max_size=n)))
    if metric.needs == "labels":
        pred = np.asarray(draw(st.lists(st.integers(0, k - 1), min_size=n, max_size=n)))
        return y, pred, k
    w = np.asarray(draw(st.lists(st.integers(0, 3), min_size=n * k, max_size=n * k)), float)
    w = w.reshape(n, k) + 0.5
    return y, w / w.sum(axis=1, keepdims=True), k


def value_or_undefined(fn):
    try:
        return fn()
    except UndefinedMetricError:
        return "undefined"


@pytest.mark.parametrize("name", ALL)
def test_any_split_merged_equals_the_whole(name):
    metric = get_metric(name)

    @SETTINGS
    @given(data=st.data())
    def check(data):
        y, out, k = data.draw(rows_for(name))
        cuts = sorted(data.draw(st.lists(st.integers(0, len(y)), max_size=4)))
        bounds = [0, *cuts, len(y)]
        parts = [
            metric.accumulator(k).update(y[a:b], out[a:b]) for a, b in itertools.pairwise(bounds)
        ]
        order = data.draw(st.permutations(range(len(parts))))
        merged = parts[order[0]]
        for i in order[1:]:
            merged = merged.merge(parts[i])
        whole = value_or_undefined(lambda: metric.compute(y, out, k))
        got = value_or_undefined(merged.compute)
        if whole == "undefined":
            assert got == "undefined"
        else:
            assert got == pytest.approx(whole, rel=1e-9, abs=1e-12)

    check()


def test_merge_leaves_both_inputs_unchanged():
    metric = get_metric("roc_auc")
    y = np.array([0, 1, 1, 0])
    scores = np.array([[0.8, 0.2], [0.3, 0.7], [0.5, 0.5], [0.5, 0.5]])
    a = metric.accumulator(2).update(y[:2], scores[:2])
    b = metric.accumulator(2).update(y[2:], scores[2:])
    before = ({k: v.copy() for k, v in a.state.items()}, {k: v.copy() for k, v in b.state.items()})
    merged = a.merge(b)
    assert merged.compute() == pytest.approx(metric.compute(y, scores, 2))
    for acc, saved in zip((a, b), before, strict=True):
        assert all(np.array_equal(acc.state[k], v) for k, v in saved.items())


def test_integer_sample_weights_equal_repeated_rows():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, 40)
    probs = rng.dirichlet(np.ones(3), 40).round(1)
    probs /= probs.sum(axis=1, keepdims=True)
    w = rng.integers(0, 4, 40)
    for name in ("roc_auc", "average_precision_weighted", "log_loss", "brier"):
        metric = get_metric(name)
        weighted = metric.accumulator(3).update(y, probs, sample_weight=w).compute()
        repeated = metric.compute(np.repeat(y, w), np.repeat(probs, w, axis=0), 3)
        assert weighted == pytest.approx(repeated, rel=1e-12), name


def test_merging_different_metrics_is_a_type_error():
    a = get_metric("accuracy").accumulator(2)
    with pytest.raises(TypeError, match="cannot merge"):
        a.merge(get_metric("f1").accumulator(2))
    with pytest.raises(TypeError, match="k=3"):
        a.merge(get_metric("accuracy").accumulator(3))


def test_mismatched_lengths_and_negative_weights_are_rejected():
    acc = get_metric("accuracy").accumulator(2)
    with pytest.raises(ValueError, match="3 labels but 2 predictions"):
        acc.update([0, 1, 1], [0, 1])
    with pytest.raises(ValueError, match="non-negative"):
        acc.update([0, 1], [0, 1], sample_weight=[1, -1])


def test_score_state_memory_is_24_bytes_per_distinct_score_and_class():
    rng = np.random.default_rng(1)
    y = rng.integers(0, 2, 10_000)
    p = rng.random(10_000)
    acc = ScoreAccumulator("roc_auc", 2, "roc_auc").update(y, np.column_stack([1 - p, p]))
    assert acc.nbytes == 24 * len(np.unique(p))
    rounded = ScoreAccumulator("roc_auc", 2, "roc_auc").update(
        y, np.column_stack([1 - p, p]).round(2)
    )
    assert rounded.nbytes == 24 * 101  # scores rounded to 0.00 .. 1.00
