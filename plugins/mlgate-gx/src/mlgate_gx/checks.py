"""The ``gx_expectations`` check type: GX 1.x expectations or stored suites as a gate check.

Expectations come from the gate file (``expectations: [{type: expect_..., kwargs: {...}}]``),
a stored GX suite JSON (``suite:``), or an mlgate suite YAML translated to GX
(``mlgate_suite:``, e.g. one ``data_schema`` wrote). Each GX result becomes an expectation
row of the check: GX success → passed, failure → failed (``warned`` when GX's own
``severity`` is ``warning`` or ``info``), an exception inside GX → error. GX's complete
validation result is kept under ``evidence.gx``.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any, Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, PositiveInt, model_validator

from mlgate.api import (
    CheckResult,
    CheckType,
    ConfigError,
    DataError,
    GateConfig,
    GateContext,
    NotTranslatable,
    Outcome,
    Status,
    data_result,
    expectation_name,
    read_suite,
    require_dataset,
    to_gx,
)
from mlgate_gx.engine import build_expectation, raised, validate

KIND = "data"
METHOD = "Great Expectations {version} (pandas execution engine, ephemeral context)"
_COLUMN_KEYS = ("column", "column_A", "column_B")


class GXExpectation(BaseModel):
    """One GX expectation configuration, as a GX suite JSON stores it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    type: str = Field(pattern=r"^expect_")
    kwargs: dict[str, Any] = Field(default_factory=dict)
    meta: dict[str, Any] = Field(default_factory=dict)
    severity: Literal["critical", "warning", "info"] = "critical"


class GXParams(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    dataset: str = "evaluation"
    expectations: list[GXExpectation] = Field(default_factory=list)
    suite: str | None = None
    mlgate_suite: str | None = None
    result_format: Literal["BASIC", "SUMMARY", "COMPLETE"] = "SUMMARY"
    min_rows: PositiveInt = 1
    sample: PositiveInt = 10

    @model_validator(mode="after")
    def _something(self) -> GXParams:
        if not (self.expectations or self.suite or self.mlgate_suite):
            raise ValueError("declare 'expectations', a GX 'suite' JSON or an 'mlgate_suite'")
        return self


def _validate(p: GXParams, config: GateConfig) -> None:
    require_dataset(config, p.dataset, label=False)
    for i, e in enumerate(p.expectations):
        build_expectation(e.model_dump(), where=f"expectations[{i}]")


def read_gx_suite(path: Path) -> list[dict[str, Any]]:
    """The expectation configurations of a GX suite JSON. Raises DataError when unreadable."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise DataError(f"cannot read GX suite {str(path)!r}: {exc}") from exc
    items = doc.get("expectations") if isinstance(doc, dict) else None
    if not isinstance(items, list):
        raise DataError(f"{str(path)!r} is not a GX suite: no 'expectations' list")
    return items


def native_as_gx(path: Path) -> list[dict[str, Any]]:
    """An mlgate suite file's expectations as GX configurations (untranslatable ones are
    left out; ``mlgate.checks.data.gx_suite_dict`` lists them)."""
    out: list[dict[str, Any]] = []
    for e in read_suite(path).expectations:
        try:
            configs = to_gx(e)
        except NotTranslatable:
            continue
        out.extend({**c, "meta": {"mlgate": expectation_name(e)}} for c in configs)
    return out


def gx_frame_check(
    frame: pd.DataFrame,
    configs: list[dict[str, Any]],
    *,
    dataset: str = "data",
    check_id: str = "gx-expectations",
    result_format: str = "SUMMARY",
    min_rows: int = 1,
    sample: int = 10,
    evidence: dict[str, Any] | None = None,
) -> CheckResult:
    """Validate GX expectation configurations on ``frame`` and return one CheckResult.
    Raises ConfigError for an unknown expectation type or invalid kwargs."""
    built = [build_expectation(c, where=f"expectations[{i}]") for i, c in enumerate(configs)]
    if len(frame) == 0:  # GX would divide by zero rows; nothing can pass anyway
        outcomes = [
            Outcome(
                name=_name(c),
                expect=str(c.get("type") or c.get("expectation_type")),
                columns=tuple(_columns(c.get("kwargs", {}))),
                status=Status.INCONCLUSIVE,
                message="no rows to judge",
            )
            for c in configs
        ]
        gx_doc: dict[str, Any] = {"results": [], "skipped": "dataset has no rows"}
    else:
        gx_doc = validate(frame, built, result_format=result_format)
        outcomes = [_outcome(r, frame, sample) for r in gx_doc["results"]]
    result = data_result(
        outcomes,
        check_id=check_id,
        dataset=dataset,
        n_rows=len(frame),
        min_rows=min_rows,
        evidence={"gx": gx_doc, **(evidence or {})},
    )
    version = gx_doc.get("meta", {}).get("great_expectations_version", "1.x")
    return replace(result, method=METHOD.format(version=version))


def _columns(kwargs: dict[str, Any]) -> list[str]:
    cols = [kwargs[k] for k in _COLUMN_KEYS if isinstance(kwargs.get(k), str)]
    return cols + [c for c in kwargs.get("column_list") or [] if isinstance(c, str)]


def _name(config: dict[str, Any]) -> str:
    cols = _columns(config.get("kwargs") or {})
    return f"{config.get('type')}({','.join(cols)})" if cols else str(config.get("type"))


def _outcome(r: dict[str, Any], frame: pd.DataFrame, sample: int) -> Outcome:
    config = r.get("expectation_config") or {}
    res = r.get("result") or {}
    cols = _columns(config.get("kwargs") or {})
    error = raised(r)
    if error is not None:
        status = Status.ERROR
    elif r.get("success"):
        status = Status.PASSED
    else:
        status = Status.FAILED
    severity = "warn" if config.get("severity") in ("warning", "info") else "block"
    rows = () if status is Status.PASSED else _rows(res, frame, cols, sample)
    count = res.get("unexpected_count")
    parts = [f"GX {'success' if r.get('success') else 'failure'}"]
    if "observed_value" in res:
        parts.append(f"observed {res['observed_value']!r}")
    if count is not None:
        parts.append(
            f"{count} unexpected of {res.get('element_count')} "
            f"({res.get('missing_count', 0)} missing)"
        )
    if error is not None:
        parts.append(f"error: {error.splitlines()[0][:300]}")
    element = res.get("element_count")
    if element is not None and res.get("missing_count") is not None:
        element = element - res["missing_count"]  # GX judges the present values
    return Outcome(
        name=config.get("meta", {}).get("mlgate") or _name(config),
        expect=str(config.get("type")),
        columns=tuple(cols),
        status=status,
        severity=severity,
        observed=res.get("observed_value"),
        element_count=element,
        unexpected_count=count,
        message="; ".join(parts),
        failing_rows=rows,
    )


def _rows(res: dict[str, Any], frame: pd.DataFrame, cols: list[str], sample: int) -> tuple:
    index = res.get("partial_unexpected_index_list") or []
    keep = [c for c in cols if c in frame.columns]
    out = []
    for label in index[:sample]:
        row: dict[str, Any] = {"row": label}
        if label in frame.index:
            for c in keep:
                v = frame.at[label, c]
                row[c] = None if pd.isna(v) else (v.item() if hasattr(v, "item") else v)
        out.append(row)
    return tuple(out)


def run_gx(ctx: GateContext, p: GXParams) -> CheckResult:
    configs = [e.model_dump() for e in p.expectations]
    sources: dict[str, Any] = {}
    if p.suite is not None:
        configs += read_gx_suite(ctx.gate.base_dir / p.suite)
        sources["suite"] = p.suite
    if p.mlgate_suite is not None:
        configs += native_as_gx(ctx.gate.base_dir / p.mlgate_suite)
        sources["mlgate_suite"] = p.mlgate_suite
    if not configs:
        raise ConfigError("the suite(s) hold no GX expectation", path="suite")
    frame = ctx.dataset(p.dataset).frame
    return gx_frame_check(
        frame,
        configs,
        dataset=p.dataset,
        check_id=_default_id(p),
        result_format=p.result_format,
        min_rows=p.min_rows,
        sample=p.sample,
        evidence=sources,
    )


def _default_id(p: GXParams) -> str:
    return "gx-expectations" + ("" if p.dataset == "evaluation" else f"-{p.dataset}")


GX_EXPECTATIONS = CheckType(
    name="gx_expectations",
    kind=KIND,
    params=GXParams,
    run=run_gx,
    summary="Great Expectations 1.x expectations or a stored suite on a dataset of the gate, "
    "run offline in an ephemeral context; GX's results kept as evidence.",
    validate=_validate,
    default_id=_default_id,
)

#: ``gx_check(mlgate, suite="expectations/loans.gx.json")`` from Python (e.g. in a test using
#: the ``mlgate`` fixture): the check type itself, with the gate file's parameters
#: (ConfigError for bad ones).
gx_check = GX_EXPECTATIONS
