"""Mergeable summaries of a numeric column whose merge is exact and order-free, so partitioned
data gives the same bytes however it is partitioned.

Floating-point sums depend on the order of the additions, and a distributed reduction adds in
an order set by the partitioning. These summaries keep integers instead:

* :class:`ExactSum` keeps a sum of float64 values *exactly*: each value is ``M * 2**(e - 53)``
  with an integer mantissa ``M`` read from its bit pattern (no ``frexp``); mantissas are summed
  per exponent in integers, the exponents binned by ``np.bincount`` over float64's fixed
  exponent grid (no sort). The value is the exact sum rounded once (``fractions.Fraction`` to
  float), whatever the order.
* :class:`ExactMoments` is the count, the exact sum and the exact sum of squares (each square
  split into two floats that add up to it exactly, Dekker's product), so the mean and the
  variance are correctly rounded.
* :class:`ValueSketch` is a histogram over the float's **bit pattern**: values are mapped to
  64-bit keys in value order, and the keys lose their ``level`` lowest bits, just enough
  that at most ``capacity`` buckets are occupied. Per bucket it keeps the count and the least
  and largest value. With at most ``capacity`` distinct values the level is 0 and the sketch
  *is* the data (every distinct value with its count). Above that a bucket spans a range of
  values; :mod:`mlgate.stats.sketch_two_sample` states the error this causes.

Why the result does not depend on the partitioning: a sketch's level is always the least
level at which its values fit in ``capacity`` buckets (an update or a merge starts from the
larger of the levels, which is never above the union's, and rises only while the union does
not fit), and a bucket's count, least and largest value at a level are functions of the
values in it. So any split, in any merge order, ends in the same state.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np

__all__ = ["DEFAULT_CAPACITY", "ExactMoments", "ExactSum", "ValueSketch", "finite_values"]

#: Buckets a :class:`ValueSketch` keeps by default: 2**16 (about 2 MB per sketch; a column
#: with at most this many distinct values is kept exactly).
DEFAULT_CAPACITY = 1 << 16
#: Rows summed at once in float64 by :class:`ExactSum`: 27-bit halves of the mantissas then
#: add up below 2**53, so the float sums are exact integers.
_CHUNK = 1 << 24
_HALF = 26
#: float64's bit fields: 52 fraction bits, 11 exponent bits (biased by 1023; 0: subnormal)
_FRACTION = (1 << 52) - 1
_EXPONENTS = 1 << 11
#: ``parts`` key of biased exponent field ``E`` (``E >= 1``): value = M * 2**(E - 1075) with
#: 2**52 <= |M| < 2**53 for normal values, i.e. key ``e = E - 1022`` as ``frexp`` would give
_KEY_OFFSET = 1022


def finite_values(x: Any) -> tuple[np.ndarray, int]:
    """(the finite values of ``x`` as float64, how many were missing or not finite). Pandas
    nullable columns (``pd.NA``) count as missing."""
    if hasattr(x, "to_numpy"):
        x = x.to_numpy(dtype=float, na_value=np.nan)
    arr = np.asarray(x, dtype=float).ravel()
    ok = np.isfinite(arr)
    return arr[ok], int((~ok).sum())


@dataclass
class ExactSum:
    """The exact sum of float64 values, mergeable in any order: integer mantissa sums per
    binary exponent (``parts``). ``value()`` is the sum rounded once to float64.

    >>> s = ExactSum().update(np.array([1e16, 1.0, -1e16]))
    >>> s.value()
    1.0
    """

    parts: dict[int, int] = field(default_factory=dict)

    def update(self, x: Any) -> ExactSum:
        """Add the (finite) values of ``x``; returns ``self``. Raises ValueError for a value
        that is not finite."""
        x = np.asarray(x, dtype=float).ravel()
        if not np.isfinite(x).all():
            raise ValueError("ExactSum takes finite values only")
        for lo in range(0, len(x), _CHUNK):
            self._add(x[lo : lo + _CHUNK])
        return self

    def _add(self, x: np.ndarray) -> None:
        if not len(x):
            return
        bits = np.ascontiguousarray(x, dtype=np.float64).view(np.int64)
        biased = (bits >> 52) & (_EXPONENTS - 1)
        normal = biased != 0
        # |x| = M * 2**(max(E, 1) - 1075): the implicit leading bit for normal values only
        mag = (bits & _FRACTION) | (normal.astype(np.int64) << 52)
        sign = bits >> 63  # 0 or -1 (arithmetic shift): m = mag or -mag, without a branch
        m = (mag ^ sign) - sign  # zeros (either sign) give 0
        grid = np.maximum(biased, 1)
        hi = m >> _HALF  # floor: lo below is non-negative
        lo = m & ((1 << _HALF) - 1)
        his = np.bincount(grid, weights=hi.astype(np.float64), minlength=_EXPONENTS)
        los = np.bincount(grid, weights=lo.astype(np.float64), minlength=_EXPONENTS)
        parts = self.parts
        for g in np.flatnonzero((his != 0) | (los != 0)).tolist():
            v = (int(his[g]) << _HALF) + int(los[g])
            if v:
                key = g - _KEY_OFFSET
                total = parts.get(key, 0) + v
                if total:
                    parts[key] = total
                else:
                    del parts[key]

    def merge(self, other: ExactSum) -> ExactSum:
        """A new sum of both (neither changes)."""
        parts = dict(self.parts)
        for e, v in other.parts.items():
            total = parts.get(e, 0) + v
            if total:
                parts[e] = total
            else:
                parts.pop(e, None)  # no zero entries: equal sums have equal parts
        return ExactSum(parts)

    def exact(self) -> Fraction:
        """The sum as an exact fraction."""
        if not self.parts:
            return Fraction(0)
        low = min(self.parts)
        total = sum(v << (e - low) for e, v in self.parts.items())
        shift = low - 53
        return Fraction(total << shift) if shift >= 0 else Fraction(total, 1 << -shift)

    def value(self) -> float:
        """The sum rounded once to float64."""
        return float(self.exact())


def _square_parts(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(p, err) with p + err == x*x exactly (Dekker's product by Veltkamp's split), for
    |x| below about 2**995 and above 2**-485 (elsewhere err may be off by a subnormal)."""
    p = x * x
    c = 134217729.0 * x  # 2**27 + 1
    hi = c - (c - x)
    lo = x - hi
    err = ((hi * hi - p) + 2.0 * hi * lo) + lo * lo
    return p, err


@dataclass
class ExactMoments:
    """Count, exact sum and exact sum of squares of finite values: a mean and variance that
    are correctly rounded and do not depend on how the values were split.

    >>> m = ExactMoments().update(np.array([1.0, 2.0, 4.0]))
    >>> m.mean(), round(m.variance(ddof=1), 12)
    (2.3333333333333335, 2.333333333333)
    """

    n: int = 0
    total: ExactSum = field(default_factory=ExactSum)
    squares: ExactSum = field(default_factory=ExactSum)
    #: A square beyond float64's range (|x| above ~1e154) was seen: the variance is infinite.
    overflowed: bool = False

    def update(self, x: Any) -> ExactMoments:
        x = np.asarray(x, dtype=float).ravel()
        with np.errstate(over="ignore", invalid="ignore"):
            p, err = _square_parts(x)
        ok = np.isfinite(p) & np.isfinite(err)
        if not ok.all():
            self.overflowed = True
            p, err = p[ok], err[ok]
        self.n += len(x)
        self.total.update(x)
        self.squares.update(p)
        self.squares.update(err)
        return self

    def merge(self, other: ExactMoments) -> ExactMoments:
        return ExactMoments(
            self.n + other.n,
            self.total.merge(other.total),
            self.squares.merge(other.squares),
            self.overflowed or other.overflowed,
        )

    def mean(self) -> float:
        """The mean (NaN with no values)."""
        return float(self.total.exact() / self.n) if self.n else float("nan")

    def variance(self, ddof: int = 0) -> float:
        """The variance with ``ddof`` (NaN when n <= ddof), computed exactly, rounded once."""
        if self.n <= ddof:
            return float("nan")
        if self.overflowed:
            return float("inf")
        s = self.total.exact()
        ss = (self.squares.exact() - s * s / self.n) / (self.n - ddof)
        return float(max(ss, Fraction(0)))

    def std(self, ddof: int = 0) -> float:
        return float(np.sqrt(self.variance(ddof)))


# -- the bit-pattern histogram -----------------------------------------------------------------
_SIGN = np.uint64(1 << 63)


def sortable_keys(x: np.ndarray) -> np.ndarray:
    """64-bit keys in the order of the finite float64 values ``x`` (-0.0 counts as 0.0):
    non-negative values get their bits with the sign bit set, negative ones all bits flipped."""
    bits = (np.asarray(x, dtype=float) + 0.0).view(np.uint64)  # + 0.0 turns -0.0 into 0.0
    negative = (bits & _SIGN) != 0
    return np.where(negative, ~bits, bits | _SIGN)


def _shift(keys: np.ndarray, bits: int) -> np.ndarray:
    return keys >> np.uint64(bits) if bits < 64 else np.zeros_like(keys)


@dataclass
class ValueSketch:
    """A mergeable histogram of a numeric column over its values' bit patterns (see the module
    docstring): ``keys`` (sorted bucket ids, the value keys without their ``level`` lowest
    bits), ``counts``, ``lows`` and ``highs`` (least and largest value per bucket),
    ``n_missing`` and exact :class:`ExactMoments` of the finite values.

    ``exact`` (level 0) means every bucket is one distinct value: :meth:`sorted_values` gives
    the data back. Example::

        a = ValueSketch.of(np.arange(10.0))
        b = ValueSketch.of(np.arange(10.0, 20.0))
        assert a.merge(b) == ValueSketch.of(np.arange(20.0))
    """

    capacity: int = DEFAULT_CAPACITY
    level: int = 0
    keys: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.uint64))
    counts: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    lows: np.ndarray = field(default_factory=lambda: np.empty(0))
    highs: np.ndarray = field(default_factory=lambda: np.empty(0))
    n_missing: int = 0
    moments: ExactMoments = field(default_factory=ExactMoments)

    def __post_init__(self) -> None:
        if self.capacity < 2:
            raise ValueError(f"a ValueSketch needs a capacity of at least 2, got {self.capacity}")

    @classmethod
    def of(cls, x: Any, capacity: int = DEFAULT_CAPACITY) -> ValueSketch:
        return cls(capacity).update(x)

    @property
    def n(self) -> int:
        """Finite values counted."""
        return int(self.counts.sum())

    def __len__(self) -> int:
        return self.n

    @property
    def exact(self) -> bool:
        """Whether every bucket holds a single distinct value (nothing was merged away)."""
        return self.level == 0

    def update(self, x: Any) -> ValueSketch:
        """Add the values of ``x`` (missing and non-finite ones are counted as missing);
        returns ``self``."""
        values, missing = finite_values(x)
        self.n_missing += missing
        if not len(values):
            return self
        values = np.sort(values + 0.0)
        self.moments.update(values)
        part = _buckets(_shift(sortable_keys(values), self.level), values)
        self._absorb(part, self.level)
        return self

    def merge(self, other: ValueSketch) -> ValueSketch:
        """A new sketch of both (neither changes). Raises TypeError for another capacity."""
        if other.capacity != self.capacity:
            raise TypeError(
                f"cannot merge a ValueSketch of capacity {other.capacity} into one of "
                f"{self.capacity}"
            )
        out = ValueSketch(
            self.capacity,
            self.level,
            self.keys,
            self.counts,
            self.lows,
            self.highs,
            self.n_missing + other.n_missing,
            self.moments.merge(other.moments),
        )
        out._absorb((other.keys, other.counts, other.lows, other.highs), other.level)
        return out

    def at_level(self, level: int) -> tuple[np.ndarray, ...]:
        """(keys, counts, lows, highs) with the buckets coarsened to ``level`` (>= own)."""
        if level < self.level:
            raise ValueError(f"cannot refine a sketch of level {self.level} to {level}")
        keys = _shift(self.keys, level - self.level)
        return _regroup(keys, self.counts, self.lows, self.highs)

    def sorted_values(self) -> np.ndarray:
        """Every finite value, sorted (only for an exact sketch). Raises ValueError otherwise."""
        if not self.exact:
            raise ValueError("a sketch whose buckets span several values cannot give them back")
        return np.repeat(self.lows, self.counts)

    def _absorb(self, part: tuple[np.ndarray, ...], level: int) -> None:
        if not len(self.keys) and level >= self.level:  # empty: part's buckets are sorted
            keys, counts, lows, highs = part
            drop = _least_drop(keys, self.capacity)
            if drop:
                keys, counts, lows, highs = _regroup(_shift(keys, drop), counts, lows, highs)
            self.level = level + drop
            self.keys, self.counts, self.lows, self.highs = keys, counts, lows, highs
            return
        level_now = max(self.level, level)
        mine = _shift(self.keys, level_now - self.level)
        theirs = _shift(part[0], level_now - level)
        keys, counts, lows, highs = _regroup(
            np.concatenate([mine, theirs]),
            np.concatenate([self.counts, part[1]]),
            np.concatenate([self.lows, part[2]]),
            np.concatenate([self.highs, part[3]]),
        )
        drop = _least_drop(keys, self.capacity)
        if drop:
            keys, counts, lows, highs = _regroup(_shift(keys, drop), counts, lows, highs)
        self.level = level_now + drop
        self.keys, self.counts, self.lows, self.highs = keys, counts, lows, highs

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ValueSketch):
            return NotImplemented
        same = (self.capacity, self.level, self.n_missing) == (
            other.capacity,
            other.level,
            other.n_missing,
        )
        arrays = all(
            np.array_equal(getattr(self, a), getattr(other, a))
            for a in ("keys", "counts", "lows", "highs")
        )
        return same and arrays and self.moments == other.moments

    __hash__ = None  # type: ignore[assignment]  (mutable)


def _bit_length(x: np.ndarray) -> np.ndarray:
    """``int.bit_length`` of each uint64 in ``x``: the binary exponent of its float64, which
    rounding to nearest can only push up by one (2**k - 1 becomes 2**k), so corrected where
    ``2**(e - 1)`` exceeds the value."""
    e = np.minimum(np.frexp(x.astype(np.float64))[1].astype(np.int64), 64)
    top = np.left_shift(np.uint64(1), np.maximum(e - 1, 0).astype(np.uint64))
    return e - ((e > 0) & (top > x))


def _least_drop(keys: np.ndarray, capacity: int) -> int:
    """The fewest low bits to drop from the sorted distinct ``keys`` so that at most
    ``capacity`` distinct keys remain: two neighbours stay apart while a bit at or above the
    highest bit in which they differ is kept."""
    if len(keys) <= capacity:
        return 0
    highest = _bit_length(keys[1:] ^ keys[:-1]) - 1  # neighbours differ: >= 0
    # distinct keys after dropping d bits = 1 + #(highest >= d); keep it <= capacity
    k = len(highest) - capacity  # the capacity-th largest
    return int(np.partition(highest, k)[k]) + 1


def _buckets(keys: np.ndarray, sorted_values: np.ndarray) -> tuple[np.ndarray, ...]:
    """Buckets of values sorted ascending with their (non-decreasing) bucket keys."""
    starts = np.flatnonzero(np.concatenate([[True], keys[1:] != keys[:-1]]))
    ends = np.append(starts[1:], len(keys))
    return (
        keys[starts],
        (ends - starts).astype(np.int64),
        sorted_values[starts],
        sorted_values[ends - 1],
    )


def _regroup(keys, counts, lows, highs) -> tuple[np.ndarray, ...]:
    """Buckets with equal keys joined: counts added, least low and largest high kept."""
    if not len(keys):
        return keys.astype(np.uint64), counts.astype(np.int64), lows, highs
    order = np.argsort(keys, kind="stable")
    keys, counts, lows, highs = keys[order], counts[order], lows[order], highs[order]
    starts = np.flatnonzero(np.concatenate([[True], keys[1:] != keys[:-1]]))
    return (
        keys[starts],
        np.add.reduceat(counts, starts).astype(np.int64),
        np.minimum.reduceat(lows, starts),
        np.maximum.reduceat(highs, starts),
    )
