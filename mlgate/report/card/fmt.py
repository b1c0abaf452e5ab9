"""Text for people from JSON values: numbers, intervals, thresholds, table cells.

Pure functions of their input, so the same result always gives the same card bytes.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

from mlgate.report.text import one_line, value_text

NONE = "—"
MAX_CELL = 120


def num(x: Any) -> str:
    """A number with 4 significant digits; ``—`` for missing or non-finite."""
    if x is None:
        return NONE
    if isinstance(x, bool):
        return "true" if x else "false"
    if isinstance(x, int):
        return str(x)
    if isinstance(x, float):
        return f"{x:.4g}" if math.isfinite(x) else NONE
    return str(x)


def is_number(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def finite(x: Any) -> float | None:
    """``x`` as a float when it is a finite number, else None."""
    if is_number(x) and math.isfinite(float(x)):
        return float(x)
    return None


def is_interval(x: Any) -> bool:
    return isinstance(x, Mapping) and "low" in x and "high" in x


def interval(iv: Any, *, with_method: bool = False) -> str:
    """``[0.956, 0.9912]``, with ``95%`` and the method when asked; empty when absent."""
    if not is_interval(iv):
        return ""
    text = f"[{num(iv.get('low'))}, {num(iv.get('high'))}]"
    extra = []
    level = finite(iv.get("level"))
    if with_method and level is not None:
        extra.append(f"{level:.0%}")
    if with_method and iv.get("method"):
        extra.append(str(iv["method"]))
    return f"{text} ({', '.join(extra)})" if extra else text


def threshold(t: Any) -> str:
    """``>= 0.9``; empty when there is none."""
    if not isinstance(t, Mapping) or "op" not in t:
        return ""
    return f"{t.get('op')} {num(t.get('value'))}"


def truncate(text: str, limit: int = MAX_CELL) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def compact(x: Any, limit: int = MAX_CELL) -> str:
    """Compact, key-ordered JSON of any value, cut to ``limit`` characters."""
    try:
        text = json.dumps(x, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    except (TypeError, ValueError):
        text = repr(x)
    return truncate(text, limit)


def cell(x: Any) -> str:
    """One table cell: a number, an interval, a short list, or ``key = value`` pairs for a
    mapping (a sentence, never a dict), cut to :data:`MAX_CELL` characters."""
    if x is None or isinstance(x, (bool, int, float)):
        return num(x)
    if isinstance(x, str):
        return truncate(" ".join(x.split()))
    if is_interval(x):
        return interval(x)
    if isinstance(x, (list, tuple)) and len(x) <= 12 and all(_scalar(v) for v in x):
        return truncate(", ".join(num(v) if not isinstance(v, str) else v for v in x))
    if isinstance(x, (Mapping, list, tuple)):
        return truncate(one_line(value_text(x)))
    return compact(x)


def _scalar(x: Any) -> bool:
    return x is None or isinstance(x, (str, bool, int, float))


def scalar(x: Any) -> bool:
    """True for JSON scalars (None, str, bool, numbers)."""
    return _scalar(x)


def humanize(key: str) -> str:
    """``per_slice`` → ``Per slice``: a table title from an evidence key."""
    text = str(key).replace("_", " ").strip()
    return text[:1].upper() + text[1:] if text else "Evidence"
