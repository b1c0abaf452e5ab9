"""Check type ``throughput``: rows per second through the model at a batch size, and the
largest batch that fits on the GPU.

A pass runs every row of the dataset through the model once, in batches of ``batch_size``
(each batch copied to the device and its output back, as :mod:`.requests` describes); after
``warmup`` untimed passes the check times up to ``passes`` of them (CUDA synchronised) within
``max_seconds``. The headline is the median rows per second of the passes with its
order-statistic interval, judged against ``min_rows_per_second``.

``find_max_batch`` searches the largest batch the device takes, with the out-of-memory
back-off of the torch adapter: halve from ``max_batch_size`` until a forward pass fits, then
bisect between the largest fit and the smallest failure. Only on CUDA: on the CPU the host
swaps or the process is killed long before torch raises out-of-memory, so nothing is searched
there and a ``min_fitting_batch`` budget is ``skipped``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from mlgate.checks.serving.environment import (
    environment,
    environment_table,
    is_torch,
    model_device,
    threads,
)
from mlgate.checks.serving.headline import decisive_metric, quantities_of
from mlgate.checks.serving.requests import Scope, batch_rows, float32_features, prepared
from mlgate.checks.serving.timing import (
    METHOD,
    Clock,
    QuantileInterval,
    Timings,
    measure,
    min_samples,
    quantile_interval,
)
from mlgate.config.schema import GateConfig
from mlgate.core.context import GateContext
from mlgate.core.evidence import Curve, Table
from mlgate.core.registry import CheckType, require_dataset, require_model
from mlgate.core.result import CheckResult, DecisionRule, Part, Status, Threshold, rounded
from mlgate.models.torch import import_torch

KIND = "serving"
DEFAULT_BATCH = 1024


class ThroughputParams(BaseModel):
    """The gate-file keys of ``throughput`` (documented in docs/checks/serving.md)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    model: str = "candidate"
    dataset: str = "evaluation"
    #: Rows per batch (None: the model's ``batch_size``, 1024 for a model without one).
    batch_size: int | None = Field(None, ge=1, le=65536)
    passes: int = Field(20, ge=1, le=10_000)
    warmup: int = Field(2, ge=0, le=1000)
    min_rows_per_second: float | None = Field(None, gt=0.0, le=1e12)
    find_max_batch: bool = False
    #: Where the search for the largest batch starts (it only halves from here).
    max_batch_size: int = Field(65536, ge=1, le=2**22)
    #: The largest batch that fits must be at least this (implies ``find_max_batch``).
    min_fitting_batch: int | None = Field(None, ge=1, le=2**22)
    max_seconds: float = Field(60.0, gt=0.0, le=3600.0)
    confidence: float = Field(0.95, ge=0.5, le=0.999)
    scope: Scope = "request"
    threads: int | None = Field(None, ge=1, le=256)

    @model_validator(mode="after")
    def _budgets(self) -> ThroughputParams:
        if self.min_rows_per_second is None and self.min_fitting_batch is None:
            raise ValueError(
                "give 'min_rows_per_second' (rows through the model per second), "
                "'min_fitting_batch' (the largest batch that fits on the GPU), or both"
            )
        need = min_samples(0.5, self.confidence)
        if self.min_rows_per_second is not None and self.passes < need:
            raise ValueError(
                f"passes ({self.passes}) is too few for an interval of the median at "
                f"confidence {self.confidence:g}; give passes: {need} or more"
            )
        if self.min_fitting_batch is not None and self.min_fitting_batch > self.max_batch_size:
            raise ValueError(
                f"min_fitting_batch ({self.min_fitting_batch}) is above max_batch_size "
                f"({self.max_batch_size}), where the search starts; raise max_batch_size"
            )
        return self

    @property
    def search(self) -> bool:
        return self.find_max_batch or self.min_fitting_batch is not None


def _validate(p: ThroughputParams, config: GateConfig) -> None:
    require_model(config, p.model)
    require_dataset(config, p.dataset, label=False)


@dataclass(frozen=True)
class BatchSearch:
    """The largest batch that fitted (0 when not even one row did) and every size tried, in
    order, with whether it fitted."""

    largest: int
    tried: tuple[tuple[int, bool], ...]


def largest_batch(
    fits: Callable[[int], bool], start: int, *, deadline: Callable[[], bool] = lambda: False
) -> BatchSearch:
    """Halve from ``start`` until ``fits(size)``, then bisect between that fit and the
    smallest size that did not, so the answer is the largest size that fits (for a model
    whose memory grows with the batch). Stops early when ``deadline()`` says so; the answer is
    then the largest fit seen."""
    tried: list[tuple[int, bool]] = []
    size, failed = start, None
    while size >= 1:
        ok = fits(size)
        tried.append((size, ok))
        if ok:
            break
        failed, size = size, size // 2
        if deadline():
            return BatchSearch(0, tuple(tried))
    if size < 1:
        return BatchSearch(0, tuple(tried))
    good = size
    while failed is not None and failed - good > 1 and not deadline():
        mid = (good + failed) // 2
        ok = fits(mid)
        tried.append((mid, ok))
        good, failed = (mid, failed) if ok else (good, mid)
    return BatchSearch(good, tuple(tried))


def is_out_of_memory(torch, exc: BaseException) -> bool:
    """Whether ``exc`` is torch running out of device memory (the adapter's rule)."""
    kinds = tuple(
        t
        for t in (
            getattr(torch, "OutOfMemoryError", None),
            getattr(torch.cuda, "OutOfMemoryError", None),
        )
        if t
    )
    return isinstance(exc, kinds) or (
        isinstance(exc, RuntimeError) and "out of memory" in str(exc).lower()
    )


def _cuda_fits(adapter, inputs: np.ndarray, device: str) -> Callable[[int], bool]:
    torch = import_torch()
    module = adapter.module.to(device)

    def fits(size: int) -> bool:
        xb = out = None
        modes = [(m, m.training) for m in module.modules()]
        module.eval()
        try:
            rows = np.resize(inputs, (size, inputs.shape[1]))  # rows repeat as needed
            xb = torch.from_numpy(rows).to(device)
            with torch.inference_mode():
                out = module(xb)
            torch.cuda.synchronize(torch.device(device))
            return True
        except Exception as exc:
            if not is_out_of_memory(torch, exc):
                raise
            return False
        finally:
            for m, mode in modes:
                m.training = mode
            del xb, out
            torch.cuda.empty_cache()

    return fits


def run_throughput(
    ctx: GateContext, p: ThroughputParams, *, clock: Clock = time.perf_counter
) -> CheckResult:
    """Time passes over the dataset and (on CUDA) search the largest batch; ``clock`` is
    injectable for tests."""
    adapter = ctx.model(p.model)
    X = ctx.dataset(p.dataset).X
    device = model_device(adapter, p.model)
    size = p.batch_size or int(getattr(adapter, "batch_size", DEFAULT_BATCH))
    where = f"model {p.model!r} on {device}"
    n = len(X)
    parts: list[Part] = []
    evidence: dict = {"device": device, "batch_size": size, "rows_per_pass": n}
    with threads(adapter, p.threads):
        env = environment(device, adapter)
        deadline = clock() + p.max_seconds
        timings = None
        if p.min_rows_per_second is not None:
            batches = batch_rows(n, size, wrap=False, limit=0)
            with prepared(adapter, X, batches, model=p.model, scope=p.scope) as req:

                def one_pass(_: int) -> None:
                    for i in range(len(batches)):
                        req.call(i)

                timings = measure(
                    one_pass,
                    repeats=p.passes,
                    warmup=p.warmup,
                    clock=clock,
                    sync=req.sync,
                    deadline=deadline,
                )
            parts.append(_rate_part(p, where, size, n, timings))
            evidence.update(_rate_evidence(timings, n, p.confidence))
        if p.search:
            search = None
            if device.startswith("cuda") and is_torch(adapter):
                search = largest_batch(
                    _cuda_fits(adapter, float32_features(X, p.model), device),
                    p.max_batch_size,
                    deadline=lambda: clock() >= deadline,
                )
                evidence["largest_batch"] = search.largest
                evidence["batch_search"] = Table.of(
                    [{"batch_size": b, "fits": ok} for b, ok in search.tried],
                    title="batch sizes tried (out-of-memory back-off)",
                )
            else:
                evidence["largest_batch"] = None
                evidence["batch_search"] = f"not searched: the model runs on {device}, not cuda"
            if p.min_fitting_batch is not None:
                parts.append(_fit_part(p, where, device, search))
    evidence["environment"] = environment_table(env)
    return CheckResult.from_parts(
        KIND,
        parts,
        metric=decisive_metric(parts, quantities_of(parts), "rows per second"),
        method=f"median of timed passes with its {METHOD} interval",
        evidence=evidence,
    )


def _rate_part(p: ThroughputParams, where: str, size: int, n: int, t: Timings) -> Part:
    threshold = Threshold(">=", float(p.min_rows_per_second))
    name = f"rows per second at batch {size} >= {p.min_rows_per_second:g}"
    qi = _median(t, n, p.confidence)
    if qi is None:
        return Part(name, Status.INCONCLUSIVE, threshold=threshold, sample_size=0, message=where)
    status = threshold.judge(qi.interval, value=qi.estimate)
    message = (
        f"{where}: median {qi.estimate:.4g} rows/s [{qi.low:.4g}, {qi.high:.4g}] "
        f"({qi.level:.0%} CI over {qi.n} passes of {n} rows)"
    )
    if status is Status.FAILED:
        message += f", below the budget of {p.min_rows_per_second:g} rows/s"
    elif status is Status.PASSED:
        message += f", above the budget of {p.min_rows_per_second:g} rows/s"
    elif qi.low_rank is None:
        message += ": too few passes for a lower end"
        if t.stopped_early:
            message += (
                f" (the time limit max_seconds={p.max_seconds:g} stopped it after {t.n} of "
                f"{t.requested} passes); raise max_seconds"
            )
    else:
        message += f": the interval straddles the budget of {p.min_rows_per_second:g} rows/s"
    return Part(
        name,
        status,
        value=qi.estimate,
        interval=qi.interval,
        threshold=threshold,
        sample_size=qi.n,
        message=message,
    )


def _median(t: Timings, n: int, level: float) -> QuantileInterval | None:
    rates = n / np.maximum(t.seconds, 1e-12)
    return quantile_interval(rates, 0.5, level, floor=0.0)


def _rate_evidence(t: Timings, n: int, level: float) -> dict:
    rates = n / np.maximum(t.seconds, 1e-12)
    return {
        "passes": Table.of(
            [
                {
                    "requested": t.requested,
                    "timed": t.n,
                    "warmup": t.warmup,
                    "stopped_at_time_limit": t.stopped_early,
                    "elapsed_s": rounded(t.elapsed),
                    "median_pass_s": rounded(float(np.median(t.seconds))) if t.n else None,
                }
            ],
            title="timed passes",
        ),
        "rows_per_second": Curve(
            x=[float(i + 1) for i in range(t.n)],
            y=[rounded(r, 3) for r in rates],
            xlabel="pass",
            ylabel="rows per second",
            title="throughput of each timed pass",
        ),
    }


def _fit_part(p: ThroughputParams, where: str, device: str, search: BatchSearch | None) -> Part:
    threshold = Threshold(">=", float(p.min_fitting_batch))
    name = f"largest batch >= {p.min_fitting_batch}"
    if search is None:
        return Part(
            name,
            Status.SKIPPED,
            threshold=threshold,
            message=f"{where}: the largest batch is searched only on cuda (out-of-memory is a "
            "GPU failure; the host swaps first); run with --mlgate-device cuda on a GPU machine",
        )
    status = threshold.judge(None, value=float(search.largest), rule=DecisionRule.POINT)
    return Part(
        name,
        status,
        value=float(search.largest),
        threshold=threshold,
        sample_size=len(search.tried),
        message=f"{where}: the largest batch that fits is {search.largest} rows "
        f"({len(search.tried)} sizes tried from {p.max_batch_size})",
    )


def _default_id(p: ThroughputParams) -> str:
    model = "" if p.model == "candidate" else f"-{p.model}"
    batch = f"-batch{p.batch_size}" if p.batch_size else ""
    return f"throughput{model}{batch}"


THROUGHPUT = CheckType(
    name="throughput",
    kind=KIND,
    params=ThroughputParams,
    run=run_throughput,
    summary="Rows per second through the model at a batch size (median of timed passes with "
    "an order-statistic interval), and the largest batch that fits on the GPU.",
    validate=_validate,
    default_id=_default_id,
)
