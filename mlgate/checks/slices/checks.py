"""Check types ``slices``, ``fairness`` and ``slice_discovery`` (registered in the
``mlgate.checks`` entry-point group). From Python call the check type itself, exactly as the
gate file declares it: ``SLICES(mlgate, metric="accuracy", slices=["region"])``,
``FAIRNESS(mlgate, max=0.1)``, ``SLICE_DISCOVERY(mlgate, min_size=50)`` (``slices_check``,
``fairness_check`` and ``slice_discovery_check`` are the same objects under their older
names). The runs live in :mod:`mlgate.checks.slices.runs` and
:mod:`mlgate.checks.slices.discovery_run`."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PositiveInt, model_validator

from mlgate.checks.slices.discovery_run import run_discovery
from mlgate.checks.slices.fairness import FairnessMetric
from mlgate.checks.slices.runs import run_fairness, run_slices
from mlgate.checks.slices.spec import SliceSpec
from mlgate.config.schema import GateConfig
from mlgate.core.errors import ConfigError
from mlgate.core.registry import CheckType, Resamples, require_dataset, require_model
from mlgate.core.task import Task
from mlgate.stats.metrics import get_metric
from mlgate.stats.multiple_testing import Correction
from mlgate.stats.scoring import check_metric

Level = Field(0.95, gt=0.5, lt=1.0)


class _Common(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    model: str = "candidate"
    dataset: str = "evaluation"
    confidence: float = Level
    n_resamples: Resamples = 1000


class SlicesParams(_Common):
    metric: str
    slices: list[str | SliceSpec] | None = None
    min: float | None = None
    max: float | None = None
    max_gap: float | None = Field(None, ge=0.0)
    gap_to: Literal["rest", "overall", "best"] = "rest"
    #: None: the test is a criterion only when no bound (min / max / max_gap) is given.
    significance: bool | None = None
    alpha: float = Field(0.05, gt=0.0, lt=1.0)
    correction: Correction = "holm"
    min_size: PositiveInt = 30
    small_groups: Literal["inconclusive", "exclude"] = "inconclusive"
    #: ``poisson`` folds batches (runs on Dask at any size); the others need every row.
    interval: Literal["percentile", "bca", "wilson", "poisson"] = "percentile"

    @model_validator(mode="after")
    def _known(self) -> SlicesParams:
        try:
            metric = get_metric(self.metric)
        except KeyError as exc:
            raise ValueError(str(exc.args[0])) from None
        if self.interval == "wilson" and not metric.wilson:
            raise ValueError(f"a Wilson interval needs a proportion, not {self.metric!r}")
        if self.min is not None and self.max is not None:
            raise ValueError("give at most one of 'min' and 'max'")
        nothing = self.min is None and self.max is None and self.max_gap is None
        if nothing and self.significance is False:
            raise ValueError("nothing to check: give min / max, max_gap or significance")
        return self


class FairnessParams(_Common):
    metric: FairnessMetric = "demographic_parity_difference"
    max: float = Field(..., ge=0.0, le=1.0)
    sensitive: list[str] | None = Field(None, min_length=1)
    min_group_size: PositiveInt = 30
    small_groups: Literal["inconclusive", "exclude"] = "inconclusive"
    #: ``stratified``: each group's table drawn from a multinomial (every row in one place);
    #: ``poisson``: Poisson(1) row weights folded over batches (runs on Dask at any size).
    interval: Literal["stratified", "poisson"] = "stratified"


class DiscoveryParams(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    model: str = "candidate"
    dataset: str = "evaluation"
    features: list[str] | None = Field(None, min_length=1)
    error: Literal["auto", "misclassification", "log_loss", "brier", "absolute", "squared"] = "auto"
    n_bins: int = Field(5, ge=2, le=64)
    max_categories: int = Field(20, ge=2, le=256)
    max_level: int = Field(2, ge=1, le=3)
    min_size: PositiveInt = 30
    alpha: float = Field(0.05, gt=0.0, lt=1.0)
    correction: Correction = "holm"
    #: The smallest excess error worth flagging (see docs/checks/slices.md for the default).
    min_gap: float = Field(0.05, ge=0.0)
    compare_to: Literal["auto", "same_confidence", "rest"] = "auto"
    strata: int = Field(10, ge=2, le=100)
    top_k: int = Field(10, ge=1, le=100)
    max_seconds: float = Field(60.0, gt=0.0)
    confidence: float = Level


def _validate_common(p: Any, config: GateConfig) -> None:
    require_model(config, p.model)
    require_dataset(config, p.dataset)


def _validate_slices(p: SlicesParams, config: GateConfig) -> None:
    _validate_common(p, config)
    check_metric(p.metric, config.task)
    spec = config.datasets[p.dataset]
    if p.slices is None and not (spec.slices or spec.sensitive):
        raise ConfigError(
            f"no slices: declare 'slices' here, or 'slices' / 'sensitive' columns under "
            f"datasets.{p.dataset}",
            path="slices",
        )


def _validate_fairness(p: FairnessParams, config: GateConfig) -> None:
    _validate_common(p, config)
    if config.task is not Task.BINARY:
        raise ConfigError(
            f"fairness gaps need a binary task (got {config.task.value}); use a 'slices' check "
            "with a metric per group instead",
        )
    if p.sensitive is None and not config.datasets[p.dataset].sensitive:
        raise ConfigError(
            f"no sensitive attributes: give 'sensitive' or declare them under "
            f"datasets.{p.dataset}.sensitive",
            path="sensitive",
        )


_CLS_ERRORS = ("misclassification", "log_loss", "brier")


def _validate_discovery(p: DiscoveryParams, config: GateConfig) -> None:
    _validate_common(p, config)
    regression = config.task is Task.REGRESSION
    if p.error != "auto" and (p.error in _CLS_ERRORS) == regression:
        allowed = ["absolute", "squared"] if regression else list(_CLS_ERRORS)
        raise ConfigError(
            f"error {p.error!r} does not apply to a {config.task.value} task; use {allowed}",
            path="error",
        )
    if regression and p.compare_to == "same_confidence":
        raise ConfigError(
            "compare_to 'same_confidence' needs a classifier's class probabilities; a "
            "regression task compares each slice with the rest ('rest' or 'auto')",
            path="compare_to",
        )


def _suffix(p: Any) -> str:
    return "" if (p.model, p.dataset) == ("candidate", "evaluation") else f"-{p.model}-{p.dataset}"


def _slices_id(p: SlicesParams) -> str:
    return f"slices-{p.metric}{_suffix(p)}"


def _fairness_id(p: FairnessParams) -> str:
    short = {"demographic_parity_difference": "dpd", "equalized_odds_difference": "eod"}
    return f"fairness-{short[p.metric]}{_suffix(p)}"


def _discovery_id(p: DiscoveryParams) -> str:
    return f"slice-discovery{_suffix(p)}"


SLICES = CheckType(
    name="slices",
    kind="slice",
    params=SlicesParams,
    run=lambda ctx, p: run_slices(ctx, p, _slices_id(p)),
    summary="A metric per declared slice (value, range, expression, intersection) with its "
    "interval: every slice above a bound, gap to the rest or overall at most g, and no slice "
    "significantly worse than the rest after multiple-testing correction.",
    validate=_validate_slices,
    default_id=_slices_id,
    # interval: poisson folds batches (mlgate.checks.slices.folded); the other intervals
    # resample rows, so they need every row in one place.
    needs_all_rows=lambda p: p.interval != "poisson",
)

FAIRNESS = CheckType(
    name="fairness",
    kind="fairness",
    params=FairnessParams,
    run=lambda ctx, p: run_fairness(ctx, p, _fairness_id(p)),
    summary="Demographic parity or equalized-odds difference between groups of the sensitive "
    "attributes, with a stratified bootstrap interval, at most a bound.",
    validate=_validate_fairness,
    default_id=_fairness_id,
    # interval: poisson folds each group's weighted 2 × 2 tables (fairness_folded); the
    # stratified bootstrap draws from the tables of every row.
    needs_all_rows=lambda p: p.interval != "poisson",
)

SLICE_DISCOVERY = CheckType(
    name="slice_discovery",
    kind="slice",
    params=DiscoveryParams,
    run=lambda ctx, p: run_discovery(ctx, p, _discovery_id(p)),
    summary="Search binned features for slices with significantly more errors than rows of "
    "the same model confidence (or than the rest), by at least min_gap (SliceLine-style "
    "lattice, multiple-testing corrected), bounded in level and runtime.",
    validate=_validate_discovery,
    default_id=_discovery_id,
    # two folds: feature sketches / category counts, then per-cell counts (discovery_run)
    needs_all_rows=False,
)

#: The older names of the Python entry points: the check types themselves.
slices_check = SLICES
fairness_check = FAIRNESS
slice_discovery_check = SLICE_DISCOVERY
