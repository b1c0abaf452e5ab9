"""Native data checks: a 50-expectation suite over 1,000,000 rows × 25 columns, against one
hand-written vectorised pandas pass computing the same statistics, measured in the same run.

The target is at most 3× the pandas pass. When the mlgate-gx plugin is installed, the same
suite (translated with ``mlgate.checks.data.to_gx``) also runs through Great Expectations
for comparison.

Run: ``OMP_NUM_THREADS=1 python benchmarks/bench_data_checks.py`` (``--rows``,
``--repeats``, ``--no-gx``). Latest figures: docs/checks/data.md.
"""

from __future__ import annotations

import argparse
import importlib.util
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

N_FLOAT, N_INT = 15, 6
CITIES = ["paris", "rome", "oslo", "lima", "kyiv"]


def make_frame(n: int, seed: int = 0) -> pd.DataFrame:
    """25 columns: 15 floats (2 with 1% nulls), 6 integers (an id among them), 3 categories
    as text and a code that must match a regex."""
    rng = np.random.default_rng(seed)
    cols: dict[str, Any] = {}
    for i in range(N_FLOAT):
        x = rng.normal(100.0 + i, 10.0, n)
        if i < 2:
            x[rng.random(n) < 0.01] = np.nan
        cols[f"f{i}"] = x
    cols["id"] = np.arange(n)
    for i in range(1, N_INT):
        cols[f"i{i}"] = rng.integers(0, 1000, n)
    cols["city"] = rng.choice(CITIES, n)
    cols["plan"] = rng.choice(["free", "pro", "team"], n)
    cols["tier"] = rng.choice(["a", "b"], n)
    cols["code"] = pd.Series(rng.integers(0, 99_999, n)).map("{:05d}".format).to_numpy()
    df = pd.DataFrame(cols)
    df["f14"] = df["f12"] + df["f13"]  # a sum rule to check
    return df


def suite() -> list[dict[str, Any]]:
    """50 expectations of every kind."""
    e: list[dict[str, Any]] = [
        {
            "expect": "columns",
            "columns": {f"f{i}": "float" for i in range(N_FLOAT)} | {"id": "int"},
        },
        {"expect": "row_count", "min": 1},
        {"expect": "unique", "column": "id"},
        {"expect": "regex", "column": "code", "pattern": r"^\d{5}$"},
        {"expect": "in_set", "column": "city", "values": CITIES},
        {"expect": "in_set", "column": "plan", "values": ["free", "pro", "team"]},
        {"expect": "in_set", "column": "tier", "values": ["a", "b"]},
    ]
    e += [{"expect": "nulls", "column": f"f{i}", "max_fraction": 0.02} for i in range(2)]
    e += [{"expect": "nulls", "column": f"f{i}"} for i in range(2, 10)]
    e += [{"expect": "between", "column": f"f{i}", "min": 0, "max": 300} for i in range(12)]
    e += [{"expect": "between", "column": f"i{i}", "min": 0, "max": 999} for i in range(1, 6)]
    stats = ["min", "max", "mean", "median", "std"]
    e += [
        {"expect": "statistic", "column": f"f{i}", "statistic": s, "min": -1e9, "max": 1e9}
        for i, s in enumerate(stats * 2)
    ]
    e += [
        {
            "expect": "statistic",
            "column": "f10",
            "statistic": "quantile",
            "q": q,
            "min": 0,
            "max": 1e9,
        }
        for q in (0.05, 0.95)
    ]
    e += [
        {"expect": "compare", "left": f"f{i + 1}", "op": ">", "right": f"f{i}", "mostly": 0.4}
        for i in range(3)
    ]
    e += [{"expect": "sum", "columns": ["f12", "f13"], "equals": "f14", "tolerance": 1e-6}]
    assert len(e) == 50, len(e)
    return e


def pandas_pass(df: pd.DataFrame, specs: list[dict[str, Any]]) -> list[Any]:
    """The same statistics, written directly in pandas (the baseline): null counts, range
    violations, set membership, regex matches, duplicates, statistics, pair comparisons."""
    out: list[Any] = []
    for s in specs:
        kind = s["expect"]
        if kind == "columns":
            out.append([c in df.columns for c in s["columns"]] + list(df.dtypes))
        elif kind == "row_count":
            out.append(len(df))
        elif kind == "unique":
            out.append(int(df[s["column"]].duplicated(keep=False).sum()))
        elif kind == "regex":
            out.append(int((~df[s["column"]].str.contains(s["pattern"], regex=True)).sum()))
        elif kind == "in_set":
            out.append(int((~df[s["column"]].isin(s["values"])).sum()))
        elif kind == "nulls":
            out.append(int(df[s["column"]].isna().sum()))
        elif kind == "between":
            col = df[s["column"]]
            out.append(int(((col < s["min"]) | (col > s["max"])).sum()))
        elif kind == "statistic":
            col = df[s["column"]]
            stat = s["statistic"]
            out.append(col.quantile(s["q"]) if stat == "quantile" else getattr(col, stat)())
        elif kind == "compare":
            out.append(int((df[s["left"]] <= df[s["right"]]).sum()))
        elif kind == "sum":
            total = df[s["columns"]].sum(axis=1)
            out.append(int(((total - df[s["equals"]]).abs() > s["tolerance"]).sum()))
    return out


def best(fn: Callable[[], Any], repeats: int) -> tuple[float, Any]:
    times, out = [], None
    for _ in range(repeats):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return min(times), out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--no-gx", action="store_true", help="skip the GX comparison")
    args = parser.parse_args()

    from mlgate.checks.data import evaluate, parse_expectations
    from mlgate.checks.data.checks import check_frame

    df = make_frame(args.rows)
    raw = suite()
    specs = parse_expectations(raw)
    print(
        f"{args.rows:,} rows × {df.shape[1]} columns, {len(specs)} expectations "
        f"(pandas {pd.__version__}, NumPy {np.__version__})"
    )

    t_pandas, _ = best(lambda: pandas_pass(df, raw), args.repeats)
    t_native, outcomes = best(lambda: evaluate(df, specs), args.repeats)
    t_check, result = best(lambda: check_frame(df, raw), 1)
    not_passed = [o.name for o in outcomes if o.status.value != "passed"]
    assert not not_passed, not_passed  # the benchmark data is clean by construction
    ratio = t_native / t_pandas
    print(f"pandas pass (baseline)        {t_pandas:8.3f} s")
    print(
        f"mlgate native evaluate        {t_native:8.3f} s   ratio {ratio:5.2f}x "
        f"(target <= 3x: {'met' if ratio <= 3 else 'NOT met'})"
    )
    print(f"mlgate check_frame (+result)  {t_check:8.3f} s   status {result.status.value}")

    if args.no_gx or importlib.util.find_spec("mlgate_gx") is None:
        print("Great Expectations: skipped (install plugins/mlgate-gx to compare)")
        return
    from mlgate_gx import gx_frame_check

    from mlgate.checks.data import Suite, gx_suite_dict

    doc = gx_suite_dict(Suite(expectations=specs))
    configs, skipped = doc["expectations"], doc["meta"]["mlgate_not_translated"]
    t_gx, gx = best(lambda: gx_frame_check(df, configs), 1)
    print(
        f"Great Expectations (plugin)   {t_gx:8.3f} s   ratio {t_gx / t_pandas:5.2f}x "
        f"({len(configs)} GX expectations, status {gx.status.value}; "
        f"not translatable: {[x['expectation'] for x in skipped]})"
    )


if __name__ == "__main__":
    main()
