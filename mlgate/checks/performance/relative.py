"""Relative bounds and margins: a metric as a multiple of another model's on the same rows.

``metric_threshold`` takes ``max: {relative: 0.95, of: mean}`` ("MAE at most 95% of the mean
baseline's") and ``min: {relative: 1.05, of: {model: champion}}``; ``baseline`` takes
``margin: {relative: 0.05}`` ("beat each baseline by more than 5% of its metric"). Both are
computed inside the gate run, on the same rows, as the **ratio** candidate / reference with a
paired bootstrap interval: both models' metrics are recomputed on the same resampled rows
(:func:`mlgate.stats.paired.paired_difference` of their logarithms, so BCa's jackknife carries
over) and the interval of log(candidate) − log(reference) is mapped back by exp. The
percentile and BCa intervals respect monotone maps, so this *is* the interval of the ratio,
and "ratio ≤ r" is judged exactly as "candidate − r·reference ≤ 0" would be on the same
resamples (tested).

A ratio needs a metric that is never negative (losses, accuracy, AUC, ...; not R²) and a
reference whose metric is positive on the rows.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from mlgate.checks.performance.baseline_models import CallableBaseline, ModelBaseline, RuleBaseline
from mlgate.core.result import Interval
from mlgate.stats.evaluate import DEGENERATE_FLOOR
from mlgate.stats.metrics import MetricDef
from mlgate.stats.ratio import paired_log_ratio


class RelativeBound(BaseModel):
    """``max: {relative: 0.95, of: mean}``: a bound as a multiple of a reference's metric.

    ``of`` is a baseline exactly as in the ``baseline`` check's ``against`` (a built-in name
    such as ``mean`` or ``zero_rule``, ``{model: champion}``, ``{callable: ...}``,
    ``{feature: ...}``); ``fit_on`` is where a built-in baseline learns its mean or class
    frequencies (default: the ``reference`` dataset when it has labels, else the dataset)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    relative: float = Field(gt=0.0, le=1000.0)
    of: str | ModelBaseline | CallableBaseline | RuleBaseline
    fit_on: str | None = None


def as_relative(value: Any, kind: type[BaseModel], example: str) -> Any:
    """``value`` read as ``kind`` when it is a mapping (a relative bound or margin), else as it
    is. Raises ValueError naming each bad key and showing the form to write (``example``), so
    a misspelt relative bound is not reported as "not a valid number"."""
    if not isinstance(value, Mapping):
        if value is None or (isinstance(value, (int, float)) and not isinstance(value, bool)):
            return value
        try:
            return float(value)
        except (TypeError, ValueError):
            # One message, not one per member of the union (float | relative bound).
            raise ValueError(
                f"must be a number, or a relative bound written as {example}"
            ) from None
    try:
        return kind.model_validate(dict(value))
    except ValidationError as exc:
        problems = []
        for err in exc.errors(include_url=False):
            key = ".".join(str(x) for x in err["loc"]) or "<root>"
            if err["type"] == "missing":
                problems.append(f"'{key}' is missing")
            elif err["type"] == "extra_forbidden":
                problems.append(f"'{key}' is not a key of a relative bound")
            else:
                problems.append(f"{key}: got {err.get('input')!r}: {err['msg']}")
        raise ValueError(f"{'; '.join(problems)}; write it as {example}") from None


def relative_problem(metric: MetricDef, interval: str, key: str) -> str | None:
    """Why ``key`` cannot be relative for ``metric`` with ``interval`` (None when it can)."""
    if metric.bounds[0] < 0:
        return (
            f"{key} is relative, which needs a metric that is never negative, and "
            f"{metric.name} can be; give {key} in {metric.name}'s units instead"
        )
    if interval not in ("percentile", "bca"):
        return (
            f"a relative {key} is judged on a paired bootstrap of the ratio; use interval: "
            f"percentile or bca, not {interval!r}"
        )
    return None


@dataclass(frozen=True)
class Ratio:
    """candidate / reference on the same rows with a paired bootstrap interval (None when it
    has none: ``reason`` says why); ``log_resamples`` are the resampled log ratios (NaN where
    undefined)."""

    candidate: float
    reference: float
    value: float | None
    interval: Interval | None
    n_resamples: int
    n_undefined: int
    log_resamples: np.ndarray | None = None
    reason: str = ""

    @property
    def undefined_fraction(self) -> float:
        return self.n_undefined / self.n_resamples if self.n_resamples else 0.0


def paired_ratio(
    metric: MetricDef,
    y: np.ndarray,
    candidate: np.ndarray,
    reference: np.ndarray,
    k: int,
    *,
    rng: np.random.Generator,
    n_resamples: int = 1000,
    level: float = 0.95,
    method: Literal["percentile", "bca"] = "percentile",
) -> Ratio:
    """``metric(candidate) / metric(reference)`` on encoded rows ``y`` with a paired bootstrap
    interval. Raises UndefinedMetricError when the metric is undefined for either model."""
    cand, ref = metric.compute(y, candidate, k), metric.compute(y, reference, k)
    if not ref > 0:
        return Ratio(
            cand,
            ref,
            None,
            None,
            0,
            0,
            reason=f"the reference's {metric.name} is {ref:g}: no multiple of it is a bound",
        )
    boot = paired_log_ratio(
        metric,
        y,
        candidate,
        reference,
        k,
        rng=rng,
        n_resamples=n_resamples,
        level=level,
        method=method,
    )
    value = cand / ref
    common = {
        "n_resamples": boot.n_resamples,
        "n_undefined": boot.n_undefined,
        "log_resamples": boot.values,
    }
    ci = boot.interval
    if ci is None:
        return Ratio(cand, ref, value, None, reason=boot.reason, **common)
    if ci.low == ci.high and len(y) < DEGENERATE_FLOOR:
        why = (
            f"every resample of {len(y)} rows gave the same ratio; at least "
            f"{DEGENERATE_FLOOR} rows are needed for an interval"
        )
        return Ratio(cand, ref, value, None, reason=why, **common)
    interval = Interval(
        float(np.exp(ci.low)), float(np.exp(ci.high)), level, f"paired-{ci.method}-ratio"
    )
    return Ratio(cand, ref, value, interval, **common)
