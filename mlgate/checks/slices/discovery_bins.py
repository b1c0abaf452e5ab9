"""The bins of slice discovery, fixed before any row is counted: a first fold over the batches
summarises each candidate feature (numeric: a :class:`~mlgate.stats.sketches.ValueSketch`;
otherwise its category counts), and the bins are a deterministic function of that summary.

* A numeric column with more than ``n_bins`` distinct finite values gets quantile bins:
  the edges are ``np.quantile`` (linear interpolation) at 0, 1/n_bins, ..., 1, deduplicated,
  and the inner ones cut half-open bins [a, b). While the sketch is exact (at most 65,536
  distinct values) they are computed from its (value, count) pairs with numpy's own
  arithmetic, so they are the in-memory edges bit for bit. Above that a sketch bucket spans
  several values, and an inner edge is the bucket boundary (a bucket's least value) nearest
  in rank to the quantile: the bins then hold whole buckets, their counts are still exact
  (rows are cut at the edges when counted), and an edge is off the exact quantile by less
  than one bucket's share of the rows. The result names such features.
* Any other column (and a numeric one with at most ``n_bins`` values) is categorical: the
  ``max_categories − 1`` most frequent values (ties: in sorted order) and "other".
* Missing values (NaN, None, ±inf) are a bin of their own.

The summaries merge in any order into the same state (category counts are sums; the value
sketch is order-free), so the bins do not depend on how the rows were split.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from mlgate.core.errors import DataError
from mlgate.stats.sketches import ValueSketch


def is_numeric(col: pd.Series) -> bool:
    """Whether ``col`` is binned by value (numeric and not boolean)."""
    return bool(pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col))


@dataclass
class ColumnScan:
    """One feature's summary: numeric (``sketch`` and the column's ``dtype``) or categorical
    (``counts`` per value, ``missing`` rows, and a pandas Categorical's ``categories``)."""

    name: str
    sketch: ValueSketch | None = None
    dtype: str = ""
    counts: dict[Any, int] = field(default_factory=dict)
    missing: int = 0
    categories: tuple[Any, ...] | None = None

    @classmethod
    def of(cls, name: str, col: pd.Series) -> ColumnScan:
        if is_numeric(col):
            return cls(name, ValueSketch.of(col), str(col.dtype))
        counts = col.value_counts(dropna=True, sort=False)
        cats = (
            tuple(col.cat.categories.tolist())
            if isinstance(col.dtype, pd.CategoricalDtype)
            else None
        )
        values = dict(zip(counts.index.tolist(), counts.to_numpy().tolist(), strict=True))
        return cls(
            name, None, "", {v: c for v, c in values.items() if c}, int(col.isna().sum()), cats
        )

    def merge(self, other: ColumnScan) -> ColumnScan:
        """Both summaries. Raises DataError when the column is numeric in one batch only."""
        if (self.sketch is None) != (other.sketch is None):
            raise DataError(
                f"slice discovery: column {self.name!r} is numeric in some partitions and not in "
                "others; write every partition with the same type"
            )
        if self.sketch is not None:
            dtype = self.dtype if self.dtype == other.dtype else "float64"  # as pd.concat
            return ColumnScan(self.name, self.sketch.merge(other.sketch), dtype)
        counts = dict(self.counts)
        for v, c in other.counts.items():
            counts[v] = counts.get(v, 0) + c
        cats = self.categories if self.categories is not None else other.categories
        return ColumnScan(self.name, None, "", counts, self.missing + other.missing, cats)


def sketch_quantiles(sketch: ValueSketch, qs: np.ndarray) -> np.ndarray:
    """``np.quantile(values, qs)`` (method "linear") of the sketch's values: exact while the
    sketch is exact (numpy's index and interpolation arithmetic on its (value, count) pairs);
    otherwise the nearest bucket boundary in rank (``qs`` 0 and 1: the least and largest value)."""
    n = sketch.n
    qs = np.asarray(qs, dtype=float)
    _, counts, lows, highs = sketch.at_level(sketch.level)
    ends = np.cumsum(counts)  # rank just past each bucket
    if sketch.exact:
        virtual = (n - 1) * qs
        prev = np.floor(virtual)
        above = virtual >= n - 1
        gamma = virtual - np.where(above, -1.0, prev)  # numpy moves `prev` to -1 there
        i = np.where(above, n - 1, prev).astype(np.int64)
        j = np.where(above, n - 1, prev + 1).astype(np.int64)
        a = lows[np.searchsorted(ends, i, side="right")]
        b = lows[np.searchsorted(ends, np.minimum(j, n - 1), side="right")]
        diff = b - a
        out = a + diff * gamma
        high = gamma >= 0.5
        out[high] = (b - diff * (1 - gamma))[high]
        return out
    starts = ends - counts
    rank = (n - 1) * qs
    k = np.searchsorted(ends, np.floor(rank), side="right")  # the bucket holding the rank
    nxt = np.minimum(k + 1, len(lows) - 1)
    up = (k + 1 < len(lows)) & (ends[k] - rank < rank - starts[k])
    out = np.where(up, lows[nxt], lows[k])
    out[qs <= 0] = lows[0]
    out[qs >= 1] = highs[-1]
    return out


def _num(v: float) -> str:
    return f"{v:.4g}"


@dataclass(frozen=True)
class ColumnBins:
    """How one feature's values become bin codes, and the bins' labels. ``edges``: the inner
    quantile edges of a numeric feature (None: categorical). ``values``: a categorical
    feature's distinct values in sorted order, ``remap`` each one's code; ``numeric_values``
    whether those are numbers (looked up by value) or labels (looked up by equality)."""

    name: str
    labels: tuple[str, ...]
    edges: np.ndarray | None = None
    values: tuple[Any, ...] = ()
    remap: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int32))
    numeric_values: bool = False
    missing_code: int = -1
    approximate: bool = False

    def codes(self, col: pd.Series) -> np.ndarray:
        """The bin code of every value of ``col`` (int32). Raises DataError for a value the
        first fold did not see (the data changed between the two reads)."""
        if self.edges is not None or self.numeric_values:
            x = col.to_numpy(dtype=float, na_value=np.nan)
            known = np.isfinite(x)
            if self.edges is not None:
                codes = np.searchsorted(self.edges, x, side="right").astype(np.int32)
            else:
                vals = np.asarray(self.values, dtype=float)
                at = np.minimum(np.searchsorted(vals, x), max(len(vals) - 1, 0))
                self._require(known & (vals[at] != x) if len(vals) else known)
                codes = self.remap[at] if len(vals) else np.zeros(len(x), np.int32)
        else:
            known = col.notna().to_numpy()
            at = pd.Index(list(self.values), dtype=object).get_indexer(col.astype(object))
            self._require(known & (at < 0))
            codes = (
                self.remap[np.maximum(at, 0)] if len(self.values) else np.zeros(len(col), np.int32)
            )
        codes = np.asarray(codes, dtype=np.int32)
        if (~known).any():
            self._require(~known if self.missing_code < 0 else np.zeros(0, bool))
            codes[~known] = self.missing_code
        return codes

    def _require(self, unseen: np.ndarray) -> None:
        if unseen.any():
            raise DataError(
                f"slice discovery: column {self.name!r} has values its first read did not see; "
                "the dataset changed while the check ran"
            )


def column_bins(scan: ColumnScan, n_bins: int, max_categories: int) -> ColumnBins:
    """The bins of one feature from its summary (module docstring)."""
    name, sk = scan.name, scan.sketch
    if sk is not None:
        if len(sk.keys) > n_bins:  # more than n_bins distinct values (or a bucketed sketch)
            return _numeric_bins(name, sk, n_bins)
        values = sk.at_level(0)[2]
        dt = pd.api.types.pandas_dtype(scan.dtype)
        cast = int if dt.kind in "iu" else dt.type if isinstance(dt, np.dtype) else float
        freq = sk.at_level(0)[1]
        return _categorical_bins(
            name, [cast(v) for v in values], freq, max_categories, sk.n_missing, numeric=True
        )
    keys = list(scan.counts)
    if scan.categories is not None:
        rank = {v: i for i, v in enumerate(scan.categories)}
        uniques = sorted(keys, key=lambda v: rank.get(v, len(rank)))
    else:
        uniques = list(pd.factorize(pd.Series(keys), sort=True)[1]) if keys else []
    freq = np.array([scan.counts[v] for v in uniques], dtype=np.int64)
    return _categorical_bins(name, uniques, freq, max_categories, scan.missing, numeric=False)


def _numeric_bins(name: str, sk: ValueSketch, n_bins: int) -> ColumnBins:
    edges = np.unique(sketch_quantiles(sk, np.linspace(0, 1, n_bins + 1)))
    inner = np.asarray(edges[1:-1], dtype=float)
    labels = []
    for a, b in itertools.pairwise([None, *inner.tolist(), None]):
        if a is None and b is None:
            labels.append(f"{name} (all)")
        elif a is None:
            labels.append(f"{name} < {_num(b)}")
        elif b is None:
            labels.append(f"{name} >= {_num(a)}")
        else:
            labels.append(f"{name} in [{_num(a)}, {_num(b)})")
    missing = -1
    if sk.n_missing:
        missing = len(labels)
        labels.append(f"{name} is missing")
    return ColumnBins(name, tuple(labels), inner, missing_code=missing, approximate=not sk.exact)


def _categorical_bins(name, uniques, freq, max_categories, n_missing, *, numeric) -> ColumnBins:
    labels = [f"{name}={v}" for v in uniques]
    remap = np.arange(len(labels), dtype=np.int32)
    if len(labels) > max_categories:
        keep = np.argsort(-np.asarray(freq), kind="stable")[: max_categories - 1]
        remap = np.full(len(labels), len(keep), dtype=np.int32)
        remap[keep] = np.arange(len(keep), dtype=np.int32)
        labels = [labels[i] for i in keep] + [f"{name}=other"]
    missing = -1
    if n_missing:
        missing = len(labels)
        labels.append(f"{name} is missing")
    return ColumnBins(
        name, tuple(labels), None, tuple(uniques), remap, numeric, missing_code=missing
    )


def scan_frame(frame: pd.DataFrame, columns: list[str]) -> list[ColumnScan]:
    """The summary of ``columns`` of one batch. Raises DataError for a missing column."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise DataError(f"slice discovery: columns {missing} are not in the dataset")
    return [ColumnScan.of(str(c), frame[c]) for c in columns]


def confidence_of(scores: Any) -> np.ndarray:
    """Each row's confidence: its largest class score."""
    return np.asarray(scores, dtype=float).max(axis=1)


def strata_edges(sketch: ValueSketch, strata: int) -> np.ndarray:
    """The inner cut points of ``strata`` confidence quantiles (tied quantiles merged), as the
    in-memory ``np.unique(np.quantile(c, linspace(0, 1, strata + 1))[1:-1])``."""
    if not sketch.n:
        return np.zeros(0)
    return np.unique(sketch_quantiles(sketch, np.linspace(0.0, 1.0, strata + 1))[1:-1])
