"""The card's "Quantitative analyses" section: the metrics table, then one section per
check kind (slices, calibration, baselines, champion comparison, drift) and other checks,
each check with its statistic, interval, threshold and evidence (tables, and plots that the
HTML card draws)."""

from __future__ import annotations

from mlgate.report.card import fmt
from mlgate.report.card.blocks import Block, Fields, PlotBlock, Section, TableBlock, Text, field
from mlgate.report.card.build import SECTION_KINDS, CheckInfo, ModelCard
from mlgate.report.card.evidence import Plot, Table


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
    return Section(anchor, f"{c.check_id} ({c.kind})", tuple(blocks))


def _slug(text: str) -> str:
    return "".join(ch if ch.isalnum() else "-" for ch in text.lower()).strip("-")[:40] or "x"


def quantitative_section(card: ModelCard) -> Section:
    children = []
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
