"""Infer an expectation suite from a reference dataset.

For every column: its dtype kind; its null rate (no nulls → none allowed, else the observed
rate plus ``null_margin``); for numbers, the observed range widened by ``margin`` × its width
on each side (never below 0 for a column that is never negative; integer columns get integer
bounds); for text, categories and booleans with at most ``max_categories`` distinct values,
the observed set. The result is deterministic (no timestamps), so re-inferring from the same
data gives the same file and a review sees only real changes.

Example::

    suite = infer_suite(reference_frame, name="loans", margin=0.1)
    write_suite(suite, Path("expectations/loans.yaml"))       # review and commit
    write_gx_suite(suite, Path("expectations/loans.gx.json"))  # the same for GX
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from mlgate.checks.data import spec as S
from mlgate.checks.data.dtypes import dtype_kind
from mlgate.core.errors import DataError

_SET_KINDS = ("string", "category", "bool")


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
) -> S.Suite:
    """A suite the reference ``frame`` passes by construction (``frame`` is only read).

    ``columns`` / ``exclude`` choose the columns; ``exact_columns`` also forbids columns the
    reference does not have. Raises DataError for an empty frame or unknown columns, and
    ValueError for a negative margin.
    """
    if margin < 0 or null_margin < 0:
        raise ValueError(f"margins must be >= 0, got margin={margin}, null_margin={null_margin}")
    if len(frame) == 0:
        raise DataError(f"cannot infer expectations from {source!r}: it has no rows")
    chosen = list(frame.columns) if columns is None else list(columns)
    unknown = [c for c in [*chosen, *exclude] if c not in frame.columns]
    if unknown:
        raise DataError(
            f"cannot infer expectations from {source!r}: no column(s) {unknown}; "
            f"it has {list(map(str, frame.columns))}"
        )
    chosen = [c for c in chosen if c not in set(exclude)]
    kinds = {str(c): dtype_kind(frame[c]) for c in chosen}
    out: list[Any] = [
        S.ColumnsExpectation(
            expect="columns",
            columns={c: (k if k != "object" else "any") for c, k in kinds.items()},
            exact=exact_columns,
        )
    ]
    for col in chosen:
        out.extend(
            _column(frame[col], str(col), kinds[str(col)], margin, null_margin, max_categories)
        )
    return S.Suite(
        name=name,
        description=f"Inferred from {source!r} ({len(frame)} rows); review before committing.",
        meta={
            "inferred_from": source,
            "rows": len(frame),
            "margin": margin,
            "null_margin": null_margin,
            "max_categories": max_categories,
        },
        expectations=out,
    )


def _column(
    s: pd.Series, col: str, kind: str, margin: float, null_margin: float, max_categories: int
) -> list[Any]:
    out: list[Any] = []
    n_null = int(s.isna().sum())
    if n_null == 0:
        out.append(S.NullsExpectation(expect="nulls", column=col, max_count=0))
    else:
        rate = n_null / len(s)
        bound = min(1.0, _round_out(rate + null_margin, up=True))
        out.append(S.NullsExpectation(expect="nulls", column=col, max_fraction=bound))
    if kind in ("int", "float"):
        between = _range(s, col, kind, margin)
        if between is not None:
            out.append(between)
    elif kind in _SET_KINDS:
        values = s.dropna().unique()
        if 0 < len(values) <= max_categories:
            out.append(S.InSetExpectation(expect="in_set", column=col, values=_sorted(values)))
    return out


def _range(s: pd.Series, col: str, kind: str, margin: float) -> S.BetweenExpectation | None:
    v = s.to_numpy(dtype="float64", na_value=np.nan)
    v = v[np.isfinite(v)]
    if len(v) == 0:
        return None
    lo, hi = float(v.min()), float(v.max())
    pad = margin * (hi - lo) if hi > lo else margin * max(abs(lo), 1.0)
    low, high = lo - pad, hi + pad
    if lo >= 0:
        low = max(low, 0.0)  # a column that is never negative stays non-negative
    if kind == "int":  # the integers inside [low, high]
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


def _sorted(values: Any) -> list[Any]:
    plain = [v.item() if isinstance(v, np.generic) else v for v in values]
    try:
        return sorted(plain)
    except TypeError:
        return sorted(plain, key=repr)
