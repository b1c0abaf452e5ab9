"""Label metrics from confusion counts: accuracy, balanced accuracy, precision / recall / F1
(positive class, micro, macro, weighted).

The state is a (k+1) × (k+1) matrix of (weighted) row counts, rows the true class and columns
the predicted one; index ``k`` collects label codes ``-1`` (a label the model does not know).
Every metric here is a function of that matrix, written for a batch of matrices (..., K, K)
so a bootstrap evaluates all its resamples at once. Averages follow scikit-learn with
``zero_division=0``: macro and weighted averages run over the classes that occur in the truth
or the predictions; a class without predictions has precision 0.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from mlgate.stats.accumulators import Accumulator, undefined
from mlgate.stats.cells import CellStatistic, cells_of, safe_divide, zero_divide

MatrixFn = Callable[[np.ndarray], np.ndarray]


def cell_ids(y: np.ndarray, pred: np.ndarray, k: int) -> np.ndarray:
    """Flat index (true * K + predicted) of each row in the (k+1)² matrix."""
    big = k + 1
    y = np.where(np.asarray(y) < 0, k, y)
    pred = np.where(np.asarray(pred) < 0, k, pred)
    return (y * big + pred).astype(np.intp)


def confusion_counts(
    y: np.ndarray, pred: np.ndarray, k: int, weight: np.ndarray | None = None
) -> np.ndarray:
    """The (k+1) × (k+1) matrix of (weighted) counts of ``y`` (true codes) × ``pred``."""
    big = k + 1
    flat = np.bincount(cell_ids(y, pred, k), weights=weight, minlength=big * big)
    return flat.astype(float).reshape(big, big)


@dataclass(frozen=True)
class _Parts:
    tp: np.ndarray  # (..., k)
    true_count: np.ndarray  # (..., k) rows of each class (whatever was predicted)
    pred_count: np.ndarray  # (..., k) rows predicted as each class (whatever they were)
    total: np.ndarray  # (...)

    @property
    def seen(self) -> np.ndarray:
        return (self.true_count + self.pred_count) > 0


def _parts(c: np.ndarray) -> _Parts:
    k = c.shape[-1] - 1
    known = c[..., :k, :k]
    return _Parts(
        tp=np.diagonal(known, axis1=-2, axis2=-1),
        true_count=c[..., :k, :].sum(axis=-1),
        pred_count=c[..., :, :k].sum(axis=-2),
        total=c.sum(axis=(-2, -1)),
    )


def _per_class(p: _Parts, score: str) -> np.ndarray:
    if score == "precision":
        return zero_divide(p.tp, p.pred_count)
    if score == "recall":
        return zero_divide(p.tp, p.true_count)
    return zero_divide(2 * p.tp, p.true_count + p.pred_count)  # F1 = 2tp / (2tp + fp + fn)


def _nan_if_empty(values: np.ndarray, p: _Parts) -> np.ndarray:
    return np.where(p.total > 0, values, np.nan)


def accuracy(c: np.ndarray) -> np.ndarray:
    p = _parts(c)
    return safe_divide(p.tp.sum(axis=-1), p.total)


def balanced_accuracy(c: np.ndarray) -> np.ndarray:
    """Mean recall over the classes present in the truth (scikit-learn drops the others)."""
    p = _parts(c)
    present = p.true_count > 0
    recall = zero_divide(p.tp, p.true_count)
    return safe_divide((recall * present).sum(axis=-1), present.sum(axis=-1))


def averaged(score: str, average: str) -> MatrixFn:
    """``score`` (precision, recall, f1) averaged as ``average``: ``binary`` (the positive,
    last class when k = 2, else macro), ``micro``, ``macro`` or ``weighted``."""

    def fn(c: np.ndarray) -> np.ndarray:
        p = _parts(c)
        k = p.tp.shape[-1]
        if average == "micro":
            tp = p.tp.sum(axis=-1)
            pred, true = p.pred_count.sum(axis=-1), p.true_count.sum(axis=-1)
            den = {"precision": pred, "recall": true, "f1": pred + true}[score]
            return _nan_if_empty(zero_divide((2 if score == "f1" else 1) * tp, den), p)
        per_class = _per_class(p, score)
        if average == "binary" and k == 2:
            return _nan_if_empty(per_class[..., 1], p)
        if average == "weighted":
            w = p.true_count * p.seen
            return safe_divide((per_class * w).sum(axis=-1), w.sum(axis=-1))
        seen = p.seen
        return safe_divide((per_class * seen).sum(axis=-1), seen.sum(axis=-1))

    return fn


def proportion_of(name: str, c: np.ndarray) -> tuple[float, float] | None:
    """(successes, trials) when metric ``name`` is a plain proportion of rows, for a Wilson
    interval: accuracy, and binary precision / recall of the positive class."""
    p = _parts(c)
    if name == "accuracy":
        return float(p.tp.sum()), float(p.total)
    if p.tp.shape[-1] == 2 and name in ("precision", "recall"):
        den = p.pred_count[1] if name == "precision" else p.true_count[1]
        return float(p.tp[1]), float(den)
    return None


class ConfusionAccumulator(Accumulator):
    """Confusion counts for one label metric (``fn`` maps the matrix to the value)."""

    def __init__(self, metric: str, k: int, fn: MatrixFn, reason: str) -> None:
        self.fn = fn
        self.reason = reason
        super().__init__(metric, k)

    def initial_state(self) -> dict[str, np.ndarray]:
        return {"counts": np.zeros((self.k + 1, self.k + 1))}

    def rows_state(self, y, output, weight) -> dict[str, np.ndarray]:
        return {"counts": confusion_counts(y, output, self.k, weight)}

    def compute(self) -> float:
        value = float(self.fn(self.state["counts"]))
        if np.isnan(value):
            undefined(self.reason)
        return value


def confusion_statistic(
    name: str, fn: MatrixFn, y: np.ndarray, pred: np.ndarray, k: int
) -> CellStatistic:
    """``fn`` over the cells of the confusion matrix: at most (k+1)² cells, whatever the number
    of rows, so a bootstrap costs the same for a thousand rows or a billion."""
    big = k + 1
    ids, counts, row_cell = cells_of(cell_ids(y, pred, k))

    def batch(w: np.ndarray) -> np.ndarray:
        flat = np.zeros((len(w), big * big))
        flat[:, ids] = w
        return fn(flat.reshape(-1, big, big))

    def jackknife() -> np.ndarray:
        flat = np.tile(np.bincount(ids, weights=counts, minlength=big * big), (len(ids), 1))
        flat[np.arange(len(ids)), ids] -= 1.0
        return fn(flat.reshape(-1, big, big))

    return CellStatistic(name, counts, row_cell, batch, jackknife)
