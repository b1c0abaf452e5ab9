"""The in-process engine: every dataset is one pandas frame, predicted once in this process.

This is mlgate's data path without an engine key: ``ctx.batches`` slices the cached
predictions into batches of ``batch_rows`` (one batch by default).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

from mlgate.core.data import Dataset, feature_problems
from mlgate.core.engines.base import Batch, Engine, select_columns
from mlgate.core.errors import MlgateError, PredictionError

if TYPE_CHECKING:
    from mlgate.core.context import GateContext
    from mlgate.models import Predictions


class LocalEngine(Engine):
    """Reads and predicts in this process (``engine: local``, the default)."""

    name = "local"

    def batches(
        self,
        ctx: GateContext,
        model: str | None,
        dataset: str,
        columns: Sequence[str] | None,
        batch_rows: int | None,
    ) -> Iterator[Batch]:
        data = ctx.dataset(dataset)
        preds = ctx.predict(model, dataset) if model is not None else None
        frame = select_columns(data.frame, columns, dataset)
        size = ctx.batch_rows if batch_rows is None else batch_rows
        n = len(data)
        if size is not None and size < 1:
            raise ValueError(f"batch_rows must be a positive number of rows, got {size}")
        step = n if size is None else size
        y = data.y if data.spec.label is not None else None
        for start in range(0, max(n, 1), max(step, 1)):
            stop = min(n, start + step)
            yield Batch(
                start=start,
                stop=stop,
                frame=frame.iloc[start:stop],
                y=None if y is None else y[start:stop],
                predictions=None if preds is None else preds.rows(start, stop),
            )

    def dataset(self, ctx: GateContext, name: str) -> Dataset:
        return ctx._load_dataset(name)  # the in-memory loader: a file, a factory, a frame

    def predict(self, ctx: GateContext, model: str, dataset: str) -> Predictions:
        data = ctx.dataset(dataset)
        adapter = ctx.model(model)
        X = data.X
        try:
            preds = adapter.predict(X)
        except PredictionError as exc:
            if isinstance(exc.__cause__, Exception) and not isinstance(exc.__cause__, MlgateError):
                raise PredictionError(
                    f"model {model!r} on dataset {dataset!r}: {exc}"
                    + "".join(f"\n  - {p}" for p in feature_problems(X))
                ) from exc.__cause__
            raise
        spec = ctx.gate.config.models.get(model)
        return preds.validate(
            len(data),
            source=f"model {model!r} on dataset {dataset!r}",
            known_labels=data.y if data.spec.label is not None else None,
            classes=spec.classes if spec is not None else None,
        )
