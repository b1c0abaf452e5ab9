"""The gate under pytest-xdist (issue 14 item 6). The controller collects nothing; it knows the
plan from the gate file and from what the workers collected, so a check deselected with
``-k``, cut off by ``-x`` or lost with a crashed worker is ``skipped`` (or ``error``) in
result.json, never missing, and the stage holds, exactly as in a serial run."""

from __future__ import annotations

import pytest

from mlgate.core.decision import ExitCode

pytest.importorskip("xdist")

PY_CHECKS = """
import pytest
from mlgate import CheckResult


@pytest.mark.mlgate(stages="staging")
def test_py_ok():
    pass


@pytest.mark.mlgate(stages="staging")
def test_py_deselected():
    pass


@pytest.mark.mlgate(stages="staging")
def test_py_records_then_fails(mlgate_record):
    mlgate_record(CheckResult(check_id="x", kind="custom", status="passed", message="fine"))
    assert False, "broken after recording"
"""

CRASH = """
import os

import pytest


@pytest.mark.mlgate(stages="production")
def test_py_crashes():
    os._exit(3)
"""


def test_deselected_checks_are_skipped_and_hold_under_xdist(
    pytester, tiny, result_doc, statuses, result_schema
):
    tiny.write()
    pytester.makepyfile(test_py=PY_CHECKS)
    result = pytester.runpytest(
        "--mlgate", "-n", "2", "-k", "not roc_auc and not py_deselected", "-p", "no:randomly"
    )
    assert result.ret == ExitCode.HOLD
    doc = result_doc()
    assert list(result_schema.iter_errors(doc)) == []
    assert statuses(doc) == {
        "staging::test_py_ok": "passed",
        "staging::test_py_deselected": "skipped",
        "staging::test_py_records_then_fails": "failed",
        "staging::accuracy": "passed",
        "staging::roc_auc": "skipped",
        "production::accuracy": "passed",
        "production::log_loss": "warned",
    }
    by_id = {c["id"]: c for c in doc["checks"]}
    assert by_id["roc_auc"]["message"] == (
        "did not run: deselected (-k, -m, --lf, --sw or --deselect)"
    )
    assert by_id["test_py_records_then_fails"]["message"].startswith(
        "recorded passed (fine), then the test failed: AssertionError: broken after recording"
    )
    assert doc["run"]["partial"] is True
    assert doc["run"]["partial_reason"].startswith("2 of 7 planned checks did not run: 2 desel")
    assert [s["verdict"] for s in doc["stages"]] == ["hold", "promote_with_warnings"]


@pytest.mark.slow
def test_exitfirst_under_xdist_loses_no_check(pytester, tiny, result_doc, statuses):
    tiny.write(candidate="bad")
    result = pytester.runpytest("--mlgate", "-n", "2", "-x")
    assert result.ret == ExitCode.HOLD
    doc = result_doc()
    found = statuses(doc)
    assert set(found) == {
        "staging::accuracy",
        "staging::roc_auc",
        "production::accuracy",
        "production::log_loss",
    }
    assert "passed" not in found.values() and "skipped" in found.values()
    assert {s["verdict"] for s in doc["stages"]} == {"hold"}
    assert doc["run"]["partial"] is True


@pytest.mark.slow
def test_a_check_on_a_crashed_worker_is_an_error_and_holds(pytester, tiny, result_doc, statuses):
    tiny.write()
    pytester.makepyfile(test_crash=CRASH)
    result = pytester.runpytest("--mlgate", "-n", "2")
    assert result.ret == ExitCode.HOLD
    doc = result_doc()
    found = statuses(doc)
    assert found["production::test_py_crashes"] == "error"
    assert found["staging::accuracy"] == "passed" and len(found) == 5  # nothing vanished
    crashed = next(c for c in doc["checks"] if c["id"] == "test_py_crashes")
    assert crashed["message"].startswith(
        "did not run: the pytest-xdist worker running it crashed (worker 'gw"
    )
    assert [s["verdict"] for s in doc["stages"]] == ["promote", "hold"]
    assert "Traceback" not in result.stdout.str().split("mlgate gate")[1]


@pytest.mark.slow
def test_a_complete_xdist_run_decides_like_a_serial_one(pytester, tiny, result_doc):
    tiny.write()
    assert pytester.runpytest("--mlgate").ret == ExitCode.PROMOTE
    serial = result_doc()
    assert pytester.runpytest("--mlgate", "-n", "2").ret == ExitCode.PROMOTE
    parallel = result_doc()
    assert parallel["checks"] == serial["checks"] and parallel["stages"] == serial["stages"]
    assert parallel["run"]["partial"] is False
