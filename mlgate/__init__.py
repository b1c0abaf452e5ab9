"""mlgate — a quality gate for machine-learning models, delivered as a pytest plugin.

Run ``pytest --mlgate`` with a gate file, or :func:`run_gate` from Python (in a notebook:
``mlgate.run_gate("mlgate.yaml", outputs="reports")`` writes the pytest run's outputs and the
run draws itself as the gate report does).

Names are imported lazily: pytest loads mlgate's plugin in every run (through the
``pytest11`` entry point), and a run without ``--mlgate`` must not pay for importing
pandas and scikit-learn. The first name taken from here also imports
:mod:`mlgate.report.notebook`, which gives results their notebook display
(:mod:`mlgate.core.display`).
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
    "GateRun": "mlgate.core.runner",
    # run_gate with outputs= (result.json, report, summary, card): the report layer's, since
    # the kernel's runner may not import the report.
    "run_gate": "mlgate.report.notebook",
}

__all__ = [*sorted(_EXPORTS), "__version__"]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'mlgate' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    importlib.import_module("mlgate.report.notebook")  # registers the notebook display
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
