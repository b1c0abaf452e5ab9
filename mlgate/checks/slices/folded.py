"""The ``slices`` check folded over batches (``interval: poisson``): it runs where a partitioned
dataset lives and needs no row in one place.

One fold reads the labels, the model's output and the slice columns. Each declaration splits
a batch into cells (:mod:`mlgate.checks.slices.cells`); each cell keeps the metric's Poisson
bootstrap, every cell on one weight stream (:class:`~mlgate.stats.poisson_groups.GroupedPoisson`):
a row has the same weight in every cell it is in, within a resample. After the merge:

* a slice is its cell; its **rest** is the union of its declaration's other cells, and the
  **overall** rows the union of the first declaration's cells;
* the gap of resample b is sign × (m_b(rest) − m_b(slice)) (or the overall's, or the best
  slice's of the same declaration): gaps are paired draws, so the gap's interval is their
  percentile interval, with no independence or row-mean assumption (the in-memory path uses
  a normal interval from the two intervals' widths, and (1 − n_S/n) × the rest gap for the
  overall gap);
* the one-sided p-value of "the slice is worse than the rest" is the in-memory path's normal
  test, 1 − Φ(gap / se), with ``se`` the standard deviation of the paired resampled gaps.

Weights depend on (seed, check, row position, resample) only, so the result is the same
however the rows are split into batches or partitions (the metric's sums are exact for
count-based metrics; float sums to ~1e-16, as for ``metric_threshold``; docs/dask.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.special import ndtr

from mlgate.checks.slices.cells import cells, slices_of
from mlgate.checks.slices.evaluate import SliceEstimate, _with
from mlgate.checks.slices.spec import SliceSpec
from mlgate.core.context import Batch, GateContext
from mlgate.core.errors import DataError
from mlgate.core.result import Interval
from mlgate.stats.accumulators import UndefinedMetricError
from mlgate.stats.evaluate import MetricEstimate
from mlgate.stats.metrics import MetricDef
from mlgate.stats.poisson import PoissonBootstrap, PoissonFold
from mlgate.stats.poisson_groups import GroupedPoisson, estimate_of, percentile_interval

#: What the p-value and the gap intervals of a folded run are.
GAP_METHOD = "poisson-bootstrap-percentile of paired gaps"


@dataclass
class SlicesState:
    """A batch's (or merged batches') cells, and the rows without a value per slice column."""

    cells: GroupedPoisson
    no_value: dict[str, int] = field(default_factory=dict)
    rows: int = 0

    def merge(self, other: SlicesState) -> SlicesState:
        no_value = dict(self.no_value)
        for column, n in other.no_value.items():
            no_value[column] = no_value.get(column, 0) + n
        return SlicesState(self.cells.merge(other.cells), no_value, self.rows + other.rows)


@dataclass(frozen=True)
class SlicesFold:
    """``fold(batch)`` → the :class:`SlicesState` of one batch (picklable: an engine runs it
    where a partition lives). ``encoder`` fixes the label encoding and carries the metric, the
    resamples and the weight key; cells are keyed ``(declaration index, cell key)``."""

    encoder: PoissonFold
    specs: tuple[SliceSpec, ...]
    columns: tuple[str, ...]

    def __call__(self, batch: Batch) -> SlicesState:
        e = self.encoder
        state = GroupedPoisson(e.metric, e.k, n_resamples=e.n_resamples, key=e.key)
        frame = batch.frame
        missing = {c: int(frame[c].isna().sum()) for c in self.columns if c in frame.columns}
        no_value = {c: n for c, n in missing.items() if n}
        if not len(batch):
            return SlicesState(state, no_value)
        y, output = e.encode(batch.y, batch.predictions)
        groups = [
            ((d, key), mask)
            for d, spec in enumerate(self.specs)
            for key, mask in cells(spec, frame)
        ]
        state.update(np.arange(batch.start, batch.stop), y, output, groups)
        return SlicesState(state, no_value, len(batch))


@dataclass(frozen=True)
class FoldedSlices:
    """What :func:`fold_slices` gives the check: per slice its estimate and declaration, the
    rows, and the rows without a value per slice column."""

    estimates: list[SliceEstimate]
    declarations: list[int]
    n: int
    no_value: dict[str, int]


def fold_slices(
    ctx: GateContext,
    p: Any,
    metric: MetricDef,
    specs: list[SliceSpec],
    encoder: PoissonFold,
) -> FoldedSlices:
    """Fold the batches of ``p.dataset`` once and estimate every slice of ``specs``. Raises
    DataError for an unknown column, a non-boolean expression, a column with too many values
    or repeated slice names."""
    columns = [c for s in specs for c in s.columns]
    wanted = None if any(s.expr is not None for s in specs) else list(dict.fromkeys(columns))
    fold = SlicesFold(encoder, tuple(specs), tuple(dict.fromkeys(columns)))
    state = ctx.fold(p.model, p.dataset, fold, SlicesState.merge, columns=wanted)
    boots = state.cells
    named: list[tuple[str, int, Any]] = []
    for d, spec in enumerate(specs):
        seen = [key for (dd, key) in boots.groups if dd == d]
        named += [(name, d, key) for name, key in slices_of(spec, seen)]
    names = [name for name, _, _ in named]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise DataError(f"slice names must be distinct; repeated: {dupes}. Give each a 'name'.")
    rests = {d: _rests(boots, d) for d in range(len(specs))}
    overall = _Resampled.of(_union(boots, 0), p.confidence)
    sign = 1.0 if metric.higher_is_better else -1.0
    estimates, parts = [], []
    for name, d, key in named:
        part = _Resampled.of(boots[(d, key)], p.confidence)
        rest = _Resampled.of(rests[d].get(key) or boots.empty(), p.confidence)
        estimates.append(
            _estimate(name, p.metric, part, rest, overall, sign, p.min_size, p.confidence)
        )
        parts.append(part)
    declarations = [d for _, d, _ in named]
    if p.gap_to == "best":
        estimates = _gaps_to_best(estimates, parts, declarations, sign, p.confidence)
    return FoldedSlices(estimates, declarations, state.rows, state.no_value)


def _keys(boots: GroupedPoisson, d: int) -> list[Any]:
    """Declaration ``d``'s cell keys in a fixed order (by repr: keys of mixed types)."""
    return sorted((key for (dd, key) in boots.groups if dd == d), key=repr)


def _union(boots: GroupedPoisson, d: int) -> PoissonBootstrap:
    return boots.union((d, key) for key in _keys(boots, d))


def _rests(boots: GroupedPoisson, d: int) -> dict[Any, PoissonBootstrap]:
    """Per cell of declaration ``d``, the union of its other cells: prefix and suffix unions,
    so m cells cost about 3m merges rather than m²."""
    keys = _keys(boots, d)
    cells_ = [boots[(d, k)] for k in keys]
    prefix, suffix = [boots.empty()], [boots.empty()]
    for c in cells_:
        prefix.append(prefix[-1].merge(c))
    for c in reversed(cells_):
        suffix.append(suffix[-1].merge(c))
    suffix.reverse()  # suffix[i]: the union of cells i.. (suffix[m]: none)
    return {k: prefix[i].merge(suffix[i + 1]) for i, k in enumerate(keys)}


@dataclass(frozen=True)
class _Resampled:
    """One set of rows: its estimate (or why there is none), and its metric per resample."""

    n: int
    estimate: MetricEstimate | None
    values: np.ndarray
    reason: str = ""

    @classmethod
    def of(cls, boot: PoissonBootstrap, level: float) -> _Resampled:
        if boot.n_rows == 0:
            return cls(0, None, np.full(boot.n_resamples, np.nan), "no rows")
        try:
            est, values = estimate_of(boot, level)
        except UndefinedMetricError as exc:
            return cls(boot.n_rows, None, np.full(boot.n_resamples, np.nan), f"{exc}")
        return cls(boot.n_rows, est, values)


def _gap(sign: float, ref: _Resampled, part: _Resampled, level: float):
    """(gap, its percentile interval, the resampled gaps' standard deviation) of ``part``
    against ``ref``, or None when fewer than two resamples define it."""
    gaps = sign * (ref.values - part.values)
    defined = gaps[~np.isnan(gaps)]
    if len(defined) < 2:
        return None
    value = sign * (ref.estimate.value - part.estimate.value)
    return value, percentile_interval(gaps, level), float(np.std(defined, ddof=1))


def _estimate(
    name: str,
    metric: str,
    part: _Resampled,
    rest: _Resampled,
    overall: _Resampled,
    sign: float,
    min_size: int,
    level: float,
) -> SliceEstimate:
    """The in-memory :func:`~mlgate.checks.slices.evaluate.slice_estimate`'s rules (sizes,
    undefined metrics) on the folded states, the gaps from paired resamples."""
    n_s, n = part.n, overall.n
    empty = SliceEstimate(name, n_s, None, None, None, None, None, None, None, None, None)
    if part.estimate is None:
        why = part.reason if part.n == 0 else f"{metric} undefined: {part.reason}"
        return _with(empty, reason=why)
    s = part.estimate
    base = _with(empty, value=s.value, interval=s.interval)
    if n_s < min_size:
        return _with(base, reason=f"only {n_s} rows (min_size={min_size})")
    if n - n_s < min_size:
        return _with(base, reason=f"the rest has only {n - n_s} rows (min_size={min_size})")
    if rest.estimate is None:
        return _with(base, reason=f"rest: {metric} undefined: {rest.reason}")
    r = rest.estimate
    base = _with(base, rest_value=r.value, rest_interval=r.interval)
    if s.se is None or r.se is None:
        return _with(base, reason=s.reason or r.reason or "no interval")
    to_rest = _gap(sign, rest, part, level)
    if to_rest is None:
        return _with(base, reason="the gap is undefined on every resample")
    gap, gap_interval, se = to_rest
    p = float(1.0 - ndtr(gap / se)) if se > 0 else (0.0 if gap > 0 else 1.0)
    to_overall = _gap(sign, overall, part, level) if overall.estimate is not None else None
    return _with(
        base,
        gap_rest=gap,
        gap_rest_interval=gap_interval,
        gap_overall=None if to_overall is None else to_overall[0],
        gap_overall_interval=None if to_overall is None else to_overall[1],
        p_value=min(max(p, 0.0), 1.0),
    )


def _gaps_to_best(
    estimates: list[SliceEstimate],
    parts: list[_Resampled],
    declarations: list[int],
    sign: float,
    level: float,
) -> list[SliceEstimate]:
    """Each evaluable slice's gap to the best evaluable slice of its declaration (chosen on
    the estimates, as in memory), with the percentile interval of the paired resampled gaps."""
    out = list(estimates)
    for d in dict.fromkeys(declarations):
        members = [i for i, g in enumerate(declarations) if g == d and estimates[i].evaluable]
        if not members:
            continue
        best = max(members, key=lambda i: sign * estimates[i].value)
        for i in members:
            if i == best:
                out[i] = _with(
                    estimates[i], gap_best=0.0, gap_best_interval=Interval(0.0, 0.0, level, "best")
                )
                continue
            gap = _gap(sign, parts[best], parts[i], level)
            if gap is not None:
                out[i] = _with(estimates[i], gap_best=gap[0], gap_best_interval=gap[1])
    return out
