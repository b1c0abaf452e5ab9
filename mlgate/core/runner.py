"""Run checks: one planned check → one :class:`CheckResult`, with or without pytest."""

from __future__ import annotations

import contextvars
import logging
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from mlgate.core.context import GateContext
from mlgate.core.decision import StageDecision, decide_stage
from mlgate.core.errors import EmptyDatasetError, MlgateError
from mlgate.core.gate import Gate, PlannedCheck, open_gate
from mlgate.core.result import CheckResult, Severity, Status

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
    except EmptyDatasetError as exc:  # nothing to judge: too little data, never a pass
        return CheckResult(
            check_id="?", kind=planned.kind, status=Status.INCONCLUSIVE, message=str(exc)
        )
    except MlgateError as exc:
        return error_result(planned.kind, exc)
    except Exception as exc:  # a bug in a check or a model: report it, never pass
        log.exception("check %s raised", planned.check_id)
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
    """The outcome of running a gate from Python."""

    gate: Gate
    results: tuple[CheckResult, ...]
    decisions: tuple[StageDecision, ...]


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
    gate = open_gate(path)
    selected = select_stages(gate, stages)
    ctx = GateContext(gate, seed=seed, device=device, models=models, datasets=datasets)
    planned = [c for c in gate.checks if c.stage in selected]
    ctx.preflight(planned)  # a setup mistake is a SetupError (exit 4), not a held model
    limits = TimeLimits(gate.config)
    results = tuple(run_check(ctx, c, limits=limits) for c in planned)
    decisions = tuple(
        decide_stage(s, results, inconclusive=gate.config.stages[s].inconclusive) for s in selected
    )
    return GateRun(gate, results, decisions)


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
