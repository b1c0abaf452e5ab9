"""ab_test: verdicts on logs whose answer is known, the evidence it carries, batches against one
pass, and every bad parameter and bad log."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mlgate.checks.online.ab_test import AB_TEST
from mlgate.checks.online.cuped import Moments, difference
from mlgate.core.errors import ConfigError, DataError
from mlgate.core.result import Status
from mlgate.stats.sequential import units_to_decide

GUARD = {"column": "latency_ms", "margin": 5.0, "higher_is_better": False}


def run(ctx_of, log, **params):
    params.setdefault("primary", "converted")
    params.setdefault("dataset", "logs")
    return AB_TEST(ctx_of(logs=log), **params)


def test_a_planted_win_is_promoted(ctx_of, ab_log):
    r = run(ctx_of, ab_log(effect=0.03, seed=1), guardrails=[GUARD])
    assert r.status is Status.PASSED, r.message
    assert r.evidence["decision"] == "promote"
    assert r.message.startswith("promote: ")
    assert r.interval.low > 0 and r.threshold.op == ">=" and r.threshold.bound == 0
    assert r.interval.method == "normal-mixture confidence sequence"
    assert r.sample_size == 20_000


def test_a_harmful_change_is_held(ctx_of, ab_log):
    r = run(ctx_of, ab_log(effect=-0.03, seed=2))
    assert r.status is Status.FAILED, r.message
    assert r.evidence["decision"] == "hold"
    assert r.interval.high < 0


def test_no_effect_keeps_collecting_with_the_units_needed(ctx_of, ab_log):
    log = ab_log(n=4_000, effect=0.0, seed=3)
    r = run(ctx_of, log, primary={"column": "converted", "min_effect": 0.005})
    assert r.status is Status.INCONCLUSIVE, r.message
    assert r.evidence["decision"] == "keep collecting"
    assert "keep collecting" in r.message and "more units at the observed effect" in r.message
    # The figure is the sequence's own: the units at which its width falls below the gap.
    d = difference(
        Moments.of((log.arm == "treatment").to_numpy().astype(int), log.converted.to_numpy(float))
    )
    total = units_to_decide(abs(d.value - 0.005), d.unit_variance, d.units, 0.95, 10_000)
    assert r.evidence["units_needed"] == total - 4_000
    assert f"about {total - 4_000} more units" in r.message


def test_too_few_units_per_arm_is_inconclusive_never_a_pass(ctx_of, ab_log):
    r = run(ctx_of, ab_log(n=150, effect=0.5, seed=4))
    assert r.status is Status.INCONCLUSIVE
    assert r.interval is None
    assert "each arm needs 100 before the effect is judged" in r.message


def test_a_guardrail_regression_holds_a_winning_change(ctx_of, ab_log):
    r = run(ctx_of, ab_log(effect=0.03, latency_shift=20.0, seed=5), guardrails=[GUARD])
    assert r.status is Status.FAILED
    assert "guardrail latency_ms" in r.message
    rows = {row["metric"]: row for row in r.evidence["effects"].rows}
    assert rows["converted"]["status"] == "passed" and rows["latency_ms"]["status"] == "failed"
    assert rows["latency_ms"]["bound"] == "<= 5"


def test_a_broken_split_holds_the_stage(ctx_of, ab_log):
    log = ab_log(effect=0.03, seed=6, share=0.53)
    r = run(ctx_of, log)
    assert r.status is Status.FAILED
    assert r.message.startswith("hold: sample ratio: sample ratio mismatch: control")
    assert r.evidence["sample_ratio"]["p_value"] < 0.001


def test_a_canary_split_is_checked_against_its_design(ctx_of, ab_log):
    log = ab_log(n=40_000, seed=7, share=0.05)
    r = run(ctx_of, log, treatment_share=0.05, guardrails=[GUARD], primary=None)
    assert r.evidence["sample_ratio"]["status"] == "passed"
    assert r.status is Status.PASSED, r.message  # no latency harm beyond 5 ms
    wrong = run(ctx_of, log, guardrails=[GUARD], primary=None)  # designed 50/50
    assert wrong.status is Status.FAILED


def test_cuped_narrows_the_sequence_and_matches_least_squares(ctx_of, ab_log):
    log = ab_log(n=10_000, revenue_effect=0.3, seed=8)
    plain = run(ctx_of, log, primary="revenue")
    adjusted = run(ctx_of, log, primary={"column": "revenue", "covariate": "pre_revenue"})
    width = lambda r: r.interval.high - r.interval.low  # noqa: E731
    reduction = adjusted.evidence["effects"].rows[0]["cuped_variance_reduction"]
    assert reduction > 0.5
    assert width(adjusted) == pytest.approx(width(plain) * np.sqrt(1 - reduction), rel=0.01)
    assert adjusted.status is Status.PASSED and plain.status is Status.INCONCLUSIVE
    design = np.column_stack(
        [np.ones(len(log)), (log.arm == "treatment").astype(float), log.pre_revenue]
    )
    coef = np.linalg.lstsq(design, log.revenue.to_numpy(), rcond=None)[0]
    assert adjusted.value == pytest.approx(coef[1], rel=1e-9)


def test_a_relative_effect(ctx_of, ab_log):
    log = ab_log(effect=0.03, seed=9)
    r = run(ctx_of, log, primary={"column": "converted", "scale": "relative", "min_effect": 0.05})
    t = log[log.arm == "treatment"].converted.mean()
    c = log[log.arm == "control"].converted.mean()
    assert r.value == pytest.approx(t / c - 1)
    assert r.status is Status.PASSED and r.metric == "converted: treatment − control (relative)"


def test_the_evidence_blocks(ctx_of, ab_log):
    r = run(ctx_of, ab_log(n=5_000, effect=0.03, seed=10), guardrails=[GUARD])
    ev = r.to_dict()["evidence"]
    assert ev["arms"]["type"] == "table" and ev["effects"]["type"] == "table"
    curve = ev["confidence_sequence"]
    assert curve["type"] == "curve" and curve["x"][0] == 100 and curve["x"][-1] == 5_000
    assert curve["low"][0] is None  # fewer than 100 units per arm at row 100
    widths = [h - lo for lo, h in zip(curve["low"], curve["high"], strict=True) if lo is not None]
    assert widths == sorted(widths, reverse=True)


def test_a_batched_run_gives_the_same_result_as_one_pass(ctx_of, ab_log):
    log = ab_log(n=9_001, effect=0.02, seed=11)
    params = {
        "primary": {"column": "converted", "covariate": "pre_conversions"},
        "guardrails": [GUARD],
    }
    whole = AB_TEST(ctx_of(logs=log), dataset="logs", **params)
    ctx = ctx_of(logs=log)
    ctx.batch_rows = 97
    assert AB_TEST(ctx, dataset="logs", **params).to_dict() == whole.to_dict()
    assert AB_TEST.needs_all_rows is False


def test_rerunning_as_the_log_grows_keeps_earlier_points_of_the_curve(ctx_of, ab_log):
    log = ab_log(n=8_000, seed=12)
    early = run(ctx_of, log.iloc[:3_000]).evidence["confidence_sequence"]
    late = run(ctx_of, log).evidence["confidence_sequence"]
    k = len(early.x) - 1  # the last point of the early run is its final row count
    assert late.x[:k] == early.x[:k] and late.low[:k] == early.low[:k]


# -- bad parameters --------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"primary": None}, "give 'primary'"),
        ({"treatment": "control"}, "control and treatment are both 'control'"),
        ({"guardrails": [{"column": "latency_ms"}]}, "margin"),
        ({"guardrails": [{"column": "latency_ms", "margin": -1}]}, "greater than 0"),
        ({"confidence": 1.0}, "confidence"),
        ({"treatment_share": 1.0}, "treatment_share"),
        ({"assigned_at": "t0"}, "give both 'assigned_at' and 'outcome_at'"),
        (
            {"guardrails": [{"column": "converted", "margin": 1}]},
            r"\['converted'\] are given twice",
        ),
        ({"dataset": "nope"}, "no dataset 'nope'"),
        ({"arm": "unit_id"}, "must be different columns"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_parameters_are_config_errors_naming_the_key(ctx_of, ab_log, params, match):
    with pytest.raises(ConfigError, match=match):
        run(ctx_of, ab_log(n=300), **params)


# -- bad logs -------------------------------------------------------------------------------
def test_a_missing_column_names_the_parameter_and_the_columns(ctx_of, ab_log):
    with pytest.raises(DataError, match=r"no column 'refunds' \(parameter 'guardrails\[0\]\.col"):
        run(ctx_of, ab_log(n=300), guardrails=[{"column": "refunds", "margin": 1}])


def test_an_unknown_arm_label_is_named_with_its_count_and_the_fix(ctx_of, ab_log):
    log = ab_log(n=1_000)
    log.loc[[3, 9, 10], "arm"] = "B"
    with pytest.raises(DataError) as err:
        run(ctx_of, log)
    text = str(err.value)
    assert "neither control 'control' nor treatment 'treatment': 'B' (3 rows)" in text
    assert "'u0-3'" in text and "Set 'control' and 'treatment'" in text


def test_arm_labels_may_be_numbers(ctx_of, ab_log):
    log = ab_log(n=2_000, seed=13)
    log["arm"] = (log.arm == "treatment").astype(int)
    r = run(ctx_of, log, control=0, treatment=1)
    assert r.evidence["arms"].rows[1]["units"] == int(log.arm.sum())


def test_an_empty_arm_is_an_error_naming_it(ctx_of, ab_log):
    log = ab_log(n=1_000)
    log["arm"] = "control"
    with pytest.raises(DataError, match="the treatment arm 'treatment' has no units"):
        run(ctx_of, log)


def test_a_non_numeric_outcome_names_the_column_and_values(ctx_of, ab_log):
    log = ab_log(n=1_000)
    log["converted"] = log.converted.astype(object)
    log.loc[5, "converted"] = "yes"
    with pytest.raises(DataError, match=r"column 'converted' must hold finite numbers; 1 .*'yes'"):
        run(ctx_of, log)


def test_boolean_outcomes_count_as_zero_and_one(ctx_of, ab_log):
    log = ab_log(n=3_000, seed=14)
    as_bool = log.assign(converted=log.converted.astype(bool))
    assert run(ctx_of, as_bool).value == pytest.approx(run(ctx_of, log).value)


def test_units_in_both_arms_and_twice_are_reported_and_hold(ctx_of, ab_log):
    log = ab_log(n=3_000, effect=0.2, seed=15)
    both = log.iloc[[0, 1]].assign(
        arm=lambda f: np.where(f.arm == "control", "treatment", "control")
    )
    again = log.iloc[[7]]
    r = run(ctx_of, pd.concat([log, both, again], ignore_index=True))
    assert r.status is Status.ERROR and r.evidence["decision"] == "hold"
    problems = {row["problem"]: row["detail"] for row in r.evidence["log_problems"].rows}
    assert problems["units in both arms"].startswith("2 in dataset 'logs', first ids ['u15-0'")
    assert problems["units logged twice"].startswith("1 in dataset 'logs', first ids ['u15-7']")


def test_missing_outcomes_hold_unless_allowed(ctx_of, ab_log):
    log = ab_log(n=3_000, effect=0.2, seed=16)
    log["converted"] = log.converted.astype(float)
    log.loc[[4, 8], "converted"] = np.nan
    r = run(ctx_of, log)
    assert r.status is Status.ERROR
    assert "log: missing converted: 2 in dataset 'logs', first ids ['u16-4', 'u16-8']" in r.message
    allowed = run(ctx_of, log, primary={"column": "converted", "max_missing": 0.01})
    assert allowed.status is Status.PASSED
    assert allowed.sample_size == 2_998 and allowed.evidence["effects"].rows[0]["missing"] == 2


def test_outcomes_before_assignment_hold(ctx_of, ab_log):
    log = ab_log(n=2_000, effect=0.2, seed=17)
    t0 = pd.Timestamp("2024-05-01")
    log["assigned"] = t0 + pd.to_timedelta(np.arange(2_000), unit="min")
    log["outcome"] = log.assigned + pd.Timedelta("1h")
    log.loc[[10, 20, 30], "outcome"] = log.assigned[[10, 20, 30]] - pd.Timedelta("5min")
    r = run(ctx_of, log, assigned_at="assigned", outcome_at="outcome")
    assert r.status is Status.ERROR
    assert "log: outcomes before assignment: 3 in dataset 'logs'" in r.message


def test_a_missing_covariate_is_an_error_with_the_fix(ctx_of, ab_log):
    log = ab_log(n=1_000)
    log["pre_conversions"] = log.pre_conversions.astype(float)
    log.loc[2, "pre_conversions"] = np.nan
    with pytest.raises(DataError, match=r"fill it .0 for units with no pre-period activity"):
        run(ctx_of, log, primary={"column": "converted", "covariate": "pre_conversions"})
