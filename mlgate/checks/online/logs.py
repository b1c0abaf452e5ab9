"""Reading experiment and shadow logs: columns by role, numbers, ids, and row chunks that do
not depend on how the context batches the log.

Every problem is reported with the dataset, the column, the parameter that names it, a count
and the first offending ids, and says how to fix it; nothing is dropped silently.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from mlgate.core.context import Batch
from mlgate.core.errors import DataError

#: Rows per chunk. Chunks are aligned on row numbers of the log (rows 0..4095, 4096..8191,
#: ...) whatever the batches are, so floating-point sums, and so results, are identical for a
#: run in one batch and a run in many.
CHUNK_ROWS = 4096
#: Offending ids quoted in a message.
FIRST = 5


def shown(values: Iterable[Any], limit: int = FIRST) -> str:
    """The first ``limit`` values as a short list for a message."""
    out = []
    for v in values:
        if len(out) == limit:
            out.append("...")
            break
        text = repr(v.item() if isinstance(v, np.generic) else v)
        out.append(text if len(text) <= 40 else text[:37] + "...")
    return "[" + ", ".join(out) + "]"


def require_columns(columns: Sequence[Any], roles: Mapping[str, str | None], dataset: str) -> None:
    """DataError unless each column in ``roles`` (parameter → column) is in ``columns``; the
    message names the parameter, the column and the columns the log has."""
    have = {str(c) for c in columns}
    missing = [(key, col) for key, col in roles.items() if col is not None and col not in have]
    if missing:
        named = ", ".join(f"{col!r} (parameter {key!r})" for key, col in missing)
        raise DataError(
            f"dataset {dataset!r} has no column {named}; its columns: {shown(columns, 20)}. "
            "Add the column to the log, or set the parameter to the column that holds it."
        )


def as_numbers(values: pd.Series, ids: pd.Series, *, column: str, dataset: str) -> np.ndarray:
    """``values`` as floats, NaN where missing. Booleans count as 0/1. Raises DataError naming
    the column, the count and the first values and ids that are not numbers (text, infinity).
    """
    if pd.api.types.is_bool_dtype(values):
        return values.to_numpy(dtype=float)
    if values.dtype == object and values.map(lambda v: isinstance(v, (bool, np.bool_))).all():
        return values.astype(float).to_numpy()
    if pd.api.types.is_numeric_dtype(values):
        out = values.to_numpy(dtype=float, na_value=np.nan)
    else:
        out = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    bad = (np.isnan(out) & values.notna().to_numpy()) | np.isinf(out)
    if bad.any():
        raise DataError(
            f"dataset {dataset!r}: column {column!r} must hold finite numbers; "
            f"{int(bad.sum())} value(s) in this part of the log are not, first "
            f"{shown(values[bad])} (ids {shown(ids[bad])}). Log outcomes as numbers "
            "(a conversion as 0/1 or true/false), and leave a missing outcome empty."
        )
    return out


def aligned_chunks(batches: Iterable[Batch], size: int = CHUNK_ROWS) -> Iterator[pd.DataFrame]:
    """The rows of ``batches`` re-cut into chunks aligned on multiples of ``size`` row numbers
    (the last may be shorter). At most one chunk of rows is held back at a time."""
    held: list[pd.DataFrame] = []
    for batch in batches:
        frame, row, pos = batch.frame, batch.start, 0
        while pos < len(frame):
            end = (row // size + 1) * size
            take = min(len(frame) - pos, end - row)
            held.append(frame.iloc[pos : pos + take])
            pos, row = pos + take, row + take
            if row == end:
                yield held[0] if len(held) == 1 else pd.concat(held)
                held = []
    if held:
        yield held[0] if len(held) == 1 else pd.concat(held)


class IdLedger:
    """One 64-bit hash and one arm code per logged unit, to find units logged more than once or
    in more than one arm without holding the ids (8 bytes and 1 byte per unit)."""

    def __init__(self) -> None:
        self._hashes: list[np.ndarray] = []
        self._arms: list[np.ndarray] = []

    def add(self, ids: pd.Series, arms: np.ndarray) -> None:
        self._hashes.append(pd.util.hash_array(ids.astype(str).to_numpy(), categorize=False))
        self._arms.append(np.asarray(arms, dtype=np.int8))

    def repeated(self) -> tuple[int, int, np.ndarray, np.ndarray]:
        """``(units logged twice or more, units logged in both arms, hashes of the first,
        hashes of the second)``."""
        if not self._hashes:
            empty = np.zeros(0, dtype=np.uint64)
            return 0, 0, empty, empty
        h = np.concatenate(self._hashes)
        a = np.concatenate(self._arms)
        order = np.lexsort((a, h))
        h, a = h[order], a[order]
        uniq, start, counts = np.unique(h, return_index=True, return_counts=True)
        dup = counts > 1
        # A unit is in both arms when its arm codes (sorted within the unit) differ.
        first_arm = a[start]
        last_arm = a[start + counts - 1]
        both = dup & (first_arm != last_arm)
        return int(dup.sum()), int(both.sum()), uniq[dup], uniq[both]


def first_ids(chunks: Iterable[pd.DataFrame], column: str, hashes: np.ndarray) -> list[Any]:
    """The first :data:`FIRST` distinct ids of ``column`` (in log order) whose hash is in
    ``hashes``: a second, cheap pass to quote what :class:`IdLedger` found."""
    out: list[Any] = []
    if not len(hashes):
        return out
    for frame in chunks:
        ids = frame[column]
        hit = np.isin(pd.util.hash_array(ids.astype(str).to_numpy(), categorize=False), hashes)
        for v in ids[hit]:
            v = v.item() if isinstance(v, np.generic) else v
            if v not in out:
                out.append(v)
                if len(out) > FIRST:
                    return out
    return out
