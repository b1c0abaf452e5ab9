"""Turn a check result into the pytest outcome of its item."""

from __future__ import annotations

import warnings

import pytest

from mlgate.core.result import CheckResult, Status


class MlgateCheckWarning(UserWarning):
    """A gate check warned, or a warn-severity check did not pass."""


class CheckFailed(Exception):
    """Raised by a gate item whose blocking check did not pass; pytest shows its message."""

    def __init__(self, result: CheckResult) -> None:
        self.result = result
        super().__init__(f"{result.status.value}: {result.message}")


def apply_outcome(result: CheckResult) -> None:
    """Fail, skip, warn or do nothing, as the result's status and severity say."""
    if result.status is Status.SKIPPED:
        pytest.skip(result.message or "check skipped")
    if result.blocks:
        raise CheckFailed(result)
    if result.status is not Status.PASSED:  # warned, or a warn-severity check not passing
        warnings.warn(
            MlgateCheckWarning(f"{result.check_id} {result.status.value}: {result.message}"),
            stacklevel=2,
        )
