"""Budgets with their units, so a budget in the wrong unit is refused instead of misread.

Durations are strings with a unit (``"20 ms"``, ``"0.02 s"``, ``"500 us"``); sizes are strings
with a byte unit (``"5 MB"``, ``"512 KiB"``). A bare number is refused: ``p99: 20`` could mean
20 ms or 20 s, and a latency gate that silently reads the wrong one passes everything.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import BeforeValidator, PlainSerializer

#: Seconds per unit of a duration.
TIME_UNITS: dict[str, float] = {
    "ns": 1e-9,
    "us": 1e-6,
    "µs": 1e-6,
    "ms": 1e-3,
    "s": 1.0,
    "min": 60.0,
}
#: Bytes per unit of a size (SI units are powers of 1000, IEC units of 1024).
BYTE_UNITS: dict[str, int] = {
    "B": 1,
    "kB": 10**3,
    "KB": 10**3,
    "MB": 10**6,
    "GB": 10**9,
    "TB": 10**12,
    "KiB": 2**10,
    "MiB": 2**20,
    "GiB": 2**30,
    "TiB": 2**40,
}

_QUANTITY = re.compile(r"^\s*([0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*([A-Za-zµ]+)\s*$")


def _split(value: Any, units: dict[str, Any], what: str, example: str) -> tuple[float, str]:
    if isinstance(value, bool) or not isinstance(value, str):
        raise ValueError(
            f"a {what} needs its unit, e.g. {example!r} (units: {', '.join(units)}); "
            f"a bare number is ambiguous"
        )
    m = _QUANTITY.match(value)
    if m is None or m.group(2) not in units:
        raise ValueError(
            f"{value!r} is not a {what}: write a positive number and one of the units "
            f"{', '.join(units)}, e.g. {example!r}"
        )
    number = float(m.group(1))
    if number <= 0:
        raise ValueError(f"a {what} must be above 0, got {value!r}; give a positive budget")
    return number, m.group(2)


def parse_duration(value: Any) -> float:
    """Seconds in a duration string such as ``"20 ms"``. Raises ValueError (naming the units)
    for a bare number, an unknown unit, or a value that is not above 0.

    >>> parse_duration("20 ms"), parse_duration("1e-9 s")
    (0.02, 1e-09)
    """
    number, unit = _split(value, TIME_UNITS, "duration", "20 ms")
    return number * TIME_UNITS[unit]


def parse_size(value: Any) -> float:
    """Bytes in a size string such as ``"5 MB"`` or ``"512 KiB"``, as a float (whole bytes;
    not a count: a 5 GB budget is above the kernel's largest count). Raises ValueError for a
    bare number, an unknown unit, or a size below one byte."""
    number, unit = _split(value, BYTE_UNITS, "size", "5 MB")
    size = float(int(number * BYTE_UNITS[unit]))
    if size < 1:
        raise ValueError(f"a size must be at least 1 B, got {value!r}")
    return size


def format_duration(seconds: float | None) -> str:
    """``0.0123`` → ``"12.3 ms"``: the unit that keeps 1-3 digits before the point."""
    if seconds is None:
        return "n/a"
    if seconds == float("inf"):
        return "inf"
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("us", 1e-6)):
        if abs(seconds) >= scale:
            return f"{seconds / scale:.4g} {unit}"
    return f"{seconds / 1e-9:.4g} ns"


def format_size(size: float | None) -> str:
    """``1536`` → ``"1.536 kB"`` (SI units, as budgets are usually written)."""
    if size is None:
        return "n/a"
    for unit, scale in (("GB", 10**9), ("MB", 10**6), ("kB", 10**3)):
        if abs(size) >= scale:
            return f"{size / scale:.4g} {unit}"
    return f"{int(size)} B"


#: A duration in seconds, written in the gate file with its unit.
Duration = Annotated[float, BeforeValidator(parse_duration), PlainSerializer(format_duration)]
#: A size in bytes, written in the gate file with its unit.
Size = Annotated[float, BeforeValidator(parse_size), PlainSerializer(format_size)]
