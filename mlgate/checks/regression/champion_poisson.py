"""The champion comparison as folds over batches (``interval: poisson``), so it runs on a
partitioned dataset where it lives, at any size, and gives the same bytes however the data is
partitioned (docs/dask.md).

One :meth:`GateContext.fold` reads one model's predictions, so the candidate and the champion
are folded separately, each into one :class:`~mlgate.stats.poisson.PoissonBootstrap` per metric
with the *same* key: row ``r`` has the same Poisson weight in resample ``b`` of both, so the
per-resample difference (or ratio, for a relative margin) is the paired bootstrap of the
improvement on the same rows (:mod:`mlgate.stats.poisson_paired`). The verdict, the Holm /
Bonferroni / BH adjustment and the rows-needed estimate are the check's own
(:mod:`mlgate.checks.regression.champion`), fed the paired Poisson p-value and interval.

McNemar and DeLong need both models' outputs of each row together, which separate folds do not
give; under ``interval: poisson`` every metric is compared with the paired Poisson bootstrap.
ROC AUC and average precision fold into class counts on a grid of score buckets
(:mod:`mlgate.stats.rank_poisson`): exact up to 4,096 distinct scores, else each resample
within a stated error, by which the interval is widened and the p-value taken at the least
improvement.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mlgate.core.context import GateContext
from mlgate.stats.evaluate import Comparison
from mlgate.stats.metrics import UndefinedMetricError, get_metric
from mlgate.stats.poisson import stream_key
from mlgate.stats.poisson_metric import compared, metric_fold
from mlgate.stats.poisson_paired import (
    FoldEach,
    merge_each,
    paired_poisson,
)

if TYPE_CHECKING:
    from mlgate.checks.regression.champion import ChampionParams


def poisson_comparisons(ctx: GateContext, p: ChampionParams) -> tuple[list[Comparison | str], int]:
    """(per metric: the paired Poisson comparison, or why the metric is undefined; the rows).

    Raises DataError (a label a model does not know, a metric needing scores from a model that
    gives only labels)."""
    metrics = [get_metric(name) for name in p.metrics]
    classes = None
    if any(m.needs != "values" for m in metrics):
        classes = ctx.fold_classes(p.model, p.dataset)
    # One key for the check: every metric and both models share the resamples.
    key = stream_key(ctx.seed, f"champion:{p.model}:{p.champion}:{p.dataset}")
    boots: dict[str, Any] = {}
    for model in (p.model, p.champion):
        folds = tuple(
            metric_fold(m.name, classes, p.n_resamples, key, model, p.dataset) for m in metrics
        )
        boots[model] = ctx.fold(model, p.dataset, FoldEach(folds), merge_each)
    n = boots[p.model][0].n_rows
    results: list[Comparison | str] = []
    for i, metric in enumerate(metrics):
        cand = compared(boots[p.model][i], metric.name)
        ref = compared(boots[p.champion][i], metric.name)
        try:
            results.append(
                paired_poisson(
                    metric,
                    cand,
                    ref,
                    boundary=p.boundary(metric.name),
                    level=p.confidence,
                    relative=p.relative(metric.name),
                )
            )
        except UndefinedMetricError as exc:
            results.append(f"{metric.name} undefined: {exc}")
    return results, n
