"""Small, JSON-able evidence: rows and predictions shown as worst examples.

Evidence is stored in result.json, so rows are cut to a few columns, floats rounded to six
significant digits (:func:`~mlgate.core.result.rounded`) and strings to 200 characters.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from mlgate.core.result import rounded
from mlgate.models.base import Predictions

MAX_COLUMNS = 20
MAX_CHARS = 200


def jsonable_value(value: Any, *, digits: int | None = 6) -> Any:
    """``value`` as a plain JSON value: NumPy scalars unwrapped, lists and mappings converted
    item by item, NaN/inf and missing values as None, floats rounded to ``digits`` significant
    digits (None: kept exact), long strings cut, anything else as its ``str``."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, (list, tuple)):
        return [jsonable_value(v, digits=digits) for v in value]
    if isinstance(value, dict):
        return {str(k): jsonable_value(v, digits=digits) for k, v in value.items()}
    if value is None or isinstance(value, (bool, int)):
        return value
    if isinstance(value, float):
        if digits:
            return rounded(value, digits, significant=True)
        return value if math.isfinite(value) else None
    if isinstance(value, str):
        return value if len(value) <= MAX_CHARS else value[: MAX_CHARS - 1] + "…"
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    return str(value)


def jsonable_row(row: pd.Series, columns: Sequence[str] | None = None) -> dict[str, Any]:
    """The row (or its ``columns``) as ``{column: value}``, at most 20 columns; when cut,
    the key ``"…"`` counts the columns left out."""
    cols = list(row.index if columns is None else columns)
    out = {str(c): jsonable_value(row[c]) for c in cols[:MAX_COLUMNS]}
    if len(cols) > MAX_COLUMNS:
        out["…"] = f"{len(cols) - MAX_COLUMNS} more columns"
    return out


def prediction_at(preds: Predictions, i: int, *, score_index: int | None = None) -> dict[str, Any]:
    """Row ``i``'s prediction: ``{"label", "score"}`` (the score of class ``score_index``,
    default the last class) or ``{"value"}`` for regression."""
    if preds.values is not None:
        return {"value": jsonable_value(preds.values[i])}
    out = {"label": jsonable_value(preds.labels[i])}
    if preds.scores is not None:
        j = preds.scores.shape[1] - 1 if score_index is None else score_index
        out["score"] = jsonable_value(preds.scores[i, j])
    return out


def finish_message(head: str, examples: list[dict], minimal: list[dict], note: str | None) -> str:
    """The check's message: the verdict line, then the worst example and the minimal
    counterexample ready to paste (pytest shows this on failure)."""
    lines = [head]
    if examples:
        ex = examples[0]
        lines.append(
            f"worst: row {ex['row']!r} {ex['original']} → changed {ex['changed']}: prediction "
            f"{ex['prediction']['original']} → {ex['prediction']['changed']}"
        )
    if minimal:
        cx = minimal[0]
        lines.append(
            f"minimal counterexample (row {cx['row']!r}, {cx['transform']} on {cx['columns']} "
            f"with {cx['params']}, seed {cx['seed']}): changed {cx['changed']}, prediction "
            f"{cx['prediction']['original']!r} → {cx['prediction']['changed']!r}"
        )
        if cx.get("paste"):
            lines.append(f"paste into a minimum_functionality cases file:\n  {cx['paste']}")
    if note:
        lines.append(f"(counterexamples not shrunk: {note})")
    return "\n".join(lines)
