"""Decision rules (strict / lenient / point) on the behavioral checks: each judged bound is a
part the kernel re-judges (issue 15), and too little data stays inconclusive under any rule.

The noise-thresholding model flips a pair with probability arctan(0.1)/π ≈ 0.0317 (see
test_perturbation_verdicts.py); on the ``bimodal`` data its estimate is 0.03205 with an
interval of about [0.028, 0.037], so a bound of 0.032 (just below the estimate) and of
0.0322 (just above it) both lie inside the interval.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from behavior_helpers import proba, run_check, write_gate

from mlgate.core.result import CheckResult, DecisionRule, Status
from mlgate.core.runner import run_gate


def thresholds_noise(X: pd.DataFrame) -> np.ndarray:
    return (X["z"].to_numpy() > 0).astype(int)


def half_increasing(X: pd.DataFrame) -> np.ndarray:
    """P(y=1) rises with x where z > 0 and falls where z < 0: half the rows violate
    'increase'."""
    return proba(1.0 / (1.0 + np.exp(-X["x"].to_numpy() * np.sign(X["z"].to_numpy()))))


def uses_group(X: pd.DataFrame) -> np.ndarray:
    return proba(1.0 / (1.0 + np.exp(-3.0 * X["x"].to_numpy() - 0.3 * X["g"].to_numpy())))


FLIPS = {"check": "perturbation", "shrink": 0}


def expected(rule: str, part) -> Status:
    """The verdict a rule gives, computed here from the part's own numbers (a bound ``<=``)."""
    bound, low, high = part.threshold.bound, part.interval.low, part.interval.high
    if rule == "point":
        return Status.PASSED if part.value <= bound else Status.FAILED
    if high <= bound:
        return Status.PASSED
    if low > bound:
        return Status.FAILED
    return Status.PASSED if rule == "lenient" else Status.INCONCLUSIVE


@pytest.mark.parametrize(("bound", "point"), [(0.032, Status.FAILED), (0.0322, Status.PASSED)])
def test_a_straddling_flip_rate_is_judged_by_the_gate_files_rule(tmp_path, bimodal, bound, point):
    check = {**FLIPS, "max_flip_rate": bound}
    strict = run_check(tmp_path, check, thresholds_noise, bimodal)
    assert strict.interval.low < bound < strict.interval.high  # straddles the bound
    assert strict.status is Status.INCONCLUSIVE, strict.message
    assert strict.decision_rule is None  # the default rule: result.json has no key
    assert [p.name for p in strict.parts] == ["flip_rate"]
    verdicts = {"strict": Status.INCONCLUSIVE, "lenient": Status.PASSED, "point": point}
    for rule in ("lenient", "point"):
        r = run_check(tmp_path, {**check, "decision_rule": rule}, thresholds_noise, bimodal)
        assert r.status is verdicts[rule] is expected(rule, strict.parts[0]), r.message
        assert r.decision_rule is DecisionRule(rule)
        assert r.message.endswith(f"[{rule} rule: {r.status.value}]")
        # the evidence is the strict run's: only the verdict changed
        assert (r.value, r.interval, r.threshold) == (
            strict.value,
            strict.interval,
            strict.threshold,
        )


def test_the_rule_decides_the_stage(tmp_path, bimodal):
    checks = [{**FLIPS, "max_flip_rate": 0.0322}]
    held = run_gate(
        write_gate(tmp_path, checks),
        models={"candidate": thresholds_noise},
        datasets={"evaluation": bimodal},
    )
    assert held.decisions[0].verdict.value == "hold"
    path = write_gate(tmp_path, [{**checks[0], "decision_rule": "point"}])
    run = run_gate(path, models={"candidate": thresholds_noise}, datasets={"evaluation": bimodal})
    assert run.decisions[0].verdict.value == "promote"
    doc = json.loads(json.dumps(run.results[0].to_dict()))
    assert doc["decision_rule"] == "point" and doc["status"] == "passed"
    assert doc["parts"][0]["name"] == "flip_rate"
    assert doc["parts"][0]["threshold"] == {"op": "<=", "value": 0.0322}


def test_no_rule_passes_a_flip_rate_whose_interval_lies_above_the_bound(tmp_path, bimodal):
    for rule in ("strict", "lenient", "point"):
        r = run_check(
            tmp_path,
            {**FLIPS, "max_flip_rate": 0.02, "decision_rule": rule},
            thresholds_noise,
            bimodal,
        )
        assert r.status is Status.FAILED, (rule, r.message)


def test_every_bound_is_a_part_and_each_is_judged_again(tmp_path, bimodal):
    """Flip rate, metric drop and both change sizes are parts; with the flip rate straddling
    its bound and the others clear of theirs, lenient passes and strict does not."""
    check = {
        **FLIPS,
        "max_flip_rate": 0.032,
        "metric": "accuracy",
        "max_metric_drop": 0.05,
        "max_mean_change": 0.5,
        "max_change_quantile": 0.9,
        "n_resamples": 200,
    }
    score = lambda X: proba(1.0 / (1.0 + np.exp(-30.0 * X["z"].to_numpy())))  # noqa: E731
    strict = run_check(tmp_path, check, score, bimodal)
    names = [p.name for p in strict.parts]
    assert names == ["flip_rate", "accuracy_drop", "mean_change", "change_quantile"]
    statuses = {p.name: p.status for p in strict.parts}
    assert statuses["flip_rate"] is Status.INCONCLUSIVE, strict.message
    assert {statuses[n] for n in names[1:]} == {Status.PASSED}
    assert all(p.threshold is not None and p.interval is not None for p in strict.parts)
    assert strict.status is Status.INCONCLUSIVE and strict.metric == "flip_rate"
    for rule in ("lenient", "point"):
        again = strict.rejudged(rule)
        assert again.status is expected(rule, strict.parts[0])
        assert [p.status for p in again.parts[1:]] == [Status.PASSED] * 3


def test_too_few_rows_stay_inconclusive_under_every_rule(tmp_path, bimodal):
    """With fewer changed rows than ``min_samples`` no bound was judged: the parts carry no
    threshold, so no rule turns them into a pass."""
    check = {
        **FLIPS,
        "max_flip_rate": 0.5,
        "max_mean_change": 0.9,
        "rows": "all",
        "min_samples": 5000,
    }
    score = lambda X: proba(1.0 / (1.0 + np.exp(-X["z"].to_numpy())))  # noqa: E731
    for rule in ("strict", "lenient", "point"):
        r = run_check(tmp_path, {**check, "decision_rule": rule}, score, bimodal)
        assert r.status is Status.INCONCLUSIVE, (rule, r.message)
        assert [p.threshold for p in r.parts] == [None, None]
        assert all("min_samples" in p.message for p in r.parts)
        # the headline still names the bound the check was asked for
        assert r.threshold.bound == 0.5 and r.interval.high < 0.5


def test_directional_violation_rate_is_judged_by_the_rule(tmp_path, bimodal):
    base = {
        "check": "directional",
        "columns": ["x"],
        "params": {"by": 1.0},
        "expect": "increase",
        "rows": 400,
        "shrink": 0,
    }
    probe = run_check(tmp_path, {**base, "max_violation_rate": 0.5}, half_increasing, bimodal)
    # a bound between the interval's low end and the estimate: point fails, lenient passes
    bound = round((probe.interval.low + probe.value) / 2, 4)
    check = {**base, "max_violation_rate": bound}
    strict = run_check(tmp_path, check, half_increasing, bimodal)
    assert strict.status is Status.INCONCLUSIVE, strict.message
    assert [p.name for p in strict.parts] == ["violation_rate"]
    for rule, status in (("lenient", Status.PASSED), ("point", Status.FAILED)):
        r = run_check(tmp_path, {**check, "decision_rule": rule}, half_increasing, bimodal)
        assert r.status is status is expected(rule, strict.parts[0]), r.message


def test_invariance_flip_rate_and_change_size_are_judged_by_the_rule(tmp_path, bimodal):
    data = bimodal.assign(g=np.random.default_rng(1).integers(0, 2, len(bimodal)))
    base = {"check": "invariance", "score_tolerance": 0.01, "shrink": 0}
    gate = {"sensitive": ["g"], "features": ["x", "z", "g"]}
    probe = run_check(tmp_path, {**base, "max_flip_rate": 0.5}, uses_group, data, **gate)
    bound = round((probe.value + probe.interval.high) / 2, 4)  # above the estimate
    check = {**base, "max_flip_rate": bound, "max_mean_change": 0.5}
    strict = run_check(tmp_path, check, uses_group, data, **gate)
    assert strict.status is Status.INCONCLUSIVE, strict.message
    assert [p.name for p in strict.parts] == ["flip_rate", "mean_change"]
    for rule in ("lenient", "point"):
        r = run_check(tmp_path, {**check, "decision_rule": rule}, uses_group, data, **gate)
        assert r.status is Status.PASSED, (rule, r.message)
        assert r.decision_rule is DecisionRule(rule)


def test_parts_round_trip_through_result_json(tmp_path, bimodal):
    r = run_check(tmp_path, {**FLIPS, "max_flip_rate": 0.032}, thresholds_noise, bimodal)
    doc = json.loads(json.dumps(r.to_dict(), default=lambda o: o.to_dict()))
    assert CheckResult.from_dict(doc).parts == r.parts
