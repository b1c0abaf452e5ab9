"""Effect sizes of a distribution change, and the rule that turns test + effect into a flag.

A p-value says whether a difference is there; with a million rows a difference nobody cares
about is "significant". The effect size says how large it is. By default a column is flagged
as drifted only when both hold: its adjusted p-value is at most ``alpha`` **and** its effect
size reaches ``min_effect`` — so identical distributions never alarm, however many rows.

| effect | of | meaning |
|---|---|---|
| ``wasserstein_sd`` | numeric | Wasserstein-1 distance in reference SDs (a δ-SD mean shift: δ) |
| ``ks`` | numeric | the KS statistic: largest gap between the two CDFs |
| ``psi`` | both | population stability index, Σ (c − r)·ln(c / r) over bins / categories |
| ``jensen_shannon`` | both | Jensen–Shannon distance, base 2, in [0, 1] (SciPy's) |
| ``cramers_v`` | categorical | Cramér's V of the 2 × k table, √(χ² / n) (uncorrected χ²) |
| ``total_variation`` | both | total variation distance ½ Σ |c − r|, in [0, 1] |
| ``hellinger`` | both | Hellinger distance √(½ Σ (√c − √r)²), in [0, 1] |
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from mlgate.core.result import Threshold

NumericEffect = Literal[
    "wasserstein_sd", "ks", "psi", "jensen_shannon", "total_variation", "hellinger"
]
CategoricalEffect = Literal["psi", "jensen_shannon", "cramers_v", "total_variation", "hellinger"]
Rule = Literal["both", "significance", "effect"]


def _shares(counts: np.ndarray) -> np.ndarray:
    c = np.asarray(counts, dtype=float)
    total = c.sum()
    if total <= 0:
        raise ValueError("counts must not all be zero")
    return c / total


def psi(ref_counts: np.ndarray, cur_counts: np.ndarray, eps: float = 1e-4) -> float:
    """Population stability index of two count vectors over the same bins; shares are clipped
    below at ``eps`` so an empty bin gives a large but finite value."""
    r = np.clip(_shares(ref_counts), eps, None)
    c = np.clip(_shares(cur_counts), eps, None)
    return float(np.sum((c - r) * np.log(c / r)))


def jensen_shannon(ref_counts: np.ndarray, cur_counts: np.ndarray) -> float:
    """Jensen–Shannon distance (square root of the divergence, base 2) of two count vectors:
    0 for identical shares, 1 for disjoint support."""
    p, q = _shares(ref_counts), _shares(cur_counts)
    m = (p + q) / 2.0

    def kl(a: np.ndarray) -> float:
        mask = a > 0
        return float(np.sum(a[mask] * np.log2(a[mask] / m[mask])))

    return float(np.sqrt(max((kl(p) + kl(q)) / 2.0, 0.0)))


def total_variation(ref_counts: np.ndarray, cur_counts: np.ndarray) -> float:
    """Total variation distance ½ Σ |c − r| of two count vectors over the same categories or
    bins: the largest difference in share any set of them shows, 0 for identical shares, 1 for
    disjoint support. Raises ValueError when either side counts nothing.

    >>> total_variation(np.array([50, 50]), np.array([80, 20]))
    0.3
    """
    p, q = _shares(ref_counts), _shares(cur_counts)
    return float(0.5 * np.abs(q - p).sum())


def hellinger(ref_counts: np.ndarray, cur_counts: np.ndarray) -> float:
    """Hellinger distance √(½ Σ (√c − √r)²) of two count vectors over the same categories or
    bins, in [0, 1] (0 for identical shares, 1 for disjoint support). It bounds the total
    variation distance: H² ≤ TV ≤ H·√2. Raises ValueError when either side counts nothing."""
    p, q = _shares(ref_counts), _shares(cur_counts)
    # the sum of squares, not √(1 − Σ √(p·q)): no cancellation for nearly equal shares
    return float(np.sqrt(0.5 * np.sum((np.sqrt(q) - np.sqrt(p)) ** 2)))


def cramers_v(chi2: float, ref_counts: np.ndarray, cur_counts: np.ndarray) -> float:
    """Cramér's V of a 2 × k table with uncorrected statistic ``chi2``: √(χ² / (n·(min(2,k)−1)))."""
    n = float(np.sum(ref_counts) + np.sum(cur_counts))
    k = int(np.count_nonzero(np.asarray(ref_counts) + np.asarray(cur_counts)))
    if k < 2 or n == 0:
        return 0.0
    return float(np.sqrt(chi2 / n))


def flagged(
    adjusted_p: float, effect: float, *, alpha: float, min_effect: float, rule: Rule
) -> bool:
    """Whether a column counts as drifted under ``rule``: ``both`` (adjusted p ≤ alpha and
    effect ≥ min_effect), ``significance`` (p only — alarms on tiny changes at large n) or
    ``effect`` (effect only). A NaN p-value or effect never counts."""
    significant = Threshold("<=", alpha).holds(adjusted_p)
    large = Threshold(">=", min_effect).holds(effect)
    if rule == "significance":
        return significant
    if rule == "effect":
        return large
    return significant and large
