"""deepchecks suites and single checks as gate checks, on data with known verdicts; values
checked against independent computations (pandas, SciPy)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from mlgate_deepchecks import DEEPCHECKS_CHECK, DEEPCHECKS_SUITE
from scipy import stats

from mlgate.core.errors import ConfigError
from mlgate.core.gate import open_gate
from mlgate.core.registry import CheckRegistry
from mlgate.core.result import Status
from mlgate.core.runner import run_gate


def table(n: int = 600, seed: int = 0, shift: float = 0.0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n) + shift
    return pd.DataFrame(
        {
            "x": x,
            "z": rng.normal(size=n),
            "c": rng.choice(["a", "b", "c"], n),
            "y": (x + rng.normal(size=n) > shift).astype(int),
        }
    )


CALLS: list[int] = []


def model(X: pd.DataFrame) -> np.ndarray:
    CALLS.append(len(X))
    p = 1 / (1 + np.exp(-3 * X["x"].to_numpy()))
    return np.column_stack([1 - p, p])


def write_gate(folder: Path, checks: list[dict], reference: bool = True) -> Path:
    datasets = {"evaluation": {"factory": "unused:unused", "label": "y"}}
    if reference:
        datasets["reference"] = {"factory": "unused:unused", "label": "y"}
    config = {
        "name": "dc",
        "task": "binary",
        "models": {"candidate": {"factory": "unused:unused"}},
        "datasets": datasets,
        "stages": {"ci": {"checks": checks}},
    }
    path = folder / "mlgate.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def run(folder: Path, check: dict, evaluation: pd.DataFrame, reference=None):
    path = write_gate(folder, [check])
    ref = table(seed=1) if reference is None else reference
    result = run_gate(
        path, models={"candidate": model}, datasets={"evaluation": evaluation, "reference": ref}
    )
    (r,) = result.results
    return r


def by_check(r) -> dict[str, str]:
    return {c["check"]: c["status"] for c in r.evidence["conditions"].rows}


def test_both_check_types_register_through_the_entry_point():
    registry = CheckRegistry.from_entry_points()
    assert registry.get("deepchecks_suite") is DEEPCHECKS_SUITE
    assert registry.get("deepchecks_check") is DEEPCHECKS_CHECK


def test_data_integrity_passes_clean_data(tmp_path):
    r = run(tmp_path, {"check": "deepchecks_suite", "suite": "data_integrity"}, table())
    assert r.status is Status.PASSED, r.message
    assert r.evidence["counts"]["passed"] >= 5
    assert r.method.startswith("deepchecks 0.19")


def test_data_integrity_fails_on_duplicates_and_mixed_nulls(tmp_path):
    data = table()
    data = pd.concat([data, data.iloc[:60]], ignore_index=True)  # 60 duplicated rows
    data["c"] = data["c"].astype(object)
    data.loc[[3, 4], "c"] = ["N/A", None]  # two kinds of null in one column
    r = run(tmp_path, {"check": "deepchecks_suite", "suite": "data_integrity"}, data)
    assert r.status is Status.FAILED
    status = by_check(r)
    assert status["Data Duplicates"] == "warned"  # deepchecks makes this condition a warning
    assert status["Mixed Nulls"] == "failed"
    # deepchecks' own value, kept as evidence, agrees with pandas
    assert r.evidence["values"]["Data Duplicates"] == pytest.approx(
        data.duplicated().mean(), abs=1e-9
    )


def test_train_test_validation_passes_the_same_distribution_and_fails_drift(tmp_path):
    suite = {"check": "deepchecks_suite", "suite": "train_test_validation"}
    same = run(tmp_path, suite, table(seed=2))
    assert same.status is Status.PASSED, same.message
    assert same.evidence["train"] == "reference"
    shifted = table(seed=2, shift=1.5)
    r = run(tmp_path, suite, shifted)
    assert r.status is Status.FAILED
    assert by_check(r)["Feature Drift"] == "failed"
    drift = r.evidence["values"]["Feature Drift"]["x"]["Drift score"]
    ks = stats.ks_2samp(table(seed=1)["x"], shifted["x"]).statistic
    assert drift == pytest.approx(ks, abs=0.01)  # deepchecks' KS, checked against SciPy
    assert {n["check"] for n in r.evidence["not_run"].rows} >= {"Index Train Test Leakage"}


def test_a_single_check_with_a_condition(tmp_path):
    check = {
        "check": "deepchecks_check",
        "name": "MixedNulls",
        "conditions": [
            {"name": "different_nulls_less_equal_to", "params": {"max_allowed_null_types": 1}}
        ],
    }
    assert run(tmp_path, check, table()).status is Status.PASSED
    data = table()
    data["c"] = data["c"].astype(object)
    data.loc[[3, 4], "c"] = ["N/A", None]
    r = run(tmp_path, check, data)
    assert r.status is Status.FAILED and r.check_id == "deepchecks-MixedNulls"
    assert "c" in r.evidence["values"]["Mixed Nulls"]["columns"]


def test_a_single_train_test_check_compares_with_the_reference(tmp_path):
    check = {
        "check": "deepchecks_check",
        "name": "FeatureDrift",
        "conditions": [
            {"name": "drift_score_less_than", "params": {"max_allowed_numeric_score": 0.2}}
        ],
    }
    assert run(tmp_path, check, table(seed=2)).status is Status.PASSED
    r = run(tmp_path, check, table(seed=2, shift=1.5))
    assert r.status is Status.FAILED and r.evidence["train"] == "reference"


def test_a_check_without_conditions_is_inconclusive(tmp_path):
    r = run(tmp_path, {"check": "deepchecks_check", "name": "MixedNulls"}, table())
    assert r.status is Status.INCONCLUSIVE
    assert "nothing can pass" in r.message


def test_model_evaluation_uses_the_cached_predictions(tmp_path):
    CALLS.clear()
    r = run(tmp_path, {"check": "deepchecks_suite", "suite": "model_evaluation"}, table(seed=2))
    assert r.status in (Status.PASSED, Status.WARNED), r.message
    assert r.evidence["model"] == "candidate"
    assert sorted(CALLS) == [600, 600]  # once per dataset, by the kernel
    assert r.evidence["conditions"].rows
    assert any("Unused Features" in n["check"] for n in r.evidence["not_run"].rows)


def test_the_callers_frames_are_not_modified(tmp_path):
    data = table()
    before = data.copy()
    run(tmp_path, {"check": "deepchecks_suite", "suite": "data_integrity"}, data)
    pd.testing.assert_frame_equal(data, before)


def test_bad_declarations_are_rejected_before_running(tmp_path):
    cases = [
        ({"check": "deepchecks_check", "name": "MixedNull"}, "no tabular check 'MixedNull'"),
        (
            {"check": "deepchecks_check", "name": "MixedNulls", "conditions": [{"name": "nope"}]},
            "no condition 'add_condition_nope'",
        ),
        ({"check": "deepchecks_check", "name": "MixedNulls", "params": {"bogus": 1}}, "bogus"),
        (
            {"check": "deepchecks_suite", "suite": "data_integrity", "exclude": ["Nothing"]},
            "not checks of deepchecks' data_integrity suite",
        ),
        ({"check": "deepchecks_suite", "suite": "nightly"}, "data_integrity"),
    ]
    for check, match in cases:
        with pytest.raises(ConfigError, match=match):
            open_gate(write_gate(tmp_path, [check]))
    with pytest.raises(ConfigError, match="name the training one"):
        open_gate(
            write_gate(
                tmp_path,
                [{"check": "deepchecks_suite", "suite": "train_test_validation"}],
                reference=False,
            )
        )


def test_python_functions_take_gate_file_parameters(tmp_path):
    from mlgate_deepchecks import deepchecks_check, deepchecks_suite_check

    from mlgate.core.context import GateContext

    gate = open_gate(
        write_gate(tmp_path, [{"check": "deepchecks_suite", "suite": "data_integrity"}])
    )
    ctx = GateContext(
        gate,
        models={"candidate": model},
        datasets={"evaluation": table(seed=2, shift=1.5), "reference": table(seed=1)},
    )
    assert deepchecks_suite_check(ctx, suite="train_test_validation").status is Status.FAILED
    r = deepchecks_check(
        ctx, name="MixedNulls", conditions=[{"name": "different_nulls_less_equal_to"}]
    )
    assert r.status is Status.PASSED
    with pytest.raises(ConfigError, match="suite"):
        deepchecks_suite_check(ctx, suite="weekly")
