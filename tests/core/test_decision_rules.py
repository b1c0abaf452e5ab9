"""Decision rules (strict / lenient / point) per gate, stage and check, and what an
inconclusive check does to its stage: policies as teams already write them."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest

from mlgate.core.decision import Verdict, decide_stage
from mlgate.core.gate import open_gate
from mlgate.core.result import (
    CheckResult,
    DecisionRule,
    Interval,
    Part,
    Severity,
    Status,
    Threshold,
)
from mlgate.core.runner import run_gate


def iv(low, high):
    return Interval(low, high, 0.95, "test")


STRADDLING = Part("auc", Status.INCONCLUSIVE, 0.81, iv(0.78, 0.84), Threshold(">=", 0.8))
BELOW = Part("recall", Status.INCONCLUSIVE, 0.79, iv(0.75, 0.83), Threshold(">=", 0.8))
CLEAR = Part("f1", Status.PASSED, 0.9, iv(0.88, 0.92), Threshold(">=", 0.8))
ERRORED = Part("brier", Status.ERROR, message="no scores")
COUNTED = Part("rows", Status.PASSED, 3.0, None, Threshold(">=", 1))  # judged without interval


def result(*parts):
    return CheckResult.from_parts("performance", parts, check_id="c")


@pytest.mark.parametrize(
    ("rule", "parts", "expected"),
    [
        ("strict", (STRADDLING, CLEAR), Status.INCONCLUSIVE),
        ("lenient", (STRADDLING, CLEAR), Status.PASSED),
        ("point", (STRADDLING, CLEAR), Status.PASSED),
        ("point", (BELOW, CLEAR), Status.FAILED),  # the estimate 0.79 < 0.8 decides
        ("lenient", (BELOW, CLEAR), Status.PASSED),
        ("lenient", (STRADDLING, ERRORED), Status.ERROR),  # an error is never re-judged away
        ("point", (COUNTED,), Status.PASSED),  # not judged on an interval: kept
    ],
)
def test_parts_are_judged_again_under_the_rule(rule, parts, expected):
    r = result(*parts).rejudged(rule)
    assert r.status is expected
    could_apply = any(p.judged_on_interval for p in parts)
    # The rule is recorded only where it could decide something: strict is the default, and
    # a check of counts and tests alone is judged as it was whatever the rule.
    assert r.decision_rule is (None if rule == "strict" or not could_apply else DecisionRule(rule))


def test_a_changed_status_is_said_in_the_message_and_kept_in_result_json():
    r = result(STRADDLING).rejudged("lenient")
    assert r.message.endswith("[lenient rule: passed]")
    doc = json.loads(json.dumps(r.to_dict()))
    assert doc["decision_rule"] == "lenient"
    assert [p["status"] for p in doc["parts"]] == ["passed"]
    assert CheckResult.from_dict(doc) == r


def test_a_result_without_parts_is_not_judged_again_on_its_headline():
    """The headline bound may be one criterion of several (a slice's metric, while a
    significance test failed it): judging it alone could hide a failure, so the kernel only
    re-judges declared parts."""
    r = CheckResult(
        "slices",
        "slice",
        Status.FAILED,
        value=0.91,
        interval=iv(0.89, 0.93),
        threshold=Threshold(">=", 0.9),
        message="significantly worse than the rest",
    )
    for rule in ("lenient", "point"):
        again = r.rejudged(rule)
        assert again.status is Status.FAILED
        assert again.decision_rule is None  # the rule did not apply, and result.json says so


@pytest.mark.parametrize(
    ("policy", "verdict"),
    [("hold", Verdict.HOLD), ("warn", Verdict.PROMOTE_WITH_WARNINGS), ("pass", Verdict.PROMOTE)],
)
def test_what_an_inconclusive_check_does_to_its_stage(policy, verdict):
    results = [
        CheckResult("a", "k", Status.PASSED, stages=("s",)),
        CheckResult("b", "k", Status.INCONCLUSIVE, stages=("s",), severity=Severity.BLOCK),
    ]
    assert decide_stage("s", results, inconclusive=policy).verdict is verdict


@pytest.mark.parametrize("policy", ["warn", "pass"])
def test_a_stage_where_nothing_was_shown_still_holds(policy):
    results = [CheckResult("b", "k", Status.INCONCLUSIVE, stages=("s",))]
    assert decide_stage("s", results, inconclusive=policy).verdict is Verdict.HOLD


def test_failures_still_hold_whatever_the_inconclusive_policy():
    results = [CheckResult("a", "k", Status.FAILED, stages=("s",))]
    assert decide_stage("s", results, inconclusive="pass").verdict is Verdict.HOLD
    with pytest.raises(ValueError, match="hold, warn or pass"):
        decide_stage("s", results, inconclusive="maybe")


def gate_file(tmp_path, top="", stage="", check=""):
    y = np.arange(400) % 2
    # A model right on exactly 364 of 400 rows (91%): its interval straddles 0.9.
    wrong = np.random.default_rng(3).choice(400, size=36, replace=False)
    pred = y.copy()
    pred[wrong] = 1 - pred[wrong]
    pd.DataFrame({"pred": pred, "y": y}).to_csv(tmp_path / "eval.csv", index=False)
    module = "rule_models_" + re.sub(r"\W", "_", tmp_path.name)  # Python caches by name
    (tmp_path / f"{module}.py").write_text(
        "import numpy as np\ndef echo():\n    return lambda X: np.asarray(X['pred'])\n"
    )
    path = tmp_path / "mlgate.yaml"
    path.write_text(
        f"name: rules\ntask: binary\n{top}"
        f"models: {{candidate: {{factory: '{module}:echo', classes: [0, 1]}}}}\n"
        "datasets: {evaluation: {path: eval.csv, label: y}}\n"
        f"stages:\n  staging:\n    {stage}\n    checks:\n"
        f"      - {{check: metric_threshold, metric: accuracy, min: 0.9, {check}}}\n"
        "      - {check: metric_threshold, id: better-than-a-coin, metric: accuracy, min: 0.6}\n"
    )
    return path


@pytest.mark.parametrize(
    ("where", "verdict"),
    [
        ({}, "hold"),
        ({"top": "decision_rule: lenient\n"}, "promote"),
        ({"stage": "decision_rule: point"}, "promote"),
        ({"check": "decision_rule: lenient"}, "promote"),
        ({"top": "decision_rule: lenient\n", "check": "decision_rule: strict"}, "hold"),
        ({"stage": "inconclusive: warn"}, "promote_with_warnings"),
    ],
)
def test_rules_in_the_gate_file_check_over_stage_over_gate(tmp_path, where, verdict):
    path = gate_file(tmp_path, **where)
    run = run_gate(path)
    assert run.results[0].interval.low < 0.9 < run.results[0].interval.high
    assert run.decisions[0].verdict.value == verdict


def test_an_unknown_rule_is_a_gate_file_error(tmp_path):
    from mlgate.core.errors import ConfigError

    with pytest.raises(ConfigError, match="decision_rule"):
        open_gate(gate_file(tmp_path, check="decision_rule: optimistic"))
