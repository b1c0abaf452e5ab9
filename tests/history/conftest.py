"""Small hand-built result documents (the layout of result.json) for history and compare."""

from __future__ import annotations

from typing import Any

import pytest


def metric_check(
    check_id: str,
    metric: str,
    value: float | None,
    low: float | None = None,
    high: float | None = None,
    *,
    stages: tuple[str, ...] = ("staging",),
    higher_is_better: bool = True,
    status: str = "passed",
) -> dict[str, Any]:
    interval = None
    if low is not None or high is not None:
        interval = {"low": low, "high": high, "level": 0.95, "method": "bootstrap-percentile"}
    return {
        "id": check_id,
        "kind": "metric",
        "check": "metric_threshold",
        "status": status,
        "severity": "block",
        "stages": list(stages),
        "metric": metric,
        "value": value,
        "interval": interval,
        "threshold": {"op": ">=" if higher_is_better else "<=", "value": 0.5},
        "sample_size": 200,
        "method": "test",
        "message": "",
        "evidence": {
            "model": "candidate",
            "dataset": "evaluation",
            "higher_is_better": higher_is_better,
        },
    }


def make_result(
    gate: str = "g",
    *,
    verdict: str = "promote",
    identity: str = "sha256:aaa",
    seed: int = 0,
    checks: list[dict[str, Any]] | None = None,
    finished_at: str = "2026-01-01T00:00:01+00:00",
) -> dict[str, Any]:
    stage_verdict = verdict
    return {
        "schema_version": "1.0",
        "mlgate_version": "0.1.0",
        "gate": {"name": gate, "description": "", "file": "mlgate.yaml", "task": "binary"},
        "run": {
            "seed": seed,
            "stages": ["staging", "production"],
            "python": "3.11",
            "started_at": "2026-01-01T00:00:00+00:00",
            "finished_at": finished_at,
            "duration_s": 1.0,
        },
        "verdict": verdict,
        "exit_code": 10 if verdict == "hold" else 0,
        "stages": [
            {"name": "staging", "verdict": "promote", "reasons": [], "counts": {"passed": 1}},
            {"name": "production", "verdict": stage_verdict, "reasons": [], "counts": {}},
        ],
        "checks": checks
        if checks is not None
        else [metric_check("accuracy", "accuracy", 0.9, 0.85, 0.95)],
        "models": {
            "candidate": {"kind": "sklearn", "class": "m.Model", "params": {}, "identity": identity}
        },
        "datasets": {
            "evaluation": {"rows": 200, "features": ["x"], "fingerprint": "sha256:data1"},
            "reference": {"rows": 300, "features": ["x"], "fingerprint": "sha256:data0"},
        },
        "model_card": {},
    }


@pytest.fixture
def result_factory():
    return make_result


@pytest.fixture
def check_factory():
    return metric_check
