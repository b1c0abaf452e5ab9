"""``mlgate promote`` and ``mlgate log-mlflow`` against a real server: exit codes 0 moved,
10 held, 4 usage error, 11 registry error; and the function the pytest plugin calls."""

from __future__ import annotations

import pytest

pytest.importorskip("mlflow", minversion="2.16", reason="needs mlgate[mlflow]")

from mlflow import MlflowClient

from mlgate.cli import main
from mlgate.mlflow import REGISTRY_ERROR_EXIT, PromoteTarget, after_gate

CLOSED = "http://127.0.0.1:9"


@pytest.fixture
def client(mlflow_server) -> MlflowClient:
    return MlflowClient(tracking_uri=mlflow_server.url)


@pytest.fixture
def result(gated) -> str:
    return str(gated.report_dir / "result.json")


def _alias(client: MlflowClient, alias: str) -> str:
    return str(client.get_model_version_by_alias("churn", alias).version)


def test_promote_exit_codes_follow_what_happened_to_the_alias(
    result, registered, client, capsys, monkeypatch
):
    old, new = registered.versions["champion"], registered.versions["challenger"]
    client.set_registered_model_alias("churn", "cli", old)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", client.tracking_uri)

    assert main(["promote", result, "--stage", "production", "--alias", "cli"]) == 10
    assert "held: stage 'production' is hold, so churn@cli was not moved" in capsys.readouterr().out
    assert _alias(client, "cli") == old

    assert main(["promote", result, "--stage", "staging", "--alias", "cli"]) == 0
    assert f"promoted: churn@cli → version {new} (was version {old})" in capsys.readouterr().out
    assert _alias(client, "cli") == new

    assert main(["promote", result, "--stage", "staging", "--alias", "cli"]) == 0
    assert "unchanged: churn@cli already points" in capsys.readouterr().out


def test_promote_usage_and_registry_errors(result, registered, client, capsys, monkeypatch):
    old = registered.versions["champion"]
    client.set_registered_model_alias("churn", "cli-errors", old)
    base = ["promote", result, "--alias", "cli-errors"]
    url = ["--tracking-uri", client.tracking_uri]

    assert main([*base, "--stage", "nightly", *url]) == 4
    assert "stage 'nightly' was not decided in this run" in capsys.readouterr().err
    assert main([*base, "--stage", "staging", "--model", "fraud", *url]) == 4
    assert "not a version of 'fraud'" in capsys.readouterr().err
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    assert main([*base, "--stage", "staging"]) == 4
    assert "pass --tracking-uri URI or set MLFLOW_TRACKING_URI" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_info:  # argparse: --alias is required
        main(["promote", result, "--stage", "staging"])
    assert exit_info.value.code == 4
    assert "the following arguments are required: --alias" in capsys.readouterr().err

    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    assert main([*base, "--stage", "staging", "--tracking-uri", CLOSED]) == REGISTRY_ERROR_EXIT
    err = capsys.readouterr().err
    assert err.startswith("mlgate promote: registry error: could not read version")
    assert "@cli-errors was not moved" in err
    assert _alias(client, "cli-errors") == old


def test_log_mlflow_logs_a_new_run_or_the_candidates(result, registered, client, capsys):
    url = ["--tracking-uri", client.tracking_uri]
    assert main(["log-mlflow", result, *url, "--experiment", "cli-logs"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("logged to MLflow run ") and "(new run; " in out
    assert client.get_experiment_by_name("cli-logs") is not None

    assert main(["log-mlflow", result, *url, "--candidate-run"]) == 0
    assert f"logged to MLflow run {registered.runs['challenger']} (existing run; " in (
        capsys.readouterr().out
    )
    assert main(["log-mlflow", result, *url, "--run-id", "f00"]) == REGISTRY_ERROR_EXIT
    assert "could not find run 'f00'" in capsys.readouterr().err


def test_after_gate_logs_and_promotes_as_the_plugin_would(gated, registered, client):
    client.set_registered_model_alias("churn", "plugin", registered.versions["champion"])
    done = after_gate(
        gated.doc,
        gated.report_dir,
        tracking_uri=client.tracking_uri,
        promote_to=PromoteTarget.parse("staging:churn@plugin"),
    )
    assert done.exit_code is None
    assert done.lines[0].startswith("logged to MLflow run ")
    assert done.lines[1].startswith("mlgate promote: promoted: churn@plugin → version")
    assert _alias(client, "plugin") == registered.versions["challenger"]


def test_after_gate_reports_a_registry_error_without_raising(gated, monkeypatch):
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    done = after_gate(
        gated.doc,
        gated.report_dir,
        tracking_uri=CLOSED,
        promote_to=PromoteTarget.parse("staging:churn@plugin-down"),
    )
    assert done.exit_code == REGISTRY_ERROR_EXIT
    assert done.lines[0].startswith("mlgate mlflow: registry error: could not look up experiment")
    assert done.lines[1].startswith("mlgate promote: registry error: could not read version")
