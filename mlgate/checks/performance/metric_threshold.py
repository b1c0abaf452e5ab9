"""Metric threshold: a metric of a model on a dataset must clear a bound, judged on its
confidence interval (``interval``: bootstrap ``percentile`` (default) or ``bca``, ``wilson`` for
proportions, ``delong`` for binary ROC AUC).

``passed`` only when the whole interval clears the bound, ``failed`` when it lies wholly on
the wrong side, ``inconclusive`` when it straddles the bound, when the sample is smaller than
``min_samples``, or when the metric is undefined on too many resamples.

A bound may be **relative** to another model's metric on the same rows:
``max: {relative: 0.95, of: mean}`` is "MAE at most 95% of the mean baseline's"; the ratio
candidate / reference is then judged against 0.95 on its paired bootstrap interval
(:mod:`mlgate.checks.performance.relative`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PositiveInt,
    ValidationInfo,
    field_validator,
    model_validator,
)

from mlgate.checks.performance.baseline_models import check_spec
from mlgate.checks.performance.curves import binary_plots
from mlgate.checks.performance.relative import RelativeBound, as_relative, relative_problem
from mlgate.checks.performance.relative_threshold import relative_id, run_relative_threshold
from mlgate.config.schema import GateConfig
from mlgate.core.context import Batch, GateContext
from mlgate.core.errors import ConfigError, DataError
from mlgate.core.registry import CheckType, Resamples, require_dataset, require_model
from mlgate.core.result import CheckResult, Interval, Part, Status, Threshold
from mlgate.models import Predictions
from mlgate.stats.evaluate import INTERVAL_METHODS, estimate, interval_problem
from mlgate.stats.metrics import UndefinedMetricError, get_metric
from mlgate.stats.scoring import check_metric, encode

KIND = "metric"


class MetricThresholdParams(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    metric: str
    min: float | RelativeBound | None = None
    max: float | RelativeBound | None = None
    model: str = "candidate"
    dataset: str = "evaluation"
    confidence: float = Field(0.95, gt=0.5, lt=1.0)
    n_resamples: Resamples = 1000
    min_samples: PositiveInt = 30
    max_undefined_fraction: float = Field(0.05, ge=0.0, le=1.0)
    interval: str = "percentile"

    @field_validator("min", "max", mode="before")
    @classmethod
    def _relative(cls, value: Any, info: ValidationInfo) -> Any:
        example = (
            "{relative: 0.95, of: mean} (at most 0.95 × the mean baseline's metric)"
            if info.field_name == "max"
            else "{relative: 1.05, of: zero_rule} (at least 1.05 × the zero-rule's metric)"
        )
        return as_relative(value, RelativeBound, example)

    @model_validator(mode="after")
    def _one_bound(self) -> MetricThresholdParams:
        try:
            metric = get_metric(self.metric)
        except KeyError as exc:
            raise ValueError(str(exc.args[0])) from None
        if self.interval not in (*INTERVAL_METHODS, "poisson"):
            raise ValueError(
                f"unknown interval {self.interval!r}; use one of {[*INTERVAL_METHODS, 'poisson']}"
            )
        problem = (
            None if self.interval == "poisson" else interval_problem(metric, self.interval, None)
        )
        if problem:
            raise ValueError(problem)
        if (self.min is None) == (self.max is None):
            raise ValueError(
                "give exactly one of 'min' (the metric must be at least this) or "
                "'max' (at most this)"
            )
        if self.relative is not None:
            problem = relative_problem(metric, self.interval, self.bound_key)
            if problem:
                raise ValueError(problem)
            return self
        never = metric.unreachable(self.threshold.op, self.threshold.bound)
        if never:
            raise ValueError(never)
        return self

    @property
    def bound_key(self) -> str:
        return "min" if self.min is not None else "max"

    @property
    def relative(self) -> RelativeBound | None:
        """The relative bound, when the bound is one."""
        bound = self.min if self.min is not None else self.max
        return bound if isinstance(bound, RelativeBound) else None

    @property
    def threshold(self) -> Threshold:
        """``metric >= min`` / ``metric <= max``; for a relative bound, the ratio candidate /
        reference against the multiple."""
        bound = self.min if self.min is not None else self.max
        value = bound.relative if isinstance(bound, RelativeBound) else bound
        return Threshold(">=" if self.min is not None else "<=", float(value))  # type: ignore[arg-type]


def _validate(params: MetricThresholdParams, config: GateConfig) -> None:
    check_metric(params.metric, config.task)
    require_model(config, params.model)
    require_dataset(config, params.dataset)
    rel = params.relative
    if rel is not None:
        problem = check_spec(rel.of, config.task, list(config.models))
        if problem and isinstance(rel.of, str):
            problem += (
                f"; {rel.of!r} is a declared model: write of: {{model: {rel.of}}}"
                if rel.of in config.models
                else "; a declared model is written of: {model: name}"
            )
        if problem:
            raise ConfigError(problem, path=f"{params.bound_key}.of")
        if rel.fit_on is not None:
            require_dataset(config, rel.fit_on, path=f"{params.bound_key}.fit_on")
    if params.interval in ("wilson", "delong") and params.metric != "accuracy":
        from mlgate.core.task import Task

        if config.task is not Task.BINARY:
            raise ConfigError(
                f"a {params.interval} interval of {params.metric!r} needs a binary task",
                path="interval",
            )


def every_row(batches: Iterable[Batch]) -> tuple[np.ndarray, Predictions]:
    """The labels and predictions of every row, read through :meth:`GateContext.batches`.

    The interval needs all rows at once (a bootstrap resamples rows, DeLong sorts every
    score), so the check declares ``needs_all_rows``: one batch (``ctx.batch_rows`` unset) is
    used as it comes, several are joined in row order.
    """
    batches = list(batches)
    if len(batches) == 1:
        (batch,) = batches
        assert batch.y is not None and batch.predictions is not None  # a labelled dataset
        return batch.y, batch.predictions
    preds = [b.predictions for b in batches]
    assert all(b.y is not None for b in batches) and all(p is not None for p in preds)

    def joined(name: str) -> np.ndarray | None:
        arrays = [getattr(p, name) for p in preds]
        return None if arrays[0] is None else np.concatenate(arrays)

    first = preds[0]
    return np.concatenate([b.y for b in batches]), Predictions(
        first.task,
        labels=joined("labels"),
        scores=joined("scores"),
        values=joined("values"),
        classes=first.classes,
    )


def run_metric_threshold(ctx: GateContext, params: MetricThresholdParams) -> CheckResult:
    if params.relative is not None:
        return run_relative_threshold(ctx, params)
    metric = get_metric(params.metric)
    if params.interval == "poisson":  # folds batches: runs on Dask at any size (docs/dask.md)
        try:
            est, sketch = _poisson(ctx, params, metric)
        except UndefinedMetricError as exc:
            # n=None: the fold that would have counted the rows stopped at the undefined metric
            return _result(
                params, Status.INCONCLUSIVE, message=f"{params.metric} undefined: {exc}", n=None
            )
        if est.n < params.min_samples:
            return _result(
                params,
                Status.INCONCLUSIVE,
                value=est.value,
                n=est.n,
                message=f"only {est.n} rows in {params.dataset!r}; at least "
                f"min_samples={params.min_samples} are needed to judge",
            )
        return _judge(params, metric, est, {"value": est.value, "n": est.n}, sketch)
    labels, preds = every_row(ctx.batches(params.model, params.dataset))
    n = len(labels)
    try:
        y, (output,), k = encode(
            labels, [preds], metric, ctx.task, models=[params.model], dataset=params.dataset
        )
    except DataError as exc:
        if "gives only labels" not in str(exc):
            raise
        return _result(params, Status.ERROR, n=n, message=str(exc))
    try:
        value = metric.compute(y, output, k)
    except UndefinedMetricError as exc:
        return _result(
            params, Status.INCONCLUSIVE, message=f"{params.metric} undefined: {exc}", n=n
        )
    base: dict[str, Any] = {"value": value, "n": n}
    plots = binary_plots(metric, labels, preds, ctx.task)
    if n < params.min_samples:
        return _result(
            params,
            Status.INCONCLUSIVE,
            **base,
            evidence=dict(plots),
            message=(
                f"only {n} rows in {params.dataset!r}; at least min_samples={params.min_samples} "
                "are needed to judge"
            ),
        )
    rng = ctx.rng(f"metric_threshold:{params.metric}:{params.model}:{params.dataset}")
    with ctx.progress.task(f"{params.metric} bootstrap", params.n_resamples) as advance:
        est = estimate(
            metric,
            y,
            output,
            k,
            method=params.interval,  # type: ignore[arg-type]
            level=params.confidence,
            rng=rng,
            n_resamples=params.n_resamples,
            progress=advance,
        )
    return _judge(params, metric, est, base, plots)


def _poisson(ctx: GateContext, params: MetricThresholdParams, metric) -> tuple[Any, dict[str, Any]]:
    """(the estimate, evidence of its sketch) from folds of the batches
    (:func:`~mlgate.stats.poisson_metric.poisson_metric`): ROC AUC and average precision
    (binary or one-vs-rest) through :mod:`~mlgate.stats.rank_poisson` (bounded memory, stated
    error), every other metric through its accumulator per resample."""
    from mlgate.core.task import Task
    from mlgate.stats.poisson_metric import poisson_metric

    p, spec = params, ctx.gate.config.models.get(params.model)
    return poisson_metric(
        ctx.fold,
        seed=ctx.seed,
        key=f"metric_threshold:{p.metric}:{p.model}:{p.dataset}",
        metric=p.metric,
        model=p.model,
        dataset=p.dataset,
        classes=spec.classes if spec else None,
        binary=ctx.task is Task.BINARY,
        n_resamples=p.n_resamples,
        level=p.confidence,
    )


def _judge(
    params: MetricThresholdParams,
    metric,
    est,
    base: dict[str, Any],
    extra: Mapping[str, Any] | None = None,
) -> CheckResult:
    """The check's result for the estimate ``est``; ``extra`` (the ROC, precision–recall and
    confusion-matrix blocks of :mod:`~mlgate.checks.performance.curves`, or the Poisson AUC
    sketch's error) closes its evidence."""
    value = base["value"]
    evidence: dict[str, Any] = {"higher_is_better": metric.higher_is_better}
    if params.interval in ("percentile", "bca", "poisson"):
        evidence |= {
            "n_resamples": est.n_resamples,
            "undefined_resamples": est.n_undefined,
            "resampling": est.scheme,
        }
    evidence |= extra or {}
    if est.interval is None or est.undefined_fraction > params.max_undefined_fraction:
        why = (
            f"{params.metric} was undefined on {est.n_undefined} of {est.n_resamples} "
            "resamples (too few rows of some class)"
            if est.n_undefined
            else f"no {params.interval} interval: {est.reason}"
        )
        return _result(
            params,
            Status.INCONCLUSIVE,
            **base,
            evidence=evidence,
            message=why,
            interval=est.interval,
        )
    status = params.threshold.judge(est.interval)
    # One part: the bound judged on the interval (so the kernel can apply a decision rule).
    part = Part(params.metric, status, value, est.interval, params.threshold, base["n"])
    return _result(
        params,
        status,
        **base,
        interval=est.interval,
        evidence=evidence,
        message=_describe(params, value, est.interval, status),
        parts=(part,),
    )


def _describe(p: MetricThresholdParams, value: float, ci: Interval, status: Status) -> str:
    t = p.threshold
    where = (
        f"{p.metric} of {p.model!r} on {p.dataset!r} = {value:.4g} "
        f"[{ci.low:.4g}, {ci.high:.4g}] ({ci.level:.0%} CI)"
    )
    if status is Status.PASSED:
        return f"{where}, whole interval {t.op} {t.bound:g}"
    if status is Status.FAILED:
        return f"{where}, whole interval on the wrong side of {t.op} {t.bound:g}"
    return f"{where} straddles the bound {t.op} {t.bound:g}: more data needed to decide"


def _result(
    p: MetricThresholdParams,
    status: Status,
    *,
    message: str,
    n: int | None,
    value: float | None = None,
    interval: Interval | None = None,
    evidence: dict[str, Any] | None = None,
    parts: tuple[Part, ...] = (),
) -> CheckResult:
    return CheckResult(
        check_id=f"{p.metric}",
        parts=parts,
        kind=KIND,
        status=status,
        metric=p.metric,
        value=value,
        interval=interval,
        threshold=p.threshold,
        sample_size=n,
        method=f"{p.metric} (mlgate.stats.metrics), {interval.method} over rows"
        if interval
        else None,
        message=message,
        evidence={"model": p.model, "dataset": p.dataset, **(evidence or {})},
    )


def _default_id(p: MetricThresholdParams) -> str:
    if p.relative is not None:
        return relative_id(p)
    suffix = (
        "" if (p.model, p.dataset) == ("candidate", "evaluation") else f"-{p.model}-{p.dataset}"
    )
    return f"{p.metric}{suffix}"


METRIC_THRESHOLD = CheckType(
    name="metric_threshold",
    kind=KIND,
    params=MetricThresholdParams,
    run=run_metric_threshold,
    summary="A metric (accuracy, f1, roc_auc, log_loss, mae, rmse, r2, ...; see "
    "mlgate.stats.metrics) must clear min/max, judged on its confidence interval (bootstrap "
    "percentile or BCa, Wilson, DeLong); or a multiple of a baseline's metric on the same rows "
    "({relative: 0.95, of: mean}), judged on the ratio's paired bootstrap interval.",
    validate=_validate,
    default_id=_default_id,
    # Reads its rows through ctx.batches, but the interval needs them all at once (see
    # every_row): a chunked engine must hand it every row.
    needs_all_rows=lambda p: p.interval != "poisson",
)
