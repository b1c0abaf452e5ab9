"""Regression calibration that sees bias: the mean error with its Student-t interval, in units
of the target's sd, beside interval coverage. A planted constant bias that coverage cannot see
is caught; an unbiased model passes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from calibration_helpers import context, run_one
from scipy import stats
from statsmodels.stats.weightstats import DescrStatsW

from mlgate.checks.calibration.checks import CalibrationParams
from mlgate.checks.calibration.regression import (
    DEFAULT_MAX_BIAS,
    judge_bias,
    mean_error,
    run_regression,
)
from mlgate.core.errors import ConfigError
from mlgate.core.result import Status


def regression_frame(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    return pd.DataFrame({"x": x, "y": 2 * x + rng.normal(0, 1.0, n)})


def shifted(by: float):
    """The right line, every prediction moved by ``by`` (a constant bias)."""
    return lambda X: 2 * X["x"].to_numpy() + by


# y = 2x + N(0, 1) with x ~ N(0, 1): the target's sd is √5
SD = float(np.sqrt(5.0))


def test_mean_error_agrees_with_scipy_and_statsmodels():
    rng = np.random.default_rng(1)
    y = rng.normal(3.0, 2.0, 250)
    pred = y + rng.normal(0.4, 1.0, 250)
    b = mean_error(y, pred, 0.95)
    e = pred - y
    ci = stats.ttest_1samp(e, 0.0).confidence_interval(0.95)
    assert b.mean_error == pytest.approx(e.mean())
    assert (b.interval.low, b.interval.high) == pytest.approx((ci.low, ci.high), rel=1e-12)
    assert (b.interval.low, b.interval.high) == pytest.approx(
        DescrStatsW(e).tconfint_mean(alpha=0.05), rel=1e-12
    )
    assert b.target_sd == pytest.approx(np.std(y, ddof=1))
    z = b.standardized_interval
    assert b.standardized == pytest.approx(e.mean() / np.std(y, ddof=1))
    assert (z.low, z.high) == pytest.approx((ci.low / b.target_sd, ci.high / b.target_sd))
    assert mean_error(y, pred, 0.99).interval.high > b.interval.high


def test_a_constant_bias_that_coverage_cannot_see_is_caught(tmp_path):
    """Split-conformal intervals from absolute residuals widen to absorb a constant bias, so
    coverage passes; the bias (0.5 target sd) fails the check."""
    check = {"check": "calibration", "coverage": 0.9, "max_coverage_gap": 0.05}
    data = {"evaluation": regression_frame(2000, 0)}
    r = run_one(tmp_path, check, shifted(0.5 * SD), data, "regression")
    assert r.evidence["coverage"] == pytest.approx(0.9, abs=0.03)  # coverage looks fine
    assert r.status is Status.FAILED, r.message
    assert r.metric == "standardized bias (mean error / target sd)"
    assert r.value == pytest.approx(0.5, abs=0.05) and r.interval.low > DEFAULT_MAX_BIAS
    assert r.threshold.op == "<=" and r.threshold.bound == DEFAULT_MAX_BIAS
    assert "bias: mean error +1.1" in r.message and "failed" in r.message
    bias = r.evidence["bias"]
    assert bias["status"] == "failed" and bias["rows"] == 2000
    # a model that under-predicts is judged on the lower bound
    r = run_one(tmp_path, check, shifted(-0.5 * SD), data, "regression")
    assert r.status is Status.FAILED and r.threshold.op == ">=" and r.threshold.bound == -0.1


def test_an_unbiased_model_passes_and_its_result_is_the_coverage(tmp_path):
    check = {"check": "calibration", "coverage": 0.9}
    r = run_one(
        tmp_path, check, shifted(0.0), {"evaluation": regression_frame(2000, 1)}, "regression"
    )
    assert r.status is Status.PASSED, r.message
    assert r.metric == "interval coverage" and "bias" not in r.message
    assert abs(r.evidence["bias"]["standardized"]) < 0.05


@pytest.mark.parametrize("seed", range(40))
def test_the_default_bound_never_fails_an_unbiased_model_on_few_rows(seed):
    """Without ``max_bias`` the bias is judged only to fail a clear bias: an unbiased model
    whose interval is wide (150 rows) is not held for it."""
    data = regression_frame(150, 1000 + seed)
    b = mean_error(data["y"].to_numpy(), 2 * data["x"].to_numpy(), 0.95)
    assert judge_bias(b, None)[0] is Status.PASSED


def test_a_planted_bias_of_a_quarter_sd_is_caught_on_most_small_samples():
    caught = 0
    for seed in range(40):
        data = regression_frame(300, 2000 + seed)
        pred = 2 * data["x"].to_numpy() + 0.25 * SD
        caught += judge_bias(mean_error(data["y"].to_numpy(), pred, 0.95), None)[0] is Status.FAILED
    assert caught >= 36  # power ≈ 0.99 at n = 300 (the interval's half width is ≈ 0.05 sd)


class WithMaxBias(CalibrationParams):
    """The calibration parameters with ``max_bias`` (until the gate-file schema has it)."""

    max_bias: float | None = None


def params(**kw) -> WithMaxBias:
    return WithMaxBias(**kw)


def test_an_explicit_max_bias_is_judged_strictly(tmp_path):
    data = {"evaluation": regression_frame(4000, 3)}
    ctx = context(tmp_path, shifted(0.02 * SD), data, task="regression")
    r = run_regression(ctx, params(max_bias=0.1), "calibration")
    assert r.status is Status.PASSED, r.message  # [−0.01, 0.05] sd lies inside ±0.1
    assert r.evidence["bias"]["judged"] == "strict" and "allowed ±0.1 sd: passed" in r.message
    # a bias right on the bound: the data cannot show it is within ±0.1 sd, so the check is
    # inconclusive (never a pass), and the bias is its headline
    ctx = context(tmp_path, shifted(0.1 * SD), data, task="regression")
    r = run_regression(ctx, params(max_bias=0.1), "calibration")
    assert r.status is Status.INCONCLUSIVE, r.message
    assert r.evidence["coverage"] == pytest.approx(0.9, abs=0.03)
    assert r.metric == "standardized bias (mean error / target sd)"
    small = {"evaluation": regression_frame(120, 4)}
    ctx = context(tmp_path, shifted(0.0), small, task="regression")
    r = run_regression(ctx, params(max_bias=0.1, min_samples=200), "calibration")
    assert r.evidence["bias"]["status"] == "inconclusive"  # fewer rows than min_samples
    ctx = context(tmp_path, shifted(0.3 * SD), data, task="regression")
    r = run_regression(ctx, params(max_bias=0.2), "calibration")
    assert r.status is Status.FAILED and r.threshold.bound == 0.2


def test_a_constant_target_has_no_standardized_bias():
    b = mean_error(np.ones(50), np.ones(50) + 0.1, 0.95)
    assert b.standardized is None and b.standardized_interval is None
    assert judge_bias(b, None)[0] is Status.PASSED  # the default never holds without evidence
    assert judge_bias(b, 0.1)[0] is Status.INCONCLUSIVE


@pytest.mark.xfail(
    "max_bias" not in CalibrationParams.model_fields,
    reason="the gate-file key max_bias is not in CalibrationParams yet "
    "(mlgate/checks/calibration/checks.py)",
    raises=ConfigError,
    strict=True,
)
def test_max_bias_in_a_gate_file(tmp_path):
    check = {"check": "calibration", "coverage": 0.9, "max_bias": 0.1}
    r = run_one(
        tmp_path, check, shifted(0.3 * SD), {"evaluation": regression_frame(2000, 5)}, "regression"
    )
    assert r.status is Status.FAILED and r.evidence["bias"]["judged"] == "strict"
