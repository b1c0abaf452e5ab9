"""Golden regression check: known inputs must still give known outputs.

Labels must match exactly; class scores and regression values within ``atol + rtol·|expected|``.
**passed** when every case matches, **failed** with a readable diff per failing case (up to 20
in the evidence), **inconclusive** for a file without cases, **error** when the file is
missing or malformed.

With ``--mlgate-update-golden`` (``GateContext.update_golden``) the check (re)writes the file
from the current model instead of comparing — keeping the cases' inputs when the file exists,
else taking ``n_cases`` seeded rows of ``dataset`` — and reports **inconclusive** ("written,
not checked"). Like pytest-regressions' ``--force-regen`` this holds the stage, so a
regenerating run can never promote by accident: review the new file, commit it, rerun.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, PositiveInt

from mlgate import __version__
from mlgate.checks.regression.golden_io import (
    EXPECTED,
    SCORE_PREFIX,
    GoldenCases,
    golden_format,
    plain,
    read_golden,
    write_golden,
)
from mlgate.config.schema import GateConfig
from mlgate.core.context import GateContext
from mlgate.core.errors import ConfigError, DataError
from mlgate.core.evidence import Examples
from mlgate.core.registry import CheckType, require_dataset, require_model
from mlgate.core.result import CheckResult, Status, Threshold, rounded
from mlgate.core.task import Task
from mlgate.models import Predictions

KIND = "regression"
MAX_SHOWN = 20


class GoldenParams(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    path: str
    model: str = "candidate"
    atol: float = Field(1e-6, ge=0.0)
    rtol: float = Field(0.0, ge=0.0)
    scores: bool = True
    dataset: str = "evaluation"
    n_cases: PositiveInt = 20
    #: The column of expected outputs in a CSV or Parquet golden file (e.g. the dataset's
    #: label column, so an excerpt of the evaluation data is a golden file as it is).
    expected_column: str = Field(EXPECTED, min_length=1)


def _validate(p: GoldenParams, config: GateConfig) -> None:
    try:
        fmt = golden_format(Path(p.path))
    except DataError as exc:
        raise ConfigError(str(exc), path="path") from None
    if p.expected_column != EXPECTED and fmt not in ("csv", "parquet"):
        raise ConfigError(
            f"expected_column is for CSV and Parquet golden files; {p.path!r} is {fmt} "
            "(whose cases name their expected output); remove expected_column",
            path="expected_column",
        )
    if p.expected_column == "case" or p.expected_column.startswith(SCORE_PREFIX):
        raise ConfigError(
            f"expected_column {p.expected_column!r} is a reserved column of golden files "
            f"('case', '{SCORE_PREFIX}<class>'); name the column of expected outputs",
            path="expected_column",
        )
    require_model(config, p.model)
    require_dataset(config, p.dataset, label=False)


def run_golden(ctx: GateContext, p: GoldenParams) -> CheckResult:
    path = (ctx.gate.base_dir / p.path).resolve()
    if ctx.update_golden:
        return _write(ctx, p, path)
    if not path.is_file():
        return _result(
            p,
            Status.ERROR,
            f"no golden file at {str(path)!r}; write one from the current model with "
            "pytest --mlgate --mlgate-update-golden",
        )
    cases = read_golden(path, expected=p.expected_column)
    if not len(cases):
        return _result(p, Status.INCONCLUSIVE, f"golden file {path.name!r} has no cases", n=0)
    preds = _predict(ctx, p, cases.inputs)
    failures = [f for i in range(len(cases)) if (f := _diff(ctx.task, p, cases, preds, i))]
    n, bad = len(cases), len(failures)
    evidence = {"file": p.path, "cases": n, "failing": bad, "atol": p.atol, "rtol": p.rtol}
    evidence["diffs"] = _examples(failures[:MAX_SHOWN])
    if not failures:
        return _result(
            p, Status.PASSED, f"all {n} golden cases of {path.name!r} match", n=n, evidence=evidence
        )
    shown = "; ".join(_describe(f) for f in failures[:3])
    more = f" (and {bad - 3} more)" if bad > 3 else ""
    return _result(
        p,
        Status.FAILED,
        f"{bad} of {n} golden cases of {path.name!r} differ: {shown}{more}",
        n=n,
        matched=n - bad,
        evidence=evidence,
    )


def _predict(ctx: GateContext, p: GoldenParams, inputs: pd.DataFrame) -> Predictions:
    order = _feature_order(ctx, p)
    if order is not None and set(order) == set(map(str, inputs.columns)):
        inputs = inputs.loc[:, order]
    source = f"model {p.model!r} on golden file {p.path!r}"
    return ctx.model(p.model).predict(inputs).validate(len(inputs), source=source)


def _feature_order(ctx: GateContext, p: GoldenParams) -> list[str] | None:
    spec = ctx.gate.config.datasets.get(p.dataset)
    if spec is not None and spec.features is not None:
        return list(spec.features)
    try:
        return [str(c) for c in ctx.dataset(p.dataset).feature_names]
    except Exception:  # inputs are used in the file's column order
        return None


def _diff(task: Task, p: GoldenParams, cases: GoldenCases, preds: Predictions, i: int):
    diffs: list[dict[str, Any]] = []
    expected = cases.expected[i]
    if task is Task.REGRESSION:
        _close(diffs, "value", expected, preds.values[i], p)
    else:
        got = plain(preds.labels[i])
        if not _same_label(expected, got):
            diffs.append({"output": "label", "expected": plain(expected), "got": got})
        if p.scores and cases.scores is not None:
            _scores_diff(diffs, cases.scores.iloc[i], preds, i, p)
    if not diffs:
        return None
    inputs = {str(k): plain(v) for k, v in list(cases.inputs.iloc[i].items())[:8]}
    return {"case": cases.names[i], "inputs": inputs, "diffs": diffs}


def _scores_diff(diffs, expected: pd.Series, preds: Predictions, i: int, p: GoldenParams) -> None:
    if preds.scores is None:
        diffs.append({"output": "scores", "expected": "class scores", "got": "labels only"})
        return
    column = {str(c): j for j, c in enumerate(preds.classes or range(preds.scores.shape[1]))}
    for cls, value in expected.items():
        if pd.isna(value):
            continue
        if cls not in column:
            diffs.append({"output": f"score[{cls}]", "expected": value, "got": "no such class"})
            continue
        _close(diffs, f"score[{cls}]", value, preds.scores[i, column[cls]], p)


def _close(diffs, output: str, expected: Any, got: float, p: GoldenParams) -> None:
    try:
        exp = float(expected)
    except (TypeError, ValueError):
        diffs.append({"output": output, "expected": plain(expected), "got": float(got)})
        return
    tol = p.atol + p.rtol * abs(exp)
    if not abs(float(got) - exp) <= tol:
        diffs.append(
            {
                "output": output,
                "expected": exp,
                "got": float(got),
                "abs_diff": rounded(abs(float(got) - exp), 12),
                "tolerance": tol,
            }
        )


def _same_label(a: Any, b: Any) -> bool:
    try:
        if a == b:
            return True
    except (TypeError, ValueError):
        pass
    return str(a) == str(b)


#: Columns of the failing-cases table: one row per output that differs.
COLUMNS = ("case", "output", "expected", "got", "abs_diff", "tolerance", "inputs")


def _examples(failures: list[dict[str, Any]]) -> Examples:
    """The failing cases as counterexamples: one row per output that differs, with the
    case's name and (first eight) inputs."""
    rows = [{"case": f["case"], **d, "inputs": f["inputs"]} for f in failures for d in f["diffs"]]
    return Examples(rows=tuple(rows), columns=COLUMNS, title="golden cases that differ")


def _describe(failure: dict[str, Any]) -> str:
    parts = []
    for d in failure["diffs"]:
        text = f"{d['output']} expected {d['expected']!r}, got {d['got']!r}"
        if "abs_diff" in d:
            text += f" (|diff| {d['abs_diff']:.3g} > tolerance {d['tolerance']:.3g})"
        parts.append(text)
    return f"case {failure['case']!r}: " + ", ".join(parts)


def _write(ctx: GateContext, p: GoldenParams, path: Path) -> CheckResult:
    if path.is_file():
        old = read_golden(path, expected=p.expected_column)
        names, inputs = old.names, old.inputs
    else:
        data = ctx.dataset(p.dataset)
        rng = ctx.rng(f"golden:{p.path}")
        rows = np.sort(rng.choice(len(data), size=min(p.n_cases, len(data)), replace=False))
        inputs = data.X.iloc[rows].reset_index(drop=True)
        names = [f"{p.dataset}-row-{int(r)}" for r in rows]
    preds = _predict(ctx, p, inputs)
    regression = ctx.task is Task.REGRESSION
    expected = [plain(v) for v in (preds.values if regression else preds.labels)]
    scores = None
    if not regression and preds.scores is not None:
        classes = preds.classes or range(preds.scores.shape[1])
        scores = pd.DataFrame(preds.scores, columns=[str(c) for c in classes])
    cases = GoldenCases(names, inputs, expected, scores)
    notes = {"model": p.model, "written_by": f"mlgate {__version__}"}
    write_golden(path, cases, notes=notes, regression=regression, expected=p.expected_column)
    return _result(
        p,
        Status.INCONCLUSIVE,
        f"golden file written: {len(cases)} case(s) from model {p.model!r} to {str(path)!r} "
        "(--mlgate-update-golden); nothing was checked. Review and commit the file, then rerun "
        "without --mlgate-update-golden.",
        n=len(cases),
        evidence={"file": p.path, "written": True, "cases": len(cases)},
    )


def _result(
    p: GoldenParams,
    status: Status,
    message: str,
    *,
    n: int | None = None,
    matched: int | None = None,
    evidence: dict[str, Any] | None = None,
) -> CheckResult:
    value = None if not n else (n if matched is None else matched) / n
    if status is not Status.PASSED and status is not Status.FAILED:
        value = None
    return CheckResult(
        check_id="golden",
        kind=KIND,
        status=status,
        metric="golden_match_rate",
        value=value,
        threshold=Threshold(">=", 1.0),
        sample_size=n,
        method=f"labels exact, scores/values within atol={p.atol:g} + rtol={p.rtol:g}·|expected|",
        message=message,
        evidence={"model": p.model, **(evidence or {"file": p.path})},
    )


def _default_id(p: GoldenParams) -> str:
    return f"golden-{Path(p.path).stem}"


GOLDEN = CheckType(
    name="golden",
    kind=KIND,
    params=GoldenParams,
    run=run_golden,
    summary="Known inputs give known outputs (golden file: CSV, Parquet, JSON or YAML); labels "
    "exact, scores within a tolerance; --mlgate-update-golden rewrites the file.",
    validate=_validate,
    default_id=_default_id,
)

#: The check as a Python function: ``golden_check(mlgate, path="golden.csv")`` (the check type
#: itself; parameters are validated as in the gate file).
golden_check = GOLDEN
