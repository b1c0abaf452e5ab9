"""The Markdown summary: short enough for a pull-request comment or a CI step summary.

The overall verdict, the verdict per stage, one line per check that held or warned a stage
with its key number, a line per check, then the evidence of every check that did not pass,
folded (``<details>``). Evidence blocks are rendered by type (:data:`RENDERERS`); Markdown
has no plots, so a plotted block shows the table of its data.

Every string that comes from the result (names, ids, messages, columns, cells, even statuses
and numbers) goes through :func:`md_escape`, or :func:`html.escape` on one line inside the
``<details>`` HTML, and is cut to a readable length: data can show as text, never as a link,
an image, a heading or HTML.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from mlgate.core.evidence import MAX_ROWS, Table
from mlgate.report import evidence as ev
from mlgate.report.mdtext import html_text, md
from mlgate.report.text import HEADER_LIMIT, clip, clip_message, value_text
from mlgate.report.views import (
    CheckView,
    Finding,
    Ladder,
    checks_by_stage,
    engine_note,
    findings,
    headline,
    partial_reason,
    stage_ladder,
    verdict_label,
)

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


def md_name(text: Any, limit: int = 80) -> str:
    """A name from the data, cut to ``limit`` characters, then escaped."""
    return md(clip(text, limit).shown)


# -- evidence, by block type ----------------------------------------------------------------


def md_table(table: Table, limit: int = MAX_ROWS) -> list[str]:
    """A Markdown table of at most ``limit`` rows, then how many more result.json holds."""
    if not table.columns:
        return []
    rows, more = ev.head(table, limit)
    columns = ev.display_columns(table)
    lines = ["| " + " | ".join(md_name(c, HEADER_LIMIT) or " " for c in columns) + " |"]
    lines.append("|" + "---|" * len(columns))
    lines += [
        "| " + " | ".join(md_name(value_text(r.get(c))) for c in columns) + " |" for r in rows
    ]
    if more:
        lines += ["", f"*… {more} more rows in result.json*"]
    return lines


def _heading(item: ev.Item) -> str:
    title = f" — {md_name(item.title, 120)}" if item.title and item.title != item.key else ""
    return f"**{md_name(item.key)}** ({md_name(item.type, 40)}){title}"


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
    "matrix": _table,
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
        return [f"**{md_name(item.key)}**", "", *md_table(table), ""]
    return [f"- **{md_name(item.key)}:** {md(clip_message(_plain(item.raw), 300))}"]


def _plain(value: Any) -> str:
    if isinstance(value, Mapping):
        return ", ".join(f"{k} = {value_text(v)}" for k, v in value.items())
    if isinstance(value, list):
        shown = ", ".join(value_text(v) for v in value[:MAX_ROWS])
        return shown + (f", … ({len(value) - MAX_ROWS} more)" if len(value) > MAX_ROWS else "")
    return value_text(value)


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
        # inside an HTML block: escaped and on one line (a blank line would end the block)
        summary = html_text(f"{c.status} · {clip(c.id).shown}")
        body = evidence_markdown(c.evidence)
        while body and body[-1] == "":
            body.pop()
        lines += ["", f"<details><summary>{_STATUS_ICON.get(c.status, '')} {summary}</summary>"]
        lines += ["", *body, "", "</details>"]
    if len(shown) > max_checks:
        lines += ["", f"*… the evidence of {len(shown) - max_checks} more in the HTML report*"]
    return lines


# -- the summary ----------------------------------------------------------------------------


def _finding(f: Finding) -> str:
    stages = ", ".join(md_name(s, 40) for s in f.stages)
    if f.check is None:
        return f"- ❌ stage {stages}: {md(clip_message(f.text, 300))}"
    c = f.check
    icon = _STATUS_ICON.get(c.status, "")
    text = md(clip_message(f.text, 300))
    return f"- {icon} **{md_name(c.id)}** {md_name(c.status, 20)} (stage {stages}): {text}"


_RUNG = {"reached": "✅", "held": "❌", "after": "⏸️"}


def _ladder(ladder: Ladder) -> str:
    """``**Stage ladder:** offline ✅ → shadow ❌ → canary ⏸️ — held at shadow...``"""
    steps = " → ".join(
        f"{md_name(r.name, 40)} {_ICON.get(r.verdict, '') if ladder.partial else _RUNG[r.state]}"
        for r in ladder.rungs
    )
    return f"**Stage ladder:** {steps} — {md(ladder.text)}"


def render_summary(result: Mapping[str, Any], *, max_checks: int = 30) -> str:
    """The summary: the overall verdict, the verdict per stage, one line per check that held
    or warned a stage (with its key number), then every non-passing check and the passing
    ones up to ``max_checks`` rows per stage, then the evidence of the checks that did not
    pass (up to ``max_checks``)."""
    gate = result.get("gate") or {}
    lines = [f"## mlgate: {md_name(gate.get('name', ''), 120)} — **{md(headline(result))}**", ""]
    partial = partial_reason(result)
    if partial:
        on_those = verdict_label(result.get("verdict", "hold"))
        lines += [
            f"> ⚠️ **Not a final verdict:** {md(clip_message(partial, 300))}. The stage verdicts "
            f"below count only the checks that ran ({md(on_those)} on those); run every planned "
            "check for a verdict.",
            "",
        ]
    ladder = stage_ladder(result)
    if ladder.rungs:
        lines += [_ladder(ladder), ""]
    lines += ["| stage | verdict | checks |", "|---|---|---|"]
    for s in result.get("stages", []):
        counts = ", ".join(f"{value_text(n)} {k}" for k, n in s.get("counts", {}).items() if n)
        lines.append(
            f"| {md_name(s.get('name', ''))} | {_ICON.get(s.get('verdict'), '')} "
            f"{md(verdict_label(s.get('verdict')))} | {md(counts)} |"
        )
    lines_of = findings(result)
    for title, group in (
        ("Blocking checks that did not pass", [f for f in lines_of if f.blocking]),
        ("Warnings", [f for f in lines_of if not f.blocking]),
    ):
        if group:
            lines += ["", f"**{title}:**", ""]
            lines += [_finding(f) for f in group]
    by_stage = checks_by_stage(result)
    for stage, checks in by_stage.items():
        lines += [
            "",
            f"### {md_name(stage)}",
            "",
            "| | check | statistic | n |",
            "|---|---|---|---|",
        ]
        for c in checks[:max_checks]:
            stat = (
                md(clip_message(c.statistic, 200))
                if c.statistic
                else md(clip_message(c.message, 200))
            )
            lines.append(
                f"| {_STATUS_ICON.get(c.status, '')} {md_name(c.status, 20)} | {md_name(c.id)} | "
                f"{stat} | {md_name(c.sample_size, 20)} |"
            )
        if len(checks) > max_checks:
            lines.append(f"| | … {len(checks) - max_checks} more in the HTML report | | |")
    lines += _evidence_section([c for cs in by_stage.values() for c in cs], max_checks)
    run = result.get("run") or {}
    lines += [
        "",
        f"<sub>gate file {md_name(gate.get('file', ''), 120)} · "
        f"seed {md_name(value_text(run.get('seed')), 40)} · "
        + (f"engine {md_name(engine, 120)} · " if (engine := engine_note(result)) else "")
        + f"mlgate {md_name(result.get('mlgate_version', ''), 40)}</sub>",
        "",
    ]
    return "\n".join(lines)
