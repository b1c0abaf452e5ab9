"""result.json's version and shipped JSON Schema cover the typed evidence blocks, and the
docs page describes every block type."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mlgate.core.evidence import (
    BLOCK_TYPES,
    Bars,
    Blocks,
    Curve,
    Examples,
    Histogram,
    Matrix,
    Reliability,
    Table,
)
from mlgate.core.result import jsonable
from mlgate.report.result_json import SCHEMA_VERSION

jsonschema = pytest.importorskip("jsonschema")

REPO = Path(__file__).resolve().parents[2]
SCHEMA = REPO / "mlgate" / "schemas" / "result.schema.json"
DOC = Path(__file__).parent / "data" / "result.json"
BLOCKS = [
    Table.of([{"slice": "a", "value": 0.9}], title="per slice"),
    Examples.of([{"row": 1, "before": "x", "after": "y"}]),
    Curve(x=[0, 1], y=[0.5, None], xlabel="step", ylabel="loss", low=[0.4, None], high=[0.6, None]),
    Reliability(confidence=[0.1, 0.9], accuracy=[0.2, None], count=[10, 20]),
    Bars(labels=["a"], values=[0.9], low=[0.8], high=[1.0], over="slice", quantity="accuracy"),
    Histogram(bins=["<0", ">=0"], reference=[0.5, 0.5], current=[0.2, 0.8], title="x1"),
    Matrix(labels=["no", "yes"], counts=[[40, 2], [5, 53]], title="confusion matrix"),
    Blocks(items=(Histogram(bins=["a"], reference=[1.0], current=[1.0], title="c"),)),
]


@pytest.fixture(scope="module")
def validator():
    schema = json.loads(SCHEMA.read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def _with_evidence(evidence) -> dict:
    doc = json.loads(DOC.read_text())
    doc["checks"][0]["evidence"] = json.loads(json.dumps(jsonable(evidence)))
    return doc


def test_the_version_is_bumped_for_typed_blocks_and_the_schema_pins_it():
    assert SCHEMA_VERSION == "1.1"
    schema = json.loads(SCHEMA.read_text())
    assert schema["properties"]["schema_version"] == {"const": SCHEMA_VERSION}
    assert json.loads(DOC.read_text())["schema_version"] == SCHEMA_VERSION


def test_the_report_fixture_validates(validator):
    validator.validate(json.loads(DOC.read_text()))


@pytest.mark.parametrize("block", BLOCKS, ids=lambda b: b.type)
def test_every_block_type_validates_as_evidence(validator, block):
    validator.validate(_with_evidence({"x": block, "plain": 1, "third_party": {"type": "new"}}))


@pytest.mark.parametrize(
    "bad",
    [
        {"type": "bars", "title": "", "labels": "a"},
        {"type": "histogram", "title": "", "bins": ["a"]},
        {"type": "blocks", "title": "", "items": [{"type": "curve", "title": "", "x": [1]}]},
    ],
    ids=["bars", "histogram", "inside-blocks"],
)
def test_a_known_type_without_its_fields_fails(validator, bad):
    doc = _with_evidence({"x": bad})
    assert list(validator.iter_errors(doc))


def test_the_schema_and_the_docs_cover_every_kernel_block_type():
    schema = json.loads(SCHEMA.read_text())
    tags = schema["$defs"]["evidence_value"]["if"]["properties"]["type"]["enum"]
    assert set(tags) == set(BLOCK_TYPES)
    docs = (REPO / "docs" / "result-json.md").read_text()
    for tag in BLOCK_TYPES:
        assert f"### `{tag}`" in docs, tag
