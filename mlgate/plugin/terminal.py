"""The terminal summary: one line per check, then one verdict line per stage.

Each check's message is printed once, on its check line; under a stage's verdict line, one
line names the checks that decided it (their messages again only under ``-qq``, where the
check lines are not shown). The verdict line itself is always ``stage NAME: VERDICT``.
Everything printed goes through :func:`mlgate.plugin.text.terminal_safe`, and messages are
already cut to :data:`mlgate.core.runner.MESSAGE_LIMIT` characters.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mlgate.core.decision import StageDecision, Verdict
from mlgate.core.result import CheckResult, Status
from mlgate.plugin.text import terminal_lines, terminal_safe

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
_INDENT = " " * 19  # under the message of a check line: status (13) + severity (6)


def check_line(result: CheckResult) -> str:
    """``staging::accuracy accuracy=0.9605 [0.93, 0.98] >= 0.9 n=228 — message``, safe to
    print (control characters escaped; a message's later lines indented)."""
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
    head = terminal_safe(" ".join(parts))
    if (result.status is not Status.PASSED or result.metric is None) and result.message:
        return f"{head} — {terminal_lines(result.message, _INDENT)}"
    return head


def verdict_reasons(decision: StageDecision, results: list[CheckResult]) -> str:
    """``accuracy failed, roc_auc skipped``: the checks whose results are the stage's
    reasons (:func:`mlgate.core.decision.decide_stage`), by id; empty when its reasons are
    not about checks (no check of the stage ran)."""
    reasons = set(decision.reasons)
    named = [
        r
        for r in results
        if decision.stage in r.stages and f"{r.check_id} {r.status.value}: {r.message}" in reasons
    ]
    return ", ".join(terminal_safe(f"{r.check_id} {r.status.value}") for r in named)


def write_summary(tr, gs: GateSession) -> None:
    if gs.collect_only:
        tr.write_line("mlgate: --collect-only: nothing was run or decided, and no file written")
        return
    if gs.setup_error is not None:  # pytest prints the one setup message below
        return
    results = gs.ordered_results()
    tr.write_sep("=", terminal_safe(f"mlgate gate {gs.gate.config.name!r}"))
    show_checks = tr.config.get_verbosity() >= -1
    if show_checks:
        for r in results:
            tr.write(f"{r.status.value.upper():<13}", **_MARKUP[r.status])
            tr.write_line(f"{r.severity.value:<6}{check_line(r)}")
    if gs.partial_reason:
        tr.write_line(
            f"partial run: {terminal_safe(gs.partial_reason)}; a stage is decided only on "
            "checks that ran",
            yellow=True,
        )
    for d in gs.decisions:
        tr.write(f"stage {terminal_safe(d.stage)}: ")
        tr.write_line(d.verdict.value.upper().replace("_", " "), **_VERDICT_MARKUP[d.verdict])
        named = verdict_reasons(d, results) if show_checks else ""
        if named:  # the messages are on the check lines above
            by = "held by" if d.verdict is Verdict.HOLD else "warned by"
            tr.write_line(f"    {by}: {named}")
        else:
            for reason in d.reasons:
                tr.write_line(f"    {terminal_lines(reason, ' ' * 8)}")
    for name, path in gs.outputs.items():
        tr.write_line(f"{name}: {terminal_safe(path)}")
    _write_problems(tr, gs)


def _write_problems(tr, gs: GateSession) -> None:
    """Files that could not be written, loudly: a stale result.json must not pass for this
    run's."""
    problems = dict(gs.written.problems)
    if "result" in problems:
        tr.write_sep("!", "mlgate: result.json was NOT written", red=True, bold=True)
        stale = gs.report_dir / "result.json"
        tr.write_line(f"  {terminal_safe(problems.pop('result'))}", red=True)
        if stale.exists():
            tr.write_line(
                f"  {terminal_safe(stale)} is from an EARLIER run and does not describe this "
                "one; the verdict above and the exit status do",
                red=True,
                bold=True,
            )
    elif gs.marker_error:
        tr.write_line(
            f"mlgate: could not mark the report directory as in progress: "
            f"{terminal_safe(gs.marker_error)}",
            yellow=True,
        )
    for name, reason in problems.items():
        tr.write_line(f"{name} not written: {terminal_safe(reason)}", red=True)
    if gs.history_error:
        tr.write_line(f"history not recorded: {terminal_safe(gs.history_error)}", yellow=True)
