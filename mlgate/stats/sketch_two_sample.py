"""Two-sample statistics from two :class:`~mlgate.stats.sketches.ValueSketch` es, with the
error the sketch can cause stated.

Both sketches are brought to the same level, so their buckets are the same ranges of values.
At the largest value of a bucket (``high``) both empirical CDFs are known exactly (every value
of the bucket is at or below it, every value of a later bucket above it), so:

* **KS.** ``D_low``, the largest CDF gap over the bucket highs, is a lower bound of the true
  statistic D. Inside a bucket ``b`` that holds more than one value, each CDF moves by at
  most its share ``p_b`` of the bucket, so ``D <= max_b(|gap before b| + max(p1_b, p2_b))``:
  ``D_high``. D lies in ``[D_low, D_high]``; ``D_low`` is reported, ``D_high - D_low`` is the
  stated error. For an exact sketch (every bucket one value) the two are equal and D is
  SciPy's ``ks_2samp`` statistic.
* **Wasserstein-1** = ∫|F1 − F2| is exact between buckets; inside a bucket of width ``w_b``
  the midpoint of the two end gaps is used, off by at most ``w_b · max(p1_b, p2_b)``: the sum
  of those is the stated error.
* **Binned counts** over bins cut at the reference's quantiles: a quantile whose neighbouring
  ranks fall in single-value buckets is computed exactly (as ``numpy.quantile``); one that
  falls inside a bucket of several values, and any edge that lands strictly inside such a
  bucket, is moved to the bucket's largest value. Counts per bin are then exact for the
  edges used; only the edges may differ from the exact quantiles (by at most one bucket).

Everything here is a function of the two sketches alone, which do not depend on how the data
was partitioned (:mod:`mlgate.stats.sketches`), so neither do the numbers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mlgate.stats.sketches import ValueSketch

__all__ = ["AlignedSketches", "align", "binned_counts_of", "ks_bounds", "quantile_edges_of"]


@dataclass(frozen=True)
class AlignedSketches:
    """Two sketches on common buckets (sorted): counts per side, and per bucket the least and
    largest value over both sides (``lows``/``highs``); ``single`` marks buckets holding one
    distinct value."""

    counts1: np.ndarray
    counts2: np.ndarray
    lows1: np.ndarray  # NaN where side 1 has no value in the bucket
    highs1: np.ndarray
    lows: np.ndarray
    highs: np.ndarray
    level: int

    @property
    def n1(self) -> int:
        return int(self.counts1.sum())

    @property
    def n2(self) -> int:
        return int(self.counts2.sum())

    @property
    def single(self) -> np.ndarray:
        return self.lows == self.highs

    @property
    def gaps(self) -> np.ndarray:
        """F1 − F2 at each bucket's largest value."""
        return np.cumsum(self.counts1) / self.n1 - np.cumsum(self.counts2) / self.n2


def align(a: ValueSketch, b: ValueSketch) -> AlignedSketches:
    """``a`` and ``b`` on the buckets of the coarser level. Raises ValueError when either has
    no finite value."""
    if a.n == 0 or b.n == 0:
        raise ValueError("both samples need at least one finite value")
    level = max(a.level, b.level)
    k1, c1, lo1, hi1 = a.at_level(level)
    k2, c2, lo2, hi2 = b.at_level(level)
    keys = np.union1d(k1, k2)
    i1, i2 = np.searchsorted(keys, k1), np.searchsorted(keys, k2)
    counts1 = np.zeros(len(keys), dtype=np.int64)
    counts2 = np.zeros(len(keys), dtype=np.int64)
    counts1[i1], counts2[i2] = c1, c2
    lows1, highs1 = np.full(len(keys), np.nan), np.full(len(keys), np.nan)
    lows2, highs2 = np.full(len(keys), np.nan), np.full(len(keys), np.nan)
    lows1[i1], highs1[i1], lows2[i2], highs2[i2] = lo1, hi1, lo2, hi2
    return AlignedSketches(
        counts1,
        counts2,
        lows1,
        highs1,
        np.fmin(lows1, lows2),
        np.fmax(highs1, highs2),
        level,
    )


@dataclass(frozen=True)
class KsBounds:
    """The KS statistic's bounds and the Wasserstein-1 distance with its error bound."""

    d_low: float
    d_high: float
    wasserstein: float
    wasserstein_error: float


def ks_bounds(s: AlignedSketches) -> KsBounds:
    """KS bounds and Wasserstein-1 of the aligned sketches (see the module docstring); for
    exact sketches the same numbers, by the same arithmetic, as ``ks_2samp`` /
    ``wasserstein_distance`` on the data (:func:`mlgate.checks.drift.univariate.ks_from_sorted`)."""
    gaps = s.gaps
    d_low = float(max(np.clip(-gaps.min(), 0, 1), gaps.max()))
    shares = np.maximum(s.counts1 / s.n1, s.counts2 / s.n2)
    before = np.abs(np.concatenate([[0.0], gaps[:-1]]))
    wide = ~s.single
    d_high = d_low
    if wide.any():
        d_high = float(min(1.0, max(d_low, float(np.max(before[wide] + shares[wide])))))
    between = s.lows[1:] - s.highs[:-1]  # CDFs constant from one bucket to the next
    wasserstein = float(np.sum(np.abs(gaps[:-1]) * between))
    error = 0.0
    if wide.any():
        widths = (s.highs - s.lows)[wide]
        wasserstein += float(np.sum((before[wide] + np.abs(gaps[wide])) / 2.0 * widths))
        error = float(np.sum(widths * shares[wide]))
    return KsBounds(d_low, d_high, wasserstein, error)


def _value_at_rank(s: AlignedSketches, cum1: np.ndarray, rank: np.ndarray):
    """(value of side 1 at 0-based ``rank``, whether it is exact, its bucket)."""
    bucket = np.searchsorted(cum1, rank, side="right")
    exact = s.lows1[bucket] == s.highs1[bucket]
    return np.where(exact, s.lows1[bucket], s.highs[bucket]), exact, bucket


def quantile_edges_of(s: AlignedSketches, n_bins: int) -> tuple[np.ndarray, int]:
    """(inner bin edges at the quantiles of side 1, how many were moved to a bucket's largest
    value). For an exact sketch the edges equal
    :func:`mlgate.checks.drift.univariate.quantile_edges` of the data."""
    n = s.n1
    if n_bins < 2 or n == 0:
        return np.empty(0), 0
    cum1 = np.cumsum(s.counts1)
    pos = np.linspace(0, 1, n_bins + 1)[1:-1] * (n - 1)
    lo = np.floor(pos).astype(np.int64)
    hi = np.minimum(lo + 1, n - 1)
    v_lo, ok_lo, b_lo = _value_at_rank(s, cum1, lo)
    v_hi, ok_hi, _ = _value_at_rank(s, cum1, hi)
    exact = ok_lo & ok_hi
    qs = np.where(exact, v_lo + (v_hi - v_lo) * (pos - lo), s.highs[b_lo])
    # An edge strictly inside a bucket of several values goes to the bucket's largest value,
    # so that the counts at or below it are known on both sides.
    inside = np.searchsorted(s.highs, qs, side="left")
    inside = np.minimum(inside, len(s.highs) - 1)
    moved = (~s.single[inside]) & (s.lows[inside] <= qs) & (qs < s.highs[inside])
    qs = np.where(moved, s.highs[inside], qs)
    return np.unique(qs), int((~exact | moved).sum())


def binned_counts_of(s: AlignedSketches, edges: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Counts of each side in ``(-inf, e0], (e0, e1], …, (e_last, inf)``, for edges from
    :func:`quantile_edges_of` (never strictly inside a bucket of several values)."""
    upto = np.searchsorted(s.highs, edges, side="right")  # buckets wholly at or below each edge
    out = []
    for counts in (s.counts1, s.counts2):
        cum = np.concatenate([[0], np.cumsum(counts)])
        cuts = cum[upto]
        out.append(np.diff(np.concatenate([[0], cuts, [cum[-1]]])))
    return out[0], out[1]
