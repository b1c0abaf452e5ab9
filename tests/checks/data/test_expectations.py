"""Native expectations on data with known verdicts, each count checked against an
independent computation (a plain Python loop or the statistics module)."""

from __future__ import annotations

import re
import statistics

import numpy as np
import pandas as pd
import pytest

from mlgate.checks.data import evaluate, parse_expectations
from mlgate.checks.data.checks import check_frame
from mlgate.core.errors import ConfigError
from mlgate.core.result import Status


def frame(n: int = 500, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    start = rng.uniform(0, 10, n)
    a = rng.integers(0, 100, n)
    b = rng.integers(0, 100, n)
    return pd.DataFrame(
        {
            "id": np.arange(n),
            "age": rng.integers(18, 90, n),
            "income": rng.normal(50_000, 10_000, n),
            "city": rng.choice(["paris", "rome", "oslo"], n),
            "zip": [f"{int(z):05d}" for z in rng.integers(0, 99_999, n)],
            "start": start,
            "end": start + rng.uniform(0.1, 5, n),
            "a": a,
            "b": b,
            "total": a + b,
        }
    )


def one(df: pd.DataFrame, spec: dict, **kw):
    (out,) = evaluate(df, parse_expectations([spec]), **kw)
    return out


def test_between_counts_and_names_the_out_of_range_rows():
    df = frame()
    df.loc[[4, 40, 400], "age"] = [-3, 150, 200]
    out = one(df, {"expect": "between", "column": "age", "min": 0, "max": 120})
    assert out.status is Status.FAILED
    assert out.unexpected_count == sum(not (0 <= v <= 120) for v in df["age"]) == 3
    assert [r["row"] for r in out.failing_rows] == [4, 40, 400]
    assert [r["age"] for r in out.failing_rows] == [-3, 150, 200]


def test_between_strict_bounds_exclude_the_end_points():
    df = pd.DataFrame({"x": [0.0, 0.5, 1.0]})
    inclusive = one(df, {"expect": "between", "column": "x", "min": 0, "max": 1})
    strict = one(
        df,
        {
            "expect": "between",
            "column": "x",
            "min": 0,
            "max": 1,
            "strict_min": True,
            "strict_max": True,
        },
    )
    assert inclusive.status is Status.PASSED
    assert strict.status is Status.FAILED and strict.unexpected_count == 2


def test_row_wise_checks_skip_nulls_and_mostly_allows_a_fraction():
    df = pd.DataFrame({"x": [1.0, np.nan, 2.0, 50.0, np.nan, 3.0, 4.0, 5.0, 6.0, 7.0]})
    strict = one(df, {"expect": "between", "column": "x", "min": 0, "max": 10})
    assert strict.element_count == 8 and strict.unexpected_count == 1  # the NaNs not judged
    assert strict.status is Status.FAILED
    loose = one(df, {"expect": "between", "column": "x", "min": 0, "max": 10, "mostly": 0.85})
    assert loose.status is Status.PASSED  # 7/8 = 0.875 >= 0.85
    tight = one(df, {"expect": "between", "column": "x", "min": 0, "max": 10, "mostly": 0.9})
    assert tight.status is Status.FAILED


def test_nulls_by_count_and_by_fraction():
    df = frame(200)
    df.loc[[3, 9, 27], "income"] = np.nan
    assert one(df, {"expect": "nulls", "column": "income"}).status is Status.FAILED
    out = one(df, {"expect": "not_null", "column": "income"})
    assert [r["row"] for r in out.failing_rows] == [3, 9, 27]
    assert out.observed == pytest.approx(3 / 200)
    frac_ok = {"expect": "nulls", "column": "income", "max_fraction": 0.015}
    assert one(df, frac_ok).status is Status.PASSED
    frac_bad = {"expect": "nulls", "column": "income", "max_fraction": 0.01}
    assert one(df, frac_bad).status is Status.FAILED
    assert one(df, {"expect": "nulls", "column": "income", "max_count": 3}).status is Status.PASSED


def test_in_set_names_the_unseen_category():
    df = frame()
    df.loc[17, "city"] = "lima"
    out = one(df, {"expect": "in_set", "column": "city", "values": ["paris", "rome", "oslo"]})
    assert out.status is Status.FAILED
    assert out.failing_rows == ({"row": 17, "city": "lima"},)


def test_regex_agrees_with_re_search():
    df = frame()
    df.loc[[2, 5], "zip"] = ["1234", "abcde"]
    pattern = r"^\d{5}$"
    out = one(df, {"expect": "regex", "column": "zip", "pattern": pattern})
    expected = [i for i, z in enumerate(df["zip"]) if re.search(pattern, z) is None]
    assert out.unexpected_count == len(expected) == 2
    assert [r["row"] for r in out.failing_rows] == expected


def test_regex_on_numbers_matches_their_text():
    df = pd.DataFrame({"code": [100, 200, 3000]})
    out = one(df, {"expect": "regex", "column": "code", "pattern": r"^\d{3}$"})
    assert out.unexpected_count == 1 and out.failing_rows[0]["row"] == 2


def test_unique_marks_every_row_of_a_repeated_value_and_compound_keys():
    df = frame(100)
    df.loc[50, "id"] = 7
    out = one(df, {"expect": "unique", "column": "id"})
    assert out.status is Status.FAILED
    assert [r["row"] for r in out.failing_rows] == [7, 50]
    assert out.details["duplicated_values"] == 1
    pair = pd.DataFrame({"k1": [1, 1, 2, 2], "k2": ["a", "b", "a", "a"]})
    out = one(pair, {"expect": "unique", "columns": ["k1", "k2"]})
    assert [r["row"] for r in out.failing_rows] == [2, 3]


def test_row_count_bounds():
    df = frame(100)
    assert one(df, {"expect": "row_count", "min": 100, "max": 100}).status is Status.PASSED
    assert one(df, {"expect": "row_count", "min": 101}).status is Status.FAILED


@pytest.mark.parametrize(
    ("stat", "reference"),
    [
        ("min", min),
        ("max", max),
        ("mean", statistics.fmean),
        ("median", statistics.median),
        ("std", statistics.stdev),
        ("sum", sum),
    ],
)
def test_statistics_agree_with_the_statistics_module(stat, reference):
    df = frame(301)
    values = df["income"].tolist()
    expected = reference(values)
    ok = {"expect": "statistic", "column": "income", "statistic": stat}
    out = one(
        df, {**ok, "min": expected - 1e-6 * abs(expected), "max": expected + 1e-6 * abs(expected)}
    )
    assert out.observed == pytest.approx(expected, rel=1e-12)
    assert out.status is Status.PASSED
    out = one(df, {**ok, "min": expected + 1.0})
    assert out.status is Status.FAILED


def test_quantile_agrees_with_statistics_quantiles():
    df = frame(401)
    # statistics.quantiles(method="inclusive") is the linear interpolation NumPy uses
    q90 = statistics.quantiles(df["income"].tolist(), n=10, method="inclusive")[8]
    out = one(
        df,
        {
            "expect": "statistic",
            "column": "income",
            "statistic": "quantile",
            "q": 0.9,
            "min": 0,
            "max": 1e9,
        },
    )
    assert out.observed == pytest.approx(q90, rel=1e-12)


def test_failed_minimum_names_the_rows_below_the_bound():
    df = frame(50)
    df.loc[[10, 20], "age"] = [1, 2]
    out = one(df, {"expect": "statistic", "column": "age", "statistic": "min", "min": 18})
    assert out.status is Status.FAILED
    assert [r["row"] for r in out.failing_rows] == [10, 20]


def test_compare_catches_the_violated_row_and_skips_missing_pairs():
    df = frame()
    df.loc[33, "end"] = df.loc[33, "start"] - 1
    df.loc[44, "end"] = np.nan
    out = one(df, {"expect": "compare", "left": "end", "op": ">", "right": "start"})
    assert out.status is Status.FAILED
    assert out.element_count == len(df) - 1
    assert out.failing_rows == (
        {"row": 33, "end": df.loc[33, "end"], "start": df.loc[33, "start"]},
    )
    reverse = one(df, {"expect": "compare", "left": "start", "op": "<", "right": "end"})
    assert reverse.unexpected_count == 1


def test_compare_works_on_dates():
    df = pd.DataFrame(
        {
            "opened": pd.to_datetime(["2024-01-01", "2024-02-01"]),
            "closed": pd.to_datetime(["2024-01-05", "2024-01-15"]),
        }
    )
    out = one(df, {"expect": "compare", "left": "closed", "op": ">=", "right": "opened"})
    assert out.unexpected_count == 1 and out.failing_rows[0]["row"] == 1


def test_sum_within_tolerance_against_a_column_and_a_constant():
    df = frame()
    df.loc[8, "total"] += 1
    spec = {"expect": "sum", "columns": ["a", "b"], "equals": "total"}
    out = one(df, spec)
    assert out.status is Status.FAILED and [r["row"] for r in out.failing_rows] == [8]
    assert one(df, {**spec, "tolerance": 1.0}).status is Status.PASSED
    ones = pd.DataFrame({"p": [0.2, 0.7], "q": [0.8, 0.3]})
    assert (
        one(ones, {"expect": "sum", "columns": ["p", "q"], "equals": 1.0}).status is Status.PASSED
    )


def test_columns_and_dtypes():
    df = frame(20)
    ok = one(
        df, {"expect": "columns", "columns": {"age": "int", "income": "float", "city": "string"}}
    )
    assert ok.status is Status.PASSED
    wide = one(df, {"expect": "columns", "columns": {"age": "float"}})
    assert wide.status is Status.PASSED  # float accepts integers
    out = one(
        df,
        {"expect": "columns", "columns": {"age": "string", "income": "number", "height": "float"}},
    )
    assert out.status is Status.FAILED
    assert out.details["missing"] == ["height"]
    assert out.details["wrong_dtype"]["age"]["actual"] == "int"
    exact = one(df, {"expect": "columns", "columns": ["age"], "exact": True})
    assert exact.status is Status.FAILED and "income" in exact.details["extra"]


def test_a_missing_column_fails_every_expectation_that_needs_it():
    df = frame(20).drop(columns=["age"])
    out = one(df, {"expect": "between", "column": "age", "min": 0})
    assert out.status is Status.FAILED and out.details["missing_columns"] == ["age"]


def test_a_range_on_text_is_an_error_naming_the_column():
    out = one(frame(20), {"expect": "between", "column": "city", "min": 0})
    assert out.status is Status.ERROR and "'city'" in out.message


def test_empty_data_is_inconclusive_never_passed():
    empty = frame(10).iloc[:0]
    specs = [
        {"expect": "between", "column": "age", "min": 0},
        {"expect": "nulls", "column": "age"},
        {"expect": "statistic", "column": "age", "statistic": "mean", "min": 0},
    ]
    r = check_frame(empty, specs)
    assert r.status is Status.INCONCLUSIVE
    assert all(e["status"] == "inconclusive" for e in r.evidence["expectations"].rows)
    # a schema check alone would pass on zero rows; the check still refuses to pass
    assert (
        check_frame(empty, [{"expect": "columns", "columns": ["age"]}]).status
        is Status.INCONCLUSIVE
    )


def test_fewer_rows_than_a_check_needs_is_inconclusive():
    df = frame(1)
    std = {"expect": "statistic", "column": "income", "statistic": "std", "max": 1e9}
    assert one(df, std).status is Status.INCONCLUSIVE
    assert check_frame(frame(5), [{"expect": "nulls", "column": "age"}], min_rows=30).status is (
        Status.INCONCLUSIVE
    )
    all_null = pd.DataFrame({"x": [np.nan, np.nan]})
    assert (
        one(all_null, {"expect": "between", "column": "x", "min": 0}).status is Status.INCONCLUSIVE
    )


def test_a_warn_expectation_warns_instead_of_failing():
    df = frame(50)
    df.loc[0, "age"] = 500
    r = check_frame(df, [{"expect": "between", "column": "age", "max": 120, "severity": "warn"}])
    assert r.status is Status.WARNED
    r = check_frame(df, [{"expect": "between", "column": "age", "max": 120}])
    assert r.status is Status.FAILED


def test_the_result_carries_counts_rows_and_method():
    df = frame(100)
    df.loc[5, "age"] = -1
    r = check_frame(
        df,
        [{"expect": "between", "column": "age", "min": 0}, {"expect": "unique", "column": "id"}],
        dataset="evaluation",
    )
    assert r.status is Status.FAILED
    assert r.value == 1 and r.threshold.bound == 0 and r.sample_size == 100 and r.method
    assert r.evidence["counts"]["failed"] == 1 and r.evidence["counts"]["passed"] == 1
    assert r.evidence["failing_rows"].rows == (
        {"expectation": "between(age)", "row": 5, "age": -1},
    )
    assert "row" in r.message and "between(age)" in r.message


def test_sample_limits_the_rows_kept_and_labels_are_the_index():
    df = frame(100)
    df.index = [f"r{i}" for i in range(100)]
    df["age"] = -1
    out = one(df, {"expect": "between", "column": "age", "min": 0}, sample=3)
    assert out.unexpected_count == 100 and [r["row"] for r in out.failing_rows] == [
        "r0",
        "r1",
        "r2",
    ]


def test_the_callers_frame_is_not_modified():
    df = frame(100)
    df.loc[3, "income"] = np.nan
    before = df.copy()
    check_frame(
        df,
        [
            {"expect": "regex", "column": "age", "pattern": "1"},
            {"expect": "between", "column": "income", "min": 0},
        ],
    )
    pd.testing.assert_frame_equal(df, before)


def test_bad_expectations_are_config_errors_naming_the_key():
    with pytest.raises(ConfigError, match=r"expectations\[0\]\.between\.mni"):
        parse_expectations([{"expect": "between", "column": "x", "mni": 0}])
    with pytest.raises(ConfigError, match="expectation types"):
        parse_expectations([{"expect": "betwen", "column": "x"}])
    with pytest.raises(ConfigError, match="not a valid regex"):
        parse_expectations([{"expect": "regex", "column": "x", "pattern": "("}])
    with pytest.raises(ConfigError, match="above max"):
        parse_expectations([{"expect": "between", "column": "x", "min": 2, "max": 1}])


def test_a_suite_without_expectations_is_inconclusive_never_passed():
    """Nothing checked is never a pass (Status.worst of no parts). The data family used to
    pass an empty suite."""
    r = check_frame(frame(50), [])
    assert r.status is Status.INCONCLUSIVE
    assert r.message == (
        "0 of 0 expectations passed on 'data' (50 rows); no expectation to judge, so nothing "
        "can pass."
    )


def test_a_warn_expectation_that_errors_is_still_an_error():
    df = frame(50)
    r = check_frame(df, [{"expect": "between", "column": "city", "min": 0, "severity": "warn"}])
    assert r.status is Status.ERROR
    r = check_frame(
        df.iloc[:0], [{"expect": "nulls", "column": "age", "severity": "warn"}], min_rows=1
    )
    assert r.status is Status.INCONCLUSIVE  # too few rows outranks a warning
