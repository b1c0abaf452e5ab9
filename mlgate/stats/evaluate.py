"""The statistics checks use: a metric with its interval, and a paired comparison of two
models' metric on the same rows. Pure functions of encoded arrays (see
:mod:`mlgate.stats.metrics` for the encoding); no gate, no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from mlgate.core.progress import Advance
from mlgate.core.result import Interval
from mlgate.stats import paired
from mlgate.stats.bootstrap import bootstrap_interval
from mlgate.stats.confusion import confusion_counts, proportion_of
from mlgate.stats.intervals import delong_interval, wilson_interval, z_value
from mlgate.stats.metrics import MetricDef

IntervalMethod = Literal["percentile", "bca", "wilson", "delong"]
INTERVAL_METHODS = ("percentile", "bca", "wilson", "delong")
Test = Literal["auto", "mcnemar", "delong", "bootstrap"]
TESTS = ("auto", "mcnemar", "delong", "bootstrap")


def interval_problem(metric: MetricDef, method: str, k: int | None) -> str | None:
    """Why ``method`` cannot give an interval for ``metric`` (None when it can)."""
    if method not in INTERVAL_METHODS:
        return f"unknown interval method {method!r}; use one of {list(INTERVAL_METHODS)}"
    if method == "wilson" and not metric.wilson:
        return (
            "a Wilson interval needs a proportion (accuracy, binary precision or recall), "
            f"not {metric.name!r}"
        )
    if method == "wilson" and metric.name != "accuracy" and k not in (None, 2):
        return f"a Wilson interval of {metric.name!r} needs a binary task"
    if method == "delong" and (not metric.delong or metric.name != "roc_auc" or k not in (None, 2)):
        return f"a DeLong interval needs binary 'roc_auc', not {metric.name!r}"
    return None


@dataclass(frozen=True)
class MetricEstimate:
    """A metric's value on all rows and its interval (None when no interval could be made:
    ``reason`` says why)."""

    metric: str
    value: float
    n: int
    interval: Interval | None
    n_resamples: int = 0
    n_undefined: int = 0
    scheme: str | None = None
    reason: str = ""

    @property
    def undefined_fraction(self) -> float:
        return self.n_undefined / self.n_resamples if self.n_resamples else 0.0

    @property
    def se(self) -> float | None:
        """Standard error implied by a symmetric-ish interval: width / (2 z)."""
        if self.interval is None:
            return None
        return (self.interval.high - self.interval.low) / (2.0 * z_value(self.interval.level))


def estimate(
    metric: MetricDef,
    y: np.ndarray,
    output: np.ndarray,
    k: int,
    *,
    method: IntervalMethod = "percentile",
    level: float = 0.95,
    rng: np.random.Generator | None = None,
    n_resamples: int = 1000,
    progress: Advance | None = None,
) -> MetricEstimate:
    """``metric`` of the rows with a ``level`` interval by ``method``.

    Raises UndefinedMetricError when the metric has no value on the rows, ValueError when the
    method does not apply to the metric.
    """
    problem = interval_problem(metric, method, k)
    if problem:
        raise ValueError(problem)
    value = metric.compute(y, output, k)
    n = len(y)
    if method == "wilson":
        succ, trials = proportion_of(metric.name, confusion_counts(y, output, k))
        ci = wilson_interval(succ, trials, level)
        return MetricEstimate(metric.name, value, n, ci, reason="" if ci else "no trials")
    if method == "delong":
        res = delong_interval(np.asarray(y) == 1, np.asarray(output)[:, 1], level)
        reason = "" if res.interval else "fewer than two rows of a class"
        return MetricEstimate(metric.name, value, n, res.interval, reason=reason)
    if rng is None:
        raise ValueError("a bootstrap interval needs rng (a seeded numpy Generator)")
    boot = bootstrap_interval(
        metric.statistic(y, output, k),
        rng=rng,
        n_resamples=n_resamples,
        level=level,
        method=method,
        progress=progress,
    )
    interval, scheme, reason = boot.interval, boot.scheme, boot.reason
    if interval is not None and interval.low == interval.high:
        # Every resample gave the same value (5 of 5 right: [1, 1]). That is not a 95%
        # interval: a proportion gets Wilson's, which has honest coverage at small n; another
        # metric gets none at small n (too little data is inconclusive, never a pass).
        if interval_problem(metric, "wilson", k) is None:
            succ, trials = proportion_of(metric.name, confusion_counts(y, output, k))
            interval = wilson_interval(succ, trials, level)
            scheme = f"{scheme}; wilson (the bootstrap was degenerate)"
        elif n < DEGENERATE_FLOOR:
            interval = None
            reason = (
                f"every resample of {n} rows gave {metric.name} = {value:.4g}: a bootstrap "
                f"this degenerate is no {level:.0%} interval; evaluate on at least "
                f"{DEGENERATE_FLOOR} rows"
            )
    return MetricEstimate(
        metric.name,
        value,
        n,
        interval,
        boot.n_resamples,
        boot.n_undefined,
        scheme,
        reason,
    )


#: Below this many rows a zero-width bootstrap interval of a metric that is not a proportion is
#: refused (no interval, so the check is inconclusive) instead of reported as certainty.
DEGENERATE_FLOOR = 100


@dataclass(frozen=True)
class Comparison:
    """Candidate vs reference on the same rows. ``improvement`` is oriented so that positive
    means the candidate is better (reference − candidate for a loss). ``p_value`` is one-sided
    for H0: improvement ≤ ``boundary``."""

    metric: str
    candidate: float
    reference: float
    improvement: float
    boundary: float
    interval: Interval | None
    se: float | None
    p_value: float | None
    test: str
    n: int
    details: dict[str, Any] = field(default_factory=dict)


def choose_test(metric: MetricDef, k: int, test: str = "auto") -> str:
    """The paired test for ``metric``: McNemar for accuracy, DeLong for binary ROC AUC, else a
    paired bootstrap. Raises ValueError when a named test does not apply."""
    if test not in TESTS:
        raise ValueError(f"unknown test {test!r}; use one of {list(TESTS)}")
    if test == "auto":
        if metric.name == "accuracy":
            return "mcnemar"
        return "delong" if metric.name == "roc_auc" and k == 2 else "bootstrap"
    if test == "mcnemar" and metric.name != "accuracy":
        raise ValueError(f"McNemar's test compares accuracy, not {metric.name!r}")
    if test == "delong" and not (metric.name == "roc_auc" and k in (None, 2)):
        raise ValueError(f"DeLong's test compares binary 'roc_auc', not {metric.name!r}")
    return test


def compare(
    metric: MetricDef,
    y: np.ndarray,
    candidate: np.ndarray,
    reference: np.ndarray,
    k: int,
    *,
    boundary: float = 0.0,
    test: Test = "auto",
    level: float = 0.95,
    rng: np.random.Generator | None = None,
    n_resamples: int = 1000,
    bootstrap_method: Literal["percentile", "bca"] = "percentile",
    progress: Advance | None = None,
) -> Comparison:
    """Paired comparison of two models' ``metric`` on rows ``y``.

    Raises UndefinedMetricError when the metric is undefined for either model on the rows.
    """
    test = choose_test(metric, k, test)
    cand_value = metric.compute(y, candidate, k)
    ref_value = metric.compute(y, reference, k)
    sign = 1.0 if metric.higher_is_better else -1.0
    improvement = sign * (cand_value - ref_value)
    n = len(y)
    common = {"metric": metric.name, "candidate": cand_value, "reference": ref_value}
    if test == "mcnemar":
        y = np.asarray(y)
        mc = paired.mcnemar((candidate == y) & (y >= 0), (reference == y) & (y >= 0))
        if boundary == 0:
            p, how = mc.p_greater, mc.method
        else:
            p, how = paired.tango_test(mc.b, mc.c, n, boundary), "Tango score test"
        # For the rows-needed estimate: the larger of the observed standard error and the one
        # under H0 at the boundary (Tango's restricted variance), which is not 0 when no row
        # is discordant yet.
        observed = max(mc.b + mc.c - (mc.b - mc.c) ** 2 / n, 0.0)
        q = paired.tango_constrained_p21(mc.b, mc.c, n, boundary)
        null = n * (2.0 * q + boundary * (1.0 - boundary))
        se = float(np.sqrt(max(observed, null, 0.0))) / n
        return Comparison(
            **common,
            improvement=improvement,
            boundary=boundary,
            interval=paired.tango_interval(mc.b, mc.c, n, level),
            se=se,
            p_value=p,
            test=how,
            n=n,
            details={"only_candidate_right": mc.b, "only_reference_right": mc.c},
        )
    if test == "delong":
        res = paired.delong_paired(np.asarray(y) == 1, candidate[:, 1], reference[:, 1])
        return Comparison(
            **common,
            improvement=improvement,
            boundary=boundary,
            interval=res.interval(level),
            se=res.se,
            p_value=res.p_greater(boundary),
            test="DeLong paired z-test",
            n=n,
        )
    if rng is None:
        raise ValueError("a paired bootstrap needs rng (a seeded numpy Generator)")
    a, b = metric.statistic(y, candidate, k), metric.statistic(y, reference, k)
    diff = paired.paired_difference(a, b) if sign > 0 else paired.paired_difference(b, a)
    boot = bootstrap_interval(
        diff,
        rng=rng,
        n_resamples=n_resamples,
        level=level,
        method=bootstrap_method,
        progress=progress,
    )
    return Comparison(
        **common,
        improvement=improvement,
        boundary=boundary,
        interval=boot.interval,
        se=boot.standard_error,
        p_value=paired.bootstrap_p_greater(boot.values, boundary),
        test=f"paired bootstrap ({boot.interval.method if boot.interval else bootstrap_method})",
        n=n,
        details={
            "n_resamples": boot.n_resamples,
            "undefined_resamples": boot.n_undefined,
            "resampling": boot.scheme,
            **({"no_interval": boot.reason} if boot.reason else {}),
        },
    )
