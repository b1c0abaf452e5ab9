"""Mergeable expectations: one batch of rows → a small state; states merge; the merged state →
an :class:`~mlgate.checks.data.evaluate.Outcome`.

Every expectation but ``unique`` is a reduction over rows that merges exactly: counts, the
first offending rows by position (:class:`~mlgate.checks.data.rows.Offenders`), least and
largest values, sums kept as exact integers (:class:`~mlgate.stats.sketches.ExactMoments`, so
a mean or a standard deviation is correctly rounded and the same bits however the rows were
split), and for ``median`` / ``quantile`` a :class:`~mlgate.stats.sketches.ValueSketch` of the
values (the values themselves up to 65,536 distinct ones, so the same number as NumPy's; above,
buckets that bound the order statistic, judged on its bounds). So the check folds the
dataset's batches (``ctx.fold``): on one in-memory batch, in chunks of ``ctx.batch_rows``, or on
the Dask workers, with the same result.

:class:`SuiteScan` (a picklable ``batch → SuiteState``) and :func:`merge_states` are what
``ctx.fold`` runs; :func:`mlgate.checks.data.evaluate.outcomes_of` turns the merged state into
outcomes.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from fractions import Fraction
from typing import Any

import numpy as np

from mlgate.checks.data import spec as S
from mlgate.checks.data.rows import BatchData, Offenders, merged_kind
from mlgate.stats.sketches import ExactMoments, ValueSketch

#: values whose square overflows float64 (2**511), left out of the exact sum of squares
_HUGE = 2.0**511
#: the order statistics, folded into a value sketch
WHOLE_STATISTICS = ("median", "quantile")


def is_mergeable(e: Any) -> bool:
    """Whether expectation ``e`` folds over row batches (everything but ``unique``). The
    ``median`` / ``quantile`` statistics fold into a value sketch: exact while the column has
    at most 65,536 distinct values, else bounded (:func:`order_bounds`)."""
    return not isinstance(e, S.UniqueExpectation)


@dataclass(frozen=True)
class Failure:
    """An expectation that cannot be evaluated on this data (a range on text). With
    ``column``: that column is not numeric (the message names its kind, known only once the
    batches merge); else ``message`` is the whole message. The earliest batch's is kept."""

    start: int
    what: str = ""
    column: str | None = None
    message: str = ""


@dataclass(frozen=True)
class Extremes:
    """A ``statistic`` expectation's state: present values, least and largest, infinities,
    exact moments of the finite values (mean, std, sum only), and the rows beyond the bound of
    a ``min`` / ``max`` statistic."""

    count: int = 0
    lo: float = np.inf
    hi: float = -np.inf
    pos_inf: int = 0
    neg_inf: int = 0
    #: values too large to square in float64 (``std`` only: its value is then NaN)
    huge: int = 0
    moments: ExactMoments | None = None
    beyond: Offenders = field(default_factory=Offenders)
    #: the finite values (``median`` / ``quantile`` only)
    sketch: ValueSketch | None = None

    def merge(self, other: Extremes, sample: int) -> Extremes:
        moments = sketch = None
        if self.moments is not None and other.moments is not None:
            moments = self.moments.merge(other.moments)
        if self.sketch is not None and other.sketch is not None:
            sketch = self.sketch.merge(other.sketch)
        return Extremes(
            self.count + other.count,
            min(self.lo, other.lo),
            max(self.hi, other.hi),
            self.pos_inf + other.pos_inf,
            self.neg_inf + other.neg_inf,
            self.huge + other.huge,
            moments,
            self.beyond.merge(other.beyond, sample),
            sketch,
        )


def sample_std(moments: ExactMoments) -> float:
    """The sample standard deviation (ddof=1) of the values in ``moments``, correctly rounded:
    the exact variance is a fraction, and its square root is taken in integers to 64 bits
    and more, with a sticky bit, then rounded once (``float(Fraction)`` rounds correctly).
    NaN for fewer than two values; raises OverflowError beyond float64."""
    n = moments.n
    if n < 2:
        return math.nan
    total = moments.total.exact()
    var = max((moments.squares.exact() - total * total / n) / (n - 1), Fraction(0))
    if var == 0:
        return 0.0
    num, den = var.numerator, var.denominator
    k = max(0, (den.bit_length() - num.bit_length()) // 2 + 66)  # a root of >= 64 bits
    scaled, rest = divmod(num << (2 * k), den)
    root = math.isqrt(scaled)
    if root * root == scaled and rest == 0:
        return float(Fraction(root, 1 << k))
    # the root lies strictly between root and root + 1: their midpoint rounds the same way
    return float(Fraction(2 * root + 1, 1 << (k + 1)))


@dataclass(frozen=True)
class SuiteState:
    """The state of a suite's mergeable expectations over the rows seen: the row count, the
    columns with their dtype kinds and dtypes, and one state per expectation (None when a
    column it needs is missing: judged from the merged columns)."""

    sample: int
    rows: int
    columns: tuple[str, ...]
    kinds: dict[str, str]
    dtypes: dict[str, str]
    parts: tuple[Any, ...]


def merge_states(a: SuiteState, b: SuiteState) -> SuiteState:
    """The state of the rows of ``a`` and ``b`` together (associative; neither changes)."""
    parts = tuple(_merge_part(x, y, a.sample) for x, y in zip(a.parts, b.parts, strict=True))
    kinds = {c: merged_kind(k, b.kinds.get(c, k)) for c, k in a.kinds.items()}
    return replace(a, rows=a.rows + b.rows, kinds=kinds, parts=parts)


def _merge_part(x: Any, y: Any, sample: int) -> Any:
    if isinstance(x, Failure) or isinstance(y, Failure):
        failures = [f for f in (x, y) if isinstance(f, Failure)]
        return min(failures, key=lambda f: f.start)
    if x is None:
        return None
    if isinstance(x, (Offenders, Extremes)):
        return x.merge(y, sample)
    raise TypeError(f"cannot merge {type(x).__name__}")  # pragma: no cover - a new state type


@dataclass(frozen=True)
class SuiteScan:
    """``ctx.fold``'s per-batch function: the :class:`SuiteState` of one batch. Module-level
    and made of pydantic specs, so Dask ships it to the workers by pickling."""

    expectations: tuple[Any, ...]
    sample: int

    def __call__(self, batch: Any) -> SuiteState:
        return scan(batch.frame, batch.start, self.expectations, self.sample)


def scan(frame: Any, start: int, expectations: Sequence[Any], sample: int) -> SuiteState:
    """The :class:`SuiteState` of the rows of ``frame`` (rows ``start`` … of the dataset)."""
    data = BatchData(frame, start, sample)
    columns = tuple(str(c) for c in frame.columns)
    wanted = {c for e in expectations for c in S.columns_of(e) if c in frame.columns}
    parts = []
    for e in expectations:
        needed = S.columns_of(e)
        if not isinstance(e, S.ColumnsExpectation) and any(c not in frame.columns for c in needed):
            parts.append(None)
            continue
        try:
            parts.append(_SCANS[type(e)](data, e))
        except KindError as exc:
            parts.append(Failure(start, exc.what, exc.column, exc.message))
    return SuiteState(
        sample=sample,
        rows=len(frame),
        columns=columns,
        kinds={c: data.kind(c) for c in sorted(wanted)},
        dtypes={c: str(frame[c].dtype) for c in sorted(wanted)},
        parts=tuple(parts),
    )


class KindError(Exception):
    """A column of the wrong kind for an expectation (raised per batch, reported as an error)."""

    def __init__(self, what: str = "", column: str | None = None, message: str = "") -> None:
        super().__init__(message or what)
        self.what, self.column, self.message = what, column, message


def need_numeric(data: BatchData, col: str, what: str) -> np.ndarray:
    """The column as floats. Raises KindError when it is not numeric (the message is written
    once the batches' kinds are merged)."""
    values = data.floats(col)
    if values is None:
        raise KindError(what, col)
    return values


def _nothing(data: BatchData, e: Any) -> None:
    return None  # judged from the merged columns / row count alone


def _nulls(data: BatchData, e: S.NullsExpectation) -> Offenders:
    null = ~data.present(e.column)
    return data.offenders(data.n, null, [e.column])


def _between(data: BatchData, e: S.BetweenExpectation) -> Offenders:
    v = need_numeric(data, e.column, "between")
    bad = np.zeros(len(v), dtype=bool)
    if e.min is not None:
        bad |= (v <= e.min) if e.strict_min else (v < e.min)
    if e.max is not None:
        bad |= (v >= e.max) if e.strict_max else (v > e.max)
    # NaN compares False, so nulls are never "bad"; infinities are present and judged.
    judged = int(np.count_nonzero(data.present(e.column)))
    return data.offenders(judged, bad, [e.column])


def _in_set(data: BatchData, e: S.InSetExpectation) -> Offenders:
    present = data.present(e.column)
    bad = present & ~data.frame[e.column].isin(e.values).to_numpy(dtype=bool)
    return data.offenders(int(np.count_nonzero(present)), bad, [e.column])


def _regex(data: BatchData, e: S.RegexExpectation) -> Offenders:
    s = data.frame[e.column]
    pos = np.flatnonzero(data.present(e.column))
    sub = s.iloc[pos] if len(pos) < data.n else s
    if data.kind(e.column) != "string":
        sub = sub.astype(str)
    hit = sub.str.contains(e.pattern, regex=True, na=False).to_numpy(dtype=bool)
    return data.offenders(len(pos), pos[~hit], [e.column])


def _statistic(data: BatchData, e: S.StatisticExpectation) -> Extremes:
    col = need_numeric(data, e.column, f"statistic {e.statistic!r}")
    v = col[data.present(e.column)]
    finite = v[np.isfinite(v)]
    moments, huge = None, 0
    if e.statistic in ("mean", "std", "sum"):
        if e.statistic == "std":
            # a square beyond float64 (|x| >= 2**511) has no exact float parts
            huge = int(np.count_nonzero(np.abs(finite) >= _HUGE))
            moments = ExactMoments().update(finite[np.abs(finite) < _HUGE])
        else:
            moments = _sum_only(finite)
    sketch = ValueSketch.of(finite) if e.statistic in WHOLE_STATISTICS else None
    lo = float(v.min()) if len(v) else np.inf
    hi = float(v.max()) if len(v) else -np.inf
    beyond = Offenders()
    if e.statistic == "min" and e.min is not None and lo < e.min:
        beyond = data.offenders(0, col < e.min, [e.column])  # the rows that pulled it down
    elif e.statistic == "max" and e.max is not None and hi > e.max:
        beyond = data.offenders(0, col > e.max, [e.column])
    return Extremes(
        count=len(v),
        lo=lo,
        hi=hi,
        pos_inf=int(np.count_nonzero(v == np.inf)),
        neg_inf=int(np.count_nonzero(v == -np.inf)),
        huge=huge,
        moments=moments,
        beyond=beyond,
        sketch=sketch,
    )


def _sum_only(finite: np.ndarray) -> ExactMoments:
    """Moments without the sum of squares (a mean or a sum needs only the exact sum)."""
    m = ExactMoments()
    m.n = len(finite)
    m.total.update(finite)
    return m


_OPS: dict[str, Callable[[Any, Any], Any]] = {
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
    "==": operator.eq,
    "!=": operator.ne,
}


def _compare(data: BatchData, e: S.CompareExpectation) -> Offenders:
    present = data.present(e.left) & data.present(e.right)
    a, b = data.floats(e.left), data.floats(e.right)
    if a is not None and b is not None:
        ok = _OPS[e.op](a, b)
    else:  # dates, text: let pandas compare (nulls give False and are not judged)
        try:
            ok = _OPS[e.op](data.frame[e.left], data.frame[e.right])
        except TypeError as exc:
            raise KindError(
                message=f"cannot compare {e.left!r} {e.op} {e.right!r}: {exc}"
            ) from None
        ok = ok.fillna(False).to_numpy(dtype=bool)
    bad = present & ~ok
    return data.offenders(int(np.count_nonzero(present)), bad, [e.left, e.right])


def _sum(data: BatchData, e: S.SumExpectation) -> Offenders:
    parts = [need_numeric(data, c, "sum") for c in e.columns]
    present = np.logical_and.reduce([data.present(c) for c in e.columns])
    total = np.sum(parts, axis=0) if len(parts) > 1 else parts[0]
    if isinstance(e.equals, str):
        target: Any = need_numeric(data, e.equals, "sum")
        present = present & data.present(e.equals)
    else:
        target = float(e.equals)
    with np.errstate(invalid="ignore"):
        bad = present & ~(np.abs(total - target) <= e.tolerance)
    return data.offenders(int(np.count_nonzero(present)), bad, S.columns_of(e))


_SCANS: dict[type, Callable[[BatchData, Any], Any]] = {
    S.ColumnsExpectation: _nothing,
    S.RowCountExpectation: _nothing,
    S.NullsExpectation: _nulls,
    S.BetweenExpectation: _between,
    S.InSetExpectation: _in_set,
    S.RegexExpectation: _regex,
    S.StatisticExpectation: _statistic,
    S.CompareExpectation: _compare,
    S.SumExpectation: _sum,
}
