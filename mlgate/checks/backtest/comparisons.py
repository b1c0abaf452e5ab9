"""The latest backtest window against reference windows, as parts of the check: one part per
reference (the drop judged on its two-sample interval against ``max_drop`` by
:meth:`Threshold.judge`) and a table row each. The statistic is in
:mod:`mlgate.checks.backtest.drop`."""

from __future__ import annotations

from typing import Any

import numpy as np

from mlgate.checks.backtest.decay import WindowScore
from mlgate.checks.backtest.drop import Drop, Sample, bonferroni_level, drop, resample
from mlgate.checks.backtest.params import REFERENCE_WORDS, BacktestParams, RelativeDrop
from mlgate.core.context import GateContext
from mlgate.core.result import Part, Status, Threshold, rounded
from mlgate.stats.metrics import MetricDef


def compare_latest(
    ctx: GateContext,
    p: BacktestParams,
    metric: MetricDef,
    latest: WindowScore,
    references: list[WindowScore],
) -> tuple[list[Part], list[dict[str, Any]]]:
    """The latest window against each reference window: one part each (the drop judged on its
    two-sample interval against ``max_drop``) and a table row each."""
    threshold = Threshold("<=", p.drop_bound)
    relative = isinstance(p.max_drop, RelativeDrop)
    defined = [r for r in references if r.comparable and r.index != latest.index]
    level = bonferroni_level(p.confidence, len(defined)) if p.compare_to == "best" else p.confidence
    if not latest.comparable or not defined:
        if not latest.comparable:
            why = f"the latest window has no {p.metric}: {latest.reason}"
        elif p.compare_to == "training":
            why = f"the training period has no {p.metric}: {references[0].reason}"
        else:
            why = "no earlier window with a value to compare it with"
        name = f"latest vs {REFERENCE_WORDS[p.compare_to]}"  # type: ignore[index]
        part = Part(name, Status.INCONCLUSIVE, threshold=threshold, message=f"{name}: {why}")
        return [part], [{"reference": name, "status": "inconclusive", "note": why}]
    new = _sample(ctx, p, metric, latest)
    parts, rows = [], []
    for ref in defined:
        d = drop(
            new,
            _sample(ctx, p, metric, ref),
            higher_is_better=metric.higher_is_better,
            relative=relative,
            level=level,
        )
        name = f"latest vs {_reference_name(p, ref)}"
        status = threshold.judge(d.interval)
        parts.append(
            Part(
                name,
                status,
                value=d.value,
                interval=d.interval,
                threshold=threshold,
                sample_size=latest.rows + ref.rows,
                message=f"{name}: {_drop_text(p, d, status)}",
            )
        )
        rows.append(_comparison_row(ref, d, threshold, status, level))
    return parts, rows


def _sample(ctx: GateContext, p: BacktestParams, metric: MetricDef, s: WindowScore) -> Sample:
    """The window's resamples: its Poisson ones when it kept them (``interval: poisson``), else
    a multinomial bootstrap of its encoded rows."""
    if s.sample is not None:
        return s.sample
    yc, out, k = s.encoded  # type: ignore[misc]
    key = "training" if s.index < 0 else str(s.index)
    return resample(
        metric,
        yc,
        out,
        k,
        rng=ctx.rng(f"backtest:{p.metric}:{p.dataset}:{key}:compare"),
        n_resamples=p.n_resamples,
    )


def _reference_name(p: BacktestParams, ref: WindowScore) -> str:
    if ref.index < 0:
        return f"the training period (up to {ref.end})"
    what = "the first window" if p.compare_to == "first" else "window"
    return f"{what} {ref.start} – {ref.end}"


_DROP_WORDS = {Status.PASSED: "≤", Status.FAILED: "above", Status.INCONCLUSIVE: "straddles"}


def _drop_text(p: BacktestParams, d: Drop, status: Status) -> str:
    """``mae worse by 0.012 [-0.004, 0.03] ≤ 0.05 (latest 0.31, reference 0.30)``; a relative
    bound shows shares of the reference's metric as percentages."""
    pct = isinstance(p.max_drop, RelativeDrop)

    def fmt(x: float) -> str:
        return f"{x:.2%}" if pct else f"{x:.4g}"

    what = f"{p.metric} worse by {'undefined' if d.value is None else fmt(d.value)}"
    values = f"(latest {d.latest:.4g}, reference {d.reference:.4g})"
    if d.interval is None:
        return f"{what} {values}; no interval: {d.reason}"
    ci = d.interval
    word = _DROP_WORDS[status]
    return f"{what} [{fmt(ci.low)}, {fmt(ci.high)}] {word} {fmt(p.drop_bound)} {values}"


def _comparison_row(
    ref: WindowScore, d: Drop, threshold: Threshold, status: Status, level: float
) -> dict[str, Any]:
    ci = d.interval
    return {
        "reference": "training period" if ref.index < 0 else f"window {ref.index + 1}",
        "start": ref.start,
        "end": ref.end,
        "rows": ref.rows,
        "value": rounded(d.reference),
        "latest": rounded(d.latest),
        "drop": rounded(d.value),
        "low": None if ci is None else rounded(ci.low),
        "high": None if ci is None else rounded(ci.high),
        "level": rounded(level),
        "max_drop": threshold.bound,
        "status": status.value,
        "note": d.reason,
    }


def decisive(parts: list[Part]) -> Part:
    """The comparison that decides the check: of the worst status, the largest drop."""
    status = Status.worst(parts)
    tied = [part for part in parts if part.status is status]
    return max(tied, key=lambda part: -np.inf if part.value is None else part.value)
