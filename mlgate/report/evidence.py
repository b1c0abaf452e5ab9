"""A check's evidence read back from ``result.json``, for every renderer.

Each entry of ``evidence`` is a plain value (a number, a string, a flat mapping, a list) or a
block tagged with its ``type`` (:mod:`mlgate.core.evidence`). This module says which, gives
every block the table of its data and, for the plotted types, its figure. The HTML report,
the Markdown summary and the model card each dispatch on the tag with their own table of
renderers (``RENDERERS`` in :mod:`mlgate.report.html_evidence`,
:mod:`mlgate.report.markdown`, :mod:`mlgate.report.card.evidence`); a type none of them
knows is shown as :func:`generic_table`, so a third party's block needs no edit here. No plot
is ever derived from an entry's key.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from mlgate.core.evidence import (
    MAX_ROWS,
    Bars,
    Block,
    Curve,
    Histogram,
    Matrix,
    Reliability,
    Table,
    block_from_dict,
    is_block,
)
from mlgate.report import plots
from mlgate.report.bounds import Bound, block_bounds

#: Bars drawn in one chart; every bar is in the chart's table.
MAX_BARS = 30
#: Bins drawn in one histogram.
MAX_BINS = 50
#: Classes drawn in one matrix (the table has them all).
MAX_MATRIX = 20
#: Figures drawn for one evidence entry (a ``blocks`` of histograms, one per column).
MAX_FIGURES = 12


@dataclass(frozen=True)
class Item:
    """One piece of evidence: its key (or its title inside ``blocks``), the JSON value, the
    block's tag (empty for a plain value) and the typed block when the tag is known and its
    fields make a valid block."""

    key: str
    raw: Any
    type: str = ""
    block: Block | None = None

    @property
    def renderer_type(self) -> str:
        """The type a renderer dispatches on: the tag of a valid block (or of ``blocks``,
        whose items are read one by one); empty for a block that does not hold its type's
        fields, which is shown as its generic table."""
        return self.type if self.block is not None or self.type == "blocks" else ""

    @property
    def title(self) -> str:
        """The block's own title, if it has one."""
        return str(self.raw.get("title") or "") if isinstance(self.raw, Mapping) else ""


def read(key: str, value: Any) -> Item:
    """What ``value`` is: a known block, a block of an unknown type, or a plain value."""
    if isinstance(value, Block):  # evidence not yet serialised
        return Item(key, value.to_dict(), value.type, value)
    if is_block(value):
        return Item(key, value, str(value["type"]), _block(value))
    return Item(key, value)


def items(evidence: Any) -> list[Item]:
    """The entries of a check's evidence, in order; nothing for evidence that is not a
    mapping."""
    if not isinstance(evidence, Mapping):
        return []
    return [read(str(k), v) for k, v in evidence.items()]


def sub_items(item: Item) -> list[Item]:
    """The blocks inside a ``blocks`` entry, each read on its own (unknown types included)."""
    raw = item.raw.get("items") if isinstance(item.raw, Mapping) else None
    if not isinstance(raw, list):
        return []
    return [read(_title(v) or f"{item.key} [{i}]", v) for i, v in enumerate(raw)]


def _title(value: Any) -> str:
    return str(value.get("title") or "") if isinstance(value, Mapping) else ""


def _block(data: Mapping[str, Any]) -> Block | None:
    try:
        return block_from_dict(data)
    except (TypeError, ValueError, KeyError, AttributeError):
        return None  # a known tag whose fields do not make the block: shown as a generic table


# -- the table of a block's data ------------------------------------------------------------


def _reliability_table(b: Reliability) -> Table:
    rows = (
        {"bin": i + 1, "confidence": c, "accuracy": a, "count": n}
        for i, (c, a, n) in enumerate(zip(b.confidence, b.accuracy, b.count, strict=True))
    )
    return Table.of(rows, title=b.title)


def _bars_table(b: Bars) -> Table:
    label = str(b.over or "label")
    value = str(b.quantity) if b.quantity and str(b.quantity) != label else "value"
    cols = [label, value]
    series: list[Iterable[Any]] = [b.labels, b.values]
    if b.low is not None and b.high is not None:
        cols += ["low", "high"]
        series += [b.low, b.high]
    rows = tuple(dict(zip(cols, row, strict=True)) for row in zip(*series, strict=True))
    return Table(rows=rows, columns=tuple(cols), title=b.title)


def _histogram_table(b: Histogram) -> Table:
    rows = (
        {"bin": x, "reference": r, "current": c}
        for x, r, c in zip(b.bins, b.reference, b.current, strict=True)
    )
    return Table(rows=tuple(rows), columns=("bin", "reference", "current"), title=b.title)


def _curve_table(b: Curve) -> Table:
    xl = str(b.xlabel or "x")
    yl = str(b.ylabel) if b.ylabel and str(b.ylabel) != xl else "y"
    cols, series = [xl, yl], [b.x, b.y]
    if b.low is not None and b.high is not None:
        cols += ["low", "high"]
        series += [b.low, b.high]
    rows = tuple(dict(zip(cols, row, strict=True)) for row in zip(*series, strict=True))
    return Table(rows=rows, columns=tuple(cols), title=b.title)


#: type → the table of a block's data (what a plot shows, or what a table block is).
DATA_TABLES: dict[str, Callable[[Any], Table]] = {
    "table": lambda b: b,
    "examples": lambda b: b,
    "reliability": _reliability_table,
    "bars": _bars_table,
    "histogram": _histogram_table,
    "curve": _curve_table,
    "matrix": lambda b: b.as_table(),
}


def data_table(item: Item) -> Table:
    """The table of an item's data: the per-type table of a known block, else
    :func:`generic_table` of its JSON."""
    fn = DATA_TABLES.get(item.type)
    if item.block is not None and fn is not None:
        return fn(item.block)
    if item.block is not None:  # a registered type no renderer knows: the kernel's reading
        return item.block.as_table()
    return generic_table(item.raw)


def generic_table(raw: Any) -> Table:
    """A table from a block of a type nobody here knows: its ``rows`` (a list of mappings,
    ordered by ``columns`` when given), else its equal-length list fields as columns, else a
    ``field`` / ``value`` listing of everything but ``type`` and ``title``."""
    if not isinstance(raw, Mapping):
        return Table(rows=({"value": raw},))
    title = _title(raw)
    rows = raw.get("rows")
    if isinstance(rows, list) and rows and all(isinstance(r, Mapping) for r in rows):
        cols = raw.get("columns")
        keep = tuple(str(c) for c in cols) if isinstance(cols, list) else ()
        return Table(rows=tuple({str(k): v for k, v in r.items()} for r in rows), columns=keep,
                     title=title)  # fmt: skip
    fields = {str(k): v for k, v in raw.items() if k not in ("type", "title")}
    series = {k: v for k, v in fields.items() if isinstance(v, list) and v}
    lengths = {len(v) for v in series.values()}
    if series and len(lengths) == 1 and all(_scalars(v) for v in series.values()):
        n = lengths.pop()
        cols = tuple(series)
        return Table(
            rows=tuple({c: series[c][i] for c in cols} for i in range(n)), columns=cols, title=title
        )
    rows_kv = tuple({"field": k, "value": v} for k, v in fields.items())
    return Table(rows=rows_kv, columns=("field", "value"), title=title)


def _scalars(values: list[Any]) -> bool:
    return all(v is None or isinstance(v, (str, int, float, bool)) for v in values)


def display_columns(table: Table) -> tuple[str, ...]:
    """The order in which to show ``table``'s columns: the check's order, except when the
    columns are in alphabetical order (keys sorted by some writer, not chosen by the check):
    then the column that names the rows comes first: of the columns whose values are all
    distinct text, the one with the shortest values (``slice`` before ``message``)."""
    cols = tuple(table.columns)
    if len(cols) < 3 or list(cols) != sorted(cols):
        return cols
    best: tuple[float, str] | None = None
    for c in cols:
        values = [r.get(c) for r in table.rows]
        if not values or not all(isinstance(v, str) for v in values):
            continue
        if len(set(values)) != len(values):
            continue
        mean = sum(len(v) for v in values) / len(values)
        if best is None or mean < best[0]:
            best = (mean, c)
    if best is None:
        return cols
    return (best[1], *(c for c in cols if c != best[1]))


def head(table: Table, limit: int = MAX_ROWS) -> tuple[tuple[Mapping[str, Any], ...], int]:
    """The first ``limit`` rows of ``table`` and how many more there are."""
    return table.rows[:limit], max(0, len(table.rows) - limit)


def plain_table(value: Any) -> Table | None:
    """A plain (untagged) list of mappings as a table, as renderers always showed it; None
    for anything else."""
    if isinstance(value, list) and value and all(isinstance(v, Mapping) for v in value):
        return Table(rows=tuple({str(k): x for k, x in v.items()} for v in value))
    return None


# -- figures of the plotted types -----------------------------------------------------------


@dataclass(frozen=True)
class Figure:
    """An SVG plot of a block and what it leaves out (``note``: empty when nothing)."""

    svg: str
    note: str = ""


def _reliability_figure(b: Reliability, bounds: Sequence[Bound] = ()) -> Figure | None:
    pts = [(c, a) for c, a in zip(b.confidence, b.accuracy, strict=True) if _ok(c) and _ok(a)]
    if not pts:
        return None
    svg = plots.curve_svg(
        [c for c, _ in pts],
        [a for _, a in pts],
        xlabel="mean confidence",
        ylabel="observed accuracy",
        diagonal=True,
        title=b.title,
    )
    return Figure(svg, _left_out(len(b.confidence) - len(pts), "bin", "without a value"))


def _bars_figure(b: Bars, bounds: Sequence[Bound] = ()) -> Figure | None:
    rows = list(zip(b.labels, b.values, b.low or _nones(b), b.high or _nones(b), strict=True))
    kept = [i for i, r in enumerate(rows) if _ok(r[1])]
    rows = [rows[i] for i in kept]
    if not rows:
        return None
    drawn = rows[:MAX_BARS]
    # a bound that marks some bars: their positions among the bars drawn
    at = {old: new for new, old in enumerate(kept[:MAX_BARS])}
    moved = [replace(x, where=tuple(at[i] for i in x.where if i in at)) for x in bounds]
    svg = plots.bars_svg(
        [r[0] for r in drawn],
        [r[1] for r in drawn],
        low=[r[2] for r in drawn] if b.low is not None else None,
        high=[r[3] for r in drawn] if b.high is not None else None,
        xlabel=b.quantity,
        title=b.title,
        # a line stays; marks stay where a marked bar is drawn
        bounds=[m for m, o in zip(moved, bounds, strict=True) if m.where or not o.where],
    )
    notes = [
        _left_out(len(b.labels) - len(rows), "bar", "without a value"),
        _left_out(len(rows) - len(drawn), "bar", f"beyond the first {MAX_BARS}"),
    ]
    return Figure(svg, "; ".join(n for n in notes if n))


def _histogram_figure(b: Histogram, bounds: Sequence[Bound] = ()) -> Figure | None:
    n = len(b.bins)
    if not n or not all(_ok(v) for v in (*b.reference, *b.current)):
        return None
    k = min(n, MAX_BINS)
    svg = plots.histogram_svg(
        b.bins[:k], b.reference[:k], b.current[:k], title=b.title or "reference vs current"
    )
    return Figure(svg, _left_out(n - k, "bin", f"beyond the first {MAX_BINS}"))


def _curve_figure(b: Curve, bounds: Sequence[Bound] = ()) -> Figure | None:
    low, high = b.low or _nones(b, "x"), b.high or _nones(b, "x")
    pts = [p for p in zip(b.x, b.y, low, high, strict=True) if _ok(p[0]) and _ok(p[1])]
    if not pts:
        return None
    band = b.low is not None and b.high is not None
    svg = plots.curve_svg(
        [p[0] for p in pts],
        [p[1] for p in pts],
        xlabel=b.xlabel,
        ylabel=b.ylabel,
        low=[p[2] for p in pts] if band else None,
        high=[p[3] for p in pts] if band else None,
        title=b.title,
        bounds=bounds,
    )
    return Figure(svg, _left_out(len(b.x) - len(pts), "point", "without a value"))


def _matrix_figure(b: Matrix, bounds: Sequence[Bound] = ()) -> Figure | None:
    n = len(b.labels)
    if not n:
        return None
    k = min(n, MAX_MATRIX)
    svg = plots.matrix_svg(
        b.labels[:k],
        [row[:k] for row in b.counts[:k]],
        row_axis=b.row_axis,
        column_axis=b.column_axis,
        title=b.title,
    )
    return Figure(svg, _left_out(n - k, "label", f"beyond the first {MAX_MATRIX}"))


#: type → its figure (None when nothing in it can be drawn), given the bounds that apply.
FIGURES: dict[str, Callable[[Any, Sequence[Bound]], Figure | None]] = {
    "reliability": _reliability_figure,
    "bars": _bars_figure,
    "histogram": _histogram_figure,
    "curve": _curve_figure,
    "matrix": _matrix_figure,
}


def figure(item: Item, check: Mapping[str, Any] | None = None) -> Figure | None:
    """The figure of a plotted block; None for other types and for data nothing can draw.
    Given the ``check`` whose evidence holds the block, the bounds it judged the plotted
    numbers against are drawn too (:mod:`mlgate.report.bounds`)."""
    fn = FIGURES.get(item.type)
    if fn is None or item.block is None:
        return None
    return fn(item.block, block_bounds(check, item.block))


def _ok(x: Any) -> bool:
    return plots.finite(x)


def _nones(b: Any, name: str = "labels") -> tuple[None, ...]:
    return (None,) * len(getattr(b, name))


def _left_out(n: int, what: str, why: str) -> str:
    return f"{n} {what}{'s' if n != 1 else ''} {why} not drawn" if n > 0 else ""
