"""Run checks: one planned check → one :class:`CheckResult`, with or without pytest."""

from __future__ import annotations

import contextvars
import logging
import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from mlgate.core.context import GateContext
from mlgate.core.decision import StageDecision, Verdict, decide_stage
from mlgate.core.errors import EmptyDatasetError, MlgateError
from mlgate.core.gate import Gate, PlannedCheck, open_gate
from mlgate.core.result import CheckResult, Severity, Status
from mlgate.core.seeds import run_at_seeds

log = logging.getLogger(__name__)

#: The longest check message (characters) that results, reasons and the terminal show; the
#: rest is cut and counted. Evidence is never cut.
MESSAGE_LIMIT = 1500


def run_check(
    ctx: GateContext, planned: PlannedCheck, *, limits: TimeLimits | None = None
) -> CheckResult:
    """Run one planned check and fill in what the kernel owns (id, stages, severity).

    A check that raises becomes an ``error`` result naming the exception; nothing escapes.
    ``limits`` keeps the gate's and the stages' ``timeout`` budgets across the checks of one
    run (a fresh one applies only the check's own ``timeout``). A check past its time is an
    ``error``: the runner stops waiting for it (its thread cannot be killed and is left to
    finish in the background), see :func:`call_with_timeout`.
    """
    limits = limits if limits is not None else TimeLimits(ctx.gate.config)
    limit = limits.limit_for(planned)
    if limit is not None and limit.seconds <= 0:
        result = CheckResult(
            check_id="?", kind=planned.kind, status=Status.ERROR, message=limit.spent_message()
        )
    else:
        result = _run_limited(ctx, planned, limits, limit)
    return finalize(
        result.rejudged(planned.decision_rule),
        check_id=planned.check_id,
        stages=(planned.stage,),
        severity=planned.severity,
        check_type=planned.check_type.name,
    )


def _run_limited(
    ctx: GateContext, planned: PlannedCheck, limits: TimeLimits, limit: Limit | None
) -> CheckResult:
    def run() -> CheckResult:
        # The engine learns which check reads the rows (to refuse gathering every row for a
        # check that needs them all, on a dataset too large to gather).
        with ctx.progress.check(planned.check_id), ctx.running(planned.check_type, planned.params):
            if planned.seeds:
                return run_at_seeds(
                    ctx, planned.seeds, planned.kind, lambda c: _guarded(c, planned)
                )
            return planned.check_type.run(ctx, planned.params)

    try:
        if limit is None:
            return run()
        outcome = call_with_timeout(run, limit.seconds, name=f"mlgate-check-{planned.check_id}")
        limits.charge(planned, outcome.elapsed)
        if outcome.timed_out:
            return CheckResult(
                check_id="?",
                kind=planned.kind,
                status=Status.ERROR,
                message=limit.timed_out_message(),
            )
        return outcome.value()
    except Exception as exc:
        return _failure_result(planned, exc)


def _guarded(ctx: GateContext, planned: PlannedCheck) -> CheckResult:
    """One run of the check at one of its seeds; what it raises is that seed's result."""
    try:
        return planned.check_type.run(ctx, planned.params)
    except Exception as exc:
        return _failure_result(planned, exc)


def _failure_result(planned: PlannedCheck, exc: Exception) -> CheckResult:
    """What a check that raised ``exc`` reports: too little data is inconclusive (nothing to
    judge is never a pass), mlgate's errors are ``error`` with their message, anything else
    is ``error`` naming the exception (a bug in a check or a model: reported, never a pass)."""
    if isinstance(exc, EmptyDatasetError):
        return CheckResult(
            check_id="?", kind=planned.kind, status=Status.INCONCLUSIVE, message=str(exc)
        )
    if isinstance(exc, MlgateError):
        return error_result(planned.kind, exc)
    log.error("check %s raised", planned.check_id, exc_info=exc)
    return error_result(planned.kind, exc, unexpected=True)


def error_result(kind: str, exc: BaseException, *, unexpected: bool = False) -> CheckResult:
    prefix = f"{type(exc).__name__}: " if unexpected else ""
    return CheckResult(check_id="?", kind=kind, status=Status.ERROR, message=f"{prefix}{exc}")


def finalize(
    result: CheckResult,
    *,
    check_id: str,
    stages: tuple[str, ...],
    severity: Severity,
    check_type: str,
) -> CheckResult:
    """Stamp kernel-owned fields; a failure of a warn-severity check becomes ``warned``;
    messages longer than :data:`MESSAGE_LIMIT` characters are cut (:func:`shorten`)."""
    status = result.status
    if severity is Severity.WARN and status is Status.FAILED:
        status = Status.WARNED
    parts = tuple(
        p if len(p.message) <= MESSAGE_LIMIT else replace(p, message=shorten(p.message))
        for p in result.parts
    )
    return result.with_context(
        check_id=check_id,
        stages=stages,
        severity=severity,
        check_type=check_type,
        status=status,
        message=shorten(result.message),
        parts=parts,
    )


def shorten(text: str, limit: int = MESSAGE_LIMIT) -> str:
    """``text`` cut to ``limit`` characters, saying how many were cut.

    >>> shorten("abcdef", limit=3)
    'abc… [3 more characters]'
    """
    text = str(text)
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… [{len(text) - limit} more characters]"


@dataclass(frozen=True)
class GateRun:
    """The outcome of running a gate from Python.

    ``seed``, ``loaded`` (what :meth:`GateContext.describe` says was loaded) and ``timing``
    (``started_at``, ``finished_at``, ``duration_s``) are what ``result.json`` needs besides
    the results; ``outputs`` names the files written for this run, by name (``result``,
    ``report``, ``summary``, the model card's), when it was run with ``outputs=``.
    """

    gate: Gate
    results: tuple[CheckResult, ...]
    decisions: tuple[StageDecision, ...]
    seed: int | None = None
    loaded: Mapping[str, Any] = field(default_factory=dict)
    timing: Mapping[str, Any] = field(default_factory=dict)
    outputs: Mapping[str, Path] = field(default_factory=dict)

    @property
    def verdict(self) -> Verdict:
        """The run's verdict: ``hold`` when any decided stage holds (or none was decided),
        else ``promote_with_warnings`` when any stage warned, else ``promote``."""
        verdicts = {d.verdict for d in self.decisions}
        for v in (Verdict.HOLD, Verdict.PROMOTE_WITH_WARNINGS, Verdict.PROMOTE):
            if v in verdicts:
                return v
        return Verdict.HOLD

    def __repr__(self) -> str:
        """One readable line: the gate, the verdict per stage and the checks' statuses."""
        stages = ", ".join(f"{d.stage} {d.verdict.value.upper()}" for d in self.decisions)
        counts = Counter(r.status.value for r in self.results)
        statuses = ", ".join(f"{counts[s.value]} {s.value}" for s in Status if counts[s.value])
        return (
            f"<GateRun {self.gate.config.name!r} {self.verdict.value.upper()}: "
            f"{stages or 'no stage'}; {len(self.results)} checks"
            + (f": {statuses}" if statuses else "")
            + ">"
        )

    def _repr_html_(self) -> str:
        """The gate report's verdict banner, stage verdicts and check table (plots included)
        in a notebook; see :mod:`mlgate.core.display`."""
        from mlgate.core.display import html

        return html(self, "run")


def run_gate(
    path: str | Path,
    *,
    stages: list[str] | None = None,
    seed: int | None = None,
    device: str | None = None,
    models: dict[str, Any] | None = None,
    datasets: dict[str, Any] | None = None,
) -> GateRun:
    """Run the gate file at ``path`` without pytest and decide each selected stage.

    Raises :class:`ConfigError` for an invalid gate file or stage and :class:`SetupError`
    (a ConfigError) when a model, dataset or named column cannot be resolved, before any
    check runs.

    Example::

        run = run_gate("mlgate.yaml", stages=["staging"])
        print(run.decisions[0].verdict)
    """
    started = time.time()
    gate = open_gate(path)
    selected = select_stages(gate, stages)
    ctx = GateContext(gate, seed=seed, device=device, models=models, datasets=datasets)
    planned = [c for c in gate.checks if c.stage in selected]
    try:
        ctx.preflight(planned)  # a setup mistake is a SetupError (exit 4), not a held model
        limits = TimeLimits(gate.config)
        results = tuple(run_check(ctx, c, limits=limits) for c in planned)
        described = _describe(ctx)
    finally:
        ctx.close()  # what the engine started (a Dask LocalCluster) stops with the run
    decisions = tuple(
        decide_stage(s, results, inconclusive=gate.config.stages[s].inconclusive) for s in selected
    )
    finished = time.time()
    timing = {
        "started_at": _iso(started),
        "finished_at": _iso(finished),
        "duration_s": round(finished - started, 3),
    }
    return GateRun(gate, results, decisions, ctx.seed, described, timing)


def _describe(ctx: GateContext) -> dict[str, Any]:
    """What the run loaded, for result.json; a failure to describe it is recorded there."""
    try:
        return ctx.describe()
    except Exception as exc:
        return {"models": {}, "datasets": {}, "error": f"{type(exc).__name__}: {exc}"}


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, tz=timezone.utc).isoformat(timespec="seconds")


def select_stages(gate: Gate, stages: list[str] | None) -> list[str]:
    """The stages to decide, in gate-file order. Raises ConfigError for an unknown name."""
    from mlgate.core.errors import ConfigError

    if not stages:
        return gate.stage_names
    unknown = [s for s in stages if s not in gate.config.stages]
    if unknown:
        raise ConfigError(
            f"unknown stage(s) {unknown} for --mlgate-stage; the gate declares {gate.stage_names}"
        )
    return [s for s in gate.stage_names if s in stages]


# -- time limits ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Limit:
    """The time one check may take, and the gate-file key that sets it."""

    seconds: float  # left for this check; 0 or less when a budget is already spent
    key: str  # "stages.staging.checks[0].timeout", "stages.staging.timeout" or "timeout"
    declared: float  # the key's value

    def timed_out_message(self) -> str:
        return (
            f"timed out: still running after {self.seconds:.3g} s ({self.key}: "
            f"{self.declared:g} s). mlgate stopped waiting and counts it as an error; the "
            "check's thread cannot be stopped and may keep running in the background until "
            "pytest exits"
        )

    def spent_message(self) -> str:
        return (
            f"not run: the time budget {self.key} ({self.declared:g} s) was used up by the "
            "checks that ran before it"
        )


class TimeLimits:
    """The ``timeout`` keys of a gate file, and the time its checks have used so far.

    Each ``timeout`` bounds what it is declared on: a check's bounds that check; a stage's
    bounds the stage's checks together; the gate's bounds all its checks together (time
    spent in this process: every pytest-xdist worker has its own budgets). A check may run
    for the smallest time any of them leaves.
    """

    def __init__(self, config: Any) -> None:
        self.config = config
        self.spent_total = 0.0
        self.spent: dict[str, float] = {}

    def limit_for(self, planned: PlannedCheck) -> Limit | None:
        """The tightest limit on ``planned`` now, or None when no ``timeout`` applies."""
        limits = []
        decl = _declaration(self.config, planned)
        if decl is not None and getattr(decl, "timeout", None) is not None:
            limits.append(Limit(decl.timeout, f"{planned.key_path}.timeout", decl.timeout))
        stage = self.config.stages.get(planned.stage)
        if stage is not None and getattr(stage, "timeout", None) is not None:
            left = stage.timeout - self.spent.get(planned.stage, 0.0)
            limits.append(Limit(left, f"stages.{planned.stage}.timeout", stage.timeout))
        if getattr(self.config, "timeout", None) is not None:
            left = self.config.timeout - self.spent_total
            limits.append(Limit(left, "timeout", self.config.timeout))
        return min(limits, key=lambda limit: limit.seconds, default=None)

    def charge(self, planned: PlannedCheck, seconds: float) -> None:
        """Count ``seconds`` against the budgets of ``planned``'s stage and of the gate."""
        self.spent[planned.stage] = self.spent.get(planned.stage, 0.0) + seconds
        self.spent_total += seconds


def _declaration(config: Any, planned: PlannedCheck) -> Any:
    """The gate file's declaration of ``planned`` (found through its key path)."""
    match = re.search(r"\.checks\[(\d+)\]$", planned.key_path)
    stage = config.stages.get(planned.stage)
    if match is None or stage is None:
        return None
    index = int(match.group(1))
    return stage.checks[index] if index < len(stage.checks) else None


@dataclass(frozen=True)
class Outcome:
    """What :func:`call_with_timeout` saw: a value, an exception, or no answer in time."""

    timed_out: bool
    elapsed: float
    result: Any = None
    error: BaseException | None = None

    def value(self) -> Any:
        """The call's return value; re-raises what the call raised."""
        if self.error is not None:
            raise self.error
        return self.result


def call_with_timeout(fn: Callable[[], Any], seconds: float, *, name: str) -> Outcome:
    """Call ``fn`` in a daemon thread and wait at most ``seconds`` for it.

    Why a thread, not ``signal.alarm``: it works on every platform and in any thread, does
    not take SIGALRM from pytest-timeout or the user, and never raises inside NumPy,
    scikit-learn or the kernel's caches (an alarm would leave a half-filled cache, and it
    cannot interrupt a long C call anyway). The price: a call that does not return is
    abandoned, not killed. It keeps running (and using CPU) in the background until it
    ends or the process exits; its result is thrown away. Context variables (NumPy's error
    state) are copied into the thread.
    """
    box: dict[str, Any] = {}
    done = threading.Event()
    context = contextvars.copy_context()

    def target() -> None:
        try:
            box["result"] = context.run(fn)
        except BaseException as exc:  # handed to the waiting thread, which re-raises it
            box["error"] = exc
        finally:
            done.set()

    start = time.monotonic()
    threading.Thread(target=target, name=name, daemon=True).start()
    finished = done.wait(max(seconds, 0.0))
    elapsed = time.monotonic() - start
    if not finished:
        return Outcome(timed_out=True, elapsed=elapsed)
    return Outcome(False, elapsed, box.get("result"), box.get("error"))
