"""Bootstrap intervals for the ECE, on mlgate's cell-weight bootstrap.

With the bin edges held fixed (for equal-mass bins: the edges of the full data; the interval is
conditional on them), a resample only changes how much each row counts, so

    ECE(w) = mean over classes of Σ_b |Σ_{i in b} w_i (hit_i − conf_i)| / Σ_i w_i

is evaluated for a batch of weight vectors with one sparse product. The exact jackknife (each
row left out) gives BCa its acceleration.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import sparse

from mlgate.checks.calibration.bins import Kind, bin_index, confidences
from mlgate.stats.bootstrap import BootstrapOutcome, Method, bootstrap_interval
from mlgate.stats.cells import CellStatistic, identity_cells


def ece_statistic(y: Any, scores: Any, edges: Any, kind: Kind = "top_label") -> CellStatistic:
    """The ECE of class codes ``y`` and probabilities ``scores`` as a statistic of row
    weights (every row its own cell). Its ``value`` equals :class:`CalibrationBins`' ECE."""
    y = np.asarray(y)
    edges = np.asarray(edges, dtype=float)
    conf, hits = confidences(y, np.asarray(scores, dtype=float), kind)
    groups, n = conf.shape
    m = len(edges) - 1
    bins = np.stack([bin_index(conf[g], edges) for g in range(groups)])  # (G, n)
    diff = hits - conf  # (G, n)
    cols = (bins + m * np.arange(groups)[:, None]).ravel()
    rows = np.tile(np.arange(n), groups)
    design = sparse.csr_matrix((diff.ravel(), (rows, cols)), shape=(n, groups * m))
    counts, row_cell = identity_cells(n)

    def batch(w: np.ndarray) -> np.ndarray:
        sums = np.asarray((design.T @ w.T).T)  # (B, G·m)
        total = w.sum(axis=1)
        per_group = np.abs(sums).reshape(len(w), groups, m).sum(axis=2)
        out = np.full(len(w), np.nan)
        ok = total > 0
        out[ok] = per_group[ok].mean(axis=1) / total[ok]
        return out

    def jackknife() -> np.ndarray:
        if n < 2:
            return np.full(n, np.nan)
        sums = np.zeros((groups, m))
        for g in range(groups):
            sums[g] = np.bincount(bins[g], weights=diff[g], minlength=m)
        total = np.abs(sums).sum(axis=1)  # (G,)
        own = np.take_along_axis(sums, bins, axis=1)  # (G, n): the sum of each row's bin
        loo = total[:, None] - np.abs(own) + np.abs(own - diff)
        return loo.mean(axis=0) / (n - 1)

    return CellStatistic("ece", counts, row_cell, batch, jackknife)


def ece_interval(
    y: Any,
    scores: Any,
    edges: Any,
    kind: Kind,
    *,
    rng: np.random.Generator,
    n_resamples: int = 1000,
    level: float = 0.95,
    method: Method = "percentile",
) -> BootstrapOutcome:
    """A seeded bootstrap interval of the ECE (bins fixed). Raises ValueError for a bad level
    or method."""
    stat = ece_statistic(y, scores, edges, kind)
    return bootstrap_interval(stat, rng=rng, n_resamples=n_resamples, level=level, method=method)
