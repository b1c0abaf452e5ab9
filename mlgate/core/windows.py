"""Time windows over a dataset: the windows a time-ordered check (drift over time, backtests)
cuts its rows into.

Windows are cut on the time-sorted rows, either by duration (``every: 30D``; a number for a
numeric time column) or by row count (``rows: 5000``), and are

* ``sliding``: each window has the set length and starts ``step`` after the previous one
  (``step`` defaults to the length: back-to-back windows);
* ``accumulating``: every window starts at the first row and grows by ``step``.

Duration windows start at the first time (or the ``start`` given, e.g. a training cutoff) and
are half-open, ``[start, end)``; the last one may be short (a check then calls it
inconclusive). Row windows are anchored at the most recent row, so the latest window always
has ``rows`` rows.

A check's parameters inherit :class:`WindowSpec`; :func:`time_values` reads the dataset's time
column and :func:`cut_windows` returns the :class:`Window` list::

    times = time_values(data.frame, data.spec.time, "evaluation")
    for w in cut_windows(times, params, start=cutoff):
        rows = data.frame.iloc[w.positions]
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, PositiveInt, model_validator

from mlgate.core.errors import ConfigError, DataError


class WindowSpec(BaseModel):
    """How windows are cut: exactly one of ``every`` (a duration) or ``rows``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    every: str | float | None = None
    rows: PositiveInt | None = None
    step: str | float | None = None
    mode: Literal["sliding", "accumulating"] = "sliding"

    @model_validator(mode="after")
    def _one_length(self) -> WindowSpec:
        if (self.every is None) == (self.rows is None):
            raise ValueError("give exactly one of 'every' (a duration, e.g. '30D') or 'rows'")
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


def _length(value: str | float, times: pd.Series, what: str) -> Any:
    if pd.api.types.is_datetime64_any_dtype(times):
        if not isinstance(value, str):  # pd.Timedelta(30) would be 30 nanoseconds
            raise ConfigError(
                f"the time column holds dates, so {what} must be a duration such as '30D', "
                f"got {value!r}",
                path=what,
            )
        try:
            return pd.Timedelta(value)
        except (ValueError, TypeError):
            raise ConfigError(
                f"{value!r} is not a duration; use e.g. '7D', '30D', '12h' (pandas Timedelta)",
                path=what,
            ) from None
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
    zero = length * 0
    if not step > zero or not length > zero:
        raise ConfigError("window length and step must be positive", path="every")
    first = _item(t_sorted[0]) if start is None else start
    last = _item(t_sorted[-1])
    # Half-open spans [start, end); accumulating windows all start at the first time.
    i = 0
    while True:
        w_start = first if spec.mode == "accumulating" else first + i * step
        w_end = first + (i + 1) * step if spec.mode == "accumulating" else w_start + length
        a = np.searchsorted(t_sorted, _raw(w_start), side="left")
        b = np.searchsorted(t_sorted, _raw(w_end), side="left")
        out.append(Window(i, w_start, w_end, order[a:b]))
        if w_end > last:
            break
        i += 1
        if i >= 100_000:
            raise ConfigError("more than 100,000 windows; use a longer 'every' or 'step'")
    return out


def _item(v: Any) -> Any:
    return pd.Timestamp(v) if isinstance(v, np.datetime64) else v


def _raw(v: Any) -> Any:
    return v.to_datetime64() if isinstance(v, pd.Timestamp) else v


def spec_text(spec: WindowSpec) -> str:
    """The window length (and step) in words, for a result's ``method``: ``every 30D, step 7D``
    or ``5000 rows``."""
    size = f"every {spec.every}" if spec.every is not None else f"{spec.rows} rows"
    return size + (f", step {spec.step}" if spec.step is not None else "")


__all__ = ["Window", "WindowSpec", "cut_windows", "format_time", "spec_text", "time_values"]
