"""Promotion against a real MLflow server: the alias moves exactly when the stage promoted,
the decision lands in the version's tags, and a registry error leaves the alias alone."""

from __future__ import annotations

import copy
from datetime import datetime, timezone

import pytest

pytest.importorskip("mlflow", minversion="2.16", reason="needs mlgate[mlflow]")

from mlflow import MlflowClient

from mlgate.mlflow import (
    MlflowInputError,
    Outcome,
    RegistryError,
    fingerprint,
    promote,
)

CLOSED = "http://127.0.0.1:9"  # nothing listens on the discard port


@pytest.fixture
def client(mlflow_server) -> MlflowClient:
    return MlflowClient(tracking_uri=mlflow_server.url)


def _alias(client: MlflowClient, alias: str) -> str:
    return str(client.get_model_version_by_alias("churn", alias).version)


def _mlgate_tags(client: MlflowClient, version: str, alias: str) -> dict[str, str]:
    tags = client.get_model_version("churn", version).tags
    return {k: v for k, v in tags.items() if k.startswith(f"mlgate.{alias}.")}


def test_the_gate_judged_the_registry_versions(gated, registered):
    verdicts = {s["name"]: s["verdict"] for s in gated.doc["stages"]}
    assert verdicts == {"staging": "promote", "production": "hold"}
    assert gated.exit_code == 10  # a held stage holds the run
    candidate, champion = gated.doc["models"]["candidate"], gated.doc["models"]["champion"]
    assert candidate["mlflow_version"] == registered.versions["challenger"]
    assert candidate["mlflow_alias"] == "challenger"
    assert candidate["mlflow_run_id"] == registered.runs["challenger"]
    assert champion["mlflow_version"] == registered.versions["champion"]


def test_a_held_stage_leaves_the_alias_where_it_was(gated, registered, client):
    old = registered.versions["champion"]
    client.set_registered_model_alias("churn", "prod-held", old)
    done = promote(
        gated.doc,
        stage="production",
        model_name="churn",
        alias="prod-held",
        tracking_uri=client.tracking_uri,
    )
    assert done.outcome is Outcome.HELD
    assert _alias(client, "prod-held") == old
    assert _mlgate_tags(client, registered.versions["challenger"], "prod-held") == {}
    assert "so churn@prod-held was not moved" in done.summary()


def test_a_promoted_stage_moves_the_alias_and_records_the_decision(
    gated, registered, client, monkeypatch
):
    old, new = registered.versions["champion"], registered.versions["challenger"]
    client.set_registered_model_alias("churn", "staged", old)
    monkeypatch.setenv("GITHUB_ACTOR", "release-bot")
    when = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    done = promote(
        gated.doc,
        stage="staging",
        model_name="churn",
        alias="staged",
        tracking_uri=client.tracking_uri,
        now=when,
    )
    assert done.outcome is Outcome.MOVED and done.moved
    assert (done.version, done.previous_version) == (new, old)
    assert _alias(client, "staged") == new
    tags = _mlgate_tags(client, new, "staged")
    assert tags == {
        "mlgate.staged.gate": "churn-gate",
        "mlgate.staged.result_fingerprint": fingerprint(gated.doc),
        "mlgate.staged.stage": "staging",
        "mlgate.staged.verdict": "promote",
        "mlgate.staged.seed": "3",
        "mlgate.staged.decided_by": "release-bot",
        "mlgate.staged.decided_at": "2026-01-02T03:04:05+00:00",
        "mlgate.staged.mlgate_version": gated.doc["mlgate_version"],
        "mlgate.staged.previous_version": old,
    }
    assert done.summary() == (
        f"promoted: churn@staged → version {new} (was version {old}); stage 'staging' "
        "promote; decision recorded in the version's mlgate.staged.* tags"
    )
    again = promote(
        gated.doc,
        stage="staging",
        model_name="churn",
        alias="staged",
        tracking_uri=client.tracking_uri,
    )
    assert again.outcome is Outcome.UNCHANGED and _alias(client, "staged") == new


def test_an_alias_that_did_not_exist_is_created(gated, registered, client):
    done = promote(
        gated.doc,
        stage="staging",
        model_name="churn",
        alias="fresh",
        tracking_uri=client.tracking_uri,
    )
    assert done.outcome is Outcome.MOVED and done.previous_version is None
    assert _alias(client, "fresh") == registered.versions["challenger"]
    assert "(was not set)" in done.summary()


def test_a_candidate_from_a_run_is_promoted_as_the_version_registered_from_it(
    gated, registered, client
):
    doc = copy.deepcopy(gated.doc)
    cand = doc["models"]["candidate"]
    for key in ("mlflow_model", "mlflow_version", "mlflow_alias"):
        cand.pop(key)
    cand["mlflow_uri"] = f"runs:/{registered.runs['challenger']}/model"
    done = promote(
        doc,
        stage="staging",
        model_name="churn",
        alias="from-run",
        tracking_uri=client.tracking_uri,
    )
    assert done.version == registered.versions["challenger"]
    assert _alias(client, "from-run") == registered.versions["challenger"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"mlflow_version": "999"},
            r"could not read version 999 of 'churn' \(alias @guarded\) on the MLflow tracking "
            r"server http://127\.0\.0\.1:\d+: .*Nothing was changed: @guarded was not moved\. "
            r"Fix: check the name",
        ),
        (
            {"mlflow_model": "no-such-model"},
            r"could not read version \d+ of 'no-such-model' \(alias @guarded\).*"
            r"@guarded was not moved",
        ),
    ],
)
def test_a_registry_error_leaves_the_alias_where_it_was(gated, registered, client, change, message):
    old = registered.versions["champion"]
    client.set_registered_model_alias("churn", "guarded", old)
    doc = copy.deepcopy(gated.doc)
    doc["models"]["candidate"].update(change)
    model = change.get("mlflow_model", "churn")
    with pytest.raises(RegistryError, match=message):
        promote(
            doc,
            stage="staging",
            model_name=model,
            alias="guarded",
            tracking_uri=client.tracking_uri,
        )
    assert _alias(client, "guarded") == old


def test_a_server_that_does_not_answer_is_a_registry_error(gated, client, monkeypatch):
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    with pytest.raises(RegistryError) as info:
        promote(gated.doc, stage="staging", model_name="churn", alias="x", tracking_uri=CLOSED)
    text = str(info.value)
    assert "could not read version" in text and "http://127.0.0.1:9" in text
    assert "Nothing was changed: @x was not moved" in text
    assert "Fix: start the tracking server or fix the tracking URI" in text


def test_a_version_from_another_run_than_the_judged_one_is_refused(gated, registered, client):
    doc = copy.deepcopy(gated.doc)
    doc["models"]["candidate"]["mlflow_run_id"] = registered.runs["champion"]
    with pytest.raises(RegistryError, match="but the gate judged a model from run"):
        promote(
            doc,
            stage="staging",
            model_name="churn",
            alias="mixed",
            tracking_uri=client.tracking_uri,
        )
    with pytest.raises(Exception, match="not found"):
        client.get_model_version_by_alias("churn", "mixed")


def test_promoting_another_model_than_the_judged_one_is_an_input_error(gated, client):
    with pytest.raises(MlflowInputError, match="promote 'churn', or gate a version of 'fraud'"):
        promote(
            gated.doc,
            stage="staging",
            model_name="fraud",
            alias="champion",
            tracking_uri=client.tracking_uri,
        )
