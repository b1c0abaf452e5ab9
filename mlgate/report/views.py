"""Turn a ``result.json`` document into what the renderers show: small, display-ready
records. Renderers (HTML, Markdown) see only these and the document itself."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mlgate.core.result import PRECEDENCE

#: Worst first: the kernel's one status precedence.
STATUS_ORDER = tuple(s.value for s in PRECEDENCE)
VERDICT_LABEL = {
    "promote": "PROMOTE",
    "promote_with_warnings": "PROMOTE WITH WARNINGS",
    "hold": "HOLD",
}


def fmt(x: Any, digits: int = 4) -> str:
    """A number for people: 4 significant digits, ``n/a`` for missing."""
    if x is None:
        return "n/a"
    if isinstance(x, bool):
        return str(x).lower()
    if isinstance(x, int):
        return str(x)
    if isinstance(x, float):
        return f"{x:.{digits}g}"
    return str(x)


@dataclass(frozen=True)
class CheckView:
    stage: str
    id: str
    kind: str
    check: str
    status: str
    severity: str
    metric: str | None
    value: str
    interval: str
    threshold: str
    sample_size: str
    method: str
    message: str
    evidence: Mapping[str, Any]
    raw: Mapping[str, Any]

    @property
    def statistic(self) -> str:
        """``accuracy = 0.97 [0.95, 0.99] (>= 0.9)``, or empty for checks without one."""
        if self.metric is None:
            return ""
        text = f"{self.metric} = {self.value}"
        if self.interval:
            text += f" {self.interval}"
        if self.threshold:
            text += f" (need {self.threshold})"
        return text


def check_view(check: Mapping[str, Any], stage: str) -> CheckView:
    ci = check.get("interval")
    t = check.get("threshold")
    interval = ""
    if ci:
        interval = f"[{fmt(ci.get('low'))}, {fmt(ci.get('high'))}]"
        if ci.get("level") is not None:
            interval += f" {ci['level']:.0%}"
    return CheckView(
        stage=stage,
        id=str(check.get("id", "?")),
        kind=str(check.get("kind", "")),
        check=str(check.get("check", "")),
        status=str(check.get("status", "error")),
        severity=str(check.get("severity", "block")),
        metric=check.get("metric"),
        value=fmt(check.get("value")),
        interval=interval,
        threshold=f"{t['op']} {fmt(t['value'])}" if t else "",
        sample_size=fmt(check.get("sample_size")) if check.get("sample_size") is not None else "",
        method=str(check.get("method") or ""),
        message=str(check.get("message") or ""),
        evidence=check.get("evidence") or {},
        raw=check,
    )


def checks_by_stage(result: Mapping[str, Any]) -> dict[str, list[CheckView]]:
    """Each decided stage's checks, worst status first, then in result order."""
    stages = [s["name"] for s in result.get("stages", [])]
    out: dict[str, list[CheckView]] = {s: [] for s in stages}
    for check in result.get("checks", []):
        for stage in check.get("stages", []):
            if stage in out:
                out[stage].append(check_view(check, stage))
    rank = {s: i for i, s in enumerate(STATUS_ORDER)}
    for views in out.values():
        views.sort(key=lambda v: rank.get(v.status, 0))  # stable: result order within status
    return out
