"""Time limits (issue 14 item 13): ``timeout`` on a check, a stage and the gate; a check past
its time is an ``error`` (its stage holds) and the run goes on to decide and write its result.
Models that hang are released at teardown, so no abandoned thread outlives its test."""

from __future__ import annotations

import contextvars
import copy
import threading
import time

import numpy as np
import pandas as pd
import pytest
import yaml

from mlgate.core.decision import ExitCode, Verdict
from mlgate.core.errors import ConfigError
from mlgate.core.gate import open_gate
from mlgate.core.runner import TimeLimits, call_with_timeout, run_gate

HANG_MODULE = '''
import os
import time

import numpy as np


def hang(release):
    """Scores that never come until the file ``release`` exists (at most 30 s)."""
    def predict(X):
        deadline = time.monotonic() + 30
        while not os.path.exists(release) and time.monotonic() < deadline:
            time.sleep(0.02)
        p = 1.0 / (1.0 + np.exp(-5.0 * X["x"].to_numpy()))
        return np.column_stack([1.0 - p, p])
    return predict
'''


@pytest.fixture
def release(pytester):
    """The file that lets every hanging model of the test return (created at teardown)."""
    path = pytester.path / "release-the-models"
    yield path
    path.touch()


@pytest.fixture
def hanging_gate(pytester, tiny, release):
    """``hanging_gate(stages, **top)`` writes the tiny gate with a candidate that hangs."""
    module = f"hang_{tiny.module}"
    (pytester.path / f"{module}.py").write_text(HANG_MODULE)

    def write(stages: dict, **top) -> None:
        cfg = tiny.config(stages=stages, **top)
        cfg["models"]["candidate"] = {
            "factory": f"{module}:hang",
            "args": {"release": str(release)},
        }
        tiny.write(config=cfg)

    return write


def _check(metric: str, **extra) -> dict:
    return {"check": "metric_threshold", "metric": metric, "min": 0.5, **extra}


def test_a_check_past_its_timeout_is_an_error_and_the_stage_budget_bounds_the_rest(
    pytester, hanging_gate, result_doc, result_schema
):
    hanging_gate(
        {
            "staging": {
                "timeout": 1.0,
                "checks": [_check("accuracy", timeout=0.3), _check("roc_auc")],
            }
        }
    )
    started = time.monotonic()
    result = pytester.runpytest("--mlgate")
    assert time.monotonic() - started < 20  # not the model's 30 s
    assert result.ret == ExitCode.HOLD
    doc = result_doc()
    assert list(result_schema.iter_errors(doc)) == []
    accuracy, roc_auc = doc["checks"]
    assert accuracy["status"] == roc_auc["status"] == "error"
    assert accuracy["message"].startswith(
        "timed out: still running after 0.3 s (stages.staging.checks[0].timeout: 0.3 s). "
        "mlgate stopped waiting and counts it as an error; the check's thread cannot be stopped"
    )
    assert roc_auc["message"].startswith("timed out: still running after 0.")
    assert "(stages.staging.timeout: 1 s)" in roc_auc["message"]
    assert doc["stages"][0]["verdict"] == "hold"
    result.stdout.fnmatch_lines(["ERROR*staging::accuracy — timed out: still running after 0.3 s*"])
    assert "Traceback" not in result.stdout.str()


def test_the_gate_timeout_bounds_every_check_together(pytester, hanging_gate, result_doc):
    stages = {
        "staging": {"checks": [_check("accuracy"), _check("roc_auc")]},
        "production": {"checks": [_check("accuracy")]},
    }
    hanging_gate(stages, timeout=0.4)
    result = pytester.runpytest("--mlgate")
    assert result.ret == ExitCode.HOLD
    messages = [c["message"] for c in result_doc()["checks"]]
    assert messages[0].startswith("timed out: still running after 0.4 s (timeout: 0.4 s)")
    spent = "not run: the time budget timeout (0.4 s) was used up by the checks that ran before it"
    assert messages[1:] == [spent, spent]
    assert [s["verdict"] for s in result_doc()["stages"]] == ["hold", "hold"]


def test_checks_within_their_timeout_give_the_same_result(pytester, tiny, result_doc):
    tiny.write()
    assert pytester.runpytest("--mlgate").ret == ExitCode.PROMOTE
    plain = result_doc()["checks"]
    stages = copy.deepcopy(tiny.config()["stages"])
    stages["staging"]["timeout"] = 120
    stages["staging"]["checks"][0]["timeout"] = 60
    tiny.write(stages=stages, timeout=600)
    assert pytester.runpytest("--mlgate").ret == ExitCode.PROMOTE
    assert result_doc()["checks"] == plain


@pytest.mark.parametrize(
    ("where", "value", "words"),
    [
        ("check", 0, "greater than 0"),
        ("check", -5, "greater than 0"),
        ("stage", "30", "valid number"),
        ("stage", True, "valid number"),
        ("gate", 10**9, "less than or equal to 86400"),
        ("gate", ".inf", "finite number"),
    ],
)
def test_a_bad_timeout_is_refused_before_anything_runs(tmp_path, gate_writer, where, value, words):
    cfg = gate_writer.config()
    key = {
        "check": "stages.staging.checks.0.timeout",
        "stage": "stages.staging.timeout",
        "gate": "timeout",
    }[where]
    if where == "check":
        cfg["stages"]["staging"]["checks"][0]["timeout"] = value
    elif where == "stage":
        cfg["stages"]["staging"]["timeout"] = value
    else:
        cfg["timeout"] = value
    text = yaml.safe_dump(cfg, sort_keys=False).replace("'.inf'", ".inf")
    path = gate_writer.write(config=text)
    with pytest.raises(ConfigError) as exc:
        open_gate(path)
    message = str(exc.value)
    assert words in message
    assert key.split(".")[-1] in message and key.split(".")[0] in message


# -- the mechanism ---------------------------------------------------------------------------
def test_call_with_timeout_returns_raises_or_gives_up():
    assert call_with_timeout(lambda: 42, 5, name="t").value() == 42
    failed = call_with_timeout(lambda: 1 / 0, 5, name="t")
    assert not failed.timed_out
    with pytest.raises(ZeroDivisionError):
        failed.value()
    gate = threading.Event()
    try:
        started = time.monotonic()
        outcome = call_with_timeout(gate.wait, 0.2, name="mlgate-test-hang")
        assert outcome.timed_out and 0.15 < outcome.elapsed < 5
        assert time.monotonic() - started < 5
    finally:
        gate.set()  # the abandoned thread ends with the test


def test_call_with_timeout_runs_in_the_callers_context():
    var = contextvars.ContextVar("var", default="unset")
    var.set("caller")
    assert call_with_timeout(var.get, 5, name="t").value() == "caller"
    with np.errstate(divide="raise"):
        outcome = call_with_timeout(lambda: np.float64(1.0) / np.float64(0.0), 5, name="t")
    with pytest.raises(FloatingPointError):
        outcome.value()


def test_time_limits_take_the_tightest_and_charge_the_budgets(gate_writer):
    cfg = gate_writer.config()
    cfg["timeout"] = 10
    cfg["stages"]["staging"]["timeout"] = 4
    cfg["stages"]["staging"]["checks"][1]["timeout"] = 3
    gate = open_gate(gate_writer.write(config=cfg))
    limits = TimeLimits(gate.config)
    accuracy, roc_auc = gate.checks_of("staging")
    production = gate.checks_of("production")[0]
    assert limits.limit_for(accuracy).key == "stages.staging.timeout"
    assert limits.limit_for(roc_auc).key == "stages.staging.checks[1].timeout"
    limits.charge(accuracy, 2.5)
    assert limits.limit_for(roc_auc).seconds == pytest.approx(1.5)  # the stage's 4 - 2.5
    assert limits.limit_for(production).seconds == pytest.approx(7.5)  # the gate's 10 - 2.5
    limits.charge(production, 8)
    assert limits.limit_for(roc_auc).seconds <= 0  # the gate's budget is spent
    assert limits.limit_for(roc_auc).key == "timeout"


def test_no_timeout_no_thread(gate_writer):
    gate = open_gate(gate_writer.write())
    assert TimeLimits(gate.config).limit_for(gate.checks[0]) is None


def test_run_gate_from_python_applies_the_timeouts(tmp_path, write_gate):
    released = threading.Event()

    class Stuck:
        classes_ = np.array([0, 1])

        def predict_proba(self, X):
            released.wait(30)
            return np.full((len(X), 2), 0.5)

        def predict(self, X):
            return self.predict_proba(X).argmax(axis=1)

    path = write_gate(tmp_path, [{"check": "metric_threshold", "metric": "accuracy", "min": 0.5}])
    cfg = yaml.safe_load(path.read_text())
    cfg["stages"]["ci"]["timeout"] = 0.3
    path.write_text(yaml.safe_dump(cfg))
    frame = pd.DataFrame({"x": np.arange(50.0), "y": np.arange(50) % 2})
    try:
        run = run_gate(path, models={"candidate": Stuck()}, datasets={"evaluation": frame})
    finally:
        released.set()
    (result,) = run.results
    assert result.status.value == "error"
    assert "timed out: still running after 0.3 s (stages.ci.timeout: 0.3 s)" in result.message
    assert run.decisions[0].verdict is Verdict.HOLD
