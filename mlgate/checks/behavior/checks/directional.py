"""Directional expectation: changing a feature must move the score the declared way (sanity:
a bigger house must not get a lower price).

The transformation (default ``increase``; give its ``columns`` and ``params``) changes each
row; the score is the regression value, or the probability of ``target_class`` (binary
default: the positive, last class). A row *violates* when a variant moves the score the
wrong way by more than ``tolerance`` (ties within the tolerance are fine; with ``strict``,
the score must move the right way by more than ``tolerance``). The violation rate over
changed rows gets a Wilson interval, judged against ``max_violation_rate``
(``Threshold.judge``).

From Python: ``DIRECTIONAL(ctx, columns=["sqft"], params={"by": 10}, expect="increase",
max_violation_rate=0.01)`` on the gate context (the ``mlgate`` fixture, or
:meth:`GateContext.from_objects`).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from mlgate.checks.behavior.checks.common import (
    BehaviorParams,
    Target,
    judge_rate,
    rate_evidence,
    validate_common,
)
from mlgate.checks.behavior.checks.finish import behavior_check, vary
from mlgate.checks.behavior.compare import directional_compare
from mlgate.config.schema import GateConfig
from mlgate.core.errors import ConfigError, DataError
from mlgate.core.result import CheckResult, Threshold
from mlgate.core.task import Task
from mlgate.models.base import Predictions

KIND = "directional"


class DirectionalParams(BehaviorParams):
    transform: str = "increase"
    expect: Literal["increase", "decrease"]
    max_violation_rate: float = Field(ge=0.0, le=1.0)
    tolerance: float = Field(0.0, ge=0.0)
    strict: bool = False
    target_class: Any = None


def _validate(p: DirectionalParams, config: GateConfig) -> None:
    validate_common(p, config)
    if config.task is Task.MULTICLASS and p.target_class is None:
        raise ConfigError(
            "a multiclass model has one score per class: name the class whose probability "
            "must move with 'target_class'",
            path="target_class",
        )


def score_index(preds: Predictions, target_class: Any, source: str) -> int | None:
    """The score column to follow (None for regression values).

    Raises:
        DataError: the model gives labels only, or ``target_class`` is not one of its classes.
    """
    if preds.values is not None:
        return None
    if preds.scores is None:
        raise DataError(
            f"{source}: a directional check follows a score, but the model gives labels only "
            "(no predict_proba)"
        )
    classes = list(preds.classes) if preds.classes is not None else []
    if target_class is None:
        if preds.scores.shape[1] != 2:
            raise DataError(f"{source}: name the class to follow with 'target_class'")
        return preds.scores.shape[1] - 1
    matches = [i for i, c in enumerate(classes) if c == target_class or str(c) == str(target_class)]
    if not matches:
        raise DataError(
            f"{source}: target_class {target_class!r} is not one of the model's classes {classes}"
        )
    return matches[0]


def evaluate_directional(t: Target, p: DirectionalParams) -> CheckResult:
    column = score_index(t.original, p.target_class, t.source)
    sign = 1.0 if p.expect == "increase" else -1.0
    compare = directional_compare(sign, p.tolerance, p.strict, column)
    v = vary(KIND, t, p, compare)
    applied, outcome = v.applied, v.outcome
    verdict = judge_rate(outcome, p.max_violation_rate, p)
    score_name = "value" if column is None else f"P({t.original.classes[column]!r})"
    evidence: dict[str, Any] = {
        **v.evidence(),
        "expect": p.expect,
        "score": score_name,
        "tolerance": p.tolerance,
        "strict": p.strict,
        **rate_evidence(verdict, p.max_violation_rate),
        "model_calls": outcome.model_calls,
    }
    part = verdict.part("violation_rate", "violation rate")
    head = (
        f"{applied.name} on {list(applied.columns)}{t.sample_note()} should {p.expect} "
        f"{score_name}: {part.message}"
    )
    headline = {
        "metric": "violation_rate",
        "value": verdict.rate,
        "interval": verdict.interval,
        "threshold": Threshold("<=", p.max_violation_rate),
        "sample_size": verdict.n_changed,
        "method": f"share of changed rows where {score_name} moved against '{p.expect}' by "
        f"more than {p.tolerance:g}{' (strict)' if p.strict else ''}; Wilson score interval",
    }
    return v.result(
        [part],
        head=head,
        evidence=evidence,
        headline=headline,
        score_index=column,
        paste=False,
    )


DIRECTIONAL = behavior_check(
    KIND,
    DirectionalParams,
    evaluate_directional,
    summary="Changing a feature must move the score the declared way (violation rate with a "
    "Wilson interval).",
    validate=_validate,
)
