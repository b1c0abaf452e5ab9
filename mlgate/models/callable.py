"""Adapter for plain prediction functions, and the scores-to-labels step torch shares."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from mlgate.core.errors import PredictionError
from mlgate.core.task import Task
from mlgate.models.base import Predictions


class CallableAdapter:
    """Wraps ``fn(X) -> array``.

    ``fn`` returns 1-D labels (classification) or values (regression), or for
    classification a 2-D ``(n, k)`` array of class probabilities; then ``labels`` are
    ``classes[argmax]`` and ``classes`` default to ``range(k)``. Numpy arrays, pandas
    objects, lists and torch tensors are all accepted.
    """

    kind = "callable"

    def __init__(
        self, fn: Callable[[pd.DataFrame], Any], task: Task, classes: Sequence[Any] | None = None
    ) -> None:
        self.fn = fn
        self.task = Task(task)
        self.classes = None if classes is None else tuple(classes)

    @property
    def _name(self) -> str:
        fn = self.fn
        name = getattr(fn, "__qualname__", None) or type(fn).__qualname__
        module = getattr(fn, "__module__", None) or type(fn).__module__
        return f"{module}.{name}" if module else name

    def predict(self, X: pd.DataFrame) -> Predictions:
        """Call ``fn(X)`` and return its output as :class:`Predictions`.

        Raises:
            PredictionError: ``fn`` raised, or returned something that is not a 1-D or
                ``(n, k)`` numeric array.
        """
        try:
            raw = to_numpy(self.fn(X))
        except Exception as exc:
            raise PredictionError(
                f"{self._name} failed to predict {len(X)} rows: {type(exc).__name__}: {exc}"
            ) from exc
        source = self._name
        if self.task is Task.REGRESSION:
            if raw.ndim == 2 and raw.shape[1] == 1:
                raw = raw[:, 0]
            if raw.ndim != 1:
                raise PredictionError(
                    f"{source} returned shape {raw.shape}; a regression model must return "
                    "one value per row, shape (n,)."
                )
            return Predictions(task=self.task, values=floats(raw, source))
        if raw.ndim == 1:
            return Predictions(task=self.task, labels=raw, classes=self.classes)
        if raw.ndim != 2 or raw.shape[1] < 2:
            raise PredictionError(
                f"{source} returned shape {raw.shape}; a classifier must return 1-D labels "
                "(n,) or class probabilities (n, k) with one column per class (k >= 2)."
            )
        return predictions_from_scores(self.task, floats(raw, source), self.classes, source=source)

    def describe(self) -> dict[str, Any]:
        """Return ``{"kind": "callable", "name": <module.qualname>}``."""
        return {"kind": self.kind, "name": self._name}


def to_numpy(obj: Any) -> np.ndarray:
    """Return ``obj`` as a numpy array; torch tensors are detached and copied to the CPU."""
    if hasattr(obj, "detach") and hasattr(obj, "cpu"):  # a torch tensor, without importing torch
        obj = obj.detach().cpu().numpy()
    return np.asarray(obj)


def predictions_from_scores(
    task: Task, scores: np.ndarray, classes: Sequence[Any] | None, *, source: str
) -> Predictions:
    """Return classification :class:`Predictions` whose labels are ``classes[argmax(scores)]``.

    Raises:
        PredictionError: ``classes`` does not have one entry per score column, or a binary
            task has other than 2 columns.
    """
    k = scores.shape[1]
    classes = tuple(range(k)) if classes is None else tuple(classes)
    if len(classes) != k:
        raise PredictionError(
            f"{source} gave {k} score columns but the gate file lists {len(classes)} classes "
            f"{list(classes)}; give one class per column, in column order."
        )
    if task is Task.BINARY and k != 2:
        raise PredictionError(
            f"{source} gave {k} score columns but the gate's task is 'binary', which needs "
            "2; set 'task: multiclass' or fix the model."
        )
    labels = np.asarray(classes)[np.argmax(scores, axis=1)]
    return Predictions(task=task, labels=labels, scores=scores, classes=classes)


def floats(raw: np.ndarray, source: str) -> np.ndarray:
    """``raw`` as float, or PredictionError naming ``source`` and the dtype."""
    try:
        return raw.astype(float)
    except (TypeError, ValueError) as exc:
        raise PredictionError(
            f"{source} returned values of dtype {raw.dtype}, which cannot be read as numbers."
        ) from exc
