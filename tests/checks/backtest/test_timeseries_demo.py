"""The time-series demo gate (suites/timeseries) on statsmodels' bundled CO2 data."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from mlgate.core.decision import Verdict
from mlgate.core.result import Status
from mlgate.core.runner import run_gate

pytest.importorskip("statsmodels", reason="the demo data ships with statsmodels (mlgate[dev])")

GATE = Path(__file__).resolve().parents[3] / "suites" / "timeseries" / "mlgate.yaml"


def test_demo_promotes_with_drift_warnings():
    out = run_gate(GATE)
    (decision,) = out.decisions
    assert decision.verdict is Verdict.PROMOTE_WITH_WARNINGS
    by_id = {r.check_id: r for r in out.results}
    assert by_id["backtest-mae"].status is Status.PASSED
    assert by_id["backtest-mae-retrain"].status is Status.PASSED
    assert by_id["drift-labels"].status is Status.PASSED
    # CO2 grows faster in the 1990s than before 1990: the yearly-growth feature drifts
    assert by_id["drift-features"].status is Status.WARNED
    drifted = [
        c["column"] for c in by_id["drift-features"].evidence["columns"].rows if c["drifted"]
    ]
    assert drifted == ["growth_52w"]
    joint = by_id["multivariate-drift-features"]
    assert joint.status is (Status.WARNED if importlib.util.find_spec("torch") else Status.ERROR)
    windows = by_id["backtest-mae"].evidence["windows"].rows
    assert len(windows) == 6 and all(w["rows"] == 104 for w in windows)
    assert windows[0]["start"] >= "1990-01-01" and windows[-1]["end"] == "2001-12-29"


def test_demo_holds_a_stale_candidate():
    """A forecaster that always predicts a rise of 0.5 ppm a week is held by the backtest
    and the baseline checks."""

    def stale(X):
        return np.full(len(X), 0.5)

    out = run_gate(GATE, models={"candidate": stale})
    by_id = {r.check_id: r for r in out.results}
    assert out.decisions[0].verdict is Verdict.HOLD
    assert by_id["baseline-mae"].status is Status.FAILED
    assert by_id["backtest-mae"].status is Status.FAILED


CALENDAR = GATE.with_name("mlgate-calendar.yaml")


def test_calendar_demo_promotes_on_policies_as_teams_state_them():
    """suites/timeseries/mlgate-calendar.yaml: relative bounds and calendar backtests."""
    out = run_gate(CALENDAR)
    assert out.decisions[0].verdict is Verdict.PROMOTE
    by_id = {r.check_id: r for r in out.results}
    assert set(by_id) == {
        "mae-vs-mean",
        "baseline-mae",
        "backtest-mae",
        "backtest-mae-vs-training",
        "backtest-mae-vs-first",
    }
    assert all(r.status is Status.PASSED for r in out.results)
    windows = by_id["backtest-mae"].evidence["windows"].rows
    # two calendar years each: 1990–91, ..., 2000–01
    assert [w["start"] for w in windows] == [f"{y}-01-01" for y in range(1990, 2001, 2)]
    assert by_id["mae-vs-mean"].interval.high < 0.9


def test_calendar_demo_holds_a_stale_candidate():
    out = run_gate(CALENDAR, models={"candidate": lambda X: np.full(len(X), 0.5)})
    by_id = {r.check_id: r for r in out.results}
    assert out.decisions[0].verdict is Verdict.HOLD
    assert by_id["mae-vs-mean"].status is Status.FAILED
    assert by_id["backtest-mae"].status is Status.FAILED
    # equally bad before and after the cutoff: no worsening, which is why a comparison alone
    # is no gate
    assert by_id["backtest-mae-vs-training"].status is Status.PASSED
