"""How many rows a comparison would need: the normal-approximation sample size.

A test of a difference d against a boundary δ₀ with standard error ``se`` at ``n`` rows has a
per-row standard deviation σ = se·√n. To decide with one-sided level α and power 1 − β when
the true difference is the one observed, it needs about

    n* = ((z_{1−α} + z_{1−β}) · σ / |d − δ₀|)²

rows (e.g. Chow, Shao & Wang, *Sample Size Calculations in Clinical Research*, ch. 3). When
the observed difference sits on the boundary no sample size decides it. A part of the
standard error that more rows cannot shrink (``se_fixed``: e.g. a stored earlier run's
uncertainty) is kept as it is: n* = n·se² / (gap² / (z_{1−α} + z_{1−β})² − se_fixed²).
"""

from __future__ import annotations

import math

from scipy.special import ndtri


def required_rows(
    *,
    se: float,
    n: int,
    difference: float,
    boundary: float,
    alpha: float,
    power: float = 0.8,
    se_fixed: float = 0.0,
) -> int | None:
    """Rows needed to tell ``difference`` from ``boundary`` (one-sided level ``alpha``, given
    ``power``), assuming the observed difference and per-row spread are the true ones; ``se``
    is the standard error at ``n`` rows. None when no number of rows decides it (the
    difference equals the boundary, or ``se_fixed`` alone is too large) or the spread is
    unknown or zero. Raises ValueError for alpha or power outside (0, 1)."""
    if not 0.0 < alpha < 1.0 or not 0.0 < power < 1.0:
        raise ValueError(f"alpha and power must be in (0, 1), got {alpha}, {power}")
    gap = abs(difference - boundary)
    if gap == 0 or not math.isfinite(se) or se <= 0 or n <= 0:
        return None
    z = float(ndtri(1.0 - alpha) + ndtri(power))
    room = (gap / z) ** 2 - se_fixed**2
    if room <= 0:
        return None
    return max(1, math.ceil(n * se * se / room))
