"""Fixtures for the plugin's end-to-end tests (pytester runs of a tiny gate)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

SCHEMA = Path(__file__).parents[2] / "mlgate" / "schemas" / "result.schema.json"

STALE_PROMOTE = {
    "schema_version": "1.1",
    "verdict": "promote",
    "exit_code": 0,
    "run": {"started_at": "2020-01-01T00:00:00+00:00"},
    "stale": True,
}


@pytest.fixture
def tiny(pytester, gate_writer):
    """The tiny gate of tests/conftest.py, written into the pytester folder on
    ``tiny.write(...)``; its factory module's name is unique to the test."""
    gate_writer.folder = pytester.path
    return gate_writer


@pytest.fixture
def result_doc(pytester):
    """``result_doc(report_dir="reports")`` → the run's result.json as a dict."""

    def read(report_dir: str = "reports") -> dict:
        path = pytester.path / report_dir / "result.json"
        return json.loads(path.read_text(encoding="utf-8"))

    return read


@pytest.fixture(scope="session")
def result_schema():
    """A validator of result.json against the JSON Schema mlgate ships."""
    jsonschema = pytest.importorskip("jsonschema")
    return jsonschema.Draft202012Validator(json.loads(SCHEMA.read_text(encoding="utf-8")))


@pytest.fixture
def stale_promote(pytester) -> Path:
    """An earlier run's promote (result.json and report.html) in ``reports/``, which no later
    run may leave looking current. Returns the report directory."""
    report_dir = pytester.path / "reports"
    report_dir.mkdir(parents=True, exist_ok=True)
    (report_dir / "result.json").write_text(json.dumps(STALE_PROMOTE))
    (report_dir / "report.html").write_text("<p>stale promote</p>")
    return report_dir


def check_statuses(doc: dict) -> dict[str, str]:
    """``{"staging::accuracy": "passed", ...}`` from a result document."""
    return {f"{','.join(c['stages'])}::{c['id']}": c["status"] for c in doc["checks"]}


@pytest.fixture
def statuses():
    """``statuses(doc)`` → ``{"staging::accuracy": "passed", ...}``."""
    return check_statuses
