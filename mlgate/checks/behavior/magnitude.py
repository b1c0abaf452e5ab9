"""How much a transformation moves the model's scores, beside whether it flips them (issue 15).

A flip rate cannot see a perturbation that moves every probability by 0.2 without crossing
the decision threshold. Per changed row the size of the change is the mean, over the row's
changed variants, of |Δ score|: the largest absolute change of any class probability
(regression: |Δ prediction| divided by the target's standard deviation, so a bound reads "a
tenth of the target's spread"). Rows are the independent units, so

- the **mean** over rows gets the Student-t interval (:func:`~mlgate.checks.behavior.rates.
  paired_t_interval`, a mean of per-row values), and
- the **quantile** (``change_quantile``, default 0.95) gets the distribution-free
  order-statistic interval (SciPy's ``quantile_test(...).confidence_interval``: the binomial
  counts of rows below and above the quantile), exact for independent rows.

Both are judged ``<=`` a bound with the kernel's ``Threshold.judge`` when one is given.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats

from mlgate.checks.behavior.rates import paired_t_interval
from mlgate.checks.behavior.variants import VariantOutcome
from mlgate.core.result import Interval, Part, Status, Threshold, rounded
from mlgate.core.task import Task

ORDER_STATISTIC = "order-statistic (binomial) interval over rows"


@dataclass(frozen=True)
class ChangeSize:
    """The size of the changes: ``rows`` changed rows, the ``mean`` and the ``q`` quantile of
    their per-row |Δ| in ``unit``, each with its interval (None with fewer than 2 rows)."""

    unit: str
    rows: int
    mean: float | None
    mean_interval: Interval | None
    q: float
    quantile: float | None
    quantile_interval: Interval | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "unit": self.unit,
            "rows": self.rows,
            "mean": rounded(self.mean),
            "mean_interval": self.mean_interval.to_dict() if self.mean_interval else None,
            "quantile_level": self.q,
            "quantile": rounded(self.quantile),
            "quantile_interval": (
                self.quantile_interval.to_dict() if self.quantile_interval else None
            ),
        }


def per_row_change(outcome: VariantOutcome, scale: float = 1.0) -> np.ndarray:
    """(changed rows,) the mean |Δ| over each changed row's changed variants, / ``scale``."""
    changed = outcome.changed
    rows = outcome.rows[changed]
    size = np.nan_to_num(np.asarray(outcome.magnitude, dtype=float)[changed], nan=0.0)
    pairs = np.bincount(rows, minlength=outcome.n_rows)
    total = np.bincount(rows, weights=size, minlength=outcome.n_rows)
    keep = pairs > 0
    return total[keep] / pairs[keep] / scale


def change_size(
    outcome: VariantOutcome,
    *,
    task: Task,
    has_scores: bool,
    spread: tuple[float, str] | None,
    q: float,
    level: float,
) -> ChangeSize | None:
    """The size of the changes, or None when the model gives no scores (labels only: a
    change is a flip or nothing, which the flip rate already reports). ``spread`` is the
    regression unit, (standard deviation, its name), e.g. ``(sd of y, "target sd")``."""
    if task is Task.REGRESSION:
        sd, unit = spread if spread and spread[0] > 0 else (1.0, "prediction units")
        scale = sd
    elif has_scores:
        scale, unit = 1.0, "probability"
    else:
        return None
    values = per_row_change(outcome, scale)
    n = len(values)
    if n == 0:
        return ChangeSize(unit, 0, None, None, q, None, None)
    mean = float(values.mean())
    quantile = float(np.quantile(values, q))
    if n < 2:
        return ChangeSize(unit, n, mean, None, q, quantile, None)
    ci = stats.quantile_test(values, q=quantile, p=q).confidence_interval(level)
    low, high = float(ci.low), float(ci.high)
    # too few rows for a two-sided order-statistic bound: the missing side is unbounded
    q_interval = Interval(
        low if np.isfinite(low) else 0.0,
        high if np.isfinite(high) else float("inf"),
        level,
        ORDER_STATISTIC,
    )
    return ChangeSize(unit, n, mean, paired_t_interval(values, level), q, quantile, q_interval)


def judge_change(
    size: ChangeSize | None, max_mean: float | None, max_quantile: float | None, min_rows: int
) -> list[Part]:
    """One :class:`Part` per bound given (``mean_change``, ``change_quantile``): ``passed``
    when the interval's upper end is at most the bound, ``failed`` when its lower end is above
    it, else ``inconclusive`` (so a decision rule re-judges it). Without scores, or with fewer
    than ``min_rows`` changed rows, the part is ``inconclusive`` with no threshold: too little
    data is not a bound judgement, and no rule turns it into a pass."""
    out = []
    for name, bound in (("mean_change", max_mean), ("change_quantile", max_quantile)):
        if bound is None:
            continue
        if size is None:
            out.append(Part(name, Status.INCONCLUSIVE, message="no scores to measure a change of"))
            continue
        mean = name == "mean_change"
        label = "mean |Δ score|" if mean else f"q{size.q:g} |Δ score|"
        value = size.mean if mean else size.quantile
        interval = size.mean_interval if mean else size.quantile_interval
        if value is None or size.rows < min_rows:
            text = f"{label}: only {size.rows} changed rows; min_samples={min_rows}"
            out.append(Part(name, Status.INCONCLUSIVE, value, interval, None, size.rows, text))
            continue
        threshold = Threshold("<=", bound)
        status = threshold.judge(interval, value=value)
        verdict = {Status.PASSED: "≤", Status.FAILED: ">"}.get(status, "straddles")
        text = (
            f"{label} {value:.4g} {size.unit}"
            + (f" [{interval.low:.4g}, {interval.high:.4g}]" if interval else "")
            + f", interval {verdict} {bound:g}"
        )
        out.append(Part(name, status, value, interval, threshold, size.rows, text))
    return out
