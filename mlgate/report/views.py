"""Turn a ``result.json`` document into what the renderers show: small, display-ready
records. Renderers (HTML, Markdown) see only these and the document itself."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mlgate.core.decision import stage_reached, stages_climbed
from mlgate.core.result import PRECEDENCE
from mlgate.report.text import (
    VERDICT_LABEL,
    bound_text,
    clip,
    clip_message,
    interval_text,
    number,
    verdict_label,
)

#: Worst first: the kernel's one status precedence.
STATUS_ORDER = tuple(s.value for s in PRECEDENCE)

__all__ = [
    "STATUS_ORDER",
    "VERDICT_LABEL",
    "CheckView",
    "Finding",
    "check_view",
    "checks_by_stage",
    "findings",
    "fmt",
    "verdict_label",
]


def fmt(x: Any, digits: int = 4) -> str:
    """A number for people: 4 significant digits, ``n/a`` for missing."""
    return number(x, digits)


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
    #: Where the check's details are in the HTML report (unique per stage and check).
    anchor: str = ""

    @property
    def statistic(self) -> str:
        """``accuracy = 0.97 [0.95, 0.99] 95% (need ≥ 0.9)``, or empty for checks without
        one."""
        if self.metric is None:
            return ""
        text = f"{self.metric} = {self.value}"
        if self.interval:
            text += f" {self.interval}"
        if self.threshold:
            text += f" (need {self.threshold})"
        return text

    @property
    def key_number(self) -> str:
        """The check's number in one clause: ``ece = 0.0253 [0.0204, 0.0486] 95%, needs ≤
        0.03``; ``selective accuracy: no value, needs ≥ 0.98``; empty for a check without a
        metric."""
        if self.metric is None:
            return ""
        if self.raw.get("value") is None:
            got = f"{self.metric}: no value"
        else:
            got = f"{self.metric} = {self.value}"
        if self.interval:
            got += f" {self.interval}"
        return f"{got}, needs {self.threshold}" if self.threshold else got


def check_view(check: Mapping[str, Any], stage: str, anchor: str = "") -> CheckView:
    sample_size = check.get("sample_size")
    return CheckView(
        stage=stage,
        id=str(check.get("id", "?")),
        kind=str(check.get("kind", "")),
        check=str(check.get("check", "")),
        status=str(check.get("status", "error")),
        severity=str(check.get("severity", "block")),
        metric=None if check.get("metric") is None else str(check.get("metric")),
        value=fmt(check.get("value")),
        interval=interval_text(check.get("interval")),
        threshold=bound_text(check.get("threshold")),
        sample_size=fmt(sample_size) if sample_size is not None else "",
        method=str(check.get("method") or ""),
        message=str(check.get("message") or ""),
        evidence=check.get("evidence") or {},
        raw=check,
        anchor=anchor,
    )


def _stages(result: Mapping[str, Any]) -> list[str]:
    return [str(s.get("name", "")) for s in result.get("stages", []) if isinstance(s, Mapping)]


def checks_by_stage(result: Mapping[str, Any]) -> dict[str, list[CheckView]]:
    """Each decided stage's checks, worst status first, then in result order."""
    stages = _stages(result)
    out: dict[str, list[CheckView]] = {s: [] for s in stages}
    position = {s: i for i, s in enumerate(stages)}
    for i, check in enumerate(result.get("checks", [])):
        for stage in check.get("stages", []):
            if stage in out:
                anchor = f"check-{position[stage] + 1}-{i + 1}"
                out[stage].append(check_view(check, stage, anchor))
    rank = {s: i for i, s in enumerate(STATUS_ORDER)}
    for views in out.values():
        views.sort(key=lambda v: rank.get(v.status, 0))  # stable: result order within status
    return out


@dataclass(frozen=True)
class Finding:
    """One line under the verdict banner: a check that held a stage (``blocking``) or warned
    in it, with its key number; or a reason that names no check (``check`` is None)."""

    stages: tuple[str, ...]
    blocking: bool
    check: CheckView | None = None
    reason: str = ""

    @property
    def text(self) -> str:
        """The line as a sentence: the key number, else the check's message (cut), else the
        stage's reason."""
        if self.check is None:
            return clip_message(self.reason, 300)
        return self.check.key_number or clip_message(self.check.message, 300)


def findings(result: Mapping[str, Any]) -> list[Finding]:
    """The checks behind every stage that did not promote, one line each, in stage order:
    first those that hold a stage, then those that only warn. A check that holds several
    stages is one line naming them all. A stage reason that names no check ("no check of this
    stage ran") is a line of its own."""
    by_stage = checks_by_stage(result)
    lines: dict[tuple[bool, int | str], Finding] = {}
    for s in result.get("stages", []):
        if not isinstance(s, Mapping) or s.get("verdict") == "promote":
            continue
        stage, blocking = str(s.get("name", "")), s.get("verdict") == "hold"
        views = by_stage.get(stage, [])
        for reason in s.get("reasons") or []:
            reason = str(reason)
            # the kernel writes each reason as "<id> <status>: <message>"
            view = next((v for v in views if reason == f"{v.id} {v.status}: {v.message}"), None)
            key: tuple[bool, int | str] = (blocking, id(view.raw) if view else reason)
            if key in lines:
                old = lines[key]
                lines[key] = Finding((*old.stages, stage), blocking, old.check, old.reason)
            else:
                lines[key] = Finding((stage,), blocking, view, "" if view else reason)
    return sorted(lines.values(), key=lambda f: not f.blocking)  # stable: stage order


def overall_label(result: Mapping[str, Any]) -> str:
    """The run's verdict as words: ``HOLD``, ``PROMOTE WITH WARNINGS``, ``PROMOTE``."""
    return verdict_label(result.get("verdict", "hold"))


#: The headline of a run that did not run every planned check: never a verdict.
PARTIAL_LABEL = "PARTIAL RUN"


def partial_reason(result: Mapping[str, Any]) -> str | None:
    """Why the run is partial (``run.partial``: not every planned check ran), or None for a
    complete run. A partial run without a recorded reason says so."""
    run = result.get("run")
    if not isinstance(run, Mapping) or run.get("partial") is not True:
        return None
    reason = run.get("partial_reason")
    return str(reason) if reason else "not every planned check ran"


def engine_note(result: Mapping[str, Any]) -> str | None:
    """Where the rows were read, when not in this process: ``dask (LocalCluster)``, and how
    many workers Dask lost and partitions it ran again (``run.engine``); None in process."""
    run = result.get("run")
    engine = run.get("engine") if isinstance(run, Mapping) else None
    if not isinstance(engine, Mapping) or engine.get("name") in (None, "local"):
        return None
    text = str(engine.get("name"))
    if engine.get("scheduler"):
        text += f" ({engine['scheduler']})"
    lost, retried = engine.get("lost_workers"), engine.get("retried_partitions")
    if lost:
        text += f", {lost} worker(s) lost, {retried or 0} partition(s) run again"
    return text


def headline(result: Mapping[str, Any]) -> str:
    """The run's verdict as words, or ``PARTIAL RUN`` for a partial run, whose stage
    verdicts are decided on the checks that ran and so are no final verdict."""
    return PARTIAL_LABEL if partial_reason(result) else overall_label(result)


def headline_class(result: Mapping[str, Any]) -> str:
    """The verdict's CSS class of the banner: ``partial`` for a partial run."""
    if partial_reason(result):
        return "partial"
    verdict = str(result.get("verdict", "hold"))
    return verdict if verdict in VERDICT_LABEL else "unknown"


@dataclass(frozen=True)
class Rung:
    """One stage of the ladder: its verdict and ``state``: ``reached`` (promoted, and so was
    every stage before it), ``held`` (the first stage that did not promote), ``after`` (a
    stage after the first hold: its verdict does not move the model there)."""

    name: str
    verdict: str
    state: str


@dataclass(frozen=True)
class Ladder:
    """The decided stages in gate-file order and the stage the model reached: the last of
    the promoted stages in a row from the first one (None when the first held, or when the
    run is partial: a partial run reaches no stage)."""

    rungs: tuple[Rung, ...]
    reached: str | None
    partial: bool = False

    @property
    def text(self) -> str:
        """``reached canary (3 of 4 stages)``, ``held at offline: no stage reached``, or why a
        partial run reached none."""
        if not self.rungs:
            return "no stage was decided"
        if self.partial:
            return "partial run: no stage is reached until every planned check has run"
        if self.reached is None:
            return f"held at {clip(self.rungs[0].name, 40).shown}: no stage reached"
        n = sum(r.state == "reached" for r in self.rungs)
        return f"reached {clip(self.reached, 40).shown} ({n} of {len(self.rungs)} stages)"


def stage_ladder(result: Mapping[str, Any]) -> Ladder:
    """The ladder of ``result``'s decided stages (``stages`` is in gate-file order)."""
    stages = result.get("stages")
    decided = [
        (str(s.get("name", "")), str(s.get("verdict", "")))
        for s in (stages if isinstance(stages, list) else [])
        if isinstance(s, Mapping)
    ]
    climbed = stages_climbed(verdict for _, verdict in decided)
    rungs = tuple(
        Rung(name, verdict, "reached" if i < climbed else "held" if i == climbed else "after")
        for i, (name, verdict) in enumerate(decided)
    )
    partial = partial_reason(result) is not None
    return Ladder(rungs, stage_reached(decided, partial=partial), partial)
