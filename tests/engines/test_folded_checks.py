"""``calibration`` (interval: poisson) and ``drift`` fold batches: on a two-worker LocalCluster
over Parquet partitions, far above ``max_collect_rows``, they give the in-memory result byte
for byte, however the data is partitioned."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("distributed", reason="the Dask engine needs mlgate[dask]")
pytest.importorskip("dask.dataframe", reason="the Dask engine needs mlgate[dask]")

from mlgate.checks.calibration.checks import CALIBRATION
from mlgate.checks.drift import folded
from mlgate.checks.drift.checks import DRIFT
from mlgate.core.context import GateContext
from mlgate.core.engines import CollectRefused
from mlgate.core.engines.dask import DaskEngine
from mlgate.core.gate import open_gate


@pytest.fixture
def rowwise(labelled, row_wise):
    model, frame = labelled
    return row_wise(model, frame.columns[:5]), frame


def _gate(folder, datasets: dict[str, str], task: str = "binary"):
    lines = ", ".join(f"{n}: {{path: '{p}', label: target}}" for n, p in datasets.items())
    gate = folder / "gate.yaml"
    gate.write_text(
        f"name: g\ntask: {task}\nseed: 0\nengine: dask\nmodels: {{candidate: {{factory: 'x:y'}}}}\n"
        f"datasets: {{{lines}}}\n"
        "stages: {s: {checks: [{check: prediction_rate, max: 0.9}]}}\n"
    )
    return gate


def _bytes(result) -> str:
    return json.dumps(result.to_dict(), sort_keys=True)


def _dask(gate, model, client):
    engine = DaskEngine(client, max_collect_rows=10)  # far below every dataset here
    return GateContext(open_gate(gate), models={"candidate": model}, engine=engine)


@pytest.fixture
def drift_frames(labelled):
    """(reference, current): the current data has 'mean texture' shifted by two of its SDs, a
    categorical column whose mix changes, and an integer column that stays put."""
    _, frame = labelled
    rng = np.random.default_rng(0)
    ref = frame.sample(frac=1.0, random_state=1).reset_index(drop=True)
    cur = frame.copy()
    cur["mean texture"] = cur["mean texture"] + 2 * cur["mean texture"].std()
    ref["grade"] = rng.choice(["a", "b", "c"], size=len(ref), p=[0.6, 0.3, 0.1])
    cur["grade"] = rng.choice(["a", "b", "c"], size=len(cur), p=[0.2, 0.3, 0.5])
    ref["visits"] = rng.integers(0, 5, size=len(ref))
    cur["visits"] = rng.integers(0, 5, size=len(cur))
    return ref, cur


@pytest.mark.parametrize("n_parts", [1, 3, 7])
def test_calibration_on_dask_is_the_in_memory_result(
    tmp_path, n_parts, rowwise, dask_client, write_parts, run_as_kernel
):
    model, frame = rowwise
    write_parts(frame, tmp_path / "parts", n_parts)
    ctx = _dask(_gate(tmp_path, {"evaluation": "parts"}), model, dask_client)
    params = {"max_ece": 0.2, "interval": "poisson", "n_resamples": 300}
    on_dask = run_as_kernel(CALIBRATION, ctx, **params)
    local = GateContext.from_objects(
        models={"candidate": model}, datasets={"evaluation": frame}, task="binary", label="target"
    )
    in_memory = CALIBRATION(local, **params)
    assert _bytes(on_dask) == _bytes(in_memory)
    assert on_dask.status.value == "passed" and on_dask.interval.method.startswith("poisson")


def test_recalibrated_calibration_on_dask_fits_on_a_small_dataset_and_folds_the_large(
    tmp_path, rowwise, dask_client, write_parts, run_as_kernel
):
    model, frame = rowwise
    write_parts(frame, tmp_path / "parts", 4)
    write_parts(frame.iloc[:120], tmp_path / "fit", 2)
    gate = _gate(tmp_path, {"evaluation": "parts", "fit": "fit"})
    ctx = GateContext(
        open_gate(gate),
        models={"candidate": model},
        engine=DaskEngine(dask_client, max_collect_rows=150),  # fit: 120 rows; evaluation: 269
    )
    params = {
        "max_ece": 0.2,
        "interval": "poisson",
        "n_resamples": 200,
        "recalibrate": "platt",
        "calibrate_on": "fit",
    }
    on_dask = run_as_kernel(CALIBRATION, ctx, **params)
    local = GateContext.from_objects(
        models={"candidate": model},
        datasets={"evaluation": frame, "fit": frame.iloc[:120]},
        task="binary",
        label="target",
    )
    assert _bytes(on_dask) == _bytes(CALIBRATION(local, **params))
    assert on_dask.evidence["recalibration"]["method"] == "platt"


def test_calibration_with_the_cell_bootstrap_is_refused_above_the_limit(
    tmp_path, labelled, dask_client, write_parts, run_as_kernel
):
    model, frame = labelled
    write_parts(frame, tmp_path / "parts", 3)
    ctx = _dask(_gate(tmp_path, {"evaluation": "parts"}), model, dask_client)
    with pytest.raises(CollectRefused) as refused:
        run_as_kernel(CALIBRATION, ctx, max_ece=0.2)
    assert "check 'calibration' needs every row" in str(refused.value)
    assert "calibration*" in str(refused.value)  # folds under some parameters
    assert "drift" in str(refused.value).split("run at any size:")[1]


@pytest.mark.parametrize("target", ["features", "predictions", "labels"])
@pytest.mark.parametrize("n_parts", [1, 4])
def test_drift_on_dask_is_the_in_memory_result(
    tmp_path, target, n_parts, rowwise, drift_frames, dask_client, write_parts, run_as_kernel
):
    model, _ = rowwise
    ref, cur = drift_frames
    write_parts(ref, tmp_path / "ref", n_parts)
    write_parts(cur, tmp_path / "cur", n_parts + 2)
    ctx = _dask(_gate(tmp_path, {"reference": "ref", "evaluation": "cur"}), model, dask_client)
    if target == "predictions":  # the model reads the five features only
        ctx.gate.config.datasets["reference"] = ctx.gate.config.datasets["reference"].model_copy(
            update={"features": list(ref.columns[:5])}
        )
        ctx.gate.config.datasets["evaluation"] = ctx.gate.config.datasets["evaluation"].model_copy(
            update={"features": list(ref.columns[:5])}
        )
    on_dask = run_as_kernel(DRIFT, ctx, target=target)
    features = list(ref.columns[:5]) if target == "predictions" else None
    local = GateContext.from_objects(
        models={"candidate": model},
        datasets={
            "reference": {"data": ref, "features": features},
            "evaluation": {"data": cur, "features": features},
        },
        task="binary",
        label="target",
    )
    in_memory = DRIFT(local, target=target)
    assert _bytes(on_dask) == _bytes(in_memory)
    if target == "features":
        drifted = {r["column"] for r in in_memory.evidence["columns"].rows if r["drifted"]}
        assert drifted == {"mean texture", "grade"} and in_memory.status.value == "failed"


def test_sketched_drift_is_the_same_on_dask_and_within_its_bounds(
    tmp_path, labelled, dask_client, write_parts, run_as_kernel, monkeypatch
):
    model, _ = labelled
    rng = np.random.default_rng(3)
    ref = pd.DataFrame({"x": rng.normal(size=4000), "y": rng.normal(size=4000)})
    cur = pd.DataFrame({"x": rng.normal(1.0, 1.0, size=3000), "y": rng.normal(size=3000)})
    for frame in (ref, cur):
        frame["target"] = rng.integers(0, 2, size=len(frame))
    write_parts(ref, tmp_path / "ref", 5)
    write_parts(cur, tmp_path / "cur", 3)
    monkeypatch.setattr(folded, "CAPACITY", 256)  # buckets of several values: a sketch
    ctx = _dask(_gate(tmp_path, {"reference": "ref", "evaluation": "cur"}), model, dask_client)
    on_dask = run_as_kernel(DRIFT, ctx, columns=["x", "y"])
    local = GateContext.from_objects(
        models={"candidate": model},
        datasets={"reference": ref, "evaluation": cur},
        task="binary",
        label="target",
    )
    in_memory = DRIFT(local, columns=["x", "y"], sketch=True)  # what Dask does above the limit
    assert _bytes(on_dask) == _bytes(in_memory)
    sketched = {r["column"]: r for r in in_memory.evidence["sketched"].rows}
    from scipy import stats

    for col in ("x", "y"):
        exact = stats.ks_2samp(ref[col], cur[col]).statistic
        assert sketched[col]["ks"] - 1e-6 <= exact <= sketched[col]["ks_high"] + 1e-6
    exact_result = DRIFT(local, columns=["x", "y"])  # in memory: exact sorted values
    assert "sketched" not in exact_result.evidence
    # far from the bound: the same verdict per column as the exact comparison
    flags = [(r["column"], r["drifted"]) for r in in_memory.evidence["columns"].rows]
    assert flags == [(r["column"], r["drifted"]) for r in exact_result.evidence["columns"].rows]
    assert flags == [("x", True), ("y", False)]


def test_the_column_accessors_on_both_engines(
    tmp_path, rowwise, dask_client, write_parts, run_as_kernel
):
    from mlgate.checks.rates.prediction_rate import PREDICTION_RATE

    model, frame = rowwise
    write_parts(frame, tmp_path / "parts", 3)
    ctx = _dask(_gate(tmp_path, {"evaluation": "parts"}), model, dask_client)
    local = GateContext.from_objects(
        models={"candidate": model}, datasets={"evaluation": frame}, task="binary", label="target"
    )
    assert ctx.column_names("evaluation") == local.column_names("evaluation") == list(frame.columns)
    # the names come from the footers: nothing gathered, so no refusal at 10 rows
    with pytest.raises(CollectRefused):
        ctx.columns("evaluation", ["mean radius"])  # 269 rows > max_collect_rows=10
    ctx.engine.max_collect_rows = 1000
    with ctx.running(PREDICTION_RATE):
        got = ctx.columns("evaluation", ["mean radius", "target"])
    pd.testing.assert_frame_equal(got, local.columns("evaluation", ["mean radius", "target"]))
    assert list(got.columns) == ["mean radius", "target"] and len(got) == 269


def test_exact_drift_is_refused_above_the_limit_and_sketched_by_default(
    tmp_path, rowwise, drift_frames, dask_client, write_parts, run_as_kernel
):
    model, _ = rowwise
    ref, cur = drift_frames
    write_parts(ref, tmp_path / "ref", 2)
    write_parts(cur, tmp_path / "cur", 3)
    ctx = _dask(_gate(tmp_path, {"reference": "ref", "evaluation": "cur"}), model, dask_client)
    with pytest.raises(CollectRefused, match="269 rows"):
        run_as_kernel(DRIFT, ctx, sketch=False)
    assert run_as_kernel(DRIFT, ctx).status.value == "failed"  # the planted drift, folded
