"""The prediction cache: each (model, dataset) pair is predicted once per run and shared by
every check that needs it."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mlgate.models.base import Predictions


class PredictionCache:
    """Memoises ``predict(model_name, dataset_name)``.

    ``calls`` counts how often the underlying prediction ran per pair (tests use it to prove
    a model is called once). A failed prediction is remembered and re-raised, so a broken
    model is not retried by every check.
    """

    def __init__(self, predict: Callable[[str, str], Predictions]) -> None:
        self._predict = predict
        self._store: dict[tuple[str, str], Predictions | BaseException] = {}
        self.calls: Counter[tuple[str, str]] = Counter()

    def get(self, model: str, dataset: str) -> Predictions:
        key = (model, dataset)
        if key not in self._store:
            self.calls[key] += 1
            try:
                self._store[key] = self._predict(model, dataset)
            except Exception as exc:
                self._store[key] = exc
        value = self._store[key]
        if isinstance(value, BaseException):
            raise value.with_traceback(None)  # a fresh traceback per check, not a growing one
        return value

    def __contains__(self, key: tuple[str, str]) -> bool:
        return key in self._store
