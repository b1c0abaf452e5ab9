"""``data_expectations`` and ``data_schema`` on a two-worker LocalCluster over Parquet
partitions: a suite of mergeable expectations runs far above ``max_collect_rows`` and gives
the in-memory result byte for byte however the rows are partitioned; a suite with ``unique``
is refused there, naming the expectation, and runs as in memory below the limit."""

from __future__ import annotations

import dataclasses
import itertools
import json

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("distributed", reason="the Dask engine needs mlgate[dask]")
pytest.importorskip("dask.dataframe", reason="the Dask engine needs mlgate[dask]")

from mlgate.checks.data.checks import DATA_EXPECTATIONS, DATA_SCHEMA
from mlgate.core.context import GateContext
from mlgate.core.engines import CollectRefused
from mlgate.core.engines.dask import DaskEngine
from mlgate.core.gate import open_gate

SAMPLE = 3
SUITE = [
    {"expect": "columns", "columns": {"id": "int", "age": "float", "city": "string"}},
    {"expect": "nulls", "column": "income"},
    {"expect": "between", "column": "age", "min": 0, "max": 120},
    {"expect": "in_set", "column": "city", "values": ["paris", "rome", "oslo"]},
    {"expect": "regex", "column": "zip", "pattern": r"^\d{5}$"},
    {"expect": "compare", "left": "end", "op": ">=", "right": "start"},
    {"expect": "row_count", "min": 100, "max": 1000},
    {"expect": "statistic", "column": "income", "statistic": "mean", "min": 0},
    {"expect": "statistic", "column": "income", "statistic": "std", "max": 1e9},
    {"expect": "statistic", "column": "age", "statistic": "min", "min": 0},
    {"expect": "between", "column": "city", "min": 0, "name": "range-on-text"},
]


def frame(n: int = 300, seed: int = 0, violations: bool = True) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    start = rng.uniform(0, 10, n)
    df = pd.DataFrame(
        {
            "id": np.arange(n),
            "age": rng.integers(18, 90, n).astype(float),
            "income": rng.lognormal(10, 0.5, n),
            "city": rng.choice(["paris", "rome", "oslo"], n),
            "zip": [f"{z:05d}" for z in rng.integers(0, 99999, n)],
            "start": start,
            "end": start + rng.uniform(0.5, 2.0, n),
            "target": rng.integers(0, 2, n),
        }
    )
    if violations:
        df.loc[[3, 150, 151, 299], "income"] = np.nan
        df.loc[[5, 200, 298], "age"] = [-1.0, 150.0, 200.0]
        df.loc[[10, 11, 120], "zip"] = ["1234", "abcde", "123456"]
        df.loc[[42, 250], "city"] = "lima"
        df.loc[[7, 8, 233], "end"] = df.loc[[7, 8, 233], "start"] - 1.0
    return df


def write_cuts(df: pd.DataFrame, folder, cuts: list[int]):
    """``df`` as Parquet files of the rows between consecutive ``cuts`` (uneven on purpose)."""
    folder.mkdir(parents=True)
    bounds = [0, *cuts, len(df)]
    for i, (lo, hi) in enumerate(itertools.pairwise(bounds)):
        df.iloc[lo:hi].to_parquet(folder / f"part-{i:03d}.parquet", index=False)
    return folder


def _gate(folder, datasets: dict[str, str]):
    lines = ", ".join(f"{n}: {{path: '{p}', label: target}}" for n, p in datasets.items())
    gate = folder / "gate.yaml"
    gate.write_text(
        "name: g\ntask: binary\nseed: 0\nengine: dask\nmodels: {candidate: {factory: 'x:y'}}\n"
        f"datasets: {{{lines}}}\n"
        "stages: {s: {checks: [{check: prediction_rate, max: 0.9}]}}\n"
    )
    return gate


def _dask(gate, client, max_collect_rows: int = 10) -> GateContext:
    engine = DaskEngine(client, max_collect_rows=max_collect_rows)
    return GateContext(open_gate(gate), models={"candidate": None}, engine=engine)


def _local(**datasets) -> GateContext:
    return GateContext.from_objects(
        models={"candidate": None}, datasets=datasets, task="binary", label="target"
    )


def _bytes(result) -> str:
    return json.dumps(result.to_dict(), sort_keys=True)


PARTITIONINGS = {
    "one": [],
    "even-4": [75, 150, 225],
    "uneven": [1, 6, 151, 152, 290],
}


@pytest.mark.parametrize("violations", [True, False], ids=["planted", "clean"])
@pytest.mark.parametrize("cuts", list(PARTITIONINGS.values()), ids=list(PARTITIONINGS))
def test_mergeable_expectations_on_dask_are_the_in_memory_result(
    tmp_path, cuts, violations, dask_client, run_as_kernel
):
    df = frame(violations=violations)
    write_cuts(df, tmp_path / "parts", cuts)
    ctx = _dask(_gate(tmp_path, {"evaluation": "parts"}), dask_client)  # limit: 10 rows
    on_dask = run_as_kernel(DATA_EXPECTATIONS, ctx, expectations=SUITE, sample=SAMPLE)
    in_memory = DATA_EXPECTATIONS(_local(evaluation=df), expectations=SUITE, sample=SAMPLE)
    assert _bytes(on_dask) == _bytes(in_memory)
    named = {r["expectation"] for r in in_memory.evidence["expectations"].rows}
    assert len(named) == len(SUITE)
    if violations:
        rows = [(r["expectation"], r["row"]) for r in on_dask.evidence["failing_rows"].rows]
        assert ("nulls(income)", 299) not in rows  # the first three by position only
        assert [row for name, row in rows if name == "nulls(income)"] == [3, 150, 151]
        assert [row for name, row in rows if name == "compare(end>=start)"] == [7, 8, 233]
        assert on_dask.status.value == "failed"
    else:
        assert on_dask.evidence["counts"]["passed"] == len(SUITE) - 1  # range-on-text: error


def test_data_schema_on_dask_is_the_in_memory_result(tmp_path, dask_client, run_as_kernel):
    ref, cur = frame(seed=1, violations=False), frame()
    write_cuts(ref, tmp_path / "ref", [100, 101, 250])
    write_cuts(cur, tmp_path / "cur", [30, 200])
    ctx = _dask(_gate(tmp_path, {"reference": "ref", "evaluation": "cur"}), dask_client)
    # alpha=None: the exact rules, so the few planted rows (2–4 in 300) each fail
    on_dask = run_as_kernel(DATA_SCHEMA, ctx, exclude=["id"], sample=SAMPLE, alpha=None)
    in_memory = DATA_SCHEMA(
        _local(reference=ref, evaluation=cur), exclude=["id"], sample=SAMPLE, alpha=None
    )
    assert _bytes(on_dask) == _bytes(in_memory)
    failed = {
        r["expectation"] for r in on_dask.evidence["expectations"].rows if r["status"] == "failed"
    }
    assert {"nulls(income)", "in_set(city)", "between(age)"} <= failed


def test_a_suite_with_unique_is_refused_above_the_limit_naming_it(
    tmp_path, dask_client, run_as_kernel
):
    df = frame()
    write_cuts(df, tmp_path / "parts", [100, 200])
    suite = [*SUITE, {"expect": "unique", "column": "id"}]
    ctx = _dask(_gate(tmp_path, {"evaluation": "parts"}), dask_client)
    with pytest.raises(CollectRefused) as refused:
        run_as_kernel(DATA_EXPECTATIONS, ctx, expectations=suite, sample=SAMPLE)
    message = str(refused.value)
    assert "expectation(s) ['unique(id)']" in message
    assert "check 'data_expectations' needs every row" in message
    assert "data_expectations*" in message.split("run at any size:")[1]
    assert "data_schema" in message.split("run at any size:")[1]
    # below the limit the rows are gathered and the result is the in-memory one
    ctx = _dask(_gate(tmp_path, {"evaluation": "parts"}), dask_client, max_collect_rows=10_000)
    gathered = run_as_kernel(DATA_EXPECTATIONS, ctx, expectations=suite, sample=SAMPLE)
    in_memory = DATA_EXPECTATIONS(_local(evaluation=df), expectations=suite, sample=SAMPLE)
    assert _bytes(gathered) == _bytes(in_memory)
    assert gathered.evidence["expectations"].rows[-1]["status"] == "passed"  # ids are distinct


def test_a_suite_file_folds_or_is_refused_by_what_it_holds(tmp_path, dask_client, run_as_kernel):
    """A suite file's expectations are known only once it is read (``needs_all_rows`` sees
    the gate file's parameters): mergeable ones fold at any size, ``unique`` is refused."""
    from mlgate.checks.data import Suite, parse_expectations, write_suite

    df = frame()
    write_cuts(df, tmp_path / "parts", [50, 120])
    write_suite(Suite(expectations=parse_expectations(SUITE)), tmp_path / "ok.yaml")
    unique = [*SUITE, {"expect": "unique", "column": "id", "name": "distinct ids"}]
    write_suite(Suite(expectations=parse_expectations(unique)), tmp_path / "unique.yaml")
    ctx = _dask(_gate(tmp_path, {"evaluation": "parts"}), dask_client)
    on_dask = run_as_kernel(DATA_EXPECTATIONS, ctx, suite="ok.yaml", sample=SAMPLE)
    local = _local(evaluation=df)
    local.gate = dataclasses.replace(local.gate, path=tmp_path / "gate.yaml")  # the suite's dir
    assert _bytes(on_dask) == _bytes(DATA_EXPECTATIONS(local, suite="ok.yaml", sample=SAMPLE))
    with pytest.raises(CollectRefused, match=r"expectation\(s\) \['distinct ids'\]"):
        run_as_kernel(DATA_EXPECTATIONS, ctx, suite="unique.yaml", sample=SAMPLE)
