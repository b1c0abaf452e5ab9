"""The online-stages demo gate (suites/ab_canary): shadow → canary → A/B on seeded logs with
known effects, and the same gate on logs that plant each way a stage should be held."""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

import pytest

from mlgate.core.decision import Verdict
from mlgate.core.result import Status
from mlgate.core.runner import run_gate

SUITE = Path(__file__).resolve().parents[3] / "suites" / "ab_canary"
GATE = SUITE / "mlgate.yaml"


def _logs():
    spec = importlib.util.spec_from_file_location("ab_canary_logs", SUITE / "ab_logs.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_stage_promotes_the_planted_win():
    out = run_gate(GATE)
    assert {d.stage: d.verdict for d in out.decisions} == {
        "shadow": Verdict.PROMOTE,
        "canary": Verdict.PROMOTE,
        "ab": Verdict.PROMOTE,
    }
    ab = next(r for r in out.results if r.check_id == "ab-conversion")
    assert ab.evidence["decision"] == "promote" and ab.interval.low > 0


@pytest.mark.parametrize(
    ("stage", "log", "args", "status", "said"),
    [
        (
            "ab",
            "ab_logs",
            {"effect": 0.0, "revenue_effect": 0.0},
            Status.INCONCLUSIVE,
            "keep collecting",
        ),
        ("ab", "ab_logs", {"latency_shift": 4.0}, Status.FAILED, "guardrail latency_ms"),
        ("ab", "ab_logs", {"treatment_share": 0.52}, Status.FAILED, "sample ratio mismatch"),
        ("canary", "canary_logs", {"error_shift": 0.02}, Status.FAILED, "guardrail errors"),
    ],
)
def test_each_planted_problem_holds_its_stage(stage, log, args, status, said):
    make = {"ab_logs": _logs().ab_log, "canary_logs": _logs().canary_log}[log]
    out = run_gate(GATE, stages=[stage], datasets={log: make(**args)})
    (result,) = out.results
    assert result.status is status, result.message
    assert said in result.message
    assert out.decisions[0].verdict is Verdict.HOLD


def test_the_gate_runs_under_pytest_on_parquet_logs(pytester):
    pytest.importorskip("pyarrow")
    folder = pytester.path / "suite"
    folder.mkdir()
    # The factories under another module name: ab_logs is already imported from the suite.
    shutil.copy(SUITE / "ab_logs.py", folder / "parquet_logs.py")
    _logs().main(str(folder / "logs"))
    text = GATE.read_text().replace("factory: ab_logs:", "factory: parquet_logs:")
    text = text.replace(
        "ab_logs:\n    factory: parquet_logs:ab_log", "ab_logs:\n    path: logs/ab.parquet"
    )
    assert "path: logs/ab.parquet" in text
    gate = folder / "mlgate.yaml"
    gate.write_text(text)
    result = pytester.runpytest(
        "--mlgate", f"--mlgate-file={gate}", "--mlgate-stage=ab", "-p", "no:cacheprovider"
    )
    assert result.ret == 0
    result.stdout.fnmatch_lines(["*PASSED*ab-conversion*"])
