"""Check type ``latency``: percentiles of the time per request at stated batch sizes on the
model's device, each with a distribution-free order-statistic interval, judged against budgets
(``p99 ≤ 20 ms at batch 1``).

Per batch size the check makes ``warmup`` untimed requests, then times up to ``requests``
requests (CUDA synchronised before each clock reading), stopping at its share of
``max_seconds``. Each budget is judged on its percentile's interval by the kernel
(:meth:`~mlgate.core.result.Threshold.judge`): passed when the whole interval is within the
budget, failed when it lies wholly over it, else inconclusive. Too few requests for a finite
upper end (368 for p99 at 95%) is inconclusive, never a pass. The evidence records the device,
the library versions and the thread settings.

The clock is a parameter of :func:`run_latency`, so tests drive the check with simulated
timings.
"""

from __future__ import annotations

import time
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from mlgate.checks.serving.environment import (
    environment,
    environment_table,
    model_device,
    threads,
)
from mlgate.checks.serving.headline import decisive_metric
from mlgate.checks.serving.requests import MAX_DISTINCT_BATCHES, Scope, batch_rows, prepared
from mlgate.checks.serving.timing import (
    METHOD,
    Clock,
    QuantileInterval,
    Timings,
    measure,
    min_samples,
    percentile_key,
    percentile_level,
    quantile_interval,
)
from mlgate.checks.serving.units import Duration, format_duration
from mlgate.config.schema import GateConfig
from mlgate.core.context import GateContext
from mlgate.core.evidence import Bars, Blocks, Curve, Table
from mlgate.core.registry import CheckType, require_dataset, require_model
from mlgate.core.result import CheckResult, Part, Status, Threshold, rounded

KIND = "serving"
#: Percentiles reported besides the budgeted ones.
REPORTED = (0.5, 0.9, 0.95, 0.99)
#: Points of the quantile curve in the evidence (percent).
CURVE_POINTS = (1, 5, 10, 25, 50, 75, 90, 95, 99, 99.9)

BatchSize = Annotated[int, Field(ge=1, le=65536)]


class LatencyParams(BaseModel):
    """The gate-file keys of ``latency`` (documented in docs/checks/serving.md)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    model: str = "candidate"
    dataset: str = "evaluation"
    #: Rows per request; each batch size is timed and judged on its own.
    batch_sizes: list[BatchSize] = Field(default_factory=lambda: [1], min_length=1, max_length=8)
    #: Percentile → the most time a request may take, with its unit: ``{p99: 20 ms}``.
    budget: dict[str, Duration] = Field(min_length=1, max_length=8)
    warmup: int = Field(20, ge=0, le=10_000)
    requests: int = Field(1000, ge=10, le=100_000)
    #: The whole check's time limit (warm-up included), shared equally by the batch sizes.
    max_seconds: float = Field(60.0, gt=0.0, le=3600.0)
    confidence: float = Field(0.95, ge=0.5, le=0.999)
    scope: Scope = "request"
    #: Intra-op threads during the measurement (None: as configured).
    threads: int | None = Field(None, ge=1, le=256)

    @field_validator("budget")
    @classmethod
    def _percentiles(cls, v: dict[str, float]) -> dict[str, float]:
        for key in v:
            percentile_level(key)
        return v

    @model_validator(mode="after")
    def _enough_requests(self) -> LatencyParams:
        if len(set(self.batch_sizes)) != len(self.batch_sizes):
            raise ValueError(f"batch_sizes lists a size twice: {self.batch_sizes}")
        for key in self.budget:
            need = min_samples(percentile_level(key), self.confidence)
            if self.requests < need:
                raise ValueError(
                    f"requests ({self.requests}) is too few for budget {key} at confidence "
                    f"{self.confidence:g}: its interval needs at least {need} requests for a "
                    f"finite upper end; raise requests to {need} or budget a lower percentile"
                )
        return self

    @property
    def levels(self) -> list[float]:
        """Every percentile reported (budgeted or not), ascending."""
        return sorted({*REPORTED, *(percentile_level(k) for k in self.budget)})


def _validate(p: LatencyParams, config: GateConfig) -> None:
    require_model(config, p.model)
    require_dataset(config, p.dataset, label=False)


def run_latency(
    ctx: GateContext, p: LatencyParams, *, clock: Clock = time.perf_counter
) -> CheckResult:
    """Time ``p.requests`` requests per batch size on the model's device and judge the
    budgets; ``clock`` (seconds) is injectable for tests."""
    adapter = ctx.model(p.model)
    X = ctx.dataset(p.dataset).X
    device = model_device(adapter, p.model)
    measured: list[tuple[int, Timings]] = []
    with threads(adapter, p.threads):
        env = environment(device, adapter)
        deadline = clock() + p.max_seconds
        for j, size in enumerate(p.batch_sizes):
            now = clock()
            share = max(0.0, deadline - now) / (len(p.batch_sizes) - j)
            batches = batch_rows(len(X), size, wrap=True, limit=MAX_DISTINCT_BATCHES)
            with prepared(adapter, X, batches, model=p.model, scope=p.scope) as req:
                timings = measure(
                    req.call,
                    repeats=p.requests,
                    warmup=p.warmup,
                    clock=clock,
                    sync=req.sync,
                    deadline=now + share,
                )
            measured.append((size, timings))
    where = f"model {p.model!r} on {device}"
    parts: list[Part] = []
    quantities: dict[str, str] = {}
    rows: list[dict] = []
    bars: list[tuple[str, QuantileInterval | None]] = []
    for size, t in measured:
        ms = t.seconds * 1000.0
        judged: list[Part] = []
        for q in p.levels:
            qi = quantile_interval(ms, q, p.confidence, floor=0.0)
            key = percentile_key(q)
            budget = p.budget.get(key)
            row = _row(size, key, qi, t)
            bars.append((f"{key} @ batch {size}", qi))
            if budget is not None:
                part = _judge(p, where, size, key, budget, qi, t)
                judged.append(part)
                quantities[part.name] = f"{key} latency per request at batch {size} (ms)"
                row.update(budget_ms=rounded(budget * 1000.0), status=part.status.value)
            rows.append(row)
        parts += reversed(judged)  # the highest percentile first: the headline of a pass
    return CheckResult.from_parts(
        KIND,
        parts,
        metric=decisive_metric(parts, quantities, "latency per request (ms)"),
        method=f"{METHOD} interval of each percentile; {p.scope} timing on {device}",
        evidence={
            "device": device,
            "scope": p.scope,
            "percentiles": Table.of(rows, title="latency percentiles per batch size (ms)"),
            "latency": _bars(bars),
            "quantiles": Blocks(
                items=tuple(_curve(size, t, p.confidence) for size, t in measured),
                title="latency quantile curves",
            ),
            "requests": Table.of([_run_row(size, t) for size, t in measured], title="requests"),
            "environment": environment_table(env),
        },
    )


def _judge(
    p: LatencyParams,
    where: str,
    size: int,
    key: str,
    budget: float,
    qi: QuantileInterval | None,
    t: Timings,
) -> Part:
    threshold = Threshold("<=", budget * 1000.0)
    name = f"{key} at batch {size} <= {format_duration(budget)}"
    cut = (
        f"{where}: the time limit max_seconds={p.max_seconds:g} stopped the sample after "
        f"{t.n} of {t.requested} requests: the model is too slow to measure {key} within it; "
        "raise max_seconds or lower requests"
    )
    if qi is None:
        status = Status.ERROR if t.stopped_early else Status.INCONCLUSIVE
        return Part(
            name,
            status,
            threshold=threshold,
            sample_size=0,
            message=cut if t.stopped_early else where,
        )
    status = threshold.judge(qi.interval, value=qi.estimate)
    if t.stopped_early and status is not Status.FAILED:
        # A sample the time limit cut short is no measurement (a miss already shown stands).
        return Part(
            name,
            Status.ERROR,
            value=qi.estimate,
            interval=qi.interval,
            threshold=threshold,
            sample_size=qi.n,
            message=cut,
        )
    figure = (
        f"{where}: {key} {format_duration(qi.estimate / 1000)} "
        f"[{format_duration(qi.low / 1000)}, {format_duration(qi.high / 1000)}] "
        f"({qi.level:.0%} CI over {qi.n} requests of {size} row(s))"
    )
    if status is Status.FAILED:
        figure += f", over the budget of {format_duration(budget)}"
    elif status is Status.PASSED:
        figure += f", within the budget of {format_duration(budget)}"
    elif qi.high_rank is None:
        need = min_samples(qi.q, qi.level)
        stopped = (
            f"the time limit max_seconds={p.max_seconds:g} stopped it after {t.n} of "
            f"{t.requested} requests; raise max_seconds or lower requests"
            if t.stopped_early
            else f"raise requests to at least {need}"
        )
        figure += f": {qi.n} requests are too few for a finite upper end (need {need}); {stopped}"
    else:
        figure += f": the interval straddles the budget of {format_duration(budget)}"
    return Part(
        name,
        status,
        value=qi.estimate,
        interval=qi.interval,
        threshold=threshold,
        sample_size=qi.n,
        message=figure,
    )


def _row(size: int, key: str, qi: QuantileInterval | None, t: Timings) -> dict:
    if qi is None:
        return {"batch_size": size, "percentile": key, "requests": 0}
    return {
        "batch_size": size,
        "percentile": key,
        "ms": rounded(qi.estimate),
        "low_ms": rounded(qi.low),
        "high_ms": rounded(qi.high),  # None when too few requests for an upper end
        "ranks": [qi.low_rank, qi.high_rank],
        "coverage": rounded(qi.coverage),
        "requests": qi.n,
    }


def _run_row(size: int, t: Timings) -> dict:
    total = float(t.seconds.sum())
    return {
        "batch_size": size,
        "requested": t.requested,
        "timed": t.n,
        "warmup": t.warmup,
        "stopped_at_time_limit": t.stopped_early,
        "elapsed_s": rounded(t.elapsed),
        "mean_ms": rounded(total / t.n * 1000.0) if t.n else None,
        "min_ms": rounded(float(t.seconds.min()) * 1000.0) if t.n else None,
        "max_ms": rounded(float(t.seconds.max()) * 1000.0) if t.n else None,
        "rows_per_second": rounded(size * t.n / total, 3) if total > 0 else None,
    }


def _bars(bars: list[tuple[str, QuantileInterval | None]]) -> Bars:
    kept = [(label, qi) for label, qi in bars if qi is not None]
    return Bars(
        labels=[label for label, _ in kept],
        values=[rounded(qi.estimate) for _, qi in kept],
        low=[rounded(qi.low) for _, qi in kept],
        high=[rounded(qi.high) for _, qi in kept],
        over="percentile",
        quantity="latency per request (ms)",
        title="latency percentiles with order-statistic intervals",
    )


def _curve(size: int, t: Timings, level: float) -> Curve:
    ms = t.seconds * 1000.0
    points = [(x, quantile_interval(ms, x / 100.0, level, floor=0.0)) for x in CURVE_POINTS]
    points = [(x, qi) for x, qi in points if qi is not None]
    return Curve(
        x=[float(x) for x, _ in points],
        y=[rounded(qi.estimate) for _, qi in points],
        low=[rounded(qi.low) for _, qi in points],
        high=[rounded(qi.high) for _, qi in points],
        xlabel="percentile",
        ylabel="ms per request",
        title=f"batch {size}",
    )


def _default_id(p: LatencyParams) -> str:
    model = "" if p.model == "candidate" else f"-{p.model}"
    return f"latency{model}-batch{'-'.join(map(str, p.batch_sizes))}"


LATENCY = CheckType(
    name="latency",
    kind=KIND,
    params=LatencyParams,
    run=run_latency,
    summary="Percentiles of the time per request at stated batch sizes on the model's device, "
    "with order-statistic intervals, within budgets (p99 <= 20 ms at batch 1).",
    validate=_validate,
    default_id=_default_id,
)
