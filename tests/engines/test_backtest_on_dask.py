"""``backtest`` with ``interval: poisson`` folds batches: on a two-worker LocalCluster over
Parquet partitions whose rows are not in time order, far above ``max_collect_rows``, it gives
the in-memory result byte for byte; without ``poisson`` it needs every row and is refused."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("distributed", reason="the Dask engine needs mlgate[dask]")
pytest.importorskip("dask.dataframe", reason="the Dask engine needs mlgate[dask]")

from mlgate.checks.backtest.checks import BACKTEST
from mlgate.core.context import GateContext
from mlgate.core.engines import CollectRefused
from mlgate.core.engines.dask import DaskEngine
from mlgate.core.gate import open_gate


class Logistic:
    """p = σ(3x), computed row by row (the same bits in any batch, on any worker)."""

    classes_ = np.array([0, 1])

    def predict_proba(self, X):
        p = 1 / (1 + np.exp(-3 * X["x"].to_numpy(dtype=float)))
        return np.column_stack([1 - p, p])

    def predict(self, X):
        return (self.predict_proba(X)[:, 1] > 0.5).astype(int)


def stream(noisy_from: str | None = "2023-10-01", days: int = 365, per_day: int = 12):
    """A year of daily rows, y = [x + noise > 0], label noise 4× larger from ``noisy_from``;
    shuffled, so every partition holds rows from the whole year."""
    rng = np.random.default_rng(0)
    t = np.repeat(pd.date_range("2023-01-01", periods=days, freq="D"), per_day)
    x = rng.normal(size=len(t))
    noise = np.where(t >= pd.Timestamp(noisy_from), 1.2, 0.3) if noisy_from else 0.3
    y = (x + noise * rng.normal(size=len(t)) > 0).astype(int)
    frame = pd.DataFrame({"t": t, "x": x, "y": y})
    return frame.sample(frac=1.0, random_state=1).reset_index(drop=True)


def _gate(folder, path: str):
    gate = folder / "gate.yaml"
    gate.write_text(
        "name: g\ntask: binary\nseed: 0\nengine: dask\nmodels: {candidate: {factory: 'x:y'}}\n"
        f"datasets: {{evaluation: {{path: '{path}', label: y, time: t}}}}\n"
        "stages: {s: {checks: [{check: prediction_rate, max: 0.9}]}}\n"
    )
    return gate


def _bytes(result) -> str:
    return json.dumps(result.to_dict(), sort_keys=True)


CHECKS = {
    "drop-vs-training": {
        "metric": "accuracy",
        "every": "QS",
        "cutoff": "2023-03-31",
        "min": 0.8,
        "compare_to": "training",
        "max_drop": {"relative": 0.05},
    },
    "decay-vs-best": {
        "metric": "f1",
        "every": "30D",
        "max_decay": 0.01,
        "compare_to": "best",
        "max_drop": 0.05,
    },
}


@pytest.mark.parametrize("n_parts", [3, 7])
@pytest.mark.parametrize("name", sorted(CHECKS))
def test_poisson_backtest_on_dask_is_the_in_memory_result(
    tmp_path, n_parts, name, dask_client, write_parts, run_as_kernel
):
    frame = stream()
    write_parts(frame, tmp_path / "parts", n_parts)
    times = [pd.read_parquet(f)["t"] for f in sorted((tmp_path / "parts").iterdir())]
    assert not all(t.is_monotonic_increasing for t in times)  # rows not in time order
    engine = DaskEngine(dask_client, max_collect_rows=100)  # 4,380 rows: 44× the limit
    ctx = GateContext(
        open_gate(_gate(tmp_path, "parts")), models={"candidate": Logistic()}, engine=engine
    )
    params = {**CHECKS[name], "interval": "poisson", "n_resamples": 200}
    on_dask = run_as_kernel(BACKTEST, ctx, **params)
    local = GateContext.from_objects(
        models={"candidate": Logistic()},
        datasets={"evaluation": {"data": frame, "time": "t"}},
        task="binary",
        label="y",
    )
    in_memory = BACKTEST(local, **params)
    assert _bytes(on_dask) == _bytes(in_memory)
    assert on_dask.status.value == "failed", on_dask.message  # the planted drop is caught
    windows = on_dask.evidence["windows"].rows
    after = frame["t"] > pd.Timestamp(params.get("cutoff", "2022-12-31"))
    assert sum(w["rows"] for w in windows) == int(after.sum())


def test_backtest_without_poisson_is_refused_above_the_limit(
    tmp_path, dask_client, write_parts, run_as_kernel
):
    write_parts(stream(), tmp_path / "parts", 3)
    engine = DaskEngine(dask_client, max_collect_rows=100)
    ctx = GateContext(
        open_gate(_gate(tmp_path, "parts")), models={"candidate": Logistic()}, engine=engine
    )
    with pytest.raises(CollectRefused) as refused:
        run_as_kernel(BACKTEST, ctx, metric="accuracy", every="QS", min=0.8)
    assert "check 'backtest' needs every row" in str(refused.value)
    assert "backtest*" in str(refused.value)  # folds under some parameters


def _numbers(obj, path=""):
    """Every number in a result's JSON, by its path."""
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from _numbers(v, f"{path}/{k}")
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from _numbers(v, f"{path}/{i}")
    elif isinstance(obj, float):
        yield path, obj


def test_a_float_sum_metric_agrees_to_rounding(tmp_path, dask_client, write_parts, run_as_kernel):
    """log loss sums floats per partition, so its last bits depend on the split (as for
    metric_threshold, docs/scale.md): the same verdicts and every number within 1e-12."""
    frame = stream()
    write_parts(frame, tmp_path / "parts", 7)
    engine = DaskEngine(dask_client, max_collect_rows=100)
    gate = open_gate(_gate(tmp_path, "parts"))
    ctx = GateContext(gate, models={"candidate": Logistic()}, engine=engine)
    params = {"metric": "log_loss", "every": "QS", "compare_to": "first", "max_drop": 0.1}
    params |= {"interval": "poisson", "n_resamples": 200}
    on_dask = run_as_kernel(BACKTEST, ctx, **params)
    local = GateContext.from_objects(
        models={"candidate": Logistic()},
        datasets={"evaluation": {"data": frame, "time": "t"}},
        task="binary",
        label="y",
    )
    in_memory = BACKTEST(local, **params)
    assert on_dask.status == in_memory.status and on_dask.status.value == "failed"
    a, b = dict(_numbers(on_dask.to_dict())), dict(_numbers(in_memory.to_dict()))
    assert a.keys() == b.keys() and len(a) > 20
    for key, value in a.items():
        assert value == pytest.approx(b[key], rel=1e-12, abs=1e-12), key
