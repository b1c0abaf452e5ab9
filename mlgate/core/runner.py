"""Run checks: one planned check → one :class:`CheckResult`, with or without pytest."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlgate.core.context import GateContext
from mlgate.core.decision import StageDecision, decide_stage
from mlgate.core.errors import EmptyDatasetError, MlgateError
from mlgate.core.gate import Gate, PlannedCheck, open_gate
from mlgate.core.result import CheckResult, Severity, Status

log = logging.getLogger(__name__)


def run_check(ctx: GateContext, planned: PlannedCheck) -> CheckResult:
    """Run one planned check and fill in what the kernel owns (id, stages, severity).

    A check that raises becomes an ``error`` result naming the exception; nothing escapes.
    """
    try:
        with ctx.progress.check(planned.check_id):
            result = planned.check_type.run(ctx, planned.params)
    except EmptyDatasetError as exc:  # nothing to judge: too little data, never a pass
        result = CheckResult(
            check_id="?", kind=planned.kind, status=Status.INCONCLUSIVE, message=str(exc)
        )
    except MlgateError as exc:
        result = error_result(planned.kind, exc)
    except Exception as exc:  # a bug in a check or a model: report it, never pass
        log.exception("check %s raised", planned.check_id)
        result = error_result(planned.kind, exc, unexpected=True)
    return finalize(
        result.rejudged(planned.decision_rule),
        check_id=planned.check_id,
        stages=(planned.stage,),
        severity=planned.severity,
        check_type=planned.check_type.name,
    )


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
    """Stamp kernel-owned fields; a failure of a warn-severity check becomes ``warned``."""
    status = result.status
    if severity is Severity.WARN and status is Status.FAILED:
        status = Status.WARNED
    return result.with_context(
        check_id=check_id, stages=stages, severity=severity, check_type=check_type, status=status
    )


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
    results = tuple(run_check(ctx, c) for c in planned)
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
