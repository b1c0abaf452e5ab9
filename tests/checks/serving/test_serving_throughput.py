"""throughput: rows per second from simulated pass times, the largest-batch search with a fake
out-of-memory rule, what happens on the CPU, and bad parameters."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mlgate.checks.serving.throughput import (
    THROUGHPUT,
    is_out_of_memory,
    largest_batch,
    run_throughput,
)
from mlgate.core.context import GateContext
from mlgate.core.errors import ConfigError
from mlgate.core.registry import parse_params
from mlgate.core.result import Status


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def make_ctx(model, n: int = 1000) -> GateContext:
    x = np.linspace(-1, 1, n)
    return GateContext.from_objects(
        models={"candidate": model},
        datasets={"evaluation": pd.DataFrame({"x": x, "y": (x > 0).astype(int)})},
        task="binary",
        label="y",
    )


def per_row_model(clock: FakeTime, seconds_per_row: float, calls: list):
    def model(X):
        clock.now += seconds_per_row * len(X)
        calls.append(len(X))
        return (np.asarray(X["x"]) > 0).astype(int)

    return model


def run(ctx, clock, **params):
    return run_throughput(ctx, parse_params(THROUGHPUT, ctx.gate.config, params), clock=clock)


def test_rows_per_second_from_timed_passes_over_every_row():
    clock, calls = FakeTime(), []
    ctx = make_ctx(per_row_model(clock, 1e-5, calls))  # 100,000 rows per second
    r = run(ctx, clock, min_rows_per_second=50_000, batch_size=300, passes=10, warmup=1)
    assert r.status is Status.PASSED
    assert r.value == pytest.approx(100_000)
    assert r.sample_size == 10
    assert calls[:4] == [300, 300, 300, 100]  # one pass: every row once, the last batch short
    assert len(calls) == 4 * 11  # ten timed passes and one warm-up
    assert r.metric == "rows per second at batch 300"


def test_a_slow_model_fails_with_the_figure_in_the_message():
    clock, calls = FakeTime(), []
    r = run(make_ctx(per_row_model(clock, 1e-3, calls)), clock, min_rows_per_second=5000)
    assert r.status is Status.FAILED
    assert "median 1000 rows/s" in r.message and "below the budget of 5000 rows/s" in r.message


def test_the_real_clock_passes_a_generous_budget_and_fails_an_impossible_one():
    ctx = make_ctx(lambda X: (np.asarray(X["x"]) > 0).astype(int))
    generous = THROUGHPUT(ctx, min_rows_per_second=1e-3, passes=8, batch_size=300)
    assert generous.status is Status.PASSED and generous.check_id == "throughput-batch300"
    assert THROUGHPUT(ctx, min_rows_per_second=1e12, passes=8).status is Status.FAILED


def test_the_time_limit_bounds_the_passes():
    clock, calls = FakeTime(), []
    r = run(
        make_ctx(per_row_model(clock, 1e-3, calls)),
        clock,
        min_rows_per_second=10,
        max_seconds=3.5,
        warmup=0,
    )
    timed = r.evidence["passes"].rows[0]
    assert timed["stopped_at_time_limit"] and timed["timed"] == 4
    assert r.status is Status.INCONCLUSIVE and "raise max_seconds" in r.message


def fits_below(limit: int, tried: list):
    def fits(size: int) -> bool:
        tried.append(size)
        return size <= limit

    return fits


@pytest.mark.parametrize("limit", [1, 7, 1000, 4096, 65535, 65536])
def test_the_search_finds_the_largest_batch_that_fits(limit):
    tried: list[int] = []
    search = largest_batch(fits_below(limit, tried), 65536)
    assert search.largest == limit
    assert len(tried) <= 2 * 17  # halving then bisecting: logarithmic
    assert [b for b, _ in search.tried] == tried


def test_the_search_reports_zero_when_nothing_fits_and_stops_at_the_deadline():
    assert largest_batch(lambda b: False, 64).largest == 0
    calls: list[int] = []
    search = largest_batch(fits_below(100, calls), 65536, deadline=lambda: len(calls) >= 3)
    assert search.largest == 0 and len(calls) == 3


def test_out_of_memory_is_recognised_like_the_torch_adapter_does():
    torch = pytest.importorskip("torch")
    assert is_out_of_memory(torch, RuntimeError("CUDA out of memory. Tried to allocate 2 GiB"))
    assert is_out_of_memory(torch, torch.cuda.OutOfMemoryError("oom"))
    assert not is_out_of_memory(torch, ValueError("shapes do not match"))


def test_the_batch_search_is_skipped_on_the_cpu_with_a_reason():
    torch = pytest.importorskip("torch")
    module = torch.nn.Linear(1, 2)
    ctx = GateContext.from_objects(
        models={"candidate": module},
        datasets={"evaluation": pd.DataFrame({"x": [0.0, 1.0] * 20, "y": [0, 1] * 20})},
        task="binary",
        label="y",
        device="cpu",
    )
    r = THROUGHPUT(ctx, min_fitting_batch=512, min_rows_per_second=1e-3)
    assert r.status is Status.SKIPPED
    assert "searched only on cuda" in r.message
    assert r.evidence["largest_batch"] is None
    assert r.evidence["batch_size"] == 1024  # the torch adapter's


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({}, "give 'min_rows_per_second'"),
        ({"min_rows_per_second": 0}, r"min_rows_per_second: .*greater than 0"),
        ({"min_rows_per_second": 10, "passes": 3}, r"passes \(3\) is too few .* passes: 6"),
        ({"min_fitting_batch": 100, "max_batch_size": 64}, "above max_batch_size"),
        ({"min_rows_per_second": 10, "batch_size": 10**6}, r"batch_size: .*65536"),
    ],
)
def test_bad_parameters_are_config_errors_naming_the_key(params, match):
    with pytest.raises(ConfigError, match=match):
        THROUGHPUT(make_ctx(lambda X: np.zeros(len(X), dtype=int)), **params)
