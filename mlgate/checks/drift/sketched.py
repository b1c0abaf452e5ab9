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

import numpy as np
from scipy import stats

from mlgate.checks.drift.univariate import (
    KS_EXACT_MAX_N,
    SortedSample,
    TwoSample,
    _shares,
    bin_labels,
    compare_numeric,
)
from mlgate.stats.sketch_two_sample import align, binned_counts_of, ks_bounds, quantile_edges_of
from mlgate.stats.sketches import ValueSketch

#: Values (both sides together) up to which exact sketches are turned back into the data:
#: 16 MB of float64.
REBUILD_MAX_VALUES = 1 << 21


def _ks_p(d: float, n1: int, n2: int) -> float:
    m, n = sorted([float(n1), float(n2)], reverse=True)
    return float(np.clip(stats.kstwo.sf(d, np.round(m * n / (m + n))), 0, 1))


def compare_numeric_sketch(ref: ValueSketch, cur: ValueSketch, *, n_bins: int = 10) -> TwoSample:
    """The statistics of :func:`compare_numeric` from sketches (see the module docstring).
    Raises ValueError when either side has no finite value."""
    if ref.exact and cur.exact and ref.n + cur.n <= REBUILD_MAX_VALUES:
        return compare_numeric(
            SortedSample(ref.sorted_values(), ref.n_missing),
            SortedSample(cur.sorted_values(), cur.n_missing),
            n_bins=n_bins,
        )
    from mlgate.checks.drift.effect import hellinger, jensen_shannon, psi, total_variation

    s = align(ref, cur)
    ks = ks_bounds(s)
    n1, n2 = s.n1, s.n2
    if max(n1, n2) <= KS_EXACT_MAX_N:  # only reachable with a small capacity
        p = (
            float(stats.ks_2samp(ref.sorted_values(), cur.sorted_values()).pvalue)
            if (ref.exact and cur.exact)
            else _ks_p(ks.d_low, n1, n2)
        )
    else:
        p = _ks_p(ks.d_low, n1, n2)
    sd = ref.moments.std(ddof=1) if n1 > 1 else 0.0
    w = ks.wasserstein
    w_sd = w / sd if sd > 0 else (0.0 if w == 0 else float("inf"))
    edges, moved = quantile_edges_of(s, n_bins)
    rc, cc = binned_counts_of(s, edges)
    sketch: dict[str, Any] = {
        "exact": bool(ref.exact and cur.exact),
        "level": s.level,
        "buckets": len(s.counts1),
        "ks_high": ks.d_high,
        "ks_error": ks.d_high - ks.d_low,
        "p_value_low": _ks_p(ks.d_high, n1, n2),
        "wasserstein_error": ks.wasserstein_error,
        "moved_edges": moved,
    }
    return TwoSample(
        kind="numeric",
        test="ks",
        statistic=ks.d_low,
        p_value=p,
        n_ref=n1,
        n_cur=n2,
        distances={
            "ks": ks.d_low,
            "wasserstein": w,
            "wasserstein_sd": w_sd,
            "psi": psi(rc, cc),
            "jensen_shannon": jensen_shannon(rc, cc),
            "total_variation": total_variation(rc, cc),
            "hellinger": hellinger(rc, cc),
        },
        details={
            "ref_mean": ref.moments.mean(),
            "cur_mean": cur.moments.mean(),
            "ref_sd": sd,
            "bins": len(rc),
            "bin_labels": bin_labels(edges),
            "ref_share": _shares(rc),
            "cur_share": _shares(cc),
            "missing_ref": ref.n_missing,
            "missing_cur": cur.n_missing,
            "sketch": sketch,
        },
    )
