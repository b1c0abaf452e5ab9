"""Time windows fixed before the rows are read, and a Poisson bootstrap per window: what lets a
time-windowed check fold batches (``ctx.fold``) instead of sorting every row by time.

In memory a windowed check sorts the time column and cuts it (:func:`mlgate.core.windows.
cut_windows`). Folded, it cannot sort, so it reads twice:

1. :class:`TimeSpanFold` folds the time column alone into a :class:`TimeSpan` (its least and
   largest time, overall and after a cutoff; counts). Duration windows (``every: 30D``,
   calendar periods such as ``QS``) depend on nothing else: :func:`window_edges` cuts them
   from the span with the very function the in-memory path uses, so the edges are the same.
2. A second fold assigns each row of a batch to the windows whose half-open span
   ``[start, end)`` holds its time (:func:`window_masks`; rows up to the cutoff form the
   training period), and keeps per window what the check needs: here a
   :class:`~mlgate.stats.poisson.PoissonBootstrap` (:class:`WindowedPoissonFold`).

Row-count windows (``rows: 5000``) are anchored on the time-sorted rows, so they cannot be fixed
from a span; a check cutting them reads every row.

Every window's bootstrap uses the same weight stream: the weight of a row in resample ``b`` is
a function of (seed, row position, b) only (:mod:`mlgate.stats.poisson`), so the per-window
states, their intervals and any statistic of the per-resample values (a drop between two
windows) are the same however the dataset is partitioned or batched. Resample ``b`` of every
window is one Poisson resample of the whole dataset, so two disjoint windows are resampled
independently, as the two-sample bootstrap of :mod:`scipy.stats.bootstrap` (``paired=False``)
resamples them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from mlgate.core.windows import WindowSpec, cut_windows, time_values
from mlgate.stats.poisson import PoissonBootstrap, PoissonFold
from mlgate.stats.poisson_paired import make_bootstrap

__all__ = [
    "TRAINING",
    "Edge",
    "TimeSpan",
    "TimeSpanFold",
    "WindowedBootstraps",
    "WindowedPoissonFold",
    "window_edges",
    "window_masks",
]

#: The index of the training period (rows up to the cutoff) among a fold's windows.
TRAINING = -1


@dataclass(frozen=True)
class TimeSpan:
    """What a fold of a time column knows: its rows, least and largest time, and (with a
    cutoff) the least time after it and the rows after it. Times are pandas Timestamps or
    numbers; None where there is no row."""

    rows: int = 0
    first: Any = None
    last: Any = None
    first_after: Any = None
    rows_after: int = 0
    dates: bool = False

    def merge(self, other: TimeSpan) -> TimeSpan:
        """Both spans' rows (associative and commutative)."""
        return TimeSpan(
            self.rows + other.rows,
            _least(self.first, other.first),
            _most(self.last, other.last),
            _least(self.first_after, other.first_after),
            self.rows_after + other.rows_after,
            self.dates or other.dates,
        )


def _least(a: Any, b: Any) -> Any:
    return b if a is None else a if b is None else min(a, b)


def _most(a: Any, b: Any) -> Any:
    return b if a is None else a if b is None else max(a, b)


def _item(v: Any) -> Any:
    if isinstance(v, (np.datetime64, pd.Timestamp)):
        return pd.Timestamp(v)
    return v.item() if isinstance(v, np.generic) else v


@dataclass(frozen=True)
class TimeSpanFold:
    """``fold(batch)`` → the :class:`TimeSpan` of a batch's time ``column`` (rows after
    ``cutoff`` counted apart; a picklable function an engine runs where a partition lives).
    Raises DataError for missing or unparsable times (:func:`time_values`)."""

    column: str
    dataset: str
    cutoff: Any = None

    def __call__(self, batch: Any) -> TimeSpan:
        if not len(batch):
            return TimeSpan()
        t = time_values(batch.frame, self.column, self.dataset)
        dates = bool(pd.api.types.is_datetime64_any_dtype(t))
        after = t if self.cutoff is None else t[_as_series_bound(t, self.cutoff, gt=True)]
        return TimeSpan(
            len(t),
            _item(t.min()),
            _item(t.max()),
            _item(after.min()) if len(after) else None,
            len(after),
            dates,
        )


def _as_series_bound(t: pd.Series, cutoff: Any, *, gt: bool) -> np.ndarray:
    """``t > cutoff`` (``gt``) or ``t <= cutoff``, as a boolean array."""
    return np.asarray(t > cutoff if gt else t <= cutoff, dtype=bool)


@dataclass(frozen=True)
class Edge:
    """A window fixed before the rows are read: its index and half-open span [start, end)."""

    index: int
    start: Any
    end: Any


def window_edges(span: TimeSpan, spec: WindowSpec, *, start: Any = None) -> list[Edge]:
    """The duration windows of ``spec`` over the times of ``span`` after ``start`` (a cutoff,
    or None), exactly as :func:`mlgate.core.windows.cut_windows` cuts them in memory (it is
    called on the two times that fix them: the first after ``start`` and the last). Empty when
    no row lies after ``start``. Raises ValueError for row-count windows (they depend on every
    row's rank) and ConfigError for a length that does not suit the time column."""
    if spec.rows is not None:
        raise ValueError("row-count windows depend on every row's rank; cut them in memory")
    first = span.first if start is None else span.first_after
    if first is None:
        return []
    times = pd.Series([first, span.last])
    if span.dates:
        times = pd.to_datetime(times)
    return [Edge(w.index, w.start, w.end) for w in cut_windows(times, spec, start=start)]


def window_masks(
    t: pd.Series, edges: list[Edge], *, cutoff: Any = None, training: bool = False
) -> dict[int, np.ndarray]:
    """Which rows of ``t`` each window holds, by index: ``start <= t < end`` and after
    ``cutoff`` (as the in-memory windows), plus the rows up to ``cutoff`` under
    :data:`TRAINING` when ``training``. Windows without a row are left out."""
    after = np.ones(len(t), dtype=bool) if cutoff is None else _as_series_bound(t, cutoff, gt=True)
    out: dict[int, np.ndarray] = {}
    for e in edges:
        mask = after & np.asarray((t >= e.start) & (t < e.end), dtype=bool)
        if mask.any():
            out[e.index] = mask
    if training and cutoff is not None:
        up_to = ~after
        if up_to.any():
            out[TRAINING] = up_to
    return out


def merge_by_key(a: dict[Any, Any], b: dict[Any, Any]) -> dict[Any, Any]:
    """The states of both, by key (sorted); a key in both holds ``a[key].merge(b[key])``."""
    merged = dict(a)
    for key, state in b.items():
        mine = merged.get(key)
        merged[key] = state if mine is None else mine.merge(state)
    return dict(sorted(merged.items()))


@dataclass
class WindowedBootstraps:
    """A :class:`PoissonBootstrap` per window that has rows (by index; :data:`TRAINING` for
    the training period). Merges window by window."""

    windows: dict[int, PoissonBootstrap] = field(default_factory=dict)

    def merge(self, other: WindowedBootstraps) -> WindowedBootstraps:
        """The windows of both; a window in both holds the rows of both (disjoint rows)."""
        return WindowedBootstraps(merge_by_key(self.windows, other.windows))


@dataclass(frozen=True)
class WindowedPoissonFold:
    """``fold(batch)`` → the :class:`WindowedBootstraps` of one batch: its rows encoded by
    ``boot`` (a :class:`PoissonFold`: metric, classes, resamples, weight key) and added to the
    bootstrap of every window that holds them, with their positions in the dataset as row ids.
    Reads the batch's time ``column`` and the model's predictions."""

    boot: PoissonFold
    column: str
    edges: tuple[Edge, ...]
    cutoff: Any = None
    training: bool = False

    def __call__(self, batch: Any) -> WindowedBootstraps:
        out = WindowedBootstraps()
        if not len(batch):
            return out
        t = time_values(batch.frame, self.column, self.boot.dataset)
        masks = window_masks(t, list(self.edges), cutoff=self.cutoff, training=self.training)
        if not masks:
            return out
        y, output = self.boot.encode(batch.y, batch.predictions)
        rows = np.arange(batch.start, batch.stop)
        b = self.boot
        for index, mask in masks.items():
            state = make_bootstrap(b.metric, b.k, n_resamples=b.n_resamples, key=b.key)
            out.windows[index] = state.update(rows[mask], y[mask], output[mask])
        return out
