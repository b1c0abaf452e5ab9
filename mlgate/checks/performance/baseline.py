"""Baseline check: the candidate must beat each baseline by a margin.

For each baseline (random, zero-rule, a heuristic, an existing model; see
:mod:`mlgate.checks.performance.baseline_models`) the improvement of the candidate's metric over the
baseline's (positive = candidate better, whatever the metric's direction) gets a paired
bootstrap interval on the same rows. A baseline is **passed** when the whole interval lies
above ``margin``, **failed** when it lies at or below it, **inconclusive** otherwise. The check
passes only when every baseline passes; since every comparison must succeed (an
intersection–union test) no multiplicity correction is needed.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, PositiveInt, model_validator

from mlgate.checks.performance.baseline_models import (
    CallableBaseline,
    ModelBaseline,
    RuleBaseline,
    baseline_name,
    check_spec,
    predict_baseline,
)
from mlgate.config.schema import GateConfig
from mlgate.core.context import GateContext
from mlgate.core.errors import ConfigError, MlgateError
from mlgate.core.registry import CheckType, parse_params, require_dataset, require_model
from mlgate.core.result import CheckResult, Status, Threshold
from mlgate.core.task import Task
from mlgate.stats.evaluate import Comparison, compare
from mlgate.stats.metrics import UndefinedMetricError, get_metric
from mlgate.stats.scoring import check_metric, encode, rounded, seen_classes, worst_status

KIND = "baseline"


class BaselineParams(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    metric: str
    margin: float = 0.0
    against: list[str | ModelBaseline | CallableBaseline | RuleBaseline] = Field(
        default_factory=lambda: ["uniform", "prior", "zero_rule"], min_length=1
    )
    model: str = "candidate"
    dataset: str = "evaluation"
    fit_on: str | None = None
    confidence: float = Field(0.95, gt=0.5, lt=1.0)
    n_resamples: PositiveInt = 1000
    interval: str = Field("percentile", pattern="^(percentile|bca)$")
    min_samples: PositiveInt = 30
    max_undefined_fraction: float = Field(0.05, ge=0.0, le=1.0)

    @model_validator(mode="after")
    def _known_metric(self) -> BaselineParams:
        try:
            get_metric(self.metric)
        except KeyError as exc:
            raise ValueError(str(exc.args[0])) from None
        names = [baseline_name(s) for s in self.against]
        if len(set(names)) != len(names):
            raise ValueError(f"baselines must have distinct names, got {names}")
        return self


def _validate(p: BaselineParams, config: GateConfig) -> None:
    check_metric(p.metric, config.task)
    require_model(config, p.model)
    require_dataset(config, p.dataset)
    if p.fit_on is not None:
        require_dataset(config, p.fit_on, path="fit_on")
    for i, spec in enumerate(p.against):
        problem = check_spec(spec, config.task, list(config.models))
        if problem:
            raise ConfigError(problem, path=f"against[{i}]")


def fit_dataset(p: BaselineParams, ctx: GateContext) -> str:
    """``fit_on``, else the ``reference`` dataset when it has labels, else the evaluation set."""
    if p.fit_on is not None:
        return p.fit_on
    spec = ctx.gate.config.datasets.get("reference")
    return "reference" if spec is not None and spec.label is not None else p.dataset


def run_baseline(ctx: GateContext, p: BaselineParams) -> CheckResult:
    metric = get_metric(p.metric)
    data = ctx.dataset(p.dataset)
    fit_name = fit_dataset(p, ctx)
    fit = ctx.dataset(fit_name)
    cand = ctx.predict(p.model, p.dataset)
    n = len(data)
    classes = None
    if ctx.task is not Task.REGRESSION:
        classes = cand.classes if cand.classes is not None else seen_classes(data.y, cand.labels)
    rows: list[dict[str, Any]] = []
    comparisons: list[tuple[Status, Comparison | None]] = []
    for spec in p.against:
        name = baseline_name(spec)
        key = f"baseline:{p.metric}:{p.model}:{p.dataset}:{name}"
        try:
            preds = predict_baseline(
                spec, ctx, data=data, fit=fit, classes=classes, rng=ctx.rng(key)
            )
            y, (out_c, out_b), k = encode(
                data.y, [cand, preds], metric, ctx.task, models=[p.model, name], dataset=p.dataset
            )
            with ctx.progress.task(f"vs {name} bootstrap", p.n_resamples) as advance:
                cmp = compare(
                    metric,
                    y,
                    out_c,
                    out_b,
                    k,
                    boundary=p.margin,
                    test="bootstrap",
                    level=p.confidence,
                    rng=ctx.rng(key + ":bootstrap"),
                    n_resamples=p.n_resamples,
                    bootstrap_method=p.interval,  # type: ignore[arg-type]
                    progress=advance,
                )
        except UndefinedMetricError as exc:
            comparisons.append((Status.INCONCLUSIVE, None))
            rows.append({"baseline": name, "status": "inconclusive", "message": f"{exc}"})
            continue
        except MlgateError as exc:
            comparisons.append((Status.ERROR, None))
            rows.append({"baseline": name, "status": "error", "message": str(exc)})
            continue
        status, message = _judge(cmp, p, n)
        comparisons.append((status, cmp))
        rows.append(_row(name, cmp, status, message))
    return _result(p, metric, rows, comparisons, n, fit_name)


def _judge(cmp: Comparison, p: BaselineParams, n: int) -> tuple[Status, str]:
    undefined = cmp.details.get("undefined_resamples", 0) / max(p.n_resamples, 1)
    if n < p.min_samples:
        return Status.INCONCLUSIVE, f"only {n} rows; min_samples={p.min_samples}"
    if cmp.interval is None or undefined > p.max_undefined_fraction:
        return Status.INCONCLUSIVE, "metric undefined on too many resamples"
    ci = cmp.interval
    if ci.low > p.margin:
        return Status.PASSED, f"beats it by more than {p.margin:g}"
    if ci.high <= p.margin:
        return Status.FAILED, f"does not beat it by {p.margin:g}"
    return Status.INCONCLUSIVE, f"interval straddles the margin {p.margin:g}: more data needed"


def _row(name: str, cmp: Comparison, status: Status, message: str) -> dict[str, Any]:
    ci = cmp.interval
    return {
        "baseline": name,
        "candidate": rounded(cmp.candidate),
        "value": rounded(cmp.reference),
        "improvement": rounded(cmp.improvement),
        "interval": [rounded(ci.low), rounded(ci.high)] if ci else None,
        "status": status.value,
        "message": message,
    }


def _result(p, metric, rows, comparisons, n: int, fit_name: str) -> CheckResult:
    statuses = [s for s, _ in comparisons]
    status = worst_status(statuses)
    # The deciding baseline: of those with the overall status, the one closest to failing.
    same = [j for j, s in enumerate(statuses) if s is status]
    i = min(same, key=lambda j: _low(comparisons[j][1]))
    cmp = comparisons[i][1]
    lines = [f"{r['baseline']}: {r['status']} ({r.get('message', '')})" for r in rows]
    head = {
        Status.PASSED: f"{p.model!r} beats every baseline on {p.metric} by more than {p.margin:g}",
        Status.FAILED: f"{p.model!r} does not beat every baseline on {p.metric} by {p.margin:g}",
        Status.ERROR: "a baseline could not be evaluated",
        Status.INCONCLUSIVE: f"the data cannot tell whether {p.model!r} beats every baseline",
    }[status]
    return CheckResult(
        check_id=f"baseline-{p.metric}",
        kind=KIND,
        status=status,
        metric=f"{p.metric} improvement over {rows[i]['baseline']}",
        value=cmp.improvement if cmp else None,
        interval=cmp.interval if cmp else None,
        threshold=Threshold(">=", p.margin),
        sample_size=n,
        method=(
            f"paired bootstrap ({p.interval}) of {p.metric} (candidate − baseline, oriented so "
            "positive is better) on the same rows"
        ),
        message=f"{head}. " + "; ".join(lines),
        evidence={
            "model": p.model,
            "dataset": p.dataset,
            "fit_on": fit_name,
            "margin": p.margin,
            "higher_is_better": metric.higher_is_better,
            "baselines": rows,
        },
    )


def _low(cmp: Comparison | None) -> float:
    return cmp.interval.low if cmp is not None and cmp.interval is not None else float("inf")


def _default_id(p: BaselineParams) -> str:
    suffix = (
        "" if (p.model, p.dataset) == ("candidate", "evaluation") else f"-{p.model}-{p.dataset}"
    )
    return f"baseline-{p.metric}{suffix}"


def baseline_check(ctx: GateContext, **params: Any) -> CheckResult:
    """Run the baseline check from Python (e.g. in a test using the ``mlgate`` fixture):
    ``baseline_check(mlgate, metric="accuracy", margin=0.02)``. Raises ConfigError for bad
    parameters."""
    return run_baseline(ctx, parse_params(BASELINE, ctx.gate.config, params))


BASELINE = CheckType(
    name="baseline",
    kind=KIND,
    params=BaselineParams,
    run=run_baseline,
    summary="The candidate must beat random, zero-rule, heuristic and existing-model baselines "
    "by a margin, judged on a paired bootstrap interval of the improvement.",
    validate=_validate,
    default_id=_default_id,
)
