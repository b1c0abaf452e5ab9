"""The knobs of the training probes, shared by the gate-file checks and the Python API.

Every field has a default that suits a small model on one batch of a few dozen rows; the
gate-file page (docs/checks/training.md) documents each one.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

#: The probes, in the order they run. ``overfit`` is the memorization test; the others are
#: the learning-sanity probes of ``torch_training_sanity``.
Probe = Literal[
    "overfit",
    "loss_decreases",
    "finite",
    "gradients",
    "updates",
    "determinism",
    "input_dependence",
    "eval_mode",
]
ALL_PROBES: tuple[str, ...] = Probe.__args__  # type: ignore[attr-defined]
SANITY_PROBES: tuple[str, ...] = tuple(p for p in ALL_PROBES if p != "overfit")


class OverfitOptions(BaseModel):
    """How hard the model must be able to fit one batch."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    max_steps: int = Field(500, ge=1, le=100_000)
    target_loss: float = Field(0.01, ge=0.0)
    min_accuracy: float | None = Field(None, gt=0.0, le=1.0)


class TrainingOptions(OverfitOptions):
    """Every probe's knobs (see docs/checks/training.md)."""

    steps: int = Field(20, ge=2, le=10_000)
    min_relative_decrease: float = Field(0.05, ge=0.0, lt=1.0)
    expect_frozen: list[str] = Field(default_factory=list)
    ignore_parameters: list[str] = Field(default_factory=list)
    determinism_tolerance: float | None = Field(None, ge=0.0)
    eval_tolerance: float | None = Field(None, ge=0.0)
    min_relative_increase: float = Field(0.1, gt=0.0)
    leak_check: bool = True

    @model_validator(mode="after")
    def _patterns(self) -> TrainingOptions:
        for key in ("expect_frozen", "ignore_parameters"):
            if any(not p.strip() for p in getattr(self, key)):
                raise ValueError(f"{key}: empty parameter name pattern; use e.g. 'encoder.*'")
        return self


def default_tolerance(given: float | None, device: str) -> float:
    """``given``, else exact (0) on the CPU and 1e-5 (relative) on other devices, whose
    kernels may reorder floating-point sums between runs."""
    if given is not None:
        return given
    return 0.0 if device.split(":")[0] == "cpu" else 1e-5
