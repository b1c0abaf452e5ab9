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

Coverage alone cannot see a constant **bias**: intervals built from absolute residuals widen
to absorb it and still cover as claimed. So the mean error ŷ − y is reported beside coverage,
with its Student-t interval, in units of the target's standard deviation (the *standardized
bias*; the sd of the same rows is taken as the scale), and judged against ± ``max_bias`` when
the parameters give it (by the gate's decision rule; strict: passed only when the whole
interval lies inside). Without
``max_bias`` the bias is still judged against ±:data:`DEFAULT_MAX_BIAS`, but only to fail
(when the whole interval lies outside): a planted constant bias is caught, and a model is
never held because its interval is too wide to show that the bias is small.

Each criterion is a part (``CheckResult.from_parts``): coverage's two bounds and, with
``max_bias``, the bias's two bounds, each judged on its interval, so a gate's decision rule
re-judges them; the default bias net is a part without a bound (no rule changes it), and too
few rows are parts without a bound (inconclusive under every rule).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats

from mlgate.checks.calibration._common import split_rows
from mlgate.checks.calibration.evidence import nominal_vs_observed
from mlgate.core.context import GateContext
from mlgate.core.errors import DataError, PredictionError
from mlgate.core.evidence import Table
from mlgate.core.imports import resolve_callable
from mlgate.core.result import CheckResult, Interval, Part, Status, Threshold, rounded
from mlgate.stats.intervals import wilson_interval

KIND = "calibration"
LEVELS = (0.5, 0.6, 0.7, 0.8, 0.9, 0.95)

#: The standardized bias a regressor is failed for when the whole interval of its mean error
#: lies beyond ± this many target standard deviations and no ``max_bias`` is given.
DEFAULT_MAX_BIAS = 0.1


@dataclass(frozen=True)
class Bias:
    """The mean error ŷ − y (positive: the model over-predicts) with its Student-t interval,
    and both in units of the target's standard deviation (``standardized``; None when the
    target is constant or there are fewer than two rows)."""

    mean_error: float
    interval: Interval | None
    target_sd: float
    n: int

    @property
    def standardized(self) -> float | None:
        return self.mean_error / self.target_sd if self.target_sd > 0 else None

    @property
    def standardized_interval(self) -> Interval | None:
        ci, sd = self.interval, self.target_sd
        if ci is None or not sd > 0:
            return None
        return Interval(ci.low / sd, ci.high / sd, ci.level, "student-t / target sd")

    def to_dict(self) -> dict[str, Any]:
        ci, z = self.interval, self.standardized_interval
        return {
            "mean_error": rounded(self.mean_error),
            "interval": None if ci is None else [rounded(ci.low), rounded(ci.high)],
            "target_sd": rounded(self.target_sd),
            "standardized": rounded(self.standardized),
            "standardized_interval": None if z is None else [rounded(z.low), rounded(z.high)],
            "rows": self.n,
        }


def mean_error(y: np.ndarray, pred: np.ndarray, level: float) -> Bias:
    """The bias of predictions ``pred`` of ``y``: the mean of ŷ − y with a two-sided ``level``
    Student-t interval (as ``scipy.stats.ttest_1samp(...).confidence_interval``), and the
    target's sample standard deviation (ddof 1) as its scale."""
    e = np.asarray(pred, dtype=float) - np.asarray(y, dtype=float)
    n = len(e)
    sd = float(np.std(y, ddof=1)) if n > 1 else 0.0
    if n < 2:
        return Bias(float(e.mean()) if n else float("nan"), None, sd, n)
    m = float(e.mean())
    half = float(stats.t.ppf(0.5 + level / 2, n - 1) * e.std(ddof=1) / np.sqrt(n))
    return Bias(m, Interval(m - half, m + half, level, "student-t"), sd, n)


def bias_parts(bias: Bias, max_bias: float | None, min_samples: int = 0) -> list[Part]:
    """The bias criterion as parts. With ``max_bias``: the standardized bias against
    ``>= -max_bias`` and ``<= max_bias``, one part per bound judged on its interval (a gate's
    decision rule re-judges them; below ``min_samples`` rows, parts with no bound:
    inconclusive under every rule). Without: one part with no bound, failed only when the
    whole interval lies beyond ± :data:`DEFAULT_MAX_BIAS` (a safety net that never holds a
    model for want of evidence, so no decision rule changes it)."""
    name = "standardized bias"
    z, zi = bias.standardized, bias.standardized_interval
    if max_bias is not None:
        bounds = (Threshold(">=", -max_bias), Threshold("<=", max_bias))
        return bound_parts(name, z, zi, bias.n, bounds, min_samples=min_samples)
    clear = zi is not None and any(
        t.judge(zi) is Status.FAILED
        for t in (Threshold(">=", -DEFAULT_MAX_BIAS), Threshold("<=", DEFAULT_MAX_BIAS))
    )
    status = Status.FAILED if clear else Status.PASSED
    note = f"beyond ±{DEFAULT_MAX_BIAS:g} sd only when the whole interval is: {status.value}"
    return [Part(name, status, z, zi, None, bias.n, note)]


def judge_bias(bias: Bias, max_bias: float | None) -> tuple[Status, Threshold]:
    """The standardized bias against ± ``max_bias`` (strict), or, without one, against
    ± :data:`DEFAULT_MAX_BIAS` only to fail (:func:`bias_parts`). Returns the status and the
    bound it is judged on (the side the estimate lies on)."""
    bound = DEFAULT_MAX_BIAS if max_bias is None else max_bias
    side = Threshold(">=", -bound) if (bias.standardized or 0.0) < 0 else Threshold("<=", bound)
    return Status.worst(bias_parts(bias, max_bias)), side


def bound_parts(
    name: str,
    value: float | None,
    interval: Interval | None,
    n: int,
    bounds: tuple[Threshold, ...],
    *,
    min_samples: int,
) -> list[Part]:
    """One part per bound of ``bounds`` for a statistic with ``interval`` on ``n`` rows,
    judged on the interval (strict; a gate's decision rule re-judges it), named ``name op
    bound``. With fewer than ``min_samples`` rows the parts have no bound: inconclusive under
    every rule, because too little data is never a pass."""
    parts = []
    for bound in bounds:
        label = f"{name} {bound.op} {bound.bound:g}"
        if n < min_samples:
            note = f"{n} rows, fewer than min_samples={min_samples}"
            parts.append(Part(label, Status.INCONCLUSIVE, value, interval, None, n, note))
        else:
            status = bound.judge(interval)
            parts.append(Part(label, status, value, interval, bound, n, status.value))
    return parts


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
    # The bias needs no fitting, so it is measured on every row of the dataset.
    max_bias = getattr(p, "max_bias", None)
    bias = mean_error(y, pred, p.confidence)
    _, bias_bound = judge_bias(bias, max_bias)
    bias_judged = bias_parts(bias, max_bias, p.min_samples)
    bias_status = Status.worst(bias_judged)
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
    coverage = bound_parts("coverage", observed, ci, n, bounds, min_samples=p.min_samples)
    parts = coverage + bias_judged
    status = Status.worst(coverage)
    width = float(np.mean(upper - lower))
    evidence.update(
        {
            "coverage": rounded(observed),
            "coverage_interval": None if ci is None else [rounded(ci.low), rounded(ci.high)],
            "mean_width": rounded(width),
            "max_coverage_gap": p.max_coverage_gap,
            "bias": {
                **bias.to_dict(),
                "max_bias": DEFAULT_MAX_BIAS if max_bias is None else max_bias,
                "judged": "strict" if max_bias is not None else "fails only a clear bias",
                "status": bias_status.value,
            },
        }
    )
    coverage_text = (
        f"{p.model!r}: {p.coverage:.0%} intervals cover {observed:.4f} of {n} rows "
        f"(mean width {width:.4g}); allowed {p.coverage:g} ± {p.max_coverage_gap:g}: "
        f"{status.value}"
    )
    headline: dict[str, Any] = {
        "metric": "interval coverage",
        "value": observed,
        "interval": ci,
        "threshold": bounds[0],
        "sample_size": n,
    }
    message = coverage_text
    # The bias is shown when it was asked for or when it decides the check.
    if max_bias is not None or bias_status is not Status.PASSED:
        message = f"{coverage_text}; {_bias_text(bias, bias_bound, bias_status)}"
    if Status.worst(parts) is not status:
        headline = {
            "metric": "standardized bias (mean error / target sd)",
            "value": bias.standardized,
            "interval": bias.standardized_interval,
            "threshold": bias_bound,
            "sample_size": bias.n,
        }
    return CheckResult.from_parts(
        KIND,
        parts,
        check_id=check_id,
        method=(
            f"{method}; Wilson interval of the observed coverage; bias: Student-t interval of "
            "the mean error over the target's sd"
        ),
        message=message,
        evidence=evidence,
        **headline,
    )


def _bias_text(bias: Bias, bound: Threshold, status: Status) -> str:
    z, zi = bias.standardized, bias.standardized_interval
    if z is None or zi is None:
        return f"bias: no interval ({bias.n} rows, target sd {bias.target_sd:g}): {status.value}"
    return (
        f"bias: mean error {bias.mean_error:+.4g} = {z:+.4g} sd of the target "
        f"[{zi.low:+.4g}, {zi.high:+.4g}] ({zi.level:.0%} CI), allowed ±{abs(bound.bound):g} sd: "
        f"{status.value}"
    )
