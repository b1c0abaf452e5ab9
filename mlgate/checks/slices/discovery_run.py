"""What the ``slice_discovery`` check does with the gate context: two folds over the batches
of the dataset (``ctx.fold``: in memory in row order, on Dask where the partitions live), then
the lattice search (:mod:`mlgate.checks.slices.discovery`) and the verdict.

1. The scan: per candidate feature a value sketch or category counts (the bins,
   :mod:`mlgate.checks.slices.discovery_bins`), the model's confidence as a value sketch (its
   ``strata`` quantiles), the largest regression error (the fixed-point scale of the error
   sums) and the labels seen (the class encoding of log loss / Brier).
2. The counts (:mod:`mlgate.checks.slices.discovery_fold`): per feature combination up to
   ``max_level``, each slice's rows, exact error sums and rows per confidence stratum.

No row is gathered in one place, and every state merges into the same integers however the
rows are split, so the result is the same in memory and on any partitioning. Each slice the
search lists is a part (:class:`Part`): its corrected test of "more errors than comparable
rows by at least ``min_gap``", failed when flagged. A test is not a bound on an interval, so a
gate's decision rule leaves the verdict as it is.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from mlgate.checks.slices.discovery import n_combinations, search
from mlgate.checks.slices.discovery_bins import (
    ColumnBins,
    ColumnScan,
    column_bins,
    confidence_of,
    scan_frame,
    strata_edges,
)
from mlgate.checks.slices.discovery_fold import Counts, Scale, check_errors, count_cells
from mlgate.core.context import Batch, GateContext
from mlgate.core.errors import DataError, EmptyDatasetError
from mlgate.core.evidence import Table
from mlgate.core.result import CheckResult, Part, Status, Threshold, rounded
from mlgate.core.task import Task
from mlgate.stats import losses
from mlgate.stats.poisson import SeenLabels
from mlgate.stats.scoring import fixed_scores
from mlgate.stats.sketches import ValueSketch

#: Bounds of the classification errors (fixed-point scale of their sums): log loss is at most
#: −log(float64 eps) ≈ 36.04; Brier at most 2 for probabilities.
_BOUNDS = {"misclassification": 1.0, "log_loss": 64.0, "brier": 4.0}


@dataclass(frozen=True)
class RowErrors:
    """``errors(batch)``: each row's error (picklable: an engine runs it where a partition
    lives). ``classes`` fix the label encoding of log loss and Brier for every batch."""

    kind: str
    classes: tuple[Any, ...] | None = None
    model: str = "candidate"
    dataset: str = "evaluation"

    def __call__(self, batch: Batch) -> np.ndarray:
        preds = batch.predictions
        if self.kind in ("absolute", "squared"):
            diff = np.asarray(batch.y, dtype=float) - np.asarray(preds.values, dtype=float)
            return np.abs(diff) if self.kind == "absolute" else diff**2
        if self.kind == "misclassification":
            return (np.asarray(preds.labels) != np.asarray(batch.y)).astype(float)
        y, scores = fixed_scores(
            batch.y, preds, self.classes, model=self.model, dataset=self.dataset, check=self.kind
        )
        fn = losses.log_loss_rows if self.kind == "log_loss" else losses.brier_rows
        return fn(y, scores, len(self.classes))


@dataclass
class Scan:
    """The first fold: rows, per feature its summary, the confidence sketch (None: not
    wanted), whether every batch had class scores, the largest regression error and the
    labels seen."""

    rows: int
    columns: list[ColumnScan]
    confidence: ValueSketch | None
    scores: bool
    max_error: float
    seen: SeenLabels | None

    def merge(self, other: Scan) -> Scan:
        conf = self.confidence
        if conf is not None and other.confidence is not None:
            conf = conf.merge(other.confidence)
        return Scan(
            self.rows + other.rows,
            [a.merge(b) for a, b in zip(self.columns, other.columns, strict=True)],
            conf,
            self.scores and other.scores,
            max(self.max_error, other.max_error),
            self.seen.merge(other.seen) if self.seen is not None else None,
        )


@dataclass(frozen=True)
class ScanFold:
    """``scan(batch)`` → the :class:`Scan` of one batch (picklable)."""

    columns: tuple[Any, ...]
    confidence: bool
    errors: RowErrors | None
    labels: bool

    def __call__(self, batch: Batch) -> Scan:
        preds = batch.predictions
        has_scores = preds is not None and preds.scores is not None
        conf = None
        if self.confidence:
            conf = ValueSketch.of(confidence_of(preds.scores) if has_scores else np.zeros(0))
        worst = 0.0
        if self.errors is not None and len(batch):
            e = self.errors(batch)
            check_errors(e, None)
            worst = float(e.max())
        return Scan(
            len(batch),
            scan_frame(batch.frame, list(self.columns)),
            conf,
            has_scores,
            worst,
            SeenLabels.of(batch) if self.labels else None,
        )


@dataclass(frozen=True)
class CountFold:
    """``count(batch)`` → the :class:`~mlgate.checks.slices.discovery_fold.Counts` of one batch
    (picklable): its bin codes, errors and confidence strata, counted per combination."""

    bins: tuple[ColumnBins, ...]
    columns: tuple[Any, ...]
    errors: RowErrors
    scale: Scale
    square_scale: Scale | None
    edges: np.ndarray | None
    max_level: int
    deadline: float

    def __call__(self, batch: Batch) -> Counts:
        codes = [b.codes(batch.frame[c]) for b, c in zip(self.bins, self.columns, strict=True)]
        strata, k = None, 0
        if self.edges is not None:
            conf = confidence_of(batch.predictions.scores)
            strata = np.searchsorted(self.edges, conf, side="right").astype(np.int64)
            k = len(self.edges) + 1
        return count_cells(
            codes,
            [len(b.labels) for b in self.bins],
            self.errors(batch) if len(batch) else np.zeros(0),
            scale=self.scale,
            square_scale=self.square_scale,
            max_level=self.max_level,
            strata=strata,
            n_strata=k,
            deadline=self.deadline,
        )


def _error_kind(ctx: GateContext, p: Any) -> tuple[str, str]:
    """(the error folded, its name in the result)."""
    if ctx.task is Task.REGRESSION:
        kind = "absolute" if p.error == "auto" else p.error
        return kind, f"{kind} error"
    kind = "misclassification" if p.error == "auto" else p.error
    return kind, "error rate" if kind == "misclassification" else kind


def _columns(ctx: GateContext, p: Any) -> list[Any]:
    """The candidate features. Raises DataError naming those the dataset lacks."""
    data = ctx.engine.open(ctx, p.dataset)  # metadata only on a distributed engine
    columns = p.features or [*data.spec.slices, *data.spec.sensitive] or data.feature_names
    columns = list(dict.fromkeys(columns))
    available = set(ctx.column_names(p.dataset))
    missing = [c for c in columns if str(c) not in available]
    if missing:
        raise DataError(f"slice discovery: columns {missing} are not in the dataset")
    return columns


def _strata(scan: Scan, p: Any) -> np.ndarray | None:
    """The inner cut points of the model-confidence strata (rows are cut at their ``p.strata``
    quantiles; tied confidences share a stratum), or None when the model gives no class
    probabilities under ``compare_to: auto``. Raises DataError for ``same_confidence``
    without them."""
    if not scan.scores:
        if p.compare_to == "same_confidence":
            raise DataError(
                f"compare_to 'same_confidence': model {p.model!r} gives no class "
                "probabilities; use compare_to: rest"
            )
        return None
    return strata_edges(scan.confidence, p.strata)


def run_discovery(ctx: GateContext, p: Any, check_id: str) -> CheckResult:
    kind, what = _error_kind(ctx, p)
    columns = _columns(ctx, p)
    stratify = p.compare_to != "rest" and ctx.task is not Task.REGRESSION
    regression = ctx.task is Task.REGRESSION
    scores_needed = kind in ("log_loss", "brier")
    uses_model = stratify or regression or scores_needed
    scan_fold = ScanFold(
        tuple(columns), stratify, RowErrors(kind) if regression else None, scores_needed
    )
    scan: Scan | None = ctx.fold(
        p.model if uses_model else None, p.dataset, scan_fold, Scan.merge, columns=columns
    )
    if scan is None or not scan.rows:
        raise EmptyDatasetError(f"slice discovery: dataset {p.dataset!r} has no rows")
    edges = _strata(scan, p) if stratify else None
    classes = None
    if scores_needed:
        spec = ctx.gate.config.models.get(p.model)
        classes = scan.seen.resolve(
            spec.classes if spec else None,
            binary=ctx.task is Task.BINARY,
            where=f"model {p.model!r} on {p.dataset!r}",
        )
    if regression:
        worst = scan.max_error  # of the absolute or squared errors, as folded
        scale, squares = Scale.of(worst), Scale.of(worst * worst)
    elif kind == "misclassification":
        scale, squares = Scale.of(1.0, integer=True), None
    else:
        bound = _BOUNDS[kind]
        scale, squares = Scale.of(bound), Scale.of(bound * bound)
    bins = tuple(column_bins(s, p.n_bins, p.max_categories) for s in scan.columns)
    labels = [list(b.labels) for b in bins]
    total = n_combinations(len(bins), p.max_level)
    started = time.perf_counter()
    deadline = time.time() + p.max_seconds
    errors = RowErrors(kind, classes, p.model, p.dataset)
    fold = CountFold(bins, tuple(columns), errors, scale, squares, edges, p.max_level, deadline)
    with ctx.progress.task("slice search", total) as advance:
        counts = ctx.fold(p.model, p.dataset, fold, Counts.merge, columns=columns) or Counts()
        d = search(
            counts,
            labels,
            scale=scale,
            square_scale=squares,
            min_size=p.min_size,
            max_level=p.max_level,
            alpha=p.alpha,
            correction=p.correction,
            min_gap=p.min_gap,
            top_k=p.top_k,
            max_seconds=p.max_seconds,
            started=started,
            level=p.confidence,
            progress=advance,
        )
    approximate = [b.name for b in bins if b.approximate]
    if edges is not None and scan.confidence is not None and not scan.confidence.exact:
        approximate.append("model confidence")
    if approximate:
        d.notes.append(
            f"bins of {', '.join(approximate)} are value-sketch bucket boundaries near the "
            "quantiles (more than 65,536 distinct values)"
        )
    n = counts.n
    stratified = d.strata > 1
    than = "rows of the same confidence" if stratified else "the rest"
    if d.n_evaluated == 0:
        head = f"no slice has between {p.min_size} and {n - p.min_size} rows"
    elif d.n_flagged:
        flagged = [r for r in d.slices if r["flagged"]][:3]
        vs = "expected" if stratified else "rest"
        head = f"{d.n_flagged} slice(s) with significantly more errors; worst: " + "; ".join(
            f"{r['slice']} ({what} {r['value']:.3f} vs {r[vs]:.3f}, n={r['n']})" for r in flagged
        )
        if stratified:
            head = head.replace("more errors;", f"more errors than {than};", 1)
    else:
        head = f"no slice of {d.n_evaluated} has significantly more errors than {than}"
        if p.min_gap > 0:
            head += f" by at least {p.min_gap:g}"
    if stratified:
        test = (
            f"Cochran–Mantel–Haenszel ({'hypergeometric' if d.binary_errors else 'permutation'}"
            f" within {d.strata} strata of model confidence)"
        )
    else:
        test = "hypergeometric (Fisher exact)" if d.binary_errors else "Welch z"
    return CheckResult.from_parts(
        "slice",
        _discovery_parts(d, n, than, head),
        check_id=check_id,
        metric="flagged slices",
        value=float(d.n_flagged),
        interval=None,
        threshold=Threshold("<=", 0.0),
        sample_size=n,
        method=(
            f"lattice search to level {p.max_level} over {len(columns)} binned features; "
            f"one-sided {test} test per slice vs {than}, {p.correction} over all "
            f"{d.n_evaluated} slices evaluated, alpha={p.alpha:g}, min_gap={p.min_gap:g}"
        ),
        message="; ".join([head, *d.notes]),
        evidence={
            "model": p.model,
            "dataset": p.dataset,
            "error": what,
            "features": columns,
            "mean_error": rounded(d.mean_error),
            "compared_to": "same_confidence" if stratified else "rest",
            "strata": d.strata,
            "min_gap": p.min_gap,
            "n_evaluated": d.n_evaluated,
            "n_flagged": d.n_flagged,
            "levels_done": d.levels_done,
            "truncated": d.truncated,
            "approximate_bins": approximate,
            "seconds": rounded(d.seconds, 3),
            "slices": Table.of(d.slices, title=f"discovered slices, ranked ({what})"),
        },
    )


def _discovery_parts(d: Any, n: int, than: str, head: str) -> list[Part]:
    """One part per slice the search lists: its multiple-testing-corrected test of "more
    errors than ``than`` by at least min_gap" (failed when flagged; the adjusted p-value as
    its value). A test is not a bound on an interval, so no decision rule changes it. A
    search that evaluated no slice is one inconclusive part."""
    if d.n_evaluated == 0:
        return [Part("slice search", Status.INCONCLUSIVE, sample_size=n, message=head)]
    parts = []
    for row in d.slices:
        p_adj = row["p_adjusted"]
        if row["flagged"]:
            status, text = Status.FAILED, f"more errors than {than} (adjusted p={p_adj:.3g})"
        else:
            status, text = Status.PASSED, f"not flagged (adjusted p={p_adj:.3g})"
        parts.append(Part(row["slice"], status, p_adj, sample_size=row["n"], message=text))
    return parts
