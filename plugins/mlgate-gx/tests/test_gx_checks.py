"""The ``gx_expectations`` check in a gate: inline expectations, stored GX suites (including
one mlgate inferred), verdicts with GX's details as evidence, and bad input."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from mlgate_gx.checks import GX_EXPECTATIONS, gx_frame_check

from mlgate.checks.data import infer_suite, write_gx_suite, write_suite
from mlgate.core.decision import Verdict
from mlgate.core.errors import ConfigError
from mlgate.core.gate import open_gate
from mlgate.core.registry import CheckRegistry
from mlgate.core.result import Status
from mlgate.core.runner import run_gate


def table(n: int = 400, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "age": rng.integers(18, 90, n),
            "city": rng.choice(["paris", "rome"], n),
            "score": rng.uniform(0, 1, n),
            "y": rng.integers(0, 2, n),
        }
    )


def write_gate(folder: Path, checks: list[dict]) -> Path:
    config = {
        "name": "gx",
        "task": "binary",
        "models": {"candidate": {"factory": "unused:unused"}},
        "datasets": {
            "reference": {"factory": "unused:unused", "label": "y"},
            "evaluation": {"factory": "unused:unused", "label": "y"},
        },
        "stages": {"ci": {"checks": checks}},
    }
    path = folder / "mlgate.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def run(folder: Path, checks: list[dict], evaluation: pd.DataFrame):
    path = write_gate(folder, checks)
    return run_gate(
        path,
        models={"candidate": lambda X: np.zeros(len(X))},
        datasets={"evaluation": evaluation, "reference": table(seed=1)},
    )


AGE = {
    "type": "expect_column_values_to_be_between",
    "kwargs": {"column": "age", "min_value": 0, "max_value": 120},
}
CITY = {
    "type": "expect_column_values_to_be_in_set",
    "kwargs": {"column": "city", "value_set": ["paris", "rome"]},
}


def test_the_plugin_registers_through_the_public_entry_point():
    assert CheckRegistry.from_entry_points().get("gx_expectations") is GX_EXPECTATIONS


def test_inline_expectations_pass_on_clean_data(tmp_path):
    result = run(tmp_path, [{"check": "gx_expectations", "expectations": [AGE, CITY]}], table())
    (r,) = result.results
    assert r.status is Status.PASSED, r.message
    assert r.kind == "data" and r.method.startswith("Great Expectations 1.")
    assert r.evidence["gx"]["success"] is True
    assert [x["expectation_config"]["type"] for x in r.evidence["gx"]["results"]] == [
        AGE["type"],
        CITY["type"],
    ]
    assert result.decisions[0].verdict is Verdict.PROMOTE


def test_a_failure_holds_the_stage_names_the_rows_and_keeps_gx_details(tmp_path):
    data = table()
    data.loc[[5, 9], "age"] = [150, -2]
    result = run(tmp_path, [{"check": "gx_expectations", "expectations": [AGE, CITY]}], data)
    (r,) = result.results
    assert r.status is Status.FAILED
    assert [(f["row"], f["age"]) for f in r.evidence["failing_rows"].rows] == [(5, 150), (9, -2)]
    gx_age = r.evidence["gx"]["results"][0]["result"]
    assert gx_age["unexpected_count"] == 2 and gx_age["partial_unexpected_index_list"] == [5, 9]
    assert result.decisions[0].verdict is Verdict.HOLD


def test_the_same_data_gives_the_same_evidence(tmp_path):
    data = table()
    data.loc[3, "city"] = "lima"
    first = gx_frame_check(data, [AGE, CITY]).to_dict()
    second = gx_frame_check(data, [AGE, CITY]).to_dict()
    assert json.dumps(first, sort_keys=True) == json.dumps(second, sort_keys=True)


def test_a_stored_gx_suite_inferred_by_mlgate_runs_and_catches_faults(tmp_path):
    # alpha=None: exact rules, so the one planted row is a fault (the default tolerates a few)
    suite = infer_suite(table(2000, seed=1), name="people", alpha=None)
    write_gx_suite(suite, tmp_path / "people.gx.json")
    write_suite(suite, tmp_path / "people.yaml")
    clean = run(tmp_path, [{"check": "gx_expectations", "suite": "people.gx.json"}], table(seed=3))
    assert clean.results[0].status is Status.PASSED, clean.results[0].message
    bad = table(seed=3)
    bad.loc[12, "city"] = "oslo"
    for check in ({"suite": "people.gx.json"}, {"mlgate_suite": "people.yaml"}):
        (r,) = run(tmp_path, [{"check": "gx_expectations", **check}], bad).results
        assert r.status is Status.FAILED
        failing = r.evidence["failing_rows"].rows
        assert {"expectation": "in_set(city)", "row": 12, "city": "oslo"} in failing


def test_gx_warning_severity_warns(tmp_path):
    data = table()
    data.loc[0, "age"] = 500
    warn = {**AGE, "severity": "warning"}
    (r,) = run(tmp_path, [{"check": "gx_expectations", "expectations": [warn]}], data).results
    assert r.status is Status.WARNED


def test_a_missing_column_is_an_error_not_a_pass():
    r = gx_frame_check(table().drop(columns=["age"]), [AGE])
    assert r.status is Status.ERROR
    assert "error" in r.evidence["expectations"].rows[0]["message"]


def test_empty_data_is_inconclusive():
    r = gx_frame_check(table().iloc[:0], [AGE, CITY])
    assert r.status is Status.INCONCLUSIVE
    assert gx_frame_check(table(5), [AGE], min_rows=30).status is Status.INCONCLUSIVE


def test_the_callers_frame_is_not_modified():
    data = table()
    before = data.copy()
    gx_frame_check(data, [AGE, CITY])
    pd.testing.assert_frame_equal(data, before)


def test_unknown_expectations_and_bad_kwargs_are_rejected_before_running(tmp_path):
    typo = {"type": "expect_column_values_to_be_betwen", "kwargs": {"column": "age"}}
    with pytest.raises(ConfigError, match="no expectation 'expect_column_values_to_be_betwen'"):
        open_gate(write_gate(tmp_path, [{"check": "gx_expectations", "expectations": [typo]}]))
    bad = {"type": "expect_column_pair_values_a_to_be_greater_than_b", "kwargs": {"column_A": "a"}}
    with pytest.raises(ConfigError, match="column_B"):
        open_gate(write_gate(tmp_path, [{"check": "gx_expectations", "expectations": [bad]}]))
    with pytest.raises(ConfigError, match="declare 'expectations'"):
        open_gate(write_gate(tmp_path, [{"check": "gx_expectations"}]))


def test_gx_check_from_python_takes_gate_file_parameters(tmp_path):
    from mlgate_gx import gx_check

    from mlgate.core.context import GateContext

    gate = open_gate(write_gate(tmp_path, [{"check": "gx_expectations", "expectations": [AGE]}]))
    data = table()
    data.loc[7, "age"] = 999
    ctx = GateContext(gate, datasets={"evaluation": data, "reference": table(seed=1)})
    r = gx_check(ctx, expectations=[AGE])
    assert r.status is Status.FAILED and r.evidence["failing_rows"].rows[0]["row"] == 7
    assert gx_check(ctx, dataset="reference", expectations=[AGE]).status is Status.PASSED
    with pytest.raises(ConfigError, match="result_format"):
        gx_check(ctx, expectations=[AGE], result_format="ALL")
