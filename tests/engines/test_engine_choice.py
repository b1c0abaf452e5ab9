"""Choosing an engine: the gate file's ``engine`` key or ``GateContext(engine=...)``; the local
engine is today's in-memory path; ``dask`` without the extra is an error naming it."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from mlgate.config.load import parse_gate
from mlgate.core.context import Batch, GateContext
from mlgate.core.engines import LocalEngine, check_scope, current_check, make_engine
from mlgate.core.engines.base import Batch as EngineBatch
from mlgate.core.errors import ConfigError, MissingDependencyError
from mlgate.stats.accumulators import Accumulator
from mlgate.stats.metrics import get_metric


def _raw(**extra):
    return {
        "name": "g",
        "task": "binary",
        "models": {"candidate": {"factory": "m:f"}},
        "datasets": {"evaluation": {"path": "e.csv", "label": "y"}},
        "stages": {"s": {"checks": [{"check": "python"}]}},
        **extra,
    }


def test_the_engine_key_takes_a_name_or_its_settings():
    assert parse_gate(_raw(), source="t").engine.name == "local"
    assert parse_gate(_raw(engine="dask"), source="t").engine.name == "dask"
    spec = parse_gate(
        _raw(engine={"name": "dask", "scheduler": "tcp://10.0.0.5:8786", "max_collect_rows": 10}),
        source="t",
    ).engine
    assert (spec.scheduler, spec.max_collect_rows, spec.n_workers) == ("tcp://10.0.0.5:8786", 10, 2)


@pytest.mark.parametrize(
    ("engine", "message"),
    [
        ("spark", "engine"),
        ({"name": "dask", "max_collect_rows": -1}, "max_collect_rows"),
        ({"name": "local", "scheduler": "tcp://x:1"}, "setting of the dask engine"),
        ({"name": "dask", "workers": 3}, "workers"),
    ],
)
def test_a_bad_engine_is_refused_before_anything_runs(engine, message):
    with pytest.raises(ConfigError, match=message):
        parse_gate(_raw(engine=engine), source="t")


def test_without_an_engine_the_context_runs_in_memory(labelled):
    model, frame = labelled
    ctx = GateContext.from_objects(
        models={"candidate": model}, datasets={"evaluation": frame}, task="binary", label="target"
    )
    assert isinstance(ctx.engine, LocalEngine)
    assert Batch is EngineBatch  # checks keep importing Batch from the context


def test_dask_without_the_extra_names_the_extra(monkeypatch, labelled):
    model, frame = labelled
    monkeypatch.setitem(sys.modules, "distributed", None)  # as if not installed
    with pytest.raises(MissingDependencyError, match=r"mlgate\[dask\]"):
        make_engine("dask")
    with pytest.raises(MissingDependencyError, match=r"pip install 'mlgate\[dask\]'"):
        GateContext.from_objects(
            models={"candidate": model},
            datasets={"evaluation": frame},
            task="binary",
            label="target",
            engine="dask",
        )


def test_a_gate_file_asking_for_dask_without_the_extra_is_a_setup_error(
    monkeypatch, tmp_path, labelled, write_gate
):
    from mlgate.core.errors import SetupError
    from mlgate.core.gate import open_gate

    model, frame = labelled
    (tmp_path / "parts").mkdir()
    frame.to_parquet(tmp_path / "parts" / "a.parquet")
    monkeypatch.setitem(sys.modules, "distributed", None)
    gate = open_gate(write_gate(tmp_path, "parts"))
    ctx = GateContext(gate, models={"candidate": model})  # the session starts
    with pytest.raises(SetupError, match=r"datasets.evaluation: .*pip install 'mlgate\[dask\]'"):
        ctx.preflight(gate.checks)
    with pytest.raises(MissingDependencyError):
        list(ctx.batches())


def test_an_unknown_engine_name_from_python_is_refused():
    with pytest.raises(ConfigError, match="unknown engine 'ray'"):
        make_engine("ray")


def test_a_glob_or_directory_is_read_in_process_by_the_local_engine(tmp_path, labelled, write_gate):
    """The same gate file runs on either engine: in process a directory or glob of Parquet
    files is one frame, its files' rows in path order."""
    from mlgate.core.gate import open_gate

    model, frame = labelled
    (tmp_path / "parts").mkdir()
    frame.iloc[:100].to_parquet(tmp_path / "parts" / "a.parquet")
    frame.iloc[100:].to_parquet(tmp_path / "parts" / "b.parquet")
    for path in ("parts", "parts/*.parquet"):
        gate = write_gate(tmp_path, path, engine="engine: local")
        ctx = GateContext(open_gate(gate), models={"candidate": model})
        read = ctx.dataset("evaluation").frame
        assert read.reset_index(drop=True).equals(frame.reset_index(drop=True))


def test_the_local_fold_is_the_batches_folded_in_order(labelled):
    model, frame = labelled
    ctx = GateContext.from_objects(
        models={"candidate": model}, datasets={"evaluation": frame}, task="binary", label="target"
    )
    ctx.batch_rows = 50
    metric = get_metric("accuracy")

    def fold(batch: Batch) -> Accumulator:
        return metric.accumulator(2).update(batch.y, batch.predictions.labels)

    folded = ctx.fold("candidate", "evaluation", fold, Accumulator.merge)
    expected = np.mean(frame["target"] == model.predict(frame.iloc[:, :5]))
    assert folded.compute() == pytest.approx(expected)


def test_the_check_scope_is_set_only_inside():
    class Folding:
        name, needs_all_rows = "folding", False

    class Sometimes:
        name = "sometimes"

        @staticmethod
        def needs_all_rows(params):
            return params == "bootstrap"

    assert current_check() is None
    with check_scope(Folding()) as scope:
        assert current_check() == scope and not scope.needs_all_rows
        with check_scope(Sometimes(), "bootstrap"):
            assert current_check().needs_all_rows
        assert current_check() == scope
    assert current_check() is None
    with check_scope(Sometimes(), "poisson") as scope:
        assert not scope.needs_all_rows
