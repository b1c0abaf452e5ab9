"""Time windows over a dataset: the windows a time-ordered check (drift over time, backtests)
cuts its rows into.

Windows are cut on the time-sorted rows, either by duration or by row count (``rows: 5000``).
A duration is a fixed length (``every: 30D``, ``2W``, ``12h``; a number for a numeric time
column) or a calendar period given by a pandas offset alias (``MS`` months, ``3MS`` three
months, ``QS`` quarters, ``W-MON`` weeks from Monday, ``YS`` years); :func:`parse_duration`
reads both and refuses, with what to write instead, a string pandas would read differently
than a user (``3M``, ``1m``, ``1Q``, ``1Y``). Windows are

* ``sliding``: each window has the set length and starts ``step`` after the previous one
  (``step`` defaults to the length: back-to-back windows);
* ``accumulating``: every window starts at the first row and grows by ``step``.

Fixed-length windows start at the first time (or the ``start`` given, e.g. a training cutoff);
calendar windows start on the calendar boundary at or before the first row (after ``start``),
so each is a whole month, quarter, week or year of the calendar. Both are half-open,
``[start, end)``; the last one may be short (a check then calls it inconclusive). Row windows
are anchored at the most recent row, so the latest window always has ``rows`` rows.

A check's parameters inherit :class:`WindowSpec`; :func:`time_values` reads the dataset's time
column and :func:`cut_windows` returns the :class:`Window` list::

    times = time_values(data.frame, data.spec.time, "evaluation")
    for w in cut_windows(times, params, start=cutoff):
        rows = data.frame.iloc[w.positions]
"""

from __future__ import annotations

import math
import re
import warnings
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
from pandas.tseries.frequencies import to_offset
from pandas.tseries.offsets import BaseOffset
from pydantic import (
    BaseModel,
    ConfigDict,
    PositiveInt,
    ValidationInfo,
    field_validator,
    model_validator,
)

from mlgate.core.errors import ConfigError, DataError


class WindowSpec(BaseModel):
    """How windows are cut: exactly one of ``every`` (a duration) or ``rows``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    every: str | float | None = None
    rows: PositiveInt | None = None
    step: str | float | None = None
    mode: Literal["sliding", "accumulating"] = "sliding"

    @field_validator("every", "step")
    @classmethod
    def _a_length(cls, value: str | float | None, info: ValidationInfo) -> str | float | None:
        # Read now, so a duration pandas would misread is a gate-file error, not a run error.
        if isinstance(value, str):
            parse_duration(value)
        elif value is not None and not (math.isfinite(value) and value > 0):
            raise ValueError(
                f"a window {info.field_name} must be positive, got {value!r}; give a duration "
                "such as '30D' or 'QS', or a positive number for a numeric time column"
            )
        return value

    @model_validator(mode="after")
    def _one_length(self) -> WindowSpec:
        if (self.every is None) == (self.rows is None):
            raise ValueError("give exactly one of 'every' (a duration, e.g. '30D') or 'rows'")
        if (
            self.rows is not None
            and self.step is not None
            and (isinstance(self.step, str) or self.step != int(self.step))
        ):
            raise ValueError(
                f"with 'rows' windows, step is a row count, got {self.step!r}; give a whole "
                "number of rows (e.g. step: 1000) or cut by time with 'every'"
            )
        return self


@dataclass(frozen=True)
class Window:
    """One window: its position in the timeline, its time span and its row positions."""

    index: int
    start: Any
    end: Any
    positions: np.ndarray

    @property
    def label(self) -> str:
        return f"{format_time(self.start)} – {format_time(self.end)}"


def format_time(t: Any) -> str:
    """A window boundary for evidence: a date, a timestamp or a number."""
    if isinstance(t, pd.Timestamp):
        return t.isoformat() if (t.hour, t.minute, t.second) != (0, 0, 0) else t.date().isoformat()
    return f"{t:g}" if isinstance(t, (int, float, np.number)) else str(t)


def time_values(frame: pd.DataFrame, column: str, dataset: str) -> pd.Series:
    """The time column as datetimes or numbers. Raises DataError for missing or unparsable
    times."""
    t = frame[column]
    if not (pd.api.types.is_numeric_dtype(t) or pd.api.types.is_datetime64_any_dtype(t)):
        try:
            with warnings.catch_warnings():  # "could not infer format": we report it below
                warnings.simplefilter("ignore", UserWarning)
                t = pd.to_datetime(t)
        except (ValueError, TypeError) as exc:
            raise DataError(
                f"dataset {dataset!r}: time column {column!r} is neither numbers nor dates "
                f"({exc}); convert it before gating"
            ) from None
    if t.isna().any():
        raise DataError(
            f"dataset {dataset!r}: time column {column!r} has {int(t.isna().sum())} missing "
            "value(s); windows need a time for every row"
        )
    return t


#: Calendar periods: pandas offset aliases anchored on the start of a period (a window starts
#: on a boundary), with an optional count: ``MS``, ``3MS``, ``QS``, ``QS-FEB``, ``YS``,
#: ``YS-JUL``, ``W-MON`` (weeks from Monday) ... ``W-SUN``.
_CALENDAR = re.compile(
    r"^(MS|QS(-(JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC))?"
    r"|YS(-(JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC))?"
    r"|W-(MON|TUE|WED|THU|FRI|SAT|SUN))$"
)

#: Fixed lengths, as a user reads them (``W`` is seven days, ``H`` hours, ``S`` seconds).
_FIXED = {
    **dict.fromkeys(("D", "d", "day", "days"), "D"),
    **dict.fromkeys(("W", "w", "week", "weeks"), "W"),
    **dict.fromkeys(("h", "H", "hr", "hour", "hours"), "h"),
    **dict.fromkeys(("min", "minute", "minutes"), "min"),
    **dict.fromkeys(("s", "S", "sec", "second", "seconds"), "s"),
    **dict.fromkeys(("ms", "us", "ns"), None),
}

_MONTHS = "'{n}MS' for calendar months (windows from the 1st) or '{d}D' for fixed {d}-day windows"
_QUARTERS = "'{n}QS' for calendar quarters (from Jan, Apr, Jul, Oct; 'QS-FEB' from February)"
_YEARS = "'{n}YS' for calendar years ('YS-JUL' for years from July) or '{y}D' for fixed days"

#: Units pandas reads differently than a user would, or no longer reads: what to write instead.
_MISREAD = {
    "m": "ambiguous: pandas reads 'm' as minutes; write '{n}min' for minutes, or " + _MONTHS,
    "M": "a month has no fixed length and pandas no longer reads 'M'; write " + _MONTHS,
    "ME": "windows start on a period's first day; write " + _MONTHS,
    "Q": "pandas no longer reads 'Q'; write " + _QUARTERS,
    "QE": "windows start on a period's first day; write " + _QUARTERS,
    "Y": "a year has no fixed length and pandas no longer reads 'Y'; write " + _YEARS,
    "y": "a year has no fixed length and pandas no longer reads 'y'; write " + _YEARS,
    "A": "pandas no longer reads 'A' (years); write " + _YEARS,
    "YE": "windows start on a period's first day; write " + _YEARS,
    "T": "pandas no longer reads 'T' (minutes); write '{n}min'",
    "L": "pandas no longer reads 'L' (milliseconds); write '{n}ms'",
    "U": "pandas no longer reads 'U' (microseconds); write '{n}us'",
    "month": "write " + _MONTHS,
    "months": "write " + _MONTHS,
    "quarter": "write " + _QUARTERS,
    "quarters": "write " + _QUARTERS,
    "year": "write " + _YEARS,
    "years": "write " + _YEARS,
}

_TOKEN = re.compile(r"^\s*(\d+)?\s*([A-Za-z]+(?:-[A-Za-z]+)?)\s*$")

#: Accepted spellings, for error messages.
DURATION_FORMS = (
    "a fixed length ('30D', '2W', '12h', '90min') or a calendar period given by a pandas "
    "offset alias ('MS', '3MS', 'QS', 'W-MON', 'YS')"
)


def parse_duration(text: str) -> pd.Timedelta | BaseOffset:
    """A window length: a :class:`pandas.Timedelta` for a fixed length (``30D``, ``2W``,
    ``12h``, ``1D12h``) or a :class:`pandas.DateOffset` for a calendar period (``MS``,
    ``3MS``, ``QS``, ``QS-FEB``, ``W-MON``, ``YS``).

    Raises ValueError, saying what to write instead, for a string pandas reads differently
    than a user would (``3MS`` is 3 milliseconds to ``pd.Timedelta``; here it is three
    months), one it no longer reads (``1Q``, ``1M``, ``1Y``, ``5T``), one without a unit
    (``10``, which pandas reads as 10 nanoseconds) and a length that is not positive.

    >>> parse_duration("3MS")
    <3 * MonthBegins>
    >>> parse_duration("2W")
    Timedelta('14 days 00:00:00')
    """
    s = str(text).strip()
    match = _TOKEN.match(s)
    if re.fullmatch(r"[-+]?\d+(\.\d*)?", s):
        raise ValueError(
            f"no unit (pandas would read {text!r} as nanoseconds); write e.g. '{s}D' "
            "for days, or a number without quotes for a numeric time column"
        )
    if match:
        count, unit = int(match.group(1) or 1), match.group(2)
        if count == 0:
            raise ValueError("an empty window: a window length must be positive")
        if unit in _MISREAD:
            fix = _MISREAD[unit].format(n="" if count == 1 else count, d=30 * count, y=365 * count)
            raise ValueError(fix)
        if unit in _FIXED:
            return pd.Timedelta(count, unit=_FIXED[unit] or unit)
        if _CALENDAR.match(unit):
            return to_offset(f"{count}{unit}")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # a deprecated alias: refuse it rather than guess
            length = pd.Timedelta(s)
    except (ValueError, TypeError, Warning):
        raise ValueError(f"not a duration; write {DURATION_FORMS}") from None
    if pd.isna(length) or length <= pd.Timedelta(0):
        raise ValueError("a window length must be positive")
    return length


def _length(value: str | float, times: pd.Series, what: str) -> Any:
    if pd.api.types.is_datetime64_any_dtype(times):
        if not isinstance(value, str):  # pd.Timedelta(30) would be 30 nanoseconds
            raise ConfigError(
                f"the time column holds dates, so {what} must be a duration such as '30D' or "
                f"'QS', got {value!r}",
                path=what,
            )
        try:
            return parse_duration(value)
        except ValueError as exc:
            raise ConfigError(f"{what} {value!r}: {exc}", path=what) from None
    if isinstance(value, str):
        raise ConfigError(
            f"the time column holds numbers, so {what} must be a number, got {value!r}", path=what
        )
    return value


def cut_windows(times: pd.Series, spec: WindowSpec, *, start: Any = None) -> list[Window]:
    """Windows over ``times`` (rows after ``start`` only, when given), in time order; each holds
    the positions of its rows in ``times``. Duration windows may be empty."""
    order = np.argsort(times.to_numpy(), kind="stable")
    t_sorted = times.to_numpy()[order]
    if start is not None:
        keep = t_sorted > start
        order, t_sorted = order[keep], t_sorted[keep]
    if not len(order):
        return []
    out: list[Window] = []
    if spec.rows is not None:
        if spec.step is not None and (isinstance(spec.step, str) or spec.step != int(spec.step)):
            raise ConfigError(
                f"with 'rows' windows, step is a row count, got {spec.step!r}", path="step"
            )
        step = int(spec.step) if spec.step is not None else spec.rows
        if step <= 0:
            raise ConfigError(f"step must be positive, got {spec.step!r}", path="step")
        # Anchored at the most recent row, so the latest window is always full; leading
        # rows that do not fill a window are left out (all rows when fewer than one window).
        n = len(order)
        ends = list(range(n, spec.rows - 1, -step))[::-1] or [n]
        for i, e in enumerate(ends):
            s = 0 if spec.mode == "accumulating" else max(0, e - spec.rows)
            out.append(Window(i, _item(t_sorted[s]), _item(t_sorted[e - 1]), order[s:e]))
        return out
    length = _length(spec.every, times, "every")  # type: ignore[arg-type]
    step = _length(spec.step, times, "step") if spec.step is not None else length
    for name, d in (("every", length), ("step", step)):
        if not isinstance(d, BaseOffset) and not d > d * 0:
            raise ConfigError(f"window length and step must be positive, got {d!r}", path=name)
    first = _item(t_sorted[0]) if start is None else start
    anchor = next((d for d in (length, step) if isinstance(d, BaseOffset)), None)
    if anchor is not None:  # a calendar period: start on the boundary at or before the first row
        first = anchor.rollback(pd.Timestamp(_item(t_sorted[0])).normalize())
    last = _item(t_sorted[-1])
    # Half-open spans [start, end); accumulating windows all start at the first time.
    i = 0
    while True:
        w_start = first if spec.mode == "accumulating" else _after(first, step, i)
        w_end = _after(first, step, i + 1) if spec.mode == "accumulating" else w_start + length
        a = np.searchsorted(t_sorted, _raw(w_start), side="left")
        b = np.searchsorted(t_sorted, _raw(w_end), side="left")
        out.append(Window(i, w_start, w_end, order[a:b]))
        if w_end > last:
            break
        i += 1
        if i >= 100_000:
            raise ConfigError("more than 100,000 windows; use a longer 'every' or 'step'")
    return out


def _after(first: Any, step: Any, i: int) -> Any:
    """The start ``i`` steps after ``first`` (``first`` itself for 0: adding an offset of 0
    periods would roll a date forward to the next boundary)."""
    return first if i == 0 else first + step * i


def _item(v: Any) -> Any:
    return pd.Timestamp(v) if isinstance(v, np.datetime64) else v


def _raw(v: Any) -> Any:
    return v.to_datetime64() if isinstance(v, pd.Timestamp) else v


def spec_text(spec: WindowSpec) -> str:
    """The window length (and step) in words, for a result's ``method``: ``every 30D, step 7D``
    or ``5000 rows``."""
    size = f"every {spec.every}" if spec.every is not None else f"{spec.rows} rows"
    return size + (f", step {spec.step}" if spec.step is not None else "")


__all__ = [
    "Window",
    "WindowSpec",
    "cut_windows",
    "format_time",
    "parse_duration",
    "spec_text",
    "time_values",
]
