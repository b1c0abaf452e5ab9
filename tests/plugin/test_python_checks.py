"""Python tests marked as gate checks: outcome → check result, fixtures, marker errors."""

from __future__ import annotations

import json

import pytest

from mlgate.core.decision import ExitCode

CHECKS = """
    import pytest
    from mlgate import CheckResult, Status

    @pytest.mark.mlgate(kind="sanity", stages=["staging"])
    def test_context_is_there(mlgate):
        assert mlgate.seed == 0
        assert mlgate.task.value == "binary"
        assert len(mlgate.dataset("evaluation")) == 400
        assert mlgate.candidate.kind == "callable"
        assert mlgate.champion is not None
        preds = mlgate.predict("candidate", "evaluation")
        assert preds.scores.shape == (400, 2)

    @pytest.mark.mlgate(kind="sanity", severity="warn", id="soft", stages="production")
    def test_soft_failure():
        assert 0.5 > 0.9, "too low"

    @pytest.mark.mlgate(kind="custom", id="recorded")
    def test_records(mlgate_record):
        mlgate_record(CheckResult(check_id="ignored", kind="custom", status=Status.PASSED,
                                  metric="m", value=1.0, message="fine"))

    def test_not_a_gate_check():
        pass
"""


@pytest.fixture
def gate(pytester, gate_writer):
    gate_writer.folder = pytester.path
    gate_writer.module = "gatefix_python_checks"
    gate_writer.write()
    return gate_writer


def _checks(pytester) -> dict:
    doc = json.loads((pytester.path / "reports" / "result.json").read_text())
    return {c["id"]: c for c in doc["checks"]}, doc


def test_marked_tests_become_checks_of_their_stages(pytester, gate):
    pytester.makepyfile(test_checks=CHECKS)
    result = pytester.runpytest("--mlgate", "-W", "ignore::UserWarning")
    assert result.ret == ExitCode.PROMOTE, result.stdout.str()
    checks, doc = _checks(pytester)
    assert checks["test_context_is_there"]["status"] == "passed"
    assert checks["test_context_is_there"]["stages"] == ["staging"]
    soft = checks["soft"]
    assert (soft["status"], soft["severity"], soft["stages"]) == ("warned", "warn", ["production"])
    assert "too low" in soft["message"]
    recorded = checks["recorded"]
    assert recorded["stages"] == ["staging", "production"] and recorded["value"] == 1.0
    assert recorded["check"] == "python"
    assert "test_not_a_gate_check" not in checks
    assert [s["verdict"] for s in doc["stages"]] == ["promote", "promote_with_warnings"]


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ("assert False, 'broken'", "failed"),
        ("raise RuntimeError('boom')", "error"),
        ("pytest.skip('no gpu')", "skipped"),
    ],
    ids=["assertion-fails", "exception-errors", "skip-is-not-a-pass"],
)
def test_blocking_python_check_outcomes_hold(pytester, gate, body, status):
    pytester.makepyfile(
        test_block=f"""
        import pytest

        @pytest.mark.mlgate(kind="sanity", stages=["staging"])
        def test_blocking():
            {body}
    """
    )
    result = pytester.runpytest("--mlgate")
    assert result.ret == ExitCode.HOLD
    checks, doc = _checks(pytester)
    assert checks["test_blocking"]["status"] == status
    assert doc["stages"][0]["verdict"] == "hold"
    assert doc["stages"][1]["verdict"] == "promote_with_warnings"  # its log_loss warns


def test_recorded_blocking_failure_fails_the_test(pytester, gate):
    pytester.makepyfile(
        test_rec="""
        import pytest
        from mlgate import CheckResult

        @pytest.mark.mlgate(stages=["staging"])
        def test_rec(mlgate_record):
            mlgate_record(CheckResult(check_id="x", kind="custom", status="failed",
                                      message="metric below bound"))
    """
    )
    result = pytester.runpytest("--mlgate")
    assert result.ret == ExitCode.HOLD
    result.stdout.fnmatch_lines(
        [
            "*CheckFailed: failed: metric below bound",
            "FAILED*block staging::test_rec — metric below bound",
        ]
    )


@pytest.mark.parametrize(
    ("marker", "message"),
    [
        ("stages=['qa']", "names stage(s) ['qa'] the gate does not declare"),
        ("severity='fatal'", "severity='fatal'; expected 'block' or 'warn'"),
        ("level=3", "unknown @pytest.mark.mlgate argument(s) ['level']"),
        ("'staging'", "takes keyword arguments only"),
    ],
)
def test_bad_marker_arguments_are_usage_errors(pytester, gate, marker, message):
    pytester.makepyfile(
        test_bad=f"""
        import pytest

        @pytest.mark.mlgate({marker})
        def test_x():
            pass
    """
    )
    result = pytester.runpytest("--mlgate")
    assert result.ret == ExitCode.USAGE_ERROR
    assert message in result.stderr.str()
    assert "test_bad.py::test_x" in result.stderr.str()


RECORD_PASSED = """mlgate_record(CheckResult(check_id="x", kind="custom", status="passed",
                                      metric="m", value=1.0, message="fine"))"""


@pytest.mark.parametrize(
    ("after", "status", "words"),
    [
        (
            "assert 0.5 > 0.9, 'broken after'",
            "failed",
            "recorded passed (fine), then the test failed: AssertionError: broken after",
        ),
        (
            "raise RuntimeError('boom')",
            "error",
            "recorded passed (fine), then the test failed: RuntimeError: boom",
        ),
        (
            "pytest.skip('no gpu')",
            "skipped",
            "recorded passed (fine), then the test skipped: no gpu",
        ),
        (
            "teardown_fails.append(1)",
            "error",
            "recorded passed (fine), then the test failed: in teardown: RuntimeError: cleanup",
        ),
    ],
    ids=["assert-after-record", "raise-after-record", "skip-after-record", "teardown-error"],
)
def test_the_items_own_failure_overrides_what_it_recorded(pytester, gate, after, status, words):
    """Issue 14 item 7: recording PASSED and then failing must never count as passed."""
    pytester.makepyfile(
        test_rec=f"""
        import pytest
        from mlgate import CheckResult

        teardown_fails = []

        @pytest.fixture
        def cleanup():
            yield
            if teardown_fails:
                raise RuntimeError("cleanup")

        @pytest.mark.mlgate(stages=["staging"])
        def test_rec(mlgate_record, cleanup):
            {RECORD_PASSED}
            {after}
    """
    )
    result = pytester.runpytest("--mlgate")
    assert result.ret == ExitCode.HOLD
    checks, doc = _checks(pytester)
    rec = checks["test_rec"]
    assert (rec["status"], rec["message"]) == (status, words)
    assert rec["value"] == 1.0  # what it recorded is kept as evidence
    assert doc["stages"][0]["verdict"] == "hold"
    assert f"test_rec {status}: {words}" in doc["stages"][0]["reasons"]


def test_a_teardown_error_after_a_plain_pass_is_an_error(pytester, gate):
    pytester.makepyfile(
        test_td="""
        import pytest

        @pytest.fixture
        def broken():
            yield
            raise OSError("disk gone")

        @pytest.mark.mlgate(stages=["staging"])
        def test_td(broken):
            pass
    """
    )
    result = pytester.runpytest("--mlgate")
    assert result.ret == ExitCode.HOLD
    checks, _ = _checks(pytester)
    assert checks["test_td"]["status"] == "error"
    assert checks["test_td"]["message"] == (
        "recorded passed (test passed), then the test failed: in teardown: OSError: disk gone"
    )


def test_a_warn_check_that_fails_after_recording_is_warned_not_failed(pytester, gate):
    pytester.makepyfile(
        test_soft=f"""
        import pytest
        from mlgate import CheckResult

        @pytest.mark.mlgate(severity="warn", stages=["staging"])
        def test_soft(mlgate_record):
            {RECORD_PASSED}
            assert False, "soft after all"
    """
    )
    result = pytester.runpytest("--mlgate")
    assert result.ret == ExitCode.PROMOTE
    checks, doc = _checks(pytester)
    assert checks["test_soft"]["status"] == "warned"
    assert "then the test failed: AssertionError: soft after all" in checks["test_soft"]["message"]
    assert doc["stages"][0]["verdict"] == "promote_with_warnings"
