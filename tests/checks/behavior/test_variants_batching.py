"""Batched variants: the number of model calls does not grow with the number of rows."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from behavior_helpers import CountingModel, proba, run_check

from mlgate.checks.behavior import perturbation_check
from mlgate.checks.behavior.compare import change_compare
from mlgate.checks.behavior.variants import evaluate_variants, resolve_transform, rows_changed
from mlgate.core.task import Task
from mlgate.models import adapt


def data(n: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"x": rng.normal(size=n), "z": rng.normal(size=n)})


def sigmoid_model(X: pd.DataFrame) -> np.ndarray:
    return proba(1.0 / (1.0 + np.exp(-4.0 * X["x"].to_numpy())))


@pytest.mark.parametrize("check", ["perturbation", "invariance", "directional"])
def test_model_calls_do_not_grow_with_rows(tmp_path, check):
    decl = {
        "perturbation": {"max_flip_rate": 0.5, "variants": 10},
        "invariance": {"transform": "gaussian_noise", "max_flip_rate": 0.5, "variants": 10},
        "directional": {
            "columns": ["x"],
            "params": {"by": 0.1},
            "expect": "increase",
            "max_violation_rate": 0.5,
            "variants": 3,
        },
    }[check]
    counts = {}
    for n in (100, 10_000):
        model = CountingModel(sigmoid_model)
        result = run_check(
            tmp_path, {"check": check, "shrink": 0, **decl}, model, data(n), label=None
        )
        assert result.status.value in ("passed", "failed", "inconclusive"), result.message
        counts[n] = model.calls
        assert model.rows == n * (1 + decl["variants"])  # every pair predicted once
        assert result.evidence["model_calls"] == 1
    # one call for the cached original predictions, one for all the variants
    assert counts == {100: 2, 10_000: 2}


@pytest.mark.parametrize(("n", "variants", "batch_rows"), [(1000, 10, 3000), (999, 3, 1000)])
def test_batch_rows_splits_pairs_into_ceil_chunks(n, variants, batch_rows):
    model = CountingModel(sigmoid_model)
    result = perturbation_check(
        model,
        data(n),
        task="binary",
        variants=variants,
        batch_rows=batch_rows,
        max_flip_rate=0.5,
        shrink=0,
    )
    chunks = math.ceil(n * variants / batch_rows)
    assert result.evidence["model_calls"] == chunks
    assert model.calls == 1 + chunks  # plus the original predictions


def test_chunking_does_not_change_a_deterministic_outcome():
    X = data(500)
    adapter = adapt(sigmoid_model, Task.BINARY)
    original = adapter.predict(X)
    applied = resolve_transform("increase", X, columns=["x"], params={"by": 0.2})
    runs = [
        evaluate_variants(
            adapter,
            X,
            applied,
            original=original,
            compare=change_compare(Task.BINARY, None),
            rng=np.random.default_rng(0),
            n_variants=3,
            batch_rows=b,
        )
        for b in (1_000_000, 700, 97)
    ]
    for run in runs[1:]:
        np.testing.assert_array_equal(run.violation, runs[0].violation)
        np.testing.assert_allclose(run.magnitude, runs[0].magnitude)
        assert [c.row for c in run.examples] == [c.row for c in runs[0].examples]
    assert [r.model_calls for r in runs] == [1, 3, 16]


def test_worst_examples_are_violations_first_one_per_row_worst_first():
    X = data(400)
    adapter = adapt(sigmoid_model, Task.BINARY)
    original = adapter.predict(X)
    applied = resolve_transform("gaussian_noise", X, params={"scale": 0.3})
    out = evaluate_variants(
        adapter,
        X,
        applied,
        original=original,
        compare=change_compare(Task.BINARY, None),
        rng=np.random.default_rng(1),
        n_variants=5,
        batch_rows=600,
        n_examples=8,
    )
    rows = [c.row for c in out.examples]
    assert len(rows) == len(set(rows)) == 8
    flips = [c for c in out.examples if c.violation]
    assert flips and out.examples[: len(flips)] == tuple(flips)
    mags = [c.magnitude for c in flips]
    assert mags == sorted(mags, reverse=True)
    # the best kept flip is the largest score change among all flipped pairs
    assert mags[0] == pytest.approx(out.magnitude[out.violation & out.changed].max())
    for c in out.examples:  # the kept row is the perturbed row of that pair
        assert c.changed_row["x"] != X["x"].iloc[c.row]


def test_rows_changed_treats_missing_as_equal():
    a = pd.DataFrame({"x": [1.0, np.nan, 3.0], "s": ["a", None, "c"]})
    b = pd.DataFrame({"x": [1.0, np.nan, 3.5], "s": ["a", None, "c"]})
    assert rows_changed(a, b).tolist() == [False, False, True]
    b2 = b.assign(x=[1, np.nan, 3.0], s=["a", None, "d"])
    assert rows_changed(a, b2).tolist() == [False, False, True]
