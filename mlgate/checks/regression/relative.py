"""Relative champion margins: ``margin: {relative: 0.02}`` is "at most 2% worse than the
champion's metric" (non-inferiority) or "more than 2% better" (superiority).

The statistic is the *relative improvement* sign·(candidate / champion − 1), positive when the
candidate is better (sign −1 for a loss), on the same rows. Its interval and one-sided p-value
come from a paired bootstrap of the log ratio — both models' metrics on the same resampled rows
(:func:`mlgate.stats.paired.paired_difference` of their logarithms, so BCa's jackknife carries
over) — mapped through the monotone sign·(exp(·) − 1). Judging it against ±margin is judging
"candidate − (1 ± margin)·champion" against 0 on the same resamples.

The same construction (:mod:`mlgate.stats.ratio`) serves ``metric_threshold`` and
``baseline`` in the performance family.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np

from mlgate.core.result import Interval
from mlgate.stats.evaluate import Comparison
from mlgate.stats.metrics import MetricDef
from mlgate.stats.paired import bootstrap_p_greater
from mlgate.stats.ratio import paired_log_ratio


def relative_compare(
    metric: MetricDef,
    y: np.ndarray,
    candidate: np.ndarray,
    reference: np.ndarray,
    k: int,
    *,
    boundary: float,
    level: float,
    rng: np.random.Generator,
    n_resamples: int,
    method: Literal["percentile", "bca"] = "percentile",
) -> Comparison:
    """The relative improvement of ``candidate`` over ``reference`` against ``boundary`` (a
    share: −margin or +margin), as a :class:`~mlgate.stats.evaluate.Comparison`. Raises
    UndefinedMetricError when the metric is undefined for either model."""
    cand, ref = metric.compute(y, candidate, k), metric.compute(y, reference, k)
    sign = 1.0 if metric.higher_is_better else -1.0
    common: dict[str, Any] = {
        "metric": metric.name,
        "candidate": cand,
        "reference": ref,
        "boundary": boundary,
        "test": f"paired bootstrap ({method}) of the ratio",
        "n": len(y),
    }
    if not ref > 0:
        why = f"the champion's {metric.name} is {ref:g}: no share of it is a margin"
        return Comparison(
            **common,
            improvement=float("nan"),
            interval=None,
            se=None,
            p_value=None,
            details={"relative": True, "no_interval": why},
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
    values = sign * np.expm1(boot.values) if boot.values is not None else np.zeros(0)
    defined = values[np.isfinite(values)]
    interval = None
    if boot.interval is not None:
        ends = sorted(sign * float(np.expm1(e)) for e in (boot.interval.low, boot.interval.high))
        interval = Interval(ends[0], ends[1], level, f"paired-{boot.interval.method}-ratio")
    return Comparison(
        **common,
        improvement=sign * (cand / ref - 1.0),
        interval=interval,
        se=float(defined.std(ddof=1)) if len(defined) > 1 else None,
        p_value=bootstrap_p_greater(values, boundary),
        details={
            "relative": True,
            "n_resamples": boot.n_resamples,
            "undefined_resamples": boot.n_undefined,
            "resampling": boot.scheme,
            **({"no_interval": boot.reason} if boot.reason else {}),
        },
    )
