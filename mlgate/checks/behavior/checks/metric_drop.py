"""How much a metric drops when the data is perturbed, with a paired interval over rows.

The drop is ``metric(original) − metric(perturbed)`` for metrics where higher is better, and
``metric(perturbed) − metric(original)`` otherwise, so a positive drop is always a loss.
The perturbed metric pools every variant. Metrics that are a mean over rows (accuracy, log
loss, MAE) get a Student-t interval on the per-row paired differences; the others a
percentile bootstrap that resamples rows (each with all its variants).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from mlgate.checks.behavior.rates import paired_t_interval
from mlgate.checks.behavior.variants import VariantOutcome
from mlgate.core.errors import DataError
from mlgate.core.result import Interval
from mlgate.models.base import Predictions
from mlgate.stats.bootstrap import percentile_bootstrap
from mlgate.stats.metrics import MetricDef, UndefinedMetricError, encode_labels


@dataclass(frozen=True)
class MetricDrop:
    metric: str
    before: float
    after: float
    drop: float
    interval: Interval | None
    undefined_resamples: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "metric": self.metric,
            "before": self.before,
            "after": self.after,
            "drop": self.drop,
            "interval": self.interval.to_dict() if self.interval else None,
            "undefined_resamples": self.undefined_resamples,
        }


def _per_row(name: str) -> Callable[[np.ndarray, np.ndarray], np.ndarray] | None:
    """Per-row contributions whose mean is the metric (None: not a mean over rows)."""
    if name == "accuracy":
        return lambda y, pred: ((pred == y) & (y >= 0)).astype(float)
    if name == "log_loss":

        def loss(y: np.ndarray, scores: np.ndarray) -> np.ndarray:
            eps = np.finfo(scores.dtype if scores.dtype.kind == "f" else float).eps
            return -np.log(np.clip(scores[np.arange(len(y)), y], eps, 1 - eps))

        return loss
    if name == "mae":
        return lambda y, v: np.abs(y - v)
    return None


def metric_drop(
    metric: MetricDef,
    y: np.ndarray,
    original: Predictions,
    outcome: VariantOutcome,
    *,
    level: float,
    rng: np.random.Generator,
    n_resamples: int,
    source: str,
) -> MetricDrop:
    """The metric's drop under the perturbation and its interval.

    Raises:
        DataError: the data has labels the model does not know.
        UndefinedMetricError: the metric has no value on the original or perturbed data.
    """
    y, before_out, after_out, k = _encode(metric, y, original, outcome.perturbed, source)
    n, v = outcome.n_rows, outcome.n_variants
    y_pairs = np.tile(y, v)
    before = metric.compute(y, before_out, k)
    after = metric.compute(y_pairs, after_out, k)
    sign = 1.0 if metric.higher_is_better else -1.0
    drop = sign * (before - after)
    per_row = _per_row(metric.name)
    if per_row is not None:
        c_before = per_row(y, before_out)
        c_after = np.bincount(outcome.rows, weights=per_row(y_pairs, after_out), minlength=n) / v
        interval = paired_t_interval(sign * (c_before - c_after), level) if n > 1 else None
        return MetricDrop(metric.name, before, after, drop, interval)

    def stat(idx: np.ndarray) -> float:
        pairs = (idx[None, :] + n * np.arange(v)[:, None]).ravel()
        return sign * (
            metric.compute(y[idx], before_out[idx], k)
            - metric.compute(y_pairs[pairs], after_out[pairs], k)
        )

    boot = percentile_bootstrap(stat, n, rng=rng, n_resamples=n_resamples, level=level)
    return MetricDrop(metric.name, before, after, drop, boot.interval, boot.n_undefined)


def _encode(metric: MetricDef, y, original: Predictions, perturbed: Predictions, source: str):
    if metric.needs == "values":
        return (
            np.asarray(y, dtype=float),
            np.asarray(original.values, dtype=float),
            np.asarray(perturbed.values, dtype=float),
            0,
        )
    if metric.needs == "scores" and (original.scores is None or perturbed.scores is None):
        raise UndefinedMetricError(
            f"{metric.name} needs class scores but the model gives labels only"
        )
    classes = original.classes
    if classes is None:
        seen = set(np.asarray(y).tolist()) | set(np.asarray(original.labels).tolist())
        try:
            classes = tuple(sorted(seen))
        except TypeError:
            classes = tuple(sorted(seen, key=repr))
    codes = _codes(y, classes)
    if (codes < 0).any():
        raise DataError(
            f"{source}: labels {_unknown(y, codes)} are not among the model's classes "
            f"{list(classes)}; the metric would be meaningless"
        )
    if metric.needs == "labels":
        return (
            codes,
            _codes(original.labels, classes),
            _codes(perturbed.labels, classes),
            len(classes),
        )
    return codes, np.asarray(original.scores), np.asarray(perturbed.scores), len(classes)


def _unknown(y: np.ndarray, codes: np.ndarray) -> list[str]:
    return sorted({repr(x) for x in np.asarray(y, dtype=object)[codes < 0]})[:5]


def _codes(values: np.ndarray, classes: tuple) -> np.ndarray:
    """:func:`encode_labels`, with a fast path for numeric labels (a million perturbed labels
    are encoded by binary search instead of through Python objects)."""
    arr, cls = np.asarray(values), np.asarray(classes)
    if arr.dtype.kind not in "biuf" or cls.dtype.kind not in "biuf" or cls.ndim != 1:
        return encode_labels(values, classes)
    order = np.argsort(cls, kind="stable")
    ordered = cls[order]
    pos = np.searchsorted(ordered, arr).clip(0, len(cls) - 1)
    return np.where(ordered[pos] == arr, order[pos], -1)
