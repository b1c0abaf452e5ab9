"""The data family as mergeable reductions: the same result (verdicts, values, counts and
offending-row examples, byte for byte) from one batch, from many (``ctx.batch_rows``), and from
batch states merged in any order, on data with planted violations and on clean data. Counts,
row ids and statistics are checked against plain-Python references (loops, ``fractions``,
``math.fsum``)."""

from __future__ import annotations

import itertools
import json
import math
import re
from decimal import Decimal, localcontext
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest

from mlgate.checks.data.checks import DATA_EXPECTATIONS, DATA_SCHEMA, needs_all_rows
from mlgate.checks.data.evaluate import evaluate, outcomes_of
from mlgate.checks.data.fold import is_mergeable, merge_states, scan
from mlgate.checks.data.spec import parse_expectations
from mlgate.core.context import GateContext
from mlgate.core.result import Status

N = 400
SAMPLE = 3
#: rows where a violation is planted, per expectation (see :func:`planted`)
NULL_INCOME = [3, 77, 150, 151, 399]
BAD_AGE = [5, 200, 398]
BAD_ZIP = [10, 11, 300]
BAD_CITY = [42, 250]
BAD_ORDER = [7, 8, 333]
BAD_GROSS = [20, 21]


def clean(n: int = N, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    start = rng.uniform(0, 10, n)
    net = np.round(rng.uniform(10, 100, n), 2)
    tax = np.round(net * 0.2, 2)
    return pd.DataFrame(
        {
            "id": np.arange(n),
            "age": rng.integers(18, 90, n).astype(float),
            "income": rng.lognormal(10, 0.5, n),
            "city": rng.choice(["paris", "rome", "oslo"], n).astype(object),
            "zip": [f"{z:05d}" for z in rng.integers(0, 99999, n)],
            "start": start,
            "end": start + rng.uniform(0.5, 2.0, n),
            "net": net,
            "tax": tax,
            "gross": net + tax,
            "y": rng.integers(0, 2, n),
        }
    )


def planted(n: int = N) -> pd.DataFrame:
    df = clean(n)
    df.loc[NULL_INCOME, "income"] = np.nan
    df.loc[BAD_AGE, "age"] = [-1.0, 150.0, 200.0]
    df.loc[BAD_ZIP, "zip"] = ["1234", "abcde", "123456"]
    df.loc[BAD_CITY, "city"] = "lima"
    df.loc[BAD_ORDER, "end"] = df.loc[BAD_ORDER, "start"] - 1.0
    df.loc[BAD_GROSS, "gross"] = df.loc[BAD_GROSS, "gross"] + 1.0
    return df


SUITE = [
    {
        "expect": "columns",
        "columns": {"id": "int", "age": "float", "income": "float", "city": "string"},
    },
    {"expect": "nulls", "column": "income"},
    {"expect": "nulls", "column": "income", "max_fraction": 0.05, "name": "few-nulls"},
    {"expect": "between", "column": "age", "min": 0, "max": 120},
    {"expect": "in_set", "column": "city", "values": ["paris", "rome", "oslo"]},
    {"expect": "regex", "column": "zip", "pattern": r"^\d{5}$"},
    {"expect": "compare", "left": "end", "op": ">=", "right": "start"},
    {"expect": "sum", "columns": ["net", "tax"], "equals": "gross", "tolerance": 1e-6},
    {"expect": "row_count", "min": 100},
    {"expect": "statistic", "column": "income", "statistic": "mean", "min": 0},
    {"expect": "statistic", "column": "income", "statistic": "std", "max": 1e9},
    {"expect": "statistic", "column": "income", "statistic": "sum", "min": 0},
    {"expect": "statistic", "column": "age", "statistic": "min", "min": 0},
    {"expect": "statistic", "column": "age", "statistic": "max", "max": 120},
    {"expect": "between", "column": "city", "min": 0, "name": "range-on-text"},
    {"expect": "nulls", "column": "no_such_column", "name": "absent"},
]


def context(evaluation: pd.DataFrame, reference: pd.DataFrame | None = None) -> GateContext:
    datasets = {"evaluation": evaluation}
    if reference is not None:
        datasets["reference"] = reference
    return GateContext.from_objects(
        models={"candidate": lambda X: np.zeros(len(X))},
        datasets=datasets,
        task="binary",
        label="y",
    )


def as_bytes(result) -> str:
    return json.dumps(result.to_dict(), sort_keys=True)


def run(frame: pd.DataFrame, batch_rows: int | None, suite=SUITE, **params):
    ctx = context(frame)
    ctx.batch_rows = batch_rows
    return DATA_EXPECTATIONS(ctx, expectations=suite, sample=SAMPLE, **params)


@pytest.mark.parametrize("make", [planted, clean], ids=["planted", "clean"])
@pytest.mark.parametrize("batch_rows", [1, 7, 64, N - 1, N, 10 * N])
def test_a_mergeable_suite_gives_the_same_bytes_in_one_batch_and_in_many(make, batch_rows):
    one = run(make(), None)
    assert as_bytes(run(make(), batch_rows)) == as_bytes(one)


def test_the_planted_violations_are_found_with_their_first_rows_by_position():
    df = planted()
    r = run(df, 7)
    table = {row["expectation"]: row for row in r.evidence["expectations"].rows}
    examples: dict[str, list] = {}
    for row in r.evidence["failing_rows"].rows:
        examples.setdefault(row["expectation"], []).append(row["row"])

    def offenders(bad) -> list[int]:  # a plain loop over the rows
        return [i for i in range(len(df)) if bad(df.iloc[i])]

    expected = {
        "nulls(income)": offenders(lambda row: pd.isna(row["income"])),
        "between(age)": offenders(lambda row: not 0 <= row["age"] <= 120),
        "in_set(city)": offenders(lambda row: row["city"] not in ("paris", "rome", "oslo")),
        "regex(zip)": offenders(lambda row: not re.search(r"^\d{5}$", row["zip"])),
        "compare(end>=start)": offenders(lambda row: not row["end"] >= row["start"]),
        "sum(net+tax==gross)": offenders(
            lambda row: abs(row["net"] + row["tax"] - row["gross"]) > 1e-6
        ),
    }
    assert expected["nulls(income)"] == NULL_INCOME and expected["between(age)"] == BAD_AGE
    for name, rows in expected.items():
        assert table[name]["status"] == "failed", name
        assert table[name]["unexpected_count"] == len(rows), name
        assert examples[name] == rows[:SAMPLE], name
    assert table["few-nulls"]["status"] == "passed"  # 5 of 400 nulls is within 5%
    assert table["between(age)"]["element_count"] == N
    assert table["regex(zip)"]["unexpected_count"] == 3
    # a failing min names the rows below the bound (across batch boundaries)
    assert examples["statistic(age.min)"] == [5]
    assert examples["statistic(age.max)"] == [200, 398]
    assert table["range-on-text"]["status"] == "error"
    assert "'city' is string (dtype" in table["range-on-text"]["message"]
    assert table["absent"]["status"] == "failed" and "no_such_column" in table["absent"]["message"]
    assert r.status is Status.FAILED and r.value == 10.0


def test_mean_std_and_sum_are_the_exact_values_rounded_once_however_batched():
    """References: exact fractions, ``math.fsum`` (an exactly rounded sum) and a 60-digit
    decimal square root."""
    df = planted()
    values = [Fraction(v) for v in df["income"].dropna()]
    exact_mean = sum(values) / len(values)
    exact_var = sum((v - exact_mean) ** 2 for v in values) / (len(values) - 1)
    with localcontext() as decimals:
        decimals.prec = 60
        root = (Decimal(exact_var.numerator) / Decimal(exact_var.denominator)).sqrt()
    for batch_rows in (None, 1, 13):
        table = {
            row["expectation"]: row for row in run(df, batch_rows).evidence["expectations"].rows
        }
        assert table["statistic(income.mean)"]["observed"] == float(exact_mean)
        assert table["statistic(income.sum)"]["observed"] == math.fsum(df["income"].dropna())
        # correctly rounded: the square root of the exact variance to 60 digits, rounded once
        assert table["statistic(income.std)"]["observed"] == float(root)
        assert table["statistic(income.std)"]["observed"] == pytest.approx(
            df["income"].dropna().std(ddof=1), rel=1e-12
        )


def test_batch_states_merged_in_any_order_and_split_give_the_whole_frames_outcomes():
    df = planted()
    specs = parse_expectations(SUITE)
    whole = evaluate(df, specs, sample=SAMPLE)
    rng = np.random.default_rng(7)
    for _ in range(20):
        cuts = sorted(rng.choice(np.arange(1, len(df)), size=rng.integers(1, 12), replace=False))
        bounds = [0, *map(int, cuts), len(df)]
        states = [scan(df.iloc[lo:hi], lo, specs, SAMPLE) for lo, hi in itertools.pairwise(bounds)]
        order = rng.permutation(len(states))
        state = states[order[0]]
        for i in order[1:]:  # any order: right or left of what was merged so far
            state = (
                merge_states(state, states[i])
                if rng.random() < 0.5
                else merge_states(states[i], state)
            )
        assert outcomes_of(state, specs) == whole


def test_an_object_columns_kind_is_merged_over_batches():
    """Text in one batch and numbers in another is an ``object`` column, not ``string``: the
    kind a whole-frame pass reads."""
    df = pd.DataFrame({"code": ["a", "b", "c", 4, 5, 6], "y": [0, 1] * 3})
    suite = [
        {"expect": "columns", "columns": {"code": "string"}},
        {"expect": "between", "column": "code", "min": 0},
    ]
    one, many = run(df, None, suite), run(df, 3, suite)
    assert as_bytes(one) == as_bytes(many)
    rows = one.evidence["expectations"].rows
    assert (
        rows[0]["status"] == "failed"
        and "code is object (object), expected string" in rows[0]["message"]
    )
    assert rows[1]["status"] == "error" and "'code' is object" in rows[1]["message"]


def test_row_ids_are_index_labels_for_a_labelled_index_and_positions_otherwise():
    df = planted()
    df.index = [f"r{i}" for i in range(len(df))]
    rows = run(df, 9).evidence["failing_rows"].rows
    assert [r["row"] for r in rows if r["expectation"] == "between(age)"] == ["r5", "r200", "r398"]
    # a RangeIndex left by slicing is a position, not an id: the rows restart at 0, as they do
    # in a Parquet partition (before the fold, this gave the sliced labels 100, 300, 498)
    sliced = pd.concat([clean(100, seed=1), planted()], ignore_index=True).iloc[100:]
    assert isinstance(sliced.index, pd.RangeIndex) and sliced.index[0] == 100
    rows = run(sliced, 9).evidence["failing_rows"].rows
    assert [r["row"] for r in rows if r["expectation"] == "between(age)"] == BAD_AGE


@pytest.mark.parametrize("batch_rows", [None, 11])
def test_a_suite_with_unique_or_median_reads_every_row_with_the_same_result(batch_rows):
    df = planted()
    df.loc[[30, 31, 350], "id"] = 29
    suite = [
        *SUITE,
        {"expect": "unique", "column": "id"},
        {"expect": "statistic", "column": "income", "statistic": "median", "min": 0},
    ]
    r = run(df, batch_rows, suite)
    assert as_bytes(r) == as_bytes(run(df, None, suite))
    rows = {row["expectation"]: row for row in r.evidence["expectations"].rows}
    assert rows["unique(id)"]["unexpected_count"] == 4
    assert rows["statistic(income.median)"]["observed"] == float(np.median(df["income"].dropna()))


def test_needs_all_rows_only_for_unique():
    params = DATA_EXPECTATIONS.params
    assert DATA_EXPECTATIONS.needs_all_rows is needs_all_rows
    assert not needs_all_rows(params(expectations=SUITE))
    assert not needs_all_rows(params(columns={"age": {"min": 0, "regex": "1"}}))
    assert needs_all_rows(params(columns={"id": {"unique": True}}))
    for statistic, extra in (("median", {}), ("quantile", {"q": 0.9})):
        e = {"expect": "statistic", "column": "x", "statistic": statistic, "min": 0, **extra}
        assert not needs_all_rows(params(expectations=[e]))  # a value sketch folds them
    assert DATA_SCHEMA.needs_all_rows is False
    specs = parse_expectations(SUITE)
    assert all(is_mergeable(e) for e in specs)


@pytest.mark.parametrize("batch_rows", [None, 1, 50])
def test_data_schema_folds_the_reference_and_the_evaluation_data(batch_rows):
    ref, cur = clean(300, seed=3), planted()
    ctx = context(cur, ref)
    ctx.batch_rows = batch_rows
    # the exact all-rows rules: the planted faults are a few rows each, inside the default
    # tolerance (issue 15; tests/checks/data/test_data_schema_on_healthy_data.py)
    r = DATA_SCHEMA(ctx, exclude=["id"], sample=SAMPLE, alpha=None)
    one = DATA_SCHEMA(context(cur, ref), exclude=["id"], sample=SAMPLE, alpha=None)
    assert as_bytes(r) == as_bytes(one)
    failed = {
        row["expectation"] for row in r.evidence["expectations"].rows if row["status"] == "failed"
    }
    assert {"nulls(income)", "in_set(city)", "between(age)"} <= failed
    assert r.evidence["inferred"]["rows"] == 300
    # the default tolerances are judged on merged counts: the same bytes however it is split
    tolerant = DATA_SCHEMA(ctx, exclude=["id"], sample=SAMPLE)
    assert as_bytes(tolerant) == as_bytes(
        DATA_SCHEMA(context(cur, ref), exclude=["id"], sample=SAMPLE)
    )
    assert tolerant.evidence["inferred"]["alpha"] == 0.05


def test_a_label_with_missing_values_is_still_judged():
    """Batches carry the label, which may not be missing; a data check reads the rows in one
    place instead, so ``nulls(y)`` reports the nulls rather than erroring."""
    df = planted()
    df["y"] = df["y"].astype(float)
    df.loc[[4, 9], "y"] = np.nan
    r = run(df, 16, [{"expect": "nulls", "column": "y"}])
    assert r.status is Status.FAILED
    assert [row["row"] for row in r.evidence["failing_rows"].rows] == [4, 9]


@pytest.mark.parametrize(
    ("xs", "statistic", "expected"),
    [
        ([1e308, 1e308], "sum", math.inf),  # NumPy's sum overflows to inf too
        ([-1e308, -1e308], "sum", -math.inf),
        ([math.inf, 1.0], "mean", math.inf),
        ([-math.inf, 1.0], "sum", -math.inf),
        ([math.inf, -math.inf], "sum", math.nan),
        ([math.inf, 1.0], "std", math.nan),
        ([1e200, 1e200, 1.0], "std", math.nan),  # squares beyond float64: not exact, so NaN
        ([1e200, -1e200, 1.0], "mean", 1.0 / 3.0),
    ],
)
def test_statistics_at_the_edges_of_float64_the_same_in_every_batching(xs, statistic, expected):
    df = pd.DataFrame({"x": xs, "y": [0] * len(xs)})
    e = {"expect": "statistic", "column": "x", "statistic": statistic, "min": -math.inf}
    for batch_rows in (None, 1):
        observed = run(df, batch_rows, [e]).evidence["expectations"].rows[0]["observed"]
        if math.isnan(expected):
            assert math.isnan(observed)
        else:
            assert observed == expected
    if not math.isnan(expected) and statistic != "mean":
        with np.errstate(over="ignore"):
            assert getattr(np, statistic)(np.asarray(xs)) == expected
