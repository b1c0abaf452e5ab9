"""``run.engine`` in result.json: which engine ran, the Dask scheduler reduced to its kind (the
address never appears), the partitions of each partitioned dataset; valid against the shipped
JSON Schema."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mlgate.config.schema import EngineSpec
from mlgate.core.decision import ExitCode
from mlgate.core.gate import open_gate
from mlgate.report.result_json import build_result, dumps, engine_record, scheduler_kind

REPO = Path(__file__).resolve().parents[2]
SCHEMA = REPO / "mlgate" / "schemas" / "result.schema.json"
ADDRESS = "tcp://10.20.30.40:8786"


@pytest.fixture(scope="module")
def config():
    return open_gate(REPO / "suites" / "demo" / "mlgate.yaml").config


def document(config, loaded) -> dict:
    return json.loads(
        dumps(
            build_result(
                config=config,
                gate_file="mlgate.yaml",
                seed=0,
                stages=[],
                results=[],
                decisions=[],
                exit_code=ExitCode.HOLD,
                loaded=loaded,
                timing={},
            )
        )
    )


def test_a_local_run_says_local(config):
    doc = document(config, {"models": {}, "datasets": {"evaluation": {"rows": 10}}})
    assert doc["run"]["engine"] == {"name": "local", "scheduler": None, "partitions": {}}


def test_a_dask_run_names_the_scheduler_kind_never_its_address(config):
    dask = config.model_copy(update={"engine": EngineSpec(name="dask", scheduler=ADDRESS)})
    loaded = {
        "models": {},
        "datasets": {
            "evaluation": {"rows": 10, "engine": {"name": "dask", "partitions": 12}},
            "reference": {"rows": 5},  # read in memory
        },
    }
    doc = document(dask, loaded)
    assert doc["run"]["engine"] == {
        "name": "dask",
        "scheduler": "tcp",
        "partitions": {"evaluation": 12},
    }
    text = dumps(doc)
    assert "10.20.30.40" not in text and "8786" not in text
    local_cluster = config.model_copy(update={"engine": EngineSpec(name="dask")})
    assert engine_record(local_cluster, {})["scheduler"] == "LocalCluster"


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("tcp://10.0.0.1:8786", "tcp"),
        ("TLS://sched.internal:8786", "tls"),
        ("ucx://x", "ucx"),
        ("10.0.0.1:8786", "address"),
        ("inproc://host/1", "inproc"),
        ("<script>://x", "address"),
        (None, "LocalCluster"),
    ],
)
def test_scheduler_kinds(address, kind):
    assert scheduler_kind(address) == kind


def test_an_engine_the_context_describes_takes_precedence(config):
    given = {"name": "dask", "scheduler": "tls://private:1"}
    assert engine_record(config, {"engine": given}) == {
        "name": "dask",
        "scheduler": "tls",
        "partitions": {},
    }


def test_run_engine_validates_against_the_schema(config):
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads(SCHEMA.read_text())
    dask = config.model_copy(update={"engine": EngineSpec(name="dask", scheduler=ADDRESS)})
    loaded = {"models": {}, "datasets": {"e": {"engine": {"name": "dask", "partitions": 3}}}}
    run = document(dask, loaded)["run"]
    validator = jsonschema.Draft202012Validator(schema["properties"]["run"])
    validator.validate(run)
    bad = {**run, "engine": {**run["engine"], "partitions": {"e": "three"}}}
    assert list(validator.iter_errors(bad))


def test_lost_workers_and_retried_partitions_are_recorded_shown_and_valid(config):
    """A run in which Dask lost a worker says so in run.engine (counts only), in the HTML
    report's and the summary's meta line, and validates; an ordinary run records neither."""
    from mlgate.report.html import render_html
    from mlgate.report.markdown import render_summary

    jsonschema = pytest.importorskip("jsonschema")
    dask = config.model_copy(update={"engine": EngineSpec(name="dask")})
    given = {"name": "dask", "scheduler": "LocalCluster", "lost_workers": 1}
    loaded = {
        "models": {},
        "engine": {**given, "retried_partitions": 3},
        "datasets": {
            "e": {"rows": 9, "engine": {"name": "dask", "partitions": 9, "retried": ["a"]}}
        },
    }
    doc = document(dask, loaded)
    assert doc["run"]["engine"]["lost_workers"] == 1
    assert doc["run"]["engine"]["retried_partitions"] == 3
    validator = jsonschema.Draft202012Validator(json.loads(SCHEMA.read_text())["properties"]["run"])
    validator.validate(doc["run"])
    note = "dask (LocalCluster), 1 worker(s) lost, 3 partition(s) run again"
    full = json.loads((REPO / "tests" / "report" / "data" / "result.json").read_text())
    shown = {**full, "run": {**full["run"], "engine": doc["run"]["engine"]}}
    assert note in render_html(shown)
    assert note in render_summary(shown)
    ordinary = document(dask, {"models": {}, "engine": {"name": "dask", "lost_workers": 0}})
    assert "lost_workers" not in ordinary["run"]["engine"]
    local = {**full, "run": {**full["run"], "engine": {"name": "local", "partitions": {}}}}
    assert "· engine" not in render_html(local) and "engine " not in render_summary(local)
