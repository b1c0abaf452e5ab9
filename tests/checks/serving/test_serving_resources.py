"""resources: sizes, parameter counts (quantised layers included) and peak host memory, with
models whose footprint is known."""

from __future__ import annotations

import io
import pickle
import textwrap
import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from mlgate.checks.serving.memory import can_reset_rss, host_peak
from mlgate.checks.serving.resources import RESOURCES, parameter_count
from mlgate.core.context import GateContext
from mlgate.core.errors import ConfigError
from mlgate.core.gate import open_gate
from mlgate.core.result import Status

FRAME = pd.DataFrame({"x": np.linspace(-1, 1, 200), "y": np.arange(200) % 2})


def make_ctx(model) -> GateContext:
    return GateContext.from_objects(
        models={"candidate": model}, datasets={"evaluation": FRAME}, task="binary", label="y"
    )


def fitted() -> LogisticRegression:
    return LogisticRegression().fit(FRAME[["x"]], FRAME["y"])


def test_a_scikit_learn_model_is_sized_by_its_pickle():
    model = fitted()
    r = RESOURCES(make_ctx(model), max_size="1 MB")
    rows = {row["quantity"]: row for row in r.evidence["resources"].rows}
    assert rows["size"]["value"] == len(pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL))
    assert r.status is Status.PASSED and r.metric == "model size (bytes)"
    assert RESOURCES(make_ctx(model), max_size="10 B").status is Status.FAILED


def test_a_model_loaded_from_a_file_is_sized_on_disk(tmp_path):
    path = tmp_path / "model.pkl"
    path.write_bytes(pickle.dumps(fitted()) + b"\0" * 1000)  # trailing bytes: on disk only
    FRAME.to_csv(tmp_path / "eval.csv", index=False)
    (tmp_path / "mlgate.yaml").write_text(
        textwrap.dedent(
            """
            name: sized
            task: binary
            models: {candidate: {path: model.pkl, trust: true}}
            datasets: {evaluation: {path: eval.csv, label: y}}
            stages: {ci: {checks: [{check: resources, max_size: 1 kB}]}}
            """
        )
    )
    ctx = GateContext(open_gate(tmp_path / "mlgate.yaml"))
    r = RESOURCES(ctx, max_size="1 kB")
    size = r.evidence["resources"].rows[0]
    assert size["value"] == path.stat().st_size and size["how"] == "file on disk (model.pkl)"
    assert r.status is Status.FAILED
    assert "over the budget of 1 kB" in r.message


def test_torch_parameters_count_the_weights_packed_in_quantised_layers():
    torch = pytest.importorskip("torch")
    from torch.ao.quantization import quantize_dynamic

    model = torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.ReLU(), torch.nn.Linear(16, 2))
    with warnings.catch_warnings():  # torch.ao.quantization is marked deprecated
        warnings.simplefilter("ignore")
        int8 = quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8)
    n = 8 * 16 + 16 + 16 * 2 + 2
    assert parameter_count(model) == (n, 4 * n)
    elements, size = parameter_count(int8)
    assert elements == n  # torch lists no parameters for it at all
    assert sum(p.numel() for p in int8.parameters()) == 0
    assert size == (8 * 16 + 16 * 2) + 4 * (16 + 2)  # int8 weights, float32 biases
    frame = pd.DataFrame(np.zeros((10, 8)), columns=[f"f{i}" for i in range(8)]).assign(
        y=[0, 1] * 5
    )
    ctx = GateContext.from_objects(
        models={"candidate": int8}, datasets={"evaluation": frame}, task="binary", label="y"
    )
    r = RESOURCES(ctx, max_parameters=100, max_size="1 MB")
    rows = {row["quantity"]: row for row in r.evidence["resources"].rows}
    buf = io.BytesIO()
    torch.save(int8.state_dict(), buf)
    assert rows["size"]["value"] == len(buf.getvalue())
    assert r.status is Status.FAILED and r.metric == "parameters"
    assert f"{n:,} parameters, over the budget of 100" in r.message


class Hungry:
    """A callable classifier that touches ``mb`` megabytes while it predicts."""

    def __init__(self, mb: int) -> None:
        self.mb = mb

    def __call__(self, X):
        scratch = np.ones(self.mb * 1_000_000 // 8)  # written, so resident
        del scratch
        return (np.asarray(X["x"]) > 0).astype(int)


@pytest.mark.skipif(not can_reset_rss(), reason="needs Linux /proc/self/clear_refs")
def test_peak_host_memory_of_a_pass_sees_what_the_model_allocates():
    r = RESOURCES(make_ctx(Hungry(64)), max_host_memory="1 GB")
    host = next(row for row in r.evidence["resources"].rows if row["quantity"] == "host_memory")
    assert host["how"].startswith("rss:")
    assert 60e6 <= host["value"] <= 200e6
    assert r.status is Status.PASSED
    small = RESOURCES(make_ctx(Hungry(64)), max_host_memory="8 MB")
    assert small.status is Status.FAILED and "peak host memory" in small.message


def test_tracemalloc_sees_numpy_allocations_and_says_its_limits():
    peak = host_peak(lambda: Hungry(32)(FRAME), "tracemalloc")
    assert 30e6 <= peak.added <= 40e6
    assert "torch's CPU allocator" in peak.note


def test_getrusage_cannot_be_reset_and_says_so():
    peak = host_peak(lambda: None, "getrusage")
    assert peak.method == "getrusage" and peak.peak > 0
    assert peak.added is None and "cannot be reset" in peak.note


def test_a_gpu_budget_on_the_cpu_is_skipped_never_passed():
    r = RESOURCES(make_ctx(fitted()), max_gpu_memory="1 GB")
    assert r.status is Status.SKIPPED and "needs the model on cuda" in r.message


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({}, "give at least one budget"),
        ({"max_size": 5}, r"max_size: .*needs its unit, e\.g\. '5 MB'"),
        ({"max_size": "5 ms"}, r"max_size: .*'5 ms' is not a size"),
        ({"max_size": "0 MB"}, r"max_size: .*must be above 0"),
        ({"max_parameters": 0}, r"max_parameters: .*greater than or equal to 1"),
        ({"max_host_memory": "-1 MB"}, r"max_host_memory: .*not a size"),
        ({"max_size": "1 MB", "model": "other"}, r"model: no model 'other'"),
    ],
)
def test_bad_parameters_are_config_errors_naming_the_key(params, match):
    with pytest.raises(ConfigError, match=match):
        RESOURCES(make_ctx(fitted()), **params)


def test_budgets_of_large_models_are_not_refused_as_counts():
    """The kernel refuses counts above 10**9; a 5 GB or 7e9-parameter budget is no count."""
    torch = pytest.importorskip("torch")
    frame = FRAME.assign(x=FRAME["x"].astype("float32"))
    ctx = GateContext.from_objects(
        models={"candidate": torch.nn.Linear(1, 2)},
        datasets={"evaluation": frame},
        task="binary",
        label="y",
    )
    r = RESOURCES(ctx, max_size="5 GB", max_parameters=7_000_000_000)
    assert r.status is Status.PASSED
    (part,) = [p for p in r.parts if p.name.startswith("parameters")]
    assert part.message.endswith("4 parameters, within the budget of 7,000,000,000")


def test_a_parameter_budget_for_a_scikit_learn_model_says_what_to_use():
    with pytest.raises(ConfigError, match=r"max_parameters: .*bound its size with max_size"):
        RESOURCES(make_ctx(fitted()), max_parameters=10)
