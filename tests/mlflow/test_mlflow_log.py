"""Logging a gate run to a real MLflow server: metrics with intervals, verdict tags, and the
report files as artifacts, in a new run or in the candidate's own."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytest.importorskip("mlflow", minversion="2.16", reason="needs mlgate[mlflow]")

from mlflow import MlflowClient

from mlgate.mlflow import (
    MlflowInputError,
    RegistryError,
    candidate_run_id,
    fingerprint,
    log_run,
)
from mlgate.mlflow.log import OUTPUT_FILES


@pytest.fixture
def client(mlflow_server) -> MlflowClient:
    return MlflowClient(tracking_uri=mlflow_server.url)


def _artifacts(client: MlflowClient, run_id: str) -> set[str]:
    return {a.path for a in client.list_artifacts(run_id, "mlgate")}


def test_a_new_run_holds_every_statistic_verdict_and_file(gated, client):
    logged = log_run(gated.doc, gated.report_dir, tracking_uri=client.tracking_uri)
    assert logged.new_run
    run = client.get_run(logged.run_id)
    assert run.info.status == "FINISHED"
    assert client.get_experiment(run.info.experiment_id).name == "churn-gate"
    metrics, tags = run.data.metrics, run.data.tags
    for check in gated.doc["checks"]:
        (stage,) = check["stages"]  # gate-file checks belong to one stage
        name = f"mlgate.check.{stage}.{check['id']}"
        assert metrics[name] == pytest.approx(check["value"])
        assert metrics[f"{name}.ci_low"] == pytest.approx(check["interval"]["low"])
        assert metrics[f"{name}.ci_high"] == pytest.approx(check["interval"]["high"])
        assert tags[name].startswith(f"{check['status']}: ")
    assert metrics["mlgate.verdict.staging"] == 1.0
    assert metrics["mlgate.verdict.production"] == 0.0
    assert tags["mlgate.gate"] == "churn-gate" and tags["mlgate.seed"] == "3"
    assert tags["mlgate.verdict.staging"] == "promote"
    assert tags["mlgate.verdict.production"] == "hold"
    assert tags["mlgate.verdict"] == "hold"
    assert tags["mlgate.result_fingerprint"] == fingerprint(gated.doc)
    assert tags["mlgate.candidate.version"] == gated.doc["models"]["candidate"]["mlflow_version"]
    (accuracy,) = [c for c in gated.doc["checks"] if c["stages"] == ["production"]]
    low, high = accuracy["interval"]["low"], accuracy["interval"]["high"]
    assert tags[f"mlgate.check.production.{accuracy['id']}"] == (
        f"failed: accuracy {accuracy['value']:.6g} [{low:.6g}, {high:.6g}] "
        f"(95% {accuracy['interval']['method']}), bound >= 0.99, n=400"
    )
    assert run.data.params == {
        "mlgate.gate": "churn-gate",
        "mlgate.seed": "3",
        "mlgate.stages": "staging,production",
    }
    assert _artifacts(client, logged.run_id) == {f"mlgate/{name}" for name in OUTPUT_FILES}
    assert set(logged.artifacts) == {f"mlgate/{name}" for name in OUTPUT_FILES}


def test_the_candidates_own_run_gets_tags_metrics_and_files_but_no_params(
    gated, registered, client
):
    run_id = candidate_run_id(gated.doc)
    assert run_id == registered.runs["challenger"]
    before = client.get_run(run_id)
    logged = log_run(gated.doc, gated.report_dir, tracking_uri=client.tracking_uri, run_id=run_id)
    assert not logged.new_run and logged.run_id == run_id
    after = client.get_run(run_id)
    assert after.info.status == before.info.status  # a finished training run stays finished
    assert after.data.params == before.data.params  # params cannot change: tags instead
    assert after.data.tags["mlgate.gate"] == "churn-gate"
    assert "mlgate.verdict.staging" in after.data.metrics
    assert "mlgate/result.json" in _artifacts(client, run_id)


def test_a_folder_without_reports_logs_the_result_document_itself(gated, client, tmp_path):
    logged = log_run(gated.doc, tmp_path, tracking_uri=client.tracking_uri, experiment="bare")
    assert logged.artifacts == ("mlgate/result.json",)
    assert _artifacts(client, logged.run_id) == {"mlgate/result.json"}
    local = client.download_artifacts(logged.run_id, "mlgate/result.json", str(tmp_path))
    assert json.loads(Path(local).read_text()) == gated.doc


def test_bad_requests_name_the_input_or_the_run(gated, client, tmp_path):
    with pytest.raises(MlflowInputError, match=r"no such folder; pass the report directory"):
        log_run(gated.doc, tmp_path / "missing", tracking_uri=client.tracking_uri)
    with pytest.raises(MlflowInputError, match=r"give run_id \(r\) or experiment \(e\)"):
        log_run(gated.doc, tmp_path, tracking_uri=client.tracking_uri, run_id="r", experiment="e")
    with pytest.raises(RegistryError, match=r"could not find run 'f00' on the MLflow tracking"):
        log_run(gated.doc, tmp_path, tracking_uri=client.tracking_uri, run_id="f00")
