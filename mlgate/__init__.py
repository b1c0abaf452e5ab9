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
    "GateContext": "mlgate.context",
    "ExitCode": "mlgate.decision",
    "StageDecision": "mlgate.decision",
    "Verdict": "mlgate.decision",
    "ConfigError": "mlgate.errors",
    "DataError": "mlgate.errors",
    "MlgateError": "mlgate.errors",
    "ModelLoadError": "mlgate.errors",
    "PredictionError": "mlgate.errors",
    "UntrustedModelError": "mlgate.errors",
    "Gate": "mlgate.gate",
    "open_gate": "mlgate.gate",
    "CheckRegistry": "mlgate.registry",
    "CheckType": "mlgate.registry",
    "CheckResult": "mlgate.result",
    "Interval": "mlgate.result",
    "Severity": "mlgate.result",
    "Status": "mlgate.result",
    "Threshold": "mlgate.result",
    "run_gate": "mlgate.runner",
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
