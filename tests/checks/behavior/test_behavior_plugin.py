"""Behavioral checks end to end: declared in a gate file and recorded from a Python test with
``mlgate_record``, under ``pytest --mlgate`` (pytester)."""

from __future__ import annotations

import json

import pytest
import yaml

from mlgate.core.decision import ExitCode

STAGES = {
    "behavior": {
        "checks": [
            {"check": "perturbation", "max_flip_rate": 0.5},
            {
                "check": "invariance",
                "transform": "gaussian_noise",
                "columns": ["z"],
                "params": {"scale": 0.5},
                "max_flip_rate": 0.02,
            },
            {
                "check": "directional",
                "columns": ["x"],
                "params": {"by": 0.1},
                "expect": "increase",
                "max_violation_rate": 0.01,
            },
            {
                "check": "minimum_functionality",
                "cases": [
                    {"x": 2.0, "z": 0.0, "expected": 1},
                    {"x": -2.0, "z": 0.0, "expected": 0},
                ],
            },
        ]
    }
}

PYTHON_CHECK = """
    import pytest
    from mlgate.checks.behavior import PERTURBATION

    @pytest.mark.mlgate(kind="perturbation", id="python-noise-on-z")
    def test_noise_on_z(mlgate, mlgate_record):
        mlgate_record(
            PERTURBATION(mlgate, columns=["z"], params={"scale": 0.5}, max_flip_rate=0.02)
        )
"""


@pytest.fixture
def gate(pytester, gate_writer):
    gate_writer.folder = pytester.path
    gate_writer.module = "gatefix_behavior"
    pytester.makepyfile(test_python_behavior=PYTHON_CHECK)
    return gate_writer


def checks(pytester) -> dict:
    doc = json.loads((pytester.path / "reports" / "result.json").read_text())
    return {c["id"]: c for c in doc["checks"]}


@pytest.mark.slow  # two in-process pytest runs, ~7 s each
def test_a_model_that_ignores_z_promotes(pytester, gate):
    gate.write(stages=STAGES)  # candidate "good" scores from x only
    result = pytester.runpytest("--mlgate", "-v")
    assert result.ret == ExitCode.PROMOTE, result.stdout.str()
    result.stdout.fnmatch_lines(
        [
            "*mlgate.yaml::behavior::perturbation-gaussian_noise PASSED*",
            "*mlgate.yaml::behavior::invariance-gaussian_noise-z PASSED*",
            "*mlgate.yaml::behavior::directional-increase-x PASSED*",
            "*mlgate.yaml::behavior::minimum_functionality PASSED*",
            "*test_noise_on_z PASSED*",
        ]
    )
    by_id = checks(pytester)
    assert by_id["invariance-gaussian_noise-z"]["value"] == 0.0
    assert by_id["python-noise-on-z"]["check"] == "python"
    assert by_id["python-noise-on-z"]["metric"] == "flip_rate"


@pytest.mark.slow
def test_a_model_that_uses_z_is_held_with_a_pasteable_counterexample(pytester, gate):
    gate.write(stages=STAGES, candidate="bad")  # scores from the noise feature z
    result = pytester.runpytest("--mlgate")
    assert result.ret == ExitCode.HOLD
    result.stdout.fnmatch_lines(
        [
            "*invariance-gaussian_noise-z*",
            "*paste into a minimum_functionality cases file:*",
            "*- {x: *, z: *, expected: *}*",
        ]
    )
    by_id = checks(pytester)
    inv = by_id["invariance-gaussian_noise-z"]
    assert inv["status"] == "failed" and inv["interval"]["low"] > 0.02
    assert inv["evidence"]["examples"]["type"] == "examples"
    assert 0 < len(inv["evidence"]["examples"]["rows"]) <= 10
    (cx,) = inv["evidence"]["minimal"]["rows"]
    assert cx["columns"] == ["z"]
    assert yaml.safe_load(cx["paste"])[0]["expected"] in (0, 1)
    assert by_id["python-noise-on-z"]["status"] == "failed"
