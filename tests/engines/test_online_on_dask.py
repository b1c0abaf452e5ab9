"""``ab_test`` and ``interleaving`` read only column names from the footers and fold their
logs: on a two-worker LocalCluster over Parquet partitions, far above ``max_collect_rows``, they
give the in-memory result byte for byte."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("distributed", reason="the Dask engine needs mlgate[dask]")
pytest.importorskip("dask.dataframe", reason="the Dask engine needs mlgate[dask]")

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "checks" / "online"))
from online_logs import make_ab_log, make_ctx, make_interleaving_log

from mlgate.checks.online.ab_test import AB_TEST
from mlgate.checks.online.interleaving import INTERLEAVING
from mlgate.core.context import GateContext
from mlgate.core.engines.dask import DaskEngine
from mlgate.core.gate import open_gate


def _bytes(result) -> str:
    return json.dumps(result.to_dict(), sort_keys=True)


def _dask_ctx(tmp_path, parts, client):
    gate = tmp_path / "gate.yaml"
    gate.write_text(
        "name: g\ntask: binary\nseed: 0\nengine: dask\nmodels: {candidate: {factory: 'x:y'}}\n"
        f"datasets: {{evaluation: {{path: '{parts}'}}, logs: {{path: '{parts}'}}}}\n"
        "stages: {s: {checks: [{check: prediction_rate, max: 0.9}]}}\n"
    )
    engine = DaskEngine(client, max_collect_rows=10)  # far below every log here
    return GateContext(
        open_gate(gate), models={"candidate": lambda X: np.zeros(len(X))}, engine=engine
    )


@pytest.mark.parametrize(
    ("check", "log", "params"),
    [
        (
            AB_TEST,
            make_ab_log(6_000, seed=3, effect=0.03),
            {"primary": {"column": "converted", "covariate": "pre_conversions"}},
        ),
        (INTERLEAVING, make_interleaving_log(4_000, seed=5, preference=0.6), {}),
    ],
    ids=["ab_test", "interleaving"],
)
def test_online_checks_on_dask_are_the_in_memory_result(
    tmp_path, check, log, params, dask_client, write_parts, run_as_kernel
):
    parts = write_parts(log, tmp_path / "parts", 5)
    on_dask = run_as_kernel(
        check, _dask_ctx(tmp_path, parts, dask_client), dataset="logs", **params
    )
    in_memory = check(make_ctx(logs=log), dataset="logs", **params)
    assert on_dask.status.value != "error", on_dask.message
    assert _bytes(on_dask) == _bytes(in_memory)
