"""The kernel's verdict primitives: one status precedence, one bound judgement, parts, rounding."""

from __future__ import annotations

import itertools
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mlgate.core.result import (
    PRECEDENCE,
    CheckResult,
    DecisionRule,
    Interval,
    Part,
    Status,
    Threshold,
    rounded,
)


def iv(low: float, high: float) -> Interval:
    return Interval(low, high, 0.95, "test")


# -- Status.worst --------------------------------------------------------------------------
def test_precedence_lists_every_status_once():
    assert sorted(s.value for s in PRECEDENCE) == sorted(s.value for s in Status)


@pytest.mark.parametrize("parts", list(itertools.combinations(list(Status), 2)))
def test_worst_of_two_is_the_earlier_in_precedence(parts):
    expected = min(parts, key=PRECEDENCE.index)
    assert Status.worst(parts) is expected
    assert Status.worst(reversed(parts)) is expected


def test_failed_outranks_error_a_failed_part_is_evidence_against_the_model():
    assert Status.worst([Status.ERROR, Status.FAILED]) is Status.FAILED


def test_no_parts_is_inconclusive_never_a_pass():
    assert Status.worst([]) is Status.INCONCLUSIVE
    assert Status.worst([], empty=Status.PASSED) is Status.PASSED


def test_worst_accepts_strings_and_records():
    parts = [Part("a", "passed"), Part("b", Status.INCONCLUSIVE)]
    assert Status.worst(parts) is Status.INCONCLUSIVE
    assert Status.worst(["passed", "warned"]) is Status.WARNED
    with pytest.raises(ValueError):
        Status.worst(["fine"])


# -- Threshold.judge -----------------------------------------------------------------------
def _reference(op: str, bound: float, low: float, high: float, rule: str) -> Status:
    """Written from the definition, independently of the implementation."""
    if math.isnan(low) or math.isnan(high):
        return Status.INCONCLUSIVE
    all_ok = low >= bound if op == ">=" else high <= bound
    all_bad = high < bound if op == ">=" else low > bound
    if all_ok:
        return Status.PASSED
    if all_bad:
        return Status.FAILED
    return Status.PASSED if rule == "lenient" else Status.INCONCLUSIVE


finite = st.floats(-10, 10, allow_nan=False)


@given(
    op=st.sampled_from([">=", "<="]),
    bound=finite,
    a=finite,
    b=finite,
    rule=st.sampled_from(["strict", "lenient"]),
)
def test_judge_matches_the_definition(op, bound, a, b, rule):
    low, high = min(a, b), max(a, b)
    assert Threshold(op, bound).judge(iv(low, high), rule=rule) is _reference(
        op, bound, low, high, rule
    )


@pytest.mark.parametrize(
    ("op", "low", "high", "expected"),
    [
        (">=", 0.80, 0.90, Status.PASSED),  # the bound itself counts as respected
        (">=", 0.79, 0.90, Status.INCONCLUSIVE),
        (">=", 0.70, 0.7999, Status.FAILED),
        (">=", 0.70, 0.80, Status.INCONCLUSIVE),  # touching the bound is not wholly below
        ("<=", 0.70, 0.80, Status.PASSED),
        ("<=", 0.7999, 0.90, Status.INCONCLUSIVE),
        ("<=", 0.8001, 0.90, Status.FAILED),
    ],
)
def test_judge_at_the_edges(op, low, high, expected):
    assert Threshold(op, 0.8).judge(iv(low, high)) is expected


def test_no_interval_or_nan_is_inconclusive_under_every_interval_rule():
    t = Threshold(">=", 0.5)
    for rule in ("strict", "lenient"):
        assert t.judge(None, rule=rule) is Status.INCONCLUSIVE
        assert t.judge(iv(math.nan, 0.9), rule=rule) is Status.INCONCLUSIVE
    assert t.judge(iv(-math.inf, math.inf)) is Status.INCONCLUSIVE
    assert t.judge(iv(0.6, math.inf)) is Status.PASSED


def test_point_rule_judges_the_estimate_alone():
    t = Threshold("<=", 0.1)
    assert t.judge(iv(0.0, 0.5), value=0.09, rule=DecisionRule.POINT) is Status.PASSED
    assert t.judge(None, value=0.11, rule="point") is Status.FAILED
    assert t.judge(None, value=None, rule="point") is Status.INCONCLUSIVE
    assert t.judge(None, value=math.nan, rule="point") is Status.INCONCLUSIVE


def test_unknown_rule_is_refused():
    with pytest.raises(ValueError):
        Threshold(">=", 0).judge(iv(0, 1), rule="optimistic")


# -- parts -----------------------------------------------------------------------------------
def test_from_parts_takes_status_and_headline_from_the_decisive_part():
    parts = [
        Part("auc", Status.PASSED, value=0.9, interval=iv(0.88, 0.92)),
        Part("recall", Status.FAILED, value=0.5, threshold=Threshold(">=", 0.7), message="low"),
        Part("f1", Status.FAILED, value=0.4),
    ]
    r = CheckResult.from_parts("performance", parts)
    assert r.status is Status.FAILED
    assert (r.value, r.threshold, r.message) == (0.5, Threshold(">=", 0.7), "recall: low")


def test_from_parts_keeps_what_the_check_states():
    r = CheckResult.from_parts("k", [Part("a", "passed", value=1.0)], message="mine", value=2.0)
    assert (r.status, r.value, r.message) == (Status.PASSED, 2.0, "mine")


def test_from_no_parts_is_inconclusive_and_says_so():
    r = CheckResult.from_parts("k", [])
    assert r.status is Status.INCONCLUSIVE
    assert r.message == "no part to judge"


def test_part_to_dict_is_json_ready():
    d = Part("a", "failed", value=math.inf, interval=iv(0, 1)).to_dict()
    assert d["status"] == "failed" and d["value"] is None and d["interval"]["low"] == 0


# -- rounding --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("x", "kwargs", "expected"),
    [
        (0.1234567, {}, 0.123457),
        (2, {}, 2.0),
        (1.23456789e-9, {"significant": True}, 1.23457e-09),
        (0.000123456789123456, {"digits": 12, "significant": True}, 0.000123456789123),
        (None, {}, None),
        (math.nan, {}, None),
        (-math.inf, {}, None),
    ],
)
def test_rounded(x, kwargs, expected):
    assert rounded(x, **kwargs) == expected
