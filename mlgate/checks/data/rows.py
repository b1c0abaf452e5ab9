"""What a data check knows about one batch of rows: per-column caches, the stable id of a row,
and the bounded, mergeable list of offending rows an expectation keeps as evidence.

A row's id is its **position in the dataset** (0-based, what ``Batch.start`` counts), unless
the frame carries its own index (anything but a ``RangeIndex``: customer ids, the labels left
by a filter), whose labels are then the ids. A ``RangeIndex`` is only ever a position, and a
batch or a Parquet partition restarts it, so using it as an id would depend on the batching.
With the default index the two rules agree.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from mlgate.checks.data.dtypes import dtype_kind, is_numeric_kind


@dataclass(frozen=True)
class Offenders:
    """Rows judged, rows that did not conform, and the first ``sample`` of those by position
    (``(position, row)`` pairs). :meth:`merge` is associative and does not depend on how the
    rows were split, so any batching gives the same evidence."""

    judged: int = 0
    bad: int = 0
    rows: tuple[tuple[int, Mapping[str, Any]], ...] = ()

    def merge(self, other: Offenders, sample: int) -> Offenders:
        rows = tuple(sorted(self.rows + other.rows, key=lambda r: r[0])[:sample])
        return Offenders(self.judged + other.judged, self.bad + other.bad, rows)

    @property
    def examples(self) -> tuple[Mapping[str, Any], ...]:
        return tuple(row for _, row in self.rows)


class BatchData:
    """A batch (or a whole frame) starting at row ``start``, with per-column caches (presence
    masks, float views, dtype kinds) shared by the expectations that read it."""

    def __init__(self, frame: pd.DataFrame, start: int, sample: int) -> None:
        self.frame = frame
        self.start = start
        self.n = len(frame)
        self.sample = sample
        self._present: dict[str, np.ndarray] = {}
        self._float: dict[str, np.ndarray | None] = {}
        self._kind: dict[str, str] = {}

    def kind(self, col: str) -> str:
        if col not in self._kind:
            self._kind[col] = dtype_kind(self.frame[col])
        return self._kind[col]

    def present(self, col: str) -> np.ndarray:
        if col not in self._present:
            self._present[col] = self.frame[col].notna().to_numpy(dtype=bool)
        return self._present[col]

    def floats(self, col: str) -> np.ndarray | None:
        """The column as float64 with NaN for nulls, or None when it is not numeric."""
        if col not in self._float:
            s = self.frame[col]
            if is_numeric_kind(self.kind(col)):
                self._float[col] = s.to_numpy(dtype="float64", na_value=np.nan)
            else:
                self._float[col] = None
        return self._float[col]

    def offenders(self, judged: int, bad: np.ndarray, cols: Iterable[str]) -> Offenders:
        """The :class:`Offenders` of this batch: ``bad`` is a boolean mask or positions."""
        pos = np.flatnonzero(bad) if bad.dtype == bool else bad
        return Offenders(judged, len(pos), self.rows(pos[: self.sample], cols))

    def rows(self, pos: np.ndarray, cols: Iterable[str]) -> tuple[tuple[int, dict], ...]:
        """``(position, {"row": id, column: value, ...})`` for the rows at batch positions
        ``pos``."""
        if len(pos) == 0:
            return ()
        cols = [c for c in dict.fromkeys(cols) if c in self.frame.columns]
        positions = (self.start + np.asarray(pos)).tolist()
        index = self.frame.index
        ids = positions if isinstance(index, pd.RangeIndex) else index[pos].tolist()
        values = {c: self.frame[c].iloc[pos].tolist() for c in cols}  # only these columns
        return tuple(
            (p, {"row": plain(ids[i]), **{c: plain(values[c][i]) for c in cols}})
            for i, p in enumerate(positions)
        )


def plain(v: Any) -> Any:
    """A JSON-friendly value: None for missing, text for timestamps, Python scalars."""
    if isinstance(v, float) and math.isnan(v):
        return None
    if v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, (pd.Timestamp, pd.Timedelta)):
        return str(v)
    return v.item() if isinstance(v, np.generic) else v


def merged_kind(a: str, b: str) -> str:
    """The kind of a column whose batches have kinds ``a`` and ``b``. Only an ``object``
    column's kind depends on its values (``string`` when every present value is text), so
    batches can differ only there, and text in one batch and not in another is ``object``."""
    return a if a == b else "object"
