"""deepchecks results → plain, bounded JSON evidence.

A check's ``value`` may hold DataFrames, Series, NumPy arrays and nested dicts of them; they
become records, mappings and lists, cut to ``max_items`` entries so one check cannot bloat
result.json. Condition results map to mlgate statuses: PASS → passed, WARN → warned,
FAIL → failed, ERROR → error.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from mlgate.api import Status

MAX_ITEMS = 50
MAX_DEPTH = 6

CATEGORY_STATUS = {
    "PASS": Status.PASSED,
    "WARN": Status.WARNED,
    "FAIL": Status.FAILED,
    "ERROR": Status.ERROR,
}


def plain(value: Any, *, max_items: int = MAX_ITEMS, _depth: int = 0) -> Any:
    """``value`` as JSON types (lists cut to ``max_items``; deeper than MAX_DEPTH → text)."""
    if _depth > MAX_DEPTH:
        return str(value)[:200]
    kw = {"max_items": max_items, "_depth": _depth + 1}
    if isinstance(value, pd.DataFrame):
        records = value.head(max_items).reset_index().to_dict(orient="records")
        return [plain(r, **kw) for r in records]
    if isinstance(value, pd.Series):
        return {str(k): plain(v, **kw) for k, v in list(value.items())[:max_items]}
    if isinstance(value, np.ndarray):
        return [plain(v, **kw) for v in value.tolist()[:max_items]]
    if isinstance(value, dict):
        return {str(k): plain(v, **kw) for k, v in list(value.items())[:max_items]}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [plain(v, **kw) for v in list(value)[:max_items]]
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value) if math.isfinite(value) else None
    if value is None or isinstance(value, str):
        return value
    if value is pd.NA or value is pd.NaT:
        return None
    return str(value)[:200]


def condition_status(category: Any) -> Status:
    """The mlgate status of a deepchecks ``ConditionCategory``."""
    name = getattr(category, "name", str(category)).upper()
    return CATEGORY_STATUS.get(name, Status.ERROR)
