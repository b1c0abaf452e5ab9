"""Baselines a candidate must beat, as predictions on the evaluation rows.

Built-in baselines are fitted on the ``fit_on`` dataset (the training / reference split):

``uniform``
    classification: labels drawn uniformly from the classes, scores 1/k;
    regression: values uniform on [min, max] of the fit targets.
``prior``
    labels drawn from the class frequencies, scores = those frequencies; values drawn from
    the fit targets.
``zero_rule``
    the majority class with the class frequencies as scores; the mean.
``majority`` (classification), ``mean`` / ``median`` (regression)
    the majority class; the mean / median of the fit targets.

Random baselines are drawn once with the check's seeded generator; the paired bootstrap then
treats them like any other model. Other baselines: ``{model: name}`` (any declared model),
``{callable: "module:function"}`` (called with the feature frame, like a callable model) and a
one-feature rule ``{feature: x, threshold: 0.5}`` (classification: ``above`` where
x ≥ threshold, else ``below``; defaults the positive / negative class of a binary task;
regression: a least-squares line in x fitted on ``fit_on``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from mlgate.core.context import GateContext
from mlgate.core.data import Dataset
from mlgate.core.errors import ConfigError, DataError
from mlgate.core.imports import resolve_callable
from mlgate.core.task import Task
from mlgate.models import Predictions, adapt

BUILTIN_CLS = ("uniform", "prior", "zero_rule", "majority")
BUILTIN_REG = ("uniform", "prior", "zero_rule", "mean", "median")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ModelBaseline(_Strict):
    model: str
    name: str | None = None


class CallableBaseline(_Strict):
    callable: str = Field(pattern=r"^[\w.]+:[\w.]+$")
    name: str | None = None


class RuleBaseline(_Strict):
    feature: str
    threshold: float | None = None
    above: Any = None
    below: Any = None
    name: str | None = None


Spec = str | ModelBaseline | CallableBaseline | RuleBaseline


def baseline_name(spec: Spec) -> str:
    if isinstance(spec, str):
        return spec
    if spec.name:
        return spec.name
    if isinstance(spec, ModelBaseline):
        return f"model:{spec.model}"
    if isinstance(spec, CallableBaseline):
        return f"callable:{spec.callable}"
    return f"rule:{spec.feature}" + ("" if spec.threshold is None else f">={spec.threshold:g}")


def check_spec(spec: Spec, task: Task, models: list[str]) -> str | None:
    """What is wrong with ``spec`` for ``task`` (None if nothing)."""
    if isinstance(spec, str):
        allowed = BUILTIN_REG if task is Task.REGRESSION else BUILTIN_CLS
        if spec not in allowed:
            return f"unknown baseline {spec!r} for a {task.value} task; use one of {list(allowed)}"
    elif isinstance(spec, ModelBaseline) and spec.model not in models:
        return f"no model {spec.model!r}; declared: {sorted(models)}"
    elif isinstance(spec, RuleBaseline):
        if task is Task.REGRESSION and spec.threshold is not None:
            return "a regression rule is a line in one feature: drop 'threshold'"
        if task is not Task.REGRESSION and spec.threshold is None:
            return f"a classification rule needs a 'threshold' for feature {spec.feature!r}"
        if task is Task.MULTICLASS and (spec.above is None or spec.below is None):
            return "a multiclass rule needs the classes 'above' and 'below' the threshold"
    return None


def predict_baseline(
    spec: Spec,
    ctx: GateContext,
    *,
    data: Dataset,
    fit: Dataset,
    classes: tuple[Any, ...] | None,
    rng: np.random.Generator,
) -> Predictions:
    """Predictions of baseline ``spec`` on ``data``. Raises ConfigError / DataError with the
    baseline's name when it cannot be built."""
    task = ctx.task
    if isinstance(spec, ModelBaseline):
        return ctx.predict(spec.model, data.name)
    if isinstance(spec, CallableBaseline):
        fn = resolve_callable(
            spec.callable, base_dir=ctx.gate.base_dir, what=f"baseline {baseline_name(spec)!r}"
        )
        return (
            adapt(fn, task, classes=classes)
            .predict(data.X)
            .validate(len(data), source=f"baseline {baseline_name(spec)!r}")
        )
    n = len(data)
    if task is Task.REGRESSION:
        return Predictions(task, values=_regression(spec, data, fit, rng))
    assert classes is not None
    prior = _prior(fit, classes)
    k = len(classes)
    if isinstance(spec, RuleBaseline):
        above = spec.above if spec.above is not None else classes[-1]
        below = spec.below if spec.below is not None else classes[0]
        x = _feature(data, spec.feature)
        labels = np.where(x >= spec.threshold, above, below)
        scores = (np.asarray(classes, dtype=object)[None, :] == labels[:, None]).astype(float)
        return Predictions(task, labels=labels, scores=scores, classes=classes)
    if spec == "uniform":
        p = np.full(k, 1.0 / k)
        labels = np.asarray(classes, dtype=object)[rng.integers(0, k, size=n)]
    elif spec == "prior":
        p = prior
        labels = np.asarray(classes, dtype=object)[rng.choice(k, size=n, p=prior)]
    else:  # zero_rule / majority
        p = prior
        labels = np.full(n, classes[int(np.argmax(prior))], dtype=object)
    return Predictions(task, labels=labels, scores=np.tile(p, (n, 1)), classes=classes)


def _prior(fit: Dataset, classes: tuple[Any, ...]) -> np.ndarray:
    y = np.asarray(fit.y, dtype=object)
    counts = np.array([np.count_nonzero(y == c) for c in classes], dtype=float)
    if counts.sum() == 0:
        raise DataError(
            f"dataset {fit.name!r} has no rows of the classes {list(classes)}; "
            "a prior / zero-rule baseline cannot be fitted on it"
        )
    return counts / counts.sum()


def _feature(data: Dataset, name: str) -> np.ndarray:
    if name not in data.frame.columns:
        raise ConfigError(
            f"rule baseline: no column {name!r} in dataset {data.name!r}; columns: "
            f"{list(map(str, data.frame.columns))}"
        )
    try:
        return data.frame[name].to_numpy(dtype=float)
    except (TypeError, ValueError) as exc:
        raise DataError(f"rule baseline: column {name!r} is not numeric: {exc}") from exc


def _regression(spec: Spec, data: Dataset, fit: Dataset, rng) -> np.ndarray:
    y = np.asarray(fit.y, dtype=float)
    n = len(data)
    if isinstance(spec, RuleBaseline):
        slope, intercept = np.polyfit(_feature(fit, spec.feature), y, 1)
        return intercept + slope * _feature(data, spec.feature)
    if spec == "uniform":
        return rng.uniform(y.min(), y.max(), size=n)
    if spec == "prior":
        return rng.choice(y, size=n)
    if spec == "median":
        return np.full(n, float(np.median(y)))
    return np.full(n, float(y.mean()))  # zero_rule / mean
