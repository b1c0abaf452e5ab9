"""The ``backtest`` check on time-ordered data with known verdicts."""

from __future__ import annotations

import sys
import textwrap

import numpy as np
import pandas as pd
import pytest

from mlgate.checks.backtest.decay import WindowScore, decay
from mlgate.core.errors import ConfigError
from mlgate.core.result import Status
from mlgate.core.runner import run_gate
from mlgate.stats.evaluate import MetricEstimate


def stream(days: int = 90, per_day: int = 30, flip_from: str | None = None, seed: int = 0):
    """y = [x + noise > 0]; from ``flip_from`` on the concept flips: y = [−x + noise > 0]."""
    rng = np.random.default_rng(seed)
    t = np.repeat(pd.date_range("2024-04-01", periods=days, freq="D"), per_day)
    x = rng.normal(size=len(t))
    sign = np.ones(len(t)) if flip_from is None else np.where(t >= pd.Timestamp(flip_from), -1, 1)
    y = (sign * x + 0.3 * rng.normal(size=len(t)) > 0).astype(int)
    return pd.DataFrame({"t": t, "x": x, "y": y})


def model(X):
    p = 1 / (1 + np.exp(-3 * X["x"].to_numpy()))
    return np.column_stack([1 - p, p])


def run(write_gate, tmp_path, check, data):
    path = write_gate(
        tmp_path, [{"check": "backtest", **check}], time="t", datasets=("evaluation",)
    )
    out = run_gate(path, models={"candidate": model}, datasets={"evaluation": data})
    return out.results[0], out.decisions[0].verdict.value


BASE = {"metric": "accuracy", "every": "30D", "cutoff": "2024-03-31", "min": 0.8}


def test_concept_change_shows_in_the_next_window_and_holds(write_gate, tmp_path):
    r, verdict = run(write_gate, tmp_path, BASE, stream(89, flip_from="2024-05-30"))
    values = [w["value"] for w in r.evidence["windows"].rows]
    assert len(values) == 3
    assert values[0] > 0.85 and values[1] > 0.85
    assert values[2] < 0.3  # the window after the change
    assert r.status is Status.FAILED and verdict == "hold"
    assert r.value == pytest.approx(values[2], abs=1e-6)
    assert r.interval.high < 0.8
    curve = r.evidence["curve"]  # x: the window's number; its dates are in the table
    assert curve.x == (1, 2, 3) and list(curve.y) == values
    assert all(lo <= v <= hi for lo, v, hi in zip(curve.low, values, curve.high, strict=True))
    assert r.evidence["decay"]["per_window"] > 0.3


def test_no_change_passes(write_gate, tmp_path):
    r, verdict = run(write_gate, tmp_path, BASE, stream(89))
    assert r.status is Status.PASSED and verdict == "promote"
    assert r.check_id == "backtest-accuracy" and r.sample_size == 30 * 30
    assert r.interval.low >= 0.8 and r.interval.method == "bootstrap-percentile"


def test_only_rows_after_the_cutoff_are_scored(write_gate, tmp_path):
    data = stream(89, flip_from="2024-05-30")
    r, _ = run(write_gate, tmp_path, {**BASE, "cutoff": "2024-05-30"}, data)
    rows = r.evidence["windows"].rows
    assert rows[0]["start"] == "2024-05-30"
    assert sum(w["rows"] for w in rows) == int((data["t"] > "2024-05-30").sum()) == 29 * 30


def test_decay_slope_policy(write_gate, tmp_path):
    rng = np.random.default_rng(5)
    data = stream(180)
    # the label gets noisier month by month: accuracy decays about 5 points a month
    month = ((data["t"] - data["t"].min()).dt.days // 30).to_numpy()
    flip = rng.random(len(data)) < 0.05 * month
    decaying = data.assign(y=np.where(flip, 1 - data["y"], data["y"]))
    check = {"metric": "accuracy", "every": "30D", "max_decay": 0.01}
    r, _ = run(write_gate, tmp_path, check, decaying)
    assert r.status is Status.FAILED and r.evidence["decay"]["low"] > 0.01
    assert r.metric == "accuracy decay per window"
    r, _ = run(write_gate, tmp_path, {**check, "max_decay": 0.03}, data)
    assert r.status is Status.PASSED


def test_small_last_window_is_inconclusive(write_gate, tmp_path):
    # one day (20 rows) in the last window
    r, verdict = run(write_gate, tmp_path, BASE, stream(60, per_day=20))
    assert r.status is Status.INCONCLUSIVE and verdict == "hold"
    assert "min_samples=30" in r.message


def test_rolling_origin_retrains_before_each_window(write_gate, tmp_path):
    (tmp_path / "bt_train_mod.py").write_text(
        textwrap.dedent(
            """
            from sklearn.linear_model import LogisticRegression

            CALLS = []

            def fit(X, y, seed=0, C=1.0):
                CALLS.append((len(X), seed))
                return LogisticRegression(C=C).fit(X, y)
            """
        )
    )
    check = {**BASE, "cutoff": "2024-05-29", "train": "bt_train_mod:fit", "train_args": {"C": 0.5}}
    r, _ = run(write_gate, tmp_path, check, stream(149, flip_from="2024-05-30"))
    assert r.status is not Status.ERROR, r.message
    bt_train_mod = sys.modules["bt_train_mod"]

    # trained on everything up to each window: 59 days (to the cutoff), 88, 118, 148 days
    assert [n for n, _ in bt_train_mod.CALLS] == [59 * 30, 88 * 30, 118 * 30, 148 * 30]
    assert {seed for _, seed in bt_train_mod.CALLS} == {0}
    values = [w["value"] for w in r.evidence["windows"].rows]
    assert values[0] < 0.3  # the first window after the change: the old concept
    assert values[3] > 0.7  # retrained on mostly post-change rows, it recovers
    assert r.check_id == "backtest-accuracy-retrain" and "rolling-origin" in r.method


def test_decay_by_hand():
    def s(i, v):
        est = MetricEstimate("accuracy", v, 100, None)
        return WindowScore(i, "", "", 100, est)

    d = decay([s(0, 0.9), s(1, 0.85), s(2, 0.8), s(3, 0.75)], higher_is_better=True, level=0.95)
    assert d.per_window == pytest.approx(0.05) and d.interval.low == pytest.approx(0.05)
    d = decay([s(0, 0.9), s(2, 0.8)], higher_is_better=True, level=0.95)
    assert d.per_window == pytest.approx(0.05) and d.interval is None
    assert decay([s(0, 0.9)], higher_is_better=True, level=0.95) is None


@pytest.mark.parametrize(
    ("check", "match"),
    [
        ({"metric": "accuracy", "every": "30D"}, "give a policy"),
        ({"metric": "accuracy", "every": "30D", "min": 0.5, "max": 0.9}, "at most one"),
        ({"metric": "rmse", "every": "30D", "max": 1.0}, "does not apply"),
        ({"metric": "accuracy", "min": 0.5}, "exactly one of 'every'"),
    ],
)
def test_bad_parameters(write_gate, tmp_path, check, match):
    with pytest.raises(ConfigError, match=match):
        run(write_gate, tmp_path, check, stream(30))


def test_needs_a_time_column(write_gate, tmp_path):
    path = write_gate(tmp_path, [{"check": "backtest", **BASE}], datasets=("evaluation",))
    with pytest.raises(ConfigError, match="no 'time' column"):
        run_gate(path, models={"candidate": model}, datasets={"evaluation": stream(30)})


def test_a_failing_training_function_is_an_error_naming_it(write_gate, tmp_path):
    (tmp_path / "bt_broken_mod.py").write_text("def fit(X, y):\n    raise RuntimeError('no')\n")
    check = {**BASE, "cutoff": "2024-05-29", "train": "bt_broken_mod:fit"}
    r, verdict = run(write_gate, tmp_path, check, stream(149))
    assert r.status is Status.ERROR and verdict == "hold"
    assert "bt_broken_mod:fit" in r.message and "RuntimeError: no" in r.message


def test_a_failed_window_outranks_an_errored_one(write_gate, tmp_path):
    """The kernel's precedence (Status.worst): a window that failed its bound is evidence
    against the model, one whose model could not be trained is none, so the backtest is
    ``failed``. The backtest's own order used to rank error first."""
    (tmp_path / "bt_late_broken_mod.py").write_text(
        textwrap.dedent(
            """
            from sklearn.linear_model import LogisticRegression

            def fit(X, y):
                if len(X) > 140 * 30:  # only the last window's training fails
                    raise RuntimeError("no")
                return LogisticRegression().fit(X, y)
            """
        )
    )
    check = {
        **BASE,
        "cutoff": "2024-05-29",
        "train": "bt_late_broken_mod:fit",
        "judge_last": 4,
    }
    r, verdict = run(write_gate, tmp_path, check, stream(149, flip_from="2024-05-30"))
    windows = r.evidence["windows"].rows
    assert windows[0]["value"] < 0.3  # the first window after the change fails min=0.8
    assert windows[3]["value"] is None and "RuntimeError: no" in windows[3]["note"]
    assert r.status is Status.FAILED and verdict == "hold"
    assert "below 0.8" in r.message and "RuntimeError: no" in r.message
