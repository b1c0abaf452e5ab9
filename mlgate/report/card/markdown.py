"""The card as Markdown, with a Hugging Face-style YAML metadata header.

Every string from the result is escaped: HTML-significant characters become entities and
Markdown punctuation is backslash-escaped, so names and values show as text and never as
markup. The header is written with PyYAML's safe dumper, so it parses back to the exact
strings.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

import yaml

from mlgate.report.card import fmt
from mlgate.report.card.blocks import Fields, Link, PlotBlock, Section, TableBlock, Text
from mlgate.report.card.build import ModelCard, build_card
from mlgate.report.card.evidence import Table
from mlgate.report.card.layout import card_document
from mlgate.report.mdtext import md
from mlgate.report.text import clip_message

HF_TASK = {
    "binary": ("tabular-classification", "Binary classification"),
    "multiclass": ("tabular-classification", "Multiclass classification"),
    "regression": ("tabular-regression", "Regression"),
}
HF_LIBRARY = {"sklearn": "sklearn", "torch": "pytorch"}


def _value(v: object) -> str:
    if isinstance(v, Link):
        href = quote(v.href, safe=":/?#@!$&'*+,;=%~-._")  # no spaces, brackets, parentheses
        return f"[{md(v.text)}]({href})"
    return md(v)


def _table(t: Table) -> list[str]:
    if not t.columns:
        return []
    lines = [f"**{md(t.title)}**", ""] if t.title else []
    lines.append("| " + " | ".join(md(c) or " " for c in t.columns) + " |")
    lines.append("|" + "---|" * len(t.columns))
    lines += ["| " + " | ".join(md(c) for c in row) + " |" for row in t.rows]
    if t.note:
        lines += ["", f"*{md(t.note)}*"]
    return [*lines, ""]


def _fields(f: Fields) -> list[str]:
    lines = []
    for item in f.items:
        label = f"**{md(item.label)}:**"
        if not item.values:
            if item.missing:
                lines.append(f"- {label} *missing* (`{item.missing}`)")
            continue
        if len(item.values) == 1:
            lines.append(f"- {label} {_value(item.values[0])}")
        else:
            lines.append(f"- {label}")
            lines += [f"  - {_value(v)}" for v in item.values]
    return [*lines, ""] if lines else []


def _section(s: Section, level: int) -> list[str]:
    lines = [f"{'#' * level} {md(s.title)}", ""]
    captions = [b.caption for b in s.blocks if isinstance(b, PlotBlock) and b.caption]
    for b in s.blocks:
        if isinstance(b, Text):
            lines += [f"*{md(b.text)}*" if b.style == "note" else md(b.text), ""]
        elif isinstance(b, Fields):
            lines += _fields(b)
        elif isinstance(b, TableBlock):
            lines += _table(b.table)
    if captions:  # the key plots: what the HTML card draws, by name
        lines += [f"- {md(c)}" for c in captions] + [""]
    for child in s.children:
        lines += _section(child, min(level + 1, 6))
    return lines


def hf_metadata(card: ModelCard) -> dict[str, Any]:
    """The YAML header's content: license, library, tags and ``model-index`` results (one
    per dataset) from the candidate's metric checks, each metric once."""
    meta: dict[str, Any] = {}
    lic = card.spec.model_details.license
    if lic is not None:
        meta["license"] = lic.identifier.lower() if lic.identifier else "other"
    if card.candidate and card.candidate.kind in HF_LIBRARY:
        meta["library_name"] = HF_LIBRARY[card.candidate.kind]
    task_type, task_name = HF_TASK.get(card.gate["task"], (card.gate["task"] or "other", ""))
    meta["tags"] = ["mlgate", "model-card", task_type, *card.spec.model_details.tags]
    results: dict[str, list[dict[str, Any]]] = {}
    seen: set[tuple[str, str]] = set()
    for c in card.metrics:
        ds = c.dataset or "evaluation"
        if not c.is_candidate or c.value is None or (ds, c.metric or "") in seen:
            continue
        seen.add((ds, c.metric or ""))
        name = c.metric or ""
        if c.interval:
            low, high = fmt.num(c.interval.get("low")), fmt.num(c.interval.get("high"))
            name += f" ({_level(c.interval)}CI {low} to {high})"
        results.setdefault(ds, []).append({"type": c.metric, "value": c.value, "name": name})
    task = {"type": task_type, **({"name": task_name} if task_name else {})}
    meta["model-index"] = [
        {
            "name": card.name,
            "results": [
                {"task": task, "dataset": {"name": ds, "type": ds}, "metrics": metrics}
                for ds, metrics in results.items()
            ],
        }
    ]
    return meta


def _level(iv: Mapping[str, Any]) -> str:
    level = fmt.finite(iv.get("level"))
    return f"{level:.0%} " if level is not None else ""


def render_markdown(card: ModelCard) -> str:
    """The Markdown text of a built card (header, title, provenance line, sections)."""
    header = yaml.safe_dump(
        hf_metadata(card), sort_keys=False, allow_unicode=True, default_flow_style=False, width=100
    )
    g = card.gate
    source = f"gate {md(g['name'])}" + (f" ({md(g['file'])})" if g["file"] else "")
    finished = card.run.get("finished_at")
    provenance = f"*Generated by mlgate {md(card.mlgate_version)} from the result of {source}"
    provenance += f", run finished {md(finished)}*" if finished else "*"
    if card.partial:
        provenance += (
            "\n\n> **Partial run, not a final verdict:** "
            f"{md(clip_message(card.partial, 300))}. Its numbers cover only the checks that ran."
        )
    lines = ["---", header.rstrip("\n"), "---", "", f"# {md(card.title)}", "", provenance, ""]
    for section in card_document(card):
        lines += _section(section, 2)
    while lines and lines[-1] == "":
        lines.pop()
    return "\n".join(lines) + "\n"


def card_markdown(result: Mapping[str, Any]) -> str:
    """The model card of a ``result.json`` document as Markdown with a Hugging Face-style
    YAML metadata header (``license``, ``library_name``, ``tags``, ``model-index``).

    Same result, same text. Raises what :func:`build_card` raises.
    """
    return render_markdown(build_card(result))
