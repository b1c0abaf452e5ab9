"""Quantile calibration for regressors that predict quantiles: does a predicted τ-quantile
lie above the target a fraction τ of the time?

``quantiles: "module:function"`` returns an (n, L) array, one column per level of ``levels``
(increasing). Per level the observed share P(y ≤ q̂_τ) gets a Wilson interval, judged against
τ ± ``max_coverage_gap`` like interval coverage; each level's two bounds are parts
(``CheckResult.from_parts``: a gate's decision rule re-judges them) and the check takes the
worst (with fewer than ``min_samples`` rows the parts have no bound: inconclusive). The
evidence has the per-level table (drawn as a reliability diagram: nominal vs observed), the
mean pinball loss per level, and the coverage and mean width of the outermost pair's interval.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from mlgate.checks.calibration.evidence import nominal_vs_observed
from mlgate.checks.calibration.regression import bound_parts, coverage_bounds
from mlgate.core.context import GateContext
from mlgate.core.errors import PredictionError
from mlgate.core.evidence import Table
from mlgate.core.imports import resolve_callable
from mlgate.core.result import CheckResult, Status, rounded
from mlgate.stats.intervals import wilson_interval


def predicted_quantiles(ctx: GateContext, p: Any) -> np.ndarray:
    """The (n, L) quantiles ``p.quantiles`` gives for the dataset. Raises PredictionError for
    a wrong shape or non-finite values."""
    data = ctx.dataset(p.dataset)
    fn = resolve_callable(
        p.quantiles, base_dir=ctx.gate.base_dir, what="quantiles", error=PredictionError
    )
    q = np.asarray(fn(data.X), dtype=float)
    shape = (len(data), len(p.levels))
    if q.shape != shape or not np.isfinite(q).all():
        raise PredictionError(
            f"quantiles {p.quantiles!r} on dataset {p.dataset!r}: expected a finite {shape} "
            f"array (one column per level {p.levels}), got shape {q.shape}"
        )
    return q


def run_quantiles(ctx: GateContext, p: Any, check_id: str) -> CheckResult:
    y = np.asarray(ctx.dataset(p.dataset).y, dtype=float)
    q = predicted_quantiles(ctx, p)
    n = len(y)
    rows, statuses, gaps, bounds, parts = [], [], [], [], []
    for j, tau in enumerate(p.levels):
        below = int((y <= q[:, j]).sum())
        ci = wilson_interval(below, n, p.confidence)
        bounds.append(coverage_bounds(tau, p.max_coverage_gap))
        status = Status.worst(bound.judge(ci) for bound in bounds[-1])
        name = f"level {tau:g}: share"
        parts += bound_parts(name, below / n, ci, n, bounds[-1], min_samples=p.min_samples)
        diff = y - q[:, j]
        pinball = float(np.mean(np.maximum(tau * diff, (tau - 1.0) * diff)))
        statuses.append(status)
        gaps.append((abs(below / n - tau), j, ci))
        rows.append(
            {
                "bin": f"{tau:g}",
                "confidence": tau,
                "accuracy": rounded(below / n),
                "interval": None if ci is None else [rounded(ci.low), rounded(ci.high)],
                "pinball_loss": rounded(pinball),
                "status": status.value,
            }
        )
    _, j, ci = max(gaps, key=lambda g: g[0])
    lo, hi = q[:, 0], q[:, -1]
    inside = float(np.mean((y >= lo) & (y <= hi)))
    tau = p.levels[j]
    title = "nominal quantile level vs observed share of targets at or below it"
    return CheckResult.from_parts(
        "calibration",
        parts,
        check_id=check_id,
        metric=f"share of targets at or below the {tau:g}-quantile",
        value=rows[j]["accuracy"],
        interval=ci,
        threshold=bounds[j][0],
        sample_size=n,
        method=f"quantiles from {p.quantiles}; Wilson interval of P(y <= q) per level",
        message=(
            f"{p.model!r}: worst level {tau:g} observed {rows[j]['accuracy']:.4f} on {n} rows "
            f"(allowed ± {p.max_coverage_gap:g}); {sum(s is Status.PASSED for s in statuses)} of "
            f"{len(statuses)} levels pass"
        ),
        evidence={
            "model": p.model,
            "dataset": p.dataset,
            "levels": list(p.levels),
            "reliability": nominal_vs_observed(rows, n, title),
            "reliability_table": Table.of(rows, title=title),
            "outer_interval": {
                "nominal": rounded(p.levels[-1] - p.levels[0]),
                "coverage": rounded(inside),
                "mean_width": rounded(float(np.mean(hi - lo))),
            },
            "max_coverage_gap": p.max_coverage_gap,
        },
    )
