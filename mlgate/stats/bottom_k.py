"""A stratified sample without replacement that merges exactly: the bottom-k of a hash.

Give every row a rank ``u`` that is a function of (a key, the row's position) alone (for
example :func:`mlgate.stats.poisson.splitmix64_at`) and keep, per stratum, the ``k`` rows with
the smallest ranks (ties, which a 64-bit hash makes all but impossible, go to the lower
position). Because the ranks are fixed before any row is read:

* within a stratum, every set of ``k`` rows is equally likely to be kept (the ranks are
  exchangeable), so the kept rows are a uniform sample without replacement of the stratum;
* the ``k`` smallest ranks of a union are the ``k`` smallest of the union of each part's ``k``
  smallest, so the sample of partitioned data is a fold: keep the bottom-k of each part, merge
  two parts by keeping the bottom-k of their union. Any split, in any merge order, keeps the
  same rows.

The ``k`` of each stratum is its proportional share of the sample
(:func:`proportional_allocation`), which needs the strata's sizes first (one fold of counts;
for strata cut from a numeric value, :class:`KeyCounts` places the cuts and merges exactly).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["KeyCounts", "bottom_k", "proportional_allocation"]


def proportional_allocation(counts: Any, size: int) -> np.ndarray:
    """Rows to take from each stratum: ``size`` rows shared in proportion to ``counts`` by
    largest remainders (integer arithmetic; equal remainders go to the lower stratum). With
    ``size`` at least the total, every row (``counts`` itself).

    >>> proportional_allocation([3_333, 3_333, 3_334], 10).tolist()
    [3, 3, 4]

    Raises ValueError for a negative count or size.
    """
    counts = np.asarray(counts, dtype=np.int64)
    if (counts < 0).any() or size < 0:
        raise ValueError(f"counts and size must be non-negative, got {counts.tolist()}, {size}")
    n = int(counts.sum())
    if size >= n:
        return counts.copy()
    # python ints: counts * size may pass 2**63 for very large data
    products = [int(c) * int(size) for c in counts]
    take = np.array([p // n for p in products], dtype=np.int64)
    remainder = np.array([p % n for p in products], dtype=object)
    short = size - int(take.sum())
    if short:
        order = sorted(range(len(counts)), key=lambda i: (-remainder[i], i))
        take[order[:short]] += 1
    return take


def bottom_k(strata: Any, ranks: Any, positions: Any, quota: Any) -> np.ndarray:
    """Indices (into the inputs) of the rows to keep: in each stratum ``s`` the ``quota[s]``
    rows of least ``(rank, position)``, ordered by stratum, then rank.

    ``strata`` are stratum codes in ``[0, len(quota))``, ``ranks`` the rows' hash (uint64),
    ``positions`` their positions in the whole data (unique). A stratum larger than its quota
    is cut with a partition (linear time), not a sort.

    >>> bottom_k(np.array([0, 0, 1, 0]), np.array([5, 1, 7, 3], dtype=np.uint64),
    ...          np.arange(4), np.array([2, 1])).tolist()
    [1, 3, 2]

    Raises ValueError for a stratum code outside ``[0, len(quota))``.
    """
    strata = np.asarray(strata, dtype=np.int64)
    ranks = np.asarray(ranks, dtype=np.uint64)
    positions = np.asarray(positions)
    quota = np.asarray(quota, dtype=np.int64)
    if len(strata) == 0:
        return np.empty(0, dtype=np.int64)
    if strata.min() < 0 or strata.max() >= len(quota):
        raise ValueError(f"stratum codes must be in [0, {len(quota)}), got {strata.max()}")
    # few strata: a 16-bit key sorts by radix
    codes = strata.astype(np.int16) if len(quota) < 1 << 15 else strata
    order = np.argsort(codes, kind="stable")
    sizes = np.bincount(strata, minlength=len(quota))
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    kept = []
    for s in np.flatnonzero(np.minimum(sizes, quota) > 0):
        idx = order[starts[s] : starts[s] + sizes[s]]
        k = int(quota[s])
        if len(idx) > k:
            r = ranks[idx]
            kth = np.partition(r, k - 1)[k - 1]
            below, tied = idx[r < kth], idx[r == kth]
            tied = tied[np.argsort(positions[tied], kind="stable")][: k - len(below)]
            idx = np.concatenate([below, tied])
        kept.append(idx[np.lexsort((positions[idx], ranks[idx]))])
    return np.concatenate(kept) if kept else np.empty(0, dtype=np.int64)


@dataclass(frozen=True)
class KeyCounts:
    """How many values fall on each 64-bit key (e.g. ``sortable_keys`` of floats, in value
    order) with the keys' ``level`` lowest bits dropped: the least level at which at most
    ``capacity`` distinct keys remain. It places the edges of strata cut from a numeric value
    (the regression strata of a bottom-k sample).

    Its merge is exact and order-free: a union's least level is at least each part's, and
    coarsening is a shift, so merging at the larger level and coarsening until the union fits
    ends in the state that counting every value at once gives, however the values were split.
    (:class:`mlgate.stats.sketches.ValueSketch` follows the same rule and also keeps each
    bucket's least and largest value and exact moments, which strata do not need.)

    >>> a = KeyCounts.of(np.array([1, 2, 2], dtype=np.uint64), 8)
    >>> a.merge(KeyCounts.of(np.array([2, 9], dtype=np.uint64), 8)).counts.tolist()
    [1, 3, 1]
    """

    capacity: int
    level: int
    keys: np.ndarray
    counts: np.ndarray

    @classmethod
    def of(cls, keys: Any, capacity: int) -> KeyCounts:
        """The counts of ``keys`` (uint64). Raises ValueError for a capacity below 1."""
        if capacity < 1:
            raise ValueError(f"KeyCounts needs a capacity of at least 1, got {capacity}")
        unique, counts = np.unique(np.asarray(keys, dtype=np.uint64), return_counts=True)
        return cls(capacity, 0, unique, counts.astype(np.int64)).fitted()

    @property
    def n(self) -> int:
        return int(self.counts.sum())

    def at_level(self, level: int) -> KeyCounts:
        """The counts with the keys coarsened to ``level`` (not below the own level)."""
        if level <= self.level:
            return self
        coarse = _drop_bits(self.keys, level - self.level)
        unique, start = np.unique(coarse, return_index=True)  # coarse is sorted: runs
        counts = np.add.reduceat(self.counts, start) if len(start) else self.counts[:0]
        return KeyCounts(self.capacity, level, unique, counts.astype(np.int64))

    def fitted(self) -> KeyCounts:
        """Coarsened to the least level with at most ``capacity`` distinct keys."""
        if len(self.keys) <= self.capacity:
            return self
        lo, hi = 1, 64  # distinct keys fall as bits are dropped; 64 bits dropped leave one
        while lo < hi:
            mid = (lo + hi) // 2
            coarse = _drop_bits(self.keys, mid)
            if 1 + int(np.count_nonzero(coarse[1:] != coarse[:-1])) <= self.capacity:
                hi = mid
            else:
                lo = mid + 1
        return self.at_level(self.level + lo)

    def merge(self, other: KeyCounts) -> KeyCounts:
        """The counts of both (neither changes). Raises TypeError for another capacity."""
        if other.capacity != self.capacity:
            raise TypeError(
                f"cannot merge KeyCounts of capacity {other.capacity} and {self.capacity}"
            )
        level = max(self.level, other.level)
        a, b = self.at_level(level), other.at_level(level)
        keys = np.concatenate([a.keys, b.keys])
        unique, inverse = np.unique(keys, return_inverse=True)
        counts = np.zeros(len(unique), dtype=np.int64)
        np.add.at(counts, inverse, np.concatenate([a.counts, b.counts]))
        return KeyCounts(self.capacity, level, unique, counts).fitted()


def _drop_bits(keys: np.ndarray, bits: int) -> np.ndarray:
    return keys >> np.uint64(bits) if bits < 64 else np.zeros_like(keys)
