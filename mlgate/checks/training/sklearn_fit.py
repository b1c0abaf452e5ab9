"""The scikit-learn variant of the memorization test: an unfitted copy of an estimator (or
pipeline) fitted on a small sample must score near-perfectly on that same sample.

A high-capacity estimator that cannot fit 100 rows it has seen points at the pipeline, not
the model: features dropped or constant after preprocessing, labels misaligned with rows,
identical inputs with different labels, regularisation so strong the model cannot fit.

Check type ``sklearn_overfit_sample``; Python API :func:`check_overfit_sample`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, model_validator

from mlgate.checks.training.spec import TrainingSetupError
from mlgate.config.schema import GateConfig
from mlgate.core.context import GateContext
from mlgate.core.errors import ConfigError
from mlgate.core.evidence import Examples
from mlgate.core.imports import call_factory
from mlgate.core.registry import CheckType
from mlgate.core.result import CheckResult, Status, Threshold
from mlgate.core.task import Task

KIND = "training"
MAX_EXAMPLES = 20


def check_overfit_sample(
    estimator: Any,
    X: Any,
    y: Any,
    *,
    task: Task | str | None = None,
    sample_size: int = 100,
    min_score: float = 0.99,
    min_samples: int = 20,
    seed: int = 0,
    check_id: str = "sklearn-overfit-sample",
) -> CheckResult:
    """Fit an unfitted clone of ``estimator`` on up to ``sample_size`` random rows of
    ``(X, y)`` and score it on the same rows: training accuracy for classification, R² for
    regression (``task`` defaults to what scikit-learn says the estimator is).

    ``passed`` when the score is at least ``min_score``; ``failed`` below it;
    ``inconclusive`` with fewer than ``min_samples`` rows or a single class. The estimator
    given is never fitted or modified.

    Raises:
        TrainingSetupError: ``estimator`` cannot be cloned, or X and y differ in length.
    """
    from sklearn.base import clone, is_classifier

    try:
        fresh = clone(estimator)
    except Exception as exc:
        raise TrainingSetupError(
            f"{type(estimator).__name__} cannot be cloned by scikit-learn "
            f"({type(exc).__name__}: {exc}); give an estimator with get_params"
        ) from exc
    if task is None:
        task = Task.MULTICLASS if is_classifier(fresh) else Task.REGRESSION
    task = Task(task)
    X = X if isinstance(X, pd.DataFrame) else np.asarray(X)
    y = np.asarray(y)
    if len(X) != len(y):
        raise TrainingSetupError(f"X has {len(X)} rows but y has {len(y)}")
    rng = np.random.default_rng([seed, 11])
    n = min(sample_size, len(y))
    rows = np.sort(rng.choice(len(y), size=n, replace=False))
    Xs = X.iloc[rows] if isinstance(X, pd.DataFrame) else X[rows]
    ys = y[rows]
    name = f"{type(fresh).__module__}.{type(fresh).__qualname__}"
    metric = "r2" if task is Task.REGRESSION else "accuracy"
    threshold = Threshold(">=", min_score)
    base = {
        "check_id": check_id,
        "kind": KIND,
        "metric": f"training_{metric}",
        "threshold": threshold,
        "sample_size": n,
        "method": f"fit a clone of {name} on {n} sampled rows, score on the same rows",
    }
    evidence: dict[str, Any] = {"estimator": name, "rows": n, "available_rows": len(y)}
    if n < min_samples:
        return CheckResult(
            status=Status.INCONCLUSIVE,
            message=f"only {n} rows; at least min_samples={min_samples} are needed to judge",
            evidence=evidence,
            **base,
        )
    if task is not Task.REGRESSION and len(np.unique(ys)) < 2:
        return CheckResult(
            status=Status.INCONCLUSIVE,
            message=f"the {n} sampled rows hold a single class; fitting them proves nothing",
            evidence=evidence,
            **base,
        )
    fresh.fit(Xs, ys)
    pred = np.asarray(fresh.predict(Xs))
    if task is Task.REGRESSION:
        pred = pred.astype(float).reshape(-1)
        resid = ys.astype(float) - pred
        total = float(((ys - ys.mean()) ** 2).sum())
        score = 1.0 - float((resid**2).sum()) / total if total > 0 else float("nan")
        worst = np.argsort(-np.abs(resid))[:MAX_EXAMPLES]
        misfit = [r for r in worst if abs(resid[r]) > 0]
    else:
        score = float((pred == ys).mean())
        misfit = np.flatnonzero(pred != ys)[:MAX_EXAMPLES]
    evidence["misfit_rows"] = Examples(
        rows=tuple(
            {"row": int(rows[i]), "target": _plain(ys[i]), "predicted": _plain(pred[i])}
            for i in misfit
        ),
        columns=("row", "target", "predicted"),
        title="sampled rows the fitted clone gets wrong",
    )
    evidence["duplicate_inputs_with_different_targets"] = _conflicts(Xs, ys)
    if not np.isfinite(score):
        return CheckResult(
            status=Status.INCONCLUSIVE,
            message="the sampled targets are constant: R² is undefined",
            evidence=evidence,
            **base,
        )
    status = threshold.judge(None, value=score, rule="point")  # score is finite here
    what = f"a fresh {type(fresh).__name__} fitted on {n} rows scores {metric} {score:.4g} on them"
    message = (
        f"{what} (>= {min_score:g})"
        if status is Status.PASSED
        else f"{what}, below {min_score:g}: the pipeline cannot fit a small sample it has "
        "seen (features lost in preprocessing, misaligned labels, conflicting duplicates, or "
        "too little capacity)"
    )
    return CheckResult(status=status, value=score, message=message, evidence=evidence, **base)


def _plain(v: Any) -> Any:
    return v.item() if hasattr(v, "item") else v


def _conflicts(X: Any, y: np.ndarray) -> int:
    """Rows whose inputs repeat another row's exactly but with a different target."""
    frame = X.reset_index(drop=True) if isinstance(X, pd.DataFrame) else pd.DataFrame(X)
    keys = pd.util.hash_pandas_object(frame, index=False).to_numpy()
    groups = pd.DataFrame({"k": keys, "y": pd.Series(y).astype(str)})
    n_targets = groups.groupby("k")["y"].transform("nunique")
    return int((n_targets > 1).sum())


# -- the gate-file check ------------------------------------------------------------------


class OverfitSampleParams(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    estimator: str | None = Field(None, pattern=r"^[A-Za-z_][\w.]*:[A-Za-z_][\w.]*$")
    estimator_args: dict[str, Any] = Field(default_factory=dict)
    model: str = "candidate"
    dataset: str = "reference"
    sample_size: int = Field(100, ge=2)
    min_score: float = Field(0.99, le=1.0)
    min_samples: int = Field(20, ge=2)

    @model_validator(mode="after")
    def _args_need_estimator(self) -> OverfitSampleParams:
        if self.estimator_args and self.estimator is None:
            raise ValueError("estimator_args is given without 'estimator'")
        return self


def _validate(params: OverfitSampleParams, config: GateConfig) -> None:
    if params.dataset not in config.datasets:
        raise ConfigError(
            f"no dataset {params.dataset!r}; declared: {sorted(config.datasets)} (the default "
            "is 'reference', the training data)",
            path="dataset",
        )
    if config.datasets[params.dataset].label is None:
        raise ConfigError(f"dataset {params.dataset!r} has no 'label' column", path="dataset")
    if params.estimator is None and params.model not in config.models:
        raise ConfigError(
            f"no model {params.model!r}; declared: {sorted(config.models)}", path="model"
        )


def run_overfit_sample(ctx: GateContext, params: OverfitSampleParams) -> CheckResult:
    if params.estimator is not None:
        estimator = call_factory(
            params.estimator,
            args=params.estimator_args,
            base_dir=ctx.gate.base_dir,
            seed=ctx.seed,
            what="estimator",
            error=TrainingSetupError,
        )
    else:
        adapter = ctx.model(params.model)
        estimator = getattr(adapter, "estimator", None)
        if adapter.kind != "sklearn" or estimator is None:
            raise TrainingSetupError(
                f"model {params.model!r} is a {adapter.kind} model; sklearn_overfit_sample "
                "clones a scikit-learn estimator. Name one with 'estimator: module:callable'."
            )
    data = ctx.dataset(params.dataset)
    result = check_overfit_sample(
        estimator,
        data.X,
        data.y,
        task=ctx.task,
        sample_size=params.sample_size,
        min_score=params.min_score,
        min_samples=params.min_samples,
        seed=ctx.seed,
    )
    source = params.estimator or f"model {params.model!r}"
    evidence = {**result.evidence, "source": source, "dataset": params.dataset}
    return result.with_context(evidence=evidence)


SKLEARN_OVERFIT_SAMPLE = CheckType(
    name="sklearn_overfit_sample",
    kind=KIND,
    params=OverfitSampleParams,
    run=run_overfit_sample,
    summary="An unfitted clone of a scikit-learn estimator fits a small sample to a "
    "near-perfect training score (accuracy, or R² for regression).",
    validate=_validate,
    default_id=lambda p: "sklearn-overfit-sample",
)
