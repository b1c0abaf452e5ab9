"""The card as a document: its sections in order, made from a built :class:`ModelCard`.

The Markdown and HTML renderers walk the same document, so both show the same facts in the
same order; only escaping and markup differ.
"""

from __future__ import annotations

from mlgate.report.card import fmt
from mlgate.report.card.analyses import quantitative_section
from mlgate.report.card.blocks import Fields, Section, TableBlock, Text
from mlgate.report.card.blocks import field as _field
from mlgate.report.card.blocks import link as _link
from mlgate.report.card.build import DatasetInfo, ModelCard
from mlgate.report.card.evidence import Table
from mlgate.report.text import clip, clip_message, verdict_label


def card_document(card: ModelCard) -> tuple[Section, ...]:
    """The card's sections in order: details, intended use, factors, metrics, verdict,
    data, quantitative analyses, ethics, caveats, and what is missing."""
    return (
        _summary(card),
        _details(card),
        _intended_use(card),
        _factors(card),
        _metrics_text(card),
        _verdicts(card),
        _evaluation_data(card),
        _training_data(card),
        quantitative_section(card),
        _ethics(card),
        _caveats(card),
        _missing(card),
    )


def _summary(card: ModelCard) -> Section:
    g, run = card.gate, card.run
    md, p = card.spec.model_details, "model_card.model_details."
    blocks: list[Fields | Text | TableBlock] = []
    if md.overview:
        blocks.append(Text(md.overview))
    blocks.append(
        Fields(
            (
                # shown above when given; a field only to say it is missing
                _field("Overview", None, None if md.overview else p + "overview"),
                _field("Gate verdict", _verdict_text(card)),
                _field("Stage reached", card.ladder.text if card.ladder.rungs else None),
                _field("Gate", f"{g['name']} ({g['file']})" if g["file"] else g["name"]),
                _field("Gate description", g["description"] or None),
                _field("Task", g["task"] or None),
                _field("Stages decided", ", ".join(fmt_list(run.get("stages"))) or None),
                _field("Seed", fmt.num(run.get("seed")) if run.get("seed") is not None else None),
                _field("Run finished", run.get("finished_at")),
                _field("Written by", f"mlgate {card.mlgate_version}".strip()),
            )
        )
    )
    return Section("summary", "Summary", tuple(blocks))


def _verdict_text(card: ModelCard) -> str | None:
    """The verdict as words; for a partial run, that it is none (and why)."""
    if card.partial:
        on_those = verdict_label(card.verdict or "hold")
        return (
            f"PARTIAL RUN, not a final verdict: {clip_message(card.partial, 300)} "
            f"({on_those} on the checks that ran)"
        )
    return verdict_label(card.verdict) if card.verdict else None


def fmt_list(x: object) -> list[str]:
    return [str(v) for v in x] if isinstance(x, (list, tuple)) else []


def _details(card: ModelCard) -> Section:
    md = card.spec.model_details
    p = "model_card.model_details."
    owners = [f"{o.name} ({o.contact})" if o.contact else o.name for o in md.owners]
    lic = md.license.identifier or md.license.custom_text if md.license else None
    cites = [f"{c.citation} ({c.style})" if c.style else c.citation for c in md.citations]
    fields = (
        _field("Name", md.name, p + "name"),
        _field("Version", md.version, p + "version"),
        _field("Date", md.date.isoformat() if md.date else None, p + "date"),
        _field("Changes from the previous version", md.changes),
        _field("Owners", owners, p + "owners"),
        _field("License", lic, p + "license"),
        _field("Citation", cites, p + "citations"),
        _field("References", [_link(r) for r in md.references], p + "references"),
        _field("Other resources", md.resources),
        _field("Model type / architecture", card.architecture, p + "architecture"),
        _field("Training algorithm", md.training_algorithm, p + "training_algorithm"),
        _field("Training parameters", md.training_parameters),
        _field("Fairness constraints", md.fairness_constraints, p + "fairness_constraints"),
        _field("Input format", card.input_format),
        _field("Output format", md.output_format, p + "output_format"),
    )
    blocks: list[Fields | Text | TableBlock] = [Fields(fields)]
    if md.description:
        blocks.insert(0, Text(md.description))
    else:
        blocks.insert(0, Fields((_field("Description", None, p + "description"),)))
    return Section("model-details", "Model details", tuple(blocks), _model_children(card))


def _model_children(card: ModelCard) -> tuple[Section, ...]:
    out = []
    m = card.candidate
    if m is None:
        out.append(
            Section(
                "model-parameters",
                "Model parameters",
                (Text("The candidate model was not loaded in this run.", "note"),),
            )
        )
    else:
        blocks: list[Fields | Text | TableBlock] = [
            Fields(
                (
                    _field("Class", m.cls or None),
                    _field("Kind", m.kind or None),
                    _field("Identity", m.identity or None),
                    *(_field(f"Source ({k})", v) for k, v in m.source),
                    *(_field(fmt.humanize(k), v) for k, v in m.extra),
                )
            )
        ]
        if m.params:
            blocks.append(TableBlock(Table("Parameters", ("parameter", "value"), m.params)))
        out.append(Section("model-parameters", "Model parameters", tuple(blocks)))
    if card.other_models:
        rows = tuple((o.role, o.cls, o.kind, o.identity) for o in card.other_models)
        table = Table("Other models in the gate", ("role", "class", "kind", "identity"), rows)
        out.append(Section("other-models", "Other models", (TableBlock(table),)))
    return tuple(out)


def _intended_use(card: ModelCard) -> Section:
    u, p = card.spec.intended_use, "model_card.intended_use."
    return Section(
        "intended-use",
        "Intended use",
        (
            Fields(
                (
                    _field("Primary intended uses", u.primary_uses, p + "primary_uses"),
                    _field("Primary intended users", u.primary_users, p + "primary_users"),
                    _field("Out-of-scope uses", u.out_of_scope_uses, p + "out_of_scope_uses"),
                )
            ),
        ),
    )


def _factors(card: ModelCard) -> Section:
    f, p = card.spec.factors, "model_card.factors."
    data = [d for d in (*card.evaluation_data, card.training_data) if d and d.loaded]
    sensitive = sorted({s for d in data for s in d.sensitive})
    slices = sorted({s for d in data for s in d.slices})
    return Section(
        "factors",
        "Factors",
        (
            Fields(
                (
                    _field("Relevant factors", f.relevant, p + "relevant"),
                    _field("Evaluation factors", f.evaluation, p + "evaluation"),
                    _field("Sensitive attributes declared in the data", sensitive or None),
                    _field("Slice columns declared in the data", slices or None),
                )
            ),
        ),
    )


def _metrics_text(card: ModelCard) -> Section:
    m, p = card.spec.metrics, "model_card.metrics."
    used = sorted({c.metric for c in card.metrics if c.metric and c.is_candidate})
    measures = [x for x in (m.performance_measures,) if x]
    if used:
        measures.append("measured by the gate: " + ", ".join(used))
    thresholds = [x for x in (m.decision_thresholds,) if x]
    if card.metrics:
        thresholds.append("the gate's thresholds per stage are in Quantitative analyses")
    variation = [x for x in (m.variation_approaches,) if x]
    variation += [f"{t} confidence intervals" for t in card.interval_methods()]
    return Section(
        "metrics",
        "Metrics",
        (
            Fields(
                (
                    _field("Performance measures", measures, p + "performance_measures"),
                    _field("Decision thresholds", thresholds, p + "decision_thresholds"),
                    _field("Variation approaches", variation, p + "variation_approaches"),
                )
            ),
        ),
    )


def _verdicts(card: ModelCard) -> Section:
    statuses = ("passed", "failed", "warned", "inconclusive", "error", "skipped")
    rows = []
    for s in card.stages:
        counts = dict(s.counts)
        reasons = "; ".join(clip_message(r, 300) for r in s.reasons)
        rows.append(
            (s.name, verdict_label(s.verdict), *(str(counts.get(k, 0)) for k in statuses), reasons)
        )
    if not rows:
        return Section("gate-verdict", "Gate verdict", (Text("No stage was decided.", "note"),))
    table = Table("Stage verdicts", ("stage", "verdict", *statuses, "reasons"), tuple(rows))
    steps = " → ".join(
        f"{clip(r.name, 40).shown} ({verdict_label(r.verdict).lower()})" for r in card.ladder.rungs
    )
    ladder = Text(f"Stage ladder, in gate-file order: {steps}; {card.ladder.text}.", "note")
    if card.partial:
        note = Text(f"Partial run, not a final verdict: {clip_message(card.partial, 300)}.")
        return Section("gate-verdict", "Gate verdict", (note, ladder, TableBlock(table)))
    return Section("gate-verdict", "Gate verdict", (ladder, TableBlock(table)))


def _dataset_table(title: str, data: tuple[DatasetInfo, ...]) -> Table:
    cols = ("dataset", "rows", "features", "label", "time", "sensitive", "slices", "fingerprint")
    rows = []
    for d in data:
        if not d.loaded:
            rows.append((d.role, "not loaded in this run", *("",) * 6))
            continue
        rows.append(
            (
                d.role,
                fmt.num(d.rows),
                str(len(d.features)),
                d.label or fmt.NONE,
                d.time or fmt.NONE,
                ", ".join(d.sensitive) or fmt.NONE,
                ", ".join(d.slices) or fmt.NONE,
                d.fingerprint or fmt.NONE,
            )
        )
    return Table(title, cols, tuple(rows))


def _data_section(card: ModelCard, which: str, data: tuple[DatasetInfo, ...]) -> Section:
    info = getattr(card.spec, which)
    p = f"model_card.{which}."
    title = "Evaluation data" if which == "evaluation_data" else "Training data"
    blocks: list[Fields | Text | TableBlock] = [
        Fields(
            (
                _field("Name", info.name),
                _field("Description", info.description, p + "description"),
                _field("Link", _link(info.link) if info.link else None),
                _field("Preprocessing", info.preprocessing),
                _field("Sensitive data", info.sensitive_data),
            )
        )
    ]
    if data:
        blocks.append(TableBlock(_dataset_table(f"{title} in this run", data)))
    elif which == "training_data":
        blocks.append(
            Text(
                "Rows and fingerprint are filled in when model_card.training_data.dataset "
                "names the gate's training dataset and a check loads it.",
                "note",
            )
        )
    return Section(which.replace("_", "-"), title, tuple(blocks))


def _evaluation_data(card: ModelCard) -> Section:
    return _data_section(card, "evaluation_data", card.evaluation_data)


def _training_data(card: ModelCard) -> Section:
    data = (card.training_data,) if card.training_data else ()
    return _data_section(card, "training_data", data)


def _ethics(card: ModelCard) -> Section:
    risks = card.spec.considerations.ethical_considerations
    if not risks:
        field = _field(
            "Ethical considerations", None, "model_card.considerations.ethical_considerations"
        )
        return Section("ethical-considerations", "Ethical considerations", (Fields((field,)),))
    rows = tuple((r.name, r.mitigation_strategy or fmt.NONE) for r in risks)
    table = Table("Risks", ("risk", "mitigation strategy"), rows)
    return Section("ethical-considerations", "Ethical considerations", (TableBlock(table),))


def _caveats(card: ModelCard) -> Section:
    c, p = card.spec.considerations, "model_card.considerations."
    return Section(
        "caveats",
        "Caveats and recommendations",
        (
            Fields(
                (
                    _field("Limitations", c.limitations, p + "limitations"),
                    _field("Trade-offs", c.tradeoffs, p + "tradeoffs"),
                    _field("Caveats", c.caveats),
                    _field("Recommendations", c.recommendations, p + "recommendations"),
                )
            ),
        ),
    )


def _missing(card: ModelCard) -> Section:
    if not card.missing:
        return Section("missing", "Missing information", (Text("Nothing is missing.", "note"),))
    rows = tuple((label, f"model_card.{path}") for path, label in card.missing)
    table = Table("Fields nobody filled in", ("field", "gate-file key"), rows)
    intro = Text(
        "These facts only people know were not given in the gate file's model_card: section; "
        "the card does not guess them."
    )
    return Section("missing", "Missing information", (intro, TableBlock(table)))
