"""The ``fairness`` check folded over batches (``interval: poisson``): each group's 2 × 2 table
(y, ŷ) for the rows as they are and for every resample of a Poisson bootstrap, summed where
the partitions live.

A gap is a function of the groups' tables (:mod:`mlgate.checks.slices.fairness`), so a
batch's state is, per group of the sensitive attributes it holds, four counts and (B, 4)
weighted counts (:class:`~mlgate.stats.poisson_groups.GroupedCounts`: exact integers, one
weight stream, so every group's table of resample b comes from the same row weights). Groups
are discovered by the fold (merged by union). The gap of resample b is the gap of the
resampled tables; its percentile interval replaces the stratified multinomial bootstrap of
the in-memory path (the Poisson bootstrap lets group sizes vary, as the row bootstrap does
unstratified). Weights depend on (seed, check, row position, resample) only, so the result is
the same bytes however the rows are split into batches or partitions.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from mlgate.checks.slices.fairness import FairnessEstimate, FairnessMetric, fairness_gap
from mlgate.core.context import Batch
from mlgate.stats.poisson_groups import GroupedCounts, percentile_interval


def _py(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


@dataclass
class FairnessState:
    """The weighted group tables of some batches, the rows without a group, and per
    sensitive column the rows without a value."""

    tables: GroupedCounts
    without_group: int = 0
    no_value: dict[str, int] = field(default_factory=dict)

    def merge(self, other: FairnessState) -> FairnessState:
        no_value = dict(self.no_value)
        for column, n in other.no_value.items():
            no_value[column] = no_value.get(column, 0) + n
        return FairnessState(
            self.tables.merge(other.tables), self.without_group + other.without_group, no_value
        )

    def groups(self) -> list[Hashable]:
        """The group keys, sorted as the in-memory ``groupby(sort=True)`` sorts them."""
        keys = list(self.tables.point)
        try:
            return sorted(keys)
        except TypeError:
            return sorted(keys, key=repr)


@dataclass(frozen=True)
class FairnessFold:
    """``fold(batch)`` → the :class:`FairnessState` of one batch (picklable). ``positive`` is
    the positive class (fixed before any row is read: :class:`~mlgate.stats.poisson.SeenLabels`);
    ``key`` the weight stream."""

    sensitive: tuple[str, ...]
    positive: Any
    n_resamples: int
    key: int
    model: str = "candidate"

    def __call__(self, batch: Batch) -> FairnessState:
        from mlgate.core.errors import DataError

        frame = batch.frame
        cols = list(self.sensitive)
        no_value = {c: int(n) for c, n in frame[cols].isna().sum().items() if n}
        tables = GroupedCounts(4, self.n_resamples, self.key)
        if not len(batch):
            return FairnessState(tables, 0, no_value)
        preds = batch.predictions
        if preds is None or preds.labels is None:
            raise DataError(f"fairness needs predicted labels from model {self.model!r}")
        known = frame[cols].notna().all(axis=1).to_numpy()
        codes = np.full(len(frame), -1, dtype=np.int64)
        keys: list[Hashable] = []
        if known.any():
            inner, uniques = pd.MultiIndex.from_frame(frame.loc[known, cols]).factorize()
            codes[known] = inner
            keys = [tuple(_py(v) for v in combo) for combo in uniques.tolist()]
        y_pos = np.asarray(np.asarray(batch.y) == self.positive, dtype=np.int64)
        pred_pos = np.asarray(np.asarray(preds.labels) == self.positive, dtype=np.int64)
        rows = np.arange(batch.start, batch.stop)
        tables.update(rows, codes, 2 * y_pos + pred_pos, keys)
        return FairnessState(tables, int((~known).sum()), no_value)


def group_names(cols: list[str], keys: list[Hashable]) -> list[str]:
    """``col=value & ...`` per group key, as the in-memory path names groups."""
    return [" & ".join(f"{c}={v}" for c, v in zip(cols, key, strict=True)) for key in keys]


def folded_estimate(
    metric: FairnessMetric,
    state: FairnessState,
    keys: list[Hashable],
    *,
    level: float,
) -> FairnessEstimate:
    """The gap of the groups ``keys`` with the percentile interval of the gaps of the
    resampled tables (NaN resamples counted as undefined)."""
    tables = np.stack([state.tables.point[k] for k in keys]).astype(float)  # (G, 4)
    draws = np.stack([state.tables.resampled[k] for k in keys], axis=1).astype(float)  # (B,G,4)
    value = float(fairness_gap(metric, tables))
    values = fairness_gap(metric, draws)
    interval = percentile_interval(values, level)
    n_undefined = int(np.isnan(values).sum())
    return FairnessEstimate(metric, value, interval, len(values), n_undefined)
