"""The ``golden`` check: writing golden files (CSV, JSON, YAML) from the model, comparing
against them with exact labels and score tolerances, readable diffs, and the pytest option."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from mlgate.checks.regression.golden import GOLDEN, golden_check
from mlgate.core.context import GateContext
from mlgate.core.decision import ExitCode
from mlgate.core.errors import ConfigError
from mlgate.core.evidence import Examples
from mlgate.core.gate import open_gate
from mlgate.core.result import CheckResult, Status
from mlgate.core.runner import run_check


def write_gate(folder: Path, check: dict, task: str = "binary") -> Path:
    config = {
        "name": "golden",
        "task": task,
        "seed": 0,
        "models": {"candidate": {"factory": "unused:unused"}},
        "datasets": {"evaluation": {"factory": "unused:unused", "label": "y"}},
        "stages": {"ci": {"checks": [{"check": "golden", **check}]}},
    }
    path = folder / "mlgate.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def run(tmp_path, check, model, data, *, update=False, task="binary") -> CheckResult:
    gate = open_gate(write_gate(tmp_path, check, task))
    ctx = GateContext(
        gate, models={"candidate": model}, datasets={"evaluation": data}, update_golden=update
    )
    (planned,) = gate.checks
    return run_check(ctx, planned)


@pytest.fixture
def data() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    x = rng.normal(size=200)
    return pd.DataFrame({"x": x, "z": rng.normal(size=200), "y": (x > 0).astype(int)})


def model(shift: float = 0.0, flip_above: float | None = None):
    def predict(X: pd.DataFrame) -> np.ndarray:
        x = X["x"].to_numpy()
        p = 1 / (1 + np.exp(-3 * x)) + shift
        if flip_above is not None:
            p = np.where(x > flip_above, 1 - p, p)
        p = np.clip(p, 0, 1)
        return np.column_stack([1 - p, p])

    return predict


@pytest.mark.parametrize("name", ["golden.csv", "golden.parquet", "golden.json", "golden.yaml"])
def test_written_file_reads_back_and_the_same_model_matches(tmp_path, data, name):
    written = run(tmp_path, {"path": name, "n_cases": 15}, model(), data, update=True)
    assert written.status is Status.INCONCLUSIVE  # written, not checked: holds the stage
    assert "golden file written: 15 case(s)" in written.message
    assert (tmp_path / name).is_file()
    checked = run(tmp_path, {"path": name}, model(), data)
    assert checked.status is Status.PASSED, checked.message
    assert (checked.value, checked.sample_size) == (1.0, 15)


def test_json_layout_has_inputs_expected_label_and_scores(tmp_path, data):
    run(tmp_path, {"path": "g.json", "n_cases": 3}, model(), data, update=True)
    doc = json.loads((tmp_path / "g.json").read_text())
    assert doc["model"] == "candidate" and doc["written_by"].startswith("mlgate ")
    case = doc["cases"][0]
    assert set(case) == {"case", "inputs", "expected"}
    assert set(case["inputs"]) == {"x", "z"}
    assert set(case["expected"]) == {"label", "scores"}
    assert case["expected"]["scores"]["1"] == pytest.approx(
        1 / (1 + np.exp(-3 * case["inputs"]["x"]))
    )


def test_changed_labels_fail_with_a_readable_diff_per_case(tmp_path, data):
    run(tmp_path, {"path": "g.csv", "n_cases": 40}, model(), data, update=True)
    r = run(tmp_path, {"path": "g.csv", "scores": False}, model(flip_above=1.0), data)
    golden = pd.read_csv(tmp_path / "g.csv")
    flipped = golden.loc[golden["x"] > 1.0]
    assert len(flipped) >= 2
    assert r.status is Status.FAILED
    assert r.evidence["failing"] == len(flipped)
    assert r.value == pytest.approx(1 - len(flipped) / 40)
    diffs = r.evidence["diffs"]
    assert isinstance(diffs, Examples) and len(diffs.rows) == len(flipped)  # one output each
    first = diffs.rows[0]
    assert first["case"] == flipped["case"].iloc[0]
    assert {k: v for k, v in first.items() if k not in ("case", "inputs")} == {
        "output": "label",
        "expected": 1,
        "got": 0,
    }
    assert set(first["inputs"]) == {"x", "z"}
    assert f"{len(flipped)} of 40 golden cases of 'g.csv' differ: case " in r.message
    assert "label expected 1, got 0" in r.message


def test_scores_beyond_the_tolerance_fail_within_it_pass(tmp_path, data):
    run(tmp_path, {"path": "g.yaml", "n_cases": 10}, model(), data, update=True)
    drifted = run(tmp_path, {"path": "g.yaml", "atol": 1e-3}, model(shift=0.01), data)
    assert drifted.status is Status.FAILED
    first_case = drifted.evidence["diffs"].rows[0]["case"]
    diff = [d for d in drifted.evidence["diffs"].rows if d["case"] == first_case][-1]
    assert diff["output"] == "score[1]" and diff["abs_diff"] == pytest.approx(0.01, abs=1e-9)
    assert "> tolerance 0.001" in drifted.message
    tolerant = run(tmp_path, {"path": "g.yaml", "atol": 0.02}, model(shift=0.01), data)
    assert tolerant.status is Status.PASSED, tolerant.message


def test_regression_values_within_a_relative_tolerance(tmp_path):
    frame = pd.DataFrame({"x": np.linspace(1, 10, 50), "y": np.linspace(2, 20, 50)})
    check = {"path": "g.json", "n_cases": 5, "rtol": 1e-3, "atol": 0.0}
    run(tmp_path, check, lambda X: 2 * X["x"].to_numpy(), frame, update=True, task="regression")
    doc = json.loads((tmp_path / "g.json").read_text())
    assert "value" in doc["cases"][0]["expected"]
    ok = run(tmp_path, check, lambda X: 2.001 * X["x"].to_numpy(), frame, task="regression")
    bad = run(tmp_path, check, lambda X: 2.01 * X["x"].to_numpy(), frame, task="regression")
    assert (ok.status, bad.status) == (Status.PASSED, Status.FAILED)


def test_updating_keeps_the_cases_and_inputs_of_an_existing_file(tmp_path, data):
    hand = pd.DataFrame({"case": ["edge-zero", "big"], "x": [0.0, 5.0], "z": [1.0, 1.0]})
    hand["expected"] = [0, 0]  # wrong on purpose: the update rewrites it
    hand.to_csv(tmp_path / "g.csv", index=False)
    before = run(tmp_path, {"path": "g.csv", "scores": False}, model(), data)
    assert before.status is Status.FAILED
    run(tmp_path, {"path": "g.csv"}, model(), data, update=True)
    after = pd.read_csv(tmp_path / "g.csv")
    assert after["case"].tolist() == ["edge-zero", "big"]
    assert after["x"].tolist() == [0.0, 5.0]
    assert after["expected"].tolist() == [0, 1]
    assert run(tmp_path, {"path": "g.csv"}, model(), data).status is Status.PASSED


def test_a_missing_file_is_an_error_saying_how_to_write_it(tmp_path, data):
    r = run(tmp_path, {"path": "nowhere.csv"}, model(), data)
    assert r.status is Status.ERROR
    assert "--mlgate-update-golden" in r.message


def test_a_file_without_expected_outputs_is_an_error_naming_it(tmp_path, data):
    pd.DataFrame({"x": [1.0], "z": [0.0]}).to_csv(tmp_path / "g.csv", index=False)
    r = run(tmp_path, {"path": "g.csv"}, model(), data)
    assert r.status is Status.ERROR
    assert "no 'expected' column" in r.message and "g.csv" in r.message


def test_an_empty_golden_file_is_inconclusive(tmp_path, data):
    (tmp_path / "g.json").write_text('{"cases": []}')
    assert run(tmp_path, {"path": "g.json"}, model(), data).status is Status.INCONCLUSIVE


def test_an_unknown_format_is_a_config_error(tmp_path):
    says = r"checks\[0\]\.path: .*use \.csv, \.parquet, \.json or \.yaml"
    with pytest.raises(ConfigError, match=says):
        open_gate(write_gate(tmp_path, {"path": "golden.xlsx"}))


def test_parquet_keeps_the_input_types_csv_would_guess(tmp_path, data):
    typed = data.assign(z=pd.Categorical(np.where(data["x"] > 0, "a", "b")))
    run(tmp_path, {"path": "g.parquet", "n_cases": 10}, model(), typed, update=True)
    back = pd.read_parquet(tmp_path / "g.parquet")
    assert isinstance(back["z"].dtype, pd.CategoricalDtype)
    assert set(back["x"]) <= set(typed["x"])  # floats exactly as they were
    assert run(tmp_path, {"path": "g.parquet"}, model(), typed).status is Status.PASSED


def test_plain_layout_an_excerpt_of_the_data_with_its_label_column(tmp_path, data):
    # Input columns plus the expected output under the label's own name: a file anyone
    # can cut from the evaluation data, no reserved columns needed.
    rows = data.iloc[:30]
    labels = (rows["x"] > 0).astype(int)
    rows.assign(y=labels).to_csv(tmp_path / "cut.csv", index=False)
    passed = run(tmp_path, {"path": "cut.csv", "expected_column": "y"}, model(), data)
    assert passed.status is Status.PASSED, passed.message
    assert passed.sample_size == 30
    rows.assign(y=1 - labels).to_csv(tmp_path / "cut.csv", index=False)
    failed = run(tmp_path, {"path": "cut.csv", "expected_column": "y"}, model(), data)
    assert failed.status is Status.FAILED and failed.evidence["failing"] == 30
    missing = run(tmp_path, {"path": "cut.csv"}, model(), data)  # default 'expected'
    assert missing.status is Status.ERROR and "expected_column" in missing.message


@pytest.mark.parametrize(
    ("check", "says"),
    [
        ({"path": "g.json", "expected_column": "y"}, "for CSV and Parquet"),
        ({"path": "g.csv", "expected_column": "case"}, "reserved"),
        ({"path": "g.csv", "expected_column": "score:1"}, "reserved"),
        ({"path": "g.csv", "expected_column": ""}, "expected_column"),
    ],
)
def test_a_bad_expected_column_is_a_gate_file_error(tmp_path, check, says):
    with pytest.raises(ConfigError, match=says):
        open_gate(write_gate(tmp_path, check))


def test_callable_from_python(tmp_path, data):
    gate = open_gate(write_gate(tmp_path, {"path": "g.csv"}))
    ctx = GateContext(gate, models={"candidate": model()}, datasets={"evaluation": data})
    (tmp_path / "g.csv").write_text("case,x,z,expected\nc1,2.0,0.0,1\n")
    r = GOLDEN(ctx, path="g.csv")
    assert isinstance(r, CheckResult) and r.status is Status.PASSED


def test_pytest_option_rewrites_then_the_next_run_checks(pytester, gate_writer):
    gate_writer.folder = pytester.path
    gate_writer.module = "gatefix_golden_option"
    stages = {"staging": {"checks": [{"check": "golden", "path": "golden/cases.json"}]}}
    gate_writer.write(stages=stages)
    first = pytester.runpytest("--mlgate", "--mlgate-update-golden")
    assert first.ret == ExitCode.HOLD  # written, not checked: a regenerating run never promotes
    assert (pytester.path / "golden" / "cases.json").is_file()
    second = pytester.runpytest("--mlgate")
    assert second.ret == ExitCode.PROMOTE, second.stdout.str()


def test_alias_is_the_check_type():
    assert golden_check is GOLDEN
