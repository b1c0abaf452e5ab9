"""The card in the Model Card Toolkit's JSON format (schema v0.0.2).

Only fields that schema defines are written, so the document validates and loads in tools
that read the format. What it has no field for (confidence intervals, out-of-scope uses,
factors, caveats and recommendations, stage verdicts, evidence tables) is in the Markdown and
HTML cards only. Unfilled fields are left out rather than invented.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mlgate.config.card import DataInfo
from mlgate.report.card.build import DatasetInfo, ModelCard, build_card

MCT_SCHEMA_VERSION = "0.0.2"
# Checks whose statistic describes the candidate's performance: their value is a
# performance metric, and each bar of their Bars(over="slice") evidence one per slice.
PERFORMANCE_KINDS = ("metric", "slice", "calibration")


def _prune(obj: Any) -> Any:
    """Drop None, empty strings, empty lists and empty objects, recursively."""
    if isinstance(obj, Mapping):
        out = {k: _prune(v) for k, v in obj.items()}
        return {k: v for k, v in out.items() if v not in (None, "", [], {})}
    if isinstance(obj, list):
        return [v for v in (_prune(x) for x in obj) if v not in (None, "", [], {})]
    return obj


def _dataset(d: DatasetInfo, info: DataInfo, purpose: str) -> dict[str, Any]:
    applies = info.dataset is None or info.dataset == d.role
    parts = [f"{purpose} data (gate dataset {d.role!r}): {d.summary()}."]
    if applies and info.description:
        parts.append(info.description)
    if applies and info.preprocessing:
        parts.append(f"Preprocessing: {info.preprocessing}")
    sensitive = [*(info.sensitive_data if applies else []), *d.sensitive]
    return {
        "name": (info.name if applies and info.name else d.role),
        "link": info.link if applies else None,
        "sensitive": {"sensitive_data": sensitive},
        "description": " ".join(parts),
    }


def _performance(card: ModelCard) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    seen: set[tuple[str, str]] = set()

    def add(metric: str, value: float, dataset: str | None, slice_: str = "") -> None:
        kind = metric if dataset in (None, "evaluation") else f"{metric} ({dataset})"
        if (kind, slice_) in seen:
            return
        seen.add((kind, slice_))
        out.append({"type": kind, "value": value, **({"slice": slice_} if slice_ else {})})

    for c in card.all_checks:
        if c.kind not in PERFORMANCE_KINDS or not c.is_candidate:
            continue
        if c.metric and c.value is not None:
            add(c.metric, c.value, c.dataset)
        for m in c.slice_metrics:  # Bars over="slice": one metric per slice
            if m.quantity or c.metric:
                add(m.quantity or c.metric or "", m.value, c.dataset, m.slice)
    return out


def mct_document(card: ModelCard) -> dict[str, Any]:
    """A built card as a Model Card Toolkit v0.0.2 document (a JSON-able dict)."""
    md = card.spec.model_details
    lic = md.license
    details = {
        "name": card.name,
        "overview": md.overview,
        "documentation": md.description,
        "owners": [{"name": o.name, "contact": o.contact} for o in md.owners],
        "version": {
            "name": md.version,
            "date": md.date.isoformat() if md.date else None,
            "diff": md.changes,
        },
        "licenses": [{"identifier": lic.identifier, "custom_text": lic.custom_text}] if lic else [],
        "references": [{"reference": r} for r in md.references],
        "citations": [{"style": c.style, "citation": c.citation} for c in md.citations],
    }
    data = []
    if card.training_data is not None:
        data.append(_dataset(card.training_data, card.spec.training_data, "Training"))
    data += [_dataset(d, card.spec.evaluation_data, "Evaluation") for d in card.evaluation_data]
    cons = card.spec.considerations
    use = card.spec.intended_use
    doc = {
        "schema_version": MCT_SCHEMA_VERSION,
        "model_details": details,
        "model_parameters": {
            "model_architecture": card.architecture,
            "data": data,
            "input_format": card.input_format,
            "output_format": md.output_format,
        },
        "quantitative_analysis": {"performance_metrics": _performance(card)},
        "considerations": {
            "users": [{"description": u} for u in use.primary_users],
            "use_cases": [{"description": u} for u in use.primary_uses],
            "limitations": [{"description": x} for x in cons.limitations],
            "tradeoffs": [{"description": x} for x in cons.tradeoffs],
            "ethical_considerations": [
                {"name": r.name, "mitigation_strategy": r.mitigation_strategy}
                for r in cons.ethical_considerations
            ],
        },
    }
    return _prune(doc)


def card_json(result: Mapping[str, Any]) -> dict[str, Any]:
    """The model card of a ``result.json`` document as a Model Card Toolkit v0.0.2 document
    (a dict that validates against that JSON schema). Raises what :func:`build_card`
    raises."""
    return mct_document(build_card(result))
