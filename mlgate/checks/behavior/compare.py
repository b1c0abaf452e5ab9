"""What counts as a violation for one (original, perturbed) pair of predictions.

A comparison takes the original predictions, the original row of each pair and the
perturbed predictions, and returns per pair whether the expectation broke and by how much
(used to rank the worst examples).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from mlgate.core.task import Task
from mlgate.models.base import Predictions

#: ``compare(original, rows, perturbed)`` → (violation, magnitude), one entry per pair.
Compare = Callable[[Predictions, np.ndarray, Predictions], tuple[np.ndarray, np.ndarray]]


def change_compare(task: Task, tolerance: float | None) -> Compare:
    """A pair violates when the prediction changed: the label flipped, or (with
    ``tolerance``) a class score or regression value moved by more than ``tolerance``.
    The magnitude is the largest absolute score (or value) change."""

    def compare(original: Predictions, rows: np.ndarray, perturbed: Predictions):
        if task is Task.REGRESSION:
            moved = np.abs(perturbed.values - original.values[rows])
            return moved > (tolerance or 0.0), moved
        flipped = np.asarray(perturbed.labels != original.labels[rows], dtype=bool)
        if perturbed.scores is None or original.scores is None:
            return flipped, flipped.astype(float)
        moved = np.abs(perturbed.scores - original.scores[rows]).max(axis=1)
        return (flipped | (moved > tolerance)) if tolerance is not None else flipped, moved

    return compare


def directional_compare(sign: float, tolerance: float, strict: bool, column: int | None) -> Compare:
    """A pair violates when ``sign · (after − before)`` of the followed score (class
    ``column``'s probability, or the regression value when None) is below ``-tolerance``
    (strict: at most ``tolerance``); the magnitude is how far it moved the wrong way."""

    def score(preds: Predictions) -> np.ndarray:
        return preds.values if column is None else preds.scores[:, column]

    def compare(original: Predictions, rows: np.ndarray, perturbed: Predictions):
        moved = sign * (score(perturbed) - score(original)[rows])
        bad = moved <= tolerance if strict else moved < -tolerance
        return bad, -moved

    return compare


def take(preds: Predictions, rows: np.ndarray) -> Predictions:
    """The predictions of ``rows`` only."""

    def pick(arr: np.ndarray | None) -> np.ndarray | None:
        return None if arr is None else arr[rows]

    return Predictions(
        task=preds.task,
        labels=pick(preds.labels),
        scores=pick(preds.scores),
        values=pick(preds.values),
        classes=preds.classes,
    )
