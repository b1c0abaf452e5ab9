"""Native mlgate expectations and their Great Expectations translations agree on the same
data: the same verdict, the same number of offending rows and the same rows named."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from mlgate_gx.checks import gx_frame_check

from mlgate.checks.data import evaluate, parse_expectations, to_gx
from mlgate.checks.data.spec import expectation_name

SPECS = [
    {"expect": "columns", "columns": {"age": "int", "income": "float", "score": "number"}},
    {"expect": "nulls", "column": "age"},
    {"expect": "nulls", "column": "income", "max_fraction": 0.08},
    {"expect": "between", "column": "age", "min": 18, "max": 90},
    {"expect": "between", "column": "score", "min": 0, "max": 1, "strict_min": True},
    {"expect": "between", "column": "income", "min": 20_000, "max": 90_000, "mostly": 0.99},
    {"expect": "in_set", "column": "city", "values": ["paris", "rome", "oslo"]},
    {"expect": "regex", "column": "zip", "pattern": r"^\d{5}$"},
    {"expect": "unique", "column": "id"},
    {"expect": "unique", "columns": ["city", "id"]},
    {"expect": "row_count", "min": 500, "max": 5000},
    {"expect": "statistic", "column": "age", "statistic": "min", "min": 18},
    {"expect": "statistic", "column": "age", "statistic": "max", "max": 89},
    {"expect": "statistic", "column": "income", "statistic": "mean", "min": 50_000, "max": 60_000},
    {
        "expect": "statistic",
        "column": "income",
        "statistic": "median",
        "min": 50_000,
        "max": 60_000,
    },
    {"expect": "statistic", "column": "score", "statistic": "std", "min": 0.1, "max": 0.2},
    {"expect": "compare", "left": "end", "op": ">", "right": "start"},
    {"expect": "compare", "left": "start", "op": "<=", "right": "end"},
    {"expect": "sum", "columns": ["a", "b"], "equals": 100.0},
]


def population(n: int = 1000, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    start = rng.uniform(0, 10, n)
    a = rng.integers(0, 101, n)
    income = rng.uniform(20_000, 90_000, n)
    income[rng.random(n) < 0.05] = np.nan
    return pd.DataFrame(
        {
            "id": np.arange(n),
            "age": rng.integers(18, 90, n),
            "income": income,
            "score": rng.beta(2, 5, n),
            "city": rng.choice(["paris", "rome", "oslo"], n),
            "zip": [f"{z:05d}" for z in rng.integers(0, 99_999, n)],
            "start": start,
            "end": start + rng.uniform(0.1, 2, n),
            "a": a.astype(float),
            "b": (100 - a).astype(float),
        }
    )


def faulty() -> pd.DataFrame:
    df = population(seed=1)
    df.loc[[3, 30], "age"] = [5, 120]
    df.loc[7, "score"] = 0.0
    df.loc[[11, 12], "city"] = ["lima", "kyiv"]
    df.loc[15, "zip"] = "12a45"
    df.loc[20, "id"] = 21
    df.loc[[40, 41], "end"] = df.loc[[40, 41], "start"] - 1
    df.loc[50, "b"] = 3.0
    df.loc[100:160, "income"] = np.nan
    df.loc[200:230, "income"] = 1e6
    return df


def compare(df: pd.DataFrame) -> list[tuple]:
    specs = parse_expectations(SPECS)
    native = {o.name: o for o in evaluate(df, specs, sample=20)}
    configs = []
    for e in specs:
        configs += [{**c, "meta": {"mlgate": expectation_name(e)}} for c in to_gx(e)]
    gx = gx_frame_check(df, configs, sample=20)
    gx_rows = gx.evidence["expectations"].rows
    by_native: dict[str, list[dict]] = {}
    for row in gx_rows:
        by_native.setdefault(row["expectation"], []).append(row)
    gx_failing: dict[str, list] = {}
    for row in gx.evidence["failing_rows"].rows:
        gx_failing.setdefault(row["expectation"], []).append(row["row"])
    out = []
    for name, o in native.items():
        rows = by_native[name]
        gx_status = "passed" if all(r["status"] == "passed" for r in rows) else "failed"
        counts = [r["unexpected_count"] for r in rows if r["unexpected_count"] is not None]
        row_wise = len(rows) == 1 and bool(counts)  # GX names rows for row-wise ones only
        named = row_wise and o.status.value == "failed"
        out.append(
            (
                name,
                (o.status.value, gx_status),
                (o.unexpected_count, counts[0] if row_wise else o.unexpected_count),
                (
                    [r["row"] for r in o.failing_rows] if named else [],
                    gx_failing.get(name, [])[: len(o.failing_rows)] if named else [],
                ),
            )
        )
    return out


@pytest.mark.parametrize("data", ["clean", "faulty"])
def test_native_and_gx_agree_on_every_expectation(data):
    df = population() if data == "clean" else faulty()
    table = compare(df)
    disagreements = [
        row
        for row in table
        if row[1][0] != row[1][1] or row[2][0] != row[2][1] or row[3][0] != row[3][1]
    ]
    assert disagreements == []
    statuses = [row[1][0] for row in table]
    if data == "clean":
        assert set(statuses) == {"passed"}
    else:  # the planted faults are caught by both
        named = {row[0]: row[3][0] for row in table if row[3][0]}
        assert named["in_set(city)"] == [11, 12] and named["compare(end>start)"] == [40, 41]
        failed = {row[0] for row in table if row[1][0] == "failed"}
        assert {
            "between(age)",
            "between(score)",
            "in_set(city)",
            "regex(zip)",
            "unique(id)",
            "compare(end>start)",
            "sum(a+b==100.0)",
            "nulls(income)",
            "between(income)",
            "statistic(age.max)",
        } <= failed
