"""Data expectations as small typed specs, and suites of them.

Each expectation is a frozen pydantic model told apart by its ``expect`` key, so a gate
file (or a suite file) can declare it in one line::

    - {expect: between, column: age, min: 0, max: 120}
    - {expect: compare, left: end, op: ">", right: start}

Row-wise expectations (``between``, ``in_set``, ``regex``, ``compare``, ``sum``) judge the
rows whose values are present (nulls are the business of ``nulls``) and pass when at least
``mostly`` of those rows conform — the same convention as Great Expectations.

:class:`ColumnRule` is the per-column shorthand of the gate file (``columns: {age: {dtype:
int, min: 0}}``); :func:`expand_columns` turns it into expectations.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, model_validator

from mlgate.core.errors import ConfigError, DataError

#: dtype kinds an expectation can name; ``number`` is int or float, ``any`` only requires the
#: column to exist. ``float`` also accepts integer columns (a safe widening).
DTypeKind = Literal[
    "int", "float", "number", "bool", "string", "datetime", "timedelta", "category", "any"
]
Mostly = Annotated[float, Field(ge=0.0, le=1.0)]
#: an inferred rule's tolerance (see :mod:`mlgate.checks.data.tolerance`): the reference's size
#: and the false-hold level at which the rule's offenders are judged
ReferenceRows = Annotated[int, Field(ge=1)] | None
Alpha = Annotated[float, Field(gt=0.0, lt=1.0)] | None


def _tolerance_pair(e: Any) -> None:
    """``reference_rows`` and ``alpha`` come together (one without the other means nothing)."""
    if (e.reference_rows is None) != (e.alpha is None):
        raise ValueError(
            "give reference_rows and alpha together (the inferred tolerance), or neither"
        )


class _Expectation(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    #: names the expectation in the evidence (default: see :func:`expectation_name`)
    name: str | None = None
    #: ``warn``: a failure only warns the check instead of failing it
    severity: Literal["block", "warn"] = "block"


class ColumnsExpectation(_Expectation):
    """The columns exist (with these dtype kinds when given); ``exact``: no other column;
    ``ordered``: in this order."""

    expect: Literal["columns"]
    columns: dict[str, DTypeKind] | list[str] = Field(min_length=1)
    exact: bool = False
    ordered: bool = False

    @property
    def dtypes(self) -> dict[str, DTypeKind]:
        if isinstance(self.columns, list):
            return dict.fromkeys(self.columns, "any")
        return dict(self.columns)


class NullsExpectation(_Expectation):
    """At most ``max_count`` nulls (default 0) or at most ``max_fraction`` of the rows."""

    expect: Literal["nulls", "not_null"]
    column: str
    max_count: int | None = Field(None, ge=0)
    max_fraction: float | None = Field(None, ge=0.0, le=1.0)
    #: inferred tolerance: nulls also pass unless significantly more than ``reference_nulls``
    #: of ``reference_rows`` (one-sided Fisher exact test at ``alpha``)
    reference_rows: ReferenceRows = None
    reference_nulls: int | None = Field(None, ge=0)
    alpha: Alpha = None

    @model_validator(mode="after")
    def _one_bound(self) -> NullsExpectation:
        if self.max_count is not None and self.max_fraction is not None:
            raise ValueError("give max_count or max_fraction, not both")
        _tolerance_pair(self)
        if (self.reference_rows is None) != (self.reference_nulls is None):
            raise ValueError("give reference_nulls with reference_rows and alpha, or none")
        if self.reference_nulls is not None and self.reference_nulls > self.reference_rows:
            raise ValueError(
                f"reference_nulls {self.reference_nulls} is above reference_rows "
                f"{self.reference_rows}"
            )
        return self


class BetweenExpectation(_Expectation):
    """Present values lie in [min, max] (``strict_min`` / ``strict_max`` exclude the ends)."""

    expect: Literal["between"]
    column: str
    min: float | None = None
    max: float | None = None
    strict_min: bool = False
    strict_max: bool = False
    mostly: Mostly = 1.0
    #: inferred tolerance: offenders also pass while fewer than a healthy sample shows with
    #: probability ``alpha``, given the ``reference_rows`` present values the range was learnt
    #: from (see :mod:`mlgate.checks.data.tolerance`)
    reference_rows: ReferenceRows = None
    alpha: Alpha = None

    @model_validator(mode="after")
    def _bounds(self) -> BetweenExpectation:
        _tolerance_pair(self)
        if self.min is None and self.max is None:
            raise ValueError("give min, max or both")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min {self.min} is above max {self.max}")
        return self


class InSetExpectation(_Expectation):
    """Present values are in ``values``."""

    expect: Literal["in_set"]
    column: str
    values: list[Any] = Field(min_length=1)
    mostly: Mostly = 1.0
    #: inferred tolerance, as for ``between``
    reference_rows: ReferenceRows = None
    alpha: Alpha = None

    @model_validator(mode="after")
    def _pair(self) -> InSetExpectation:
        _tolerance_pair(self)
        return self


class RegexExpectation(_Expectation):
    """Present values, as strings, contain a match of ``pattern`` (``re.search``; anchor it
    with ``^...$`` to require the whole value to match)."""

    expect: Literal["regex"]
    column: str
    pattern: str
    mostly: Mostly = 1.0

    @model_validator(mode="after")
    def _compiles(self) -> RegexExpectation:
        try:
            re.compile(self.pattern)
        except re.error as exc:
            raise ValueError(f"pattern {self.pattern!r} is not a valid regex: {exc}") from None
        return self


class UniqueExpectation(_Expectation):
    """No present value of ``column`` (or combination of ``columns``) occurs twice; rows
    with a null in a key column are not judged."""

    expect: Literal["unique"]
    column: str | None = None
    columns: list[str] | None = Field(None, min_length=1)
    mostly: Mostly = 1.0

    @model_validator(mode="after")
    def _one(self) -> UniqueExpectation:
        if (self.column is None) == (self.columns is None):
            raise ValueError("give exactly one of column / columns")
        return self

    @property
    def keys(self) -> list[str]:
        return [self.column] if self.column is not None else list(self.columns or [])


class RowCountExpectation(_Expectation):
    """The number of rows lies in [min, max]."""

    expect: Literal["row_count"]
    min: int | None = Field(None, ge=0)
    max: int | None = Field(None, ge=0)

    @model_validator(mode="after")
    def _bounds(self) -> RowCountExpectation:
        if self.min is None and self.max is None:
            raise ValueError("give min, max or both")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min {self.min} is above max {self.max}")
        return self


Statistic = Literal["min", "max", "mean", "median", "std", "sum", "quantile"]


class StatisticExpectation(_Expectation):
    """A statistic of the present values lies in [min, max]. ``std`` is the sample standard
    deviation (ddof=1); ``quantile`` needs ``q`` and uses linear interpolation (NumPy's
    default). Fewer than ``min_rows`` present values (default 1; 2 for ``std``) is
    inconclusive."""

    expect: Literal["statistic"]
    column: str
    statistic: Statistic
    q: float | None = Field(None, ge=0.0, le=1.0)
    min: float | None = None
    max: float | None = None
    min_rows: int | None = Field(None, ge=1)

    @model_validator(mode="after")
    def _valid(self) -> StatisticExpectation:
        if self.min is None and self.max is None:
            raise ValueError("give min, max or both")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min {self.min} is above max {self.max}")
        if (self.statistic == "quantile") != (self.q is not None):
            raise ValueError("q is needed by statistic 'quantile' and only by it")
        return self

    @property
    def needed_rows(self) -> int:
        return self.min_rows or (2 if self.statistic == "std" else 1)


CompareOp = Literal[">", ">=", "<", "<=", "==", "!="]


class CompareExpectation(_Expectation):
    """Row by row, ``left op right`` between two columns (rows with either missing are not
    judged)."""

    expect: Literal["compare"]
    left: str
    op: CompareOp
    right: str
    mostly: Mostly = 1.0


class SumExpectation(_Expectation):
    """Row by row, the sum of ``columns`` equals ``equals`` (a column name or a number)
    within ``tolerance`` (absolute); rows with a missing value are not judged."""

    expect: Literal["sum"]
    columns: list[str] = Field(min_length=1)
    equals: str | float
    tolerance: float = Field(1e-9, ge=0.0)
    mostly: Mostly = 1.0


Expectation = Annotated[
    ColumnsExpectation
    | NullsExpectation
    | BetweenExpectation
    | InSetExpectation
    | RegexExpectation
    | UniqueExpectation
    | RowCountExpectation
    | StatisticExpectation
    | CompareExpectation
    | SumExpectation,
    Field(discriminator="expect"),
]
EXPECTATION_TYPES = (
    "columns, nulls (not_null), between, in_set, regex, unique, row_count, statistic, compare, sum"
)


def columns_of(e: Any) -> list[str]:
    """The columns an expectation reads."""
    if isinstance(e, ColumnsExpectation):
        return list(e.dtypes)
    if isinstance(e, UniqueExpectation):
        return e.keys
    if isinstance(e, CompareExpectation):
        return [e.left, e.right]
    if isinstance(e, SumExpectation):
        return list(e.columns) + ([e.equals] if isinstance(e.equals, str) else [])
    column = getattr(e, "column", None)
    return [column] if column is not None else []


def expectation_name(e: Any) -> str:
    """A readable, stable name: the given ``name``, else e.g. ``between(age)``,
    ``statistic(income.median)``, ``compare(end>start)``."""
    if e.name:
        return e.name
    if isinstance(e, StatisticExpectation):
        stat = f"q{e.q:g}" if e.statistic == "quantile" else e.statistic
        return f"statistic({e.column}.{stat})"
    if isinstance(e, CompareExpectation):
        return f"compare({e.left}{e.op}{e.right})"
    if isinstance(e, SumExpectation):
        return f"sum({'+'.join(e.columns)}=={e.equals})"
    if isinstance(e, ColumnsExpectation):
        return "columns"
    if isinstance(e, RowCountExpectation):
        return "row_count"
    expect = "nulls" if isinstance(e, NullsExpectation) else e.expect
    return f"{expect}({','.join(columns_of(e))})"


class ColumnTolerance(BaseModel):
    """The inferred tolerance of one column's null, range and set rules (what
    :func:`~mlgate.checks.data.infer.infer_suite` writes on each expectation): the rules fail
    only on more offending rows than a dataset like the reference shows with probability
    ``alpha`` (:mod:`mlgate.checks.data.tolerance`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    #: the false-hold level of each of the column's rules
    alpha: float = Field(gt=0.0, lt=1.0)
    #: the reference's rows and nulls (the null rule's Fisher test)
    rows: int = Field(ge=1)
    nulls: int = Field(0, ge=0)
    #: the reference values the range or value set was learnt from (None: the column has
    #: neither)
    values: int | None = Field(None, ge=1)

    @model_validator(mode="after")
    def _counts(self) -> ColumnTolerance:
        if self.nulls > self.rows or (self.values or 0) > self.rows:
            raise ValueError(
                f"nulls ({self.nulls}) and values ({self.values}) are counts of the reference's "
                f"rows ({self.rows}): neither can be above it"
            )
        return self


class ColumnRule(BaseModel):
    """Per-column shorthand: what one column must look like."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    dtype: DTypeKind = "any"
    required: bool = True
    nullable: bool = True
    max_null_fraction: float | None = Field(None, ge=0.0, le=1.0)
    min: float | None = None
    max: float | None = None
    values: list[Any] | None = Field(None, min_length=1)
    regex: str | None = None
    unique: bool = False
    #: the inferred tolerance of the null, range and set rules (None: exact rules)
    tolerance: ColumnTolerance | None = None


def expand_columns(rules: dict[str, ColumnRule]) -> list[Any]:
    """The expectations that ``columns: {name: rule}`` stands for: one ``columns``
    expectation for the required columns and their dtypes, then one per rule."""
    out: list[Any] = []
    required = {c: r.dtype for c, r in rules.items() if r.required}
    if required:
        out.append(ColumnsExpectation(expect="columns", columns=required))
    for col, r in rules.items():
        t = r.tolerance
        nulls = (
            {}
            if t is None
            else {"reference_rows": t.rows, "reference_nulls": t.nulls, "alpha": t.alpha}
        )
        learnt = (
            {} if t is None or t.values is None else {"reference_rows": t.values, "alpha": t.alpha}
        )
        if not r.nullable:
            out.append(NullsExpectation(expect="nulls", column=col, max_count=0, **nulls))
        elif r.max_null_fraction is not None:
            out.append(
                NullsExpectation(
                    expect="nulls", column=col, max_fraction=r.max_null_fraction, **nulls
                )
            )
        if r.min is not None or r.max is not None:
            out.append(
                BetweenExpectation(expect="between", column=col, min=r.min, max=r.max, **learnt)
            )
        if r.values is not None:
            out.append(InSetExpectation(expect="in_set", column=col, values=r.values, **learnt))
        if r.regex is not None:
            out.append(RegexExpectation(expect="regex", column=col, pattern=r.regex))
        if r.unique:
            out.append(UniqueExpectation(expect="unique", column=col))
    return out


class Suite(BaseModel):
    """A named list of expectations: what a suite file holds (see :func:`read_suite`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = "expectations"
    description: str = ""
    #: where it came from (e.g. inferred from which dataset, with which margins)
    meta: dict[str, Any] = Field(default_factory=dict)
    expectations: list[Expectation] = Field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "description": self.description,
            "meta": self.meta,
            "expectations": [
                {"expect": e.expect}
                | e.model_dump(mode="json", exclude_defaults=True, exclude={"expect"})
                for e in self.expectations
            ],
        }


_EXPECTATIONS = TypeAdapter(list[Expectation])


def parse_expectations(items: list[Any], *, where: str = "expectations") -> list[Any]:
    """Validate a list of expectation mappings. Raises ConfigError naming the item and key."""
    try:
        return _EXPECTATIONS.validate_python(items)
    except ValidationError as exc:
        from mlgate.config.load import format_validation_error

        text = format_validation_error(exc, source=where, prefix=where)
        raise ConfigError(
            text.replace("invalid gate file", "invalid expectations")
            + f"\n  (expectation types: {EXPECTATION_TYPES})"
        ) from None


def read_suite(path: Path) -> Suite:
    """Read a suite file (YAML or JSON, as :func:`write_suite` writes it).

    Raises DataError when the file is missing or unreadable, ConfigError when its content is
    not a valid suite.
    """
    if not path.is_file():
        raise DataError(f"expectation suite file not found: {str(path)!r}")
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise DataError(f"cannot read expectation suite {str(path)!r}: {exc}") from exc
    if not isinstance(doc, dict) or "expectations" not in doc:
        raise ConfigError(
            f"{str(path)!r} is not an mlgate expectation suite: expected a mapping with "
            "'expectations' (a Great Expectations suite JSON runs through the mlgate-gx plugin)"
        )
    items = doc.get("expectations") or []
    if not isinstance(items, list):
        raise ConfigError(f"{str(path)!r}: 'expectations' must be a list")
    expectations = parse_expectations(items, where=f"{path.name}: expectations")
    try:
        return Suite(
            name=str(doc.get("name", path.stem)),
            description=str(doc.get("description", "")),
            meta=dict(doc.get("meta") or {}),
            expectations=expectations,
        )
    except ValidationError as exc:
        raise ConfigError(f"{str(path)!r}: invalid suite: {exc}") from None


def write_suite(suite: Suite, path: Path) -> Path:
    """Write ``suite`` as reviewable YAML (one expectation per line) and return the path."""
    doc = suite.to_dict()
    head = {k: doc[k] for k in ("name", "description", "meta")}
    text = yaml.safe_dump(head, sort_keys=False, allow_unicode=True)
    lines = ["expectations:"]
    for item in doc["expectations"]:
        flow = yaml.safe_dump(item, sort_keys=False, default_flow_style=True, width=10_000)
        lines.append(f"  - {flow.strip()}")
    if not doc["expectations"]:
        lines = ["expectations: []"]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text + "\n".join(lines) + "\n", encoding="utf-8")
    return path
