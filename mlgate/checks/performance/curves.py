"""The plots a reviewer of a binary classifier looks at: the ROC curve, the precision–recall
curve and the confusion matrix, as evidence blocks of the metric check they explain.

Each check shows the plot of what it measures, so a gate with several metric checks does not
repeat the same curve: a ``roc_auc`` check its ROC curve (the area it judged), an
``average_precision`` check its precision–recall curve, a label metric (accuracy, f1,
precision, recall, ...) its confusion matrix; ``precision`` and ``recall`` also the
precision–recall curve, through the model's operating point (the rates its labels give), so
the report draws the bound on the axis the metric is.

Curves are exact (one point per distinct score, cumulative counts, as scikit-learn's
``roc_curve`` / ``precision_recall_curve``), then thinned to at most :data:`MAX_POINTS` points
(collinear ROC points first, which changes nothing drawn; then evenly by threshold rank,
keeping both ends and the operating point), so ``result.json`` stays small at any row count.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from mlgate.core.evidence import Block, Curve, Matrix
from mlgate.core.result import rounded
from mlgate.core.task import Task
from mlgate.models import Predictions
from mlgate.stats.metrics import MetricDef, encode_labels
from mlgate.stats.scoring import seen_classes

#: Points of one curve in ``result.json``, at most.
MAX_POINTS = 200
#: Metrics whose check shows the ROC / the precision–recall curve.
ROC_METRICS = frozenset({"roc_auc", "roc_auc_weighted"})
PR_METRICS = frozenset({"average_precision", "average_precision_weighted"})
#: Label metrics that are an axis of the precision–recall curve (their bound is drawn on it).
PR_AXES = frozenset({"precision", "recall"})


def binary_plots(metric: MetricDef, y: Any, preds: Predictions, task: Task) -> dict[str, Block]:
    """The evidence blocks that picture ``metric`` for a binary task (module docstring);
    nothing for another task, a model without what the plot needs, or labels that are not the
    model's two classes (the metric's own checks report those)."""
    if task is not Task.BINARY or (preds.labels is None and preds.scores is None):
        return {}
    seen = (y,) if preds.labels is None else (y, preds.labels)
    classes = tuple(preds.classes) if preds.classes is not None else seen_classes(*seen)
    if len(classes) != 2:
        return {}
    truth = encode_labels(y, classes)
    if len(truth) == 0 or (truth < 0).any():
        return {}
    positive = truth == 1
    labels = None if preds.labels is None else encode_labels(preds.labels, classes)
    if labels is not None and (labels < 0).any():
        labels = None
    scores = _positive_scores(preds, classes)
    out: dict[str, Block] = {}
    if metric.name in ROC_METRICS and scores is not None:
        out["roc_curve"] = roc_block(positive, scores)
    wants_pr = metric.name in PR_METRICS or metric.name in PR_AXES
    if wants_pr and scores is not None:
        out["pr_curve"] = pr_block(positive, scores, None if metric.name in PR_METRICS else labels)
    if metric.needs == "labels" and labels is not None:
        out["confusion_matrix"] = confusion_block(truth, labels, classes)
    return out


def _positive_scores(preds: Predictions, classes: tuple[Any, ...]) -> np.ndarray | None:
    """The score of the positive (last) class per row, in ``classes``' order."""
    if preds.scores is None:
        return None
    scores = np.asarray(preds.scores, dtype=float)
    if scores.ndim != 2 or scores.shape[1] != 2 or not np.isfinite(scores).all():
        return None
    column = 1
    if preds.classes is not None:
        column = int(encode_labels([classes[1]], preds.classes)[0])
    return scores[:, column] if column >= 0 else None


# -- exact curves ----------------------------------------------------------------------------


def _counts(positive: np.ndarray, scores: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """True and false positives when every row scored at least each distinct score is called
    positive, from the highest score down (as scikit-learn's ``_binary_clf_curve``), and the
    thresholds."""
    order = np.argsort(-scores, kind="mergesort")
    s, p = scores[order], positive[order].astype(np.int64)
    last = np.r_[np.flatnonzero(np.diff(s)), len(s) - 1]  # the last row of each distinct score
    tps = np.cumsum(p)[last]
    fps = (last + 1) - tps
    return tps, fps, s[last]


def roc_points(positive: np.ndarray, scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(false positive rate, true positive rate) from (0, 0) through every distinct score;
    NaN rates when a class has no rows."""
    fps, tps = _roc_counts(positive, scores)
    return _rates(fps, tps)


def _roc_counts(positive: np.ndarray, scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    tps, fps, _ = _counts(positive, scores)
    return np.r_[0, fps], np.r_[0, tps]


def _rates(fps: np.ndarray, tps: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    with np.errstate(invalid="ignore", divide="ignore"):
        return fps / fps[-1], tps / tps[-1]


def pr_points(positive: np.ndarray, scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(recall, precision) at every distinct score, recall increasing (scikit-learn's
    ``precision_recall_curve`` without its appended (recall 0, precision 1) end)."""
    tps, fps, _ = _counts(positive, scores)
    return _pr_rates(tps, fps)


def _pr_rates(tps: np.ndarray, fps: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    with np.errstate(invalid="ignore", divide="ignore"):
        return tps / tps[-1], tps / (tps + fps)


def _operating_index(scores: np.ndarray, labels: np.ndarray, thresholds: np.ndarray) -> int | None:
    """The index among the curve's falling ``thresholds`` of the point the model's labels
    give, when they are its scores cut at one threshold (every row called positive scores
    above every row called negative); else None."""
    called = labels == 1
    if not called.any() or called.all():
        return None
    if scores[called].min() <= scores[~called].max():
        return None
    # the point is the last threshold still at or above the lowest called score
    return int(np.searchsorted(-thresholds, -scores[called].min(), side="right")) - 1


# -- thinning --------------------------------------------------------------------------------


def _collinear(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Indices without the middle points of straight runs of the integer counts ``x``, ``y``
    (scikit-learn's ``drop_intermediate``; counts, not rates, so rounding cannot hide a
    straight run): the polyline drawn is the same."""
    if len(x) <= 2:
        return np.arange(len(x))
    keep = np.r_[True, np.logical_or(np.diff(x, 2) != 0, np.diff(y, 2) != 0), True]
    return np.flatnonzero(keep)


def roc_corners(fps: np.ndarray, tps: np.ndarray) -> np.ndarray:
    """The ROC points that are not inside a straight run, as scikit-learn's
    ``drop_intermediate`` keeps them (the (0, 0) start is added after dropping)."""
    return np.r_[0, 1 + _collinear(fps[1:], tps[1:])]


def thin(n: int, keep: tuple[int, ...] = (), limit: int = MAX_POINTS) -> np.ndarray:
    """At most ``limit`` of the indices ``0..n-1``, evenly spaced, always with the ends and
    ``keep``; deterministic."""
    if n <= limit:
        return np.arange(n)
    must = sorted({0, n - 1, *(k for k in keep if 0 <= k < n)})
    spaced = np.linspace(0, n - 1, limit - len(must) + 2).round().astype(int)
    # ``spaced`` holds both ends, so the union has at most ``limit`` indices
    return np.union1d(spaced, must)


def _curve(x, y, idx, *, xlabel: str, ylabel: str, title: str) -> Curve:
    return Curve(
        x=tuple(rounded(v) for v in x[idx]),
        y=tuple(rounded(v) for v in y[idx]),
        xlabel=xlabel,
        ylabel=ylabel,
        title=title,
    )


def roc_block(positive: np.ndarray, scores: np.ndarray) -> Curve:
    """The ROC curve (false positive rate vs true positive rate), at most MAX_POINTS points;
    the title gives the area under the whole curve."""
    fps, tps = _roc_counts(positive, scores)
    fpr, tpr = _rates(fps, tps)
    auc = float(np.trapezoid(tpr, fpr)) if np.isfinite(fpr[-1] + tpr[-1]) else None
    kept = roc_corners(fps, tps)
    idx = kept[thin(len(kept))]
    title = "ROC curve" + (f" (area {auc:.4g})" if auc is not None else "")
    return _curve(fpr, tpr, idx, xlabel="false positive rate", ylabel="true positive rate",
                  title=title)  # fmt: skip


def pr_block(positive: np.ndarray, scores: np.ndarray, labels: np.ndarray | None) -> Curve:
    """The precision–recall curve, at most MAX_POINTS points, through the operating point of
    ``labels`` when they are thresholded scores (so a precision or recall bound, judged at
    that point, is drawn on the curve)."""
    tps, fps, thresholds = _counts(positive, scores)
    recall, precision = _pr_rates(tps, fps)
    op = None if labels is None else _operating_index(scores, labels, thresholds)
    idx = thin(len(recall), keep=() if op is None else (op,))
    title = "precision–recall curve"
    if np.isfinite(recall[-1]):
        ap = float(np.sum(np.diff(np.r_[0.0, recall]) * precision))
        title += f" (average precision {ap:.4g})"
    return _curve(recall, precision, idx, xlabel="recall", ylabel="precision", title=title)


def confusion_block(truth: np.ndarray, labels: np.ndarray, classes: tuple[Any, ...]) -> Matrix:
    """The confusion matrix: rows the actual class, columns the predicted one, in the model's
    class order (the positive class last)."""
    k = len(classes)
    counts = np.bincount(truth * k + labels, minlength=k * k).reshape(k, k)
    return Matrix(labels=tuple(str(c) for c in classes), counts=counts.tolist(),
                  title="confusion matrix")  # fmt: skip
