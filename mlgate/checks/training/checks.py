"""The training check types of the gate file (``kind: training``):

- ``torch_overfit_batch``: the memorization test on one batch.
- ``torch_training_sanity``: the learning-sanity probes (``probes:`` picks them).
- ``sklearn_overfit_sample`` lives in :mod:`mlgate.checks.training.sklearn_fit`.

The model, loss, optimizer and batch are ``module:callable`` references resolved from the
gate file's folder. Parameters are documented in docs/checks/training.md.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from mlgate.checks.training.options import SANITY_PROBES, OverfitOptions, Probe, TrainingOptions
from mlgate.config.schema import GateConfig
from mlgate.core.context import GateContext
from mlgate.core.errors import ConfigError
from mlgate.core.registry import CheckType
from mlgate.core.result import CheckResult
from mlgate.core.task import Task

KIND = "training"
REFERENCE = r"^[A-Za-z_][\w.]*:[A-Za-z_][\w.]*$"


class TrainingReferences(BaseModel):
    """Where the training setup comes from (``module:callable`` references)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    model: str = Field(pattern=REFERENCE)
    model_args: dict[str, Any] = Field(default_factory=dict)
    loss: str = Field(pattern=REFERENCE)
    loss_args: dict[str, Any] = Field(default_factory=dict)
    optimizer: str = Field(pattern=REFERENCE)
    optimizer_args: dict[str, Any] = Field(default_factory=dict)
    batch: str = Field(pattern=REFERENCE)
    batch_args: dict[str, Any] = Field(default_factory=dict)


class OverfitBatchParams(TrainingReferences, OverfitOptions):
    """``torch_overfit_batch``: references plus max_steps, target_loss, min_accuracy."""


class TrainingSanityParams(TrainingReferences, TrainingOptions):
    """``torch_training_sanity``: references, the probes to run, and their options."""

    probes: list[Probe] = Field(default_factory=lambda: list(SANITY_PROBES), min_length=1)

    @field_validator("probes")
    @classmethod
    def _distinct(cls, v: list[str]) -> list[str]:
        repeated = sorted({p for p in v if v.count(p) > 1})
        if repeated:
            raise ValueError(f"probes listed more than once: {repeated}")
        return v


def _validate(params: OverfitBatchParams, config: GateConfig) -> None:
    if params.min_accuracy is not None and config.task is Task.REGRESSION:
        raise ConfigError(
            "min_accuracy applies to classification; this gate's task is regression "
            "(use target_loss alone)",
            path="min_accuracy",
        )
    for key in ("model_args", "batch_args"):
        if "seed" in getattr(params, key):
            raise ConfigError(
                "do not pass 'seed' here: the factory gets the gate's seed (--mlgate-seed) "
                "when it takes a 'seed' parameter",
                path=key,
            )


def _options(params: BaseModel) -> TrainingOptions:
    fields = set(TrainingOptions.model_fields) & set(type(params).model_fields)
    return TrainingOptions(**{k: getattr(params, k) for k in fields})


def _run(ctx: GateContext, params: Any, probes: list[str], check_id: str) -> CheckResult:
    from mlgate.checks.training.api import run_probes
    from mlgate.checks.training.spec import import_training_torch, setup_from_references

    import_training_torch()  # a missing torch is named before any reference is imported
    setup = setup_from_references(
        model=params.model,
        model_args=params.model_args,
        loss=params.loss,
        loss_args=params.loss_args,
        optimizer=params.optimizer,
        optimizer_args=params.optimizer_args,
        batch=params.batch,
        batch_args=params.batch_args,
        base_dir=ctx.gate.base_dir,
        seed=ctx.seed,
        device=ctx.device,
    )
    return run_probes(
        setup,
        probes,
        _options(params),
        check_id=check_id,
        evidence={"model": params.model, "optimizer": params.optimizer, "loss": params.loss},
    )


def run_overfit_batch(ctx: GateContext, params: OverfitBatchParams) -> CheckResult:
    return _run(ctx, params, ["overfit"], "torch-overfit-batch")


def run_training_sanity(ctx: GateContext, params: TrainingSanityParams) -> CheckResult:
    return _run(ctx, params, list(params.probes), _sanity_id(params))


def _sanity_id(params: TrainingSanityParams) -> str:
    if list(params.probes) == list(SANITY_PROBES):
        return "torch-training-sanity"
    return "torch-training-" + "-".join(p.replace("_", "-") for p in params.probes)


TORCH_OVERFIT_BATCH = CheckType(
    name="torch_overfit_batch",
    kind=KIND,
    params=OverfitBatchParams,
    run=run_overfit_batch,
    summary="A fresh torch model overfits one batch: the loss falls to target_loss within "
    "max_steps; reports the loss curve and the step reached.",
    validate=_validate,
    default_id=lambda p: "torch-overfit-batch",
)

TORCH_TRAINING_SANITY = CheckType(
    name="torch_training_sanity",
    kind=KIND,
    params=TrainingSanityParams,
    run=run_training_sanity,
    summary="Learning-sanity probes on one batch: the loss decreases and stays finite, every "
    "trainable parameter gets a gradient and is updated, runs are reproducible, the model "
    "depends on its inputs, eval mode is deterministic.",
    validate=_validate,
    default_id=_sanity_id,
)
