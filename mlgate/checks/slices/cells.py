"""Slice declarations as *cells* of a batch, for the ``slices`` check folded over batches
(``interval: poisson``).

Every declaration of :mod:`mlgate.checks.slices.spec` partitions the rows: one cell per slice
it makes (a value of a column, a combination of values, a bin, or the single slice of a
``value`` / ``range`` / ``expr``), and one :class:`Outside` cell for the rows in none of its
slices (missing values, rows outside every bin, the complement of a single slice). So the
rest of a slice is the union of its declaration's other cells, and the union of any
declaration's cells is every row: the fold keeps one state per cell and nothing else.

Cells are found batch by batch, before any state is merged: a column's values are the keys a
batch holds (merged by union), bins and ranges are the declaration's own edges, and an
expression is evaluated on each batch's rows (so it must be row-wise; docs/checks/slices.md).
The slices, their names and their order are then :func:`~mlgate.checks.slices.spec.materialize`'s.
"""

from __future__ import annotations

import itertools
from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from mlgate.checks.slices.spec import MAX_VALUES, SliceSpec, _fmt, _range_mask, _range_name
from mlgate.core.errors import DataError


@dataclass(frozen=True)
class Outside:
    """The cell of the rows in none of a declaration's slices."""

    def __repr__(self) -> str:
        return "Outside()"


OUTSIDE = Outside()
#: The cell key of the one slice a ``value`` / ``range`` / ``expr`` declaration makes.
INSIDE = True


def _py(value: Any) -> Any:
    """A NumPy scalar as the Python scalar it equals (keys pickle and sort the same)."""
    return value.item() if isinstance(value, np.generic) else value


def _split(codes: np.ndarray, keys: list[Any]) -> list[tuple[Hashable, np.ndarray]]:
    """(key, mask) per code, and the Outside cell for code -1 (a missing value)."""
    out: list[tuple[Hashable, np.ndarray]] = [(k, codes == j) for j, k in enumerate(keys)]
    outside = codes < 0
    if outside.any():
        out.append((OUTSIDE, outside))
    return out


def _too_many(what: str, n: int) -> DataError:
    return DataError(
        f"{what} has {n} distinct values (more than {MAX_VALUES}); declare 'bins' or 'range' "
        "slices for a numeric column"
    )


def cells(spec: SliceSpec, frame: pd.DataFrame) -> list[tuple[Hashable, np.ndarray]]:
    """The cells of ``spec`` over one batch's ``frame``: (key, mask) pairs whose masks cover
    every row once. Raises DataError for an unknown column, a non-boolean expression, or a
    batch with more than ``MAX_VALUES`` values of a column."""
    missing = [c for c in spec.columns if c not in frame.columns]
    if missing:
        raise DataError(
            f"slice {spec.model_dump(exclude_none=True)} names column(s) {missing} that the "
            f"dataset does not have; available: {list(map(str, frame.columns))}"
        )
    if spec.expr is not None:
        return _binary(_expr_mask(spec.expr, frame))
    if spec.intersect is not None:
        known = frame[spec.intersect].notna().all(axis=1).to_numpy()
        codes = np.full(len(frame), -1, dtype=np.int64)
        keys: list[Any] = []
        if known.any():
            index = pd.MultiIndex.from_frame(frame.loc[known, spec.intersect])
            inner, uniques = index.factorize()
            codes[known] = inner
            keys = [tuple(_py(v) for v in combo) for combo in uniques.tolist()]
        if len(keys) > MAX_VALUES:
            raise _too_many(f"intersection of {spec.intersect}", len(keys))
        return _split(codes, keys)
    col = frame[spec.column]
    if spec.range is not None:
        return _binary(_range_mask(col, *spec.range))
    if spec.bins is not None:
        codes = np.full(len(frame), -1, dtype=np.int64)
        for i, (a, b) in enumerate(itertools.pairwise(spec.bins)):
            codes[_range_mask(col, a, b)] = i
        return _split(codes, list(range(len(spec.bins) - 1)))
    if spec.value is not None:
        values = spec.value if isinstance(spec.value, list) else [spec.value]
        return _binary(col.isin(values).to_numpy())
    codes, uniques = pd.factorize(col, use_na_sentinel=True)
    keys = [_py(v) for v in uniques.tolist()]
    if len(keys) > MAX_VALUES:
        raise _too_many(f"slice column {spec.column!r}", len(keys))
    return _split(np.asarray(codes), keys)


def _binary(mask: np.ndarray) -> list[tuple[Hashable, np.ndarray]]:
    return [(INSIDE, mask), (OUTSIDE, ~mask)]


def _expr_mask(expr: str, frame: pd.DataFrame) -> np.ndarray:
    try:
        result = frame.eval(expr, engine="python")
    except Exception as exc:
        raise DataError(f"slice expression {expr!r} failed: {exc}") from exc
    mask = np.asarray(result)
    if mask.shape != (len(frame),) or mask.dtype != bool:
        raise DataError(
            f"slice expression {expr!r} must give one boolean per row, got {mask.dtype} of "
            f"shape {mask.shape}"
        )
    return mask


def _sorted(keys: Iterable[Any]) -> list[Any]:
    keys = list(keys)
    try:
        return sorted(keys)
    except TypeError:
        return sorted(keys, key=repr)


def slices_of(spec: SliceSpec, seen: Iterable[Hashable]) -> list[tuple[str, Hashable]]:
    """(name, cell key) of each slice ``spec`` makes, given the cell keys the fold ``seen``:
    the names and order of :func:`~mlgate.checks.slices.spec.materialize` on the same rows.
    Raises DataError for a column (or intersection) with more than ``MAX_VALUES`` values."""
    if spec.expr is not None:
        return [(spec.name or spec.expr, INSIDE)]
    if spec.range is not None:
        return [(spec.name or _range_name(spec.column, *spec.range), INSIDE)]
    if spec.bins is not None:
        pairs = itertools.pairwise(spec.bins)
        return [(_range_name(spec.column, a, b), i) for i, (a, b) in enumerate(pairs)]
    if spec.value is not None:
        values = spec.value if isinstance(spec.value, list) else [spec.value]
        return [(spec.name or f"{spec.column}={'|'.join(_fmt(v) for v in values)}", INSIDE)]
    keys = _sorted(k for k in seen if k != OUTSIDE)
    if spec.intersect is not None:
        if len(keys) > MAX_VALUES:
            raise DataError(
                f"intersection of {spec.intersect} has {len(keys)} groups (> {MAX_VALUES})"
            )
        cols = spec.intersect
        return [
            (" & ".join(f"{c}={_fmt(v)}" for c, v in zip(cols, combo, strict=True)), combo)
            for combo in keys
        ]
    if len(keys) > MAX_VALUES:
        raise _too_many(f"slice column {spec.column!r}", len(keys))
    return [(f"{spec.column}={_fmt(v)}", v) for v in keys]
