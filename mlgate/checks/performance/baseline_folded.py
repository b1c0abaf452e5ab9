"""The ``baseline`` check as folds over batches (``interval: poisson``), so it runs on a
partitioned dataset where it lives (docs/dask.md).

Two passes. First the statistics that define the built-in baselines are folded over the
``fit_on`` dataset: class counts (``prior``, ``zero_rule``, ``majority``, ``uniform``'s
classes), and for regression the count, exact sum, minimum and maximum of the targets
(``mean``, ``zero_rule``, ``uniform``). Then one fold over the candidate's batches feeds a
:class:`~mlgate.stats.poisson.PoissonBootstrap` of the candidate and one of each baseline,
whose prediction for a row is computed inside the fold from the frozen statistic, all with
the same key: resample ``b`` weights a row the same for every model, so each difference is a
paired bootstrap (:mod:`mlgate.stats.poisson_paired`). A declared model baseline
(``{model: name}``) is its own fold with the same key.

Random baselines (``uniform``, ``prior``) draw each row's label or value from a counter-based
generator keyed on (seed, baseline, row position), like the Poisson weights: the same draw for
a row however the rows are partitioned (not the in-memory draw of the other intervals, which
draws all rows in one sequence).

What does not fold: ``median`` and a regression ``prior`` need every fit target (an exact
quantile; a draw from the targets) and a regression rule fits a least-squares line: they read
the ``fit_on`` dataset whole (refused above ``engine.max_collect_rows``; point ``fit_on`` at a
small labelled sample). A ``{callable: ...}`` baseline predicts every evaluation row in one
call, so the check needs every row when one is listed.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np

from mlgate.checks.performance.baseline_models import (
    CallableBaseline,
    ModelBaseline,
    RuleBaseline,
    Spec,
    baseline_name,
    predict_baseline,
)
from mlgate.core.context import Batch, GateContext
from mlgate.core.engines import CollectRefused
from mlgate.core.errors import ConfigError, DataError, EmptyDatasetError, MlgateError
from mlgate.core.task import Task
from mlgate.models import Predictions
from mlgate.stats.evaluate import Comparison
from mlgate.stats.metrics import get_metric
from mlgate.stats.poisson import (
    PoissonFold,
    splitmix64_at,
    stream_key,
)
from mlgate.stats.poisson_metric import compared, metric_fold
from mlgate.stats.poisson_paired import (
    ExactSum,
    merge_each,
    merge_one,
    paired_poisson,
)
from mlgate.stats.rank_poisson import RankFold

if TYPE_CHECKING:
    from mlgate.checks.performance.baseline import BaselineParams

__all__ = [
    "BaselineFold",
    "fit_statistics",
    "folded_baselines",
    "needs_rows",
    "poisson_comparisons",
]


#: Regression baselines that read every fit target.
_FIT_ROWS = ("median", "prior")


def needs_rows(spec: Spec) -> bool:
    """Whether baseline ``spec`` needs every evaluation row in one place under poisson."""
    return isinstance(spec, CallableBaseline)


def uniform_at(key: int, rows: np.ndarray) -> np.ndarray:
    """A uniform draw in [0, 1) per row id, a function of (key, row) alone (53 bits of
    SplitMix64 at position ``row``)."""
    bits = splitmix64_at(key, np.asarray(rows, dtype=np.uint64)) >> np.uint64(11)
    return bits.astype(np.float64) * 2.0**-53


@dataclass
class FitStatistics:
    """What the built-in baselines are fitted from: label counts (classification) or the
    targets' count, exact sum, minimum and maximum (regression)."""

    counts: Counter
    n: int = 0
    total: ExactSum | None = None
    low: float = math.inf
    high: float = -math.inf

    @classmethod
    def of(cls, batch: Batch) -> FitStatistics:
        y = np.asarray(batch.y) if batch.y is not None else np.zeros(0)
        if y.dtype.kind in "fiu":
            yf = y.astype(float)
            if not np.isfinite(yf).all():
                raise DataError(f"rows {batch.start}..{batch.stop}: a target is NaN or infinite")
            lo, hi = (float(yf.min()), float(yf.max())) if len(yf) else (math.inf, -math.inf)
            return cls(Counter(y.tolist()), len(y), ExactSum(yf), lo, hi)
        return cls(Counter(y.tolist()), len(y))

    def merge(self, other: FitStatistics) -> FitStatistics:
        total = (
            self.total.merge(other.total)
            if self.total is not None and other.total is not None
            else None
        )
        return FitStatistics(
            self.counts + other.counts,
            self.n + other.n,
            total,
            min(self.low, other.low),
            max(self.high, other.high),
        )

    def prior(self, classes: tuple[Any, ...], dataset: str) -> np.ndarray:
        """Class frequencies in the order of ``classes``. Raises DataError with none."""
        counts = np.array([self.counts.get(c, 0) for c in classes], dtype=float)
        if counts.sum() == 0:
            raise DataError(
                f"dataset {dataset!r} has no rows of the classes {list(classes)}; "
                "a prior / zero-rule baseline cannot be fitted on it"
            )
        return counts / counts.sum()

    def mean(self, dataset: str) -> float:
        if not self.n or self.total is None:
            raise DataError(f"dataset {dataset!r} has no numeric targets to fit a mean on")
        return self.total.value() / self.n


def fit_statistics(ctx: GateContext, fit: str) -> FitStatistics:
    """The fit statistics of dataset ``fit``, folded over its batches (no model)."""
    return ctx.fold(None, fit, FitStatistics.of, FitStatistics.merge)


class RowBaseline:
    """A baseline whose prediction of a row is a function of the row (its position and, for a
    rule, one feature) and a frozen statistic, computed inside the fold where the batch is
    (picklable: shipped to the workers with the fold)."""

    def predict(self, batch: Batch) -> Predictions:
        """The baseline's predictions of the batch's rows."""
        raise NotImplementedError


@dataclass(frozen=True)
class ConstantClass(RowBaseline):
    """``zero_rule`` / ``majority``: one label, the class frequencies as scores."""

    task: Task
    classes: tuple[Any, ...]
    label: Any
    probs: tuple[float, ...]

    def predict(self, batch: Batch) -> Predictions:
        n = len(batch)
        labels = np.full(n, self.label, dtype=object)
        return Predictions(
            self.task, labels=labels, scores=np.tile(self.probs, (n, 1)), classes=self.classes
        )


@dataclass(frozen=True)
class DrawnClass(RowBaseline):
    """``uniform`` / ``prior``: each row's label drawn from ``probs`` by a counter-based
    uniform of (key, row position); the probabilities as scores."""

    task: Task
    classes: tuple[Any, ...]
    probs: tuple[float, ...]
    key: int

    def predict(self, batch: Batch) -> Predictions:
        n, u = len(batch), uniform_at(self.key, np.arange(batch.start, batch.stop))
        cdf = np.cumsum(self.probs)
        idx = np.minimum(np.searchsorted(cdf, u, side="right"), len(self.probs) - 1)
        labels = np.asarray(self.classes, dtype=object)[idx]
        return Predictions(
            self.task, labels=labels, scores=np.tile(self.probs, (n, 1)), classes=self.classes
        )


@dataclass(frozen=True)
class ThresholdClass(RowBaseline):
    """``{feature: x, threshold: t}``: ``above`` where x ≥ t, else ``below``."""

    task: Task
    classes: tuple[Any, ...]
    feature: str
    threshold: float
    above: Any
    below: Any

    def predict(self, batch: Batch) -> Predictions:
        x = batch.frame[self.feature].to_numpy(dtype=float)
        labels = np.where(x >= self.threshold, self.above, self.below)
        classes = np.asarray(self.classes, dtype=object)
        scores = (classes[None, :] == labels[:, None]).astype(float)
        return Predictions(self.task, labels=labels, scores=scores, classes=self.classes)


@dataclass(frozen=True)
class ConstantValue(RowBaseline):
    """``mean`` / ``zero_rule`` / ``median`` of a regression: one value."""

    value: float

    def predict(self, batch: Batch) -> Predictions:
        return Predictions(Task.REGRESSION, values=np.full(len(batch), self.value))


@dataclass(frozen=True)
class UniformValue(RowBaseline):
    """``uniform`` of a regression: a counter-based uniform draw on [low, high] per row."""

    low: float
    high: float
    key: int

    def predict(self, batch: Batch) -> Predictions:
        u = uniform_at(self.key, np.arange(batch.start, batch.stop))
        return Predictions(Task.REGRESSION, values=self.low + (self.high - self.low) * u)


@dataclass(frozen=True)
class DrawnValue(RowBaseline):
    """``prior`` of a regression: each row draws one of the (sorted) fit targets."""

    targets: np.ndarray
    key: int

    def predict(self, batch: Batch) -> Predictions:
        m = len(self.targets)
        u = uniform_at(self.key, np.arange(batch.start, batch.stop))
        return Predictions(
            Task.REGRESSION, values=self.targets[np.minimum((u * m).astype(np.int64), m - 1)]
        )


@dataclass(frozen=True)
class LineValue(RowBaseline):
    """``{feature: x}`` of a regression: a least-squares line in x fitted on ``fit_on``."""

    feature: str
    intercept: float
    slope: float

    def predict(self, batch: Batch) -> Predictions:
        x = batch.frame[self.feature].to_numpy(dtype=float)
        return Predictions(Task.REGRESSION, values=self.intercept + self.slope * x)


@dataclass(frozen=True)
class Precomputed(RowBaseline):
    """A ``callable`` baseline's predictions of every row, sliced per batch (the check then
    needs every row)."""

    every: Predictions

    def predict(self, batch: Batch) -> Predictions:
        return self.every.rows(batch.start, batch.stop)


@dataclass(frozen=True)
class BaselineFold:
    """``fold(batch)`` → (the candidate's Poisson bootstrap, then each row baseline's), all
    with the candidate fold's key, so their resamples are paired."""

    candidate: PoissonFold | RankFold
    baselines: tuple[tuple[str, RowBaseline], ...]

    def __call__(self, batch: Batch) -> tuple[Any, ...]:
        out = [self.candidate(batch)]
        for name, baseline in self.baselines:
            fold = _renamed(self.candidate, name)
            out.append(
                fold(Batch(batch.start, batch.stop, batch.frame, batch.y, baseline.predict(batch)))
            )
        return tuple(out)


def _renamed(fold: Any, model: str) -> Any:
    """``fold`` for another model's outputs (a ranking metric's :class:`RankFold` renames
    its encoder)."""
    if isinstance(fold, RankFold):
        return replace(fold, encoder=replace(fold.encoder, model=model))
    return replace(fold, model=model)


def folded_baselines(
    ctx: GateContext,
    specs: list[Spec],
    *,
    task: Task,
    classes: tuple[Any, ...] | None,
    fit: str,
    dataset: str,
    draw_key: str,
) -> tuple[dict[str, RowBaseline | ModelBaseline | MlgateError], list[str]]:
    """Each baseline of ``specs`` as a :class:`RowBaseline`, the declared model it is, or the
    error (ConfigError / DataError naming it) that kept it from being built; and the feature
    columns the fold must read. Raises CollectRefused where one needs rows the engine may not
    gather."""
    out: dict[str, RowBaseline | ModelBaseline | MlgateError] = {}
    columns: list[str] = []
    stats: list[FitStatistics] = []  # folded once, when a baseline first needs it
    for spec in specs:
        name = baseline_name(spec)
        key = stream_key(ctx.seed, f"{draw_key}:{name}")
        try:
            out[name] = _build(ctx, spec, task, classes, fit, dataset, key, columns, stats)
        except (CollectRefused, EmptyDatasetError):  # the kernel's to report
            raise
        except MlgateError as exc:
            out[name] = exc
    return out, list(dict.fromkeys(columns))


def _build(ctx, spec, task, classes, fit, dataset, key, columns, stats) -> Any:
    """One baseline of :func:`folded_baselines`."""
    name = baseline_name(spec)
    if isinstance(spec, ModelBaseline):
        return spec
    if isinstance(spec, CallableBaseline):  # predicts every evaluation row at once
        every = predict_baseline(
            spec,
            ctx,
            data=ctx.dataset(dataset),
            fit=ctx.dataset(fit),
            classes=classes,
            rng=np.random.default_rng([ctx.seed, key & 0xFFFFFFFF]),
        )
        return Precomputed(every)
    if isinstance(spec, RuleBaseline):
        _require_column(ctx, dataset, spec.feature)
        columns.append(spec.feature)
    if task is Task.REGRESSION and (isinstance(spec, RuleBaseline) or spec in _FIT_ROWS):
        return _from_fit_rows(ctx, spec, fit, key)
    if isinstance(spec, RuleBaseline):
        assert classes is not None
        return ThresholdClass(
            task,
            classes,
            spec.feature,
            float(spec.threshold),  # type: ignore[arg-type]
            spec.above if spec.above is not None else classes[-1],
            spec.below if spec.below is not None else classes[0],
        )
    if not stats:
        stats.append(fit_statistics(ctx, fit))
    fitted = stats[0]
    if task is Task.REGRESSION:
        if not fitted.n:
            raise DataError(f"dataset {fit!r} has no targets to fit baseline {name!r} on")
        if spec == "uniform":
            return UniformValue(fitted.low, fitted.high, key)
        return ConstantValue(fitted.mean(fit))  # mean / zero_rule
    assert classes is not None
    k = len(classes)
    if spec == "uniform":
        return DrawnClass(task, classes, (1.0 / k,) * k, key)
    prior = fitted.prior(classes, fit)
    if spec == "prior":
        return DrawnClass(task, classes, tuple(map(float, prior)), key)
    label = classes[int(np.argmax(prior))]  # zero_rule / majority
    return ConstantClass(task, classes, label, tuple(map(float, prior)))


def _require_column(ctx: GateContext, dataset: str, feature: str) -> None:
    names = ctx.column_names(dataset)
    if feature not in names:
        raise ConfigError(
            f"rule baseline: no column {feature!r} in dataset {dataset!r}; columns: {names[:20]}"
        )


def _from_fit_rows(ctx: GateContext, spec: Spec, fit: str, key: int) -> RowBaseline:
    """A regression baseline that needs every fit target (refused above
    ``engine.max_collect_rows``): the median, a draw from the targets, a least-squares line."""
    data = ctx.dataset(fit)
    y = np.asarray(data.y, dtype=float)
    if not len(y):
        raise DataError(f"dataset {fit!r} has no targets to fit baseline {baseline_name(spec)!r}")
    if isinstance(spec, RuleBaseline):
        _require_column(ctx, fit, spec.feature)
        x = data.frame[spec.feature].to_numpy(dtype=float)
        slope, intercept = np.polyfit(x, y, 1)
        return LineValue(spec.feature, float(intercept), float(slope))
    if spec == "median":
        return ConstantValue(float(np.median(y)))
    return DrawnValue(np.sort(y), key)


def poisson_comparisons(
    ctx: GateContext, p: BaselineParams, fit: str
) -> tuple[list[tuple[str, Comparison | MlgateError]], int]:
    """(per baseline: its paired Poisson comparison with the candidate, or the error that
    kept it from being compared; the rows). Raises DataError when the candidate cannot be
    folded (unknown labels, no scores) and CollectRefused where rows may not be gathered."""
    metric = get_metric(p.metric)
    task, classes = ctx.task, None
    if task is not Task.REGRESSION:
        classes = ctx.fold_classes(p.model, p.dataset)
    key = stream_key(ctx.seed, f"baseline:{p.metric}:{p.model}:{p.dataset}")
    candidate = metric_fold(p.metric, classes, p.n_resamples, key, p.model, p.dataset)
    built, columns = folded_baselines(
        ctx,
        list(p.against),
        task=task,
        classes=classes,
        fit=fit,
        dataset=p.dataset,
        draw_key=f"baseline:{p.metric}:{p.model}:{p.dataset}:draws",
    )
    rows = tuple((name, b) for name, b in built.items() if isinstance(b, RowBaseline))
    boots = ctx.fold(p.model, p.dataset, BaselineFold(candidate, rows), merge_each, columns=columns)
    mine = dict(zip((name for name, _ in rows), boots[1:], strict=True))
    out: list[tuple[str, Comparison | MlgateError]] = []
    for name, b in built.items():
        if isinstance(b, MlgateError):
            out.append((name, b))
            continue
        try:
            if isinstance(b, ModelBaseline):
                fold = _renamed(candidate, b.model)
                mine[name] = ctx.fold(b.model, p.dataset, fold, merge_one)
            ours, theirs = compared(boots[0], p.metric), compared(mine[name], p.metric)
            out.append(
                (
                    name,
                    paired_poisson(
                        metric,
                        ours,
                        theirs,
                        boundary=p.margin_value,
                        level=p.confidence,
                        relative=p.relative,
                    ),
                )
            )
        except (CollectRefused, EmptyDatasetError):  # the kernel's to report
            raise
        except MlgateError as exc:  # UndefinedMetricError included
            out.append((name, exc))
    return out, boots[0].n_rows
