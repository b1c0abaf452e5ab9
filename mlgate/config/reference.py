"""The gate-file reference, generated from the schema so the docs cannot drift from the code.

:func:`key_rows` walks a pydantic model's fields: the name, the type (with its bounds), the
default and the description. A description is the field's ``Field(description=...)`` or, as
Sphinx reads it, the ``#:`` comment right above the field in the class body (the convention of
:mod:`mlgate.config.schema` and of the check families' parameter models). :func:`schema_sections`
renders the gate file's own keys and :func:`metrics_table` the metrics per task;
``python -m mlgate.cli.reference`` adds every registered check type's parameters and writes the
result into ``docs/gate-file.md`` between :data:`BEGIN` and :data:`END`.
"""

from __future__ import annotations

import ast
import enum
import inspect
import re
import textwrap
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import annotated_types as at
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from mlgate.config.card import ModelCardSpec
from mlgate.config.schema import (
    CheckDecl,
    DatasetSpec,
    EngineSpec,
    GateConfig,
    ModelSpec,
    StageSpec,
)
from mlgate.core.task import Task
from mlgate.stats.evaluate import INTERVAL_METHODS, interval_problem
from mlgate.stats.metrics import METRICS

REGENERATE = "python -m mlgate.cli.reference --write docs/gate-file.md"
BEGIN = f"<!-- BEGIN generated reference: edit the schema, then run `{REGENERATE}` -->"
END = "<!-- END generated reference -->"

#: The gate file's own sections: (heading, model, what a mapping of this model is called).
SECTIONS: tuple[tuple[str, type[BaseModel], str], ...] = (
    ("Top-level keys", GateConfig, "gate"),
    ("Keys of a model", ModelSpec, "model"),
    ("Keys of a dataset", DatasetSpec, "dataset"),
    ("Keys of a stage", StageSpec, "stage"),
    ("Keys of a check declaration", CheckDecl, "check declaration"),
    ("Keys of the engine", EngineSpec, "engine"),
)
_LINKS = {model: f"[{noun}](#{_h.lower().replace(' ', '-')})" for _h, model, noun in SECTIONS}


@dataclass(frozen=True)
class KeyRow:
    """One key of a model: what the reference table shows."""

    name: str
    type: str
    default: str
    description: str


def key_rows(model: type[BaseModel], common: Mapping[str, str] | None = None) -> list[KeyRow]:
    """The keys of ``model`` in declaration order (inherited ones first). ``common`` gives
    the meaning of a key the model does not describe (a parameter many checks share)."""
    docs = {**(common or {}), **doc_comments(model)}
    return [
        KeyRow(
            name=name,
            type=field_type(field),
            default=field_default(field),
            description=_markdown(field.description or docs.get(name, "")),
        )
        for name, field in model.model_fields.items()
    ]


def doc_comments(model: type) -> dict[str, str]:
    """``{field: text}`` from the ``#:`` comment lines right above each field of ``model``
    and of its pydantic bases (a subclass's comment wins)."""
    out: dict[str, str] = {}
    for klass in reversed(model.__mro__):
        if not (isinstance(klass, type) and issubclass(klass, BaseModel)) or klass is BaseModel:
            continue
        try:
            lines, _ = inspect.getsourcelines(klass)
        except (OSError, TypeError):  # defined where no source is kept (an interactive shell)
            continue
        tree = ast.parse(textwrap.dedent("".join(lines)))
        cls = tree.body[0]
        assert isinstance(cls, ast.ClassDef)
        for node in cls.body:
            if not (isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name)):
                continue
            i, doc = node.lineno - 2, []
            while i >= 0 and lines[i].strip().startswith("#:"):
                doc.insert(0, lines[i].strip()[2:].strip())
                i -= 1
            if doc:
                out[node.target.id] = " ".join(doc)
    return out


# -- types --------------------------------------------------------------------------------


def field_type(field: FieldInfo) -> str:
    """The field's type in words, with the bounds its metadata states."""
    text = type_text(field.annotation)
    bounds = _bounds(field.metadata)
    return f"{text}, {bounds}" if bounds else text


def type_text(annotation: Any) -> str:
    """A type annotation in words: ``string``, ``int``, ``list of string``, a choice of
    literal values, a link to the section of a gate-file model."""
    if annotation is Any:
        return "any"
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is typing.Annotated:
        inner = type_text(args[0])
        bounds = _bounds(args[1:])
        return f"{inner} ({bounds})" if bounds else inner
    if origin in (typing.Union, types.UnionType):
        parts = [type_text(a) for a in args if a is not type(None)]
        return " or ".join(dict.fromkeys(parts))
    if origin is typing.Literal:
        return " \\| ".join(f"`{_plain(a)}`" for a in args)
    if origin in (list, tuple, set, frozenset):
        items = [a for a in args if a is not Ellipsis]
        inner = " or ".join(dict.fromkeys(type_text(a) for a in items)) if items else "any"
        return f"list of {inner}"
    if origin is dict:
        key, value = args if args else (str, Any)
        noun = "name" if key is str else type_text(key)
        return f"mapping {noun} → {type_text(value)}"
    if isinstance(annotation, type):
        if issubclass(annotation, enum.Enum):
            return " \\| ".join(f"`{m.value}`" for m in annotation)
        if annotation in _LINKS:
            return _LINKS[annotation]
        if annotation is ModelCardSpec:
            return "mapping ([model-card.md](model-card.md))"
        if issubclass(annotation, BaseModel):
            keys = ", ".join(annotation.model_fields)
            return f"mapping {{{keys}}}"
        return _SIMPLE.get(annotation, annotation.__name__)
    return str(annotation).replace("typing.", "")


_SIMPLE: dict[Any, str] = {
    str: "string",
    int: "int",
    float: "number",
    bool: "bool",
    dict: "mapping",
    list: "list",
}


def _bounds(metadata: Any) -> str:
    """``0 < x ≤ 86,400``, ``≥ 0``, ``non-empty``, ``matching ^…$`` from the annotated-types
    metadata pydantic keeps for a field."""
    low = high = ""
    extra = []
    for m in metadata:
        if isinstance(m, at.Gt):
            low = f"{_num(m.gt)} <"
        elif isinstance(m, at.Ge):
            low = f"{_num(m.ge)} ≤"
        elif isinstance(m, at.Lt):
            high = f"< {_num(m.lt)}"
        elif isinstance(m, at.Le):
            high = f"≤ {_num(m.le)}"
        elif isinstance(m, at.MinLen) and m.min_length:
            extra.append("non-empty" if m.min_length == 1 else f"length ≥ {m.min_length}")
        elif isinstance(m, at.MaxLen) and m.max_length is not None:
            extra.append(f"length ≤ {m.max_length}")
        elif getattr(m, "pattern", None):
            extra.append(f"matching `{m.pattern}`")
    if low and high:
        extra.insert(0, f"{low} x {high}")
    elif low:  # "0 <" reads as "> 0"
        op, value = low.split(" ")[1], low.split(" ")[0]
        extra.insert(0, f"{'>' if op == '<' else '≥'} {value}")
    elif high:
        extra.insert(0, high)
    return ", ".join(extra)


# -- defaults -----------------------------------------------------------------------------


def field_default(field: FieldInfo) -> str:
    """``required``, ``—`` (none), or the default as the gate file would write it."""
    if field.is_required():
        return "required"
    value = field.default_factory() if field.default_factory is not None else field.default
    if value is None:
        return "—"
    if isinstance(value, BaseModel):
        return f"`{_plain(value.model_dump(exclude_defaults=True) or {})}`"
    return f"`{_plain(value)}`"


def _plain(value: Any) -> str:
    """``value`` as the gate file writes it: ``true``, ``"text"``, ``[a, b]``, ``{}``."""
    if isinstance(value, enum.Enum):
        value = value.value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value if value else '""'
    if isinstance(value, float):
        return _num(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_plain(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_plain(v)}" for k, v in value.items()) + "}"
    return str(value)


def _num(x: Any) -> str:
    if isinstance(x, float) and x.is_integer():
        x = int(x)
    return f"{x:,}" if isinstance(x, int) and abs(x) >= 10_000 else f"{x}"


# -- rendering ----------------------------------------------------------------------------


def markdown_table(rows: list[KeyRow], *, first: str = "key") -> str:
    """The rows as a Markdown table (``|`` in a cell escaped)."""
    out = [f"| {first} | type | default | meaning |", "|---|---|---|---|"]
    for r in rows:
        cells = [f"`{r.name}`", r.type, r.default, r.description]
        out.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    return "\n".join(out)


def schema_sections(level: str = "###") -> str:
    """A heading and key table per section of the gate file (:data:`SECTIONS`)."""
    parts = []
    for heading, model, _ in SECTIONS:
        intro = _markdown(inspect.cleandoc(model.__doc__ or ""))
        parts.append(f"{level} {heading}\n\n{intro}\n\n{markdown_table(key_rows(model))}")
    return "\n\n".join(parts)


def metrics_table() -> str:
    """Every metric: the tasks it applies to, its direction, what it reads from a model,
    the interval methods that can give it an interval, and what it is."""
    out = [
        "| metric | tasks | better | reads | intervals | meaning |",
        "|---|---|---|---|---|---|",
    ]
    for name, m in METRICS.items():
        tasks = ", ".join(t.value for t in Task if t in m.tasks)
        methods = ", ".join(x for x in INTERVAL_METHODS if interval_problem(m, x, None) is None)
        better = "higher" if m.higher_is_better else "lower"
        cells = [f"`{name}`", tasks, better, m.needs, methods, m.description]
        out.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    out.append(
        "| `pinball_loss_<q>` | regression | lower | values | percentile, bca | the pinball "
        "(quantile) loss at level q, 0 < q < 1, e.g. `pinball_loss_0.9` |"
    )
    return "\n".join(out)


def splice(document: str, generated: str) -> str:
    """``document`` with the text between :data:`BEGIN` and :data:`END` replaced by
    ``generated``. Raises ValueError when the markers are missing or out of order."""
    start, stop = document.find(BEGIN), document.find(END)
    if start < 0 or stop < start:
        raise ValueError(f"the document has no {BEGIN!r} ... {END!r} section to replace")
    return document[: start + len(BEGIN)] + "\n\n" + generated.strip() + "\n\n" + document[stop:]


def _markdown(text: str) -> str:
    """reStructuredText roles and double backticks as Markdown code."""
    text = re.sub(r":\w+:`~?([^`]+)`", r"`\1`", text)
    return " ".join(text.replace("``", "`").split())


def _cell(text: str) -> str:
    return re.sub(r"(?<!\\)\|", r"\\|", text)
