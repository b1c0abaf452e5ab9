"""Always-valid (time-uniform) confidence sequences for a mean or a difference of means.

A fixed-horizon 95% interval covers the truth at one pre-planned sample size. Looked at after
every new batch of data, it misses at *some* look far more often than 5% (about 30% over 50
looks). A confidence sequence ``(C_n)`` covers the truth at every sample size at once,

    P(θ ∈ C_n for all n ≥ 1) ≥ 1 − α,

so a gate may be re-run whenever logs arrive, and stop whenever it likes, without inflating
its error rate.

The boundary is Robbins' two-sided normal mixture (Robbins 1970; Howard, Ramdas, McAuliffe &
Sekhon 2021, eq. 14). For a mean estimated from ``n`` units with per-unit standard deviation
σ, the half-width at ``n`` is

    h(n) = σ · sqrt( (nρ² + 1) / (n²ρ²) · log((nρ² + 1) / α²) ).

With σ known and Gaussian data it is exact: the mixture likelihood ratio
``(1 + nρ²)^(-1/2) · exp(ρ² S_n² / (2(1 + nρ²)))`` (``S_n`` the standardised sum) is a
non-negative martingale, and Ville's inequality bounds the chance it ever reaches 1/α. With σ
replaced by its running estimate it is the *asymptotic confidence sequence* of Waudby-Smith,
Arbour, Sinha, Kennedy & Ramdas (2023, "Time-uniform central limit theory and asymptotic
confidence sequences", Annals of Statistics, Thm 2.2), valid for any distribution with finite
variance as n grows. For a difference of two means the same boundary applies to the estimate's
own variance V = σ²/n, with σ² the variance of the per-unit influence function; this is also
the always-valid interval of the mixture SPRT of Johari, Koomen, Pekelis & Walsh (2022,
"Always valid inference: continuous monitoring of A/B tests", Operations Research) with a
N(0, τ²) mixture over the effect, τ² = σ²ρ².

``ρ`` only decides *when* the sequence is tightest: ρ² = (−2 log α + log(1 − 2 log α)) / n*
minimises the width at n = n* (Waudby-Smith et al. 2023, §2.3). Any fixed ρ keeps the
guarantee; the width changes little within a factor of ten of n*.

For a proportion (an agreement or error rate) and for a quantile (a latency percentile) the
sequences here are exact, not asymptotic: the beta-binomial mixture of Howard et al. (2021,
§4; "conjugate mixture" for Bernoulli data) and its inversion for a quantile (Howard & Ramdas
2022, "Sequential estimation of quantiles with applications to A/B-testing and best-arm
identification", Bernoulli). Under a rate p, the mixture likelihood ratio of k successes in n
trials, with a Beta(c·p, c·(1 − p)) mixture over the alternative,

    M_n(p) = B(c·p + k, c·(1 − p) + n − k) / B(c·p, c·(1 − p)) / (p^k (1 − p)^(n − k)),

is a non-negative martingale with mean 1, so {p : M_n(p) < 1/α} holds p at every n with
probability ≥ 1 − α, at any sample size, even with k = 0 or k = n. An average of such
martingales is one too: we average over concentrations c = 2, 20, ..., 2·10⁶ (the small ones
decide quickly at a few hundred trials, the large ones are tight at millions), so these
sequences need no tuning.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.optimize import brentq
from scipy.special import betaln, logsumexp

from mlgate.core.result import Interval

__all__ = [
    "bernoulli_log_evidence",
    "bernoulli_sequence",
    "half_width",
    "mixture_rho2",
    "quantile_sequence",
    "units_to_decide",
]

#: The largest number of units :func:`units_to_decide` reports; beyond it, "no practical number".
MAX_UNITS = 10**15


def _alpha(level: float) -> float:
    if not 0.5 <= level < 1.0:
        raise ValueError(f"level must be in [0.5, 1), got {level}")
    return 1.0 - level


def mixture_rho2(level: float, horizon: float) -> float:
    """The mixture parameter ρ² (in units of 1 / per-unit variance) that makes the two-sided
    confidence sequence at ``level`` tightest at ``horizon`` units (Waudby-Smith et al. 2023,
    §2.3). Raises ValueError for a level outside [0.5, 1) or a horizon below 1.

    >>> round(mixture_rho2(0.95, 10_000), 8)
    0.00079362
    """
    alpha = _alpha(level)
    if not horizon >= 1:
        raise ValueError(f"horizon must be at least 1 unit, got {horizon}")
    two_log = -2.0 * math.log(alpha)
    return (two_log + math.log(1.0 + two_log)) / float(horizon)


def half_width(variance, n, level: float, horizon: float):
    """Half-width of the time-uniform confidence sequence at ``n`` units for an estimate whose
    variance at ``n`` units is ``variance`` (σ²/n for a mean, σ_T²/n_T + σ_C²/n_C for a
    difference of means), tightest at ``horizon`` units. ``inf`` for no units or a non-finite
    or negative variance; 0 for a zero variance. Elementwise for arrays (a float for numbers).

    The sequence is ``estimate ± half_width``; it holds at every ``n`` simultaneously with
    probability at least ``level`` (exactly for Gaussian data with known variance,
    asymptotically with an estimated one).
    """
    alpha = _alpha(level)
    rho2 = mixture_rho2(level, horizon)
    v = np.asarray(variance, dtype=float)
    u = np.asarray(n, dtype=float) * rho2
    ok = (u > 0) & np.isfinite(v) & (v >= 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        # variance = σ²/n, so σ²·(u + 1)/(n²ρ²) = variance·(u + 1)/u.
        h = np.sqrt(v * (u + 1.0) / u * (np.log1p(u) - 2.0 * math.log(alpha)))
    out = np.where(ok, h, np.inf)
    return float(out) if out.ndim == 0 else out


def units_to_decide(
    gap: float, unit_variance: float, n: float, level: float, horizon: float
) -> int | None:
    """The smallest number of units ``m ≥ n`` at which the confidence sequence's half-width is
    below ``gap`` (the distance from the estimate to a bound): how many units a test needs to
    decide if the observed effect and spread are the true ones. ``unit_variance`` is the
    variance of the estimate times the units (σ²). None when no number of units decides it
    (``gap`` is 0, or the spread is unknown) or it would take more than :data:`MAX_UNITS`.

    The half-width falls strictly with ``m`` for ``level`` ≥ 0.5, so a bisection finds it.
    """
    if not (gap > 0 and math.isfinite(gap)) or not math.isfinite(unit_variance):
        return None
    if unit_variance <= 0:
        return max(1, math.ceil(n))

    def decided(m: float) -> bool:
        return half_width(unit_variance / m, m, level, horizon) < gap

    low = max(1, math.ceil(n))
    if decided(low):
        return low
    high = low
    while not decided(high):
        if high >= MAX_UNITS:
            return None
        high = min(MAX_UNITS, high * 2)
    while high - low > 1:  # invariant: not decided(low), decided(high)
        mid = (low + high) // 2
        if decided(mid):
            high = mid
        else:
            low = mid
    return high


#: The beta mixtures' concentrations, averaged with equal weights.
CONCENTRATIONS = tuple(2.0 * 10.0**i for i in range(7))


def _log_mixture_ratio(p: float, k, n: float):
    """log M_n(p) of the beta-binomial mixture (see the module docstring), averaged over
    :data:`CONCENTRATIONS`; elementwise in ``k``."""
    k = np.asarray(k, dtype=float)
    lik = np.where(k > 0, k * math.log(p), 0.0) + np.where(n - k > 0, (n - k) * math.log1p(-p), 0.0)
    terms = [
        betaln(c * p + k, c * (1.0 - p) + n - k) - betaln(c * p, c * (1.0 - p))
        for c in CONCENTRATIONS
    ]
    return logsumexp(terms, axis=0) - math.log(len(CONCENTRATIONS)) - lik


def bernoulli_log_evidence(rate: float, successes, trials: float):
    """log M_n(``rate``): the log of the beta-binomial mixture likelihood ratio against the
    rate ``rate`` after ``successes`` of ``trials`` (elementwise in ``successes``; a float for a
    number). Under ``rate`` it is the log of a non-negative martingale with mean 1, so
    ``min(1, exp(-log M_n))`` is an always-valid p-value for the null "the rate is ``rate``":
    P(it is ever ≤ α) ≤ α. It is ≥ log(1/α) exactly when :func:`bernoulli_sequence` excludes
    ``rate``. Raises ValueError for ``rate`` outside (0, 1).
    """
    if not 0.0 < rate < 1.0:
        raise ValueError(f"rate must be in (0, 1), got {rate}")
    if np.ndim(successes) == 0:
        return _log_mixture_ratio_scalar(float(rate), float(successes), float(trials))
    return _log_mixture_ratio(float(rate), successes, float(trials))


def _log_mixture_ratio_scalar(p: float, k: float, n: float) -> float:
    """:func:`_log_mixture_ratio` for one ``k``, in plain floats (a root search calls it often)."""
    lg = math.lgamma
    lik = (k * math.log(p) if k > 0 else 0.0) + ((n - k) * math.log1p(-p) if n > k else 0.0)
    terms = []
    for c in CONCENTRATIONS:
        a, b = c * p, c * (1.0 - p)
        terms.append(lg(a + k) + lg(b + n - k) - lg(a + b + n) - lg(a) - lg(b) + lg(a + b))
    top = max(terms)
    mix = top + math.log(sum(math.exp(t - top) for t in terms) / len(terms))
    return mix - lik


def bernoulli_sequence(successes: float, trials: float, level: float = 0.95) -> Interval | None:
    """The exact time-uniform confidence sequence for a rate after ``successes`` of ``trials``
    (the beta-binomial mixture): the rates ``p``
    with M_n(p) < 1/α. None without trials. Raises ValueError for successes outside
    [0, trials] or a level outside [0.5, 1).

    It is wider than the fixed-sample Wilson interval (the price of looking at every n), and
    never collapses to a point: 100 agreements of 100 give about [0.95, 1], 9 500 of 10 000
    about [0.942, 0.957] (Wilson: [0.946, 0.954]).
    """
    alpha = _alpha(level)
    if trials <= 0:
        return None
    k, n = float(successes), float(trials)
    if not 0 <= k <= n:
        raise ValueError(f"need 0 <= successes <= trials, got {successes} of {trials}")
    cut = -math.log(alpha)
    p_hat = min(max(k / n, 1e-12), 1.0 - 1e-12)

    def f(p: float) -> float:
        return _log_mixture_ratio_scalar(p, k, n) - cut

    tiny = 1e-12
    low = 0.0 if k == 0 or f(tiny) < 0 else brentq(f, tiny, p_hat, xtol=1e-14)
    high = 1.0 if k == n or f(1.0 - tiny) < 0 else brentq(f, p_hat, 1.0 - tiny, xtol=1e-14)
    return Interval(float(low), float(high), level, "beta-binomial confidence sequence")


def quantile_sequence(sorted_values: np.ndarray, q: float, level: float = 0.95) -> Interval | None:
    """The time-uniform confidence sequence for the ``q``-quantile of a distribution from its
    sample, given sorted: ``[x_(l), x_(u)]`` where l and u are the smallest and largest counts
    k of values at or below the quantile that the beta-binomial sequence for the rate ``q``
    accepts (x_(u) is the (u+1)-th value; −inf / +inf past the sample's ends). None for an
    empty sample. Raises ValueError for ``q`` outside (0, 1).
    """
    if not 0.0 < q < 1.0:
        raise ValueError(f"q must be in (0, 1), got {q}")
    x = np.asarray(sorted_values, dtype=float)
    n = len(x)
    if n == 0:
        return None
    _alpha(level)
    k = np.arange(n + 1, dtype=float)
    accepted = np.flatnonzero(_log_mixture_ratio(q, k, float(n)) < -math.log(1.0 - level))
    lo_k, hi_k = int(accepted.min()), int(accepted.max())
    low = -math.inf if lo_k == 0 else float(x[lo_k - 1])
    high = math.inf if hi_k >= n else float(x[hi_k])
    return Interval(low, high, level, "beta-binomial quantile confidence sequence")
