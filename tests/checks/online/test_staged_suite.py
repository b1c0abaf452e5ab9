"""The staged demo gate (suites/staged): offline → shadow → canary → production, each stage run
under pytest with ``--mlgate-stage`` on the seeded logs of each scenario, whose right verdict
is known (suites/staged/staged_logs.py)."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

from mlgate.core.decision import ExitCode

SUITE = Path(__file__).resolve().parents[3] / "suites" / "staged"
GATE = SUITE / "mlgate.yaml"

PROMOTE, HOLD = "promote", "hold"
STAGES = ("offline", "shadow", "canary", "production")

#: scenario → (verdict per stage, {check id: (status, words its message must hold)}). Offline
#: and shadow do not see live users' reactions: they promote in every scenario.
EXPECTED = {
    "win": (
        (PROMOTE, PROMOTE, PROMOTE, PROMOTE),
        {
            "canary-guardrails": ("passed", "promote: "),
            "ab-conversion": ("passed", "promote: "),
            "interleaving": ("passed", "promote: "),
        },
    ),
    "no_effect": (
        (PROMOTE, PROMOTE, PROMOTE, HOLD),
        {
            "canary-guardrails": ("passed", "promote: "),
            "ab-conversion": ("inconclusive", "keep collecting, about"),
            "interleaving": ("inconclusive", "keep collecting, about"),
        },
    ),
    "guardrail": (
        (PROMOTE, PROMOTE, HOLD, HOLD),
        {
            "canary-guardrails": ("failed", "guardrail errors"),
            "ab-conversion": ("failed", "guardrail latency_ms"),
            "interleaving": ("passed", "promote: "),  # users like it; the guardrail holds it
        },
    ),
    "broken_split": (
        (PROMOTE, PROMOTE, HOLD, HOLD),
        {
            "canary-guardrails": ("failed", "sample ratio mismatch"),
            "ab-conversion": ("failed", "sample ratio mismatch"),
        },
    ),
}


def _run(pytester, *stages: str):
    result = pytester.runpytest(
        "--mlgate",
        f"--mlgate-file={GATE}",
        *(f"--mlgate-stage={s}" for s in stages),
        "--mlgate-report-dir=reports",
        "--mlgate-history=off",
        "-p",
        "no:cacheprovider",
    )
    doc = json.loads((pytester.path / "reports" / "result.json").read_text())
    return (
        result,
        {s["name"]: s["verdict"] for s in doc["stages"]},
        {c["id"]: c for c in doc["checks"]},
    )


@pytest.mark.parametrize("scenario", sorted(EXPECTED))
def test_each_stage_decides_what_its_scenario_planted(pytester, monkeypatch, scenario):
    """Every stage named with --mlgate-stage, each decided on its own."""
    monkeypatch.setenv("MLGATE_STAGED_SCENARIO", scenario)
    result, verdicts, checks = _run(pytester, *STAGES)
    verdict_of, expected = EXPECTED[scenario]
    assert verdicts == dict(zip(STAGES, verdict_of, strict=True))
    assert result.ret == (ExitCode.HOLD if HOLD in verdict_of else ExitCode.PROMOTE)
    for check_id, (status, said) in expected.items():
        assert checks[check_id]["status"] == status, checks[check_id]["message"]
        assert said in checks[check_id]["message"]
    assert checks["accuracy"]["status"] == checks["shadow"]["status"] == "passed"


def test_one_stage_at_a_time_as_its_logs_arrive(pytester, monkeypatch):
    """A canary run alone: only its check runs, and its hold is the exit status."""
    monkeypatch.setenv("MLGATE_STAGED_SCENARIO", "guardrail")
    result, verdicts, checks = _run(pytester, "canary")
    assert verdicts == {"canary": HOLD} and set(checks) == {"canary-guardrails"}
    assert result.ret == ExitCode.HOLD


def _logs():
    spec = importlib.util.spec_from_file_location("staged_logs_for_tests", SUITE / "staged_logs.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_the_logs_are_seeded_and_the_scenario_is_chosen_by_argument_or_environment(monkeypatch):
    logs = _logs()
    monkeypatch.delenv(logs.ENV, raising=False)
    assert logs.ab_log().equals(logs.ab_log(scenario="win"))  # the default
    monkeypatch.setenv(logs.ENV, "broken_split")
    split = logs.ab_log()
    assert split.equals(logs.ab_log(scenario="broken_split"))
    assert (split["arm"] == "candidate").mean() == pytest.approx(0.52, abs=0.01)
    assert logs.canary_log(scenario="win")["arm"].eq("candidate").mean() == pytest.approx(
        0.05, abs=0.005
    )
    monkeypatch.setenv(logs.ENV, "typo")
    with pytest.raises(ValueError, match=r"unknown scenario 'typo' \(from MLGATE_STAGED_SCEN"):
        logs.ab_log()


def test_the_logs_written_to_files_are_the_factories_logs(tmp_path):
    pytest.importorskip("pyarrow")
    import pandas as pd

    logs = _logs()
    logs.main(str(tmp_path), "guardrail")
    frame = pd.read_parquet(tmp_path / "interleaving.parquet")
    pd.testing.assert_frame_equal(frame, logs.interleaving_log(scenario="guardrail"))
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        f"{n}.{ext}"
        for n in ("ab", "canary", "interleaving", "shadow")
        for ext in ("csv", "parquet")
    )
