"""Analytic confidence intervals: Wilson for proportions, DeLong for ROC AUC.

DeLong, DeLong & Clarke-Pearson (1988) estimate the variance of the empirical AUC from the
placement values of each positive (the share of negatives it outranks, ties one half) and
each negative (the share of positives that outrank it). They are computed from one sort of
the scores (the "fast DeLong" idea of Sun & Xu 2014, midranks via counts per distinct score),
so the interval costs O(n log n) like the AUC itself. The interval is the Wald interval
AUC ± z·SE, clipped to [0, 1].
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import ndtri

from mlgate.core.result import Interval
from mlgate.stats.ranking import SortedCells


def z_value(level: float) -> float:
    """The two-sided normal quantile for ``level`` (1.96 for 0.95). Raises ValueError outside
    (0, 1)."""
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must be in (0, 1), got {level}")
    return float(ndtri(0.5 + level / 2.0))


def wilson_bounds(
    successes: np.ndarray, trials: np.ndarray, level: float = 0.95
) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score bounds of many proportions at once (arrays of equal shape, every
    ``trials`` > 0): ``(low, high)``, exact 0 / 1 at 0 / ``trials`` successes. The arithmetic
    of :func:`wilson_interval`, which calls this."""
    z = z_value(level)
    k = np.asarray(successes, dtype=float)
    n = np.asarray(trials, dtype=float)
    p = k / n
    z2n = z * z / n
    centre = (p + z2n / 2.0) / (1.0 + z2n)
    half = z / (1.0 + z2n) * np.sqrt(p * (1.0 - p) / n + z2n / (4.0 * n))
    # The exact ends at 0 and n successes; floating point would leave ~1e-17 off.
    low = np.where(k == 0, 0.0, np.maximum(0.0, centre - half))
    high = np.where(k == n, 1.0, np.minimum(1.0, centre + half))
    return low, high


def wilson_interval(successes: float, trials: float, level: float = 0.95) -> Interval | None:
    """Wilson score interval of the proportion ``successes / trials`` (equal to
    ``scipy.stats.binomtest(k, n).proportion_ci(level, method="wilson")``); None without
    trials. This is mlgate's one Wilson interval: a family must not define its own.

    Raises ValueError for ``level`` outside (0, 1) or ``successes`` outside ``[0, trials]``.
    """
    z_value(level)  # validates the level
    if trials <= 0:
        return None
    if not 0 <= successes <= trials:
        raise ValueError(f"need 0 <= successes <= trials, got {successes} of {trials}")
    low, high = wilson_bounds(np.asarray(successes), np.asarray(trials), level)
    return Interval(float(low), float(high), level, "wilson")


def normal_interval(
    estimate: float, se: float, level: float, method: str, bounds=(-np.inf, np.inf)
) -> Interval:
    """``estimate ± z·se`` clipped to ``bounds``."""
    z = z_value(level)
    low, high = estimate - z * se, estimate + z * se
    return Interval(float(max(bounds[0], low)), float(min(bounds[1], high)), level, method)


@dataclass(frozen=True)
class Placements:
    """DeLong's placement values of every row: for a positive the share of negatives it
    outranks, for a negative the share of positives that outrank it (ties count one half)."""

    positive: np.ndarray  # (n,) bool
    value: np.ndarray  # (n,) placement of each row
    auc: float

    @property
    def n_pos(self) -> int:
        return int(self.positive.sum())

    @property
    def n_neg(self) -> int:
        return len(self.positive) - self.n_pos


def placements(positive: np.ndarray, scores: np.ndarray) -> Placements:
    """Placement values from one sort of ``scores``. The AUC is NaN without both classes."""
    positive = np.asarray(positive, dtype=bool)
    cells = SortedCells.build(positive, scores)
    pos, neg = cells.group_sums(cells.counts[None, :])
    pos, neg = pos[0], neg[0]
    n_pos, n_neg = pos.sum(), neg.sum()
    below = np.cumsum(neg) - neg
    above = n_pos - np.cumsum(pos)
    with np.errstate(divide="ignore", invalid="ignore"):
        v_pos = (below + 0.5 * neg) / n_neg  # per score group
        v_neg = (above + 0.5 * pos) / n_pos
        auc = float(pos @ v_pos / n_pos) if n_pos and n_neg else float("nan")
    group = cells.group_of_cell()[cells.row_cell]
    return Placements(positive, np.where(positive, v_pos[group], v_neg[group]), auc)


@dataclass(frozen=True)
class DeLongResult:
    """ROC AUC, its DeLong standard error and interval (None when there are fewer than two
    rows of a class)."""

    auc: float
    se: float | None
    interval: Interval | None
    n_pos: int
    n_neg: int


def delong_variance_parts(p: Placements) -> tuple[np.ndarray, np.ndarray]:
    """Centred placement values (DeLong's V10 − AUC over the positives, V01 − AUC over the
    negatives); each has mean zero."""
    pos_v = p.value[p.positive] - p.auc
    neg_v = p.value[~p.positive] - p.auc
    return pos_v, neg_v


def delong_interval(positive: np.ndarray, scores: np.ndarray, level: float = 0.95) -> DeLongResult:
    """ROC AUC of ``scores`` for the rows where ``positive`` is true, with DeLong's standard
    error and Wald interval (method ``"delong"``)."""
    p = placements(positive, scores)
    if p.n_pos < 2 or p.n_neg < 2 or np.isnan(p.auc):
        return DeLongResult(p.auc, None, None, p.n_pos, p.n_neg)
    pos_v, neg_v = delong_variance_parts(p)
    var = pos_v @ pos_v / (p.n_pos - 1) / p.n_pos + neg_v @ neg_v / (p.n_neg - 1) / p.n_neg
    se = float(np.sqrt(var))
    return DeLongResult(
        p.auc, se, normal_interval(p.auc, se, level, "delong", (0.0, 1.0)), p.n_pos, p.n_neg
    )
