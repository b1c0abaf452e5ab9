"""Relative bounds and margins: ``metric_threshold`` with ``max: {relative: 0.95, of: mean}``
and ``baseline`` with ``margin: {relative: 0.05}``, the ratio's paired bootstrap checked
against SciPy, and verdicts on data where the answer is known."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from mlgate.checks.performance.baseline import BASELINE
from mlgate.checks.performance.metric_threshold import METRIC_THRESHOLD
from mlgate.checks.performance.relative import paired_ratio
from mlgate.core.context import GateContext
from mlgate.core.errors import ConfigError
from mlgate.core.result import Status
from mlgate.core.runner import run_gate
from mlgate.stats.bootstrap import bootstrap_values
from mlgate.stats.cells import CellStatistic
from mlgate.stats.metrics import get_metric
from mlgate.stats.paired import paired_difference
from mlgate.stats.ratio import log_statistic

MAE = get_metric("mae")


def frame(n: int = 800, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 2))
    y = x @ [1.0, 0.5] + rng.normal(size=n)
    return pd.DataFrame({"a": x[:, 0], "b": x[:, 1], "y": y})


def fitted(X: pd.DataFrame) -> np.ndarray:
    return X[["a", "b"]].to_numpy() @ [1.0, 0.5]


def context(data: pd.DataFrame, **models) -> GateContext:
    return GateContext.from_objects(
        models={"candidate": fitted, **models},
        datasets={"evaluation": data, "reference": frame(800, 99)},
        task="regression",
        label="y",
    )


# -- the statistic ----------------------------------------------------------------------------
def test_ratio_interval_agrees_with_scipy_paired_bootstrap():
    data = frame(1000, 1)
    y = data["y"].to_numpy()
    cand = fitted(data)
    ref = np.full(len(y), y.mean() + 0.3)
    r = paired_ratio(MAE, y, cand, ref, 0, rng=np.random.default_rng(0), n_resamples=4000)
    err_c, err_r = np.abs(y - cand), np.abs(y - ref)
    assert r.value == pytest.approx(err_c.mean() / err_r.mean())
    assert r.candidate == pytest.approx(err_c.mean()) and r.reference == pytest.approx(err_r.mean())
    for method in ("percentile", "BCa"):
        ref_ci = stats.bootstrap(
            (err_c, err_r),
            lambda a, b, axis: a.mean(axis=axis) / b.mean(axis=axis),
            paired=True,
            method=method,
            n_resamples=4000,
            rng=np.random.default_rng(1),
        ).confidence_interval
        ours = paired_ratio(
            MAE,
            y,
            cand,
            ref,
            0,
            rng=np.random.default_rng(0),
            n_resamples=4000,
            method="bca" if method == "BCa" else "percentile",
        ).interval
        assert ours.low == pytest.approx(ref_ci.low, abs=0.006), method
        assert ours.high == pytest.approx(ref_ci.high, abs=0.006), method


def test_judging_the_ratio_is_judging_candidate_minus_r_times_reference():
    """On the same resampled rows, "ratio ≤ r" and "candidate − r·reference ≤ 0" agree row
    for row (the ratio is judged exactly as the difference would be)."""
    data = frame(500, 2)
    y = data["y"].to_numpy()
    cand, ref = fitted(data), np.full(len(y), y.mean())
    a, b = MAE.statistic(y, cand, 0), MAE.statistic(y, ref, 0)
    log_ratio, _ = bootstrap_values(
        paired_difference(log_statistic(a), log_statistic(b)),
        rng=np.random.default_rng(7),
        n_resamples=2000,
    )
    for r in (0.6, 0.7, 0.75, 0.8):
        scaled = CellStatistic(b.name, b.counts, b.row_cell, lambda w, r=r: r * b.batch(w))
        diff, _ = bootstrap_values(
            paired_difference(a, scaled), rng=np.random.default_rng(7), n_resamples=2000
        )
        np.testing.assert_array_equal(np.exp(log_ratio) <= r, diff <= 0)


def test_a_perfect_candidate_has_ratio_zero_and_a_perfect_reference_none():
    y = np.arange(200.0)
    perfect = y.copy()
    r = paired_ratio(MAE, y, perfect, y + 1, 0, rng=np.random.default_rng(0), n_resamples=200)
    assert r.value == 0 and r.interval.high == pytest.approx(0, abs=1e-250)
    r = paired_ratio(MAE, y, y + 1, perfect, 0, rng=np.random.default_rng(0), n_resamples=200)
    assert r.value is None and r.interval is None and "no multiple" in r.reason


# -- metric_threshold with a relative bound ----------------------------------------------------
def test_mae_at_most_95_percent_of_the_mean_baseline():
    ctx = context(frame())
    r = METRIC_THRESHOLD(ctx, metric="mae", max={"relative": 0.95, "of": "mean"})
    assert r.status is Status.PASSED, r.message
    assert r.check_id == "mae-vs-mean" and r.threshold.op == "<=" and r.threshold.bound == 0.95
    ev = r.evidence
    assert r.value == pytest.approx(ev["candidate"] / ev["reference_value"], abs=1e-5)
    assert r.interval.high < 0.95 and r.interval.method == "paired-bootstrap-percentile-ratio"
    assert ev["bound"] == pytest.approx(0.95 * ev["reference_value"], abs=1e-5)
    assert "× mean's" in r.message and r.sample_size == 800


def test_a_model_no_better_than_the_baseline_fails_a_relative_bound():
    data = frame()
    # the "candidate" predicts the reference set's mean: its MAE is the baseline's own
    ctx = context(data, candidate=lambda X: np.full(len(X), frame(800, 99)["y"].mean()))
    r = METRIC_THRESHOLD(ctx, metric="mae", max={"relative": 0.95, "of": "mean"})
    assert r.status is Status.FAILED, r.message
    assert r.value == pytest.approx(1.0) and r.interval.low > 0.95


def test_a_relative_min_against_a_declared_model():
    data = frame()
    champion = lambda X: X[["a", "b"]].to_numpy() @ [0.6, 0.2]  # noqa: E731
    ctx = GateContext.from_objects(
        models={"candidate": champion, "champion": fitted},
        datasets={"evaluation": data},
        task="regression",
        label="y",
    )
    # "MAE at most 5% above the champion's": the candidate is clearly more than that
    r = METRIC_THRESHOLD(ctx, metric="mae", max={"relative": 1.05, "of": {"model": "champion"}})
    assert r.status is Status.FAILED and r.check_id == "mae-vs-model:champion"


def test_relative_bound_in_a_gate_file_with_a_decision_rule(write_gate, tmp_path):
    check = {
        "check": "metric_threshold",
        "metric": "mae",
        "max": {"relative": 0.73, "of": "mean"},
        "decision_rule": "point",
    }
    path = write_gate(tmp_path, [check], task="regression")
    out = run_gate(
        path,
        models={"candidate": fitted},
        datasets={"evaluation": frame(), "reference": frame(800, 99)},
    )
    (r,) = out.results
    assert r.decision_rule == "point" and r.value < 0.73
    assert r.status is Status.PASSED


@pytest.mark.parametrize(
    ("params", "says"),
    [
        ({"metric": "r2", "min": {"relative": 1.1, "of": "mean"}}, "give min in r2's units"),
        ({"metric": "mae", "max": {"relative": 0.9}}, "'of' is missing; write it as"),
        ({"metric": "mae", "max": {"relative": -1, "of": "mean"}}, "greater than 0"),
        ({"metric": "mae", "max": {"relative": 0.9, "of": "mean", "by": 1}}, "'by' is not a key"),
        (
            {
                "metric": "accuracy",
                "min": {"relative": 1.1, "of": "zero_rule"},
                "interval": "wilson",
            },
            "use interval: percentile or bca",
        ),
        ({"metric": "mae", "max": {"relative": 0.9, "of": "champion"}}, "of: {model: name}"),
        (
            {"metric": "mae", "max": {"relative": 0.9, "of": "candidate"}},
            "'candidate' is a declared model: write of: {model: candidate}",
        ),
        ({"metric": "mae", "max": {"relative": 0.9, "of": {"model": "nope"}}}, "no model 'nope'"),
        (
            {"metric": "mae", "max": {"relative": 0.9, "of": "mean", "fit_on": "nope"}},
            "no dataset 'nope'",
        ),
    ],
)
def test_bad_relative_bounds_name_the_key_the_value_and_the_fix(params, says):
    task = "binary" if params["metric"] == "accuracy" else "regression"
    data = frame()
    if task == "binary":
        data = data.assign(y=(data["y"] > 0).astype(int))
    ctx = GateContext.from_objects(
        models={"candidate": fitted}, datasets={"evaluation": data}, task=task, label="y"
    )
    with pytest.raises(ConfigError) as info:
        METRIC_THRESHOLD(ctx, **params)
    assert says in str(info.value)


# -- baseline with a relative margin -----------------------------------------------------------
def test_beat_each_baseline_by_more_than_a_share_of_its_metric():
    ctx = context(frame())
    r = BASELINE(ctx, metric="mae", margin={"relative": 0.2}, against=["mean", "median"])
    assert r.status is Status.PASSED, r.message
    assert "by more than 20% of its mae" in r.message
    for row in r.evidence["baselines"].rows:
        assert row["improvement"] == pytest.approx(1 - row["candidate"] / row["value"], abs=1e-5)
    assert r.evidence["margin"] == {"relative": 0.2} and r.threshold.bound == 0.2
    r = BASELINE(ctx, metric="mae", margin={"relative": 0.5}, against=["mean"])
    assert r.status is Status.FAILED, r.message  # about 30% better, not 50%


def test_relative_margin_for_a_score_is_a_rise():
    data = frame()
    binary = data.assign(y=(data["y"] > 0).astype(int))

    def proba(X):
        p = 1 / (1 + np.exp(-2 * (X[["a", "b"]].to_numpy() @ [1.0, 0.5])))
        return np.column_stack([1 - p, p])

    ctx = GateContext.from_objects(
        models={"candidate": proba},
        datasets={"evaluation": binary, "reference": binary},
        task="binary",
        label="y",
    )
    r = BASELINE(ctx, metric="accuracy", margin={"relative": 0.2}, against=["zero_rule"])
    (row,) = r.evidence["baselines"].rows
    assert row["improvement"] == pytest.approx(row["candidate"] / row["value"] - 1, abs=1e-5)
    assert r.status is Status.PASSED, r.message


def test_bad_relative_margins():
    ctx = context(frame())
    with pytest.raises(ConfigError, match="give margin in r2's units"):
        BASELINE(ctx, metric="r2", margin={"relative": 0.1})
    with pytest.raises(ConfigError, match="'relative' is missing; 'relativ' is not a key"):
        BASELINE(ctx, metric="mae", margin={"relativ": 0.1})
