"""The data check types: ``data_expectations`` and ``data_schema``.

``data_expectations`` runs expectations declared in the gate file (a list, a per-column
``columns:`` mapping, or a suite file) on one dataset. ``data_schema`` infers a suite from
the reference dataset and applies it to the evaluation dataset; it can write the inferred
suite (mlgate YAML and GX JSON) for review.

From Python (a check type is callable with the gate file's parameters)::

    from mlgate.checks.data.checks import DATA_EXPECTATIONS, check_frame

    mlgate_record(DATA_EXPECTATIONS(mlgate, columns={"age": {"min": 0, "max": 120}}))
    result = check_frame(frame, [{"expect": "unique", "column": "id"}])  # no gate needed
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, PositiveInt, model_validator

from mlgate.checks.data import spec as S
from mlgate.checks.data.evaluate import DEFAULT_SAMPLE, Outcome, evaluate, outcomes_of
from mlgate.checks.data.fold import SuiteScan, is_mergeable, merge_states
from mlgate.checks.data.gx_json import write_gx_suite
from mlgate.checks.data.infer import SummaryScan, merge_summaries, suite_from_summary
from mlgate.checks.data.verdict import KIND, data_result
from mlgate.config.schema import GateConfig
from mlgate.core.context import GateContext
from mlgate.core.engines import CollectRefused
from mlgate.core.errors import ConfigError, DataError
from mlgate.core.registry import CheckType, require_dataset
from mlgate.core.result import CheckResult

_SUITE_SUFFIXES = (".yaml", ".yml", ".json")


class DataExpectationsParams(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    dataset: str = "evaluation"
    expectations: list[S.Expectation] = Field(default_factory=list)
    columns: dict[str, S.ColumnRule] = Field(default_factory=dict)
    suite: str | None = None
    min_rows: PositiveInt = 1
    sample: PositiveInt = DEFAULT_SAMPLE

    @model_validator(mode="after")
    def _something(self) -> DataExpectationsParams:
        if not (self.expectations or self.columns or self.suite):
            raise ValueError("declare 'expectations', 'columns' or a 'suite' file")
        if self.suite is not None and not self.suite.lower().endswith(_SUITE_SUFFIXES):
            raise ValueError(f"suite {self.suite!r} must be a .yaml, .yml or .json file")
        return self

    def declared(self) -> list[Any]:
        return S.expand_columns(self.columns) + list(self.expectations)


def _unique_names(expectations: list[Any], path: str) -> None:
    counts = Counter(S.expectation_name(e) for e in expectations)
    dup = sorted(n for n, k in counts.items() if k > 1)
    if dup:
        raise ConfigError(
            f"expectation name(s) {dup} occur more than once; give each a distinct 'name'",
            path=path,
        )


def _validate_expectations(p: DataExpectationsParams, config: GateConfig) -> None:
    require_dataset(config, p.dataset, label=False)
    _unique_names(p.declared(), "expectations")


def check_frame(
    frame: pd.DataFrame,
    expectations: list[Any],
    *,
    dataset: str = "data",
    check_id: str = "data-expectations",
    min_rows: int = 1,
    sample: int = DEFAULT_SAMPLE,
) -> CheckResult:
    """Run ``expectations`` (specs or their mappings) on ``frame`` and return one
    :class:`~mlgate.core.result.CheckResult`. Raises ConfigError for invalid expectations."""
    specs = S.parse_expectations([_as_mapping(e) for e in expectations])
    outcomes = evaluate(frame, specs, sample=sample)
    return data_result(
        outcomes, check_id=check_id, dataset=dataset, n_rows=len(frame), min_rows=min_rows
    )


def _as_mapping(e: Any) -> Any:
    return e.model_dump() if isinstance(e, BaseModel) else e


def run_data_expectations(ctx: GateContext, p: DataExpectationsParams) -> CheckResult:
    expectations = p.declared()
    extra: dict[str, Any] = {}
    if p.suite is not None:
        path = (ctx.gate.base_dir / p.suite).resolve()
        suite = S.read_suite(path)
        expectations += list(suite.expectations)
        extra["suite"] = {"name": suite.name, "path": p.suite, "meta": suite.meta}
    _unique_names(expectations, "suite" if p.suite else "expectations")
    outcomes, n_rows = evaluate_dataset(ctx, p.dataset, expectations, sample=p.sample)
    return data_result(
        outcomes,
        check_id=_default_id(p),
        dataset=p.dataset,
        n_rows=n_rows,
        min_rows=p.min_rows,
        evidence=extra,
    )


def evaluate_dataset(
    ctx: GateContext, dataset: str, expectations: list[Any], *, sample: int
) -> tuple[list[Outcome], int]:
    """(the outcomes of ``expectations`` on ``dataset``, its rows).

    When every expectation is mergeable the dataset's batches are folded (``ctx.fold``: in
    memory, in chunks of ``ctx.batch_rows``, or on the Dask workers) and no row is gathered.
    Otherwise every row is read at once, which the Dask engine refuses above
    ``engine.max_collect_rows`` (CollectRefused, naming the expectations that need it).
    """
    whole = [S.expectation_name(e) for e in expectations if not is_mergeable(e)]
    if whole:
        try:
            frame = ctx.dataset(dataset).frame
        except CollectRefused as exc:
            raise CollectRefused(
                f"expectation(s) {whole} (unique) need every row of dataset "
                f"{dataset!r} in one place; the other expectations fold batches and run at any "
                f"size, so move these to a check on a sample or a smaller dataset. {exc}"
            ) from None
        return evaluate(frame, expectations, sample=sample), len(frame)
    scan = SuiteScan(tuple(expectations), sample)
    state = _fold(ctx, dataset, scan, merge_states, lambda frame: scan(_Whole(frame)))
    return outcomes_of(state, expectations), state.rows


class _Whole:
    """A whole frame as the one batch a fold function takes."""

    def __init__(self, frame: pd.DataFrame) -> None:
        self.frame, self.start = frame, 0


def _fold(
    ctx: GateContext,
    dataset: str,
    fn: Callable[[Any], Any],
    merge: Callable[[Any, Any], Any],
    whole: Callable[[pd.DataFrame], Any],
) -> Any:
    """``ctx.fold(None, dataset, fn, merge)`` over every column; ``whole(frame)`` of every row
    read at once when the batches cannot be made.

    Batches carry the dataset's label, and a label with missing values is refused there
    (DataError); but missing values are what a data check looks for, so it then reads the rows
    in one place, as before the fold (the Dask engine allows that up to
    ``engine.max_collect_rows``, and refuses it above, naming both reasons)."""
    try:
        return ctx.fold(None, dataset, fn, merge, columns=None)
    except DataError as exc:
        spec = ctx.gate.config.datasets.get(dataset)
        if spec is None or spec.label is None or isinstance(exc, CollectRefused):
            raise
        try:
            frame = ctx.dataset(dataset).frame
        except CollectRefused as refused:
            raise CollectRefused(f"{exc} (so its batches cannot be folded); {refused}") from None
        return whole(frame)


def needs_all_rows(p: DataExpectationsParams) -> bool:
    """Whether the declared expectations include one that needs every row at once. A suite
    file's expectations are known only when it is read: one that needs every row is then
    refused on a large dataset all the same (:func:`evaluate_dataset`)."""
    return not all(is_mergeable(e) for e in p.declared())


def _default_id(p: DataExpectationsParams) -> str:
    return "data-expectations" + ("" if p.dataset == "evaluation" else f"-{p.dataset}")


class DataSchemaParams(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    reference: str = "reference"
    dataset: str = "evaluation"
    margin: float = Field(0.1, ge=0.0)
    null_margin: float = Field(0.02, ge=0.0, le=1.0)
    #: family-wise false-hold level of the inferred rules' tolerances (null: exact rules)
    alpha: float | None = Field(0.05, gt=0.0, lt=1.0)
    max_categories: PositiveInt = 20
    exact_columns: bool = False
    columns: list[str] | None = None
    exclude: list[str] = Field(default_factory=list)
    write_suite: str | None = None
    write_gx_suite: str | None = None
    min_rows: PositiveInt = 1
    sample: PositiveInt = DEFAULT_SAMPLE

    @model_validator(mode="after")
    def _different(self) -> DataSchemaParams:
        if self.reference == self.dataset:
            raise ValueError(
                f"reference and dataset are both {self.dataset!r}; a suite "
                "inferred from the data it judges always passes"
            )
        return self


def _validate_schema(p: DataSchemaParams, config: GateConfig) -> None:
    require_dataset(config, p.reference, path="reference", label=False)
    require_dataset(config, p.dataset, label=False)


def run_data_schema(ctx: GateContext, p: DataSchemaParams) -> CheckResult:
    scan = SummaryScan(
        None if p.columns is None else tuple(p.columns), tuple(p.exclude), p.max_categories
    )
    summary = _fold(ctx, p.reference, scan, merge_summaries, lambda f: scan(_Whole(f)))
    suite = suite_from_summary(
        summary,
        name=f"{ctx.gate.config.name}-{p.reference}",
        source=p.reference,
        margin=p.margin,
        null_margin=p.null_margin,
        exact_columns=p.exact_columns,
        columns=p.columns,
        exclude=p.exclude,
        alpha=p.alpha,
    )
    written: dict[str, str] = {}
    if p.write_suite:
        S.write_suite(suite, _out(ctx, p.write_suite))
        written["suite"] = p.write_suite
    if p.write_gx_suite:
        write_gx_suite(suite, _out(ctx, p.write_gx_suite))
        written["gx_suite"] = p.write_gx_suite
    outcomes, n_rows = evaluate_dataset(ctx, p.dataset, suite.expectations, sample=p.sample)
    return data_result(
        outcomes,
        check_id=f"data-schema-{p.dataset}",
        dataset=p.dataset,
        n_rows=n_rows,
        min_rows=p.min_rows,
        evidence={"reference": p.reference, "inferred": suite.meta, "written": written},
    )


def _out(ctx: GateContext, rel: str) -> Path:
    return (ctx.gate.base_dir / rel).resolve()


DATA_EXPECTATIONS = CheckType(
    name="data_expectations",
    kind=KIND,
    params=DataExpectationsParams,
    run=run_data_expectations,
    summary="Declared data expectations (schema, nulls, ranges, sets, regex, uniqueness, row "
    "count, statistics, cross-column rules) on a dataset, with the offending rows.",
    validate=_validate_expectations,
    default_id=_default_id,
    needs_all_rows=needs_all_rows,
)

DATA_SCHEMA = CheckType(
    name="data_schema",
    kind=KIND,
    params=DataSchemaParams,
    run=run_data_schema,
    summary="Expectations inferred from the reference dataset (dtypes, null rates, ranges "
    "with a margin, category sets) applied to the evaluation dataset.",
    validate=_validate_schema,
    default_id=lambda p: f"data-schema-{p.dataset}",
    needs_all_rows=False,
)

#: ``data_expectations_check(mlgate, columns={"age": {"min": 0}})`` and
#: ``data_schema_check(mlgate, exclude=["id"])`` from Python: the check types themselves
#: (parameters validated as in a gate file; ConfigError for bad ones).
data_expectations_check = DATA_EXPECTATIONS
data_schema_check = DATA_SCHEMA
