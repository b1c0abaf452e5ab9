"""Paired comparisons of two models on the same rows.

* :func:`mcnemar` — does model A get more rows right than B? Exact binomial test on the
  discordant rows when there are fewer than 25, else the continuity-corrected chi-square /
  normal approximation (as ``statsmodels.stats.contingency_tables.mcnemar``).
* :func:`tango_test` / :func:`tango_interval` — the score test and interval of Tango (1998,
  Stat. Med. 17:891) for the difference of two paired proportions against a margin δ₀ ≠ 0,
  where McNemar's test does not apply (non-inferiority of accuracy).
* :func:`delong_paired` — difference of two correlated ROC AUCs (DeLong et al. 1988).
* :func:`paired_difference` — any metric: a cell statistic of the difference, resampled by
  :func:`mlgate.stats.bootstrap.bootstrap_interval` with the same weights for both models
  (a paired bootstrap).

Differences are A − B; one-sided p-values test H0: difference ≤ δ₀ against H1: > δ₀.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import optimize
from scipy.special import ndtr
from scipy.stats import binom, chi2

from mlgate.core.result import Interval
from mlgate.stats.cells import CellStatistic, cells_of
from mlgate.stats.intervals import delong_variance_parts, normal_interval, placements, z_value

EXACT_BELOW = 25  # discordant rows under which McNemar's test is exact


@dataclass(frozen=True)
class McNemarResult:
    """``b``: rows only A got right; ``c``: rows only B got right. ``p_greater`` tests
    H1: A is more accurate; ``p_two_sided`` any difference."""

    b: int
    c: int
    n: int
    p_greater: float
    p_two_sided: float
    method: str

    @property
    def difference(self) -> float:
        return (self.b - self.c) / self.n if self.n else float("nan")


def mcnemar(correct_a: np.ndarray, correct_b: np.ndarray) -> McNemarResult:
    """McNemar's test on per-row correctness of two models."""
    a, b_ = np.asarray(correct_a, bool), np.asarray(correct_b, bool)
    b = int(np.count_nonzero(a & ~b_))
    c = int(np.count_nonzero(~a & b_))
    m = b + c
    if m == 0:
        return McNemarResult(b, c, len(a), 1.0, 1.0, "no discordant rows")
    if m < EXACT_BELOW:
        p_greater = float(binom.sf(b - 1, m, 0.5))
        p_two = float(min(1.0, 2.0 * binom.cdf(min(b, c), m, 0.5)))
        return McNemarResult(b, c, len(a), p_greater, p_two, "McNemar exact binomial")
    stat = (abs(b - c) - 1.0) ** 2 / m
    p_greater = float(ndtr(-(b - c - 1.0) / np.sqrt(m)))
    return McNemarResult(
        b, c, len(a), p_greater, float(chi2.sf(stat, 1)), "McNemar chi-square (corrected)"
    )


def tango_constrained_p21(b: int, c: int, n: int, delta0: float) -> float:
    """The maximum-likelihood P(only B right) under H0: P(only A right) − that = ``delta0``."""
    a_ = 2.0 * n
    b_ = -b - c + (2.0 * n - b + c) * delta0
    c_ = -c * delta0 * (1.0 - delta0)
    return float((-b_ + np.sqrt(max(b_ * b_ - 4.0 * a_ * c_, 0.0))) / (2.0 * a_))


def tango_z(b: int, c: int, n: int, delta0: float) -> float:
    """Tango's score statistic for H0: difference = ``delta0`` (large: A better than that)."""
    q = tango_constrained_p21(b, c, n, delta0)
    var = n * (2.0 * q + delta0 * (1.0 - delta0))
    num = b - c - n * delta0
    if var <= 0:
        return 0.0 if num == 0 else float(np.sign(num) * np.inf)
    return float(num / np.sqrt(var))


def tango_test(b: int, c: int, n: int, delta0: float) -> float:
    """One-sided p-value of H0: difference ≤ ``delta0``."""
    return float(ndtr(-tango_z(b, c, n, delta0)))


def tango_interval(b: int, c: int, n: int, level: float = 0.95) -> Interval:
    """Tango's score interval for the difference of paired proportions (method "tango")."""
    z = z_value(level)
    d = (b - c) / n
    eps = 1e-12

    def root(target: float, lo: float, hi: float, edge: float) -> float:
        f = lambda x: tango_z(b, c, n, x) - target  # noqa: E731
        if f(edge) * f(d) > 0:  # never reaches the target on this side
            return edge
        return float(optimize.brentq(f, lo, hi, xtol=1e-12))

    low = root(z, -1.0 + eps, d, -1.0 + eps) if d > -1.0 + eps else -1.0
    high = root(-z, d, 1.0 - eps, 1.0 - eps) if d < 1.0 - eps else 1.0
    return Interval(float(max(-1.0, low)), float(min(1.0, high)), level, "tango")


@dataclass(frozen=True)
class PairedDeLong:
    """AUC of A and B on the same rows, the difference A − B and its DeLong standard error."""

    auc_a: float
    auc_b: float
    se: float | None

    @property
    def difference(self) -> float:
        return self.auc_a - self.auc_b

    def interval(self, level: float) -> Interval | None:
        if self.se is None:
            return None
        return normal_interval(self.difference, self.se, level, "delong-paired", (-1.0, 1.0))

    def p_greater(self, delta0: float) -> float | None:
        """One-sided p-value of H0: AUC_A − AUC_B ≤ ``delta0``."""
        if self.se is None:
            return None
        if self.se == 0:
            return 0.0 if self.difference > delta0 else 1.0
        return float(ndtr(-(self.difference - delta0) / self.se))


def delong_paired(positive: np.ndarray, scores_a: np.ndarray, scores_b: np.ndarray) -> PairedDeLong:
    """DeLong's test for two correlated ROC AUCs: the covariance of the two models' placement
    values over the positives and over the negatives."""
    pa, pb = placements(positive, scores_a), placements(positive, scores_b)
    if pa.n_pos < 2 or pa.n_neg < 2:
        return PairedDeLong(pa.auc, pb.auc, None)
    (a_pos, a_neg), (b_pos, b_neg) = delong_variance_parts(pa), delong_variance_parts(pb)
    d_pos, d_neg = a_pos - b_pos, a_neg - b_neg
    var = d_pos @ d_pos / (pa.n_pos - 1) / pa.n_pos + d_neg @ d_neg / (pa.n_neg - 1) / pa.n_neg
    return PairedDeLong(pa.auc, pb.auc, float(np.sqrt(max(var, 0.0))))


def paired_difference(a: CellStatistic, b: CellStatistic, name: str = "") -> CellStatistic:
    """The statistic ``a − b`` on the same rows, over joint cells (rows in the same cell of
    both), so a bootstrap of it resamples the rows of both models together."""
    if a.n_rows != b.n_rows:
        raise ValueError(f"paired statistics need the same rows: {a.n_rows} vs {b.n_rows}")
    keys = a.row_cell.astype(np.int64) * b.n_cells + b.row_cell
    joint, counts, row_cell = cells_of(keys)
    to_a, to_b = (joint // b.n_cells).astype(np.intp), (joint % b.n_cells).astype(np.intp)

    gather_a, gather_b = _gatherer(to_a, a.n_cells), _gatherer(to_b, b.n_cells)

    def batch(w: np.ndarray) -> np.ndarray:
        return a.batch(gather_a(w)) - b.batch(gather_b(w))

    # Both sides one row per cell in the joint order (per-row losses of two models): packed
    # double-or-nothing bits mean the same rows to both, so their fast kernels apply as is.
    bits = None
    identity = _is_identity(to_a, a.n_cells) and _is_identity(to_b, b.n_cells)
    if identity and a.batch_bits is not None and b.batch_bits is not None:
        a_bits, b_bits = a.batch_bits, b.batch_bits

        def bits(packed: np.ndarray) -> np.ndarray:
            return a_bits(packed) - b_bits(packed)

    jackknife = None
    if a.jackknife is not None and b.jackknife is not None:

        def jackknife() -> np.ndarray:
            return a.jackknife()[to_a] - b.jackknife()[to_b]

    return CellStatistic(
        name or f"{a.name} - {b.name}", counts, row_cell, batch, jackknife, batch_bits=bits
    )


def _is_identity(to: np.ndarray, d: int) -> bool:
    return len(to) == d and bool((to == np.arange(d)).all())


def _gatherer(to: np.ndarray, d: int):
    """``gather(w)``: (B, joint cells) weights summed into (B, d) cells of one side. When the
    joint cells map one to one onto that side's cells (always, when every row is its own
    cell) it is a column permutation, or nothing at all, instead of a weighted bincount."""
    if _is_identity(to, d):
        return lambda w: w
    if len(to) == d and bool((np.bincount(to, minlength=d) == 1).all()):
        inverse = np.argsort(to)
        return lambda w: w[:, inverse]

    def gather(w: np.ndarray) -> np.ndarray:
        idx = to[None, :] + (np.arange(len(w)) * d)[:, None]
        return np.bincount(idx.ravel(), weights=w.ravel(), minlength=len(w) * d).reshape(-1, d)

    return gather


def bootstrap_p_greater(values: np.ndarray, delta0: float) -> float | None:
    """One-sided bootstrap p-value of H0: difference ≤ ``delta0``: the share of (defined)
    resampled differences at or below ``delta0``, (count + 1) / (B + 1)."""
    defined = values[~np.isnan(values)]
    if not len(defined):
        return None
    return float((np.count_nonzero(defined <= delta0) + 1) / (len(defined) + 1))
