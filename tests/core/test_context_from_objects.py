"""Python users and tests run any check on in-memory objects through the same validation,
prediction cache and seeding as a gate file (GateContext.from_objects, CheckType.__call__),
and read rows through one batch interface (ctx.batches)."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_breast_cancer
from sklearn.linear_model import LogisticRegression

from mlgate.core.context import GateContext
from mlgate.core.errors import ConfigError, DataError
from mlgate.core.registry import CheckRegistry
from mlgate.core.result import Status


@pytest.fixture(scope="module")
def data():
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    frame = X.iloc[:, :5].assign(target=y.to_numpy())
    model = LogisticRegression(max_iter=2000).fit(frame.iloc[:300, :5], frame["target"][:300])
    return model, frame.iloc[300:].reset_index(drop=True)


@pytest.fixture
def ctx(data):
    model, frame = data
    return GateContext.from_objects(
        models={"candidate": model}, datasets={"evaluation": frame}, task="binary", label="target"
    )


def test_a_check_called_from_python_equals_the_gate_files(ctx, tmp_path, data):
    """The same check on the same objects gives the same result whether it is declared in a
    gate file and run by the kernel or called on a context made from objects."""
    from mlgate.core.gate import open_gate
    from mlgate.core.runner import run_check

    model, frame = data
    frame.to_csv(tmp_path / "eval.csv", index=False)
    (tmp_path / "gate.yaml").write_text(
        "name: g\ntask: binary\nmodels: {candidate: {factory: 'x:y'}}\n"
        "datasets: {evaluation: {path: eval.csv, label: target}}\n"
        "stages: {s: {checks: [{check: metric_threshold, metric: accuracy, min: 0.8}]}}\n"
    )
    gate = open_gate(tmp_path / "gate.yaml")
    via_gate = run_check(GateContext(gate, models={"candidate": model}), gate.checks[0])
    registry = CheckRegistry.from_entry_points()
    via_python = registry.get("metric_threshold")(ctx, metric="accuracy", min=0.8)
    assert via_python.check_id == via_gate.check_id == "accuracy"
    assert via_python.status is via_gate.status is Status.PASSED
    assert (via_python.value, via_python.interval) == (via_gate.value, via_gate.interval)


def test_parameters_are_validated_like_the_gate_file(ctx):
    check = CheckRegistry.from_entry_points().get("metric_threshold")
    with pytest.raises(ConfigError, match="unknown metric 'acuracy'"):
        check(ctx, metric="acuracy", min=0.8)
    with pytest.raises(ConfigError, match="no dataset 'holdout'"):
        check(ctx, metric="accuracy", min=0.8, dataset="holdout")


def test_predictions_are_shared_through_the_cache(ctx):
    check = CheckRegistry.from_entry_points().get("metric_threshold")
    check(ctx, metric="accuracy", min=0.5)
    check(ctx, metric="roc_auc", min=0.5)
    list(ctx.batches(columns=None))
    assert ctx.predictions.calls[("candidate", "evaluation")] == 1


def test_from_objects_refuses_what_a_gate_file_refuses(data):
    model, frame = data
    with pytest.raises(ConfigError, match="a 'candidate' model is required"):
        GateContext.from_objects(
            models={"champ": model}, datasets={"evaluation": frame}, task="binary"
        )
    with pytest.raises(ConfigError, match="task"):
        GateContext.from_objects(
            models={"candidate": model}, datasets={"evaluation": frame}, task="ranking"
        )


def test_from_objects_takes_dataset_roles_and_xy_pairs(data):
    model, frame = data
    ctx = GateContext.from_objects(
        models={"candidate": model},
        datasets={
            "evaluation": {"data": frame, "label": "target", "sensitive": ["mean radius"]},
            "extra": (frame.iloc[:, :5], frame["target"].to_numpy()),
        },
        task="binary",
        seed=7,
    )
    assert ctx.seed == 7
    assert ctx.dataset("evaluation").spec.sensitive == ["mean radius"]
    assert ctx.dataset("extra").spec.label == "y"
    assert np.array_equal(ctx.dataset("extra").y, frame["target"].to_numpy())


@pytest.mark.parametrize("rows", [1, 7, 100, 268, 269, 10_000])
def test_batches_cover_every_row_once_in_order(ctx, rows):
    whole = next(iter(ctx.batches(columns=None)))
    parts = list(ctx.batches(columns=["mean radius"], batch_rows=rows))
    assert parts[0].start == 0
    assert all(a.stop == b.start for a, b in itertools.pairwise(parts))
    assert parts[-1].stop == len(whole) == 269
    assert all(len(b) <= rows for b in parts)
    glued = pd.concat([b.frame for b in parts])
    assert list(glued.columns) == ["mean radius"]
    assert np.array_equal(glued["mean radius"], whole.frame["mean radius"])
    assert np.array_equal(np.concatenate([b.y for b in parts]), whole.y)
    scores = np.concatenate([b.predictions.scores for b in parts])
    assert np.array_equal(scores, whole.predictions.scores)


def test_batches_without_a_model_or_with_an_unknown_column(ctx):
    (batch,) = ctx.batches(model=None, columns=None)
    assert batch.predictions is None and len(batch) == 269
    with pytest.raises(DataError, match="no column"):
        list(ctx.batches(columns=["no such column"]))
    with pytest.raises(ValueError, match="batch_rows"):
        list(ctx.batches(batch_rows=0))


def test_the_context_batch_size_is_the_default(ctx):
    ctx.batch_rows = 100
    assert [len(b) for b in ctx.batches()] == [100, 100, 69]
