"""What the ``slice_discovery`` check does with the gate context: per-row errors, the
model-confidence strata, the lattice search (:mod:`mlgate.checks.slices.discovery`) and the
verdict. Each slice the search lists is a part (:class:`Part`): its corrected test of "more
errors than comparable rows by at least ``min_gap``", failed when flagged. A test is not a
bound on an interval, so a gate's decision rule leaves the verdict as it is.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from mlgate.checks.slices.discovery import bin_features, discover, n_combinations
from mlgate.core.context import GateContext
from mlgate.core.errors import DataError
from mlgate.core.evidence import Table
from mlgate.core.result import CheckResult, Part, Status, Threshold, rounded
from mlgate.core.task import Task
from mlgate.stats import losses
from mlgate.stats.metrics import get_metric
from mlgate.stats.scoring import encode


def row_errors(ctx: GateContext, p: Any) -> tuple[np.ndarray, str]:
    """Per-row errors of ``p.model`` on ``p.dataset`` and their name."""
    data = ctx.dataset(p.dataset)
    preds = ctx.predict(p.model, p.dataset)
    if ctx.task is Task.REGRESSION:
        kind = "absolute" if p.error == "auto" else p.error
        y = np.asarray(data.y, dtype=float)
        diff = y - np.asarray(preds.values, dtype=float)
        return (np.abs(diff) if kind == "absolute" else diff**2), f"{kind} error"
    kind = "misclassification" if p.error == "auto" else p.error
    if kind == "misclassification":
        return (np.asarray(preds.labels) != np.asarray(data.y)).astype(float), "error rate"
    metric = get_metric(kind)
    y, (scores,), k = encode(data.y, [preds], metric, ctx.task, models=[p.model], dataset=p.dataset)
    fn = losses.log_loss_rows if kind == "log_loss" else losses.brier_rows
    return fn(y, scores, k), kind


def confidence_strata(ctx: GateContext, p: Any) -> np.ndarray | None:
    """Each row's stratum of model confidence (the predicted class's probability, cut at its
    ``p.strata`` quantiles; tied confidences share a stratum), or None when each slice is
    compared with the whole rest (``compare_to: rest``, regression, or ``auto`` with a model
    that gives no probabilities). Raises DataError for ``same_confidence`` without them."""
    if p.compare_to == "rest" or ctx.task is Task.REGRESSION:
        return None
    preds = ctx.predict(p.model, p.dataset)
    if preds.scores is None:
        if p.compare_to == "same_confidence":
            raise DataError(
                f"compare_to 'same_confidence': model {p.model!r} gives no class "
                "probabilities; use compare_to: rest"
            )
        return None
    confidence = np.asarray(preds.scores, dtype=float).max(axis=1)
    edges = np.unique(np.quantile(confidence, np.linspace(0.0, 1.0, p.strata + 1))[1:-1])
    return np.searchsorted(edges, confidence, side="right")


def run_discovery(ctx: GateContext, p: Any, check_id: str) -> CheckResult:
    data = ctx.dataset(p.dataset)
    errors, what = row_errors(ctx, p)
    strata = confidence_strata(ctx, p)
    columns = p.features or [*data.spec.slices, *data.spec.sensitive] or data.feature_names
    columns = list(dict.fromkeys(columns))
    binned = bin_features(data.frame, columns, n_bins=p.n_bins, max_categories=p.max_categories)
    total = n_combinations(len(binned.labels), p.max_level)
    with ctx.progress.task("slice search", total) as advance:
        d = discover(
            errors,
            binned,
            min_size=p.min_size,
            max_level=p.max_level,
            alpha=p.alpha,
            correction=p.correction,
            min_gap=p.min_gap,
            top_k=p.top_k,
            max_seconds=p.max_seconds,
            level=p.confidence,
            progress=advance,
            strata=strata,
        )
    stratified = d.strata > 1
    than = "rows of the same confidence" if stratified else "the rest"
    if d.n_evaluated == 0:
        head = f"no slice has between {p.min_size} and {len(errors) - p.min_size} rows"
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
        _discovery_parts(d, len(errors), than, head),
        check_id=check_id,
        metric="flagged slices",
        value=float(d.n_flagged),
        interval=None,
        threshold=Threshold("<=", 0.0),
        sample_size=len(errors),
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
