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


Renderer = Callable[[ev.Item], EvidenceView]


def table_view(table: Table, title: str = "") -> TableView:
    rows, more = ev.head(table, MAX_ROWS)
    cells = tuple(tuple(r.get(c) for c in table.columns) for r in rows)
    return TableView(title or table.title, table.columns, cells, more)


def _plotted(item: ev.Item) -> EvidenceView:
    """reliability, bars, histogram, curve: the figure, and the block's data folded."""
    fig = ev.figure(item)
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


def _table(item: ev.Item) -> EvidenceView:
    """table, examples, and any type without a renderer of its own: a table."""
    return EvidenceView(item.key, "block", tables=(table_view(ev.data_table(item)),))


def _blocks(item: ev.Item) -> EvidenceView:
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
            view = render(part)
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
    "table": _table,
    "examples": _table,
    "blocks": _blocks,
}


def render(item: ev.Item) -> EvidenceView:
    """The view of one evidence item: its type's renderer, or the generic display."""
    if item.type:
        return RENDERERS.get(item.renderer_type, _table)(item)
    table = ev.plain_table(item.raw)
    if table is not None:
        return EvidenceView(item.key, "table", tables=(table_view(table),))
    if isinstance(item.raw, Mapping):
        return EvidenceView(item.key, "mapping", value=item.raw)
    if isinstance(item.raw, list):
        return EvidenceView(item.key, "list", value=item.raw[:MAX_ROWS])
    return EvidenceView(item.key, "scalar", value=item.raw)


def evidence_views(evidence: Any) -> list[EvidenceView]:
    """The views of a check's evidence entries, in order."""
    return [render(item) for item in ev.items(evidence)]
