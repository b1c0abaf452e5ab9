"""The ratio of two models' metric on the same rows, with a paired bootstrap interval.

Relative bounds and margins ("MAE at most 95% of the baseline's", "at most 2% worse than the
champion") are judged on log(candidate) − log(reference): both models' metrics recomputed on the
same resampled rows (cells), the interval mapped back through exp. Percentile and BCa intervals
respect monotone maps, so this is the interval of the ratio itself.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from mlgate.stats.bootstrap import BootstrapOutcome, bootstrap_interval
from mlgate.stats.cells import CellStatistic
from mlgate.stats.metrics import MetricDef
from mlgate.stats.paired import paired_difference

#: The log of 0 is taken as the log of this, so a perfect candidate (MAE 0) has a ratio of 0.
TINY = 1e-300


def log_statistic(stat: CellStatistic) -> CellStatistic:
    """log of a statistic that is never negative (NaN where it is undefined or negative)."""

    def log(values: np.ndarray) -> np.ndarray:
        values = np.asarray(values, dtype=float)
        out = np.full(values.shape, np.nan)
        np.log(np.maximum(values, TINY), out=out, where=values >= 0)
        return out

    def batch(weights: np.ndarray) -> np.ndarray:
        return log(stat.batch(weights))

    jackknife = None
    if stat.jackknife is not None:
        base = stat.jackknife

        def jackknife() -> np.ndarray:
            return log(base())

    return CellStatistic(f"log {stat.name}", stat.counts, stat.row_cell, batch, jackknife)


def paired_log_ratio(
    metric: MetricDef,
    y: np.ndarray,
    candidate: np.ndarray,
    reference: np.ndarray,
    k: int,
    *,
    rng: np.random.Generator,
    n_resamples: int,
    level: float,
    method: Literal["percentile", "bca"] = "percentile",
) -> BootstrapOutcome:
    """The paired bootstrap of log(metric(candidate)) − log(metric(reference)) on rows ``y``."""
    return bootstrap_interval(
        paired_difference(
            log_statistic(metric.statistic(y, candidate, k)),
            log_statistic(metric.statistic(y, reference, k)),
        ),
        rng=rng,
        n_resamples=n_resamples,
        level=level,
        method=method,
    )
