"""Minimum functionality: template cases with the output the model must give, like unit tests
of the model (CheckList's MFT).

The cases come inline (``cases``) or from a YAML/CSV file (``file``, relative to the gate
file); all are predicted in one model call. A classification case passes when the predicted
label equals ``expected``; a regression case when the value is within ``tolerance`` of it.
The cases are the specification, not a sample, so the verdict is exact: ``passed`` when the
failure rate is at most ``max_failure_rate`` (default 0: every case must pass), else
``failed`` (``Threshold.judge`` on the exact rate, rule ``point``); no case at all is
``inconclusive``. A Wilson interval of the failure rate is reported for information.

From Python: ``MINIMUM_FUNCTIONALITY(ctx, cases=[...])`` on the gate context (the ``mlgate``
fixture, or :meth:`GateContext.from_objects`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from mlgate.checks.behavior.cases import cases_frame, expand_cases, read_cases
from mlgate.checks.behavior.evidence import jsonable_row, jsonable_value
from mlgate.config.schema import GateConfig
from mlgate.core.context import GateContext
from mlgate.core.errors import ConfigError
from mlgate.core.evidence import Examples
from mlgate.core.registry import CheckType
from mlgate.core.result import CheckResult, DecisionRule, Status, Threshold
from mlgate.core.task import Task
from mlgate.models import ModelAdapter, Predictions
from mlgate.stats.intervals import wilson_interval

KIND = "minimum_functionality"


class MinimumFunctionalityParams(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    model: str = "candidate"
    dataset: str | None = "evaluation"
    cases: list[dict[str, Any]] | None = Field(None, min_length=1)
    file: str | None = None
    tolerance: float = Field(0.0, ge=0.0)
    max_failure_rate: float = Field(0.0, ge=0.0, le=1.0)
    confidence: float = Field(0.95, gt=0.5, lt=1.0)
    max_examples: int = Field(10, ge=0, le=20)

    @model_validator(mode="after")
    def _one_source(self) -> MinimumFunctionalityParams:
        if (self.cases is None) == (self.file is None):
            raise ValueError("give exactly one of 'cases' (inline) or 'file' (YAML or CSV)")
        if self.cases is not None:
            try:
                expand_cases(self.cases)
            except ConfigError as exc:
                raise ValueError(str(exc)) from None
        return self


def _validate(p: MinimumFunctionalityParams, config: GateConfig) -> None:
    if p.model not in config.models:
        raise ConfigError(f"no model {p.model!r}; declared: {sorted(config.models)}", path="model")
    if p.dataset is not None and p.dataset not in config.datasets:
        raise ConfigError(
            f"no dataset {p.dataset!r}; declared: {sorted(config.datasets)}", path="dataset"
        )


def run_minimum_functionality(ctx: GateContext, p: MinimumFunctionalityParams) -> CheckResult:
    cases = (
        expand_cases(p.cases)
        if p.cases is not None
        else read_cases(_resolve(ctx.gate.base_dir, p.file))
    )
    features = ctx.dataset(p.dataset).feature_names if p.dataset is not None else None
    return evaluate_cases(ctx.model(p.model), ctx.task, cases, features, p)


def _resolve(base: Path, file: str) -> Path:
    path = Path(file)
    return path if path.is_absolute() else base / path


def evaluate_cases(
    adapter: ModelAdapter,
    task: Task,
    cases: list[dict],
    features: list[str] | None,
    p: MinimumFunctionalityParams,
) -> CheckResult:
    """Predict every case in one call and compare with its expected output."""
    X, expected = cases_frame(cases, features)
    n = len(X)
    if n == 0:
        return CheckResult(
            check_id="?", kind=KIND, status=Status.INCONCLUSIVE, message="no cases to run"
        )
    # The cases are inputs the check writes, like perturbed variants: predicted here, not
    # through the prediction cache (which holds the gate's datasets).
    preds = adapter.predict(X).validate(n, source=f"model {p.model!r} on the cases")
    ok = _matches(preds, expected, task, p.tolerance)
    failed = np.flatnonzero(~ok)
    rate = len(failed) / n
    threshold = Threshold("<=", p.max_failure_rate)
    status = threshold.judge(None, value=rate, rule=DecisionRule.POINT)
    got = preds.values if task is Task.REGRESSION else preds.labels
    failures = [
        {
            "name": cases[i].get("name"),
            "inputs": jsonable_row(X.iloc[i]),
            "expected": jsonable_value(expected[i]),
            "got": jsonable_value(got[i]),
        }
        for i in failed[: p.max_examples]
    ]
    verdict = "≤" if status is Status.PASSED else ">"
    head = (
        f"{len(failed)} of {n} cases failed (rate {rate:.4g} {verdict} max {p.max_failure_rate:g})"
    )
    if failures:
        f = failures[0]
        head += f"; first: {f['name']!r} {f['inputs']} expected {f['expected']!r}, got {f['got']!r}"
    return CheckResult(
        check_id="?",
        kind=KIND,
        status=status,
        metric="failure_rate",
        value=rate,
        interval=wilson_interval(len(failed), n, p.confidence),
        threshold=threshold,
        sample_size=n,
        method="exact share of failed cases (the cases are the specification, not a sample); "
        "Wilson interval for information",
        message=head,
        evidence={
            "model": p.model,
            "cases": n,
            "failed": len(failed),
            "tolerance": p.tolerance,
            "failures": Examples.of(failures, title="failed cases"),
        },
    )


def _matches(preds: Predictions, expected: list, task: Task, tolerance: float) -> np.ndarray:
    if task is Task.REGRESSION:
        exp = np.asarray(expected, dtype=float)
        return np.abs(preds.values - exp) <= tolerance
    return np.array(
        [_same_label(a, b) for a, b in zip(preds.labels.tolist(), expected, strict=True)],
        dtype=bool,
    )


def _same_label(got: Any, expected: Any) -> bool:
    """Labels match when equal, or when their text is (``1`` read from a CSV as ``"1"``)."""
    return bool(got == expected) or str(got) == str(expected)


MINIMUM_FUNCTIONALITY = CheckType(
    name=KIND,
    kind=KIND,
    params=MinimumFunctionalityParams,
    run=run_minimum_functionality,
    summary="Template cases with expected outputs (inline or a YAML/CSV file) must pass.",
    validate=_validate,
    default_id=lambda p: KIND if p.model == "candidate" else f"{KIND}-{p.model}",
)
