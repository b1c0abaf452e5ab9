"""Check types ``calibration`` and ``confidence`` (registered in the ``mlgate.checks``
entry-point group). From Python call the check type itself, exactly as the gate file declares
it: ``CALIBRATION(mlgate, max_ece=0.05)``, ``CONFIDENCE(mlgate, threshold=0.7,
min_accuracy=0.95)`` (``calibration_check`` and ``confidence_check`` are the same objects under
their older names)."""

from __future__ import annotations

import itertools
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PositiveInt, model_validator

from mlgate.checks.calibration.bins import Binning, Kind
from mlgate.checks.calibration.classification import run_classification
from mlgate.checks.calibration.confidence import run_confidence
from mlgate.checks.calibration.quantiles import run_quantiles
from mlgate.checks.calibration.recalibrate import RecalibrationMethod
from mlgate.checks.calibration.regression import run_regression
from mlgate.config.schema import GateConfig
from mlgate.core.context import GateContext
from mlgate.core.errors import ConfigError
from mlgate.core.registry import CheckType, Resamples, require_dataset, require_model
from mlgate.core.result import CheckResult
from mlgate.core.task import Task

Fraction = Field(0.5, gt=0.0, lt=1.0)


class CalibrationParams(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    model: str = "candidate"
    dataset: str = "evaluation"
    # classification
    max_ece: float | None = Field(None, ge=0.0, le=1.0)
    n_bins: PositiveInt = 15
    binning: Binning = "equal_width"
    #: None: ``positive`` (P(y = positive class)) for a binary task, ``top_label`` otherwise.
    kind: Kind | None = None
    recalibrate: RecalibrationMethod | None = None
    require: Literal["calibrated", "calibratable"] = "calibrated"
    # regression
    coverage: float = Field(0.9, gt=0.0, lt=1.0)
    max_coverage_gap: float = Field(0.05, ge=0.0, lt=1.0)
    #: The standardized bias (mean error / target sd) bound, read by ``run_regression``.
    max_bias: float | None = Field(None, gt=0.0)
    intervals: str | None = Field(None, pattern=r"^[\w.]+:[\w.]+$")
    quantiles: str | None = Field(None, pattern=r"^[\w.]+:[\w.]+$")
    levels: list[float] | None = Field(None, min_length=1)
    # both
    calibrate_on: str | None = None
    calibration_fraction: float = Fraction
    confidence: float = Field(0.95, gt=0.5, lt=1.0)
    n_resamples: Resamples = 1000
    #: ``poisson``: a Poisson bootstrap folded over batches, so the check runs on a
    #: partitioned dataset of any size (docs/scale.md); equal-width bins only.
    interval: Literal["percentile", "bca", "poisson"] = "percentile"
    min_samples: PositiveInt = 100

    @model_validator(mode="after")
    def _coherent(self) -> CalibrationParams:
        if self.intervals is not None and self.quantiles is not None:
            raise ValueError("give at most one of 'intervals' and 'quantiles'")
        if (self.quantiles is None) != (self.levels is None):
            raise ValueError("'quantiles' and 'levels' go together (one level per column)")
        if self.levels is not None and (
            any(not 0.0 < v < 1.0 for v in self.levels)
            or any(b <= a for a, b in itertools.pairwise(self.levels))
        ):
            raise ValueError(f"levels must increase within (0, 1), got {self.levels}")
        if self.interval == "poisson" and self.binning != "equal_width":
            raise ValueError(
                "interval: poisson folds rows into bins fixed before any row is read, so it "
                "needs binning: equal_width (equal-mass edges are quantiles of every row)"
            )
        if self.interval == "poisson" and self.recalibrate is not None and not self.calibrate_on:
            raise ValueError(
                "interval: poisson with 'recalibrate' needs 'calibrate_on' (a dataset to fit "
                "the map on): a seeded split of the evaluation rows needs every row at once"
            )
        if self.require == "calibratable" and self.recalibrate is None:
            raise ValueError(
                "require: calibratable needs 'recalibrate' (temperature, platt or isotonic)"
            )
        return self


def _validate_calibration(p: CalibrationParams, config: GateConfig) -> None:
    require_model(config, p.model)
    require_dataset(config, p.dataset)
    if p.calibrate_on is not None:
        require_dataset(config, p.calibrate_on, path="calibrate_on")
    if config.task is Task.REGRESSION:
        if p.interval == "poisson":
            raise ConfigError(
                "interval: poisson is for a classifier's ECE; a regressor's coverage has a "
                "Wilson interval",
                path="interval",
            )
        if p.recalibrate is not None or p.max_ece is not None:
            raise ConfigError(
                "a regression task checks interval coverage ('coverage', "
                "'max_coverage_gap', 'intervals'), not 'max_ece' / 'recalibrate'",
                path="max_ece" if p.max_ece is not None else "recalibrate",
            )
        return
    if p.max_ece is None:
        raise ConfigError("a classifier's calibration check needs 'max_ece'", path="max_ece")
    if p.max_bias is not None:
        raise ConfigError("'max_bias' is for regression tasks", path="max_bias")
    for key in ("intervals", "quantiles"):
        if getattr(p, key) is not None:
            raise ConfigError(f"'{key}' is for regression tasks", path=key)
    if config.task is Task.MULTICLASS and p.kind == "positive":
        raise ConfigError("kind 'positive' needs a binary task; use top_label", path="kind")
    if config.task is Task.MULTICLASS and p.recalibrate in ("platt", "isotonic"):
        raise ConfigError(
            f"{p.recalibrate} scaling is binary; use 'temperature' for multiclass",
            path="recalibrate",
        )


def _suffix(p: Any) -> str:
    return "" if (p.model, p.dataset) == ("candidate", "evaluation") else f"-{p.model}-{p.dataset}"


def _calibration_id(p: CalibrationParams) -> str:
    return "calibration" + (f"-{p.recalibrate}" if p.recalibrate else "") + _suffix(p)


def default_kind(task: Task) -> Kind:
    """What a classifier's ECE bins when ``kind`` is not given: the positive class's
    probability for a binary task (what scikit-learn's ``calibration_curve`` and most users
    mean by "calibrated"), the top label's for a multiclass one."""
    return "positive" if task is Task.BINARY else "top_label"


def run_calibration(ctx: GateContext, p: CalibrationParams) -> CheckResult:
    if ctx.task is Task.REGRESSION and p.quantiles is not None:
        return run_quantiles(ctx, p, _calibration_id(p))
    if ctx.task is Task.REGRESSION:
        return run_regression(ctx, p, _calibration_id(p))
    if p.kind is None:
        p = p.model_copy(update={"kind": default_kind(ctx.task)})
    return run_classification(ctx, p, _calibration_id(p))


class ConfidenceParams(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    model: str = "candidate"
    dataset: str = "evaluation"
    threshold: float | None = Field(None, ge=0.0, le=1.0)
    target_accuracy: float | None = Field(None, gt=0.0, le=1.0)
    min_coverage: float | None = Field(None, ge=0.0, le=1.0)
    min_accuracy: float | None = Field(None, ge=0.0, le=1.0)
    calibration_fraction: float = Fraction
    confidence: float = Field(0.95, gt=0.5, lt=1.0)
    min_samples: PositiveInt = 30

    @model_validator(mode="after")
    def _one_mode(self) -> ConfidenceParams:
        if (self.threshold is None) == (self.target_accuracy is None):
            raise ValueError(
                "give exactly one of 'threshold' (judge coverage / accuracy at it) or "
                "'target_accuracy' (find the threshold that reaches it)"
            )
        if self.threshold is not None and self.min_coverage is None and self.min_accuracy is None:
            raise ValueError("with 'threshold' give 'min_coverage', 'min_accuracy' or both")
        if self.target_accuracy is not None and self.min_accuracy is not None:
            raise ValueError("'min_accuracy' goes with 'threshold'; 'target_accuracy' is its own")
        return self


def _validate_confidence(p: ConfidenceParams, config: GateConfig) -> None:
    if config.task is Task.REGRESSION:
        raise ConfigError("confidence thresholds need a classifier's class probabilities")
    require_model(config, p.model)
    require_dataset(config, p.dataset)


def _confidence_id(p: ConfidenceParams) -> str:
    return "confidence" + _suffix(p)


def run_confidence_check(ctx: GateContext, p: ConfidenceParams) -> CheckResult:
    return run_confidence(ctx, p, _confidence_id(p))


CALIBRATION = CheckType(
    name="calibration",
    kind="calibration",
    params=CalibrationParams,
    run=run_calibration,
    summary="Predicted probabilities must match observed frequencies (ECE with a bootstrap "
    "interval, MCE, Brier decomposition, reliability table), optionally after temperature, "
    "Platt or isotonic scaling fitted on a calibration split; regression: interval coverage.",
    validate=_validate_calibration,
    default_id=_calibration_id,
    # interval: poisson folds batches (mlgate.checks.calibration.folded); the cell bootstrap
    # (percentile, bca) and regression coverage need every row at once.
    needs_all_rows=lambda p: p.interval != "poisson",
)

CONFIDENCE = CheckType(
    name="confidence",
    kind="confidence",
    params=ConfidenceParams,
    run=run_confidence_check,
    summary="At a confidence threshold, coverage and accuracy of the shown predictions must "
    "reach their bounds (Wilson intervals); or find the threshold that reaches a target "
    "accuracy on a calibration split and check it on held-out rows.",
    validate=_validate_confidence,
    default_id=_confidence_id,
    # at a threshold: two counts and a sketched curve (.confidence_fold); target_accuracy
    # chooses the threshold on a permutation split of every row.
    needs_all_rows=lambda p: p.threshold is None,
)

#: The older names of the Python entry points: the check types themselves.
calibration_check = CALIBRATION
confidence_check = CONFIDENCE
