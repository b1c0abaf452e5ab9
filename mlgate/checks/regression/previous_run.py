"""Previous-run regression: the candidate's metrics must not have got worse than those stored
in an earlier run's ``result.json`` (layout in docs/interfaces.md), beyond a margin.

For each metric the stored check is found in ``checks[]`` (by ``previous_check`` id, else the
check with that ``metric`` whose evidence names the same model and dataset). The current
value gets an interval (``interval`` method) and the change is judged as a difference of two
independent estimates: standard errors are read off both intervals (width / 2z) and combined,
so a stored value without an interval counts as exact. The runs' rows are not paired (the
earlier predictions are not stored), which makes the test conservative when both runs used the
same data. Verdicts per metric as in the champion check: **passed** when the adjusted one-sided
p-value of "change ≤ −margin" is ≤ α = (1 − confidence) / 2, **failed** when the whole
interval of the change lies at or below −margin, else **inconclusive** with the rows needed.

``interval: poisson`` folds batches with ``metric_threshold``'s Poisson bootstrap
(:func:`mlgate.stats.poisson_metric.poisson_metric`): the same bytes for any batching or
partitioning, so the check runs on Dask at any size; no row is gathered, not even for
``same_data``.
"""

from __future__ import annotations

import operator
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, PositiveInt, field_validator, model_validator
from scipy.special import ndtr

from mlgate.checks.regression.champion import at_or_below
from mlgate.checks.regression.stored_run import from_history, load_previous, same_data, stored_check
from mlgate.config.schema import GateConfig
from mlgate.core.context import GateContext
from mlgate.core.evidence import Bars, Table
from mlgate.core.registry import CheckType, Resamples, require_dataset, require_model
from mlgate.core.result import CheckResult, Interval, Part, Status, Threshold, rounded
from mlgate.core.task import Task
from mlgate.stats.evaluate import INTERVAL_METHODS, MetricEstimate, estimate, interval_problem
from mlgate.stats.intervals import normal_interval, z_value
from mlgate.stats.metrics import UndefinedMetricError, get_metric
from mlgate.stats.multiple_testing import CORRECTIONS, adjust
from mlgate.stats.poisson_metric import poisson_metric
from mlgate.stats.power import required_rows
from mlgate.stats.scoring import check_metric, encode

KIND = "regression"


class HistorySource(BaseModel):
    """An earlier run in a history database: ``run`` is a run id, ``latest`` (the newest run
    of the gate) or ``latest_promoted`` (the newest that was promoted, with or without
    warnings); ``gate`` defaults to this gate's name."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    db: str
    run: PositiveInt | Literal["latest", "latest_promoted"] = "latest_promoted"
    gate: str | None = None


class PreviousRunParams(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    path: str | None = None
    history: HistorySource | None = None
    metrics: list[str] = Field(min_length=1)
    margin: float | dict[str, float] = 0.0
    model: str = "candidate"
    dataset: str = "evaluation"
    previous_model: str = "candidate"
    previous_check: str | dict[str, str] | None = None
    interval: str = Field(
        "percentile",
        description="the current value's interval: `percentile` / `bca` (bootstrap over rows), "
        "`wilson`, `delong` (every row in one place); `poisson`: a Poisson bootstrap folded "
        "from batches (runs on Dask at any size; ranking metrics on a grid of score buckets, "
        "exact up to 4,096 distinct scores).",
    )
    correction: str = "holm"
    confidence: float = Field(0.95, gt=0.5, lt=1.0)
    power: float = Field(0.8, gt=0.0, lt=1.0)
    n_resamples: Resamples = 1000
    min_samples: PositiveInt = 30

    @field_validator("metrics", mode="before")
    @classmethod
    def _one_or_many(cls, v: Any) -> Any:
        return [v] if isinstance(v, str) else v

    @model_validator(mode="after")
    def _consistent(self) -> PreviousRunParams:
        if (self.path is None) == (self.history is None):
            raise ValueError(
                "give exactly one of 'path' (an earlier result.json) and 'history' "
                "({db: history.sqlite, run: latest_promoted | latest | <id>})"
            )
        if self.interval not in (*INTERVAL_METHODS, "poisson"):
            raise ValueError(
                f"unknown interval {self.interval!r}; use one of {[*INTERVAL_METHODS, 'poisson']}"
            )
        for name in self.metrics:
            try:
                metric = get_metric(name)
            except KeyError as exc:
                raise ValueError(str(exc.args[0])) from None
            problem = (
                None
                if self.interval == "poisson"
                else interval_problem(metric, self.interval, None)
            )
            if problem:
                raise ValueError(problem)
            if self.margin_of(name) < 0:
                raise ValueError(f"margin of {name!r} must be ≥ 0")
        if self.correction not in CORRECTIONS:
            raise ValueError(f"unknown correction {self.correction!r}; use one of {CORRECTIONS}")
        if isinstance(self.previous_check, str) and len(self.metrics) > 1:
            raise ValueError("with several metrics give previous_check as {metric: check id}")
        return self

    def margin_of(self, metric: str) -> float:
        if isinstance(self.margin, dict):
            if metric not in self.margin:
                raise ValueError(f"'margin' has no entry for metric {metric!r}")
            return float(self.margin[metric])
        return float(self.margin)

    def check_id_of(self, metric: str) -> str | None:
        if isinstance(self.previous_check, dict):
            return self.previous_check.get(metric)
        return self.previous_check

    @property
    def alpha(self) -> float:
        return (1.0 - self.confidence) / 2.0


def _validate(p: PreviousRunParams, config: GateConfig) -> None:
    for i, name in enumerate(p.metrics):
        check_metric(name, config.task, path=f"metrics[{i}]")
    require_model(config, p.model)
    require_dataset(config, p.dataset)


def run_previous_run(ctx: GateContext, p: PreviousRunParams) -> CheckResult:
    if p.history is not None:
        doc, source = from_history(ctx, p.history)
    else:
        doc, source = load_previous((ctx.gate.base_dir / p.path).resolve()), p.path
    folded = p.interval == "poisson"  # folds batches: runs on Dask at any size (docs/dask.md)
    data = None if folded else ctx.dataset(p.dataset)
    preds = None if folded else ctx.predict(p.model, p.dataset)
    n = None if data is None else len(data)
    rows: list[dict[str, Any]] = []
    p_values: list[float] = []
    sketches: dict[str, dict[str, Any]] = {}
    for name in p.metrics:
        metric = get_metric(name)
        old = stored_check(doc, p, name)
        if not folded:
            y, (out,), k = encode(
                data.y, [preds], metric, ctx.task, models=[p.model], dataset=p.dataset
            )
        try:
            if folded:
                est, sketch = _poisson(ctx, p, name)
                if sketch:
                    sketches[name] = sketch
                n = est.n if n is None else n
            else:
                with ctx.progress.task(f"{name} bootstrap", p.n_resamples) as advance:
                    est = estimate(
                        metric,
                        y,
                        out,
                        k,
                        method=p.interval,
                        level=p.confidence,  # type: ignore[arg-type]
                        rng=ctx.rng(f"previous_run:{name}:{p.model}:{p.dataset}"),
                        n_resamples=p.n_resamples,
                        progress=advance,
                    )
        except UndefinedMetricError as exc:
            rows.append({"metric": name, "status": "inconclusive", "message": f"{exc}"})
            p_values.append(1.0)
            continue
        row = _change(metric, est, old, p)
        rows.append(row)
        p_values.append(row.pop("_p", 1.0))
    if n is None:  # every metric was undefined before the fold counted the rows
        n = ctx.fold(None, p.dataset, _rows, operator.add)
    adjusted = adjust(p_values, p.correction)  # type: ignore[arg-type]
    for row, q in zip(rows, adjusted, strict=True):
        if "improvement" in row:
            _judge(row, float(q), p, n)
    return _result(p, rows, n, doc, ctx, source, sketches)


def _poisson(
    ctx: GateContext, p: PreviousRunParams, name: str
) -> tuple[MetricEstimate, dict[str, Any]]:
    """The current value of metric ``name`` and its Poisson interval, folded from batches with
    the recipe ``metric_threshold`` uses (its own seed key, so the draws are this check's)."""
    spec = ctx.gate.config.models.get(p.model)
    return poisson_metric(
        ctx.fold,
        seed=ctx.seed,
        key=f"previous_run:{name}:{p.model}:{p.dataset}",
        metric=name,
        model=p.model,
        dataset=p.dataset,
        classes=spec.classes if spec else None,
        binary=ctx.task is Task.BINARY,
        n_resamples=p.n_resamples,
        level=p.confidence,
    )


def _rows(batch: Any) -> int:
    """The rows of one batch (a picklable fold, summed with ``operator.add``)."""
    return len(batch)


def _se(interval: Interval | dict | None) -> float | None:
    if interval is None:
        return None
    if isinstance(interval, dict):
        if interval.get("low") is None or interval.get("high") is None:
            return None
        interval = Interval(interval["low"], interval["high"], interval.get("level", 0.95), "")
    return (interval.high - interval.low) / (2.0 * z_value(interval.level))


def _change(metric, est, old: dict[str, Any], p: PreviousRunParams) -> dict[str, Any]:
    sign = 1.0 if metric.higher_is_better else -1.0
    improvement = sign * (est.value - float(old["value"]))
    se_now, se_old = _se(est.interval), _se(old.get("interval"))
    row: dict[str, Any] = {
        "metric": metric.name,
        "current": rounded(est.value),
        "current_interval": [rounded(est.interval.low), rounded(est.interval.high)]
        if est.interval
        else None,
        "previous": rounded(float(old["value"])),
        "previous_check": old.get("id"),
        "previous_interval": old.get("interval"),
        "improvement": improvement,
        "boundary": -p.margin_of(metric.name),
        "se_current": se_now,
        "se_previous": se_old or 0.0,
    }
    if se_now is None:
        row["_p"] = 1.0
        return row
    se = float(np.hypot(se_now, se_old or 0.0))
    row["se"] = se
    ci = normal_interval(improvement, se, p.confidence, "normal (independent runs)")
    row["interval"] = ci
    boundary = row["boundary"]
    row["_p"] = (
        float(ndtr(-(improvement - boundary) / se)) if se > 0 else float(improvement <= boundary)
    )
    return row


def _judge(row: dict[str, Any], p_adj: float, p: PreviousRunParams, n: int) -> None:
    ci: Interval | None = row.get("interval")
    name, d, b = row["metric"], row["improvement"], row["boundary"]
    row["p_adjusted"] = rounded(p_adj, 8)
    if n < p.min_samples:
        status, msg = Status.INCONCLUSIVE, f"{name}: only {n} rows; min_samples={p.min_samples}"
    elif ci is None:
        status, msg = Status.INCONCLUSIVE, f"{name}: no interval for the current value"
    elif p_adj <= p.alpha:
        status, msg = (
            Status.PASSED,
            (f"{name}: change {d:+.4g} [{ci.low:+.4g}, {ci.high:+.4g}] is above {b:+g}"),
        )
    elif at_or_below(ci, b):
        status, msg = (
            Status.FAILED,
            (
                f"{name}: got worse: change {d:+.4g} [{ci.low:+.4g}, {ci.high:+.4g}] is at or "
                f"below {b:+g}"
            ),
        )
    else:
        needed = required_rows(
            se=row["se_current"],
            n=n,
            difference=d,
            boundary=b,
            alpha=p.alpha,
            power=p.power,
            se_fixed=row["se_previous"],
        )
        row["rows_needed"] = needed
        tail = (
            f"about {needed:,} rows would be needed to decide"
            if needed
            else "more rows alone cannot decide it (the stored run's own uncertainty is too large)"
        )
        status, msg = (
            Status.INCONCLUSIVE,
            (
                f"{name}: change {d:+.4g} [{ci.low:+.4g}, {ci.high:+.4g}] cannot be told from "
                f"{b:+g} (adjusted p={p_adj:.3g}); {tail}"
            ),
        )
    row["status"], row["message"] = status.value, msg


#: Columns of the per-metric table, in order.
COLUMNS = (
    "metric",
    "current",
    "current_interval",
    "previous",
    "previous_interval",
    "previous_check",
    "improvement",
    "boundary",
    "interval",
    "se",
    "se_current",
    "se_previous",
    "p_adjusted",
    "status",
    "rows_needed",
    "message",
)


def _result(
    p: PreviousRunParams,
    rows,
    n: int,
    doc: dict[str, Any],
    ctx,
    source: str,
    sketches: dict[str, dict[str, Any]] | None = None,
) -> CheckResult:
    same = same_data(doc, ctx, p.dataset)
    parts = []
    for row in rows:
        ci = row.get("interval")
        if isinstance(ci, Interval):
            row["interval"] = [rounded(ci.low), rounded(ci.high)]
        for key in ("improvement", "se", "se_current", "se_previous"):
            if key in row:
                row[key] = rounded(row[key])
        parts.append(
            Part(
                row["metric"],
                Status(row["status"]),
                value=row.get("improvement"),
                interval=ci if isinstance(ci, Interval) else None,
                threshold=Threshold(">=", -p.margin_of(row["metric"])),
                sample_size=n,
                message=row["message"],
            )
        )
    status = Status.worst(parts)
    decisive = next(part for part in parts if part.status is status)
    # interval: poisson of a ranking metric: the score-bucket sketch's error, per metric
    extra = {"sketch": sketches} if sketches else {}
    head = {
        Status.PASSED: f"no metric of {p.model!r} got worse than in the previous run",
        Status.FAILED: f"{p.model!r} got worse than in the previous run",
        Status.INCONCLUSIVE: "the data cannot tell whether the metrics got worse",
    }[status]
    return CheckResult.from_parts(
        KIND,
        parts,
        check_id=f"previous-run-{p.metrics[0]}",
        metric=f"{decisive.name} change vs previous run",
        method=(
            f"difference of independent estimates ({p.interval} interval now, stored interval "
            f"then), one-sided α={p.alpha:g}, {p.correction} correction"
        ),
        message=f"{head}. " + "; ".join(r["message"] for r in rows),
        evidence={
            "model": p.model,
            "dataset": p.dataset,
            "previous": source,
            "previous_run": (doc.get("run") or {}).get("started_at"),
            "same_data": same,
            "metrics": Table(rows=tuple(rows), columns=COLUMNS, title="per metric"),
            "change": Bars(
                labels=[part.name for part in parts],
                values=[part.value for part in parts],
                low=[rounded(part.interval.low) if part.interval else None for part in parts],
                high=[rounded(part.interval.high) if part.interval else None for part in parts],
                over="metric",
                quantity="change vs previous run",
                title=f"change of {p.model!r} since the previous run (positive: better)",
            ),
            **extra,
        },
    )


def _default_id(p: PreviousRunParams) -> str:
    return "previous-run-" + "-".join(p.metrics)


PREVIOUS_RUN = CheckType(
    name="previous_run",
    kind=KIND,
    params=PreviousRunParams,
    run=run_previous_run,
    summary="The candidate's metrics must not be worse than in a stored result.json of an "
    "earlier run, beyond a margin, judged with both runs' intervals; interval: poisson folds "
    "batches (runs on Dask at any size).",
    validate=_validate,
    default_id=_default_id,
    # interval: poisson folds batches; the row-resampling intervals need every row at once
    needs_all_rows=lambda p: p.interval != "poisson",
)

#: The check as a Python function: ``previous_run_check(mlgate, path="runs/last/result.json",
#: metrics=["accuracy"], margin=0.01)`` (the check type itself).
previous_run_check = PREVIOUS_RUN
