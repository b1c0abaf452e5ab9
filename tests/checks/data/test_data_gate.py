"""``data_expectations`` and ``data_schema`` declared in a gate file, run with ``run_gate``,
and called from a Python test through the ``mlgate`` fixture."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from mlgate.checks.data import read_suite
from mlgate.checks.data.checks import data_expectations_check, data_schema_check
from mlgate.core.context import GateContext
from mlgate.core.decision import ExitCode, Verdict
from mlgate.core.errors import ConfigError
from mlgate.core.gate import open_gate
from mlgate.core.result import Status
from mlgate.core.runner import run_gate


def table(n: int = 300, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    start = rng.uniform(0, 10, n)
    return pd.DataFrame(
        {
            "id": np.arange(n) + 1000 * seed,
            "age": rng.integers(18, 90, n),
            "city": rng.choice(["paris", "rome"], n),
            "start": start,
            "end": start + 1.0,
            "y": rng.integers(0, 2, n),
        }
    )


def write_gate(folder: Path, checks: list[dict]) -> Path:
    config = {
        "name": "data",
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


def run(folder: Path, checks: list[dict], evaluation: pd.DataFrame, reference=None):
    path = write_gate(folder, checks)
    datasets = {
        "evaluation": evaluation,
        "reference": table(seed=1) if reference is None else reference,
    }
    return run_gate(path, models={"candidate": lambda X: np.zeros(len(X))}, datasets=datasets)


DECLARED = {
    "check": "data_expectations",
    "columns": {
        "id": {"dtype": "int", "nullable": False, "unique": True},
        "age": {"dtype": "int", "min": 0, "max": 120},
        "city": {"values": ["paris", "rome"]},
    },
    "expectations": [
        {"expect": "compare", "left": "end", "op": ">", "right": "start"},
        {"expect": "row_count", "min": 100},
    ],
}


def test_declared_expectations_pass_on_clean_data_and_promote(tmp_path):
    result = run(tmp_path, [DECLARED], table())
    (r,) = result.results
    assert r.status is Status.PASSED, r.message
    assert r.check_id == "data-expectations" and r.kind == "data"
    names = [e["expectation"] for e in r.evidence["expectations"].rows]
    assert names == [
        "columns",
        "nulls(id)",
        "unique(id)",
        "between(age)",
        "in_set(city)",
        "compare(end>start)",
        "row_count",
    ]
    assert result.decisions[0].verdict is Verdict.PROMOTE


def test_a_violated_cross_column_rule_holds_the_stage_naming_the_row(tmp_path):
    data = table()
    data.loc[42, "end"] = data.loc[42, "start"] - 0.5
    data.loc[7, "city"] = "lima"
    result = run(tmp_path, [DECLARED], data)
    (r,) = result.results
    assert r.status is Status.FAILED
    rows = {(f["expectation"], f["row"]) for f in r.evidence["failing_rows"].rows}
    assert rows == {("compare(end>start)", 42), ("in_set(city)", 7)}
    assert result.decisions[0].verdict is Verdict.HOLD


def test_a_suite_file_is_read_relative_to_the_gate_file(tmp_path):
    (tmp_path / "expectations").mkdir()
    (tmp_path / "expectations" / "eval.yaml").write_text(
        textwrap.dedent(
            """\
            name: eval
            expectations:
              - {expect: between, column: age, min: 30}
            """
        )
    )
    check = {"check": "data_expectations", "suite": "expectations/eval.yaml"}
    (r,) = run(tmp_path, [check], table()).results
    assert r.status is Status.FAILED  # ages start at 18
    assert r.evidence["suite"]["name"] == "eval"


def test_data_schema_infers_from_reference_and_writes_reviewable_suites(tmp_path):
    check = {
        "check": "data_schema",
        "exclude": ["id"],
        "write_suite": "expectations/inferred.yaml",
        "write_gx_suite": "expectations/inferred.gx.json",
    }
    (r,) = run(tmp_path, [check], table(seed=2)).results
    assert r.status is Status.PASSED, r.message
    assert r.check_id == "data-schema-evaluation"
    suite = read_suite(tmp_path / "expectations" / "inferred.yaml")
    assert suite.meta["inferred_from"] == "reference"
    gx = json.loads((tmp_path / "expectations" / "inferred.gx.json").read_text())
    assert any(e["type"] == "expect_column_values_to_be_in_set" for e in gx["expectations"])
    # the written suite, committed and declared, gives the same verdict on the same data
    again = {"check": "data_expectations", "suite": "expectations/inferred.yaml"}
    (r2,) = run(tmp_path, [again], table(seed=2)).results
    assert r2.status is Status.PASSED
    assert len(r2.evidence["expectations"].rows) == len(r.evidence["expectations"].rows)


@pytest.mark.parametrize(("oslo_rows", "params"), [(range(5, 35), {}), ([5], {"alpha": None})])
def test_data_schema_catches_a_missing_column_and_an_unseen_category(tmp_path, oslo_rows, params):
    """At the defaults an unseen category in 10% of the rows is caught; a single such row is
    within the inferred tolerance (issue 15) and is caught by the exact rules (alpha: null)."""
    data = table(seed=2).drop(columns=["age"])
    data.loc[list(oslo_rows), "city"] = "oslo"
    check = {"check": "data_schema", "exclude": ["id"], **params}
    (r,) = run(tmp_path, [check], data).results
    assert r.status is Status.FAILED
    failed = {e["expectation"] for e in r.evidence["expectations"].rows if e["status"] == "failed"}
    assert {"columns", "nulls(age)", "between(age)", "in_set(city)"} <= failed
    assert {"expectation": "in_set(city)", "row": 5, "city": "oslo"} in r.evidence[
        "failing_rows"
    ].rows


def test_data_schema_tolerates_one_unseen_category_row_at_its_defaults(tmp_path):
    data = table(seed=2)
    data.loc[5, "city"] = "oslo"
    (r,) = run(tmp_path, [{"check": "data_schema", "exclude": ["id"]}], data).results
    assert r.status is Status.PASSED
    row = next(e for e in r.evidence["expectations"].rows if e["expectation"] == "in_set(city)")
    assert row["unexpected_count"] == 1
    assert r.evidence["details"]["in_set(city)"]["critical"] > 1


def test_bad_declarations_are_rejected_before_anything_runs(tmp_path):
    bad = {"check": "data_expectations", "expectations": [{"expect": "between", "column": "x"}]}
    with pytest.raises(ConfigError, match="give min, max or both"):
        open_gate(write_gate(tmp_path, [bad]))
    with pytest.raises(ConfigError, match="declare 'expectations', 'columns' or a 'suite'"):
        open_gate(write_gate(tmp_path, [{"check": "data_expectations"}]))
    twice = {
        "check": "data_expectations",
        "expectations": [{"expect": "nulls", "column": "x"}, {"expect": "not_null", "column": "x"}],
    }
    with pytest.raises(ConfigError, match="more than once"):
        open_gate(write_gate(tmp_path, [twice]))
    with pytest.raises(ConfigError, match="no dataset 'holdout'"):
        open_gate(write_gate(tmp_path, [{"check": "data_schema", "dataset": "holdout"}]))
    with pytest.raises(ConfigError, match="always passes"):
        open_gate(write_gate(tmp_path, [{"check": "data_schema", "reference": "evaluation"}]))


def test_python_functions_take_gate_file_parameters(tmp_path):
    gate = open_gate(write_gate(tmp_path, [DECLARED]))
    data = table()
    data.loc[3, "age"] = -4
    ctx = GateContext(gate, datasets={"evaluation": data, "reference": table(seed=1)})
    r = data_expectations_check(ctx, columns={"age": {"min": 0}})
    assert r.status is Status.FAILED and r.evidence["failing_rows"].rows[0]["row"] == 3
    # one row: caught by the exact all-rows rules, within the default tolerance (issue 15)
    assert data_schema_check(ctx, exclude=["id"], alpha=None).status is Status.FAILED
    assert data_schema_check(ctx, exclude=["id"]).status is Status.PASSED
    with pytest.raises(ConfigError, match="mostly"):
        data_expectations_check(
            ctx, expectations=[{"expect": "in_set", "column": "a", "values": [1], "mostly": 2}]
        )


PYTHON_TEST = """
    import pytest
    from mlgate.checks.data.checks import data_expectations_check

    @pytest.mark.mlgate(kind="data", id="python-ages")
    def test_ages(mlgate, mlgate_record):
        mlgate_record(data_expectations_check(mlgate, dataset="reference",
                                              columns={"x": {"min": -100, "max": 100}}))
"""


@pytest.mark.slow  # one in-process pytest run (~5 s)
def test_declared_and_python_data_checks_under_pytest_mlgate(pytester, gate_writer):
    gate_writer.folder = pytester.path
    gate_writer.module = "gatefix_data"
    stages = {
        "data": {
            "checks": [
                {"check": "data_schema", "exclude": ["x", "z"]},
                {"check": "data_expectations", "columns": {"x": {"dtype": "float"}}},
            ]
        }
    }
    gate_writer.write(stages=stages)
    pytester.makepyfile(test_python_data=PYTHON_TEST)
    result = pytester.runpytest("--mlgate", "-v")
    assert result.ret == ExitCode.PROMOTE, result.stdout.str()
    result.stdout.fnmatch_lines(
        [
            "*mlgate.yaml::data::data-schema-evaluation PASSED*",
            "*mlgate.yaml::data::data-expectations PASSED*",
            "*test_ages PASSED*",
        ]
    )
    html = (pytester.path / "reports" / "report.html").read_text()
    assert "between(y)" in html  # the expectation table made it into the report


def test_the_core_data_checks_import_neither_gx_nor_deepchecks():
    code = (
        "import sys, mlgate.checks.data.checks, mlgate.checks.data.gx_json;"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('great_expectations', 'deepchecks')];"
        "print(bad); sys.exit(1 if bad else 0)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr


def test_an_empty_dataset_in_a_gate_run_is_inconclusive_and_holds(tmp_path):
    # The kernel refuses to build a dataset with no rows; every check that needs it is
    # inconclusive (nothing to judge), never passed and not an error of the setup.
    checks = [DECLARED, {"check": "metric_threshold", "metric": "accuracy", "min": 0.5}]
    result = run(tmp_path, checks, table().iloc[:0])
    assert [r.status for r in result.results] == [Status.INCONCLUSIVE, Status.INCONCLUSIVE]
    assert all("has no rows" in r.message for r in result.results)
    assert result.decisions[0].verdict is Verdict.HOLD
