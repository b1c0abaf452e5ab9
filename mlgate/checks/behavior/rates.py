"""The interval of a metric drop.

A rate (flip rate, violation rate) is a binomial proportion over rows: it gets the kernel's
Wilson interval (:func:`mlgate.stats.intervals.wilson_interval`) and is judged with
:meth:`~mlgate.core.result.Threshold.judge`. A metric drop is a mean of paired per-row
differences, so it gets the Student-t interval here (or a bootstrap when the metric is not a
mean over rows).
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats

from mlgate.core.result import Interval

PAIRED_T = "paired t interval over rows"


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
