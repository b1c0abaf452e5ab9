"""Bounds on the size of the score changes (issue 15), shared by perturbation and invariance:
the parameters and the step that measures, judges and reports them
(:mod:`mlgate.checks.behavior.magnitude` holds the statistics)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from mlgate.checks.behavior.checks.common import BehaviorParams, Target
from mlgate.checks.behavior.magnitude import change_size, judge_change
from mlgate.checks.behavior.variants import VariantOutcome
from mlgate.core.result import Part
from mlgate.core.task import Task


class ChangeParams(BehaviorParams):
    """Bounds on how far the scores move (issue 15), beside the flip rate: the mean and the
    ``change_quantile`` quantile of the per-row |Δ score| (regression: |Δ prediction| in
    units of the target's standard deviation); see :mod:`mlgate.checks.behavior.magnitude`."""

    max_mean_change: float | None = Field(None, ge=0.0)
    max_change_quantile: float | None = Field(None, ge=0.0)
    change_quantile: float = Field(0.95, gt=0.0, lt=1.0)


def assess_change(
    t: Target, p: ChangeParams, outcome: VariantOutcome
) -> tuple[list[Part], dict[str, Any] | None]:
    """The size of the score changes (reported whenever the model gives scores or values)
    and one judged :class:`Part` per bound given on it (its evidence: None without scores)."""
    size = change_size(
        outcome,
        task=t.ctx.task,
        has_scores=t.original.scores is not None and outcome.perturbed.scores is not None,
        spread=t.spread() if t.ctx.task is Task.REGRESSION else None,
        q=p.change_quantile,
        level=p.confidence,
    )
    judged = judge_change(size, p.max_mean_change, p.max_change_quantile, p.min_samples)
    evidence = None
    if size is not None:
        evidence = {
            **size.to_dict(),
            "max_mean": p.max_mean_change,
            "max_quantile": p.max_change_quantile,
        }
    return judged, evidence
