"""Timed calls and distribution-free intervals for percentiles of what was timed.

:func:`measure` runs a call ``warmup`` times untimed, then times it up to ``repeats`` times
with an injectable clock (``time.perf_counter`` by default) and an optional ``sync`` (CUDA
kernels run asynchronously: without ``torch.cuda.synchronize`` before reading the clock, a GPU
call would be timed as the microseconds it takes to queue it). It stops at a deadline, so a
timed check never runs unbounded; the deadline is checked between calls.

:func:`quantile_interval` is the order-statistic confidence interval of a quantile (e.g. p99
latency). For ``n`` independent draws from any continuous distribution, the number of draws
below the true ``q``-quantile ``ξ`` is Binomial(n, q), so ``P(X_(r) ≤ ξ) = P(Bin(n, q) ≥ r)``.
Choosing the ranks ``l`` (largest with ``P(Bin ≤ l − 1) ≤ α/2``) and ``u`` (smallest with
``P(Bin ≤ u − 1) ≥ 1 − α/2``) gives ``P(X_(l) ≤ ξ ≤ X_(u)) ≥ 1 − α`` whatever the
distribution (Hahn & Meeker, *Statistical Intervals*, 2nd ed., §5.2). When ``n`` is too small
for a rank to exist, that end is the support's bound (0 for a latency, ∞ above), and a budget
judged on it is inconclusive: too little data is never a pass. The binomial CDF is computed
here as a regularised incomplete beta (``I_{1−q}(n − k, k + 1)``); the tests check the ranks
against ``scipy.stats.binom``.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.special import betainc

from mlgate.core.result import Interval

Clock = Callable[[], float]

METHOD = "order-statistic (distribution-free, binomial ranks)"

_PERCENTILE = re.compile(r"^p(\d{1,2}(?:\.\d+)?)$")


def percentile_level(key: str) -> float:
    """The quantile named by a percentile key: ``"p99"`` → 0.99, ``"p99.9"`` → 0.999.

    Raises ValueError for anything else (including p0 and p100, which are no percentile an
    interval can bound)."""
    m = _PERCENTILE.match(key)
    q = float(m.group(1)) / 100.0 if m else math.nan
    if not 0.0 < q < 1.0:
        raise ValueError(
            f"{key!r} is not a percentile: write p50, p95, p99 or p99.9 (strictly between p0 "
            "and p100)"
        )
    return q


def percentile_key(q: float) -> str:
    """``0.99`` → ``"p99"``, ``0.999`` → ``"p99.9"``."""
    return f"p{q * 100:.6g}"


@dataclass(frozen=True)
class Timings:
    """What :func:`measure` timed: ``seconds`` per timed call in call order; ``requested`` the
    calls asked for; ``warmup`` the untimed calls made first; ``elapsed`` the wall time of all
    of it; ``stopped_early`` when the deadline ended it before ``requested`` calls."""

    seconds: np.ndarray
    requested: int
    warmup: int
    elapsed: float
    stopped_early: bool

    @property
    def n(self) -> int:
        return len(self.seconds)


def measure(
    call: Callable[[int], object],
    *,
    repeats: int,
    warmup: int = 0,
    clock: Clock = time.perf_counter,
    sync: Callable[[], object] | None = None,
    deadline: float | None = None,
) -> Timings:
    """Time ``call(i)`` for ``i`` in ``0..repeats-1`` after ``warmup`` untimed calls.

    Each timed call is bracketed by ``sync()`` (when given) and two clock readings. The loop
    stops as soon as the clock passes ``deadline`` (a reading of the same clock), during the
    warm-up too; at least one call is always made, so a call that never returns cannot be
    interrupted here (that needs a process-level timeout).
    """
    if repeats < 1:
        raise ValueError(f"repeats must be at least 1, got {repeats}")

    def over(t: float) -> bool:
        return deadline is not None and t >= deadline

    start = clock()
    done_warmup = 0
    for i in range(warmup):
        call(i)
        if sync is not None:
            sync()
        done_warmup += 1
        if over(clock()):
            break
    seconds: list[float] = []
    stopped = False
    for i in range(repeats):
        if sync is not None:
            sync()
        t0 = clock()
        call(i)
        if sync is not None:
            sync()
        t1 = clock()
        seconds.append(t1 - t0)
        if over(t1) and i + 1 < repeats:
            stopped = True
            break
    return Timings(
        seconds=np.asarray(seconds, dtype=float),
        requested=repeats,
        warmup=done_warmup,
        elapsed=clock() - start,
        stopped_early=stopped,
    )


def binomial_cdf(n: int, q: float) -> np.ndarray:
    """``P(Bin(n, q) ≤ k)`` for ``k = 0..n`` (length ``n + 1``), as the regularised incomplete
    beta ``I_{1−q}(n − k, k + 1)`` (the last entry is exactly 1)."""
    k = np.arange(n, dtype=float)
    out = np.ones(n + 1)
    out[:n] = betainc(n - k, k + 1.0, 1.0 - q)
    return out


def min_samples(q: float, level: float) -> int:
    """The fewest draws for which the ``q``-quantile's order-statistic interval at ``level``
    has a finite upper end (``q**n ≤ (1 − level) / 2``): 367 for p99 at 95%, 6 for p50."""
    return max(1, math.ceil(math.log((1.0 - level) / 2.0) / math.log(q) - 1e-12))


@dataclass(frozen=True)
class QuantileInterval:
    """The ``q``-quantile of a sample and its order-statistic interval.

    ``estimate`` is the order statistic ``X_(⌈nq⌉)`` (NumPy's ``inverted_cdf``). ``low_rank`` /
    ``high_rank`` are 1-based ranks (None where no rank reaches the level: the end is then
    ``floor`` or ∞). ``coverage`` is the interval's exact coverage for continuous data
    (at least ``level``).
    """

    q: float
    n: int
    estimate: float
    low: float
    high: float
    low_rank: int | None
    high_rank: int | None
    level: float
    coverage: float

    @property
    def interval(self) -> Interval:
        return Interval(self.low, self.high, self.level, METHOD)


def order_statistic_ranks(n: int, q: float, level: float) -> tuple[int | None, int | None, float]:
    """The 1-based ranks ``(l, u)`` of the two-sided ``level`` interval of the ``q``-quantile
    of ``n`` draws, and its exact coverage. A rank is None when ``n`` is too small for it."""
    if n < 1:
        return None, None, 0.0
    alpha = 1.0 - level
    cdf = binomial_cdf(n, q)[:n]  # P(Bin ≤ r − 1) for r = 1..n
    lows = int(np.searchsorted(cdf, alpha / 2.0, side="right"))  # ranks with cdf ≤ α/2
    low_rank = lows if lows >= 1 else None
    first = int(np.searchsorted(cdf, 1.0 - alpha / 2.0, side="left"))
    high_rank = first + 1 if first < n else None
    upper = cdf[high_rank - 1] if high_rank is not None else 1.0
    lower = cdf[low_rank - 1] if low_rank is not None else 0.0
    return low_rank, high_rank, float(upper - lower)


def quantile_interval(
    sample: np.ndarray, q: float, level: float = 0.95, *, floor: float = -math.inf
) -> QuantileInterval | None:
    """The ``q``-quantile of ``sample`` with its distribution-free ``level`` interval; None
    for an empty sample. ``floor`` is the lowest value the quantity can take (0 for a
    duration): the lower end when the sample is too small for a lower rank."""
    x = np.sort(np.asarray(sample, dtype=float))
    n = len(x)
    if n == 0:
        return None
    low_rank, high_rank, coverage = order_statistic_ranks(n, q, level)
    estimate = float(x[max(1, math.ceil(n * q - 1e-12)) - 1])
    return QuantileInterval(
        q=q,
        n=n,
        estimate=estimate,
        low=float(x[low_rank - 1]) if low_rank is not None else floor,
        high=float(x[high_rank - 1]) if high_rank is not None else math.inf,
        low_rank=low_rank,
        high_rank=high_rank,
        level=level,
        coverage=coverage,
    )
