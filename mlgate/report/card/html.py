"""The card as one self-contained HTML file (Jinja2, autoescaped, inline CSS and SVG plots,
no scripts).

The template is package data (``templates/card.html.j2``). Autoescaping is on for every
template, whatever its name, so names and values from the result are shown as text.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from markupsafe import Markup

from mlgate.report.card.blocks import Link, PlotBlock
from mlgate.report.card.build import ModelCard, build_card
from mlgate.report.card.layout import card_document
from mlgate.report.text import HEADER_LIMIT, clip, verdict_label

TEMPLATE = "card.html.j2"
#: Rows above which a table is folded (a ``<details>`` saying how many rows it holds).
FOLD_ROWS = 10
STATUS_COLUMNS = frozenset({"status", "verdict"})
KNOWN_STATUSES = frozenset(
    {"passed", "failed", "warned", "inconclusive", "error", "skipped"}
    | {"promote", "promote_with_warnings", "hold"}
)


def _status_class(column: str, value: str) -> str:
    key = str(value).lower().replace(" ", "_")  # a verdict is shown as words
    return f"st-{key}" if column in STATUS_COLUMNS and key in KNOWN_STATUSES else ""


def _environment():
    import jinja2  # a core dependency; imported here so the card package imports without it

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("mlgate.report.card", "templates"),
        autoescape=True,  # every template, whatever its file name
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=False,
    )
    env.globals.update(
        is_link=lambda v: isinstance(v, Link),
        status_class=_status_class,
        draw=_draw,
        verdict_label=verdict_label,
        clip=clip,
        fold_rows=FOLD_ROWS,
        header_limit=HEADER_LIMIT,
    )
    return env


def _draw(b: PlotBlock) -> Markup:
    """The plot's SVG as markup (matplotlib escapes every text it writes into it); empty
    when nothing in the data can be drawn."""
    svg = b.plot.svg()
    return Markup(svg) if svg else Markup("")


def render_html(card: ModelCard) -> str:
    """The HTML text of a built card."""
    finished = card.run.get("finished_at")
    provenance = f"Gate {card.gate['name']}"
    if card.gate["file"]:
        provenance += f" ({card.gate['file']})"
    if card.gate["task"]:
        provenance += f", task {card.gate['task']}"
    if finished:
        provenance += f", run finished {finished}"
    verdict = card.verdict if card.verdict in KNOWN_STATUSES else ""
    if card.partial:
        verdict = "partial"
        provenance += "; a partial run: not every planned check ran, so no final verdict"
    template = _environment().get_template(TEMPLATE)
    return template.render(
        card=card,
        sections=card_document(card),
        provenance=provenance,
        verdict_class=f"v-{verdict}" if verdict else "",
    )


def card_html(result: Mapping[str, Any]) -> str:
    """The model card of a ``result.json`` document as one self-contained HTML page (inline
    CSS, no scripts, no external resources). Raises what :func:`build_card` raises."""
    return render_html(build_card(result))
