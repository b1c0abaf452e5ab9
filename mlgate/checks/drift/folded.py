"""The ``drift`` check's data path: each side (reference, current) is folded batch by batch into
one mergeable state per compared column, so the check runs on a partitioned dataset where it
lives (``ctx.fold``; the Dask engine folds partitions on the workers and sends back only the
states) and needs no row in one place.

A categorical column folds into :class:`~mlgate.checks.drift.univariate.CategoryCounts` (exact).
A numeric one folds into its sorted values (:class:`~mlgate.checks.drift.univariate.SortedSample`,
exact, 8 bytes a row) where the engine may gather both datasets' rows (always in memory), and
otherwise into a :class:`~mlgate.stats.sketches.ValueSketch` (exact up to its capacity of
distinct values, with stated error bounds above it; :mod:`mlgate.checks.drift.sketched`);
``sketch: true / false`` forces either. The states do not depend on how the rows were split,
so neither does the result.

A column that is numeric on one side and not on the other is compared as categories, which
needs the values themselves: then, and only then, the check reads every row (the in-memory
comparison), which a distributed engine refuses above its collection limit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from mlgate.checks.drift.table import (
    ColumnDrift,
    DriftRule,
    compare_states,
    is_categorical,
    judge,
    prediction_frame,
    require_same_columns,
)
from mlgate.checks.drift.univariate import CategoryCounts, SortedSample
from mlgate.core.context import Batch, GateContext
from mlgate.core.engines import CollectRefused
from mlgate.core.errors import DataError
from mlgate.core.task import Task
from mlgate.stats.sketches import DEFAULT_CAPACITY, ValueSketch

#: Buckets of each numeric column's value sketch: a column with at most this many distinct
#: values per side is compared exactly (docs/scale.md).
CAPACITY = DEFAULT_CAPACITY


@dataclass
class SideState:
    """What one side folds into: its rows and a state per compared column, in column order."""

    rows: int = 0
    columns: dict[str, Any] = field(default_factory=dict)

    def merge(self, other: SideState) -> SideState:
        """Both sides' rows; a column's states merged. Raises DataError when a column is
        numeric in one batch and categorical in another."""
        merged = dict(self.columns)
        for col, state in other.columns.items():
            mine = merged.get(col)
            if mine is None:
                merged[col] = state
            elif type(mine) is not type(state):
                raise DataError(
                    f"column {col!r} is numeric in some partitions and categorical in others; "
                    "write every partition with the same type"
                )
            else:
                merged[col] = mine.merge(state)
        return SideState(self.rows + other.rows, merged)


@dataclass(frozen=True)
class DriftFold:
    """``fold(batch)`` → the :class:`SideState` of one batch (picklable, so an engine runs it
    where a partition lives). ``columns`` are the feature columns compared (target
    ``features``); ``forced`` the columns compared as categories whatever their type."""

    target: str
    columns: tuple[str, ...]
    forced: frozenset[str]
    regression: bool
    capacity: int = DEFAULT_CAPACITY
    #: Numeric columns as a :class:`ValueSketch` (else exact: :class:`SortedSample`).
    sketch: bool = True

    def __call__(self, batch: Batch) -> SideState:
        frame = self.frame(batch)
        states: dict[str, Any] = {}
        for col in frame.columns:
            series = frame[col]
            if col in self.forced or is_categorical(series):
                states[str(col)] = CategoryCounts.of(series)
            elif self.sketch:
                states[str(col)] = ValueSketch.of(series, self.capacity)
            else:
                states[str(col)] = SortedSample.of(series)
        return SideState(len(frame), states)

    def frame(self, batch: Batch) -> pd.DataFrame:
        """The compared columns of one batch, as ``target_frame`` gives them in memory."""
        if self.target == "features":
            return batch.frame.loc[:, list(self.columns)]
        if self.target == "labels":
            return pd.DataFrame({"label": batch.y})
        return prediction_frame(batch.predictions, self.regression)


def fold_side(ctx: GateContext, p: Any, dataset: str, sketch: bool = True) -> SideState:
    """Fold ``dataset``'s compared columns (``p`` a drift check's parameters), numeric ones
    into value sketches (``sketch``) or their sorted values. Raises DataError for a feature
    column the data does not have."""
    regression = ctx.task is Task.REGRESSION
    forced = set(p.categorical) | (
        {"label"} if p.target != "features" and not regression else set()
    )
    columns: tuple[str, ...] = ()
    read: list[str] | None = []
    model = p.model if p.target == "predictions" else None
    if p.target == "features":
        data = ctx.engine.open(ctx, dataset)  # metadata only on a distributed engine
        available = [
            str(c) for c in (data.frame.columns if hasattr(data, "frame") else data.columns)
        ]
        columns = tuple(p.columns if p.columns is not None else data.feature_names)
        missing = [c for c in columns if c not in available]
        if missing:
            raise DataError(f"dataset {dataset!r} has no column(s) {missing}; columns: {available}")
        read = list(columns)
    fold = DriftFold(p.target, columns, frozenset(forced), regression, CAPACITY, sketch)
    state = ctx.fold(model, dataset, fold, SideState.merge, columns=read)
    return state if state is not None else SideState()


def _sketch(ctx: GateContext, wanted: bool | None, datasets: tuple[str, ...]) -> bool:
    """Whether numeric columns fold into sketches: as asked, or (None) only when the engine
    may not gather every row of a dataset (so in memory the comparison stays exact). Raises
    CollectRefused when exact states are asked for and may not be gathered."""
    if wanted is not None:
        if not wanted:
            for name in datasets:
                ctx.engine.admit(ctx, name)
        return wanted
    try:
        for name in datasets:
            ctx.engine.admit(ctx, name)
    except CollectRefused:
        return True
    return False


def folded_columns(ctx: GateContext, p: DriftRule, reference: str, dataset: str):
    """(columns judged, rows of the reference, rows of the current data), or None when a
    column's type differs between the sides (compare in memory instead). Raises DataError
    naming the columns that one side lacks."""
    sketch = _sketch(ctx, getattr(p, "sketch", None), (reference, dataset))
    ref = fold_side(ctx, p, reference, sketch)
    cur = fold_side(ctx, p, dataset, sketch)
    require_same_columns(list(ref.columns), list(cur.columns), reference, dataset)
    if any(type(ref.columns[c]) is not type(cur.columns[c]) for c in ref.columns):
        return None
    out: list[ColumnDrift] = [
        compare_states(c, ref.columns[c], cur.columns[c], p) for c in ref.columns
    ]
    return judge(out, p), ref.rows, cur.rows
