"""Check results: the evidence every verdict carries.

A :class:`CheckResult` is a frozen record with ``to_dict()``; ``result.json`` and every
rendering are made from these records alone.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Iterable, Mapping
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

    @classmethod
    def worst(cls, parts: Iterable[Status | str | Part], *, empty: Status | None = None) -> Status:
        """The status of a check made of ``parts`` (statuses, or records with a ``status``):
        the first of :data:`PRECEDENCE` that any part has.

        A failed part is evidence against the model, so it outranks an error (no evidence);
        both outrank an inconclusive part; a check passes only when every part passes (an
        intersection-union test). ``empty`` is the status of no parts at all; by default
        ``INCONCLUSIVE``, because nothing checked is never a pass.

        >>> Status.worst(["passed", "inconclusive", "failed"])
        <Status.FAILED: 'failed'>
        >>> Status.worst([])
        <Status.INCONCLUSIVE: 'inconclusive'>
        """
        seen = {cls(getattr(p, "status", p)) for p in parts}
        if not seen:
            return cls.INCONCLUSIVE if empty is None else cls(empty)
        return next(s for s in PRECEDENCE if s in seen)


class Severity(str, enum.Enum):
    """What a non-passing result does to its stage: ``block`` holds it, ``warn`` does not."""

    BLOCK = "block"
    WARN = "warn"


#: Worst first: the one order in which statuses combine (:meth:`Status.worst`) and in which
#: reports list checks.
PRECEDENCE: tuple[Status, ...] = (
    Status.FAILED,
    Status.ERROR,
    Status.INCONCLUSIVE,
    Status.SKIPPED,
    Status.WARNED,
    Status.PASSED,
)


class DecisionRule(str, enum.Enum):
    """How a statistic is judged against a bound (see :meth:`Threshold.judge`).

    ``strict``: pass only when the whole interval clears the bound, fail when it lies wholly
    on the wrong side, else inconclusive. ``lenient``: fail only when the whole interval lies
    on the wrong side (the benefit of the doubt). ``point``: the estimate alone decides.
    """

    STRICT = "strict"
    LENIENT = "lenient"
    POINT = "point"


#: The statuses a bound judgement gives; only these are judged again under another rule.
_JUDGED = frozenset({Status.PASSED, Status.FAILED, Status.INCONCLUSIVE})

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

    def holds(self, x: float) -> bool:
        """Whether the number ``x`` respects the bound (False for NaN)."""
        return bool(x >= self.bound) if self.op == ">=" else bool(x <= self.bound)

    def judge(
        self,
        interval: Interval | None,
        *,
        value: float | None = None,
        rule: DecisionRule | str = DecisionRule.STRICT,
    ) -> Status:
        """The status of a statistic with ``interval`` (and point ``value``) against this bound.

        ``strict`` (the default): ``PASSED`` when the whole interval respects the bound,
        ``FAILED`` when the whole interval lies on the wrong side, else ``INCONCLUSIVE``.
        ``lenient``: ``FAILED`` only when the whole interval is on the wrong side, else
        ``PASSED``. ``point``: ``value`` alone decides. Without an interval (or a value for
        ``point``), or with a NaN in it, the verdict is ``INCONCLUSIVE``: too little evidence
        is never a pass.

        >>> Threshold(">=", 0.8).judge(Interval(0.82, 0.9, 0.95, "wilson"))
        <Status.PASSED: 'passed'>
        >>> Threshold(">=", 0.8).judge(Interval(0.75, 0.9, 0.95, "wilson"))
        <Status.INCONCLUSIVE: 'inconclusive'>
        """
        rule = DecisionRule(rule)
        if rule is DecisionRule.POINT:
            if value is None or not math.isfinite(value):
                return Status.INCONCLUSIVE
            return Status.PASSED if self.holds(value) else Status.FAILED
        # An infinite end is still an interval; a NaN end means there is no evidence.
        if interval is None or math.isnan(interval.low) or math.isnan(interval.high):
            return Status.INCONCLUSIVE
        near, far = (
            (interval.low, interval.high) if self.op == ">=" else (interval.high, interval.low)
        )
        if self.holds(near):
            return Status.PASSED
        if not self.holds(far):
            return Status.FAILED
        return Status.PASSED if rule is DecisionRule.LENIENT else Status.INCONCLUSIVE

    def to_dict(self) -> dict[str, Any]:
        return {"op": self.op, "value": _json_float(self.bound)}


@dataclass(frozen=True)
class Part:
    """One judged part of a check made of several (a metric, a baseline, a slice, a window).

    A check returns its parts (:meth:`CheckResult.from_parts`) and the kernel derives the
    check's status from them with :meth:`Status.worst`.
    """

    name: str
    status: Status
    value: float | None = None
    interval: Interval | None = None
    threshold: Threshold | None = None
    sample_size: int | None = None
    message: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "status", Status(self.status))

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Part:
        interval, threshold = data.get("interval"), data.get("threshold")
        return cls(
            name=data["name"],
            status=Status(data["status"]),
            value=data.get("value"),
            interval=Interval(**interval) if interval else None,
            threshold=Threshold(threshold["op"], threshold["value"]) if threshold else None,
            sample_size=data.get("sample_size"),
            message=data.get("message", ""),
        )

    @property
    def judged_on_interval(self) -> bool:
        """Whether a decision rule can judge this part again: it was judged on an interval
        against a threshold (not a count, a test, an error or a skipped part)."""
        return self.threshold is not None and self.interval is not None and self.status in _JUDGED

    def rejudged(self, rule: DecisionRule) -> Part:
        """This part judged again under ``rule``, when it was judged on an interval against a
        threshold; otherwise (a count, an error, a skipped part) unchanged."""
        if not self.judged_on_interval:
            return self
        return replace(
            self, status=self.threshold.judge(self.interval, value=self.value, rule=rule)
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "status": self.status.value,
            "value": _json_float(self.value),
            "interval": self.interval.to_dict() if self.interval else None,
            "threshold": self.threshold.to_dict() if self.threshold else None,
            "sample_size": self.sample_size,
            "message": self.message,
        }


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
    #: The judged parts of a check made of several (:meth:`from_parts`); empty otherwise.
    parts: tuple[Part, ...] = ()
    #: The rule the kernel judged the bounds by, when it was not the default (``strict``).
    decision_rule: DecisionRule | None = None

    def __post_init__(self) -> None:
        # Accept plain strings from users' Python checks, store enums.
        object.__setattr__(self, "status", Status(self.status))
        object.__setattr__(self, "severity", Severity(self.severity))
        object.__setattr__(self, "stages", tuple(self.stages))
        object.__setattr__(self, "parts", tuple(self.parts))
        if self.decision_rule is not None:
            object.__setattr__(self, "decision_rule", DecisionRule(self.decision_rule))

    @classmethod
    def from_parts(
        cls,
        kind: str,
        parts: Iterable[Part],
        *,
        empty: Status | None = None,
        check_id: str = "?",
        **fields: Any,
    ) -> CheckResult:
        """A result whose status is the worst of ``parts`` (:meth:`Status.worst`, with
        ``empty`` for no parts). Unless given in ``fields``, the headline (metric value,
        interval, threshold, sample size, message) is the decisive part's: the first part
        with the check's status."""
        parts = tuple(parts)
        status = Status.worst(parts, empty=empty)
        decisive = next((p for p in parts if p.status is status), None)
        if decisive is not None:
            for key in ("value", "interval", "threshold", "sample_size"):
                fields.setdefault(key, getattr(decisive, key))
            fields.setdefault("message", f"{decisive.name}: {decisive.message}".rstrip(": "))
        elif not parts:
            fields.setdefault("message", "no part to judge")
        return cls(check_id=check_id, kind=kind, status=status, parts=parts, **fields)

    @property
    def blocks(self) -> bool:
        """True when this result holds its stages: a blocking check that failed, errored,
        was inconclusive or did not run (skipped). A ``warned`` status never blocks."""
        return self.severity is Severity.BLOCK and self.status in _BLOCKING_STATUSES

    def rejudged(self, rule: DecisionRule | str) -> CheckResult:
        """This result judged under ``rule``: each part judged on an interval against a
        threshold is judged again and the status re-derived. Errors, skips and statuses not
        made by a bound are kept, and a result with no part judged on an interval (no parts, or
        only counts and tests) is returned as it is (its ``decision_rule`` stays unset: the rule
        did not apply). The message says when the rule
        changed the status."""
        rule = DecisionRule(rule)
        if rule is DecisionRule.STRICT or not any(p.judged_on_interval for p in self.parts):
            # Without judged parts the kernel cannot know which criteria made the status (a
            # headline bound may be one of several): judging the headline alone could hide a
            # failure, and a rule that could change nothing is not recorded as deciding.
            return self
        parts = tuple(p.rejudged(rule) for p in self.parts)
        status = Status.worst(parts)
        message = self.message
        if status is not self.status:
            message = f"{message} [{rule.value} rule: {status.value}]".lstrip()
        return replace(self, parts=parts, status=status, message=message, decision_rule=rule)

    def __repr__(self) -> str:
        """One readable line: the id, the status, the statistic against its bound, the sample
        size, the stages and the message (cut); strings as ``repr`` so data text cannot break
        the line. ``to_dict()`` has every field.

        >>> CheckResult("acc", "accuracy", "failed", metric="accuracy", value=0.71)
        <CheckResult 'acc' failed: accuracy = 0.71>
        """
        text = f"<CheckResult {self.check_id!r} {self.status.value}"
        if self.severity is Severity.WARN:
            text += " (warn)"
        details = []
        if self.metric is not None:
            details.append(_statistic(self))
        if self.sample_size is not None:
            details.append(f"n={self.sample_size}")
        if self.stages:
            details.append("stages " + ", ".join(repr(s) for s in self.stages))
        if self.message:
            details.append(repr(_cut(self.message, 120)))
        return text + (": " + "; ".join(details) if details else "") + ">"

    def _repr_html_(self) -> str:
        """The check as the gate report shows it (its row, plot and evidence) in a notebook;
        see :mod:`mlgate.core.display`."""
        from mlgate.core.display import html

        return html(self, "check")

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
            **({"parts": [p.to_dict() for p in self.parts]} if self.parts else {}),
            **({"decision_rule": self.decision_rule.value} if self.decision_rule else {}),
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
            parts=tuple(Part.from_dict(p) for p in data.get("parts", ())),
            decision_rule=data.get("decision_rule"),
        )


def _number(x: float | None) -> str:
    if x is None:
        return "n/a"
    return f"{x:.4g}" if math.isfinite(x) else "n/a"


def _statistic(r: CheckResult) -> str:
    """``accuracy = 0.7123 [0.68, 0.74] (needs >= 0.8)`` for :meth:`CheckResult.__repr__`."""
    text = f"{r.metric} = {_number(r.value)}"
    if r.interval is not None:
        text += f" [{_number(r.interval.low)}, {_number(r.interval.high)}]"
    if r.threshold is not None:
        text += f" (needs {r.threshold.op} {_number(r.threshold.bound)})"
    return text


def _cut(text: str, limit: int) -> str:
    text = str(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


#: Digits kept for numbers in evidence (result.json): enough to reproduce every figure the
#: report prints (4 significant digits) and to compare runs, few enough to keep bytes stable.
EVIDENCE_DIGITS = 6


def rounded(x: Any, digits: int = EVIDENCE_DIGITS, *, significant: bool = False) -> float | None:
    """``x`` rounded for evidence: ``digits`` decimals, or ``digits`` significant digits with
    ``significant=True`` (for p-values and other tiny numbers). None and non-finite → None.

    This is the one rounding policy of mlgate's evidence; a family must not define its own.

    >>> rounded(0.123456789), rounded(1.23456789e-9, significant=True), rounded(float("nan"))
    (0.123457, 1.23457e-09, None)
    """
    if x is None:
        return None
    x = float(x)
    if not math.isfinite(x):
        return None
    return float(f"{x:.{digits}g}") if significant else round(x, digits)


def _json_float(x: float | None) -> float | None:
    """JSON has no NaN/inf: store them as null so result.json stays standard JSON."""
    if x is None:
        return None
    x = float(x)
    return x if math.isfinite(x) else None


def jsonable(obj: Any) -> Any:
    """Convert evidence (blocks, NumPy scalars/arrays, tuples, enums) into plain JSON types."""
    import numpy as np

    from mlgate.core.evidence import Block

    if isinstance(obj, Block):
        return obj.to_dict()
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
