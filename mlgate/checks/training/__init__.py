"""Training checks: can the training loop learn at all?

Given a model factory, a loss, an optimizer factory and one batch, the probes check that the
model can overfit the batch, that the loss goes down and stays finite, that every trainable
parameter gets a gradient and is updated, that runs are reproducible, that the model depends
on its inputs, and that eval mode is deterministic. :func:`check_overfit_sample` is the
scikit-learn variant. See docs/checks/training.md.

torch is imported only when a probe runs; this package imports without it.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "check_training": "mlgate.checks.training.api",
    "run_probes": "mlgate.checks.training.api",
    "PROBES": "mlgate.checks.training.api",
    "ALL_PROBES": "mlgate.checks.training.options",
    "SANITY_PROBES": "mlgate.checks.training.options",
    "TrainingOptions": "mlgate.checks.training.options",
    "TrainingSetup": "mlgate.checks.training.spec",
    "TrainingSetupError": "mlgate.checks.training.spec",
    "check_overfit_sample": "mlgate.checks.training.sklearn_fit",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'mlgate.checks.training' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
