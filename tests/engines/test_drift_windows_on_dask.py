"""``drift_windows`` on duration windows folds batches: on a two-worker LocalCluster over
Parquet partitions whose rows are not in time order, far above ``max_collect_rows``, it gives
the in-memory result (with the value sketches a run above the limit uses) byte for byte; row
windows need every row and are refused."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("distributed", reason="the Dask engine needs mlgate[dask]")
pytest.importorskip("dask.dataframe", reason="the Dask engine needs mlgate[dask]")

from mlgate.checks.drift.windows import DRIFT_WINDOWS
from mlgate.core.context import GateContext
from mlgate.core.engines import CollectRefused
from mlgate.core.engines.dask import DaskEngine
from mlgate.core.gate import open_gate


class Logistic:
    """p = σ(x), computed row by row (the same bits in any batch, on any worker)."""

    classes_ = np.array([0, 1])

    def predict_proba(self, X):
        p = 1 / (1 + np.exp(-X["x"].to_numpy(dtype=float)))
        return np.column_stack([1 - p, p])

    def predict(self, X):
        return (self.predict_proba(X)[:, 1] > 0.5).astype(int)


def stream(days: int, per_day: int = 30, shift_from: int | None = None, seed: int = 0):
    rng = np.random.default_rng(seed)
    t = np.repeat(pd.date_range("2024-01-01", periods=days, freq="D"), per_day)
    x = rng.normal(size=len(t))
    if shift_from is not None:
        x = x + (np.arange(len(t)) >= shift_from * per_day)
    frame = pd.DataFrame(
        {
            "t": t,
            "x": x,
            "g": rng.choice(["a", "b", "c"], size=len(t)),
            "y": (x + rng.normal(size=len(t)) > 0).astype(int),
        }
    )
    return frame.sample(frac=1.0, random_state=seed + 1).reset_index(drop=True)


def _gate(folder):
    gate = folder / "gate.yaml"
    gate.write_text(
        "name: g\ntask: binary\nseed: 0\nengine: dask\nmodels: {candidate: {factory: 'x:y'}}\n"
        "datasets: {reference: {path: 'ref', label: y, features: [x, g]}, "
        "evaluation: {path: 'cur', label: y, time: t, features: [x, g]}}\n"
        "stages: {s: {checks: [{check: prediction_rate, max: 0.9}]}}\n"
    )
    return gate


def _bytes(result) -> str:
    return json.dumps(result.to_dict(), sort_keys=True)


@pytest.mark.parametrize("n_parts", [3, 7])
@pytest.mark.parametrize("target", ["features", "predictions"])
def test_drift_windows_on_dask_is_the_in_memory_result(
    tmp_path, n_parts, target, dask_client, write_parts, run_as_kernel
):
    ref, cur = stream(30, seed=9), stream(120, shift_from=90)
    write_parts(ref, tmp_path / "ref", 2)
    write_parts(cur, tmp_path / "cur", n_parts)
    engine = DaskEngine(dask_client, max_collect_rows=100)  # 3,600 current rows
    ctx = GateContext(open_gate(_gate(tmp_path)), models={"candidate": Logistic()}, engine=engine)
    params = {"every": "30D", "target": target, "judge_last": 2}
    on_dask = run_as_kernel(DRIFT_WINDOWS, ctx, **params)
    local = GateContext.from_objects(
        models={"candidate": Logistic()},
        datasets={
            "reference": {"data": ref, "features": ["x", "g"]},
            "evaluation": {"data": cur, "time": "t", "features": ["x", "g"]},
        },
        task="binary",
        label="y",
    )
    in_memory = DRIFT_WINDOWS(local, **params, sketch=True)  # what Dask does above the limit
    assert _bytes(on_dask) == _bytes(in_memory)
    assert on_dask.status.value == "failed"
    assert [row["rows"] for row in on_dask.evidence["windows"].rows] == [900] * 4


def test_row_windows_are_refused_above_the_limit(tmp_path, dask_client, write_parts, run_as_kernel):
    write_parts(stream(30, seed=9), tmp_path / "ref", 2)
    write_parts(stream(60), tmp_path / "cur", 3)
    engine = DaskEngine(dask_client, max_collect_rows=100)
    ctx = GateContext(open_gate(_gate(tmp_path)), models={"candidate": Logistic()}, engine=engine)
    with pytest.raises(CollectRefused) as refused:
        run_as_kernel(DRIFT_WINDOWS, ctx, rows=500)
    assert "check 'drift_windows' needs every row" in str(refused.value)
    assert "drift_windows*" in str(refused.value)
