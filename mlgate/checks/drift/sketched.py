"""A numeric column's drift statistics from two value sketches (what the ``drift`` check folds
batches into, so it runs on partitioned data without gathering it).

While both sketches are exact (at most :data:`~mlgate.stats.sketches.DEFAULT_CAPACITY`
distinct values per side) and hold at most :data:`REBUILD_MAX_VALUES` values together, the
data are rebuilt from them and compared by :func:`~mlgate.checks.drift.univariate.compare_numeric`
itself: the numbers are those of the in-memory comparison, bit for bit. Otherwise the
statistics come from the sketches (:mod:`mlgate.stats.sketch_two_sample`) with their error
bounds in ``details["sketch"]``; the reference's mean and standard deviation are exact
(correctly rounded), and so is everything when the sketches are exact.
"""

from __future__ import annotations

from typing import Any

from scipy import stats

from mlgate.checks.drift.univariate import (
    KS_EXACT_MAX_N,
    SortedSample,
    TwoSample,
    compare_numeric,
    ks_asymptotic_p,
    numeric_result,
)
from mlgate.stats.sketch_two_sample import align, binned_counts_of, ks_bounds, quantile_edges_of
from mlgate.stats.sketches import ValueSketch

#: Values (both sides together) up to which exact sketches are turned back into the data:
#: 16 MB of float64.
REBUILD_MAX_VALUES = 1 << 21


def compare_numeric_sketch(ref: ValueSketch, cur: ValueSketch, *, n_bins: int = 10) -> TwoSample:
    """The statistics of :func:`compare_numeric` from sketches (see the module docstring).
    Raises ValueError when either side has no finite value."""
    if ref.exact and cur.exact and ref.n + cur.n <= REBUILD_MAX_VALUES:
        return compare_numeric(
            SortedSample(ref.sorted_values(), ref.n_missing),
            SortedSample(cur.sorted_values(), cur.n_missing),
            n_bins=n_bins,
        )
    s = align(ref, cur)
    ks = ks_bounds(s)
    n1, n2 = s.n1, s.n2
    if max(n1, n2) <= KS_EXACT_MAX_N:  # only reachable with a small capacity
        p = (
            float(stats.ks_2samp(ref.sorted_values(), cur.sorted_values()).pvalue)
            if (ref.exact and cur.exact)
            else ks_asymptotic_p(ks.d_low, n1, n2)
        )
    else:
        p = ks_asymptotic_p(ks.d_low, n1, n2)
    sd = ref.moments.std(ddof=1) if n1 > 1 else 0.0
    edges, moved = quantile_edges_of(s, n_bins)
    sketch: dict[str, Any] = {
        "exact": bool(ref.exact and cur.exact),
        "level": s.level,
        "buckets": len(s.counts1),
        "ks_high": ks.d_high,
        "ks_error": ks.d_high - ks.d_low,
        "p_value_low": ks_asymptotic_p(ks.d_high, n1, n2),
        "wasserstein_error": ks.wasserstein_error,
        "moved_edges": moved,
    }
    return numeric_result(
        ks.d_low,
        p,
        ks.wasserstein,
        sd,
        binned_counts_of(s, edges),
        edges,
        sizes=(n1, n2),
        means=(ref.moments.mean(), cur.moments.mean()),
        missing=(ref.n_missing, cur.n_missing),
        sketch=sketch,
    )
