"""dtype kinds: what an expectation means by ``int``, ``float``, ``string``, ...

A kind is read from the pandas dtype, never from a guess over values, except for an
``object`` column, whose kind is ``string`` when every present value is a string (what a
CSV of text gives under pandas < 3) and ``object`` otherwise.
"""

from __future__ import annotations

import pandas as pd
from pandas.api import types as pdt


def dtype_kind(column: pd.Series) -> str:
    """The kind of ``column``: ``bool``, ``int``, ``float``, ``string``, ``datetime``,
    ``timedelta``, ``category`` or ``object`` (anything else)."""
    dtype = column.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        return "category"
    if pdt.is_bool_dtype(dtype):
        return "bool"
    if pdt.is_integer_dtype(dtype):
        return "int"
    if pdt.is_float_dtype(dtype):
        return "float"
    if pdt.is_datetime64_any_dtype(dtype):
        return "datetime"
    if pdt.is_timedelta64_dtype(dtype):
        return "timedelta"
    if isinstance(dtype, pd.StringDtype) or str(dtype) == "str":
        return "string"
    if pdt.is_object_dtype(dtype):
        inferred = pd.api.types.infer_dtype(column, skipna=True)
        return "string" if inferred in ("string", "empty") else "object"
    return "object"


_ACCEPTS: dict[str, frozenset[str]] = {
    "int": frozenset({"int"}),
    "float": frozenset({"float", "int"}),
    "number": frozenset({"float", "int"}),
    "bool": frozenset({"bool"}),
    "string": frozenset({"string"}),
    "datetime": frozenset({"datetime"}),
    "timedelta": frozenset({"timedelta"}),
    "category": frozenset({"category"}),
}


def kind_matches(expected: str, actual: str) -> bool:
    """Whether a column of kind ``actual`` satisfies the expected kind (``any`` always;
    ``float`` and ``number`` accept integers)."""
    return expected == "any" or actual in _ACCEPTS.get(expected, frozenset())


def is_numeric_kind(kind: str) -> bool:
    return kind in ("int", "float", "bool")
