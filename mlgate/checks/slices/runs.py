"""What the ``slices`` and ``fairness`` checks do with the gate context (``slice_discovery``:
:mod:`mlgate.checks.slices.discovery_run`).

Verdicts, per slice then for the check (the worst part decides, :meth:`Status.worst`): a
slice below ``min_size`` rows, or whose metric is undefined, is **inconclusive**, never passed;
a bound (``min`` / ``max``, ``max_gap``) is judged on the interval
(:meth:`Threshold.judge`: passed when the whole interval clears it, failed when it lies wholly
on the wrong side); a slice whose adjusted p-value of "worse than the rest" is ≤ ``alpha``
**fails** the significance test, a criterion only when asked (``significance: true``) or when
no bound is given. With ``small_groups: exclude`` a slice below ``min_size`` is left out of the
verdict and listed in the evidence. Each slice's criteria are parts (:class:`Part`) of the result,
so a gate's decision rule re-judges the bounds (never the test, nor a too-small slice).

``fairness``: the gap (demographic parity or equalized-odds difference) against ``max`` is
one part judged on its stratified bootstrap interval, re-judged under a gate's decision rule;
a gap that cannot be judged (fewer than two groups, undefined, or small groups with
``small_groups: inconclusive``) is an inconclusive part without a bound.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from mlgate.checks.slices.evaluate import SliceEstimate, slice_estimate, with_gaps_to_best
from mlgate.checks.slices.fairness import fairness_estimate, group_tables, rates
from mlgate.checks.slices.fairness_folded import (
    FairnessFold,
    FairnessState,
    folded_estimate,
    group_names,
)
from mlgate.checks.slices.folded import GAP_METHOD, fold_slices
from mlgate.checks.slices.spec import as_spec, materialize_all
from mlgate.core.context import GateContext
from mlgate.core.evidence import Bars, Table
from mlgate.core.result import CheckResult, Part, Status, Threshold, rounded
from mlgate.stats.metrics import get_metric
from mlgate.stats.multiple_testing import adjust
from mlgate.stats.scoring import encode, seen_classes


def _bars(rows: list[dict[str, Any]], quantity: str, title: str) -> Bars:
    """The per-slice ``value`` of ``rows`` as bars (with their intervals where rows have
    them): what the report draws and the model card's quantitative analyses show."""
    ends = [r.get("interval") or (None, None) for r in rows]
    has_interval = any(lo is not None for lo, _ in ends)
    return Bars(
        labels=[r["slice"] for r in rows],
        values=[r["value"] for r in rows],
        low=[lo for lo, _ in ends] if has_interval else None,
        high=[hi for _, hi in ends] if has_interval else None,
        over="slice",
        quantity=quantity,
        title=title,
    )


_RATE_NAMES = {"selection_rate": "selection rate", "tpr": "true positive rate"}


# -- declared slices -------------------------------------------------------------------------
def run_slices(ctx: GateContext, p: Any, check_id: str) -> CheckResult:
    metric = get_metric(p.metric)
    if p.interval == "poisson":  # folds batches: runs on Dask at any size (docs/dask.md)
        return _run_slices_folded(ctx, p, check_id, metric)
    data = ctx.dataset(p.dataset)
    preds = ctx.predict(p.model, p.dataset)
    y, (out,), k = encode(data.y, [preds], metric, ctx.task, models=[p.model], dataset=p.dataset)
    declared = _declared(p, data.spec)
    slices = materialize_all([as_spec(s) for s in declared], data.frame)
    estimates = [
        slice_estimate(
            metric,
            y,
            out,
            k,
            sl,
            rng=lambda part, name=sl.name: ctx.rng(f"{check_id}:{name}:{part}"),
            min_size=p.min_size,
            level=p.confidence,
            method=p.interval,
            n_resamples=p.n_resamples,
        )
        for sl in slices
    ]
    if p.gap_to == "best":
        estimates = with_gaps_to_best(
            estimates, [sl.declaration for sl in slices], metric, p.confidence
        )
    no_value = rows_without_value(data.frame, [c for d in declared for c in as_spec(d).columns])
    return _judge_slices(p, check_id, metric, estimates, len(y), no_value)


def _declared(p: Any, spec: Any) -> list[Any]:
    """The check's slice declarations: its own, else the dataset's ``slices`` and
    ``sensitive`` columns (a column listed in both is sliced once)."""
    if p.slices is not None:
        return list(p.slices)
    return list(dict.fromkeys([*spec.slices, *spec.sensitive]))


def _run_slices_folded(ctx: GateContext, p: Any, check_id: str, metric: Any) -> CheckResult:
    """``interval: poisson``: one fold over the batches (mlgate.checks.slices.folded)."""
    from mlgate.stats.poisson import PoissonFold, stream_key

    classes = None
    if metric.needs != "values":
        classes = ctx.fold_classes(p.model, p.dataset)
    key = stream_key(ctx.seed, f"slices:{check_id}")
    k = len(classes or ())
    encoder = PoissonFold(p.metric, k, classes, p.n_resamples, key, p.model, p.dataset)
    specs = [as_spec(s) for s in _declared(p, ctx.gate.config.datasets[p.dataset])]
    folded = fold_slices(ctx, p, metric, specs, encoder)
    return _judge_slices(p, check_id, metric, folded.estimates, folded.n, folded.no_value)


def _judge_slices(
    p: Any,
    check_id: str,
    metric: Any,
    estimates: list[SliceEstimate],
    n: int,
    no_value: dict[str, int],
) -> CheckResult:
    """The verdict of the slice ``estimates`` (either path): the significance test adjusted
    over the evaluable slices, each slice's parts, and the result."""
    tested = [i for i, e in enumerate(estimates) if e.evaluable]
    p_adj = adjust([estimates[i].p_value for i in tested], p.correction) if tested else []
    adjusted = dict(zip(tested, (float(v) for v in p_adj), strict=True))
    significance = significance_on(p)
    rows, parts, excluded = [], [], []
    for i, e in enumerate(estimates):
        if p.small_groups == "exclude" and e.n < p.min_size:
            excluded.append(e.name)
            note = f"only {e.n} rows (min_size={p.min_size}): excluded"
            rows.append(_slice_row(e, adjusted.get(i), "excluded", [note], p.gap_to))
            continue
        status, notes, slice_parts = _slice_parts(p, e, adjusted.get(i), significance)
        parts += slice_parts
        rows.append(_slice_row(e, adjusted.get(i), status.value, notes, p.gap_to))
    return _slices_result(
        p, check_id, metric, rows, parts, estimates, n, significance, excluded, no_value
    )


def significance_on(p: Any) -> bool:
    """Whether the slice-vs-rest test is a criterion: as given, else only when no bound is
    (``min`` / ``max`` / ``max_gap`` alone mean the bound alone)."""
    if p.significance is not None:
        return bool(p.significance)
    return p.min is None and p.max is None and p.max_gap is None


def _slice_parts(
    p: Any, e: SliceEstimate, p_adj: float | None, significance: bool
) -> tuple[Status, list[str], list[Part]]:
    """The slice's status, its notes and one part per criterion: each bound judged on its
    interval (re-judged under a gate's decision rule) and the significance test (a part with
    no interval: the rule does not change it). A slice too small or with an undefined metric
    is one inconclusive part without a bound."""
    notes: list[str] = []
    if e.n < p.min_size or e.value is None:
        note = e.reason or f"only {e.n} rows"
        part = Part(e.name, Status.INCONCLUSIVE, value=e.value, sample_size=e.n, message=note)
        return Status.INCONCLUSIVE, [note], [part]
    parts: list[Part] = []
    if p.min is not None or p.max is not None:
        op, bound = (">=", p.min) if p.min is not None else ("<=", p.max)
        threshold = Threshold(op, bound)
        s = threshold.judge(e.interval)
        text = f"{p.metric} {op} {bound:g}: {s.value}"
        if s is not Status.PASSED:
            notes.append(text)
        parts.append(Part(f"{e.name}: {p.metric}", s, e.value, e.interval, threshold, e.n, text))
    if p.max_gap is not None:
        gap, gi = e.gap(p.gap_to)
        threshold = Threshold("<=", p.max_gap)
        s = threshold.judge(gi)
        text = f"gap to {p.gap_to} <= {p.max_gap:g}: {s.value}"
        if s is not Status.PASSED:
            notes.append(text)
        name = f"{e.name}: gap to {p.gap_to}"
        parts.append(Part(name, s, gap, gi, threshold, e.n, text))
    if significance:
        name = f"{e.name}: not worse than the rest"
        if p_adj is None:
            text = e.reason or "no test"
            parts.append(Part(name, Status.INCONCLUSIVE, sample_size=e.n, message=text))
            notes.append(text)
        elif p_adj <= p.alpha:
            text = f"significantly worse than the rest (adjusted p={p_adj:.3g})"
            parts.append(Part(name, Status.FAILED, p_adj, sample_size=e.n, message=text))
            notes.append(text)
        else:
            text = f"adjusted p={p_adj:.3g} > alpha={p.alpha:g}"
            parts.append(Part(name, Status.PASSED, p_adj, sample_size=e.n, message=text))
    if e.reason and not notes:
        notes.append(e.reason)
    return Status.worst(parts), notes, parts


def _slice_row(e: SliceEstimate, p_adj, status: str, notes, gap_to: str) -> dict[str, Any]:
    gap, gap_i = e.gap(gap_to)
    ci = e.interval
    return {
        "slice": e.name,
        "n": e.n,
        "value": rounded(e.value),
        "interval": None if ci is None else [rounded(ci.low), rounded(ci.high)],
        "rest": rounded(e.rest_value),
        "gap": rounded(gap),
        "gap_interval": None if gap_i is None else [rounded(gap_i.low), rounded(gap_i.high)],
        "p_value": rounded(e.p_value, 8),
        "p_adjusted": rounded(p_adj, 8),
        "status": status,
        "message": "; ".join(notes),
    }


def rows_without_value(frame: pd.DataFrame, columns: list[str]) -> dict[str, int]:
    """Per slice column, how many rows have no value (NaN/None) there: they fall in no slice
    of that column, and a report that did not say so would hide them."""
    out = {}
    for column in dict.fromkeys(columns):
        if column in frame.columns:
            missing = int(frame[column].isna().sum())
            if missing:
                out[str(column)] = missing
    return out


def _no_value_note(no_value: dict[str, int], n: int) -> str:
    return "; ".join(
        f"{k} of {n} rows have no {c!r} and are in no slice of it" for c, k in no_value.items()
    )


def _slices_result(
    p, check_id, metric, rows, parts, estimates, n, significance, excluded, no_value=None
) -> CheckResult:
    status = Status.worst(parts)  # no slice at all: inconclusive
    judged = [r for r in rows if r["status"] != "excluded"]
    sign = 1.0 if metric.higher_is_better else -1.0
    valued = [e for e in estimates if e.value is not None and e.name not in excluded]
    worst = min(valued, key=lambda e: sign * e.value) if valued else None
    threshold = None
    if p.min is not None or p.max is not None:
        threshold = Threshold(">=", p.min) if p.min is not None else Threshold("<=", p.max)
    bad = [r for r in judged if r["status"] != "passed"]
    head = {
        Status.PASSED: f"every one of {len(judged)} slices holds",
        Status.FAILED: f"{sum(r['status'] == 'failed' for r in judged)} of {len(judged)} "
        "slices fail",
        Status.INCONCLUSIVE: f"{len(bad)} of {len(judged)} slices cannot be judged",
    }.get(status, status.value)
    details = "; ".join(f"{r['slice']}: {r['message'] or r['status']}" for r in bad[:5])
    message = f"{head}" + (f". {details}" if details else "")
    if excluded:
        message += f"; excluded below min_size={p.min_size}: {', '.join(excluded)}"
    if no_value:
        message += f"; {_no_value_note(no_value, n)}"
    method = f"{p.metric} per slice with a {p.interval} interval"
    if p.interval == "poisson":
        method += f"; gaps: {GAP_METHOD} (one weight stream for every slice)"
    if significance:
        test = (
            "normal test, se of the paired Poisson resampled gaps"
            if p.interval == "poisson"
            else "normal test on independent estimates"
        )
        method += f"; slice vs rest: {test}, {p.correction} correction over {len(rows)} slices"
    return CheckResult.from_parts(
        "slice",
        parts,
        check_id=check_id,
        metric=f"{p.metric} of the worst slice" + (f" ({worst.name})" if worst else ""),
        value=worst.value if worst else None,
        interval=worst.interval if worst else None,
        threshold=threshold,
        sample_size=n,
        method=method,
        message=message,
        evidence={
            "model": p.model,
            "dataset": p.dataset,
            "metric": p.metric,
            "min_size": p.min_size,
            "significance": significance,
            "alpha": p.alpha,
            "correction": p.correction,
            "max_gap": p.max_gap,
            "gap_to": p.gap_to,
            "small_groups": p.small_groups,
            "excluded": excluded,
            "rows_in_no_slice": no_value or {},
            "per_slice": _bars(rows, p.metric, f"{p.metric} per slice"),
            "slices": Table.of(rows, title=f"{p.metric} per slice, with its gap and test"),
        },
    )


# -- fairness --------------------------------------------------------------------------------
def run_fairness(ctx: GateContext, p: Any, check_id: str) -> CheckResult:
    if p.interval == "poisson":  # folds batches: runs on Dask at any size (docs/dask.md)
        return _run_fairness_folded(ctx, p, check_id)
    data = ctx.dataset(p.dataset)
    preds = ctx.predict(p.model, p.dataset)
    classes = preds.classes if preds.classes is not None else seen_classes(data.y, preds.labels)
    positive = classes[-1]
    cols = list(p.sensitive or data.spec.sensitive)
    grouped = data.frame.groupby(cols, sort=True, dropna=True)
    group_codes = grouped.ngroup().to_numpy()
    index = grouped.size().index
    keys = index.tolist() if isinstance(index, pd.MultiIndex) else [(k,) for k in index]
    names = [" & ".join(f"{c}={v}" for c, v in zip(cols, key, strict=True)) for key in keys]
    known = group_codes >= 0
    tables = group_tables(
        np.asarray(data.y == positive)[known],
        np.asarray(preds.labels == positive)[known],
        group_codes[known],
        len(names),
    )

    def stratified(use: np.ndarray) -> Any:
        return fairness_estimate(
            p.metric,
            tables[use],
            rng=ctx.rng(check_id),
            n_resamples=p.n_resamples,
            level=p.confidence,
        )

    no_value = rows_without_value(data.frame, cols)
    without = int((~known).sum())
    return _fairness_result(
        p, check_id, cols, positive, names, tables, stratified, no_value, len(group_codes), without
    )


def _run_fairness_folded(ctx: GateContext, p: Any, check_id: str) -> CheckResult:
    """``interval: poisson``: the groups' weighted tables from one fold over the batches
    (mlgate.checks.slices.fairness_folded)."""
    from mlgate.stats.poisson import stream_key

    classes = ctx.fold_classes(p.model, p.dataset, binary=True)
    positive = classes[-1]
    cols = list(p.sensitive or ctx.gate.config.datasets[p.dataset].sensitive)
    key = stream_key(ctx.seed, f"fairness:{check_id}")
    fold = FairnessFold(tuple(cols), positive, p.n_resamples, key, p.model)
    state = ctx.fold(p.model, p.dataset, fold, FairnessState.merge, columns=cols)
    keys = state.groups()
    names = group_names(cols, keys)
    tables = (
        np.stack([state.tables.point[k] for k in keys]).astype(float) if keys else np.zeros((0, 4))
    )
    rows = int(tables.sum()) + state.without_group

    def poisson(use: np.ndarray) -> Any:
        chosen = [k for k, u in zip(keys, use, strict=True) if u]
        return folded_estimate(p.metric, state, chosen, level=p.confidence)

    return _fairness_result(
        p,
        check_id,
        cols,
        positive,
        names,
        tables,
        poisson,
        state.no_value,
        rows,
        state.without_group,
    )


def _fairness_result(
    p: Any,
    check_id: str,
    cols: list[str],
    positive: Any,
    names: list[str],
    tables: np.ndarray,
    estimate: Any,
    no_value: dict[str, int],
    n_rows: int,
    without_group: int,
) -> CheckResult:
    """The fairness result from the groups' (G, 4) ``tables``; ``estimate(use)`` estimates the
    gap over the groups ``use`` selects (the stratified or the Poisson bootstrap)."""
    sizes = tables.sum(axis=1)
    small = sizes < p.min_group_size
    r = rates(tables)
    # the rate the report draws as bars: selection rate for parity, TPR for equalized odds
    shown = "selection_rate" if p.metric == "demographic_parity_difference" else "tpr"
    rows = [
        {
            "slice": name,
            "n": int(sizes[g]),
            "value": rounded(float(r[shown][g])),
            "selection_rate": rounded(float(r["selection_rate"][g])),
            "tpr": rounded(float(r["tpr"][g])),
            "fpr": rounded(float(r["fpr"][g])),
            "small": bool(small[g]),
        }
        for g, name in enumerate(names)
    ]
    use = ~small if p.small_groups == "exclude" else np.ones(len(names), dtype=bool)
    notes = []
    if no_value:
        notes.append(_no_value_note(no_value, n_rows))
    listed = [n for n, s in zip(names, small, strict=True) if s]
    if listed:
        notes.append(f"groups below min_group_size={p.min_group_size}: {', '.join(listed)}")
    est = None
    if use.sum() >= 2:
        est = estimate(use)
    part, note = _fairness_part(p, est, listed, int(sizes[use].sum()))
    if note is not None:
        notes.append(note)
    value = None if est is None or np.isnan(est.value) else est.value
    text = f"{p.metric} over {cols}: " + (f"{value:.4f}" if value is not None else "undefined")
    if est is not None and est.interval is not None and value is not None:
        text += f" [{est.interval.low:.4f}, {est.interval.high:.4f}] vs max {p.max:g}"
    return CheckResult.from_parts(
        "fairness",
        [part],
        check_id=check_id,
        metric=p.metric,
        value=value,
        interval=est.interval if est is not None and value is not None else None,
        threshold=Threshold("<=", p.max),
        sample_size=int(sizes[use].sum()),
        method=(
            f"{p.metric} (max − min over groups of {cols}; positive class {positive!r}), "
            + (
                "Poisson bootstrap percentile interval (folded group tables)"
                if p.interval == "poisson"
                else "stratified bootstrap percentile interval"
            )
        ),
        message="; ".join([text, *notes]),
        evidence={
            "model": p.model,
            "dataset": p.dataset,
            "sensitive": cols,
            "positive_class": positive,
            "rows_without_group": without_group,
            "small_groups": p.small_groups,
            "excluded": listed if p.small_groups == "exclude" else [],
            "per_slice": _bars(rows, _RATE_NAMES[shown], f"{_RATE_NAMES[shown]} per group"),
            "slices": Table.of(rows, title="rates per group of the sensitive attributes"),
        },
    )


def _fairness_part(p: Any, est: Any, small: list[str], n: int) -> tuple[Part, str | None]:
    """The fairness check's one part and, when the gap cannot be judged, why (for the
    message). The part is the gap's bound judged on its bootstrap interval (a gate's decision
    rule re-judges it); or, when the gap cannot be judged (fewer than two groups, a gap
    undefined on the data or on more than 5% of the resamples, or groups ``small`` below
    ``min_group_size`` with ``small_groups: inconclusive``), an inconclusive part without a
    bound: too little data is inconclusive under every rule."""
    name = f"{p.metric} <= {p.max:g}"
    if est is None:
        why = "fewer than two groups to compare"
        return Part(name, Status.INCONCLUSIVE, sample_size=n, message=why), why
    value = None if np.isnan(est.value) else est.value
    note = None
    if value is None:
        note = why = "a group has no positives or no negatives: the gap is undefined"
    elif est.n_undefined / p.n_resamples > 0.05:
        note = why = f"undefined on {est.n_undefined} of {p.n_resamples} resamples"
    elif small and p.small_groups == "inconclusive":
        why = f"groups below min_group_size={p.min_group_size}: {', '.join(small)}"
    else:
        threshold = Threshold("<=", p.max)
        status = threshold.judge(est.interval)
        return Part(name, status, value, est.interval, threshold, n, status.value), None
    return Part(name, Status.INCONCLUSIVE, value, est.interval, None, n, why), note
