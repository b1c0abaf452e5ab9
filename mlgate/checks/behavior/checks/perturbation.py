"""Perturbation: small changes to the inputs must not flip many predictions or cost much of a
metric (robustness).

Each row is perturbed ``variants`` times (seeded); all pairs are predicted in a few large
model calls. A (row, variant) pair *flips* when the variant changes the predicted label
(regression: moves the value by more than ``tolerance``). By default (``flip: per_variant``)
the flip rate is over the changed pairs: the chance that one small perturbation flips the
prediction, which does not grow with the number of variants drawn; its Wilson interval uses
the effective sample size with rows as clusters (:func:`mlgate.checks.behavior.rates.pair_rate`).
``flip: any_variant`` counts a row as flipped when any of its variants flips (CheckList's
rule), a rate over changed rows that grows with ``variants``. The metric drop pools every
variant, with a paired interval over rows. Each bound given (``max_flip_rate``,
``max_metric_drop``) is judged on its interval (``Threshold.judge``); the check's status is
the worst of them (``Status.worst``), so it passes only when every one passes.

From Python: ``PERTURBATION(ctx, max_flip_rate=0.05)`` on the gate context (the ``mlgate``
fixture, or :meth:`GateContext.from_objects`).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, model_validator

from mlgate.checks.behavior.checks.change import ChangeParams, assess_change
from mlgate.checks.behavior.checks.common import (
    Target,
    judge_pair_rate,
    judge_rate,
    rate_evidence,
    validate_common,
)
from mlgate.checks.behavior.checks.finish import behavior_check, vary
from mlgate.checks.behavior.checks.metric_drop import MetricDrop, metric_drop
from mlgate.checks.behavior.compare import change_compare
from mlgate.config.schema import GateConfig
from mlgate.core.errors import ConfigError
from mlgate.core.registry import Resamples
from mlgate.core.result import CheckResult, Part, Status, Threshold
from mlgate.core.task import Task
from mlgate.stats.metrics import METRICS, UndefinedMetricError, get_metric

KIND = "perturbation"


class PerturbationParams(ChangeParams):
    transform: str = "gaussian_noise"
    variants: int = Field(10, ge=1, le=1_000)
    max_flip_rate: float | None = Field(None, ge=0.0, le=1.0)
    flip: Literal["per_variant", "any_variant"] = "per_variant"
    tolerance: float | None = Field(None, ge=0.0)
    metric: str | None = None
    max_metric_drop: float | None = None
    n_resamples: Resamples = 1000

    @model_validator(mode="after")
    def _bounds(self) -> PerturbationParams:
        bounds = (self.max_flip_rate, self.max_metric_drop, self.max_mean_change)
        if all(b is None for b in bounds) and self.max_change_quantile is None:
            raise ValueError(
                "give at least one of 'max_flip_rate', 'max_metric_drop' (with 'metric'), "
                "'max_mean_change' or 'max_change_quantile'"
            )
        if (self.metric is None) != (self.max_metric_drop is None):
            raise ValueError("'metric' and 'max_metric_drop' go together: give both or neither")
        if self.metric is not None and self.metric not in METRICS:
            raise ValueError(f"unknown metric {self.metric!r}; known: {', '.join(METRICS)}")
        return self


def _validate(p: PerturbationParams, config: GateConfig) -> None:
    validate_common(p, config)
    if p.metric is not None:
        if config.task not in get_metric(p.metric).tasks:
            raise ConfigError(
                f"metric {p.metric!r} does not apply to a {config.task.value} task", path="metric"
            )
        if config.datasets[p.dataset].label is None:
            raise ConfigError(
                f"dataset {p.dataset!r} has no 'label' column to compute {p.metric} on",
                path="dataset",
            )
    if config.task is Task.REGRESSION and p.max_flip_rate is not None and p.tolerance is None:
        raise ConfigError(
            "a regression value always moves a little: give 'tolerance', the change that "
            "counts as a flip",
            path="tolerance",
        )


def evaluate_perturbation(t: Target, p: PerturbationParams) -> CheckResult:
    compare = change_compare(t.ctx.task, p.tolerance)
    v = vary(KIND, t, p, compare)
    applied, outcome = v.applied, v.outcome
    parts: list[Part] = []
    evidence: dict[str, Any] = {
        **v.evidence(),
        "pairs": len(outcome.rows),
        "pairs_flipped": int((outcome.violation & outcome.changed).sum()),
        "model_calls": outcome.model_calls,
    }
    headline: dict[str, Any] = {}
    if p.max_flip_rate is not None:
        per_variant = p.flip == "per_variant"
        judge = judge_pair_rate if per_variant else judge_rate
        flips = judge(outcome, p.max_flip_rate, p)
        parts.append(flips.part("flip_rate", "flip rate"))
        evidence["flip_rate"] = {
            "counted": p.flip,
            **rate_evidence(flips, p.max_flip_rate),
            "interval": flips.interval.to_dict() if flips.interval else None,
        }
        method = (
            f"share of changed (row, variant) pairs whose prediction flipped, over {p.variants} "
            "variant(s) per row; Wilson score interval at the effective sample size (rows as "
            "clusters)"
            if per_variant
            else f"share of changed rows whose prediction flipped under any of {p.variants} "
            "variant(s); Wilson score interval"
        )
        headline = {
            "metric": "flip_rate",
            "value": flips.rate,
            "interval": flips.interval,
            "threshold": Threshold("<=", p.max_flip_rate),
            "sample_size": flips.n_changed,
            "method": method,
        }
    if p.max_metric_drop is not None:
        part, drop = _judge_drop(t, p, outcome)
        parts.append(part)
        evidence["metric_drop"] = {**(drop.to_dict() if drop else {}), "max": p.max_metric_drop}
        if not headline and drop is not None:
            headline = {
                "metric": f"{p.metric}_drop",
                "value": drop.drop,
                "interval": drop.interval,
                "threshold": Threshold("<=", p.max_metric_drop),
                "sample_size": outcome.n_rows,
                "method": f"{p.metric} before minus after perturbation; "
                f"{drop.interval.method if drop.interval else 'no interval'}",
            }
    change_parts, change = assess_change(t, p, outcome)
    parts += change_parts
    if change is not None:
        evidence["score_change"] = change
    head = (
        f"{applied.name} on {list(applied.columns)} ({p.variants} variants{t.sample_note()}): "
        + "; ".join(part.message for part in parts)
    )
    return v.result(
        parts,
        head=head,
        evidence=evidence,
        headline=headline,
    )


def _judge_drop(t: Target, p: PerturbationParams, outcome) -> tuple[Part, MetricDrop | None]:
    """The metric drop as the part ``<metric>_drop``: judged ``<= max_metric_drop`` on its
    paired interval; inconclusive without a threshold when the metric is undefined, has no
    interval or has fewer than ``min_samples`` rows."""
    name = f"{p.metric}_drop"
    metric = get_metric(p.metric)
    try:
        drop = metric_drop(
            metric,
            t.labels(),
            t.original,
            outcome,
            level=p.confidence,
            rng=t.rng,
            n_resamples=p.n_resamples,
            source=t.source,
        )
    except UndefinedMetricError as exc:
        return Part(name, Status.INCONCLUSIVE, message=f"{p.metric} drop undefined: {exc}"), None
    n = outcome.n_rows
    if drop.interval is None:
        text = f"{p.metric} drop {drop.drop:.4g}: no interval"
        return Part(name, Status.INCONCLUSIVE, drop.drop, sample_size=n, message=text), drop
    ci = drop.interval
    text = (
        f"{p.metric} drop {drop.drop:.4g} [{ci.low:.4g}, {ci.high:.4g}] ({ci.level:.0%}) "
        f"from {drop.before:.4g} to {drop.after:.4g}"
    )
    if n < p.min_samples:
        text = f"{text}; only {n} rows < min_samples"
        return Part(name, Status.INCONCLUSIVE, drop.drop, ci, None, n, text), drop
    threshold = Threshold("<=", p.max_metric_drop)
    status = threshold.judge(ci, value=drop.drop)
    verdict = {Status.PASSED: "≤", Status.FAILED: ">"}.get(status, "straddles")
    text = f"{text}, interval {verdict} {p.max_metric_drop:g}"
    return Part(name, status, drop.drop, ci, threshold, n, text), drop


PERTURBATION = behavior_check(
    KIND,
    PerturbationParams,
    evaluate_perturbation,
    summary="Small perturbations must not flip many predictions (flip rate, Wilson interval) "
    "or cost much of a metric (paired interval).",
    validate=_validate,
)
