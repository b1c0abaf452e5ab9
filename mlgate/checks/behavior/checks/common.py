"""What the behavioral checks share: parameters, inputs (from the gate context or from Python
objects), the rate verdict, worst examples and shrunk counterexamples."""

from __future__ import annotations

import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, PositiveInt

from mlgate.checks.behavior.compare import Compare, take
from mlgate.checks.behavior.counterexamples import shrink
from mlgate.checks.behavior.evidence import jsonable_row, jsonable_value, prediction_at
from mlgate.checks.behavior.rates import judge_at_most, wilson_interval
from mlgate.checks.behavior.transforms.registry import default_registry
from mlgate.checks.behavior.variants import (
    AppliedTransform,
    VariantOutcome,
    evaluate_variants,
    resolve_transform,
)
from mlgate.config.schema import GateConfig
from mlgate.core.context import GateContext
from mlgate.core.data import Dataset
from mlgate.core.errors import ConfigError, DataError, MissingDependencyError
from mlgate.core.progress import Progress
from mlgate.core.result import Interval, Status
from mlgate.core.task import Task
from mlgate.models import ModelAdapter, Predictions, adapt


class BehaviorParams(BaseModel):
    """Parameters every transformation-based check takes (see docs/checks/behavioral.md)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    model: str = "candidate"
    dataset: str = "evaluation"
    transform: str
    columns: list[str] | None = Field(None, min_length=1)
    params: dict[str, Any] = Field(default_factory=dict)
    variants: PositiveInt = 1
    confidence: float = Field(0.95, gt=0.5, lt=1.0)
    min_samples: PositiveInt = 30
    batch_rows: PositiveInt = 1_000_000
    max_examples: int = Field(10, ge=0, le=20)
    shrink: int = Field(1, ge=0, le=5)
    shrink_budget: PositiveInt = 200


def validate_common(p: BehaviorParams, config: GateConfig) -> None:
    """Gate-level checks before anything runs: the model and dataset exist, the transform is
    known and its parameters valid, and default sensitive columns are declared.

    Raises ConfigError with ``path`` set to the offending parameter.
    """
    if p.model not in config.models:
        raise ConfigError(f"no model {p.model!r}; declared: {sorted(config.models)}", path="model")
    if p.dataset not in config.datasets:
        raise ConfigError(
            f"no dataset {p.dataset!r}; declared: {sorted(config.datasets)}", path="dataset"
        )
    if ":" in p.transform:  # module:callable, imported from the gate's folder at run time
        return
    try:
        transform = default_registry().get(p.transform)
    except ConfigError as exc:
        raise ConfigError(exc.message, path="transform") from None
    transform.validate_params(p.params)
    spec = config.datasets[p.dataset]
    if p.columns is None and transform.columns == "required":
        raise ConfigError(
            f"transform {p.transform!r} has no default columns: name the feature(s) it "
            "changes with 'columns'",
            path="columns",
        )
    if p.columns is None and transform.columns == "sensitive" and not spec.sensitive:
        raise ConfigError(
            f"transform {p.transform!r} changes the dataset's sensitive columns, but dataset "
            f"{p.dataset!r} declares none; set datasets.{p.dataset}.sensitive or 'columns'",
            path="columns",
        )
    if p.columns is None and transform.columns == "sensitive" and spec.features is not None:
        seen = [c for c in spec.sensitive if c in spec.features]
        if not seen:
            raise ConfigError(
                f"the sensitive column(s) {spec.sensitive} of dataset {p.dataset!r} are not "
                f"among its features {spec.features}: the model never sees them, so invariance "
                "to them says nothing. Add them to 'features' or name other 'columns'",
                path="columns",
            )
    if p.columns is not None and spec.features is not None:
        unknown = [c for c in p.columns if c not in spec.features]
        if unknown:
            raise ConfigError(
                f"column(s) {unknown} are not features of dataset {p.dataset!r} (the model "
                f"never sees them); features: {spec.features}",
                path="columns",
            )


@dataclass(frozen=True)
class Inputs:
    """What a behavioral check works on, however it was called."""

    adapter: ModelAdapter
    X: pd.DataFrame
    original: Predictions
    task: Task
    rng: np.random.Generator
    labels: Callable[[], np.ndarray]
    sensitive: tuple[str, ...] = ()
    base_dir: Path | None = None
    model_name: str = "candidate"
    dataset_name: str = "evaluation"
    progress: Progress = field(default_factory=Progress)

    @property
    def source(self) -> str:
        return f"model {self.model_name!r} on dataset {self.dataset_name!r}"


def rng_key(kind: str, p: BehaviorParams) -> str:
    return f"{kind}:{p.transform}:{','.join(p.columns or [])}:{p.model}:{p.dataset}"


def inputs_from_context(ctx: GateContext, p: BehaviorParams, kind: str) -> Inputs:
    data = ctx.dataset(p.dataset)
    return Inputs(
        adapter=ctx.model(p.model),
        X=data.X,
        original=ctx.predict(p.model, p.dataset),
        task=ctx.task,
        rng=ctx.rng(rng_key(kind, p)),
        labels=lambda: data.y,
        sensitive=tuple(data.spec.sensitive),
        base_dir=ctx.gate.base_dir,
        model_name=p.model,
        dataset_name=p.dataset,
        progress=ctx.progress,
    )


def inputs_from_python(
    model: Any,
    data: pd.DataFrame | Dataset,
    *,
    key: str,
    task: Task | str | None,
    seed: int,
    label: str | None,
    features: Sequence[str] | None,
    sensitive: Sequence[str] | None,
) -> Inputs:
    """Inputs for a check called from Python: ``model`` is an adapter, estimator, torch module
    or callable; ``data`` a :class:`Dataset` (its roles are used) or a DataFrame (features:
    ``features``, else every column but ``label``). The random stream is the one a gate run
    with the same ``seed`` would use.

    Raises:
        ConfigError: no ``task`` given and the model does not say which.
        DataError: named columns are missing.
    """
    if isinstance(data, Dataset):
        X, sens, labels = data.X, sensitive or data.spec.sensitive, (lambda: data.y)
        name = data.name
    else:
        if not isinstance(data, pd.DataFrame):
            raise DataError(
                f"data must be a pandas DataFrame or an mlgate Dataset, got {type(data).__name__}"
            )
        cols = list(features) if features is not None else [c for c in data.columns if c != label]
        missing = [c for c in [*cols, *([label] if label else [])] if c not in data.columns]
        if missing:
            raise DataError(f"column(s) {missing} are not in the data: {list(data.columns)}")
        X, sens, name = data.loc[:, cols], sensitive or (), "data"
        labels = _label_getter(data, label)
    task = task if task is not None else getattr(model, "task", None)
    if task is None:
        raise ConfigError("give task='binary', 'multiclass' or 'regression' for this model")
    adapter = model if isinstance(model, ModelAdapter) else adapt(model, Task(task))
    original = adapter.predict(X).validate(len(X), source=f"model on {name!r}")
    return Inputs(
        adapter=adapter,
        X=X,
        original=original,
        task=Task(task),
        rng=np.random.default_rng([seed, zlib.crc32(key.encode("utf-8"))]),
        labels=labels,
        sensitive=tuple(sens),
        model_name="model",
        dataset_name=name,
    )


def _label_getter(data: pd.DataFrame, label: str | None) -> Callable[[], np.ndarray]:
    def labels() -> np.ndarray:
        if label is None:
            raise DataError("this check scores predictions: pass label='<column>'")
        return data[label].to_numpy()

    return labels


def run_variants(
    inp: Inputs, p: BehaviorParams, compare: Compare
) -> tuple[AppliedTransform, VariantOutcome]:
    applied = resolve_transform(
        p.transform,
        inp.X,
        columns=p.columns,
        params=p.params,
        sensitive=inp.sensitive,
        base_dir=inp.base_dir,
    )
    with inp.progress.task(f"{applied.name} variants", len(inp.X) * p.variants) as advance:
        outcome = evaluate_variants(
            inp.adapter,
            inp.X,
            applied,
            original=inp.original,
            compare=compare,
            rng=inp.rng,
            n_variants=p.variants,
            batch_rows=p.batch_rows,
            n_examples=p.max_examples,
            source=inp.source,
            progress=advance,
        )
    return applied, outcome


@dataclass(frozen=True)
class RateVerdict:
    """A rate over the rows a transformation changed, its interval and verdict."""

    n_rows: int
    n_changed: int
    n_violated: int
    interval: Interval | None
    status: Status
    reason: str

    @property
    def rate(self) -> float | None:
        return self.n_violated / self.n_changed if self.n_changed else None


def judge_rate(outcome: VariantOutcome, max_rate: float, p: BehaviorParams) -> RateVerdict:
    """Wilson interval of the share of changed rows with a violation; ``passed`` when its
    upper bound is at most ``max_rate``, ``failed`` when its lower bound is above it,
    ``inconclusive`` otherwise or when fewer than ``min_samples`` rows were changed."""
    changed = outcome.row_changed
    n_changed = int(changed.sum())
    k = int((outcome.row_violated & changed).sum())
    if n_changed == 0:
        return RateVerdict(outcome.n_rows, 0, 0, None, Status.INCONCLUSIVE, "no row was changed")
    ci = wilson_interval(k, n_changed, p.confidence)
    if n_changed < p.min_samples:
        reason = f"only {n_changed} changed rows; min_samples={p.min_samples} are needed to judge"
        return RateVerdict(outcome.n_rows, n_changed, k, ci, Status.INCONCLUSIVE, reason)
    status = judge_at_most(ci, max_rate)
    reason = {
        Status.PASSED: f"whole interval ≤ {max_rate:g}",
        Status.FAILED: f"whole interval > {max_rate:g}",
    }.get(status, f"interval straddles {max_rate:g}: more rows needed to decide")
    return RateVerdict(outcome.n_rows, n_changed, k, ci, status, reason)


def describe_rate(name: str, v: RateVerdict) -> str:
    if v.rate is None:
        return f"{name}: the transformation changed no row"
    ci = v.interval
    return (
        f"{name} {v.rate:.4g} [{ci.low:.4g}, {ci.high:.4g}] ({ci.level:.0%} Wilson) over "
        f"{v.n_changed} changed rows, {v.reason}"
    )


def rate_evidence(v: RateVerdict, max_rate: float) -> dict[str, Any]:
    return {
        "rows": v.n_rows,
        "rows_changed": v.n_changed,
        "rows_violated": v.n_violated,
        "rate": jsonable_value(v.rate),
        "max_rate": max_rate,
    }


def example_evidence(
    inp: Inputs, outcome: VariantOutcome, *, score_index: int | None = None
) -> list[dict[str, Any]]:
    """The worst violating pairs: the original row, the changed columns, both predictions."""
    out = []
    for c in outcome.examples:
        if not c.violation:
            continue
        original = inp.X.iloc[c.row]
        changed_cols = [col for col in inp.X.columns if _differs(original[col], c.changed_row[col])]
        out.append(
            {
                "row": jsonable_value(inp.X.index[c.row]),
                "variant": c.variant,
                "original": jsonable_row(original),
                "changed": jsonable_row(c.changed_row, changed_cols),
                "prediction": {
                    "original": prediction_at(inp.original, c.row, score_index=score_index),
                    "changed": prediction_at(outcome.perturbed, c.pair, score_index=score_index),
                },
                "change": jsonable_value(c.magnitude),
            }
        )
    return out


def _differs(a: Any, b: Any) -> bool:
    if pd.isna(a) and pd.isna(b):
        return False
    return bool(a != b)


def shrunk_evidence(
    inp: Inputs,
    p: BehaviorParams,
    applied: AppliedTransform,
    outcome: VariantOutcome,
    compare: Compare,
    *,
    paste: bool = True,
) -> tuple[list[dict[str, Any]], str | None]:
    """Shrink the ``p.shrink`` most fragile rows to minimal counterexamples. Returns their
    evidence and a note when shrinking was not possible (Hypothesis missing)."""
    rows = fragile_rows(outcome, p.shrink)
    truth = _truth(inp) if paste else None
    found = []
    for row in rows:
        try:
            cx = shrink(
                inp.adapter,
                inp.X,
                row,
                applied,
                original=take(inp.original, np.array([row])),
                compare=compare,
                budget=p.shrink_budget,
            )
        except MissingDependencyError as exc:
            return found, str(exc)
        if cx is not None:
            d = cx.to_dict(None if truth is None else truth[row])
            if not paste:
                d["paste"] = None
            found.append(d)
    return found, None


def fragile_rows(outcome: VariantOutcome, k: int) -> list[int]:
    """The ``k`` rows broken by the most variants (ties: the larger change, then the lower
    row): the easiest to shrink, as a perturbation of any size breaks them most often."""
    bad = outcome.changed & outcome.violation
    counts = np.bincount(outcome.rows[bad], minlength=outcome.n_rows)
    size = np.zeros(outcome.n_rows)
    np.maximum.at(size, outcome.rows[bad], np.nan_to_num(outcome.magnitude[bad], nan=0.0))
    order = np.lexsort((np.arange(outcome.n_rows), -size, -counts))
    return [int(r) for r in order[:k] if counts[r] > 0]


def _truth(inp: Inputs) -> np.ndarray | None:
    """The true labels when the data has them (the expected output of pasted cases)."""
    try:
        return inp.labels()
    except DataError:
        return None


def default_id(kind: str, p: BehaviorParams) -> str:
    """``<kind>-<transform>[-<columns>][-<model>-<dataset>]``."""
    name = p.transform.rsplit(":", 1)[-1].rsplit(".", 1)[-1]
    parts = [kind, name, *(p.columns or [])]
    if (p.model, p.dataset) != ("candidate", "evaluation"):
        parts += [p.model, p.dataset]
    return "-".join("".join(ch if ch.isalnum() or ch in "_." else "_" for ch in s) for s in parts)
