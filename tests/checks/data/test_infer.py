"""Schema inference: clean data passes every inferred expectation; planted faults are caught
with the right rows named; the suite round-trips through its file and exports to GX JSON."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from mlgate.checks.data import (
    evaluate,
    gx_suite_dict,
    infer_suite,
    read_suite,
    write_gx_suite,
    write_suite,
)
from mlgate.checks.data import spec as S
from mlgate.checks.data.checks import check_frame
from mlgate.core.errors import DataError
from mlgate.core.result import Status


def population(n: int, seed: int) -> pd.DataFrame:
    """Reference and evaluation draws from the same distribution (bounded columns, so a
    10% margin covers fresh draws)."""
    rng = np.random.default_rng(seed)
    income = rng.uniform(20_000, 90_000, n)
    income[rng.random(n) < 0.05] = np.nan
    return pd.DataFrame(
        {
            "age": rng.integers(18, 90, n),
            "income": income,
            "score": rng.beta(2, 5, n),
            "city": pd.Series(rng.choice(["paris", "rome", "oslo"], n)).astype("category"),
            "plan": rng.choice(["free", "pro"], n),
            "active": rng.random(n) < 0.5,
            "y": rng.integers(0, 2, n),
        }
    )


@pytest.fixture(scope="module")
def suite() -> S.Suite:
    """The exact all-rows rules (``alpha=None``): these tests plant faults of a row or two."""
    return infer_suite(population(2000, seed=1), name="people", alpha=None)


def by_name(suite: S.Suite) -> dict[str, object]:
    return {S.expectation_name(e): e for e in suite.expectations}


def test_the_inferred_suite_says_what_the_reference_shows(suite):
    e = by_name(suite)
    assert e["columns"].dtypes == {
        "age": "int",
        "income": "float",
        "score": "float",
        "city": "category",
        "plan": "string",
        "active": "bool",
        "y": "int",
    }
    assert e["nulls(age)"].max_count == 0
    assert 0.05 < e["nulls(income)"].max_fraction < 0.1  # observed ~5% + 2% margin
    assert e["between(age)"].min == 11 and e["between(age)"].max == 96  # 18..89 ± 7.1, integers
    assert e["between(score)"].min == 0.0  # never negative in the reference: clipped at 0
    assert e["in_set(city)"].values == ["oslo", "paris", "rome"]
    assert e["in_set(plan)"].values == ["free", "pro"]
    assert e["between(y)"].min == 0 and e["between(y)"].max == 1


@pytest.mark.parametrize("seed", [2, 3, 4, 5, 6])
def test_clean_data_passes_every_inferred_expectation(suite, seed):
    outcomes = evaluate(population(1000, seed=seed), suite.expectations)
    failed = [(o.name, o.message) for o in outcomes if o.status is not Status.PASSED]
    assert failed == []


def test_the_reference_itself_passes():
    ref = population(500, seed=9)
    r = check_frame(ref, infer_suite(ref, margin=0.0, null_margin=0.0).expectations)
    assert r.status is Status.PASSED, r.message


def planted() -> tuple[pd.DataFrame, dict[str, list[int]]]:
    df = population(1000, seed=7)
    df.loc[[10, 11], "age"] = np.iinfo(np.int64).max // 2  # out of range
    df.loc[[20, 21, 22], "score"] = -5.0
    df["city"] = df["city"].cat.add_categories(["lima"])
    df.loc[30, "city"] = "lima"  # unseen category
    df.loc[40:140, "income"] = np.nan  # null rate ~15%, far above 5% + margin
    return df.drop(columns=["plan"]), {"age": [10, 11], "score": [20, 21, 22], "city": [30]}


def test_planted_faults_are_caught_with_the_right_rows(suite):
    df, rows = planted()
    r = check_frame(df, suite.expectations, dataset="evaluation")
    assert r.status is Status.FAILED
    status = {e["expectation"]: e["status"] for e in r.evidence["expectations"].rows}
    assert status["columns"] == "failed"  # 'plan' is missing
    assert status["in_set(plan)"] == "failed" and status["nulls(plan)"] == "failed"
    assert status["nulls(income)"] == "failed"
    named = {}
    for row in r.evidence["failing_rows"].rows:
        named.setdefault(row["expectation"], []).append(row["row"])
    assert named["between(age)"] == rows["age"]
    assert named["between(score)"] == rows["score"]
    assert named["in_set(city)"] == rows["city"]
    null_rows = df.index[df["income"].isna()].tolist()
    assert named["nulls(income)"] == null_rows[:10]  # the first offending rows, in order
    nulls = next(e for e in r.evidence["expectations"].rows if e["expectation"] == "nulls(income)")
    assert nulls["unexpected_count"] == len(null_rows)
    missing = next(e for e in r.evidence["expectations"].rows if e["expectation"] == "columns")
    assert "['plan']" in missing["message"]
    passed = {n for n, s in status.items() if s == "passed"}
    assert {"nulls(age)", "between(y)", "in_set(active)"} <= passed


def test_the_suite_file_round_trips_and_is_stable(tmp_path, suite):
    path = write_suite(suite, tmp_path / "people.yaml")
    assert read_suite(path) == suite
    text = path.read_text()
    assert "- {expect: between, column: age, min: 11.0, max: 96.0}" in text
    again = write_suite(
        infer_suite(population(2000, seed=1), name="people", alpha=None), tmp_path / "b.yaml"
    )
    assert again.read_text() == text  # same data, same file: reviews see only real changes


def test_the_gx_suite_json_names_gx_expectations(tmp_path, suite):
    path = write_gx_suite(suite, tmp_path / "people.json")
    doc = json.loads(path.read_text())
    assert doc == json.loads(json.dumps(gx_suite_dict(suite)))
    types = [(e["type"], e["kwargs"].get("column")) for e in doc["expectations"]]
    assert ("expect_column_values_to_be_between", "age") in types
    assert ("expect_column_values_to_be_in_set", "city") in types
    assert ("expect_column_values_to_not_be_null", "income") in types
    assert ("expect_table_columns_to_match_set", None) in types
    income = next(
        e
        for e in doc["expectations"]
        if e["type"] == "expect_column_values_to_not_be_null" and e["kwargs"]["column"] == "income"
    )
    assert income["kwargs"]["mostly"] == pytest.approx(
        1 - by_name(suite)["nulls(income)"].max_fraction
    )
    assert all(e["meta"]["mlgate"] for e in doc["expectations"])
    skipped = [s["expectation"] for s in doc["meta"]["mlgate_not_translated"]]
    assert "columns[city: category]" in skipped  # told, not silently dropped


def test_untranslatable_expectations_are_listed_not_dropped():
    suite = S.Suite(
        expectations=S.parse_expectations(
            [
                {"expect": "sum", "columns": ["a", "b"], "equals": "c", "tolerance": 0.01},
                {"expect": "compare", "left": "a", "op": "<", "right": "b"},
            ]
        )
    )
    doc = gx_suite_dict(suite)
    assert [s["expectation"] for s in doc["meta"]["mlgate_not_translated"]] == ["sum(a+b==c)"]
    (pair,) = doc["expectations"]
    assert pair["type"] == "expect_column_pair_values_a_to_be_greater_than_b"
    assert pair["kwargs"]["column_A"] == "b" and pair["kwargs"]["or_equal"] is False


def test_inference_refuses_empty_data_and_unknown_columns():
    with pytest.raises(DataError, match="no rows"):
        infer_suite(population(10, seed=0).iloc[:0])
    with pytest.raises(DataError, match="height"):
        infer_suite(population(10, seed=0), exclude=["height"])


def test_inference_does_not_modify_the_reference():
    ref = population(200, seed=3)
    before = ref.copy()
    infer_suite(ref)
    pd.testing.assert_frame_equal(ref, before)


def test_the_command_line_infers_and_checks(tmp_path, capsys):
    from mlgate.checks.data.__main__ import main

    population(1000, seed=1).to_csv(tmp_path / "ref.csv", index=False)
    suite, gx = tmp_path / "ref.yaml", tmp_path / "ref.gx.json"
    assert main(["infer", str(tmp_path / "ref.csv"), "-o", str(suite), "--gx", str(gx)]) == 0
    assert read_suite(suite).meta["inferred_from"] == "ref.csv"
    assert json.loads(gx.read_text())["expectations"]
    population(500, seed=2).to_csv(tmp_path / "ok.csv", index=False)
    assert main(["check", str(tmp_path / "ok.csv"), str(suite)]) == 0
    bad = population(500, seed=2)
    bad.loc[9:58, "age"] = 400  # 10% of the rows: beyond the inferred tolerance (one row is not)
    bad.to_csv(tmp_path / "bad.csv", index=False)
    capsys.readouterr()
    assert main(["check", str(tmp_path / "bad.csv"), str(suite)]) == 10
    assert "between(age)" in capsys.readouterr().out
    assert main(["check", str(tmp_path / "missing.csv"), str(suite)]) == 4


def test_the_default_suite_writes_its_tolerance_on_each_line(tmp_path):
    """Issue 15: each null, range and set rule carries reference_rows and its share of alpha
    (0.05 over the 14 of them here), visible in the reviewed YAML and its description."""
    suite = infer_suite(population(2000, seed=1), name="people")
    text = write_suite(suite, tmp_path / "people.yaml").read_text()
    line = "- {expect: between, column: age, min: 11.0, max: 96.0, reference_rows: 2000, "
    assert line + "alpha: 0.003571}" in text
    assert "reference_nulls: 0, alpha: 0.003571" in text
    assert "held at most 0.05 of the time" in " ".join(text.split())
    assert suite.meta["alpha"] == 0.05 and suite.meta["alpha_each"] * 14 <= 0.05
    assert read_suite(tmp_path / "people.yaml") == suite
    with pytest.raises(ValueError, match="alpha must be in"):
        infer_suite(population(20, seed=1), alpha=1.5)
    # GX knows only ``mostly``: it gets the tolerance's large-evaluation limit
    gx = gx_suite_dict(suite)["expectations"]
    age = next(e for e in gx if e["kwargs"].get("column") == "age" and "min_value" in e["kwargs"])
    assert 0.99 < age["kwargs"]["mostly"] < 1.0
