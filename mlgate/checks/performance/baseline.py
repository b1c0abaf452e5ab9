"""Baseline check: the candidate must beat each baseline by a margin.

For each baseline (random, zero-rule, a heuristic, an existing model; see
:mod:`mlgate.checks.performance.baseline_models`) the improvement of the candidate's metric over the
baseline's (positive = candidate better, whatever the metric's direction) gets a paired
bootstrap interval on the same rows. A baseline is **passed** when the whole interval lies
above ``margin``, **failed** when it lies at or below it, **inconclusive** otherwise. The check
passes only when every baseline passes; since every comparison must succeed (an
intersection–union test) no multiplicity correction is needed.

``margin: {relative: 0.05}`` asks for more than 5% of each baseline's metric: the relative
improvement (candidate / baseline − 1, sign flipped for losses) is judged on the paired
bootstrap interval of the ratio (:mod:`mlgate.checks.performance.relative`).

``interval: poisson`` folds batches instead (:mod:`mlgate.checks.performance.baseline_folded`):
the baselines' statistics are folded, each baseline is predicted inside one fold of the
candidate's batches, and all share one Poisson weight key (paired resamples), so the check runs
on Dask at any size; a ``callable`` baseline or a ranking metric still needs every row.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, PositiveInt, field_validator, model_validator

from mlgate.checks.performance.baseline_folded import needs_rows, poisson_comparisons
from mlgate.checks.performance.baseline_models import (
    CallableBaseline,
    ModelBaseline,
    RuleBaseline,
    baseline_name,
    check_spec,
    predict_baseline,
)
from mlgate.checks.performance.relative import as_relative, paired_ratio, relative_problem
from mlgate.config.schema import GateConfig
from mlgate.core.context import GateContext
from mlgate.core.engines import CollectRefused
from mlgate.core.errors import ConfigError, EmptyDatasetError, MlgateError
from mlgate.core.evidence import Bars, Table
from mlgate.core.params import RelativeMargin
from mlgate.core.registry import CheckType, Resamples, require_dataset, require_model
from mlgate.core.result import CheckResult, Interval, Part, Status, Threshold, rounded
from mlgate.core.task import Task
from mlgate.stats.evaluate import Comparison, compare
from mlgate.stats.metrics import UndefinedMetricError, get_metric
from mlgate.stats.scoring import check_metric, encode, seen_classes

KIND = "baseline"


class BaselineParams(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    metric: str
    margin: float | RelativeMargin = 0.0
    against: list[str | ModelBaseline | CallableBaseline | RuleBaseline] = Field(
        default_factory=lambda: ["uniform", "prior", "zero_rule"], min_length=1
    )
    model: str = "candidate"
    dataset: str = "evaluation"
    fit_on: str | None = None
    confidence: float = Field(0.95, gt=0.5, lt=1.0)
    n_resamples: Resamples = 1000
    interval: str = Field(
        "percentile",
        pattern="^(percentile|bca|poisson)$",
        description="`percentile` / `bca`: a paired bootstrap over rows (every row in one "
        "place); `poisson`: the baselines' statistics and a paired Poisson bootstrap folded over "
        "batches (runs on Dask at any size; a `callable` baseline or a ranking metric still "
        "needs every row).",
    )
    min_samples: PositiveInt = 30
    max_undefined_fraction: float = Field(0.05, ge=0.0, le=1.0)

    @field_validator("margin", mode="before")
    @classmethod
    def _relative(cls, value: Any) -> Any:
        example = "{relative: 0.05} (beat each baseline by more than 5% of its metric)"
        return as_relative(value, RelativeMargin, example)

    @model_validator(mode="after")
    def _known_metric(self) -> BaselineParams:
        try:
            metric = get_metric(self.metric)
        except KeyError as exc:
            raise ValueError(str(exc.args[0])) from None
        if isinstance(self.margin, RelativeMargin):
            # under poisson the ratio is taken per paired Poisson resample (baseline_folded)
            interval = "percentile" if self.interval == "poisson" else self.interval
            problem = relative_problem(metric, interval, "margin")
            if problem:
                raise ValueError(problem)
        names = [baseline_name(s) for s in self.against]
        if len(set(names)) != len(names):
            raise ValueError(f"baselines must have distinct names, got {names}")
        return self

    @property
    def relative(self) -> bool:
        return isinstance(self.margin, RelativeMargin)

    @property
    def margin_value(self) -> float:
        """The margin as a number: in the metric's units, or a share when relative."""
        m = self.margin
        return float(m.relative if isinstance(m, RelativeMargin) else m)

    @property
    def margin_text(self) -> str:
        """``0.02``, or ``5% of its mae`` for a relative margin."""
        if isinstance(self.margin, RelativeMargin):
            return f"{100 * self.margin.relative:.4g}% of its {self.metric}"
        return f"{self.margin:g}"


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
    if p.interval == "poisson":  # folds batches: runs on Dask at any size (docs/dask.md)
        return _run_poisson(ctx, p, metric)
    data = ctx.dataset(p.dataset)
    fit_name = fit_dataset(p, ctx)
    fit = ctx.dataset(fit_name)
    cand = ctx.predict(p.model, p.dataset)
    n = len(data)
    classes = None
    if ctx.task is not Task.REGRESSION:
        classes = cand.classes if cand.classes is not None else seen_classes(data.y, cand.labels)
    threshold = Threshold(">=", p.margin_value)
    rows: list[dict[str, Any]] = []
    parts: list[Part] = []
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
            if p.relative:
                cmp = _relative_comparison(p, metric, y, out_c, out_b, k, ctx.rng(key + ":ratio"))
            else:
                with ctx.progress.task(f"vs {name} bootstrap", p.n_resamples) as advance:
                    cmp = compare(
                        metric,
                        y,
                        out_c,
                        out_b,
                        k,
                        boundary=p.margin_value,
                        test="bootstrap",
                        level=p.confidence,
                        rng=ctx.rng(key + ":bootstrap"),
                        n_resamples=p.n_resamples,
                        bootstrap_method=p.interval,  # type: ignore[arg-type]
                        progress=advance,
                    )
        except UndefinedMetricError as exc:
            parts.append(Part(name, Status.INCONCLUSIVE, threshold=threshold, sample_size=n))
            rows.append({"baseline": name, "status": "inconclusive", "message": f"{exc}"})
            continue
        except MlgateError as exc:
            parts.append(Part(name, Status.ERROR, threshold=threshold, sample_size=n))
            rows.append({"baseline": name, "status": "error", "message": str(exc)})
            continue
        _judged(name, cmp, p, n, threshold, parts, rows)
    return _result(p, metric, rows, parts, fit_name)


def _run_poisson(ctx: GateContext, p: BaselineParams, metric) -> CheckResult:
    """The check from the paired Poisson comparisons of :mod:`.baseline_folded`."""
    fit_name = fit_dataset(p, ctx)
    threshold = Threshold(">=", p.margin_value)
    try:
        compared, n = poisson_comparisons(ctx, p, fit_name)
    except (CollectRefused, EmptyDatasetError):  # the kernel's to report
        raise
    except MlgateError as exc:  # the candidate itself cannot be folded
        compared, n = [(baseline_name(s), exc) for s in p.against], None
    rows: list[dict[str, Any]] = []
    parts: list[Part] = []
    for name, cmp in compared:
        if isinstance(cmp, MlgateError):
            status = Status.INCONCLUSIVE if isinstance(cmp, UndefinedMetricError) else Status.ERROR
            parts.append(Part(name, status, threshold=threshold, sample_size=n))
            rows.append({"baseline": name, "status": status.value, "message": str(cmp)})
            continue
        _judged(name, cmp, p, cmp.n, threshold, parts, rows)
    return _result(p, metric, rows, parts, fit_name)


def _judged(
    name: str,
    cmp: Comparison,
    p: BaselineParams,
    n: int | None,
    threshold: Threshold,
    parts: list[Part],
    rows: list[dict[str, Any]],
) -> None:
    """Judge one baseline's comparison: its part (re-judgeable on the interval) and its row."""
    status, message = _judge(cmp, p, n)
    part = Part(name, status, cmp.improvement, cmp.interval, threshold, n, message)
    parts.append(part)
    rows.append(_row(name, cmp, status, message))


def _relative_comparison(p: BaselineParams, metric, y, out_c, out_b, k, rng) -> Comparison:
    """The relative improvement sign·(candidate / baseline − 1) (positive = candidate better)
    with the interval of the paired bootstrap ratio mapped onto it."""
    ratio = paired_ratio(
        metric,
        y,
        out_c,
        out_b,
        k,
        rng=rng,
        n_resamples=p.n_resamples,
        level=p.confidence,
        method=p.interval,  # type: ignore[arg-type]
    )
    sign = 1.0 if metric.higher_is_better else -1.0
    ci = ratio.interval
    interval = None
    if ci is not None:
        low, high = sorted((sign * (ci.low - 1.0), sign * (ci.high - 1.0)))
        interval = Interval(low, high, ci.level, ci.method)
    improvement = float("nan") if ratio.value is None else sign * (ratio.value - 1.0)
    return Comparison(
        metric=metric.name,
        candidate=ratio.candidate,
        reference=ratio.reference,
        improvement=improvement,
        boundary=p.margin_value,
        interval=interval,
        se=None,
        p_value=None,
        test=f"paired bootstrap ({p.interval}) of the ratio",
        n=len(y),
        details={
            "n_resamples": ratio.n_resamples,
            "undefined_resamples": ratio.n_undefined,
            **({"no_interval": ratio.reason} if ratio.reason else {}),
        },
    )


def _judge(cmp: Comparison, p: BaselineParams, n: int) -> tuple[Status, str]:
    undefined = cmp.details.get("undefined_resamples", 0) / max(p.n_resamples, 1)
    if n < p.min_samples:
        return Status.INCONCLUSIVE, f"only {n} rows; min_samples={p.min_samples}"
    if cmp.interval is None or undefined > p.max_undefined_fraction:
        return Status.INCONCLUSIVE, "metric undefined on too many resamples"
    # A baseline is beaten only by *more* than the margin (a rule identical to the candidate,
    # improvement [0, 0], is not beaten by 0), while the kernel's bounds are inclusive: judge
    # the opposite claim, "improvement <= margin", and turn its verdict round.
    not_beaten = Threshold("<=", p.margin_value).judge(cmp.interval)
    if not_beaten is Status.FAILED:
        return Status.PASSED, f"beats it by more than {p.margin_text}"
    if not_beaten is Status.PASSED:
        return Status.FAILED, f"does not beat it by {p.margin_text}"
    return Status.INCONCLUSIVE, f"interval straddles the margin {p.margin_text}: more data needed"


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


COLUMNS = ("baseline", "candidate", "value", "improvement", "interval", "status", "message")


def _result(p: BaselineParams, metric, rows, parts: list[Part], fit_name: str) -> CheckResult:
    # The deciding baseline: of those with the check's status, the one closest to failing
    # (lowest interval end) comes first, so CheckResult.from_parts takes its headline.
    ranked = sorted(parts, key=_low)
    status = Status.worst(ranked)
    decisive = next(part for part in ranked if part.status is status)
    lines = [f"{r['baseline']}: {r['status']} ({r.get('message', '')})" for r in rows]
    how = (
        "poisson: the same counter-based row weights for both"
        if p.interval == "poisson"
        else p.interval
    )
    head = {
        Status.PASSED: f"{p.model!r} beats every baseline on {p.metric} by more than "
        f"{p.margin_text}",
        Status.FAILED: f"{p.model!r} does not beat every baseline on {p.metric} by {p.margin_text}",
        Status.ERROR: "a baseline could not be evaluated",
        Status.INCONCLUSIVE: f"the data cannot tell whether {p.model!r} beats every baseline",
    }[status]
    return CheckResult.from_parts(
        KIND,
        ranked,
        check_id=f"baseline-{p.metric}",
        metric=f"{p.metric} improvement over {decisive.name}",
        method=(
            f"paired bootstrap ({how}) of the ratio of {p.metric} (candidate / "
            "baseline − 1, oriented so positive is better) on the same rows"
            if p.relative
            else f"paired bootstrap ({how}) of {p.metric} (candidate − baseline, "
            "oriented so positive is better) on the same rows"
        ),
        message=f"{head}. " + "; ".join(lines),
        evidence={
            "model": p.model,
            "dataset": p.dataset,
            "fit_on": fit_name,
            "margin": {"relative": p.margin_value} if p.relative else p.margin,
            "higher_is_better": metric.higher_is_better,
            "baselines": Table(rows=tuple(rows), columns=COLUMNS, title="candidate vs baselines"),
            "improvement": Bars(
                labels=[part.name for part in parts],
                values=[rounded(part.value) for part in parts],
                low=[rounded(part.interval.low) if part.interval else None for part in parts],
                high=[rounded(part.interval.high) if part.interval else None for part in parts],
                over="baseline",
                quantity=f"{p.metric} improvement",
                title=f"{p.metric} improvement over each baseline (margin {p.margin_text})",
            ),
        },
    )


def _low(part: Part) -> float:
    return part.interval.low if part.interval is not None else float("inf")


def _default_id(p: BaselineParams) -> str:
    suffix = (
        "" if (p.model, p.dataset) == ("candidate", "evaluation") else f"-{p.model}-{p.dataset}"
    )
    return f"baseline-{p.metric}{suffix}"


BASELINE = CheckType(
    name="baseline",
    kind=KIND,
    params=BaselineParams,
    run=run_baseline,
    summary="The candidate must beat random, zero-rule, heuristic and existing-model baselines "
    "by a margin (in the metric's units or {relative: 0.05} of each baseline's), judged on a "
    "paired bootstrap interval of the improvement (interval: poisson folds batches: runs on "
    "Dask at any size).",
    validate=_validate,
    default_id=_default_id,
    # interval: poisson folds batches (baseline_folded; ranking metrics on a grid of score
    # buckets), except for a callable baseline (it predicts every row in one call).
    needs_all_rows=lambda p: p.interval != "poisson" or any(needs_rows(s) for s in p.against),
)

#: The check as a Python function: ``baseline_check(mlgate, metric="accuracy", margin=0.02)``
#: (the check type itself; parameters are validated as in the gate file).
baseline_check = BASELINE
