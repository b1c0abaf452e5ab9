"""The blocks a card document is made of: sections of fields, text, tables and plots.

Every string is plain text (renderers escape it); links are :class:`Link` and only ever point
to http(s) URLs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from mlgate.report.card.evidence import Plot, Table


@dataclass(frozen=True)
class Link:
    text: str
    href: str


Value = str | Link


@dataclass(frozen=True)
class Field:
    """A labelled value; ``missing`` holds the key path to fill when nobody gave it."""

    label: str
    values: tuple[Value, ...]
    missing: str | None = None


@dataclass(frozen=True)
class Fields:
    block: ClassVar[str] = "fields"
    items: tuple[Field, ...]


@dataclass(frozen=True)
class Text:
    block: ClassVar[str] = "text"
    text: str
    style: str = "p"  # "p", or "note" for "not measured" / provenance lines


@dataclass(frozen=True)
class TableBlock:
    block: ClassVar[str] = "table"
    table: Table


@dataclass(frozen=True)
class PlotBlock:
    """A plot of evidence: drawn in the HTML card; the Markdown card shows the table that
    follows it."""

    block: ClassVar[str] = "plot"
    plot: Plot
    #: shown over the plot where its table does not follow it (the key plots)
    caption: str = ""


Block = Fields | Text | TableBlock | PlotBlock


@dataclass(frozen=True)
class Section:
    """A titled part of the card. A ``folded`` section is closed in the HTML card (a
    ``<details>`` showing its title and ``summary``); Markdown shows every section open."""

    anchor: str
    title: str
    blocks: tuple[Block, ...] = ()
    children: tuple[Section, ...] = ()
    folded: bool = False
    summary: str = ""


def link(url: str) -> Value:
    return Link(url, url) if url.lower().startswith(("http://", "https://")) else url


def field(label: str, values: object, path: str | None = None) -> Field:
    """A field from a spec value (None, a string, or a list); missing when empty and
    ``path`` names where to fill it."""
    if values is None or values == [] or values == ():
        return Field(label, (), path)
    if isinstance(values, (list, tuple)):
        return Field(label, tuple(v if isinstance(v, Link) else str(v) for v in values))
    return Field(label, (values if isinstance(values, Link) else str(values),))
