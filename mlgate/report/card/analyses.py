"""The card's "Quantitative analyses" section: the key plots (ROC and precision–recall curves
and confusion matrices of the metric checks, reliability diagrams, per-slice bars with their
intervals, the candidate's paired difference to the champion, each with the bound it was
judged against; a plot two checks share is drawn once), the metrics table, then one section
per check kind (slices, calibration, baselines, champion comparison, drift) and other checks,
each check with its statistic, interval, threshold and evidence (tables, and plots that the
HTML card draws). Each check's section is folded in the HTML card, so the card stays short;
the key plots are open."""

from __future__ import annotations

import json

from mlgate.core.evidence import Bars
from mlgate.report.card import fmt
from mlgate.report.card.blocks import Block, Fields, PlotBlock, Section, TableBlock, Text, field
from mlgate.report.card.build import SECTION_KINDS, CheckInfo, ModelCard
from mlgate.report.card.evidence import Plot, Table
from mlgate.report.text import bound_text, clip

#: Key plots on the card, at most.
MAX_KEY_PLOTS = 6
#: Check kinds whose bars are the candidate's difference to the champion.
CHAMPION_KINDS = ("champion", "regression")
#: Check kinds whose curves are key plots (the ROC and precision–recall curves).
METRIC_KINDS = ("metric",)


def _metric_table(checks: tuple[CheckInfo, ...]) -> Table:
    cols = ("stages", "model", "dataset", "metric", "value", "interval", "threshold", "n")
    rows = tuple(
        (
            ", ".join(c.stages),
            c.model or fmt.NONE,
            c.dataset or fmt.NONE,
            c.metric or fmt.NONE,
            fmt.num(c.value),
            fmt.interval(c.interval) or fmt.NONE,
            fmt.threshold(c.threshold) or fmt.NONE,
            fmt.num(c.sample_size),
            c.status,
        )
        for c in checks
    )
    return Table("Metrics with confidence intervals", (*cols, "status"), rows)


def _check_section(c: CheckInfo, prefix: str) -> Section:
    head = [
        field("Status", f"{c.status} ({c.severity})"),
        field("Stages", ", ".join(c.stages) or None),
    ]
    if c.metric:
        stat = f"{c.metric} = {fmt.num(c.value)}"
        if c.interval:
            stat += f" {fmt.interval(c.interval, with_method=True)}"
        head.append(field("Statistic", stat))
    head += [
        field("Threshold", fmt.threshold(c.threshold) or None),
        field("Sample size", fmt.num(c.sample_size) if c.sample_size is not None else None),
        field("Method", c.method or None),
        field("Result", c.message or None),
    ]
    blocks: list[Block] = [Fields(tuple(head))]
    blocks += [PlotBlock(p) if isinstance(p, Plot) else TableBlock(p) for p in c.evidence.parts]
    if c.evidence.details:
        blocks.append(TableBlock(Table("Details", ("key", "value"), c.evidence.details)))
    anchor = f"{prefix}-{_slug(c.check_id)}-{_slug('-'.join(c.stages))}"
    summary = c.status
    if c.metric:
        summary += f" · {c.metric} = {fmt.num(c.value)}"
        if c.threshold:
            summary += f", needs {bound_text(c.threshold)}"
    return Section(anchor, f"{c.check_id} ({c.kind})", tuple(blocks), folded=True, summary=summary)


def _is_key_plot(plot: Plot, check: CheckInfo) -> bool:
    """A reliability diagram, a confusion matrix, the curve of a metric check (ROC,
    precision–recall), bars over slices with their intervals, or the paired difference of
    the candidate to the champion (bars of a champion check)."""
    if plot.type in ("reliability", "matrix"):
        return True
    if plot.type == "curve":
        return check.kind in METRIC_KINDS
    block = plot.item.block
    if not isinstance(block, Bars):
        return False
    if block.over == "slice":
        return block.low is not None
    return check.kind in CHAMPION_KINDS


def key_plots(card: ModelCard) -> tuple[PlotBlock, ...]:
    """The plots a reader looks at first, of the candidate's checks, in card order (at most
    :data:`MAX_KEY_PLOTS`); each captioned with its check."""
    out, seen = [], set()
    for c in card.all_checks:
        if not c.is_candidate:
            continue
        for p in c.evidence.plots:
            same = json.dumps(p.item.raw, sort_keys=True, default=str)  # drawn once
            if _is_key_plot(p, c) and len(out) < MAX_KEY_PLOTS and same not in seen:
                seen.add(same)
                out.append(PlotBlock(p, caption=f"{clip(c.check_id, 60).shown}: {p.title}"))
    return tuple(out)


def _slug(text: str) -> str:
    return "".join(ch if ch.isalnum() else "-" for ch in text.lower()).strip("-")[:40] or "x"


def quantitative_section(card: ModelCard) -> Section:
    children = []
    plots = key_plots(card)
    if plots:
        note = Text(
            "Drawn in the HTML card (model_card.html), each with the bound its check judged; "
            "their numbers are in each check's section below.",
            "note",
        )
        children.append(Section("key-plots", "Key plots", (note, *plots)))
    if card.metrics:
        blocks: list[Block] = [TableBlock(_metric_table(card.metrics))]
        methods = card.interval_methods()
        if methods:
            blocks.append(Text("Intervals: " + "; ".join(methods) + ".", "note"))
    else:
        blocks = [Text("Not measured in this run: no metric check ran.", "note")]
    children.append(Section("overall-metrics", "Overall metrics", tuple(blocks)))
    for i, (title, checks) in enumerate(card.sections):
        anchor = f"analysis-{i}"
        if not checks:
            kinds = " or ".join(SECTION_KINDS[i][1])
            note = Text(f"Not measured in this run: no {kinds} check ran.", "note")
            children.append(Section(anchor, title, (note,)))
            continue
        subs = tuple(_check_section(c, anchor) for c in checks)
        children.append(Section(anchor, title, (), subs))
    if card.other_checks:
        subs = tuple(_check_section(c, "other") for c in card.other_checks)
        children.append(Section("other-checks", "Other checks", (), subs))
    return Section("quantitative-analyses", "Quantitative analyses", (), tuple(children))
