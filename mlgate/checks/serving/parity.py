"""Check type ``parity``: a variant of a model (int8-quantised, pruned, distilled, exported to
TorchScript or ONNX) against its original on the same rows, overall and per declared slice.

The variant is another model of the gate file (``models: {candidate: ..., candidate_int8:
...}``); both are predicted once through the context's cache. Per part:

* **label agreement** (classification): the share of rows where the two predict the same
  label, with a Wilson interval, at least ``min_agreement``;
* **max |Δ score|**: the largest difference of a class probability (a regression value) over
  the rows; it is the observed worst case of these rows, not an estimate, so it is judged on
  its value;
* **mean |Δ score|**: the mean over rows of each row's largest difference, with a seeded
  bootstrap interval;
* **metric change**: the metric of the variant minus the original's (oriented: positive means
  the variant is better) with a paired bootstrap interval over rows, at least
  ``-max_metric_drop`` (non-inferiority);
* the agreement and the metric change again **per slice** (one per value of each slice
  column), because compression can hurt a small group first. The check passes only when every
  part passes (an intersection-union test, so no multiplicity correction is needed for a pass);
  a slice with fewer than ``min_slice_rows`` rows is inconclusive, never a pass.

A variant whose classes differ from the original's (other classes, or the same in another
order: its score columns would be compared with the wrong ones) is an error naming the models.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, model_validator

from mlgate.checks.serving.environment import environment, environment_table, model_device
from mlgate.checks.serving.headline import decisive_metric, quantities_of
from mlgate.checks.serving.parity_parts import ParityJudge, examples, slice_evidence
from mlgate.config.schema import GateConfig
from mlgate.core.context import GateContext
from mlgate.core.errors import ConfigError, DataError
from mlgate.core.evidence import Table
from mlgate.core.registry import CheckType, require_dataset, require_model
from mlgate.core.result import CheckResult
from mlgate.core.task import Task
from mlgate.models.base import Predictions
from mlgate.stats.metrics import get_metric
from mlgate.stats.scoring import check_metric

KIND = "serving"
#: Values of one slice column beyond which the column is refused (declare fewer slices).
MAX_SLICE_VALUES = 50


class ParityParams(BaseModel):
    """The gate-file keys of ``parity`` (documented in docs/checks/serving.md)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    #: The original model.
    model: str = "candidate"
    #: The variant: another model of the gate file (the compressed or exported copy).
    variant: str
    dataset: str = "evaluation"
    #: The metric compared (default: accuracy, or mae for regression).
    metric: str | None = None
    min_agreement: float | None = Field(None, ge=0.0, le=1.0)
    max_abs_diff: float | None = Field(None, ge=0.0, le=1e12)
    max_mean_abs_diff: float | None = Field(None, ge=0.0, le=1e12)
    max_metric_drop: float | None = Field(None, ge=0.0, le=1e12)
    #: Slice columns (one slice per value); default: the dataset's ``slices`` and ``sensitive``.
    slices: list[str] | None = Field(None, max_length=20)
    slice_min_agreement: float | None = Field(None, ge=0.0, le=1.0)
    slice_max_metric_drop: float | None = Field(None, ge=0.0, le=1e12)
    min_slice_rows: int = Field(30, ge=1, le=1_000_000)
    confidence: float = Field(0.95, ge=0.5, le=0.999)
    n_resamples: int = Field(1000, ge=100, le=100_000)

    @model_validator(mode="after")
    def _a_bound(self) -> ParityParams:
        bounds = ("min_agreement", "max_abs_diff", "max_mean_abs_diff", "max_metric_drop")
        if all(getattr(self, b) is None for b in bounds):
            raise ValueError(f"give at least one bound: {', '.join(bounds)}")
        return self

    @property
    def slice_agreement(self) -> float | None:
        return self.min_agreement if self.slice_min_agreement is None else self.slice_min_agreement

    @property
    def slice_drop(self) -> float | None:
        return (
            self.max_metric_drop
            if self.slice_max_metric_drop is None
            else self.slice_max_metric_drop
        )

    def metric_name(self, task: Task) -> str:
        return self.metric or ("mae" if task is Task.REGRESSION else "accuracy")

    @property
    def compares_metric(self) -> bool:
        return self.max_metric_drop is not None or self.slice_max_metric_drop is not None


def _validate(p: ParityParams, config: GateConfig) -> None:
    require_model(config, p.model)
    require_model(config, p.variant, path="variant")
    if p.variant == p.model:
        raise ConfigError(
            f"the variant is the model itself ({p.model!r}); name the compressed or exported "
            "copy, declared as another model under 'models'",
            path="variant",
        )
    require_dataset(config, p.dataset, label=p.compares_metric)
    check_metric(p.metric_name(config.task), config.task)
    if config.task is Task.REGRESSION and (
        p.min_agreement is not None or p.slice_min_agreement is not None
    ):
        raise ConfigError(
            "label agreement needs a classification task; bound max_abs_diff or "
            "max_mean_abs_diff instead",
            path="min_agreement",
        )
    declared = (config.models[p.model].classes, config.models[p.variant].classes)
    if None not in declared and list(declared[0]) != list(declared[1]):
        raise ConfigError(
            f"models.{p.variant}.classes {declared[1]} differ from models.{p.model}.classes "
            f"{declared[0]}; a variant must predict the same classes in the same order",
            path="variant",
        )


# -- what the two models said ----------------------------------------------------------------
def _same_classes(orig: Predictions, var: Predictions, p: ParityParams) -> None:
    a, b = orig.classes, var.classes
    if a is None or b is None or tuple(a) == tuple(b):
        return
    what = "orders the same classes differently" if set(a) == set(b) else "has other classes"
    raise ConfigError(
        f"variant {p.variant!r} {what} than model {p.model!r} ({list(b)} vs {list(a)}): its "
        "score columns would be compared with the wrong ones; make the variant predict the "
        f"original's classes in the same order (or declare models.{p.variant}.classes)",
        path="variant",
    )


def score_differences(orig: Predictions, var: Predictions) -> np.ndarray | None:
    """Per row, the largest absolute difference of a class probability (a regression value);
    None when either model gives labels only."""
    if orig.task is Task.REGRESSION:
        return np.abs(np.asarray(var.values, float) - np.asarray(orig.values, float))
    if orig.scores is None or var.scores is None:
        return None
    a, b = np.asarray(orig.scores, float), np.asarray(var.scores, float)
    if a.shape != b.shape:
        raise DataError(f"score arrays have different shapes: {a.shape} vs {b.shape}")
    return np.abs(b - a).max(axis=1)


def slice_masks(frame: pd.DataFrame, columns: list[str]) -> list[tuple[str, np.ndarray]]:
    """One (name, mask) per value of each column. Raises DataError for an unknown column or
    one with more than :data:`MAX_SLICE_VALUES` values."""
    out = []
    for col in columns:
        if col not in frame.columns:
            raise DataError(
                f"slice column {col!r} is not in the dataset; its columns: "
                f"{list(map(str, frame.columns))[:20]}"
            )
        values = pd.unique(frame[col].dropna())
        if len(values) > MAX_SLICE_VALUES:
            raise DataError(
                f"slice column {col!r} has {len(values)} values (more than {MAX_SLICE_VALUES}); "
                "slice on a column with fewer values"
            )
        try:
            values = sorted(values.tolist())
        except TypeError:
            values = sorted(values.tolist(), key=repr)
        column = frame[col].to_numpy()
        out += [(f"{col}={v}", column == v) for v in values]
    return out


# -- the run ---------------------------------------------------------------------------------
def run_parity(ctx: GateContext, p: ParityParams) -> CheckResult:
    data = ctx.dataset(p.dataset)
    orig = ctx.predict(p.model, p.dataset)
    var = ctx.predict(p.variant, p.dataset)
    _same_classes(orig, var, p)
    diffs = score_differences(orig, var)
    if diffs is None and (p.max_abs_diff is not None or p.max_mean_abs_diff is not None):
        lacking = p.model if orig.scores is None else p.variant
        raise ConfigError(
            f"model {lacking!r} gives labels only (no class scores), so score differences "
            "cannot be measured; drop max_abs_diff / max_mean_abs_diff or give it predict_proba",
            path="max_abs_diff" if p.max_abs_diff is not None else "max_mean_abs_diff",
        )
    classification = ctx.task is not Task.REGRESSION
    agree = (
        np.asarray(orig.labels, dtype=object) == np.asarray(var.labels, dtype=object)
        if classification
        else None
    )
    metric = get_metric(p.metric_name(ctx.task))
    y = data.y if p.compares_metric else None
    key = _default_id(p)
    judge = ParityJudge(ctx, p, key, metric, orig, var, y)
    everyone = np.ones(len(data), dtype=bool)
    parts = judge.overall(everyone, agree, diffs)
    columns = p.slices if p.slices is not None else _declared_slices(data.spec)
    slice_rows: list[dict[str, Any]] = []
    for name, mask in slice_masks(data.frame, columns):
        slice_parts, row = judge.slice(name, mask, agree, diffs)
        parts += slice_parts
        slice_rows.append(row)
    original = ctx.model(p.model)
    device = model_device(original, p.model)
    evidence: dict[str, Any] = {
        "original": p.model,
        "variant": p.variant,
        "devices": {p.model: device, p.variant: model_device(ctx.model(p.variant), p.variant)},
        "rows": len(data),
        "summary": Table.of(judge.summary, title=f"{p.variant} vs {p.model}"),
    }
    if slice_rows:
        evidence.update(slice_evidence(slice_rows, p, metric.name))
    else:
        evidence["slices"] = "none declared: give 'slices' or declare slices on the dataset"
    evidence["environment"] = environment_table(environment(device, original))
    if diffs is not None:
        evidence["largest_differences"] = examples(
            orig, var, diffs, data.y if y is not None else None
        )
    return CheckResult.from_parts(
        KIND,
        parts,
        metric=decisive_metric(parts, quantities_of(parts), f"parity with {p.model!r}"),
        method="label agreement with Wilson intervals; score differences; the metric change "
        f"with a paired bootstrap interval over rows ({p.n_resamples} resamples); per slice",
        evidence=evidence,
    )


def _declared_slices(spec: Any) -> list[str]:
    return list(dict.fromkeys([*spec.slices, *spec.sensitive]))


def _default_id(p: ParityParams) -> str:
    model = "" if p.model == "candidate" else f"-{p.model}"
    return f"parity{model}-{p.variant}"


PARITY = CheckType(
    name="parity",
    kind=KIND,
    params=ParityParams,
    run=run_parity,
    summary="A compressed or exported variant against its original on the same rows: label "
    "agreement, score differences and the metric change with a paired interval, per slice.",
    validate=_validate,
    default_id=_default_id,
)
