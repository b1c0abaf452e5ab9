"""Metrics that are means of a per-row loss (log-loss, Brier, MAE, RMSE, MAPE, pinball loss)
and R².

A mean loss keeps two numbers (total weight, weighted loss sum); R² keeps the weighted count,
mean and centred sum of squares of the target (merged with Chan et al.'s parallel update, so
merging chunks is as accurate as one pass), the squared-error sum, and the target's minimum
and maximum (a constant target has no R²). Per-row losses follow scikit-learn's definitions.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from mlgate.stats.accumulators import Accumulator, undefined
from mlgate.stats.cells import (
    CellStatistic,
    cells_of,
    identity_cells,
    packed_sum_kernel,
    safe_divide,
)

LossFn = Callable[[np.ndarray, np.ndarray, int], np.ndarray]
_EPS64 = np.finfo(np.float64).eps


def _known(y: np.ndarray, what: str) -> np.ndarray:
    y = np.asarray(y)
    if (y < 0).any():
        undefined(f"{what} of a label the model has no score for")
    return y.astype(np.intp)


def log_loss_rows(y, scores, k) -> np.ndarray:
    """−log of the probability given to the true class, clipped to [eps, 1 − eps] like
    scikit-learn (eps of the scores' dtype)."""
    y = _known(y, "log loss")
    scores = np.asarray(scores)
    eps = np.finfo(scores.dtype if scores.dtype.kind == "f" else float).eps
    return -np.log(np.clip(scores[np.arange(len(y)), y].astype(float), eps, 1 - eps))


def brier_rows(y, scores, k) -> np.ndarray:
    """Binary: (1{positive} − p)²; multiclass: Σ_c (1{y = c} − p_c)² (scikit-learn's
    ``brier_score_loss`` with ``scale_by_half="auto"``)."""
    y = _known(y, "Brier score")
    scores = np.asarray(scores, dtype=float)
    if k == 2:
        return ((y == 1) - scores[:, 1]) ** 2
    onehot = np.zeros_like(scores)
    onehot[np.arange(len(y)), y] = 1.0
    return ((onehot - scores) ** 2).sum(axis=1)


def abs_rows(y, values, k) -> np.ndarray:
    return np.abs(np.asarray(y, float) - np.asarray(values, float))


def squared_rows(y, values, k) -> np.ndarray:
    return (np.asarray(y, float) - np.asarray(values, float)) ** 2


def ape_rows(y, values, k) -> np.ndarray:
    """|y − ŷ| / max(|y|, eps): scikit-learn's MAPE terms (a fraction, not a percentage)."""
    y = np.asarray(y, float)
    return np.abs(np.asarray(values, float) - y) / np.maximum(np.abs(y), _EPS64)


def pinball_rows(alpha: float) -> LossFn:
    """The pinball (quantile) loss of quantile level ``alpha``."""

    def rows(y, values, k) -> np.ndarray:
        diff = np.asarray(y, float) - np.asarray(values, float)
        return np.where(diff >= 0, alpha * diff, (alpha - 1) * diff)

    return rows


class MeanLossAccumulator(Accumulator):
    """Weighted mean of a per-row loss; ``root`` takes the square root (RMSE)."""

    def __init__(self, metric: str, k: int, loss: LossFn, root: bool = False) -> None:
        self.loss = loss
        self.root = root
        super().__init__(metric, k)

    def initial_state(self) -> dict[str, np.ndarray]:
        return {"weight": np.zeros(()), "total": np.zeros(())}

    def rows_state(self, y, output, weight) -> dict[str, np.ndarray]:
        losses = self.loss(y, output, self.k)
        weight = np.ones(len(losses)) if weight is None else weight
        return {"weight": np.asarray(weight.sum()), "total": np.asarray(weight @ losses)}

    def compute(self) -> float:
        if self.state["weight"] <= 0:
            undefined(f"{self.metric} of no rows")
        mean = float(self.state["total"] / self.state["weight"])
        return float(np.sqrt(mean)) if self.root else mean


def mean_loss_statistic(name: str, losses: np.ndarray, root: bool = False) -> CellStatistic:
    """The mean of ``losses`` as a cell statistic. Equal losses share a cell when that makes
    the statistic much smaller (e.g. log-loss of a model with a handful of distinct scores)."""
    n = len(losses)
    values, counts, row_cell = cells_of(losses)
    if len(values) > n // 4:
        values, (counts, row_cell) = np.asarray(losses, float), identity_cells(n)

    def finish(mean: np.ndarray) -> np.ndarray:
        return np.sqrt(mean) if root else mean

    def batch(w: np.ndarray) -> np.ndarray:
        return finish(safe_divide(w @ values, w.sum(axis=1)))

    def jackknife() -> np.ndarray:
        total, weight = counts @ values, counts.sum()
        return finish(safe_divide(total - values, np.full(len(values), weight - 1.0)))

    # one row per cell (many distinct losses): double-or-nothing resamples of a large data
    # set read packed bits directly instead of a dense (resamples × rows) weight block
    bits = None
    if bool((counts == 1).all()):
        mean_of_bits = packed_sum_kernel(values)

        def bits(b: np.ndarray) -> np.ndarray:
            return finish(mean_of_bits(b))

    return CellStatistic(name, counts, row_cell, batch, jackknife, batch_bits=bits)


class R2Accumulator(Accumulator):
    """R² = 1 − SSE / SST with the target's moments merged by Chan et al.'s update."""

    def __init__(self, metric: str = "r2", k: int = 0) -> None:
        super().__init__(metric, k)

    def initial_state(self) -> dict[str, np.ndarray]:
        zero = np.zeros(())
        return {
            "weight": zero,
            "mean": zero.copy(),
            "m2": zero.copy(),
            "sse": zero.copy(),
            "min": np.asarray(np.inf),
            "max": np.asarray(-np.inf),
        }

    def rows_state(self, y, output, weight) -> dict[str, np.ndarray]:
        y = np.asarray(y, float)
        weight = np.ones(len(y)) if weight is None else weight
        w = float(weight.sum())
        mean = float(weight @ y) / w if w > 0 else 0.0
        seen = y[weight > 0]
        return {
            "weight": np.asarray(w),
            "mean": np.asarray(mean),
            "m2": np.asarray(weight @ (y - mean) ** 2),
            "sse": np.asarray(weight @ squared_rows(y, output, 0)),
            "min": np.asarray(seen.min() if len(seen) else np.inf),
            "max": np.asarray(seen.max() if len(seen) else -np.inf),
        }

    def combine(self, a, b) -> dict[str, np.ndarray]:
        wa, wb = float(a["weight"]), float(b["weight"])
        if wa == 0 or wb == 0:
            return {name: np.array(v, copy=True) for name, v in (b if wa == 0 else a).items()}
        w = wa + wb
        delta = float(b["mean"] - a["mean"])
        return {
            "weight": np.asarray(w),
            "mean": np.asarray(float(a["mean"]) + delta * wb / w),
            "m2": np.asarray(float(a["m2"] + b["m2"]) + delta * delta * wa * wb / w),
            "sse": a["sse"] + b["sse"],
            "min": np.minimum(a["min"], b["min"]),
            "max": np.maximum(a["max"], b["max"]),
        }

    def compute(self) -> float:
        s = self.state
        if s["weight"] <= 0 or s["min"] == s["max"] or s["m2"] <= 0:
            undefined("R² is undefined when the target is constant")
        return 1.0 - float(s["sse"] / s["m2"])


def r2_statistic(y: np.ndarray, values: np.ndarray) -> CellStatistic:
    """R² over rows; the target is centred once so resampled sums of squares stay accurate.
    A resample whose targets are all equal has no R² (NaN)."""
    y = np.asarray(y, float)
    counts, row_cell = identity_cells(len(y))
    yc = y - y.mean()
    features = np.column_stack([yc, yc * yc, squared_rows(y, values, 0)])

    def finish(w_sum, s1, s2, sse) -> np.ndarray:
        sst = s2 - safe_divide(s1 * s1, w_sum)
        constant = ~(sst > 1e-12 * s2)  # all resampled targets equal, up to rounding
        return np.where(constant, np.nan, 1.0 - safe_divide(sse, sst))

    def batch(w: np.ndarray) -> np.ndarray:
        sums = w @ features
        return finish(w.sum(axis=1), sums[:, 0], sums[:, 1], sums[:, 2])

    def jackknife() -> np.ndarray:
        total = features.sum(axis=0)
        rest = total[None, :] - features
        return finish(np.full(len(y), len(y) - 1.0), rest[:, 0], rest[:, 1], rest[:, 2])

    return CellStatistic("r2", counts, row_cell, batch, jackknife)
