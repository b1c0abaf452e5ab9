"""Infer an expectation suite from a reference dataset.

For every column: its dtype kind; its null rate (no nulls → none allowed, else the observed
rate plus ``null_margin``); for numbers, the observed range widened by ``margin`` × its width
on each side (never below 0 for a column that is never negative; integer columns get integer
bounds); for text, categories and booleans with at most ``max_categories`` distinct values,
the observed set. The result is deterministic (no timestamps), so re-inferring from the same
data gives the same file and a review sees only real changes.

Each inferred null, range and set rule also carries its tolerance, ``reference_rows`` (and
``reference_nulls``) with ``alpha`` = α / C over the C such rules (α = 0.05 by default): it
fails only when the evaluation data has more offenders than a healthy sample of the same
distribution shows with probability ``alpha`` (:mod:`mlgate.checks.data.tolerance`), so a
healthy evaluation set of any size is held with probability at most α. ``alpha=None`` infers
the exact all-rows rules of old.

Example::

    suite = infer_suite(reference_frame, name="loans", margin=0.1)
    write_suite(suite, Path("expectations/loans.yaml"))       # review and commit
    write_gx_suite(suite, Path("expectations/loans.gx.json"))  # the same for GX
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from mlgate.checks.data import spec as S
from mlgate.checks.data.dtypes import dtype_kind
from mlgate.checks.data.rows import merged_kind
from mlgate.core.errors import DataError

_SET_KINDS = ("string", "category", "bool")
#: the family-wise false-hold level an inferred suite's tolerances share by default
DEFAULT_ALPHA = 0.05


@dataclass(frozen=True)
class ColumnSummary:
    """What inference needs of one column, mergeable over row batches: its dtype kind, nulls,
    the least and largest finite value (numbers), and its distinct present values while there
    are at most ``max_categories`` (None past that); ``values``: how many values the range or
    set was learnt from (finite numbers, present others), the n of its tolerance."""

    kind: str
    nulls: int = 0
    lo: float = math.inf
    hi: float = -math.inf
    distinct: frozenset | None = frozenset()
    values: int = 0

    def merge(self, other: ColumnSummary, max_categories: int) -> ColumnSummary:
        distinct = None
        if self.distinct is not None and other.distinct is not None:
            distinct = self.distinct | other.distinct
            distinct = distinct if len(distinct) <= max_categories else None
        return ColumnSummary(
            merged_kind(self.kind, other.kind),
            self.nulls + other.nulls,
            min(self.lo, other.lo),
            max(self.hi, other.hi),
            distinct,
            self.values + other.values,
        )


@dataclass(frozen=True)
class ReferenceSummary:
    """The reference's rows, all its columns, and a :class:`ColumnSummary` per chosen column."""

    rows: int
    columns: tuple[str, ...]
    summaries: dict[str, ColumnSummary]
    max_categories: int


@dataclass(frozen=True)
class SummaryScan:
    """``ctx.fold``'s per-batch function for inference (picklable: shipped to Dask workers).
    ``columns`` None: every column."""

    columns: tuple[str, ...] | None
    exclude: tuple[str, ...]
    max_categories: int

    def __call__(self, batch: Any) -> ReferenceSummary:
        return summarize(
            batch.frame,
            columns=self.columns,
            exclude=self.exclude,
            max_categories=self.max_categories,
        )


def summarize(
    frame: pd.DataFrame,
    *,
    columns: Iterable[str] | None = None,
    exclude: Iterable[str] = (),
    max_categories: int = 20,
) -> ReferenceSummary:
    """The :class:`ReferenceSummary` of ``frame`` (unknown chosen columns are left out here and
    refused by :func:`suite_from_summary`)."""
    chosen = list(frame.columns) if columns is None else list(columns)
    skip = set(exclude)
    out = {}
    for col in chosen:
        if col in frame.columns and col not in skip:
            out[str(col)] = _summary(frame[col], max_categories)
    return ReferenceSummary(len(frame), tuple(map(str, frame.columns)), out, max_categories)


def merge_summaries(a: ReferenceSummary, b: ReferenceSummary) -> ReferenceSummary:
    """The summary of the rows of ``a`` and ``b`` together (associative)."""
    k = a.max_categories
    merged = {c: s.merge(b.summaries[c], k) for c, s in a.summaries.items()}
    return ReferenceSummary(a.rows + b.rows, a.columns, merged, k)


def _summary(s: pd.Series, max_categories: int) -> ColumnSummary:
    kind = dtype_kind(s)
    nulls = int(s.isna().sum())
    if kind in ("int", "float"):
        v = s.to_numpy(dtype="float64", na_value=np.nan)
        v = v[np.isfinite(v)]
        if len(v):
            return ColumnSummary(kind, nulls, float(v.min()), float(v.max()), values=len(v))
        return ColumnSummary(kind, nulls)
    values = s.dropna().unique()
    distinct = None
    if len(values) <= max_categories:
        distinct = frozenset(v.item() if isinstance(v, np.generic) else v for v in values)
    return ColumnSummary(kind, nulls, distinct=distinct, values=len(s) - nulls)


def infer_suite(
    frame: pd.DataFrame,
    *,
    name: str = "inferred",
    source: str = "reference",
    margin: float = 0.1,
    null_margin: float = 0.02,
    max_categories: int = 20,
    exact_columns: bool = False,
    columns: Iterable[str] | None = None,
    exclude: Iterable[str] = (),
    alpha: float | None = DEFAULT_ALPHA,
) -> S.Suite:
    """A suite the reference ``frame`` passes by construction (``frame`` is only read).

    ``columns`` / ``exclude`` choose the columns; ``exact_columns`` also forbids columns the
    reference does not have; ``alpha`` is the family-wise false-hold level the tolerances
    share (None: none). Raises DataError for an empty frame or unknown columns, and
    ValueError for a negative margin or an alpha outside (0, 1).
    """
    summary = summarize(
        frame, columns=columns, exclude=tuple(exclude), max_categories=max_categories
    )
    return suite_from_summary(
        summary,
        name=name,
        source=source,
        margin=margin,
        null_margin=null_margin,
        exact_columns=exact_columns,
        columns=columns,
        exclude=exclude,
        alpha=alpha,
    )


def suite_from_summary(
    summary: ReferenceSummary,
    *,
    name: str = "inferred",
    source: str = "reference",
    margin: float = 0.1,
    null_margin: float = 0.02,
    exact_columns: bool = False,
    columns: Iterable[str] | None = None,
    exclude: Iterable[str] = (),
    alpha: float | None = DEFAULT_ALPHA,
) -> S.Suite:
    """The suite :func:`infer_suite` infers, from a (merged) summary of the reference. Raises
    as :func:`infer_suite` does."""
    if margin < 0 or null_margin < 0:
        raise ValueError(f"margins must be >= 0, got margin={margin}, null_margin={null_margin}")
    if alpha is not None and not 0 < alpha < 1:
        raise ValueError(f"alpha must be in (0, 1) (a false-hold level such as 0.05), got {alpha}")
    if summary.rows == 0:
        raise DataError(f"cannot infer expectations from {source!r}: it has no rows")
    exclude = list(exclude)
    chosen = list(summary.columns) if columns is None else [str(c) for c in columns]
    unknown = [c for c in [*chosen, *exclude] if c not in summary.columns]
    if unknown:
        raise DataError(
            f"cannot infer expectations from {source!r}: no column(s) {unknown}; "
            f"it has {list(summary.columns)}"
        )
    chosen = [c for c in chosen if c not in set(exclude)]
    kinds = {c: summary.summaries[c].kind for c in chosen}
    out: list[Any] = [
        S.ColumnsExpectation(
            expect="columns",
            columns={c: (k if k != "object" else "any") for c, k in kinds.items()},
            exact=exact_columns,
        )
    ]
    for col in chosen:
        out.extend(_column(summary.summaries[col], col, summary.rows, margin, null_margin))
    description = f"Inferred from {source!r} ({summary.rows} rows); review before committing."
    meta: dict[str, Any] = {
        "inferred_from": source,
        "rows": summary.rows,
        "margin": margin,
        "null_margin": null_margin,
        "max_categories": summary.max_categories,
    }
    if alpha is not None:
        out, each = _with_tolerance(out, summary, alpha)
        meta |= {"alpha": alpha, "alpha_each": each}
        description += (
            f" Null, range and set rules carry a tolerance (reference_rows, alpha={each:.3g} "
            f"each): they fail only on more offenders than a healthy sample of this size shows "
            f"with probability alpha, so a healthy dataset is held at most {alpha:g} of the time."
        )
    return S.Suite(name=name, description=description, meta=meta, expectations=out)


def _with_tolerance(
    out: list[Any], summary: ReferenceSummary, alpha: float
) -> tuple[list[Any], float]:
    """``out`` with each null, range and set rule given ``alpha / C`` (Bonferroni over the C of
    them) and the reference's size (for a range or set: the values it was learnt from); the
    level each got."""
    tolerant = (S.NullsExpectation, S.BetweenExpectation, S.InSetExpectation)
    count = sum(isinstance(e, tolerant) for e in out)
    each = _round_down(alpha / max(count, 1))  # a short number, and never above alpha in all
    done: list[Any] = []
    for e in out:
        if isinstance(e, S.NullsExpectation):
            nulls = summary.summaries[e.column].nulls
            e = e.model_copy(
                update={"reference_rows": summary.rows, "reference_nulls": nulls, "alpha": each}
            )
        elif isinstance(e, tolerant):
            learnt = max(summary.summaries[e.column].values, 1)
            e = e.model_copy(update={"reference_rows": learnt, "alpha": each})
        done.append(e)
    return done, each


def _column(s: ColumnSummary, col: str, rows: int, margin: float, null_margin: float) -> list[Any]:
    out: list[Any] = []
    if s.nulls == 0:
        out.append(S.NullsExpectation(expect="nulls", column=col, max_count=0))
    else:
        rate = s.nulls / rows
        bound = min(1.0, _round_out(rate + null_margin, up=True))
        out.append(S.NullsExpectation(expect="nulls", column=col, max_fraction=bound))
    if s.kind in ("int", "float"):
        between = _range(s, col, margin)
        if between is not None:
            out.append(between)
    elif s.kind in _SET_KINDS and s.distinct:
        out.append(S.InSetExpectation(expect="in_set", column=col, values=_sorted(s.distinct)))
    return out


def _range(s: ColumnSummary, col: str, margin: float) -> S.BetweenExpectation | None:
    if s.lo > s.hi:  # no finite value
        return None
    lo, hi = s.lo, s.hi
    pad = margin * (hi - lo) if hi > lo else margin * max(abs(lo), 1.0)
    low, high = lo - pad, hi + pad
    if lo >= 0:
        low = max(low, 0.0)  # a column that is never negative stays non-negative
    if s.kind == "int":  # the integers inside [low, high]
        low, high = float(math.ceil(low)), float(math.floor(high))
    else:
        low, high = _round_out(low, up=False), _round_out(high, up=True)
    return S.BetweenExpectation(expect="between", column=col, min=low, max=high)


def _round_out(x: float, *, up: bool, digits: int = 6) -> float:
    """``x`` to ``digits`` significant digits, rounded away from the inside of the range so
    the rounded bound still contains ``x``."""
    if x == 0 or not math.isfinite(x):
        return x
    scale = 10.0 ** (digits - 1 - math.floor(math.log10(abs(x))))
    y = (math.ceil(x * scale) if up else math.floor(x * scale)) / scale
    return float(f"{y:.{digits}g}")


def _round_down(x: float, digits: int = 4) -> float:
    """``x`` > 0 to ``digits`` significant digits, rounded down."""
    scale = 10.0 ** (digits - 1 - math.floor(math.log10(x)))
    return float(f"{math.floor(x * scale * (1 + 1e-12)) / scale:.{digits}g}")


def _sorted(values: Any) -> list[Any]:
    plain = [v.item() if isinstance(v, np.generic) else v for v in values]
    try:
        return sorted(plain)
    except TypeError:
        return sorted(plain, key=repr)
