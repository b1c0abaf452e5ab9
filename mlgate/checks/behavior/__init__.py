"""Behavioral tests of models: perturbation (robustness), invariance (fairness), directional
expectations (sanity) and minimum functionality (unit tests of the model), after CheckList.

Gate files declare them as checks (``check: perturbation`` …). From Python each is a plain
function returning a :class:`~mlgate.core.result.CheckResult`, to record with ``mlgate_record``::

    from mlgate.checks.behavior import invariance_check

    def test_fair(mlgate, mlgate_record):
        mlgate_record(invariance_check(mlgate.candidate, mlgate.dataset("evaluation"),
                                       task=mlgate.task, seed=mlgate.seed, max_flip_rate=0.01))

Transformations are named, seeded and vectorised; add your own with
:func:`register_transform`. See docs/checks/behavioral.md.
"""

from mlgate.checks.behavior.checks.directional import directional_check
from mlgate.checks.behavior.checks.invariance import invariance_check
from mlgate.checks.behavior.checks.minimum_functionality import minimum_functionality_check
from mlgate.checks.behavior.checks.perturbation import perturbation_check
from mlgate.checks.behavior.counterexamples import Counterexample, find_counterexample
from mlgate.checks.behavior.transforms import (
    Transform,
    TransformRegistry,
    default_registry,
    register_transform,
)

__all__ = [
    "Counterexample",
    "Transform",
    "TransformRegistry",
    "default_registry",
    "directional_check",
    "find_counterexample",
    "invariance_check",
    "minimum_functionality_check",
    "perturbation_check",
    "register_transform",
]
