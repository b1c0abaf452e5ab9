"""The Poisson bootstrap of the ranking metrics (ROC AUC and average precision, binary or
one-vs-rest macro / weighted) in bounded memory: per-resample class counts over one shared
grid of score buckets per scored class, with a stated error, for ``metric_threshold`` with
``interval: poisson`` (docs/dask.md).

Why not :class:`~mlgate.stats.poisson.PoissonBootstrap`: its ranking state is the metric's
accumulator per resample, which keeps every distinct score with its weights, so it grows as
resamples × distinct scores (1,000 resamples of 10⁷ continuous scores: ~240 GB). Here the
scores are bucketed once, by a :class:`~mlgate.stats.sketches.ValueSketch` of every score (at
most ``capacity`` buckets over the float's bit pattern; the buckets do not depend on how the
rows are split), and each resample keeps only its Poisson-weighted count of positives and
negatives per bucket: ``(1 + resamples) × buckets`` integers per class however many rows
there are. The weights are :func:`~mlgate.stats.poisson.poisson_weights` of (key, row id,
resample), the same for every class, so the counts, and so every number below, are the same
bytes for any partitioning and merge order.

The error: pairs in different buckets are ordered by the buckets, pairs in a bucket of one
distinct value are ties; only the order inside a bucket of several values is unknown. ROC AUC
(as :mod:`mlgate.stats.auc_sketch`) counts such pairs ½, so a resample's AUC is within
``½ Σ_b p⁺_b p⁻_b`` over those buckets (its shares of each class) of its exact value. Average
precision treats such a bucket as one threshold and bounds the exact value between every
ordering of the bucket (:func:`_average_precision`). One-vs-rest averages the classes' values
and bounds alike. With at most ``capacity`` distinct scores every bucket is one value and the
error is 0.

The interval: the percentile interval of the sketched resample values, widened on each side by
the largest error of any resample, ``E``. Each sketched resample is within ``E`` of its exact
value, and a quantile moves by at most the largest move of its points, so the widened interval
contains the exact Poisson percentile interval: a verdict judged on it is never more confident
than the exact one would be.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mlgate.core.result import Interval, rounded
from mlgate.stats.accumulators import undefined
from mlgate.stats.evaluate import DEGENERATE_FLOOR, MetricEstimate
from mlgate.stats.poisson import MAX_RESAMPLES, METHOD, PoissonFold, poisson_weights
from mlgate.stats.sketches import ValueSketch, sortable_keys

__all__ = [
    "CAPACITY",
    "RANKED",
    "AucBootstrap",
    "AucFold",
    "RankBootstraps",
    "RankFold",
    "RankedMetric",
    "auc_estimate",
    "rank_estimate",
]

#: Score buckets of the shared grid. The state is (1 + resamples) × buckets × 2 int64 counts:
#: 1,000 resamples × 4,096 buckets = 66 MB at most, whatever the rows; up to 4,096 distinct
#: scores the AUC and its interval are exact.
CAPACITY = 1 << 12
#: Weights (rows × resamples) generated at once: bounds one update's memory (~16 MB).
_CHUNK = 2_000_000


def _shift(keys: np.ndarray, bits: int) -> np.ndarray:
    return keys >> np.uint64(bits) if bits < 64 else np.zeros_like(keys)


def _sum_runs(counts: np.ndarray, index: np.ndarray, width: int) -> np.ndarray:
    """``out[:, j]`` = the sum of the columns of ``counts`` whose ``index`` is ``j``
    (``index`` non-decreasing), for ``width`` columns."""
    out = np.zeros((counts.shape[0], width), dtype=np.int64)
    if index.size:
        starts = np.flatnonzero(np.concatenate([[True], index[1:] != index[:-1]]))
        out[:, index[starts]] = np.add.reduceat(counts, starts, axis=1)
    return out


@dataclass
class AucBootstrap:
    """A mergeable Poisson bootstrap of a binary ROC AUC (module docstring): ``grid``, the
    sketch of every score; ``positive`` / ``negative``, (1 + resamples, buckets) counts per
    grid bucket, row 0 the rows as they are (weight 1), row 1 + b resample b.

    ``update(row_ids, is_positive, scores)`` adds rows with stable ids (their positions in the
    dataset); ``merge`` adds another's (disjoint) rows; ``compute()`` gives per-row-0-and-
    resample AUCs and error bounds. Picklable, so partitions are folded where they live.

    Example::

        key = stream_key(0, "auc")
        boot = AucBootstrap(n_resamples=1000, key=key)
        for start, y, s in partitions:  # y: True for the positive class; s: its score
            rows = np.arange(start, start + len(y))
            boot = boot.merge(AucBootstrap(1000, key).update(rows, y, s))
        est, sketch = auc_estimate(boot, level=0.95)
    """

    n_resamples: int
    key: int
    capacity: int = CAPACITY
    grid: ValueSketch = field(init=False)
    positive: np.ndarray = field(init=False)
    negative: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        if not 1 <= self.n_resamples <= MAX_RESAMPLES:
            raise ValueError(f"n_resamples must be in [1, {MAX_RESAMPLES}], got {self.n_resamples}")
        self.grid = ValueSketch(self.capacity)
        self.positive = np.zeros((1 + self.n_resamples, 0), dtype=np.int64)
        self.negative = np.zeros((1 + self.n_resamples, 0), dtype=np.int64)

    @property
    def n_rows(self) -> int:
        return self.grid.n

    def update(self, row_ids: Any, is_positive: Any, scores: Any) -> AucBootstrap:
        """Add rows; returns ``self``. Raises ValueError for lengths that differ or a score
        that is not finite."""
        row_ids = np.asarray(row_ids, dtype=np.int64)
        positive = np.asarray(is_positive).astype(bool)
        scores = np.asarray(scores, dtype=float)
        if not len(row_ids) == len(positive) == len(scores):
            raise ValueError(
                f"roc_auc: {len(row_ids)} row ids, {len(positive)} labels, {len(scores)} scores"
            )
        if not np.isfinite(scores).all():
            raise ValueError("roc_auc needs finite scores")
        if not len(scores):
            return self
        part = AucBootstrap(self.n_resamples, self.key, self.capacity)
        part.grid = ValueSketch(self.capacity).update(scores)
        bucket = np.searchsorted(part.grid.keys, _shift(sortable_keys(scores), part.grid.level))
        order = np.argsort(bucket, kind="stable")
        nb = len(part.grid.keys)
        for side, mask in (("positive", positive), ("negative", ~positive)):
            rows = order[mask[order]]  # this class's rows, by bucket
            counts = np.zeros((1 + self.n_resamples, len(rows)), dtype=np.int64)
            counts[0] = 1
            step = max(1, _CHUNK // max(1, len(rows)))
            for first in range(0, self.n_resamples, step):
                ids = np.arange(first, min(self.n_resamples, first + step))
                counts[1 + ids] = poisson_weights(self.key, row_ids[rows], ids).T
            setattr(part, side, _sum_runs(counts, bucket[rows], nb))
        merged = self.merge(part)
        self.grid, self.positive, self.negative = merged.grid, merged.positive, merged.negative
        return self

    def merge(self, other: AucBootstrap) -> AucBootstrap:
        """A new bootstrap of the rows of both. Raises TypeError when the resamples, the key
        or the capacity differ (their counts would not line up)."""
        mine = (self.n_resamples, self.key, self.capacity)
        theirs = (other.n_resamples, other.key, other.capacity)
        if mine != theirs:
            raise TypeError(f"cannot merge an AUC bootstrap of {theirs} into one of {mine}")
        out = AucBootstrap(self.n_resamples, self.key, self.capacity)
        out.grid = self.grid.merge(other.grid)
        out.positive = self._on(out.grid, "positive") + other._on(out.grid, "positive")
        out.negative = self._on(out.grid, "negative") + other._on(out.grid, "negative")
        return out

    def _on(self, grid: ValueSketch, side: str) -> np.ndarray:
        """This side's counts moved onto ``grid`` (same or coarser buckets)."""
        keys = _shift(self.grid.keys, grid.level - self.grid.level)
        return _sum_runs(getattr(self, side), np.searchsorted(grid.keys, keys), len(grid.keys))

    def compute(self, curve: str = "roc_auc") -> tuple[np.ndarray, np.ndarray]:
        """(value, error bound) of ``curve`` (``roc_auc`` or ``average_precision``) for the
        rows (index 0) and each resample (1 + b): the exact value lies within the bound of the
        value; NaN where it is undefined (ROC AUC: a class without a weighted row; average
        precision: no positive)."""
        if curve == "average_precision":
            return _average_precision(self.positive, self.negative, self.grid)
        pos = self.positive.astype(float)
        neg = self.negative.astype(float)
        n_pos, n_neg = pos.sum(axis=1), neg.sum(axis=1)
        ok = (n_pos > 0) & (n_neg > 0)
        auc, error = np.full(len(pos), np.nan), np.full(len(pos), np.nan)
        p = pos[ok] / n_pos[ok, None]
        q = neg[ok] / n_neg[ok, None]
        below = np.cumsum(q, axis=1) - q  # negatives' share in lower buckets
        auc[ok] = np.sum(p * below, axis=1) + 0.5 * np.sum(p * q, axis=1)
        wide = self.grid.lows != self.grid.highs  # buckets of several distinct scores
        error[ok] = 0.5 * np.sum((p * q)[:, wide], axis=1)
        return auc, error


def _average_precision(
    positive: np.ndarray, negative: np.ndarray, grid: ValueSketch
) -> tuple[np.ndarray, np.ndarray]:
    """Average precision and its error bound from per-bucket class counts (ascending buckets).

    A bucket of one distinct score is one threshold, as scikit-learn treats ties: its ``p``
    positives share the precision ``(a + p) / (a + c + p + q)``, ``a`` / ``c`` the positives
    / negatives in higher buckets. In a bucket of several scores the order is unknown: the
    value is computed as if it were one threshold. However its scores are ordered and tied,
    its i-th positive's precision is ``TP / (TP + FP)`` at its threshold with ``i ≤ TP − a ≤
    p`` and ``c ≤ FP ≤ c + q``: at most ``(a + p) / (a + c + p)`` (every positive tied at the
    top) and at least ``(a + i) / (a + c + q + i)`` (every negative first), whose sum over i
    is a difference of digammas. The bound is the larger distance from the value to either
    sum. Weights are integers (Poisson counts), so a weighted row is that many rows."""
    from scipy.special import digamma

    pos = positive[:, ::-1].astype(float)  # descending scores
    neg = negative[:, ::-1].astype(float)
    a = np.cumsum(pos, axis=1) - pos
    c = np.cumsum(neg, axis=1) - neg
    total = pos.sum(axis=1)
    ok = total > 0
    value, error = np.full(len(pos), np.nan), np.full(len(pos), np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        tie = np.where(pos > 0, pos * (a + pos) / (a + c + pos + neg), 0.0)
        value[ok] = tie[ok].sum(axis=1) / total[ok]
        wide = (grid.lows != grid.highs)[::-1] & (pos > 0) & (neg > 0)
        if wide.any():
            first = pos * (a + pos) / (a + c + pos)
            last = pos - (c + neg) * (digamma(a + c + neg + pos + 1) - digamma(a + c + neg + 1))
            up = np.where(wide, first - tie, 0.0).sum(axis=1)
            down = np.where(wide, tie - last, 0.0).sum(axis=1)
            error[ok] = np.maximum(up[ok], down[ok]) / total[ok]
        else:
            error[ok] = 0.0
    return value, error


#: The ranking metrics folded on a grid: (curve, average over one-vs-rest classes).
RANKED = {
    "roc_auc": ("roc_auc", "macro"),
    "roc_auc_weighted": ("roc_auc", "weighted"),
    "average_precision": ("average_precision", "macro"),
    "average_precision_weighted": ("average_precision", "weighted"),
}


@dataclass
class RankBootstraps:
    """One :class:`AucBootstrap` per scored class (the positive class of a binary model, every
    class one-vs-rest otherwise), all keyed alike so a resample weights every class's rows
    with the same Poisson weights."""

    boots: tuple[AucBootstrap, ...]

    def merge(self, other: RankBootstraps) -> RankBootstraps:
        pairs = zip(self.boots, other.boots, strict=True)
        return RankBootstraps(tuple(a.merge(b) for a, b in pairs))

    @property
    def n_rows(self) -> int:
        return self.boots[0].n_rows

    @property
    def n_resamples(self) -> int:
        return self.boots[0].n_resamples

    def compute(self, metric: str) -> tuple[np.ndarray, np.ndarray]:
        """(value, error bound) of ``metric`` (a key of :data:`RANKED`) for the rows (index 0)
        and each resample: per class, then averaged as the metric says (macro: the mean, NaN
        if a class has none; weighted: by each class's weighted positives), the bounds alike."""
        from mlgate.stats.ranking import combine_columns

        curve, average = RANKED[metric]
        parts = [b.compute(curve) for b in self.boots]
        values = np.stack([v for v, _ in parts], axis=-1)
        errors = np.stack([e for _, e in parts], axis=-1)
        positives = np.stack([b.positive.sum(axis=1) for b in self.boots], axis=-1)
        value = combine_columns(values, positives.astype(float), average)  # type: ignore[arg-type]
        error = combine_columns(errors, positives.astype(float), average)  # type: ignore[arg-type]
        return value, error


@dataclass(frozen=True)
class RankedMetric:
    """One ranking metric of a :class:`RankBootstraps`, seen as a Poisson bootstrap is
    (``key``, ``n_resamples``, ``n_rows``, ``value()``, ``values()``) plus ``errors()``, each
    resample's error bound, so a paired comparison can widen what it concludes by them."""

    boots: RankBootstraps
    metric: str

    @property
    def key(self) -> int:
        return self.boots.boots[0].key

    @property
    def n_resamples(self) -> int:
        return self.boots.n_resamples

    @property
    def n_rows(self) -> int:
        return self.boots.n_rows

    def value(self) -> float:
        """The metric of every row. Raises UndefinedMetricError."""
        value = self.boots.compute(self.metric)[0][0]
        if np.isnan(value):
            undefined(f"{self.metric} needs rows of every scored class")
        return float(value)

    def values(self) -> np.ndarray:
        return self.boots.compute(self.metric)[0][1:]

    def errors(self) -> np.ndarray:
        return self.boots.compute(self.metric)[1][1:]


@dataclass(frozen=True)
class RankFold:
    """``fold(batch)`` → the :class:`RankBootstraps` of one batch (for ``ctx.fold``, merged with
    :meth:`RankBootstraps.merge`): labels and scores encoded by ``encoder`` (the check's
    :class:`~mlgate.stats.poisson.PoissonFold`); ``columns``, the scored classes' codes."""

    encoder: PoissonFold
    columns: tuple[int, ...]
    capacity: int = CAPACITY

    def __call__(self, batch: Any) -> RankBootstraps:
        e = self.encoder
        boots = tuple(AucBootstrap(e.n_resamples, e.key, self.capacity) for _ in self.columns)
        if len(batch):
            y, scores = e.encode(batch.y, batch.predictions)
            rows = np.arange(batch.start, batch.stop)
            for boot, c in zip(boots, self.columns, strict=True):
                boot.update(rows, y == c, scores[:, c])
        return RankBootstraps(boots)


def auc_estimate(
    boot: AucBootstrap, *, level: float = 0.95
) -> tuple[MetricEstimate, dict[str, Any]]:
    """The binary ROC AUC and its widened Poisson percentile interval (module docstring) as a
    :class:`~mlgate.stats.evaluate.MetricEstimate`, and the sketch's evidence
    (:func:`rank_estimate` of one class)."""
    return rank_estimate(RankBootstraps((boot,)), "roc_auc", level=level)


def rank_estimate(
    boots: RankBootstraps, metric: str, *, level: float = 0.95
) -> tuple[MetricEstimate, dict[str, Any]]:
    """``metric`` (a key of :data:`RANKED`) and its widened Poisson percentile interval
    (module docstring) as a :class:`~mlgate.stats.evaluate.MetricEstimate`, and the sketch's
    evidence: ``sketch_exact``, ``sketch_buckets`` (the largest of the classes' grids),
    ``sketch_max_error`` (of the value) and ``interval_widened_by`` (``E``).

    A zero-width interval on fewer than ``DEGENERATE_FLOOR`` rows is no interval (as for the
    multinomial bootstrap). Raises UndefinedMetricError when the metric has no value on the
    rows (a class without rows)."""
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must be in (0, 1), got {level}")
    value, error = boots.compute(metric)
    if np.isnan(value[0]):
        undefined(
            "ROC AUC needs both a positive and a negative row"
            if len(boots.boots) == 1 and RANKED[metric][0] == "roc_auc"
            else f"{metric} needs rows of every scored class"
        )
    values, errors = value[1:], error[1:]
    defined = ~np.isnan(values)
    n, n_undefined = boots.n_rows, int((~defined).sum())
    widen = float(errors[defined].max()) if defined.any() else 0.0
    exact = all(b.grid.exact for b in boots.boots)
    buckets = max(len(b.grid.keys) for b in boots.boots)
    scheme = (
        "poisson-rows (counter-based weights); exact class counts per distinct score"
        if exact
        else f"poisson-rows (counter-based weights); class counts in {buckets} "
        f"score buckets, interval widened by the largest resample error {widen:.3g}"
    )
    interval, reason = None, ""
    if defined.any():
        alpha = (1.0 - level) / 2.0
        low, high = np.quantile(values[defined], [alpha, 1.0 - alpha])
        interval = Interval(
            max(0.0, float(low) - widen), min(1.0, float(high) + widen), level, METHOD
        )
        if interval.low == interval.high and n < DEGENERATE_FLOOR:
            interval = None
            reason = (
                f"every resample of {n} rows gave {metric} = {value[0]:.4g}: a bootstrap this "
                f"degenerate is no {level:.0%} interval; evaluate on at least "
                f"{DEGENERATE_FLOOR} rows"
            )
    else:
        reason = "undefined on every resample"
    est = MetricEstimate(
        metric, float(value[0]), n, interval, boots.n_resamples, n_undefined, scheme, reason
    )
    evidence = {
        "sketch_exact": exact,
        "sketch_buckets": buckets,
        "sketch_max_error": rounded(error[0], significant=True),
        "interval_widened_by": rounded(widen, significant=True),
    }
    return est, evidence


@dataclass(frozen=True)
class AucFold:
    """``fold(batch)`` → the :class:`AucBootstrap` of one batch's rows (for ``ctx.fold``,
    merged with :meth:`AucBootstrap.merge`): labels and scores encoded by ``encoder`` (the
    :class:`~mlgate.stats.poisson.PoissonFold` of the check, which fixes the classes and
    names the model and dataset in its errors); the positive class is the last."""

    encoder: PoissonFold
    capacity: int = CAPACITY

    def __call__(self, batch: Any) -> AucBootstrap:
        e = self.encoder
        boot = AucBootstrap(e.n_resamples, e.key, self.capacity)
        if len(batch):
            y, scores = e.encode(batch.y, batch.predictions)
            boot.update(np.arange(batch.start, batch.stop), y == 1, scores[:, 1])
        return boot
