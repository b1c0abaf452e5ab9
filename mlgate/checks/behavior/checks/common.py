"""What the behavioral checks share: parameters, their target (rows, cached predictions and
random stream, read from the gate context) and the rate verdict (as a judged part). The
evidence tail (worst examples, shrunk counterexamples, the result) is
:mod:`mlgate.checks.behavior.checks.finish`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, PositiveInt, field_validator, model_validator

from mlgate.checks.behavior.compare import Compare, take
from mlgate.checks.behavior.evidence import jsonable_value
from mlgate.checks.behavior.rates import PairRate, pair_rate
from mlgate.checks.behavior.sampling import DEFAULT_ROWS, RowSample, choose_rows
from mlgate.checks.behavior.transforms.registry import default_registry
from mlgate.checks.behavior.variants import (
    AppliedTransform,
    VariantOutcome,
    evaluate_variants,
    resolve_transform,
)
from mlgate.config.schema import GateConfig
from mlgate.core.context import GateContext
from mlgate.core.errors import ConfigError, DataError
from mlgate.core.result import Interval, Part, Status, Threshold, rounded
from mlgate.models import ModelAdapter, Predictions
from mlgate.stats.intervals import wilson_interval


class BehaviorParams(BaseModel):
    """Parameters every transformation-based check takes (see docs/checks/behavioral.md)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    model: str = "candidate"
    dataset: str = "evaluation"
    transform: str
    columns: list[str] | None = Field(None, min_length=1)
    params: dict[str, Any] = Field(default_factory=dict)
    variants: int = Field(1, ge=1, le=1_000)
    confidence: float = Field(0.95, gt=0.5, lt=1.0)
    min_samples: PositiveInt = 30
    batch_rows: PositiveInt = 1_000_000
    max_examples: int = Field(10, ge=0, le=20)
    shrink: int = Field(1, ge=0, le=5)
    shrink_budget: int = Field(200, ge=1, le=100_000)
    rows: PositiveInt | Literal["all"] = DEFAULT_ROWS

    @field_validator("rows", mode="before")
    @classmethod
    def _rows(cls, value: Any) -> Any:
        if value == "all" or (isinstance(value, int) and not isinstance(value, bool)):
            return value
        raise ValueError(
            f"rows must be a number of rows to perturb at most (a seeded stratified sample "
            f"when the data has more) or 'all', got {value!r}"
        )

    @model_validator(mode="after")
    def _rows_reach_min_samples(self) -> BehaviorParams:
        if self.rows != "all" and self.rows < self.min_samples:
            raise ValueError(
                f"rows ({self.rows}) is below min_samples ({self.min_samples}): the check could "
                "never judge; raise 'rows' or lower 'min_samples'"
            )
        return self

    @property
    def row_cap(self) -> int | None:
        """The most rows the check perturbs; None: every row."""
        return None if self.rows == "all" else int(self.rows)


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
class Target:
    """The rows a behavioral check perturbs and the model's predictions of them, read once
    from the gate context: the rows from ``ctx.dataset``, their predictions from the
    prediction cache (``ctx.predict``) and the check's random stream from ``ctx.rng``. Only
    the perturbed variants are predicted by the check itself.

    With more rows than ``rows`` (the parameter), ``X`` and ``original`` hold a seeded
    stratified sample (``sample``); ``reference`` stays every row, so the transformation's
    statistics (a column's spread, its categories) do not depend on the sample."""

    ctx: GateContext
    model: str
    dataset: str
    X: pd.DataFrame
    original: Predictions
    rng: np.random.Generator
    reference: pd.DataFrame | None = None
    sample: RowSample | None = None

    @classmethod
    def read(cls, ctx: GateContext, p: BehaviorParams, kind: str) -> Target:
        """The target of the check ``kind`` with parameters ``p``.

        Raises the dataset's or the model's load error, or PredictionError.
        """
        X = ctx.dataset(p.dataset).X
        original = ctx.predict(p.model, p.dataset)
        key = rng_key(kind, p)
        # a stream of its own: sampling leaves the transformation's draws as they were
        sample = choose_rows(original, p.row_cap, ctx.rng(f"{key}:rows"))
        rows = sample.rows
        return cls(
            ctx=ctx,
            model=p.model,
            dataset=p.dataset,
            X=X if rows is None else X.take(rows),
            original=original if rows is None else take(original, rows),
            rng=ctx.rng(key),
            reference=_statistics_frame(ctx, p.dataset, X),
            sample=sample,
        )

    @property
    def adapter(self) -> ModelAdapter:
        return self.ctx.model(self.model)

    @property
    def sensitive(self) -> tuple[str, ...]:
        return tuple(self.ctx.dataset(self.dataset).spec.sensitive)

    @property
    def source(self) -> str:
        return f"model {self.model!r} on dataset {self.dataset!r}"

    def labels(self) -> np.ndarray:
        """The labels of the rows in ``X``. Raises DataError when the dataset declares none."""
        y = self.ctx.dataset(self.dataset).y
        return y if self.sample is None or self.sample.rows is None else y[self.sample.rows]

    def spread(self) -> tuple[float, str] | None:
        """The regression unit of a change: the labels' standard deviation ("target sd"),
        else the original predictions' ("prediction sd"); None when neither is defined."""
        try:
            y = np.asarray(self.ctx.dataset(self.dataset).y, dtype=float)
            return float(np.std(y)), "target sd"
        except (DataError, TypeError, ValueError):
            values = self.original.values
            return None if values is None else (float(np.std(values)), "prediction sd")

    def sample_evidence(self) -> dict[str, Any]:
        """The rows used, of how many, and whether they were sampled (for ``evidence``)."""
        sample = self.sample or RowSample(total=len(self.X), rows=None, cap=None)
        return sample.to_dict()

    def sample_note(self) -> str:
        """`` on a stratified sample of k of n rows`` when sampled, else empty."""
        text = "" if self.sample is None else self.sample.describe()
        return f" on {text}" if text else ""


#: The dataset role whose spread and categories size a transformation when the gate declares it.
REFERENCE = "reference"


def _statistics_frame(ctx: GateContext, dataset: str, X: pd.DataFrame) -> pd.DataFrame:
    """Where a transformation takes its statistics (a column's spread, its categories): the
    gate's ``reference`` dataset when one is declared and holds every feature of ``X`` (noise
    of 0.1 sd means the training data's sd, not the evaluation data's, whose spread is what
    drift changes), else ``X`` itself, every row of it."""
    if dataset == REFERENCE or REFERENCE not in ctx.dataset_names:
        return X
    reference = ctx.dataset(REFERENCE).X
    return reference if set(X.columns) <= set(reference.columns) else X


def rng_key(kind: str, p: BehaviorParams) -> str:
    """The key of the check's random stream (``ctx.rng(key)``): the check's identity from its
    parameters, so the draws do not depend on which other checks run, or on the id a gate
    file gives the check."""
    return f"{kind}:{p.transform}:{','.join(p.columns or [])}:{p.model}:{p.dataset}"


def run_variants(
    t: Target, p: BehaviorParams, compare: Compare
) -> tuple[AppliedTransform, VariantOutcome]:
    """Resolve the transformation and predict every (row, variant) pair in batches."""
    applied = resolve_transform(
        p.transform,
        t.X if t.reference is None else t.reference,
        columns=p.columns,
        params=p.params,
        sensitive=t.sensitive,
        base_dir=t.ctx.gate.base_dir,
    )
    with t.ctx.progress.task(f"{applied.name} variants", len(t.X) * p.variants) as advance:
        outcome = evaluate_variants(
            t.adapter,
            t.X,
            applied,
            original=t.original,
            compare=compare,
            rng=t.rng,
            n_variants=p.variants,
            batch_rows=p.batch_rows,
            n_examples=p.max_examples,
            source=t.source,
            progress=advance,
            reference=t.reference,
        )
    return applied, outcome


@dataclass(frozen=True)
class RateVerdict:
    """A rate over the rows a transformation changed (or, with ``pairs``, over its changed
    (row, variant) pairs), its interval and verdict. ``n_changed`` / ``n_violated`` count the
    rate's units: rows, or pairs when ``pairs`` is given. ``threshold`` is the bound the
    interval was judged against; None when there was too little data to judge."""

    n_rows: int
    n_changed: int
    n_violated: int
    interval: Interval | None
    status: Status
    reason: str
    pairs: PairRate | None = None
    rows_changed: int | None = None
    rows_violated: int | None = None
    threshold: Threshold | None = None

    @property
    def rate(self) -> float | None:
        return self.n_violated / self.n_changed if self.n_changed else None

    @property
    def unit(self) -> str:
        return "rows" if self.pairs is None else "(row, variant) pairs"

    def part(self, name: str, label: str) -> Part:
        """This rate as the check's part ``name`` (its message: :func:`describe_rate` with
        ``label``). Judged against its bound, it carries the threshold, so a decision rule
        re-judges it; with too few changed rows it has none and stays inconclusive."""
        return Part(
            name,
            self.status,
            value=self.rate,
            interval=self.interval,
            threshold=self.threshold,
            sample_size=self.n_changed,
            message=describe_rate(label, self),
        )


def judge_rate(outcome: VariantOutcome, max_rate: float, p: BehaviorParams) -> RateVerdict:
    """Wilson interval of the share of changed rows with a violation, judged by
    ``Threshold("<=", max_rate).judge``: ``passed`` when its upper bound is at most
    ``max_rate``, ``failed`` when its lower bound is above it, ``inconclusive`` otherwise or
    when fewer than ``min_samples`` rows were changed."""
    changed = outcome.row_changed
    n_changed = int(changed.sum())
    k = int((outcome.row_violated & changed).sum())
    if n_changed == 0:
        return RateVerdict(outcome.n_rows, 0, 0, None, Status.INCONCLUSIVE, "no row was changed")
    ci = wilson_interval(k, n_changed, p.confidence)
    if n_changed < p.min_samples:
        reason = f"only {n_changed} changed rows; min_samples={p.min_samples} are needed to judge"
        return RateVerdict(outcome.n_rows, n_changed, k, ci, Status.INCONCLUSIVE, reason)
    threshold = Threshold("<=", max_rate)
    status = threshold.judge(ci, value=k / n_changed)
    reason = _reason(status, max_rate)
    return RateVerdict(outcome.n_rows, n_changed, k, ci, status, reason, threshold=threshold)


def judge_pair_rate(outcome: VariantOutcome, max_rate: float, p: BehaviorParams) -> RateVerdict:
    """The share of changed (row, variant) pairs with a violation, with the kernel's Wilson
    interval at the effective sample size of rows as clusters (:func:`pair_rate`), judged by
    ``Threshold("<=", max_rate).judge``; ``inconclusive`` when fewer than ``min_samples`` rows
    were changed (the rows, not the pairs, are the independent units)."""
    changed = outcome.changed
    bad = changed & outcome.violation
    hits = np.bincount(outcome.rows[bad], minlength=outcome.n_rows)
    pairs = np.bincount(outcome.rows[changed], minlength=outcome.n_rows)
    rate = pair_rate(hits, pairs, p.confidence)
    rows_changed = int((pairs > 0).sum())
    rows_violated = int((hits > 0).sum())

    def verdict(status: Status, reason: str, threshold: Threshold | None = None) -> RateVerdict:
        return RateVerdict(
            outcome.n_rows,
            rate.pairs,
            rate.hits,
            rate.interval,
            status,
            reason,
            pairs=rate,
            rows_changed=rows_changed,
            rows_violated=rows_violated,
            threshold=threshold,
        )

    if rate.pairs == 0:
        return verdict(Status.INCONCLUSIVE, "no row was changed")
    if rows_changed < p.min_samples:
        return verdict(
            Status.INCONCLUSIVE,
            f"only {rows_changed} changed rows; min_samples={p.min_samples} are needed to judge",
        )
    threshold = Threshold("<=", max_rate)
    status = threshold.judge(rate.interval, value=rate.hits / rate.pairs)
    return verdict(status, _reason(status, max_rate), threshold)


def _reason(status: Status, max_rate: float) -> str:
    return {
        Status.PASSED: f"whole interval ≤ {max_rate:g}",
        Status.FAILED: f"whole interval > {max_rate:g}",
    }.get(status, f"interval straddles {max_rate:g}: more rows needed to decide")


def describe_rate(name: str, v: RateVerdict) -> str:
    if v.rate is None:
        return f"{name}: the transformation changed no row"
    ci = v.interval
    if v.pairs is None:
        return (
            f"{name} {v.rate:.4g} [{ci.low:.4g}, {ci.high:.4g}] ({ci.level:.0%} Wilson) over "
            f"{v.n_changed} changed rows, {v.reason}"
        )
    return (
        f"{name} {v.rate:.4g} [{ci.low:.4g}, {ci.high:.4g}] ({ci.level:.0%} Wilson, effective "
        f"n {v.pairs.effective_n:.0f}) over {v.n_changed} changed (row, variant) pairs of "
        f"{v.rows_changed} rows, {v.reason}"
    )


def rate_evidence(v: RateVerdict, max_rate: float) -> dict[str, Any]:
    if v.pairs is None:
        return {
            "rows": v.n_rows,
            "rows_changed": v.n_changed,
            "rows_violated": v.n_violated,
            "rate": jsonable_value(v.rate),
            "max_rate": max_rate,
        }
    return {
        "rows": v.n_rows,
        "rows_changed": v.rows_changed,
        "rows_violated": v.rows_violated,
        "pairs_changed": v.n_changed,
        "pairs_violated": v.n_violated,
        "rate": jsonable_value(v.rate),
        "max_rate": max_rate,
        "design_effect": rounded(v.pairs.design_effect),
        "effective_n": rounded(v.pairs.effective_n, 1),
    }


def default_id(kind: str, p: BehaviorParams) -> str:
    """``<kind>-<transform>[-<columns>][-<model>-<dataset>]``."""
    name = p.transform.rsplit(":", 1)[-1].rsplit(".", 1)[-1]
    parts = [kind, name, *(p.columns or [])]
    if (p.model, p.dataset) != ("candidate", "evaluation"):
        parts += [p.model, p.dataset]
    return "-".join("".join(ch if ch.isalnum() or ch in "_." else "_" for ch in s) for s in parts)
