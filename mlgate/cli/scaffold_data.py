"""``mlgate init``: what a scaffolded gate says about the data.

The data expectations are the data family's own inference (:func:`infer_suite`, the one
``data_schema`` and ``python -m mlgate.checks.data infer`` use), written as the
``data_expectations`` check's per-column shorthand so that each column is one reviewable line
with what was seen in a comment. Slices are the categorical columns: text, category and
boolean columns with a few distinct values.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from mlgate.checks.data.infer import infer_suite
from mlgate.checks.data.spec import (
    BetweenExpectation,
    ColumnsExpectation,
    InSetExpectation,
    NullsExpectation,
)

#: Widening of each numeric column's observed range, as a fraction of its width per side.
RANGE_MARGIN = 0.1
#: Added to an observed null rate (a column with no nulls allows none).
NULL_MARGIN = 0.02
#: A text column with more distinct values than this is an identifier, not a category.
MAX_CATEGORIES = 20


def column_rules(frame: pd.DataFrame) -> dict[str, dict[str, Any]]:
    """The ``columns:`` shorthand of ``data_expectations`` that ``frame`` passes by
    construction: per column its dtype kind, null rule, widened range or value set."""
    suite = infer_suite(
        frame,
        name="scaffold",
        source="evaluation",
        margin=RANGE_MARGIN,
        null_margin=NULL_MARGIN,
        max_categories=MAX_CATEGORIES,
    )
    rules: dict[str, dict[str, Any]] = {str(c): {} for c in frame.columns}
    for e in suite.expectations:
        if isinstance(e, ColumnsExpectation):
            for col, kind in e.dtypes.items():
                if kind != "any":
                    rules[col]["dtype"] = kind
        elif isinstance(e, NullsExpectation):
            if e.max_count == 0:
                rules[e.column]["nullable"] = False
            elif e.max_fraction is not None:
                rules[e.column]["max_null_fraction"] = e.max_fraction
        elif isinstance(e, BetweenExpectation):
            rules[e.column].update(min=_plain(e.min), max=_plain(e.max))
        elif isinstance(e, InSetExpectation):
            rules[e.column]["values"] = list(e.values)
    for e in suite.expectations:  # last on each line: what the rule is, then how tolerant
        _tolerance(rules, e)
    return rules


def _tolerance(rules: dict[str, dict[str, Any]], e: Any) -> None:
    """The inferred tolerance of ``e`` (a null, range or set rule) on its column's line, so
    the scaffolded gate holds a healthy dataset at most α of the time, like ``data_schema``
    (docs/checks/data.md: a range learnt from n values is exceeded by a few new rows)."""
    if getattr(e, "alpha", None) is None:
        return
    t = rules[e.column].setdefault("tolerance", {"alpha": e.alpha})
    if isinstance(e, NullsExpectation):
        t.update(rows=e.reference_rows, nulls=e.reference_nulls)
    else:
        t["values"] = e.reference_rows


def describe_column(s: pd.Series) -> str:
    """What was seen in one column, for the comment on its line."""
    nulls = f", {s.isna().mean():.1%} null" if s.isna().any() else ", no nulls"
    if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
        if s.notna().any():
            return f"{s.name}: {s.dtype}, range [{s.min():.4g}, {s.max():.4g}]{nulls}"
        return f"{s.name}: {s.dtype}, no values{nulls}"
    return f"{s.name}: {s.dtype}, {s.nunique()} distinct values{nulls}"


def categorical_columns(frame: pd.DataFrame, label: str) -> tuple[list[str], list[str]]:
    """(columns to slice by, text columns left out as identifiers): non-numeric columns
    other than the label with 2 to :data:`MAX_CATEGORIES` distinct values."""
    chosen, skipped = [], []
    for col in frame.columns:
        s = frame[col]
        if col == label or (pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s)):
            continue
        if pd.api.types.is_datetime64_any_dtype(s) or pd.api.types.is_timedelta64_dtype(s):
            continue
        n = s.nunique(dropna=True)
        if 2 <= n <= MAX_CATEGORIES:
            chosen.append(str(col))
        elif n > MAX_CATEGORIES:
            skipped.append(f"{col} ({n} distinct values)")
    return chosen, skipped


def row_floor(n_rows: int) -> int:
    """The fewest rows a later evaluation file may have: half of today's (a much smaller
    file is more likely truncated than representative), at least 1."""
    return max(1, math.floor(n_rows / 2))


def _plain(x: float | None) -> float | int | None:
    if x is None:
        return None
    return int(x) if float(x).is_integer() else float(x)
