"""Fixtures of the engine tests: a small labelled dataset and model, Parquet partitions of it,
and a two-worker Dask cluster on loopback (started by the tests, closed after)."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_breast_cancer
from sklearn.linear_model import LogisticRegression

from mlgate.core.context import GateContext
from mlgate.core.registry import CheckType, parse_params


@pytest.fixture(scope="session")
def labelled():
    """(model, evaluation frame): five features of the breast-cancer data, 269 rows."""
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    frame = X.iloc[:, :5].assign(target=y.to_numpy())
    model = LogisticRegression(max_iter=2000).fit(frame.iloc[:300, :5], frame["target"][:300])
    return model, frame.iloc[300:].reset_index(drop=True)


class RowWise:
    """A logistic model fitted by scikit-learn whose probabilities are computed column by
    column (no BLAS): the same bits for a row in any batch, any memory layout. (A BLAS product
    may differ in the last bit between an in-process frame and one read from Parquet on a
    worker; the engine cannot make the model's own arithmetic reproducible.)"""

    classes_ = np.array([0, 1])

    def __init__(self, model, columns):
        self.coef, self.intercept = model.coef_[0], float(model.intercept_[0])
        self.columns = list(columns)

    def predict_proba(self, X):
        z = np.full(len(X), self.intercept)
        for w, col in zip(self.coef, self.columns, strict=True):
            z = z + w * X[col].to_numpy(dtype=float)
        p = 1.0 / (1.0 + np.exp(-z))
        return np.column_stack([1.0 - p, p])

    def predict(self, X):
        return self.classes_[(self.predict_proba(X)[:, 1] > 0.5).astype(int)]


@pytest.fixture(name="row_wise")
def _row_wise():
    """:class:`RowWise`: wraps a fitted LogisticRegression so predictions are bit-reproducible."""
    return RowWise


def write_parts(frame: pd.DataFrame, folder: Path, n_parts: int) -> Path:
    """``frame`` as ``n_parts`` Parquet files of consecutive rows (part-000.parquet, ...)."""
    folder.mkdir(parents=True, exist_ok=True)
    for i, rows in enumerate(np.array_split(np.arange(len(frame)), n_parts)):
        frame.iloc[rows].to_parquet(folder / f"part-{i:03d}.parquet", index=False)
    return folder


def write_gate(folder: Path, path: str, *, engine: str = "engine: dask", label="target") -> Path:
    """A gate file in ``folder`` whose evaluation dataset is ``path``."""
    gate = folder / "gate.yaml"
    gate.write_text(
        f"name: g\ntask: binary\n{engine}\nmodels: {{candidate: {{factory: 'x:y'}}}}\n"
        f"datasets: {{evaluation: {{path: '{path}', label: {label}}}}}\n"
        "stages: {s: {checks: [{check: prediction_rate, max: 0.9}]}}\n"
    )
    return gate


def run_as_kernel(check_type: CheckType, ctx: GateContext, **params):
    """Call a check the way the kernel will once it declares the running check to the engine
    (``with ctx.running(check_type, params)`` around ``run``; docs/dask.md): parameters parsed
    as the gate file's, the default id filled in."""
    parsed = parse_params(check_type, ctx.gate.config, params)
    with ctx.running(check_type, parsed):
        result = check_type.run(ctx, parsed)
    check_id = check_type.default_id(parsed) if check_type.default_id else check_type.name
    return result.with_context(check_id=check_id)


@pytest.fixture(name="write_parts")
def _write_parts():
    return write_parts


@pytest.fixture(name="write_gate")
def _write_gate():
    return write_gate


@pytest.fixture(name="run_as_kernel")
def _run_as_kernel():
    return run_as_kernel


@contextmanager
def loopback_client(*, processes: bool = False):
    """A ``distributed.Client`` on a LocalCluster of two single-threaded workers (threads of
    this process, or worker processes), TCP on 127.0.0.1, no dashboard; closed on exit."""
    distributed = pytest.importorskip(
        "distributed", reason="the Dask engine needs mlgate[dask] (dask[dataframe], distributed)"
    )
    pytest.importorskip("dask.dataframe", reason="the Dask engine needs dask[dataframe]")
    cluster = distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=processes,
        host="127.0.0.1",
        protocol="tcp",
        scheduler_port=0,
        dashboard_address=None,
        # no dashboard; its HTTP server (health, metrics) on a free loopback port
        scheduler_kwargs={"dashboard": False, "dashboard_address": "127.0.0.1:0"},
    )
    client = distributed.Client(cluster)
    try:
        yield client
    finally:
        client.close()
        cluster.close()


@pytest.fixture(name="loopback_client", scope="session")
def _loopback_client():
    return loopback_client


@pytest.fixture(scope="module")
def dask_client():
    """:func:`loopback_client` with worker threads, for the module."""
    with loopback_client() as client:
        yield client
