"""Check results: the evidence every verdict carries.

A :class:`CheckResult` is a frozen record with ``to_dict()``; ``result.json`` and every
rendering are made from these records alone.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any


class Status(str, enum.Enum):
    """The outcome of one check. Too little data is ``INCONCLUSIVE``, never ``PASSED``."""

    PASSED = "passed"
    FAILED = "failed"
    WARNED = "warned"
    INCONCLUSIVE = "inconclusive"
    ERROR = "error"
    SKIPPED = "skipped"


class Severity(str, enum.Enum):
    """What a non-passing result does to its stage: ``block`` holds it, ``warn`` does not."""

    BLOCK = "block"
    WARN = "warn"


_BLOCKING_STATUSES = frozenset({Status.FAILED, Status.ERROR, Status.INCONCLUSIVE, Status.SKIPPED})


@dataclass(frozen=True)
class Interval:
    """A confidence interval with its level and the method that produced it."""

    low: float
    high: float
    level: float
    method: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "low": _json_float(self.low),
            "high": _json_float(self.high),
            "level": self.level,
            "method": self.method,
        }


@dataclass(frozen=True)
class Threshold:
    """A bound a statistic must respect: ``value op bound`` with ``op`` one of >=, <=."""

    op: str
    bound: float

    def __post_init__(self) -> None:
        if self.op not in (">=", "<="):
            raise ValueError(f"Threshold.op must be '>=' or '<=', got {self.op!r}")

    def to_dict(self) -> dict[str, Any]:
        return {"op": self.op, "value": _json_float(self.bound)}


@dataclass(frozen=True)
class CheckResult:
    """The result of one check, with everything needed to defend its verdict.

    ``evidence`` holds check-specific JSON-able data (tables, curves, counterexamples).
    """

    check_id: str
    kind: str
    status: Status
    severity: Severity = Severity.BLOCK
    check_type: str = "custom"
    stages: tuple[str, ...] = ()
    metric: str | None = None
    value: float | None = None
    interval: Interval | None = None
    threshold: Threshold | None = None
    sample_size: int | None = None
    method: str | None = None
    message: str = ""
    evidence: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # Accept plain strings from users' Python checks, store enums.
        object.__setattr__(self, "status", Status(self.status))
        object.__setattr__(self, "severity", Severity(self.severity))
        object.__setattr__(self, "stages", tuple(self.stages))

    @property
    def blocks(self) -> bool:
        """True when this result holds its stages: a blocking check that failed, errored,
        was inconclusive or did not run (skipped). A ``warned`` status never blocks."""
        return self.severity is Severity.BLOCK and self.status in _BLOCKING_STATUSES

    def with_context(self, **changes: Any) -> CheckResult:
        """A copy with kernel-owned fields (id, stages, severity, ...) filled in."""
        return replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.check_id,
            "kind": self.kind,
            "check": self.check_type,
            "status": self.status.value,
            "severity": self.severity.value,
            "stages": list(self.stages),
            "metric": self.metric,
            "value": _json_float(self.value),
            "interval": self.interval.to_dict() if self.interval else None,
            "threshold": self.threshold.to_dict() if self.threshold else None,
            "sample_size": self.sample_size,
            "method": self.method,
            "message": self.message,
            "evidence": jsonable(self.evidence),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CheckResult:
        interval = data.get("interval")
        threshold = data.get("threshold")
        return cls(
            check_id=data["id"],
            kind=data["kind"],
            check_type=data.get("check", "custom"),
            status=Status(data["status"]),
            severity=Severity(data["severity"]),
            stages=tuple(data.get("stages", ())),
            metric=data.get("metric"),
            value=data.get("value"),
            interval=Interval(**interval) if interval else None,
            threshold=Threshold(threshold["op"], threshold["value"]) if threshold else None,
            sample_size=data.get("sample_size"),
            method=data.get("method"),
            message=data.get("message", ""),
            evidence=data.get("evidence", {}),
        )


def _json_float(x: float | None) -> float | None:
    """JSON has no NaN/inf: store them as null so result.json stays standard JSON."""
    if x is None:
        return None
    x = float(x)
    return x if math.isfinite(x) else None


def jsonable(obj: Any) -> Any:
    """Convert evidence (NumPy scalars/arrays, tuples, enums) into plain JSON types."""
    import numpy as np

    if isinstance(obj, Mapping):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return [jsonable(v) for v in obj.tolist()]
    if isinstance(obj, enum.Enum):
        return obj.value
    if isinstance(obj, (bool, np.bool_)):
        return bool(obj)
    if isinstance(obj, (int, np.integer)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        return _json_float(float(obj))
    if obj is None or isinstance(obj, str):
        return obj
    return str(obj)
