"""``backtest`` with ``interval: poisson``: windows fixed from a fold of the time column and a
Poisson bootstrap per window (mlgate/checks/backtest/folded.py). Known verdicts on planted
decays and drops, the same bytes however the rows are batched, per-window values equal to the
in-memory path's, and the Poisson interval checked against a direct Monte-Carlo."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from mlgate.checks.backtest.checks import BACKTEST
from mlgate.checks.backtest.folded import folds
from mlgate.checks.backtest.params import BacktestParams
from mlgate.core.context import GateContext
from mlgate.core.errors import ConfigError
from mlgate.core.result import Status
from mlgate.core.windows import cut_windows
from mlgate.stats.poisson import poisson_weights, stream_key
from mlgate.stats.poisson_windows import TimeSpan, TimeSpanFold, window_edges


def stream(days: int = 365, per_day: int = 12, noisy_from: str | None = None, seed: int = 0):
    """y = [x + noise > 0] from 2023-01-01; from ``noisy_from`` on the label noise is 4× larger
    (the model gets worse with no change of the features). Rows shuffled: not in time order."""
    rng = np.random.default_rng(seed)
    t = np.repeat(pd.date_range("2023-01-01", periods=days, freq="D"), per_day)
    x = rng.normal(size=len(t))
    noise = np.where(t >= pd.Timestamp(noisy_from), 1.2, 0.3) if noisy_from else 0.3
    y = (x + noise * rng.normal(size=len(t)) > 0).astype(int)
    frame = pd.DataFrame({"t": t, "x": x, "y": y})
    return frame.sample(frac=1.0, random_state=seed + 1).reset_index(drop=True)


def decaying(days: int = 360, seed: int = 5) -> pd.DataFrame:
    """The label gets noisier month by month: accuracy falls about 5 points a month."""
    rng = np.random.default_rng(seed)
    data = stream(days, seed=seed)
    month = ((data["t"] - data["t"].min()).dt.days // 30).to_numpy()
    flip = rng.random(len(data)) < 0.05 * month
    return data.assign(y=np.where(flip, 1 - data["y"], data["y"]))


def model(X: pd.DataFrame) -> np.ndarray:
    p = 1 / (1 + np.exp(-3 * X["x"].to_numpy()))
    return np.column_stack([1 - p, p])


def ctx_of(data: pd.DataFrame, batch_rows: int | None = None) -> GateContext:
    ctx = GateContext.from_objects(
        models={"candidate": model},
        datasets={"evaluation": {"data": data, "time": "t"}},
        task="binary",
        label="y",
    )
    ctx.batch_rows = batch_rows
    return ctx


def _bytes(result) -> str:
    return json.dumps(result.to_dict(), sort_keys=True)


DROP = {"metric": "accuracy", "every": "QS", "compare_to": "first", "max_drop": 0.05}
DECAY = {"metric": "accuracy", "every": "30D", "max_decay": 0.01}
POISSON = {"interval": "poisson", "n_resamples": 300}


# -- known verdicts --------------------------------------------------------------------------
def test_a_planted_drop_is_caught_and_a_stable_model_is_not():
    bad = BACKTEST(ctx_of(stream(noisy_from="2023-10-01")), **DROP, **POISSON)
    assert bad.status is Status.FAILED, bad.message
    assert bad.interval.low > 0.05 and bad.interval.method == "two-sample-bootstrap-percentile"
    good = BACKTEST(ctx_of(stream()), **DROP, **POISSON)
    assert good.status is Status.PASSED, good.message
    assert good.interval.high <= 0.05
    windows = good.evidence["windows"].rows
    assert [w["start"] for w in windows] == ["2023-01-01", "2023-04-01", "2023-07-01", "2023-10-01"]
    assert "poisson interval per window" in good.method


def test_a_planted_decay_is_caught_and_a_stable_model_is_not():
    bad = BACKTEST(ctx_of(decaying()), **DECAY, **POISSON)
    assert bad.status is Status.FAILED, bad.message
    assert bad.evidence["decay"]["low"] > 0.01
    good = BACKTEST(ctx_of(stream(360)), **{**DECAY, "max_decay": 0.03}, **POISSON)
    assert good.status is Status.PASSED, good.message


def test_the_latest_window_bound_and_the_training_period():
    check = {
        "metric": "accuracy",
        "every": "QS",
        "cutoff": "2023-03-31",
        "min": 0.8,
        "compare_to": "training",
        "max_drop": {"relative": 0.05},
        **POISSON,
    }
    bad = BACKTEST(ctx_of(stream(noisy_from="2023-10-01")), **check)
    assert bad.status is Status.FAILED
    (row,) = bad.evidence["comparison"].rows
    assert row["reference"] == "training period" and row["rows"] == 90 * 12
    assert row["start"] == "2023-01-01" and row["end"] == "2023-03-31"
    latest = bad.evidence["windows"].rows[-1]
    assert latest["high"] < 0.8 and latest["rows"] == 92 * 12
    assert BACKTEST(ctx_of(stream()), **check).status is Status.PASSED


# -- the same result however the rows come ---------------------------------------------------
@pytest.mark.parametrize(
    "check",
    [DROP, DECAY, {**DROP, "compare_to": "best", "cutoff": "2023-02-14", "min": 0.8}],
    ids=["drop", "decay", "best-after-cutoff"],
)
def test_the_result_is_the_same_bytes_however_the_rows_are_batched(check):
    data = stream(noisy_from="2023-10-01")
    whole = _bytes(BACKTEST(ctx_of(data), **check, **POISSON))
    for batch_rows in (1000, 337, 97):
        assert _bytes(BACKTEST(ctx_of(data, batch_rows), **check, **POISSON)) == whole


@pytest.mark.parametrize("check", [DROP, DECAY], ids=["quarters", "30-days"])
def test_per_window_values_and_rows_are_the_in_memory_path_s(check):
    data = stream(noisy_from="2023-10-01")
    folded = BACKTEST(ctx_of(data, 500), **check, **POISSON).evidence["windows"].rows
    sorted_ = BACKTEST(ctx_of(data), **check).evidence["windows"].rows  # percentile: every row
    keys = ("window", "start", "end", "rows", "value")
    assert [{k: w[k] for k in keys} for w in folded] == [{k: w[k] for k in keys} for w in sorted_]
    # same windows, different intervals: both cover the value, and have similar widths
    for f, s in zip(folded, sorted_, strict=True):
        assert f["low"] <= f["value"] <= f["high"]
        assert f["high"] - f["low"] == pytest.approx(s["high"] - s["low"], rel=0.3)


def test_the_edges_are_cut_from_the_span_as_in_memory():
    data = stream(noisy_from="2023-10-01")
    for spec, cutoff in [({"every": "QS"}, None), ({"every": "30D"}, pd.Timestamp("2023-02-14"))]:
        p = BacktestParams(metric="accuracy", min=0.5, **spec)
        fold = TimeSpanFold("t", "evaluation", cutoff)
        halves = [
            fold(_Batch(data.iloc[:1000])),
            fold(_Batch(data.iloc[1000:])),
        ]
        span = halves[1].merge(halves[0])
        edges = window_edges(span, p, start=cutoff)
        windows = cut_windows(data["t"], p, start=cutoff)
        assert [(e.index, e.start, e.end) for e in edges] == [
            (w.index, w.start, w.end) for w in windows
        ]
    with pytest.raises(ValueError, match="row-count"):
        window_edges(
            TimeSpan(2, 0.0, 1.0, 0.0, 2), BacktestParams(metric="accuracy", rows=5, min=0.5)
        )


class _Batch:
    def __init__(self, frame):
        self.frame = frame

    def __len__(self):
        return len(self.frame)


def test_the_poisson_interval_matches_a_direct_monte_carlo():
    """The latest window's interval: percentiles of the Poisson-weighted accuracy, each weight
    drawn from the documented counter-based stream at the row's position (an independent
    computation from the raw rows, not through the accumulators)."""
    data = stream(days=120)
    r = BACKTEST(ctx_of(data, 700), metric="accuracy", every="60D", min=0.8, **POISSON)
    last = r.evidence["windows"].rows[-1]
    start = pd.Timestamp(last["start"])
    rows = np.flatnonzero((data["t"] >= start).to_numpy())
    right = (model(data.iloc[rows])[:, 1] > 0.5).astype(int) == data["y"].to_numpy()[rows]
    key = stream_key(0, "backtest:accuracy:candidate:evaluation")
    w = poisson_weights(key, rows, np.arange(300)).astype(float)
    values = (w * right[:, None]).sum(axis=0) / w.sum(axis=0)
    low, high = np.quantile(values, [0.025, 0.975])
    assert (last["low"], last["high"]) == (round(low, 6), round(high, 6))
    assert last["value"] == round(right.mean(), 6) and last["rows"] == len(rows)


# -- what folds and what reads every row ------------------------------------------------------
def test_needs_all_rows_depends_on_the_parameters():
    needs = BACKTEST.needs_all_rows
    fold = BacktestParams(metric="accuracy", every="30D", min=0.5, interval="poisson")
    assert folds(fold) and not needs(fold)
    assert needs(BacktestParams(metric="accuracy", every="30D", min=0.5))
    # row-count windows depend on every row's rank; a train function refits on every row
    assert needs(BacktestParams(metric="accuracy", rows=100, min=0.5, interval="poisson"))
    assert needs(
        BacktestParams(metric="accuracy", every="30D", min=0.5, interval="poisson", train="m:f")
    )


def test_row_windows_with_poisson_use_the_same_weights_in_memory():
    data = stream(days=60)
    check = {"metric": "accuracy", "rows": 240, "min": 0.8, **POISSON}
    r = BACKTEST(ctx_of(data), **check)
    assert r.status is Status.PASSED and r.interval.method == "poisson-bootstrap-percentile"
    assert _bytes(BACKTEST(ctx_of(data, 100), **check)) == _bytes(r)


def test_an_unknown_interval_names_poisson():
    with pytest.raises(ConfigError, match="poisson"):
        BACKTEST(ctx_of(stream(days=30)), metric="accuracy", every="30D", min=0.5, interval="x")
