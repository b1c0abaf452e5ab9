"""The decision table (``decide_stage``), the exit code, and ``finalize``'s warn rule."""

from __future__ import annotations

import pytest

from mlgate.core.decision import ExitCode, StageDecision, Verdict, decide_stage, exit_code
from mlgate.core.result import CheckResult, Severity, Status
from mlgate.core.runner import finalize

STAGE = "staging"


def result(
    check_id: str, status: str, severity: str = "block", stages: tuple[str, ...] = (STAGE,)
) -> CheckResult:
    """A finalized result, as the runner hands them to ``decide_stage``."""
    raw = CheckResult(check_id="?", kind="metric", status=status, message=f"message of {check_id}")
    return finalize(
        raw,
        check_id=check_id,
        stages=stages,
        severity=Severity(severity),
        check_type="metric_threshold",
    )


PASS = [result("acc", "passed"), result("auc", "passed")]

NOTHING_RAN = ("no check of this stage ran",)

# (results, verdict, checks named in the reasons, or the reasons themselves)
TABLE = {
    "all-passed": (PASS, Verdict.PROMOTE, []),
    "passed-warn-severity": ([*PASS, result("ece", "passed", "warn")], Verdict.PROMOTE, []),
    "block-failed": ([*PASS, result("f1", "failed")], Verdict.HOLD, ["f1"]),
    "block-error": ([*PASS, result("f1", "error")], Verdict.HOLD, ["f1"]),
    "block-inconclusive": ([*PASS, result("f1", "inconclusive")], Verdict.HOLD, ["f1"]),
    "block-skipped": ([*PASS, result("f1", "skipped")], Verdict.HOLD, ["f1"]),
    "two-blocking": ([result("f1", "failed"), result("auc", "error")], Verdict.HOLD, ["f1", "auc"]),
    "warn-failed-becomes-warned": (
        [*PASS, result("ece", "failed", "warn")],
        Verdict.PROMOTE_WITH_WARNINGS,
        ["ece"],
    ),
    "warned-status-of-block-check": (
        [*PASS, result("ece", "warned")],
        Verdict.PROMOTE_WITH_WARNINGS,
        ["ece"],
    ),
    "warn-inconclusive": (
        [*PASS, result("ece", "inconclusive", "warn")],
        Verdict.PROMOTE_WITH_WARNINGS,
        ["ece"],
    ),
    "warn-error": ([*PASS, result("ece", "error", "warn")], Verdict.PROMOTE_WITH_WARNINGS, ["ece"]),
    "warn-skipped": (
        [*PASS, result("ece", "skipped", "warn")],
        Verdict.PROMOTE_WITH_WARNINGS,
        ["ece"],
    ),
    "block-failure-beats-warnings": (
        [result("ece", "failed", "warn"), result("f1", "failed")],
        Verdict.HOLD,
        ["f1"],
    ),
    "no-results": ([], Verdict.HOLD, NOTHING_RAN),
    "only-other-stages-results": (
        [result("f1", "passed", stages=("production",))],
        Verdict.HOLD,
        NOTHING_RAN,
    ),
    "other-stages-failure-ignored": (
        [*PASS, result("f1", "failed", stages=("production",))],
        Verdict.PROMOTE,
        [],
    ),
    "result-of-two-stages-counts-in-each": (
        [*PASS, result("f1", "failed", stages=("production", STAGE))],
        Verdict.HOLD,
        ["f1"],
    ),
}


@pytest.mark.parametrize(("results", "verdict", "named"), TABLE.values(), ids=TABLE.keys())
def test_decision_table(results, verdict, named):
    decision = decide_stage(STAGE, results)
    assert decision.stage == STAGE
    assert decision.verdict is verdict
    if named is NOTHING_RAN:
        assert decision.reasons == NOTHING_RAN
        return
    assert [reason.split(" ")[0] for reason in decision.reasons] == named
    for check_id in named:
        mine = next(r for r in results if r.check_id == check_id)
        assert f"{check_id} {mine.status.value}: message of {check_id}" in decision.reasons


def test_stage_without_results_counts_nothing():
    decision = decide_stage(STAGE, [result("f1", "passed", stages=("production",))])
    assert sum(decision.counts.values()) == 0


def test_counts_cover_every_status_of_this_stage_only():
    results = [
        result("a", "passed"),
        result("b", "passed"),
        result("c", "failed", "warn"),
        result("d", "inconclusive"),
        result("e", "error", stages=("production",)),
    ]
    counts = decide_stage(STAGE, results).counts
    assert list(counts) == [s.value for s in Status]
    assert counts == {
        "passed": 2,
        "failed": 0,
        "warned": 1,
        "inconclusive": 1,
        "error": 0,
        "skipped": 0,
    }


def test_stage_decision_to_dict():
    decision = decide_stage(STAGE, [result("f1", "failed")])
    assert decision.to_dict() == {
        "name": STAGE,
        "verdict": "hold",
        "reasons": ["f1 failed: message of f1"],
        "counts": {
            "passed": 0,
            "failed": 1,
            "warned": 0,
            "inconclusive": 0,
            "error": 0,
            "skipped": 0,
        },
    }


def _decision(verdict: Verdict) -> StageDecision:
    return StageDecision("s", verdict, (), {})


@pytest.mark.parametrize(
    ("verdicts", "code"),
    [
        ([], ExitCode.PROMOTE),
        ([Verdict.PROMOTE], ExitCode.PROMOTE),
        ([Verdict.PROMOTE, Verdict.PROMOTE_WITH_WARNINGS], ExitCode.PROMOTE),
        ([Verdict.HOLD], ExitCode.HOLD),
        ([Verdict.PROMOTE, Verdict.HOLD, Verdict.PROMOTE_WITH_WARNINGS], ExitCode.HOLD),
    ],
    ids=["no-stages", "promote", "promote+warnings", "hold", "one-of-three-holds"],
)
def test_exit_code(verdicts, code):
    assert exit_code(_decision(v) for v in verdicts) is code


def test_exit_code_values_are_documented_numbers():
    assert (int(ExitCode.PROMOTE), int(ExitCode.HOLD)) == (0, 10)


# -- finalize -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "severity", "final"),
    [
        ("failed", "warn", Status.WARNED),
        ("failed", "block", Status.FAILED),
        ("passed", "warn", Status.PASSED),
        ("inconclusive", "warn", Status.INCONCLUSIVE),
        ("error", "warn", Status.ERROR),
        ("inconclusive", "block", Status.INCONCLUSIVE),
    ],
    ids=lambda v: v.value if isinstance(v, Status) else v,
)
def test_finalize_turns_only_warn_failures_into_warned(status, severity, final):
    raw = CheckResult(check_id="?", kind="metric", status=status, message="m", value=0.5)
    done = finalize(
        raw,
        check_id="acc",
        stages=("ci", "prod"),
        severity=Severity(severity),
        check_type="metric_threshold",
    )
    assert done.status is final
    assert (done.check_id, done.stages, done.severity, done.check_type) == (
        "acc",
        ("ci", "prod"),
        Severity(severity),
        "metric_threshold",
    )
    assert (done.message, done.value) == ("m", 0.5)
    assert (raw.check_id, raw.status) == ("?", Status(status))  # the input is not changed
