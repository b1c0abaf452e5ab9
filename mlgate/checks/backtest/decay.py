"""The statistics of a backtest: a metric with its interval on each window, and the decay
slope across windows. Pure functions of encoded arrays and window results; no gate."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from mlgate.core.result import Interval, Status
from mlgate.stats.evaluate import MetricEstimate


@dataclass(frozen=True)
class WindowScore:
    """One window's metric (``estimate`` is None when it has too few rows or the metric is
    undefined there; ``reason`` says why)."""

    index: int
    start: str
    end: str
    rows: int
    estimate: MetricEstimate | None
    reason: str = ""

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
            "per_window": round(self.per_window, 6),
            "low": None if ci is None else round(ci.low, 6),
            "high": None if ci is None else round(ci.high, 6),
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


def judge_bound(
    est: MetricEstimate | None, *, bound: float, higher_is_better_bound: bool
) -> tuple[Status, str]:
    """A window's metric against a bound, on its interval: passed when the whole interval
    clears it, failed when it lies wholly on the wrong side, else inconclusive.
    ``higher_is_better_bound`` is True for a ``min`` bound."""
    if est is None or est.interval is None:
        return Status.INCONCLUSIVE, "no interval"
    ci = est.interval
    if higher_is_better_bound:
        if ci.low >= bound:
            return Status.PASSED, f"interval [{ci.low:.4g}, {ci.high:.4g}] ≥ {bound:g}"
        if ci.high < bound:
            return Status.FAILED, f"interval [{ci.low:.4g}, {ci.high:.4g}] below {bound:g}"
    else:
        if ci.high <= bound:
            return Status.PASSED, f"interval [{ci.low:.4g}, {ci.high:.4g}] ≤ {bound:g}"
        if ci.low > bound:
            return Status.FAILED, f"interval [{ci.low:.4g}, {ci.high:.4g}] above {bound:g}"
    return Status.INCONCLUSIVE, f"interval [{ci.low:.4g}, {ci.high:.4g}] straddles {bound:g}"


def judge_decay(d: Decay | None, max_decay: float) -> tuple[Status, str]:
    """The decay slope against ``max_decay`` (per window), on its interval."""
    if d is None or d.interval is None:
        n = 0 if d is None else d.n_windows
        return Status.INCONCLUSIVE, f"decay needs 3 windows with a value, got {n}"
    ci = d.interval
    text = f"decay {d.per_window:.4g}/window [{ci.low:.4g}, {ci.high:.4g}]"
    if ci.high <= max_decay:
        return Status.PASSED, f"{text} ≤ {max_decay:g}"
    if ci.low > max_decay:
        return Status.FAILED, f"{text} > {max_decay:g}"
    return Status.INCONCLUSIVE, f"{text} straddles {max_decay:g}"
