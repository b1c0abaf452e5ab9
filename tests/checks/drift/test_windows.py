"""Time windows (mlgate.core.windows, shared by drift_windows and backtest) and the
``drift_windows`` check."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mlgate.core.errors import ConfigError, DataError
from mlgate.core.result import Status
from mlgate.core.runner import run_gate
from mlgate.core.windows import WindowSpec, cut_windows, time_values


def days(n: int) -> pd.Series:
    return pd.Series(pd.date_range("2024-01-01", periods=n, freq="D"))


def test_sliding_duration_windows_are_back_to_back():
    t = days(30).sample(frac=1.0, random_state=0).reset_index(drop=True)  # unsorted
    ws = cut_windows(t, WindowSpec(every="10D"))
    assert [len(w.positions) for w in ws] == [10, 10, 10]
    for w in ws:  # each window holds exactly its days
        inside = t.iloc[w.positions]
        assert (inside >= w.start).all() and (inside < w.end).all()
    assert ws[0].label == "2024-01-01 – 2024-01-11"


def test_sliding_with_step_overlaps_and_accumulating_grows():
    t = days(30)
    ws = cut_windows(t, WindowSpec(every="10D", step="5D"))
    assert [len(w.positions) for w in ws][:5] == [10, 10, 10, 10, 10]
    acc = cut_windows(t, WindowSpec(every="10D", mode="accumulating"))
    assert [len(w.positions) for w in acc] == [10, 20, 30]
    assert all(w.start == t[0] for w in acc)


def test_row_windows_and_a_partial_last_window():
    t = pd.Series(np.arange(25.0)[::-1])  # numeric time, reversed
    ws = cut_windows(t, WindowSpec(rows=10))
    # anchored at the most recent row: the last window holds the latest 10; the 5 oldest
    # rows do not fill a window and are left out
    assert [len(w.positions) for w in ws] == [10, 10]
    assert sorted(t.iloc[ws[-1].positions]) == list(np.arange(15.0, 25.0))
    assert sorted(t.iloc[ws[0].positions]) == list(np.arange(5.0, 15.0))
    acc = cut_windows(t, WindowSpec(rows=10, mode="accumulating"))
    assert [len(w.positions) for w in acc] == [15, 25]
    steps = cut_windows(t, WindowSpec(rows=10, step=5))
    assert [sorted(t.iloc[w.positions])[0] for w in steps] == [0.0, 5.0, 10.0, 15.0]
    assert [len(w.positions) for w in cut_windows(t, WindowSpec(rows=50))] == [25]


def test_windows_after_a_start_and_empty_windows():
    t = pd.Series(pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-25"]))
    ws = cut_windows(t, WindowSpec(every="7D"), start=pd.Timestamp("2024-01-01"))
    assert [len(w.positions) for w in ws] == [1, 0, 0, 1]


def test_bad_window_specs():
    with pytest.raises(ValueError, match="exactly one"):
        WindowSpec()
    # a string that is no duration is refused when the spec is read (the gate file is
    # validated), not when the windows are cut
    with pytest.raises(ValueError, match="not a duration; write a fixed length"):
        WindowSpec(every="soon")
    with pytest.raises(ConfigError, match="must be a number"):
        cut_windows(pd.Series([1.0, 2.0]), WindowSpec(every="7D"))
    with pytest.raises(ConfigError, match="must be a duration such as '30D'"):
        cut_windows(days(5), WindowSpec(every=30))
    with pytest.raises(ValueError, match="step is a row count"):
        WindowSpec(rows=2, step="1D")


def test_time_values_parse_strings_and_reject_gaps():
    f = pd.DataFrame({"t": ["2024-01-01", "2024-02-01"]})
    assert pd.api.types.is_datetime64_any_dtype(time_values(f, "t", "d"))
    with pytest.raises(DataError, match="missing"):
        time_values(pd.DataFrame({"t": [1.0, None]}), "t", "d")
    with pytest.raises(DataError, match="neither numbers nor dates"):
        time_values(pd.DataFrame({"t": ["x", "y"]}), "t", "d")


def stream(n_days: int = 120, per_day: int = 40, shift_from: int | None = None, seed: int = 0):
    rng = np.random.default_rng(seed)
    t = np.repeat(pd.date_range("2024-01-01", periods=n_days, freq="D"), per_day)
    x = rng.normal(size=len(t))
    if shift_from is not None:
        x = x + np.where(np.arange(len(t)) >= shift_from * per_day, 0.8, 0.0)
    return pd.DataFrame({"t": t, "x": x, "z": rng.normal(size=len(t)), "y": (x > 0).astype(int)})


def model(X):
    p = 1 / (1 + np.exp(-X["x"].to_numpy()))
    return np.column_stack([1 - p, p])


def run(write_gate, tmp_path, check, cur, ref=None):
    path = write_gate(tmp_path, [{"check": "drift_windows", **check}], time="t")
    ref = stream(30, 40, seed=99) if ref is None else ref
    out = run_gate(
        path, models={"candidate": model}, datasets={"reference": ref, "evaluation": cur}
    )
    return out.results[0], out.decisions[0].verdict.value


def test_drift_in_the_last_window_fails_with_a_timeline(write_gate, tmp_path):
    r, verdict = run(write_gate, tmp_path, {"every": "30D"}, stream(120, shift_from=90))
    assert r.status is Status.FAILED and verdict == "hold"
    timeline = r.evidence["windows"].rows
    assert len(timeline) == 4
    assert [row["drifted"] for row in timeline] == [[], [], [], ["x"]]
    assert [row["judged"] for row in timeline] == [False, False, False, True]
    assert r.evidence["curve"].x == (1, 2, 3, 4)
    assert r.evidence["curve"].y[-1] > 0.5 > max(r.evidence["curve"].y[:3])
    assert r.sample_size == 30 * 40


def test_only_the_latest_windows_are_judged(write_gate, tmp_path):
    # drift in the middle that went away again: the latest window passes
    data = stream(120)
    data.loc[(data["t"] >= "2024-02-01") & (data["t"] < "2024-03-01"), "x"] += 0.8
    r, verdict = run(write_gate, tmp_path, {"every": "30D"}, data)
    assert r.status is Status.PASSED and verdict == "promote"
    assert any(row["drifted"] for row in r.evidence["windows"].rows[:-1])
    r2, _ = run(write_gate, tmp_path, {"every": "30D", "judge_last": 3}, data)
    assert r2.status is Status.FAILED


def test_small_last_window_is_inconclusive(write_gate, tmp_path):
    r, _ = run(write_gate, tmp_path, {"every": "30D"}, stream(31, per_day=10))
    assert r.status is Status.INCONCLUSIVE and r.evidence["windows"].rows[-1]["rows"] == 10
    assert r.evidence["curve"].x == (1,)  # the short window has no point on the timeline
    assert "min_samples=30" in r.message
    # row windows: the last window always has the full length, so it is judged on 1000 rows
    r, _ = run(write_gate, tmp_path, {"rows": 1000}, stream(26, per_day=41))
    assert r.evidence["windows"].rows[-1]["rows"] == 1000 and r.status is Status.PASSED


def test_needs_a_time_column(write_gate, tmp_path):
    path = write_gate(tmp_path, [{"check": "drift_windows", "every": "7D"}])
    with pytest.raises(ConfigError, match="no 'time' column"):
        run_gate(
            path,
            models={"candidate": model},
            datasets={"reference": stream(), "evaluation": stream()},
        )


def test_prediction_drift_by_row_windows(write_gate, tmp_path):
    check = {"target": "predictions", "rows": 1200, "judge_last": 2}
    r, _ = run(write_gate, tmp_path, check, stream(120, shift_from=90))
    timeline = r.evidence["windows"].rows
    assert len(timeline) == 4 and all(row["rows"] == 1200 for row in timeline)
    assert [bool(row["drifted"]) for row in timeline] == [False, False, False, True]
    assert [row["judged"] for row in timeline] == [False, False, True, True]
    assert r.status is Status.FAILED and r.check_id == "drift-windows-predictions"
