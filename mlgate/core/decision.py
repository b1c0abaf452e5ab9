"""The decision: per stage, promote or hold, with the reasons; and the exit codes."""

from __future__ import annotations

import enum
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from mlgate.core.result import CheckResult, Severity, Status


class Verdict(str, enum.Enum):
    PROMOTE = "promote"
    PROMOTE_WITH_WARNINGS = "promote_with_warnings"
    HOLD = "hold"


def stages_climbed(verdicts: Iterable[Verdict | str | None]) -> int:
    """How many stages, from the first in gate-file order, promoted in a row (a
    ``promote_with_warnings`` counts as promoted; anything else, a missing verdict included,
    stops the climb): the ladder of offline → shadow → canary → production."""
    climbed = 0
    for verdict in verdicts:
        value = verdict.value if isinstance(verdict, Verdict) else verdict
        if value not in (Verdict.PROMOTE.value, Verdict.PROMOTE_WITH_WARNINGS.value):
            break
        climbed += 1
    return climbed


def stage_reached(
    stages: Sequence[tuple[str, Verdict | str | None]], *, partial: bool
) -> str | None:
    """The stage a model reached: the last of the stages (``(name, verdict)`` in gate-file
    order) that promoted in a row from the first. None when the first stage held, when no
    stage was decided, and for a partial run (not every planned check ran: it decides
    nothing, so it reaches nothing). The report's ladder and the history use this one rule."""
    climbed = 0 if partial else stages_climbed(v for _, v in stages)
    return stages[climbed - 1][0] if climbed else None


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

    def __repr__(self) -> str:
        """One readable line: the stage, the verdict, the counts and the first reason (cut).

        >>> StageDecision("staging", Verdict.PROMOTE, (), {"passed": 2, "failed": 0})
        <StageDecision 'staging' PROMOTE: 2 passed>
        """
        counts = ", ".join(f"{n} {s}" for s, n in self.counts.items() if n) or "no check"
        text = f"<StageDecision {self.stage!r} {self.verdict.value.upper()}: {counts}"
        if self.reasons:
            first = self.reasons[0]
            first = first if len(first) <= 120 else first[:119] + "…"
            more = len(self.reasons) - 1
            label = "held by" if self.verdict is Verdict.HOLD else "warned by"
            text += f"; {label} {first!r}" + (f" and {more} more" if more else "")
        return text + ">"

    def _repr_html_(self) -> str:
        """The stage's verdict as the gate report shows it, in a notebook; see
        :mod:`mlgate.core.display`."""
        from mlgate.core.display import html

        return html(self, "decision")

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
