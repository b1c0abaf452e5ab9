"""The ``backtest`` check's folding data path (``interval: poisson``): windows fixed before the
rows are read and a Poisson bootstrap per window, so a fixed model is backtested on a
partitioned dataset where it lives (``ctx.fold``; docs/dask.md) and no row is gathered.

Three folds, each reading only the time column (and, for the last two, the cached predictions):

1. the time column's span (:class:`~mlgate.stats.poisson_windows.TimeSpan`; a second pass over
   the same column for the first time after ``cutoff``), from which the duration windows are
   cut exactly as in memory (:func:`~mlgate.stats.poisson_windows.window_edges`);
2. the classes the metric is encoded with (:class:`~mlgate.stats.poisson.SeenLabels`; not for
   a regression metric);
3. per window (and the training period, for ``compare_to: training``) a
   :class:`~mlgate.stats.poisson.PoissonBootstrap`, every window on one weight stream keyed on
   (seed, check): a row's weights depend on its position in the dataset alone.

What the check computes from the windows is unchanged: the latest window's interval is the
percentile interval of its resamples (:func:`~mlgate.stats.poisson.poisson_estimate`), the
decay slope is the OLS slope of the per-window values, and a drop between two windows is the
two-sample percentile interval of the differences of their ``b``-th resamples
(:mod:`mlgate.checks.backtest.drop`): with disjoint windows, resample ``b`` of each is an
independent Poisson resample of its own rows.

What cannot fold, and so reads every row (``needs_all_rows``):

* ``train`` (rolling origin): a model is refitted on every row before each window;
* ``rows`` windows: anchored on the time-sorted rows, so a row's window depends on its rank
  among every time.

With those, ``interval: poisson`` still gives Poisson intervals (the same weights), computed
from the rows in memory (:func:`poisson_score`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from mlgate.checks.backtest.decay import WindowScore
from mlgate.checks.backtest.drop import Sample
from mlgate.checks.backtest.params import BacktestParams, cutoff_value
from mlgate.core.context import GateContext
from mlgate.core.windows import format_time
from mlgate.stats.metrics import UndefinedMetricError
from mlgate.stats.poisson import (
    PoissonBootstrap,
    PoissonFold,
    poisson_estimate,
    stream_key,
)
from mlgate.stats.poisson_paired import make_bootstrap
from mlgate.stats.poisson_windows import (
    TRAINING,
    Edge,
    TimeSpan,
    TimeSpanFold,
    WindowedBootstraps,
    WindowedPoissonFold,
    window_edges,
)

__all__ = ["folded_scores", "folds", "poisson_score"]


def folds(p: BacktestParams) -> bool:
    """Whether the check folds batches under ``p``: Poisson intervals on duration windows of a
    fixed model (a ``train`` function refits on every row before each window; ``rows``
    windows need every row's rank in time)."""
    return p.interval == "poisson" and p.train is None and p.rows is None


def weight_key(ctx: GateContext, p: BacktestParams) -> int:
    """The key of the check's Poisson weight stream: one for every window, so a row's weights
    depend on (seed, its position, resample) alone."""
    return stream_key(ctx.seed, f"backtest:{p.metric}:{p.model}:{p.dataset}")


def poisson_score(
    ctx: GateContext,
    p: BacktestParams,
    base: dict[str, Any],
    rows: np.ndarray,
    y: np.ndarray,
    output: np.ndarray,
    k: int,
) -> WindowScore:
    """A window's score from its encoded rows in memory with a Poisson interval (``rows``:
    their positions in the dataset): what the fold gives for the same rows. Raises
    UndefinedMetricError when the metric has no value on them."""
    boot = make_bootstrap(p.metric, k, n_resamples=p.n_resamples, key=weight_key(ctx, p))
    boot.update(rows, y, output)
    return _from_bootstrap(p, base, boot)


def _from_bootstrap(p: BacktestParams, base: dict[str, Any], boot: PoissonBootstrap) -> WindowScore:
    est = poisson_estimate(boot, level=p.confidence)
    sample = Sample(est.value, boot.n_rows, boot.values())
    return WindowScore(**base, estimate=est, sample=sample)


def folded_scores(
    ctx: GateContext, p: BacktestParams, metric: Any
) -> tuple[list[WindowScore], WindowScore | None] | None:
    """The windows' scores (and the training period's, for ``compare_to: training``) from
    folds of the batches; None when no row lies after the cutoff. Raises ConfigError for a
    window length or cutoff that does not suit the time column, DataError for missing or
    unparsable times."""
    column = ctx.gate.config.datasets[p.dataset].time
    assert column is not None  # validate() requires it
    span = _span(ctx, p, column, None)
    cutoff = cutoff_value(p, span.dates)
    if cutoff is not None:
        span = _span(ctx, p, column, cutoff)
    edges = window_edges(span, p, start=cutoff)
    if not edges:
        return None
    classes = None
    if metric.needs != "values":
        classes = ctx.fold_classes(p.model, p.dataset)
    boot = PoissonFold(
        p.metric, len(classes or ()), classes, p.n_resamples, weight_key(ctx, p), p.model, p.dataset
    )
    training = p.compare_to == "training"
    fold = WindowedPoissonFold(boot, column, tuple(edges), cutoff, training)
    state = ctx.fold(p.model, p.dataset, fold, WindowedBootstraps.merge, columns=[column])
    windows = state.windows if state is not None else {}
    scores = [_score(p, e, windows.get(e.index)) for e in edges]
    if not training:
        return scores, None
    up_to = windows.get(TRAINING)
    rows = up_to.n_rows if up_to is not None else 0
    base = {
        "index": TRAINING,
        "start": format_time(span.first) if rows else "",
        "end": format_time(cutoff),
        "rows": rows,
    }
    if rows < p.min_samples:
        why = f"{rows} row(s) up to the cutoff; min_samples={p.min_samples}"
        return scores, WindowScore(**base, estimate=None, reason=why)
    return scores, _defined(p, base, up_to)  # type: ignore[arg-type]


def _span(ctx: GateContext, p: BacktestParams, column: str, cutoff: Any) -> TimeSpan:
    fold = TimeSpanFold(column, p.dataset, cutoff)
    span = ctx.fold(None, p.dataset, fold, TimeSpan.merge, columns=[column])
    return span if span is not None else TimeSpan()


def _score(p: BacktestParams, e: Edge, boot: PoissonBootstrap | None) -> WindowScore:
    rows = boot.n_rows if boot is not None else 0
    base = {"index": e.index, "start": format_time(e.start), "end": format_time(e.end)}
    base["rows"] = rows
    if rows < p.min_samples:
        why = f"{rows} row(s); min_samples={p.min_samples}"
        return WindowScore(**base, estimate=None, reason=why)
    return _defined(p, base, boot)  # type: ignore[arg-type]


def _defined(p: BacktestParams, base: dict[str, Any], boot: PoissonBootstrap) -> WindowScore:
    try:
        return _from_bootstrap(p, base, boot)
    except UndefinedMetricError as exc:
        return WindowScore(**base, estimate=None, reason=f"{p.metric} undefined: {exc}")
