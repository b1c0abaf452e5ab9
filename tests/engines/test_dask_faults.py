"""Workers that die while the Dask engine runs: a worker lost once costs a retry and the run
says which partitions were run again; a partition that keeps killing its workers (or whose
task raises) is an error naming the dataset, the file and the worker, and the gate holds.

The cluster here is of worker *processes* (a task can kill its own worker with ``os._exit``;
the nanny starts a new one) with ``distributed.scheduler.allowed-failures: 1``: a task is
tried on a second worker after its first dies, and given up when that one dies too; a
dead peer is given up on after 3 s (``distributed.comm.timeouts.connect``) instead of 30.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

distributed = pytest.importorskip("distributed", reason="the Dask engine needs mlgate[dask]")
pytest.importorskip("dask.dataframe", reason="the Dask engine needs mlgate[dask]")

import dask  # noqa: E402

from mlgate.checks.rates.prediction_rate import PREDICTION_RATE  # noqa: E402
from mlgate.core.context import GateContext  # noqa: E402
from mlgate.core.decision import ExitCode, Verdict, exit_code  # noqa: E402
from mlgate.core.engines import PartitionFailed  # noqa: E402
from mlgate.core.engines.dask import DaskEngine  # noqa: E402
from mlgate.core.gate import open_gate  # noqa: E402
from mlgate.core.result import Status  # noqa: E402
from mlgate.core.runner import run_check, run_gate  # noqa: E402


@pytest.fixture(scope="module")
def process_client(loopback_client):
    """A client of a LocalCluster of two single-threaded worker processes on loopback, whose
    scheduler gives a task up after its second worker dies."""
    settings = {
        "distributed.scheduler.allowed-failures": 1,
        "distributed.comm.timeouts.connect": "3s",
    }
    with dask.config.set(settings), loopback_client(processes=True) as client:
        yield client


def _rows_and_hits(batch):
    """(rows, correct predictions) of a batch."""
    return np.array([len(batch), int((batch.predictions.labels == batch.y).sum())])


def _add(a, b):
    return a + b


def _killing_once(fn, start: int, marker: Path):
    """``fn``, but the first call on the partition starting at row ``start`` kills the worker
    process running it (before anything is returned); ``marker`` records that it did."""

    def run(batch):
        if batch.start == start and not marker.exists():
            marker.write_text("killed")
            os._exit(1)
        return fn(batch)

    return run


def test_a_worker_killed_mid_fold_is_retried_and_the_run_records_it(
    tmp_path, labelled, process_client, write_parts, write_gate
):
    model, frame = labelled
    write_parts(frame, tmp_path / "parts", 4)  # rows 0-67, 68-134, 135-201, 202-268
    ctx = GateContext(
        open_gate(write_gate(tmp_path, "parts")),
        models={"candidate": model},
        engine=DaskEngine(process_client),
    )
    try:
        assert "lost_workers" not in ctx.engine.describe()  # nothing lost yet
        marker = tmp_path / "killed"
        fn = _killing_once(_rows_and_hits, 135, marker)
        with ctx.running(PREDICTION_RATE):
            got = ctx.fold("candidate", "evaluation", fn, _add)
        assert marker.exists()  # a worker did die, on part-002
        hits = int((model.predict(frame.iloc[:, :5]) == frame["target"]).sum())
        assert got.tolist() == [269, hits]  # the right result, every partition counted once
        described = ctx.engine.describe()
        assert described["lost_workers"] == 1 and described["retried_partitions"] >= 1
        engine = ctx.engine.describe_datasets()["evaluation"]["engine"]
        assert engine["partitions"] == 4
        assert "part-002.parquet" in engine["retried"]
        assert engine["retried_partitions"] == len(engine["retried"])
    finally:
        ctx.close()


class _KillsOn:
    """A scikit-learn model whose prediction kills its worker process on any frame holding
    the value ``poison`` in its first column (every time)."""

    def __init__(self, model, poison: float) -> None:
        self.model, self.poison = model, poison
        self.classes_ = model.classes_

    def _guard(self, X):
        if (X.iloc[:, 0].to_numpy() == self.poison).any():
            os._exit(1)

    def predict(self, X):
        self._guard(X)
        return self.model.predict(X)

    def predict_proba(self, X):
        self._guard(X)
        return self.model.predict_proba(X)

    def fit(self, X, y):  # a scikit-learn estimator has one
        return self


def test_a_partition_that_kills_every_worker_is_an_error_and_the_gate_holds(
    tmp_path, labelled, process_client, write_parts, write_gate
):
    model, frame = labelled
    write_parts(frame, tmp_path / "parts", 2)  # rows 0-134 and 135-268
    address = process_client.scheduler.address
    gate = write_gate(tmp_path, "parts", engine=f"engine: {{name: dask, scheduler: '{address}'}}")
    killer = _KillsOn(model, poison=float(frame.iloc[200, 0]))
    run = run_gate(gate, models={"candidate": killer})
    (result,) = run.results
    assert result.status is Status.ERROR
    assert "dataset 'evaluation', part-001.parquet" in result.message
    assert "died, 2 time(s) on different workers (the last: tcp://127.0.0.1:" in result.message
    assert "allowed-failures (1)" in result.message
    assert run.verdict is Verdict.HOLD and exit_code(run.decisions) is ExitCode.HOLD != 0
    assert run.loaded["engine"]["lost_workers"] >= 2


def test_a_task_that_raises_names_the_partition_and_the_worker(
    tmp_path, labelled, dask_client, write_parts, write_gate
):
    model, frame = labelled
    write_parts(frame, tmp_path / "parts", 4)
    ctx = GateContext(
        open_gate(write_gate(tmp_path, "parts")),
        models={"candidate": model},
        engine=DaskEngine(dask_client),
    )

    def broken(batch):
        if batch.start == 68:
            raise ZeroDivisionError("a bug in the check")
        return _rows_and_hits(batch)

    with ctx.running(PREDICTION_RATE), pytest.raises(PartitionFailed) as failed:
        ctx.fold("candidate", "evaluation", broken, _add)
    text = str(failed.value)
    assert text.startswith("dataset 'evaluation', part-001.parquet, on worker tcp://127.0.0.1:")
    assert "the check's function raised ZeroDivisionError: a bug in the check" in text
    assert "lost_workers" not in ctx.engine.describe()  # an error is not a lost worker


def test_a_file_gone_while_the_gate_runs_names_the_file_and_the_worker(
    tmp_path, labelled, dask_client, write_parts, write_gate
):
    model, frame = labelled
    write_parts(frame, tmp_path / "parts", 3)
    ctx = GateContext(
        open_gate(write_gate(tmp_path, "parts")),
        models={"candidate": model},
        engine=DaskEngine(dask_client),
    )
    ctx.preflight(ctx.gate.checks)  # the footers are read: the dataset has 3 files
    (tmp_path / "parts" / "part-001.parquet").unlink()
    result = run_check(ctx, ctx.gate.checks[0])
    assert result.status is Status.ERROR
    assert "dataset 'evaluation': cannot read '" in result.message
    assert "part-001.parquet' on worker tcp://127.0.0.1:" in result.message
