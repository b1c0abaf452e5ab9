"""Intervals and the verdict rule of behavioral checks.

A rate (flip rate, violation rate) is a binomial proportion over rows, so it gets a Wilson
score interval; a metric drop is a mean of paired per-row differences, so it gets a
Student-t interval (or a bootstrap when the metric is not a mean over rows).
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats

from mlgate.core.result import Interval, Status

WILSON = "Wilson score interval"
PAIRED_T = "paired t interval over rows"


def wilson_interval(k: int, n: int, level: float = 0.95) -> Interval:
    """The Wilson score interval of ``k`` successes in ``n`` trials (equal to
    ``scipy.stats.binomtest(k, n).proportion_ci(level, method="wilson")``).

    Raises:
        ValueError: ``n < 1``, ``k`` outside ``[0, n]`` or ``level`` outside (0, 1).
    """
    if n < 1 or not 0 <= k <= n:
        raise ValueError(f"need 0 <= k <= n and n >= 1, got k={k}, n={n}")
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must be in (0, 1), got {level}")
    z = float(stats.norm.ppf(0.5 + level / 2.0))
    p = k / n
    denom = 1.0 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1.0 - p) / n + z * z / (4 * n * n)) / denom
    # The exact bounds at k = 0 and k = n; floating point would leave ~1e-17 off.
    low = 0.0 if k == 0 else max(0.0, centre - half)
    high = 1.0 if k == n else min(1.0, centre + half)
    return Interval(low, high, level, WILSON)


def paired_t_interval(diffs: np.ndarray, level: float = 0.95) -> Interval:
    """Student-t interval for the mean of per-row paired differences ``diffs`` (equal to
    ``scipy.stats.ttest_1samp(diffs, 0).confidence_interval(level)``). All-equal
    differences give the degenerate interval at their value.

    Raises:
        ValueError: fewer than two differences.
    """
    d = np.asarray(diffs, dtype=float)
    if len(d) < 2:
        raise ValueError(f"a t interval needs at least 2 rows, got {len(d)}")
    mean = float(d.mean())
    sd = float(d.std(ddof=1))
    if sd == 0.0:
        return Interval(mean, mean, level, PAIRED_T)
    half = float(stats.t.ppf(0.5 + level / 2.0, len(d) - 1)) * sd / math.sqrt(len(d))
    return Interval(mean - half, mean + half, level, PAIRED_T)


def judge_at_most(interval: Interval, bound: float) -> Status:
    """``passed`` when the whole interval is at or below ``bound``, ``failed`` when it lies
    wholly above it, ``inconclusive`` when it straddles it."""
    if interval.high <= bound:
        return Status.PASSED
    if interval.low > bound:
        return Status.FAILED
    return Status.INCONCLUSIVE


def combine(statuses: list[Status]) -> Status:
    """One verdict from several thresholds: any failed → failed, else any inconclusive →
    inconclusive, else passed. No status at all is inconclusive."""
    if not statuses:
        return Status.INCONCLUSIVE
    if Status.FAILED in statuses:
        return Status.FAILED
    if all(s is Status.PASSED for s in statuses):
        return Status.PASSED
    return Status.INCONCLUSIVE
