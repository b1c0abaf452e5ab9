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
    default_id,
    describe_rate,
    example_evidence,
    examples_block,
    judge_pair_rate,
    judge_rate,
    rate_evidence,
    run_variants,
    shrunk_evidence,
    validate_common,
)
from mlgate.checks.behavior.checks.metric_drop import MetricDrop, metric_drop
from mlgate.checks.behavior.compare import change_compare
from mlgate.checks.behavior.evidence import finish_message
from mlgate.config.schema import GateConfig
from mlgate.core.context import GateContext
from mlgate.core.errors import ConfigError
from mlgate.core.registry import CheckType, Resamples
from mlgate.core.result import CheckResult, Status, Threshold
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


def run_perturbation(ctx: GateContext, p: PerturbationParams) -> CheckResult:
    return evaluate_perturbation(Target.read(ctx, p, KIND), p)


def evaluate_perturbation(t: Target, p: PerturbationParams) -> CheckResult:
    compare = change_compare(t.ctx.task, p.tolerance)
    applied, outcome = run_variants(t, p, compare)
    statuses: list[Status] = []
    parts: list[str] = []
    evidence: dict[str, Any] = {
        "model": t.model,
        "dataset": t.dataset,
        "transform": applied.describe(),
        "variants": p.variants,
        "sample": t.sample_evidence(),
        "pairs": len(outcome.rows),
        "pairs_flipped": int((outcome.violation & outcome.changed).sum()),
        "model_calls": outcome.model_calls,
    }
    headline: dict[str, Any] = {}
    if p.max_flip_rate is not None:
        per_variant = p.flip == "per_variant"
        judge = judge_pair_rate if per_variant else judge_rate
        flips = judge(outcome, p.max_flip_rate, p)
        statuses.append(flips.status)
        parts.append(describe_rate("flip rate", flips))
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
        status, text, drop = _judge_drop(t, p, outcome)
        statuses.append(status)
        parts.append(text)
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
    change_statuses, change_parts, change = assess_change(t, p, outcome)
    statuses += change_statuses
    parts += change_parts
    if change is not None:
        evidence["score_change"] = change
    status = Status.worst(statuses)
    examples = example_evidence(t, outcome)
    evidence["examples"] = examples_block(examples, "worst examples")
    minimal, note = [], None
    if status is not Status.PASSED and examples and p.shrink:
        minimal, note = shrunk_evidence(t, p, applied, outcome, compare)
    evidence["minimal"] = examples_block(minimal, "minimal counterexamples")
    if note:
        evidence["minimal_note"] = note
    head = (
        f"{applied.name} on {list(applied.columns)} ({p.variants} variants{t.sample_note()}): "
        + "; ".join(parts)
    )
    return CheckResult(
        check_id="?",
        kind=KIND,
        status=status,
        message=finish_message(head, examples, minimal, note),
        evidence=evidence,
        **headline,
    )


def _judge_drop(t: Target, p: PerturbationParams, outcome) -> tuple[Status, str, MetricDrop | None]:
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
        return Status.INCONCLUSIVE, f"{p.metric} drop undefined: {exc}", None
    if drop.interval is None:
        return Status.INCONCLUSIVE, f"{p.metric} drop {drop.drop:.4g}: no interval", drop
    ci = drop.interval
    text = (
        f"{p.metric} drop {drop.drop:.4g} [{ci.low:.4g}, {ci.high:.4g}] ({ci.level:.0%}) "
        f"from {drop.before:.4g} to {drop.after:.4g}"
    )
    if outcome.n_rows < p.min_samples:
        return Status.INCONCLUSIVE, f"{text}; only {outcome.n_rows} rows < min_samples", drop
    status = Threshold("<=", p.max_metric_drop).judge(ci)
    verdict = {Status.PASSED: "≤", Status.FAILED: ">"}.get(status, "straddles")
    return status, f"{text}, interval {verdict} {p.max_metric_drop:g}", drop


PERTURBATION = CheckType(
    name=KIND,
    kind=KIND,
    params=PerturbationParams,
    run=run_perturbation,
    summary="Small perturbations must not flip many predictions (flip rate, Wilson interval) "
    "or cost much of a metric (paired interval).",
    validate=_validate,
    default_id=lambda p: default_id(KIND, p),
)
