"""``slices`` and ``fairness`` with ``interval: poisson`` fold batches: on a two-worker
LocalCluster over Parquet partitions, with ``max_collect_rows`` far below the rows, they give
the in-memory result byte for byte, however the data is partitioned; without ``poisson`` they
are refused rather than gathering the rows."""

from __future__ import annotations

import json

import numpy as np
import pytest

pytest.importorskip("distributed", reason="the Dask engine needs mlgate[dask]")
pytest.importorskip("dask.dataframe", reason="the Dask engine needs mlgate[dask]")

from mlgate.checks.slices.checks import FAIRNESS, SLICES
from mlgate.core.context import GateContext
from mlgate.core.engines import CollectRefused
from mlgate.core.engines.dask import DaskEngine
from mlgate.core.gate import open_gate


@pytest.fixture
def sliced(labelled, row_wise):
    """(model, frame): the breast-cancer rows with a categorical ``site`` (some missing) and
    a ``sex`` column, and a model that reads the five features only."""
    model, frame = labelled
    rng = np.random.default_rng(5)
    frame = frame.copy()
    frame["site"] = rng.choice(["north", "south", "east"], size=len(frame)).astype(object)
    frame.loc[rng.random(len(frame)) < 0.05, "site"] = None
    frame["sex"] = rng.choice(["f", "m"], size=len(frame))
    return row_wise(model, frame.columns[:5]), frame


def _gate(folder):
    gate = folder / "gate.yaml"
    gate.write_text(
        "name: g\ntask: binary\nseed: 0\nengine: dask\nmodels: {candidate: {factory: 'x:y'}}\n"
        "datasets: {evaluation: {path: 'parts', label: target, features: ['mean radius', "
        "'mean texture', 'mean perimeter', 'mean area', 'mean smoothness']}}\n"
        "stages: {s: {checks: [{check: prediction_rate, max: 0.9}]}}\n"
    )
    return gate


def _dask(folder, model, client):
    engine = DaskEngine(client, max_collect_rows=10)  # far below the 269 rows
    return GateContext(open_gate(_gate(folder)), models={"candidate": model}, engine=engine)


def _local(model, frame):
    features = list(frame.columns[:5])
    return GateContext.from_objects(
        models={"candidate": model},
        datasets={"evaluation": {"data": frame, "features": features}},
        task="binary",
        label="target",
    )


def _bytes(result) -> str:
    return json.dumps(result.to_dict(), sort_keys=True)


SLICES_PARAMS = {
    "metric": "accuracy",
    "interval": "poisson",
    "n_resamples": 200,
    "max_gap": 0.3,
    "significance": True,
    "slices": [
        "site",
        {"column": "mean radius", "bins": [0, 13, 16, 40]},
        {"expr": "`mean texture` >= 20", "name": "rough"},
        {"intersect": ["site", "sex"]},
    ],
}


@pytest.mark.parametrize("n_parts", [3, 7])
def test_slices_on_dask_is_the_in_memory_result(
    tmp_path, n_parts, sliced, dask_client, write_parts, run_as_kernel
):
    model, frame = sliced
    write_parts(frame, tmp_path / "parts", n_parts)
    on_dask = run_as_kernel(SLICES, _dask(tmp_path, model, dask_client), **SLICES_PARAMS)
    in_memory = SLICES(_local(model, frame), **SLICES_PARAMS)
    assert _bytes(on_dask) == _bytes(in_memory)
    rows = on_dask.evidence["slices"].rows
    names = [r["slice"] for r in rows]
    assert names[:3] == ["site=east", "site=north", "site=south"]
    assert "rough" in names and "site=north & sex=m" in names
    assert on_dask.evidence["rows_in_no_slice"] == {"site": int(frame["site"].isna().sum())}
    assert all(r["gap_interval"] is not None for r in rows if r["n"] >= 30)


@pytest.mark.parametrize("n_parts", [3, 7])
@pytest.mark.parametrize("metric", ["demographic_parity_difference", "equalized_odds_difference"])
def test_fairness_on_dask_is_the_in_memory_result(
    tmp_path, n_parts, metric, sliced, dask_client, write_parts, run_as_kernel
):
    model, frame = sliced
    write_parts(frame, tmp_path / "parts", n_parts)
    params = {
        "metric": metric,
        "max": 0.5,
        "sensitive": ["site", "sex"],
        "interval": "poisson",
        "n_resamples": 300,
    }
    on_dask = run_as_kernel(FAIRNESS, _dask(tmp_path, model, dask_client), **params)
    in_memory = FAIRNESS(_local(model, frame), **params)
    assert _bytes(on_dask) == _bytes(in_memory)
    assert on_dask.interval is not None and on_dask.interval.method.startswith("poisson")
    assert on_dask.evidence["rows_without_group"] == int(frame["site"].isna().sum())
    assert len(on_dask.evidence["slices"].rows) == 6


@pytest.mark.parametrize(
    ("check", "params"),
    [
        (SLICES, {"metric": "accuracy", "slices": ["site"], "min": 0.5}),
        (FAIRNESS, {"max": 0.5, "sensitive": ["sex"]}),
    ],
)
def test_without_poisson_the_check_is_refused(
    tmp_path, check, params, sliced, dask_client, write_parts, run_as_kernel
):
    model, frame = sliced
    write_parts(frame, tmp_path / "parts", 3)
    with pytest.raises(CollectRefused) as refused:
        run_as_kernel(check, _dask(tmp_path, model, dask_client), **params)
    message = str(refused.value)
    assert f"check {check.name!r} needs every row" in message
    assert f"{check.name}*" in message.split("run at any size:")[1]  # folds with poisson
