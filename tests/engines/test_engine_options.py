"""``--mlgate-engine`` / ``--mlgate-scheduler`` choose the engine for a gate run: the same
gate file runs in process or on Dask and decides the same."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

pytest.importorskip("dask.distributed")

MODELS = """
import numpy as np
from sklearn.datasets import load_breast_cancer
from sklearn.linear_model import LogisticRegression

def fit():
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    return LogisticRegression(max_iter=2000).fit(X.iloc[:300, :5], y[:300])
"""


@pytest.fixture
def project(tmp_path, labelled, write_parts):
    """A gate over three Parquet files. (Not pytester: its sys.modules snapshot makes pandas
    register its Arrow extension types twice.)"""
    _, frame = labelled
    write_parts(frame, tmp_path / "parts", 3)
    (tmp_path / "engine_option_models.py").write_text(MODELS)
    (tmp_path / "gate.yaml").write_text(
        "name: g\ntask: binary\n"
        "models: {candidate: {factory: 'engine_option_models:fit'}}\n"
        "datasets: {evaluation: {path: 'parts/*.parquet', label: target}}\n"
        "stages: {s: {checks: [{check: prediction_rate, max: 0.9}]}}\n"
    )

    def run(*args: str) -> SimpleNamespace:
        cmd = [sys.executable, "-m", "pytest", "--mlgate", "--mlgate-file=gate.yaml", "-q"]
        cmd += ["-p", "no:cacheprovider", "--mlgate-history=off", *args]
        proc = subprocess.run(
            cmd, cwd=tmp_path, capture_output=True, text=True, timeout=300, env={**os.environ}
        )
        return SimpleNamespace(ret=proc.returncode, out=proc.stdout + proc.stderr)

    return SimpleNamespace(path=tmp_path, run=run)


def _checks(path: Path, report: str):
    doc = json.loads((path / report / "result.json").read_text())
    return [(c["id"], c["status"], c["value"], c["interval"]) for c in doc["checks"]]


@pytest.mark.slow
def test_the_engine_option_runs_the_same_gate_on_dask(project):
    dask = project.run("--mlgate-engine=dask", "--mlgate-report-dir=dask-reports")
    assert dask.ret == 0, dask.out
    assert _checks(project.path, "dask-reports")[0][1] == "passed"
    # The same gate file in process: the glob's files read into one frame, the same verdict,
    # value and interval.
    local = project.run("--mlgate-report-dir=local")
    assert local.ret == 0, local.out
    assert _checks(project.path, "local") == _checks(project.path, "dask-reports")


def test_a_scheduler_alone_chooses_dask_and_an_unreachable_one_is_a_setup_error(project):
    """--mlgate-scheduler alone means the dask engine; an unreachable address is a setup
    error naming it (exit 4), never a held or promoted model."""
    result = project.run("--mlgate-scheduler=tcp://127.0.0.1:9")
    assert result.ret == 4, result.out
    assert "127.0.0.1:9" in result.out
