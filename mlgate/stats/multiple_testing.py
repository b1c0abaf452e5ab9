"""Adjusted p-values for several hypotheses tested at once.

* ``bonferroni``: p·m — controls the family-wise error rate (FWER) under any dependence.
* ``holm``: Holm's (1979) step-down Bonferroni — the same guarantee, never less powerful.
* ``bh``: Benjamini & Hochberg's (1995) step-up — controls the false discovery rate (FDR)
  under independence or positive dependence; less strict, for screening many hypotheses.
* ``none``: the p-values as they are.

A hypothesis is rejected at level α when its adjusted p-value is ≤ α.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

Correction = Literal["holm", "bonferroni", "bh", "none"]
CORRECTIONS = ("holm", "bonferroni", "bh", "none")


def adjust(p_values, method: Correction = "holm") -> np.ndarray:
    """Adjusted p-values, in the input order. Raises ValueError for an unknown method or a
    p-value outside [0, 1]."""
    p = np.asarray(p_values, dtype=float)
    if method not in CORRECTIONS:
        raise ValueError(f"unknown correction {method!r}; use one of {list(CORRECTIONS)}")
    if ((p < 0) | (p > 1) | np.isnan(p)).any():
        raise ValueError(f"p-values must lie in [0, 1], got {p.tolist()}")
    m = len(p)
    if m == 0 or method == "none":
        return p.copy()
    if method == "bonferroni":
        return np.minimum(1.0, p * m)
    order = np.argsort(p, kind="stable")
    ranked = p[order]
    if method == "holm":
        steps = np.maximum.accumulate(ranked * (m - np.arange(m)))
    else:  # bh
        steps = np.minimum.accumulate((ranked * m / np.arange(1, m + 1))[::-1])[::-1]
    out = np.empty(m)
    out[order] = np.minimum(1.0, steps)
    return out
