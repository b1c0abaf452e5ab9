"""Check type ``prediction_rate``: the share of rows a model predicts as one class, within bounds.

Teams state it as an alert or approval budget: "the fraud model flags at most 2% of
transactions", "the credit model approves at least 40% of applicants". The rate is a binomial
proportion over the rows, so it gets a Wilson interval, and each bound is judged on that
interval by the kernel (:meth:`~mlgate.core.result.Threshold.judge`): passed when the whole
interval respects the bound, failed when it lies wholly outside, else inconclusive.

The check folds ``ctx.batches`` into two counts, so it runs on one in-memory batch, in chunks,
or on a distributed engine unchanged (``needs_all_rows=False``). It is the worked example of
docs/architecture.md: parameters, validation against the gate, one accumulation over batches,
parts judged by the kernel, typed evidence.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from mlgate.config.schema import GateConfig
from mlgate.core.context import GateContext
from mlgate.core.errors import ConfigError, DataError
from mlgate.core.evidence import Bars
from mlgate.core.registry import CheckType, require_dataset, require_model
from mlgate.core.result import CheckResult, Part, Threshold, rounded
from mlgate.core.task import Task
from mlgate.stats.intervals import wilson_interval

KIND = "sanity"


class PredictionRateParams(BaseModel):
    """The gate-file keys of ``prediction_rate`` (documented in docs/checks/rates.md)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    model: str = "candidate"
    dataset: str = "evaluation"
    #: The class whose rate is bounded; for a binary task, the positive class by default.
    label: str | int | float | bool | None = None
    min: float | None = Field(None, ge=0.0, le=1.0)
    max: float | None = Field(None, ge=0.0, le=1.0)
    confidence: float = Field(0.95, ge=0.5, le=0.999)

    @model_validator(mode="after")
    def _bounds(self) -> PredictionRateParams:
        if self.min is None and self.max is None:
            raise ValueError("give 'min', 'max' or both: the share of rows predicted as 'label'")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min ({self.min}) is above max ({self.max}); no rate satisfies both")
        return self

    @property
    def thresholds(self) -> list[Threshold]:
        return [
            Threshold(op, bound)
            for op, bound in ((">=", self.min), ("<=", self.max))
            if bound is not None
        ]


def _validate(p: PredictionRateParams, config: GateConfig) -> None:
    if config.task is Task.REGRESSION:
        raise ConfigError(
            "prediction_rate bounds the share of a predicted class; a regression task has "
            "none (bound a metric with metric_threshold instead)",
            path="check",
        )
    require_model(config, p.model)
    require_dataset(config, p.dataset, label=False)
    if p.label is None and config.task is Task.MULTICLASS:
        raise ConfigError(
            "a multiclass task needs 'label': the class whose rate is bounded", path="label"
        )


def _classes(ctx: GateContext, model: str, given: tuple[Any, ...] | None) -> tuple[Any, ...] | None:
    """The model's classes: what it says, else what the gate file declares for it."""
    spec = ctx.gate.config.models.get(model)
    if given is None and spec is not None and spec.classes:
        return tuple(spec.classes)
    return given


def _target(label: Any, classes: tuple[Any, ...] | None, where: str) -> Any:
    """The class to count: ``label``, or the positive (last) class of a binary model."""
    if label is None:
        if classes is None or len(classes) != 2:
            raise DataError(
                f"{where}: the model does not say its two classes, so the positive class is "
                "unknown; give 'label', or declare the model's 'classes' in the gate file"
            )
        return classes[-1]
    if classes is not None and label not in classes:
        raise DataError(
            f"{where}: label {label!r} is not a class of the model (its classes: "
            f"{list(classes)}); give one of them"
        )
    return label


def run_prediction_rate(ctx: GateContext, p: PredictionRateParams) -> CheckResult:
    where = f"model {p.model!r} on dataset {p.dataset!r}"
    target, hits, rows = None, 0, 0
    for batch in ctx.batches(p.model, p.dataset):
        preds = batch.predictions
        assert preds is not None  # a model was asked for
        if target is None:
            target = _target(p.label, _classes(ctx, p.model, preds.classes), where)
        hits += int(np.count_nonzero(np.asarray(preds.labels) == target))
        rows += len(batch)
    rate = hits / rows if rows else None
    ci = wilson_interval(hits, rows, p.confidence) if rows else None
    parts = [
        Part(
            name=f"rate {t.op} {t.bound:g}",
            status=t.judge(ci),
            value=rate,
            interval=ci,
            threshold=t,
            sample_size=rows,
        )
        for t in p.thresholds
    ]
    result = CheckResult.from_parts(
        KIND,
        parts,
        metric=f"rate of {target!r}",
        method="Wilson score interval of the share of rows predicted as the label",
        evidence={
            "label": target,
            "predicted": hits,
            "rows": rows,
            "rate": Bars(
                labels=[str(target)],
                values=[rounded(rate)],
                low=[rounded(ci.low) if ci else None],
                high=[rounded(ci.high) if ci else None],
                over="class",
                quantity="share of rows predicted",
            ),
        },
    )
    return result.with_context(message=_message(where, target, hits, rows, ci, result, p))


def _message(where, target, hits, rows, ci, result, p: PredictionRateParams) -> str:
    if not rows:
        return f"{where}: no rows to count"
    bounds = " and ".join(f"{t.op} {t.bound:g}" for t in p.thresholds)
    return (
        f"{where}: {hits} of {rows} rows predicted {target!r}, rate {hits / rows:.4g} "
        f"[{ci.low:.4g}, {ci.high:.4g}] ({ci.level:.0%} CI), need {bounds}: "
        f"{result.status.value}"
    )


def _default_id(p: PredictionRateParams) -> str:
    label = "" if p.label is None else f"-{p.label}"
    return f"prediction-rate{label}"


PREDICTION_RATE = CheckType(
    name="prediction_rate",
    kind=KIND,
    params=PredictionRateParams,
    run=run_prediction_rate,
    summary="The share of rows predicted as one class (an alert or approval budget) within "
    "min/max, judged on its Wilson interval.",
    validate=_validate,
    default_id=_default_id,
    needs_all_rows=False,
)
