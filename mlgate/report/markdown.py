"""The Markdown summary: short enough for a pull-request comment or a CI step summary.

The verdict per stage, a line per check, then the evidence of every check that did not pass,
folded (``<details>``). Evidence blocks are rendered by type (:data:`RENDERERS`); Markdown
has no plots, so a plotted block shows the table of its data.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping
from typing import Any

from mlgate.core.evidence import MAX_ROWS, Table
from mlgate.report import evidence as ev
from mlgate.report.mdtext import md
from mlgate.report.views import VERDICT_LABEL, CheckView, checks_by_stage, fmt

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
    """Text safe in Markdown, table cells included: no raw HTML, no markup, no cell breaks
    (:func:`mlgate.report.mdtext.md`)."""
    return md(text)


# -- evidence, by block type ----------------------------------------------------------------


def md_table(table: Table, limit: int = MAX_ROWS) -> list[str]:
    """A Markdown table of at most ``limit`` rows, then how many more result.json holds."""
    if not table.columns:
        return []
    rows, more = ev.head(table, limit)
    lines = ["| " + " | ".join(md_escape(c) or " " for c in table.columns) + " |"]
    lines.append("|" + "---|" * len(table.columns))
    lines += [
        "| " + " | ".join(md_escape(fmt(r.get(c))) for c in table.columns) + " |" for r in rows
    ]
    if more:
        lines += ["", f"*… {more} more rows in result.json*"]
    return lines


def _heading(item: ev.Item) -> str:
    title = f" — {md_escape(item.title)}" if item.title and item.title != item.key else ""
    return f"**{md_escape(item.key)}** ({md_escape(item.type)}){title}"


def _table(item: ev.Item) -> list[str]:
    """Every type: its table (Markdown has no plots, so a reliability diagram, bars, a
    histogram or a curve shows the table of what the HTML report draws)."""
    return [_heading(item), "", *md_table(ev.data_table(item)), ""]


def _blocks(item: ev.Item) -> list[str]:
    lines = [_heading(item), ""]
    for part in ev.sub_items(item):
        lines += render_item(part)
    return lines


#: type → renderer (lines of Markdown). A type missing here is shown as its table.
RENDERERS: dict[str, Callable[[ev.Item], list[str]]] = {
    "reliability": _table,
    "bars": _table,
    "histogram": _table,
    "curve": _table,
    "table": _table,
    "examples": _table,
    "blocks": _blocks,
}


def render_item(item: ev.Item) -> list[str]:
    """One evidence item as Markdown lines: its type's renderer, or the generic display of a
    plain value (a list of records as a table, anything else on one line)."""
    if item.type:
        return RENDERERS.get(item.renderer_type, _table)(item)
    table = ev.plain_table(item.raw)
    if table is not None:
        return [f"**{md_escape(item.key)}**", "", *md_table(table), ""]
    return [f"- **{md_escape(item.key)}:** {md_escape(_plain(item.raw))}"]


def _plain(value: Any) -> str:
    if isinstance(value, Mapping):
        return ", ".join(f"{k} = {fmt(v)}" for k, v in value.items())
    if isinstance(value, list):
        shown = ", ".join(fmt(v) for v in value[:MAX_ROWS])
        return shown + (f", … ({len(value) - MAX_ROWS} more)" if len(value) > MAX_ROWS else "")
    return fmt(value)


def evidence_markdown(evidence: Any) -> list[str]:
    """A check's evidence as Markdown lines (blocks by type, plain values generically)."""
    lines: list[str] = []
    for item in ev.items(evidence):
        part = render_item(item)
        if lines and lines[-1].startswith("- ") and not part[0].startswith("- "):
            lines.append("")  # end the list of plain values before a table
        lines += part
    return lines


def _evidence_section(checks: list[CheckView], max_checks: int) -> list[str]:
    seen: set[str] = set()
    shown = []
    for c in checks:
        if c.status != "passed" and c.evidence and c.id not in seen:
            seen.add(c.id)
            shown.append(c)
    if not shown:
        return []
    lines = ["", "### Evidence of the checks that did not pass"]
    for c in shown[:max_checks]:
        summary = html.escape(f"{c.status} · {c.id}", quote=False)
        body = evidence_markdown(c.evidence)
        while body and body[-1] == "":
            body.pop()
        lines += ["", f"<details><summary>{_STATUS_ICON.get(c.status, '')} {summary}</summary>"]
        lines += ["", *body, "", "</details>"]
    if len(shown) > max_checks:
        lines += ["", f"*… the evidence of {len(shown) - max_checks} more in the HTML report*"]
    return lines


# -- the summary ----------------------------------------------------------------------------


def render_summary(result: Mapping[str, Any], *, max_checks: int = 30) -> str:
    """The summary: verdict per stage with reasons, then every non-passing check and the
    passing ones up to ``max_checks`` rows per stage, then the evidence of the checks that
    did not pass (up to ``max_checks``)."""
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
    by_stage = checks_by_stage(result)
    for stage, checks in by_stage.items():
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
    lines += _evidence_section([c for cs in by_stage.values() for c in cs], max_checks)
    lines += [
        "",
        f"<sub>gate file {md_escape(gate['file'])} · seed {result['run']['seed']} · "
        f"mlgate {md_escape(result['mlgate_version'])}</sub>",
        "",
    ]
    return "\n".join(lines)
