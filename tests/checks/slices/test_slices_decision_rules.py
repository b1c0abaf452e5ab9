"""Decision rules on ``fairness`` and ``slice_discovery``: the fairness gap's bound is a part
judged on its bootstrap interval, so a gate's ``decision_rule`` re-judges it; discovery's
flags are corrected significance tests, which no rule changes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from slices_helpers import oracle, planted, run_one

from mlgate.core.result import DecisionRule, Status


def unequal(n: int, seed: int) -> pd.DataFrame:
    """Groups g0 / g1 with positive rates 0.6 / 0.4 and a model right 85% of the time in
    both: selection rates 0.57 and 0.43, a parity gap of 0.14."""
    rng = np.random.default_rng(seed)
    g = rng.choice(["g0", "g1"], n)
    y = (rng.random(n) < np.where(g == "g0", 0.6, 0.4)).astype(int)
    guess = np.where(rng.random(n) < 0.85, y, 1 - y)
    return pd.DataFrame({"group": g, "guess": guess, "y": y})


def echo(X: pd.DataFrame) -> np.ndarray:
    p = np.where(X["guess"].to_numpy() == 1, 0.9, 0.1)
    return np.column_stack([1 - p, p])


FAIRNESS = {"check": "fairness", "sensitive": ["group"]}


@pytest.fixture(scope="module")
def gap(tmp_path_factory):
    """The parity gap and its interval: the bootstrap is seeded by the check's id, so the
    interval is the same whatever ``max`` and rule are declared."""
    frame = unequal(2000, 7)
    r = run_one(tmp_path_factory.mktemp("gap"), {**FAIRNESS, "max": 1.0}, echo, frame)
    assert r.status is Status.PASSED
    (part,) = r.parts
    assert part.value == pytest.approx(0.14, abs=0.04)
    assert part.interval.low < part.value < part.interval.high
    return frame, part.value, part.interval


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
def test_a_fairness_gap_straddling_its_bound_is_judged_by_the_gate_files_rule(
    tmp_path, gap, estimate, rule, expected
):
    frame, value, ci = gap
    # max between the estimate and the interval's upper end, or between the lower end and it
    bound = round((value + ci.high) / 2 if estimate == "holds" else (ci.low + value) / 2, 6)
    check = {**FAIRNESS, "max": bound, "decision_rule": rule}
    r = run_one(tmp_path, check, echo, frame)
    assert r.status is expected, r.message
    (part,) = r.parts
    assert part.threshold.op == "<=" and part.threshold.bound == pytest.approx(bound)
    assert (part.interval.low, part.interval.high) == (ci.low, ci.high)
    # result.json keeps the strict headline and says which rule decided
    assert r.value == pytest.approx(value) and r.threshold.bound == pytest.approx(bound)
    assert r.decision_rule is (None if rule == "strict" else DecisionRule(rule))
    if expected is not Status.INCONCLUSIVE:
        assert r.message.endswith(f"[{rule} rule: {expected.value}]")


def test_a_fairness_gap_that_cannot_be_judged_stays_inconclusive_under_every_rule(tmp_path):
    frame = unequal(3000, 2)
    frame.loc[:9, "group"] = "tiny"  # a group below min_group_size, small_groups: inconclusive
    for rule in ("strict", "lenient", "point"):
        check = {**FAIRNESS, "max": 0.5, "decision_rule": rule}
        r = run_one(tmp_path, check, echo, frame)
        assert r.status is Status.INCONCLUSIVE, (rule, r.message)
        (part,) = r.parts
        assert part.threshold is None and "tiny" in part.message


def test_slice_discovery_flags_are_tests_that_no_rule_changes(tmp_path):
    frame = planted(4000, 0)
    features = ["region", "age", "income", "device"]
    results = {
        rule: run_one(
            tmp_path,
            {"check": "slice_discovery", "features": features, "decision_rule": rule},
            oracle,
            frame,
        )
        for rule in ("strict", "lenient", "point")
    }
    strict = results["strict"]
    assert strict.status is Status.FAILED
    assert all(p.threshold is None for p in strict.parts)
    flagged = [p for p in strict.parts if p.status is Status.FAILED]
    assert len(flagged) == min(strict.evidence["n_flagged"], len(strict.parts)) > 0
    rows = strict.evidence["slices"].rows
    assert [p.name for p in strict.parts] == [row["slice"] for row in rows]
    assert [p.value for p in strict.parts] == [row["p_adjusted"] for row in rows]
    for rule in ("lenient", "point"):
        r = results[rule]
        assert r.status is Status.FAILED and r.message == strict.message
        assert [p.status for p in r.parts] == [p.status for p in strict.parts]


def test_slice_discovery_without_a_slice_to_test_is_one_inconclusive_part(tmp_path):
    frame = planted(100, 1)
    check = {"check": "slice_discovery", "features": ["region"], "min_size": 80}
    r = run_one(tmp_path, {**check, "decision_rule": "lenient"}, oracle, frame)
    assert r.status is Status.INCONCLUSIVE
    (part,) = r.parts
    assert part.name == "slice search" and part.threshold is None
