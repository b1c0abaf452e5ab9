"""Behavioral checks on a model and data given directly, without a gate file.

Each function here builds a gate context over the objects with
:meth:`GateContext.from_objects <mlgate.core.context.GateContext.from_objects>` (validated like
a gate file) and calls the check type on it, so a call gives what a gate run with the same
``seed`` gives: the same parameter checks, the same random stream, the original rows
predicted once through the prediction cache.

Inside a gate run (a test with the ``mlgate`` fixture), call the check type on the gate's own
context instead, which shares its predictions with every other check::

    mlgate_record(INVARIANCE(mlgate, max_flip_rate=0.01))
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from mlgate.checks.behavior.checks.directional import DIRECTIONAL
from mlgate.checks.behavior.checks.invariance import INVARIANCE
from mlgate.checks.behavior.checks.minimum_functionality import MINIMUM_FUNCTIONALITY
from mlgate.checks.behavior.checks.perturbation import PERTURBATION
from mlgate.checks.behavior.compare import Compare, change_compare, take
from mlgate.checks.behavior.counterexamples import Counterexample, shrink
from mlgate.checks.behavior.variants import resolve_transform
from mlgate.core.context import GateContext
from mlgate.core.data import Dataset
from mlgate.core.errors import ConfigError, DataError
from mlgate.core.registry import CheckType
from mlgate.core.result import CheckResult
from mlgate.core.task import Task


def context_for(
    model: Any,
    data: pd.DataFrame | Dataset,
    *,
    task: Task | str | None = None,
    seed: int = 0,
    label: str | None = None,
    features: Sequence[str] | None = None,
    sensitive: Sequence[str] | None = None,
) -> GateContext:
    """A gate context with ``model`` as the candidate and ``data`` as the evaluation dataset.

    ``model`` is an estimator, torch module, callable or model adapter; ``task`` defaults to
    its ``task`` attribute. ``data`` is a DataFrame (features: ``features``, else every
    column but ``label``) or an mlgate :class:`Dataset`, whose roles are used unless
    ``label``, ``features`` or ``sensitive`` are given.

    Raises:
        ConfigError: no ``task`` given and the model does not say which, or a role the gate
            file would refuse.
        DataError: ``data`` is neither a DataFrame nor a Dataset.
    """
    task = _task_of(model, task)
    roles: dict[str, Any] = {}
    if isinstance(data, Dataset):
        spec = data.spec
        roles = {
            "label": spec.label,
            "features": spec.features,
            "time": spec.time,
            "sensitive": list(spec.sensitive),
            "slices": list(spec.slices),
        }
        frame = data.frame
    elif isinstance(data, pd.DataFrame):
        frame = data
    else:
        raise DataError(
            f"data must be a pandas DataFrame or an mlgate Dataset, got {type(data).__name__}"
        )
    given = {"label": label, "features": features, "sensitive": sensitive}
    roles.update({k: v if k == "label" else list(v) for k, v in given.items() if v is not None})
    roles = {k: v for k, v in roles.items() if v is not None}
    return GateContext.from_objects(
        models={"candidate": model},
        datasets={"evaluation": {"data": frame, **roles}},
        task=task,
        seed=seed,
    )


def _task_of(model: Any, task: Task | str | None) -> Task | str:
    """``task``, else the model's ``task`` attribute. Raises ConfigError when neither says."""
    task = task if task is not None else getattr(model, "task", None)
    if task is None:
        raise ConfigError("give task='binary', 'multiclass' or 'regression' for this model")
    return task


def _on_data(check_type: CheckType, required: str, example: str = "") -> Callable[..., CheckResult]:
    """The function ``<name>_check(model, data, *, task, seed, label, features, sensitive,
    **params)`` that runs ``check_type`` on a context over the objects (:func:`context_for`);
    ``required`` names the parameters the check cannot do without, for its docstring."""

    def check(
        model: Any,
        data: pd.DataFrame | Dataset,
        *,
        task: Task | str | None = None,
        seed: int = 0,
        label: str | None = None,
        features: Sequence[str] | None = None,
        sensitive: Sequence[str] | None = None,
        **params: Any,
    ) -> CheckResult:
        ctx = context_for(
            model, data, task=task, seed=seed, label=label, features=features, sensitive=sensitive
        )
        return check_type(ctx, **params)

    check.__name__ = check.__qualname__ = f"{check_type.name}_check"
    check.__doc__ = (
        f"The ``{check_type.name}`` check of ``model`` on ``data`` (see :func:`context_for`); "
        f"``params`` are the gate-file parameters{required}.\n"
        + (f"\nExample::\n\n    {example}\n" if example else "")
        + "\nRaises ConfigError for invalid parameters; returns a :class:`CheckResult` otherwise."
    )
    return check


perturbation_check = _on_data(
    PERTURBATION,
    "",
    'result = perturbation_check(clf, df, task="binary", label="y", max_flip_rate=0.05)',
)
invariance_check = _on_data(INVARIANCE, " (``max_flip_rate`` is required)")
directional_check = _on_data(DIRECTIONAL, " (``expect`` and ``max_violation_rate`` are required)")


def minimum_functionality_check(
    model: Any,
    *,
    task: Task | str | None = None,
    features: Sequence[str] | None = None,
    **params: Any,
) -> CheckResult:
    """Minimum-functionality cases of ``model``: ``cases=[...]`` or ``file=path`` (relative to
    the working directory); ``features`` fixes the model's column order (default: the order
    the cases give).

    The cases are the only rows the check predicts: the context's evaluation dataset (one
    empty row) only declares ``features``.

    Raises ConfigError for invalid parameters or cases.
    """
    declared: dict[str, Any] = {"data": pd.DataFrame([dict.fromkeys(features or ())])}
    if features is not None:
        declared["features"] = list(features)
    ctx = GateContext.from_objects(
        models={"candidate": model},
        datasets={"evaluation": declared},
        task=_task_of(model, task),
    )
    dataset = "evaluation" if features is not None else None
    return MINIMUM_FUNCTIONALITY(ctx, **{**params, "dataset": dataset})


def find_counterexample(
    model: Any,
    X: pd.DataFrame,
    position: int,
    transform: str,
    *,
    columns: list[str] | None = None,
    params: dict[str, Any] | None = None,
    task: Task | str | None = None,
    compare: Compare | None = None,
    sensitive: Sequence[str] = (),
    max_examples: int = 100,
    budget: int = 200,
) -> Counterexample | None:
    """Search the family of ``transform`` (its columns, strength and seed) for the smallest
    perturbation of row ``position`` of ``X`` that changes ``model``'s prediction (or breaks
    ``compare``), shrunk by Hypothesis. Returns None when none is found in ``budget`` calls.

    ``X`` is the reference for the transformation's statistics; its rows are predicted once
    (the prediction cache of a gate context), as a check would.

    Example::

        cx = find_counterexample(clf, texts, 3, "typo", params={"n": 3}, task="binary")
        print(cx.paste())   # - {text: I lvoe this film, expected: 1}

    Raises:
        ConfigError: unknown transform or parameters, or no ``task`` for a raw model.
        MissingDependencyError: Hypothesis is not installed.
    """
    ctx = context_for(model, X, task=task, sensitive=list(sensitive) or None)
    rows = ctx.dataset("evaluation").X
    applied = resolve_transform(
        transform, rows, columns=columns, params=params, sensitive=sensitive
    )
    return shrink(
        ctx.candidate,
        rows,
        position,
        applied,
        original=take(ctx.predict(), np.array([position])),
        compare=compare or change_compare(ctx.task, None),
        max_examples=max_examples,
        budget=budget,
    )
