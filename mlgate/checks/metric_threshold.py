"""Metric threshold: a metric of a model on a dataset must clear a bound, judged on its
bootstrap confidence interval.

``passed`` only when the whole interval clears the bound, ``failed`` when it lies wholly on
the wrong side, ``inconclusive`` when it straddles the bound, when the sample is smaller than
``min_samples``, or when the metric is undefined on too many resamples.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, PositiveInt, model_validator

from mlgate.config.schema import GateConfig, Task
from mlgate.context import GateContext
from mlgate.errors import ConfigError, DataError
from mlgate.registry import CheckType
from mlgate.result import CheckResult, Interval, Status, Threshold
from mlgate.stats.bootstrap import percentile_bootstrap
from mlgate.stats.metrics import METRICS, UndefinedMetricError, encode_labels, get_metric

KIND = "metric"


class MetricThresholdParams(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    metric: str
    min: float | None = None
    max: float | None = None
    model: str = "candidate"
    dataset: str = "evaluation"
    confidence: float = Field(0.95, gt=0.5, lt=1.0)
    n_resamples: PositiveInt = 1000
    min_samples: PositiveInt = 30
    max_undefined_fraction: float = Field(0.05, ge=0.0, le=1.0)

    @model_validator(mode="after")
    def _one_bound(self) -> MetricThresholdParams:
        if self.metric not in METRICS:
            raise ValueError(f"unknown metric {self.metric!r}; known: {', '.join(METRICS)}")
        if (self.min is None) == (self.max is None):
            raise ValueError(
                "give exactly one of 'min' (the metric must be at least this) or "
                "'max' (at most this)"
            )
        return self

    @property
    def threshold(self) -> Threshold:
        return Threshold(">=", self.min) if self.min is not None else Threshold("<=", self.max)


def _validate(params: MetricThresholdParams, config: GateConfig) -> None:
    metric = get_metric(params.metric)
    if config.task not in metric.tasks:
        allowed = sorted(n for n, m in METRICS.items() if config.task in m.tasks)
        raise ConfigError(
            f"metric {params.metric!r} does not apply to a {config.task.value} task; "
            f"use one of {allowed}",
            path="metric",
        )
    if params.model not in config.models:
        raise ConfigError(
            f"no model {params.model!r}; declared: {sorted(config.models)}", path="model"
        )
    if params.dataset not in config.datasets:
        raise ConfigError(
            f"no dataset {params.dataset!r}; declared: {sorted(config.datasets)}", path="dataset"
        )
    if config.datasets[params.dataset].label is None:
        raise ConfigError(
            f"dataset {params.dataset!r} has no 'label' column to score against", path="dataset"
        )


def run_metric_threshold(ctx: GateContext, params: MetricThresholdParams) -> CheckResult:
    metric = get_metric(params.metric)
    data = ctx.dataset(params.dataset)
    preds = ctx.predict(params.model, params.dataset)
    output = getattr(preds, metric.needs)
    if output is None:
        return _result(
            params,
            Status.ERROR,
            n=len(data),
            message=(
                f"{params.metric} needs class scores but model {params.model!r} gives only labels "
                "(no predict_proba)"
            ),
        )
    y, output, k = _encode(data.y, output, preds, metric.needs, ctx.task, params)

    def stat(idx: np.ndarray) -> float:
        return metric.compute(y[idx], output[idx], k)

    n = len(y)
    try:
        value = stat(np.arange(n))
    except UndefinedMetricError as exc:
        return _result(
            params, Status.INCONCLUSIVE, message=f"{params.metric} undefined: {exc}", n=n
        )
    base: dict[str, Any] = {"value": value, "n": n}
    if n < params.min_samples:
        return _result(
            params,
            Status.INCONCLUSIVE,
            **base,
            message=(
                f"only {n} rows in {params.dataset!r}; at least min_samples={params.min_samples} "
                "are needed to judge"
            ),
        )
    rng = ctx.rng(f"metric_threshold:{params.metric}:{params.model}:{params.dataset}")
    boot = percentile_bootstrap(
        stat, n, rng=rng, n_resamples=params.n_resamples, level=params.confidence
    )
    evidence = {
        "n_resamples": boot.n_resamples,
        "undefined_resamples": boot.n_undefined,
        "higher_is_better": metric.higher_is_better,
    }
    if boot.interval is None or boot.undefined_fraction > params.max_undefined_fraction:
        return _result(
            params,
            Status.INCONCLUSIVE,
            **base,
            evidence=evidence,
            message=(
                f"{params.metric} was undefined on {boot.n_undefined} of {boot.n_resamples} "
                "resamples (too few rows of some class)"
            ),
            interval=boot.interval,
        )
    status = _judge(boot.interval, params.threshold)
    return _result(
        params,
        status,
        **base,
        interval=boot.interval,
        evidence=evidence,
        message=_describe(params, value, boot.interval, status),
    )


def _encode(
    y: np.ndarray, output: np.ndarray, preds, needs: str, task: Task, p: MetricThresholdParams
):
    """Encode labels once (integer codes into the model's classes) so each resample is cheap.

    Raises DataError when the dataset has labels the model does not know, or when a binary
    task's two classes cannot be told apart (which one is positive would be a guess).
    """
    if needs == "values":
        return np.asarray(y, dtype=float), np.asarray(output, dtype=float), 0
    classes = preds.classes if preds.classes is not None else _seen_classes(y, preds.labels)
    if task is Task.BINARY and len(classes) != 2:
        raise DataError(
            f"binary task, but model {p.model!r} on {p.dataset!r} shows classes "
            f"{list(classes)}; declare both under models.{p.model}.classes "
            "(the last one is the positive class)"
        )
    codes = encode_labels(y, classes)
    if (codes < 0).any():
        unknown = sorted({repr(v) for v in np.asarray(y, dtype=object)[codes < 0]})
        raise DataError(
            f"dataset {p.dataset!r} has label(s) {', '.join(unknown[:5])} that model "
            f"{p.model!r} does not know (its classes: {list(classes)}); metrics would be "
            "meaningless. Fix the labels or the model's classes."
        )
    if needs == "labels":
        return codes, encode_labels(output, classes), len(classes)
    return codes, np.asarray(output, dtype=float), len(classes)


def _seen_classes(y: np.ndarray, labels: np.ndarray) -> tuple[Any, ...]:
    """For a model that gives labels only: the sorted classes seen in truth and predictions
    (sorted like scikit-learn, so the last is the positive class of a binary task)."""
    seen = set(np.asarray(y).tolist()) | set(np.asarray(labels).tolist())
    try:
        return tuple(sorted(seen))
    except TypeError:  # mixed types: any stable order
        return tuple(sorted(seen, key=repr))


def _judge(ci: Interval, t: Threshold) -> Status:
    if t.op == ">=":
        return (
            Status.PASSED
            if ci.low >= t.bound
            else (Status.FAILED if ci.high < t.bound else Status.INCONCLUSIVE)
        )
    return (
        Status.PASSED
        if ci.high <= t.bound
        else (Status.FAILED if ci.low > t.bound else Status.INCONCLUSIVE)
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
    n: int,
    value: float | None = None,
    interval: Interval | None = None,
    evidence: dict[str, Any] | None = None,
) -> CheckResult:
    return CheckResult(
        check_id=f"{p.metric}",
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
    suffix = (
        "" if (p.model, p.dataset) == ("candidate", "evaluation") else f"-{p.model}-{p.dataset}"
    )
    return f"{p.metric}{suffix}"


METRIC_THRESHOLD = CheckType(
    name="metric_threshold",
    kind=KIND,
    params=MetricThresholdParams,
    run=run_metric_threshold,
    summary="A metric (accuracy, balanced_accuracy, f1, roc_auc, log_loss, mae, rmse, r2) "
    "must clear min/max, judged on its bootstrap confidence interval.",
    validate=_validate,
    default_id=_default_id,
)
