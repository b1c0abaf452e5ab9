"""The statistics of a backtest: a metric with its interval on each window, and the decay
slope across windows. Pure functions of encoded arrays and window results; no gate."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import stats

from mlgate.checks.backtest.drop import Sample
from mlgate.core.result import Interval, Part, Status, Threshold, rounded
from mlgate.stats.evaluate import MetricEstimate


@dataclass(frozen=True)
class WindowScore:
    """One window's metric (``estimate`` is None when it has too few rows, the metric is
    undefined there, or the ``train`` function raised for it; ``reason`` says why, and
    ``error`` is True in the last case)."""

    index: int
    start: str
    end: str
    rows: int
    estimate: MetricEstimate | None
    reason: str = ""
    error: bool = False
    #: The window's encoded rows ``(y, output, k)``, kept for comparisons between windows.
    encoded: tuple[Any, ...] | None = field(default=None, compare=False, repr=False)
    #: Or, with ``interval: poisson``, the window's metric on each Poisson resample, which is
    #: what a comparison reads (:mod:`mlgate.checks.backtest.folded`).
    sample: Sample | None = field(default=None, compare=False, repr=False)

    @property
    def comparable(self) -> bool:
        """Whether a comparison can resample this window (its rows or its resamples kept)."""
        return self.encoded is not None or self.sample is not None

    @property
    def value(self) -> float | None:
        return None if self.estimate is None else self.estimate.value


@dataclass(frozen=True)
class Decay:
    """Change of the metric per window, oriented so that positive is worse (a drop of a
    higher-is-better metric, a rise of a loss), with a Student-t interval of the ordinary
    least-squares slope (``scipy.stats.linregress``) over the windows that have a value."""

    per_window: float
    interval: Interval | None
    n_windows: int

    def to_dict(self) -> dict:
        ci = self.interval
        return {
            "per_window": rounded(self.per_window),
            "low": None if ci is None else rounded(ci.low),
            "high": None if ci is None else rounded(ci.high),
            "windows": self.n_windows,
            "method": "OLS slope of the window metric on the window index, Student-t interval",
        }


def decay(scores: list[WindowScore], *, higher_is_better: bool, level: float) -> Decay | None:
    """The decay slope across windows, or None with fewer than two windows that have a value.
    Three windows are needed for an interval."""
    pts = [(s.index, s.value) for s in scores if s.value is not None and np.isfinite(s.value)]
    if len(pts) < 2:
        return None
    x = np.array([p[0] for p in pts], dtype=float)
    y = np.array([p[1] for p in pts], dtype=float)
    sign = -1.0 if higher_is_better else 1.0
    if len(pts) == 2:
        slope = (y[1] - y[0]) / (x[1] - x[0])
        return Decay(sign * float(slope), None, 2)
    fit = stats.linregress(x, y)
    t = float(stats.t.ppf(0.5 + level / 2, len(pts) - 2))
    lo, hi = sorted((sign * (fit.slope - t * fit.stderr), sign * (fit.slope + t * fit.stderr)))
    ci = Interval(float(lo), float(hi), level, "ols-slope-t")
    return Decay(sign * float(fit.slope), ci, len(pts))


#: How a verdict of the kernel's :meth:`Threshold.judge` reads in a backtest's message, by the
#: bound's direction.
_BOUND_WORDS = {
    ">=": {Status.PASSED: "≥", Status.FAILED: "below", Status.INCONCLUSIVE: "straddles"},
    "<=": {Status.PASSED: "≤", Status.FAILED: "above", Status.INCONCLUSIVE: "straddles"},
}


def judge_bound(est: MetricEstimate | None, threshold: Threshold) -> tuple[Status, str]:
    """A window's metric against ``threshold`` (``>= min`` or ``<= max``), on its interval
    (:meth:`Threshold.judge`): passed when the whole interval clears the bound, failed when it
    lies wholly on the wrong side, else inconclusive. Returns the status and its reason."""
    if est is None or est.interval is None:
        return Status.INCONCLUSIVE, "no interval"
    ci = est.interval
    status = threshold.judge(ci)
    word = _BOUND_WORDS[threshold.op][status]
    return status, f"interval [{ci.low:.4g}, {ci.high:.4g}] {word} {threshold.bound:g}"


def judge_decay(d: Decay | None, max_decay: float) -> Part:
    """The decay slope against ``max_decay`` (per window), on its interval."""
    threshold = Threshold("<=", max_decay)
    if d is None or d.interval is None:
        n = 0 if d is None else d.n_windows
        return Part(
            "decay",
            Status.INCONCLUSIVE,
            value=None if d is None else d.per_window,
            threshold=threshold,
            message=f"decay needs 3 windows with a value, got {n}",
        )
    ci = d.interval
    status = threshold.judge(ci)
    word = {Status.PASSED: "≤", Status.FAILED: ">", Status.INCONCLUSIVE: "straddles"}[status]
    text = f"decay {d.per_window:.4g}/window [{ci.low:.4g}, {ci.high:.4g}]"
    return Part(
        "decay",
        status,
        value=d.per_window,
        interval=ci,
        threshold=threshold,
        message=f"{text} {word} {max_decay:g}",
    )
