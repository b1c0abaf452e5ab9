"""One model's metric and its Poisson bootstrap interval, folded from batches: the one recipe
that ``metric_threshold`` and ``previous_run`` (``interval: poisson``) share, so they run on a
distributed engine at any size and give the same interval for the same rows.

The caller hands in its engine's fold (``ctx.fold``; anything with its signature), so this
module stays below the engine (it never loads or runs anything itself). The recipe:

1. the classes, unless the metric reads values: a fold of :class:`~mlgate.stats.poisson.
   SeenLabels`, resolved against the classes the gate file declares (a binary task must show
   two);
2. ROC AUC and average precision (binary, or one-vs-rest per class): class counts per score
   bucket (:mod:`mlgate.stats.rank_poisson`: bounded memory, a stated error that widens the
   interval);
3. any other metric: its Poisson bootstrap (:class:`~mlgate.stats.poisson_paired.PairedFold`;
   a mean loss summed exactly, so the interval is the same bytes for any partitioning, like a
   count metric's).

The resample weights are keyed by the run seed and a name the caller chooses (a check keeps
its own, so its draws do not depend on which other checks ran).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from mlgate.stats.evaluate import MetricEstimate
from mlgate.stats.metrics import get_metric
from mlgate.stats.poisson import SeenLabels, poisson_estimate, stream_key
from mlgate.stats.poisson_paired import PairedFold, merge_one
from mlgate.stats.rank_poisson import RANKED, RankBootstraps, RankedMetric, RankFold, rank_estimate

__all__ = ["Fold", "compared", "metric_fold", "poisson_metric"]

#: ``fold(model, dataset, fn, merge)`` → ``fn`` of every batch of the model's predictions on
#: the dataset, merged with ``merge`` (the signature of ``GateContext.fold``).
Fold = Callable[[str, str, Callable[[Any], Any], Callable[[Any, Any], Any]], Any]


def poisson_metric(
    fold: Fold,
    *,
    seed: int,
    key: str,
    metric: str,
    model: str,
    dataset: str,
    classes: Sequence[Any] | None,
    binary: bool,
    n_resamples: int,
    level: float,
) -> tuple[MetricEstimate, dict[str, Any]]:
    """(``metric`` of ``model`` on ``dataset`` with its Poisson percentile interval at
    ``level``, evidence of the ranking sketch: empty for a metric that is not ranked).

    ``classes``: those the gate file declares for the model (None: the model's own, else the
    labels seen); ``binary``: the task is binary, so exactly two classes must be found.
    Raises UndefinedMetricError when the metric has no value on the rows, DataError for a label
    outside the classes or scores the model does not give."""
    found = None
    if get_metric(metric).needs != "values":
        seen = fold(model, dataset, SeenLabels.of, SeenLabels.merge)
        found = seen.resolve(classes or None, binary=binary)
    batch_fold = metric_fold(metric, found, n_resamples, stream_key(seed, key), model, dataset)
    state = fold(model, dataset, batch_fold, merge_one)
    if isinstance(state, RankBootstraps):
        return rank_estimate(state, metric, level=level)
    return poisson_estimate(state, level=level), {}


def metric_fold(
    metric: str,
    classes: Sequence[Any] | None,
    n_resamples: int,
    key: int,
    model: str,
    dataset: str,
) -> PairedFold | RankFold:
    """The per-batch Poisson fold of ``metric``: its bootstrap (:class:`PairedFold`: exact sums
    for a mean loss), or for a ranking metric class counts on a grid of score buckets
    (:class:`RankFold`; bounded memory, stated error). ``classes``: the fixed encoding (ignored
    for a metric of values). Merge the states with ``merge_one``."""
    values = get_metric(metric).needs == "values"
    k = 0 if values else len(classes or ())
    encoder = PairedFold(
        metric, k, None if values else tuple(classes or ()), n_resamples, key, model, dataset
    )
    if metric in RANKED:
        return RankFold(encoder, (1,) if k == 2 else tuple(range(k)))
    return encoder


def compared(state: Any, metric: str) -> Any:
    """A folded state as :func:`~mlgate.stats.poisson_paired.paired_poisson` compares it: a
    ranking metric's :class:`RankBootstraps` as its :class:`RankedMetric` (value, resamples and
    their error bounds), any other state as it is."""
    return RankedMetric(state, metric) if isinstance(state, RankBootstraps) else state
