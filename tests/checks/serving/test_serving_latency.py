"""latency: percentiles and verdicts with simulated timings (a fake clock that moves only when
the model works), the verdict logic with the real clock against a generous and an impossible
budget (never a wall-clock number asserted), the time limit, the device and every bad
parameter."""

from __future__ import annotations

from importlib import metadata

import numpy as np
import pandas as pd
import pytest

from mlgate.checks.serving.latency import LATENCY, run_latency
from mlgate.checks.serving.timing import quantile_interval
from mlgate.core.context import GateContext
from mlgate.core.errors import ConfigError
from mlgate.core.registry import parse_params
from mlgate.core.result import Status


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class SlowModel:
    """A callable classifier whose every call takes the next of ``latencies`` seconds on
    ``clock`` (and records how many rows it was given)."""

    def __init__(self, clock: FakeTime, latencies) -> None:
        self.clock, self.latencies, self.calls, self.rows = clock, list(latencies), 0, []

    def __call__(self, X):
        self.clock.now += self.latencies[self.calls % len(self.latencies)]
        self.calls += 1
        self.rows.append(len(X))
        return (np.asarray(X["x"]) > 0).astype(int)


def frame(n: int = 200) -> pd.DataFrame:
    x = np.linspace(-1, 1, n)
    return pd.DataFrame({"x": x, "y": (x > 0).astype(int)})


def make_ctx(model) -> GateContext:
    return GateContext.from_objects(
        models={"candidate": model}, datasets={"evaluation": frame()}, task="binary", label="y"
    )


def run(ctx, clock, **params):
    return run_latency(ctx, parse_params(LATENCY, ctx.gate.config, params), clock=clock)


def test_percentiles_and_intervals_are_the_order_statistics_of_the_timed_requests():
    clock = FakeTime()
    latencies = np.random.default_rng(3).lognormal(np.log(4e-3), 0.5, size=500)
    warmup = [1.0] * 5  # slow warm-up calls must not count
    model = SlowModel(clock, [*warmup, *latencies])
    r = run(
        make_ctx(model),
        clock,
        budget={"p99": "30 ms", "p50": "10 ms"},
        requests=500,
        warmup=5,
        batch_sizes=[8],
    )
    expected = quantile_interval(latencies * 1000, 0.99, 0.95, floor=0.0)
    rows = {row["percentile"]: row for row in r.evidence["percentiles"].rows}
    assert rows["p99"]["ms"] == pytest.approx(expected.estimate, rel=1e-6)
    assert rows["p99"]["ranks"] == [expected.low_rank, expected.high_rank]
    assert r.value == pytest.approx(expected.estimate)  # the headline is p99 (a pass)
    assert (r.interval.low, r.interval.high) == pytest.approx((expected.low, expected.high))
    assert r.metric == "p99 latency per request at batch 8 (ms)"
    assert r.sample_size == 500 and r.status is Status.PASSED
    assert set(model.rows) == {8}  # every request is one batch of 8 rows
    assert r.evidence["requests"].rows[0]["warmup"] == 5


@pytest.mark.parametrize(
    ("budget", "expected"),
    [
        ("30 ms", Status.PASSED),  # every request takes 10-20 ms
        ("5 ms", Status.FAILED),
        ("19.9 ms", Status.INCONCLUSIVE),  # p99 is at the budget: the interval straddles it
    ],
)
def test_verdicts_where_the_answer_is_known(budget, expected):
    clock = FakeTime()
    latencies = np.linspace(10e-3, 20e-3, 1000)
    r = run(make_ctx(SlowModel(clock, latencies)), clock, budget={"p99": budget}, warmup=0)
    assert r.status is expected, r.message


def test_a_budget_miss_fails_with_the_measured_figure_in_the_message():
    clock = FakeTime()
    r = run(make_ctx(SlowModel(clock, [0.040])), clock, budget={"p99": "20 ms"})
    assert r.status is Status.FAILED
    assert "p99 at batch 1 <= 20 ms: model 'candidate' on cpu: p99 40 ms [40 ms, 40 ms]" in (
        r.message
    )
    assert "over the budget of 20 ms" in r.message


def test_the_real_clock_passes_a_generous_budget_and_fails_an_impossible_one():
    model = lambda X: (np.asarray(X["x"]) > 0).astype(int)  # noqa: E731
    ctx = make_ctx(model)
    generous = LATENCY(ctx, budget={"p99": "60 s"}, requests=400, warmup=5)
    impossible = LATENCY(ctx, budget={"p99": "1e-9 s"}, requests=400, warmup=5)
    assert generous.status is Status.PASSED, generous.message
    assert impossible.status is Status.FAILED, impossible.message
    assert "over the budget of 1 ns" in impossible.message
    assert generous.check_id == "latency-batch1"


def test_the_time_limit_stops_the_check_and_says_so():
    clock = FakeTime()
    r = run(
        make_ctx(SlowModel(clock, [1.0])), clock, budget={"p99": "2 s"}, max_seconds=30, warmup=0
    )
    timed = r.evidence["requests"].rows[0]
    assert timed["stopped_at_time_limit"] and timed["timed"] == 30
    # A model too slow to finish its sample within the limit is an error naming the model,
    # the device and the rule (30 requests of 1 s cannot bound a p99 under 2 s).
    assert r.status is Status.ERROR
    assert "model 'candidate' on cpu" in r.message
    assert "the time limit max_seconds=30 stopped the sample after 30 of 1000 requests" in r.message
    assert "raise max_seconds or lower requests" in r.message


def test_a_slow_model_over_budget_fails_even_when_stopped_early():
    clock = FakeTime()
    r = run(make_ctx(SlowModel(clock, [1.0])), clock, budget={"p99": "10 ms"}, max_seconds=30)
    assert r.status is Status.FAILED  # every one of the 30 requests took 1 s


def test_the_time_limit_is_shared_by_the_batch_sizes():
    clock = FakeTime()
    r = run(
        make_ctx(SlowModel(clock, [1.0])),
        clock,
        budget={"p50": "2 s"},
        max_seconds=20,
        warmup=0,
        batch_sizes=[1, 4],
    )
    timed = [row["timed"] for row in r.evidence["requests"].rows]
    assert timed == [10, 10]
    assert clock.now <= 20 + 1


def test_evidence_records_the_device_versions_and_threads():
    clock = FakeTime()
    r = run(make_ctx(SlowModel(clock, [1e-3])), clock, budget={"p50": "1 s"}, batch_sizes=[1, 2])
    env = {row["setting"]: row["value"] for row in r.evidence["environment"].rows}
    assert env["device"] == "cpu" and env["numpy"] == np.__version__
    assert {"scikit-learn", "OMP_NUM_THREADS", "cpu_count", "python"} <= set(env)
    assert r.evidence["latency"].over == "percentile"
    assert [c.title for c in r.evidence["quantiles"].items] == ["batch 1", "batch 2"]
    assert r.to_dict()["evidence"]["percentiles"]["type"] == "table"


def small_torch_model():
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(1, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2))


def test_a_torch_model_is_timed_on_its_device_with_its_thread_setting():
    torch = pytest.importorskip("torch")
    module = small_torch_model().train()
    ctx = make_ctx(module)
    before = torch.get_num_threads()
    r = LATENCY(ctx, budget={"p99": "60 s"}, requests=400, warmup=2, threads=1, scope="forward")
    env = {row["setting"]: row["value"] for row in r.evidence["environment"].rows}
    assert r.status is Status.PASSED
    assert env["device"] == "cpu" and env["torch"] == metadata.version("torch")
    assert env["torch_threads"] == 1 and torch.get_num_threads() == before
    assert module.training  # its mode is restored


def test_cuda_synchronisation_is_in_the_path(monkeypatch):
    torch = pytest.importorskip("torch")
    from mlgate.checks.serving.environment import synchronizer

    calls = []
    monkeypatch.setattr(torch.cuda, "synchronize", lambda device=None: calls.append(device))
    assert synchronizer("cpu") is None
    synchronizer("cuda:0")()
    assert calls == [torch.device("cuda:0")]


def test_a_device_the_machine_lacks_is_a_clear_error():
    torch = pytest.importorskip("torch")
    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    ctx = GateContext.from_objects(
        models={"candidate": small_torch_model()},
        datasets={"evaluation": frame()},
        task="binary",
        label="y",
        device="cuda",
    )
    with pytest.raises(ConfigError, match=r"model 'candidate': device 'cuda' is not available"):
        LATENCY(ctx, budget={"p99": "1 s"})
    ctx2 = GateContext.from_objects(
        models={"candidate": small_torch_model()},
        datasets={"evaluation": frame()},
        task="binary",
        label="y",
        device="tpu:0",
    )
    with pytest.raises(ConfigError, match="'tpu:0' is not a torch device"):
        LATENCY(ctx2, budget={"p99": "1 s"})


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({}, r"budget: required key is missing"),
        ({"budget": {"p99": 20}}, r"budget\.p99: .*needs its unit, e\.g\. '20 ms'"),
        ({"budget": {"p99": "20 MB"}}, r"budget\.p99: .*'20 MB' is not a duration"),
        ({"budget": {"p99": "0 ms"}}, r"budget\.p99: .*must be above 0"),
        ({"budget": {"p100": "1 s"}}, r"budget: .*'p100' is not a percentile"),
        ({"budget": {"p99.9": "1 s"}}, r"requests \(1000\) is too few for budget p99.9 .* 3688"),
        ({"budget": {"p50": "1 s"}, "batch_sizes": [0]}, r"batch_sizes\[0\]"),
        ({"budget": {"p50": "1 s"}, "batch_sizes": [1, 1]}, "lists a size twice"),
        ({"budget": {"p50": "1 s"}, "warmup": 10**6}, r"warmup: .*less than or equal to 10000"),
        ({"budget": {"p50": "1 s"}, "requests": 10**7}, r"requests: .*100000"),
        ({"budget": {"p50": "1 s"}, "max_seconds": 0}, r"max_seconds: .*greater than 0"),
        ({"budget": {"p50": "1 s"}, "model": "fast"}, r"model: no model 'fast'"),
        ({"budget": {"p50": "1 s"}, "dataset": "live"}, r"dataset: no dataset 'live'"),
    ],
)
def test_bad_parameters_are_config_errors_naming_the_key(params, match):
    with pytest.raises(ConfigError, match=match):
        LATENCY(make_ctx(lambda X: np.zeros(len(X), dtype=int)), **params)


def test_forward_scope_needs_a_torch_model():
    with pytest.raises(ConfigError, match="scope 'forward' times a torch module"):
        LATENCY(
            make_ctx(lambda X: np.zeros(len(X), dtype=int)), budget={"p50": "1 s"}, scope="forward"
        )
