"""Evaluate data expectations: one :class:`Outcome` per expectation.

:func:`evaluate` judges a whole DataFrame; :func:`outcomes_of` judges the merged state of a
fold over batches (:mod:`mlgate.checks.data.fold`), so the check runs in chunks or on Dask
with the same outcomes. ``unique`` needs every row in one place and is judged on the whole
frame (:func:`evaluate_whole`); ``median`` / ``quantile`` fold into a value sketch.

An outcome holds its status, what was observed, how many rows were judged and how many did
not conform, and the first offending rows by position (their id and the values of the columns
involved; see :mod:`mlgate.checks.data.rows` for what a row's id is). The frame is only read.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from mlgate.checks.data import spec as S
from mlgate.checks.data.dtypes import kind_matches
from mlgate.checks.data.fold import (
    Extremes,
    Failure,
    SuiteState,
    is_mergeable,
    sample_std,
    scan,
)
from mlgate.checks.data.rows import BatchData, Offenders
from mlgate.checks.data.tolerance import nulls_critical, outside_critical
from mlgate.core.result import Status, rounded

#: offending rows kept per expectation (the first ones, in row order)
DEFAULT_SAMPLE = 10


@dataclass(frozen=True)
class Outcome:
    """The verdict on one expectation.

    ``element_count`` is the number of rows judged (present values for row-wise
    expectations), ``unexpected_count`` how many did not conform; ``failing_rows`` holds the
    first of those as ``{"row": <row id>, <column>: <value>, ...}``.
    """

    name: str
    expect: str
    columns: tuple[str, ...]
    status: Status
    severity: str = "block"
    observed: Any = None
    element_count: int | None = None
    unexpected_count: int | None = None
    message: str = ""
    failing_rows: tuple[Mapping[str, Any], ...] = ()
    details: Mapping[str, Any] = field(default_factory=dict)

    @property
    def unexpected_fraction(self) -> float | None:
        if not self.element_count or self.unexpected_count is None:
            return None
        return self.unexpected_count / self.element_count

    def to_row(self) -> dict[str, Any]:
        """The evidence-table row of this outcome."""
        frac = self.unexpected_fraction
        return {
            "expectation": self.name,
            "expect": self.expect,
            "columns": list(self.columns),
            "status": self.status.value,
            "severity": self.severity,
            "observed": self.observed,
            "element_count": self.element_count,
            "unexpected_count": self.unexpected_count,
            "unexpected_fraction": rounded(frac),
            "message": self.message,
        }


def evaluate(
    frame: pd.DataFrame, expectations: Iterable[Any], *, sample: int = DEFAULT_SAMPLE
) -> list[Outcome]:
    """Evaluate each expectation on ``frame`` (never modified); one :class:`Outcome` each, in
    order. The mergeable ones are scanned as one batch, exactly as a fold would.

    A column an expectation needs that is missing fails it; a column of the wrong kind for
    it (``between`` on text) is an ``error``; nothing to judge (no rows, or no present
    values) is ``inconclusive``.
    """
    expectations = list(expectations)
    mergeable = [e for e in expectations if is_mergeable(e)]
    folded = iter(outcomes_of(scan(frame, 0, mergeable, sample), mergeable))
    whole = iter(evaluate_whole(frame, [e for e in expectations if not is_mergeable(e)], sample))
    return [next(folded) if is_mergeable(e) else next(whole) for e in expectations]


# -- from a merged state ----------------------------------------------------------------------
def outcomes_of(state: SuiteState, expectations: Sequence[Any]) -> list[Outcome]:
    """The outcomes of the mergeable ``expectations`` from their merged ``state``."""
    return [_finish(state, e, part) for e, part in zip(expectations, state.parts, strict=True)]


def _base(e: Any) -> dict[str, Any]:
    return {
        "name": S.expectation_name(e),
        "expect": e.expect,
        "columns": tuple(S.columns_of(e)),
        "severity": e.severity,
    }


def _missing(columns: Sequence[str], e: Any) -> Outcome | None:
    missing = [c for c in S.columns_of(e) if c not in columns]
    if not missing or isinstance(e, S.ColumnsExpectation):
        return None
    return Outcome(
        **_base(e),
        status=Status.FAILED,
        message=f"column(s) {missing} missing; present: {list(columns)}",
        details={"missing_columns": missing},
    )


def _finish(state: SuiteState, e: Any, part: Any) -> Outcome:
    missing = _missing(state.columns, e)
    if missing is not None:
        return missing
    base = _base(e)
    if isinstance(part, Failure):
        message = part.message
        if part.column is not None:
            message = (
                f"{part.what} needs a numeric column; {part.column!r} is "
                f"{state.kinds[part.column]} (dtype {state.dtypes[part.column]})"
            )
        return Outcome(**base, status=Status.ERROR, message=message)
    if isinstance(e, S.ColumnsExpectation):
        return _columns(state, e, base)
    if isinstance(e, S.RowCountExpectation):
        return _row_count(state.rows, e, base)
    if isinstance(e, S.NullsExpectation):
        return _nulls(state.rows, part, e, base)
    if isinstance(e, S.StatisticExpectation):
        return _statistic(part, e, base)
    return _rowwise(state.rows, e, base, part, _WHAT[type(e)](e))


def _rowwise(n: int, e: Any, base: dict, found: Offenders, what: str) -> Outcome:
    """Outcome of a row-wise expectation from its :class:`Offenders` among ``n`` rows."""
    judged, n_bad = found.judged, found.bad
    if judged == 0:
        return Outcome(
            **base,
            status=Status.INCONCLUSIVE,
            element_count=0,
            unexpected_count=0,
            message=f"no present values to judge ({n} rows)",
        )
    ok = (judged - n_bad) / judged >= e.mostly
    details: dict[str, Any] = {"mostly": e.mostly}
    pct = 100.0 * n_bad / judged
    rows = found.examples
    shown = ", ".join(str(r["row"]) for r in rows)
    msg = f"{n_bad} of {judged} rows ({pct:.3g}%) {what}" + (f"; e.g. rows {shown}" if rows else "")
    if e.mostly < 1.0:
        msg += f" (allowed: {100 * (1 - e.mostly):.3g}%)"
    if getattr(e, "reference_rows", None) is not None:
        critical = outside_critical(e.reference_rows, judged, e.alpha)
        ok = ok or n_bad < critical
        details |= {"reference_rows": e.reference_rows, "alpha": e.alpha, "critical": critical}
        msg += (
            f" (a healthy sample reaches {critical} with probability <= {e.alpha:.3g} "
            f"given {e.reference_rows} reference rows)"
        )
    return Outcome(
        **base,
        status=Status.PASSED if ok else Status.FAILED,
        observed=rounded(1.0 - n_bad / judged),
        element_count=judged,
        unexpected_count=n_bad,
        message=msg,
        failing_rows=rows,
        details=details,
    )


def _between_what(e: S.BetweenExpectation) -> str:
    lo = "(" if e.strict_min else "["
    hi = ")" if e.strict_max else "]"
    return f"outside {lo}{_num(e.min, '-inf')}, {_num(e.max, 'inf')}{hi}"


def _in_set_what(e: S.InSetExpectation) -> str:
    shown = e.values if len(e.values) <= 8 else [*e.values[:8], "..."]
    return f"not in {shown}"


_WHAT: dict[type, Callable[[Any], str]] = {
    S.BetweenExpectation: _between_what,
    S.InSetExpectation: _in_set_what,
    S.RegexExpectation: lambda e: f"do not match /{e.pattern}/",
    S.CompareExpectation: lambda e: f"violate {e.left} {e.op} {e.right}",
    S.SumExpectation: lambda e: (
        f"have {' + '.join(e.columns)} != {e.equals} (tolerance {e.tolerance:g})"
    ),
}


def _num(x: float | None, none: str) -> str:
    return none if x is None else f"{x:g}"


def _columns(state: SuiteState, e: S.ColumnsExpectation, base: dict) -> Outcome:
    present = list(state.columns)
    wanted = e.dtypes
    missing = [c for c in wanted if c not in present]
    wrong = {
        c: {"expected": k, "actual": state.kinds[c], "dtype": state.dtypes[c]}
        for c, k in wanted.items()
        if c not in missing and not kind_matches(k, state.kinds[c])
    }
    extra = [c for c in present if c not in wanted] if e.exact else []
    order_ok = True
    if e.ordered:
        order_ok = [c for c in present if c in wanted] == [c for c in wanted if c in present]
    problems = []
    if missing:
        problems.append(f"missing column(s) {missing}")
    if wrong:
        problems.append(
            "wrong dtype: "
            + ", ".join(
                f"{c} is {w['actual']} ({w['dtype']}), expected {w['expected']}"
                for c, w in wrong.items()
            )
        )
    if extra:
        problems.append(f"unexpected column(s) {extra}")
    if not order_ok:
        problems.append(f"columns out of order: {present}")
    return Outcome(
        **base,
        status=Status.FAILED if problems else Status.PASSED,
        observed=present,
        element_count=len(wanted),
        unexpected_count=len(missing) + len(wrong) + len(extra),
        message="; ".join(problems) or f"all {len(wanted)} column(s) present with their dtypes",
        details={"missing": missing, "wrong_dtype": wrong, "extra": extra, "ordered": order_ok},
    )


def _nulls(n: int, found: Offenders, e: S.NullsExpectation, base: dict) -> Outcome:
    if n == 0:
        return Outcome(**base, status=Status.INCONCLUSIVE, message="no rows to judge")
    count = found.bad
    fraction = count / n
    if e.max_fraction is not None:
        ok, bound = fraction <= e.max_fraction, f"at most {e.max_fraction:g} of the rows"
    else:
        limit = e.max_count or 0
        ok, bound = count <= limit, f"at most {limit}"
    details: dict[str, Any] = {"max_count": e.max_count, "max_fraction": e.max_fraction}
    if e.reference_rows is not None:
        more = nulls_critical(e.reference_rows, e.reference_nulls, n, count, e.alpha)
        ok = ok or not more
        bound += (
            f", or not significantly more than {e.reference_nulls} of {e.reference_rows} "
            f"reference rows (one-sided Fisher exact test at {e.alpha:.3g})"
        )
        details |= {
            "reference_rows": e.reference_rows,
            "reference_nulls": e.reference_nulls,
            "alpha": e.alpha,
            "significantly_more": more,
        }
    rows = found.examples
    shown = ", ".join(str(r["row"]) for r in rows)
    return Outcome(
        **base,
        status=Status.PASSED if ok else Status.FAILED,
        observed=rounded(fraction),
        element_count=n,
        unexpected_count=count,
        message=f"{count} null(s) in {e.column!r} ({100 * fraction:.3g}% of {n} rows; "
        f"allowed {bound})" + (f"; e.g. rows {shown}" if rows else ""),
        failing_rows=rows,
        details=details,
    )


def _row_count(n: int, e: S.RowCountExpectation, base: dict) -> Outcome:
    ok = (e.min is None or n >= e.min) and (e.max is None or n <= e.max)
    return Outcome(
        **base,
        status=Status.PASSED if ok else Status.FAILED,
        observed=n,
        element_count=n,
        message=f"{n} rows; expected [{_num(e.min, '0')}, {_num(e.max, 'inf')}]",
    )


def _statistic(x: Extremes, e: S.StatisticExpectation, base: dict) -> Outcome:
    if x.count < e.needed_rows:
        return _too_few(x.count, e, base)
    if x.sketch is not None:
        return _sketched_order(x, e, base)
    value = _value(x, e.statistic)
    ok = (e.min is None or value >= e.min) and (e.max is None or value <= e.max)
    rows = x.beyond.examples if not ok else ()
    return _statistic_outcome(x.count, value, ok, rows, e, base)


def _value(x: Extremes, statistic: str) -> float:
    """The statistic from the merged state: exact sums rounded once, so it does not depend on
    the batching; infinities as NumPy would give them (inf, -inf, or NaN for inf - inf)."""
    if statistic == "min":
        return x.lo
    if statistic == "max":
        return x.hi
    if x.pos_inf or x.neg_inf:
        if statistic == "std" or (x.pos_inf and x.neg_inf):
            return math.nan
        return math.inf if x.pos_inf else -math.inf
    moments = x.moments
    assert moments is not None
    if statistic == "std":
        return math.nan if x.huge else _rounded_once(lambda: sample_std(moments), 1)
    if statistic == "mean":
        return moments.mean()
    exact = moments.total.exact()
    return _rounded_once(lambda: float(exact), 1 if exact >= 0 else -1)


def _rounded_once(value: Callable[[], float], sign: int) -> float:
    """``value()``, or ``sign`` × inf when the exact result is beyond float64 (as NumPy's sum
    overflows)."""
    try:
        return float(value())
    except OverflowError:
        return sign * math.inf


def _too_few(count: int, e: S.StatisticExpectation, base: dict) -> Outcome:
    return Outcome(
        **base,
        status=Status.INCONCLUSIVE,
        element_count=count,
        message=f"{count} present value(s); {e.statistic} needs at least {e.needed_rows}",
    )


def _statistic_outcome(
    count: int, value: float, ok: bool, rows: tuple, e: S.StatisticExpectation, base: dict
) -> Outcome:
    stat = f"q{e.q:g}" if e.statistic == "quantile" else e.statistic
    return Outcome(
        **base,
        status=Status.PASSED if ok else Status.FAILED,
        observed=value,
        element_count=count,
        message=f"{stat} of {e.column!r} is {value:.6g}; expected in "
        f"[{_num(e.min, '-inf')}, {_num(e.max, 'inf')}]",
        failing_rows=rows,
        details={"statistic": e.statistic, "q": e.q, "min": e.min, "max": e.max},
    )


def _sketched_order(x: Extremes, e: S.StatisticExpectation, base: dict) -> Outcome:
    """A median or quantile from the folded value sketch: NumPy's number when the sketch holds
    every distinct value (the same values, so the same result as on the whole column); else
    judged on the bounds the buckets give (:func:`order_bounds`): passed when both lie in
    [min, max], failed when neither does, inconclusive when they straddle a bound."""
    sketch = x.sketch
    assert sketch is not None
    if sketch.exact:
        values = np.concatenate(
            [np.full(x.neg_inf, -np.inf), sketch.sorted_values(), np.full(x.pos_inf, np.inf)]
        )
        value = _ORDER[e.statistic](values, e)
        ok = (e.min is None or value >= e.min) and (e.max is None or value <= e.max)
        return _statistic_outcome(x.count, value, ok, (), e, base)
    q = 0.5 if e.statistic == "median" else float(e.q)  # type: ignore[arg-type]
    low, high = order_bounds(sketch, x.neg_inf, x.pos_inf, q)
    inside = (e.min is None or low >= e.min) and (e.max is None or high <= e.max)
    outside = (e.min is not None and high < e.min) or (e.max is not None and low > e.max)
    status = Status.PASSED if inside else Status.FAILED if outside else Status.INCONCLUSIVE
    stat = f"q{e.q:g}" if e.statistic == "quantile" else e.statistic
    return Outcome(
        **base,
        status=status,
        observed=(low + high) / 2,
        element_count=x.count,
        message=f"{stat} of {e.column!r} lies in [{low:.6g}, {high:.6g}] (from a sketch of "
        f"{len(sketch.keys):,} buckets: the column has more distinct values than it keeps); "
        f"expected in [{_num(e.min, '-inf')}, {_num(e.max, 'inf')}]",
        details={
            "statistic": e.statistic,
            "q": e.q,
            "min": e.min,
            "max": e.max,
            "sketched": True,
            "bounds": [low, high],
        },
    )


def order_bounds(sketch: Any, neg_inf: int, pos_inf: int, q: float) -> tuple[float, float]:
    """Bounds of NumPy's linear-interpolation ``q``-quantile of the values of ``sketch`` with
    ``neg_inf`` / ``pos_inf`` infinities added: the quantile interpolates the order statistics
    of ranks ⌊h⌋ and ⌈h⌉ (h = (n − 1) q) with non-negative weights, and each lies between the
    least and largest value of its bucket, so the quantile lies between the interpolation of
    the two lows and of the two highs."""
    n = neg_inf + sketch.n + pos_inf
    h = (n - 1) * q
    i, j = math.floor(h), math.ceil(h)
    ends = np.cumsum(sketch.counts)

    def at(rank: int) -> tuple[float, float]:
        if rank < neg_inf:
            return -math.inf, -math.inf
        if rank >= neg_inf + sketch.n:
            return math.inf, math.inf
        b = int(np.searchsorted(ends, rank - neg_inf, side="right"))
        return float(sketch.lows[b]), float(sketch.highs[b])

    (lo_i, hi_i), (lo_j, hi_j) = at(i), at(j)
    f = h - i
    return (lo_i + f * (lo_j - lo_i) if f else lo_i, hi_i + f * (hi_j - hi_i) if f else hi_i)


# -- on the whole frame -----------------------------------------------------------------------
def evaluate_whole(frame: pd.DataFrame, expectations: Sequence[Any], sample: int) -> list[Outcome]:
    """The outcomes of the expectations that need every row at once (``unique``) on the whole
    ``frame``."""
    data = BatchData(frame, 0, sample)
    columns = [str(c) for c in frame.columns]
    out = []
    for e in expectations:
        missing = _missing(columns, e)
        out.append(missing if missing is not None else _unique(data, e, _base(e)))
    return out


def _unique(data: BatchData, e: S.UniqueExpectation, base: dict) -> Outcome:
    keys = e.keys
    present = np.logical_and.reduce([data.present(c) for c in keys])
    pos = np.flatnonzero(present)
    part = data.frame[keys[0]] if len(keys) == 1 else data.frame[keys]
    if len(pos) < data.n:
        part = part.iloc[pos]
    dup = part.duplicated(keep=False).to_numpy(dtype=bool)
    n_values = int(part[dup].nunique()) if len(keys) == 1 else len(part[dup].drop_duplicates())
    found = data.offenders(len(pos), pos[dup], keys)
    out = _rowwise(data.n, e, base, found, "share their value with another row")
    return _with_details(out, {"duplicated_values": n_values})


_ORDER: dict[str, Callable[[np.ndarray, S.StatisticExpectation], float]] = {
    "median": lambda v, e: float(np.median(v)),
    "quantile": lambda v, e: float(np.quantile(v, e.q)),
}


def _with_details(out: Outcome, details: Mapping[str, Any]) -> Outcome:
    from dataclasses import replace

    return replace(out, details={**out.details, **details})
