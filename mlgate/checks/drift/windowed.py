"""The ``drift_windows`` check's folding data path: duration windows fixed from a fold of the
time column, then each window's compared columns folded into the states the ``drift`` check
folds a side into (:mod:`mlgate.checks.drift.folded`: category counts, sorted values or value
sketches), so the check runs on a partitioned dataset where it lives and needs no row in one
place.

1. :class:`~mlgate.stats.poisson_windows.TimeSpanFold` folds the time column alone; the
   windows are cut from its span exactly as in memory
   (:func:`~mlgate.stats.poisson_windows.window_edges`).
2. The reference is folded as by ``drift`` (:func:`~mlgate.checks.drift.folded.fold_side`).
3. :class:`WindowedDriftFold` splits each batch of the current dataset by window (a row in
   overlapping windows goes to each) and folds every window's rows into a
   :class:`~mlgate.checks.drift.folded.SideState`; window states merge window by window.

Each window is then compared with the reference column by column
(:func:`~mlgate.checks.drift.table.compare_states`) and the p-values corrected as in memory.
With sorted values (in memory, or on Dask within ``max_collect_rows``) the numbers are the
in-memory comparison's to the byte; above the limit numeric columns are value sketches, exact up
to their capacity and within stated bounds above it (``sketch: true`` reproduces that in
memory). The states do not depend on how the rows were split, so neither does the result.

What does not fold, and so reads every row: row-count windows (``rows: 5000``; a row's window
depends on its rank among every time), and a column that is numeric on one side and text on the
other (compared as categories from the values, as ``drift`` does).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mlgate.checks.drift.folded import DriftFold, SideState, _sketch, fold_side
from mlgate.checks.drift.table import ColumnDrift, compare_states, judge, require_same_columns
from mlgate.checks.drift.univariate import CategoryCounts, SortedSample
from mlgate.core.context import Batch, GateContext
from mlgate.core.errors import DataError
from mlgate.core.task import Task
from mlgate.core.windows import format_time, time_values
from mlgate.stats.poisson_windows import (
    Edge,
    TimeSpan,
    TimeSpanFold,
    merge_by_key,
    window_edges,
    window_masks,
)
from mlgate.stats.sketches import ValueSketch

__all__ = ["Span", "WindowSides", "WindowedDriftFold", "folded_windows"]


@dataclass(frozen=True)
class Span:
    """A window as the check reports it: its index, span and rows."""

    index: int
    start: Any
    end: Any
    rows: int

    @property
    def label(self) -> str:
        return f"{format_time(self.start)} – {format_time(self.end)}"


@dataclass
class WindowSides:
    """A :class:`SideState` per window that has rows, by window index."""

    windows: dict[int, SideState] = field(default_factory=dict)

    def merge(self, other: WindowSides) -> WindowSides:
        """The windows of both; a window in both holds the rows of both."""
        return WindowSides(merge_by_key(self.windows, other.windows))


@dataclass(frozen=True)
class WindowedDriftFold:
    """``fold(batch)`` → the :class:`WindowSides` of one batch: ``side`` (a :class:`DriftFold`)
    picks the compared columns, each window's rows (by the batch's time ``column``) fold into
    their own :class:`SideState`. Picklable, so an engine runs it where a partition lives."""

    side: DriftFold
    column: str
    dataset: str
    edges: tuple[Edge, ...]

    def __call__(self, batch: Batch) -> WindowSides:
        out = WindowSides()
        if not len(batch):
            return out
        t = time_values(batch.frame, self.column, self.dataset)
        masks = window_masks(t, list(self.edges))
        if not masks:
            return out
        frame = self.side.frame(batch)
        # the compared columns as plain features: the same per-column states as DriftFold's
        flat = DriftFold(
            "features",
            tuple(map(str, frame.columns)),
            self.side.forced,
            self.side.regression,
            self.side.capacity,
            self.side.sketch,
        )
        for index, mask in masks.items():
            rows = frame.iloc[np.flatnonzero(mask)]
            out.windows[index] = flat(Batch(0, len(rows), rows, None, None))
        return out


def _current_fold(ctx: GateContext, p: Any, sketch: bool) -> tuple[DriftFold, list[str] | None]:
    """The :class:`DriftFold` of the current dataset, as :func:`fold_side` builds it, and the
    columns to read (the time column added by the caller)."""
    regression = ctx.task is Task.REGRESSION
    forced = set(p.categorical) | (
        {"label"} if p.target != "features" and not regression else set()
    )
    columns: tuple[str, ...] = ()
    if p.target == "features":
        data = ctx.engine.open(ctx, p.dataset)  # metadata only on a distributed engine
        frame = getattr(data, "frame", None)
        available = [str(c) for c in (frame.columns if frame is not None else data.columns)]
        columns = tuple(p.columns if p.columns is not None else data.feature_names)
        missing = [c for c in columns if c not in available]
        if missing:
            raise DataError(
                f"dataset {p.dataset!r} has no column(s) {missing}; columns: {available}"
            )
    fold = DriftFold(p.target, columns, frozenset(forced), regression, _capacity(), sketch)
    return fold, list(columns)


def _capacity() -> int:
    from mlgate.checks.drift import folded

    return folded.CAPACITY  # read at run time: tests lower it to force sketches


def _empty_like(state: Any) -> Any:
    if isinstance(state, CategoryCounts):
        return CategoryCounts()
    if isinstance(state, ValueSketch):
        return ValueSketch(_capacity())
    return SortedSample()


def folded_windows(ctx: GateContext, p: Any) -> tuple[list[Span], list[list[ColumnDrift]]] | None:
    """(the windows, each window's judged column comparisons) from folds; ``([], [])`` when
    the dataset has no row, None when a column is numeric on one side and categorical on the
    other (compare in memory instead). Raises DataError for a missing column or unparsable
    times, ConfigError for a window length that does not suit the time column."""
    column = ctx.gate.config.datasets[p.dataset].time
    assert column is not None  # _validate requires it
    span = ctx.fold(
        None, p.dataset, TimeSpanFold(column, p.dataset), TimeSpan.merge, columns=[column]
    )
    edges = window_edges(span if span is not None else TimeSpan(), p)
    if not edges:
        return [], []
    sketch = _sketch(ctx, getattr(p, "sketch", None), (p.reference, p.dataset))
    ref = fold_side(ctx, p, p.reference, sketch)
    side, read = _current_fold(ctx, p, sketch)
    if p.target == "features":
        require_same_columns(list(ref.columns), list(side.columns), p.reference, p.dataset)
    fold = WindowedDriftFold(side, column, p.dataset, tuple(edges))
    model = p.model if p.target == "predictions" else None
    columns = list(dict.fromkeys([*(read or []), column]))
    state = ctx.fold(model, p.dataset, fold, WindowSides.merge, columns=columns)
    windows = state.windows if state is not None else {}
    spans: list[Span] = []
    per_window: list[list[ColumnDrift]] = []
    for e in edges:
        cur = windows.get(e.index, SideState())
        compared = []
        for col, a in ref.columns.items():
            b = cur.columns.get(col, _empty_like(a))
            if type(a) is not type(b):
                return None
            compared.append(compare_states(col, a, b, p))
        spans.append(Span(e.index, e.start, e.end, cur.rows))
        per_window.append(judge(compared, p))
    return spans, per_window
