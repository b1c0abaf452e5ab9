"""Metric definitions: what each metric needs from a model, which way is better, and a
vectorised NumPy implementation that agrees with scikit-learn (tests/stats/test_metrics.py
checks each against ``sklearn.metrics`` to 1e-9).

Classification metrics work on *encoded* inputs, so a bootstrap encodes labels once:
``y`` and predicted labels are integer codes into ``classes`` (``-1`` for a label the model
does not know), scores are an (n, k) array whose columns follow ``classes``.

A metric that is undefined on the data it is given (ROC AUC with one class, R² on a
constant target) raises :class:`UndefinedMetricError`; checks turn that into
``inconclusive``, never into a number.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy.stats import rankdata

from mlgate.config.schema import Task
from mlgate.errors import MlgateError

Needs = Literal["labels", "scores", "values"]
_CLS = frozenset({Task.BINARY, Task.MULTICLASS})
_REG = frozenset({Task.REGRESSION})


class UndefinedMetricError(MlgateError, ValueError):
    """The metric has no value on this data (e.g. only one class present)."""


@dataclass(frozen=True)
class MetricDef:
    """A metric: ``compute(y, output, k)`` where ``output`` is the array named by ``needs``
    (label codes, class scores, or regression values) and ``k`` the number of classes."""

    name: str
    higher_is_better: bool
    tasks: frozenset[Task]
    needs: Needs
    compute: Callable[[np.ndarray, np.ndarray, int], float]
    description: str


def encode_labels(values: Any, classes: Sequence[Any]) -> np.ndarray:
    """Integer codes of ``values`` in ``classes``; ``-1`` where a value is not a class."""
    return pd.Index(list(classes)).get_indexer(np.asarray(values, dtype=object))


def _confusion(y: np.ndarray, pred: np.ndarray, k: int) -> np.ndarray:
    """k×k counts (rows: true, columns: predicted); rows/columns of unknown codes dropped."""
    ok = (y >= 0) & (pred >= 0)
    return np.bincount(y[ok] * k + pred[ok], minlength=k * k).reshape(k, k)


def _accuracy(y, pred, k) -> float:
    # Two different unknown labels share the code -1; neither is a correct prediction.
    hit = (y == pred) & (y >= 0)
    return float(np.mean(hit)) if len(y) else _undefined("accuracy of no rows")


def _balanced_accuracy(y, pred, k) -> float:
    support = np.bincount(y[y >= 0], minlength=k)
    hits = np.bincount(y[(y == pred) & (y >= 0)], minlength=k)
    present = support > 0
    if not present.any():
        _undefined("balanced accuracy needs at least one labelled row")
    return float(np.mean(hits[present] / support[present]))


def _f1_per_class(y, pred, k) -> np.ndarray:
    cm = _confusion(y, pred, k)
    tp = np.diag(cm).astype(float)
    fp = np.bincount(pred[(pred >= 0) & (pred != y)], minlength=k)
    fn = np.bincount(y[(y >= 0) & (pred != y)], minlength=k)
    denom = 2 * tp + fp + fn
    return np.divide(2 * tp, denom, out=np.zeros(k), where=denom > 0)


def _f1(y, pred, k) -> float:
    # Binary: F1 of the positive class (the last of ``classes``); multiclass: macro F1 over
    # the classes that occur in truth or predictions, as sklearn's ``average="macro"`` does:
    # a class of the model that no row has or gets would otherwise add a spurious 0.
    if not len(y):
        _undefined("F1 of no rows")
    per_class = _f1_per_class(y, pred, k)
    if k == 2:
        return float(per_class[-1])
    seen = np.bincount(y[y >= 0], minlength=k) + np.bincount(pred[pred >= 0], minlength=k)
    if not seen.any():
        _undefined("macro F1 needs at least one labelled row or prediction")
    return float(per_class[seen > 0].mean())


def _binary_auc(positive: np.ndarray, score: np.ndarray) -> float:
    n_pos = int(positive.sum())
    n_neg = len(positive) - n_pos
    if n_pos == 0 or n_neg == 0:
        _undefined("ROC AUC needs rows of both classes")
    ranks = rankdata(score)  # average ranks: ties count one half (Mann–Whitney U)
    return float((ranks[positive].sum() - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg))


def _roc_auc(y, scores, k) -> float:
    if k == 2:
        return _binary_auc(y == 1, scores[:, 1])
    missing = np.setdiff1d(np.arange(k), y)
    if len(missing):
        _undefined(f"one-vs-rest ROC AUC needs every class; class codes {missing.tolist()} absent")
    return float(np.mean([_binary_auc(y == c, scores[:, c]) for c in range(k)]))


def _log_loss(y, scores, k) -> float:
    if (y < 0).any():
        _undefined("log loss of a label the model has no score for")
    eps = np.finfo(scores.dtype if scores.dtype.kind == "f" else float).eps
    p = np.clip(scores[np.arange(len(y)), y], eps, 1 - eps)
    return float(-np.mean(np.log(p)))


def _mae(y, values, k) -> float:
    return float(np.mean(np.abs(y - values)))


def _rmse(y, values, k) -> float:
    return float(np.sqrt(np.mean((y - values) ** 2)))


def _r2(y, values, k) -> float:
    ss_tot = float(np.sum((y - y.mean()) ** 2))
    if ss_tot == 0.0:
        _undefined("R² is undefined when the target is constant")
    return 1.0 - float(np.sum((y - values) ** 2)) / ss_tot


def _undefined(reason: str):
    raise UndefinedMetricError(reason)


METRICS: dict[str, MetricDef] = {
    m.name: m
    for m in (
        MetricDef("accuracy", True, _CLS, "labels", _accuracy, "fraction of correct labels"),
        MetricDef(
            "balanced_accuracy",
            True,
            _CLS,
            "labels",
            _balanced_accuracy,
            "mean recall over the classes present",
        ),
        MetricDef(
            "f1",
            True,
            _CLS,
            "labels",
            _f1,
            "F1 of the positive (last) class if binary, else macro F1",
        ),
        MetricDef(
            "roc_auc",
            True,
            _CLS,
            "scores",
            _roc_auc,
            "ROC AUC (binary) or macro one-vs-rest ROC AUC (multiclass)",
        ),
        MetricDef("log_loss", False, _CLS, "scores", _log_loss, "cross-entropy of class scores"),
        MetricDef("mae", False, _REG, "values", _mae, "mean absolute error"),
        MetricDef("rmse", False, _REG, "values", _rmse, "root mean squared error"),
        MetricDef("r2", True, _REG, "values", _r2, "coefficient of determination"),
    )
}


def get_metric(name: str) -> MetricDef:
    """The metric called ``name``; raises KeyError listing the known ones."""
    try:
        return METRICS[name]
    except KeyError:
        raise KeyError(f"unknown metric {name!r}; known metrics: {', '.join(METRICS)}") from None
