"""Sample-ratio mismatch (SRM): do the assignment counts of an experiment match its design?

An experiment designed to split units 50/50 (or 95/5 for a canary) that logs 50.5/49.5 over
200 000 units is broken: assignment, logging or a redirect drops units of one arm, and every
difference it reports is suspect (Fabijan et al. 2019, "Diagnosing sample ratio mismatch in
online controlled experiments", KDD). Two tests of the counts against the designed shares:

- :func:`srm_chisquare`: Pearson's chi-square goodness-of-fit test (equal to
  ``scipy.stats.chisquare(counts, f_exp=n·shares)``), the field's standard, usually judged at
  p < 0.001. It is a fixed-horizon test: a gate re-run after every batch of logs raises a false
  alarm somewhat more often than the stated level (a false alarm holds the stage; it never
  promotes a model).
- :func:`srm_sequential`: the anytime-valid Dirichlet–multinomial mixture test of Lindon &
  Malek (2022, "Anytime-valid inference for multinomial count data", NeurIPS). Its Bayes
  factor is a non-negative martingale under the design, so ``p = min(1, 1/BF)`` may be checked
  after every batch; it needs more units than the chi-square to see a small mismatch.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.special import gammaln
from scipy.stats import chi2

__all__ = ["SrmResult", "srm_chisquare", "srm_sequential"]


@dataclass(frozen=True)
class SrmResult:
    """A test of assignment counts against designed shares: its statistic (chi-square, or the
    log Bayes factor), p-value, expected counts and method."""

    statistic: float
    p_value: float
    expected: tuple[float, ...]
    method: str


def _inputs(counts: Sequence[float], shares: Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
    c = np.asarray(counts, dtype=float)
    s = np.asarray(shares, dtype=float)
    if c.ndim != 1 or c.shape != s.shape or len(c) < 2:
        raise ValueError(f"need one count per share (2 or more), got {list(c)} and {list(s)}")
    if (c < 0).any() or not np.isfinite(c).all():
        raise ValueError(f"counts must be non-negative numbers, got {list(c)}")
    if (s <= 0).any() or not math.isclose(float(s.sum()), 1.0, abs_tol=1e-9):
        raise ValueError(f"shares must be positive and sum to 1, got {list(s)}")
    return c, s


def srm_chisquare(counts: Sequence[float], shares: Sequence[float]) -> SrmResult:
    """Pearson's chi-square test of ``counts`` (units per arm) against the designed ``shares``
    (k − 1 degrees of freedom); ``p_value`` 1 without units. Raises ValueError for negative
    counts, or shares that are not positive or do not sum to 1.

    >>> r = srm_chisquare([101_010, 98_990], [0.5, 0.5])
    >>> round(r.statistic, 2), r.p_value < 1e-4
    (20.4, True)
    """
    c, s = _inputs(counts, shares)
    n = float(c.sum())
    expected = n * s
    if n == 0:
        return SrmResult(0.0, 1.0, tuple(expected.tolist()), "chi-square")
    stat = float(((c - expected) ** 2 / expected).sum())
    return SrmResult(stat, float(chi2.sf(stat, len(c) - 1)), tuple(expected.tolist()), "chi-square")


def srm_sequential(
    counts: Sequence[float], shares: Sequence[float], concentration: float = 10_000.0
) -> SrmResult:
    """Lindon & Malek's (2022) anytime-valid test of ``counts`` against ``shares``: the Bayes
    factor of a Dirichlet(concentration · shares) mixture over the arm probabilities against
    the design. ``statistic`` is log BF and ``p_value`` is min(1, 1/BF); under the design,
    P(BF ever ≥ 1/α) ≤ α however often it is looked at. A larger ``concentration`` puts the
    mixture closer to the design: it sees small mismatches sooner and large ones later.

    Raises ValueError as :func:`srm_chisquare`, or for a concentration that is not positive.
    """
    c, s = _inputs(counts, shares)
    if not concentration > 0:
        raise ValueError(f"concentration must be positive, got {concentration}")
    a = concentration * s
    n = float(c.sum())
    # log of  B(a + c) / B(a)  −  Σ c_i log s_i, with B the multivariate beta function.
    log_bf = (
        gammaln(a.sum())
        - gammaln(a.sum() + n)
        + float((gammaln(a + c) - gammaln(a)).sum())
        - float((c * np.log(s)).sum())
    )
    p = 1.0 if log_bf <= 0 else math.exp(-log_bf)
    return SrmResult(float(log_bf), p, tuple((n * s).tolist()), "Dirichlet-multinomial mixture")
