"""Backtests as teams state them: calendar windows (``every: QS``) and the latest window
compared with the first, the training period or every earlier window (``compare_to`` +
``max_drop``), with the two-sample interval checked against SciPy and statsmodels."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.stats.proportion import confint_proportions_2indep

from mlgate.checks.backtest.checks import BACKTEST
from mlgate.checks.backtest.drop import Sample, bonferroni_level, drop, resample
from mlgate.core.context import GateContext
from mlgate.core.errors import ConfigError
from mlgate.core.result import Status
from mlgate.core.runner import run_gate
from mlgate.stats.metrics import get_metric


def stream(
    start: str = "2023-01-01",
    days: int = 365,
    per_day: int = 12,
    noisy_from: str | None = None,
    noise: float = 0.3,
    seed: int = 0,
) -> pd.DataFrame:
    """y = [x + noise > 0]; from ``noisy_from`` on the label noise is 4× larger (a model that
    was right gets worse without any change of the features)."""
    rng = np.random.default_rng(seed)
    t = np.repeat(pd.date_range(start, periods=days, freq="D"), per_day)
    x = rng.normal(size=len(t))
    scale = (
        noise if noisy_from is None else np.where(t >= pd.Timestamp(noisy_from), 4 * noise, noise)
    )
    y = (x + scale * rng.normal(size=len(t)) > 0).astype(int)
    return pd.DataFrame({"t": t, "x": x, "y": y})


def model(X: pd.DataFrame) -> np.ndarray:
    p = 1 / (1 + np.exp(-3 * X["x"].to_numpy()))
    return np.column_stack([1 - p, p])


def ctx_of(data: pd.DataFrame) -> GateContext:
    return GateContext.from_objects(
        models={"candidate": model},
        datasets={"evaluation": {"data": data, "time": "t"}},
        task="binary",
        label="y",
    )


# -- the statistic -------------------------------------------------------------------------
def correct(n: int, p: float, seed: int) -> np.ndarray:
    return (np.random.default_rng(seed).random(n) < p).astype(int)


def accuracy_sample(right: np.ndarray, seed: int, n_resamples: int = 4000) -> Sample:
    """A window whose model is right on ``right`` rows: labels 1, predictions 1 or 0."""
    y = np.ones(len(right), dtype=int)
    return resample(
        get_metric("accuracy"),
        y,
        right.astype(int),
        2,
        rng=np.random.default_rng(seed),
        n_resamples=n_resamples,
    )


def test_two_sample_interval_agrees_with_scipy_and_statsmodels():
    first, latest = correct(800, 0.9, 1), correct(600, 0.84, 2)
    d = drop(
        accuracy_sample(latest, 3),
        accuracy_sample(first, 4),
        higher_is_better=True,
        relative=False,
        level=0.95,
    )
    assert d.value == pytest.approx(first.mean() - latest.mean())
    # SciPy's two-sample percentile bootstrap of the same difference (independent resamples)
    ref = stats.bootstrap(
        (first, latest),
        lambda a, b, axis: a.mean(axis=axis) - b.mean(axis=axis),
        paired=False,
        method="percentile",
        n_resamples=4000,
        rng=np.random.default_rng(5),
    ).confidence_interval
    assert d.interval.low == pytest.approx(ref.low, abs=0.006)
    assert d.interval.high == pytest.approx(ref.high, abs=0.006)
    # and the Wald interval of a difference of two independent proportions
    low, high = confint_proportions_2indep(
        first.sum(), len(first), latest.sum(), len(latest), method="wald"
    )
    assert d.interval.low == pytest.approx(low, abs=0.006)
    assert d.interval.high == pytest.approx(high, abs=0.006)
    assert d.interval.method == "two-sample-bootstrap-percentile"


def test_relative_drop_is_a_share_of_the_reference():
    first, latest = correct(800, 0.9, 1), correct(600, 0.84, 2)
    d = drop(
        accuracy_sample(latest, 3),
        accuracy_sample(first, 4),
        higher_is_better=True,
        relative=True,
        level=0.95,
    )
    assert d.value == pytest.approx(1 - latest.mean() / first.mean())
    ref = stats.bootstrap(
        (first, latest),
        lambda a, b, axis: 1 - b.mean(axis=axis) / a.mean(axis=axis),
        paired=False,
        method="percentile",
        n_resamples=4000,
        rng=np.random.default_rng(5),
    ).confidence_interval
    assert d.interval.low == pytest.approx(ref.low, abs=0.007)
    assert d.interval.high == pytest.approx(ref.high, abs=0.007)


def test_a_loss_drop_is_its_rise():
    lat = Sample(0.5, 100, np.full(10, 0.5))
    ref = Sample(0.4, 100, np.full(10, 0.4))
    d = drop(lat, ref, higher_is_better=False, relative=False, level=0.95)
    assert d.value == pytest.approx(0.1)
    assert drop(lat, ref, higher_is_better=False, relative=True, level=0.95).value == (
        pytest.approx(0.25)
    )


def test_degenerate_small_windows_have_no_interval():
    same = Sample(1.0, 40, np.ones(500))
    d = drop(same, same, higher_is_better=True, relative=False, level=0.95)
    assert d.interval is None and "at least 100" in d.reason


def test_bonferroni_level():
    assert bonferroni_level(0.95, 1) == pytest.approx(0.95)
    assert bonferroni_level(0.95, 5) == pytest.approx(0.99)


# -- the check: known verdicts ----------------------------------------------------------------
def test_latest_quarter_vs_first_quarter_passes_on_a_stable_model():
    r = BACKTEST(ctx_of(stream()), metric="roc_auc", every="QS", compare_to="first", max_drop=0.05)
    assert r.status is Status.PASSED, r.message
    table = r.evidence["windows"].rows
    assert [w["start"] for w in table] == ["2023-01-01", "2023-04-01", "2023-07-01", "2023-10-01"]
    (row,) = r.evidence["comparison"].rows
    assert row["reference"] == "window 1" and row["start"] == "2023-01-01"
    assert r.interval.high <= 0.05 and r.threshold.op == "<=" and r.threshold.bound == 0.05
    assert r.sample_size == table[0]["rows"] + table[-1]["rows"]
    assert "latest vs the first window 2023-01-01 – 2023-04-01: roc_auc worse by" in r.message


def test_a_model_that_got_worse_in_the_latest_quarter_fails():
    data = stream(noisy_from="2023-10-01")
    r = BACKTEST(ctx_of(data), metric="roc_auc", every="QS", compare_to="first", max_drop=0.05)
    assert r.status is Status.FAILED, r.message
    assert r.interval.low > 0.05
    first, last = r.evidence["windows"].rows[0], r.evidence["windows"].rows[-1]
    assert r.value == pytest.approx(first["value"] - last["value"], abs=1e-5)


def test_training_period_comparison_with_a_relative_bound():
    data = stream(start="2022-07-01", days=549)  # to 2023-12-31
    check = {
        "metric": "accuracy",
        "every": "QS",
        "cutoff": "2022-12-31",
        "compare_to": "training",
        "max_drop": {"relative": 0.05},
    }
    r = BACKTEST(ctx_of(data), **check)
    assert r.status is Status.PASSED, r.message
    (row,) = r.evidence["comparison"].rows
    # the training period: every row up to the cutoff (184 days of 12 rows)
    assert row["reference"] == "training period" and row["rows"] == 184 * 12
    assert row["end"] == "2022-12-31"
    assert "of the reference's" not in r.message and "%" in r.message
    worse = BACKTEST(ctx_of(stream(start="2022-07-01", days=549, noisy_from="2023-10-01")), **check)
    assert worse.status is Status.FAILED
    (bad,) = worse.evidence["comparison"].rows
    assert worse.value == pytest.approx(1 - bad["latest"] / bad["value"], abs=1e-5)
    assert worse.interval.low > 0.05 and bad["status"] == "failed"


def test_best_compares_with_every_earlier_window_at_a_bonferroni_level():
    data = stream(days=365)
    r = BACKTEST(ctx_of(data), metric="roc_auc", every="QS", compare_to="best", max_drop=0.05)
    assert r.status is Status.PASSED, r.message
    rows = r.evidence["comparison"].rows
    assert len(rows) == 3 and all(row["level"] == pytest.approx(1 - 0.05 / 3) for row in rows)
    assert r.interval.level == pytest.approx(1 - 0.05 / 3)
    assert "Bonferroni" in r.method
    # a dip in the second quarter that went away again is no drop of the latest
    dip = data.copy()
    q2 = (dip["t"] >= "2023-04-01") & (dip["t"] < "2023-07-01")
    dip.loc[q2, "y"] = 1 - dip.loc[q2, "y"]
    r = BACKTEST(ctx_of(dip), metric="roc_auc", every="QS", compare_to="best", max_drop=0.05)
    assert r.status is Status.PASSED, r.message
    bad = BACKTEST(
        ctx_of(stream(noisy_from="2023-10-01")),
        metric="roc_auc",
        every="QS",
        compare_to="best",
        max_drop=0.05,
    )
    assert bad.status is Status.FAILED


def test_one_window_has_nothing_to_compare_with():
    r = BACKTEST(
        ctx_of(stream(days=60)), metric="accuracy", every="QS", compare_to="first", max_drop=0.05
    )
    assert r.status is Status.INCONCLUSIVE
    assert "no earlier window" in r.message


def test_a_small_latest_window_is_inconclusive_not_a_pass():
    data = stream(days=90 + 2)  # the first quarter (90 days) and two days of the second
    r = BACKTEST(ctx_of(data), metric="accuracy", every="QS", compare_to="first", max_drop=0.05)
    assert r.status is Status.INCONCLUSIVE and "min_samples=30" in r.message


def test_decision_rules_rejudge_the_comparison(write_gate, tmp_path):
    """The comparison is a judged part: under ``point`` the estimate alone decides."""
    data = stream(days=200, per_day=2, seed=3)
    check = {
        "check": "backtest",
        "metric": "accuracy",
        "every": "QS",
        "compare_to": "first",
        "max_drop": 0.08,
    }
    path = write_gate(tmp_path, [check], time="t", datasets=("evaluation",))
    out = run_gate(path, models={"candidate": model}, datasets={"evaluation": data})
    (strict,) = out.results
    assert strict.status is Status.INCONCLUSIVE, strict.message
    path = write_gate(
        tmp_path, [{**check, "decision_rule": "point"}], time="t", datasets=("evaluation",)
    )
    out = run_gate(path, models={"candidate": model}, datasets={"evaluation": data})
    assert out.results[0].status is Status.PASSED


def test_calendar_backtest_in_a_gate_file(write_gate, tmp_path):
    data = stream(noisy_from="2023-10-01")
    check = {"check": "backtest", "metric": "roc_auc", "every": "QS", "min": 0.9}
    path = write_gate(tmp_path, [check], time="t", datasets=("evaluation",))
    out = run_gate(path, models={"candidate": model}, datasets={"evaluation": data})
    (r,) = out.results
    assert r.status is Status.FAILED and out.decisions[0].verdict.value == "hold"
    assert "window 2023-10-01 – 2024-01-01" in r.message


@pytest.mark.parametrize(
    ("extra", "says"),
    [
        ({"max_drop": 0.05}, "max_drop (0.05) needs 'compare_to'"),
        ({"compare_to": "first"}, "compare_to: first needs 'max_drop'"),
        ({"compare_to": "first", "max_drop": -0.1}, "max_drop must be ≥ 0"),
        ({"compare_to": "first", "max_drop": 0.1, "step": "MS"}, "windows that do not overlap"),
        (
            {"compare_to": "first", "max_drop": 0.1, "mode": "accumulating"},
            "got 'accumulating'",
        ),
        ({"compare_to": "training", "max_drop": 0.1}, "compare_to: training needs 'cutoff'"),
        (
            {"compare_to": "training", "max_drop": 0.1, "cutoff": "2023-06-30", "train": "m:fit"},
            "use compare_to: first or best",
        ),
        ({"compare_to": "last", "max_drop": 0.1}, "'first', 'training' or 'best'"),
        ({"compare_to": "first", "max_drop": {"relative": 0}}, "greater than 0"),
        (
            {"compare_to": "first", "max_drop": {"share": 0.1}},
            "relative: Field required; share: Extra inputs are not permitted; a relative drop "
            "is written {relative: 0.1}",
        ),
        ({"min": 0.8, "cutoff": "soon"}, "cutoff 'soon' is not a date; write e.g."),
    ],
)
def test_bad_comparisons_are_gate_file_errors(write_gate, tmp_path, extra, says):
    check = {"check": "backtest", "metric": "accuracy", "every": "QS", **extra}
    path = write_gate(tmp_path, [check], time="t", datasets=("evaluation",))
    with pytest.raises(ConfigError) as info:
        run_gate(path, models={"candidate": model}, datasets={"evaluation": stream(days=30)})
    assert says in str(info.value)


def test_relative_drop_needs_a_metric_that_is_never_negative(write_gate, tmp_path):
    check = {
        "check": "backtest",
        "metric": "r2",
        "every": "QS",
        "compare_to": "first",
        "max_drop": {"relative": 0.1},
    }
    path = write_gate(tmp_path, [check], task="regression", time="t", datasets=("evaluation",))
    with pytest.raises(ConfigError, match="r2 can be; give max_drop in r2's units"):
        run_gate(path, models={"candidate": model}, datasets={"evaluation": stream(days=30)})
