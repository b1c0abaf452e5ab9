"""The terminal summary: one line per check, then one verdict line per stage."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mlgate.core.decision import Verdict
from mlgate.core.result import CheckResult, Status

if TYPE_CHECKING:
    from mlgate.plugin.session import GateSession

_MARKUP = {
    Status.PASSED: {"green": True},
    Status.FAILED: {"red": True, "bold": True},
    Status.ERROR: {"red": True, "bold": True},
    Status.INCONCLUSIVE: {"yellow": True, "bold": True},
    Status.WARNED: {"yellow": True},
    Status.SKIPPED: {"yellow": True},
}
_VERDICT_MARKUP = {
    Verdict.PROMOTE: {"green": True, "bold": True},
    Verdict.PROMOTE_WITH_WARNINGS: {"yellow": True, "bold": True},
    Verdict.HOLD: {"red": True, "bold": True},
}


def check_line(result: CheckResult) -> str:
    """``accuracy [staging] accuracy=0.9605 CI [0.93, 0.98] >= 0.9 n=228 — message``"""
    stage = ",".join(result.stages)
    parts = [f"{stage}::{result.check_id}"]
    if result.metric is not None and result.value is not None:
        stat = f"{result.metric}={result.value:.4g}"
        if result.interval is not None:
            stat += f" [{result.interval.low:.4g}, {result.interval.high:.4g}]"
        if result.threshold is not None:
            stat += f" {result.threshold.op} {result.threshold.bound:g}"
        parts.append(stat)
    if result.sample_size is not None:
        parts.append(f"n={result.sample_size}")
    if result.status is not Status.PASSED or result.metric is None:
        parts.append(f"— {result.message}" if result.message else "")
    return " ".join(p for p in parts if p)


def write_summary(tr, gs: GateSession) -> None:
    results = gs.ordered_results()
    tr.write_sep("=", f"mlgate gate {gs.gate.config.name!r}")
    if tr.config.get_verbosity() >= -1:
        for r in results:
            tr.write(f"{r.status.value.upper():<13}", **_MARKUP[r.status])
            tr.write_line(f"{r.severity.value:<6}{check_line(r)}")
    for d in gs.decisions:
        tr.write(f"stage {d.stage}: ")
        tr.write_line(d.verdict.value.upper().replace("_", " "), **_VERDICT_MARKUP[d.verdict])
        for reason in d.reasons:
            tr.write_line(f"    {reason}")
    for name, path in gs.outputs.items():
        tr.write_line(f"{name}: {path}")
    if gs.history_error:
        tr.write_line(f"history not recorded: {gs.history_error}", yellow=True)
