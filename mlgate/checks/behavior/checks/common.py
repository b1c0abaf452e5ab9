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

from mlgate.checks.behavior.compare import Compare
from mlgate.checks.behavior.evidence import jsonable_value
from mlgate.checks.behavior.rates import PairRate, pair_rate
from mlgate.checks.behavior.sampling import DEFAULT_ROWS, RowSample, draw_rows, draw_sample
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
from mlgate.stats.poisson import stream_key


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
    """The rows a behavioral check perturbs and the model's predictions of them, with the
    check's random stream (``ctx.rng``). Only the perturbed variants are predicted by the check
    itself.

    With ``rows`` (the parameter) set, ``X``, ``original`` and ``y`` hold the rows of a seeded
    stratified bottom-k sample (:func:`~mlgate.checks.behavior.sampling.draw_sample`: every
    row when the data has at most ``rows``), drawn by folding the data (``ctx.fold``), so no
    more than ``rows`` rows reach this process on any engine; ``X`` is indexed by the rows'
    positions in the dataset. With ``rows: all``, every row, read whole (``ctx.dataset``,
    ``ctx.predict``). ``reference`` is where the transformation takes its statistics
    (:func:`_statistics_frame`)."""

    ctx: GateContext
    model: str
    dataset: str
    X: pd.DataFrame
    original: Predictions
    rng: np.random.Generator
    reference: pd.DataFrame | None = None
    sample: RowSample | None = None
    y: np.ndarray | None = None

    @classmethod
    def read(cls, ctx: GateContext, p: BehaviorParams, kind: str) -> Target:
        """The target of the check ``kind`` with parameters ``p``.

        Raises the dataset's or the model's load error, PredictionError, or CollectRefused
        for ``rows: all`` on a dataset the engine may not gather.
        """
        key = rng_key(kind, p)
        y = None
        if p.row_cap is None:
            X = ctx.dataset(p.dataset).X
            original = ctx.predict(p.model, p.dataset)
            sample = RowSample(total=len(X), rows=None, cap=None)
        else:
            # a stream of its own: sampling leaves the transformation's draws as they were
            drawn = draw_sample(
                ctx,
                p.model,
                p.dataset,
                feature_names(ctx, p.dataset),
                p.row_cap,
                stream_key(ctx.seed, f"{key}:rows"),
            )
            X, original, y, sample = drawn.frame, drawn.predictions, drawn.y, drawn.sample
        return cls(
            ctx=ctx,
            model=p.model,
            dataset=p.dataset,
            X=X,
            original=original,
            rng=ctx.rng(key),
            reference=_statistics_frame(ctx, p, X, key),
            sample=sample,
            y=y,
        )

    @property
    def adapter(self) -> ModelAdapter:
        return self.ctx.model(self.model)

    @property
    def sensitive(self) -> tuple[str, ...]:
        return tuple(self.ctx.gate.config.datasets[self.dataset].sensitive)

    @property
    def source(self) -> str:
        return f"model {self.model!r} on dataset {self.dataset!r}"

    def labels(self) -> np.ndarray:
        """The labels of the rows in ``X``. Raises DataError when the dataset declares none."""
        if self.y is not None:
            return self.y
        if self.ctx.gate.config.datasets[self.dataset].label is None:
            raise DataError(
                f"dataset {self.dataset!r} has no label column; set 'label' under "
                f"datasets.{self.dataset} in the gate file."
            )
        return self.ctx.dataset(self.dataset).y

    def spread(self) -> tuple[float, str] | None:
        """The regression unit of a change: the standard deviation of the labels of the rows
        in ``X`` ("target sd"), else of their original predictions ("prediction sd"); None
        when neither is defined."""
        try:
            y = np.asarray(self.labels(), dtype=float)
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


def feature_names(ctx: GateContext, dataset: str) -> list[str]:
    """The feature columns of ``dataset`` (what ``Dataset.feature_names`` gives), read from
    the gate file and the column names only, so a partitioned dataset is not gathered."""
    spec = ctx.gate.config.datasets[dataset]
    if spec.features is not None:
        return list(spec.features)
    drop = set(spec.non_feature_columns)
    return [c for c in ctx.column_names(dataset) if c not in drop]


def _statistics_frame(ctx: GateContext, p: BehaviorParams, X: pd.DataFrame, key: str):
    """Where a transformation takes its statistics (a column's spread, its categories): the
    gate's ``reference`` dataset when one is declared and holds every feature of ``X`` (noise
    of 0.1 sd means the training data's sd, not the evaluation data's, whose spread is what
    drift changes), else the rows perturbed (``X``). Both are at most ``rows`` rows: ``X``
    is the check's sample, the reference a uniform bottom-k sample of its own
    (:func:`~mlgate.checks.behavior.sampling.draw_rows`), each every row when the data has at
    most ``rows`` rows and with ``rows: all``. A sample's spread is the data's within about
    0.5% at 20,000 rows; a category rarer than about one row in ``rows`` may be missing."""
    if p.dataset == REFERENCE or REFERENCE not in ctx.dataset_names:
        return X
    if p.row_cap is None:
        reference = ctx.dataset(REFERENCE).X
        return reference if set(X.columns) <= set(reference.columns) else X
    features = feature_names(ctx, REFERENCE)
    if not set(X.columns) <= set(features):
        return X
    return draw_rows(ctx, REFERENCE, features, p.row_cap, stream_key(ctx.seed, f"{key}:reference"))


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
