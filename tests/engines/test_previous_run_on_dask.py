"""``previous_run`` with ``interval: poisson`` folds batches: on a two-worker LocalCluster over
3 and 7 Parquet partitions, far above ``max_collect_rows``, it gives the in-memory result byte
for byte (the dataset's fingerprint streamed from the workers, not gathered); with a
row-resampling interval it is refused."""

from __future__ import annotations

import json

import pytest

pytest.importorskip("distributed", reason="the Dask engine needs mlgate[dask]")
pytest.importorskip("dask.dataframe", reason="the Dask engine needs mlgate[dask]")

from mlgate.checks.regression.previous_run import PREVIOUS_RUN
from mlgate.core.context import GateContext
from mlgate.core.engines import CollectRefused
from mlgate.core.engines.dask import DaskEngine
from mlgate.core.gate import open_gate

METRICS = ["accuracy", "recall", "log_loss", "brier", "roc_auc", "average_precision"]
#: 269 rows: recall and log loss vary by about ±0.05 (95%)
MARGINS = {"accuracy": 0.02, "recall": 0.1, "log_loss": 0.1} | dict.fromkeys(METRICS[3:], 0.05)


def _gate(folder, path: str):
    gate = folder / "gate.yaml"
    gate.write_text(
        "name: g\ntask: binary\nseed: 0\nengine: dask\n"
        "models: {candidate: {factory: 'x:y'}}\n"
        f"datasets: {{evaluation: {{path: '{path}', label: target}}}}\n"
        "stages: {s: {checks: [{check: prediction_rate, max: 0.9}]}}\n"
    )
    return gate


def _bytes(result) -> str:
    return json.dumps(result.to_dict(), sort_keys=True)


def _contexts(tmp_path, labelled, row_wise, write_parts, client, n_parts):
    model, frame = labelled
    candidate = row_wise(model, frame.columns[:5])
    write_parts(frame, tmp_path / "parts", n_parts)
    engine = DaskEngine(client, max_collect_rows=10)  # far below the 269 rows
    models = {"candidate": candidate}
    on_dask = GateContext(open_gate(_gate(tmp_path, "parts")), models=models, engine=engine)
    local = GateContext.from_objects(
        models=models, datasets={"evaluation": frame}, task="binary", label="target"
    )
    return on_dask, local


def _earlier(tmp_path, local: GateContext, accuracy: float) -> str:
    """A stored result.json with the evaluation data's fingerprint: every metric as the
    candidate has it now (read off a probe run, stored without an interval), but accuracy
    ``accuracy``."""
    probe = _run(local, _write(tmp_path, [_entry(m, 0.5) for m in METRICS], local), "percentile")
    values = {r["metric"]: r["current"] for r in probe.evidence["metrics"].rows}
    values["accuracy"] = accuracy
    return _write(tmp_path, [_entry(m, values[m]) for m in METRICS], local)


def _entry(metric: str, value: float) -> dict:
    return {
        "id": metric,
        "metric": metric,
        "value": value,
        "interval": None,
        "evidence": {"model": "candidate", "dataset": "evaluation"},
    }


def _write(tmp_path, checks, local: GateContext) -> str:
    fingerprint = "sha256:" + local.dataset("evaluation").fingerprint
    path = tmp_path / "result.json"
    doc = {"checks": checks, "datasets": {"evaluation": {"fingerprint": fingerprint}}}
    path.write_text(json.dumps(doc))
    return str(path)


def _run(ctx, path: str, interval: str = "poisson", run_as_kernel=None):
    params = {
        "path": path,
        "metrics": METRICS,
        "margin": MARGINS,
        "interval": interval,
        "n_resamples": 200,
    }
    if run_as_kernel is None:
        return PREVIOUS_RUN(ctx, **params)
    return run_as_kernel(PREVIOUS_RUN, ctx, **params)


@pytest.mark.parametrize("n_parts", [3, 7])
def test_previous_run_on_dask_is_the_in_memory_result(
    tmp_path, n_parts, labelled, row_wise, dask_client, write_parts, run_as_kernel
):
    on_dask, local = _contexts(tmp_path, labelled, row_wise, write_parts, dask_client, n_parts)
    # a planted regression: the stored run had accuracy 0.99, the candidate has about 0.9
    path = _earlier(tmp_path, local, accuracy=0.99)
    folded = _run(on_dask, path, run_as_kernel=run_as_kernel)
    in_memory = _run(local, path, run_as_kernel=run_as_kernel)
    assert _bytes(folded) == _bytes(in_memory)
    rows = {r["metric"]: r for r in folded.evidence["metrics"].rows}
    assert folded.status.value == "failed" and rows["accuracy"]["status"] == "failed", rows
    # every other metric is unchanged (improvement 0 against its exact stored value)
    assert all(rows[m]["status"] == "passed" for m in METRICS if m != "accuracy"), folded.message
    assert folded.evidence["same_data"] is True
    assert folded.sample_size == 269


def test_without_poisson_the_check_is_refused_above_the_limit(
    tmp_path, labelled, row_wise, dask_client, write_parts, run_as_kernel
):
    on_dask, local = _contexts(tmp_path, labelled, row_wise, write_parts, dask_client, 3)
    path = _earlier(tmp_path, local, accuracy=0.99)
    with pytest.raises(CollectRefused) as refused:
        _run(on_dask, path, "percentile", run_as_kernel=run_as_kernel)
    assert "check 'previous_run' needs every" in str(refused.value)
    assert "previous_run*" in str(refused.value)  # folds under some parameters
