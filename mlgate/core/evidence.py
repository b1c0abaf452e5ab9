"""Typed evidence blocks: what a check shows besides its headline statistic.

A check's ``evidence`` is a mapping from a name to a plain value (a number, a string, a flat
mapping) or to a block defined here. Each block is a frozen record whose ``to_dict()`` is
tagged with its ``type``; the HTML report, the Markdown summary and the model card dispatch
on that tag (as scikit-learn's display objects do), never on key names. ``result.json``
documents every block (docs/result-json.md).

A renderer that does not know a block's type shows its :meth:`Block.as_table` (every block
can be read as a table), so a third party may add a block type without a kernel edit.

Example::

    CheckResult(..., evidence={
        "per_slice": Table.of([{"slice": "a", "value": 0.91}, {"slice": "b", "value": 0.88}]),
        "reliability": Reliability(confidence=(0.1, 0.5), accuracy=(0.12, 0.49), count=(40, 60)),
    })
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
from typing import Any, ClassVar

#: Rows a renderer shows of a long table before it says how many more there are.
MAX_ROWS = 50

BLOCK_TYPES: dict[str, type[Block]] = {}


def _tuple(x: Iterable[Any] | None) -> tuple[Any, ...] | None:
    return None if x is None else tuple(x)


@dataclass(frozen=True)
class Block:
    """Base of every evidence block. Subclasses set ``type`` and are registered by it."""

    type: ClassVar[str] = ""
    title: str = ""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.type:
            BLOCK_TYPES[cls.type] = cls

    def to_dict(self) -> dict[str, Any]:
        """``{"type": <tag>, <field>: <JSON value>, ...}``."""
        from mlgate.core.result import jsonable

        out: dict[str, Any] = {"type": self.type}
        for f in fields(self):
            out[f.name] = jsonable(getattr(self, f.name))
        return out

    def as_table(self) -> Table:
        """The block as a table: what a renderer that does not know ``type`` shows."""
        cols = [f.name for f in fields(self) if f.name != "title"]
        cols = [c for c in cols if isinstance(getattr(self, c), tuple) or getattr(self, c) is None]
        series = [getattr(self, c) for c in cols]
        if series and all(isinstance(s, tuple) for s in series if s is not None):
            n = max((len(s) for s in series if s is not None), default=0)
            keep = [(c, s) for c, s in zip(cols, series, strict=True) if s is not None]
            rows = tuple({c: s[i] if i < len(s) else None for c, s in keep} for i in range(n))
            return Table(rows=rows, columns=tuple(c for c, _ in keep), title=self.title)
        return Table(rows=({c: getattr(self, c) for c in cols},), columns=tuple(cols))


@dataclass(frozen=True)
class Table(Block):
    """Rows of named values (per slice, per feature, per window...). ``columns`` orders them;
    by default, every key in the order first seen."""

    type: ClassVar[str] = "table"
    rows: tuple[Mapping[str, Any], ...] = ()
    columns: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        rows = tuple(dict(r) for r in self.rows)
        object.__setattr__(self, "rows", rows)
        if not self.columns:
            cols: list[str] = []
            for row in rows:
                cols.extend(str(c) for c in row if str(c) not in cols)
            object.__setattr__(self, "columns", tuple(cols))
        else:
            object.__setattr__(self, "columns", tuple(self.columns))

    @classmethod
    def of(cls, rows: Iterable[Mapping[str, Any]], *, title: str = "") -> Table:
        return cls(rows=tuple(rows), title=title)

    def as_table(self) -> Table:
        return self


@dataclass(frozen=True)
class Examples(Table):
    """Rows that illustrate a finding (counterexamples, worst cases, failing rows): a table the
    report keeps short and that the model card never shows (they may hold personal data)."""

    type: ClassVar[str] = "examples"


@dataclass(frozen=True)
class Curve(Block):
    """A line ``y(x)`` with an optional interval per point (``low``, ``high``): risk–coverage,
    decay over windows, loss over steps."""

    type: ClassVar[str] = "curve"
    x: tuple[float, ...] = ()
    y: tuple[float | None, ...] = ()
    xlabel: str = "x"
    ylabel: str = "y"
    low: tuple[float | None, ...] | None = None
    high: tuple[float | None, ...] | None = None

    def __post_init__(self) -> None:
        for name in ("x", "y", "low", "high"):
            object.__setattr__(self, name, _tuple(getattr(self, name)))
        _same_length(self, "x", "y", "low", "high")


@dataclass(frozen=True)
class Reliability(Block):
    """A reliability diagram: per bin, the mean confidence, the observed accuracy (or
    frequency) and the row count; drawn against the diagonal."""

    type: ClassVar[str] = "reliability"
    confidence: tuple[float | None, ...] = ()
    accuracy: tuple[float | None, ...] = ()
    count: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        for name in ("confidence", "accuracy", "count"):
            object.__setattr__(self, name, _tuple(getattr(self, name)))
        _same_length(self, "confidence", "accuracy", "count")


@dataclass(frozen=True)
class Bars(Block):
    """One number per label (a metric per slice, an effect size per feature), with an optional
    interval per bar."""

    type: ClassVar[str] = "bars"
    labels: tuple[str, ...] = ()
    values: tuple[float | None, ...] = ()
    low: tuple[float | None, ...] | None = None
    high: tuple[float | None, ...] | None = None
    #: What the labels name: "slice", "feature", "baseline", "window", ... The model card's
    #: quantitative analyses take the bars ``over="slice"``.
    over: str = ""
    #: What the values are (a metric name, "effect size").
    quantity: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "labels", tuple(str(x) for x in self.labels))
        for name in ("values", "low", "high"):
            object.__setattr__(self, name, _tuple(getattr(self, name)))
        _same_length(self, "labels", "values", "low", "high")


@dataclass(frozen=True)
class Histogram(Block):
    """Reference and current shares per bin or category of one column (drift)."""

    type: ClassVar[str] = "histogram"
    bins: tuple[str, ...] = ()
    reference: tuple[float, ...] = ()
    current: tuple[float, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "bins", tuple(str(b) for b in self.bins))
        for name in ("reference", "current"):
            object.__setattr__(self, name, _tuple(getattr(self, name)))
        _same_length(self, "bins", "reference", "current")


@dataclass(frozen=True)
class Matrix(Block):
    """Counts in a square grid over one set of labels: a confusion matrix (``counts[i][j]``:
    the rows whose ``row_axis`` is ``labels[i]`` and whose ``column_axis`` is ``labels[j]``)."""

    type: ClassVar[str] = "matrix"
    labels: tuple[str, ...] = ()
    counts: tuple[tuple[int, ...], ...] = ()
    row_axis: str = "actual"
    column_axis: str = "predicted"

    def __post_init__(self) -> None:
        object.__setattr__(self, "labels", tuple(str(x) for x in self.labels))
        # JSON gives lists of lists; NumPy gives arrays of numpy integers
        counts = tuple(tuple(int(c) for c in row) for row in self.counts)
        object.__setattr__(self, "counts", counts)
        n = len(self.labels)
        if len(counts) != n or any(len(row) != n for row in counts):
            raise ValueError(
                f"Matrix: counts must be {n} rows of {n} (one per label), got "
                f"{[len(row) for row in counts]}"
            )

    def as_table(self) -> Table:
        """One row per ``row_axis`` label, one column per ``column_axis`` label."""
        corner = f"{self.row_axis} \\ {self.column_axis}"
        names = _distinct_names(self.labels, taken={corner})
        rows = tuple(
            {corner: name, **dict(zip(names, row, strict=True))}
            for name, row in zip(names, self.counts, strict=True)
        )
        return Table(rows=rows, columns=(corner, *names), title=self.title)


def _distinct_names(labels: Iterable[str], taken: set[str]) -> tuple[str, ...]:
    """``labels`` made distinct from each other and from ``taken`` (``1`` and ``"1"`` are both
    the text ``1``): a repeated name gets `` (2)``, `` (3)``..."""
    seen, out = set(taken), []
    for label in labels:
        name, i = label, 2
        while name in seen:
            name, i = f"{label} ({i})", i + 1
        seen.add(name)
        out.append(name)
    return tuple(out)


@dataclass(frozen=True)
class Blocks(Block):
    """Several blocks of one kind under one evidence key (a histogram per drifted column)."""

    type: ClassVar[str] = "blocks"
    items: tuple[Block, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        object.__setattr__(self, "items", tuple(self.items))

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.type, "title": self.title, "items": [b.to_dict() for b in self.items]}

    def as_table(self) -> Table:
        return Table(rows=tuple({"title": b.title, "type": b.type} for b in self.items))


def _same_length(block: Block, *names: str) -> None:
    lengths = {n: len(getattr(block, n)) for n in names if getattr(block, n) is not None}
    if len(set(lengths.values())) > 1:
        raise ValueError(
            f"{type(block).__name__}: {', '.join(lengths)} must have the same length, got {lengths}"
        )


def block_from_dict(data: Mapping[str, Any]) -> Block | None:
    """The block a tagged mapping from ``result.json`` describes, or None when ``data`` is not
    a block of a known type (plain evidence, or a third party's type)."""
    cls = BLOCK_TYPES.get(str(data.get("type", ""))) if isinstance(data, Mapping) else None
    if cls is None:
        return None
    if cls is Blocks:
        items = [block_from_dict(i) for i in data.get("items", [])]
        return Blocks(title=str(data.get("title", "")), items=tuple(i for i in items if i))
    names = {f.name for f in fields(cls)}
    # JSON has lists where the blocks hold tuples (a Matrix makes its own rows tuples).
    return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in data.items() if k in names})


def is_block(value: Any) -> bool:
    """Whether ``value`` (from ``result.json``) is a tagged block of any type."""
    return isinstance(value, Mapping) and isinstance(value.get("type"), str) and bool(value["type"])


__all__ = [
    "BLOCK_TYPES",
    "MAX_ROWS",
    "Bars",
    "Block",
    "Blocks",
    "Curve",
    "Examples",
    "Histogram",
    "Matrix",
    "Reliability",
    "Table",
    "block_from_dict",
    "is_block",
]
