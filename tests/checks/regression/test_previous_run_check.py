"""The ``previous_run`` check against stored result.json documents of earlier runs."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from mlgate.checks.regression.previous_run import PREVIOUS_RUN, previous_run_check
from mlgate.core.context import GateContext
from mlgate.core.errors import ConfigError
from mlgate.core.evidence import Bars, Table
from mlgate.core.gate import open_gate
from mlgate.core.result import CheckResult, Status
from mlgate.core.runner import run_gate

STAGE = "ci"


def write_gate(folder: Path, checks: list[dict], name: str = "mlgate.yaml") -> Path:
    config = {
        "name": "previous",
        "task": "binary",
        "seed": 0,
        "models": {"candidate": {"factory": "unused:unused"}},
        "datasets": {"evaluation": {"factory": "unused:unused", "label": "y"}},
        "stages": {STAGE: {"checks": checks}},
    }
    path = folder / name
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def stored(folder: Path, *checks: dict, **extra) -> str:
    doc = {"schema_version": "1.0", "checks": list(checks), **extra}
    (folder / "previous.json").write_text(json.dumps(doc))
    return "previous.json"


def entry(metric: str, value: float, low=None, high=None, **kw) -> dict:
    interval = None if low is None else {"low": low, "high": high, "level": 0.95, "method": "x"}
    return {
        "id": kw.pop("id", metric),
        "metric": metric,
        "value": value,
        "interval": interval,
        "evidence": {"model": "candidate", "dataset": "evaluation"},
        **kw,
    }


def hinted(n: int, wrong: float, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    return pd.DataFrame({"hint": np.where(rng.random(n) < wrong, 1 - y, y), "y": y})


def from_hint(X: pd.DataFrame) -> np.ndarray:
    p = np.where(X["hint"].to_numpy() == 1, 0.85, 0.15)
    return np.column_stack([1 - p, p])


def run(tmp_path, check: dict, data: pd.DataFrame) -> CheckResult:
    path = write_gate(tmp_path, [{"check": "previous_run", **check}])
    result = run_gate(path, models={"candidate": from_hint}, datasets={"evaluation": data})
    (r,) = result.results
    return r


def test_no_regression_passes(tmp_path):
    prev = stored(tmp_path, entry("accuracy", 0.80, 0.78, 0.82))
    r = run(tmp_path, {"path": prev, "metrics": "accuracy", "margin": 0.01}, hinted(2000, 0.1))
    assert r.status is Status.PASSED, r.message
    (row,) = r.evidence["metrics"].rows
    assert row["previous"] == 0.8 and row["current"] == pytest.approx(0.9, abs=0.02)
    assert row["se_previous"] == pytest.approx(0.02 / 1.959964, rel=1e-4)
    assert r.interval.method == "normal (independent runs)"


def test_a_drop_beyond_the_margin_fails_and_an_exact_stored_value_counts_as_exact(tmp_path):
    prev = stored(tmp_path, entry("accuracy", 0.97))
    r = run(tmp_path, {"path": prev, "metrics": "accuracy", "margin": 0.02}, hinted(2000, 0.1))
    assert r.status is Status.FAILED, r.message
    (row,) = r.evidence["metrics"].rows
    assert row["se_previous"] == 0.0
    assert row["interval"][1] <= -0.02
    assert "got worse" in r.message


def test_lower_is_better_metrics_are_oriented(tmp_path):
    prev = stored(tmp_path, entry("log_loss", 0.60, 0.55, 0.65))
    r = run(tmp_path, {"path": prev, "metrics": "log_loss"}, hinted(2000, 0.1))
    (row,) = r.evidence["metrics"].rows
    assert row["current"] < 0.6 and row["improvement"] > 0  # a smaller loss is an improvement
    assert r.status is Status.PASSED


def test_undecidable_change_is_inconclusive_and_says_what_would_decide_it(tmp_path):
    prev = stored(tmp_path, entry("accuracy", 0.90, 0.885, 0.915), entry("roc_auc", 0.90))
    margin = {"accuracy": 0.01, "roc_auc": 0.01}
    check = {"path": prev, "metrics": ["accuracy", "roc_auc"], "margin": margin}
    r = run(tmp_path, check, hinted(300, 0.1))
    assert r.status is Status.INCONCLUSIVE, r.message
    rows = {m["metric"]: m for m in r.evidence["metrics"].rows}
    # The stored accuracy's own se (0.0077) exceeds what a 0.017 gap to the margin allows at
    # 80% power ((0.017 / 2.8)² < 0.0077²): no number of new rows can decide it.
    assert rows["accuracy"]["rows_needed"] is None
    assert "the stored run's own uncertainty is too large" in rows["accuracy"]["message"]
    # The stored AUC has no interval (counted as exact): more rows would decide it.
    assert rows["roc_auc"]["rows_needed"] > 300
    assert f"about {rows['roc_auc']['rows_needed']:,} rows" in rows["roc_auc"]["message"]


def test_round_trip_with_results_of_an_earlier_gate_run(tmp_path):
    data = hinted(3000, 0.1)
    earlier = write_gate(
        tmp_path,
        [
            {"check": "metric_threshold", "metric": "accuracy", "min": 0.5},
            {"check": "metric_threshold", "metric": "roc_auc", "min": 0.5},
        ],
        name="earlier.yaml",
    )
    run_1 = run_gate(earlier, models={"candidate": from_hint}, datasets={"evaluation": data})
    ctx = GateContext(open_gate(earlier), datasets={"evaluation": data})
    ctx.dataset("evaluation")
    prev = stored(
        tmp_path, *[c.to_dict() for c in run_1.results], datasets=ctx.describe()["datasets"]
    )
    r = run(tmp_path, {"path": prev, "metrics": ["accuracy", "roc_auc"], "margin": 0.03}, data)
    assert r.status is Status.PASSED, r.message
    assert all(m["improvement"] == 0.0 for m in r.evidence["metrics"].rows)
    assert r.evidence["same_data"] is True


def test_a_metric_the_earlier_run_did_not_record_is_an_error(tmp_path):
    prev = stored(tmp_path, entry("accuracy", 0.8))
    r = run(tmp_path, {"path": prev, "metrics": "f1"}, hinted(100, 0.1))
    assert r.status is Status.ERROR
    assert "no check with a value for metric 'f1'" in r.message


def test_several_different_results_need_previous_check(tmp_path):
    prev = stored(tmp_path, entry("accuracy", 0.8, id="a"), entry("accuracy", 0.7, id="b"))
    ambiguous = run(tmp_path, {"path": prev, "metrics": "accuracy"}, hinted(500, 0.1))
    assert ambiguous.status is Status.ERROR and "previous_check" in ambiguous.message
    chosen = run(
        tmp_path, {"path": prev, "metrics": "accuracy", "previous_check": "b"}, hinted(500, 0.1)
    )
    assert chosen.evidence["metrics"].rows[0]["previous_check"] == "b"


def test_a_file_that_is_not_a_result_json_is_an_error(tmp_path):
    (tmp_path / "previous.json").write_text('{"not": "a result"}')
    r = run(tmp_path, {"path": "previous.json", "metrics": "accuracy"}, hinted(100, 0.1))
    assert r.status is Status.ERROR and "no 'checks' list" in r.message


@pytest.mark.parametrize(
    ("check", "text"),
    [
        ({"metrics": ["accuracy", "f1"], "previous_check": "x"}, "previous_check as"),
        ({"metrics": ["accuracy", "f1"], "margin": {"f1": 0.1}}, "no entry for metric 'accuracy'"),
        ({"metrics": ["mae"]}, "does not apply to a binary task"),
        ({"metrics": ["f1"], "interval": "wilson"}, "Wilson interval needs a proportion"),
    ],
)
def test_bad_declarations_are_config_errors(tmp_path, check, text):
    path = write_gate(tmp_path, [{"check": "previous_run", "path": "p.json", **check}])
    with pytest.raises(ConfigError, match=text):
        open_gate(path)


def test_callable_from_python(tmp_path):
    prev = stored(tmp_path, entry("accuracy", 0.80, 0.78, 0.82))
    path = write_gate(tmp_path, [{"check": "previous_run", "path": prev, "metrics": "accuracy"}])
    ctx = GateContext(
        open_gate(path), models={"candidate": from_hint}, datasets={"evaluation": hinted(2000, 0.1)}
    )
    r = PREVIOUS_RUN(ctx, path=prev, metrics=["accuracy"], interval="wilson")
    assert isinstance(r, CheckResult) and r.status is Status.PASSED


# -- an earlier run from the history database ---------------------------------------------


def record(db: Path, value: float, verdict: str, gate: str = "previous") -> int:
    from mlgate.history import History

    doc = {
        "schema_version": "1.0",
        "gate": {"name": gate, "file": "mlgate.yaml", "task": "binary"},
        "run": {"seed": 0, "started_at": f"2026-01-0{int(value * 10) % 9 + 1}T00:00:00+00:00"},
        "verdict": verdict,
        "exit_code": 10 if verdict == "hold" else 0,
        "stages": [{"name": STAGE, "verdict": verdict, "reasons": [], "counts": {}}],
        "checks": [entry("accuracy", value, value - 0.02, value + 0.02)],
        "models": {},
        "datasets": {},
    }
    return History(db).record(doc)


def test_history_latest_promoted_run_is_the_default(tmp_path):
    db = tmp_path / "reports" / "history.sqlite"
    db.parent.mkdir()
    record(db, 0.80, "promote")
    record(db, 0.99, "hold")  # newer, but held: not what the candidate must keep up with
    record(db, 0.95, "promote", gate="another-gate")
    check = {"history": {"db": "reports/history.sqlite"}, "metrics": "accuracy", "margin": 0.01}
    r = run(tmp_path, check, hinted(2000, 0.1))
    assert r.status is Status.PASSED, r.message
    assert r.evidence["metrics"].rows[0]["previous"] == 0.8
    assert r.evidence["previous"] == "reports/history.sqlite latest_promoted of 'previous'"


def test_history_latest_run_and_run_by_id(tmp_path):
    db = tmp_path / "history.sqlite"
    first = record(db, 0.80, "promote")
    record(db, 0.99, "hold")
    latest = run(
        tmp_path,
        {"history": {"db": "history.sqlite", "run": "latest"}, "metrics": "accuracy"},
        hinted(2000, 0.1),
    )
    assert latest.status is Status.FAILED  # 0.90 now against 0.99 then
    by_id = run(
        tmp_path,
        {"history": {"db": "history.sqlite", "run": first}, "metrics": "accuracy"},
        hinted(2000, 0.1),
    )
    assert by_id.status is Status.PASSED and by_id.evidence["metrics"].rows[0]["previous"] == 0.8


@pytest.mark.parametrize(
    ("history", "says"),
    [
        ({"db": "none.sqlite"}, "no history database at"),
        ({"db": "history.sqlite", "gate": "nobody"}, "has no promoted run of gate 'nobody'"),
        ({"db": "history.sqlite", "run": 42}, "there is no run 42"),
    ],
)
def test_history_without_the_run_is_an_error_saying_so(tmp_path, history, says):
    record(tmp_path / "history.sqlite", 0.80, "promote")
    r = run(tmp_path, {"history": history, "metrics": "accuracy"}, hinted(500, 0.1))
    assert r.status is Status.ERROR and says in r.message


@pytest.mark.parametrize(
    "check",
    [
        {"metrics": "accuracy"},
        {"metrics": "accuracy", "path": "p.json", "history": {"db": "h.sqlite"}},
    ],
    ids=["neither", "both"],
)
def test_exactly_one_source_of_the_previous_run(tmp_path, check):
    path = write_gate(tmp_path, [{"check": "previous_run", **check}])
    with pytest.raises(ConfigError, match="exactly one of 'path'"):
        open_gate(path)


def test_alias_is_the_check_type():
    assert previous_run_check is PREVIOUS_RUN


def test_the_change_per_metric_is_drawn_as_bars(tmp_path):
    prev = stored(tmp_path, entry("accuracy", 0.80, 0.78, 0.82), entry("roc_auc", 0.85))
    check = {"path": prev, "metrics": ["accuracy", "roc_auc"], "n_resamples": 200}
    r = run(tmp_path, check, hinted(1000, 0.1))
    table, bars = r.evidence["metrics"], r.evidence["change"]
    assert isinstance(table, Table) and isinstance(bars, Bars)
    assert (bars.over, bars.labels) == ("metric", ("accuracy", "roc_auc"))
    assert list(bars.values) == [row["improvement"] for row in table.rows]
    assert [[lo, hi] for lo, hi in zip(bars.low, bars.high, strict=True)] == [
        row["interval"] for row in table.rows
    ]
