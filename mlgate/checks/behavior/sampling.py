"""Behavioural checks sized by precision, not by the data: a seeded stratified sample of rows,
drawn as a fold so it runs on any engine at any size.

A flip rate or a violation rate needs as many rows as the width of its interval asks for: at
20,000 changed rows a Wilson 95% interval is at most ±0.0069 wide (at a rate of 0.5) and about
±0.003 at a rate of 5%, narrower than any bound a gate sets. Perturbing every row of a
1,000,000-row evaluation set (10 variants: 10,000,000 model rows) buys no decision that 20,000
rows would not make, so a check perturbs at most ``rows`` rows (``rows: all`` keeps every row).

The sample is stratified by the model's original prediction with proportional allocation
(classification: the predicted label; regression: ten groups of the predicted value, see
:class:`ValueStrata`), so the sampled rows hold the data's mix of predictions exactly (up to
rounding). Within a stratum it is a **bottom-k** sample (:mod:`mlgate.stats.bottom_k`): each
row's rank is ``splitmix64_at(key, position)``, a counter-based hash of the check's key (from
the run seed and the check's identity) and the row's position in the dataset, and a stratum
keeps its ``k`` rows of least rank. That is a uniform sample without replacement within the
stratum, and it merges exactly, so the sample is two folds over the data (``ctx.fold``): one
of the strata's sizes (for the allocation), one that keeps each stratum's ``k`` least-ranked
rows with their feature values, label and original prediction. On the Dask engine both run on
the workers; only the strata's counts and at most ``rows`` rows reach the gate process, and
the same rows are chosen however the data is partitioned, as in memory.

A proportional stratified sample is self-weighting: the unweighted rate over it estimates the
rate over every row without bias, and its Wilson interval, which ignores the
(variance-reducing) stratification and the finite population, is conservative
(`tests/checks/behavior/test_behavior_sampling.py` measures its coverage of the full-data rate).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from mlgate.checks.behavior.compare import take
from mlgate.checks.behavior.variants import concat_predictions
from mlgate.core.context import Batch, GateContext
from mlgate.core.errors import DataError
from mlgate.core.task import Task
from mlgate.models.base import Predictions
from mlgate.stats.bottom_k import KeyCounts, bottom_k, proportional_allocation
from mlgate.stats.poisson import splitmix64_at
from mlgate.stats.sketches import sortable_keys

#: The default row cap of the transformation-based checks (``rows``).
DEFAULT_ROWS = 20_000

#: Groups of the predicted value used as strata of a regression.
REGRESSION_STRATA = 10

#: Buckets of the counts of the predicted values that place the regression strata's edges:
#: with at most this many distinct predictions the strata are exact deciles.
STRATA_BUCKETS = 1 << 12


@dataclass(frozen=True)
class RowSample:
    """Which rows of the dataset a check perturbs: ``rows`` (sorted positions), or None for
    every row; ``total`` rows in the dataset; ``cap`` the ``rows`` parameter."""

    total: int
    rows: np.ndarray | None
    cap: int | None
    strata: str | None = None

    @property
    def sampled(self) -> bool:
        return self.rows is not None

    @property
    def used(self) -> int:
        return self.total if self.rows is None else len(self.rows)

    def to_dict(self) -> dict[str, Any]:
        """The evidence: rows used of how many, whether (and how) they were sampled."""
        return {
            "rows_used": self.used,
            "rows_total": self.total,
            "sampled": self.sampled,
            "max_rows": "all" if self.cap is None else self.cap,
            "method": (
                "seeded stratified bottom-k sample without replacement (per stratum the rows "
                "of least hash of the seed, the check and the row's position), proportional "
                f"to the strata of {self.strata}"
                if self.sampled
                else "every row"
            ),
        }

    def describe(self) -> str:
        """A clause for the check's message; empty when every row was used."""
        if not self.sampled:
            return ""
        return f"a stratified sample of {self.used:,} of {self.total:,} rows"


# -- strata -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class LabelStrata:
    """Classification strata: one per predicted label, in sorted order."""

    labels: tuple[Any, ...]

    what = "the predicted label"

    @property
    def size(self) -> int:
        return len(self.labels)

    def codes(self, batch: Batch) -> np.ndarray:
        labels = np.asarray(batch.predictions.labels).ravel()
        return pd.Index(list(self.labels)).get_indexer(labels)


@dataclass(frozen=True)
class ValueStrata:
    """Regression strata: the predicted value's bucket (its float bit pattern, in value order,
    without the ``level`` lowest bits: :class:`~mlgate.stats.bottom_k.KeyCounts` of at most
    :data:`STRATA_BUCKETS` buckets), cut at ``edges`` (the buckets where the running count
    first reaches a tenth, two tenths, ... of the rows). With at most :data:`STRATA_BUCKETS`
    distinct predictions the level is 0 and the strata are the exact deciles (ties kept
    together); above that a decile's edge moves to its bucket's end. A non-finite prediction
    is a stratum of its own (the last)."""

    level: int
    edges: tuple[int, ...]

    what = "the predicted value's deciles"

    @property
    def size(self) -> int:
        return len(self.edges) + 2

    def keys(self, values: np.ndarray) -> np.ndarray:
        keys = sortable_keys(values)
        return keys >> np.uint64(self.level) if self.level < 64 else np.zeros_like(keys)

    def codes(self, batch: Batch) -> np.ndarray:
        values = np.asarray(batch.predictions.values, dtype=float)
        finite = np.isfinite(values)
        edges = np.array(self.edges, dtype=np.uint64)
        codes = np.searchsorted(edges, self.keys(np.where(finite, values, 0.0)), side="left")
        codes[~finite] = self.size - 1
        return codes.astype(np.int64)


@dataclass(frozen=True)
class OneStratum:
    """No strata: a uniform bottom-k sample of every row (the reference's statistics rows)."""

    what = "none"
    size = 1

    def codes(self, batch: Batch) -> np.ndarray:
        return np.zeros(len(batch), dtype=np.int64)


Strata = LabelStrata | ValueStrata | OneStratum


@dataclass(frozen=True)
class ValueCensus:
    """The regression census: bucket counts of the finite predictions, and how many are not
    finite."""

    buckets: KeyCounts
    nonfinite: int

    def merge(self, other: ValueCensus) -> ValueCensus:
        return ValueCensus(self.buckets.merge(other.buckets), self.nonfinite + other.nonfinite)


Census = Counter | ValueCensus


def _census(batch: Batch) -> Census:
    """A batch's stratum census: the predicted labels' counts, or the values' buckets."""
    preds = batch.predictions
    if preds.task is Task.REGRESSION:
        values = np.asarray(preds.values, dtype=float)
        finite = np.isfinite(values)
        buckets = KeyCounts.of(sortable_keys(values[finite]), STRATA_BUCKETS)
        return ValueCensus(buckets, int((~finite).sum()))
    labels, counts = np.unique(np.asarray(preds.labels).ravel(), return_counts=True)
    return Counter({_plain(v): int(c) for v, c in zip(labels, counts, strict=True)})


def _merge_census(a: Census, b: Census) -> Census:
    return a.merge(b) if isinstance(a, ValueCensus) else a + b


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def strata_of(census: Census) -> tuple[Strata, np.ndarray]:
    """The strata a census describes and the rows in each."""
    if isinstance(census, ValueCensus):
        buckets = census.buckets
        cum = np.cumsum(buckets.counts)
        n = int(cum[-1]) if len(cum) else 0
        cuts = [i * n for i in range(1, REGRESSION_STRATA)]
        at = np.searchsorted(cum * REGRESSION_STRATA, cuts, side="left") if n else []
        edges = tuple(int(k) for k in np.unique(buckets.keys[np.asarray(at, dtype=np.int64)]))
        rule = ValueStrata(buckets.level, edges)
        sizes = np.zeros(rule.size, dtype=np.int64)
        bucket = np.searchsorted(np.array(edges, dtype=np.uint64), buckets.keys, side="left")
        np.add.at(sizes, bucket, buckets.counts)
        sizes[-1] = census.nonfinite
        return rule, sizes
    try:
        labels = sorted(census)
    except TypeError:  # labels of mixed types: a fixed order all the same
        labels = sorted(census, key=repr)
    return LabelStrata(tuple(labels)), np.array([census[v] for v in labels], dtype=np.int64)


# -- the bottom-k fold ------------------------------------------------------------------------
@dataclass(frozen=True)
class SampleState:
    """The rows kept so far: their positions, ranks and strata, their requested columns
    (``frame``), labels (``y``; None without a label column) and original predictions (None
    when no model was asked for)."""

    positions: np.ndarray
    ranks: np.ndarray
    strata: np.ndarray
    frame: pd.DataFrame
    y: np.ndarray | None
    predictions: Predictions | None

    def __len__(self) -> int:
        return len(self.positions)

    def pick(self, idx: np.ndarray) -> SampleState:
        return SampleState(
            self.positions[idx],
            self.ranks[idx],
            self.strata[idx],
            self.frame.iloc[idx],
            None if self.y is None else self.y[idx],
            None if self.predictions is None else take(self.predictions, idx),
        )

    def union(self, other: SampleState) -> SampleState:
        return SampleState(
            np.concatenate([self.positions, other.positions]),
            np.concatenate([self.ranks, other.ranks]),
            np.concatenate([self.strata, other.strata]),
            pd.concat([self.frame, other.frame]),
            None if self.y is None or other.y is None else np.concatenate([self.y, other.y]),
            None
            if self.predictions is None or other.predictions is None
            else concat_predictions([self.predictions, other.predictions]),
        )


@dataclass(frozen=True)
class KeepLeast:
    """The fold's batch function: a batch's rows of least rank in each stratum (a plain
    object, so it pickles to the workers)."""

    key: int
    rule: Strata
    quota: np.ndarray

    def __call__(self, batch: Batch) -> SampleState:
        positions = np.arange(batch.start, batch.stop, dtype=np.int64)
        state = SampleState(
            positions,
            splitmix64_at(self.key, positions),
            self.rule.codes(batch),
            batch.frame,
            batch.y,
            batch.predictions,
        )
        return state.pick(bottom_k(state.strata, state.ranks, positions, self.quota))


@dataclass(frozen=True)
class MergeLeast:
    """The fold's merge: the rows of least rank in each stratum of the union of two states."""

    quota: np.ndarray

    def __call__(self, a: SampleState, b: SampleState) -> SampleState:
        if not len(a) or not len(b):
            return b if not len(a) else a
        both = a.union(b)
        return both.pick(bottom_k(both.strata, both.ranks, both.positions, self.quota))


@dataclass(frozen=True)
class DrawnSample:
    """The rows a check perturbs, in row order: ``frame`` (the features, indexed by position
    in the dataset), ``y`` (None without a label column), ``predictions`` and ``sample``."""

    frame: pd.DataFrame
    y: np.ndarray | None
    predictions: Predictions
    sample: RowSample


def draw_sample(
    ctx: GateContext,
    model: str,
    dataset: str,
    features: list[str],
    cap: int,
    key: int,
) -> DrawnSample:
    """At most ``cap`` rows of ``dataset`` with ``model``'s predictions, stratified by the
    prediction (see the module docstring), in two folds (``ctx.fold``): the strata's sizes,
    then the bottom-k rows by ``splitmix64_at(key, position)``. With at most ``cap`` rows,
    every row (``sample.rows`` None).

    Raises DataError for an empty dataset, the engine's errors for the data and the model.
    """
    census = ctx.fold(model, dataset, _census, _merge_census)
    rule, sizes = strata_of(census) if census is not None else (LabelStrata(()), np.zeros(0))
    total = int(sizes.sum())
    if total == 0:
        raise DataError("no rows to perturb: the data is empty")
    quota = proportional_allocation(sizes, cap)
    state = ctx.fold(
        model, dataset, KeepLeast(key, rule, quota), MergeLeast(quota), columns=features
    )
    order = np.argsort(state.positions, kind="stable")
    positions = state.positions[order]
    frame = state.frame.iloc[order].set_axis(pd.Index(positions), axis=0)
    y = None if state.y is None else state.y[order]
    sampled = total > cap
    return DrawnSample(
        frame=frame,
        y=y,
        predictions=take(state.predictions, order),
        sample=RowSample(
            total=total,
            rows=positions if sampled else None,
            cap=cap,
            strata=rule.what if sampled else None,
        ),
    )


def draw_rows(
    ctx: GateContext, dataset: str, columns: list[str], cap: int, key: int
) -> pd.DataFrame:
    """``columns`` of at most ``cap`` rows of ``dataset``, in row order and indexed by
    position: a uniform bottom-k sample by ``splitmix64_at(key, position)`` (one fold, no
    model; every row when the dataset has at most ``cap``). Where a transformation takes its
    statistics when the gate declares a ``reference`` dataset."""
    quota = np.array([cap], dtype=np.int64)
    state = ctx.fold(
        None, dataset, KeepLeast(key, OneStratum(), quota), MergeLeast(quota), columns=columns
    )
    order = np.argsort(state.positions, kind="stable")
    return state.frame.iloc[order].set_axis(pd.Index(state.positions[order]), axis=0)
