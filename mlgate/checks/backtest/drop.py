"""Comparisons between backtest windows: is the latest window much worse than a reference
window (the first after the cutoff, the training period, or every earlier window)?

The windows hold different rows, so the difference of their metrics gets a **two-sample**
bootstrap interval: each window is resampled on its own (its rows with replacement, through
the metric's cell statistic and :func:`mlgate.stats.bootstrap.bootstrap_values`) and the
``b``-th resample of one is set against the ``b``-th of the other, the scheme of
``scipy.stats.bootstrap(..., paired=False)``. The percentile interval of those differences
is judged against ``max_drop`` by the kernel's :meth:`Threshold.judge`. Pure functions of
resampled values; no gate.

The *drop* is oriented so that positive is worse, like the decay slope: a fall of a score
(``reference − latest``), a rise of a loss (``latest − reference``). A relative bound
(``max_drop: {relative: 0.1}``) judges the drop as a share of the reference window's metric,
``drop / reference``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mlgate.core.result import Interval
from mlgate.stats.bootstrap import bootstrap_values
from mlgate.stats.evaluate import DEGENERATE_FLOOR
from mlgate.stats.metrics import MetricDef

#: More undefined resamples than this share (either window's metric undefined) and the
#: comparison has no interval.
MAX_UNDEFINED = 0.05

METHOD = "two-sample-bootstrap-percentile"


@dataclass(frozen=True)
class Sample:
    """A window's metric on its rows and that metric on ``n_resamples`` bootstrap resamples of
    them (NaN where undefined)."""

    value: float
    rows: int
    resamples: np.ndarray


def resample(
    metric: MetricDef,
    y: np.ndarray,
    output: np.ndarray,
    k: int,
    *,
    rng: np.random.Generator,
    n_resamples: int,
) -> Sample:
    """``metric`` on encoded rows and on ``n_resamples`` seeded bootstrap resamples of them."""
    stat = metric.statistic(y, output, k)
    values, _ = bootstrap_values(stat, rng=rng, n_resamples=n_resamples)
    return Sample(metric.compute(y, output, k), len(y), values)


@dataclass(frozen=True)
class Drop:
    """How much worse the latest window is than the reference (positive = worse), with its
    interval (None when it has none: ``reason`` says why)."""

    latest: float
    reference: float
    value: float | None
    interval: Interval | None
    relative: bool
    reason: str = ""


def drop(
    latest: Sample,
    reference: Sample,
    *,
    higher_is_better: bool,
    relative: bool,
    level: float,
) -> Drop:
    """The drop from ``reference`` to ``latest`` with a two-sample percentile interval at
    ``level``; a share of the reference's metric when ``relative`` (undefined where the
    reference's metric is not positive)."""
    sign = 1.0 if higher_is_better else -1.0

    def of(ref: np.ndarray | float, new: np.ndarray | float) -> np.ndarray:
        ref, new = np.asarray(ref, dtype=float), np.asarray(new, dtype=float)
        d = sign * (ref - new)
        if not relative:
            return d
        out = np.full(d.shape, np.nan)
        np.divide(d, ref, out=out, where=ref > 0)
        return out

    point = float(of(reference.value, latest.value))
    common = {"latest": latest.value, "reference": reference.value, "relative": relative}
    value = point if np.isfinite(point) else None
    if value is None:
        why = "the reference window's metric is not positive, so no share of it is defined"
        return Drop(value=None, interval=None, reason=why, **common)
    values = of(reference.resamples, latest.resamples)
    defined = values[np.isfinite(values)]
    undefined = 1.0 - len(defined) / max(len(values), 1)
    if not len(defined) or undefined > MAX_UNDEFINED:
        why = f"the metric was undefined on {undefined:.0%} of the resamples"
        return Drop(value=value, interval=None, reason=why, **common)
    alpha = (1.0 - level) / 2.0
    low, high = (float(q) for q in np.quantile(defined, [alpha, 1.0 - alpha]))
    if low == high and min(latest.rows, reference.rows) < DEGENERATE_FLOOR:
        # Every resample gave the same difference (both windows all right): with this few
        # rows that is no interval (as for a single metric in mlgate.stats.evaluate).
        why = (
            f"every resample gave the same drop on windows of {latest.rows} and "
            f"{reference.rows} rows; at least {DEGENERATE_FLOOR} are needed for an interval"
        )
        return Drop(value=value, interval=None, reason=why, **common)
    return Drop(value=value, interval=Interval(low, high, level, METHOD), **common)


def bonferroni_level(level: float, comparisons: int) -> float:
    """The confidence of each of ``comparisons`` intervals that hold together at ``level``."""
    return 1.0 - (1.0 - level) / max(comparisons, 1)
