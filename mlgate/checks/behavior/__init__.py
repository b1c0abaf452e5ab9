"""Behavioral tests of models: perturbation (robustness), invariance (fairness), directional
expectations (sanity) and minimum functionality (unit tests of the model), after CheckList.

Gate files declare them as checks (``check: perturbation`` …). From Python, call the check
type on the gate context; it validates the parameters as the gate file would, shares the
context's cached predictions and draws from the check's seeded stream::

    from mlgate.checks.behavior import INVARIANCE

    def test_fair(mlgate, mlgate_record):
        mlgate_record(INVARIANCE(mlgate, max_flip_rate=0.01))

Without a gate file, :func:`perturbation_check`, :func:`invariance_check`,
:func:`directional_check` and :func:`minimum_functionality_check` take a model and data
directly (over :meth:`GateContext.from_objects <mlgate.core.context.GateContext.from_objects>`).

Transformations are named, seeded and vectorised; add your own with
:func:`register_transform`. See docs/checks/behavioral.md.
"""

from mlgate.checks.behavior.checks.directional import DIRECTIONAL
from mlgate.checks.behavior.checks.invariance import INVARIANCE
from mlgate.checks.behavior.checks.minimum_functionality import MINIMUM_FUNCTIONALITY
from mlgate.checks.behavior.checks.perturbation import PERTURBATION
from mlgate.checks.behavior.counterexamples import Counterexample
from mlgate.checks.behavior.direct import (
    context_for,
    directional_check,
    find_counterexample,
    invariance_check,
    minimum_functionality_check,
    perturbation_check,
)
from mlgate.checks.behavior.transforms import (
    Transform,
    TransformRegistry,
    default_registry,
    register_transform,
)

__all__ = [
    "DIRECTIONAL",
    "INVARIANCE",
    "MINIMUM_FUNCTIONALITY",
    "PERTURBATION",
    "Counterexample",
    "Transform",
    "TransformRegistry",
    "context_for",
    "default_registry",
    "directional_check",
    "find_counterexample",
    "invariance_check",
    "minimum_functionality_check",
    "perturbation_check",
    "register_transform",
]
