"""What the card shows of a check's evidence: tables, plots (HTML card only) and details.

Typed blocks (:mod:`mlgate.core.evidence`) are rendered by type, through :data:`RENDERERS`:
a reliability diagram, bars, a histogram or a curve gives its plot and the table of its data;
a table gives a table; ``examples`` are never shown (counterexamples and worst cases may hold
personal data; the gate report has them); a type the card does not know gives its generic
table. The per-slice quantitative analyses come from :class:`~mlgate.core.evidence.Bars`
``over="slice"`` (:func:`slice_metrics`), never from key names.

Check kinds are plugins, so plain (untagged) evidence of any shape is read too, never
failing:

- a list of records (``[{slice: "a", value: 0.9, n: 40}, ...]``) → a table, one row each;
- a mapping of records (``{"a": {value: 0.9, n: 40}, ...}``) → a table with a name column;
- a list of equal-length number lists (a confusion matrix) → a table of its cells;
- scalars, short lists and small mappings → ``key: value`` details (nested keys dotted).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from mlgate.core.evidence import Bars
from mlgate.report import evidence as ev
from mlgate.report.card import fmt

MAX_ROWS = 50
MAX_COLUMNS = 12
MAX_DETAILS = 40
INTERVAL_COLUMNS = frozenset({"interval", "ci", "confidence_interval"})


@dataclass(frozen=True)
class Table:
    """A display table: formatted text cells, a title, and a note on what was left out."""

    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "columns": list(self.columns),
            "rows": [list(r) for r in self.rows],
            "note": self.note,
        }


@dataclass(frozen=True)
class Plot:
    """A plotted block, drawn by the HTML card (Markdown and JSON cards show its table).
    ``check`` is the result.json entry the block belongs to: the bounds it judged the plotted
    numbers against are drawn too (:mod:`mlgate.report.bounds`)."""

    title: str
    item: ev.Item
    check: Mapping[str, Any] | None = field(default=None, compare=False, repr=False)

    @property
    def type(self) -> str:
        return self.item.type

    def svg(self) -> str | None:
        fig = ev.figure(self.item, self.check)
        return fig.svg if fig is not None else None


@dataclass(frozen=True)
class SliceMetric:
    """One bar of a :class:`~mlgate.core.evidence.Bars` ``over="slice"``: a quantity (metric
    name) on one slice, with its interval when the check gave one."""

    quantity: str
    slice: str
    value: float
    low: float | None = None
    high: float | None = None


@dataclass(frozen=True)
class Evidence:
    """A check's evidence as the card shows it: tables and plots in evidence order, then
    ``(key, text)`` details."""

    parts: tuple[Table | Plot, ...]
    details: tuple[tuple[str, str], ...]

    @property
    def tables(self) -> tuple[Table, ...]:
        return tuple(p for p in self.parts if isinstance(p, Table))

    @property
    def plots(self) -> tuple[Plot, ...]:
        return tuple(p for p in self.parts if isinstance(p, Plot))


Parts = tuple[list[Table | Plot], list[tuple[str, str]]]
Check = Mapping[str, Any] | None


def _title(item: ev.Item) -> str:
    key = fmt.humanize(item.key)
    return f"{key} — {item.title}" if item.title and item.title != item.key else key


def _data(item: ev.Item) -> Table:
    """The block's data table; ``low`` / ``high`` columns read as one interval column."""
    table = ev.data_table(item)
    cols = list(ev.display_columns(table))
    rows = [dict(r) for r in table.rows]
    if "low" in cols and "high" in cols and "interval" not in cols:
        at = cols.index("low")
        cols = [c for c in cols if c not in ("low", "high")]
        cols.insert(at, "interval")
        for r in rows:
            r["interval"] = {"low": r.pop("low", None), "high": r.pop("high", None)}
    return records_table(_title(item), rows, columns=tuple(cols), humanize=False)


def _plotted(item: ev.Item, check: Check = None) -> Parts:
    """reliability, bars, histogram, curve: the plot, then the table of its data."""
    return [Plot(_title(item), item, check), _data(item)], []


def _table(item: ev.Item, check: Check = None) -> Parts:
    """table, and any type the card does not know: its table."""
    return [_data(item)], []


def _examples(item: ev.Item, check: Check = None) -> Parts:
    """Never on the card: counterexamples may hold personal data. Only their count."""
    rows = item.raw.get("rows") if isinstance(item.raw, Mapping) else None
    n = len(rows) if isinstance(rows, list) else 0
    return [], [(item.key, f"{n} example row(s), in the gate report only")]


def _blocks(item: ev.Item, check: Check = None) -> Parts:
    parts: list[Table | Plot] = []
    details: list[tuple[str, str]] = []
    for sub in ev.sub_items(item):
        p, d = render(sub, check)
        parts += p
        details += d
    return parts, details


#: type → renderer. A type missing here is shown as its table.
RENDERERS: dict[str, Callable[[ev.Item, Check], Parts]] = {
    "reliability": _plotted,
    "bars": _plotted,
    "histogram": _plotted,
    "curve": _plotted,
    "matrix": _plotted,
    "table": _table,
    "examples": _examples,
    "blocks": _blocks,
}


def render(item: ev.Item, check: Check = None) -> Parts:
    """One evidence item: its type's renderer, or the generic reading of a plain value."""
    if item.type:
        return RENDERERS.get(item.renderer_type, _table)(item, check)
    key, value = item.key, item.raw
    if _is_records(value):
        return [records_table(key, value)], []
    if _is_record_map(value):
        recs = [{"name": name, **dict(rec)} for name, rec in value.items()]
        return [records_table(key, recs, first="name")], []
    if _is_matrix(value):
        return [_matrix_table(key, value)], []
    return [], _flatten(key, value)


def evidence_tables(evidence: Any, check: Check = None) -> Evidence:
    """Split a check's evidence into tables, plots and ``(key, text)`` details; ``check`` (the
    result.json entry) gives the plots their bounds. Never raises."""
    if not isinstance(evidence, Mapping):
        if evidence in (None, {}, []):
            return Evidence((), ())
        return Evidence((), (("evidence", fmt.compact(evidence)),))
    parts: list[Table | Plot] = []
    details: list[tuple[str, str]] = []
    for item in ev.items(evidence):
        p, d = render(item, check)
        parts += p
        details += d
    if len(details) > MAX_DETAILS:
        cut = len(details) - MAX_DETAILS
        details = [*details[:MAX_DETAILS], ("…", f"{cut} more value(s) not shown")]
    return Evidence(tuple(parts), tuple(details))


def slice_metrics(evidence: Any) -> list[SliceMetric]:
    """Every bar of the evidence's :class:`~mlgate.core.evidence.Bars` ``over="slice"``
    (inside ``blocks`` too) with a finite value, in order. Never raises."""
    out: list[SliceMetric] = []

    def visit(item: ev.Item) -> None:
        if item.type == "blocks":
            for sub in ev.sub_items(item):
                visit(sub)
        elif isinstance(item.block, Bars) and item.block.over == "slice":
            b = item.block
            low, high = b.low or (None,) * len(b.labels), b.high or (None,) * len(b.labels)
            for label, value, lo, hi in zip(b.labels, b.values, low, high, strict=True):
                if fmt.finite(value) is not None:
                    out.append(
                        SliceMetric(
                            b.quantity, label, fmt.finite(value), fmt.finite(lo), fmt.finite(hi)
                        )
                    )

    for item in ev.items(evidence):
        visit(item)
    return out


# -- plain evidence ---------------------------------------------------------------------------


def _is_records(value: Any) -> bool:
    return (
        isinstance(value, Sequence)
        and not isinstance(value, str)
        and len(value) > 0
        and all(isinstance(v, Mapping) for v in value)
    )


def _is_record_map(value: Any) -> bool:
    return (
        isinstance(value, Mapping)
        and len(value) > 0
        and all(isinstance(v, Mapping) and not fmt.is_interval(v) for v in value.values())
    )


def _is_matrix(value: Any) -> bool:
    if not (isinstance(value, Sequence) and not isinstance(value, str) and len(value) > 0):
        return False
    rows = [r for r in value if isinstance(r, Sequence) and not isinstance(r, str)]
    return (
        len(rows) == len(value)
        and len({len(r) for r in rows}) == 1
        and 0 < len(rows[0]) <= MAX_COLUMNS
        and all(fmt.is_number(c) or c is None for r in rows for c in r)
    )


def records_table(
    title: str,
    records: Sequence[Mapping[str, Any]],
    first: str = "",
    *,
    columns: tuple[str, ...] = (),
    humanize: bool = True,
) -> Table:
    """A table from records; ``columns`` when given, else in order of first appearance (at
    most MAX_COLUMNS); rows up to MAX_ROWS, with a note saying what was cut."""
    cols: list[str] = list(columns) or ([first] if first else [])
    if not columns:
        for rec in records:
            for key in rec:
                if str(key) not in cols:
                    cols.append(str(key))
    notes = []
    if len(cols) > MAX_COLUMNS:
        notes.append(f"{len(cols) - MAX_COLUMNS} more column(s) not shown")
        cols = cols[:MAX_COLUMNS]
    if len(records) > MAX_ROWS:
        notes.append(f"{len(records) - MAX_ROWS} more row(s) not shown")
    rows = tuple(tuple(_cell(c, _get(rec, c)) for c in cols) for rec in list(records)[:MAX_ROWS])
    return Table(fmt.humanize(title) if humanize else title, tuple(cols), rows, "; ".join(notes))


def _cell(column: str, value: Any) -> str:
    """A cell; a ``[low, high]`` pair under an interval-like column reads as an interval."""
    if (
        column in INTERVAL_COLUMNS
        and isinstance(value, Sequence)
        and not isinstance(value, str)
        and len(value) == 2
        and all(fmt.is_number(v) or v is None for v in value)
    ):
        return fmt.interval({"low": value[0], "high": value[1]})
    return fmt.cell(value)


def _get(rec: Mapping[str, Any], column: str) -> Any:
    if column in rec:
        return rec[column]
    for key, value in rec.items():  # keys that were not strings in the source
        if str(key) == column:
            return value
    return None


def _matrix_table(title: str, matrix: Sequence[Sequence[Any]]) -> Table:
    width = len(matrix[0])
    columns = ("", *(str(i) for i in range(width)))
    rows = tuple(
        (str(i), *(fmt.num(c) for c in row)) for i, row in enumerate(list(matrix)[:MAX_ROWS])
    )
    note = f"{len(matrix) - MAX_ROWS} more row(s) not shown" if len(matrix) > MAX_ROWS else ""
    return Table(fmt.humanize(title), columns, rows, note)


def _flatten(key: str, value: Any, depth: int = 0) -> list[tuple[str, str]]:
    if isinstance(value, Mapping) and not fmt.is_interval(value) and value and depth < 2:
        out: list[tuple[str, str]] = []
        for k, v in value.items():
            out.extend(_flatten(f"{key}.{k}", v, depth + 1))
        return out
    return [(key, fmt.cell(value))]
