"""The ``drift_windows`` check: per-column drift of each time window against a reference.

The windows (sliding or accumulating, by duration or row count) are cut by
:mod:`mlgate.core.windows`. Each window is compared with the reference, the timeline is kept as
evidence, and only the most recent ``judge_last`` window(s) are judged; the p-values of the
judged windows are corrected together across columns and windows.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from pydantic import PositiveInt

from mlgate.checks.drift.checks import column_evidence, paired_frames, summarize, validate_target
from mlgate.checks.drift.table import ColumnDrift, DriftRule, compare_columns, judge, rule_text
from mlgate.checks.drift.windowed import Span, folded_windows
from mlgate.config.schema import GateConfig
from mlgate.core.context import GateContext
from mlgate.core.errors import ConfigError
from mlgate.core.evidence import Curve, Table
from mlgate.core.registry import CheckType
from mlgate.core.result import CheckResult, Part, Status, Threshold, rounded
from mlgate.core.windows import WindowSpec, cut_windows, format_time, spec_text, time_values

KIND = "drift"


class DriftWindowsParams(DriftRule, WindowSpec):
    reference: str = "reference"
    dataset: str = "evaluation"
    judge_last: PositiveInt = 1
    #: How numeric columns are summarised, as for ``drift``: unset, their exact sorted values
    #: where the engine may gather the rows (always in memory), else a value sketch with
    #: stated error bounds; `true`, always the sketch; `false`, always exact (docs/scale.md).
    sketch: bool | None = None


def _validate(p: DriftWindowsParams, config: GateConfig) -> None:
    validate_target(p, config, ["reference", "dataset"])
    if config.datasets[p.dataset].time is None:
        raise ConfigError(
            f"dataset {p.dataset!r} declares no 'time' column; windows need one "
            f"(set datasets.{p.dataset}.time)",
            path="dataset",
        )


def run_drift_windows(ctx: GateContext, p: DriftWindowsParams) -> CheckResult:
    # Duration windows fold batches (drift/windowed.py); row windows, and a column whose type
    # differs between the sides, compare every row in memory.
    got = folded_windows(ctx, p) if p.rows is None else None
    windows, per_window = got if got is not None else _in_memory(ctx, p)
    if not windows:
        return CheckResult(
            check_id=_default_id(p),
            kind=KIND,
            status=Status.INCONCLUSIVE,
            message=f"dataset {p.dataset!r} has no rows to cut into windows",
        )
    return _judged(p, windows, per_window)


def _in_memory(
    ctx: GateContext, p: DriftWindowsParams
) -> tuple[list[Span], list[list[ColumnDrift]]]:
    """The windows and each one's column comparisons, from every row sorted by time."""
    data = ctx.dataset(p.dataset)
    times = time_values(data.frame, data.spec.time, p.dataset)  # type: ignore[arg-type]
    ref, cur, cats = paired_frames(ctx, p)
    windows = cut_windows(times, p)
    per_window: list[list[ColumnDrift]] = [
        compare_columns(ref, cur.iloc[w.positions], p, categorical=cats) for w in windows
    ]
    spans = [Span(w.index, w.start, w.end, len(w.positions)) for w in windows]
    return spans, per_window


def _judged(
    p: DriftWindowsParams, windows: list[Span], per_window: list[list[ColumnDrift]]
) -> CheckResult:
    """The check's result: the latest ``judge_last`` windows judged, corrected together."""
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
    empty = [windows[i] for i in judged if windows[i].rows == 0]
    parts = [
        Part(f"window {windows[i].label}", st, message=m)
        for i, (st, m) in zip(judged, verdicts, strict=True)
    ]
    if empty:
        parts.append(Part("empty windows", Status.INCONCLUSIVE))
    last = windows[-1]
    latest = per_window[-1]
    lines = [f"{part.name}: {part.message}" for part in parts if part.message]
    if empty:
        lines.append(f"{len(empty)} judged window(s) have no rows")
    points = [row for row in timeline if row["largest_effect"] is not None]
    return CheckResult.from_parts(
        KIND,
        parts,
        check_id=_default_id(p),
        metric=f"drifted {p.target} columns in the latest window",
        value=float(sum(c.drifted for c in latest)),
        interval=None,
        threshold=Threshold("<=", float(p.max_drifted)),
        sample_size=last.rows,
        method=(
            f"{p.mode} windows ({spec_text(p)}) of {p.dataset!r} vs {p.reference!r}; per column "
            f"KS / chi-squared, drifted when {rule_text(p)}; the last {len(judged)} window(s) "
            "are judged, corrected together"
        ),
        message="; ".join(lines),
        evidence={
            "target": p.target,
            "reference": p.reference,
            "dataset": p.dataset,
            "mode": p.mode,
            "windows": Table.of(timeline, title="drift timeline"),
            # windows without a comparable column have no point
            "curve": Curve(
                x=tuple(row["window"] for row in points),
                y=tuple(row["largest_effect"] for row in points),
                xlabel="window",
                ylabel="largest effect size",
                title="largest effect size per window",
            ),
            **column_evidence(latest),
        },
    )


def _timeline_row(w: Span, cols: list[ColumnDrift], judged: bool, p) -> dict[str, Any]:
    effects = [c.effect_value for c in cols if c.effect_value is not None]
    effects = [e for e in effects if np.isfinite(e)]
    return {
        "window": w.index + 1,
        "start": format_time(w.start),
        "end": format_time(w.end),
        "rows": w.rows,
        "drifted": [c.column for c in cols if c.drifted],
        "largest_effect": rounded(max(effects)) if effects else None,
        "judged": judged,
        "status": summarize(cols, p)[0].value if w.rows else "inconclusive",
    }


def _default_id(p: DriftWindowsParams) -> str:
    return f"drift-windows-{p.target}"


DRIFT_WINDOWS = CheckType(
    name="drift_windows",
    kind=KIND,
    params=DriftWindowsParams,
    run=run_drift_windows,
    summary="Per-column drift of each time window (sliding or accumulating, by duration or row "
    "count) against a reference; a drift timeline as evidence; the latest window(s) judged.",
    validate=_validate,
    default_id=_default_id,
    # Duration windows fold batches (drift/windowed.py); row-count windows depend on every
    # row's rank in time, so they read every row.
    needs_all_rows=lambda p: p.rows is not None,
)

#: ``drift_windows_check(mlgate, every="30D")`` from Python: the check type itself.
drift_windows_check = DRIFT_WINDOWS
