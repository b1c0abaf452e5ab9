"""``pytest --mlgate --mlgate-mlflow URI --mlgate-promote STAGE:MODEL@ALIAS`` logs the run and
moves the alias exactly when the stage promoted; a held stage keeps exit code 10."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

pytest.importorskip("mlflow")


def _alias(client, alias: str) -> str:
    return client.get_model_version_by_alias("churn", alias).version


def _run(gate, env, *extra):
    cmd = [sys.executable, "-m", "pytest", "--mlgate", f"--mlgate-file={gate}", "-q"]
    cmd += ["-p", "no:cacheprovider", "--mlgate-history", "off", *extra, str(gate.parent)]
    return subprocess.run(
        cmd,
        cwd=gate.parent,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.mark.parametrize(("stage", "moves"), [("staging", True), ("production", False)])
def test_the_options_promote_only_a_promoted_stage(
    mlflow_server, registered, kit, tmp_path, quiet_env, stage, moves
):
    from mlflow import MlflowClient

    client = MlflowClient(tracking_uri=mlflow_server.url)
    alias = f"options-{stage}"
    client.set_registered_model_alias("churn", alias, registered.versions["champion"])
    gate = kit.write_gate(tmp_path / "gate", mlflow_server.url)
    proc = _run(
        gate,
        quiet_env,
        f"--mlgate-mlflow={mlflow_server.url}",
        f"--mlgate-promote={stage}:churn@{alias}",
        f"--mlgate-report-dir={tmp_path / 'reports'}",
    )
    out = proc.stdout + proc.stderr
    assert proc.returncode == 10, out  # production holds either way
    assert "logged to MLflow run " in out
    expected = registered.versions["challenger" if moves else "champion"]
    assert _alias(client, alias) == expected, out


def test_a_promote_option_naming_an_undecided_stage_is_a_usage_error(
    mlflow_server, kit, tmp_path, quiet_env
):
    gate = kit.write_gate(tmp_path / "gate", mlflow_server.url)
    proc = _run(gate, quiet_env, "--mlgate-stage=staging", "--mlgate-promote=production:churn@x")
    assert proc.returncode == 4
    assert "stage 'production' is not decided in this run" in proc.stderr
