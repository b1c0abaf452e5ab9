"""Declared slices: which rows each slice holds.

A slice declaration (gate file or Python) is one of:

* ``"region"`` or ``{column: region}`` — one slice per distinct value of the column;
* ``{column: region, value: north}`` (or a list of values) — the rows with that value;
* ``{column: age, range: [18, 30]}`` — 18 ≤ age < 30 (``null`` for an open end);
* ``{column: age, bins: [0, 18, 65, 120]}`` — one slice per half-open bin;
* ``{expr: "age >= 65 and region == 'north'"}`` — a boolean pandas expression (the gate file
  is trusted code, like a model factory);
* ``{intersect: [sex, race]}`` — one slice per combination of the columns' values.

``name`` overrides the generated name (only for declarations that make one slice). Missing
values never fall in a value or range slice.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, model_validator

from mlgate.core.errors import DataError

MAX_VALUES = 100


class SliceSpec(BaseModel):
    """One slice declaration (see the module docstring)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str | None = None
    column: str | None = None
    value: Any = None
    range: tuple[float | None, float | None] | None = None
    bins: list[float] | None = Field(None, min_length=2)
    expr: str | None = None
    intersect: list[str] | None = Field(None, min_length=2)

    @model_validator(mode="after")
    def _one_kind(self) -> SliceSpec:
        kinds = [k for k in ("column", "expr", "intersect") if getattr(self, k) is not None]
        if len(kinds) != 1:
            raise ValueError("give exactly one of 'column', 'expr' or 'intersect'")
        given = [k for k in ("value", "range", "bins") if getattr(self, k) is not None]
        if given and self.column is None:
            raise ValueError(f"{given[0]!r} needs 'column'")
        if len(given) > 1:
            raise ValueError(f"give at most one of 'value', 'range', 'bins', not {given}")
        if self.bins is not None and any(b <= a for a, b in itertools.pairwise(self.bins)):
            raise ValueError(f"bins must increase, got {self.bins}")
        many = self.intersect is not None or self.bins is not None
        if self.column is not None and not given:
            many = True
        if self.name is not None and many:
            raise ValueError("'name' only applies to a declaration that makes one slice")
        return self

    @property
    def columns(self) -> list[str]:
        """The columns the declaration names (``expr`` names none that we check)."""
        if self.intersect is not None:
            return list(self.intersect)
        return [self.column] if self.column is not None else []


def as_spec(item: str | SliceSpec | dict[str, Any]) -> SliceSpec:
    """A SliceSpec from a column name, a mapping or a SliceSpec."""
    if isinstance(item, SliceSpec):
        return item
    if isinstance(item, str):
        return SliceSpec(column=item)
    return SliceSpec.model_validate(item)


@dataclass(frozen=True, eq=False)
class Slice:
    """A named set of rows (``mask``: one boolean per row)."""

    name: str
    mask: np.ndarray
    declaration: str

    @property
    def size(self) -> int:
        return int(self.mask.sum())


def _fmt(v: Any) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def _values(frame: pd.DataFrame, column: str) -> list[Any]:
    values = pd.unique(frame[column].dropna())
    if len(values) > MAX_VALUES:
        raise DataError(
            f"slice column {column!r} has {len(values)} distinct values (more than "
            f"{MAX_VALUES}); declare 'bins' or 'range' slices for a numeric column"
        )
    try:
        return sorted(values.tolist())
    except TypeError:
        return sorted(values.tolist(), key=repr)


def _range_mask(col: pd.Series, low: float | None, high: float | None) -> np.ndarray:
    x = pd.to_numeric(col, errors="coerce").to_numpy(dtype=float)
    mask = ~np.isnan(x)
    if low is not None:
        mask &= x >= low
    if high is not None:
        mask &= x < high
    return mask


def _range_name(column: str, low: float | None, high: float | None) -> str:
    lo = "-inf" if low is None else _fmt(low)
    hi = "inf" if high is None else _fmt(high)
    return f"{column} in [{lo}, {hi})"


def _check_columns(spec: SliceSpec, frame: pd.DataFrame) -> None:
    missing = [c for c in spec.columns if c not in frame.columns]
    if missing:
        raise DataError(
            f"slice {spec.model_dump(exclude_none=True)} names column(s) {missing} that the "
            f"dataset does not have; available: {list(map(str, frame.columns))}"
        )


def materialize(spec: SliceSpec, frame: pd.DataFrame) -> list[Slice]:
    """The slices ``spec`` declares over ``frame`` (which is not modified). Raises DataError
    for unknown columns, a non-boolean expression or a column with too many values."""
    _check_columns(spec, frame)
    text = str(spec.model_dump(exclude_none=True))
    if spec.expr is not None:
        try:
            result = frame.eval(spec.expr, engine="python")
        except Exception as exc:
            raise DataError(f"slice expression {spec.expr!r} failed: {exc}") from exc
        mask = np.asarray(result)
        if mask.shape != (len(frame),) or mask.dtype != bool:
            raise DataError(
                f"slice expression {spec.expr!r} must give one boolean per row, got "
                f"{mask.dtype} of shape {mask.shape}"
            )
        return [Slice(spec.name or spec.expr, mask.copy(), text)]
    if spec.intersect is not None:
        cols = spec.intersect
        keys = frame[cols].dropna()
        combos = keys.drop_duplicates().sort_values(cols)
        if len(combos) > MAX_VALUES:
            raise DataError(f"intersection of {cols} has {len(combos)} groups (> {MAX_VALUES})")
        out = []
        for combo in combos.itertuples(index=False):
            mask = np.ones(len(frame), dtype=bool)
            for c, v in zip(cols, combo, strict=True):
                mask &= (frame[c] == v).to_numpy()
            name = " & ".join(f"{c}={_fmt(v)}" for c, v in zip(cols, combo, strict=True))
            out.append(Slice(name, mask, text))
        return out
    col = frame[spec.column]
    if spec.range is not None:
        low, high = spec.range
        name = spec.name or _range_name(spec.column, low, high)
        return [Slice(name, _range_mask(col, low, high), text)]
    if spec.bins is not None:
        pairs = itertools.pairwise(spec.bins)
        return [
            Slice(_range_name(spec.column, a, b), _range_mask(col, a, b), text) for a, b in pairs
        ]
    if spec.value is not None:
        values = spec.value if isinstance(spec.value, list) else [spec.value]
        mask = col.isin(values).to_numpy()
        name = spec.name or f"{spec.column}={'|'.join(_fmt(v) for v in values)}"
        return [Slice(name, mask, text)]
    return [
        Slice(f"{spec.column}={_fmt(v)}", (col == v).to_numpy(), text)
        for v in _values(frame, spec.column)
    ]


def materialize_all(specs: list[SliceSpec], frame: pd.DataFrame) -> list[Slice]:
    """Every slice of ``specs`` in order. Raises DataError for duplicate slice names."""
    out: list[Slice] = []
    for spec in specs:
        out.extend(materialize(spec, frame))
    names = [s.name for s in out]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise DataError(f"slice names must be distinct; repeated: {dupes}. Give each a 'name'.")
    return out
