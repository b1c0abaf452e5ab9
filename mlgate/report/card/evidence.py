"""Tables from a check's evidence, whatever its shape.

Check kinds are plugins, so the card cannot know every evidence layout. It reads the common
JSON shapes and renders anything else as a short key/value line, never failing:

- a list of records (``[{slice: "a", value: 0.9, n: 40}, ...]``) → a table, one row each;
- a mapping of records (``{"a": {value: 0.9, n: 40}, ...}``) → a table with a name column;
- a list of equal-length number lists (a confusion matrix) → a table of its cells;
- scalars, short lists and small mappings → ``key: value`` details (nested keys dotted).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from mlgate.report.card import fmt

MAX_ROWS = 50
MAX_COLUMNS = 12
MAX_DETAILS = 40
SLICE_NAME_KEYS = ("slice", "name", "group", "slice_name", "segment", "subgroup")
SLICE_VALUE_KEYS = ("value", "metric_value", "score")
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
class Evidence:
    tables: tuple[Table, ...]
    details: tuple[tuple[str, str], ...]


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


def records_table(title: str, records: Sequence[Mapping[str, Any]], first: str = "") -> Table:
    """A table from records; columns in order of first appearance (at most MAX_COLUMNS),
    rows up to MAX_ROWS, with a note saying what was cut."""
    columns: list[str] = [first] if first else []
    for rec in records:
        for key in rec:
            if str(key) not in columns:
                columns.append(str(key))
    notes = []
    if len(columns) > MAX_COLUMNS:
        notes.append(f"{len(columns) - MAX_COLUMNS} more column(s) not shown")
        columns = columns[:MAX_COLUMNS]
    if len(records) > MAX_ROWS:
        notes.append(f"{len(records) - MAX_ROWS} more row(s) not shown")
    rows = tuple(tuple(_cell(c, _get(rec, c)) for c in columns) for rec in list(records)[:MAX_ROWS])
    return Table(fmt.humanize(title), tuple(columns), rows, "; ".join(notes))


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


def evidence_tables(evidence: Any) -> Evidence:
    """Split a check's evidence into tables and ``(key, text)`` details. Never raises."""
    if not isinstance(evidence, Mapping):
        if evidence in (None, {}, []):
            return Evidence((), ())
        return Evidence((), (("evidence", fmt.compact(evidence)),))
    tables: list[Table] = []
    details: list[tuple[str, str]] = []
    for key, value in evidence.items():
        key = str(key)
        if _is_records(value):
            tables.append(records_table(key, value))
        elif _is_record_map(value):
            recs = [{"name": name, **dict(rec)} for name, rec in value.items()]
            tables.append(records_table(key, recs, first="name"))
        elif _is_matrix(value):
            tables.append(_matrix_table(key, value))
        else:
            details.extend(_flatten(key, value))
    if len(details) > MAX_DETAILS:
        cut = len(details) - MAX_DETAILS
        details = [*details[:MAX_DETAILS], ("…", f"{cut} more value(s) not shown")]
    return Evidence(tuple(tables), tuple(details))


def _flatten(key: str, value: Any, depth: int = 0) -> list[tuple[str, str]]:
    if isinstance(value, Mapping) and not fmt.is_interval(value) and value and depth < 2:
        out: list[tuple[str, str]] = []
        for k, v in value.items():
            out.extend(_flatten(f"{key}.{k}", v, depth + 1))
        return out
    return [(key, fmt.cell(value))]


def slice_values(evidence: Any, metric: str | None) -> list[tuple[str, float]]:
    """``(slice name, value)`` pairs from records that carry a slice name and a numeric value
    (the layout slice checks use); empty when there are none. Never raises."""
    if not isinstance(evidence, Mapping):
        return []
    out: list[tuple[str, float]] = []
    for value in evidence.values():
        if _is_records(value):
            recs = list(value)
        elif _is_record_map(value):
            recs = [{"name": k, **dict(v)} for k, v in value.items()]
        else:
            continue
        for rec in recs:
            name = next((rec[k] for k in SLICE_NAME_KEYS if k in rec), None)
            keys = (*SLICE_VALUE_KEYS, metric) if metric else SLICE_VALUE_KEYS
            number = next((fmt.finite(rec[k]) for k in keys if k and k in rec), None)
            if name is not None and number is not None:
                out.append((fmt.cell(name), number))
    return out
