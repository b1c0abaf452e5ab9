"""Evaluate data expectations on a DataFrame: one vectorised pass per expectation.

:func:`evaluate` returns an :class:`Outcome` per expectation: its status, what was observed,
how many rows were judged and how many did not conform, and a sample of the offending rows
(their index label and the values of the columns involved). The frame is only read.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from mlgate.checks.data import spec as S
from mlgate.checks.data.dtypes import dtype_kind, is_numeric_kind, kind_matches
from mlgate.core.result import Status, rounded

#: offending rows kept per expectation (the first ones, in row order)
DEFAULT_SAMPLE = 10


@dataclass(frozen=True)
class Outcome:
    """The verdict on one expectation.

    ``element_count`` is the number of rows judged (present values for row-wise
    expectations), ``unexpected_count`` how many did not conform; ``failing_rows`` holds the
    first of those as ``{"row": <index label>, <column>: <value>, ...}``.
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


class _Data:
    """The frame with per-column caches (presence masks, float views) shared by the
    expectations of one evaluation."""

    def __init__(self, frame: pd.DataFrame, sample: int) -> None:
        self.frame = frame
        self.n = len(frame)
        self.sample = sample
        self._present: dict[str, np.ndarray] = {}
        self._float: dict[str, np.ndarray | None] = {}
        self._kind: dict[str, str] = {}

    def kind(self, col: str) -> str:
        if col not in self._kind:
            self._kind[col] = dtype_kind(self.frame[col])
        return self._kind[col]

    def present(self, col: str) -> np.ndarray:
        if col not in self._present:
            self._present[col] = self.frame[col].notna().to_numpy(dtype=bool)
        return self._present[col]

    def floats(self, col: str) -> np.ndarray | None:
        """The column as float64 with NaN for nulls, or None when it is not numeric."""
        if col not in self._float:
            s = self.frame[col]
            if is_numeric_kind(self.kind(col)):
                self._float[col] = s.to_numpy(dtype="float64", na_value=np.nan)
            else:
                self._float[col] = None
        return self._float[col]

    def rows(self, bad: np.ndarray, cols: Iterable[str]) -> tuple[dict[str, Any], ...]:
        """The first ``sample`` rows where ``bad`` (a boolean mask or positions) holds."""
        pos = np.flatnonzero(bad) if bad.dtype == bool else bad
        pos = pos[: self.sample]
        if len(pos) == 0:
            return ()
        cols = [c for c in dict.fromkeys(cols) if c in self.frame.columns]
        part = self.frame.iloc[pos]
        labels = part.index.tolist()
        values = {c: part[c].tolist() for c in cols}
        return tuple(
            {"row": _plain(label), **{c: _plain(values[c][i]) for c in cols}}
            for i, label in enumerate(labels)
        )


def _plain(v: Any) -> Any:
    if isinstance(v, float) and math.isnan(v):
        return None
    if v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, (pd.Timestamp, pd.Timedelta)):
        return str(v)
    return v.item() if isinstance(v, np.generic) else v


def evaluate(
    frame: pd.DataFrame, expectations: Iterable[Any], *, sample: int = DEFAULT_SAMPLE
) -> list[Outcome]:
    """Evaluate each expectation on ``frame`` (never modified); one :class:`Outcome` each.

    A column an expectation needs that is missing fails it; a column of the wrong kind for
    it (``between`` on text) is an ``error``; nothing to judge (no rows, or no present
    values) is ``inconclusive``.
    """
    data = _Data(frame, sample)
    return [_evaluate_one(data, e) for e in expectations]


def _evaluate_one(data: _Data, e: Any) -> Outcome:
    name = S.expectation_name(e)
    cols = tuple(S.columns_of(e))
    base = {"name": name, "expect": e.expect, "columns": cols, "severity": e.severity}
    if not isinstance(e, S.ColumnsExpectation):
        missing = [c for c in cols if c not in data.frame.columns]
        if missing:
            return Outcome(
                **base,
                status=Status.FAILED,
                message=f"column(s) {missing} missing; present: {list(map(str, data.frame))}",
                details={"missing_columns": missing},
            )
    try:
        return _HANDLERS[type(e)](data, e, base)
    except _KindError as exc:
        return Outcome(**base, status=Status.ERROR, message=str(exc))


class _KindError(Exception):
    pass


def _need_numeric(data: _Data, col: str, what: str) -> np.ndarray:
    values = data.floats(col)
    if values is None:
        raise _KindError(
            f"{what} needs a numeric column; {col!r} is {data.kind(col)} "
            f"(dtype {data.frame[col].dtype})"
        )
    return values


def _rowwise(
    data: _Data, e: Any, base: dict, judged: int, bad: np.ndarray, what: str, cols: Iterable[str]
) -> Outcome:
    """Outcome of a row-wise expectation: ``bad`` marks the offending rows among ``judged``."""
    n_bad = int(np.count_nonzero(bad)) if bad.dtype == bool else len(bad)
    if judged == 0:
        return Outcome(
            **base,
            status=Status.INCONCLUSIVE,
            element_count=0,
            unexpected_count=0,
            message=f"no present values to judge ({data.n} rows)",
        )
    ok = (judged - n_bad) / judged >= e.mostly
    pct = 100.0 * n_bad / judged
    rows = data.rows(bad, cols) if n_bad else ()
    shown = ", ".join(str(r["row"]) for r in rows)
    msg = f"{n_bad} of {judged} rows ({pct:.3g}%) {what}" + (f"; e.g. rows {shown}" if rows else "")
    if e.mostly < 1.0:
        msg += f" (allowed: {100 * (1 - e.mostly):.3g}%)"
    return Outcome(
        **base,
        status=Status.PASSED if ok else Status.FAILED,
        observed=rounded(1.0 - n_bad / judged),
        element_count=judged,
        unexpected_count=n_bad,
        message=msg,
        failing_rows=rows,
        details={"mostly": e.mostly},
    )


def _columns(data: _Data, e: S.ColumnsExpectation, base: dict) -> Outcome:
    present = [str(c) for c in data.frame.columns]
    wanted = e.dtypes
    missing = [c for c in wanted if c not in data.frame.columns]
    wrong = {
        c: {"expected": k, "actual": data.kind(c), "dtype": str(data.frame[c].dtype)}
        for c, k in wanted.items()
        if c not in missing and not kind_matches(k, data.kind(c))
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


def _nulls(data: _Data, e: S.NullsExpectation, base: dict) -> Outcome:
    if data.n == 0:
        return Outcome(**base, status=Status.INCONCLUSIVE, message="no rows to judge")
    null = ~data.present(e.column)
    count = int(np.count_nonzero(null))
    fraction = count / data.n
    if e.max_fraction is not None:
        ok, bound = fraction <= e.max_fraction, f"at most {e.max_fraction:g} of the rows"
    else:
        limit = e.max_count or 0
        ok, bound = count <= limit, f"at most {limit}"
    rows = data.rows(null, [e.column]) if count else ()
    shown = ", ".join(str(r["row"]) for r in rows)
    return Outcome(
        **base,
        status=Status.PASSED if ok else Status.FAILED,
        observed=rounded(fraction),
        element_count=data.n,
        unexpected_count=count,
        message=f"{count} null(s) in {e.column!r} ({100 * fraction:.3g}% of {data.n} rows; "
        f"allowed {bound})" + (f"; e.g. rows {shown}" if rows else ""),
        failing_rows=rows,
        details={"max_count": e.max_count, "max_fraction": e.max_fraction},
    )


def _between(data: _Data, e: S.BetweenExpectation, base: dict) -> Outcome:
    v = _need_numeric(data, e.column, "between")
    bad = np.zeros(len(v), dtype=bool)
    if e.min is not None:
        bad |= (v <= e.min) if e.strict_min else (v < e.min)
    if e.max is not None:
        bad |= (v >= e.max) if e.strict_max else (v > e.max)
    # NaN compares False, so nulls are never "bad"; infinities are present and judged.
    judged = int(np.count_nonzero(data.present(e.column)))
    lo = "(" if e.strict_min else "["
    hi = ")" if e.strict_max else "]"
    rng = f"{lo}{_num(e.min, '-inf')}, {_num(e.max, 'inf')}{hi}"
    return _rowwise(data, e, base, judged, bad, f"outside {rng}", [e.column])


def _num(x: float | None, none: str) -> str:
    return none if x is None else f"{x:g}"


def _in_set(data: _Data, e: S.InSetExpectation, base: dict) -> Outcome:
    s = data.frame[e.column]
    present = data.present(e.column)
    bad = present & ~s.isin(e.values).to_numpy(dtype=bool)
    shown = e.values if len(e.values) <= 8 else [*e.values[:8], "..."]
    return _rowwise(
        data, e, base, int(np.count_nonzero(present)), bad, f"not in {shown}", [e.column]
    )


def _regex(data: _Data, e: S.RegexExpectation, base: dict) -> Outcome:
    s = data.frame[e.column]
    present = data.present(e.column)
    pos = np.flatnonzero(present)
    sub = s.iloc[pos] if len(pos) < data.n else s
    if data.kind(e.column) != "string":
        sub = sub.astype(str)
    hit = sub.str.contains(e.pattern, regex=True, na=False).to_numpy(dtype=bool)
    bad = pos[~hit]
    return _rowwise(data, e, base, len(pos), bad, f"do not match /{e.pattern}/", [e.column])


def _unique(data: _Data, e: S.UniqueExpectation, base: dict) -> Outcome:
    keys = e.keys
    present = np.logical_and.reduce([data.present(c) for c in keys])
    pos = np.flatnonzero(present)
    part = data.frame[keys[0]] if len(keys) == 1 else data.frame[keys]
    if len(pos) < data.n:
        part = part.iloc[pos]
    dup = part.duplicated(keep=False).to_numpy(dtype=bool)
    bad = pos[dup]
    n_values = int(part[dup].nunique()) if len(keys) == 1 else len(part[dup].drop_duplicates())
    out = _rowwise(data, e, base, len(pos), bad, "share their value with another row", keys)
    return _replace(out, details={"duplicated_values": n_values})


def _row_count(data: _Data, e: S.RowCountExpectation, base: dict) -> Outcome:
    ok = (e.min is None or data.n >= e.min) and (e.max is None or data.n <= e.max)
    return Outcome(
        **base,
        status=Status.PASSED if ok else Status.FAILED,
        observed=data.n,
        element_count=data.n,
        message=f"{data.n} rows; expected [{_num(e.min, '0')}, {_num(e.max, 'inf')}]",
    )


_STATS: dict[str, Callable[[np.ndarray, S.StatisticExpectation], float]] = {
    "min": lambda v, e: float(v.min()),
    "max": lambda v, e: float(v.max()),
    "mean": lambda v, e: float(v.mean()),
    "median": lambda v, e: float(np.median(v)),
    "std": lambda v, e: float(v.std(ddof=1)),
    "sum": lambda v, e: float(v.sum()),
    "quantile": lambda v, e: float(np.quantile(v, e.q)),
}


def _statistic(data: _Data, e: S.StatisticExpectation, base: dict) -> Outcome:
    col = _need_numeric(data, e.column, f"statistic {e.statistic!r}")
    present = data.present(e.column)
    v = col if present.all() else col[present]
    if len(v) < e.needed_rows:
        return Outcome(
            **base,
            status=Status.INCONCLUSIVE,
            element_count=len(v),
            message=f"{len(v)} present value(s); {e.statistic} needs at least {e.needed_rows}",
        )
    value = _STATS[e.statistic](v, e)
    ok = (e.min is None or value >= e.min) and (e.max is None or value <= e.max)
    rows: tuple[dict[str, Any], ...] = ()
    if not ok and e.statistic == "min" and e.min is not None:
        rows = data.rows(col < e.min, [e.column])  # the rows that pulled the minimum down
    elif not ok and e.statistic == "max" and e.max is not None:
        rows = data.rows(col > e.max, [e.column])
    stat = f"q{e.q:g}" if e.statistic == "quantile" else e.statistic
    return Outcome(
        **base,
        status=Status.PASSED if ok else Status.FAILED,
        observed=value,
        element_count=len(v),
        message=f"{stat} of {e.column!r} is {value:.6g}; expected in "
        f"[{_num(e.min, '-inf')}, {_num(e.max, 'inf')}]",
        failing_rows=rows,
        details={"statistic": e.statistic, "q": e.q, "min": e.min, "max": e.max},
    )


_OPS: dict[str, Callable[[Any, Any], Any]] = {
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
    "==": operator.eq,
    "!=": operator.ne,
}


def _compare(data: _Data, e: S.CompareExpectation, base: dict) -> Outcome:
    present = data.present(e.left) & data.present(e.right)
    a, b = data.floats(e.left), data.floats(e.right)
    if a is not None and b is not None:
        ok = _OPS[e.op](a, b)
    else:  # dates, text: let pandas compare (nulls give False and are not judged)
        try:
            ok = _OPS[e.op](data.frame[e.left], data.frame[e.right])
        except TypeError as exc:
            raise _KindError(f"cannot compare {e.left!r} {e.op} {e.right!r}: {exc}") from None
        ok = ok.fillna(False).to_numpy(dtype=bool)
    bad = present & ~ok
    what = f"violate {e.left} {e.op} {e.right}"
    return _rowwise(data, e, base, int(np.count_nonzero(present)), bad, what, [e.left, e.right])


def _sum(data: _Data, e: S.SumExpectation, base: dict) -> Outcome:
    parts = [_need_numeric(data, c, "sum") for c in e.columns]
    present = np.logical_and.reduce([data.present(c) for c in e.columns])
    total = np.sum(parts, axis=0) if len(parts) > 1 else parts[0]
    if isinstance(e.equals, str):
        target: Any = _need_numeric(data, e.equals, "sum")
        present = present & data.present(e.equals)
    else:
        target = float(e.equals)
    with np.errstate(invalid="ignore"):
        bad = present & ~(np.abs(total - target) <= e.tolerance)
    what = f"have {' + '.join(e.columns)} != {e.equals} (tolerance {e.tolerance:g})"
    cols = [*e.columns, *([e.equals] if isinstance(e.equals, str) else [])]
    return _rowwise(data, e, base, int(np.count_nonzero(present)), bad, what, cols)


def _replace(out: Outcome, **changes: Any) -> Outcome:
    from dataclasses import replace

    if "details" in changes:
        changes["details"] = {**out.details, **changes["details"]}
    return replace(out, **changes)


_HANDLERS: dict[type, Callable[[_Data, Any, dict], Outcome]] = {
    S.ColumnsExpectation: _columns,
    S.NullsExpectation: _nulls,
    S.BetweenExpectation: _between,
    S.InSetExpectation: _in_set,
    S.RegexExpectation: _regex,
    S.UniqueExpectation: _unique,
    S.RowCountExpectation: _row_count,
    S.StatisticExpectation: _statistic,
    S.CompareExpectation: _compare,
    S.SumExpectation: _sum,
}
