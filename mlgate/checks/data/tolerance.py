"""How many offending rows a healthy evaluation sample may hold against an inferred rule.

An inferred rule is an all-rows rule learnt from ``n`` reference rows: values within the
reference's (widened) range, categories among those it showed, no more nulls than it had.
Judged on ``m`` evaluation rows drawn from the *same* distribution, such a rule still meets a
few offenders: the reference's extremes are sample extremes, so by exchangeability a new row
lies beyond them with probability 2/(n + 1). On an evaluation set as large as the reference
or larger, an all-rows rule therefore holds a healthy dataset most of the time. A fixed
``mostly`` does not fix that for every ``m`` (with ``m`` below ``n / ln(2C/α)`` it still
allows no row at all), so an inferred rule carries the reference's size and a false-hold
level ``alpha`` and is judged on counts:

* **ranges and sets** (:func:`outside_critical`): the ``n + m`` rows of a healthy pair are
  exchangeable, so the number ``X`` of evaluation rows outside the reference's [min, max]
  has, for a continuous column, exactly

      P(X ≥ k) = C(m, k) / C(N − 1, k) · (N + (n − 1)k) / N,      N = n + m

  (the number of orderings whose first and last reference rows leave ``k`` evaluation rows
  outside, summed in closed form; as ``m → ∞``, ``X/m`` is Beta(2, n − 1)). Ties (integer
  columns), the ``margin`` that widens the range and rounding outward only shrink the set of
  offending rows, so the bound stays valid for them. A category unseen in the reference is
  held to the same count: for one unseen category of any probability the exact chance that
  ``k`` evaluation rows and no reference row show it is C(m, k)/C(N, k), below P(X ≥ k).
* **nulls** (:func:`nulls_critical`): given ``a`` nulls in the reference and ``b`` in the
  evaluation, ``b`` is hypergeometric given ``a + b`` under exchangeability: the one-sided
  Fisher exact test. ``a = 0`` is the same test (no nulls seen, a few allowed).

The rule fails only when the count reaches the critical one at level ``alpha`` *and* the
expectation's own allowance (``mostly``, ``max_fraction``, ``max_count``) is exceeded: the
tolerance is the larger of the two, so a user-set allowance keeps working. ``infer_suite``
gives each of the ``C`` inferred tolerant rules ``alpha = α / C`` (Bonferroni), so a healthy
evaluation set of any size is held with probability at most α.
"""

from __future__ import annotations

import math

from scipy.stats import hypergeom


def outside_sf(k: int, n: int, m: int) -> float:
    """P(X ≥ k): the chance that ``k`` or more of ``m`` exchangeable evaluation rows lie outside
    the [min, max] of ``n`` reference rows (continuous values; see the module docstring)."""
    if k <= 0:
        return 1.0
    if k > m:
        return 0.0
    if n < 2:
        return 1.0  # one reference value: every other value lies outside it
    big = n + m
    log_ratio = (
        math.lgamma(m + 1) - math.lgamma(m - k + 1) - math.lgamma(big) + math.lgamma(big - k)
    )
    return min(1.0, math.exp(log_ratio) * (big + (n - 1) * k) / big)


def outside_critical(n: int, m: int, alpha: float) -> int:
    """The least count ``k`` with P(X ≥ k) ≤ ``alpha`` (``m + 1`` when none): a healthy sample
    puts ``k`` or more rows outside with probability at most ``alpha``."""
    lo, hi = 0, m + 1  # outside_sf(hi) = 0 <= alpha; P(X >= k) decreases in k
    while lo < hi:
        mid = (lo + hi) // 2
        if outside_sf(mid, n, m) <= alpha:
            hi = mid
        else:
            lo = mid + 1
    return lo


def nulls_critical(n: int, a: int, m: int, b: int, alpha: float) -> bool:
    """Whether ``b`` nulls in ``m`` evaluation rows are significantly more than ``a`` in ``n``
    reference rows: one-sided Fisher exact test, P(B ≥ b | a + b) ≤ ``alpha``."""
    if b == 0:
        return False
    p = float(hypergeom.sf(b - 1, n + m, a + b, m))
    return p <= alpha


def limiting_mostly(reference_rows: int, alpha: float) -> float:
    """The share of conforming rows the tolerance approaches as the evaluation grows
    (``1 − t`` with P(Beta(2, n − 1) > t) = alpha): what a tool that only knows ``mostly``
    (Great Expectations) can be told. Smaller evaluation sets are allowed relatively more."""
    n = reference_rows
    if n < 2:
        return 0.0

    def sf(t: float) -> float:  # P(Beta(2, n - 1) > t) = (1 - t)^(n-1) (1 + (n - 1) t)
        return math.exp((n - 1) * math.log1p(-t)) * (1 + (n - 1) * t)

    lo, hi = 0.0, 1.0
    for _ in range(100):
        mid = (lo + hi) / 2
        lo, hi = (lo, mid) if sf(mid) <= alpha else (mid, hi)
    return 1.0 - hi
