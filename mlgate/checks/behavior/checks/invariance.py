"""Invariance: changing an attribute the prediction must not depend on (a sensitive
attribute, a name, an irrelevant column) must not change the prediction (fairness).

By default every row's sensitive attribute (the dataset's ``sensitive`` columns) is moved to
another group. A row *flips* when a variant changes the predicted label or, with
``score_tolerance``, moves a class score (regression: the value) by more than the
tolerance. The flip rate over changed rows gets a Wilson interval: ``passed`` when its
upper bound is at most ``max_flip_rate``, ``failed`` when its lower bound is above it
(``Threshold.judge``).

From Python: ``INVARIANCE(ctx, max_flip_rate=0.01)`` on the gate context (the ``mlgate``
fixture, or :meth:`GateContext.from_objects`).
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from mlgate.checks.behavior.checks.change import ChangeParams, assess_change
from mlgate.checks.behavior.checks.common import (
    Target,
    default_id,
    describe_rate,
    example_evidence,
    examples_block,
    judge_rate,
    rate_evidence,
    run_variants,
    shrunk_evidence,
    validate_common,
)
from mlgate.checks.behavior.compare import change_compare
from mlgate.checks.behavior.evidence import finish_message
from mlgate.config.schema import GateConfig
from mlgate.core.context import GateContext
from mlgate.core.errors import ConfigError
from mlgate.core.registry import CheckType
from mlgate.core.result import CheckResult, Status, Threshold
from mlgate.core.task import Task

KIND = "invariance"


class InvarianceParams(ChangeParams):
    transform: str = "swap_sensitive"
    max_flip_rate: float = Field(ge=0.0, le=1.0)
    score_tolerance: float | None = Field(None, ge=0.0)


def _validate(p: InvarianceParams, config: GateConfig) -> None:
    validate_common(p, config)
    if config.task is Task.REGRESSION and p.score_tolerance is None:
        raise ConfigError(
            "a regression value always moves a little: give 'score_tolerance', the change "
            "that counts as a flip",
            path="score_tolerance",
        )


def run_invariance(ctx: GateContext, p: InvarianceParams) -> CheckResult:
    return evaluate_invariance(Target.read(ctx, p, KIND), p)


def evaluate_invariance(t: Target, p: InvarianceParams) -> CheckResult:
    compare = change_compare(t.ctx.task, p.score_tolerance)
    applied, outcome = run_variants(t, p, compare)
    verdict = judge_rate(outcome, p.max_flip_rate, p)
    change_statuses, change_parts, change = assess_change(t, p, outcome)
    status = Status.worst([verdict.status, *change_statuses])
    examples = example_evidence(t, outcome)
    minimal, note = [], None
    if status is not Status.PASSED and examples and p.shrink:
        minimal, note = shrunk_evidence(t, p, applied, outcome, compare)
    evidence: dict[str, Any] = {
        "model": t.model,
        "dataset": t.dataset,
        "transform": applied.describe(),
        "variants": p.variants,
        "sample": t.sample_evidence(),
        "score_tolerance": p.score_tolerance,
        **rate_evidence(verdict, p.max_flip_rate),
        "pairs": len(outcome.rows),
        "pairs_flipped": int((outcome.violation & outcome.changed).sum()),
        "model_calls": outcome.model_calls,
        "examples": examples_block(examples, "worst examples"),
        "minimal": examples_block(minimal, "minimal counterexamples"),
    }
    if change is not None:
        evidence["score_change"] = change
    if note:
        evidence["minimal_note"] = note
    what = "label" if p.score_tolerance is None else f"label or score (±{p.score_tolerance:g})"
    head = (
        f"{applied.name} on {list(applied.columns)} ({p.variants} variant(s){t.sample_note()}): "
        + "; ".join([describe_rate(f"{what} flip rate", verdict), *change_parts])
    )
    return CheckResult(
        check_id="?",
        kind=KIND,
        status=status,
        metric="flip_rate",
        value=verdict.rate,
        interval=verdict.interval,
        threshold=Threshold("<=", p.max_flip_rate),
        sample_size=verdict.n_changed,
        method=f"share of changed rows whose {what} changed under any of {p.variants} "
        "variant(s); Wilson score interval",
        message=finish_message(head, examples, minimal, note),
        evidence=evidence,
    )


INVARIANCE = CheckType(
    name=KIND,
    kind=KIND,
    params=InvarianceParams,
    run=run_invariance,
    summary="Changing a sensitive or irrelevant attribute must not change the prediction "
    "(flip rate with a Wilson interval).",
    validate=_validate,
    default_id=lambda p: default_id(KIND, p),
)
