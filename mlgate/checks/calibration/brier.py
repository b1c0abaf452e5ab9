"""The Brier score and its Murphy (1973) decomposition over calibration bins.

For class c with forecasts p and outcomes o = 1{y = c}, rows grouped into bins b of size n_b with
mean forecast p̄_b and observed frequency ō_b, and ō the overall frequency:

    reliability = Σ_b n_b (p̄_b − ō_b)² / n        (lower is better: miscalibration)
    resolution  = Σ_b n_b (ō_b − ō)² / n           (higher is better: separation)
    uncertainty = ō (1 − ō)                        (the data's, not the model's)

Brier = reliability − resolution + uncertainty + within, where ``within`` collects the spread
of forecasts inside a bin (Stephenson et al. 2008); it is 0 when every bin holds one forecast
value. Binary scores decompose the positive class (scikit-learn's ``brier_score_loss``);
multiclass scores sum the terms over classes (the multiclass Brier, a sum over classes).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from mlgate.checks.calibration.bins import bin_index, equal_width_edges
from mlgate.stats.accumulators import undefined


@dataclass(frozen=True)
class BrierDecomposition:
    """Brier score, its three Murphy terms and the within-bin remainder."""

    brier: float
    reliability: float
    resolution: float
    uncertainty: float
    within: float
    n: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def brier_decomposition(y: Any, scores: Any, edges: Any = None) -> BrierDecomposition:
    """The decomposition of class codes ``y`` and probabilities ``scores`` (n, k), binned by
    ``edges`` (default: 10 equal-width bins). Raises UndefinedMetricError with no rows or labels
    without a score column."""
    y = np.asarray(y)
    scores = np.asarray(scores, dtype=float)
    if not len(y):
        undefined("Brier score of no rows")
    if (y < 0).any():
        undefined("Brier score of a label the model has no score for")
    edges = equal_width_edges(10) if edges is None else np.asarray(edges, dtype=float)
    m = len(edges) - 1
    k = scores.shape[1]
    classes = [1] if k == 2 else list(range(k))
    n = len(y)
    brier = rel = res = unc = 0.0
    for c in classes:
        p = scores[:, c]
        o = (y == c).astype(float)
        idx = bin_index(p, edges)
        n_b = np.bincount(idx, minlength=m)
        p_b = np.bincount(idx, weights=p, minlength=m)
        o_b = np.bincount(idx, weights=o, minlength=m)
        full = n_b > 0
        p_mean = p_b[full] / n_b[full]
        o_mean = o_b[full] / n_b[full]
        base = o.mean()
        brier += float(np.mean((p - o) ** 2))
        rel += float(np.sum(n_b[full] * (p_mean - o_mean) ** 2) / n)
        res += float(np.sum(n_b[full] * (o_mean - base) ** 2) / n)
        unc += float(base * (1.0 - base))
    return BrierDecomposition(brier, rel, res, unc, brier - (rel - res + unc), n)
