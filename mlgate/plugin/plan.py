"""The plan of a gate run: every check the selected stages need, and what became of it.

A stage is decided only on checks that ran. The plan is what makes a check that did not run
visible: the gate file's checks of the selected stages are known from the gate itself, before
and without collection (so ``--lf`` skipping the gate file, or a pytest-xdist controller that
collects nothing, cannot lose them); Python checks are added as they are collected, on this
process or, under pytest-xdist, on the workers, which send their part of the plan to the
controller. Every planned check without a result becomes ``skipped`` (or ``error`` when the
worker running it crashed), and a skipped blocking check holds its stage.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from mlgate.core.result import CheckResult, Severity, Status
from mlgate.core.runner import finalize
from mlgate.plugin.markers import CheckMeta

if TYPE_CHECKING:
    from mlgate.core.gate import Gate

#: Why a planned check gave no result; the words its ``skipped`` message uses.
DESELECTED = "deselected (-k, -m, --lf, --sw or --deselect)"
NOT_COLLECTED = "not collected (a collection error, or --lf left the gate file out)"
CRASHED = "the pytest-xdist worker running it crashed"

#: The key under which pytest-xdist workers send their part of the plan (workeroutput).
WORKER_OUTPUT_KEY = "mlgate_plan"


def gate_key(stage: str, check_id: str) -> str:
    """The plan key of a gate-file check: the same on every process, collected or not."""
    return f"gate::{stage}::{check_id}"


def check_key(nodeid: str, meta: CheckMeta) -> str:
    """The plan key of a collected gate item: :func:`gate_key` for a gate-file check, the
    node id for a Python check."""
    if meta.check_type == "python":
        return nodeid
    return gate_key(meta.stages[0], meta.check_id)


def result_key(nodeid: str, result: CheckResult) -> str:
    """The plan key of a reported result (a report carries the result, not the item)."""
    if result.check_type == "python":
        return nodeid
    return gate_key(result.stages[0], result.check_id)


def meta_to_dict(meta: CheckMeta) -> dict[str, Any]:
    return {
        "check_id": meta.check_id,
        "kind": meta.kind,
        "severity": meta.severity.value,
        "stages": list(meta.stages),
        "check_type": meta.check_type,
    }


def meta_from_dict(data: dict[str, Any]) -> CheckMeta:
    return CheckMeta(
        check_id=str(data["check_id"]),
        kind=str(data["kind"]),
        severity=Severity(data["severity"]),
        stages=tuple(data["stages"]),
        check_type=str(data["check_type"]),
    )


@dataclass
class Plan:
    """The checks a run must decide on (by plan key, in collection order), which were
    collected and deselected, which crashed, and the results that came back."""

    gate: Gate
    stages: list[str]
    entries: dict[str, CheckMeta] = field(default_factory=dict)
    collected: set[str] = field(default_factory=set)
    deselected: set[str] = field(default_factory=set)
    crashed: dict[str, str] = field(default_factory=dict)
    results: dict[str, CheckResult] = field(default_factory=dict)

    # -- building ----------------------------------------------------------------------
    def add_collected(self, key: str, meta: CheckMeta) -> None:
        self.entries.setdefault(key, meta)
        self.collected.add(key)

    def to_wire(self) -> dict[str, Any]:
        """This process's part of the plan, as plain data a pytest-xdist worker can send."""
        return {
            "entries": [[k, meta_to_dict(m)] for k, m in self.entries.items()],
            "collected": sorted(self.collected),
            "deselected": sorted(self.deselected),
        }

    def merge_wire(self, data: dict[str, Any]) -> None:
        """Add a worker's part of the plan (every worker collects the same items)."""
        for key, meta in data.get("entries", ()):
            self.entries.setdefault(str(key), meta_from_dict(meta))
        self.collected.update(data.get("collected", ()))
        self.deselected.update(data.get("deselected", ()))

    def gate_entries(self) -> dict[str, CheckMeta]:
        """The gate file's checks of the selected stages, from the gate alone."""
        return {
            gate_key(c.stage, c.check_id): CheckMeta(
                check_id=c.check_id,
                kind=c.kind,
                severity=c.severity,
                stages=(c.stage,),
                check_type=c.check_type.name,
            )
            for c in self.gate.checks
            if c.stage in self.stages
        }

    def key_of_nodeid(self, nodeid: str) -> str:
        """The plan key of a node id (for a report that carries no result: a crash)."""
        parts = nodeid.split("::")
        gate_name = self.gate.path.name
        if len(parts) == 3 and parts[0].rsplit("/", 1)[-1] == gate_name:
            key = gate_key(parts[1], parts[2])
            if key in self.gate_entries():
                return key
        return nodeid

    # -- the outcome -------------------------------------------------------------------
    def ordered(self) -> dict[str, CheckMeta]:
        """Every planned check: the collected ones in collection order, then gate-file
        checks that were never collected."""
        out = dict(self.entries)
        for key, meta in self.gate_entries().items():
            out.setdefault(key, meta)
        return out

    def outcome(
        self, stopped: str | None, *, undecided: str | None = None
    ) -> tuple[list[CheckResult], str | None]:
        """Every planned check's result, in plan order, and why the run is partial (None
        when every planned check ran). A check without a result is ``skipped`` with the
        reason it did not run (``error`` if its pytest-xdist worker crashed); ``stopped``
        says why the session ended early, when it did (``-x``, an interrupt, a run still in
        progress). ``undecided`` is the one reason of every missing check of a run that has
        not decided (in progress, a setup error). Results of checks outside the plan come
        last."""
        results: list[CheckResult] = []
        causes: Counter[str] = Counter()
        planned = self.ordered()
        for key, meta in planned.items():
            result = self.results.get(key)
            if result is None:
                status, cause = (
                    (Status.SKIPPED, undecided) if undecided else self._why_missing(key, stopped)
                )
                causes[cause] += 1
                result = _missing(meta, status, cause, self.crashed.get(key))
            results.append(result)
        results.extend(r for k, r in sorted(self.results.items()) if k not in planned)
        missing = sum(causes.values())
        if not missing:
            return results, None
        detail = ", ".join(f"{n} {cause}" for cause, n in causes.items())
        return results, f"{missing} of {len(planned)} planned checks did not run: {detail}"

    def _why_missing(self, key: str, stopped: str | None) -> tuple[Status, str]:
        if key in self.crashed:
            return Status.ERROR, CRASHED
        if key in self.deselected:
            return Status.SKIPPED, DESELECTED
        if key not in self.collected and (self.collected or stopped is None):
            return Status.SKIPPED, NOT_COLLECTED
        return Status.SKIPPED, f"not reached ({stopped or 'the session ended before it ran'})"


def _missing(meta: CheckMeta, status: Status, cause: str, detail: str | None) -> CheckResult:
    message = f"did not run: {cause}" + (f" ({detail})" if detail else "")
    return finalize(
        CheckResult(check_id=meta.check_id, kind=meta.kind, status=status, message=message),
        check_id=meta.check_id,
        stages=meta.stages,
        severity=meta.severity,
        check_type=meta.check_type,
    )
