"""The gate file's ``uri`` key, the missing extra, and the result helpers: none of these need
an MLflow server (and most not even mlflow installed)."""

from __future__ import annotations

import copy
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from mlgate.config.schema import ModelSpec
from mlgate.core.errors import MissingDependencyError
from mlgate.core.task import Task
from mlgate.mlflow import MlflowInputError, Outcome, PromoteTarget, fingerprint, promote
from mlgate.mlflow.result import metric_rows
from mlgate.models import load_model


@pytest.mark.parametrize(
    "uri",
    ["models:/churn@champion", "models:/churn/3", "runs:/0123abcd/model", "models:/a.b-c@x_1"],
)
def test_mlflow_uris_the_gate_file_accepts(uri):
    assert ModelSpec(uri=uri).uri == uri


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"uri": "models:/churn/Production"}, "Stages and 'latest' move while a gate runs"),
        ({"uri": "models:/churn/latest"}, "name an alias or a version instead"),
        ({"uri": "s3://bucket/model"}, "expected models:/<name>@<alias>"),
        ({"uri": "models:/churn@champion", "path": "m.skops"}, "drop 'path', or drop 'uri'"),
        (
            {"uri": "models:/churn@champion", "factory": "m:f", "args": {"a": 1}},
            "drop 'factory' and 'args', or drop 'uri'",
        ),
        ({"factory": "m:f", "tracking_uri": "http://x"}, "only for a model given by 'uri'"),
        ({}, "or 'uri' (an MLflow model, e.g. models:/churn@champion)"),
    ],
)
def test_bad_model_sources_name_the_key_and_the_fix(spec, message):
    with pytest.raises(ValidationError, match=message.replace("(", r"\(").replace(")", r"\)")):
        ModelSpec(**spec)


def test_factory_and_path_together_still_mean_torch_weights():
    spec = ModelSpec(factory="arch:build", path="weights.safetensors")
    assert (spec.factory, spec.path, spec.uri) == ("arch:build", "weights.safetensors", None)


def test_a_uri_model_without_mlflow_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "mlflow.client", None)
    with pytest.raises(MissingDependencyError, match=r"pip install 'mlgate\[mlflow\]'"):
        load_model(
            ModelSpec(uri="models:/churn@champion"),
            name="candidate",
            base_dir=Path("."),
            task=Task.BINARY,
            seed=0,
        )


DOC = {
    "schema_version": "1.1",
    "mlgate_version": "0.1",
    "gate": {"name": "g", "file": "mlgate.yaml", "task": "binary"},
    "run": {"seed": 3, "stages": ["ci"], "started_at": "a", "finished_at": "b", "duration_s": 1},
    "verdict": "hold",
    "stages": [{"name": "ci", "verdict": "hold", "reasons": ["acc failed: too low"]}],
    "checks": [
        {
            "id": "acc",
            "stages": ["ci"],
            "status": "failed",
            "metric": "accuracy",
            "value": 0.7,
            "interval": {"low": 0.65, "high": 0.75, "level": 0.95, "method": "wilson"},
            "threshold": {"op": ">=", "value": 0.8},
            "sample_size": 400,
        }
    ],
    "models": {"candidate": {"kind": "sklearn", "mlflow_model": "churn", "mlflow_version": "2"}},
}


def test_fingerprint_ignores_timing_and_nothing_else():
    other = copy.deepcopy(DOC)
    other["run"].update(started_at="c", finished_at="d", duration_s=9)
    assert fingerprint(other) == fingerprint(DOC)
    other["checks"][0]["value"] = 0.71
    assert fingerprint(other) != fingerprint(DOC)


def test_metric_rows_carry_the_interval_and_bound():
    (row,) = metric_rows(DOC)
    assert (row.value, row.low, row.high, row.level) == (0.7, 0.65, 0.75, 0.95)
    assert row.describe() == ("failed: accuracy 0.7 [0.65, 0.75] (95% wilson), bound >= 0.8, n=400")


def test_a_held_stage_never_reaches_the_registry():
    # The tracking URI is a closed port: a held stage must not even try it.
    done = promote(
        DOC, stage="ci", model_name="churn", alias="champion", tracking_uri="http://127.0.0.1:9"
    )
    assert done.outcome is Outcome.HELD and not done.moved
    assert done.summary() == (
        "held: stage 'ci' is hold, so churn@champion was not moved: acc failed: too low"
    )


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"stage": "prod"}, r"stage 'prod' was not decided in this run \(decided: \['ci'\]\)"),
        ({"model_name": "fraud"}, r"judged version 2 of 'churn' .*not a version of 'fraud'"),
        ({"version": 3}, r"not version 3; only the judged version can be promoted"),
        ({"alias": "latest"}, r"reserve 'latest' and 'v<number>'"),
        ({"alias": "v2"}, r"alias 'v2' cannot be set"),
    ],
)
def test_promotion_input_errors_come_before_the_registry(kwargs, message):
    args = {"stage": "ci", "model_name": "churn", "alias": "champion"} | kwargs
    with pytest.raises(MlflowInputError, match=message):
        promote(DOC, tracking_uri="http://127.0.0.1:9", **args)


def test_promote_target_parses_stage_model_alias():
    target = PromoteTarget.parse("production:churn.v2@champion")
    assert (target.stage, target.model_name, target.alias) == ("production", "churn.v2", "champion")
    with pytest.raises(MlflowInputError, match="expected STAGE:MODEL@ALIAS"):
        PromoteTarget.parse("churn@champion")


def test_after_gate_without_a_tracking_server_does_nothing_and_says_so(monkeypatch, tmp_path):
    from mlgate.mlflow import after_gate

    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    done = after_gate(DOC, tmp_path, tracking_uri=None)
    assert done.exit_code == 4
    assert done.lines == (
        "mlgate mlflow: error: no MLflow tracking server: pass --mlgate-mlflow URI or set "
        "MLFLOW_TRACKING_URI",
    )
