"""Paired comparisons of two models from Poisson bootstraps that share a key, so a comparison
of candidate and champion (or a baseline) folds batches like a single metric does.

The weight of row ``r`` in resample ``b`` of :mod:`mlgate.stats.poisson` is a function of
(key, r, b) alone. Two :class:`~mlgate.stats.poisson.PoissonBootstrap` s with the same key, one
fed the candidate's output and one the reference's on the same rows (the same row ids), weight
every row identically in resample ``b``: resample ``b`` of the two is one bootstrap sample of
the pairs (candidate output, reference output, label). So the per-resample difference
``candidate_b − reference_b`` is the paired bootstrap of the difference, although the two
models were folded separately (one :meth:`GateContext.fold` reads one model's predictions),
in any partitioning and merge order. Correlated models then give a narrow interval of their
difference, as the multinomial paired bootstrap does (:func:`mlgate.stats.evaluate.compare`).

Mean losses (log loss, Brier, MAE, RMSE, MAPE, pinball) are folded with exact sums
(:class:`ExactMeanLoss`): each loss is an integer mantissa times a power of two, summed as
integers per exponent, so a resample's total does not depend on the order the rows were added
and the interval is the same bytes for any partitioning (a float sum is not: another batching
adds in another order). Counting metrics (accuracy, precision, recall, F1) already sum
integer weights. R² keeps its float accumulator.

What cannot fold this way: tests that need the pair of outputs of one row together (McNemar's
discordant counts, DeLong's paired placements); under a Poisson interval the comparison is the
paired Poisson bootstrap of every metric. Metrics whose accumulator keeps every distinct score
(the ranking metrics: ROC AUC, average precision) do fold, but their state grows with the rows
(:func:`grows_with_rows`), so checks declare that they need every row for them.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from mlgate.core.result import Interval, rounded
from mlgate.stats.accumulators import undefined
from mlgate.stats.evaluate import Comparison
from mlgate.stats.losses import MeanLossAccumulator
from mlgate.stats.metrics import MetricDef, get_metric
from mlgate.stats.paired import bootstrap_p_greater
from mlgate.stats.poisson import METHOD, PoissonBootstrap, PoissonFold, poisson_weights
from mlgate.stats.ranking import ScoreAccumulator

__all__ = [
    "ExactMeanLoss",
    "ExactSum",
    "FoldEach",
    "PairedFold",
    "grows_with_rows",
    "merge_each",
    "merge_one",
    "paired_poisson",
]

_HALF = 26
_MASK = (1 << _HALF) - 1
#: Weights (rows × resamples) generated at once, as in mlgate.stats.poisson (~16 MB).
_CHUNK = 2_000_000


def _mantissas(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(int64 mantissas, exponents) with x = mantissa · 2**(exponent − 53), exactly."""
    mantissa, exponent = np.frexp(np.asarray(x, dtype=float))
    return np.ldexp(mantissa, 53).astype(np.int64), exponent


def _to_float(parts: dict[int, Any]) -> Any:
    """The float(s) of exact sums held as {exponent: integer(s)} (rounded once per value)."""
    low = min(parts)
    total = sum(m * (1 << (e - low)) for e, m in parts.items())
    if isinstance(total, np.ndarray):
        return np.array([math.ldexp(float(t), low - 53) for t in total])
    return math.ldexp(float(total), low - 53)


class ExactSum:
    """The exact sum of floats, mergeable in any order: the mantissas are summed as Python
    integers per exponent, so the sum (rounded once, at the end) does not depend on how the
    values were split. Raises ValueError for a NaN or infinite value."""

    def __init__(self, values: Any = ()) -> None:
        self.parts: dict[int, int] = {}
        x = np.asarray(values, dtype=float).ravel()
        if not len(x):
            return
        if not np.isfinite(x).all():
            raise ValueError("an exact sum met a NaN or infinite value")
        ints, exponent = _mantissas(x)
        for e in np.unique(exponent):
            chosen = ints[exponent == e]  # int64 sums of 27-bit halves: exact
            self.parts[int(e)] = (int((chosen >> _HALF).sum()) << _HALF) + int(
                (chosen & _MASK).sum()
            )

    def merge(self, other: ExactSum) -> ExactSum:
        out = ExactSum()
        out.parts = dict(self.parts)
        for e, m in other.parts.items():
            out.parts[e] = out.parts.get(e, 0) + m
        return out

    def value(self) -> float:
        """The sum, correctly rounded to a float."""
        return _to_float(self.parts) if self.parts else 0.0


class ExactMeanLoss:
    """A Poisson bootstrap of a mean loss (:class:`~mlgate.stats.losses.MeanLossAccumulator`
    metrics) whose sums are exact, so the same rows give the same bytes in any split and
    order. Same interface as :class:`~mlgate.stats.poisson.PoissonBootstrap`."""

    def __init__(self, metric: str, k: int, *, n_resamples: int, key: int) -> None:
        acc = get_metric(metric).accumulator(k)
        if not isinstance(acc, MeanLossAccumulator):
            raise TypeError(f"{metric} is not a mean loss")
        self.metric, self.k, self.n_resamples, self.key = metric, k, n_resamples, key
        self.loss, self.root = acc.loss, acc.root
        self.n_rows, self.infinite = 0, False
        self.point = ExactSum()
        self.sums: dict[int, np.ndarray] = {}  # exponent → per-resample integers (object)
        self.weights = np.zeros(n_resamples, dtype=np.int64)

    def update(self, row_ids: Any, y: Any, output: Any) -> ExactMeanLoss:
        """Add rows; returns ``self``."""
        row_ids = np.asarray(row_ids, dtype=np.int64)
        if not len(row_ids):
            return self
        losses = np.asarray(self.loss(np.asarray(y), np.asarray(output), self.k), dtype=float)
        self.n_rows += len(losses)
        if not np.isfinite(losses).all():  # e.g. a percentage error of a zero target
            self.infinite = True
            losses = np.where(np.isfinite(losses), losses, 0.0)
        self.point = self.point.merge(ExactSum(losses))
        ints, exponent = _mantissas(losses)
        groups = [(int(e), exponent == e) for e in np.unique(exponent)]
        step = max(1, _CHUNK // len(losses))
        for first in range(0, self.n_resamples, step):
            ids = np.arange(first, min(self.n_resamples, first + step))
            w = poisson_weights(self.key, row_ids, ids).astype(np.int64)
            self.weights[ids] += w.sum(axis=0)
            for e, rows in groups:
                chosen, wg = ints[rows], w[rows]
                hi, lo = (chosen >> _HALF) @ wg, (chosen & _MASK) @ wg
                exact = hi.astype(object) * (1 << _HALF) + lo.astype(object)
                into = self.sums.setdefault(e, np.zeros(self.n_resamples, dtype=object))
                into[ids] += exact
        return self

    def merge(self, other: ExactMeanLoss) -> ExactMeanLoss:
        """A new bootstrap holding the rows of both. Raises TypeError when not alike."""
        mine = (self.metric, self.k, self.n_resamples, self.key)
        theirs = (other.metric, other.k, other.n_resamples, other.key)
        if mine != theirs:
            raise TypeError(f"cannot merge an exact mean loss of {theirs} into one of {mine}")
        out = object.__new__(ExactMeanLoss)
        out.__dict__.update(self.__dict__)
        out.n_rows, out.infinite = self.n_rows + other.n_rows, self.infinite or other.infinite
        out.point = self.point.merge(other.point)
        out.weights = self.weights + other.weights
        out.sums = {e: v.copy() for e, v in self.sums.items()}
        for e, v in other.sums.items():
            out.sums[e] = out.sums[e] + v if e in out.sums else v.copy()
        return out

    def _finish(self, mean: Any) -> Any:
        return np.sqrt(mean) if self.root else mean

    def value(self) -> float:
        """The mean loss of every row added. Raises UndefinedMetricError."""
        if not self.n_rows:
            undefined(f"{self.metric} of no rows")
        if self.infinite:
            undefined(f"{self.metric} is infinite on some row")
        return float(self._finish(self.point.value() / self.n_rows))

    def values(self) -> np.ndarray:
        """The mean loss of each resample, NaN where it is undefined."""
        out = np.full(self.n_resamples, np.nan)
        if self.infinite or not self.sums:
            return out
        totals = _to_float(self.sums)
        ok = self.weights > 0
        out[ok] = self._finish(totals[ok] / self.weights[ok])
        return out


def make_bootstrap(metric: str, k: int, *, n_resamples: int, key: int) -> Any:
    """A Poisson bootstrap of ``metric`` whose merge is exact and order-free: a mean loss in
    exact sums (:class:`ExactMeanLoss`), any other metric as
    :class:`~mlgate.stats.poisson.PoissonBootstrap` (counts: exact; R²: float sums)."""
    if isinstance(get_metric(metric).accumulator(k), MeanLossAccumulator):
        return ExactMeanLoss(metric, k, n_resamples=n_resamples, key=key)
    return PoissonBootstrap(metric, k, n_resamples=n_resamples, key=key)


@dataclass(frozen=True)
class PairedFold(PoissonFold):
    """A :class:`~mlgate.stats.poisson.PoissonFold` that folds a mean loss with exact sums
    (:class:`ExactMeanLoss`), so every non-ranking metric but R² is the same bytes in any
    partitioning; other metrics as the Poisson fold does."""

    def __call__(self, batch: Any) -> Any:
        boot = make_bootstrap(self.metric, self.k, n_resamples=self.n_resamples, key=self.key)
        if len(batch):
            y, output = self.encode(batch.y, batch.predictions)
            boot.update(np.arange(batch.start, batch.stop), y, output)
        return boot


def merge_one(a: Any, b: Any) -> Any:
    """``a.merge(b)``, as a picklable function."""
    return a.merge(b)


#: How the resamples were drawn, as the evidence says it.
SCHEME = "poisson-rows (counter-based weights), the same weights for both models"


@dataclass(frozen=True)
class FoldEach:
    """``fold(batch)`` → the tuple of each of ``folds`` of the batch: several Poisson folds of
    the same model's batches in one pass (picklable when every fold is)."""

    folds: tuple[Callable[[Any], Any], ...]

    def __call__(self, batch: Any) -> tuple[Any, ...]:
        return tuple(fold(batch) for fold in self.folds)


def merge_each(a: tuple[Any, ...], b: tuple[Any, ...]) -> tuple[Any, ...]:
    """Merge two tuples of :class:`FoldEach` states element by element."""
    return tuple(x.merge(y) for x, y in zip(a, b, strict=True))


def grows_with_rows(metric: MetricDef) -> bool:
    """Whether the metric's accumulator keeps every distinct score (so a Poisson bootstrap of
    it holds resamples × distinct scores: it folds, but not in bounded memory)."""
    return isinstance(metric.accumulator(2), ScoreAccumulator)


def paired_poisson(
    metric: MetricDef,
    candidate: PoissonBootstrap | ExactMeanLoss,
    reference: PoissonBootstrap | ExactMeanLoss,
    *,
    boundary: float,
    level: float,
    relative: bool = False,
) -> Comparison:
    """The improvement of ``candidate`` over ``reference`` (positive = candidate better,
    whatever the metric's direction) with its paired Poisson percentile interval and one-sided
    p-value of H0: improvement ≤ ``boundary``.

    ``relative``: the improvement is sign·(candidate / reference − 1) per resample (a share of
    the reference's metric), undefined where the reference's resample is not positive.
    Raises UndefinedMetricError when the metric is undefined for either model on the rows, and
    ValueError when the two bootstraps are not paired (different key, resamples or rows).
    """
    same = (candidate.key, candidate.n_resamples, candidate.n_rows)
    other = (reference.key, reference.n_resamples, reference.n_rows)
    if same != other:
        raise ValueError(
            f"{metric.name}: the two Poisson bootstraps are not paired (key, resamples, rows "
            f"{same} vs {other}): fold both models over the same rows with the same key"
        )
    cand, ref = candidate.value(), reference.value()
    sign = 1.0 if metric.higher_is_better else -1.0
    n = candidate.n_rows
    kind = "of the ratio" if relative else "of the difference"
    common: dict[str, Any] = {
        "metric": metric.name,
        "candidate": cand,
        "reference": ref,
        "boundary": boundary,
        "test": f"paired Poisson bootstrap (percentile) {kind}",
        "n": n,
    }
    details: dict[str, Any] = {"relative": True} if relative else {}
    if relative and not ref > 0:
        why = f"the reference's {metric.name} is {ref:g}: no share of it is a margin"
        return Comparison(
            **common,
            improvement=float("nan"),
            interval=None,
            se=None,
            p_value=None,
            details={**details, "no_interval": why},
        )
    a, b = candidate.values(), reference.values()
    if relative:
        with np.errstate(divide="ignore", invalid="ignore"):
            values = np.where(b > 0, sign * (a / b - 1.0), np.nan)
        improvement = sign * (cand / ref - 1.0)
    else:
        values = sign * (a - b)
        improvement = sign * (cand - ref)
    lowest, widen = values, (0.0, 0.0)
    if hasattr(candidate, "errors"):  # sketched ranking metrics: each resample within a bound
        lowest, widen = _sketch_bounds(values, candidate, reference, sign, relative)
        if any(widen):
            details["interval_widened_by"] = [rounded(w, significant=True) for w in widen]
    defined = values[np.isfinite(values)]
    interval = None
    if len(defined):
        alpha = (1.0 - level) / 2.0
        low, high = np.quantile(defined, [alpha, 1.0 - alpha])
        interval = Interval(
            float(low) - widen[0], float(high) + widen[1], level, f"paired-{METHOD}"
        )
    return Comparison(
        **common,
        improvement=improvement,
        interval=interval,
        se=float(defined.std(ddof=1)) if len(defined) > 1 else None,
        p_value=bootstrap_p_greater(lowest, boundary),
        details={
            **details,
            "n_resamples": candidate.n_resamples,
            "undefined_resamples": int(len(values) - len(defined)),
            "resampling": SCHEME,
            **({} if len(defined) else {"no_interval": "undefined on every resample"}),
        },
    )


def _sketch_bounds(
    values: np.ndarray, candidate: Any, reference: Any, sign: float, relative: bool
) -> tuple[np.ndarray, tuple[float, float]]:
    """(each resample's least possible improvement, how far to widen the interval down and up)
    when each model's resample value ``v`` is known only within ``v ± e``
    (:class:`~mlgate.stats.rank_poisson.RankedMetric`): a difference moves by at most
    ``e_c + e_r``; a ratio ``c / r`` lies in ``[(c − e_c) / (r + e_r), (c + e_c) / (r − e_r)]``.
    The p-value is taken on the least improvements, so it is never smaller than the exact one;
    each side of the interval moves by the largest move of its points (as a quantile does)."""
    a, b = candidate.values(), reference.values()
    ea, eb = candidate.errors(), reference.errors()
    if relative:
        with np.errstate(divide="ignore", invalid="ignore"):
            r_lo = (a - ea) / (b + eb)
            r_hi = np.where(b - eb > 0, (a + ea) / (b - eb), np.inf)
        lo, hi = (r_lo - 1.0, r_hi - 1.0) if sign > 0 else (1.0 - r_hi, 1.0 - r_lo)
    else:
        lo, hi = values - (ea + eb), values + (ea + eb)
    ok = np.isfinite(values)
    if not ok.any():
        return values, (0.0, 0.0)
    down = float(np.max(values[ok] - lo[ok]))
    up = float(np.max(hi[ok] - values[ok]))
    return np.where(ok, lo, values), (down, up)
