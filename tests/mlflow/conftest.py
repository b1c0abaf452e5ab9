"""A real MLflow tracking server (SQLite backend store, local artifact store) on a free
loopback port, started once per session; a registered model ``churn`` with versions to gate;
and one gate run over them, whose result the promotion and logging tests share.

Registry state the tests rely on (set once here, never moved by a test):
- version 1: a zero-rule classifier (skops), the champion: ``@champion`` → 1;
- version 2: a logistic regression (skops), the challenger: ``@challenger`` → 2;
- version 3: the same regression saved with cloudpickle (loading it runs code).
Tests that move an alias use one of their own.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
import yaml

#: Keeps the server and the clients from reporting usage over the network.
QUIET_ENV = {"MLFLOW_DISABLE_TELEMETRY": "true", "DO_NOT_TRACK": "true"}
READY_TIMEOUT_S = 180  # a fresh SQLite store runs every migration on two shared cores
FEATURES = ["tenure", "charges", "calls", "noise"]


@dataclass(frozen=True)
class Server:
    url: str
    root: Path
    log: Path


@dataclass(frozen=True)
class Registered:
    """The registered model's versions and the runs they came from."""

    name: str
    versions: dict[str, str]  # "champion" / "challenger" / "pickled" → version
    runs: dict[str, str]  # the same keys → run id


@dataclass(frozen=True)
class Gated:
    """One gate run: its folder, result document and report directory."""

    folder: Path
    report_dir: Path
    doc: dict
    exit_code: int


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _ready(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/health", timeout=2) as resp:
            return resp.status == 200
    except OSError:
        return False


@pytest.fixture(autouse=True)
def no_local_store(tmp_path, monkeypatch):
    """Each test runs in an empty folder and must leave no local MLflow store in it: talking
    to the server never falls back to MLflow's default store (./mlflow.db, ./mlruns)."""
    work = tmp_path / "cwd"
    work.mkdir()
    monkeypatch.chdir(work)
    yield
    assert sorted(p.name for p in work.iterdir()) == []


@pytest.fixture(scope="session")
def quiet_env() -> dict[str, str]:
    """The environment every MLflow client of these tests runs with (set for the session)."""
    old = {k: os.environ.get(k) for k in QUIET_ENV}
    os.environ.update(QUIET_ENV)
    yield dict(QUIET_ENV)
    for k, v in old.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


@pytest.fixture(scope="session")
def mlflow_server(tmp_path_factory, quiet_env) -> Server:
    """``mlflow server`` on 127.0.0.1:<free port>, stopped (its process group) afterwards."""
    pytest.importorskip("mlflow", minversion="2.16", reason="needs mlgate[mlflow]")
    root = tmp_path_factory.mktemp("mlflow-server")
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log = root / "server.log"
    cmd = [
        sys.executable, "-m", "mlflow", "server",
        "--backend-store-uri", f"sqlite:///{root / 'mlflow.db'}",
        "--artifacts-destination", str(root / "artifacts"),
        "--host", "127.0.0.1",
        "--port", str(port),
        "--workers", "1",
    ]  # fmt: skip
    with log.open("wb") as out:
        proc = subprocess.Popen(
            cmd,
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=root,
            env={**os.environ, **quiet_env},
            start_new_session=True,  # its own process group: teardown stops every worker
        )
    try:
        deadline = time.monotonic() + READY_TIMEOUT_S
        while not _ready(url):
            if proc.poll() is not None or time.monotonic() > deadline:
                tail = log.read_text(errors="replace")[-3000:]
                pytest.fail(
                    f"mlflow server did not become ready on {url} "
                    f"(exit {proc.poll()}) within {READY_TIMEOUT_S}s:\n{tail}"
                )
            time.sleep(0.25)
        yield Server(url=url, root=root, log=log)
    finally:
        _stop(proc)


def _stop(proc: subprocess.Popen) -> None:
    # A short grace: uvicorn waits for idle keep-alive connections, and nothing of this
    # throwaway server needs to survive.
    for sig, wait in ((signal.SIGTERM, 3), (signal.SIGKILL, 5)):
        if proc.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=wait)


def churn_data(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, len(FEATURES)))
    logit = 2.5 * X[:, 0] - 2.0 * X[:, 1] + 1.5 * X[:, 2]
    y = (logit + 0.5 * rng.normal(size=n) > 0).astype(int)
    frame = pd.DataFrame(X, columns=FEATURES)
    frame["churned"] = y
    return frame


def _log_model(mlflow, model, *, name: str, fmt: str, experiment_id: str) -> tuple[str, str]:
    """Log ``model`` in a run of its own and register it; returns (version, run id)."""
    formats = {"skops": getattr(mlflow.sklearn, "SERIALIZATION_FORMAT_SKOPS", None)}
    fmt = formats.get(fmt, fmt) or "cloudpickle"  # MLflow 2.x has no skops format
    where = {"name": "model"} if int(mlflow.__version__.split(".")[0]) >= 3 else {}
    where = where or {"artifact_path": "model"}
    with mlflow.start_run(experiment_id=experiment_id) as run:
        info = mlflow.sklearn.log_model(
            model,
            registered_model_name=name,
            serialization_format=fmt,
            pip_requirements=["scikit-learn"],  # no environment inference: it is slow
            **where,
        )
    return str(info.registered_model_version), run.info.run_id


@pytest.fixture(scope="session")
def registered(mlflow_server) -> Registered:
    """Versions 1-3 of ``churn`` (see the module docstring), with @champion and @challenger."""
    import mlflow
    from mlflow import MlflowClient
    from sklearn.dummy import DummyClassifier
    from sklearn.linear_model import LogisticRegression

    train = churn_data(600, seed=1)
    X, y = train[FEATURES], train["churned"]
    zero_rule = DummyClassifier(strategy="prior").fit(X, y)
    regression = LogisticRegression().fit(X, y)
    client = MlflowClient(tracking_uri=mlflow_server.url)
    experiment_id = client.create_experiment("training")
    # The fluent API (start_run, log_model) reads the server from the environment; no
    # global MLflow state is set.
    old = os.environ.get("MLFLOW_TRACKING_URI")
    os.environ["MLFLOW_TRACKING_URI"] = mlflow_server.url
    try:
        versions, runs = {}, {}
        for key, model, fmt in (
            ("champion", zero_rule, "skops"),
            ("challenger", regression, "skops"),
            ("pickled", regression, "cloudpickle"),
        ):
            versions[key], runs[key] = _log_model(
                mlflow, model, name="churn", fmt=fmt, experiment_id=experiment_id
            )
    finally:
        if old is None:
            os.environ.pop("MLFLOW_TRACKING_URI", None)
        else:
            os.environ["MLFLOW_TRACKING_URI"] = old
    client.set_registered_model_alias("churn", "champion", versions["champion"])
    client.set_registered_model_alias("churn", "challenger", versions["challenger"])
    return Registered(name="churn", versions=versions, runs=runs)


def gate_config(tracking_uri: str) -> dict:
    """Stage ``staging`` promotes the challenger (it beats 0.8 accuracy and the champion);
    stage ``production`` holds it (0.99 accuracy is out of its reach)."""
    model = {"tracking_uri": tracking_uri}
    return {
        "name": "churn-gate",
        "task": "binary",
        "seed": 3,
        "models": {
            "candidate": {"uri": "models:/churn@challenger", **model},
            "champion": {"uri": "models:/churn@champion", **model},
        },
        "datasets": {"evaluation": {"path": "evaluation.csv", "label": "churned"}},
        "stages": {
            "staging": {
                "checks": [
                    {"check": "metric_threshold", "metric": "accuracy", "min": 0.8},
                    {
                        "check": "champion",
                        "metrics": ["accuracy"],
                        "margin": 0.02,
                        "n_resamples": 200,
                    },
                ]
            },
            "production": {
                "checks": [{"check": "metric_threshold", "metric": "accuracy", "min": 0.99}]
            },
        },
    }


def write_gate(folder: Path, tracking_uri: str, **changes) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    churn_data(400, seed=7).to_csv(folder / "evaluation.csv", index=False)
    config = gate_config(tracking_uri)
    config.update(changes)
    path = folder / "mlgate.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def run_gate_cli(gate: Path, report_dir: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    """``mlgate run`` in a subprocess, as CI runs it."""
    cmd = [sys.executable, "-m", "mlgate", "run", "-f", str(gate), "-o", str(report_dir)]
    cmd += ["--", "-q", "-p", "no:cacheprovider", "--mlgate-history", "off"]
    return subprocess.run(
        cmd,
        cwd=gate.parent,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture(scope="session")
def kit() -> SimpleNamespace:
    """The helpers test modules need (test modules do not import conftest):
    ``features``, ``data(n, seed)`` and ``write_gate(folder, tracking_uri, **changes)``."""
    return SimpleNamespace(features=FEATURES, data=churn_data, write_gate=write_gate)


@pytest.fixture(scope="session")
def gated(mlflow_server, registered, tmp_path_factory, quiet_env) -> Gated:
    """The gate run once: staging promotes, production holds (exit code 10)."""
    import json

    folder = tmp_path_factory.mktemp("gate")
    gate = write_gate(folder, mlflow_server.url)
    report_dir = folder / "reports"
    proc = run_gate_cli(gate, report_dir, quiet_env)
    result = report_dir / "result.json"
    assert result.is_file(), f"the gate wrote no result.json:\n{proc.stdout}\n{proc.stderr}"
    doc = json.loads(result.read_text())
    return Gated(folder=folder, report_dir=report_dir, doc=doc, exit_code=proc.returncode)
