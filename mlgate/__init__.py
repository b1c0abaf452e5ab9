"""mlgate — a quality gate for machine-learning models, delivered as a pytest plugin.

Run ``pytest --mlgate`` with a gate file, or :func:`run_gate` from Python.

Names are imported lazily: pytest loads mlgate's plugin in every run (through the
``pytest11`` entry point), and a run without ``--mlgate`` must not pay for importing
pandas and scikit-learn.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_EXPORTS = {
    "GateContext": "mlgate.core.context",
    "ExitCode": "mlgate.core.decision",
    "StageDecision": "mlgate.core.decision",
    "Verdict": "mlgate.core.decision",
    "ConfigError": "mlgate.core.errors",
    "DataError": "mlgate.core.errors",
    "MlgateError": "mlgate.core.errors",
    "ModelLoadError": "mlgate.core.errors",
    "PredictionError": "mlgate.core.errors",
    "SetupError": "mlgate.core.errors",
    "UntrustedModelError": "mlgate.core.errors",
    "Gate": "mlgate.core.gate",
    "open_gate": "mlgate.core.gate",
    "CheckRegistry": "mlgate.core.registry",
    "CheckType": "mlgate.core.registry",
    "CheckResult": "mlgate.core.result",
    "DecisionRule": "mlgate.core.result",
    "Part": "mlgate.core.result",
    "Interval": "mlgate.core.result",
    "Severity": "mlgate.core.result",
    "Status": "mlgate.core.result",
    "Threshold": "mlgate.core.result",
    "run_gate": "mlgate.core.runner",
}

__all__ = [*sorted(_EXPORTS), "__version__"]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'mlgate' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
