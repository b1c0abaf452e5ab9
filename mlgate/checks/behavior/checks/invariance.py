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
    judge_rate,
    rate_evidence,
    validate_common,
)
from mlgate.checks.behavior.checks.finish import behavior_check, vary
from mlgate.checks.behavior.compare import change_compare
from mlgate.config.schema import GateConfig
from mlgate.core.errors import ConfigError
from mlgate.core.result import CheckResult, Threshold
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


def evaluate_invariance(t: Target, p: InvarianceParams) -> CheckResult:
    compare = change_compare(t.ctx.task, p.score_tolerance)
    v = vary(KIND, t, p, compare)
    applied, outcome = v.applied, v.outcome
    verdict = judge_rate(outcome, p.max_flip_rate, p)
    what = "label" if p.score_tolerance is None else f"label or score (±{p.score_tolerance:g})"
    change_parts, change = assess_change(t, p, outcome)
    parts = [verdict.part("flip_rate", f"{what} flip rate"), *change_parts]
    evidence: dict[str, Any] = {
        **v.evidence(),
        "score_tolerance": p.score_tolerance,
        **rate_evidence(verdict, p.max_flip_rate),
        "pairs": len(outcome.rows),
        "pairs_flipped": int((outcome.violation & outcome.changed).sum()),
        "model_calls": outcome.model_calls,
    }
    if change is not None:
        evidence["score_change"] = change
    head = (
        f"{applied.name} on {list(applied.columns)} ({p.variants} variant(s){t.sample_note()}): "
        + "; ".join(part.message for part in parts)
    )
    headline = {
        "metric": "flip_rate",
        "value": verdict.rate,
        "interval": verdict.interval,
        "threshold": Threshold("<=", p.max_flip_rate),
        "sample_size": verdict.n_changed,
        "method": f"share of changed rows whose {what} changed under any of {p.variants} "
        "variant(s); Wilson score interval",
    }
    return v.result(
        parts,
        head=head,
        evidence=evidence,
        headline=headline,
    )


INVARIANCE = behavior_check(
    KIND,
    InvarianceParams,
    evaluate_invariance,
    summary="Changing a sensitive or irrelevant attribute must not change the prediction "
    "(flip rate with a Wilson interval).",
    validate=_validate,
)
