"""Fixtures for the model card: the demo gate's real result, and results carrying every
check kind's evidence (and hostile strings) built from it."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from mlgate.core.context import GateContext
from mlgate.core.decision import decide_stage, exit_code
from mlgate.core.evidence import Bars, Blocks, Examples, Histogram, Reliability, Table
from mlgate.core.gate import open_gate
from mlgate.core.result import jsonable
from mlgate.core.runner import run_check, select_stages
from mlgate.report.result_json import build_result, dumps

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "suites" / "demo" / "mlgate.yaml"
SCHEMA = Path(__file__).parent / "data" / "model_card.schema.v0.0.2.json"
EVIL = "<script>alert(1)</script>"
TIMING = {
    "started_at": "2026-01-02T03:04:05+00:00",
    "finished_at": "2026-01-02T03:04:07+00:00",
    "duration_s": 2.0,
}


@pytest.fixture(scope="session")
def demo_result() -> dict[str, Any]:
    """The demo gate run in-process, assembled into result.json the way the plugin does,
    and read back through JSON text (exactly what a stored result.json holds)."""
    gate = open_gate(DEMO)
    stages = select_stages(gate, None)
    ctx = GateContext(gate, seed=gate.config.seed)
    results = [run_check(ctx, c) for c in gate.checks if c.stage in stages]
    decisions = [decide_stage(s, results) for s in stages]
    doc = build_result(
        config=gate.config,
        gate_file="suites/demo/mlgate.yaml",
        seed=gate.config.seed,
        stages=stages,
        results=results,
        decisions=decisions,
        exit_code=exit_code(decisions),
        loaded=ctx.describe(),
        timing=TIMING,
    )
    return json.loads(dumps(doc))


@pytest.fixture
def result(demo_result) -> dict[str, Any]:
    """A private deep copy of the demo result, free to modify."""
    return copy.deepcopy(demo_result)


def _check(check_id: str, kind: str, evidence: dict[str, Any], **fields: Any) -> dict[str, Any]:
    base = {
        "id": check_id,
        "kind": kind,
        "check": kind + "_check",
        "status": "passed",
        "severity": "block",
        "stages": ["production"],
        "metric": None,
        "value": None,
        "interval": None,
        "threshold": None,
        "sample_size": 228,
        "method": "test fixture",
        "message": f"{check_id} message",
        "evidence": evidence,
    }
    base.update(fields)
    return base


def kind_checks(tag: str = "") -> list[dict[str, Any]]:
    """Checks of every kind the card has a section for, with typed evidence blocks (as
    result.json holds them: ``to_dict()`` read back through JSON); ``tag`` goes into names,
    slice names, bins and feature names (use a hostile string to test escaping)."""
    iv = {"low": 0.8, "high": 0.95, "level": 0.95, "method": "wilson"}
    return _json([
        _check(
            f"slice-accuracy{tag}",
            "slice",
            {
                "model": "candidate",
                "per_slice": Bars(
                    labels=[f"sex=female{tag}", "sex=male"], values=[0.91, 0.87],
                    low=[0.85, 0.8], high=[0.95, 0.92], over="slice", quantity="accuracy",
                    title="accuracy per slice",
                ),
                "intersections": Blocks(items=(
                    Bars(labels=[f"sex=female & age<40{tag}", "sex=male & age<40"],
                         values=[0.83, 0.9], over="slice", quantity="accuracy",
                         title="intersections"),
                    Table.of([{"slice": f"sex=female & age<40{tag}", "value": 0.83, "n": 31},
                              {"slice": "sex=male & age<40", "value": 0.9, "n": 29}],
                             title="intersection sizes"),
                )),
                "worst_rows": Examples.of([{"row": 17, "name": f"Jane Doe{tag}"}]),
            },
            metric="accuracy",
            value=0.89,
            interval=iv,
            threshold={"op": ">=", "value": 0.8},
        ),
        _check(
            "ece",
            "calibration",
            {
                "model": "candidate",
                "reliability": Reliability(
                    confidence=[0.1 * i for i in range(10)],
                    accuracy=[0.1 * i for i in range(10)],
                    count=[20 + i for i in range(10)],
                ),
            },
            metric="ece",
            value=0.031,
            threshold={"op": "<=", "value": 0.05},
        ),
        _check(
            "beats-majority",
            "baseline",
            {"baselines": Table.of([{"baseline": "majority", "value": 0.62, "margin": 0.35}])},
            metric="accuracy_gain",
            value=0.35,
        ),
        _check(
            "vs-champion",
            "champion",
            {
                "candidate": {"value": 0.97, "interval": iv},
                "champion": {"value": 0.9, "interval": iv},
                "p_value": 0.001,
                "test": "mcnemar",
            },
            metric="accuracy_difference",
            value=0.07,
        ),
        _check(
            "feature-drift",
            "drift",
            {
                "features": Table.of([
                    {"feature": f"mean radius{tag}", "test": "ks", "statistic": 0.05,
                     "p_value": 0.7, "effect_size": 0.01, "drifted": False},
                ]),
                "effects": Bars(labels=[f"mean radius{tag}"], values=[0.01], over="feature",
                                quantity="effect size"),
                "histograms": Blocks(items=(
                    Histogram(bins=[f"<10{tag}", ">=10"], reference=[0.5, 0.5],
                              current=[0.45, 0.55], title=f"mean radius{tag}"),
                )),
                "correction": "benjamini-hochberg",
            },
            status="warned",
            severity="warn",
        ),
    ])  # fmt: skip


def _json(value: Any) -> Any:
    """What a stored result.json holds: blocks as their tagged mappings."""
    return json.loads(json.dumps(jsonable(value)))


@pytest.fixture
def kinds_result(result) -> dict[str, Any]:
    result["checks"] += kind_checks()
    return result


@pytest.fixture
def hostile_result(result) -> dict[str, Any]:
    """The demo result with a script payload in names, values and metadata everywhere a
    user or a dataset can put a string."""
    result["gate"]["name"] = f"gate{EVIL}"
    result["gate"]["description"] = EVIL
    cand = result["models"]["candidate"]
    cand["class"] = f"Model{EVIL}"
    cand["params"][EVIL] = EVIL
    ev = result["datasets"]["evaluation"]
    ev["features"].append(EVIL)
    ev["columns"].append(EVIL)
    ev["sensitive"] = [EVIL]
    ev["slices"] = [EVIL]
    card = result["model_card"]
    card["model_details"]["name"] = f"model{EVIL}"
    card["model_details"]["owners"] = [{"name": EVIL, "contact": EVIL}]
    card["model_details"]["description"] = EVIL
    card["considerations"]["limitations"] = [EVIL, "| a | table | row |", "[x](http://e.example)"]
    result["checks"][0]["message"] = EVIL
    result["checks"] += kind_checks(EVIL)
    result["checks"].append(
        _check(EVIL, EVIL, {EVIL: EVIL, "rows": [{EVIL: EVIL}]}, metric=EVIL, value=1.0)
    )
    return result


@pytest.fixture(scope="session")
def mct_schema() -> dict[str, Any]:
    return json.loads(SCHEMA.read_text(encoding="utf-8"))
