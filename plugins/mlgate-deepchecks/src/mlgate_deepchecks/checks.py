"""The ``deepchecks_suite`` and ``deepchecks_check`` check types.

``deepchecks_suite`` runs one of deepchecks' tabular suites (``data_integrity`` on one
dataset; ``train_test_validation``, ``model_evaluation`` and ``full_suite`` on the train
(default ``reference``) and test (default ``evaluation``) datasets). ``deepchecks_check``
runs a single deepchecks tabular check with the conditions the gate file adds. Predictions
come from the kernel's cache (the model is never called twice); the datasets are copied.
"""

from __future__ import annotations

import inspect
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PositiveInt

from mlgate.api import (
    CheckResult,
    CheckType,
    ConfigError,
    GateConfig,
    GateContext,
    Status,
    require_dataset,
    require_model,
)
from mlgate_deepchecks._require import deepchecks_module
from mlgate_deepchecks.runner import (
    KIND,
    predictions_kwargs,
    run_suite,
    to_check_result,
    to_deepchecks,
)

SuiteName = Literal["data_integrity", "train_test_validation", "model_evaluation", "full_suite"]
_TWO_DATASETS = frozenset({"train_test_validation", "model_evaluation", "full_suite"})
_NEEDS_MODEL = frozenset({"model_evaluation", "full_suite"})


class _Common(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    dataset: str = "evaluation"
    train: str | None = None
    model: str | None = None
    cat_features: list[str] | None = None
    min_rows: PositiveInt = 1


class DeepchecksSuiteParams(_Common):
    suite: SuiteName
    #: deepchecks check class names to leave out of the suite (e.g. ``OutlierSampleDetection``)
    exclude: list[str] = Field(default_factory=list)


class Condition(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    params: dict[str, Any] = Field(default_factory=dict)


class DeepchecksCheckParams(_Common):
    #: the deepchecks tabular check's class name, e.g. ``MixedNulls``
    name: str
    params: dict[str, Any] = Field(default_factory=dict)
    conditions: list[Condition] = Field(default_factory=list)


def _train(p: _Common, config: GateConfig, two: bool) -> str | None:
    if p.train is not None or not two:
        return p.train
    if "reference" in config.datasets and p.dataset != "reference":
        return "reference"
    raise ConfigError("this compares two datasets: name the training one", path="train")


def _model(p: _Common, suite: str | None) -> str | None:
    return p.model if p.model is not None or suite not in _NEEDS_MODEL else "candidate"


def _validate_common(p: _Common, config: GateConfig, train: str | None) -> None:
    require_dataset(config, p.dataset, label=False)
    if train is not None:
        require_dataset(config, train, path="train", label=False)
    if p.model is not None:
        require_model(config, p.model)


def _validate_suite(p: DeepchecksSuiteParams, config: GateConfig) -> None:
    _validate_common(p, config, _train(p, config, p.suite in _TWO_DATASETS))
    build_suite(p)


def build_suite(p: DeepchecksSuiteParams) -> Any:
    """The deepchecks suite ``p.suite`` without the ``exclude``d checks. Raises ConfigError
    for an exclude that names no check of the suite."""
    deepchecks_module()
    from deepchecks.tabular import suites

    suite = getattr(suites, p.suite)()
    names = {idx: type(check).__name__ for idx, check in suite.checks.items()}
    unknown = sorted(set(p.exclude) - set(names.values()))
    if unknown:
        raise ConfigError(
            f"{unknown} are not checks of deepchecks' {p.suite} suite; it has "
            f"{sorted(set(names.values()))}",
            path="exclude",
        )
    for idx, name in names.items():
        if name in p.exclude:
            suite.remove(idx)
    return suite


def build_check(p: DeepchecksCheckParams) -> Any:
    """The deepchecks tabular check ``p.name`` with ``p.params`` and its conditions added.
    Raises ConfigError naming the check, condition or parameter deepchecks rejects."""
    deepchecks_module()
    from deepchecks.tabular import checks

    cls = getattr(checks, p.name, None)
    if not inspect.isclass(cls):
        known = sorted(n for n in dir(checks) if n[:1].isupper())
        raise ConfigError(
            f"deepchecks has no tabular check {p.name!r}; known: {known}", path="name"
        )
    named = [
        n
        for n, prm in inspect.signature(cls.__init__).parameters.items()
        if n != "self" and prm.kind not in (prm.VAR_KEYWORD, prm.VAR_POSITIONAL)
    ]
    unknown = sorted(set(p.params) - set(named))
    if unknown:  # deepchecks swallows unknown keyword arguments; a typo must not pass
        raise ConfigError(
            f"{p.name} takes no parameter(s) {unknown}; it takes {named}", path="params"
        )
    try:
        check = cls(**p.params)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{p.name}({p.params}): {exc}", path="params") from None
    for i, cond in enumerate(p.conditions):
        name = cond.name if cond.name.startswith("add_condition_") else f"add_condition_{cond.name}"
        method = getattr(check, name, None)
        if method is None:
            options = sorted(m for m in dir(check) if m.startswith("add_condition_"))
            raise ConfigError(
                f"{p.name} has no condition {name!r}; it has {options}",
                path=f"conditions[{i}].name",
            )
        try:
            method(**cond.params)
        except (TypeError, ValueError) as exc:
            raise ConfigError(
                f"{name}({cond.params}): {exc}", path=f"conditions[{i}].params"
            ) from None
    return check


def _two_datasets(check: Any) -> bool:
    from deepchecks.tabular import TrainTestCheck

    return isinstance(check, TrainTestCheck)


def _validate_check(p: DeepchecksCheckParams, config: GateConfig) -> None:
    check = build_check(p)
    _validate_common(p, config, _train(p, config, p.train is not None or _two_datasets(check)))


def _run(
    ctx: GateContext, p: _Common, suite: Any, what: str, check_id: str, two: bool, model: str | None
) -> CheckResult:
    train_name = _train(p, ctx.gate.config, two)
    test = ctx.dataset(p.dataset)
    if len(test) < p.min_rows:
        return CheckResult(
            check_id=check_id,
            kind=KIND,
            status=Status.INCONCLUSIVE,
            sample_size=len(test),
            message=f"{len(test)} rows in {p.dataset!r}; min_rows={p.min_rows}",
        )
    frames = (
        {"test": test} if train_name is None else {"train": ctx.dataset(train_name), "test": test}
    )
    built = {
        k: to_deepchecks(
            d.frame, label=d.spec.label, features=d.feature_names, cat_features=p.cat_features
        )
        for k, d in frames.items()
    }
    kwargs: dict[str, Any] = {}
    if model is not None:
        for which, name in (("test", p.dataset), ("train", train_name)):
            if name is None:
                continue
            preds = ctx.predict(model, name)
            # a single dataset runs as deepchecks' "train" dataset
            slot = which if train_name is not None else "train"
            kwargs.update(predictions_kwargs(preds, ctx.task, slot))
            if preds.classes is not None:
                kwargs["model_classes"] = list(preds.classes)
    if train_name is None:
        result = run_suite(suite, train=built["test"], test=None, **kwargs)
    else:
        result = run_suite(suite, train=built["train"], test=built["test"], **kwargs)
    return to_check_result(
        result,
        check_id=check_id,
        what=what,
        dataset=p.dataset,
        n_rows=len(test),
        evidence={"train": train_name, "model": model},
    )


def run_deepchecks_suite(ctx: GateContext, p: DeepchecksSuiteParams) -> CheckResult:
    suite = build_suite(p)
    return _run(
        ctx,
        p,
        suite,
        f"suite {p.suite!r}",
        _suite_id(p),
        p.suite in _TWO_DATASETS,
        _model(p, p.suite),
    )


def run_deepchecks_check(ctx: GateContext, p: DeepchecksCheckParams) -> CheckResult:
    from deepchecks.tabular import Suite

    check = build_check(p)
    suite = Suite(f"mlgate {p.name}", check)
    two = p.train is not None or _two_datasets(check)
    return _run(ctx, p, suite, f"check {p.name!r}", _check_id(p), two, p.model)


def _suite_id(p: DeepchecksSuiteParams) -> str:
    return f"deepchecks-{p.suite}"


def _check_id(p: DeepchecksCheckParams) -> str:
    return f"deepchecks-{p.name}"


DEEPCHECKS_SUITE = CheckType(
    name="deepchecks_suite",
    kind=KIND,
    params=DeepchecksSuiteParams,
    run=run_deepchecks_suite,
    summary="A deepchecks tabular suite; its condition results (pass / warn / fail) become "
    "the check's, deepchecks' values kept as evidence.",
    validate=_validate_suite,
    default_id=_suite_id,
)

DEEPCHECKS_CHECK = CheckType(
    name="deepchecks_check",
    kind=KIND,
    params=DeepchecksCheckParams,
    run=run_deepchecks_check,
    summary="One deepchecks tabular check with the conditions the gate file adds.",
    validate=_validate_check,
    default_id=_check_id,
)

#: ``deepchecks_suite_check(mlgate, suite="data_integrity")`` and
#: ``deepchecks_check(mlgate, name="MixedNulls")`` from Python: the check types themselves,
#: with the gate file's parameters (ConfigError for bad ones).
deepchecks_suite_check = DEEPCHECKS_SUITE
deepchecks_check = DEEPCHECKS_CHECK
