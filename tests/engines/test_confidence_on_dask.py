"""``confidence`` at a threshold folds batches: on a two-worker LocalCluster over Parquet
partitions, far above ``max_collect_rows``, it gives the in-memory result byte for byte; the
``target_accuracy`` mode (a permutation split of every row) is refused there."""

from __future__ import annotations

import json

import pytest

pytest.importorskip("distributed", reason="the Dask engine needs mlgate[dask]")
pytest.importorskip("dask.dataframe", reason="the Dask engine needs mlgate[dask]")

from mlgate.checks.calibration.checks import CONFIDENCE
from mlgate.core.context import GateContext
from mlgate.core.engines import CollectRefused
from mlgate.core.engines.dask import DaskEngine
from mlgate.core.gate import open_gate


@pytest.mark.parametrize("n_parts", [2, 7])
def test_confidence_at_a_threshold_on_dask_is_the_in_memory_result(
    tmp_path, n_parts, labelled, row_wise, dask_client, write_parts, write_gate, run_as_kernel
):
    fitted, frame = labelled
    model = row_wise(fitted, frame.columns[:5])
    write_parts(frame, tmp_path / "parts", n_parts)
    ctx = GateContext(
        open_gate(write_gate(tmp_path, "parts")),
        models={"candidate": model},
        engine=DaskEngine(dask_client, max_collect_rows=10),
    )
    params = {"threshold": 0.8, "min_coverage": 0.5, "min_accuracy": 0.85}
    on_dask = run_as_kernel(CONFIDENCE, ctx, **params)
    local = GateContext.from_objects(
        models={"candidate": model}, datasets={"evaluation": frame}, task="binary", label="target"
    )
    in_memory = CONFIDENCE(local, **params)
    dump = lambda r: json.dumps(r.to_dict(), sort_keys=True)  # noqa: E731
    assert dump(on_dask) == dump(in_memory)
    assert on_dask.status.value == "passed"
    assert on_dask.evidence["at_threshold"]["n"] == len(frame)


def test_choosing_the_threshold_needs_every_row_and_is_refused(
    tmp_path, labelled, dask_client, write_parts, write_gate, run_as_kernel
):
    model, frame = labelled
    write_parts(frame, tmp_path / "parts", 3)
    ctx = GateContext(
        open_gate(write_gate(tmp_path, "parts")),
        models={"candidate": model},
        engine=DaskEngine(dask_client, max_collect_rows=10),
    )
    with pytest.raises(CollectRefused, match=r"check 'confidence' needs every row"):
        run_as_kernel(CONFIDENCE, ctx, target_accuracy=0.9, min_coverage=0.3)
