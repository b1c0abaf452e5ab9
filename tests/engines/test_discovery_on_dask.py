"""``slice_discovery`` folds batches: on a two-worker LocalCluster over 3 and 7 Parquet
partitions, with ``max_collect_rows`` far below the rows (so gathering any column, label or
prediction would be refused), it gives the in-memory result byte for byte (the search's
wall-clock seconds aside)."""

from __future__ import annotations

import json

import numpy as np
import pytest

pytest.importorskip("distributed", reason="the Dask engine needs mlgate[dask]")
pytest.importorskip("dask.dataframe", reason="the Dask engine needs mlgate[dask]")

from mlgate.checks.slices.checks import SLICE_DISCOVERY
from mlgate.core.context import GateContext
from mlgate.core.engines import CollectRefused
from mlgate.core.engines.dask import DaskEngine
from mlgate.core.gate import open_gate


def _dump(result) -> str:
    d = result.to_dict()
    d["evidence"].pop("seconds")  # wall-clock time of the search, not a result
    return json.dumps(d, sort_keys=True)


def _frame(labelled):
    """The labelled rows with a categorical site (a third of them "c", where the labels are
    flipped half the time: a slice the model errs on) and a numeric dose the model does not
    read, with a few missing values."""
    _, frame = labelled
    frame = frame.copy()
    rng = np.random.default_rng(0)
    frame["site"] = rng.choice(["a", "b", "c"], len(frame))
    flip = (frame["site"] == "c").to_numpy() & (rng.random(len(frame)) < 0.5)
    frame["target"] = np.where(flip, 1 - frame["target"], frame["target"])
    frame["dose"] = np.where(rng.random(len(frame)) < 0.05, np.nan, rng.gamma(2.0, size=len(frame)))
    return frame


PARAMS = [
    {"min_size": 20},
    {"min_size": 20, "compare_to": "rest", "error": "log_loss", "max_level": 3},
    {"min_size": 20, "error": "brier", "strata": 4, "n_bins": 3},
]


@pytest.mark.parametrize("n_parts", [3, 7])
def test_slice_discovery_on_dask_is_the_in_memory_result(
    tmp_path, n_parts, labelled, row_wise, dask_client, write_parts, write_gate, run_as_kernel
):
    fitted, _ = labelled
    frame = _frame(labelled)
    model = row_wise(fitted, frame.columns[:5])
    write_parts(frame, tmp_path / "parts", n_parts)
    ctx = GateContext(
        open_gate(write_gate(tmp_path, "parts")),
        models={"candidate": model},
        engine=DaskEngine(dask_client, max_collect_rows=10),
    )
    local = GateContext.from_objects(
        models={"candidate": model}, datasets={"evaluation": frame}, task="binary", label="target"
    )
    for params in PARAMS:
        on_dask = run_as_kernel(SLICE_DISCOVERY, ctx, **params)
        in_memory = SLICE_DISCOVERY(local, **params)
        assert _dump(on_dask) == _dump(in_memory), params
        assert on_dask.sample_size == len(frame)
        assert on_dask.evidence["n_evaluated"] > 0
    assert on_dask.evidence["features"][-2:] == ["site", "dose"]
    found = SLICE_DISCOVERY(local, **PARAMS[0])
    assert found.status.value == "failed"
    assert "site=c" in found.evidence["slices"].rows[0]["predicates"], found.message
    # the engine really refuses to gather these rows: the check never asked it to
    with ctx.running(SLICE_DISCOVERY), pytest.raises(CollectRefused):
        ctx.dataset("evaluation")
