"""The Poisson bootstrap: bootstrap intervals without resampling rows, so partitioned data
gives the same interval however it is partitioned.

The ordinary (multinomial) bootstrap draws n row indices with replacement per resample: it
needs every row in one place. The Poisson bootstrap gives each row an independent weight
``w ~ Poisson(1)`` per resample instead, which is the multinomial's large-n limit (Hanley &
MacGibbon 2006, "Creating non-parametric bootstrap samples using Poisson frequencies",
Comput. Methods Programs Biomed. 83:57-62; Chamandy, Muralidharan, Najmi & Naidu 2012,
"Estimating uncertainty for massive data streams", Google technical report). Each resample
is then a weighted metric state (:mod:`mlgate.stats.accumulators` take ``sample_weight``),
states of partitions merge by addition, and nothing ever moves a row.

The weights come from a counter-based generator: the weight of row ``r`` in resample ``b`` is
a function of (key, r, b) only, where ``key`` is derived from the run seed and the check. So
the same rows get the same weights whether they arrive in one batch or in a thousand
partitions, in any order, on any worker: the interval is identical, not merely similar.

The generator is SplitMix64 (Steele, Lea & Flood 2014, "Fast splittable pseudorandom number
generators", OOPSLA; reference code by S. Vigna), read at position ``r * 2**17 + b`` of the
stream seeded with ``key``: the i-th output is ``mix(key + (i + 1) * 0x9E3779B97F4A7C15)``, so
any position is computed directly, vectorised over rows and resamples. Its 64-bit outputs are
turned into Poisson(1) counts by the inverse CDF on integer thresholds (exact to 2**-64).

Cost: every resample touches every row, O(rows × resamples) per pass (the multinomial
bootstrap over cells is cheaper for one machine's data; this one is the one that distributes).
"""

from __future__ import annotations

import contextlib
import hashlib
import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

from mlgate.core.result import Interval
from mlgate.stats.accumulators import Accumulator, UndefinedMetricError
from mlgate.stats.confusion import proportion_of
from mlgate.stats.evaluate import DEGENERATE_FLOOR, MetricEstimate
from mlgate.stats.intervals import wilson_interval
from mlgate.stats.metrics import get_metric

__all__ = [
    "MAX_RESAMPLES",
    "PoissonBootstrap",
    "poisson_estimate",
    "poisson_weights",
    "splitmix64_at",
    "stream_key",
]

#: Resamples per row a stream has room for: the counter of (row, resample) is
#: ``row * 2**17 + resample``, so rows up to 2**47 (1.4e14) and resamples up to 131,072
#: (the registry's ``Resamples`` allow 100,000).
RESAMPLE_BITS = 17
MAX_RESAMPLES = 1 << RESAMPLE_BITS
MAX_ROWS = 1 << (64 - RESAMPLE_BITS)
#: The method string intervals of this module carry.
METHOD = "poisson-bootstrap-percentile"
#: Weights (rows × resamples) generated at once: bounds the memory of one update to ~16 MB.
_CHUNK = 2_000_000

_GAMMA = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)


def _poisson1_thresholds() -> np.ndarray:
    """``T[k] = floor(P(X <= k) * 2**64)`` for X ~ Poisson(1), while it is below 2**64: a
    uniform 64-bit ``u`` maps to the number of thresholds at or below it."""
    out, cdf, term, k = [], 0.0, math.exp(-1.0), 0
    while True:
        cdf += term
        t = int(cdf * 2.0**64)
        if t >= 2**64:
            return np.array(out, dtype=np.uint64)
        out.append(t)
        k += 1
        term /= k


_THRESHOLDS = _poisson1_thresholds()


def stream_key(seed: int, name: str) -> int:
    """The 64-bit key of the weight stream of check ``name`` in a run seeded with ``seed``:
    a BLAKE2b digest, so keys of different checks (or seeds) are unrelated."""
    digest = hashlib.blake2b(f"{int(seed)}\x1f{name}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "little")


def splitmix64_at(key: int, positions: np.ndarray) -> np.ndarray:
    """The outputs of SplitMix64 seeded with ``key`` at ``positions`` (0-based, uint64):
    ``splitmix64_at(1234567, [0, 1])`` is the reference stream's first two outputs,
    6457827717110365317 and 3203168211198807973."""
    z = np.asarray(positions, dtype=np.uint64) + np.uint64(1)
    with np.errstate(over="ignore"):
        z = np.uint64(key & 0xFFFFFFFFFFFFFFFF) + z * _GAMMA
        z = (z ^ (z >> np.uint64(30))) * _M1
        z = (z ^ (z >> np.uint64(27))) * _M2
    return z ^ (z >> np.uint64(31))


def poisson_weights(key: int, rows: Any, resamples: Any) -> np.ndarray:
    """Poisson(1) weights, (len(rows), len(resamples)) uint8: the weight of row id ``r`` in
    resample ``b`` depends on (key, r, b) alone. Raises ValueError for a row id outside
    [0, 2**47) or a resample outside [0, 2**17)."""
    rows = np.asarray(rows, dtype=np.int64)
    resamples = np.asarray(resamples, dtype=np.int64)
    if len(rows) and (rows.min() < 0 or rows.max() >= MAX_ROWS):
        raise ValueError(f"row ids must be in [0, 2**{64 - RESAMPLE_BITS}), got {rows.min()}..")
    if len(resamples) and (resamples.min() < 0 or resamples.max() >= MAX_RESAMPLES):
        raise ValueError(f"resamples must be in [0, {MAX_RESAMPLES}), got {resamples.max()}")
    positions = (rows.astype(np.uint64)[:, None] << np.uint64(RESAMPLE_BITS)) | resamples.astype(
        np.uint64
    )[None, :]
    u = splitmix64_at(key, positions.ravel())
    return np.searchsorted(_THRESHOLDS, u, side="right").astype(np.uint8).reshape(positions.shape)


class PoissonBootstrap:
    """A mergeable Poisson bootstrap of one metric: the metric's accumulator over the rows as
    they are (the estimate) and one per resample over the rows weighted by that resample's
    Poisson(1) weights.

    ``update(row_ids, y, output)`` adds rows (encoded as :mod:`mlgate.stats.metrics` expects,
    with stable ids: a row's position in the dataset); ``merge`` adds another's rows (disjoint
    rows: a row given twice is counted twice); ``values()`` is the metric per resample (NaN
    where undefined). Picklable, so partitions can be folded where they live.

    Example::

        boot = PoissonBootstrap("accuracy", k=2, n_resamples=1000, key=stream_key(0, "acc"))
        for start, y, pred in partitions:
            boot.update(np.arange(start, start + len(y)), y, pred)
        low, high = np.nanquantile(boot.values(), [0.025, 0.975])
    """

    def __init__(self, metric: str, k: int, *, n_resamples: int, key: int) -> None:
        if not 1 <= n_resamples <= MAX_RESAMPLES:
            raise ValueError(f"n_resamples must be in [1, {MAX_RESAMPLES}], got {n_resamples}")
        self.metric, self.k, self.n_resamples, self.key = metric, k, n_resamples, key
        make = get_metric(metric).accumulator
        self.point: Accumulator = make(k)
        self.resamples: list[Accumulator] = [make(k) for _ in range(n_resamples)]
        self.n_rows = 0

    def update(self, row_ids: Any, y: Any, output: Any) -> PoissonBootstrap:
        """Add rows; returns ``self``. Raises ValueError when the lengths differ."""
        row_ids = np.asarray(row_ids, dtype=np.int64)
        y, output = np.asarray(y), np.asarray(output)
        if not len(row_ids) == len(y) == len(output):
            raise ValueError(
                f"{self.metric}: {len(row_ids)} row ids, {len(y)} labels, {len(output)} outputs"
            )
        if not len(y):
            return self
        self.point.update(y, output)
        self.n_rows += len(y)
        step = max(1, _CHUNK // len(y))
        for first in range(0, self.n_resamples, step):
            ids = np.arange(first, min(self.n_resamples, first + step))
            weights = poisson_weights(self.key, row_ids, ids)
            for j, b in enumerate(ids):
                self.resamples[b].update(y, output, sample_weight=weights[:, j])
        return self

    def merge(self, other: PoissonBootstrap) -> PoissonBootstrap:
        """A new bootstrap holding the rows of both. Raises TypeError when the metric, the
        classes, the resamples or the key differ (their resamples would not line up)."""
        mine = (self.metric, self.k, self.n_resamples, self.key)
        theirs = (other.metric, other.k, other.n_resamples, other.key)
        if mine != theirs:
            raise TypeError(f"cannot merge a Poisson bootstrap of {theirs} into one of {mine}")
        merged = object.__new__(PoissonBootstrap)
        merged.__dict__.update(self.__dict__)
        merged.point = self.point.merge(other.point)
        pairs = zip(self.resamples, other.resamples, strict=True)
        merged.resamples = [a.merge(b) for a, b in pairs]
        merged.n_rows = self.n_rows + other.n_rows
        return merged

    def value(self) -> float:
        """The metric of every row added. Raises UndefinedMetricError."""
        return self.point.compute()

    def values(self) -> np.ndarray:
        """The metric on each resample, NaN where it is undefined."""
        out = np.full(self.n_resamples, np.nan)
        for b, acc in enumerate(self.resamples):
            with contextlib.suppress(UndefinedMetricError):
                out[b] = acc.compute()
        return out

    def __repr__(self) -> str:
        return (
            f"PoissonBootstrap({self.metric!r}, k={self.k}, n_resamples={self.n_resamples}, "
            f"rows={self.n_rows})"
        )


@dataclass(frozen=True)
class PoissonParts:
    """What :func:`poisson_estimate` reads from one batch: stable row ids, encoded labels and
    the metric's encoded model output."""

    row_ids: np.ndarray
    y: np.ndarray
    output: np.ndarray


def poisson_estimate(boot: PoissonBootstrap, *, level: float = 0.95) -> MetricEstimate:
    """The metric and its percentile interval from a (merged) :class:`PoissonBootstrap`, as a
    :class:`~mlgate.stats.evaluate.MetricEstimate` like the multinomial bootstrap's.

    Undefined resamples are counted and left out. A zero-width interval is treated as the
    multinomial bootstrap's is (:func:`mlgate.stats.evaluate.estimate`): a proportion gets
    its Wilson interval, another metric on fewer than ``DEGENERATE_FLOOR`` rows none.
    Raises UndefinedMetricError when the metric has no value on the rows, ValueError for a
    level outside (0, 1).
    """
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must be in (0, 1), got {level}")
    value = boot.value()
    values = boot.values()
    defined = values[~np.isnan(values)]
    n, n_undefined = boot.n_rows, len(values) - len(defined)
    scheme, reason = "poisson-rows (counter-based weights)", ""
    interval: Interval | None = None
    if len(defined):
        alpha = (1.0 - level) / 2.0
        low, high = np.quantile(defined, [alpha, 1.0 - alpha])
        interval = Interval(float(low), float(high), level, METHOD)
    else:
        reason = "undefined on every resample"
    if interval is not None and interval.low == interval.high:
        counts = getattr(boot.point, "state", {}).get("counts")
        proportion = proportion_of(boot.metric, counts) if counts is not None else None
        if proportion is not None:
            interval = wilson_interval(*proportion, level)
            scheme = f"{scheme}; wilson (the bootstrap was degenerate)"
        elif n < DEGENERATE_FLOOR:
            interval = None
            reason = (
                f"every resample of {n} rows gave {boot.metric} = {value:.4g}: a bootstrap "
                f"this degenerate is no {level:.0%} interval; evaluate on at least "
                f"{DEGENERATE_FLOOR} rows"
            )
    return MetricEstimate(
        boot.metric, value, n, interval, boot.n_resamples, n_undefined, scheme, reason
    )


def poisson_bootstrap(
    parts: Iterable[PoissonParts], metric: str, k: int, *, n_resamples: int, key: int
) -> PoissonBootstrap:
    """Fold ``parts`` (in any order, any split) into one :class:`PoissonBootstrap`."""
    boot = PoissonBootstrap(metric, k, n_resamples=n_resamples, key=key)
    for part in parts:
        boot.update(part.row_ids, part.y, part.output)
    return boot


@dataclass(frozen=True)
class PoissonFold:
    """``fold(batch)`` → the :class:`PoissonBootstrap` of one batch's rows: a picklable
    function an engine can run where a partition lives (``ctx.fold``), merged with
    :meth:`PoissonBootstrap.merge`.

    ``classes`` fixes the label encoding for every batch (None for a regression metric): a
    batch alone cannot say which classes exist (see :func:`fold_classes`). Row ids are the
    rows' positions in the dataset (``batch.start`` onwards), which do not depend on how the
    dataset is split. Raises DataError for a label outside ``classes`` and for a metric that
    needs scores from a model that gives only labels.
    """

    metric: str
    k: int
    classes: tuple[Any, ...] | None
    n_resamples: int
    key: int
    model: str = "candidate"
    dataset: str = "evaluation"

    def __call__(self, batch: Any) -> PoissonBootstrap:
        boot = PoissonBootstrap(self.metric, self.k, n_resamples=self.n_resamples, key=self.key)
        if len(batch):
            y, output = self.encode(batch.y, batch.predictions)
            boot.update(np.arange(batch.start, batch.stop), y, output)
        return boot

    def encode(self, labels: Any, preds: Any) -> tuple[np.ndarray, np.ndarray]:
        """(y, output) of one batch in the fold's fixed encoding."""
        from mlgate.stats.metrics import encode_labels
        from mlgate.stats.scoring import known_labels, output_of

        metric = get_metric(self.metric)
        out = output_of(preds, metric, self.model)
        if metric.needs == "values" or self.classes is None:
            return np.asarray(labels, dtype=float), np.asarray(out, dtype=float)
        y = known_labels(labels, self.classes, model=self.model, dataset=self.dataset)
        if metric.needs == "labels":
            return y, encode_labels(out, self.classes)
        scores = np.asarray(out, dtype=float)
        if preds.classes is not None:
            scores = scores[:, encode_labels(self.classes, preds.classes)]
        return y, scores


@dataclass(frozen=True)
class SeenLabels:
    """Which classes a :class:`PoissonFold` encodes with, found by a fold of its own
    (``ctx.fold(model, dataset, SeenLabels.of, SeenLabels.merge).resolve(...)``): the model's
    own classes when its predictions carry them, else every label and predicted label seen."""

    classes: tuple[Any, ...] | None
    seen: frozenset[Any]

    @classmethod
    def of(cls, batch: Any) -> SeenLabels:
        preds = batch.predictions
        if preds is not None and preds.classes is not None:
            return cls(tuple(preds.classes), frozenset())
        labels = [] if preds is None or preds.labels is None else np.asarray(preds.labels)
        y = [] if batch.y is None else np.asarray(batch.y)
        return cls(None, frozenset(np.asarray(y).tolist()) | frozenset(np.asarray(labels).tolist()))

    def merge(self, other: SeenLabels) -> SeenLabels:
        return SeenLabels(self.classes or other.classes, self.seen | other.seen)

    def resolve(self, declared: Any = None, *, binary: bool = False, where: str = "") -> tuple:
        """``declared`` (the gate file's classes), else the model's, else the seen labels
        sorted like scikit-learn's. Raises DataError when ``binary`` and there are not two."""
        from mlgate.core.errors import DataError
        from mlgate.stats.scoring import seen_classes

        classes = tuple(declared) if declared else self.classes or seen_classes(list(self.seen))
        if binary and len(classes) != 2:
            raise DataError(
                f"binary task, but {where or 'the data'} shows classes {list(classes)}; declare "
                "both under models.<name>.classes (the last one is the positive class)"
            )
        return classes
