"""The ``calibration`` check for regressors: do prediction intervals cover what they claim?

* ``intervals: "module:function"`` — the model's own intervals: ``function(X)`` returns an
  (n, 2) array of lower and upper bounds at the nominal ``coverage``.
* otherwise — residual calibration: split-conformal intervals ŷ ± q, q the ⌈(m + 1)·c⌉-th
  smallest absolute residual of m calibration rows (``calibrate_on``, or a seeded split of the
  dataset; Lei et al. 2018), judged on held-out rows.

Observed coverage gets a Wilson interval; **passed** when it lies inside nominal ±
``max_coverage_gap``, **failed** when wholly outside, **inconclusive** otherwise or with fewer
than ``min_samples`` rows. The evidence has the mean width and, for residual calibration, a
nominal-vs-observed table at several levels (drawn as a reliability diagram).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from mlgate.checks.calibration._common import split_rows
from mlgate.checks.calibration.evidence import nominal_vs_observed
from mlgate.core.context import GateContext
from mlgate.core.errors import DataError, PredictionError
from mlgate.core.evidence import Table
from mlgate.core.imports import resolve_callable
from mlgate.core.result import CheckResult, Status, Threshold, rounded
from mlgate.stats.intervals import wilson_interval

KIND = "calibration"
LEVELS = (0.5, 0.6, 0.7, 0.8, 0.9, 0.95)


def conformal_radius(abs_residuals: np.ndarray, coverage: float) -> float:
    """The split-conformal radius: the ⌈(m + 1)·coverage⌉-th smallest of m absolute residuals
    (infinite when m is too small for that coverage)."""
    m = len(abs_residuals)
    rank = int(np.ceil((m + 1) * coverage))
    if rank > m:
        return float("inf")
    return float(np.sort(abs_residuals)[rank - 1])


def coverage_of(y: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> float:
    return float(np.mean((y >= lower) & (y <= upper)))


def coverage_bounds(nominal: float, gap: float) -> tuple[Threshold, Threshold]:
    """The two bounds an observed coverage (or quantile share) must respect: at least
    ``nominal − gap`` and at most ``nominal + gap``. Judged on its interval, the check takes the
    worst of the two verdicts: passed when the whole interval is inside, failed when it lies
    wholly outside either bound, else (or without an interval) inconclusive."""
    return Threshold(">=", nominal - gap), Threshold("<=", nominal + gap)


def _model_intervals(ctx: GateContext, p: Any) -> tuple[np.ndarray, np.ndarray]:
    data = ctx.dataset(p.dataset)
    fn = resolve_callable(
        p.intervals, base_dir=ctx.gate.base_dir, what="intervals", error=PredictionError
    )
    bounds = np.asarray(fn(data.X), dtype=float)
    if bounds.shape != (len(data), 2) or not np.isfinite(bounds).all():
        raise PredictionError(
            f"intervals {p.intervals!r} on dataset {p.dataset!r}: expected a finite "
            f"({len(data)}, 2) array of lower and upper bounds, got shape {bounds.shape}"
        )
    if (bounds[:, 0] > bounds[:, 1]).any():
        raise PredictionError(f"intervals {p.intervals!r}: some lower bounds exceed the upper")
    return bounds[:, 0], bounds[:, 1]


def run_regression(ctx: GateContext, p: Any, check_id: str) -> CheckResult:
    y = np.asarray(ctx.dataset(p.dataset).y, dtype=float)
    pred = np.asarray(ctx.predict(p.model, p.dataset).values, dtype=float)
    evidence: dict[str, Any] = {"model": p.model, "dataset": p.dataset, "nominal": p.coverage}
    if p.intervals is not None:
        lower, upper = _model_intervals(ctx, p)
        method = f"intervals from {p.intervals}"
    else:
        if p.calibrate_on is not None:
            fit_y = np.asarray(ctx.dataset(p.calibrate_on).y, dtype=float)
            fit_res = np.abs(fit_y - ctx.predict(p.model, p.calibrate_on).values)
            held = np.arange(len(y))
            where = f"dataset {p.calibrate_on!r}"
        else:
            rng = ctx.rng(f"calibration:{p.model}:{p.dataset}:split")
            fit, held = split_rows(len(y), p.calibration_fraction, rng)
            fit_res = np.abs(y[fit] - pred[fit])
            where = f"{len(fit)} seeded rows of {p.dataset!r}"
        y, pred = y[held], pred[held]
        rows = []
        for level in sorted({*LEVELS, p.coverage}):
            q = conformal_radius(fit_res, level)
            rows.append(
                {
                    "bin": f"{level:g}",
                    "confidence": level,
                    "accuracy": rounded(coverage_of(y, pred - q, pred + q)),
                    "radius": rounded(q),
                }
            )
        title = "nominal vs observed coverage of split-conformal intervals"
        evidence["reliability"] = nominal_vs_observed(rows, len(y), title)
        evidence["reliability_table"] = Table.of(rows, title=title)
        radius = conformal_radius(fit_res, p.coverage)
        if not np.isfinite(radius):
            raise DataError(
                f"{len(fit_res)} calibration rows are too few for coverage {p.coverage}; "
                "use more rows or a lower coverage"
            )
        lower, upper = pred - radius, pred + radius
        evidence["radius"] = rounded(radius)
        method = f"split-conformal intervals from absolute residuals on {where}"
    n = len(y)
    hits = int(((y >= lower) & (y <= upper)).sum())
    ci = wilson_interval(hits, n, p.confidence)
    observed = hits / n
    bounds = coverage_bounds(p.coverage, p.max_coverage_gap)
    status = Status.worst(bound.judge(ci) for bound in bounds)
    if n < p.min_samples:
        status = Status.INCONCLUSIVE
    width = float(np.mean(upper - lower))
    evidence.update(
        {
            "coverage": rounded(observed),
            "coverage_interval": None if ci is None else [rounded(ci.low), rounded(ci.high)],
            "mean_width": rounded(width),
            "max_coverage_gap": p.max_coverage_gap,
        }
    )
    return CheckResult(
        check_id=check_id,
        kind=KIND,
        status=status,
        metric="interval coverage",
        value=observed,
        interval=ci,
        threshold=bounds[0],
        sample_size=n,
        method=f"{method}; Wilson interval of the observed coverage",
        message=(
            f"{p.model!r}: {p.coverage:.0%} intervals cover {observed:.4f} of {n} rows "
            f"(mean width {width:.4g}); allowed {p.coverage:g} ± {p.max_coverage_gap:g}: "
            f"{status.value}"
        ),
        evidence=evidence,
    )
