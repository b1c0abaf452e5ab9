"""The Dask engine on a two-worker LocalCluster on loopback: partitioned Parquet read and
predicted on the workers, one batch per partition, the same results as in memory for checks
that fold batches, and a refusal (not a silent collect) for checks that need every row."""

from __future__ import annotations

import pickle
import threading
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("distributed", reason="the Dask engine needs mlgate[dask]")
pytest.importorskip("dask.dataframe", reason="the Dask engine needs mlgate[dask]")

from mlgate.checks.performance.metric_threshold import METRIC_THRESHOLD
from mlgate.checks.rates.prediction_rate import PREDICTION_RATE
from mlgate.core.context import GateContext
from mlgate.core.engines import CollectRefused
from mlgate.core.engines.dask import DaskEngine
from mlgate.core.errors import ConfigError, DataError, PredictionError
from mlgate.core.gate import open_gate
from mlgate.stats.poisson import (
    PoissonBootstrap,
    PoissonFold,
    SeenLabels,
    poisson_estimate,
    stream_key,
)


def _context(gate, model, client, **engine):
    return GateContext(
        open_gate(gate), models={"candidate": model}, engine=DaskEngine(client, **engine)
    )


def _local(model, frame):
    return GateContext.from_objects(
        models={"candidate": model}, datasets={"evaluation": frame}, task="binary", label="target"
    )


@pytest.fixture
def parts4(tmp_path, labelled, write_parts, write_gate):
    """A gate whose evaluation data is 4 Parquet files (a directory)."""
    _, frame = labelled
    write_parts(frame, tmp_path / "parts", 4)
    return write_gate(tmp_path, "parts")


def test_one_batch_per_partition_with_the_predictions_made_on_the_workers(
    parts4, labelled, dask_client, run_as_kernel
):
    model, frame = labelled
    ctx = _context(parts4, model, dask_client)
    with ctx.running(PREDICTION_RATE):
        batches = list(ctx.batches("candidate", "evaluation", columns=["mean radius"]))
    assert [(b.start, b.stop) for b in batches] == [(0, 68), (68, 135), (135, 202), (202, 269)]
    assert all(list(b.frame.columns) == ["mean radius"] for b in batches)
    np.testing.assert_array_equal(np.concatenate([b.y for b in batches]), frame["target"])
    expected = model.predict_proba(frame.iloc[:, :5])
    got = np.concatenate([b.predictions.scores for b in batches])
    np.testing.assert_allclose(got, expected)
    # batch_rows splits each partition further; the rows stay in order.
    with ctx.running(PREDICTION_RATE):
        small = list(ctx.batches("candidate", "evaluation", batch_rows=30))
    assert small[0].start == 0 and small[-1].stop == 269 and max(len(b) for b in small) == 30
    assert ctx.engine.prediction_runs[("candidate", "evaluation")] == 1  # predicted once


@pytest.mark.parametrize("n_parts", [1, 4])
def test_a_folding_check_gives_the_in_memory_result(
    tmp_path, n_parts, labelled, dask_client, write_parts, write_gate, run_as_kernel
):
    model, frame = labelled
    write_parts(frame, tmp_path / "parts", n_parts)
    gate = write_gate(tmp_path, "parts/*.parquet")
    ctx = _context(gate, model, dask_client, max_collect_rows=10)  # far below the 269 rows
    on_dask = run_as_kernel(PREDICTION_RATE, ctx, max=0.7)
    in_memory = PREDICTION_RATE(_local(model, frame), max=0.7)
    assert on_dask.to_dict() == in_memory.to_dict()


def test_a_check_that_needs_every_row_is_refused_above_the_limit(
    parts4, labelled, dask_client, run_as_kernel
):
    model, _ = labelled
    ctx = _context(parts4, model, dask_client, max_collect_rows=100)
    with pytest.raises(CollectRefused) as refused:
        run_as_kernel(METRIC_THRESHOLD, ctx, metric="accuracy", min=0.8)
    text = str(refused.value)
    assert "269 rows in 4 partitions" in text and "max_collect_rows (100)" in text
    assert "check 'metric_threshold' needs every row" in text
    assert "prediction_rate" in text.split("run at any size:")[1]  # what can run instead
    # The refusal is not remembered: a folding check on the same context still runs.
    assert run_as_kernel(PREDICTION_RATE, ctx, max=0.9).status.value == "passed"
    # Reading every row outside any check is refused the same way.
    for read in (lambda: ctx.dataset("evaluation"), lambda: ctx.predict("candidate")):
        with pytest.raises(CollectRefused, match="no running check declared"):
            read()


def test_below_the_limit_a_check_that_needs_every_row_collects(
    parts4, labelled, dask_client, run_as_kernel
):
    model, frame = labelled
    ctx = _context(parts4, model, dask_client)  # the default limit: 1,000,000 rows
    on_dask = run_as_kernel(METRIC_THRESHOLD, ctx, metric="roc_auc", min=0.8)
    in_memory = METRIC_THRESHOLD(_local(model, frame), metric="roc_auc", min=0.8)
    assert on_dask.to_dict() == in_memory.to_dict()
    pd.testing.assert_frame_equal(ctx.dataset("evaluation").frame, frame)


def test_the_model_is_shipped_once_per_worker(parts4, labelled, dask_client):
    model, _ = labelled
    Counted.loads = 0
    ctx = _context(parts4, Counted(model), dask_client)
    with ctx.running(PREDICTION_RATE):
        list(ctx.batches("candidate", "evaluation"))
        list(ctx.batches("candidate", "evaluation"))
    workers = len(dask_client.scheduler_info()["workers"])
    assert 1 <= Counted.loads <= workers  # not once per partition (4) or per read (8)


class Counted:
    """A scikit-learn model that counts how often it is unpickled (shipped to a worker)."""

    loads = 0
    _lock = threading.Lock()

    def __init__(self, model):
        self.model = model
        self.classes_ = model.classes_

    def predict(self, X):
        return self.model.predict(X)

    def predict_proba(self, X):
        return self.model.predict_proba(X)

    def fit(self, X, y):  # a scikit-learn estimator has one
        return self

    def __reduce__(self):
        return (_unpickle_counted, (pickle.dumps(self.model),))


def _unpickle_counted(blob):
    with Counted._lock:
        Counted.loads += 1
    return Counted(pickle.loads(blob))


def test_the_prediction_cache_is_files_removed_when_the_engine_closes(
    parts4, labelled, dask_client, run_as_kernel
):
    """The workers keep only a handle per partition; the predictions are in files of the
    run's spill directory, and the results are those of a cache in the workers' memory."""
    from mlgate.core.engines.dask_spill import SpilledPredictions, unspill

    model, frame = labelled
    ctx = _context(parts4, model, dask_client, max_collect_rows=10)
    on_disk = run_as_kernel(PREDICTION_RATE, ctx, max=0.7)
    handles = [f.result() for f in ctx.engine.prediction_futures(ctx, "candidate", "evaluation")]
    assert all(isinstance(h, SpilledPredictions) for h in handles)
    assert [h.rows for h in handles] == [68, 67, 67, 67]
    folder = ctx.engine._spill.path
    files = sorted(Path(folder).glob("*.pkl"))
    assert files == sorted(Path(h.path) for h in handles)
    scores = np.concatenate([unspill(h).scores for h in handles])
    np.testing.assert_allclose(scores, model.predict_proba(frame.iloc[:, :5]))
    in_memory = _context(parts4, model, dask_client, max_collect_rows=10, spill=False)
    assert run_as_kernel(PREDICTION_RATE, in_memory, max=0.7).to_dict() == on_disk.to_dict()
    assert not isinstance(
        in_memory.engine.prediction_futures(in_memory, "candidate", "evaluation")[0].result(),
        SpilledPredictions,
    )
    assert "prediction_cache" not in ctx.engine.describe()  # the ordinary case reads the same
    ctx.close()
    assert not Path(folder).exists()


def test_workers_that_cannot_see_the_spill_directory(
    parts4, labelled, dask_client, run_as_kernel, monkeypatch, tmp_path
):
    """A spill_dir the engine was given must be seen by every worker (a setup error naming
    it); without one, predictions stay in the workers' memory and the run says so."""
    import mlgate.core.engines.dask_spill as dask_spill

    model, _ = labelled
    monkeypatch.setattr(dask_spill, "_sees", lambda folder, token: False)  # another host
    shared = tmp_path / "shared"
    shared.mkdir()
    ctx = _context(parts4, model, dask_client, spill_dir=str(shared))
    with ctx.running(PREDICTION_RATE), pytest.raises(ConfigError) as refused:
        list(ctx.batches("candidate", "evaluation"))
    assert str(refused.value).startswith("engine.spill_dir: worker(s) tcp://127.0.0.1:")
    assert f"cannot see '{shared}/mlgate-predictions-" in str(refused.value)
    assert list(shared.iterdir()) == []  # the unused directory is removed
    ctx = _context(parts4, model, dask_client)
    assert run_as_kernel(PREDICTION_RATE, ctx, max=0.9).status.value == "passed"
    assert ctx.engine.describe()["prediction_cache"] == "memory"


def test_the_poisson_bootstrap_folds_on_the_workers_to_the_in_memory_interval(
    tmp_path, labelled, dask_client, write_parts, write_gate
):
    """The wiring metric_threshold gets for ``interval: poisson`` (docs/dask.md): classes
    from a fold, the bootstrap folded where the partitions live, the same interval as one
    in-memory pass, with 1 and 4 partitions."""
    model, frame = labelled
    results = []
    for n_parts, folder in ((1, "one"), (4, "four")):
        write_parts(frame, tmp_path / folder, n_parts)
        gate = write_gate(tmp_path / folder, ".", engine="engine: dask")
        ctx = _context(gate, model, dask_client, max_collect_rows=10)
        results.append(_poisson_accuracy(ctx))
    results.append(_poisson_accuracy(_local(model, frame)))
    assert results[0] == results[1] == results[2]
    assert results[0].interval.method == "poisson-bootstrap-percentile"
    assert results[0].n == 269 and results[0].n_resamples == 200


def _poisson_accuracy(ctx):
    classes = ctx.fold("candidate", "evaluation", SeenLabels.of, SeenLabels.merge).resolve(
        binary=True
    )
    fold = PoissonFold(
        "accuracy", len(classes), classes, n_resamples=200, key=stream_key(ctx.seed, "acc")
    )
    return poisson_estimate(ctx.fold("candidate", "evaluation", fold, PoissonBootstrap.merge))


def test_the_fingerprint_is_the_in_memory_one(parts4, labelled, dask_client):
    model, frame = labelled
    ctx = _context(parts4, model, dask_client)
    ctx.preflight(open_gate(parts4).checks)  # opens the footers only
    described = ctx.describe()["datasets"]["evaluation"]
    local = _local(model, frame).dataset("evaluation")
    assert described["fingerprint"] == "sha256:" + local.fingerprint
    assert described["rows"] == 269 and described["engine"] == {"name": "dask", "partitions": 4}


def test_a_dask_dataframe_given_in_memory_is_read_by_partition(labelled, dask_client):
    import dask.dataframe as dd

    model, frame = labelled
    ddf = dd.from_pandas(frame, npartitions=3)
    ctx = GateContext.from_objects(
        models={"candidate": model},
        datasets={"evaluation": ddf},
        task="binary",
        label="target",
        engine=DaskEngine(dask_client),
    )
    with ctx.running(PREDICTION_RATE):
        batches = list(ctx.batches("candidate", "evaluation"))
    assert len(batches) == 3 and batches[-1].stop == 269
    in_memory = PREDICTION_RATE(_local(model, frame), max=0.7)
    assert PREDICTION_RATE(ctx, max=0.7).value == in_memory.value


# -- bad input ---------------------------------------------------------------------------------
def test_a_partition_with_another_schema_names_the_file_and_column(
    tmp_path, labelled, dask_client, write_parts, write_gate
):
    model, frame = labelled
    write_parts(frame, tmp_path / "parts", 3)
    bad = frame.iloc[:5].astype({"mean texture": str})
    bad.to_parquet(tmp_path / "parts" / "part-009.parquet", index=False)
    ctx = _context(write_gate(tmp_path, "parts"), model, dask_client)
    with pytest.raises(DataError, match=r"column 'mean texture' is .*string.*part-009"):
        ctx.engine.open(ctx, "evaluation")
    frame.iloc[:5].drop(columns="mean area").to_parquet(tmp_path / "parts" / "part-009.parquet")
    ctx = _context(write_gate(tmp_path, "parts"), model, dask_client)
    with pytest.raises(DataError, match=r"part-009.parquet' has no column 'mean area'"):
        ctx.engine.open(ctx, "evaluation")


def test_an_empty_partition_names_the_file(
    tmp_path, labelled, dask_client, write_parts, write_gate
):
    model, frame = labelled
    write_parts(frame, tmp_path / "parts", 2)
    frame.iloc[:0].to_parquet(tmp_path / "parts" / "part-005.parquet", index=False)
    ctx = _context(write_gate(tmp_path, "parts"), model, dask_client)
    with pytest.raises(DataError, match=r"part-005.parquet' has no rows"):
        ctx.engine.open(ctx, "evaluation")


def test_setup_problems_are_found_before_any_check(tmp_path, labelled, dask_client, write_gate):
    from mlgate.core.errors import SetupError

    model, frame = labelled
    ctx = _context(write_gate(tmp_path, "nothing/*.parquet"), model, dask_client)
    with pytest.raises(SetupError, match=r"no file matches 'nothing/\*.parquet'"):
        ctx.preflight(ctx.gate.checks)
    (tmp_path / "p").mkdir()
    frame.to_parquet(tmp_path / "p" / "a.parquet")
    ctx = _context(write_gate(tmp_path, "p", label="label"), model, dask_client)
    with pytest.raises(SetupError, match=r"column\(s\) \['label'\] named in the gate file"):
        ctx.preflight(ctx.gate.checks)


def test_a_failing_prediction_names_the_partition(
    tmp_path, labelled, dask_client, write_parts, write_gate
):
    model, frame = labelled
    broken = frame.copy()
    broken.loc[200, "mean area"] = np.nan
    write_parts(broken, tmp_path / "parts", 4)
    ctx = _context(write_gate(tmp_path, "parts"), model, dask_client)
    with ctx.running(PREDICTION_RATE), pytest.raises(PredictionError) as failed:
        list(ctx.batches("candidate", "evaluation"))
    assert "part-002.parquet" in str(failed.value)
    assert "'mean area': 1 missing (NaN)" in str(failed.value)


def test_a_scheduler_that_does_not_answer_names_the_address():
    import socket

    with socket.socket() as s:  # a free port nobody listens on
        s.bind(("127.0.0.1", 0))
        address = f"tcp://127.0.0.1:{s.getsockname()[1]}"
    engine = DaskEngine(scheduler=address, timeout_s=1.0)
    with pytest.raises(ConfigError, match=f"no Dask scheduler answers at '{address}'"):
        engine.client  # noqa: B018 (the connection is made on first use)


@pytest.mark.slow
def test_a_gate_file_with_engine_dask_starts_and_stops_its_own_cluster(
    tmp_path, labelled, write_parts, write_gate
):
    """``engine: {name: dask, n_workers: 1}``: a LocalCluster of one worker process on
    127.0.0.1 (the model and the reads pickled to another process), closed by ctx.close()."""
    from mlgate.core.runner import run_check

    model, frame = labelled
    write_parts(frame, tmp_path / "parts", 3)
    gate = open_gate(write_gate(tmp_path, "parts", engine="engine: {name: dask, n_workers: 1}"))
    ctx = GateContext(gate, models={"candidate": model})
    try:
        assert isinstance(ctx.engine, DaskEngine)
        result = run_check(ctx, gate.checks[0])
        address = ctx.engine.client.scheduler.address
        assert address.startswith("tcp://127.0.0.1:")
    finally:
        ctx.close()
    assert ctx.engine.client.status == "closed"
    local = GateContext(gate, models={"candidate": model}, datasets={"evaluation": frame})
    expected = run_check(local, gate.checks[0])
    assert result.to_dict() == expected.to_dict()
