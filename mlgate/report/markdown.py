"""The Markdown summary: short enough for a pull-request comment or a CI step summary."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mlgate.report.views import VERDICT_LABEL, checks_by_stage

_ICON = {"promote": "✅", "promote_with_warnings": "⚠️", "hold": "❌"}
_STATUS_ICON = {
    "passed": "✅",
    "failed": "❌",
    "error": "💥",
    "inconclusive": "❔",
    "warned": "⚠️",
    "skipped": "⏭️",
}


def md_escape(text: Any) -> str:
    """Text safe inside a Markdown table cell: no raw HTML, no cell breaks."""
    return (
        str(text)
        .replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace("|", "\\|")
        .replace("\n", " ")
    )


def render_summary(result: Mapping[str, Any], *, max_checks: int = 30) -> str:
    """The summary: verdict per stage with reasons, then every non-passing check and the
    passing ones up to ``max_checks`` rows per stage."""
    gate = result["gate"]
    lines = [f"## mlgate: {md_escape(gate['name'])} — **{VERDICT_LABEL[result['verdict']]}**", ""]
    lines += ["| stage | verdict | checks |", "|---|---|---|"]
    for s in result["stages"]:
        counts = ", ".join(f"{n} {k}" for k, n in s["counts"].items() if n)
        lines.append(
            f"| {md_escape(s['name'])} | {_ICON[s['verdict']]} "
            f"{VERDICT_LABEL[s['verdict']]} | {counts} |"
        )
    for s in result["stages"]:
        if s["reasons"]:
            lines += ["", f"**{md_escape(s['name'])}** — reasons:"]
            lines += [f"- {md_escape(reason)}" for reason in s["reasons"]]
    for stage, checks in checks_by_stage(result).items():
        lines += [
            "",
            f"### {md_escape(stage)}",
            "",
            "| | check | statistic | n |",
            "|---|---|---|---|",
        ]
        for c in checks[:max_checks]:
            stat = c.statistic or c.message
            lines.append(
                f"| {_STATUS_ICON.get(c.status, '')} {c.status} | {md_escape(c.id)} | "
                f"{md_escape(stat)} | {c.sample_size} |"
            )
        if len(checks) > max_checks:
            lines.append(f"| | … {len(checks) - max_checks} more in the HTML report | | |")
    lines += [
        "",
        f"<sub>gate file {md_escape(gate['file'])} · seed {result['run']['seed']} · "
        f"mlgate {md_escape(result['mlgate_version'])}</sub>",
        "",
    ]
    return "\n".join(lines)
