"""``drift_windows`` on duration windows folds batches (mlgate/checks/drift/windowed.py): the
windows are cut from a fold of the time column and each window's columns fold into the states
``drift`` uses. The result is the in-memory comparison's (every row sorted by time) to the
byte, whatever the batching, for every target and window mode."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mlgate.checks.drift import windows
from mlgate.core.context import GateContext
from mlgate.core.registry import parse_params
from mlgate.core.result import Status


def stream(days: int, per_day: int = 40, shift_from: int | None = None, seed: int = 0):
    """Daily rows of a numeric ``x`` (shifted by one SD from day ``shift_from``), a category
    ``g`` and a small integer ``k``; shuffled, so the rows are not in time order."""
    rng = np.random.default_rng(seed)
    t = np.repeat(pd.date_range("2024-01-01", periods=days, freq="D"), per_day)
    x = rng.normal(size=len(t))
    if shift_from is not None:
        x = x + (np.arange(len(t)) >= shift_from * per_day)
    frame = pd.DataFrame(
        {
            "t": t,
            "x": x,
            "g": rng.choice(["a", "b", "c"], size=len(t)),
            "k": rng.integers(0, 5, size=len(t)),
            "y": (x + rng.normal(size=len(t)) > 0).astype(int),
        }
    )
    return frame.sample(frac=1.0, random_state=seed + 1).reset_index(drop=True)


def model(X: pd.DataFrame) -> np.ndarray:
    p = 1 / (1 + np.exp(-X["x"].to_numpy()))
    return np.column_stack([1 - p, p])


def ctx_of(batch_rows: int | None = None) -> GateContext:
    features = ["x", "g", "k"]
    ctx = GateContext.from_objects(
        models={"candidate": model},
        datasets={
            "reference": {"data": stream(30, seed=9), "features": features},
            "evaluation": {"data": stream(120, shift_from=90), "time": "t", "features": features},
        },
        task="binary",
        label="y",
    )
    ctx.batch_rows = batch_rows
    return ctx


def _bytes(result) -> str:
    return json.dumps(result.to_dict(), sort_keys=True)


@pytest.mark.parametrize(
    "params",
    [
        {"every": "30D"},
        {"every": "30D", "step": "10D", "judge_last": 2},
        {"every": "14D", "mode": "accumulating"},
        {"target": "predictions", "every": "MS"},
        {"target": "labels", "every": "30D"},
    ],
    ids=["sliding", "overlapping", "accumulating", "predictions-calendar", "labels"],
)
def test_the_fold_is_the_in_memory_comparison_to_the_byte(params):
    ctx = ctx_of()
    p = parse_params(windows.DRIFT_WINDOWS, ctx.gate.config, params)
    folded = windows.run_drift_windows(ctx, p)
    sorted_by_time = windows._judged(p, *windows._in_memory(ctx, p))
    assert _bytes(folded) == _bytes(sorted_by_time)
    for batch_rows in (500, 97):
        assert _bytes(windows.run_drift_windows(ctx_of(batch_rows), p)) == _bytes(folded)
    assert folded.status is Status.FAILED  # x (or what follows it) moved in the last window


def test_drift_in_the_last_window_is_found_by_the_fold():
    r = windows.DRIFT_WINDOWS(ctx_of(250), every="30D")
    timeline = r.evidence["windows"].rows
    assert [row["drifted"] for row in timeline] == [[], [], [], ["x"]]
    assert [row["rows"] for row in timeline] == [1200, 1200, 1200, 1200]


def test_needs_all_rows_only_for_row_windows():
    config = ctx_of().gate.config
    needs = windows.DRIFT_WINDOWS.needs_all_rows
    assert not needs(parse_params(windows.DRIFT_WINDOWS, config, {"every": "30D"}))
    assert needs(parse_params(windows.DRIFT_WINDOWS, config, {"rows": 1000}))


def test_a_column_numeric_on_one_side_and_text_on_the_other_is_compared_in_memory():
    ref = stream(30, seed=9).assign(k=lambda f: f["k"].astype(str))
    ctx = GateContext.from_objects(
        models={"candidate": model},
        datasets={
            "reference": {"data": ref, "features": ["x", "k"]},
            "evaluation": {"data": stream(60), "time": "t", "features": ["x", "k"]},
        },
        task="binary",
        label="y",
    )
    p = parse_params(windows.DRIFT_WINDOWS, ctx.gate.config, {"every": "30D"})
    assert windows.folded_windows(ctx, p) is None
    got = windows.run_drift_windows(ctx, p)
    assert _bytes(got) == _bytes(windows._judged(p, *windows._in_memory(ctx, p)))
    kinds = {r["column"]: r["kind"] for r in got.evidence["columns"].rows}
    assert kinds == {"x": "numeric", "k": "categorical"}


def test_the_time_series_demo_gives_the_same_drift_timeline(monkeypatch):
    """suites/timeseries: the drift_windows check's result is the same folded or sorted."""
    pytest.importorskip("statsmodels", reason="the demo data ships with statsmodels")
    from mlgate.core.runner import run_gate

    gate = Path(__file__).resolve().parents[3] / "suites" / "timeseries" / "mlgate.yaml"
    folded = run_gate(gate)
    monkeypatch.setattr(windows, "folded_windows", lambda ctx, p: None)
    sorted_by_time = run_gate(gate)
    pick = {r.check_id: _bytes(r) for r in folded.results}
    again = {r.check_id: _bytes(r) for r in sorted_by_time.results}
    assert pick["drift-windows-features"] == again["drift-windows-features"]
    assert folded.decisions[0].verdict == sorted_by_time.decisions[0].verdict
