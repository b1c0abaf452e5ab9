"""Regression calibration (interval coverage) and confidence thresholds (risk–coverage) on
cases with known answers."""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd
import pytest
from calibration_helpers import binary_frame, binary_model, context, run_one
from scipy.stats import norm

from mlgate.checks.calibration.checks import CALIBRATION, CONFIDENCE, confidence_check
from mlgate.checks.calibration.confidence import find_threshold, risk_coverage
from mlgate.checks.calibration.regression import conformal_radius, coverage_bounds
from mlgate.core.errors import ConfigError
from mlgate.core.evidence import Curve, Reliability
from mlgate.core.result import Interval, Status
from mlgate.stats.intervals import wilson_interval


def regression_frame(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    return pd.DataFrame({"x": x, "y": 2 * x + rng.normal(0, 1.0, n)})


def line(X: pd.DataFrame) -> np.ndarray:
    return 2 * X["x"].to_numpy()


def test_conformal_intervals_of_a_right_model_cover_as_claimed(tmp_path):
    check = {"check": "calibration", "coverage": 0.9, "max_coverage_gap": 0.05}
    r = run_one(tmp_path, check, line, {"evaluation": regression_frame(4000, 0)}, "regression")
    assert r.status is Status.PASSED, r.message
    assert r.value == pytest.approx(0.9, abs=0.03)
    # the radius of a 90% interval of N(0, 1) noise is about 1.645
    assert r.evidence["radius"] == pytest.approx(1.645, abs=0.15)
    diagram = r.evidence["reliability"]
    assert isinstance(diagram, Reliability) and set(diagram.count) == {r.sample_size}
    assert 0.9 in diagram.confidence
    assert r.evidence["mean_width"] == pytest.approx(2 * r.evidence["radius"])
    rows = {row["confidence"]: row for row in r.evidence["reliability_table"].rows}
    assert rows[0.9]["radius"] == r.evidence["radius"]


def too_narrow(X: pd.DataFrame) -> np.ndarray:
    centre = 2 * X["x"].to_numpy()
    return np.column_stack([centre - 0.5, centre + 0.5])  # claims 90%, covers about 38%


def test_model_intervals_that_are_too_narrow_fail(tmp_path, monkeypatch):
    module = type(sys)("narrow_intervals")
    module.too_narrow = too_narrow
    monkeypatch.setitem(sys.modules, "narrow_intervals", module)
    check = {"check": "calibration", "coverage": 0.9, "intervals": "narrow_intervals:too_narrow"}
    r = run_one(tmp_path, check, line, {"evaluation": regression_frame(1000, 1)}, "regression")
    assert r.status is Status.FAILED, r.message
    assert r.value == pytest.approx(0.383, abs=0.05)


@pytest.mark.parametrize(
    ("low", "high", "status"),
    [
        (0.86, 0.94, Status.PASSED),  # inside 0.9 ± 0.05 (the ends count as inside)
        (0.85, 0.95, Status.PASSED),
        (0.93, 0.97, Status.INCONCLUSIVE),  # straddles the upper bound
        (0.80, 0.88, Status.INCONCLUSIVE),  # straddles the lower bound
        (0.96, 0.99, Status.FAILED),  # wholly above: over-covering intervals fail too
        (0.50, 0.84, Status.FAILED),
        (0.80, 0.99, Status.INCONCLUSIVE),  # straddles both
    ],
)
def test_coverage_is_judged_on_both_bounds_of_its_interval(low, high, status):
    bounds = coverage_bounds(0.9, 0.05)
    ci = Interval(low, high, 0.95, "wilson")
    assert Status.worst(bound.judge(ci) for bound in bounds) is status
    assert Status.worst(bound.judge(None) for bound in bounds) is Status.INCONCLUSIVE


def test_conformal_radius_is_the_finite_sample_quantile():
    res = np.arange(1.0, 10.0)  # 9 residuals: rank ceil(10 · 0.8) = 8
    assert conformal_radius(res, 0.8) == 8.0
    assert conformal_radius(res, 0.95) == float("inf")


def test_risk_coverage_matches_a_brute_force_count(rng):
    conf = np.round(rng.random(300), 2)  # ties
    hit = rng.random(300) < conf
    curve = risk_coverage(conf, hit)
    for i in (0, 10, len(curve.thresholds) - 1):
        t = curve.thresholds[i]
        shown = conf >= t
        assert curve.coverage[i] == pytest.approx(shown.mean())
        assert curve.accuracy[i] == pytest.approx(hit[shown].mean())
    assert curve.coverage[-1] == 1.0
    assert np.all(np.diff(curve.coverage) > 0)


def test_find_threshold_reaches_the_target_or_says_none(rng):
    conf = rng.random(5000)
    hit = rng.random(5000) < conf  # accuracy of rows above t is (1 + t) / 2
    t = find_threshold(conf, hit, 0.9, 0.95)
    assert t == pytest.approx(0.8, abs=0.05)
    assert find_threshold(conf, hit, 0.9999, 0.95) is None
    # the lowest threshold whose Wilson lower bound reaches the target, by brute force
    lows = {c: wilson_interval(hit[conf >= c].sum(), (conf >= c).sum(), 0.95).low for c in conf}
    assert t == min(c for c, low in lows.items() if low >= 0.9)


def test_threshold_mode_judges_coverage_and_accuracy(tmp_path):
    data = {"evaluation": binary_frame(4000, 2)}
    ok = {"check": "confidence", "threshold": 0.7, "min_coverage": 0.5, "min_accuracy": 0.8}
    r = run_one(tmp_path, ok, binary_model(1.0), data)
    assert r.status is Status.PASSED, r.message
    assert r.evidence["at_threshold"]["coverage"] > 0.5
    curve = r.evidence["curve"]
    assert isinstance(curve, Curve) and curve.xlabel == "coverage" and len(curve.x) <= 201
    points = r.evidence["curve_thresholds"].rows
    assert [row["coverage"] for row in points] == list(curve.x)
    thresholds = [row["threshold"] for row in points]
    assert thresholds == sorted(thresholds, reverse=True) and len(set(thresholds)) == len(points)
    strict = {**ok, "min_coverage": 0.95}
    assert run_one(tmp_path, strict, binary_model(1.0), data).status is Status.FAILED


def test_target_mode_chooses_on_one_split_and_checks_on_the_other(tmp_path):
    check = {"check": "confidence", "target_accuracy": 0.9, "min_coverage": 0.1}
    r = run_one(tmp_path, check, binary_model(1.0), {"evaluation": binary_frame(6000, 3)})
    assert r.evidence["chosen_on_rows"] == 3000
    assert r.sample_size == 3000
    assert r.status is Status.PASSED, r.message
    assert r.evidence["at_threshold"]["accuracy_interval"][0] >= 0.9
    too_much = run_one(
        tmp_path,
        {**check, "min_coverage": 0.3},
        binary_model(1.0),
        {"evaluation": binary_frame(6000, 3)},
    )
    assert too_much.status is Status.FAILED
    impossible = {"check": "confidence", "target_accuracy": 1.0}
    r2 = run_one(tmp_path, impossible, binary_model(1.0), {"evaluation": binary_frame(600, 4)})
    assert r2.status is Status.FAILED and "no threshold reaches" in r2.message


def test_confidence_from_python_and_bad_parameters(tmp_path):
    ctx = context(tmp_path, binary_model(1.0), {"evaluation": binary_frame(1000, 5)})
    r = CONFIDENCE(ctx, threshold=0.6, min_accuracy=0.7)
    assert r.status is Status.PASSED and r.metric == "selective accuracy"
    assert r.check_id == "confidence" and confidence_check is CONFIDENCE
    with pytest.raises(ConfigError, match="exactly one"):
        CONFIDENCE(ctx, min_accuracy=0.7)
    with pytest.raises(ConfigError, match="min_coverage"):
        CONFIDENCE(ctx, threshold=0.6)


def test_few_rows_are_inconclusive(tmp_path):
    check = {"check": "confidence", "threshold": 0.5, "min_coverage": 0.1}
    r = run_one(tmp_path, check, binary_model(1.0), {"evaluation": binary_frame(20, 6)})
    assert r.status is Status.INCONCLUSIVE


@pytest.mark.slow
def test_a_right_models_conformal_intervals_rarely_fail(tmp_path):
    runs, failed = 100, 0
    for seed in range(runs):
        ctx = context(
            tmp_path, line, {"evaluation": regression_frame(1000, 100 + seed)}, task="regression"
        )
        r = CALIBRATION(ctx, coverage=0.9, max_coverage_gap=0.05)
        failed += r.status is Status.FAILED
    assert failed / runs <= 0.05


def quantile_model(scale: float):
    def predict(X: pd.DataFrame) -> np.ndarray:
        centre = 2 * X["x"].to_numpy()[:, None]
        return centre + scale * norm.ppf([0.1, 0.5, 0.9])[None, :]

    return predict


@pytest.mark.parametrize(("scale", "status"), [(1.0, Status.PASSED), (0.4, Status.FAILED)])
def test_predicted_quantiles_are_judged_level_by_level(tmp_path, monkeypatch, scale, status):
    module = type(sys)("quantile_models")
    module.predict = quantile_model(scale)
    monkeypatch.setitem(sys.modules, "quantile_models", module)
    check = {
        "check": "calibration",
        "quantiles": "quantile_models:predict",
        "levels": [0.1, 0.5, 0.9],
    }
    r = run_one(tmp_path, check, line, {"evaluation": regression_frame(4000, 7)}, "regression")
    assert r.status is status, r.message
    assert isinstance(r.evidence["reliability"], Reliability)
    rows = {row["confidence"]: row for row in r.evidence["reliability_table"].rows}
    assert rows[0.5]["accuracy"] == pytest.approx(0.5, abs=0.03)  # the median is right
    if scale == 1.0:
        assert r.evidence["outer_interval"]["coverage"] == pytest.approx(0.8, abs=0.03)
    else:  # too narrow: the 0.9-quantile is exceeded far more than 10% of the time
        assert rows[0.9]["accuracy"] < 0.8 and rows[0.9]["status"] == "failed"


def test_quantile_levels_are_validated(tmp_path):
    ctx = context(tmp_path, line, {"evaluation": regression_frame(100, 8)}, task="regression")
    with pytest.raises(ConfigError, match="go together"):
        CALIBRATION(ctx, quantiles="m:f")
    with pytest.raises(ConfigError, match="increase"):
        CALIBRATION(ctx, quantiles="m:f", levels=[0.9, 0.1])
