"""What an execution engine does for the gate context, and the record of the check it serves.

An engine owns the data path behind :meth:`GateContext.batches`: where rows are read, where
the model predicts them, how predictions are cached, and whether every row may be gathered in
one place. Checks never see which engine runs them (docs/architecture.md, "The data path").
"""

from __future__ import annotations

import contextvars
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np
import pandas as pd

from mlgate.core.errors import DataError

if TYPE_CHECKING:
    from mlgate.core.context import GateContext
    from mlgate.core.data import Dataset
    from mlgate.models import Predictions

S = TypeVar("S")


@dataclass(frozen=True)
class Batch:
    """One batch of rows of a dataset, as a check folds it into its accumulators.

    ``start``/``stop`` locate the rows in the dataset; ``frame`` holds the requested columns,
    ``y`` the labels (None without a label column) and ``predictions`` the model's output on
    these rows (None when no model was asked for).
    """

    start: int
    stop: int
    frame: pd.DataFrame
    y: np.ndarray | None
    predictions: Predictions | None

    def __len__(self) -> int:
        return self.stop - self.start


class CollectRefused(DataError):
    """A check needs every row of a dataset in one place and the dataset is larger than the
    engine may gather (``engine.max_collect_rows``)."""


class PartitionFailed(DataError):
    """A partition's task failed on a distributed engine: its worker died more often than the
    engine retries (Dask's ``KilledWorker``), or the task raised. The message names the
    dataset, the partition's file and the worker. The check reading it is an ``error`` (so a
    blocking check holds its stage): a verdict on the partitions that did finish would be a
    verdict on partial data."""


@dataclass(frozen=True)
class CheckScope:
    """The check an engine is reading data for: its name and whether it needs every row in
    one place (:attr:`mlgate.core.registry.CheckType.needs_all_rows`)."""

    name: str
    needs_all_rows: bool


_SCOPE: contextvars.ContextVar[CheckScope | None] = contextvars.ContextVar(
    "mlgate_check_scope", default=None
)


def current_check() -> CheckScope | None:
    """The check being run (None outside :func:`check_scope`)."""
    return _SCOPE.get()


@contextmanager
def check_scope(check_type: Any, params: Any = None) -> Iterator[CheckScope]:
    """Scope: data read inside is read for ``check_type`` (a CheckType, or anything with
    ``name`` and ``needs_all_rows``). ``needs_all_rows`` may be a bool or a function of the
    check's ``params`` (a check that needs every row only under some parameters)."""
    needs = getattr(check_type, "needs_all_rows", True)
    if callable(needs):
        needs = needs(params)
    scope = CheckScope(str(getattr(check_type, "name", check_type)), bool(needs))
    token = _SCOPE.set(scope)
    try:
        yield scope
    finally:
        _SCOPE.reset(token)


class Engine(ABC):
    """An execution engine. ``name`` is what the gate file's ``engine`` key says."""

    name: str = "?"

    @abstractmethod
    def batches(
        self,
        ctx: GateContext,
        model: str | None,
        dataset: str,
        columns: Sequence[str] | None,
        batch_rows: int | None,
    ) -> Iterator[Batch]:
        """The rows of ``dataset`` as batches, in row order (see :meth:`GateContext.batches`)."""

    def fold(
        self,
        ctx: GateContext,
        model: str | None,
        dataset: str,
        fn: Callable[[Batch], S],
        merge: Callable[[S, S], S],
        columns: Sequence[str] | None = (),
    ) -> S:
        """``fn`` of each batch, merged with ``merge`` (associative): by default in row order
        over :meth:`batches`; a distributed engine runs ``fn`` where the partitions live."""
        state: Any = None
        for batch in self.batches(ctx, model, dataset, columns, None):
            part = fn(batch)
            state = part if state is None else merge(state, part)
        return state

    @abstractmethod
    def dataset(self, ctx: GateContext, name: str) -> Dataset:
        """Every row of dataset ``name`` in one in-memory :class:`Dataset`."""

    @abstractmethod
    def predict(self, ctx: GateContext, model: str, dataset: str) -> Predictions:
        """``model``'s predictions on every row of ``dataset``, in one object (uncached: the
        context's prediction cache calls this once per pair)."""

    def admit(self, ctx: GateContext, dataset: str) -> None:  # noqa: B027 (allowed by default)
        """Raise :class:`CollectRefused` when every row of ``dataset`` may not be gathered into
        this process (in memory: always allowed)."""

    def open(self, ctx: GateContext, name: str) -> Any:
        """Make sure dataset ``name`` can be read (before any check runs) without gathering
        it: the in-memory engines load it; a distributed one reads its metadata."""
        return ctx.dataset(name)

    def fingerprint(self, ctx: GateContext, name: str) -> str:
        """:attr:`Dataset.fingerprint` of dataset ``name`` (a distributed engine hashes a
        partitioned dataset where it lives, never gathering it)."""
        return ctx.dataset(name).fingerprint

    def describe(self) -> dict[str, Any]:
        """What result.json records about the engine."""
        return {"name": self.name}

    def describe_datasets(self) -> dict[str, dict[str, Any]]:
        """Descriptions of the datasets this engine holds outside :meth:`dataset` (none)."""
        return {}

    def start(self) -> None:  # noqa: B027 (nothing to start by default)
        """Start or reach what the engine runs on (a cluster, a scheduler), so an unreachable
        one is a setup error before any check runs. Raises ConfigError naming it."""

    def close(self) -> None:  # noqa: B027 (nothing to release by default)
        """Release what the engine started (clusters, cached partitions)."""


def select_columns(frame: pd.DataFrame, columns: Sequence[str] | None, dataset: str):
    """``frame`` with only ``columns`` (None: all). Raises DataError for an unknown column."""
    if columns is None:
        return frame
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise DataError(
            f"dataset {dataset!r} has no column(s) {missing}; "
            f"its columns: {list(frame.columns)[:20]}"
        )
    return frame.loc[:, list(columns)]
