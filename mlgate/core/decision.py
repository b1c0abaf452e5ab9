"""The decision: per stage, promote or hold, with the reasons; and the exit codes."""

from __future__ import annotations

import enum
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from mlgate.core.result import CheckResult, Severity, Status


class Verdict(str, enum.Enum):
    PROMOTE = "promote"
    PROMOTE_WITH_WARNINGS = "promote_with_warnings"
    HOLD = "hold"


class ExitCode(enum.IntEnum):
    """Exit status of ``pytest --mlgate`` (documented in docs/interfaces.md).

    ``TESTS_FAILED`` is pytest's own code, used when ordinary (non-gate) tests fail and no
    stage is held; ``USAGE_ERROR`` is pytest's code for a bad command line, which mlgate also
    uses for an invalid gate file.
    """

    PROMOTE = 0
    TESTS_FAILED = 1
    USAGE_ERROR = 4
    HOLD = 10


@dataclass(frozen=True)
class StageDecision:
    stage: str
    verdict: Verdict
    reasons: tuple[str, ...]
    counts: dict[str, int]

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.stage,
            "verdict": self.verdict.value,
            "reasons": list(self.reasons),
            "counts": dict(self.counts),
        }


def decide_stage(
    stage: str, results: Iterable[CheckResult], *, inconclusive: str = "hold"
) -> StageDecision:
    """Decide one stage from the results of its checks.

    Any blocking check that failed, errored, was inconclusive or was skipped → ``hold``; a
    stage with no results at all → ``hold`` (nothing was checked); otherwise any non-passing
    warn-severity check or ``warned`` status → ``promote_with_warnings``; else ``promote``.

    ``inconclusive`` (the stage's policy) relaxes one case: ``warn`` makes an inconclusive
    blocking check a warning, ``pass`` lets it through silently. A stage whose every check was
    inconclusive still holds: nothing was shown.
    """
    if inconclusive not in ("hold", "warn", "pass"):
        raise ValueError(f"inconclusive must be hold, warn or pass, got {inconclusive!r}")
    results = [r for r in results if stage in r.stages]
    counts = Counter(r.status.value for r in results)
    ordered = {s.value: counts.get(s.value, 0) for s in Status}
    if not results:
        return StageDecision(stage, Verdict.HOLD, ("no check of this stage ran",), ordered)
    if all(r.status is Status.INCONCLUSIVE for r in results):
        reasons = tuple(f"{r.check_id} inconclusive: {r.message}" for r in results)
        return StageDecision(stage, Verdict.HOLD, reasons, ordered)
    relaxed = inconclusive != "hold"
    blocking = [
        r for r in results if r.blocks and not (relaxed and r.status is Status.INCONCLUSIVE)
    ]
    if blocking:
        reasons = tuple(f"{r.check_id} {r.status.value}: {r.message}" for r in blocking)
        return StageDecision(stage, Verdict.HOLD, reasons, ordered)
    warnings = [
        r
        for r in results
        if r.status is Status.WARNED
        or (r.severity is Severity.WARN and r.status is not Status.PASSED)
        or (inconclusive == "warn" and r.status is Status.INCONCLUSIVE)
    ]
    if warnings:
        reasons = tuple(f"{r.check_id} {r.status.value}: {r.message}" for r in warnings)
        return StageDecision(stage, Verdict.PROMOTE_WITH_WARNINGS, reasons, ordered)
    return StageDecision(stage, Verdict.PROMOTE, (), ordered)


def exit_code(decisions: Iterable[StageDecision]) -> ExitCode:
    """``HOLD`` when any decided stage holds, else ``PROMOTE``."""
    held = any(d.verdict is Verdict.HOLD for d in decisions)
    return ExitCode.HOLD if held else ExitCode.PROMOTE
