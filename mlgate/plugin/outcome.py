"""A gate item's check result and its pytest outcome, both ways.

:func:`apply_outcome` turns a check result into the item's pytest outcome (fail, skip, warn).
:func:`phase_result` turns the outcome of each phase of the item's run back into its check
result: the test's own failure or error in any phase overrides what it recorded, so a test
that records ``passed`` and then fails its assert is a failed check, never a pass.
"""

from __future__ import annotations

import warnings
from dataclasses import replace
from typing import TYPE_CHECKING

import pytest

from mlgate.core.result import CheckResult, Status
from mlgate.plugin.text import terminal_safe

if TYPE_CHECKING:
    from mlgate.plugin.markers import CheckMeta


class MlgateCheckWarning(UserWarning):
    """A gate check warned, or a warn-severity check did not pass.

    Its only argument is its text (pytest-xdist rebuilds warnings from their arguments);
    :meth:`of` makes one for a result and keeps the result on it."""

    result: CheckResult | None = None

    @classmethod
    def of(cls, result: CheckResult) -> MlgateCheckWarning:
        warning = cls(terminal_safe(f"{result.check_id} {result.status.value}: {result.message}"))
        warning.result = result
        return warning


class CheckFailed(Exception):
    """Raised by a gate item whose blocking check did not pass; pytest shows its message."""

    def __init__(self, result: CheckResult) -> None:
        self.result = result
        super().__init__(terminal_safe(f"{result.status.value}: {result.message}"))


def apply_outcome(
    result: CheckResult, *, where: tuple[str, int] | None = None, stacklevel: int = 2
) -> None:
    """Fail, skip, warn or do nothing, as the result's status and severity say.

    A warning points at ``where`` (file, line: a gate-file check's line) when given, else
    ``stacklevel`` frames up (the Python check that recorded the result)."""
    if result.status is Status.SKIPPED:
        pytest.skip(terminal_safe(result.message or "check skipped"))
    if result.blocks:
        raise CheckFailed(result)
    if result.status is not Status.PASSED:  # warned, or a warn-severity check not passing
        if where is not None:
            warnings.warn_explicit(MlgateCheckWarning.of(result), MlgateCheckWarning, *where)
        else:
            warnings.warn(MlgateCheckWarning.of(result), stacklevel=stacklevel + 1)


def phase_result(
    meta: CheckMeta,
    current: CheckResult | None,
    call: pytest.CallInfo[None],
    report: pytest.TestReport,
) -> CheckResult | None:
    """The check result of a gate item after one phase (setup, call, teardown) of its run.

    ``current`` is what is known before this phase: the result a gate-file check produced or
    a Python check recorded, or the result of an earlier phase. Returns None when nothing is
    decided yet (a setup that passed). The item's own failure or error, in any phase,
    overrides ``current`` (the worse status wins, :meth:`Status.worst`); the outcome that
    :func:`apply_outcome` raised for ``current`` itself does not.
    """
    if _raised_for(current, call):
        return current
    if report.failed:
        if call.when == "call" and call.excinfo is not None:
            assert_failed = call.excinfo.errisinstance(AssertionError)
            status = Status.FAILED if assert_failed else Status.ERROR
        else:
            status = Status.ERROR
        where = "" if call.when == "call" else f"in {call.when}: "
        return _overridden(meta, current, status, f"{where}{_short(call.excinfo)}", "failed")
    if report.skipped:
        reason = _skip_reason(report)
        return _overridden(meta, current, Status.SKIPPED, reason, "skipped")
    if current is not None or call.when != "call":
        return current
    return _stamped(
        meta, CheckResult(meta.check_id, meta.kind, status=Status.PASSED, message="test passed")
    )


def _raised_for(current: CheckResult | None, call: pytest.CallInfo[None]) -> bool:
    """True when the phase's exception is the outcome apply_outcome gave ``current``."""
    if current is None or call.excinfo is None:
        return False
    value = call.excinfo.value
    if isinstance(value, (CheckFailed, MlgateCheckWarning)):
        return value.result is current
    return current.status is Status.SKIPPED and call.excinfo.errisinstance(pytest.skip.Exception)


def _overridden(
    meta: CheckMeta, current: CheckResult | None, status: Status, text: str, verb: str
) -> CheckResult:
    if current is None:
        return _stamped(meta, CheckResult(meta.check_id, meta.kind, status=status, message=text))
    message = f"recorded {current.status.value} ({current.message}), then the test {verb}: {text}"
    worst = Status.worst([current.status, status])
    return _stamped(meta, replace(current, status=worst, message=message))


def _stamped(meta: CheckMeta, result: CheckResult) -> CheckResult:
    from mlgate.core.runner import finalize

    return finalize(
        result,
        check_id=meta.check_id,
        stages=meta.stages,
        severity=meta.severity,
        check_type=meta.check_type,
    )


def _short(excinfo: pytest.ExceptionInfo[BaseException] | None) -> str:
    if excinfo is None:
        return "failed"
    text = str(excinfo.value).strip().splitlines()
    first = text[0] if text else ""
    return f"{excinfo.typename}: {first}" if first else excinfo.typename


def _skip_reason(report: pytest.TestReport) -> str:
    if hasattr(report, "wasxfail"):
        return f"xfail: {report.wasxfail}".rstrip(": ")
    if isinstance(report.longrepr, tuple) and len(report.longrepr) == 3:
        return str(report.longrepr[2]).removeprefix("Skipped: ")
    return "skipped"
