"""Group fairness gaps of a binary classifier, with bootstrap intervals.

For groups g (values, or combinations of values, of the sensitive attributes):

* selection rate s_g = P(ŷ = positive | g), true-positive rate TPR_g = P(ŷ = positive | y =
  positive, g), false-positive rate FPR_g = P(ŷ = positive | y = negative, g);
* **demographic parity difference** = max_g s_g − min_g s_g;
* **equalized-odds difference** = max(max_g TPR_g − min_g TPR_g, max_g FPR_g − min_g FPR_g)
  (the definitions of fairlearn's ``demographic_parity_difference`` and
  ``equalized_odds_difference`` with ``method="between_groups"``).

Everything is a function of the 2 × 2 table (y, ŷ) of each group, so the bootstrap resamples
rows within each group (stratified: group sizes stay fixed) by drawing each group's table from
a multinomial — exact for the row bootstrap and O(groups) per resample. A resample where a group
has no positives (or negatives) leaves TPR (FPR) undefined and is counted as undefined.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from mlgate.core.result import Interval

FairnessMetric = Literal["demographic_parity_difference", "equalized_odds_difference"]
FAIRNESS_METRICS = ("demographic_parity_difference", "equalized_odds_difference")


def group_tables(y_pos: np.ndarray, pred_pos: np.ndarray, groups: np.ndarray, n_groups: int):
    """(G, 4) counts per group of (y, ŷ) cells ordered (0,0), (0,1), (1,0), (1,1)."""
    cell = 2 * y_pos.astype(np.intp) + pred_pos.astype(np.intp)
    flat = np.bincount(groups * 4 + cell, minlength=n_groups * 4)
    return flat.reshape(n_groups, 4).astype(float)


def rates(tables: np.ndarray) -> dict[str, np.ndarray]:
    """Selection rate, TPR and FPR per group from (..., G, 4) tables (NaN where undefined)."""
    tn, fp, fn, tp = (tables[..., i] for i in range(4))
    n = tn + fp + fn + tp
    pos, neg = fn + tp, tn + fp
    with np.errstate(invalid="ignore", divide="ignore"):
        return {
            "selection_rate": np.where(n > 0, (fp + tp) / n, np.nan),
            "tpr": np.where(pos > 0, tp / pos, np.nan),
            "fpr": np.where(neg > 0, fp / neg, np.nan),
        }


def _spread(x: np.ndarray) -> np.ndarray:
    """max − min over the last axis; NaN when any entry is NaN."""
    return x.max(axis=-1) - x.min(axis=-1)


def fairness_gap(metric: FairnessMetric, tables: np.ndarray) -> np.ndarray:
    """The gap from (..., G, 4) tables; NaN where a needed rate is undefined. Raises ValueError
    for an unknown metric."""
    r = rates(tables)
    if metric == "demographic_parity_difference":
        return _spread(r["selection_rate"])
    if metric == "equalized_odds_difference":
        return np.maximum(_spread(r["tpr"]), _spread(r["fpr"]))
    raise ValueError(f"unknown fairness metric {metric!r}; use one of {list(FAIRNESS_METRICS)}")


@dataclass(frozen=True)
class FairnessEstimate:
    """The gap, its percentile interval (None when undefined on every resample), and how
    many resamples were undefined."""

    metric: str
    value: float
    interval: Interval | None
    n_resamples: int
    n_undefined: int


def fairness_estimate(
    metric: FairnessMetric,
    tables: np.ndarray,
    *,
    rng: np.random.Generator,
    n_resamples: int = 1000,
    level: float = 0.95,
) -> FairnessEstimate:
    """The gap of (G, 4) ``tables`` with a stratified bootstrap interval."""
    value = float(fairness_gap(metric, tables))
    sizes = tables.sum(axis=1)
    probs = np.divide(tables, sizes[:, None], out=np.zeros_like(tables), where=sizes[:, None] > 0)
    draws = np.stack(
        [rng.multinomial(int(n), p, size=n_resamples) for n, p in zip(sizes, probs, strict=True)],
        axis=1,
    ).astype(float)  # (B, G, 4)
    values = fairness_gap(metric, draws)
    defined = values[~np.isnan(values)]
    interval = None
    if len(defined):
        alpha = (1.0 - level) / 2.0
        low, high = np.quantile(defined, [alpha, 1.0 - alpha])
        interval = Interval(float(low), float(high), level, "bootstrap-percentile (stratified)")
    return FairnessEstimate(metric, value, interval, n_resamples, len(values) - len(defined))
