"""The intervals of a rate over (row, variant) pairs and of a metric drop.

A rate over rows (flip rate, violation rate) is a binomial proportion: it gets the kernel's
Wilson interval (:func:`mlgate.stats.intervals.wilson_interval`) and is judged with
:meth:`~mlgate.core.result.Threshold.judge`. A rate over (row, variant) pairs is not: the
variants of one row share the row (one near the decision boundary flips under many of them),
so the pairs are clustered by row. :func:`pair_rate` gives it the kernel's Wilson interval
at the *effective* sample size, the pairs divided by the design effect estimated from the
rows (Kish 1965; the Wilson interval with an effective n, as Korn & Graubard 1998 do for
clustered survey proportions). A metric drop is a mean of paired per-row differences, so it
gets the Student-t interval here (or a bootstrap when the metric is not a mean over rows).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
from scipy import stats

from mlgate.core.result import Interval
from mlgate.stats.intervals import wilson_interval

PAIRED_T = "paired t interval over rows"
CLUSTERED_WILSON = "wilson, effective n (pairs / design effect, rows as clusters)"


@dataclass(frozen=True)
class PairRate:
    """A rate over (row, variant) pairs: ``hits`` of ``pairs`` over ``rows`` rows (the
    clusters), the design effect and the effective sample size its interval uses."""

    hits: int
    pairs: int
    rows: int
    design_effect: float
    effective_n: float
    interval: Interval | None

    @property
    def rate(self) -> float | None:
        return self.hits / self.pairs if self.pairs else None


def pair_rate(hits_per_row: np.ndarray, pairs_per_row: np.ndarray, level: float) -> PairRate:
    """The share of pairs that are hits, with a Wilson interval at the effective sample size.

    ``hits_per_row`` / ``pairs_per_row`` (one entry per row; rows with no pair are left out)
    give the ratio estimate p = Σ hits / Σ pairs. Its variance with rows as clusters is
    R/(R − 1) · Σ (hits_i − p·pairs_i)² / (Σ pairs)² over the R rows; divided by the binomial
    variance p(1 − p)/Σ pairs it is the design effect d (at least 1: independent pairs). The
    interval is ``wilson_interval(p · n_eff, n_eff)`` with n_eff = Σ pairs / d. With no hit (or
    only hits) d cannot be estimated: then n_eff is the number of rows, the conservative
    choice (as if every row's pairs agreed). Returns an interval of None without pairs.

    >>> r = pair_rate(np.array([0, 1, 10]), np.array([10, 10, 10]), 0.95)
    >>> r.rate, r.rows, r.design_effect > 1
    (0.36666666666666664, 3, True)
    """
    hits = np.asarray(hits_per_row, dtype=float)
    pairs = np.asarray(pairs_per_row, dtype=float)
    keep = pairs > 0
    hits, pairs = hits[keep], pairs[keep]
    total, k, rows = float(pairs.sum()), float(hits.sum()), int(keep.sum())
    if total == 0:
        return PairRate(0, 0, 0, 1.0, 0.0, None)
    p = k / total
    binomial = p * (1.0 - p) / total
    if binomial > 0 and rows > 1:
        clustered = rows / (rows - 1) * float(np.sum((hits - p * pairs) ** 2)) / total**2
        design = max(1.0, clustered / binomial)
    else:
        design = total / rows  # no spread to estimate it from: count each row once
    n_eff = total / design
    ci = wilson_interval(min(max(p * n_eff, 0.0), n_eff), n_eff, level)
    return PairRate(
        hits=int(k),
        pairs=int(total),
        rows=rows,
        design_effect=design,
        effective_n=n_eff,
        interval=None if ci is None else replace(ci, method=CLUSTERED_WILSON),
    )


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
