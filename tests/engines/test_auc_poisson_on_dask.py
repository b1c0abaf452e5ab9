"""``metric_threshold`` on a binary ROC AUC with ``interval: poisson`` folds on a Dask cluster
(no row is gathered: the engine may collect none) and gives the in-memory result's bytes with
1 and 5 Parquet partitions."""

from __future__ import annotations

import json

import pytest

distributed = pytest.importorskip("distributed", reason="the Dask engine needs mlgate[dask]")
pytest.importorskip("dask.dataframe", reason="the Dask engine needs mlgate[dask]")

from mlgate.checks.performance.metric_threshold import METRIC_THRESHOLD  # noqa: E402
from mlgate.core.context import GateContext  # noqa: E402
from mlgate.core.engines import CollectRefused  # noqa: E402
from mlgate.core.engines.dask import DaskEngine  # noqa: E402
from mlgate.core.gate import open_gate  # noqa: E402
from mlgate.core.registry import parse_params  # noqa: E402

PARAMS = {"metric": "roc_auc", "min": 0.9, "interval": "poisson", "n_resamples": 200}


@pytest.mark.parametrize("n_parts", [1, 5])
def test_roc_auc_poisson_on_dask_is_the_in_memory_result(tmp_path, labelled, dask_client, n_parts):
    model, frame = labelled
    folder = tmp_path / "parts"
    folder.mkdir()
    size = -(-len(frame) // n_parts)
    for i in range(n_parts):
        part = frame.iloc[i * size : (i + 1) * size]
        part.to_parquet(folder / f"part-{i:03d}.parquet", index=False)
    gate = tmp_path / "gate.yaml"
    gate.write_text(
        "name: g\ntask: binary\nseed: 0\nengine: dask\n"
        "models: {candidate: {factory: 'x:y'}}\n"
        f"datasets: {{evaluation: {{path: '{folder}', label: target}}}}\n"
        "stages: {s: {checks: [{check: prediction_rate, max: 0.9}]}}\n"
    )
    engine = DaskEngine(dask_client, max_collect_rows=0)  # gathering any row would be refused
    ctx = GateContext(open_gate(gate), models={"candidate": model}, engine=engine)
    parsed = parse_params(METRIC_THRESHOLD, ctx.gate.config, PARAMS)
    with ctx.running(METRIC_THRESHOLD, parsed):
        on_dask = METRIC_THRESHOLD.run(ctx, parsed)
    local = GateContext.from_objects(
        models={"candidate": model}, datasets={"evaluation": frame}, task="binary", label="target"
    )
    in_memory = METRIC_THRESHOLD(local, **PARAMS)
    assert on_dask.status.value == "passed", on_dask.message
    # the same engine refuses the check that needs every row: so the one above folded
    cell = parse_params(METRIC_THRESHOLD, ctx.gate.config, {**PARAMS, "interval": "percentile"})
    with ctx.running(METRIC_THRESHOLD, cell), pytest.raises(CollectRefused):
        METRIC_THRESHOLD.run(ctx, cell)
    assert on_dask.evidence["sketch_exact"] is True
    assert json.dumps(on_dask.to_dict(), sort_keys=True) == json.dumps(
        in_memory.to_dict(), sort_keys=True
    )
