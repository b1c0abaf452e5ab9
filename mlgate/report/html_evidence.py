"""Evidence in the HTML report: one renderer per block type, chosen by the block's tag.

A renderer turns one evidence item into an :class:`EvidenceView`: figures (inline SVG),
tables and notes. The template shows a view's figures, then its data: folded under the plot
when there is one (the plot says what the numbers say), open under the key otherwise. Plain
values keep their generic display (table of records, key/value list, values, scalar).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup

from mlgate.core.evidence import MAX_ROWS, Table
from mlgate.report import evidence as ev


@dataclass(frozen=True)
class TableView:
    """A table for the template: raw cells (the template formats and escapes them), at most
    :data:`~mlgate.core.evidence.MAX_ROWS` rows, and how many more there are."""

    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]
    more: int = 0


@dataclass(frozen=True)
class EvidenceView:
    """What the report shows for one evidence entry. ``shape`` is ``block`` (figures,
    tables, notes), or for a plain value ``table``, ``mapping``, ``list`` or ``scalar``."""

    key: str
    shape: str
    figures: tuple[Markup, ...] = ()
    tables: tuple[TableView, ...] = ()
    notes: tuple[str, ...] = ()
    value: Any = None

    @property
    def folded(self) -> bool:
        """True when the tables are the data of the figures above them."""
        return bool(self.figures)


Check = Mapping[str, Any] | None
Renderer = Callable[[ev.Item, Check], EvidenceView]


def table_view(table: Table, title: str = "") -> TableView:
    """At most MAX_ROWS rows of ``table``, its columns in display order
    (:func:`mlgate.report.evidence.display_columns`)."""
    rows, more = ev.head(table, MAX_ROWS)
    columns = ev.display_columns(table)
    cells = tuple(tuple(r.get(c) for c in columns) for r in rows)
    return TableView(title or table.title, columns, cells, more)


def _plotted(item: ev.Item, check: Check = None) -> EvidenceView:
    """reliability, bars, histogram, curve: the figure (with the bounds the check judged
    its numbers against), and the block's data folded."""
    fig = ev.figure(item, check)
    table = table_view(ev.data_table(item))
    if fig is None:
        return EvidenceView(item.key, "block", tables=(table,), notes=("nothing to draw",))
    return EvidenceView(
        item.key,
        "block",
        figures=(Markup(fig.svg),),  # matplotlib escaped every text it wrote into the SVG
        tables=(table,),
        notes=(fig.note,) if fig.note else (),
    )


def _table(item: ev.Item, check: Check = None) -> EvidenceView:
    """table, examples, and any type without a renderer of its own: a table."""
    return EvidenceView(item.key, "block", tables=(table_view(ev.data_table(item)),))


def _blocks(item: ev.Item, check: Check = None) -> EvidenceView:
    """Several blocks under one key: each rendered by its own type, in order."""
    figures: list[Markup] = []
    tables: list[TableView] = []
    notes: list[str] = []
    parts = ev.sub_items(item)
    for part in parts:
        if len(figures) >= ev.MAX_FIGURES and part.type in ev.FIGURES:
            view = _table(part)
            notes.append(f"{part.key}: not drawn (at most {ev.MAX_FIGURES} plots per entry)")
        else:
            view = render(part, check)
        figures += view.figures
        tables += [TableView(t.title or part.key, t.columns, t.rows, t.more) for t in view.tables]
        notes += [f"{part.key}: {n}" for n in view.notes]
    if not parts:
        return EvidenceView(item.key, "block", notes=("no blocks",))
    return EvidenceView(item.key, "block", tuple(figures), tuple(tables), tuple(notes))


#: type → renderer. A type missing here is shown as its table (:func:`_table`).
RENDERERS: dict[str, Renderer] = {
    "reliability": _plotted,
    "bars": _plotted,
    "histogram": _plotted,
    "curve": _plotted,
    "matrix": _plotted,
    "table": _table,
    "examples": _table,
    "blocks": _blocks,
}


def render(item: ev.Item, check: Check = None) -> EvidenceView:
    """The view of one evidence item: its type's renderer, or the generic display."""
    if item.type:
        return RENDERERS.get(item.renderer_type, _table)(item, check)
    table = ev.plain_table(item.raw)
    if table is not None:
        return EvidenceView(item.key, "table", tables=(table_view(table),))
    if isinstance(item.raw, Mapping):
        return EvidenceView(item.key, "mapping", value=item.raw)
    if isinstance(item.raw, list):
        return EvidenceView(item.key, "list", value=item.raw[:MAX_ROWS])
    return EvidenceView(item.key, "scalar", value=item.raw)


def evidence_views(evidence: Any, check: Check = None) -> list[EvidenceView]:
    """The views of a check's evidence entries, in order. ``check`` (the result.json entry
    the evidence belongs to) gives the bounds drawn on its plots."""
    return [render(item, check) for item in ev.items(evidence)]


#: Rows above which a table that no plot replaces is folded under its key.
FOLD_ROWS = 12


def _fact(view: EvidenceView) -> bool:
    """A scalar, a short list of scalars or a flat mapping of scalars: one line of facts."""
    if view.shape == "scalar":
        return True
    if view.shape == "list":
        return len(view.value) <= 12 and all(not isinstance(v, (Mapping, list)) for v in view.value)
    if view.shape == "mapping":
        return len(view.value) <= 8 and all(
            not isinstance(v, (Mapping, list)) for v in view.value.values()
        )
    return False


def check_evidence(
    check: Mapping[str, Any],
) -> tuple[tuple[tuple[str, Any], ...], list[EvidenceView]]:
    """What the report shows of one check's evidence: its facts (scalars, short lists, flat
    mappings) as ``(key, value)`` pairs for one compact line, then the views of everything
    else: those with plots first, then tables and long values, each in evidence order."""
    facts: list[tuple[str, Any]] = []
    views: list[EvidenceView] = []
    for view in evidence_views(check.get("evidence") or {}, check):
        if _fact(view):
            facts.append((view.key, view.value))
        else:
            views.append(view)
    # plots first (what a reviewer looks at), then the tables no plot replaces; each group in
    # evidence order
    return tuple(facts), sorted(views, key=lambda v: not v.figures)
