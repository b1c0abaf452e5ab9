"""``champion`` and ``baseline`` with ``interval: poisson`` fold batches: on a two-worker
LocalCluster over 3 and 7 Parquet partitions, far above ``max_collect_rows``, they give the
in-memory result byte for byte; with the row-resampling intervals they are refused."""

from __future__ import annotations

import json

import pytest
from sklearn.linear_model import LogisticRegression

pytest.importorskip("distributed", reason="the Dask engine needs mlgate[dask]")
pytest.importorskip("dask.dataframe", reason="the Dask engine needs mlgate[dask]")

from mlgate.checks.performance.baseline import BASELINE
from mlgate.checks.regression.champion import CHAMPION
from mlgate.core.context import GateContext
from mlgate.core.engines import CollectRefused
from mlgate.core.engines.dask import DaskEngine
from mlgate.core.gate import open_gate


@pytest.fixture
def two_models(labelled, row_wise):
    """(candidate on five features, champion on two, evaluation frame)."""
    model, frame = labelled
    five = list(frame.columns[:5])
    small = LogisticRegression(max_iter=2000).fit(frame[five[:2]], frame["target"])
    return row_wise(model, five), row_wise(small, five[:2]), frame


def _gate(folder, path: str):
    gate = folder / "gate.yaml"
    gate.write_text(
        "name: g\ntask: binary\nseed: 0\nengine: dask\n"
        "models: {candidate: {factory: 'x:y'}, champion: {factory: 'x:y'}}\n"
        f"datasets: {{evaluation: {{path: '{path}', label: target}}}}\n"
        "stages: {s: {checks: [{check: prediction_rate, max: 0.9}]}}\n"
    )
    return gate


def _bytes(result) -> str:
    return json.dumps(result.to_dict(), sort_keys=True)


def _contexts(tmp_path, two_models, write_parts, client, n_parts):
    candidate, champion, frame = two_models
    write_parts(frame, tmp_path / "parts", n_parts)
    models = {"candidate": candidate, "champion": champion}
    engine = DaskEngine(client, max_collect_rows=10)  # far below the 269 rows
    on_dask = GateContext(open_gate(_gate(tmp_path, "parts")), models=models, engine=engine)
    local = GateContext.from_objects(
        models=models, datasets={"evaluation": frame}, task="binary", label="target"
    )
    return on_dask, local


CHAMPION_PARAMS = {
    "metrics": ["accuracy", "f1", "recall", "log_loss", "brier", "roc_auc"],
    "margin": 0.02,
    "interval": "poisson",
    "n_resamples": 200,
}
BASELINE_PARAMS = {
    "metric": "accuracy",
    "margin": 0.05,
    "interval": "poisson",
    "n_resamples": 200,
    "against": [
        "uniform",
        "prior",
        "zero_rule",
        {"model": "champion"},
        {"feature": "mean radius", "threshold": 14.0, "above": 0, "below": 1},
    ],
}


@pytest.mark.parametrize("n_parts", [3, 7])
def test_champion_on_dask_is_the_in_memory_result(
    tmp_path, n_parts, two_models, dask_client, write_parts, run_as_kernel
):
    on_dask, local = _contexts(tmp_path, two_models, write_parts, dask_client, n_parts)
    folded = run_as_kernel(CHAMPION, on_dask, **CHAMPION_PARAMS)
    in_memory = run_as_kernel(CHAMPION, local, **CHAMPION_PARAMS)
    assert _bytes(folded) == _bytes(in_memory)
    # the two-feature champion was fitted on these very rows: its recall is far higher
    recall = {r["metric"]: r for r in folded.evidence["metrics"].rows}["recall"]
    assert folded.status.value == "failed" and recall["status"] == "failed", folded.message
    assert folded.evidence["metrics"].rows[0]["test"].startswith("paired Poisson bootstrap")


@pytest.mark.parametrize("n_parts", [3, 7])
@pytest.mark.parametrize("metric", ["accuracy", "roc_auc"])
def test_baseline_on_dask_is_the_in_memory_result(
    tmp_path, n_parts, metric, two_models, dask_client, write_parts, run_as_kernel
):
    on_dask, local = _contexts(tmp_path, two_models, write_parts, dask_client, n_parts)
    params = {**BASELINE_PARAMS, "metric": metric}
    folded = run_as_kernel(BASELINE, on_dask, **params)
    in_memory = run_as_kernel(BASELINE, local, **params)
    assert _bytes(folded) == _bytes(in_memory)
    statuses = {r["baseline"]: r["status"] for r in folded.evidence["baselines"].rows}
    assert statuses["uniform"] == statuses["prior"] == statuses["zero_rule"] == "passed"


@pytest.mark.parametrize(
    ("check", "params"),
    [
        (CHAMPION, {**CHAMPION_PARAMS, "interval": "percentile"}),
        (BASELINE, {**BASELINE_PARAMS, "interval": "percentile"}),
    ],
    ids=["champion-percentile", "baseline-percentile"],
)
def test_without_a_fold_the_check_is_refused_above_the_limit(
    tmp_path, check, params, two_models, dask_client, write_parts, run_as_kernel
):
    on_dask, _ = _contexts(tmp_path, two_models, write_parts, dask_client, 3)
    with pytest.raises(CollectRefused) as refused:
        run_as_kernel(check, on_dask, **params)
    assert f"check {check.name!r} needs every" in str(refused.value)
    assert f"{check.name}*" in str(refused.value)  # folds under some parameters
