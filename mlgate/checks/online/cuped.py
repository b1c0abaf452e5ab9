"""The difference between two arms' means, optionally adjusted by a pre-period covariate (CUPED).

Per arm the state is a handful of moments (units, means, centred sums of squares and
cross-products), merged exactly as Chan, Golub & LeVeque's (1979) pairwise update, so a log read
in chunks gives the moments of the whole log.

CUPED (Deng, Xu, Kohavi & Walker 2013, "Improving the sensitivity of online controlled
experiments by utilizing pre-experiment data", WSDM) subtracts θ·(x − x̄) from each unit's
outcome, with x a covariate measured *before* assignment (last month's conversions or
spend), so the treatment cannot have moved it. We take θ as the slope pooled *within* arms,

    θ = Σ_arms Σ (x − x̄_arm)(y − ȳ_arm) / Σ_arms Σ (x − x̄_arm)²,

which makes the adjusted difference exactly the coefficient of the arm indicator in the
least-squares regression ``y ~ 1 + arm + x`` (ANCOVA; Frisch–Waugh–Lovell). Its variance is
``Σ_arms s²(y − θx)/n_arm``: the outcome's variance times about 1 − corr(x, y)².
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Arm codes: index 0 is control, index 1 is treatment.
CONTROL, TREATMENT = 0, 1


@dataclass(frozen=True)
class Moments:
    """Per-arm moments of an outcome ``y`` and (optionally) a covariate ``x``: arrays of shape
    (2,), indexed by :data:`CONTROL` / :data:`TREATMENT`. ``m2_*`` are centred sums of squares,
    ``c_xy`` the centred sum of cross-products."""

    n: np.ndarray
    mean_y: np.ndarray
    m2_y: np.ndarray
    mean_x: np.ndarray
    m2_x: np.ndarray
    c_xy: np.ndarray

    @classmethod
    def empty(cls) -> Moments:
        return cls(*(np.zeros(2) for _ in range(6)))

    @classmethod
    def of(cls, arm: np.ndarray, y: np.ndarray, x: np.ndarray | None = None) -> Moments:
        """The moments of these units; ``arm`` holds 0/1 codes, ``y`` (and ``x``) finite
        numbers (the caller drops units without an outcome)."""
        out = {k: np.zeros(2) for k in ("n", "mean_y", "m2_y", "mean_x", "m2_x", "c_xy")}
        for a in (CONTROL, TREATMENT):
            sel = arm == a
            k = int(sel.sum())
            if not k:
                continue
            ya = y[sel]
            out["n"][a] = k
            out["mean_y"][a] = my = ya.mean()
            dy = ya - my
            out["m2_y"][a] = dy @ dy
            if x is not None:
                xa = x[sel]
                out["mean_x"][a] = mx = xa.mean()
                dx = xa - mx
                out["m2_x"][a] = dx @ dx
                out["c_xy"][a] = dx @ dy
        return cls(**out)

    def merge(self, other: Moments) -> Moments:
        """The moments of both sets of units (Chan et al.'s pairwise update); neither changes."""
        n = self.n + other.n
        with np.errstate(invalid="ignore", divide="ignore"):
            wa = np.where(n > 0, other.n / n, 0.0)
            cross = np.where(n > 0, self.n * other.n / n, 0.0)
        dy = other.mean_y - self.mean_y
        dx = other.mean_x - self.mean_x
        return Moments(
            n=n,
            mean_y=self.mean_y + dy * wa,
            m2_y=self.m2_y + other.m2_y + dy * dy * cross,
            mean_x=self.mean_x + dx * wa,
            m2_x=self.m2_x + other.m2_x + dx * dx * cross,
            c_xy=self.c_xy + other.c_xy + dx * dy * cross,
        )


@dataclass(frozen=True)
class Difference:
    """Treatment minus control (absolute, or relative to control's mean), its variance at the
    current units, and what the adjustment did. ``variance`` is NaN when an arm has fewer than
    two units; ``value`` is NaN for a relative difference over a control mean of 0."""

    value: float
    variance: float
    units: int
    control_mean: float
    treatment_mean: float
    theta: float
    variance_reduction: float | None

    @property
    def unit_variance(self) -> float:
        """The variance per unit (variance × units): what one more unit is worth."""
        return self.variance * self.units


def difference(m: Moments, *, relative: bool = False, cuped: bool = False) -> Difference:
    """Treatment minus control from the moments ``m``: ``ȳ_T − ȳ_C`` (or ``ȳ_T/ȳ_C − 1`` with
    ``relative``; delta-method variance), CUPED-adjusted with ``cuped``. Unequal arm variances
    are allowed (the Welch form Σ s²/n)."""
    n = m.n
    units = int(n.sum())
    theta = 0.0
    if cuped:
        sxx = float(m.m2_x.sum())
        theta = float(m.c_xy.sum()) / sxx if sxx > 0 else 0.0
    # Adjusted means: ȳ_arm − θ(x̄_arm − x̄), x̄ the mean over both arms.
    x_bar = float((m.mean_x * n).sum() / units) if units else 0.0
    means = m.mean_y - theta * (m.mean_x - x_bar)
    m2_adj = m.m2_y - 2.0 * theta * m.c_xy + theta * theta * m.m2_x
    with np.errstate(invalid="ignore", divide="ignore"):
        per_arm = np.where(n >= 2, np.maximum(m2_adj, 0.0) / (n - 1) / n, np.nan)
        plain = np.where(n >= 2, m.m2_y / (n - 1) / n, np.nan)
    c, t = float(means[CONTROL]), float(means[TREATMENT])
    var_c, var_t = float(per_arm[CONTROL]), float(per_arm[TREATMENT])
    reduction = None
    if cuped and np.isfinite(plain).all() and plain.sum() > 0:
        reduction = 1.0 - (var_c + var_t) / float(plain.sum())
    if relative:
        if c == 0 or not np.isfinite(c):
            value = variance = float("nan")
        else:
            value = t / c - 1.0
            variance = var_t / c**2 + t**2 * var_c / c**4
    else:
        value, variance = t - c, var_c + var_t
    return Difference(value, variance, units, c, t, theta, reduction)
