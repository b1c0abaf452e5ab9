"""Time windows over a dataset's time column, and the ``drift_windows`` check.

Windows are cut on the time-sorted rows, either by duration (``every: 30D``; a number for a
numeric time column) or by row count (``rows: 5000``), and are

* ``sliding``: each window has the set length and starts ``step`` after the previous one
  (``step`` defaults to the length: back-to-back windows);
* ``accumulating``: every window starts at the first row and grows by ``step``.

Duration windows start at the first time (or the ``start`` given, e.g. a training cutoff) and
are half-open, ``[start, end)``; the last one may be short (too few rows: inconclusive). Row
windows are anchored at the most recent row, so the latest window always has ``rows`` rows.

``drift_windows`` compares each window with the reference, records a drift timeline, and
judges only the most recent ``judge_last`` window(s); the p-values of the judged windows are
corrected together across columns and windows.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, PositiveInt, model_validator

from mlgate.checks.drift.checks import column_evidence, summarize, target_frame, validate_target
from mlgate.checks.drift.table import ColumnDrift, DriftRule, compare_columns, judge, rule_text
from mlgate.config.schema import GateConfig
from mlgate.core.context import GateContext
from mlgate.core.errors import ConfigError, DataError
from mlgate.core.registry import CheckType, parse_params
from mlgate.core.result import CheckResult, Status, Threshold

KIND = "drift"


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


# -- the check -------------------------------------------------------------------------------
class DriftWindowsParams(DriftRule, WindowSpec):
    reference: str = "reference"
    dataset: str = "evaluation"
    judge_last: PositiveInt = 1


def _validate(p: DriftWindowsParams, config: GateConfig) -> None:
    validate_target(p, config, ["reference", "dataset"])
    if config.datasets[p.dataset].time is None:
        raise ConfigError(
            f"dataset {p.dataset!r} declares no 'time' column; windows need one "
            f"(set datasets.{p.dataset}.time)",
            path="dataset",
        )


def run_drift_windows(ctx: GateContext, p: DriftWindowsParams) -> CheckResult:
    data = ctx.dataset(p.dataset)
    times = time_values(data.frame, data.spec.time, p.dataset)  # type: ignore[arg-type]
    ref, cat_ref = target_frame(ctx, p, p.reference)
    cur, cat_cur = target_frame(ctx, p, p.dataset)
    cats = cat_ref + cat_cur
    windows = cut_windows(times, p)
    if not windows:
        return CheckResult(
            check_id=_default_id(p),
            kind=KIND,
            status=Status.INCONCLUSIVE,
            message=f"dataset {p.dataset!r} has no rows to cut into windows",
        )
    per_window: list[list[ColumnDrift]] = [
        compare_columns(ref, cur.iloc[w.positions], p, categorical=cats) for w in windows
    ]
    judged = list(range(max(0, len(windows) - p.judge_last), len(windows)))
    # The judged windows' p-values are corrected together, across columns and windows.
    flat = [c for i in judged for c in per_window[i]]
    rejudged = judge(flat, p)
    k = 0
    for i in judged:
        n = len(per_window[i])
        per_window[i] = rejudged[k : k + n]
        k += n
    timeline = [_timeline_row(w, per_window[w.index], w.index in judged, p) for w in windows]
    verdicts = [summarize(per_window[i], p) for i in judged]
    empty = [windows[i] for i in judged if len(windows[i].positions) == 0]
    statuses = [s for s, _ in verdicts]
    if Status.FAILED in statuses:
        status = Status.FAILED
    elif empty or Status.INCONCLUSIVE in statuses:
        status = Status.INCONCLUSIVE
    else:
        status = Status.PASSED
    last = windows[-1]
    latest = per_window[-1]
    parts = [f"window {windows[i].label}: {m}" for i, (_, m) in zip(judged, verdicts, strict=True)]
    if empty:
        parts.append(f"{len(empty)} judged window(s) have no rows")
    return CheckResult(
        check_id=_default_id(p),
        kind=KIND,
        status=status,
        metric=f"drifted {p.target} columns in the latest window",
        value=float(sum(c.drifted for c in latest)),
        threshold=Threshold("<=", float(p.max_drifted)),
        sample_size=len(last.positions),
        method=(
            f"{p.mode} windows ({_spec_text(p)}) of {p.dataset!r} vs {p.reference!r}; per column "
            f"KS / chi-squared, drifted when {rule_text(p)}; the last {len(judged)} window(s) "
            "are judged, corrected together"
        ),
        message="; ".join(parts),
        evidence={
            "target": p.target,
            "reference": p.reference,
            "dataset": p.dataset,
            "mode": p.mode,
            "windows": timeline,
            "curve": {  # windows without a comparable column have no point
                "x": [row["window"] for row in timeline if row["largest_effect"] is not None],
                "y": [
                    row["largest_effect"] for row in timeline if row["largest_effect"] is not None
                ],
                "xlabel": "window",
                "ylabel": "largest effect size",
            },
            **column_evidence(latest),
        },
    )


def _timeline_row(w: Window, cols: list[ColumnDrift], judged: bool, p) -> dict[str, Any]:
    effects = [c.effect_value for c in cols if c.effect_value is not None]
    effects = [e for e in effects if np.isfinite(e)]
    return {
        "window": w.index + 1,
        "start": format_time(w.start),
        "end": format_time(w.end),
        "rows": len(w.positions),
        "drifted": [c.column for c in cols if c.drifted],
        "largest_effect": round(max(effects), 6) if effects else None,
        "judged": judged,
        "status": summarize(cols, p)[0].value if len(w.positions) else "inconclusive",
    }


def _spec_text(p: WindowSpec) -> str:
    size = f"every {p.every}" if p.every is not None else f"{p.rows} rows"
    return size + (f", step {p.step}" if p.step is not None else "")


def _default_id(p: DriftWindowsParams) -> str:
    return f"drift-windows-{p.target}"


def drift_windows_check(ctx: GateContext, **params: Any) -> CheckResult:
    """Run ``drift_windows`` from Python: ``drift_windows_check(mlgate, every="30D")``.
    Raises ConfigError for bad parameters."""
    p = parse_params(DRIFT_WINDOWS, ctx.gate.config, params)
    return run_drift_windows(ctx, p)  # type: ignore[arg-type]


DRIFT_WINDOWS = CheckType(
    name="drift_windows",
    kind=KIND,
    params=DriftWindowsParams,
    run=run_drift_windows,
    summary="Per-column drift of each time window (sliding or accumulating, by duration or row "
    "count) against a reference; a drift timeline as evidence; the latest window(s) judged.",
    validate=_validate,
    default_id=_default_id,
)
