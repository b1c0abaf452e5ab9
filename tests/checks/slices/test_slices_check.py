"""The ``slices`` check: planted weak slice fails, uniform errors pass, small slices are
inconclusive, gaps and bounds are judged on intervals."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from slices_helpers import context, oracle, planted, run_one, write_gate

from mlgate.checks.slices.checks import SLICES, slices_check
from mlgate.core.context import GateContext
from mlgate.core.errors import ConfigError
from mlgate.core.evidence import Bars, Table
from mlgate.core.gate import open_gate
from mlgate.core.result import Status


def by_name(r) -> dict[str, dict]:
    table = r.evidence["slices"]
    assert isinstance(table, Table)
    return {row["slice"]: row for row in table.rows}


def test_a_significantly_worse_slice_fails_and_the_others_pass(tmp_path):
    frame = planted(4000, 0)
    check = {"check": "slices", "metric": "accuracy", "slices": ["region", "device"]}
    r = run_one(tmp_path, check, oracle, frame)
    rows = by_name(r)
    assert r.status is Status.FAILED, r.message
    assert rows["region=B"]["status"] == "failed"
    assert rows["region=B"]["p_adjusted"] <= 0.05
    assert all(rows[n]["status"] == "passed" for n in rows if n != "region=B")
    # the gap is the rest's accuracy minus the slice's, exactly
    correct = (frame["y"] == frame["truth"]).to_numpy()
    b = (frame["region"] == "B").to_numpy()
    assert rows["region=B"]["gap"] == pytest.approx(
        correct[~b].mean() - correct[b].mean(), abs=1e-6
    )
    assert rows["region=B"]["value"] == pytest.approx(correct[b].mean(), abs=1e-6)
    assert r.value == pytest.approx(correct[b].mean())  # the worst slice is the headline
    assert r.check_id == "slices-accuracy"
    # the bars the report draws and the model card's per-slice analyses read
    bars = r.evidence["per_slice"]
    assert isinstance(bars, Bars) and bars.over == "slice" and bars.quantity == "accuracy"
    assert list(bars.labels) == list(rows)
    assert list(bars.values) == [row["value"] for row in rows.values()]
    assert [[lo, hi] for lo, hi in zip(bars.low, bars.high, strict=True)] == [
        row["interval"] for row in rows.values()
    ]
    assert r.to_dict()["evidence"]["per_slice"]["type"] == "bars"


def test_uniform_errors_pass(tmp_path):
    frame = planted(3000, 11, weak_error=0.1)  # one seeded case; the rate is tested below
    check = {"check": "slices", "metric": "accuracy", "slices": ["region", "device"]}
    r = run_one(tmp_path, check, oracle, frame)
    assert r.status is Status.PASSED, r.message


def test_every_slice_above_a_bound_and_a_gap_to_overall(tmp_path):
    frame = planted(4000, 2)
    base = {"check": "slices", "metric": "accuracy", "slices": ["region"], "significance": False}
    r = run_one(tmp_path, {**base, "min": 0.8}, oracle, frame)
    assert r.status is Status.FAILED and by_name(r)["region=B"]["status"] == "failed"
    assert by_name(r)["region=A"]["status"] == "passed"
    gap = run_one(tmp_path, {**base, "max_gap": 0.05, "gap_to": "overall"}, oracle, frame)
    row = by_name(gap)["region=B"]
    correct = (frame["y"] == frame["truth"]).to_numpy()
    b = (frame["region"] == "B").to_numpy()
    assert row["gap"] == pytest.approx(correct.mean() - correct[b].mean(), abs=1e-6)
    assert gap.status is Status.FAILED
    loose = run_one(tmp_path, {**base, "max_gap": 0.5, "gap_to": "overall"}, oracle, frame)
    assert loose.status is Status.PASSED


def test_a_slice_below_min_size_is_inconclusive_never_passed(tmp_path):
    frame = planted(2000, 3, weak_error=0.1)
    check = {
        "check": "slices",
        "metric": "accuracy",
        "min_size": 30,
        "slices": ["device", {"expr": "age > 99", "name": "oldest"}],
    }
    r = run_one(tmp_path, check, oracle, frame)
    row = by_name(r)["oldest"]
    assert row["n"] < 30 and row["status"] == "inconclusive" and "min_size" in row["message"]
    assert r.status is Status.INCONCLUSIVE


def test_slices_default_to_the_datasets_declared_columns(tmp_path):
    frame = planted(2000, 4, weak_error=0.1)
    r = run_one(
        tmp_path,
        {"check": "slices", "metric": "accuracy"},
        oracle,
        frame,
        slices=["device"],
        sensitive=["region"],
    )
    assert set(by_name(r)) == {
        "device=android",
        "device=ios",
        "device=web",
        "region=A",
        "region=B",
        "region=C",
        "region=D",
    }


def test_a_loss_is_oriented_so_positive_gap_means_worse(tmp_path):
    rng = np.random.default_rng(5)
    frame = pd.DataFrame({"g": rng.choice(["a", "b"], 2000), "x": rng.normal(size=2000)})
    noise = np.where(frame["g"] == "b", 3.0, 1.0) * rng.normal(size=2000)
    frame["y"] = frame["x"] + noise
    check = {"check": "slices", "metric": "mae", "slices": ["g"]}
    r = run_one(tmp_path, check, lambda X: X["x"].to_numpy(), frame, task="regression")
    rows = by_name(r)
    assert rows["g=b"]["gap"] > 0 > rows["g=a"]["gap"]
    assert rows["g=b"]["status"] == "failed" and rows["g=a"]["status"] == "passed"


def test_callable_from_python_and_validated(tmp_path):
    ctx = context(tmp_path, oracle, planted(1000, 6), sensitive=["region"])
    r = SLICES(ctx, metric="accuracy", slices=[{"intersect": ["region", "device"]}])
    assert len(by_name(r)) == 12 and r.check_id == "slices-accuracy"
    with pytest.raises(ConfigError, match="unknown metric 'acuracy'"):
        SLICES(ctx, metric="acuracy")
    with pytest.raises(ConfigError, match="at most one"):
        SLICES(ctx, metric="accuracy", min=0.5, max=0.9)
    assert slices_check is SLICES  # the older name


def test_a_gate_without_slices_is_rejected(tmp_path):
    path = write_gate(tmp_path, [{"check": "slices", "metric": "accuracy"}])
    with pytest.raises(ConfigError, match="no slices"):
        open_gate(path)


@pytest.mark.slow
def test_uniform_errors_fail_no_more_often_than_alpha(tmp_path):
    gate = open_gate(
        write_gate(
            tmp_path, [{"check": "slices", "metric": "accuracy", "slices": ["region", "device"]}]
        )
    )
    runs, failed = 100, 0
    for seed in range(runs):
        ctx = GateContext(
            gate,
            seed=seed,
            models={"candidate": oracle},
            datasets={"evaluation": planted(600, 100 + seed, weak_error=0.1)},
        )
        r = SLICES(ctx, metric="accuracy", slices=["region", "device"], n_resamples=200)
        failed += r.status is Status.FAILED
    # Holm at alpha = 0.05 over 7 slices: the chance of any false alarm is at most ~5%.
    assert failed / runs <= 0.05 + 3 * np.sqrt(0.05 * 0.95 / runs)


def test_a_column_both_slice_and_sensitive_is_sliced_once(tmp_path):
    frame = planted(1000, 8, weak_error=0.1)
    r = run_one(
        tmp_path,
        {"check": "slices", "metric": "accuracy"},
        oracle,
        frame,
        slices=["region"],
        sensitive=["region"],
    )
    assert r.status is not Status.ERROR, r.message
    assert len(by_name(r)) == 4


def test_gap_between_groups_is_to_the_best_slice_of_the_declaration(tmp_path):
    frame = planted(4000, 9)
    check = {
        "check": "slices",
        "metric": "accuracy",
        "slices": ["region", "device"],
        "significance": False,
        "max_gap": 0.1,
        "gap_to": "best",
    }
    r = run_one(tmp_path, check, oracle, frame)
    rows = by_name(r)
    correct = (frame["y"] == frame["truth"]).to_numpy()
    acc = {v: correct[(frame["region"] == v).to_numpy()].mean() for v in "ABCD"}
    best = max(acc.values())
    for v in "ABCD":
        assert rows[f"region={v}"]["gap"] == pytest.approx(best - acc[v], abs=1e-6)
    assert rows["region=B"]["status"] == "failed" and r.status is Status.FAILED
    # devices are compared with the best device, not with a region
    dev = {v: correct[(frame["device"] == v).to_numpy()].mean() for v in ["ios", "android", "web"]}
    assert rows["device=web"]["gap"] == pytest.approx(max(dev.values()) - dev["web"], abs=1e-6)


def test_rows_with_no_slice_value_are_counted_not_silently_dropped():
    """Rows whose slice column is NaN fall in no slice; the check says how many."""
    import numpy as np
    import pandas as pd

    from mlgate.checks.slices.checks import SLICES
    from mlgate.core.context import GateContext

    rng = np.random.default_rng(0)
    n = 600
    region = np.array(["a", "b", None], dtype=object)[np.arange(n) % 3]
    frame = pd.DataFrame({"x": rng.normal(size=n), "region": region})
    frame["y"] = (frame["x"] > 0).astype(int)
    ctx = GateContext.from_objects(
        models={"candidate": lambda X: (np.asarray(X["x"]) > 0).astype(int)},
        datasets={"evaluation": {"data": frame, "label": "y", "slices": ["region"]}},
        task="binary",
    )
    result = SLICES(ctx, metric="accuracy", min=0.5, interval="wilson")
    assert result.evidence["rows_in_no_slice"] == {"region": 200}
    assert "200 of 600 rows have no 'region' and are in no slice of it" in result.message
