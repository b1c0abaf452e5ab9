"""A metric per slice with its interval, and each slice against the rest of the rows.

For slice S and the rest R (disjoint rows, so independent estimates) the *gap* is oriented so
that positive means S is worse: gap = m(R) − m(S) for a higher-is-better metric, m(S) − m(R)
for a loss. Its standard error combines the two intervals' (width / 2z); the one-sided p-value
of "S is worse than R" is 1 − Φ(gap / se). The gap to the *overall* metric is, for a metric
that is a mean over rows, exactly (1 − n_S / n) times the gap to the rest; mlgate uses that
relation (an approximation for metrics that are not row means) so the overall gap shares the
independent-samples standard error.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.special import ndtr

from mlgate.checks.slices.spec import Slice
from mlgate.core.result import Interval
from mlgate.stats.evaluate import MetricEstimate, estimate
from mlgate.stats.intervals import normal_interval, z_value
from mlgate.stats.metrics import MetricDef, UndefinedMetricError


@dataclass(frozen=True)
class SliceEstimate:
    """One slice: its metric and interval, the rest's, the oriented gap (to the rest and to
    the overall metric) with intervals, and the one-sided p-value that the slice is worse.
    ``reason`` says why a part is missing (too small, metric undefined)."""

    name: str
    n: int
    value: float | None
    interval: Interval | None
    rest_value: float | None
    rest_interval: Interval | None
    gap_rest: float | None
    gap_rest_interval: Interval | None
    gap_overall: float | None
    gap_overall_interval: Interval | None
    p_value: float | None
    reason: str = ""
    gap_best: float | None = None
    gap_best_interval: Interval | None = None

    @property
    def evaluable(self) -> bool:
        return self.p_value is not None

    def gap(self, to: str) -> tuple[float | None, Interval | None]:
        """The oriented gap to ``rest``, ``overall`` or ``best`` and its interval."""
        return {
            "rest": (self.gap_rest, self.gap_rest_interval),
            "overall": (self.gap_overall, self.gap_overall_interval),
            "best": (self.gap_best, self.gap_best_interval),
        }[to]


def _estimate(metric, y, out, k, method, level, rng, n_resamples) -> MetricEstimate | str:
    try:
        return estimate(
            metric, y, out, k, method=method, level=level, rng=rng, n_resamples=n_resamples
        )
    except UndefinedMetricError as exc:
        return f"{metric.name} undefined: {exc}"


def slice_estimate(
    metric: MetricDef,
    y: np.ndarray,
    output: np.ndarray,
    k: int,
    sl: Slice,
    *,
    rng: Callable[[str], np.random.Generator],
    min_size: int = 30,
    level: float = 0.95,
    method: str = "percentile",
    n_resamples: int = 1000,
) -> SliceEstimate:
    """Estimate ``metric`` on the slice and on the rest. ``rng(part)`` gives a seeded
    generator per part ("slice" / "rest"). A slice with fewer than ``min_size`` rows, or a
    rest that small, is estimated but gets no gap or p-value."""
    mask = sl.mask
    n, n_s = len(y), int(mask.sum())
    empty = SliceEstimate(sl.name, n_s, None, None, None, None, None, None, None, None, None)
    if n_s == 0:
        return _with(empty, reason="no rows")
    s = _estimate(metric, y[mask], output[mask], k, method, level, rng("slice"), n_resamples)
    if isinstance(s, str):
        return _with(empty, reason=s)
    base = _with(empty, value=s.value, interval=s.interval)
    if n_s < min_size:
        return _with(base, reason=f"only {n_s} rows (min_size={min_size})")
    if n - n_s < min_size:
        return _with(base, reason=f"the rest has only {n - n_s} rows (min_size={min_size})")
    r = _estimate(metric, y[~mask], output[~mask], k, method, level, rng("rest"), n_resamples)
    if isinstance(r, str):
        return _with(base, reason=f"rest: {r}")
    base = _with(base, rest_value=r.value, rest_interval=r.interval)
    if s.se is None or r.se is None:
        return _with(base, reason=s.reason or r.reason or "no interval")
    sign = 1.0 if metric.higher_is_better else -1.0
    gap = sign * (r.value - s.value)
    se = float(np.hypot(s.se, r.se))
    share = 1.0 - n_s / n
    p = float(1.0 - ndtr(gap / se)) if se > 0 else (0.0 if gap > 0 else 1.0)
    method_name = "normal, independent slice and rest"
    return _with(
        base,
        gap_rest=gap,
        gap_rest_interval=normal_interval(gap, se, level, method_name),
        gap_overall=share * gap,
        gap_overall_interval=normal_interval(share * gap, share * se, level, method_name),
        p_value=min(max(p, 0.0), 1.0),
    )


def with_gaps_to_best(
    estimates: list[SliceEstimate], groups: list[str], metric: MetricDef, level: float
) -> list[SliceEstimate]:
    """Each evaluable slice's gap to the best evaluable slice of its group (the slices one
    declaration made: disjoint rows, so independent estimates), with a normal interval. The
    best is chosen on the same data, so the gaps lean large: a conservative "at most g"."""
    sign = 1.0 if metric.higher_is_better else -1.0
    z = z_value(level)
    out = list(estimates)
    for group in dict.fromkeys(groups):
        members = [i for i, g in enumerate(groups) if g == group and estimates[i].evaluable]
        if not members:
            continue
        best = max(members, key=lambda i: sign * estimates[i].value)
        b = estimates[best]
        b_se = (b.interval.high - b.interval.low) / (2 * z)
        for i in members:
            e = estimates[i]
            gap = sign * (b.value - e.value)
            if i == best:
                out[i] = _with(e, gap_best=0.0, gap_best_interval=Interval(0.0, 0.0, level, "best"))
                continue
            se = float(np.hypot((e.interval.high - e.interval.low) / (2 * z), b_se))
            iv = normal_interval(gap, se, level, f"normal, independent slices (best: {b.name})")
            out[i] = _with(e, gap_best=gap, gap_best_interval=iv)
    return out


def _with(e: SliceEstimate, **changes: Any) -> SliceEstimate:
    from dataclasses import replace

    return replace(e, **changes)
