"""Decision rules on a regressor's calibration: coverage's two bounds and the bias's two bounds
(with ``max_bias``) are parts judged on their intervals, so the gate file's
``decision_rule`` re-judges them; the default bias net and too few rows are not bounds a rule
can change."""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd
import pytest
from calibration_helpers import run_one

from mlgate.core.result import DecisionRule, Status
from mlgate.stats.intervals import wilson_interval

N = 400


def frame(n: int = N, seed: int = 0) -> pd.DataFrame:
    """y = 2x + N(0, 1); ``t`` carries the target so the interval function below can cover
    exactly the rows it means to."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    y = 2 * x + rng.normal(0, 1.0, n)
    return pd.DataFrame({"x": x, "t": y, "y": y})


def nine_in_ten(X: pd.DataFrame) -> np.ndarray:
    """Intervals that cover every row but each tenth: observed coverage exactly 0.9."""
    t = X["t"].to_numpy()
    missed = np.arange(len(t)) % 10 == 0
    lower = np.where(missed, t + 1.0, t - 1.0)
    return np.column_stack([lower, lower + 2.0])


def shifted(by: float):
    return lambda X: 2 * X["x"].to_numpy() + by


@pytest.fixture
def intervals(monkeypatch):
    module = type(sys)("rule_intervals")
    module.nine_in_ten = nine_in_ten
    monkeypatch.setitem(sys.modules, "rule_intervals", module)
    return "rule_intervals:nine_in_ten"


#: The Wilson interval of 360 hits in 400 rows: what the check reports for ``nine_in_ten``.
CI = wilson_interval(360, N, 0.95)


#: A bound that the interval straddles, under each rule: the estimate on the bound's right
#: side ("holds") or wrong side ("breaks").
STRADDLED = [
    ("holds", "strict", Status.INCONCLUSIVE),
    ("holds", "lenient", Status.PASSED),
    ("holds", "point", Status.PASSED),
    ("breaks", "strict", Status.INCONCLUSIVE),
    ("breaks", "lenient", Status.PASSED),
    ("breaks", "point", Status.FAILED),
]


@pytest.mark.parametrize(("estimate", "rule", "expected"), STRADDLED)
def test_coverage_straddling_its_bound_is_judged_by_the_gate_files_rule(
    tmp_path, intervals, estimate, rule, expected
):
    # the lower bound between the interval's lower end and the estimate 0.9, or above 0.9
    low = round((CI.low + 0.9) / 2 if estimate == "holds" else (0.9 + CI.high) / 2, 4)
    gap = 0.05  # the upper bound, nominal + gap, lies well above the interval
    check = {
        "check": "calibration",
        "intervals": intervals,
        "coverage": round(low + gap, 4),
        "max_coverage_gap": gap,
        "decision_rule": rule,
    }
    r = run_one(tmp_path, check, shifted(0.0), {"evaluation": frame()}, "regression")
    assert r.status is expected, r.message
    assert r.value == pytest.approx(0.9) and r.metric == "interval coverage"
    assert (r.interval.low, r.interval.high) == pytest.approx((CI.low, CI.high))
    coverage = [p for p in r.parts if p.name.startswith("coverage")]
    assert [p.threshold.op for p in coverage] == [">=", "<="]
    assert coverage[0].threshold.bound == pytest.approx(low)
    assert coverage[1].status is Status.PASSED  # the upper bound is cleared under every rule
    assert r.decision_rule is (None if rule == "strict" else DecisionRule(rule))


@pytest.fixture(scope="module")
def bias():
    """A planted bias of 0.1 target sd on 400 rows: the standardized bias and its interval,
    which straddles bounds near 0.1."""
    from mlgate.checks.calibration.regression import mean_error

    data = frame(seed=3)
    sd = float(np.std(data["y"], ddof=1))
    b = mean_error(data["y"].to_numpy(), shifted(0.1 * sd)(data), 0.95)
    z = b.standardized_interval
    assert z.low > 0 and z.low < b.standardized < z.high
    return data, b.standardized, z, sd


@pytest.mark.parametrize(("estimate", "rule", "expected"), STRADDLED)
def test_a_bias_straddling_max_bias_is_judged_by_the_gate_files_rule(
    tmp_path, intervals, bias, estimate, rule, expected
):
    data, z, zi, sd = bias
    # max_bias between the estimate and the interval's upper end, or below the estimate
    bound = round((z + zi.high) / 2 if estimate == "holds" else (zi.low + z) / 2, 6)
    check = {
        "check": "calibration",
        "intervals": intervals,
        "coverage": 0.9,
        "max_coverage_gap": 0.2,  # coverage passes under every rule
        "max_bias": bound,
        "decision_rule": rule,
    }
    r = run_one(tmp_path, check, shifted(0.1 * sd), {"evaluation": data}, "regression")
    assert r.status is expected, r.message
    parts = [p for p in r.parts if p.name.startswith("standardized bias")]
    assert [p.threshold.bound for p in parts] == pytest.approx([-bound, bound])
    assert all(p.value == pytest.approx(z) for p in parts)
    assert parts[0].status is Status.PASSED  # the whole interval lies above -max_bias
    # strict: the headline is the bias, the criterion that keeps the check from passing
    if rule == "strict":
        assert r.metric == "standardized bias (mean error / target sd)"
        assert r.threshold.op == "<=" and r.threshold.bound == pytest.approx(bound)


def test_the_default_bias_net_and_too_few_rows_are_not_rejudged(tmp_path, intervals, bias):
    from mlgate.checks.calibration.regression import DEFAULT_MAX_BIAS, mean_error

    data, _, _, sd = bias
    model = shifted(0.13 * sd)
    b = mean_error(data["y"].to_numpy(), model(data), 0.95)
    # the estimate is beyond the default 0.1 but the interval is not wholly: a bound re-judged
    # by the point rule would fail it; the net fails only a clear bias under every rule
    assert b.standardized > DEFAULT_MAX_BIAS > b.standardized_interval.low
    for rule in ("strict", "lenient", "point"):
        check = {"check": "calibration", "intervals": intervals, "coverage": 0.9}
        check.update(max_coverage_gap=0.2, decision_rule=rule)
        r = run_one(tmp_path, check, model, {"evaluation": data}, "regression")
        assert r.status is Status.PASSED, (rule, r.message)
        (net,) = [p for p in r.parts if p.name == "standardized bias"]
        assert net.threshold is None and net.status is Status.PASSED
    small = frame(n=60, seed=4)
    check = {"check": "calibration", "intervals": intervals, "coverage": 0.9}
    check.update(max_coverage_gap=0.2, max_bias=0.5, decision_rule="point")
    r = run_one(tmp_path, check, shifted(0.0), {"evaluation": small}, "regression")
    assert r.status is Status.INCONCLUSIVE, r.message
    assert {p.status for p in r.parts} == {Status.INCONCLUSIVE}
    assert all(p.threshold is None for p in r.parts)
