"""Preference between two rankers from paired comparisons: the share of decided comparisons the
candidate wins, its interval, a test of no preference, and how many more comparisons would
decide it.

Team-draft interleaving (Radlinski, Kurup & Joachims 2008) shows each query one merged list
and credits each click to the ranker that contributed the clicked result; an impression is won
by the ranker with more credit, and is a tie when both have the same (often none). Ties say
nothing about which ranker is better, so, as in Chapelle, Joachims, Radlinski & Yue (2012,
"Large-scale validation and analysis of interleaved search evaluation", ACM TOIS), they are
left out: with ``w`` wins and ``l`` losses the preference share is ``w / (w + l)`` and "no
preference" is the null hypothesis that it is 1/2, a sign test.

Two ways to judge it:

- ``fixed``: the Wilson interval and the exact two-sided binomial (sign) test, valid for *one*
  planned look at a sample size chosen in advance;
- ``sequential``: the beta-binomial confidence sequence of :mod:`mlgate.stats.sequential` and
  its always-valid p-value ``min(1, 1/M_n(1/2))``, valid however often the log is looked at
  (the p-value is ≤ α exactly when the sequence excludes 1/2).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy.stats import binom

from mlgate.core.result import Interval
from mlgate.stats.intervals import wilson_bounds, wilson_interval
from mlgate.stats.sequential import MAX_UNITS, bernoulli_log_evidence, bernoulli_sequence

__all__ = ["Preference", "always_valid_p_value", "preference", "sign_test", "trials_to_decide"]

Method = Literal["fixed", "sequential"]


def sign_test(wins: int, losses: int) -> float:
    """The exact two-sided p-value of the binomial (sign) test of no preference: under it
    ``wins`` is Binomial(wins + losses, 1/2). 1.0 without comparisons. Because the null
    distribution is symmetric the two-sided p-value is twice the smaller tail (capped at 1),
    which is what ``scipy.stats.binomtest(wins, wins + losses).pvalue`` computes.
    """
    n = wins + losses
    if n <= 0:
        return 1.0
    return float(min(1.0, 2.0 * binom.cdf(min(wins, losses), n, 0.5)))


def always_valid_p_value(wins: int, losses: int) -> float:
    """The always-valid p-value of no preference, ``min(1, 1/M_n(1/2))`` with M_n the
    beta-binomial mixture likelihood ratio (:func:`mlgate.stats.sequential.bernoulli_log_evidence`).
    Under no preference P(it is ever ≤ α, at any number of comparisons) ≤ α (Ville's inequality).
    1.0 without comparisons.
    """
    n = wins + losses
    if n <= 0:
        return 1.0
    return float(min(1.0, math.exp(-bernoulli_log_evidence(0.5, wins, n))))


def _interval(wins: float, n: float, level: float, method: Method) -> Interval | None:
    if method == "fixed":
        return wilson_interval(wins, n, level)
    return bernoulli_sequence(wins, n, level)


@dataclass(frozen=True)
class Preference:
    """The judged quantities of a preference: ``share`` of the decided comparisons won (None
    without any), its ``interval`` and the ``p_value`` of no preference, by ``method``."""

    wins: int
    losses: int
    share: float | None
    interval: Interval | None
    p_value: float
    method: Method

    @property
    def decided(self) -> int:
        return self.wins + self.losses


def preference(wins: int, losses: int, level: float = 0.95, method: Method = "sequential"):
    """The :class:`Preference` of ``wins`` against ``losses`` (ties already left out). Raises
    ValueError for negative counts, an unknown method or a level outside [0.5, 1)."""
    if wins < 0 or losses < 0:
        raise ValueError(f"need non-negative counts, got {wins} wins and {losses} losses")
    if method not in ("fixed", "sequential"):
        raise ValueError(f"method must be 'fixed' or 'sequential', got {method!r}")
    if not 0.5 <= level < 1.0:
        raise ValueError(f"level must be in [0.5, 1), got {level}")
    n = wins + losses
    p = sign_test(wins, losses) if method == "fixed" else always_valid_p_value(wins, losses)
    return Preference(
        wins=wins,
        losses=losses,
        share=wins / n if n else None,
        interval=_interval(wins, n, level, method),
        p_value=p,
        method=method,
    )


def _excludes(share: float, bound: float, m: int, level: float, method: Method) -> bool:
    """Whether the interval at ``m`` comparisons with the observed ``share`` leaves ``bound``
    outside (on the share's side)."""
    k = share * m
    if method == "sequential":
        return bool(bernoulli_log_evidence(bound, k, m) >= -math.log(1.0 - level))
    low, high = wilson_bounds(np.asarray(k), np.asarray(float(m)), level)
    return bool(float(low) > bound) if share > bound else bool(float(high) < bound)


def trials_to_decide(
    share: float, bound: float, trials: int, level: float, method: Method
) -> int | None:
    """The smallest number of decided comparisons ``m ≥ trials`` at which the interval, *if the
    observed ``share`` were the true one*, would leave ``bound`` outside: how many comparisons
    the test needs to decide. None when ``share`` equals ``bound`` (no number decides it),
    ``bound`` is not in (0, 1), or it would take more than 10¹⁵.

    The interval narrows with ``m`` (for the sequence, eventually: its mixture's log grows
    about linearly in ``m``), so doubling then bisecting finds it; at a few comparisons the
    answer is approximate.
    """
    if not (0.0 < bound < 1.0) or not math.isfinite(share) or share == bound:
        return None
    low = max(1, int(trials))
    if _excludes(share, bound, low, level, method):
        return low
    high = low
    while not _excludes(share, bound, high, level, method):
        if high >= MAX_UNITS:
            return None
        high = min(MAX_UNITS, high * 2)
    while high - low > 1:  # invariant: not decided at low, decided at high
        mid = (low + high) // 2
        if _excludes(share, bound, mid, level, method):
            high = mid
        else:
            low = mid
    return high
