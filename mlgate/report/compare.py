"""Compare two gate results metric by metric, with their intervals.

Checks are matched by stage(s), check id and metric; a check present in only one result is
listed with the other side empty. ``a`` is the earlier (or reference) run, ``b`` the later
one: ``difference`` is ``b - a``.

Overlapping 95% intervals do not prove the values are equal, and separate ones are only a
rough sign of a real change (a paired test on the same rows is the rigorous answer; the
champion-comparison checks do that). This is a reading aid for people.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mlgate.core.errors import ResultError
from mlgate.report.text import one_line
from mlgate.report.views import partial_reason, stage_ladder


@dataclass(frozen=True)
class MetricComparison:
    stages: tuple[str, ...]
    check_id: str
    metric: str
    model: str | None
    dataset: str | None
    a_value: float | None
    b_value: float | None
    a_interval: tuple[float, float] | None
    b_interval: tuple[float, float] | None
    a_status: str | None
    b_status: str | None
    higher_is_better: bool | None

    @property
    def difference(self) -> float | None:
        """``b_value - a_value``, or None when either is missing."""
        if self.a_value is None or self.b_value is None:
            return None
        return self.b_value - self.a_value

    @property
    def intervals_overlap(self) -> bool | None:
        """Whether the two intervals share a point; None when either is missing."""
        if self.a_interval is None or self.b_interval is None:
            return None
        (a_low, a_high), (b_low, b_high) = self.a_interval, self.b_interval
        return a_low <= b_high and b_low <= a_high

    @property
    def direction(self) -> str | None:
        """``better``, ``worse`` or ``same`` for b relative to a, when the metric says which
        way is better; ``higher``/``lower`` when it does not; None when a value is missing."""
        diff = self.difference
        if diff is None:
            return None
        if diff == 0:
            return "same"
        if self.higher_is_better is None:
            return "higher" if diff > 0 else "lower"
        return "better" if (diff > 0) == self.higher_is_better else "worse"

    def to_dict(self) -> dict[str, Any]:
        return {
            "stages": list(self.stages),
            "check_id": self.check_id,
            "metric": self.metric,
            "model": self.model,
            "dataset": self.dataset,
            "a": {"value": self.a_value, "interval": _iv(self.a_interval), "status": self.a_status},
            "b": {"value": self.b_value, "interval": _iv(self.b_interval), "status": self.b_status},
            "difference": self.difference,
            "intervals_overlap": self.intervals_overlap,
            "direction": self.direction,
        }


def _iv(iv: tuple[float, float] | None) -> list[float] | None:
    return list(iv) if iv else None


def _finite(x: Any) -> float | None:
    if isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x):
        return float(x)
    return None


def _metric_checks(doc: Any, name: str) -> dict[tuple[Any, ...], Mapping[str, Any]]:
    if not isinstance(doc, Mapping) or not isinstance(doc.get("checks"), list):
        raise ResultError(
            f"{name}: expected a result document (the content of result.json) with a "
            f"'checks' list; got {type(doc).__name__}"
        )
    out: dict[tuple[Any, ...], Mapping[str, Any]] = {}
    for c in doc["checks"]:
        if isinstance(c, Mapping) and isinstance(c.get("metric"), str):
            stages = c.get("stages") if isinstance(c.get("stages"), list) else []
            key = (tuple(str(s) for s in stages), str(c.get("id", "?")), c["metric"])
            out.setdefault(key, c)
    return out


def _interval(c: Mapping[str, Any] | None) -> tuple[float, float] | None:
    iv = c.get("interval") if c else None
    if not isinstance(iv, Mapping):
        return None
    low, high = _finite(iv.get("low")), _finite(iv.get("high"))
    return None if low is None or high is None else (low, high)


def _evidence(c: Mapping[str, Any] | None, key: str) -> Any:
    ev = c.get("evidence") if c else None
    return ev.get(key) if isinstance(ev, Mapping) else None


def compare(a: Mapping[str, Any], b: Mapping[str, Any]) -> list[MetricComparison]:
    """Metric-by-metric comparison of two result documents, in ``a``'s check order followed
    by checks only ``b`` has. Raises :class:`~mlgate.core.errors.ResultError` when either is not
    a result document."""
    left, right = _metric_checks(a, "a"), _metric_checks(b, "b")
    keys = [*left, *(k for k in right if k not in left)]
    out = []
    for key in keys:
        ca, cb = left.get(key), right.get(key)
        either = ca if ca is not None else cb
        hib = _evidence(either, "higher_is_better")
        model, dataset = _evidence(either, "model"), _evidence(either, "dataset")
        out.append(
            MetricComparison(
                stages=key[0],
                check_id=key[1],
                metric=key[2],
                model=model if isinstance(model, str) else None,
                dataset=dataset if isinstance(dataset, str) else None,
                a_value=_finite(ca.get("value")) if ca else None,
                b_value=_finite(cb.get("value")) if cb else None,
                a_interval=_interval(ca),
                b_interval=_interval(cb),
                a_status=str(ca.get("status")) if ca else None,
                b_status=str(cb.get("status")) if cb else None,
                higher_is_better=hib if isinstance(hib, bool) else None,
            )
        )
    return out


def describe_run(doc: Mapping[str, Any]) -> str:
    """One line naming a result: gate, verdict (``PARTIAL RUN``, with the verdict of the
    checks that ran, when not every planned check ran), the stage its model reached, when it
    finished and the candidate's identity hash (shortened). Data text is on one line, its
    control characters shown as U+FFFD (it goes to a terminal)."""
    gate = doc.get("gate") if isinstance(doc.get("gate"), Mapping) else {}
    run = doc.get("run") if isinstance(doc.get("run"), Mapping) else {}
    models = doc.get("models") if isinstance(doc.get("models"), Mapping) else {}
    cand = models.get("candidate") if isinstance(models.get("candidate"), Mapping) else {}
    verdict = f"verdict {doc.get('verdict', '?')}"
    if partial_reason(doc):
        verdict = f"PARTIAL RUN, no final verdict ({doc.get('verdict', '?')} on what ran)"
    parts = [f"gate {gate.get('name', '?')}", verdict]
    ladder = stage_ladder(doc)
    if ladder.rungs and not ladder.partial:
        parts.append(f"reached {ladder.reached or 'no stage'}")
    if run.get("finished_at"):
        parts.append(f"finished {run['finished_at']}")
    if cand.get("identity"):
        parts.append(f"model {str(cand['identity'])[:19]}")
    return one_line(", ".join(parts))


def format_comparison(
    rows: list[MetricComparison],
    a: Mapping[str, Any] | None = None,
    b: Mapping[str, Any] | None = None,
) -> str:
    """A plain-text table of a comparison, one line per metric, for a terminal; headed by a
    line naming each run when the two result documents are given."""

    def num(x: float | None) -> str:
        return "—" if x is None else f"{x:.4g}"

    def iv(x: tuple[float, float] | None) -> str:
        return "" if x is None else f"[{x[0]:.4g}, {x[1]:.4g}]"

    head = ("stage", "check", "metric", "a", "a interval", "b", "b interval", "b - a", "overlap")
    body = [
        (
            one_line(",".join(r.stages)),
            one_line(r.check_id),
            one_line(r.metric),
            num(r.a_value),
            iv(r.a_interval),
            num(r.b_value),
            iv(r.b_interval),
            "—" if r.difference is None else f"{r.difference:+.4g} {r.direction}",
            {True: "yes", False: "NO", None: ""}[r.intervals_overlap],
        )
        for r in rows
    ]
    widths = [max(len(str(x)) for x in col) for col in zip(head, *body, strict=True)]
    lines = [
        "  ".join(str(x).ljust(w) for x, w in zip(row, widths, strict=True)).rstrip()
        for row in [head, *body]
    ]
    intro = [f"{k}: {describe_run(doc)}" for k, doc in (("a", a), ("b", b)) if doc is not None]
    if not body:
        lines.append("(no metric in either result)")
    return "\n".join([*intro, *lines]) + "\n"
