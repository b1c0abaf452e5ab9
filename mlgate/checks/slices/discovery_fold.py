"""The counts slice discovery tests, folded over batches: per feature combination, each cell's
rows, error sum and (for errors other than 0/1) sum of squared errors, and with strata its rows
per stratum; plus per stratum the exact moments of the errors. The state is bounded by the
number of cells, not rows, and merges by adding integers, so it is the same whatever the
batches or partitions and in whatever order they merge.

Sums of errors are kept exactly in fixed point: a row's error ``e`` counts as the integer
``floor(e · 2**bits)``, where ``bits`` is fixed before any row is read from a bound on the
errors (misclassification: 0/1, ``bits`` 0, exact; log loss at most 64; Brier at most 4;
regression: the largest error, found by the first fold), so each is below 2**53 and its
truncation below 2**-bits, i.e. below 2**-53 of the bound. Per cell the integers are summed in
two int64 limbs of 26 bits (``np.bincount`` of float64 weights below 2**53 is exact), enough
for 2**36 rows per cell. The float a sum is read as is a function of those integers only.

The search stops at a deadline (``max_seconds``) between feature combinations: a batch that
passes it keeps the combinations it finished, and the merge keeps the combinations every batch
finished (a prefix of the search order), so a truncated search never tests partial counts.
"""

from __future__ import annotations

import itertools
import math
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mlgate.core.errors import DataError
from mlgate.stats.sketches import ExactMoments

_LIMB = 26
_MASK = (1 << _LIMB) - 1
#: Rows summed at once: 2**26 values below 2**27 add up below 2**53, exact in float64.
_CHUNK = 1 << 26


@dataclass(frozen=True)
class Scale:
    """Fixed point for values at most ``bound``: ``q = floor(v · 2**bits)`` below 2**53."""

    bits: int
    bound: float

    @classmethod
    def of(cls, bound: float, *, integer: bool = False) -> Scale:
        """The finest scale for values in [0, ``bound``] (``integer``: whole numbers, kept as
        they are)."""
        bound = float(bound)
        if not bound > 0 or not math.isfinite(bound):
            return cls(0, max(bound, 0.0) if math.isfinite(bound) else 0.0)
        if integer and bound < 2.0**53:
            return cls(0, bound)
        return cls(53 - math.frexp(bound)[1], bound)

    def quantize(self, v: np.ndarray) -> np.ndarray:
        return np.floor(np.ldexp(v, self.bits)).astype(np.int64)

    def value(self, hi: Any, lo: Any) -> Any:
        """The float read from limb sums ``hi`` · 2**26 + ``lo`` (arrays or ints)."""
        if isinstance(hi, int):
            return float(math.ldexp((hi << _LIMB) + lo, -self.bits))
        return np.ldexp(np.asarray(hi, dtype=float), _LIMB - self.bits) + np.ldexp(
            np.asarray(lo, dtype=float), -self.bits
        )


def _carry(hi: np.ndarray, lo: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return hi + (lo >> _LIMB), lo & _MASK


def limb_weights(q: np.ndarray) -> list[tuple[int, np.ndarray, np.ndarray | None]]:
    """``q`` (non-negative, below 2**53) as bincount weights, once per batch: per chunk of at
    most 2**26 rows its start, low limbs and high limbs (None when all zero) as float64."""
    out = []
    for s in range(0, len(q), _CHUNK):
        qq = q[s : s + _CHUNK]
        hi = qq >> _LIMB
        out.append((s, (qq & _MASK).astype(float), hi.astype(float) if hi.any() else None))
    return out


def limb_sums(code: np.ndarray, weights, m: int) -> tuple[np.ndarray, np.ndarray]:
    """Per cell of ``code`` (m cells) the exact sum of the values of :func:`limb_weights`
    ``weights``, as int64 limbs (hi, lo)."""
    hi_sum = np.zeros(m, dtype=np.int64)
    lo_sum = np.zeros(m, dtype=np.int64)
    for s, lo, hi in weights:
        cc = code[s : s + len(lo)]
        lo_sum += np.rint(np.bincount(cc, lo, m)).astype(np.int64)
        if hi is not None:
            hi_sum += np.rint(np.bincount(cc, hi, m)).astype(np.int64)
    return _carry(hi_sum, lo_sum)


def _total(q: np.ndarray) -> int:
    return (int((q >> _LIMB).sum()) << _LIMB) + int((q & _MASK).sum())


@dataclass
class Cells:
    """One feature combination's cells: rows, error sum and square sum (limbs), and rows per
    stratum (m × k), each indexed by the combined bin code."""

    size: np.ndarray
    e_hi: np.ndarray
    e_lo: np.ndarray
    sq_hi: np.ndarray | None = None
    sq_lo: np.ndarray | None = None
    per_stratum: np.ndarray | None = None

    def merge(self, other: Cells) -> Cells:
        e_hi, e_lo = _carry(self.e_hi + other.e_hi, self.e_lo + other.e_lo)
        sq_hi = sq_lo = None
        if self.sq_hi is not None and other.sq_hi is not None:
            sq_hi, sq_lo = _carry(self.sq_hi + other.sq_hi, self.sq_lo + other.sq_lo)
        per = None
        if self.per_stratum is not None and other.per_stratum is not None:
            per = self.per_stratum + other.per_stratum
        return Cells(self.size + other.size, e_hi, e_lo, sq_hi, sq_lo, per)


@dataclass
class Counts:
    """What the counting fold gives the search (module docstring): rows ``n``, the exact error
    and square totals (fixed-point integers), whether every error is 0 or 1, per stratum the
    errors' :class:`ExactMoments`, the cells per feature combination (in search order) and
    whether a batch passed the deadline."""

    n: int = 0
    total: int = 0
    squares: int = 0
    binary: bool = True
    strata: tuple[ExactMoments, ...] = ()
    cells: dict[tuple[int, ...], Cells] = field(default_factory=dict)
    stopped: bool = False

    def merge(self, other: Counts) -> Counts:
        strata = tuple(a.merge(b) for a, b in zip(self.strata, other.strata, strict=True))
        cells = {k: c.merge(other.cells[k]) for k, c in self.cells.items() if k in other.cells}
        return Counts(
            self.n + other.n,
            self.total + other.total,
            self.squares + other.squares,
            self.binary and other.binary,
            strata,
            cells,
            self.stopped or other.stopped,
        )


def check_errors(e: np.ndarray, bound: float | None, where: str = "") -> None:
    """Raise DataError unless every error is finite, non-negative and at most ``bound``."""
    bad = ~np.isfinite(e) | (e < 0)
    if bad.any():
        raise DataError(
            f"slice discovery needs finite non-negative errors; {int(bad.sum())} of "
            f"{len(e)} rows{where} are not (first: {e[bad][0]!r})"
        )
    if bound is not None and len(e) and float(e.max()) > bound:
        raise DataError(
            f"slice discovery: a row's error {float(e.max())!r}{where} is above {bound:g}, "
            "the most this error can be; are the model's class scores probabilities?"
        )


def count_cells(
    codes: list[np.ndarray],
    dims: list[int],
    errors: np.ndarray,
    *,
    scale: Scale,
    square_scale: Scale | None,
    max_level: int,
    strata: np.ndarray | None = None,
    n_strata: int = 0,
    deadline: float | None = None,
) -> Counts:
    """The :class:`Counts` of one batch: ``codes`` the bin code per feature (n,) with ``dims``
    bins each, ``errors`` (n,) checked with :func:`check_errors`; ``strata`` (n,) codes below
    ``n_strata``; ``square_scale`` None when squares are not needed (0/1 errors); combinations
    up to ``max_level``, stopping between them once ``time.time()`` passes ``deadline``."""
    e = np.asarray(errors, dtype=float)
    check_errors(e, scale.bound)
    q = scale.quantize(e)
    qsq = None
    if square_scale is not None:
        sq = e * e
        check_errors(sq, square_scale.bound)
        qsq = square_scale.quantize(sq)
    out = Counts(
        len(e),
        _total(q),
        _total(qsq) if qsq is not None else 0,
        bool(np.isin(e, (0.0, 1.0)).all()),
        _strata_moments(e, strata, n_strata),
    )
    k = n_strata if strata is not None else 0
    wq = limb_weights(q)
    wsq = limb_weights(qsq) if qsq is not None else None
    for lvl in range(1, max_level + 1):
        for feats in itertools.combinations(range(len(dims)), lvl):
            if deadline is not None and time.time() > deadline:
                out.stopped = True
                return out
            code = codes[feats[0]].astype(np.int64)
            for f in feats[1:]:
                code = code * dims[f] + codes[f]
            m = math.prod(dims[f] for f in feats)
            size = np.bincount(code, minlength=m).astype(np.int64)
            e_hi, e_lo = limb_sums(code, wq, m)
            sq_hi, sq_lo = limb_sums(code, wsq, m) if wsq is not None else (None, None)
            per = None
            if k:
                per = np.bincount(code * k + strata, minlength=m * k).reshape(m, k)
                per = per.astype(np.int64)
            out.cells[feats] = Cells(size, e_hi, e_lo, sq_hi, sq_lo, per)
    return out


def _strata_moments(e: np.ndarray, strata: np.ndarray | None, k: int) -> tuple[ExactMoments, ...]:
    if strata is None or not k:
        return ()
    order = np.argsort(strata, kind="stable")
    ends = np.cumsum(np.bincount(strata, minlength=k))
    starts = ends - np.bincount(strata, minlength=k)
    return tuple(ExactMoments().update(e[order[a:b]]) for a, b in zip(starts, ends, strict=True))
