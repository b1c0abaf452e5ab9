"""Seeded bootstrap intervals: percentile and BCa.

:func:`bootstrap_interval` resamples a :class:`~mlgate.stats.cells.CellStatistic` (any metric
of :mod:`mlgate.stats.metrics`, or a paired difference of two) as cell weights, a chunk of
resamples at a time (:mod:`mlgate.stats.resampling`), so no resamples × rows matrix is ever
built. BCa (bias-corrected and accelerated, Efron 1987) takes its acceleration from the exact
jackknife of the statistic and follows ``scipy.stats.bootstrap(method="BCa")`` step by step.

:func:`percentile_bootstrap` is the older interface for any statistic of row indices.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from scipy.special import ndtr, ndtri

from mlgate.core.progress import Advance
from mlgate.core.result import Interval
from mlgate.stats import resampling
from mlgate.stats.accumulators import UndefinedMetricError
from mlgate.stats.cells import CellStatistic

Method = Literal["percentile", "bca"]

# Rows of resampled indices drawn at once by percentile_bootstrap: ~8 bytes × this number.
_MAX_CHUNK_CELLS = 2_000_000


@dataclass(frozen=True)
class BootstrapOutcome:
    """An interval (None when the statistic was undefined on every resample, or BCa could not
    be computed), how many resamples were drawn and how many were undefined. ``scheme`` is how
    weights were drawn; ``standard_error`` the standard deviation of the defined resamples."""

    interval: Interval | None
    n_resamples: int
    n_undefined: int
    scheme: str = "multinomial-rows"
    standard_error: float | None = None
    reason: str = ""
    values: np.ndarray | None = field(default=None, compare=False, repr=False)

    @property
    def undefined_fraction(self) -> float:
        return self.n_undefined / self.n_resamples if self.n_resamples else 1.0


def _check_level(level: float) -> None:
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must be in (0, 1), got {level}")


def bootstrap_values(
    stat: CellStatistic,
    *,
    rng: np.random.Generator,
    n_resamples: int = 1000,
    scheme: resampling.Scheme = "auto",
    progress: Advance | None = None,
) -> tuple[np.ndarray, str]:
    """(n_resamples,) values of ``stat`` on bootstrap resamples (NaN where undefined) and the
    drawing method used. Deterministic for a given ``rng`` state. ``progress(n)`` (optional)
    is told after each chunk how many resamples it held."""
    how = resampling.choose(scheme, stat.n_rows, stat.n_cells, n_resamples)
    counts = stat.counts
    out: list[np.ndarray] = []

    def done(values: np.ndarray) -> None:
        out.append(values)
        if progress is not None:
            progress(len(values))

    if how == "multinomial-cells":
        for size in resampling.chunk_sizes(n_resamples, stat.n_cells):
            done(stat.batch(resampling.multinomial_cells(rng, counts, size)))
    elif how == "multinomial-rows":
        for size in resampling.chunk_sizes(n_resamples, max(stat.n_rows, stat.n_cells)):
            w = resampling.multinomial_rows(rng, stat.row_cell, stat.n_cells, size)
            done(stat.batch(w))
    else:
        multi_rng = np.random.default_rng(rng.integers(0, 2**63))
        fast = stat.batch_bits is not None and bool((counts == 1).all())
        for size in resampling.chunk_sizes(n_resamples, stat.n_cells):
            bits = resampling.random_bits(rng, stat.n_cells, size)
            if fast:
                done(stat.batch_bits(bits))
            else:
                done(stat.batch(resampling.double_or_nothing(multi_rng, counts, bits)))
    return np.concatenate(out) if out else np.zeros(0), how


def bootstrap_interval(
    stat: CellStatistic,
    *,
    rng: np.random.Generator,
    n_resamples: int = 1000,
    level: float = 0.95,
    method: Method = "percentile",
    scheme: resampling.Scheme = "auto",
    progress: Advance | None = None,
) -> BootstrapOutcome:
    """A two-sided ``level`` interval of ``stat`` from ``n_resamples`` seeded resamples.

    Resamples where the statistic is undefined are counted and left out (the caller decides
    how many are too many). ``method="bca"`` needs the statistic's jackknife; when BCa cannot
    be computed (all resamples on one side of the estimate, an undefined jackknife value) the
    interval is None and ``reason`` says why. Raises ValueError for a level outside (0, 1) or
    an unknown method.
    """
    _check_level(level)
    if method not in ("percentile", "bca"):
        raise ValueError(f"unknown bootstrap method {method!r}; use 'percentile' or 'bca'")
    values, how = bootstrap_values(
        stat, rng=rng, n_resamples=n_resamples, scheme=scheme, progress=progress
    )
    defined = values[~np.isnan(values)]
    n_undefined = len(values) - len(defined)
    common = {"n_resamples": n_resamples, "n_undefined": n_undefined, "scheme": how}
    if not len(defined):
        return BootstrapOutcome(None, reason="undefined on every resample", values=values, **common)
    se = float(defined.std(ddof=1)) if len(defined) > 1 else 0.0
    alpha = (1.0 - level) / 2.0
    if method == "percentile":
        low, high = np.quantile(defined, [alpha, 1.0 - alpha])
        interval = Interval(float(low), float(high), level, "bootstrap-percentile")
        return BootstrapOutcome(interval, standard_error=se, values=values, **common)
    probs, reason = bca_levels(defined, stat, alpha)
    if probs is None:
        return BootstrapOutcome(None, standard_error=se, reason=reason, values=values, **common)
    low, high = np.quantile(defined, probs)
    interval = Interval(float(low), float(high), level, "bootstrap-bca")
    return BootstrapOutcome(interval, standard_error=se, values=values, **common)


def bca_levels(
    defined: np.ndarray, stat: CellStatistic, alpha: float
) -> tuple[tuple[float, float] | None, str]:
    """The BCa quantile levels (α₁, α₂) for resample values ``defined``, or (None, reason)."""
    theta_hat = stat.value
    if np.isnan(theta_hat):
        return None, "the statistic is undefined on the data"
    below = np.count_nonzero(defined < theta_hat) + np.count_nonzero(defined <= theta_hat)
    z0 = float(ndtri(below / (2.0 * len(defined))))
    if not np.isfinite(z0):
        return None, "every resample lies on one side of the estimate (BCa bias is infinite)"
    accel = acceleration(stat)
    if accel is None:
        return None, "the jackknife is undefined (a row cannot be left out)"
    levels = []
    for z_alpha in (float(ndtri(alpha)), -float(ndtri(alpha))):
        num = z0 + z_alpha
        levels.append(float(ndtr(z0 + num / (1.0 - accel * num))))
    return (levels[0], levels[1]), ""


def acceleration(stat: CellStatistic) -> float | None:
    """Efron's jackknife acceleration Σ d³ / (6 (Σ d²)^1.5), d = mean − leave-one-out value,
    each cell counted once per row it holds; None without a jackknife or when one is NaN."""
    if stat.jackknife is None:
        return None
    loo = np.asarray(stat.jackknife(), dtype=float)
    counts = stat.counts
    if np.isnan(loo[counts > 0]).any():
        return None
    mean = float(counts @ loo) / float(counts.sum())
    d = mean - loo
    den = float(counts @ d**2)
    return float(counts @ d**3) / (6.0 * den**1.5) if den > 0 else 0.0


def percentile_bootstrap(
    statistic: Callable[[np.ndarray], float],
    n_rows: int,
    *,
    rng: np.random.Generator,
    n_resamples: int = 1000,
    level: float = 0.95,
) -> BootstrapOutcome:
    """Percentile bootstrap interval of ``statistic(indices)`` over ``n_rows`` rows.

    Resamples on which the statistic is undefined (:class:`UndefinedMetricError`) are counted
    and left out; the caller decides whether too many were undefined. Indices are drawn in
    chunks, so memory stays bounded whatever ``n_rows × n_resamples`` is. For the metrics of
    :mod:`mlgate.stats.metrics` prefer :func:`bootstrap_interval`, which is much faster.
    """
    _check_level(level)
    chunk = max(1, min(n_resamples, _MAX_CHUNK_CELLS // max(n_rows, 1)))
    values: list[float] = []
    undefined = 0
    done = 0
    while done < n_resamples:
        size = min(chunk, n_resamples - done)
        for idx in rng.integers(0, n_rows, size=(size, n_rows)):
            try:
                values.append(statistic(idx))
            except UndefinedMetricError:
                undefined += 1
        done += size
    if not values:
        return BootstrapOutcome(None, n_resamples, undefined)
    alpha = (1.0 - level) / 2.0
    low, high = np.quantile(np.asarray(values), [alpha, 1.0 - alpha])
    return BootstrapOutcome(
        Interval(float(low), float(high), level, "bootstrap-percentile"), n_resamples, undefined
    )
